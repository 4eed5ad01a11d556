/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Widget tests for what the window shows about the connected chip and how it fits a small screen:
 * the chip card in plain words, Backup only where a backup can be made (and installing the flasher
 * stubs that make it possible), the port list's names, opening a result's folder, narrow widths.
 * In-process against the simulator, under Xvfb; HOME and XDG_DATA_HOME point at a temporary
 * directory of this run, so the stub search sees only what a test puts there. */
#include "config.h"

#include <glib/gstdio.h>
#include <locale.h>
#include <string.h>

#include "fk-application.h"
#include "fk-chip-card.h"
#include "fk-job-panel.h"
#include "fk-port-picker.h"
#include "fk-sim-device.h"
#include "fk-sim-transport.h"
#include "fk-stub-install.h"
#include "fk-stub.h"
#include "fk-test-util.h"
#include "fk-transport.h"
#include "fk-window.h"

#define PORT_ESP8266 "sim:esp8266@1MB,paced,latency=2"
#define PORT_ESP32 "sim:esp32@4MB,paced,latency=2"
#define JOB_TIMEOUT_MS 180000

static FkApplication *app = NULL;
static gchar *home = NULL;	  /* this run's HOME */
static gchar *real_stubs = NULL; /* Espressif's stubs, as the test environment gives them */

typedef struct {
	FkWindow *win;
	FkSimDevice *dev;
	gchar *dir;
	gboolean destroyed; /* the test closed the window itself */
} Fixture;

/* ---- waiting ---- */

typedef gboolean (*Cond)(gpointer data);

static gboolean
wake_cb(gpointer data)
{
	return G_SOURCE_CONTINUE;
}

static gboolean
spin_until(Cond cond, gpointer data, guint timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	guint wake = g_timeout_add(25, wake_cb, NULL);
	gboolean ok;
	while (!(ok = cond(data)) && g_get_monotonic_time() < deadline)
		g_main_context_iteration(NULL, TRUE);
	g_source_remove(wake);
	return ok;
}

static gboolean
cond_not_busy(gpointer data)
{
	return !fk_window_is_busy(FK_WINDOW(data));
}

/* ---- widgets ---- */

static GtkWidget *
template_child(FkWindow *win, const gchar *name)
{
	const struct {
		const gchar *id;
		GType type;
	} owners[] = {
	    {NULL, FK_TYPE_WINDOW},
	    {"port_picker", FK_TYPE_PORT_PICKER},
	    {"chip_card", FK_TYPE_CHIP_CARD},
	    {"job_panel", FK_TYPE_JOB_PANEL},
	};
	for (guint i = 0; i < G_N_ELEMENTS(owners); i++) {
		GObject *owner = owners[i].id == NULL
				     ? G_OBJECT(win)
				     : gtk_widget_get_template_child(GTK_WIDGET(win), FK_TYPE_WINDOW, owners[i].id);
		GObject *obj = gtk_widget_get_template_child(GTK_WIDGET(owner), owners[i].type, name);
		if (obj != NULL)
			return GTK_WIDGET(obj);
	}
	g_assert_not_reached();
}

static const gchar *
row_subtitle(FkWindow *win, const gchar *row)
{
	return adw_action_row_get_subtitle(ADW_ACTION_ROW(template_child(win, row)));
}

static GtkWidget *
find_action_button(GtkWidget *widget, const gchar *action_name)
{
	if (GTK_IS_BUTTON(widget) &&
	    g_strcmp0(gtk_actionable_get_action_name(GTK_ACTIONABLE(widget)), action_name) == 0)
		return widget;
	for (GtkWidget *c = gtk_widget_get_first_child(widget); c != NULL; c = gtk_widget_get_next_sibling(c)) {
		GtkWidget *found = find_action_button(c, action_name);
		if (found != NULL)
			return found;
	}
	return NULL;
}

