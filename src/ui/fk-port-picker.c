/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns the Board group: the port list (following the port monitor, selection kept and remembered,
 * a newly plugged ESP board selected when the person had chosen nothing) and Flash Size (Detected
 * for every chip identified; another size is for the next operation only).
 * May call the port monitor, the engine's adapter table, GSettings and the UI helpers; no jobs. */
#include "config.h"

#include <glib/gi18n.h>

#include "fk-adapter.h"
#include "fk-port-monitor.h"
#include "fk-port-picker.h"
#include "fk-port.h"
#include "fk-ui-util.h"

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
	AdwEntryRow *network_row;
	GtkStringList *size_model;

	/* owned */
	GSettings *settings;
	FkPortMonitor *monitor;
	GPtrArray *ports; /* port names, parallel to port_model */
	gboolean listed;  /* the first list is shown: ports that come later were plugged in */
	gboolean chosen;  /* the selection is the person's: picked, or remembered from last time */
	guint resume_id;
	gboolean updating;
	gsize detected; /* the identified chip's flash, 0 when unknown */
	gboolean busy;
};

G_DEFINE_FINAL_TYPE(FkPortPicker, fk_port_picker, ADW_TYPE_PREFERENCES_GROUP)

enum { PROP_0, PROP_PORT, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum { SIGNAL_PORT_GONE, SIGNAL_PORTS_CHANGED, SIGNAL_BOARD_PLUGGED, N_SIGNALS };
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

const GPtrArray *
fk_port_picker_get_ports(FkPortPicker *self)
{
	g_return_val_if_fail(FK_IS_PORT_PICKER(self), NULL);
	return self->ports;
}

const gchar *
fk_port_picker_get_description(FkPortPicker *self, const gchar *port)
{
	GPtrArray *found;
	g_return_val_if_fail(FK_IS_PORT_PICKER(self), NULL);
	found = fk_port_monitor_get_ports(self->monitor);
	for (guint i = 0; i < found->len; i++) {
		const FkPortInfo *info = g_ptr_array_index(found, i);
		if (g_strcmp0(info->name, port) == 0)
			return info->description;
	}
	return NULL;
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

static gboolean
fk_port_picker_names_contain(GPtrArray *names, const gchar *name)
{
	for (guint i = 0; i < names->len; i++) {
		if (g_strcmp0(g_ptr_array_index(names, i), name) == 0)
			return TRUE;
	}
	return FALSE;
}

/* what is said when a board plugged in is selected: its port and what it is plugged in with */
static gchar *
fk_port_picker_plugged_message(const FkPortInfo *info, gboolean last)
{
	const FkAdapterInfo *adapter;
	if (last) {
		/* Translators: the port's name, e.g. /dev/ttyUSB0 */
		return g_strdup_printf(_("The board used last time is back on %s: selected"), info->name);
	}
	adapter = fk_adapter_identify(FK_TRANSPORT_KIND_SERIAL, info->usb_vid, info->usb_pid, info->product);
	if (adapter->kind == FK_ADAPTER_NATIVE) {
		/* Translators: the port's name, e.g. /dev/ttyACM0 */
		return g_strdup_printf(_("ESP board plugged in on %s (the chip's own USB port): selected"), info->name);
	}
	/* Translators: the port's name, then its USB adapter, e.g. "/dev/ttyUSB0 (CH340)" */
	return g_strdup_printf(_("ESP board plugged in on %s (%s): selected"), info->name, adapter->name);
}

/* a port that was not in the list before, to select for a person who has chosen nothing: the
 * port used last time, else the first whose USB ids are an ESP board's (an adapter of the table
 * in fk-adapter.c or the chip's own USB port). Another USB device is listed, never selected. */
static const FkPortInfo *
fk_port_picker_find_plugged(FkPortPicker *self, GPtrArray *infos, gboolean *last)
{
	g_autofree gchar *remembered = g_settings_get_string(self->settings, "last-port");
	const FkPortInfo *board = NULL;
	for (guint i = 0; i < infos->len; i++) {
		const FkPortInfo *info = g_ptr_array_index(infos, i);
		if (fk_port_picker_names_contain(self->ports, info->name))
			continue;
		if (g_strcmp0(info->name, remembered) == 0) {
			*last = TRUE;
			return info;
		}
		if (board == NULL && info->kind == FK_PORT_KIND_USB && fk_adapter_is_known_usb(info->usb_vid, info->usb_pid))
			board = info;
	}
	*last = FALSE;
	return board;
}

static void
fk_port_picker_refresh(FkPortPicker *self)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) infos = g_ptr_array_new(); /* borrowed from the monitor: the ports it found */
	GPtrArray *found = fk_port_monitor_get_ports(self->monitor);
	g_autofree gchar *selected = g_strdup(fk_port_picker_get_port(self));
	g_autofree gchar *plugged = NULL;
	g_autofree gchar *message = NULL;
	gboolean gone;
	gboolean same = TRUE;

