/* SPDX-License-Identifier: GPL-3.0-or-later */
/* telnet framing for RFC 2217 (fk-telnet) and the rfc2217:// backend against a scripted server
 * on the loopback interface: 0xFF escaped both ways, negotiation mixed into data, commands split
 * across reads, the baud rate confirmed, DTR/RTS sent as SET-CONTROL */
#include "config.h"

#include <string.h>

#include "fk-error.h"
#include "fk-port.h"
#include "fk-telnet.h"

typedef struct {
	GString *events; /* "WILL 3;SB 2c 65 00;…" */
} FkTelnetLog;

static void
fk_log_option_cb(guint8 verb, guint8 option, gpointer user_data)
{
	FkTelnetLog *log = user_data;
	const gchar *names[] = {"WILL", "WONT", "DO", "DONT"};
	g_string_append_printf(log->events, "%s %u;", names[verb - FK_TELNET_WILL], option);
}

static void
fk_log_subneg_cb(const guint8 *body, gsize len, gpointer user_data)
{
	FkTelnetLog *log = user_data;
	g_string_append(log->events, "SB");
	for (gsize i = 0; i < len; i++)
		g_string_append_printf(log->events, " %02x", body[i]);
	g_string_append_c(log->events, ';');
}

/* data 0xFF doubled; a COM port command with 0xFF in its value escaped inside SB … SE */
static void
test_escape(void)
{
	const guint8 data[] = {0x01, 0xFF, 0xFF, 0x02, 0xFF};
	const guint8 want_data[] = {0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x02, 0xFF, 0xFF};
	/* SET-BAUDRATE 0x0001C2FF: not a real rate, but its last byte must be doubled */
	const guint8 baud[] = {0x00, 0x01, 0xC2, 0xFF};
	const guint8 want_cmd[] = {0xFF, 0xFA, 0x2C, 0x01, 0x00, 0x01, 0xC2, 0xFF, 0xFF, 0xFF, 0xF0};
	g_autoptr(GByteArray) out = g_byte_array_new();

	fk_telnet_append_data(out, data, sizeof(data));
	g_assert_cmpmem(out->data, out->len, want_data, sizeof(want_data));
	g_byte_array_set_size(out, 0);
	fk_telnet_append_com_port(out, FK_RFC2217_SET_BAUDRATE, baud, sizeof(baud));
	g_assert_cmpmem(out->data, out->len, want_cmd, sizeof(want_cmd));
}

/* every byte value survives escaping and decoding */
static void
test_round_trip(void)
{
	guint8 data[512];
	g_autoptr(GByteArray) wire = g_byte_array_new();
	g_autoptr(FkTelnetDecoder) dec = fk_telnet_decoder_new(NULL, NULL, NULL);
	gsize n;

	for (guint i = 0; i < sizeof(data); i++)
		data[i] = (guint8)(i * 7);
	fk_telnet_append_data(wire, data, sizeof(data));
	g_assert_cmpuint(wire->len, ==, sizeof(data) + 2);
	n = fk_telnet_decoder_feed(dec, wire->data, wire->len, wire->data);
	g_assert_cmpmem(wire->data, n, data, sizeof(data));
}

/* a server's stream: data, negotiation, an escaped 0xFF, a baud answer with an escaped 0xFF in
 * its value, a line state notice, data */
static const guint8 mixed[] = {
    'A',  0xFF, 0xFB, 0x00,			    /* WILL BINARY */
    'B',  0xFF, 0xFF,				    /* data 0xFF */
    0xFF, 0xFD, 0x2C,				    /* DO COM-PORT-OPTION */
    0xFF, 0xFA, 0x2C, 0x65, 0x00, 0x0E, 0x10, 0xFF, 0xFF, 0xFF, 0xF0, /* SERVER-SET-BAUDRATE */
    'C',  0xFF, 0xF1,				    /* NOP */
    0xFF, 0xFA, 0x2C, 0x6A, 0x60, 0xFF, 0xF0,	    /* NOTIFY-LINESTATE */
    0xFF, 0xFF, 'D',				    /* data 0xFF */
};
static const guint8 mixed_data[] = {'A', 'B', 0xFF, 'C', 0xFF, 'D'};
static const gchar mixed_events[] = "WILL 0;DO 44;SB 2c 65 00 0e 10 ff;SB 2c 6a 60;";

static void
fk_check_mixed_split(gsize cut1, gsize cut2)
{
	FkTelnetLog log = {g_string_new(NULL)};
	g_autoptr(FkTelnetDecoder) dec = fk_telnet_decoder_new(fk_log_option_cb, fk_log_subneg_cb, &log);
	guint8 copy[sizeof(mixed)];
	gsize n = 0;

	memcpy(copy, mixed, sizeof(mixed));
	/* in place, in three pieces */
	n += fk_telnet_decoder_feed(dec, copy, cut1, copy);
	n += fk_telnet_decoder_feed(dec, copy + cut1, cut2 - cut1, copy + n);
	n += fk_telnet_decoder_feed(dec, copy + cut2, sizeof(mixed) - cut2, copy + n);
	g_assert_cmpmem(copy, n, mixed_data, sizeof(mixed_data));
	g_assert_cmpstr(log.events->str, ==, mixed_events);
	g_string_free(log.events, TRUE);
}

