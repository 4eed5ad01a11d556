/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns what the ROMs and the stub share: replies, data blocks, flash writes, registers, MD5.
 * May call flash, registers, the ROM personalities, the stub, reset, timing and faults. */
#include "config.h"

#include <string.h>

#include "fk-error.h"
#include "fk-mem.h"
#include "fk-packet.h"
#include "fk-protocol.h"
#include "fk-sim-device-private.h"

/* the commands every loader takes (the ESP8266 ROM's whole set) */
gboolean
fk_sim_device_basic_command(guint8 op)
{
	switch (op) {
	case FK_OP_FLASH_BEGIN:
	case FK_OP_FLASH_DATA:
	case FK_OP_FLASH_END:
	case FK_OP_MEM_BEGIN:
	case FK_OP_MEM_END:
	case FK_OP_MEM_DATA:
	case FK_OP_SYNC:
	case FK_OP_WRITE_REG:
	case FK_OP_READ_REG:
		return TRUE;
	default:
		return FALSE;
	}
}

/* ---- loader replies ---- */

static guint
fk_sim_device_status_len(FkSimDevice *self)
{
	if (self->state == FK_SIM_STATE_STUB)
		return 2;
	return self->chip->rom == FK_SIM_ROM_32 ? 4 : 2;
}

/* @code 0 = success; ROM failures are sent as [1, code], stub failures as [code, 0] */
void
fk_sim_device_reply_full(FkSimDevice *self,
			 guint8 op,
			 guint32 value,
			 const guint8 *payload,
			 gsize payload_len,
			 guint8 code,
			 gint64 t)
{
	guint slen = fk_sim_device_status_len(self);
	g_autoptr(GByteArray) pkt = g_byte_array_sized_new(8 + payload_len + slen);
	guint8 hdr[8] = {0x01, op};
	guint8 st[4] = {0};

	fk_memwrite_u16le(hdr + 2, (guint16)(payload_len + slen));
	fk_memwrite_u32le(hdr + 4, value);
	g_byte_array_append(pkt, hdr, sizeof(hdr));
	if (payload_len > 0)
		g_byte_array_append(pkt, payload, payload_len);
	if (code != 0) {
		if (self->state == FK_SIM_STATE_STUB) {
			st[0] = code;
		} else {
			st[0] = 0x01;
			st[1] = code;
		}
	}
	g_byte_array_append(pkt, st, slen);
	fk_sim_device_trace(self,
			    "< %s len=%" G_GSIZE_FORMAT " value=0x%08x status %02x %02x",
			    fk_opcode_to_string(op),
			    payload_len + slen,
			    value,
			    st[0],
			    st[1]);
	fk_sim_device_emit_frame(self, pkt->data, pkt->len, t);
}

/* ROM32 leaves the last register value in the header of most replies */
guint32
fk_sim_device_stale_value(FkSimDevice *self)
{
	if (self->state == FK_SIM_STATE_ROM && self->chip->rom == FK_SIM_ROM_32)
		return self->last_value;
	return 0;
}

void
fk_sim_device_reply(FkSimDevice *self, guint8 op, guint8 code, gint64 t)
{
	fk_sim_device_reply_full(self, op, fk_sim_device_stale_value(self), NULL, 0, code, t);
}

/* ROM: "unsupported command", sent eight times with a mismatching opcode */
void
fk_sim_device_reject(FkSimDevice *self, guint8 op, gint64 t)
{
	guint8 pkt[12] = {0x01, op == 0x00 ? 0x01 : 0x00};
	guint slen = fk_sim_device_status_len(self);
	fk_memwrite_u16le(pkt + 2, (guint16)slen);
	pkt[8] = 0x01;
	pkt[9] = FK_DEVICE_ERROR_INVALID_MESSAGE;
	fk_sim_device_trace(self, "< rejected unsupported %s (0x%02x) x8", fk_opcode_to_string(op), op);
	for (guint i = 0; i < 8; i++)
		fk_sim_device_emit_frame(self, pkt, 8 + slen, t);
}

/* ---- flash write sessions ---- */

void
fk_sim_device_end_flash_session(FkSimDevice *self)
{
	if (self->fl_z_init)
		inflateEnd(&self->fl_z);
	self->fl_z_init = FALSE;
	self->fl_z_done = FALSE;
	self->fl_active = FALSE;
	g_clear_pointer(&self->fl_erased, g_free);
}

