/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The simulated chip's state, shared by the fk-sim-* layers (not by the simulator's users,
 * who see fk-sim-device.h). */
#pragma once

#include <zlib.h>

#include "fk-sim-private.h"
#include "fk-slip.h"

G_BEGIN_DECLS

#define FK_SIM_EN_MIN_LOW_US	 100   /* shorter EN glitches are swallowed by the RC filter */
#define FK_SIM_STRAP_DELAY_US	 2000  /* GPIO0 is sampled this long after EN rises */
#define FK_SIM_TAP_US		 1000  /* a tap of a button (long enough for the RC filter on EN) */
#define FK_SIM_CMD_OVERHEAD_US	 40    /* loader overhead per command */
#define FK_SIM_SECTOR_ERASE_US	 40000 /* 4 KiB sector erase */
#define FK_SIM_BLOCK_ERASE_US	 150000 /* 64 KiB block erase */
#define FK_SIM_PAGE_PROGRAM_US	 700	/* 256 byte page program */
#define FK_SIM_CHIP_ERASE_US_MB	 1500000 /* chip erase per MiB */
#define FK_SIM_READ_NS_BYTE	 50	 /* flash read, 20 MB/s */
#define FK_SIM_MD5_NS_BYTE	 100	 /* read plus digest */
#define FK_SIM_STUB_START_US	 3000	 /* stub start-up until OHAI */
#define FK_SIM_STUB_BAUD_SWITCH_US 10000 /* a stub switches its UART this long after its reply */
#define FK_SIM_READ_START_US	 20	 /* stub: READ_FLASH's reply sent until its stream's first poll */
#define FK_SIM_UART_FIFO	 128	 /* bytes: a stub's send returns when its last bytes are in it */
#define FK_SIM_UART_RX_TOUT	 10	 /* v2: byte times of a quiet line before its receive interrupt */
#define FK_SIM_APP_PERIOD_US	 1000000
#define FK_SIM_BAUD_TOLERANCE	 0.03
#define FK_SIM_HOST_QUEUE_MAX	 (512 * 1024)
#define FK_SIM_MAX_FRAME	 (FK_STUB_WRITE_SIZE + 0x200)
#define FK_SIM_ROM_DEFAULT_LIMIT (2 * 1024 * 1024)
#define FK_SIM_ROM8266_LIMIT	 (4 * 1024 * 1024)
#define FK_SIM_ADDR_SPACE	 (16 * 1024 * 1024)
#define FK_SIM_RTC_SLOW_HZ	 150000 /* the RC clock that drives the RTC watchdog */
#define FK_SIM_RTC_WDT_WKEY	 0x50D83AA1
#define FK_SIM_RESET_RTC_WDT	 0x10 /* reset_cause: the RTC watchdog (ESP32 family) */

typedef enum {
	FK_SIM_STATE_OFF,  /* EN held low, or never powered */
	FK_SIM_STATE_ROM,  /* serial ROM loader */
	FK_SIM_STATE_STUB, /* flasher stub running from RAM */
	FK_SIM_STATE_APP,  /* the application from flash */
	FK_SIM_STATE_HUNG, /* jumped into nowhere; only a reset helps */
} FkSimState;

typedef struct {
	FkSimFaultKind kind;
	guint n;
	guint param;
	guint64 base; /* counter value when the fault was added */
	gboolean fired;
} FkSimFault;

/* a USB adapter between the host and the chip's UART */
typedef struct {
	const gchar *name; /* "ch340", as in the port option adapter= */
	guint16 vid;
	guint16 pid;
	const gchar *product;
	const gchar *serial; /* NULL: the adapter has no serial number (most CH340s) */
	guint max_clean_baud; /* bytes get damaged above it */
	gboolean native;      /* the chip's own USB: no UART, the rate is ignored */
} FkSimAdapter;

#define FK_SIM_NATIVE_USB_BYTE_NS 1000 /* full-speed USB bulk transfers: about 1 MB/s */

typedef struct {
	guint8 raw;
	guint8 val;
	guint tx_baud;
	gint64 t;
	guint64 index;
} FkSimOutByte;

typedef struct {
	guint32 addr;
	guint32 size;
	GByteArray *data;
} FkSimRamSegment;

struct _FkSimDevice {
	GObject parent_instance;
	GMutex mutex;
	const FkSimChip *chip;
	guint64 seed;
	guint64 rng;
	guint8 *flash;
	gsize flash_size;

