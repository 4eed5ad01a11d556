/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <json-glib/json-glib.h>

#include "fk-error.h"
#include "fk-stub.h"

/* a stub is a few kilobytes of RAM code; anything near this is not a stub */
#define FK_STUB_MAX_SEGMENT (256 * 1024)

void
fk_stub_free(FkStub *stub)
{
	if (stub == NULL)
		return;
	g_free(stub->path);
	if (stub->text != NULL)
		g_bytes_unref(stub->text);
	if (stub->data != NULL)
		g_bytes_unref(stub->data);
	g_free(stub);
}

static gboolean
fk_stub_get_u32(JsonObject *obj, const gchar *key, guint32 *value, const gchar *origin, GError **error)
{
	JsonNode *node = json_object_get_member(obj, key);
	gint64 v;
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_INT64) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_STUB_INVALID,
			    "flasher stub %s has no numeric “%s”",
			    origin,
			    key);
		return FALSE;
	}
	v = json_node_get_int(node);
	if (v < 0 || v > G_MAXUINT32) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_STUB_INVALID,
			    "flasher stub %s has an out-of-range “%s”",
			    origin,
			    key);
		return FALSE;
	}
	*value = (guint32)v;
	return TRUE;
}

static GBytes *
fk_stub_get_segment(JsonObject *obj, const gchar *key, const gchar *origin, GError **error)
{
	JsonNode *node = json_object_get_member(obj, key);
	const gchar *b64;
	gsize len = 0;
	guchar *buf;
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_STRING) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_STUB_INVALID,
			    "flasher stub %s has no “%s” segment",
			    origin,
			    key);
		return NULL;
	}
	b64 = json_node_get_string(node);
	buf = g_base64_decode(b64, &len);
	if (len == 0 || len > FK_STUB_MAX_SEGMENT) {
		g_free(buf);
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_STUB_INVALID,
			    "flasher stub %s has a “%s” segment of %" G_GSIZE_FORMAT " bytes",
			    origin,
			    key,
			    len);
		return NULL;
	}
	return g_bytes_new_take(buf, len);
}

FkStub *
fk_stub_load_data(const gchar *json, gssize len, const gchar *origin, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(FkStub) stub = g_new0(FkStub, 1);
	g_autoptr(GError) error_local = NULL;
	JsonNode *root;
	JsonObject *obj;
	gsize text_len;

	if (!json_parser_load_from_data(parser, json, len, &error_local)) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_STUB_INVALID,
			    "flasher stub %s is not valid JSON: %s",
			    origin,
			    error_local->message);
		return NULL;
	}
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_STUB_INVALID,
			    "flasher stub %s is not a JSON object",
			    origin);
		return NULL;
	}
	obj = json_node_get_object(root);
	stub->path = g_strdup(origin);
	if (!fk_stub_get_u32(obj, "entry", &stub->entry, origin, error))
		return NULL;
	if (!fk_stub_get_u32(obj, "text_start", &stub->text_start, origin, error))
		return NULL;
	stub->text = fk_stub_get_segment(obj, "text", origin, error);
	if (stub->text == NULL)
		return NULL;
	if (json_object_has_member(obj, "data")) {
		if (!fk_stub_get_u32(obj, "data_start", &stub->data_start, origin, error))
			return NULL;
		stub->data = fk_stub_get_segment(obj, "data", origin, error);
		if (stub->data == NULL)
			return NULL;
	}
	text_len = g_bytes_get_size(stub->text);
	if ((guint64)stub->text_start + text_len > G_MAXUINT32 || stub->entry < stub->text_start ||
	    stub->entry >= stub->text_start + text_len) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_STUB_INVALID,
			    "flasher stub %s has its entry point 0x%08x outside its code "
			    "(0x%08x, %" G_GSIZE_FORMAT " bytes)",
			    origin,
			    stub->entry,
			    stub->text_start,
			    text_len);
		return NULL;
	}
	if (stub->data != NULL &&
	    (guint64)stub->data_start + g_bytes_get_size(stub->data) > G_MAXUINT32) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_STUB_INVALID,
			    "flasher stub %s has its data segment beyond the address space",
			    origin);
		return NULL;
	}
	return g_steal_pointer(&stub);
}

FkStub *
fk_stub_load_file(const gchar *path, GError **error)
{
	g_autofree gchar *contents = NULL;
	gsize len = 0;
	g_autoptr(GError) error_local = NULL;
	if (!g_file_get_contents(path, &contents, &len, &error_local)) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_STUB_MISSING,
			    "cannot read flasher stub %s: %s",
			    path,
			    error_local->message);
		return NULL;
	}
	if (len > 4 * 1024 * 1024) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_STUB_INVALID,
			    "flasher stub %s is too large to be a stub",
			    path);
		return NULL;
	}
	return fk_stub_load_data(contents, (gssize)len, path, error);
}

