/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the file-level operations: a verified backup into its file with its description beside
 * it, loading and checking images, a restore with the boot header patched and its options
 * checked; calls the FkDevice facade, the backup file, its description and the image parser */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fk-backup-file.h"
#include "fk-backup-info.h"
#include "fk-error.h"
#include "fk-flash.h"
#include "fk-image.h"

#define FK_IMAGE_MAX_SIZE (256u * 1024 * 1024)

/* ---- the backup file ---- */

/* Writes to the temporary file's descriptor and keeps the first errno: by the time an error
 * comes back up through the device code it is a message, and the message alone cannot tell a
 * full disk from a failing one. It also digests what reaches the file, for the description:
 * the file is not read a second time for its checksums. */
#define FK_TYPE_FLASH_SINK (fk_flash_sink_get_type())
G_DECLARE_FINAL_TYPE(FkFlashSink, fk_flash_sink, FK, FLASH_SINK, GOutputStream)

struct _FkFlashSink {
	GOutputStream parent_instance;
	gint fd;
	gint errsv; /* the first write or close error, 0 if none */
	GChecksum *md5;
	GChecksum *sha256;
};

G_DEFINE_FINAL_TYPE(FkFlashSink, fk_flash_sink, G_TYPE_OUTPUT_STREAM)

static void
fk_flash_sink_set_error(FkFlashSink *self, gint errsv, GError **error)
{
	if (self->errsv == 0)
		self->errsv = errsv;
	g_set_error_literal(error, G_IO_ERROR, g_io_error_from_errno(errsv), g_strerror(errsv));
}

static gssize
fk_flash_sink_write(GOutputStream *stream, const void *buffer, gsize count, GCancellable *cancellable, GError **error)
{
	FkFlashSink *self = FK_FLASH_SINK(stream);
	gssize n;

	do
		n = write(self->fd, buffer, count);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		fk_flash_sink_set_error(self, errno, error);
		return -1;
	}
	g_checksum_update(self->md5, buffer, n);
	g_checksum_update(self->sha256, buffer, n);
	return n;
}

static gboolean
fk_flash_sink_close(GOutputStream *stream, GCancellable *cancellable, GError **error)
{
	FkFlashSink *self = FK_FLASH_SINK(stream);
	gint fd = self->fd;

	self->fd = -1;
	/* Linux closes the descriptor even when close() fails: never retry */
	if (fd >= 0 && close(fd) != 0 && errno != EINTR) {
		fk_flash_sink_set_error(self, errno, error);
		return FALSE;
	}
	return TRUE;
}

static void
fk_flash_sink_finalize(GObject *object)
{
	FkFlashSink *self = FK_FLASH_SINK(object);
	if (self->fd >= 0)
		close(self->fd);
	g_checksum_free(self->md5);
	g_checksum_free(self->sha256);
	G_OBJECT_CLASS(fk_flash_sink_parent_class)->finalize(object);
}

static void
fk_flash_sink_class_init(FkFlashSinkClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GOutputStreamClass *stream_class = G_OUTPUT_STREAM_CLASS(klass);
	object_class->finalize = fk_flash_sink_finalize;
	stream_class->write_fn = fk_flash_sink_write;
	stream_class->close_fn = fk_flash_sink_close;
}

static void
fk_flash_sink_init(FkFlashSink *self)
{
	self->fd = -1;
	self->md5 = g_checksum_new(G_CHECKSUM_MD5);
	self->sha256 = g_checksum_new(G_CHECKSUM_SHA256);
}

static FkFlashSink *
fk_flash_sink_new(gint fd)
{
	FkFlashSink *self = g_object_new(FK_TYPE_FLASH_SINK, NULL);
	self->fd = fd;
	return self;
}

typedef enum {
	FK_FLASH_STAGE_CREATE, /* making the temporary file */
	FK_FLASH_STAGE_SAVE,   /* writing, syncing, closing or renaming it */
} FkFlashStage;

