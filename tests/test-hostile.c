/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Hostile and mistaken input from the person: empty and oversized images, images for another
 * chip, and regions that are unaligned, empty, past the end of the flash or past 4 GB. Each
 * must end in an error a person can act on, with nothing sent to the chip that writes or
 * erases flash and no backup file left behind. Damaged flasher stubs are in
 * test-hostile-stub.c, a chip that answers nonsense in test-hostile-link.c. */
#include "config.h"

#include "fk-error.h"
#include "fk-flash.h"
#include "fk-hostile-fixture.h"
#include "fk-image.h"

/* no backup and no temporary file left behind */
static void
assert_dir_empty(const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const gchar *name = dir != NULL ? g_dir_read_name(dir) : NULL;
	if (name != NULL)
		g_error("%s was left behind", name);
}

/* ---- firmware images ---- */

/* a complete, checksummed ESP32-family image with one 16-byte segment */
static GByteArray *
make_image(guint16 chip_id)
{
	GByteArray *img = g_byte_array_new();
	guint8 hdr[24] = {0xE9, 0x01, 0x02, 0x20, 0x00, 0x00, 0x08, 0x40, 0xEE};
	guint8 seg[8] = {0x00, 0x00, 0xFB, 0x3F, 0x10, 0x00, 0x00, 0x00};
	guint8 zero[31] = {0};
	guint8 checksum = 0xEF;
	fk_memwrite_u16le(hdr + 12, chip_id);
	g_byte_array_append(img, hdr, sizeof(hdr));
	g_byte_array_append(img, seg, sizeof(seg));
	/* 16 data bytes, padding to 15 mod 16, then the checksum (0xEF over zeros) */
	g_byte_array_append(img, zero, sizeof(zero));
	g_byte_array_append(img, &checksum, 1);
	g_assert_cmpuint(img->len, ==, 64);
	return img;
}

static void
test_image_empty(void)
{
	Fixture fx = {0};
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) before = NULL;
	g_autoptr(GBytes) nothing = g_bytes_new_static("", 0);
	g_autofree gchar *path = NULL;
	FkRestoreOptions options = {NULL, NULL, NULL, FK_WRITE_FLAG_NONE};

	fixture_open(&fx, "esp32", 0);
	fixture_connect(&fx);
	before = fk_sim_device_get_flash(fx.sim);
	path = fixture_write_file(&fx, "empty.bin", NULL, 0);

	g_assert_null(fk_flash_load_image(path, &error));
	g_assert_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT);
	assert_message_has(error, "empty.bin is empty");
	g_clear_error(&error);

	g_assert_false(fk_flash_restore(fx.device, 0x10000, path, &options, NULL, NULL, &error));
	g_assert_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT);
	assert_message_has(error, "empty");
	g_clear_error(&error);

	g_assert_false(fk_device_write_flash(fx.device, 0x10000, nothing, FK_WRITE_FLAG_NONE, NULL, NULL, &error));
	g_assert_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT);
	assert_message_has(error, "empty");
	assert_untouched(&fx, before);
	fixture_close(&fx);
}

static void
test_image_too_large(void)
{
	Fixture fx = {0};
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) before = NULL;
	g_autofree guint8 *big = g_malloc0(2 * 1024 * 1024);
	g_autofree gchar *path = NULL;
	FkRestoreOptions options = {NULL, NULL, NULL, FK_WRITE_FLAG_NONE};

	fixture_open(&fx, "esp8266", 1024 * 1024);
	fixture_connect(&fx);
	before = fk_sim_device_get_flash(fx.sim);
	path = fixture_write_file(&fx, "big.bin", big, 2 * 1024 * 1024);

	/* twice the flash */
	g_assert_false(fk_flash_restore(fx.device, 0, path, &options, NULL, NULL, &error));
	g_assert_error(error, FK_ERROR, FK_ERROR_SIZE_MISMATCH);
	assert_message_has(error, "does not fit in the 1 MB flash");
	g_clear_error(&error);

	/* or small, but starting too close to the end */
	{
		g_autoptr(GBytes) tail = g_bytes_new(big, 0x20000);
		g_assert_false(fk_device_write_flash(fx.device, 0xF0000, tail, FK_WRITE_FLAG_NONE, NULL, NULL, &error));
		g_assert_error(error, FK_ERROR, FK_ERROR_SIZE_MISMATCH);
		assert_message_has(error, "does not fit");
	}
	assert_untouched(&fx, before);
	fixture_close(&fx);
}

