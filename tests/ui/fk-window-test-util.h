/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the window's test programs share: waiting without fixed sleeps, widget and dialog lookups,
 * screenshots, the simulated board's flash and files, and the fixture that presents a window. */
#pragma once

#include <adwaita.h>

#include "fk-application.h"
#include "fk-sim-device.h"
#include "fk-window.h"

G_BEGIN_DECLS

/* one of the ports the window offers (it lists only its own simulated boards) */
#define PORT_ESP8266 "sim:esp8266@1MB,paced,latency=2"
#define PORT_LATENCY_US 2000
#define FLASH_1MB (1024 * 1024)

/* set by start_app(), which the test program's main() calls before the tests run */
extern FkApplication *fk_window_test_app;

typedef struct {
	FkWindow *win;
	FkSimDevice *dev; /* the device the window's jobs talk to */
	gchar *dir;	  /* this test's files */
	GBytes *initial;  /* the simulated flash at the start of the test */
	gboolean destroyed; /* the test closed the window itself */
} Fixture;

typedef gboolean (*Cond)(gpointer data);

void
spin_until(Cond cond, gpointer data);
void
drain_main_context(void);
gboolean
cond_not_busy(gpointer data);
void
wait_frames(GtkWidget *widget, guint n);
GtkWidget *
template_child(FkWindow *win, const gchar *name);
const gchar *
row_subtitle(FkWindow *win, const gchar *row);
GtkWidget *
find_of_type(GtkWidget *widget, GType type);
GtkWidget *
action_button(FkWindow *win, const gchar *action_name);
gboolean
action_enabled(FkWindow *win, const gchar *action, GVariant *target);
gboolean
action_button_sensitive(FkWindow *win, const gchar *action_name);
GtkLabel *
find_label(GtkWidget *widget, const gchar *needle);
GtkLabel *
wait_for_label(GtkWidget *widget, const gchar *needle);
GPtrArray *
list_message_dialogs(FkWindow *win);
gboolean
cond_dialog_shown(gpointer data);
gboolean
cond_no_dialog(gpointer data);
AdwMessageDialog *
wait_for_dialog(FkWindow *win);
GtkWidget *
find_button_with_label(GtkWidget *widget, const gchar *label);
void
respond(FkWindow *win, AdwMessageDialog *dialog, const gchar *response);
void
screenshot(GtkWidget *settle, const gchar *name);
FkSimDevice *
sim_device_for_port(const gchar *port);
GBytes *
sim_flash(Fixture *f);
void
assert_bytes_equal(GBytes *a, GBytes *b);
void
assert_file_is(const gchar *path, GBytes *expected);
void
write_file(const gchar *path, GBytes *bytes);
void
reset_settings(const gchar *port);
gboolean
cond_identified(gpointer data);
gchar *
use_own_state_dir(void);
void
start_app(const gchar *app_id);
void
stop_app(void);
void
fixture_setup(Fixture *f, gconstpointer data);
void
fixture_teardown(Fixture *f, gconstpointer data);
void
start_backup(Fixture *f, const gchar *path);
void
wait_job_done(Fixture *f);
gdouble
progress_fraction(Fixture *f);
void
wait_fraction(Fixture *f, gdouble at_least);

G_END_DECLS
