/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "fk-backup-library.h"
#include "fk-chip.h"

G_BEGIN_DECLS

#define FK_TYPE_LIBRARY_VIEW (fk_library_view_get_type())
G_DECLARE_FINAL_TYPE(FkLibraryView, fk_library_view, FK, LIBRARY_VIEW, GtkWidget)

/* the list of backups this view shows and changes; owned by the view */
FkBackupLibrary *
fk_library_view_get_library(FkLibraryView *self);

/* reads the list again and checks every backup in a worker; the rows follow when it is done */
void
fk_library_view_refresh(FkLibraryView *self);
/* whether a refresh is under way */
gboolean
fk_library_view_is_busy(FkLibraryView *self);

/* the board connected now (its MAC, NULL when none): its backups are listed first */
void
fk_library_view_set_connected(FkLibraryView *self, const gchar *board);

/* the entry shown for @path, or NULL */
FkBackupEntry *
fk_library_view_find_entry(FkLibraryView *self, const gchar *path);

G_END_DECLS