static GtkWidget *
backup_button(FkWindow *win)
{
	GtkWidget *button = find_action_button(GTK_WIDGET(win), "win.backup");
	g_assert_nonnull(button);
	return button;
}

/* a mapped label under @widget whose text contains @needle */
static GtkLabel *
find_label(GtkWidget *widget, const gchar *needle)
{
	if (GTK_IS_LABEL(widget) && gtk_widget_get_mapped(widget) &&
	    strstr(gtk_label_get_label(GTK_LABEL(widget)), needle) != NULL)
		return GTK_LABEL(widget);
	for (GtkWidget *c = gtk_widget_get_first_child(widget); c != NULL; c = gtk_widget_get_next_sibling(c)) {
		GtkLabel *found = find_label(c, needle);
		if (found != NULL)
			return found;
	}
	return NULL;
}

typedef struct {
	GtkWidget *widget;
	const gchar *needle;
} LabelWait;

static gboolean
cond_label(gpointer data)
{
	LabelWait *lw = data;
	return find_label(lw->widget, lw->needle) != NULL;
}

static GtkLabel *
wait_for_label(GtkWidget *widget, const gchar *needle)
{
	LabelWait lw = {widget, needle};
	g_assert_true(spin_until(cond_label, &lw, 10000));
	return find_label(widget, needle);
}

static void
screenshot(const gchar *name)
{
	const gchar *dir = g_getenv("FK_SCREENSHOT_DIR");
	g_autofree gchar *path = NULL;
	if (dir == NULL || dir[0] == '\0')
		return;
	/* let animations end and paint */
	for (guint i = 0; i < 40; i++) {
		g_usleep(10000);
		while (g_main_context_iteration(NULL, FALSE))
			;
	}
	g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
	path = g_strdup_printf("%s/%s.png", dir, name);
	{
		const gchar *argv[] = {"import", "-window", "root", path, NULL};
		g_assert_true(g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
					   NULL, NULL));
	}
	g_test_message("screenshot %s", path);
}

/* ---- fixture ---- */

static void
reset_settings(const gchar *port)
{
	g_autoptr(GSettings) settings = g_settings_new(APP_ID);
	g_autoptr(GSettingsSchema) schema = NULL;
	g_auto(GStrv) keys = NULL;
	g_object_get(settings, "settings-schema", &schema, NULL);
	keys = g_settings_schema_list_keys(schema);
	for (guint i = 0; keys[i] != NULL; i++)
		g_settings_reset(settings, keys[i]);
	g_settings_set_string(settings, "last-port", port);
}

static gboolean
cond_identified(gpointer data)
{
	Fixture *f = data;
	const gchar *chip;
	if (fk_window_is_busy(f->win))
		return FALSE;
	chip = row_subtitle(f->win, "chip_row");
	return chip != NULL && strstr(chip, "ESP") != NULL;
}

static void
wait_identified(Fixture *f)
{
	g_assert_true(spin_until(cond_identified, f, 60000));
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	const gchar *port = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(FkTransport) transport = NULL;

	f->dir = g_dir_make_tmp("fk-ui-card-XXXXXX", &error);
	g_assert_no_error(error);
	transport = fk_transport_open(port, &error);
	g_assert_no_error(error);
	f->dev = g_object_ref(fk_sim_transport_get_device(FK_SIM_TRANSPORT(transport)));
	fk_transport_close(transport);
	fk_sim_device_clear_faults(f->dev);
	fk_sim_device_set_timing(f->dev, FALSE, 0);

	reset_settings(port);
	f->win = g_object_ref(fk_window_new(ADW_APPLICATION(app)));
	gtk_window_present(GTK_WINDOW(f->win));
	g_assert_cmpstr(fk_window_get_port(f->win), ==, port);
	wait_identified(f);
}

static gboolean
real_stubs_available(void)
{
	g_autofree gchar *path = real_stubs != NULL ? g_build_filename(real_stubs, "esp8266.json", NULL) : NULL;
	return path != NULL && g_file_test(path, G_FILE_TEST_IS_REGULAR);
}

