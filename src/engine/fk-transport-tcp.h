/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "fk-port.h"

G_BEGIN_DECLS

/* socket://HOST:PORT raw TCP (ser2net, ESP-Link, flashkeep-sim) */
FkTransport *
fk_transport_tcp_open(const gchar *name, GError **error);
/* the same link for a protocol carried over TCP, spelled @scheme HOST:PORT (“rfc2217://”) */
FkTransport *
fk_transport_tcp_open_as(const gchar *name, const gchar *scheme, GError **error);

G_END_DECLS
