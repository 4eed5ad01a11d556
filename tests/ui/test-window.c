/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Widget tests for FkWindow, in-process against the simulator: the window's jobs open a "sim:"
 * port, and the test reaches the very same FkSimDevice through fk_transport_open() (the simulator
 * keeps one device per port name in the process) to prepare its flash, inject faults and check
 * what the window did to it.
 *
 * Run under Xvfb (tests/ui/meson.build does that). With FK_SCREENSHOT_DIR set, screenshots of
 * the main states are saved there with ImageMagick's `import -window root`. */
#include "config.h"

#include <glib/gstdio.h>
#include <locale.h>
#include <string.h>

#include "fk-application.h"
#include "fk-backup-info.h"
#include "fk-chip-card.h"
#include "fk-flash-bar.h"
#include "fk-image.h"
#include "fk-job-panel.h"
#include "fk-port-picker.h"
#include "fk-sim-device.h"
#include "fk-sim-transport.h"
#include "fk-test-util.h"
#include "fk-transport.h"
#include "fk-window.h"
#include "fk-window-test-util.h"

/* ---- tests ---- */

static void
test_backup(Fixture *f, gconstpointer data)
{
	g_autofree gchar *path = g_build_filename(f->dir, "backup.bin", NULL);
	g_autofree gchar *listing = NULL;
	g_autoptr(GBytes) flash = NULL;

	screenshot(GTK_WIDGET(f->win), "idle");

	start_backup(f, path);
	wait_job_done(f);
	g_assert_true(cond_no_dialog(f->win));
	flash = sim_flash(f);
	g_assert_cmpuint(g_bytes_get_size(flash), ==, FLASH_1MB);
	assert_bytes_equal(flash, f->initial); /* a backup does not change the chip */
	assert_file_is(path, flash);
	listing = fk_test_dir_listing(f->dir);
	g_assert_cmpstr(listing, ==, "backup.bin backup.bin.json");
	/* the engine's description beside it: the whole flash, and the file as it was saved */
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(FkBackupInfo) info = fk_backup_info_load(path, &error);
		gboolean intact = FALSE;
		g_assert_no_error(error);
		g_assert_cmpuint(info->length, ==, FLASH_1MB);
		g_assert_true(info->whole_flash);
		g_assert_true(fk_backup_info_check(info, path, &intact, NULL, &error));
		g_assert_no_error(error);
		g_assert_true(intact);
	}
	wait_for_label(GTK_WIDGET(f->win), "Backup saved");
}

static void
test_actions_while_busy(Fixture *f, gconstpointer data)
{
	g_autofree gchar *path = g_build_filename(f->dir, "backup.bin", NULL);
	g_autofree gchar *image = g_build_filename(f->dir, "image.bin", NULL);
	g_autofree gchar *listing = NULL;
	GtkWidget *port_row = template_child(f->win, "port_row");

	write_file(image, f->initial);
	/* idle: everything available but cancel */
	g_assert_true(action_button_sensitive(f->win, "win.backup"));
	g_assert_true(action_button_sensitive(f->win, "win.restore"));
	g_assert_true(action_button_sensitive(f->win, "win.erase"));
	g_assert_false(action_button_sensitive(f->win, "win.cancel"));
	g_assert_true(gtk_widget_get_sensitive(port_row));

	fk_sim_device_set_timing(f->dev, TRUE, PORT_LATENCY_US);
	start_backup(f, path);
	wait_fraction(f, 0.2);
	g_assert_false(action_button_sensitive(f->win, "win.backup"));
	g_assert_false(action_button_sensitive(f->win, "win.restore"));
	g_assert_false(action_button_sensitive(f->win, "win.erase"));
	g_assert_true(action_button_sensitive(f->win, "win.cancel"));
	g_assert_false(gtk_widget_get_sensitive(port_row));
	g_assert_true(gtk_widget_get_visible(template_child(f->win, "progress_box")));

	/* disabled actions do nothing: no dialogs (win.backup-to: see scripted-actions-while-busy) */
	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.restore-file", "s", image);
	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.erase", NULL);
	drain_main_context();
	g_assert_true(cond_no_dialog(f->win));

	screenshot(GTK_WIDGET(f->win), "backup-in-progress");
	g_assert_true(fk_window_is_busy(f->win));

	wait_job_done(f);
	g_assert_true(action_button_sensitive(f->win, "win.backup"));
	g_assert_true(action_button_sensitive(f->win, "win.restore"));
	g_assert_true(action_button_sensitive(f->win, "win.erase"));
	g_assert_false(action_button_sensitive(f->win, "win.cancel"));
	g_assert_true(gtk_widget_get_sensitive(port_row));
	g_assert_false(gtk_widget_get_visible(template_child(f->win, "progress_box")));
	assert_file_is(path, f->initial);
	listing = fk_test_dir_listing(f->dir);
	g_assert_cmpstr(listing, ==, "backup.bin backup.bin.json image.bin");
}

