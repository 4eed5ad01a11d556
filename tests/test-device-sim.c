/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "fk-device.h"
#include "fk-error.h"
#include "fk-flash.h"
#include "fk-sim-device.h"
#include "fk-sim-transport.h"
#include "fk-test-util.h"

typedef enum {
	OP_BACKUP,
	OP_RESTORE,
	OP_ERASE,
} Op;

typedef struct {
	const gchar *chip;
	gsize size;
	gboolean stub;
	Op op;
} Case;

typedef struct {
	FkSimDevice *sim;
	FkTransport *transport;
	FkDevice *device;
	gchar *tmpdir;
} Fixture;

static void
fixture_open(Fixture *fx, const gchar *chip, gsize size, gboolean stub)
{
	g_autoptr(GError) error = NULL;
	fx->sim = fk_sim_device_new(chip, size, 42, &error);
	g_assert_no_error(error);
	fk_sim_device_set_boot_mode(fx->sim, FK_SIM_BOOT_APP);
	fx->transport = fk_sim_transport_new(fx->sim);
	fx->device = fk_device_new(fx->transport);
	fk_device_set_use_stub(fx->device, stub);
	fx->tmpdir = g_dir_make_tmp("flashkeep-test-XXXXXX", &error);
	g_assert_no_error(error);
}

static void
fixture_connect(Fixture *fx, gboolean stub)
{
	g_autoptr(GError) error = NULL;
	g_assert_true(fk_device_connect(fx->device, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpint(fk_device_is_stub_running(fx->device), ==, stub);
}

static void
fixture_close(Fixture *fx)
{
	fk_test_rm_rf(fx->tmpdir);
	g_free(fx->tmpdir);
	g_clear_object(&fx->device);
	if (fx->transport != NULL)
		fk_transport_close(fx->transport);
	g_clear_object(&fx->transport);
	g_clear_object(&fx->sim);
}

static void
assert_region(GBytes *flash, gsize offset, const guint8 *want, gsize len)
{
	g_assert_cmpuint(offset + len, <=, g_bytes_get_size(flash));
	g_assert_cmpmem((const guint8 *)g_bytes_get_data(flash, NULL) + offset, len, want, len);
}

static void
assert_region_ff(GBytes *flash, gsize offset, gsize len)
{
	const guint8 *p = (const guint8 *)g_bytes_get_data(flash, NULL) + offset;
	for (gsize i = 0; i < len; i++) {
		if (p[i] != 0xFF)
			g_error("byte 0x%" G_GSIZE_MODIFIER "x is 0x%02x, not erased", offset + i, p[i]);
	}
}

static void
test_backup(Fixture *fx, const Case *c)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = g_build_filename(fx->tmpdir, "backup.bin", NULL);
	g_autoptr(GBytes) flash = fk_sim_device_get_flash(fx->sim);
	g_autofree gchar *contents = NULL;
	gsize len = 0;
	gsize size = fk_device_get_flash_size(fx->device);

	g_assert_cmpuint(size, ==, g_bytes_get_size(flash));
	if (!c->stub && g_str_has_prefix(c->chip, "esp82")) {
		/* the ESP8266 ROM cannot read: a clear error, and no file */
		g_assert_false(fk_flash_backup(fx->device, 0, size, path, NULL, NULL, &error));
		g_assert_error(error, FK_ERROR, FK_ERROR_STUB_MISSING);
		g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
		return;
	}
	/* ROM reads are 64 bytes a command: a full 4 MB ROM read is left to the benchmark */
	if (!c->stub && size > 1024 * 1024)
		size = 1024 * 1024;
	g_assert_true(fk_flash_backup(fx->device, 0, size, path, NULL, NULL, &error));
	g_assert_no_error(error);
	g_assert_true(g_file_get_contents(path, &contents, &len, NULL));
	g_assert_cmpuint(len, ==, size);
	assert_region(flash, 0, (const guint8 *)contents, len);
}

static void
test_restore(Fixture *fx, const Case *c)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) before = fk_sim_device_get_flash(fx->sim);
	g_autoptr(GBytes) after = NULL;
	g_autoptr(GBytes) image = fk_test_pattern(150 * 1024 + 3, 7); /* not a multiple of 4 */
	gsize offset = 0x10000, len = g_bytes_get_size(image);
	FkWriteFlags flags = FK_WRITE_FLAG_NONE;

	if (!c->stub && g_str_has_prefix(c->chip, "esp82")) {
		/* the ESP8266 ROM cannot verify: refused unless verification is turned off */
		g_assert_false(fk_device_write_flash(fx->device, offset, image, flags, NULL, NULL, &error));
		g_assert_error(error, FK_ERROR, FK_ERROR_STUB_MISSING);
		g_clear_error(&error);
		flags |= FK_WRITE_FLAG_NO_VERIFY;
	}
	g_assert_true(fk_device_write_flash(fx->device, offset, image, flags, NULL, NULL, &error));
	g_assert_no_error(error);
	after = fk_sim_device_get_flash(fx->sim);
	assert_region(after, offset, g_bytes_get_data(image, NULL), len);
	/* the pad byte to 4-byte alignment is 0xFF (programmed over an erased sector) */
	assert_region_ff(after, offset + len, 1);
	/* the sectors before and after the image are untouched */
	assert_region(after, 0, g_bytes_get_data(before, NULL), offset);
	{
		gsize end = (offset + len + 0xFFF) & ~(gsize)0xFFF;
		assert_region(after, end, (const guint8 *)g_bytes_get_data(before, NULL) + end,
			      g_bytes_get_size(before) - end);
	}
	/* and a compressed write through the ROM where it can */
	if (!c->stub && !g_str_has_prefix(c->chip, "esp82")) {
		g_autoptr(GBytes) image2 = fk_test_pattern(40 * 1024, 9);
		g_autoptr(GBytes) after2 = NULL;
		g_assert_true(fk_device_write_flash(fx->device, 0x40000, image2, FK_WRITE_FLAG_COMPRESS, NULL, NULL, &error));
		g_assert_no_error(error);
		after2 = fk_sim_device_get_flash(fx->sim);
		assert_region(after2, 0x40000, g_bytes_get_data(image2, NULL), g_bytes_get_size(image2));
	}
}

