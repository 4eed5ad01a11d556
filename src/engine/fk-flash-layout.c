/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the picture of a dump as spans of the flash: which part is the bootloader, the table, each
 * partition, the ESP8266's areas, what is erased and what lies past either end; calls fk-image-info */
#include "config.h"

#include <string.h>

#include "fk-flash-layout.h"

#define FK_LAYOUT_SECTOR 0x1000u
#define FK_LAYOUT_TABLE_LEN 0x1000u
#define FK_LAYOUT_RBOOT_CONFIG 0x1000u

/* partition subtypes that hold a filesystem */
#define FK_SUBTYPE_ESPHTTPD 0x80
#define FK_SUBTYPE_LITTLEFS 0x83

static const gchar *fk_sdk_area_names[FK_SDK_AREA_N] = {
    [FK_SDK_AREA_RF_CAL] = "RF calibration",
    [FK_SDK_AREA_PHY_INIT] = "PHY init data",
    [FK_SDK_AREA_SYSTEM_PARAMS] = "system parameters",
    [FK_SDK_AREA_PARAM_FLAG] = "system parameter flag",
};

const gchar *
fk_flash_span_kind_to_string(FkFlashSpanKind kind)
{
	static const gchar *names[FK_FLASH_SPAN_N_KINDS] = {
	    [FK_FLASH_SPAN_BOOTLOADER] = "bootloader",
	    [FK_FLASH_SPAN_PARTITION_TABLE] = "partition table",
	    [FK_FLASH_SPAN_APP] = "app",
	    [FK_FLASH_SPAN_DATA] = "data",
	    [FK_FLASH_SPAN_FILESYSTEM] = "filesystem",
	    [FK_FLASH_SPAN_SYSTEM] = "system",
	    [FK_FLASH_SPAN_EMPTY] = "empty",
	    [FK_FLASH_SPAN_OTHER] = "other",
	    [FK_FLASH_SPAN_NOT_IN_IMAGE] = "not in the image",
	    [FK_FLASH_SPAN_BEYOND_FLASH] = "beyond the flash",
	};
	if ((guint)kind >= FK_FLASH_SPAN_N_KINDS)
		return "unknown";
	return names[kind];
}

static gsize
fk_round_up(gsize value)
{
	return (value + FK_LAYOUT_SECTOR - 1) / FK_LAYOUT_SECTOR * FK_LAYOUT_SECTOR;
}

static gboolean
fk_all_ff(const guint8 *data, gsize len)
{
	for (gsize i = 0; i < len; i++) {
		if (data[i] != 0xFF)
			return FALSE;
	}
	return len > 0;
}

/* ---- claims: what the description says a stretch is, highest priority first ---- */

static void
fk_claim(GArray *claims,
	 gsize offset,
	 gsize end,
	 FkFlashSpanKind kind,
	 const gchar *label,
	 gint partition,
	 gboolean active,
	 gboolean erased)
{
	FkFlashSpan span = {.offset = offset, .kind = kind, .partition = partition, .active = active, .erased = erased};
	if (end <= offset)
		return;
	span.size = end - offset;
	span.region = (gint)claims->len;
	g_strlcpy(span.label, label != NULL ? label : "", sizeof(span.label));
	g_array_append_val(claims, span);
}

/* where an image that starts at @offset ends: its own length when it is whole, otherwise the
 * next erased area (or the end of the dump) */
static gsize
fk_image_end(const FkImageDescription *desc, const FkImageInfoImage *img)
{
	if (img->complete && img->length > 0)
		return fk_round_up((gsize)img->offset + img->length);
	for (guint i = 0; i < desc->erased_regions->len; i++) {
		const FkImageInfoRegion *r = &g_array_index(desc->erased_regions, FkImageInfoRegion, i);
		if (r->offset > img->offset)
			return r->offset;
	}
	return desc->size;
}

static FkFlashSpanKind
fk_partition_kind(const FkImageInfoPartition *p)
{
	if (p->type == FK_PARTITION_TYPE_APP)
		return FK_FLASH_SPAN_APP;
	if (p->littlefs)
		return FK_FLASH_SPAN_FILESYSTEM;
	if (p->type == FK_PARTITION_TYPE_DATA && p->subtype >= FK_SUBTYPE_ESPHTTPD &&
	    p->subtype <= FK_SUBTYPE_LITTLEFS)
		return FK_FLASH_SPAN_FILESYSTEM;
	/* nvs, phy, otadata, coredump, nvs_keys, efuse and the types ESP-IDF leaves to projects */
	return FK_FLASH_SPAN_DATA;
}

