/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns the Backups page: the backups Flashkeep knows of, grouped by board with the connected
 * one first, each checked in a worker and explained; taking one off the list (and deleting it
 * when asked). May call the engine's backup library and the UI helpers; restoring goes through
 * the window's win.restore-file action, which asks first. */
#include "config.h"

#include <glib/gi18n.h>

#include "fk-flash-bar.h"
#include "fk-library-view.h"
#include "fk-ui-contents.h"
#include "fk-ui-util.h"

struct _FkLibraryView {
	GtkWidget parent_instance;

	/* template widgets */
	GtkStack *stack;
	GtkWidget *groups_box;

	/* owned */
	FkBackupLibrary *library;
	GPtrArray *entries; /* FkBackupEntry, checked; NULL before the first refresh */
	gchar *connected;
	GCancellable *cancellable; /* of the running refresh, NULL when none */
	gboolean refresh_again;
};

G_DEFINE_FINAL_TYPE(FkLibraryView, fk_library_view, GTK_TYPE_WIDGET)

FkBackupLibrary *
fk_library_view_get_library(FkLibraryView *self)
{
	g_return_val_if_fail(FK_IS_LIBRARY_VIEW(self), NULL);
	return self->library;
}

gboolean
fk_library_view_is_busy(FkLibraryView *self)
{
	g_return_val_if_fail(FK_IS_LIBRARY_VIEW(self), FALSE);
	return self->cancellable != NULL;
}

FkBackupEntry *
fk_library_view_find_entry(FkLibraryView *self, const gchar *path)
{
	g_return_val_if_fail(FK_IS_LIBRARY_VIEW(self), NULL);
	for (guint i = 0; self->entries != NULL && i < self->entries->len; i++) {
		FkBackupEntry *entry = g_ptr_array_index(self->entries, i);
		if (g_strcmp0(entry->path, path) == 0)
			return entry;
	}
	return NULL;
}

/* ---- rows ---- */

static const gchar *
fk_library_state_text(FkBackupState state)
{
	switch (state) {
	case FK_BACKUP_STATE_INTACT:
		return _("✓ Intact");
	case FK_BACKUP_STATE_DAMAGED:
		return _("⚠ Damaged");
	case FK_BACKUP_STATE_INCOMPLETE:
		return _("⚠ Incomplete");
	case FK_BACKUP_STATE_NOT_DESCRIBED:
		return _("Origin unknown");
	case FK_BACKUP_STATE_DESCRIPTION_INVALID:
		return _("⚠ Description unreadable");
	case FK_BACKUP_STATE_MISSING:
		return _("⚠ File missing");
	case FK_BACKUP_STATE_UNREADABLE:
		return _("⚠ Cannot be read");
	case FK_BACKUP_STATE_UNCHECKED:
	default:
		return _("Not checked");
	}
}

static const gchar *
fk_library_state_explained(FkBackupState state)
{
	switch (state) {
	case FK_BACKUP_STATE_INTACT:
		return _("Its size and SHA-256 are those recorded when it was saved");
	case FK_BACKUP_STATE_DAMAGED:
		return _("Its contents changed after it was saved: do not rely on it");
	case FK_BACKUP_STATE_INCOMPLETE:
		return _("Its size is not the one recorded when it was saved: part of it is missing");
	case FK_BACKUP_STATE_NOT_DESCRIBED:
		return _("No description was saved beside it: which board it came from, and whether it is intact, "
			 "cannot be told");
	case FK_BACKUP_STATE_DESCRIPTION_INVALID:
		return _("The description beside it cannot be understood, so it cannot be checked");
	case FK_BACKUP_STATE_MISSING:
		return _("The file was moved or deleted");
	case FK_BACKUP_STATE_UNREADABLE:
	case FK_BACKUP_STATE_UNCHECKED:
	default:
		return _("The file cannot be read");
	}
}

static gchar *
fk_library_format_time(gint64 unix_time)
{
	g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(unix_time);
	g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_local(utc) : NULL;
	/* Translators: a backup's date and time, see the strftime manual */
	return local != NULL ? g_date_time_format(local, _("%-d %b %Y, %H:%M")) : g_strdup("?");
}

static GtkWidget *
fk_library_info_row(const gchar *title, const gchar *subtitle)
{
	GtkWidget *row = adw_action_row_new();
	g_autofree gchar *t = g_markup_escape_text(title, -1);
	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), t);
	if (subtitle != NULL) {
		g_autofree gchar *s = g_markup_escape_text(subtitle, -1);
		adw_action_row_set_subtitle(ADW_ACTION_ROW(row), s);
	}
	return row;
}

