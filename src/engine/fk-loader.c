/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the loader exchange: SLIP frames, deadlines, command/response and status, SYNC, input
 * flushing, stray bytes and the boot log buffer; calls only the transport, SLIP and packet code */
#include "config.h"

#include <string.h>

#include "fk-error.h"
#include "fk-loader.h"
#include "fk-mem.h"
#include "fk-packet.h"
#include "fk-protocol.h"
#include "fk-slip.h"

#define FK_SYNC_TRIES		 5
#define FK_MAX_SKIPPED_FRAMES	 100
#define FK_MAX_FRAME		 (0x4000 + 0x400)
#define FK_TIMEOUT_SYNC_EXTRA_MS 300
/* the ROM answers a command it does not know eight times over (esptool's command(): 8 frames of
 * 14 bytes); a line that stays this long without a byte has nothing more to say, even behind a
 * USB adapter that holds bytes back for its latency timer (FTDI: 16 ms) */
#define FK_REJECTION_REPEATS	 8
#define FK_QUIET_MS		 20
#define FK_QUIET_BRIDGE_MS	 300

struct _FkLoader {
	FkTransport *transport;
	FkSlipDecoder *decoder;
	GByteArray *rx; /* bytes read from the transport, not yet decoded */
	GString *boot_log;
	gsize stray_bytes; /* received outside frames while trying to sync */
	FkLoaderKind kind;
	gboolean connected;
	FkLoaderLogFunc log_func;
	gpointer log_data;
	gint64 read_reg_rtt_us; /* the longest READ_REG round trip since it was cleared */
};

FkLoader *
fk_loader_new(FkTransport *transport)
{
	FkLoader *self = g_new0(FkLoader, 1);
	self->transport = g_object_ref(transport);
	self->decoder = fk_slip_decoder_new(FK_MAX_FRAME);
	self->rx = g_byte_array_new();
	self->boot_log = g_string_new(NULL);
	return self;
}

void
fk_loader_free(FkLoader *self)
{
	g_clear_object(&self->transport);
	fk_slip_decoder_free(self->decoder);
	g_byte_array_unref(self->rx);
	g_string_free(self->boot_log, TRUE);
	g_free(self);
}

FkTransport *
fk_loader_get_transport(FkLoader *self)
{
	return self->transport;
}

void
fk_loader_set_log_func(FkLoader *self, FkLoaderLogFunc func, gpointer user_data)
{
	self->log_func = func;
	self->log_data = user_data;
}

void
fk_loader_log(FkLoader *self, const gchar *fmt, ...)
{
	g_autofree gchar *msg = NULL;
	va_list args;
	va_start(args, fmt);
	msg = g_strdup_vprintf(fmt, args);
	va_end(args);
	g_debug("%s", msg);
	if (self->log_func != NULL)
		self->log_func(msg, self->log_data);
}

FkLoaderKind
fk_loader_get_kind(FkLoader *self)
{
	return self->kind;
}

void
fk_loader_set_kind(FkLoader *self, FkLoaderKind kind)
{
	self->kind = kind;
}

gboolean
fk_loader_is_connected(FkLoader *self)
{
	return self->connected;
}

void
fk_loader_set_connected(FkLoader *self, gboolean connected)
{
	self->connected = connected;
}

GString *
fk_loader_get_boot_log(FkLoader *self)
{
	return self->boot_log;
}

gsize
fk_loader_get_stray_bytes(FkLoader *self)
{
	return self->stray_bytes;
}

void
fk_loader_clear_boot_log(FkLoader *self)
{
	g_string_truncate(self->boot_log, 0);
	self->stray_bytes = 0;
}

void
fk_loader_keep_stray_text(FkLoader *self)
{
	gsize len = 0;
	const gchar *text = fk_slip_decoder_get_garbage(self->decoder, &len);
	for (gsize i = 0; i < len && self->boot_log->len < 8192; i++)
		g_string_append_c(self->boot_log, text[i] != '\0' ? text[i] : '.');
}

/* ---- framing ---- */

gboolean
fk_loader_send_frame(FkLoader *self,
		     const guint8 *data,
		     gsize len,
		     GCancellable *cancellable,
		     GError **error)
{
	g_autoptr(GByteArray) wire = g_byte_array_sized_new(len * 2 + 2);
	fk_slip_encode(wire, data, len);
	return fk_transport_write(self->transport, wire->data, wire->len, cancellable, error);
}

