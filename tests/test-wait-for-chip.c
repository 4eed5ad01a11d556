/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Boards without auto-reset: the simulated board's BOOT and EN buttons, and connect waiting for
 * a person to put the chip into its loader (no reset lines, reset mode "none", or an automatic
 * reset that got no answer) until the chip answers or the wait is cancelled. */
#include "config.h"

#include <string.h>

#include "fk-device.h"
#include "fk-error.h"
#include "fk-sim-device.h"
#include "fk-sim-transport.h"
#include "fk-test-util.h"

/* what the person near the board does when connect asks for help */
typedef enum {
	HANDS_BOOT_AND_EN, /* hold BOOT, tap EN, let go of BOOT */
	HANDS_EN_ONLY,	   /* forget BOOT: the chip starts its firmware */
	HANDS_CANCEL,	   /* give up: Cancel */
} Hands;

typedef struct {
	FkSimDevice *sim;
	GCancellable *cancellable;
	Hands hands;
	GString *calls; /* "+" when help was asked for, "-" when the wait ended */
	GString *log;
} Waiter;

static void
wait_cb(gboolean waiting, gpointer user_data)
{
	Waiter *w = user_data;
	g_string_append_c(w->calls, waiting ? '+' : '-');
	if (!waiting)
		return;
	switch (w->hands) {
	case HANDS_BOOT_AND_EN:
		fk_sim_device_enter_download_by_hand(w->sim);
		break;
	case HANDS_EN_ONLY:
		fk_sim_device_tap_reset(w->sim);
		break;
	case HANDS_CANCEL:
		g_cancellable_cancel(w->cancellable);
		break;
	default:
		g_assert_not_reached();
	}
}

static void
log_cb(const gchar *message, gpointer user_data)
{
	Waiter *w = user_data;
	g_string_append_printf(w->log, "%s\n", message);
}

/* a board without the auto-reset circuit, running its firmware */
static FkSimDevice *
board_without_auto_reset(void)
{
	FkSimDevice *sim = fk_test_sim_new("esp32", 1024 * 1024, 0x20000);
	fk_sim_device_set_auto_reset(sim, FALSE);
	return sim;
}

/* connects to @sim the way @mode says, with a person who does @hands when asked; the transport
 * has DTR/RTS lines when @lines */
static gboolean
connect_waiting(FkSimDevice *sim, FkResetMode mode, gboolean lines, Hands hands, guint limit_s, Waiter *w,
		GError **error)
{
	g_autoptr(FkTransport) transport = fk_sim_transport_new(sim);
	g_autoptr(FkDevice) device = fk_device_new(transport);
	gboolean ok;

	w->sim = sim;
	w->hands = hands;
	w->cancellable = g_cancellable_new();
	w->calls = g_string_new(NULL);
	w->log = g_string_new(NULL);
	fk_transport_set_has_modem_lines(transport, lines);
	fk_device_set_use_stub(device, FALSE);
	fk_device_set_reset_mode(device, mode);
	fk_device_set_log_func(device, log_cb, w);
	fk_device_set_wait_for_chip(device, limit_s, wait_cb, w);
	ok = fk_device_connect(device, w->cancellable, error);
	if (ok) {
		g_assert_nonnull(fk_device_get_chip(device));
		g_assert_cmpstr(fk_device_get_chip(device)->name, ==, "ESP32");
	}
	fk_transport_close(transport);
	return ok;
}

static void
waiter_clear(Waiter *w)
{
	g_clear_object(&w->cancellable);
	g_string_free(w->calls, TRUE);
	g_string_free(w->log, TRUE);
}

/* DTR/RTS reach nothing on such a board; its buttons reset it, and GPIO0 is sampled at reset */
static void
test_sim_buttons(void)
{
	g_autoptr(FkSimDevice) sim = board_without_auto_reset();
	g_autoptr(FkTransport) transport = fk_sim_transport_new(sim);
	FkSimStats st;
	gint64 now = g_get_monotonic_time();

	g_assert_false(fk_sim_device_has_auto_reset(sim));
	/* esptool's classic pulse: EN low, then GPIO0 low as EN is released */
	fk_sim_device_set_lines(sim, FALSE, TRUE, now);
	fk_sim_device_set_lines(sim, TRUE, FALSE, now + 100000);
	fk_sim_device_set_lines(sim, FALSE, FALSE, now + 150000);
	fk_sim_device_get_stats(sim, &st);
	g_assert_cmpuint(st.resets, ==, 0);
	g_assert_cmpuint(st.download_boots, ==, 0);

	/* EN alone: the chip starts its firmware again */
	fk_sim_device_tap_reset(sim);
	fk_sim_device_get_stats(sim, &st);
	g_assert_cmpuint(st.resets, ==, 1);
	g_assert_cmpuint(st.download_boots, ==, 0);

	/* BOOT held through the reset: the ROM loader */
	fk_sim_device_enter_download_by_hand(sim);
	fk_sim_device_get_stats(sim, &st);
	g_assert_cmpuint(st.resets, ==, 2);
	g_assert_cmpuint(st.download_boots, ==, 1);

	/* held EN keeps it in reset until let go */
	fk_sim_device_press_button(sim, FK_SIM_BUTTON_BOOT, TRUE);
	fk_sim_device_press_button(sim, FK_SIM_BUTTON_EN, TRUE);
	fk_sim_device_get_stats(sim, &st);
	g_assert_cmpuint(st.resets, ==, 2);
	fk_transport_close(transport);
}

