/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns one board's card on the Workbench: its port, chip, progress, Cancel and outcome.
 * May read an FkJob's progress properties and call the UI helpers; it never starts or ends jobs. */
#include "config.h"

#include <glib/gi18n.h>

#include "fk-board-card.h"
#include "fk-ui-util.h"

struct _FkBoardCard {
	GtkWidget parent_instance;

	/* template widgets */
	GtkLabel *title_label;
	GtkLabel *port_label;
	GtkLabel *chip_label;
	GtkWidget *backup_button;
	GtkWidget *cancel_button;
	GtkProgressBar *progress_bar;
	GtkWidget *result_box;
	GtkImage *result_icon;
	GtkLabel *result_label;

	/* owned */
	gchar *port;
	gchar *description;
	FkJob *job;
	gboolean startable;
};

G_DEFINE_FINAL_TYPE(FkBoardCard, fk_board_card, GTK_TYPE_WIDGET)

const gchar *
fk_board_card_get_port(FkBoardCard *self)
{
	g_return_val_if_fail(FK_IS_BOARD_CARD(self), NULL);
	return self->port;
}

/* each card's buttons and progress bar name their board: a screen reader hears "Back up
 * Simulated ESP32, 4 MB", not a fourth "Back Up" */
static void
fk_board_card_update_accessible(FkBoardCard *self)
{
	const gchar *name = self->description != NULL ? self->description : self->port;
	/* Translators: the accessible name of a board's Back Up button; the board's name */
	g_autofree gchar *backup = g_strdup_printf(_("Back up %s"), name);
	/* Translators: the accessible name of a board's Cancel button; the board's name */
	g_autofree gchar *cancel = g_strdup_printf(_("Cancel the backup of %s"), name);
	/* Translators: the accessible name of a board's progress bar; the board's name */
	g_autofree gchar *progress = g_strdup_printf(_("Progress of %s"), name);
	gtk_accessible_update_property(GTK_ACCESSIBLE(self->backup_button), GTK_ACCESSIBLE_PROPERTY_LABEL, backup, -1);
	gtk_accessible_update_property(GTK_ACCESSIBLE(self->cancel_button), GTK_ACCESSIBLE_PROPERTY_LABEL, cancel, -1);
	gtk_accessible_update_property(GTK_ACCESSIBLE(self->progress_bar), GTK_ACCESSIBLE_PROPERTY_LABEL, progress, -1);
	gtk_accessible_update_property(GTK_ACCESSIBLE(self), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
}

void
fk_board_card_set_description(FkBoardCard *self, const gchar *description)
{
	g_return_if_fail(FK_IS_BOARD_CARD(self));
	g_free(self->description);
	self->description = g_strdup(description != NULL && description[0] != '\0' ? description : NULL);
	gtk_label_set_text(self->title_label, self->description != NULL ? self->description : self->port);
	/* the port's name is shown under its description, or alone as the title */
	gtk_widget_set_visible(GTK_WIDGET(self->port_label), self->description != NULL);
	fk_board_card_update_accessible(self);
}

void
fk_board_card_set_chip(FkBoardCard *self, const gchar *chip_description, const gchar *mac)
{
	g_autofree gchar *text = NULL;
	g_return_if_fail(FK_IS_BOARD_CARD(self));
	if (chip_description == NULL) {
		gtk_label_set_text(self->chip_label, _("Chip not identified yet"));
		return;
	}
	/* Translators: the chip, then its MAC address */
	text = mac != NULL ? g_strdup_printf(_("%s · MAC %s"), chip_description, mac) : g_strdup(chip_description);
	gtk_label_set_text(self->chip_label, text);
}

static void
on_job_progress_cb(FkJob *job, GParamSpec *pspec, FkBoardCard *self)
{
	guint64 done = fk_job_get_bytes_done(job);
	guint64 total = fk_job_get_bytes_total(job);
	const gchar *status = fk_ui_translate_status(fk_job_get_status_text(job));

	gtk_progress_bar_set_fraction(self->progress_bar, fk_job_get_fraction(job));
	if (total > 0 && done > 0) {
		g_autofree gchar *d = fk_ui_format_bytes(done);
		g_autofree gchar *t = fk_ui_format_bytes(total);
		/* Translators: e.g. "Reading the flash — 512 KB of 1 MB (50 %)" */
		g_autofree gchar *text = g_strdup_printf(_("%s — %s of %s (%.0f %%)"), status, d, t,
							 fk_job_get_fraction(job) * 100);
		gtk_progress_bar_set_text(self->progress_bar, text);
	} else {
		gtk_progress_bar_set_text(self->progress_bar, status);
	}
}

static void
on_job_waiting_cb(FkJob *job, GParamSpec *pspec, FkBoardCard *self)
{
	/* a board without auto-reset: the Board page has the guide; here, what is awaited */
	if (fk_job_is_waiting_for_chip(job))
		gtk_progress_bar_set_text(self->progress_bar,
					  _("Waiting for the chip: hold BOOT and press EN on this board"));
}

static void
fk_board_card_update_buttons(FkBoardCard *self)
{
	gboolean running = self->job != NULL;
	gtk_widget_set_visible(self->backup_button, !running);
	gtk_widget_set_visible(self->cancel_button, running);
	gtk_widget_set_sensitive(self->backup_button, self->startable);
}

FkJob *
fk_board_card_get_job(FkBoardCard *self)
{
	g_return_val_if_fail(FK_IS_BOARD_CARD(self), NULL);
	return self->job;
}

void
fk_board_card_start(FkBoardCard *self, FkJob *job)
{
	g_return_if_fail(FK_IS_BOARD_CARD(self));
	g_return_if_fail(FK_IS_JOB(job));
	g_return_if_fail(self->job == NULL);
	self->job = g_object_ref(job);
	fk_board_card_set_result(self, TRUE, NULL);
	g_signal_connect_object(job, "notify::fraction", G_CALLBACK(on_job_progress_cb), self, 0);
	g_signal_connect_object(job, "notify::status-text", G_CALLBACK(on_job_progress_cb), self, 0);
	g_signal_connect_object(job, "notify::waiting-for-chip", G_CALLBACK(on_job_waiting_cb), self, 0);
	gtk_progress_bar_set_fraction(self->progress_bar, 0.0);
	gtk_progress_bar_set_text(self->progress_bar, _("Connecting…"));
	gtk_widget_set_visible(GTK_WIDGET(self->progress_bar), TRUE);
	fk_board_card_update_buttons(self);
}

void
fk_board_card_stop(FkBoardCard *self)
{
	g_return_if_fail(FK_IS_BOARD_CARD(self));
	if (self->job != NULL)
		g_signal_handlers_disconnect_by_data(self->job, self);
	g_clear_object(&self->job);
	gtk_widget_set_visible(GTK_WIDGET(self->progress_bar), FALSE);
	fk_board_card_update_buttons(self);
}

void
fk_board_card_show_cancelling(FkBoardCard *self)
{
	g_return_if_fail(FK_IS_BOARD_CARD(self));
	gtk_progress_bar_set_text(self->progress_bar, _("Cancelling…"));
	gtk_widget_set_sensitive(self->cancel_button, FALSE);
}

void
fk_board_card_set_result(FkBoardCard *self, gboolean success, const gchar *text)
{
	g_return_if_fail(FK_IS_BOARD_CARD(self));
	gtk_image_set_from_icon_name(self->result_icon, success ? "emblem-ok-symbolic" : "dialog-warning-symbolic");
	gtk_widget_remove_css_class(GTK_WIDGET(self->result_icon), success ? "warning" : "success");
	gtk_widget_add_css_class(GTK_WIDGET(self->result_icon), success ? "success" : "warning");
	gtk_label_set_text(self->result_label, text != NULL ? text : "");
	gtk_widget_set_visible(self->result_box, text != NULL);
}

void
fk_board_card_set_startable(FkBoardCard *self, gboolean startable, const gchar *why)
{
	g_return_if_fail(FK_IS_BOARD_CARD(self));
	self->startable = startable;
	gtk_widget_set_tooltip_text(self->backup_button, startable ? _("Save a verified copy of this board’s flash") : why);
	gtk_widget_set_sensitive(self->cancel_button, TRUE);
	fk_board_card_update_buttons(self);
}

gboolean
fk_board_card_get_startable(FkBoardCard *self)
{
	g_return_val_if_fail(FK_IS_BOARD_CARD(self), FALSE);
	return self->startable && self->job == NULL;
}

static void
fk_board_card_dispose(GObject *object)
{
	FkBoardCard *self = FK_BOARD_CARD(object);
	GtkWidget *child;
	if (self->job != NULL)
		g_signal_handlers_disconnect_by_data(self->job, self);
	g_clear_object(&self->job);
	gtk_widget_dispose_template(GTK_WIDGET(object), FK_TYPE_BOARD_CARD);
	/* the header row is not a template child of its own */
	while ((child = gtk_widget_get_first_child(GTK_WIDGET(object))) != NULL)
		gtk_widget_unparent(child);
	G_OBJECT_CLASS(fk_board_card_parent_class)->dispose(object);
}

static void
fk_board_card_finalize(GObject *object)
{
	FkBoardCard *self = FK_BOARD_CARD(object);
	g_free(self->port);
	g_free(self->description);
	G_OBJECT_CLASS(fk_board_card_parent_class)->finalize(object);
}

static void
fk_board_card_init(FkBoardCard *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
}

static void
fk_board_card_class_init(FkBoardCardClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	object_class->dispose = fk_board_card_dispose;
	object_class->finalize = fk_board_card_finalize;

	gtk_widget_class_set_template_from_resource(widget_class, "/io/github/flashkeep/Flashkeep/fk-board-card.ui");
	gtk_widget_class_bind_template_child(widget_class, FkBoardCard, title_label);
	gtk_widget_class_bind_template_child(widget_class, FkBoardCard, port_label);
	gtk_widget_class_bind_template_child(widget_class, FkBoardCard, chip_label);
	gtk_widget_class_bind_template_child(widget_class, FkBoardCard, backup_button);
	gtk_widget_class_bind_template_child(widget_class, FkBoardCard, cancel_button);
	gtk_widget_class_bind_template_child(widget_class, FkBoardCard, progress_bar);
	gtk_widget_class_bind_template_child(widget_class, FkBoardCard, result_box);
	gtk_widget_class_bind_template_child(widget_class, FkBoardCard, result_icon);
	gtk_widget_class_bind_template_child(widget_class, FkBoardCard, result_label);
	gtk_widget_class_set_accessible_role(widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

FkBoardCard *
fk_board_card_new(const gchar *port, const gchar *description)
{
	FkBoardCard *self = g_object_new(FK_TYPE_BOARD_CARD, NULL);
	GVariant *target = g_variant_new_string(port);
	self->port = g_strdup(port);
	gtk_label_set_text(self->port_label, port);
	gtk_widget_set_tooltip_text(GTK_WIDGET(self->port_label), port);
	g_variant_ref_sink(target);
	gtk_actionable_set_action_target_value(GTK_ACTIONABLE(self->backup_button), target);
	gtk_actionable_set_action_target_value(GTK_ACTIONABLE(self->cancel_button), target);
	g_variant_unref(target);
	fk_board_card_set_description(self, description);
	return self;
}
