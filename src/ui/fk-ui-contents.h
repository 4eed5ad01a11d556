/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "fk-image-info.h"

G_BEGIN_DECLS

/* what a flash dump holds, in a few words for a list: "flashkeep-demo 1.4.2", "Tasmota 13.1.0",
 * "empty (erased)"; @desc may be NULL (not read) */
gchar *
fk_ui_describe_contents(const FkImageDescription *desc);
/* the partition @i of @desc's table: "app · 1 MB at 0x10000 · flashkeep-demo 1.4.2 · started at boot" */
gchar *
fk_ui_describe_partition(const FkImageDescription *desc, guint i);
/* its parts, a line each ("factory · app · 1 MB at 0x10000 · flashkeep-demo 1.4.2, started");
 * NULL when it has none to list */
gchar *
fk_ui_describe_parts(const FkImageDescription *desc);

G_END_DECLS
