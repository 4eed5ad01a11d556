/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the libserialport backend (open, lines, baud, reads with deadlines) and the serial
 * port list; calls the transport base class, fk-port and, for terminals it refuses,
 * fk-transport-tty */
#include "config.h"

#include <errno.h>
#include <libserialport.h>
#include <linux/serial.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "fk-error.h"
#include "fk-transport-serial.h"
#include "fk-transport-tty.h"

/* the longest a single wait lasts, so cancellation and a vanished device are noticed promptly
 * even when the cancellable has no file descriptor */
#define FK_TRANSPORT_SERIAL_SLICE_MS 100

/* slack on top of the time the bytes need on the wire: USB latency, a busy adapter */
#define FK_TRANSPORT_SERIAL_WRITE_SLACK_MS 2000

#define FK_TYPE_TRANSPORT_SERIAL (fk_transport_serial_get_type())
G_DECLARE_FINAL_TYPE(FkTransportSerial, fk_transport_serial, FK, TRANSPORT_SERIAL, FkTransport)

struct _FkTransportSerial {
	FkTransport parent_instance;
	struct sp_port *port;
	gint fd; /* the OS handle of the open port, -1 when closed */
	gboolean is_open;
	gboolean low_latency_set; /* by us at open: cleared again at close */
};

G_DEFINE_FINAL_TYPE(FkTransportSerial, fk_transport_serial, FK_TYPE_TRANSPORT)

typedef struct sp_port FkSpPort;
typedef struct sp_port_config FkSpPortConfig;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FkSpPort, sp_free_port)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FkSpPortConfig, sp_free_config)

/* what was being done when libserialport or the OS failed; picks the wording of the error */
typedef enum {
	FK_SERIAL_OP_OPEN,
	FK_SERIAL_OP_CONFIGURE,
	FK_SERIAL_OP_READ,
	FK_SERIAL_OP_WRITE,
	FK_SERIAL_OP_LINES,
	FK_SERIAL_OP_FLUSH,
	FK_SERIAL_OP_LIST,
} FkSerialOp;

static const gchar *
fk_serial_op_to_string(FkSerialOp op)
{
	switch (op) {
	case FK_SERIAL_OP_OPEN:
		return "open";
	case FK_SERIAL_OP_CONFIGURE:
		return "configure";
	case FK_SERIAL_OP_READ:
		return "read from";
	case FK_SERIAL_OP_WRITE:
		return "write to";
	case FK_SERIAL_OP_LINES:
		return "set the DTR and RTS lines of";
	case FK_SERIAL_OP_FLUSH:
		return "discard the input of";
	case FK_SERIAL_OP_LIST:
		return "list";
	default:
		return "use";
	}
}

/*
 * The one place where libserialport's result, errno and libserialport's error text become an
 * FK_ERROR. Call it straight after the failing call, while errno is still that call's.
 *
 * SP_ERR_ARG from the port lookup carries no errno and a stale message, so for opening the
 * port name itself is examined to tell "missing" from "not a serial port".
 */
