/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns the ESP32-family ROM personality: commands, READ_FLASH_SLOW, crystal drift, eFuses.
 * May call the loader, flash and registers. */
#include "config.h"

#include <string.h>

#include "fk-mem.h"
#include "fk-protocol.h"
#include "fk-sim-device-private.h"

void
fk_sim_device_cmd_security_info(FkSimDevice *self, guint8 op, gint64 t)
{
	guint8 buf[20] = {0};
	guint n = self->chip->security_info_len;
	if (n == 0) {
		if (self->state == FK_SIM_STATE_STUB)
			fk_sim_device_reply(self, op, 0xFF, t);
		else
			fk_sim_device_reject(self, op, t);
		return;
	}
	fk_memwrite_u32le(buf + 12, self->chip->chip_id);
	fk_memwrite_u32le(buf + 16, 1);
	fk_sim_device_reply_full(self, op, fk_sim_device_stale_value(self), buf, n, 0, t);
}

/* what every loader takes and these */
gboolean
fk_sim_rom32_supports(FkSimDevice *self, guint8 op)
{
	if (fk_sim_device_basic_command(op))
		return TRUE;
	switch (op) {
	case FK_OP_SPI_SET_PARAMS:
	case FK_OP_SPI_ATTACH:
	case FK_OP_READ_FLASH_SLOW:
	case FK_OP_CHANGE_BAUDRATE:
	case FK_OP_FLASH_DEFL_BEGIN:
	case FK_OP_FLASH_DEFL_DATA:
	case FK_OP_FLASH_DEFL_END:
	case FK_OP_SPI_FLASH_MD5:
		return TRUE;
	case FK_OP_GET_SECURITY_INFO:
		return self->chip->security_info_len > 0;
	default:
		return FALSE;
	}
}

/* the UART rate the ROM really sets for a CHANGE_BAUDRATE to @requested: the ESP32's ROM
 * divides its crystal estimate (from the drifting 8 MHz clock) by the requested rate, the UART
 * really runs from the 40 MHz crystal */
guint
fk_sim_rom32_uart_baud(FkSimDevice *self, guint requested)
{
	gdouble f_rom;
	/* the ESP32-C2 ROM takes its crystal for 40 MHz (esptool's ESP32C2ROM.change_baud) */
	if (g_strcmp0(self->chip->name, "esp32c2") == 0 && self->uart_clk_hz != 40000000)
		return (guint)(((guint64)requested * self->uart_clk_hz + 20000000) / 40000000);
	if (g_strcmp0(self->chip->name, "esp32") != 0)
		return requested;
	f_rom = (gdouble)self->rtc_cali * 15625.0 * self->ck8m / 40.0;
	return (guint)((gdouble)requested * 40000000.0 / f_rom + 0.5);
}

/* registers the ROM's own state answers (not plain stored words); TRUE when @addr is one */
gboolean
fk_sim_rom32_read_reg(FkSimDevice *self, guint32 addr, guint32 *val)
{
	if (g_strcmp0(self->chip->name, "esp32") == 0) {
		if (addr == 0x3FF5F06C) {
			*val = self->rtc_cali << 7;
			return TRUE;
		}
		if (addr == 0x3FF66000 + 0x7C) {
			*val = 0x80000000; /* APB_CTL_DATE: revision 3 */
			return TRUE;
		}
	}
	return FALSE;
}

/* the CRC8 of the ESP32's factory MAC (esp_crc8 in the ROM; espefuse's EfuseMacField.calc_crc):
 * reflected polynomial 0x8C, initial value 0, over the MAC in display order */
static guint8
fk_sim_rom32_mac_crc8(const guint8 mac[6])
{
	guint8 crc = 0;
	for (guint i = 0; i < 6; i++) {
		crc ^= mac[i];
		for (guint j = 0; j < 8; j++)
			crc = (crc & 1) ? (crc >> 1) ^ 0x8C : crc >> 1;
	}
	return crc;
}

/* the chip revision in the eFuse fields esptool's get_major/minor_chip_version read (the ESP32's
 * is set with its other BLK0 words) */
