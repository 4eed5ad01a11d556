/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the flasher stub upload: watchdogs off on USB-Serial/JTAG chips, MEM_BEGIN/DATA/END,
 * starting the stub and waiting for its greeting; calls the loader and the reset layer */
#include "config.h"

#include <string.h>

#include "fk-error.h"
#include "fk-mem.h"
#include "fk-packet.h"
#include "fk-protocol.h"
#include "fk-reset.h"
#include "fk-stub-upload.h"

typedef struct {
	FkChipFamily family;
	guint32 wdt_config0;
	guint32 wdt_wprotect;
	guint32 swd_conf;
	guint32 swd_bit;
	guint32 swd_wprotect;
	guint32 swd_key;
} FkWatchdogRegs;

/* chips with a USB-Serial/JTAG port reset themselves mid-operation unless the RTC watchdog is
 * disabled and the super watchdog fed automatically */
static const FkWatchdogRegs watchdog_regs[] = {
    {FK_CHIP_ESP32S3, 0x60008098, 0x600080B0, 0x600080B4, 1u << 31, 0x600080B8, 0x8F1D312A},
    {FK_CHIP_ESP32C3, 0x60008090, 0x600080A8, 0x600080AC, 1u << 31, 0x600080B0, 0x8F1D312A},
    {FK_CHIP_ESP32C5, 0x600B1C00, 0x600B1C18, 0x600B1C1C, 1u << 18, 0x600B1C20, 0x50D83AA1},
    {FK_CHIP_ESP32C6, 0x600B1C00, 0x600B1C18, 0x600B1C1C, 1u << 18, 0x600B1C20, 0x50D83AA1},
    {FK_CHIP_ESP32C61, 0x600B1C00, 0x600B1C18, 0x600B1C1C, 1u << 18, 0x600B1C20, 0x50D83AA1},
    {FK_CHIP_ESP32H2, 0x600B1C00, 0x600B1C1C, 0x600B1C20, 1u << 18, 0x600B1C24, 0x50D83AA1},
    {FK_CHIP_ESP32H21, 0x600B1C00, 0x600B1C1C, 0x600B1C20, 1u << 18, 0x600B1C24, 0x50D83AA1},
    {FK_CHIP_ESP32H4, 0x60090048, 0x60090064, 0x600B541C, 1u << 18, 0x600B5420, 0x50D83AA1},
    {FK_CHIP_ESP32P4, 0x50116000, 0x50116018, 0x5011601C, 1u << 18, 0x50116020, 0x50D83AA1},
};

#define FK_WDT_WKEY 0x50D83AA1

gboolean
fk_stub_upload_disable_watchdogs(FkLoader *self,
				 const FkChipInfo *chip,
				 GCancellable *cancellable,
				 GError **error)
{
	const FkWatchdogRegs *regs = NULL;
	guint32 conf = 0;
	if (!fk_reset_is_usb_jtag(fk_loader_get_transport(self)))
		return TRUE;
	for (guint i = 0; i < G_N_ELEMENTS(watchdog_regs); i++) {
		if (watchdog_regs[i].family == chip->family)
			regs = &watchdog_regs[i];
	}
	if (regs == NULL)
		return TRUE;
	fk_loader_log(self, "disabling the watchdogs (USB-Serial/JTAG port)");
	return fk_loader_write_reg(self, regs->wdt_wprotect, FK_WDT_WKEY, 0xFFFFFFFF, 0, cancellable, error) &&
	       fk_loader_write_reg(self, regs->wdt_config0, 0, 0xFFFFFFFF, 0, cancellable, error) &&
	       fk_loader_write_reg(self, regs->wdt_wprotect, 0, 0xFFFFFFFF, 0, cancellable, error) &&
	       fk_loader_write_reg(self, regs->swd_wprotect, regs->swd_key, 0xFFFFFFFF, 0, cancellable, error) &&
	       fk_loader_read_reg(self, regs->swd_conf, &conf, cancellable, error) &&
	       fk_loader_write_reg(self, regs->swd_conf, conf | regs->swd_bit, 0xFFFFFFFF, 0, cancellable, error) &&
	       fk_loader_write_reg(self, regs->swd_wprotect, 0, 0xFFFFFFFF, 0, cancellable, error);
}

static gboolean
fk_stub_upload_segment(FkLoader *self, guint32 addr, GBytes *segment, GCancellable *cancellable, GError **error)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(segment, &len);
	guint blocks = (len + FK_RAM_BLOCK_SIZE - 1) / FK_RAM_BLOCK_SIZE;
	guint8 begin[16];

	fk_memwrite_u32le(begin, len);
	fk_memwrite_u32le(begin + 4, blocks);
	fk_memwrite_u32le(begin + 8, FK_RAM_BLOCK_SIZE);
	fk_memwrite_u32le(begin + 12, addr);
	if (!fk_loader_command(self, FK_OP_MEM_BEGIN, begin, sizeof(begin), FK_TIMEOUT_DEFAULT_MS, cancellable, error))
		return FALSE;
	for (guint seq = 0; seq < blocks; seq++) {
		gsize chunk = MIN(FK_RAM_BLOCK_SIZE, len - seq * FK_RAM_BLOCK_SIZE);
		g_autoptr(GByteArray) buf = g_byte_array_sized_new(16 + chunk);
		const guint8 *src = data + seq * FK_RAM_BLOCK_SIZE;
		FkCommand cmd = {.op = FK_OP_MEM_DATA, .timeout_ms = FK_TIMEOUT_DEFAULT_MS};
		g_autoptr(GByteArray) frame = NULL;
		fk_byte_array_append_u32le(buf, chunk);
		fk_byte_array_append_u32le(buf, seq);
		fk_byte_array_append_u32le(buf, 0);
		fk_byte_array_append_u32le(buf, 0);
		g_byte_array_append(buf, src, chunk);
		cmd.data = buf->data;
		cmd.len = buf->len;
		cmd.checksum = fk_checksum(src, chunk);
		frame = fk_loader_command_full(self, &cmd, NULL, cancellable, error);
		if (frame == NULL)
			return FALSE;
	}
	return TRUE;
}

