/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define FK_TYPE_BOARD_PICTURE (fk_board_picture_get_type())
G_DECLARE_FINAL_TYPE(FkBoardPicture, fk_board_picture, FK, BOARD_PICTURE, GtkWidget)

/* a small development board seen from above: the USB socket, the module, and its BOOT and EN
 * buttons, BOOT marked as the one to hold */
GtkWidget *
fk_board_picture_new(void);

G_END_DECLS
