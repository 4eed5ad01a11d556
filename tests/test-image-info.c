/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fk-image-info on flashes the simulator makes and on dumps built here byte by byte: partition
 * tables (whole, cut short, with a wrong MD5 entry, entries past the end), app descriptors,
 * otadata with various sequence numbers, ESP8266 layouts and firmware markers */
#include "config.h"

#include <string.h>

#include "fk-image-info.h"
#include "fk-mem.h"
#include "fk-sim-device.h"

#define KB 1024u
#define MB (1024u * 1024u)

typedef struct {
	guint32 addr;
	guint32 len;
	const guint8 *prefix;
	gsize prefix_len;
} Seg;

/* an ESP image: ESP32 extended header (chip id 0) when @ext, SHA-256 appended when @hash */
static void
put_image(guint8 *out, gsize max, gboolean ext, gboolean hash, const Seg *segs, guint n, gsize *len_out)
{
	gsize pos = ext ? 24 : 8;
	guint8 sum = 0xEF;
	memset(out, 0, pos);
	out[0] = 0xE9;
	out[1] = (guint8)n;
	out[2] = 0x02;
	out[3] = ext ? 0x00 : 0x20; /* 1 MB, 40 MHz: the flashes built here are 1 MB */
	fk_memwrite_u32le(out + 4, 0x40080400);
	if (ext) {
		out[8] = 0xEE;
		fk_memwrite_u16le(out + 12, 0);
		fk_memwrite_u16le(out + 17, 0xFFFF);
		out[23] = hash ? 1 : 0;
	}
	for (guint i = 0; i < n; i++) {
		g_assert_cmpuint(pos + 8 + segs[i].len + 48, <=, max);
		fk_memwrite_u32le(out + pos, segs[i].addr);
		fk_memwrite_u32le(out + pos + 4, segs[i].len);
		pos += 8;
		for (guint j = 0; j < segs[i].len; j++)
			out[pos + j] = (guint8)(j * 13 + i);
		if (segs[i].prefix != NULL)
			memcpy(out + pos, segs[i].prefix, segs[i].prefix_len);
		for (guint j = 0; j < segs[i].len; j++)
			sum ^= out[pos + j];
		pos += segs[i].len;
	}
	while (pos % 16 != 15)
		out[pos++] = 0;
	out[pos++] = sum;
	if (hash) {
		g_autoptr(GChecksum) sha = g_checksum_new(G_CHECKSUM_SHA256);
		gsize dlen = 32;
		g_checksum_update(sha, out, (gssize)pos);
		g_checksum_get_digest(sha, out + pos, &dlen);
		pos += 32;
	}
	if (len_out != NULL)
		*len_out = pos;
}

static void
put_str(guint8 *field, gsize field_len, const gchar *text)
{
	memset(field, 0, field_len);
	memcpy(field, text, MIN(strlen(text), field_len));
}

/* an app image with an esp_app_desc_t in its first (DROM) segment */
static void
put_app(guint8 *out, gsize max, const gchar *project, const gchar *version, gsize *len)
{
	guint8 desc[256] = {0};
	Seg segs[2] = {{0x3F400020, 0x400, desc, sizeof(desc)}, {0x40080000, 0x300, NULL, 0}};
	fk_memwrite_u32le(desc, 0xABCD5432);
	put_str(desc + 16, 32, version);
	put_str(desc + 48, 32, project);
	put_str(desc + 80, 16, "12:00:00");
	put_str(desc + 96, 16, "Mar  1 2025");
	put_str(desc + 112, 32, "v5.3.1");
	put_image(out, max, TRUE, TRUE, segs, G_N_ELEMENTS(segs), len);
}

static guint8 *
put_entry(guint8 *e, guint8 type, guint8 subtype, guint32 offset, guint32 size, const gchar *name)
{
	e[0] = 0xAA;
	e[1] = 0x50;
	e[2] = type;
	e[3] = subtype;
	fk_memwrite_u32le(e + 4, offset);
	fk_memwrite_u32le(e + 8, size);
	put_str(e + 12, 16, name);
	fk_memwrite_u32le(e + 28, 0);
	return e + 32;
}

