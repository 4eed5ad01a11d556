/* SPDX-License-Identifier: GPL-3.0-or-later */
/* FkJob against the simulator: progress on the main thread, cancel, the coalescing of the
 * worker's updates and the worker doing all device and disk I/O; calls FkJob, FkDevice, fk-flash,
 * the simulator, and libc's write/fsync/linkat/rename through the interposer below */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "fk-flash.h"
#include "fk-job-private.h"
#include "fk-sim-device.h"
#include "fk-sim-transport.h"

/* ---- which thread touches the disk: libc's calls that write a backup, watched under one
 * directory; the test executable's definitions come before libc's for the engine too ---- */

static struct {
	gchar *dir; /* watched while set */
	GThread *main_thread;
	gint calls;
	gint calls_on_main;
} disk_watch;

static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_fsync)(int);
static int (*real_linkat)(int, const char *, int, const char *, int);
static int (*real_rename)(const char *, const char *);

static void
disk_watch_init(void)
{
	real_write = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	real_linkat = (int (*)(int, const char *, int, const char *, int))dlsym(RTLD_NEXT, "linkat");
	real_rename = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
	g_assert_nonnull(real_write);
	g_assert_nonnull(real_fsync);
	g_assert_nonnull(real_linkat);
	g_assert_nonnull(real_rename);
}

static void
disk_watch_path(const char *path)
{
	const gchar *dir = g_atomic_pointer_get(&disk_watch.dir);
	if (dir == NULL || path == NULL || !g_str_has_prefix(path, dir))
		return;
	g_atomic_int_inc(&disk_watch.calls);
	if (g_thread_self() == disk_watch.main_thread)
		g_atomic_int_inc(&disk_watch.calls_on_main);
}

static void
disk_watch_fd(int fd)
{
	gchar proc[64];
	gchar target[4096];
	ssize_t n;
	if (g_atomic_pointer_get(&disk_watch.dir) == NULL)
		return;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, target, sizeof(target) - 1);
	if (n <= 0)
		return;
	target[n] = '\0';
	disk_watch_path(target);
}

ssize_t
write(int fd, const void *buf, size_t n)
{
	disk_watch_fd(fd);
	return real_write(fd, buf, n);
}

int
fsync(int fd)
{
	disk_watch_fd(fd);
	return real_fsync(fd);
}

int
linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)
{
	disk_watch_path(newpath);
	return real_linkat(olddirfd, oldpath, newdirfd, newpath, flags);
}

int
rename(const char *oldpath, const char *newpath)
{
	disk_watch_path(newpath);
	return real_rename(oldpath, newpath);
}

/* ---- which thread touches the device: a link that passes every call on to the simulator's
 * and counts those made on the main thread ---- */

#define FK_TYPE_THREAD_TRANSPORT (fk_thread_transport_get_type())
G_DECLARE_FINAL_TYPE(FkThreadTransport, fk_thread_transport, FK, THREAD_TRANSPORT, FkTransport)

struct _FkThreadTransport {
	FkTransport parent_instance;
	FkTransport *inner;
	GThread *main_thread;
	gint calls;
	gint calls_on_main;
};

G_DEFINE_FINAL_TYPE(FkThreadTransport, fk_thread_transport, FK_TYPE_TRANSPORT)

static FkTransport *
fk_thread_transport_check(FkTransport *transport)
{
	FkThreadTransport *self = FK_THREAD_TRANSPORT(transport);
	g_atomic_int_inc(&self->calls);
	if (g_thread_self() == self->main_thread)
		g_atomic_int_inc(&self->calls_on_main);
	return self->inner;
}

static gboolean
fk_thread_transport_write(FkTransport *transport, const guint8 *data, gsize len, GCancellable *cancellable, GError **error)
{
	return fk_transport_write(fk_thread_transport_check(transport), data, len, cancellable, error);
}

