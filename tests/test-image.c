/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "fk-error.h"
#include "fk-image.h"
#include "fk-mem.h"
#include "fk-progress.h"
#include "fk-stub.h"

/* an ESP32 bootloader image: extended header, two segments, checksum, appended SHA-256 */
static GByteArray *
make_esp32_image(gboolean with_hash)
{
	GByteArray *img = g_byte_array_new();
	guint8 hdr[24] = {0xE9, 2, 0x02 /* dio */, 0x20 /* 4MB, 40m */};
	guint8 sum = 0xEF;
	fk_memwrite_u32le(hdr + 4, 0x40080400);
	hdr[8] = 0xEE;
	fk_memwrite_u16le(hdr + 12, 0); /* ESP32 */
	fk_memwrite_u16le(hdr + 17, 0xFFFF);
	hdr[23] = with_hash ? 1 : 0;
	g_byte_array_append(img, hdr, sizeof(hdr));
	for (guint s = 0; s < 2; s++) {
		guint8 seg[8];
		guint len = 20 + s * 12;
		fk_memwrite_u32le(seg, 0x3FFF0000 + s * 0x1000);
		fk_memwrite_u32le(seg + 4, len);
		g_byte_array_append(img, seg, 8);
		for (guint i = 0; i < len; i++) {
			guint8 b = (guint8)(i * 7 + s);
			sum ^= b;
			g_byte_array_append(img, &b, 1);
		}
	}
	while (img->len % 16 != 15)
		g_byte_array_append(img, (const guint8 *)"\0", 1);
	g_byte_array_append(img, &sum, 1);
	if (with_hash) {
		g_autoptr(GChecksum) sha = g_checksum_new(G_CHECKSUM_SHA256);
		guint8 digest[32];
		gsize dlen = 32;
		g_checksum_update(sha, img->data, img->len);
		g_checksum_get_digest(sha, digest, &dlen);
		g_byte_array_append(img, digest, 32);
	}
	return img;
}

static void
test_image_parse(void)
{
	g_autoptr(GByteArray) img = make_esp32_image(TRUE);
	FkImageHeader hdr;
	g_assert_true(fk_image_parse(img->data, img->len, &hdr));
	g_assert_true(hdr.extended);
	g_assert_cmpint(hdr.chip_id, ==, 0);
	g_assert_true(hdr.hash_appended);
	g_assert_true(hdr.checksum_ok);
	g_assert_cmpuint(hdr.data_length, ==, img->len - 32);
	g_assert_cmpuint(hdr.flash_mode, ==, FK_FLASH_MODE_DIO);
	g_assert_cmpuint(hdr.size_code, ==, 2);
	/* corrupt a data byte: still an image, but the checksum no longer matches */
	img->data[40] ^= 0x01;
	g_assert_true(fk_image_parse(img->data, img->len, &hdr));
	g_assert_false(hdr.checksum_ok);
	/* not an image */
	g_assert_false(fk_image_parse((const guint8 *)"\xff\xff\xff\xff\xff\xff\xff\xff", 8, &hdr));
}

