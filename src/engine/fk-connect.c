/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the connect sequence: reset and sync, identify, stub, baud rate change, flash attach and
 * size; calls the loader, the reset, identification and stub upload layers */
#include "config.h"

#include "fk-connect.h"
#include "fk-device-private.h"
#include "fk-recovery.h"
#include "fk-error.h"
#include "fk-identify.h"
#include "fk-mem.h"
#include "fk-protocol.h"
#include "fk-reset.h"
#include "fk-stub-upload.h"
#include "fk-stub.h"

/* a stub switches its UART some milliseconds after its reply to CHANGE_BAUDRATE has gone out
 * (the legacy stub's stub_io_set_baudrate: 10 ms; the current stub's post-process: 5 ms, then
 * the TX FIFO drains): a command sent sooner reaches it at the wrong rate. The ROM switches as
 * soon as its reply is out, so it is asked at once */
#define FK_STUB_BAUD_SWITCH_MS 15
/* the tries of the first command at a new rate, each waiting longer: a USB adapter may hold the
 * reply back for its latency timer. The first waits at least what a register read took at the
 * old rate (fk_device_probe_first_ms()) */
static const guint fk_baud_probe_ms[] = {30, 60, 120, 240};
/* a READ_REG on the wire, both ways: 14 bytes of command and up to 16 of reply, with SLIP's ends */
#define FK_READ_REG_WIRE_BYTES 30

/* the first probe's wait at @new_baud: the slowest register read at @old_baud on this link, its
 * bytes' time at the old rate swapped for their time at the new one, and half again as margin;
 * a link with 16 ms of latency each way (an FTDI's latency timer) takes more than 30 ms */
static guint
fk_device_probe_first_ms(FkDevice *self, guint old_baud, guint new_baud)
{
	gint64 rtt_us = fk_loader_get_read_reg_round_trip_us(self->loader);
	gint64 wire_old_us = (gint64)FK_READ_REG_WIRE_BYTES * 10 * G_USEC_PER_SEC / MAX(old_baud, 1);
	gint64 wire_new_us = (gint64)FK_READ_REG_WIRE_BYTES * 10 * G_USEC_PER_SEC / MAX(new_baud, 1);
	gint64 expect_us = MAX(rtt_us - wire_old_us, 0) + wire_new_us;
	guint ms = (guint)MIN(expect_us * 3 / 2 / 1000 + 1, fk_baud_probe_ms[G_N_ELEMENTS(fk_baud_probe_ms) - 1]);
	return MAX(ms, fk_baud_probe_ms[0]);
}

/* the value the ROM is sent for @baud: the ROMs that misjudge their crystal are asked for a rate
 * that comes out right (esptool's change_baud in targets/esp32.py and esp32c2.py) */
static gboolean
fk_device_rom_baud_value(FkDevice *self, guint baud, guint32 *value, GCancellable *cancellable, GError **error)
{
	*value = baud;
	if (self->chip->family == FK_CHIP_ESP32) {
		/* the ESP32 ROM derives its divider from a drifting crystal estimate */
		guint32 r1 = 0, r2 = 0;
		guint64 f_rom, f_valid;
		if (!fk_loader_read_reg(self->loader, 0x3FF5F06C, &r1, cancellable, error) ||
		    !fk_loader_read_reg(self->loader, 0x3FF5A010, &r2, cancellable, error))
			return FALSE;
		f_rom = (guint64)((r1 >> 7) & 0x01FFFFFF) * 15625 * (r2 & 0xFF) / 40;
		f_valid = f_rom > 33000000 ? 40000000 : 26000000;
		if (f_rom != 0)
			*value = (guint32)((guint64)baud * f_rom / f_valid);
	} else if (self->chip->family == FK_CHIP_ESP32C2 && self->crystal_mhz == 26) {
		/* the ESP32-C2 ROM computes its divider for a 40 MHz crystal */
		*value = (guint32)((guint64)baud * 40 / 26);
	}
	return TRUE;
}

