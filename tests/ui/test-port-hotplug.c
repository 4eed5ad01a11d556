/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Hot-plug: the port monitor and the port picker follow udev's events for serial ports, and a
 * newly plugged ESP board is selected when the person had chosen nothing. Runs under umockdev's
 * test bed (umockdev-wrapper), whose fake sysfs both GUdev and libserialport read and whose fake
 * uevents GUdev receives, and under Xvfb for the window. Calls umockdev, the port monitor, the
 * port picker and the window. */
#include "config.h"

#include <gudev/gudev.h>
#include <locale.h>
#include <string.h>
#include <umockdev.h>

#include "fk-port-monitor.h"
#include "fk-port-picker.h"
#include "fk-port.h"
#include "fk-test-util.h"
#include "fk-window-test-util.h"

/* how long a signal that must come is waited for before the test fails: far beyond what the
 * busiest machine needs, short of the harness's own timeout */
#define WAIT_S 120

#define PORT_SIM_ESP32 "sim:esp32@4MB,paced,latency=2"

static UMockdevTestbed *testbed = NULL;
static GUdevClient *witness = NULL; /* the test's own listener: when it heard, so did the app's */
static guint witnessed = 0;

/* ---- boards plugged into the test bed ---- */

typedef struct {
	const gchar *usb;	   /* the USB device's sysfs name, e.g. 1-2 */
	const gchar *tty;	   /* ttyUSB0: a USB-serial bridge; ttyACM0: a CDC ACM port */
	guint16 vid, pid;
	const gchar *product;
	const gchar *manufacturer; /* NULL: none */
} Board;

static const Board board_cp2102n = {"1-2", "ttyUSB0", 0x10c4, 0xea60, "CP2102N USB to UART Bridge Controller",
				    "Silicon Labs"};
static const Board board_ch340 = {"1-3", "ttyUSB1", 0x1a86, 0x7523, "USB Serial", NULL};
static const Board board_usb_jtag = {"1-4", "ttyACM0", 0x303a, 0x1001, "USB JTAG/serial debug unit", "Espressif"};
/* a USB serial port that is not an ESP board's (an Arduino Uno) */
static const Board board_other = {"1-5", "ttyACM1", 0x2341, 0x0043, "Arduino Uno", "Arduino (www.arduino.cc)"};

#define USB_ROOT "/devices/pci0000:00/0000:00:14.0/usb1"

static gboolean
board_is_acm(const Board *b)
{
	return g_str_has_prefix(b->tty, "ttyACM");
}

static gchar *
board_dev(const Board *b)
{
	return g_strdup_printf("/dev/%s", b->tty);
}

/* the tty's sysfs path, as uevents name it */
static gchar *
board_tty_syspath(const Board *b)
{
	if (board_is_acm(b))
		return g_strdup_printf("/sys" USB_ROOT "/%s/%s:1.0/tty/%s", b->usb, b->usb, b->tty);
	return g_strdup_printf("/sys" USB_ROOT "/%s/%s:1.0/%s/tty/%s", b->usb, b->usb, b->tty, b->tty);
}

/* the devices as the kernel lays them out (tty, usb-serial port for a bridge, interface, USB
 * device), in umockdev's record format: the tty's "device" link is what libserialport follows
 * up to the USB ids. The tty has no "dev" attribute, so no device node: umockdev would stand a
 * pty in for it, and its realpath() (0.17) overruns its buffer on those. Opening the port fails
 * as for a board pulled out at once, which is all the window test needs. */
