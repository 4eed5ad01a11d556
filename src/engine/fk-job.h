/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "fk-device.h"

G_BEGIN_DECLS

#define FK_TYPE_JOB (fk_job_get_type())
G_DECLARE_FINAL_TYPE(FkJob, fk_job, FK, JOB, GObject)

/* The bridge between a synchronous engine operation and a main loop: the operation runs in a
 * GTask worker thread with the job's device, progress and cancellable; progress and log lines
 * reach the main context coalesced (one idle update pending at a time), as the "fraction",
 * "status-text", "bytes-done" and "bytes-total" properties and the "log" signal. */

typedef gboolean (*FkJobFunc)(FkJob *job,
			      FkDevice *device,
			      FkProgress *progress,
			      GCancellable *cancellable,
			      gpointer user_data,
			      GError **error);

/* @device (may be NULL when the function opens its own) moves into the job: it is used only by
 * the worker until the job completes */
FkJob *
fk_job_new(FkDevice *device, FkJobFunc func, gpointer user_data, GDestroyNotify user_data_free);
/* queues a log line for the main context; callable from the worker, and usable as an
 * FkDeviceLogFunc with the job as user data */
void
fk_job_log(const gchar *message, gpointer job);
/* the chip needs a person's hands to enter its loader (TRUE) or no longer does; callable from
 * the worker, and usable as an FkDeviceWaitFunc with the job as user data. Reaches the main
 * context as the "waiting-for-chip" property */
void
fk_job_set_waiting_for_chip(gboolean waiting, gpointer job);
gboolean
fk_job_is_waiting_for_chip(FkJob *self);
void
fk_job_run_async(FkJob *self, GAsyncReadyCallback callback, gpointer user_data);
gboolean
fk_job_run_finish(FkJob *self, GAsyncResult *res, GError **error);
void
fk_job_cancel(FkJob *self);
gboolean
fk_job_is_running(FkJob *self);

FkDevice *
fk_job_get_device(FkJob *self);
gdouble
fk_job_get_fraction(FkJob *self);
const gchar *
fk_job_get_status_text(FkJob *self);
guint64
fk_job_get_bytes_done(FkJob *self);
guint64
fk_job_get_bytes_total(FkJob *self);

G_END_DECLS
