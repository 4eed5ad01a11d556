/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "fk-error.h"
#include "fk-mem.h"
#include "fk-packet.h"
#include "fk-protocol.h"
#include "fk-sim-transport.h"
#include "fk-slip.h"

/* No check here bounds how long anything took: a loaded machine makes everything slower. Waits
 * that must end on their own get a deadline far past the test's own time limit, so a wait that
 * does not end shows as a hung test, never as a slow pass. */
#define FK_TEST_NO_DEADLINE_MS (10 * 60 * 1000)

/* the next frame from the chip (one that never comes hangs the test) */
static GByteArray *
fk_test_read_frame(FkTransport *t, GError **error)
{
	g_autoptr(FkSlipDecoder) dec = fk_slip_decoder_new(0x10000);
	for (;;) {
		guint8 b;
		gsize consumed = 0;
		gssize rc = fk_transport_read(t, &b, 1, 50, NULL, error);
		if (rc < 0)
			return NULL;
		if (rc == 0)
			continue;
		if (fk_slip_decoder_feed(dec, &b, 1, &consumed, NULL) == FK_SLIP_RESULT_FRAME)
			return fk_slip_decoder_take_frame(dec);
	}
	return NULL;
}

static gboolean
fk_test_send(FkTransport *t, guint8 op, const guint8 *data, gsize len, GError **error)
{
	g_autoptr(GByteArray) pkt = fk_packet_build_command(op, data, len, 0);
	g_autoptr(GByteArray) wire = g_byte_array_new();
	fk_slip_encode(wire, pkt->data, pkt->len);
	return fk_transport_write(t, wire->data, wire->len, NULL, error);
}

static void
fk_test_sync(FkTransport *t)
{
	guint8 payload[36] = {0x07, 0x07, 0x12, 0x20};
	g_autoptr(GError) error = NULL;
	g_autoptr(GByteArray) f = NULL;
	memset(payload + 4, 0x55, 32);
	g_assert_true(fk_transport_flush_input(t, &error));
	g_assert_true(fk_test_send(t, FK_OP_SYNC, payload, sizeof(payload), &error));
	g_assert_no_error(error);
	f = fk_test_read_frame(t, &error);
	g_assert_no_error(error);
	g_assert_nonnull(f);
	g_assert_cmpuint(f->data[1], ==, FK_OP_SYNC);
}

static void
fk_test_transport_reset_and_sync(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FkTransport) t = NULL;

	fk_sim_register();
	t = fk_transport_open("sim:esp32c3@4MB,fresh,seed=5", &error);
	g_assert_no_error(error);
	g_assert_nonnull(t);
	g_assert_cmpint(fk_transport_get_kind(t), ==, FK_TRANSPORT_KIND_SIM);
	g_assert_true(fk_transport_has_modem_lines(t));

	/* the chip runs its application: classic reset into the loader */
	g_assert_true(fk_transport_set_lines(t, FALSE, TRUE, &error));
	g_usleep(100000);
	g_assert_true(fk_transport_set_lines(t, TRUE, FALSE, &error));
	g_usleep(50000);
	g_assert_true(fk_transport_set_lines(t, FALSE, FALSE, &error));
	g_usleep(10000);
	fk_test_sync(t);
	fk_transport_close(t);
}

static void
fk_test_transport_persist(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FkTransport) t1 = NULL;
	g_autoptr(FkTransport) t2 = NULL;
	g_autoptr(FkTransport) t3 = NULL;
	g_autoptr(GBytes) orig = NULL;
	g_autoptr(GBytes) now = NULL;
	g_autofree guint8 *buf = NULL;
	g_autofree gchar *path = NULL;
	FkSimDevice *dev;

	fk_sim_register();
	t1 = fk_transport_open("sim:esp8266@1MB,download,fresh", &error);
	g_assert_no_error(error);
	dev = fk_sim_transport_get_device(FK_SIM_TRANSPORT(t1));
	orig = fk_sim_device_get_flash(dev);
	buf = g_memdup2(g_bytes_get_data(orig, NULL), g_bytes_get_size(orig));
	memset(buf + 0x1000, 0xA5, 0x1000);
	g_assert_true(fk_sim_device_set_flash(dev, g_bytes_new_static(buf, g_bytes_get_size(orig)), &error));
	fk_test_sync(t1);
	fk_transport_close(t1);

	path = g_build_filename(g_get_user_state_dir(), "flashkeep", "sim", "esp8266-1MB.bin", NULL);
	g_assert_true(g_file_test(path, G_FILE_TEST_EXISTS));

	/* same name: the same chip */
	t2 = fk_transport_open("sim:esp8266@1MB,download,fresh", &error);
	g_assert_no_error(error);
	g_assert_true(fk_sim_transport_get_device(FK_SIM_TRANSPORT(t2)) == dev);
	fk_transport_close(t2);

	/* another name for the same part loads what was saved */
	t3 = fk_transport_open("sim:esp8266@1MB,download", &error);
	g_assert_no_error(error);
	now = fk_sim_device_get_flash(fk_sim_transport_get_device(FK_SIM_TRANSPORT(t3)));
	g_assert_cmpmem(g_bytes_get_data(now, NULL), g_bytes_get_size(now), buf, g_bytes_get_size(orig));
	fk_transport_close(t3);
}