static void
fk_claims_partitioned(const FkImageDescription *desc, GArray *claims)
{
	const FkImageInfoTable *t = &desc->table;
	if (desc->boot.found) {
		/* the bootloader's space runs up to the table, which ESP-IDF places right after it */
		gsize end = fk_image_end(desc, &desc->boot);
		if (t->found && t->offset > desc->boot.offset)
			end = t->offset;
		fk_claim(claims, desc->boot.offset, end, FK_FLASH_SPAN_BOOTLOADER, "bootloader", -1, FALSE, FALSE);
	}
	if (!t->found)
		return;
	fk_claim(claims, t->offset, (gsize)t->offset + FK_LAYOUT_TABLE_LEN, FK_FLASH_SPAN_PARTITION_TABLE,
		 "partition table", -1, FALSE, FALSE);
	/* in table order: where a damaged table's partitions overlap, the earlier entry keeps the
	 * shared part, as the bootloader reads the table from its start */
	for (guint i = 0; i < t->partitions->len; i++) {
		const FkImageInfoPartition *p = &g_array_index(t->partitions, FkImageInfoPartition, i);
		fk_claim(claims, p->offset, (gsize)p->offset + p->size, fk_partition_kind(p), p->label, (gint)i,
			 t->boot_app == (gint)i, p->erased);
	}
}

/* the end of the NONOS firmware's IROM code: the next erased area or the SDK's areas */
static gsize
fk_irom_end(const FkImageDescription *desc)
{
	const FkImageInfoEsp8266 *e = &desc->esp8266;
	gsize end = desc->size;
	for (guint i = 0; i < desc->erased_regions->len; i++) {
		const FkImageInfoRegion *r = &g_array_index(desc->erased_regions, FkImageInfoRegion, i);
		if (r->offset > e->irom_offset) {
			end = r->offset;
			break;
		}
	}
	for (guint i = 0; i < FK_SDK_AREA_N; i++) {
		if (e->sdk[i].inside && e->sdk[i].offset > e->irom_offset)
			end = MIN(end, (gsize)e->sdk[i].offset);
	}
	return end;
}

static void
fk_claims_esp8266(const FkImageDescription *desc, GArray *claims)
{
	const FkImageInfoEsp8266 *e = &desc->esp8266;
	/* the SDK's areas first: they are where the SDK puts them, whatever else claims the space */
	for (guint i = 0; i < FK_SDK_AREA_N; i++) {
		const FkImageInfoSdkArea *area = &e->sdk[i];
		if (area->inside)
			fk_claim(claims, area->offset, (gsize)area->offset + area->length, FK_FLASH_SPAN_SYSTEM,
				 fk_sdk_area_names[i], -1, FALSE, area->erased);
	}
	switch (e->layout) {
	case FK_ESP8266_LAYOUT_NONOS: {
		/* one firmware: the image at 0x0 and, from irom_offset, its IROM code */
		gsize end = fk_image_end(desc, &e->app);
		if (e->irom_offset != 0)
			end = MAX(end, fk_irom_end(desc));
		fk_claim(claims, 0, end, FK_FLASH_SPAN_APP, "app", -1, TRUE, FALSE);
		break;
	}
	case FK_ESP8266_LAYOUT_ARDUINO:
		fk_claim(claims, 0, e->app.offset, FK_FLASH_SPAN_BOOTLOADER, "bootloader", -1, FALSE, FALSE);
		fk_claim(claims, e->app.offset, fk_image_end(desc, &e->app), FK_FLASH_SPAN_APP, "app", -1, TRUE, FALSE);
		break;
	case FK_ESP8266_LAYOUT_ESPRESSIF_OTA:
		/* which of user1 and user2 runs is in the system parameters, not read here */
		fk_claim(claims, 0, e->app.offset, FK_FLASH_SPAN_BOOTLOADER, "bootloader", -1, FALSE, FALSE);
		fk_claim(claims, e->app.offset, fk_image_end(desc, &e->app), FK_FLASH_SPAN_APP, "user1", -1, FALSE,
			 FALSE);
		break;
	case FK_ESP8266_LAYOUT_RBOOT:
		fk_claim(claims, 0, FK_LAYOUT_RBOOT_CONFIG, FK_FLASH_SPAN_BOOTLOADER, "bootloader", -1, FALSE, FALSE);
		fk_claim(claims, FK_LAYOUT_RBOOT_CONFIG, FK_LAYOUT_RBOOT_CONFIG + FK_LAYOUT_SECTOR, FK_FLASH_SPAN_DATA,
			 "rBoot config", -1, FALSE, FALSE);
		if (e->app.found)
			fk_claim(claims, e->app.offset, fk_image_end(desc, &e->app), FK_FLASH_SPAN_APP, "app", -1,
				 e->rboot_rom >= 0, FALSE);
		break;
	case FK_ESP8266_LAYOUT_UNKNOWN:
	default:
		if (desc->boot.found)
			fk_claim(claims, desc->boot.offset, fk_image_end(desc, &desc->boot), FK_FLASH_SPAN_APP, "app",
				 -1, FALSE, FALSE);
		break;
	}
}

