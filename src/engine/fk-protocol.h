/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* request opcodes of the ROM loader and the flasher stub */
typedef enum {
	FK_OP_FLASH_BEGIN = 0x02,
	FK_OP_FLASH_DATA = 0x03,
	FK_OP_FLASH_END = 0x04,
	FK_OP_MEM_BEGIN = 0x05,
	FK_OP_MEM_END = 0x06,
	FK_OP_MEM_DATA = 0x07,
	FK_OP_SYNC = 0x08,
	FK_OP_WRITE_REG = 0x09,
	FK_OP_READ_REG = 0x0A,
	FK_OP_SPI_SET_PARAMS = 0x0B,
	FK_OP_SPI_ATTACH = 0x0D,
	FK_OP_READ_FLASH_SLOW = 0x0E,
	FK_OP_CHANGE_BAUDRATE = 0x0F,
	FK_OP_FLASH_DEFL_BEGIN = 0x10,
	FK_OP_FLASH_DEFL_DATA = 0x11,
	FK_OP_FLASH_DEFL_END = 0x12,
	FK_OP_SPI_FLASH_MD5 = 0x13,
	FK_OP_GET_SECURITY_INFO = 0x14,
	FK_OP_ERASE_FLASH = 0xD0,
	FK_OP_ERASE_REGION = 0xD1,
	FK_OP_READ_FLASH = 0xD2,
	FK_OP_RUN_USER_CODE = 0xD3,
} FkOpcode;

#define FK_CHECKSUM_SEED	  0xEF
#define FK_FLASH_SECTOR_SIZE	  0x1000
#define FK_FLASH_BLOCK_SIZE	  0x10000
#define FK_FLASH_PAGE_SIZE	  0x100
#define FK_ROM_WRITE_SIZE	  0x400
#define FK_STUB_WRITE_SIZE	  0x4000
#define FK_RAM_BLOCK_SIZE	  0x1800
#define FK_ROM_READ_SLOW_CHUNK	  64
#define FK_STUB_READ_PACKET	  0x1000
#define FK_CHIP_DETECT_MAGIC_REG  0x40001000
#define FK_ROM_BAUD		  115200
#define FK_SYNC_PAYLOAD_LEN	  36
#define FK_STUB_GREETING	  "OHAI"

/* timeouts (milliseconds), as esptool uses them */
#define FK_TIMEOUT_DEFAULT_MS	  3000
#define FK_TIMEOUT_SYNC_MS	  100
#define FK_TIMEOUT_MEM_END_ROM_MS 200
#define FK_TIMEOUT_CHIP_ERASE_MS  120000
#define FK_TIMEOUT_MAX_MS	  240000
#define FK_TIMEOUT_ERASE_PER_MB	  40000
#define FK_TIMEOUT_MD5_PER_MB	  8000

const gchar *
fk_opcode_to_string(guint op);
/* rate_ms per decimal megabyte of @size, clamped to [3 s, 240 s] */
guint
fk_timeout_per_mb(guint rate_ms, gsize size);

/* the ESP8266 ROM erases more than asked for in FLASH_BEGIN; this is the size to send so
 * that it erases [offset, offset + size) */
guint32
fk_esp8266_rom_erase_size(guint32 offset, guint32 size);
/* FALSE when the ROM cannot be made to erase exactly those sectors (it would take one more) */
gboolean
fk_esp8266_rom_erase_is_exact(guint32 offset, guint32 size);

G_END_DECLS