static void
test_image_other_chip(void)
{
	const FkChipInfo *esp8266 = fk_chip_by_family(FK_CHIP_ESP8266);
	const FkChipInfo *esp32 = fk_chip_by_family(FK_CHIP_ESP32);
	const FkChipInfo *esp32s3 = fk_chip_by_family(FK_CHIP_ESP32S3);
	g_autoptr(GByteArray) img32 = make_image(0);
	g_autoptr(GByteArray) img_c3 = make_image(5);
	g_autoptr(GByteArray) backup = g_byte_array_new();
	g_autoptr(GError) error = NULL;
	gboolean is_image = FALSE;
	guint8 ff[0x1000];

	/* the right chip */
	g_assert_true(fk_image_check_chip(img32->data, img32->len, "app.bin", esp32, &is_image, &error));
	g_assert_no_error(error);
	g_assert_true(is_image);

	/* an ESP32 image on an ESP8266 (which esptool does not even check) */
	g_assert_false(fk_image_check_chip(img32->data, img32->len, "app.bin", esp8266, &is_image, &error));
	g_assert_error(error, FK_ERROR, FK_ERROR_UNSUPPORTED_CHIP);
	assert_message_has(error, "app.bin is an image for the ESP32");
	assert_message_has(error, "the chip is an ESP8266");
	g_clear_error(&error);

	/* an ESP32-C3 image on an ESP32 */
	g_assert_false(fk_image_check_chip(img_c3->data, img_c3->len, "c3.bin", esp32, NULL, &error));
	g_assert_error(error, FK_ERROR, FK_ERROR_UNSUPPORTED_CHIP);
	assert_message_has(error, "ESP32-C3");
	g_clear_error(&error);

	/* a full ESP32 backup (bootloader at 0x1000) on an ESP32-S3 */
	memset(ff, 0xFF, sizeof(ff));
	g_byte_array_append(backup, ff, sizeof(ff));
	g_byte_array_append(backup, img32->data, img32->len);
	g_assert_false(fk_image_check_chip(backup->data, backup->len, "full.bin", esp32s3, NULL, &error));
	g_assert_error(error, FK_ERROR, FK_ERROR_UNSUPPORTED_CHIP);
	assert_message_has(error, "0x1000");
	g_clear_error(&error);

	/* not firmware at all: allowed, but the caller learns it is not an image */
	g_assert_true(fk_image_check_chip(ff, sizeof(ff), "blank.bin", esp32, &is_image, &error));
	g_assert_no_error(error);
	g_assert_false(is_image);

	/* 0xE9 and then nonsense is not proof of an ESP8266 image: allowed, not an image */
	{
		guint8 junk[64];
		for (guint i = 0; i < sizeof(junk); i++)
			junk[i] = (guint8)(i * 37 + 11);
		junk[0] = 0xE9;
		junk[1] = 3;
		junk[23] = 0x80;
		g_assert_true(fk_image_check_chip(junk, sizeof(junk), "junk.bin", esp32, &is_image, &error));
		g_assert_no_error(error);
		g_assert_false(is_image);
	}

	/* a truncated ESP32 image is no longer certain either */
	g_assert_true(fk_image_check_chip(img32->data, 40, "cut.bin", esp8266, &is_image, &error));
	g_assert_no_error(error);
	g_assert_false(is_image);
}

/* ---- regions ---- */

