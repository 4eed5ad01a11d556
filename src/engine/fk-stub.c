/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns finding and loading Espressif's flasher stub files (size, nesting, base64, segment and RAM
 * checks); calls the chip table */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fk-error.h"
#include "fk-stub.h"

/* a stub is a few kilobytes of RAM code; anything near this is not a stub */
#define FK_STUB_MAX_SEGMENT (256 * 1024)
/* Espressif's stub files are 10-70 KB of JSON */
#define FK_STUB_MAX_FILE (1024 * 1024)
/* a stub file is one object of numbers and strings: two levels; the JSON parser recurses */
#define FK_STUB_MAX_DEPTH 16

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

/* g_base64_decode() skips what is not base64 and never fails; a stub must be exactly right,
 * so the text is checked first: the alphabet, at most two '=' at the end, whole quartets.
 * JSON writers may wrap long strings, so ASCII white space is allowed and ignored. */
static GBytes *
fk_stub_decode_base64(const gchar *b64, const gchar *key, const gchar *origin, GError **error)
{
	g_autoptr(GString) clean = g_string_sized_new(strlen(b64));
	guint padding = 0;
	gsize len = 0;
	guchar *buf;

	for (const gchar *p = b64; *p != '\0'; p++) {
		guchar c = (guchar)*p;
		if (g_ascii_isspace(c))
			continue;
		if (c == '=') {
			padding++;
		} else if (padding > 0 || !(g_ascii_isalnum(c) || c == '+' || c == '/')) {
			g_set_error(error,
				    FK_ERROR,
				    FK_ERROR_STUB_INVALID,
				    "flasher stub %s has a “%s” segment that is not base64 (at character "
				    "%" G_GSIZE_FORMAT ")",
				    origin,
				    key,
				    (gsize)(p - b64) + 1);
			return NULL;
		}
		g_string_append_c(clean, (gchar)c);
	}
	if (clean->len == 0 || clean->len % 4 != 0 || padding > 2) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_STUB_INVALID,
			    "flasher stub %s has a “%s” segment that is %s",
			    origin,
			    key,
			    clean->len == 0 ? "empty" : "cut short (not whole base64 groups)");
		return NULL;
	}
	/* 3 bytes per 4 characters: refuse an absurd size before allocating it */
	if (clean->len / 4 * 3 - padding > FK_STUB_MAX_SEGMENT) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_STUB_INVALID,
			    "flasher stub %s has a “%s” segment of %" G_GSIZE_FORMAT
			    " bytes, far more than a stub needs",
			    origin,
			    key,
			    clean->len / 4 * 3 - padding);
		return NULL;
	}
	buf = g_base64_decode(clean->str, &len);
	return g_bytes_new_take(buf, len);
}

static GBytes *
fk_stub_get_segment(JsonObject *obj, const gchar *key, const gchar *origin, GError **error)
{
	JsonNode *node = json_object_get_member(obj, key);
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
	return fk_stub_decode_base64(json_node_get_string(node), key, origin, error);
}

/* the ROM loader writes RAM a word at a time */
static gboolean
fk_stub_check_aligned(guint32 addr, const gchar *key, const gchar *origin, GError **error)
{
	if (addr % 4 == 0)
		return TRUE;
	g_set_error(error,
		    FK_ERROR,
		    FK_ERROR_STUB_INVALID,
		    "flasher stub %s has “%s” 0x%08x, which is not a multiple of 4",
		    origin,
		    key,
		    addr);
	return FALSE;
}

/* the deepest nesting of arrays and objects in @json, outside strings; stops counting past
 * FK_STUB_MAX_DEPTH so that a hostile file cannot exhaust the parser's stack */
