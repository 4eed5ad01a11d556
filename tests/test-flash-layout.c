/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fk-flash-layout on the flashes the simulator makes and on damaged or odd ones made from them:
 * every layout covers the flash once, in order, with no overlap, whatever the table says */
#include "config.h"

#include <string.h>

#include "fk-flash-layout.h"
#include "fk-mem.h"
#include "fk-sim-device.h"

#define KB 1024u
#define MB (1024u * 1024u)
#define TABLE 0x8000u
#define ENTRY_LEN 32u

static GBytes *
sim_flash(const gchar *chip, gsize size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FkSimDevice) sim = fk_sim_device_new(chip, size, 11, &error);
	g_assert_no_error(error);
	return fk_sim_device_get_flash(sim);
}

static void
dump_spans(GArray *spans)
{
	for (guint i = 0; i < spans->len; i++) {
		const FkFlashSpan *s = &g_array_index(spans, FkFlashSpan, i);
		g_test_message("0x%07zx +0x%07zx %-16s %-22s%s%s", s->offset, s->size, fk_flash_span_kind_to_string(s->kind),
			       s->label, s->active ? " active" : "", s->erased ? " erased" : "");
	}
}

/* the spans start at 0, follow each other without gap or overlap and end at @total */
static void
assert_covers(GArray *spans, gsize total)
{
	gsize pos = 0;
	dump_spans(spans);
	for (guint i = 0; i < spans->len; i++) {
		const FkFlashSpan *s = &g_array_index(spans, FkFlashSpan, i);
		g_assert_cmpuint(s->offset, ==, pos);
		g_assert_cmpuint(s->size, >, 0);
		g_assert_cmpint(s->kind, <, FK_FLASH_SPAN_N_KINDS);
		pos += s->size;
	}
	g_assert_cmpuint(pos, ==, total);
}

/* the first span of that label (or of that kind when @label is NULL) */
static const FkFlashSpan *
find_span(GArray *spans, FkFlashSpanKind kind, const gchar *label)
{
	for (guint i = 0; i < spans->len; i++) {
		const FkFlashSpan *s = &g_array_index(spans, FkFlashSpan, i);
		if (s->kind == kind && (label == NULL || strcmp(s->label, label) == 0))
			return s;
	}
	return NULL;
}

static guint
count_active(GArray *spans)
{
	guint n = 0;
	gint region = -1;
	for (guint i = 0; i < spans->len; i++) {
		const FkFlashSpan *s = &g_array_index(spans, FkFlashSpan, i);
		if (s->active && s->region != region)
			n++;
		if (s->active)
			region = s->region;
	}
	return n;
}

static GArray *
layout_of(GBytes *flash, gsize flash_size)
{
	g_autoptr(FkImageDescription) desc =
	    fk_image_info_describe(g_bytes_get_data(flash, NULL), g_bytes_get_size(flash));
	return fk_flash_layout_new(desc, g_bytes_get_data(flash, NULL), g_bytes_get_size(flash), flash_size);
}

