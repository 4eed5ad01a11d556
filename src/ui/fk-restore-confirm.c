/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns the question asked before a restore: the image's description and its warnings.
 * May call the image inspection of the engine and the UI helpers; the caller starts the restore. */
#include "config.h"

#include <glib/gi18n.h>

#include "fk-flash-bar.h"
#include "fk-image.h"
#include "fk-restore-confirm.h"
#include "fk-ui-util.h"

struct _FkRestoreConfirm {
	AdwMessageDialog parent_instance;
	gchar *path;
	gboolean firmware;
};

G_DEFINE_FINAL_TYPE(FkRestoreConfirm, fk_restore_confirm, ADW_TYPE_MESSAGE_DIALOG)

const gchar *
fk_restore_confirm_get_path(FkRestoreConfirm *self)
{
	g_return_val_if_fail(FK_IS_RESTORE_CONFIRM(self), NULL);
	return self->path;
}

gboolean
fk_restore_confirm_is_firmware(FkRestoreConfirm *self)
{
	g_return_val_if_fail(FK_IS_RESTORE_CONFIRM(self), FALSE);
	return self->firmware;
}

/* a picture of what the image holds, across the chip's flash when its size is known */
static GtkWidget *
fk_restore_confirm_flash_bar(GBytes *image, gsize flash_size)
{
	GtkWidget *bar = fk_flash_bar_new();
	fk_flash_bar_set_image(FK_FLASH_BAR(bar), image, flash_size);
	return bar;
}

FkRestoreConfirm *
fk_restore_confirm_new(GtkWindow *parent,
		       const gchar *path,
		       GBytes *image,
		       const FkChipInfo *chip,
		       const gchar *chip_description,
		       gsize flash_size)
{
	g_autofree gchar *base = g_path_get_basename(path);
	g_autofree gchar *body = NULL;
	FkImageInfo info;
	gboolean warnings = FALSE, blocking = FALSE;
	FkRestoreConfirm *self;
	AdwMessageDialog *dialog;

	fk_image_inspect(g_bytes_get_data(image, NULL), g_bytes_get_size(image), &info);
	body = fk_ui_describe_image(base, g_bytes_get_size(image), &info, chip, chip_description, flash_size,
				    &warnings, &blocking);
	self = g_object_new(FK_TYPE_RESTORE_CONFIRM, "transient-for", parent, "heading", _("Restore This Image?"), NULL);
	self->path = g_strdup(path);
	self->firmware = info.found;
	dialog = ADW_MESSAGE_DIALOG(self);
	adw_message_dialog_set_body_use_markup(dialog, TRUE);
	if (chip_description == NULL) {
		g_autofree gchar *more = g_strdup_printf("%s\n\n%s", body,
							 _("The chip has not been identified yet: the image is checked against it before writing."));
		adw_message_dialog_set_body(dialog, more);
	} else {
		adw_message_dialog_set_body(dialog, body);
	}
	adw_message_dialog_set_extra_child(dialog, fk_restore_confirm_flash_bar(image, flash_size));
	adw_message_dialog_add_responses(dialog, "cancel", _("_Cancel"), "restore",
					 warnings ? _("_Restore Anyway") : _("_Restore"), NULL);
	/* it overwrites the whole flash, like an erase: never the inviting suggested style */
	adw_message_dialog_set_response_appearance(dialog, "restore", ADW_RESPONSE_DESTRUCTIVE);
	adw_message_dialog_set_response_enabled(dialog, "restore", !blocking);
	adw_message_dialog_set_default_response(dialog, "cancel");
	adw_message_dialog_set_close_response(dialog, "cancel");
	return self;
}

void
fk_restore_confirm_add_warning(FkRestoreConfirm *self, const gchar *warning)
{
	AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG(self);
	g_autofree gchar *escaped = g_markup_escape_text(warning, -1);
	g_autofree gchar *body = g_strdup_printf("<b>⚠ %s</b>\n\n%s", escaped, adw_message_dialog_get_body(dialog));

	g_return_if_fail(FK_IS_RESTORE_CONFIRM(self));
	adw_message_dialog_set_body(dialog, body);
	adw_message_dialog_set_response_label(dialog, "restore", _("_Restore Anyway"));
}

static void
fk_restore_confirm_finalize(GObject *object)
{
	FkRestoreConfirm *self = FK_RESTORE_CONFIRM(object);
	g_free(self->path);
	G_OBJECT_CLASS(fk_restore_confirm_parent_class)->finalize(object);
}

static void
fk_restore_confirm_init(FkRestoreConfirm *self)
{
}

static void
fk_restore_confirm_class_init(FkRestoreConfirmClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->finalize = fk_restore_confirm_finalize;
}
