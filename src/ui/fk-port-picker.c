/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns the Board group: the port list (polled, selection kept and remembered) and Flash Size
 * (Detected for every chip identified; another size is for the next operation only).
 * May call the engine's port registry (fk_port_list), GSettings and the UI helpers; no jobs. */
#include "config.h"

#include <glib/gi18n.h>

#include "fk-port-picker.h"
#include "fk-port.h"
#include "fk-ui-util.h"

#define FK_PORT_POLL_MS 2000

static const gsize flash_sizes[] = {
    0, /* detected */
    256 * 1024,	      512 * 1024,	1024 * 1024,	   2 * 1024 * 1024,
    4 * 1024 * 1024,  8 * 1024 * 1024,	16 * 1024 * 1024,  32 * 1024 * 1024,
    64 * 1024 * 1024, 128 * 1024 * 1024,
};

struct _FkPortPicker {
	AdwPreferencesGroup parent_instance;

	/* template widgets */
	AdwComboRow *port_row;
	GtkStringList *port_model;
	AdwComboRow *size_row;
	GtkStringList *size_model;

	/* owned */
	GSettings *settings;
	GPtrArray *ports; /* port names, parallel to port_model */
	guint poll_id;
	gboolean updating;
	gsize detected; /* the identified chip's flash, 0 when unknown */
	gboolean busy;
};

G_DEFINE_FINAL_TYPE(FkPortPicker, fk_port_picker, ADW_TYPE_PREFERENCES_GROUP)

enum { PROP_0, PROP_PORT, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum { SIGNAL_PORT_GONE, SIGNAL_PORTS_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

const gchar *
fk_port_picker_get_port(FkPortPicker *self)
{
	guint idx;
	g_return_val_if_fail(FK_IS_PORT_PICKER(self), NULL);
	idx = adw_combo_row_get_selected(self->port_row);
	if (idx == GTK_INVALID_LIST_POSITION || idx >= self->ports->len)
		return NULL;
	return g_ptr_array_index(self->ports, idx);
}

gboolean
fk_port_picker_select_port(FkPortPicker *self, const gchar *port)
{
	g_return_val_if_fail(FK_IS_PORT_PICKER(self), FALSE);
	for (guint i = 0; i < self->ports->len; i++) {
		if (g_strcmp0(g_ptr_array_index(self->ports, i), port) == 0) {
			adw_combo_row_set_selected(self->port_row, i);
			return TRUE;
		}
	}
	return FALSE;
}

static void
fk_port_picker_refresh(FkPortPicker *self)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) found = fk_port_list(NULL);
	g_autofree gchar *selected = g_strdup(fk_port_picker_get_port(self));
	gboolean same = TRUE;

	for (guint i = 0; found != NULL && i < found->len; i++) {
		FkPortInfo *info = g_ptr_array_index(found, i);
		/* built-in ttyS ports are never an ESP board */
		if (info->kind == FK_PORT_KIND_SERIAL)
			continue;
		g_ptr_array_add(names, g_strdup(info->name));
		if (info->kind == FK_PORT_KIND_SIMULATED)
			g_ptr_array_add(labels, g_strdup(info->description));
		else if (info->description != NULL)
			g_ptr_array_add(labels, g_strdup_printf("%s — %s", info->description, info->name));
		else
			g_ptr_array_add(labels, g_strdup(info->name));
	}
	if (names->len != self->ports->len) {
		same = FALSE;
	} else {
		for (guint i = 0; i < names->len; i++) {
			if (g_strcmp0(g_ptr_array_index(names, i), g_ptr_array_index(self->ports, i)) != 0)
				same = FALSE;
		}
	}
	if (same)
		return;

	/* rebuild without losing the selection */
	self->updating = TRUE;
	g_ptr_array_set_size(self->ports, 0);
	for (guint i = 0; i < names->len; i++)
		g_ptr_array_add(self->ports, g_strdup(g_ptr_array_index(names, i)));
	g_ptr_array_add(labels, NULL);
	gtk_string_list_splice(self->port_model, 0,
			       g_list_model_get_n_items(G_LIST_MODEL(self->port_model)),
			       (const gchar *const *)labels->pdata);
	if (selected == NULL || !fk_port_picker_select_port(self, selected)) {
		g_autofree gchar *last = g_settings_get_string(self->settings, "last-port");
		if (!fk_port_picker_select_port(self, last))
			adw_combo_row_set_selected(self->port_row, 0);
	}
	self->updating = FALSE;
	if (g_strcmp0(selected, fk_port_picker_get_port(self)) != 0) {
		if (selected != NULL)
			g_signal_emit(self, signals[SIGNAL_PORT_GONE], 0, selected);
		g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_PORT]);
	}
	g_signal_emit(self, signals[SIGNAL_PORTS_CHANGED], 0);
}