/* boards of the same kind and size with seeds of their own are open at once, each its own chip;
 * one board is open in one place at a time, as a serial port is */
static void
fk_test_transport_boards_at_once(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FkTransport) a = NULL;
	g_autoptr(FkTransport) b = NULL;
	g_autoptr(FkTransport) again = NULL;
	g_autoptr(GBytes) flash_a = NULL;
	g_autoptr(GBytes) flash_b = NULL;
	FkSimDevice *dev_a, *dev_b;

	fk_sim_register();
	a = fk_transport_open("sim:esp32@4MB,download,fresh", &error);
	g_assert_no_error(error);
	b = fk_transport_open("sim:esp32@4MB,download,fresh,seed=7", &error);
	g_assert_no_error(error);
	dev_a = fk_sim_transport_get_device(FK_SIM_TRANSPORT(a));
	dev_b = fk_sim_transport_get_device(FK_SIM_TRANSPORT(b));
	g_assert_true(dev_a != dev_b);
	g_assert_cmpuint(fk_sim_device_get_seed(dev_b), ==, 7);
	flash_a = fk_sim_device_get_flash(dev_a);
	flash_b = fk_sim_device_get_flash(dev_b);
	g_assert_false(g_bytes_equal(flash_a, flash_b));
	/* both answer, each on its own link */
	fk_test_sync(a);
	fk_test_sync(b);

	again = fk_transport_open("sim:esp32@4MB,download,fresh", &error);
	g_assert_null(again);
	g_assert_error(error, FK_ERROR, FK_ERROR_PORT_BUSY);
	fk_transport_close(a);
	fk_transport_close(b);
}

static void
fk_test_transport_bad_names(void)
{
	const gchar *names[] = {"sim:esp9999", "sim:esp32@3MB", "sim:esp32,bogus", "sim:esp32,fault=nope:1",
				"sim:esp32@512KB"};
	fk_sim_register();
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(FkTransport) t = fk_transport_open(names[i], &error);
		g_assert_null(t);
		g_assert_nonnull(error);
	}
}

static void
fk_test_transport_link_dead(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FkTransport) t = NULL;
	guint8 buf[256];
	gssize rc;

	fk_sim_register();
	t = fk_transport_open("sim:esp32,download,fresh,fault=close:1000", &error);
	g_assert_no_error(error);
	g_usleep(10000);
	g_assert_true(fk_transport_flush_input(t, &error));
	fk_sim_device_clear_faults(fk_sim_transport_get_device(FK_SIM_TRANSPORT(t)));
	fk_sim_device_add_fault(fk_sim_transport_get_device(FK_SIM_TRANSPORT(t)),
				FK_SIM_FAULT_CLOSE_AFTER,
				30,
				0);
	{
		guint8 payload[36] = {0x07, 0x07, 0x12, 0x20};
		memset(payload + 4, 0x55, 32);
		g_assert_true(fk_test_send(t, FK_OP_SYNC, payload, sizeof(payload), &error));
	}
	rc = fk_transport_read(t, buf, sizeof(buf), FK_TEST_NO_DEADLINE_MS, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(rc, ==, 30);
	rc = fk_transport_read(t, buf, sizeof(buf), FK_TEST_NO_DEADLINE_MS, NULL, &error);
	g_assert_cmpint(rc, ==, -1);
	g_assert_error(error, FK_ERROR, FK_ERROR_PORT_GONE);
}

static void
fk_test_transport_cancel(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FkTransport) t = NULL;
	g_autoptr(GCancellable) c = g_cancellable_new();
	guint8 buf[16];

	fk_sim_register();
	t = fk_transport_open("sim:esp32s3,download,fresh", &error);
	g_assert_no_error(error);
	g_assert_true(fk_transport_flush_input(t, &error));
	/* already cancelled: the read says so instead of waiting out a deadline the test would not
	 * outlive */
	g_cancellable_cancel(c);
	g_assert_cmpint(fk_transport_read(t, buf, sizeof(buf), FK_TEST_NO_DEADLINE_MS, c, &error), ==, -1);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	g_clear_error(&error);
	/* a plain timeout returns 0 */
	g_assert_cmpint(fk_transport_read(t, buf, sizeof(buf), 100, NULL, &error), ==, 0);
	g_assert_no_error(error);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
	g_test_add_func("/sim/transport/reset-and-sync", fk_test_transport_reset_and_sync);
	g_test_add_func("/sim/transport/persist", fk_test_transport_persist);
	g_test_add_func("/sim/transport/bad-names", fk_test_transport_bad_names);
	g_test_add_func("/sim/transport/boards-at-once", fk_test_transport_boards_at_once);
	g_test_add_func("/sim/transport/link-dead", fk_test_transport_link_dead);
	g_test_add_func("/sim/transport/cancel", fk_test_transport_cancel);
	return g_test_run();
}
