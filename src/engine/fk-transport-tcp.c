/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the socket://HOST:PORT backend (raw TCP to ser2net, ESP-Link, flashkeep-sim) and what a
 * server's parting words mean; calls the transport base class and fk-port */
#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "fk-error.h"
#include "fk-transport-tcp.h"

/* a raw TCP link to a serial bridge (ser2net, ESP-Link, flashkeep-sim), spelled as esptool and
 * pyserial spell it: socket://HOST:PORT, with an IPv6 address in brackets */

#define FK_TRANSPORT_TCP_SCHEME "socket://"

/* the longest a single wait lasts; the cancellable is watched during it as well */
#define FK_TRANSPORT_TCP_SLICE_US (100 * G_TIME_SPAN_MILLISECOND)

/* how long connecting and sending may take before the bridge is considered unreachable */
#define FK_TRANSPORT_TCP_CONNECT_TIMEOUT_S 5
#define FK_TRANSPORT_TCP_WRITE_TIMEOUT_MS 5000

#define FK_TYPE_TRANSPORT_TCP (fk_transport_tcp_get_type())
G_DECLARE_FINAL_TYPE(FkTransportTcp, fk_transport_tcp, FK, TRANSPORT_TCP, FkTransport)

struct _FkTransportTcp {
	FkTransport parent_instance;
	GSocketConnection *connection;
	GSocket *socket; /* owned by the connection */
	gchar *address;	 /* "127.0.0.1:4000" or "[::1]:4000", for messages */
	guint8 head[64]; /* the first bytes the server sent: where it says why it hangs up */
	gsize head_len;
};

G_DEFINE_FINAL_TYPE(FkTransportTcp, fk_transport_tcp, FK_TYPE_TRANSPORT)

/* keeps the first bytes of the connection; later data (a flash image may hold any text) is
 * never taken for the server's words */
static void
fk_transport_tcp_remember(FkTransportTcp *self, const guint8 *buf, gsize n)
{
	gsize take = MIN(n, sizeof(self->head) - self->head_len);
	memcpy(self->head + self->head_len, buf, take);
	self->head_len += take;
}

/* serial servers (ser2net, flashkeep-sim) turn away a second client with these words, before
 * anything else */
static gboolean
fk_transport_tcp_check_busy(FkTransportTcp *self, GError **error)
{
	if (g_strstr_len((const gchar *)self->head, self->head_len, "already in use") == NULL)
		return TRUE;
	g_set_error(error,
		    FK_ERROR,
		    FK_ERROR_PORT_BUSY,
		    "%s says its port is already in use: another program is connected to it; "
		    "close that program and try again",
		    self->address);
	return FALSE;
}

static void
fk_transport_tcp_set_gone_error(FkTransportTcp *self, GError **error)
{
	if (!fk_transport_tcp_check_busy(self, error))
		return;
	g_set_error(error,
		    FK_ERROR,
		    FK_ERROR_PORT_GONE,
		    "The connection to %s was closed by the other side: check that the bridge "
		    "is still running and connect again",
		    self->address);
}

/* errors of an established connection */
static void
fk_transport_tcp_propagate_io_error(FkTransportTcp *self,
				    GError *local_error,
				    const gchar *action,
				    GError **error)
{
	if (g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_propagate_error(error, local_error);
		return;
	}
	if (g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
	    g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE) ||
	    g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED) ||
	    g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_CLOSED)) {
		fk_transport_tcp_set_gone_error(self, error);
		g_error_free(local_error);
		return;
	}
	g_set_error(error,
		    FK_ERROR,
		    FK_ERROR_FAILED,
		    "Could not %s %s: %s",
		    action,
		    self->address,
		    local_error->message);
	g_error_free(local_error);
}