/* the first command at the new rate: a register read the loader answers once it has switched */
static gboolean
fk_device_probe_baud(FkDevice *self, guint first_ms, GCancellable *cancellable, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	guint8 buf[4];
	FkCommand cmd = {.op = FK_OP_READ_REG, .data = buf, .len = sizeof(buf)};

	fk_memwrite_u32le(buf, FK_CHIP_DETECT_MAGIC_REG);
	if (fk_loader_get_kind(self->loader) == FK_LOADER_STUB)
		g_usleep(FK_STUB_BAUD_SWITCH_MS * 1000);
	for (guint i = 0; i < G_N_ELEMENTS(fk_baud_probe_ms); i++) {
		g_autoptr(GByteArray) frame = NULL;
		g_clear_error(&error_local);
		/* what the switch left on the line (a glitch, an earlier try's late reply) */
		if (!fk_loader_flush_input(self->loader, error))
			return FALSE;
		cmd.timeout_ms = MAX(fk_baud_probe_ms[i], first_ms << i);
		frame = fk_loader_command_full(self->loader, &cmd, NULL, cancellable, &error_local);
		if (frame != NULL)
			return TRUE;
		if (fk_loader_error_is_final(error_local))
			break;
	}
	g_propagate_prefixed_error(error, g_steal_pointer(&error_local), "no answer at %u baud: ", self->current_baud);
	return FALSE;
}

gboolean
_fk_device_change_baud_to(FkDevice *self, guint baud, GCancellable *cancellable, GError **error)
{
	guint8 buf[8];
	guint32 new_value = baud;
	guint first_ms;
	g_autoptr(GError) error_local = NULL;

	/* the target is only below the current rate when a failing link is slowed down */
	if (baud == 0 || baud == self->current_baud)
		return TRUE;
	if (fk_transport_get_kind(fk_loader_get_transport(self->loader)) == FK_TRANSPORT_KIND_TCP) {
		fk_loader_log(self->loader, "staying at the bridge's rate: a raw TCP link cannot change the baud rate");
		return TRUE;
	}
	if (fk_loader_get_kind(self->loader) == FK_LOADER_ROM8266) {
		fk_loader_log(self->loader, "the ESP8266 ROM cannot change the baud rate: staying at %u", self->current_baud);
		return TRUE;
	}
	if (fk_loader_get_kind(self->loader) == FK_LOADER_ROM32 &&
	    !fk_device_rom_baud_value(self, baud, &new_value, cancellable, error))
		return FALSE;
	fk_loader_log(self->loader, "changing the baud rate to %u", baud);
	fk_memwrite_u32le(buf, new_value);
	/* a stub is told the rate it runs at now: the legacy stub scales its divider by new/old */
	fk_memwrite_u32le(buf + 4, fk_loader_get_kind(self->loader) == FK_LOADER_STUB ? self->current_baud : 0);
	if (!fk_loader_command(self->loader, FK_OP_CHANGE_BAUDRATE, buf, sizeof(buf), FK_TIMEOUT_DEFAULT_MS, cancellable, &error_local)) {
		if (fk_loader_is_unsupported(error_local)) {
			fk_loader_log(self->loader, "the loader cannot change the baud rate: staying at %u", self->current_baud);
			return TRUE;
		}
		g_propagate_prefixed_error(error, g_steal_pointer(&error_local), "failed to change the baud rate: ");
		return FALSE;
	}
	/* the reply came at the old rate: the chip switches now (no settling time: the first
	 * command at the new rate tells when it has) */
	first_ms = fk_device_probe_first_ms(self, self->current_baud, baud);
	if (!fk_transport_set_baud(fk_loader_get_transport(self->loader), baud, error))
		return FALSE;
	self->current_baud = baud;
	if (!fk_device_probe_baud(self, first_ms, cancellable, error))
		return FALSE;
	/* what is timed from now on is at the new rate */
	fk_loader_clear_read_reg_round_trip(self->loader);
	fk_loader_log(self->loader, "changed the baud rate to %u", self->current_baud);
	return TRUE;
}

gboolean
_fk_device_change_baud(FkDevice *self, GCancellable *cancellable, GError **error)
{
	return _fk_device_change_baud_to(self, self->target_baud, cancellable, error);
}

