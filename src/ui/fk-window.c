/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns the window: its construction from the widgets, the Advanced settings, the log, toasts
 * and closing. May call the window's widgets and fk-window-actions.c; the jobs live there. */
#include "config.h"

#include <glib/gi18n.h>

#include "fk-window-private.h"

/* the baud row's entries; 0 is Automatic (as the "baud-rate" setting stores it) */
static const guint bauds[] = {0, 115200, 230400, 460800, 921600, 1500000, 2000000, 3000000};

G_DEFINE_FINAL_TYPE(FkWindow, fk_window, ADW_TYPE_APPLICATION_WINDOW)

/* ---- log ---- */

void
_fk_window_log(FkWindow *self, const gchar *fmt, ...)
{
	GtkTextBuffer *buffer = gtk_text_view_get_buffer(self->log_view);
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree gchar *stamp = g_date_time_format(now, "%H:%M:%S");
	g_autofree gchar *msg = NULL;
	g_autofree gchar *line = NULL;
	GtkTextIter end;
	va_list args;
	va_start(args, fmt);
	msg = g_strdup_vprintf(fmt, args);
	va_end(args);
	line = g_strdup_printf("%s  %s\n", stamp, msg);
	gtk_text_buffer_get_end_iter(buffer, &end);
	gtk_text_buffer_insert(buffer, &end, line, -1);
}

void
_fk_window_toast(FkWindow *self, const gchar *title)
{
	adw_toast_overlay_add_toast(self->toast_overlay, adw_toast_new(title));
}

/* ---- the folder of a result ---- */

static void
fk_window_copy_path_cb(AdwToast *toast, FkWindow *self)
{
	const gchar *path = g_object_get_data(G_OBJECT(toast), "fk-path");
	gdk_clipboard_set_text(gtk_widget_get_clipboard(GTK_WIDGET(self)), path);
}

typedef struct {
	FkWindow *self; /* a reference */
	gchar *folder;
} FkOpenFolder;

static void
fk_open_folder_free(FkOpenFolder *of)
{
	g_object_unref(of->self);
	g_free(of->folder);
	g_free(of);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FkOpenFolder, fk_open_folder_free)

static void
fk_window_open_folder_done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(FkOpenFolder) of = user_data;
	FkWindow *self = of->self;
	const gchar *folder = of->folder;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *name = NULL;
	g_autofree gchar *title = NULL;
	g_autofree gchar *markup = NULL;
	const gchar *reason;
	AdwToast *toast;

	if (g_app_info_launch_default_for_uri_finish(res, &error))
		return;
	_fk_window_log(self, _("Cannot open the folder %s: %s"), folder, error->message);
	/* a toast has one line: GIO's messages repeat the whole path, which the button copies */
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
		reason = _("it no longer exists");
	else if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED) ||
		 g_error_matches(error, G_IO_ERROR, G_IO_ERROR_FAILED))
		reason = _("no file manager is set up to open it");
	else
		reason = error->message;
	name = g_path_get_basename(folder);
	/* Translators: the folder's name, then why it could not be opened */
	title = g_strdup_printf(_("Cannot open “%s”: %s"), name, reason);
	markup = g_markup_escape_text(title, -1);
	toast = adw_toast_new(markup);
	/* the path stays on screen until dismissed, and can be copied to open it another way */
	adw_toast_set_timeout(toast, 0);
	adw_toast_set_button_label(toast, _("_Copy Path"));
	g_object_set_data_full(G_OBJECT(toast), "fk-path", g_strdup(folder), g_free);
	g_signal_connect_object(toast, "button-clicked", G_CALLBACK(fk_window_copy_path_cb), self, 0);
	adw_toast_overlay_add_toast(self->toast_overlay, toast);
}

