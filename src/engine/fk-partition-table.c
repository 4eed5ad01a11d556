/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the ESP-IDF partition table in a dump: finding it, its entries and MD5 entry, what each
 * partition holds, and which app the bootloader starts (otadata); calls fk-image-info's helpers */
#include "config.h"

#include <string.h>
#include <zlib.h>

#include "fk-image-info-private.h"
#include "fk-mem.h"

#define FK_PT_OFFSET 0x8000u
#define FK_PT_MAX_LEN FK_PARTITION_TABLE_LEN
#define FK_PT_ENTRY_LEN 32u
#define FK_PT_MAGIC 0x50AA
#define FK_PT_MD5_MAGIC 0xEBEB
#define FK_PT_SEARCH_END 0x10000u
#define FK_SUBTYPE_FACTORY 0x00
#define FK_SUBTYPE_OTA_0 0x10
#define FK_SUBTYPE_OTA_15 0x1F
#define FK_SUBTYPE_OTADATA 0x00
#define FK_OTA_STATE_INVALID 3
#define FK_OTA_STATE_ABORTED 4

static const gchar *fk_app_subtypes[] = {"factory"};
static const gchar *fk_data_subtypes[] = {"ota", "phy", "nvs", "coredump", "nvs_keys", "efuse", "undefined"};
static const gchar *fk_data_subtypes_80[] = {"esphttpd", "fat", "spiffs", "littlefs"};
static const gchar *fk_ota_names[] = {"ota_0", "ota_1", "ota_2",  "ota_3",  "ota_4",  "ota_5",
				      "ota_6", "ota_7", "ota_8",  "ota_9",  "ota_10", "ota_11",
				      "ota_12", "ota_13", "ota_14", "ota_15"};

const gchar *
fk_partition_subtype_to_string(guint8 type, guint8 subtype)
{
	if (type == FK_PARTITION_TYPE_APP) {
		if (subtype < G_N_ELEMENTS(fk_app_subtypes))
			return fk_app_subtypes[subtype];
		if (subtype >= FK_SUBTYPE_OTA_0 && subtype <= FK_SUBTYPE_OTA_15)
			return fk_ota_names[subtype - FK_SUBTYPE_OTA_0];
		if (subtype == 0x20)
			return "test";
	} else if (type == FK_PARTITION_TYPE_DATA) {
		if (subtype < G_N_ELEMENTS(fk_data_subtypes))
			return fk_data_subtypes[subtype];
		if (subtype >= 0x80 && subtype - 0x80 < (gint)G_N_ELEMENTS(fk_data_subtypes_80))
			return fk_data_subtypes_80[subtype - 0x80];
	}
	return NULL;
}

/* the table at 0x8000, or the first 4 KB boundary below 64 KB that starts with an entry */
static gboolean
fk_partition_table_find(const guint8 *data, gsize len, guint32 *offset)
{
	if (len >= FK_PT_OFFSET + 2 && fk_memread_u16le(data + FK_PT_OFFSET) == FK_PT_MAGIC) {
		*offset = FK_PT_OFFSET;
		return TRUE;
	}
	/* elsewhere the first entry must also look like one (a sector-aligned partition), so that
	 * code that happens to start with the magic is not taken for a table */
	for (guint32 off = 0; off < FK_PT_SEARCH_END && (gsize)off + FK_PT_ENTRY_LEN <= len;
	     off += FK_IMAGE_INFO_SECTOR) {
		if (fk_memread_u16le(data + off) == FK_PT_MAGIC &&
		    fk_memread_u32le(data + off + 4) % FK_IMAGE_INFO_SECTOR == 0) {
			*offset = off;
			return TRUE;
		}
	}
	return FALSE;
}

static void
fk_partition_read_entry(FkImageInfoPartition *p, const guint8 *e)
{
	gsize n = 0;
	memset(p, 0, sizeof(*p));
	p->type = e[2];
	p->subtype = e[3];
	p->offset = fk_memread_u32le(e + 4);
	p->size = fk_memread_u32le(e + 8);
	/* the name may fill all 16 bytes without a NUL */
	for (; n < 16 && e[12 + n] != '\0'; n++)
		p->label[n] = g_ascii_isprint(e[12 + n]) ? (gchar)e[12 + n] : '?';
	p->label[n] = '\0';
	p->flags = fk_memread_u32le(e + 28);
}

static gboolean
fk_partition_has_littlefs(const guint8 *data, gsize len, guint32 offset)
{
	/* the superblock's name "littlefs" follows a revision count and a tag, in block 0 or 1 */
	static const guint32 at[] = {8, FK_IMAGE_INFO_SECTOR + 8};
	for (guint i = 0; i < G_N_ELEMENTS(at); i++) {
		gsize pos = (gsize)offset + at[i];
		if (pos + 8 <= len && memcmp(data + pos, "littlefs", 8) == 0)
			return TRUE;
	}
	return FALSE;
}

