/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Automatic baud: the adapter and chip table, the remembered rates, and backups on simulated
 * adapters (the starting rate, stepping down above the adapter's clean rate, native USB). */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "fk-adapter.h"
#include "fk-device.h"
#include "fk-flash.h"
#include "fk-protocol.h"
#include "fk-sim-transport.h"
#include "fk-test-util.h"

/* ---- the decision ---- */

static const struct {
	FkTransportKind kind;
	guint16 vid, pid;
	const gchar *product;
	FkChipFamily family;
	gboolean stub;
	guint remembered, clean_runs;
	const gchar *adapter; /* the row's name */
	guint start;
	guint last;	      /* the ladder's last rung */
	gboolean from_memory, probing;
} decisions[] = {
    {FK_TRANSPORT_KIND_SERIAL, 0x1A86, 0x7523, "USB Serial", FK_CHIP_ESP32, TRUE, 0, 0, "CH340", 2000000, 115200, FALSE, FALSE},
    {FK_TRANSPORT_KIND_SERIAL, 0x1A86, 0x55D4, "USB Single Serial", FK_CHIP_ESP32, TRUE, 0, 0, "CH343/CH9102", 3000000, 115200, FALSE, FALSE},
    {FK_TRANSPORT_KIND_SERIAL, 0x10C4, 0xEA60, "CP2102N USB to UART Bridge Controller", FK_CHIP_ESP32S3, TRUE, 0, 0, "CP2102N", 3000000, 115200, FALSE, FALSE},
    {FK_TRANSPORT_KIND_SERIAL, 0x10C4, 0xEA60, "CP2102 USB to UART Bridge Controller", FK_CHIP_ESP32, TRUE, 0, 0, "CP2102", 921600, 115200, FALSE, FALSE},
    {FK_TRANSPORT_KIND_SERIAL, 0x10C4, 0xEA60, NULL, FK_CHIP_ESP32, TRUE, 0, 0, "CP2102", 921600, 115200, FALSE, FALSE},
    {FK_TRANSPORT_KIND_SERIAL, 0x10C4, 0xEA60, "CP2104 USB to UART Bridge Controller", FK_CHIP_ESP32, TRUE, 0, 0, "CP2104", 2000000, 115200, FALSE, FALSE},
    {FK_TRANSPORT_KIND_SERIAL, 0x0403, 0x6001, "FT232R USB UART", FK_CHIP_ESP8266, TRUE, 0, 0, "FT232R", 3000000, 115200, FALSE, FALSE},
    {FK_TRANSPORT_KIND_SERIAL, 0x0403, 0x6010, "Dual RS232-HS", FK_CHIP_ESP32, TRUE, 0, 0, "FT2232/FT232H", 3000000, 115200, FALSE, FALSE},
    /* the chip limits: the ESP8266 ROM cannot change the rate, the other ROMs are held lower */
    {FK_TRANSPORT_KIND_SERIAL, 0x0403, 0x6001, "FT232R USB UART", FK_CHIP_ESP8266, FALSE, 0, 0, "FT232R", 115200, 115200, FALSE, FALSE},
    {FK_TRANSPORT_KIND_SERIAL, 0x10C4, 0xEA60, "CP2102N USB to UART Bridge Controller", FK_CHIP_ESP32C3, FALSE, 0, 0, "CP2102N", 921600, 115200, FALSE, FALSE},
    /* native USB and TCP: the rate does not matter, nothing is changed */
    {FK_TRANSPORT_KIND_SERIAL, 0x303A, 0x1001, "USB JTAG/serial debug unit", FK_CHIP_ESP32C3, TRUE, 0, 0, "USB-Serial/JTAG", 115200, 115200, FALSE, FALSE},
    {FK_TRANSPORT_KIND_SERIAL, 0x303A, 0x0009, "ESP32-S3", FK_CHIP_ESP32S3, TRUE, 0, 0, "USB-OTG CDC", 115200, 115200, FALSE, FALSE},
    {FK_TRANSPORT_KIND_TCP, 0, 0, NULL, FK_CHIP_ESP32, TRUE, 0, 0, "network bridge", 115200, 115200, FALSE, FALSE},
    /* unknown adapters, built-in UARTs */
    {FK_TRANSPORT_KIND_SERIAL, 0x067B, 0x2303, "USB-Serial Controller", FK_CHIP_ESP32, TRUE, 0, 0, "USB adapter", 921600, 115200, FALSE, FALSE},
    {FK_TRANSPORT_KIND_SERIAL, 0, 0, NULL, FK_CHIP_ESP32, TRUE, 0, 0, "serial port", 115200, 115200, FALSE, FALSE},
    /* remembered rates: used below the table's, ignored at or above it, probed after clean runs */
    {FK_TRANSPORT_KIND_SERIAL, 0x1A86, 0x7523, "USB Serial", FK_CHIP_ESP32, TRUE, 921600, 0, "CH340", 921600, 115200, TRUE, FALSE},
    {FK_TRANSPORT_KIND_SERIAL, 0x1A86, 0x7523, "USB Serial", FK_CHIP_ESP32, TRUE, 3000000, 0, "CH340", 2000000, 115200, FALSE, FALSE},
    {FK_TRANSPORT_KIND_SERIAL, 0x1A86, 0x7523, "USB Serial", FK_CHIP_ESP32, TRUE, 921600, FK_ADAPTER_PROBE_AFTER, "CH340", 1500000, 115200, TRUE, TRUE},
    {FK_TRANSPORT_KIND_SERIAL, 0x10C4, 0xEA60, "CP2102N USB to UART Bridge Controller", FK_CHIP_ESP32, TRUE, 2000000, 99, "CP2102N", 3000000, 115200, TRUE, TRUE},
};

static void
test_decision_table(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(decisions); i++) {
		FkBaudChoice c;
		const FkAdapterInfo *adapter = fk_adapter_identify(decisions[i].kind, decisions[i].vid, decisions[i].pid,
								   decisions[i].product);
		g_test_message("row %u: %s", i, decisions[i].adapter);
		g_assert_cmpstr(adapter->name, ==, decisions[i].adapter);
		g_assert_nonnull(adapter->source);
		fk_adapter_choose_baud(adapter, decisions[i].family, decisions[i].stub, decisions[i].remembered,
				       decisions[i].clean_runs, &c);
		g_assert_cmpuint(c.start, ==, decisions[i].start);
		g_assert_cmpint(c.from_memory, ==, decisions[i].from_memory);
		g_assert_cmpint(c.probing, ==, decisions[i].probing);
		g_assert_cmpuint(c.n_ladder, >=, 1);
		g_assert_cmpuint(c.ladder[0], ==, c.start);
		g_assert_cmpuint(c.ladder[c.n_ladder - 1], ==, decisions[i].last);
		for (guint r = 1; r < c.n_ladder; r++) {
			g_assert_cmpuint(c.ladder[r], <, c.ladder[r - 1]);
			g_assert_cmpuint(c.ladder[r], ==, fk_adapter_lower_baud(c.ladder[r - 1]));
		}
	}
}