void
_fk_window_open_folder(FkWindow *self, const gchar *folder)
{
	g_autoptr(GFile) file = g_file_new_for_path(folder);
	g_autofree gchar *uri = g_file_get_uri(file);
	FkOpenFolder *of = g_new0(FkOpenFolder, 1);
	of->self = g_object_ref(self);
	of->folder = g_strdup(folder);
	g_app_info_launch_default_for_uri_async(uri, NULL, NULL, fk_window_open_folder_done_cb, of);
}

/* ---- ports ---- */

const gchar *
fk_window_get_port(FkWindow *self)
{
	return fk_port_picker_get_port(self->port_picker);
}

gboolean
fk_window_select_port(FkWindow *self, const gchar *port)
{
	return fk_port_picker_select_port(self->port_picker, port);
}

gboolean
fk_window_is_busy(FkWindow *self)
{
	return self->job != NULL;
}

static void
on_port_picker_port_gone_cb(FkPortPicker *picker, const gchar *port, FkWindow *self)
{
	_fk_window_log(self, _("Port %s went away"), port);
}

static void
on_port_picker_board_plugged_cb(FkPortPicker *picker, const gchar *port, const gchar *message, FkWindow *self)
{
	_fk_window_log(self, "%s", message);
	_fk_window_toast(self, message);
}

static void
on_port_picker_notify_port_cb(FkPortPicker *picker, GParamSpec *pspec, FkWindow *self)
{
	/* the last result spoke of the board on the other port */
	fk_job_panel_set_result(self->job_panel, TRUE, NULL, NULL);
	_fk_window_start_identify(self);
}

/* ---- settings snapshot ---- */

FkJobData *
_fk_window_job_data_new(FkWindow *self, FkOp op)
{
	FkJobData *data = g_new0(FkJobData, 1);
	guint baud_idx = adw_combo_row_get_selected(self->baud_row);
	const gchar *spi = gtk_editable_get_text(GTK_EDITABLE(self->spi_row));
	data->op = op;
	data->port = g_strdup(fk_window_get_port(self));
	data->baud = baud_idx < G_N_ELEMENTS(bauds) && bauds[baud_idx] != 0 ? bauds[baud_idx] : FK_BAUD_AUTO;
	switch (adw_combo_row_get_selected(self->reset_row)) {
	case 1:
		data->reset = FK_RESET_USB_JTAG;
		break;
	case 2:
		data->reset = FK_RESET_NONE;
		break;
	default:
		data->reset = FK_RESET_AUTO;
		break;
	}
	data->after = adw_combo_row_get_selected(self->after_row) == 1 ? FK_AFTER_NO_RESET : FK_AFTER_HARD_RESET;
	data->verify = gtk_switch_get_active(self->verify_switch);
	/* hidden for a chip that has no such option: then it does not apply */
	data->spi_connection = spi != NULL && spi[0] != '\0' && gtk_widget_get_visible(GTK_WIDGET(self->spi_row))
				   ? g_strdup(spi)
				   : NULL;
	data->size = fk_port_picker_get_flash_size(self->port_picker);
	return data;
}

/* ---- closing ---- */

static gboolean
fk_window_close_request(GtkWindow *window)
{
	FkWindow *self = FK_WINDOW(window);
	gint width, height;

	/* backups on the Workbench are asked about first; the Board page's job after they end */
	if (_fk_window_workbench_close_request(self))
		return TRUE;
	if (self->job == NULL || self->job_op == FK_OP_IDENTIFY) {
		if (self->job != NULL) {
			/* an identification is harmless to interrupt */
			self->close_after_job = TRUE;
			fk_job_cancel(self->job);
			gtk_widget_set_visible(GTK_WIDGET(self), FALSE);
			return TRUE;
		}
		gtk_window_get_default_size(window, &width, &height);
		g_settings_set_int(self->settings, "window-width", width);
		g_settings_set_int(self->settings, "window-height", height);
		g_settings_set_boolean(self->settings, "window-maximized", gtk_window_is_maximized(window));
		return GTK_WINDOW_CLASS(fk_window_parent_class)->close_request(window);
	}
	if (self->close_after_job)
		return TRUE;
	/* what stopping costs depends on the operation: ask in its words */
	_fk_window_request_stop(self, TRUE);
	return TRUE;
}

