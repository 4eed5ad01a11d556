/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "fk-flash-layout.h"

G_BEGIN_DECLS

#define FK_TYPE_FLASH_BAR (fk_flash_bar_get_type())
G_DECLARE_FINAL_TYPE(FkFlashBar, fk_flash_bar, FK, FLASH_BAR, GtkWidget)

/* a picture of the flash: one coloured span per region across its size, the app the
 * bootloader starts outlined, and a legend with each region's name and size below */
GtkWidget *
fk_flash_bar_new(void);
/* shows @desc across @flash_size (the image's own size when 0); @desc may be freed afterwards.
 * Without the image's bytes, small stretches between regions show as other data. */
void
fk_flash_bar_set_description(FkFlashBar *self, const FkImageDescription *desc, gsize flash_size);
/* shows the image @image across @flash_size (the image's own size when 0) */
void
fk_flash_bar_set_image(FkFlashBar *self, GBytes *image, gsize flash_size);
/* shows spans made by fk_flash_layout_new() (a reference is taken) */
void
fk_flash_bar_set_spans(FkFlashBar *self, GArray *spans);
guint
fk_flash_bar_get_n_spans(FkFlashBar *self);
/* the span @index (< fk_flash_bar_get_n_spans()) */
const FkFlashSpan *
fk_flash_bar_get_span(FkFlashBar *self, guint index);

G_END_DECLS