static gboolean
fk_transport_tcp_write(FkTransport *transport,
		       const guint8 *data,
		       gsize len,
		       GCancellable *cancellable,
		       GError **error)
{
	FkTransportTcp *self = FK_TRANSPORT_TCP(transport);
	gint64 deadline = g_get_monotonic_time() +
			  (gint64)FK_TRANSPORT_TCP_WRITE_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
	gsize done = 0;

	while (done < len) {
		GError *local_error = NULL;
		gint64 remaining = deadline - g_get_monotonic_time();
		gssize n;

		if (remaining <= 0) {
			g_set_error(error,
				    FK_ERROR,
				    FK_ERROR_TIMEOUT,
				    "%s stopped accepting data (%" G_GSIZE_FORMAT
				    " of %" G_GSIZE_FORMAT " bytes sent): check the bridge",
				    self->address,
				    done,
				    len);
			return FALSE;
		}
		if (!g_socket_condition_timed_wait(self->socket,
						   G_IO_OUT,
						   MIN(remaining, FK_TRANSPORT_TCP_SLICE_US),
						   cancellable,
						   &local_error)) {
			if (g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
				g_clear_error(&local_error);
				continue;
			}
			fk_transport_tcp_propagate_io_error(self, local_error, "send to", error);
			return FALSE;
		}
		n = g_socket_send_with_blocking(self->socket,
						(const gchar *)data + done,
						len - done,
						FALSE,
						cancellable,
						&local_error);
		if (n < 0) {
			if (g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
				g_clear_error(&local_error);
				continue;
			}
			fk_transport_tcp_propagate_io_error(self, local_error, "send to", error);
			return FALSE;
		}
		done += (gsize)n;
	}
	return TRUE;
}

static gssize
fk_transport_tcp_read(FkTransport *transport,
		      guint8 *buf,
		      gsize len,
		      guint timeout_ms,
		      GCancellable *cancellable,
		      GError **error)
{
	FkTransportTcp *self = FK_TRANSPORT_TCP(transport);
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * G_TIME_SPAN_MILLISECOND;

	if (len == 0)
		return 0;
	for (;;) {
		GError *local_error = NULL;
		gint64 remaining = MAX(deadline - g_get_monotonic_time(), 0);
		gssize n;

		if (!g_socket_condition_timed_wait(self->socket,
						   G_IO_IN,
						   MIN(remaining, FK_TRANSPORT_TCP_SLICE_US),
						   cancellable,
						   &local_error)) {
			if (g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
				g_clear_error(&local_error);
				if (g_get_monotonic_time() >= deadline)
					return 0;
				continue;
			}
			fk_transport_tcp_propagate_io_error(self, local_error, "receive from", error);
			return -1;
		}
		n = g_socket_receive_with_blocking(self->socket,
						   (gchar *)buf,
						   len,
						   FALSE,
						   cancellable,
						   &local_error);
		if (n > 0) {
			fk_transport_tcp_remember(self, buf, (gsize)n);
			if (!fk_transport_tcp_check_busy(self, error))
				return -1;
			return n;
		}
		if (n == 0) {
			/* readable with nothing to read: the peer closed its end */
			fk_transport_tcp_set_gone_error(self, error);
			return -1;
		}
		if (g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
			g_clear_error(&local_error);
			continue;
		}
		fk_transport_tcp_propagate_io_error(self, local_error, "receive from", error);
		return -1;
	}
}

/* a raw TCP link carries no modem lines: resets are the bridge's business */
static gboolean
fk_transport_tcp_set_lines(FkTransport *transport, gboolean dtr, gboolean rts, GError **error)
{
	return TRUE;
}

/* the bridge's serial side has its own rate; the base class records the one asked for */
static gboolean
fk_transport_tcp_set_baud(FkTransport *transport, guint baud, GError **error)
{
	return TRUE;
}

static gboolean
fk_transport_tcp_flush_input(FkTransport *transport, GError **error)
{
	FkTransportTcp *self = FK_TRANSPORT_TCP(transport);
	guint8 buf[1024];

	/* drop what already arrived; a closed peer is reported by the next read */
	for (;;) {
		g_autoptr(GError) local_error = NULL;
		gssize n = g_socket_receive_with_blocking(self->socket,
							  (gchar *)buf,
							  sizeof(buf),
							  FALSE,
							  NULL,
							  &local_error);
		if (n <= 0)
			return TRUE;
		fk_transport_tcp_remember(self, buf, (gsize)n);
		if (!fk_transport_tcp_check_busy(self, error))
			return FALSE;
	}
}

static void
fk_transport_tcp_close(FkTransport *transport)
{
	FkTransportTcp *self = FK_TRANSPORT_TCP(transport);
	if (self->connection != NULL) {
		g_autoptr(GError) error_local = NULL;
		if (!g_io_stream_close(G_IO_STREAM(self->connection), NULL, &error_local))
			g_debug("closing %s failed: %s", self->address, error_local->message);
		g_clear_object(&self->connection);
		self->socket = NULL;
	}
}

