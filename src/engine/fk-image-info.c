/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns describing a flash dump: what kind it is, its boot images and their descriptors, the
 * ESP8266 layouts and SDK areas, known firmware markers and erased areas; calls fk-image, the
 * chip table and fk-partition-table */
#include "config.h"

#include <string.h>

#include "fk-image-info-private.h"
#include "fk-mem.h"

#define FK_APP_DESC_MAGIC 0xABCD5432u
#define FK_APP_DESC_LEN 256
#define FK_BOOT_DESC_MAGIC 0x50
#define FK_BOOT_DESC_LEN 80
#define FK_IMAGE_V2_MAGIC 0xEA
#define FK_RBOOT_CONFIG_MAGIC 0xE1
#define FK_ERASED_REGION_MIN 0x10000u

void
_fk_image_info_warn(FkImageDescription *self, const gchar *format, ...)
{
	va_list args;
	va_start(args, format);
	g_ptr_array_add(self->warnings, g_strdup_vprintf(format, args));
	va_end(args);
}

gboolean
_fk_image_info_all_ff(const guint8 *data, gsize len)
{
	gsize i = 0;
	if (len == 0)
		return FALSE;
	for (; i + 8 <= len; i += 8) {
		guint64 word;
		memcpy(&word, data + i, 8);
		if (word != G_MAXUINT64)
			return FALSE;
	}
	for (; i < len; i++) {
		if (data[i] != 0xFF)
			return FALSE;
	}
	return TRUE;
}

/* copies a fixed-size text field; stops at NUL, shows anything unprintable as '?' */
static void
fk_image_info_copy_text(gchar *out, gsize out_size, const guint8 *field, gsize field_len)
{
	gsize n = 0;
	for (; n < field_len && n + 1 < out_size && field[n] != '\0'; n++)
		out[n] = g_ascii_isprint(field[n]) ? (gchar)field[n] : '?';
	out[n] = '\0';
}

/* the segments after a header of @pos bytes, as far as they lie inside @avail */
static void
fk_image_info_walk(const guint8 *data, gsize avail, guint32 base, gsize pos, guint count, FkImageInfoImage *img)
{
	for (guint i = 0; i < count && img->n_segments < FK_IMAGE_INFO_MAX_SEGMENTS; i++) {
		FkImageInfoSegment *seg;
		if (pos + 8 > avail)
			return;
		seg = &img->segments[img->n_segments++];
		seg->load_address = fk_memread_u32le(data + pos);
		seg->length = fk_memread_u32le(data + pos + 4);
		seg->file_offset = base + (guint32)(pos + 8);
		if (seg->length > avail - pos - 8)
			return;
		pos += 8 + seg->length;
	}
}

static void
fk_image_info_check_sha256(const guint8 *image, gsize avail, FkImageInfoImage *img)
{
	g_autoptr(GChecksum) sha = NULL;
	guint8 digest[32];
	gsize digest_len = sizeof(digest);
	gsize data_length = img->header.data_length;

	if (!img->header.hash_appended || data_length == 0 || data_length + 32 > avail)
		return;
	sha = g_checksum_new(G_CHECKSUM_SHA256);
	g_checksum_update(sha, image, (gssize)data_length);
	g_checksum_get_digest(sha, digest, &digest_len);
	img->sha256_present = TRUE;
	img->sha256_ok = memcmp(digest, image + data_length, 32) == 0;
}

/* an ESP8266 "v2" image: its header, the IROM segment, then an ordinary image */
static void
fk_image_info_read_v2(const guint8 *image, gsize avail, guint32 offset, FkImageInfoImage *img)
{
	gsize irom_len;
	FkImageHeader inner;
	img->header.magic = image[0];
	img->header.segments = image[1];
	img->header.flash_mode = image[2];
	img->header.size_code = image[3] >> 4;
	img->header.freq_code = image[3] & 0x0F;
	img->header.entry = fk_memread_u32le(image + 4);
	img->header.chip_id = -1;
	fk_image_info_walk(image, avail, offset, 8, 1, img);
	if (avail < 16)
		return;
	irom_len = fk_memread_u32le(image + 12);
	if (irom_len > avail - 16)
		return;
	if (!fk_image_parse(image + 16 + irom_len, avail - 16 - irom_len, &inner))
		return;
	fk_image_info_walk(image + 16 + irom_len, avail - 16 - irom_len, offset + 16 + (guint32)irom_len, 8,
			   inner.segments, img);
	if (inner.data_length == 0)
		return;
	img->complete = TRUE;
	img->checksum_ok = inner.checksum_ok;
	img->length = 16 + irom_len + inner.data_length;
}

