/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the plain-text description of a flash dump that flashkeep-cli image_info prints; calls
 * the chip table's names and sizes */
#include "config.h"

#include "fk-image-info-private.h"

const gchar *
fk_firmware_kind_to_string(FkFirmwareKind kind)
{
	switch (kind) {
	case FK_FIRMWARE_TASMOTA:
		return "Tasmota";
	case FK_FIRMWARE_ESPHOME:
		return "ESPHome";
	case FK_FIRMWARE_ESPURNA:
		return "ESPurna";
	case FK_FIRMWARE_NODEMCU:
		return "NodeMCU";
	case FK_FIRMWARE_ARDUINO:
		return "an Arduino program";
	case FK_FIRMWARE_NOT_RECOGNISED:
	default:
		return "not recognised";
	}
}

const gchar *
fk_esp8266_layout_to_string(FkEsp8266Layout layout)
{
	switch (layout) {
	case FK_ESP8266_LAYOUT_NONOS:
		return "one image at 0x0 (NONOS SDK, no OTA)";
	case FK_ESP8266_LAYOUT_ARDUINO:
		return "bootloader at 0x0, app at 0x1000 (Arduino eboot, as Tasmota, ESPHome and ESPurna use)";
	case FK_ESP8266_LAYOUT_ESPRESSIF_OTA:
		return "boot.bin at 0x0, user1.bin at 0x1000 (Espressif SDK OTA)";
	case FK_ESP8266_LAYOUT_RBOOT:
		return "rBoot at 0x0, its configuration at 0x1000";
	case FK_ESP8266_LAYOUT_UNKNOWN:
	default:
		return "unknown";
	}
}

static const gchar *
fk_dump_kind_to_string(FkDumpKind kind)
{
	switch (kind) {
	case FK_DUMP_ERASED:
		return "an erased flash (every byte 0xFF)";
	case FK_DUMP_PARTITIONED:
		return "an ESP-IDF flash dump (bootloader and partition table)";
	case FK_DUMP_ESP8266:
		return "an ESP8266 flash dump";
	case FK_DUMP_APP_IMAGE:
		return "an app image";
	case FK_DUMP_BOOT_IMAGE:
		return "a boot image";
	case FK_DUMP_UNKNOWN:
	default:
		return "not recognised: no boot image, no partition table";
	}
}

static const gchar *
fk_ota_state_to_string(guint32 state)
{
	const gchar *names[] = {"new", "pending verify", "valid", "invalid", "aborted"};
	if (state < G_N_ELEMENTS(names))
		return names[state];
	return state == G_MAXUINT32 ? "undefined" : "unknown state";
}

static void
fk_text_image(GString *str, const gchar *indent, const FkImageInfoImage *img)
{
	g_autofree gchar *size = img->flash_size > 0 ? fk_format_size(img->flash_size) : g_strdup("?");
	g_string_append_printf(str, "%s%u segment%s, %s, flash size %s", indent, img->n_segments,
			       img->n_segments == 1 ? "" : "s", fk_flash_mode_to_string(img->header.flash_mode), size);
	if (img->chip != NULL)
		g_string_append_printf(str, ", for the %s", img->chip->name);
	if (!img->complete)
		g_string_append(str, "; cut short");
	else
		g_string_append_printf(str, "; %u bytes, checksum %s", (guint)img->length,
				       img->checksum_ok ? "valid" : "WRONG");
	if (img->sha256_present)
		g_string_append_printf(str, ", SHA-256 %s", img->sha256_ok ? "valid" : "WRONG");
	else if (img->header.hash_appended)
		g_string_append(str, ", SHA-256 missing");
	g_string_append_c(str, '\n');
}

static void
fk_text_app(GString *str, const gchar *indent, const FkImageInfoAppDesc *app)
{
	if (!app->found)
		return;
	g_string_append_printf(str, "%sapp “%s” version %s, ESP-IDF %s, built %s %s\n", indent,
			       app->project_name, app->version, app->idf_ver, app->date, app->time);
}

