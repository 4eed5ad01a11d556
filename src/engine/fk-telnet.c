/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns telnet framing for RFC 2217: the incremental decoder that separates data from commands,
 * and the escaping of data and commands on the way out; calls GLib only */
#include "config.h"

#include "fk-telnet.h"

typedef enum {
	FK_TELNET_STATE_DATA,
	FK_TELNET_STATE_IAC,	    /* after IAC */
	FK_TELNET_STATE_OPTION,	    /* after IAC WILL/WONT/DO/DONT */
	FK_TELNET_STATE_SUBNEG,	    /* inside IAC SB … */
	FK_TELNET_STATE_SUBNEG_IAC, /* after IAC inside a subnegotiation */
} FkTelnetState;

struct _FkTelnetDecoder {
	FkTelnetState state;
	guint8 verb;
	guint8 subneg[FK_TELNET_SUBNEG_MAX];
	gsize subneg_len;
	FkTelnetOptionFunc option_func;
	FkTelnetSubnegFunc subneg_func;
	gpointer user_data;
};

FkTelnetDecoder *
fk_telnet_decoder_new(FkTelnetOptionFunc option_func,
		      FkTelnetSubnegFunc subneg_func,
		      gpointer user_data)
{
	FkTelnetDecoder *self = g_new0(FkTelnetDecoder, 1);
	self->option_func = option_func;
	self->subneg_func = subneg_func;
	self->user_data = user_data;
	return self;
}

void
fk_telnet_decoder_free(FkTelnetDecoder *self)
{
	g_free(self);
}

static void
fk_telnet_decoder_subneg_add(FkTelnetDecoder *self, guint8 byte)
{
	/* a longer body than any RFC 2217 command is cut, not grown without bound */
	if (self->subneg_len < sizeof(self->subneg))
		self->subneg[self->subneg_len++] = byte;
}

gsize
fk_telnet_decoder_feed(FkTelnetDecoder *self, const guint8 *in, gsize len, guint8 *out)
{
	gsize n_out = 0;

	for (gsize i = 0; i < len; i++) {
		guint8 byte = in[i];
		switch (self->state) {
		case FK_TELNET_STATE_DATA:
			if (byte == FK_TELNET_IAC)
				self->state = FK_TELNET_STATE_IAC;
			else
				out[n_out++] = byte;
			break;
		case FK_TELNET_STATE_IAC:
			if (byte == FK_TELNET_IAC) {
				out[n_out++] = byte;
				self->state = FK_TELNET_STATE_DATA;
			} else if (byte >= FK_TELNET_WILL && byte <= FK_TELNET_DONT) {
				self->verb = byte;
				self->state = FK_TELNET_STATE_OPTION;
			} else if (byte == FK_TELNET_SB) {
				self->subneg_len = 0;
				self->state = FK_TELNET_STATE_SUBNEG;
			} else {
				/* NOP, GA, a stray SE and the like carry nothing for a serial link */
				self->state = FK_TELNET_STATE_DATA;
			}
			break;
		case FK_TELNET_STATE_OPTION:
			if (self->option_func != NULL)
				self->option_func(self->verb, byte, self->user_data);
			self->state = FK_TELNET_STATE_DATA;
			break;
		case FK_TELNET_STATE_SUBNEG:
			if (byte == FK_TELNET_IAC)
				self->state = FK_TELNET_STATE_SUBNEG_IAC;
			else
				fk_telnet_decoder_subneg_add(self, byte);
			break;
		case FK_TELNET_STATE_SUBNEG_IAC:
			if (byte == FK_TELNET_IAC) {
				fk_telnet_decoder_subneg_add(self, byte);
				self->state = FK_TELNET_STATE_SUBNEG;
			} else if (byte == FK_TELNET_SE) {
				if (self->subneg_func != NULL && self->subneg_len > 0)
					self->subneg_func(self->subneg, self->subneg_len, self->user_data);
				self->state = FK_TELNET_STATE_DATA;
			} else {
				/* a command inside a subnegotiation: the body ended early; keep what
				 * came, as lenient servers and clients do */
				self->state = FK_TELNET_STATE_SUBNEG;
			}
			break;
		default:
			self->state = FK_TELNET_STATE_DATA;
			break;
		}
	}
	return n_out;
}

void
fk_telnet_append_data(GByteArray *out, const guint8 *data, gsize len)
{
	const guint8 iac = FK_TELNET_IAC;
	gsize start = 0;

	for (gsize i = 0; i < len; i++) {
		if (data[i] != FK_TELNET_IAC)
			continue;
		/* the run up to and including this 0xFF, then its double */
		g_byte_array_append(out, data + start, (guint)(i + 1 - start));
		g_byte_array_append(out, &iac, 1);
		start = i + 1;
	}
	if (start < len)
		g_byte_array_append(out, data + start, (guint)(len - start));
}

void
fk_telnet_append_option(GByteArray *out, guint8 verb, guint8 option)
{
	const guint8 cmd[] = {FK_TELNET_IAC, verb, option};
	g_byte_array_append(out, cmd, sizeof(cmd));
}

void
fk_telnet_append_com_port(GByteArray *out, guint8 command, const guint8 *value, gsize len)
{
	const guint8 head[] = {FK_TELNET_IAC, FK_TELNET_SB, FK_TELNET_OPT_COM_PORT};
	const guint8 tail[] = {FK_TELNET_IAC, FK_TELNET_SE};
	g_byte_array_append(out, head, sizeof(head));
	fk_telnet_append_data(out, &command, 1);
	fk_telnet_append_data(out, value, len);
	g_byte_array_append(out, tail, sizeof(tail));
}

void
fk_telnet_options_answer(FkTelnetOptions *self,
			 guint8 verb,
			 guint8 option,
			 guint64 theirs,
			 guint64 ours,
			 GByteArray *out)
{
	gboolean in_theirs = option < 64 && (theirs & FK_TELNET_OPTION_BIT(option)) != 0;
	gboolean in_ours = option < 64 && (ours & FK_TELNET_OPTION_BIT(option)) != 0;
	guint8 answer;

	switch (verb) {
	case FK_TELNET_WILL:
		answer = in_theirs ? FK_TELNET_DO : FK_TELNET_DONT;
		if (self->said_do[option] != answer) {
			fk_telnet_append_option(out, answer, option);
			self->said_do[option] = answer;
		}
		break;
	case FK_TELNET_DO:
		answer = in_ours ? FK_TELNET_WILL : FK_TELNET_WONT;
		if (self->said_will[option] != answer) {
			fk_telnet_append_option(out, answer, option);
			self->said_will[option] = answer;
		}
		break;
	case FK_TELNET_WONT:
		self->said_do[option] = FK_TELNET_DONT;
		break;
	case FK_TELNET_DONT:
		self->said_will[option] = FK_TELNET_WONT;
		break;
	default:
		break;
	}
}
