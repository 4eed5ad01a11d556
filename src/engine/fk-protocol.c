/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the opcode and status names and the status-to-GError conversion; calls fk-error */
#include "config.h"

#include "fk-protocol.h"

const gchar *
fk_opcode_to_string(guint op)
{
	switch (op) {
	case FK_OP_FLASH_BEGIN:
		return "FLASH_BEGIN";
	case FK_OP_FLASH_DATA:
		return "FLASH_DATA";
	case FK_OP_FLASH_END:
		return "FLASH_END";
	case FK_OP_MEM_BEGIN:
		return "MEM_BEGIN";
	case FK_OP_MEM_END:
		return "MEM_END";
	case FK_OP_MEM_DATA:
		return "MEM_DATA";
	case FK_OP_SYNC:
		return "SYNC";
	case FK_OP_WRITE_REG:
		return "WRITE_REG";
	case FK_OP_READ_REG:
		return "READ_REG";
	case FK_OP_SPI_SET_PARAMS:
		return "SPI_SET_PARAMS";
	case FK_OP_SPI_ATTACH:
		return "SPI_ATTACH";
	case FK_OP_READ_FLASH_SLOW:
		return "READ_FLASH_SLOW";
	case FK_OP_CHANGE_BAUDRATE:
		return "CHANGE_BAUDRATE";
	case FK_OP_FLASH_DEFL_BEGIN:
		return "FLASH_DEFL_BEGIN";
	case FK_OP_FLASH_DEFL_DATA:
		return "FLASH_DEFL_DATA";
	case FK_OP_FLASH_DEFL_END:
		return "FLASH_DEFL_END";
	case FK_OP_SPI_FLASH_MD5:
		return "SPI_FLASH_MD5";
	case FK_OP_GET_SECURITY_INFO:
		return "GET_SECURITY_INFO";
	case FK_OP_ERASE_FLASH:
		return "ERASE_FLASH";
	case FK_OP_ERASE_REGION:
		return "ERASE_REGION";
	case FK_OP_READ_FLASH:
		return "READ_FLASH";
	case FK_OP_RUN_USER_CODE:
		return "RUN_USER_CODE";
	default:
		return "UNKNOWN";
	}
}

guint
fk_timeout_per_mb(guint rate_ms, gsize size)
{
	guint64 t = (guint64)rate_ms * size / 1000000;
	return (guint)CLAMP(t, FK_TIMEOUT_DEFAULT_MS, FK_TIMEOUT_MAX_MS);
}

guint32
fk_esp8266_rom_erase_size(guint32 offset, guint32 size)
{
	guint32 sectors_per_block = 16, sector = FK_FLASH_SECTOR_SIZE;
	guint32 n = (size + sector - 1) / sector;
	guint32 start = offset / sector;
	guint32 head = sectors_per_block - (start % sectors_per_block);
	if (n < head)
		head = n;
	if (n < 2 * head)
		return (n + 1) / 2 * sector;
	return (n - head) * sector;
}

gboolean
fk_esp8266_rom_erase_is_exact(guint32 offset, guint32 size)
{
	guint32 n = (size + FK_FLASH_SECTOR_SIZE - 1) / FK_FLASH_SECTOR_SIZE;
	guint32 head = 16 - ((offset / FK_FLASH_SECTOR_SIZE) % 16);
	if (n < head)
		head = n;
	/* a short span is sent as half its sectors, which the ROM doubles: odd counts round up */
	return !(n < 2 * head && n % 2 == 1);
}
