/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define FK_TYPE_PROGRESS (fk_progress_get_type())
G_DECLARE_FINAL_TYPE(FkProgress, fk_progress, FK, PROGRESS, GObject)

/* Weighted-step progress in the spirit of fwupd's FuProgress: an operation declares its steps
 * with weights up front, hands fk_progress_get_child() to each sub-step and calls
 * fk_progress_step_done() after each. It emits "changed" on the calling thread and never goes
 * backwards. Not thread-safe: one thread owns it. */

FkProgress *
fk_progress_new(void);
void
fk_progress_add_step(FkProgress *self, guint weight, const gchar *status);
FkProgress *
fk_progress_get_child(FkProgress *self);
void
fk_progress_step_done(FkProgress *self);
/* for leaves: @done of @total units (bytes) */
void
fk_progress_set_done(FkProgress *self, guint64 done, guint64 total);
void
fk_progress_set_status(FkProgress *self, const gchar *status);
/* marks the whole operation finished (fraction 1.0) */
void
fk_progress_finish(FkProgress *self);
void
fk_progress_reset(FkProgress *self);

gdouble
fk_progress_get_fraction(FkProgress *self);
const gchar *
fk_progress_get_status(FkProgress *self);
/* bytes of the innermost leaf that reported them, for speed figures */
guint64
fk_progress_get_bytes_done(FkProgress *self);
guint64
fk_progress_get_bytes_total(FkProgress *self);

G_END_DECLS
