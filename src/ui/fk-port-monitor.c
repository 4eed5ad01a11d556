/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns the port list the window shows and when it is read again: on udev's events for the "tty"
 * subsystem (GUdev), or on a timer where udev is not running. No GTK.
 * May call the engine's port registry (fk_port_list) and GUdev. */
#include "config.h"

#include <gudev/gudev.h>

#include "fk-port-monitor.h"
#include "fk-port.h"

#define FK_PORT_POLL_MS 2000

/* udevd's control socket: where it is missing nobody sends udev's events (a container without
 * /run/udev); GUdev would listen and hear nothing */
#define FK_UDEV_CONTROL "/run/udev/control"

struct _FkPortMonitor {
	GObject parent_instance;

	/* construct-only */
	gboolean use_udev;
	guint poll_ms;

	/* owned */
	GUdevClient *udev;
	GPtrArray *ports; /* of FkPortInfo */
	guint poll_id;
	guint idle_id;
	gboolean paused;
	gboolean stale; /* an event came while paused */
};

G_DEFINE_FINAL_TYPE(FkPortMonitor, fk_port_monitor, G_TYPE_OBJECT)

enum { PROP_0, PROP_UDEV, PROP_POLL_INTERVAL, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum { SIGNAL_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static gboolean
fk_port_info_equal(const FkPortInfo *a, const FkPortInfo *b)
{
	return g_strcmp0(a->name, b->name) == 0 && g_strcmp0(a->description, b->description) == 0 &&
	       a->usb_vid == b->usb_vid && a->usb_pid == b->usb_pid && a->kind == b->kind;
}

static gboolean
fk_port_list_equal(GPtrArray *a, GPtrArray *b)
{
	if (a->len != b->len)
		return FALSE;
	for (guint i = 0; i < a->len; i++) {
		if (!fk_port_info_equal(g_ptr_array_index(a, i), g_ptr_array_index(b, i)))
			return FALSE;
	}
	return TRUE;
}

/* reads the engine's list again; TRUE when it changed */
static gboolean
fk_port_monitor_read(FkPortMonitor *self)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) found = fk_port_list(&error);
	if (found == NULL) {
		/* every backend failed: an empty list, as when nothing is plugged in */
		g_debug("listing the ports failed: %s", error->message);
		found = g_ptr_array_new_with_free_func((GDestroyNotify)fk_port_info_free);
	}
	self->stale = FALSE;
	if (fk_port_list_equal(found, self->ports))
		return FALSE;
	g_ptr_array_unref(self->ports);
	self->ports = g_steal_pointer(&found);
	return TRUE;
}

