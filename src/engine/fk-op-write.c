/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns writing the flash: padding, compression and inflate block sizes, block timing, resuming
 * after a fault, verifying; calls the loader, MD5, erase checks, recovery, the device's checks */
#include "config.h"

#include <string.h>
#include <zlib.h>

#include "fk-device-private.h"
#include "fk-flash-map.h"
#include "fk-error.h"
#include "fk-mem.h"
#include "fk-op-erase.h"
#include "fk-op-md5.h"
#include "fk-protocol.h"
#include "fk-recovery.h"

#define FK_WRITE_BLOCK_ATTEMPTS 3

/* how many bytes each @block_size slice of a zlib stream inflates to */
static gboolean
fk_inflate_block_sizes(const guint8 *z, gsize len, gsize block_size, GArray **sizes, GError **error)
{
	z_stream strm = {0};
	g_autofree guint8 *sink = g_malloc(64 * 1024);
	GArray *out = g_array_new(FALSE, FALSE, sizeof(gsize));
	gint rc = Z_OK;

	if (inflateInit(&strm) != Z_OK) {
		g_array_unref(out);
		g_set_error_literal(error, FK_ERROR, FK_ERROR_FAILED, "cannot start zlib");
		return FALSE;
	}
	for (gsize pos = 0; pos < len; pos += block_size) {
		gsize produced = 0;
		strm.next_in = (Bytef *)(z + pos);
		strm.avail_in = (uInt)MIN(block_size, len - pos);
		while (strm.avail_in > 0 && rc != Z_STREAM_END) {
			uInt avail_in = strm.avail_in;
			strm.next_out = sink;
			strm.avail_out = 64 * 1024;
			rc = inflate(&strm, Z_NO_FLUSH);
			if (rc == Z_BUF_ERROR && strm.avail_in == avail_in && strm.avail_out == 64 * 1024)
				break; /* no progress possible */
			if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
				inflateEnd(&strm);
				g_array_unref(out);
				g_set_error_literal(error, FK_ERROR, FK_ERROR_FAILED, "the compressed image does not inflate");
				return FALSE;
			}
			produced += 64 * 1024 - strm.avail_out;
		}
		/* drain what the last input left in the window */
		while (rc != Z_STREAM_END && pos + block_size >= len) {
			strm.next_out = sink;
			strm.avail_out = 64 * 1024;
			rc = inflate(&strm, Z_FINISH);
			produced += 64 * 1024 - strm.avail_out;
			if (rc != Z_OK && rc != Z_BUF_ERROR)
				break;
			if (strm.avail_out != 0)
				break;
		}
		g_array_append_val(out, produced);
	}
	inflateEnd(&strm);
	*sizes = out;
	return TRUE;
}

/* the loader rejected the block before using it, so the same block may be sent again; after
 * any other failure the loader may have consumed it, and only a new write can continue */
static gboolean
fk_device_block_rejected(const GError *error)
{
	return g_error_matches(error, FK_DEVICE_ERROR, FK_DEVICE_ERROR_BAD_CRC) ||
	       g_error_matches(error, FK_DEVICE_ERROR, FK_DEVICE_ERROR_STUB_BAD_DATA_CHECKSUM);
}

static gboolean
fk_device_send_block(FkDevice *self,
		     guint8 op,
		     const guint8 *data,
		     gsize len,
		     guint seq,
		     guint timeout_ms,
		     GCancellable *cancellable,
		     GError **error)
{
	g_autoptr(GByteArray) buf = g_byte_array_sized_new(16 + len);
	fk_byte_array_append_u32le(buf, len);
	fk_byte_array_append_u32le(buf, seq);
	fk_byte_array_append_u32le(buf, 0);
	fk_byte_array_append_u32le(buf, 0);
	g_byte_array_append(buf, data, len);
	for (guint attempt = 1;; attempt++) {
		FkCommand cmd = {.op = op,
				 .data = buf->data,
				 .len = buf->len,
				 .checksum = fk_checksum(data, len),
				 .timeout_ms = timeout_ms};
		g_autoptr(GError) error_local = NULL;
		g_autoptr(GByteArray) frame = fk_loader_command_full(self->loader, &cmd, NULL, cancellable, &error_local);
		if (frame != NULL)
			return TRUE;
		if (attempt >= FK_WRITE_BLOCK_ATTEMPTS || !fk_device_block_rejected(error_local)) {
			g_propagate_prefixed_error(error, g_steal_pointer(&error_local), "failed to write block %u: ", seq);
			return FALSE;
		}
		fk_loader_log(self->loader, "block %u was rejected (%s), sending it again", seq, error_local->message);
	}
}

