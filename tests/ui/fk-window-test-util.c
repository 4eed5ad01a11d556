/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns the helpers the window's test programs share (see fk-window-test-util.h).
 * Calls the window, its widgets' templates, the simulator's devices and ImageMagick's import. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "fk-application.h"
#include "fk-chip-card.h"
#include "fk-job-panel.h"
#include "fk-port-picker.h"
#include "fk-sim-transport.h"
#include "fk-test-util.h"
#include "fk-transport.h"
#include "fk-window-test-util.h"

FkApplication *fk_window_test_app = NULL;

/* ---- waiting without fixed sleeps ---- */

static gboolean
wake_cb(gpointer data)
{
	return G_SOURCE_CONTINUE;
}

/* spins the default main context until @cond holds. There is no time limit: how long a step
 * takes depends on the machine's load, and a step that never ends is caught by the test
 * harness's own timeout (a hang, not a slow machine) */
void
spin_until(Cond cond, gpointer data)
{
	/* wakes the loop now and then, for conditions that change without a main-loop event */
	guint wake = g_timeout_add(25, wake_cb, NULL);
	while (!cond(data))
		g_main_context_iteration(NULL, TRUE);
	g_source_remove(wake);
}

void
drain_main_context(void)
{
	while (g_main_context_iteration(NULL, FALSE))
		;
}

gboolean
cond_not_busy(gpointer data)
{
	return !fk_window_is_busy(FK_WINDOW(data));
}

typedef struct {
	guint ticks;
	guint wanted;
} FrameCount;