static void
test_erase(Fixture *fx, const Case *c)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) before = fk_sim_device_get_flash(fx->sim);
	g_autoptr(GBytes) after = NULL;
	g_autoptr(GBytes) all = NULL;
	gsize size = g_bytes_get_size(before);
	gsize start = 0x21000, len = 0x13000; /* 19 sectors, across a 64 KB block boundary */

	if (!c->stub && g_str_has_prefix(c->chip, "esp82")) {
		/* the ESP8266 ROM would erase a 20th sector: refused, nothing touched */
		g_autoptr(GBytes) same = NULL;
		g_assert_false(fk_device_erase_region(fx->device, start, len, NULL, NULL, &error));
		g_assert_error(error, FK_ERROR, FK_ERROR_UNSUPPORTED);
		g_clear_error(&error);
		same = fk_sim_device_get_flash(fx->sim);
		g_assert_true(g_bytes_equal(same, before));
		len = 0x14000;
	}
	g_assert_true(fk_device_erase_region(fx->device, start, len, NULL, NULL, &error));
	g_assert_no_error(error);
	after = fk_sim_device_get_flash(fx->sim);
	assert_region_ff(after, start, len);
	assert_region(after, 0, g_bytes_get_data(before, NULL), start);
	assert_region(after, start + len, (const guint8 *)g_bytes_get_data(before, NULL) + start + len,
		      size - start - len);

	/* misaligned regions are refused before anything is sent */
	g_assert_false(fk_device_erase_region(fx->device, 0x21001, 0x1000, NULL, NULL, &error));
	g_assert_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);

	g_assert_true(fk_device_erase_flash(fx->device, NULL, NULL, &error));
	g_assert_no_error(error);
	all = fk_sim_device_get_flash(fx->sim);
	assert_region_ff(all, 0, size);
}

static void
test_case(gconstpointer data)
{
	const Case *c = data;
	Fixture fx = {0};
	fixture_open(&fx, c->chip, c->size, c->stub);
	fixture_connect(&fx, c->stub);
	switch (c->op) {
	case OP_BACKUP:
		test_backup(&fx, c);
		break;
	case OP_RESTORE:
		test_restore(&fx, c);
		break;
	case OP_ERASE:
		test_erase(&fx, c);
		break;
	default:
		g_assert_not_reached();
	}
	/* the chip can be talked to again afterwards */
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(FkDevice) again = NULL;
		g_assert_true(fk_device_finish(fx.device, FK_AFTER_HARD_RESET, NULL, &error));
		g_assert_no_error(error);
		again = fk_device_new(fx.transport);
		fk_device_set_use_stub(again, c->stub);
		g_assert_true(fk_device_connect(again, NULL, &error));
		g_assert_no_error(error);
	}
	fixture_close(&fx);
}

/* a chip that boots its firmware and is not reset into the loader */
static void
test_wrong_boot_mode(void)
{
	Fixture fx = {0};
	g_autoptr(GError) error = NULL;
	fixture_open(&fx, "esp32", 0, TRUE);
	fk_device_set_reset_mode(fx.device, FK_RESET_NONE);
	g_assert_false(fk_device_connect(fx.device, NULL, &error));
	g_assert_true(g_error_matches(error, FK_ERROR, FK_ERROR_NO_SYNC) ||
		      g_error_matches(error, FK_ERROR, FK_ERROR_WRONG_BOOT_MODE));
	g_assert_nonnull(fk_error_hint(error));
	fixture_close(&fx);
}

