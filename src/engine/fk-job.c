/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns FkJob, the GTask bridge: runs an engine call in a worker thread and carries coalesced
 * progress and log lines to the main thread; calls the FkDevice facade and FkProgress */
#include "config.h"

#include "fk-job-private.h"

struct _FkJob {
	GObject parent_instance;
	FkDevice *device;
	FkJobFunc func;
	gpointer user_data;
	GDestroyNotify user_data_free;
	GCancellable *cancellable;
	GTask *task; /* while running */

	/* written by the worker, read by the main context */
	GMutex mutex;
	gdouble pending_fraction;
	gchar *pending_status;
	guint64 pending_done;
	guint64 pending_total;
	gboolean pending_waiting;
	GPtrArray *pending_log;
	gboolean update_queued;
	guint updates_posted;  /* idle updates attached to the main context */
	guint updates_pending; /* of those, not run yet */

	/* main-context copies */
	gdouble fraction;
	gchar *status_text;
	guint64 bytes_done;
	guint64 bytes_total;
	gboolean waiting;
};

G_DEFINE_TYPE(FkJob, fk_job, G_TYPE_OBJECT)

enum { PROP_0, PROP_FRACTION, PROP_STATUS_TEXT, PROP_BYTES_DONE, PROP_BYTES_TOTAL, PROP_WAITING, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum { SIGNAL_LOG, SIGNAL_LAST };
static guint signals[SIGNAL_LAST];

FkJob *
fk_job_new(FkDevice *device, FkJobFunc func, gpointer user_data, GDestroyNotify user_data_free)
{
	FkJob *self = g_object_new(FK_TYPE_JOB, NULL);
	self->device = device != NULL ? g_object_ref(device) : NULL;
	self->func = func;
	self->user_data = user_data;
	self->user_data_free = user_data_free;
	return self;
}

/* main context: copy the slot into the properties */
static gboolean
fk_job_update_cb(gpointer user_data)
{
	FkJob *self = FK_JOB(user_data);
	g_autoptr(GPtrArray) log = NULL;
	g_autofree gchar *status = NULL;
	gdouble fraction;
	guint64 done, total;
	gboolean waiting;

	g_mutex_lock(&self->mutex);
	self->update_queued = FALSE;
	fraction = self->pending_fraction;
	status = g_strdup(self->pending_status);
	done = self->pending_done;
	total = self->pending_total;
	waiting = self->pending_waiting;
	log = g_steal_pointer(&self->pending_log);
	self->pending_log = g_ptr_array_new_with_free_func(g_free);
	g_mutex_unlock(&self->mutex);

	g_object_freeze_notify(G_OBJECT(self));
	if (fraction != self->fraction) {
		self->fraction = fraction;
		g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_FRACTION]);
	}
	if (g_strcmp0(status, self->status_text) != 0) {
		g_free(self->status_text);
		self->status_text = g_steal_pointer(&status);
		g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_STATUS_TEXT]);
	}
	if (done != self->bytes_done || total != self->bytes_total) {
		self->bytes_done = done;
		self->bytes_total = total;
		g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_BYTES_DONE]);
		g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_BYTES_TOTAL]);
	}
	if (waiting != self->waiting) {
		self->waiting = waiting;
		g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_WAITING]);
	}
	g_object_thaw_notify(G_OBJECT(self));
	for (guint i = 0; i < log->len; i++)
		g_signal_emit(self, signals[SIGNAL_LOG], 0, g_ptr_array_index(log, i));
	return G_SOURCE_REMOVE;
}

/* main context: the update the worker posted */
static gboolean
fk_job_update_idle_cb(gpointer user_data)
{
	FkJob *self = FK_JOB(user_data);
	g_mutex_lock(&self->mutex);
	self->updates_pending--;
	g_mutex_unlock(&self->mutex);
	return fk_job_update_cb(self);
}

/* worker: called with the mutex held; at most one idle pending */
static void
fk_job_queue_update_locked(FkJob *self)
{
	GSource *source;
	if (self->update_queued || self->task == NULL)
		return;
	self->update_queued = TRUE;
	source = g_idle_source_new();
	g_source_set_priority(source, G_PRIORITY_DEFAULT_IDLE);
	g_source_set_callback(source, fk_job_update_idle_cb, g_object_ref(self), g_object_unref);
	g_source_set_static_name(source, "[flashkeep] job progress");
	g_source_attach(source, g_task_get_context(self->task));
	g_source_unref(source);
	self->updates_posted++;
	self->updates_pending++;
}

void
_fk_job_get_update_counts(FkJob *self, guint *posted, guint *pending)
{
	g_return_if_fail(FK_IS_JOB(self));
	g_mutex_lock(&self->mutex);
	if (posted != NULL)
		*posted = self->updates_posted;
	if (pending != NULL)
		*pending = self->updates_pending;
	g_mutex_unlock(&self->mutex);
}

static void
fk_job_progress_changed_cb(FkProgress *progress, FkJob *self)
{
	g_mutex_lock(&self->mutex);
	self->pending_fraction = fk_progress_get_fraction(progress);
	if (g_strcmp0(self->pending_status, fk_progress_get_status(progress)) != 0) {
		g_free(self->pending_status);
		self->pending_status = g_strdup(fk_progress_get_status(progress));
	}
	self->pending_done = fk_progress_get_bytes_done(progress);
	self->pending_total = fk_progress_get_bytes_total(progress);
	fk_job_queue_update_locked(self);
	g_mutex_unlock(&self->mutex);
}