static void
test_scripted_actions_while_busy(Fixture *f, gconstpointer data)
{
	g_autofree gchar *path = g_build_filename(f->dir, "backup.bin", NULL);
	g_autofree gchar *other = g_build_filename(f->dir, "other.bin", NULL);
	const gchar *names[] = {"win.backup-to", "win.restore-file"};
	gboolean busy_enabled[G_N_ELEMENTS(names)];

	/* the probe itself: plain actions, idle and busy, agree with the window's own buttons */
	g_assert_true(action_enabled(f->win, "win.backup", NULL));
	g_assert_false(action_enabled(f->win, "win.cancel", NULL));
	g_assert_false(action_enabled(f->win, "win.no-such-action", NULL));
	for (guint i = 0; i < G_N_ELEMENTS(names); i++)
		g_assert_true(action_enabled(f->win, names[i], g_variant_new_string(other)));

	fk_sim_device_set_timing(f->dev, TRUE, PORT_LATENCY_US);
	start_backup(f, path);
	wait_fraction(f, 0.1);
	g_assert_false(action_enabled(f->win, "win.backup", NULL));
	g_assert_true(action_enabled(f->win, "win.cancel", NULL));
	g_assert_false(action_enabled(f->win, "win.identify", NULL));
	/* the scripted twins of Backup and Restore (a path instead of a file chooser) must be
	 * disabled like them; an enabled one would reach the window's guard against a second job */
	for (guint i = 0; i < G_N_ELEMENTS(names); i++)
		busy_enabled[i] = action_enabled(f->win, names[i], g_variant_new_string(other));
	wait_job_done(f);
	assert_file_is(path, f->initial);
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		g_assert_true(action_enabled(f->win, names[i], g_variant_new_string(other)));
		if (busy_enabled[i])
			g_test_fail_printf("%s stays enabled while a job runs", names[i]);
	}
}

static void
test_restore(Fixture *f, gconstpointer data)
{
	g_autofree gchar *path = g_build_filename(f->dir, "image.bin", NULL);
	g_autoptr(GBytes) image = NULL;
	g_autoptr(GBytes) flash = NULL;
	AdwMessageDialog *dialog;
	{
		/* the chip's own boot header, then new contents everywhere else */
		guint8 *buf = g_memdup2(g_bytes_get_data(f->initial, NULL), FLASH_1MB);
		GRand *rand = g_rand_new_with_seed(g_test_rand_int());
		for (gsize i = 0x1000; i < FLASH_1MB; i += 4) {
			guint32 v = g_rand_int(rand);
			memcpy(buf + i, &v, 4);
		}
		/* some erased space too, as in a real image */
		memset(buf + 0x80000, 0xFF, 0x10000);
		g_rand_free(rand);
		image = g_bytes_new_take(buf, FLASH_1MB);
	}
	write_file(path, image);

	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.restore-file", "s", path);
	dialog = wait_for_dialog(f->win);
	g_assert_cmpstr(adw_message_dialog_get_heading(dialog), ==, "Restore This Image?");
	/* an image of this very chip: no warnings */
	g_assert_true(adw_message_dialog_get_response_enabled(dialog, "restore"));
	g_assert_cmpstr(adw_message_dialog_get_response_label(dialog, "restore"), ==, "_Restore");
	g_assert_false(fk_window_is_busy(f->win));
	respond(f->win, dialog, "restore");
	g_assert_true(fk_window_is_busy(f->win));
	wait_job_done(f);

	g_assert_true(cond_no_dialog(f->win));
	flash = sim_flash(f);
	assert_bytes_equal(flash, image);
	wait_for_label(GTK_WIDGET(f->win), "Image restored and verified");
}