	for (guint i = 0; i < found->len; i++) {
		FkPortInfo *info = g_ptr_array_index(found, i);
		/* built-in ttyS ports are never an ESP board */
		if (info->kind == FK_PORT_KIND_SERIAL)
			continue;
		g_ptr_array_add(names, g_strdup(info->name));
		g_ptr_array_add(infos, info);
		if (info->kind == FK_PORT_KIND_SIMULATED)
			g_ptr_array_add(labels, g_strdup(info->description));
		else if (info->description != NULL)
			g_ptr_array_add(labels, g_strdup_printf("%s — %s", info->description, info->name));
		else
			g_ptr_array_add(labels, g_strdup(info->name));
	}
	/* the serial servers the person added, after what is plugged in */
	{
		g_auto(GStrv) network = g_settings_get_strv(self->settings, "network-ports");
		for (guint i = 0; network[i] != NULL; i++) {
			if (fk_port_picker_names_contain(names, network[i]))
				continue;
			g_ptr_array_add(names, g_strdup(network[i]));
			/* Translators: a serial server's address, e.g. rfc2217://192.168.1.20:4000 */
			g_ptr_array_add(labels, g_strdup_printf(_("Network port — %s"), network[i]));
		}
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

	/* a board plugged in is selected only where the person has chosen nothing: no port, one the
	 * list fell back to (the first simulated board), or theirs went away. A port they picked,
	 * even a simulated board, stays. */
	gone = selected != NULL && !fk_port_picker_names_contain(names, selected);
	if (self->listed && (selected == NULL || gone || !self->chosen)) {
		gboolean last = FALSE;
		const FkPortInfo *info = fk_port_picker_find_plugged(self, infos, &last);
		if (info != NULL) {
			plugged = g_strdup(info->name);
			message = fk_port_picker_plugged_message(info, last);
		}
	}

	/* rebuild without losing the selection */
	self->updating = TRUE;
	g_ptr_array_set_size(self->ports, 0);
	for (guint i = 0; i < names->len; i++)
		g_ptr_array_add(self->ports, g_strdup(g_ptr_array_index(names, i)));
	g_ptr_array_add(labels, NULL);
	gtk_string_list_splice(self->port_model, 0,
			       g_list_model_get_n_items(G_LIST_MODEL(self->port_model)),
			       (const gchar *const *)labels->pdata);
	if (plugged != NULL) {
		fk_port_picker_select_port(self, plugged);
		self->chosen = TRUE;
		g_settings_set_string(self->settings, "last-port", plugged);
	} else if (selected == NULL || !fk_port_picker_select_port(self, selected)) {
		g_autofree gchar *last = g_settings_get_string(self->settings, "last-port");
		self->chosen = fk_port_picker_select_port(self, last);
		if (!self->chosen)
			adw_combo_row_set_selected(self->port_row, 0);
	}
	self->updating = FALSE;
	self->listed = TRUE;

	g_signal_emit(self, signals[SIGNAL_PORTS_CHANGED], 0);
	if (g_strcmp0(selected, fk_port_picker_get_port(self)) != 0) {
		if (gone)
			g_signal_emit(self, signals[SIGNAL_PORT_GONE], 0, selected);
		g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_PORT]);
	}
	if (plugged != NULL)
		g_signal_emit(self, signals[SIGNAL_BOARD_PLUGGED], 0, plugged, message);
}