static void
fk_transport_serial_set_error(GError **error, const gchar *name, FkSerialOp op, enum sp_return ret)
{
	gint errsv = 0;
	const gchar *detail = NULL;
	char *sp_msg = NULL;
	struct stat st;

	if (ret == SP_ERR_FAIL) {
		errsv = sp_last_error_code();
		sp_msg = sp_last_error_message();
		detail = sp_msg != NULL ? sp_msg : g_strerror(errsv);
	}
	if (name == NULL)
		name = "(none)";
	if (ret == SP_ERR_ARG && op == FK_SERIAL_OP_OPEN) {
		if (stat(name, &st) != 0)
			errsv = errno;
		else
			errsv = ENOTTY;
	}

	if (op == FK_SERIAL_OP_LIST) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_FAILED,
			    "Could not list the serial ports: %s",
			    detail != NULL ? detail : "the system did not say why");
	} else if (ret == SP_ERR_MEM) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_FAILED,
			    "Out of memory while trying to %s serial port %s",
			    fk_serial_op_to_string(op),
			    name);
	} else if (ret == SP_ERR_SUPP) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_UNSUPPORTED,
			    "Serial port %s cannot do this: its driver does not support the "
			    "request to %s it",
			    name,
			    fk_serial_op_to_string(op));
	} else if (op == FK_SERIAL_OP_OPEN && (errsv == ENOENT || errsv == ENXIO || errsv == ENODEV)) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_PORT_NOT_FOUND,
			    "Serial port %s does not exist: check the cable; if a CH340/CP210x "
			    "adapter appears and vanishes at once, the brltty package is known to "
			    "grab them — remove it",
			    name);
	} else if (errsv == EACCES || errsv == EPERM) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_PORT_PERMISSION,
			    "You are not allowed to use serial port %s: add your user to the dialout "
			    "group (sudo usermod -aG dialout $USER), then log out and back in",
			    name);
	} else if (errsv == EBUSY || errsv == EWOULDBLOCK) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_PORT_BUSY,
			    "Serial port %s is in use by another program, e.g. a serial monitor, "
			    "another flasher or ModemManager: close it and try again",
			    name);
	} else if (errsv == EIO || errsv == ENXIO || errsv == ENODEV || errsv == ENOENT ||
		   errsv == EPIPE || errsv == ESHUTDOWN) {
		/* the open port stopped working: unplugged, or the board left USB */
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_PORT_GONE,
			    "Serial port %s went away: the cable was unplugged or the board dropped "
			    "off USB; reconnect it and try again",
			    name);
	} else if ((errsv == ENOTTY || errsv == EINVAL) && op == FK_SERIAL_OP_LINES) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_UNSUPPORTED,
			    "Serial port %s cannot drive the DTR and RTS lines, so the board cannot "
			    "be reset automatically: hold BOOT while pressing RESET and connect "
			    "without a reset",
			    name);
	} else if (errsv == ENOTTY || (errsv == EINVAL && op == FK_SERIAL_OP_OPEN) ||
		   errsv == ENOTDIR || errsv == EISDIR) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_INVALID_ARGUMENT,
			    "%s is not a serial port: choose the port of your board's USB-serial "
			    "adapter, e.g. /dev/ttyUSB0 or /dev/ttyACM0",
			    name);
	} else if (ret == SP_ERR_ARG || (errsv == EINVAL && op == FK_SERIAL_OP_CONFIGURE)) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_UNSUPPORTED,
			    "Serial port %s rejected the requested settings: its adapter may not "
			    "support this baud rate; try a standard one such as 115200",
			    name);
	} else {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_FAILED,
			    "Could not %s serial port %s: %s",
			    fk_serial_op_to_string(op),
			    name,
			    detail != NULL ? detail : "unknown error");
	}
	if (sp_msg != NULL)
		sp_free_error_message(sp_msg);
}

/* "/dev/serial/by-id/…" links and bare names such as "ttyUSB0" become the device node that
 * libserialport can look up in sysfs */
static gchar *
fk_transport_serial_resolve_name(const gchar *name)
{
	g_autofree gchar *path = NULL;
	char *real;

	if (!g_path_is_absolute(name)) {
		g_autofree gchar *in_dev = g_build_filename("/dev", name, NULL);
		if (g_file_test(in_dev, G_FILE_TEST_EXISTS))
			path = g_steal_pointer(&in_dev);
	}
	if (path == NULL)
		path = g_strdup(name);
	real = realpath(path, NULL);
	if (real != NULL) {
		gchar *tmp = g_strdup(real);
		free(real);
		return tmp;
	}
	return g_steal_pointer(&path);
}