	/* configuration */
	FkSimBootMode boot_mode;
	gboolean gpio0_unwired; /* the reset circuit reaches EN only: every reset boots the firmware */
	guint32 uart_clk_hz;	/* the clock feeding the UART divider (the chip's, or another crystal) */
	gboolean paced;
	guint latency_us;
	gboolean baud_transparent;
	FkSimStubKind stub_kind;
	gboolean low_latency_mode; /* the adapter's driver has one */
	guint low_latency_us;	   /* its latency to the host in that mode */
	gboolean low_latency;	   /* the host turned it on */
	const FkSimAdapter *adapter; /* NULL: a clean line at any rate */
	guint adapter_max_clean;     /* 0: the adapter's own fastest clean rate */
	guint64 adapter_errors;	     /* bytes the adapter damaged */
	GArray *faults;
	FkSimTraceFunc trace_func;
	gpointer trace_data;
	GPtrArray *trace_lines;

	/* host side of the link */
	gboolean host_open;
	guint host_baud;
	gboolean dtr;
	gboolean rts;
	gboolean usb_download_latch; /* native USB: DTR alone asked for the download mode */
	gint64 host_tx_free;
	GArray *out; /* FkSimOutByte */
	guint out_pos;
	guint64 host_read_index; /* FkSimOutByte.index of the last byte the host read */
	guint64 banner_end_index; /* of the last byte of the ROM's download-mode banner (0: none) */
	gboolean link_dead;

	/* electrical state */
	gboolean auto_reset_circuit; /* DTR/RTS reach EN and GPIO0 */
	gboolean boot_pressed;	     /* the BOOT button holds GPIO0 low */
	gboolean en_pressed;	     /* the EN button holds the chip in reset */
	gint64 hand_delay_us;	     /* a simulated person's patience (0: nobody there) */
	gint64 hand_at;		     /* when they will hold BOOT and tap EN (0: not yet asked) */
	gint64 hand_release_at;	     /* when they will let go of BOOT (0: not holding it) */
	gboolean powered;
	gboolean en_low;
	gint64 en_low_since;
	gboolean boot_pending;
	gint64 boot_at;
	guint reset_cause; /* ESP8266 rst cause: 1 power-on, 2 EN pin, 4 software */
	gboolean wdt_armed; /* the RTC watchdog resets the chip at wdt_at */
	gint64 wdt_at;

	/* the chip's UART */
	FkSimState state;
	guint chip_baud;
	guint chip_baud_prev;
	gint64 chip_baud_switch_at;
	gboolean autobauded;
	guint rom_autobaud; /* the rate the ROM detected after its last reset */
	gint64 dev_tx_free;
	gint64 busy_until;
	gint64 now; /* latest time the host told us about */

	/* loader state */
	FkSlipDecoder *decoder;
	GHashTable *regs;
	guint32 last_value;
	gsize flash_limit;
	gboolean flash_attached; /* the SPI pins are connected to the flash */
	guint8 deferred; /* stub: error code for the next command */
	GPtrArray *ram;	 /* FkSimRamSegment */
	FkSimRamSegment *mem_seg;
	guint32 mem_block_size;

	gboolean fl_active;
	gboolean fl_compressed;
	guint32 fl_offset;
	guint32 fl_size;	/* announced bytes (uncompressed) */
	guint32 fl_block_size;
	guint32 fl_written;	/* stub: bytes written so far */
	guint32 fl_next_seq;
	z_stream fl_z;
	gboolean fl_z_init;
	gboolean fl_z_done;
	guint8 *fl_erased; /* stub lazy erase: per sector in this session */

	gboolean rd_active;
	guint32 rd_offset;
	guint32 rd_length;
	guint32 rd_packet;
	guint32 rd_sent;	 /* bytes */
	guint32 rd_max_in_flight; /* legacy: bytes */
	guint32 rd_sent_packets;
	guint32 rd_acked_packets; /* v2: acknowledgement frames taken */
	guint32 rd_acked;	  /* the last acknowledgement's value */
	gboolean rd_started;	  /* v2: the stream's first poll happened */
	gint64 rd_first_poll;	  /* v2: when it happens */
	gint64 rd_loop_free;	  /* when the stub's loop next looks for an acknowledgement */
	gint64 rd_armed_at;	  /* v2: its receiver takes a frame again from then */
	GChecksum *rd_md5;

	/* ESP32 ROM crystal estimate */
	guint32 rtc_cali;
	guint32 ck8m;

	/* application output */
	gint64 app_next_at;
	guint app_lines;
	gint64 app_start;

	/* counters */
	FkSimStats stats;
	guint64 bytes_to_host;
	guint64 bytes_from_host;
	guint64 n_commands;
	guint64 n_by_op[256]; /* commands received, per opcode */
	guint64 n_data_cmds;
	guint64 n_read_frames;
	guint64 n_reads;
	guint64 n_flash_ids; /* RDID commands the flash was given */
};