static void
test_ladder(void)
{
	static const guint steps[][2] = {{3000000, 2000000}, {2000000, 1500000}, {1500000, 921600}, {921600, 460800},
					 {460800, 230400},   {230400, 115200},	 {115200, 115200},   {1000000, 921600}};
	for (guint i = 0; i < G_N_ELEMENTS(steps); i++)
		g_assert_cmpuint(fk_adapter_lower_baud(steps[i][0]), ==, steps[i][1]);
}

/* the USB ids a newly plugged port is taken for an ESP board by (the window selects it) */
static void
test_known_usb(void)
{
	static const struct {
		guint16 vid, pid;
		gboolean known;
	} ids[] = {
	    {0x10C4, 0xEA60, TRUE},  /* CP210x */
	    {0x1A86, 0x7523, TRUE},  /* CH340 */
	    {0x1A86, 0x55D4, TRUE},  /* CH9102 */
	    {0x0403, 0x6001, TRUE},  /* FT232R */
	    {0x303A, 0x1001, TRUE},  /* USB-Serial/JTAG */
	    {0x303A, 0x0002, TRUE},  /* a chip's USB-OTG CDC port */
	    {0x10C4, 0x8A2A, FALSE}, /* another Silicon Labs product */
	    {0x1A86, 0x7522, FALSE},
	    {0x2341, 0x0043, FALSE}, /* an Arduino Uno */
	    {0x1D6B, 0x0002, FALSE}, /* a hub */
	    {0x0000, 0x0000, FALSE}, /* no USB ids: a built-in port */
	};
	for (guint i = 0; i < G_N_ELEMENTS(ids); i++) {
		g_test_message("%04x:%04x", ids[i].vid, ids[i].pid);
		g_assert_cmpint(fk_adapter_is_known_usb(ids[i].vid, ids[i].pid), ==, ids[i].known);
	}
}

/* ---- the remembered rates ---- */

