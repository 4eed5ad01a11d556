/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <zlib.h>

#include "fk-device-private.h"
#include "fk-connect.h"
#include "fk-error.h"
#include "fk-identify.h"
#include "fk-loader.h"
#include "fk-mem.h"
#include "fk-packet.h"
#include "fk-protocol.h"
#include "fk-recovery.h"
#include "fk-reset.h"
#include "fk-slip.h"
#include "fk-stub-upload.h"
#include "fk-stub.h"

#define FK_WRITE_BLOCK_ATTEMPTS	 3
#define FK_READ_PIECE		 (64 * 1024)


G_DEFINE_TYPE(FkDevice, fk_device, G_TYPE_OBJECT)


FkDevice *
fk_device_new(FkTransport *transport)
{
	FkDevice *self = g_object_new(FK_TYPE_DEVICE, NULL);
	self->loader = fk_loader_new(transport);
	return self;
}

FkTransport *
fk_device_get_transport(FkDevice *self)
{
	return fk_loader_get_transport(self->loader);
}

void
fk_device_set_reset_mode(FkDevice *self, FkResetMode mode)
{
	self->reset_mode = mode;
}

void
fk_device_set_baud(FkDevice *self, guint baud)
{
	self->target_baud = baud;
}

void
fk_device_set_use_stub(FkDevice *self, gboolean use_stub)
{
	self->use_stub = use_stub;
}

void
fk_device_set_expected_chip(FkDevice *self, FkChipFamily family)
{
	self->expected_family = family;
}

void
fk_device_set_spi_connection(FkDevice *self, guint32 value)
{
	self->spi_connection = value;
	self->spi_connection_set = TRUE;
}

void
fk_device_set_log_func(FkDevice *self, FkDeviceLogFunc func, gpointer user_data)
{
	fk_loader_set_log_func(self->loader, func, user_data);
}

/* ---- registers ---- */

gboolean
fk_device_read_reg(FkDevice *self, guint32 addr, guint32 *value, GCancellable *cancellable, GError **error)
{
	return fk_loader_read_reg(self->loader, addr, value, cancellable, error);
}

gboolean
fk_device_write_reg(FkDevice *self,
		    guint32 addr,
		    guint32 value,
		    guint32 mask,
		    guint32 delay_us,
		    GCancellable *cancellable,
		    GError **error)
{
	return fk_loader_write_reg(self->loader, addr, value, mask, delay_us, cancellable, error);
}

guint
fk_device_get_recoveries(FkDevice *self)
{
	return self->recoveries;
}

gboolean
fk_device_is_connected(FkDevice *self)
{
	return fk_loader_is_connected(self->loader);
}

gboolean
_fk_device_check_connected(FkDevice *self, GError **error)
{
	if (!fk_loader_is_connected(self->loader)) {
		g_set_error_literal(error, FK_ERROR, FK_ERROR_WRONG_STATE, "not connected to a chip");
		return FALSE;
	}
	return TRUE;
}

const FkChipInfo *
fk_device_get_chip(FkDevice *self)
{
	return self->chip;
}

const gchar *
fk_device_get_chip_description(FkDevice *self)
{
	return self->description;
}

const guint8 *
fk_device_get_mac(FkDevice *self)
{
	return self->mac;
}

gchar *
fk_device_get_mac_string(FkDevice *self)
{
	return g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x",
			       self->mac[0], self->mac[1], self->mac[2],
			       self->mac[3], self->mac[4], self->mac[5]);
}

guint
fk_device_get_crystal_mhz(FkDevice *self)
{
	return self->crystal_mhz;
}

guint32
fk_device_get_flash_id(FkDevice *self)
{
	return self->flash_id;
}

gsize
fk_device_get_flash_size(FkDevice *self)
{
	return self->flash_size;
}

gboolean
fk_device_is_stub_running(FkDevice *self)
{
	return fk_loader_get_kind(self->loader) == FK_LOADER_STUB;
}

