/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Hostile and mistaken input: empty and oversized images, images for another chip, regions
 * that are unaligned, empty, past the end of the flash or past 4 GB, damaged flasher stubs and
 * stubs for another chip, and a chip that answers with noise or at the wrong baud rate. Each
 * must end in an error a person can act on, in bounded time, with nothing sent to the chip
 * that writes or erases flash. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fk-device.h"
#include "fk-error.h"
#include "fk-flash.h"
#include "fk-image.h"
#include "fk-mem.h"
#include "fk-protocol.h"
#include "fk-sim-device.h"
#include "fk-sim-transport.h"
#include "fk-test-util.h"
#include "fk-stub.h"

/* a connect that gets no reply gives up after a fixed number of tries, however long each took on
 * a loaded machine: seven resets (fk-reset.c), each followed by up to five SYNC frames
 * (fk-loader.c); the tries are counted, not timed */
#define CONNECT_RESETS 7
#define CONNECT_SYNCS  (CONNECT_RESETS * 5)

/* ---- a simulated chip, with every command the host sends recorded ---- */

typedef struct {
	FkSimDevice *sim;
	FkTransport *transport;
	FkDevice *device;
	GArray *ops; /* guint8: the opcode of every command frame sent */
	gchar *tmpdir;
} Fixture;

/* the wire trace has one SLIP frame per write: unescape it and keep its opcode if it is a
 * command (direction 0, and the length field matches); stub READ_FLASH acks are not */
static void
fixture_trace_cb(gchar dir, const guint8 *data, gsize len, gpointer user_data)
{
	Fixture *fx = user_data;
	g_autoptr(GByteArray) frame = g_byte_array_new();

	if (dir != '>' || len < 2 || data[0] != 0xC0 || data[len - 1] != 0xC0)
		return;
	for (gsize i = 1; i + 1 < len; i++) {
		guint8 b = data[i];
		if (b == 0xDB && i + 2 < len) {
			b = data[++i] == 0xDC ? 0xC0 : 0xDB;
		}
		g_byte_array_append(frame, &b, 1);
	}
	if (frame->len >= 8 && frame->data[0] == 0x00 &&
	    frame->len == 8u + fk_memread_u16le(frame->data + 2))
		g_array_append_val(fx->ops, frame->data[1]);
}

static void
fixture_open(Fixture *fx, const gchar *chip, gsize size)
{
	g_autoptr(GError) error = NULL;
	fx->sim = fk_sim_device_new(chip, size, 7, &error);
	g_assert_no_error(error);
	fx->transport = fk_sim_transport_new(fx->sim);
	fx->ops = g_array_new(FALSE, FALSE, 1);
	fk_transport_set_trace_func(fx->transport, fixture_trace_cb, fx);
	fx->device = fk_device_new(fx->transport);
	fx->tmpdir = g_dir_make_tmp("flashkeep-hostile-XXXXXX", &error);
	g_assert_no_error(error);
}

static void
fixture_connect(Fixture *fx)
{
	g_autoptr(GError) error = NULL;
	g_assert_true(fk_device_connect(fx->device, NULL, &error));
	g_assert_no_error(error);
	g_assert_true(fk_device_is_stub_running(fx->device));
	g_array_set_size(fx->ops, 0);
}

static void
fixture_close(Fixture *fx)
{
	fk_test_rm_rf(fx->tmpdir);
	g_free(fx->tmpdir);
	g_clear_object(&fx->device);
	fk_transport_close(fx->transport);
	g_clear_object(&fx->transport);
	g_clear_object(&fx->sim);
	g_array_unref(fx->ops);
}

static gchar *
fixture_write_file(Fixture *fx, const gchar *name, const guint8 *data, gsize len)
{
	g_autoptr(GError) error = NULL;
	gchar *path = g_build_filename(fx->tmpdir, name, NULL);
	g_assert_true(g_file_set_contents(path, (const gchar *)data, (gssize)len, &error));
	g_assert_no_error(error);
	return path;
}