static void
on_monitor_changed_cb(FkPortMonitor *monitor, FkPortPicker *self)
{
	fk_port_picker_refresh(self);
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

static void
on_port_row_notify_selected_cb(AdwComboRow *row, GParamSpec *pspec, FkPortPicker *self)
{
	const gchar *port;
	if (self->updating)
		return;
	port = fk_port_picker_get_port(self);
	self->chosen = port != NULL;
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

/* the most network ports remembered; the oldest is dropped */
#define FK_PORT_PICKER_MAX_NETWORK 8

gboolean
fk_port_picker_add_network_port(FkPortPicker *self, const gchar *address, GError **error)
{
	g_auto(GStrv) old = NULL;
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
	g_auto(GStrv) network = NULL;
	g_autofree gchar *name = NULL;

	g_return_val_if_fail(FK_IS_PORT_PICKER(self), FALSE);
	name = g_strstrip(g_strdup(address));
	if (!fk_port_check_network_address(name, error))
		return FALSE;
	old = g_settings_get_strv(self->settings, "network-ports");
	g_strv_builder_add(builder, name);
	for (guint i = 0, n = 1; old[i] != NULL && n < FK_PORT_PICKER_MAX_NETWORK; i++) {
		if (g_strcmp0(old[i], name) == 0)
			continue;
		g_strv_builder_add(builder, old[i]);
		n++;
	}
	network = g_strv_builder_end(builder);
	g_settings_set_strv(self->settings, "network-ports", (const gchar *const *)network);
	fk_port_picker_refresh(self);
	/* chosen by the person: selected, remembered, and never replaced by a board plugged in */
	if (g_strcmp0(fk_port_picker_get_port(self), name) != 0)
		fk_port_picker_select_port(self, name);
	self->chosen = TRUE;
	g_settings_set_string(self->settings, "last-port", name);
	return TRUE;
}

static void
on_network_row_apply_cb(AdwEntryRow *row, FkPortPicker *self)
{
	g_autoptr(GError) error = NULL;
	const gchar *text = gtk_editable_get_text(GTK_EDITABLE(row));
	if (!fk_port_picker_add_network_port(self, text, &error)) {
		/* said where it was typed; the text stays to be corrected */
		gtk_widget_add_css_class(GTK_WIDGET(row), "error");
		gtk_widget_set_tooltip_text(GTK_WIDGET(row), error->message);
		gtk_accessible_update_property(GTK_ACCESSIBLE(row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, error->message, -1);
		return;
	}
	gtk_editable_set_text(GTK_EDITABLE(row), "");
}

static void
on_network_row_changed_cb(AdwEntryRow *row, FkPortPicker *self)
{
	gtk_widget_remove_css_class(GTK_WIDGET(row), "error");
	gtk_widget_set_tooltip_text(GTK_WIDGET(row), NULL);
	gtk_accessible_reset_property(GTK_ACCESSIBLE(row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
}

static gboolean
fk_port_picker_resume_cb(gpointer user_data)
{
	FkPortPicker *self = FK_PORT_PICKER(user_data);
	self->resume_id = 0;
	fk_port_monitor_set_paused(self->monitor, FALSE);
	return G_SOURCE_REMOVE;
}

void
fk_port_picker_set_busy(FkPortPicker *self, gboolean busy)
{
	g_return_if_fail(FK_IS_PORT_PICKER(self));
	/* the window says it after every change of its actions */
	if (busy == self->busy)
		return;
	self->busy = busy;
	/* the list cannot change under a running job: its port is in use. What changed meanwhile
	 * is shown once the job is over, from the main loop: selecting a board plugged in starts
	 * identifying it, which the end of a job must not do from inside its own callback */
	g_clear_handle_id(&self->resume_id, g_source_remove);
	if (busy)
		fk_port_monitor_set_paused(self->monitor, TRUE);
	else
		self->resume_id = g_idle_add(fk_port_picker_resume_cb, self);
	gtk_widget_set_sensitive(GTK_WIDGET(self->port_row), !busy);
	gtk_widget_set_sensitive(GTK_WIDGET(self->size_row), !busy);
	gtk_widget_set_sensitive(GTK_WIDGET(self->network_row), !busy);
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
	g_clear_handle_id(&self->resume_id, g_source_remove);
	if (self->monitor != NULL) {
		g_signal_handlers_disconnect_by_data(self->monitor, self);
		g_clear_object(&self->monitor);
	}
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

	self->monitor = fk_port_monitor_new();
	g_signal_connect(self->monitor, "changed", G_CALLBACK(on_monitor_changed_cb), self);
	fk_port_picker_refresh(self);
	self->listed = TRUE;
	g_signal_connect(self->port_row, "notify::selected", G_CALLBACK(on_port_row_notify_selected_cb), self);
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
	/* the list of ports changed (fk_port_picker_get_ports()); comes before "port-gone" */
	signals[SIGNAL_PORTS_CHANGED] = g_signal_new("ports-changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
						     NULL, NULL, NULL, G_TYPE_NONE, 0);
	/* a board plugged in was selected (after "notify::port"): its port, and a sentence saying
	 * so for the person */
	signals[SIGNAL_BOARD_PLUGGED] = g_signal_new("board-plugged", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
						     NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

	gtk_widget_class_set_template_from_resource(widget_class, "/io/github/flashkeep/Flashkeep/fk-port-picker.ui");
	gtk_widget_class_bind_template_child(widget_class, FkPortPicker, port_row);
	gtk_widget_class_bind_template_child(widget_class, FkPortPicker, port_model);
	gtk_widget_class_bind_template_child(widget_class, FkPortPicker, size_row);
	gtk_widget_class_bind_template_child(widget_class, FkPortPicker, network_row);
	gtk_widget_class_bind_template_callback(widget_class, on_network_row_apply_cb);
	gtk_widget_class_bind_template_callback(widget_class, on_network_row_changed_cb);
	gtk_widget_class_bind_template_child(widget_class, FkPortPicker, size_model);
}