static gboolean
frame_tick_cb(GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
	FrameCount *fc = user_data;
	fc->ticks++;
	return fc->ticks < fc->wanted ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean
cond_frames(gpointer data)
{
	FrameCount *fc = data;
	return fc->ticks >= fc->wanted;
}

/* lets @widget's frame clock run @n frames, so what is shown has been painted */
void
wait_frames(GtkWidget *widget, guint n)
{
	FrameCount fc = {0, n};
	g_assert_true(gtk_widget_get_mapped(widget));
	gtk_widget_queue_draw(widget);
	gtk_widget_add_tick_callback(widget, frame_tick_cb, &fc, NULL);
	spin_until(cond_frames, &fc);
}

/* ---- widget lookups ---- */

/* a widget of the window's template, or of the template of one of the widgets it is made of */
GtkWidget *
template_child(FkWindow *win, const gchar *name)
{
	const struct {
		const gchar *id; /* in the window's template, NULL for the window itself */
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
		GObject *obj;
		g_assert_nonnull(owner);
		obj = gtk_widget_get_template_child(GTK_WIDGET(owner), owners[i].type, name);
		if (obj != NULL)
			return GTK_WIDGET(obj);
	}
	g_assert_not_reached();
}

/* the subtitle of the AdwActionRow named @row in the templates (see template_child()) */
const gchar *
row_subtitle(FkWindow *win, const gchar *row)
{
	return adw_action_row_get_subtitle(ADW_ACTION_ROW(template_child(win, row)));
}

/* the first widget of @type under @widget, depth first */
GtkWidget *
find_of_type(GtkWidget *widget, GType type)
{
	if (G_TYPE_CHECK_INSTANCE_TYPE(widget, type))
		return widget;
	for (GtkWidget *c = gtk_widget_get_first_child(widget); c != NULL; c = gtk_widget_get_next_sibling(c)) {
		GtkWidget *found = find_of_type(c, type);
		if (found != NULL)
			return found;
	}
	return NULL;
}

/* the button wired to @action_name, from the window's own widget tree */
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

/* the window's button wired to @action_name; there must be one */
GtkWidget *
action_button(FkWindow *win, const gchar *action_name)
{
	GtkWidget *button = find_action_button(GTK_WIDGET(win), action_name);
	g_assert_nonnull(button);
	return button;
}

/* whether @action (with @target, for actions with a parameter) is enabled: what a button wired
 * to it would show. GTK has no getter for a widget class action's state, so a hidden probe
 * button is put next to the window's Backup button for a moment. */
gboolean
action_enabled(FkWindow *win, const gchar *action, GVariant *target)
{
	GtkWidget *box = gtk_widget_get_parent(action_button(win, "win.backup"));
	GtkWidget *probe = gtk_button_new();
	gboolean enabled;
	g_assert_true(GTK_IS_BOX(box));
	gtk_widget_set_visible(probe, FALSE);
	gtk_actionable_set_action_name(GTK_ACTIONABLE(probe), action);
	if (target != NULL)
		gtk_actionable_set_action_target_value(GTK_ACTIONABLE(probe), target);
	gtk_box_append(GTK_BOX(box), probe);
	enabled = gtk_widget_get_sensitive(probe);
	gtk_box_remove(GTK_BOX(box), probe);
	return enabled;
}

gboolean
action_button_sensitive(FkWindow *win, const gchar *action_name)
{
	return gtk_widget_get_sensitive(action_button(win, action_name));
}

/* the first mapped label under @widget whose text contains @needle (toasts are labels), or NULL */
GtkLabel *
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

/* waits until a label under @widget (the window, or e.g. a popover of it) shows @needle */
GtkLabel *
wait_for_label(GtkWidget *widget, const gchar *needle)
{
	LabelWait lw = {widget, needle};
	GtkLabel *label;
	spin_until(cond_label, &lw);
	label = find_label(widget, needle);
	g_assert_nonnull(label);
	return label;
}

/* the visible AdwMessageDialogs on top of @win */
GPtrArray *
list_message_dialogs(FkWindow *win)
{
	GPtrArray *found = g_ptr_array_new();
	GList *tops = gtk_window_list_toplevels();
	for (GList *l = tops; l != NULL; l = l->next) {
		GtkWindow *w = l->data;
		if (ADW_IS_MESSAGE_DIALOG(w) && gtk_window_get_transient_for(w) == GTK_WINDOW(win) &&
		    gtk_widget_get_visible(GTK_WIDGET(w)))
			g_ptr_array_add(found, w);
	}
	g_list_free(tops);
	return found;
}

gboolean
cond_dialog_shown(gpointer data)
{
	g_autoptr(GPtrArray) dialogs = list_message_dialogs(FK_WINDOW(data));
	return dialogs->len > 0 && gtk_widget_get_mapped(g_ptr_array_index(dialogs, 0));
}

gboolean
cond_no_dialog(gpointer data)
{
	g_autoptr(GPtrArray) dialogs = list_message_dialogs(FK_WINDOW(data));
	return dialogs->len == 0;
}

/* waits for exactly one message dialog and returns it */
AdwMessageDialog *
wait_for_dialog(FkWindow *win)
{
	g_autoptr(GPtrArray) dialogs = NULL;
	spin_until(cond_dialog_shown, win);
	dialogs = list_message_dialogs(win);
	g_assert_cmpuint(dialogs->len, ==, 1);
	return ADW_MESSAGE_DIALOG(g_ptr_array_index(dialogs, 0));
}

GtkWidget *
find_button_with_label(GtkWidget *widget, const gchar *label)
{
	if (GTK_IS_BUTTON(widget) && g_strcmp0(gtk_button_get_label(GTK_BUTTON(widget)), label) == 0)
		return widget;
	for (GtkWidget *c = gtk_widget_get_first_child(widget); c != NULL; c = gtk_widget_get_next_sibling(c)) {
		GtkWidget *found = find_button_with_label(c, label);
		if (found != NULL)
			return found;
	}
	return NULL;
}

/* what a click on the response's button does: the dialog closes and emits ::response */
void
respond(FkWindow *win, AdwMessageDialog *dialog, const gchar *response)
{
	GtkWidget *button;
	g_assert_true(adw_message_dialog_has_response(dialog, response));
	g_assert_true(adw_message_dialog_get_response_enabled(dialog, response));
	button = find_button_with_label(GTK_WIDGET(dialog), adw_message_dialog_get_response_label(dialog, response));
	g_assert_nonnull(button);
	g_assert_true(gtk_widget_is_sensitive(button));
	g_signal_emit_by_name(button, "clicked");
	spin_until(cond_no_dialog, win);
}

/* ---- screenshots ---- */

void
screenshot(GtkWidget *settle, const gchar *name)
{
	const gchar *dir = g_getenv("FK_SCREENSHOT_DIR");
	g_autofree gchar *path = NULL;
	g_autofree gchar *err = NULL;
	g_autoptr(GError) error = NULL;
	gint status = 0;

	if (dir == NULL || dir[0] == '\0')
		return;
	/* painted, and any appearing animation (toasts, dialogs) over */
	wait_frames(settle, 30);
	g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
	path = g_strdup_printf("%s/%s.png", dir, name);
	{
		const gchar *argv[] = {"import", "-window", "root", path, NULL};
		g_assert_true(g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
					   NULL, NULL, NULL, &err, &status, &error));
	}
	g_assert_no_error(error);
	if (!g_spawn_check_wait_status(status, &error))
		g_test_message("import: %s", err);
	g_assert_no_error(error);
	g_test_message("screenshot %s", path);
}