/* bootloader, table, nvs, phy_init (erased), factory (active, mostly erased), storage */
static void
test_simulated_esp32(void)
{
	g_autoptr(GBytes) flash = sim_flash("esp32", 4 * MB);
	g_autoptr(GArray) spans = layout_of(flash, 4 * MB);
	g_autoptr(GArray) unsized = layout_of(flash, 0);
	const FkFlashSpan *s;

	assert_covers(spans, 4 * MB);
	/* the first sector, before the bootloader, is erased */
	s = &g_array_index(spans, FkFlashSpan, 0);
	g_assert_cmpint(s->kind, ==, FK_FLASH_SPAN_EMPTY);
	g_assert_cmpuint(s->size, ==, 0x1000);
	s = find_span(spans, FK_FLASH_SPAN_BOOTLOADER, "bootloader");
	g_assert_nonnull(s);
	g_assert_cmpuint(s->offset, ==, 0x1000);
	g_assert_cmpuint(s->size, ==, 0x7000);
	s = find_span(spans, FK_FLASH_SPAN_PARTITION_TABLE, NULL);
	g_assert_nonnull(s);
	g_assert_cmpuint(s->offset, ==, TABLE);
	g_assert_cmpuint(s->size, ==, 0x1000);
	s = find_span(spans, FK_FLASH_SPAN_DATA, "nvs");
	g_assert_nonnull(s);
	g_assert_cmpuint(s->offset, ==, 0x9000);
	g_assert_cmpuint(s->size, ==, 24 * KB);
	g_assert_false(s->erased);
	s = find_span(spans, FK_FLASH_SPAN_DATA, "phy_init");
	g_assert_nonnull(s);
	g_assert_true(s->erased);
	/* the factory app is the one the bootloader starts; its erased tail is its own span */
	s = find_span(spans, FK_FLASH_SPAN_APP, "factory");
	g_assert_nonnull(s);
	g_assert_cmpuint(s->offset, ==, 0x10000);
	g_assert_true(s->active);
	g_assert_false(s->erased);
	g_assert_cmpint(s->partition, ==, 2);
	g_assert_cmpuint(s[1].offset + s[1].size, ==, 0x110000);
	g_assert_cmpint(s[1].kind, ==, FK_FLASH_SPAN_APP);
	g_assert_true(s[1].erased && s[1].active);
	g_assert_cmpint(s[1].region, ==, s->region);
	g_assert_cmpuint(count_active(spans), ==, 1);
	s = find_span(spans, FK_FLASH_SPAN_FILESYSTEM, "storage");
	g_assert_nonnull(s);
	g_assert_cmpuint(s->offset, ==, 0x110000);
	g_assert_null(find_span(spans, FK_FLASH_SPAN_NOT_IN_IMAGE, NULL));
	g_assert_null(find_span(spans, FK_FLASH_SPAN_BEYOND_FLASH, NULL));

	/* no flash size: the image's own */
	assert_covers(unsized, 4 * MB);
	g_assert_cmpuint(unsized->len, ==, spans->len);

	/* without the bytes, the small stretch before the bootloader cannot be told erased */
	{
		g_autoptr(FkImageDescription) desc =
		    fk_image_info_describe(g_bytes_get_data(flash, NULL), g_bytes_get_size(flash));
		g_autoptr(GArray) blind = fk_flash_layout_new(desc, NULL, 0, 4 * MB);
		assert_covers(blind, 4 * MB);
		g_assert_cmpint(g_array_index(blind, FkFlashSpan, 0).kind, ==, FK_FLASH_SPAN_OTHER);
		g_assert_cmpint(g_array_index(blind, FkFlashSpan, 1).kind, ==, FK_FLASH_SPAN_BOOTLOADER);
	}
}

/* the firmware at 0x0 with its IROM code, erased space, and the SDK's four areas at the end */
static void
test_simulated_esp8266(void)
{
	g_autoptr(GBytes) flash = sim_flash("esp8266", 1 * MB);
	g_autoptr(GArray) spans = layout_of(flash, 1 * MB);
	static const gchar *areas[] = {"RF calibration", "PHY init data", "system parameters", "system parameter flag"};
	const FkFlashSpan *s;

	assert_covers(spans, 1 * MB);
	s = &g_array_index(spans, FkFlashSpan, 0);
	g_assert_cmpint(s->kind, ==, FK_FLASH_SPAN_APP);
	g_assert_true(s->active);
	/* the IROM code at 0x10000 belongs to it */
	g_assert_cmpuint(s->size, >, 0x10000);
	g_assert_cmpuint(count_active(spans), ==, 1);
	for (guint i = 0; i < G_N_ELEMENTS(areas); i++) {
		s = find_span(spans, FK_FLASH_SPAN_SYSTEM, areas[i]);
		g_assert_nonnull(s);
		g_assert_cmpuint(s->offset, >=, MB - 0x5000);
	}
	s = find_span(spans, FK_FLASH_SPAN_SYSTEM, "PHY init data");
	g_assert_cmpuint(s->offset, ==, MB - 0x4000);
	g_assert_cmpuint(s->size, ==, 0x1000);
	g_assert_nonnull(find_span(spans, FK_FLASH_SPAN_EMPTY, NULL));
	g_assert_null(find_span(spans, FK_FLASH_SPAN_PARTITION_TABLE, NULL));
}

