/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "fk-transport.h"

G_BEGIN_DECLS

/* a terminal libserialport refuses (a pseudo-terminal): plain termios, no DTR/RTS; @name is
 * what the person gave, @path the device node it resolved to */
FkTransport *
fk_transport_tty_open(const gchar *name, const gchar *path, GError **error);

G_END_DECLS