gboolean
fk_device_is_esp8285(FkDevice *self)
{
	return self->is_esp8285;
}

guint
fk_device_get_current_baud(FkDevice *self)
{
	return self->current_baud;
}

gboolean
fk_device_can_md5(FkDevice *self)
{
	return fk_loader_get_kind(self->loader) != FK_LOADER_ROM8266;
}

gboolean
fk_device_can_read(FkDevice *self)
{
	return fk_loader_get_kind(self->loader) != FK_LOADER_ROM8266;
}

gboolean
_fk_device_check_range(FkDevice *self, guint32 offset, gsize size, const gchar *what, GError **error)
{
	/* written so that nothing wraps round, whatever @size is */
	if (self->flash_size > 0 && (size > self->flash_size || offset > self->flash_size - size)) {
		g_autofree gchar *flash = fk_format_size(self->flash_size);
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_SIZE_MISMATCH,
			    "%s 0x%x–0x%" G_GINT64_MODIFIER "x does not fit in the %s flash",
			    what,
			    offset,
			    (guint64)offset + MIN(size, (gsize)G_MAXUINT32 + 1),
			    flash);
		return FALSE;
	}
	/* no flash has 4 GB */
	if (size > G_MAXUINT32 || (guint64)offset + size > (guint64)G_MAXUINT32 + 1) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_SIZE_MISMATCH,
			    "%s (0x%" G_GSIZE_MODIFIER "x bytes at 0x%x) would end past 4 GB, beyond any flash",
			    what,
			    size,
			    offset);
		return FALSE;
	}
	if ((guint64)offset + size > 16 * 1024 * 1024 &&
	    !(fk_loader_get_kind(self->loader) == FK_LOADER_STUB && self->chip->flash_32bit_addr)) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_SIZE_MISMATCH,
			    "%s goes beyond 16 MB, which this chip's loader cannot address",
			    what);
		return FALSE;
	}
	return TRUE;
}

/* ---- MD5 ---- */

gboolean
fk_device_flash_md5(FkDevice *self, guint32 offset, gsize size, guint8 *md5_out, GCancellable *cancellable, GError **error)
{
	guint8 buf[16];
	FkCommand cmd = {.op = FK_OP_SPI_FLASH_MD5, .data = buf, .len = sizeof(buf)};
	g_autoptr(GByteArray) frame = NULL;
	FkResponse resp;

	if (!fk_device_can_md5(self)) {
		g_set_error_literal(error,
				    FK_ERROR,
				    FK_ERROR_UNSUPPORTED,
				    "the ESP8266 ROM cannot compute an MD5 of the flash (the flasher stub can)");
		return FALSE;
	}
	fk_memwrite_u32le(buf, offset);
	fk_memwrite_u32le(buf + 4, size);
	fk_memwrite_u32le(buf + 8, 0);
	fk_memwrite_u32le(buf + 12, 0);
	cmd.timeout_ms = fk_timeout_per_mb(FK_TIMEOUT_MD5_PER_MB, size);
	cmd.payload_len = fk_loader_get_kind(self->loader) == FK_LOADER_STUB ? 16 : 32;
	frame = fk_loader_command_full(self->loader, &cmd, NULL, cancellable, error);
	if (frame == NULL) {
		g_prefix_error(error, "failed to compute the MD5 of the flash: ");
		return FALSE;
	}
	fk_packet_parse_response(frame->data, frame->len, &resp);
	if (fk_loader_get_kind(self->loader) == FK_LOADER_STUB) {
		memcpy(md5_out, resp.data, 16);
		return TRUE;
	}
	for (guint i = 0; i < 16; i++) {
		gint hi = g_ascii_xdigit_value(resp.data[i * 2]);
		gint lo = g_ascii_xdigit_value(resp.data[i * 2 + 1]);
		if (hi < 0 || lo < 0) {
			g_set_error_literal(error,
					    FK_PROTOCOL_ERROR,
					    FK_PROTOCOL_ERROR_UNEXPECTED_RESPONSE,
					    "the MD5 reply is not hexadecimal");
			return FALSE;
		}
		md5_out[i] = (guint8)((hi << 4) | lo);
	}
	return TRUE;
}