static gchar *
fk_library_origin_text(const FkBackupInfo *info)
{
	GString *str = g_string_new(NULL);
	g_autofree gchar *flash = info->flash_size > 0 ? fk_ui_format_bytes(info->flash_size) : NULL;

	if (info->port_description != NULL)
		/* Translators: the port's name, then what it says it is */
		g_string_append_printf(str, _("%s (%s)"), info->port, info->port_description);
	else
		g_string_append(str, info->port != NULL ? info->port : "?");
	if (info->usb_vid != 0 || info->usb_pid != 0)
		g_string_append_printf(str, ", USB %04x:%04x", info->usb_vid, info->usb_pid);
	if (info->usb_serial != NULL)
		/* Translators: the USB adapter's serial number */
		g_string_append_printf(str, _(", serial %s"), info->usb_serial);
	g_string_append_printf(str, _(" at %u baud"), info->baud);
	if (info->link_errors > 0)
		g_string_append_printf(str, ngettext("; %u transmission error survived", "; %u transmission errors survived",
						     info->link_errors),
				       info->link_errors);
	if (flash != NULL && info->flash_maker != NULL)
		/* Translators: the flash size, then its maker, e.g. "4 MB flash by Winbond" */
		g_string_append_printf(str, _("\n%s flash by %s"), flash, info->flash_maker);
	else if (flash != NULL)
		g_string_append_printf(str, _("\n%s flash"), flash);
	return g_string_free(str, FALSE);
}

static void
fk_library_open_folder_cb(GtkButton *button, const gchar *folder)
{
	gtk_widget_activate_action(GTK_WIDGET(button), "win.show-folder", "s", folder);
}

static void fk_library_view_ask_remove(FkLibraryView *self, FkBackupEntry *entry);

static void
fk_library_remove_clicked_cb(GtkButton *button, FkLibraryView *self)
{
	FkBackupEntry *entry = g_object_get_data(G_OBJECT(button), "fk-entry");
	fk_library_view_ask_remove(self, entry);
}

/* the picture of the flash, then each partition with Restore for it alone (or what the file
 * holds, when it has no partition table) */
static void
fk_library_add_contents(GtkWidget *row, FkBackupEntry *entry)
{
	const FkImageDescription *desc = entry->contents;
	GtkWidget *bar_row = adw_preferences_row_new();
	GtkWidget *bar = fk_flash_bar_new();

	gtk_widget_set_margin_top(bar, 12);
	gtk_widget_set_margin_bottom(bar, 12);
	gtk_widget_set_margin_start(bar, 12);
	gtk_widget_set_margin_end(bar, 12);
	fk_flash_bar_set_spans(FK_FLASH_BAR(bar), entry->layout);
	gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(bar_row), bar);
	gtk_list_box_row_set_activatable(GTK_LIST_BOX_ROW(bar_row), FALSE);
	adw_expander_row_add_row(ADW_EXPANDER_ROW(row), bar_row);

	if (!desc->table.found) {
		g_autofree gchar *parts = fk_ui_describe_parts(desc);
		if (parts != NULL)
			adw_expander_row_add_row(ADW_EXPANDER_ROW(row), fk_library_info_row(_("Contents"), parts));
		return;
	}
	for (guint i = 0; i < desc->table.partitions->len; i++) {
		const FkImageInfoPartition *p = &g_array_index(desc->table.partitions, FkImageInfoPartition, i);
		g_autofree gchar *line = fk_ui_describe_partition(desc, i);
		GtkWidget *part_row = fk_library_info_row(p->label, line);
		GtkWidget *restore;

		gtk_widget_set_name(part_row, p->label);
		if (p->inside) {
			restore = gtk_button_new_with_mnemonic(_("Restore _Only This…"));
			gtk_widget_set_valign(restore, GTK_ALIGN_CENTER);
			gtk_widget_add_css_class(restore, "flat");
			gtk_widget_set_tooltip_text(restore, _("Write only this partition back; the rest of the flash "
							       "stays as it is"));
			gtk_actionable_set_action_name(GTK_ACTIONABLE(restore), "win.restore-partition");
			gtk_actionable_set_action_target(GTK_ACTIONABLE(restore), "(ss)", entry->path, p->label);
			adw_action_row_add_suffix(ADW_ACTION_ROW(part_row), restore);
		}
		adw_expander_row_add_row(ADW_EXPANDER_ROW(row), part_row);
	}
}