/* ---- files and flash ---- */

FkSimDevice *
sim_device_for_port(const gchar *port)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FkTransport) transport = fk_transport_open(port, &error);
	FkSimDevice *dev;
	g_assert_no_error(error);
	g_assert_true(FK_IS_SIM_TRANSPORT(transport));
	dev = g_object_ref(fk_sim_transport_get_device(FK_SIM_TRANSPORT(transport)));
	fk_transport_close(transport);
	return dev;
}

GBytes *
sim_flash(Fixture *f)
{
	return fk_sim_device_get_flash(f->dev);
}

void
assert_bytes_equal(GBytes *a, GBytes *b)
{
	gsize la = 0, lb = 0;
	const guint8 *da = g_bytes_get_data(a, &la);
	const guint8 *db = g_bytes_get_data(b, &lb);
	g_assert_cmpuint(la, ==, lb);
	if (memcmp(da, db, la) != 0) {
		gsize i = 0;
		while (da[i] == db[i])
			i++;
		g_test_message("first difference at 0x%" G_GSIZE_MODIFIER "x: %02x != %02x", i, da[i], db[i]);
		g_assert_not_reached();
	}
}

void
assert_file_is(const gchar *path, GBytes *expected)
{
	g_autofree gchar *contents = NULL;
	gsize len = 0;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes = NULL;
	g_assert_true(g_file_get_contents(path, &contents, &len, &error));
	g_assert_no_error(error);
	bytes = g_bytes_new_take(g_steal_pointer(&contents), len);
	assert_bytes_equal(bytes, expected);
}

void
write_file(const gchar *path, GBytes *bytes)
{
	g_autoptr(GError) error = NULL;
	g_assert_true(g_file_set_contents(path, g_bytes_get_data(bytes, NULL), (gssize)g_bytes_get_size(bytes), &error));
	g_assert_no_error(error);
}

void
reset_settings(const gchar *port)
{
	g_autoptr(GSettings) settings = g_settings_new(APP_ID);
	g_autoptr(GSettingsSchema) schema = NULL;
	g_auto(GStrv) keys = NULL;
	g_object_get(settings, "settings-schema", &schema, NULL);
	keys = g_settings_schema_list_keys(schema);
	for (guint i = 0; keys[i] != NULL; i++)
		g_settings_reset(settings, keys[i]);
	/* the window selects the last port at start-up, so it never touches a real adapter */
	g_settings_set_string(settings, "last-port", port);
}

/* ---- the application and the fixture ---- */

/* this run's simulated flashes are saved in a state directory of its own (set as
 * XDG_STATE_HOME before GLib is asked for it); the caller removes it */
gchar *
use_own_state_dir(void)
{
	g_autoptr(GError) error = NULL;
	gchar *state = g_dir_make_tmp("fk-ui-state-XXXXXX", &error);
	g_assert_no_error(error);
	g_setenv("XDG_STATE_HOME", state, TRUE);
	return state;
}

/* the application the fixture's windows belong to: it sets up libadwaita and its style sheet and
 * registers "sim:" ports. It is registered (startup) but never run: the tests spin the main
 * context themselves. */
void
start_app(const gchar *app_id)
{
	g_autoptr(GError) error = NULL;
	g_assert_null(fk_window_test_app);
	fk_window_test_app = g_object_new(FK_TYPE_APPLICATION,
					  "application-id", app_id,
					  "flags", G_APPLICATION_NON_UNIQUE,
					  "resource-base-path", "/io/github/flashkeep/Flashkeep",
					  NULL);
	g_assert_true(g_application_register(G_APPLICATION(fk_window_test_app), NULL, &error));
	g_assert_no_error(error);
	/* keep the application alive with no window between tests */
	g_application_hold(G_APPLICATION(fk_window_test_app));
}

