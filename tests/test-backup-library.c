/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The backups Flashkeep knows of: folders saved to and files opened, kept across runs; only
 * described backups are picked up from a folder; each backup checked against its description
 * (intact, damaged, incomplete, undescribed, unreadable description, gone); grouped by board
 * with the connected board first; taken off the list, with or without deleting the files. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "fk-backup-library.h"
#include "fk-flash.h"
#include "fk-test-util.h"

#define FLASH_SIZE (1024 * 1024)
#define BACKUP_SIZE (64 * 1024)

typedef struct {
	FkSimDevice *sim;
	FkTransport *transport;
	FkDevice *device;
	gchar *dir;
	gchar *state;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	f->sim = fk_test_sim_new("esp32", FLASH_SIZE, 0x10000);
	f->device = fk_test_device_connect(f->sim, fk_test_stubs_available(), &f->transport);
	f->dir = g_dir_make_tmp("flashkeep-library-XXXXXX", &error);
	g_assert_no_error(error);
	f->state = g_build_filename(f->dir, "state", "library.ini", NULL);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	g_assert_true(fk_test_rm_rf(f->dir));
	g_free(f->dir);
	g_free(f->state);
	g_object_unref(f->device);
	fk_transport_close(f->transport);
	g_object_unref(f->transport);
	g_object_unref(f->sim);
}

/* a described backup of the chip's first 64 KB in dir/@folder/@name */
static gchar *
backup(Fixture *f, const gchar *folder, const gchar *name)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_build_filename(f->dir, folder, NULL);
	gchar *path = g_build_filename(dir, name, NULL);
	g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
	g_assert_true(fk_flash_backup_full(f->device, 0, BACKUP_SIZE, path, FK_BACKUP_FLAG_NONE, NULL, NULL, NULL, &error));
	g_assert_no_error(error);
	return path;
}

/* replaces @from by @to in the description of the backup at @path */
static void
edit_description(const gchar *path, const gchar *from, const gchar *to)
{
	g_autofree gchar *sidecar = g_strconcat(path, ".json", NULL);
	g_autofree gchar *text = NULL;
	g_autoptr(GString) str = NULL;
	g_assert_true(g_file_get_contents(sidecar, &text, NULL, NULL));
	str = g_string_new(text);
	g_assert_cmpuint(g_string_replace(str, from, to, 0), ==, 1);
	g_assert_true(g_file_set_contents(sidecar, str->str, str->len, NULL));
}

static gchar *
description_field(const gchar *path, const gchar *key)
{
	g_autoptr(FkBackupInfo) info = fk_backup_info_load(path, NULL);
	g_assert_nonnull(info);
	if (g_strcmp0(key, "mac") == 0)
		return g_strdup(info->mac);
	return g_strdup(info->created);
}

static FkBackupEntry *
find_entry(GPtrArray *entries, const gchar *path)
{
	for (guint i = 0; i < entries->len; i++) {
		FkBackupEntry *e = g_ptr_array_index(entries, i);
		if (g_strcmp0(e->path, path) == 0)
			return e;
	}
	return NULL;
}

static GPtrArray *
list_checked(FkBackupLibrary *lib)
{
	GPtrArray *entries = fk_backup_library_list(lib, NULL);
	for (guint i = 0; i < entries->len; i++) {
		g_autoptr(GError) error = NULL;
		g_assert_true(fk_backup_entry_check(g_ptr_array_index(entries, i), NULL, &error));
		g_assert_no_error(error);
	}
	return entries;
}

/* a folder saved to is searched for described backups only; an opened file is listed as it
 * is; both are remembered in the state file */
