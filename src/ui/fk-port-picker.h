/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define FK_TYPE_PORT_PICKER (fk_port_picker_get_type())
G_DECLARE_FINAL_TYPE(FkPortPicker, fk_port_picker, FK, PORT_PICKER, AdwPreferencesGroup)

/* the selected port's name, or NULL; "notify::port" tells when it changes, by the person or
 * because the list changed ("port-gone" comes first when the selected port went away) */
const gchar *
fk_port_picker_get_port(FkPortPicker *self);
gboolean
fk_port_picker_select_port(FkPortPicker *self, const gchar *port);
/* the flash size chosen under Flash Size in bytes, 0 for the detected one */
gsize
fk_port_picker_get_flash_size(FkPortPicker *self);
/* shows what the chip reported as the "Detected" choice, 0 when unknown */
void
fk_port_picker_set_detected_size(FkPortPicker *self, gsize detected);
/* the ports listed, as names in list order (an array of gchar*, owned by the picker);
 * "ports-changed" tells when the list changed */
const GPtrArray *
fk_port_picker_get_ports(FkPortPicker *self);
/* while busy the choices are locked and the port list is not polled (its port is in use) */
void
fk_port_picker_set_busy(FkPortPicker *self, gboolean busy);

G_END_DECLS
