/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns reading the flash: pieces through the stub's stream or the ROM's slow read, each checked
 * by MD5 and read again after a fault; calls the loader, MD5, recovery and the device's checks */
#include "config.h"

#include <string.h>

#include "fk-device-private.h"
#include "fk-error.h"
#include "fk-mem.h"
#include "fk-op-md5.h"
#include "fk-packet.h"
#include "fk-protocol.h"
#include "fk-recovery.h"

/* a piece is one READ_FLASH and one SPI_FLASH_MD5, with three round trips between pieces (the
 * last packet's acknowledgement, the digest, the next command): about this much line time, so
 * that those stay a small share of it even through an adapter's 16 ms of latency. A cancel ends
 * the stub's stream at once (fk_device_read_end_stream), and after a piece that failed the next
 * ones are smaller (FkDevice.read_piece_limit), so a long piece is neither slow to stop nor
 * costly to read again on a noisy line */
#define FK_READ_PIECE_MS  12000
#define FK_READ_PIECE	  (64 * 1024) /* the least, and always through the ROM */
#define FK_READ_PIECE_MAX (1024 * 1024) /* held in memory until the chip has checked it */
#define FK_READ_END_FRAMES 4	      /* packets that may still come after the stream was ended */

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

/* Ends the stub's READ_FLASH stream before its end, at a point where an acknowledgement could
 * go: both stubs take a frame of fewer than 4 bytes as the end (esp-flasher-stub's
 * s_read_flash_post_process breaks out on any length but 4; the legacy handle_flash_read on a
 * SLIP_recv() that returns less than 4, a longer frame being cut to 4), send no further packet and
 * send the digest of what they sent. The packet under way, and with the legacy stub's window of
 * two packets at most one more, still comes; the digest is the one 16-byte frame. Then the line
 * is in step for the next command. */
static gboolean
fk_device_read_end_stream(FkDevice *self, GError **error)
{
	static const guint8 end = 0;

	if (!fk_loader_send_frame(self->loader, &end, sizeof(end), NULL, error))
		return FALSE;
	for (guint i = 0; i <= FK_READ_END_FRAMES; i++) {
		g_autoptr(GByteArray) frame = fk_loader_read_frame(self->loader, FK_TIMEOUT_DEFAULT_MS, NULL, error);
		if (frame == NULL)
			return FALSE;
		if (frame->len == 16)
			return TRUE;
	}
	g_set_error_literal(error,
			    FK_PROTOCOL_ERROR,
			    FK_PROTOCOL_ERROR_UNEXPECTED_RESPONSE,
			    "the flash read did not end when asked to");
	return FALSE;
}

/* a cancel during a stream: the stream is ended first, so that the chip is left ready for the
 * next command; a stream that would not end leaves the line to be flushed. Always FALSE, with
 * the cancel in @error */
static gboolean
fk_device_read_cancelled(FkDevice *self, GCancellable *cancellable, GError **error)
{
	g_autoptr(GError) error_local = NULL;

	if (!fk_device_read_end_stream(self, &error_local)) {
		fk_loader_log(self->loader, "ending the flash read early failed: %s", error_local->message);
		if (!fk_loader_flush_input(self->loader, NULL))
			fk_loader_log(self->loader, "could not flush the line");
	} else {
		fk_loader_log(self->loader, "flash read ended early");
	}
	g_cancellable_set_error_if_cancelled(cancellable, error);
	return FALSE;
}

/* The stub's READ_FLASH stream keeps the line full when the host acknowledges a packet as soon as
 * it begins to arrive (with the count of bytes received whole so far), not when it has arrived.
 * Both of Espressif's stubs send one packet per acknowledgement:
 *  - esp-flasher-stub (src/command_handler.c, s_read_flash_post_process) counts acknowledgement
 *    frames, not their values, against a window of one packet, polling at most one frame per
 *    turn of its loop; its receiver (src/slip.c, slip_recv_byte) takes one frame and then drops
 *    every byte until the loop has polled that frame. The beginning of packet k+1 proves that the
 *    acknowledgement which let it go was polled, so the next one will not be dropped: never more
 *    than one acknowledgement waits at the stub. An acknowledgement sent before the first packet
 *    began would be counted before anything was sent, and the stub would wait for ever.
 *  - the legacy stub (flasher_stub/stub_commands.c, handle_flash_read) reads acknowledgements
 *    from the UART's FIFO and compares their value, in bytes, with max_in_flight: with two packets'
 *    worth it sends packet k+1 once packet k-1 is counted as received, which is what the
 *    acknowledgement sent at the beginning of packet k says.
 * Packet k+1 then follows packet k after one round trip from its beginning, instead of after its
 * end. Both stubs end the stream on an acknowledgement of every byte, sent when the last packet has
 * arrived whole; each stream is answered with exactly one acknowledgement per packet. Without
 * @ahead, a packet is acknowledged when it has arrived, as esptool does. */
