/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the lock on a state file that several boards' operations change (fk-state-file.h);
 * calls only libc */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/file.h>
#include <unistd.h>

#include "fk-state-file.h"

gint
fk_state_file_lock(const gchar *path)
{
	g_autofree gchar *dir = g_path_get_dirname(path);
	g_autofree gchar *lock_path = g_strconcat(path, ".lock", NULL);
	gint fd;

	if (g_mkdir_with_parents(dir, 0700) != 0) {
		g_debug("cannot create %s: %s", dir, g_strerror(errno));
		return -1;
	}
	fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		g_debug("cannot open %s: %s", lock_path, g_strerror(errno));
		return -1;
	}
	/* each open() is its own open file description: a second thread waits here too */
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			g_debug("cannot lock %s: %s", lock_path, g_strerror(errno));
			close(fd);
			return -1;
		}
	}
	return fd;
}

void
fk_state_file_unlock(gint fd)
{
	if (fd >= 0)
		close(fd);
}
