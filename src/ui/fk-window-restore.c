/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns restoring from the window: choosing or dropping an image, checking it against its
 * description in a worker (a damaged backup is refused unless the person insists; another
 * board, chip or flash size is said first), the question before writing, and the result.
 * May call fk-flash, the backup library, FkRestoreConfirm and the window's private helpers. */
#include "config.h"

#include <glib/gi18n.h>

#include "fk-backup-library.h"
#include "fk-error.h"
#include "fk-flash-partition.h"
#include "fk-flash.h"
#include "fk-restore-confirm.h"
#include "fk-ui-util.h"
#include "fk-window-private.h"

/* "… written and verified", and how much had to be written */
static gchar *
fk_window_restore_result_text(FkJobData *data, const gchar *base)
{
	g_autofree gchar *written = NULL;
	g_autofree gchar *whole = NULL;

	if (!data->verify)
		return g_strdup_printf(_("%s written, not verified"), base);
	if (data->image_size == 0 || data->written >= data->image_size)
		return g_strdup_printf(_("%s written and verified"), base);
	if (data->written == 0)
		return g_strdup_printf(_("%s verified: the flash already held it, nothing was written"), base);
	written = fk_ui_format_bytes(data->written);
	whole = fk_ui_format_bytes(data->image_size);
	/* Translators: the file, what was written, then the image's size */
	return g_strdup_printf(_("%s written and verified: %s of %s differed, the rest was already identical"), base,
			       written, whole);
}

void
_fk_window_show_restore_result(FkWindow *self, FkJobData *data)
{
	g_autofree gchar *file = g_path_get_basename(data->path);
	g_autofree gchar *base = NULL;
	g_autofree gchar *text = NULL;

	if (data->partition != NULL)
		/* Translators: a partition's name, then the backup it came from */
		base = g_strdup_printf(_("Partition “%s” of %s"), data->partition, file);
	else
		base = g_strdup(file);
	if (data->not_firmware) {
		/* written as asked, but nothing the board can start from */
		text = g_strdup_printf(data->verify ? _("%s written and verified — but it is not a firmware image; the "
							"board will not start")
						    : _("%s written, not verified — but it is not a firmware image; "
							"the board will not start"),
				       base);
		fk_job_panel_set_result(self->job_panel, FALSE, text, NULL);
		_fk_window_toast(self, _("Written, but not a firmware image: the board will not start"));
	} else {
		text = fk_window_restore_result_text(data, base);
		fk_job_panel_set_result(self->job_panel, data->verify, text, NULL);
		_fk_window_toast(self, data->verify ? _("Image restored and verified") : _("Image restored (not verified)"));
	}
	if (data->partition != NULL)
		/* Translators: a partition's name, then the backup's path */
		_fk_window_log(self, _("Restored partition %s from %s"), data->partition, data->path);
	else
		_fk_window_log(self, _("Restored %s"), data->path);
}

/* ---- restore ---- */

static void
fk_window_restore_confirm_cb(AdwMessageDialog *dialog, const gchar *response, FkWindow *self)
{
	if (g_strcmp0(response, "restore") == 0) {
		FkJobData *data = _fk_window_job_data_new(self, FK_OP_RESTORE);
		data->path = g_strdup(fk_restore_confirm_get_path(FK_RESTORE_CONFIRM(dialog)));
		data->not_firmware = !fk_restore_confirm_is_firmware(FK_RESTORE_CONFIRM(dialog));
		_fk_window_start_job(self, data);
	}
}

/* a file to restore (or one partition of it), and what the worker found out about it */
typedef struct {
	gchar *path;
	gchar *label; /* the partition to restore alone, NULL for the whole file */
	GBytes *image;
	FkBackupEntry *entry;
} FkRestoreCheck;

static void
fk_restore_check_free(FkRestoreCheck *check)
{
	g_free(check->path);
	g_free(check->label);
	if (check->image != NULL)
		g_bytes_unref(check->image);
	if (check->entry != NULL)
		fk_backup_entry_unref(check->entry);
	g_free(check);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FkRestoreCheck, fk_restore_check_free)

static void
fk_window_restore_check_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	FkRestoreCheck *check = task_data;
	GError *error = NULL;

	check->image = fk_flash_load_image(check->path, &error);
	if (check->image == NULL) {
		g_task_return_error(task, error);
		return;
	}
	/* the backup against its description: read again, so that it is the file as it is now */
	check->entry = fk_backup_entry_new(check->path);
	if (check->entry == NULL || !fk_backup_entry_check(check->entry, cancellable, &error)) {
		if (error == NULL)
			error = g_error_new(FK_ERROR, FK_ERROR_FILE, _("%s is not a regular file"), check->path);
		g_task_return_error(task, error);
		return;
	}
	g_task_return_boolean(task, TRUE);
}

