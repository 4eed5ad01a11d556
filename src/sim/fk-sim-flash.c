/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns the NOR flash: erase to 0xFF, program ANDs bits, sectors, raw SPI commands, attached or not.
 * May call nothing above it (only fk-sim-chip.c's JEDEC id). */
#include "config.h"

#include <string.h>

#include "fk-protocol.h"
#include "fk-sim-device-private.h"

/* ---- NOR flash ---- */

/* Until a loader connects the SPI pins (SPI_ATTACH, the ESP8266 ROM's FLASH_BEGIN, the stub or
 * the application starting) nothing reaches the flash: every read sees 0xFF (the bus floats
 * high) and erases and writes are lost. */
void
fk_sim_device_flash_attach(FkSimDevice *self, gboolean attached)
{
	if (self->flash_attached != attached)
		fk_sim_device_trace(self, "  flash %s", attached ? "attached" : "detached");
	self->flash_attached = attached;
}

static gsize
fk_sim_device_phys(FkSimDevice *self, guint64 addr)
{
	/* 24-bit addressing wraps at the end of the part */
	return (gsize)(addr % self->flash_size);
}

gboolean
fk_sim_device_sector_blank(FkSimDevice *self, guint32 sector)
{
	gsize base = fk_sim_device_phys(self, (guint64)sector * FK_FLASH_SECTOR_SIZE);
	if (!self->flash_attached)
		return TRUE;
	for (gsize i = 0; i < FK_FLASH_SECTOR_SIZE; i++) {
		if (self->flash[base + i] != 0xFF)
			return FALSE;
	}
	return TRUE;
}

void
fk_sim_device_erase_sector(FkSimDevice *self, guint32 sector)
{
	gsize base = fk_sim_device_phys(self, (guint64)sector * FK_FLASH_SECTOR_SIZE);
	if (!self->flash_attached)
		return;
	memset(self->flash + base, 0xFF, FK_FLASH_SECTOR_SIZE);
}

/* erases @count sectors from @first the way a loader does: 64 KiB blocks where it can;
 * returns the time it takes */
gint64
fk_sim_device_erase_sectors(FkSimDevice *self, guint32 first, guint32 count)
{
	gint64 us = 0;
	guint32 s = first;
	guint32 end = first + count;
	while (s < end) {
		if (s % 16 == 0 && end - s >= 16) {
			for (guint i = 0; i < 16; i++)
				fk_sim_device_erase_sector(self, s + i);
			us += FK_SIM_BLOCK_ERASE_US;
			s += 16;
		} else {
			fk_sim_device_erase_sector(self, s);
			us += FK_SIM_SECTOR_ERASE_US;
			s++;
		}
	}
	return us;
}

/* programming only clears bits */
gint64
fk_sim_device_program(FkSimDevice *self, guint32 addr, const guint8 *data, gsize len)
{
	for (gsize i = 0; self->flash_attached && i < len; i++)
		self->flash[fk_sim_device_phys(self, (guint64)addr + i)] &= data[i];
	return (gint64)((len + 255) / 256) * FK_SIM_PAGE_PROGRAM_US;
}

void
fk_sim_device_md5(FkSimDevice *self, guint32 addr, guint32 size, guint8 digest[16])
{
	g_autoptr(GChecksum) md5 = g_checksum_new(G_CHECKSUM_MD5);
	gsize dlen = 16;
	guint32 done = 0;
	while (done < size) {
		gsize phys = fk_sim_device_phys(self, (guint64)addr + done);
		gsize n = MIN((gsize)(size - done), self->flash_size - phys);
		if (self->flash_attached) {
			g_checksum_update(md5, self->flash + phys, (gssize)n);
		} else {
			guint8 blank[256];
			n = MIN(n, sizeof(blank));
			memset(blank, 0xFF, n);
			g_checksum_update(md5, blank, (gssize)n);
		}
		done += (guint32)n;
	}
	g_checksum_get_digest(md5, digest, &dlen);
}

void
fk_sim_device_read(FkSimDevice *self, guint32 addr, guint8 *buf, gsize len)
{
	if (!self->flash_attached) {
		memset(buf, 0xFF, len);
		return;
	}
	for (gsize i = 0; i < len; i++)
		buf[i] = self->flash[fk_sim_device_phys(self, (guint64)addr + i)];
}

static guint8
fk_sim_device_sfdp_byte(FkSimDevice *self, guint32 addr)
{
	guint32 jedec = fk_sim_flash_jedec_id(self->flash_size);
	static const guint8 hdr[16] = {'S', 'F', 'D', 'P', 0x06, 0x01, 0x01, 0xFF,
				       0x00, 0x06, 0x01, 0x10, 0x30, 0x00, 0x00, 0xFF};
	if (addr < 16)
		return hdr[addr];
	if (addr == 0x10)
		return (guint8)(jedec & 0xFF); /* vendor parameter header: manufacturer id */
	if (addr < 0x18)
		return 0x00;
	if (addr >= 0x30 && addr < 0x70)
		return 0x00;
	return 0xFF;
}

/* what the flash chip answers to the raw SPI command @op (with @addr where it takes one) */
void
fk_sim_device_flash_command(FkSimDevice *self, guint8 op, guint32 addr, guint8 *data, gsize len)
{
	memset(data, 0xFF, len);
	if (!self->flash_attached)
		return;
	switch (op) {
	case 0x9F: {
		guint32 id = fk_sim_flash_jedec_id(self->flash_size);
		if (fk_sim_device_fault_check(self, FK_SIM_FAULT_FLASH_MUTE, ++self->n_flash_ids) != NULL) {
			fk_sim_device_trace(self, "! fault: the flash id is not answered");
			break;
		}
		data[0] = id & 0xFF;
		data[1] = (id >> 8) & 0xFF;
		data[2] = (id >> 16) & 0xFF;
		break;
	}
	case 0x5A:
		for (guint i = 0; i < len; i++)
			data[i] = fk_sim_device_sfdp_byte(self, addr + i);
		break;
	case 0x03:
	case 0x0B:
		for (guint i = 0; i < len; i++)
			data[i] = self->flash[(addr + i) % self->flash_size];
		break;
	case 0x05:
	case 0x35:
	case 0x15:
		memset(data, 0, len);
		break;
	case 0x90:
	case 0xAB: {
		guint32 id = fk_sim_flash_jedec_id(self->flash_size);
		data[0] = (guint8)(((id >> 16) & 0xFF) - 1);
		data[1] = data[0];
		if (op == 0x90) {
			data[0] = id & 0xFF;
			data[1] = (guint8)(((id >> 16) & 0xFF) - 1);
		}
		break;
	}
	case 0x4B: {
		guint64 st = self->seed ^ 0x4B4B;
		for (guint i = 0; i < len; i++)
			data[i] = (guint8)fk_sim_rand_next(&st);
		break;
	}
	default:
		/* write-only commands (WREN, WRDI, WRSR, reset, power-down …) */
		break;
	}
}
