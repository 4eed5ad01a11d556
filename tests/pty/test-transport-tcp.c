/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <sys/ioctl.h>

#include "fk-error.h"
#include "fk-port.h"
#include "fk-transport-tcp.h"
#include "fk-transport.h"

/* the socket:// backend against a listener on the loopback interface only
 *
 * No check here bounds how long anything took: a loaded machine makes everything slower. What
 * the backend guarantees is checked instead (what a read returned, which error, what happened
 * first); waits that must end on their own get a deadline far past the test's own time limit,
 * so a wait that does not end shows as a hung test, never as a slow pass. */

#define FK_TEST_NO_DEADLINE_MS (10 * 60 * 1000)

typedef struct {
	GSocketListener *listener;
	guint16 port;
	gchar *name; /* socket://127.0.0.1:PORT */
	FkTransport *transport;
	GSocketConnection *peer;
	GSocket *peer_socket;
} FkTcpFixture;

static guint16
fk_tcp_listen(GSocketListener *listener, const gchar *ip, GError **error)
{
	g_autoptr(GInetAddress) addr = g_inet_address_new_from_string(ip);
	g_autoptr(GSocketAddress) sockaddr = g_inet_socket_address_new(addr, 0);
	g_autoptr(GSocketAddress) effective = NULL;

	if (!g_socket_listener_add_address(listener,
					   sockaddr,
					   G_SOCKET_TYPE_STREAM,
					   G_SOCKET_PROTOCOL_TCP,
					   NULL,
					   &effective,
					   error))
		return 0;
	return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(effective));
}

static void
fk_tcp_fixture_setup(FkTcpFixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;

	fx->listener = g_socket_listener_new();
	fx->port = fk_tcp_listen(fx->listener, "127.0.0.1", &error);
	g_assert_no_error(error);
	g_assert_cmpuint(fx->port, >, 0);
	fx->name = g_strdup_printf("socket://127.0.0.1:%u", fx->port);

	/* the kernel completes the handshake before accept(), so one thread suffices */
	fx->transport = fk_transport_tcp_open(fx->name, &error);
	g_assert_no_error(error);
	g_assert_nonnull(fx->transport);
	fx->peer = g_socket_listener_accept(fx->listener, NULL, NULL, &error);
	g_assert_no_error(error);
	fx->peer_socket = g_socket_connection_get_socket(fx->peer);
}

static void
fk_tcp_fixture_teardown(FkTcpFixture *fx, gconstpointer user_data)
{
	g_clear_object(&fx->transport);
	g_clear_object(&fx->peer);
	g_socket_listener_close(fx->listener);
	g_clear_object(&fx->listener);
	g_free(fx->name);
}

static void
fk_tcp_peer_send_all(FkTcpFixture *fx, const guint8 *data, gsize len)
{
	g_autoptr(GError) error = NULL;
	gsize done = 0;
	while (done < len) {
		gssize n = g_socket_send(fx->peer_socket,
					 (const gchar *)data + done,
					 len - done,
					 NULL,
					 &error);
		g_assert_no_error(error);
		done += (gsize)n;
	}
}

/* waits until the transport's end has acknowledged every byte the peer sent: they are then in
 * its receive queue (on a loaded machine that can come well after the send returned) */
static void
fk_tcp_peer_wait_acked(FkTcpFixture *fx)
{
	for (;;) {
		gint unacked = 0;
		g_assert_cmpint(ioctl(g_socket_get_fd(fx->peer_socket), TIOCOUTQ, &unacked), ==, 0);
		if (unacked == 0)
			break;
		g_usleep(1000);
	}
}

static void
fk_tcp_peer_receive_exact(FkTcpFixture *fx, guint8 *buf, gsize len)
{
	g_autoptr(GError) error = NULL;
	gsize done = 0;
	while (done < len) {
		gssize n = g_socket_receive(fx->peer_socket,
					    (gchar *)buf + done,
					    len - done,
					    NULL,
					    &error);
		g_assert_no_error(error);
		g_assert_cmpint(n, >, 0);
		done += (gsize)n;
	}
}

