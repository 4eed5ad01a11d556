/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the plain termios backend for terminals libserialport refuses (pseudo-terminals of socat
 * or ser2net bridges): raw 8N1, baud via cfsetspeed, no modem lines; calls the transport base
 * class */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <termios.h>
#include <unistd.h>

#include "fk-error.h"
#include "fk-transport-tty.h"

/* the longest single wait, so that a cancel is noticed even without a cancellable fd */
#define FK_TRANSPORT_TTY_SLICE_MS 100
#define FK_TRANSPORT_TTY_WRITE_TIMEOUT_MS 5000

#define FK_TYPE_TRANSPORT_TTY (fk_transport_tty_get_type())
G_DECLARE_FINAL_TYPE(FkTransportTty, fk_transport_tty, FK, TRANSPORT_TTY, FkTransport)

struct _FkTransportTty {
	FkTransport parent_instance;
	gint fd;
};

G_DEFINE_FINAL_TYPE(FkTransportTty, fk_transport_tty, FK_TYPE_TRANSPORT)

static void
fk_transport_tty_set_io_error(FkTransportTty *self, gint errsv, const gchar *action, GError **error)
{
	const gchar *name = fk_transport_get_name(FK_TRANSPORT(self));
	if (errsv == EIO || errsv == ENXIO || errsv == ENODEV || errsv == EPIPE) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_PORT_GONE,
			    "%s went away: the program behind it (socat, ser2net) stopped or the "
			    "board was unplugged; start it again and reconnect",
			    name);
		return;
	}
	g_set_error(error,
		    FK_ERROR,
		    FK_ERROR_FAILED,
		    "Could not %s %s: %s",
		    action,
		    name,
		    g_strerror(errsv));
}

/* waits for @events on the terminal and the cancellable; 1 ready, 0 timeout, -1 error */
static gint
fk_transport_tty_wait(FkTransportTty *self,
		      gushort events,
		      gint timeout_ms,
		      GCancellable *cancellable,
		      GError **error)
{
	GPollFD pfds[2] = {{0}};
	guint npfds = 1;
	gint rc;

	if (g_cancellable_set_error_if_cancelled(cancellable, error))
		return -1;
	pfds[0].fd = self->fd;
	pfds[0].events = events;
	if (cancellable != NULL && g_cancellable_make_pollfd(cancellable, &pfds[1]))
		npfds = 2;
	rc = g_poll(pfds, npfds, MIN(timeout_ms, FK_TRANSPORT_TTY_SLICE_MS));
	if (npfds > 1)
		g_cancellable_release_fd(cancellable);
	if (rc < 0 && errno != EINTR) {
		fk_transport_tty_set_io_error(self, errno, "wait for", error);
		return -1;
	}
	if (g_cancellable_set_error_if_cancelled(cancellable, error))
		return -1;
	return rc > 0 && pfds[0].revents != 0 ? 1 : 0;
}

static gboolean
fk_transport_tty_write(FkTransport *transport,
		       const guint8 *data,
		       gsize len,
		       GCancellable *cancellable,
		       GError **error)
{
	FkTransportTty *self = FK_TRANSPORT_TTY(transport);
	gint64 deadline = g_get_monotonic_time() + FK_TRANSPORT_TTY_WRITE_TIMEOUT_MS * 1000;
	gsize done = 0;

	while (done < len) {
		gint64 remaining_ms = (deadline - g_get_monotonic_time()) / 1000;
		gssize n;
		gint ready;

		if (remaining_ms <= 0) {
			g_set_error(error,
				    FK_ERROR,
				    FK_ERROR_TIMEOUT,
				    "%s stopped accepting data (%" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
				    " bytes sent): check the program behind it",
				    fk_transport_get_name(transport),
				    done,
				    len);
			return FALSE;
		}
		ready = fk_transport_tty_wait(self, G_IO_OUT, (gint)remaining_ms, cancellable, error);
		if (ready < 0)
			return FALSE;
		if (ready == 0)
			continue;
		n = write(self->fd, data + done, len - done);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			fk_transport_tty_set_io_error(self, errno, "write to", error);
			return FALSE;
		}
		done += (gsize)n;
	}
	return TRUE;
}

static gssize
fk_transport_tty_read(FkTransport *transport,
		      guint8 *buf,
		      gsize len,
		      guint timeout_ms,
		      GCancellable *cancellable,
		      GError **error)
{
	FkTransportTty *self = FK_TRANSPORT_TTY(transport);
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	if (len == 0)
		return 0;
	for (;;) {
		gint64 remaining_ms = (deadline - g_get_monotonic_time() + 999) / 1000;
		gint ready = fk_transport_tty_wait(self,
						   G_IO_IN,
						   (gint)CLAMP(remaining_ms, 0, G_MAXINT),
						   cancellable,
						   error);
		gssize n;

		if (ready < 0)
			return -1;
		if (ready == 0) {
			if (g_get_monotonic_time() >= deadline)
				return 0;
			continue;
		}
		n = read(self->fd, buf, len);
		if (n > 0)
			return n;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		/* end of file or EIO: the other side of the pseudo-terminal closed */
		fk_transport_tty_set_io_error(self, n == 0 ? EIO : errno, "read from", error);
		return -1;
	}
}

/* nothing to drive: the engine knows from has_modem_lines and resets by hand instead */
static gboolean
fk_transport_tty_set_lines(FkTransport *transport, gboolean dtr, gboolean rts, GError **error)
{
	return TRUE;
}

