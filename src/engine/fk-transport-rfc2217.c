/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the rfc2217://HOST:PORT backend: a remote serial port (ser2net, pyserial's
 * rfc2217_server, flashkeep-sim --rfc2217) whose baud rate and DTR/RTS lines are set over telnet's
 * COM-PORT-OPTION; calls the transport base class, fk-transport-tcp and fk-telnet */
#include "config.h"

#include <string.h>

#include "fk-error.h"
#include "fk-telnet.h"
#include "fk-transport-rfc2217.h"
#include "fk-transport-tcp.h"

#define FK_TRANSPORT_RFC2217_SCHEME "rfc2217://"

/* how long the server may take to confirm a baud rate, as pyserial waits */
#define FK_TRANSPORT_RFC2217_ANSWER_TIMEOUT_MS 3000

#define FK_TYPE_TRANSPORT_RFC2217 (fk_transport_rfc2217_get_type())
G_DECLARE_FINAL_TYPE(FkTransportRfc2217, fk_transport_rfc2217, FK, TRANSPORT_RFC2217, FkTransport)

struct _FkTransportRfc2217 {
	FkTransport parent_instance;
	FkTransport *link; /* the TCP connection underneath */
	FkTelnetDecoder *decoder;
	GByteArray *replies; /* negotiation answers owed to the server */
	GByteArray *pending; /* data that came while waiting for the server's answers */
	FkTelnetOptions options; /* what we said of each option */
	gboolean com_port_refused;
	gboolean baud_answered;
	guint32 server_baud;
};

G_DEFINE_FINAL_TYPE(FkTransportRfc2217, fk_transport_rfc2217, FK_TYPE_TRANSPORT)

/* what a serial link needs, both ways: 8-bit data, no go-aheads, and COM port control */
#define FK_TRANSPORT_RFC2217_OPTIONS                                                               \
	(FK_TELNET_OPTION_BIT(FK_TELNET_OPT_BINARY) | FK_TELNET_OPTION_BIT(FK_TELNET_OPT_SGA) |     \
	 FK_TELNET_OPTION_BIT(FK_TELNET_OPT_COM_PORT))

static void
fk_transport_rfc2217_option_cb(guint8 verb, guint8 option, gpointer user_data)
{
	FkTransportRfc2217 *self = user_data;
	if (verb == FK_TELNET_DONT && option == FK_TELNET_OPT_COM_PORT)
		self->com_port_refused = TRUE;
	fk_telnet_options_answer(&self->options,
				 verb,
				 option,
				 FK_TRANSPORT_RFC2217_OPTIONS,
				 FK_TRANSPORT_RFC2217_OPTIONS,
				 self->replies);
}

static void
fk_transport_rfc2217_subneg_cb(const guint8 *body, gsize len, gpointer user_data)
{
	FkTransportRfc2217 *self = user_data;

	if (len < 2 || body[0] != FK_TELNET_OPT_COM_PORT)
		return;
	if (body[1] == FK_RFC2217_SERVER_OFFSET + FK_RFC2217_SET_BAUDRATE && len >= 6) {
		self->server_baud = ((guint32)body[2] << 24) | ((guint32)body[3] << 16) |
				    ((guint32)body[4] << 8) | body[5];
		self->baud_answered = TRUE;
		return;
	}
	/* line and modem state notices, flow control and the other answers need nothing */
	g_debug("%s: COM port command %u with %" G_GSIZE_FORMAT " value bytes",
		fk_transport_get_name(FK_TRANSPORT(self)),
		(guint)body[1],
		len - 2);
}

static gboolean
fk_transport_rfc2217_send_raw(FkTransportRfc2217 *self,
			      GByteArray *raw,
			      GCancellable *cancellable,
			      GError **error)
{
	if (raw->len == 0)
		return TRUE;
	return fk_transport_write(self->link, raw->data, raw->len, cancellable, error);
}

/* reads what the server sent within @timeout_ms: data goes to the pending buffer, commands to
 * the callbacks, and the answers they call for go out at once; returns FALSE on error */
static gboolean
fk_transport_rfc2217_receive(FkTransportRfc2217 *self,
			     guint timeout_ms,
			     GCancellable *cancellable,
			     GError **error)
{
	guint8 buf[4096];
	gssize n = fk_transport_read(self->link, buf, sizeof(buf), timeout_ms, cancellable, error);
	gsize n_data;

	if (n < 0)
		return FALSE;
	n_data = fk_telnet_decoder_feed(self->decoder, buf, (gsize)n, buf);
	g_byte_array_append(self->pending, buf, (guint)n_data);
	if (self->replies->len > 0) {
		gboolean ok = fk_transport_rfc2217_send_raw(self, self->replies, cancellable, error);
		g_byte_array_set_size(self->replies, 0);
		return ok;
	}
	return TRUE;
}

static gboolean
fk_transport_rfc2217_write(FkTransport *transport,
			   const guint8 *data,
			   gsize len,
			   GCancellable *cancellable,
			   GError **error)
{
	FkTransportRfc2217 *self = FK_TRANSPORT_RFC2217(transport);
	g_autoptr(GByteArray) raw = g_byte_array_sized_new((guint)len + 16);
	fk_telnet_append_data(raw, data, len);
	return fk_transport_rfc2217_send_raw(self, raw, cancellable, error);
}

