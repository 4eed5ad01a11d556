/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the list of backups Flashkeep knows of (folders saved to, files opened, files taken off
 * the list), checking one backup against its description and grouping backups by board; calls
 * fk-backup-info for the descriptions and fk-image-info for what a backup holds */
#include "config.h"

#include <gio/gio.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "fk-backup-library.h"
#include "fk-error.h"
#include "fk-state-file.h"

#define FK_LIBRARY_GROUP "library"
/* larger than any ESP flash: a file this big is not a backup of one */
#define FK_LIBRARY_MAX_FILE (256u * 1024 * 1024)
#define FK_LIBRARY_CHUNK (1024 * 1024)

struct _FkBackupLibrary {
	GMutex mutex;
	gchar *state_file;
	GPtrArray *folders; /* gchar*, in the order they were first saved to */
	GPtrArray *files;   /* gchar*, opened files */
	GPtrArray *removed; /* gchar*, taken off the list */
};

/* ---- entries ---- */

static void
fk_backup_entry_clear(FkBackupEntry *entry)
{
	g_free(entry->path);
	fk_backup_info_free(entry->info);
	g_free(entry->info_problem);
	g_free(entry->state_detail);
	if (entry->contents != NULL)
		fk_image_description_free(entry->contents);
	if (entry->layout != NULL)
		g_array_unref(entry->layout);
}

FkBackupEntry *
fk_backup_entry_ref(FkBackupEntry *entry)
{
	return g_atomic_rc_box_acquire(entry);
}

void
fk_backup_entry_unref(FkBackupEntry *entry)
{
	g_atomic_rc_box_release_full(entry, (GDestroyNotify)fk_backup_entry_clear);
}

const gchar *
fk_backup_entry_get_board(const FkBackupEntry *entry)
{
	return entry->info != NULL ? entry->info->mac : NULL;
}

gint64
fk_backup_entry_get_time(const FkBackupEntry *entry)
{
	if (entry->info != NULL && entry->info->created != NULL) {
		g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(entry->info->created, NULL);
		if (dt != NULL)
			return g_date_time_to_unix(dt);
	}
	return entry->mtime;
}

static void
fk_backup_entry_set_state(FkBackupEntry *entry, FkBackupState state, gchar *detail)
{
	entry->state = state;
	g_free(entry->state_detail);
	entry->state_detail = detail;
}

FkBackupEntry *
fk_backup_entry_new(const gchar *path)
{
	FkBackupEntry *entry = g_atomic_rc_box_new0(FkBackupEntry);
	g_autoptr(GError) error = NULL;
	GStatBuf st;

	entry->path = g_strdup(path);
	entry->info = fk_backup_info_load(path, &error);
	if (entry->info == NULL && !g_error_matches(error, FK_BACKUP_INFO_ERROR, FK_BACKUP_INFO_ERROR_NO_SIDECAR))
		entry->info_problem = g_strdup(error->message);
	if (g_stat(path, &st) != 0) {
		fk_backup_entry_set_state(entry, FK_BACKUP_STATE_MISSING, NULL);
		return entry;
	}
	if (!S_ISREG(st.st_mode)) {
		fk_backup_entry_unref(entry);
		return NULL;
	}
	entry->size = (guint64)st.st_size;
	entry->mtime = (gint64)st.st_mtime;
	return entry;
}

