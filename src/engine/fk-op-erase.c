/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns erasing the flash: regions piece by piece (stub ERASE_REGION or ROM FLASH_BEGIN), the
 * whole chip, the ESP8266 ROM's erase quirk; calls the loader, recovery and the device's checks */
#include "config.h"

#include <string.h>

#include "fk-device-private.h"
#include "fk-flash-map.h"
#include "fk-error.h"
#include "fk-mem.h"
#include "fk-op-erase.h"
#include "fk-op-md5.h"
#include "fk-protocol.h"
#include "fk-recovery.h"

/* the ESP8266 ROM erases one sector too many for some spans: refuse rather than destroy it */
gboolean
_fk_device_check_rom8266_erase(FkDevice *self, guint32 offset, gsize size, GError **error)
{
	if (fk_loader_get_kind(self->loader) != FK_LOADER_ROM8266 || fk_esp8266_rom_erase_is_exact(offset, size))
		return TRUE;
	g_set_error(error,
		    FK_ERROR,
		    FK_ERROR_UNSUPPORTED,
		    "The ESP8266 ROM loader cannot erase exactly 0x%x–0x%" G_GINT64_MODIFIER "x: it would "
		    "also erase the sector after it. Install the flasher stubs (see the README), or use "
		    "an even number of 4 KB sectors",
		    offset,
		    ((guint64)offset + size + FK_FLASH_SECTOR_SIZE - 1) / FK_FLASH_SECTOR_SIZE * FK_FLASH_SECTOR_SIZE);
	return FALSE;
}

static gboolean
fk_device_erase_piece(FkDevice *self, guint32 at, gsize n, GCancellable *cancellable, GError **error)
{
	guint8 buf[20] = {0};
	gsize len = 16;

	if (fk_loader_get_kind(self->loader) == FK_LOADER_STUB) {
		fk_memwrite_u32le(buf, at);
		fk_memwrite_u32le(buf + 4, n);
		return fk_loader_command(self->loader, FK_OP_ERASE_REGION, buf, 8,
					 fk_timeout_per_mb(FK_TIMEOUT_ERASE_PER_MB, n), cancellable, error);
	}
	/* the ROM erases when a write begins; no data follows */
	fk_memwrite_u32le(buf, fk_loader_get_kind(self->loader) == FK_LOADER_ROM8266 ? fk_esp8266_rom_erase_size(at, n) : n);
	fk_memwrite_u32le(buf + 4, (n + FK_ROM_WRITE_SIZE - 1) / FK_ROM_WRITE_SIZE);
	fk_memwrite_u32le(buf + 8, FK_ROM_WRITE_SIZE);
	fk_memwrite_u32le(buf + 12, at);
	if (fk_loader_get_kind(self->loader) == FK_LOADER_ROM32 && self->chip->family != FK_CHIP_ESP32) {
		fk_memwrite_u32le(buf + 16, 0);
		len = 20;
	}
	return fk_loader_command(self->loader, FK_OP_FLASH_BEGIN, buf, len,
				 fk_timeout_per_mb(FK_TIMEOUT_ERASE_PER_MB, n), cancellable, error);
}

/* an erase is checked by another command: the chip's MD5 of the region must be that of 0xFF
 * bytes (where the loader can compute one: not the ESP8266 ROM) */
static gboolean
fk_device_check_erased(FkDevice *self, guint32 offset, gsize size, GCancellable *cancellable, GError **error)
{
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_MD5);
	guint8 ones[4096];
	guint8 md5_chip[16], md5_erased[16];

	if (!fk_device_can_md5(self))
		return TRUE;
	memset(ones, 0xFF, sizeof(ones));
	for (gsize done = 0; done < size; done += sizeof(ones))
		g_checksum_update(checksum, ones, MIN(sizeof(ones), size - done));
	_fk_md5_finish(checksum, md5_erased);
	if (!fk_device_flash_md5(self, offset, size, md5_chip, cancellable, error))
		return FALSE;
	if (memcmp(md5_chip, md5_erased, 16) != 0) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_VERIFY_FAILED,
			    "0x%x-0x%" G_GINT64_MODIFIER "x is not blank after erasing it",
			    offset,
			    (guint64)offset + size);
		return FALSE;
	}
	return TRUE;
}