static gssize
fk_transport_rfc2217_read(FkTransport *transport,
			  guint8 *buf,
			  gsize len,
			  guint timeout_ms,
			  GCancellable *cancellable,
			  GError **error)
{
	FkTransportRfc2217 *self = FK_TRANSPORT_RFC2217(transport);
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * G_TIME_SPAN_MILLISECOND;
	gsize n;

	if (len == 0)
		return 0;
	/* what arrives may be all negotiation: keep reading until data or the deadline */
	while (self->pending->len == 0) {
		gint64 remaining_ms = (deadline - g_get_monotonic_time()) / G_TIME_SPAN_MILLISECOND;
		if (remaining_ms <= 0)
			return 0;
		if (!fk_transport_rfc2217_receive(self, (guint)remaining_ms, cancellable, error))
			return -1;
	}
	n = MIN(len, self->pending->len);
	memcpy(buf, self->pending->data, n);
	g_byte_array_remove_range(self->pending, 0, (guint)n);
	return (gssize)n;
}

/* both lines in one packet, DTR first as esptool sets them: the server applies the two back
 * to back, so the board's auto-reset circuit never sees the state between them for long */
static gboolean
fk_transport_rfc2217_set_lines(FkTransport *transport, gboolean dtr, gboolean rts, GError **error)
{
	FkTransportRfc2217 *self = FK_TRANSPORT_RFC2217(transport);
	g_autoptr(GByteArray) raw = g_byte_array_new();
	guint8 dtr_value = dtr ? FK_RFC2217_CONTROL_DTR_ON : FK_RFC2217_CONTROL_DTR_OFF;
	guint8 rts_value = rts ? FK_RFC2217_CONTROL_RTS_ON : FK_RFC2217_CONTROL_RTS_OFF;

	/* the answers are not awaited (pyserial does not either): some servers answer with
	 * the wrong value, and waiting would stretch the reset pulse by a network round trip */
	fk_telnet_append_com_port(raw, FK_RFC2217_SET_CONTROL, &dtr_value, 1);
	fk_telnet_append_com_port(raw, FK_RFC2217_SET_CONTROL, &rts_value, 1);
	return fk_transport_rfc2217_send_raw(self, raw, NULL, error);
}

static gboolean
fk_transport_rfc2217_set_baud(FkTransport *transport, guint baud, GError **error)
{
	FkTransportRfc2217 *self = FK_TRANSPORT_RFC2217(transport);
	const gchar *name = fk_transport_get_name(transport);
	g_autoptr(GByteArray) raw = g_byte_array_new();
	gint64 deadline = g_get_monotonic_time() +
			  (gint64)FK_TRANSPORT_RFC2217_ANSWER_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
	const guint8 value[] = {(guint8)(baud >> 24), (guint8)(baud >> 16), (guint8)(baud >> 8), (guint8)baud};

	if (baud == 0) {
		g_set_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT, "0 is not a usable baud rate");
		return FALSE;
	}
	self->baud_answered = FALSE;
	fk_telnet_append_com_port(raw, FK_RFC2217_SET_BAUDRATE, value, sizeof(value));
	if (!fk_transport_rfc2217_send_raw(self, raw, NULL, error))
		return FALSE;
	while (!self->baud_answered && !self->com_port_refused) {
		gint64 remaining_ms = (deadline - g_get_monotonic_time()) / G_TIME_SPAN_MILLISECOND;
		if (remaining_ms <= 0) {
			g_set_error(error,
				    FK_ERROR,
				    FK_ERROR_TIMEOUT,
				    "%s did not confirm the baud rate of %u within %u seconds: if it is a "
				    "raw TCP port (no RFC 2217), connect with socket:// instead",
				    name,
				    baud,
				    (guint)FK_TRANSPORT_RFC2217_ANSWER_TIMEOUT_MS / 1000);
			return FALSE;
		}
		if (!fk_transport_rfc2217_receive(self, (guint)remaining_ms, NULL, error))
			return FALSE;
	}
	if (self->com_port_refused) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_UNSUPPORTED,
			    "%s refuses RFC 2217 serial port control: configure the server for "
			    "RFC 2217 (ser2net: “telnet(rfc2217)”), or connect with socket:// if "
			    "it is a raw TCP port",
			    name);
		return FALSE;
	}
	if (self->server_baud != baud) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_UNSUPPORTED,
			    "%s set its serial port to %u baud instead of %u: the port behind the "
			    "server may not support this rate; choose another, e.g. 115200 or 460800",
			    name,
			    self->server_baud,
			    baud);
		return FALSE;
	}
	return TRUE;
}

