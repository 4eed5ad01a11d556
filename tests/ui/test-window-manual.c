/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Widget tests for boards without auto-reset: Backup on such a board shows the guide to putting
 * it in download mode by hand, and goes on by itself the moment the chip answers, with no second
 * click; Cancel while waiting stops quietly. In-process against the simulator's board whose DTR
 * and RTS reach nothing, whose BOOT and EN buttons the tests press; under Xvfb. */
#include "config.h"

#include <glib/gstdio.h>
#include <locale.h>
#include <string.h>

#include "fk-test-util.h"
#include "fk-window-test-util.h"

/* as the window lists it */
#define PORT_NORESET "sim:esp32@4MB,noreset,hands=15,seed=1,paced,latency=2"

static gboolean
cond_guide_shown(gpointer data)
{
	Fixture *f = data;
	return gtk_widget_get_visible(template_child(f->win, "guide_box"));
}

/* the board's firmware runs; the window identified it at start-up because the person had put it
 * in download mode by hand then, and reset it since */
static void
manual_setup(Fixture *f, gconstpointer data)
{
	FkSimDevice *dev = sim_device_for_port(PORT_NORESET);
	g_assert_false(fk_sim_device_has_auto_reset(dev));
	/* nobody simulated near the board: the tests press its buttons */
	fk_sim_device_set_helping_hand(dev, 0);
	fk_sim_device_enter_download_by_hand(dev);
	g_object_unref(dev);
	fixture_setup(f, PORT_NORESET);
	fk_sim_device_tap_reset(f->dev);
}

/* the automatic reset reaches nothing; the guide appears, the person holds BOOT and taps EN, and
 * the backup goes on by itself */
static void
test_backup_by_hand(Fixture *f, gconstpointer data)
{
	g_autofree gchar *path = g_build_filename(f->dir, "by-hand.bin", NULL);
	GtkWidget *guide = template_child(f->win, "guide_box");
	FkSimStats st;
	guint boots;

	fk_sim_device_get_stats(f->dev, &st);
	boots = st.download_boots;
	g_assert_false(gtk_widget_get_visible(guide));
	start_backup(f, path);
	spin_until(cond_guide_shown, f);
	g_assert_true(fk_window_is_busy(f->win));
	g_assert_true(action_enabled(f->win, "win.cancel", NULL));
	g_assert_nonnull(find_label(guide, "Hold down BOOT"));
	g_assert_nonnull(find_label(guide, "Tap EN"));
	g_assert_nonnull(find_label(guide, "Let go of BOOT"));
	fk_sim_device_get_stats(f->dev, &st);
	g_assert_cmpuint(st.download_boots, ==, boots); /* the automatic reset reached nothing */
	screenshot(GTK_WIDGET(f->win), "manual-reset-guide");

	fk_sim_device_enter_download_by_hand(f->dev);
	wait_job_done(f);
	g_assert_false(gtk_widget_get_visible(guide));
	assert_file_is(path, f->initial);
	g_assert_nonnull(find_label(template_child(f->win, "result_box"), "saved and verified"));
	g_assert_true(cond_no_dialog(f->win));
	fk_sim_device_get_stats(f->dev, &st);
	g_assert_cmpuint(st.download_boots, ==, boots + 1);
	screenshot(GTK_WIDGET(f->win), "manual-reset-done");
}

/* reset mode "Manual": the guide at once; Cancel stops the wait with no error and no file */
static void
test_cancel_waiting(Fixture *f, gconstpointer data)
{
	g_autofree gchar *path = g_build_filename(f->dir, "cancelled.bin", NULL);
	GtkWidget *guide = template_child(f->win, "guide_box");
	FkSimStats st;
	guint boots;

	fk_sim_device_get_stats(f->dev, &st);
	boots = st.download_boots;
	adw_combo_row_set_selected(ADW_COMBO_ROW(template_child(f->win, "reset_row")), 2);
	start_backup(f, path);
	spin_until(cond_guide_shown, f);
	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.cancel", NULL);
	wait_job_done(f);
	g_assert_false(gtk_widget_get_visible(guide));
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	g_assert_nonnull(find_label(template_child(f->win, "result_box"), "Backup cancelled"));
	g_assert_true(cond_no_dialog(f->win));
	/* the board was left alone: still running its firmware */
	fk_sim_device_get_stats(f->dev, &st);
	g_assert_cmpuint(st.download_boots, ==, boots);
}

int
main(int argc, char **argv)
{
	g_autofree gchar *state = NULL;
	int rc;

	setlocale(LC_ALL, "");
	state = use_own_state_dir();
	gtk_test_init(&argc, &argv, NULL);
	start_app(APP_ID ".UiManualTest");

	g_test_add("/fk/window-manual/backup-by-hand", Fixture, PORT_NORESET, manual_setup, test_backup_by_hand,
		   fixture_teardown);
	g_test_add("/fk/window-manual/cancel-waiting", Fixture, PORT_NORESET, manual_setup, test_cancel_waiting,
		   fixture_teardown);

	rc = g_test_run();

	stop_app();
	fk_test_rm_rf(state);
	return rc;
}
