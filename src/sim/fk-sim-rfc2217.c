/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the server side of RFC 2217 for flashkeep-sim: telnet negotiation, the COM port
 * commands acted on (baud rate, DTR/RTS, purge) and their answers; calls the device API and
 * the engine's telnet framing */
#include "config.h"

#include <string.h>

#include "fk-protocol.h"
#include "fk-sim-rfc2217.h"
#include "fk-telnet.h"

struct _FkSimRfc2217 {
	FkSimDevice *device;
	FkTelnetDecoder *decoder;
	GByteArray *data;    /* client data decoded but not yet given to the chip */
	GByteArray *answers; /* where answers go during one receive (borrowed) */
	gint64 now_us;
	guint baud;
	gboolean dtr;
	gboolean rts;
	FkTelnetOptions options;
};

/* data before a command reaches the chip before the command acts */
static void
fk_sim_rfc2217_flush_data(FkSimRfc2217 *self)
{
	if (self->data->len == 0)
		return;
	fk_sim_device_host_write(self->device, self->data->data, self->data->len, self->now_us);
	g_byte_array_set_size(self->data, 0);
}

/* the client may send binary data and control the port; the server sends binary data without
 * go-aheads, and controls no port of the client's */
static void
fk_sim_rfc2217_option_cb(guint8 verb, guint8 option, gpointer user_data)
{
	FkSimRfc2217 *self = user_data;
	const guint64 serial = FK_TELNET_OPTION_BIT(FK_TELNET_OPT_BINARY) |
			       FK_TELNET_OPTION_BIT(FK_TELNET_OPT_SGA);
	fk_telnet_options_answer(&self->options,
				 verb,
				 option,
				 serial | FK_TELNET_OPTION_BIT(FK_TELNET_OPT_COM_PORT),
				 serial,
				 self->answers);
}

static void
fk_sim_rfc2217_answer(FkSimRfc2217 *self, guint8 command, const guint8 *value, gsize len)
{
	fk_telnet_append_com_port(self->answers, FK_RFC2217_SERVER_OFFSET + command, value, len);
}

static void
fk_sim_rfc2217_set_control(FkSimRfc2217 *self, guint8 value)
{
	guint8 state;

	switch (value) {
	case FK_RFC2217_CONTROL_DTR_ON:
	case FK_RFC2217_CONTROL_DTR_OFF:
		self->dtr = value == FK_RFC2217_CONTROL_DTR_ON;
		fk_sim_device_set_lines(self->device, self->dtr, self->rts, self->now_us);
		state = value;
		break;
	case FK_RFC2217_CONTROL_RTS_ON:
	case FK_RFC2217_CONTROL_RTS_OFF:
		self->rts = value == FK_RFC2217_CONTROL_RTS_ON;
		fk_sim_device_set_lines(self->device, self->dtr, self->rts, self->now_us);
		state = value;
		break;
	case 7: /* DTR state? */
		state = self->dtr ? FK_RFC2217_CONTROL_DTR_ON : FK_RFC2217_CONTROL_DTR_OFF;
		break;
	case 10: /* RTS state? */
		state = self->rts ? FK_RFC2217_CONTROL_RTS_ON : FK_RFC2217_CONTROL_RTS_OFF;
		break;
	default:
		/* flow control and break: there is none, whatever is asked */
		state = FK_RFC2217_CONTROL_NO_FLOW;
		break;
	}
	fk_sim_rfc2217_answer(self, FK_RFC2217_SET_CONTROL, &state, 1);
}