gboolean
_fk_device_attach_flash(FkDevice *self, GCancellable *cancellable, GError **error)
{
	guint8 buf[16] = {0};
	guint32 value = self->spi_connection;

	if (fk_loader_get_kind(self->loader) == FK_LOADER_ROM8266) {
		/* no SPI_ATTACH on the ESP8266 ROM: an empty FLASH_BEGIN attaches */
		fk_memwrite_u32le(buf + 8, FK_ROM_WRITE_SIZE);
		return fk_loader_command(self->loader, FK_OP_FLASH_BEGIN, buf, 16, FK_TIMEOUT_DEFAULT_MS, cancellable, error);
	}
	if (fk_loader_get_kind(self->loader) == FK_LOADER_STUB && !self->spi_connection_set)
		return TRUE; /* the stub attached the flash when it started */
	if (!self->spi_connection_set && self->chip->family == FK_CHIP_ESP32) {
		/* the ESP32 ROM needs the pins from the eFuses */
		guint32 r5 = 0, r3 = 0;
		guint32 clk, q, d, cs, hd;
		if (!fk_loader_read_reg(self->loader, 0x3FF5A014, &r5, cancellable, error) ||
		    !fk_loader_read_reg(self->loader, 0x3FF5A00C, &r3, cancellable, error))
			return FALSE;
		clk = r5 & 0x1F;
		q = (r5 >> 5) & 0x1F;
		d = (r5 >> 10) & 0x1F;
		cs = (r5 >> 15) & 0x1F;
		hd = (r3 >> 4) & 0x1F;
		value = (clk == 0 && q == 0 && d == 0 && cs == 0 && hd == 0)
			    ? 0
			    : (hd << 24) | (cs << 18) | (d << 12) | (q << 6) | clk;
	}
	fk_memwrite_u32le(buf, value);
	return fk_loader_command(self->loader,
				 FK_OP_SPI_ATTACH,
				 buf,
				 fk_loader_get_kind(self->loader) == FK_LOADER_STUB ? 4 : 8,
				 FK_TIMEOUT_DEFAULT_MS,
				 cancellable,
				 error);
}

gboolean
fk_device_set_flash_size(FkDevice *self, gsize size, GCancellable *cancellable, GError **error)
{
	guint8 buf[24];
	/* from now on the size to check against, and to set again after a reconnect */
	self->flash_size = size;
	if (fk_loader_get_kind(self->loader) == FK_LOADER_ROM8266)
		return TRUE; /* not supported, and not needed */
	fk_memwrite_u32le(buf, 0);
	fk_memwrite_u32le(buf + 4, size);
	fk_memwrite_u32le(buf + 8, FK_FLASH_BLOCK_SIZE);
	fk_memwrite_u32le(buf + 12, FK_FLASH_SECTOR_SIZE);
	fk_memwrite_u32le(buf + 16, FK_FLASH_PAGE_SIZE);
	fk_memwrite_u32le(buf + 20, 0xFFFF);
	if (!fk_loader_command(self->loader, FK_OP_SPI_SET_PARAMS, buf, sizeof(buf), FK_TIMEOUT_DEFAULT_MS, cancellable, error)) {
		g_prefix_error(error, "failed to set the flash parameters: ");
		return FALSE;
	}
	return TRUE;
}

void
_fk_device_choose_baud(FkDevice *self, gboolean stub)
{
	FkTransport *transport = fk_loader_get_transport(self->loader);
	g_autoptr(FkBaudMemory) memory = NULL;
	g_autofree gchar *key = NULL;
	guint remembered, clean_runs = 0;
	const FkBaudChoice *c = &self->baud_choice;

	/* chosen once: a reconnect after a step-down keeps the lowered rate */
	if (!self->auto_baud || self->baud_chosen)
		return;
	memory = fk_baud_memory_new(self->baud_memory_path);
	key = fk_baud_memory_key(transport);
	remembered = fk_baud_memory_lookup(memory, key, &clean_runs);
	fk_adapter_choose_baud(fk_adapter_identify_transport(transport), self->chip->family, stub, remembered,
			       clean_runs, &self->baud_choice);
	self->baud_chosen = TRUE;
	self->target_baud = c->start;
	if (c->adapter->max_baud == 0)
		fk_loader_log(self->loader, "automatic baud rate: %s, the rate does not matter", c->adapter->name);
	else if (c->probing)
		fk_loader_log(self->loader, "automatic baud rate: %u for %s, one step above the %u that worked "
			      "%u times", c->start, c->adapter->name, remembered, clean_runs);
	else if (c->from_memory)
		fk_loader_log(self->loader, "automatic baud rate: %u, the rate that worked last time with this %s "
			      "(it sustains %u)", c->start, c->adapter->name, c->table_baud);
	else
		fk_loader_log(self->loader, "automatic baud rate: %u for %s and %s", c->start, c->adapter->name,
			      self->chip->name);
}

void
_fk_device_baud_settle(FkDevice *self, gboolean worked)
{
	g_autoptr(FkBaudMemory) memory = NULL;
	g_autofree gchar *key = NULL;
	g_autoptr(GError) error_local = NULL;
	gboolean ok;

	if (!self->auto_baud || !self->baud_chosen)
		return;
	memory = fk_baud_memory_new(self->baud_memory_path);
	key = fk_baud_memory_key(fk_loader_get_transport(self->loader));
	if (worked)
		ok = fk_baud_memory_record_success(memory, key, &self->baud_choice, self->current_baud, &error_local);
	else
		ok = !self->baud_choice.from_memory || fk_baud_memory_forget(memory, key, &error_local);
	/* only speed is lost: say so and go on */
	if (!ok)
		fk_loader_log(self->loader, "%s", error_local->message);
}