static gboolean
fk_transport_serial_write(FkTransport *transport,
			  const guint8 *data,
			  gsize len,
			  GCancellable *cancellable,
			  GError **error)
{
	FkTransportSerial *self = FK_TRANSPORT_SERIAL(transport);
	guint baud = MAX(fk_transport_get_baud(transport), 300);
	gint64 budget_ms = (gint64)len * 10 * 1000 / baud + FK_TRANSPORT_SERIAL_WRITE_SLACK_MS;
	gint64 deadline = g_get_monotonic_time() + budget_ms * 1000;
	gsize done = 0;

	while (done < len) {
		gint64 remaining_ms = (deadline - g_get_monotonic_time()) / 1000;
		enum sp_return ret;

		if (g_cancellable_set_error_if_cancelled(cancellable, error))
			return FALSE;
		if (remaining_ms <= 0) {
			g_set_error(error,
				    FK_ERROR,
				    FK_ERROR_TIMEOUT,
				    "Serial port %s stopped accepting data (%" G_GSIZE_FORMAT
				    " of %" G_GSIZE_FORMAT " bytes sent): the adapter may be "
				    "waiting for a flow-control signal or be stuck; reconnect it",
				    fk_transport_get_name(transport),
				    done,
				    len);
			return FALSE;
		}
		/* timeout 0 would mean "wait forever" */
		ret = sp_blocking_write(self->port,
					data + done,
					len - done,
					(guint)MIN(remaining_ms, FK_TRANSPORT_SERIAL_SLICE_MS));
		if (ret < 0) {
			fk_transport_serial_set_error(error,
						      fk_transport_get_name(transport),
						      FK_SERIAL_OP_WRITE,
						      ret);
			return FALSE;
		}
		done += (gsize)ret;
	}
	return TRUE;
}

/* the port answered "readable" but gave nothing, or nothing arrived for a while: ask the
 * driver how much is waiting, which fails once the device is gone */
static gboolean
fk_transport_serial_check_present(FkTransportSerial *self, gboolean hung_up, GError **error)
{
	const gchar *name = fk_transport_get_name(FK_TRANSPORT(self));
	enum sp_return ret = sp_input_waiting(self->port);

	if (ret < 0) {
		fk_transport_serial_set_error(error, name, FK_SERIAL_OP_READ, ret);
		return FALSE;
	}
	if (hung_up) {
		/* the kernel hung the line up (pty peer closed, USB disconnect) */
		errno = ENXIO;
		fk_transport_serial_set_error(error, name, FK_SERIAL_OP_READ, SP_ERR_FAIL);
		return FALSE;
	}
	return TRUE;
}

static gssize
fk_transport_serial_read(FkTransport *transport,
			 guint8 *buf,
			 gsize len,
			 guint timeout_ms,
			 GCancellable *cancellable,
			 GError **error)
{
	FkTransportSerial *self = FK_TRANSPORT_SERIAL(transport);
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	GPollFD pfds[2] = {{0}};
	guint npfds = 1;
	gssize result = -1;
	gboolean done = FALSE;

	if (len == 0)
		return 0;

	/* wait on the port and on the cancellable together, so a cancel ends the wait at once */
	pfds[0].fd = self->fd;
	pfds[0].events = G_IO_IN;
	if (cancellable != NULL && g_cancellable_make_pollfd(cancellable, &pfds[1]))
		npfds = 2;

	while (!done) {
		gint64 remaining_ms = (deadline - g_get_monotonic_time() + 999) / 1000;
		gint slice_ms = (gint)CLAMP(remaining_ms, 0, FK_TRANSPORT_SERIAL_SLICE_MS);
		gint rc;

		if (g_cancellable_set_error_if_cancelled(cancellable, error))
			break;
		pfds[0].revents = 0;
		if (npfds > 1)
			pfds[1].revents = 0;
		rc = g_poll(pfds, npfds, slice_ms);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			fk_transport_serial_set_error(error,
						      fk_transport_get_name(transport),
						      FK_SERIAL_OP_READ,
						      SP_ERR_FAIL);
			break;
		}
		if (pfds[0].revents != 0) {
			gboolean hung_up = (pfds[0].revents & (G_IO_HUP | G_IO_ERR | G_IO_NVAL)) != 0;
			enum sp_return ret = sp_nonblocking_read(self->port, buf, len);
			if (ret < 0) {
				fk_transport_serial_set_error(error,
							      fk_transport_get_name(transport),
							      FK_SERIAL_OP_READ,
							      ret);
				break;
			}
			if (ret > 0) {
				result = ret;
				break;
			}
			/* readable yet empty: end of file on a tty means it was hung up */
			if (!fk_transport_serial_check_present(self, hung_up, error))
				break;
			if (!hung_up)
				g_usleep(1000);
			continue;
		}
		if (npfds > 1 && pfds[1].revents != 0)
			continue; /* reported as cancelled at the top of the loop */
		if (g_get_monotonic_time() >= deadline) {
			/* a short read: make sure it was not the device leaving */
			if (fk_transport_serial_check_present(self, FALSE, error))
				result = 0;
			break;
		}
		if (rc == 0 && !fk_transport_serial_check_present(self, FALSE, error))
			break;
	}
	if (npfds > 1)
		g_cancellable_release_fd(cancellable);
	return result;
}

