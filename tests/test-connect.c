/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Connecting survives one link fault anywhere in it: a reply held back past its timeout at any
 * of the commands a connection sends (identification, stub upload, baud change, flash attach)
 * is followed by a fresh attempt, and the chip comes out connected and identified. The order of
 * the commands: an ESP32-family ROM is switched to the faster rate before the stub upload, the
 * ESP8266's is not; a ROM that does not answer there, or a stub that comes up at the ROM's first
 * rate, still ends in a connection at the rate asked for. */
#include "config.h"

#include <string.h>

#include "fk-device.h"
#include "fk-error.h"
#include "fk-protocol.h"
#include "fk-sim-device.h"
#include "fk-sim-transport.h"
#include "fk-test-util.h"

typedef struct {
	guint commands;
	guint delayed;
} Trace;

static void
trace_cb(const gchar *line, gpointer user_data)
{
	Trace *tr = user_data;
	if (line[0] == '>' && line[1] == ' ')
		tr->commands++;
	if (strstr(line, "! fault: response delayed") != NULL)
		tr->delayed++;
}

/* connects to a fresh chip, with a reply delayed at command @delay_at (0: none) */
static guint
connect_once(const gchar *chip, guint delay_at, gboolean *ok, guint *delayed, GError **error)
{
	g_autoptr(FkSimDevice) sim = fk_test_sim_new(chip, 1024 * 1024, 0x20000);
	g_autoptr(FkTransport) transport = fk_sim_transport_new(sim);
	g_autoptr(FkDevice) device = fk_device_new(transport);
	Trace tr = {0};

	fk_device_set_baud(device, 460800);
	fk_sim_device_set_trace_func(sim, trace_cb, &tr);
	if (delay_at > 0)
		fk_sim_device_add_fault(sim, FK_SIM_FAULT_DELAY, delay_at, 4000);
	*ok = fk_device_connect(device, NULL, error);
	fk_sim_device_set_trace_func(sim, NULL, NULL);
	*delayed = tr.delayed;
	if (*ok) {
		g_assert_true(fk_device_is_stub_running(device));
		g_assert_cmpuint(fk_device_get_current_baud(device), ==, 460800);
		g_assert_cmpuint(fk_device_get_flash_size(device), ==, 1024 * 1024);
	}
	return tr.commands;
}

static void
test_connect_fault(gconstpointer data)
{
	const gchar *chip = data;
	g_autoptr(GError) error = NULL;
	gboolean ok = FALSE;
	guint delayed = 0;
	guint n;
	guint positions[3];

	if (fk_test_skip_without_stubs())
		return;
	n = connect_once(chip, 0, &ok, &delayed, &error);
	g_assert_no_error(error);
	g_assert_true(ok);
	g_test_message("%s: a clean connection sends %u commands", chip, n);
	/* the middle (stub upload), the baud change and flash attach near the end, the last one */
	positions[0] = n / 2;
	positions[1] = n - 2;
	positions[2] = n;
	for (guint i = 0; i < G_N_ELEMENTS(positions); i++) {
		g_autoptr(GError) error_fault = NULL;
		connect_once(chip, positions[i], &ok, &delayed, &error_fault);
		g_test_message("%s: reply %u of %u delayed: %s", chip, positions[i], n,
			       ok ? "connected" : error_fault->message);
		g_assert_cmpuint(delayed, ==, 1);
		g_assert_no_error(error_fault);
		g_assert_true(ok);
	}
}

/* the opcodes of the commands the simulated chip got, in order */
static void
ops_cb(const gchar *line, gpointer user_data)
{
	GArray *ops = user_data;
	const gchar *hex = strstr(line, " (0x");
	if (line[0] == '>' && line[1] == ' ' && hex != NULL) {
		guint8 op = (guint8)g_ascii_strtoull(hex + 4, NULL, 16);
		g_array_append_val(ops, op);
	}
}

static gint
index_of(GArray *ops, guint8 op, guint nth)
{
	for (guint i = 0; i < ops->len; i++) {
		if (g_array_index(ops, guint8, i) == op && nth-- == 0)
			return (gint)i;
	}
	return -1;
}

/* how many @op follow the index @from (-1: all of them) */
static guint
count_after(GArray *ops, guint8 op, gint from)
{
	guint n = 0;
	g_assert_cmpint(from, >=, -1);
	for (guint i = (guint)(from + 1); i < ops->len; i++)
		n += g_array_index(ops, guint8, i) == op;
	return n;
}

static guint
count_of(GArray *ops, guint8 op)
{
	return count_after(ops, op, -1);
}

