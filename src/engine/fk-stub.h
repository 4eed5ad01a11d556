/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "fk-chip.h"

G_BEGIN_DECLS

/* an Espressif flasher stub image (esptool JSON format) */
typedef struct {
	gchar *path;
	guint32 entry;
	guint32 text_start;
	GBytes *text;
	guint32 data_start;
	GBytes *data; /* may be NULL */
} FkStub;

void
fk_stub_free(FkStub *stub);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FkStub, fk_stub_free)

FkStub *
fk_stub_load_file(const gchar *path, GError **error);
/* checks what can be checked without knowing the chip: well-formed JSON, numeric and 4-byte
 * aligned addresses, strict base64, sane sizes, the entry point inside the code, segments that
 * neither overlap nor wrap; FK_ERROR_STUB_INVALID naming @origin otherwise */
FkStub *
fk_stub_load_data(const gchar *json, gssize len, const gchar *origin, GError **error);
/* FK_ERROR_STUB_INVALID unless the code lies in @chip's instruction RAM and the data in its
 * data RAM: a stub for another chip, or a damaged one, is never uploaded */
gboolean
fk_stub_check_chip(const FkStub *stub, const FkChipInfo *chip, GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* directories searched, in order: $FLASHKEEP_STUB_PATH (colon separated), the user's data dir
 * ($XDG_DATA_HOME/flashkeep/stubs), the installed data dir, system data dirs, then existing
 * esptool and esptool-js installations */
GPtrArray *
fk_stub_search_dirs(void);
/* the user's own stub directory, $XDG_DATA_HOME/flashkeep/stubs: searched first after
 * $FLASHKEEP_STUB_PATH, and where fk_stub_install_from() copies stubs to */
gchar *
fk_stub_user_dir(void);
/* appends the esptool and esptool-js installation directories fk_stub_search_dirs() ends with */
void
fk_stub_add_tool_dirs(GPtrArray *dirs);
/* finds and loads the stub for @chip; FK_ERROR_STUB_MISSING when none is installed,
 * FK_ERROR_STUB_INVALID when the one found is damaged or is not for @chip */
FkStub *
fk_stub_find(const FkChipInfo *chip, GError **error);

G_END_DECLS