static void
test_image_patch(void)
{
	const FkChipInfo *esp32 = fk_chip_by_name("esp32");
	g_autoptr(GByteArray) img = make_esp32_image(TRUE);
	g_autoptr(GByteArray) orig = make_esp32_image(TRUE);
	g_autoptr(GError) error = NULL;
	g_autoptr(GChecksum) sha = g_checksum_new(G_CHECKSUM_SHA256);
	FkImageHeader hdr;
	guint8 digest[32];
	gsize dlen = 32;
	gboolean changed = TRUE;

	/* keep: nothing changes */
	g_assert_true(fk_image_update_flash_params(img, 0x1000, esp32, "keep", NULL, "keep", 0, &changed, &error));
	g_assert_false(changed);
	g_assert_cmpmem(img->data, img->len, orig->data, orig->len);
	/* another address than the bootloader's: nothing changes */
	g_assert_true(fk_image_update_flash_params(img, 0x0, esp32, "dout", NULL, NULL, 0, &changed, &error));
	g_assert_false(changed);
	/* at 0x1000: dout, 80m, 8MB, SHA-256 recomputed */
	g_assert_true(fk_image_update_flash_params(img, 0x1000, esp32, "dout", "80m", "8MB", 0, &changed, &error));
	g_assert_no_error(error);
	g_assert_true(changed);
	g_assert_cmphex(img->data[2], ==, FK_FLASH_MODE_DOUT);
	g_assert_cmphex(img->data[3], ==, 0x3F);
	g_assert_true(fk_image_parse(img->data, img->len, &hdr));
	g_checksum_update(sha, img->data, hdr.data_length);
	g_checksum_get_digest(sha, digest, &dlen);
	g_assert_cmpmem(img->data + hdr.data_length, 32, digest, 32);
	g_assert_cmpmem(img->data + 4, img->len - 36, orig->data + 4, orig->len - 36);
	/* detect uses the detected size */
	g_assert_true(fk_image_update_flash_params(img, 0x1000, esp32, NULL, NULL, "detect", 16 * 1024 * 1024, &changed, &error));
	g_assert_cmphex(img->data[3] >> 4, ==, 4);
	/* nonsense is refused */
	g_assert_false(fk_image_update_flash_params(img, 0x1000, esp32, "fast", NULL, NULL, 0, &changed, &error));
	g_assert_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT);
}

static void
test_image_patch_esp8266(void)
{
	const FkChipInfo *esp8266 = fk_chip_by_name("esp8266");
	/* a one-segment ESP8266 image at 0x0 */
	guint8 img8266[32] = {0xE9, 1, 0x00, 0x00};
	g_autoptr(GByteArray) img = g_byte_array_new();
	g_autoptr(GError) error = NULL;
	gboolean changed = FALSE;
	fk_memwrite_u32le(img8266 + 8, 0x40100000);
	fk_memwrite_u32le(img8266 + 12, 4);
	img8266[31] = 0xEF;
	g_byte_array_append(img, img8266, sizeof(img8266));
	g_assert_true(fk_image_update_flash_params(img, 0x0, esp8266, "dout", NULL, "1MB", 0, &changed, &error));
	g_assert_no_error(error);
	g_assert_true(changed);
	g_assert_cmphex(img->data[2], ==, FK_FLASH_MODE_DOUT);
	g_assert_cmphex(img->data[3], ==, 0x20);
}

static void
test_image_inspect(void)
{
	g_autoptr(GByteArray) img = make_esp32_image(FALSE);
	g_autoptr(GByteArray) dump = g_byte_array_new();
	guint8 ff[0x1000];
	guint8 esp8266[32] = {0xE9, 1, 0x02, 0x20};
	FkImageInfo info;

	/* a full ESP32 backup: erased first sector, bootloader at 0x1000 */
	memset(ff, 0xFF, sizeof(ff));
	g_byte_array_append(dump, ff, sizeof(ff));
	g_byte_array_append(dump, img->data, img->len);
	fk_image_inspect(dump->data, dump->len, &info);
	g_assert_true(info.found);
	g_assert_cmphex(info.offset, ==, 0x1000);
	g_assert_cmpint(info.chip->family, ==, FK_CHIP_ESP32);
	g_assert_cmpuint(info.flash_size, ==, 4 * 1024 * 1024);

	/* an ESP8266 image at 0: no extended header */
	fk_memwrite_u32le(esp8266 + 8, 0x40100000);
	fk_memwrite_u32le(esp8266 + 12, 4);
	esp8266[31] = 0xEF;
	fk_image_inspect(esp8266, sizeof(esp8266), &info);
	g_assert_true(info.found);
	g_assert_cmpint(info.chip->family, ==, FK_CHIP_ESP8266);
	g_assert_cmpuint(info.flash_size, ==, 1024 * 1024);

	/* not a firmware image */
	fk_image_inspect(ff, sizeof(ff), &info);
	g_assert_false(info.found);
}

static void
test_stub_load(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FkStub) stub = NULL;
	/* "AAAAAAAA" is 6 zero bytes */
	stub = fk_stub_load_data("{\"entry\": 1074790402, \"text\": \"AAAAAAAA\", \"text_start\": 1074790400,"
				 " \"data\": \"AAAA\", \"data_start\": 1073741824}",
				 -1, "test", &error);
	g_assert_no_error(error);
	g_assert_nonnull(stub);
	g_assert_cmpuint(g_bytes_get_size(stub->text), ==, 6);
	g_assert_cmpuint(g_bytes_get_size(stub->data), ==, 3);
	g_assert_cmphex(stub->entry, ==, 0x40100002);
}