static void
fk_stub_add_python_dirs(GPtrArray *dirs, const gchar *libdir, const gchar *site)
{
	g_autoptr(GDir) dir = g_dir_open(libdir, 0, NULL);
	const gchar *name;
	if (dir == NULL)
		return;
	while ((name = g_dir_read_name(dir)) != NULL) {
		if (!g_str_has_prefix(name, "python3"))
			continue;
		/* esptool 5 keeps the current stubs in "2", older ones in "1"; esptool 4 flat */
		g_ptr_array_add(dirs,
				g_build_filename(libdir, name, site, "esptool", "targets",
						 "stub_flasher", "2", NULL));
		g_ptr_array_add(dirs,
				g_build_filename(libdir, name, site, "esptool", "targets",
						 "stub_flasher", "1", NULL));
		g_ptr_array_add(dirs,
				g_build_filename(libdir, name, site, "esptool", "targets",
						 "stub_flasher", NULL));
	}
}

GPtrArray *
fk_stub_search_dirs(void)
{
	GPtrArray *dirs = g_ptr_array_new_with_free_func(g_free);
	const gchar *env = g_getenv("FLASHKEEP_STUB_PATH");
	const gchar *const *sysdirs = g_get_system_data_dirs();
	const gchar *npm_roots[] = {"/usr/lib/node_modules", "/usr/local/lib/node_modules", NULL};
	g_autofree gchar *user_npm = g_build_filename(g_get_home_dir(), ".npm-global", "lib",
						      "node_modules", NULL);
	g_autofree gchar *user_py = g_build_filename(g_get_home_dir(), ".local", "lib", NULL);

	if (env != NULL) {
		g_auto(GStrv) parts = g_strsplit(env, G_SEARCHPATH_SEPARATOR_S, -1);
		for (guint i = 0; parts[i] != NULL; i++) {
			if (parts[i][0] != '\0')
				g_ptr_array_add(dirs, g_strdup(parts[i]));
		}
	}
	g_ptr_array_add(dirs, g_build_filename(g_get_user_data_dir(), "flashkeep", "stubs", NULL));
	g_ptr_array_add(dirs, g_build_filename(FK_DATADIR, "stubs", NULL));
	for (guint i = 0; sysdirs[i] != NULL; i++)
		g_ptr_array_add(dirs, g_build_filename(sysdirs[i], "flashkeep", "stubs", NULL));
	fk_stub_add_python_dirs(dirs, "/usr/lib", "dist-packages");
	fk_stub_add_python_dirs(dirs, "/usr/local/lib", "dist-packages");
	fk_stub_add_python_dirs(dirs, "/usr/local/lib", "site-packages");
	fk_stub_add_python_dirs(dirs, user_py, "site-packages");
	for (guint i = 0; npm_roots[i] != NULL; i++)
		g_ptr_array_add(dirs, g_build_filename(npm_roots[i], "esptool-js", "lib", "targets",
						       "stub_flasher", NULL));
	g_ptr_array_add(dirs,
			g_build_filename(user_npm, "esptool-js", "lib", "targets", "stub_flasher", NULL));
	return dirs;
}

FkStub *
fk_stub_find(const FkChipInfo *chip, GError **error)
{
	g_autoptr(GPtrArray) dirs = NULL;
	g_autofree gchar *name = NULL;
	g_autofree gchar *legacy = NULL;

	if (chip->stub_name == NULL) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_UNSUPPORTED,
			    "there is no flasher stub for the %s",
			    chip->name);
		return NULL;
	}
	name = g_strdup_printf("%s.json", chip->stub_name);
	/* esptool 4 and older esptool-js name them stub_flasher_32s3.json */
	legacy = g_strdup_printf("stub_flasher_%s.json", chip->stub_name + 3);
	dirs = fk_stub_search_dirs();
	for (guint i = 0; i < dirs->len; i++) {
		const gchar *names[] = {name, legacy, NULL};
		for (guint j = 0; names[j] != NULL; j++) {
			g_autofree gchar *path =
			    g_build_filename(g_ptr_array_index(dirs, i), names[j], NULL);
			if (g_file_test(path, G_FILE_TEST_IS_REGULAR))
				return fk_stub_load_file(path, error);
		}
	}
	g_set_error(error,
		    FK_ERROR,
		    FK_ERROR_STUB_MISSING,
		    "no flasher stub for the %s is installed (looked for %s in %s and %u other "
		    "places)",
		    chip->name,
		    name,
		    (const gchar *)g_ptr_array_index(dirs, 0),
		    dirs->len - 1);
	return NULL;
}
