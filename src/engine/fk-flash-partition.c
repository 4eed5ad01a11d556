/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns restoring one partition of a whole-flash backup: the dump's table and the partition
 * checked, the chip's own table compared with the dump's, then the partition alone written and
 * verified; calls fk-image-info, fk-flash (loading) and the FkDevice facade */
#include "config.h"

#include <string.h>

#include "fk-error.h"
#include "fk-flash-partition.h"
#include "fk-flash.h"
#include "fk-protocol.h"

/* "nvs, phy_init, factory, storage", in table order */
static gchar *
fk_flash_partition_labels(const FkImageInfoTable *table)
{
	GString *str = g_string_new(NULL);
	for (guint i = 0; i < table->partitions->len; i++) {
		const FkImageInfoPartition *p = &g_array_index(table->partitions, FkImageInfoPartition, i);
		g_string_append_printf(str, "%s%s", i > 0 ? ", " : "", p->label);
	}
	return g_string_free(str, FALSE);
}

static const FkImageInfoPartition *
fk_flash_partition_by_label(const FkImageInfoTable *table, const gchar *label)
{
	for (guint i = 0; i < table->partitions->len; i++) {
		const FkImageInfoPartition *p = &g_array_index(table->partitions, FkImageInfoPartition, i);
		if (g_strcmp0(p->label, label) == 0)
			return p;
	}
	return NULL;
}

/* "data/nvs, 24 KB at 0x9000" */
static gchar *
fk_flash_partition_describe(const FkImageInfoPartition *p)
{
	const gchar *subtype = fk_partition_subtype_to_string(p->type, p->subtype);
	g_autofree gchar *size = fk_format_size(p->size);
	g_autofree gchar *type = p->type == FK_PARTITION_TYPE_APP	 ? g_strdup("app")
				 : p->type == FK_PARTITION_TYPE_DATA ? g_strdup("data")
								     : g_strdup_printf("0x%02x", p->type);
	g_autofree gchar *sub = subtype != NULL ? g_strdup(subtype) : g_strdup_printf("0x%02x", p->subtype);
	return g_strdup_printf("%s/%s, %s at 0x%x", type, sub, size, p->offset);
}

static gboolean
fk_flash_partition_same(const FkImageInfoPartition *a, const FkImageInfoPartition *b)
{
	return g_strcmp0(a->label, b->label) == 0 && a->type == b->type && a->subtype == b->subtype &&
	       a->offset == b->offset && a->size == b->size && a->flags == b->flags;
}

const FkImageInfoPartition *
fk_flash_partition_find(const FkImageDescription *desc, const gchar *name, const gchar *label, GError **error)
{
	const FkImageInfoTable *table = &desc->table;
	const FkImageInfoPartition *p;

	if (!table->found) {
		g_set_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
			    "%s has no partition table, so it has no partition “%s”: only a backup of a whole "
			    "ESP32-family flash made with ESP-IDF or Arduino has partitions; restore the whole "
			    "backup instead (nothing was written)",
			    name, label);
		return NULL;
	}
	if (table->md5_present && !table->md5_ok) {
		g_set_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
			    "The partition table in %s (at 0x%x) is damaged: its MD5 entry does not match its "
			    "entries, so where “%s” lies cannot be trusted; use another backup (nothing was "
			    "written)",
			    name, table->offset, label);
		return NULL;
	}
	p = fk_flash_partition_by_label(table, label);
	if (p == NULL) {
		g_autofree gchar *labels = fk_flash_partition_labels(table);
		g_set_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
			    "%s has no partition “%s”; its partitions are: %s (nothing was written)", name, label,
			    table->partitions->len > 0 ? labels : "none");
		return NULL;
	}
	/* the ROM loader erases whole sectors: a partition that shares one with a neighbour
	 * would take part of it along */
	if (p->offset % FK_FLASH_SECTOR_SIZE != 0 || p->size % FK_FLASH_SECTOR_SIZE != 0 || p->size == 0) {
		g_autofree gchar *what = fk_flash_partition_describe(p);
		g_set_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
			    "The partition “%s” in %s (%s) does not start and end on 4 KB sector boundaries: "
			    "writing it alone would erase part of its neighbours; restore the whole backup "
			    "instead (nothing was written)",
			    label, name, what);
		return NULL;
	}
	if (!p->inside) {
		g_autofree gchar *what = fk_flash_partition_describe(p);
		g_set_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
			    "The partition “%s” (%s) is not entirely inside %s, which ends at 0x%" G_GSIZE_MODIFIER
			    "x: the backup does not cover it; use a backup of the whole flash (nothing was "
			    "written)",
			    label, what, name, desc->size);
		return NULL;
	}
	return p;
}

