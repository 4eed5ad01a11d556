/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns stopping a running operation by Cancel, Escape or closing the window, and the question
 * asked first, in the words of that operation. May call FkJob, the job panel and the window's log. */
#include "config.h"

#include <glib/gi18n.h>

#include "fk-window-private.h"

/* cancels at once; the job's end tells what the chip was left with */
static void
fk_window_stop_job(FkWindow *self, gboolean closing)
{
	if (self->job == NULL)
		return;
	if (closing)
		self->close_after_job = TRUE;
	_fk_window_log(self, "%s", _("Cancelling…"));
	fk_job_panel_show_cancelling(self->job_panel);
	fk_job_cancel(self->job);
}

/* the question is answered or moot: the next Cancel asks again */
static GtkWidget *
fk_window_take_stop_dialog(FkWindow *self)
{
	GtkWidget *dialog = self->stop_dialog;
	if (dialog != NULL)
		g_object_remove_weak_pointer(G_OBJECT(dialog), (gpointer *)&self->stop_dialog);
	self->stop_dialog = NULL;
	return dialog;
}

static void
fk_window_stop_response_cb(AdwMessageDialog *dialog, const gchar *response, FkWindow *self)
{
	gboolean closing = GPOINTER_TO_INT(g_object_get_data(G_OBJECT(dialog), "fk-closing"));
	fk_window_take_stop_dialog(self);
	if (g_strcmp0(response, "stop") == 0)
		fk_window_stop_job(self, closing);
}

void
_fk_window_forget_stop_request(FkWindow *self)
{
	GtkWidget *dialog = fk_window_take_stop_dialog(self);
	if (dialog != NULL) {
		g_signal_handlers_disconnect_by_data(dialog, self);
		gtk_window_destroy(GTK_WINDOW(dialog));
	}
}

void
_fk_window_request_stop(FkWindow *self, gboolean closing)
{
	const gchar *heading;
	const gchar *body;
	const gchar *stop_label;
	const gchar *keep_label;
	GtkWidget *dialog;

	if (self->job == NULL || self->job_op == FK_OP_NONE)
		return;
	/* a second Escape or Cancel while the question is open asks nothing new */
	if (self->stop_dialog != NULL) {
		gtk_window_present(GTK_WINDOW(self->stop_dialog));
		return;
	}
	switch (self->job_op) {
	case FK_OP_BACKUP:
		/* reading changes nothing on the chip, and the unfinished file is removed */
		if (!closing) {
			fk_window_stop_job(self, FALSE);
			return;
		}
		heading = _("Stop the Backup and Close?");
		body = _("The backup in progress is lost and no file is saved. Nothing on the chip changes.");
		stop_label = _("_Stop and Close");
		keep_label = _("_Keep Running");
		break;
	case FK_OP_RESTORE:
		heading = closing ? _("Stop Writing and Close?") : _("Stop Writing?");
		body = _("The restore has already erased or rewritten part of the flash. If it stops now, the "
			 "chip is left with part of the old contents and part of the new, and the board may not "
			 "start until a restore completes.");
		stop_label = closing ? _("_Stop Writing and Close") : _("_Stop Writing");
		keep_label = _("_Keep Going");
		break;
	case FK_OP_ERASE:
		heading = closing ? _("Stop Erasing and Close?") : _("Stop Erasing?");
		body = _("Part of the flash is already erased. If it stops now, the board may not start until "
			 "a backup is restored.");
		stop_label = closing ? _("_Stop Erasing and Close") : _("_Stop Erasing");
		keep_label = _("_Keep Going");
		break;
	case FK_OP_IDENTIFY:
		/* harmless to interrupt: the caller closes without asking */
		fk_window_stop_job(self, closing);
		return;
	case FK_OP_NONE:
	default:
		return;
	}
	dialog = adw_message_dialog_new(GTK_WINDOW(self), heading, body);
	adw_message_dialog_add_responses(ADW_MESSAGE_DIALOG(dialog), "continue", keep_label, "stop", stop_label, NULL);
	adw_message_dialog_set_response_appearance(ADW_MESSAGE_DIALOG(dialog), "stop", ADW_RESPONSE_DESTRUCTIVE);
	/* Escape, or Enter, on the question keeps the operation running */
	adw_message_dialog_set_default_response(ADW_MESSAGE_DIALOG(dialog), "continue");
	adw_message_dialog_set_close_response(ADW_MESSAGE_DIALOG(dialog), "continue");
	g_object_set_data(G_OBJECT(dialog), "fk-closing", GINT_TO_POINTER(closing));
	g_signal_connect(dialog, "response", G_CALLBACK(fk_window_stop_response_cb), self);
	self->stop_dialog = dialog;
	g_object_add_weak_pointer(G_OBJECT(dialog), (gpointer *)&self->stop_dialog);
	gtk_window_present(GTK_WINDOW(dialog));
}
