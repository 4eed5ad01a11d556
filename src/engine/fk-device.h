/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "fk-adapter.h"
#include "fk-chip.h"
#include "fk-progress.h"
#include "fk-transport.h"

G_BEGIN_DECLS

#define FK_TYPE_DEVICE (fk_device_get_type())
G_DECLARE_FINAL_TYPE(FkDevice, fk_device, FK, DEVICE, GObject)

/* how to get the chip into its serial loader (esptool's --before) */
typedef enum {
	FK_RESET_AUTO,	      /* classic/tight DTR-RTS pulses, USB-JTAG-Serial when detected */
	FK_RESET_USB_JTAG,    /* the USB-Serial/JTAG sequence only */
	FK_RESET_NONE,	      /* the user put the chip in download mode by hand: sync only */
	FK_RESET_NONE_NO_SYNC /* a loader already talks to us: skip reset and sync */
} FkResetMode;

/* what to do when finished (esptool's --after) */
typedef enum {
	FK_AFTER_HARD_RESET, /* reset into the application */
	FK_AFTER_SOFT_RESET, /* leave the loader and run the application without a reset */
	FK_AFTER_NO_RESET,   /* stay in the loader (the stub is asked to return to the ROM) */
	FK_AFTER_NO_RESET_STUB, /* leave the stub running */
} FkAfterMode;

typedef enum {
	FK_WRITE_FLAG_NONE = 0,
	FK_WRITE_FLAG_NO_COMPRESS = 1 << 0, /* send raw blocks */
	FK_WRITE_FLAG_COMPRESS = 1 << 1,    /* compress even without a stub (ROM32 only) */
	FK_WRITE_FLAG_NO_VERIFY = 1 << 2,   /* skip the MD5 check after writing */
	/* write only the parts the chip does not hold yet, found by its MD5 of each piece, then
	 * verify the whole image (needs verification and an MD5-capable loader; else all is
	 * written) */
	FK_WRITE_FLAG_ONLY_CHANGED = 1 << 3,
} FkWriteFlags;

FkDevice *
fk_device_new(FkTransport *transport);
FkTransport *
fk_device_get_transport(FkDevice *self);

/* settings, before fk_device_connect() */
void
fk_device_set_reset_mode(FkDevice *self, FkResetMode mode);
/* the rate to switch to after connecting (0 or 115200: stay; FK_BAUD_AUTO: the fastest the USB
 * adapter and the chip sustain, or the rate that last worked with this adapter) */
void
fk_device_set_baud(FkDevice *self, guint baud);
/* where Automatic remembers the rates that worked (default: the user's state folder) */
void
fk_device_set_baud_memory_file(FkDevice *self, const gchar *path);
/* Automatic's decision once connected; NULL for a fixed rate or before connecting */
const FkBaudChoice *
fk_device_get_baud_choice(FkDevice *self);
void
fk_device_set_use_stub(FkDevice *self, gboolean use_stub);
/* expected chip family; FK_CHIP_UNKNOWN = detect. A mismatch is an error */
void
fk_device_set_expected_chip(FkDevice *self, FkChipFamily family);
/* ESP32 SPI flash pins: 0 = default (eFuse), 1 = HSPI, else the packed pin value */
void
fk_device_set_spi_connection(FkDevice *self, guint32 value);
/* extra diagnostics, e.g. for the CLI's --trace or a UI log view */
typedef void (*FkDeviceLogFunc)(const gchar *message, gpointer user_data);
void
fk_device_set_log_func(FkDevice *self, FkDeviceLogFunc func, gpointer user_data);
/* told TRUE when the chip needs a person's hands to enter its loader (hold BOOT/GPIO0, tap
 * EN/RST, let go of BOOT) while connect keeps listening, and FALSE when the wait is over */
typedef void (*FkDeviceWaitFunc)(gboolean waiting, gpointer user_data);
/* with @func set, connect waits for the chip instead of failing when it cannot reset it (no
 * DTR/RTS lines, FK_RESET_NONE) or the automatic reset got no answer: it keeps sending SYNC
 * until the chip answers, @cancellable is cancelled or @limit_s seconds pass (0: no limit) */
void
fk_device_set_wait_for_chip(FkDevice *self, guint limit_s, FkDeviceWaitFunc func, gpointer user_data);

/* resets the chip into its loader, syncs, identifies it, uploads the stub (unless disabled or
 * impossible), changes the baud rate and attaches the flash */
