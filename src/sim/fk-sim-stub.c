/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns the flasher stub: upload (MEM_*), start-up, its command set, erases (its READ_FLASH stream
 * is fk-sim-read.c). May call the loader, flash, reset, timing and faults. */
#include "config.h"

#include <string.h>

#include "fk-mem.h"
#include "fk-protocol.h"
#include "fk-sim-device-private.h"

/* ---- uploading and starting the stub ---- */

static gboolean
fk_sim_device_in_ram(FkSimDevice *self, guint32 addr, guint32 len)
{
	for (guint i = 0; i < G_N_ELEMENTS(self->chip->ram); i++) {
		const FkSimRange *r = &self->chip->ram[i];
		if (addr >= r->start && (guint64)addr + len <= r->end)
			return TRUE;
	}
	return FALSE;
}

static void
fk_sim_device_start_stub(FkSimDevice *self, gint64 t)
{
	const guint8 ohai[] = {'O', 'H', 'A', 'I'};
	fk_sim_device_cpu_reset(self);
	self->state = FK_SIM_STATE_STUB;
	self->flash_attached = TRUE; /* the stub attaches the flash when it starts */
	self->flash_limit = FK_SIM_ADDR_SPACE;
	self->stats.stub_uploads++;
	self->stats.stub_running = TRUE;
	/* the stub keeps the UART as the ROM left it, unless told otherwise */
	if (fk_sim_device_fault_check(self, FK_SIM_FAULT_STUB_BAUD, self->stats.stub_uploads) != NULL &&
	    self->rom_autobaud != 0 && self->rom_autobaud != self->chip_baud) {
		fk_sim_device_trace(self, "! fault: the stub sets its UART up again at %u", self->rom_autobaud);
		self->chip_baud_prev = self->rom_autobaud;
		self->chip_baud = self->rom_autobaud;
		self->chip_baud_switch_at = 0;
	}
	fk_sim_device_trace(self, "< OHAI (stub running)");
	fk_sim_device_emit_frame(self, ohai, sizeof(ohai), t + (self->paced ? FK_SIM_STUB_START_US : 0));
}

void
fk_sim_device_cmd_mem(FkSimDevice *self, guint8 op, const guint8 *d, gsize len, guint32 csum, gint64 t)
{
	if (op == FK_OP_MEM_BEGIN) {
		FkSimRamSegment *seg;
		if (len != 16) {
			fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x05, 0xC0), t);
			return;
		}
		seg = g_new0(FkSimRamSegment, 1);
		seg->size = fk_memread_u32le(d);
		seg->addr = fk_memread_u32le(d + 12);
		seg->data = g_byte_array_new();
		self->mem_block_size = fk_memread_u32le(d + 8);
		g_ptr_array_add(self->ram, seg);
		self->mem_seg = seg;
		fk_sim_device_reply(self, op, 0, t);
		return;
	}
	if (op == FK_OP_MEM_DATA) {
		guint32 dlen;
		guint32 seq;
		gsize pos;
		if (self->mem_seg == NULL) {
			fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x05, 0xC6), t);
			return;
		}
		if (!fk_sim_device_check_data_block(self, op, d, len, csum, t, &dlen, &seq))
			return;
		pos = (gsize)seq * self->mem_block_size;
		if (pos + dlen > self->mem_seg->size) {
			fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x0E, 0xC9), t);
			return;
		}
		if (self->mem_seg->data->len < pos + dlen)
			g_byte_array_set_size(self->mem_seg->data, (guint)(pos + dlen));
		memcpy(self->mem_seg->data->data + pos, d + 16, dlen);
		fk_sim_device_reply(self, op, 0, t);
		return;
	}
	/* MEM_END */
	if (len != 8) {
		fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x05, 0xC0), t);
		return;
	}
	{
		guint32 flag = fk_memread_u32le(d);
		guint32 entry = fk_memread_u32le(d + 4);
		gboolean entry_ok = FALSE;
		fk_sim_device_reply(self, op, 0, t);
		self->mem_seg = NULL;
		if (flag != 0)
			return;
		for (guint i = 0; i < self->ram->len; i++) {
			FkSimRamSegment *seg = g_ptr_array_index(self->ram, i);
			if (entry >= seg->addr && entry < seg->addr + seg->data->len &&
			    fk_sim_device_in_ram(self, seg->addr, seg->data->len))
				entry_ok = TRUE;
		}
		if (entry_ok) {
			fk_sim_device_start_stub(self, t);
		} else {
			fk_sim_device_trace(self, "* jumped to 0x%08x outside uploaded code: hung", entry);
			self->state = FK_SIM_STATE_HUNG;
		}
	}
}

gboolean
fk_sim_device_stub_supports(guint8 op)
{
	if (fk_sim_device_basic_command(op))
		return TRUE;
	switch (op) {
	case FK_OP_SPI_SET_PARAMS:
	case FK_OP_SPI_ATTACH:
	case FK_OP_CHANGE_BAUDRATE:
	case FK_OP_FLASH_DEFL_BEGIN:
	case FK_OP_FLASH_DEFL_DATA:
	case FK_OP_FLASH_DEFL_END:
	case FK_OP_SPI_FLASH_MD5:
	case FK_OP_GET_SECURITY_INFO:
	case FK_OP_ERASE_FLASH:
	case FK_OP_ERASE_REGION:
	case FK_OP_READ_FLASH:
	case FK_OP_RUN_USER_CODE:
		return TRUE;
	default:
		return FALSE;
	}
}

void
fk_sim_device_cmd_erase_flash(FkSimDevice *self, guint8 op, gint64 t)
{
	gint64 us = (gint64)(self->flash_size / (1024 * 1024)) * FK_SIM_CHIP_ERASE_US_MB;
	memset(self->flash, 0xFF, self->flash_size);
	fk_sim_device_trace(self, "  chip erase");
	if (self->paced)
		self->busy_until = t + us;
	fk_sim_device_reply(self, op, 0, t + (self->paced ? us : 0));
}

void
fk_sim_device_cmd_erase_region(FkSimDevice *self, guint8 op, const guint8 *d, gsize len, gint64 t)
{
	guint32 offset;
	guint32 size;
	gint64 us;
	if (len != 8) {
		fk_sim_device_reply(self, op, 0xC0, t);
		return;
	}
	offset = fk_memread_u32le(d);
	size = fk_memread_u32le(d + 4);
	if (offset % FK_FLASH_SECTOR_SIZE != 0 || size % FK_FLASH_SECTOR_SIZE != 0) {
		fk_sim_device_reply(self, op, 0xC0, t);
		return;
	}
	if (fk_sim_device_beyond_limit(self, offset, size)) {
		fk_sim_device_reply(self, op, 0xC4, t);
		return;
	}
	us = fk_sim_device_erase_sectors(self, offset / FK_FLASH_SECTOR_SIZE, size / FK_FLASH_SECTOR_SIZE);
	if (self->paced)
		self->busy_until = t + us;
	fk_sim_device_reply(self, op, 0, t + (self->paced ? us : 0));
}

/* no reply */
void
fk_sim_device_cmd_run_user_code(FkSimDevice *self, gint64 t)
{
	fk_sim_device_trace(self, "* stub starts the application");
	fk_sim_device_cpu_reset(self);
	fk_sim_device_app_start(self, t);
}
