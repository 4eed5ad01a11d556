/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A backup's description beside it (NAME.bin.json): written with every backup from what the
 * simulated chip says, read back, checked against the file; a broken, foreign or newer one is
 * reported, not crashed on; it never outlives or describes another backup under the same name;
 * a backup that fails or is cancelled leaves neither file; a disk that fills up between the
 * backup and its description keeps the backup and says why it has no description. */
#include "config.h"

/* RTLD_DEFAULT */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dlfcn.h>
#include <glib/gstdio.h>
#include <string.h>

#include "fk-backup-info.h"
#include "fk-device.h"
#include "fk-error.h"
#include "fk-flash.h"
#include "fk-progress.h"
#include "fk-sim-device.h"
#include "fk-sim-transport.h"
#include "fk-test-util.h"

#define FLASH_SIZE (1024 * 1024)
#define FILL_START 0x10000
#define PART_OFFSET 0x20000
#define PART_SIZE (128 * 1024)

typedef struct {
	FkSimDevice *sim;
	FkTransport *transport;
	FkDevice *device;
	gchar *dir;
	gchar *path; /* dir/backup.bin */
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	f->sim = fk_test_sim_new("esp32", FLASH_SIZE, FILL_START);
	f->device = fk_test_device_connect(f->sim, fk_test_stubs_available(), &f->transport);
	f->dir = g_dir_make_tmp("flashkeep-info-XXXXXX", &error);
	g_assert_no_error(error);
	f->path = g_build_filename(f->dir, "backup.bin", NULL);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	g_assert_true(fk_test_rm_rf(f->dir));
	g_free(f->dir);
	g_free(f->path);
	g_object_unref(f->device);
	fk_transport_close(f->transport);
	g_object_unref(f->transport);
	g_object_unref(f->sim);
}

static void
backup(Fixture *f, guint32 offset, gsize size, FkBackupFlags flags)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) warning = NULL;
	gboolean ok = fk_flash_backup_full(f->device, offset, size, f->path, flags, &warning, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_no_error(warning);
	g_assert_true(ok);
}

static gchar *
file_checksum(GChecksumType type, const gchar *path)
{
	g_autofree gchar *data = NULL;
	gsize len = 0;
	g_assert_true(g_file_get_contents(path, &data, &len, NULL));
	return g_compute_checksum_for_data(type, (const guchar *)data, len);
}

static FkBackupInfo *
load_ok(const gchar *path)
{
	g_autoptr(GError) error = NULL;
	FkBackupInfo *info = fk_backup_info_load(path, &error);
	g_assert_no_error(error);
	g_assert_nonnull(info);
	return info;
}

static gboolean
check_intact(const FkBackupInfo *info, const gchar *path)
{
	g_autoptr(GError) error = NULL;
	gboolean intact = TRUE;
	g_assert_true(fk_backup_info_check(info, path, &intact, NULL, &error));
	g_assert_no_error(error);
	return intact;
}

/* backup → description → the same facts as the chip, then the check says intact until one byte
 * of the file changes */
