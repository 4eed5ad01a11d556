/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns the win.* actions and the jobs behind them: what runs in the worker, starting, finishing.
 * May call FkDevice, fk-flash, FkJob, the window's widgets and its private helpers in fk-window.c. */
#include "config.h"

#include <glib/gstdio.h>

#include <glib/gi18n.h>

#include "fk-error.h"
#include "fk-flash-partition.h"
#include "fk-flash.h"
#include "fk-port.h"
#include "fk-stub.h"
#include "fk-ui-util.h"
#include "fk-window-private.h"

void
_fk_job_data_free(FkJobData *data)
{
	g_free(data->port);
	g_free(data->spi_connection);
	g_free(data->path);
	g_free(data->partition);
	g_free(data->folder);
	if (data->connected_data_free != NULL)
		data->connected_data_free(data->connected_data);
	g_free(data->sidecar_warning);
	g_clear_pointer(&data->diagnosis, fk_diagnosis_free);
	g_free(data->chip_description);
	g_free(data->mac);
	g_free(data->stub_path);
	g_free(data);
}

static void
fk_window_job_log_cb(FkJob *job, const gchar *message, FkWindow *self)
{
	_fk_window_log(self, "%s", message);
}

/* ---- the worker side: runs in the job's thread, never touches widgets ---- */

static gboolean
fk_window_parse_spi(const gchar *text, guint32 *value, GError **error)
{
	if (fk_spi_connection_parse(text, value, NULL))
		return TRUE;
	g_set_error_literal(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
			    _("The SPI connection must be SPI, HSPI or five pin numbers (CLK,Q,D,HD,CS)"));
	return FALSE;
}

/* connects and runs the operation; the caller leaves the board as asked */
static gboolean
fk_window_job_run(FkJob *job, FkJobData *data, FkDevice *device, FkProgress *progress,
		  GCancellable *cancellable, GError **error)
{
	if (!fk_device_connect(device, cancellable, error))
		return FALSE;
	data->chip = fk_device_get_chip(device);
	data->chip_description = g_strdup(fk_device_get_chip_description(device));
	data->mac = fk_device_get_mac_string(device);
	data->flash_id = fk_device_get_flash_id(device);
	data->flash_size = fk_device_get_flash_size(device);
	data->crystal = fk_device_get_crystal_mhz(device);
	data->stub_running = fk_device_is_stub_running(device);
	if (data->connected != NULL)
		data->connected(data, data->connected_data);

	switch (data->op) {
	case FK_OP_IDENTIFY: {
		g_autoptr(FkStub) stub = fk_stub_find(data->chip, NULL);
		if (stub != NULL)
			data->stub_path = g_strdup(stub->path);
		return TRUE;
	}
	case FK_OP_BACKUP: {
		gsize size = data->size > 0 ? data->size : data->flash_size;
		if (data->size > 0 && data->flash_size > 0 && data->size > data->flash_size) {
			/* chosen before the chip was identified; the window refuses it once it is */
			g_autofree gchar *flash = fk_ui_format_bytes(data->flash_size);
			g_autofree gchar *chosen = fk_ui_format_bytes(data->size);
			g_set_error(error, FK_ERROR, FK_ERROR_SIZE_MISMATCH,
				    /* Translators: the chip's flash size, then the size chosen under Flash Size */
				    _("This chip has %s of flash; a %s backup cannot be read from it. Choose “Detected” "
				      "under Flash Size to back up the whole chip."),
				    flash, chosen);
			return FALSE;
		}
		if (size == 0) {
			g_set_error_literal(error, FK_ERROR, FK_ERROR_SIZE_MISMATCH,
					    _("The flash size could not be detected: choose it under Flash Size"));
			return FALSE;
		}
		data->bytes = size;
		if (data->path == NULL) {
			/* named after the chip, now that it is known, as the Board page proposes */
			g_autofree gchar *name = fk_ui_propose_backup_name(
			    data->folder, data->chip != NULL ? data->chip->name : NULL, data->mac, size, data->flash_size);
			data->path = g_build_filename(data->folder, name, NULL);
		}
		fk_progress_set_status(progress, _("Reading the flash"));
		{
			g_autoptr(GError) warning = NULL;
			if (!fk_flash_backup_full(device, 0, size, data->path, FK_BACKUP_FLAG_NONE, &warning, progress,
						  cancellable, error))
				return FALSE;
			if (warning != NULL)
				data->sidecar_warning = g_strdup(warning->message);
			return TRUE;
		}
	}
	case FK_OP_RESTORE: {
		/* the image's own boot header is kept: a restore puts back exactly what was saved;
		 * only what the chip does not hold yet is written, and all of it verified */
		FkRestoreOptions options = {NULL, NULL, NULL,
					    data->verify ? FK_WRITE_FLAG_ONLY_CHANGED : FK_WRITE_FLAG_NO_VERIFY};
		if (data->partition != NULL) {
			/* the partition's size is the image's here (set when it was asked) */
			if (!fk_flash_restore_partition(device, data->path, data->partition,
							data->verify ? FK_WRITE_FLAG_NONE : FK_WRITE_FLAG_NO_VERIFY, progress,
							cancellable, error))
				return FALSE;
			data->written = fk_device_get_bytes_written(device);
			return TRUE;
		}
		if (data->size > 0 && !fk_device_set_flash_size(device, data->size, cancellable, error))
			return FALSE;
		if (!fk_flash_restore(device, 0, data->path, &options, progress, cancellable, error))
			return FALSE;
		data->written = fk_device_get_bytes_written(device);
		{
			GStatBuf st;
			if (g_stat(data->path, &st) == 0)
				data->image_size = (gsize)st.st_size;
		}
		return TRUE;
	}
	case FK_OP_ERASE:
		fk_progress_set_status(progress, _("Erasing the flash"));
		return fk_device_erase_flash(device, progress, cancellable, error);
	case FK_OP_NONE:
	default:
		g_assert_not_reached();
	}
}

