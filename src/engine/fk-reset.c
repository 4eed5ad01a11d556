/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the reset strategies (DTR/RTS pulses: classic, tight, USB-Serial/JTAG, none, hard reset)
 * and the boot log: reading it and saying why a chip does not sync; calls only the loader */
#include "config.h"

#include <string.h>

#include "fk-error.h"
#include "fk-reset.h"

#define FK_CONNECT_ATTEMPTS 7
#define FK_USB_JTAG_VID	    0x303A
#define FK_USB_JTAG_PID	    0x1001

gboolean
fk_reset_is_usb_jtag(FkTransport *transport)
{
	return fk_transport_get_usb_vid(transport) == FK_USB_JTAG_VID &&
	       fk_transport_get_usb_pid(transport) == FK_USB_JTAG_PID;
}

typedef enum {
	FK_PULSE_CLASSIC,
	FK_PULSE_TIGHT,
	FK_PULSE_USB_JTAG,
} FkPulse;

static gboolean
fk_reset_set_lines(FkLoader *self, gboolean dtr, gboolean rts, GError **error)
{
	return fk_transport_set_lines(fk_loader_get_transport(self), dtr, rts, error);
}

/* what an ESP32-family ROM prints, last, once it has sampled its straps into download mode */
#define FK_ROM_DOWNLOAD_LINE "waiting for download"

/* collects what the chip printed right after the reset: until the line is quiet (a USB adapter
 * may hold bytes back for its latency timer, FTDI's 16 ms), for at most a long boot log's time */
#define FK_BOOT_LOG_QUIET_MS 20
#define FK_BOOT_LOG_MAX_MS   300

/* adds what has arrived within @timeout_ms to the boot log; FALSE when nothing came */
static gboolean
fk_reset_read_boot_text(FkLoader *self, guint timeout_ms, GCancellable *cancellable)
{
	guint8 buf[1024];
	gssize rc = fk_transport_read(fk_loader_get_transport(self), buf, sizeof(buf), timeout_ms, cancellable, NULL);
	if (rc <= 0)
		return FALSE;
	for (gssize i = 0; i < rc; i++) {
		if (fk_loader_get_boot_log(self)->len < 8192)
			g_string_append_c(fk_loader_get_boot_log(self), buf[i] ? (gchar)buf[i] : '.');
	}
	return TRUE;
}

static void
fk_reset_read_boot_log(FkLoader *self, GCancellable *cancellable)
{
	gint64 deadline = g_get_monotonic_time() + FK_BOOT_LOG_MAX_MS * 1000;
	for (;;) {
		gint64 now = g_get_monotonic_time();
		if (now >= deadline ||
		    !fk_reset_read_boot_text(self, (guint)MIN((deadline - now) / 1000 + 1, FK_BOOT_LOG_QUIET_MS), cancellable))
			break;
	}
}

/* GPIO0 held low while EN rises: the ESP32-family ROM samples its strapping pins, then prints
 * "rst:…,boot:…(DOWNLOAD…)" and "waiting for download" at 115200 and nothing after it. Once
 * that line has come in whole, GPIO0 was sampled and may be let go at once; otherwise (the
 * ESP8266 prints at 74880, a ROM may have its log turned off, a board may not wire GPIO0) it is
 * held for @delay_ms, esptool's reset delay, as its reset strategies do. TRUE when the line came */
static gboolean
fk_reset_hold_gpio0_for_banner(FkLoader *self, guint delay_ms, GCancellable *cancellable)
{
	GString *log = fk_loader_get_boot_log(self);
	gsize start = log->len;
	gint64 until = g_get_monotonic_time() + (gint64)delay_ms * 1000;

	for (;;) {
		gint64 left_ms = (until - g_get_monotonic_time() + 999) / 1000;
		const gchar *line;
		if (left_ms <= 0)
			return FALSE;
		if (!fk_reset_read_boot_text(self, (guint)left_ms, cancellable)) {
			/* a cancel, or a port that fails: the hold lasts as it always did */
			gint64 rest_us = until - g_get_monotonic_time();
			if (rest_us > 0 && !g_cancellable_is_cancelled(cancellable))
				g_usleep((gulong)rest_us);
			return FALSE;
		}
		line = strstr(log->str + start, FK_ROM_DOWNLOAD_LINE);
		if (line != NULL && strchr(line, '\n') != NULL)
			return TRUE;
	}
}

