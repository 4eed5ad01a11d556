/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "fk-device.h"
#include "fk-error.h"
#include "fk-port.h"
#include "fk-transport-serial.h"
#include "fk-pty-interposer.h"
#include "fk-sim-device.h"

/*
 * FkDevice through the real libserialport backend: the simulated chip sits on the master side
 * of a pseudo-terminal, served by a thread as a USB-serial adapter would serve a board. DTR and
 * RTS reach it through the interposer, the baud rate through the slave's terminal settings.
 */

/* struct termios2 as the kernel has it; <asm/termbits.h> cannot be mixed with <termios.h> */
struct fk_termios2 {
	tcflag_t c_iflag;
	tcflag_t c_oflag;
	tcflag_t c_cflag;
	tcflag_t c_lflag;
	cc_t c_line;
	cc_t c_cc[19];
	speed_t c_ispeed;
	speed_t c_ospeed;
};
#define FK_TCGETS2 _IOR('T', 0x2A, struct fk_termios2)

typedef struct {
	FkSimDevice *sim;
	gint master;
	gint peek; /* the slave, held open to watch its speed */
	gchar *slave_path;
	guint baud;
	gint stop;
	guint line_changes;
	GThread *thread;
} FkSimBridge;

static void
fk_sim_bridge_lines_cb(gint fd, gboolean dtr, gboolean rts, gint64 when_us, gpointer user_data)
{
	FkSimBridge *bridge = user_data;
	g_atomic_int_inc(&bridge->line_changes);
	fk_sim_device_set_lines(bridge->sim, dtr, rts, g_get_monotonic_time());
}

/* the rate the host set on its side of the line */
static void
fk_sim_bridge_sync_baud(FkSimBridge *bridge)
{
	struct fk_termios2 tio2 = {0};
	if (ioctl(bridge->peek, FK_TCGETS2, &tio2) != 0)
		return;
	if (tio2.c_ospeed != 0 && tio2.c_ospeed != bridge->baud) {
		bridge->baud = tio2.c_ospeed;
		fk_sim_device_set_host_baud(bridge->sim, bridge->baud, g_get_monotonic_time());
	}
}

