/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the flash map: the chip's MD5 per region outside a target, and what changed since; the
 * parts of an image the chip does not hold yet; calls the MD5 operation */
#include "config.h"

#include <string.h>

#include "fk-device-private.h"
#include "fk-error.h"
#include "fk-flash-map.h"
#include "fk-op-md5.h"
#include "fk-protocol.h"
#include "fk-recovery.h"

#define FK_FLASH_MAP_REGION (256 * 1024)
/* an image is compared with the chip in pieces of these sizes: a piece that differs is compared
 * again in the next size, down to sectors */
static const gsize fk_flash_diff_sizes[] = {256 * 1024, 16 * 1024, FK_FLASH_SECTOR_SIZE};

void
fk_flash_map_free(FkFlashMap *map)
{
	if (map == NULL)
		return;
	if (map->regions != NULL)
		g_array_unref(map->regions);
	g_free(map);
}

/* one region's MD5, asked again after a link fault like any other operation */
static gboolean
fk_flash_map_md5(FkDevice *self, FkRecovery *rec, const FkFlashRegion *r, guint8 *md5, GCancellable *cancellable,
		 GError **error)
{
	for (;;) {
		g_autoptr(GError) error_local = NULL;
		if (fk_device_flash_md5(self, r->offset, r->size, md5, cancellable, &error_local)) {
			rec->in_a_row = 0;
			return TRUE;
		}
		if (!_fk_device_recover(self, rec, &error_local, cancellable, error))
			return FALSE;
	}
}

static void
fk_flash_map_add_span(GArray *regions, guint64 start, guint64 end, gsize region_size)
{
	while (start < end) {
		guint64 next = MIN((start / region_size + 1) * region_size, end);
		FkFlashRegion r = {.offset = (guint32)start, .size = (guint32)(next - start)};
		g_array_append_val(regions, r);
		start = next;
	}
}

FkFlashMap *
fk_device_map_flash(FkDevice *self,
		    guint32 skip_offset,
		    gsize skip_size,
		    gsize region_size,
		    GCancellable *cancellable,
		    GError **error)
{
	g_autoptr(FkFlashMap) map = g_new0(FkFlashMap, 1);
	FkRecovery rec = {.what = "mapping the flash"};
	guint64 flash = self->flash_size;
	guint64 skip_end = MIN((guint64)skip_offset + skip_size, flash);

	g_return_val_if_fail(region_size > 0, NULL);
	map->regions = g_array_new(FALSE, FALSE, sizeof(FkFlashRegion));
	fk_flash_map_add_span(map->regions, 0, MIN(skip_offset, flash), region_size);
	fk_flash_map_add_span(map->regions, skip_end, flash, region_size);
	for (guint i = 0; i < map->regions->len; i++) {
		FkFlashRegion *r = &g_array_index(map->regions, FkFlashRegion, i);
		if (g_cancellable_set_error_if_cancelled(cancellable, error))
			return NULL;
		if (!fk_flash_map_md5(self, &rec, r, r->md5, cancellable, error)) {
			g_prefix_error(error, "failed to map the flash: ");
			return NULL;
		}
	}
	return g_steal_pointer(&map);
}

gboolean
fk_device_flash_map_compare(FkDevice *self,
			    const FkFlashMap *before,
			    GArray **changed,
			    GCancellable *cancellable,
			    GError **error)
{
	g_autoptr(GArray) result = g_array_new(FALSE, FALSE, sizeof(FkFlashRegion));
	FkRecovery rec = {.what = "checking the flash outside the target"};

	for (guint i = 0; i < before->regions->len; i++) {
		const FkFlashRegion *r = &g_array_index(before->regions, FkFlashRegion, i);
		FkFlashRegion now = *r;
		gboolean same = FALSE;
		/* a digest damaged on the way is not damage on the chip: ask twice */
		for (guint attempt = 0; attempt < 2 && !same; attempt++) {
			if (!fk_flash_map_md5(self, &rec, r, now.md5, cancellable, error)) {
				g_prefix_error(error, "failed to check the flash outside the target: ");
				return FALSE;
			}
			same = memcmp(now.md5, r->md5, 16) == 0;
		}
		if (!same)
			g_array_append_val(result, now);
	}
	*changed = g_steal_pointer(&result);
	return TRUE;
}