static void
test_range_read(void)
{
	Fixture fx = {0};
	g_autoptr(GBytes) before = NULL;
	const struct {
		guint32 offset;
		gsize size;
		gint code;
		const gchar *says;
	} bad[] = {
	    {0x3FF000, 0x2000, FK_ERROR_SIZE_MISMATCH, "does not fit in the 4 MB flash"},
	    {0x400000, 0x1000, FK_ERROR_SIZE_MISMATCH, "does not fit"},
	    {0xFFFFFFFF, 0x1000, FK_ERROR_SIZE_MISMATCH, "does not fit"},
	    {0x1000, 0, FK_ERROR_INVALID_ARGUMENT, "size 0"},
	};

	fixture_open(&fx, "esp32", 4 * 1024 * 1024);
	fixture_connect(&fx);
	before = fk_sim_device_get_flash(fx.sim);
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable();
		g_autofree gchar *path = g_build_filename(fx.tmpdir, "backup.bin", NULL);
		g_assert_false(fk_device_read_flash(fx.device, bad[i].offset, bad[i].size, out, NULL, NULL, NULL, &error));
		g_assert_error(error, FK_ERROR, bad[i].code);
		assert_message_has(error, bad[i].says);
		g_assert_cmpuint(g_memory_output_stream_get_data_size(G_MEMORY_OUTPUT_STREAM(out)), ==, 0);
		g_clear_error(&error);
		/* and through the backup file: no file left behind */
		g_assert_false(fk_flash_backup(fx.device, bad[i].offset, bad[i].size, path, NULL, NULL, &error));
		g_assert_error(error, FK_ERROR, bad[i].code);
		g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
		assert_dir_empty(fx.tmpdir);
	}
	/* nothing was read either: no READ_FLASH went out */
	for (guint i = 0; i < fx.ops->len; i++)
		g_assert_cmpuint(g_array_index(fx.ops, guint8, i), !=, FK_OP_READ_FLASH);
	assert_untouched(&fx, before);
	fixture_close(&fx);
}

static void
test_range_erase(void)
{
	Fixture fx = {0};
	g_autoptr(GBytes) before = NULL;
	const struct {
		guint32 offset;
		gsize size;
		gint code;
		const gchar *says;
	} bad[] = {
	    {0x1001, 0x1000, FK_ERROR_INVALID_ARGUMENT, "4 KB"},
	    {0x1000, 0x1001, FK_ERROR_INVALID_ARGUMENT, "4 KB"},
	    {0x1000, 0, FK_ERROR_INVALID_ARGUMENT, "size 0"},
	    {0xFF000, 0x2000, FK_ERROR_SIZE_MISMATCH, "does not fit in the 1 MB flash"},
	    {0x100000, 0x1000, FK_ERROR_SIZE_MISMATCH, "does not fit"},
	    {0xFFFFF000, 0x2000, FK_ERROR_SIZE_MISMATCH, "does not fit"},
	};

	fixture_open(&fx, "esp8266", 1024 * 1024);
	fixture_connect(&fx);
	before = fk_sim_device_get_flash(fx.sim);
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		g_assert_false(fk_device_erase_region(fx.device, bad[i].offset, bad[i].size, NULL, NULL, &error));
		g_assert_error(error, FK_ERROR, bad[i].code);
		assert_message_has(error, bad[i].says);
	}
	assert_untouched(&fx, before);
	fixture_close(&fx);
}