static void
fk_text_firmware(GString *str, const gchar *indent, const FkImageInfoFirmware *fw)
{
	if (fw->kind == FK_FIRMWARE_NOT_RECOGNISED) {
		g_string_append_printf(str, "%sfirmware: not recognised (no known marker string)\n", indent);
		return;
	}
	g_string_append_printf(str, "%sfirmware: %s", indent, fk_firmware_kind_to_string(fw->kind));
	if (fw->version[0] != '\0')
		g_string_append_printf(str, " %s", fw->version);
	else
		g_string_append(str, " (the image prints no version)");
	g_string_append_printf(str, " (marker at 0x%x)\n", fw->marker_offset);
}

static void
fk_text_table(GString *str, const FkImageDescription *self)
{
	const FkImageInfoTable *t = &self->table;
	g_string_append_printf(str, "Partition table at 0x%x: %u partitions, MD5 %s\n", t->offset,
			       t->partitions->len,
			       !t->md5_present ? "entry absent" : t->md5_ok ? "valid" : "WRONG");
	for (guint i = 0; i < t->partitions->len; i++) {
		const FkImageInfoPartition *p = &g_array_index(t->partitions, FkImageInfoPartition, i);
		const gchar *sub = fk_partition_subtype_to_string(p->type, p->subtype);
		g_autofree gchar *subtype = sub != NULL ? g_strdup(sub) : g_strdup_printf("0x%02x", p->subtype);
		g_autofree gchar *type = p->type == FK_PARTITION_TYPE_APP	 ? g_strdup("app")
					 : p->type == FK_PARTITION_TYPE_DATA ? g_strdup("data")
									      : g_strdup_printf("0x%02x", p->type);
		g_autofree gchar *size = fk_format_size(p->size);
		g_string_append_printf(str, "  %-16s %-4s %-9s 0x%06x %8s", p->label, type, subtype, p->offset, size);
		if (p->flags & 0x1)
			g_string_append(str, " encrypted");
		if (p->flags & 0x2)
			g_string_append(str, " read-only");
		if (p->offset >= self->size)
			g_string_append(str, "  not in the dump");
		else if (p->erased)
			g_string_append(str, "  erased");
		else if (p->type == FK_PARTITION_TYPE_APP && !p->image.found)
			g_string_append(str, "  no app image");
		else
			g_string_append(str, "  in use");
		if (p->littlefs)
			g_string_append(str, " (LittleFS)");
		if ((gint)i == t->boot_app)
			g_string_append(str, "  ← the bootloader starts this one");
		g_string_append_c(str, '\n');
		if (p->type == FK_PARTITION_TYPE_APP && p->image.found) {
			fk_text_app(str, "      ", &p->app);
			fk_text_image(str, "      ", &p->image);
			fk_text_firmware(str, "      ", &p->firmware);
		}
	}
	if (t->otadata < 0) {
		g_string_append(str, "OTA: no otadata partition\n");
		return;
	}
	g_string_append(str, "OTA data:");
	for (guint i = 0; i < 2; i++) {
		if (t->ota_seq[i] == G_MAXUINT32 && !t->ota_valid[i])
			g_string_append_printf(str, " entry %u empty;", i);
		else
			g_string_append_printf(str, " entry %u seq %u, state %s, %s;", i, t->ota_seq[i],
					       fk_ota_state_to_string(t->ota_state[i]),
					       t->ota_valid[i] ? "counts" : "does not count");
	}
	if (t->ota_slot >= 0)
		g_string_append_printf(str, " active slot ota_%d\n", t->ota_slot);
	else
		g_string_append(str, " no valid entry, so the factory app (or ota_0) starts\n");
}

