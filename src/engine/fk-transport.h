/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FK_TYPE_TRANSPORT (fk_transport_get_type())
G_DECLARE_DERIVABLE_TYPE(FkTransport, fk_transport, FK, TRANSPORT, GObject)

typedef enum {
	FK_TRANSPORT_KIND_SERIAL,
	FK_TRANSPORT_KIND_TCP,	   /* raw TCP: no modem lines, no baud rate */
	FK_TRANSPORT_KIND_RFC2217, /* a remote serial port: lines and baud rate over telnet */
	FK_TRANSPORT_KIND_SIM,
} FkTransportKind;

struct _FkTransportClass {
	GObjectClass parent_class;
	/* writes everything or fails */
	gboolean (*write)(FkTransport *self,
			  const guint8 *data,
			  gsize len,
			  GCancellable *cancellable,
			  GError **error);
	/* waits up to @timeout_ms for at least one byte; returns the count, 0 on timeout, -1 on error
	 * (a device that went away is FK_ERROR_PORT_GONE) */
	gssize (*read)(FkTransport *self,
		       guint8 *buf,
		       gsize len,
		       guint timeout_ms,
		       GCancellable *cancellable,
		       GError **error);
	/* sets both modem lines, atomically where the backend can; TRUE = asserted (pin low) */
	gboolean (*set_lines)(FkTransport *self, gboolean dtr, gboolean rts, GError **error);
	gboolean (*set_baud)(FkTransport *self, guint baud, GError **error);
	gboolean (*flush_input)(FkTransport *self, GError **error);
	void (*close)(FkTransport *self);
	gpointer padding[8];
};

gboolean
fk_transport_write(FkTransport *self,
		   const guint8 *data,
		   gsize len,
		   GCancellable *cancellable,
		   GError **error) G_GNUC_WARN_UNUSED_RESULT;
gssize
fk_transport_read(FkTransport *self,
		  guint8 *buf,
		  gsize len,
		  guint timeout_ms,
		  GCancellable *cancellable,
		  GError **error);
gboolean
fk_transport_set_lines(FkTransport *self, gboolean dtr, gboolean rts, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;
gboolean
fk_transport_set_baud(FkTransport *self, guint baud, GError **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean
fk_transport_flush_input(FkTransport *self, GError **error) G_GNUC_WARN_UNUSED_RESULT;
void
fk_transport_close(FkTransport *self);

const gchar *
fk_transport_get_name(FkTransport *self);
FkTransportKind
fk_transport_get_kind(FkTransport *self);
guint
fk_transport_get_baud(FkTransport *self);
/* USB ids (0 when unknown), used to pick the USB-JTAG-Serial reset */
guint16
fk_transport_get_usb_vid(FkTransport *self);
guint16
fk_transport_get_usb_pid(FkTransport *self);
gboolean
fk_transport_has_modem_lines(FkTransport *self);
/* what the port says of itself: "CP2102 USB to UART Bridge Controller" and the USB adapter's
 * serial number; NULL when it does not say */
const gchar *
fk_transport_get_description(FkTransport *self);
const gchar *
fk_transport_get_usb_serial(FkTransport *self);

/* for subclasses */
void
fk_transport_set_name(FkTransport *self, const gchar *name);
void
fk_transport_set_kind(FkTransport *self, FkTransportKind kind);
void
fk_transport_set_usb_ids(FkTransport *self, guint16 vid, guint16 pid);
void
fk_transport_set_has_modem_lines(FkTransport *self, gboolean has_lines);
void
fk_transport_set_description(FkTransport *self, const gchar *description, const gchar *usb_serial);

/* wire trace: called with direction '>' (to the device) or '<' (from it) */
typedef void (*FkTraceFunc)(gchar dir, const guint8 *data, gsize len, gpointer user_data);
void
fk_transport_set_trace_func(FkTransport *self, FkTraceFunc func, gpointer user_data);

G_END_DECLS
