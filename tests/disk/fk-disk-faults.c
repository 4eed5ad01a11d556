/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* An LD_PRELOAD library that makes file calls fail the way a full, read-only or failing disk
 * does, for files under one directory only. test-disk-errors.c runs each case in a child
 * process with this library preloaded and the fault described in the environment:
 *
 *   FK_DISK_FAULT_DIR   required: only paths under this directory are affected
 *   FK_DISK_FAULT       one of
 *     enospc:N          writes succeed for N bytes in all (the last one short), then ENOSPC
 *     eio:N             the same with EIO
 *     eacces            creating or opening a file for writing fails with EACCES
 *     erofs             the same with EROFS (a read-only file system)
 *     eio-fsync         fsync and fdatasync fail with EIO
 *     enospc-fsync      fsync and fdatasync fail with ENOSPC (NFS, delayed allocation)
 *     eio-close         close fails with EIO (the descriptor is closed all the same, as on Linux)
 *     no-tmpfile        opening an unnamed file (O_TMPFILE) fails with EOPNOTSUPP, as on FAT
 *
 * The faults hit files whose path was under the directory when they were opened (open, open64,
 * openat, openat64, creat, creat64 and the fortified __open*_2), and then the write family
 * (write, pwrite, pwrite64, writev, pwritev, pwritev64), fsync, fdatasync and close on those
 * descriptors. Everything else goes straight to the next definition (libc). A backup makes its
 * temporary file with g_mkstemp_full (open64 in libglib), then writes, fsyncs, closes and renames
 * it; GIO's local file streams would use openat64, write, writev and fsync (checked on bookworm's
 * GLib 2.74 with strace -f and nm -D --undefined-only).
 *
 * fk_disk_faults_injected counts the calls that were made to fail, so the test can tell a fault
 * that fired from one that never did. Only libc is used here: this runs inside every call. */

/* the definitions below must be the plain symbols, not fortified wrappers or *64 redirections */
#undef _FORTIFY_SOURCE
#undef _FILE_OFFSET_BITS
/* O_TMPFILE, off64_t, the *64 prototypes */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define FK_DISK_MAX_FDS 4096

typedef enum {
	FK_DISK_FAULT_NONE,
	FK_DISK_FAULT_WRITE,  /* the write family, after a byte budget */
	FK_DISK_FAULT_CREATE, /* opening for writing */
	FK_DISK_FAULT_FSYNC,
	FK_DISK_FAULT_CLOSE,
	FK_DISK_FAULT_NO_TMPFILE, /* unnamed files are not supported */
} FkDiskFaultKind;

/* exported for the test (dlsym): calls made to fail so far */
extern unsigned long fk_disk_faults_injected;
unsigned long fk_disk_faults_injected = 0;

static FkDiskFaultKind fault_kind = FK_DISK_FAULT_NONE;
static int fault_errno = 0;
static long long fault_budget = 0; /* FK_DISK_FAULT_WRITE: bytes still allowed */
static char fault_dir[PATH_MAX];
static size_t fault_dir_len = 0;
static unsigned char fault_fds[FK_DISK_MAX_FDS]; /* 1: opened for writing under fault_dir */
static pthread_once_t fault_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t fault_lock = PTHREAD_MUTEX_INITIALIZER;

static void
fk_disk_faults_init(void)
{
	const char *spec = getenv("FK_DISK_FAULT");
	const char *dir = getenv("FK_DISK_FAULT_DIR");
	const char *colon;
	size_t len;

	if (spec == NULL || spec[0] == '\0' || dir == NULL || dir[0] != '/')
		return;
	len = strlen(dir);
	while (len > 1 && dir[len - 1] == '/')
		len--;
	if (len >= sizeof(fault_dir))
		return;
	memcpy(fault_dir, dir, len);
	fault_dir[len] = '\0';
	fault_dir_len = len;

	colon = strchr(spec, ':');
	if (strncmp(spec, "enospc:", 7) == 0 || strncmp(spec, "eio:", 4) == 0) {
		fault_kind = FK_DISK_FAULT_WRITE;
		fault_errno = spec[1] == 'n' ? ENOSPC : EIO;
		fault_budget = strtoll(colon + 1, NULL, 10);
	} else if (strcmp(spec, "eacces") == 0) {
		fault_kind = FK_DISK_FAULT_CREATE;
		fault_errno = EACCES;
	} else if (strcmp(spec, "erofs") == 0) {
		fault_kind = FK_DISK_FAULT_CREATE;
		fault_errno = EROFS;
	} else if (strcmp(spec, "eio-fsync") == 0) {
		fault_kind = FK_DISK_FAULT_FSYNC;
		fault_errno = EIO;
	} else if (strcmp(spec, "enospc-fsync") == 0) {
		fault_kind = FK_DISK_FAULT_FSYNC;
		fault_errno = ENOSPC;
	} else if (strcmp(spec, "eio-close") == 0) {
		fault_kind = FK_DISK_FAULT_CLOSE;
		fault_errno = EIO;
	} else if (strcmp(spec, "no-tmpfile") == 0) {
		fault_kind = FK_DISK_FAULT_NO_TMPFILE;
		fault_errno = EOPNOTSUPP;
	} else {
		fprintf(stderr, "fk-disk-faults: unknown FK_DISK_FAULT “%s”\n", spec);
		abort();
	}
}

