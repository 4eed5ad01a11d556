/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "fk-device.h"
#include "fk-loader.h"

G_BEGIN_DECLS

/* whether the port is a chip's own USB-Serial/JTAG controller */
gboolean
fk_reset_is_usb_jtag(FkTransport *transport);
/* waiting for a person to put the chip into its loader (see fk_device_set_wait_for_chip()) */
typedef struct {
	FkDeviceWaitFunc func;
	gpointer user_data;
	guint limit_s; /* 0: until cancelled */
} FkResetWait;

/* resets the chip into its loader with the strategies @mode allows (none: sync only), in turn,
 * until it answers SYNC; when it cannot or the chip stays silent, waits for the chip as @wait
 * (may be NULL) says; else an error that says what the boot log and the noise tell */
gboolean
fk_reset_and_sync(FkLoader *loader,
		  FkResetMode mode,
		  const FkResetWait *wait,
		  gboolean *stub_detected,
		  GCancellable *cancellable,
		  GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* the classic DTR/RTS pulse into download mode, once, without waiting for an answer (what the
 * port doctor uses to make the chip print its boot text) */
gboolean
fk_reset_to_download(FkLoader *loader, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* resets the chip into its application */
gboolean
fk_reset_hard(FkLoader *loader, GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