static gssize
fk_thread_transport_read(FkTransport *transport, guint8 *buf, gsize len, guint timeout_ms, GCancellable *cancellable, GError **error)
{
	return fk_transport_read(fk_thread_transport_check(transport), buf, len, timeout_ms, cancellable, error);
}

static gboolean
fk_thread_transport_set_lines(FkTransport *transport, gboolean dtr, gboolean rts, GError **error)
{
	return fk_transport_set_lines(fk_thread_transport_check(transport), dtr, rts, error);
}

static gboolean
fk_thread_transport_set_baud(FkTransport *transport, guint baud, GError **error)
{
	return fk_transport_set_baud(fk_thread_transport_check(transport), baud, error);
}

static gboolean
fk_thread_transport_flush_input(FkTransport *transport, GError **error)
{
	return fk_transport_flush_input(fk_thread_transport_check(transport), error);
}

static void
fk_thread_transport_close(FkTransport *transport)
{
	fk_transport_close(fk_thread_transport_check(transport));
}

static void
fk_thread_transport_finalize(GObject *object)
{
	FkThreadTransport *self = FK_THREAD_TRANSPORT(object);
	g_clear_object(&self->inner);
	G_OBJECT_CLASS(fk_thread_transport_parent_class)->finalize(object);
}

static void
fk_thread_transport_class_init(FkThreadTransportClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	FkTransportClass *transport_class = FK_TRANSPORT_CLASS(klass);
	object_class->finalize = fk_thread_transport_finalize;
	transport_class->write = fk_thread_transport_write;
	transport_class->read = fk_thread_transport_read;
	transport_class->set_lines = fk_thread_transport_set_lines;
	transport_class->set_baud = fk_thread_transport_set_baud;
	transport_class->flush_input = fk_thread_transport_flush_input;
	transport_class->close = fk_thread_transport_close;
}

static void
fk_thread_transport_init(FkThreadTransport *self)
{
}

static FkTransport *
fk_thread_transport_new(FkTransport *inner)
{
	FkThreadTransport *self = g_object_new(FK_TYPE_THREAD_TRANSPORT, NULL);
	self->inner = g_object_ref(inner);
	self->main_thread = g_thread_self();
	fk_transport_set_name(FK_TRANSPORT(self), fk_transport_get_name(inner));
	fk_transport_set_kind(FK_TRANSPORT(self), fk_transport_get_kind(inner));
	fk_transport_set_has_modem_lines(FK_TRANSPORT(self), fk_transport_has_modem_lines(inner));
	return FK_TRANSPORT(self);
}

typedef struct {
	GMainLoop *loop;
	GThread *main_thread;
	gdouble last_fraction;
	guint notifies;
	guint logs;
	gboolean cancel_at_half;
	gboolean watch_io;
	gboolean func_on_main;
	gboolean ok;
	GError *error;
	gchar *path;
	gint device_calls;
	gint device_calls_on_main;
} Ctx;

static gboolean
backup_func(FkJob *job, FkDevice *device, FkProgress *progress, GCancellable *cancellable, gpointer user_data, GError **error)
{
	Ctx *ctx = user_data;
	/* the engine runs in the worker, not on the main thread */
	if (g_thread_self() == ctx->main_thread)
		ctx->func_on_main = TRUE;
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
	g_atomic_pointer_set(&disk_watch.dir, NULL);
	g_main_loop_quit(ctx->loop);
}

