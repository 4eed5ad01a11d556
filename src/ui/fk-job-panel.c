/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns what a running operation shows (progress bar, amounts and speed, Cancel) and its outcome.
 * May read an FkJob's progress properties and call the UI helpers; it never starts or ends jobs. */
#include "config.h"

#include <glib/gi18n.h>

#include "fk-board-picture.h"
#include "fk-job-panel.h"
#include "fk-ui-util.h"

struct _FkJobPanel {
	GtkWidget parent_instance;

	/* template widgets */
	GtkWidget *guide_box;
	GtkSpinner *guide_spinner;
	GtkWidget *progress_box;
	GtkProgressBar *progress_bar;
	GtkLabel *progress_label;
	GtkWidget *result_box;
	GtkImage *result_icon;
	GtkLabel *result_label;
	GtkWidget *open_folder_button;

	/* owned */
	gint64 transfer_started; /* when the first byte moved, for an honest speed */
	gchar *result_folder;
};

G_DEFINE_FINAL_TYPE(FkJobPanel, fk_job_panel, GTK_TYPE_WIDGET)

static void
fk_job_panel_update_visible(FkJobPanel *self)
{
	gtk_widget_set_visible(GTK_WIDGET(self),
			       gtk_widget_get_visible(self->progress_box) || gtk_widget_get_visible(self->result_box));
}

static void
on_job_progress_cb(FkJob *job, GParamSpec *pspec, FkJobPanel *self)
{
	guint64 done = fk_job_get_bytes_done(job);
	guint64 total = fk_job_get_bytes_total(job);
	const gchar *status = fk_job_get_status_text(job);
	gdouble secs;

	if (self->transfer_started == 0 && done > 0)
		self->transfer_started = g_get_monotonic_time();
	secs = self->transfer_started > 0 ? (g_get_monotonic_time() - self->transfer_started) / 1e6 : 0;

	gtk_progress_bar_set_fraction(self->progress_bar, fk_job_get_fraction(job));
	if (total > 0 && done > 0) {
		g_autofree gchar *d = fk_ui_format_bytes(done);
		g_autofree gchar *t = fk_ui_format_bytes(total);
		g_autofree gchar *rate = fk_ui_format_rate(done, total, secs);
		/* Translators: e.g. "Reading the flash — 512 KB of 1 MB (50 %)" */
		g_autofree gchar *text = g_strdup_printf(_("%s — %s of %s (%.0f %%)"), fk_ui_translate_status(status), d, t,
							 fk_job_get_fraction(job) * 100);
		gtk_progress_bar_set_text(self->progress_bar, text);
		gtk_label_set_text(self->progress_label, rate);
	} else {
		gtk_progress_bar_set_text(self->progress_bar, fk_ui_translate_status(status));
	}
}

/* the guide is there while the chip waits for a person's hands, and goes when it answers */
static void
on_job_waiting_cb(FkJob *job, GParamSpec *pspec, FkJobPanel *self)
{
	gboolean waiting = fk_job_is_waiting_for_chip(job);
	gtk_widget_set_visible(self->guide_box, waiting);
	gtk_spinner_set_spinning(self->guide_spinner, waiting);
	if (waiting)
		gtk_progress_bar_set_text(self->progress_bar, _("Waiting for the chip…"));
}

void
fk_job_panel_set_result(FkJobPanel *self, gboolean success, const gchar *text, const gchar *folder)
{
	g_return_if_fail(FK_IS_JOB_PANEL(self));
	g_free(self->result_folder);
	self->result_folder = g_strdup(folder);
	gtk_image_set_from_icon_name(self->result_icon, success ? "emblem-ok-symbolic" : "dialog-warning-symbolic");
	gtk_widget_remove_css_class(GTK_WIDGET(self->result_icon), success ? "warning" : "success");
	gtk_widget_add_css_class(GTK_WIDGET(self->result_icon), success ? "success" : "warning");
	gtk_label_set_text(self->result_label, text);
	gtk_widget_set_visible(self->open_folder_button, folder != NULL);
	gtk_widget_set_visible(self->result_box, text != NULL);
	fk_job_panel_update_visible(self);
}

