/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "fk-chip.h"

G_BEGIN_DECLS

/* TRUE when backing up @chip needs its flasher stub: the ESP8266 ROM can neither read its flash
 * quickly nor compute the MD5 a backup is checked with */
gboolean
fk_stub_needed_for_backup(const FkChipInfo *chip);

/* the esptool and esptool-js installations on this machine that hold stub files (*.json), in
 * the order fk_stub_search_dirs() uses, followed by those it does not search (a local
 * `npm install esptool-js` in the home folder, pipx, PlatformIO); each a directory path */
GPtrArray *
fk_stub_list_sources(void);

/* copies every valid stub file of @source_dir into @dest_dir (NULL: fk_stub_user_dir()), each
 * replaced atomically; files the stub parser refuses are left out. Fails with
 * FK_ERROR_STUB_MISSING when @source_dir holds no usable stub. @n_installed: how many were copied */
gboolean
fk_stub_install_from(const gchar *source_dir, const gchar *dest_dir, guint *n_installed,
		     GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* a command that installs the stubs on this machine, to show a person when no source exists:
 * the installed flashkeep-fetch-stubs, else npm, pipx, apt-get or pip, whichever is there */
gchar *
fk_stub_install_command(void);

G_END_DECLS