static gboolean
is_flash_changing_op(guint8 op)
{
	switch (op) {
	case FK_OP_FLASH_BEGIN:
	case FK_OP_FLASH_DATA:
	case FK_OP_FLASH_END:
	case FK_OP_FLASH_DEFL_BEGIN:
	case FK_OP_FLASH_DEFL_DATA:
	case FK_OP_FLASH_DEFL_END:
	case FK_OP_ERASE_FLASH:
	case FK_OP_ERASE_REGION:
		return TRUE;
	default:
		return FALSE;
	}
}

/* nothing that writes or erases flash went out, and the flash is as it was */
static void
assert_untouched(Fixture *fx, GBytes *before)
{
	g_autoptr(GBytes) after = fk_sim_device_get_flash(fx->sim);
	for (guint i = 0; i < fx->ops->len; i++) {
		guint8 op = g_array_index(fx->ops, guint8, i);
		if (is_flash_changing_op(op))
			g_error("%s (0x%02x) was sent before the input was refused", fk_opcode_to_string(op), op);
	}
	g_assert_true(g_bytes_equal(before, after));
}

/* error messages must name what was wrong, so a person can fix it */
static void
assert_message_has(const GError *error, const gchar *want)
{
	g_assert_nonnull(error);
	g_test_message("%s", error->message);
	if (strstr(error->message, want) == NULL)
		g_error("“%s” does not mention “%s”", error->message, want);
}

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

/* ---- flasher stubs ---- */

static void
test_stub_malformed(void)
{
	g_autofree gchar *huge = NULL;
	g_autofree gchar *huge_json = NULL;
	const struct {
		const gchar *json;
		const gchar *says;
	} bad[] = {
	    /* base64 that g_base64_decode() would quietly turn into something */
	    {"{\"entry\": 0, \"text\": \"not base64!\", \"text_start\": 0}", "not base64"},
	    {"{\"entry\": 0, \"text\": \"AAA\", \"text_start\": 0}", "cut short"},
	    {"{\"entry\": 0, \"text\": \"A===\", \"text_start\": 0}", "cut short"},
	    {"{\"entry\": 0, \"text\": \"AA=A\", \"text_start\": 0}", "not base64"},
	    {"{\"entry\": 0, \"text\": \"AAAA\\u00e9AAA\", \"text_start\": 0}", "not base64"},
	    {"{\"entry\": 0, \"text\": \"   \", \"text_start\": 0}", "empty"},
	    {"{\"entry\": 0, \"text\": \"AAAA\", \"text_start\": 0, \"data\": \"AA-_\", \"data_start\": 64}",
	     "“data” segment that is not base64"},
	    /* missing or mistyped fields */
	    {"{\"text\": \"AAAA\", \"text_start\": 0}", "“entry”"},
	    {"{\"entry\": 0, \"text\": \"AAAA\"}", "“text_start”"},
	    {"{\"entry\": 0, \"text\": 5, \"text_start\": 0}", "no “text” segment"},
	    {"{\"entry\": 0, \"text\": \"AAAA\", \"text_start\": \"0x40080000\"}", "“text_start”"},
	    {"{\"entry\": 0, \"text\": \"AAAA\", \"text_start\": 1.5}", "“text_start”"},
	    {"{\"entry\": 0, \"text\": \"AAAA\", \"text_start\": 0, \"data\": \"AAAA\", \"data_start\": null}",
	     "“data_start”"},
	    {"{\"entry\": 0, \"text\": \"AAAA\", \"text_start\": 4294967296}", "out-of-range"},
	    /* addresses and sizes that do not fit together */
	    {"{\"entry\": 2, \"text\": \"AAAA\", \"text_start\": 2}", "not a multiple of 4"},
	    {"{\"entry\": 0, \"text\": \"AAAA\", \"text_start\": 0, \"data\": \"AAAA\", \"data_start\": 6}",
	     "not a multiple of 4"},
	    {"{\"entry\": 3, \"text\": \"AAAA\", \"text_start\": 0}", "outside its code"},
	    {"{\"entry\": 0, \"text\": \"AAAAAAAA\", \"text_start\": 0, \"data\": \"AAAA\", \"data_start\": 4}",
	     "overlapping"},
	    {"{\"entry\": 8, \"text\": \"AAAA\", \"text_start\": 8, \"data\": \"AAAAAAAAAAAA\", \"data_start\": 0}",
	     "overlapping"},
	    {"{\"entry\": 0, \"text\": \"AAAA\", \"text_start\": 0, \"data\": \"AAAAAAAA\", \"data_start\": 4294967292}",
	     "beyond the address space"},
	    {"", "not a JSON object"},
	    {"{\"entry\": 0, \"text\": \"AAAA\", \"text_start\": 0", "not valid JSON"},
	    {"null", "not a JSON object"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(FkStub) stub = fk_stub_load_data(bad[i].json, -1, "/stubs/esp32.json", &error);
		g_test_message("%s", bad[i].json);
		g_assert_null(stub);
		g_assert_error(error, FK_ERROR, FK_ERROR_STUB_INVALID);
		assert_message_has(error, "/stubs/esp32.json");
		assert_message_has(error, bad[i].says);
	}

	/* a segment of 3 MB: refused by its length, before decoding it */
	huge = g_strnfill(4 * 1024 * 1024, 'A');
	huge_json = g_strdup_printf("{\"entry\": 0, \"text\": \"%s\", \"text_start\": 0}", huge);
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(FkStub) stub = fk_stub_load_data(huge_json, -1, "huge.json", &error);
		g_assert_null(stub);
		g_assert_error(error, FK_ERROR, FK_ERROR_STUB_INVALID);
		assert_message_has(error, "far more than a stub needs");
	}
	/* and a file of that size is not even read */
	{
		g_autoptr(GError) error = NULL;
		g_autofree gchar *dir = g_dir_make_tmp("flashkeep-hostile-XXXXXX", &error);
		g_autofree gchar *path = g_build_filename(dir, "esp32.json", NULL);
		g_autoptr(FkStub) stub = NULL;
		g_assert_true(g_file_set_contents(path, huge_json, -1, &error));
		stub = fk_stub_load_file(path, &error);
		g_assert_null(stub);
		g_assert_error(error, FK_ERROR, FK_ERROR_STUB_INVALID);
		assert_message_has(error, path);
		g_unlink(path);
		g_rmdir(dir);
	}
}

