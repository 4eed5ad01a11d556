/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Restoring one partition of a whole-flash backup (fk_flash_restore_partition): a simulated
 * ESP32 is backed up, its settings (nvs) and its app are then changed, and only nvs is put back:
 * nvs equals the backup again, the app keeps its change, nothing else moves (the whole flash is
 * compared with what it must be), and only what differed is written. Then what must be refused
 * before anything is written: an unknown name (the names there are are listed), a damaged
 * table, a chip laid out differently (the partition moved, another one changed, no table at
 * all), an ESP8266 dump, a partition past the end of the backup or of the chip's flash, a backup
 * of another chip; and a cancelled restore, and a write that strays. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "fk-error.h"
#include "fk-flash-partition.h"
#include "fk-flash.h"
#include "fk-mem.h"
#include "fk-sim-device.h"
#include "fk-sim-transport.h"
#include "fk-test-util.h"

#define FLASH_SIZE (1024 * 1024)
#define SECTOR 4096
/* the simulated ESP32's layout (fk-sim-chip.c) on a 1 MB flash */
#define TABLE 0x8000
#define NVS 0x9000
#define NVS_SIZE 0x6000
#define APP 0x10000
#define APP_SIZE 0xC0000
#define STORAGE 0xD0000
#define MD5_ENTRY (TABLE + 4 * 32)

typedef struct {
	FkSimDevice *sim;
	FkTransport *transport;
	FkDevice *device;
	gchar *dir;
	gchar *backup; /* the whole flash as it was at first */
	guint8 *before; /* the backup's bytes */
	guint faults;	/* faults that fired */
} Rig;

static void
trace_cb(const gchar *line, gpointer user_data)
{
	Rig *rig = user_data;
	if (strstr(line, "! fault:") != NULL)
		rig->faults++;
}

static FkSimDevice *
sim_new(const gchar *chip, gsize size)
{
	g_autoptr(GError) error = NULL;
	FkSimDevice *sim = fk_sim_device_new(chip, size, 42, &error);
	g_assert_no_error(error);
	fk_sim_device_set_boot_mode(sim, FK_SIM_BOOT_APP);
	fk_sim_device_set_timing(sim, FALSE, 0);
	return sim;
}

static gboolean
rig_init(Rig *rig, gboolean use_stub)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) flash = NULL;

	if (fk_test_skip_without_stubs())
		return FALSE;
	memset(rig, 0, sizeof(*rig));
	rig->sim = sim_new("esp32", FLASH_SIZE);
	rig->device = fk_test_device_connect(rig->sim, use_stub, &rig->transport);
	fk_sim_device_set_trace_func(rig->sim, trace_cb, rig);
	rig->dir = g_dir_make_tmp("fk-partition-XXXXXX", &error);
	g_assert_no_error(error);
	rig->backup = g_build_filename(rig->dir, "backup.bin", NULL);
	g_assert_true(fk_flash_backup_full(rig->device, 0, FLASH_SIZE, rig->backup, FK_BACKUP_FLAG_NO_SIDECAR, NULL,
					   NULL, NULL, &error));
	g_assert_no_error(error);
	flash = fk_sim_device_get_flash(rig->sim);
	rig->before = g_memdup2(g_bytes_get_data(flash, NULL), FLASH_SIZE);
	return TRUE;
}

static void
rig_clear(Rig *rig)
{
	fk_sim_device_set_trace_func(rig->sim, NULL, NULL);
	g_clear_object(&rig->device);
	g_clear_object(&rig->transport);
	g_clear_object(&rig->sim);
	g_assert_true(fk_test_rm_rf(rig->dir));
	g_free(rig->dir);
	g_free(rig->backup);
	g_free(rig->before);
}

/* the chip's flash now, for the caller to change and set */
static guint8 *
rig_flash(Rig *rig)
{
	g_autoptr(GBytes) flash = fk_sim_device_get_flash(rig->sim);
	return g_memdup2(g_bytes_get_data(flash, NULL), FLASH_SIZE);
}

static void
rig_set_flash(Rig *rig, const guint8 *data)
{
	g_autoptr(GBytes) bytes = g_bytes_new(data, FLASH_SIZE);
	g_autoptr(GError) error = NULL;
	g_assert_true(fk_sim_device_set_flash(rig->sim, bytes, &error));
	g_assert_no_error(error);
}

static void
rig_assert_flash(Rig *rig, const guint8 *expected)
{
	g_autoptr(GBytes) now = fk_sim_device_get_flash(rig->sim);
	g_assert_cmpmem(g_bytes_get_data(now, NULL), g_bytes_get_size(now), expected, FLASH_SIZE);
}