static gboolean
fk_stub_check_depth(const gchar *json, gsize len, const gchar *origin, GError **error)
{
	guint depth = 0;
	gboolean in_string = FALSE;
	for (gsize i = 0; i < len; i++) {
		gchar c = json[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = FALSE;
			continue;
		}
		if (c == '"') {
			in_string = TRUE;
		} else if (c == '[' || c == '{') {
			if (++depth > FK_STUB_MAX_DEPTH) {
				g_set_error(error,
					    FK_ERROR,
					    FK_ERROR_STUB_INVALID,
					    "flasher stub %s is not a stub: its JSON is nested more than "
					    "%u levels deep",
					    origin,
					    (guint)FK_STUB_MAX_DEPTH);
				return FALSE;
			}
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return TRUE;
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

	if (!fk_stub_check_depth(json, len < 0 ? strlen(json) : (gsize)len, origin, error))
		return NULL;
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
	if (!fk_stub_check_aligned(stub->text_start, "text_start", origin, error))
		return NULL;
	stub->text = fk_stub_get_segment(obj, "text", origin, error);
	if (stub->text == NULL)
		return NULL;
	if (json_object_has_member(obj, "data")) {
		if (!fk_stub_get_u32(obj, "data_start", &stub->data_start, origin, error))
			return NULL;
		if (!fk_stub_check_aligned(stub->data_start, "data_start", origin, error))
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
	if (stub->data != NULL) {
		guint64 data_end = (guint64)stub->data_start + g_bytes_get_size(stub->data);
		guint64 text_end = (guint64)stub->text_start + text_len;
		if (data_end > G_MAXUINT32) {
			g_set_error(error,
				    FK_ERROR,
				    FK_ERROR_STUB_INVALID,
				    "flasher stub %s has its data segment beyond the address space",
				    origin);
			return NULL;
		}
		/* one segment would overwrite the other while it is loaded */
		if (stub->data_start < text_end && stub->text_start < data_end) {
			g_set_error(error,
				    FK_ERROR,
				    FK_ERROR_STUB_INVALID,
				    "flasher stub %s has overlapping segments: code 0x%08x–0x%08" G_GINT64_MODIFIER
				    "x, data 0x%08x–0x%08" G_GINT64_MODIFIER "x",
				    origin,
				    stub->text_start,
				    text_end,
				    stub->data_start,
				    data_end);
			return NULL;
		}
	}
	return g_steal_pointer(&stub);
}

gboolean
fk_stub_check_chip(const FkStub *stub, const FkChipInfo *chip, GError **error)
{
	gsize text_len = g_bytes_get_size(stub->text);
	if (!fk_chip_ram_contains(chip, FK_CHIP_RAM_INSTRUCTION, stub->text_start, text_len)) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_STUB_INVALID,
			    "flasher stub %s is not for the %s: its code at 0x%08x–0x%08" G_GINT64_MODIFIER
			    "x lies outside the chip's instruction RAM (0x%08x–0x%08x)",
			    stub->path,
			    chip->name,
			    stub->text_start,
			    (guint64)stub->text_start + text_len,
			    chip->iram_start,
			    chip->iram_end);
		return FALSE;
	}
	if (stub->data != NULL &&
	    !fk_chip_ram_contains(chip, FK_CHIP_RAM_DATA, stub->data_start, g_bytes_get_size(stub->data))) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_STUB_INVALID,
			    "flasher stub %s is not for the %s: its data at 0x%08x–0x%08" G_GINT64_MODIFIER
			    "x lies outside the chip's data RAM (0x%08x–0x%08x)",
			    stub->path,
			    chip->name,
			    stub->data_start,
			    (guint64)stub->data_start + g_bytes_get_size(stub->data),
			    chip->dram_start,
			    chip->dram_end);
		return FALSE;
	}
	return TRUE;
}

/* reads at most FK_STUB_MAX_FILE bytes of a regular file: the size is known before anything
 * is read, and a FIFO or device never blocks or floods the reader */
