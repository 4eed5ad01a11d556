/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define FK_TYPE_WINDOW (fk_window_get_type())
G_DECLARE_FINAL_TYPE(FkWindow, fk_window, FK, WINDOW, AdwApplicationWindow)

FkWindow *
fk_window_new(AdwApplication *app);

/* for tests and scripting: the port selected, and whether an operation is running */
const gchar *
fk_window_get_port(FkWindow *self);
gboolean
fk_window_select_port(FkWindow *self, const gchar *port);
gboolean
fk_window_is_busy(FkWindow *self);
/* the file name Backup proposes in @folder: it says how much of which chip it holds, and is
 * not yet taken there */
gchar *
fk_window_propose_backup_name(FkWindow *self, const gchar *folder);

G_END_DECLS