static void
test_identify(void)
{
	struct {
		const gchar *chip;
		gsize size;
		const gchar *description;
		guint crystal;
	} chips[] = {
	    {"esp8266", 1024 * 1024, "ESP8266EX", 26},
	    {"esp8285", 0, "ESP8285", 26},
	    {"esp32", 4 * 1024 * 1024, "ESP32-D0WD-V3 (revision v3.0)", 40},
	    {"esp32s3", 4 * 1024 * 1024, "ESP32-S3", 40},
	    {"esp32c3", 4 * 1024 * 1024, "ESP32-C3", 40},
	};
	for (guint i = 0; i < G_N_ELEMENTS(chips); i++) {
		Fixture fx = {0};
		g_autofree gchar *mac = NULL;
		fixture_open(&fx, chips[i].chip, chips[i].size, TRUE);
		fixture_connect(&fx, TRUE);
		g_assert_cmpstr(fk_device_get_chip_description(fx.device), ==, chips[i].description);
		g_assert_cmpuint(fk_device_get_crystal_mhz(fx.device), ==, chips[i].crystal);
		g_assert_cmpuint(fk_device_get_flash_size(fx.device), ==, fk_sim_device_get_flash_size(fx.sim));
		g_assert_cmpint(fk_device_is_esp8285(fx.device), ==, g_strcmp0(chips[i].chip, "esp8285") == 0);
		mac = fk_device_get_mac_string(fx.device);
		g_assert_cmpuint(strlen(mac), ==, 17);
		g_assert_cmpstr(mac, !=, "00:00:00:00:00:00");
		fixture_close(&fx);
	}
}

/* cancelling a backup leaves no file, and the next backup works */
static void
cancel_soon_cb(FkProgress *progress, GCancellable *cancellable)
{
	if (fk_progress_get_fraction(progress) > 0.2)
		g_cancellable_cancel(cancellable);
}

static void
test_cancel_backup(void)
{
	Fixture fx = {0};
	g_autoptr(GError) error = NULL;
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(FkProgress) progress = fk_progress_new();
	g_autofree gchar *path = NULL;
	g_autoptr(GDir) dir = NULL;

	fixture_open(&fx, "esp32", 0, TRUE);
	fixture_connect(&fx, TRUE);
	path = g_build_filename(fx.tmpdir, "backup.bin", NULL);
	g_signal_connect(progress, "changed", G_CALLBACK(cancel_soon_cb), cancellable);
	g_assert_false(fk_flash_backup(fx.device, 0, fk_device_get_flash_size(fx.device), path, progress, cancellable, &error));
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	g_clear_error(&error);
	dir = g_dir_open(fx.tmpdir, 0, NULL);
	g_assert_null(g_dir_read_name(dir)); /* no file, not even a partial one */
	g_assert_true(fk_flash_backup(fx.device, 0, 0x40000, path, NULL, NULL, &error));
	g_assert_no_error(error);
	fixture_close(&fx);
}

int
main(int argc, char **argv)
{
	static const struct {
		const gchar *chip;
		gsize size;
	} chips[] = {
	    {"esp8266", 1024 * 1024},
	    {"esp8266", 4 * 1024 * 1024},
	    {"esp8285", 0},
	    {"esp32", 4 * 1024 * 1024},
	    {"esp32s3", 4 * 1024 * 1024},
	    {"esp32c3", 4 * 1024 * 1024},
	};
	const gchar *ops[] = {"backup", "restore", "erase"};
	g_test_init(&argc, &argv, NULL);
	for (guint i = 0; i < G_N_ELEMENTS(chips); i++) {
		for (guint stub = 0; stub < 2; stub++) {
			for (guint op = 0; op < G_N_ELEMENTS(ops); op++) {
				Case *c = g_new0(Case, 1);
				g_autofree gchar *name = NULL;
				c->chip = chips[i].chip;
				c->size = chips[i].size;
				c->stub = stub == 1;
				c->op = (Op)op;
				name = g_strdup_printf("/fk/device-sim/%s-%" G_GSIZE_FORMAT "k/%s/%s", c->chip,
						       c->size / 1024, c->stub ? "stub" : "rom", ops[op]);
				g_test_add_data_func_full(name, c, test_case, g_free);
			}
		}
	}
	g_test_add_func("/fk/device-sim/identify", test_identify);
	g_test_add_func("/fk/device-sim/wrong-boot-mode", test_wrong_boot_mode);
	g_test_add_func("/fk/device-sim/cancel-backup", test_cancel_backup);
	return g_test_run();
}