/* restores @image through the window's confirmation and waits for the job */
static void
restore_through_window(Fixture *f, const gchar *path, GBytes *image)
{
	AdwMessageDialog *dialog;
	write_file(path, image);
	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.restore-file", "s", path);
	dialog = wait_for_dialog(f->win);
	respond(f->win, dialog, "restore");
	wait_job_done(f);
}

/* a restore writes only what the chip does not hold yet, and says so */
static void
test_restore_only_changed(Fixture *f, gconstpointer data)
{
	g_autofree gchar *path = g_build_filename(f->dir, "image.bin", NULL);
	g_autoptr(GBytes) same = sim_flash(f);
	g_autoptr(GBytes) changed = NULL;
	g_autoptr(GBytes) flash = NULL;
	guint8 *buf;

	restore_through_window(f, path, same);
	g_assert_nonnull(find_label(GTK_WIDGET(f->win), "image.bin verified: the flash already held it, nothing was written"));

	buf = g_memdup2(g_bytes_get_data(same, NULL), FLASH_1MB);
	buf[0x45678] ^= 0x40;
	changed = g_bytes_new_take(buf, FLASH_1MB);
	restore_through_window(f, path, changed);
	g_assert_nonnull(find_label(GTK_WIDGET(f->win),
				    "image.bin written and verified: 4 KB of 1 MB differed, the rest was already identical"));
	flash = sim_flash(f);
	assert_bytes_equal(flash, changed);
}

static void
test_erase(Fixture *f, gconstpointer data)
{
	AdwMessageDialog *dialog;
	g_autoptr(GBytes) after_cancel = NULL;
	g_autoptr(GBytes) after_erase = NULL;
	const guint8 *p;
	gsize len = 0;

	/* the simulated flash is not blank to begin with */
	p = g_bytes_get_data(f->initial, &len);
	g_assert_cmpuint(p[0], !=, 0xFF);

	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.erase", NULL);
	dialog = wait_for_dialog(f->win);
	g_assert_cmpint(adw_message_dialog_get_response_appearance(dialog, "erase"), ==, ADW_RESPONSE_DESTRUCTIVE);
	g_assert_cmpstr(adw_message_dialog_get_default_response(dialog), ==, "cancel");
	respond(f->win, dialog, "cancel");
	g_assert_false(fk_window_is_busy(f->win));
	drain_main_context();
	g_assert_false(fk_window_is_busy(f->win));
	after_cancel = sim_flash(f);
	assert_bytes_equal(after_cancel, f->initial);

	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.erase", NULL);
	dialog = wait_for_dialog(f->win);
	respond(f->win, dialog, "erase");
	g_assert_true(fk_window_is_busy(f->win));
	wait_job_done(f);
	g_assert_true(cond_no_dialog(f->win));
	after_erase = sim_flash(f);
	p = g_bytes_get_data(after_erase, &len);
	g_assert_cmpuint(len, ==, FLASH_1MB);
	for (gsize i = 0; i < len; i++) {
		if (p[i] != 0xFF) {
			g_test_message("byte 0x%" G_GSIZE_MODIFIER "x is %02x after the erase", i, p[i]);
			g_assert_not_reached();
		}
	}
	wait_for_label(GTK_WIDGET(f->win), "Flash erased");
}

static void
test_cancel_backup(Fixture *f, gconstpointer data)
{
	g_autofree gchar *path = g_build_filename(f->dir, "backup.bin", NULL);
	g_autofree gchar *path2 = g_build_filename(f->dir, "second.bin", NULL);
	g_autofree gchar *listing = NULL;
	gint64 t0;

	fk_sim_device_set_timing(f->dev, TRUE, PORT_LATENCY_US);
	start_backup(f, path);
	wait_fraction(f, 0.15);
	g_assert_cmpfloat(progress_fraction(f), <, 0.9);
	t0 = g_get_monotonic_time();
	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.cancel", NULL);
	wait_job_done(f);
	g_test_message("cancelled after %.0f ms", (g_get_monotonic_time() - t0) / 1000.0);
	/* a cancel is no error */
	g_assert_true(cond_no_dialog(f->win));
	listing = fk_test_dir_listing(f->dir);
	g_assert_cmpstr(listing, ==, ""); /* neither the file nor a .part left behind */
	wait_for_label(GTK_WIDGET(f->win), "Backup cancelled");

	/* and the board is usable again straight away */
	fk_sim_device_set_timing(f->dev, FALSE, 0);
	start_backup(f, path2);
	wait_job_done(f);
	g_assert_true(cond_no_dialog(f->win));
	assert_file_is(path2, f->initial);
	g_free(listing);
	listing = fk_test_dir_listing(f->dir);
	g_assert_cmpstr(listing, ==, "second.bin second.bin.json");
}