static FkDiskFaultKind
fk_disk_faults_kind(void)
{
	pthread_once(&fault_once, fk_disk_faults_init);
	return fault_kind;
}

static void *
fk_disk_real(const char *name)
{
	void *fn = dlsym(RTLD_NEXT, name);
	if (fn == NULL) {
		fprintf(stderr, "fk-disk-faults: no next definition of %s\n", name);
		abort();
	}
	return fn;
}

/* the next definition of @name, looked up once */
#define REAL(name)                                                                                      \
	static __typeof__(&name) real_##name = NULL;                                                    \
	if (real_##name == NULL)                                                                        \
		real_##name = (__typeof__(&name))fk_disk_real(#name)

static int
fk_disk_fail(int errsv)
{
	__atomic_add_fetch(&fk_disk_faults_injected, 1, __ATOMIC_SEQ_CST);
	errno = errsv;
	return -1;
}

/* is @path (relative to @dirfd) under FK_DISK_FAULT_DIR? */
static int
fk_disk_path_matches(int dirfd, const char *path)
{
	char buf[PATH_MAX];
	const char *abs = path;

	if (path == NULL || fault_dir_len == 0)
		return 0;
	if (path[0] != '/') {
		size_t n;
		if (dirfd == AT_FDCWD) {
			if (getcwd(buf, sizeof(buf)) == NULL)
				return 0;
			n = strlen(buf);
		} else {
			char link[64];
			ssize_t r;
			snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
			r = readlink(link, buf, sizeof(buf) - 1);
			if (r < 0)
				return 0;
			n = (size_t)r;
		}
		if (n + 1 + strlen(path) + 1 > sizeof(buf))
			return 0;
		buf[n] = '/';
		strcpy(buf + n + 1, path);
		abs = buf;
	}
	return strncmp(abs, fault_dir, fault_dir_len) == 0 &&
	       (abs[fault_dir_len] == '/' || abs[fault_dir_len] == '\0');
}

static int
fk_disk_fd_marked(int fd)
{
	return fd >= 0 && fd < FK_DISK_MAX_FDS && __atomic_load_n(&fault_fds[fd], __ATOMIC_SEQ_CST);
}

static void
fk_disk_fd_mark(int fd, int on)
{
	if (fd >= 0 && fd < FK_DISK_MAX_FDS)
		__atomic_store_n(&fault_fds[fd], on ? 1 : 0, __ATOMIC_SEQ_CST);
}

/* before an open: should it fail? */
static int
fk_disk_open_fails(int dirfd, const char *path, int flags)
{
	int writing = (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC)) != 0;
	FkDiskFaultKind kind = fk_disk_faults_kind();
	if (kind == FK_DISK_FAULT_NO_TMPFILE)
		return (flags & O_TMPFILE) == O_TMPFILE && fk_disk_path_matches(dirfd, path);
	return kind == FK_DISK_FAULT_CREATE && writing && fk_disk_path_matches(dirfd, path);
}

/* after a successful open: remember descriptors that later calls may fail on */
static int
fk_disk_opened(int fd, int dirfd, const char *path, int flags)
{
	int writing = (flags & O_ACCMODE) != O_RDONLY;
	FkDiskFaultKind kind = fk_disk_faults_kind();
	if (fd >= 0)
		fk_disk_fd_mark(fd, kind != FK_DISK_FAULT_NONE && writing && fk_disk_path_matches(dirfd, path));
	return fd;
}