static void
copy_stub(const gchar *name, const gchar *dest_dir)
{
	g_autofree gchar *src = g_build_filename(real_stubs, name, NULL);
	g_autofree gchar *dst = g_build_filename(dest_dir, name, NULL);
	g_autofree gchar *contents = NULL;
	g_autoptr(GError) error = NULL;
	gsize len = 0;
	g_assert_cmpint(g_mkdir_with_parents(dest_dir, 0755), ==, 0);
	g_assert_true(g_file_get_contents(src, &contents, &len, &error));
	g_assert_no_error(error);
	g_assert_true(g_file_set_contents(dst, contents, (gssize)len, &error));
	g_assert_no_error(error);
}

/* the stubs installed, as after flashkeep-fetch-stubs */
static void
fixture_setup_stubs(Fixture *f, gconstpointer data)
{
	if (real_stubs_available()) {
		g_autofree gchar *dir = fk_stub_user_dir();
		copy_stub("esp8266.json", dir);
		copy_stub("esp32.json", dir);
	}
	fixture_setup(f, data);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	if (!f->destroyed && fk_window_is_busy(f->win))
		g_assert_true(spin_until(cond_not_busy, f->win, JOB_TIMEOUT_MS));
	if (!f->destroyed)
		gtk_window_destroy(GTK_WINDOW(f->win));
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_assert_finalize_object(f->win);
	g_object_unref(f->dev);
	fk_test_rm_rf(f->dir);
	g_free(f->dir);
	/* the next test starts from the same empty home */
	g_assert_true(fk_test_empty_dir(home));
}

static gboolean
stubs_available(void)
{
	if (real_stubs_available())
		return TRUE;
	g_test_skip("Espressif's stubs are not installed (tests/node: npm ci)");
	return FALSE;
}

/* ---- tests ---- */

static gboolean
cond_backup_enabled(gpointer data)
{
	return gtk_widget_get_sensitive(backup_button(FK_WINDOW(data)));
}

static gboolean
cond_install_visible(gpointer data)
{
	Fixture *f = data;
	return !fk_window_is_busy(f->win) && gtk_widget_get_visible(template_child(f->win, "install_button"));
}

/* an ESP8266 cannot be backed up without its stub: Backup says why instead of failing after the
 * file dialog; the window shows how to get the stubs, and installs them when esptool-js is there */
static void
test_backup_needs_stub(Fixture *f, gconstpointer data)
{
	GtkWidget *button = backup_button(f->win);
	g_autofree gchar *command = fk_stub_install_command();
	g_autofree gchar *source = NULL;
	g_autofree gchar *backup = g_build_filename(f->dir, "backup.bin", NULL);

	g_assert_false(gtk_widget_get_sensitive(button));
	g_assert_false(gtk_widget_has_css_class(button, "suggested-action"));
	g_assert_nonnull(strstr(gtk_widget_get_tooltip_text(button), "flasher program"));
	g_assert_nonnull(strstr(row_subtitle(f->win, "status_row"), "flasher program"));
	/* nothing to install from: the command that exists here, to copy */
	g_assert_false(gtk_widget_get_visible(template_child(f->win, "install_button")));
	g_assert_true(gtk_widget_get_mapped(template_child(f->win, "command_row")));
	g_assert_cmpstr(gtk_label_get_label(GTK_LABEL(template_child(f->win, "command_label"))), ==, command);
	g_assert_true(gtk_label_get_selectable(GTK_LABEL(template_child(f->win, "command_label"))));
	screenshot("card-no-stub");

	if (!stubs_available())
		return;
	/* what that command leaves: esptool-js in the home folder, which the engine does not search */
	source = g_build_filename(home, "node_modules", "esptool-js", "lib", "targets", "stub_flasher", NULL);
	copy_stub("esp8266.json", source);

	/* the refresh button next to the port */
	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.identify", NULL);
	g_assert_true(spin_until(cond_install_visible, f, 60000));
	wait_identified(f);
	g_assert_false(gtk_widget_get_sensitive(button));
	g_assert_false(gtk_widget_get_visible(template_child(f->win, "command_row")));
	screenshot("card-install-offered");

	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.install-stubs", NULL);
	g_assert_true(spin_until(cond_backup_enabled, f->win, 60000));
	g_assert_cmpstr(row_subtitle(f->win, "status_row"), ==, "Ready to back up");
	g_assert_false(gtk_widget_get_visible(template_child(f->win, "install_button")));
	g_assert_true(gtk_widget_has_css_class(button, "suggested-action"));
	g_assert_null(strstr(gtk_widget_get_tooltip_text(button), "flasher program"));
	wait_for_label(GTK_WIDGET(f->win), "Flasher program installed");

	/* and the backup it allows works */
	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.backup-to", "s", backup);
	g_assert_true(fk_window_is_busy(f->win));
	g_assert_true(spin_until(cond_not_busy, f->win, JOB_TIMEOUT_MS));
	g_assert_true(g_file_test(backup, G_FILE_TEST_IS_REGULAR));
}

