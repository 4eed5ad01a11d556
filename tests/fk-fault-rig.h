/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the fault tests share: a simulated chip with a deterministic flash, one backup, restore
 * or erase of a fixed region run on it, and the check that a successful one left byte-exact
 * data (the backup file equal to the flash, the restored sectors equal to the image, nothing
 * outside the region changed). */
#pragma once

#include "fk-device.h"
#include "fk-flash.h"
#include "fk-protocol.h"
#include "fk-sim-device.h"
#include "fk-sim-transport.h"
#include "fk-test-util.h"

#define FLASH_SIZE (1024 * 1024)
/* the simulator's own firmware stays below this; the rest gets a deterministic pattern */
#define FILL_START 0x20000
#define BACKUP_OFFSET 0x30000
#define BACKUP_SIZE (192 * 1024) /* three 64 KiB stub reads */
#define RESTORE_OFFSET 0x50000
#define RESTORE_SIZE (128 * 1024 + 2) /* not a multiple of 4 */
#define ERASE_OFFSET 0x40000
#define ERASE_SIZE 0x50000 /* a 256 KiB piece and a 64 KiB piece */

typedef enum {
	OP_BACKUP,
	OP_RESTORE,
	OP_ERASE,
	N_OPS
} Op;

/* ---- deterministic data ---- */

static inline GBytes *
restore_image(void)
{
	return fk_test_pattern(RESTORE_SIZE, 7);
}

/* ---- running one operation ---- */

typedef struct {
	FkSimDevice *sim;
	FkTransport *transport;
	gchar *tmpdir;
	GBytes *before; /* the flash before the operation */
} Rig;

static inline void
rig_open(Rig *rig, const gchar *chip)
{
	g_autoptr(GError) error = NULL;
	rig->sim = fk_test_sim_new(chip, FLASH_SIZE, FILL_START);
	rig->transport = fk_sim_transport_new(rig->sim);
	rig->tmpdir = g_dir_make_tmp("flashkeep-faults-XXXXXX", &error);
	g_assert_no_error(error);
}

static inline void
rig_close(Rig *rig)
{
	fk_test_rm_rf(rig->tmpdir);
	g_clear_pointer(&rig->tmpdir, g_free);
	g_clear_pointer(&rig->before, g_bytes_unref);
	if (rig->transport != NULL)
		fk_transport_close(rig->transport);
	g_clear_object(&rig->transport);
	g_clear_object(&rig->sim);
}

/* runs @op on its fixed region; @restore_flags are the ones a restore writes with */
static inline gboolean
run_op(Rig *rig, FkDevice *device, Op op, FkWriteFlags restore_flags, const gchar *backup_path, GError **error)
{
	switch (op) {
	case OP_BACKUP:
		return fk_flash_backup(device, BACKUP_OFFSET, BACKUP_SIZE, backup_path, NULL, NULL, error);
	case OP_RESTORE: {
		g_autoptr(GBytes) image = restore_image();
		return fk_device_write_flash(device, RESTORE_OFFSET, image, restore_flags, NULL, NULL, error);
	}
	case OP_ERASE:
		return fk_device_erase_region(device, ERASE_OFFSET, ERASE_SIZE, NULL, NULL, error);
	default:
		g_assert_not_reached();
	}
}

static inline gchar *
first_difference(const guint8 *got, const guint8 *want, gsize len, gsize base)
{
	for (gsize i = 0; i < len; i++) {
		if (got[i] != want[i])
			return g_strdup_printf("byte 0x%" G_GSIZE_MODIFIER "x is 0x%02x, should be 0x%02x", base + i,
					       got[i], want[i]);
	}
	return NULL;
}

/* NULL when the result of a successful operation is byte-exact, else what is wrong */
static inline gchar *
check_success(Rig *rig, Op op, const gchar *backup_path)
{
	g_autoptr(GBytes) after = fk_sim_device_get_flash(rig->sim);
	const guint8 *now = g_bytes_get_data(after, NULL);
	const guint8 *was = g_bytes_get_data(rig->before, NULL);

	switch (op) {
	case OP_BACKUP: {
		g_autofree gchar *contents = NULL;
		gsize len = 0;
		g_autoptr(GError) error = NULL;
		gchar *diff;
		if (!g_file_get_contents(backup_path, &contents, &len, &error))
			return g_strdup_printf("backup reported success but: %s", error->message);
		if (len != BACKUP_SIZE)
			return g_strdup_printf("backup file has %" G_GSIZE_FORMAT " bytes, not %u", len,
					       (guint)BACKUP_SIZE);
		if ((diff = first_difference((const guint8 *)contents, now + BACKUP_OFFSET, len, BACKUP_OFFSET)) != NULL) {
			gchar *msg = g_strdup_printf("backup file differs from the flash: %s", diff);
			g_free(diff);
			return msg;
		}
		/* reading must not change the flash */
		if (!g_bytes_equal(after, rig->before))
			return g_strdup("the flash changed during a backup");
		return NULL;
	}
	case OP_RESTORE: {
		g_autoptr(GBytes) image = restore_image();
		gsize len = g_bytes_get_size(image);
		gsize end = (RESTORE_OFFSET + len + FK_FLASH_SECTOR_SIZE - 1) / FK_FLASH_SECTOR_SIZE * FK_FLASH_SECTOR_SIZE;
		gchar *diff;
		if ((diff = first_difference(now + RESTORE_OFFSET, g_bytes_get_data(image, NULL), len, RESTORE_OFFSET)) != NULL) {
			gchar *msg = g_strdup_printf("restored region differs from the image: %s", diff);
			g_free(diff);
			return msg;
		}
		for (gsize i = RESTORE_OFFSET + len; i < (RESTORE_OFFSET + len + 3) / 4 * 4; i++) {
			if (now[i] != 0xFF)
				return g_strdup_printf("pad byte 0x%" G_GSIZE_MODIFIER "x is 0x%02x", i, now[i]);
		}
		if ((diff = first_difference(now, was, RESTORE_OFFSET, 0)) != NULL ||
		    (diff = first_difference(now + end, was + end, FLASH_SIZE - end, end)) != NULL) {
			gchar *msg = g_strdup_printf("flash outside the restored sectors changed: %s", diff);
			g_free(diff);
			return msg;
		}
		return NULL;
	}
	case OP_ERASE: {
		gchar *diff;
		for (gsize i = ERASE_OFFSET; i < ERASE_OFFSET + ERASE_SIZE; i++) {
			if (now[i] != 0xFF)
				return g_strdup_printf("byte 0x%" G_GSIZE_MODIFIER "x is 0x%02x, not erased", i, now[i]);
		}
		if ((diff = first_difference(now, was, ERASE_OFFSET, 0)) != NULL ||
		    (diff = first_difference(now + ERASE_OFFSET + ERASE_SIZE, was + ERASE_OFFSET + ERASE_SIZE,
					     FLASH_SIZE - ERASE_OFFSET - ERASE_SIZE, ERASE_OFFSET + ERASE_SIZE)) != NULL) {
			gchar *msg = g_strdup_printf("flash outside the erased region changed: %s", diff);
			g_free(diff);
			return msg;
		}
		return NULL;
	}
	default:
		g_assert_not_reached();
	}
}