/* @download_seen NULL: whoever reset wants to hear the boot text itself; GPIO0 is held for
 * @delay_ms without reading */
static void
fk_reset_hold_gpio0(FkLoader *self, guint delay_ms, gboolean *download_seen, GCancellable *cancellable)
{
	if (download_seen == NULL) {
		g_usleep(delay_ms * 1000);
		return;
	}
	*download_seen = fk_reset_hold_gpio0_for_banner(self, delay_ms, cancellable);
	if (!*download_seen)
		fk_loader_log(self, "GPIO0 held for %u ms: the ROM did not say it waits for download", delay_ms);
}

/* @download_seen: see fk_reset_hold_gpio0() */
static gboolean
fk_reset_pulse(FkLoader *self,
	       FkPulse pulse,
	       guint delay_ms,
	       gboolean *download_seen,
	       GCancellable *cancellable,
	       GError **error)
{
	switch (pulse) {
	case FK_PULSE_CLASSIC:
		/* EN low, then GPIO0 low as EN is released, then GPIO0 released */
		if (!fk_reset_set_lines(self, FALSE, TRUE, error))
			return FALSE;
		g_usleep(100 * 1000);
		if (!fk_reset_set_lines(self, TRUE, TRUE, error))
			return FALSE;
		if (!fk_reset_set_lines(self, TRUE, FALSE, error))
			return FALSE;
		fk_reset_hold_gpio0(self, delay_ms, download_seen, cancellable);
		return fk_reset_set_lines(self, FALSE, FALSE, error);
	case FK_PULSE_TIGHT:
		if (!fk_reset_set_lines(self, FALSE, FALSE, error))
			return FALSE;
		if (!fk_reset_set_lines(self, TRUE, TRUE, error))
			return FALSE;
		if (!fk_reset_set_lines(self, FALSE, TRUE, error))
			return FALSE;
		g_usleep(100 * 1000);
		if (!fk_reset_set_lines(self, TRUE, FALSE, error))
			return FALSE;
		fk_reset_hold_gpio0(self, delay_ms, download_seen, cancellable);
		return fk_reset_set_lines(self, FALSE, FALSE, error);
	case FK_PULSE_USB_JTAG:
		if (!fk_reset_set_lines(self, FALSE, FALSE, error))
			return FALSE;
		g_usleep(100 * 1000);
		if (!fk_reset_set_lines(self, TRUE, FALSE, error))
			return FALSE;
		g_usleep(100 * 1000);
		if (!fk_reset_set_lines(self, FALSE, TRUE, error))
			return FALSE;
		g_usleep(100 * 1000);
		return fk_reset_set_lines(self, FALSE, FALSE, error);
	default:
		g_assert_not_reached();
	}
}

static gboolean
fk_reset_sync_attempt(FkLoader *self,
		      gboolean reset,
		      FkPulse pulse,
		      guint delay_ms,
		      gboolean *stub_detected,
		      GCancellable *cancellable,
		      GError **error)
{
	if (!fk_loader_flush_input(self, error))
		return FALSE;
	if (reset) {
		gboolean download_seen = FALSE;
		if (!fk_reset_pulse(self, pulse, delay_ms, &download_seen, cancellable, error))
			return FALSE;
		/* in download mode the ROM prints nothing more */
		if (!download_seen)
			fk_reset_read_boot_log(self, cancellable);
	}
	return fk_loader_sync_tries(self, stub_detected, cancellable, error);
}

