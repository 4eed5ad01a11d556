/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "fk-sim-device.h"
#include "fk-port.h"

G_BEGIN_DECLS

#define FK_TYPE_SIM_TRANSPORT (fk_sim_transport_get_type())
G_DECLARE_FINAL_TYPE(FkSimTransport, fk_sim_transport, FK, SIM_TRANSPORT, FkTransport)

/* an in-process link to @device; reads sleep until the simulated bytes arrive */
FkTransport *
fk_sim_transport_new(FkSimDevice *device);
FkSimDevice *
fk_sim_transport_get_device(FkSimTransport *self);

/* registers the "sim:" port prefix with fk_transport_open(); "sim:esp8266@1MB" creates a fresh
 * simulated device in download-ready state (its auto-reset circuit answers DTR/RTS; with the
 * "noreset" option the board has none and its buttons must be pressed, see
 * fk_sim_device_press_button()) */
void
fk_sim_register(void);

/* the simulated boards a person is offered beside real ports (FkPortInfo, translated names) */
GPtrArray *
fk_sim_port_list(GError **error);

G_END_DECLS
