/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define FK_TYPE_SIM_DEVICE (fk_sim_device_get_type())
G_DECLARE_FINAL_TYPE(FkSimDevice, fk_sim_device, FK, SIM_DEVICE, GObject)

/* which program the simulated chip runs when the link is first opened */
typedef enum {
	FK_SIM_BOOT_APP,      /* running its application; needs the DTR/RTS reset into download mode */
	FK_SIM_BOOT_DOWNLOAD, /* already in the ROM loader (as if BOOT was held at power-up) */
} FkSimBootMode;

/* how the simulated flasher stub paces its READ_FLASH stream */
typedef enum {
	FK_SIM_STUB_V2,	      /* esp-flasher-stub, whose files esptool-js 0.7.0 and esptool 5 ship: one
			       * packet per acknowledgement frame, one frame taken between two polls */
	FK_SIM_STUB_LEGACY,   /* esptool's legacy stub: acknowledged bytes against max_in_flight */
	FK_SIM_STUB_LOCKSTEP, /* a stub that sends the next packet only when all it sent is
			       * acknowledged, and ignores any other acknowledgement */
} FkSimStubKind;
/* "v2", "legacy" or "lockstep"; FALSE for another name */
gboolean
fk_sim_stub_kind_from_string(const gchar *name, FkSimStubKind *kind);

typedef enum {
	FK_SIM_FAULT_NONE,
	FK_SIM_FAULT_DROP_BYTE,	    /* drop the Nth byte sent to the host */
	FK_SIM_FAULT_FLIP_BIT,	    /* flip one bit (seeded) of the Nth byte sent to the host */
	FK_SIM_FAULT_DELAY,	    /* hold the Nth response back by param2 ms (past a timeout) */
	FK_SIM_FAULT_CLOSE_AFTER,   /* the link goes dead after N bytes were sent to the host */
	FK_SIM_FAULT_WRITE_ERROR,   /* answer the Nth FLASH_DATA/FLASH_DEFL_DATA with an error status */
	FK_SIM_FAULT_SHORT_READ,    /* the Nth stub READ_FLASH data frame is short */
	FK_SIM_FAULT_BAD_MD5,	    /* corrupt the digest at the end of the Nth READ_FLASH */
	FK_SIM_FAULT_RESET,	    /* chip resets (brown-out) when the Nth command arrives */
	FK_SIM_FAULT_FLIP_PARAM,    /* flip one bit of a parameter of the Nth command with one opcode
				     * (param: opcode | parameter byte offset << 8 | bit << 16); no
				     * checksum covers parameters, so the loader acts on the damaged value */
	FK_SIM_FAULT_BAUD_WRONG,    /* the Nth CHANGE_BAUDRATE answers, then sets the UART to 40/26 of
				     * the rate asked (a ROM that takes a 26 MHz crystal for 40 MHz) */
	FK_SIM_FAULT_STUB_BAUD,	    /* the Nth stub to start sets its UART up again at the rate the ROM
				     * auto-detected, ignoring a CHANGE_BAUDRATE the ROM took */
	FK_SIM_FAULT_FLASH_MUTE,    /* the flash leaves the Nth read of its id (RDID) unanswered, as when
				     * the register writes that set the SPI command up were damaged */
} FkSimFaultKind;

/* chips: "esp8266", "esp8285", "esp32", "esp32s3", "esp32c3" (and any others the table has);
 * flash_size 0 = the chip's default (esp8266 4 MB, esp8285 1 MB, others 4 MB) */
FkSimDevice *
fk_sim_device_new(const gchar *chip, gsize flash_size, guint64 seed, GError **error);
/* parses "CHIP[@SIZE]" as in the port name "sim:esp8266@1MB" */
FkSimDevice *
fk_sim_device_new_from_spec(const gchar *spec, GError **error);
/* NULL-terminated list of chip names the simulator supports */
const gchar *const *
fk_sim_device_list_chips(void);