static GtkWidget *
fk_library_entry_row(FkLibraryView *self, FkBackupEntry *entry)
{
	GtkWidget *row = adw_expander_row_new();
	g_autofree gchar *base = g_path_get_basename(entry->path);
	g_autofree gchar *base_markup = g_markup_escape_text(base, -1);
	g_autofree gchar *when = fk_library_format_time(fk_backup_entry_get_time(entry));
	g_autofree gchar *size = fk_ui_format_bytes(entry->size);
	g_autofree gchar *contents = fk_ui_describe_contents(entry->contents);
	g_autofree gchar *subtitle = NULL;
	g_autofree gchar *subtitle_markup = NULL;
	g_autofree gchar *folder = g_path_get_dirname(entry->path);
	GtkWidget *restore, *remove, *open;

	/* Translators: a backup's date, size, what it holds and whether it is intact */
	subtitle = g_strdup_printf(_("%s · %s · %s · %s"), when, size, contents, fk_library_state_text(entry->state));
	subtitle_markup = g_markup_escape_text(subtitle, -1);
	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), base_markup);
	adw_expander_row_set_subtitle(ADW_EXPANDER_ROW(row), subtitle_markup);
	gtk_widget_set_name(row, entry->path);

	restore = gtk_button_new_with_mnemonic(_("_Restore…"));
	gtk_widget_set_valign(restore, GTK_ALIGN_CENTER);
	gtk_widget_set_tooltip_text(restore, _("Write this backup to the connected board"));
	gtk_actionable_set_action_name(GTK_ACTIONABLE(restore), "win.restore-file");
	gtk_actionable_set_action_target(GTK_ACTIONABLE(restore), "s", entry->path);
	gtk_widget_set_sensitive(restore, entry->state != FK_BACKUP_STATE_MISSING);
	adw_expander_row_add_action(ADW_EXPANDER_ROW(row), restore);

	remove = gtk_button_new_from_icon_name("user-trash-symbolic");
	gtk_widget_set_valign(remove, GTK_ALIGN_CENTER);
	gtk_widget_add_css_class(remove, "flat");
	gtk_widget_set_tooltip_text(remove, _("Remove from the list…"));
	gtk_accessible_update_property(GTK_ACCESSIBLE(remove), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Remove from the list"), -1);
	g_object_set_data_full(G_OBJECT(remove), "fk-entry", fk_backup_entry_ref(entry),
			       (GDestroyNotify)fk_backup_entry_unref);
	g_signal_connect(remove, "clicked", G_CALLBACK(fk_library_remove_clicked_cb), self);
	adw_expander_row_add_action(ADW_EXPANDER_ROW(row), remove);

	/* the details, when opened */
	{
		const gchar *detail = entry->state_detail != NULL ? entry->state_detail
								  : fk_library_state_explained(entry->state);
		adw_expander_row_add_row(ADW_EXPANDER_ROW(row),
					 fk_library_info_row(fk_library_state_text(entry->state), detail));
	}
	if (entry->info != NULL) {
		g_autofree gchar *origin = fk_library_origin_text(entry->info);
		/* Translators: the chip model and its MAC address */
		g_autofree gchar *title = g_strdup_printf(_("Saved from %s, MAC %s"),
							  entry->info->chip_model != NULL ? entry->info->chip_model : "?",
							  entry->info->mac != NULL ? entry->info->mac : "?");
		adw_expander_row_add_row(ADW_EXPANDER_ROW(row), fk_library_info_row(title, origin));
	}
	if (entry->contents != NULL && entry->layout != NULL)
		fk_library_add_contents(row, entry);
	{
		GtkWidget *file_row = fk_library_info_row(_("File"), entry->path);
		open = gtk_button_new_from_icon_name("folder-open-symbolic");
		gtk_widget_set_valign(open, GTK_ALIGN_CENTER);
		gtk_widget_add_css_class(open, "flat");
		gtk_widget_set_tooltip_text(open, _("Open the folder"));
		g_signal_connect_data(open, "clicked", G_CALLBACK(fk_library_open_folder_cb), g_steal_pointer(&folder),
				      (GClosureNotify)(void (*)(void))g_free, 0);
		adw_action_row_add_suffix(ADW_ACTION_ROW(file_row), open);
		adw_expander_row_add_row(ADW_EXPANDER_ROW(row), file_row);
	}
	return row;
}

static gchar *
fk_library_group_title(const FkBackupGroup *group)
{
	if (group->board == NULL)
		return g_strdup(_("Other Images"));
	/* Translators: the chip model and the board's MAC address */
	return g_strdup_printf(_("%s · %s"), group->chip_model != NULL ? group->chip_model : _("Unknown chip"),
			       group->board);
}