/* why the port failed or the chip did not answer, found in the worker: the doctor listens to the
 * chip for a moment */
static void
fk_window_job_examine_port(FkJobData *data, GError **error, GCancellable *cancellable)
{
	if (error == NULL || *error == NULL || g_cancellable_is_cancelled(cancellable))
		return;
	data->diagnosis =
	    fk_port_doctor_examine(data->port, *error, 0, 0, data->reset != FK_RESET_NONE, NULL, cancellable);
}

gboolean
_fk_window_job_func(FkJob *job, FkDevice *unused, FkProgress *progress, GCancellable *cancellable,
		    gpointer user_data, GError **error)
{
	FkJobData *data = user_data;
	g_autoptr(FkTransport) transport = NULL;
	g_autoptr(FkDevice) device = NULL;
	gboolean ok;

	fk_progress_set_status(progress, _("Connecting…"));
	transport = fk_transport_open(data->port, error);
	if (transport == NULL) {
		fk_window_job_examine_port(data, error, cancellable);
		return FALSE;
	}
	device = fk_device_new(transport);
	fk_device_set_log_func(device, fk_job_log, job);
	fk_device_set_reset_mode(device, data->reset);
	fk_device_set_baud(device, data->op == FK_OP_IDENTIFY ? 115200 : data->baud);
	/* identifying needs only the ROM; the operations use the stub when installed */
	fk_device_set_use_stub(device, data->op != FK_OP_IDENTIFY);
	/* an operation the person started waits for them to reset a board by hand, with the guide
	 * shown and Cancel at hand (identifying on its own does not: it has no Cancel) */
	if (data->op != FK_OP_IDENTIFY)
		fk_device_set_wait_for_chip(device, 0, fk_job_set_waiting_for_chip, job);
	if (data->spi_connection != NULL) {
		guint32 value = 0;
		if (!fk_window_parse_spi(data->spi_connection, &value, error))
			return FALSE;
		fk_device_set_spi_connection(device, value);
	}
	ok = fk_window_job_run(job, data, device, progress, cancellable, error);
	data->recoveries = fk_device_get_recoveries(device);
	/* leave the board as asked even after a failure */
	if (fk_device_is_connected(device)) {
		FkAfterMode after = data->op == FK_OP_IDENTIFY && data->reset == FK_RESET_NONE ? FK_AFTER_NO_RESET : data->after;
		g_autoptr(GError) error_after = NULL;
		if (!fk_device_finish(device, after, NULL, &error_after))
			fk_job_log(error_after->message, job);
	}
	fk_transport_close(transport);
	if (!ok)
		fk_window_job_examine_port(data, error, cancellable);
	return ok;
}

/* ---- the main-thread side ---- */