/* ---- painting the claims onto the flash ---- */

static gint
fk_span_cmp(gconstpointer a, gconstpointer b)
{
	const FkFlashSpan *sa = a, *sb = b;
	return sa->offset < sb->offset ? -1 : sa->offset > sb->offset ? 1 : 0;
}

/* adds the parts of @claim that no span in @placed covers yet (@placed sorted by offset) */
static void
fk_paint(GArray *placed, const FkFlashSpan *claim, gsize limit)
{
	gsize cursor = claim->offset;
	gsize end = MIN(claim->offset + claim->size, limit);
	g_autoptr(GArray) pieces = g_array_new(FALSE, FALSE, sizeof(FkFlashSpan));
	if (claim->offset >= limit || claim->size > G_MAXSIZE - claim->offset)
		return;
	for (guint i = 0; i < placed->len && cursor < end; i++) {
		const FkFlashSpan *p = &g_array_index(placed, FkFlashSpan, i);
		if (p->offset + p->size <= cursor)
			continue;
		if (p->offset >= end)
			break;
		if (p->offset > cursor) {
			FkFlashSpan piece = *claim;
			piece.offset = cursor;
			piece.size = p->offset - cursor;
			g_array_append_val(pieces, piece);
		}
		cursor = MAX(cursor, p->offset + p->size);
	}
	if (cursor < end) {
		FkFlashSpan piece = *claim;
		piece.offset = cursor;
		piece.size = end - cursor;
		g_array_append_val(pieces, piece);
	}
	g_array_append_vals(placed, pieces->data, pieces->len);
	g_array_sort(placed, fk_span_cmp);
}

/* appends [@from, @to) to @out cut where the erased areas begin and end: the erased parts
 * get @erased_kind (and the erased flag), the rest @span's kind */
static void
fk_split_erased(GArray *out, const FkImageDescription *desc, const FkFlashSpan *span, gsize from, gsize to,
		FkFlashSpanKind erased_kind)
{
	gsize cursor = from;
	for (guint i = 0; i < desc->erased_regions->len && cursor < to; i++) {
		const FkImageInfoRegion *r = &g_array_index(desc->erased_regions, FkImageInfoRegion, i);
		gsize r_start = MAX((gsize)r->offset, cursor);
		gsize r_end = MIN((gsize)r->offset + r->length, to);
		if (r_end <= r_start)
			continue;
		if (r_start > cursor) {
			FkFlashSpan piece = *span;
			piece.offset = cursor;
			piece.size = r_start - cursor;
			g_array_append_val(out, piece);
		}
		{
			FkFlashSpan piece = *span;
			piece.offset = r_start;
			piece.size = r_end - r_start;
			piece.kind = erased_kind;
			piece.erased = TRUE;
			g_array_append_val(out, piece);
		}
		cursor = r_end;
	}
	if (cursor < to) {
		FkFlashSpan piece = *span;
		piece.offset = cursor;
		piece.size = to - cursor;
		g_array_append_val(out, piece);
	}
}

static gboolean
fk_span_same(const FkFlashSpan *a, const FkFlashSpan *b)
{
	return a->kind == b->kind && a->region == b->region && a->partition == b->partition &&
	       a->active == b->active && a->erased == b->erased && strcmp(a->label, b->label) == 0;
}

/* appends the stretch [@from, @to) that nothing claims: erased or other data, by the erased
 * areas of the description and, between them, by the sectors of @data when there is any */