/* writes @len bytes of @data at @offset (sector-aligned without the stub), in one
 * FLASH_(DEFL_)BEGIN; @confirmed is how much of it is surely on the flash if this fails */
static gboolean
fk_device_write_span(FkDevice *self,
		     guint32 offset,
		     const guint8 *data,
		     gsize len,
		     gboolean allow_compress,
		     FkProgress *progress,
		     gsize progress_base,
		     gsize progress_total,
		     gsize *confirmed,
		     GCancellable *cancellable,
		     GError **error)
{
	g_autofree guint8 *zbuf = NULL;
	g_autoptr(GArray) inflated = NULL;
	gboolean is_stub = fk_loader_get_kind(self->loader) == FK_LOADER_STUB;
	gboolean compress = allow_compress;
	const guint8 *payload = data;
	gsize payload_len = len, block_size, written = 0, written_before = 0;
	guint8 begin[20];
	gsize begin_len = 16;
	guint num_blocks, stub_timeout = FK_TIMEOUT_DEFAULT_MS;

	*confirmed = 0;
	if (compress) {
		uLongf zlen = compressBound(len);
		zbuf = g_malloc(zlen);
		if (compress2(zbuf, &zlen, data, len, 9) != Z_OK) {
			g_set_error_literal(error, FK_ERROR, FK_ERROR_FAILED, "failed to compress the image");
			return FALSE;
		}
		if (zlen < len) {
			payload = zbuf;
			payload_len = zlen;
		} else {
			compress = FALSE;
		}
	}
	block_size = is_stub ? FK_STUB_WRITE_SIZE : FK_ROM_WRITE_SIZE;
	num_blocks = (payload_len + block_size - 1) / block_size;
	if (compress && !fk_inflate_block_sizes(payload, payload_len, block_size, &inflated, error))
		return FALSE;

	if (compress) {
		guint32 size = is_stub ? len : (len + FK_ROM_WRITE_SIZE - 1) / FK_ROM_WRITE_SIZE * FK_ROM_WRITE_SIZE;
		fk_memwrite_u32le(begin, size);
	} else {
		fk_memwrite_u32le(begin,
				  fk_loader_get_kind(self->loader) == FK_LOADER_ROM8266 ? fk_esp8266_rom_erase_size(offset, len) : len);
	}
	fk_memwrite_u32le(begin + 4, num_blocks);
	fk_memwrite_u32le(begin + 8, block_size);
	fk_memwrite_u32le(begin + 12, offset);
	/* the encryption word: never for the ESP8266 and ESP32 ROMs */
	if (is_stub || (fk_loader_get_kind(self->loader) == FK_LOADER_ROM32 && self->chip->family != FK_CHIP_ESP32)) {
		fk_memwrite_u32le(begin + 16, 0);
		begin_len = 20;
	}
	{
		guint timeout = is_stub ? FK_TIMEOUT_DEFAULT_MS
					: fk_timeout_per_mb(FK_TIMEOUT_ERASE_PER_MB,
							    compress ? (len + 0x3FF) / 0x400 * 0x400 : len);
		if (!fk_loader_command(self->loader,
				       compress ? FK_OP_FLASH_DEFL_BEGIN : FK_OP_FLASH_BEGIN,
				       begin,
				       begin_len,
				       timeout,
				       cancellable,
				       error)) {
			g_prefix_error(error, "failed to start writing at 0x%x: ", offset);
			return FALSE;
		}
	}

	for (guint seq = 0; seq < num_blocks; seq++) {
		gsize pos = seq * block_size;
		gsize n = MIN(block_size, payload_len - pos);
		guint timeout = FK_TIMEOUT_DEFAULT_MS;
		g_autofree guint8 *padded = NULL;
		const guint8 *blk = payload + pos;
		gsize written_now;

		if (g_cancellable_set_error_if_cancelled(cancellable, error))
			return FALSE;
		if (compress) {
			/* as esptool: the time a block takes depends on what it inflates to (a block of
			 * erased flash inflates to megabytes); the ROM writes before it replies, the stub
			 * writes a block while it receives the next one */
			gsize u = g_array_index(inflated, gsize, seq);
			guint block_timeout =
			    is_stub ? fk_timeout_per_mb(FK_TIMEOUT_ERASE_PER_MB,
							u + ((u + 32767) / 32768 + 1) * 65536)
				    : fk_timeout_per_mb(FK_TIMEOUT_ERASE_PER_MB, u);
			if (is_stub) {
				timeout = stub_timeout;
				stub_timeout = block_timeout;
			} else {
				timeout = block_timeout;
			}
			written_now = MIN(written + u, len);
		} else {
			written_now = MIN(pos + n, len);
			if (n < block_size) {
				padded = g_malloc(block_size);
				memcpy(padded, blk, n);
				memset(padded + n, 0xFF, block_size - n);
				blk = padded;
				n = block_size;
			}
		}
		if (!fk_device_send_block(self,
					  compress ? FK_OP_FLASH_DEFL_DATA : FK_OP_FLASH_DATA,
					  blk,
					  n,
					  seq,
					  timeout,
					  cancellable,
					  error)) {
			g_prefix_error(error, "writing at 0x%" G_GSIZE_MODIFIER "x: ", offset + written);
			return FALSE;
		}
		/* the ROM has written an acknowledged block; the stub may still be writing the
		 * previous one */
		*confirmed = is_stub ? written_before : written_now;
		written_before = written;
		written = written_now;
		/* in image bytes, which is what a person knows, not compressed ones */
		if (progress != NULL)
			fk_progress_set_done(progress, progress_base + written, progress_total);
	}
	if (is_stub) {
		/* flushes the stub's pipeline and reports any deferred write error */
		guint8 flag[4];
		fk_memwrite_u32le(flag, 1);
		if (!fk_loader_command(self->loader,
				       compress ? FK_OP_FLASH_DEFL_END : FK_OP_FLASH_END,
				       flag,
				       sizeof(flag),
				       stub_timeout,
				       cancellable,
				       error)) {
			g_prefix_error(error, "failed to finish writing: ");
			return FALSE;
		}
	}
	*confirmed = len;
	return TRUE;
}

