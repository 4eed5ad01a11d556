/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns verify_flash: images compared with the flash through the chip's MD5, with the boot header
 * set as write_flash would (-fm/-ff/-fs), and a difference only in that header named as such;
 * calls the FkDevice facade, fk-image, the chip table and the CLI's option checks and session */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "fk-cli-private.h"
#include "fk-error.h"
#include "fk-flash.h"
#include "fk-image.h"

static void
fk_cli_md5(const guint8 *data, gsize len, guint8 *digest)
{
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_MD5);
	gsize digest_len = 16;
	g_checksum_update(checksum, data, len);
	g_checksum_get_digest(checksum, digest, &digest_len);
}

/* whether the flash holds the same bytes as @data everywhere but the boot header's bytes 2–3 */
static gboolean
fk_cli_differs_only_in_header(FkDevice *device,
			      guint32 offset,
			      const guint8 *data,
			      gsize len,
			      GCancellable *cancellable,
			      GError **error)
{
	guint8 md5_chip[16], md5_file[16];
	if (len <= 4 || data[0] != FK_IMAGE_MAGIC || offset != fk_device_get_chip(device)->bootloader_offset)
		return FALSE;
	if (!fk_device_flash_md5(device, offset, 2, md5_chip, cancellable, error))
		return FALSE;
	fk_cli_md5(data, 2, md5_file);
	if (memcmp(md5_chip, md5_file, 16) != 0)
		return FALSE;
	if (!fk_device_flash_md5(device, offset + 4, len - 4, md5_chip, cancellable, error))
		return FALSE;
	fk_cli_md5(data + 4, len - 4, md5_file);
	return memcmp(md5_chip, md5_file, 16) == 0;
}

/* "dio/1MB/40m", what the chip's boot header says; NULL when it cannot be read */
static gchar *
fk_cli_read_header_params(FkDevice *device, guint32 offset, GCancellable *cancellable)
{
	const FkChipInfo *chip = fk_device_get_chip(device);
	g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable();
	const guint8 *hdr;
	gsize size;
	const gchar *freq;
	g_autofree gchar *size_name = NULL;

	if (!fk_device_can_read(device) ||
	    !fk_device_read_flash(device, offset, 4, out, NULL, NULL, cancellable, NULL) ||
	    !g_output_stream_close(out, NULL, NULL) ||
	    g_memory_output_stream_get_data_size(G_MEMORY_OUTPUT_STREAM(out)) < 4)
		return NULL;
	hdr = g_memory_output_stream_get_data(G_MEMORY_OUTPUT_STREAM(out));
	size = fk_chip_flash_size_from_code(chip, hdr[3] >> 4);
	size_name = size > 0 ? fk_format_size(size) : g_strdup("?");
	freq = fk_chip_flash_freq_name(chip, hdr[3] & 0x0F);
	return g_strdup_printf("%s/%s/%s",
			       fk_flash_mode_to_string(hdr[2]) != NULL ? fk_flash_mode_to_string(hdr[2]) : "?",
			       size_name,
			       freq != NULL ? freq : "?");
}

static gboolean
fk_cli_verify_one(FkCli *self, FkDevice *device, guint32 offset, const gchar *name, GBytes *bytes, GError **error)
{
	const FkChipInfo *chip = fk_device_get_chip(device);
	g_autoptr(GByteArray) image = g_byte_array_sized_new(g_bytes_get_size(bytes));
	guint8 md5_chip[16], md5_file[16];
	gboolean changed = FALSE;
	g_autofree gchar *on_chip = NULL;

	g_byte_array_append(image, g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes));
	/* the header as write_flash with the same options wrote it, as esptool compares */
	if (!fk_image_update_flash_params(image, offset, chip, self->flash_mode, self->flash_freq, self->flash_size,
					  fk_device_get_flash_size(device), &changed, error))
		return FALSE;
	if (!fk_device_flash_md5(device, offset, image->len, md5_chip, self->cancellable, error))
		return FALSE;
	fk_cli_md5(image->data, image->len, md5_file);
	if (memcmp(md5_chip, md5_file, 16) == 0)
		return TRUE;
	if (!fk_cli_differs_only_in_header(device, offset, image->data, image->len, self->cancellable, error)) {
		if (error != NULL && *error != NULL)
			return FALSE;
		g_set_error(error, FK_ERROR, FK_ERROR_VERIFY_FAILED, _("The flash at 0x%x differs from %s"), offset,
			    name);
		return FALSE;
	}
	/* the usual case after write_flash -fm/-fs: the image is there, its header was set on the way */
	on_chip = fk_cli_read_header_params(device, offset, self->cancellable);
	g_set_error(error, FK_ERROR, FK_ERROR_VERIFY_FAILED,
		    _("The flash at 0x%x differs from %s only in the boot header's flash mode/size/frequency "
		      "(bytes 2–3), which write_flash set to %s; pass the same -fm/-fs/-ff to verify_flash "
		      "(the rest of the image matches)"),
		    offset, name, on_chip != NULL ? on_chip : _("other values"));
	return FALSE;
}

gboolean
fk_cli_cmd_verify_flash(FkCli *self, gchar **argv, GError **error)
{
	g_autoptr(FkDevice) device = NULL;
	g_autofree guint32 *offsets = NULL;
	g_autoptr(GPtrArray) images = NULL;
	FkRestoreOptions options = {self->flash_mode, self->flash_freq, self->flash_size, FK_WRITE_FLAG_NONE};
	guint n = g_strv_length(argv);

	if (!fk_cli_parse_pairs(argv, &offsets, &images, "verified", error))
		return FALSE;
	if (!fk_restore_options_check(&options, self->expected_chip, error))
		return FALSE;
	device = fk_cli_connect(self, error);
	if (device == NULL)
		return FALSE;
	for (guint i = 0; i < n; i += 2) {
		g_print(_("Verifying %s at 0x%08x...\n"), argv[i + 1], offsets[i / 2]);
		if (!fk_cli_verify_one(self, device, offsets[i / 2], argv[i + 1], g_ptr_array_index(images, i / 2), error))
			return FALSE;
		g_print(_("-- verify OK (digest matched)\n"));
	}
	return fk_cli_finish(self, device, error);
}