static void
run_failing_backup(Fixture *f, const gchar *faults, gboolean shot)
{
	g_autofree gchar *path = g_build_filename(f->dir, "backup.bin", NULL);
	g_autofree gchar *listing = NULL;
	g_autoptr(GError) error = NULL;
	AdwMessageDialog *dialog;

	g_assert_true(fk_sim_device_add_faults_from_string(f->dev, faults, &error));
	g_assert_no_error(error);
	start_backup(f, path);
	wait_job_done(f);

	dialog = wait_for_dialog(f->win);
	g_test_message("error dialog: %s / %s", adw_message_dialog_get_heading(dialog),
		       adw_message_dialog_get_body(dialog));
	g_assert_true(gtk_widget_has_css_class(GTK_WIDGET(dialog), "error"));
	g_assert_nonnull(adw_message_dialog_get_heading(dialog));
	g_assert_cmpstr(adw_message_dialog_get_heading(dialog), !=, "");
	g_assert_cmpstr(adw_message_dialog_get_body(dialog), !=, "");
	/* no file, no temporary file, no success toast */
	listing = fk_test_dir_listing(f->dir);
	g_assert_cmpstr(listing, ==, "");
	g_assert_null(find_label(GTK_WIDGET(f->win), "Backup saved"));
	if (shot)
		screenshot(GTK_WIDGET(dialog), "error");
	respond(f->win, dialog, "close");
	g_assert_null(find_label(GTK_WIDGET(f->win), "Backup saved"));
	/* the window is ready for another try */
	g_assert_true(action_button_sensitive(f->win, "win.backup"));
}

static void
test_error_bad_md5(Fixture *f, gconstpointer data)
{
	/* the chip's digest of the read never matches the data: three attempts, then an error */
	run_failing_backup(f, "bad-md5:1,bad-md5:2,bad-md5:3", TRUE);
}

static void
test_recovered_backup(Fixture *f, gconstpointer data)
{
	g_autofree gchar *path = g_build_filename(f->dir, "backup.bin", NULL);
	g_autoptr(GError) error = NULL;

	/* one corrupted bit is read again, and the person sees a normal backup */
	g_assert_true(fk_sim_device_add_faults_from_string(f->dev, "flip:300000", &error));
	g_assert_no_error(error);
	start_backup(f, path);
	wait_job_done(f);
	g_assert_true(cond_no_dialog(f->win));
	assert_file_is(path, f->initial);
	wait_for_label(GTK_WIDGET(f->win), "Backup saved");
	/* and the log tells what happened */
	{
		GtkWidget *expander = find_of_type(GTK_WIDGET(f->win), GTK_TYPE_EXPANDER);
		GtkTextBuffer *buffer;
		GtkTextIter start, end;
		g_autofree gchar *text = NULL;
		/* a collapsed expander keeps its child out of the widget tree */
		gtk_expander_set_expanded(GTK_EXPANDER(expander), TRUE);
		buffer = gtk_text_view_get_buffer(GTK_TEXT_VIEW(find_of_type(expander, GTK_TYPE_TEXT_VIEW)));
		gtk_text_buffer_get_bounds(buffer, &start, &end);
		text = gtk_text_buffer_get_text(buffer, &start, &end, FALSE);
		g_assert_nonnull(strstr(text, "trying again"));
		g_assert_nonnull(strstr(text, "The link failed 1 time on the way"));
		screenshot(GTK_WIDGET(f->win), "recovered");
	}
}

static void
test_error_link_closed(Fixture *f, gconstpointer data)
{
	/* the board goes away half-way through the read */
	run_failing_backup(f, "close:400000", FALSE);
}