static void
test_library_sources(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *a = backup(f, "backups", "a.bin");
	g_autofree gchar *b = backup(f, "backups", "b.BIN");
	g_autofree gchar *other = g_build_filename(f->dir, "backups", "tasmota.bin", NULL);
	g_autofree gchar *opened = g_build_filename(f->dir, "elsewhere.bin", NULL);
	g_autoptr(GPtrArray) entries = NULL;

	g_assert_true(g_file_set_contents(other, "\xe9\x01\x02\x20", 4, NULL));
	g_assert_true(g_file_set_contents(opened, "\xe9\x01\x02\x20", 4, NULL));
	{
		g_autoptr(FkBackupLibrary) lib = fk_backup_library_new(f->state);
		g_autoptr(GPtrArray) none = fk_backup_library_list(lib, NULL);
		g_assert_cmpuint(none->len, ==, 0);
		g_assert_true(fk_backup_library_add_backup(lib, a, &error));
		g_assert_no_error(error);
		g_assert_true(fk_backup_library_add_file(lib, opened, &error));
		g_assert_no_error(error);
	}
	/* a new library (the next start of the window) reads the same list */
	{
		g_autoptr(FkBackupLibrary) lib = fk_backup_library_new(f->state);
		entries = list_checked(lib);
	}
	g_assert_cmpuint(entries->len, ==, 3);
	g_assert_nonnull(find_entry(entries, a));
	g_assert_nonnull(find_entry(entries, b));
	g_assert_nonnull(find_entry(entries, opened));
	g_assert_null(find_entry(entries, other));
	g_assert_cmpint(find_entry(entries, a)->state, ==, FK_BACKUP_STATE_INTACT);
	g_assert_cmpint(find_entry(entries, opened)->state, ==, FK_BACKUP_STATE_NOT_DESCRIBED);
	g_assert_cmpuint(find_entry(entries, a)->size, ==, BACKUP_SIZE);
	/* what it holds was read: the simulated flash starts with its bootloader */
	g_assert_nonnull(find_entry(entries, a)->contents);
	g_assert_true(find_entry(entries, a)->contents->boot.found);
	/* and laid out across the file (a part of a flash: its own size) */
	{
		GArray *layout = find_entry(entries, a)->layout;
		gsize total = 0;
		g_assert_nonnull(layout);
		for (guint i = 0; i < layout->len; i++)
			total += g_array_index(layout, FkFlashSpan, i).size;
		g_assert_cmpuint(total, ==, BACKUP_SIZE);
	}
}

/* each way a backup can differ from its description is told apart */
static void
test_library_check_states(Fixture *f, gconstpointer data)
{
	g_autofree gchar *intact = backup(f, "b", "intact.bin");
	g_autofree gchar *damaged = backup(f, "b", "damaged.bin");
	g_autofree gchar *shorter = backup(f, "b", "shorter.bin");
	g_autofree gchar *invalid = backup(f, "b", "invalid.bin");
	g_autofree gchar *gone = backup(f, "b", "gone.bin");
	g_autofree gchar *invalid_json = g_strconcat(invalid, ".json", NULL);
	g_autoptr(FkBackupLibrary) lib = fk_backup_library_new(f->state);
	g_autoptr(GPtrArray) entries = NULL;
	g_autofree gchar *contents = NULL;
	gsize len = 0;

	g_assert_true(fk_backup_library_add_backup(lib, intact, NULL));
	/* one bit flipped in the middle */
	g_assert_true(g_file_get_contents(damaged, &contents, &len, NULL));
	contents[len / 2] ^= 0x10;
	g_assert_true(g_file_set_contents(damaged, contents, len, NULL));
	g_assert_cmpint(truncate(shorter, BACKUP_SIZE / 2), ==, 0);
	g_assert_true(g_file_set_contents(invalid_json, "{ not json", -1, NULL));

	entries = fk_backup_library_list(lib, NULL);
	g_assert_cmpuint(entries->len, ==, 5);
	g_assert_cmpint(g_unlink(gone), ==, 0);
	for (guint i = 0; i < entries->len; i++)
		g_assert_true(fk_backup_entry_check(g_ptr_array_index(entries, i), NULL, NULL));
	g_assert_cmpint(find_entry(entries, intact)->state, ==, FK_BACKUP_STATE_INTACT);
	g_assert_cmpint(find_entry(entries, damaged)->state, ==, FK_BACKUP_STATE_DAMAGED);
	g_assert_nonnull(strstr(find_entry(entries, damaged)->state_detail, "SHA-256"));
	g_assert_cmpint(find_entry(entries, shorter)->state, ==, FK_BACKUP_STATE_INCOMPLETE);
	g_assert_cmpint(find_entry(entries, invalid)->state, ==, FK_BACKUP_STATE_DESCRIPTION_INVALID);
	g_assert_nonnull(find_entry(entries, invalid)->info_problem);
	g_assert_cmpint(find_entry(entries, gone)->state, ==, FK_BACKUP_STATE_MISSING);
}

