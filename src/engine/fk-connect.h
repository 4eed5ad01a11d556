/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "fk-device.h"

G_BEGIN_DECLS

/* switches to the target baud rate, where the loader and the link allow it */
gboolean
_fk_device_change_baud(FkDevice *self, GCancellable *cancellable, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* switches to @baud and checks that the loader answers there */
gboolean
_fk_device_change_baud_to(FkDevice *self, guint baud, GCancellable *cancellable, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;
/* attaches the SPI flash (with the pins from the setting or the eFuses) */
gboolean
_fk_device_attach_flash(FkDevice *self, GCancellable *cancellable, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* the rate a connection starts at: the ROM's, or lower if asked */
guint
_fk_device_start_baud(FkDevice *self);
/* connects, talking at @initial_baud first */
gboolean
_fk_device_connect_at(FkDevice *self, guint initial_baud, GCancellable *cancellable, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;

/* Automatic: picks the starting rate from the adapter, the chip (and whether its @stub will
 * run) and what was remembered */
void
_fk_device_choose_baud(FkDevice *self, gboolean stub);
/* Automatic: the session's rate worked (remember it), or failed for good (forget a remembered
 * rate it started at) */
void
_fk_device_baud_settle(FkDevice *self, gboolean worked);

G_END_DECLS