gboolean
fk_backup_entry_check(FkBackupEntry *entry, GCancellable *cancellable, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	g_autoptr(GMappedFile) mapped = NULL;
	g_autoptr(GChecksum) sha256 = g_checksum_new(G_CHECKSUM_SHA256);
	const guint8 *data;
	gsize len;

	if (entry->state == FK_BACKUP_STATE_MISSING)
		return TRUE;
	if (entry->size > FK_LIBRARY_MAX_FILE) {
		fk_backup_entry_set_state(entry, FK_BACKUP_STATE_UNREADABLE,
					  g_strdup("The file is larger than any flash: it is not a backup of one"));
		return TRUE;
	}
	mapped = g_mapped_file_new(entry->path, FALSE, &error_local);
	if (mapped == NULL) {
		fk_backup_entry_set_state(entry, g_error_matches(error_local, G_FILE_ERROR, G_FILE_ERROR_NOENT)
							 ? FK_BACKUP_STATE_MISSING
							 : FK_BACKUP_STATE_UNREADABLE,
					  g_strdup(error_local->message));
		return TRUE;
	}
	data = (const guint8 *)g_mapped_file_get_contents(mapped);
	len = g_mapped_file_get_length(mapped);
	entry->size = len;
	for (gsize done = 0; done < len; done += FK_LIBRARY_CHUNK) {
		if (g_cancellable_set_error_if_cancelled(cancellable, error))
			return FALSE;
		g_checksum_update(sha256, data + done, MIN((gsize)FK_LIBRARY_CHUNK, len - done));
	}
	if (entry->contents != NULL)
		fk_image_description_free(entry->contents);
	entry->contents = fk_image_info_describe(data != NULL ? data : (const guint8 *)"", len);
	if (entry->layout != NULL)
		g_array_unref(entry->layout);
	entry->layout = fk_flash_layout_new(entry->contents, data, len,
					    entry->info != NULL && entry->info->whole_flash ? entry->info->flash_size : 0);

	if (entry->info == NULL) {
		fk_backup_entry_set_state(entry, entry->info_problem != NULL ? FK_BACKUP_STATE_DESCRIPTION_INVALID
									      : FK_BACKUP_STATE_NOT_DESCRIBED,
					  g_strdup(entry->info_problem));
	} else if (len != entry->info->length) {
		fk_backup_entry_set_state(entry, FK_BACKUP_STATE_INCOMPLETE,
					  g_strdup_printf("The file has %" G_GSIZE_FORMAT " bytes; %" G_GUINT64_FORMAT
							  " were saved",
							  len, entry->info->length));
	} else if (entry->info->sha256 == NULL ||
		   g_ascii_strcasecmp(g_checksum_get_string(sha256), entry->info->sha256) != 0) {
		fk_backup_entry_set_state(entry, FK_BACKUP_STATE_DAMAGED,
					  g_strdup_printf("Its SHA-256 is %s; %s was recorded when it was saved",
							  g_checksum_get_string(sha256), entry->info->sha256));
	} else {
		fk_backup_entry_set_state(entry, FK_BACKUP_STATE_INTACT, NULL);
	}
	return TRUE;
}

/* ---- groups ---- */

void
fk_backup_group_free(FkBackupGroup *group)
{
	g_free(group->board);
	g_free(group->chip_model);
	g_ptr_array_unref(group->entries);
	g_free(group);
}

static gint
fk_backup_entry_newest_first(gconstpointer a, gconstpointer b)
{
	const FkBackupEntry *ea = *(FkBackupEntry *const *)a;
	const FkBackupEntry *eb = *(FkBackupEntry *const *)b;
	gint64 ta = fk_backup_entry_get_time(ea), tb = fk_backup_entry_get_time(eb);
	if (ta != tb)
		return ta > tb ? -1 : 1;
	return g_strcmp0(ea->path, eb->path);
}

typedef struct {
	const gchar *connected;
} FkGroupOrder;

static gint
fk_backup_group_compare(gconstpointer a, gconstpointer b, gpointer user_data)
{
	const FkBackupGroup *ga = *(FkBackupGroup *const *)a;
	const FkBackupGroup *gb = *(FkBackupGroup *const *)b;
	const FkGroupOrder *order = user_data;
	gint64 ta, tb;

	if ((ga->board == NULL) != (gb->board == NULL))
		return ga->board == NULL ? 1 : -1;
	if (order->connected != NULL) {
		gboolean ca = g_ascii_strcasecmp(ga->board != NULL ? ga->board : "", order->connected) == 0;
		gboolean cb = g_ascii_strcasecmp(gb->board != NULL ? gb->board : "", order->connected) == 0;
		if (ca != cb)
			return ca ? -1 : 1;
	}
	/* entries are sorted already: the first is the newest */
	ta = fk_backup_entry_get_time(g_ptr_array_index(ga->entries, 0));
	tb = fk_backup_entry_get_time(g_ptr_array_index(gb->entries, 0));
	if (ta != tb)
		return ta > tb ? -1 : 1;
	return g_strcmp0(ga->board, gb->board);
}

GPtrArray *
fk_backup_library_group(GPtrArray *entries, const gchar *connected_board)
{
	GPtrArray *groups = g_ptr_array_new_with_free_func((GDestroyNotify)fk_backup_group_free);
	FkGroupOrder order = {connected_board};

	for (guint i = 0; i < entries->len; i++) {
		FkBackupEntry *entry = g_ptr_array_index(entries, i);
		const gchar *board = fk_backup_entry_get_board(entry);
		FkBackupGroup *group = NULL;
		for (guint j = 0; j < groups->len && group == NULL; j++) {
			FkBackupGroup *g = g_ptr_array_index(groups, j);
			if ((board == NULL && g->board == NULL) ||
			    (board != NULL && g->board != NULL && g_ascii_strcasecmp(board, g->board) == 0))
				group = g;
		}
		if (group == NULL) {
			group = g_new0(FkBackupGroup, 1);
			group->board = g_strdup(board);
			group->entries = g_ptr_array_new_with_free_func((GDestroyNotify)fk_backup_entry_unref);
			g_ptr_array_add(groups, group);
		}
		if (group->chip_model == NULL && entry->info != NULL)
			group->chip_model = g_strdup(entry->info->chip_model);
		g_ptr_array_add(group->entries, fk_backup_entry_ref(entry));
	}
	for (guint j = 0; j < groups->len; j++) {
		FkBackupGroup *g = g_ptr_array_index(groups, j);
		g_ptr_array_sort(g->entries, fk_backup_entry_newest_first);
	}
	g_ptr_array_sort_with_data(groups, fk_backup_group_compare, &order);
	return groups;
}