/* a stub file nested 100,000 levels deep is refused before the JSON parser recurses into it (it
 * used to overflow the stack), and a FIFO given as a stub is refused without waiting for it */
static void
test_stub_nested_and_fifo(void)
{
	g_autoptr(GString) deep = g_string_new("{\"entry\": 0, \"text\": ");
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) error_fifo = NULL;
	g_autoptr(FkStub) stub = NULL;
	g_autoptr(FkStub) stub_fifo = NULL;
	g_autofree gchar *dir = NULL;
	g_autofree gchar *fifo = NULL;

	for (guint i = 0; i < 100000; i++)
		g_string_append_c(deep, '[');
	stub = fk_stub_load_data(deep->str, (gssize)deep->len, "deep.json", &error);
	g_assert_null(stub);
	g_assert_error(error, FK_ERROR, FK_ERROR_STUB_INVALID);
	assert_message_has(error, "nested");

	dir = g_dir_make_tmp("flashkeep-hostile-XXXXXX", NULL);
	fifo = g_build_filename(dir, "esp32.json", NULL);
	g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
	stub_fifo = fk_stub_load_file(fifo, &error_fifo);
	g_assert_null(stub_fifo);
	g_assert_error(error_fifo, FK_ERROR, FK_ERROR_STUB_INVALID);
	assert_message_has(error_fifo, "not a regular file");
	g_unlink(fifo);
	g_rmdir(dir);
}

