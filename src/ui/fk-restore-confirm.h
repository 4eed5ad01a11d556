/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "fk-chip.h"

G_BEGIN_DECLS

#define FK_TYPE_RESTORE_CONFIRM (fk_restore_confirm_get_type())
G_DECLARE_FINAL_TYPE(FkRestoreConfirm, fk_restore_confirm, FK, RESTORE_CONFIRM, AdwMessageDialog)

/* a warning about the backup itself (another board, a damaged file), put first, in bold; the
 * restore button says "Restore Anyway" then */
void
fk_restore_confirm_add_warning(FkRestoreConfirm *self, const gchar *warning);

/* asks before the image @path (its contents @image) is written: what it holds, with warnings
 * against the connected chip; @chip_description NULL when the chip is not identified yet.
 * Responses: "cancel", "restore" (disabled when the image cannot be written at all). */
FkRestoreConfirm *
fk_restore_confirm_new(GtkWindow *parent,
		       const gchar *path,
		       GBytes *image,
		       const FkChipInfo *chip,
		       const gchar *chip_description,
		       gsize flash_size);
const gchar *
fk_restore_confirm_get_path(FkRestoreConfirm *self);
/* whether the image starts with a boot image: without one the board will not start */
gboolean
fk_restore_confirm_is_firmware(FkRestoreConfirm *self);

G_END_DECLS
