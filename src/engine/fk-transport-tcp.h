/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "fk-port.h"

G_BEGIN_DECLS

/* socket://HOST:PORT raw TCP (ser2net, ESP-Link, flashkeep-sim) */
FkTransport *
fk_transport_tcp_open(const gchar *name, GError **error);

G_END_DECLS