static gchar *
board_record(const Board *b)
{
	g_autoptr(GString) s = g_string_new(NULL);
	g_autofree gchar *tty = board_tty_syspath(b);
	guint minor = (guint)(b->tty[strlen(b->tty) - 1] - '0');
	gboolean acm = board_is_acm(b);

	g_string_append_printf(s, "P: %s\nE: DEVNAME=/dev/%s\nE: SUBSYSTEM=tty\nE: MAJOR=%u\nE: MINOR=%u\n", tty + 4,
			       b->tty, acm ? 166 : 188, minor);
	if (acm) {
		g_string_append_printf(s, "L: device=../../../%s:1.0\n\n", b->usb);
	} else {
		g_string_append_printf(s, "L: device=../../../%s\n\n", b->tty);
		g_string_append_printf(s, "P: " USB_ROOT "/%s/%s:1.0/%s\nE: SUBSYSTEM=usb-serial\n\n", b->usb, b->usb,
				       b->tty);
	}
	g_string_append_printf(s, "P: " USB_ROOT "/%s/%s:1.0\nE: SUBSYSTEM=usb\nE: DEVTYPE=usb_interface\n"
				  "A: bInterfaceNumber=00\n\n",
			       b->usb, b->usb);
	g_string_append_printf(s, "P: " USB_ROOT "/%s\nE: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\n"
				  "A: idVendor=%04x\nA: idProduct=%04x\nA: busnum=1\nA: devnum=%u\nA: product=%s\n",
			       b->usb, b->vid, b->pid, minor + 2, b->product);
	if (b->manufacturer != NULL)
		g_string_append_printf(s, "A: manufacturer=%s\n", b->manufacturer);
	g_string_append(s, "\n");
	return g_string_free(g_steal_pointer(&s), FALSE);
}

/* plugs @b in: umockdev adds its devices and sends "add" for each, as udev does once its rules ran */
static void
plug(const Board *b)
{
	g_autofree gchar *record = board_record(b);
	g_autoptr(GError) error = NULL;
	g_assert_true(umockdev_testbed_add_from_string(testbed, record, &error));
	g_assert_no_error(error);
}

/* pulls @b out: as with the kernel, sysfs is empty by the time the "remove" is read */
static void
unplug(const Board *b)
{
	g_autofree gchar *tty = board_tty_syspath(b);
	g_autofree gchar *intf = g_strdup_printf("/sys" USB_ROOT "/%s/%s:1.0", b->usb, b->usb);
	g_autofree gchar *usb = g_strdup_printf("/sys" USB_ROOT "/%s", b->usb);
	umockdev_testbed_uevent(testbed, tty, "remove");
	umockdev_testbed_remove_device(testbed, tty);
	if (!board_is_acm(b)) {
		g_autofree gchar *port = g_strdup_printf("/sys" USB_ROOT "/%s/%s:1.0/%s", b->usb, b->usb, b->tty);
		umockdev_testbed_remove_device(testbed, port);
	}
	umockdev_testbed_remove_device(testbed, intf);
	umockdev_testbed_remove_device(testbed, usb);
}

static void
send_uevent(const Board *b, const gchar *action)
{
	g_autofree gchar *tty = board_tty_syspath(b);
	umockdev_testbed_uevent(testbed, tty, action);
}

/* ---- waiting ---- */

static gboolean
timed_out_cb(gpointer data)
{
	gboolean *timed_out = data;
	*timed_out = TRUE;
	return G_SOURCE_REMOVE;
}

/* spins the main loop until *@counter reaches @wanted; the test fails after WAIT_S seconds */
static void
wait_count(const guint *counter, guint wanted, const gchar *what)
{
	gboolean timed_out = FALSE;
	guint timeout = g_timeout_add_seconds(WAIT_S, timed_out_cb, &timed_out);
	while (*counter < wanted && !timed_out)
		g_main_context_iteration(NULL, TRUE);
	if (*counter < wanted)
		g_test_message("still waiting for %s after %u s", what, WAIT_S);
	else
		g_source_remove(timeout);
	g_assert_cmpuint(*counter, >=, wanted);
}

/* the uevents sent so far have reached every listener (the test's own client heard the last one)
 * and whatever they started has run: a signal that has not come by now does not come */
static void
settle(guint events_sent)
{
	wait_count(&witnessed, events_sent, "the test's own udev client");
	drain_main_context();
}

static void
on_witness_uevent_cb(GUdevClient *client, const gchar *action, GUdevDevice *device, gpointer user_data)
{
	witnessed++;
}

/* connected swapped: the counter comes first */
static void
count_cb(gpointer user_data)
{
	guint *count = user_data;
	(*count)++;
}

static const FkPortInfo *
find_port(FkPortMonitor *monitor, const gchar *name)
{
	GPtrArray *ports = fk_port_monitor_get_ports(monitor);
	for (guint i = 0; i < ports->len; i++) {
		const FkPortInfo *info = g_ptr_array_index(ports, i);
		if (g_strcmp0(info->name, name) == 0)
			return info;
	}
	return NULL;
}