static void
fk_partition_describe(FkImageDescription *self, FkImageInfoPartition *p, const guint8 *data, gsize len)
{
	guint64 end = (guint64)p->offset + p->size;
	gsize inside_len;

	p->inside = p->size > 0 && end <= len;
	if (p->offset >= len) {
		_fk_image_info_warn(self, "partition “%s” at 0x%x lies past the end of the dump (%" G_GSIZE_FORMAT
					  " bytes)", p->label, p->offset, len);
		return;
	}
	if (end > len)
		_fk_image_info_warn(self, "partition “%s” (0x%x, %u bytes) runs past the end of the dump",
				    p->label, p->offset, p->size);
	inside_len = (gsize)(MIN(end, (guint64)len) - p->offset);
	p->erased = _fk_image_info_all_ff(data + p->offset, inside_len);

	if (p->type == FK_PARTITION_TYPE_APP) {
		if (p->offset % 0x10000 != 0)
			_fk_image_info_warn(self, "app partition “%s” at 0x%x is not 64 KB aligned: the "
						  "bootloader cannot start it", p->label, p->offset);
		if (p->erased)
			return;
		_fk_image_info_read_image(data, len, p->offset, inside_len, &p->image);
		if (!p->image.found) {
			_fk_image_info_warn(self, "app partition “%s” holds no app image", p->label);
			return;
		}
		if (!p->image.complete)
			_fk_image_info_warn(self, "the app image in “%s” is cut short: it is larger than its "
						  "partition or the dump", p->label);
		else if (!p->image.checksum_ok)
			_fk_image_info_warn(self, "the app image in “%s” has a wrong checksum", p->label);
		if (p->image.sha256_present && !p->image.sha256_ok)
			_fk_image_info_warn(self, "the app image in “%s” has a wrong SHA-256", p->label);
		_fk_image_info_read_app_desc(data, len, &p->image, &p->app);
		_fk_image_info_find_firmware(data, len, p->offset,
					     _fk_image_info_image_end(data, len, &p->image, inside_len),
					     &p->firmware);
	} else if (p->type == FK_PARTITION_TYPE_DATA && !p->erased) {
		p->littlefs = fk_partition_has_littlefs(data, len, p->offset);
	}
}

static void
fk_partition_table_overlaps(FkImageDescription *self)
{
	GArray *parts = self->table.partitions;
	for (guint i = 0; i < parts->len; i++) {
		FkImageInfoPartition *a = &g_array_index(parts, FkImageInfoPartition, i);
		for (guint j = i + 1; j < parts->len; j++) {
			FkImageInfoPartition *b = &g_array_index(parts, FkImageInfoPartition, j);
			if ((guint64)a->offset < (guint64)b->offset + b->size &&
			    (guint64)b->offset < (guint64)a->offset + a->size)
				_fk_image_info_warn(self, "partitions “%s” and “%s” overlap", a->label, b->label);
		}
	}
}

static gint
fk_partition_find(GArray *parts, guint8 type, guint8 subtype)
{
	for (guint i = 0; i < parts->len; i++) {
		FkImageInfoPartition *p = &g_array_index(parts, FkImageInfoPartition, i);
		if (p->type == type && p->subtype == subtype)
			return (gint)i;
	}
	return -1;
}

/* otadata: two 32-byte entries a sector apart (ota_seq, label, state, CRC-32 of ota_seq); the
 * higher valid sequence number chooses slot (seq - 1) % number of OTA apps */
