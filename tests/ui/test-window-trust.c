/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Widget tests for what the window tells a person about sizes, stops and results: a partial
 * backup is never shown as a full one, a size the chip cannot give is refused, stopping a write
 * is asked first, a restored file that cannot boot is not a success, and results, names and
 * questions speak of the board and the operation they belong to. In-process against the
 * simulator, under Xvfb (tests/ui/meson.build), with the helpers of fk-window-test-util. */
#include "config.h"

#include <locale.h>
#include <string.h>

#include "fk-application.h"
#include "fk-test-util.h"
#include "fk-window-test-util.h"

#define PORT_ESP32 "sim:esp32@4MB,paced,latency=2"
#define SIZE_512KB_INDEX 2 /* positions in Flash Size: Detected, 256 KB, 512 KB, 1 MB, 2 MB, 4 MB */
#define SIZE_4MB_INDEX 5

/* ---- what the window shows ---- */

static AdwComboRow *
size_row(Fixture *f)
{
	return ADW_COMBO_ROW(template_child(f->win, "size_row"));
}

static const gchar *
result_text(Fixture *f)
{
	GtkWidget *box = template_child(f->win, "result_box");
	if (!gtk_widget_get_visible(box))
		return NULL;
	return gtk_label_get_label(GTK_LABEL(template_child(f->win, "result_label")));
}

/* the result line's icon is styled as a warning, not as a success */
static void
assert_result_is_warning(Fixture *f)
{
	GtkWidget *icon = template_child(f->win, "result_icon");
	g_assert_true(gtk_widget_has_css_class(icon, "warning"));
	g_assert_false(gtk_widget_has_css_class(icon, "success"));
	g_assert_cmpstr(gtk_image_get_icon_name(GTK_IMAGE(icon)), !=, "emblem-ok-symbolic");
}

static void
select_port(Fixture *f, const gchar *port)
{
	g_assert_true(fk_window_select_port(f->win, port));
	spin_until(cond_identified, f);
}

/* the window closed and opened again, as after a restart of the application */
static void
reopen_window(Fixture *f)
{
	gtk_window_destroy(GTK_WINDOW(f->win));
	drain_main_context();
	g_assert_finalize_object(f->win);
	f->win = g_object_ref(fk_window_new(ADW_APPLICATION(fk_window_test_app)));
	gtk_window_present(GTK_WINDOW(f->win));
	spin_until(cond_identified, f);
}

/* an image of this chip with new contents after its boot header, written to @name */
static gchar *
write_restore_image(Fixture *f, const gchar *name)
{
	gchar *path = g_build_filename(f->dir, name, NULL);
	guint8 *buf = g_memdup2(g_bytes_get_data(f->initial, NULL), FLASH_1MB);
	g_autoptr(GBytes) image = NULL;
	for (gsize i = 0x1000; i < FLASH_1MB; i++)
		buf[i] = (guint8)(i * 7 + 3);
	image = g_bytes_new_take(buf, FLASH_1MB);
	write_file(path, image);
	return path;
}

static void
start_restore(Fixture *f, const gchar *path)
{
	AdwMessageDialog *dialog;
	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.restore-file", "s", path);
	dialog = wait_for_dialog(f->win);
	respond(f->win, dialog, "restore");
	g_assert_true(fk_window_is_busy(f->win));
}

/* ---- sizes ---- */

static void
test_partial_backup(Fixture *f, gconstpointer data)
{
	g_autofree gchar *path = g_build_filename(f->dir, "backup.bin", NULL);
	g_autofree gchar *name = NULL;
	g_autoptr(GBytes) first_half = g_bytes_new_from_bytes(f->initial, 0, FLASH_1MB / 2);
	const gchar *text;

	adw_combo_row_set_selected(size_row(f), SIZE_512KB_INDEX);
	name = fk_window_propose_backup_name(f->win, f->dir);
	g_test_message("proposed: %s", name);
	g_assert_nonnull(strstr(name, "-first-512KB-of-1MB-"));
	g_assert_true(g_str_has_suffix(name, ".bin"));

	start_backup(f, path);
	wait_job_done(f);
	g_assert_true(cond_no_dialog(f->win));
	assert_file_is(path, first_half);
	text = result_text(f);
	g_test_message("result: %s", text);
	g_assert_nonnull(text);
	g_assert_nonnull(strstr(text, "first 512 KB of 1 MB"));
	assert_result_is_warning(f);
	wait_for_label(GTK_WIDGET(f->win), "Partial backup saved: first 512 KB of 1 MB");
	g_assert_null(find_label(GTK_WIDGET(f->win), "Backup saved and verified"));
	screenshot(GTK_WIDGET(f->win), "partial-backup");

	/* the smaller size was for that backup only */
	g_assert_cmpuint(adw_combo_row_get_selected(size_row(f)), ==, 0);
}

