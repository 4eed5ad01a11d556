/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the recovery policy the operations call: what is transient, the bounds, the baud rate
 * step-down, resync and reconnect; calls the loader and the connect layer */
#include "config.h"

#include <string.h>

#include "fk-connect.h"
#include "fk-device-private.h"
#include "fk-error.h"
#include "fk-protocol.h"
#include "fk-recovery.h"

#define FK_MAX_RECOVERIES 16 /* per operation */
#define FK_MAX_ATTEMPTS	  3  /* of one piece of an operation, in a row */
#define FK_CONNECT_TRIES  3  /* whole connections, when a link fault hits one */

/* whether doing it again might work: the link or the chip had a hiccup */
static gboolean
fk_device_error_is_transient(const GError *error)
{
	if (error->domain == FK_PROTOCOL_ERROR)
		return error->code != FK_PROTOCOL_ERROR_UNSUPPORTED_COMMAND;
	if (error->domain == FK_DEVICE_ERROR) {
		/* what a corrupted frame, a lost block or a loader that restarted cause; not what a
		 * wrong request, write protection or a missing feature cause */
		switch (error->code) {
		case FK_DEVICE_ERROR_RECEIVE:
		case FK_DEVICE_ERROR_BAD_CRC:
		case FK_DEVICE_ERROR_FLASH_WRITE:
		case FK_DEVICE_ERROR_FLASH_READ:
		case FK_DEVICE_ERROR_FLASH_READ_LENGTH:
		case FK_DEVICE_ERROR_DEFLATE:
		case FK_DEVICE_ERROR_DEFLATE_ADLER:
		case FK_DEVICE_ERROR_STUB_BAD_DATA_LEN:
		case FK_DEVICE_ERROR_STUB_BAD_DATA_CHECKSUM:
		case FK_DEVICE_ERROR_STUB_FAILED_SPI_OP:
		case FK_DEVICE_ERROR_STUB_NOT_IN_FLASH_MODE:
		case FK_DEVICE_ERROR_STUB_INFLATE:
		case FK_DEVICE_ERROR_STUB_NOT_ENOUGH_DATA:
		case FK_DEVICE_ERROR_STUB_TOO_MUCH_DATA:
			return TRUE;
		default:
			return FALSE;
		}
	}
	if (error->domain == FK_ERROR) {
		return error->code == FK_ERROR_TIMEOUT || error->code == FK_ERROR_VERIFY_FAILED ||
		       error->code == FK_ERROR_CHIP_RESET;
	}
	return FALSE;
}

/* the loader answers SYNC again, and it is still the loader we talked to; a stub may need a
 * moment to finish what it was doing (a deferred erase or write) */
static gboolean
fk_device_resync(FkDevice *self, GCancellable *cancellable, GError **error)
{
	static const guint pause_ms[] = {0, 200, 500, 1000};
	g_autoptr(GError) error_local = NULL;

	for (guint i = 0; i < G_N_ELEMENTS(pause_ms); i++) {
		gboolean stub_detected = FALSE;
		g_clear_error(&error_local);
		g_usleep(pause_ms[i] * 1000);
		/* a stub still streaming a read ends it at the first frame that is not an
		 * acknowledgement, so the first SYNC may go unanswered */
		if (!fk_loader_flush_input(self->loader, error))
			return FALSE;
		if (fk_loader_sync(self->loader, &stub_detected, cancellable, &error_local)) {
			if (stub_detected != (fk_loader_get_kind(self->loader) == FK_LOADER_STUB)) {
				g_set_error_literal(error, FK_ERROR, FK_ERROR_CHIP_RESET, "the chip is back in its ROM loader");
				return FALSE;
			}
			/* a ROM loader that restarted quietly has forgotten the flash settings */
			if (fk_loader_get_kind(self->loader) != FK_LOADER_STUB &&
			    (!_fk_device_attach_flash(self, cancellable, error) ||
			     (self->flash_size > 0 && !fk_device_set_flash_size(self, self->flash_size, cancellable, error))))
				return FALSE;
			return TRUE;
		}
		if (!fk_device_error_is_transient(error_local))
			break;
	}
	g_propagate_error(error, g_steal_pointer(&error_local));
	return FALSE;
}

