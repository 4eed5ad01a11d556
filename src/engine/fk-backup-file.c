/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the backup's file on disk: the target check, the unnamed (or hidden, locked) temporary
 * file, the atomic link and rename, and removing what killed backups left; calls only libc */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fk-backup-file.h"
#include "fk-error.h"

/* short, so that a target name of any legal length still works beside it */
#define FK_BACKUP_TMP_PREFIX ".flashkeep-"
#define FK_BACKUP_TMP_SUFFIX ".part"
/* a hidden file is removed only when unlocked and this old: a backup that has just made its
 * file but not yet locked it is never taken for a dead one */
#define FK_BACKUP_STALE_SECS 60

const gchar *
fk_file_kind_describe(guint mode)
{
	if (S_ISDIR(mode))
		return "a folder";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	if (S_ISFIFO(mode))
		return "a pipe (FIFO)";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a regular file";
}

gchar *
fk_backup_file_check_target(const gchar *path, GError **error)
{
	struct stat st;

	if (path == NULL || path[0] == '\0') {
		g_set_error_literal(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
				    "No file name was given for the backup: choose where to save it "
				    "(nothing was read)");
		return NULL;
	}
	if (lstat(path, &st) != 0)
		return g_strdup(path); /* absent, or its folder is: creating the file will say */
	if (S_ISLNK(st.st_mode)) {
		/* as cp does: the file at the end of the links is replaced, the link stays */
		g_autofree gchar *target = g_file_read_link(path, NULL);
		gchar *real = realpath(path, NULL);
		if (real == NULL || stat(real, &st) != 0) {
			free(real);
			g_set_error(error, FK_ERROR, FK_ERROR_FILE,
				    "%s is a link to %s, which does not exist: choose another name or "
				    "remove the link (nothing was read)",
				    path, target != NULL ? target : "nothing");
			return NULL;
		}
		if (!S_ISREG(st.st_mode)) {
			g_set_error(error, FK_ERROR, FK_ERROR_FILE,
				    "%s is a link to %s, which is %s: choose a file name for the backup "
				    "(nothing was read)",
				    path, target != NULL ? target : real, fk_file_kind_describe(st.st_mode));
			free(real);
			return NULL;
		}
		return real; /* malloc'd; GLib's g_free is free() */
	}
	if (S_ISDIR(st.st_mode)) {
		g_set_error(error, FK_ERROR, FK_ERROR_FILE,
			    "%s is a folder: choose a file name for the backup (%s)", path, g_strerror(EISDIR));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		g_set_error(error, FK_ERROR, FK_ERROR_FILE,
			    "%s is %s, not a file: choose a file name for the backup (nothing was read)", path,
			    fk_file_kind_describe(st.st_mode));
		return NULL;
	}
	return g_strdup(path);
}

/* hidden temporary files of backups that were killed: unlocked and not touched for a while */
static void
fk_backup_file_remove_stale(const gchar *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const gchar *name;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		g_autofree gchar *path = NULL;
		struct stat st;
		int fd;
		if (!g_str_has_prefix(name, FK_BACKUP_TMP_PREFIX) || !g_str_has_suffix(name, FK_BACKUP_TMP_SUFFIX))
			continue;
		path = g_build_filename(dir, name, NULL);
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && now - st.st_mtime >= FK_BACKUP_STALE_SECS &&
		    flock(fd, LOCK_EX | LOCK_NB) == 0) {
			g_debug("removing %s, left by a backup that did not finish", path);
			g_unlink(path);
		}
		close(fd);
	}
}

FkBackupFile *
fk_backup_file_new(const gchar *path, gint *errsv, GError **error)
{
	g_autoptr(FkBackupFile) self = g_new0(FkBackupFile, 1);

	*errsv = 0;
	self->fd = -1;
	self->target = fk_backup_file_check_target(path, error);
	if (self->target == NULL)
		return NULL;
	self->dir = g_path_get_dirname(self->target);
	fk_backup_file_remove_stale(self->dir);

	/* unnamed: nothing to see, nothing left if the process dies */
	self->fd = open(self->dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
	if (self->fd < 0 && errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
		*errsv = errno;
		return NULL;
	}
	if (self->fd < 0) {
		/* a file system without unnamed files (FAT, some network ones) */
		self->tmp_name = g_build_filename(self->dir, FK_BACKUP_TMP_PREFIX "XXXXXX" FK_BACKUP_TMP_SUFFIX, NULL);
		self->fd = g_mkstemp_full(self->tmp_name, O_WRONLY | O_CLOEXEC, 0644);
		if (self->fd < 0) {
			*errsv = errno;
			g_clear_pointer(&self->tmp_name, g_free);
			return NULL;
		}
	}
	/* held while the file is in use, so that no other backup takes it for a dead one */
	if (flock(self->fd, LOCK_EX | LOCK_NB) != 0)
		g_debug("cannot lock the temporary file in %s: %s", self->dir, g_strerror(errno));
	return g_steal_pointer(&self);
}

gint
fk_backup_file_prepare(FkBackupFile *self)
{
	g_autofree gchar *proc = g_strdup_printf("/proc/self/fd/%d", self->fd);

	if (self->tmp_name != NULL)
		return 0;
	for (guint attempt = 0; attempt < 100; attempt++) {
		g_autofree gchar *name = g_strdup_printf(FK_BACKUP_TMP_PREFIX "%06x" FK_BACKUP_TMP_SUFFIX,
							 g_random_int_range(0, 0x1000000));
		g_autofree gchar *tmp = g_build_filename(self->dir, name, NULL);
		/* AT_EMPTY_PATH needs a capability; the /proc link works for everyone */
		if (linkat(self->fd, "", AT_FDCWD, tmp, AT_EMPTY_PATH) == 0 ||
		    linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) == 0) {
			self->tmp_name = g_steal_pointer(&tmp);
			return 0;
		}
		if (errno != EEXIST)
			return errno;
	}
	return EEXIST;
}

gint
fk_backup_file_commit(FkBackupFile *self)
{
	g_return_val_if_fail(self->tmp_name != NULL, EINVAL);
	if (g_rename(self->tmp_name, self->target) != 0)
		return errno;
	g_clear_pointer(&self->tmp_name, g_free);
	return 0;
}

void
fk_backup_file_free(FkBackupFile *self)
{
	if (self == NULL)
		return;
	if (self->tmp_name != NULL)
		g_unlink(self->tmp_name);
	g_free(self->tmp_name);
	g_free(self->target);
	g_free(self->dir);
	g_free(self);
}