/* a dump of the first megabyte on a 4 MB chip: the rest is not in the image */
static void
test_image_smaller_than_flash(void)
{
	g_autoptr(GBytes) flash = sim_flash("esp32", 4 * MB);
	g_autoptr(GBytes) head = g_bytes_new_from_bytes(flash, 0, MB);
	g_autoptr(GArray) spans = layout_of(head, 4 * MB);
	const FkFlashSpan *last;
	const FkFlashSpan *storage;

	assert_covers(spans, 4 * MB);
	last = &g_array_index(spans, FkFlashSpan, spans->len - 1);
	g_assert_cmpint(last->kind, ==, FK_FLASH_SPAN_NOT_IN_IMAGE);
	g_assert_cmpuint(last->offset, ==, MB);
	g_assert_cmpuint(last->size, ==, 3 * MB);
	/* the factory partition, cut at the end of the image */
	g_assert_nonnull(find_span(spans, FK_FLASH_SPAN_APP, "factory"));
	storage = find_span(spans, FK_FLASH_SPAN_FILESYSTEM, "storage");
	g_assert_null(storage);
}

/* a 4 MB image for a 1 MB flash: the part past the flash is one span that says so */
static void
test_image_larger_than_flash(void)
{
	g_autoptr(GBytes) flash = sim_flash("esp32", 4 * MB);
	g_autoptr(GArray) spans = layout_of(flash, 1 * MB);
	const FkFlashSpan *last;

	assert_covers(spans, 4 * MB);
	last = &g_array_index(spans, FkFlashSpan, spans->len - 1);
	g_assert_cmpint(last->kind, ==, FK_FLASH_SPAN_BEYOND_FLASH);
	g_assert_cmpuint(last->offset, ==, MB);
	g_assert_cmpuint(last->size, ==, 3 * MB);
	g_assert_cmpint(last->region, ==, -1);
	for (guint i = 0; i + 1 < spans->len; i++)
		g_assert_cmpuint(g_array_index(spans, FkFlashSpan, i).offset, <, MB);
}

static void
put_entry(guint8 *flash, guint i, guint8 type, guint8 subtype, guint32 offset, guint32 size, const gchar *label)
{
	guint8 *e = flash + TABLE + i * ENTRY_LEN;
	memset(e, 0, ENTRY_LEN);
	fk_memwrite_u16le(e, 0x50AA);
	e[2] = type;
	e[3] = subtype;
	fk_memwrite_u32le(e + 4, offset);
	fk_memwrite_u32le(e + 8, size);
	memcpy(e + 12, label, MIN(strlen(label), 16));
}

/* a damaged table: partitions over each other, over the table and the bootloader, past the end */
static void
test_overlapping_partitions(void)
{
	g_autoptr(GBytes) flash = sim_flash("esp32", 4 * MB);
	gsize len = g_bytes_get_size(flash);
	g_autofree guint8 *data = g_memdup2(g_bytes_get_data(flash, NULL), len);
	g_autoptr(FkImageDescription) desc = NULL;
	g_autoptr(GArray) spans = NULL;
	const FkFlashSpan *s;

	put_entry(data, 0, 0x01, 0x02, 0x9000, 0x6000, "nvs");
	put_entry(data, 1, 0x00, 0x00, 0x10000, 0x100000, "factory");
	/* starts inside factory and runs past the end of the flash */
	put_entry(data, 2, 0x01, 0x82, 0x100000, 0x400000, "storage");
	/* lies wholly inside factory */
	put_entry(data, 3, 0x01, 0x01, 0x20000, 0x1000, "phy_init");
	/* over the bootloader and the table */
	put_entry(data, 4, 0x01, 0x02, 0x0, 0xA000, "early");
	memset(data + TABLE + 5 * ENTRY_LEN, 0xFF, ENTRY_LEN * 2); /* no MD5 entry: the end */
	desc = fk_image_info_describe(data, len);
	g_assert_true(desc->table.found);
	g_assert_cmpuint(desc->table.partitions->len, ==, 5);

	spans = fk_flash_layout_new(desc, data, len, 4 * MB);
	assert_covers(spans, 4 * MB);
	/* factory keeps its whole extent (it comes first in the table), and is one region */
	s = find_span(spans, FK_FLASH_SPAN_APP, "factory");
	g_assert_nonnull(s);
	g_assert_cmpuint(s->offset, ==, 0x10000);
	g_assert_true(s->active);
	for (guint i = 0; i < spans->len; i++) {
		const FkFlashSpan *o = &g_array_index(spans, FkFlashSpan, i);
		if (o->offset >= 0x10000 && o->offset < 0x110000)
			g_assert_cmpstr(o->label, ==, "factory");
		/* the bootloader and the table keep their places */
		if (o->offset < 0x9000 && o->offset >= 0x1000)
			g_assert_true(o->kind == FK_FLASH_SPAN_BOOTLOADER || o->kind == FK_FLASH_SPAN_PARTITION_TABLE);
	}
	/* phy_init, inside factory, has no space left */
	g_assert_null(find_span(spans, 0, "phy_init"));
	g_assert_null(find_span(spans, FK_FLASH_SPAN_DATA, "phy_init"));
	/* storage starts where factory ends and stops at the end of the flash */
	s = find_span(spans, FK_FLASH_SPAN_FILESYSTEM, "storage");
	g_assert_nonnull(s);
	g_assert_cmpuint(s->offset, ==, 0x110000);
	/* "early" keeps only the first sector, which nothing else claims */
	s = find_span(spans, FK_FLASH_SPAN_DATA, "early");
	g_assert_nonnull(s);
	g_assert_cmpuint(s->offset, ==, 0);
	g_assert_cmpuint(s->size, ==, 0x1000);
}