static void
test_size_not_remembered(Fixture *f, gconstpointer data)
{
	g_autofree gchar *name = NULL;

	/* another chip starts from its own size */
	adw_combo_row_set_selected(size_row(f), SIZE_512KB_INDEX);
	select_port(f, PORT_ESP32);
	g_assert_cmpuint(adw_combo_row_get_selected(size_row(f)), ==, 0);
	name = fk_window_propose_backup_name(f->win, f->dir);
	g_test_message("proposed for the ESP32: %s", name);
	g_assert_nonnull(strstr(name, "-4MB-"));
	g_assert_null(strstr(name, "first"));

	/* and so does the next start of the application */
	select_port(f, PORT_ESP8266);
	adw_combo_row_set_selected(size_row(f), SIZE_512KB_INDEX);
	reopen_window(f);
	g_assert_cmpstr(fk_window_get_port(f->win), ==, PORT_ESP8266);
	g_assert_cmpuint(adw_combo_row_get_selected(size_row(f)), ==, 0);
}

static void
test_size_larger_refused(Fixture *f, gconstpointer data)
{
	const gchar *subtitle;

	adw_combo_row_set_selected(size_row(f), SIZE_4MB_INDEX);
	g_assert_cmpuint(adw_combo_row_get_selected(size_row(f)), ==, 0);
	subtitle = adw_action_row_get_subtitle(ADW_ACTION_ROW(size_row(f)));
	g_test_message("Flash Size says: %s", subtitle);
	g_assert_cmpstr(subtitle, ==, "This chip has 1 MB of flash; a 4 MB backup cannot be read from it");
	screenshot(GTK_WIDGET(f->win), "size-refused");

	/* a size that fits is taken, and the message goes */
	adw_combo_row_set_selected(size_row(f), SIZE_512KB_INDEX);
	g_assert_cmpuint(adw_combo_row_get_selected(size_row(f)), ==, SIZE_512KB_INDEX);
	subtitle = adw_action_row_get_subtitle(ADW_ACTION_ROW(size_row(f)));
	g_assert_true(subtitle == NULL || subtitle[0] == '\0');
}

static void
test_size_larger_unidentified(Fixture *f, gconstpointer data)
{
	g_autofree gchar *path = g_build_filename(f->dir, "backup.bin", NULL);
	g_autofree gchar *listing = NULL;
	g_autoptr(GError) error = NULL;
	AdwMessageDialog *dialog;
	const gchar *body;

	/* the board does not answer the identification, so its flash size is not known yet */
	g_assert_true(fk_sim_device_add_faults_from_string(f->dev, "close:1", &error));
	g_assert_no_error(error);
	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.identify", NULL);
	wait_job_done(f);
	g_assert_false(cond_identified(f));
	fk_sim_device_clear_faults(f->dev);

	adw_combo_row_set_selected(size_row(f), SIZE_4MB_INDEX);
	g_assert_cmpuint(adw_combo_row_get_selected(size_row(f)), ==, SIZE_4MB_INDEX);
	start_backup(f, path);
	wait_job_done(f);
	dialog = wait_for_dialog(f->win);
	body = adw_message_dialog_get_body(dialog);
	g_test_message("error: %s / %s", adw_message_dialog_get_heading(dialog), body);
	g_assert_nonnull(strstr(body, "This chip has 1 MB of flash; a 4 MB backup cannot be read from it"));
	g_assert_nonnull(strstr(body, "Detected"));
	g_assert_null(strstr(body, "image"));
	g_assert_null(strstr(body, "0x"));
	/* said once, in plain words, not again as a technical detail */
	g_assert_null(strstr(body, "Details:"));
	listing = fk_test_dir_listing(f->dir);
	g_assert_cmpstr(listing, ==, "");
	screenshot(GTK_WIDGET(dialog), "size-error");
	respond(f->win, dialog, "close");
}

