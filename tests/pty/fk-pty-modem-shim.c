/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns a preloadable stand-in for the modem-line ioctls a pseudo-terminal rejects, so that
 * pyserial's rfc2217_server (which sets DTR and RTS on every connection) can serve a pty in the
 * interop tests; calls the kernel only */
#include "config.h"

#undef _FORTIFY_SOURCE

#include <errno.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* the lines a pty does not have, remembered per descriptor and reported back as set */
#define FK_SHIM_MAX_FDS 1024
static int fk_shim_bits[FK_SHIM_MAX_FDS];

int
ioctl(int fd, unsigned long request, ...);

int
ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;
	long rc;
	int *bits;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	rc = syscall(SYS_ioctl, fd, request, arg);
	if (rc == 0 || errno != ENOTTY || fd < 0 || fd >= FK_SHIM_MAX_FDS || arg == NULL)
		return (int)rc;
	bits = arg;
	switch (request) {
	case TIOCMGET:
		*bits = fk_shim_bits[fd];
		return 0;
	case TIOCMSET:
		fk_shim_bits[fd] = *bits;
		return 0;
	case TIOCMBIS:
		fk_shim_bits[fd] |= *bits;
		return 0;
	case TIOCMBIC:
		fk_shim_bits[fd] &= ~*bits;
		return 0;
	default:
		errno = ENOTTY;
		return -1;
	}
}
