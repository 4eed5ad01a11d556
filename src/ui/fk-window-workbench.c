/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns the Workbench page: a card for every port the port picker lists, each backing up its board
 * with a job of its own, Back Up All, the ports busy on either page, and closing while backups
 * run. May call FkJob, the board cards, the port picker and the window's job helpers. */
#include "config.h"

#include <glib/gi18n.h>

#include "fk-board-card.h"
#include "fk-port.h"
#include "fk-ui-util.h"
#include "fk-window-private.h"

/* ---- the ports busy on either page ---- */

const gchar *
_fk_window_port_owner(FkWindow *self, const gchar *port)
{
	if (port == NULL || self->busy_ports == NULL)
		return NULL;
	return g_hash_table_lookup(self->busy_ports, port);
}

void
_fk_window_port_claim(FkWindow *self, const gchar *port, const gchar *page)
{
	g_return_if_fail(_fk_window_port_owner(self, port) == NULL);
	g_hash_table_insert(self->busy_ports, g_strdup(port), (gpointer)page);
}

void
_fk_window_port_release(FkWindow *self, const gchar *port)
{
	if (port != NULL && self->busy_ports != NULL)
		g_hash_table_remove(self->busy_ports, port);
}

/* ---- the cards ---- */

static FkBoardCard *
fk_window_card(FkWindow *self, const gchar *port)
{
	return self->workbench_cards != NULL ? g_hash_table_lookup(self->workbench_cards, port) : NULL;
}

void
_fk_window_workbench_update(FkWindow *self)
{
	GHashTableIter iter;
	gpointer value;
	gboolean any_startable = FALSE;

	if (self->workbench_cards == NULL)
		return;
	g_hash_table_iter_init(&iter, self->workbench_cards);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		FkBoardCard *card = value;
		const gchar *owner = _fk_window_port_owner(self, fk_board_card_get_port(card));
		gboolean on_board = g_strcmp0(owner, "board") == 0;
		fk_board_card_set_startable(card, !on_board && !self->close_after_workbench,
					    on_board ? _("This board is in use on the Board page") : NULL);
		any_startable = any_startable || fk_board_card_get_startable(card);
	}
	/* the chip the Board page identified is known here too */
	if (self->identified != NULL && fk_window_card(self, self->identified->port) != NULL)
		fk_board_card_set_chip(fk_window_card(self, self->identified->port), self->identified->chip_description,
				       self->identified->mac);
	gtk_widget_action_set_enabled(GTK_WIDGET(self), "win.backup-all", any_startable);
	gtk_widget_action_set_enabled(GTK_WIDGET(self), "win.backup-board", !self->close_after_workbench);
}

/* one card per listed port, in the picker's order; a card whose board is being backed up stays
 * until its job ends, even when its port left the list (the job then says what happened) */
static void
fk_window_workbench_sync(FkWindow *self)
{
	const GPtrArray *ports = fk_port_picker_get_ports(self->port_picker);
	g_autoptr(GHashTable) listed = g_hash_table_new(g_str_hash, g_str_equal);
	GtkWidget *previous = NULL;
	GtkWidget *child;

	for (guint i = 0; i < ports->len; i++) {
		const gchar *port = g_ptr_array_index(ports, i);
		const gchar *description = fk_port_picker_get_description(self->port_picker, port);
		FkBoardCard *card = fk_window_card(self, port);
		g_hash_table_add(listed, (gpointer)port);
		if (card == NULL) {
			card = fk_board_card_new(port, description);
			g_hash_table_insert(self->workbench_cards, g_strdup(port), card);
			gtk_box_insert_child_after(self->workbench_list, GTK_WIDGET(card), previous);
		} else {
			fk_board_card_set_description(card, description);
			gtk_box_reorder_child_after(self->workbench_list, GTK_WIDGET(card), previous);
		}
		previous = GTK_WIDGET(card);
	}
	child = gtk_widget_get_first_child(GTK_WIDGET(self->workbench_list));
	while (child != NULL) {
		GtkWidget *next = gtk_widget_get_next_sibling(child);
		FkBoardCard *card = FK_BOARD_CARD(child);
		if (!g_hash_table_contains(listed, fk_board_card_get_port(card)) && fk_board_card_get_job(card) == NULL) {
			g_hash_table_remove(self->workbench_cards, fk_board_card_get_port(card));
			gtk_box_remove(self->workbench_list, child);
		}
		child = next;
	}
	gtk_widget_set_visible(self->workbench_empty, g_hash_table_size(self->workbench_cards) == 0);
	_fk_window_workbench_update(self);
}

