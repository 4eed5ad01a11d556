/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "fk-transport.h"

G_BEGIN_DECLS

typedef struct {
	gchar *name;	     /* what fk_transport_open() takes, e.g. /dev/ttyUSB0 */
	gchar *description;  /* human name: "CP2102 USB to UART Bridge Controller (Silicon Labs)" */
	gchar *manufacturer; /* may be NULL */
	gchar *product;	     /* may be NULL */
	gchar *serial;	     /* may be NULL */
	guint16 usb_vid;     /* 0 when not USB */
	guint16 usb_pid;
	gboolean is_usb;
} FkPortInfo;

void
fk_port_info_free(FkPortInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FkPortInfo, fk_port_info_free)

/* local serial ports (libserialport), sorted by name; USB ports first */
GPtrArray *
fk_port_list_serial(GError **error);

/* the libserialport backend; errors say what to do (dialout group, another program, brltty) */
FkTransport *
fk_transport_serial_open(const gchar *name, GError **error);

/* socket://HOST:PORT raw TCP (ser2net, ESP-Link, flashkeep-sim) */
FkTransport *
fk_transport_tcp_open(const gchar *name, GError **error);

G_END_DECLS