void
_fk_image_info_read_image(const guint8 *data, gsize len, guint32 offset, gsize limit, FkImageInfoImage *img)
{
	const FkChipInfo *size_chip;
	const guint8 *image;
	gsize avail;

	memset(img, 0, sizeof(*img));
	img->header.chip_id = -1;
	img->offset = offset;
	if (offset >= len || len - offset < 8)
		return;
	image = data + offset;
	avail = MIN(len - offset, limit);
	if (avail < 8)
		return;
	if (image[0] == FK_IMAGE_V2_MAGIC) {
		img->found = TRUE;
		fk_image_info_read_v2(image, avail, offset, img);
	} else if (fk_image_parse(image, avail, &img->header)) {
		img->found = TRUE;
		if (img->header.extended)
			img->chip = fk_chip_by_image_id((guint32)img->header.chip_id);
		fk_image_info_walk(image, avail, offset, img->header.extended ? 24 : 8, img->header.segments, img);
		img->complete = img->header.data_length > 0;
		img->checksum_ok = img->header.checksum_ok;
		img->length = img->header.data_length;
		fk_image_info_check_sha256(image, avail, img);
		if (img->sha256_present)
			img->length += 32;
	} else {
		return;
	}
	size_chip = img->chip != NULL ? img->chip : fk_chip_by_family(FK_CHIP_ESP8266);
	img->flash_size = fk_chip_flash_size_from_code(size_chip, img->header.size_code);
}

void
_fk_image_info_read_app_desc(const guint8 *data, gsize len, const FkImageInfoImage *img, FkImageInfoAppDesc *desc)
{
	const guint8 *d;
	memset(desc, 0, sizeof(*desc));
	if (!img->found || img->n_segments == 0)
		return;
	/* the descriptor opens the first segment, which must hold all of it */
	if (img->segments[0].length < FK_APP_DESC_LEN || img->segments[0].file_offset > len ||
	    len - img->segments[0].file_offset < FK_APP_DESC_LEN)
		return;
	d = data + img->segments[0].file_offset;
	if (fk_memread_u32le(d) != FK_APP_DESC_MAGIC)
		return;
	desc->found = TRUE;
	desc->secure_version = fk_memread_u32le(d + 4);
	fk_image_info_copy_text(desc->version, sizeof(desc->version), d + 16, 32);
	fk_image_info_copy_text(desc->project_name, sizeof(desc->project_name), d + 48, 32);
	fk_image_info_copy_text(desc->time, sizeof(desc->time), d + 80, 16);
	fk_image_info_copy_text(desc->date, sizeof(desc->date), d + 96, 16);
	fk_image_info_copy_text(desc->idf_ver, sizeof(desc->idf_ver), d + 112, 32);
}

static void
fk_image_info_read_boot_desc(const guint8 *data, gsize len, const FkImageInfoImage *img, FkImageInfoBootDesc *desc)
{
	const guint8 *d;
	memset(desc, 0, sizeof(*desc));
	if (!img->found || img->n_segments == 0 || img->segments[0].length < FK_BOOT_DESC_LEN ||
	    img->segments[0].file_offset > len || len - img->segments[0].file_offset < FK_BOOT_DESC_LEN)
		return;
	d = data + img->segments[0].file_offset;
	/* magic byte, then the ESP-IDF version as text: "v5.1.2" */
	if (d[0] != FK_BOOT_DESC_MAGIC || d[8] != 'v')
		return;
	desc->found = TRUE;
	desc->version = fk_memread_u32le(d + 4);
	fk_image_info_copy_text(desc->idf_ver, sizeof(desc->idf_ver), d + 8, 32);
	fk_image_info_copy_text(desc->date_time, sizeof(desc->date_time), d + 40, 24);
}