static gboolean
picker_lists(FkPortPicker *picker, const gchar *name)
{
	const GPtrArray *ports = fk_port_picker_get_ports(picker);
	for (guint i = 0; i < ports->len; i++) {
		if (g_strcmp0(g_ptr_array_index(ports, i), name) == 0)
			return TRUE;
	}
	return FALSE;
}

/* ---- the monitor ---- */

/* a board plugged in and pulled out: "changed" each time, the engine's description of it */
static void
test_monitor_udev(void)
{
	g_autoptr(FkPortMonitor) monitor = fk_port_monitor_new();
	g_autofree gchar *dev = board_dev(&board_cp2102n);
	const FkPortInfo *info;
	guint changed = 0;
	guint events = witnessed;

	g_assert_true(fk_port_monitor_get_follows_udev(monitor));
	g_signal_connect_swapped(monitor, "changed", G_CALLBACK(count_cb), &changed);
	g_assert_null(find_port(monitor, dev));
	/* the simulated boards are listed as before, without udev */
	g_assert_nonnull(find_port(monitor, PORT_SIM_ESP32));

	plug(&board_cp2102n);
	wait_count(&changed, 1, "\"changed\" after add");
	info = find_port(monitor, dev);
	g_assert_nonnull(info);
	g_assert_cmpint(info->kind, ==, FK_PORT_KIND_USB);
	g_assert_cmpuint(info->usb_vid, ==, 0x10c4);
	g_assert_cmpuint(info->usb_pid, ==, 0xea60);
	g_assert_cmpstr(info->description, ==, "CP2102N USB to UART Bridge Controller (Silicon Labs)");
	g_assert_nonnull(find_port(monitor, PORT_SIM_ESP32));

	/* "change" reads the list again; nothing differs, nothing is said */
	settle(++events);
	send_uevent(&board_cp2102n, "change");
	settle(++events);
	g_assert_cmpuint(changed, ==, 1);

	unplug(&board_cp2102n);
	wait_count(&changed, 2, "\"changed\" after remove");
	g_assert_null(find_port(monitor, dev));
	g_assert_nonnull(find_port(monitor, PORT_SIM_ESP32));
	settle(++events);
}

/* paused (a job has its port open), the list stays; resuming reads what happened meanwhile */
static void
test_monitor_paused(void)
{
	g_autoptr(FkPortMonitor) monitor = fk_port_monitor_new();
	g_autofree gchar *dev = board_dev(&board_ch340);
	guint changed = 0;
	guint events = witnessed;

	g_signal_connect_swapped(monitor, "changed", G_CALLBACK(count_cb), &changed);
	fk_port_monitor_set_paused(monitor, TRUE);
	plug(&board_ch340);
	settle(++events);
	g_assert_cmpuint(changed, ==, 0);
	g_assert_null(find_port(monitor, dev));
	fk_port_monitor_set_paused(monitor, FALSE);
	g_assert_cmpuint(changed, ==, 1);
	g_assert_nonnull(find_port(monitor, dev));

	unplug(&board_ch340);
	wait_count(&changed, 2, "\"changed\" after remove");
	settle(++events);
}

/* ports of a backend that udev does not know of: what the polling test lists */
static GPtrArray *polled_ports = NULL;

static GPtrArray *
polled_list(GError **error)
{
	GPtrArray *copy = g_ptr_array_new_with_free_func((GDestroyNotify)fk_port_info_free);
	for (guint i = 0; polled_ports != NULL && i < polled_ports->len; i++)
		g_ptr_array_add(copy, fk_port_info_new(g_ptr_array_index(polled_ports, i), "polled", FK_PORT_KIND_NETWORK));
	return copy;
}

static FkTransport *
polled_open(const gchar *name, GError **error)
{
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "%s is only listed", name);
	return NULL;
}