static void
fk_md5_finish(GChecksum *checksum, guint8 *out)
{
	gsize len = 16;
	g_checksum_get_digest(checksum, out, &len);
}

static void
fk_md5_of(const guint8 *data, gsize len, guint8 *out)
{
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_MD5);
	g_checksum_update(checksum, data, len);
	fk_md5_finish(checksum, out);
}

static gchar *
fk_md5_to_string(const guint8 *md5)
{
	GString *str = g_string_new(NULL);
	for (guint i = 0; i < 16; i++)
		g_string_append_printf(str, "%02x", md5[i]);
	return g_string_free(str, FALSE);
}

/* ---- reading ---- */

static gboolean
fk_device_write_out(GOutputStream *out, const guint8 *data, gsize len, GCancellable *cancellable, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	if (!g_output_stream_write_all(out, data, len, NULL, cancellable, &error_local)) {
		if (g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
			g_propagate_error(error, g_steal_pointer(&error_local));
			return FALSE;
		}
		g_set_error(error, FK_ERROR, FK_ERROR_FILE, "Cannot write the backup: %s", error_local->message);
		return FALSE;
	}
	return TRUE;
}

/* one piece through the stub's READ_FLASH stream, and the stub's MD5 of it */
static gboolean
fk_device_read_piece_stub(FkDevice *self,
			  guint32 offset,
			  gsize size,
			  GByteArray *piece,
			  guint8 *md5_chip,
			  FkProgress *progress,
			  gsize progress_base,
			  gsize progress_total,
			  GCancellable *cancellable,
			  GError **error)
{
	guint8 buf[16];
	g_autoptr(GByteArray) digest = NULL;

	fk_memwrite_u32le(buf, offset);
	fk_memwrite_u32le(buf + 4, size);
	fk_memwrite_u32le(buf + 8, FK_STUB_READ_PACKET);
	fk_memwrite_u32le(buf + 12, 64);
	if (!fk_loader_command(self->loader, FK_OP_READ_FLASH, buf, sizeof(buf), FK_TIMEOUT_DEFAULT_MS, cancellable, error))
		return FALSE;
	while (piece->len < size) {
		guint8 ack[4];
		g_autoptr(GByteArray) frame = NULL;

		/* never cancel in the middle of the stream: the stub would keep sending */
		frame = fk_loader_read_frame(self->loader, FK_TIMEOUT_DEFAULT_MS, NULL, error);
		if (frame == NULL) {
			fk_loader_explain_garbage(self->loader, error);
			g_prefix_error(error, "flash read stopped at 0x%x: ", offset + piece->len);
			return FALSE;
		}
		if (frame->len == 0 || piece->len + frame->len > size ||
		    (piece->len + frame->len < size && frame->len != FK_STUB_READ_PACKET)) {
			g_set_error(error,
				    FK_PROTOCOL_ERROR,
				    FK_PROTOCOL_ERROR_UNEXPECTED_RESPONSE,
				    "flash read at 0x%x got a %u-byte frame, expected %u",
				    offset + piece->len,
				    frame->len,
				    (guint)MIN(FK_STUB_READ_PACKET, size - piece->len));
			return FALSE;
		}
		g_byte_array_append(piece, frame->data, frame->len);
		fk_memwrite_u32le(ack, piece->len);
		if (!fk_loader_send_frame(self->loader, ack, sizeof(ack), NULL, error))
			return FALSE;
		if (progress != NULL)
			fk_progress_set_done(progress, progress_base + piece->len, progress_total);
	}
	digest = fk_loader_read_frame(self->loader, FK_TIMEOUT_DEFAULT_MS, NULL, error);
	if (digest == NULL) {
		g_prefix_error(error, "no digest at the end of the flash read: ");
		return FALSE;
	}
	if (digest->len != 16) {
		g_set_error(error,
			    FK_PROTOCOL_ERROR,
			    FK_PROTOCOL_ERROR_UNEXPECTED_RESPONSE,
			    "the digest at the end of the flash read has %u bytes",
			    digest->len);
		return FALSE;
	}
	memcpy(md5_chip, digest->data, 16);
	return TRUE;
}