/* a file in the rig's folder holding @len bytes of @data */
static gchar *
rig_file(Rig *rig, const gchar *name, const guint8 *data, gsize len)
{
	g_autoptr(GError) error = NULL;
	gchar *path = g_build_filename(rig->dir, name, NULL);
	g_assert_true(g_file_set_contents(path, (const gchar *)data, len, &error));
	g_assert_no_error(error);
	return path;
}

/* the settings and the app changed on the chip, as months of use and an update would */
static guint8 *
rig_change_chip(Rig *rig)
{
	guint8 *flash = rig_flash(rig);
	flash[NVS + 0x40] ^= 0x5A;
	flash[NVS + 0x41] ^= 0xA5;
	flash[APP + 0x2345] ^= 0x0F;
	rig_set_flash(rig, flash);
	return flash;
}

/* rewrites the partition table in @flash with @entry's offset and size (or label) changed,
 * and a valid MD5 entry */
static void
table_edit(guint8 *flash, guint entry, guint32 offset, guint32 size, const gchar *label)
{
	guint8 *e = flash + TABLE + entry * 32;
	g_autoptr(GChecksum) md5 = g_checksum_new(G_CHECKSUM_MD5);
	gsize len = 16;

	fk_memwrite_u32le(e + 4, offset);
	fk_memwrite_u32le(e + 8, size);
	if (label != NULL) {
		memset(e + 12, 0, 16);
		memcpy(e + 12, label, strlen(label));
	}
	g_checksum_update(md5, flash + TABLE, MD5_ENTRY - TABLE);
	g_checksum_get_digest(md5, flash + MD5_ENTRY + 16, &len);
}