/* what its MAC, flash content and faults are drawn from: one chip, one seed */
guint64
fk_sim_device_get_seed(FkSimDevice *self);
const gchar *
fk_sim_device_get_chip_name(FkSimDevice *self);
const gchar *
fk_sim_device_get_description(FkSimDevice *self); /* "ESP8266 — 1 MB" */
gsize
fk_sim_device_get_flash_size(FkSimDevice *self);
/* the flash as it is now (copy) */
GBytes *
fk_sim_device_get_flash(FkSimDevice *self);
gboolean
fk_sim_device_set_flash(FkSimDevice *self, GBytes *data, GError **error);
gboolean
fk_sim_device_load_flash(FkSimDevice *self, const gchar *path, GError **error);
gboolean
fk_sim_device_dump_flash(FkSimDevice *self, const gchar *path, GError **error);

void
fk_sim_device_set_boot_mode(FkSimDevice *self, FkSimBootMode mode);
/* whether DTR reaches GPIO0 (the default): a board whose reset circuit pulls only EN starts its
 * firmware on every reset, printing its boot log, and never enters download mode by itself */
void
fk_sim_device_set_gpio0_wired(FkSimDevice *self, gboolean wired);
/* an ESP32-C2 on a 26 MHz crystal (@mhz 26) instead of 40: its UART divider counts 26 MHz, and
 * its ROM computes the divider for CHANGE_BAUDRATE as if the crystal were 40 MHz */
void
fk_sim_device_set_crystal_mhz(FkSimDevice *self, guint mhz);
/* pace bytes at the simulated baud rate (baud/10 bytes per second each way), add @latency_us
 * per direction, and spend realistic flash erase/program times */
void
fk_sim_device_set_timing(FkSimDevice *self, gboolean paced, guint latency_us);
/* a raw TCP link has no baud: the host always "matches" the chip's rate */
void
fk_sim_device_set_baud_transparent(FkSimDevice *self, gboolean transparent);
/* the USB adapter on the board: "ch340", "cp2102n", "cp2102", "ft232r", "ch9102" (UART bridges
 * that damage bytes above their fastest clean rate) or "usbjtag" (the chip's native USB
 * Serial/JTAG port, whose speed does not depend on the rate); "NAME@BAUD": this board's line is
 * clean only up to BAUD; NULL: a clean line */
gboolean
fk_sim_device_set_adapter(FkSimDevice *self, const gchar *name, GError **error);
void
fk_sim_device_set_stub_kind(FkSimDevice *self, FkSimStubKind kind);
/* the adapter's driver has a low-latency mode (an FTDI: its latency timer at 1 ms instead of
 * 16): once the host asks for it, bytes reach the host after @latency_us instead of the latency
 * set by fk_sim_device_set_timing() (whichever is less); 0 with @supported FALSE: no such mode */
void
fk_sim_device_set_low_latency_mode(FkSimDevice *self, gboolean supported, guint latency_us);
/* the host's side of the port asks for the low-latency mode (on opening it), or gives it up */
void
fk_sim_device_host_set_low_latency(FkSimDevice *self, gboolean on);
/* what the adapter reports over USB; FALSE when there is no adapter */
gboolean
fk_sim_device_get_adapter_usb(FkSimDevice *self, guint16 *vid, guint16 *pid, const gchar **product,
			      const gchar **serial);
/* bytes the adapter damaged on the way, both directions */
guint64
fk_sim_device_get_adapter_errors(FkSimDevice *self);
void
fk_sim_device_add_fault(FkSimDevice *self, FkSimFaultKind kind, guint n, guint param);
/* "drop:N", "flip:N", "delay:N:MS", "close:N", "write-error:N", "short-read:N", "bad-md5:N",
 * "reset:N"; several separated by commas */
gboolean
fk_sim_device_add_faults_from_string(FkSimDevice *self, const gchar *spec, GError **error);
void
fk_sim_device_clear_faults(FkSimDevice *self);

/* ---- the wire, seen from the device; times are g_get_monotonic_time() microseconds ---- */

/* host opened/closed the port */
void
fk_sim_device_host_open(FkSimDevice *self, gint64 now_us);
void
fk_sim_device_host_close(FkSimDevice *self);
/* the host's UART baud rate (bytes are garbled when it does not match the chip's) */
void
fk_sim_device_set_host_baud(FkSimDevice *self, guint baud, gint64 now_us);
/* whether the board has the usual auto-reset circuit (the default): without it DTR/RTS do
 * nothing, and the chip enters its loader only when a person holds BOOT while resetting it */