/* ---- stopping ---- */

static void
test_cancel_restore_asks(Fixture *f, gconstpointer data)
{
	g_autofree gchar *path = write_restore_image(f, "image.bin");
	AdwMessageDialog *dialog;
	const gchar *text;

	fk_sim_device_set_timing(f->dev, TRUE, PORT_LATENCY_US);
	start_restore(f, path);
	wait_fraction(f, 0.2);

	/* Escape and Cancel run win.cancel: one press asks, it does not stop */
	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.cancel", NULL);
	dialog = wait_for_dialog(f->win);
	g_test_message("question: %s / %s", adw_message_dialog_get_heading(dialog), adw_message_dialog_get_body(dialog));
	g_assert_cmpstr(adw_message_dialog_get_heading(dialog), ==, "Stop Writing?");
	g_assert_nonnull(strstr(adw_message_dialog_get_body(dialog), "may not start until a restore completes"));
	g_assert_cmpstr(adw_message_dialog_get_response_label(dialog, "stop"), ==, "_Stop Writing");
	g_assert_cmpstr(adw_message_dialog_get_response_label(dialog, "continue"), ==, "_Keep Going");
	g_assert_cmpint(adw_message_dialog_get_response_appearance(dialog, "stop"), ==, ADW_RESPONSE_DESTRUCTIVE);
	g_assert_cmpstr(adw_message_dialog_get_default_response(dialog), ==, "continue");
	g_assert_true(fk_window_is_busy(f->win));
	/* a second press while it asks does not stack a second question */
	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.cancel", NULL);
	drain_main_context();
	g_assert_true(dialog == wait_for_dialog(f->win));
	screenshot(GTK_WIDGET(dialog), "stop-writing");

	respond(f->win, dialog, "continue");
	g_assert_true(fk_window_is_busy(f->win));

	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.cancel", NULL);
	dialog = wait_for_dialog(f->win);
	respond(f->win, dialog, "stop");
	wait_job_done(f);
	g_assert_true(cond_no_dialog(f->win));
	text = result_text(f);
	g_test_message("result: %s", text);
	g_assert_nonnull(text);
	g_assert_nonnull(strstr(text, "may not start until a restore completes"));
	assert_result_is_warning(f);
	screenshot(GTK_WIDGET(f->win), "restore-stopped");
}

static void
test_cancel_erase_asks(Fixture *f, gconstpointer data)
{
	AdwMessageDialog *dialog;
	g_autoptr(GPtrArray) left = NULL;

	fk_sim_device_set_timing(f->dev, TRUE, PORT_LATENCY_US);
	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.erase", NULL);
	dialog = wait_for_dialog(f->win);
	respond(f->win, dialog, "erase");
	g_assert_true(fk_window_is_busy(f->win));

	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.cancel", NULL);
	dialog = wait_for_dialog(f->win);
	g_test_message("question: %s / %s", adw_message_dialog_get_heading(dialog), adw_message_dialog_get_body(dialog));
	g_assert_cmpstr(adw_message_dialog_get_heading(dialog), ==, "Stop Erasing?");
	g_assert_nonnull(strstr(adw_message_dialog_get_body(dialog), "may not start"));
	g_assert_cmpint(adw_message_dialog_get_response_appearance(dialog, "stop"), ==, ADW_RESPONSE_DESTRUCTIVE);
	/* unanswered while the erase ends: the question no longer applies and goes away */
	wait_job_done(f);
	drain_main_context();
	left = list_message_dialogs(f->win);
	g_assert_cmpuint(left->len, ==, 0);
	wait_for_label(GTK_WIDGET(f->win), "The flash was erased");
}

