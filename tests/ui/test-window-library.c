/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Widget tests for the Backups page and the checks a restore makes against a backup's
 * description: backups listed by board with the connected one first, each checked; Restore
 * from the list; a backup of another board said first; a damaged one refused unless the person
 * insists; removing one asks whether to delete the file. In-process against the simulator,
 * under Xvfb. */
#include "config.h"

#include <glib/gstdio.h>
#include <locale.h>
#include <string.h>

#include "fk-backup-library.h"
#include "fk-flash-bar.h"
#include "fk-library-view.h"
#include "fk-test-util.h"
#include "fk-window-test-util.h"

/* ---- helpers ---- */

static FkLibraryView *
library_view(Fixture *f)
{
	return FK_LIBRARY_VIEW(template_child(f->win, "library_view"));
}

static gboolean
cond_library_idle(gpointer data)
{
	return !fk_library_view_is_busy(FK_LIBRARY_VIEW(data));
}

/* the Backups page, shown, with every check done */
static FkLibraryView *
show_library(Fixture *f)
{
	FkLibraryView *view = library_view(f);
	adw_view_stack_set_visible_child_name(ADW_VIEW_STACK(template_child(f->win, "view_stack")), "backups");
	spin_until(cond_library_idle, view);
	return view;
}

static GtkWidget *
find_named(GtkWidget *widget, const gchar *name)
{
	if (g_strcmp0(gtk_widget_get_name(widget), name) == 0)
		return widget;
	for (GtkWidget *c = gtk_widget_get_first_child(widget); c != NULL; c = gtk_widget_get_next_sibling(c)) {
		GtkWidget *found = find_named(c, name);
		if (found != NULL)
			return found;
	}
	return NULL;
}

/* the groups on the page, in order */
static GPtrArray *
library_groups(FkLibraryView *view)
{
	GPtrArray *groups = g_ptr_array_new();
	GtkWidget *box = GTK_WIDGET(gtk_widget_get_template_child(GTK_WIDGET(view), FK_TYPE_LIBRARY_VIEW, "groups_box"));
	for (GtkWidget *c = gtk_widget_get_first_child(box); c != NULL; c = gtk_widget_get_next_sibling(c))
		g_ptr_array_add(groups, c);
	return groups;
}

static GtkWidget *
backup_row(FkLibraryView *view, const gchar *path)
{
	return find_named(GTK_WIDGET(view), path);
}

static gchar *
backup(Fixture *f, const gchar *name)
{
	gchar *path = g_build_filename(f->dir, name, NULL);
	start_backup(f, path);
	wait_job_done(f);
	g_assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));
	return path;
}

/* a copy of the backup at @path, as if saved from the board with @mac */
static gchar *
copy_as_other_board(const gchar *path, const gchar *name, const gchar *mac)
{
	g_autofree gchar *dir = g_path_get_dirname(path);
	gchar *copy = g_build_filename(dir, name, NULL);
	g_autofree gchar *copy_json = g_strconcat(copy, ".json", NULL);
	g_autofree gchar *json = g_strconcat(path, ".json", NULL);
	g_autofree gchar *data = NULL;
	g_autofree gchar *text = NULL;
	g_autoptr(FkBackupInfo) info = fk_backup_info_load(path, NULL);
	g_autoptr(GString) str = NULL;
	gsize len = 0;

	g_assert_nonnull(info);
	g_assert_true(g_file_get_contents(path, &data, &len, NULL));
	g_assert_true(g_file_set_contents(copy, data, len, NULL));
	g_assert_true(g_file_get_contents(json, &text, NULL, NULL));
	str = g_string_new(text);
	g_assert_cmpuint(g_string_replace(str, info->mac, mac, 0), ==, 1);
	g_assert_true(g_file_set_contents(copy_json, str->str, str->len, NULL));
	return copy;
}

static void
flip_byte(const gchar *path, gsize at)
{
	g_autofree gchar *data = NULL;
	gsize len = 0;
	g_assert_true(g_file_get_contents(path, &data, &len, NULL));
	g_assert_cmpuint(at, <, len);
	data[at] ^= 0x01;
	g_assert_true(g_file_set_contents(path, data, len, NULL));
}

