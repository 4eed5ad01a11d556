/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns flashkeep-sim: simulated chips served over TCP, raw or as RFC 2217, each on its own port
 * and one client at a time (others are told the port is in use); calls the device API and
 * fk-sim-rfc2217 */
#include "config.h"

#include <gio/gio.h>
#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>

#include "fk-sim-device.h"
#include "fk-sim-private.h"
#include "fk-sim-rfc2217.h"
#include "fk-telnet.h"

/* Serves one simulated chip on a TCP port, like a raw serial-over-TCP bridge (ser2net) would
 * serve a real one: esptool's "socket://HOST:PORT" and esptool-js on a TCP shim work with it.
 * Raw TCP carries no modem lines and no baud rate, so the chip starts in the ROM loader (as
 * if BOOT were held at power-up) and never sees a rate mismatch. With --rfc2217 it is served
 * as ser2net's "telnet(rfc2217)" serves a board: the client's DTR/RTS drive the board's
 * auto-reset circuit and its baud rate is the chip's UART's other end.
 *
 * With --board (repeated) or --count it serves several chips at once, as a workbench of boards
 * on a rack of serial servers: each on its own port, with its own flash, MAC and client thread;
 * nothing is shared between them but the signals that press every board's buttons. */

typedef struct {
	FkSimDevice *device;
	GSocketListener *listener;
	GCancellable *cancellable;
	GMainLoop *loop;
	FkSimBootMode boot_mode;
	gboolean reset_on_connect;
	gboolean trace;
	FkSimRfc2217 *rfc2217; /* NULL when serving raw TCP */
	gint serving;	       /* atomic: a client is connected */
	GThread *client_thread; /* serves it */
} FkSimServer;

typedef struct {
	FkSimServer *server;
	GSocket *sock;
} FkSimClient;

static void
fk_sim_server_trace_cb(const gchar *line, gpointer user_data)
{
	g_autoptr(GDateTime) dt = g_date_time_new_now_local();
	g_autofree gchar *ts = g_date_time_format(dt, "%H:%M:%S.%f");
	g_printerr("%s %s\n", ts, line);
}