void
stop_app(void)
{
	g_application_release(G_APPLICATION(fk_window_test_app));
	g_clear_object(&fk_window_test_app);
}

gboolean
cond_identified(gpointer data)
{
	Fixture *f = data;
	const gchar *chip;
	if (fk_window_is_busy(f->win))
		return FALSE;
	chip = row_subtitle(f->win, "chip_row");
	return chip != NULL && strstr(chip, "ESP") != NULL;
}

void
fixture_setup(Fixture *f, gconstpointer data)
{
	const gchar *port = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(FkSimDevice) pristine = NULL;

	f->dir = g_dir_make_tmp("fk-ui-test-XXXXXX", &error);
	g_assert_no_error(error);

	/* a fresh simulated board for every test: no faults, unpaced (tests that need realistic
	 * timing turn pacing on), and a flash of its own, generated for another seed */
	f->dev = sim_device_for_port(port);
	fk_sim_device_clear_faults(f->dev);
	fk_sim_device_set_timing(f->dev, FALSE, 0);
	pristine = fk_sim_device_new(fk_sim_device_get_chip_name(f->dev), fk_sim_device_get_flash_size(f->dev),
				     g_test_rand_int(), &error);
	g_assert_no_error(error);
	f->initial = fk_sim_device_get_flash(pristine);
	g_assert_true(fk_sim_device_set_flash(f->dev, f->initial, &error));
	g_assert_no_error(error);

	reset_settings(port);
	/* GTK owns the toplevel; this reference lets teardown check that the window is finalized */
	f->win = g_object_ref(fk_window_new(ADW_APPLICATION(fk_window_test_app)));
	gtk_window_present(GTK_WINDOW(f->win));
	g_assert_cmpstr(fk_window_get_port(f->win), ==, port);

	/* the window identifies the chip on its own at start-up */
	spin_until(cond_identified, f);
}

/* closes the window, unless the test did (Fixture.destroyed), and checks that it is finalized */
void
fixture_teardown(Fixture *f, gconstpointer data)
{
	if (!f->destroyed) {
		g_autoptr(GPtrArray) dialogs = list_message_dialogs(f->win);
		for (guint i = 0; i < dialogs->len; i++)
			gtk_window_destroy(g_ptr_array_index(dialogs, i));
		if (fk_window_is_busy(f->win)) {
			gtk_widget_activate_action(GTK_WIDGET(f->win), "win.cancel", NULL);
			spin_until(cond_not_busy, f->win);
		}
		gtk_window_destroy(GTK_WINDOW(f->win));
	}
	drain_main_context();
	g_assert_finalize_object(f->win);

	fk_sim_device_clear_faults(f->dev);
	fk_sim_device_set_timing(f->dev, FALSE, 0);
	g_object_unref(f->dev);
	g_bytes_unref(f->initial);
	fk_test_rm_rf(f->dir);
	g_free(f->dir);
}

void
start_backup(Fixture *f, const gchar *path)
{
	g_assert_false(fk_window_is_busy(f->win));
	gtk_widget_activate_action(GTK_WIDGET(f->win), "win.backup-to", "s", path);
	g_assert_true(fk_window_is_busy(f->win));
}

void
wait_job_done(Fixture *f)
{
	spin_until(cond_not_busy, f->win);
}

gdouble
progress_fraction(Fixture *f)
{
	return gtk_progress_bar_get_fraction(GTK_PROGRESS_BAR(template_child(f->win, "progress_bar")));
}

typedef struct {
	Fixture *f;
	gdouble at_least;
} FractionWait;

static gboolean
cond_fraction(gpointer data)
{
	FractionWait *fw = data;
	return progress_fraction(fw->f) >= fw->at_least;
}

void
wait_fraction(Fixture *f, gdouble at_least)
{
	FractionWait fw = {f, at_least};
	spin_until(cond_fraction, &fw);
	g_assert_true(fk_window_is_busy(f->win));
}
