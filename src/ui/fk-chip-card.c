/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns the Chip group: what a person needs (chip, flash, MAC address, whether a backup can be made
 * and how to make it possible) and, behind an expander, the technical details (flash chip ID,
 * crystal, flasher stub). May call the chip table and the UI helpers; it is told what to show. */
#include "config.h"

#include <glib/gi18n.h>

#include "fk-chip-card.h"
#include "fk-ui-util.h"

struct _FkChipCard {
	AdwPreferencesGroup parent_instance;

	/* template widgets */
	GtkSpinner *identify_spinner;
	AdwActionRow *chip_row;
	AdwActionRow *flash_row;
	AdwActionRow *mac_row;
	AdwActionRow *status_row;
	GtkWidget *install_button;
	GtkWidget *command_row;
	GtkLabel *command_label;
	AdwExpanderRow *details_row;
	AdwActionRow *flash_id_row;
	AdwActionRow *crystal_row;
	AdwActionRow *stub_row;
};

G_DEFINE_FINAL_TYPE(FkChipCard, fk_chip_card, ADW_TYPE_PREFERENCES_GROUP)

static void
fk_chip_card_hide_install(FkChipCard *self)
{
	gtk_widget_set_visible(self->install_button, FALSE);
	gtk_widget_set_visible(self->command_row, FALSE);
	gtk_label_set_label(self->command_label, "");
}

/* the row with a command to copy: what it is for */
static void
fk_chip_card_show_command(FkChipCard *self, const gchar *title, const gchar *command)
{
	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(self->command_row), title);
	gtk_widget_set_visible(self->command_row, command != NULL);
	gtk_label_set_label(self->command_label, command != NULL ? command : "");
}

void
fk_chip_card_clear(FkChipCard *self)
{
	g_return_if_fail(FK_IS_CHIP_CARD(self));
	adw_action_row_set_subtitle(self->chip_row, "—");
	adw_action_row_set_subtitle(self->flash_row, "—");
	adw_action_row_set_subtitle(self->mac_row, "—");
	adw_action_row_set_subtitle(self->status_row, "—");
	adw_action_row_set_subtitle(self->flash_id_row, "—");
	adw_action_row_set_subtitle(self->crystal_row, "—");
	adw_action_row_set_subtitle(self->stub_row, "—");
	fk_chip_card_hide_install(self);
}

gchar *
fk_chip_card_format_flash_id(guint32 flash_id)
{
	/* the id is read as a little-endian word: manufacturer, memory type, capacity; esptool
	 * shows the device as memory type then capacity */
	guint manufacturer = flash_id & 0xFF;
	guint device = ((flash_id >> 8) & 0xFF) << 8 | ((flash_id >> 16) & 0xFF);
	const gchar *maker = fk_flash_manufacturer_name((guint8)manufacturer);
	if (maker != NULL)
		/* Translators: the flash chip's JEDEC codes in hexadecimal, then its maker */
		return g_strdup_printf(_("Manufacturer %02X (%s), device %04X"), manufacturer, maker, device);
	/* Translators: the flash chip's JEDEC codes in hexadecimal */
	return g_strdup_printf(_("Manufacturer %02X, device %04X"), manufacturer, device);
}