guint8
fk_sim_device_err(FkSimDevice *self, guint8 rom_code, guint8 stub_code)
{
	return self->state == FK_SIM_STATE_STUB ? stub_code : rom_code;
}

/* the 16-byte sub-header of MEM_DATA, FLASH_DATA and FLASH_DEFL_DATA: length, sequence and the
 * checksum over the data; replies with the loader's error and returns FALSE when wrong */
gboolean
fk_sim_device_check_data_block(FkSimDevice *self,
			       guint8 op,
			       const guint8 *d,
			       gsize len,
			       guint32 csum,
			       gint64 t,
			       guint32 *dlen,
			       guint32 *seq)
{
	if (len < 16) {
		fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x05, 0xC8), t);
		return FALSE;
	}
	*dlen = fk_memread_u32le(d);
	*seq = fk_memread_u32le(d + 4);
	if (*dlen != len - 16) {
		fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x05, 0xC9), t);
		return FALSE;
	}
	if (fk_checksum(d + 16, *dlen) != (csum & 0xFF)) {
		fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x07, 0xC1), t);
		return FALSE;
	}
	return TRUE;
}

/* writes (inflated) bytes of the current flash session; returns the time it takes */
static gint64
fk_sim_device_session_write(FkSimDevice *self, guint32 addr, const guint8 *data, gsize len)
{
	gint64 us = 0;
	if (self->state == FK_SIM_STATE_STUB) {
		/* lazy erase of each sector on first touch; blank sectors are skipped */
		guint32 first = addr / FK_FLASH_SECTOR_SIZE;
		guint32 last = (guint32)(((guint64)addr + len - 1) / FK_FLASH_SECTOR_SIZE);
		guint32 base = self->fl_offset / FK_FLASH_SECTOR_SIZE;
		for (guint32 s = first; len > 0 && s <= last; s++) {
			guint32 idx = s - base;
			if (self->fl_erased == NULL || self->fl_erased[idx])
				continue;
			self->fl_erased[idx] = 1;
			if (fk_sim_device_sector_blank(self, s)) {
				us += FK_SIM_READ_NS_BYTE * FK_FLASH_SECTOR_SIZE / 1000;
			} else {
				fk_sim_device_erase_sector(self, s);
				us += FK_SIM_SECTOR_ERASE_US;
			}
		}
	}
	us += fk_sim_device_program(self, addr, data, len);
	return us;
}

gboolean
fk_sim_device_beyond_limit(FkSimDevice *self, guint64 offset, guint64 size)
{
	return offset + size > self->flash_limit;
}

void
fk_sim_device_cmd_flash_begin(FkSimDevice *self, guint8 op, const guint8 *d, gsize len, gint64 t)
{
	gboolean stub = self->state == FK_SIM_STATE_STUB;
	guint32 size;
	guint32 offset;
	gint64 us = 0;

	/* the fifth (encryption) word is not understood by the ESP32 and ESP8266 ROMs */
	if (len != 16 && !(len == 20 && (stub || (self->chip->rom == FK_SIM_ROM_32 &&
						  g_strcmp0(self->chip->name, "esp32") != 0)))) {
		fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x05, 0xC0), t);
		return;
	}
	fk_sim_device_end_flash_session(self);
	size = fk_memread_u32le(d);
	offset = fk_memread_u32le(d + 12);
	self->fl_block_size = fk_memread_u32le(d + 8);
	self->fl_offset = offset;
	self->fl_size = size;
	self->fl_written = 0;
	self->fl_next_seq = 0;
	self->fl_compressed = op == FK_OP_FLASH_DEFL_BEGIN;

	if (!stub) {
		guint32 first;
		guint count;
		if (self->chip->rom == FK_SIM_ROM_8266 && op == FK_OP_FLASH_BEGIN) {
			/* this ROM has no SPI_ATTACH: FLASH_BEGIN connects the flash first */
			fk_sim_device_flash_attach(self, TRUE);
			count = fk_sim_rom8266_erase_sectors(offset, size, &first);
		} else {
			first = offset / FK_FLASH_SECTOR_SIZE;
			count = (guint)(((guint64)offset + size + FK_FLASH_SECTOR_SIZE - 1) /
					    FK_FLASH_SECTOR_SIZE -
					first);
		}
		if (fk_sim_device_beyond_limit(self,
					       (guint64)first * FK_FLASH_SECTOR_SIZE,
					       (guint64)count * FK_FLASH_SECTOR_SIZE)) {
			fk_sim_device_reply(self, op, 0x06, t);
			return;
		}
		if (count > 0)
			fk_sim_device_trace(self,
					    "  erase 0x%06x..0x%06x (%u sectors)",
					    first * FK_FLASH_SECTOR_SIZE,
					    (first + count) * FK_FLASH_SECTOR_SIZE,
					    count);
		us = fk_sim_device_erase_sectors(self, first, count);
	} else {
		guint32 first = offset / FK_FLASH_SECTOR_SIZE;
		guint32 end = (guint32)(((guint64)offset + size + FK_FLASH_SECTOR_SIZE - 1) /
					FK_FLASH_SECTOR_SIZE);
		self->fl_erased = g_new0(guint8, (end - first) + 1);
	}
	if (self->fl_compressed) {
		memset(&self->fl_z, 0, sizeof(self->fl_z));
		if (inflateInit(&self->fl_z) != Z_OK) {
			fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x0B, 0xC7), t);
			return;
		}
		self->fl_z_init = TRUE;
	}
	self->fl_active = TRUE;
	if (self->paced)
		self->busy_until = t + us;
	fk_sim_device_reply(self, op, 0, t + (self->paced ? us : 0));
}