static gboolean
fk_transport_serial_set_lines(FkTransport *transport, gboolean dtr, gboolean rts, GError **error)
{
	FkTransportSerial *self = FK_TRANSPORT_SERIAL(transport);
	const gchar *name = fk_transport_get_name(transport);
	enum sp_return ret;
	int bits = 0;

	/* both lines in one TIOCMSET, so the board never sees an intermediate state */
	if (ioctl(self->fd, TIOCMGET, &bits) == 0) {
		if (dtr)
			bits |= TIOCM_DTR;
		else
			bits &= ~TIOCM_DTR;
		if (rts)
			bits |= TIOCM_RTS;
		else
			bits &= ~TIOCM_RTS;
		if (ioctl(self->fd, TIOCMSET, &bits) == 0)
			return TRUE;
	}
	if (errno != ENOTTY && errno != EINVAL) {
		fk_transport_serial_set_error(error, name, FK_SERIAL_OP_LINES, SP_ERR_FAIL);
		return FALSE;
	}

	/* the driver has no combined update: one line after the other */
	g_debug("%s: no atomic modem-line update, setting DTR and RTS separately", name);
	ret = sp_set_dtr(self->port, dtr ? SP_DTR_ON : SP_DTR_OFF);
	if (ret == SP_OK)
		ret = sp_set_rts(self->port, rts ? SP_RTS_ON : SP_RTS_OFF);
	if (ret != SP_OK) {
		fk_transport_serial_set_error(error, name, FK_SERIAL_OP_LINES, ret);
		return FALSE;
	}
	return TRUE;
}

static gboolean
fk_transport_serial_set_baud(FkTransport *transport, guint baud, GError **error)
{
	FkTransportSerial *self = FK_TRANSPORT_SERIAL(transport);
	enum sp_return ret;

	if (baud == 0 || baud > G_MAXINT) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_INVALID_ARGUMENT,
			    "%u is not a usable baud rate",
			    baud);
		return FALSE;
	}
	/* on Linux non-standard rates such as 74880 go through termios2 */
	ret = sp_set_baudrate(self->port, (int)baud);
	if (ret != SP_OK) {
		fk_transport_serial_set_error(error,
					      fk_transport_get_name(transport),
					      FK_SERIAL_OP_CONFIGURE,
					      ret);
		g_prefix_error(error, "Could not switch to %u baud: ", baud);
		return FALSE;
	}
	return TRUE;
}

static gboolean
fk_transport_serial_flush_input(FkTransport *transport, GError **error)
{
	FkTransportSerial *self = FK_TRANSPORT_SERIAL(transport);
	enum sp_return ret = sp_flush(self->port, SP_BUF_INPUT);
	if (ret != SP_OK) {
		fk_transport_serial_set_error(error,
					      fk_transport_get_name(transport),
					      FK_SERIAL_OP_FLUSH,
					      ret);
		return FALSE;
	}
	return TRUE;
}