/* what text among the bytes outside frames says happened to the chip, or NULL */
static const gchar *
fk_loader_garbage_says(FkLoader *self)
{
	gsize len = 0;
	const gchar *garbage = fk_slip_decoder_get_garbage(self->decoder, &len);

	if (g_strstr_len(garbage, (gssize)len, "Guru Meditation") != NULL ||
	    g_strstr_len(garbage, (gssize)len, "Fatal exception") != NULL)
		return "the chip crashed (it printed a panic message)";
	if (g_strstr_len(garbage, (gssize)len, "rst:") != NULL || g_strstr_len(garbage, (gssize)len, "ets ") != NULL ||
	    g_strstr_len(garbage, (gssize)len, "boot mode:") != NULL)
		return "the chip restarted during the operation (it printed its boot messages)";
	return NULL;
}

/* once connected, the loader sends nothing but frames: text between them means the chip
 * restarted or crashed, and waiting for a reply is pointless */
static gboolean
fk_loader_check_garbage(FkLoader *self, GError **error)
{
	gsize len = 0;
	const gchar *says;

	fk_slip_decoder_get_garbage(self->decoder, &len);
	if (!self->connected || len == 0)
		return TRUE;
	says = fk_loader_garbage_says(self);
	if (says != NULL) {
		g_set_error_literal(error, FK_ERROR, FK_ERROR_CHIP_RESET, says);
		return FALSE;
	}
	/* the ESP8266 prints its boot messages at 74880 baud, where they are noise; so is a frame
	 * whose opening byte was corrupted */
	if (len >= FK_GARBAGE_LIMIT) {
		g_set_error(error,
			    FK_PROTOCOL_ERROR,
			    FK_PROTOCOL_ERROR_GARBAGE,
			    "the chip sent %" G_GSIZE_FORMAT " bytes outside the protocol: it restarted, or "
			    "the link corrupts data",
			    len);
		return FALSE;
	}
	return TRUE;
}

/* the next SLIP frame, waiting at most @timeout_ms */
GByteArray *
fk_loader_read_frame(FkLoader *self, guint timeout_ms, GCancellable *cancellable, GError **error)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	for (;;) {
		guint8 buf[4096];
		gssize rc;
		gint64 now;

		if (self->rx->len > 0) {
			gsize consumed = 0;
			FkSlipResult res = fk_slip_decoder_feed(self->decoder,
								self->rx->data,
								self->rx->len,
								&consumed,
								error);
			g_byte_array_remove_range(self->rx, 0, consumed);
			if (res == FK_SLIP_RESULT_FRAME)
				return fk_slip_decoder_take_frame(self->decoder);
			if (res == FK_SLIP_RESULT_ERROR)
				return NULL;
			if (!fk_loader_check_garbage(self, error))
				return NULL;
		}
		now = g_get_monotonic_time();
		if (now >= deadline) {
			g_set_error(error,
				    FK_ERROR,
				    FK_ERROR_TIMEOUT,
				    "no reply from the chip within %u ms",
				    timeout_ms);
			return NULL;
		}
		rc = fk_transport_read(self->transport,
				       buf,
				       sizeof(buf),
				       (guint)MAX((deadline - now) / 1000, 1),
				       cancellable,
				       error);
		if (rc < 0)
			return NULL;
		if (rc > 0)
			g_byte_array_append(self->rx, buf, (guint)rc);
	}
}

gboolean
fk_loader_wait_next_frame(FkLoader *self, guint timeout_ms, GCancellable *cancellable, GError **error)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	while (self->rx->len == 0 && !fk_slip_decoder_in_frame(self->decoder)) {
		guint8 buf[4096];
		gssize rc;
		gint64 now = g_get_monotonic_time();

		if (now >= deadline) {
			g_set_error(error, FK_ERROR, FK_ERROR_TIMEOUT, "no reply from the chip within %u ms", timeout_ms);
			return FALSE;
		}
		rc = fk_transport_read(self->transport, buf, sizeof(buf), (guint)MAX((deadline - now) / 1000, 1),
				       cancellable, error);
		if (rc < 0)
			return FALSE;
		if (rc > 0)
			g_byte_array_append(self->rx, buf, (guint)rc);
	}
	return TRUE;
}

gboolean
fk_loader_flush_input(FkLoader *self, GError **error)
{
	g_byte_array_set_size(self->rx, 0);
	fk_slip_decoder_reset(self->decoder);
	return fk_transport_flush_input(self->transport, error);
}