/* backups are grouped by board: the connected one first, then by the newest backup; the
 * undescribed ones last; newest first inside a group */
static void
test_library_groups(Fixture *f, gconstpointer data)
{
	g_autofree gchar *old = backup(f, "g", "old.bin");
	g_autofree gchar *recent = backup(f, "g", "recent.bin");
	g_autofree gchar *other_board = backup(f, "g", "other.bin");
	g_autofree gchar *third_board = backup(f, "g", "third.bin");
	g_autofree gchar *undescribed = g_build_filename(f->dir, "g", "plain.bin", NULL);
	g_autofree gchar *mac = description_field(old, "mac");
	/* each its own: the backups may have been made in different seconds */
	g_autofree gchar *created_old = description_field(old, "created");
	g_autofree gchar *created_recent = description_field(recent, "created");
	g_autofree gchar *created_other = description_field(other_board, "created");
	g_autofree gchar *created_third = description_field(third_board, "created");
	g_autoptr(FkBackupLibrary) lib = fk_backup_library_new(f->state);
	g_autoptr(GPtrArray) entries = NULL;
	g_autoptr(GPtrArray) groups = NULL;
	FkBackupGroup *g0, *g1, *g2, *g3;

	g_assert_true(g_file_set_contents(undescribed, "\xff\xff\xff\xff", 4, NULL));
	edit_description(old, created_old, "2025-01-01T10:00:00Z");
	edit_description(recent, created_recent, "2026-06-01T10:00:00Z");
	edit_description(other_board, mac, "aa:bb:cc:00:00:01");
	edit_description(other_board, created_other, "2026-11-01T10:00:00Z");
	edit_description(third_board, mac, "aa:bb:cc:00:00:02");
	edit_description(third_board, created_third, "2026-01-01T10:00:00Z");
	g_assert_true(fk_backup_library_add_backup(lib, old, NULL));
	g_assert_true(fk_backup_library_add_file(lib, undescribed, NULL));
	entries = fk_backup_library_list(lib, NULL);
	g_assert_cmpuint(entries->len, ==, 5);

	/* the connected board (upper case, as some tools print it) comes first */
	{
		g_autofree gchar *upper = g_ascii_strup(mac, -1);
		groups = fk_backup_library_group(entries, upper);
	}
	g_assert_cmpuint(groups->len, ==, 4);
	g0 = g_ptr_array_index(groups, 0);
	g1 = g_ptr_array_index(groups, 1);
	g2 = g_ptr_array_index(groups, 2);
	g3 = g_ptr_array_index(groups, 3);
	g_assert_cmpstr(g0->board, ==, mac);
	g_assert_cmpuint(g0->entries->len, ==, 2);
	g_assert_cmpstr(((FkBackupEntry *)g_ptr_array_index(g0->entries, 0))->path, ==, recent);
	g_assert_cmpstr(((FkBackupEntry *)g_ptr_array_index(g0->entries, 1))->path, ==, old);
	g_assert_nonnull(g0->chip_model);
	g_assert_cmpstr(g1->board, ==, "aa:bb:cc:00:00:01");
	g_assert_cmpstr(g2->board, ==, "aa:bb:cc:00:00:02");
	g_assert_null(g3->board);
	g_clear_pointer(&groups, g_ptr_array_unref);

	/* with no board connected: by the newest backup */
	groups = fk_backup_library_group(entries, NULL);
	g_assert_cmpstr(((FkBackupGroup *)g_ptr_array_index(groups, 0))->board, ==, "aa:bb:cc:00:00:01");
	g_assert_cmpstr(((FkBackupGroup *)g_ptr_array_index(groups, 1))->board, ==, mac);
	g_assert_null(((FkBackupGroup *)g_ptr_array_index(groups, 3))->board);
}

