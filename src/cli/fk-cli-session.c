/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns what flashkeep-cli prints around a command: the wire trace, the engine's log, progress,
 * connecting, the reset when done and the final error with its advice; calls the FkDevice facade,
 * the transport and fk-error */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <unistd.h>

#include "fk-cli-private.h"
#include "fk-error.h"
#include "fk-port.h"

static void
fk_cli_trace_cb(gchar dir, const guint8 *data, gsize len, gpointer user_data)
{
	g_autoptr(GString) str = g_string_new(NULL);
	gint64 now = g_get_monotonic_time();
	for (gsize i = 0; i < len; i++)
		g_string_append_printf(str, "%02x", data[i]);
	g_printerr("TRACE +%.3f %s %" G_GSIZE_FORMAT " bytes: %s\n",
		   (gdouble)(now % 1000000000) / 1e6,
		   dir == '>' ? "Write" : "Read",
		   len,
		   str->str);
}

static void
fk_cli_log_cb(const gchar *message, gpointer user_data)
{
	g_print("%s\n", message);
}

static void
fk_cli_progress_cb(FkProgress *progress, FkCli *self)
{
	gint64 now = g_get_monotonic_time();
	guint64 done = fk_progress_get_bytes_done(progress);
	guint64 total = fk_progress_get_bytes_total(progress);
	gdouble fraction = fk_progress_get_fraction(progress);
	gdouble elapsed;

	if (self->no_progress)
		return;
	if (self->progress_start == 0)
		self->progress_start = now;
	/* a few updates a second are enough for a terminal */
	if (fraction < 1.0 && now - self->progress_last < 200000)
		return;
	self->progress_last = now;
	elapsed = (now - self->progress_start) / 1e6;
	if (total > 0 && elapsed > 0) {
		g_print("%s%s: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " bytes (%.0f %%), %.1f kbit/s%s",
			isatty(STDOUT_FILENO) ? "\r" : "",
			fk_progress_get_status(progress) != NULL ? fk_progress_get_status(progress) : "Working",
			done,
			total,
			fraction * 100,
			done * 8 / elapsed / 1000,
			isatty(STDOUT_FILENO) ? "" : "\n");
	} else {
		g_print("%s%s (%.0f %%)%s",
			isatty(STDOUT_FILENO) ? "\r" : "",
			fk_progress_get_status(progress) != NULL ? fk_progress_get_status(progress) : "Working",
			fraction * 100,
			isatty(STDOUT_FILENO) ? "" : "\n");
	}
	fflush(stdout);
}

FkProgress *
fk_cli_progress_new(FkCli *self)
{
	FkProgress *progress = fk_progress_new();
	self->progress_start = 0;
	self->progress_last = 0;
	g_signal_connect(progress, "changed", G_CALLBACK(fk_cli_progress_cb), self);
	return progress;
}

void
fk_cli_progress_end(FkCli *self)
{
	if (!self->no_progress && isatty(STDOUT_FILENO))
		g_print("\n");
}

/* a port that failed to open or a chip that did not answer: find out why, for the report */
static void
fk_cli_examine_port(FkCli *self, const GError *error)
{
	if (error == NULL || self->port == NULL)
		return;
	g_clear_pointer(&self->diagnosis, fk_diagnosis_free);
	self->diagnosis = fk_port_doctor_examine(self->port, error, 0, 0, self->before_mode != FK_RESET_NONE, NULL,
						 self->cancellable);
}


static void
fk_cli_wait_cb(gboolean waiting, gpointer user_data)
{
	if (waiting)
		g_printerr(_("Hold BOOT (GPIO0), tap EN (RST) or unplug and replug the board, then let go of BOOT… "
			     "waiting for the chip, Ctrl+C to stop\n"));
}