gboolean
_fk_device_can_reset(FkDevice *self)
{
	return (self->reset_mode == FK_RESET_AUTO || self->reset_mode == FK_RESET_USB_JTAG) &&
	       fk_transport_has_modem_lines(fk_loader_get_transport(self->loader));
}

/* a new connection to the same chip, with the flash size the caller chose */
static gboolean
fk_device_reconnect(FkDevice *self, GCancellable *cancellable, GError **error)
{
	guint8 mac[6];
	gsize flash_size = self->flash_size;
	gboolean ok = FALSE;

	memcpy(mac, self->mac, sizeof(mac));
	/* without a reset, the stub may still be running at the rate it was given */
	if (!_fk_device_can_reset(self) && self->current_baud != _fk_device_start_baud(self)) {
		g_autoptr(GError) error_local = NULL;
		ok = _fk_device_connect_at(self, self->current_baud, cancellable, &error_local);
		if (!ok) {
			if (fk_loader_error_is_final(error_local)) {
				g_propagate_error(error, g_steal_pointer(&error_local));
				return FALSE;
			}
			fk_loader_log(self->loader, "no answer at %u baud (%s)", self->current_baud, error_local->message);
		}
	}
	if (!ok && !fk_device_connect(self, cancellable, error))
		return FALSE;
	if (memcmp(mac, self->mac, sizeof(mac)) != 0) {
		fk_loader_set_connected(self->loader, FALSE);
		g_set_error_literal(error,
				    FK_ERROR,
				    FK_ERROR_WRONG_STATE,
				    "A different chip answered after reconnecting: stopped. Connect the original "
				    "board and start again");
		return FALSE;
	}
	if (flash_size != 0 && flash_size != self->flash_size &&
	    !fk_device_set_flash_size(self, flash_size, cancellable, error))
		return FALSE;
	return TRUE;
}

/* after @cause interrupted an operation: talk to the chip again, so that the caller can resume
 * where it stands. FALSE with @error set (to @cause, or to why the chip cannot be reached) when
 * the operation should stop */
gboolean
_fk_device_recover(FkDevice *self, FkRecovery *rec, GError **cause, GCancellable *cancellable, GError **error)
{
	g_autoptr(GError) error_local = NULL;

	if (!fk_device_error_is_transient(*cause)) {
		g_propagate_error(error, g_steal_pointer(cause));
		return FALSE;
	}
	if (rec->used >= FK_MAX_RECOVERIES || rec->in_a_row >= FK_MAX_ATTEMPTS - 1) {
		g_propagate_prefixed_error(error, g_steal_pointer(cause), "gave up after %u attempts: ", rec->used + 1);
		_fk_device_baud_settle(self, FALSE);
		return FALSE;
	}
	rec->used++;
	rec->in_a_row++;
	if (!g_error_matches(*cause, FK_ERROR, FK_ERROR_CHIP_RESET))
		rec->at_this_baud++;
	fk_loader_log(self->loader, "%s failed (%s); trying again", rec->what, (*cause)->message);

	fk_loader_set_connected(self->loader, FALSE);
	/* let what is still on its way arrive, then drop it */
	g_usleep(50 * 1000);
	if (g_error_matches(*cause, FK_ERROR, FK_ERROR_CHIP_RESET) ||
	    !fk_device_resync(self, cancellable, &error_local)) {
		if (fk_loader_error_is_final(error_local)) {
			g_propagate_error(error, g_steal_pointer(&error_local));
			return FALSE;
		}
		if (error_local != NULL)
			fk_loader_log(self->loader, "the loader does not answer (%s)", error_local->message);
		fk_loader_log(self->loader, "connecting again");
		g_clear_error(&error_local);
		if (!fk_device_reconnect(self, cancellable, &error_local)) {
			g_propagate_prefixed_error(error,
						   g_steal_pointer(&error_local),
						   "%s failed (%s), and connecting again failed: ",
						   rec->what,
						   (*cause)->message);
			_fk_device_baud_settle(self, FALSE);
			return FALSE;
		}
	}

	/* a link that keeps failing may work at a lower rate */
	if (rec->at_this_baud >= 2 && fk_adapter_lower_baud(self->current_baud) < self->current_baud &&
	    fk_transport_get_kind(fk_loader_get_transport(self->loader)) != FK_TRANSPORT_KIND_TCP && fk_loader_get_kind(self->loader) != FK_LOADER_ROM8266) {
		self->target_baud = fk_adapter_lower_baud(self->current_baud);
		fk_loader_log(self->loader, "lowering the baud rate to %u after repeated errors", self->target_baud);
		rec->at_this_baud = 0;
		if (!_fk_device_change_baud(self, cancellable, &error_local)) {
			/* the chip may have switched without its reply getting through */
			fk_loader_log(self->loader, "%s: connecting again", error_local->message);
			g_clear_error(&error_local);
			if (!fk_device_reconnect(self, cancellable, error))
				return FALSE;
		}
	}
	fk_loader_set_connected(self->loader, TRUE);
	self->recoveries++;
	g_clear_error(cause);
	return TRUE;
}

