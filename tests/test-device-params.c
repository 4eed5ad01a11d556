/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The parameter-flip block: no checksum covers the offset and size of READ_FLASH,
 * READ_FLASH_SLOW, FLASH_BEGIN, FLASH_DEFL_BEGIN, ERASE_REGION and SPI_FLASH_MD5, so one bit
 * flipped there makes the loader act somewhere else. For each of them, offset and size, on the
 * ESP8266 and the ESP32, through the stub and the ROM where the command is used, on a flash full
 * of data: the fault must fire, and the operation must either succeed with everything right (the
 * backup byte for byte, the whole flash exactly as asked) or fail with a GError that names any
 * damage (FK_ERROR_OUTSIDE_CHANGED when the flash outside the target changed). Never success with
 * anything wrong anywhere. */
#include "config.h"

#include <string.h>

#include "fk-device.h"
#include "fk-error.h"
#include "fk-sim-device.h"
#include "fk-sim-transport.h"
#include "fk-test-util.h"

#define FLASH_SIZE (1024 * 1024)
#define FILL_START 0x1000
#define BACKUP_OFFSET 0x30000
#define BACKUP_SIZE (192 * 1024)
#define RESTORE_OFFSET 0x50000
#define RESTORE_SIZE (128 * 1024)
#define ERASE_OFFSET 0x40000
#define ERASE_SIZE (128 * 1024)

typedef enum { OP_BACKUP, OP_RESTORE, OP_ERASE } Op;
typedef enum { OUTCOME_RECOVERED, OUTCOME_FAILED_CLEANLY } Outcome;

typedef struct {
	const gchar *chip;
	gboolean stub;
	Op op;
	const gchar *fault; /* flip-param@… */
} Scenario;

static const Scenario scenarios[] = {
    /* backups: the stub's stream, the ROM's slow read, and the checks of both */
    {"esp32", TRUE, OP_BACKUP, "flip-param@READ_FLASH#2:OFFSET.16"},
    {"esp32", TRUE, OP_BACKUP, "flip-param@READ_FLASH#2:SIZE.12"},
    {"esp8266", TRUE, OP_BACKUP, "flip-param@READ_FLASH#2:OFFSET.16"},
    {"esp8266", TRUE, OP_BACKUP, "flip-param@READ_FLASH#1:SIZE.12"},
    {"esp32", FALSE, OP_BACKUP, "flip-param@READ_FLASH_SLOW#1100:OFFSET.16"},
    {"esp32", FALSE, OP_BACKUP, "flip-param@READ_FLASH_SLOW#1100:SIZE.5"},
    {"esp32", TRUE, OP_BACKUP, "flip-param@SPI_FLASH_MD5#2:OFFSET.16"},
    {"esp32", TRUE, OP_BACKUP, "flip-param@SPI_FLASH_MD5#2:SIZE.12"},
    {"esp8266", TRUE, OP_BACKUP, "flip-param@SPI_FLASH_MD5#1:OFFSET.16"},
    {"esp32", FALSE, OP_BACKUP, "flip-param@SPI_FLASH_MD5#2:SIZE.12"},
    /* restores: the write begins, and the digests of the map (1-5), the verification (6) and
     * the check of the map (7-11) */
    {"esp32", TRUE, OP_RESTORE, "flip-param@FLASH_DEFL_BEGIN#1:OFFSET.16"},
    {"esp32", TRUE, OP_RESTORE, "flip-param@FLASH_DEFL_BEGIN#1:SIZE.16"},
    {"esp8266", TRUE, OP_RESTORE, "flip-param@FLASH_DEFL_BEGIN#1:OFFSET.16"},
    {"esp8266", TRUE, OP_RESTORE, "flip-param@FLASH_DEFL_BEGIN#1:SIZE.16"},
    {"esp32", FALSE, OP_RESTORE, "flip-param@FLASH_BEGIN#1:OFFSET.16"},
    {"esp32", FALSE, OP_RESTORE, "flip-param@FLASH_BEGIN#1:SIZE.16"},
    {"esp32", TRUE, OP_RESTORE, "flip-param@SPI_FLASH_MD5#3:OFFSET.16"},
    {"esp32", TRUE, OP_RESTORE, "flip-param@SPI_FLASH_MD5#6:SIZE.12"},
    {"esp8266", TRUE, OP_RESTORE, "flip-param@SPI_FLASH_MD5#9:OFFSET.16"},
    {"esp32", FALSE, OP_RESTORE, "flip-param@SPI_FLASH_MD5#6:OFFSET.16"},
    /* erases: the stub's ERASE_REGION, the ROM's erase through FLASH_BEGIN, and the digests of
     * the map (1-4), the blank check (5) and the check of the map (6-9) */
    {"esp32", TRUE, OP_ERASE, "flip-param@ERASE_REGION#1:OFFSET.16"},
    {"esp32", TRUE, OP_ERASE, "flip-param@ERASE_REGION#1:SIZE.18"},
    {"esp8266", TRUE, OP_ERASE, "flip-param@ERASE_REGION#1:OFFSET.16"},
    {"esp8266", TRUE, OP_ERASE, "flip-param@ERASE_REGION#1:SIZE.18"},
    {"esp32", FALSE, OP_ERASE, "flip-param@FLASH_BEGIN#1:OFFSET.16"},
    {"esp32", FALSE, OP_ERASE, "flip-param@FLASH_BEGIN#1:SIZE.18"},
    {"esp32", TRUE, OP_ERASE, "flip-param@SPI_FLASH_MD5#5:OFFSET.16"},
    {"esp8266", TRUE, OP_ERASE, "flip-param@SPI_FLASH_MD5#8:SIZE.12"},
};

