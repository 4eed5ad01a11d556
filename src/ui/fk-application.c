/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns FkApplication: start-up, actions (about, quit), style; calls FkWindow */
#include "config.h"

#include <glib/gi18n.h>

#include "fk-application.h"
#include "fk-window.h"

struct _FkApplication {
	AdwApplication parent_instance;
};

G_DEFINE_FINAL_TYPE(FkApplication, fk_application, ADW_TYPE_APPLICATION)

FkApplication *
fk_application_new(void)
{
	return g_object_new(FK_TYPE_APPLICATION,
			    "application-id", APP_ID,
			    "flags", G_APPLICATION_DEFAULT_FLAGS,
			    "resource-base-path", "/io/github/flashkeep/Flashkeep",
			    NULL);
}

static void
fk_application_activate(GApplication *app)
{
	GtkWindow *window = gtk_application_get_active_window(GTK_APPLICATION(app));
	if (window == NULL)
		window = GTK_WINDOW(fk_window_new(ADW_APPLICATION(app)));
	gtk_window_present(window);
}

static void
fk_application_about_action(GSimpleAction *action, GVariant *param, gpointer user_data)
{
	GtkApplication *app = GTK_APPLICATION(user_data);
	const gchar *developers[] = {"The Flashkeep developers", NULL};
	GtkWidget *about = adw_about_window_new();
	gtk_window_set_transient_for(GTK_WINDOW(about), gtk_application_get_active_window(app));
	g_object_set(about,
		     "application-name", "Flashkeep",
		     "application-icon", APP_ID,
		     "version", PACKAGE_VERSION,
		     "developer-name", _("The Flashkeep developers"),
		     "developers", developers,
		     "license-type", GTK_LICENSE_GPL_3_0,
		     "comments", _("Back up, restore and erase the flash of ESP8266 and ESP32 boards, "
				   "verified against the chip’s own checksum."),
		     /* Translators: put your name here */
		     "translator-credits", _("translator-credits"),
		     NULL);
	adw_about_window_add_legal_section(ADW_ABOUT_WINDOW(about), _("Flasher stubs"),
					   _("Espressif’s flasher stubs are installed with flashkeep-fetch-stubs or found in an "
					     "existing esptool or esptool-js installation; they are licensed Apache-2.0 OR "
					     "MIT by Espressif Systems."),
					   GTK_LICENSE_CUSTOM, NULL);
	gtk_window_present(GTK_WINDOW(about));
}

static void
fk_application_quit_action(GSimpleAction *action, GVariant *param, gpointer user_data)
{
	GtkApplication *app = GTK_APPLICATION(user_data);
	/* closing goes through each window's close-request, which asks about running jobs */
	GList *windows = gtk_application_get_windows(app);
	for (GList *l = windows; l != NULL; l = l->next)
		gtk_window_close(GTK_WINDOW(l->data));
}

static void
fk_application_startup(GApplication *app)
{
	const GActionEntry actions[] = {
	    {"about", fk_application_about_action, NULL, NULL, NULL, {0}},
	    {"quit", fk_application_quit_action, NULL, NULL, NULL, {0}},
	};
	const gchar *quit_accels[] = {"<Control>q", NULL};

	G_APPLICATION_CLASS(fk_application_parent_class)->startup(app);
	g_action_map_add_action_entries(G_ACTION_MAP(app), actions, G_N_ELEMENTS(actions), app);
	gtk_application_set_accels_for_action(GTK_APPLICATION(app), "app.quit", quit_accels);
}

static void
fk_application_init(FkApplication *self)
{
}

static void
fk_application_class_init(FkApplicationClass *klass)
{
	GApplicationClass *app_class = G_APPLICATION_CLASS(klass);
	app_class->activate = fk_application_activate;
	app_class->startup = fk_application_startup;
}