static void
fraction_notify_cb(GtkProgressBar *bar, GParamSpec *pspec, GArray *values)
{
	gdouble v = gtk_progress_bar_get_fraction(bar);
	g_array_append_val(values, v);
}

static void
test_progress(Fixture *f, gconstpointer data)
{
	g_autofree gchar *path = g_build_filename(f->dir, "backup.bin", NULL);
	g_autoptr(GArray) values = g_array_new(FALSE, FALSE, sizeof(gdouble));
	GtkWidget *bar = template_child(f->win, "progress_bar");
	gulong id;
	gdouble last = 0.0;
	guint mid = 0;

	fk_sim_device_set_timing(f->dev, TRUE, PORT_LATENCY_US);
	id = g_signal_connect(bar, "notify::fraction", G_CALLBACK(fraction_notify_cb), values);
	start_backup(f, path);
	wait_job_done(f);
	g_signal_handler_disconnect(bar, id);

	g_test_message("%u progress updates", values->len);
	for (guint i = 0; i < values->len; i++) {
		gdouble v = g_array_index(values, gdouble, i);
		if (v < last) {
			g_test_message("progress went back from %.4f to %.4f (update %u)", last, v, i);
			g_assert_not_reached();
		}
		if (v > 0.0 && v < 1.0)
			mid++;
		last = v;
	}
	/* realistic progress: many steps in between, and it ends full */
	g_assert_cmpuint(mid, >=, 20);
	g_assert_cmpfloat_with_epsilon(last, 1.0, 1e-9);
	assert_file_is(path, f->initial);
}

static AdwMessageDialog *
open_restore_dialog(Fixture *f, const gchar *name, GBytes *image)
{
	g_autofree gchar *path = g_build_filename(f->dir, name, NULL);
	write_file(path, image);
	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.restore-file", "s", path);
	return wait_for_dialog(f->win);
}

static void
test_restore_other_chip(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FkSimDevice) esp32 = fk_sim_device_new("esp32", 4 * FLASH_1MB, 7, &error);
	g_autoptr(GBytes) esp32_flash = NULL;
	g_autoptr(GBytes) image = NULL;
	g_autoptr(GBytes) flash = NULL;
	AdwMessageDialog *dialog;
	const gchar *body;
	FkImageInfo info;

	/* the first megabyte of an ESP32's flash: it fits, but it is for another chip */
	g_assert_no_error(error);
	esp32_flash = fk_sim_device_get_flash(esp32);
	image = g_bytes_new_from_bytes(esp32_flash, 0, FLASH_1MB);
	fk_image_inspect(g_bytes_get_data(image, NULL), g_bytes_get_size(image), &info);
	g_assert_true(info.found);
	g_assert_nonnull(info.chip);
	g_assert_cmpstr(info.chip->name, ==, "ESP32");

	dialog = open_restore_dialog(f, "esp32.bin", image);
	body = adw_message_dialog_get_body(dialog);
	g_test_message("restore dialog: %s", body);
	g_assert_nonnull(strstr(body, "This image was made for ESP32"));
	g_assert_nonnull(strstr(body, "ESP8266"));
	/* allowed, but only deliberately */
	g_assert_true(adw_message_dialog_get_response_enabled(dialog, "restore"));
	g_assert_cmpstr(adw_message_dialog_get_response_label(dialog, "restore"), ==, "_Restore Anyway");
	g_assert_cmpint(adw_message_dialog_get_response_appearance(dialog, "restore"), ==, ADW_RESPONSE_DESTRUCTIVE);
	g_assert_cmpstr(adw_message_dialog_get_default_response(dialog), ==, "cancel");
	screenshot(GTK_WIDGET(dialog), "restore-confirmation");

	respond(f->win, dialog, "cancel");
	g_assert_false(fk_window_is_busy(f->win));
	flash = sim_flash(f);
	assert_bytes_equal(flash, f->initial);
}