static gboolean
fk_transport_tty_speed(guint baud, speed_t *speed)
{
	static const struct {
		guint baud;
		speed_t speed;
	} speeds[] = {
	    {9600, B9600},     {19200, B19200},	  {38400, B38400},     {57600, B57600},
	    {115200, B115200}, {230400, B230400}, {460800, B460800},   {500000, B500000},
	    {576000, B576000}, {921600, B921600}, {1000000, B1000000}, {1152000, B1152000},
	    {1500000, B1500000}, {2000000, B2000000},
	};
	for (guint i = 0; i < G_N_ELEMENTS(speeds); i++) {
		if (speeds[i].baud == baud) {
			*speed = speeds[i].speed;
			return TRUE;
		}
	}
	return FALSE;
}

static gboolean
fk_transport_tty_set_baud(FkTransport *transport, guint baud, GError **error)
{
	FkTransportTty *self = FK_TRANSPORT_TTY(transport);
	struct termios tio;
	speed_t speed;

	if (!fk_transport_tty_speed(baud, &speed)) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_UNSUPPORTED,
			    "%s cannot be set to %u baud (only standard rates on this kind of port): "
			    "choose one such as 115200 or 921600",
			    fk_transport_get_name(transport),
			    baud);
		return FALSE;
	}
	if (tcgetattr(self->fd, &tio) != 0 || cfsetspeed(&tio, speed) != 0 ||
	    tcsetattr(self->fd, TCSANOW, &tio) != 0) {
		fk_transport_tty_set_io_error(self, errno, "set the baud rate of", error);
		return FALSE;
	}
	return TRUE;
}

static gboolean
fk_transport_tty_flush_input(FkTransport *transport, GError **error)
{
	FkTransportTty *self = FK_TRANSPORT_TTY(transport);
	if (tcflush(self->fd, TCIFLUSH) != 0) {
		fk_transport_tty_set_io_error(self, errno, "discard the input of", error);
		return FALSE;
	}
	return TRUE;
}

static void
fk_transport_tty_close(FkTransport *transport)
{
	FkTransportTty *self = FK_TRANSPORT_TTY(transport);
	if (self->fd >= 0) {
		close(self->fd);
		self->fd = -1;
	}
}

static void
fk_transport_tty_finalize(GObject *object)
{
	fk_transport_tty_close(FK_TRANSPORT(object));
	G_OBJECT_CLASS(fk_transport_tty_parent_class)->finalize(object);
}

static void
fk_transport_tty_init(FkTransportTty *self)
{
	self->fd = -1;
}

static void
fk_transport_tty_class_init(FkTransportTtyClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	FkTransportClass *transport_class = FK_TRANSPORT_CLASS(klass);
	object_class->finalize = fk_transport_tty_finalize;
	transport_class->write = fk_transport_tty_write;
	transport_class->read = fk_transport_tty_read;
	transport_class->set_lines = fk_transport_tty_set_lines;
	transport_class->set_baud = fk_transport_tty_set_baud;
	transport_class->flush_input = fk_transport_tty_flush_input;
	transport_class->close = fk_transport_tty_close;
}

FkTransport *
fk_transport_tty_open(const gchar *name, const gchar *path, GError **error)
{
	g_autoptr(FkTransportTty) self = g_object_new(FK_TYPE_TRANSPORT_TTY, NULL);
	struct termios tio;

	fk_transport_set_name(FK_TRANSPORT(self), name);
	fk_transport_set_kind(FK_TRANSPORT(self), FK_TRANSPORT_KIND_SERIAL);
	fk_transport_set_has_modem_lines(FK_TRANSPORT(self), FALSE);
	self->fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (self->fd < 0) {
		fk_transport_tty_set_io_error(self, errno, "open", error);
		return NULL;
	}
	if (!isatty(self->fd)) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_INVALID_ARGUMENT,
			    "%s is not a serial port: choose the port of your board's USB-serial "
			    "adapter, e.g. /dev/ttyUSB0 or /dev/ttyACM0",
			    name);
		return NULL;
	}
	/* one program at a time, as for any serial port */
	if (flock(self->fd, LOCK_EX | LOCK_NB) != 0) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_PORT_BUSY,
			    "%s is in use by another program: close it and try again",
			    name);
		return NULL;
	}
	if (tcgetattr(self->fd, &tio) != 0) {
		fk_transport_tty_set_io_error(self, errno, "configure", error);
		return NULL;
	}
	/* raw 8N1, no flow control, no hang-up on close */
	cfmakeraw(&tio);
	tio.c_cflag |= CLOCAL | CREAD;
	tio.c_cflag &= ~(CSTOPB | PARENB | CRTSCTS | HUPCL);
	tio.c_iflag &= ~(IXON | IXOFF | IXANY);
	tio.c_cc[VMIN] = 0;
	tio.c_cc[VTIME] = 0;
	if (tcsetattr(self->fd, TCSANOW, &tio) != 0) {
		fk_transport_tty_set_io_error(self, errno, "configure", error);
		return NULL;
	}
	if (!fk_transport_set_baud(FK_TRANSPORT(self), 115200, error))
		return NULL;
	g_debug("%s is a terminal without modem lines (%s): plain termios, the chip must be "
		"reset into download mode by hand",
		name,
		path);
	return FK_TRANSPORT(g_steal_pointer(&self));
}
