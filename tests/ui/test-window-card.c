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

#include <signal.h>
#include <sys/wait.h>

#include "fk-chip-card.h"
#include "fk-port-picker.h"
#include "fk-error.h"
#include "fk-stub-install.h"
#include "fk-stub.h"
#include "fk-test-util.h"
#include "fk-window-test-util.h"

#define PORT_ESP32 "sim:esp32@4MB,paced,latency=2"

static gchar *home = NULL;	  /* this run's HOME */
static gchar *real_stubs = NULL; /* Espressif's stubs, as the test environment gives them */

/* ---- the stubs and the fixture ---- */

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
fixture_teardown_home(Fixture *f, gconstpointer data)
{
	fixture_teardown(f, data);
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
	return gtk_widget_get_sensitive(action_button(FK_WINDOW(data), "win.backup"));
}

static gboolean
cond_install_visible(gpointer data)
{
	Fixture *f = data;
	return !fk_window_is_busy(f->win) && gtk_widget_get_visible(template_child(f->win, "install_button"));
}

/* what the install command leaves: esptool-js in the home folder, which the engine does not
 * search; the refresh button next to the port finds it there and offers to install the stubs */
static void
offer_install(Fixture *f)
{
	g_autofree gchar *source =
	    g_build_filename(home, "node_modules", "esptool-js", "lib", "targets", "stub_flasher", NULL);
	copy_stub("esp8266.json", source);
	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.identify", NULL);
	spin_until(cond_install_visible, f);
	spin_until(cond_identified, f);
}

/* an ESP8266 cannot be backed up without its stub: Backup says why instead of failing after the
 * file dialog; the window shows how to get the stubs, and installs them when esptool-js is there */
static void
test_backup_needs_stub(Fixture *f, gconstpointer data)
{
	GtkWidget *button = action_button(f->win, "win.backup");
	g_autofree gchar *command = fk_stub_install_command();
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
	screenshot(GTK_WIDGET(f->win), "card-no-stub");

	if (!stubs_available())
		return;
	offer_install(f);
	g_assert_false(gtk_widget_get_sensitive(button));
	g_assert_false(gtk_widget_get_visible(template_child(f->win, "command_row")));
	screenshot(GTK_WIDGET(f->win), "card-install-offered");

	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.install-stubs", NULL);
	spin_until(cond_backup_enabled, f->win);
	g_assert_cmpstr(row_subtitle(f->win, "status_row"), ==, "Ready to back up");
	g_assert_false(gtk_widget_get_visible(template_child(f->win, "install_button")));
	g_assert_true(gtk_widget_has_css_class(button, "suggested-action"));
	g_assert_null(strstr(gtk_widget_get_tooltip_text(button), "flasher program"));
	wait_for_label(GTK_WIDGET(f->win), "Flasher program installed");

	/* and the backup it allows works */
	start_backup(f, backup);
	wait_job_done(f);
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
	g_autofree gchar *user_dir = fk_stub_user_dir();
	g_autofree gchar *installed = g_build_filename(user_dir, "esp8266.json", NULL);

	if (!stubs_available())
		return;
	offer_install(f);

	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.install-stubs", NULL);
	gtk_window_destroy(GTK_WINDOW(f->win));
	f->destroyed = TRUE;
	/* the worker's result has arrived once the window is held by this test alone */
	spin_until(cond_only_test_ref, f->win);
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
	screenshot(GTK_WIDGET(f->win), "card-details");
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
	popover = find_of_type(row, GTK_TYPE_POPOVER);
	g_assert_nonnull(popover);
	spin_until(cond_mapped, popover);
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		GtkLabel *label = wait_for_label(popover, names[i]);
		/* once laid out: the first frames may still have another width */
		spin_until(cond_not_ellipsized, label);
		g_assert_cmpstr(gtk_widget_get_tooltip_text(GTK_WIDGET(label)), ==, names[i]);
	}
	screenshot(GTK_WIDGET(f->win), "port-list");
	gtk_popover_popdown(GTK_POPOVER(popover));
	spin_until(cond_unmapped, popover);
}