static void
test_round_trip(Fixture *f, gconstpointer data)
{
	g_autoptr(FkBackupInfo) info = NULL;
	g_autofree gchar *mac = fk_device_get_mac_string(f->device);
	g_autofree gchar *sha256 = NULL;
	g_autofree gchar *md5 = NULL;
	g_autofree gchar *listing = NULL;
	g_autofree gchar *bytes = NULL;
	gsize len = 0;

	backup(f, 0, FLASH_SIZE, FK_BACKUP_FLAG_NONE);
	listing = fk_test_dir_listing(f->dir);
	g_assert_cmpstr(listing, ==, "backup.bin backup.bin.json");
	sha256 = file_checksum(G_CHECKSUM_SHA256, f->path);
	md5 = file_checksum(G_CHECKSUM_MD5, f->path);

	info = load_ok(f->path);
	g_assert_cmpuint(info->format_version, ==, FK_BACKUP_INFO_VERSION);
	g_assert_cmpstr(info->flashkeep_version, ==, PACKAGE_VERSION);
	g_assert_true(g_regex_match_simple("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$", info->created, 0, 0));
	g_assert_cmpstr(info->chip_family, ==, "ESP32");
	g_assert_cmpstr(info->chip_model, ==, fk_device_get_chip_description(f->device));
	g_assert_nonnull(info->chip_revision);
	g_assert_nonnull(strstr(info->chip_model, info->chip_revision));
	g_assert_cmpstr(info->mac, ==, mac);
	/* the simulated 1 MB part is a GigaDevice GD25Q80: esptool's "Manufacturer: c8, Device: 4014" */
	g_assert_cmphex(info->flash_id, ==, 0x1440C8);
	g_assert_cmpstr(info->flash_maker, ==, "GigaDevice");
	g_assert_cmpuint(info->flash_size, ==, fk_sim_device_get_flash_size(f->sim));
	g_assert_cmpuint(info->offset, ==, 0);
	g_assert_cmpuint(info->length, ==, FLASH_SIZE);
	g_assert_true(info->whole_flash);
	g_assert_cmpstr(info->sha256, ==, sha256);
	g_assert_cmpstr(info->md5, ==, md5);
	g_assert_cmpstr(info->port, ==, "sim:esp32@1MB");
	g_assert_cmpstr(info->port_description, ==, "Simulated ESP32 — 1MB");
	g_assert_cmpuint(info->usb_vid, ==, 0);
	g_assert_null(info->usb_serial);
	g_assert_cmpuint(info->baud, ==, fk_device_get_current_baud(f->device));
	g_assert_cmpuint(info->link_errors, ==, 0);

	g_assert_true(check_intact(info, f->path));
	/* one byte changed in the middle */
	g_assert_true(g_file_get_contents(f->path, &bytes, &len, NULL));
	bytes[len / 2] ^= 0x01;
	g_assert_true(g_file_set_contents(f->path, bytes, len, NULL));
	g_assert_false(check_intact(info, f->path));
	/* and cut short */
	g_assert_true(g_file_set_contents(f->path, bytes, len / 2, NULL));
	g_assert_false(check_intact(info, f->path));
}

/* a region of the flash is described as such; the ESP8266 tells no revision */
static void
test_part_esp8266(void)
{
	g_autoptr(FkSimDevice) sim = NULL;
	g_autoptr(FkTransport) transport = NULL;
	g_autoptr(FkDevice) device = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) warning = NULL;
	g_autoptr(FkBackupInfo) info = NULL;
	g_autofree gchar *dir = NULL;
	g_autofree gchar *path = NULL;
	g_autofree gchar *sha256 = NULL;
	gboolean ok;

	/* the ESP8266 ROM cannot read its flash */
	if (fk_test_skip_without_stubs())
		return;
	sim = fk_test_sim_new("esp8266", 4 * FLASH_SIZE, FILL_START);
	transport = fk_sim_transport_new(sim);
	device = fk_device_new(transport);
	dir = g_dir_make_tmp("flashkeep-info-XXXXXX", &error);
	g_assert_no_error(error);
	path = g_build_filename(dir, "part.bin", NULL);
	fk_device_set_use_stub(device, TRUE);
	g_assert_true(fk_device_connect(device, NULL, &error));
	g_assert_no_error(error);
	ok = fk_flash_backup_full(device, PART_OFFSET, PART_SIZE, path, FK_BACKUP_FLAG_NONE, &warning, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_no_error(warning);
	g_assert_true(ok);
	sha256 = file_checksum(G_CHECKSUM_SHA256, path);
	info = load_ok(path);
	g_assert_cmpstr(info->chip_family, ==, "ESP8266");
	g_assert_cmpstr(info->chip_model, ==, "ESP8266EX");
	g_assert_null(info->chip_revision);
	/* a 4 MB Winbond W25Q32: esptool's "Manufacturer: ef, Device: 4016" */
	g_assert_cmphex(info->flash_id, ==, 0x1640EF);
	g_assert_cmpstr(info->flash_maker, ==, "Winbond");
	g_assert_cmpuint(info->flash_size, ==, 4 * FLASH_SIZE);
	g_assert_cmpuint(info->offset, ==, PART_OFFSET);
	g_assert_cmpuint(info->length, ==, PART_SIZE);
	g_assert_false(info->whole_flash);
	g_assert_cmpstr(info->sha256, ==, sha256);
	g_assert_true(check_intact(info, path));
	fk_transport_close(transport);
	g_assert_true(fk_test_rm_rf(dir));
}

