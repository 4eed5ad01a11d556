/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns image_info: what a flash dump or image file holds, printed without a chip attached;
 * calls fk-image-info */
#include "config.h"

#include <glib/gi18n.h>

#include "fk-cli-private.h"
#include "fk-error.h"
#include "fk-image-info.h"

gboolean
fk_cli_cmd_image_info(FkCli *self, gchar **argv, GError **error)
{
	g_autoptr(GMappedFile) file = NULL;
	g_autoptr(FkImageDescription) info = NULL;
	g_autofree gchar *text = NULL;
	g_autoptr(GError) error_local = NULL;

	if (g_strv_length(argv) != 1) {
		g_set_error_literal(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
				    _("image_info takes one FILENAME: a flash backup or an image"));
		return FALSE;
	}
	file = g_mapped_file_new(argv[0], FALSE, &error_local);
	if (file == NULL) {
		g_set_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT, _("%s cannot be read: %s"), argv[0],
			    error_local->message);
		return FALSE;
	}
	info = fk_image_info_describe((const guint8 *)g_mapped_file_get_contents(file),
				      g_mapped_file_get_length(file));
	text = fk_image_info_to_text(info);
	/* Translators: the file name, then what is in it */
	g_print(_("File: %s\n"), argv[0]);
	g_print("%s", text);
	return TRUE;
}