static void
on_ports_changed_cb(FkPortPicker *picker, FkWindow *self)
{
	fk_window_workbench_sync(self);
}

/* ---- a card's job ---- */

typedef struct {
	FkBoardCard *card; /* a reference */
	gchar *chip_description;
	gchar *mac;
} FkCardChip;

static void
fk_card_chip_free(FkCardChip *cc)
{
	g_object_unref(cc->card);
	g_free(cc->chip_description);
	g_free(cc->mac);
	g_free(cc);
}

static gboolean
fk_window_card_chip_cb(gpointer user_data)
{
	FkCardChip *cc = user_data;
	fk_board_card_set_chip(cc->card, cc->chip_description, cc->mac);
	return G_SOURCE_REMOVE;
}

/* in the worker: the chip answered; its card says which it is while the backup runs */
static void
fk_window_card_connected(FkJobData *data, gpointer user_data)
{
	FkCardChip *cc = g_new0(FkCardChip, 1);
	cc->card = g_object_ref(FK_BOARD_CARD(user_data));
	cc->chip_description = g_strdup(data->chip_description);
	cc->mac = g_strdup(data->mac);
	g_idle_add_full(G_PRIORITY_DEFAULT, fk_window_card_chip_cb, cc, (GDestroyNotify)fk_card_chip_free);
}

static void
fk_window_card_log_cb(FkJob *job, const gchar *message, FkWindow *self)
{
	FkJobData *data = g_object_get_data(G_OBJECT(job), "fk-job-data");
	_fk_window_log(self, "%s: %s", data->port, message);
}

/* what the card says when the backup failed: what went wrong, what to do, and why the port or
 * the chip did not answer when the engine found out */
static gchar *
fk_window_card_error_text(const GError *error, const FkJobData *data)
{
	const gchar *summary = fk_ui_error_summary(error, NULL);
	const gchar *hint = fk_ui_error_hint(error);
	GString *text = g_string_new(summary != NULL ? summary : _("The backup failed"));
	if (hint != NULL)
		g_string_append_printf(text, "\n%s", hint);
	if (data->diagnosis != NULL)
		g_string_append_printf(text, "\n%s", data->diagnosis->message);
	if (g_strcmp0(hint, error->message) != 0) {
		/* Translators: the technical detail of an error */
		g_string_append_printf(text, "\n");
		g_string_append_printf(text, _("Details: %s"), error->message);
	}
	return g_string_free(text, FALSE);
}

static void
fk_window_card_done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	FkWindow *self = FK_WINDOW(user_data);
	g_autoptr(FkJob) job = g_object_ref(FK_JOB(source));
	FkJobData *data = g_object_get_data(G_OBJECT(job), "fk-job-data");
	g_autoptr(GError) error = NULL;
	gboolean ok = fk_job_run_finish(job, res, &error);
	FkBoardCard *card = g_object_get_data(G_OBJECT(job), "fk-card");

	if (self->workbench_cards == NULL) {
		/* the window went while the board was being backed up */
		g_object_unref(self);
		return;
	}
	self->workbench_jobs--;
	_fk_window_port_release(self, data->port);
	fk_board_card_stop(card);
	if (data->chip_description != NULL)
		fk_board_card_set_chip(card, data->chip_description, data->mac);

	if (ok) {
		g_autofree gchar *size = fk_ui_format_bytes(data->bytes);
		/* Translators: the size, then where the file is */
		g_autofree gchar *text = g_strdup_printf(_("Backup of %s saved and verified: %s"), size, data->path);
		fk_board_card_set_result(card, TRUE, text);
		_fk_window_log(self, _("%s: saved %s (MD5 checked against the chip)"), data->port, data->path);
		if (data->sidecar_warning != NULL)
			_fk_window_log(self, "%s: %s", data->port, data->sidecar_warning);
		_fk_window_library_add(self, data->path, TRUE);
	} else if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		fk_board_card_set_result(card, FALSE, _("Backup cancelled: no file was written"));
		_fk_window_log(self, _("%s: cancelled"), data->port);
	} else {
		g_autofree gchar *text = fk_window_card_error_text(error, data);
		fk_board_card_set_result(card, FALSE, text);
		_fk_window_log(self, "%s: %s", data->port, error->message);
	}

	/* the Board page may offer this port again, and name its chip */
	if (g_strcmp0(data->port, fk_window_get_port(self)) == 0 && self->identified == NULL)
		_fk_window_start_identify(self);
	fk_window_workbench_sync(self);
	_fk_window_update_actions(self);
	if (self->close_after_workbench && self->workbench_jobs == 0) {
		self->close_after_workbench = FALSE;
		gtk_window_close(GTK_WINDOW(self));
	}
	g_object_unref(self);
}