/* the transmission errors a backup went on after are counted in its description */
static void
test_link_errors(Fixture *f, gconstpointer data)
{
	g_autoptr(FkBackupInfo) info = NULL;

	/* the chip resets (a brown-out) at the second command of the read */
	fk_sim_device_add_fault(f->sim, FK_SIM_FAULT_RESET, 2, 0);
	backup(f, PART_OFFSET, PART_SIZE, FK_BACKUP_FLAG_NONE);
	g_assert_cmpuint(fk_device_get_recoveries(f->device), >=, 1);
	info = load_ok(f->path);
	g_assert_cmpuint(info->link_errors, ==, fk_device_get_recoveries(f->device));
	g_assert_true(check_intact(info, f->path));
}

/* a backup with no description: said so, distinctly, and not a fault */
static void
test_no_sidecar(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FkBackupInfo) info = NULL;
	g_autofree gchar *listing = NULL;

	backup(f, PART_OFFSET, PART_SIZE, FK_BACKUP_FLAG_NO_SIDECAR);
	listing = fk_test_dir_listing(f->dir);
	g_assert_cmpstr(listing, ==, "backup.bin");
	info = fk_backup_info_load(f->path, &error);
	g_assert_null(info);
	g_assert_error(error, FK_BACKUP_INFO_ERROR, FK_BACKUP_INFO_ERROR_NO_SIDECAR);
}

/* a new backup under the same name replaces the description too; one saved without a description
 * takes the old one away */
static void
test_replace(Fixture *f, gconstpointer data)
{
	g_autoptr(FkBackupInfo) first = NULL;
	g_autoptr(FkBackupInfo) second = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *listing = NULL;
	g_autofree gchar *sha256 = NULL;

	backup(f, PART_OFFSET, PART_SIZE, FK_BACKUP_FLAG_NONE);
	first = load_ok(f->path);
	backup(f, 0, PART_SIZE, FK_BACKUP_FLAG_NONE);
	second = load_ok(f->path);
	sha256 = file_checksum(G_CHECKSUM_SHA256, f->path);
	g_assert_cmpstr(second->sha256, ==, sha256);
	g_assert_cmpstr(second->sha256, !=, first->sha256);
	g_assert_cmpuint(second->offset, ==, 0);
	g_assert_true(check_intact(second, f->path));

	backup(f, PART_OFFSET, PART_SIZE, FK_BACKUP_FLAG_NO_SIDECAR);
	listing = fk_test_dir_listing(f->dir);
	g_assert_cmpstr(listing, ==, "backup.bin");
	g_assert_null(fk_backup_info_load(f->path, &error));
	g_assert_error(error, FK_BACKUP_INFO_ERROR, FK_BACKUP_INFO_ERROR_NO_SIDECAR);
}

static void
cancel_half_way_cb(FkProgress *progress, gpointer user_data)
{
	if (fk_progress_get_bytes_done(progress) >= PART_SIZE / 2)
		g_cancellable_cancel(user_data);
}

