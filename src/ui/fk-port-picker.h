/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define FK_TYPE_PORT_PICKER (fk_port_picker_get_type())
G_DECLARE_FINAL_TYPE(FkPortPicker, fk_port_picker, FK, PORT_PICKER, AdwPreferencesGroup)

/* the selected port's name, or NULL; "notify::port" tells when it changes, by the person or
 * because the list changed ("port-gone" comes first when the selected port went away;
 * "board-plugged" follows when a board plugged in was selected because the person had chosen
 * nothing) */
const gchar *
fk_port_picker_get_port(FkPortPicker *self);
gboolean
fk_port_picker_select_port(FkPortPicker *self, const gchar *port);
/* the names of the ports the Port row offers, in its order; "ports-changed" tells when they
 * change (a port plugged in or removed) */
const GPtrArray *
fk_port_picker_get_ports(FkPortPicker *self);
/* a listed port's description as the engine gives it ("Simulated ESP32, 4 MB", "CP2102N USB to
 * UART Bridge Controller (Silicon Labs)"), or NULL (a network port) */
const gchar *
fk_port_picker_get_description(FkPortPicker *self, const gchar *port);
/* adds a serial server (rfc2217://HOST:PORT or socket://HOST:PORT) to the list, remembered
 * across starts, and selects it; FALSE with a message saying how to write it otherwise */
gboolean
fk_port_picker_add_network_port(FkPortPicker *self, const gchar *address, GError **error);
/* the flash size chosen under Flash Size in bytes, 0 for the detected one */
gsize
fk_port_picker_get_flash_size(FkPortPicker *self);
/* shows what the chip reported as the "Detected" choice, 0 when unknown */
void
fk_port_picker_set_detected_size(FkPortPicker *self, gsize detected);
/* while busy the choices are locked and the port list stays as it is (its port is in use); what
 * changed meanwhile shows once it is not busy */
void
fk_port_picker_set_busy(FkPortPicker *self, gboolean busy);

G_END_DECLS
