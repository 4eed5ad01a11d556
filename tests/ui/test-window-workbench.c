/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Workbench page: several simulated boards backed up at once, each on its own card with its
 * own job, progress and result; cancelling one; Back Up All; a port busy on one page refused on
 * the other; closing while backups run. */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <string.h>

#include "fk-backup-info.h"
#include "fk-backup-library.h"
#include "fk-board-card.h"
#include "fk-library-view.h"
#include "fk-port-picker.h"
#include "fk-test-util.h"
#include "fk-window-test-util.h"

/* the second board: another chip of the same family and size, so both take about as long */
#define PORT_ESP8285 "sim:esp8285@1MB,paced,latency=2"

typedef struct {
	Fixture *f;
	FkSimDevice *dev[2];
	const gchar *port[2];
	FkBoardCard *card[2];
	GBytes *flash[2];
	/* what each card's progress bar showed while the other card's job ran */
	guint intermediate_while_other_ran[2];
} Bench;

static FkBoardCard *
card_for_port(FkWindow *win, const gchar *port)
{
	GtkWidget *list = template_child(win, "workbench_list");
	for (GtkWidget *child = gtk_widget_get_first_child(list); child != NULL; child = gtk_widget_get_next_sibling(child)) {
		if (g_strcmp0(fk_board_card_get_port(FK_BOARD_CARD(child)), port) == 0)
			return FK_BOARD_CARD(child);
	}
	return NULL;
}

static GtkWidget *
card_child(FkBoardCard *card, const gchar *name)
{
	GObject *obj = gtk_widget_get_template_child(GTK_WIDGET(card), FK_TYPE_BOARD_CARD, name);
	g_assert_nonnull(obj);
	return GTK_WIDGET(obj);
}

static const gchar *
card_result(FkBoardCard *card)
{
	return gtk_label_get_text(GTK_LABEL(card_child(card, "result_label")));
}

static guint
cards_running(FkWindow *win)
{
	GtkWidget *list = template_child(win, "workbench_list");
	guint n = 0;
	for (GtkWidget *child = gtk_widget_get_first_child(list); child != NULL; child = gtk_widget_get_next_sibling(child))
		n += fk_board_card_get_job(FK_BOARD_CARD(child)) != NULL;
	return n;
}

static gboolean
cond_no_card_running(gpointer data)
{
	return cards_running(FK_WINDOW(data)) == 0;
}

static void
on_fraction_cb(GtkProgressBar *bar, GParamSpec *pspec, Bench *b)
{
	guint i = GTK_WIDGET(bar) == card_child(b->card[0], "progress_bar") ? 0 : 1;
	gdouble fraction = gtk_progress_bar_get_fraction(bar);
	if (fraction > 0.0 && fraction < 1.0 && fk_board_card_get_job(b->card[1 - i]) != NULL)
		b->intermediate_while_other_ran[i]++;
}

/* the fixture's board and a second one, both with fresh flash and paced like real boards, and
 * backups going into the test's folder */
static void
bench_setup(Bench *b, Fixture *f)
{
	g_autoptr(GSettings) settings = g_settings_new(APP_ID);
	g_autoptr(GError) error = NULL;
	g_autoptr(FkSimDevice) pristine = NULL;

	b->f = f;
	b->port[0] = PORT_ESP8266;
	b->port[1] = PORT_ESP8285;
	b->dev[0] = g_object_ref(f->dev);
	b->dev[1] = sim_device_for_port(PORT_ESP8285);
	pristine = fk_sim_device_new("esp8285", FLASH_1MB, g_test_rand_int(), &error);
	g_assert_no_error(error);
	b->flash[1] = fk_sim_device_get_flash(pristine);
	g_assert_true(fk_sim_device_set_flash(b->dev[1], b->flash[1], &error));
	g_assert_no_error(error);
	b->flash[0] = g_bytes_ref(f->initial);
	for (guint i = 0; i < 2; i++) {
		fk_sim_device_clear_faults(b->dev[i]);
		fk_sim_device_set_timing(b->dev[i], TRUE, PORT_LATENCY_US);
		b->card[i] = card_for_port(f->win, b->port[i]);
		g_assert_nonnull(b->card[i]);
		g_signal_connect(card_child(b->card[i], "progress_bar"), "notify::fraction", G_CALLBACK(on_fraction_cb), b);
	}
	g_settings_set_string(settings, "last-folder", f->dir);
	adw_view_stack_set_visible_child_name(ADW_VIEW_STACK(template_child(f->win, "view_stack")), "workbench");
}

