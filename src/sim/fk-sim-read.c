/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns the stubs' streamed READ_FLASH: its packets and digest, and how each stub paces them on the
 * host's acknowledgements. May call the flash, timing and faults. */
#include "config.h"

#include <string.h>

#include "fk-mem.h"
#include "fk-protocol.h"
#include "fk-sim-device-private.h"

/* What limits a read on a real board is the stub's flow control, modelled after the sources:
 *  - v2, esp-flasher-stub (src/command_handler.c, s_read_flash_post_process): each turn of its
 *    loop polls for at most one acknowledgement frame, then sends one packet if fewer packets are
 *    unacknowledged than one, counting frames (their value only ends the stream, once everything
 *    was sent and it covers the whole read). Its receiver (src/slip.c, slip_recv_byte; the UART
 *    interrupt of src/transport.c fires on a quiet line) takes one frame and then ignores every
 *    byte until the loop has polled that frame: a frame arriving earlier is lost. A frame taken
 *    before the first packet was sent makes the unsigned count wrap: the stub never sends again
 *    (a frame of another length ends the stream).
 *  - legacy (flasher_stub/stub_commands.c, handle_flash_read): sends while the bytes sent and not
 *    acknowledged stay under max_in_flight, then waits for the next acknowledgement in the UART's
 *    FIFO and takes its value; the stream ends when the value covers the read or exceeds what
 *    was sent, or on a frame shorter than 4 bytes (a longer one is cut to its first 4).
 *  - lockstep: the next packet only on an acknowledgement of everything sent; others ignored.
 * Both stubs send synchronously: the loop goes on when a packet's last bytes are in the UART's
 * transmit FIFO, while they are still on their way. */

gboolean
fk_sim_stub_kind_from_string(const gchar *name, FkSimStubKind *kind)
{
	if (g_strcmp0(name, "v2") == 0)
		*kind = FK_SIM_STUB_V2;
	else if (g_strcmp0(name, "legacy") == 0)
		*kind = FK_SIM_STUB_LEGACY;
	else if (g_strcmp0(name, "lockstep") == 0)
		*kind = FK_SIM_STUB_LOCKSTEP;
	else
		return FALSE;
	return TRUE;
}

void
fk_sim_device_set_stub_kind(FkSimDevice *self, FkSimStubKind kind)
{
	g_return_if_fail(FK_IS_SIM_DEVICE(self));
	g_mutex_lock(&self->mutex);
	self->stub_kind = kind;
	g_mutex_unlock(&self->mutex);
}

void
fk_sim_device_end_read(FkSimDevice *self)
{
	self->rd_active = FALSE;
	g_clear_pointer(&self->rd_md5, g_checksum_free);
}

/* the next packet, read from the flash at @t; returns when the stub's loop goes on */
static gint64
fk_sim_read_send_packet(FkSimDevice *self, gint64 t)
{
	guint32 n = MIN(self->rd_packet, self->rd_length - self->rd_sent);
	guint32 limit_left;
	g_autofree guint8 *buf = NULL;
	gint64 t_emit;
	gint64 start;

	if (self->rd_offset + self->rd_sent >= self->flash_limit) {
		/* flash read error: the stream stops, the error comes with the next command */
		fk_sim_device_trace(self, "  read beyond the flash: stream stops");
		self->deferred = 0xC4;
		fk_sim_device_end_read(self);
		return t;
	}
	limit_left = (guint32)(self->flash_limit - (self->rd_offset + self->rd_sent));
	n = MIN(n, limit_left);
	buf = g_malloc(MAX(n, 1));
	fk_sim_device_read(self, self->rd_offset + self->rd_sent, buf, n);
	g_checksum_update(self->rd_md5, buf, n);
	self->n_read_frames++;
	if (fk_sim_device_fault_check(self, FK_SIM_FAULT_SHORT_READ, self->n_read_frames) != NULL) {
		fk_sim_device_trace(self, "! fault: short READ_FLASH frame");
		n = n / 2;
	}
	self->rd_sent += n;
	t_emit = t + (self->paced ? (gint64)n * FK_SIM_READ_NS_BYTE / 1000 : 0);
	if (self->paced && self->rd_sent_packets > 0 && t_emit > self->dev_tx_free)
		self->stats.read_line_idle++;
	start = self->paced ? MAX(t_emit, self->dev_tx_free) : t_emit;
	self->rd_sent_packets++;
	self->stats.read_packets++;
	fk_sim_device_trace(self, "< READ_FLASH data %u bytes (%u/%u)", n, self->rd_sent, self->rd_length);
	fk_sim_device_emit_frame(self, buf, n, t_emit);
	if (!self->paced)
		return t_emit;
	return MAX(start, self->dev_tx_free - fk_sim_device_bytes_us(self, self->chip_baud, FK_SIM_UART_FIFO));
}