/* what the backup's description says that does not fit the connected board, or NULL */
static gchar *
fk_window_board_warning(FkWindow *self, const FkBackupInfo *info)
{
	const FkJobData *d = self->identified;
	GString *str = g_string_new(NULL);

	if (info == NULL || d == NULL || d->chip == NULL)
		return g_string_free(str, TRUE);
	if (info->chip_family != NULL && g_ascii_strcasecmp(info->chip_family, d->chip->name) != 0) {
		/* Translators: the chip the backup was saved from, then the connected one */
		g_string_append_printf(str, _("This backup was saved from an %s; the connected chip is an %s."),
				       info->chip_family, d->chip->name);
	} else if (info->mac != NULL && d->mac != NULL && g_ascii_strcasecmp(info->mac, d->mac) != 0) {
		/* Translators: the MAC of the board the backup came from, then the connected board's */
		g_string_append_printf(str, _("This backup was saved from another board (MAC %s); the connected board is "
					      "%s. Restoring it copies that board’s settings and calibration to this "
					      "one."),
				       info->mac, d->mac);
	}
	if (info->flash_size > 0 && d->flash_size > 0 && info->flash_size != d->flash_size) {
		g_autofree gchar *was = fk_ui_format_bytes(info->flash_size);
		g_autofree gchar *now = fk_ui_format_bytes(d->flash_size);
		if (str->len > 0)
			g_string_append_c(str, ' ');
		/* Translators: the flash size of the board the backup came from, then the connected one's */
		g_string_append_printf(str, _("It was saved from %s of flash; this board has %s."), was, now);
	}
	if (str->len == 0)
		return g_string_free(str, TRUE);
	return g_string_free(str, FALSE);
}

static gboolean
fk_backup_state_is_damaged(FkBackupState state)
{
	return state == FK_BACKUP_STATE_DAMAGED || state == FK_BACKUP_STATE_INCOMPLETE;
}

static void
fk_window_restore_partition_confirm_cb(AdwMessageDialog *dialog, const gchar *response, FkWindow *self)
{
	FkRestoreCheck *check = g_object_get_data(G_OBJECT(dialog), "fk-check");
	FkJobData *data;

	if (g_strcmp0(response, "restore") != 0)
		return;
	data = _fk_window_job_data_new(self, FK_OP_RESTORE);
	data->path = g_strdup(check->path);
	data->partition = g_strdup(check->label);
	data->image_size = GPOINTER_TO_SIZE(g_object_get_data(G_OBJECT(dialog), "fk-partition-size"));
	_fk_window_start_job(self, data);
}

/* the question before one partition of a backup is written; takes @check */
static void
fk_window_restore_partition_confirm(FkWindow *self, FkRestoreCheck *check, const gchar *board_warning,
				    gboolean damaged)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *base = g_path_get_basename(check->path);
	g_autofree gchar *base_markup = g_markup_escape_text(base, -1);
	const FkImageInfoPartition *p = NULL;
	g_autofree gchar *heading = NULL;
	g_autofree gchar *size = NULL;
	g_autofree gchar *label = NULL;
	GString *body;
	AdwMessageDialog *dialog;

	if (check->entry->contents != NULL)
		p = fk_flash_partition_find(check->entry->contents, base, check->label, &error);
	if (p == NULL) {
		if (error == NULL)
			error = g_error_new(FK_ERROR, FK_ERROR_FILE, _("%s cannot be read"), check->path);
		_fk_window_show_error(self, error, _("This partition cannot be restored alone"), NULL, NULL);
		fk_restore_check_free(check);
		return;
	}
	size = fk_ui_format_bytes(p->size);
	label = g_markup_escape_text(p->label, -1);
	body = g_string_new(NULL);
	if (board_warning != NULL) {
		g_autofree gchar *m = g_markup_escape_text(board_warning, -1);
		g_string_append_printf(body, "<b>⚠ %s</b>\n\n", m);
	}
	if (damaged)
		g_string_append_printf(body, "<b>⚠ %s</b>\n\n", _("This backup is damaged: it no longer holds what was saved."));
	/* Translators: the partition's size, address and name, then the backup's file name */
	g_string_append_printf(body, _("Only the %s of “%s” at 0x%x are written, from <b>%s</b>. The rest of the flash "
				       "is left as it is, and checked afterwards to be unchanged."),
			       size, label, p->offset, base_markup);
	g_string_append(body, "\n\n");
	g_string_append(body, _("The chip’s partition table is read first: if it is not the backup’s, nothing is "
				"written."));
	/* Translators: the partition's name */
	heading = g_strdup_printf(_("Restore Partition “%s”?"), p->label);
	dialog = ADW_MESSAGE_DIALOG(adw_message_dialog_new(GTK_WINDOW(self), heading, NULL));
	adw_message_dialog_set_body_use_markup(dialog, TRUE);
	adw_message_dialog_set_body(dialog, body->str);
	g_string_free(body, TRUE);
	adw_message_dialog_add_responses(dialog, "cancel", _("_Cancel"), "restore",
					 board_warning != NULL || damaged ? _("_Restore Anyway") : _("_Restore"), NULL);
	adw_message_dialog_set_response_appearance(dialog, "restore", ADW_RESPONSE_DESTRUCTIVE);
	adw_message_dialog_set_default_response(dialog, "cancel");
	adw_message_dialog_set_close_response(dialog, "cancel");
	g_object_set_data(G_OBJECT(dialog), "fk-partition-size", GSIZE_TO_POINTER((gsize)p->size));
	g_object_set_data_full(G_OBJECT(dialog), "fk-check", check, (GDestroyNotify)fk_restore_check_free);
	g_signal_connect(dialog, "response", G_CALLBACK(fk_window_restore_partition_confirm_cb), self);
	gtk_window_present(GTK_WINDOW(dialog));
}