static void
fk_text_esp8266(GString *str, const FkImageDescription *self)
{
	const FkImageInfoEsp8266 *e = &self->esp8266;
	static const gchar *area_names[FK_SDK_AREA_N] = {"RF calibration", "PHY init data (esp_init_data_default)",
							  "system parameters", "system parameter flag"};
	g_string_append_printf(str, "Layout: %s\n", fk_esp8266_layout_to_string(e->layout));
	if (e->rboot_rom >= 0)
		g_string_append_printf(str, "  rBoot starts ROM %d\n", e->rboot_rom);
	/* NONOS: the app is the boot image above */
	if (e->app.found && e->layout != FK_ESP8266_LAYOUT_NONOS) {
		g_string_append_printf(str, "App at 0x%x:\n", e->app.offset);
		fk_text_image(str, "  ", &e->app);
	}
	if (e->irom_offset != 0)
		g_string_append_printf(str, "  IROM code at 0x%x\n", e->irom_offset);
	fk_text_firmware(str, "  ", &e->firmware);
	if (!e->sdk[FK_SDK_AREA_PHY_INIT].inside) {
		g_string_append(str, "SDK areas: the file is not a whole flash, so the end of the flash is not in it\n");
		return;
	}
	g_string_append(str, "SDK areas at the end of the flash:\n");
	for (guint i = 0; i < FK_SDK_AREA_N; i++)
		g_string_append_printf(str, "  0x%06x %-38s %s\n", e->sdk[i].offset, area_names[i],
				       e->sdk[i].erased ? "erased" : "present");
}

gchar *
fk_image_info_to_text(const FkImageDescription *self)
{
	GString *str = g_string_new(NULL);
	g_autofree gchar *size = fk_format_size(self->size);

	g_string_append_printf(str, "Size: %s (%" G_GSIZE_FORMAT " bytes)\n", size, self->size);
	g_string_append_printf(str, "Contents: %s\n", fk_dump_kind_to_string(self->kind));
	if (self->chip != NULL)
		g_string_append_printf(str, "Chip: %s\n", self->chip->name);
	if (self->boot.found) {
		g_string_append_printf(str, "%s at 0x%x:\n",
				       self->kind == FK_DUMP_APP_IMAGE ? "Image" : "Boot image", self->boot.offset);
		fk_text_image(str, "  ", &self->boot);
		if (self->boot_desc.found)
			g_string_append_printf(str, "  bootloader of ESP-IDF %s, built %s\n", self->boot_desc.idf_ver,
					       self->boot_desc.date_time);
	}
	if (self->kind == FK_DUMP_APP_IMAGE) {
		fk_text_app(str, "  ", &self->app);
		fk_text_firmware(str, "  ", &self->firmware);
	}
	if (self->table.found)
		fk_text_table(str, self);
	if (self->kind == FK_DUMP_ESP8266)
		fk_text_esp8266(str, self);
	if (self->size > 0) {
		g_autofree gchar *erased = fk_format_size(self->erased_bytes);
		g_string_append_printf(str, "Erased: %s of %s (%u%%)", erased, size,
				       (guint)(self->erased_bytes * 100 / self->size));
		if (self->erased_regions->len > 0)
			g_string_append(str, "; areas of 64 KB or more:");
		g_string_append_c(str, '\n');
		for (guint i = 0; i < self->erased_regions->len; i++) {
			const FkImageInfoRegion *r = &g_array_index(self->erased_regions, FkImageInfoRegion, i);
			g_autofree gchar *len = fk_format_size(r->length);
			g_string_append_printf(str, "  0x%06x–0x%06" G_GINT64_MODIFIER "x  %s\n", r->offset,
				       (guint64)r->offset + r->length, len);
		}
	}
	if (self->warnings->len > 0) {
		g_string_append(str, "Warnings:\n");
		for (guint i = 0; i < self->warnings->len; i++)
			g_string_append_printf(str, "  %s\n", (const gchar *)g_ptr_array_index(self->warnings, i));
	}
	return g_string_free(str, FALSE);
}