static void
fk_library_collect_expanded(GtkWidget *widget, GHashTable *expanded)
{
	if (ADW_IS_EXPANDER_ROW(widget)) {
		if (adw_expander_row_get_expanded(ADW_EXPANDER_ROW(widget)))
			g_hash_table_add(expanded, g_strdup(gtk_widget_get_name(widget)));
		return;
	}
	for (GtkWidget *c = gtk_widget_get_first_child(widget); c != NULL; c = gtk_widget_get_next_sibling(c))
		fk_library_collect_expanded(c, expanded);
}

static void
fk_library_view_show(FkLibraryView *self)
{
	g_autoptr(GPtrArray) groups = NULL;
	g_autoptr(GHashTable) expanded = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GtkWidget *child;

	/* the rows are made again: the ones open now stay open */
	fk_library_collect_expanded(self->groups_box, expanded);
	while ((child = gtk_widget_get_first_child(self->groups_box)) != NULL)
		gtk_box_remove(GTK_BOX(self->groups_box), child);
	if (self->entries == NULL || self->entries->len == 0) {
		gtk_stack_set_visible_child_name(self->stack, self->cancellable != NULL ? "checking" : "empty");
		return;
	}
	groups = fk_backup_library_group(self->entries, self->connected);
	for (guint i = 0; i < groups->len; i++) {
		FkBackupGroup *group = g_ptr_array_index(groups, i);
		GtkWidget *pg = adw_preferences_group_new();
		g_autofree gchar *title = fk_library_group_title(group);
		g_autofree gchar *title_markup = g_markup_escape_text(title, -1);
		gboolean connected = group->board != NULL && self->connected != NULL &&
				     g_ascii_strcasecmp(group->board, self->connected) == 0;
		adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(pg), title_markup);
		if (connected)
			adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(pg), _("The board connected now"));
		else if (group->board == NULL)
			adw_preferences_group_set_description(
			    ADW_PREFERENCES_GROUP(pg), _("Opened files without a description: their board is not known"));
		gtk_widget_set_name(pg, group->board != NULL ? group->board : "other");
		for (guint j = 0; j < group->entries->len; j++) {
			FkBackupEntry *entry = g_ptr_array_index(group->entries, j);
			GtkWidget *row = fk_library_entry_row(self, entry);
			adw_expander_row_set_expanded(ADW_EXPANDER_ROW(row), g_hash_table_contains(expanded, entry->path));
			adw_preferences_group_add(ADW_PREFERENCES_GROUP(pg), row);
		}
		gtk_box_append(GTK_BOX(self->groups_box), pg);
	}
	gtk_stack_set_visible_child_name(self->stack, "list");
}

void
fk_library_view_set_connected(FkLibraryView *self, const gchar *board)
{
	g_return_if_fail(FK_IS_LIBRARY_VIEW(self));
	if (g_strcmp0(self->connected, board) == 0)
		return;
	g_free(self->connected);
	self->connected = g_strdup(board);
	fk_library_view_show(self);
}

/* ---- checking, in a worker ---- */

static void
fk_library_view_check_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	FkLibraryView *self = source;
	g_autoptr(GPtrArray) entries = fk_backup_library_list(self->library, cancellable);
	g_autoptr(GError) error = NULL;

	for (guint i = 0; i < entries->len; i++) {
		if (!fk_backup_entry_check(g_ptr_array_index(entries, i), cancellable, &error)) {
			g_task_return_error(task, g_steal_pointer(&error));
			return;
		}
	}
	g_task_return_pointer(task, g_steal_pointer(&entries), (GDestroyNotify)g_ptr_array_unref);
}

static void
fk_library_view_checked_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	FkLibraryView *self = FK_LIBRARY_VIEW(source);
	g_autoptr(GError) error = NULL;
	GPtrArray *entries = g_task_propagate_pointer(G_TASK(res), &error);

	if (entries == NULL) {
		/* cancelled: the view is going away */
		return;
	}
	g_clear_object(&self->cancellable);
	g_clear_pointer(&self->entries, g_ptr_array_unref);
	self->entries = entries;
	fk_library_view_show(self);
	if (self->refresh_again) {
		self->refresh_again = FALSE;
		fk_library_view_refresh(self);
	}
}