/* each test starts with an empty list */
static void
setup(Fixture *f, gconstpointer data)
{
	g_autofree gchar *state = g_build_filename(g_get_user_state_dir(), "flashkeep", "library.ini", NULL);
	g_unlink(state);
	fixture_setup(f, data);
}

/* ---- tests ---- */

/* backups are listed by board, the connected board first, each checked; an opened file
 * without a description is listed last */
static void
test_grouped(Fixture *f, gconstpointer data)
{
	g_autofree gchar *first = backup(f, "first.bin");
	g_autofree gchar *second = backup(f, "second.bin");
	g_autofree gchar *other = copy_as_other_board(first, "other-board.bin", "24:0a:c4:aa:bb:cc");
	g_autofree gchar *plain = g_build_filename(f->dir, "plain.bin", NULL);
	g_autoptr(FkBackupInfo) info = fk_backup_info_load(first, NULL);
	g_autoptr(GPtrArray) groups = NULL;
	FkLibraryView *view;
	AdwMessageDialog *dialog;

	/* opened to restore, then not restored: it is listed all the same */
	write_file(plain, f->initial);
	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.restore-file", "s", plain);
	dialog = wait_for_dialog(f->win);
	respond(f->win, dialog, "cancel");

	view = show_library(f);
	groups = library_groups(view);
	g_assert_cmpuint(groups->len, ==, 3);
	g_assert_cmpstr(gtk_widget_get_name(g_ptr_array_index(groups, 0)), ==, info->mac);
	g_assert_cmpstr(adw_preferences_group_get_description(g_ptr_array_index(groups, 0)), ==,
			"The board connected now");
	g_assert_cmpstr(gtk_widget_get_name(g_ptr_array_index(groups, 1)), ==, "24:0a:c4:aa:bb:cc");
	g_assert_cmpstr(gtk_widget_get_name(g_ptr_array_index(groups, 2)), ==, "other");
	/* the connected board's two backups are in its group, checked */
	g_assert_nonnull(find_named(g_ptr_array_index(groups, 0), first));
	g_assert_nonnull(find_named(g_ptr_array_index(groups, 0), second));
	g_assert_nonnull(find_named(g_ptr_array_index(groups, 1), other));
	g_assert_nonnull(find_named(g_ptr_array_index(groups, 2), plain));
	g_assert_nonnull(strstr(adw_expander_row_get_subtitle(ADW_EXPANDER_ROW(backup_row(view, first))), "Intact"));
	g_assert_nonnull(strstr(adw_expander_row_get_subtitle(ADW_EXPANDER_ROW(backup_row(view, plain))), "Origin unknown"));
	adw_expander_row_set_expanded(ADW_EXPANDER_ROW(backup_row(view, first)), TRUE);
	screenshot(GTK_WIDGET(f->win), "library");
}

/* Restore on a row: the question, then the backup written back and verified */
static void
test_restore_from_list(Fixture *f, gconstpointer data)
{
	g_autofree gchar *path = backup(f, "saved.bin");
	g_autoptr(GBytes) saved = sim_flash(f);
	g_autoptr(GBytes) after = NULL;
	GtkWidget *row, *restore;
	AdwMessageDialog *dialog;
	GError *error = NULL;

	/* the board changes after the backup */
	{
		guint8 *buf = g_memdup2(g_bytes_get_data(saved, NULL), g_bytes_get_size(saved));
		g_autoptr(GBytes) changed = NULL;
		memset(buf + 0x40000, 0x5A, 0x1000);
		changed = g_bytes_new_take(buf, g_bytes_get_size(saved));
		g_assert_true(fk_sim_device_set_flash(f->dev, changed, &error));
		g_assert_no_error(error);
	}
	row = backup_row(show_library(f), path);
	g_assert_nonnull(row);
	restore = find_button_with_label(row, "_Restore…");
	g_assert_nonnull(restore);
	g_assert_true(gtk_widget_is_sensitive(restore));
	g_signal_emit_by_name(restore, "clicked");
	dialog = wait_for_dialog(f->win);
	g_assert_cmpstr(adw_message_dialog_get_heading(dialog), ==, "Restore This Image?");
	/* its own board: no warning */
	g_assert_cmpstr(adw_message_dialog_get_response_label(dialog, "restore"), ==, "_Restore");
	respond(f->win, dialog, "restore");
	/* the progress is on the Board page: it is shown */
	g_assert_cmpstr(adw_view_stack_get_visible_child_name(ADW_VIEW_STACK(template_child(f->win, "view_stack"))), ==,
			"board");
	wait_job_done(f);
	after = sim_flash(f);
	assert_bytes_equal(after, saved);
	wait_for_label(GTK_WIDGET(f->win), "written and verified");
}

