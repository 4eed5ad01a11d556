/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "fk-job.h"

G_BEGIN_DECLS

#define FK_TYPE_BOARD_CARD (fk_board_card_get_type())
G_DECLARE_FINAL_TYPE(FkBoardCard, fk_board_card, FK, BOARD_CARD, GtkWidget)

/* One connected board on the Workbench: the port and its description, the chip once known, a
 * Back Up button (win.backup-board with the port), its own job's progress with Cancel
 * (win.cancel-board), and the outcome. It shows a job; the window starts and ends it. */
FkBoardCard *
fk_board_card_new(const gchar *port, const gchar *description);
const gchar *
fk_board_card_get_port(FkBoardCard *self);
void
fk_board_card_set_description(FkBoardCard *self, const gchar *description);
/* what the chip said it is, once connected */
void
fk_board_card_set_chip(FkBoardCard *self, const gchar *chip_description, const gchar *mac);
/* the card's job, NULL while idle */
FkJob *
fk_board_card_get_job(FkBoardCard *self);
/* shows @job's progress and Cancel; the card keeps a reference until fk_board_card_stop() */
void
fk_board_card_start(FkBoardCard *self, FkJob *job);
void
fk_board_card_stop(FkBoardCard *self);
void
fk_board_card_show_cancelling(FkBoardCard *self);
/* @text NULL hides the outcome */
void
fk_board_card_set_result(FkBoardCard *self, gboolean success, const gchar *text);
/* whether Back Up can start here; @why (or NULL) says why not, as its tooltip */
void
fk_board_card_set_startable(FkBoardCard *self, gboolean startable, const gchar *why);
gboolean
fk_board_card_get_startable(FkBoardCard *self);

G_END_DECLS
