/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the simulated boards offered in port lists (fk_sim_port_list); calls fk-port */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "fk-sim-transport.h"

/* paced at the serial line rate with a USB adapter's latency, so they feel like real boards */
static const struct {
	const gchar *port;
	const gchar *label;
} fk_sim_boards[] = {
    {"sim:esp8266@1MB,paced,latency=2", N_("Simulated ESP8266, 1 MB")},
    /* a board of its own beside the 1 MB one (its own MAC), as the Backups page groups by MAC */
    {"sim:esp8266@4MB,seed=2,paced,latency=2", N_("Simulated ESP8266, 4 MB")},
    {"sim:esp8285@1MB,paced,latency=2", N_("Simulated ESP8285, 1 MB")},
    {"sim:esp32@4MB,paced,latency=2", N_("Simulated ESP32, 4 MB")},
    {"sim:esp32s3@8MB,paced,latency=2", N_("Simulated ESP32-S3, 8 MB")},
    {"sim:esp32c3@4MB,paced,latency=2", N_("Simulated ESP32-C3, 4 MB")},
    /* a board to be reset by hand: a simulated person holds BOOT and taps EN once the window
     * has been trying for a while (longer than the automatic reset's attempts); a board of its
     * own beside the other ESP32 (its own MAC and flash), so both can be used at once */
    {"sim:esp32@4MB,noreset,hands=15,seed=1,paced,latency=2", N_("Simulated ESP32 without auto-reset, 4 MB")},
};

GPtrArray *
fk_sim_port_list(GError **error)
{
	GPtrArray *ports = g_ptr_array_new_with_free_func((GDestroyNotify)fk_port_info_free);
	for (guint i = 0; i < G_N_ELEMENTS(fk_sim_boards); i++)
		g_ptr_array_add(ports,
				fk_port_info_new(fk_sim_boards[i].port,
						 _(fk_sim_boards[i].label),
						 FK_PORT_KIND_SIMULATED));
	return ports;
}
