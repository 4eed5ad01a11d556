/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What recovery from a fault keeps and what it changes, one case at a time on a simulated
 * ESP32 with the stub: a link that fails again and again at 921600 baud gets a lower rate, a
 * board the person resets by hand is found again at the rate its stub runs at, and a flash size
 * the person chose survives the reconnect after a chip reset. Each backup must still be
 * byte-exact. The fault matrix is in test-device-faults.c. */
#include "config.h"

#include <string.h>

#include "fk-fault-rig.h"

static void
log_collect(const gchar *message, gpointer user_data)
{
	g_string_append_printf(user_data, "%s\n", message);
}

/* an ESP32 with the stub at @baud, its log collected in @log */
static FkDevice *
connect_esp32(Rig *rig, guint baud, GString *log)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FkDevice) device = NULL;

	rig_open(rig, "esp32");
	device = fk_device_new(rig->transport);
	fk_device_set_use_stub(device, TRUE);
	fk_device_set_baud(device, baud);
	fk_device_set_log_func(device, log_collect, log);
	g_assert_true(fk_device_connect(device, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(fk_device_get_current_baud(device), ==, baud);
	return g_steal_pointer(&device);
}

/* a backup that must succeed byte-exactly, whatever faults were added */
static void
backup_must_succeed(Rig *rig, FkDevice *device)
{
	g_autofree gchar *path = g_build_filename(rig->tmpdir, "backup.bin", NULL);
	g_autofree gchar *wrong = NULL;
	g_autoptr(GError) error = NULL;

	g_clear_pointer(&rig->before, g_bytes_unref);
	rig->before = fk_sim_device_get_flash(rig->sim);
	g_assert_true(run_op(rig, device, OP_BACKUP, FK_WRITE_FLAG_NONE, path, &error));
	g_assert_no_error(error);
	wrong = check_success(rig, OP_BACKUP, path);
	g_assert_null(wrong);
}

/* a link that fails again and again at 921600 baud gets a lower rate, and the backup completes */
static void
test_slower_after_errors(void)
{
	g_autoptr(GString) log = g_string_new(NULL);
	Rig rig = {0};
	g_autoptr(FkDevice) device = connect_esp32(&rig, 921600, log);

	/* one bit in the first piece, one in the piece read again (a piece is about 2.5 s of the
	 * line: 224 KiB at 921600 baud) */
	fk_sim_device_add_fault(rig.sim, FK_SIM_FAULT_FLIP_BIT, 20000, 0);
	fk_sim_device_add_fault(rig.sim, FK_SIM_FAULT_FLIP_BIT, 20000 + 250000, 0);
	backup_must_succeed(&rig, device);
	g_assert_cmpuint(fk_device_get_current_baud(device), ==, 460800);
	g_assert_nonnull(strstr(log->str, "lowering the baud rate to 460800"));
	rig_close(&rig);
}

/* the person resets the board by hand, so the engine cannot: a stub that stops answering for a
 * while is found again at the rate it runs at */
static void
test_reconnect_without_reset(void)
{
	g_autoptr(GString) log = g_string_new(NULL);
	Rig rig = {0};
	g_autoptr(FkDevice) device = connect_esp32(&rig, 921600, log);

	/* from here on, as if the board had no reset circuit; and at the pace of a real link, so
	 * that a late reply holds back the ones after it */
	fk_device_set_reset_mode(device, FK_RESET_NONE);
	fk_sim_device_set_timing(rig.sim, TRUE, 0);
	/* the second READ_FLASH is answered 8 s late: longer than the wait for it and the SYNCs */
	fk_sim_device_add_fault(rig.sim, FK_SIM_FAULT_DELAY, 2, 8000);
	backup_must_succeed(&rig, device);
	g_assert_nonnull(strstr(log->str, "connecting again"));
	g_assert_cmpuint(fk_device_get_current_baud(device), ==, 921600);
	g_assert_cmpuint(fk_device_get_recoveries(device), ==, 1);
	rig_close(&rig);
}

/* a flash size the person chose survives the reconnect after a chip reset */
static void
test_reconnect_keeps_size(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) log = g_string_new(NULL);
	Rig rig = {0};
	g_autoptr(FkDevice) device = connect_esp32(&rig, FK_ROM_BAUD, log);

	g_assert_cmpuint(fk_device_get_flash_size(device), ==, FLASH_SIZE);
	g_assert_true(fk_device_set_flash_size(device, 2 * FLASH_SIZE, NULL, &error));
	g_assert_no_error(error);
	fk_sim_device_add_fault(rig.sim, FK_SIM_FAULT_RESET, 2, 0);
	backup_must_succeed(&rig, device);
	g_assert_cmpuint(fk_device_get_recoveries(device), ==, 1);
	g_assert_cmpuint(fk_device_get_flash_size(device), ==, 2 * FLASH_SIZE);
	rig_close(&rig);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/fk/faults/slower-after-errors", test_slower_after_errors);
	g_test_add_func("/fk/faults/reconnect-without-reset", test_reconnect_without_reset);
	g_test_add_func("/fk/faults/reconnect-keeps-size", test_reconnect_keeps_size);
	return g_test_run();
}
