/* /init of the test guest: loads the virtio block driver, then writes and checks records on
 * /dev/vda with O_DIRECT + fsync, reporting on the serial console, and powers off.
 *
 * Kernel command line:
 *   rbdtest=basic N      write N records, read every one back, verify
 *   rbdtest=stream N     write records 0..N-1 in order, each followed by fsync, printing
 *                        "REC k" as it goes (a live migration happens meanwhile), then verify
 * Record k: 4096 bytes at offset k*4096: magic, k, then bytes derived from k. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define REC 4096
#define MAGIC 0x7262647368696d21ULL

static const char *modules[] = {"virtio_ring", "virtio", "virtio_pci_legacy_dev", "virtio_pci_modern_dev",
                                "virtio_pci", "virtio_blk", NULL};

static void die(const char *what) {
  dprintf(1, "GUEST-FAIL %s\n", what);
  sync();
  reboot(RB_POWER_OFF);
  _exit(1);
}

static void load(const char *name) {
  char path[128];
  snprintf(path, sizeof path, "/modules/%s.ko", name);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return; /* built into this kernel */
  struct stat st;
  fstat(fd, &st);
  void *buf = malloc(st.st_size);
  if (read(fd, buf, st.st_size) != st.st_size) die("short module read");
  close(fd);
  if (syscall(SYS_init_module, buf, (unsigned long)st.st_size, "") != 0) {
    dprintf(1, "module %s: %s\n", name, strerror(errno));
  }
  free(buf);
}

static void fill(unsigned char *b, uint64_t k) {
  uint64_t m = MAGIC;
  memcpy(b, &m, 8);
  memcpy(b + 8, &k, 8);
  for (int i = 16; i < REC; i++) b[i] = (unsigned char)(k * 131 + i * 7);
}

static long param(const char *cmdline, const char *key) {
  const char *p = strstr(cmdline, key);
  if (!p) return -1;
  p += strlen(key);
  while (*p == ' ') p++;
  return strtol(p, NULL, 10);
}

int main(void) {
  mkdir("/dev", 0755);
  mkdir("/proc", 0755);
  mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
  mount("proc", "/proc", "proc", 0, NULL);
  int con = open("/dev/console", O_WRONLY);
  if (con >= 0) { dup2(con, 1); dup2(con, 2); }
  for (int i = 0; modules[i]; i++) load(modules[i]);

  char cmdline[512] = {0};
  int cf = open("/proc/cmdline", O_RDONLY);
  read(cf, cmdline, sizeof cmdline - 1);
  close(cf);
  long basic = param(cmdline, "rbdtest=basic");
  long stream = param(cmdline, "rbdtest=stream");
  long n = basic > 0 ? basic : stream;
  if (n <= 0) die("no rbdtest= on the command line");

  int fd = -1;
  for (int i = 0; i < 200 && fd < 0; i++) {
    fd = open("/dev/vda", O_RDWR | O_DIRECT | O_SYNC);
    if (fd < 0) usleep(50000);
  }
  if (fd < 0) die("no /dev/vda");
  dprintf(1, "GUEST-START %ld\n", n);

  unsigned char *w, *r;
  if (posix_memalign((void **)&w, 4096, REC) || posix_memalign((void **)&r, 4096, REC)) die("memalign");
  for (long k = 0; k < n; k++) {
    fill(w, k);
    if (pwrite(fd, w, REC, k * REC) != REC) die("write");
    if (fsync(fd) != 0) die("fsync");
    if (stream > 0) {
      if (k % 50 == 0) dprintf(1, "REC %ld\n", k);
      usleep(3000); /* keep writing long enough for a migration to happen meanwhile */
    }
  }
  for (long k = 0; k < n; k++) {
    fill(w, k);
    if (pread(fd, r, REC, k * REC) != REC) die("read");
    if (memcmp(w, r, REC) != 0) {
      dprintf(1, "GUEST-BAD %ld\n", k);
      die("verify");
    }
  }
  dprintf(1, "GUEST-OK %ld\n", n);
  close(fd);
  sync();
  reboot(RB_POWER_OFF);
  return 0;
}