const GPtrArray *
fk_port_picker_get_ports(FkPortPicker *self)
{
	g_return_val_if_fail(FK_IS_PORT_PICKER(self), NULL);
	return self->ports;
}

/* the list's labels: a port's name tells boards apart at its end ("…, 1 MB", "/dev/ttyUSB1"), so
 * a long one loses its middle, never its end; the tooltip has it whole */
static void
fk_port_picker_setup_item_cb(GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
	GtkWidget *label = gtk_label_new(NULL);
	gtk_label_set_xalign(GTK_LABEL(label), 0);
	gtk_label_set_ellipsize(GTK_LABEL(label), PANGO_ELLIPSIZE_MIDDLE);
	gtk_label_set_width_chars(GTK_LABEL(label), 12);
	gtk_label_set_max_width_chars(GTK_LABEL(label), 48);
	gtk_list_item_set_child(item, label);
}

static void
fk_port_picker_bind_item_cb(GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
	GtkWidget *label = gtk_list_item_get_child(item);
	const gchar *text = gtk_string_object_get_string(GTK_STRING_OBJECT(gtk_list_item_get_item(item)));
	gtk_label_set_label(GTK_LABEL(label), text);
	gtk_widget_set_tooltip_text(label, text);
}

static gboolean
fk_port_picker_poll_cb(gpointer user_data)
{
	FkPortPicker *self = FK_PORT_PICKER(user_data);
	/* the list cannot change under a running job: its port is in use */
	if (!self->busy)
		fk_port_picker_refresh(self);
	return G_SOURCE_CONTINUE;
}

static void
on_port_row_notify_selected_cb(AdwComboRow *row, GParamSpec *pspec, FkPortPicker *self)
{
	const gchar *port;
	if (self->updating)
		return;
	port = fk_port_picker_get_port(self);
	if (port != NULL)
		g_settings_set_string(self->settings, "last-port", port);
	g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_PORT]);
}

gsize
fk_port_picker_get_flash_size(FkPortPicker *self)
{
	guint idx;
	g_return_val_if_fail(FK_IS_PORT_PICKER(self), 0);
	idx = adw_combo_row_get_selected(self->size_row);
	return idx < G_N_ELEMENTS(flash_sizes) ? flash_sizes[idx] : 0;
}

void
fk_port_picker_set_detected_size(FkPortPicker *self, gsize detected)
{
	g_autofree gchar *label = NULL;
	g_return_if_fail(FK_IS_PORT_PICKER(self));
	if (detected > 0) {
		g_autofree gchar *size = fk_ui_format_bytes(detected);
		/* Translators: the flash size the chip reported */
		label = g_strdup_printf(_("Detected (%s)"), size);
	} else {
		label = g_strdup(_("Detected"));
	}
	{
		/* every chip starts from its own size: a smaller or larger one chosen for another
		 * chip would silently give a partial backup, or one that cannot be read */
		const gchar *items[] = {label, NULL};
		self->detected = detected;
		gtk_string_list_splice(self->size_model, 0, 1, items);
		adw_combo_row_set_selected(self->size_row, 0);
		adw_action_row_set_subtitle(ADW_ACTION_ROW(self->size_row), "");
	}
}

static void
on_size_row_notify_selected_cb(AdwComboRow *row, GParamSpec *pspec, FkPortPicker *self)
{
	gsize chosen = fk_port_picker_get_flash_size(self);
	if (self->detected > 0 && chosen > self->detected) {
		/* refused where it is chosen rather than after connecting; the message stays with
		 * Detected until another size is chosen or another chip identified */
		g_autofree gchar *flash = fk_ui_format_bytes(self->detected);
		g_autofree gchar *size = fk_ui_format_bytes(chosen);
		/* Translators: the chip's flash size, then the size that was chosen */
		g_autofree gchar *message = g_strdup_printf(_("This chip has %s of flash; a %s backup cannot be read from it"),
							    flash, size);
		adw_action_row_set_subtitle(ADW_ACTION_ROW(row), message);
		adw_combo_row_set_selected(row, 0);
	} else if (chosen > 0) {
		adw_action_row_set_subtitle(ADW_ACTION_ROW(row), "");
	}
}

