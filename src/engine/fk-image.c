/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the boot image header: parsing, the chip it was built for, patching flash mode, frequency
 * and size (and the appended SHA-256); calls the chip table */
#include "config.h"

#include <string.h>

#include "fk-error.h"
#include "fk-image.h"
#include "fk-mem.h"

#define FK_IMAGE_MAX_SEGMENTS 16

const gchar *
fk_flash_mode_to_string(guint mode)
{
	switch (mode) {
	case FK_FLASH_MODE_QIO:
		return "qio";
	case FK_FLASH_MODE_QOUT:
		return "qout";
	case FK_FLASH_MODE_DIO:
		return "dio";
	case FK_FLASH_MODE_DOUT:
		return "dout";
	default:
		return "unknown";
	}
}

gint
fk_flash_mode_from_string(const gchar *mode)
{
	const gchar *names[] = {"qio", "qout", "dio", "dout"};
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		if (g_ascii_strcasecmp(mode, names[i]) == 0)
			return (gint)i;
	}
	return -1;
}

/* walks the segments after a header of @header_len bytes; the length up to and including the
 * checksum byte, or 0 when the data ends first */
static gsize
fk_image_walk(const guint8 *data, gsize len, gsize header_len, guint segments, gboolean *checksum_ok)
{
	gsize pos = header_len;
	guint8 sum = 0xEF;
	for (guint i = 0; i < segments; i++) {
		guint32 seg_len;
		if (pos + 8 > len)
			return 0;
		seg_len = fk_memread_u32le(data + pos + 4);
		pos += 8;
		if (seg_len > len - pos)
			return 0;
		for (gsize j = 0; j < seg_len; j++)
			sum ^= data[pos + j];
		pos += seg_len;
	}
	/* zero padding up to 15 mod 16, then the checksum byte */
	pos += (15 - (pos % 16)) % 16;
	if (pos >= len)
		return 0;
	*checksum_ok = data[pos] == sum;
	return pos + 1;
}

gboolean
fk_image_parse(const guint8 *data, gsize len, FkImageHeader *hdr)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->chip_id = -1;
	if (len < 8 || data[0] != FK_IMAGE_MAGIC)
		return FALSE;
	hdr->magic = data[0];
	hdr->segments = data[1];
	hdr->flash_mode = data[2];
	hdr->size_code = data[3] >> 4;
	hdr->freq_code = data[3] & 0x0F;
	hdr->entry = fk_memread_u32le(data + 4);
	if (hdr->segments > FK_IMAGE_MAX_SEGMENTS)
		return FALSE;
	/* an ESP32-family image has a 16-byte extended header whose last byte is 0 or 1 */
	if (len >= 24 && data[23] <= 1) {
		guint16 chip_id = fk_memread_u16le(data + 12);
		gboolean ok = FALSE;
		gsize n = fk_image_walk(data, len, 24, hdr->segments, &ok);
		if (fk_chip_by_image_id(chip_id) != NULL && n > 0) {
			hdr->extended = TRUE;
			hdr->chip_id = chip_id;
			hdr->hash_appended = data[23] == 1;
			hdr->data_length = n;
			hdr->checksum_ok = ok;
			return TRUE;
		}
	}
	hdr->data_length = fk_image_walk(data, len, 8, hdr->segments, &hdr->checksum_ok);
	/* esptool looks at byte 23 for ESP8266 images as well */
	hdr->hash_appended = len >= 24 && data[23] == 1;
	return TRUE;
}

static gboolean
fk_image_is_keep(const gchar *value)
{
	return value == NULL || g_ascii_strcasecmp(value, "keep") == 0;
}