static void
fk_sim_rom32_set_revision(FkSimDevice *self)
{
	const FkSimChip *chip = self->chip;
	guint32 major = chip->revision / 100;
	guint32 minor = chip->revision % 100;
	guint32 blk1 = chip->mac_reg; /* BLOCK1 starts with the MAC (ESP32-C2: BLOCK2) */

	if (g_strcmp0(chip->name, "esp32c2") == 0) {
		/* BLOCK2 word1: minor bits 16..19, major bits 20..21 */
		guint32 w1 = fk_sim_device_read_reg(self, blk1 + 4);
		fk_sim_device_reg_set(self, blk1 + 4, w1 | (minor << 16) | (major << 20));
		return;
	}
	if (g_strcmp0(chip->name, "esp32s2") == 0) {
		/* word3: major bits 18..19, minor bit 3 at bit 20; word4: minor bits 0..2 at 4..6 */
		fk_sim_device_reg_set(self, blk1 + 12, (major << 18) | ((minor >> 3) << 20));
		fk_sim_device_reg_set(self, blk1 + 16, (minor & 0x7) << 4);
		return;
	}
	if (g_strcmp0(chip->name, "esp32c6") == 0) {
		/* word3: minor bits 18..21, major bits 22..23 */
		fk_sim_device_reg_set(self, blk1 + 12, (minor << 18) | (major << 22));
		return;
	}
	/* ESP32-S3 and ESP32-C3: word3 minor bits 0..2 at 18..20; word5 minor bit 3 at 23,
	 * major at 24..25 */
	fk_sim_device_reg_set(self, blk1 + 12, (minor & 0x7) << 18);
	fk_sim_device_reg_set(self, blk1 + 20, ((minor >> 3) << 23) | (major << 24));
}

/* eFuse words with the MAC @mac (in display order) */
void
fk_sim_rom32_init_efuses(FkSimDevice *self, const guint8 mac[6], guint64 *st)
{
	const FkSimChip *chip = self->chip;
	guint32 m0 = ((guint32)mac[2] << 24) | ((guint32)mac[3] << 16) | ((guint32)mac[4] << 8) |
		     mac[5];
	guint32 m1 = ((guint32)mac[0] << 8) | mac[1];

	if (g_strcmp0(chip->name, "esp32") == 0) {
		/* ADC_VREF: a signed 5-bit trim, programmed (non-zero) on every chip */
		guint32 vref = (guint32)(fk_sim_rand_next(st) % 31) + 1;
		/* BLK0: word1 = MAC bytes 2..5, word2 = MAC_CRC (bits 16..23) | MAC bytes 0..1 */
		fk_sim_device_reg_set(self, 0x3FF5A004, m0);
		fk_sim_device_reg_set(self,
				      0x3FF5A008,
				      ((guint32)fk_sim_rom32_mac_crc8(mac) << 16) | m1);
		/* word3: revision 3 (with word5 bit 20 and the APB date), package D0WD (bits 9..11),
		 * CHIP_CPU_FREQ_RATED (bit 13) without CHIP_CPU_FREQ_LOW (bit 12): 240 MHz */
		fk_sim_device_reg_set(self, 0x3FF5A00C, (1u << 15) | (1u << 13) | (1u << 9));
		/* word4: CLK8M_FREQ (bits 0..7), ADC_VREF (bits 8..12) */
		fk_sim_device_reg_set(self, 0x3FF5A010, self->ck8m | (vref << 8));
		fk_sim_device_reg_set(self, 0x3FF5A014, 1u << 20);
		return;
	}
	fk_sim_device_reg_set(self, chip->mac_reg, m0);
	if (g_strcmp0(chip->name, "esp32c6") == 0)
		m1 |= 0xFFFE0000; /* EUI-64 filler bytes */
	fk_sim_device_reg_set(self, chip->mac_reg + 4, m1);
	fk_sim_rom32_set_revision(self);
}

/* READ_FLASH_SLOW: always 64 bytes of data, whatever was asked for */
void
fk_sim_device_cmd_read_flash_slow(FkSimDevice *self,
				  guint8 op,
				  const guint8 *d,
				  gsize len,
				  gint64 t)
{
	guint8 buf[64];
	guint32 offset;
	guint32 n;
	if (len != 8) {
		fk_sim_device_reply(self, op, 0x05, t);
		return;
	}
	offset = fk_memread_u32le(d);
	n = fk_memread_u32le(d + 4);
	if (n > 64) {
		fk_sim_device_reply(self, op, 0x0A, t);
		return;
	}
	if (fk_sim_device_beyond_limit(self, offset, n)) {
		fk_sim_device_reply(self, op, 0x06, t);
		return;
	}
	memset(buf, 0, sizeof(buf));
	fk_sim_device_read(self, offset, buf, sizeof(buf));
	fk_sim_device_reply_full(self,
				 op,
				 fk_sim_device_stale_value(self),
				 buf,
				 sizeof(buf),
				 0,
				 t + (self->paced ? 20 : 0));
}
