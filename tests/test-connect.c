/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Connecting survives one link fault anywhere in it: a reply held back past its timeout at any
 * of the commands a connection sends (identification, stub upload, baud change, flash attach)
 * is followed by a fresh attempt, and the chip comes out connected and identified. */
#include "config.h"

#include <string.h>

#include "fk-device.h"
#include "fk-error.h"
#include "fk-sim-device.h"
#include "fk-sim-transport.h"
#include "fk-test-util.h"

typedef struct {
	guint commands;
	guint delayed;
} Trace;

static void
trace_cb(const gchar *line, gpointer user_data)
{
	Trace *tr = user_data;
	if (line[0] == '>' && line[1] == ' ')
		tr->commands++;
	if (strstr(line, "! fault: response delayed") != NULL)
		tr->delayed++;
}

/* connects to a fresh chip, with a reply delayed at command @delay_at (0: none) */
static guint
connect_once(const gchar *chip, guint delay_at, gboolean *ok, guint *delayed, GError **error)
{
	g_autoptr(FkSimDevice) sim = fk_test_sim_new(chip, 1024 * 1024, 0x20000);
	g_autoptr(FkTransport) transport = fk_sim_transport_new(sim);
	g_autoptr(FkDevice) device = fk_device_new(transport);
	Trace tr = {0};

	fk_device_set_baud(device, 460800);
	fk_sim_device_set_trace_func(sim, trace_cb, &tr);
	if (delay_at > 0)
		fk_sim_device_add_fault(sim, FK_SIM_FAULT_DELAY, delay_at, 4000);
	*ok = fk_device_connect(device, NULL, error);
	fk_sim_device_set_trace_func(sim, NULL, NULL);
	*delayed = tr.delayed;
	if (*ok) {
		g_assert_true(fk_device_is_stub_running(device));
		g_assert_cmpuint(fk_device_get_current_baud(device), ==, 460800);
		g_assert_cmpuint(fk_device_get_flash_size(device), ==, 1024 * 1024);
	}
	return tr.commands;
}

static void
test_connect_fault(gconstpointer data)
{
	const gchar *chip = data;
	g_autoptr(GError) error = NULL;
	gboolean ok = FALSE;
	guint delayed = 0;
	guint n;
	guint positions[3];

	if (!fk_test_stubs_available()) {
		g_test_skip("Espressif's stubs are not installed (tests/node: npm ci)");
		return;
	}
	n = connect_once(chip, 0, &ok, &delayed, &error);
	g_assert_no_error(error);
	g_assert_true(ok);
	g_test_message("%s: a clean connection sends %u commands", chip, n);
	/* the middle (stub upload), the baud change and flash attach near the end, the last one */
	positions[0] = n / 2;
	positions[1] = n - 2;
	positions[2] = n;
	for (guint i = 0; i < G_N_ELEMENTS(positions); i++) {
		g_autoptr(GError) error_fault = NULL;
		connect_once(chip, positions[i], &ok, &delayed, &error_fault);
		g_test_message("%s: reply %u of %u delayed: %s", chip, positions[i], n,
			       ok ? "connected" : error_fault->message);
		g_assert_cmpuint(delayed, ==, 1);
		g_assert_no_error(error_fault);
		g_assert_true(ok);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_data_func("/connect/fault/esp8266", "esp8266", test_connect_fault);
	g_test_add_data_func("/connect/fault/esp32", "esp32", test_connect_fault);
	return g_test_run();
}