static void
fk_port_monitor_update(FkPortMonitor *self)
{
	if (fk_port_monitor_read(self))
		g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

static gboolean
fk_port_monitor_idle_cb(gpointer user_data)
{
	FkPortMonitor *self = FK_PORT_MONITOR(user_data);
	self->idle_id = 0;
	fk_port_monitor_update(self);
	return G_SOURCE_REMOVE;
}

/* udev sends its "add" for a tty once its rules have run (the node exists with its group and
 * links), "remove" once the device is gone from sysfs; a USB adapter brings several events in a
 * row, read once for all of them */
static void
on_udev_uevent_cb(GUdevClient *client, const gchar *action, GUdevDevice *device, FkPortMonitor *self)
{
	g_debug("udev: %s %s", action, g_udev_device_get_sysfs_path(device));
	if (self->paused) {
		self->stale = TRUE;
		return;
	}
	if (self->idle_id == 0)
		self->idle_id = g_idle_add(fk_port_monitor_idle_cb, self);
}

static gboolean
fk_port_monitor_poll_cb(gpointer user_data)
{
	FkPortMonitor *self = FK_PORT_MONITOR(user_data);
	if (!self->paused)
		fk_port_monitor_update(self);
	return G_SOURCE_CONTINUE;
}

static gboolean
fk_port_monitor_udev_running(void)
{
	/* umockdev's test bed delivers udev's events itself */
	if (g_getenv("UMOCKDEV_DIR") != NULL)
		return TRUE;
	return g_file_test(FK_UDEV_CONTROL, G_FILE_TEST_EXISTS);
}

GPtrArray *
fk_port_monitor_get_ports(FkPortMonitor *self)
{
	g_return_val_if_fail(FK_IS_PORT_MONITOR(self), NULL);
	return self->ports;
}

gboolean
fk_port_monitor_get_follows_udev(FkPortMonitor *self)
{
	g_return_val_if_fail(FK_IS_PORT_MONITOR(self), FALSE);
	return self->udev != NULL;
}

void
fk_port_monitor_set_paused(FkPortMonitor *self, gboolean paused)
{
	g_return_if_fail(FK_IS_PORT_MONITOR(self));
	if (self->paused == paused)
		return;
	self->paused = paused;
	if (paused) {
		/* an event already waiting is read after the pause */
		if (self->idle_id != 0) {
			g_clear_handle_id(&self->idle_id, g_source_remove);
			self->stale = TRUE;
		}
		return;
	}
	/* polled, the pause may have skipped a change */
	if (self->stale || self->udev == NULL)
		fk_port_monitor_update(self);
}

FkPortMonitor *
fk_port_monitor_new(void)
{
	return g_object_new(FK_TYPE_PORT_MONITOR, NULL);
}

static void
fk_port_monitor_constructed(GObject *object)
{
	FkPortMonitor *self = FK_PORT_MONITOR(object);
	G_OBJECT_CLASS(fk_port_monitor_parent_class)->constructed(object);

	if (self->use_udev && fk_port_monitor_udev_running()) {
		const gchar *const subsystems[] = {"tty", NULL};
		self->udev = g_udev_client_new(subsystems);
		g_signal_connect(self->udev, "uevent", G_CALLBACK(on_udev_uevent_cb), self);
	} else {
		static gsize logged = 0;
		if (self->use_udev && g_once_init_enter(&logged)) {
			g_message("udev is not running here (no %s): the port list is read every %u ms",
				  FK_UDEV_CONTROL,
				  self->poll_ms);
			g_once_init_leave(&logged, 1);
		}
		self->poll_id = g_timeout_add(self->poll_ms, fk_port_monitor_poll_cb, self);
	}
	/* listening first, so that nothing plugged in meanwhile is missed */
	fk_port_monitor_read(self);
}

static void
fk_port_monitor_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
	FkPortMonitor *self = FK_PORT_MONITOR(object);
	switch (prop_id) {
	case PROP_UDEV:
		g_value_set_boolean(value, self->use_udev);
		break;
	case PROP_POLL_INTERVAL:
		g_value_set_uint(value, self->poll_ms);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
		break;
	}
}

static void
fk_port_monitor_set_property(GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
	FkPortMonitor *self = FK_PORT_MONITOR(object);
	switch (prop_id) {
	case PROP_UDEV:
		self->use_udev = g_value_get_boolean(value);
		break;
	case PROP_POLL_INTERVAL:
		self->poll_ms = g_value_get_uint(value);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
		break;
	}
}

static void
fk_port_monitor_dispose(GObject *object)
{
	FkPortMonitor *self = FK_PORT_MONITOR(object);
	g_clear_handle_id(&self->poll_id, g_source_remove);
	g_clear_handle_id(&self->idle_id, g_source_remove);
	if (self->udev != NULL) {
		g_signal_handlers_disconnect_by_data(self->udev, self);
		g_clear_object(&self->udev);
	}
	G_OBJECT_CLASS(fk_port_monitor_parent_class)->dispose(object);
}

static void
fk_port_monitor_finalize(GObject *object)
{
	FkPortMonitor *self = FK_PORT_MONITOR(object);
	g_ptr_array_unref(self->ports);
	G_OBJECT_CLASS(fk_port_monitor_parent_class)->finalize(object);
}

static void
fk_port_monitor_init(FkPortMonitor *self)
{
	self->ports = g_ptr_array_new_with_free_func((GDestroyNotify)fk_port_info_free);
}

static void
fk_port_monitor_class_init(FkPortMonitorClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->constructed = fk_port_monitor_constructed;
	object_class->get_property = fk_port_monitor_get_property;
	object_class->set_property = fk_port_monitor_set_property;
	object_class->dispose = fk_port_monitor_dispose;
	object_class->finalize = fk_port_monitor_finalize;

	/* FALSE: poll even where udev runs */
	properties[PROP_UDEV] = g_param_spec_boolean("udev", NULL, NULL, TRUE,
						     G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
	/* how often the list is read when it is polled, in milliseconds */
	properties[PROP_POLL_INTERVAL] = g_param_spec_uint("poll-interval", NULL, NULL, 1, G_MAXUINT, FK_PORT_POLL_MS,
							   G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
							       G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(object_class, N_PROPS, properties);

	/* the list differs from the one before: a port came or went, or its description changed */
	signals[SIGNAL_CHANGED] = g_signal_new("changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
					       NULL, G_TYPE_NONE, 0);
}