/* ---- settings ---- */

static void
fk_window_combo_changed_cb(AdwComboRow *row, GParamSpec *pspec, FkWindow *self)
{
	guint idx = adw_combo_row_get_selected(row);
	if (row == self->baud_row && idx < G_N_ELEMENTS(bauds))
		g_settings_set_uint(self->settings, "baud-rate", bauds[idx]);
	else if (row == self->reset_row)
		g_settings_set_string(self->settings, "reset-mode", idx == 1 ? "usb-jtag" : idx == 2 ? "manual" : "auto");
	else if (row == self->after_row)
		g_settings_set_string(self->settings, "after-action", idx == 1 ? "stay" : "hard-reset");
}

static void
fk_window_load_settings(FkWindow *self)
{
	guint baud = g_settings_get_uint(self->settings, "baud-rate");
	g_autofree gchar *reset = g_settings_get_string(self->settings, "reset-mode");
	g_autofree gchar *after = g_settings_get_string(self->settings, "after-action");
	gint width = g_settings_get_int(self->settings, "window-width");
	gint height = g_settings_get_int(self->settings, "window-height");

	/* a rate the row does not offer (any more) becomes Automatic */
	adw_combo_row_set_selected(self->baud_row, 0);
	for (guint i = 0; i < G_N_ELEMENTS(bauds); i++) {
		if (bauds[i] == baud)
			adw_combo_row_set_selected(self->baud_row, i);
	}
	adw_combo_row_set_selected(self->reset_row, g_strcmp0(reset, "usb-jtag") == 0 ? 1 : g_strcmp0(reset, "manual") == 0 ? 2 : 0);
	adw_combo_row_set_selected(self->after_row, g_strcmp0(after, "stay") == 0 ? 1 : 0);
	g_settings_bind(self->settings, "verify", self->verify_switch, "active", G_SETTINGS_BIND_DEFAULT);
	g_settings_bind(self->settings, "spi-connection", self->spi_row, "text", G_SETTINGS_BIND_DEFAULT);
	if (width > 0 && height > 0)
		gtk_window_set_default_size(GTK_WINDOW(self), width, height);
	if (g_settings_get_boolean(self->settings, "window-maximized"))
		gtk_window_maximize(GTK_WINDOW(self));
	g_signal_connect(self->baud_row, "notify::selected", G_CALLBACK(fk_window_combo_changed_cb), self);
	g_signal_connect(self->reset_row, "notify::selected", G_CALLBACK(fk_window_combo_changed_cb), self);
	g_signal_connect(self->after_row, "notify::selected", G_CALLBACK(fk_window_combo_changed_cb), self);
}

/* ---- the Backups page ---- */

void
_fk_window_library_add(FkWindow *self, const gchar *path, gboolean is_backup)
{
	FkBackupLibrary *library = fk_library_view_get_library(self->library_view);
	g_autofree gchar *canon = g_canonicalize_filename(path, NULL);
	g_autoptr(GError) error = NULL;
	gboolean ok;

	/* a file listed already: reading every backup again would change nothing */
	if (!is_backup && fk_library_view_find_entry(self->library_view, canon) != NULL)
		return;
	ok = is_backup ? fk_backup_library_add_backup(library, path, &error)
		       : fk_backup_library_add_file(library, path, &error);
	if (!ok)
		_fk_window_log(self, "%s", error->message);
	fk_library_view_refresh(self->library_view);
}

/* ---- lifecycle ---- */

