/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns FkProgress, weighted steps with a percentage and byte counts; calls nothing else */
#include "config.h"

#include "fk-progress.h"

typedef struct {
	guint weight;
	gchar *status;
} FkProgressStep;

struct _FkProgress {
	GObject parent_instance;
	FkProgress *parent; /* not a reference: the parent owns the child */
	FkProgress *child;
	GArray *steps;	    /* of FkProgressStep */
	guint step_current; /* index of the step in progress */
	gdouble fraction;
	gchar *status;
	guint64 bytes_done;
	guint64 bytes_total;
};

G_DEFINE_TYPE(FkProgress, fk_progress, G_TYPE_OBJECT)

enum { SIGNAL_CHANGED, SIGNAL_LAST };
static guint signals[SIGNAL_LAST] = {0};

static void
fk_progress_step_clear(FkProgressStep *step)
{
	g_free(step->status);
}

FkProgress *
fk_progress_new(void)
{
	return g_object_new(FK_TYPE_PROGRESS, NULL);
}

static FkProgress *
fk_progress_root(FkProgress *self)
{
	while (self->parent != NULL)
		self = self->parent;
	return self;
}

static void
fk_progress_emit(FkProgress *self)
{
	g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

static gdouble
fk_progress_compute(FkProgress *self)
{
	guint total = 0, done = 0;
	if (self->steps->len == 0)
		return self->fraction;
	for (guint i = 0; i < self->steps->len; i++) {
		FkProgressStep *step = &g_array_index(self->steps, FkProgressStep, i);
		total += step->weight;
		if (i < self->step_current)
			done += step->weight;
	}
	if (total == 0)
		return 0.0;
	if (self->step_current < self->steps->len && self->child != NULL) {
		FkProgressStep *step =
		    &g_array_index(self->steps, FkProgressStep, self->step_current);
		return ((gdouble)done + step->weight * self->child->fraction) / total;
	}
	return (gdouble)done / total;
}

static void
fk_progress_update(FkProgress *self)
{
	gdouble fraction = fk_progress_compute(self);
	/* never go backwards: a retried block does not undo what the user saw */
	if (fraction > self->fraction)
		self->fraction = MIN(fraction, 1.0);
	fk_progress_emit(self);
	if (self->parent != NULL)
		fk_progress_update(self->parent);
}

void
fk_progress_add_step(FkProgress *self, guint weight, const gchar *status)
{
	FkProgressStep step = {weight, g_strdup(status)};
	g_return_if_fail(FK_IS_PROGRESS(self));
	g_array_append_val(self->steps, step);
	if (self->steps->len == 1 && status != NULL)
		fk_progress_set_status(self, status);
}

FkProgress *
fk_progress_get_child(FkProgress *self)
{
	g_return_val_if_fail(FK_IS_PROGRESS(self), NULL);
	if (self->child == NULL) {
		self->child = fk_progress_new();
		self->child->parent = self;
	} else {
		fk_progress_reset(self->child);
	}
	return self->child;
}

void
fk_progress_step_done(FkProgress *self)
{
	g_return_if_fail(FK_IS_PROGRESS(self));
	if (self->step_current < self->steps->len)
		self->step_current++;
	if (self->child != NULL)
		fk_progress_reset(self->child);
	if (self->step_current < self->steps->len) {
		FkProgressStep *step =
		    &g_array_index(self->steps, FkProgressStep, self->step_current);
		if (step->status != NULL)
			fk_progress_set_status(self, step->status);
	}
	fk_progress_update(self);
}

void
fk_progress_set_done(FkProgress *self, guint64 done, guint64 total)
{
	FkProgress *root;
	g_return_if_fail(FK_IS_PROGRESS(self));
	root = fk_progress_root(self);
	root->bytes_done = done;
	root->bytes_total = total;
	self->bytes_done = done;
	self->bytes_total = total;
	if (total > 0 && self->steps->len == 0) {
		gdouble fraction = (gdouble)done / total;
		if (fraction > self->fraction)
			self->fraction = MIN(fraction, 1.0);
	}
	fk_progress_update(self);
}

void
fk_progress_set_status(FkProgress *self, const gchar *status)
{
	FkProgress *root = fk_progress_root(self);
	if (g_strcmp0(root->status, status) == 0)
		return;
	g_free(root->status);
	root->status = g_strdup(status);
	fk_progress_emit(root);
}

void
fk_progress_finish(FkProgress *self)
{
	self->step_current = self->steps->len;
	self->fraction = 1.0;
	fk_progress_update(self);
}

void
fk_progress_reset(FkProgress *self)
{
	g_array_set_size(self->steps, 0);
	self->step_current = 0;
	self->fraction = 0.0;
	self->bytes_done = 0;
	self->bytes_total = 0;
	if (self->child != NULL)
		fk_progress_reset(self->child);
}

gdouble
fk_progress_get_fraction(FkProgress *self)
{
	return self->fraction;
}

const gchar *
fk_progress_get_status(FkProgress *self)
{
	return fk_progress_root(self)->status;
}

guint64
fk_progress_get_bytes_done(FkProgress *self)
{
	return fk_progress_root(self)->bytes_done;
}

guint64
fk_progress_get_bytes_total(FkProgress *self)
{
	return fk_progress_root(self)->bytes_total;
}

static void
fk_progress_finalize(GObject *object)
{
	FkProgress *self = FK_PROGRESS(object);
	if (self->child != NULL) {
		self->child->parent = NULL;
		g_object_unref(self->child);
	}
	g_array_unref(self->steps);
	g_free(self->status);
	G_OBJECT_CLASS(fk_progress_parent_class)->finalize(object);
}

static void
fk_progress_init(FkProgress *self)
{
	self->steps = g_array_new(FALSE, TRUE, sizeof(FkProgressStep));
	g_array_set_clear_func(self->steps, (GDestroyNotify)fk_progress_step_clear);
}

static void
fk_progress_class_init(FkProgressClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->finalize = fk_progress_finalize;
	/* emitted on the thread that drives the operation */
	signals[SIGNAL_CHANGED] = g_signal_new("changed",
					       G_TYPE_FROM_CLASS(klass),
					       G_SIGNAL_RUN_LAST,
					       0,
					       NULL,
					       NULL,
					       NULL,
					       G_TYPE_NONE,
					       0);
}