/* whether the chip holds @data in @r */
static gboolean
fk_flash_region_holds(FkDevice *self, FkRecovery *rec, const FkFlashRegion *r, const guint8 *data, gboolean *holds,
		      GCancellable *cancellable, GError **error)
{
	guint8 md5_chip[16], md5_image[16];
	if (!fk_flash_map_md5(self, rec, r, md5_chip, cancellable, error))
		return FALSE;
	_fk_md5_of(data, r->size, md5_image);
	*holds = memcmp(md5_chip, md5_image, 16) == 0;
	return TRUE;
}

/* appends @r to @runs, joined to the last run when they touch */
static void
fk_flash_runs_add(GArray *runs, const FkFlashRegion *r)
{
	if (runs->len > 0) {
		FkFlashRegion *last = &g_array_index(runs, FkFlashRegion, runs->len - 1);
		if ((guint64)last->offset + last->size == r->offset) {
			last->size += r->size;
			return;
		}
	}
	g_array_append_val(runs, *r);
}

typedef struct {
	FkDevice *self;
	FkRecovery rec;
	guint32 offset; /* of the image */
	const guint8 *data;
	gsize len;
	FkProgress *progress;
	GArray *runs;
} FkFlashDiff;

/* compares each of @pieces (one level's pieces of a parent that differs, or the whole image's
 * at the top) with the image, and goes down a level into those that differ; where more than
 * half of a parent's pieces differ, the parent is written whole (finding its sectors would cost
 * more round trips than it saves). Adds to diff->runs. */
static gboolean
fk_flash_diff_level(FkFlashDiff *diff, GArray *pieces, guint level, GCancellable *cancellable, GError **error)
{
	g_autoptr(GArray) differ = g_array_new(FALSE, FALSE, sizeof(FkFlashRegion));
	gboolean last = level + 1 >= G_N_ELEMENTS(fk_flash_diff_sizes);

	for (guint i = 0; i < pieces->len; i++) {
		const FkFlashRegion *r = &g_array_index(pieces, FkFlashRegion, i);
		gboolean holds = FALSE;
		if (g_cancellable_set_error_if_cancelled(cancellable, error))
			return FALSE;
		if (!fk_flash_region_holds(diff->self, &diff->rec, r, diff->data + (r->offset - diff->offset), &holds,
					   cancellable, error))
			return FALSE;
		if (!holds)
			g_array_append_val(differ, *r);
		if (level == 0 && diff->progress != NULL)
			fk_progress_set_done(diff->progress, (gsize)(r->offset - diff->offset) + r->size, diff->len);
	}
	/* below the top, a parent most of whose pieces differ is written whole by the caller */
	if (level > 0 && differ->len * 2 > pieces->len)
		return TRUE;
	for (guint i = 0; i < differ->len; i++) {
		const FkFlashRegion *piece = &g_array_index(differ, FkFlashRegion, i);
		g_autoptr(GArray) sub = g_array_new(FALSE, FALSE, sizeof(FkFlashRegion));
		guint runs_before = diff->runs->len;
		if (!last) {
			fk_flash_map_add_span(sub, piece->offset, (guint64)piece->offset + piece->size,
					      fk_flash_diff_sizes[level + 1]);
			if (!fk_flash_diff_level(diff, sub, level + 1, cancellable, error))
				return FALSE;
		}
		/* a sector, a piece most of whose parts differ, or one whose digest said it differs
		 * while no part of it does (a digest damaged on the way, to be safe): whole */
		if (last || diff->runs->len == runs_before)
			fk_flash_runs_add(diff->runs, piece);
	}
	return TRUE;
}

