/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "fk-chip.h"

G_BEGIN_DECLS

#define FK_TYPE_CHIP_CARD (fk_chip_card_get_type())
G_DECLARE_FINAL_TYPE(FkChipCard, fk_chip_card, FK, CHIP_CARD, AdwPreferencesGroup)

/* a dash in every row: nothing known */
void
fk_chip_card_clear(FkChipCard *self);
/* what identification found; @flash_size 0 and @crystal_mhz 0 when unknown */
void
fk_chip_card_show_device(FkChipCard *self,
			 const FkChipInfo *chip,
			 const gchar *description,
			 const gchar *mac,
			 guint32 flash_id,
			 gsize flash_size,
			 guint crystal_mhz,
			 gboolean stub_installed);
void
fk_chip_card_show_identifying(FkChipCard *self);
/* why identification failed, and what to do about it */
void
fk_chip_card_show_error(FkChipCard *self, const GError *error);
/* the spinner in the header */
void
fk_chip_card_set_busy(FkChipCard *self, gboolean busy);

G_END_DECLS