gsize
_fk_image_info_image_end(const guint8 *data, gsize len, const FkImageInfoImage *img, gsize limit)
{
	gsize end = MIN(len, (gsize)img->offset + limit);
	gsize pos;
	if (img->complete && img->length > 0)
		return MIN(end, (gsize)img->offset + img->length);
	/* cut short or not parsed: up to the first erased sector */
	for (pos = img->offset; pos < end; pos += FK_IMAGE_INFO_SECTOR) {
		if (_fk_image_info_all_ff(data + pos, MIN(FK_IMAGE_INFO_SECTOR, end - pos)))
			return pos;
	}
	return end;
}

/* ---- known firmware ---- */

typedef struct {
	FkFirmwareKind kind;
	const gchar *markers[3];
} FkFirmwareMarkers;

/* the most specific first: Tasmota, ESPHome and ESPurna are Arduino programs too */
static const FkFirmwareMarkers fk_firmware_markers[] = {
    {FK_FIRMWARE_TASMOTA, {"Tasmota", NULL}},
    {FK_FIRMWARE_ESPHOME, {"ESPHome", "esphome", NULL}},
    {FK_FIRMWARE_ESPURNA, {"ESPURNA", "ESPurna", NULL}},
    {FK_FIRMWARE_NODEMCU, {"NodeMCU", NULL}},
    {FK_FIRMWARE_ARDUINO, {"core_esp8266", "arduino-esp32", "Arduino"}},
};

/* a version such as 14.2.0, 2024.6.1 or 3.0.0.0-dev at @p; its length, or 0. The first number
 * is small or a year, so an IP address is not taken for one. */
static gsize
fk_image_info_version_len(const guint8 *p, gsize avail)
{
	gsize n = 0;
	guint parts = 0;
	guint64 first = 0;
	while (parts < 4) {
		gsize digits = 0;
		while (n < avail && g_ascii_isdigit(p[n]) && digits < 5) {
			if (parts == 0)
				first = first * 10 + (guint)(p[n] - '0');
			n++;
			digits++;
		}
		if (digits == 0)
			break;
		parts++;
		if (n + 1 < avail && p[n] == '.' && g_ascii_isdigit(p[n + 1]))
			n++;
		else
			break;
	}
	if (parts < 3 || (first >= 100 && (first < 2000 || first > 2099)))
		return 0;
	/* a suffix: -dev, b1, (tasmota) */
	while (n < avail && n < 32 && (g_ascii_isalnum(p[n]) || p[n] == '-' || p[n] == '_' || p[n] == '.'))
		n++;
	return MIN(n, 32);
}

static gboolean
fk_image_info_version_in(const guint8 *p, gsize n, gchar *out)
{
	for (gsize i = 0; i < n; i++) {
		gsize vlen;
		if (!g_ascii_isdigit(p[i]) || (i > 0 && (g_ascii_isalnum(p[i - 1]) || p[i - 1] == '.')))
			continue;
		vlen = fk_image_info_version_len(p + i, n - i);
		if (vlen > 0) {
			memcpy(out, p + i, vlen);
			out[vlen] = '\0';
			return TRUE;
		}
	}
	return FALSE;
}

/* the printed version: in the marker's own string ("ESPHome version 2024.6.1"), else the
 * nearest string that is only a version ("14.2.0") among its neighbours. Only close ones: a
 * version string further away is as likely a library's. Tasmota keeps its version as a number
 * and prints it at run time, so a Tasmota image often has none to find. */
#define FK_VERSION_NEIGHBOURHOOD 128