static void
fk_partition_table_ota(FkImageDescription *self, const guint8 *data, gsize len)
{
	FkImageInfoTable *t = &self->table;
	gint best = -1;

	for (guint i = 0; i < t->partitions->len; i++) {
		FkImageInfoPartition *p = &g_array_index(t->partitions, FkImageInfoPartition, i);
		if (p->type == FK_PARTITION_TYPE_APP && p->subtype >= FK_SUBTYPE_OTA_0 &&
		    p->subtype <= FK_SUBTYPE_OTA_15)
			t->n_ota_apps++;
	}
	t->otadata = fk_partition_find(t->partitions, FK_PARTITION_TYPE_DATA, FK_SUBTYPE_OTADATA);
	if (t->otadata >= 0) {
		FkImageInfoPartition *od = &g_array_index(t->partitions, FkImageInfoPartition, t->otadata);
		for (guint i = 0; i < 2; i++) {
			guint64 pos = (guint64)od->offset + i * FK_IMAGE_INFO_SECTOR;
			guint32 crc;
			if (pos + 32 > len || (guint64)i * FK_IMAGE_INFO_SECTOR + 32 > od->size) {
				t->ota_seq[i] = G_MAXUINT32;
				continue;
			}
			t->ota_seq[i] = fk_memread_u32le(data + pos);
			t->ota_state[i] = fk_memread_u32le(data + pos + 24);
			/* ESP-IDF's crc32_le(UINT32_MAX, seq, 4) is zlib's crc32 continued from ~0 */
			crc = (guint32)crc32(0xFFFFFFFFul, data + pos, 4);
			t->ota_valid[i] = t->ota_seq[i] != G_MAXUINT32 && t->ota_seq[i] != 0 &&
					  fk_memread_u32le(data + pos + 28) == crc &&
					  t->ota_state[i] != FK_OTA_STATE_INVALID &&
					  t->ota_state[i] != FK_OTA_STATE_ABORTED;
			if (t->ota_valid[i] && (best < 0 || t->ota_seq[i] > t->ota_seq[best]))
				best = (gint)i;
		}
		if (od->offset < len && (guint64)od->offset + 0x2000 > len)
			_fk_image_info_warn(self, "otadata is cut short by the end of the dump");
	}
	if (best >= 0 && t->n_ota_apps > 0) {
		t->ota_slot = (gint)((t->ota_seq[best] - 1) % t->n_ota_apps);
		t->boot_app = fk_partition_find(t->partitions, FK_PARTITION_TYPE_APP,
						(guint8)(FK_SUBTYPE_OTA_0 + t->ota_slot));
		if (t->boot_app < 0)
			_fk_image_info_warn(self, "otadata selects ota_%d, which the table does not have",
					    t->ota_slot);
		return;
	}
	if (best >= 0)
		_fk_image_info_warn(self, "otadata selects an OTA slot, but the table has no OTA app partition");
	/* nothing valid: the factory app, else the first OTA slot */
	t->boot_app = fk_partition_find(t->partitions, FK_PARTITION_TYPE_APP, FK_SUBTYPE_FACTORY);
	if (t->boot_app < 0)
		t->boot_app = fk_partition_find(t->partitions, FK_PARTITION_TYPE_APP, FK_SUBTYPE_OTA_0);
}

void
_fk_partition_table_read(FkImageDescription *self, const guint8 *data, gsize len)
{
	FkImageInfoTable *t = &self->table;
	gboolean ended = FALSE;
	guint32 off;

	if (!fk_partition_table_find(data, len, &off))
		return;
	t->found = TRUE;
	t->offset = off;
	for (guint32 pos = off; pos < off + FK_PT_MAX_LEN; pos += FK_PT_ENTRY_LEN) {
		const guint8 *e = data + pos;
		guint16 magic;
		if ((gsize)pos + FK_PT_ENTRY_LEN > len) {
			_fk_image_info_warn(self, "the partition table at 0x%x is cut short by the end of the dump", off);
			ended = TRUE;
			break;
		}
		if (_fk_image_info_all_ff(e, FK_PT_ENTRY_LEN)) {
			ended = TRUE;
			break;
		}
		magic = fk_memread_u16le(e);
		if (magic == FK_PT_MD5_MAGIC) {
			g_autoptr(GChecksum) md5 = g_checksum_new(G_CHECKSUM_MD5);
			guint8 digest[16];
			gsize digest_len = sizeof(digest);
			g_checksum_update(md5, data + off, pos - off);
			g_checksum_get_digest(md5, digest, &digest_len);
			t->md5_present = TRUE;
			t->md5_ok = memcmp(digest, e + 16, 16) == 0;
			if (!t->md5_ok)
				_fk_image_info_warn(self, "the partition table's MD5 entry does not match its "
							  "entries: the bootloader refuses such a table");
			continue;
		}
		if (magic != FK_PT_MAGIC) {
			_fk_image_info_warn(self, "the partition table entry at 0x%x is neither a partition "
						  "nor the end: the table is damaged", pos);
			ended = TRUE;
			break;
		}
		{
			FkImageInfoPartition p;
			fk_partition_read_entry(&p, e);
			g_array_append_val(t->partitions, p);
		}
	}
	if (!ended)
		_fk_image_info_warn(self, "the partition table at 0x%x has no end marker", off);
	for (guint i = 0; i < t->partitions->len; i++)
		fk_partition_describe(self, &g_array_index(t->partitions, FkImageInfoPartition, i), data, len);
	fk_partition_table_overlaps(self);
	fk_partition_table_ota(self, data, len);
}