/* without udev (the fallback), the list is read on a timer */
static void
test_monitor_polling(void)
{
	const FkPortBackend backend = {"polled:", polled_open, polled_list};
	g_autoptr(FkPortMonitor) monitor = NULL;
	guint changed = 0;

	fk_port_register_backend(&backend);
	monitor = g_object_new(FK_TYPE_PORT_MONITOR, "udev", FALSE, "poll-interval", 10, NULL);
	g_assert_false(fk_port_monitor_get_follows_udev(monitor));
	g_signal_connect_swapped(monitor, "changed", G_CALLBACK(count_cb), &changed);
	g_assert_null(find_port(monitor, "polled:one"));

	polled_ports = g_ptr_array_new();
	g_ptr_array_add(polled_ports, "polled:one");
	wait_count(&changed, 1, "the timer to find the new port");
	g_assert_nonnull(find_port(monitor, "polled:one"));

	g_ptr_array_set_size(polled_ports, 0);
	wait_count(&changed, 2, "the timer to find the port gone");
	g_assert_null(find_port(monitor, "polled:one"));
	g_clear_pointer(&polled_ports, g_ptr_array_unref);
}

/* ---- the port picker ---- */

typedef struct {
	FkPortPicker *picker;
	guint ports_changed;
	guint port_notified;
	guint plugged;
	gchar *plugged_port;
	gchar *plugged_message;
	guint gone;
	gchar *gone_port;
	guint events; /* uevents sent so far, for settle() */
} Picker;

static void
on_board_plugged_cb(FkPortPicker *picker, const gchar *port, const gchar *message, Picker *p)
{
	p->plugged++;
	g_free(p->plugged_port);
	g_free(p->plugged_message);
	p->plugged_port = g_strdup(port);
	p->plugged_message = g_strdup(message);
}

static void
on_port_gone_cb(FkPortPicker *picker, const gchar *port, Picker *p)
{
	p->gone++;
	g_free(p->gone_port);
	p->gone_port = g_strdup(port);
}

/* a picker with @last remembered from last time ("" nothing) */
static void
picker_setup(Picker *p, gconstpointer data)
{
	reset_settings(data);
	p->picker = g_object_ref_sink(g_object_new(FK_TYPE_PORT_PICKER, NULL));
	p->events = witnessed;
	g_signal_connect_swapped(p->picker, "ports-changed", G_CALLBACK(count_cb), &p->ports_changed);
	g_signal_connect_swapped(p->picker, "notify::port", G_CALLBACK(count_cb), &p->port_notified);
	g_signal_connect(p->picker, "board-plugged", G_CALLBACK(on_board_plugged_cb), p);
	g_signal_connect(p->picker, "port-gone", G_CALLBACK(on_port_gone_cb), p);
}

static void
picker_teardown(Picker *p, gconstpointer data)
{
	g_assert_finalize_object(p->picker);
	g_free(p->plugged_port);
	g_free(p->plugged_message);
	g_free(p->gone_port);
}

static gchar *
remembered_port(void)
{
	g_autoptr(GSettings) settings = g_settings_new(APP_ID);
	return g_settings_get_string(settings, "last-port");
}

/* nothing chosen (the first simulated board is only the list's default): a CP2102N board
 * plugged in is selected and said so; pulled out, the list falls back to the default */
static void
test_picker_selects_board(Picker *p, gconstpointer data)
{
	g_autofree gchar *dev = board_dev(&board_cp2102n);
	g_autofree gchar *first = NULL;
	g_autofree gchar *remembered = NULL;

	first = g_strdup(fk_port_picker_get_port(p->picker));
	g_assert_true(g_str_has_prefix(first, "sim:"));
	g_assert_false(picker_lists(p->picker, dev));

	plug(&board_cp2102n);
	wait_count(&p->plugged, 1, "\"board-plugged\"");
	g_assert_cmpuint(p->ports_changed, ==, 1);
	g_assert_cmpuint(p->port_notified, ==, 1);
	g_assert_cmpstr(p->plugged_port, ==, dev);
	g_assert_cmpstr(fk_port_picker_get_port(p->picker), ==, dev);
	g_assert_cmpstr(p->plugged_message, ==, "ESP board plugged in on /dev/ttyUSB0 (CP2102N): selected");
	g_assert_true(picker_lists(p->picker, dev));
	/* USB ports come first, as the engine lists them */
	g_assert_cmpstr(g_ptr_array_index(fk_port_picker_get_ports(p->picker), 0), ==, dev);
	remembered = remembered_port();
	g_assert_cmpstr(remembered, ==, dev);
	settle(++p->events);

	unplug(&board_cp2102n);
	wait_count(&p->gone, 1, "\"port-gone\"");
	g_assert_cmpstr(p->gone_port, ==, dev);
	g_assert_cmpuint(p->ports_changed, ==, 2);
	g_assert_cmpuint(p->port_notified, ==, 2);
	g_assert_false(picker_lists(p->picker, dev));
	g_assert_cmpstr(fk_port_picker_get_port(p->picker), ==, first);
	settle(++p->events);

	/* plugged in again: the board used last time */
	plug(&board_cp2102n);
	wait_count(&p->plugged, 2, "\"board-plugged\" again");
	g_assert_cmpstr(fk_port_picker_get_port(p->picker), ==, dev);
	g_assert_cmpstr(p->plugged_message, ==, "The board used last time is back on /dev/ttyUSB0: selected");
	settle(++p->events);
	unplug(&board_cp2102n);
	wait_count(&p->gone, 2, "\"port-gone\" again");
	settle(++p->events);
}

