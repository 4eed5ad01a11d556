/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests for installing flasher stubs (fk-stub-install.c): finding esptool-js trees in a home
 * folder of its own, copying their stubs into the user's stub directory, and the command offered
 * when there are none. HOME, XDG_DATA_HOME and PATH point into a temporary directory. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "fk-error.h"
#include "fk-stub-install.h"
#include "fk-stub.h"
#include "fk-test-util.h"

static gchar *root = NULL; /* the temporary HOME */

/* a small stub that fits the ESP8266's RAM: code at the start of IRAM, data in DRAM */
static gchar *
fake_stub_json(void)
{
	guint8 text[64];
	guint8 data[16];
	g_autofree gchar *text_b64 = NULL;
	g_autofree gchar *data_b64 = NULL;
	for (guint i = 0; i < sizeof(text); i++)
		text[i] = (guint8)i;
	memset(data, 0xA5, sizeof(data));
	text_b64 = g_base64_encode(text, sizeof(text));
	data_b64 = g_base64_encode(data, sizeof(data));
	return g_strdup_printf("{\"entry\": %u, \"text\": \"%s\", \"text_start\": %u, "
			       "\"data\": \"%s\", \"data_start\": %u}",
			       0x40100004u, text_b64, 0x40100000u, data_b64, 0x3FFE8000u);
}

static void
write_text(const gchar *path, const gchar *text)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_path_get_dirname(path);
	g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
	g_assert_true(g_file_set_contents(path, text, -1, &error));
	g_assert_no_error(error);
}

/* a local `npm install --prefix ~ esptool-js`: not searched by the engine, only offered */
static gchar *
make_local_esptool_js(void)
{
	g_autofree gchar *json = fake_stub_json();
	gchar *dir = g_build_filename(root, "node_modules", "esptool-js", "lib", "targets", "stub_flasher", NULL);
	g_autofree gchar *good = g_build_filename(dir, "esp8266.json", NULL);
	g_autofree gchar *bad = g_build_filename(dir, "esp32.json", NULL);
	g_autofree gchar *other = g_build_filename(dir, "README.md", NULL);
	write_text(good, json);
	write_text(bad, "{\"entry\": 1, \"text\": \"not base64!\"}");
	write_text(other, "not a stub");
	return dir;
}

static void
clean_home(void)
{
	g_assert_true(fk_test_empty_dir(root));
}

static void
test_no_sources(void)
{
	g_autoptr(GPtrArray) sources = NULL;
	clean_home();
	sources = fk_stub_list_sources();
	for (guint i = 0; i < sources->len; i++)
		g_assert_false(g_str_has_prefix(g_ptr_array_index(sources, i), root));
}

static void
test_find_and_install(void)
{
	const FkChipInfo *esp8266 = fk_chip_by_family(FK_CHIP_ESP8266);
	g_autofree gchar *source = NULL;
	g_autofree gchar *user_dir = fk_stub_user_dir();
	g_autofree gchar *installed = NULL;
	g_autofree gchar *listing = NULL;
	g_autoptr(GPtrArray) sources = NULL;
	g_autoptr(FkStub) stub = NULL;
	g_autoptr(GError) error = NULL;
	gboolean listed = FALSE;
	guint n = 99;

	clean_home();
	source = make_local_esptool_js();
	g_assert_true(g_str_has_prefix(user_dir, root));

	/* the engine does not search a local node_modules: without installing, no stub */
	stub = fk_stub_find(esp8266, &error);
	g_assert_error(error, FK_ERROR, FK_ERROR_STUB_MISSING);
	g_assert_null(stub);
	g_clear_error(&error);

	sources = fk_stub_list_sources();
	for (guint i = 0; i < sources->len; i++)
		listed = listed || g_strcmp0(g_ptr_array_index(sources, i), source) == 0;
	g_assert_true(listed);

	g_assert_true(fk_stub_install_from(source, NULL, &n, &error));
	g_assert_no_error(error);
	/* the damaged esp32.json and the README are left out */
	g_assert_cmpuint(n, ==, 1);
	listing = fk_test_dir_listing(user_dir);
	g_assert_cmpstr(listing, ==, "esp8266.json");

	stub = fk_stub_find(esp8266, &error);
	g_assert_no_error(error);
	installed = g_build_filename(user_dir, "esp8266.json", NULL);
	g_assert_cmpstr(stub->path, ==, installed);

	/* installing again replaces the file, and leaves no temporary file behind */
	g_assert_true(fk_stub_install_from(source, NULL, &n, &error));
	g_assert_no_error(error);
	g_clear_pointer(&listing, g_free);
	listing = fk_test_dir_listing(user_dir);
	g_assert_cmpstr(listing, ==, "esp8266.json");
}

