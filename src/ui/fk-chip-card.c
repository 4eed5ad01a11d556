/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns the Chip group: model, MAC address, flash, crystal and stub rows, and the identify spinner.
 * May call the chip table (names, manufacturers) and the UI helpers; it is told what to show. */
#include "config.h"

#include <glib/gi18n.h>

#include "fk-chip-card.h"
#include "fk-ui-util.h"

struct _FkChipCard {
	AdwPreferencesGroup parent_instance;

	/* template widgets */
	GtkSpinner *identify_spinner;
	AdwActionRow *chip_row;
	AdwActionRow *mac_row;
	AdwActionRow *flash_row;
	AdwActionRow *crystal_row;
	AdwActionRow *stub_row;
};

G_DEFINE_FINAL_TYPE(FkChipCard, fk_chip_card, ADW_TYPE_PREFERENCES_GROUP)

void
fk_chip_card_clear(FkChipCard *self)
{
	g_return_if_fail(FK_IS_CHIP_CARD(self));
	adw_action_row_set_subtitle(self->chip_row, "—");
	adw_action_row_set_subtitle(self->mac_row, "—");
	adw_action_row_set_subtitle(self->flash_row, "—");
	adw_action_row_set_subtitle(self->crystal_row, "—");
	adw_action_row_set_subtitle(self->stub_row, "—");
}

void
fk_chip_card_show_device(FkChipCard *self,
			 const FkChipInfo *chip,
			 const gchar *description,
			 const gchar *mac,
			 guint32 flash_id,
			 gsize flash_size,
			 guint crystal_mhz,
			 gboolean stub_installed)
{
	g_return_if_fail(FK_IS_CHIP_CARD(self));
	adw_action_row_set_subtitle(self->chip_row, description);
	adw_action_row_set_subtitle(self->mac_row, mac);
	{
		g_autofree gchar *size = flash_size > 0 ? fk_ui_format_bytes(flash_size) : g_strdup(C_("flash size", "unknown size"));
		const gchar *maker = fk_flash_manufacturer_name(flash_id & 0xFF);
		g_autofree gchar *text = NULL;
		if (maker != NULL)
			/* Translators: flash size, manufacturer, JEDEC id */
			text = g_strdup_printf(_("%s, %s (JEDEC ID %06X)"), size, maker, flash_id);
		else
			text = g_strdup_printf(_("%s (JEDEC ID %06X)"), size, flash_id);
		adw_action_row_set_subtitle(self->flash_row, text);
	}
	{
		g_autofree gchar *xtal = crystal_mhz > 0 ? g_strdup_printf(_("%u MHz"), crystal_mhz) : g_strdup("—");
		adw_action_row_set_subtitle(self->crystal_row, xtal);
	}
	if (stub_installed)
		adw_action_row_set_subtitle(self->stub_row, _("Installed: fast reads and compressed writes"));
	else if (chip != NULL && chip->family == FK_CHIP_ESP8266)
		adw_action_row_set_subtitle(self->stub_row,
					    _("Not installed: an ESP8266 cannot be backed up without it (run flashkeep-fetch-stubs)"));
	else
		adw_action_row_set_subtitle(self->stub_row, _("Not installed: the slower ROM loader is used"));
}

void
fk_chip_card_show_identifying(FkChipCard *self)
{
	g_return_if_fail(FK_IS_CHIP_CARD(self));
	adw_action_row_set_subtitle(self->chip_row, _("Identifying…"));
}

void
fk_chip_card_show_error(FkChipCard *self, const GError *error)
{
	const gchar *hint = fk_ui_error_hint(error);
	g_return_if_fail(FK_IS_CHIP_CARD(self));
	adw_action_row_set_subtitle(self->chip_row, fk_ui_error_summary(error, _("Could not identify the chip")));
	adw_action_row_set_subtitle(self->stub_row, hint != NULL ? hint : error->message);
}

void
fk_chip_card_set_busy(FkChipCard *self, gboolean busy)
{
	g_return_if_fail(FK_IS_CHIP_CARD(self));
	gtk_spinner_set_spinning(self->identify_spinner, busy);
}

static void
fk_chip_card_dispose(GObject *object)
{
	gtk_widget_dispose_template(GTK_WIDGET(object), FK_TYPE_CHIP_CARD);
	G_OBJECT_CLASS(fk_chip_card_parent_class)->dispose(object);
}

static void
fk_chip_card_init(FkChipCard *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
}

static void
fk_chip_card_class_init(FkChipCardClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	object_class->dispose = fk_chip_card_dispose;

	gtk_widget_class_set_template_from_resource(widget_class, "/io/github/flashkeep/Flashkeep/fk-chip-card.ui");
	gtk_widget_class_bind_template_child(widget_class, FkChipCard, identify_spinner);
	gtk_widget_class_bind_template_child(widget_class, FkChipCard, chip_row);
	gtk_widget_class_bind_template_child(widget_class, FkChipCard, mac_row);
	gtk_widget_class_bind_template_child(widget_class, FkChipCard, flash_row);
	gtk_widget_class_bind_template_child(widget_class, FkChipCard, crystal_row);
	gtk_widget_class_bind_template_child(widget_class, FkChipCard, stub_row);
}