static void
fk_window_dispose(GObject *object)
{
	FkWindow *self = FK_WINDOW(object);
	if (self->job != NULL)
		fk_job_cancel(self->job);
	_fk_window_forget_stop_request(self);
	_fk_window_workbench_dispose(self);
	if (self->closing != NULL)
		g_cancellable_cancel(self->closing);
	g_clear_object(&self->closing);
	g_clear_object(&self->chooser);
	gtk_widget_dispose_template(GTK_WIDGET(self), FK_TYPE_WINDOW);
	G_OBJECT_CLASS(fk_window_parent_class)->dispose(object);
}

static void
fk_window_finalize(GObject *object)
{
	FkWindow *self = FK_WINDOW(object);
	g_clear_object(&self->settings);
	g_clear_pointer(&self->identified, _fk_job_data_free);
	g_clear_pointer(&self->busy_ports, g_hash_table_unref);
	G_OBJECT_CLASS(fk_window_parent_class)->finalize(object);
}

static void
fk_window_init(FkWindow *self)
{
	/* the port picker has listed the ports and selected the last one by now */
	gtk_widget_init_template(GTK_WIDGET(self));
	self->settings = g_settings_new(APP_ID);

	fk_window_load_settings(self);
	_fk_window_show_device(self);
	_fk_window_actions_init(self);
	_fk_window_workbench_init(self);

	g_signal_connect(self->port_picker, "port-gone", G_CALLBACK(on_port_picker_port_gone_cb), self);
	g_signal_connect(self->port_picker, "notify::port", G_CALLBACK(on_port_picker_notify_port_cb), self);
	g_signal_connect(self->port_picker, "board-plugged", G_CALLBACK(on_port_picker_board_plugged_cb), self);
	_fk_window_update_actions(self);
	fk_library_view_refresh(self->library_view);
	_fk_window_start_identify(self);
}

static void
fk_window_class_init(FkWindowClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
	GtkWindowClass *window_class = GTK_WINDOW_CLASS(klass);

	object_class->dispose = fk_window_dispose;
	object_class->finalize = fk_window_finalize;
	window_class->close_request = fk_window_close_request;

	g_type_ensure(FK_TYPE_PORT_PICKER);
	g_type_ensure(FK_TYPE_CHIP_CARD);
	g_type_ensure(FK_TYPE_JOB_PANEL);
	g_type_ensure(FK_TYPE_LIBRARY_VIEW);
	gtk_widget_class_set_template_from_resource(widget_class, "/io/github/flashkeep/Flashkeep/fk-window.ui");
	gtk_widget_class_bind_template_child(widget_class, FkWindow, toast_overlay);
	gtk_widget_class_bind_template_child(widget_class, FkWindow, backup_button);
	gtk_widget_class_bind_template_child(widget_class, FkWindow, port_picker);
	gtk_widget_class_bind_template_child(widget_class, FkWindow, chip_card);
	gtk_widget_class_bind_template_child(widget_class, FkWindow, job_panel);
	gtk_widget_class_bind_template_child(widget_class, FkWindow, baud_row);
	gtk_widget_class_bind_template_child(widget_class, FkWindow, reset_row);
	gtk_widget_class_bind_template_child(widget_class, FkWindow, after_row);
	gtk_widget_class_bind_template_child(widget_class, FkWindow, verify_switch);
	gtk_widget_class_bind_template_child(widget_class, FkWindow, spi_row);
	gtk_widget_class_bind_template_child(widget_class, FkWindow, log_view);
	gtk_widget_class_bind_template_child(widget_class, FkWindow, view_stack);
	gtk_widget_class_bind_template_child(widget_class, FkWindow, library_view);
	gtk_widget_class_bind_template_child(widget_class, FkWindow, workbench_list);
	gtk_widget_class_bind_template_child(widget_class, FkWindow, workbench_empty);

	_fk_window_class_actions_init(widget_class);
	_fk_window_class_chip_init(widget_class);
	_fk_window_class_workbench_init(widget_class);
}

FkWindow *
fk_window_new(AdwApplication *app)
{
	return g_object_new(FK_TYPE_WINDOW, "application", app, NULL);
}
