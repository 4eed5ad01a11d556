/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The reset into download mode lets GPIO0 go as soon as the ROM has printed "waiting for
 * download" (it has sampled the pin then), and only then; a chip whose ROM says nothing readable
 * at 115200 (the ESP8266 prints at 74880) is held as long as before. The simulated chip starts
 * its firmware when GPIO0 goes before it was sampled. The first command at the ROM's new rate
 * waits as long as this link's round trip needs, so one try does behind 16 ms of latency. */
#include "config.h"

#include <string.h>

#include "fk-device.h"
#include "fk-error.h"
#include "fk-protocol.h"
#include "fk-sim-device.h"
#include "fk-sim-transport.h"
#include "fk-test-util.h"

typedef struct {
	guint syncs_sent; /* SYNCs sent up to the first reply to one */
	gboolean synced;
	gboolean after_baud; /* the first CHANGE_BAUDRATE went, no other command since */
	guint baud_changes;
	guint baud_probes; /* READ_REGs right after the first CHANGE_BAUDRATE (an ESP32-family
			    * ROM's: the stub upload comes next) */
	guint gpio0_held;      /* the engine held GPIO0 its whole delay */
} Trace;

static void
log_cb(const gchar *message, gpointer user_data)
{
	Trace *tr = user_data;
	if (g_str_has_prefix(message, "GPIO0 held for "))
		tr->gpio0_held++;
}

static void
trace_cb(const gchar *line, gpointer user_data)
{
	Trace *tr = user_data;
	if (g_str_has_prefix(line, "< SYNC"))
		tr->synced = TRUE;
	if (!g_str_has_prefix(line, "> "))
		return;
	if (g_str_has_prefix(line, "> SYNC") && !tr->synced)
		tr->syncs_sent++;
	if (g_str_has_prefix(line, "> READ_REG") && tr->after_baud) {
		tr->baud_probes++;
		return;
	}
	tr->after_baud = FALSE;
	if (g_str_has_prefix(line, "> CHANGE_BAUDRATE") && tr->baud_changes++ == 0)
		tr->after_baud = TRUE;
}

/* connects at 921600 to a @chip paced with @latency_ms each way; *@tr and *@stats as it ended.
 * FALSE: skipped, the stubs are not there */
static gboolean
connect_paced(const gchar *chip, guint latency_ms, Trace *tr, FkSimStats *stats)
{
	g_autoptr(FkSimDevice) sim = NULL;
	g_autoptr(FkTransport) transport = NULL;
	g_autoptr(FkDevice) device = NULL;
	g_autoptr(GError) error = NULL;

	if (fk_test_skip_without_stubs())
		return FALSE;
	sim = fk_test_sim_new(chip, 1024 * 1024, 0x20000);
	fk_sim_device_set_timing(sim, TRUE, latency_ms * 1000);
	transport = fk_sim_transport_new(sim);
	device = fk_device_new(transport);
	fk_device_set_baud(device, 921600);
	memset(tr, 0, sizeof(*tr));
	fk_sim_device_set_trace_func(sim, trace_cb, tr);
	fk_device_set_log_func(device, log_cb, tr);
	g_assert_true(fk_device_connect(device, NULL, &error));
	g_assert_no_error(error);
	fk_sim_device_set_trace_func(sim, NULL, NULL);
	fk_sim_device_get_stats(sim, stats);
	g_assert_true(fk_device_is_stub_running(device));
	return TRUE;
}

typedef struct {
	const gchar *chip;
	guint latency_ms;
	gboolean banner; /* its ROM prints "waiting for download" at 115200 */
} Case;

/* one reset, GPIO0 never let go before the chip sampled it, the first SYNC answered. An
 * ESP32-family chip: GPIO0 let go once the host had read the ROM's line, which a fixed hold
 * (reading only after GPIO0 went) never does, and the ROM's rate change followed by one READ_REG
 * (the first try waited long enough). The ESP8266 (its ROM prints at 74880, noise at 115200):
 * GPIO0 held the whole delay, as before */
static void
test_reset(gconstpointer data)
{
	const Case *c = data;
	FkSimStats stats;
	Trace tr;

	if (!connect_paced(c->chip, c->latency_ms, &tr, &stats))
		return;
	g_assert_cmpuint(stats.resets, ==, 1);
	g_assert_cmpuint(stats.download_boots, ==, 1);
	g_assert_cmpuint(stats.gpio0_early, ==, 0);
	g_assert_cmpuint(stats.gpio0_before_banner, ==, 0);
	g_assert_cmpuint(stats.gpio0_after_banner, ==, c->banner ? 1 : 0);
	g_assert_cmpuint(tr.gpio0_held, ==, c->banner ? 0 : 1);
	g_assert_true(tr.synced);
	g_assert_cmpuint(tr.syncs_sent, ==, 1);
	if (c->banner) {
		g_assert_cmpuint(tr.baud_changes, >=, 1);
		g_assert_cmpuint(tr.baud_probes, ==, 1);
	}
}

/* a board whose reset circuit does not reach GPIO0: no "waiting for download" ever comes, every
 * reset holds the whole delay, and what the firmware's boot printed names the wrong boot mode */
