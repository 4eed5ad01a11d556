/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The loader layer on its own, without an FkDevice: reset and SYNC, a register read, a command
 * the ROM does not know, a deadline. */
#include "config.h"

#include "fk-chip.h"
#include "fk-error.h"
#include "fk-loader.h"
#include "fk-protocol.h"
#include "fk-reset.h"
#include "fk-sim-device.h"
#include "fk-sim-transport.h"

typedef struct {
	FkSimDevice *sim;
	FkTransport *transport;
	FkLoader *loader;
} Fixture;

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	gboolean stub_detected = TRUE;

	fx->sim = fk_sim_device_new("esp32", 0, 42, &error);
	g_assert_no_error(error);
	fk_sim_device_set_boot_mode(fx->sim, FK_SIM_BOOT_APP);
	fk_sim_device_set_timing(fx->sim, FALSE, 0);
	fx->transport = fk_sim_transport_new(fx->sim);
	fx->loader = fk_loader_new(fx->transport);
	g_assert_true(fk_transport_set_baud(fx->transport, FK_ROM_BAUD, &error));
	g_assert_no_error(error);
	g_assert_true(fk_reset_and_sync(fx->loader, FK_RESET_AUTO, &stub_detected, NULL, &error));
	g_assert_no_error(error);
	g_assert_false(stub_detected);
	fk_loader_set_kind(fx->loader, FK_LOADER_ROM32);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	g_clear_pointer(&fx->loader, fk_loader_free);
	fk_transport_close(fx->transport);
	g_clear_object(&fx->transport);
	g_clear_object(&fx->sim);
}

static void
test_read_reg(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	const FkChipInfo *chip;
	guint32 magic = 0;

	g_assert_true(fk_loader_read_reg(fx->loader, FK_CHIP_DETECT_MAGIC_REG, &magic, NULL, &error));
	g_assert_no_error(error);
	chip = fk_chip_by_magic(magic);
	g_assert_nonnull(chip);
	g_assert_cmpint(chip->family, ==, FK_CHIP_ESP32);
}

static void
test_unsupported(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	/* a stub command: the ROM rejects it, and the loader can go on afterwards */
	g_assert_false(fk_loader_command(fx->loader, FK_OP_ERASE_FLASH, NULL, 0, FK_TIMEOUT_DEFAULT_MS, NULL, &error));
	g_assert_nonnull(error);
	g_assert_true(fk_loader_is_unsupported(error));
	g_clear_error(&error);
	test_read_reg(fx, data);
}

static void
test_deadline(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GByteArray) frame = NULL;

	/* nothing was asked, so nothing comes */
	frame = fk_loader_read_frame(fx->loader, 50, NULL, &error);
	g_assert_null(frame);
	g_assert_error(error, FK_ERROR, FK_ERROR_TIMEOUT);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/fk/loader/read-reg", Fixture, NULL, fixture_setup, test_read_reg, fixture_teardown);
	g_test_add("/fk/loader/unsupported", Fixture, NULL, fixture_setup, test_unsupported, fixture_teardown);
	g_test_add("/fk/loader/deadline", Fixture, NULL, fixture_setup, test_deadline, fixture_teardown);
	return g_test_run();
}