/* how many of @count bytes a write on @fd may pass on: -1 to fail, else @count or fewer */
static ssize_t
fk_disk_write_allowance(int fd, size_t count)
{
	ssize_t allowed;

	if (fk_disk_faults_kind() != FK_DISK_FAULT_WRITE || !fk_disk_fd_marked(fd))
		return (ssize_t)count;
	pthread_mutex_lock(&fault_lock);
	if (fault_budget <= 0) {
		allowed = -1;
	} else {
		allowed = (long long)count < fault_budget ? (ssize_t)count : (ssize_t)fault_budget;
		fault_budget -= allowed;
	}
	pthread_mutex_unlock(&fault_lock);
	return allowed;
}

static int
fk_disk_mode_arg(int flags, va_list ap)
{
	if ((flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE)
		return va_arg(ap, int);
	return 0;
}

/* ---- open ---- */

#define FK_DISK_OPEN(name)                                                                              \
	int name(const char *path, int flags, ...);                                                     \
	int name(const char *path, int flags, ...)                                                      \
	{                                                                                               \
		va_list ap;                                                                             \
		int mode;                                                                               \
		REAL(name);                                                                             \
		va_start(ap, flags);                                                                    \
		mode = fk_disk_mode_arg(flags, ap);                                                     \
		va_end(ap);                                                                             \
		if (fk_disk_open_fails(AT_FDCWD, path, flags))                                          \
			return fk_disk_fail(fault_errno);                                               \
		return fk_disk_opened(real_##name(path, flags, mode), AT_FDCWD, path, flags);           \
	}

#define FK_DISK_OPENAT(name)                                                                            \
	int name(int dirfd, const char *path, int flags, ...);                                          \
	int name(int dirfd, const char *path, int flags, ...)                                           \
	{                                                                                               \
		va_list ap;                                                                             \
		int mode;                                                                               \
		REAL(name);                                                                             \
		va_start(ap, flags);                                                                    \
		mode = fk_disk_mode_arg(flags, ap);                                                     \
		va_end(ap);                                                                             \
		if (fk_disk_open_fails(dirfd, path, flags))                                             \
			return fk_disk_fail(fault_errno);                                               \
		return fk_disk_opened(real_##name(dirfd, path, flags, mode), dirfd, path, flags);       \
	}

/* the fortified forms, called when the flags are not a compile-time constant */
#define FK_DISK_OPEN_2(name)                                                                            \
	int name(const char *path, int flags);                                                          \
	int name(const char *path, int flags)                                                           \
	{                                                                                               \
		REAL(name);                                                                             \
		if (fk_disk_open_fails(AT_FDCWD, path, flags))                                          \
			return fk_disk_fail(fault_errno);                                               \
		return fk_disk_opened(real_##name(path, flags), AT_FDCWD, path, flags);                 \
	}

#define FK_DISK_OPENAT_2(name)                                                                          \
	int name(int dirfd, const char *path, int flags);                                               \
	int name(int dirfd, const char *path, int flags)                                                \
	{                                                                                               \
		REAL(name);                                                                             \
		if (fk_disk_open_fails(dirfd, path, flags))                                             \
			return fk_disk_fail(fault_errno);                                               \
		return fk_disk_opened(real_##name(dirfd, path, flags), dirfd, path, flags);             \
	}

#define FK_DISK_CREAT(name)                                                                             \
	int name(const char *path, mode_t mode);                                                        \
	int name(const char *path, mode_t mode)                                                         \
	{                                                                                               \
		int flags = O_CREAT | O_WRONLY | O_TRUNC;                                               \
		REAL(name);                                                                             \
		if (fk_disk_open_fails(AT_FDCWD, path, flags))                                          \
			return fk_disk_fail(fault_errno);                                               \
		return fk_disk_opened(real_##name(path, mode), AT_FDCWD, path, flags);                  \
	}

FK_DISK_OPEN(open)
FK_DISK_OPEN(open64)
FK_DISK_OPENAT(openat)
FK_DISK_OPENAT(openat64)
FK_DISK_OPEN_2(__open_2)
FK_DISK_OPEN_2(__open64_2)
FK_DISK_OPENAT_2(__openat_2)
FK_DISK_OPENAT_2(__openat64_2)
FK_DISK_CREAT(creat)
FK_DISK_CREAT(creat64)

/* ---- write ---- */

ssize_t
write(int fd, const void *buf, size_t count)
{
	ssize_t allowed = fk_disk_write_allowance(fd, count);
	REAL(write);
	if (allowed < 0)
		return fk_disk_fail(fault_errno);
	return real_write(fd, buf, (size_t)allowed);
}

#define FK_DISK_PWRITE(name, off_type)                                                                  \
	ssize_t name(int fd, const void *buf, size_t count, off_type offset);                           \
	ssize_t name(int fd, const void *buf, size_t count, off_type offset)                            \
	{                                                                                               \
		ssize_t allowed = fk_disk_write_allowance(fd, count);                                   \
		REAL(name);                                                                             \
		if (allowed < 0)                                                                        \
			return fk_disk_fail(fault_errno);                                               \
		return real_##name(fd, buf, (size_t)allowed, offset);                                   \
	}

FK_DISK_PWRITE(pwrite, off_t)
FK_DISK_PWRITE(pwrite64, off64_t)

static size_t
fk_disk_iov_total(const struct iovec *iov, int iovcnt)
{
	size_t total = 0;
	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	return total;
}

/* a short vectored write: the first @allowed bytes of @iov, one piece at a time */
static ssize_t
fk_disk_short_writev(int fd, const struct iovec *iov, int iovcnt, size_t allowed)
{
	size_t done = 0;
	REAL(write);
	for (int i = 0; i < iovcnt && done < allowed; i++) {
		size_t n = iov[i].iov_len < allowed - done ? iov[i].iov_len : allowed - done;
		ssize_t r = real_write(fd, iov[i].iov_base, n);
		if (r < 0)
			return done > 0 ? (ssize_t)done : -1;
		done += (size_t)r;
		if ((size_t)r < n)
			break;
	}
	return (ssize_t)done;
}

ssize_t
writev(int fd, const struct iovec *iov, int iovcnt)
{
	size_t total = fk_disk_iov_total(iov, iovcnt);
	ssize_t allowed = fk_disk_write_allowance(fd, total);
	REAL(writev);
	if (allowed < 0)
		return fk_disk_fail(fault_errno);
	if ((size_t)allowed < total)
		return fk_disk_short_writev(fd, iov, iovcnt, (size_t)allowed);
	return real_writev(fd, iov, iovcnt);
}

#define FK_DISK_PWRITEV(name, off_type)                                                                 \
	ssize_t name(int fd, const struct iovec *iov, int iovcnt, off_type offset);                     \
	ssize_t name(int fd, const struct iovec *iov, int iovcnt, off_type offset)                      \
	{                                                                                               \
		size_t total = fk_disk_iov_total(iov, iovcnt);                                          \
		ssize_t allowed = fk_disk_write_allowance(fd, total);                                   \
		REAL(name);                                                                             \
		if (allowed < 0)                                                                        \
			return fk_disk_fail(fault_errno);                                               \
		/* positioned and short: not used by GLib; fail rather than pretend */                  \
		if ((size_t)allowed < total)                                                            \
			return fk_disk_fail(fault_errno);                                               \
		return real_##name(fd, iov, iovcnt, offset);                                            \
	}

FK_DISK_PWRITEV(pwritev, off_t)
FK_DISK_PWRITEV(pwritev64, off64_t)

/* ---- fsync, close ---- */

int
fsync(int fd)
{
	REAL(fsync);
	if (fk_disk_faults_kind() == FK_DISK_FAULT_FSYNC && fk_disk_fd_marked(fd))
		return fk_disk_fail(fault_errno);
	return real_fsync(fd);
}

int
fdatasync(int fd)
{
	REAL(fdatasync);
	if (fk_disk_faults_kind() == FK_DISK_FAULT_FSYNC && fk_disk_fd_marked(fd))
		return fk_disk_fail(fault_errno);
	return real_fdatasync(fd);
}

int
close(int fd)
{
	int marked = fk_disk_fd_marked(fd);
	int r;
	REAL(close);
	fk_disk_fd_mark(fd, 0);
	r = real_close(fd);
	if (r == 0 && marked && fk_disk_faults_kind() == FK_DISK_FAULT_CLOSE)
		return fk_disk_fail(fault_errno);
	return r;
}