void
_fk_window_update_actions(FkWindow *self)
{
	gboolean busy = self->job != NULL;
	const gchar *port = fk_window_get_port(self);
	/* a port backed up on the Workbench is not offered here until that ends */
	gboolean have_port = port != NULL && g_strcmp0(_fk_window_port_owner(self, port), "workbench") != 0;
	gboolean identified = self->identified != NULL;
	_fk_window_update_backup_action(self, !busy && have_port);
	gtk_widget_action_set_enabled(GTK_WIDGET(self), "win.restore", !busy && have_port && !self->checking_restore);
	gtk_widget_action_set_enabled(GTK_WIDGET(self), "win.restore-file",
				      !busy && have_port && !self->checking_restore);
	gtk_widget_action_set_enabled(GTK_WIDGET(self), "win.restore-partition",
				      !busy && have_port && !self->checking_restore);
	gtk_widget_action_set_enabled(GTK_WIDGET(self), "win.erase", !busy && have_port && identified);
	gtk_widget_action_set_enabled(GTK_WIDGET(self), "win.identify", !busy && have_port);
	gtk_widget_action_set_enabled(GTK_WIDGET(self), "win.cancel", busy && self->job_op != FK_OP_IDENTIFY);
	fk_port_picker_set_busy(self->port_picker, busy);
	gtk_widget_set_sensitive(GTK_WIDGET(self->baud_row), !busy);
	gtk_widget_set_sensitive(GTK_WIDGET(self->reset_row), !busy);
	gtk_widget_set_sensitive(GTK_WIDGET(self->after_row), !busy);
	gtk_widget_set_sensitive(GTK_WIDGET(self->spi_row), !busy);
	if (port != NULL && !have_port)
		gtk_widget_set_tooltip_text(self->backup_button, _("This board is being backed up on the Workbench"));
	_fk_window_workbench_update(self);
}

/* the chip card and the detected flash size, from what identification found */
void
_fk_window_show_device(FkWindow *self)
{
	FkJobData *d = self->identified;
	fk_library_view_set_connected(self->library_view, d != NULL ? d->mac : NULL);
	if (d == NULL) {
		fk_chip_card_clear(self->chip_card);
		fk_port_picker_set_detected_size(self->port_picker, 0);
		return;
	}
	fk_chip_card_show_device(self->chip_card, d->chip, d->chip_description, d->mac, d->flash_id, d->flash_size,
				 d->crystal, d->stub_path);
	fk_port_picker_set_detected_size(self->port_picker, d->flash_size);
	_fk_window_chip_refresh(self);
}

void
_fk_window_show_error(FkWindow *self, const GError *error, const gchar *operation_failed, const gchar *summary,
		     const gchar *hint)
{
	GtkWidget *dialog;
	g_autofree gchar *detail = g_markup_escape_text(error->message, -1);
	GString *body = g_string_new(NULL);

	/* the heading says what failed, the body why, what to do, and the technical detail */
	if (summary == NULL)
		summary = fk_ui_error_summary(error, NULL);
	if (hint == NULL)
		hint = fk_ui_error_hint(error);
	if (summary != NULL) {
		g_autofree gchar *m = g_markup_escape_text(summary, -1);
		g_string_append_printf(body, "<b>%s</b>", m);
	}
	if (hint != NULL) {
		g_autofree gchar *m = g_markup_escape_text(hint, -1);
		if (body->len > 0)
			g_string_append(body, "\n");
		g_string_append(body, m);
	}
	/* an error whose own words are the hint needs no technical detail repeating them */
	if (g_strcmp0(hint, error->message) != 0) {
		if (body->len > 0)
			g_string_append(body, "\n\n");
		/* Translators: the technical detail of an error, shown small */
		g_string_append_printf(body, _("<small>Details: %s</small>"), detail);
	}
	dialog = adw_message_dialog_new(GTK_WINDOW(self), operation_failed, NULL);
	adw_message_dialog_set_body_use_markup(ADW_MESSAGE_DIALOG(dialog), TRUE);
	adw_message_dialog_set_body(ADW_MESSAGE_DIALOG(dialog), body->str);
	adw_message_dialog_add_response(ADW_MESSAGE_DIALOG(dialog), "close", _("_Close"));
	gtk_widget_add_css_class(dialog, "error");
	gtk_window_present(GTK_WINDOW(dialog));
	g_string_free(body, TRUE);
}