void
fk_sim_device_set_auto_reset(FkSimDevice *self, gboolean has_circuit);
gboolean
fk_sim_device_has_auto_reset(FkSimDevice *self);

/* the board's two buttons: BOOT pulls GPIO0 low, EN (RST) holds the chip in reset */
typedef enum {
	FK_SIM_BUTTON_BOOT,
	FK_SIM_BUTTON_EN,
} FkSimButton;
/* presses (TRUE) or lets go of (FALSE) a button now; letting go of EN resets the chip, which
 * samples GPIO0 (BOOT held: the ROM loader) a moment later */
void
fk_sim_device_press_button(FkSimDevice *self, FkSimButton button, gboolean pressed);
/* a short press of EN: the chip resets and samples GPIO0 with BOOT as it is now */
void
fk_sim_device_tap_reset(FkSimDevice *self);
/* what a person does to a board without auto-reset: hold BOOT, tap EN, let go of BOOT */
void
fk_sim_device_enter_download_by_hand(FkSimDevice *self);
/* a simulated person who does that @delay_ms after the host starts talking to a chip that is
 * not in its loader (0: nobody does), so the board can be tried in the window */
void
fk_sim_device_set_helping_hand(FkSimDevice *self, guint delay_ms);

/* host's DTR/RTS (TRUE = asserted); drives EN and GPIO0 through the usual two-transistor circuit */
void
fk_sim_device_set_lines(FkSimDevice *self, gboolean dtr, gboolean rts, gint64 now_us);
/* bytes from the host, written at @now_us */
void
fk_sim_device_host_write(FkSimDevice *self, const guint8 *data, gsize len, gint64 now_us);
/* bytes for the host that have arrived by @now_us; *next_us (may be NULL) is set to the time
 * the next pending byte arrives, or -1 if nothing is pending */
gsize
fk_sim_device_host_read(FkSimDevice *self, guint8 *buf, gsize len, gint64 now_us, gint64 *next_us);
/* TRUE once a CLOSE_AFTER fault fired: the link is dead */
gboolean
fk_sim_device_is_link_dead(FkSimDevice *self);
/* drops everything queued for the host */
void
fk_sim_device_flush_host_input(FkSimDevice *self);

/* human-readable wire trace ("> SYNC …", "< …") */
typedef void (*FkSimTraceFunc)(const gchar *line, gpointer user_data);
void
fk_sim_device_set_trace_func(FkSimDevice *self, FkSimTraceFunc func, gpointer user_data);

/* counters for tests */
typedef struct {
	guint resets;		/* EN rising edges */
	guint download_boots;	/* resets that ended in the ROM loader */
	guint commands;		/* command frames handled */
	guint stub_uploads;	/* stub started (MEM_END with entry + plausible segments) */
	guint baud;		/* chip's current UART rate */
	gboolean stub_running;
	guint read_streams;	/* READ_FLASH streams begun */
	guint read_packets;	/* READ_FLASH data packets the stub sent */
	guint read_acks_ahead;	/* acknowledgements of fewer bytes than the stub had sent */
	guint read_acks;	/* acknowledgement frames the stub took during READ_FLASH streams */
	guint read_acks_lost;	/* v2: frames its receiver dropped (one arrived before it had
				 * polled the one before) */
	guint read_line_idle;	/* packets after a stream's first that began after the line had
				 * gone quiet (the host's acknowledgement came late) */
	guint read_stuck;	/* v2: streams acknowledged before their first packet: the stub
				 * waits for ever */
	guint read_ended_early;	/* streams the host ended before their end (a frame shorter than an
				 * acknowledgement) */
	guint gpio0_early;	/* DTR/RTS let GPIO0 go after EN rose but before the chip sampled
				 * it: the chip starts its firmware */
	guint gpio0_after_banner;  /* let go in an ESP32-family download mode once the host had
				    * read all the ROM printed ("waiting for download" and its
				    * line end) */
	guint gpio0_before_banner; /* let go there before the host had read it all */
} FkSimStats;
void
fk_sim_device_get_stats(FkSimDevice *self, FkSimStats *stats);

G_END_DECLS
