/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns the register space behind READ_REG/WRITE_REG: stored words, SPI controller, eFuses.
 * May call flash (SPI commands) and the ROM personalities (their registers and eFuses). */
#include "config.h"

#include <string.h>

#include "fk-mem.h"
#include "fk-protocol.h"
#include "fk-sim-device-private.h"

/* ---- registers ---- */

static guint32
fk_sim_device_spi_reg(FkSimDevice *self, guint which)
{
	/* which: 0 CMD, 1 ADDR, 2 USR, 3 USR1, 4 USR2, 5 MOSI_DLEN, 6 MISO_DLEN, 7 W0 */
	static const guint32 old_layout[] = {0x00, 0x04, 0x1C, 0x20, 0x24, 0x28, 0x2C, 0x80};
	static const guint32 new_layout[] = {0x00, 0x04, 0x18, 0x1C, 0x20, 0x24, 0x28, 0x58};
	guint32 off;
	if (self->chip->spi_new_layout)
		off = new_layout[which];
	else if (self->chip->rom == FK_SIM_ROM_8266 && which == 7)
		off = 0x40;
	else
		off = old_layout[which];
	return self->chip->spi_base + off;
}

static guint32
fk_sim_device_reg_get(FkSimDevice *self, guint32 addr)
{
	gpointer val = NULL;
	if (g_hash_table_lookup_extended(self->regs, GUINT_TO_POINTER(addr), NULL, &val))
		return GPOINTER_TO_UINT(val);
	return 0;
}

void
fk_sim_device_reg_set(FkSimDevice *self, guint32 addr, guint32 val)
{
	g_hash_table_insert(self->regs, GUINT_TO_POINTER(addr), GUINT_TO_POINTER(val));
}

/* runs the command the host set up in the SPI controller's user registers */
static void
fk_sim_device_spi_execute(FkSimDevice *self)
{
	guint32 usr = fk_sim_device_reg_get(self, fk_sim_device_spi_reg(self, 2));
	guint32 usr1 = fk_sim_device_reg_get(self, fk_sim_device_spi_reg(self, 3));
	guint32 usr2 = fk_sim_device_reg_get(self, fk_sim_device_spi_reg(self, 4));
	guint32 addr = fk_sim_device_reg_get(self, fk_sim_device_spi_reg(self, 1));
	guint32 w0 = fk_sim_device_spi_reg(self, 7);
	guint8 op = usr2 & 0xFF;
	guint8 data[64];
	guint read_bits = 0;
	guint n;

	if (usr & (1u << 28)) {
		if (self->chip->rom == FK_SIM_ROM_8266)
			read_bits = ((usr1 >> 8) & 0x1FF) + 1;
		else
			read_bits =
			    (fk_sim_device_reg_get(self, fk_sim_device_spi_reg(self, 6)) & 0x3FF) +
			    1;
	}
	if (usr & (1u << 30)) {
		guint addr_bits = ((usr1 >> 26) & 0x3F) + 1;
		if (!self->chip->spi_new_layout && addr_bits < 32)
			addr >>= (32 - addr_bits);
	}
	n = MIN((read_bits + 7) / 8, sizeof(data));
	fk_sim_device_flash_command(self, op, addr, data, sizeof(data));
	fk_sim_device_trace(self, "  spi command 0x%02x (%u read bits)", op, read_bits);
	if (read_bits > 0) {
		for (guint i = 0; i < (n + 3) / 4; i++) {
			guint8 word[4] = {0};
			for (guint j = 0; j < 4 && i * 4 + j < n; j++)
				word[j] = data[i * 4 + j];
			fk_sim_device_reg_set(self, w0 + i * 4, fk_memread_u32le(word));
		}
	}
}

guint32
fk_sim_device_read_reg(FkSimDevice *self, guint32 addr)
{
	const FkSimChip *chip = self->chip;
	guint32 val = 0;
	if (addr == FK_CHIP_DETECT_MAGIC_REG)
		return chip->magic;
	if (chip->uart_clkdiv_reg != 0 && addr == chip->uart_clkdiv_reg) {
		guint baud = MAX(self->chip_baud, 300);
		return (self->uart_clk_hz + baud / 2) / baud;
	}
	if (chip->rom == FK_SIM_ROM_32 && fk_sim_rom32_read_reg(self, addr, &val))
		return val;
	return fk_sim_device_reg_get(self, addr);
}

void
fk_sim_device_write_reg(FkSimDevice *self, guint32 addr, guint32 value, guint32 mask)
{
	guint32 old = fk_sim_device_read_reg(self, addr);
	guint32 val = (old & ~mask) | (value & mask);
	if (addr == self->chip->spi_base && (val & (1u << 18))) {
		fk_sim_device_reg_set(self, addr, val);
		fk_sim_device_spi_execute(self);
		val &= ~(1u << 18);
	}
	if (addr == FK_CHIP_DETECT_MAGIC_REG || fk_sim_device_watchdog_locked(self, addr))
		return;
	fk_sim_device_reg_set(self, addr, val);
}

/* eFuse / OTP words, deterministic from the seed */
void
fk_sim_device_init_efuses(FkSimDevice *self)
{
	const FkSimChip *chip = self->chip;
	guint64 st = self->seed ^ 0xEF05E ^ ((guint64)g_str_hash(chip->name) << 16);
	guint32 oui = chip->oui[fk_sim_rand_next(&st) % 4];
	guint32 nic = (guint32)fk_sim_rand_next(&st) & 0xFFFFFF;
	guint8 mac[6] = {oui >> 16, (oui >> 8) & 0xFF, oui & 0xFF, nic >> 16, (nic >> 8) & 0xFF,
			 nic & 0xFF};

	if (chip->rom == FK_SIM_ROM_8266)
		fk_sim_rom8266_init_otp(self, mac, &st);
	else
		fk_sim_rom32_init_efuses(self, mac, &st);
}
