/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the main-loop figure of the benchmark: how long the main context goes without running
 * while FkJob backs up a paced simulated chip in its worker, as a window's would; calls FkJob,
 * fk-flash and the simulator */
#include "config.h"

#include "fk-bench.h"
#include "fk-flash.h"
#include "fk-job.h"

typedef struct {
	GMainLoop *loop;
	GArray *gaps; /* gdouble, ms between two ticks of the 1 ms timeout */
	gint64 last_tick;
	const gchar *path;
	gsize size;
	guint updates;
	gboolean ok;
	GError *error;
} FkBenchGapRun;

static gboolean
fk_bench_tick_cb(gpointer user_data)
{
	FkBenchGapRun *run = user_data;
	gint64 now = g_get_monotonic_time();
	gdouble gap = (now - run->last_tick) / 1000.0;
	g_array_append_val(run->gaps, gap);
	run->last_tick = now;
	return G_SOURCE_CONTINUE;
}

static gboolean
fk_bench_backup_func(FkJob *job,
		     FkDevice *device,
		     FkProgress *progress,
		     GCancellable *cancellable,
		     gpointer user_data,
		     GError **error)
{
	FkBenchGapRun *run = user_data;
	if (!fk_device_connect(device, cancellable, error))
		return FALSE;
	return fk_flash_backup(device, 0, run->size, run->path, progress, cancellable, error);
}

static void
fk_bench_notify_cb(FkJob *job, GParamSpec *pspec, FkBenchGapRun *run)
{
	run->updates++;
}

static void
fk_bench_done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	FkBenchGapRun *run = user_data;
	run->ok = fk_job_run_finish(FK_JOB(source), res, &run->error);
	g_main_loop_quit(run->loop);
}

gboolean
fk_bench_main_loop_gaps(const gchar *chip,
			gsize size,
			guint baud,
			guint latency_us,
			const gchar *path,
			gdouble *longest_ms,
			gdouble *median_ms,
			guint *updates,
			GError **error)
{
	g_autoptr(FkDevice) device = fk_bench_paced_device(chip, NULL, size, baud, latency_us, error);
	g_autoptr(FkJob) job = NULL;
	g_autoptr(GArray) gaps = g_array_new(FALSE, FALSE, sizeof(gdouble));
	FkBenchGapRun run = {.gaps = gaps, .path = path, .size = size};
	GSource *tick;

	if (device == NULL)
		return FALSE;
	job = fk_job_new(device, fk_bench_backup_func, &run, NULL);
	g_signal_connect(job, "notify::fraction", G_CALLBACK(fk_bench_notify_cb), &run);

	run.loop = g_main_loop_new(NULL, FALSE);
	tick = g_timeout_source_new(1);
	g_source_set_callback(tick, fk_bench_tick_cb, &run, NULL);
	g_source_attach(tick, NULL);
	run.last_tick = g_get_monotonic_time();
	fk_job_run_async(job, fk_bench_done_cb, &run);
	g_main_loop_run(run.loop);
	g_source_destroy(tick);
	g_source_unref(tick);
	g_main_loop_unref(run.loop);
	fk_transport_close(fk_device_get_transport(device));

	if (!run.ok) {
		g_propagate_error(error, run.error);
		return FALSE;
	}
	*updates = run.updates;
	*longest_ms = 0;
	for (guint i = 0; i < gaps->len; i++)
		*longest_ms = MAX(*longest_ms, g_array_index(gaps, gdouble, i));
	*median_ms = gaps->len > 0 ? fk_bench_median(gaps) : 0;
	return TRUE;
}
