/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns what the window offers for the identified chip: whether Backup is possible (an ESP8266
 * needs its flasher stub), win.install-stubs, which copies the stubs from an esptool found on this
 * computer in a worker, and the options only some chips have (SPI connection). May call fk-stub and
 * fk-stub-install (the copying only in the worker), the chip card and the window's private helpers. */
#include "config.h"

#include <glib/gi18n.h>

#include "fk-error.h"
#include "fk-stub-install.h"
#include "fk-stub.h"
#include "fk-window-private.h"

const gchar *
_fk_window_backup_blocked_reason(FkWindow *self)
{
	FkJobData *d = self->identified;
	if (d == NULL || d->stub_path != NULL || !fk_stub_needed_for_backup(d->chip))
		return NULL;
	return _("An ESP8266 can be backed up only with Espressif’s flasher program (stub), which is not "
		 "installed on this computer");
}

void
_fk_window_update_backup_action(FkWindow *self, gboolean possible)
{
	const gchar *reason = _fk_window_backup_blocked_reason(self);
	gboolean enabled = possible && reason == NULL;

	gtk_widget_action_set_enabled(GTK_WIDGET(self), "win.backup", enabled);
	gtk_widget_action_set_enabled(GTK_WIDGET(self), "win.backup-to", enabled);
	gtk_widget_action_set_enabled(GTK_WIDGET(self), "win.install-stubs",
				      reason != NULL && self->job == NULL && !self->installing_stubs);
	/* the suggested action is the one that can be taken: Install, while Backup cannot */
	if (reason != NULL) {
		gtk_widget_set_tooltip_text(self->backup_button, reason);
		gtk_widget_remove_css_class(self->backup_button, "suggested-action");
	} else {
		gtk_widget_set_tooltip_text(self->backup_button, _("Save a verified copy of the flash to a file"));
		gtk_widget_add_css_class(self->backup_button, "suggested-action");
	}
}

void
_fk_window_chip_refresh(FkWindow *self)
{
	const gchar *reason = _fk_window_backup_blocked_reason(self);
	g_autoptr(GPtrArray) sources = NULL;
	g_autofree gchar *command = NULL;

	/* the ESP8266 has no choice of SPI pins; the ESP32 family does */
	gtk_widget_set_visible(GTK_WIDGET(self->spi_row), self->identified == NULL || self->identified->chip == NULL ||
							      self->identified->chip->family != FK_CHIP_ESP8266);
	if (self->identified == NULL)
		return;
	if (reason == NULL) {
		fk_chip_card_set_backup_state(self->chip_card, NULL, FALSE, NULL);
		return;
	}
	sources = fk_stub_list_sources();
	if (sources->len == 0)
		command = fk_stub_install_command();
	fk_chip_card_set_backup_state(self->chip_card, reason, sources->len > 0, command);
}

/* ---- installing, in a worker ---- */

static void
fk_window_install_stubs_thread(GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
	const FkChipInfo *chip = task_data;
	g_autoptr(GPtrArray) sources = fk_stub_list_sources();
	g_autoptr(GError) error_last = NULL;

	for (guint i = 0; i < sources->len; i++) {
		g_autoptr(FkStub) stub = NULL;
		g_autoptr(GError) error = NULL;
		if (!fk_stub_install_from(g_ptr_array_index(sources, i), NULL, NULL, &error)) {
			g_clear_error(&error_last);
			error_last = g_steal_pointer(&error);
			continue;
		}
		stub = fk_stub_find(chip, &error);
		if (stub != NULL) {
			g_task_return_pointer(task, g_strdup(stub->path), g_free);
			return;
		}
		g_clear_error(&error_last);
		error_last = g_steal_pointer(&error);
	}
	if (error_last != NULL) {
		g_task_return_error(task, g_steal_pointer(&error_last));
		return;
	}
	g_task_return_new_error(task, FK_ERROR, FK_ERROR_STUB_MISSING,
				_("No esptool or esptool-js with a flasher program for the %s was found on this computer"),
				chip->name);
}

static void
fk_window_install_stubs_done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	FkWindow *self = FK_WINDOW(source);
	const FkChipInfo *chip = g_task_get_task_data(G_TASK(res));
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = g_task_propagate_pointer(G_TASK(res), &error);

	/* the window was closed meanwhile: the stubs are installed, there is nothing to show */
	if (g_cancellable_is_cancelled(g_task_get_cancellable(G_TASK(res))))
		return;
	self->installing_stubs = FALSE;
	if (path == NULL) {
		g_autofree gchar *command = fk_stub_install_command();
		_fk_window_log(self, "%s", error->message);
		_fk_window_toast(self, _("The flasher program could not be installed"));
		if (self->identified != NULL)
			fk_chip_card_set_backup_state(self->chip_card, error->message, FALSE, command);
	} else {
		_fk_window_log(self, _("Installed the flasher program: %s"), path);
		_fk_window_toast(self, _("Flasher program installed: ready to back up"));
		if (self->identified != NULL && self->identified->chip == chip) {
			g_free(self->identified->stub_path);
			self->identified->stub_path = g_steal_pointer(&path);
		}
		_fk_window_show_device(self);
	}
	_fk_window_update_actions(self);
}

static void
fk_window_install_stubs_action(GtkWidget *widget, const gchar *action_name, GVariant *param)
{
	FkWindow *self = FK_WINDOW(widget);
	g_autoptr(GTask) task = NULL;

	if (self->installing_stubs || self->identified == NULL || self->identified->chip == NULL)
		return;
	self->installing_stubs = TRUE;
	if (self->closing == NULL)
		self->closing = g_cancellable_new();
	task = g_task_new(self, self->closing, fk_window_install_stubs_done_cb, NULL);
	/* the copy is short and leaves whole files: it is not interrupted, its result dropped */
	g_task_set_check_cancellable(task, FALSE);
	g_task_set_source_tag(task, fk_window_install_stubs_action);
	/* the chip table is static: the worker may keep the pointer */
	g_task_set_task_data(task, (gpointer)self->identified->chip, NULL);
	_fk_window_update_actions(self);
	g_task_run_in_thread(task, fk_window_install_stubs_thread);
}

void
_fk_window_class_chip_init(GtkWidgetClass *widget_class)
{
	gtk_widget_class_install_action(widget_class, "win.install-stubs", NULL, fk_window_install_stubs_action);
}
