/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns chip identification, driven by the chip table: family, description and revision, MAC,
 * crystal, flash JEDEC id and size (RDID through the SPI registers); calls only the loader */
#include "config.h"

#include "fk-device-private.h"
#include "fk-error.h"
#include "fk-identify.h"
#include "fk-mem.h"
#include "fk-packet.h"
#include "fk-protocol.h"

#define FK_SPI_USR_COMMAND	 (1u << 31)
#define FK_SPI_USR_ADDR		 (1u << 30)
#define FK_SPI_USR_MISO		 (1u << 28)
#define FK_SPI_USR_MOSI		 (1u << 27)
#define FK_SPI_CMD_USR		 (1u << 18)
#define FK_SPIFLASH_RDID	 0x9F

gboolean
_fk_device_detect_chip(FkDevice *self, GCancellable *cancellable, GError **error)
{
	FkCommand cmd = {.op = FK_OP_GET_SECURITY_INFO, .timeout_ms = FK_TIMEOUT_DEFAULT_MS, .payload_len = 20};
	g_autoptr(GByteArray) frame = NULL;
	g_autoptr(GError) error_local = NULL;
	guint32 magic = 0;

	frame = fk_loader_command_full(self->loader, &cmd, NULL, cancellable, &error_local);
	if (frame != NULL) {
		FkResponse resp;
		if (fk_packet_parse_response(frame->data, frame->len, &resp) && resp.data_len >= 22) {
			guint32 chip_id = fk_memread_u32le(resp.data + 12);
			self->chip = fk_chip_by_image_id(chip_id);
			if (self->chip != NULL)
				return TRUE;
			fk_loader_log(self->loader, "unknown chip id %u in the security info", chip_id);
		}
	} else if (fk_loader_error_is_final(error_local)) {
		g_propagate_error(error, g_steal_pointer(&error_local));
		return FALSE;
	}
	if (!fk_loader_read_reg(self->loader, FK_CHIP_DETECT_MAGIC_REG, &magic, cancellable, error))
		return FALSE;
	self->chip = fk_chip_by_magic(magic);
	if (self->chip == NULL) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_UNSUPPORTED_CHIP,
			    "Unknown chip (magic value 0x%08x): this chip is not supported",
			    magic);
		return FALSE;
	}
	return TRUE;
}

gboolean
_fk_device_read_mac(FkDevice *self, GCancellable *cancellable, GError **error)
{
	guint32 m0 = 0, m1 = 0, m3 = 0;
	if (self->chip->family == FK_CHIP_ESP8266) {
		guint32 m2 = 0;
		if (!fk_loader_read_reg(self->loader, 0x3FF00050, &m0, cancellable, error) ||
		    !fk_loader_read_reg(self->loader, 0x3FF00054, &m1, cancellable, error) ||
		    !fk_loader_read_reg(self->loader, 0x3FF00058, &m2, cancellable, error) ||
		    !fk_loader_read_reg(self->loader, 0x3FF0005C, &m3, cancellable, error))
			return FALSE;
		if (m3 != 0) {
			self->mac[0] = (m3 >> 16) & 0xFF;
			self->mac[1] = (m3 >> 8) & 0xFF;
			self->mac[2] = m3 & 0xFF;
		} else if (((m1 >> 16) & 0xFF) == 0) {
			self->mac[0] = 0x18;
			self->mac[1] = 0xFE;
			self->mac[2] = 0x34;
		} else if (((m1 >> 16) & 0xFF) == 1) {
			self->mac[0] = 0xAC;
			self->mac[1] = 0xD0;
			self->mac[2] = 0x74;
		} else {
			g_set_error(error, FK_ERROR, FK_ERROR_FAILED, "unknown OUI in the ESP8266 OTP");
			return FALSE;
		}
		self->mac[3] = (m1 >> 8) & 0xFF;
		self->mac[4] = m1 & 0xFF;
		self->mac[5] = (m0 >> 24) & 0xFF;
		/* eFuse bit 4 or bit 80 marks an ESP8285 (flash in the package) */
		self->is_esp8285 = (m0 & (1u << 4)) != 0 || (m2 & (1u << 16)) != 0;
		return TRUE;
	}
	if (!fk_loader_read_reg(self->loader, self->chip->mac_reg, &m0, cancellable, error) ||
	    !fk_loader_read_reg(self->loader, self->chip->mac_reg + 4, &m1, cancellable, error))
		return FALSE;
	self->mac[0] = (m1 >> 8) & 0xFF;
	self->mac[1] = m1 & 0xFF;
	self->mac[2] = (m0 >> 24) & 0xFF;
	self->mac[3] = (m0 >> 16) & 0xFF;
	self->mac[4] = (m0 >> 8) & 0xFF;
	self->mac[5] = m0 & 0xFF;
	return TRUE;
}