/* connects to @chip at @baud with @fault armed (NONE: none), returning the commands in order;
 * NULL, the test skipped, without Espressif's stubs */
static GArray *
connect_traced(const gchar *chip, guint baud, FkSimFaultKind fault, FkSimStats *stats, guint *current_baud)
{
	g_autoptr(FkSimDevice) sim = NULL;
	g_autoptr(FkTransport) transport = NULL;
	g_autoptr(FkDevice) device = NULL;
	g_autoptr(GError) error = NULL;
	GArray *ops;

	if (fk_test_skip_without_stubs())
		return NULL;
	sim = fk_test_sim_new(chip, 1024 * 1024, 0x20000);
	transport = fk_sim_transport_new(sim);
	device = fk_device_new(transport);
	ops = g_array_new(FALSE, FALSE, 1);

	fk_device_set_baud(device, baud);
	fk_sim_device_set_trace_func(sim, ops_cb, ops);
	if (fault != FK_SIM_FAULT_NONE)
		fk_sim_device_add_fault(sim, fault, 1, 0);
	g_assert_true(fk_device_connect(device, NULL, &error));
	g_assert_no_error(error);
	fk_sim_device_set_trace_func(sim, NULL, NULL);
	g_assert_true(fk_device_is_stub_running(device));
	g_assert_cmpuint(fk_device_get_flash_size(device), ==, 1024 * 1024);
	fk_sim_device_get_stats(sim, stats);
	*current_baud = fk_device_get_current_baud(device);
	fk_transport_close(transport);
	return ops;
}

/* an ESP32-family ROM goes to the faster rate before the stub upload, once: the stub keeps it.
 * Through the stub, the flash id's five register writes go in one WRITE_REG and their restoring
 * in another (the id still read right: the flash size checked in connect_traced) */
static void
test_connect_order(gconstpointer data)
{
	g_autoptr(GArray) ops = NULL;
	FkSimStats stats;
	guint baud = 0;

	ops = connect_traced(data, 460800, FK_SIM_FAULT_NONE, &stats, &baud);
	if (ops == NULL)
		return;
	g_assert_cmpuint(count_of(ops, FK_OP_CHANGE_BAUDRATE), ==, 1);
	g_assert_cmpint(index_of(ops, FK_OP_CHANGE_BAUDRATE, 0), <, index_of(ops, FK_OP_MEM_BEGIN, 0));
	g_assert_cmpuint(stats.stub_uploads, ==, 1);
	g_assert_cmpuint(stats.resets, ==, 1);
	g_assert_cmpuint(baud, ==, 460800);
	g_assert_cmpuint(count_after(ops, FK_OP_WRITE_REG, index_of(ops, FK_OP_MEM_END, 0)), ==, 2);
}

/* the ESP8266's ROM cannot change its rate: the stub is asked, after its upload */
static void
test_connect_order_esp8266(void)
{
	g_autoptr(GArray) ops = NULL;
	FkSimStats stats;
	guint baud = 0;

	ops = connect_traced("esp8266", 460800, FK_SIM_FAULT_NONE, &stats, &baud);
	if (ops == NULL)
		return;
	g_assert_cmpuint(count_of(ops, FK_OP_CHANGE_BAUDRATE), ==, 1);
	g_assert_cmpint(index_of(ops, FK_OP_CHANGE_BAUDRATE, 0), >, index_of(ops, FK_OP_MEM_END, 0));
	g_assert_cmpuint(stats.baud, ==, 460800);
	g_assert_cmpuint(baud, ==, 460800);
	g_assert_cmpuint(count_after(ops, FK_OP_WRITE_REG, index_of(ops, FK_OP_MEM_END, 0)), ==, 2);
}

/* above the ROM's cautious limit the ROM goes to 921600 and the stub the rest of the way */
static void
test_connect_two_steps(void)
{
	g_autoptr(GArray) ops = NULL;
	FkSimStats stats;
	guint baud = 0;

	ops = connect_traced("esp32", 1500000, FK_SIM_FAULT_NONE, &stats, &baud);
	if (ops == NULL)
		return;
	g_assert_cmpuint(count_of(ops, FK_OP_CHANGE_BAUDRATE), ==, 2);
	g_assert_cmpint(index_of(ops, FK_OP_CHANGE_BAUDRATE, 0), <, index_of(ops, FK_OP_MEM_BEGIN, 0));
	g_assert_cmpint(index_of(ops, FK_OP_CHANGE_BAUDRATE, 1), >, index_of(ops, FK_OP_MEM_END, 0));
	g_assert_cmpuint(stats.baud, ==, 1500000);
	g_assert_cmpuint(baud, ==, 1500000);
}