/* a backup of another board is said first, in plain words */
static void
test_other_board(Fixture *f, gconstpointer data)
{
	g_autofree gchar *path = backup(f, "mine.bin");
	g_autofree gchar *other = copy_as_other_board(path, "theirs.bin", "24:0a:c4:aa:bb:cc");
	AdwMessageDialog *dialog;
	const gchar *body;

	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.restore-file", "s", other);
	dialog = wait_for_dialog(f->win);
	body = adw_message_dialog_get_body(dialog);
	g_test_message("%s", body);
	g_assert_nonnull(strstr(body, "another board"));
	g_assert_nonnull(strstr(body, "24:0a:c4:aa:bb:cc"));
	g_assert_cmpstr(adw_message_dialog_get_response_label(dialog, "restore"), ==, "_Restore Anyway");
	screenshot(GTK_WIDGET(dialog), "library-other-board");
	respond(f->win, dialog, "cancel");
	g_assert_false(fk_window_is_busy(f->win));
}

/* the question before a restore is the only dialog shown */
static gboolean
cond_confirmation_shown(gpointer data)
{
	g_autoptr(GPtrArray) dialogs = list_message_dialogs(FK_WINDOW(data));
	return dialogs->len == 1 &&
	       g_strcmp0(adw_message_dialog_get_heading(g_ptr_array_index(dialogs, 0)), "Restore This Image?") == 0;
}

/* a backup that no longer matches its description is refused unless the person insists */
static void
test_damaged(Fixture *f, gconstpointer data)
{
	g_autofree gchar *path = backup(f, "damaged.bin");
	g_autoptr(GBytes) before = sim_flash(f);
	g_autoptr(GBytes) after = NULL;
	FkLibraryView *view;
	AdwMessageDialog *dialog;

	flip_byte(path, 0x20000);
	view = show_library(f);
	fk_library_view_refresh(view);
	spin_until(cond_library_idle, view);
	g_assert_nonnull(strstr(adw_expander_row_get_subtitle(ADW_EXPANDER_ROW(backup_row(view, path))), "Damaged"));

	/* refused: Cancel is the default, nothing is written */
	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.restore-file", "s", path);
	dialog = wait_for_dialog(f->win);
	g_assert_cmpstr(adw_message_dialog_get_heading(dialog), ==, "This Backup Is Damaged");
	g_assert_nonnull(strstr(adw_message_dialog_get_body(dialog), "SHA-256"));
	g_assert_cmpstr(adw_message_dialog_get_default_response(dialog), ==, "cancel");
	screenshot(GTK_WIDGET(dialog), "library-damaged");
	respond(f->win, dialog, "cancel");
	g_assert_false(fk_window_is_busy(f->win));
	after = sim_flash(f);
	assert_bytes_equal(after, before);

	/* insisting leads to the usual question, which says it again */
	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.restore-file", "s", path);
	dialog = wait_for_dialog(f->win);
	g_signal_emit_by_name(find_button_with_label(GTK_WIDGET(dialog),
						     adw_message_dialog_get_response_label(dialog, "insist")),
			      "clicked");
	spin_until(cond_confirmation_shown, f->win);
	dialog = wait_for_dialog(f->win);
	g_assert_cmpstr(adw_message_dialog_get_heading(dialog), ==, "Restore This Image?");
	g_assert_nonnull(strstr(adw_message_dialog_get_body(dialog), "damaged"));
	g_assert_cmpstr(adw_message_dialog_get_response_label(dialog, "restore"), ==, "_Restore Anyway");
	respond(f->win, dialog, "cancel");
}