static void
fk_transport_tcp_finalize(GObject *object)
{
	FkTransportTcp *self = FK_TRANSPORT_TCP(object);
	g_clear_object(&self->connection);
	g_free(self->address);
	G_OBJECT_CLASS(fk_transport_tcp_parent_class)->finalize(object);
}

static void
fk_transport_tcp_init(FkTransportTcp *self)
{
}

static void
fk_transport_tcp_class_init(FkTransportTcpClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	FkTransportClass *transport_class = FK_TRANSPORT_CLASS(klass);
	object_class->finalize = fk_transport_tcp_finalize;
	transport_class->write = fk_transport_tcp_write;
	transport_class->read = fk_transport_tcp_read;
	transport_class->set_lines = fk_transport_tcp_set_lines;
	transport_class->set_baud = fk_transport_tcp_set_baud;
	transport_class->flush_input = fk_transport_tcp_flush_input;
	transport_class->close = fk_transport_tcp_close;
}

static gboolean
fk_transport_tcp_set_syntax_error(const gchar *name,
				  const gchar *scheme,
				  const gchar *why,
				  GError **error)
{
	g_set_error(error,
		    FK_ERROR,
		    FK_ERROR_INVALID_ARGUMENT,
		    "“%s” is not a valid network address (%s): write it as %sHOST:PORT, "
		    "e.g. %s127.0.0.1:4000 or %s[::1]:4000",
		    name,
		    why,
		    scheme,
		    scheme,
		    scheme);
	return FALSE;
}

/* SCHEME://HOST:PORT[/][?options]; options such as pyserial's ?logging=debug are ignored */
static gboolean
fk_transport_tcp_parse(const gchar *name,
		       const gchar *scheme,
		       gchar **host_out,
		       guint16 *port_out,
		       GError **error)
{
	g_autofree gchar *rest = NULL;
	g_autofree gchar *host = NULL;
	const gchar *port_str;
	gchar *tmp;
	guint64 port = 0;

	if (g_ascii_strncasecmp(name, scheme, strlen(scheme)) != 0)
		return fk_transport_tcp_set_syntax_error(name, scheme, "wrong scheme", error);
	rest = g_strdup(name + strlen(scheme));
	tmp = strchr(rest, '?');
	if (tmp != NULL)
		*tmp = '\0';
	tmp = strchr(rest, '/');
	if (tmp != NULL) {
		if (tmp[1] != '\0')
			return fk_transport_tcp_set_syntax_error(name, scheme, "unexpected path", error);
		*tmp = '\0';
	}

	if (rest[0] == '[') {
		gchar *bracket = strchr(rest, ']');
		if (bracket == NULL)
			return fk_transport_tcp_set_syntax_error(name, scheme, "missing “]”", error);
		if (bracket[1] != ':')
			return fk_transport_tcp_set_syntax_error(name, scheme, "no port number", error);
		*bracket = '\0';
		host = g_strdup(rest + 1);
		port_str = bracket + 2;
	} else {
		gchar *colon = strrchr(rest, ':');
		if (colon == NULL)
			return fk_transport_tcp_set_syntax_error(name, scheme, "no port number", error);
		*colon = '\0';
		host = g_strdup(rest);
		port_str = colon + 1;
	}
	if (host[0] == '\0')
		return fk_transport_tcp_set_syntax_error(name, scheme, "no host name", error);
	if (port_str[0] == '\0')
		return fk_transport_tcp_set_syntax_error(name, scheme, "no port number", error);
	if (!g_ascii_string_to_unsigned(port_str, 10, 1, G_MAXUINT16, &port, NULL))
		return fk_transport_tcp_set_syntax_error(name, scheme, "the port must be a number from 1 to 65535",
							 error);
	*host_out = g_steal_pointer(&host);
	*port_out = (guint16)port;
	return TRUE;
}