static void
fk_sim_rfc2217_subneg_cb(const guint8 *body, gsize len, gpointer user_data)
{
	FkSimRfc2217 *self = user_data;
	const guint8 *value = body + 2;
	gsize value_len = len >= 2 ? len - 2 : 0;
	guint8 byte;

	if (len < 2 || body[0] != FK_TELNET_OPT_COM_PORT)
		return;
	fk_sim_rfc2217_flush_data(self);
	switch (body[1]) {
	case FK_RFC2217_SET_BAUDRATE: {
		guint8 answer[4];
		if (value_len >= 4) {
			guint32 baud = ((guint32)value[0] << 24) | ((guint32)value[1] << 16) |
				       ((guint32)value[2] << 8) | value[3];
			/* 0 asks for the rate in use */
			if (baud != 0) {
				self->baud = baud;
				fk_sim_device_set_host_baud(self->device, baud, self->now_us);
			}
		}
		answer[0] = (guint8)(self->baud >> 24);
		answer[1] = (guint8)(self->baud >> 16);
		answer[2] = (guint8)(self->baud >> 8);
		answer[3] = (guint8)self->baud;
		fk_sim_rfc2217_answer(self, FK_RFC2217_SET_BAUDRATE, answer, sizeof(answer));
		break;
	}
	case FK_RFC2217_SET_DATASIZE:
		byte = 8;
		fk_sim_rfc2217_answer(self, body[1], &byte, 1);
		break;
	case FK_RFC2217_SET_PARITY:
		byte = FK_RFC2217_PARITY_NONE;
		fk_sim_rfc2217_answer(self, body[1], &byte, 1);
		break;
	case FK_RFC2217_SET_STOPSIZE:
		byte = FK_RFC2217_STOPSIZE_1;
		fk_sim_rfc2217_answer(self, body[1], &byte, 1);
		break;
	case FK_RFC2217_SET_CONTROL:
		if (value_len >= 1)
			fk_sim_rfc2217_set_control(self, value[0]);
		break;
	case FK_RFC2217_PURGE_DATA:
		if (value_len >= 1) {
			/* what the chip sent that the client has not taken yet */
			if (value[0] == FK_RFC2217_PURGE_RECEIVE || value[0] == FK_RFC2217_PURGE_BOTH)
				fk_sim_device_flush_host_input(self->device);
			fk_sim_rfc2217_answer(self, body[1], value, 1);
		}
		break;
	default:
		break;
	}
}

FkSimRfc2217 *
fk_sim_rfc2217_new(FkSimDevice *device)
{
	FkSimRfc2217 *self = g_new0(FkSimRfc2217, 1);
	self->device = g_object_ref(device);
	self->decoder = fk_telnet_decoder_new(fk_sim_rfc2217_option_cb, fk_sim_rfc2217_subneg_cb, self);
	self->data = g_byte_array_new();
	self->baud = FK_ROM_BAUD;
	return self;
}

void
fk_sim_rfc2217_free(FkSimRfc2217 *self)
{
	if (self == NULL)
		return;
	g_object_unref(self->device);
	fk_telnet_decoder_free(self->decoder);
	g_byte_array_unref(self->data);
	g_free(self);
}

void
fk_sim_rfc2217_connect(FkSimRfc2217 *self, gint64 now_us)
{
	fk_telnet_decoder_free(self->decoder);
	self->decoder = fk_telnet_decoder_new(fk_sim_rfc2217_option_cb, fk_sim_rfc2217_subneg_cb, self);
	g_byte_array_set_size(self->data, 0);
	memset(&self->options, 0, sizeof(self->options));
	self->baud = FK_ROM_BAUD;
	self->dtr = FALSE;
	self->rts = FALSE;
	fk_sim_device_set_host_baud(self->device, self->baud, now_us);
}

void
fk_sim_rfc2217_receive(FkSimRfc2217 *self,
		       const guint8 *data,
		       gsize len,
		       gint64 now_us,
		       GByteArray *answers)
{
	self->now_us = now_us;
	self->answers = answers;
	/* one byte at a time, so that data and commands keep their order */
	for (gsize i = 0; i < len; i++) {
		guint8 byte;
		if (fk_telnet_decoder_feed(self->decoder, data + i, 1, &byte) == 1)
			g_byte_array_append(self->data, &byte, 1);
	}
	fk_sim_rfc2217_flush_data(self);
	self->answers = NULL;
}