/* a panic message or a boot banner among stray bytes explains a failure */
void
fk_loader_explain_garbage(FkLoader *self, GError **error)
{
	const gchar *says;
	if (error == NULL || *error == NULL || g_error_matches(*error, FK_ERROR, FK_ERROR_CHIP_RESET))
		return;
	says = fk_loader_garbage_says(self);
	if (says != NULL)
		g_prefix_error(error, "%s: ", says);
}

static gboolean
fk_loader_is_bridged(FkLoader *self)
{
	return fk_transport_get_kind(self->transport) == FK_TRANSPORT_KIND_TCP ||
	       fk_transport_get_kind(self->transport) == FK_TRANSPORT_KIND_RFC2217;
}

/* the ROM's rejection of a command repeats: reads the repeats until all have come or the line is
 * quiet, instead of sleeping a fixed time and dropping whatever came meanwhile */
static gboolean
fk_loader_drain_rejections(FkLoader *self, GCancellable *cancellable, GError **error)
{
	guint seen = 1;
	/* a network bridge forwards bytes in bursts of its own timing */
	guint quiet_ms = fk_loader_is_bridged(self) ? FK_QUIET_BRIDGE_MS : FK_QUIET_MS;

	for (guint i = 0; i < FK_MAX_SKIPPED_FRAMES && seen < FK_REJECTION_REPEATS; i++) {
		g_autoptr(GError) error_local = NULL;
		g_autoptr(GByteArray) frame = fk_loader_read_frame(self, quiet_ms, cancellable, &error_local);
		FkResponse resp;

		if (frame == NULL) {
			if (g_error_matches(error_local, FK_ERROR, FK_ERROR_TIMEOUT))
				return TRUE;
			if (fk_loader_error_is_final(error_local)) {
				g_propagate_error(error, g_steal_pointer(&error_local));
				return FALSE;
			}
			/* a damaged repeat: what is left of them is noise */
			return fk_loader_flush_input(self, error);
		}
		if (fk_packet_parse_response(frame->data, frame->len, &resp) && fk_response_is_rejection(&resp))
			seen++;
	}
	return TRUE;
}

/* sends a command and returns its response frame (status checked) */
GByteArray *
fk_loader_command_full(FkLoader *self,
		       const FkCommand *cmd,
		       guint32 *value,
		       GCancellable *cancellable,
		       GError **error)
{
	g_autoptr(GByteArray) pkt = fk_packet_build_command(cmd->op, cmd->data, cmd->len, cmd->checksum);
	gint64 deadline;

	fk_slip_decoder_clear_garbage(self->decoder);
	if (!fk_loader_send_frame(self, pkt->data, pkt->len, cancellable, error))
		return NULL;

	/* one deadline for the whole command: frames that do not answer it (stray replies, the
	 * tail of an earlier stream) do not buy it more time */
	deadline = g_get_monotonic_time() + (gint64)cmd->timeout_ms * 1000;
	for (guint i = 0; i < FK_MAX_SKIPPED_FRAMES; i++) {
		g_autoptr(GByteArray) frame = NULL;
		g_autoptr(GError) error_local = NULL;
		FkResponse resp;
		gint64 left_ms = (deadline - g_get_monotonic_time()) / 1000;

		if (left_ms > 0)
			frame = fk_loader_read_frame(self, (guint)left_ms, cancellable, &error_local);
		else
			g_set_error_literal(&error_local, FK_ERROR, FK_ERROR_TIMEOUT, "no time left");
		if (frame == NULL) {
			if (g_error_matches(error_local, FK_ERROR, FK_ERROR_TIMEOUT)) {
				g_clear_error(&error_local);
				g_set_error(&error_local,
					    FK_ERROR,
					    FK_ERROR_TIMEOUT,
					    "no reply to %s within %u ms",
					    fk_opcode_to_string(cmd->op),
					    cmd->timeout_ms);
			}
			fk_loader_explain_garbage(self, &error_local);
			g_propagate_error(error, g_steal_pointer(&error_local));
			return NULL;
		}
		if (!fk_packet_parse_response(frame->data, frame->len, &resp))
			continue;
		if (resp.op != cmd->op) {
			/* every ROM knows its basic commands: a rejection of one of them means the
			 * frame was damaged on the way (a lost byte made another command of it) */
			if (fk_response_is_rejection(&resp) && self->kind != FK_LOADER_STUB && cmd->op <= FK_OP_READ_REG) {
				g_set_error(error,
					    FK_PROTOCOL_ERROR,
					    FK_PROTOCOL_ERROR_UNEXPECTED_RESPONSE,
					    "the loader did not recognise %s: the frame was damaged on the way",
					    fk_opcode_to_string(cmd->op));
				return NULL;
			}
			if (fk_response_is_rejection(&resp) && self->kind != FK_LOADER_STUB) {
				if (!fk_loader_drain_rejections(self, cancellable, error))
					return NULL;
				g_set_error(error,
					    FK_PROTOCOL_ERROR,
					    FK_PROTOCOL_ERROR_UNSUPPORTED_COMMAND,
					    "the loader does not support %s",
					    fk_opcode_to_string(cmd->op));
				return NULL;
			}
			continue;
		}
		if (value != NULL)
			*value = resp.value;
		if (!cmd->no_status_check &&
		    !fk_response_check_status(&resp, cmd->op, cmd->payload_len, self->kind, error))
			return NULL;
		return g_steal_pointer(&frame);
	}
	g_set_error(error,
		    FK_PROTOCOL_ERROR,
		    FK_PROTOCOL_ERROR_UNEXPECTED_RESPONSE,
		    "no response to %s among %u frames",
		    fk_opcode_to_string(cmd->op),
		    (guint)FK_MAX_SKIPPED_FRAMES);
	return NULL;
}