/* ---- the list ---- */

static void
fk_backup_library_load_list(GKeyFile *kf, const gchar *key, GPtrArray *into)
{
	g_auto(GStrv) values = g_key_file_get_string_list(kf, FK_LIBRARY_GROUP, key, NULL, NULL);
	for (guint i = 0; values != NULL && values[i] != NULL; i++) {
		if (g_path_is_absolute(values[i]))
			g_ptr_array_add(into, g_strdup(values[i]));
	}
}

/* the lists as saved; before a change (with the mutex held) this reads what another library saved
 * since (another window, the command line), so that saving the change keeps theirs */
static void
fk_backup_library_reload(FkBackupLibrary *self)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	if (!g_key_file_load_from_file(kf, self->state_file, G_KEY_FILE_NONE, NULL))
		return;
	g_ptr_array_set_size(self->folders, 0);
	g_ptr_array_set_size(self->files, 0);
	g_ptr_array_set_size(self->removed, 0);
	fk_backup_library_load_list(kf, "folders", self->folders);
	fk_backup_library_load_list(kf, "files", self->files);
	fk_backup_library_load_list(kf, "removed", self->removed);
}

FkBackupLibrary *
fk_backup_library_new(const gchar *state_file)
{
	FkBackupLibrary *self = g_new0(FkBackupLibrary, 1);

	g_mutex_init(&self->mutex);
	self->state_file = state_file != NULL ? g_strdup(state_file)
					      : g_build_filename(g_get_user_state_dir(), "flashkeep", "library.ini", NULL);
	self->folders = g_ptr_array_new_with_free_func(g_free);
	self->files = g_ptr_array_new_with_free_func(g_free);
	self->removed = g_ptr_array_new_with_free_func(g_free);
	fk_backup_library_reload(self);
	return self;
}

void
fk_backup_library_free(FkBackupLibrary *self)
{
	if (self == NULL)
		return;
	g_mutex_clear(&self->mutex);
	g_free(self->state_file);
	g_ptr_array_unref(self->folders);
	g_ptr_array_unref(self->files);
	g_ptr_array_unref(self->removed);
	g_free(self);
}

const gchar *
fk_backup_library_get_state_file(FkBackupLibrary *self)
{
	return self->state_file;
}

static void
fk_backup_library_set_list(GKeyFile *kf, const gchar *key, GPtrArray *list)
{
	g_key_file_set_string_list(kf, FK_LIBRARY_GROUP, key, (const gchar *const *)list->pdata, list->len);
}