/* the ways connect comes to wait, and what the log says of each */
typedef struct {
	FkResetMode mode;
	gboolean lines;	       /* the port has DTR/RTS */
	const gchar *log_has;  /* in the log */
	const gchar *log_lacks; /* not in it */
} WaitCase;

/* reset mode "none": the person is asked at once */
static const WaitCase case_manual = {FK_RESET_NONE, TRUE, "the chip answered", "no reply to SYNC (attempt"};
/* a port without DTR/RTS (a pty, a network bridge) in the automatic mode: no reset to try */
static const WaitCase case_no_lines = {FK_RESET_AUTO, FALSE, "the chip answered", "no reply to SYNC (attempt"};
/* the automatic reset reaches nothing: after its attempts, the person's hands */
static const WaitCase case_after_auto = {FK_RESET_AUTO, TRUE, "no answer after the automatic reset", NULL};

/* connect asks for help once, goes on when BOOT and EN are pressed, and says the wait is over */
static void
test_waits(gconstpointer data)
{
	const WaitCase *c = data;
	g_autoptr(FkSimDevice) sim = board_without_auto_reset();
	g_autoptr(GError) error = NULL;
	Waiter w = {0};
	g_assert_true(connect_waiting(sim, c->mode, c->lines, HANDS_BOOT_AND_EN, 0, &w, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(w.calls->str, ==, "+-");
	g_assert_nonnull(strstr(w.log->str, c->log_has));
	if (c->log_lacks != NULL)
		g_assert_null(strstr(w.log->str, c->log_lacks));
	waiter_clear(&w);
}

/* a chip already in its loader answers the first SYNC: nobody is asked for anything */
static void
test_already_in_loader(void)
{
	g_autoptr(FkSimDevice) sim = board_without_auto_reset();
	g_autoptr(GError) error = NULL;
	Waiter w = {0};
	fk_sim_device_enter_download_by_hand(sim);
	g_assert_true(connect_waiting(sim, FK_RESET_NONE, TRUE, HANDS_CANCEL, 0, &w, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(w.calls->str, ==, "");
	waiter_clear(&w);
}

/* Cancel while waiting: a quiet cancel, and whoever showed the guide is told the wait is over */
static void
test_cancel(void)
{
	g_autoptr(FkSimDevice) sim = board_without_auto_reset();
	g_autoptr(GError) error = NULL;
	Waiter w = {0};
	g_assert_false(connect_waiting(sim, FK_RESET_NONE, TRUE, HANDS_CANCEL, 0, &w, &error));
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	g_assert_cmpstr(w.calls->str, ==, "+-");
	waiter_clear(&w);
}

/* a caller's limit (the CLI's); BOOT let go too early is named in the log */
static void
test_limit(void)
{
	g_autoptr(FkSimDevice) sim = board_without_auto_reset();
	g_autoptr(GError) error = NULL;
	Waiter w = {0};
	g_assert_false(connect_waiting(sim, FK_RESET_NONE, TRUE, HANDS_EN_ONLY, 1, &w, &error));
	g_assert_error(error, FK_ERROR, FK_ERROR_NO_SYNC);
	g_assert_nonnull(strstr(error->message, "did not answer within 1 seconds"));
	g_assert_nonnull(strstr(error->message, "hold BOOT"));
	g_assert_cmpstr(w.calls->str, ==, "+-");
	g_assert_nonnull(strstr(w.log->str, "the chip started its firmware"));
	waiter_clear(&w);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/wait-for-chip/sim-buttons", test_sim_buttons);
	g_test_add_data_func("/wait-for-chip/manual", &case_manual, test_waits);
	g_test_add_data_func("/wait-for-chip/no-lines", &case_no_lines, test_waits);
	g_test_add_data_func("/wait-for-chip/after-auto-reset", &case_after_auto, test_waits);
	g_test_add_func("/wait-for-chip/already-in-loader", test_already_in_loader);
	g_test_add_func("/wait-for-chip/cancel", test_cancel);
	g_test_add_func("/wait-for-chip/limit", test_limit);
	return g_test_run();
}