/* a cancelled backup leaves neither file, and what was there before is untouched */
static void
test_cancelled(Fixture *f, gconstpointer data)
{
	g_autoptr(FkProgress) progress = fk_progress_new();
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) warning = NULL;
	g_autoptr(FkBackupInfo) before = NULL;
	g_autoptr(FkBackupInfo) after = NULL;
	g_autofree gchar *empty_dir = g_build_filename(f->dir, "empty", NULL);
	g_autofree gchar *empty_path = g_build_filename(empty_dir, "backup.bin", NULL);
	g_autofree gchar *listing = NULL;

	g_signal_connect(progress, "changed", G_CALLBACK(cancel_half_way_cb), cancellable);
	g_assert_cmpint(g_mkdir(empty_dir, 0755), ==, 0);
	g_assert_false(fk_flash_backup_full(f->device, 0, 4 * PART_SIZE, empty_path, FK_BACKUP_FLAG_NONE, &warning,
					    progress, cancellable, &error));
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	g_assert_no_error(warning);
	g_clear_error(&error);
	listing = fk_test_dir_listing(empty_dir);
	g_assert_cmpstr(listing, ==, "");

	/* over an earlier backup and its description */
	backup(f, PART_OFFSET, PART_SIZE, FK_BACKUP_FLAG_NONE);
	before = load_ok(f->path);
	g_cancellable_reset(cancellable);
	g_assert_false(fk_flash_backup_full(f->device, 0, 4 * PART_SIZE, f->path, FK_BACKUP_FLAG_NONE, &warning,
					    progress, cancellable, &error));
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	after = load_ok(f->path);
	g_assert_cmpstr(after->sha256, ==, before->sha256);
	g_assert_cmpstr(after->created, ==, before->created);
	g_assert_true(check_intact(after, f->path));
}

/* a backup name of 252 bytes is legal, its description's 257 bytes are not: the backup stands,
 * and the caller is told why it has no description */
static void
test_name_too_long(Fixture *f, gconstpointer data)
{
	g_autofree gchar *n252 = g_strnfill(252, 'n');
	g_autofree gchar *path = g_build_filename(f->dir, n252, NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) warning = NULL;
	g_autofree gchar *listing = NULL;
	gboolean ok;

	ok = fk_flash_backup_full(f->device, PART_OFFSET, PART_SIZE, path, FK_BACKUP_FLAG_NONE, &warning, NULL, NULL,
				  &error);
	g_assert_no_error(error);
	g_assert_true(ok);
	g_assert_error(warning, FK_BACKUP_INFO_ERROR, FK_BACKUP_INFO_ERROR_FILE);
	g_test_message("%s", warning->message);
	g_assert_true(g_str_has_prefix(warning->message, "The backup is saved and complete, but its description "));
	listing = fk_test_dir_listing(f->dir);
	g_assert_cmpstr(listing, ==, n252);
	g_assert_null(fk_backup_info_load(path, &error));
	g_assert_error(error, FK_BACKUP_INFO_ERROR, FK_BACKUP_INFO_ERROR_NO_SIDECAR);
}

/* ---- descriptions that cannot be used ---- */

static void
assert_load_fails(Fixture *f, const gchar *json, gint code, const gchar *words)
{
	g_autofree gchar *json_path = fk_backup_info_path(f->path);
	g_autoptr(GError) error = NULL;
	g_autoptr(FkBackupInfo) info = NULL;

	g_assert_true(g_file_set_contents(json_path, json, -1, NULL));
	info = fk_backup_info_load(f->path, &error);
	g_assert_null(info);
	g_assert_error(error, FK_BACKUP_INFO_ERROR, code);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, json_path));
	g_assert_nonnull(strstr(error->message, words));
}

/* @json with the first @from replaced by @to */
static gchar *
edited(const gchar *json, const gchar *from, const gchar *to)
{
	g_autoptr(GString) s = g_string_new(json);
	g_assert_nonnull(strstr(json, from));
	g_string_replace(s, from, to, 1);
	return g_string_free(g_steal_pointer(&s), FALSE);
}

