/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The time from the start of a connection to the first READ_FLASH command, per chip, with the
 * connection's steps broken down (FkConnectTimes); calls the engine and the simulator. */
#include "config.h"

#include <string.h>

#include "fk-bench.h"
#include "fk-sim-device.h"
#include "fk-sim-transport.h"

enum { STEP_SYNC, STEP_DETECT, STEP_ROM_BAUD, STEP_STUB, STEP_STUB_BAUD, STEP_ATTACH, STEP_READ, STEP_TOTAL, N_STEPS };

static const gchar *const step_names[N_STEPS] = {"reset+sync", "detect", "rom baud", "stub upload", "stub baud",
						 "flash", "1st read", "total"};

/* the host's monotonic time when the simulated chip got its first READ_FLASH */
static void
trace_cb(const gchar *line, gpointer user_data)
{
	gint64 *first_read = user_data;
	if (*first_read == 0 && g_str_has_prefix(line, "> READ_FLASH "))
		*first_read = g_get_monotonic_time();
}

/* one connection and the start of a 4 KiB read: the duration of each step in milliseconds */
static gboolean
connect_once(const gchar *chip, guint baud, guint latency_us, gdouble *steps, GError **error)
{
	g_autoptr(FkDevice) device = fk_bench_paced_device(chip, NULL, 0, baud, latency_us, error);
	g_autoptr(GOutputStream) out = NULL;
	FkSimDevice *sim;
	FkConnectTimes t;
	gint64 first_read = 0;
	gint64 marks[N_STEPS - 1];

	if (device == NULL)
		return FALSE;
	sim = fk_sim_transport_get_device(FK_SIM_TRANSPORT(fk_device_get_transport(device)));
	fk_sim_device_set_trace_func(sim, trace_cb, &first_read);
	out = g_memory_output_stream_new_resizable();
	if (!fk_device_connect(device, NULL, error) ||
	    !fk_device_read_flash(device, 0, 4096, out, NULL, NULL, NULL, error))
		return FALSE;
	fk_sim_device_set_trace_func(sim, NULL, NULL);
	fk_transport_close(fk_device_get_transport(device));
	fk_device_get_connect_times(device, &t);
	marks[STEP_SYNC] = t.synced;
	marks[STEP_DETECT] = t.identified;
	marks[STEP_ROM_BAUD] = t.rom_baud;
	marks[STEP_STUB] = t.stub;
	marks[STEP_STUB_BAUD] = t.stub_baud;
	marks[STEP_ATTACH] = t.connected;
	marks[STEP_READ] = first_read - t.started;
	/* each step lasts from the step that ended before it (steps that did not happen are 0) */
	for (guint s = 0; s < N_STEPS - 1; s++) {
		gint64 before = 0;
		if (marks[s] == 0) {
			steps[s] = 0;
			continue;
		}
		for (guint o = 0; o < N_STEPS - 1; o++) {
			if (marks[o] != 0 && marks[o] < marks[s] && marks[o] > before)
				before = marks[o];
		}
		steps[s] = (marks[s] - before) / 1e3;
	}
	steps[STEP_TOTAL] = marks[STEP_READ] / 1e3;
	return TRUE;
}

gboolean
fk_bench_connect(const gchar *const *chips, const gchar *const *bauds, guint latency_us, gint runs, GError **error)
{
	g_print("time to the first READ_FLASH, median of %d run(s), %u ms adapter latency each way, milliseconds\n", runs,
		latency_us / 1000);
	g_print("%-8s %8s", "chip", "baud");
	for (guint s = 0; s < N_STEPS; s++)
		g_print(" %11s", step_names[s]);
	g_print("\n");
	for (guint c = 0; chips[c] != NULL; c++) {
		for (guint b = 0; bauds[b] != NULL; b++) {
			guint baud = (guint)g_ascii_strtoull(bauds[b], NULL, 10);
			GArray *values[N_STEPS];
			for (guint s = 0; s < N_STEPS; s++)
				values[s] = g_array_new(FALSE, FALSE, sizeof(gdouble));
			for (gint r = 0; r < runs; r++) {
				gdouble steps[N_STEPS] = {0};
				if (!connect_once(chips[c], baud, latency_us, steps, error)) {
					for (guint s = 0; s < N_STEPS; s++)
						g_array_unref(values[s]);
					return FALSE;
				}
				for (guint s = 0; s < N_STEPS; s++)
					g_array_append_val(values[s], steps[s]);
			}
			g_print("%-8s %8u", chips[c], baud);
			for (guint s = 0; s < N_STEPS; s++) {
				g_print(" %11.1f", fk_bench_median(values[s]));
				g_array_unref(values[s]);
			}
			g_print("\n");
		}
	}
	return TRUE;
}
