/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns the ESP8266 ROM personality: its command set, the FLASH_BEGIN erase bug, OTP words.
 * May call the loader (the commands every loader takes) and registers. */
#include "config.h"

#include "fk-sim-device-private.h"

/* nothing beyond what every loader takes */
gboolean
fk_sim_rom8266_supports(guint8 op)
{
	return fk_sim_device_basic_command(op);
}

guint
fk_sim_rom8266_erase_sectors(guint32 offset, guint32 erase_size, guint32 *first_sector)
{
	/* The ESP8266 ROM erases the sectors up to the next 64 KB block boundary ("head") one by
	 * one and then, wrongly, still erases the full requested count after them: it erases
	 * n + head sectors where n is the requested sector count and head = min(16 - start % 16, n).
	 * This is the inverse of the host-side workaround (esptool's get_erase_size): sending
	 * (n - head) sectors, or (n + 1) / 2 for short spans, makes the ROM erase n. */
	guint32 n = (erase_size + 0xFFF) / 0x1000;
	guint32 start = offset / 0x1000;
	guint32 head = 16 - (start % 16);
	if (n < head)
		head = n;
	*first_sector = start;
	return n + head;
}

/* OTP words with the MAC @mac (in display order) */
void
fk_sim_rom8266_init_otp(FkSimDevice *self, const guint8 mac[6], guint64 *st)
{
	guint32 oui = ((guint32)mac[0] << 16) | ((guint32)mac[1] << 8) | mac[2];
	/* OTP: MAC0 = NIC byte 3 | chip id bits, MAC1 = NIC bytes 1..2, MAC3 = OUI */
	guint32 otp0 = ((guint32)mac[5] << 24) | ((guint32)fk_sim_rand_next(st) & 0xFFFFC0);
	guint32 otp1 = ((guint32)mac[3] << 8) | mac[4];
	guint32 otp2 = (guint32)fk_sim_rand_next(st) & 0xFFFE0000;
	guint32 otp3 = oui;
	if (g_strcmp0(self->chip->name, "esp8285") == 0) {
		/* embedded 1 MB flash: bit 4 set, bits 121..123 (OTP3 bits 25..27) clear */
		otp0 |= 1u << 4;
	}
	otp2 &= ~(1u << 16);
	fk_sim_device_reg_set(self, 0x3FF00050, otp0);
	fk_sim_device_reg_set(self, 0x3FF00054, otp1);
	fk_sim_device_reg_set(self, 0x3FF00058, otp2);
	fk_sim_device_reg_set(self, 0x3FF0005C, otp3 & 0x00FFFFFF);
}