/* one piece through the ROM, 64 bytes a command, and the ROM's MD5 of it */
static gboolean
fk_device_read_piece_rom(FkDevice *self,
			 guint32 offset,
			 gsize size,
			 GByteArray *piece,
			 guint8 *md5_chip,
			 FkProgress *progress,
			 gsize progress_base,
			 gsize progress_total,
			 GCancellable *cancellable,
			 GError **error)
{
	while (piece->len < size) {
		guint8 buf[8];
		gsize n = MIN(FK_ROM_READ_SLOW_CHUNK, size - piece->len);
		FkCommand cmd = {.op = FK_OP_READ_FLASH_SLOW,
				 .data = buf,
				 .len = sizeof(buf),
				 .timeout_ms = FK_TIMEOUT_DEFAULT_MS,
				 .payload_len = FK_ROM_READ_SLOW_CHUNK};
		g_autoptr(GByteArray) frame = NULL;
		FkResponse resp;

		if (g_cancellable_set_error_if_cancelled(cancellable, error))
			return FALSE;
		fk_memwrite_u32le(buf, offset + piece->len);
		fk_memwrite_u32le(buf + 4, n);
		frame = fk_loader_command_full(self->loader, &cmd, NULL, cancellable, error);
		if (frame == NULL) {
			g_prefix_error(error, "flash read failed at 0x%x: ", offset + piece->len);
			return FALSE;
		}
		fk_packet_parse_response(frame->data, frame->len, &resp);
		g_byte_array_append(piece, resp.data, n);
		if (progress != NULL)
			fk_progress_set_done(progress, progress_base + piece->len, progress_total);
	}
	/* the ROM read has no digest of its own: ask for one */
	return fk_device_flash_md5(self, offset, size, md5_chip, cancellable, error);
}

gboolean
fk_device_read_flash(FkDevice *self,
		     guint32 offset,
		     gsize size,
		     GOutputStream *out,
		     guint8 *md5_out,
		     FkProgress *progress,
		     GCancellable *cancellable,
		     GError **error)
{
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_MD5);
	g_autoptr(GByteArray) piece = g_byte_array_sized_new(FK_READ_PIECE);
	FkRecovery rec = {.what = "reading"};
	gsize done = 0;

	if (!_fk_device_check_connected(self, error))
		return FALSE;
	if (!fk_device_can_read(self)) {
		g_set_error_literal(error,
				    FK_ERROR,
				    FK_ERROR_STUB_MISSING,
				    "The ESP8266 ROM cannot read its flash: the flasher stub is needed "
				    "(install the stubs, see the README)");
		return FALSE;
	}
	if (size == 0) {
		g_set_error_literal(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT, "nothing to read (size 0)");
		return FALSE;
	}
	if (!_fk_device_check_range(self, offset, size, "the region to read", error))
		return FALSE;

	/* in pieces, each checked by the chip before it is passed on: a cancel is honoured
	 * between them, and a piece that fails is read again */
	while (done < size) {
		gsize n = MIN(size - done, FK_READ_PIECE);
		g_autoptr(GError) error_local = NULL;
		guint8 md5_chip[16], md5_host[16];
		gboolean ok;

		if (g_cancellable_set_error_if_cancelled(cancellable, error))
			return FALSE;
		g_byte_array_set_size(piece, 0);
		if (fk_loader_get_kind(self->loader) == FK_LOADER_STUB)
			ok = fk_device_read_piece_stub(self, offset + done, n, piece, md5_chip, progress, done, size,
						       cancellable, &error_local);
		else
			ok = fk_device_read_piece_rom(self, offset + done, n, piece, md5_chip, progress, done, size,
						      cancellable, &error_local);
		if (ok) {
			fk_md5_of(piece->data, piece->len, md5_host);
			if (memcmp(md5_host, md5_chip, 16) != 0) {
				g_autofree gchar *a = fk_md5_to_string(md5_chip);
				g_autofree gchar *b = fk_md5_to_string(md5_host);
				g_set_error(&error_local,
					    FK_ERROR,
					    FK_ERROR_VERIFY_FAILED,
					    "the data read at 0x%" G_GSIZE_MODIFIER "x does not match the chip's "
					    "checksum (chip MD5 %s, received %s): the serial link corrupted it",
					    offset + done,
					    a,
					    b);
				ok = FALSE;
			}
		}
		if (!ok) {
			if (!_fk_device_recover(self, &rec, &error_local, cancellable, error))
				return FALSE;
			fk_loader_log(self->loader, "reading again from 0x%" G_GSIZE_MODIFIER "x", offset + done);
			continue;
		}
		rec.in_a_row = 0;
		g_checksum_update(checksum, piece->data, piece->len);
		if (!fk_device_write_out(out, piece->data, piece->len, cancellable, error))
			return FALSE;
		done += n;
	}
	if (md5_out != NULL)
		fk_md5_finish(checksum, md5_out);
	return TRUE;
}

