/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "fk-device.h"

G_BEGIN_DECLS

typedef enum {
	FK_BACKUP_FLAG_NONE = 0,
	FK_BACKUP_FLAG_NO_SIDECAR = 1 << 0, /* no description beside the backup, as esptool */
} FkBackupFlags;

/* reads @size bytes at @offset into @path: streamed into a temporary file beside it, checked
 * against the chip's MD5, synced, and only then renamed into place, with its description
 * (fk-backup-info.h) beside it unless FK_BACKUP_FLAG_NO_SIDECAR. On any failure or cancel the
 * temporary files are removed and @path and its description are untouched.
 *
 * When the backup is saved but its description cannot be, the backup stands: TRUE, and
 * @warning (if not NULL) says why there is no description. A description left from an older
 * backup under the same name never survives beside the new one. */
gboolean
fk_flash_backup_full(FkDevice *device,
		     guint32 offset,
		     gsize size,
		     const gchar *path,
		     FkBackupFlags flags,
		     GError **warning,
		     FkProgress *progress,
		     GCancellable *cancellable,
		     GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* fk_flash_backup_full() with its description; a description that cannot be saved is logged */
gboolean
fk_flash_backup(FkDevice *device,
		guint32 offset,
		gsize size,
		const gchar *path,
		FkProgress *progress,
		GCancellable *cancellable,
		GError **error) G_GNUC_WARN_UNUSED_RESULT;

typedef struct {
	const gchar *flash_mode; /* NULL or "keep" */
	const gchar *flash_freq;
	const gchar *flash_size;
	FkWriteFlags flags;
} FkRestoreOptions;

/* checks the flash mode, frequency and size names in @options before anything reaches a chip:
 * for @chip, or for any chip while it is not known yet (NULL) */
gboolean
fk_restore_options_check(const FkRestoreOptions *options, const FkChipInfo *chip, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;

/* writes an image file at @offset: validated first (non-empty, fits the flash), the boot header
 * updated as requested, then written and verified */
gboolean
fk_flash_restore(FkDevice *device,
		 guint32 offset,
		 const gchar *path,
		 const FkRestoreOptions *options,
		 FkProgress *progress,
		 GCancellable *cancellable,
		 GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* compares the flash with an image file through the chip's MD5 */
gboolean
fk_flash_verify(FkDevice *device,
		guint32 offset,
		const gchar *path,
		GCancellable *cancellable,
		GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* loads an image file, with errors a person can act on */
GBytes *
fk_flash_load_image(const gchar *path, GError **error);

G_END_DECLS