/* the rate a connection starts at: the ROM's, or lower if asked */
guint
_fk_device_start_baud(FkDevice *self)
{
	return self->target_baud > 0 ? MIN(self->target_baud, FK_ROM_BAUD) : FK_ROM_BAUD;
}

/* marks the end of a step of the connection in self->times */
static void
fk_device_mark(FkDevice *self, gint64 *step)
{
	*step = g_get_monotonic_time() - self->times.started;
}

/* the ROM can be asked for the faster rate before the stub is uploaded: every ESP32-family ROM
 * takes CHANGE_BAUDRATE (the ESP8266's does not), unless it failed there before on this device;
 * only where a reset can bring back a ROM that stopped answering */
static gboolean
fk_device_may_raise_rom_baud(FkDevice *self)
{
	return fk_loader_get_kind(self->loader) == FK_LOADER_ROM32 && !self->rom_baud_refused &&
	       _fk_device_can_reset(self) &&
	       self->target_baud > self->current_baud &&
	       fk_transport_get_kind(fk_loader_get_transport(self->loader)) != FK_TRANSPORT_KIND_TCP;
}

/* the fast way failed where the usual one may not: connect again, raising the rate only once the
 * stub runs (esptool's order) */
static gboolean
fk_device_rom_baud_failed(FkDevice *self, GError *cause, GError **error)
{
	if (fk_loader_error_is_final(cause)) {
		g_propagate_error(error, cause);
		return FALSE;
	}
	fk_loader_log(self->loader, "%s: connecting again, to change the rate once the stub runs", cause->message);
	self->rom_baud_refused = TRUE;
	self->rom_baud_retry = TRUE;
	g_propagate_error(error, cause);
	return FALSE;
}

/* uploads and starts @stub, at the faster rate where the ROM can be switched to it first (the
 * upload is most of a connection's bytes); the stub keeps the ROM's rate */
static gboolean
fk_device_run_stub(FkDevice *self, const FkStub *stub, GCancellable *cancellable, GError **error)
{
	guint rom_rate = self->current_baud;
	guint stub_rate = 0;
	GError *error_local = NULL;

	if (fk_device_may_raise_rom_baud(self)) {
		/* the ROM goes no faster than its cautious limit; the stub can go on from there */
		guint baud = MIN(self->target_baud, fk_adapter_chip_max_baud(self->chip->family, FALSE, NULL));
		if (!_fk_device_change_baud_to(self, baud, cancellable, &error_local))
			return fk_device_rom_baud_failed(self, error_local, error);
		fk_device_mark(self, &self->times.rom_baud);
	}
	if (!fk_stub_upload_run(self->loader, stub, rom_rate != self->current_baud ? rom_rate : 0, &stub_rate,
				cancellable, &error_local)) {
		if (rom_rate != self->current_baud)
			return fk_device_rom_baud_failed(self, error_local, error);
		g_propagate_error(error, error_local);
		return FALSE;
	}
	self->current_baud = stub_rate != 0 ? stub_rate : self->current_baud;
	fk_device_mark(self, &self->times.stub);
	return TRUE;
}