static void
test_restore_too_large(Fixture *f, gconstpointer data)
{
	g_autoptr(GByteArray) buf = g_byte_array_new();
	g_autoptr(GBytes) image = NULL;
	g_autoptr(GBytes) flash = NULL;
	AdwMessageDialog *dialog;
	const gchar *body;

	/* this chip's own image, but twice its flash */
	g_byte_array_append(buf, g_bytes_get_data(f->initial, NULL), FLASH_1MB);
	g_byte_array_append(buf, g_bytes_get_data(f->initial, NULL), FLASH_1MB);
	image = g_byte_array_free_to_bytes(g_steal_pointer(&buf));

	dialog = open_restore_dialog(f, "twice.bin", image);
	body = adw_message_dialog_get_body(dialog);
	g_test_message("restore dialog: %s", body);
	g_assert_nonnull(strstr(body, "larger than"));
	g_assert_false(adw_message_dialog_get_response_enabled(dialog, "restore"));
	g_assert_true(adw_message_dialog_get_response_enabled(dialog, "cancel"));
	{
		/* and its button cannot be clicked */
		GtkWidget *button = find_button_with_label(GTK_WIDGET(dialog),
							   adw_message_dialog_get_response_label(dialog, "restore"));
		g_assert_nonnull(button);
		g_assert_false(gtk_widget_is_sensitive(button));
	}

	respond(f->win, dialog, "cancel");
	g_assert_false(fk_window_is_busy(f->win));
	flash = sim_flash(f);
	assert_bytes_equal(flash, f->initial);
}

static gboolean
cond_allocated(gpointer data)
{
	return gtk_widget_get_height(GTK_WIDGET(data)) > 0;
}

/* the restore confirmation's flash bar: found in the dialog, covering @flash_size, laid out */
static FkFlashBar *
restore_flash_bar(AdwMessageDialog *dialog, gsize flash_size)
{
	FkFlashBar *bar = (FkFlashBar *)find_of_type(GTK_WIDGET(dialog), FK_TYPE_FLASH_BAR);
	gsize pos = 0;
	g_assert_nonnull(bar);
	g_assert_cmpuint(fk_flash_bar_get_n_spans(bar), >, 0);
	for (guint i = 0; i < fk_flash_bar_get_n_spans(bar); i++) {
		const FkFlashSpan *s = fk_flash_bar_get_span(bar, i);
		g_test_message("0x%06zx %-8zu %-16s %s%s%s", s->offset, s->size, fk_flash_span_kind_to_string(s->kind),
			       s->label, s->active ? " active" : "", s->erased ? " erased" : "");
		g_assert_cmpuint(s->offset, ==, pos);
		pos += s->size;
	}
	g_assert_cmpuint(pos, ==, flash_size);
	/* once laid out: wide, and tall enough to see */
	wait_for_label(GTK_WIDGET(bar), "app");
	spin_until(cond_allocated, gtk_widget_get_first_child(GTK_WIDGET(bar)));
	g_assert_cmpint(gtk_widget_get_height(gtk_widget_get_first_child(GTK_WIDGET(bar))), >=, 24);
	g_assert_cmpint(gtk_widget_get_width(GTK_WIDGET(bar)), >=, 200);
	return bar;
}

static const FkFlashSpan *
bar_span(FkFlashBar *bar, FkFlashSpanKind kind, const gchar *label)
{
	for (guint i = 0; i < fk_flash_bar_get_n_spans(bar); i++) {
		const FkFlashSpan *s = fk_flash_bar_get_span(bar, i);
		if (s->kind == kind && (label == NULL || g_strcmp0(s->label, label) == 0))
			return s;
	}
	return NULL;
}

/* an ESP32's backup: its bootloader, table and partitions, the factory app marked active */
static void
test_restore_flash_bar_esp32(Fixture *f, gconstpointer data)
{
	AdwMessageDialog *dialog = open_restore_dialog(f, "esp32.bin", f->initial);
	FkFlashBar *bar = restore_flash_bar(dialog, 4 * FLASH_1MB);
	const FkFlashSpan *s;

	s = bar_span(bar, FK_FLASH_SPAN_APP, "factory");
	g_assert_nonnull(s);
	g_assert_cmpuint(s->offset, ==, 0x10000);
	g_assert_true(s->active);
	s = bar_span(bar, FK_FLASH_SPAN_PARTITION_TABLE, NULL);
	g_assert_nonnull(s);
	g_assert_cmpuint(s->offset, ==, 0x8000);
	g_assert_nonnull(bar_span(bar, FK_FLASH_SPAN_BOOTLOADER, NULL));
	g_assert_nonnull(bar_span(bar, FK_FLASH_SPAN_DATA, "nvs"));
	g_assert_nonnull(bar_span(bar, FK_FLASH_SPAN_FILESYSTEM, "storage"));
	/* what a person reads in the legend */
	g_assert_nonnull(find_label(GTK_WIDGET(dialog), "factory app"));
	g_assert_nonnull(find_label(GTK_WIDGET(dialog), "partition table"));
	g_assert_nonnull(find_label(GTK_WIDGET(dialog), "active"));
	screenshot(GTK_WIDGET(dialog), "restore-flash-bar-esp32");

	respond(f->win, dialog, "cancel");
	g_assert_false(fk_window_is_busy(f->win));
}