gboolean
fk_port_check_network_address(const gchar *name, GError **error)
{
	const gchar *schemes[] = {"rfc2217://", "socket://"};
	g_autofree gchar *host = NULL;
	guint16 port = 0;

	for (guint i = 0; i < G_N_ELEMENTS(schemes); i++) {
		if (name != NULL && g_ascii_strncasecmp(name, schemes[i], strlen(schemes[i])) == 0)
			return fk_transport_tcp_parse(name, schemes[i], &host, &port, error);
	}
	g_set_error(error,
		    FK_ERROR,
		    FK_ERROR_INVALID_ARGUMENT,
		    "“%s” is not a network port: write rfc2217://HOST:PORT for a serial server "
		    "(ser2net with telnet(rfc2217), esptool's rfc2217_server.py), which also resets the "
		    "board, or socket://HOST:PORT for a raw TCP bridge (ESP-Link, ser2net raw)",
		    name != NULL ? name : "");
	return FALSE;
}

static void
fk_transport_tcp_set_connect_error(const gchar *address, GError *local_error, GError **error)
{
	if (g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_propagate_error(error, local_error);
		return;
	}
	if (g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED)) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_PORT_NOT_FOUND,
			    "Nothing is listening on %s: start the bridge or flashkeep-sim first",
			    address);
	} else if (local_error->domain == G_RESOLVER_ERROR) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_PORT_NOT_FOUND,
			    "Cannot find the host of %s: check the name and the network (%s)",
			    address,
			    local_error->message);
	} else if (g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_TIMEOUT,
			    "%s did not answer within %u seconds: check the address and the network",
			    address,
			    (guint)FK_TRANSPORT_TCP_CONNECT_TIMEOUT_S);
	} else if (g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE) ||
		   g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE)) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_PORT_NOT_FOUND,
			    "%s cannot be reached: check the address and the network",
			    address);
	} else if (g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED)) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_PORT_PERMISSION,
			    "Connecting to %s is not allowed here (a firewall?): %s",
			    address,
			    local_error->message);
	} else {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_FAILED,
			    "Could not connect to %s: %s",
			    address,
			    local_error->message);
	}
	g_error_free(local_error);
}

FkTransport *
fk_transport_tcp_open(const gchar *name, GError **error)
{
	return fk_transport_tcp_open_as(name, FK_TRANSPORT_TCP_SCHEME, error);
}

FkTransport *
fk_transport_tcp_open_as(const gchar *name, const gchar *scheme, GError **error)
{
	g_autoptr(FkTransportTcp) self = NULL;
	g_autoptr(GSocketClient) client = NULL;
	g_autoptr(GSocketConnectable) connectable = NULL;
	g_autofree gchar *host = NULL;
	GError *local_error = NULL;
	guint16 port = 0;

	g_return_val_if_fail(name != NULL, NULL);

	if (!fk_transport_tcp_parse(name, scheme, &host, &port, error))
		return NULL;

	self = g_object_new(FK_TYPE_TRANSPORT_TCP, NULL);
	fk_transport_set_name(FK_TRANSPORT(self), name);
	fk_transport_set_kind(FK_TRANSPORT(self), FK_TRANSPORT_KIND_TCP);
	fk_transport_set_has_modem_lines(FK_TRANSPORT(self), FALSE);
	if (strchr(host, ':') != NULL)
		self->address = g_strdup_printf("[%s]:%u", host, port);
	else
		self->address = g_strdup_printf("%s:%u", host, port);

	client = g_socket_client_new();
	g_socket_client_set_timeout(client, FK_TRANSPORT_TCP_CONNECT_TIMEOUT_S);
	connectable = g_network_address_new(host, port);
	self->connection = g_socket_client_connect(client, connectable, NULL, &local_error);
	if (self->connection == NULL) {
		fk_transport_tcp_set_connect_error(self->address, local_error, error);
		return NULL;
	}
	self->socket = g_socket_connection_get_socket(self->connection);
	/* reads and writes keep their own deadlines */
	g_socket_set_timeout(self->socket, 0);

	/* command frames are small and latency-bound: no Nagle delay */
	if (!g_socket_set_option(self->socket, IPPROTO_TCP, TCP_NODELAY, 1, &local_error)) {
		g_debug("cannot disable Nagle's algorithm on %s: %s",
			self->address,
			local_error->message);
		g_clear_error(&local_error);
	}
	g_debug("connected to %s", self->address);
	return FK_TRANSPORT(g_steal_pointer(&self));
}