static void
bench_teardown(Bench *b)
{
	for (guint i = 0; i < 2; i++) {
		g_signal_handlers_disconnect_by_data(card_child(b->card[i], "progress_bar"), b);
		fk_sim_device_set_timing(b->dev[i], FALSE, 0);
		g_object_unref(b->dev[i]);
		g_bytes_unref(b->flash[i]);
	}
}

static void
start_card(FkWindow *win, const gchar *port)
{
	gtk_widget_activate_action(GTK_WIDGET(win), "win.backup-board", "s", port);
}

/* the path a card's result names: "… saved and verified: PATH" */
static gchar *
result_path(FkBoardCard *card)
{
	const gchar *text = card_result(card);
	const gchar *colon = strstr(text, ": /");
	g_assert_nonnull(strstr(text, "saved and verified"));
	g_assert_nonnull(colon);
	return g_strdup(colon + 2);
}

static void
test_parallel(Fixture *f, gconstpointer data)
{
	Bench b = {0};
	gchar *path[2] = {NULL, NULL};
	gchar *mac[2] = {NULL, NULL};
	FkBackupLibrary *library;
	g_autoptr(GPtrArray) entries = NULL;

	bench_setup(&b, f);
	g_assert_true(gtk_widget_get_sensitive(card_child(b.card[0], "backup_button")));
	g_assert_true(gtk_widget_get_sensitive(card_child(b.card[1], "backup_button")));

	start_card(f->win, b.port[0]);
	g_assert_nonnull(fk_board_card_get_job(b.card[0]));
	start_card(f->win, b.port[1]);
	/* the second job started while the first ran: each has its own */
	g_assert_nonnull(fk_board_card_get_job(b.card[0]));
	g_assert_nonnull(fk_board_card_get_job(b.card[1]));
	g_assert_true(fk_board_card_get_job(b.card[0]) != fk_board_card_get_job(b.card[1]));
	g_assert_cmpuint(cards_running(f->win), ==, 2);
	/* each shows its Cancel, not its Back Up */
	g_assert_true(gtk_widget_get_visible(card_child(b.card[0], "cancel_button")));
	g_assert_false(gtk_widget_get_visible(card_child(b.card[0], "backup_button")));
	/* the Board page leaves the ports alone meanwhile */
	g_assert_false(action_enabled(f->win, "win.backup", NULL));
	g_assert_false(action_enabled(f->win, "win.identify", NULL));
	g_assert_false(fk_window_is_busy(f->win));
	screenshot(GTK_WIDGET(f->win), "workbench-two-running");

	spin_until(cond_no_card_running, f->win);
	screenshot(GTK_WIDGET(f->win), "workbench-two-done");

	for (guint i = 0; i < 2; i++) {
		g_autoptr(FkBackupInfo) info = NULL;
		g_autoptr(GError) error = NULL;
		gboolean intact = FALSE;
		/* both progress bars moved while the other board's backup ran */
		g_assert_cmpuint(b.intermediate_while_other_ran[i], >, 0);
		/* each card has its own result and its own file, byte for byte its board's flash */
		path[i] = result_path(b.card[i]);
		g_assert_true(g_str_has_prefix(path[i], f->dir));
		assert_file_is(path[i], b.flash[i]);
		info = fk_backup_info_load(path[i], &error);
		g_assert_no_error(error);
		g_assert_true(fk_backup_info_check(info, path[i], &intact, NULL, &error));
		g_assert_no_error(error);
		g_assert_true(intact);
		g_assert_cmpstr(info->port, ==, b.port[i]);
		mac[i] = g_strdup(info->mac);
		/* the card names the chip it found */
		g_assert_nonnull(strstr(gtk_label_get_text(GTK_LABEL(card_child(b.card[i], "chip_label"))), mac[i]));
	}
	g_assert_cmpstr(path[0], !=, path[1]);
	g_assert_cmpstr(mac[0], !=, mac[1]);
	/* each named after its own board, as the Board page names a backup */
	for (guint i = 0; i < 2; i++) {
		g_auto(GStrv) parts = g_strsplit(mac[i], ":", -1);
		g_autofree gchar *bare = g_strjoinv("", parts);
		g_autofree gchar *name = g_path_get_basename(path[i]);
		g_assert_true(g_str_has_prefix(name, "esp8266-"));
		g_assert_nonnull(strstr(name, bare));
	}

	/* both are on the Backups page */
	library = fk_library_view_get_library(FK_LIBRARY_VIEW(template_child(f->win, "library_view")));
	entries = fk_backup_library_list(library, NULL);
	for (guint i = 0; i < 2; i++) {
		gboolean found = FALSE;
		for (guint j = 0; j < entries->len; j++) {
			FkBackupEntry *entry = g_ptr_array_index(entries, j);
			found = found || g_strcmp0(entry->path, path[i]) == 0;
		}
		g_assert_true(found);
	}
	/* and the Board page has its port back */
	g_assert_true(action_enabled(f->win, "win.identify", NULL));
	for (guint i = 0; i < 2; i++) {
		g_free(path[i]);
		g_free(mac[i]);
	}
	bench_teardown(&b);
}