gboolean
_fk_device_baud_may_be_lowered(FkDevice *self)
{
	return self->auto_baud && self->baud_chosen && self->current_baud > FK_ROM_BAUD &&
	       self->current_baud == self->target_baud;
}

/* connecting, a few times over when a link fault hits it (a lost byte in the stub upload, a
 * late reply while identifying, a baud change whose first reply was lost): each attempt starts
 * from a reset where there are reset lines, and from the rate the stub was left at otherwise */
gboolean
_fk_device_connect_retrying(FkDevice *self, GCancellable *cancellable, GError **error)
{
	for (guint attempt = 1;; attempt++) {
		g_autoptr(GError) error_local = NULL;
		guint baud = _fk_device_start_baud(self);
		if (attempt > 1 && !_fk_device_can_reset(self))
			baud = self->current_baud;
		self->rom_baud_retry = FALSE;
		if (_fk_device_connect_at(self, baud, cancellable, &error_local))
			return TRUE;
		/* the ROM failed at the faster rate: the usual order, at once; not the link's fault */
		if (self->rom_baud_retry && _fk_device_can_reset(self)) {
			self->rom_baud_retry = FALSE;
			self->recoveries++;
			attempt--;
			continue;
		}
		/* Automatic: a link that failed at the rate it chose tries the next lower one, an
		 * attempt that does not count (the ladder ends at 115200). Right after the switch a
		 * damaged frame can look like any refusal (a flipped opcode is an "invalid command"),
		 * so every answer the chip gave, or did not give, counts as the line's fault */
		if (_fk_device_baud_may_be_lowered(self) && !fk_loader_error_is_final(error_local) &&
		    (error_local->domain == FK_PROTOCOL_ERROR || error_local->domain == FK_DEVICE_ERROR ||
		     g_error_matches(error_local, FK_ERROR, FK_ERROR_TIMEOUT) ||
		     g_error_matches(error_local, FK_ERROR, FK_ERROR_CHIP_RESET))) {
			self->target_baud = fk_adapter_lower_baud(self->current_baud);
			fk_loader_log(self->loader, "connecting failed at %u baud (%s); connecting again at %u",
				      self->current_baud, error_local->message, self->target_baud);
			self->recoveries++;
			attempt--;
			continue;
		}
		if (attempt >= FK_CONNECT_TRIES || fk_loader_error_is_final(error_local) ||
		    !fk_device_error_is_transient(error_local)) {
			g_propagate_error(error, g_steal_pointer(&error_local));
			return FALSE;
		}
		self->recoveries++;
		fk_loader_log(self->loader, "connecting failed (%s); connecting again (attempt %u of %u)",
			      error_local->message, attempt + 1, (guint)FK_CONNECT_TRIES);
	}
}