static void
test_tcp_open(FkTcpFixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FkTransport) generic = NULL;
	g_autoptr(GSocketConnection) peer2 = NULL;

	g_assert_cmpint(fk_transport_get_kind(fx->transport), ==, FK_TRANSPORT_KIND_TCP);
	g_assert_cmpstr(fk_transport_get_name(fx->transport), ==, fx->name);
	g_assert_false(fk_transport_has_modem_lines(fx->transport));
	g_assert_cmpuint(fk_transport_get_usb_vid(fx->transport), ==, 0);

	/* no modem lines: asking for them is harmless */
	g_assert_true(fk_transport_set_lines(fx->transport, TRUE, FALSE, &error));
	g_assert_no_error(error);
	g_assert_true(fk_transport_set_lines(fx->transport, FALSE, FALSE, &error));
	g_assert_no_error(error);

	/* no baud rate either: the request is recorded */
	g_assert_true(fk_transport_set_baud(fx->transport, 921600, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(fk_transport_get_baud(fx->transport), ==, 921600);

	/* the generic entry point knows the scheme */
	generic = fk_transport_open(fx->name, &error);
	g_assert_no_error(error);
	g_assert_cmpint(fk_transport_get_kind(generic), ==, FK_TRANSPORT_KIND_TCP);
	peer2 = g_socket_listener_accept(fx->listener, NULL, NULL, &error);
	g_assert_no_error(error);
}

static void
test_tcp_bytes(FkTcpFixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	guint8 all[256];
	guint8 got[256];
	gsize done = 0;

	for (guint i = 0; i < sizeof(all); i++)
		all[i] = (guint8)i;

	g_assert_true(fk_transport_write(fx->transport, all, sizeof(all), NULL, &error));
	g_assert_no_error(error);
	fk_tcp_peer_receive_exact(fx, got, sizeof(got));
	g_assert_cmpmem(got, sizeof(got), all, sizeof(all));

	memset(got, 0, sizeof(got));
	fk_tcp_peer_send_all(fx, all, sizeof(all));
	while (done < sizeof(got)) {
		gssize n = fk_transport_read(fx->transport,
					     got + done,
					     sizeof(got) - done,
					     FK_TEST_NO_DEADLINE_MS,
					     NULL,
					     &error);
		g_assert_no_error(error);
		g_assert_cmpint(n, >, 0);
		done += (gsize)n;
	}
	g_assert_cmpmem(got, sizeof(got), all, sizeof(all));
}

static void
test_tcp_flush(FkTcpFixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	guint8 buf[64];

	fk_tcp_peer_send_all(fx, (const guint8 *)"stale bytes", 11);
	fk_tcp_peer_wait_acked(fx);
	g_assert_true(fk_transport_flush_input(fx->transport, &error));
	g_assert_no_error(error);
	g_assert_cmpint(fk_transport_read(fx->transport, buf, sizeof(buf), 50, NULL, &error), ==, 0);
	g_assert_no_error(error);
}

static void
test_tcp_timeout(FkTcpFixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	guint8 buf[16];
	gint64 start;
	gint64 elapsed;
	gssize n;

	/* nothing comes: a short read of no bytes and no error, and not before the deadline (load
	 * only makes the wait longer) */
	start = g_get_monotonic_time();
	n = fk_transport_read(fx->transport, buf, sizeof(buf), 250, NULL, &error);
	elapsed = g_get_monotonic_time() - start;
	g_assert_no_error(error);
	g_assert_cmpint(n, ==, 0);
	g_assert_cmpint(elapsed, >=, 249 * 1000);

	/* timeout 0 is a poll, never "forever": it returns, with nothing */
	n = fk_transport_read(fx->transport, buf, sizeof(buf), 0, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(n, ==, 0);

	/* bytes that arrived are returned by a poll */
	fk_tcp_peer_send_all(fx, (const guint8 *)"ok", 2);
	fk_tcp_peer_wait_acked(fx);
	n = fk_transport_read(fx->transport, buf, sizeof(buf), 0, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(n, ==, 2);
	g_assert_cmpmem(buf, 2, "ok", 2);

	/* and they end a wait whose deadline the test would not outlive, short of the buffer */
	fk_tcp_peer_send_all(fx, (const guint8 *)"go", 2);
	n = fk_transport_read(fx->transport, buf, sizeof(buf), FK_TEST_NO_DEADLINE_MS, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(n, >=, 1);
	g_assert_cmpint(n, <=, 2);
	g_assert_cmpmem(buf, n, "go", n);
}

static gpointer
fk_cancel_later_thread(gpointer user_data)
{
	GCancellable *cancellable = user_data;
	g_usleep(100 * 1000);
	g_cancellable_cancel(cancellable);
	return NULL;
}

static void
test_tcp_cancel(FkTcpFixture *fx, gconstpointer user_data)
{
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(GError) error = NULL;
	guint8 buf[16];
	GThread *thread;
	gint64 start;
	gint64 elapsed;
	gssize n;

	/* the cancel ends a wait whose deadline the test would not outlive, and the read did not
	 * return before the cancel came */
	thread = g_thread_new("cancel", fk_cancel_later_thread, cancellable);
	start = g_get_monotonic_time();
	n = fk_transport_read(fx->transport, buf, sizeof(buf), FK_TEST_NO_DEADLINE_MS, cancellable, &error);
	elapsed = g_get_monotonic_time() - start;
	g_thread_join(thread);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	g_assert_cmpint(n, ==, -1);
	g_assert_cmpint(elapsed, >=, 90 * 1000);
	g_clear_error(&error);

	/* still usable afterwards */
	fk_tcp_peer_send_all(fx, (const guint8 *)"y", 1);
	n = fk_transport_read(fx->transport, buf, sizeof(buf), FK_TEST_NO_DEADLINE_MS, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(n, ==, 1);
}

static gpointer
fk_close_peer_later_thread(gpointer user_data)
{
	FkTcpFixture *fx = user_data;
	g_usleep(100 * 1000);
	g_io_stream_close(G_IO_STREAM(fx->peer), NULL, NULL);
	return NULL;
}

static void
test_tcp_gone(FkTcpFixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	guint8 buf[4096] = {0};
	GThread *thread;
	gint64 start;
	gboolean ok = TRUE;
	gssize n;

	/* the peer goes away while a read waits: the read ends with that, not at a deadline the
	 * test would not outlive, and not before the peer went */
	thread = g_thread_new("close-peer", fk_close_peer_later_thread, fx);
	start = g_get_monotonic_time();
	n = fk_transport_read(fx->transport, buf, sizeof(buf), FK_TEST_NO_DEADLINE_MS, NULL, &error);
	g_thread_join(thread);
	g_assert_error(error, FK_ERROR, FK_ERROR_PORT_GONE);
	g_assert_cmpint(n, ==, -1);
	g_assert_cmpint(g_get_monotonic_time() - start, >=, 90 * 1000);
	g_clear_error(&error);

	/* writing to a closed peer fails as well (the first send may still be accepted) */
	for (guint i = 0; i < 100 && ok; i++) {
		ok = fk_transport_write(fx->transport, buf, sizeof(buf), NULL, &error);
		g_usleep(1000);
	}
	g_assert_false(ok);
	g_assert_error(error, FK_ERROR, FK_ERROR_PORT_GONE);
}

static void
test_tcp_refused(void)
{
	g_autoptr(GSocketListener) listener = g_socket_listener_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(FkTransport) transport = NULL;
	g_autofree gchar *name = NULL;
	g_autofree gchar *expected = NULL;
	guint16 port;

	/* a port that was just free: nothing listens there once the listener is closed */
	port = fk_tcp_listen(listener, "127.0.0.1", &error);
	g_assert_no_error(error);
	g_socket_listener_close(listener);

	name = g_strdup_printf("socket://127.0.0.1:%u", port);
	transport = fk_transport_tcp_open(name, &error);
	g_assert_null(transport);
	g_assert_error(error, FK_ERROR, FK_ERROR_PORT_NOT_FOUND);
	expected = g_strdup_printf("Nothing is listening on 127.0.0.1:%u: start the bridge or "
				   "flashkeep-sim first",
				   port);
	g_assert_cmpstr(error->message, ==, expected);
}

static void
test_tcp_bad_syntax(void)
{
	const gchar *names[] = {
	    "socket://",
	    "socket://127.0.0.1",
	    "socket://127.0.0.1:",
	    "socket://:4000",
	    "socket://127.0.0.1:port",
	    "socket://127.0.0.1:0",
	    "socket://127.0.0.1:65536",
	    "socket://127.0.0.1:-1",
	    "socket://127.0.0.1:4000/extra",
	    "socket://[::1",
	    "socket://[::1]",
	    "socket://[]:4000",
	    "rfc2217://127.0.0.1:4000",
	};
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(FkTransport) transport = fk_transport_tcp_open(names[i], &error);
		g_test_message("%s: %s", names[i], error != NULL ? error->message : "(opened)");
		g_assert_null(transport);
		g_assert_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT);
		g_assert_nonnull(strstr(error->message, "socket://HOST:PORT"));
	}
}

static void
test_tcp_ipv6(void)
{
	g_autoptr(GSocketListener) listener = g_socket_listener_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(FkTransport) transport = NULL;
	g_autoptr(GSocketConnection) peer = NULL;
	g_autofree gchar *name = NULL;
	guint16 port;

	port = fk_tcp_listen(listener, "::1", &error);
	if (port == 0) {
		g_test_skip("no IPv6 loopback here");
		return;
	}
	/* pyserial's spelling, with a trailing slash and options it ignores as well */
	name = g_strdup_printf("socket://[::1]:%u/?logging=debug", port);
	transport = fk_transport_tcp_open(name, &error);
	g_assert_no_error(error);
	peer = g_socket_listener_accept(listener, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(fk_transport_write(transport, (const guint8 *)"\xc0", 1, NULL, &error));
	g_assert_no_error(error);
	g_socket_listener_close(listener);
}

static void
fk_tcp_add(const gchar *path, void (*func)(FkTcpFixture *, gconstpointer))
{
	g_test_add(path, FkTcpFixture, NULL, fk_tcp_fixture_setup, func, fk_tcp_fixture_teardown);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	fk_tcp_add("/fk/tcp/open", test_tcp_open);
	fk_tcp_add("/fk/tcp/bytes", test_tcp_bytes);
	fk_tcp_add("/fk/tcp/flush", test_tcp_flush);
	fk_tcp_add("/fk/tcp/timeout", test_tcp_timeout);
	fk_tcp_add("/fk/tcp/cancel", test_tcp_cancel);
	fk_tcp_add("/fk/tcp/gone", test_tcp_gone);
	g_test_add_func("/fk/tcp/refused", test_tcp_refused);
	g_test_add_func("/fk/tcp/bad-syntax", test_tcp_bad_syntax);
	g_test_add_func("/fk/tcp/ipv6", test_tcp_ipv6);
	return g_test_run();
}
