/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Boot image parsing, inspection and the esptool-style header update on arbitrary data.
 *
 * Input: 4 bytes of choices (flash mode, frequency, size, chip/address/detected size), then the
 * image. The image is updated in a copy allocated at exactly its length, so a read or write past
 * its end is an ASan report; nothing but bytes 2 and 3 and an appended SHA-256 may change. */
#include "config.h"

#include <string.h>

#include "fk-chip.h"
#include "fk-error.h"
#include "fk-image.h"
#include "fuzz-common.h"

#define FUZZ_CHOICES_LEN 4

static void
check_header(const guint8 *data, gsize len, const FkImageHeader *hdr)
{
	FK_FUZZ_CHECK(len >= 8 && data[0] == FK_IMAGE_MAGIC);
	FK_FUZZ_CHECK(hdr->magic == FK_IMAGE_MAGIC);
	FK_FUZZ_CHECK(hdr->segments == data[1]);
	FK_FUZZ_CHECK(hdr->data_length <= len);
	if (hdr->extended) {
		FK_FUZZ_CHECK(len >= 24);
		FK_FUZZ_CHECK(hdr->chip_id >= 0);
		FK_FUZZ_CHECK(fk_chip_by_image_id((guint32)hdr->chip_id) != NULL);
		FK_FUZZ_CHECK(hdr->data_length > 0);
	} else {
		FK_FUZZ_CHECK(hdr->chip_id == -1);
	}
	if (hdr->hash_appended)
		FK_FUZZ_CHECK(len >= 24 && data[23] == 1);
}

static void
check_inspect(const guint8 *data, gsize len)
{
	FkImageInfo info;
	fk_image_inspect(data, len, &info);
	if (!info.found) {
		FK_FUZZ_CHECK(info.chip == NULL && info.flash_size == 0);
		return;
	}
	FK_FUZZ_CHECK(info.offset == 0x0 || info.offset == 0x1000 || info.offset == 0x2000);
	FK_FUZZ_CHECK(info.offset < len);
	check_header(data + info.offset, len - info.offset, &info.header);
	if (info.chip != NULL)
		(void)fk_chip_flash_freq_name(info.chip, info.header.freq_code);
}

static void
check_update(const guint8 *data, gsize len, const guint8 *choice)
{
	static const gchar *modes[] = {NULL, "keep", "qio", "qout", "dio", "dout", "DIO", "fast"};
	static const gchar *freqs[] = {NULL,  "keep", "40m", "26m", "20m", "80m", "30m", "15m",
				       "60m", "24m",  "16m", "12m", "48m", "",	  "40"};
	static const gchar *sizes[] = {NULL,	"keep",	 "detect", "256KB", "512KB",  "1MB",
				       "2MB",	"4MB",	 "8MB",	   "16MB",  "32MB",   "64MB",
				       "128MB", "3MB",	 "0x400000", "4194304", "0x", "MB"};
	static const gsize detected[] = {0, 512 * 1024, 1024 * 1024, 4 * 1024 * 1024,
					 16 * 1024 * 1024, 3 * 1024 * 1024, 256 * 1024 * 1024,
					 G_MAXSIZE};
	const gchar *mode = modes[choice[0] % G_N_ELEMENTS(modes)];
	const gchar *freq = freqs[choice[1] % G_N_ELEMENTS(freqs)];
	const gchar *size = sizes[choice[2] % G_N_ELEMENTS(sizes)];
	guint n_chips = 0;
	const FkChipInfo *chips = fk_chip_list(&n_chips);
	const FkChipInfo *chip = &chips[(choice[3] & 0x0F) % n_chips];
	/* mostly at the chip's bootloader offset, where the update applies */
	guint32 address = (choice[3] & 0x10) != 0 ? 0x10000 : chip->bootloader_offset;
	gsize detected_size = detected[(choice[3] >> 5) % G_N_ELEMENTS(detected)];
	g_autoptr(GError) error = NULL;
	g_autoptr(GByteArray) image = NULL;
	FkImageHeader before;
	gboolean parsed;
	gboolean changed = 0xA5;
	gboolean ok;

	/* g_byte_array_new_take keeps the exact allocation; a sized array would round it up */
	image = g_byte_array_new_take(g_memdup2(data, len), len);
	parsed = fk_image_parse(image->data, image->len, &before);
	ok = fk_image_update_flash_params(image,
					  address,
					  chip,
					  mode,
					  freq,
					  size,
					  detected_size,
					  &changed,
					  &error);
	FK_FUZZ_CHECK(image->len == len);
	FK_FUZZ_CHECK(changed == TRUE || changed == FALSE);
	if (!ok) {
		FK_FUZZ_CHECK(error != NULL && error->domain == FK_ERROR);
		FK_FUZZ_CHECK(!changed);
	} else {
		FK_FUZZ_CHECK(error == NULL);
	}
	if (!changed) {
		FK_FUZZ_CHECK(len == 0 || memcmp(image->data, data, len) == 0);
		return;
	}

	/* changed: only the two header bytes and an appended digest */
	FK_FUZZ_CHECK(parsed && address == chip->bootloader_offset);
	FK_FUZZ_CHECK(image->data[2] != data[2] || image->data[3] != data[3]);
	for (gsize i = 0; i < len; i++) {
		gboolean digest = before.hash_appended && before.data_length > 0 &&
				  i >= before.data_length && i < before.data_length + 32;
		if (i == 2 || i == 3 || digest)
			continue;
		FK_FUZZ_CHECK(image->data[i] == data[i]);
	}
	if (before.hash_appended && before.data_length > 0 && before.data_length + 32 <= len) {
		g_autoptr(GChecksum) sha = g_checksum_new(G_CHECKSUM_SHA256);
		guint8 digest[32];
		gsize digest_len = sizeof(digest);
		g_checksum_update(sha, image->data, before.data_length);
		g_checksum_get_digest(sha, digest, &digest_len);
		FK_FUZZ_CHECK(memcmp(image->data + before.data_length, digest, 32) == 0);
	}
	/* the updated header still parses; an extended one the same way (a new digest may make
	 * a plain image's bytes look extended, as with esptool) */
	{
		FkImageHeader after;
		FK_FUZZ_CHECK(fk_image_parse(image->data, image->len, &after));
		if (before.extended) {
			FK_FUZZ_CHECK(after.extended);
			FK_FUZZ_CHECK(after.chip_id == before.chip_id);
			FK_FUZZ_CHECK(after.data_length == before.data_length);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const guint8 *choice = data;
	FkImageHeader hdr;

	if (size < FUZZ_CHOICES_LEN)
		return 0;
	data += FUZZ_CHOICES_LEN;
	size -= FUZZ_CHOICES_LEN;

	if (fk_image_parse(data, size, &hdr))
		check_header(data, size, &hdr);
	else
		FK_FUZZ_CHECK(size < 8 || data[0] != FK_IMAGE_MAGIC || data[1] > 16);
	check_inspect(data, size);
	check_update(data, size, choice);
	return 0;
}