static gboolean
fk_transport_rfc2217_flush_input(FkTransport *transport, GError **error)
{
	FkTransportRfc2217 *self = FK_TRANSPORT_RFC2217(transport);
	g_autoptr(GByteArray) raw = g_byte_array_new();
	const guint8 purge = FK_RFC2217_PURGE_RECEIVE;

	/* what the server still holds for us, then what is already on the way */
	fk_telnet_append_com_port(raw, FK_RFC2217_PURGE_DATA, &purge, 1);
	if (!fk_transport_rfc2217_send_raw(self, raw, NULL, error))
		return FALSE;
	for (;;) {
		guint before = self->pending->len;
		g_byte_array_set_size(self->pending, 0);
		if (!fk_transport_rfc2217_receive(self, 0, NULL, error))
			return FALSE;
		if (self->pending->len == 0 && before == 0)
			return TRUE;
	}
}

static void
fk_transport_rfc2217_close(FkTransport *transport)
{
	FkTransportRfc2217 *self = FK_TRANSPORT_RFC2217(transport);
	if (self->link != NULL)
		fk_transport_close(self->link);
}

static void
fk_transport_rfc2217_finalize(GObject *object)
{
	FkTransportRfc2217 *self = FK_TRANSPORT_RFC2217(object);
	g_clear_object(&self->link);
	fk_telnet_decoder_free(self->decoder);
	g_byte_array_unref(self->replies);
	g_byte_array_unref(self->pending);
	G_OBJECT_CLASS(fk_transport_rfc2217_parent_class)->finalize(object);
}

static void
fk_transport_rfc2217_init(FkTransportRfc2217 *self)
{
	self->decoder = fk_telnet_decoder_new(fk_transport_rfc2217_option_cb,
					      fk_transport_rfc2217_subneg_cb,
					      self);
	self->replies = g_byte_array_new();
	self->pending = g_byte_array_new();
}

static void
fk_transport_rfc2217_class_init(FkTransportRfc2217Class *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	FkTransportClass *transport_class = FK_TRANSPORT_CLASS(klass);
	object_class->finalize = fk_transport_rfc2217_finalize;
	transport_class->write = fk_transport_rfc2217_write;
	transport_class->read = fk_transport_rfc2217_read;
	transport_class->set_lines = fk_transport_rfc2217_set_lines;
	transport_class->set_baud = fk_transport_rfc2217_set_baud;
	transport_class->flush_input = fk_transport_rfc2217_flush_input;
	transport_class->close = fk_transport_rfc2217_close;
}

FkTransport *
fk_transport_rfc2217_open(const gchar *name, GError **error)
{
	g_autoptr(FkTransportRfc2217) self = NULL;
	g_autoptr(GByteArray) raw = g_byte_array_new();
	const guint8 datasize = 8;
	const guint8 parity = FK_RFC2217_PARITY_NONE;
	const guint8 stopsize = FK_RFC2217_STOPSIZE_1;
	const guint8 no_flow = FK_RFC2217_CONTROL_NO_FLOW;
	const guint8 ours[] = {FK_TELNET_OPT_BINARY, FK_TELNET_OPT_SGA, FK_TELNET_OPT_COM_PORT};
	const guint8 theirs[] = {FK_TELNET_OPT_BINARY, FK_TELNET_OPT_SGA};

	g_return_val_if_fail(name != NULL, NULL);

	self = g_object_new(FK_TYPE_TRANSPORT_RFC2217, NULL);
	fk_transport_set_name(FK_TRANSPORT(self), name);
	fk_transport_set_kind(FK_TRANSPORT(self), FK_TRANSPORT_KIND_RFC2217);
	fk_transport_set_has_modem_lines(FK_TRANSPORT(self), TRUE);
	self->link = fk_transport_tcp_open_as(name, FK_TRANSPORT_RFC2217_SCHEME, error);
	if (self->link == NULL)
		return NULL;

	/* ask for an 8-bit path both ways and offer COM port control; the modem lines are left
	 * as they are (no reset on opening), the serial format is 8N1 without flow control */
	for (guint i = 0; i < G_N_ELEMENTS(ours); i++) {
		fk_telnet_append_option(raw, FK_TELNET_WILL, ours[i]);
		self->options.said_will[ours[i]] = FK_TELNET_WILL;
	}
	for (guint i = 0; i < G_N_ELEMENTS(theirs); i++) {
		fk_telnet_append_option(raw, FK_TELNET_DO, theirs[i]);
		self->options.said_do[theirs[i]] = FK_TELNET_DO;
	}
	fk_telnet_append_com_port(raw, FK_RFC2217_SET_DATASIZE, &datasize, 1);
	fk_telnet_append_com_port(raw, FK_RFC2217_SET_PARITY, &parity, 1);
	fk_telnet_append_com_port(raw, FK_RFC2217_SET_STOPSIZE, &stopsize, 1);
	fk_telnet_append_com_port(raw, FK_RFC2217_SET_CONTROL, &no_flow, 1);
	if (!fk_transport_rfc2217_send_raw(self, raw, NULL, error))
		return NULL;
	/* the server's answer to the rate is the proof that it speaks RFC 2217 */
	if (!fk_transport_set_baud(FK_TRANSPORT(self), 115200, error))
		return NULL;
	g_debug("connected to the RFC 2217 server %s at 115200 baud", name);
	return FK_TRANSPORT(g_steal_pointer(&self));
}