/* with the mutex held */
static gboolean
fk_backup_library_save(FkBackupLibrary *self, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree gchar *dir = g_path_get_dirname(self->state_file);
	g_autoptr(GError) error_local = NULL;

	fk_backup_library_set_list(kf, "folders", self->folders);
	fk_backup_library_set_list(kf, "files", self->files);
	fk_backup_library_set_list(kf, "removed", self->removed);
	if (g_mkdir_with_parents(dir, 0700) != 0 || !g_key_file_save_to_file(kf, self->state_file, &error_local)) {
		g_set_error(error, FK_ERROR, FK_ERROR_FILE, "The list of backups cannot be saved in %s: %s",
			    self->state_file, error_local != NULL ? error_local->message : g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

static gboolean
fk_path_list_contains(GPtrArray *list, const gchar *path, guint *index)
{
	return g_ptr_array_find_with_equal_func(list, path, g_str_equal, index);
}

static gboolean
fk_path_list_add(GPtrArray *list, const gchar *path)
{
	if (fk_path_list_contains(list, path, NULL))
		return FALSE;
	g_ptr_array_add(list, g_strdup(path));
	return TRUE;
}

static gboolean
fk_path_list_drop(GPtrArray *list, const gchar *path)
{
	guint index;
	if (!fk_path_list_contains(list, path, &index))
		return FALSE;
	g_ptr_array_remove_index(list, index);
	return TRUE;
}

/* an absolute path without "." or ".." parts, so that one file is listed once */
static gchar *
fk_library_canonical(const gchar *path)
{
	return g_canonicalize_filename(path, NULL);
}

gboolean
fk_backup_library_add_backup(FkBackupLibrary *self, const gchar *path, GError **error)
{
	g_autofree gchar *canon = fk_library_canonical(path);
	g_autofree gchar *folder = g_path_get_dirname(canon);
	gboolean ok = TRUE, changed;

	gint lock;

	g_mutex_lock(&self->mutex);
	lock = fk_state_file_lock(self->state_file);
	fk_backup_library_reload(self);
	changed = fk_path_list_add(self->folders, folder);
	changed = fk_path_list_drop(self->removed, canon) || changed;
	if (changed)
		ok = fk_backup_library_save(self, error);
	fk_state_file_unlock(lock);
	g_mutex_unlock(&self->mutex);
	return ok;
}

gboolean
fk_backup_library_add_file(FkBackupLibrary *self, const gchar *path, GError **error)
{
	g_autofree gchar *canon = fk_library_canonical(path);
	gboolean ok = TRUE, changed;

	gint lock;

	g_mutex_lock(&self->mutex);
	lock = fk_state_file_lock(self->state_file);
	fk_backup_library_reload(self);
	changed = fk_path_list_add(self->files, canon);
	changed = fk_path_list_drop(self->removed, canon) || changed;
	if (changed)
		ok = fk_backup_library_save(self, error);
	fk_state_file_unlock(lock);
	g_mutex_unlock(&self->mutex);
	return ok;
}

static gboolean
fk_library_delete(const gchar *path, gboolean must_exist, GError **error)
{
	if (g_unlink(path) == 0 || (!must_exist && errno == ENOENT))
		return TRUE;
	g_set_error(error, FK_ERROR, FK_ERROR_FILE, "%s cannot be deleted: %s", path, g_strerror(errno));
	return FALSE;
}

gboolean
fk_backup_library_remove(FkBackupLibrary *self, const gchar *path, gboolean delete_file, GError **error)
{
	g_autofree gchar *canon = fk_library_canonical(path);
	g_autofree gchar *sidecar = fk_backup_info_path(canon);
	gboolean ok;
	gint lock;

	/* the description first: a backup left without one is still a backup */
	if (delete_file && (!fk_library_delete(sidecar, FALSE, error) || !fk_library_delete(canon, FALSE, error)))
		return FALSE;
	g_mutex_lock(&self->mutex);
	lock = fk_state_file_lock(self->state_file);
	fk_backup_library_reload(self);
	fk_path_list_drop(self->files, canon);
	fk_path_list_add(self->removed, canon);
	ok = fk_backup_library_save(self, error);
	fk_state_file_unlock(lock);
	g_mutex_unlock(&self->mutex);
	return ok;
}

static gboolean
fk_library_is_backup_name(const gchar *name)
{
	gsize len = strlen(name);
	return len > 4 && name[0] != '.' && g_ascii_strcasecmp(name + len - 4, ".bin") == 0;
}

static void
fk_backup_library_list_folder(const gchar *folder, GPtrArray *paths, GCancellable *cancellable)
{
	g_autoptr(GDir) dir = g_dir_open(folder, 0, NULL);
	const gchar *name;

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL && !g_cancellable_is_cancelled(cancellable)) {
		g_autofree gchar *path = NULL;
		g_autofree gchar *sidecar = NULL;
		if (!fk_library_is_backup_name(name))
			continue;
		path = g_build_filename(folder, name, NULL);
		sidecar = fk_backup_info_path(path);
		/* a folder may hold other firmware files: only the described ones are backups */
		if (g_file_test(sidecar, G_FILE_TEST_IS_REGULAR))
			fk_path_list_add(paths, path);
	}
}

GPtrArray *
fk_backup_library_list(FkBackupLibrary *self, GCancellable *cancellable)
{
	GPtrArray *entries = g_ptr_array_new_with_free_func((GDestroyNotify)fk_backup_entry_unref);
	g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) removed = g_ptr_array_new_with_free_func(g_free);

	{
		g_autoptr(GPtrArray) folders = g_ptr_array_new_with_free_func(g_free);
		g_mutex_lock(&self->mutex);
		for (guint i = 0; i < self->folders->len; i++)
			g_ptr_array_add(folders, g_strdup(g_ptr_array_index(self->folders, i)));
		for (guint i = 0; i < self->files->len; i++)
			g_ptr_array_add(paths, g_strdup(g_ptr_array_index(self->files, i)));
		for (guint i = 0; i < self->removed->len; i++)
			g_ptr_array_add(removed, g_strdup(g_ptr_array_index(self->removed, i)));
		g_mutex_unlock(&self->mutex);
		/* the folders are read without holding the list */
		for (guint i = 0; i < folders->len; i++)
			fk_backup_library_list_folder(g_ptr_array_index(folders, i), paths, cancellable);
	}
	for (guint i = 0; i < paths->len; i++) {
		const gchar *path = g_ptr_array_index(paths, i);
		FkBackupEntry *entry;
		if (fk_path_list_contains(removed, path, NULL))
			continue;
		entry = fk_backup_entry_new(path);
		if (entry != NULL)
			g_ptr_array_add(entries, entry);
	}
	return entries;
}