static void
test_reset_gpio0_unwired(void)
{
	g_autoptr(FkSimDevice) sim = fk_test_sim_new("esp32", 1024 * 1024, 0x20000);
	g_autoptr(FkTransport) transport = NULL;
	g_autoptr(FkDevice) device = NULL;
	g_autoptr(GError) error = NULL;
	FkSimStats stats;
	Trace tr = {0};

	fk_sim_device_set_timing(sim, TRUE, 2000);
	fk_sim_device_set_gpio0_wired(sim, FALSE);
	transport = fk_sim_transport_new(sim);
	device = fk_device_new(transport);
	fk_device_set_log_func(device, log_cb, &tr);
	g_assert_false(fk_device_connect(device, NULL, &error));
	g_assert_error(error, FK_ERROR, FK_ERROR_WRONG_BOOT_MODE);
	fk_sim_device_get_stats(sim, &stats);
	g_assert_cmpuint(stats.download_boots, ==, 0);
	g_assert_cmpuint(stats.resets, >, 1);
	g_assert_cmpuint(tr.gpio0_held, ==, stats.resets);
}

/* the simulated chip itself, on a clock of its own: the lines of the tight reset, GPIO0 let go
 * @release_us after EN rose. Returns what the host read by 300 ms later */
static gchar *
sim_reset_release_at(gint64 release_us, FkSimStats *stats, gsize *read_before_release)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FkSimDevice) sim = fk_sim_device_new("esp32", 1024 * 1024, 1, &error);
	g_autoptr(GString) text = g_string_new(NULL);
	gint64 t = 1000000;
	guint8 buf[1024];
	gsize n;

	g_assert_no_error(error);
	fk_sim_device_set_boot_mode(sim, FK_SIM_BOOT_APP);
	fk_sim_device_set_timing(sim, TRUE, 2000);
	fk_sim_device_host_open(sim, t);
	fk_sim_device_set_lines(sim, FALSE, FALSE, t);
	fk_sim_device_set_lines(sim, TRUE, TRUE, t);
	fk_sim_device_set_lines(sim, FALSE, TRUE, t);
	t += 100000;
	fk_sim_device_flush_host_input(sim);
	fk_sim_device_set_lines(sim, TRUE, FALSE, t); /* EN rises, GPIO0 held low */
	*read_before_release = fk_sim_device_host_read(sim, buf, sizeof(buf), t + release_us, NULL);
	g_string_append_len(text, (const gchar *)buf, (gssize)*read_before_release);
	fk_sim_device_set_lines(sim, FALSE, FALSE, t + release_us);
	n = fk_sim_device_host_read(sim, buf, sizeof(buf), t + release_us + 300000, NULL);
	g_string_append_len(text, (const gchar *)buf, (gssize)n);
	fk_sim_device_get_stats(sim, stats);
	return g_string_free(g_steal_pointer(&text), FALSE);
}

/* GPIO0 let go before the chip sampled it: the chip starts its firmware, and nothing came
 * before the sample. Let go after the banner was read: download mode */
static void
test_sim_strap_sample(void)
{
	FkSimStats stats;
	gsize before = 0;
	g_autofree gchar *early = sim_reset_release_at(500, &stats, &before);
	g_autofree gchar *late = NULL;

	g_assert_cmpuint(before, ==, 0);
	g_assert_cmpuint(stats.gpio0_early, ==, 1);
	g_assert_cmpuint(stats.download_boots, ==, 0);
	g_assert_nonnull(strstr(early, "SPI_FAST_FLASH_BOOT"));
	g_assert_null(strstr(early, "waiting for download"));

	late = sim_reset_release_at(40000, &stats, &before);
	g_assert_cmpuint(before, >, 0);
	g_assert_cmpuint(stats.gpio0_early, ==, 0);
	g_assert_cmpuint(stats.gpio0_after_banner, ==, 1);
	g_assert_cmpuint(stats.download_boots, ==, 1);
	g_assert_nonnull(strstr(late, "waiting for download\r\n"));
}

int
main(int argc, char **argv)
{
	static const Case resets[] = {
	    {"esp32", 2, TRUE},	  {"esp32", 16, TRUE},	 {"esp32s3", 2, TRUE},	{"esp32s3", 16, TRUE},
	    {"esp32c3", 2, TRUE}, {"esp32c3", 16, TRUE}, {"esp8266", 2, FALSE}, {"esp8266", 16, FALSE},
	};

	g_test_init(&argc, &argv, NULL);
	for (guint i = 0; i < G_N_ELEMENTS(resets); i++) {
		g_autofree gchar *path = g_strdup_printf("/connect-reset/%s/%s/%ums",
							 resets[i].banner ? "banner" : "no-banner",
							 resets[i].chip,
							 resets[i].latency_ms);
		g_test_add_data_func(path, &resets[i], test_reset);
	}
	g_test_add_func("/connect-reset/gpio0-unwired", test_reset_gpio0_unwired);
	g_test_add_func("/connect-reset/sim-strap-sample", test_sim_strap_sample);
	return g_test_run();
}