/* a file error a person can act on: what happened, what to do, then the system's words */
static void
fk_flash_set_file_error(GError **error, gint errsv, FkFlashStage stage, const gchar *path)
{
	g_autofree gchar *dir = g_path_get_dirname(path);
	const gchar *reason = g_strerror(errsv);

	switch (errsv) {
	case ENOSPC:
		g_set_error(error, FK_ERROR, FK_ERROR_FILE,
			    "The disk is full: free some space or choose another folder (saving %s: %s)", path,
			    reason);
		break;
	case EDQUOT:
		g_set_error(error, FK_ERROR, FK_ERROR_FILE,
			    "Your disk quota is used up: free some space or choose another folder (saving %s: %s)",
			    path, reason);
		break;
	case EACCES:
	case EPERM:
		g_set_error(error, FK_ERROR, FK_ERROR_FILE,
			    "You cannot write to %s: choose another folder (saving %s: %s)", dir, path, reason);
		break;
	case EROFS:
		g_set_error(error, FK_ERROR, FK_ERROR_FILE,
			    "The folder %s is on a read-only disk: choose another folder (saving %s: %s)", dir,
			    path, reason);
		break;
	case ENOENT:
	case ENOTDIR:
		if (stage == FK_FLASH_STAGE_CREATE) {
			g_set_error(error, FK_ERROR, FK_ERROR_FILE,
				    "The folder %s does not exist: choose another folder (saving %s: %s)", dir,
				    path, reason);
		} else if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
			g_set_error(error, FK_ERROR, FK_ERROR_FILE,
				    "The folder %s no longer exists: it was removed during the backup; choose "
				    "another folder (saving %s: %s)",
				    dir, path, reason);
		} else {
			g_set_error(error, FK_ERROR, FK_ERROR_FILE,
				    "The temporary file beside %s was removed during the backup: try again (%s)",
				    path, reason);
		}
		break;
	case EISDIR:
		g_set_error(error, FK_ERROR, FK_ERROR_FILE,
			    "%s is a folder: choose a file name for the backup (%s)", path, reason);
		break;
	case EIO:
		g_set_error(error, FK_ERROR, FK_ERROR_FILE,
			    "The disk failed while saving %s: check the disk or choose another folder (%s)", path,
			    reason);
		break;
	case ENAMETOOLONG:
		g_set_error(error, FK_ERROR, FK_ERROR_FILE,
			    "The name %s is too long: choose a shorter name (%s)", path, reason);
		break;
	default:
		g_set_error(error, FK_ERROR, FK_ERROR_FILE, "Cannot save %s: %s", path, reason);
		break;
	}
}

/* after a failed step: a file error if the disk failed, else @error_local as it is */
static gboolean
fk_flash_backup_failed(FkFlashSink *sink,
		       GOutputStream *out,
		       FkBackupFile *file,
		       const gchar *path,
		       gint errsv,
		       GError *error_local,
		       GError **error)
{
	/* a disk error from before the failure, not one that closing causes below */
	if (errsv == 0)
		errsv = sink->errsv;
	/* stop writing (this flushes what is buffered, which may fail again), then clean up */
	if (!g_output_stream_is_closed(out))
		g_output_stream_close(out, NULL, NULL);
	fk_backup_file_free(file);
	if (g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_propagate_error(error, error_local);
		return FALSE;
	}
	/* the close flushes the buffer: a full disk may only show now, and then it is the cause */
	if (errsv == 0 && (error_local == NULL || error_local->domain == G_IO_ERROR ||
			   g_error_matches(error_local, FK_ERROR, FK_ERROR_FILE)))
		errsv = sink->errsv;
	if (errsv != 0) {
		g_clear_error(&error_local);
		fk_flash_set_file_error(error, errsv, FK_FLASH_STAGE_SAVE, path);
		return FALSE;
	}
	if (error_local == NULL) {
		g_set_error(error, FK_ERROR, FK_ERROR_FILE, "Cannot save %s", path);
		return FALSE;
	}
	if (error_local->domain == G_IO_ERROR) {
		g_set_error(error, FK_ERROR, FK_ERROR_FILE, "Cannot save %s: %s", path, error_local->message);
		g_error_free(error_local);
		return FALSE;
	}
	g_propagate_error(error, error_local);
	return FALSE;
}

/* puts the backup in place, then its description (@sidecar, NULL when there is none): the
 * description never names a file that is not there, and an older one goes before the new backup
 * arrives, so that a crash between the two renames leaves a backup without a description, never
 * one described by its predecessor */