/* the first difference between the dump's table and the chip's, for a message */
static gchar *
fk_flash_partition_table_difference(const FkImageInfoTable *dump, const FkImageInfoTable *chip)
{
	for (guint i = 0; i < dump->partitions->len; i++) {
		const FkImageInfoPartition *d = &g_array_index(dump->partitions, FkImageInfoPartition, i);
		const FkImageInfoPartition *c = fk_flash_partition_by_label(chip, d->label);
		if (c == NULL)
			return g_strdup_printf("the chip has no partition “%s”", d->label);
		if (!fk_flash_partition_same(d, c)) {
			g_autofree gchar *on_chip = fk_flash_partition_describe(c);
			g_autofree gchar *in_dump = fk_flash_partition_describe(d);
			if (c->flags != d->flags && c->offset == d->offset && c->size == d->size)
				return g_strdup_printf("“%s” has flags 0x%x on the chip, 0x%x in the backup",
						       d->label, c->flags, d->flags);
			return g_strdup_printf("“%s” is %s on the chip, %s in the backup", d->label, on_chip, in_dump);
		}
	}
	for (guint i = 0; i < chip->partitions->len; i++) {
		const FkImageInfoPartition *c = &g_array_index(chip->partitions, FkImageInfoPartition, i);
		if (fk_flash_partition_by_label(dump, c->label) == NULL)
			return g_strdup_printf("the chip has a partition “%s” that the backup has not", c->label);
	}
	return g_strdup("the same partitions are listed in another order");
}

/* the chip's table, read where the dump has its own, described as a dump that holds nothing else */
static FkImageDescription *
fk_flash_partition_read_chip_table(FkDevice *device, guint32 offset, GCancellable *cancellable, GError **error)
{
	g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable();
	g_autofree guint8 *buf = NULL;
	gsize len = (gsize)offset + FK_PARTITION_TABLE_LEN;

	if (!fk_device_can_read(device)) {
		g_set_error(error, FK_ERROR, FK_ERROR_UNSUPPORTED,
			    "The %s's loader cannot read its flash, so its partition table cannot be compared "
			    "with the backup's: connect with the flasher stub, or restore the whole backup "
			    "(nothing was written)",
			    fk_device_get_chip(device)->name);
		return NULL;
	}
	if (!fk_device_read_flash(device, offset, FK_PARTITION_TABLE_LEN, out, NULL, NULL, cancellable, error) ||
	    !g_output_stream_close(out, cancellable, error)) {
		g_prefix_error(error, "Cannot read the chip's partition table at 0x%x (nothing was written): ", offset);
		return NULL;
	}
	/* erased flash before it: the table is found at @offset, where the dump has it, or not at
	 * all */
	buf = g_malloc(len);
	memset(buf, 0xFF, offset);
	memcpy(buf + offset, g_memory_output_stream_get_data(G_MEMORY_OUTPUT_STREAM(out)), FK_PARTITION_TABLE_LEN);
	return fk_image_info_describe(buf, len);
}

/* the chip must hold the partition where the dump does, in the same layout: a slice of one
 * flash written into a flash laid out otherwise lands in the middle of something else */