static void
fk_image_info_find_version(const guint8 *data, gsize start, gsize end, gsize at, gchar *out)
{
	gsize s = at, e = at;
	gsize best = G_MAXSIZE;
	gsize lo = at > start + FK_VERSION_NEIGHBOURHOOD ? at - FK_VERSION_NEIGHBOURHOOD : start;
	gsize hi = MIN(end, at + FK_VERSION_NEIGHBOURHOOD);

	while (s > start && g_ascii_isprint(data[s - 1]))
		s--;
	while (e < end && g_ascii_isprint(data[e]))
		e++;
	if (fk_image_info_version_in(data + s, e - s, out))
		return;
	for (gsize i = lo; i < hi; i++) {
		gsize vlen, dist;
		if (!g_ascii_isdigit(data[i]) || (i > start && data[i - 1] != '\0'))
			continue;
		vlen = fk_image_info_version_len(data + i, hi - i);
		if (vlen == 0 || i + vlen >= hi || data[i + vlen] != '\0')
			continue;
		dist = i > at ? i - at : at - i;
		if (dist < best) {
			best = dist;
			memcpy(out, data + i, vlen);
			out[vlen] = '\0';
		}
	}
}

void
_fk_image_info_find_firmware(const guint8 *data, gsize len, gsize start, gsize end, FkImageInfoFirmware *fw)
{
	memset(fw, 0, sizeof(*fw));
	end = MIN(end, len);
	if (start >= end)
		return;
	for (guint i = 0; i < G_N_ELEMENTS(fk_firmware_markers); i++) {
		for (guint j = 0; j < G_N_ELEMENTS(fk_firmware_markers[i].markers); j++) {
			const gchar *marker = fk_firmware_markers[i].markers[j];
			const guint8 *hit;
			if (marker == NULL)
				break;
			hit = memmem(data + start, end - start, marker, strlen(marker));
			if (hit == NULL)
				continue;
			fw->kind = fk_firmware_markers[i].kind;
			fw->marker_offset = (guint32)(hit - data);
			fk_image_info_find_version(data, start, end, (gsize)(hit - data), fw->version);
			return;
		}
	}
}

/* ---- ESP8266 ---- */

static void
fk_image_info_sdk_areas(FkImageDescription *self, const guint8 *data, gsize len)
{
	static const guint32 from_end[FK_SDK_AREA_N] = {0x5000, 0x4000, 0x3000, 0x1000};
	static const guint32 lengths[FK_SDK_AREA_N] = {0x1000, 0x1000, 0x2000, 0x1000};
	for (guint i = 0; i < FK_SDK_AREA_N; i++) {
		FkImageInfoSdkArea *area = &self->esp8266.sdk[i];
		if (len < from_end[i])
			continue;
		area->offset = (guint32)(len - from_end[i]);
		area->length = lengths[i];
		area->inside = TRUE;
		area->erased = _fk_image_info_all_ff(data + area->offset, area->length);
	}
}