gboolean
fk_image_update_flash_params(GByteArray *image,
			     guint32 address,
			     const FkChipInfo *chip,
			     const gchar *mode,
			     const gchar *freq,
			     const gchar *size,
			     gsize detected_size,
			     gboolean *changed,
			     GError **error)
{
	FkImageHeader hdr;
	guint8 byte2, byte3;

	if (changed != NULL)
		*changed = FALSE;
	if (fk_image_is_keep(mode) && fk_image_is_keep(freq) && fk_image_is_keep(size))
		return TRUE;
	if (address != chip->bootloader_offset || image->len < 8)
		return TRUE;
	if (!fk_image_parse(image->data, image->len, &hdr))
		return TRUE; /* not an image: written unchanged */
	if (chip->family != FK_CHIP_ESP8266 && hdr.extended && (guint)hdr.chip_id != (guint)chip->image_chip_id)
		return TRUE;

	byte2 = image->data[2];
	byte3 = image->data[3];
	if (!fk_image_is_keep(mode)) {
		gint code = fk_flash_mode_from_string(mode);
		if (code < 0) {
			g_set_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
				    "Unknown flash mode “%s” (use qio, qout, dio, dout or keep)", mode);
			return FALSE;
		}
		byte2 = (guint8)code;
	}
	if (!fk_image_is_keep(freq)) {
		gint code = fk_chip_flash_freq_code(chip, freq);
		if (code < 0) {
			g_set_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
				    "Flash frequency “%s” is not possible on the %s", freq, chip->name);
			return FALSE;
		}
		byte3 = (byte3 & 0xF0) | (guint8)code;
	}
	if (!fk_image_is_keep(size)) {
		gsize bytes = g_ascii_strcasecmp(size, "detect") == 0
				  ? (detected_size > 0 ? detected_size : 4 * 1024 * 1024)
				  : fk_parse_size(size);
		gint code = bytes > 0 ? fk_chip_flash_size_code(chip, bytes) : -1;
		if (code < 0) {
			g_set_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
				    "Flash size “%s” is not possible on the %s", size, chip->name);
			return FALSE;
		}
		byte3 = (byte3 & 0x0F) | (guint8)(code << 4);
	}
	if (byte2 == image->data[2] && byte3 == image->data[3])
		return TRUE;
	image->data[2] = byte2;
	image->data[3] = byte3;
	if (changed != NULL)
		*changed = TRUE;
	/* the appended SHA-256 covers the header: recompute it */
	if (hdr.hash_appended && hdr.data_length > 0 && hdr.data_length + 32 <= image->len) {
		g_autoptr(GChecksum) sha = g_checksum_new(G_CHECKSUM_SHA256);
		gsize digest_len = 32;
		g_checksum_update(sha, image->data, hdr.data_length);
		g_checksum_get_digest(sha, image->data + hdr.data_length, &digest_len);
	}
	return TRUE;
}

void
fk_image_inspect(const guint8 *data, gsize len, FkImageInfo *info)
{
	const guint32 offsets[] = {0x0, 0x1000, 0x2000};
	memset(info, 0, sizeof(*info));
	for (guint i = 0; i < G_N_ELEMENTS(offsets); i++) {
		FkImageHeader hdr;
		const FkChipInfo *chip;
		if (offsets[i] >= len || !fk_image_parse(data + offsets[i], len - offsets[i], &hdr))
			continue;
		if (hdr.extended) {
			chip = fk_chip_by_image_id((guint32)hdr.chip_id);
			/* the boot image sits at that chip's bootloader offset, or it is an app */
			if (chip != NULL && chip->bootloader_offset != offsets[i] && offsets[i] != 0)
				continue;
		} else {
			/* no extended header: an ESP8266 image, which boots from 0x0 */
			if (offsets[i] != 0)
				continue;
			chip = fk_chip_by_family(FK_CHIP_ESP8266);
		}
		info->found = TRUE;
		info->offset = offsets[i];
		info->header = hdr;
		info->chip = chip;
		info->flash_size = chip != NULL ? fk_chip_flash_size_from_code(chip, hdr.size_code) : 0;
		return;
	}
}

gboolean
fk_image_check_chip(const guint8 *data,
		    gsize len,
		    const gchar *name,
		    const FkChipInfo *chip,
		    gboolean *is_image,
		    GError **error)
{
	FkImageInfo info;
	gboolean certain;

	if (is_image != NULL)
		*is_image = FALSE;
	fk_image_inspect(data, len, &info);
	if (!info.found || info.chip == NULL)
		return TRUE;
	/* without an extended header only a whole ESP8266 image with the right checksum counts;
	 * anything less is a file that happens to start with 0xE9 */
	certain = info.header.extended || (info.header.data_length > 0 && info.header.checksum_ok);
	if (!certain)
		return TRUE;
	if (is_image != NULL)
		*is_image = TRUE;
	if (info.chip->family == chip->family)
		return TRUE;
	g_set_error(error,
		    FK_ERROR,
		    FK_ERROR_UNSUPPORTED_CHIP,
		    "%s is an image for the %s (its boot header at 0x%x says so), but the chip is an "
		    "%s: it would not start",
		    name,
		    info.chip->name,
		    info.offset,
		    chip->name);
	return FALSE;
}