/* ---- what each layer offers the others ---- */

/* fk-sim-device.c */
/* adds a line to the wire trace (only when a trace function is set) */
void
fk_sim_device_trace(FkSimDevice *self, const gchar *fmt, ...) G_GNUC_PRINTF(2, 3);
/* hands the trace lines kept under the lock to the trace function; call it without the lock */
void
fk_sim_device_flush_trace(FkSimDevice *self);

/* fk-sim-timing.c */
gint64
fk_sim_device_bytes_us(FkSimDevice *self, guint baud, gsize n);
/* how long bytes take through the adapter to the host beyond their wire time */
gint64
fk_sim_device_latency_to_host_us(FkSimDevice *self);
guint8
fk_sim_device_garble(FkSimDevice *self, guint8 b, guint tx_baud, guint rx_baud, guint64 index);
void
fk_sim_device_emit_text(FkSimDevice *self, const gchar *text, gint64 t, guint baud);
void
fk_sim_device_emit_frame(FkSimDevice *self, const guint8 *data, gsize len, gint64 t);

/* fk-sim-adapter.c */
const FkSimAdapter *
fk_sim_adapter_find(const gchar *name, GError **error);
/* bits to flip in byte @index sent at @baud in direction @dir ('>' to the chip, '<' to the
 * host): none while the adapter carries the rate cleanly */
guint8
fk_sim_device_adapter_noise(FkSimDevice *self, guint baud, guint64 index, gchar dir);

/* fk-sim-faults.c */
FkSimFault *
fk_sim_device_fault_check(FkSimDevice *self, FkSimFaultKind kind, guint64 counter);
/* counts a command and, when a parameter fault is due, returns a damaged copy of its payload
 * (NULL: use the payload as it came) */
guint8 *
fk_sim_device_fault_flip_param(FkSimDevice *self, guint8 op, const guint8 *data, gsize len);

/* fk-sim-loader.c */
gboolean
fk_sim_device_basic_command(guint8 op);
void
fk_sim_device_reply_full(FkSimDevice *self,
			 guint8 op,
			 guint32 value,
			 const guint8 *payload,
			 gsize payload_len,
			 guint8 code,
			 gint64 t);
guint32
fk_sim_device_stale_value(FkSimDevice *self);
void
fk_sim_device_reply(FkSimDevice *self, guint8 op, guint8 code, gint64 t);
void
fk_sim_device_reject(FkSimDevice *self, guint8 op, gint64 t);
void
fk_sim_device_end_flash_session(FkSimDevice *self);
guint8
fk_sim_device_err(FkSimDevice *self, guint8 rom_code, guint8 stub_code);
gboolean
fk_sim_device_check_data_block(FkSimDevice *self,
			       guint8 op,
			       const guint8 *d,
			       gsize len,
			       guint32 csum,
			       gint64 t,
			       guint32 *dlen,
			       guint32 *seq);
gboolean
fk_sim_device_beyond_limit(FkSimDevice *self, guint64 offset, guint64 size);
void
fk_sim_device_cmd_flash_begin(FkSimDevice *self, guint8 op, const guint8 *d, gsize len, gint64 t);
void
fk_sim_device_cmd_flash_data(FkSimDevice *self,
			     guint8 op,
			     const guint8 *d,
			     gsize len,
			     guint32 csum,
			     gint64 t);
void
fk_sim_device_cmd_flash_end(FkSimDevice *self, guint8 op, const guint8 *d, gsize len, gint64 t);
void
fk_sim_device_cmd_change_baud(FkSimDevice *self, guint8 op, const guint8 *d, gsize len, gint64 t);
void
fk_sim_device_cmd_sync(FkSimDevice *self, guint8 op, const guint8 *d, gsize len, gint64 t);
void
fk_sim_device_cmd_read_reg(FkSimDevice *self, guint8 op, const guint8 *d, gsize len, gint64 t);
void
fk_sim_device_cmd_write_reg(FkSimDevice *self, guint8 op, const guint8 *d, gsize len, gint64 t);
void
fk_sim_device_cmd_spi_set_params(FkSimDevice *self,
				 guint8 op,
				 const guint8 *d,
				 gsize len,
				 gint64 t);
void
fk_sim_device_cmd_spi_attach(FkSimDevice *self, guint8 op, const guint8 *d, gsize len, gint64 t);
void
fk_sim_device_cmd_md5(FkSimDevice *self, guint8 op, const guint8 *d, gsize len, gint64 t);