typedef struct {
	FkBoardCard *card;
	gdouble at_least;
} CardFraction;

static gboolean
cond_card_fraction(gpointer data)
{
	CardFraction *cf = data;
	return gtk_progress_bar_get_fraction(GTK_PROGRESS_BAR(card_child(cf->card, "progress_bar"))) >= cf->at_least;
}

static void
test_cancel_one(Fixture *f, gconstpointer data)
{
	Bench b = {0};
	CardFraction cf;
	g_autofree gchar *path = NULL;
	g_autofree gchar *listing = NULL;
	g_autofree gchar *name = NULL;

	bench_setup(&b, f);
	start_card(f->win, b.port[0]);
	start_card(f->win, b.port[1]);
	cf.card = b.card[0];
	cf.at_least = 0.1;
	spin_until(cond_card_fraction, &cf);
	g_assert_nonnull(fk_board_card_get_job(b.card[1]));
	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.cancel-board", "s", b.port[0]);
	spin_until(cond_no_card_running, f->win);

	g_assert_cmpstr(card_result(b.card[0]), ==, "Backup cancelled: no file was written");
	path = result_path(b.card[1]);
	assert_file_is(path, b.flash[1]);
	/* only the finished board's backup and its description are in the folder */
	name = g_path_get_basename(path);
	listing = fk_test_dir_listing(f->dir);
	{
		g_autofree gchar *expected = g_strdup_printf("%s %s.json", name, name);
		g_assert_cmpstr(listing, ==, expected);
	}
	/* the cancelled board can be backed up again */
	g_assert_true(gtk_widget_get_sensitive(card_child(b.card[0], "backup_button")));
	g_assert_true(gtk_widget_get_visible(card_child(b.card[0], "backup_button")));
	bench_teardown(&b);
}

/* a port used on the Board page is not started on the Workbench, Back Up All starts every other
 * board, and a port busy on the Workbench is refused on the Board page */