static gint
fk_flash_backup_commit(FkBackupFile *file, FkBackupFile *sidecar, const gchar *sidecar_path, GError **warning)
{
	GStatBuf st;
	gint errsv;

	/* a link is written through (fk_backup_file_check_target) and stays */
	if (g_lstat(sidecar_path, &st) == 0 && S_ISREG(st.st_mode) && g_unlink(sidecar_path) != 0)
		g_debug("cannot remove the old description %s: %s", sidecar_path, g_strerror(errno));
	errsv = fk_backup_file_commit(file);
	if (errsv != 0 || sidecar == NULL)
		return errsv;
	errsv = fk_backup_file_commit(sidecar);
	if (errsv != 0) {
		g_set_error(warning, FK_BACKUP_INFO_ERROR, FK_BACKUP_INFO_ERROR_FILE,
			    "The backup is saved and complete, but its description %s could not be put "
			    "beside it (%s); check the disk and back up again to have one",
			    sidecar_path, g_strerror(errsv));
	}
	return 0;
}

gboolean
fk_flash_backup_full(FkDevice *device,
		     guint32 offset,
		     gsize size,
		     const gchar *path,
		     FkBackupFlags flags,
		     GError **warning,
		     FkProgress *progress,
		     GCancellable *cancellable,
		     GError **error)
{
	g_autoptr(FkBackupFile) file = NULL;
	g_autoptr(FkBackupFile) sidecar = NULL;
	g_autoptr(FkFlashSink) sink = NULL;
	g_autoptr(GOutputStream) buffered = NULL;
	g_autoptr(GError) error_local = NULL;
	g_autofree gchar *sidecar_path = NULL;
	gint errsv = 0;

	/* the name is checked before the whole flash is read: a folder, a device or no name at all
	 * would only fail at the end */
	file = fk_backup_file_new(path, &errsv, error);
	if (file == NULL) {
		if (errsv != 0)
			fk_flash_set_file_error(error, errsv, FK_FLASH_STAGE_CREATE, path);
		return FALSE;
	}
	sink = fk_flash_sink_new(file->fd);
	/* buffered: the device hands us 4 KiB frames */
	buffered = g_buffered_output_stream_new_sized(G_OUTPUT_STREAM(sink), 256 * 1024);
	if (!fk_device_read_flash(device, offset, size, buffered, NULL, progress, cancellable, &error_local) ||
	    !g_output_stream_flush(buffered, NULL, &error_local))
		return fk_flash_backup_failed(sink, buffered, g_steal_pointer(&file), path, 0,
					      g_steal_pointer(&error_local), error);
	if (fsync(file->fd) != 0)
		errsv = errno;
	/* an unnamed file is linked in while its descriptor is open; it replaces the target only
	 * once it is closed without error */
	if (errsv == 0)
		errsv = fk_backup_file_prepare(file);
	if (errsv != 0)
		return fk_flash_backup_failed(sink, buffered, g_steal_pointer(&file), path, errsv, NULL, error);
	if (!g_output_stream_close(buffered, NULL, &error_local))
		return fk_flash_backup_failed(sink, buffered, g_steal_pointer(&file), path, 0,
					      g_steal_pointer(&error_local), error);
	/* the description is made ready beside the complete backup, from the digests of what reached
	 * the file; a failure here costs the description, not the backup */
	sidecar_path = fk_backup_info_path(file->target);
	if ((flags & FK_BACKUP_FLAG_NO_SIDECAR) == 0) {
		g_autoptr(FkBackupInfo) info = fk_backup_info_new(device, offset, size, g_checksum_get_string(sink->md5),
								  g_checksum_get_string(sink->sha256));
		sidecar = fk_backup_info_stage(info, file->target, warning);
	}
	errsv = fk_flash_backup_commit(file, sidecar, sidecar_path, warning);
	if (errsv != 0)
		return fk_flash_backup_failed(sink, buffered, g_steal_pointer(&file), path, errsv, NULL, error);
	return TRUE;
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
	g_autoptr(GError) warning = NULL;
	if (!fk_flash_backup_full(device, offset, size, path, FK_BACKUP_FLAG_NONE, &warning, progress, cancellable,
				  error))
		return FALSE;
	if (warning != NULL)
		g_message("%s", warning->message);
	return TRUE;
}

