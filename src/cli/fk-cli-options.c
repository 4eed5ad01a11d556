/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the CLI's checks of what it was given, all made before the port is opened: numbers, sizes,
 * address ranges, --before/--after/--chip, image pairs and overlaps; calls fk-flash, fk-backup-file,
 * fk-port and the chip table */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <string.h>
#include <unistd.h>

#include "fk-cli-private.h"
#include "fk-error.h"
#include "fk-flash.h"
#include "fk-port.h"

gboolean
fk_cli_parse_u32(const gchar *text, guint32 *value, const gchar *what, GError **error)
{
	guint64 v = 0;
	g_autoptr(GError) error_local = NULL;
	if (!g_ascii_string_to_unsigned(text + (g_str_has_prefix(text, "0x") || g_str_has_prefix(text, "0X") ? 2 : 0),
					 g_str_has_prefix(text, "0x") || g_str_has_prefix(text, "0X") ? 16 : 10,
					 0,
					 G_MAXUINT32,
					 &v,
					 &error_local)) {
		if (g_error_matches(error_local, G_NUMBER_PARSER_ERROR, G_NUMBER_PARSER_ERROR_OUT_OF_BOUNDS))
			g_set_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
				    "%s “%s” is past 4 GB: addresses are 32 bits (at most 0xFFFFFFFF)", what, text);
		else
			g_set_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
				    "%s “%s” is not a number (use decimal or 0x hexadecimal)", what, text);
		return FALSE;
	}
	*value = (guint32)v;
	return TRUE;
}

/* a size for read_flash or erase_region: 0 and nonsense are refused with different words */
gboolean
fk_cli_parse_size(const gchar *text, gsize *size, GError **error)
{
	guint64 zero = 1;
	*size = fk_parse_size(text);
	if (*size > 0)
		return TRUE;
	if (g_ascii_string_to_unsigned(text + (g_ascii_strncasecmp(text, "0x", 2) == 0 ? 2 : 0),
				       g_ascii_strncasecmp(text, "0x", 2) == 0 ? 16 : 10,
				       0,
				       0,
				       &zero,
				       NULL)) {
		g_set_error_literal(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
				    "The size is 0, so there is nothing to do: give a size such as 0x1000 or 1MB");
		return FALSE;
	}
	g_set_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
		    "Size “%s” is not a size (e.g. 0x100000, 1MB or 512KB)", text);
	return FALSE;
}

/* addresses are 32 bits: a region that wraps round past 4 GB is a typing mistake, whatever
 * the flash size turns out to be */
gboolean
fk_cli_check_address_space(guint32 offset, guint64 size, const gchar *nothing, GError **error)
{
	/* subtracted, not added: a size near 2^64 must not wrap round to something small */
	if (size <= G_GUINT64_CONSTANT(0x100000000) - offset)
		return TRUE;
	g_set_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
		    "0x%" G_GINT64_MODIFIER "x bytes at 0x%x would end past 4 GB, beyond any flash: check the "
		    "address and the size (nothing was %s)",
		    size, offset, nothing);
	return FALSE;
}

gboolean
fk_cli_parse_before(const gchar *text, FkResetMode *mode, GError **error)
{
	g_autofree gchar *t = g_strdelimit(g_strdup(text), "-", '_');
	if (g_strcmp0(t, "default_reset") == 0)
		*mode = FK_RESET_AUTO;
	else if (g_strcmp0(t, "usb_reset") == 0)
		*mode = FK_RESET_USB_JTAG;
	else if (g_strcmp0(t, "no_reset") == 0)
		*mode = FK_RESET_NONE;
	else if (g_strcmp0(t, "no_reset_no_sync") == 0)
		*mode = FK_RESET_NONE_NO_SYNC;
	else {
		g_set_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
			    "--before takes default_reset, usb_reset, no_reset or no_reset_no_sync");
		return FALSE;
	}
	return TRUE;
}

gboolean
fk_cli_parse_after(const gchar *text, FkAfterMode *mode, GError **error)
{
	g_autofree gchar *t = g_strdelimit(g_strdup(text), "-", '_');
	if (g_strcmp0(t, "hard_reset") == 0)
		*mode = FK_AFTER_HARD_RESET;
	else if (g_strcmp0(t, "soft_reset") == 0)
		*mode = FK_AFTER_SOFT_RESET;
	else if (g_strcmp0(t, "no_reset") == 0)
		*mode = FK_AFTER_NO_RESET;
	else if (g_strcmp0(t, "no_reset_stub") == 0)
		*mode = FK_AFTER_NO_RESET_STUB;
	else {
		g_set_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
			    "--after takes hard_reset, soft_reset, no_reset or no_reset_stub");
		return FALSE;
	}
	return TRUE;
}