static void
test_cancel_backup_no_question(Fixture *f, gconstpointer data)
{
	g_autofree gchar *path = g_build_filename(f->dir, "backup.bin", NULL);
	g_autofree gchar *listing = NULL;

	fk_sim_device_set_timing(f->dev, TRUE, PORT_LATENCY_US);
	start_backup(f, path);
	wait_fraction(f, 0.1);
	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.cancel", NULL);
	drain_main_context();
	g_assert_true(cond_no_dialog(f->win));
	wait_job_done(f);
	g_assert_true(cond_no_dialog(f->win));
	listing = fk_test_dir_listing(f->dir);
	g_assert_cmpstr(listing, ==, "");
}

static void
test_close_during_backup(Fixture *f, gconstpointer data)
{
	g_autofree gchar *path = g_build_filename(f->dir, "backup.bin", NULL);
	AdwMessageDialog *dialog;
	const gchar *body;

	fk_sim_device_set_timing(f->dev, TRUE, PORT_LATENCY_US);
	start_backup(f, path);
	wait_fraction(f, 0.1);
	gtk_window_close(GTK_WINDOW(f->win));
	dialog = wait_for_dialog(f->win);
	body = adw_message_dialog_get_body(dialog);
	g_test_message("question: %s / %s", adw_message_dialog_get_heading(dialog), body);
	/* only the backup in progress is at stake */
	g_assert_nonnull(strstr(adw_message_dialog_get_heading(dialog), "Backup"));
	g_assert_nonnull(strstr(body, "no file is saved"));
	g_assert_null(strstr(body, "restore"));
	g_assert_null(strstr(body, "erase"));
	screenshot(GTK_WIDGET(dialog), "close-during-backup");
	respond(f->win, dialog, "continue");
	g_assert_true(fk_window_is_busy(f->win));
	wait_job_done(f);
	assert_file_is(path, f->initial);
}

static void
test_close_during_restore(Fixture *f, gconstpointer data)
{
	g_autofree gchar *path = write_restore_image(f, "image.bin");
	AdwMessageDialog *dialog;
	const gchar *body;

	fk_sim_device_set_timing(f->dev, TRUE, PORT_LATENCY_US);
	start_restore(f, path);
	wait_fraction(f, 0.1);
	gtk_window_close(GTK_WINDOW(f->win));
	dialog = wait_for_dialog(f->win);
	body = adw_message_dialog_get_body(dialog);
	g_test_message("question: %s / %s", adw_message_dialog_get_heading(dialog), body);
	g_assert_cmpstr(adw_message_dialog_get_heading(dialog), ==, "Stop Writing and Close?");
	g_assert_nonnull(strstr(body, "may not start"));
	respond(f->win, dialog, "continue");
	g_assert_true(fk_window_is_busy(f->win));

	/* stopped from the window instead: asked, then stopped */
	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.cancel", NULL);
	dialog = wait_for_dialog(f->win);
	respond(f->win, dialog, "stop");
	wait_job_done(f);
}

/* ---- results ---- */

static void
test_restore_not_firmware(Fixture *f, gconstpointer data)
{
	g_autofree gchar *path = g_build_filename(f->dir, "notes.bin", NULL);
	g_autofree gchar *good = write_restore_image(f, "image.bin");
	GString *text = g_string_new(NULL);
	g_autoptr(GBytes) bytes = NULL;
	AdwMessageDialog *dialog;
	const gchar *result;

	/* a real image of this chip: the button that overwrites the flash is styled as destructive */
	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.restore-file", "s", good);
	dialog = wait_for_dialog(f->win);
	g_assert_cmpstr(adw_message_dialog_get_response_label(dialog, "restore"), ==, "_Restore");
	g_assert_cmpint(adw_message_dialog_get_response_appearance(dialog, "restore"), ==, ADW_RESPONSE_DESTRUCTIVE);
	respond(f->win, dialog, "cancel");

	while (text->len < 8192)
		g_string_append(text, "wifi ssid=home; mqtt=192.168.1.5; these are my notes\n");
	bytes = g_string_free_to_bytes(text);
	write_file(path, bytes);
	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.restore-file", "s", path);
	dialog = wait_for_dialog(f->win);
	g_assert_nonnull(strstr(adw_message_dialog_get_body(dialog), "No boot image found"));
	g_assert_cmpstr(adw_message_dialog_get_response_label(dialog, "restore"), ==, "_Restore Anyway");
	respond(f->win, dialog, "restore");
	wait_job_done(f);
	g_assert_true(cond_no_dialog(f->win));

	result = result_text(f);
	g_test_message("result: %s", result);
	g_assert_nonnull(result);
	g_assert_nonnull(strstr(result, "not a firmware image; the board will not start"));
	assert_result_is_warning(f);
	wait_for_label(GTK_WIDGET(f->win), "Written, but not a firmware image");
	g_assert_null(find_label(GTK_WIDGET(f->win), "Image restored and verified"));
	screenshot(GTK_WIDGET(f->win), "restored-not-firmware");
}

