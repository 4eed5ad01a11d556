/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* the replacements below must be plain functions under their plain names: not the fortified
 * inline wrappers, and not redirected to the *64 variants */
#undef _FORTIFY_SOURCE
#undef _FILE_OFFSET_BITS

#include <errno.h>
#include <fcntl.h>
#include <linux/serial.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fk-pty-interposer.h"

/*
 * Symbol interposition: these definitions live in the test executable, so the dynamic linker
 * binds libserialport's (and everybody else's) calls to them. They reach the kernel directly
 * (syscall, fstatat, readlinkat) for everything that is not a pty, so nothing else changes.
 */

#define FK_PTY_SYSFS_PREFIX "/sys/class/tty/pts/"
#define FK_PTY_MAX_FDS	    4096

/* Unix98 pty slaves: majors 136 to 143 */
#define FK_PTY_SLAVE_MAJOR_FIRST 136
#define FK_PTY_SLAVE_MAJOR_LAST	 143

typedef struct {
	gboolean known;
	dev_t rdev;
	gboolean dtr;
	gboolean rts;
} FkPtyLineState;

static GMutex fk_pty_lock;
static FkPtyLineState fk_pty_states[FK_PTY_MAX_FDS];
static FkPtyLinesFunc fk_pty_lines_func = NULL;
static gpointer fk_pty_lines_data = NULL;
static guint fk_pty_emulated_count = 0;
/* a USB adapter's driver settings (TIOCGSERIAL), per pty: rdev → flags; they outlive the
 * descriptors, as a driver's do */
static GHashTable *fk_pty_serial_flags = NULL;

guint
fk_pty_interposer_get_serial_flags(dev_t rdev)
{
	guint flags;
	g_mutex_lock(&fk_pty_lock);
	flags = fk_pty_serial_flags != NULL
		    ? GPOINTER_TO_UINT(g_hash_table_lookup(fk_pty_serial_flags, GSIZE_TO_POINTER((gsize)rdev)))
		    : 0;
	g_mutex_unlock(&fk_pty_lock);
	return flags;
}

static int
fk_pty_emulate_serial_ioctl(dev_t rdev, unsigned long int request, struct serial_struct *ss)
{
	g_mutex_lock(&fk_pty_lock);
	if (fk_pty_serial_flags == NULL)
		fk_pty_serial_flags = g_hash_table_new(g_direct_hash, g_direct_equal);
	if (request == TIOCGSERIAL) {
		memset(ss, 0, sizeof(*ss));
		ss->flags = (int)GPOINTER_TO_UINT(g_hash_table_lookup(fk_pty_serial_flags, GSIZE_TO_POINTER((gsize)rdev)));
	} else {
		g_hash_table_insert(fk_pty_serial_flags, GSIZE_TO_POINTER((gsize)rdev), GUINT_TO_POINTER((guint)ss->flags));
	}
	g_mutex_unlock(&fk_pty_lock);
	return 0;
}

void
fk_pty_interposer_set_lines_func(FkPtyLinesFunc func, gpointer user_data)
{
	g_mutex_lock(&fk_pty_lock);
	fk_pty_lines_func = func;
	fk_pty_lines_data = user_data;
	g_mutex_unlock(&fk_pty_lock);
}

void
fk_pty_interposer_reset(void)
{
	g_mutex_lock(&fk_pty_lock);
	memset(fk_pty_states, 0, sizeof(fk_pty_states));
	fk_pty_emulated_count = 0;
	g_mutex_unlock(&fk_pty_lock);
}

guint
fk_pty_interposer_get_emulated_count(void)
{
	guint count;
	g_mutex_lock(&fk_pty_lock);
	count = fk_pty_emulated_count;
	g_mutex_unlock(&fk_pty_lock);
	return count;
}

/* "/sys/class/tty/pts/N" for an existing /dev/pts/N: returns N's device node path */
static gboolean
fk_pty_sysfs_path_to_dev(const char *path, char *dev, gsize dev_size)
{
	const char *num;
	struct stat st;

	if (path == NULL || strncmp(path, FK_PTY_SYSFS_PREFIX, strlen(FK_PTY_SYSFS_PREFIX)) != 0)
		return FALSE;
	num = path + strlen(FK_PTY_SYSFS_PREFIX);
	if (num[0] == '\0' || strspn(num, "0123456789") != strlen(num))
		return FALSE;
	g_snprintf(dev, dev_size, "/dev/pts/%s", num);
	return fstatat(AT_FDCWD, dev, &st, 0) == 0 && S_ISCHR(st.st_mode);
}

static void
fk_pty_fake_sysfs_link(struct stat *buf)
{
	memset(buf, 0, sizeof(*buf));
	buf->st_mode = S_IFLNK | 0777;
	buf->st_nlink = 1;
}

int
lstat(const char *path, struct stat *buf)
{
	char dev[64];
	if (fk_pty_sysfs_path_to_dev(path, dev, sizeof(dev))) {
		fk_pty_fake_sysfs_link(buf);
		return 0;
	}
	return fstatat(AT_FDCWD, path, buf, AT_SYMLINK_NOFOLLOW);
}

