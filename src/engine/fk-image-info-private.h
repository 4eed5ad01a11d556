/* SPDX-License-Identifier: GPL-3.0-or-later */
/* what fk-image-info.c, fk-partition-table.c and fk-image-info-text.c share */
#pragma once

#include "fk-image-info.h"

G_BEGIN_DECLS

#define FK_IMAGE_INFO_SECTOR 0x1000u

void
_fk_image_info_warn(FkImageDescription *self, const gchar *format, ...) G_GNUC_PRINTF(2, 3);
/* TRUE when @len bytes at @data are all 0xFF (and @len > 0) */
gboolean
_fk_image_info_all_ff(const guint8 *data, gsize len);
/* the image at @offset, reading no further than @offset + @limit or the end of the dump */
void
_fk_image_info_read_image(const guint8 *data, gsize len, guint32 offset, gsize limit, FkImageInfoImage *img);
void
_fk_image_info_read_app_desc(const guint8 *data, gsize len, const FkImageInfoImage *img, FkImageInfoAppDesc *desc);
/* looks for a known firmware's marker strings in [@start, @end) */
void
_fk_image_info_find_firmware(const guint8 *data, gsize len, gsize start, gsize end, FkImageInfoFirmware *fw);
/* the extent of an image to search for markers: the whole image, or up to the next erased sector */
gsize
_fk_image_info_image_end(const guint8 *data, gsize len, const FkImageInfoImage *img, gsize limit);

/* fk-partition-table.c: finds and reads the table, its partitions and the OTA selection */
void
_fk_partition_table_read(FkImageDescription *self, const guint8 *data, gsize len);

G_END_DECLS