static void
fk_window_open_folder_action(GtkWidget *widget, const gchar *action_name, GVariant *param)
{
	FkWindow *self = FK_WINDOW(widget);
	const gchar *folder = fk_job_panel_get_result_folder(self->job_panel);
	if (folder != NULL)
		_fk_window_open_folder(self, folder);
}

static void
fk_window_show_folder_action(GtkWidget *widget, const gchar *action_name, GVariant *param)
{
	_fk_window_open_folder(FK_WINDOW(widget), g_variant_get_string(param, NULL));
}

static void
fk_window_show_backup_result(FkWindow *self, FkJobData *data)
{
	g_autofree gchar *folder = g_path_get_dirname(data->path);
	g_autofree gchar *size = fk_ui_format_bytes(data->bytes);
	g_autofree gchar *text = NULL;

	if (data->flash_size > 0 && data->bytes < data->flash_size) {
		/* a file that looks like a backup but lacks the end of the flash: say so everywhere */
		g_autofree gchar *whole = fk_ui_format_bytes(data->flash_size);
		g_autofree gchar *toast = NULL;
		/* Translators: the size read, the chip's flash size, then where the file is */
		text = g_strdup_printf(_("Partial backup: only the first %s of %s saved and verified, not the whole chip: %s"),
				       size, whole, data->path);
		/* Translators: the size read, then the chip's flash size */
		toast = g_strdup_printf(_("Partial backup saved: first %s of %s"), size, whole);
		fk_job_panel_set_result(self->job_panel, FALSE, text, folder);
		_fk_window_toast(self, toast);
		_fk_window_log(self, _("Saved the first %s of %s to %s (MD5 checked against the chip)"), size, whole,
			      data->path);
	} else {
		/* Translators: the size, then where the file is */
		text = g_strdup_printf(_("Backup of %s saved and verified: %s"), size, data->path);
		fk_job_panel_set_result(self->job_panel, TRUE, text, folder);
		_fk_window_toast(self, _("Backup saved and verified"));
		_fk_window_log(self, _("Saved %s (MD5 checked against the chip)"), data->path);
	}
	if (data->sidecar_warning != NULL)
		_fk_window_log(self, "%s", data->sidecar_warning);
	else
		/* Translators: the backup's description file, written beside it */
		_fk_window_log(self, _("Description saved beside it: %s.json"), data->path);
	g_settings_set_string(self->settings, "last-folder", folder);
	_fk_window_library_add(self, data->path, TRUE);
}

