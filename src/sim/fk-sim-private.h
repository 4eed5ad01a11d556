/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "fk-sim-device.h"

G_BEGIN_DECLS

typedef enum {
	FK_SIM_ROM_8266, /* ESP8266 mask ROM: 2 status bytes, no SPI_SET_PARAMS etc */
	FK_SIM_ROM_32,	 /* ESP32-family ROM: 4 status bytes */
} FkSimRomKind;

typedef struct {
	guint32 start;
	guint32 end;
} FkSimRange;

typedef struct {
	const gchar *name;  /* "esp32s3" */
	const gchar *title; /* "ESP32-S3" */
	FkSimRomKind rom;
	gsize default_size;
	guint32 magic;		     /* value at 0x40001000 */
	guint32 chip_id;	     /* image chip id / GET_SECURITY_INFO chip id */
	guint security_info_len;     /* 0 = the ROM rejects GET_SECURITY_INFO, else 12 or 20 */
	guint32 bootloader_offset;   /* where the second-stage bootloader (or app) image lives */
	guint32 mac_reg;	     /* first MAC word (ESP8266: OTP MAC0) */
	guint32 spi_base;	     /* SPI flash controller */
	gboolean spi_new_layout;     /* ESP32-S2 and later register offsets */
	guint32 uart_clkdiv_reg;     /* 0 = crystal not measured by hosts */
	guint32 uart_clk_hz;	     /* clock feeding the UART divider in the ROM */
	guint rom_log_baud;	     /* ROM boot messages */
	FkSimRange ram[2];	     /* where uploaded code may run */
	guint32 oui[4];		     /* Espressif OUIs used by this chip family */
	/* firmware image layout for the initial flash content */
	guint32 boot_dram;
	guint32 boot_iram;
	guint32 app_drom;
	guint32 app_irom;
	guint32 app_dram;
	guint32 app_iram;
	const gchar *rom_banner; /* first lines of the ROM boot message */
	guint boot_value_download;
	guint boot_value_flash;
	const gchar *boot_name_download;
	const gchar *boot_name_flash;
	const gchar *reset_name; /* "POWERON_RESET" / "POWERON" */
	gboolean rom_attaches_flash; /* the ROM loader connects the flash by itself (ESP32-S2) */
	guint revision; /* major * 100 + minor, as the eFuses and the bootloader's text say */
	/* the RTC watchdog (esptool's watchdog_reset); 0 = not modelled */
	guint32 rtc_wdt_config0;
	guint32 rtc_wdt_config1;
	guint32 rtc_wdt_wprotect;
	const gchar *rtc_wdt_reset_name; /* the reset reason the ROM prints after it fired */
} FkSimChip;

const FkSimChip *
fk_sim_chip_find(const gchar *name);
const FkSimChip *
fk_sim_chip_get_all(guint *n_chips);

/* deterministic pseudo-random numbers */
guint64
fk_sim_rand_next(guint64 *state);
guint32
fk_sim_rand_range(guint64 *state, guint32 lo, guint32 hi);

/* JEDEC id as the flash answers RDID: manufacturer | type << 8 | capacity << 16 */
guint32
fk_sim_flash_jedec_id(gsize size);
/* firmware-like initial content */
void
fk_sim_flash_generate(const FkSimChip *chip, guint8 *buf, gsize size, guint64 seed);

/* image header size nibble for @size, or -1 */
gint
fk_sim_flash_size_code(const FkSimChip *chip, gsize size);

/* "1MB", "512KB" */
gchar *
fk_sim_format_size(gsize size);
gboolean
fk_sim_parse_size(const gchar *str, gsize *size, GError **error);

/* ESP8266 ROM: sectors erased by FLASH_BEGIN for a given erase_size (see fk-sim-rom8266.c) */
guint
fk_sim_rom8266_erase_sectors(guint32 offset, guint32 erase_size, guint32 *first_sector);

/* power the chip off and on again and boot it in @mode (the BOOT button as given) */
void
fk_sim_device_power_cycle(FkSimDevice *self, FkSimBootMode mode, gint64 now_us);

G_END_DECLS