GBytes *
fk_flash_load_image(const gchar *path, GError **error)
{
	g_autoptr(GMappedFile) mapped = NULL;
	g_autoptr(GError) error_local = NULL;
	GBytes *bytes;
	GStatBuf st;

	/* what is at the path decides the words: missing, a folder, a device (mapping /dev/zero
	 * would say "does not exist" or read forever) */
	if (g_stat(path, &st) != 0) {
		gint errsv = errno;
		g_set_error(error, FK_ERROR, FK_ERROR_FILE,
			    errsv == ENOENT ? "The image %s does not exist: check the name (%s)"
					    : "Cannot open the image %s: %s",
			    path, g_strerror(errsv));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		g_set_error(error, FK_ERROR, FK_ERROR_FILE, "The image %s is %s, not a file: choose a firmware file",
			    path, fk_file_kind_describe(st.st_mode));
		return NULL;
	}
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

static gboolean
fk_restore_option_is_keep(const gchar *value)
{
	return value == NULL || g_ascii_strcasecmp(value, "keep") == 0;
}

/* whether @chip (or, when NULL, any chip) accepts @freq */
static gboolean
fk_restore_freq_ok(const FkChipInfo *chip, const gchar *freq)
{
	guint n_chips = 0;
	const FkChipInfo *chips = fk_chip_list(&n_chips);
	for (guint c = 0; c < n_chips; c++) {
		if ((chip == NULL || chip == &chips[c]) && fk_chip_flash_freq_code(&chips[c], freq) >= 0)
			return TRUE;
	}
	return FALSE;
}

/* the frequency names @chip accepts, or every chip's, from the chip table, for a message */
static gchar *
fk_restore_freq_names(const FkChipInfo *chip)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	guint n_chips = 0;
	const FkChipInfo *chips = fk_chip_list(&n_chips);
	for (guint c = 0; c < n_chips; c++) {
		for (guint code = 0; code < 16 && (chip == NULL || chip == &chips[c]); code++) {
			const gchar *name = fk_chip_flash_freq_name(&chips[c], code);
			if (name != NULL && !g_ptr_array_find_with_equal_func(names, name, g_str_equal, NULL))
				g_ptr_array_add(names, (gpointer)name);
		}
	}
	g_ptr_array_add(names, (gpointer) "keep");
	g_ptr_array_add(names, NULL);
	return g_strjoinv(", ", (gchar **)names->pdata);
}

gboolean
fk_restore_options_check(const FkRestoreOptions *options, const FkChipInfo *chip, GError **error)
{
	guint n_chips = 0;
	const FkChipInfo *chips = fk_chip_list(&n_chips);
	const gchar *size = options->flash_size;

	if (!fk_restore_option_is_keep(options->flash_mode) && fk_flash_mode_from_string(options->flash_mode) < 0) {
		g_set_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
			    "Unknown flash mode “%s”: use qio, qout, dio, dout or keep (nothing was written)",
			    options->flash_mode);
		return FALSE;
	}
	if (!fk_restore_option_is_keep(options->flash_freq)) {
		if (!fk_restore_freq_ok(chip, options->flash_freq)) {
			g_autofree gchar *names = fk_restore_freq_names(chip);
			g_set_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
				    "Flash frequency “%s” is not possible%s%s: use %s (nothing was written)",
				    options->flash_freq, chip != NULL ? " on the " : "",
				    chip != NULL ? chip->name : "", names);
			return FALSE;
		}
	}
	if (!fk_restore_option_is_keep(size) && g_ascii_strcasecmp(size, "detect") != 0) {
		gsize bytes = fk_parse_size(size);
		gboolean ok = FALSE;
		for (guint c = 0; c < n_chips && !ok && bytes > 0; c++) {
			if (chip == NULL || chip->family == chips[c].family)
				ok = fk_chip_flash_size_code(&chips[c], bytes) >= 0;
		}
		if (!ok) {
			g_set_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
				    "Flash size “%s” does not exist%s%s: flash chips come in 256KB, 512KB, "
				    "1MB, 2MB, 4MB, 8MB, 16MB (and larger on the ESP32 family); use one of "
				    "them, detect or keep (nothing was written)",
				    size, chip != NULL ? " on the " : "", chip != NULL ? chip->name : "");
			return FALSE;
		}
	}
	return TRUE;
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

	if (!fk_restore_options_check(options, chip, error))
		return FALSE;

	bytes = fk_flash_load_image(path, error);
	if (bytes == NULL)
		return FALSE;
	if (options->flash_size != NULL && g_ascii_strcasecmp(options->flash_size, "keep") != 0 &&
	    g_ascii_strcasecmp(options->flash_size, "detect") != 0) {
		/* a size that exists: fk_restore_options_check() said so */
		gsize requested = fk_parse_size(options->flash_size);
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
