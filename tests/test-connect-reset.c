/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The reset into download mode lets GPIO0 go as soon as the ROM has printed "waiting for
 * download" (it has sampled the pin then), and only then; a chip whose ROM says nothing readable
 * at 115200 (the ESP8266 prints at 74880) is held as long as before. The simulated chip starts
 * its firmware when GPIO0 goes before it was sampled. The first command at the ROM's new rate
 * waits as long as this link's round trip needs, so one try does behind 16 ms of latency. */
#include "config.h"

#include <string.h>

#include "fk-device.h"
#include "fk-protocol.h"
#include "fk-sim-device.h"
#include "fk-sim-transport.h"
#include "fk-test-util.h"

typedef struct {
	guint syncs_sent; /* SYNCs sent up to the first reply to one */
	gboolean synced;
	gboolean after_rom_baud; /* the ROM's CHANGE_BAUDRATE went, no other command since */
	guint rom_baud_changes;
	guint rom_baud_probes; /* READ_REGs right after the first CHANGE_BAUDRATE */
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
	if (g_str_has_prefix(line, "> READ_REG") && tr->after_rom_baud) {
		tr->rom_baud_probes++;
		return;
	}
	tr->after_rom_baud = FALSE;
	if (g_str_has_prefix(line, "> CHANGE_BAUDRATE") && tr->rom_baud_changes++ == 0)
		tr->after_rom_baud = TRUE;
}

/* connects at 921600 to a @chip paced with @latency_ms each way; *@tr and *@stats as it ended */
static void
connect_paced(const gchar *chip, guint latency_ms, Trace *tr, FkSimStats *stats)
{
	g_autoptr(FkSimDevice) sim = fk_test_sim_new(chip, 1024 * 1024, 0x20000);
	g_autoptr(FkTransport) transport = NULL;
	g_autoptr(FkDevice) device = NULL;
	g_autoptr(GError) error = NULL;

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
}

typedef struct {
	const gchar *chip;
	guint latency_ms;
} Case;

/* an ESP32-family chip: one reset, GPIO0 let go once the host had read the banner, which the
 * old fixed hold (reading only after GPIO0 went) never does; the first SYNC is answered */
static void
test_reset_banner(gconstpointer data)
{
	const Case *c = data;
	FkSimStats stats;
	Trace tr;

	if (!fk_test_stubs_available()) {
		g_test_skip("Espressif's stubs are not installed (tests/node: npm ci)");
		return;
	}
	connect_paced(c->chip, c->latency_ms, &tr, &stats);
	g_assert_cmpuint(stats.resets, ==, 1);
	g_assert_cmpuint(stats.download_boots, ==, 1);
	g_assert_cmpuint(stats.gpio0_early, ==, 0);
	g_assert_cmpuint(stats.gpio0_before_banner, ==, 0);
	g_assert_cmpuint(stats.gpio0_after_banner, ==, 1);
	g_assert_cmpuint(tr.gpio0_held, ==, 0);
	g_assert_true(tr.synced);
	g_assert_cmpuint(tr.syncs_sent, ==, 1);
}

/* the ESP8266's ROM prints at 74880, noise at 115200: GPIO0 is held the whole delay, as before,
 * and the chip still answers its first SYNC */
static void
test_reset_no_banner(gconstpointer data)
{
	const Case *c = data;
	FkSimStats stats;
	Trace tr;

	if (!fk_test_stubs_available()) {
		g_test_skip("Espressif's stubs are not installed (tests/node: npm ci)");
		return;
	}
	connect_paced(c->chip, c->latency_ms, &tr, &stats);
	g_assert_cmpuint(stats.resets, ==, 1);
	g_assert_cmpuint(stats.download_boots, ==, 1);
	g_assert_cmpuint(stats.gpio0_early, ==, 0);
	g_assert_cmpuint(stats.gpio0_after_banner, ==, 0);
	g_assert_cmpuint(stats.gpio0_before_banner, ==, 0);
	g_assert_cmpuint(tr.gpio0_held, ==, 1);
	g_assert_true(tr.synced);
	g_assert_cmpuint(tr.syncs_sent, ==, 1);
}

/* the ROM's first rate change is followed by one READ_REG: the first try waited long enough */
static void
test_rom_baud_one_probe(gconstpointer data)
{
	const Case *c = data;
	FkSimStats stats;
	Trace tr;

	if (!fk_test_stubs_available()) {
		g_test_skip("Espressif's stubs are not installed (tests/node: npm ci)");
		return;
	}
	connect_paced(c->chip, c->latency_ms, &tr, &stats);
	g_assert_cmpuint(tr.rom_baud_changes, >=, 1);
	g_assert_cmpuint(tr.rom_baud_probes, ==, 1);
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
	static const Case banner[] = {
	    {"esp32", 2}, {"esp32", 16}, {"esp32s3", 2}, {"esp32s3", 16}, {"esp32c3", 2}, {"esp32c3", 16},
	};
	static const Case esp8266[] = {{"esp8266", 2}, {"esp8266", 16}};
	static const Case probe[] = {{"esp32s3", 16}, {"esp32", 16}, {"esp32c3", 2}};

	g_test_init(&argc, &argv, NULL);
	for (guint i = 0; i < G_N_ELEMENTS(banner); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/connect-reset/banner/%s/%ums", banner[i].chip, banner[i].latency_ms);
		g_test_add_data_func(path, &banner[i], test_reset_banner);
	}
	for (guint i = 0; i < G_N_ELEMENTS(esp8266); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/connect-reset/no-banner/%s/%ums", esp8266[i].chip, esp8266[i].latency_ms);
		g_test_add_data_func(path, &esp8266[i], test_reset_no_banner);
	}
	for (guint i = 0; i < G_N_ELEMENTS(probe); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/connect-reset/rom-baud-probe/%s/%ums", probe[i].chip, probe[i].latency_ms);
		g_test_add_data_func(path, &probe[i], test_rom_baud_one_probe);
	}
	g_test_add_func("/connect-reset/sim-strap-sample", test_sim_strap_sample);
	return g_test_run();
}
