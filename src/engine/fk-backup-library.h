/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "fk-backup-info.h"
#include "fk-flash-layout.h"
#include "fk-image-info.h"

G_BEGIN_DECLS

/* The backups Flashkeep knows of: the folders it has saved backups to and the files that were
 * opened, kept in a small key file in the user's state folder. Listing them, checking each one
 * against its description and grouping them by board are separate steps, so that a window can
 * run the slow ones in a worker. */

typedef struct _FkBackupLibrary FkBackupLibrary;

typedef enum {
	FK_BACKUP_STATE_UNCHECKED,	     /* not read yet */
	FK_BACKUP_STATE_INTACT,		     /* size and SHA-256 as its description records */
	FK_BACKUP_STATE_DAMAGED,	     /* same size, other contents than when it was saved */
	FK_BACKUP_STATE_INCOMPLETE,	     /* shorter or longer than its description records */
	FK_BACKUP_STATE_NOT_DESCRIBED,	     /* no description: it cannot be checked */
	FK_BACKUP_STATE_DESCRIPTION_INVALID, /* a description that cannot be understood */
	FK_BACKUP_STATE_MISSING,	     /* the file is no longer there */
	FK_BACKUP_STATE_UNREADABLE,	     /* the file cannot be read */
} FkBackupState;

/* one backup (reference counted: fk_backup_entry_ref/unref) */
typedef struct {
	gchar *path;
	FkBackupInfo *info;  /* its description, NULL without one */
	gchar *info_problem; /* why the description could not be used, or NULL */
	guint64 size;	     /* of the file */
	gint64 mtime;	     /* of the file, seconds since 1970 */
	FkBackupState state;
	gchar *state_detail;	       /* what the check found, for a person; NULL when nothing to add */
	FkImageDescription *contents; /* set by fk_backup_entry_check() when the file could be read */
	GArray *layout;		      /* FkFlashSpan: contents across the flash it was saved from, with it */
} FkBackupEntry;

/* @path with its description loaded, not checked yet; NULL when @path is there but is not a
 * regular file */
FkBackupEntry *
fk_backup_entry_new(const gchar *path);
FkBackupEntry *
fk_backup_entry_ref(FkBackupEntry *entry);
void
fk_backup_entry_unref(FkBackupEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FkBackupEntry, fk_backup_entry_unref)

/* the board a backup came from (its MAC), or NULL when it has no description */
const gchar *
fk_backup_entry_get_board(const FkBackupEntry *entry);
/* the time the backup was made: its description's date, else the file's modification time */
gint64
fk_backup_entry_get_time(const FkBackupEntry *entry);

/* reads the file (slow: call it from a worker): describes what it holds and checks its size
 * and SHA-256 against its description; sets the entry's state. FALSE only when cancelled. */
gboolean
fk_backup_entry_check(FkBackupEntry *entry, GCancellable *cancellable, GError **error);

/* the backups of one board, newest first */
typedef struct {
	gchar *board; /* MAC, NULL for the backups without a description */
	gchar *chip_model;
	GPtrArray *entries; /* FkBackupEntry */
} FkBackupGroup;

void
fk_backup_group_free(FkBackupGroup *group);

/* groups @entries by board: the board whose MAC is @connected_board first, then the others by
 * their newest backup, the backups without a description last */
GPtrArray *
fk_backup_library_group(GPtrArray *entries, const gchar *connected_board);

/* the library kept in @state_file, or in the user's state folder when NULL; a missing or
 * unreadable file gives an empty library */
FkBackupLibrary *
fk_backup_library_new(const gchar *state_file);
void
fk_backup_library_free(FkBackupLibrary *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FkBackupLibrary, fk_backup_library_free)

const gchar *
fk_backup_library_get_state_file(FkBackupLibrary *self);

/* a backup was saved at @path: its folder is searched from now on, and the file is listed
 * again if it had been removed from the list */
gboolean
fk_backup_library_add_backup(FkBackupLibrary *self, const gchar *path, GError **error);
/* a file was opened (to restore it): it is listed even without a description */
gboolean
fk_backup_library_add_file(FkBackupLibrary *self, const gchar *path, GError **error);
/* takes @path off the list; with @delete_file the backup and its description are deleted too */
gboolean
fk_backup_library_remove(FkBackupLibrary *self, const gchar *path, gboolean delete_file, GError **error);

/* lists the backups (unchecked): every .bin with a description in the folders, and the files
 * opened; never the ones removed from the list. Reads directories only: fast, but call it from
 * a worker all the same. Safe to call from any thread. */
GPtrArray *
fk_backup_library_list(FkBackupLibrary *self, GCancellable *cancellable);

G_END_DECLS
