/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "fk-chip.h"
#include "fk-port-doctor.h"

G_BEGIN_DECLS

#define FK_TYPE_CHIP_CARD (fk_chip_card_get_type())
G_DECLARE_FINAL_TYPE(FkChipCard, fk_chip_card, FK, CHIP_CARD, AdwPreferencesGroup)

/* a dash in every row: nothing known */
void
fk_chip_card_clear(FkChipCard *self);
/* what identification found; @flash_size 0 and @crystal_mhz 0 when unknown, @stub_path NULL when
 * no flasher stub is installed for the chip */
void
fk_chip_card_show_device(FkChipCard *self,
			 const FkChipInfo *chip,
			 const gchar *description,
			 const gchar *mac,
			 guint32 flash_id,
			 gsize flash_size,
			 guint crystal_mhz,
			 const gchar *stub_path);
/* whether a backup can be made: @blocked_reason NULL for "ready"; otherwise the reason, with an
 * Install button (win.install-stubs) when @can_install, else @command to run, selectable */
void
fk_chip_card_set_backup_state(FkChipCard *self, const gchar *blocked_reason, gboolean can_install,
			      const gchar *command);
/* the flash chip's JEDEC id as esptool shows it: "Manufacturer C8 (GigaDevice), device 4014" */
gchar *
fk_chip_card_format_flash_id(guint32 flash_id);
void
fk_chip_card_show_identifying(FkChipCard *self);
/* why identification failed, and what to do about it: the port doctor's @diagnosis (may be NULL)
 * and its command, selectable, when it found one */
void
fk_chip_card_show_error(FkChipCard *self, const GError *error, const FkDiagnosis *diagnosis);
/* the spinner in the header */
void
fk_chip_card_set_busy(FkChipCard *self, gboolean busy);

G_END_DECLS