static void
test_busy_ports(Fixture *f, gconstpointer data)
{
	Bench b = {0};
	g_autofree gchar *board_path = NULL;
	const GPtrArray *ports;
	const gchar *busy_port;
	guint n_ports;

	bench_setup(&b, f);
	ports = fk_port_picker_get_ports(FK_PORT_PICKER(template_child(f->win, "port_picker")));
	n_ports = ports->len;
	/* one card per port, in the picker's order */
	{
		GtkWidget *child = gtk_widget_get_first_child(template_child(f->win, "workbench_list"));
		for (guint i = 0; i < ports->len; i++, child = gtk_widget_get_next_sibling(child))
			g_assert_cmpstr(fk_board_card_get_port(FK_BOARD_CARD(child)), ==, g_ptr_array_index(ports, i));
		g_assert_null(child);
	}

	board_path = g_build_filename(f->dir, "board-page.bin", NULL);
	start_backup(f, board_path);
	g_assert_false(gtk_widget_get_sensitive(card_child(b.card[0], "backup_button")));
	g_assert_cmpstr(gtk_widget_get_tooltip_text(card_child(b.card[0], "backup_button")), ==,
			"This board is in use on the Board page");
	g_assert_true(action_enabled(f->win, "win.backup-all", NULL));
	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.backup-all", NULL);
	g_assert_null(fk_board_card_get_job(b.card[0]));
	g_assert_cmpuint(cards_running(f->win), ==, n_ports - 1);
	g_assert_false(action_enabled(f->win, "win.backup-all", NULL));
	screenshot(GTK_WIDGET(f->win), "workbench-all-running");

	/* the Board page's backup ends; its port's card can start again */
	wait_job_done(f);
	g_assert_true(g_file_test(board_path, G_FILE_TEST_IS_REGULAR));
	g_assert_true(gtk_widget_get_sensitive(card_child(b.card[0], "backup_button")));
	/* the Board page refuses a port busy on the Workbench (one of the larger boards, still
	 * being read) */
	busy_port = NULL;
	for (guint i = 0; i < ports->len && busy_port == NULL; i++) {
		const gchar *port = g_ptr_array_index(ports, i);
		if (fk_board_card_get_job(card_for_port(f->win, port)) != NULL)
			busy_port = port;
	}
	g_assert_nonnull(busy_port);
	g_assert_true(fk_window_select_port(f->win, busy_port));
	g_assert_false(action_enabled(f->win, "win.backup", NULL));
	g_assert_false(action_enabled(f->win, "win.restore", NULL));
	g_assert_false(fk_window_is_busy(f->win));

	for (guint i = 0; i < ports->len; i++) {
		const gchar *port = g_ptr_array_index(ports, i);
		if (fk_board_card_get_job(card_for_port(f->win, port)) != NULL)
			gtk_widget_activate_action(GTK_WIDGET(f->win), "win.cancel-board", "s", port);
	}
	spin_until(cond_no_card_running, f->win);
	g_assert_cmpstr(card_result(card_for_port(f->win, busy_port)), ==, "Backup cancelled: no file was written");
	/* once free, the Board page identifies the board it shows */
	spin_until(cond_identified, f);
	g_assert_true(action_enabled(f->win, "win.backup", NULL));
	bench_teardown(&b);
}

static gboolean
cond_only_test_ref(gpointer data)
{
	return G_OBJECT(data)->ref_count == 1;
}

/* closing the window while boards are backed up asks first; stopping ends both, then closes */
static void
test_close_asks(Fixture *f, gconstpointer data)
{
	Bench b = {0};
	AdwMessageDialog *dialog;

	bench_setup(&b, f);
	start_card(f->win, b.port[0]);
	start_card(f->win, b.port[1]);
	gtk_window_close(GTK_WINDOW(f->win));
	dialog = wait_for_dialog(f->win);
	g_assert_cmpstr(adw_message_dialog_get_heading(dialog), ==, "Stop the Workbench Backups and Close?");
	/* keeping them running keeps the window */
	respond(f->win, dialog, "continue");
	g_assert_true(gtk_widget_get_visible(GTK_WIDGET(f->win)));
	g_assert_cmpuint(cards_running(f->win), ==, 2);

	gtk_window_close(GTK_WINDOW(f->win));
	dialog = wait_for_dialog(f->win);
	bench_teardown(&b);
	respond(f->win, dialog, "stop");
	f->destroyed = TRUE;
	/* the jobs have ended and the window is gone once this test alone holds it */
	spin_until(cond_only_test_ref, f->win);
	g_assert_null(gtk_widget_get_parent(GTK_WIDGET(f->win)));
	{
		g_autofree gchar *listing = fk_test_dir_listing(f->dir);
		g_assert_cmpstr(listing, ==, "");
	}
}

int
main(int argc, char **argv)
{
	g_autofree gchar *state = NULL;
	int rc;

	setlocale(LC_ALL, "");
	state = use_own_state_dir();
	gtk_test_init(&argc, &argv, NULL);
	start_app(APP_ID ".UiWorkbenchTest");

	g_test_add("/fk/window-workbench/parallel", Fixture, PORT_ESP8266, fixture_setup, test_parallel,
		   fixture_teardown);
	g_test_add("/fk/window-workbench/cancel-one", Fixture, PORT_ESP8266, fixture_setup, test_cancel_one,
		   fixture_teardown);
	g_test_add("/fk/window-workbench/busy-ports", Fixture, PORT_ESP8266, fixture_setup, test_busy_ports,
		   fixture_teardown);
	g_test_add("/fk/window-workbench/close-asks", Fixture, PORT_ESP8266, fixture_setup, test_close_asks,
		   fixture_teardown);

	rc = g_test_run();

	stop_app();
	fk_test_rm_rf(state);
	return rc;
}
