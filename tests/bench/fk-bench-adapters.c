/* SPDX-License-Identifier: GPL-3.0-or-later */
/* "Automatic" baud against a fixed rate on simulated USB adapters: 4 MiB backups (by default)
 * on CH340, CP2102N and native USB-Serial/JTAG boards, the median of N runs of each, their ratio
 * and the link errors survived; every backup is compared with the simulated flash. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "fk-bench.h"
#include "fk-flash.h"
#include "fk-sim-device.h"
#include "fk-sim-transport.h"

typedef struct {
	gdouble secs;
	guint baud;	      /* the rate the backup ended at */
	guint recoveries;     /* link errors the session survived */
	guint64 damaged;      /* bytes the adapter damaged */
} FkBenchAdapterRun;

static gboolean
run_adapter_once(const gchar *chip, const gchar *adapter, gsize size, guint baud, guint latency_us, const gchar *dir,
		 FkBenchAdapterRun *run, GError **error)
{
	g_autoptr(FkDevice) device = fk_bench_paced_device(chip, adapter, size, baud, latency_us, error);
	FkTransport *transport;
	FkSimDevice *sim;
	g_autoptr(GBytes) flash = NULL;
	g_autofree gchar *path = g_build_filename(dir, "backup.bin", NULL);
	g_autofree gchar *memory = g_build_filename(dir, "baud-rates.ini", NULL);
	g_autofree gchar *json = g_strconcat(path, ".json", NULL);
	g_autofree gchar *contents = NULL;
	gsize len = 0;
	gint64 start;

	if (device == NULL)
		return FALSE;
	transport = fk_device_get_transport(device);
	sim = fk_sim_transport_get_device(FK_SIM_TRANSPORT(transport));
	/* each run starts from the table, not from what an earlier run remembered */
	g_unlink(memory);
	fk_device_set_baud_memory_file(device, memory);
	start = g_get_monotonic_time();
	if (!fk_device_connect(device, NULL, error) || !fk_flash_backup(device, 0, size, path, NULL, NULL, error) ||
	    !fk_device_finish(device, FK_AFTER_HARD_RESET, NULL, error))
		return FALSE;
	run->secs = (g_get_monotonic_time() - start) / 1e6;
	run->baud = fk_device_get_current_baud(device);
	run->recoveries = fk_device_get_recoveries(device);
	run->damaged = fk_sim_device_get_adapter_errors(sim);
	fk_transport_close(transport);
	/* no silent error: the file is the chip's flash */
	flash = fk_sim_device_get_flash(sim);
	if (!g_file_get_contents(path, &contents, &len, error))
		return FALSE;
	if (len != size || memcmp(contents, g_bytes_get_data(flash, NULL), size) != 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "the backup over %s at %u baud differs from the flash",
			    adapter, baud);
		return FALSE;
	}
	g_unlink(path);
	g_unlink(json);
	g_unlink(memory);
	return TRUE;
}

gboolean
fk_bench_adapters(const gchar *chip, const gchar *const *adapters, gsize size, guint fixed_baud, guint latency_us,
		  gint runs, GError **error)
{
	g_autofree gchar *dir = g_dir_make_tmp("fk-bench-adapters-XXXXXX", error);

	if (dir == NULL)
		return FALSE;
	g_print("backup of %" G_GSIZE_FORMAT " KiB from a simulated %s, %d run(s) each, %u ms adapter latency each way; "
		"every backup compared with the flash\n", size / 1024, chip, runs, latency_us / 1000);
	g_print("%-10s %-9s %9s %9s %8s %12s %13s\n", "adapter", "baud", "rate end", "median s", "ratio",
		"link errors", "bytes damaged");
	for (guint a = 0; adapters[a] != NULL; a++) {
		gdouble medians[2] = {0, 0};
		for (guint m = 0; m < 2; m++) {
			guint baud = m == 0 ? fixed_baud : FK_BAUD_AUTO;
			g_autoptr(GArray) times = g_array_new(FALSE, FALSE, sizeof(gdouble));
			guint recoveries = 0, end_baud = 0;
			guint64 damaged = 0;
			g_autofree gchar *label = m == 0 ? g_strdup_printf("%u", fixed_baud) : g_strdup("auto");
			g_autofree gchar *ratio = NULL;
			for (gint r = 0; r < runs; r++) {
				FkBenchAdapterRun run = {0};
				if (!run_adapter_once(chip, adapters[a], size, baud, latency_us, dir, &run, error)) {
					g_rmdir(dir);
					return FALSE;
				}
				g_array_append_val(times, run.secs);
				recoveries += run.recoveries;
				damaged += run.damaged;
				end_baud = run.baud;
			}
			medians[m] = fk_bench_median(times);
			ratio = m == 1 ? g_strdup_printf("%.2fx", medians[0] / medians[1]) : g_strdup("");
			g_print("%-10s %-9s %9u %9.2f %8s %12u %13" G_GUINT64_FORMAT "\n", adapters[a], label, end_baud,
				medians[m], ratio, recoveries, damaged);
		}
	}
	g_rmdir(dir);
	return TRUE;
}