static gboolean
fk_flash_partition_check_chip(FkDevice *device,
			      const FkImageDescription *desc,
			      const gchar *name,
			      const FkImageInfoPartition *p,
			      GCancellable *cancellable,
			      GError **error)
{
	const FkChipInfo *chip = fk_device_get_chip(device);
	gsize flash_size = fk_device_get_flash_size(device);
	g_autoptr(FkImageDescription) on_chip = NULL;
	const FkImageInfoPartition *c;

	if (desc->chip != NULL && desc->chip->family != chip->family) {
		g_set_error(error, FK_ERROR, FK_ERROR_UNSUPPORTED_CHIP,
			    "%s is a backup of an %s, and this chip is an %s: its partitions are not this "
			    "chip's (nothing was written)",
			    name, desc->chip->name, chip->name);
		return FALSE;
	}
	if (flash_size > 0 && (guint64)p->offset + p->size > flash_size) {
		g_autofree gchar *what = fk_flash_partition_describe(p);
		g_autofree gchar *fl = fk_format_size(flash_size);
		g_set_error(error, FK_ERROR, FK_ERROR_SIZE_MISMATCH,
			    "The partition “%s” (%s) does not fit in this chip's %s flash: %s is a backup of a "
			    "larger flash (nothing was written)",
			    p->label, what, fl, name);
		return FALSE;
	}
	on_chip = fk_flash_partition_read_chip_table(device, desc->table.offset, cancellable, error);
	if (on_chip == NULL)
		return FALSE;
	if (!on_chip->table.found || on_chip->table.offset != desc->table.offset) {
		g_set_error(error, FK_ERROR, FK_ERROR_LAYOUT_MISMATCH,
			    "The chip has no partition table at 0x%x, where %s has one: the chip does not run "
			    "the firmware this backup was made from; restore the whole backup instead (nothing "
			    "was written)",
			    desc->table.offset, name);
		return FALSE;
	}
	c = fk_flash_partition_by_label(&on_chip->table, p->label);
	if (c == NULL) {
		g_autofree gchar *in_dump = fk_flash_partition_describe(p);
		g_set_error(error, FK_ERROR, FK_ERROR_LAYOUT_MISMATCH,
			    "The chip's partition table has no partition “%s”, and %s has it as %s: the chip "
			    "runs a firmware laid out differently; restore the whole backup instead (nothing "
			    "was written)",
			    p->label, name, in_dump);
		return FALSE;
	}
	if (c->offset != p->offset || c->size != p->size || c->type != p->type || c->subtype != p->subtype) {
		g_autofree gchar *in_dump = fk_flash_partition_describe(p);
		g_autofree gchar *there = fk_flash_partition_describe(c);
		g_set_error(error, FK_ERROR, FK_ERROR_LAYOUT_MISMATCH,
			    "The chip's partition table has “%s” as %s, and %s has it as %s: the chip is laid "
			    "out differently, and the partition would land on something else; restore the "
			    "whole backup instead (nothing was written)",
			    p->label, there, name, in_dump);
		return FALSE;
	}
	{
		const GArray *a = desc->table.partitions;
		const GArray *b = on_chip->table.partitions;
		gboolean same = a->len == b->len;
		for (guint i = 0; same && i < a->len; i++)
			same = fk_flash_partition_same(&g_array_index(a, FkImageInfoPartition, i),
						       &g_array_index(b, FkImageInfoPartition, i));
		if (!same) {
			g_autofree gchar *diff = fk_flash_partition_table_difference(&desc->table, &on_chip->table);
			g_set_error(error, FK_ERROR, FK_ERROR_LAYOUT_MISMATCH,
				    "The chip's partition table differs from the one in %s (%s): the chip runs a "
				    "firmware laid out differently, and “%s” from this backup may not belong with "
				    "it; restore the whole backup instead (nothing was written)",
				    name, diff, p->label);
			return FALSE;
		}
	}
	return TRUE;
}

gboolean
fk_flash_restore_partition_bytes(FkDevice *device,
				 GBytes *dump,
				 const gchar *name,
				 const gchar *label,
				 FkWriteFlags flags,
				 FkProgress *progress,
				 GCancellable *cancellable,
				 GError **error)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(dump, &len);
	g_autoptr(FkImageDescription) desc = fk_image_info_describe(data, len);
	g_autoptr(GBytes) slice = NULL;
	const FkImageInfoPartition *p;

	g_return_val_if_fail(FK_IS_DEVICE(device), FALSE);
	g_return_val_if_fail(label != NULL, FALSE);

	if (g_cancellable_set_error_if_cancelled(cancellable, error))
		return FALSE;
	p = fk_flash_partition_find(desc, name, label, error);
	if (p == NULL)
		return FALSE;
	if (!fk_flash_partition_check_chip(device, desc, name, p, cancellable, error))
		return FALSE;
	if ((flags & FK_WRITE_FLAG_NO_VERIFY) == 0)
		flags |= FK_WRITE_FLAG_ONLY_CHANGED;
	slice = g_bytes_new_from_bytes(dump, p->offset, p->size);
	if (!fk_device_write_flash(device, p->offset, slice, flags, progress, cancellable, error)) {
		g_prefix_error(error, "Restoring the partition “%s”: ", label);
		return FALSE;
	}
	return TRUE;
}

gboolean
fk_flash_restore_partition(FkDevice *device,
			   const gchar *path,
			   const gchar *label,
			   FkWriteFlags flags,
			   FkProgress *progress,
			   GCancellable *cancellable,
			   GError **error)
{
	g_autoptr(GBytes) dump = fk_flash_load_image(path, error);
	if (dump == NULL)
		return FALSE;
	return fk_flash_restore_partition_bytes(device, dump, path, label, flags, progress, cancellable, error);
}