gboolean
_fk_device_read_crystal(FkDevice *self, GCancellable *cancellable, GError **error)
{
	guint32 div = 0;
	gdouble est;
	if (self->chip->fixed_xtal_mhz != 0 || self->chip->uart_clkdiv_reg == 0) {
		self->crystal_mhz = self->chip->fixed_xtal_mhz;
		return TRUE;
	}
	if (!fk_loader_read_reg(self->loader, self->chip->uart_clkdiv_reg, &div, cancellable, error))
		return FALSE;
	div &= 0xFFFFF;
	est = (gdouble)self->current_baud * div / 1e6 / self->chip->xtal_divider;
	if (est > 45)
		self->crystal_mhz = 48;
	else if (est > 33)
		self->crystal_mhz = 40;
	else
		self->crystal_mhz = 26;
	if (ABS(est - self->crystal_mhz) > 1)
		fk_loader_log(self->loader, "crystal estimate %.1f MHz is far from %u MHz", est, self->crystal_mhz);
	return TRUE;
}

/* ESP32: package and revision from the BLK0 eFuse words and the APB date register */
static gchar *
fk_device_describe_esp32(FkDevice *self, GCancellable *cancellable, GError **error)
{
	guint32 w3 = 0, w5 = 0, date = 0, combined;
	guint pkg, major, minor;
	gboolean single = FALSE;
	const gchar *name;
	if (!fk_loader_read_reg(self->loader, 0x3FF5A00C, &w3, cancellable, error) ||
	    !fk_loader_read_reg(self->loader, 0x3FF5A014, &w5, cancellable, error) ||
	    !fk_loader_read_reg(self->loader, 0x3FF6607C, &date, cancellable, error))
		return NULL;
	pkg = ((w3 >> 9) & 0x7) | (((w3 >> 2) & 0x1) << 3);
	single = (w3 & 0x1) != 0;
	combined = (((date >> 31) & 0x1) << 2) | (((w5 >> 20) & 0x1) << 1) | ((w3 >> 15) & 0x1);
	major = combined == 7 ? 3 : combined == 3 ? 2 : combined == 1 ? 1 : 0;
	minor = (w5 >> 24) & 0x3;
	switch (pkg) {
	case 0:
		name = single ? "ESP32-S0WDQ6" : major == 3 ? "ESP32-D0WDQ6-V3" : "ESP32-D0WDQ6";
		break;
	case 1:
		name = single ? "ESP32-S0WD" : major == 3 ? "ESP32-D0WD-V3" : "ESP32-D0WD";
		break;
	case 2:
		name = single ? "ESP32-S2WDQ5" : "ESP32-D2WDQ5";
		break;
	case 3:
		name = single ? "ESP32-S0WD-OEM" : major == 3 ? "ESP32-D0WD-OEM-V3" : "ESP32-D0WD-OEM";
		break;
	case 4:
		name = "ESP32-U4WDH";
		break;
	case 5:
		name = major == 3 ? "ESP32-PICO-V3" : "ESP32-PICO-D4";
		break;
	case 6:
		name = "ESP32-PICO-V3-02";
		break;
	case 7:
		name = "ESP32-D0WDR2-V3";
		break;
	default:
		name = "ESP32";
		break;
	}
	g_free(self->revision);
	self->revision = g_strdup_printf("v%u.%u", major, minor);
	return g_strdup_printf("%s (revision %s)", name, self->revision);
}

gboolean
_fk_device_describe(FkDevice *self, GCancellable *cancellable, GError **error)
{
	g_clear_pointer(&self->description, g_free);
	g_clear_pointer(&self->revision, g_free);
	if (self->chip->family == FK_CHIP_ESP8266) {
		self->description = g_strdup(self->is_esp8285 ? "ESP8285" : "ESP8266EX");
		return TRUE;
	}
	if (self->chip->family == FK_CHIP_ESP32) {
		self->description = fk_device_describe_esp32(self, cancellable, error);
		return self->description != NULL;
	}
	self->description = g_strdup(self->chip->name);
	return TRUE;
}