/* USB adapters hold received bytes for a while before passing them on (an FTDI chip up to its
 * latency timer, 16 ms by default): the driver's low-latency mode sets that timer to 1 ms. Each
 * READ_FLASH packet waits for the host's acknowledgement of the one before, so this is the read's
 * speed. Ports whose driver has no such setting (ptys, CDC-ACM without it) are left as they are. */
static void
fk_transport_serial_set_low_latency(FkTransportSerial *self, gboolean on)
{
	struct serial_struct ss;
	const gchar *name = fk_transport_get_name(FK_TRANSPORT(self));

	memset(&ss, 0, sizeof(ss));
	if (ioctl(self->fd, TIOCGSERIAL, &ss) != 0) {
		g_debug("%s: no low-latency setting (%s)", name, g_strerror(errno));
		return;
	}
	if (((ss.flags & ASYNC_LOW_LATENCY) != 0) == on)
		return;
	if (on)
		ss.flags |= ASYNC_LOW_LATENCY;
	else
		ss.flags &= ~ASYNC_LOW_LATENCY;
	if (ioctl(self->fd, TIOCSSERIAL, &ss) != 0) {
		g_debug("%s: the low-latency mode cannot be %s (%s)", name, on ? "set" : "cleared", g_strerror(errno));
		return;
	}
	g_debug("%s: low-latency mode %s", name, on ? "on" : "off again");
	self->low_latency_set = on;
}

static void
fk_transport_serial_close(FkTransport *transport)
{
	FkTransportSerial *self = FK_TRANSPORT_SERIAL(transport);
	if (self->is_open) {
		enum sp_return ret;
		if (self->low_latency_set)
			fk_transport_serial_set_low_latency(self, FALSE);
		ret = sp_close(self->port);
		if (ret != SP_OK)
			g_debug("closing %s failed: %d", fk_transport_get_name(transport), ret);
		self->is_open = FALSE;
		self->fd = -1;
	}
}

static void
fk_transport_serial_finalize(GObject *object)
{
	FkTransportSerial *self = FK_TRANSPORT_SERIAL(object);
	if (self->port != NULL)
		sp_free_port(self->port);
	G_OBJECT_CLASS(fk_transport_serial_parent_class)->finalize(object);
}

static void
fk_transport_serial_init(FkTransportSerial *self)
{
	self->fd = -1;
}

static void
fk_transport_serial_class_init(FkTransportSerialClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	FkTransportClass *transport_class = FK_TRANSPORT_CLASS(klass);
	object_class->finalize = fk_transport_serial_finalize;
	transport_class->write = fk_transport_serial_write;
	transport_class->read = fk_transport_serial_read;
	transport_class->set_lines = fk_transport_serial_set_lines;
	transport_class->set_baud = fk_transport_serial_set_baud;
	transport_class->flush_input = fk_transport_serial_flush_input;
	transport_class->close = fk_transport_serial_close;
}

/* the port must stay as it is electrically: no HUPCL, so closing it does not drop DTR/RTS
 * (which would reset the board), and no line changes here at all */
static void
fk_transport_serial_disable_hupcl(FkTransportSerial *self)
{
	struct termios tio;
	if (tcgetattr(self->fd, &tio) != 0) {
		g_debug("cannot read the terminal settings of %s: %s",
			fk_transport_get_name(FK_TRANSPORT(self)),
			g_strerror(errno));
		return;
	}
	if ((tio.c_cflag & HUPCL) == 0)
		return;
	tio.c_cflag &= ~HUPCL;
	if (tcsetattr(self->fd, TCSANOW, &tio) != 0) {
		g_debug("cannot clear HUPCL on %s: %s",
			fk_transport_get_name(FK_TRANSPORT(self)),
			g_strerror(errno));
	}
}