/* a ROM that does not answer at the rate it was switched to: one more reset, the stub uploaded
 * at the first rate and switched afterwards, and the rate asked for in the end */
static void
test_connect_rom_baud_fallback(void)
{
	g_autoptr(GArray) ops = NULL;
	FkSimStats stats;
	guint baud = 0;

	ops = connect_traced("esp32", 460800, FK_SIM_FAULT_BAUD_WRONG, &stats, &baud);
	if (ops == NULL)
		return;
	g_assert_cmpuint(stats.resets, ==, 2);
	g_assert_cmpuint(stats.stub_uploads, ==, 1);
	g_assert_cmpuint(count_of(ops, FK_OP_CHANGE_BAUDRATE), ==, 2);
	g_assert_cmpint(index_of(ops, FK_OP_CHANGE_BAUDRATE, 0), <, index_of(ops, FK_OP_MEM_BEGIN, 0));
	g_assert_cmpint(index_of(ops, FK_OP_CHANGE_BAUDRATE, 1), >, index_of(ops, FK_OP_MEM_END, 0));
	g_assert_cmpuint(stats.baud, ==, 460800);
	g_assert_cmpuint(baud, ==, 460800);
}

/* a stub that sets its UART up again at the rate the ROM first detected: found there by SYNC,
 * without a reset, then switched */
static void
test_connect_stub_baud_fallback(void)
{
	g_autoptr(GArray) ops = NULL;
	FkSimStats stats;
	guint baud = 0;
	gint mem_end;

	ops = connect_traced("esp32s3", 460800, FK_SIM_FAULT_STUB_BAUD, &stats, &baud);
	if (ops == NULL)
		return;
	mem_end = index_of(ops, FK_OP_MEM_END, 0);
	g_assert_cmpuint(stats.resets, ==, 1);
	g_assert_cmpuint(stats.stub_uploads, ==, 1);
	g_assert_cmpuint(count_of(ops, FK_OP_CHANGE_BAUDRATE), ==, 2);
	g_assert_cmpint(mem_end, >=, 0);
	g_assert_cmpuint(g_array_index(ops, guint8, mem_end + 1), ==, FK_OP_SYNC);
	g_assert_cmpint(index_of(ops, FK_OP_CHANGE_BAUDRATE, 1), >, mem_end);
	g_assert_cmpuint(stats.baud, ==, 460800);
	g_assert_cmpuint(baud, ==, 460800);
}

/* an ESP32-C2 on a 26 MHz crystal: its ROM is asked for 40/26 of the rate, which it sets as
 * 26/40 of what it was asked (esptool's ESP32C2ROM.change_baud) */
static void
test_connect_c2_26mhz(void)
{
	g_autoptr(FkSimDevice) sim = fk_test_sim_new("esp32c2", 1024 * 1024, 0x20000);
	g_autoptr(FkTransport) transport = fk_sim_transport_new(sim);
	g_autoptr(FkDevice) device = fk_device_new(transport);
	g_autoptr(GError) error = NULL;
	FkSimStats stats;

	fk_sim_device_set_crystal_mhz(sim, 26);
	fk_device_set_baud(device, 460800);
	fk_device_set_use_stub(device, FALSE);
	g_assert_true(fk_device_connect(device, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(fk_device_get_crystal_mhz(device), ==, 26);
	g_assert_cmpuint(fk_device_get_current_baud(device), ==, 460800);
	fk_sim_device_get_stats(sim, &stats);
	g_assert_cmpuint(stats.baud, ==, 460800);
	g_assert_cmpuint(stats.resets, ==, 1);
	fk_transport_close(transport);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_data_func("/connect/fault/esp8266", "esp8266", test_connect_fault);
	g_test_add_data_func("/connect/fault/esp32", "esp32", test_connect_fault);
	g_test_add_data_func("/connect/order/esp32", "esp32", test_connect_order);
	g_test_add_data_func("/connect/order/esp32s3", "esp32s3", test_connect_order);
	g_test_add_data_func("/connect/order/esp32c3", "esp32c3", test_connect_order);
	g_test_add_func("/connect/order/esp8266", test_connect_order_esp8266);
	g_test_add_func("/connect/order/two-steps", test_connect_two_steps);
	g_test_add_func("/connect/fallback/rom-baud", test_connect_rom_baud_fallback);
	g_test_add_func("/connect/fallback/stub-baud", test_connect_stub_baud_fallback);
	g_test_add_func("/connect/esp32c2-26mhz", test_connect_c2_26mhz);
	return g_test_run();
}