/* the stub greets within milliseconds of its start; a greeting that does not come at a rate the
 * ROM was switched to may have been sent at another one */
#define FK_STUB_GREETING_RAISED_MS 500

/* waits for the stub's greeting, at most @timeout_ms */
static gboolean
fk_stub_upload_greeting(FkLoader *self, guint timeout_ms, GCancellable *cancellable, GError **error)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	for (;;) {
		g_autoptr(GByteArray) frame = NULL;
		gint64 now = g_get_monotonic_time();
		if (now >= deadline) {
			g_set_error_literal(error,
					    FK_ERROR,
					    FK_ERROR_STUB_INVALID,
					    "the flasher stub did not start (no greeting)");
			return FALSE;
		}
		frame = fk_loader_read_frame(self, (guint)((deadline - now) / 1000) + 1, cancellable, error);
		if (frame == NULL) {
			g_prefix_error(error, "the flasher stub did not start: ");
			return FALSE;
		}
		if (frame->len == 4 && memcmp(frame->data, FK_STUB_GREETING, 4) == 0)
			return TRUE;
		/* a late MEM_END reply is harmless; anything else is not a greeting */
		if (frame->len >= 2 && frame->data[0] == 0x01 && frame->data[1] == FK_OP_MEM_END)
			continue;
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_STUB_INVALID,
			    "the flasher stub did not start: unexpected %u-byte frame instead of its greeting",
			    frame->len);
		return FALSE;
	}
}

/* a stub may set its UART up again when it starts, at the rate the ROM first detected (the
 * current stub does so on the ESP32, ESP32-S2 and ESP32-P4, from the ROM's own record of its
 * rate): whether it answers SYNC there */
static gboolean
fk_stub_upload_find_at(FkLoader *self, guint baud, GCancellable *cancellable, GError **error)
{
	gboolean stub_detected = FALSE;

	if (!fk_transport_set_baud(fk_loader_get_transport(self), baud, error) || !fk_loader_flush_input(self, error))
		return FALSE;
	if (!fk_loader_sync(self, &stub_detected, cancellable, error))
		return FALSE;
	if (!stub_detected) {
		g_set_error_literal(error, FK_ERROR, FK_ERROR_STUB_INVALID,
				    "the flasher stub did not start: the ROM answers instead");
		return FALSE;
	}
	return TRUE;
}

gboolean
fk_stub_upload_run(FkLoader *self,
		   const FkStub *stub,
		   guint rom_first_baud,
		   guint *stub_baud,
		   GCancellable *cancellable,
		   GError **error)
{
	guint8 end[8];
	FkCommand cmd = {.op = FK_OP_MEM_END, .data = end, .len = sizeof(end), .timeout_ms = FK_TIMEOUT_MEM_END_ROM_MS};
	g_autoptr(GByteArray) reply = NULL;
	g_autoptr(GError) error_greeting = NULL;

	*stub_baud = 0;
	fk_loader_log(self, "uploading the flasher stub from %s", stub->path);
	if (!fk_stub_upload_segment(self, stub->text_start, stub->text, cancellable, error))
		return FALSE;
	if (stub->data != NULL &&
	    !fk_stub_upload_segment(self, stub->data_start, stub->data, cancellable, error))
		return FALSE;
	fk_memwrite_u32le(end, 0); /* 0 = execute */
	fk_memwrite_u32le(end + 4, stub->entry);
	/* the ROM may jump before it replies: a missing reply is fine */
	reply = fk_loader_command_full(self, &cmd, NULL, cancellable, NULL);
	if (g_cancellable_set_error_if_cancelled(cancellable, error))
		return FALSE;
	if (!fk_stub_upload_greeting(self, rom_first_baud != 0 ? FK_STUB_GREETING_RAISED_MS : FK_TIMEOUT_DEFAULT_MS,
				     cancellable, &error_greeting)) {
		if (rom_first_baud == 0 || fk_loader_error_is_final(error_greeting)) {
			g_propagate_error(error, g_steal_pointer(&error_greeting));
			return FALSE;
		}
		fk_loader_log(self, "%s at %u baud: looking for the stub at %u", error_greeting->message,
			      fk_transport_get_baud(fk_loader_get_transport(self)), rom_first_baud);
		if (!fk_stub_upload_find_at(self, rom_first_baud, cancellable, error))
			return FALSE;
		*stub_baud = rom_first_baud;
		fk_loader_log(self, "the flasher stub runs at %u baud, the rate the ROM started at", rom_first_baud);
	}
	fk_loader_set_kind(self, FK_LOADER_STUB);
	fk_loader_log(self, "flasher stub running");
	return TRUE;
}