static void
test_memory(void)
{
	g_autofree gchar *dir = g_dir_make_tmp("fk-test-adapter-XXXXXX", NULL);
	g_autofree gchar *path = g_build_filename(dir, "sub", "baud-rates.ini", NULL);
	g_autoptr(FkBaudMemory) memory = fk_baud_memory_new(path);
	g_autoptr(GError) error = NULL;
	const FkAdapterInfo *ch340 = fk_adapter_identify(FK_TRANSPORT_KIND_SERIAL, 0x1A86, 0x7523, NULL);
	FkBaudChoice c;
	guint clean = 99, remembered;

	g_assert_cmpuint(fk_baud_memory_lookup(memory, "1a86:7523 A", &clean), ==, 0);
	g_assert_cmpuint(clean, ==, 0);
	/* a session at the table's rate leaves nothing behind */
	fk_adapter_choose_baud(ch340, FK_CHIP_ESP32, TRUE, 0, 0, &c);
	g_assert_true(fk_baud_memory_record_success(memory, "1a86:7523 A", &c, 2000000, &error));
	g_assert_no_error(error);
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	/* stepped down: the rate it ended at is remembered, for this adapter only */
	g_assert_true(fk_baud_memory_record_success(memory, "1a86:7523 A", &c, 921600, &error));
	g_assert_cmpuint(fk_baud_memory_lookup(memory, "1a86:7523 A", &clean), ==, 921600);
	g_assert_cmpuint(clean, ==, 0);
	g_assert_cmpuint(fk_baud_memory_lookup(memory, "1a86:7523 B", NULL), ==, 0);
	/* clean runs at the remembered rate are counted, until a probe one step up is due */
	for (guint i = 0; i < FK_ADAPTER_PROBE_AFTER; i++) {
		remembered = fk_baud_memory_lookup(memory, "1a86:7523 A", &clean);
		fk_adapter_choose_baud(ch340, FK_CHIP_ESP32, TRUE, remembered, clean, &c);
		g_assert_cmpuint(c.start, ==, 921600);
		g_assert_true(fk_baud_memory_record_success(memory, "1a86:7523 A", &c, 921600, &error));
	}
	remembered = fk_baud_memory_lookup(memory, "1a86:7523 A", &clean);
	fk_adapter_choose_baud(ch340, FK_CHIP_ESP32, TRUE, remembered, clean, &c);
	g_assert_true(c.probing);
	g_assert_cmpuint(c.start, ==, 1500000);
	/* the probe worked: its rate is remembered, counted afresh */
	g_assert_true(fk_baud_memory_record_success(memory, "1a86:7523 A", &c, 1500000, &error));
	g_assert_cmpuint(fk_baud_memory_lookup(memory, "1a86:7523 A", &clean), ==, 1500000);
	g_assert_cmpuint(clean, ==, 0);
	/* a remembered rate that failed for good is forgotten */
	g_assert_true(fk_baud_memory_forget(memory, "1a86:7523 A", &error));
	g_assert_cmpuint(fk_baud_memory_lookup(memory, "1a86:7523 A", NULL), ==, 0);
	g_assert_true(fk_test_rm_rf(dir));
}

/* ---- on simulated adapters ---- */

typedef struct {
	FkSimDevice *sim;
	FkTransport *transport;
	FkDevice *device;
	gchar *dir;
	gchar *memory;
} Board;

static void
board_open(Board *b, const gchar *adapter, guint baud, const gchar *dir)
{
	g_autoptr(GError) error = NULL;
	b->sim = fk_test_sim_new("esp32", 4 * 1024 * 1024, 0);
	g_assert_true(fk_sim_device_set_adapter(b->sim, adapter, &error));
	g_assert_no_error(error);
	b->transport = fk_sim_transport_new(b->sim);
	b->device = fk_device_new(b->transport);
	b->dir = g_strdup(dir);
	b->memory = g_build_filename(dir, "baud-rates.ini", NULL);
	fk_device_set_baud(b->device, baud);
	fk_device_set_baud_memory_file(b->device, b->memory);
	(void)!fk_device_connect(b->device, NULL, &error);
	g_assert_no_error(error);
}

