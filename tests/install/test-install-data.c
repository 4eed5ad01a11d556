/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the check that an installed (or `meson devenv`) tree gives the app what it looks up at run
 * time: its icons through the GTK icon theme (as the window and the About dialog ask for them),
 * the desktop entry's Icon and Exec, the compiled settings schema; calls GTK, GIO only.
 *   test-install-data DATADIR [BINDIR]
 * DATADIR is the share/ folder the icons must come from (XDG_DATA_DIRS must name it); with
 * BINDIR, the desktop entry and the schema are checked too. */
#include "config.h"

#include <gtk/gtk.h>

static const gchar *datadir;
static const gchar *bindir;

/* the file GTK picks for @name must be the one under DATADIR, not a copy elsewhere */
static void
check_icon(const gchar *name)
{
	GtkIconTheme *theme = gtk_icon_theme_get_for_display(gdk_display_get_default());
	g_autoptr(GtkIconPaintable) paintable = NULL;
	g_autoptr(GFile) file = NULL;
	g_autofree gchar *path = NULL;
	g_autofree gchar *icons = g_build_filename(datadir, "icons", NULL);

	g_assert_true(gtk_icon_theme_has_icon(theme, name));
	paintable = gtk_icon_theme_lookup_icon(theme, name, NULL, 128, 1, GTK_TEXT_DIR_NONE, 0);
	g_assert_nonnull(paintable);
	file = gtk_icon_paintable_get_file(paintable);
	g_assert_nonnull(file);
	path = g_file_get_path(file);
	g_assert_nonnull(path);
	g_test_message("%s: %s", name, path);
	g_assert_true(g_str_has_prefix(path, icons));
}

static void
test_icon(void)
{
	check_icon(APP_ID);
}

static void
test_icon_symbolic(void)
{
	check_icon(APP_ID "-symbolic");
}

/* what the app grid shows and starts: the entry's icon resolves, its program is installed */
static void
test_desktop_entry(void)
{
	g_autofree gchar *path = g_build_filename(datadir, "applications", APP_ID ".desktop", NULL);
	g_autoptr(GKeyFile) keyfile = g_key_file_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *icon = NULL;
	g_autofree gchar *exec = NULL;
	g_auto(GStrv) argv = NULL;
	g_autofree gchar *program = NULL;

	if (bindir == NULL) {
		g_test_skip("no BINDIR given");
		return;
	}
	g_assert_true(g_key_file_load_from_file(keyfile, path, G_KEY_FILE_NONE, &error));
	g_assert_no_error(error);
	icon = g_key_file_get_string(keyfile, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_ICON, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(icon, ==, APP_ID);
	check_icon(icon);
	exec = g_key_file_get_string(keyfile, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_EXEC, &error);
	g_assert_no_error(error);
	g_assert_true(g_shell_parse_argv(exec, NULL, &argv, &error));
	g_assert_no_error(error);
	/* a bare name is found on PATH, which holds BINDIR once installed */
	program = g_path_is_absolute(argv[0]) ? g_strdup(argv[0]) : g_build_filename(bindir, argv[0], NULL);
	g_test_message("Exec: %s", program);
	g_assert_true(g_file_test(program, G_FILE_TEST_IS_EXECUTABLE));
}

static void
test_schema(void)
{
	GSettingsSchemaSource *source = g_settings_schema_source_get_default();
	g_autoptr(GSettingsSchema) schema = NULL;

	if (bindir == NULL) {
		g_test_skip("no BINDIR given");
		return;
	}
	g_assert_nonnull(source);
	schema = g_settings_schema_source_lookup(source, APP_ID, TRUE);
	g_assert_nonnull(schema);
}

int
main(int argc, char **argv)
{
	gtk_test_init(&argc, &argv, NULL);
	if (argc < 2) {
		g_printerr("usage: %s DATADIR [BINDIR]\n", argv[0]);
		return 2;
	}
	datadir = argv[1];
	bindir = argc > 2 ? argv[2] : NULL;
	g_test_add_func("/install/icon", test_icon);
	g_test_add_func("/install/icon-symbolic", test_icon_symbolic);
	g_test_add_func("/install/desktop-entry", test_desktop_entry);
	g_test_add_func("/install/schema", test_schema);
	return g_test_run();
}