static void
fk_window_job_done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	FkWindow *self = FK_WINDOW(user_data);
	/* the job owns its data: keep it alive until this callback is done with both */
	g_autoptr(FkJob) job = g_object_ref(FK_JOB(source));
	FkJobData *data = g_object_get_data(G_OBJECT(job), "fk-job-data");
	g_autoptr(GError) error = NULL;
	gboolean ok = fk_job_run_finish(job, res, &error);
	FkOp op = self->job_op;

	g_clear_object(&self->job);
	self->job_op = FK_OP_NONE;
	_fk_window_port_release(self, data->port);
	_fk_window_forget_stop_request(self);
	fk_chip_card_set_busy(self->chip_card, FALSE);
	fk_job_panel_stop(self->job_panel);

	/* what the chip said is worth keeping whatever the operation's outcome */
	if (data->chip_description != NULL && g_strcmp0(data->port, fk_window_get_port(self)) == 0) {
		FkJobData *copy = g_new0(FkJobData, 1);
		copy->port = g_strdup(data->port);
		copy->chip = data->chip;
		copy->chip_description = g_strdup(data->chip_description);
		copy->mac = g_strdup(data->mac);
		copy->flash_id = data->flash_id;
		copy->flash_size = data->flash_size;
		copy->crystal = data->crystal;
		copy->stub_path = g_strdup(data->stub_path);
		if (op != FK_OP_IDENTIFY && self->identified != NULL && self->identified->stub_path != NULL && copy->stub_path == NULL)
			copy->stub_path = g_strdup(self->identified->stub_path);
		g_clear_pointer(&self->identified, _fk_job_data_free);
		self->identified = copy;
		_fk_window_show_device(self);
	}

	if (ok && data->recoveries > 0) {
		_fk_window_log(self,
			      ngettext("The link failed %u time on the way; that part was done again and checked. If "
				       "this happens often, choose a lower baud rate or a shorter cable.",
				       "The link failed %u times on the way; each part was done again and checked. If "
				       "this happens often, choose a lower baud rate or a shorter cable.",
				       data->recoveries),
			      data->recoveries);
	}
	if (ok) {
		switch (op) {
		case FK_OP_IDENTIFY:
			_fk_window_log(self, _("Identified %s (%s)"), data->chip_description, data->mac);
			break;
		case FK_OP_BACKUP:
			fk_window_show_backup_result(self, data);
			break;
		case FK_OP_RESTORE:
			_fk_window_show_restore_result(self, data);
			break;
		case FK_OP_ERASE:
			_fk_window_toast(self, _("Flash erased"));
			fk_job_panel_set_result(self->job_panel, TRUE, _("The flash was erased"), NULL);
			_fk_window_log(self, "%s", _("Flash erased"));
			break;
		case FK_OP_NONE:
		default:
			break;
		}
	} else if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		/* a cancel is what the person asked for: no error dialog */
		_fk_window_log(self, "%s", _("Cancelled"));
		if (op == FK_OP_BACKUP)
			fk_job_panel_set_result(self->job_panel, FALSE, _("Backup cancelled: no file was written"), NULL);
		else if (op == FK_OP_RESTORE)
			fk_job_panel_set_result(self->job_panel, FALSE,
						_("Restore stopped: the flash is incomplete and the board may not start "
						  "until a restore completes"),
						NULL);
		else if (op == FK_OP_ERASE)
			fk_job_panel_set_result(self->job_panel, FALSE,
						_("Erase stopped: part of the flash is erased and the board may not start "
						  "until a backup is restored"),
						NULL);
		else if (op != FK_OP_IDENTIFY)
			_fk_window_toast(self, _("Cancelled"));
	} else {
		_fk_window_log(self, "%s", error->message);
		if (data->diagnosis != NULL) {
			_fk_window_log(self, "%s", data->diagnosis->message);
			/* the card says it too, with the command to run */
			if (op != FK_OP_IDENTIFY)
				fk_chip_card_show_error(self->chip_card, error, data->diagnosis);
		}
		switch (op) {
		case FK_OP_IDENTIFY:
			g_clear_pointer(&self->identified, _fk_job_data_free);
			_fk_window_show_device(self);
			fk_chip_card_show_error(self->chip_card, error, data->diagnosis);
			break;
		case FK_OP_BACKUP:
			fk_job_panel_set_result(self->job_panel, FALSE, _("The backup failed: no file was written"), NULL);
			/* a backup that does not fit speaks of the size chosen and what to choose instead */
			if (g_error_matches(error, FK_ERROR, FK_ERROR_SIZE_MISMATCH))
				_fk_window_show_error(self, error, _("The backup failed"),
						     _("The chosen size is larger than the chip’s flash"), error->message);
			else
				_fk_window_show_error(self, error, _("The backup failed"), NULL, NULL);
			break;
		case FK_OP_RESTORE:
			_fk_window_show_error(self, error, _("The restore failed"), NULL, NULL);
			break;
		case FK_OP_ERASE:
			_fk_window_show_error(self, error, _("Erasing failed"), NULL, NULL);
			break;
		case FK_OP_NONE:
		default:
			break;
		}
	}
	_fk_window_update_actions(self);
	if (self->close_after_job)
		gtk_window_close(GTK_WINDOW(self));
	g_object_unref(self);
}

void
_fk_window_start_job(FkWindow *self, FkJobData *data)
{
	g_return_if_fail(self->job == NULL);
	/* a port backed up on the Workbench is left alone until that ends */
	if (data->port == NULL || _fk_window_port_owner(self, data->port) != NULL) {
		_fk_job_data_free(data);
		return;
	}
	_fk_window_port_claim(self, data->port, "board");
	self->job = fk_job_new(NULL, _fk_window_job_func, data, (GDestroyNotify)_fk_job_data_free);
	g_object_set_data(G_OBJECT(self->job), "fk-job-data", data);
	self->job_op = data->op;
	g_signal_connect(self->job, "log", G_CALLBACK(fk_window_job_log_cb), self);
	if (data->op == FK_OP_IDENTIFY) {
		fk_chip_card_set_busy(self->chip_card, TRUE);
	} else {
		fk_job_panel_start(self->job_panel, self->job);
		/* a restore started from the Backups page: its progress and result are on the Board page */
		adw_view_stack_set_visible_child_name(self->view_stack, "board");
	}
	if (data->baud == FK_BAUD_AUTO)
		_fk_window_log(self, _("Connecting to %s, the baud rate chosen for its USB adapter"), data->port);
	else
		_fk_window_log(self, _("Connecting to %s at %u baud"), data->port, data->baud);
	_fk_window_update_actions(self);
	fk_job_run_async(self->job, fk_window_job_done_cb, g_object_ref(self));
}

