/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "fk-image-info.h"

G_BEGIN_DECLS

/* what a stretch of the flash is for, as a picture of the flash shows it */
typedef enum {
	FK_FLASH_SPAN_BOOTLOADER,      /* the second-stage bootloader, eboot, rBoot, boot.bin */
	FK_FLASH_SPAN_PARTITION_TABLE, /* the ESP-IDF partition table's sector */
	FK_FLASH_SPAN_APP,	       /* an app partition or the ESP8266's firmware */
	FK_FLASH_SPAN_DATA,	       /* nvs, phy_init, otadata, coredump, rBoot's configuration */
	FK_FLASH_SPAN_FILESYSTEM,      /* spiffs, fat, littlefs */
	FK_FLASH_SPAN_SYSTEM,	       /* the areas the ESP8266 SDK keeps at the end of the flash */
	FK_FLASH_SPAN_EMPTY,	       /* erased (0xFF) and claimed by nothing */
	FK_FLASH_SPAN_OTHER,	       /* data that nothing described accounts for */
	FK_FLASH_SPAN_NOT_IN_IMAGE,    /* flash past the end of the image: a restore leaves it alone */
	FK_FLASH_SPAN_BEYOND_FLASH,    /* image past the end of the flash: it does not fit */
	FK_FLASH_SPAN_N_KINDS,
} FkFlashSpanKind;

typedef struct {
	gsize offset;
	gsize size;
	FkFlashSpanKind kind;
	/* the partition's own label ("factory", "nvs"), or the area's name in English
	 * ("bootloader", "RF calibration"); "" for empty, other and the two past-the-end kinds */
	gchar label[24];
	gint partition; /* index in the description's table, -1 when not a partition */
	/* spans of one partition or area share a region number (>= 0); the unclaimed kinds
	 * (empty, other, not in the image, beyond the flash) have -1 */
	gint region;
	gboolean active; /* the app the bootloader starts */
	gboolean erased; /* every byte of it in the image is 0xFF: the space is unused */
} FkFlashSpan;

/* the flash as ordered, non-overlapping spans (FkFlashSpan) that cover 0 to @flash_size, or
 * to the image's size when @flash_size is 0 or smaller than the image (the part past the flash
 * is then one FK_FLASH_SPAN_BEYOND_FLASH span). A damaged table's overlapping partitions are
 * cut so that no two spans overlap; where a partition holds an erased area of 64 KB or more,
 * that part is a span of its own with @erased set. @data (the @len bytes @desc describes, or
 * NULL) tells erased from other data in the small stretches between regions, such as the
 * ESP32's first sector; without it they are "other". Never fails; empty for an empty image and
 * no flash size. */
GArray *
fk_flash_layout_new(const FkImageDescription *desc, const guint8 *data, gsize len, gsize flash_size);

/* "bootloader", "app", "empty", … (untranslated, for tests and the terminal) */
const gchar *
fk_flash_span_kind_to_string(FkFlashSpanKind kind);

G_END_DECLS