gboolean
fk_loader_command(FkLoader *self,
		  guint8 op,
		  const guint8 *data,
		  gsize len,
		  guint timeout_ms,
		  GCancellable *cancellable,
		  GError **error)
{
	FkCommand cmd = {.op = op, .data = data, .len = len, .timeout_ms = timeout_ms};
	g_autoptr(GByteArray) frame = fk_loader_command_full(self, &cmd, NULL, cancellable, error);
	return frame != NULL;
}

gboolean
fk_loader_is_unsupported(const GError *error)
{
	return g_error_matches(error, FK_PROTOCOL_ERROR, FK_PROTOCOL_ERROR_UNSUPPORTED_COMMAND) ||
	       g_error_matches(error, FK_DEVICE_ERROR, FK_DEVICE_ERROR_INVALID_MESSAGE) ||
	       g_error_matches(error, FK_DEVICE_ERROR, FK_DEVICE_ERROR_STUB_INVALID_COMMAND) ||
	       g_error_matches(error, FK_DEVICE_ERROR, FK_DEVICE_ERROR_STUB_CMD_NOT_IMPLEMENTED);
}

gboolean
fk_loader_read_reg(FkLoader *self, guint32 addr, guint32 *value, GCancellable *cancellable, GError **error)
{
	guint8 buf[4];
	FkCommand cmd = {.op = FK_OP_READ_REG, .data = buf, .len = 4, .timeout_ms = FK_TIMEOUT_DEFAULT_MS};
	g_autoptr(GByteArray) frame = NULL;
	gint64 sent;
	fk_memwrite_u32le(buf, addr);
	sent = g_get_monotonic_time();
	frame = fk_loader_command_full(self, &cmd, value, cancellable, error);
	if (frame == NULL) {
		g_prefix_error(error, "failed to read register 0x%08x: ", addr);
		return FALSE;
	}
	self->read_reg_rtt_us = MAX(self->read_reg_rtt_us, g_get_monotonic_time() - sent);
	return TRUE;
}

gint64
fk_loader_get_read_reg_round_trip_us(FkLoader *self)
{
	return self->read_reg_rtt_us;
}

void
fk_loader_clear_read_reg_round_trip(FkLoader *self)
{
	self->read_reg_rtt_us = 0;
}

/* one 16-byte WRITE_REG entry */
static void
fk_loader_pack_reg_write(guint8 *buf, guint32 addr, guint32 value, guint32 mask, guint32 delay_us)
{
	fk_memwrite_u32le(buf, addr);
	fk_memwrite_u32le(buf + 4, value);
	fk_memwrite_u32le(buf + 8, mask);
	fk_memwrite_u32le(buf + 12, delay_us);
}

gboolean
fk_loader_write_reg(FkLoader *self,
		    guint32 addr,
		    guint32 value,
		    guint32 mask,
		    guint32 delay_us,
		    GCancellable *cancellable,
		    GError **error)
{
	guint8 buf[16];
	fk_loader_pack_reg_write(buf, addr, value, mask, delay_us);
	if (!fk_loader_command(self, FK_OP_WRITE_REG, buf, sizeof(buf), FK_TIMEOUT_DEFAULT_MS, cancellable, error)) {
		g_prefix_error(error, "failed to write register 0x%08x: ", addr);
		return FALSE;
	}
	return TRUE;
}