/* fk-sim-registers.c */
void
fk_sim_device_reg_set(FkSimDevice *self, guint32 addr, guint32 val);
guint32
fk_sim_device_read_reg(FkSimDevice *self, guint32 addr);
void
fk_sim_device_write_reg(FkSimDevice *self, guint32 addr, guint32 value, guint32 mask);
void
fk_sim_device_init_efuses(FkSimDevice *self);

/* fk-sim-flash.c */
gboolean
fk_sim_device_sector_blank(FkSimDevice *self, guint32 sector);
void
fk_sim_device_erase_sector(FkSimDevice *self, guint32 sector);
gint64
fk_sim_device_erase_sectors(FkSimDevice *self, guint32 first, guint32 count);
gint64
fk_sim_device_program(FkSimDevice *self, guint32 addr, const guint8 *data, gsize len);
void
fk_sim_device_md5(FkSimDevice *self, guint32 addr, guint32 size, guint8 digest[16]);
void
fk_sim_device_read(FkSimDevice *self, guint32 addr, guint8 *buf, gsize len);
void
fk_sim_device_flash_command(FkSimDevice *self, guint8 op, guint32 addr, guint8 *data, gsize len);
void
fk_sim_device_flash_attach(FkSimDevice *self, gboolean attached);

/* fk-sim-read.c */
void
fk_sim_device_end_read(FkSimDevice *self);
void
fk_sim_device_cmd_read_flash(FkSimDevice *self, guint8 op, const guint8 *d, gsize len, gint64 t);
/* a frame from the host during a READ_FLASH stream; @t_first: when its first byte arrived,
 * @t: its last */
void
fk_sim_device_read_frame(FkSimDevice *self, const guint8 *frame, gsize len, gint64 t_first, gint64 t);
/* what the stream does on its own by @now (the v2 stub's first packet) */
void
fk_sim_device_read_advance(FkSimDevice *self, gint64 now);
/* when the stream will do something on its own, or -1 */
gint64
fk_sim_device_read_next_event(FkSimDevice *self);

/* fk-sim-stub.c */
void
fk_sim_device_cmd_mem(FkSimDevice *self,
		      guint8 op,
		      const guint8 *d,
		      gsize len,
		      guint32 csum,
		      gint64 t);
gboolean
fk_sim_device_stub_supports(guint8 op);
void
fk_sim_device_cmd_erase_flash(FkSimDevice *self, guint8 op, gint64 t);
void
fk_sim_device_cmd_erase_region(FkSimDevice *self, guint8 op, const guint8 *d, gsize len, gint64 t);
void
fk_sim_device_cmd_run_user_code(FkSimDevice *self, gint64 t);

/* fk-sim-reset.c */
void
fk_sim_device_cpu_reset(FkSimDevice *self);
void
fk_sim_device_power_off(FkSimDevice *self, gint64 t);
void
fk_sim_device_app_start(FkSimDevice *self, gint64 t);
void
fk_sim_device_boot(FkSimDevice *self, gboolean download, gint64 t);
void
fk_sim_device_chip_reset(FkSimDevice *self, gint64 t, guint cause);
void
fk_sim_device_advance(FkSimDevice *self, gint64 now);
void
fk_sim_device_drive_lines(FkSimDevice *self, gboolean dtr, gboolean rts, gint64 now_us);
void
fk_sim_device_drive_buttons(FkSimDevice *self, gboolean boot, gboolean en, gint64 now_us);
/* the host talks to a chip that is not in its loader: a simulated person, if there is one, will
 * put it there by hand */
void
fk_sim_device_hand_notice(FkSimDevice *self, gint64 now_us);
gboolean
fk_sim_device_watchdog_locked(FkSimDevice *self, guint32 addr);
void
fk_sim_device_watchdog_write(FkSimDevice *self, guint32 addr, gint64 t);

/* fk-sim-rom32.c */
void
fk_sim_device_cmd_security_info(FkSimDevice *self, guint8 op, gint64 t);
gboolean
fk_sim_rom32_supports(FkSimDevice *self, guint8 op);
guint
fk_sim_rom32_uart_baud(FkSimDevice *self, guint requested);
gboolean
fk_sim_rom32_read_reg(FkSimDevice *self, guint32 addr, guint32 *val);
void
fk_sim_rom32_init_efuses(FkSimDevice *self, const guint8 mac[6], guint64 *st);
void
fk_sim_device_cmd_read_flash_slow(FkSimDevice *self,
				  guint8 op,
				  const guint8 *d,
				  gsize len,
				  gint64 t);

/* fk-sim-rom8266.c */
gboolean
fk_sim_rom8266_supports(guint8 op);
void
fk_sim_rom8266_init_otp(FkSimDevice *self, const guint8 mac[6], guint64 *st);

G_END_DECLS