static gboolean
cond_only_test_ref(gpointer data)
{
	return G_OBJECT(data)->ref_count == 1;
}

/* closing the window while the stubs are copied: they are installed, and nothing is shown in
 * the window that is gone */
static void
test_install_then_close(Fixture *f, gconstpointer data)
{
	g_autofree gchar *source = NULL;
	g_autofree gchar *user_dir = fk_stub_user_dir();
	g_autofree gchar *installed = g_build_filename(user_dir, "esp8266.json", NULL);

	if (!stubs_available())
		return;
	source = g_build_filename(home, "node_modules", "esptool-js", "lib", "targets", "stub_flasher", NULL);
	copy_stub("esp8266.json", source);
	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.identify", NULL);
	g_assert_true(spin_until(cond_install_visible, f, 60000));
	wait_identified(f);

	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.install-stubs", NULL);
	gtk_window_destroy(GTK_WINDOW(f->win));
	f->destroyed = TRUE;
	/* the worker's result has arrived once the window is held by this test alone */
	g_assert_true(spin_until(cond_only_test_ref, f->win, 60000));
	g_assert_true(g_file_test(installed, G_FILE_TEST_IS_REGULAR));
}

/* the card says what a person needs; the codes are behind Technical Details, the flash chip's
 * JEDEC id read as esptool shows it */
static void
test_plain_card(Fixture *f, gconstpointer data)
{
	AdwExpanderRow *details = ADW_EXPANDER_ROW(template_child(f->win, "details_row"));

	g_assert_cmpstr(row_subtitle(f->win, "flash_row"), ==, "1 MB, GigaDevice");
	g_assert_nonnull(strstr(row_subtitle(f->win, "mac_row"), ":"));
	g_assert_cmpstr(row_subtitle(f->win, "flash_id_row"), ==, "Manufacturer C8 (GigaDevice), device 4014");
	if (real_stubs_available())
		g_assert_cmpstr(row_subtitle(f->win, "status_row"), ==, "Ready to back up");
	g_assert_false(adw_expander_row_get_expanded(details));
	g_assert_null(find_label(GTK_WIDGET(f->win), "Crystal"));
	g_assert_null(find_label(GTK_WIDGET(f->win), "JEDEC"));
	g_assert_null(find_label(GTK_WIDGET(f->win), "Stub"));
	g_assert_null(find_label(GTK_WIDGET(f->win), "Manufacturer C8"));

	adw_expander_row_set_expanded(details, TRUE);
	wait_for_label(GTK_WIDGET(f->win), "Crystal Frequency");
	wait_for_label(GTK_WIDGET(f->win), "Manufacturer C8 (GigaDevice), device 4014");
	screenshot("card-details");
}