/* whether the chip holds the first @keep bytes of @data at @offset */
static gboolean
fk_device_holds_prefix(FkDevice *self, guint32 offset, const guint8 *data, gsize keep, GCancellable *cancellable)
{
	g_autoptr(GError) error_local = NULL;
	guint8 md5_chip[16];
	gboolean matches = FALSE;

	if (!_fk_device_flash_matches(self, offset, data, keep, md5_chip, &matches, cancellable, &error_local))
		fk_loader_log(self->loader, "cannot check what was written (%s)", error_local->message);
	return matches;
}

/* where a write of @data at @offset interrupted after @confirmed bytes can go on: a sector
 * boundary below it before which the chip confirms by MD5 that it holds the data (the stub may
 * still have held back what it had not written yet, so a step further back is tried too); else
 * the start */
static gsize
fk_device_resume_point(FkDevice *self, guint32 offset, const guint8 *data, gsize confirmed, GCancellable *cancellable)
{
	gsize end = ((gsize)offset + confirmed) / FK_FLASH_SECTOR_SIZE * FK_FLASH_SECTOR_SIZE;

	if (!fk_device_can_md5(self))
		return 0;
	for (guint i = 0; i < 2 && end > offset; i++) {
		if (fk_device_holds_prefix(self, offset, data, end - offset, cancellable))
			return end - offset;
		fk_loader_log(self->loader, "the flash before 0x%" G_GSIZE_MODIFIER "x does not hold the image", end);
		end = end > 64 * 1024 ? (end - 64 * 1024) / FK_FLASH_SECTOR_SIZE * FK_FLASH_SECTOR_SIZE : 0;
	}
	return 0;
}

/* writes [@from, @to) of @image (meant for @offset), going on after a link fault from what the
 * chip confirms it holds; progress in image bytes, @done_before of @done_total already written */
static gboolean
fk_device_write_run(FkDevice *self,
		    guint32 offset,
		    const GByteArray *image,
		    gsize from,
		    gsize to,
		    gboolean compress,
		    FkRecovery *rec,
		    FkProgress *progress,
		    gsize done_before,
		    gsize done_total,
		    GCancellable *cancellable,
		    GError **error)
{
	gsize start = from, furthest = from;

	for (;;) {
		g_autoptr(GError) error_local = NULL;
		gsize confirmed = 0;
		if (fk_device_write_span(self, offset + start, image->data + start, to - start, compress, progress,
					 done_before + (start - from), done_total, &confirmed, cancellable, &error_local))
			return TRUE;
		if (!_fk_device_recover(self, rec, &error_local, cancellable, error))
			return FALSE;
		start = from + fk_device_resume_point(self, offset + from, image->data + from, start - from + confirmed,
						      cancellable);
		if (start > furthest) {
			/* progress: the failures before do not count against the next attempts */
			furthest = start;
			rec->in_a_row = 0;
		}
		fk_loader_log(self->loader, "writing again from 0x%" G_GSIZE_MODIFIER "x", offset + start);
	}
}