FkDevice *
fk_cli_connect(FkCli *self, GError **error)
{
	g_autoptr(FkTransport) transport = NULL;
	g_autoptr(FkDevice) device = NULL;

	if (self->port == NULL) {
		self->port = fk_cli_default_port(error);
		if (self->port == NULL)
			return NULL;
	}
	transport = fk_transport_open(self->port, error);
	if (transport == NULL) {
		fk_cli_examine_port(self, error != NULL ? *error : NULL);
		return NULL;
	}
	if (self->trace)
		fk_transport_set_trace_func(transport, fk_cli_trace_cb, self);
	device = fk_device_new(transport);
	fk_device_set_log_func(device, fk_cli_log_cb, self);
	fk_device_set_reset_mode(device, self->before_mode);
	fk_device_set_baud(device, self->baud);
	fk_device_set_use_stub(device, !self->no_stub);
	/* with --before no_reset, or when the automatic reset gets no answer; a port without reset
	 * lines in the default mode only tries to sync, as esptool does */
	if (self->wait_s > 0 && (self->before_mode == FK_RESET_NONE || fk_transport_has_modem_lines(transport)))
		fk_device_set_wait_for_chip(device, (guint)self->wait_s, fk_cli_wait_cb, self);
	if (self->expected_chip != NULL)
		fk_device_set_expected_chip(device, self->expected_chip->family);
	if (self->spi_connection != NULL)
		fk_device_set_spi_connection(device, self->spi_value);
	g_print(_("Serial port %s\n"), self->port);
	if (!fk_device_connect(device, self->cancellable, error)) {
		/* the doctor opens the port itself */
		g_clear_object(&device);
		fk_transport_close(transport);
		fk_cli_examine_port(self, error != NULL ? *error : NULL);
		return NULL;
	}
	{
		g_autofree gchar *mac = fk_device_get_mac_string(device);
		g_print("Chip is %s\n", fk_device_get_chip_description(device));
		if (fk_device_get_crystal_mhz(device) != 0)
			g_print("Crystal is %uMHz\n", fk_device_get_crystal_mhz(device));
		g_print("MAC: %s\n", mac);
		g_print("%s\n", fk_device_is_stub_running(device) ? "Stub flasher running." : "Using the ROM loader (no stub).");
	}
	return g_steal_pointer(&device);
}

gboolean
fk_cli_finish(FkCli *self, FkDevice *device, GError **error)
{
	FkAfterMode after = self->after_mode;
	if (fk_device_get_recoveries(device) > 0)
		g_print("Note: the link failed %u time(s) on the way; each part was done again and checked. "
			"If this happens often, try a lower baud rate (-b) or a shorter cable.\n",
			fk_device_get_recoveries(device));
	if (after == FK_AFTER_HARD_RESET && !fk_transport_has_modem_lines(fk_device_get_transport(device))) {
		/* nothing to pull: say so instead of pretending, and leave the chip alone */
		if (fk_transport_get_kind(fk_device_get_transport(device)) == FK_TRANSPORT_KIND_TCP)
			g_print(_("Leaving the chip as it is: a network port cannot reset it. Press the board's "
				  "reset button or cycle its power to start the firmware.\n"));
		else
			g_print(_("Leaving the chip as it is: this port has no reset lines. Press the board's "
				  "reset button or cycle its power to start the firmware.\n"));
		after = FK_AFTER_NO_RESET;
	} else if (after == FK_AFTER_HARD_RESET) {
		g_print(_("Hard resetting via RTS pin...\n"));
	}
	return fk_device_finish(device, after, self->cancellable, error);
}

/* the error, then advice the message does not already give: the port errors carry their own,
 * fitted to the kind of port (brltty, the dialout group, a bridge that is not started), so the
 * general hint is not repeated after them and the command line adds where to find a port */
void
fk_cli_report_error(FkCli *self, const GError *error)
{
	const gchar *hint = fk_error_hint(error);
	g_printerr("\n%s %s\n", _("A fatal error occurred:"), error->message);
	/* what the doctor found replaces the general advice */
	if (self->diagnosis != NULL) {
		g_printerr("%s %s\n", _("Why:"), self->diagnosis->message);
		if (self->diagnosis->command != NULL)
			g_printerr("%s %s\n", _("Run:"), self->diagnosis->command);
	}
	if (g_error_matches(error, FK_ERROR, FK_ERROR_STUB_INVALID))
		g_printerr("%s\n", _("Remove or replace that stub file (see the README), or run with --no-stub "
				     "to use the ROM loader."));
	else if (g_error_matches(error, FK_ERROR, FK_ERROR_PORT_NOT_FOUND))
		g_printerr("%s\n", _("Run “flashkeep-cli list_ports” to see the serial ports and simulated "
				     "chips there are."));
	else if (g_error_matches(error, FK_ERROR, FK_ERROR_PORT_PERMISSION))
		; /* the message says what to do */
	else if (hint != NULL && self->diagnosis == NULL)
		g_printerr("%s\n", hint);
}