/* the SPI pins can be chosen on the ESP32 family only */
static void
test_spi_option_esp8266(Fixture *f, gconstpointer data)
{
	g_assert_false(gtk_widget_get_visible(template_child(f->win, "spi_row")));
}

static void
test_spi_option_esp32(Fixture *f, gconstpointer data)
{
	g_assert_true(gtk_widget_get_visible(template_child(f->win, "spi_row")));
	g_assert_cmpstr(row_subtitle(f->win, "status_row"), ==, "Ready to back up");
}

static GtkWidget *
find_popover(GtkWidget *widget)
{
	if (GTK_IS_POPOVER(widget))
		return widget;
	for (GtkWidget *c = gtk_widget_get_first_child(widget); c != NULL; c = gtk_widget_get_next_sibling(c)) {
		GtkWidget *found = find_popover(c);
		if (found != NULL)
			return found;
	}
	return NULL;
}

static gboolean
cond_mapped(gpointer data)
{
	return gtk_widget_get_mapped(GTK_WIDGET(data));
}

static gboolean
cond_unmapped(gpointer data)
{
	return !gtk_widget_get_mapped(GTK_WIDGET(data));
}

static gboolean
cond_not_ellipsized(gpointer data)
{
	return !pango_layout_is_ellipsized(gtk_label_get_layout(GTK_LABEL(data)));
}

/* the names in the port list keep their end, which tells the boards apart */
static void
test_port_names(Fixture *f, gconstpointer data)
{
	GtkWidget *row = template_child(f->win, "port_row");
	GtkWidget *popover = NULL;
	const gchar *names[] = {"Simulated ESP8266, 1 MB", "Simulated ESP8266, 4 MB", "Simulated ESP32-S3, 8 MB"};

	g_signal_emit_by_name(row, "activate");
	popover = find_popover(row);
	g_assert_nonnull(popover);
	g_assert_true(spin_until(cond_mapped, popover, 10000));
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		GtkLabel *label = wait_for_label(popover, names[i]);
		/* once laid out: the first frames may still have another width */
		g_assert_true(spin_until(cond_not_ellipsized, label, 10000));
		g_assert_cmpstr(gtk_widget_get_tooltip_text(GTK_WIDGET(label)), ==, names[i]);
	}
	screenshot("port-list");
	gtk_popover_popdown(GTK_POPOVER(popover));
	g_assert_true(spin_until(cond_unmapped, popover, 10000));
}

/* a folder that cannot be opened says so, with the path to copy */
static void
test_open_folder_fails(Fixture *f, gconstpointer data)
{
	g_autofree gchar *sub = g_build_filename(f->dir, "gone", NULL);
	g_autofree gchar *backup = g_build_filename(sub, "backup.bin", NULL);
	GtkLabel *toast;
	GtkLabel *copy;
	GtkWidget *button;
	GdkClipboard *clipboard;
	g_auto(GValue) value = G_VALUE_INIT;

	g_value_init(&value, G_TYPE_STRING);
	if (!stubs_available())
		return;
	g_assert_cmpint(g_mkdir(sub, 0755), ==, 0);
	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.backup-to", "s", backup);
	g_assert_true(spin_until(cond_not_busy, f->win, JOB_TIMEOUT_MS));
	g_assert_true(g_file_test(backup, G_FILE_TEST_IS_REGULAR));
	/* the folder went away since, e.g. a USB stick was pulled */
	g_assert_true(fk_test_rm_rf(sub));

	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.open-folder", NULL);
	toast = wait_for_label(GTK_WIDGET(f->win), "Cannot open “gone”: it no longer exists");
	g_assert_nonnull(toast);
	screenshot("open-folder-failed");
	/* the whole path, to open it another way */
	copy = find_label(GTK_WIDGET(f->win), "Copy Path");
	g_assert_nonnull(copy);
	button = gtk_widget_get_ancestor(GTK_WIDGET(copy), GTK_TYPE_BUTTON);
	g_assert_nonnull(button);
	g_signal_emit_by_name(button, "clicked");
	clipboard = gtk_widget_get_clipboard(GTK_WIDGET(f->win));
	g_assert_true(gdk_clipboard_is_local(clipboard));
	g_assert_true(gdk_content_provider_get_value(gdk_clipboard_get_content(clipboard), &value, NULL));
	g_assert_cmpstr(g_value_get_string(&value), ==, sub);
}