/* ---- writing ---- */

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

/* the ESP8266 ROM erases one sector too many for some spans: refuse rather than destroy it */
static gboolean
fk_device_check_rom8266_erase(FkDevice *self, guint32 offset, gsize size, GError **error)
{
	if (fk_loader_get_kind(self->loader) != FK_LOADER_ROM8266 || fk_esp8266_rom_erase_is_exact(offset, size))
		return TRUE;
	g_set_error(error,
		    FK_ERROR,
		    FK_ERROR_UNSUPPORTED,
		    "The ESP8266 ROM loader cannot erase exactly 0x%x–0x%" G_GINT64_MODIFIER "x: it would "
		    "also erase the sector after it. Install the flasher stubs (see the README), or use "
		    "an even number of 4 KB sectors",
		    offset,
		    ((guint64)offset + size + FK_FLASH_SECTOR_SIZE - 1) / FK_FLASH_SECTOR_SIZE * FK_FLASH_SECTOR_SIZE);
	return FALSE;
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

/* the chip's MD5 of @len bytes at @offset, and whether @data has the same */
static gboolean
fk_device_flash_matches(FkDevice *self,
			guint32 offset,
			const guint8 *data,
			gsize len,
			guint8 *md5_chip,
			gboolean *matches,
			GCancellable *cancellable,
			GError **error)
{
	guint8 md5_host[16];
	if (!fk_device_flash_md5(self, offset, len, md5_chip, cancellable, error))
		return FALSE;
	fk_md5_of(data, len, md5_host);
	*matches = memcmp(md5_chip, md5_host, 16) == 0;
	return TRUE;
}

/* whether the chip holds the first @keep bytes of @image at @offset */
static gboolean
fk_device_holds_prefix(FkDevice *self, guint32 offset, const GByteArray *image, gsize keep, GCancellable *cancellable)
{
	g_autoptr(GError) error_local = NULL;
	guint8 md5_chip[16];
	gboolean matches = FALSE;

	if (!fk_device_flash_matches(self, offset, image->data, keep, md5_chip, &matches, cancellable, &error_local))
		fk_loader_log(self->loader, "cannot check what was written (%s)", error_local->message);
	return matches;
}

/* where a write interrupted after @confirmed bytes can go on: a sector boundary below it before
 * which the chip confirms by MD5 that it holds the image (the stub may still have held back
 * what it had not written yet, so a step further back is tried too); else the start */
static gsize
fk_device_resume_point(FkDevice *self, guint32 offset, const GByteArray *image, gsize confirmed, GCancellable *cancellable)
{
	gsize end = ((gsize)offset + confirmed) / FK_FLASH_SECTOR_SIZE * FK_FLASH_SECTOR_SIZE;

	if (!fk_device_can_md5(self))
		return 0;
	for (guint i = 0; i < 2 && end > offset; i++) {
		if (fk_device_holds_prefix(self, offset, image, end - offset, cancellable))
			return end - offset;
		fk_loader_log(self->loader, "the flash before 0x%" G_GSIZE_MODIFIER "x does not hold the image", end);
		end = end > 64 * 1024 ? (end - 64 * 1024) / FK_FLASH_SECTOR_SIZE * FK_FLASH_SECTOR_SIZE : 0;
	}
	return 0;
}

static gboolean
fk_device_verify_written(FkDevice *self, guint32 offset, const GByteArray *image, GCancellable *cancellable, GError **error)
{
	guint8 md5_chip[16], md5_expected[16];
	gboolean matches = FALSE;

	if (!fk_device_flash_matches(self, offset, image->data, image->len, md5_chip, &matches, cancellable, error))
		return FALSE;
	if (!matches) {
		g_autofree gchar *a = fk_md5_to_string(md5_chip);
		g_autofree gchar *b = NULL;
		fk_md5_of(image->data, image->len, md5_expected);
		b = fk_md5_to_string(md5_expected);
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
	FkRecovery rec = {.what = "writing"};
	FkProgress *progress_write = NULL;
	gsize total, start = 0, furthest = 0;
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
	if (!fk_device_check_rom8266_erase(self, offset, total, error))
		return FALSE;
	compress = (flags & FK_WRITE_FLAG_NO_COMPRESS) == 0 &&
		   (is_stub || ((flags & FK_WRITE_FLAG_COMPRESS) != 0 && fk_loader_get_kind(self->loader) == FK_LOADER_ROM32));

	if (progress != NULL) {
		fk_progress_add_step(progress, 10, "Erasing");
		fk_progress_add_step(progress, 80, "Writing");
		fk_progress_add_step(progress, 10, "Verifying");
		fk_progress_step_done(progress);
		progress_write = fk_progress_get_child(progress);
	}
	/* a failed attempt goes on from what the chip confirms it holds; the whole image is
	 * verified at the end */
	for (;;) {
		g_autoptr(GError) error_local = NULL;
		gsize confirmed = 0;
		if (fk_device_write_span(self,
					 offset + start,
					 image->data + start,
					 total - start,
					 compress,
					 progress_write,
					 start,
					 total,
					 &confirmed,
					 cancellable,
					 &error_local)) {
			if (progress != NULL && !written)
				fk_progress_step_done(progress);
			written = TRUE;
			if (!verify || fk_device_verify_written(self, offset, image, cancellable, &error_local))
				break;
			/* written twice and still different: write protection or a worn-out flash, not
			 * the link */
			if (verify_failed && g_error_matches(error_local, FK_ERROR, FK_ERROR_VERIFY_FAILED)) {
				g_propagate_error(error, g_steal_pointer(&error_local));
				return FALSE;
			}
			verify_failed = verify_failed || g_error_matches(error_local, FK_ERROR, FK_ERROR_VERIFY_FAILED);
			confirmed = 0;
		}
		if (!_fk_device_recover(self, &rec, &error_local, cancellable, error))
			return FALSE;
		start = fk_device_resume_point(self, offset, image, start + confirmed, cancellable);
		if (start > furthest) {
			/* progress: the failures before do not count against the next attempts */
			furthest = start;
			rec.in_a_row = 0;
		}
		fk_loader_log(self->loader, "writing again from 0x%" G_GSIZE_MODIFIER "x", offset + start);
	}
	if (progress != NULL)
		fk_progress_finish(progress);
	return TRUE;
}

/* ---- erasing ---- */

static gboolean
fk_device_erase_piece(FkDevice *self, guint32 at, gsize n, GCancellable *cancellable, GError **error)
{
	guint8 buf[20] = {0};
	gsize len = 16;

	if (fk_loader_get_kind(self->loader) == FK_LOADER_STUB) {
		fk_memwrite_u32le(buf, at);
		fk_memwrite_u32le(buf + 4, n);
		return fk_loader_command(self->loader, FK_OP_ERASE_REGION, buf, 8,
					 fk_timeout_per_mb(FK_TIMEOUT_ERASE_PER_MB, n), cancellable, error);
	}
	/* the ROM erases when a write begins; no data follows */
	fk_memwrite_u32le(buf, fk_loader_get_kind(self->loader) == FK_LOADER_ROM8266 ? fk_esp8266_rom_erase_size(at, n) : n);
	fk_memwrite_u32le(buf + 4, (n + FK_ROM_WRITE_SIZE - 1) / FK_ROM_WRITE_SIZE);
	fk_memwrite_u32le(buf + 8, FK_ROM_WRITE_SIZE);
	fk_memwrite_u32le(buf + 12, at);
	if (fk_loader_get_kind(self->loader) == FK_LOADER_ROM32 && self->chip->family != FK_CHIP_ESP32) {
		fk_memwrite_u32le(buf + 16, 0);
		len = 20;
	}
	return fk_loader_command(self->loader, FK_OP_FLASH_BEGIN, buf, len,
				 fk_timeout_per_mb(FK_TIMEOUT_ERASE_PER_MB, n), cancellable, error);
}

gboolean
fk_device_erase_region(FkDevice *self, guint32 offset, gsize size, FkProgress *progress, GCancellable *cancellable, GError **error)
{
	FkRecovery rec = {.what = "erasing"};
	gsize done = 0;

	if (!_fk_device_check_connected(self, error))
		return FALSE;
	if (size == 0) {
		g_set_error_literal(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT, "Nothing to erase (size 0)");
		return FALSE;
	}
	if (offset % FK_FLASH_SECTOR_SIZE != 0 || size % FK_FLASH_SECTOR_SIZE != 0) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_INVALID_ARGUMENT,
			    "The region to erase must start and end on a 4 KB (0x1000) boundary "
			    "(got 0x%x + 0x%" G_GSIZE_MODIFIER "x)",
			    offset,
			    size);
		return FALSE;
	}
	if (!_fk_device_check_range(self, offset, size, "The region to erase", error))
		return FALSE;
	if (!fk_device_check_rom8266_erase(self, offset, size, error))
		return FALSE;
	/* erase in pieces so that progress moves and cancel is honoured between them; erasing
	 * again is harmless, so a piece that fails is erased again */
	while (done < size) {
		gsize n = MIN(size - done, 256 * 1024);
		g_autoptr(GError) error_local = NULL;
		if (g_cancellable_set_error_if_cancelled(cancellable, error))
			return FALSE;
		if (!fk_device_erase_piece(self, offset + done, n, cancellable, &error_local)) {
			if (!_fk_device_recover(self, &rec, &error_local, cancellable, error))
				return FALSE;
			continue;
		}
		rec.in_a_row = 0;
		done += n;
		if (progress != NULL)
			fk_progress_set_done(progress, done, size);
	}
	return TRUE;
}

