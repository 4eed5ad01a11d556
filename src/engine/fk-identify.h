/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "fk-device.h"

G_BEGIN_DECLS

/* the chip family: from the security info, else from the magic register */
gboolean
_fk_device_detect_chip(FkDevice *self, GCancellable *cancellable, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* the MAC (and, on the ESP8266, whether it is an ESP8285) */
gboolean
_fk_device_read_mac(FkDevice *self, GCancellable *cancellable, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* the crystal frequency, estimated from the UART divider at the current rate */
gboolean
_fk_device_read_crystal(FkDevice *self, GCancellable *cancellable, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* the description shown to people: package and revision where the chip tells */
gboolean
_fk_device_describe(FkDevice *self, GCancellable *cancellable, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* the flash JEDEC id and, from it, the size (0 when unknown or when the flash does not answer) */
gboolean
_fk_device_detect_flash(FkDevice *self, GCancellable *cancellable, GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