int
lstat64(const char *path, struct stat64 *buf)
{
	char dev[64];
	if (fk_pty_sysfs_path_to_dev(path, dev, sizeof(dev))) {
		memset(buf, 0, sizeof(*buf));
		buf->st_mode = S_IFLNK | 0777;
		buf->st_nlink = 1;
		return 0;
	}
	return fstatat64(AT_FDCWD, path, buf, AT_SYMLINK_NOFOLLOW);
}

int
__lxstat(int ver, const char *path, struct stat *buf)
{
	/* x86-64 and aarch64 glibc use the kernel's struct stat for every version */
	return lstat(path, buf);
}

ssize_t
readlink(const char *path, char *buf, size_t bufsiz)
{
	char dev[64];
	if (fk_pty_sysfs_path_to_dev(path, dev, sizeof(dev))) {
		/* a class link as a platform tty would have: neither "usb" nor "bluetooth" */
		g_autofree gchar *target = g_strdup_printf("../../devices/platform/flashkeep-pty/tty/%s",
							   path + strlen("/sys/class/tty/"));
		gsize len = MIN(strlen(target), bufsiz);
		memcpy(buf, target, len);
		return (ssize_t)len;
	}
	return readlinkat(AT_FDCWD, path, buf, bufsiz);
}

static gboolean
fk_pty_fd_is_slave(int fd, dev_t *rdev)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode))
		return FALSE;
	if (major(st.st_rdev) < FK_PTY_SLAVE_MAJOR_FIRST ||
	    major(st.st_rdev) > FK_PTY_SLAVE_MAJOR_LAST)
		return FALSE;
	*rdev = st.st_rdev;
	return TRUE;
}

static int
fk_pty_emulate_modem_ioctl(int fd, dev_t rdev, unsigned long request, int *arg)
{
	FkPtyLineState *state;
	FkPtyLinesFunc func;
	gpointer func_data;
	gboolean old_dtr;
	gboolean old_rts;
	gboolean dtr;
	gboolean rts;
	gint64 now;

	if (fd < 0 || fd >= FK_PTY_MAX_FDS || arg == NULL) {
		errno = EINVAL;
		return -1;
	}

	g_mutex_lock(&fk_pty_lock);
	fk_pty_emulated_count++;
	state = &fk_pty_states[fd];
	if (!state->known || state->rdev != rdev) {
		state->known = TRUE;
		state->rdev = rdev;
		state->dtr = TRUE;
		state->rts = TRUE;
	}
	if (request == TIOCMGET) {
		*arg = TIOCM_CTS | TIOCM_DSR | TIOCM_CD;
		if (state->dtr)
			*arg |= TIOCM_DTR;
		if (state->rts)
			*arg |= TIOCM_RTS;
		g_mutex_unlock(&fk_pty_lock);
		return 0;
	}
	old_dtr = state->dtr;
	old_rts = state->rts;
	if (request == TIOCMSET) {
		state->dtr = (*arg & TIOCM_DTR) != 0;
		state->rts = (*arg & TIOCM_RTS) != 0;
	} else if (request == TIOCMBIS) {
		if (*arg & TIOCM_DTR)
			state->dtr = TRUE;
		if (*arg & TIOCM_RTS)
			state->rts = TRUE;
	} else {
		if (*arg & TIOCM_DTR)
			state->dtr = FALSE;
		if (*arg & TIOCM_RTS)
			state->rts = FALSE;
	}
	dtr = state->dtr;
	rts = state->rts;
	now = g_get_monotonic_time();
	func = fk_pty_lines_func;
	func_data = fk_pty_lines_data;
	g_mutex_unlock(&fk_pty_lock);

	if (func != NULL && (dtr != old_dtr || rts != old_rts))
		func(fd, dtr, rts, now, func_data);
	return 0;
}

int
ioctl(int fd, unsigned long int request, ...)
{
	va_list ap;
	void *arg;
	long rc;
	int errsv;
	dev_t rdev = 0;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);

	rc = syscall(SYS_ioctl, fd, request, arg);
	if (rc >= 0)
		return (int)rc;
	/* a pty refuses modem-line requests; a hung-up one fails with EIO, which stays */
	errsv = errno;
	if (errsv != ENOTTY && errsv != EINVAL)
		return -1;
	if (request != TIOCMGET && request != TIOCMSET && request != TIOCMBIS &&
	    request != TIOCMBIC && request != TIOCGSERIAL && request != TIOCSSERIAL)
		return -1;
	if (!fk_pty_fd_is_slave(fd, &rdev) || arg == NULL) {
		errno = errsv;
		return -1;
	}
	if (request == TIOCGSERIAL || request == TIOCSSERIAL)
		return fk_pty_emulate_serial_ioctl(rdev, request, arg);
	return fk_pty_emulate_modem_ioctl(fd, rdev, request, arg);
}