static void
fk_gap(GArray *out, const FkImageDescription *desc, const guint8 *data, gsize from, gsize to)
{
	FkFlashSpan gap = {.kind = FK_FLASH_SPAN_OTHER, .partition = -1, .region = -1};
	g_autoptr(GArray) coarse = g_array_new(FALSE, FALSE, sizeof(FkFlashSpan));
	fk_split_erased(coarse, desc, &gap, from, to, FK_FLASH_SPAN_EMPTY);
	for (guint i = 0; i < coarse->len; i++) {
		const FkFlashSpan *c = &g_array_index(coarse, FkFlashSpan, i);
		if (c->erased || data == NULL || c->offset >= desc->size) {
			g_array_append_val(out, *c);
			continue;
		}
		for (gsize pos = c->offset; pos < c->offset + c->size;) {
			gsize end = MIN(fk_round_up(pos + 1), c->offset + c->size);
			FkFlashSpan piece = *c;
			piece.offset = pos;
			piece.size = end - pos;
			if (end <= desc->size && fk_all_ff(data + pos, end - pos)) {
				piece.kind = FK_FLASH_SPAN_EMPTY;
				piece.erased = TRUE;
			}
			g_array_append_val(out, piece);
			pos = end;
		}
	}
}

GArray *
fk_flash_layout_new(const FkImageDescription *desc, const guint8 *data, gsize len, gsize flash_size)
{
	g_autoptr(GArray) claims = g_array_new(FALSE, FALSE, sizeof(FkFlashSpan));
	g_autoptr(GArray) placed = g_array_new(FALSE, FALSE, sizeof(FkFlashSpan));
	GArray *spans = g_array_new(FALSE, FALSE, sizeof(FkFlashSpan));
	gsize image = desc->size;
	gsize total = MAX(flash_size, image);
	gsize cursor = 0;

	/* the bytes must be the ones described, or they are not used */
	if (len != desc->size)
		data = NULL;
	/* past either end first: they override whatever the dump says is there */
	if (flash_size > image)
		fk_claim(claims, image, flash_size, FK_FLASH_SPAN_NOT_IN_IMAGE, NULL, -1, FALSE, FALSE);
	if (flash_size != 0 && image > flash_size)
		fk_claim(claims, flash_size, image, FK_FLASH_SPAN_BEYOND_FLASH, NULL, -1, FALSE, FALSE);
	switch (desc->kind) {
	case FK_DUMP_PARTITIONED:
		fk_claims_partitioned(desc, claims);
		break;
	case FK_DUMP_ESP8266:
		fk_claims_esp8266(desc, claims);
		break;
	case FK_DUMP_APP_IMAGE:
		fk_claim(claims, desc->boot.offset, fk_image_end(desc, &desc->boot), FK_FLASH_SPAN_APP, "app", -1,
			 FALSE, FALSE);
		break;
	case FK_DUMP_BOOT_IMAGE:
		fk_claim(claims, desc->boot.offset, fk_image_end(desc, &desc->boot), FK_FLASH_SPAN_BOOTLOADER,
			 "bootloader", -1, FALSE, FALSE);
		break;
	case FK_DUMP_ERASED:
	case FK_DUMP_UNKNOWN:
	default:
		break;
	}
	for (guint i = 0; i < claims->len; i++) {
		FkFlashSpan *claim = &g_array_index(claims, FkFlashSpan, i);
		/* the past-the-end kinds are not regions of their own in a legend */
		if (claim->kind == FK_FLASH_SPAN_NOT_IN_IMAGE || claim->kind == FK_FLASH_SPAN_BEYOND_FLASH)
			claim->region = -1;
		fk_paint(placed, claim, total);
	}

	/* the gaps between them, and the erased areas inside the claimed spans */
	for (guint i = 0; i <= placed->len; i++) {
		const FkFlashSpan *p = i < placed->len ? &g_array_index(placed, FkFlashSpan, i) : NULL;
		gsize next = p != NULL ? p->offset : total;
		if (next > cursor)
			fk_gap(spans, desc, data, cursor, next);
		if (p == NULL)
			break;
		if (p->erased || p->kind == FK_FLASH_SPAN_NOT_IN_IMAGE || p->kind == FK_FLASH_SPAN_BEYOND_FLASH)
			g_array_append_val(spans, *p);
		else
			fk_split_erased(spans, desc, p, p->offset, p->offset + p->size, p->kind);
		cursor = p->offset + p->size;
	}

	/* one span for each stretch a person would see as one */
	for (guint i = 1; i < spans->len;) {
		FkFlashSpan *prev = &g_array_index(spans, FkFlashSpan, i - 1);
		const FkFlashSpan *cur = &g_array_index(spans, FkFlashSpan, i);
		if (fk_span_same(prev, cur) && prev->offset + prev->size == cur->offset) {
			prev->size += cur->size;
			g_array_remove_index(spans, i);
		} else {
			i++;
		}
	}
	return spans;
}