static void
fk_image_info_esp8266(FkImageDescription *self, const guint8 *data, gsize len)
{
	FkImageInfoEsp8266 *e = &self->esp8266;
	FkImageInfoImage second;
	gsize scan_end;

	e->rboot_rom = -1;
	_fk_image_info_read_image(data, len, 0x1000, len, &second);
	if (len > 0x1008 && data[0x1000] == FK_RBOOT_CONFIG_MAGIC && data[0x1001] == 0x01) {
		guint count = data[0x1005];
		guint current = data[0x1003];
		guint32 rom = 0x2000;
		e->layout = FK_ESP8266_LAYOUT_RBOOT;
		if (current < count && count <= 16 && 0x1008 + 4 * (gsize)count <= len) {
			e->rboot_rom = (gint)current;
			rom = fk_memread_u32le(data + 0x1008 + 4 * current);
		} else {
			_fk_image_info_warn(self, "rBoot's configuration at 0x1000 names no valid ROM (%u of %u)",
					    current, count);
		}
		_fk_image_info_read_image(data, len, rom, len, &e->app);
		if (!e->app.found)
			_fk_image_info_warn(self, "rBoot's current ROM at 0x%x holds no boot image", rom);
	} else if (second.found && second.header.magic == FK_IMAGE_V2_MAGIC) {
		e->layout = FK_ESP8266_LAYOUT_ESPRESSIF_OTA;
		e->app = second;
	} else if (second.found) {
		e->layout = FK_ESP8266_LAYOUT_ARDUINO;
		e->app = second;
	} else {
		e->layout = FK_ESP8266_LAYOUT_NONOS;
		e->app = self->boot;
		if (len > 0x10000 && !_fk_image_info_all_ff(data + 0x10000, MIN(FK_IMAGE_INFO_SECTOR, len - 0x10000)))
			e->irom_offset = 0x10000;
		else if (len > 0x40000 && !_fk_image_info_all_ff(data + 0x40000, MIN(FK_IMAGE_INFO_SECTOR, len - 0x40000)))
			e->irom_offset = 0x40000;
	}
	if (e->app.found && !e->app.complete)
		_fk_image_info_warn(self, "the app image at 0x%x is cut short by the end of the dump", e->app.offset);
	else if (e->app.found && !e->app.checksum_ok)
		_fk_image_info_warn(self, "the app image at 0x%x has a wrong checksum", e->app.offset);

	/* the markers are looked for in the app's code only, not in stored settings or files */
	scan_end = e->app.found ? _fk_image_info_image_end(data, len, &e->app, len) : 0;
	if (e->app.found)
		_fk_image_info_find_firmware(data, len, e->app.offset, scan_end, &e->firmware);
	if (e->firmware.kind == FK_FIRMWARE_NOT_RECOGNISED && e->irom_offset != 0) {
		FkImageInfoImage irom = {.offset = e->irom_offset};
		_fk_image_info_find_firmware(data, len, e->irom_offset,
					     _fk_image_info_image_end(data, len, &irom, len), &e->firmware);
	}

	/* the SDK's areas are at the end of the flash, which is the end of a whole dump only */
	if (len >= 0x40000 && (len & (len - 1)) == 0)
		fk_image_info_sdk_areas(self, data, len);
}

/* ---- the whole dump ---- */

static void
fk_image_info_erased(FkImageDescription *self, const guint8 *data, gsize len)
{
	gsize run_start = 0;
	gboolean in_run = FALSE;
	for (gsize pos = 0; pos <= len; pos += FK_IMAGE_INFO_SECTOR) {
		gboolean ff = pos < len && _fk_image_info_all_ff(data + pos, MIN(FK_IMAGE_INFO_SECTOR, len - pos));
		if (ff) {
			self->erased_bytes += MIN(FK_IMAGE_INFO_SECTOR, len - pos);
			if (!in_run)
				run_start = pos;
			in_run = TRUE;
			continue;
		}
		if (in_run && MIN(pos, len) - run_start >= FK_ERASED_REGION_MIN) {
			FkImageInfoRegion region = {(guint32)run_start, (guint32)(MIN(pos, len) - run_start)};
			g_array_append_val(self->erased_regions, region);
		}
		in_run = FALSE;
		if (pos >= len)
			break;
	}
}

static void
fk_image_info_check_flash_size(FkImageDescription *self, const FkImageInfoImage *img)
{
	g_autofree gchar *said = NULL;
	g_autofree gchar *have = NULL;
	if (!img->found || img->flash_size == 0 || img->flash_size == self->size)
		return;
	/* a lone image is smaller than any flash; only a whole dump can disagree */
	if (self->kind != FK_DUMP_PARTITIONED && self->kind != FK_DUMP_ESP8266)
		return;
	if (self->size < 0x40000 || (self->size & (self->size - 1)) != 0)
		return;
	said = fk_format_size(img->flash_size);
	have = fk_format_size(self->size);
	_fk_image_info_warn(self, "the boot header at 0x%x says the flash is %s, but the dump is %s",
			    img->offset, said, have);
}