gboolean
fk_device_erase_flash(FkDevice *self, FkProgress *progress, GCancellable *cancellable, GError **error)
{
	if (!_fk_device_check_connected(self, error))
		return FALSE;
	if (fk_loader_get_kind(self->loader) == FK_LOADER_STUB) {
		FkRecovery rec = {.what = "erasing"};
		if (progress != NULL)
			fk_progress_set_status(progress, "Erasing the whole flash");
		for (;;) {
			g_autoptr(GError) error_local = NULL;
			if (fk_loader_command(self->loader, FK_OP_ERASE_FLASH, NULL, 0, FK_TIMEOUT_CHIP_ERASE_MS, cancellable, &error_local))
				break;
			if (!_fk_device_recover(self, &rec, &error_local, cancellable, error)) {
				g_prefix_error(error, "failed to erase the flash: ");
				return FALSE;
			}
		}
		if (progress != NULL)
			fk_progress_finish(progress);
		return TRUE;
	}
	/* the ROM has no chip erase: erase the detected size region by region */
	if (self->flash_size == 0) {
		g_set_error_literal(error,
				    FK_ERROR,
				    FK_ERROR_SIZE_MISMATCH,
				    "The flash size is unknown, so the whole flash cannot be erased without "
				    "the flasher stub");
		return FALSE;
	}
	return fk_device_erase_region(self, 0, self->flash_size, progress, cancellable, error);
}