void
_fk_window_start_identify(FkWindow *self)
{
	if (self->job != NULL || fk_window_get_port(self) == NULL)
		return;
	g_clear_pointer(&self->identified, _fk_job_data_free);
	_fk_window_show_device(self);
	/* a board backed up on the Workbench is identified here once that ends */
	if (_fk_window_port_owner(self, fk_window_get_port(self)) != NULL) {
		_fk_window_update_actions(self);
		return;
	}
	fk_chip_card_show_identifying(self->chip_card);
	_fk_window_start_job(self, _fk_window_job_data_new(self, FK_OP_IDENTIFY));
}

/* ---- backup ---- */

static void
fk_window_backup_to(FkWindow *self, const gchar *path)
{
	FkJobData *data = _fk_window_job_data_new(self, FK_OP_BACKUP);
	data->path = g_strdup(path);
	_fk_window_start_job(self, data);
}

static void
fk_window_backup_response_cb(GtkNativeDialog *dialog, gint response, FkWindow *self)
{
	if (response == GTK_RESPONSE_ACCEPT) {
		g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
		g_autofree gchar *path = g_file_get_path(file);
		if (path != NULL)
			fk_window_backup_to(self, path);
	}
	g_clear_object(&self->chooser);
}

gsize
_fk_window_selected_size(FkWindow *self)
{
	gsize chosen = fk_port_picker_get_flash_size(self->port_picker);
	if (chosen > 0)
		return chosen;
	return self->identified != NULL ? self->identified->flash_size : 0;
}

gchar *
fk_window_propose_backup_name(FkWindow *self, const gchar *folder)
{
	FkJobData *d = self->identified;
	return fk_ui_propose_backup_name(folder, d != NULL && d->chip != NULL ? d->chip->name : NULL,
					 d != NULL ? d->mac : NULL, _fk_window_selected_size(self),
					 d != NULL ? d->flash_size : 0);
}

gchar *
_fk_window_backup_folder(FkWindow *self)
{
	gchar *folder = g_settings_get_string(self->settings, "last-folder");
	if (folder[0] == '\0' || !g_file_test(folder, G_FILE_TEST_IS_DIR)) {
		g_free(folder);
		folder = g_strdup(g_get_user_special_dir(G_USER_DIRECTORY_DOCUMENTS));
		if (folder == NULL)
			folder = g_strdup(g_get_home_dir());
	}
	return folder;
}

static void
fk_window_backup_action(GtkWidget *widget, const gchar *action_name, GVariant *param)
{
	FkWindow *self = FK_WINDOW(widget);
	g_autofree gchar *name = NULL;
	g_autofree gchar *folder = NULL;
	GtkFileChooserNative *chooser;

	if (param != NULL) {
		/* scripted: straight to the given file */
		fk_window_backup_to(self, g_variant_get_string(param, NULL));
		return;
	}
	chooser = gtk_file_chooser_native_new(_("Save Backup"), GTK_WINDOW(self), GTK_FILE_CHOOSER_ACTION_SAVE,
					      _("_Save"), _("_Cancel"));
	folder = _fk_window_backup_folder(self);
	name = fk_window_propose_backup_name(self, folder);
	gtk_file_chooser_set_current_name(GTK_FILE_CHOOSER(chooser), name);
	{
		g_autoptr(GFile) dir = g_file_new_for_path(folder);
		gtk_file_chooser_set_current_folder(GTK_FILE_CHOOSER(chooser), dir, NULL);
	}
	g_signal_connect(chooser, "response", G_CALLBACK(fk_window_backup_response_cb), self);
	self->chooser = GTK_NATIVE_DIALOG(chooser);
	gtk_native_dialog_show(self->chooser);
}