/* the chip's own USB port (Espressif's USB-Serial/JTAG) is an ESP board too */
static void
test_picker_selects_native_usb(Picker *p, gconstpointer data)
{
	g_autofree gchar *dev = board_dev(&board_usb_jtag);

	plug(&board_usb_jtag);
	wait_count(&p->plugged, 1, "\"board-plugged\"");
	g_assert_cmpstr(fk_port_picker_get_port(p->picker), ==, dev);
	g_assert_cmpstr(p->plugged_message, ==, "ESP board plugged in on /dev/ttyACM0 (the chip's own USB port): selected");
	settle(++p->events);
	unplug(&board_usb_jtag);
	wait_count(&p->gone, 1, "\"port-gone\"");
	settle(++p->events);
}

/* a USB serial port with other USB ids is listed, never selected */
static void
test_picker_other_usb(Picker *p, gconstpointer data)
{
	g_autofree gchar *dev = board_dev(&board_other);
	g_autofree gchar *first = g_strdup(fk_port_picker_get_port(p->picker));

	plug(&board_other);
	wait_count(&p->ports_changed, 1, "\"ports-changed\"");
	g_assert_true(picker_lists(p->picker, dev));
	g_assert_cmpstr(fk_port_picker_get_port(p->picker), ==, first);
	g_assert_cmpuint(p->plugged, ==, 0);
	g_assert_cmpuint(p->port_notified, ==, 0);
	settle(++p->events);
	g_assert_cmpuint(p->plugged, ==, 0);

	unplug(&board_other);
	wait_count(&p->ports_changed, 2, "\"ports-changed\" after remove");
	g_assert_false(picker_lists(p->picker, dev));
	g_assert_cmpuint(p->gone, ==, 0);
	settle(++p->events);
}

/* a port the person chose is never replaced by one plugged in: a simulated board remembered from
 * last time, then a board they picked */
static void
test_picker_keeps_choice(Picker *p, gconstpointer data)
{
	g_autofree gchar *first = board_dev(&board_cp2102n);
	g_autofree gchar *second = board_dev(&board_ch340);

	g_assert_cmpstr(fk_port_picker_get_port(p->picker), ==, PORT_SIM_ESP32);
	plug(&board_cp2102n);
	wait_count(&p->ports_changed, 1, "\"ports-changed\"");
	g_assert_true(picker_lists(p->picker, first));
	g_assert_cmpstr(fk_port_picker_get_port(p->picker), ==, PORT_SIM_ESP32);
	settle(++p->events);

	/* the person picks the board, then plugs in another */
	g_assert_true(fk_port_picker_select_port(p->picker, first));
	plug(&board_ch340);
	wait_count(&p->ports_changed, 2, "\"ports-changed\" for the second board");
	g_assert_true(picker_lists(p->picker, second));
	g_assert_cmpstr(fk_port_picker_get_port(p->picker), ==, first);
	settle(++p->events);
	g_assert_cmpuint(p->plugged, ==, 0);

	unplug(&board_ch340);
	wait_count(&p->ports_changed, 3, "\"ports-changed\" after remove");
	settle(++p->events);
	unplug(&board_cp2102n);
	wait_count(&p->gone, 1, "\"port-gone\"");
	settle(++p->events);
	g_assert_cmpuint(p->plugged, ==, 0);
}