gboolean
fk_device_erase_region(FkDevice *self, guint32 offset, gsize size, FkProgress *progress, GCancellable *cancellable, GError **error)
{
	FkRecovery rec = {.what = "erasing"};
	g_autoptr(FkFlashMap) outside = NULL;
	gsize done = 0;

	if (!_fk_device_check_connected(self, error))
		return FALSE;
	if (size == 0) {
		g_set_error_literal(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT, "Nothing to erase (size 0)");
		return FALSE;
	}
	if (offset % FK_FLASH_SECTOR_SIZE != 0 || size % FK_FLASH_SECTOR_SIZE != 0) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_INVALID_ARGUMENT,
			    "The region to erase must start and end on a 4 KB (0x1000) boundary "
			    "(got 0x%x + 0x%" G_GSIZE_MODIFIER "x)",
			    offset,
			    size);
		return FALSE;
	}
	if (!_fk_device_check_range(self, offset, size, "The region to erase", error))
		return FALSE;
	if (!_fk_device_check_rom8266_erase(self, offset, size, error))
		return FALSE;
	/* what must not change: the rest of the flash (a damaged ERASE_REGION erases elsewhere) */
	outside = _fk_device_guard_begin(self, offset, size, cancellable, error);
	if (outside == NULL)
		return FALSE;
	/* erase in pieces so that progress moves and cancel is honoured between them; erasing
	 * again is harmless, so a piece that fails is erased again */
	while (done < size) {
		gsize n = MIN(size - done, 256 * 1024);
		g_autoptr(GError) error_local = NULL;
		if (g_cancellable_set_error_if_cancelled(cancellable, error))
			return FALSE;
		if (!fk_device_erase_piece(self, offset + done, n, cancellable, &error_local) ||
		    !fk_device_check_erased(self, offset + done, n, cancellable, &error_local)) {
			if (!_fk_device_recover(self, &rec, &error_local, cancellable, error))
				return FALSE;
			continue;
		}
		rec.in_a_row = 0;
		done += n;
		if (progress != NULL)
			fk_progress_set_done(progress, done, size);
	}
	return _fk_device_guard_end(self, outside, "erase", cancellable, error);
}

gboolean
fk_device_erase_flash(FkDevice *self, FkProgress *progress, GCancellable *cancellable, GError **error)
{
	if (!_fk_device_check_connected(self, error))
		return FALSE;
	if (fk_loader_get_kind(self->loader) == FK_LOADER_STUB) {
		FkRecovery rec = {.what = "erasing"};
		if (progress != NULL)
			fk_progress_set_status(progress, "Erasing the whole flash");
		for (;;) {
			g_autoptr(GError) error_local = NULL;
			if (fk_loader_command(self->loader, FK_OP_ERASE_FLASH, NULL, 0, FK_TIMEOUT_CHIP_ERASE_MS, cancellable,
					      &error_local) &&
			    (self->flash_size == 0 ||
			     fk_device_check_erased(self, 0, self->flash_size, cancellable, &error_local)))
				break;
			if (!_fk_device_recover(self, &rec, &error_local, cancellable, error)) {
				g_prefix_error(error, "failed to erase the flash: ");
				return FALSE;
			}
		}
		if (progress != NULL)
			fk_progress_finish(progress);
		return TRUE;
	}
	/* the ROM has no chip erase: erase the detected size region by region */
	if (self->flash_size == 0) {
		g_set_error_literal(error,
				    FK_ERROR,
				    FK_ERROR_SIZE_MISMATCH,
				    "The flash size is unknown, so the whole flash cannot be erased without "
				    "the flasher stub");
		return FALSE;
	}
	return fk_device_erase_region(self, 0, self->flash_size, progress, cancellable, error);
}