static void
run_backup(Ctx *ctx, gboolean paced)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FkSimDevice) sim = fk_sim_device_new("esp8266", 1024 * 1024, 3, &error);
	g_autoptr(FkTransport) sim_transport = NULL;
	g_autoptr(FkTransport) transport = NULL;
	g_autoptr(FkDevice) device = NULL;
	g_autoptr(FkJob) job = NULL;
	g_autofree gchar *dir = g_dir_make_tmp("fk-job-XXXXXX", NULL);

	g_assert_no_error(error);
	if (paced)
		fk_sim_device_set_timing(sim, TRUE, 1000);
	sim_transport = fk_sim_transport_new(sim);
	transport = ctx->watch_io ? fk_thread_transport_new(sim_transport) : g_object_ref(sim_transport);
	device = fk_device_new(transport);
	fk_device_set_baud(device, 921600);
	ctx->loop = g_main_loop_new(NULL, FALSE);
	ctx->main_thread = g_thread_self();
	ctx->path = g_build_filename(dir, "backup.bin", NULL);
	job = fk_job_new(device, backup_func, ctx, NULL);
	g_signal_connect(job, "notify::fraction", G_CALLBACK(notify_fraction_cb), ctx);
	g_signal_connect(job, "log", G_CALLBACK(log_cb), ctx);
	if (ctx->watch_io) {
		disk_watch.main_thread = ctx->main_thread;
		g_atomic_pointer_set(&disk_watch.dir, dir);
	}
	fk_job_run_async(job, done_cb, ctx);
	g_assert_true(fk_job_is_running(job));
	g_main_loop_run(ctx->loop);
	g_assert_false(fk_job_is_running(job));
	if (ctx->watch_io) {
		ctx->device_calls = FK_THREAD_TRANSPORT(transport)->calls;
		ctx->device_calls_on_main = FK_THREAD_TRANSPORT(transport)->calls_on_main;
	}
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
	g_assert_false(ctx.func_on_main);
}

/* the main thread never waits on the device or the disk during a job: every call on the link
 * and every write, fsync, link and rename of the backup file happens in the worker */
static void
test_job_io_threads(void)
{
	Ctx ctx = {.watch_io = TRUE};
	disk_watch.calls = 0;
	disk_watch.calls_on_main = 0;
	run_backup(&ctx, FALSE);
	g_assert_no_error(ctx.error);
	g_assert_true(ctx.ok);
	g_test_message("device calls: %d (%d on the main thread); disk calls: %d (%d on the main thread)",
		       ctx.device_calls,
		       ctx.device_calls_on_main,
		       disk_watch.calls,
		       disk_watch.calls_on_main);
	g_assert_cmpint(ctx.device_calls, >, 100);
	g_assert_cmpint(ctx.device_calls_on_main, ==, 0);
	/* the file's data, its fsync, and the link and rename that make it visible */
	g_assert_cmpint(disk_watch.calls, >, 3);
	g_assert_cmpint(disk_watch.calls_on_main, ==, 0);
	g_assert_false(ctx.func_on_main);
}

/* ---- coalescing: thousands of changes from the worker, one update on the main context ---- */

#define BURST_CHANGES	10000
#define BURST_LOG_EVERY 100

typedef struct {
	GMutex mutex;
	GCond cond;
	gboolean emitted;
	gboolean may_return;
	guint bytes_notifies;
	guint64 bytes_seen;
	GPtrArray *logs;
	gboolean ok;
	GMainLoop *loop;
} Burst;

static gboolean
burst_func(FkJob *job, FkDevice *device, FkProgress *progress, GCancellable *cancellable, gpointer user_data, GError **error)
{
	Burst *b = user_data;
	for (guint i = 1; i <= BURST_CHANGES; i++) {
		fk_progress_set_done(progress, i, BURST_CHANGES);
		if (i % BURST_LOG_EVERY == 0) {
			g_autofree gchar *line = g_strdup_printf("change %u", i);
			fk_job_log(line, job);
		}
	}
	/* the main thread hears of this without iterating its context; it lets us return when it
	 * has looked */
	g_mutex_lock(&b->mutex);
	b->emitted = TRUE;
	g_cond_broadcast(&b->cond);
	while (!b->may_return)
		g_cond_wait(&b->cond, &b->mutex);
	g_mutex_unlock(&b->mutex);
	return TRUE;
}

static void
burst_notify_bytes_cb(FkJob *job, GParamSpec *pspec, Burst *b)
{
	b->bytes_notifies++;
	b->bytes_seen = fk_job_get_bytes_done(job);
}