/* usable at a phone's width */
static void
test_narrow(Fixture *f, gconstpointer data)
{
	int min = 0, nat = 0;
	gtk_widget_measure(GTK_WIDGET(f->win), GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat, NULL, NULL);
	g_test_message("window width: minimum %d, natural %d", min, nat);
	g_assert_cmpint(min, <=, 360);
	gtk_window_set_default_size(GTK_WINDOW(f->win), 360, 760);
	screenshot("narrow");
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *state = NULL;
	g_autofree gchar *data_home = NULL;
	int rc;

	setlocale(LC_ALL, "");
	/* before GLib is asked for them: it keeps the first answer */
	home = g_dir_make_tmp("fk-ui-card-home-XXXXXX", &error);
	g_assert_no_error(error);
	state = g_dir_make_tmp("fk-ui-card-state-XXXXXX", &error);
	g_assert_no_error(error);
	data_home = g_build_filename(home, ".local", "share", NULL);
	g_setenv("HOME", home, TRUE);
	g_setenv("XDG_DATA_HOME", data_home, TRUE);
	g_setenv("XDG_STATE_HOME", state, TRUE);
	/* the stub search sees only this run's home: tests install what they need there */
	real_stubs = g_strdup(g_getenv("FLASHKEEP_STUB_PATH"));
	g_setenv("FLASHKEEP_STUB_PATH", "", TRUE);

	gtk_test_init(&argc, &argv, NULL);
	app = g_object_new(FK_TYPE_APPLICATION,
			   "application-id", APP_ID ".UiCardTest",
			   "flags", G_APPLICATION_NON_UNIQUE,
			   "resource-base-path", "/io/github/flashkeep/Flashkeep",
			   NULL);
	g_assert_true(g_application_register(G_APPLICATION(app), NULL, &error));
	g_assert_no_error(error);
	g_application_hold(G_APPLICATION(app));

	g_test_add("/fk/window-card/backup-needs-stub", Fixture, PORT_ESP8266, fixture_setup,
		   test_backup_needs_stub, fixture_teardown);
	g_test_add("/fk/window-card/install-then-close", Fixture, PORT_ESP8266, fixture_setup,
		   test_install_then_close, fixture_teardown);
	g_test_add("/fk/window-card/plain-card", Fixture, PORT_ESP8266, fixture_setup_stubs, test_plain_card,
		   fixture_teardown);
	g_test_add("/fk/window-card/spi-option-esp8266", Fixture, PORT_ESP8266, fixture_setup_stubs,
		   test_spi_option_esp8266, fixture_teardown);
	g_test_add("/fk/window-card/spi-option-esp32", Fixture, PORT_ESP32, fixture_setup_stubs, test_spi_option_esp32,
		   fixture_teardown);
	g_test_add("/fk/window-card/port-names", Fixture, PORT_ESP8266, fixture_setup_stubs, test_port_names,
		   fixture_teardown);
	g_test_add("/fk/window-card/open-folder-fails", Fixture, PORT_ESP8266, fixture_setup_stubs,
		   test_open_folder_fails, fixture_teardown);
	g_test_add("/fk/window-card/narrow", Fixture, PORT_ESP8266, fixture_setup_stubs, test_narrow, fixture_teardown);

	rc = g_test_run();

	g_application_release(G_APPLICATION(app));
	g_clear_object(&app);
	fk_test_rm_rf(state);
	fk_test_rm_rf(home);
	g_free(home);
	g_free(real_stubs);
	return rc;
}
