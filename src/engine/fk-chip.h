/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
	FK_CHIP_UNKNOWN,
	FK_CHIP_ESP8266,
	FK_CHIP_ESP32,
	FK_CHIP_ESP32S2,
	FK_CHIP_ESP32S3,
	FK_CHIP_ESP32C3,
	FK_CHIP_ESP32C2,
	FK_CHIP_ESP32C6,
	FK_CHIP_ESP32C61,
	FK_CHIP_ESP32C5,
	FK_CHIP_ESP32H2,
	FK_CHIP_ESP32H21,
	FK_CHIP_ESP32H4,
	FK_CHIP_ESP32P4,
	FK_CHIP_ESP32S31,
	FK_CHIP_ESP32E22,
} FkChipFamily;

/* layout of the SPI flash controller's user-command registers */
typedef enum {
	FK_SPI_LAYOUT_ESP8266,
	FK_SPI_LAYOUT_ESP32,
	FK_SPI_LAYOUT_LATER, /* ESP32-S2 and everything after */
} FkSpiLayout;

typedef struct {
	FkChipFamily family;
	const gchar *name;	/* "ESP32-S3" */
	const gchar *stub_name; /* "esp32s3": stub JSON file name, NULL when there is none */
	guint32 magic[4];	/* values at 0x40001000; 0 terminates */
	gint image_chip_id;	/* chip id in GET_SECURITY_INFO and image headers, -1 if none */
	guint32 bootloader_offset;
	guint32 mac_reg;	/* first MAC eFuse word */
	guint32 spi_reg_base;
	FkSpiLayout spi_layout;
	guint32 uart_clkdiv_reg; /* 0 when the crystal is fixed */
	guint xtal_divider;
	guint fixed_xtal_mhz; /* 0 = measure */
	gboolean usb_jtag_serial;
	gboolean flash_32bit_addr; /* may use flash above 16 MB with the stub */
	/* where the ROM loader may place code and data with MEM_BEGIN: [start, end) */
	guint32 iram_start;
	guint32 iram_end;
	guint32 dram_start;
	guint32 dram_end;
} FkChipInfo;

typedef enum {
	FK_CHIP_RAM_INSTRUCTION, /* IRAM: where a flasher stub's code goes */
	FK_CHIP_RAM_DATA,	 /* DRAM: where its data goes */
} FkChipRam;

const FkChipInfo *
fk_chip_by_family(FkChipFamily family);
const FkChipInfo *
fk_chip_by_magic(guint32 magic);
const FkChipInfo *
fk_chip_by_image_id(guint32 chip_id);
/* "esp32s3", "ESP32-S3", "esp32-s3" */
const FkChipInfo *
fk_chip_by_name(const gchar *name);
/* every chip, in table order; *n_chips set */
const FkChipInfo *
fk_chip_list(guint *n_chips);

/* TRUE when [@addr, @addr + @len) lies inside @chip's instruction or data RAM */
gboolean
fk_chip_ram_contains(const FkChipInfo *chip, FkChipRam ram, guint32 addr, gsize len);

/* flash size from a JEDEC RDID word (W0 as read: manufacturer in the low byte); 0 = unknown */
gsize
fk_flash_size_from_jedec(guint32 id);
/* TRUE for 0xFFFFFF / 0x000000 / 0xFFFF3F: no flash answering */
gboolean
fk_flash_jedec_is_bad(guint32 id);
const gchar *
fk_flash_manufacturer_name(guint8 manufacturer);

/* image header byte 3 high nibble for a flash size; -1 if this family cannot express it */
gint
fk_chip_flash_size_code(const FkChipInfo *chip, gsize size);
/* and back; 0 if the code is unknown */
gsize
fk_chip_flash_size_from_code(const FkChipInfo *chip, guint code);
/* byte 3 low nibble for a frequency such as "40m"; -1 if unknown for this chip */
gint
fk_chip_flash_freq_code(const FkChipInfo *chip, const gchar *freq);
const gchar *
fk_chip_flash_freq_name(const FkChipInfo *chip, guint code);

/* esptool's --spi-connection: "SPI", "HSPI" or five GPIO numbers "CLK,Q,D,HD,CS", packed as
 * SPI_ATTACH takes them; FK_ERROR_INVALID_ARGUMENT otherwise */
gboolean
fk_spi_connection_parse(const gchar *text, guint32 *value, GError **error);

/* "1MB", "512KB", "4M", "0x100000", "1048576" -> bytes; 0 on failure */
gsize
fk_parse_size(const gchar *text);
/* "4 MB", "512 KB" */
gchar *
fk_format_size(gsize size);

G_END_DECLS