/* an ESP8266's backup: the firmware and the SDK's areas at the end of the flash */
static void
test_restore_flash_bar_esp8266(Fixture *f, gconstpointer data)
{
	static const gchar *areas[] = {"RF calibration", "PHY init data", "system parameters", "system parameter flag"};
	AdwMessageDialog *dialog = open_restore_dialog(f, "esp8266.bin", f->initial);
	FkFlashBar *bar = restore_flash_bar(dialog, FLASH_1MB);
	const FkFlashSpan *s;

	for (guint i = 0; i < G_N_ELEMENTS(areas); i++) {
		s = bar_span(bar, FK_FLASH_SPAN_SYSTEM, areas[i]);
		g_assert_nonnull(s);
		g_assert_cmpuint(s->offset, >=, FLASH_1MB - 0x5000);
		g_assert_nonnull(find_label(GTK_WIDGET(dialog), areas[i]));
	}
	s = fk_flash_bar_get_span(bar, 0);
	g_assert_cmpint(s->kind, ==, FK_FLASH_SPAN_APP);
	g_assert_true(s->active);
	g_assert_null(bar_span(bar, FK_FLASH_SPAN_PARTITION_TABLE, NULL));
	screenshot(GTK_WIDGET(dialog), "restore-flash-bar-esp8266");

	respond(f->win, dialog, "cancel");
	g_assert_false(fk_window_is_busy(f->win));
}

typedef struct {
	FkWindow *win;
	gint64 start;	   /* when the backup was started */
	gint64 last;
	gint64 max_gap;
	gint64 max_gap_at; /* when the longest gap ended, from the start */
	gdouble max_gap_fraction;
	gboolean max_gap_busy;
	gint64 max_gap_steady; /* the longest once the transfer is under way (> 1 s in) */
	guint ticks;
	guint over_20ms;
	guint ticks_busy;	/* ticks while the job ran */
	guint fraction_changes; /* progress values seen by those ticks */
	gdouble last_fraction;
} Ticker;

static gboolean
ticker_cb(gpointer user_data)
{
	Ticker *t = user_data;
	gint64 now = g_get_monotonic_time();
	gint64 gap = now - t->last;
	t->last = now;
	t->ticks++;
	if (t->start == 0)
		return G_SOURCE_CONTINUE;
	if (gap > t->max_gap) {
		t->max_gap = gap;
		t->max_gap_at = now - t->start;
		t->max_gap_fraction =
		    gtk_progress_bar_get_fraction(GTK_PROGRESS_BAR(template_child(t->win, "progress_bar")));
		t->max_gap_busy = fk_window_is_busy(t->win);
	}
	if (now - t->start > G_USEC_PER_SEC && fk_window_is_busy(t->win))
		t->max_gap_steady = MAX(t->max_gap_steady, gap);
	if (fk_window_is_busy(t->win)) {
		gdouble fraction = gtk_progress_bar_get_fraction(
		    GTK_PROGRESS_BAR(template_child(t->win, "progress_bar")));
		t->ticks_busy++;
		if (fraction != t->last_fraction)
			t->fraction_changes++;
		t->last_fraction = fraction;
	}
	if (gap > 20000)
		t->over_20ms++;
	return G_SOURCE_CONTINUE;
}

static gboolean
cond_ticks(gpointer data)
{
	Ticker *t = data;
	return t->ticks >= 5;
}

