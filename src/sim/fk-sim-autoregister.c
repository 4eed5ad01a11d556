/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns registering the "sim:" backend with the engine's port registry when a program links the
 * simulator whole (meson's fk_sim_autoregister_dep), so the program needs no simulator header;
 * calls fk-sim-transport */
#include "config.h"

#include "fk-sim-transport.h"

__attribute__((constructor)) static void
fk_sim_autoregister(void)
{
	fk_sim_register();
}