gchar *
fk_cli_default_port(GError **error)
{
	g_autoptr(GPtrArray) ports = fk_port_list(NULL);
	if (ports != NULL) {
		for (guint i = 0; i < ports->len; i++) {
			FkPortInfo *info = g_ptr_array_index(ports, i);
			if (info->kind == FK_PORT_KIND_USB)
				return g_strdup(info->name);
		}
	}
	g_set_error_literal(error, FK_ERROR, FK_ERROR_PORT_NOT_FOUND,
			    "No USB serial port found: plug the board in, or name a port with --port "
			    "(a simulated chip: --port sim:esp8266@1MB)");
	return NULL;
}

/* the options every connecting command shares, checked before the port is opened so that a
 * typing mistake never costs a backup or a write */
gboolean
fk_cli_check_global_options(FkCli *self, GError **error)
{
	self->before_mode = FK_RESET_AUTO;
	self->after_mode = FK_AFTER_HARD_RESET;
	if (self->wait_s < 0) {
		g_set_error_literal(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
				    "--wait takes a number of seconds, 0 or more");
		return FALSE;
	}
	if (self->before != NULL && !fk_cli_parse_before(self->before, &self->before_mode, error))
		return FALSE;
	if (self->after != NULL && !fk_cli_parse_after(self->after, &self->after_mode, error))
		return FALSE;
	if (self->chip != NULL && g_ascii_strcasecmp(self->chip, "auto") != 0) {
		self->expected_chip = fk_chip_by_name(self->chip);
		if (self->expected_chip == NULL) {
			g_set_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT, "Unknown chip “%s”", self->chip);
			return FALSE;
		}
	}
	if (self->spi_connection != NULL && !fk_spi_connection_parse(self->spi_connection, &self->spi_value, error))
		return FALSE;
	return TRUE;
}

gboolean
fk_cli_parse_pairs(gchar **argv, guint32 **offsets, GPtrArray **images, const gchar *nothing, GError **error)
{
	g_autoptr(GPtrArray) loaded = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	guint n = g_strv_length(argv);
	if (n == 0 || n % 2 != 0) {
		g_set_error_literal(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
				    "Give pairs of ADDRESS FILENAME");
		return FALSE;
	}
	*offsets = g_new0(guint32, n / 2);
	for (guint i = 0; i < n; i += 2) {
		if (!fk_cli_parse_u32(argv[i], &(*offsets)[i / 2], "Address", error))
			return FALSE;
		/* loaded here, before connecting: missing, a folder, a device, empty */
		{
			g_autoptr(GError) error_load = NULL;
			GBytes *bytes = fk_flash_load_image(argv[i + 1], &error_load);
			if (bytes == NULL) {
				g_set_error(error, error_load->domain, error_load->code, "%s: nothing was %s",
					    error_load->message, nothing);
				return FALSE;
			}
			g_ptr_array_add(loaded, bytes);
		}
	}
	if (images != NULL)
		*images = g_steal_pointer(&loaded);
	return TRUE;
}

/* two images that share bytes would leave the first one half overwritten, yet both verified
 * one after the other */
gboolean
fk_cli_check_overlaps(gchar **argv, const guint32 *offsets, GPtrArray *images, GError **error)
{
	for (guint i = 0; i < images->len; i++) {
		guint64 start_i = offsets[i];
		guint64 end_i = start_i + g_bytes_get_size(g_ptr_array_index(images, i));
		for (guint j = i + 1; j < images->len; j++) {
			guint64 start_j = offsets[j];
			guint64 end_j = start_j + g_bytes_get_size(g_ptr_array_index(images, j));
			if (start_i < end_j && start_j < end_i) {
				g_set_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
					    "%s (0x%" G_GINT64_MODIFIER "x–0x%" G_GINT64_MODIFIER "x) and %s "
					    "(0x%" G_GINT64_MODIFIER "x–0x%" G_GINT64_MODIFIER "x) overlap: check "
					    "the addresses (nothing was written)",
					    argv[2 * i + 1], start_i, end_i, argv[2 * j + 1], start_j, end_j);
				return FALSE;
			}
		}
	}
	return TRUE;
}

/* the folder a backup goes into: missing, not a folder or not writable is found before the chip
 * is touched, not after a connection (and a stub upload) that then writes nothing */
gboolean
fk_cli_check_backup_folder(const gchar *target, GError **error)
{
	g_autofree gchar *dir = g_path_get_dirname(target);
	if (!g_file_test(dir, G_FILE_TEST_EXISTS)) {
		g_set_error(error, FK_ERROR, FK_ERROR_FILE,
			    _("The folder %s does not exist: create it (mkdir -p %s) or save the backup "
			      "elsewhere (nothing was read)"),
			    dir, dir);
		return FALSE;
	}
	if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		g_set_error(error, FK_ERROR, FK_ERROR_FILE,
			    _("%s is not a folder, so %s cannot be saved in it: choose another name "
			      "(nothing was read)"),
			    dir, target);
		return FALSE;
	}
	if (access(dir, W_OK | X_OK) != 0) {
		g_set_error(error, FK_ERROR, FK_ERROR_FILE,
			    _("The folder %s cannot be written to (%s): save the backup elsewhere "
			      "(nothing was read)"),
			    dir, g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}
