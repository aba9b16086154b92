/* fork(): Ceph's librados hangs in a child that uses a handle created before fork(); ours
 * must not. The parent connects and opens an image (starting our threads), then forks; the
 * child does AIO on the inherited handle and on a new one; both verify their data. */
#include <rados/librados.h>
#include <rbd/librbd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK(x) do { long _r = (long)(x); if (_r < 0) { fprintf(stderr, "%s:%d %s = %ld\n", __FILE__, __LINE__, #x, _r); exit(2); } } while (0)

static void aio_write_read(rbd_image_t img, uint64_t off, char fill) {
  char buf[8192], back[8192];
  memset(buf, fill, sizeof buf);
  rbd_completion_t c;
  CHECK(rbd_aio_create_completion(NULL, NULL, &c));
  CHECK(rbd_aio_write(img, off, sizeof buf, buf, c));
  CHECK(rbd_aio_wait_for_complete(c));
  CHECK(rbd_aio_get_return_value(c));
  rbd_aio_release(c);
  CHECK(rbd_aio_create_completion(NULL, NULL, &c));
  CHECK(rbd_aio_read(img, off, sizeof back, back, c));
  CHECK(rbd_aio_wait_for_complete(c));
  if (rbd_aio_get_return_value(c) != sizeof back || memcmp(buf, back, sizeof buf) != 0) {
    fprintf(stderr, "data mismatch at %lu\n", (unsigned long)off);
    exit(3);
  }
  rbd_aio_release(c);
}

int main(int argc, char **argv) {
  const char *name = argc > 1 ? argv[1] : "forked";
  rados_t cluster;
  rados_ioctx_t io;
  rbd_image_t img;
  int order = 0;
  CHECK(rados_create(&cluster, NULL));
  CHECK(rados_conf_read_file(cluster, NULL));
  CHECK(rados_connect(cluster));
  CHECK(rados_ioctx_create(cluster, "rbd", &io));
  CHECK(rbd_create(io, name, 64 << 20, &order));
  CHECK(rbd_open(io, name, &img, NULL));
  aio_write_read(img, 0, 'p');

  pid_t pid = fork();
  CHECK(pid);
  if (pid == 0) {
    aio_write_read(img, 1 << 20, 'c');           /* inherited handle */
    rados_t c2;
    rados_ioctx_t io2;
    rbd_image_t img2;
    CHECK(rados_create(&c2, NULL));
    CHECK(rados_conf_read_file(c2, NULL));
    CHECK(rados_connect(c2));
    CHECK(rados_ioctx_create(c2, "rbd", &io2));
    CHECK(rbd_open(io2, name, &img2, NULL));  /* new handle */
    aio_write_read(img2, 2 << 20, 'n');
    char b[1];
    CHECK(rbd_read(img2, 0, 1, b));
    if (b[0] != 'p') { fprintf(stderr, "child does not see the parent's data\n"); exit(4); }
    CHECK(rbd_close(img2));
    rados_ioctx_destroy(io2);
    rados_shutdown(c2);
    CHECK(rbd_close(img));
    _exit(0);
  }
  aio_write_read(img, 3 << 20, 'P');             /* the parent keeps working meanwhile */
  int status;
  CHECK(waitpid(pid, &status, 0));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) { fprintf(stderr, "child failed: %d\n", status); return 5; }
  char b[3];
  CHECK(rbd_read(img, 1 << 20, 1, b));
  CHECK(rbd_read(img, 2 << 20, 1, b + 1));
  CHECK(rbd_read(img, 3 << 20, 1, b + 2));
  if (memcmp(b, "cnP", 3) != 0) { fprintf(stderr, "parent sees %.3s\n", b); return 6; }
  CHECK(rbd_close(img));
  rados_ioctx_destroy(io);
  rados_shutdown(cluster);
  puts("fork ok");
  return 0;
}