gboolean
fk_loader_write_regs(FkLoader *self, const FkRegWrite *writes, guint n, GCancellable *cancellable, GError **error)
{
	g_autofree guint8 *buf = NULL;

	g_return_val_if_fail(n > 0, FALSE);
	/* esp-flasher-stub: s_write_reg, any multiple of WRITE_REG_ENTRY_SIZE; the legacy stub:
	 * ESP_WRITE_REG "can pass multiple write operations in a sequence" */
	if (self->kind != FK_LOADER_STUB) {
		for (guint i = 0; i < n; i++) {
			if (!fk_loader_write_reg(self, writes[i].addr, writes[i].value, writes[i].mask, 0, cancellable,
						 error))
				return FALSE;
		}
		return TRUE;
	}
	buf = g_malloc(16 * (gsize)n);
	for (guint i = 0; i < n; i++)
		fk_loader_pack_reg_write(buf + 16 * i, writes[i].addr, writes[i].value, writes[i].mask, 0);
	if (!fk_loader_command(self, FK_OP_WRITE_REG, buf, 16 * (gsize)n, FK_TIMEOUT_DEFAULT_MS, cancellable, error)) {
		g_prefix_error(error, "failed to write %u registers from 0x%08x: ", n, writes[0].addr);
		return FALSE;
	}
	return TRUE;
}

/* one SYNC: the first reply within 100 ms, then the seven others */
gboolean
fk_loader_sync(FkLoader *self, gboolean *stub_detected, GCancellable *cancellable, GError **error)
{
	guint8 payload[FK_SYNC_PAYLOAD_LEN] = {0x07, 0x07, 0x12, 0x20};
	FkCommand cmd = {.op = FK_OP_SYNC,
			 .data = payload,
			 .len = sizeof(payload),
			 .timeout_ms = FK_TIMEOUT_SYNC_MS,
			 .no_status_check = TRUE};
	g_autoptr(GByteArray) frame = NULL;
	guint32 value = 0;
	gboolean all_zero;

	memset(payload + 4, 0x55, sizeof(payload) - 4);
	frame = fk_loader_command_full(self, &cmd, &value, cancellable, error);
	if (frame == NULL)
		return FALSE;
	all_zero = value == 0;
	for (guint i = 0; i < 7; i++) {
		g_autoptr(GByteArray) extra = NULL;
		FkResponse resp;
		/* they follow the first at once: a missing one is a broken link, not a slow chip
		 * (a network bridge gets more time) */
		extra = fk_loader_read_frame(self,
					     fk_loader_is_bridged(self) ? FK_TIMEOUT_DEFAULT_MS : FK_TIMEOUT_SYNC_EXTRA_MS,
					     cancellable,
					     error);
		if (extra == NULL)
			return FALSE;
		if (fk_packet_parse_response(extra->data, extra->len, &resp))
			all_zero = all_zero && resp.value == 0;
	}
	*stub_detected = all_zero;
	return TRUE;
}

gboolean
fk_loader_sync_tries(FkLoader *self, gboolean *stub_detected, GCancellable *cancellable, GError **error)
{
	g_autoptr(GError) error_local = NULL;

	for (guint i = 0; i < FK_SYNC_TRIES; i++) {
		g_clear_error(&error_local);
		if (!fk_loader_flush_input(self, error))
			return FALSE;
		if (fk_loader_sync(self, stub_detected, cancellable, &error_local))
			return TRUE;
		{
			gsize stray = 0;
			fk_slip_decoder_get_garbage(self->decoder, &stray);
			self->stray_bytes += stray;
		}
		if (fk_loader_error_is_final(error_local)) {
			g_propagate_error(error, g_steal_pointer(&error_local));
			return FALSE;
		}
		g_usleep(50 * 1000);
	}
	g_propagate_error(error, g_steal_pointer(&error_local));
	return FALSE;
}

gboolean
fk_loader_error_is_final(const GError *error)
{
	return g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
	       g_error_matches(error, FK_ERROR, FK_ERROR_PORT_GONE) ||
	       g_error_matches(error, FK_ERROR, FK_ERROR_PORT_BUSY);
}