static void
fk_sim_bridge_write_all(FkSimBridge *bridge, const guint8 *data, gsize len)
{
	gsize done = 0;
	while (done < len) {
		ssize_t n = write(bridge->master, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		done += (gsize)n;
	}
}

static gpointer
fk_sim_bridge_thread(gpointer user_data)
{
	FkSimBridge *bridge = user_data;
	guint8 buf[4096];

	while (!g_atomic_int_get(&bridge->stop)) {
		struct pollfd pfd = {.fd = bridge->master, .events = POLLIN};
		gsize n;

		if (poll(&pfd, 1, 1) > 0 && (pfd.revents & POLLIN) != 0) {
			ssize_t got = read(bridge->master, buf, sizeof(buf));
			if (got > 0) {
				/* the bytes were sent after any speed change that preceded them */
				fk_sim_bridge_sync_baud(bridge);
				fk_sim_device_host_write(bridge->sim,
							 buf,
							 (gsize)got,
							 g_get_monotonic_time());
			}
		}
		fk_sim_bridge_sync_baud(bridge);
		n = fk_sim_device_host_read(bridge->sim,
					    buf,
					    sizeof(buf),
					    g_get_monotonic_time(),
					    NULL);
		if (n > 0)
			fk_sim_bridge_write_all(bridge, buf, n);
	}
	return NULL;
}

static void
fk_sim_bridge_setup(FkSimBridge *bridge, gconstpointer user_data)
{
	const gchar *chip = user_data;
	g_autoptr(GError) error = NULL;
	char name[128];

	bridge->sim = fk_sim_device_new(chip, 0, 7, &error);
	g_assert_no_error(error);
	/* running its application: only the DTR/RTS reset brings it into the loader */
	fk_sim_device_set_boot_mode(bridge->sim, FK_SIM_BOOT_APP);

	bridge->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	g_assert_cmpint(bridge->master, >=, 0);
	g_assert_cmpint(grantpt(bridge->master), ==, 0);
	g_assert_cmpint(unlockpt(bridge->master), ==, 0);
	g_assert_cmpint(ptsname_r(bridge->master, name, sizeof(name)), ==, 0);
	bridge->slave_path = g_strdup(name);
	bridge->peek = open(name, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	g_assert_cmpint(bridge->peek, >=, 0);

	fk_pty_interposer_reset();
	fk_pty_interposer_set_lines_func(fk_sim_bridge_lines_cb, bridge);
	/* opening a tty raises DTR and RTS together, which resets nothing */
	fk_sim_device_host_open(bridge->sim, g_get_monotonic_time());
	fk_sim_device_set_lines(bridge->sim, TRUE, TRUE, g_get_monotonic_time());
	bridge->thread = g_thread_new("sim-bridge", fk_sim_bridge_thread, bridge);
}

static void
fk_sim_bridge_teardown(FkSimBridge *bridge, gconstpointer user_data)
{
	g_atomic_int_set(&bridge->stop, 1);
	g_thread_join(bridge->thread);
	fk_pty_interposer_set_lines_func(NULL, NULL);
	fk_sim_device_host_close(bridge->sim);
	close(bridge->peek);
	close(bridge->master);
	g_free(bridge->slave_path);
	g_clear_object(&bridge->sim);
}

static void
fk_sim_bridge_log_cb(const gchar *message, gpointer user_data)
{
	g_test_message("%s", message);
}

static void
fk_device_pty_connect_and_read(FkSimBridge *bridge, gboolean stub, guint baud)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FkTransport) transport = NULL;
	g_autoptr(FkDevice) device = NULL;
	g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable();
	g_autoptr(GBytes) flash = NULL;
	g_autoptr(GBytes) got = NULL;
	g_autoptr(GBytes) expected = NULL;
	const gsize len = 64 * 1024;
	FkSimStats stats = {0};

	transport = fk_transport_serial_open(bridge->slave_path, &error);
	g_assert_no_error(error);
	device = fk_device_new(transport);
	fk_device_set_log_func(device, fk_sim_bridge_log_cb, NULL);
	fk_device_set_use_stub(device, stub);
	fk_device_set_baud(device, baud);

	g_assert_true(fk_device_connect(device, NULL, &error));
	g_assert_no_error(error);
	g_test_message("connected: %s", fk_device_get_chip_description(device));

	/* the board was reset into its loader by the lines, as seen by the chip */
	fk_sim_device_get_stats(bridge->sim, &stats);
	g_assert_cmpuint(stats.resets, >=, 1);
	g_assert_cmpuint(stats.download_boots, >=, 1);
	g_assert_cmpuint(g_atomic_int_get(&bridge->line_changes), >=, 3);
	g_assert_cmpint(stats.stub_running, ==, stub);
	if (baud > 115200) {
		g_assert_cmpuint(stats.baud, ==, baud);
		g_assert_cmpuint(fk_transport_get_baud(transport), ==, baud);
		g_assert_cmpuint(bridge->baud, ==, baud);
	}

	/* data flows both ways through libserialport */
	g_assert_true(fk_device_read_flash(device, 0, len, out, NULL, NULL, NULL, &error));
	g_assert_no_error(error);
	g_assert_true(g_output_stream_close(out, NULL, &error));
	got = g_memory_output_stream_steal_as_bytes(G_MEMORY_OUTPUT_STREAM(out));
	flash = fk_sim_device_get_flash(bridge->sim);
	expected = g_bytes_new_from_bytes(flash, 0, len);
	g_assert_cmpmem(g_bytes_get_data(got, NULL),
			g_bytes_get_size(got),
			g_bytes_get_data(expected, NULL),
			g_bytes_get_size(expected));

	/* and back to the application with another pulse on RTS */
	g_assert_true(fk_device_finish(device, FK_AFTER_HARD_RESET, NULL, &error));
	g_assert_no_error(error);
	fk_transport_close(transport);
	{
		FkSimStats after = {0};
		fk_sim_device_get_stats(bridge->sim, &after);
		g_assert_cmpuint(after.resets, >, stats.resets);
	}
}

static void
test_device_pty_rom(FkSimBridge *bridge, gconstpointer user_data)
{
	fk_device_pty_connect_and_read(bridge, FALSE, 115200);
}

static void
test_device_pty_stub(FkSimBridge *bridge, gconstpointer user_data)
{
	fk_device_pty_connect_and_read(bridge, TRUE, 921600);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/fk/pty/device/esp32-rom",
		   FkSimBridge,
		   "esp32",
		   fk_sim_bridge_setup,
		   test_device_pty_rom,
		   fk_sim_bridge_teardown);
	g_test_add("/fk/pty/device/esp32-stub-921600",
		   FkSimBridge,
		   "esp32",
		   fk_sim_bridge_setup,
		   test_device_pty_stub,
		   fk_sim_bridge_teardown);
	g_test_add("/fk/pty/device/esp8266-stub",
		   FkSimBridge,
		   "esp8266",
		   fk_sim_bridge_setup,
		   test_device_pty_stub,
		   fk_sim_bridge_teardown);
	return g_test_run();
}