static gboolean
fk_device_read_piece_stub(FkDevice *self,
			  guint32 offset,
			  gsize size,
			  gboolean ahead,
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
	fk_memwrite_u32le(buf + 12, ahead ? 2 * FK_STUB_READ_PACKET : 64);
	if (!fk_loader_command(self->loader, FK_OP_READ_FLASH, buf, sizeof(buf), FK_TIMEOUT_DEFAULT_MS, cancellable, error))
		return FALSE;
	while (piece->len < size) {
		guint8 ack[4];
		g_autoptr(GByteArray) frame = NULL;

		/* every packet but the last; a cancel ends the stream in place of an acknowledgement */
		if (ahead && size - piece->len > FK_STUB_READ_PACKET) {
			if (!fk_loader_wait_next_frame(self->loader, FK_TIMEOUT_DEFAULT_MS, NULL, error)) {
				g_prefix_error(error, "flash read stopped at 0x%x: ", offset + piece->len);
				return FALSE;
			}
			if (g_cancellable_is_cancelled(cancellable))
				return fk_device_read_cancelled(self, cancellable, error);
			fk_memwrite_u32le(ack, piece->len);
			if (!fk_loader_send_frame(self->loader, ack, sizeof(ack), NULL, error))
				return FALSE;
		}
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
		if (!ahead && piece->len < size && g_cancellable_is_cancelled(cancellable))
			return fk_device_read_cancelled(self, cancellable, error);
		if (!ahead || piece->len == size) {
			fk_memwrite_u32le(ack, piece->len);
			if (!fk_loader_send_frame(self->loader, ack, sizeof(ack), NULL, error))
				return FALSE;
		}
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

/* the bytes of about FK_READ_PIECE_MS at the line's rate, or at the rate the last piece at this
 * baud rate was read when that was faster (the chip's own USB port ignores the baud rate), in
 * whole sectors */
static gsize
fk_device_read_piece_size(FkDevice *self)
{
	guint baud = fk_transport_get_baud(fk_loader_get_transport(self->loader));
	guint64 rate = (guint64)baud / 10;
	gsize n;

	if (fk_loader_get_kind(self->loader) != FK_LOADER_STUB)
		return FK_READ_PIECE;
	if (self->read_rate_baud == baud)
		rate = MAX(rate, self->read_rate);
	n = (gsize)MIN(rate * FK_READ_PIECE_MS / 1000, (guint64)FK_READ_PIECE_MAX);
	if (self->read_piece_limit != 0)
		n = MIN(n, self->read_piece_limit);
	n -= n % FK_FLASH_SECTOR_SIZE;
	return CLAMP(n, FK_READ_PIECE, FK_READ_PIECE_MAX);
}

/* after a piece that failed, pieces of a quarter of its size (at least the least) until pieces
 * come through again, each success doubling the limit: a line with faults costs a little more in
 * round trips and much less in data read again */
static void
fk_device_read_piece_done(FkDevice *self, gsize n, gboolean ok)
{
	if (!ok) {
		self->read_piece_limit = MAX(FK_READ_PIECE, n / 4);
		return;
	}
	if (self->read_piece_limit == 0)
		return;
	self->read_piece_limit *= 2;
	if (self->read_piece_limit >= FK_READ_PIECE_MAX)
		self->read_piece_limit = 0;
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

/* the chip's digest of a piece against the host's */
static gboolean
fk_device_piece_matches(gsize at, const guint8 *md5_chip, const guint8 *md5_host, GError **error)
{
	g_autofree gchar *a = NULL;
	g_autofree gchar *b = NULL;

	if (memcmp(md5_host, md5_chip, 16) == 0)
		return TRUE;
	a = _fk_md5_to_string(md5_chip);
	b = _fk_md5_to_string(md5_host);
	g_set_error(error,
		    FK_ERROR,
		    FK_ERROR_VERIFY_FAILED,
		    "the data read at 0x%" G_GSIZE_MODIFIER "x does not match the chip's checksum (chip MD5 %s, "
		    "received %s): the serial link corrupted it",
		    at,
		    a,
		    b);
	return FALSE;
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
	g_autoptr(GByteArray) piece = NULL;
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
	piece = g_byte_array_sized_new((guint)MIN(size, fk_device_read_piece_size(self)));
	while (done < size) {
		/* again each time: a fault may have lowered the baud rate */
		gsize n = MIN(size - done, fk_device_read_piece_size(self));
		g_autoptr(GError) error_local = NULL;
		guint8 md5_chip[16], md5_host[16];
		gboolean ahead = !self->read_lockstep;
		gint64 started = g_get_monotonic_time();
		gboolean ok;

		if (g_cancellable_set_error_if_cancelled(cancellable, error))
			return FALSE;
		g_byte_array_set_size(piece, 0);
		if (fk_loader_get_kind(self->loader) == FK_LOADER_STUB)
			ok = fk_device_read_piece_stub(self, offset + done, n, ahead, piece, md5_chip, progress, done,
						       size, cancellable, &error_local);
		else
			ok = fk_device_read_piece_rom(self, offset + done, n, piece, md5_chip, progress, done, size,
						      cancellable, &error_local);
		if (ok) {
			_fk_md5_of(piece->data, piece->len, md5_host);
			ok = fk_device_piece_matches(offset + done, md5_chip, md5_host, &error_local);
		}
		/* the stub's digest covers what it sent, wherever it read it: a READ_FLASH whose
		 * address or size was damaged on the way streams another region with a matching
		 * digest. A second command with parameters of its own must agree (the ROM's read
		 * already ends with one) */
		if (ok && fk_loader_get_kind(self->loader) == FK_LOADER_STUB)
			ok = fk_device_flash_md5(self, offset + done, n, md5_chip, cancellable, &error_local) &&
			     fk_device_piece_matches(offset + done, md5_chip, md5_host, &error_local);
		if (!ok && g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
			g_propagate_error(error, g_steal_pointer(&error_local));
			return FALSE;
		}
		fk_device_read_piece_done(self, n, ok);
		if (!ok) {
			/* a stub that does not stream as both of Espressif's do stalls: the rest of the
			 * session waits for each packet to arrive before asking for the next. Damaged
			 * data, a broken frame or a bad escape are the line's doing and say nothing
			 * about the flow control */
			if (ahead && fk_loader_get_kind(self->loader) == FK_LOADER_STUB &&
			    g_error_matches(error_local, FK_ERROR, FK_ERROR_TIMEOUT)) {
				self->read_lockstep = TRUE;
				fk_loader_log(self->loader, "the flash read with a packet acknowledged ahead failed; "
							    "reading with one packet in flight from now on");
			}
			if (!_fk_device_recover(self, &rec, &error_local, cancellable, error))
				return FALSE;
			fk_loader_log(self->loader, "reading again from 0x%" G_GSIZE_MODIFIER "x", offset + done);
			continue;
		}
		rec.in_a_row = 0;
		if (fk_loader_get_kind(self->loader) == FK_LOADER_STUB) {
			gint64 took = MAX(g_get_monotonic_time() - started, 1);
			self->read_rate = (guint64)n * G_USEC_PER_SEC / (guint64)took;
			self->read_rate_baud = fk_transport_get_baud(fk_loader_get_transport(self->loader));
		}
		g_checksum_update(checksum, piece->data, piece->len);
		if (!fk_device_write_out(out, piece->data, piece->len, cancellable, error))
			return FALSE;
		done += n;
	}
	if (md5_out != NULL)
		_fk_md5_finish(checksum, md5_out);
	return TRUE;
}