/* the stream ends with the MD5 of what was sent, even when it ends early */
static void
fk_sim_read_digest(FkSimDevice *self, gint64 t)
{
	guint8 digest[16];
	gsize dlen = sizeof(digest);
	g_checksum_get_digest(self->rd_md5, digest, &dlen);
	self->n_reads++;
	if (fk_sim_device_fault_check(self, FK_SIM_FAULT_BAD_MD5, self->n_reads) != NULL) {
		fk_sim_device_trace(self, "! fault: corrupt READ_FLASH digest");
		digest[self->seed % 16] ^= 0x5A;
	}
	fk_sim_device_trace(self, "< READ_FLASH digest");
	fk_sim_device_emit_frame(self, digest, sizeof(digest), t);
	fk_sim_device_end_read(self);
}

/* a frame of another length than an acknowledgement's ended the stream before its end */
static void
fk_sim_read_end_early(FkSimDevice *self, gsize len, gint64 t)
{
	fk_sim_device_trace(self, "  READ_FLASH ended by a %" G_GSIZE_FORMAT "-byte frame", len);
	self->stats.read_ended_early++;
	fk_sim_read_digest(self, t);
}

static void
fk_sim_read_count_ack(FkSimDevice *self, guint32 value)
{
	self->stats.read_acks++;
	if (value < self->rd_sent)
		self->stats.read_acks_ahead++;
}

/* ---- v2 ---- */

/* the rest of a turn of the loop after its poll at @t */
static void
fk_sim_read_v2_turn(FkSimDevice *self, gint64 t)
{
	if (self->rd_sent < self->rd_length && self->rd_sent_packets - self->rd_acked_packets < 1) {
		t = fk_sim_read_send_packet(self, t);
		if (!self->rd_active)
			return;
		self->rd_loop_free = t;
	} else if (self->rd_sent < self->rd_length && self->rd_acked_packets > self->rd_sent_packets) {
		fk_sim_device_trace(self, "  READ_FLASH: %u acknowledgements for %u packets sent: the stub waits for ever",
				    self->rd_acked_packets, self->rd_sent_packets);
		if (self->rd_acked_packets == self->rd_sent_packets + 1)
			self->stats.read_stuck++;
	}
	if (self->rd_sent >= self->rd_length && self->rd_acked >= self->rd_length)
		fk_sim_read_digest(self, MAX(t, self->rd_loop_free));
}

static void
fk_sim_read_v2_start(FkSimDevice *self)
{
	self->rd_started = TRUE;
	fk_sim_read_v2_turn(self, self->rd_first_poll);
}

static void
fk_sim_read_v2_frame(FkSimDevice *self, const guint8 *frame, gsize len, gint64 t_first, gint64 t)
{
	/* the UART's receive interrupt hands the frame over once the line has been quiet a while
	 * (the chip's own USB port at once) */
	gint64 delivered = t + (self->adapter != NULL && self->adapter->native
					    ? 0
					    : fk_sim_device_bytes_us(self, self->chip_baud, FK_SIM_UART_RX_TOUT));
	gint64 poll;

	if (!self->rd_started && delivered >= self->rd_first_poll)
		fk_sim_read_v2_start(self);
	if (!self->rd_active)
		return;
	if (t_first < self->rd_armed_at) {
		fk_sim_device_trace(self, "  READ_FLASH: a %" G_GSIZE_FORMAT "-byte frame arrived before the stub "
				    "polled the one before: lost", len);
		self->stats.read_acks_lost++;
		return;
	}
	if (!self->rd_started) {
		/* the first poll takes it, before the first packet */
		self->rd_started = TRUE;
		poll = self->rd_first_poll;
	} else {
		poll = MAX(delivered, self->rd_loop_free);
	}
	self->rd_armed_at = poll;
	if (len != 4) {
		fk_sim_read_end_early(self, len, poll);
		return;
	}
	self->rd_acked_packets++;
	self->rd_acked = fk_memread_u32le(frame);
	fk_sim_read_count_ack(self, self->rd_acked);
	fk_sim_read_v2_turn(self, poll);
}

/* ---- legacy ---- */

static void
fk_sim_read_legacy_fill(FkSimDevice *self, gint64 t)
{
	while (self->rd_active && self->rd_sent < self->rd_length &&
	       self->rd_sent - self->rd_acked < self->rd_max_in_flight)
		t = fk_sim_read_send_packet(self, t);
	self->rd_loop_free = t;
}