/* feeds compressed bytes; returns FALSE on a corrupt stream */
static gboolean
fk_sim_device_inflate(FkSimDevice *self, const guint8 *data, gsize len, gint64 *us)
{
	guint8 out[32768];
	self->fl_z.next_in = (Bytef *)data;
	self->fl_z.avail_in = (uInt)len;
	while (!self->fl_z_done) {
		int rc;
		gsize produced;
		self->fl_z.next_out = out;
		self->fl_z.avail_out = sizeof(out);
		rc = inflate(&self->fl_z, Z_NO_FLUSH);
		if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
			return FALSE;
		produced = sizeof(out) - self->fl_z.avail_out;
		if (produced > 0) {
			gsize keep = produced;
			if (self->state == FK_SIM_STATE_STUB) {
				/* data beyond the announced size is discarded */
				keep = MIN(produced, (gsize)(self->fl_size - MIN(self->fl_written, self->fl_size)));
			}
			if (keep > 0)
				*us += fk_sim_device_session_write(self,
								   self->fl_offset + self->fl_written,
								   out,
								   keep);
			self->fl_written += (guint32)produced;
		}
		if (rc == Z_STREAM_END) {
			self->fl_z_done = TRUE;
			break;
		}
		if (rc == Z_BUF_ERROR || (self->fl_z.avail_in == 0 && produced < sizeof(out)))
			break;
	}
	return TRUE;
}

void
fk_sim_device_cmd_flash_data(FkSimDevice *self,
			     guint8 op,
			     const guint8 *d,
			     gsize len,
			     guint32 csum,
			     gint64 t)
{
	gboolean stub = self->state == FK_SIM_STATE_STUB;
	guint32 dlen;
	guint32 seq;
	gint64 us = 0;
	gboolean fail;

	if (!self->fl_active || self->fl_compressed != (op == FK_OP_FLASH_DEFL_DATA)) {
		fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x06, 0xC6), t);
		return;
	}
	if (!fk_sim_device_check_data_block(self, op, d, len, csum, t, &dlen, &seq))
		return;
	self->n_data_cmds++;
	fail = fk_sim_device_fault_check(self, FK_SIM_FAULT_WRITE_ERROR, self->n_data_cmds) != NULL;
	if (fail)
		fk_sim_device_trace(self, "! fault: write error on data block %u", seq);

	if (stub) {
		/* acknowledged first, written while the host sends the next block */
		fk_sim_device_reply(self, op, 0, t);
		if (fail) {
			self->deferred = 0xC4;
			return;
		}
		if (op == FK_OP_FLASH_DEFL_DATA) {
			if (!fk_sim_device_inflate(self, d + 16, dlen, &us))
				self->deferred = 0xC7;
		} else {
			gsize keep = MIN((gsize)dlen, (gsize)(self->fl_size - MIN(self->fl_written, self->fl_size)));
			if (keep > 0)
				us += fk_sim_device_session_write(self,
								  self->fl_offset + self->fl_written,
								  d + 16,
								  keep);
			self->fl_written += (guint32)keep;
		}
		if (self->paced)
			self->busy_until = t + us;
		return;
	}

	/* ROM: work first, then the reply */
	if (fail) {
		fk_sim_device_reply(self, op, 0x08, t);
		return;
	}
	if (op == FK_OP_FLASH_DEFL_DATA) {
		if (!fk_sim_device_inflate(self, d + 16, dlen, &us)) {
			fk_sim_device_reply(self, op, 0x0B, t);
			return;
		}
		if (fk_sim_device_beyond_limit(self, self->fl_offset, self->fl_written)) {
			fk_sim_device_reply(self, op, 0x06, t);
			return;
		}
	} else {
		guint64 addr = (guint64)self->fl_offset + (guint64)seq * self->fl_block_size;
		if (fk_sim_device_beyond_limit(self, addr, dlen)) {
			fk_sim_device_reply(self, op, 0x06, t);
			return;
		}
		us += fk_sim_device_session_write(self, (guint32)addr, d + 16, dlen);
		self->fl_written += dlen;
	}
	self->fl_next_seq = seq + 1;
	if (self->paced)
		self->busy_until = t + us;
	fk_sim_device_reply(self, op, 0, t + (self->paced ? us : 0));
}

