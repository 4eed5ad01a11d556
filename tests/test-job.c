/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "fk-flash.h"
#include "fk-job.h"
#include "fk-sim-device.h"
#include "fk-sim-transport.h"

typedef struct {
	GMainLoop *loop;
	GThread *main_thread;
	gdouble last_fraction;
	guint notifies;
	guint logs;
	gboolean cancel_at_half;
	gboolean ok;
	GError *error;
	gchar *path;
} Ctx;

static gboolean
backup_func(FkJob *job, FkDevice *device, FkProgress *progress, GCancellable *cancellable, gpointer user_data, GError **error)
{
	Ctx *ctx = user_data;
	/* the engine runs in the worker, not on the main thread */
	g_assert_true(g_thread_self() != ctx->main_thread);
	if (!fk_device_connect(device, cancellable, error))
		return FALSE;
	return fk_flash_backup(device, 0, fk_device_get_flash_size(device), ctx->path, progress, cancellable, error);
}

static void
notify_fraction_cb(FkJob *job, GParamSpec *pspec, Ctx *ctx)
{
	gdouble f = fk_job_get_fraction(job);
	g_assert_true(g_thread_self() == ctx->main_thread);
	g_assert_cmpfloat(f, >=, ctx->last_fraction);
	ctx->last_fraction = f;
	ctx->notifies++;
	if (ctx->cancel_at_half && f > 0.5)
		fk_job_cancel(job);
}

static void
log_cb(FkJob *job, const gchar *message, Ctx *ctx)
{
	g_assert_true(g_thread_self() == ctx->main_thread);
	ctx->logs++;
}

static void
done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	Ctx *ctx = user_data;
	ctx->ok = fk_job_run_finish(FK_JOB(source), res, &ctx->error);
	g_main_loop_quit(ctx->loop);
}

static void
run_backup(Ctx *ctx, gboolean paced)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FkSimDevice) sim = fk_sim_device_new("esp8266", 1024 * 1024, 3, &error);
	g_autoptr(FkTransport) transport = NULL;
	g_autoptr(FkDevice) device = NULL;
	g_autoptr(FkJob) job = NULL;
	g_autofree gchar *dir = g_dir_make_tmp("fk-job-XXXXXX", NULL);

	g_assert_no_error(error);
	if (paced)
		fk_sim_device_set_timing(sim, TRUE, 1000);
	transport = fk_sim_transport_new(sim);
	device = fk_device_new(transport);
	fk_device_set_baud(device, 921600);
	ctx->loop = g_main_loop_new(NULL, FALSE);
	ctx->main_thread = g_thread_self();
	ctx->path = g_build_filename(dir, "backup.bin", NULL);
	job = fk_job_new(device, backup_func, ctx, NULL);
	g_signal_connect(job, "notify::fraction", G_CALLBACK(notify_fraction_cb), ctx);
	g_signal_connect(job, "log", G_CALLBACK(log_cb), ctx);
	fk_job_run_async(job, done_cb, ctx);
	g_assert_true(fk_job_is_running(job));
	g_main_loop_run(ctx->loop);
	g_assert_false(fk_job_is_running(job));
	if (ctx->ok) {
		g_autoptr(GBytes) flash = fk_sim_device_get_flash(sim);
		g_autofree gchar *contents = NULL;
		gsize len = 0;
		g_assert_cmpfloat(fk_job_get_fraction(job), ==, 1.0);
		g_assert_true(g_file_get_contents(ctx->path, &contents, &len, NULL));
		g_assert_cmpmem(contents, len, g_bytes_get_data(flash, NULL), g_bytes_get_size(flash));
		g_unlink(ctx->path);
	} else {
		g_assert_false(g_file_test(ctx->path, G_FILE_TEST_EXISTS));
	}
	g_rmdir(dir);
	g_main_loop_unref(ctx->loop);
	g_free(ctx->path);
}

static void
test_job_progress(void)
{
	Ctx ctx = {0};
	run_backup(&ctx, FALSE);
	g_assert_no_error(ctx.error);
	g_assert_true(ctx.ok);
	g_assert_cmpuint(ctx.notifies, >, 1);
	g_assert_cmpuint(ctx.logs, >, 0);
}

static void
test_job_cancel(void)
{
	Ctx ctx = {.cancel_at_half = TRUE};
	run_backup(&ctx, TRUE);
	g_assert_false(ctx.ok);
	g_assert_error(ctx.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	g_clear_error(&ctx.error);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/fk/job/progress", test_job_progress);
	g_test_add_func("/fk/job/cancel", test_job_cancel);
	return g_test_run();
}