static gboolean
fk_window_card_start(FkWindow *self, FkBoardCard *card)
{
	const gchar *port = fk_board_card_get_port(card);
	FkJobData *data;
	FkJob *job;

	if (!fk_board_card_get_startable(card) || _fk_window_port_owner(self, port) != NULL)
		return FALSE;
	/* the Advanced settings as the Board page would use them, for this port and its own chip */
	data = _fk_window_job_data_new(self, FK_OP_BACKUP);
	g_free(data->port);
	data->port = g_strdup(port);
	data->size = 0;
	g_clear_pointer(&data->spi_connection, g_free);
	data->folder = _fk_window_backup_folder(self);
	data->connected = fk_window_card_connected;
	data->connected_data = g_object_ref(card);
	data->connected_data_free = g_object_unref;

	job = fk_job_new(NULL, _fk_window_job_func, data, (GDestroyNotify)_fk_job_data_free);
	g_object_set_data(G_OBJECT(job), "fk-job-data", data);
	g_object_set_data_full(G_OBJECT(job), "fk-card", g_object_ref(card), g_object_unref);
	g_signal_connect(job, "log", G_CALLBACK(fk_window_card_log_cb), self);
	_fk_window_port_claim(self, port, "workbench");
	self->workbench_jobs++;
	fk_board_card_start(card, job);
	_fk_window_log(self, _("%s: backing up to %s"), port, data->folder);
	fk_job_run_async(job, fk_window_card_done_cb, g_object_ref(self));
	g_object_unref(job);
	return TRUE;
}

/* ---- actions ---- */

static void
fk_window_backup_board_action(GtkWidget *widget, const gchar *action_name, GVariant *param)
{
	FkWindow *self = FK_WINDOW(widget);
	FkBoardCard *card = fk_window_card(self, g_variant_get_string(param, NULL));
	if (card != NULL && fk_window_card_start(self, card))
		_fk_window_update_actions(self);
}

static void
fk_window_cancel_board_action(GtkWidget *widget, const gchar *action_name, GVariant *param)
{
	FkWindow *self = FK_WINDOW(widget);
	FkBoardCard *card = fk_window_card(self, g_variant_get_string(param, NULL));
	/* reading changes nothing on the chip, and the unfinished file is removed: no question */
	if (card == NULL || fk_board_card_get_job(card) == NULL)
		return;
	fk_board_card_show_cancelling(card);
	fk_job_cancel(fk_board_card_get_job(card));
}

static void
fk_window_backup_all_action(GtkWidget *widget, const gchar *action_name, GVariant *param)
{
	FkWindow *self = FK_WINDOW(widget);
	GtkWidget *child;
	guint started = 0;

	for (child = gtk_widget_get_first_child(GTK_WIDGET(self->workbench_list)); child != NULL;
	     child = gtk_widget_get_next_sibling(child)) {
		if (fk_window_card_start(self, FK_BOARD_CARD(child)))
			started++;
	}
	if (started > 0) {
		_fk_window_log(self, ngettext("Backing up %u board", "Backing up %u boards at once", started), started);
		_fk_window_update_actions(self);
	}
}