static void
test_install_nothing_usable(void)
{
	g_autofree gchar *dir = g_build_filename(root, "broken", NULL);
	g_autofree gchar *bad = g_build_filename(dir, "esp8266.json", NULL);
	g_autofree gchar *user_dir = fk_stub_user_dir();
	g_autofree gchar *would_be = g_build_filename(user_dir, "esp8266.json", NULL);
	g_autoptr(GError) error = NULL;
	guint n = 99;

	clean_home();
	write_text(bad, "{\"entry\": 4}");
	g_assert_false(fk_stub_install_from(dir, NULL, &n, &error));
	g_assert_error(error, FK_ERROR, FK_ERROR_STUB_MISSING);
	g_assert_nonnull(strstr(error->message, dir));
	g_assert_cmpuint(n, ==, 0);
	g_assert_false(g_file_test(would_be, G_FILE_TEST_EXISTS));
	g_clear_error(&error);

	g_assert_false(fk_stub_install_from("/nonexistent/stubs", NULL, &n, &error));
	g_assert_error(error, FK_ERROR, FK_ERROR_STUB_MISSING);
}

static void
make_program(const gchar *dir, const gchar *name)
{
	g_autofree gchar *path = g_build_filename(dir, name, NULL);
	write_text(path, "#!/bin/sh\nexit 0\n");
	g_assert_cmpint(g_chmod(path, 0755), ==, 0);
}

static void
test_install_command(void)
{
	g_autofree gchar *bin = g_build_filename(root, "bin", NULL);
	g_autofree gchar *fetch = g_build_filename(bin, "flashkeep-fetch-stubs", NULL);
	g_autofree gchar *installed = g_build_filename(FK_BINDIR, "flashkeep-fetch-stubs", NULL);
	g_autofree gchar *cmd = NULL;

	clean_home();
	g_setenv("PATH", bin, TRUE);
	make_program(bin, "npm");
	make_program(bin, "flashkeep-fetch-stubs");
	/* the installed script comes first: it names the very file to run */
	cmd = fk_stub_install_command();
	g_assert_cmpstr(cmd, ==, fetch);

	if (g_file_test(installed, G_FILE_TEST_IS_EXECUTABLE)) {
		g_test_message("%s is installed: the npm fallback is not reached", installed);
		return;
	}
	g_assert_cmpint(g_unlink(fetch), ==, 0);
	g_clear_pointer(&cmd, g_free);
	cmd = fk_stub_install_command();
	g_assert_cmpstr(cmd, ==, "npm install --prefix ~ esptool-js");
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *data_home = NULL;
	int rc;

	/* before anything asks GLib for these: it keeps the first answer */
	root = g_dir_make_tmp("fk-stub-install-XXXXXX", &error);
	g_assert_no_error(error);
	data_home = g_build_filename(root, ".local", "share", NULL);
	g_setenv("HOME", root, TRUE);
	g_setenv("XDG_DATA_HOME", data_home, TRUE);
	g_setenv("FLASHKEEP_STUB_PATH", "", TRUE);

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/fk/stub-install/no-sources", test_no_sources);
	g_test_add_func("/fk/stub-install/find-and-install", test_find_and_install);
	g_test_add_func("/fk/stub-install/nothing-usable", test_install_nothing_usable);
	g_test_add_func("/fk/stub-install/command", test_install_command);
	rc = g_test_run();
	fk_test_rm_rf(root);
	g_free(root);
	return rc;
}