void
fk_sim_device_cmd_flash_end(FkSimDevice *self, guint8 op, const guint8 *d, gsize len, gint64 t)
{
	guint32 flag;
	if (len < 4) {
		fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x05, 0xC0), t);
		return;
	}
	flag = fk_memread_u32le(d);
	if (self->state == FK_SIM_STATE_STUB) {
		if (!self->fl_active) {
			fk_sim_device_reply(self, op, 0xC6, t);
			return;
		}
		if (self->fl_written < self->fl_size) {
			fk_sim_device_end_flash_session(self);
			fk_sim_device_reply(self, op, 0xC0, t);
			return;
		}
		fk_sim_device_end_flash_session(self);
		/* the v2 stub does not reboot on flag 0 */
		fk_sim_device_reply(self, op, 0, t);
		return;
	}
	fk_sim_device_end_flash_session(self);
	fk_sim_device_reply(self, op, 0, t);
	if (flag == 0) {
		fk_sim_device_trace(self, "* ROM reboots the chip");
		fk_sim_device_chip_reset(self, self->paced ? self->dev_tx_free : t, 4);
	} else {
		fk_sim_device_trace(self, "* ROM leaves the loader and runs the application");
		fk_sim_device_end_read(self);
		fk_sim_device_app_start(self, self->paced ? self->dev_tx_free : t);
	}
}

void
fk_sim_device_cmd_change_baud(FkSimDevice *self, guint8 op, const guint8 *d, gsize len, gint64 t)
{
	guint32 new_baud;
	guint chip_baud;
	if (len != 8) {
		fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x05, 0xC0), t);
		return;
	}
	new_baud = fk_memread_u32le(d);
	if (new_baud < 300 || new_baud > 5000000) {
		fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x01, 0xC0), t);
		return;
	}
	chip_baud = new_baud;
	if (self->state == FK_SIM_STATE_ROM)
		chip_baud = fk_sim_rom32_uart_baud(self, new_baud);
	if (fk_sim_device_fault_check(self, FK_SIM_FAULT_BAUD_WRONG, self->n_by_op[op]) != NULL) {
		chip_baud = (guint)((guint64)chip_baud * 40 / 26);
		fk_sim_device_trace(self, "! fault: the UART is set to %u instead", chip_baud);
	}
	/* the reply goes out at the old rate; the ROM switches as soon as it has, a stub some
	 * milliseconds later (the legacy stub waits 10 ms, the current one 5 ms and its FIFO) */
	fk_sim_device_reply(self, op, 0, t);
	self->chip_baud_prev = self->chip_baud;
	self->chip_baud = chip_baud;
	self->chip_baud_switch_at = (self->paced ? self->dev_tx_free : t) +
				    (self->state == FK_SIM_STATE_STUB ? FK_SIM_STUB_BAUD_SWITCH_US : 0);
	fk_sim_device_trace(self, "* chip UART now %u baud", chip_baud);
}