static void
restore_nvs(gconstpointer user_data)
{
	gboolean use_stub = GPOINTER_TO_INT(user_data);
	g_autoptr(GError) error = NULL;
	g_autofree guint8 *expected = NULL;
	Rig rig;

	if (!rig_init(&rig, use_stub))
		return;
	expected = rig_change_chip(&rig);
	/* nvs as in the backup, the app as changed */
	memcpy(expected + NVS, rig.before + NVS, NVS_SIZE);
	g_assert_true(memcmp(expected + APP, rig.before + APP, APP_SIZE) != 0);
	g_assert_true(fk_flash_restore_partition(rig.device, rig.backup, "nvs", FK_WRITE_FLAG_NONE, NULL, NULL, &error));
	g_assert_no_error(error);
	rig_assert_flash(&rig, expected);
	/* the one sector that differed, nothing more */
	g_assert_cmpuint(fk_device_get_bytes_written(rig.device), >, 0);
	g_assert_cmpuint(fk_device_get_bytes_written(rig.device), <=, NVS_SIZE);
	g_assert_cmpuint(fk_device_get_bytes_written(rig.device), ==, SECTOR);

	/* again: the chip holds it already, nothing is written */
	g_assert_true(fk_flash_restore_partition(rig.device, rig.backup, "nvs", FK_WRITE_FLAG_NONE, NULL, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(fk_device_get_bytes_written(rig.device), ==, 0);
	rig_assert_flash(&rig, expected);
	rig_clear(&rig);
}

/* without verification the whole partition is written, and still nothing else */
static void
restore_no_verify(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree guint8 *expected = NULL;
	g_autoptr(GBytes) dump = NULL;
	g_autofree gchar *contents = NULL;
	gsize len = 0;
	Rig rig;

	if (!rig_init(&rig, TRUE))
		return;
	expected = rig_change_chip(&rig);
	memcpy(expected + NVS, rig.before + NVS, NVS_SIZE);
	/* the variant that takes the bytes, as the window has them */
	g_assert_true(g_file_get_contents(rig.backup, &contents, &len, &error));
	dump = g_bytes_new_take(g_steal_pointer(&contents), len);
	g_assert_true(fk_flash_restore_partition_bytes(rig.device, dump, "backup.bin", "nvs", FK_WRITE_FLAG_NO_VERIFY,
						       NULL, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(fk_device_get_bytes_written(rig.device), ==, NVS_SIZE);
	rig_assert_flash(&rig, expected);
	rig_clear(&rig);
}

/* a refusal: @code in FK_ERROR (or @domain), @words in the message, and the chip as it was */
static void
assert_refused(Rig *rig, const gchar *path, const gchar *label, GQuark domain, gint code, const gchar *words)
{
	g_autoptr(GError) error = NULL;
	g_autofree guint8 *flash = rig_flash(rig);

	g_assert_false(fk_flash_restore_partition(rig->device, path, label, FK_WRITE_FLAG_NONE, NULL, NULL, &error));
	g_assert_error(error, domain, code);
	g_test_message("refused: %s", error->message);
	if (strstr(error->message, words) == NULL)
		g_error("“%s” is not in: %s", words, error->message);
	g_assert_nonnull(strstr(error->message, "nothing was written"));
	rig_assert_flash(rig, flash);
}

static void
refuse_unknown_label(void)
{
	Rig rig;
	if (!rig_init(&rig, TRUE))
		return;
	g_free(rig_change_chip(&rig));
	assert_refused(&rig, rig.backup, "settings", FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
		       "has no partition “settings”; its partitions are: nvs, phy_init, factory, storage");
	rig_clear(&rig);
}

static void
refuse_damaged_table(void)
{
	g_autofree guint8 *dump = NULL;
	g_autofree gchar *path = NULL;
	Rig rig;

	if (!rig_init(&rig, TRUE))
		return;
	g_free(rig_change_chip(&rig));
	dump = g_memdup2(rig.before, FLASH_SIZE);
	dump[MD5_ENTRY + 20] ^= 0x01;
	path = rig_file(&rig, "damaged.bin", dump, FLASH_SIZE);
	assert_refused(&rig, path, "nvs", FK_ERROR, FK_ERROR_INVALID_ARGUMENT, "its MD5 entry does not match");
	rig_clear(&rig);
}

/* the chip's nvs moved (and shrank): the backup's nvs would land on something else */
static void
refuse_partition_moved(void)
{
	g_autofree guint8 *flash = NULL;
	Rig rig;

	if (!rig_init(&rig, TRUE))
		return;
	flash = rig_change_chip(&rig);
	table_edit(flash, 0, NVS + SECTOR, NVS_SIZE - SECTOR, NULL);
	rig_set_flash(&rig, flash);
	assert_refused(&rig, rig.backup, "nvs", FK_ERROR, FK_ERROR_LAYOUT_MISMATCH,
		       "The chip's partition table has “nvs” as data/nvs, 20 KB at 0xa000, and");
	rig_clear(&rig);
}

/* nvs is where it was, but the chip's table differs elsewhere: another firmware's layout */
static void
refuse_table_differs(void)
{
	g_autofree guint8 *flash = NULL;
	Rig rig;

	if (!rig_init(&rig, TRUE))
		return;
	flash = rig_change_chip(&rig);
	table_edit(flash, 3, STORAGE, FLASH_SIZE - STORAGE - 0x10000, NULL);
	rig_set_flash(&rig, flash);
	assert_refused(&rig, rig.backup, "nvs", FK_ERROR, FK_ERROR_LAYOUT_MISMATCH,
		       "differs from the one in");
	assert_refused(&rig, rig.backup, "nvs", FK_ERROR, FK_ERROR_LAYOUT_MISMATCH,
		       "“storage” is data/spiffs, 128 KB at 0xd0000 on the chip, data/spiffs, 192 KB at "
		       "0xd0000 in the backup");
	/* a partition of another name */
	table_edit(flash, 3, STORAGE, FLASH_SIZE - STORAGE, "files");
	rig_set_flash(&rig, flash);
	assert_refused(&rig, rig.backup, "nvs", FK_ERROR, FK_ERROR_LAYOUT_MISMATCH,
		       "the chip has no partition “storage”");
	rig_clear(&rig);
}

static void
refuse_chip_without_table(void)
{
	g_autofree guint8 *flash = NULL;
	Rig rig;

	if (!rig_init(&rig, TRUE))
		return;
	flash = rig_change_chip(&rig);
	memset(flash + TABLE, 0xFF, SECTOR);
	rig_set_flash(&rig, flash);
	assert_refused(&rig, rig.backup, "nvs", FK_ERROR, FK_ERROR_LAYOUT_MISMATCH,
		       "The chip has no partition table at 0x8000");
	rig_clear(&rig);
}

static void
refuse_esp8266_dump(void)
{
	g_autoptr(FkSimDevice) esp8266 = sim_new("esp8266", FLASH_SIZE);
	g_autoptr(GBytes) flash = fk_sim_device_get_flash(esp8266);
	g_autofree gchar *path = NULL;
	Rig rig;

	if (!rig_init(&rig, TRUE))
		return;
	path = rig_file(&rig, "esp8266.bin", g_bytes_get_data(flash, NULL), FLASH_SIZE);
	assert_refused(&rig, path, "nvs", FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
		       "esp8266.bin has no partition table, so it has no partition “nvs”");
	rig_clear(&rig);
}

/* a backup cut short in the middle of nvs (and one that ends before storage) */
static void
refuse_past_the_end(void)
{
	g_autofree gchar *cut = NULL;
	Rig rig;

	if (!rig_init(&rig, TRUE))
		return;
	g_free(rig_change_chip(&rig));
	cut = rig_file(&rig, "cut.bin", rig.before, NVS + SECTOR);
	assert_refused(&rig, cut, "nvs", FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
		       "The partition “nvs” (data/nvs, 24 KB at 0x9000) is not entirely inside");
	assert_refused(&rig, cut, "storage", FK_ERROR, FK_ERROR_INVALID_ARGUMENT, "which ends at 0xa000");
	rig_clear(&rig);
}

/* a 2 MB ESP32's backup on this 1 MB chip: its storage lies past the end of this flash */
static void
refuse_larger_flash(void)
{
	g_autoptr(FkSimDevice) big = sim_new("esp32", 2 * FLASH_SIZE);
	g_autoptr(GBytes) flash = fk_sim_device_get_flash(big);
	g_autofree gchar *path = NULL;
	Rig rig;

	if (!rig_init(&rig, TRUE))
		return;
	path = rig_file(&rig, "2mb.bin", g_bytes_get_data(flash, NULL), 2 * FLASH_SIZE);
	assert_refused(&rig, path, "storage", FK_ERROR, FK_ERROR_SIZE_MISMATCH,
		       "does not fit in this chip's 1 MB flash");
	rig_clear(&rig);
}

static void
refuse_other_chip(void)
{
	g_autoptr(FkSimDevice) s3 = sim_new("esp32s3", FLASH_SIZE);
	g_autoptr(GBytes) flash = fk_sim_device_get_flash(s3);
	g_autofree gchar *path = NULL;
	Rig rig;

	if (!rig_init(&rig, TRUE))
		return;
	path = rig_file(&rig, "s3.bin", g_bytes_get_data(flash, NULL), FLASH_SIZE);
	assert_refused(&rig, path, "nvs", FK_ERROR, FK_ERROR_UNSUPPORTED_CHIP, "is a backup of an ESP32-S3");
	rig_clear(&rig);
}

static void
cancelled(void)
{
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(GError) error = NULL;
	g_autofree guint8 *flash = NULL;
	Rig rig;

	if (!rig_init(&rig, TRUE))
		return;
	flash = rig_change_chip(&rig);
	g_cancellable_cancel(cancellable);
	g_assert_false(fk_flash_restore_partition(rig.device, rig.backup, "nvs", FK_WRITE_FLAG_NONE, NULL,
						  cancellable, &error));
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	rig_assert_flash(&rig, flash);
	rig_clear(&rig);
}

/* the chip writes nvs 64 KB too far, into the app: the restore must not succeed with the app
 * damaged, and says the flash outside nvs changed */
static void
write_strays(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree guint8 *expected = NULL;
	g_autoptr(GBytes) after = NULL;
	Rig rig;

	if (!rig_init(&rig, TRUE))
		return;
	expected = rig_change_chip(&rig);
	memcpy(expected + NVS, rig.before + NVS, NVS_SIZE);
	g_assert_true(fk_sim_device_add_faults_from_string(rig.sim, "flip-param@FLASH_DEFL_BEGIN#1:OFFSET.16", &error));
	g_assert_no_error(error);
	if (fk_flash_restore_partition(rig.device, rig.backup, "nvs", FK_WRITE_FLAG_NONE, NULL, NULL, &error)) {
		g_assert_no_error(error);
		rig_assert_flash(&rig, expected);
	} else {
		const guint8 *now;
		g_test_message("failed: %s", error->message);
		after = fk_sim_device_get_flash(rig.sim);
		now = g_bytes_get_data(after, NULL);
		if (memcmp(now, expected, NVS) != 0 ||
		    memcmp(now + NVS + NVS_SIZE, expected + NVS + NVS_SIZE, FLASH_SIZE - NVS - NVS_SIZE) != 0)
			g_assert_error(error, FK_ERROR, FK_ERROR_OUTSIDE_CHANGED);
	}
	g_assert_cmpuint(rig.faults, ==, 1);
	rig_clear(&rig);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_data_func("/fk/partition-restore/nvs-stub", GINT_TO_POINTER(TRUE), restore_nvs);
	g_test_add_data_func("/fk/partition-restore/nvs-rom", GINT_TO_POINTER(FALSE), restore_nvs);
	g_test_add_func("/fk/partition-restore/no-verify", restore_no_verify);
	g_test_add_func("/fk/partition-restore/unknown-label", refuse_unknown_label);
	g_test_add_func("/fk/partition-restore/damaged-table", refuse_damaged_table);
	g_test_add_func("/fk/partition-restore/partition-moved", refuse_partition_moved);
	g_test_add_func("/fk/partition-restore/table-differs", refuse_table_differs);
	g_test_add_func("/fk/partition-restore/chip-without-table", refuse_chip_without_table);
	g_test_add_func("/fk/partition-restore/esp8266-dump", refuse_esp8266_dump);
	g_test_add_func("/fk/partition-restore/past-the-end", refuse_past_the_end);
	g_test_add_func("/fk/partition-restore/larger-flash", refuse_larger_flash);
	g_test_add_func("/fk/partition-restore/other-chip", refuse_other_chip);
	g_test_add_func("/fk/partition-restore/cancelled", cancelled);
	g_test_add_func("/fk/partition-restore/write-strays", write_strays);
	return g_test_run();
}