static gboolean
fk_sim_server_send(GSocket *sock, const guint8 *buf, gsize len, GCancellable *cancellable)
{
	gsize done = 0;
	while (done < len) {
		g_autoptr(GError) error_local = NULL;
		gssize rc = g_socket_send_with_blocking(sock,
							(const gchar *)buf + done,
							len - done,
							TRUE,
							cancellable,
							&error_local);
		if (rc < 0) {
			if (!g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
				g_printerr("flashkeep-sim: send failed: %s\n", error_local->message);
			return FALSE;
		}
		done += (gsize)rc;
	}
	return TRUE;
}

/* what the chip sent, escaped for an RFC 2217 client */
static gboolean
fk_sim_server_send_data(FkSimServer *server, GSocket *sock, const guint8 *buf, gsize len)
{
	g_autoptr(GByteArray) escaped = NULL;
	if (server->rfc2217 == NULL)
		return fk_sim_server_send(sock, buf, len, server->cancellable);
	escaped = g_byte_array_sized_new((guint)len + 16);
	fk_telnet_append_data(escaped, buf, len);
	return fk_sim_server_send(sock, escaped->data, escaped->len, server->cancellable);
}

/* bytes from the client: to the chip, or through the RFC 2217 port first */
static gboolean
fk_sim_server_receive(FkSimServer *server, GSocket *sock, const guint8 *buf, gsize len)
{
	g_autoptr(GByteArray) answers = NULL;
	if (server->rfc2217 == NULL) {
		fk_sim_device_host_write(server->device, buf, len, g_get_monotonic_time());
		return TRUE;
	}
	answers = g_byte_array_new();
	fk_sim_rfc2217_receive(server->rfc2217, buf, len, g_get_monotonic_time(), answers);
	return fk_sim_server_send(sock, answers->data, answers->len, server->cancellable);
}

static void
fk_sim_server_serve(FkSimServer *server, GSocket *sock)
{
	guint8 buf[8192];

	fk_sim_device_host_open(server->device, g_get_monotonic_time());
	/* whatever the chip printed while nobody was connected is gone */
	fk_sim_device_flush_host_input(server->device);
	if (server->rfc2217 != NULL)
		fk_sim_rfc2217_connect(server->rfc2217, g_get_monotonic_time());
	if (server->reset_on_connect)
		fk_sim_device_power_cycle(server->device, server->boot_mode, g_get_monotonic_time());
	g_socket_set_blocking(sock, FALSE);

	while (!g_cancellable_is_cancelled(server->cancellable)) {
		g_autoptr(GError) error_local = NULL;
		gint64 now = g_get_monotonic_time();
		gint64 next_us = -1;
		gint64 timeout;
		gssize rc;
		gsize n;

		n = fk_sim_device_host_read(server->device, buf, sizeof(buf), now, &next_us);
		if (n > 0) {
			if (!fk_sim_server_send_data(server, sock, buf, n))
				break;
			continue;
		}
		timeout = 50000;
		if (next_us >= 0)
			timeout = CLAMP(next_us - now, 0, timeout);
		if (!g_socket_condition_timed_wait(sock,
						   G_IO_IN,
						   timeout,
						   server->cancellable,
						   &error_local)) {
			if (g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
				continue;
			break;
		}
		rc = g_socket_receive(sock, (gchar *)buf, sizeof(buf), NULL, &error_local);
		if (rc == 0)
			break; /* the client went away */
		if (rc < 0) {
			if (g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
				continue;
			g_printerr("flashkeep-sim: receive failed: %s\n", error_local->message);
			break;
		}
		if (!fk_sim_server_receive(server, sock, buf, (gsize)rc))
			break;
		if (fk_sim_device_is_link_dead(server->device)) {
			/* flush what the host may still get, then hang up */
			n = fk_sim_device_host_read(server->device,
						    buf,
						    sizeof(buf),
						    G_MAXINT64,
						    NULL);
			fk_sim_server_send_data(server, sock, buf, n);
			break;
		}
	}
	fk_sim_device_host_close(server->device);
	g_socket_close(sock, NULL);
}

static gpointer
fk_sim_server_client_thread(gpointer user_data)
{
	FkSimClient *client = user_data;
	if (client->server->trace)
		g_printerr("client connected\n");
	fk_sim_server_serve(client->server, client->sock);
	if (client->server->trace)
		g_printerr("client disconnected\n");
	g_atomic_int_set(&client->server->serving, 0);
	g_object_unref(client->sock);
	g_free(client);
	return NULL;
}

/* tells a client that came while another is connected that the port is in use, in ser2net's
 * words, and hangs up; what the client sent is read first, since closing a socket with unread
 * input resets the connection and the client would never see the words */
static gpointer
fk_sim_server_busy_thread(gpointer user_data)
{
	g_autoptr(GSocket) sock = user_data;
	static const gchar busy[] = "Port already in use\r\n";
	gint64 deadline = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
	gchar buf[1024];

	fk_sim_server_send(sock, (const guint8 *)busy, sizeof(busy) - 1, NULL);
	g_socket_shutdown(sock, FALSE, TRUE, NULL);
	while (g_get_monotonic_time() < deadline &&
	       g_socket_condition_timed_wait(sock, G_IO_IN, deadline - g_get_monotonic_time(), NULL, NULL)) {
		if (g_socket_receive(sock, buf, sizeof(buf), NULL, NULL) <= 0)
			break;
	}
	g_socket_close(sock, NULL);
	return NULL;
}

/* waits up to a second for the client being served to finish */
static void
fk_sim_server_wait_free(FkSimServer *server)
{
	gint64 deadline = g_get_monotonic_time() + G_USEC_PER_SEC;
	while (g_atomic_int_get(&server->serving) && g_get_monotonic_time() < deadline &&
	       !g_cancellable_is_cancelled(server->cancellable))
		g_usleep(5000);
}

static gpointer
fk_sim_server_thread(gpointer user_data)
{
	FkSimServer *server = user_data;
	while (!g_cancellable_is_cancelled(server->cancellable)) {
		g_autoptr(GError) error_local = NULL;
		g_autoptr(GSocket) sock = g_socket_listener_accept_socket(server->listener,
									   NULL,
									   server->cancellable,
									   &error_local);
		FkSimClient *client;
		if (sock == NULL) {
			if (!g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
				g_printerr("flashkeep-sim: accept failed: %s\n", error_local->message);
			continue;
		}
		/* one client at a time, like a serial port; the others are told so, in ser2net's
		 * words, instead of waiting in the queue for a chip that never answers. A client that
		 * has just hung up may not have been noticed yet (its end of file is still in the
		 * queue behind the new connection), so the port is given a moment to come free */
		fk_sim_server_wait_free(server);
		if (g_atomic_int_get(&server->serving)) {
			if (server->trace)
				g_printerr("client turned away: port in use\n");
			g_thread_unref(g_thread_new("flashkeep-sim-busy", fk_sim_server_busy_thread,
						    g_steal_pointer(&sock)));
			continue;
		}
		if (server->client_thread != NULL)
			g_thread_join(g_steal_pointer(&server->client_thread));
		g_atomic_int_set(&server->serving, 1);
		client = g_new0(FkSimClient, 1);
		client->server = server;
		client->sock = g_steal_pointer(&sock);
		server->client_thread = g_thread_new("flashkeep-sim-client", fk_sim_server_client_thread, client);
	}
	if (server->client_thread != NULL)
		g_thread_join(g_steal_pointer(&server->client_thread));
	return NULL;
}

/* SIGUSR1: a person holds BOOT, taps EN and lets go of BOOT; SIGUSR2: taps EN alone */
/* the boards served, and what they share: the stop and the main loop */
typedef struct {
	GPtrArray *servers; /* FkSimServer* */
	GCancellable *cancellable;
	GMainLoop *loop;
} FkSimBench;

static gboolean
fk_sim_server_download_cb(gpointer user_data)
{
	FkSimBench *bench = user_data;
	for (guint i = 0; i < bench->servers->len; i++) {
		FkSimServer *server = g_ptr_array_index(bench->servers, i);
		fk_sim_device_enter_download_by_hand(server->device);
	}
	g_printerr("flashkeep-sim: BOOT held, EN tapped, BOOT let go\n");
	return G_SOURCE_CONTINUE;
}

static gboolean
fk_sim_server_tap_reset_cb(gpointer user_data)
{
	FkSimBench *bench = user_data;
	for (guint i = 0; i < bench->servers->len; i++) {
		FkSimServer *server = g_ptr_array_index(bench->servers, i);
		fk_sim_device_tap_reset(server->device);
	}
	g_printerr("flashkeep-sim: EN tapped\n");
	return G_SOURCE_CONTINUE;
}

static gboolean
fk_sim_server_signal_cb(gpointer user_data)
{
	FkSimBench *bench = user_data;
	g_cancellable_cancel(bench->cancellable);
	g_main_loop_quit(bench->loop);
	return G_SOURCE_CONTINUE;
}

static void
fk_sim_server_free(FkSimServer *server)
{
	if (server->listener != NULL)
		g_socket_listener_close(server->listener);
	g_clear_object(&server->listener);
	g_clear_object(&server->device);
	g_clear_pointer(&server->rfc2217, fk_sim_rfc2217_free);
	g_free(server);
}

/* one board of the bench: "CHIP" or "CHIP@SIZE" */
static gboolean
fk_sim_board_parse(const gchar *spec, gchar **chip, gsize *size, GError **error)
{
	g_auto(GStrv) parts = g_strsplit(spec, "@", 2);
	*size = 0;
	if (parts[0] == NULL || parts[0][0] == '\0') {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--board '%s': no chip named (CHIP or CHIP@SIZE)",
			    spec);
		return FALSE;
	}
	if (parts[1] != NULL && !fk_sim_parse_size(parts[1], size, error)) {
		g_prefix_error(error, "--board '%s': ", spec);
		return FALSE;
	}
	*chip = g_strdup(parts[0]);
	return TRUE;
}

/* the board's device, set up as the options say */
static FkSimDevice *
fk_sim_board_new(const gchar *chip, gsize size, guint64 seed, gchar **faults, gboolean rfc2217, gboolean paced,
		 gint latency_ms, FkSimStubKind stub_kind, FkSimBootMode boot_mode, gboolean noreset, gboolean trace,
		 GError **error)
{
	g_autoptr(FkSimDevice) device = fk_sim_device_new(chip, size, seed, error);
	if (device == NULL)
		return NULL;
	for (guint i = 0; faults != NULL && faults[i] != NULL; i++) {
		if (!fk_sim_device_add_faults_from_string(device, faults[i], error))
			return NULL;
	}
	/* over RFC 2217 the client's rate must match the chip's, as on a wire */
	fk_sim_device_set_baud_transparent(device, !rfc2217);
	fk_sim_device_set_timing(device, paced, (guint)latency_ms * 1000);
	fk_sim_device_set_stub_kind(device, stub_kind);
	fk_sim_device_set_boot_mode(device, boot_mode);
	fk_sim_device_set_auto_reset(device, !noreset);
	if (trace)
		fk_sim_device_set_trace_func(device, fk_sim_server_trace_cb, NULL);
	return g_steal_pointer(&device);
}

/* listens for @server's clients on @bind:@port (0: a free one) and says where */
static gboolean
fk_sim_server_listen(FkSimServer *server, const gchar *bind, guint port, GError **error)
{
	g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string(bind, port);
	g_autoptr(GSocketAddress) effective = NULL;
	g_autofree gchar *host = NULL;

	if (address == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "cannot parse address '%s'", bind);
		return FALSE;
	}
	server->listener = g_socket_listener_new();
	if (!g_socket_listener_add_address(server->listener, address, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
					   NULL, &effective, error)) {
		g_prefix_error(error, "cannot listen on %s:%u: ", bind, port);
		return FALSE;
	}
	host = g_inet_address_to_string(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(effective)));
	g_print("listening on %s:%u\n", host, (guint)g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(effective)));
	if (server->trace)
		g_printerr("simulating %s on port %u\n", fk_sim_device_get_description(server->device),
			   (guint)g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(effective)));
	return TRUE;
}