void
fk_sim_device_cmd_sync(FkSimDevice *self, guint8 op, const guint8 *d, gsize len, gint64 t)
{
	static const guint8 sync_hdr[4] = {0x07, 0x07, 0x12, 0x20};
	gboolean stub = self->state == FK_SIM_STATE_STUB;
	gboolean ok = len == FK_SYNC_PAYLOAD_LEN && memcmp(d, sync_hdr, 4) == 0;
	for (gsize i = 4; ok && i < len; i++)
		ok = d[i] == 0x55;
	if (!ok) {
		if (stub)
			fk_sim_device_reply(self, op, 0xC0, t);
		return;
	}
	fk_sim_device_trace(self, "< SYNC x8");
	for (guint i = 0; i < 8; i++)
		fk_sim_device_reply_full(self, op, stub ? 0 : 0x20120707, NULL, 0, 0, t);
}

void
fk_sim_device_cmd_read_reg(FkSimDevice *self, guint8 op, const guint8 *d, gsize len, gint64 t)
{
	guint32 v;
	if (len != 4) {
		fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x05, 0xC0), t);
		return;
	}
	v = fk_sim_device_read_reg(self, fk_memread_u32le(d));
	self->last_value = v;
	fk_sim_device_trace(self, "  0x%08x = 0x%08x", fk_memread_u32le(d), v);
	fk_sim_device_reply_full(self, op, v, NULL, 0, 0, t);
}

void
fk_sim_device_cmd_write_reg(FkSimDevice *self, guint8 op, const guint8 *d, gsize len, gint64 t)
{
	gint64 us = 0;
	if (len == 0 || len % 16 != 0) {
		fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x05, 0xC0), t);
		return;
	}
	for (gsize i = 0; i < len; i += 16) {
		us += fk_memread_u32le(d + i + 12);
		fk_sim_device_trace(self,
				    "  0x%08x <- 0x%08x (mask 0x%08x)",
				    fk_memread_u32le(d + i),
				    fk_memread_u32le(d + i + 4),
				    fk_memread_u32le(d + i + 8));
		fk_sim_device_write_reg(self,
					fk_memread_u32le(d + i),
					fk_memread_u32le(d + i + 4),
					fk_memread_u32le(d + i + 8));
		fk_sim_device_watchdog_write(self, fk_memread_u32le(d + i), t);
	}
	fk_sim_device_reply(self, op, 0, t + (self->paced ? us : 0));
}

void
fk_sim_device_cmd_spi_set_params(FkSimDevice *self,
				 guint8 op,
				 const guint8 *d,
				 gsize len,
				 gint64 t)
{
	if (len != 24) {
		fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x05, 0xC0), t);
		return;
	}
	self->flash_limit = MIN(fk_memread_u32le(d + 4), (guint32)FK_SIM_ADDR_SPACE);
	fk_sim_device_reply(self, op, 0, t);
}

void
fk_sim_device_cmd_spi_attach(FkSimDevice *self, guint8 op, const guint8 *d, gsize len, gint64 t)
{
	gboolean stub = self->state == FK_SIM_STATE_STUB;
	if (len != (stub ? 4u : 8u)) {
		fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x05, 0xC0), t);
		return;
	}
	fk_sim_device_flash_attach(self, TRUE);
	fk_sim_device_reply(self, op, 0, t);
}

/* the stub answers with the raw digest, the ROM with 32 hex digits */
void
fk_sim_device_cmd_md5(FkSimDevice *self, guint8 op, const guint8 *d, gsize len, gint64 t)
{
	guint8 digest[16];
	guint32 addr;
	guint32 size;
	gint64 us;
	if (len != 16) {
		fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x05, 0xC0), t);
		return;
	}
	addr = fk_memread_u32le(d);
	size = fk_memread_u32le(d + 4);
	if (fk_sim_device_beyond_limit(self, addr, size)) {
		fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x06, 0xC4), t);
		return;
	}
	fk_sim_device_md5(self, addr, size, digest);
	us = self->paced ? (gint64)size * FK_SIM_MD5_NS_BYTE / 1000 : 0;
	if (self->paced)
		self->busy_until = t + us;
	if (self->state == FK_SIM_STATE_STUB) {
		fk_sim_device_reply_full(self, op, 0, digest, 16, 0, t + us);
	} else {
		gchar hex[33];
		for (guint i = 0; i < 16; i++)
			g_snprintf(hex + i * 2, 3, "%02x", digest[i]);
		fk_sim_device_reply_full(self,
					 op,
					 fk_sim_device_stale_value(self),
					 (const guint8 *)hex,
					 32,
					 0,
					 t + us);
	}
}