static void
test_stub_malformed(void)
{
	const gchar *bad[] = {
	    "{not json",
	    "[1, 2]",
	    "{\"entry\": 1, \"text_start\": 0}",					 /* no text */
	    "{\"entry\": 100, \"text\": \"AAAA\", \"text_start\": 0}",		 /* entry outside */
	    "{\"entry\": \"x\", \"text\": \"AAAA\", \"text_start\": 0}",		 /* entry not a number */
	    "{\"entry\": 0, \"text\": \"\", \"text_start\": 0}",			 /* empty text */
	    "{\"entry\": 0, \"text\": \"AAAA\", \"text_start\": 0, \"data\": \"AAAA\"}", /* no data_start */
	    "{\"entry\": 4294967295, \"text\": \"AAAA\", \"text_start\": 4294967294}", /* wraps */
	    "{\"entry\": -1, \"text\": \"AAAA\", \"text_start\": 0}",
	};
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(FkStub) stub = fk_stub_load_data(bad[i], -1, "test", &error);
		g_assert_null(stub);
		g_assert_error(error, FK_ERROR, FK_ERROR_STUB_INVALID);
	}
}

static void
test_stub_missing_file(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FkStub) stub = fk_stub_load_file("/nonexistent/esp32.json", &error);
	g_assert_null(stub);
	g_assert_error(error, FK_ERROR, FK_ERROR_STUB_MISSING);
}

static guint changed_count = 0;
static gdouble last_fraction = 0.0;

static void
progress_changed_cb(FkProgress *progress, gpointer user_data)
{
	gdouble f = fk_progress_get_fraction(progress);
	g_assert_cmpfloat(f, >=, last_fraction);
	last_fraction = f;
	changed_count++;
}

static void
test_progress(void)
{
	g_autoptr(FkProgress) progress = fk_progress_new();
	FkProgress *child;
	g_signal_connect(progress, "changed", G_CALLBACK(progress_changed_cb), NULL);
	fk_progress_add_step(progress, 10, "Erasing");
	fk_progress_add_step(progress, 80, "Writing");
	fk_progress_add_step(progress, 10, "Verifying");
	g_assert_cmpstr(fk_progress_get_status(progress), ==, "Erasing");
	fk_progress_step_done(progress);
	g_assert_cmpfloat_with_epsilon(fk_progress_get_fraction(progress), 0.1, 1e-9);
	g_assert_cmpstr(fk_progress_get_status(progress), ==, "Writing");
	child = fk_progress_get_child(progress);
	fk_progress_set_done(child, 50, 100);
	g_assert_cmpfloat_with_epsilon(fk_progress_get_fraction(progress), 0.5, 1e-9);
	g_assert_cmpuint(fk_progress_get_bytes_done(progress), ==, 50);
	/* a retried block does not move the bar backwards */
	fk_progress_set_done(child, 40, 100);
	g_assert_cmpfloat_with_epsilon(fk_progress_get_fraction(progress), 0.5, 1e-9);
	fk_progress_set_done(child, 100, 100);
	fk_progress_step_done(progress);
	g_assert_cmpfloat_with_epsilon(fk_progress_get_fraction(progress), 0.9, 1e-9);
	fk_progress_finish(progress);
	g_assert_cmpfloat(fk_progress_get_fraction(progress), ==, 1.0);
	g_assert_cmpuint(changed_count, >, 4);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/fk/image/parse", test_image_parse);
	g_test_add_func("/fk/image/patch", test_image_patch);
	g_test_add_func("/fk/image/patch-esp8266", test_image_patch_esp8266);
	g_test_add_func("/fk/image/inspect", test_image_inspect);
	g_test_add_func("/fk/stub/load", test_stub_load);
	g_test_add_func("/fk/stub/malformed", test_stub_malformed);
	g_test_add_func("/fk/stub/missing-file", test_stub_missing_file);
	g_test_add_func("/fk/progress/weighted", test_progress);
	return g_test_run();
}
