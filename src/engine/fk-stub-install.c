/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns installing flasher stubs: where esptool and esptool-js keep them on this machine, copying
 * them into the user's stub directory, and the command to offer when there are none; calls fk-stub */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "fk-error.h"
#include "fk-stub-install.h"
#include "fk-stub.h"

gboolean
fk_stub_needed_for_backup(const FkChipInfo *chip)
{
	return chip != NULL && chip->family == FK_CHIP_ESP8266;
}

static gboolean
fk_stub_is_stub_name(const gchar *name)
{
	return g_str_has_suffix(name, ".json") &&
	       (g_str_has_prefix(name, "esp") || g_str_has_prefix(name, "stub_flasher_"));
}

static gboolean
fk_stub_dir_has_stubs(const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const gchar *name;
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		if (fk_stub_is_stub_name(name))
			return TRUE;
	}
	return FALSE;
}

/* esptool installed into a virtual environment under @venv_root/<name>/lib/python3.x */
static void
fk_stub_add_venv_dirs(GPtrArray *dirs, const gchar *venv_root)
{
	g_autoptr(GDir) venvs = g_dir_open(venv_root, 0, NULL);
	const gchar *name;
	while (venvs != NULL && (name = g_dir_read_name(venvs)) != NULL) {
		g_autofree gchar *libdir = g_build_filename(venv_root, name, "lib", NULL);
		g_autoptr(GDir) pys = g_dir_open(libdir, 0, NULL);
		const gchar *py;
		while (pys != NULL && (py = g_dir_read_name(pys)) != NULL) {
			const gchar *subdirs[] = {"2", "1", "", NULL};
			if (!g_str_has_prefix(py, "python3"))
				continue;
			for (guint i = 0; subdirs[i] != NULL; i++)
				g_ptr_array_add(dirs, g_build_filename(libdir, py, "site-packages", "esptool", "targets",
								       "stub_flasher", subdirs[i], NULL));
		}
	}
}

GPtrArray *
fk_stub_list_sources(void)
{
	g_autoptr(GPtrArray) candidates = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *found = g_ptr_array_new_with_free_func(g_free);
	const gchar *home = g_get_home_dir();
	g_autofree gchar *pipx_new = g_build_filename(g_get_user_data_dir(), "pipx", "venvs", NULL);
	g_autofree gchar *pipx_old = g_build_filename(home, ".local", "pipx", "venvs", NULL);
	g_autofree gchar *pio = g_build_filename(home, ".platformio", "packages", NULL);

	fk_stub_add_tool_dirs(candidates);
	/* `npm install --prefix ~ esptool-js`, which fk_stub_install_command() offers */
	g_ptr_array_add(candidates, g_build_filename(home, "node_modules", "esptool-js", "lib", "targets",
						     "stub_flasher", NULL));
	fk_stub_add_venv_dirs(candidates, pipx_new);
	fk_stub_add_venv_dirs(candidates, pipx_old);
	g_ptr_array_add(candidates, g_build_filename(pio, "tool-esptoolpy", "esptool", "targets", "stub_flasher",
						     NULL));
	g_ptr_array_add(candidates, g_build_filename(pio, "tool-esptoolpy", "esptool", "targets", "stub_flasher",
						     "1", NULL));

	for (guint i = 0; i < candidates->len; i++) {
		const gchar *path = g_ptr_array_index(candidates, i);
		gboolean seen = FALSE;
		for (guint j = 0; j < found->len && !seen; j++)
			seen = g_strcmp0(g_ptr_array_index(found, j), path) == 0;
		if (!seen && fk_stub_dir_has_stubs(path))
			g_ptr_array_add(found, g_strdup(path));
	}
	return found;
}

/* reads @path and checks it as the engine will before it is ever uploaded */
static GBytes *
fk_stub_read_valid(const gchar *path, GError **error)
{
	g_autoptr(FkStub) stub = fk_stub_load_file(path, error);
	g_autofree gchar *contents = NULL;
	gsize len = 0;
	if (stub == NULL)
		return NULL;
	if (!g_file_get_contents(path, &contents, &len, error))
		return NULL;
	/* the bytes copied are the bytes checked, even if the file changed in between */
	g_clear_pointer(&stub, fk_stub_free);
	stub = fk_stub_load_data(contents, (gssize)len, path, error);
	if (stub == NULL)
		return NULL;
	return g_bytes_new_take(g_steal_pointer(&contents), len);
}