static void
fk_sim_read_legacy_frame(FkSimDevice *self, const guint8 *frame, gsize len, gint64 t)
{
	gint64 poll = MAX(t, self->rd_loop_free);

	/* SLIP_recv(&num_acked, 4) keeps the first 4 bytes of a longer frame and returns 4: only a
	 * shorter frame ends the stream */
	if (len < 4) {
		fk_sim_read_end_early(self, len, poll);
		return;
	}
	self->rd_acked = fk_memread_u32le(frame);
	fk_sim_read_count_ack(self, self->rd_acked);
	if (self->rd_acked >= self->rd_length || self->rd_acked > self->rd_sent) {
		if (self->rd_acked > self->rd_sent)
			fk_sim_device_trace(self, "  READ_FLASH acknowledged %u of %u bytes sent: stream ends",
					    self->rd_acked, self->rd_sent);
		fk_sim_read_digest(self, poll);
		return;
	}
	fk_sim_read_legacy_fill(self, poll);
}

/* ---- lockstep ---- */

static void
fk_sim_read_lockstep_frame(FkSimDevice *self, const guint8 *frame, gsize len, gint64 t)
{
	guint32 acked;

	if (len != 4) {
		fk_sim_read_end_early(self, len, t);
		return;
	}
	acked = fk_memread_u32le(frame);
	fk_sim_read_count_ack(self, acked);
	if (acked < self->rd_sent)
		return;
	if (acked == self->rd_sent && self->rd_sent < self->rd_length) {
		fk_sim_read_send_packet(self, t);
		return;
	}
	if (acked > self->rd_sent)
		fk_sim_device_trace(self, "  READ_FLASH acknowledged %u of %u bytes sent: stream ends", acked,
				    self->rd_sent);
	fk_sim_read_digest(self, t);
}

/* ---- the stream ---- */

void
fk_sim_device_read_frame(FkSimDevice *self, const guint8 *frame, gsize len, gint64 t_first, gint64 t)
{
	switch (self->stub_kind) {
	case FK_SIM_STUB_V2:
		fk_sim_read_v2_frame(self, frame, len, t_first, t);
		break;
	case FK_SIM_STUB_LEGACY:
		fk_sim_read_legacy_frame(self, frame, len, t);
		break;
	case FK_SIM_STUB_LOCKSTEP:
	default:
		fk_sim_read_lockstep_frame(self, frame, len, t);
		break;
	}
}

void
fk_sim_device_read_advance(FkSimDevice *self, gint64 now)
{
	if (self->rd_active && self->stub_kind == FK_SIM_STUB_V2 && !self->rd_started && now >= self->rd_first_poll)
		fk_sim_read_v2_start(self);
}

gint64
fk_sim_device_read_next_event(FkSimDevice *self)
{
	if (self->rd_active && self->stub_kind == FK_SIM_STUB_V2 && !self->rd_started)
		return self->rd_first_poll;
	return -1;
}

void
fk_sim_device_cmd_read_flash(FkSimDevice *self, guint8 op, const guint8 *d, gsize len, gint64 t)
{
	if (len != 16) {
		fk_sim_device_reply(self, op, 0xC0, t);
		return;
	}
	fk_sim_device_end_read(self);
	self->rd_offset = fk_memread_u32le(d);
	self->rd_length = fk_memread_u32le(d + 4);
	self->rd_packet = fk_memread_u32le(d + 8);
	self->rd_max_in_flight = fk_memread_u32le(d + 12);
	self->rd_sent = 0;
	self->rd_sent_packets = 0;
	self->rd_acked_packets = 0;
	self->rd_acked = 0;
	self->rd_started = FALSE;
	fk_sim_device_reply(self, op, 0, t);
	if (self->rd_packet > 4096 || self->rd_packet == 0) {
		/* accepted, then nothing: the error comes with the next command */
		self->deferred = 0xC0;
		return;
	}
	self->rd_md5 = g_checksum_new(G_CHECKSUM_MD5);
	self->rd_active = TRUE;
	self->stats.read_streams++;
	/* the poll that took the command armed the receiver again */
	self->rd_armed_at = t;
	self->rd_loop_free = t;
	if (self->rd_length == 0) {
		fk_sim_read_digest(self, t);
		return;
	}
	switch (self->stub_kind) {
	case FK_SIM_STUB_V2:
		/* its first poll and packet come a moment after the reply (fk_sim_device_read_advance) */
		self->rd_first_poll = t + (self->paced ? FK_SIM_READ_START_US : 0);
		self->rd_loop_free = self->rd_first_poll;
		if (!self->paced)
			fk_sim_read_v2_start(self);
		break;
	case FK_SIM_STUB_LEGACY:
		fk_sim_read_legacy_fill(self, t);
		break;
	case FK_SIM_STUB_LOCKSTEP:
	default:
		fk_sim_read_send_packet(self, t);
		break;
	}
}
