/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns the words a person reads about what a flash dump holds (the list of backups and the
 * restore question use them); calls the engine's image description and the UI helpers. */
#include "config.h"

#include <glib/gi18n.h>

#include "fk-ui-contents.h"
#include "fk-ui-util.h"

static gchar *
fk_ui_app_name(const FkImageInfoAppDesc *app, const FkImageInfoFirmware *firmware)
{
	if (firmware != NULL && firmware->kind != FK_FIRMWARE_NOT_RECOGNISED) {
		if (firmware->version[0] != '\0')
			return g_strdup_printf("%s %s", fk_firmware_kind_to_string(firmware->kind), firmware->version);
		return g_strdup(fk_firmware_kind_to_string(firmware->kind));
	}
	if (app != NULL && app->found && app->project_name[0] != '\0')
		return g_strdup_printf("%s %s", app->project_name, app->version);
	return NULL;
}

gchar *
fk_ui_describe_contents(const FkImageDescription *desc)
{
	if (desc == NULL)
		return g_strdup(_("contents not read"));
	switch (desc->kind) {
	case FK_DUMP_ERASED:
		return g_strdup(_("empty (erased)"));
	case FK_DUMP_PARTITIONED: {
		gint boot = desc->table.boot_app;
		if (desc->table.found && boot >= 0 && (guint)boot < desc->table.partitions->len) {
			const FkImageInfoPartition *p = &g_array_index(desc->table.partitions, FkImageInfoPartition, boot);
			gchar *name = fk_ui_app_name(&p->app, &p->firmware);
			if (name != NULL)
				return name;
		}
		if (desc->table.found)
			return g_strdup_printf(ngettext("ESP-IDF firmware, %u partition", "ESP-IDF firmware, %u partitions",
							desc->table.partitions->len),
					       desc->table.partitions->len);
		return g_strdup(_("ESP-IDF bootloader, no partition table"));
	}
	case FK_DUMP_ESP8266: {
		gchar *name = fk_ui_app_name(NULL, &desc->esp8266.firmware);
		return name != NULL ? name : g_strdup(_("ESP8266 firmware"));
	}
	case FK_DUMP_APP_IMAGE: {
		gchar *name = fk_ui_app_name(&desc->app, &desc->firmware);
		return name != NULL ? name : g_strdup(_("an app image"));
	}
	case FK_DUMP_BOOT_IMAGE:
		return g_strdup(_("a boot image"));
	case FK_DUMP_UNKNOWN:
	default:
		return g_strdup(_("contents not recognised"));
	}
}

gchar *
fk_ui_describe_partition(const FkImageDescription *desc, guint i)
{
	const FkImageInfoPartition *p = &g_array_index(desc->table.partitions, FkImageInfoPartition, i);
	const gchar *sub = fk_partition_subtype_to_string(p->type, p->subtype);
	g_autofree gchar *size = fk_ui_format_bytes(p->size);
	g_autofree gchar *app = NULL;
	GString *str = g_string_new(NULL);

	/* Translators: a partition's kind, size and address, e.g. "nvs · 24 KB at 0x9000" */
	g_string_append_printf(str, _("%s · %s at 0x%x"), sub != NULL ? sub : "?", size, p->offset);
	if (p->type == FK_PARTITION_TYPE_APP)
		app = fk_ui_app_name(&p->app, &p->firmware);
	if (app != NULL)
		g_string_append_printf(str, " · %s", app);
	if ((gint)i == desc->table.boot_app)
		g_string_append_printf(str, " · %s", _("started at boot"));
	if (!p->inside)
		g_string_append_printf(str, " · %s", _("not in the file"));
	else if (p->erased)
		g_string_append_printf(str, " · %s", _("empty"));
	return g_string_free(str, FALSE);
}

gchar *
fk_ui_describe_parts(const FkImageDescription *desc)
{
	GString *str = g_string_new(NULL);

	if (desc != NULL && desc->table.found) {
		for (guint i = 0; i < desc->table.partitions->len; i++) {
			const FkImageInfoPartition *p = &g_array_index(desc->table.partitions, FkImageInfoPartition, i);
			g_autofree gchar *line = fk_ui_describe_partition(desc, i);
			g_string_append_printf(str, "%s%s · %s", str->len > 0 ? "\n" : "", p->label, line);
		}
	} else if (desc != NULL && desc->kind == FK_DUMP_ESP8266) {
		g_string_append(str, fk_esp8266_layout_to_string(desc->esp8266.layout));
	}
	if (desc != NULL && desc->warnings->len > 0) {
		for (guint i = 0; i < desc->warnings->len; i++)
			g_string_append_printf(str, "%s⚠ %s", str->len > 0 ? "\n" : "",
					       (const gchar *)g_ptr_array_index(desc->warnings, i));
	}
	if (str->len == 0) {
		g_string_free(str, TRUE);
		return NULL;
	}
	return g_string_free(str, FALSE);
}