static void
put_md5(guint8 *table, guint8 *e)
{
	g_autoptr(GChecksum) md5 = g_checksum_new(G_CHECKSUM_MD5);
	gsize dlen = 16;
	g_checksum_update(md5, table, e - table);
	e[0] = 0xEB;
	e[1] = 0xEB;
	memset(e + 2, 0xFF, 14);
	g_checksum_get_digest(md5, e + 16, &dlen);
}

/* CRC-32 as ESP-IDF's crc32_le(UINT32_MAX, …): reflected 0xEDB88320, no initial inversion */
static guint32
esp_crc32(const guint8 *data, gsize len)
{
	guint32 crc = 0;
	for (gsize i = 0; i < len; i++) {
		crc ^= data[i];
		for (guint b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

static void
put_otadata(guint8 *flash, guint32 offset, guint entry, guint32 seq, guint32 state, gboolean good_crc)
{
	guint8 *e = flash + offset + entry * 0x1000;
	memset(e, 0xFF, 32);
	fk_memwrite_u32le(e, seq);
	fk_memwrite_u32le(e + 24, state);
	fk_memwrite_u32le(e + 28, esp_crc32(e, 4) ^ (good_crc ? 0 : 1));
}

/* a 1 MB ESP32 flash: bootloader at 0x1000, nvs, otadata, two OTA apps, a file system */
static guint8 *
make_ota_flash(gsize *size)
{
	guint8 *flash = g_malloc(MB);
	guint8 boot_desc[80] = {0x50};
	Seg boot[2] = {{0x3FFF0000, 0x100, boot_desc, sizeof(boot_desc)}, {0x40078000, 0x800, NULL, 0}};
	guint8 *e;

	memset(flash, 0xFF, MB);
	put_str(boot_desc + 8, 32, "v5.3.1");
	put_image(flash + 0x1000, 0x7000, TRUE, TRUE, boot, G_N_ELEMENTS(boot), NULL);
	e = put_entry(flash + 0x8000, 0x01, 0x02, 0x9000, 0x4000, "nvs");
	e = put_entry(e, 0x01, 0x00, 0xD000, 0x2000, "otadata");
	e = put_entry(e, 0x00, 0x10, 0x10000, 0x60000, "app0");
	e = put_entry(e, 0x00, 0x11, 0x70000, 0x60000, "app1");
	e = put_entry(e, 0x01, 0x83, 0xD0000, 0x30000, "littlefs");
	put_md5(flash + 0x8000, e);
	put_app(flash + 0x10000, 0x60000, "thermostat", "1.0.0", NULL);
	put_app(flash + 0x70000, 0x60000, "thermostat", "1.1.0", NULL);
	memset(flash + 0x9000, 0, 32); /* an NVS page header */
	*size = MB;
	return flash;
}

static gboolean
has_warning(const FkImageDescription *info, const gchar *part)
{
	for (guint i = 0; i < info->warnings->len; i++) {
		if (strstr(g_ptr_array_index(info->warnings, i), part) != NULL)
			return TRUE;
	}
	return FALSE;
}

/* the warnings in the test log, so that an unexpected one is seen */
static guint
n_warnings(const FkImageDescription *info)
{
	for (guint i = 0; i < info->warnings->len; i++)
		g_test_message("warning: %s", (const gchar *)g_ptr_array_index(info->warnings, i));
	return info->warnings->len;
}

static const FkImageInfoPartition *
part(const FkImageDescription *info, guint i)
{
	g_assert_cmpuint(i, <, info->table.partitions->len);
	return &g_array_index(info->table.partitions, FkImageInfoPartition, i);
}

static GBytes *
sim_flash(const gchar *chip, gsize size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FkSimDevice) sim = fk_sim_device_new(chip, size, 11, &error);
	g_assert_no_error(error);
	return fk_sim_device_get_flash(sim);
}

/* the simulator's ESP32 flash holds a bootloader, a table with its MD5 entry and an app */
static void
test_simulated_esp32(void)
{
	g_autoptr(GBytes) flash = sim_flash("esp32", 4 * MB);
	g_autoptr(FkImageDescription) info =
	    fk_image_info_describe(g_bytes_get_data(flash, NULL), g_bytes_get_size(flash));
	g_autofree gchar *text = fk_image_info_to_text(info);
	const FkImageInfoPartition *factory;

	g_assert_cmpint(info->kind, ==, FK_DUMP_PARTITIONED);
	g_assert_nonnull(info->chip);
	g_assert_cmpint(info->chip->family, ==, FK_CHIP_ESP32);
	g_assert_cmpuint(info->boot.offset, ==, 0x1000);
	g_assert_true(info->boot.complete && info->boot.checksum_ok);
	g_assert_true(info->boot.sha256_present && info->boot.sha256_ok);
	g_assert_true(info->boot_desc.found);
	g_assert_cmpstr(info->boot_desc.idf_ver, ==, "v5.1.2");
	g_assert_true(info->table.found && info->table.md5_present && info->table.md5_ok);
	g_assert_cmpuint(info->table.partitions->len, ==, 4);
	factory = part(info, 2);
	g_assert_cmpstr(factory->label, ==, "factory");
	g_assert_true(factory->image.checksum_ok && factory->image.sha256_ok);
	g_assert_true(factory->app.found);
	g_assert_cmpstr(factory->app.project_name, ==, "flashkeep-demo");
	g_assert_cmpstr(factory->app.version, ==, "1.4.2");
	g_assert_cmpint(info->table.boot_app, ==, 2);
	g_assert_true(part(info, 1)->erased);
	g_assert_cmpuint(n_warnings(info), ==, 0);
	g_assert_nonnull(strstr(text, "flashkeep-demo"));
	g_assert_nonnull(strstr(text, "spiffs"));
}

static void
test_simulated_esp8266(void)
{
	g_autoptr(GBytes) flash = sim_flash("esp8266", 1 * MB);
	g_autoptr(FkImageDescription) info =
	    fk_image_info_describe(g_bytes_get_data(flash, NULL), g_bytes_get_size(flash));
	g_assert_cmpint(info->kind, ==, FK_DUMP_ESP8266);
	g_assert_cmpint(info->esp8266.layout, ==, FK_ESP8266_LAYOUT_NONOS);
	g_assert_cmpuint(info->esp8266.irom_offset, ==, 0x10000);
	g_assert_true(info->esp8266.sdk[FK_SDK_AREA_PHY_INIT].inside);
	g_assert_false(info->esp8266.sdk[FK_SDK_AREA_PHY_INIT].erased);
	g_assert_cmpuint(info->esp8266.sdk[FK_SDK_AREA_PHY_INIT].offset, ==, MB - 0x4000);
	g_assert_cmpint(info->esp8266.firmware.kind, ==, FK_FIRMWARE_NOT_RECOGNISED);
	g_assert_cmpuint(n_warnings(info), ==, 0);
}

static void
test_ota_selection(void)
{
	gsize size;
	g_autofree guint8 *flash = make_ota_flash(&size);
	struct {
		guint32 seq0, seq1;
		guint32 state1;
		gboolean crc1;
		gint slot;
		gint boot_app;
	} cases[] = {
	    {G_MAXUINT32, G_MAXUINT32, G_MAXUINT32, TRUE, -1, 2}, /* erased: ota_0 */
	    {1, 2, 2, TRUE, 1, 3},				  /* the higher wins */
	    {3, 2, 2, TRUE, 0, 2},				  /* (3 - 1) % 2 = 0 */
	    {1, 2, 2, FALSE, 0, 2},				  /* a bad CRC does not count */
	    {1, 2, 4, TRUE, 0, 2},				  /* nor an aborted update */
	    {G_MAXUINT32, 4, 2, TRUE, 1, 3},
	};
	/* the CRC this test computes is ESP-IDF's */
	{
		guint8 one[4] = {1, 0, 0, 0};
		g_assert_cmphex(esp_crc32(one, 4), ==, 0x4743989A);
	}
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(FkImageDescription) info = NULL;
		memset(flash + 0xD000, 0xFF, 0x2000);
		if (cases[i].seq0 != G_MAXUINT32)
			put_otadata(flash, 0xD000, 0, cases[i].seq0, 2, TRUE);
		if (cases[i].seq1 != G_MAXUINT32)
			put_otadata(flash, 0xD000, 1, cases[i].seq1, cases[i].state1, cases[i].crc1);
		info = fk_image_info_describe(flash, size);
		g_test_message("case %u", i);
		g_assert_cmpint(info->kind, ==, FK_DUMP_PARTITIONED);
		g_assert_cmpint(info->table.otadata, ==, 1);
		g_assert_cmpuint(info->table.n_ota_apps, ==, 2);
		g_assert_cmpint(info->table.ota_slot, ==, cases[i].slot);
		g_assert_cmpint(info->table.boot_app, ==, cases[i].boot_app);
		g_assert_cmpuint(n_warnings(info), ==, 0);
		g_assert_cmpstr(part(info, 3)->app.version, ==, "1.1.0");
		g_assert_true(part(info, 4)->erased);
	}
}

static void
test_table_damage(void)
{
	gsize size;
	g_autofree guint8 *flash = make_ota_flash(&size);
	g_autoptr(FkImageDescription) info = NULL;

	/* a wrong MD5 entry */
	flash[0x8000 + 5 * 32 + 20] ^= 0x01;
	info = fk_image_info_describe(flash, size);
	g_assert_true(info->table.md5_present);
	g_assert_false(info->table.md5_ok);
	g_assert_true(has_warning(info, "MD5"));
	g_assert_cmpuint(info->table.partitions->len, ==, 5);
	g_clear_pointer(&info, fk_image_description_free);

	/* cut short inside the second entry */
	info = fk_image_info_describe(flash, 0x8000 + 40);
	g_assert_true(info->table.found);
	g_assert_cmpuint(info->table.partitions->len, ==, 1);
	g_assert_true(has_warning(info, "cut short"));
	g_assert_true(has_warning(info, "past the end"));
	g_clear_pointer(&info, fk_image_description_free);

	/* a damaged entry ends the table */
	flash[0x8000 + 2 * 32] = 0x12;
	info = fk_image_info_describe(flash, size);
	g_assert_cmpuint(info->table.partitions->len, ==, 2);
	g_assert_true(has_warning(info, "damaged"));
	g_clear_pointer(&info, fk_image_description_free);

	/* no table at 0x8000, but one at 0x4000 */
	memmove(flash + 0x4000, flash + 0x8000, 0x1000);
	memset(flash + 0x8000, 0xFF, 0x1000);
	info = fk_image_info_describe(flash, size);
	g_assert_true(info->table.found);
	g_assert_cmpuint(info->table.offset, ==, 0x4000);
}

static void
test_entries_past_end(void)
{
	guint8 *flash = g_malloc(MB);
	g_autoptr(FkImageDescription) info = NULL;
	guint8 *e;
	memset(flash, 0xFF, MB);
	e = put_entry(flash + 0x8000, 0x00, 0x00, 0x10000, 0x200000, "factory");	  /* runs past */
	e = put_entry(e, 0x01, 0x82, 0x400000, 0x100000, "spiffs");			  /* beyond */
	e = put_entry(e, 0x01, 0x81, 0xFFFFF000, 0x2000, "wraps");			  /* wraps */
	e = put_entry(e, 0x00, 0x10, 0x20000, 0x400, "tiny"); /* image too big */
	put_md5(flash + 0x8000, e);
	put_app(flash + 0x10000, 0x20000, "big", "9.9", NULL);
	put_app(flash + 0x20000, 0x20000, "cut", "1.0", NULL);

	info = fk_image_info_describe(flash, MB);
	g_assert_true(info->table.md5_ok);
	g_assert_cmpuint(info->table.partitions->len, ==, 4);
	g_assert_false(part(info, 0)->inside);
	g_assert_true(part(info, 0)->app.found);
	g_assert_false(part(info, 1)->inside);
	g_assert_false(part(info, 2)->inside);
	g_assert_true(has_warning(info, "“spiffs” at 0x400000 lies past the end"));
	g_assert_true(has_warning(info, "“wraps” at 0xfffff000 lies past the end"));
	g_assert_true(has_warning(info, "“factory” (0x10000, 2097152 bytes) runs past"));
	g_assert_true(part(info, 3)->image.found);
	g_assert_false(part(info, 3)->image.complete);
	g_assert_true(has_warning(info, "the app image in “tiny” is cut short"));
	g_assert_true(has_warning(info, "overlap"));
	g_clear_pointer(&info, fk_image_description_free);

	/* a bootloader whose header names a smaller flash than the table needs */
	{
		Seg boot[1] = {{0x3FFF0000, 0x100, NULL, 0}};
		put_image(flash + 0x1000, 0x7000, TRUE, TRUE, boot, 1, NULL);
		flash[0x1000 + 3] = 0x10; /* 2 MB */
		info = fk_image_info_describe(flash, MB);
		g_assert_cmpuint(info->boot.flash_size, ==, 2 * MB);
		g_assert_true(has_warning(info, "boot header at 0x1000 says the flash is 2 MB, but the dump is 1 MB"));
		g_assert_true(has_warning(info, "“spiffs” ends past the 2 MB flash"));
		g_assert_false(has_warning(info, "“tiny” ends past"));
	}
	g_free(flash);
}

static void
test_app_damage(void)
{
	gsize size;
	g_autofree guint8 *flash = make_ota_flash(&size);
	g_autoptr(FkImageDescription) info = NULL;
	gsize app_len;

	put_app(flash + 0x70000, 0x60000, "thermostat", "1.1.0", &app_len);
	flash[0x70000 + app_len - 1] ^= 0xFF; /* the digest */
	flash[0x10000 + 24 + 8 + 300] ^= 0xFF; /* data: checksum and digest */
	info = fk_image_info_describe(flash, size);
	g_assert_false(part(info, 2)->image.checksum_ok);
	g_assert_false(part(info, 2)->image.sha256_ok);
	g_assert_true(part(info, 3)->image.checksum_ok);
	g_assert_true(part(info, 3)->image.sha256_present);
	g_assert_false(part(info, 3)->image.sha256_ok);
	g_assert_true(has_warning(info, "“app0” has a wrong checksum"));
	g_assert_true(has_warning(info, "“app1” has a wrong SHA-256"));
}

/* an ESP8266 Arduino-style flash: eboot at 0x0, the app at 0x1000 with @strings in it */
static guint8 *
make_esp8266(const guint8 *strings, gsize strings_len)
{
	guint8 *flash = g_malloc(MB);
	Seg boot[1] = {{0x4010F000, 0x500, NULL, 0}};
	Seg app[2] = {{0x40100000, 0x2000, NULL, 0}, {0x3FFE8000, 0x4000, strings, strings_len}};
	memset(flash, 0xFF, MB);
	put_image(flash, 0x1000, FALSE, FALSE, boot, 1, NULL);
	put_image(flash + 0x1000, 0x40000, FALSE, FALSE, app, 2, NULL);
	memset(flash + MB - 0x4000, 0x05, 128); /* PHY init data */
	return flash;
}

static void
test_esp8266_firmware(void)
{
	static const guint8 tasmota[] = "Tasmota\0%s-%06X\0" "192.168.4.1\0" "14.2.0\0(release-tasmota)";
	static const guint8 esphome[] = "esphome\0ESPHome version 2024.6.1 compiled on %s\0";
	static const guint8 vendor[] = "Smart plug\0v1\0";
	/* a version string far from the marker is not taken for the firmware's */
	static const guint8 far[] = "Tasmota\0"
				    "................................................................"
				    "................................................................"
				    "................................................................\0"
				    "2.7.4\0";
	g_autofree guint8 *a = make_esp8266(tasmota, sizeof(tasmota));
	g_autofree guint8 *b = make_esp8266(esphome, sizeof(esphome));
	g_autofree guint8 *c = make_esp8266(vendor, sizeof(vendor));
	g_autoptr(FkImageDescription) ia = fk_image_info_describe(a, MB);
	g_autoptr(FkImageDescription) ib = fk_image_info_describe(b, MB);
	g_autoptr(FkImageDescription) ic = NULL;
	g_autofree guint8 *d = make_esp8266(far, sizeof(far));
	g_autoptr(FkImageDescription) id = fk_image_info_describe(d, MB);
	static const guint8 not_a_table[] = {0xAA, 0x50, 0x00, 0x00, 0x34, 0x12, 0x00, 0x00};
	g_autofree gchar *text = NULL;

	/* bytes that start with the table's magic, at a sector below 64 KB, are no table unless
	 * they look like an entry */
	memcpy(c + 0x5000, not_a_table, sizeof(not_a_table));
	ic = fk_image_info_describe(c, MB);
	g_assert_cmpint(ic->kind, ==, FK_DUMP_ESP8266);
	g_assert_false(ic->table.found);
	text = fk_image_info_to_text(ia);

	g_assert_cmpint(ia->kind, ==, FK_DUMP_ESP8266);
	g_assert_cmpint(ia->esp8266.layout, ==, FK_ESP8266_LAYOUT_ARDUINO);
	g_assert_cmpuint(ia->esp8266.app.offset, ==, 0x1000);
	g_assert_true(ia->esp8266.app.checksum_ok);
	g_assert_cmpint(ia->esp8266.firmware.kind, ==, FK_FIRMWARE_TASMOTA);
	g_assert_cmpstr(ia->esp8266.firmware.version, ==, "14.2.0");
	g_assert_false(ia->esp8266.sdk[FK_SDK_AREA_PHY_INIT].erased);
	g_assert_true(ia->esp8266.sdk[FK_SDK_AREA_SYSTEM_PARAMS].erased);
	g_assert_cmpuint(n_warnings(ia), ==, 0);
	g_assert_nonnull(strstr(text, "Tasmota 14.2.0"));
	g_assert_nonnull(strstr(text, "Arduino eboot"));

	g_assert_cmpint(ib->esp8266.firmware.kind, ==, FK_FIRMWARE_ESPHOME);
	g_assert_cmpstr(ib->esp8266.firmware.version, ==, "2024.6.1");
	g_assert_cmpint(ic->esp8266.firmware.kind, ==, FK_FIRMWARE_NOT_RECOGNISED);
	g_assert_cmpint(id->esp8266.firmware.kind, ==, FK_FIRMWARE_TASMOTA);
	g_assert_cmpstr(id->esp8266.firmware.version, ==, "");
}

static void
test_lone_images_and_erased(void)
{
	guint8 *img = g_malloc(0x4000);
	guint8 ff[0x20000];
	gsize len;
	g_autoptr(FkImageDescription) app = NULL;
	g_autoptr(FkImageDescription) erased = NULL;
	g_autoptr(FkImageDescription) empty = NULL;

	put_app(img, 0x4000, "doorbell", "0.3.0", &len);
	app = fk_image_info_describe(img, len);
	g_assert_cmpint(app->kind, ==, FK_DUMP_APP_IMAGE);
	g_assert_true(app->app.found);
	g_assert_cmpstr(app->app.project_name, ==, "doorbell");
	g_assert_cmpstr(app->app.idf_ver, ==, "v5.3.1");
	g_assert_cmpuint(n_warnings(app), ==, 0);

	memset(ff, 0xFF, sizeof(ff));
	erased = fk_image_info_describe(ff, sizeof(ff));
	g_assert_cmpint(erased->kind, ==, FK_DUMP_ERASED);
	g_assert_cmpuint(erased->erased_bytes, ==, sizeof(ff));
	g_assert_cmpuint(erased->erased_regions->len, ==, 1);

	empty = fk_image_info_describe(NULL, 0);
	g_assert_cmpint(empty->kind, ==, FK_DUMP_UNKNOWN);
	g_assert_true(has_warning(empty, "empty"));
	g_free(img);
}

/* every length the dump could be cut at, each in an allocation of exactly that length, so
 * that a read past the data is a sanitizer report */
static void
test_every_cut(void)
{
	gsize size;
	g_autofree guint8 *flash = make_ota_flash(&size);
	put_otadata(flash, 0xD000, 0, 1, 2, TRUE);
	for (gsize cut = 0; cut < 0x12000; cut += (cut < 0x9000 ? 7 : 61)) {
		guint8 *copy = g_memdup2(flash, cut);
		FkImageDescription *info = fk_image_info_describe(copy, cut);
		gchar *text = fk_image_info_to_text(info);
		g_assert_nonnull(text);
		g_free(text);
		fk_image_description_free(info);
		g_free(copy);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/fk/image-info/simulated-esp32", test_simulated_esp32);
	g_test_add_func("/fk/image-info/simulated-esp8266", test_simulated_esp8266);
	g_test_add_func("/fk/image-info/ota-selection", test_ota_selection);
	g_test_add_func("/fk/image-info/table-damage", test_table_damage);
	g_test_add_func("/fk/image-info/entries-past-end", test_entries_past_end);
	g_test_add_func("/fk/image-info/app-damage", test_app_damage);
	g_test_add_func("/fk/image-info/esp8266-firmware", test_esp8266_firmware);
	g_test_add_func("/fk/image-info/lone-images-and-erased", test_lone_images_and_erased);
	g_test_add_func("/fk/image-info/every-cut", test_every_cut);
	return g_test_run();
}