void
fk_job_log(const gchar *message, gpointer user_data)
{
	FkJob *self = FK_JOB(user_data);
	g_mutex_lock(&self->mutex);
	g_ptr_array_add(self->pending_log, g_strdup(message));
	fk_job_queue_update_locked(self);
	g_mutex_unlock(&self->mutex);
}

void
fk_job_set_waiting_for_chip(gboolean waiting, gpointer user_data)
{
	FkJob *self = FK_JOB(user_data);
	g_mutex_lock(&self->mutex);
	self->pending_waiting = waiting;
	fk_job_queue_update_locked(self);
	g_mutex_unlock(&self->mutex);
}

gboolean
fk_job_is_waiting_for_chip(FkJob *self)
{
	return self->waiting;
}

static void
fk_job_thread(GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
	FkJob *self = FK_JOB(source_object);
	g_autoptr(FkProgress) progress = fk_progress_new();
	g_autoptr(GError) error = NULL;
	gboolean ok;

	g_signal_connect(progress, "changed", G_CALLBACK(fk_job_progress_changed_cb), self);
	if (self->device != NULL)
		fk_device_set_log_func(self->device, fk_job_log, self);
	ok = self->func(self, self->device, progress, cancellable, self->user_data, &error);
	if (self->device != NULL)
		fk_device_set_log_func(self->device, NULL, NULL);
	if (ok) {
		fk_progress_finish(progress);
		g_task_return_boolean(task, TRUE);
	} else {
		g_task_return_error(task, g_steal_pointer(&error));
	}
}

static void
fk_job_done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	FkJob *self = FK_JOB(source);
	GTask *outer = G_TASK(user_data);
	GError *error = NULL;
	/* deliver the last progress before the caller hears of completion */
	fk_job_update_cb(self);
	g_clear_object(&self->task);
	if (g_task_propagate_boolean(G_TASK(res), &error))
		g_task_return_boolean(outer, TRUE);
	else
		g_task_return_error(outer, error);
	g_object_unref(outer);
}

void
fk_job_run_async(FkJob *self, GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *outer;
	g_return_if_fail(FK_IS_JOB(self));
	g_return_if_fail(self->task == NULL);
	outer = g_task_new(self, NULL, callback, user_data);
	g_task_set_source_tag(outer, fk_job_run_async);
	self->task = g_task_new(self, self->cancellable, fk_job_done_cb, outer);
	g_task_set_source_tag(self->task, fk_job_thread);
	g_task_set_return_on_cancel(self->task, FALSE);
	g_task_run_in_thread(self->task, fk_job_thread);
}

gboolean
fk_job_run_finish(FkJob *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(res, self), FALSE);
	return g_task_propagate_boolean(G_TASK(res), error);
}

void
fk_job_cancel(FkJob *self)
{
	g_cancellable_cancel(self->cancellable);
}

gboolean
fk_job_is_running(FkJob *self)
{
	return self->task != NULL;
}

FkDevice *
fk_job_get_device(FkJob *self)
{
	return self->device;
}

gdouble
fk_job_get_fraction(FkJob *self)
{
	return self->fraction;
}

const gchar *
fk_job_get_status_text(FkJob *self)
{
	return self->status_text;
}

guint64
fk_job_get_bytes_done(FkJob *self)
{
	return self->bytes_done;
}

guint64
fk_job_get_bytes_total(FkJob *self)
{
	return self->bytes_total;
}

static void
fk_job_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
	FkJob *self = FK_JOB(object);
	switch (prop_id) {
	case PROP_FRACTION:
		g_value_set_double(value, self->fraction);
		break;
	case PROP_STATUS_TEXT:
		g_value_set_string(value, self->status_text);
		break;
	case PROP_BYTES_DONE:
		g_value_set_uint64(value, self->bytes_done);
		break;
	case PROP_BYTES_TOTAL:
		g_value_set_uint64(value, self->bytes_total);
		break;
	case PROP_WAITING:
		g_value_set_boolean(value, self->waiting);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
		break;
	}
}

static void
fk_job_finalize(GObject *object)
{
	FkJob *self = FK_JOB(object);
	if (self->user_data_free != NULL)
		self->user_data_free(self->user_data);
	g_clear_object(&self->device);
	g_clear_object(&self->cancellable);
	g_mutex_clear(&self->mutex);
	g_free(self->pending_status);
	g_ptr_array_unref(self->pending_log);
	g_free(self->status_text);
	G_OBJECT_CLASS(fk_job_parent_class)->finalize(object);
}

static void
fk_job_init(FkJob *self)
{
	g_mutex_init(&self->mutex);
	self->cancellable = g_cancellable_new();
	self->pending_log = g_ptr_array_new_with_free_func(g_free);
}

static void
fk_job_class_init(FkJobClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->get_property = fk_job_get_property;
	object_class->finalize = fk_job_finalize;
	properties[PROP_FRACTION] = g_param_spec_double("fraction", NULL, NULL, 0.0, 1.0, 0.0,
							G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
	properties[PROP_STATUS_TEXT] = g_param_spec_string("status-text", NULL, NULL, NULL,
							   G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
	properties[PROP_BYTES_DONE] = g_param_spec_uint64("bytes-done", NULL, NULL, 0, G_MAXUINT64, 0,
							  G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
	properties[PROP_BYTES_TOTAL] = g_param_spec_uint64("bytes-total", NULL, NULL, 0, G_MAXUINT64, 0,
							   G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
	/* the chip waits for a person to put it into its loader by hand */
	properties[PROP_WAITING] = g_param_spec_boolean("waiting-for-chip", NULL, NULL, FALSE,
							G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
	g_object_class_install_properties(object_class, N_PROPS, properties);
	/* a step the engine took, delivered on the main context */
	signals[SIGNAL_LOG] = g_signal_new("log", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
					   NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}
