/* Bad input at the C boundary: NULL, closed and mismatched handles, NULL buffers and out-
 * pointers, impossible sizes. Ceph crashes on most of these; we must return -EINVAL (or the
 * errno Ceph gives where it gives one) and keep running. Prints one line per case. */
#include <errno.h>
#include <rados/librados.h>
#include <rbd/librbd.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

static int failures;
#define EXPECT(expr, want) do { long _r = (long)(expr); if (_r != (long)(want)) { \
  printf("FAIL %s = %ld, want %ld\n", #expr, _r, (long)(want)); failures++; } else printf("ok %s\n", #expr); } while (0)

int main(void) {
  rados_t c;
  rados_ioctx_t io;
  rbd_image_t img;
  rbd_image_info_t info;
  rados_ioctx_t io2;
  rbd_image_t img2;
  char buf[64], small[8], longname[8193];
  int order = 0;

  EXPECT(rados_connect(NULL), -EINVAL);
  EXPECT(rados_ioctx_create(NULL, "rbd", &io), -EINVAL);
  EXPECT(rbd_stat(NULL, &info, sizeof info), -EINVAL);
  EXPECT(rbd_read(NULL, 0, 1, buf), -EINVAL);
  EXPECT(rbd_close(NULL), -EINVAL);
  EXPECT(rados_create(&c, NULL), 0);
  EXPECT(rados_ioctx_create(c, "rbd", &io), -ENOTCONN);
  EXPECT(rados_connect(c), 0);
  EXPECT(rados_connect(c), -EISCONN);
  EXPECT(rados_conf_set(c, NULL, "x"), -EINVAL);
  EXPECT(rados_ioctx_create(c, NULL, &io), -EINVAL);
  EXPECT(rados_ioctx_create(c, "rbd", NULL), -EINVAL);
  EXPECT(rados_ioctx_create(c, "no-such-pool", &io), -ENOENT);
  EXPECT(rados_ioctx_create(c, "rbd", &io), 0);
  EXPECT(rbd_create(io, "", 1 << 20, &order), -EINVAL);
  EXPECT(rbd_create(io, "x", 1 << 20, NULL), -EINVAL);
  order = 64;
  EXPECT(rbd_create(io, "x", 1 << 20, &order), -EDOM);
  order = 0;
  EXPECT(rbd_create(io, "x", 1 << 20, &order), 0);
  EXPECT(rbd_create(io, "x", 1 << 20, &order), -EEXIST);
  EXPECT(errno, EEXIST);
  EXPECT(rbd_open(io, "x", NULL, NULL), -EINVAL);
  EXPECT(rbd_open(io, "missing", &img, NULL), -ENOENT);
  EXPECT(rbd_open((rados_ioctx_t)c, "x", &img, NULL), -EINVAL); /* a rados_t is not an ioctx */
  EXPECT(rbd_open(io, "x", &img, NULL), 0);
  EXPECT(rbd_write(img, 0, 16, "0123456789abcdef"), 16);
  EXPECT(rbd_stat(img, &info, 10), -ERANGE);
  EXPECT(rbd_stat(img, NULL, sizeof info), -EINVAL);
  EXPECT(rbd_read(img, 0, 16, NULL), -EINVAL);
  EXPECT(rbd_write(img, 0, 16, NULL), -EINVAL);
  EXPECT(rbd_write(img, 1 << 20, 1, "x"), -EINVAL);
  EXPECT(rbd_read(img, (uint64_t)-1, 1, buf), -EINVAL);
  EXPECT(rbd_discard(img, 0, (uint64_t)1 << 40), -EINVAL);
  EXPECT(rbd_snap_create(img, NULL), -EINVAL);
  EXPECT(rbd_snap_create(img, "s"), 0);
  EXPECT(rbd_snap_create(img, "s"), -EEXIST);
  EXPECT(rbd_aio_write(img, 0, 1, "x", NULL), -EINVAL);
  EXPECT(rbd_aio_readv(img, NULL, 1, 0, NULL), -EINVAL);
  EXPECT(rbd_diff_iterate2(img, NULL, 0, 1, 0, 0, NULL, NULL), -EINVAL);
  /* Offsets and lengths that overflow or pass the end; foreign handles in every slot. */
  EXPECT(rbd_write(img, (uint64_t)-8, 16, buf), -EINVAL);
  EXPECT(rbd_read(img, ((uint64_t)1 << 63) + 5, 16, buf), -EINVAL);
  EXPECT(rbd_discard(img, (uint64_t)-1, 2), -EINVAL);
  EXPECT(rbd_resize(img, (uint64_t)-1), -EINVAL);
  EXPECT(rbd_create((rados_ioctx_t)img, "z", 1 << 20, &order), -EINVAL);
  EXPECT(rbd_stat((rbd_image_t)io, &info, sizeof info), -EINVAL);
  EXPECT(rados_ioctx_create((rados_t)io, "rbd", &io2), -EINVAL);
  EXPECT(rados_write((rados_ioctx_t)c, "o", "x", 1, 0), -EINVAL);
  /* Output buffers too small: -ERANGE and the size needed, never a write past them. */
  memset(small, 'Z', sizeof small);
  EXPECT(rbd_metadata_set(img, "key", "a fairly long value"), 0);
  size_t vlen = 4;
  EXPECT(rbd_metadata_get(img, "key", small, &vlen), -ERANGE);
  EXPECT(vlen, 20);
  EXPECT(small[4] == 'Z' && small[7] == 'Z', 1);
  rbd_snap_info_t snaps[1];
  int max_snaps = 0;
  EXPECT(rbd_snap_list(img, snaps, &max_snaps), -ERANGE);
  EXPECT(max_snaps, 2);
  /* Names: the 8 KiB one is refused; those with '/', '@', control characters or ".." are data,
   * never paths (Ceph accepts them), and can be opened and removed again. */
  memset(longname, 'n', sizeof longname - 1);
  longname[sizeof longname - 1] = 0;
  EXPECT(rbd_create(io, longname, 1 << 20, &order), -ENAMETOOLONG);
  EXPECT(rbd_snap_create(img, longname), -ENAMETOOLONG);
  const char *odd[] = {"../../escape", "a/b", "x@y", "tab\there", "\x01ctl", "/abs"};
  for (unsigned i = 0; i < sizeof odd / sizeof odd[0]; i++) {
    EXPECT(rbd_create(io, odd[i], 4096, &order), 0);
    EXPECT(rbd_open(io, odd[i], &img2, NULL), 0);
    EXPECT(rbd_write(img2, 0, 5, "hello"), 5);
    EXPECT(rbd_close(img2), 0);
    EXPECT(rbd_remove(io, odd[i]), 0);
  }
  /* rados_mon_command: bad commands fail cleanly and every output is set (NULL, 0). */
  char *mout = (char *)1, *mstatus = (char *)1;
  size_t moutlen = 7, mstatuslen = 7;
  EXPECT(rados_mon_command(c, NULL, 1, "", 0, &mout, &moutlen, &mstatus, &mstatuslen), -EINVAL);
  EXPECT(mout == NULL && moutlen == 0 && mstatus == NULL && mstatuslen == 0, 1);
  const char *nullcmd[1] = {NULL};
  EXPECT(rados_mon_command(c, nullcmd, 1, "", 0, &mout, &moutlen, &mstatus, &mstatuslen), -EINVAL);
  const char *junk[1] = {"{not json"};
  EXPECT(rados_mon_command(c, junk, 0, "", 0, &mout, &moutlen, &mstatus, &mstatuslen), -EINVAL);
  EXPECT(rados_mon_command(c, junk, 1, "", 0, &mout, &moutlen, &mstatus, &mstatuslen), -EINVAL);
  EXPECT(mstatuslen > 0 && mstatus != NULL, 1);                /* the reason, in outs */
  rados_buffer_free(mout);
  rados_buffer_free(mstatus);
  EXPECT(rados_mon_command((rados_t)io, junk, 1, "", 0, NULL, NULL, NULL, NULL), -EINVAL);
  /* After all of it, the data written before is unchanged. */
  memset(buf, 0, sizeof buf);
  EXPECT(rbd_read(img, 0, 16, buf), 16);
  EXPECT(memcmp(buf, "0123456789abcdef", 16), 0);
  EXPECT(rbd_close(img), 0);
  EXPECT(rbd_close(img), -EINVAL);                 /* closed handle */
  EXPECT(rbd_read(img, 0, 1, buf), -EINVAL);
  EXPECT(rbd_remove(io, "x"), -ENOTEMPTY);
  EXPECT(rbd_list2(io, NULL, NULL), -EINVAL);
  size_t n = 0;
  EXPECT(rbd_list(io, NULL, &n), -ERANGE);
  EXPECT(n, 2);
  EXPECT(rbd_encryption_load(NULL, 0, NULL, 0), -EINVAL);
  rados_ioctx_destroy(io);
  rados_ioctx_destroy(io);                          /* twice: ignored */
  EXPECT(rbd_create(io, "y", 1, &order), -EINVAL);
  rados_shutdown(c);
  rados_shutdown(c);
  rados_shutdown(NULL);
  EXPECT(rados_connect(c), -EINVAL);
  printf("%d failures\n", failures);
  return failures != 0;
}
