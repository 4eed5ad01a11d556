/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Hostile flasher stubs: stub files that are malformed, nested too deep, a FIFO, too large for
 * the chip's RAM or made for another chip. Loading one must end in an error that names the file
 * and what is wrong with it, and a connect that finds one in the stub path must fail without
 * uploading anything to the chip's RAM or touching its flash. */
#include "config.h"

#include <glib/gstdio.h>
#include <sys/stat.h>

#include "fk-error.h"
#include "fk-hostile-fixture.h"
#include "fk-stub.h"

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

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/fk/hostile/stub/malformed", test_stub_malformed);
	g_test_add_func("/fk/hostile/stub/nested-and-fifo", test_stub_nested_and_fifo);
	g_test_add_func("/fk/hostile/stub/ram-ranges", test_stub_ram_ranges);
	g_test_add_func("/fk/hostile/stub/connect", test_stub_connect);
	return g_test_run();
}
