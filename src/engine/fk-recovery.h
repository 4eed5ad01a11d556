/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "fk-device.h"

G_BEGIN_DECLS

/* the recovery state of one operation */
typedef struct {
	const gchar *what; /* "reading", "writing", "erasing": for the log */
	guint used;	   /* recoveries in this operation */
	guint in_a_row;	   /* of the same piece, without progress in between */
	guint at_this_baud;
} FkRecovery;

/* after @cause interrupted an operation: talk to the chip again, so that the caller can resume
 * where it stands. FALSE with @error set (to @cause, or to why the chip cannot be reached) when
 * the operation should stop */
gboolean
_fk_device_recover(FkDevice *self, FkRecovery *rec, GError **cause, GCancellable *cancellable, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;

/* whether a connection starts with a reset into the loader (DTR/RTS, or the USB-Serial/JTAG's) */
gboolean
_fk_device_can_reset(FkDevice *self);
/* Automatic chose the rate in use and it is above the ROM's: a connection that fails at it is
 * made again at the next lower rate (_fk_device_connect_retrying) */
gboolean
_fk_device_baud_may_be_lowered(FkDevice *self);
/* fk_device_connect(): a connection, made again (at most three times in all) after a link fault */
gboolean
_fk_device_connect_retrying(FkDevice *self, GCancellable *cancellable, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
