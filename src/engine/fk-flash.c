/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixoutputstream.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "fk-error.h"
#include "fk-flash.h"
#include "fk-image.h"

#define FK_IMAGE_MAX_SIZE (256u * 1024 * 1024)

static void
fk_flash_set_file_error(GError **error, gint errsv, const gchar *what, const gchar *path)
{
	const gchar *hint = "";
	gint code = FK_ERROR_FILE;
	switch (errsv) {
	case ENOSPC:
		hint = ": the disk is full";
		break;
	case EACCES:
	case EPERM:
		hint = ": permission denied — choose a folder you can write to";
		break;
	case EROFS:
		hint = ": the folder is on a read-only file system";
		break;
	case ENOENT:
		hint = ": the folder does not exist";
		break;
	default:
		break;
	}
	g_set_error(error, FK_ERROR, code, "Cannot %s %s%s (%s)", what, path, hint, g_strerror(errsv));
}

gboolean
fk_flash_backup(FkDevice *device,
		guint32 offset,
		gsize size,
		const gchar *path,
		FkProgress *progress,
		GCancellable *cancellable,
		GError **error)
{
	g_autofree gchar *tmpl = g_strdup_printf("%s.XXXXXX.part", path);
	g_autoptr(GOutputStream) out = NULL;
	g_autoptr(GError) error_local = NULL;
	gint fd;

	fd = g_mkstemp_full(tmpl, O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0) {
		fk_flash_set_file_error(error, errno, "create a file beside", path);
		return FALSE;
	}
	out = g_unix_output_stream_new(fd, TRUE);
	{
		/* buffered: the device hands us 4 KiB frames */
		g_autoptr(GOutputStream) buffered = g_buffered_output_stream_new_sized(out, 256 * 1024);
		if (!fk_device_read_flash(device, offset, size, buffered, NULL, progress, cancellable, &error_local) ||
		    !g_output_stream_flush(buffered, NULL, &error_local)) {
			g_output_stream_close(buffered, NULL, NULL);
			g_unlink(tmpl);
			g_propagate_error(error, g_steal_pointer(&error_local));
			return FALSE;
		}
		if (fsync(fd) != 0) {
			gint errsv = errno;
			g_output_stream_close(buffered, NULL, NULL);
			g_unlink(tmpl);
			fk_flash_set_file_error(error, errsv, "save", path);
			return FALSE;
		}
		if (!g_output_stream_close(buffered, NULL, &error_local)) {
			g_unlink(tmpl);
			g_set_error(error, FK_ERROR, FK_ERROR_FILE, "Cannot save %s: %s", path, error_local->message);
			return FALSE;
		}
	}
	if (g_rename(tmpl, path) != 0) {
		gint errsv = errno;
		g_unlink(tmpl);
		fk_flash_set_file_error(error, errsv, "save", path);
		return FALSE;
	}
	return TRUE;
}

GBytes *
fk_flash_load_image(const gchar *path, GError **error)
{
	g_autoptr(GMappedFile) mapped = NULL;
	g_autoptr(GError) error_local = NULL;
	GBytes *bytes;

	mapped = g_mapped_file_new(path, FALSE, &error_local);
	if (mapped == NULL) {
		g_set_error(error, FK_ERROR, FK_ERROR_FILE, "Cannot open the image %s: %s", path, error_local->message);
		return NULL;
	}
	bytes = g_mapped_file_get_bytes(mapped);
	if (g_bytes_get_size(bytes) == 0) {
		g_bytes_unref(bytes);
		g_set_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT, "The image %s is empty", path);
		return NULL;
	}
	if (g_bytes_get_size(bytes) > FK_IMAGE_MAX_SIZE) {
		g_bytes_unref(bytes);
		g_set_error(error, FK_ERROR, FK_ERROR_SIZE_MISMATCH, "The image %s is larger than any flash chip", path);
		return NULL;
	}
	return bytes;
}

gboolean
fk_flash_restore(FkDevice *device,
		 guint32 offset,
		 const gchar *path,
		 const FkRestoreOptions *options,
		 FkProgress *progress,
		 GCancellable *cancellable,
		 GError **error)
{
	const FkChipInfo *chip = fk_device_get_chip(device);
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(GByteArray) image = NULL;
	g_autoptr(GBytes) patched = NULL;
	gsize flash_size = fk_device_get_flash_size(device);
	gboolean changed = FALSE;

	bytes = fk_flash_load_image(path, error);
	if (bytes == NULL)
		return FALSE;
	if (options->flash_size != NULL && g_ascii_strcasecmp(options->flash_size, "keep") != 0 &&
	    g_ascii_strcasecmp(options->flash_size, "detect") != 0) {
		gsize requested = fk_parse_size(options->flash_size);
		if (requested == 0) {
			g_set_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
				    "Unknown flash size “%s”", options->flash_size);
			return FALSE;
		}
		if (flash_size == 0 || requested < flash_size)
			flash_size = requested;
	}
	if (flash_size > 0 && (guint64)offset + g_bytes_get_size(bytes) > flash_size) {
		g_autofree gchar *img = fk_format_size(g_bytes_get_size(bytes));
		g_autofree gchar *fl = fk_format_size(flash_size);
		g_set_error(error, FK_ERROR, FK_ERROR_SIZE_MISMATCH,
			    "The image (%s at 0x%x) does not fit in the %s flash: nothing was written",
			    img, offset, fl);
		return FALSE;
	}
	image = g_byte_array_sized_new(g_bytes_get_size(bytes));
	g_byte_array_append(image, g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes));
	if (!fk_image_update_flash_params(image, offset, chip, options->flash_mode, options->flash_freq,
					  options->flash_size, fk_device_get_flash_size(device), &changed, error))
		return FALSE;
	if (flash_size > 0 && flash_size != fk_device_get_flash_size(device) &&
	    !fk_device_set_flash_size(device, flash_size, cancellable, error))
		return FALSE;
	patched = g_byte_array_free_to_bytes(g_steal_pointer(&image));
	return fk_device_write_flash(device, offset, patched, options->flags, progress, cancellable, error);
}

gboolean
fk_flash_verify(FkDevice *device, guint32 offset, const gchar *path, GCancellable *cancellable, GError **error)
{
	g_autoptr(GBytes) bytes = fk_flash_load_image(path, error);
	g_autoptr(GChecksum) checksum = NULL;
	guint8 md5_chip[16], md5_file[16];
	gsize len = 16;

	if (bytes == NULL)
		return FALSE;
	if (!fk_device_flash_md5(device, offset, g_bytes_get_size(bytes), md5_chip, cancellable, error))
		return FALSE;
	checksum = g_checksum_new(G_CHECKSUM_MD5);
	g_checksum_update(checksum, g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes));
	g_checksum_get_digest(checksum, md5_file, &len);
	if (memcmp(md5_chip, md5_file, 16) != 0) {
		g_set_error(error, FK_ERROR, FK_ERROR_VERIFY_FAILED,
			    "The flash at 0x%x differs from %s", offset, path);
		return FALSE;
	}
	return TRUE;
}
