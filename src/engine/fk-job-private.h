/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "fk-job.h"

G_BEGIN_DECLS

/* what the worker has posted to the main context, so that tests can check the coalescing
 * whatever the load: @posted progress updates attached since the job was made, @pending those
 * of them that have not run yet (the job keeps that at one at most) */
void
_fk_job_get_update_counts(FkJob *self, guint *posted, guint *pending);

G_END_DECLS