/* backs up @size bytes and checks the file against the simulated flash */
static void
board_backup_exact(Board *b, gsize size)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = g_build_filename(b->dir, "backup.bin", NULL);
	g_autofree gchar *json = g_strconcat(path, ".json", NULL);
	g_autofree gchar *contents = NULL;
	g_autoptr(GBytes) flash = NULL;
	gsize len = 0;

	g_assert_true(fk_flash_backup(b->device, 0, size, path, NULL, NULL, &error));
	g_assert_no_error(error);
	g_assert_true(g_file_get_contents(path, &contents, &len, NULL));
	flash = fk_sim_device_get_flash(b->sim);
	g_assert_cmpuint(len, ==, size);
	g_assert_true(memcmp(contents, g_bytes_get_data(flash, NULL), size) == 0);
	g_unlink(path);
	g_unlink(json);
}

static void
board_close(Board *b)
{
	g_autoptr(GError) error = NULL;
	g_assert_true(fk_device_finish(b->device, FK_AFTER_HARD_RESET, NULL, &error));
	g_assert_no_error(error);
	fk_transport_close(b->transport);
	g_clear_object(&b->device);
	g_clear_object(&b->transport);
	g_clear_object(&b->sim);
	g_free(b->dir);
	g_free(b->memory);
}

static void
test_auto_start(void)
{
	static const struct {
		const gchar *adapter;
		guint start;
	} boards[] = {{"ch340", 2000000}, {"cp2102n", 3000000}, {"cp2102", 921600}, {"ft232r", 3000000}};
	g_autofree gchar *dir = NULL;

	if (fk_test_skip_without_stubs())
		return;
	dir = g_dir_make_tmp("fk-test-adapter-XXXXXX", NULL);
	for (guint i = 0; i < G_N_ELEMENTS(boards); i++) {
		Board b = {0};
		const FkBaudChoice *c;
		g_test_message("%s", boards[i].adapter);
		board_open(&b, boards[i].adapter, FK_BAUD_AUTO, dir);
		c = fk_device_get_baud_choice(b.device);
		g_assert_nonnull(c);
		g_assert_false(c->from_memory);
		g_assert_cmpuint(c->start, ==, boards[i].start);
		g_assert_cmpuint(fk_device_get_current_baud(b.device), ==, boards[i].start);
		board_backup_exact(&b, 256 * 1024);
		/* at the adapter's own rate the line is clean */
		g_assert_cmpuint(fk_device_get_recoveries(b.device), ==, 0);
		g_assert_cmpuint(fk_sim_device_get_adapter_errors(b.sim), ==, 0);
		board_close(&b);
		/* nothing to remember when the table's rate worked */
		g_assert_false(g_file_test(b.memory, G_FILE_TEST_EXISTS));
	}
	g_assert_true(fk_test_rm_rf(dir));
}

static void
test_step_down_remembered(void)
{
	g_autofree gchar *dir = NULL;
	g_autoptr(FkBaudMemory) memory = NULL;
	g_autofree gchar *path = NULL;
	Board b = {0};
	guint clean = 0;

	if (fk_test_skip_without_stubs())
		return;
	dir = g_dir_make_tmp("fk-test-adapter-XXXXXX", NULL);
	path = g_build_filename(dir, "baud-rates.ini", NULL);
	memory = fk_baud_memory_new(path);
	/* a CP2102N whose board carries only 1.5 Mbaud cleanly: Automatic starts at 3 Mbaud */
	board_open(&b, "cp2102n@1500000", FK_BAUD_AUTO, dir);
	g_assert_cmpuint(fk_device_get_baud_choice(b.device)->start, ==, 3000000);
	board_backup_exact(&b, 256 * 1024);
	/* the errors were survived by stepping down to the clean rate */
	g_assert_cmpuint(fk_sim_device_get_adapter_errors(b.sim), >, 0);
	g_assert_cmpuint(fk_device_get_recoveries(b.device), >, 0);
	g_assert_cmpuint(fk_device_get_current_baud(b.device), ==, 1500000);
	board_close(&b);
	/* … and remembered for this adapter's serial number */
	g_assert_cmpuint(fk_baud_memory_lookup(memory, "10c4:ea60 fk", &clean), ==, 1500000);
	g_assert_cmpuint(clean, ==, 0);

	/* the next session with the same adapter starts there, without errors */
	board_open(&b, "cp2102n@1500000", FK_BAUD_AUTO, dir);
	g_assert_true(fk_device_get_baud_choice(b.device)->from_memory);
	g_assert_cmpuint(fk_device_get_current_baud(b.device), ==, 1500000);
	board_backup_exact(&b, 64 * 1024);
	g_assert_cmpuint(fk_device_get_recoveries(b.device), ==, 0);
	g_assert_cmpuint(fk_sim_device_get_adapter_errors(b.sim), ==, 0);
	board_close(&b);
	g_assert_cmpuint(fk_baud_memory_lookup(memory, "10c4:ea60 fk", &clean), ==, 1500000);
	g_assert_cmpuint(clean, ==, 1);
	g_assert_true(fk_test_rm_rf(dir));
}

