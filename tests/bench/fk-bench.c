/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Backup and restore throughput against the simulator paced at the serial line rate.
 *   fk-bench [--runs N] [--chip esp32] [--sizes 1,4] [--bauds 115200,921600] [--latency-ms 2]
 *   [--ops backup,restore,erase,same,sector] [--flash-mb 4] (a chip larger than the case, for the
 *   flash map's cost); "same" restores the image the chip holds and "sector" one that differs in
 *   one sector, both writing only what changed
 * Prints, per case, the median wall time of N runs (the whole session, connecting included), the
 * median of the operation alone after connecting, bytes/s, the share of the line rate (baud/10
 * bytes/s) of both, and the peak RSS of the process that ran the case (each case runs in a fresh
 * one; it holds the simulated chip too: its flash and the bytes queued for the host).
 *   --low-latency-ms MS: the simulated adapter has a low-latency mode (MS to the host once the
 * port asks for it, as Flashkeep does when it opens one: an FTDI's 1 ms).
 *   fk-bench --main-loop [--runs N] [--chip esp32] [--sizes 1] [--bauds 921600] (first size, last baud)
 * Prints instead how long the main loop went without running while FkJob backed up the chip in
 * its worker (fk-bench-main-loop.c): per run and the median over the runs. A figure, not a test:
 * it depends on the machine and its load.
 *   fk-bench --adapters ch340,cp2102n,usbjtag [--runs N] [--chip esp32] [--sizes 4] [--bauds 921600]
 * Backs up the first size over each simulated USB adapter at Automatic and at the last fixed
 * rate (fk-bench-adapters.c): medians, their ratio, the link errors survived.
 *   fk-bench --connect esp8266,esp32,esp32s3,esp32c3 [--runs N] [--bauds 921600] [--latency-ms 2]
 * Prints the time from the start of a connection to the first READ_FLASH command on each chip,
 * each step of the connection broken down (fk-bench-connect.c): medians of N runs. */
#include "config.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "fk-bench.h"
#include "fk-device.h"
#include "fk-flash.h"
#include "fk-sim-device.h"
#include "fk-sim-transport.h"

static gint
cmp_double(gconstpointer a, gconstpointer b)
{
	gdouble x = *(const gdouble *)a, y = *(const gdouble *)b;
	return x < y ? -1 : x > y;
}

gdouble
fk_bench_median(GArray *values)
{
	g_array_sort(values, cmp_double);
	if (values->len % 2 == 1)
		return g_array_index(values, gdouble, values->len / 2);
	return (g_array_index(values, gdouble, values->len / 2 - 1) +
		g_array_index(values, gdouble, values->len / 2)) / 2;
}

/* the simulated adapters' low-latency mode, in µs to the host; -1: none */
static gint fk_bench_low_latency_us = -1;

FkDevice *
fk_bench_paced_device(const gchar *chip, const gchar *adapter, gsize size, guint baud, guint latency_us,
		      GError **error)
{
	g_autoptr(FkSimDevice) sim = fk_sim_device_new(chip, size, 1, error);
	g_autoptr(FkTransport) transport = NULL;
	FkDevice *device;

	if (sim == NULL || !fk_sim_device_set_adapter(sim, adapter, error))
		return NULL;
	fk_sim_device_set_timing(sim, TRUE, latency_us);
	fk_sim_device_set_low_latency_mode(sim, fk_bench_low_latency_us >= 0, (guint)MAX(fk_bench_low_latency_us, 0));
	fk_sim_device_set_boot_mode(sim, FK_SIM_BOOT_APP);
	transport = fk_sim_transport_new(sim);
	device = fk_device_new(transport);
	fk_device_set_baud(device, baud);
	return device;
}

static gboolean
run_once(const gchar *chip, gsize size, gsize flash_size, guint baud, guint latency_us, guint op,
	 const gchar *path, gdouble *secs, gdouble *op_secs, GError **error)
{
	g_autoptr(FkDevice) device = fk_bench_paced_device(chip, NULL, MAX(size, flash_size), baud, latency_us, error);
	gint64 start, op_start;

	if (device == NULL)
		return FALSE;
	/* the whole session counts, as a person waits for all of it */
	start = g_get_monotonic_time();
	if (!fk_device_connect(device, NULL, error))
		return FALSE;
	op_start = g_get_monotonic_time();
	if (op == 2) {
		if (!fk_device_erase_region(device, 0, size, NULL, NULL, error))
			return FALSE;
	} else if (op == 1 || op == 3 || op == 4) {
		/* 3 and 4: an image the chip holds, and one that differs in one sector, written
		 * only where the chip differs */
		FkRestoreOptions options = {NULL, NULL, NULL, op == 1 ? FK_WRITE_FLAG_NONE : FK_WRITE_FLAG_ONLY_CHANGED};
		if (!fk_flash_restore(device, 0, path, &options, NULL, NULL, error))
			return FALSE;
	} else {
		if (!fk_flash_backup(device, 0, size, path, NULL, NULL, error))
			return FALSE;
	}
	*secs = (g_get_monotonic_time() - start) / 1e6;
	*op_secs = (g_get_monotonic_time() - op_start) / 1e6;
	fk_transport_close(fk_device_get_transport(device));
	return TRUE;
}

/* the longest main-loop gap during a paced backup run by FkJob, per run and over the runs */
static gboolean
run_main_loop(const gchar *chip, gsize size, guint baud, guint latency_us, gint runs, const gchar *path, GError **error)
{
	g_autoptr(GArray) longest = g_array_new(FALSE, FALSE, sizeof(gdouble));
	g_autoptr(GArray) medians = g_array_new(FALSE, FALSE, sizeof(gdouble));

	g_print("main loop during a backup of %" G_GSIZE_FORMAT " KiB at %u baud run by FkJob, a 1 ms tick\n",
		size / 1024, baud);
	g_print("%-5s %16s %15s %8s\n", "run", "longest gap ms", "median gap ms", "updates");
	for (gint r = 0; r < runs; r++) {
		gdouble max_ms = 0, median_ms = 0;
		guint updates = 0;
		if (!fk_bench_main_loop_gaps(chip, size, baud, latency_us, path, &max_ms, &median_ms, &updates, error))
			return FALSE;
		g_unlink(path);
		g_array_append_val(longest, max_ms);
		g_array_append_val(medians, median_ms);
		g_print("%-5d %16.2f %15.2f %8u\n", r + 1, max_ms, median_ms, updates);
	}
	g_print("%-5s %16.2f %15.2f\n", "median", fk_bench_median(longest), fk_bench_median(medians));
	return TRUE;
}

/* the chip's own flash (a fresh simulated chip of the same seed holds the same), with one byte
 * of one sector in the middle changed when @one_sector */
static gboolean
make_image(const gchar *chip, gsize size, const gchar *path, gboolean one_sector, GError **error)
{
	g_autoptr(FkSimDevice) sim = fk_sim_device_new(chip, size, 1, error);
	g_autoptr(GBytes) flash = NULL;
	g_autofree guint8 *buf = NULL;

	if (sim == NULL)
		return FALSE;
	flash = fk_sim_device_get_flash(sim);
	buf = g_memdup2(g_bytes_get_data(flash, NULL), size);
	if (one_sector)
		buf[size / 2 + 0x123] ^= 0x5a;
	return g_file_set_contents(path, (const gchar *)buf, (gssize)size, error);
}

/* the runs of one case in this process: the medians and the peak RSS on stdout */
static gboolean
run_case(const gchar *chip, gsize size, gsize flash_size, guint baud, guint latency_us, guint op, gint runs,
	 const gchar *path, GError **error)
{
	g_autoptr(GArray) times = g_array_new(FALSE, FALSE, sizeof(gdouble));
	g_autoptr(GArray) op_times = g_array_new(FALSE, FALSE, sizeof(gdouble));
	struct rusage usage;

	for (gint r = 0; r < runs; r++) {
		gdouble secs = 0, op_secs = 0;
		if (!run_once(chip, size, flash_size, baud, latency_us, op, path, &secs, &op_secs, error))
			return FALSE;
		g_array_append_val(times, secs);
		g_array_append_val(op_times, op_secs);
	}
	getrusage(RUSAGE_SELF, &usage);
	g_print("case %.4f %.4f %ld\n", fk_bench_median(times), fk_bench_median(op_times), usage.ru_maxrss);
	return TRUE;
}

/* runs a case in a fresh process of this program, for its own peak RSS */
static gboolean
spawn_case(const gchar *self_path, const gchar *chip, const gchar *size, guint baud, gint latency_ms, gint flash_mb,
	   const gchar *op, gint runs, gdouble *med, gdouble *op_med, glong *rss_kib, GError **error)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	gint status = 0;
	const gchar *line;

	g_ptr_array_add(args, g_strdup(self_path));
	g_ptr_array_add(args, g_strdup("--one-case"));
	g_ptr_array_add(args, g_strdup_printf("--runs=%d", runs));
	g_ptr_array_add(args, g_strdup_printf("--chip=%s", chip));
	g_ptr_array_add(args, g_strdup_printf("--sizes=%s", size));
	g_ptr_array_add(args, g_strdup_printf("--bauds=%u", baud));
	g_ptr_array_add(args, g_strdup_printf("--latency-ms=%d", latency_ms));
	g_ptr_array_add(args, g_strdup_printf("--flash-mb=%d", flash_mb));
	g_ptr_array_add(args, g_strdup_printf("--ops=%s", op));
	g_ptr_array_add(args, g_strdup_printf("--low-latency-ms=%d", fk_bench_low_latency_us < 0 ? -1 : fk_bench_low_latency_us / 1000));
	g_ptr_array_add(args, NULL);
	if (!g_spawn_sync(NULL, (gchar **)args->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, error))
		return FALSE;
	line = out != NULL ? strstr(out, "case ") : NULL;
	if (!g_spawn_check_wait_status(status, NULL) || line == NULL ||
	    sscanf(line, "case %lf %lf %ld", med, op_med, rss_kib) != 3) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "the case %s %s MiB at %u baud failed: %s", op, size, baud,
			    err != NULL ? err : "");
		return FALSE;
	}
	return TRUE;
}