/* connects, talking at @initial_baud first */
gboolean
_fk_device_connect_at(FkDevice *self, guint initial_baud, GCancellable *cancellable, GError **error)
{
	gboolean stub_detected = FALSE;
	g_autoptr(FkStub) stub = NULL;

	if (self->times.started == 0)
		self->times.started = g_get_monotonic_time();
	self->times.synced = self->times.identified = self->times.rom_baud = 0;
	self->times.stub = self->times.stub_baud = self->times.connected = 0;
	fk_loader_set_connected(self->loader, FALSE);
	self->chip = NULL;
	fk_loader_set_kind(self->loader, FK_LOADER_ROM32);
	if (!fk_transport_set_baud(fk_loader_get_transport(self->loader), initial_baud, error))
		return FALSE;
	self->current_baud = initial_baud;
	/* the rate really in use: the faster one is asked for only once the loader runs */
	if (fk_transport_get_kind(fk_loader_get_transport(self->loader)) == FK_TRANSPORT_KIND_TCP)
		fk_loader_log(self->loader, "connecting at the bridge's baud rate");
	else
		fk_loader_log(self->loader, "connecting at %u baud", initial_baud);

	if (self->reset_mode != FK_RESET_NONE_NO_SYNC) {
		FkResetWait wait = {self->wait_func, self->wait_data, self->wait_limit_s};
		if (!fk_reset_and_sync(self->loader, self->reset_mode, self->wait_func != NULL ? &wait : NULL,
				       &stub_detected, cancellable, error))
			return FALSE;
	}
	fk_device_mark(self, &self->times.synced);
	if (stub_detected) {
		fk_loader_log(self->loader, "a flasher stub is already running");
		fk_loader_set_kind(self->loader, FK_LOADER_STUB);
	}
	if (!_fk_device_detect_chip(self, cancellable, error)) {
		g_prefix_error(error, "failed to identify the chip: ");
		return FALSE;
	}
	if (fk_loader_get_kind(self->loader) != FK_LOADER_STUB)
		fk_loader_set_kind(self->loader, self->chip->family == FK_CHIP_ESP8266 ? FK_LOADER_ROM8266 : FK_LOADER_ROM32);
	if (self->expected_family != FK_CHIP_UNKNOWN && self->expected_family != self->chip->family) {
		const FkChipInfo *want = fk_chip_by_family(self->expected_family);
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_UNSUPPORTED_CHIP,
			    "This is an %s, not the %s that was asked for",
			    self->chip->name,
			    want != NULL ? want->name : "chip");
		return FALSE;
	}
	if (!stub_detected && !fk_stub_upload_disable_watchdogs(self->loader, self->chip, cancellable, error))
		return FALSE;
	if (!_fk_device_read_mac(self, cancellable, error) ||
	    !_fk_device_read_crystal(self, cancellable, error))
		return FALSE;
	if (!_fk_device_describe(self, cancellable, error))
		return FALSE;
	fk_device_mark(self, &self->times.identified);
	fk_loader_log(self->loader, "detected %s, MAC %02x:%02x:%02x:%02x:%02x:%02x", self->description,
		      self->mac[0], self->mac[1], self->mac[2], self->mac[3], self->mac[4], self->mac[5]);

	if (self->use_stub && fk_loader_get_kind(self->loader) != FK_LOADER_STUB) {
		g_autoptr(GError) error_stub = NULL;
		stub = fk_stub_find(self->chip, &error_stub);
		if (stub == NULL) {
			if (!g_error_matches(error_stub, FK_ERROR, FK_ERROR_STUB_MISSING) &&
			    !g_error_matches(error_stub, FK_ERROR, FK_ERROR_UNSUPPORTED)) {
				g_propagate_error(error, g_steal_pointer(&error_stub));
				return FALSE;
			}
			fk_loader_log(self->loader, "working with the ROM loader only: %s", error_stub->message);
		}
	}
	_fk_device_choose_baud(self, stub != NULL || fk_loader_get_kind(self->loader) == FK_LOADER_STUB);
	if (stub != NULL && !fk_device_run_stub(self, stub, cancellable, error))
		return FALSE;
	if (self->target_baud != 0 && self->target_baud != self->current_baud) {
		if (!_fk_device_change_baud(self, cancellable, error))
			return FALSE;
		fk_device_mark(self, &self->times.stub_baud);
	}
	if (!_fk_device_attach_flash(self, cancellable, error)) {
		g_prefix_error(error, "failed to attach the flash: ");
		return FALSE;
	}
	if (!_fk_device_detect_flash(self, cancellable, error))
		return FALSE;
	/* Automatic, at a rate it chose above the ROM's: no register write carries a checksum, so one
	 * the line damaged can leave the SPI command unsent and the flash looking dead. That is the
	 * line's fault until the ROM's own rate says otherwise: the next lower rate asks again, and
	 * at 115200 the answer stands */
	if (fk_flash_jedec_is_bad(self->flash_id) && _fk_device_baud_may_be_lowered(self)) {
		g_set_error(error,
			    FK_PROTOCOL_ERROR,
			    FK_PROTOCOL_ERROR_UNEXPECTED_RESPONSE,
			    "the flash id read at %u baud was %06x",
			    self->current_baud,
			    self->flash_id);
		return FALSE;
	}
	if (self->flash_size > 0 && !fk_device_set_flash_size(self, self->flash_size, cancellable, error))
		return FALSE;
	fk_device_mark(self, &self->times.connected);
	fk_loader_set_connected(self->loader, TRUE);
	return TRUE;
}

gboolean
fk_device_connect(FkDevice *self, GCancellable *cancellable, GError **error)
{
	self->times.started = g_get_monotonic_time();
	return _fk_device_connect_retrying(self, cancellable, error);
}
