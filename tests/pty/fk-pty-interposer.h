/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <sys/stat.h>

G_BEGIN_DECLS

/*
 * Lets the real libserialport backend run on a pseudo-terminal: linked into a test program, it
 * answers libserialport's sysfs lookup for /dev/pts/N and emulates the modem-line ioctls that a
 * pty rejects (TIOCMGET, TIOCMSET, TIOCMBIS, TIOCMBIC), keeping DTR and RTS per file descriptor,
 * and the driver settings of TIOCGSERIAL and TIOCSSERIAL per pty.
 * Every change of DTR or RTS is reported, with the time it happened, to the function set here.
 */

/* TRUE = asserted; @when_us is g_get_monotonic_time() at the change */
typedef void (*FkPtyLinesFunc)(gint fd, gboolean dtr, gboolean rts, gint64 when_us, gpointer user_data);

/* called from whichever thread changes the lines, without any interposer lock held */
void
fk_pty_interposer_set_lines_func(FkPtyLinesFunc func, gpointer user_data);
/* forgets every descriptor's line state (a descriptor seen again starts with both asserted,
 * as Linux raises DTR and RTS when a tty is opened) */
void
fk_pty_interposer_reset(void);
/* the flags of TIOCSSERIAL (a USB adapter's driver settings), emulated for the pty @rdev; they
 * outlive its descriptors */
guint
fk_pty_interposer_get_serial_flags(dev_t rdev);
/* how many modem-line ioctls were emulated so far */
guint
fk_pty_interposer_get_emulated_count(void);

/* the C library entry points this file replaces; the Debian libserialport binary calls the old
 * __lxstat rather than lstat */
int
__lxstat(int ver, const char *path, struct stat *buf);

G_END_DECLS