/* the end of the last partition is the least flash the firmware expects */
static void
fk_image_info_check_table_size(FkImageDescription *self)
{
	gsize flash_size = self->boot.flash_size;
	g_autofree gchar *said = NULL;
	if (!self->table.found || flash_size == 0)
		return;
	said = fk_format_size(flash_size);
	for (guint i = 0; i < self->table.partitions->len; i++) {
		const FkImageInfoPartition *p = &g_array_index(self->table.partitions, FkImageInfoPartition, i);
		if ((guint64)p->offset + p->size > flash_size)
			_fk_image_info_warn(self, "partition “%s” ends past the %s flash the bootloader's "
						  "header names", p->label, said);
	}
}

static void
fk_image_info_boot(FkImageDescription *self, const guint8 *data, gsize len)
{
	FkImageInfo where;
	fk_image_inspect(data, len, &where);
	if (!where.found)
		return;
	self->chip = where.chip;
	/* a bootloader ends before the partition table */
	_fk_image_info_read_image(data, len, where.offset, len, &self->boot);
	fk_image_info_read_boot_desc(data, len, &self->boot, &self->boot_desc);
}

FkImageDescription *
fk_image_info_describe(const guint8 *data, gsize len)
{
	FkImageDescription *self = g_new0(FkImageDescription, 1);
	self->erased_regions = g_array_new(FALSE, FALSE, sizeof(FkImageInfoRegion));
	self->warnings = g_ptr_array_new_with_free_func(g_free);
	self->table.partitions = g_array_new(FALSE, TRUE, sizeof(FkImageInfoPartition));
	self->table.otadata = -1;
	self->table.ota_slot = -1;
	self->table.boot_app = -1;
	self->esp8266.rboot_rom = -1;

	if (len > G_MAXUINT32) {
		_fk_image_info_warn(self, "only the first 4 GB are described");
		len = G_MAXUINT32;
	}
	self->size = len;
	if (data == NULL || len == 0) {
		_fk_image_info_warn(self, "the file is empty");
		return self;
	}
	fk_image_info_erased(self, data, len);
	if (self->erased_bytes == len) {
		self->kind = FK_DUMP_ERASED;
		return self;
	}

	_fk_partition_table_read(self, data, len);
	fk_image_info_boot(self, data, len);
	if (self->table.found) {
		self->kind = FK_DUMP_PARTITIONED;
		if (!self->boot.found)
			_fk_image_info_warn(self, "no bootloader where the chip looks for it");
	} else if (self->boot.found && self->boot.header.extended) {
		_fk_image_info_read_app_desc(data, len, &self->boot, &self->app);
		if (self->app.found && self->boot.offset == 0) {
			self->kind = FK_DUMP_APP_IMAGE;
			_fk_image_info_find_firmware(data, len, 0,
						     _fk_image_info_image_end(data, len, &self->boot, len),
						     &self->firmware);
		} else if (len <= 0x8000) {
			self->kind = FK_DUMP_BOOT_IMAGE;
		} else {
			self->kind = FK_DUMP_PARTITIONED;
			_fk_image_info_warn(self, "no partition table at 0x8000 or at any 4 KB boundary "
						  "below 64 KB");
		}
	} else if (self->boot.found) {
		self->kind = FK_DUMP_ESP8266;
		fk_image_info_esp8266(self, data, len);
	} else {
		self->kind = FK_DUMP_UNKNOWN;
	}
	if (self->boot.found && !self->boot.complete)
		_fk_image_info_warn(self, "the boot image at 0x%x is cut short: a segment or its checksum "
					  "lies past the end of the data",
				    self->boot.offset);
	else if (self->boot.found && !self->boot.checksum_ok)
		_fk_image_info_warn(self, "the boot image at 0x%x has a wrong checksum", self->boot.offset);
	if (self->boot.sha256_present && !self->boot.sha256_ok)
		_fk_image_info_warn(self, "the boot image at 0x%x has a wrong SHA-256", self->boot.offset);
	fk_image_info_check_flash_size(self, &self->boot);
	fk_image_info_check_table_size(self);
	return self;
}

void
fk_image_description_free(FkImageDescription *self)
{
	if (self == NULL)
		return;
	g_array_unref(self->erased_regions);
	g_array_unref(self->table.partitions);
	g_ptr_array_unref(self->warnings);
	g_free(self);
}