gboolean
fk_stub_install_from(const gchar *source_dir, const gchar *dest_dir, guint *n_installed, GError **error)
{
	g_autofree gchar *dest = dest_dir != NULL ? g_strdup(dest_dir) : fk_stub_user_dir();
	g_autoptr(GError) error_dir = NULL;
	g_autoptr(GError) first_refused = NULL;
	g_autoptr(GDir) dir = g_dir_open(source_dir, 0, &error_dir);
	const gchar *name;
	guint n = 0;

	if (n_installed != NULL)
		*n_installed = 0;
	if (dir == NULL) {
		g_set_error(error, FK_ERROR, FK_ERROR_STUB_MISSING, "Cannot read the flasher stubs in %s: %s",
			    source_dir, error_dir->message);
		return FALSE;
	}
	if (g_mkdir_with_parents(dest, 0755) != 0) {
		int saved = errno;
		g_set_error(error, FK_ERROR, FK_ERROR_FAILED,
			    "Cannot create the folder %s for the flasher stubs: %s. Check that your home "
			    "folder is writable and not full.",
			    dest, g_strerror(saved));
		return FALSE;
	}
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *src = NULL;
		g_autofree gchar *dst = NULL;
		g_autoptr(GBytes) bytes = NULL;
		g_autoptr(GError) error_file = NULL;
		if (!fk_stub_is_stub_name(name))
			continue;
		src = g_build_filename(source_dir, name, NULL);
		bytes = fk_stub_read_valid(src, &error_file);
		if (bytes == NULL) {
			if (first_refused == NULL)
				first_refused = g_steal_pointer(&error_file);
			continue;
		}
		dst = g_build_filename(dest, name, NULL);
		if (!g_file_set_contents_full(dst, g_bytes_get_data(bytes, NULL), (gssize)g_bytes_get_size(bytes),
					      G_FILE_SET_CONTENTS_CONSISTENT, 0644, &error_file)) {
			g_set_error(error, FK_ERROR, FK_ERROR_FAILED,
				    "Cannot save the flasher stub %s: %s. Check that your home folder is "
				    "writable and not full.",
				    dst, error_file->message);
			return FALSE;
		}
		n++;
	}
	if (n_installed != NULL)
		*n_installed = n;
	if (n == 0) {
		g_set_error(error, FK_ERROR, FK_ERROR_STUB_MISSING,
			    "There is no usable flasher stub in %s%s%s. Install esptool or esptool-js "
			    "again, or run flashkeep-fetch-stubs.",
			    source_dir, first_refused != NULL ? ": " : "",
			    first_refused != NULL ? first_refused->message : "");
		return FALSE;
	}
	return TRUE;
}

gchar *
fk_stub_install_command(void)
{
	g_autofree gchar *fetch = g_find_program_in_path("flashkeep-fetch-stubs");
	g_autofree gchar *installed = g_build_filename(FK_BINDIR, "flashkeep-fetch-stubs", NULL);
	g_autofree gchar *npm = NULL;
	g_autofree gchar *pipx = NULL;
	g_autofree gchar *apt = NULL;

	if (fetch != NULL)
		return g_steal_pointer(&fetch);
	if (g_file_test(installed, G_FILE_TEST_IS_EXECUTABLE))
		return g_steal_pointer(&installed);
	/* each of these puts the stubs where fk_stub_list_sources() looks */
	npm = g_find_program_in_path("npm");
	if (npm != NULL)
		return g_strdup("npm install --prefix ~ esptool-js");
	pipx = g_find_program_in_path("pipx");
	if (pipx != NULL)
		return g_strdup("pipx install esptool");
	/* Debian's esptool package carries the stubs; pip refuses to install beside it there */
	apt = g_find_program_in_path("apt-get");
	if (apt != NULL)
		return g_strdup("sudo apt-get install esptool");
	return g_strdup("pip install --user esptool");
}
