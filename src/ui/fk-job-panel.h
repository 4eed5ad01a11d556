/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "fk-job.h"

G_BEGIN_DECLS

#define FK_TYPE_JOB_PANEL (fk_job_panel_get_type())
G_DECLARE_FINAL_TYPE(FkJobPanel, fk_job_panel, FK, JOB_PANEL, GtkWidget)

/* hides the last result and shows @job's progress (bar, amounts, speed) until stopped */
void
fk_job_panel_start(FkJobPanel *self, FkJob *job);
/* the job is over: the progress goes away */
void
fk_job_panel_stop(FkJobPanel *self);
void
fk_job_panel_show_cancelling(FkJobPanel *self);
/* the outcome of the last operation, which stays visible until the next one starts; @text NULL
 * hides it, @folder (may be NULL) is offered with Open Folder */
void
fk_job_panel_set_result(FkJobPanel *self, gboolean success, const gchar *text, const gchar *folder);
const gchar *
fk_job_panel_get_result_folder(FkJobPanel *self);

G_END_DECLS
