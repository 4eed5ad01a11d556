/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "fk-port.h"

G_BEGIN_DECLS

/* the libserialport backend; errors say what to do (dialout group, another program, brltty) */
FkTransport *
fk_transport_serial_open(const gchar *name, GError **error);

/* local serial ports (libserialport), sorted by name; USB ports first */
GPtrArray *
fk_port_list_serial(GError **error);

G_END_DECLS