static void
test_invalid(Fixture *f, gconstpointer data)
{
	g_autofree gchar *json_path = fk_backup_info_path(f->path);
	g_autofree gchar *good = NULL;
	g_autofree gchar *newer = NULL;
	g_autofree gchar *no_sha = NULL;
	g_autofree gchar *bad_sha = NULL;
	g_autofree gchar *no_mac = NULL;
	g_autofree gchar *no_port = NULL;
	g_autofree gchar *foreign = NULL;
	g_autofree gchar *text_length = NULL;

	backup(f, PART_OFFSET, PART_SIZE, FK_BACKUP_FLAG_NONE);
	g_assert_true(g_file_get_contents(json_path, &good, NULL, NULL));

	assert_load_fails(f, "", FK_BACKUP_INFO_ERROR_INVALID, "it is empty");
	assert_load_fails(f, "\x89PNG\r\n", FK_BACKUP_INFO_ERROR_INVALID, "not valid JSON");
	assert_load_fails(f, "{\"format\": \"flashkeep-backup\", \"version\": 1,", FK_BACKUP_INFO_ERROR_INVALID,
			  "not valid JSON");
	assert_load_fails(f, "[1, 2, 3]", FK_BACKUP_INFO_ERROR_INVALID, "not a JSON object");
	assert_load_fails(f, "\"flashkeep-backup\"", FK_BACKUP_INFO_ERROR_INVALID, "not a JSON object");
	foreign = edited(good, "\"flashkeep-backup\"", "\"something-else\"");
	assert_load_fails(f, foreign, FK_BACKUP_INFO_ERROR_INVALID, "not a Flashkeep backup description");
	newer = edited(good, "\"version\" : 1", "\"version\" : 7");
	assert_load_fails(f, newer, FK_BACKUP_INFO_ERROR_NEWER, "update Flashkeep");
	no_sha = edited(good, "\"sha256\"", "\"sha-256\"");
	assert_load_fails(f, no_sha, FK_BACKUP_INFO_ERROR_INVALID, "checksums");
	bad_sha = edited(good, "\"sha256\" : \"", "\"sha256\" : \"zz");
	assert_load_fails(f, bad_sha, FK_BACKUP_INFO_ERROR_INVALID, "checksums");
	no_mac = edited(good, "\"mac\"", "\"mca\"");
	assert_load_fails(f, no_mac, FK_BACKUP_INFO_ERROR_INVALID, "chip");
	no_port = edited(good, "\"port\" :", "\"porthole\" :");
	assert_load_fails(f, no_port, FK_BACKUP_INFO_ERROR_INVALID, "port");
	text_length = edited(good, "\"length\" : 131072", "\"length\" : \"131072\"");
	assert_load_fails(f, text_length, FK_BACKUP_INFO_ERROR_INVALID, "length");

	/* the unedited one still loads */
	g_assert_true(g_file_set_contents(json_path, good, -1, NULL));
	{
		g_autoptr(FkBackupInfo) info = load_ok(f->path);
		g_assert_true(check_intact(info, f->path));
	}
}

/* ---- a disk that fills up between the backup and its description ---- */

static gulong
faults_injected(void)
{
	gulong *count = dlsym(RTLD_DEFAULT, "fk_disk_faults_injected");
	g_assert_nonnull(count); /* the interposer is loaded */
	return __atomic_load_n(count, __ATOMIC_SEQ_CST);
}

