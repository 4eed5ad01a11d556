/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the three error domains and the hints a person can act on; calls nothing else */
#include "config.h"

#include "fk-error.h"

G_DEFINE_QUARK(fk-error-quark, fk_error)
G_DEFINE_QUARK(fk-protocol-error-quark, fk_protocol_error)
G_DEFINE_QUARK(fk-device-error-quark, fk_device_error)

const gchar *
fk_device_error_to_string(guint code)
{
	switch (code) {
	case FK_DEVICE_ERROR_UNDEFINED:
		return "undefined error";
	case FK_DEVICE_ERROR_INVALID_PARAMETER:
		return "input parameter invalid";
	case FK_DEVICE_ERROR_MALLOC:
		return "the loader ran out of memory";
	case FK_DEVICE_ERROR_SEND:
		return "failed to send message";
	case FK_DEVICE_ERROR_RECEIVE:
		return "failed to receive message";
	case FK_DEVICE_ERROR_INVALID_MESSAGE:
		return "received message is invalid (command not supported)";
	case FK_DEVICE_ERROR_FAILED_TO_ACT:
		return "failed to act on received message (often a flash address beyond the configured size)";
	case FK_DEVICE_ERROR_BAD_CRC:
		return "received message has an invalid checksum";
	case FK_DEVICE_ERROR_FLASH_WRITE:
		return "flash write error (read-back did not match)";
	case FK_DEVICE_ERROR_FLASH_READ:
		return "flash read error";
	case FK_DEVICE_ERROR_FLASH_READ_LENGTH:
		return "flash read length error";
	case FK_DEVICE_ERROR_DEFLATE:
		return "deflate error (corrupt compressed data)";
	case FK_DEVICE_ERROR_DEFLATE_ADLER:
		return "deflate Adler-32 error";
	case FK_DEVICE_ERROR_DEFLATE_PARAM:
		return "deflate parameter error";
	case FK_DEVICE_ERROR_RAM_SIZE:
		return "invalid RAM binary size";
	case FK_DEVICE_ERROR_RAM_ADDRESS:
		return "invalid RAM binary address";
	case FK_DEVICE_ERROR_SDM_INVALID_PARAMETER:
		return "invalid parameter";
	case FK_DEVICE_ERROR_SDM_INVALID_FORMAT:
		return "invalid format";
	case FK_DEVICE_ERROR_STUB_BAD_DATA_LEN:
		return "bad data length";
	case FK_DEVICE_ERROR_STUB_BAD_DATA_CHECKSUM:
		return "bad data checksum";
	case FK_DEVICE_ERROR_STUB_BAD_BLOCKSIZE:
		return "bad block size";
	case FK_DEVICE_ERROR_STUB_INVALID_COMMAND:
		return "invalid command";
	case FK_DEVICE_ERROR_STUB_FAILED_SPI_OP:
		return "SPI flash operation failed";
	case FK_DEVICE_ERROR_STUB_FAILED_SPI_UNLOCK:
		return "could not unlock the flash (write protection)";
	case FK_DEVICE_ERROR_STUB_NOT_IN_FLASH_MODE:
		return "not in flash mode";
	case FK_DEVICE_ERROR_STUB_INFLATE:
		return "inflate error (corrupt compressed data)";
	case FK_DEVICE_ERROR_STUB_NOT_ENOUGH_DATA:
		return "not enough data";
	case FK_DEVICE_ERROR_STUB_TOO_MUCH_DATA:
		return "too much data";
	case FK_DEVICE_ERROR_STUB_CMD_NOT_IMPLEMENTED:
		return "command not implemented";
	default:
		return "unknown error";
	}
}

const gchar *
fk_error_hint(const GError *error)
{
	if (error == NULL)
		return NULL;
	if (error->domain == FK_ERROR) {
		switch (error->code) {
		case FK_ERROR_PORT_PERMISSION:
			return "Add your user to the “dialout” group (sudo usermod -aG dialout $USER), "
			       "then log out and back in.";
		case FK_ERROR_PORT_BUSY:
			return "Close other programs that use the port (serial monitors, another "
			       "flasher, ModemManager).";
		case FK_ERROR_PORT_NOT_FOUND:
			return "Check the cable and the port name. If a CH340 or CP210x adapter "
			       "appears and vanishes at once, the brltty package is known to grab "
			       "them: remove it.";
		case FK_ERROR_PORT_GONE:
			return "The device disappeared: check the cable and the board's power, then "
			       "connect again.";
		case FK_ERROR_NO_SYNC:
		case FK_ERROR_TIMEOUT:
			return "Hold BOOT (GPIO0) while pressing RESET to enter download mode, check "
			       "the cable, or try a lower baud rate.";
		case FK_ERROR_STUB_INVALID:
			return "Remove or replace the damaged stub file (flashkeep-fetch-stubs installs "
			       "Espressif's stubs again), or work without the stub.";
		case FK_ERROR_CHIP_RESET:
			return "Check the board's power supply: a weak USB port or a long cable can make "
			       "the chip reset when the flash draws current.";
		case FK_ERROR_OUTSIDE_CHANGED:
			return "Restore the ranges named above from a backup of this chip (same MAC), "
			       "or the whole flash, at a lower baud rate.";
		case FK_ERROR_WRONG_BOOT_MODE:
			return "The chip started its firmware instead of the download mode: hold BOOT "
			       "(GPIO0) while pressing RESET, or choose the manual reset mode.";
		case FK_ERROR_STUB_MISSING:
			return "Install the flasher stubs (see the README: flashkeep-fetch-stubs), or "
			       "set FLASHKEEP_STUB_PATH.";
		default:
			return NULL;
		}
	}
	if (error->domain == FK_PROTOCOL_ERROR)
		return "The serial link is unreliable: try a lower baud rate or a shorter cable.";
	return NULL;
}