static gboolean
fk_device_verify_written(FkDevice *self, guint32 offset, const GByteArray *image, GCancellable *cancellable, GError **error)
{
	guint8 md5_chip[16], md5_expected[16];
	gboolean matches = FALSE;

	if (!_fk_device_flash_matches(self, offset, image->data, image->len, md5_chip, &matches, cancellable, error))
		return FALSE;
	if (!matches) {
		g_autofree gchar *a = _fk_md5_to_string(md5_chip);
		g_autofree gchar *b = NULL;
		_fk_md5_of(image->data, image->len, md5_expected);
		b = _fk_md5_to_string(md5_expected);
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_VERIFY_FAILED,
			    "Verification failed: the flash at 0x%x holds MD5 %s, the image has %s",
			    offset,
			    a,
			    b);
		return FALSE;
	}
	fk_loader_log(self->loader, "verified %u bytes at 0x%x (MD5 matches)", image->len, offset);
	return TRUE;
}

/* the end of a write: nothing outside the image changed */
static gboolean
fk_device_write_finish(FkDevice *self, FkFlashMap *outside, FkProgress *progress, GCancellable *cancellable,
		       GError **error)
{
	if (outside != NULL && !_fk_device_guard_end(self, outside, "write", cancellable, error))
		return FALSE;
	if (progress != NULL)
		fk_progress_finish(progress);
	return TRUE;
}

/* FK_WRITE_FLAG_ONLY_CHANGED: writes the parts of @image the chip does not hold yet, then checks
 * the whole image by its MD5; *@done is FALSE when the chip still does not hold it (the caller
 * writes all of it then) */
static gboolean
fk_device_write_changed(FkDevice *self,
			guint32 offset,
			const GByteArray *image,
			gboolean compress,
			FkRecovery *rec,
			FkProgress *progress,
			gboolean *done,
			GCancellable *cancellable,
			GError **error)
{
	g_autoptr(GArray) runs = NULL;
	g_autoptr(GError) error_local = NULL;
	gsize sum = 0, done_before = 0;

	if (!fk_device_flash_changed_runs(self, offset, image->data, image->len,
					  progress != NULL ? fk_progress_get_child(progress) : NULL, &runs, cancellable,
					  error))
		return FALSE;
	if (progress != NULL)
		fk_progress_step_done(progress);
	for (guint i = 0; i < runs->len; i++)
		sum += g_array_index(runs, FkFlashRegion, i).size;
	for (guint i = 0; i < runs->len; i++) {
		const FkFlashRegion *r = &g_array_index(runs, FkFlashRegion, i);
		gsize from = r->offset - offset;
		if (!fk_device_write_run(self, offset, image, from, from + r->size, compress, rec,
					 progress != NULL ? fk_progress_get_child(progress) : NULL, done_before, sum,
					 cancellable, error))
			return FALSE;
		done_before += r->size;
	}
	if (progress != NULL)
		fk_progress_step_done(progress);
	self->bytes_written = sum;
	fk_loader_log(self->loader, "%" G_GSIZE_FORMAT " of %u bytes differed from the flash, in %u ranges", sum,
		      image->len, runs->len);
	/* the whole image, asked again with a command of its own: a digest damaged on the way may
	 * have hidden a difference */
	if (fk_device_verify_written(self, offset, image, cancellable, &error_local)) {
		*done = TRUE;
		return TRUE;
	}
	if (!g_error_matches(error_local, FK_ERROR, FK_ERROR_VERIFY_FAILED)) {
		g_propagate_error(error, g_steal_pointer(&error_local));
		return FALSE;
	}
	*done = FALSE;
	return TRUE;
}