/* the same data and commands however the stream is cut, a command's bytes included */
static void
test_mixed_split(void)
{
	for (gsize cut1 = 0; cut1 <= sizeof(mixed); cut1++)
		for (gsize cut2 = cut1; cut2 <= sizeof(mixed); cut2++)
			fk_check_mixed_split(cut1, cut2);
}

/* ---- the rfc2217:// backend against a scripted server ---- */

typedef struct {
	GSocketListener *listener;
	guint16 port;
	guint32 answer_baud; /* what the server says it set */
	gboolean silent;     /* a raw TCP port: never answers */
	GByteArray *received; /* everything the client sent */
	GThread *thread;
} FkServer;

static void
fk_server_send(GSocket *sock, const guint8 *data, gsize len)
{
	/* a client that gave up has closed: what it misses is checked on its side */
	if (g_socket_send(sock, (const gchar *)data, len, NULL, NULL) != (gssize)len)
		return;
	/* separate TCP segments: the client must put split commands back together */
	g_usleep(20000);
}

/* reads until @needle has come, or the client hung up */
static void
fk_server_wait_for(FkServer *srv, GSocket *sock, const guint8 *needle, gsize len)
{
	for (;;) {
		gchar buf[1024];
		gssize n;
		if (srv->received->len >= len &&
		    memmem(srv->received->data, srv->received->len, needle, len) != NULL)
			return;
		n = g_socket_receive(sock, buf, sizeof(buf), NULL, NULL);
		if (n <= 0)
			return;
		g_byte_array_append(srv->received, (const guint8 *)buf, (guint)n);
	}
}

static gpointer
fk_server_thread(gpointer user_data)
{
	FkServer *srv = user_data;
	g_autoptr(GSocket) sock = g_socket_listener_accept_socket(srv->listener, NULL, NULL, NULL);
	const guint8 set_baud[] = {0xFF, 0xFA, 0x2C, 0x01, 0x00, 0x01, 0xC2, 0x00, 0xFF, 0xF0};
	const guint8 lines[] = {0xFF, 0xFA, 0x2C, 0x05, 0x08, 0xFF, 0xF0,
				0xFF, 0xFA, 0x2C, 0x05, 0x0C, 0xFF, 0xF0};
	guint8 answer[] = {0xFF, 0xFA, 0x2C, 0x65, 0, 0, 0, 0, 0xFF, 0xF0};

	g_assert_nonnull(sock);
	fk_server_wait_for(srv, sock, set_baud, sizeof(set_baud));
	if (srv->silent) {
		fk_server_wait_for(srv, sock, (const guint8 *)"never", 5);
		return NULL;
	}
	answer[4] = (guint8)(srv->answer_baud >> 24);
	answer[5] = (guint8)(srv->answer_baud >> 16);
	answer[6] = (guint8)(srv->answer_baud >> 8);
	answer[7] = (guint8)srv->answer_baud;
	/* a negotiation first, then the answer cut in the middle of the command */
	fk_server_send(sock, (const guint8 *)"\xFF\xFD\x2C\xFF\xFA\x2C", 6);
	fk_server_send(sock, answer + 3, sizeof(answer) - 3);
	/* the client's data, then the server's: split in the middle of every command */
	fk_server_wait_for(srv, sock, (const guint8 *)"\x01\xFF\xFF\x02", 4);
	for (gsize i = 0; i < sizeof(mixed); i += 5)
		fk_server_send(sock, mixed + i, MIN(5, sizeof(mixed) - i));
	fk_server_wait_for(srv, sock, lines, sizeof(lines));
	return NULL;
}

static FkServer *
fk_server_new(guint32 answer_baud, gboolean silent)
{
	FkServer *srv = g_new0(FkServer, 1);
	g_autoptr(GInetAddress) addr = g_inet_address_new_from_string("127.0.0.1");
	g_autoptr(GSocketAddress) sockaddr = g_inet_socket_address_new(addr, 0);
	g_autoptr(GSocketAddress) effective = NULL;
	g_autoptr(GError) error = NULL;

	srv->listener = g_socket_listener_new();
	g_socket_listener_add_address(srv->listener, sockaddr, G_SOCKET_TYPE_STREAM,
				      G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
	g_assert_no_error(error);
	srv->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(effective));
	srv->answer_baud = answer_baud;
	srv->silent = silent;
	srv->received = g_byte_array_new();
	srv->thread = g_thread_new("rfc2217-server", fk_server_thread, srv);
	return srv;
}