static FkPortInfo *
fk_port_info_new_from_sp(struct sp_port *port);

/* libserialport knows only terminals with a sysfs entry and modem lines; a pseudo-terminal
 * (socat, ser2net and other bridges) has neither, and goes to the plain termios backend */
static gboolean
fk_transport_serial_is_char_device(const gchar *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISCHR(st.st_mode);
}

FkTransport *
fk_transport_serial_open(const gchar *name, GError **error)
{
	g_autoptr(FkTransportSerial) self = NULL;
	g_autoptr(FkSpPortConfig) config = NULL;
	g_autofree gchar *path = NULL;
	enum sp_return ret;
	int vid = 0;
	int pid = 0;

	g_return_val_if_fail(name != NULL, NULL);

	self = g_object_new(FK_TYPE_TRANSPORT_SERIAL, NULL);
	fk_transport_set_name(FK_TRANSPORT(self), name);
	fk_transport_set_kind(FK_TRANSPORT(self), FK_TRANSPORT_KIND_SERIAL);
	fk_transport_set_has_modem_lines(FK_TRANSPORT(self), TRUE);

	path = fk_transport_serial_resolve_name(name);
	ret = sp_get_port_by_name(path, &self->port);
	if (ret == SP_ERR_ARG && fk_transport_serial_is_char_device(path))
		return fk_transport_tty_open(name, path, error);
	if (ret != SP_OK) {
		fk_transport_serial_set_error(error, name, FK_SERIAL_OP_OPEN, ret);
		return NULL;
	}
	ret = sp_open(self->port, SP_MODE_READ_WRITE);
	if (ret == SP_ERR_FAIL && sp_last_error_code() == ENOTTY)
		return fk_transport_tty_open(name, path, error);
	if (ret != SP_OK) {
		fk_transport_serial_set_error(error, name, FK_SERIAL_OP_OPEN, ret);
		return NULL;
	}
	self->is_open = TRUE;
	ret = sp_get_port_handle(self->port, &self->fd);
	if (ret != SP_OK) {
		fk_transport_serial_set_error(error, name, FK_SERIAL_OP_OPEN, ret);
		return NULL;
	}

	/* one program at a time, as esptool and pyserial's exclusive mode do */
	if (flock(self->fd, LOCK_EX | LOCK_NB) != 0) {
		fk_transport_serial_set_error(error, name, FK_SERIAL_OP_OPEN, SP_ERR_FAIL);
		return NULL;
	}
	fk_transport_serial_disable_hupcl(self);
	fk_transport_serial_set_low_latency(self, TRUE);

	/* 8N1, no flow control; DTR and RTS are left untouched (-1 in a new config), and the
	 * speed is set next through the same path as later changes */
	ret = sp_new_config(&config);
	if (ret == SP_OK)
		ret = sp_set_config_bits(config, 8);
	if (ret == SP_OK)
		ret = sp_set_config_parity(config, SP_PARITY_NONE);
	if (ret == SP_OK)
		ret = sp_set_config_stopbits(config, 1);
	if (ret == SP_OK)
		ret = sp_set_config_flowcontrol(config, SP_FLOWCONTROL_NONE);
	if (ret == SP_OK)
		ret = sp_set_config(self->port, config);
	if (ret != SP_OK) {
		fk_transport_serial_set_error(error, name, FK_SERIAL_OP_CONFIGURE, ret);
		return NULL;
	}
	if (!fk_transport_set_baud(FK_TRANSPORT(self), 115200, error))
		return NULL;

	/* the engine picks the USB-Serial/JTAG reset from these */
	if (sp_get_port_transport(self->port) == SP_TRANSPORT_USB &&
	    sp_get_port_usb_vid_pid(self->port, &vid, &pid) == SP_OK && vid > 0 && pid > 0)
		fk_transport_set_usb_ids(FK_TRANSPORT(self), (guint16)vid, (guint16)pid);
	/* named as in the port list, for what a backup records of the board it came from */
	{
		g_autoptr(FkPortInfo) info = fk_port_info_new_from_sp(self->port);
		fk_transport_set_description(FK_TRANSPORT(self), info->description, info->serial);
	}

	g_debug("opened %s (%s) at 115200 baud, USB %04x:%04x",
		name,
		path,
		(guint)vid,
		(guint)pid);
	return FK_TRANSPORT(g_steal_pointer(&self));
}