static void
press_remove(Fixture *f, FkLibraryView *view, const gchar *path)
{
	GtkWidget *row = backup_row(view, path);
	GtkWidget *button = NULL;
	g_assert_nonnull(row);
	for (GtkWidget *w = row; w != NULL;) {
		/* the trash button, found by its tooltip */
		if (GTK_IS_BUTTON(w) && g_strcmp0(gtk_widget_get_tooltip_text(w), "Remove from the list…") == 0) {
			button = w;
			break;
		}
		if (gtk_widget_get_first_child(w) != NULL) {
			w = gtk_widget_get_first_child(w);
			continue;
		}
		while (w != row && gtk_widget_get_next_sibling(w) == NULL)
			w = gtk_widget_get_parent(w);
		w = w == row ? NULL : gtk_widget_get_next_sibling(w);
	}
	g_assert_nonnull(button);
	g_signal_emit_by_name(button, "clicked");
}

/* removing asks whether the file goes too; kept files stay on disk, deleted ones go with their
 * description */
static void
test_remove(Fixture *f, gconstpointer data)
{
	g_autofree gchar *keep = backup(f, "keep.bin");
	g_autofree gchar *gone = backup(f, "gone.bin");
	g_autofree gchar *keep_json = g_strconcat(keep, ".json", NULL);
	g_autofree gchar *gone_json = g_strconcat(gone, ".json", NULL);
	FkLibraryView *view = show_library(f);
	AdwMessageDialog *dialog;

	press_remove(f, view, keep);
	dialog = wait_for_dialog(f->win);
	g_assert_cmpstr(adw_message_dialog_get_heading(dialog), ==, "Remove the Backup from the List?");
	g_assert_cmpstr(adw_message_dialog_get_default_response(dialog), ==, "cancel");
	g_assert_cmpint(adw_message_dialog_get_response_appearance(dialog, "delete"), ==, ADW_RESPONSE_DESTRUCTIVE);
	screenshot(GTK_WIDGET(dialog), "library-remove");
	respond(f->win, dialog, "remove");
	spin_until(cond_library_idle, view);
	g_assert_null(backup_row(view, keep));
	g_assert_true(g_file_test(keep, G_FILE_TEST_EXISTS));
	g_assert_true(g_file_test(keep_json, G_FILE_TEST_EXISTS));

	press_remove(f, view, gone);
	dialog = wait_for_dialog(f->win);
	respond(f->win, dialog, "delete");
	spin_until(cond_library_idle, view);
	g_assert_null(backup_row(view, gone));
	g_assert_false(g_file_test(gone, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(gone_json, G_FILE_TEST_EXISTS));
	/* nothing left: the empty page */
	g_assert_cmpstr(gtk_stack_get_visible_child_name(
			    GTK_STACK(gtk_widget_get_template_child(GTK_WIDGET(view), FK_TYPE_LIBRARY_VIEW, "stack"))),
			==, "empty");
}

#define PORT_ESP32 "sim:esp32@4MB,paced,latency=2"
#define NVS_OFFSET 0x9000
#define APP_OFFSET 0x10000

/* one partition of a backup, from its row on the Backups page: only it is written back; the
 * rest of the flash keeps what it holds now */
static void
test_restore_partition(Fixture *f, gconstpointer data)
{
	g_autofree gchar *path = backup(f, "esp32.bin");
	g_autoptr(GBytes) saved = sim_flash(f);
	g_autoptr(GBytes) changed = NULL;
	g_autoptr(GBytes) after = NULL;
	gsize len = g_bytes_get_size(saved);
	const guint8 *a, *c;
	FkLibraryView *view;
	GtkWidget *row, *part, *button;
	AdwMessageDialog *dialog;
	GError *error = NULL;

	/* the board's settings and its app both change after the backup */
	{
		guint8 *buf = g_memdup2(g_bytes_get_data(saved, NULL), len);
		memset(buf + NVS_OFFSET + 0x100, 0x11, 64);
		memset(buf + APP_OFFSET + 0x2000, 0x22, 64);
		changed = g_bytes_new_take(buf, len);
		g_assert_true(fk_sim_device_set_flash(f->dev, changed, &error));
		g_assert_no_error(error);
	}
	view = show_library(f);
	row = backup_row(view, path);
	g_assert_nonnull(row);
	adw_expander_row_set_expanded(ADW_EXPANDER_ROW(row), TRUE);
	/* the picture of the flash is there */
	g_assert_nonnull(find_of_type(row, FK_TYPE_FLASH_BAR));
	g_assert_cmpuint(fk_flash_bar_get_n_spans(FK_FLASH_BAR(find_of_type(row, FK_TYPE_FLASH_BAR))), >, 4);
	/* drawn from the file's bytes: the blank sector before the bootloader is empty, not "other data" */
	g_assert_cmpint(fk_flash_bar_get_span(FK_FLASH_BAR(find_of_type(row, FK_TYPE_FLASH_BAR)), 0)->kind, ==,
			FK_FLASH_SPAN_EMPTY);
	screenshot(GTK_WIDGET(f->win), "library-esp32");
	part = find_named(row, "nvs");
	g_assert_nonnull(part);
	button = find_button_with_label(part, "Restore _Only This…");
	g_assert_nonnull(button);
	g_signal_emit_by_name(button, "clicked");
	dialog = wait_for_dialog(f->win);
	g_assert_cmpstr(adw_message_dialog_get_heading(dialog), ==, "Restore Partition “nvs”?");
	g_assert_cmpstr(adw_message_dialog_get_response_label(dialog, "restore"), ==, "_Restore");
	screenshot(GTK_WIDGET(dialog), "library-restore-partition");
	respond(f->win, dialog, "restore");
	/* the list is read again (as after a backup): the row stays open */
	fk_library_view_refresh(view);
	spin_until(cond_library_idle, view);
	g_assert_true(adw_expander_row_get_expanded(ADW_EXPANDER_ROW(backup_row(view, path))));
	wait_job_done(f);

	after = sim_flash(f);
	a = g_bytes_get_data(after, NULL);
	c = g_bytes_get_data(changed, NULL);
	/* nvs is the backup's again; everything else is as it was just before */
	g_assert_cmpmem(a + NVS_OFFSET, 0x6000, (const guint8 *)g_bytes_get_data(saved, NULL) + NVS_OFFSET, 0x6000);
	g_assert_cmpmem(a, NVS_OFFSET, c, NVS_OFFSET);
	g_assert_cmpmem(a + NVS_OFFSET + 0x6000, len - NVS_OFFSET - 0x6000, c + NVS_OFFSET + 0x6000,
			len - NVS_OFFSET - 0x6000);
	wait_for_label(GTK_WIDGET(f->win), "Partition “nvs” of esp32.bin written and verified");
}

int
main(int argc, char **argv)
{
	g_autofree gchar *state = NULL;
	int rc;

	setlocale(LC_ALL, "");
	state = use_own_state_dir();
	gtk_test_init(&argc, &argv, NULL);
	start_app(APP_ID ".UiLibraryTest");

#define ADD(name, func) g_test_add("/fk/window-library/" name, Fixture, PORT_ESP8266, setup, func, fixture_teardown)
	ADD("grouped", test_grouped);
	ADD("restore-from-list", test_restore_from_list);
	ADD("other-board", test_other_board);
	ADD("damaged", test_damaged);
	ADD("remove", test_remove);
	g_test_add("/fk/window-library/restore-partition", Fixture, PORT_ESP32, setup, test_restore_partition,
		   fixture_teardown);
#undef ADD

	rc = g_test_run();

	stop_app();
	fk_test_rm_rf(state);
	return rc;
}