static void
test_responsive(Fixture *f, gconstpointer data)
{
	g_autofree gchar *path = g_build_filename(f->dir, "backup.bin", NULL);
	GtkTextBuffer *log = gtk_text_view_get_buffer(GTK_TEXT_VIEW(template_child(f->win, "log_view")));
	g_autofree gchar *log_text = NULL;
	Ticker t = {f->win, 0, 0, 0, 0, 0.0, FALSE, 0, 0, 0, 0, 0, 0.0};
	guint id;
	gint64 t_activate;
	gdouble secs;
	GtkTextIter start, end;

	/* the settings default: Automatic, 921600 baud on a simulated port without a USB adapter */
	fk_sim_device_set_timing(f->dev, TRUE, PORT_LATENCY_US);
	/* a 10 ms timeout on the main loop; the gaps between its ticks are what a person would
	 * feel as a stalled window (they include the 10 ms interval itself) */
	t.last = g_get_monotonic_time();
	id = g_timeout_add(10, ticker_cb, &t);
	spin_until(cond_ticks, &t);
	t.start = g_get_monotonic_time();
	start_backup(f, path);
	t_activate = g_get_monotonic_time() - t.start;
	wait_job_done(f);
	g_source_remove(id);
	secs = (g_get_monotonic_time() - t.start) / 1e6;

	gtk_text_buffer_get_bounds(log, &start, &end);
	log_text = gtk_text_buffer_get_text(log, &start, &end, FALSE);
	g_assert_nonnull(strstr(log_text, "the baud rate chosen for its USB adapter"));
	g_assert_nonnull(strstr(log_text, "changed the baud rate to 921600"));
	assert_file_is(path, f->initial);

	g_test_message("paced 1 MiB backup at 921600 baud: %.1f s, %u ticks of a 10 ms timeout", secs, t.ticks);
	g_test_message("max main-loop gap: %.1f ms", t.max_gap / 1000.0);
	g_test_message("longest gap ended %.2f s after the start (progress %.0f %%%s); starting the job took "
		       "%.1f ms on the main thread; %u gaps over 20 ms; longest during the transfer: %.1f ms",
		       t.max_gap_at / 1e6, t.max_gap_fraction * 100, t.max_gap_busy ? "" : ", job finished",
		       t_activate / 1000.0, t.over_20ms, t.max_gap_steady / 1000.0);
	/* the pacing made it a real measurement: 1 MiB at 92160 bytes/s is over 11 s */
	g_assert_cmpfloat(secs, >, 8.0);
	g_test_message("%u ticks while the job ran, %u progress values seen", t.ticks_busy, t.fraction_changes);
	/* what the design guarantees under any load, without a wall-clock limit (a busy machine
	 * stretches every gap; the figures above are for reading): the main loop kept running all
	 * through the transfer, so the worker never held it, and the coalesced progress updates
	 * reached the bar while the job ran. A job run on the main thread gives no tick at all. */
	g_assert_cmpuint(t.ticks_busy, >=, 20);
	g_assert_cmpuint(t.fraction_changes, >=, 10);
}

int
main(int argc, char **argv)
{
	g_autofree gchar *state = NULL;
	int rc;

	setlocale(LC_ALL, "");
	state = use_own_state_dir();
	gtk_test_init(&argc, &argv, NULL);
	start_app(APP_ID ".UiTest");

#define ADD(name, func) \
	g_test_add("/fk/window/" name, Fixture, PORT_ESP8266, fixture_setup, func, fixture_teardown)
	ADD("backup", test_backup);
	ADD("actions-while-busy", test_actions_while_busy);
	ADD("scripted-actions-while-busy", test_scripted_actions_while_busy);
	ADD("restore", test_restore);
	ADD("restore-only-changed", test_restore_only_changed);
	ADD("erase", test_erase);
	ADD("cancel-backup", test_cancel_backup);
	ADD("error-bad-md5", test_error_bad_md5);
	ADD("recovered-backup", test_recovered_backup);
	ADD("error-link-closed", test_error_link_closed);
	ADD("progress", test_progress);
	ADD("restore-other-chip", test_restore_other_chip);
	ADD("restore-too-large", test_restore_too_large);
	ADD("responsive", test_responsive);
	ADD("restore-flash-bar-esp8266", test_restore_flash_bar_esp8266);
#undef ADD
	g_test_add("/fk/window/restore-flash-bar-esp32", Fixture, "sim:esp32@4MB,paced,latency=2", fixture_setup,
		   test_restore_flash_bar_esp32, fixture_teardown);

	rc = g_test_run();

	stop_app();
	fk_test_rm_rf(state);
	return rc;
}