void
fk_chip_card_show_device(FkChipCard *self,
			 const FkChipInfo *chip,
			 const gchar *description,
			 const gchar *mac,
			 guint32 flash_id,
			 gsize flash_size,
			 guint crystal_mhz,
			 const gchar *stub_path)
{
	g_autofree gchar *size = NULL;
	g_autofree gchar *flash = NULL;
	g_autofree gchar *flash_id_text = NULL;
	g_autofree gchar *xtal = NULL;
	g_autofree gchar *stub = NULL;
	const gchar *maker = fk_flash_manufacturer_name(flash_id & 0xFF);

	g_return_if_fail(FK_IS_CHIP_CARD(self));
	adw_action_row_set_subtitle(self->chip_row, description);
	adw_action_row_set_subtitle(self->mac_row, mac);

	size = flash_size > 0 ? fk_ui_format_bytes(flash_size) : g_strdup(C_("flash size", "unknown size"));
	/* Translators: the flash size, then its maker, e.g. "1 MB, GigaDevice" */
	flash = maker != NULL ? g_strdup_printf(_("%s, %s"), size, maker) : g_strdup(size);
	adw_action_row_set_subtitle(self->flash_row, flash);

	flash_id_text = fk_chip_card_format_flash_id(flash_id);
	adw_action_row_set_subtitle(self->flash_id_row, flash_id_text);
	xtal = crystal_mhz > 0 ? g_strdup_printf(_("%u MHz"), crystal_mhz) : g_strdup("—");
	adw_action_row_set_subtitle(self->crystal_row, xtal);
	if (stub_path != NULL)
		/* Translators: the file of the flasher stub */
		stub = g_strdup_printf(_("Installed (fast reads and compressed writes): %s"), stub_path);
	else if (chip != NULL && chip->family == FK_CHIP_ESP8266)
		stub = g_strdup(_("Not installed: needed to back up an ESP8266"));
	else
		stub = g_strdup(_("Not installed: the slower ROM loader is used"));
	adw_action_row_set_subtitle(self->stub_row, stub);
}

void
fk_chip_card_set_backup_state(FkChipCard *self, const gchar *blocked_reason, gboolean can_install,
			      const gchar *command)
{
	g_return_if_fail(FK_IS_CHIP_CARD(self));
	if (blocked_reason == NULL) {
		adw_action_row_set_subtitle(self->status_row, _("Ready to back up"));
		fk_chip_card_hide_install(self);
		return;
	}
	adw_action_row_set_subtitle(self->status_row, blocked_reason);
	gtk_widget_set_visible(self->install_button, can_install);
	fk_chip_card_show_command(self, _("Command to install the flasher program"), can_install ? NULL : command);
}

void
fk_chip_card_show_identifying(FkChipCard *self)
{
	g_return_if_fail(FK_IS_CHIP_CARD(self));
	adw_action_row_set_subtitle(self->chip_row, _("Identifying…"));
}

void
fk_chip_card_show_error(FkChipCard *self, const GError *error, const FkDiagnosis *diagnosis)
{
	const gchar *hint = fk_ui_error_hint(error);
	g_return_if_fail(FK_IS_CHIP_CARD(self));
	adw_action_row_set_subtitle(self->chip_row, fk_ui_error_summary(error, _("Could not identify the chip")));
	fk_chip_card_hide_install(self);
	/* what the port doctor found beats the general advice */
	if (diagnosis != NULL) {
		adw_action_row_set_subtitle(self->status_row, diagnosis->message);
		fk_chip_card_show_command(self, _("Command that fixes it"), diagnosis->command);
		return;
	}
	adw_action_row_set_subtitle(self->status_row, hint != NULL ? hint : error->message);
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
	gtk_widget_class_bind_template_child(widget_class, FkChipCard, flash_row);
	gtk_widget_class_bind_template_child(widget_class, FkChipCard, mac_row);
	gtk_widget_class_bind_template_child(widget_class, FkChipCard, status_row);
	gtk_widget_class_bind_template_child(widget_class, FkChipCard, install_button);
	gtk_widget_class_bind_template_child(widget_class, FkChipCard, command_row);
	gtk_widget_class_bind_template_child(widget_class, FkChipCard, command_label);
	gtk_widget_class_bind_template_child(widget_class, FkChipCard, details_row);
	gtk_widget_class_bind_template_child(widget_class, FkChipCard, flash_id_row);
	gtk_widget_class_bind_template_child(widget_class, FkChipCard, crystal_row);
	gtk_widget_class_bind_template_child(widget_class, FkChipCard, stub_row);
}