static void
fk_reset_set_no_sync_error(FkLoader *self, GError **error)
{
	g_autoptr(GRegex) regex =
	    g_regex_new("boot:(0x[0-9a-fA-F]+)(.*" FK_ROM_DOWNLOAD_LINE ")?", G_REGEX_DOTALL, 0, NULL);
	g_autoptr(GMatchInfo) match = NULL;

	if (g_regex_match(regex, fk_loader_get_boot_log(self)->str, 0, &match)) {
		g_autofree gchar *boot = g_match_info_fetch(match, 1);
		g_autofree gchar *wait = g_match_info_fetch(match, 2);
		if (wait != NULL && wait[0] != '\0') {
			g_set_error(error,
				    FK_ERROR,
				    FK_ERROR_NO_SYNC,
				    "The chip is in download mode (boot log: boot:%s) but does not "
				    "answer: the line from this computer to the chip (TX→RX) seems "
				    "broken; check the wiring or try a lower baud rate",
				    boot);
			return;
		}
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_WRONG_BOOT_MODE,
			    "The chip started its firmware (boot mode %s) instead of the download "
			    "mode: hold BOOT/GPIO0 while pressing RESET, or check the auto-reset "
			    "circuit",
			    boot);
		return;
	}
	if (fk_loader_get_stray_bytes(self) >= FK_GARBAGE_LIMIT) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_NO_SYNC,
			    "No reply from the chip in the loader protocol, only %" G_GSIZE_FORMAT " bytes of "
			    "noise: the baud rates do not match (a flasher stub left running at another rate "
			    "needs a reset of the board), or this port is not an ESP in download mode",
			    fk_loader_get_stray_bytes(self));
		return;
	}
	g_set_error_literal(error,
			    FK_ERROR,
			    FK_ERROR_NO_SYNC,
			    "No reply from the chip: hold BOOT/GPIO0 while resetting, check the cable, "
			    "or try a lower baud rate");
}

/* whether the boot log shows the chip reached download mode: then a person's hands would not help */
static gboolean
fk_reset_download_seen(FkLoader *self)
{
	return strstr(fk_loader_get_boot_log(self)->str, FK_ROM_DOWNLOAD_LINE) != NULL;
}

/* tells, once per boot, what the chip printed when it started its firmware instead of its loader */
static void
fk_reset_note_app_boot(FkLoader *self)
{
	g_autoptr(GRegex) regex = g_regex_new("boot:(0x[0-9a-fA-F]+)", 0, 0, NULL);
	g_autoptr(GMatchInfo) match = NULL;

	if (!fk_reset_download_seen(self) && g_regex_match(regex, fk_loader_get_boot_log(self)->str, 0, &match)) {
		g_autofree gchar *boot = g_match_info_fetch(match, 1);
		fk_loader_log(self,
			      "the chip started its firmware (boot:%s): keep BOOT/GPIO0 held down while tapping EN/RST, "
			      "and let go of it only afterwards",
			      boot);
	}
	fk_loader_clear_boot_log(self);
}

/* a person puts the chip into its loader: SYNC goes out again and again (listening in between
 * for what the chip prints) until the chip answers, the wait is cancelled or its limit passes.
 * Whoever waits is told once the first SYNC went unanswered, and again when the wait is over */
static gboolean
fk_reset_wait_for_chip(FkLoader *self,
		       const FkResetWait *wait,
		       gboolean *stub_detected,
		       GCancellable *cancellable,
		       GError **error)
{
	gint64 until = wait->limit_s > 0 ? g_get_monotonic_time() + (gint64)wait->limit_s * G_USEC_PER_SEC : -1;
	gboolean announced = FALSE;
	gboolean ok = FALSE;

	fk_loader_clear_boot_log(self);
	for (;;) {
		g_autoptr(GError) error_local = NULL;
		if (!fk_loader_flush_input(self, error))
			break;
		if (fk_loader_sync(self, stub_detected, cancellable, &error_local)) {
			ok = TRUE;
			break;
		}
		if (fk_loader_error_is_final(error_local)) {
			g_propagate_error(error, g_steal_pointer(&error_local));
			break;
		}
		if (!announced) {
			fk_loader_log(self,
				      "waiting for the chip: hold BOOT/GPIO0, tap EN/RST (or unplug and replug the "
				      "board), then let go of BOOT");
			wait->func(TRUE, wait->user_data);
			announced = TRUE;
		}
		if (until >= 0 && g_get_monotonic_time() >= until) {
			g_set_error(error,
				    FK_ERROR,
				    FK_ERROR_NO_SYNC,
				    "The chip did not answer within %u seconds: hold BOOT/GPIO0 down, tap EN/RST (or "
				    "unplug and replug the board), then let go of BOOT; if it still does not answer, "
				    "check the cable or try a lower baud rate",
				    wait->limit_s);
			break;
		}
		fk_loader_keep_stray_text(self);
		fk_reset_read_boot_log(self, cancellable);
		fk_reset_note_app_boot(self);
	}
	if (announced) {
		wait->func(FALSE, wait->user_data);
		if (ok)
			fk_loader_log(self, "the chip answered");
	}
	return ok;
}