/* ---- erase ---- */

static void
fk_window_erase_confirm_cb(AdwMessageDialog *dialog, const gchar *response, FkWindow *self)
{
	if (g_strcmp0(response, "erase") == 0)
		_fk_window_start_job(self, _fk_window_job_data_new(self, FK_OP_ERASE));
}

static void
fk_window_erase_action(GtkWidget *widget, const gchar *action_name, GVariant *param)
{
	FkWindow *self = FK_WINDOW(widget);
	GtkWidget *dialog;
	g_autofree gchar *body = NULL;
	if (self->identified == NULL)
		return;
	/* Translators: the chip and its MAC address */
	body = g_strdup_printf(_("Everything on the %s (%s), including its firmware, will be deleted. "
				 "This cannot be undone: make a backup first if you may need it."),
			       self->identified->chip_description, self->identified->mac);
	dialog = adw_message_dialog_new(GTK_WINDOW(self), _("Erase the Whole Flash?"), body);
	adw_message_dialog_add_responses(ADW_MESSAGE_DIALOG(dialog), "cancel", _("_Cancel"), "erase", _("_Erase"), NULL);
	adw_message_dialog_set_response_appearance(ADW_MESSAGE_DIALOG(dialog), "erase", ADW_RESPONSE_DESTRUCTIVE);
	adw_message_dialog_set_default_response(ADW_MESSAGE_DIALOG(dialog), "cancel");
	adw_message_dialog_set_close_response(ADW_MESSAGE_DIALOG(dialog), "cancel");
	g_signal_connect(dialog, "response", G_CALLBACK(fk_window_erase_confirm_cb), self);
	gtk_window_present(GTK_WINDOW(dialog));
}

/* ---- other actions ---- */

static void
fk_window_cancel_action(GtkWidget *widget, const gchar *action_name, GVariant *param)
{
	/* Cancel and Escape: a restore or an erase asks first */
	_fk_window_request_stop(FK_WINDOW(widget), FALSE);
}

static void
fk_window_identify_action(GtkWidget *widget, const gchar *action_name, GVariant *param)
{
	_fk_window_start_identify(FK_WINDOW(widget));
}

static void
fk_window_copy_log_action(GtkWidget *widget, const gchar *action_name, GVariant *param)
{
	FkWindow *self = FK_WINDOW(widget);
	GtkTextBuffer *buffer = gtk_text_view_get_buffer(self->log_view);
	GtkTextIter start, end;
	g_autofree gchar *text = NULL;
	gtk_text_buffer_get_bounds(buffer, &start, &end);
	text = gtk_text_buffer_get_text(buffer, &start, &end, FALSE);
	gdk_clipboard_set_text(gtk_widget_get_clipboard(widget), text);
	_fk_window_toast(self, _("Log copied"));
}

void
_fk_window_actions_init(FkWindow *self)
{
	_fk_window_restore_init(self);
}

void
_fk_window_class_actions_init(GtkWidgetClass *widget_class)
{
	/* an optional string parameter names the file directly, skipping the file dialog */
	gtk_widget_class_install_action(widget_class, "win.backup", NULL, fk_window_backup_action);
	gtk_widget_class_install_action(widget_class, "win.backup-to", "s", fk_window_backup_action);
	gtk_widget_class_install_action(widget_class, "win.erase", NULL, fk_window_erase_action);
	gtk_widget_class_install_action(widget_class, "win.cancel", NULL, fk_window_cancel_action);
	gtk_widget_class_install_action(widget_class, "win.identify", NULL, fk_window_identify_action);
	gtk_widget_class_install_action(widget_class, "win.copy-log", NULL, fk_window_copy_log_action);
	gtk_widget_class_install_action(widget_class, "win.open-folder", NULL, fk_window_open_folder_action);
	gtk_widget_class_install_action(widget_class, "win.show-folder", "s", fk_window_show_folder_action);
	_fk_window_class_restore_init(widget_class);

	gtk_widget_class_add_binding_action(widget_class, GDK_KEY_b, GDK_CONTROL_MASK, "win.backup", NULL);
	gtk_widget_class_add_binding_action(widget_class, GDK_KEY_e, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.erase", NULL);
	gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Escape, 0, "win.cancel", NULL);
	gtk_widget_class_add_binding_action(widget_class, GDK_KEY_F5, 0, "win.identify", NULL);
}