const gchar *
fk_job_panel_get_result_folder(FkJobPanel *self)
{
	g_return_val_if_fail(FK_IS_JOB_PANEL(self), NULL);
	return self->result_folder;
}

void
fk_job_panel_start(FkJobPanel *self, FkJob *job)
{
	g_return_if_fail(FK_IS_JOB_PANEL(self));
	g_return_if_fail(FK_IS_JOB(job));
	self->transfer_started = 0;
	fk_job_panel_set_result(self, TRUE, NULL, NULL);
	g_signal_connect_object(job, "notify::fraction", G_CALLBACK(on_job_progress_cb), self, 0);
	g_signal_connect_object(job, "notify::status-text", G_CALLBACK(on_job_progress_cb), self, 0);
	g_signal_connect_object(job, "notify::waiting-for-chip", G_CALLBACK(on_job_waiting_cb), self, 0);
	gtk_progress_bar_set_fraction(self->progress_bar, 0.0);
	gtk_progress_bar_set_text(self->progress_bar, _("Connecting…"));
	gtk_label_set_text(self->progress_label, "");
	gtk_widget_set_visible(self->progress_box, TRUE);
	fk_job_panel_update_visible(self);
}

void
fk_job_panel_stop(FkJobPanel *self)
{
	g_return_if_fail(FK_IS_JOB_PANEL(self));
	gtk_widget_set_visible(self->progress_box, FALSE);
	gtk_widget_set_visible(self->guide_box, FALSE);
	gtk_spinner_set_spinning(self->guide_spinner, FALSE);
	fk_job_panel_update_visible(self);
}

void
fk_job_panel_show_cancelling(FkJobPanel *self)
{
	g_return_if_fail(FK_IS_JOB_PANEL(self));
	gtk_progress_bar_set_text(self->progress_bar, _("Cancelling…"));
}

static void
fk_job_panel_dispose(GObject *object)
{
	gtk_widget_dispose_template(GTK_WIDGET(object), FK_TYPE_JOB_PANEL);
	G_OBJECT_CLASS(fk_job_panel_parent_class)->dispose(object);
}

static void
fk_job_panel_finalize(GObject *object)
{
	FkJobPanel *self = FK_JOB_PANEL(object);
	g_free(self->result_folder);
	G_OBJECT_CLASS(fk_job_panel_parent_class)->finalize(object);
}

static void
fk_job_panel_init(FkJobPanel *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
}

static void
fk_job_panel_class_init(FkJobPanelClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	g_type_ensure(FK_TYPE_BOARD_PICTURE);
	object_class->dispose = fk_job_panel_dispose;
	object_class->finalize = fk_job_panel_finalize;

	gtk_widget_class_set_template_from_resource(widget_class, "/io/github/flashkeep/Flashkeep/fk-job-panel.ui");
	gtk_widget_class_bind_template_child(widget_class, FkJobPanel, guide_box);
	gtk_widget_class_bind_template_child(widget_class, FkJobPanel, guide_spinner);
	gtk_widget_class_bind_template_child(widget_class, FkJobPanel, progress_box);
	gtk_widget_class_bind_template_child(widget_class, FkJobPanel, progress_bar);
	gtk_widget_class_bind_template_child(widget_class, FkJobPanel, progress_label);
	gtk_widget_class_bind_template_child(widget_class, FkJobPanel, result_box);
	gtk_widget_class_bind_template_child(widget_class, FkJobPanel, result_icon);
	gtk_widget_class_bind_template_child(widget_class, FkJobPanel, result_label);
	gtk_widget_class_bind_template_child(widget_class, FkJobPanel, open_folder_button);
}