/* takes @check */
static void
fk_window_restore_confirm(FkWindow *self, FkRestoreCheck *check)
{
	g_autofree gchar *board = fk_window_board_warning(self, check->entry->info);
	FkRestoreConfirm *dialog;

	if (check->label != NULL) {
		fk_window_restore_partition_confirm(self, check, board, fk_backup_state_is_damaged(check->entry->state));
		return;
	}
	dialog = fk_restore_confirm_new(GTK_WINDOW(self), check->path, check->image,

							  self->identified != NULL ? self->identified->chip : NULL,
							  self->identified != NULL ? self->identified->chip_description : NULL,
							  _fk_window_selected_size(self));
	if (board != NULL)
		fk_restore_confirm_add_warning(dialog, board);
	if (fk_backup_state_is_damaged(check->entry->state))
		fk_restore_confirm_add_warning(dialog, _("This backup is damaged: it no longer holds what was saved."));
	g_signal_connect(dialog, "response", G_CALLBACK(fk_window_restore_confirm_cb), self);
	gtk_window_present(GTK_WINDOW(dialog));
	fk_restore_check_free(check);
}

static void
fk_window_restore_damaged_cb(AdwMessageDialog *dialog, const gchar *response, FkWindow *self)
{
	if (g_strcmp0(response, "insist") == 0)
		fk_window_restore_confirm(self, g_object_steal_data(G_OBJECT(dialog), "fk-check"));
}

/* a backup that no longer matches its description is refused unless the person insists;
 * takes @check */
static void
fk_window_restore_refuse_damaged(FkWindow *self, FkRestoreCheck *check)
{
	g_autofree gchar *base = g_path_get_basename(check->path);
	g_autofree gchar *body = NULL;
	AdwMessageDialog *dialog;

	/* Translators: the file, then what the check found */
	body = g_strdup_printf(_("“%s” no longer holds what was saved: %s. Writing it may leave the board "
				 "unable to start. Use another backup of this board if you have one."),
			       base, check->entry->state_detail != NULL ? check->entry->state_detail : "");
	dialog = ADW_MESSAGE_DIALOG(adw_message_dialog_new(GTK_WINDOW(self), _("This Backup Is Damaged"), body));
	adw_message_dialog_add_responses(dialog, "cancel", _("_Cancel"), "insist", _("Restore It _Anyway…"), NULL);
	adw_message_dialog_set_response_appearance(dialog, "insist", ADW_RESPONSE_DESTRUCTIVE);
	adw_message_dialog_set_default_response(dialog, "cancel");
	adw_message_dialog_set_close_response(dialog, "cancel");
	g_object_set_data_full(G_OBJECT(dialog), "fk-check", check, (GDestroyNotify)fk_restore_check_free);
	g_signal_connect(dialog, "response", G_CALLBACK(fk_window_restore_damaged_cb), self);
	gtk_window_present(GTK_WINDOW(dialog));
}

static void
fk_window_restore_checked_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	FkWindow *self = FK_WINDOW(source);
	g_autoptr(FkRestoreCheck) check = user_data;
	g_autoptr(GError) error = NULL;

	if (!g_task_propagate_boolean(G_TASK(res), &error) &&
	    g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return; /* the window is closing */
	self->checking_restore = FALSE;
	_fk_window_update_actions(self);
	if (error != NULL) {
		_fk_window_show_error(self, error, _("The image cannot be used"), NULL, NULL);
		return;
	}
	/* opened once, listed from now on */
	_fk_window_library_add(self, check->path, FALSE);
	if (fk_backup_state_is_damaged(check->entry->state))
		fk_window_restore_refuse_damaged(self, g_steal_pointer(&check));
	else
		fk_window_restore_confirm(self, g_steal_pointer(&check));
}