/* ---- closing ---- */

static void
fk_window_workbench_cancel_all(FkWindow *self)
{
	GHashTableIter iter;
	gpointer value;
	g_hash_table_iter_init(&iter, self->workbench_cards);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		FkBoardCard *card = value;
		if (fk_board_card_get_job(card) != NULL) {
			fk_board_card_show_cancelling(card);
			fk_job_cancel(fk_board_card_get_job(card));
		}
	}
}

static void
fk_window_workbench_stop_response_cb(AdwMessageDialog *dialog, const gchar *response, FkWindow *self)
{
	g_clear_weak_pointer(&self->workbench_stop_dialog);
	if (g_strcmp0(response, "stop") != 0 || self->workbench_jobs == 0)
		return;
	/* the window closes once every backup has ended */
	self->close_after_workbench = TRUE;
	fk_window_workbench_cancel_all(self);
	_fk_window_workbench_update(self);
}

gboolean
_fk_window_workbench_close_request(FkWindow *self)
{
	GtkWidget *dialog;
	g_autofree gchar *body = NULL;

	if (self->workbench_jobs == 0)
		return FALSE;
	if (self->close_after_workbench)
		return TRUE;
	if (self->workbench_stop_dialog != NULL) {
		gtk_window_present(GTK_WINDOW(self->workbench_stop_dialog));
		return TRUE;
	}
	body = g_strdup_printf(ngettext("%u board is being backed up. If the window closes now, its backup is lost "
					"and no file is saved. Nothing on the chip changes.",
					"%u boards are being backed up. If the window closes now, their backups are "
					"lost and no files are saved. Nothing on the chips changes.",
					self->workbench_jobs),
			       self->workbench_jobs);
	dialog = adw_message_dialog_new(GTK_WINDOW(self),
					ngettext("Stop the Workbench Backup and Close?",
						 "Stop the Workbench Backups and Close?", self->workbench_jobs),
					body);
	adw_message_dialog_add_responses(ADW_MESSAGE_DIALOG(dialog), "continue", _("_Keep Running"), "stop",
					 _("_Stop and Close"), NULL);
	adw_message_dialog_set_response_appearance(ADW_MESSAGE_DIALOG(dialog), "stop", ADW_RESPONSE_DESTRUCTIVE);
	adw_message_dialog_set_default_response(ADW_MESSAGE_DIALOG(dialog), "continue");
	adw_message_dialog_set_close_response(ADW_MESSAGE_DIALOG(dialog), "continue");
	g_signal_connect(dialog, "response", G_CALLBACK(fk_window_workbench_stop_response_cb), self);
	g_set_weak_pointer(&self->workbench_stop_dialog, dialog);
	gtk_window_present(GTK_WINDOW(dialog));
	return TRUE;
}

void
_fk_window_workbench_dispose(FkWindow *self)
{
	if (self->workbench_stop_dialog != NULL) {
		GtkWidget *dialog = self->workbench_stop_dialog;
		g_clear_weak_pointer(&self->workbench_stop_dialog);
		g_signal_handlers_disconnect_by_data(dialog, self);
		gtk_window_destroy(GTK_WINDOW(dialog));
	}
	if (self->workbench_cards != NULL) {
		fk_window_workbench_cancel_all(self);
		g_clear_pointer(&self->workbench_cards, g_hash_table_unref);
	}
}

/* ---- set-up ---- */

void
_fk_window_workbench_init(FkWindow *self)
{
	self->busy_ports = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->workbench_cards = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_signal_connect_object(self->port_picker, "ports-changed", G_CALLBACK(on_ports_changed_cb), self, 0);
	fk_window_workbench_sync(self);
}

void
_fk_window_class_workbench_init(GtkWidgetClass *widget_class)
{
	gtk_widget_class_install_action(widget_class, "win.backup-board", "s", fk_window_backup_board_action);
	gtk_widget_class_install_action(widget_class, "win.cancel-board", "s", fk_window_cancel_board_action);
	gtk_widget_class_install_action(widget_class, "win.backup-all", NULL, fk_window_backup_all_action);
}
