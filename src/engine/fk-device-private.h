/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* what the layers working on an FkDevice share: the instance struct and the facade's checks;
 * each layer's own helpers are in its header (fk-identify.h, fk-connect.h, ...) */

#include "fk-adapter.h"
#include "fk-device.h"
#include "fk-loader.h"

G_BEGIN_DECLS

struct _FkDevice {
	GObject parent_instance;
	FkLoader *loader; /* the transport, the framing and the commands */

	/* settings */
	FkResetMode reset_mode;
	guint target_baud;
	gboolean use_stub;
	FkChipFamily expected_family;
	guint32 spi_connection;
	gboolean spi_connection_set;
	gboolean auto_baud;	 /* target_baud is chosen at connect (FK_BAUD_AUTO) */
	gchar *baud_memory_path; /* NULL: the user's state folder */
	FkDeviceWaitFunc wait_func; /* NULL: no waiting for a person's help */
	gpointer wait_data;
	guint wait_limit_s;

	/* state */
	const FkChipInfo *chip;
	gchar *description;
	gchar *revision; /* "v1.0"; NULL where the chip does not say */
	guint8 mac[6];
	guint crystal_mhz;
	guint32 flash_id;
	gsize flash_size;
	gboolean is_esp8285;
	guint current_baud;
	guint recoveries; /* operations resumed after a fault, since the device was made */
	gsize bytes_written; /* by the last write */
	gboolean read_lockstep; /* a stream read ahead failed: one READ_FLASH packet in flight from now on */
	gsize read_piece_limit; /* 0, or the largest read piece after a piece failed (fk-op-read.c) */
	guint64 read_rate;	/* bytes/s of the last read piece through the stub, checks included */
	guint read_rate_baud;	/* the baud rate it was read at */
	FkBaudChoice baud_choice; /* Automatic's decision, once connected */
	gboolean baud_chosen;
	FkConnectTimes times; /* of the last connection */
	gboolean rom_baud_refused; /* the ROM failed at the rate it was switched to: not again */
	gboolean rom_baud_retry;   /* that just happened: connect again at once */
};

/* FK_ERROR_WRONG_STATE unless connected */
gboolean
_fk_device_check_connected(FkDevice *self, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* whether @size bytes at @offset fit in the flash and in what the loader can address; @what
 * names the region in the error */
gboolean
_fk_device_check_range(FkDevice *self, guint32 offset, gsize size, const gchar *what, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