/* ---- enumeration ---- */

static gchar *
fk_port_strdup_nonempty(const char *str)
{
	if (str == NULL || str[0] == '\0')
		return NULL;
	return g_strstrip(g_strdup(str));
}

static FkPortInfo *
fk_port_info_new_from_sp(struct sp_port *port)
{
	FkPortInfo *info = fk_port_info_new(sp_get_port_name(port), NULL, FK_PORT_KIND_SERIAL);
	const char *name = sp_get_port_name(port);
	g_autofree gchar *basename = g_path_get_basename(name);
	enum sp_transport transport = sp_get_port_transport(port);

	if (transport == SP_TRANSPORT_USB) {
		int vid = 0;
		int pid = 0;
		info->kind = FK_PORT_KIND_USB;
		if (sp_get_port_usb_vid_pid(port, &vid, &pid) == SP_OK && vid > 0 && pid > 0) {
			info->usb_vid = (guint16)vid;
			info->usb_pid = (guint16)pid;
		}
		info->manufacturer = fk_port_strdup_nonempty(sp_get_port_usb_manufacturer(port));
		info->product = fk_port_strdup_nonempty(sp_get_port_usb_product(port));
		info->serial = fk_port_strdup_nonempty(sp_get_port_usb_serial(port));
		if (info->product != NULL && info->manufacturer != NULL)
			info->description =
			    g_strdup_printf("%s (%s)", info->product, info->manufacturer);
		else if (info->product != NULL)
			info->description = g_strdup(info->product);
		else if (info->usb_vid != 0)
			info->description = g_strdup_printf("USB serial adapter %04x:%04x",
							    info->usb_vid,
							    info->usb_pid);
	} else if (transport == SP_TRANSPORT_BLUETOOTH) {
		info->description = g_strdup_printf("Bluetooth serial port %s", basename);
	}
	if (info->description == NULL)
		info->description = fk_port_strdup_nonempty(sp_get_port_description(port));
	if (info->description == NULL)
		info->description = g_strdup(basename);
	return info;
}

static gint
fk_port_info_compare(gconstpointer a, gconstpointer b)
{
	const FkPortInfo *info_a = *(const FkPortInfo *const *)a;
	const FkPortInfo *info_b = *(const FkPortInfo *const *)b;
	g_autofree gchar *key_a = NULL;
	g_autofree gchar *key_b = NULL;

	if (info_a->kind != info_b->kind)
		return info_a->kind == FK_PORT_KIND_USB ? -1 : 1;
	/* ttyUSB2 before ttyUSB10 */
	key_a = g_utf8_collate_key_for_filename(info_a->name, -1);
	key_b = g_utf8_collate_key_for_filename(info_b->name, -1);
	return strcmp(key_a, key_b);
}

GPtrArray *
fk_port_list_serial(GError **error)
{
	g_autoptr(GPtrArray) ports =
	    g_ptr_array_new_with_free_func((GDestroyNotify)fk_port_info_free);
	struct sp_port **list = NULL;
	enum sp_return ret = sp_list_ports(&list);

	if (ret != SP_OK) {
		fk_transport_serial_set_error(error, NULL, FK_SERIAL_OP_LIST, ret);
		return NULL;
	}
	for (guint i = 0; list[i] != NULL; i++)
		g_ptr_array_add(ports, fk_port_info_new_from_sp(list[i]));
	sp_free_port_list(list);
	g_ptr_array_sort(ports, fk_port_info_compare);
	return g_steal_pointer(&ports);
}