/* while a job runs the list stays; the board plugged in meanwhile is selected after it */
static void
test_picker_busy(Picker *p, gconstpointer data)
{
	g_autofree gchar *dev = board_dev(&board_cp2102n);

	fk_port_picker_set_busy(p->picker, TRUE);
	plug(&board_cp2102n);
	settle(++p->events);
	g_assert_cmpuint(p->ports_changed, ==, 0);
	g_assert_false(picker_lists(p->picker, dev));

	fk_port_picker_set_busy(p->picker, FALSE);
	/* not from inside the call that ends the job */
	g_assert_cmpuint(p->ports_changed, ==, 0);
	wait_count(&p->plugged, 1, "\"board-plugged\" after the job");
	g_assert_cmpuint(p->ports_changed, ==, 1);
	g_assert_cmpstr(fk_port_picker_get_port(p->picker), ==, dev);

	unplug(&board_cp2102n);
	wait_count(&p->gone, 1, "\"port-gone\"");
	settle(++p->events);
}

/* ---- the window ---- */

/* the window says what it selected, in a toast and its log */
static void
test_window_plug(void)
{
	g_autofree gchar *dev = board_dev(&board_cp2102n);
	FkWindow *win;
	GtkWidget *picker;
	guint plugged = 0;
	guint events = witnessed;

	reset_settings("");
	win = g_object_ref(fk_window_new(ADW_APPLICATION(fk_window_test_app)));
	gtk_window_present(GTK_WINDOW(win));
	picker = template_child(win, "port_picker");
	g_signal_connect_swapped(picker, "board-plugged", G_CALLBACK(count_cb), &plugged);
	spin_until(cond_not_busy, win);

	plug(&board_cp2102n);
	wait_count(&plugged, 1, "\"board-plugged\"");
	g_assert_cmpstr(fk_window_get_port(win), ==, dev);
	wait_for_label(GTK_WIDGET(win), "ESP board plugged in on /dev/ttyUSB0 (CP2102N): selected");
	screenshot(GTK_WIDGET(win), "hotplug");

	unplug(&board_cp2102n);
	settle(events + 2);
	if (fk_window_is_busy(win)) {
		gtk_widget_activate_action(GTK_WIDGET(win), "win.cancel", NULL);
		spin_until(cond_not_busy, win);
	}
	gtk_window_destroy(GTK_WINDOW(win));
	drain_main_context();
	g_assert_finalize_object(win);
}

int
main(int argc, char **argv)
{
	g_autofree gchar *state = NULL;
	const gchar *const subsystems[] = {"tty", NULL};
	int rc;

	setlocale(LC_ALL, "");
	state = use_own_state_dir();
	gtk_test_init(&argc, &argv, NULL);
	testbed = umockdev_testbed_new();
	if (!umockdev_in_mock_environment()) {
		g_printerr("run this test under umockdev-wrapper: it plugs fake USB serial ports into umockdev's test bed\n");
		return 1;
	}
	witness = g_udev_client_new(subsystems);
	g_signal_connect(witness, "uevent", G_CALLBACK(on_witness_uevent_cb), NULL);
	start_app(APP_ID ".UiHotplugTest");

	g_test_add_func("/fk/port-hotplug/monitor/udev", test_monitor_udev);
	g_test_add_func("/fk/port-hotplug/monitor/paused", test_monitor_paused);
	g_test_add_func("/fk/port-hotplug/monitor/polling", test_monitor_polling);
	g_test_add("/fk/port-hotplug/picker/selects-board", Picker, "", picker_setup, test_picker_selects_board,
		   picker_teardown);
	g_test_add("/fk/port-hotplug/picker/selects-native-usb", Picker, "", picker_setup,
		   test_picker_selects_native_usb, picker_teardown);
	g_test_add("/fk/port-hotplug/picker/other-usb", Picker, "", picker_setup, test_picker_other_usb,
		   picker_teardown);
	g_test_add("/fk/port-hotplug/picker/keeps-choice", Picker, PORT_SIM_ESP32, picker_setup,
		   test_picker_keeps_choice, picker_teardown);
	g_test_add("/fk/port-hotplug/picker/busy", Picker, "", picker_setup, test_picker_busy, picker_teardown);
	g_test_add_func("/fk/port-hotplug/window", test_window_plug);

	rc = g_test_run();

	stop_app();
	g_clear_object(&witness);
	g_clear_object(&testbed);
	fk_test_rm_rf(state);
	return rc;
}