gboolean
fk_device_connect(FkDevice *self, GCancellable *cancellable, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;
gboolean
fk_device_is_connected(FkDevice *self);
/* runs the after-action and closes nothing: the transport stays with the caller */
gboolean
fk_device_finish(FkDevice *self, FkAfterMode after, GCancellable *cancellable, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;

/* what connect found */
const FkChipInfo *
fk_device_get_chip(FkDevice *self);
/* "ESP32-D0WD (revision v1.0)", "ESP8285N08", "ESP32-S3" */
const gchar *
fk_device_get_chip_description(FkDevice *self);
/* "v1.0", as esptool prints it; NULL where the chip does not tell its revision */
const gchar *
fk_device_get_chip_revision(FkDevice *self);
const guint8 *
fk_device_get_mac(FkDevice *self); /* 6 bytes */
gchar *
fk_device_get_mac_string(FkDevice *self);
guint
fk_device_get_crystal_mhz(FkDevice *self);
guint32
fk_device_get_flash_id(FkDevice *self);
/* detected flash size in bytes, 0 when unknown */
gsize
fk_device_get_flash_size(FkDevice *self);
gboolean
fk_device_is_stub_running(FkDevice *self);
/* the ESP8285 keeps its flash in the package and must be written in DOUT mode */
gboolean
fk_device_is_esp8285(FkDevice *self);
/* how many times an operation went on after a transmission error or a chip reset */
guint
fk_device_get_recoveries(FkDevice *self);
guint
fk_device_get_current_baud(FkDevice *self);

/* when each step of the last connection ended, in microseconds after it began (0: the step did
 * not happen), for the benchmark and the log; the baud change and the stub upload come in either
 * order (the ROM is switched first where it can be) */
typedef struct {
	gint64 started;	  /* g_get_monotonic_time() when fk_device_connect() began */
	gint64 synced;	  /* reset and SYNC */
	gint64 identified; /* chip, MAC, crystal, description */
	gint64 rom_baud;  /* the ROM switched to the faster rate */
	gint64 stub;	  /* the stub greeted */
	gint64 stub_baud; /* the stub switched to the rate asked for */
	gint64 connected; /* flash attached and measured */
} FkConnectTimes;
void
fk_device_get_connect_times(FkDevice *self, FkConnectTimes *times);

/* register access (esptool's read_mem / write_mem) */
gboolean
fk_device_read_reg(FkDevice *self, guint32 addr, guint32 *value, GCancellable *cancellable, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;
gboolean
fk_device_write_reg(FkDevice *self,
		    guint32 addr,
		    guint32 value,
		    guint32 mask,
		    guint32 delay_us,
		    GCancellable *cancellable,
		    GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* tells the loader the real flash size (needed above 2 MB on the ROM) */
gboolean
fk_device_set_flash_size(FkDevice *self, gsize size, GCancellable *cancellable, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;

/* reads @size bytes at @offset into @out, streamed; the loader's MD5 of the region is checked
 * against what arrived (stub stream digest, or SPI_FLASH_MD5 after a ROM read) and stored in
 * @md5_out (16 bytes) when not NULL */
gboolean
fk_device_read_flash(FkDevice *self,
		     guint32 offset,
		     gsize size,
		     GOutputStream *out,
		     guint8 *md5_out,
		     FkProgress *progress,
		     GCancellable *cancellable,
		     GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* how many bytes of its image the last fk_device_write_flash() sent: less than the image when
 * FK_WRITE_FLAG_ONLY_CHANGED found parts the chip already held */
gsize
fk_device_get_bytes_written(FkDevice *self);

/* writes @data at @offset (padding to 4 bytes with 0xFF, aligning for the ROM) and checks the
 * MD5 of the written region unless FK_WRITE_FLAG_NO_VERIFY or the loader cannot compute one */
gboolean
fk_device_write_flash(FkDevice *self,
		      guint32 offset,
		      GBytes *data,
		      FkWriteFlags flags,
		      FkProgress *progress,
		      GCancellable *cancellable,
		      GError **error) G_GNUC_WARN_UNUSED_RESULT;

gboolean
fk_device_erase_flash(FkDevice *self, FkProgress *progress, GCancellable *cancellable, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;
gboolean
fk_device_erase_region(FkDevice *self,
		       guint32 offset,
		       gsize size,
		       FkProgress *progress,
		       GCancellable *cancellable,
		       GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* the loader's MD5 of a flash region; FK_ERROR_UNSUPPORTED on the ESP8266 ROM */
gboolean
fk_device_flash_md5(FkDevice *self,
		    guint32 offset,
		    gsize size,
		    guint8 *md5_out,
		    GCancellable *cancellable,
		    GError **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean
fk_device_can_md5(FkDevice *self);
gboolean
fk_device_can_read(FkDevice *self);

G_END_DECLS