int
main(int argc, char **argv)
{
	gint runs = 3;
	gint latency_ms = 2;
	g_autofree gchar *chip = g_strdup("esp32");
	g_autofree gchar *sizes_arg = g_strdup("1,4");
	g_autofree gchar *bauds_arg = g_strdup("115200,921600");
	g_autofree gchar *ops_arg = g_strdup("backup,restore");
	gint flash_mb = 0;
	gboolean main_loop = FALSE;
	gboolean one_case = FALSE;
	gint low_latency_ms = -1;
	g_autofree gchar *self_path = NULL;
	g_autofree gchar *adapters_arg = NULL;
	g_autofree gchar *connect_arg = NULL;
	g_autofree gchar *flash_desc = NULL;
	g_autofree gchar *low_desc = NULL;
	g_autoptr(GOptionContext) ctx = g_option_context_new("");
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) sizes = NULL;
	g_auto(GStrv) bauds = NULL;
	g_auto(GStrv) ops = NULL;
	static const gchar *const op_names[] = {"backup", "restore", "erase", "same", "sector"};
	g_autofree gchar *tmpdir = NULL;
	GOptionEntry entries[] = {
	    {"runs", 'n', 0, G_OPTION_ARG_INT, &runs, "Runs per case (median is reported)", "N"},
	    {"chip", 'c', 0, G_OPTION_ARG_STRING, &chip, "Simulated chip", "CHIP"},
	    {"sizes", 's', 0, G_OPTION_ARG_STRING, &sizes_arg, "Sizes in MiB, comma separated", "LIST"},
	    {"bauds", 'b', 0, G_OPTION_ARG_STRING, &bauds_arg, "Baud rates, comma separated", "LIST"},
	    {"latency-ms", 'l', 0, G_OPTION_ARG_INT, &latency_ms, "USB adapter latency per direction", "MS"},
	    {"flash-mb", 'f', 0, G_OPTION_ARG_INT, &flash_mb, "Flash size of the chip in MiB (default: the case's size)", "MIB"},
	    {"ops", 'o', 0, G_OPTION_ARG_STRING, &ops_arg, "backup, restore, erase, same (restore what the chip holds, writing only what changed), sector (the same with one sector changed)", "LIST"},
	    {"adapters", 'a', 0, G_OPTION_ARG_STRING, &adapters_arg,
	     "Automatic against the last baud on these simulated adapters (ch340, cp2102n, cp2102, ft232r, ch9102, usbjtag), first size", "LIST"},
	    {"connect", 'C', 0, G_OPTION_ARG_STRING, &connect_arg,
	     "Time to the first READ_FLASH on these simulated chips, step by step, at each baud", "LIST"},
	    {"low-latency-ms", 0, 0, G_OPTION_ARG_INT, &low_latency_ms,
	     "The simulated adapter's latency to the host in its low-latency mode, which Flashkeep asks for (-1: it has none)", "MS"},
	    {"one-case", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &one_case, "Run the first case here and print its figures", NULL},
	    {"main-loop", 'm', 0, G_OPTION_ARG_NONE, &main_loop,
	     "Measure the main loop's gaps during a backup run by FkJob instead (first size, last baud)", NULL},
	    {NULL}};

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		g_printerr("%s\n", error->message);
		return 2;
	}
	fk_bench_low_latency_us = low_latency_ms < 0 ? -1 : low_latency_ms * 1000;
	self_path = g_file_read_link("/proc/self/exe", NULL);
	if (self_path == NULL)
		self_path = g_strdup(argv[0]);
	sizes = g_strsplit(sizes_arg, ",", -1);
	bauds = g_strsplit(bauds_arg, ",", -1);
	ops = g_strsplit(ops_arg, ",", -1);
	if (connect_arg != NULL) {
		g_auto(GStrv) chips = g_strsplit(connect_arg, ",", -1);
		if (!fk_bench_connect((const gchar *const *)chips, (const gchar *const *)bauds, (guint)latency_ms * 1000,
				      runs, &error)) {
			g_printerr("%s\n", error->message);
			return 1;
		}
		return 0;
	}
	if (adapters_arg != NULL) {
		g_auto(GStrv) adapters = g_strsplit(adapters_arg, ",", -1);
		gsize size = (gsize)g_ascii_strtoull(sizes[0], NULL, 10) * 1024 * 1024;
		guint baud = (guint)g_ascii_strtoull(bauds[g_strv_length(bauds) - 1], NULL, 10);
		if (!fk_bench_adapters(chip, (const gchar *const *)adapters, size, baud, (guint)latency_ms * 1000, runs,
				       &error)) {
			g_printerr("%s\n", error->message);
			return 1;
		}
		return 0;
	}
	tmpdir = g_dir_make_tmp("fk-bench-XXXXXX", NULL);
	if (main_loop) {
		g_autofree gchar *path = g_build_filename(tmpdir, "backup.bin", NULL);
		gsize size = (gsize)g_ascii_strtoull(sizes[0], NULL, 10) * 1024 * 1024;
		guint baud = (guint)g_ascii_strtoull(bauds[g_strv_length(bauds) - 1], NULL, 10);
		gboolean ok = run_main_loop(chip, size, baud, (guint)latency_ms * 1000, runs, path, &error);
		g_rmdir(tmpdir);
		if (!ok) {
			g_printerr("%s\n", error->message);
			return 1;
		}
		return 0;
	}
	if (one_case) {
		gsize size = (gsize)g_ascii_strtoull(sizes[0], NULL, 10) * 1024 * 1024;
		guint baud = (guint)g_ascii_strtoull(bauds[0], NULL, 10);
		guint op = 0;
		gboolean ok;
		g_autofree gchar *path = NULL;
		while (op < G_N_ELEMENTS(op_names) && g_strcmp0(op_names[op], ops[0]) != 0)
			op++;
		if (op == G_N_ELEMENTS(op_names)) {
			g_printerr("unknown operation %s\n", ops[0]);
			return 2;
		}
		path = g_build_filename(tmpdir, "image.bin", NULL);
		/* a restore needs an image: the chip's own flash, as a person would restore */
		ok = (op == 0 || op == 2 || make_image(chip, size, path, op == 4, &error)) &&
		     run_case(chip, size, (gsize)flash_mb * 1024 * 1024, baud, (guint)latency_ms * 1000, op, runs, path, &error);
		g_unlink(path);
		g_rmdir(tmpdir);
		if (!ok) {
			g_printerr("%s\n", error->message);
			return 1;
		}
		return 0;
	}
	flash_desc = flash_mb > 0 ? g_strdup_printf("%d MiB", flash_mb) : g_strdup("the case's size");
	low_desc = low_latency_ms >= 0 ? g_strdup_printf(" (%d ms to the host in its low-latency mode)", low_latency_ms)
				       : g_strdup("");
	g_print("chip %s (flash: %s), %d run(s) per case, %d ms adapter latency each way%s, stub in use\n", chip,
		flash_desc, runs, latency_ms, low_desc);
	g_print("%-8s %-5s %8s %10s %10s %12s %8s %8s %9s\n", "op", "size", "baud", "median s", "op s", "bytes/s", "% line",
		"op %", "peak MiB");
	for (guint s = 0; sizes[s] != NULL; s++) {
		gsize size = (gsize)g_ascii_strtoull(sizes[s], NULL, 10) * 1024 * 1024;
		for (guint b = 0; bauds[b] != NULL; b++) {
			guint baud = (guint)g_ascii_strtoull(bauds[b], NULL, 10);
			for (guint op = 0; op < G_N_ELEMENTS(op_names); op++) {
				gdouble med = 0, op_med = 0, line = baud / 10.0;
				glong rss = 0;
				if (!g_strv_contains((const gchar *const *)ops, op_names[op]))
					continue;
				/* the whole session counts, as a person waits for all of it; the operation
				 * alone, after connecting, is what a person waits for once connected */
				if (!spawn_case(self_path, chip, sizes[s], baud, latency_ms, flash_mb, op_names[op], runs, &med,
						&op_med, &rss, &error)) {
					g_printerr("%s\n", error->message);
					return 1;
				}
				g_print("%-8s %-5s %8u %10.2f %10.2f %12.0f %7.1f%% %7.1f%% %9.1f\n", op_names[op], sizes[s], baud, med,
					op_med, size / med, 100.0 * size / med / line, 100.0 * size / op_med / line, rss / 1024.0);
			}
		}
	}
	{
		g_autofree gchar *path = g_build_filename(tmpdir, "image.bin", NULL);
		g_autofree gchar *path_sector = g_build_filename(tmpdir, "image-sector.bin", NULL);
		g_unlink(path);
		g_unlink(path_sector);
		g_rmdir(tmpdir);
	}
	return 0;
}
