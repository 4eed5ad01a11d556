/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "fk-chip.h"

G_BEGIN_DECLS

#define FK_IMAGE_MAGIC 0xE9

typedef enum {
	FK_FLASH_MODE_QIO = 0,
	FK_FLASH_MODE_QOUT = 1,
	FK_FLASH_MODE_DIO = 2,
	FK_FLASH_MODE_DOUT = 3,
} FkFlashMode;

/* what the boot header of an ESP firmware image says */
typedef struct {
	guint8 magic;
	guint8 segments;
	guint8 flash_mode;
	guint8 size_code; /* byte 3 high nibble */
	guint8 freq_code; /* byte 3 low nibble */
	guint32 entry;
	gboolean extended;	/* ESP32-family extended header present and plausible */
	gint chip_id;		/* from the extended header, -1 when none */
	gboolean hash_appended; /* byte 23 == 1 */
	gsize data_length;	/* header + segments + padding + checksum; 0 if truncated */
	gboolean checksum_ok;
} FkImageHeader;

/* parses an image at the start of @data; FALSE when it is not one */
gboolean
fk_image_parse(const guint8 *data, gsize len, FkImageHeader *hdr);
const gchar *
fk_flash_mode_to_string(guint mode);
gint
fk_flash_mode_from_string(const gchar *mode);

/* esptool's header update for a bootloader written at the chip's bootloader offset: mode, freq
 * and size are "keep" (or NULL), a value ("dio", "40m", "4MB"), or for size "detect" (uses
 * @detected_size). A recomputed SHA-256 replaces an appended one. Returns TRUE when nothing
 * had to change or the image was updated; FALSE with an error for an unknown value. */
gboolean
fk_image_update_flash_params(GByteArray *image,
			     guint32 address,
			     const FkChipInfo *chip,
			     const gchar *mode,
			     const gchar *freq,
			     const gchar *size,
			     gsize detected_size,
			     gboolean *changed,
			     GError **error);

/* what a file to restore looks like: where its boot image is and which chip it is for */
typedef struct {
	gboolean found;		/* a boot image header was found */
	guint32 offset;		/* where: 0x0, 0x1000 (ESP32, ESP32-S2) or 0x2000 */
	FkImageHeader header;
	const FkChipInfo *chip; /* NULL when the header does not say */
	gsize flash_size;	/* from the header's size code, 0 if unknown */
} FkImageInfo;

/* looks for the boot image of a full-flash backup or a bootloader/app image */
void
fk_image_inspect(const guint8 *data, gsize len, FkImageInfo *info);

/* whether @data (the file @name) can go onto @chip: FALSE with FK_ERROR_UNSUPPORTED_CHIP when it
 * holds a boot image that is beyond doubt for another chip family (its extended header names
 * the chip, or it is a complete ESP8266 image with a correct checksum), as esptool refuses
 * without --force. TRUE otherwise; *@is_image (may be NULL) then says whether a boot image
 * was recognised at all, so a caller can warn about a file that is not firmware. */
gboolean
fk_image_check_chip(const guint8 *data,
		    gsize len,
		    const gchar *name,
		    const FkChipInfo *chip,
		    gboolean *is_image,
		    GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