static void
fk_server_free(FkServer *srv)
{
	if (srv->thread != NULL)
		g_thread_join(srv->thread);
	g_socket_listener_close(srv->listener);
	g_object_unref(srv->listener);
	g_byte_array_unref(srv->received);
	g_free(srv);
}

static FkTransport *
fk_server_open(FkServer *srv, GError **error)
{
	g_autofree gchar *name = g_strdup_printf("rfc2217://127.0.0.1:%u", srv->port);
	return fk_transport_open(name, error);
}

static guint
fk_count(GByteArray *hay, const guint8 *needle, gsize len)
{
	guint count = 0;
	for (gsize i = 0; i + len <= hay->len; i++)
		if (memcmp(hay->data + i, needle, len) == 0)
			count++;
	return count;
}

static void
test_transport(void)
{
	FkServer *srv = fk_server_new(115200, FALSE);
	g_autoptr(GError) error = NULL;
	g_autoptr(FkTransport) transport = fk_server_open(srv, &error);
	const guint8 will_com_port[] = {0xFF, 0xFB, 0x2C};
	const guint8 escaped[] = {0x01, 0xFF, 0xFF, 0x02};
	const guint8 lines[] = {0xFF, 0xFA, 0x2C, 0x05, 0x08, 0xFF, 0xF0,
				0xFF, 0xFA, 0x2C, 0x05, 0x0C, 0xFF, 0xF0};
	const guint8 out[] = {0x01, 0xFF, 0x02};
	guint8 got[16];
	gsize n = 0;

	g_assert_no_error(error);
	g_assert_cmpint(fk_transport_get_kind(transport), ==, FK_TRANSPORT_KIND_RFC2217);
	g_assert_true(fk_transport_has_modem_lines(transport));
	g_assert_cmpuint(fk_transport_get_baud(transport), ==, 115200);
	g_assert_true(fk_transport_write(transport, out, sizeof(out), NULL, &error));
	g_assert_no_error(error);
	/* the data among the commands, whichever way they were cut */
	while (n < sizeof(mixed_data)) {
		gssize rc = fk_transport_read(transport, got + n, sizeof(got) - n, 5000, NULL, &error);
		g_assert_no_error(error);
		g_assert_cmpint(rc, >, 0);
		n += (gsize)rc;
	}
	g_assert_cmpmem(got, n, mixed_data, sizeof(mixed_data));
	/* DTR on, RTS off: SET-CONTROL 8 then 12, in one go */
	g_assert_true(fk_transport_set_lines(transport, TRUE, FALSE, &error));
	g_assert_no_error(error);
	fk_transport_close(transport);
	g_thread_join(g_steal_pointer(&srv->thread));

	g_assert_cmpuint(fk_count(srv->received, escaped, sizeof(escaped)), ==, 1);
	g_assert_cmpuint(fk_count(srv->received, lines, sizeof(lines)), ==, 1);
	/* offered once: the server's DO COM-PORT-OPTION and WILL BINARY are not answered again */
	g_assert_cmpuint(fk_count(srv->received, will_com_port, sizeof(will_com_port)), ==, 1);
	g_assert_cmpuint(fk_count(srv->received, (const guint8 *)"\xFF\xFD\x00", 3), ==, 1);
	fk_server_free(srv);
}

static void
test_transport_wrong_baud(void)
{
	FkServer *srv = fk_server_new(9600, FALSE);
	g_autoptr(GError) error = NULL;
	g_autoptr(FkTransport) transport = fk_server_open(srv, &error);

	g_assert_null(transport);
	g_assert_error(error, FK_ERROR, FK_ERROR_UNSUPPORTED);
	g_assert_nonnull(strstr(error->message, "9600 baud instead of 115200"));
	fk_server_free(srv);
}

static void
test_transport_raw_port(void)
{
	FkServer *srv = fk_server_new(0, TRUE);
	g_autoptr(GError) error = NULL;
	g_autoptr(FkTransport) transport = fk_server_open(srv, &error);

	g_assert_null(transport);
	g_assert_error(error, FK_ERROR, FK_ERROR_TIMEOUT);
	g_assert_nonnull(strstr(error->message, "socket://"));
	fk_server_free(srv);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/fk/telnet/escape", test_escape);
	g_test_add_func("/fk/telnet/round-trip", test_round_trip);
	g_test_add_func("/fk/telnet/mixed-split", test_mixed_split);
	g_test_add_func("/fk/telnet/transport", test_transport);
	g_test_add_func("/fk/telnet/transport-wrong-baud", test_transport_wrong_baud);
	g_test_add_func("/fk/telnet/transport-raw-port", test_transport_raw_port);
	return g_test_run();
}