static guint n_recovered = 0;
static guint n_failed = 0;

static void
trace_cb(const gchar *line, gpointer user_data)
{
	guint *fired = user_data;
	if (strstr(line, "! fault: bit") != NULL)
		(*fired)++;
}

static void
test_scenario(gconstpointer data)
{
	const Scenario *sc = data;
	g_autoptr(FkSimDevice) sim = NULL;
	g_autoptr(FkTransport) transport = NULL;
	g_autoptr(FkDevice) device = NULL;
	g_autoptr(GBytes) before = NULL;
	g_autoptr(GBytes) after = NULL;
	g_autoptr(GBytes) image = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree guint8 *expected = NULL;
	g_autoptr(GOutputStream) out = NULL;
	guint fired = 0;
	gboolean ok = FALSE;

	if (sc->stub && fk_test_skip_without_stubs())
		return;
	sim = fk_test_sim_new(sc->chip, FLASH_SIZE, FILL_START);
	transport = fk_sim_transport_new(sim);
	device = fk_device_new(transport);
	fk_device_set_use_stub(device, sc->stub);
	g_assert_true(fk_device_connect(device, NULL, &error));
	g_assert_no_error(error);
	before = fk_sim_device_get_flash(sim);
	expected = g_memdup2(g_bytes_get_data(before, NULL), FLASH_SIZE);
	fk_sim_device_set_trace_func(sim, trace_cb, &fired);
	g_assert_true(fk_sim_device_add_faults_from_string(sim, sc->fault, &error));
	g_assert_no_error(error);

	switch (sc->op) {
	case OP_BACKUP:
		out = g_memory_output_stream_new_resizable();
		ok = fk_device_read_flash(device, BACKUP_OFFSET, BACKUP_SIZE, out, NULL, NULL, NULL, &error);
		if (ok) {
			g_assert_true(g_output_stream_close(out, NULL, NULL));
			g_assert_cmpmem(g_memory_output_stream_get_data(G_MEMORY_OUTPUT_STREAM(out)),
					g_memory_output_stream_get_data_size(G_MEMORY_OUTPUT_STREAM(out)),
					expected + BACKUP_OFFSET, BACKUP_SIZE);
		}
		break;
	case OP_RESTORE:
		image = fk_test_pattern(RESTORE_SIZE, 9);
		memcpy(expected + RESTORE_OFFSET, g_bytes_get_data(image, NULL), RESTORE_SIZE);
		ok = fk_device_write_flash(device, RESTORE_OFFSET, image, FK_WRITE_FLAG_NONE, NULL, NULL, &error);
		break;
	case OP_ERASE:
	default:
		memset(expected + ERASE_OFFSET, 0xFF, ERASE_SIZE);
		ok = fk_device_erase_region(device, ERASE_OFFSET, ERASE_SIZE, NULL, NULL, &error);
		break;
	}
	fk_sim_device_set_trace_func(sim, NULL, NULL);
	g_assert_cmpuint(fired, ==, 1);
	after = fk_sim_device_get_flash(sim);

	if (ok) {
		/* success: everything, everywhere, exactly as asked */
		g_assert_no_error(error);
		g_assert_cmpmem(g_bytes_get_data(after, NULL), FLASH_SIZE, expected, FLASH_SIZE);
		g_test_message("%s %s %s: recovered", sc->chip, sc->stub ? "stub" : "ROM", sc->fault);
		n_recovered++;
		return;
	}
	/* a clean failure: our error, and any damage outside the target named as such */
	g_assert_nonnull(error);
	g_test_message("%s %s %s: failed: %s", sc->chip, sc->stub ? "stub" : "ROM", sc->fault, error->message);
	g_assert_true(error->domain == FK_ERROR || error->domain == FK_PROTOCOL_ERROR ||
		      error->domain == FK_DEVICE_ERROR);
	if (sc->op != OP_BACKUP) {
		const guint8 *now = g_bytes_get_data(after, NULL);
		guint32 lo = sc->op == OP_RESTORE ? RESTORE_OFFSET : ERASE_OFFSET;
		guint32 hi = lo + (sc->op == OP_RESTORE ? RESTORE_SIZE : ERASE_SIZE);
		gboolean outside = memcmp(now, expected, lo) != 0 || memcmp(now + hi, expected + hi, FLASH_SIZE - hi) != 0;
		if (outside)
			g_assert_error(error, FK_ERROR, FK_ERROR_OUTSIDE_CHANGED);
	}
	n_failed++;
}

static void
test_summary(void)
{
	g_test_message("parameter flips: %u recovered, %u failed cleanly, 0 successes with wrong data",
		       n_recovered, n_failed);
	if (fk_test_stubs_available())
		g_assert_cmpuint(n_recovered * 2, >=, n_recovered + n_failed);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (guint i = 0; i < G_N_ELEMENTS(scenarios); i++) {
		const Scenario *sc = &scenarios[i];
		/* one level, so that the summary runs after every scenario */
		g_autofree gchar *path = g_strdup_printf("/params/%s-%s-%s-%s", sc->op == OP_BACKUP ? "backup"
										: sc->op == OP_RESTORE ? "restore"
													: "erase",
							 sc->chip, sc->stub ? "stub" : "rom",
							 sc->fault + strlen("flip-param@"));
		g_test_add_data_func(path, sc, test_scenario);
	}
	g_test_add_func("/params/summary", test_summary);
	return g_test_run();
}
