/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "fk-error.h"
#include "fk-port.h"
#include "fk-transport.h"

typedef struct {
	gchar *name;
	FkTransportKind kind;
	guint baud;
	guint16 usb_vid;
	guint16 usb_pid;
	gboolean has_modem_lines;
	gboolean closed;
	FkTraceFunc trace_func;
	gpointer trace_data;
} FkTransportPrivate;

G_DEFINE_TYPE_WITH_PRIVATE(FkTransport, fk_transport, G_TYPE_OBJECT)
#define GET_PRIVATE(o) ((FkTransportPrivate *)fk_transport_get_instance_private(o))

typedef struct {
	gchar *prefix;
	FkTransportOpenFunc func;
} FkTransportScheme;

static GMutex schemes_mutex;
static GPtrArray *schemes = NULL;

static void
fk_transport_scheme_free(FkTransportScheme *scheme)
{
	g_free(scheme->prefix);
	g_free(scheme);
}

void
fk_transport_register_scheme(const gchar *prefix, FkTransportOpenFunc func)
{
	FkTransportScheme *scheme;
	g_mutex_lock(&schemes_mutex);
	if (schemes == NULL)
		schemes = g_ptr_array_new_with_free_func((GDestroyNotify)fk_transport_scheme_free);
	for (guint i = 0; i < schemes->len; i++) {
		scheme = g_ptr_array_index(schemes, i);
		if (g_strcmp0(scheme->prefix, prefix) == 0) {
			scheme->func = func;
			g_mutex_unlock(&schemes_mutex);
			return;
		}
	}
	scheme = g_new0(FkTransportScheme, 1);
	scheme->prefix = g_strdup(prefix);
	scheme->func = func;
	g_ptr_array_add(schemes, scheme);
	g_mutex_unlock(&schemes_mutex);
}

static FkTransportOpenFunc
fk_transport_find_scheme(const gchar *name)
{
	FkTransportOpenFunc func = NULL;
	g_mutex_lock(&schemes_mutex);
	for (guint i = 0; schemes != NULL && i < schemes->len; i++) {
		FkTransportScheme *scheme = g_ptr_array_index(schemes, i);
		if (g_str_has_prefix(name, scheme->prefix)) {
			func = scheme->func;
			break;
		}
	}
	g_mutex_unlock(&schemes_mutex);
	return func;
}

FkTransport *
fk_transport_open(const gchar *name, GError **error)
{
	FkTransportOpenFunc func;

	if (name == NULL || name[0] == '\0') {
		g_set_error_literal(error,
				    FK_ERROR,
				    FK_ERROR_INVALID_ARGUMENT,
				    "No serial port was given");
		return NULL;
	}
	func = fk_transport_find_scheme(name);
	if (func != NULL)
		return func(name, error);
	if (g_str_has_prefix(name, "socket://"))
		return fk_transport_tcp_open(name, error);
	if (g_str_has_prefix(name, "sim:")) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_PORT_NOT_FOUND,
			    "Simulated devices are not available in this program (%s)",
			    name);
		return NULL;
	}
	return fk_transport_serial_open(name, error);
}

static void
fk_transport_trace(FkTransport *self, gchar dir, const guint8 *data, gsize len)
{
	FkTransportPrivate *priv = GET_PRIVATE(self);
	if (priv->trace_func != NULL && len > 0)
		priv->trace_func(dir, data, len, priv->trace_data);
}

static gboolean
fk_transport_check_open(FkTransport *self, GError **error)
{
	FkTransportPrivate *priv = GET_PRIVATE(self);
	if (priv->closed) {
		g_set_error(error, FK_ERROR, FK_ERROR_WRONG_STATE, "%s is closed", priv->name);
		return FALSE;
	}
	return TRUE;
}

gboolean
fk_transport_write(FkTransport *self,
		   const guint8 *data,
		   gsize len,
		   GCancellable *cancellable,
		   GError **error)
{
	FkTransportClass *klass = FK_TRANSPORT_GET_CLASS(self);
	g_return_val_if_fail(FK_IS_TRANSPORT(self), FALSE);
	if (!fk_transport_check_open(self, error))
		return FALSE;
	if (g_cancellable_set_error_if_cancelled(cancellable, error))
		return FALSE;
	fk_transport_trace(self, '>', data, len);
	return klass->write(self, data, len, cancellable, error);
}