/* ---- a board behind a serial server ---- */

typedef struct {
	GPid pid;
	gchar *address; /* rfc2217://127.0.0.1:PORT */
	gchar *dump;	/* where the simulator writes its flash when it stops */
} NetSim;

/* flashkeep-sim serving a 1 MB ESP32 over RFC 2217 on a free port; NULL (and the test skipped)
 * when the test environment gives no simulator */
static NetSim *
net_sim_start(Fixture *f)
{
	const gchar *sim = g_getenv("FLASHKEEP_SIM");
	NetSim *ns;
	g_autoptr(GError) error = NULL;
	g_autoptr(GIOChannel) out = NULL;
	g_autofree gchar *line = NULL;
	gint out_fd = -1;

	if (sim == NULL) {
		g_test_skip("FLASHKEEP_SIM is not set");
		return NULL;
	}
	ns = g_new0(NetSim, 1);
	ns->dump = g_build_filename(f->dir, "served.bin", NULL);
	{
		const gchar *argv[] = {sim, "--rfc2217", "--chip", "esp32", "--size", "1MB", "--port", "0",
				       "--bind", "127.0.0.1", "--seed", "41", "--dump", ns->dump, NULL};
		g_assert_true(g_spawn_async_with_pipes(NULL, (gchar **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &ns->pid,
						       NULL, &out_fd, NULL, &error));
		g_assert_no_error(error);
	}
	out = g_io_channel_unix_new(out_fd);
	g_io_channel_set_close_on_unref(out, TRUE);
	g_assert_cmpint(g_io_channel_read_line(out, &line, NULL, NULL, &error), ==, G_IO_STATUS_NORMAL);
	g_assert_no_error(error);
	g_assert_true(g_str_has_prefix(line, "listening on "));
	g_strchomp(line);
	ns->address = g_strdup_printf("rfc2217://%s", line + strlen("listening on "));
	return ns;
}

/* stops the simulator, which writes its flash to ns->dump, and returns that flash */
static GBytes *
net_sim_stop(NetSim *ns)
{
	g_autoptr(GError) error = NULL;
	gchar *contents = NULL;
	gsize len = 0;
	gint status = 0;
	g_assert_cmpint(kill(ns->pid, SIGTERM), ==, 0);
	g_assert_cmpint(waitpid(ns->pid, &status, 0), ==, ns->pid);
	g_spawn_close_pid(ns->pid);
	g_assert_true(g_file_get_contents(ns->dump, &contents, &len, &error));
	g_assert_no_error(error);
	return g_bytes_new_take(contents, len);
}

static void
net_sim_free(NetSim *ns)
{
	g_free(ns->address);
	g_free(ns->dump);
	g_free(ns);
}

/* a serial server is added by its address under the port list, refused with how to write it when
 * the address is not one, selected and remembered when it is, and backed up through like a board
 * on the desk: the chip reset into download mode over the network, the backup byte-exact */
static void
test_network_port(Fixture *f, gconstpointer data)
{
	GtkWidget *picker = template_child(f->win, "port_picker");
	GtkWidget *row = (GtkWidget *)gtk_widget_get_template_child(picker, FK_TYPE_PORT_PICKER, "network_row");
	g_autoptr(GSettings) settings = g_settings_new(APP_ID);
	g_auto(GStrv) remembered = NULL;
	g_autofree gchar *backup = g_build_filename(f->dir, "network.bin", NULL);
	g_autoptr(GBytes) served = NULL;
	const gchar *tip;
	NetSim *ns;

	if (!stubs_available())
		return;
	ns = net_sim_start(f);
	if (ns == NULL)
		return;
	g_assert_nonnull(row);

	/* not an address: said on the row, nothing added, the selection kept */
	gtk_editable_set_text(GTK_EDITABLE(row), "127.0.0.1:4000");
	g_signal_emit_by_name(row, "apply");
	g_assert_true(gtk_widget_has_css_class(row, "error"));
	tip = gtk_widget_get_tooltip_text(row);
	g_assert_nonnull(tip);
	g_assert_nonnull(strstr(tip, "rfc2217://HOST:PORT"));
	g_assert_cmpstr(fk_window_get_port(f->win), ==, PORT_ESP32);
	remembered = g_settings_get_strv(settings, "network-ports");
	g_assert_cmpuint(g_strv_length(remembered), ==, 0);
	g_clear_pointer(&remembered, g_strfreev);
	/* typing again clears the complaint */
	gtk_editable_set_text(GTK_EDITABLE(row), "rfc2217://");
	g_assert_false(gtk_widget_has_css_class(row, "error"));

	/* the server: listed, selected, remembered, the chip identified through it */
	gtk_editable_set_text(GTK_EDITABLE(row), ns->address);
	g_signal_emit_by_name(row, "apply");
	g_assert_false(gtk_widget_has_css_class(row, "error"));
	g_assert_cmpstr(gtk_editable_get_text(GTK_EDITABLE(row)), ==, "");
	g_assert_cmpstr(fk_window_get_port(f->win), ==, ns->address);
	g_assert_true(fk_port_picker_get_ports(FK_PORT_PICKER(picker))->len >= 2);
	remembered = g_settings_get_strv(settings, "network-ports");
	g_assert_cmpuint(g_strv_length(remembered), ==, 1);
	g_assert_cmpstr(remembered[0], ==, ns->address);
	spin_until(cond_identified, f);
	g_assert_nonnull(strstr(row_subtitle(f->win, "chip_row"), "ESP32"));
	screenshot(GTK_WIDGET(f->win), "network-port");

	start_backup(f, backup);
	wait_job_done(f);
	served = net_sim_stop(ns);
	g_assert_cmpuint(g_bytes_get_size(served), ==, 1024 * 1024);
	assert_file_is(backup, served);
	net_sim_free(ns);
}

/* a folder that cannot be opened says so, with the path to copy */
static void
test_open_folder_fails(Fixture *f, gconstpointer data)
{
	g_autofree gchar *sub = g_build_filename(f->dir, "gone", NULL);
	g_autofree gchar *backup = g_build_filename(sub, "backup.bin", NULL);
	GtkLabel *copy;
	GtkWidget *button;
	GdkClipboard *clipboard;
	g_auto(GValue) value = G_VALUE_INIT;

	g_value_init(&value, G_TYPE_STRING);
	if (!stubs_available())
		return;
	g_assert_cmpint(g_mkdir(sub, 0755), ==, 0);
	start_backup(f, backup);
	wait_job_done(f);
	g_assert_true(g_file_test(backup, G_FILE_TEST_IS_REGULAR));
	/* the folder went away since, e.g. a USB stick was pulled */
	g_assert_true(fk_test_rm_rf(sub));

	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.open-folder", NULL);
	wait_for_label(GTK_WIDGET(f->win), "Cannot open “gone”: it no longer exists");
	screenshot(GTK_WIDGET(f->win), "open-folder-failed");
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
	screenshot(GTK_WIDGET(f->win), "narrow");
}

/* ---- the port doctor's diagnosis on the card ---- */

static gboolean
cond_identify_failed(gpointer data)
{
	Fixture *f = data;
	const gchar *status = row_subtitle(f->win, "status_row");
	return !fk_window_is_busy(f->win) && status != NULL && strstr(status, "not in download mode") != NULL;
}

/* a board whose reset circuit does not reach GPIO0 keeps running its firmware: the card says so,
 * from the boot text the chip printed, and what to do */
static void
test_doctor_firmware(Fixture *f, gconstpointer data)
{
	const gchar *status;
	fk_sim_device_set_gpio0_wired(f->dev, FALSE);
	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.identify", NULL);
	spin_until(cond_identify_failed, f);
	status = row_subtitle(f->win, "status_row");
	g_assert_nonnull(strstr(status, "The chip is running its firmware, not in download mode"));
	g_assert_nonnull(strstr(status, "boot:0x13 (SPI_FAST_FLASH_BOOT)"));
	g_assert_nonnull(strstr(status, "Hold BOOT/GPIO0 while resetting"));
	/* no command fixes that: the buttons do */
	g_assert_false(gtk_widget_get_visible(template_child(f->win, "command_row")));
	screenshot(GTK_WIDGET(f->win), "card-doctor-firmware");
	fk_sim_device_set_gpio0_wired(f->dev, TRUE);
}

/* a diagnosis with a command: the command is shown apart, selectable, to copy into a terminal;
 * without a diagnosis the card gives the general advice and no command */
static void
test_doctor_command(Fixture *f, gconstpointer data)
{
	FkChipCard *card = FK_CHIP_CARD(template_child(f->win, "chip_card"));
	GtkLabel *command = GTK_LABEL(template_child(f->win, "command_label"));
	g_autoptr(GError) error = g_error_new(FK_ERROR, FK_ERROR_PORT_BUSY, "Serial port /dev/ttyUSB0 is busy");
	FkDiagnosis diagnosis = {FK_DIAGNOSIS_HELD,
				 "/dev/ttyUSB0 is in use by ModemManager (PID 812): stop it while you work with the chip:",
				 "sudo systemctl stop ModemManager"};

	fk_chip_card_show_error(card, error, &diagnosis);
	wait_frames(GTK_WIDGET(f->win), 2);
	g_assert_cmpstr(row_subtitle(f->win, "status_row"), ==, diagnosis.message);
	g_assert_true(gtk_widget_get_mapped(template_child(f->win, "command_row")));
	g_assert_cmpstr(gtk_label_get_label(command), ==, "sudo systemctl stop ModemManager");
	g_assert_true(gtk_label_get_selectable(command));
	g_assert_cmpstr(adw_preferences_row_get_title(ADW_PREFERENCES_ROW(template_child(f->win, "command_row"))), ==,
			"Command that fixes it");
	screenshot(GTK_WIDGET(f->win), "card-doctor-command");

	fk_chip_card_show_error(card, error, NULL);
	g_assert_false(gtk_widget_get_visible(template_child(f->win, "command_row")));
	g_assert_cmpstr(gtk_label_get_label(command), ==, "");
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
	start_app(APP_ID ".UiCardTest");

	g_test_add("/fk/window-card/backup-needs-stub", Fixture, PORT_ESP8266, fixture_setup,
		   test_backup_needs_stub, fixture_teardown_home);
	g_test_add("/fk/window-card/install-then-close", Fixture, PORT_ESP8266, fixture_setup,
		   test_install_then_close, fixture_teardown_home);
	g_test_add("/fk/window-card/plain-card", Fixture, PORT_ESP8266, fixture_setup_stubs, test_plain_card,
		   fixture_teardown_home);
	g_test_add("/fk/window-card/spi-option-esp8266", Fixture, PORT_ESP8266, fixture_setup_stubs,
		   test_spi_option_esp8266, fixture_teardown_home);
	g_test_add("/fk/window-card/spi-option-esp32", Fixture, PORT_ESP32, fixture_setup_stubs, test_spi_option_esp32,
		   fixture_teardown_home);
	g_test_add("/fk/window-card/port-names", Fixture, PORT_ESP8266, fixture_setup_stubs, test_port_names,
		   fixture_teardown_home);
	g_test_add("/fk/window-card/open-folder-fails", Fixture, PORT_ESP8266, fixture_setup_stubs,
		   test_open_folder_fails, fixture_teardown_home);
	g_test_add("/fk/window-card/doctor-firmware", Fixture, PORT_ESP32, fixture_setup, test_doctor_firmware,
		   fixture_teardown_home);
	g_test_add("/fk/window-card/doctor-command", Fixture, PORT_ESP8266, fixture_setup, test_doctor_command,
		   fixture_teardown_home);
	g_test_add("/fk/window-card/network-port", Fixture, PORT_ESP32, fixture_setup_stubs, test_network_port,
		   fixture_teardown_home);
	g_test_add("/fk/window-card/narrow", Fixture, PORT_ESP8266, fixture_setup_stubs, test_narrow, fixture_teardown_home);

	rc = g_test_run();

	stop_app();
	fk_test_rm_rf(state);
	fk_test_rm_rf(home);
	g_free(home);
	g_free(real_stubs);
	return rc;
}