/* ---- leaving ---- */

gboolean
fk_device_finish(FkDevice *self, FkAfterMode after, GCancellable *cancellable, GError **error)
{
	guint8 buf[16] = {0};
	if (!fk_loader_is_connected(self->loader))
		return TRUE;
	switch (after) {
	case FK_AFTER_HARD_RESET:
		if (!fk_transport_has_modem_lines(fk_loader_get_transport(self->loader))) {
			fk_loader_log(self->loader, "cannot reset the chip over this link: reset it by hand");
			break;
		}
		if (self->chip->family == FK_CHIP_ESP32S3) {
			/* clear "force download boot", or the S3 comes back in its loader */
			g_autoptr(GError) error_local = NULL;
			if (!fk_loader_write_reg(self->loader, 0x6000812C, 0, 1, 0, cancellable, &error_local))
				fk_loader_log(self->loader, "%s", error_local->message);
		}
		if (!fk_reset_hard(self->loader, error))
			return FALSE;
		break;
	case FK_AFTER_SOFT_RESET:
		if (fk_loader_get_kind(self->loader) == FK_LOADER_STUB) {
			if (self->chip->family != FK_CHIP_ESP8266) {
				g_set_error_literal(error, FK_ERROR, FK_ERROR_UNSUPPORTED,
						    "a soft reset with the flasher stub only works on the ESP8266");
				return FALSE;
			}
			{
				g_autoptr(GByteArray) pkt = fk_packet_build_command(FK_OP_RUN_USER_CODE, NULL, 0, 0);
				if (!fk_loader_send_frame(self->loader, pkt->data, pkt->len, cancellable, error))
					return FALSE;
			}
			break;
		}
		fk_memwrite_u32le(buf + 8, FK_ROM_WRITE_SIZE);
		if (!fk_loader_command(self->loader, FK_OP_FLASH_BEGIN, buf, 16, FK_TIMEOUT_DEFAULT_MS, cancellable, error))
			return FALSE;
		fk_memwrite_u32le(buf, 1);
		if (!fk_loader_command(self->loader, FK_OP_FLASH_END, buf, 4, FK_TIMEOUT_DEFAULT_MS, cancellable, error))
			return FALSE;
		break;
	case FK_AFTER_NO_RESET:
	case FK_AFTER_NO_RESET_STUB:
	default:
		break;
	}
	fk_loader_set_connected(self->loader, FALSE);
	return TRUE;
}

static void
fk_device_finalize(GObject *object)
{
	FkDevice *self = FK_DEVICE(object);
	g_clear_pointer(&self->loader, fk_loader_free);
	g_free(self->description);
	G_OBJECT_CLASS(fk_device_parent_class)->finalize(object);
}

static void
fk_device_init(FkDevice *self)
{
	self->use_stub = TRUE;
	self->target_baud = FK_ROM_BAUD;
	self->current_baud = FK_ROM_BAUD;
}

static void
fk_device_class_init(FkDeviceClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->finalize = fk_device_finalize;
}