gssize
fk_transport_read(FkTransport *self,
		  guint8 *buf,
		  gsize len,
		  guint timeout_ms,
		  GCancellable *cancellable,
		  GError **error)
{
	FkTransportClass *klass = FK_TRANSPORT_GET_CLASS(self);
	gssize rc;
	g_return_val_if_fail(FK_IS_TRANSPORT(self), -1);
	if (!fk_transport_check_open(self, error))
		return -1;
	if (g_cancellable_set_error_if_cancelled(cancellable, error))
		return -1;
	rc = klass->read(self, buf, len, timeout_ms, cancellable, error);
	if (rc > 0)
		fk_transport_trace(self, '<', buf, (gsize)rc);
	return rc;
}

gboolean
fk_transport_set_lines(FkTransport *self, gboolean dtr, gboolean rts, GError **error)
{
	FkTransportClass *klass = FK_TRANSPORT_GET_CLASS(self);
	if (!fk_transport_check_open(self, error))
		return FALSE;
	if (klass->set_lines == NULL)
		return TRUE;
	return klass->set_lines(self, dtr, rts, error);
}

gboolean
fk_transport_set_baud(FkTransport *self, guint baud, GError **error)
{
	FkTransportClass *klass = FK_TRANSPORT_GET_CLASS(self);
	FkTransportPrivate *priv = GET_PRIVATE(self);
	if (!fk_transport_check_open(self, error))
		return FALSE;
	if (klass->set_baud != NULL && !klass->set_baud(self, baud, error))
		return FALSE;
	priv->baud = baud;
	return TRUE;
}

gboolean
fk_transport_flush_input(FkTransport *self, GError **error)
{
	FkTransportClass *klass = FK_TRANSPORT_GET_CLASS(self);
	if (!fk_transport_check_open(self, error))
		return FALSE;
	if (klass->flush_input == NULL)
		return TRUE;
	return klass->flush_input(self, error);
}

void
fk_transport_close(FkTransport *self)
{
	FkTransportClass *klass = FK_TRANSPORT_GET_CLASS(self);
	FkTransportPrivate *priv = GET_PRIVATE(self);
	if (priv->closed)
		return;
	priv->closed = TRUE;
	if (klass->close != NULL)
		klass->close(self);
}

const gchar *
fk_transport_get_name(FkTransport *self)
{
	return GET_PRIVATE(self)->name;
}

FkTransportKind
fk_transport_get_kind(FkTransport *self)
{
	return GET_PRIVATE(self)->kind;
}

guint
fk_transport_get_baud(FkTransport *self)
{
	return GET_PRIVATE(self)->baud;
}

guint16
fk_transport_get_usb_vid(FkTransport *self)
{
	return GET_PRIVATE(self)->usb_vid;
}

guint16
fk_transport_get_usb_pid(FkTransport *self)
{
	return GET_PRIVATE(self)->usb_pid;
}

gboolean
fk_transport_has_modem_lines(FkTransport *self)
{
	return GET_PRIVATE(self)->has_modem_lines;
}

void
fk_transport_set_name(FkTransport *self, const gchar *name)
{
	FkTransportPrivate *priv = GET_PRIVATE(self);
	g_free(priv->name);
	priv->name = g_strdup(name);
}

void
fk_transport_set_kind(FkTransport *self, FkTransportKind kind)
{
	GET_PRIVATE(self)->kind = kind;
}

void
fk_transport_set_usb_ids(FkTransport *self, guint16 vid, guint16 pid)
{
	FkTransportPrivate *priv = GET_PRIVATE(self);
	priv->usb_vid = vid;
	priv->usb_pid = pid;
}

void
fk_transport_set_has_modem_lines(FkTransport *self, gboolean has_lines)
{
	GET_PRIVATE(self)->has_modem_lines = has_lines;
}

void
fk_transport_set_trace_func(FkTransport *self, FkTraceFunc func, gpointer user_data)
{
	FkTransportPrivate *priv = GET_PRIVATE(self);
	priv->trace_func = func;
	priv->trace_data = user_data;
}

static void
fk_transport_dispose(GObject *object)
{
	/* subclasses release their handles in close(), while their state is still alive */
	fk_transport_close(FK_TRANSPORT(object));
	G_OBJECT_CLASS(fk_transport_parent_class)->dispose(object);
}

static void
fk_transport_finalize(GObject *object)
{
	FkTransport *self = FK_TRANSPORT(object);
	FkTransportPrivate *priv = GET_PRIVATE(self);
	g_free(priv->name);
	G_OBJECT_CLASS(fk_transport_parent_class)->finalize(object);
}

static void
fk_transport_init(FkTransport *self)
{
	FkTransportPrivate *priv = GET_PRIVATE(self);
	priv->baud = 115200;
	priv->has_modem_lines = TRUE;
}

static void
fk_transport_class_init(FkTransportClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = fk_transport_dispose;
	object_class->finalize = fk_transport_finalize;
}