static void
test_range_write(void)
{
	Fixture fx = {0};
	g_autoptr(GBytes) before = NULL;
	guint8 buf[0x2000];
	const struct {
		guint32 offset;
		gsize size;
	} bad[] = {
	    {0x3FF000, 0x2000},
	    {0x400000, 4},
	    {0xFFFFFFFC, 8},
	    {0xFFFFFFFF, 1},
	};

	memset(buf, 0xA5, sizeof(buf));
	fixture_open(&fx, "esp32", 4 * 1024 * 1024);
	fixture_connect(&fx);
	before = fk_sim_device_get_flash(fx.sim);
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GBytes) data = g_bytes_new(buf, bad[i].size);
		g_assert_false(fk_device_write_flash(fx.device, bad[i].offset, data, FK_WRITE_FLAG_NONE, NULL, NULL, &error));
		g_assert_error(error, FK_ERROR, FK_ERROR_SIZE_MISMATCH);
		assert_message_has(error, "does not fit in the 4 MB flash");
	}
	/* the stub writes whole words */
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(GBytes) data = g_bytes_new(buf, 0x100);
		g_assert_true(fk_device_is_stub_running(fx.device));
		g_assert_false(fk_device_write_flash(fx.device, 0x10002, data, FK_WRITE_FLAG_NONE, NULL, NULL, &error));
		g_assert_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT);
		assert_message_has(error, "not a multiple of 4");
	}
	assert_untouched(&fx, before);
	fixture_close(&fx);
}

/* sizes near 2^64 must not wrap round the range check. The operation is given a cancellable
 * that is already cancelled: validation comes first, so a working check reports the size, and
 * one that let the region through reaches the first cancellation point instead of the chip. */
static void
test_range_wrap(void)
{
	Fixture fx = {0};
	g_autoptr(GBytes) before = NULL;
	g_autoptr(GCancellable) cancelled = g_cancellable_new();
	g_autoptr(GError) error_read = NULL;
	g_autoptr(GError) error_erase = NULL;
	g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable();

	g_cancellable_cancel(cancelled);
	fixture_open(&fx, "esp32", 4 * 1024 * 1024);
	fixture_connect(&fx);
	before = fk_sim_device_get_flash(fx.sim);
	/* 0x1000 + (2^64 - 0x1000) is 0 in 64 bits */
	g_assert_false(fk_device_read_flash(fx.device, 0x1000, G_MAXSIZE - 0xFFF, out, NULL, NULL, cancelled, &error_read));
	g_assert_false(fk_device_erase_region(fx.device, 0x1000, G_MAXSIZE - 0xFFF, NULL, cancelled, &error_erase));
	assert_untouched(&fx, before);
	fixture_close(&fx);
	g_test_message("read: %s", error_read->message);
	g_test_message("erase: %s", error_erase->message);
	g_assert_error(error_read, FK_ERROR, FK_ERROR_SIZE_MISMATCH);
	g_assert_error(error_erase, FK_ERROR, FK_ERROR_SIZE_MISMATCH);
}

static void
test_parse_size(void)
{
	const struct {
		const gchar *text;
		gsize want;
	} cases[] = {
	    {"4MB", 4 * 1024 * 1024},
	    {"0x1000", 0x1000},
	    {"4096", 4096},
	    {"64k", 64 * 1024},
	    /* 2^44 + 1 MB wraps round to 1 MB in 64 bits */
	    {"17592186044417MB", 0},
	    {"18014398509481985KB", 0},
	    {"18446744073709551616", 0},
	    {"99999999999999999999999", 0},
	    {"0x10000000000000000", 0},
	    {"-1", 0},
	    {"-1MB", 0},
	    {" 12", 0},
	    {"0x", 0},
	    {"0x-1", 0},
	    {"", 0},
	    {"MB", 0},
	    {"12 MB", 0},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_test_message("“%s”", cases[i].text);
		g_assert_cmpuint(fk_parse_size(cases[i].text), ==, cases[i].want);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/fk/hostile/image/empty", test_image_empty);
	g_test_add_func("/fk/hostile/image/too-large", test_image_too_large);
	g_test_add_func("/fk/hostile/image/other-chip", test_image_other_chip);
	g_test_add_func("/fk/hostile/range/read", test_range_read);
	g_test_add_func("/fk/hostile/range/erase", test_range_erase);
	g_test_add_func("/fk/hostile/range/write", test_range_write);
	g_test_add_func("/fk/hostile/range/wrap", test_range_wrap);
	g_test_add_func("/fk/hostile/range/parse-size", test_parse_size);
	return g_test_run();
}