/* a flash id that looks dead at the rate Automatic chose is asked again at the next lower rate
 * (a register write the line damaged leaves the SPI command unsent); a flash dead at every rate
 * is reported as it is, at the ROM's rate */
static void
test_flash_id_asked_again(void)
{
	g_autofree gchar *dir = NULL;

	if (fk_test_skip_without_stubs())
		return;
	dir = g_dir_make_tmp("fk-test-adapter-XXXXXX", NULL);
	for (guint dead = 0; dead < 2; dead++) {
		g_autoptr(FkSimDevice) sim = fk_test_sim_new("esp32", 4 * 1024 * 1024, 0);
		g_autoptr(FkTransport) transport = NULL;
		g_autoptr(FkDevice) device = NULL;
		g_autofree gchar *memory = g_build_filename(dir, "baud-rates.ini", NULL);
		g_autoptr(GError) error = NULL;

		g_assert_true(fk_sim_device_set_adapter(sim, "cp2102n", &error));
		g_assert_no_error(error);
		/* once, or on every rung of the ladder */
		for (guint n = 1; n <= (dead ? 8 : 1); n++) {
			g_autofree gchar *spec = g_strdup_printf("flash-mute:%u", n);
			g_assert_true(fk_sim_device_add_faults_from_string(sim, spec, &error));
			g_assert_no_error(error);
		}
		transport = fk_sim_transport_new(sim);
		device = fk_device_new(transport);
		fk_device_set_baud(device, FK_BAUD_AUTO);
		fk_device_set_baud_memory_file(device, memory);
		g_assert_true(fk_device_connect(device, NULL, &error));
		g_assert_no_error(error);
		if (!dead) {
			g_assert_cmpuint(fk_device_get_flash_size(device), ==, 4 * 1024 * 1024);
			g_assert_cmpuint(fk_device_get_current_baud(device), ==, 2000000);
		} else {
			g_assert_cmpuint(fk_device_get_flash_size(device), ==, 0);
			g_assert_cmpuint(fk_device_get_current_baud(device), ==, 115200);
		}
		fk_transport_close(transport);
	}
	g_assert_true(fk_test_rm_rf(dir));
}

static void
test_native_usb(void)
{
	g_autofree gchar *dir = NULL;
	g_autoptr(GError) error = NULL;
	Board b = {0};

	if (fk_test_skip_without_stubs())
		return;
	dir = g_dir_make_tmp("fk-test-adapter-XXXXXX", NULL);
	/* Automatic leaves the rate alone: it does not matter */
	board_open(&b, "usbjtag", FK_BAUD_AUTO, dir);
	g_assert_cmpstr(fk_device_get_baud_choice(b.device)->adapter->name, ==, "USB-Serial/JTAG");
	g_assert_cmpuint(fk_device_get_current_baud(b.device), ==, FK_ROM_BAUD);
	/* the host's rate no longer matches the chip's, and nothing is garbled */
	g_assert_true(fk_transport_set_baud(b.transport, 9600, &error));
	g_assert_no_error(error);
	board_backup_exact(&b, 128 * 1024);
	g_assert_cmpuint(fk_device_get_recoveries(b.device), ==, 0);
	board_close(&b);
	g_assert_false(g_file_test(b.memory, G_FILE_TEST_EXISTS));

	/* a fixed rate far above any UART bridge's is no harm either */
	board_open(&b, "usbjtag", 5000000, dir);
	board_backup_exact(&b, 128 * 1024);
	g_assert_cmpuint(fk_device_get_recoveries(b.device), ==, 0);
	g_assert_cmpuint(fk_sim_device_get_adapter_errors(b.sim), ==, 0);
	board_close(&b);
	g_assert_true(fk_test_rm_rf(dir));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/fk/adapter/decision-table", test_decision_table);
	g_test_add_func("/fk/adapter/ladder", test_ladder);
	g_test_add_func("/fk/adapter/known-usb", test_known_usb);
	g_test_add_func("/fk/adapter/memory", test_memory);
	g_test_add_func("/fk/adapter/auto-start", test_auto_start);
	g_test_add_func("/fk/adapter/step-down-remembered", test_step_down_remembered);
	g_test_add_func("/fk/adapter/native-usb", test_native_usb);
	g_test_add_func("/fk/adapter/flash-id-asked-again", test_flash_id_asked_again);
	return g_test_run();
}
