/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define FK_TYPE_PORT_MONITOR (fk_port_monitor_get_type())
G_DECLARE_FINAL_TYPE(FkPortMonitor, fk_port_monitor, FK, PORT_MONITOR, GObject)

/* the engine's port list, read again when udev reports a serial port added, removed or changed
 * (or every two seconds where udev is not running); "changed" tells when it differs */
FkPortMonitor *
fk_port_monitor_new(void);
/* the ports, FkPortInfo in the engine's order (fk_port_list); never NULL */
GPtrArray *
fk_port_monitor_get_ports(FkPortMonitor *self);
/* TRUE when the list follows udev's events, FALSE when it is polled */
gboolean
fk_port_monitor_get_follows_udev(FkPortMonitor *self);
/* while paused the list is not read again (a job has its port open); resuming reads it at once
 * when something happened meanwhile */
void
fk_port_monitor_set_paused(FkPortMonitor *self, gboolean paused);

G_END_DECLS