void
fk_port_picker_set_busy(FkPortPicker *self, gboolean busy)
{
	g_return_if_fail(FK_IS_PORT_PICKER(self));
	self->busy = busy;
	gtk_widget_set_sensitive(GTK_WIDGET(self->port_row), !busy);
	gtk_widget_set_sensitive(GTK_WIDGET(self->size_row), !busy);
}

static void
fk_port_picker_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
	FkPortPicker *self = FK_PORT_PICKER(object);
	switch (prop_id) {
	case PROP_PORT:
		g_value_set_string(value, fk_port_picker_get_port(self));
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
		break;
	}
}

static void
fk_port_picker_dispose(GObject *object)
{
	FkPortPicker *self = FK_PORT_PICKER(object);
	g_clear_handle_id(&self->poll_id, g_source_remove);
	gtk_widget_dispose_template(GTK_WIDGET(self), FK_TYPE_PORT_PICKER);
	G_OBJECT_CLASS(fk_port_picker_parent_class)->dispose(object);
}

static void
fk_port_picker_finalize(GObject *object)
{
	FkPortPicker *self = FK_PORT_PICKER(object);
	g_clear_object(&self->settings);
	g_ptr_array_unref(self->ports);
	G_OBJECT_CLASS(fk_port_picker_parent_class)->finalize(object);
}

static void
fk_port_picker_init(FkPortPicker *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	self->settings = g_settings_new(APP_ID);
	self->ports = g_ptr_array_new_with_free_func(g_free);

	{
		g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new();
		g_signal_connect(factory, "setup", G_CALLBACK(fk_port_picker_setup_item_cb), NULL);
		g_signal_connect(factory, "bind", G_CALLBACK(fk_port_picker_bind_item_cb), NULL);
		adw_combo_row_set_factory(self->port_row, factory);
	}

	{
		/* the first entry is replaced with "Detected (…)" once the chip is known */
		GPtrArray *items = g_ptr_array_new();
		g_ptr_array_add(items, g_strdup(_("Detected")));
		for (guint i = 1; i < G_N_ELEMENTS(flash_sizes); i++)
			g_ptr_array_add(items, fk_ui_format_bytes(flash_sizes[i]));
		g_ptr_array_add(items, NULL);
		gtk_string_list_splice(self->size_model, 0, 0, (const gchar *const *)items->pdata);
		g_ptr_array_set_free_func(items, g_free);
		g_ptr_array_unref(items);
	}
	/* Flash Size is not remembered: each start, like each chip, begins with Detected */
	g_signal_connect(self->size_row, "notify::selected", G_CALLBACK(on_size_row_notify_selected_cb), self);

	fk_port_picker_refresh(self);
	g_signal_connect(self->port_row, "notify::selected", G_CALLBACK(on_port_row_notify_selected_cb), self);
	self->poll_id = g_timeout_add(FK_PORT_POLL_MS, fk_port_picker_poll_cb, self);
}

static void
fk_port_picker_class_init(FkPortPickerClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	object_class->get_property = fk_port_picker_get_property;
	object_class->dispose = fk_port_picker_dispose;
	object_class->finalize = fk_port_picker_finalize;

	properties[PROP_PORT] = g_param_spec_string("port", NULL, NULL, NULL,
						    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
	g_object_class_install_properties(object_class, N_PROPS, properties);

	/* the selected port left the list; "notify::port" follows with the new selection */
	signals[SIGNAL_PORT_GONE] = g_signal_new("port-gone", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
						 NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
	/* a port came or went: fk_port_picker_get_ports() has the new list */
	signals[SIGNAL_PORTS_CHANGED] = g_signal_new("ports-changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
						     NULL, NULL, G_TYPE_NONE, 0);

	gtk_widget_class_set_template_from_resource(widget_class, "/io/github/flashkeep/Flashkeep/fk-port-picker.ui");
	gtk_widget_class_bind_template_child(widget_class, FkPortPicker, port_row);
	gtk_widget_class_bind_template_child(widget_class, FkPortPicker, port_model);
	gtk_widget_class_bind_template_child(widget_class, FkPortPicker, size_row);
	gtk_widget_class_bind_template_child(widget_class, FkPortPicker, size_model);
}