/* every chip's RAM ranges accept Espressif's own stub for it, and no other chip's */
static void
test_stub_ram_ranges(void)
{
	const gchar *dir = g_getenv("FLASHKEEP_STUB_PATH");
	const FkChipInfo *chips;
	guint n_chips = 0;
	guint n_checked = 0;

	if (dir == NULL || !g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		g_test_skip("Espressif's stubs are not installed (tests/node: npm ci)");
		return;
	}
	chips = fk_chip_list(&n_chips);
	for (guint i = 0; i < n_chips; i++) {
		g_autofree gchar *name = NULL;
		g_autofree gchar *path = NULL;
		g_autoptr(FkStub) stub = NULL;
		g_autoptr(GError) error = NULL;

		g_assert_cmphex(chips[i].iram_start, <, chips[i].iram_end);
		g_assert_cmphex(chips[i].dram_start, <, chips[i].dram_end);
		if (chips[i].stub_name == NULL)
			continue;
		name = g_strdup_printf("%s.json", chips[i].stub_name);
		path = g_build_filename(dir, name, NULL);
		if (!g_file_test(path, G_FILE_TEST_IS_REGULAR))
			continue;
		stub = fk_stub_load_file(path, &error);
		g_assert_no_error(error);
		g_assert_true(fk_stub_check_chip(stub, &chips[i], &error));
		g_assert_no_error(error);
		g_clear_pointer(&stub, fk_stub_free);
		/* and the search finds and checks the same file */
		stub = fk_stub_find(&chips[i], &error);
		g_assert_no_error(error);
		g_assert_cmpstr(stub->path, ==, path);
		n_checked++;

		/* the ESP8266's stub fits no ESP32, and no ESP32's stub fits the ESP8266 */
		if (chips[i].family != FK_CHIP_ESP8266) {
			const FkChipInfo *esp8266 = fk_chip_by_family(FK_CHIP_ESP8266);
			g_assert_false(fk_stub_check_chip(stub, esp8266, &error));
			g_assert_error(error, FK_ERROR, FK_ERROR_STUB_INVALID);
			assert_message_has(error, path);
			assert_message_has(error, "not for the ESP8266");
		}
	}
	g_assert_cmpuint(n_checked, >=, 10);

	/* code in the right place, data not */
	{
		g_autoptr(GError) error = NULL;
		const FkChipInfo *esp32 = fk_chip_by_family(FK_CHIP_ESP32);
		/* text at 0x400A8000, data at 0x50000000 (RTC slow memory, not DRAM) */
		g_autoptr(FkStub) stub = fk_stub_load_data("{\"entry\": 1074429952, \"text\": \"AAAA\", "
							   "\"text_start\": 1074429952, \"data\": \"AAAA\", "
							   "\"data_start\": 1342177280}",
							   -1, "odd.json", &error);
		g_assert_no_error(error);
		g_assert_false(fk_stub_check_chip(stub, esp32, &error));
		g_assert_error(error, FK_ERROR, FK_ERROR_STUB_INVALID);
		assert_message_has(error, "odd.json is not for the ESP32: its data at 0x50000000");
		assert_message_has(error, "data RAM (0x3ffae000");
	}
	/* a segment that starts inside RAM and runs off its end */
	{
		g_autoptr(GError) error = NULL;
		const FkChipInfo *c3 = fk_chip_by_family(FK_CHIP_ESP32C3);
		g_autofree gchar *text = g_strnfill(0x8000 / 3 * 4, 'A');
		g_autofree gchar *json = g_strdup_printf("{\"entry\": %u, \"text\": \"%s\", \"text_start\": %u}",
							 0x403DC000u, text, 0x403DC000u);
		g_autoptr(FkStub) stub = fk_stub_load_data(json, -1, "long.json", &error);
		g_assert_no_error(error);
		g_assert_false(fk_stub_check_chip(stub, c3, &error));
		g_assert_error(error, FK_ERROR, FK_ERROR_STUB_INVALID);
		assert_message_has(error, "instruction RAM");
	}
}

/* a damaged stub, or one for another chip, in the stub path: connect fails naming the file,
 * and nothing is uploaded to the chip's RAM */
