/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns restore_partition: one partition of a whole-flash backup written back, the backup checked
 * before the port opens; calls fk-flash-partition, fk-image-info and the CLI's session */
#include "config.h"

#include <glib/gi18n.h>

#include "fk-cli-private.h"
#include "fk-error.h"
#include "fk-flash-partition.h"
#include "fk-flash.h"

/* what the restore did: how much of the partition differed from the chip */
static void
fk_cli_print_restored(FkCli *self, FkDevice *device, const gchar *path, const FkImageInfoPartition *p)
{
	gsize sent = fk_device_get_bytes_written(device);
	g_autofree gchar *size = fk_format_size(p->size);
	g_autofree gchar *s_sent = fk_format_size(sent);

	if (self->no_verify)
		/* Translators: the partition's name, its size, its address, the backup file */
		g_print(_("Restored partition %s (%s at 0x%x) from %s: wrote all of it (not verified).\n"), p->label,
			size, p->offset, path);
	else if (sent == 0)
		/* Translators: the partition's name, its size, its address, the backup file */
		g_print(_("Partition %s (%s at 0x%x) already held what %s has: nothing written. Verified.\n"),
			p->label, size, p->offset, path);
	else if (sent < p->size)
		/* Translators: the partition's name, its size, its address, the backup file, what was
		 * written */
		g_print(_("Restored partition %s (%s at 0x%x) from %s: wrote %s; the rest was already identical. "
			  "Verified.\n"),
			p->label, size, p->offset, path, s_sent);
	else
		/* Translators: the partition's name, its size, its address, the backup file */
		g_print(_("Restored partition %s (%s at 0x%x) from %s: wrote all of it. Verified.\n"), p->label, size,
			p->offset, path);
}

gboolean
fk_cli_cmd_restore_partition(FkCli *self, gchar **argv, GError **error)
{
	g_autoptr(GBytes) dump = NULL;
	g_autoptr(FkImageDescription) desc = NULL;
	g_autoptr(FkDevice) device = NULL;
	g_autoptr(FkProgress) progress = NULL;
	const FkImageInfoPartition *p;
	FkWriteFlags flags = FK_WRITE_FLAG_NONE;
	gsize len = 0;
	const guint8 *data;

	if (g_strv_length(argv) != 2) {
		g_set_error_literal(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
				    _("restore_partition takes NAME FILENAME: the partition's name, as image_info "
				      "lists them, and a backup of the whole flash"));
		return FALSE;
	}
	/* the backup, its table and the partition are checked before the port opens: a name that is
	 * not there costs no connection */
	dump = fk_flash_load_image(argv[1], error);
	if (dump == NULL)
		return FALSE;
	data = g_bytes_get_data(dump, &len);
	desc = fk_image_info_describe(data, len);
	p = fk_flash_partition_find(desc, argv[1], argv[0], error);
	if (p == NULL)
		return FALSE;
	if (self->no_compress)
		flags |= FK_WRITE_FLAG_NO_COMPRESS;
	if (self->no_verify)
		flags |= FK_WRITE_FLAG_NO_VERIFY;
	device = fk_cli_connect(self, error);
	if (device == NULL)
		return FALSE;
	progress = fk_cli_progress_new(self);
	{
		g_autofree gchar *size = fk_format_size(p->size);
		/* Translators: the partition's name, its size, its address, the backup file */
		g_print(_("Restoring partition %s (%s at 0x%x) from %s...\n"), p->label, size, p->offset, argv[1]);
	}
	if (!fk_flash_restore_partition_bytes(device, dump, argv[1], argv[0], flags, progress, self->cancellable,
					      error)) {
		fk_cli_progress_end(self);
		return FALSE;
	}
	fk_cli_progress_end(self);
	fk_cli_print_restored(self, device, argv[1], p);
	return fk_cli_finish(self, device, error);
}