gboolean
fk_reset_and_sync(FkLoader *self,
		  FkResetMode mode,
		  const FkResetWait *wait,
		  gboolean *stub_detected,
		  GCancellable *cancellable,
		  GError **error)
{
	FkPulse pulses[4];
	guint delays[4];
	guint n_strategies = 0;
	gboolean reset = TRUE;
	g_autoptr(GError) error_local = NULL;

	fk_loader_clear_boot_log(self);
	if (mode == FK_RESET_NONE || !fk_transport_has_modem_lines(fk_loader_get_transport(self))) {
		if (mode != FK_RESET_NONE)
			fk_loader_log(self,
				      "this port has no DTR/RTS lines: the chip must be reset into "
				      "download mode by hand (hold BOOT while pressing RESET)");
		/* nothing to try first: the person's hands are the reset */
		if (wait != NULL)
			return fk_reset_wait_for_chip(self, wait, stub_detected, cancellable, error);
		reset = FALSE;
		pulses[n_strategies] = FK_PULSE_CLASSIC;
		delays[n_strategies++] = 0;
	} else if (mode == FK_RESET_USB_JTAG ||
		   fk_reset_is_usb_jtag(fk_loader_get_transport(self))) {
		pulses[n_strategies] = FK_PULSE_USB_JTAG;
		delays[n_strategies++] = 0;
	} else {
		pulses[n_strategies] = FK_PULSE_TIGHT;
		delays[n_strategies++] = 50;
		pulses[n_strategies] = FK_PULSE_TIGHT;
		delays[n_strategies++] = 550;
		pulses[n_strategies] = FK_PULSE_CLASSIC;
		delays[n_strategies++] = 50;
		pulses[n_strategies] = FK_PULSE_CLASSIC;
		delays[n_strategies++] = 550;
	}

	for (guint attempt = 0; attempt < FK_CONNECT_ATTEMPTS; attempt++) {
		guint s = attempt % n_strategies;
		g_clear_error(&error_local);
		if (fk_reset_sync_attempt(self, reset, pulses[s], delays[s], stub_detected, cancellable, &error_local))
			return TRUE;
		/* silence and garbage while syncing are normal and worth another attempt; a cancel
		 * or a vanished port is not */
		if (fk_loader_error_is_final(error_local)) {
			g_propagate_error(error, g_steal_pointer(&error_local));
			return FALSE;
		}
		fk_loader_log(self, "no reply to SYNC (attempt %u of %u)", attempt + 1, (guint)FK_CONNECT_ATTEMPTS);
	}
	/* a board without the auto-reset circuit (or with a broken one) is reset by hand; a chip
	 * that reached download mode and still does not answer has another problem */
	if (wait != NULL && !fk_reset_download_seen(self)) {
		fk_loader_log(self, "no answer after the automatic reset: the board may have no auto-reset circuit");
		return fk_reset_wait_for_chip(self, wait, stub_detected, cancellable, error);
	}
	fk_reset_set_no_sync_error(self, error);
	return FALSE;
}

gboolean
fk_reset_to_download(FkLoader *self, GError **error)
{
	/* the port doctor listens to the boot text itself */
	return fk_reset_pulse(self, FK_PULSE_CLASSIC, 50, NULL, NULL, error);
}

/* EN pulled low for a moment with GPIO0 released: the chip starts its firmware */
gboolean
fk_reset_hard(FkLoader *self, GError **error)
{
	if (!fk_reset_set_lines(self, FALSE, TRUE, error))
		return FALSE;
	g_usleep(100 * 1000);
	return fk_reset_set_lines(self, FALSE, FALSE, error);
}