static void
test_stub_connect(void)
{
	g_autofree gchar *saved = g_strdup(g_getenv("FLASHKEEP_STUB_PATH"));
	const gchar *stub_dir = saved;
	g_autofree gchar *esp8266_json = NULL;
	g_autofree gchar *contents = NULL;
	gsize len = 0;
	const gchar *bad_stubs[3] = {
	    "{\"entry\": 1074429952, \"text\": \"not base64!\", \"text_start\": 1074429952}",
	    "{\"entry\": 1074429952, \"text\": \"AAAA\", \"text_start\": 1074429952, \"data\": \"AAAA\"}",
	    NULL, /* Espressif's ESP8266 stub, named esp32.json */
	};
	const gchar *says[3] = {"not base64", "“data_start”", "not for the ESP32"};

	if (stub_dir == NULL || !g_file_test(stub_dir, G_FILE_TEST_IS_DIR)) {
		g_test_skip("Espressif's stubs are not installed (tests/node: npm ci)");
		return;
	}
	esp8266_json = g_build_filename(stub_dir, "esp8266.json", NULL);
	if (!g_file_get_contents(esp8266_json, &contents, &len, NULL)) {
		g_test_skip("no esp8266.json");
		return;
	}
	bad_stubs[2] = contents;

	for (guint i = 0; i < G_N_ELEMENTS(bad_stubs); i++) {
		Fixture fx = {0};
		g_autoptr(GError) error = NULL;
		g_autoptr(GBytes) before = NULL;
		g_autofree gchar *path = NULL;
		FkSimStats st;

		fixture_open(&fx, "esp32", 0);
		path = fixture_write_file(&fx, "esp32.json", (const guint8 *)bad_stubs[i], strlen(bad_stubs[i]));
		g_setenv("FLASHKEEP_STUB_PATH", fx.tmpdir, TRUE);
		before = fk_sim_device_get_flash(fx.sim);
		g_assert_false(fk_device_connect(fx.device, NULL, &error));
		g_assert_error(error, FK_ERROR, FK_ERROR_STUB_INVALID);
		assert_message_has(error, path);
		assert_message_has(error, says[i]);
		fk_sim_device_get_stats(fx.sim, &st);
		g_assert_cmpuint(st.stub_uploads, ==, 0);
		for (guint j = 0; j < fx.ops->len; j++) {
			guint8 op = g_array_index(fx.ops, guint8, j);
			g_assert_cmpuint(op, !=, FK_OP_MEM_BEGIN);
			g_assert_cmpuint(op, !=, FK_OP_MEM_DATA);
			g_assert_cmpuint(op, !=, FK_OP_MEM_END);
		}
		assert_untouched(&fx, before);
		g_setenv("FLASHKEEP_STUB_PATH", saved, TRUE);
		fixture_close(&fx);
	}
}

/* ---- a chip that talks nonsense ---- */

/* a line full of noise: what a host sees from a chip running firmware at another baud rate, or
 * a port that is not connected to an ESP at all; it answers nothing it is sent */
#define FK_TYPE_NOISE_TRANSPORT (fk_noise_transport_get_type())
G_DECLARE_FINAL_TYPE(FkNoiseTransport, fk_noise_transport, FK, NOISE_TRANSPORT, FkTransport)

struct _FkNoiseTransport {
	FkTransport parent_instance;
	GRand *rand;
	guint64 bytes_sent;
	guint syncs; /* SYNC command frames the host wrote */
};

G_DEFINE_FINAL_TYPE(FkNoiseTransport, fk_noise_transport, FK_TYPE_TRANSPORT)

static gboolean
fk_noise_transport_write(FkTransport *transport, const guint8 *data, gsize len, GCancellable *cancellable, GError **error)
{
	FkNoiseTransport *self = FK_NOISE_TRANSPORT(transport);
	/* one SLIP frame per write: C0, direction 00, the opcode */
	if (len >= 3 && data[0] == 0xC0 && data[1] == 0x00 && data[2] == FK_OP_SYNC)
		self->syncs++;
	return TRUE;
}

static gssize
fk_noise_transport_read(FkTransport *transport, guint8 *buf, gsize len, guint timeout_ms, GCancellable *cancellable, GError **error)
{
	FkNoiseTransport *self = FK_NOISE_TRANSPORT(transport);
	/* about 115200 baud: 64 bytes every 5 ms */
	gsize n = MIN(len, 64);
	g_usleep(MIN(timeout_ms, 5) * 1000);
	for (gsize i = 0; i < n; i++)
		buf[i] = (guint8)g_rand_int_range(self->rand, 0, 256);
	self->bytes_sent += n;
	return (gssize)n;
}

static void
fk_noise_transport_finalize(GObject *object)
{
	FkNoiseTransport *self = FK_NOISE_TRANSPORT(object);
	g_rand_free(self->rand);
	G_OBJECT_CLASS(fk_noise_transport_parent_class)->finalize(object);
}

static void
fk_noise_transport_class_init(FkNoiseTransportClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	FkTransportClass *transport_class = FK_TRANSPORT_CLASS(klass);
	object_class->finalize = fk_noise_transport_finalize;
	transport_class->write = fk_noise_transport_write;
	transport_class->read = fk_noise_transport_read;
}