gboolean
fk_device_write_flash(FkDevice *self,
		      guint32 offset,
		      GBytes *data,
		      FkWriteFlags flags,
		      FkProgress *progress,
		      GCancellable *cancellable,
		      GError **error)
{
	g_autoptr(GByteArray) image = g_byte_array_new();
	gboolean compress, is_stub = fk_loader_get_kind(self->loader) == FK_LOADER_STUB;
	gboolean verify = (flags & FK_WRITE_FLAG_NO_VERIFY) == 0;
	gboolean only_changed;
	FkRecovery rec = {.what = "writing"};
	FkProgress *progress_write = NULL;
	g_autoptr(FkFlashMap) outside = NULL;
	gsize total, start = 0;
	gboolean written = FALSE, verify_failed = FALSE;
	guint32 over;

	if (!_fk_device_check_connected(self, error))
		return FALSE;
	if (g_bytes_get_size(data) == 0) {
		g_set_error_literal(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT, "The image is empty");
		return FALSE;
	}
	if (verify && !fk_device_can_md5(self)) {
		g_set_error_literal(error,
				    FK_ERROR,
				    FK_ERROR_STUB_MISSING,
				    "A write cannot be verified by the ESP8266 ROM: install the flasher "
				    "stubs (see the README) or turn verification off");
		return FALSE;
	}

	/* pad to 4 bytes; without a stub, start on a sector boundary */
	over = is_stub ? 0 : offset % FK_FLASH_SECTOR_SIZE;
	for (guint32 i = 0; i < over; i++)
		g_byte_array_append(image, (const guint8 *)"\xff", 1);
	g_byte_array_append(image, g_bytes_get_data(data, NULL), g_bytes_get_size(data));
	while (image->len % 4 != 0)
		g_byte_array_append(image, (const guint8 *)"\xff", 1);
	offset -= over;
	total = image->len;
	if (!_fk_device_check_range(self, offset, total, "The image", error))
		return FALSE;
	/* the stub writes whole words */
	if (is_stub && offset % 4 != 0) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_INVALID_ARGUMENT,
			    "The address 0x%x is not a multiple of 4: images are written in 4-byte words",
			    offset);
		return FALSE;
	}
	if (!_fk_device_check_rom8266_erase(self, offset, total, error))
		return FALSE;
	compress = (flags & FK_WRITE_FLAG_NO_COMPRESS) == 0 &&
		   (is_stub || ((flags & FK_WRITE_FLAG_COMPRESS) != 0 && fk_loader_get_kind(self->loader) == FK_LOADER_ROM32));

	/* only what the chip does not hold yet, where it can tell by MD5 and the result is verified */
	only_changed = (flags & FK_WRITE_FLAG_ONLY_CHANGED) != 0 && verify && fk_device_can_md5(self);
	self->bytes_written = 0;

	/* what must not change: the flash outside the image, checked again at the end (a damaged
	 * FLASH_BEGIN can write or erase elsewhere, and the image's own check cannot see that) */
	if (verify) {
		outside = _fk_device_guard_begin(self, offset, total, cancellable, error);
		if (outside == NULL)
			return FALSE;
	}
	if (progress != NULL) {
		fk_progress_add_step(progress, 10, only_changed ? "Comparing" : "Erasing");
		fk_progress_add_step(progress, 80, "Writing");
		fk_progress_add_step(progress, 10, "Verifying");
		if (!only_changed)
			fk_progress_step_done(progress);
	}
	if (only_changed) {
		gboolean done = FALSE;
		if (!fk_device_write_changed(self, offset, image, compress, &rec, progress, &done, cancellable, error))
			return FALSE;
		if (done)
			return fk_device_write_finish(self, outside, progress, cancellable, error);
		/* the chip does not hold the image after its changed parts were written: all of it */
		fk_loader_log(self->loader, "the flash still differs from the image: writing all of it");
	}
	progress_write = progress != NULL ? fk_progress_get_child(progress) : NULL;
	/* a failed attempt goes on from what the chip confirms it holds; the whole image is
	 * verified at the end */
	for (;;) {
		g_autoptr(GError) error_local = NULL;
		if (!fk_device_write_run(self, offset, image, start, total, compress, &rec, progress_write, start, total,
					 cancellable, error))
			return FALSE;
		if (progress != NULL && !written)
			fk_progress_step_done(progress);
		written = TRUE;
		if (!verify || fk_device_verify_written(self, offset, image, cancellable, &error_local))
			break;
		/* written twice and still different: write protection or a worn-out flash, not the
		 * link */
		if (verify_failed && g_error_matches(error_local, FK_ERROR, FK_ERROR_VERIFY_FAILED)) {
			g_propagate_error(error, g_steal_pointer(&error_local));
			return FALSE;
		}
		verify_failed = verify_failed || g_error_matches(error_local, FK_ERROR, FK_ERROR_VERIFY_FAILED);
		if (!_fk_device_recover(self, &rec, &error_local, cancellable, error))
			return FALSE;
		/* the write ended but the image is not on the chip: again, from what it confirms */
		start = fk_device_resume_point(self, offset, image->data, start, cancellable);
		fk_loader_log(self->loader, "writing again from 0x%" G_GSIZE_MODIFIER "x", offset + start);
	}
	self->bytes_written = total;
	return fk_device_write_finish(self, outside, progress, cancellable, error);
}