/* taken off the list: stays off (also after a restart) until saved again; deleting removes
 * the backup and its description and nothing else */
static void
test_library_remove(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *keep = backup(f, "r", "keep.bin");
	g_autofree gchar *forget = backup(f, "r", "forget.bin");
	g_autofree gchar *delete = backup(f, "r", "delete.bin");
	g_autofree gchar *delete_json = g_strconcat(delete, ".json", NULL);
	g_autofree gchar *forget_json = g_strconcat(forget, ".json", NULL);

	{
		g_autoptr(FkBackupLibrary) lib = fk_backup_library_new(f->state);
		g_assert_true(fk_backup_library_add_backup(lib, keep, NULL));
		g_assert_true(fk_backup_library_remove(lib, forget, FALSE, &error));
		g_assert_no_error(error);
		g_assert_true(fk_backup_library_remove(lib, delete, TRUE, &error));
		g_assert_no_error(error);
	}
	g_assert_true(g_file_test(forget, G_FILE_TEST_EXISTS));
	g_assert_true(g_file_test(forget_json, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(delete, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(delete_json, G_FILE_TEST_EXISTS));
	g_assert_true(g_file_test(keep, G_FILE_TEST_EXISTS));
	{
		g_autoptr(FkBackupLibrary) lib = fk_backup_library_new(f->state);
		g_autoptr(GPtrArray) entries = fk_backup_library_list(lib, NULL);
		g_assert_cmpuint(entries->len, ==, 1);
		g_assert_nonnull(find_entry(entries, keep));
		/* a backup saved again under the removed name is listed again */
		g_assert_true(fk_backup_library_add_backup(lib, forget, NULL));
	}
	{
		g_autoptr(FkBackupLibrary) lib = fk_backup_library_new(f->state);
		g_autoptr(GPtrArray) entries = fk_backup_library_list(lib, NULL);
		g_assert_cmpuint(entries->len, ==, 2);
		g_assert_nonnull(find_entry(entries, forget));
	}
}

/* a state file that cannot be written is an error that names it; the library goes on */
static void
test_library_unwritable(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *blocker = g_build_filename(f->dir, "file", NULL);
	g_autofree gchar *state = g_build_filename(blocker, "library.ini", NULL);
	g_autofree gchar *a = backup(f, "u", "a.bin");
	g_autoptr(FkBackupLibrary) lib = fk_backup_library_new(state);
	g_autoptr(GPtrArray) entries = NULL;

	g_assert_true(g_file_set_contents(blocker, "", 0, NULL));
	g_assert_false(fk_backup_library_add_backup(lib, a, &error));
	g_assert_nonnull(error);
	g_assert_nonnull(strstr(error->message, state));
	entries = fk_backup_library_list(lib, NULL);
	g_assert_cmpuint(entries->len, ==, 1);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/library/sources", Fixture, NULL, fixture_setup, test_library_sources, fixture_teardown);
	g_test_add("/library/check-states", Fixture, NULL, fixture_setup, test_library_check_states, fixture_teardown);
	g_test_add("/library/groups", Fixture, NULL, fixture_setup, test_library_groups, fixture_teardown);
	g_test_add("/library/remove", Fixture, NULL, fixture_setup, test_library_remove, fixture_teardown);
	g_test_add("/library/unwritable", Fixture, NULL, fixture_setup, test_library_unwritable, fixture_teardown);
	return g_test_run();
}