static void
fk_noise_transport_init(FkNoiseTransport *self)
{
	self->rand = g_rand_new_with_seed(20240611);
	fk_transport_set_name(FK_TRANSPORT(self), "noise");
	fk_transport_set_has_modem_lines(FK_TRANSPORT(self), TRUE);
}

/* counts the engine's "no reply to SYNC (attempt N of M)" lines */
static void
count_sync_attempts_cb(const gchar *message, gpointer user_data)
{
	guint *attempts = user_data;
	if (g_str_has_prefix(message, "no reply to SYNC"))
		(*attempts)++;
}

/* the connect gave up, with an error a person can act on, after the fixed number of resets and
 * no more SYNC frames than those allow */
static void
assert_no_sync(const GError *error, guint attempts, guint syncs)
{
	g_test_message("gave up after %u attempts, %u SYNC frames: %s",
		       attempts,
		       syncs,
		       error != NULL ? error->message : "(no error)");
	g_assert_error(error, FK_ERROR, FK_ERROR_NO_SYNC);
	assert_message_has(error, "No reply from the chip");
	assert_message_has(error, "baud rate");
	g_assert_nonnull(fk_error_hint(error));
	g_assert_cmpuint(attempts, ==, CONNECT_RESETS);
	g_assert_cmpuint(syncs, >=, CONNECT_RESETS);
	g_assert_cmpuint(syncs, <=, CONNECT_SYNCS);
}

static void
test_link_noise(void)
{
	g_autoptr(FkTransport) transport = g_object_new(FK_TYPE_NOISE_TRANSPORT, NULL);
	g_autoptr(FkDevice) device = fk_device_new(transport);
	g_autoptr(GError) error = NULL;
	guint attempts = 0;

	fk_device_set_log_func(device, count_sync_attempts_cb, &attempts);
	g_assert_false(fk_device_connect(device, NULL, &error));
	assert_no_sync(error, attempts, FK_NOISE_TRANSPORT(transport)->syncs);
	g_assert_cmpuint(FK_NOISE_TRANSPORT(transport)->bytes_sent, >, 10000);
	g_assert_false(fk_device_is_connected(device));
}

/* a stub left running at 921600 baud (--after no_reset_stub) and a host that comes back at
 * 115200 without resetting the chip: every byte is garbled both ways */
static void
test_link_wrong_baud(void)
{
	Fixture fx = {0};
	g_autoptr(GError) error = NULL;
	g_autoptr(FkDevice) again = NULL;
	FkSimStats st;
	guint attempts = 0;
	guint syncs = 0;

	fixture_open(&fx, "esp32", 0);
	fk_device_set_baud(fx.device, 921600);
	fixture_connect(&fx);
	g_assert_cmpuint(fk_device_get_current_baud(fx.device), ==, 921600);
	g_assert_true(fk_device_finish(fx.device, FK_AFTER_NO_RESET_STUB, NULL, &error));
	g_assert_no_error(error);
	fk_sim_device_get_stats(fx.sim, &st);
	g_assert_true(st.stub_running);
	g_assert_cmpuint(st.baud, ==, 921600);

	again = fk_device_new(fx.transport);
	fk_device_set_reset_mode(again, FK_RESET_NONE);
	fk_device_set_baud(again, 115200);
	fk_device_set_log_func(again, count_sync_attempts_cb, &attempts);
	g_array_set_size(fx.ops, 0);
	g_assert_false(fk_device_connect(again, NULL, &error));
	for (guint i = 0; i < fx.ops->len; i++)
		syncs += g_array_index(fx.ops, guint8, i) == FK_OP_SYNC;
	assert_no_sync(error, attempts, syncs);
	fixture_close(&fx);
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
	g_test_add_func("/fk/hostile/stub/malformed", test_stub_malformed);
	g_test_add_func("/fk/hostile/stub/nested-and-fifo", test_stub_nested_and_fifo);
	g_test_add_func("/fk/hostile/stub/ram-ranges", test_stub_ram_ranges);
	g_test_add_func("/fk/hostile/stub/connect", test_stub_connect);
	g_test_add_func("/fk/hostile/link/noise", test_link_noise);
	g_test_add_func("/fk/hostile/link/wrong-baud", test_link_wrong_baud);
	return g_test_run();
}