/* where board @index (of @n) is dumped: FILE alone, or FILE.1, FILE.2, … */
static gchar *
fk_sim_dump_path(const gchar *path, guint index, guint n)
{
	return n == 1 ? g_strdup(path) : g_strdup_printf("%s.%u", path, index + 1);
}

int
main(int argc, char **argv)
{
	g_autofree gchar *chip = NULL; /* GOption replaces a default without freeing it */
	g_autofree gchar *size_str = NULL;
	g_autofree gchar *bind = NULL;
	g_autofree gchar *seed_str = NULL;
	g_autofree gchar *flash_path = NULL;
	g_autofree gchar *dump_path = NULL;
	g_autofree gchar *boot = NULL;
	g_autofree gchar *stub = NULL;
	FkSimStubKind stub_kind = FK_SIM_STUB_V2;
	g_auto(GStrv) faults = NULL;
	g_auto(GStrv) boards = NULL;
	gint port = 0;
	gint count = 0;
	gint latency_ms = 0;
	gboolean trace = FALSE;
	gboolean paced = FALSE;
	gboolean reset_on_connect = FALSE;
	gboolean list_chips = FALSE;
	gboolean rfc2217 = FALSE;
	gboolean noreset = FALSE;
	gsize size = 0;
	guint64 seed = 0;
	FkSimBootMode boot_mode;
	FkSimBench bench = {0};
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) ctx = NULL;
	g_autoptr(GPtrArray) servers = g_ptr_array_new_with_free_func((GDestroyNotify)fk_sim_server_free);
	g_autoptr(GPtrArray) threads = g_ptr_array_new();
	g_autoptr(GCancellable) cancellable = NULL;
	g_autoptr(GMainLoop) loop = NULL;
	g_autoptr(GPtrArray) chips = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GArray) sizes = g_array_new(FALSE, FALSE, sizeof(gsize));
	gint rc = 0;
	const GOptionEntry entries[] = {
	    {"chip", 0, 0, G_OPTION_ARG_STRING, &chip, "Chip to simulate (default esp32)", "CHIP"},
	    {"size", 0, 0, G_OPTION_ARG_STRING, &size_str, "Flash size, e.g. 4MB", "SIZE"},
	    {"board", 0, 0, G_OPTION_ARG_STRING_ARRAY, &boards,
	     "Serve this chip as well, on the next port (repeatable; instead of --chip and --size)", "CHIP[@SIZE]"},
	    {"count", 0, 0, G_OPTION_ARG_INT, &count, "Serve N boards of --chip and --size, on N consecutive ports", "N"},
	    {"port", 0, 0, G_OPTION_ARG_INT, &port,
	     "TCP port, the first of consecutive ones for several boards (0 picks free ones)", "PORT"},
	    {"bind", 0, 0, G_OPTION_ARG_STRING, &bind, "Address to listen on", "ADDR"},
	    {"seed", 0, 0, G_OPTION_ARG_STRING, &seed_str,
	     "Seed for flash content, MAC and faults; of several boards, the Kth (from 0) gets N+K", "N"},
	    {"flash", 0, 0, G_OPTION_ARG_FILENAME, &flash_path, "Load the flash from FILE (one board only)", "FILE"},
	    {"dump", 0, 0, G_OPTION_ARG_FILENAME, &dump_path,
	     "Write the flash to FILE on exit (several boards: FILE.1, FILE.2, …)", "FILE"},
	    {"trace", 0, 0, G_OPTION_ARG_NONE, &trace, "Print the protocol on stderr", NULL},
	    {"paced", 0, 0, G_OPTION_ARG_NONE, &paced, "Real wire and flash timing", NULL},
	    {"latency", 0, 0, G_OPTION_ARG_INT, &latency_ms, "Extra latency per direction", "MS"},
	    {"fault", 0, 0, G_OPTION_ARG_STRING_ARRAY, &faults, "Inject a fault, into every board (repeatable)", "SPEC"},
	    {"stub", 0, 0, G_OPTION_ARG_STRING, &stub,
	     "How the stub paces READ_FLASH: v2 (default, esp-flasher-stub), legacy, lockstep", "KIND"},
	    {"boot", 0, 0, G_OPTION_ARG_STRING, &boot,
	     "Start in 'download' or 'app' (default: download, app with --noreset)", "MODE"},
	    {"noreset", 0, 0, G_OPTION_ARG_NONE, &noreset,
	     "A board without auto-reset: DTR/RTS do nothing; SIGUSR1 holds BOOT and taps EN, SIGUSR2 taps EN "
	     "(on every board)",
	     NULL},
	    {"reset-on-connect", 0, 0, G_OPTION_ARG_NONE, &reset_on_connect,
	     "Power-cycle the chip for every new client", NULL},
	    {"rfc2217", 0, 0, G_OPTION_ARG_NONE, &rfc2217,
	     "Serve RFC 2217 (baud rate, DTR/RTS reset) instead of raw TCP", NULL},
	    {"list-chips", 0, 0, G_OPTION_ARG_NONE, &list_chips, "List the simulated chips", NULL},
	    {NULL}};

	setlocale(LC_ALL, "");
	ctx = g_option_context_new("- serve simulated Espressif chips on TCP");
	g_option_context_set_description(ctx,
					 "Several boards at once, each on its own port with its own flash and MAC:\n"
					 "  flashkeep-sim --board esp32@4MB --board esp8266@1MB --port 4000\n"
					 "  flashkeep-sim --chip esp32c3 --count 4 --port 4000\n"
					 "print one \"listening on HOST:PORT\" line per board, in order.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		g_printerr("flashkeep-sim: %s\n", error->message);
		return 2;
	}
	if (bind == NULL)
		bind = g_strdup("127.0.0.1");
	if (list_chips) {
		const gchar *const *names = fk_sim_device_list_chips();
		for (guint i = 0; names[i] != NULL; i++)
			g_print("%s\n", names[i]);
		return 0;
	}
	if (size_str != NULL && !fk_sim_parse_size(size_str, &size, &error)) {
		g_printerr("flashkeep-sim: %s\n", error->message);
		return 2;
	}
	if (seed_str != NULL && !g_ascii_string_to_unsigned(seed_str, 10, 0, G_MAXUINT64, &seed, &error)) {
		g_printerr("flashkeep-sim: --seed: %s\n", error->message);
		return 2;
	}
	if (boot == NULL)
		boot = g_strdup(noreset ? "app" : "download");
	if (g_strcmp0(boot, "download") == 0) {
		boot_mode = FK_SIM_BOOT_DOWNLOAD;
	} else if (g_strcmp0(boot, "app") == 0) {
		boot_mode = FK_SIM_BOOT_APP;
	} else {
		g_printerr("flashkeep-sim: --boot must be 'download' or 'app'\n");
		return 2;
	}
	if (stub != NULL && !fk_sim_stub_kind_from_string(stub, &stub_kind)) {
		g_printerr("flashkeep-sim: --stub must be 'v2', 'legacy' or 'lockstep'\n");
		return 2;
	}
	if (port < 0 || port > 65535 || latency_ms < 0 || count < 0 || count > 256) {
		g_printerr("flashkeep-sim: bad --port, --count or --latency\n");
		return 2;
	}

	/* the boards: --board each, or --count of --chip, or the one --chip */
	if (boards != NULL && (count > 0 || chip != NULL || size_str != NULL)) {
		g_printerr("flashkeep-sim: --board names each chip and its size: use it instead of --chip, --size "
			   "and --count\n");
		return 2;
	}
	for (guint i = 0; boards != NULL && boards[i] != NULL; i++) {
		gchar *board_chip = NULL;
		gsize board_size = 0;
		if (!fk_sim_board_parse(boards[i], &board_chip, &board_size, &error)) {
			g_printerr("flashkeep-sim: %s\n", error->message);
			return 2;
		}
		g_ptr_array_add(chips, board_chip);
		g_array_append_val(sizes, board_size);
	}
	if (chips->len == 0) {
		for (gint i = 0; i < MAX(count, 1); i++) {
			g_ptr_array_add(chips, g_strdup(chip != NULL ? chip : "esp32"));
			g_array_append_val(sizes, size);
		}
	}
	if (flash_path != NULL && chips->len > 1) {
		g_printerr("flashkeep-sim: --flash loads one chip: serve one board with it\n");
		return 2;
	}
	if (port > 0 && port + (gint)chips->len - 1 > 65535) {
		g_printerr("flashkeep-sim: %u boards from port %d do not fit below 65536\n", chips->len, port);
		return 2;
	}

	cancellable = g_cancellable_new();
	loop = g_main_loop_new(NULL, FALSE);
	for (guint i = 0; i < chips->len; i++) {
		FkSimServer *server = g_new0(FkSimServer, 1);
		g_ptr_array_add(servers, server);
		/* each board its own seed: its own flash content and MAC */
		server->device = fk_sim_board_new(g_ptr_array_index(chips, i), g_array_index(sizes, gsize, i), seed + i,
						  faults, rfc2217, paced, latency_ms, stub_kind, boot_mode, noreset,
						  trace, &error);
		if (server->device == NULL) {
			g_printerr("flashkeep-sim: %s\n", error->message);
			return 2;
		}
		if (flash_path != NULL && !fk_sim_device_load_flash(server->device, flash_path, &error)) {
			g_printerr("flashkeep-sim: %s\n", error->message);
			return 1;
		}
		if (rfc2217)
			server->rfc2217 = fk_sim_rfc2217_new(server->device);
		server->cancellable = cancellable;
		server->loop = loop;
		server->boot_mode = boot_mode;
		server->reset_on_connect = reset_on_connect;
		server->trace = trace;
	}
	bench.servers = servers;
	bench.cancellable = cancellable;
	bench.loop = loop;
	g_unix_signal_add(SIGINT, fk_sim_server_signal_cb, &bench);
	g_unix_signal_add(SIGTERM, fk_sim_server_signal_cb, &bench);
	g_unix_signal_add(SIGUSR1, fk_sim_server_download_cb, &bench);
	g_unix_signal_add(SIGUSR2, fk_sim_server_tap_reset_cb, &bench);
	/* each "listening on" line is said only once a stop is handled: a script that stops the
	 * simulator as soon as it reads the lines still gets its --dump */
	for (guint i = 0; i < servers->len; i++) {
		FkSimServer *server = g_ptr_array_index(servers, i);
		if (!fk_sim_server_listen(server, bind, port > 0 ? (guint)port + i : 0, &error)) {
			g_printerr("flashkeep-sim: %s\n", error->message);
			return 1;
		}
	}
	fflush(stdout);

	for (guint i = 0; i < servers->len; i++)
		g_ptr_array_add(threads, g_thread_new("flashkeep-sim", fk_sim_server_thread, g_ptr_array_index(servers, i)));
	g_main_loop_run(loop);
	g_cancellable_cancel(cancellable);
	for (guint i = 0; i < threads->len; i++)
		g_thread_join(g_ptr_array_index(threads, i));

	for (guint i = 0; dump_path != NULL && i < servers->len; i++) {
		FkSimServer *server = g_ptr_array_index(servers, i);
		g_autofree gchar *path = fk_sim_dump_path(dump_path, i, servers->len);
		g_autoptr(GError) error_dump = NULL;
		if (!fk_sim_device_dump_flash(server->device, path, &error_dump)) {
			g_printerr("flashkeep-sim: %s\n", error_dump->message);
			rc = 1;
		}
	}
	return rc;
}