void
fk_library_view_refresh(FkLibraryView *self)
{
	g_autoptr(GTask) task = NULL;

	g_return_if_fail(FK_IS_LIBRARY_VIEW(self));
	if (self->cancellable != NULL) {
		/* the list may have changed since that one started */
		self->refresh_again = TRUE;
		return;
	}
	self->cancellable = g_cancellable_new();
	if (self->entries == NULL)
		gtk_stack_set_visible_child_name(self->stack, "checking");
	task = g_task_new(self, self->cancellable, fk_library_view_checked_cb, NULL);
	g_task_set_source_tag(task, fk_library_view_refresh);
	g_task_run_in_thread(task, fk_library_view_check_thread);
}

/* ---- removing ---- */

static void
fk_library_remove_response_cb(AdwMessageDialog *dialog, const gchar *response, FkLibraryView *self)
{
	FkBackupEntry *entry = g_object_get_data(G_OBJECT(dialog), "fk-entry");
	g_autoptr(GError) error = NULL;
	gboolean delete_file = g_strcmp0(response, "delete") == 0;

	if (!delete_file && g_strcmp0(response, "remove") != 0)
		return;
	if (!fk_backup_library_remove(self->library, entry->path, delete_file, &error)) {
		GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
		GtkWidget *err = adw_message_dialog_new(GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL,
							delete_file ? _("The Backup Was Not Deleted")
								    : _("The List Was Not Saved"),
							error->message);
		adw_message_dialog_add_response(ADW_MESSAGE_DIALOG(err), "close", _("_Close"));
		gtk_window_present(GTK_WINDOW(err));
	}
	fk_library_view_refresh(self);
}

static void
fk_library_view_ask_remove(FkLibraryView *self, FkBackupEntry *entry)
{
	GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
	g_autofree gchar *base = g_path_get_basename(entry->path);
	g_autofree gchar *body = NULL;
	AdwMessageDialog *dialog;

	if (entry->state == FK_BACKUP_STATE_MISSING)
		body = g_strdup_printf(_("“%s” is no longer there: it is only taken off the list."), base);
	else
		body = g_strdup_printf(_("“%s” can stay on the disk, or be deleted with its description. A deleted "
					 "backup cannot be brought back."),
				       base);
	dialog = ADW_MESSAGE_DIALOG(adw_message_dialog_new(GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL,
							    _("Remove the Backup from the List?"), body));
	adw_message_dialog_add_responses(dialog, "cancel", _("_Cancel"), "remove", _("_Keep the File"), NULL);
	if (entry->state != FK_BACKUP_STATE_MISSING) {
		adw_message_dialog_add_response(dialog, "delete", _("_Delete the File"));
		adw_message_dialog_set_response_appearance(dialog, "delete", ADW_RESPONSE_DESTRUCTIVE);
	}
	adw_message_dialog_set_default_response(dialog, "cancel");
	adw_message_dialog_set_close_response(dialog, "cancel");
	g_object_set_data_full(G_OBJECT(dialog), "fk-entry", fk_backup_entry_ref(entry),
			       (GDestroyNotify)fk_backup_entry_unref);
	g_signal_connect_object(dialog, "response", G_CALLBACK(fk_library_remove_response_cb), self, 0);
	gtk_window_present(GTK_WINDOW(dialog));
}

/* ---- life ---- */

static void
fk_library_view_dispose(GObject *object)
{
	FkLibraryView *self = FK_LIBRARY_VIEW(object);
	if (self->cancellable != NULL)
		g_cancellable_cancel(self->cancellable);
	gtk_widget_dispose_template(GTK_WIDGET(self), FK_TYPE_LIBRARY_VIEW);
	G_OBJECT_CLASS(fk_library_view_parent_class)->dispose(object);
}

static void
fk_library_view_finalize(GObject *object)
{
	FkLibraryView *self = FK_LIBRARY_VIEW(object);
	/* a running check holds a reference on the view: none runs now */
	g_clear_object(&self->cancellable);
	g_clear_pointer(&self->entries, g_ptr_array_unref);
	g_clear_pointer(&self->library, fk_backup_library_free);
	g_free(self->connected);
	G_OBJECT_CLASS(fk_library_view_parent_class)->finalize(object);
}

static void
fk_library_view_init(FkLibraryView *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	self->library = fk_backup_library_new(NULL);
}

static void
fk_library_view_class_init(FkLibraryViewClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	object_class->dispose = fk_library_view_dispose;
	object_class->finalize = fk_library_view_finalize;
	gtk_widget_class_set_template_from_resource(widget_class, "/io/github/flashkeep/Flashkeep/fk-library-view.ui");
	gtk_widget_class_bind_template_child(widget_class, FkLibraryView, stack);
	gtk_widget_class_bind_template_child(widget_class, FkLibraryView, groups_box);
}
