/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "fk-device.h"

G_BEGIN_DECLS

/* The chip's MD5 of each region of its flash, taken by SPI_FLASH_MD5 (a command of its own,
 * independent of the writes and erases it checks). Taken before a write or an erase and again
 * after it, it shows what changed where nothing should have; it is also what a restore that
 * writes only what changed would start from. */
typedef struct {
	guint32 offset;
	guint32 size;
	guint8 md5[16];
} FkFlashRegion;

typedef struct {
	GArray *regions; /* of FkFlashRegion, by offset */
} FkFlashMap;

void
fk_flash_map_free(FkFlashMap *map);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FkFlashMap, fk_flash_map_free)

/* the map of the whole flash (its detected or chosen size) in @region_size pieces aligned to
 * @region_size, leaving out [@skip_offset, @skip_offset + @skip_size) */
FkFlashMap *
fk_device_map_flash(FkDevice *self,
		    guint32 skip_offset,
		    gsize skip_size,
		    gsize region_size,
		    GCancellable *cancellable,
		    GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* asks the chip again for each region of @before; a region that differs is asked once more
 * before it counts as changed. *@changed gets the changed regions (FkFlashRegion, with their
 * new digests) */
gboolean
fk_device_flash_map_compare(FkDevice *self,
			    const FkFlashMap *before,
			    GArray **changed,
			    GCancellable *cancellable,
			    GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* the parts of @len bytes of @data, meant for @offset, that the chip does not hold: *@runs gets
 * FkFlashRegion ranges (absolute, no digest, touching ones joined, sector-aligned inside the
 * image). Found with the chip's MD5 of each 256 KB piece, then of each 16 KB part of a piece
 * that differs, then of each 4 KB sector; a piece most of whose parts differ, or whose parts all
 * match although it did not, is listed whole. */
gboolean
fk_device_flash_changed_runs(FkDevice *self,
			     guint32 offset,
			     const guint8 *data,
			     gsize len,
			     FkProgress *progress,
			     GArray **runs,
			     GCancellable *cancellable,
			     GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* "0x10000-0x20000, 0x80000-0x90000", for messages; regions that touch read as one range */
gchar *
fk_flash_regions_to_string(GArray *regions);

/* for the write and the erase: the map around [@offset, @offset + @size) widened to sectors
 * (an empty map where the loader has no MD5 or the flash size is unknown), and the check that
 * nothing in it changed, an FK_ERROR_OUTSIDE_CHANGED that names the ranges otherwise */
FkFlashMap *
_fk_device_guard_begin(FkDevice *self, guint32 offset, gsize size, GCancellable *cancellable, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;
gboolean
_fk_device_guard_end(FkDevice *self, FkFlashMap *before, const gchar *what, GCancellable *cancellable, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
