/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "fk-device.h"
#include "fk-image-info.h"

G_BEGIN_DECLS

/* the partition labelled @label in the dump @desc describes, if it can be restored on its own:
 * the dump has an ESP-IDF partition table whose MD5 entry, when present, is right, the partition
 * is listed there, lies on 4 KB sector boundaries and is entirely inside the dump. @name names the
 * dump in messages. Needs no chip, so a backup can be checked before connecting to one; an
 * unknown label is told the labels there are. Points into @desc. */
const FkImageInfoPartition *
fk_flash_partition_find(const FkImageDescription *desc, const gchar *name, const gchar *label, GError **error);

/* writes one partition of a whole-flash dump (@dump, named @name in messages) back to its place:
 * fk_flash_partition_find() first, then the chip is checked against the dump (same chip family,
 * the same partition table at the same offset, the partition inside its flash); only then is the
 * partition written with fk_device_write_flash(), which with verification (the default) writes
 * only the sectors the chip does not hold yet (FK_WRITE_FLAG_ONLY_CHANGED is added), verifies
 * the partition and checks that the flash outside it did not change. FK_WRITE_FLAG_NO_VERIFY
 * writes all of it, unchecked. A chip whose table differs is refused with
 * FK_ERROR_LAYOUT_MISMATCH, an unusable dump with FK_ERROR_INVALID_ARGUMENT; nothing is written
 * then. fk_device_get_bytes_written() tells how much was sent. */
gboolean
fk_flash_restore_partition_bytes(FkDevice *device,
				 GBytes *dump,
				 const gchar *name,
				 const gchar *label,
				 FkWriteFlags flags,
				 FkProgress *progress,
				 GCancellable *cancellable,
				 GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* fk_flash_restore_partition_bytes() with the dump loaded from @path (fk_flash_load_image()) */
gboolean
fk_flash_restore_partition(FkDevice *device,
			   const gchar *path,
			   const gchar *label,
			   FkWriteFlags flags,
			   FkProgress *progress,
			   GCancellable *cancellable,
			   GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
