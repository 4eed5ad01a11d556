/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the abstract byte link FkTransport (deadline reads, writes, modem lines, baud, wire
 * trace); calls nothing else: backends subclass it and register in fk-port */
#include "config.h"

#include "fk-error.h"
#include "fk-transport.h"

typedef struct {
	gchar *name;
	FkTransportKind kind;
	guint baud;
	guint16 usb_vid;
	guint16 usb_pid;
	gchar *description; /* what the port says of itself, NULL if nothing */
	gchar *usb_serial;
	gboolean has_modem_lines;
	gboolean closed;
	FkTraceFunc trace_func;
	gpointer trace_data;
} FkTransportPrivate;

G_DEFINE_TYPE_WITH_PRIVATE(FkTransport, fk_transport, G_TYPE_OBJECT)
#define GET_PRIVATE(o) ((FkTransportPrivate *)fk_transport_get_instance_private(o))

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

const gchar *
fk_transport_get_description(FkTransport *self)
{
	return GET_PRIVATE(self)->description;
}

const gchar *
fk_transport_get_usb_serial(FkTransport *self)
{
	return GET_PRIVATE(self)->usb_serial;
}

void
fk_transport_set_description(FkTransport *self, const gchar *description, const gchar *usb_serial)
{
	FkTransportPrivate *priv = GET_PRIVATE(self);
	g_free(priv->description);
	g_free(priv->usb_serial);
	priv->description = g_strdup(description);
	priv->usb_serial = g_strdup(usb_serial);
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
	g_free(priv->description);
	g_free(priv->usb_serial);
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