gboolean
fk_device_flash_changed_runs(FkDevice *self,
			     guint32 offset,
			     const guint8 *data,
			     gsize len,
			     FkProgress *progress,
			     GArray **runs,
			     GCancellable *cancellable,
			     GError **error)
{
	g_autoptr(GArray) pieces = g_array_new(FALSE, FALSE, sizeof(FkFlashRegion));
	g_autoptr(GArray) result = g_array_new(FALSE, FALSE, sizeof(FkFlashRegion));
	FkFlashDiff diff = {.self = self,
			    .rec = {.what = "comparing the flash with the image"},
			    .offset = offset,
			    .data = data,
			    .len = len,
			    .progress = progress,
			    .runs = result};

	fk_flash_map_add_span(pieces, offset, (guint64)offset + len, fk_flash_diff_sizes[0]);
	if (!fk_flash_diff_level(&diff, pieces, 0, cancellable, error)) {
		g_prefix_error(error, "failed to compare the flash with the image: ");
		return FALSE;
	}
	*runs = g_steal_pointer(&result);
	return TRUE;
}

gchar *
fk_flash_regions_to_string(GArray *regions)
{
	g_autoptr(GString) str = g_string_new(NULL);
	for (guint i = 0; i < regions->len; i++) {
		const FkFlashRegion *r = &g_array_index(regions, FkFlashRegion, i);
		guint64 end = (guint64)r->offset + r->size;
		/* regions that touch read as one range */
		while (i + 1 < regions->len && g_array_index(regions, FkFlashRegion, i + 1).offset == end) {
			i++;
			end += g_array_index(regions, FkFlashRegion, i).size;
		}
		g_string_append_printf(str, "%s0x%x-0x%" G_GINT64_MODIFIER "x", str->len > 0 ? ", " : "", r->offset, end);
	}
	return g_string_free(g_steal_pointer(&str), FALSE);
}

FkFlashMap *
_fk_device_guard_begin(FkDevice *self, guint32 offset, gsize size, GCancellable *cancellable, GError **error)
{
	/* what the write or erase may touch: whole sectors */
	guint32 start = offset / FK_FLASH_SECTOR_SIZE * FK_FLASH_SECTOR_SIZE;
	guint64 end = ((guint64)offset + size + FK_FLASH_SECTOR_SIZE - 1) / FK_FLASH_SECTOR_SIZE * FK_FLASH_SECTOR_SIZE;

	if (!fk_device_can_md5(self) || self->flash_size == 0) {
		fk_loader_log(self->loader, "the flash outside 0x%x-0x%" G_GINT64_MODIFIER "x cannot be checked "
			      "(%s)", start, end, self->flash_size == 0 ? "its size is unknown" : "no MD5 on this loader");
		return g_new0(FkFlashMap, 1);
	}
	return fk_device_map_flash(self, start, end - start, FK_FLASH_MAP_REGION, cancellable, error);
}

gboolean
_fk_device_guard_end(FkDevice *self, FkFlashMap *before, const gchar *what, GCancellable *cancellable, GError **error)
{
	g_autoptr(GArray) changed = NULL;
	g_autofree gchar *where = NULL;

	if (before->regions == NULL)
		return TRUE;
	if (!fk_device_flash_map_compare(self, before, &changed, cancellable, error))
		return FALSE;
	if (changed->len == 0)
		return TRUE;
	where = fk_flash_regions_to_string(changed);
	g_set_error(error,
		    FK_ERROR,
		    FK_ERROR_OUTSIDE_CHANGED,
		    "The %s changed the flash outside its target, at %s: nothing there should have "
		    "changed, and the board may not start. Put those ranges back from a backup of this "
		    "chip (the link may have damaged a command on the way)",
		    what,
		    where);
	return FALSE;
}
