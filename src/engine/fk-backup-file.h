/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The file a backup is written to, made so that no partial backup is ever visible under the
 * target's name and none outlives its process: an unnamed file (O_TMPFILE) that is linked in
 * and renamed over the target only when it is complete; where the file system has no unnamed
 * files, a short hidden name locked while in use, which the next backup into that folder
 * removes when no live process holds it. */
typedef struct {
	gchar *target;	 /* the path finally written: the caller's, or its symlink's target */
	gchar *dir;	 /* the folder the file is made in */
	gchar *tmp_name; /* the temporary file's name, NULL while it has none (O_TMPFILE) */
	gint fd;
} FkBackupFile;

/* what fk_backup_file_*() did when they failed, so that the caller can word the errno */
typedef enum {
	FK_BACKUP_FILE_STAGE_CREATE, /* making the temporary file */
	FK_BACKUP_FILE_STAGE_SAVE,   /* syncing, linking or renaming it */
} FkBackupFileStage;

/* "a folder", "a device", "a pipe (FIFO)", "a socket" or "not a regular file" for a stat mode */
const gchar *
fk_file_kind_describe(guint mode);

/* checks that @path can take a backup, before anything is read from a chip: a name is given, it
 * is absent or a regular file, or a symlink to a regular file (written through, as cp does);
 * a folder, a device, a FIFO or a socket is refused. Returns the path to replace. */
gchar *
fk_backup_file_check_target(const gchar *path, GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* makes the temporary file for @path (checked first); on failure returns NULL with *@errsv set
 * (0 when @error says it all) */
FkBackupFile *
fk_backup_file_new(const gchar *path, gint *errsv, GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* gives the complete, synced file its hidden temporary name (an unnamed file needs its descriptor
 * still open for that): call before closing. Returns an errno, 0 on success */
gint
fk_backup_file_prepare(FkBackupFile *self);

/* after a successful close: renames the file over the target, atomically. Returns an errno, 0
 * on success */
gint
fk_backup_file_commit(FkBackupFile *self);

/* forgets a temporary file that was not committed (an unnamed one goes with its descriptor) */
void
fk_backup_file_free(FkBackupFile *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FkBackupFile, fk_backup_file_free)

G_END_DECLS