/* reads and checks @path in a worker, then asks; @label names one partition to restore alone */
static void
fk_window_restore_file(FkWindow *self, const gchar *path, const gchar *label)
{
	g_autoptr(GTask) task = NULL;
	FkRestoreCheck *check;

	if (self->checking_restore)
		return;
	self->checking_restore = TRUE;
	_fk_window_update_actions(self);
	check = g_new0(FkRestoreCheck, 1);
	check->path = g_strdup(path);
	check->label = g_strdup(label);
	/* the worker fills the check in; the callback takes it (it outlives the task) */
	task = g_task_new(self, self->closing, fk_window_restore_checked_cb, check);
	g_task_set_task_data(task, check, NULL);
	g_task_run_in_thread(task, fk_window_restore_check_thread);
}

static void
fk_window_restore_response_cb(GtkNativeDialog *dialog, gint response, FkWindow *self)
{
	if (response == GTK_RESPONSE_ACCEPT) {
		g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
		g_autofree gchar *path = g_file_get_path(file);
		if (path != NULL) {
			g_autofree gchar *folder = g_path_get_dirname(path);
			g_settings_set_string(self->settings, "last-folder", folder);
			fk_window_restore_file(self, path, NULL);
		}
	}
	g_clear_object(&self->chooser);
}

static void
fk_window_restore_action(GtkWidget *widget, const gchar *action_name, GVariant *param)
{
	FkWindow *self = FK_WINDOW(widget);
	g_autofree gchar *folder = g_settings_get_string(self->settings, "last-folder");
	GtkFileChooserNative *chooser;
	g_autoptr(GtkFileFilter) filter = gtk_file_filter_new();
	g_autoptr(GtkFileFilter) all = gtk_file_filter_new();

	if (param != NULL) {
		fk_window_restore_file(self, g_variant_get_string(param, NULL), NULL);
		return;
	}
	chooser = gtk_file_chooser_native_new(_("Restore Image"), GTK_WINDOW(self), GTK_FILE_CHOOSER_ACTION_OPEN,
					      _("_Open"), _("_Cancel"));
	gtk_file_filter_set_name(filter, _("Flash images (*.bin)"));
	gtk_file_filter_add_pattern(filter, "*.bin");
	gtk_file_filter_add_pattern(filter, "*.BIN");
	gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(chooser), filter);
	gtk_file_filter_set_name(all, _("All files"));
	gtk_file_filter_add_pattern(all, "*");
	gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(chooser), all);
	if (folder[0] != '\0' && g_file_test(folder, G_FILE_TEST_IS_DIR)) {
		g_autoptr(GFile) dir = g_file_new_for_path(folder);
		gtk_file_chooser_set_current_folder(GTK_FILE_CHOOSER(chooser), dir, NULL);
	}
	g_signal_connect(chooser, "response", G_CALLBACK(fk_window_restore_response_cb), self);
	self->chooser = GTK_NATIVE_DIALOG(chooser);
	gtk_native_dialog_show(self->chooser);
}

static gboolean
fk_window_drop_cb(GtkDropTarget *target, const GValue *value, gdouble x, gdouble y, FkWindow *self)
{
	GFile *file;
	g_autofree gchar *path = NULL;
	if (self->job != NULL || !G_VALUE_HOLDS(value, G_TYPE_FILE))
		return FALSE;
	file = g_value_get_object(value);
	path = g_file_get_path(file);
	if (path == NULL)
		return FALSE;
	fk_window_restore_file(self, path, NULL);
	return TRUE;
}

static void
fk_window_restore_partition_action(GtkWidget *widget, const gchar *action_name, GVariant *param)
{
	const gchar *path = NULL, *label = NULL;
	g_variant_get(param, "(&s&s)", &path, &label);
	fk_window_restore_file(FK_WINDOW(widget), path, label);
}

void
_fk_window_restore_init(FkWindow *self)
{
	/* a file dropped on the window is offered for a restore */
	GtkDropTarget *drop = gtk_drop_target_new(G_TYPE_FILE, GDK_ACTION_COPY);
	g_signal_connect(drop, "drop", G_CALLBACK(fk_window_drop_cb), self);
	gtk_widget_add_controller(GTK_WIDGET(self), GTK_EVENT_CONTROLLER(drop));
}

void
_fk_window_class_restore_init(GtkWidgetClass *widget_class)
{
	/* an optional string parameter names the file directly, skipping the file dialog */
	gtk_widget_class_install_action(widget_class, "win.restore", NULL, fk_window_restore_action);
	gtk_widget_class_install_action(widget_class, "win.restore-file", "s", fk_window_restore_action);
	/* (file, partition label): one partition of a whole-flash backup */
	gtk_widget_class_install_action(widget_class, "win.restore-partition", "(ss)",
					fk_window_restore_partition_action);
	gtk_widget_class_add_binding_action(widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "win.restore", NULL);
}