/* esptool's run_spiflash_command, for commands with up to 32 bits of reply and no data out */
static gboolean
fk_device_spiflash_command(FkDevice *self, guint8 op, guint read_bits, guint32 *result, GCancellable *cancellable, GError **error)
{
	guint32 base = self->chip->spi_reg_base;
	guint32 usr_reg, usr1_reg, usr2_reg, w0_reg, miso_dlen_reg = 0;
	guint32 old_usr = 0, old_usr2 = 0, cmd = 0, flags = FK_SPI_USR_COMMAND;
	FkRegWrite writes[5];
	guint n = 0;
	gboolean done = FALSE;

	switch (self->chip->spi_layout) {
	case FK_SPI_LAYOUT_ESP8266:
		usr_reg = base + 0x1C;
		usr1_reg = base + 0x20;
		usr2_reg = base + 0x24;
		w0_reg = base + 0x40;
		break;
	case FK_SPI_LAYOUT_ESP32:
		usr_reg = base + 0x1C;
		usr1_reg = base + 0x20;
		usr2_reg = base + 0x24;
		miso_dlen_reg = base + 0x2C;
		w0_reg = base + 0x80;
		break;
	case FK_SPI_LAYOUT_LATER:
	default:
		usr_reg = base + 0x18;
		usr1_reg = base + 0x1C;
		usr2_reg = base + 0x20;
		miso_dlen_reg = base + 0x28;
		w0_reg = base + 0x58;
		break;
	}
	if (!fk_loader_read_reg(self->loader, usr_reg, &old_usr, cancellable, error) ||
	    !fk_loader_read_reg(self->loader, usr2_reg, &old_usr2, cancellable, error))
		return FALSE;
	if (read_bits > 0)
		flags |= FK_SPI_USR_MISO;
	/* the lengths, the command and its start, in this order (one command through a stub) */
	if (self->chip->spi_layout == FK_SPI_LAYOUT_ESP8266)
		writes[n++] = (FkRegWrite){usr1_reg, read_bits > 0 ? (read_bits - 1) << 8 : 0, 0xFFFFFFFF};
	else if (read_bits > 0)
		writes[n++] = (FkRegWrite){miso_dlen_reg, read_bits - 1, 0xFFFFFFFF};
	writes[n++] = (FkRegWrite){usr_reg, flags, 0xFFFFFFFF};
	writes[n++] = (FkRegWrite){usr2_reg, (7u << 28) | op, 0xFFFFFFFF};
	writes[n++] = (FkRegWrite){w0_reg, 0, 0xFFFFFFFF};
	writes[n++] = (FkRegWrite){base, FK_SPI_CMD_USR, 0xFFFFFFFF};
	if (!fk_loader_write_regs(self->loader, writes, n, cancellable, error))
		return FALSE;
	for (guint i = 0; i < 10; i++) {
		if (!fk_loader_read_reg(self->loader, base, &cmd, cancellable, error))
			return FALSE;
		if ((cmd & FK_SPI_CMD_USR) == 0) {
			done = TRUE;
			break;
		}
	}
	if (!done) {
		g_set_error_literal(error, FK_ERROR, FK_ERROR_FAILED, "SPI flash command did not complete");
		return FALSE;
	}
	if (!fk_loader_read_reg(self->loader, w0_reg, result, cancellable, error))
		return FALSE;
	writes[0] = (FkRegWrite){usr_reg, old_usr, 0xFFFFFFFF};
	writes[1] = (FkRegWrite){usr2_reg, old_usr2, 0xFFFFFFFF};
	return fk_loader_write_regs(self->loader, writes, 2, cancellable, error);
}

gboolean
_fk_device_detect_flash(FkDevice *self, GCancellable *cancellable, GError **error)
{
	if (!fk_device_spiflash_command(self, FK_SPIFLASH_RDID, 24, &self->flash_id, cancellable, error)) {
		g_prefix_error(error, "failed to read the flash id: ");
		return FALSE;
	}
	self->flash_id &= 0xFFFFFF;
	if (fk_flash_jedec_is_bad(self->flash_id)) {
		fk_loader_log(self->loader,
			      "the flash does not answer (id %06x): check the flash pins or the SPI connection setting",
			      self->flash_id);
		self->flash_size = 0;
		return TRUE;
	}
	self->flash_size = fk_flash_size_from_jedec(self->flash_id);
	if (self->flash_size == 0)
		fk_loader_log(self->loader, "unknown flash size in id %06x", self->flash_id);
	return TRUE;
}
