/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns: telnet framing as RFC 2217 serial servers speak it (IAC escaping, option negotiation,
 * subnegotiation), with no I/O of its own. May call: nothing but GLib. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* telnet commands (RFC 854) */
#define FK_TELNET_SE   0xF0
#define FK_TELNET_SB   0xFA
#define FK_TELNET_WILL 0xFB
#define FK_TELNET_WONT 0xFC
#define FK_TELNET_DO   0xFD
#define FK_TELNET_DONT 0xFE
#define FK_TELNET_IAC  0xFF

/* telnet options */
#define FK_TELNET_OPT_BINARY   0x00
#define FK_TELNET_OPT_ECHO     0x01
#define FK_TELNET_OPT_SGA      0x03
#define FK_TELNET_OPT_COM_PORT 0x2C /* RFC 2217 */

/* RFC 2217 commands from the client; the server answers with the same code + 100 */
#define FK_RFC2217_SET_BAUDRATE	     1
#define FK_RFC2217_SET_DATASIZE	     2
#define FK_RFC2217_SET_PARITY	     3
#define FK_RFC2217_SET_STOPSIZE	     4
#define FK_RFC2217_SET_CONTROL	     5
#define FK_RFC2217_NOTIFY_LINESTATE  6
#define FK_RFC2217_NOTIFY_MODEMSTATE 7
#define FK_RFC2217_FLOW_SUSPEND	     8
#define FK_RFC2217_FLOW_RESUME	     9
#define FK_RFC2217_PURGE_DATA	     12
#define FK_RFC2217_SERVER_OFFSET     100

/* SET-CONTROL values */
#define FK_RFC2217_CONTROL_NO_FLOW 1
#define FK_RFC2217_CONTROL_DTR_ON  8
#define FK_RFC2217_CONTROL_DTR_OFF 9
#define FK_RFC2217_CONTROL_RTS_ON  11
#define FK_RFC2217_CONTROL_RTS_OFF 12

/* SET-PARITY, SET-STOPSIZE and PURGE-DATA values */
#define FK_RFC2217_PARITY_NONE	    1
#define FK_RFC2217_STOPSIZE_1	    1
#define FK_RFC2217_PURGE_RECEIVE    1 /* the server's buffer of data from the serial device */
#define FK_RFC2217_PURGE_BOTH	    3

/* the longest subnegotiation kept; RFC 2217's longest (a signature) is cut there */
#define FK_TELNET_SUBNEG_MAX 64

/* a negotiation (verb WILL/WONT/DO/DONT) or the body of IAC SB … IAC SE, unescaped; for
 * RFC 2217 the body starts with the option (0x2C), then the command, then its value */
typedef void (*FkTelnetOptionFunc)(guint8 verb, guint8 option, gpointer user_data);
typedef void (*FkTelnetSubnegFunc)(const guint8 *body, gsize len, gpointer user_data);

typedef struct _FkTelnetDecoder FkTelnetDecoder;

FkTelnetDecoder *
fk_telnet_decoder_new(FkTelnetOptionFunc option_func,
		      FkTelnetSubnegFunc subneg_func,
		      gpointer user_data);
void
fk_telnet_decoder_free(FkTelnetDecoder *self);
/* takes @len bytes off the wire, in any pieces (a command may be split between calls); writes
 * the data bytes among them to @out, which may be @in itself (decoding in place) and must hold
 * @len bytes; commands go to the callbacks as they complete; returns the count of data bytes */
gsize
fk_telnet_decoder_feed(FkTelnetDecoder *self, const guint8 *in, gsize len, guint8 *out);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FkTelnetDecoder, fk_telnet_decoder_free)

/* appends data with every 0xFF doubled */
void
fk_telnet_append_data(GByteArray *out, const guint8 *data, gsize len);
/* appends IAC @verb @option */
void
fk_telnet_append_option(GByteArray *out, guint8 verb, guint8 option);
/* appends IAC SB COM-PORT-OPTION @command @value… IAC SE (the value escaped) */
void
fk_telnet_append_com_port(GByteArray *out, guint8 command, const guint8 *value, gsize len);

/* what one side has said of each option (0: nothing yet), so that an answer is given once and
 * the two sides never loop (RFC 854) */
typedef struct {
	guint8 said_do[256];   /* of the peer's options: DO or DONT */
	guint8 said_will[256]; /* of ours: WILL or WONT */
} FkTelnetOptions;

/* a set of options below 64, for fk_telnet_options_answer() */
#define FK_TELNET_OPTION_BIT(option) (G_GUINT64_CONSTANT(1) << (option))

/* answers the peer's WILL with DO for the options in @theirs (DONT otherwise) and its DO with
 * WILL for those in @ours (WONT otherwise), into @out; WONT and DONT are noted, not answered */
void
fk_telnet_options_answer(FkTelnetOptions *self,
			 guint8 verb,
			 guint8 option,
			 guint64 theirs,
			 guint64 ours,
			 GByteArray *out);

G_END_DECLS