static void
run_disk_full(void)
{
	const gchar *dir = g_getenv("FK_DISK_TEST_DIR");
	g_autoptr(FkSimDevice) sim = fk_test_sim_new("esp32", FLASH_SIZE, FILL_START);
	g_autoptr(FkTransport) transport = fk_sim_transport_new(sim);
	g_autoptr(FkDevice) device = fk_device_new(transport);
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) warning = NULL;
	g_autoptr(GBytes) flash = NULL;
	g_autofree gchar *path = g_build_filename(dir, "backup.bin", NULL);
	g_autofree gchar *old_json = fk_backup_info_path(path);
	g_autofree gchar *data = NULL;
	g_autofree gchar *listing = NULL;
	gsize len = 0;

	/* the parent left a description of an earlier backup there: it must not describe this one */
	g_assert_true(g_file_test(old_json, G_FILE_TEST_IS_REGULAR));
	fk_device_set_use_stub(device, fk_test_stubs_available());
	g_assert_true(fk_device_connect(device, NULL, &error));
	g_assert_no_error(error);
	/* the disk takes exactly the backup (FK_DISK_FAULT enospc:PART_SIZE), then is full */
	g_assert_true(fk_flash_backup_full(device, PART_OFFSET, PART_SIZE, path, FK_BACKUP_FLAG_NONE, &warning, NULL,
					   NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(faults_injected(), >, 0);
	g_assert_error(warning, FK_BACKUP_INFO_ERROR, FK_BACKUP_INFO_ERROR_FILE);
	g_test_message("%s", warning->message);
	g_assert_true(g_str_has_prefix(warning->message, "The backup is saved and complete, but its description "));
	g_assert_nonnull(strstr(warning->message, "the disk is full"));
	g_assert_nonnull(strstr(warning->message, old_json));
	/* the backup, whole; no description, no temporary file */
	flash = fk_sim_device_get_flash(sim);
	g_assert_true(g_file_get_contents(path, &data, &len, NULL));
	g_assert_cmpmem(data, len, (const guint8 *)g_bytes_get_data(flash, NULL) + PART_OFFSET, PART_SIZE);
	listing = fk_test_dir_listing(dir);
	g_assert_cmpstr(listing, ==, "backup.bin");
	fk_transport_close(transport);
}

static void
test_disk_full(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = NULL;
	g_autofree gchar *listing = NULL;
	g_autofree gchar *preload = NULL;
	g_autofree gchar *fault = NULL;
	const gchar *module = g_getenv("FK_DISK_FAULTS_MODULE");

	if (g_test_subprocess()) {
		run_disk_full();
		return;
	}
	if (module == NULL)
		module = FK_DISK_FAULTS_MODULE;
	g_assert_true(g_file_test(module, G_FILE_TEST_IS_REGULAR));
	dir = g_dir_make_tmp("flashkeep-info-disk-XXXXXX", &error);
	g_assert_no_error(error);
	{
		g_autofree gchar *old_json = g_build_filename(dir, "backup.bin.json", NULL);
		g_assert_true(g_file_set_contents(old_json, "{\"format\": \"flashkeep-backup\"}", -1, NULL));
	}
	preload = g_strdup(module);
	fault = g_strdup_printf("enospc:%u", (guint)PART_SIZE);
	g_setenv("LD_PRELOAD", preload, TRUE);
#ifdef FK_TEST_ASAN
	{
		const gchar *asan = g_getenv("ASAN_OPTIONS");
		g_autofree gchar *opts = asan != NULL && asan[0] != '\0'
					     ? g_strconcat(asan, ":verify_asan_link_order=0", NULL)
					     : g_strdup("verify_asan_link_order=0");
		g_setenv("ASAN_OPTIONS", opts, TRUE);
	}
#endif
	g_setenv("FK_DISK_TEST_DIR", dir, TRUE);
	g_setenv("FK_DISK_FAULT_DIR", dir, TRUE);
	g_setenv("FK_DISK_FAULT", fault, TRUE);
	g_test_trap_subprocess(NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
	g_unsetenv("LD_PRELOAD");
	g_unsetenv("FK_DISK_TEST_DIR");
	g_unsetenv("FK_DISK_FAULT_DIR");
	g_unsetenv("FK_DISK_FAULT");
	g_test_trap_assert_passed();
	/* again, from outside the process */
	listing = fk_test_dir_listing(dir);
	g_assert_cmpstr(listing, ==, "backup.bin");
	g_assert_true(fk_test_rm_rf(dir));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/backup-info/round-trip", Fixture, NULL, fixture_setup, test_round_trip, fixture_teardown);
	g_test_add_func("/backup-info/part-esp8266", test_part_esp8266);
	g_test_add("/backup-info/link-errors", Fixture, NULL, fixture_setup, test_link_errors, fixture_teardown);
	g_test_add("/backup-info/no-sidecar", Fixture, NULL, fixture_setup, test_no_sidecar, fixture_teardown);
	g_test_add("/backup-info/replace", Fixture, NULL, fixture_setup, test_replace, fixture_teardown);
	g_test_add("/backup-info/cancelled", Fixture, NULL, fixture_setup, test_cancelled, fixture_teardown);
	g_test_add("/backup-info/name-too-long", Fixture, NULL, fixture_setup, test_name_too_long, fixture_teardown);
	g_test_add("/backup-info/invalid", Fixture, NULL, fixture_setup, test_invalid, fixture_teardown);
	g_test_add_func("/backup-info/disk-full", test_disk_full);
	return g_test_run();
}