/* no partition table: a lone app image, an erased flash, nothing at all */
static void
test_no_table(void)
{
	g_autoptr(GBytes) flash = sim_flash("esp32", 4 * MB);
	g_autoptr(FkImageDescription) whole =
	    fk_image_info_describe(g_bytes_get_data(flash, NULL), g_bytes_get_size(flash));
	const FkImageInfoPartition *factory = &g_array_index(whole->table.partitions, FkImageInfoPartition, 2);
	g_autoptr(GBytes) app = g_bytes_new_from_bytes(flash, factory->offset, factory->image.length);
	g_autoptr(GArray) app_spans = layout_of(app, 0);
	g_autofree guint8 *ff = g_malloc(256 * KB);
	g_autoptr(GBytes) erased = NULL;
	g_autoptr(GArray) erased_spans = NULL;
	g_autoptr(FkImageDescription) nothing = fk_image_info_describe(NULL, 0);
	g_autoptr(GArray) none = fk_flash_layout_new(nothing, NULL, 0, 0);
	g_autoptr(GArray) none_sized = fk_flash_layout_new(nothing, NULL, 0, MB);
	const FkFlashSpan *s;

	assert_covers(app_spans, g_bytes_get_size(app));
	s = &g_array_index(app_spans, FkFlashSpan, 0);
	g_assert_cmpint(s->kind, ==, FK_FLASH_SPAN_APP);
	g_assert_null(find_span(app_spans, FK_FLASH_SPAN_PARTITION_TABLE, NULL));
	g_assert_null(find_span(app_spans, FK_FLASH_SPAN_BOOTLOADER, NULL));

	memset(ff, 0xFF, 256 * KB);
	erased = g_bytes_new(ff, 256 * KB);
	erased_spans = layout_of(erased, 0);
	assert_covers(erased_spans, 256 * KB);
	g_assert_cmpuint(erased_spans->len, ==, 1);
	g_assert_cmpint(g_array_index(erased_spans, FkFlashSpan, 0).kind, ==, FK_FLASH_SPAN_EMPTY);

	g_assert_cmpuint(none->len, ==, 0);
	assert_covers(none_sized, MB);
	g_assert_cmpuint(none_sized->len, ==, 1);
	g_assert_cmpint(g_array_index(none_sized, FkFlashSpan, 0).kind, ==, FK_FLASH_SPAN_NOT_IN_IMAGE);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/fk/flash-layout/simulated-esp32", test_simulated_esp32);
	g_test_add_func("/fk/flash-layout/simulated-esp8266", test_simulated_esp8266);
	g_test_add_func("/fk/flash-layout/image-smaller-than-flash", test_image_smaller_than_flash);
	g_test_add_func("/fk/flash-layout/image-larger-than-flash", test_image_larger_than_flash);
	g_test_add_func("/fk/flash-layout/overlapping-partitions", test_overlapping_partitions);
	g_test_add_func("/fk/flash-layout/no-table", test_no_table);
	return g_test_run();
}
