/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Flash dump descriptions on arbitrary data.
 *
 * Input: the dump itself, described in an allocation of exactly its length, so a read past its
 * end is an ASan report. The description must stay inside the data: every offset it reports
 * that it says is in the dump is, segment offsets lie inside the data, and the text renders. */
#include "config.h"

#include <string.h>

#include "fk-image-info.h"
#include "fuzz-common.h"

static void
check_image(const FkImageInfoImage *img, gsize len)
{
	if (!img->found)
		return;
	FK_FUZZ_CHECK(img->offset < len);
	FK_FUZZ_CHECK(img->n_segments <= FK_IMAGE_INFO_MAX_SEGMENTS);
	for (guint i = 0; i < img->n_segments; i++)
		FK_FUZZ_CHECK(img->segments[i].file_offset <= len);
	if (img->complete)
		FK_FUZZ_CHECK(img->length > 0 && img->offset + img->length <= len);
	if (img->sha256_ok)
		FK_FUZZ_CHECK(img->sha256_present);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	guint8 *copy = g_memdup2(data, size);
	FkImageDescription *info = fk_image_info_describe(copy, size);
	gchar *text = fk_image_info_to_text(info);
	gsize erased = 0;

	FK_FUZZ_CHECK(text != NULL);
	FK_FUZZ_CHECK(info->size == size);
	FK_FUZZ_CHECK(info->erased_bytes <= size);
	for (guint i = 0; i < info->erased_regions->len; i++) {
		const FkImageInfoRegion *r = &g_array_index(info->erased_regions, FkImageInfoRegion, i);
		FK_FUZZ_CHECK((gsize)r->offset + r->length <= size);
		FK_FUZZ_CHECK(r->length >= 0x10000);
		erased += r->length;
	}
	FK_FUZZ_CHECK(erased <= info->erased_bytes);
	check_image(&info->boot, size);
	check_image(&info->esp8266.app, size);
	if (info->table.found) {
		FK_FUZZ_CHECK(info->table.offset < size);
		FK_FUZZ_CHECK(info->table.md5_present || !info->table.md5_ok);
		FK_FUZZ_CHECK(info->table.boot_app < (gint)info->table.partitions->len);
		FK_FUZZ_CHECK(info->table.otadata < (gint)info->table.partitions->len);
		for (guint i = 0; i < info->table.partitions->len; i++) {
			const FkImageInfoPartition *p = &g_array_index(info->table.partitions, FkImageInfoPartition, i);
			FK_FUZZ_CHECK(strlen(p->label) <= 16);
			if (p->inside)
				FK_FUZZ_CHECK((guint64)p->offset + p->size <= size);
			check_image(&p->image, size);
			if (p->image.found)
				FK_FUZZ_CHECK(p->image.offset == p->offset);
		}
	} else {
		FK_FUZZ_CHECK(info->table.partitions->len == 0);
	}
	if (info->kind == FK_DUMP_ERASED)
		FK_FUZZ_CHECK(info->erased_bytes == size);
	if (info->esp8266.firmware.kind != FK_FIRMWARE_NOT_RECOGNISED)
		FK_FUZZ_CHECK(info->esp8266.firmware.marker_offset < size);
	g_free(text);
	fk_image_description_free(info);
	g_free(copy);
	return 0;
}