static void
burst_log_cb(FkJob *job, const gchar *message, Burst *b)
{
	g_ptr_array_add(b->logs, g_strdup(message));
}

static void
burst_done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	Burst *b = user_data;
	b->ok = fk_job_run_finish(FK_JOB(source), res, NULL);
	g_main_loop_quit(b->loop);
}

static void
test_job_coalesced(void)
{
	Burst b = {0};
	g_autoptr(FkJob) job = NULL;
	guint posted = 0;
	guint pending = 0;

	g_mutex_init(&b.mutex);
	g_cond_init(&b.cond);
	b.logs = g_ptr_array_new_with_free_func(g_free);
	b.loop = g_main_loop_new(NULL, FALSE);
	job = fk_job_new(NULL, burst_func, &b, NULL);
	g_signal_connect(job, "notify::bytes-done", G_CALLBACK(burst_notify_bytes_cb), &b);
	g_signal_connect(job, "log", G_CALLBACK(burst_log_cb), &b);
	fk_job_run_async(job, burst_done_cb, &b);

	/* the worker changes progress 10000 times while the main context is not iterated at all:
	 * one update is waiting for it, not one per change */
	g_mutex_lock(&b.mutex);
	while (!b.emitted)
		g_cond_wait(&b.cond, &b.mutex);
	g_mutex_unlock(&b.mutex);
	_fk_job_get_update_counts(job, &posted, &pending);
	g_assert_cmpuint(posted, ==, 1);
	g_assert_cmpuint(pending, ==, 1);
	g_assert_cmpuint(b.bytes_notifies, ==, 0);

	/* that one update carries the last values and every log line, in order */
	while (g_main_context_iteration(NULL, FALSE))
		;
	_fk_job_get_update_counts(job, &posted, &pending);
	g_assert_cmpuint(posted, ==, 1);
	g_assert_cmpuint(pending, ==, 0);
	g_assert_cmpuint(b.bytes_notifies, ==, 1);
	g_assert_cmpuint(b.bytes_seen, ==, BURST_CHANGES);
	g_assert_cmpuint(fk_job_get_bytes_total(job), ==, BURST_CHANGES);
	g_assert_cmpfloat(fk_job_get_fraction(job), ==, 1.0);
	g_assert_cmpuint(b.logs->len, ==, BURST_CHANGES / BURST_LOG_EVERY);
	for (guint i = 0; i < b.logs->len; i++) {
		g_autofree gchar *expected = g_strdup_printf("change %u", (i + 1) * BURST_LOG_EVERY);
		g_assert_cmpstr(g_ptr_array_index(b.logs, i), ==, expected);
	}

	/* the job ends: at most the finishing touch is posted besides, and nothing stays pending */
	g_mutex_lock(&b.mutex);
	b.may_return = TRUE;
	g_cond_broadcast(&b.cond);
	g_mutex_unlock(&b.mutex);
	g_main_loop_run(b.loop);
	g_assert_true(b.ok);
	while (g_main_context_iteration(NULL, FALSE))
		;
	_fk_job_get_update_counts(job, &posted, &pending);
	g_assert_cmpuint(posted, <=, 2);
	g_assert_cmpuint(pending, ==, 0);
	g_assert_cmpuint(fk_job_get_bytes_done(job), ==, BURST_CHANGES);

	g_main_loop_unref(b.loop);
	g_ptr_array_unref(b.logs);
	g_cond_clear(&b.cond);
	g_mutex_clear(&b.mutex);
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
	disk_watch_init();
	g_test_add_func("/fk/job/progress", test_job_progress);
	g_test_add_func("/fk/job/cancel", test_job_cancel);
	g_test_add_func("/fk/job/coalesced", test_job_coalesced);
	g_test_add_func("/fk/job/io-threads", test_job_io_threads);
	return g_test_run();
}