static void
test_result_cleared_on_port_change(Fixture *f, gconstpointer data)
{
	g_autofree gchar *path = g_build_filename(f->dir, "backup.bin", NULL);

	start_backup(f, path);
	wait_job_done(f);
	g_assert_nonnull(result_text(f));
	g_assert_true(fk_window_select_port(f->win, PORT_ESP32));
	/* the ESP8266's result is gone as soon as another board is chosen */
	g_assert_null(result_text(f));
	spin_until(cond_identified, f);
	g_assert_null(result_text(f));
	select_port(f, PORT_ESP8266);
}

static void
test_unused_name(Fixture *f, gconstpointer data)
{
	g_autoptr(GBytes) empty = g_bytes_new_static("", 0);
	g_autofree gchar *first = fk_window_propose_backup_name(f->win, f->dir);
	g_autofree gchar *first_path = g_build_filename(f->dir, first, NULL);
	g_autofree gchar *second = NULL;
	g_autofree gchar *second_path = NULL;
	g_autofree gchar *third = NULL;
	g_autofree gchar *stem = g_strndup(first, strlen(first) - strlen(".bin"));
	g_autofree gchar *want2 = g_strdup_printf("%s-2.bin", stem);
	g_autofree gchar *want3 = g_strdup_printf("%s-3.bin", stem);

	g_test_message("first: %s", first);
	g_assert_true(g_str_has_suffix(first, ".bin"));
	g_assert_nonnull(strstr(first, "-1MB-"));
	/* a second backup on the same day: a name not yet taken, so no "Replace?" */
	write_file(first_path, empty);
	second = fk_window_propose_backup_name(f->win, f->dir);
	g_assert_cmpstr(second, ==, want2);
	second_path = g_build_filename(f->dir, second, NULL);
	write_file(second_path, empty);
	third = fk_window_propose_backup_name(f->win, f->dir);
	g_assert_cmpstr(third, ==, want3);
}

int
main(int argc, char **argv)
{
	g_autofree gchar *state = NULL;
	int rc;

	setlocale(LC_ALL, "");
	state = use_own_state_dir();
	gtk_test_init(&argc, &argv, NULL);
	start_app(APP_ID ".UiTrustTest");

#define ADD(name, func) \
	g_test_add("/fk/window-trust/" name, Fixture, PORT_ESP8266, fixture_setup, func, fixture_teardown)
	ADD("partial-backup", test_partial_backup);
	ADD("size-not-remembered", test_size_not_remembered);
	ADD("size-larger-refused", test_size_larger_refused);
	ADD("size-larger-unidentified", test_size_larger_unidentified);
	ADD("cancel-restore-asks", test_cancel_restore_asks);
	ADD("cancel-erase-asks", test_cancel_erase_asks);
	ADD("cancel-backup-no-question", test_cancel_backup_no_question);
	ADD("close-during-backup", test_close_during_backup);
	ADD("close-during-restore", test_close_during_restore);
	ADD("restore-not-firmware", test_restore_not_firmware);
	ADD("result-cleared-on-port-change", test_result_cleared_on_port_change);
	ADD("unused-name", test_unused_name);
#undef ADD

	rc = g_test_run();

	stop_app();
	fk_test_rm_rf(state);
	return rc;
}
