/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "fk-sim-device.h"

G_BEGIN_DECLS

/* the access server's half of RFC 2217 in front of a simulated chip: what ser2net or pyserial's
 * rfc2217_server does with a real board's serial port */
typedef struct _FkSimRfc2217 FkSimRfc2217;

FkSimRfc2217 *
fk_sim_rfc2217_new(FkSimDevice *device);
void
fk_sim_rfc2217_free(FkSimRfc2217 *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FkSimRfc2217, fk_sim_rfc2217_free)

/* a new client: the port is 115200 8N1, DTR and RTS deasserted */
void
fk_sim_rfc2217_connect(FkSimRfc2217 *self, gint64 now_us);
/* bytes from the client at @now_us: data reaches the chip, commands act on the port (baud
 * rate, DTR/RTS into the board's reset circuit, purges), in the order they came; the answers
 * the client is owed are appended to @answers */
void
fk_sim_rfc2217_receive(FkSimRfc2217 *self,
		       const guint8 *data,
		       gsize len,
		       gint64 now_us,
		       GByteArray *answers);

G_END_DECLS
