/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "fk-device.h"

G_BEGIN_DECLS

/* the ESP8266 ROM erases one sector too many for some spans: an error instead */
gboolean
_fk_device_check_rom8266_erase(FkDevice *self, guint32 offset, gsize size, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