static gchar *
fk_stub_read_file(const gchar *path, gsize *len, GError **error)
{
	g_autofree gchar *buf = NULL;
	struct stat st;
	gssize n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		int saved = errno;
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_STUB_MISSING,
			    "cannot read flasher stub %s: %s",
			    path,
			    g_strerror(saved));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_STUB_INVALID,
			    "flasher stub %s is not a regular file",
			    path);
		return NULL;
	}
	if (st.st_size > FK_STUB_MAX_FILE) {
		close(fd);
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_STUB_INVALID,
			    "flasher stub %s is too large to be a stub (%" G_GINT64_FORMAT
			    " bytes; stubs are under %u KB)",
			    path,
			    (gint64)st.st_size,
			    (guint)(FK_STUB_MAX_FILE / 1024));
		return NULL;
	}
	/* one byte more than allowed shows a file that grew since fstat() */
	buf = g_malloc(FK_STUB_MAX_FILE + 2);
	*len = 0;
	while (*len <= FK_STUB_MAX_FILE) {
		n = read(fd, buf + *len, FK_STUB_MAX_FILE + 1 - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		*len += (gsize)n;
	}
	close(fd);
	if (n < 0 || *len > FK_STUB_MAX_FILE) {
		g_set_error(error,
			    FK_ERROR,
			    n < 0 ? FK_ERROR_STUB_MISSING : FK_ERROR_STUB_INVALID,
			    n < 0 ? "cannot read flasher stub %s" : "flasher stub %s is too large to be a stub",
			    path);
		return NULL;
	}
	buf[*len] = '\0';
	return g_steal_pointer(&buf);
}

FkStub *
fk_stub_load_file(const gchar *path, GError **error)
{
	gsize len = 0;
	g_autofree gchar *contents = fk_stub_read_file(path, &len, error);
	if (contents == NULL)
		return NULL;
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

void
fk_stub_add_tool_dirs(GPtrArray *dirs)
{
	const gchar *npm_roots[] = {"/usr/lib/node_modules", "/usr/local/lib/node_modules", NULL};
	g_autofree gchar *user_npm = g_build_filename(g_get_home_dir(), ".npm-global", "lib",
						      "node_modules", NULL);
	g_autofree gchar *user_py = g_build_filename(g_get_home_dir(), ".local", "lib", NULL);

	fk_stub_add_python_dirs(dirs, "/usr/lib", "dist-packages");
	fk_stub_add_python_dirs(dirs, "/usr/local/lib", "dist-packages");
	fk_stub_add_python_dirs(dirs, "/usr/local/lib", "site-packages");
	fk_stub_add_python_dirs(dirs, user_py, "site-packages");
	for (guint i = 0; npm_roots[i] != NULL; i++)
		g_ptr_array_add(dirs, g_build_filename(npm_roots[i], "esptool-js", "lib", "targets",
						       "stub_flasher", NULL));
	g_ptr_array_add(dirs,
			g_build_filename(user_npm, "esptool-js", "lib", "targets", "stub_flasher", NULL));
}

gchar *
fk_stub_user_dir(void)
{
	return g_build_filename(g_get_user_data_dir(), "flashkeep", "stubs", NULL);
}

GPtrArray *
fk_stub_search_dirs(void)
{
	GPtrArray *dirs = g_ptr_array_new_with_free_func(g_free);
	const gchar *env = g_getenv("FLASHKEEP_STUB_PATH");
	const gchar *const *sysdirs = g_get_system_data_dirs();

	if (env != NULL) {
		g_auto(GStrv) parts = g_strsplit(env, G_SEARCHPATH_SEPARATOR_S, -1);
		for (guint i = 0; parts[i] != NULL; i++) {
			if (parts[i][0] != '\0')
				g_ptr_array_add(dirs, g_strdup(parts[i]));
		}
	}
	g_ptr_array_add(dirs, fk_stub_user_dir());
	g_ptr_array_add(dirs, g_build_filename(FK_DATADIR, "stubs", NULL));
	for (guint i = 0; sysdirs[i] != NULL; i++)
		g_ptr_array_add(dirs, g_build_filename(sysdirs[i], "flashkeep", "stubs", NULL));
	fk_stub_add_tool_dirs(dirs);
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
			g_autoptr(FkStub) stub = NULL;
			if (!g_file_test(path, G_FILE_TEST_IS_REGULAR))
				continue;
			/* the first one found is the one the user installed: a broken one is
			 * reported, not silently passed over for another */
			stub = fk_stub_load_file(path, error);
			if (stub == NULL || !fk_stub_check_chip(stub, chip, error))
				return NULL;
			return g_steal_pointer(&stub);
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
