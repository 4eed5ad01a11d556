/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "fk-port.h"

G_BEGIN_DECLS

/* rfc2217://HOST:PORT, a remote serial port with its baud rate and DTR/RTS (ser2net in telnet
 * rfc2217 mode, pyserial's rfc2217_server, flashkeep-sim --rfc2217) */
FkTransport *
fk_transport_rfc2217_open(const gchar *name, GError **error);

G_END_DECLS
