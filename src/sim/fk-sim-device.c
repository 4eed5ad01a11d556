/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <zlib.h>

#include "fk-error.h"
#include "fk-mem.h"
#include "fk-packet.h"
#include "fk-protocol.h"
#include "fk-sim-private.h"
#include "fk-slip.h"

/* The simulated chip is a state machine driven by the host's calls. Everything is evaluated
 * eagerly on a virtual time line: a frame is handled when its last byte has "arrived" (the
 * write time plus wire time when paced), its replies get arrival times of their own and the
 * host only sees bytes whose arrival time has passed. Things that happen on their own (the
 * boot after a reset, application output) are evaluated lazily whenever the host calls in. */

#define FK_SIM_EN_MIN_LOW_US	 100   /* shorter EN glitches are swallowed by the RC filter */
#define FK_SIM_STRAP_DELAY_US	 2000  /* GPIO0 is sampled this long after EN rises */
#define FK_SIM_CMD_OVERHEAD_US	 40    /* loader overhead per command */
#define FK_SIM_SECTOR_ERASE_US	 40000 /* 4 KiB sector erase */
#define FK_SIM_BLOCK_ERASE_US	 150000 /* 64 KiB block erase */
#define FK_SIM_PAGE_PROGRAM_US	 700	/* 256 byte page program */
#define FK_SIM_CHIP_ERASE_US_MB	 1500000 /* chip erase per MiB */
#define FK_SIM_READ_NS_BYTE	 50	 /* flash read, 20 MB/s */
#define FK_SIM_MD5_NS_BYTE	 100	 /* read plus digest */
#define FK_SIM_STUB_START_US	 3000	 /* stub start-up until OHAI */
#define FK_SIM_APP_PERIOD_US	 1000000
#define FK_SIM_BAUD_TOLERANCE	 0.03
#define FK_SIM_HOST_QUEUE_MAX	 (512 * 1024)
#define FK_SIM_MAX_FRAME	 (FK_STUB_WRITE_SIZE + 0x200)
#define FK_SIM_ROM_DEFAULT_LIMIT (2 * 1024 * 1024)
#define FK_SIM_ROM8266_LIMIT	 (4 * 1024 * 1024)
#define FK_SIM_ADDR_SPACE	 (16 * 1024 * 1024)

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
	gboolean paced;
	guint latency_us;
	gboolean baud_transparent;
	GArray *faults;
	FkSimTraceFunc trace_func;
	gpointer trace_data;
	GPtrArray *trace_lines;

	/* host side of the link */
	gboolean host_open;
	guint host_baud;
	gboolean dtr;
	gboolean rts;
	gint64 host_tx_free;
	GArray *out; /* FkSimOutByte */
	guint out_pos;
	gboolean link_dead;

	/* electrical state */
	gboolean powered;
	gboolean en_low;
	gint64 en_low_since;
	gboolean boot_pending;
	gint64 boot_at;
	guint reset_cause; /* ESP8266 rst cause: 1 power-on, 2 EN pin, 4 software */

	/* the chip's UART */
	FkSimState state;
	guint chip_baud;
	guint chip_baud_prev;
	gint64 chip_baud_switch_at;
	gboolean autobauded;
	gint64 dev_tx_free;
	gint64 busy_until;
	gint64 now; /* latest time the host told us about */

	/* loader state */
	FkSlipDecoder *decoder;
	GHashTable *regs;
	guint32 last_value;
	gsize flash_limit;
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
	guint32 rd_sent;
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
	guint64 n_commands;
	guint64 n_data_cmds;
	guint64 n_read_frames;
	guint64 n_reads;
};

G_DEFINE_FINAL_TYPE(FkSimDevice, fk_sim_device, G_TYPE_OBJECT)

static void
fk_sim_device_handle_frame(FkSimDevice *self, const guint8 *frame, gsize len, gint64 t);
static void
fk_sim_device_advance(FkSimDevice *self, gint64 now);

/* ---- small helpers ---- */

static void
fk_sim_ram_segment_free(FkSimRamSegment *seg)
{
	g_byte_array_unref(seg->data);
	g_free(seg);
}

static void
fk_sim_device_trace(FkSimDevice *self, const gchar *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
fk_sim_device_trace(FkSimDevice *self, const gchar *fmt, ...)
{
	va_list args;
	gchar *line;
	if (self->trace_func == NULL)
		return;
	va_start(args, fmt);
	line = g_strdup_vprintf(fmt, args);
	va_end(args);
	g_ptr_array_add(self->trace_lines, line);
}

/* called without the lock held, so the callback may do anything */
static void
fk_sim_device_flush_trace(FkSimDevice *self)
{
	g_autoptr(GPtrArray) lines = NULL;
	FkSimTraceFunc func;
	gpointer data;

	g_mutex_lock(&self->mutex);
	func = self->trace_func;
	data = self->trace_data;
	if (self->trace_lines->len > 0) {
		lines = self->trace_lines;
		self->trace_lines = g_ptr_array_new_with_free_func(g_free);
	}
	g_mutex_unlock(&self->mutex);
	if (lines == NULL || func == NULL)
		return;
	for (guint i = 0; i < lines->len; i++)
		func(g_ptr_array_index(lines, i), data);
}

static gint64
fk_sim_device_byte_us(FkSimDevice *self, guint baud)
{
	if (!self->paced || baud == 0)
		return 0;
	return (10 * G_USEC_PER_SEC + baud - 1) / baud;
}

static gboolean
fk_sim_baud_mismatch(FkSimDevice *self, guint a, guint b)
{
	gdouble ratio;
	if (self->baud_transparent || a == b || a == 0 || b == 0)
		return FALSE;
	ratio = (gdouble)MAX(a, b) / (gdouble)MIN(a, b);
	return ratio - 1.0 > FK_SIM_BAUD_TOLERANCE;
}

/* what a UART at @rx_baud makes of a byte sent at @tx_baud: deterministic junk */
static guint8
fk_sim_device_garble(FkSimDevice *self, guint8 b, guint tx_baud, guint rx_baud, guint64 index)
{
	guint64 st;
	if (!fk_sim_baud_mismatch(self, tx_baud, rx_baud))
		return b;
	st = self->seed ^ ((guint64)b << 56) ^ ((guint64)tx_baud << 28) ^ rx_baud ^ (index << 8);
	return (guint8)fk_sim_rand_next(&st);
}

static FkSimFault *
fk_sim_device_fault_check(FkSimDevice *self, FkSimFaultKind kind, guint64 counter)
{
	for (guint i = 0; i < self->faults->len; i++) {
		FkSimFault *f = &g_array_index(self->faults, FkSimFault, i);
		if (f->kind != kind || f->fired)
			continue;
		if (counter - f->base == f->n) {
			f->fired = TRUE;
			return f;
		}
	}
	return NULL;
}

static guint64
fk_sim_device_fault_counter(FkSimDevice *self, FkSimFaultKind kind)
{
	switch (kind) {
	case FK_SIM_FAULT_DROP_BYTE:
	case FK_SIM_FAULT_FLIP_BIT:
	case FK_SIM_FAULT_CLOSE_AFTER:
		return self->bytes_to_host;
	case FK_SIM_FAULT_DELAY:
	case FK_SIM_FAULT_RESET:
		return self->n_commands;
	case FK_SIM_FAULT_WRITE_ERROR:
		return self->n_data_cmds;
	case FK_SIM_FAULT_SHORT_READ:
		return self->n_read_frames;
	case FK_SIM_FAULT_BAD_MD5:
		return self->n_reads;
	case FK_SIM_FAULT_NONE:
	default:
		return 0;
	}
}

/* ---- bytes for the host ---- */

static void
fk_sim_device_emit_raw(FkSimDevice *self, const guint8 *data, gsize len, gint64 t, guint baud)
{
	gint64 bt = fk_sim_device_byte_us(self, baud);
	gint64 start;

	if (self->link_dead || !self->host_open)
		return;
	/* nobody reads: do not let an idle application fill the memory */
	if (self->out->len - self->out_pos > FK_SIM_HOST_QUEUE_MAX)
		return;
	start = self->paced ? MAX(t, self->dev_tx_free) : t;
	for (gsize i = 0; i < len; i++) {
		FkSimOutByte ob = {0};
		FkSimFault *f;
		self->bytes_to_host++;
		ob.raw = data[i];
		ob.tx_baud = baud;
		ob.t = start + (gint64)(i + 1) * bt + (self->paced ? self->latency_us : 0);
		ob.index = self->bytes_to_host;
		if (fk_sim_device_fault_check(self, FK_SIM_FAULT_DROP_BYTE, self->bytes_to_host) !=
		    NULL) {
			fk_sim_device_trace(self, "! fault: dropped byte %" G_GUINT64_FORMAT,
					    self->bytes_to_host);
			continue;
		}
		f = fk_sim_device_fault_check(self, FK_SIM_FAULT_FLIP_BIT, self->bytes_to_host);
		if (f != NULL) {
			guint64 st = self->seed ^ self->bytes_to_host;
			guint bit = (guint)(fk_sim_rand_next(&st) % 8);
			ob.raw ^= (guint8)(1u << bit);
			fk_sim_device_trace(self,
					    "! fault: flipped bit %u of byte %" G_GUINT64_FORMAT,
					    bit,
					    self->bytes_to_host);
		}
		ob.val = fk_sim_device_garble(self, ob.raw, baud, self->host_baud, ob.index);
		g_array_append_val(self->out, ob);
		if (fk_sim_device_fault_check(self, FK_SIM_FAULT_CLOSE_AFTER, self->bytes_to_host) !=
		    NULL) {
			fk_sim_device_trace(self,
					    "! fault: link closed after %" G_GUINT64_FORMAT " bytes",
					    self->bytes_to_host);
			self->link_dead = TRUE;
			break;
		}
	}
	if (self->paced)
		self->dev_tx_free = start + (gint64)len * bt;
}

static void
fk_sim_device_emit_text(FkSimDevice *self, const gchar *text, gint64 t, guint baud)
{
	fk_sim_device_emit_raw(self, (const guint8 *)text, strlen(text), t, baud);
}

static void
fk_sim_device_emit_frame(FkSimDevice *self, const guint8 *data, gsize len, gint64 t)
{
	g_autoptr(GByteArray) buf = g_byte_array_sized_new(len * 2 + 2);
	fk_slip_encode(buf, data, len);
	fk_sim_device_emit_raw(self, buf->data, buf->len, t, self->chip_baud);
}

/* ---- loader replies ---- */

static guint
fk_sim_device_status_len(FkSimDevice *self)
{
	if (self->state == FK_SIM_STATE_STUB)
		return 2;
	return self->chip->rom == FK_SIM_ROM_32 ? 4 : 2;
}

/* @code 0 = success; ROM failures are sent as [1, code], stub failures as [code, 0] */
static void
fk_sim_device_reply_full(FkSimDevice *self,
			 guint8 op,
			 guint32 value,
			 const guint8 *payload,
			 gsize payload_len,
			 guint8 code,
			 gint64 t)
{
	guint slen = fk_sim_device_status_len(self);
	g_autoptr(GByteArray) pkt = g_byte_array_sized_new(8 + payload_len + slen);
	guint8 hdr[8] = {0x01, op};
	guint8 st[4] = {0};

	fk_memwrite_u16le(hdr + 2, (guint16)(payload_len + slen));
	fk_memwrite_u32le(hdr + 4, value);
	g_byte_array_append(pkt, hdr, sizeof(hdr));
	if (payload_len > 0)
		g_byte_array_append(pkt, payload, payload_len);
	if (code != 0) {
		if (self->state == FK_SIM_STATE_STUB) {
			st[0] = code;
		} else {
			st[0] = 0x01;
			st[1] = code;
		}
	}
	g_byte_array_append(pkt, st, slen);
	fk_sim_device_trace(self,
			    "< %s len=%" G_GSIZE_FORMAT " value=0x%08x status %02x %02x",
			    fk_opcode_to_string(op),
			    payload_len + slen,
			    value,
			    st[0],
			    st[1]);
	fk_sim_device_emit_frame(self, pkt->data, pkt->len, t);
}

/* ROM32 leaves the last register value in the header of most replies */
static guint32
fk_sim_device_stale_value(FkSimDevice *self)
{
	if (self->state == FK_SIM_STATE_ROM && self->chip->rom == FK_SIM_ROM_32)
		return self->last_value;
	return 0;
}

static void
fk_sim_device_reply(FkSimDevice *self, guint8 op, guint8 code, gint64 t)
{
	fk_sim_device_reply_full(self, op, fk_sim_device_stale_value(self), NULL, 0, code, t);
}

/* ROM: "unsupported command", sent eight times with a mismatching opcode */
static void
fk_sim_device_reject(FkSimDevice *self, guint8 op, gint64 t)
{
	guint8 pkt[12] = {0x01, op == 0x00 ? 0x01 : 0x00};
	guint slen = fk_sim_device_status_len(self);
	fk_memwrite_u16le(pkt + 2, (guint16)slen);
	pkt[8] = 0x01;
	pkt[9] = FK_DEVICE_ERROR_INVALID_MESSAGE;
	fk_sim_device_trace(self, "< rejected unsupported %s (0x%02x) x8", fk_opcode_to_string(op), op);
	for (guint i = 0; i < 8; i++)
		fk_sim_device_emit_frame(self, pkt, 8 + slen, t);
}

/* ---- registers ---- */

static guint32
fk_sim_device_spi_reg(FkSimDevice *self, guint which)
{
	/* which: 0 CMD, 1 ADDR, 2 USR, 3 USR1, 4 USR2, 5 MOSI_DLEN, 6 MISO_DLEN, 7 W0 */
	static const guint32 old_layout[] = {0x00, 0x04, 0x1C, 0x20, 0x24, 0x28, 0x2C, 0x80};
	static const guint32 new_layout[] = {0x00, 0x04, 0x18, 0x1C, 0x20, 0x24, 0x28, 0x58};
	guint32 off;
	if (self->chip->spi_new_layout)
		off = new_layout[which];
	else if (self->chip->rom == FK_SIM_ROM_8266 && which == 7)
		off = 0x40;
	else
		off = old_layout[which];
	return self->chip->spi_base + off;
}

static guint32
fk_sim_device_reg_get(FkSimDevice *self, guint32 addr)
{
	gpointer val = NULL;
	if (g_hash_table_lookup_extended(self->regs, GUINT_TO_POINTER(addr), NULL, &val))
		return GPOINTER_TO_UINT(val);
	return 0;
}

static void
fk_sim_device_reg_set(FkSimDevice *self, guint32 addr, guint32 val)
{
	g_hash_table_insert(self->regs, GUINT_TO_POINTER(addr), GUINT_TO_POINTER(val));
}

static guint8
fk_sim_device_sfdp_byte(FkSimDevice *self, guint32 addr)
{
	guint32 jedec = fk_sim_flash_jedec_id(self->flash_size);
	static const guint8 hdr[16] = {'S', 'F', 'D', 'P', 0x06, 0x01, 0x01, 0xFF,
				       0x00, 0x06, 0x01, 0x10, 0x30, 0x00, 0x00, 0xFF};
	if (addr < 16)
		return hdr[addr];
	if (addr == 0x10)
		return (guint8)(jedec & 0xFF); /* vendor parameter header: manufacturer id */
	if (addr < 0x18)
		return 0x00;
	if (addr >= 0x30 && addr < 0x70)
		return 0x00;
	return 0xFF;
}

/* runs the command the host set up in the SPI controller's user registers */
static void
fk_sim_device_spi_execute(FkSimDevice *self)
{
	guint32 usr = fk_sim_device_reg_get(self, fk_sim_device_spi_reg(self, 2));
	guint32 usr1 = fk_sim_device_reg_get(self, fk_sim_device_spi_reg(self, 3));
	guint32 usr2 = fk_sim_device_reg_get(self, fk_sim_device_spi_reg(self, 4));
	guint32 addr = fk_sim_device_reg_get(self, fk_sim_device_spi_reg(self, 1));
	guint32 w0 = fk_sim_device_spi_reg(self, 7);
	guint8 op = usr2 & 0xFF;
	guint8 data[64];
	guint read_bits = 0;
	guint n;

	if (usr & (1u << 28)) {
		if (self->chip->rom == FK_SIM_ROM_8266)
			read_bits = ((usr1 >> 8) & 0x1FF) + 1;
		else
			read_bits =
			    (fk_sim_device_reg_get(self, fk_sim_device_spi_reg(self, 6)) & 0x3FF) +
			    1;
	}
	if (usr & (1u << 30)) {
		guint addr_bits = ((usr1 >> 26) & 0x3F) + 1;
		if (!self->chip->spi_new_layout && addr_bits < 32)
			addr >>= (32 - addr_bits);
	}
	n = MIN((read_bits + 7) / 8, sizeof(data));
	memset(data, 0xFF, sizeof(data));
	switch (op) {
	case 0x9F: {
		guint32 id = fk_sim_flash_jedec_id(self->flash_size);
		data[0] = id & 0xFF;
		data[1] = (id >> 8) & 0xFF;
		data[2] = (id >> 16) & 0xFF;
		break;
	}
	case 0x5A:
		for (guint i = 0; i < sizeof(data); i++)
			data[i] = fk_sim_device_sfdp_byte(self, addr + i);
		break;
	case 0x03:
	case 0x0B:
		for (guint i = 0; i < sizeof(data); i++)
			data[i] = self->flash[(addr + i) % self->flash_size];
		break;
	case 0x05:
	case 0x35:
	case 0x15:
		memset(data, 0, sizeof(data));
		break;
	case 0x90:
	case 0xAB: {
		guint32 id = fk_sim_flash_jedec_id(self->flash_size);
		data[0] = (guint8)(((id >> 16) & 0xFF) - 1);
		data[1] = data[0];
		if (op == 0x90) {
			data[0] = id & 0xFF;
			data[1] = (guint8)(((id >> 16) & 0xFF) - 1);
		}
		break;
	}
	case 0x4B: {
		guint64 st = self->seed ^ 0x4B4B;
		for (guint i = 0; i < sizeof(data); i++)
			data[i] = (guint8)fk_sim_rand_next(&st);
		break;
	}
	default:
		/* write-only commands (WREN, WRDI, WRSR, reset, power-down …) */
		break;
	}
	fk_sim_device_trace(self, "  spi command 0x%02x (%u read bits)", op, read_bits);
	if (read_bits > 0) {
		for (guint i = 0; i < (n + 3) / 4; i++) {
			guint8 word[4] = {0};
			for (guint j = 0; j < 4 && i * 4 + j < n; j++)
				word[j] = data[i * 4 + j];
			fk_sim_device_reg_set(self, w0 + i * 4, fk_memread_u32le(word));
		}
	}
}

static guint32
fk_sim_device_read_reg(FkSimDevice *self, guint32 addr)
{
	const FkSimChip *chip = self->chip;
	if (addr == FK_CHIP_DETECT_MAGIC_REG)
		return chip->magic;
	if (chip->uart_clkdiv_reg != 0 && addr == chip->uart_clkdiv_reg) {
		guint baud = MAX(self->chip_baud, 300);
		return (chip->uart_clk_hz + baud / 2) / baud;
	}
	if (g_strcmp0(chip->name, "esp32") == 0) {
		if (addr == 0x3FF5F06C)
			return self->rtc_cali << 7;
		if (addr == 0x3FF66000 + 0x7C)
			return 0x80000000; /* APB_CTL_DATE: revision 3 */
	}
	return fk_sim_device_reg_get(self, addr);
}

static void
fk_sim_device_write_reg(FkSimDevice *self, guint32 addr, guint32 value, guint32 mask)
{
	guint32 old = fk_sim_device_read_reg(self, addr);
	guint32 val = (old & ~mask) | (value & mask);
	if (addr == self->chip->spi_base && (val & (1u << 18))) {
		fk_sim_device_reg_set(self, addr, val);
		fk_sim_device_spi_execute(self);
		val &= ~(1u << 18);
	}
	if (addr == FK_CHIP_DETECT_MAGIC_REG)
		return;
	fk_sim_device_reg_set(self, addr, val);
}

/* eFuse / OTP words, deterministic from the seed */
static void
fk_sim_device_init_efuses(FkSimDevice *self)
{
	const FkSimChip *chip = self->chip;
	guint64 st = self->seed ^ 0xEF05E ^ ((guint64)g_str_hash(chip->name) << 16);
	guint32 oui = chip->oui[fk_sim_rand_next(&st) % 4];
	guint32 nic = (guint32)fk_sim_rand_next(&st) & 0xFFFFFF;
	guint8 mac[6] = {oui >> 16, (oui >> 8) & 0xFF, oui & 0xFF, nic >> 16, (nic >> 8) & 0xFF,
			 nic & 0xFF};
	guint32 m0 = ((guint32)mac[2] << 24) | ((guint32)mac[3] << 16) | ((guint32)mac[4] << 8) |
		     mac[5];
	guint32 m1 = ((guint32)mac[0] << 8) | mac[1];

	if (chip->rom == FK_SIM_ROM_8266) {
		/* OTP: MAC0 = NIC byte 3 | chip id bits, MAC1 = NIC bytes 1..2, MAC3 = OUI */
		guint32 otp0 = ((guint32)mac[5] << 24) | ((guint32)fk_sim_rand_next(&st) & 0xFFFFC0);
		guint32 otp1 = ((guint32)mac[3] << 8) | mac[4];
		guint32 otp2 = (guint32)fk_sim_rand_next(&st) & 0xFFFE0000;
		guint32 otp3 = oui;
		if (g_strcmp0(chip->name, "esp8285") == 0) {
			/* embedded 1 MB flash: bit 4 set, bits 121..123 (OTP3 bits 25..27) clear */
			otp0 |= 1u << 4;
		}
		otp2 &= ~(1u << 16);
		fk_sim_device_reg_set(self, 0x3FF00050, otp0);
		fk_sim_device_reg_set(self, 0x3FF00054, otp1);
		fk_sim_device_reg_set(self, 0x3FF00058, otp2);
		fk_sim_device_reg_set(self, 0x3FF0005C, otp3 & 0x00FFFFFF);
		return;
	}
	if (g_strcmp0(chip->name, "esp32") == 0) {
		/* BLK0: word1 = MAC bytes 2..5, word2 = CRC | MAC bytes 0..1 */
		guint8 crc = (guint8)fk_sim_rand_next(&st);
		fk_sim_device_reg_set(self, 0x3FF5A004, m0);
		fk_sim_device_reg_set(self, 0x3FF5A008, ((guint32)crc << 16) | m1);
		/* revision 3 (word3 bit 15, word5 bit 20, APB date), package D0WD */
		fk_sim_device_reg_set(self, 0x3FF5A00C, (1u << 15) | (1u << 9));
		fk_sim_device_reg_set(self, 0x3FF5A010, self->ck8m);
		fk_sim_device_reg_set(self, 0x3FF5A014, 1u << 20);
		return;
	}
	fk_sim_device_reg_set(self, chip->mac_reg, m0);
	if (g_strcmp0(chip->name, "esp32c6") == 0)
		m1 |= 0xFFFE0000; /* EUI-64 filler bytes */
	if (g_strcmp0(chip->name, "esp32c2") == 0)
		m1 |= 1u << 20; /* chip revision v1.0 */
	fk_sim_device_reg_set(self, chip->mac_reg + 4, m1);
}

/* ---- NOR flash ---- */

static gsize
fk_sim_device_phys(FkSimDevice *self, guint64 addr)
{
	/* 24-bit addressing wraps at the end of the part */
	return (gsize)(addr % self->flash_size);
}

static gboolean
fk_sim_device_sector_blank(FkSimDevice *self, guint32 sector)
{
	gsize base = fk_sim_device_phys(self, (guint64)sector * FK_FLASH_SECTOR_SIZE);
	for (gsize i = 0; i < FK_FLASH_SECTOR_SIZE; i++) {
		if (self->flash[base + i] != 0xFF)
			return FALSE;
	}
	return TRUE;
}

static void
fk_sim_device_erase_sector(FkSimDevice *self, guint32 sector)
{
	gsize base = fk_sim_device_phys(self, (guint64)sector * FK_FLASH_SECTOR_SIZE);
	memset(self->flash + base, 0xFF, FK_FLASH_SECTOR_SIZE);
}

/* erases @count sectors from @first the way a loader does: 64 KiB blocks where it can;
 * returns the time it takes */
static gint64
fk_sim_device_erase_sectors(FkSimDevice *self, guint32 first, guint32 count)
{
	gint64 us = 0;
	guint32 s = first;
	guint32 end = first + count;
	while (s < end) {
		if (s % 16 == 0 && end - s >= 16) {
			for (guint i = 0; i < 16; i++)
				fk_sim_device_erase_sector(self, s + i);
			us += FK_SIM_BLOCK_ERASE_US;
			s += 16;
		} else {
			fk_sim_device_erase_sector(self, s);
			us += FK_SIM_SECTOR_ERASE_US;
			s++;
		}
	}
	return us;
}

/* programming only clears bits */
static gint64
fk_sim_device_program(FkSimDevice *self, guint32 addr, const guint8 *data, gsize len)
{
	for (gsize i = 0; i < len; i++)
		self->flash[fk_sim_device_phys(self, (guint64)addr + i)] &= data[i];
	return (gint64)((len + 255) / 256) * FK_SIM_PAGE_PROGRAM_US;
}

static void
fk_sim_device_md5(FkSimDevice *self, guint32 addr, guint32 size, guint8 digest[16])
{
	g_autoptr(GChecksum) md5 = g_checksum_new(G_CHECKSUM_MD5);
	gsize dlen = 16;
	guint32 done = 0;
	while (done < size) {
		gsize phys = fk_sim_device_phys(self, (guint64)addr + done);
		gsize n = MIN((gsize)(size - done), self->flash_size - phys);
		g_checksum_update(md5, self->flash + phys, (gssize)n);
		done += (guint32)n;
	}
	g_checksum_get_digest(md5, digest, &dlen);
}

static void
fk_sim_device_read(FkSimDevice *self, guint32 addr, guint8 *buf, gsize len)
{
	for (gsize i = 0; i < len; i++)
		buf[i] = self->flash[fk_sim_device_phys(self, (guint64)addr + i)];
}

/* ---- chip life cycle ---- */

static void
fk_sim_device_end_flash_session(FkSimDevice *self)
{
	if (self->fl_z_init)
		inflateEnd(&self->fl_z);
	self->fl_z_init = FALSE;
	self->fl_z_done = FALSE;
	self->fl_active = FALSE;
	g_clear_pointer(&self->fl_erased, g_free);
}

static void
fk_sim_device_end_read(FkSimDevice *self)
{
	self->rd_active = FALSE;
	g_clear_pointer(&self->rd_md5, g_checksum_free);
}

/* loses everything that lives in RAM */
static void
fk_sim_device_cpu_reset(FkSimDevice *self)
{
	fk_sim_device_end_flash_session(self);
	fk_sim_device_end_read(self);
	g_ptr_array_set_size(self->ram, 0);
	self->mem_seg = NULL;
	self->deferred = 0;
	self->last_value = 0;
	self->flash_limit =
	    self->chip->rom == FK_SIM_ROM_32 ? FK_SIM_ROM_DEFAULT_LIMIT : FK_SIM_ROM8266_LIMIT;
	g_hash_table_remove_all(self->regs);
	fk_sim_device_init_efuses(self);
	fk_slip_decoder_reset(self->decoder);
	fk_slip_decoder_clear_garbage(self->decoder);
	self->stats.stub_running = FALSE;
}

/* output already on its way stays; what the chip had not sent yet is lost */
static void
fk_sim_device_power_off(FkSimDevice *self, gint64 t)
{
	guint keep = self->out->len;
	while (keep > self->out_pos && g_array_index(self->out, FkSimOutByte, keep - 1).t > t)
		keep--;
	g_array_set_size(self->out, keep);
	self->dev_tx_free = MIN(self->dev_tx_free, t);
	self->busy_until = t;
	self->state = FK_SIM_STATE_OFF;
	fk_sim_device_cpu_reset(self);
}

static void
fk_sim_device_app_start(FkSimDevice *self, gint64 t)
{
	g_autofree gchar *text = NULL;
	self->state = FK_SIM_STATE_APP;
	self->chip_baud = 115200;
	self->chip_baud_switch_at = 0;
	self->app_start = t;
	self->app_lines = 0;
	self->app_next_at = t + 300000;
	if (self->chip->rom == FK_SIM_ROM_8266) {
		text = g_strdup_printf("\r\nflashkeep-demo 1.4.2 on %s\r\nmode : sta\r\n",
				       self->chip->title);
	} else {
		text = g_strdup_printf("I (31) boot: ESP-IDF v5.1.2 2nd stage bootloader\r\n"
				       "I (31) boot: compile time Jan 12 2024 10:31:07\r\n"
				       "I (33) boot: chip revision: v%s\r\n"
				       "I (120) cpu_start: Pro cpu start user code\r\n"
				       "I (140) app_main: flashkeep-demo 1.4.2 on %s\r\n",
				       g_strcmp0(self->chip->name, "esp32") == 0 ? "3.0" : "0.4",
				       self->chip->title);
	}
	fk_sim_device_emit_text(self, text, t + 50000, self->chip_baud);
}

static void
fk_sim_device_boot(FkSimDevice *self, gboolean download, gint64 t)
{
	const FkSimChip *chip = self->chip;
	g_autofree gchar *log = NULL;

	fk_sim_device_cpu_reset(self);
	self->busy_until = t;
	self->dev_tx_free = MAX(self->dev_tx_free, t);
	self->chip_baud = chip->rom_log_baud;
	self->chip_baud_prev = chip->rom_log_baud;
	self->chip_baud_switch_at = 0;
	self->autobauded = FALSE;
	if (chip->rom == FK_SIM_ROM_8266) {
		log = g_strdup_printf("%srst cause:%u, boot mode:(%s)\r\n\r\n",
				      chip->rom_banner,
				      self->reset_cause,
				      download ? "1,7" : "3,6");
		if (!download) {
			gchar *tmp = g_strconcat(log,
						 "load 0x40100000, len 27128, room 16 \r\n"
						 "tail 8\r\nchksum 0x2b\r\n"
						 "load 0x3ffe8000, len 1332, room 0 \r\n"
						 "tail 4\r\nchksum 0x8e\r\ncsum 0x8e\r\n",
						 NULL);
			g_free(log);
			log = tmp;
		}
	} else {
		log = g_strdup_printf("%srst:0x1 (%s),boot:0x%x (%s)\r\n",
				      chip->rom_banner,
				      chip->reset_name,
				      download ? chip->boot_value_download : chip->boot_value_flash,
				      download ? chip->boot_name_download : chip->boot_name_flash);
		if (download) {
			gchar *tmp = g_strconcat(log, "waiting for download\r\n", NULL);
			g_free(log);
			log = tmp;
		} else {
			gchar *tmp = g_strconcat(log,
						 "configsip: 0, SPIWP:0xee\r\n"
						 "mode:DIO, clock div:2\r\n"
						 "load:0x3fff0030,len:7112\r\n"
						 "entry 0x40080640\r\n",
						 NULL);
			g_free(log);
			log = tmp;
		}
	}
	fk_sim_device_trace(self,
			    "* boot: %s (%s)",
			    download ? "download mode" : "flash",
			    self->reset_cause == 1 ? "power-on" : "reset");
	fk_sim_device_emit_text(self, log, t, self->chip_baud);
	if (download) {
		self->state = FK_SIM_STATE_ROM;
		self->stats.download_boots++;
	} else {
		fk_sim_device_app_start(self, t);
	}
}

static gboolean
fk_sim_device_gpio0_low(FkSimDevice *self)
{
	return self->dtr && !self->rts;
}

/* the chip resets on its own (brown-out, software reset); straps from the lines */
static void
fk_sim_device_chip_reset(FkSimDevice *self, gint64 t, guint cause)
{
	fk_sim_device_power_off(self, t);
	self->reset_cause = cause;
	self->boot_pending = TRUE;
	self->boot_at = t + FK_SIM_STRAP_DELAY_US;
}

static void
fk_sim_device_app_tick(FkSimDevice *self, gint64 now)
{
	if (self->state != FK_SIM_STATE_APP)
		return;
	if (now - self->app_next_at > 10 * FK_SIM_APP_PERIOD_US)
		self->app_next_at = now - FK_SIM_APP_PERIOD_US;
	while (self->app_next_at <= now) {
		g_autofree gchar *line = NULL;
		guint ms = (guint)((self->app_next_at - self->app_start) / 1000);
		self->app_lines++;
		if (self->chip->rom == FK_SIM_ROM_8266)
			line = g_strdup_printf("[%u] sensor: t=21.%u rh=4%u%%\r\n",
					       ms,
					       self->app_lines % 10,
					       self->app_lines % 7);
		else
			line = g_strdup_printf("I (%u) app_main: heartbeat %u, free heap %u\r\n",
					       ms,
					       self->app_lines,
					       231000 - (self->app_lines % 50) * 16);
		fk_sim_device_emit_text(self, line, self->app_next_at, self->chip_baud);
		self->app_next_at += FK_SIM_APP_PERIOD_US;
	}
}

static void
fk_sim_device_advance(FkSimDevice *self, gint64 now)
{
	if (now > self->now)
		self->now = now;
	if (self->en_low && self->state != FK_SIM_STATE_OFF &&
	    now - self->en_low_since >= FK_SIM_EN_MIN_LOW_US)
		fk_sim_device_power_off(self, self->en_low_since + FK_SIM_EN_MIN_LOW_US);
	if (self->boot_pending && now >= self->boot_at && !self->en_low) {
		self->boot_pending = FALSE;
		fk_sim_device_boot(self, fk_sim_device_gpio0_low(self), self->boot_at);
	}
	fk_sim_device_app_tick(self, now);
}

void
fk_sim_device_power_cycle(FkSimDevice *self, FkSimBootMode mode, gint64 now_us)
{
	g_mutex_lock(&self->mutex);
	fk_sim_device_power_off(self, now_us);
	self->powered = TRUE;
	self->boot_pending = FALSE;
	self->reset_cause = 1;
	self->stats.resets++;
	fk_sim_device_boot(self, mode == FK_SIM_BOOT_DOWNLOAD, now_us);
	g_mutex_unlock(&self->mutex);
	fk_sim_device_flush_trace(self);
}

/* ---- command handlers ---- */

static gboolean
fk_sim_device_in_ram(FkSimDevice *self, guint32 addr, guint32 len)
{
	for (guint i = 0; i < G_N_ELEMENTS(self->chip->ram); i++) {
		const FkSimRange *r = &self->chip->ram[i];
		if (addr >= r->start && (guint64)addr + len <= r->end)
			return TRUE;
	}
	return FALSE;
}

static void
fk_sim_device_start_stub(FkSimDevice *self, gint64 t)
{
	const guint8 ohai[] = {'O', 'H', 'A', 'I'};
	fk_sim_device_cpu_reset(self);
	self->state = FK_SIM_STATE_STUB;
	self->flash_limit = FK_SIM_ADDR_SPACE;
	self->stats.stub_uploads++;
	self->stats.stub_running = TRUE;
	fk_sim_device_trace(self, "< OHAI (stub running)");
	fk_sim_device_emit_frame(self, ohai, sizeof(ohai), t + (self->paced ? FK_SIM_STUB_START_US : 0));
}

static guint8
fk_sim_device_err(FkSimDevice *self, guint8 rom_code, guint8 stub_code)
{
	return self->state == FK_SIM_STATE_STUB ? stub_code : rom_code;
}

/* the 16-byte sub-header of MEM_DATA, FLASH_DATA and FLASH_DEFL_DATA: length, sequence and the
 * checksum over the data; replies with the loader's error and returns FALSE when wrong */
static gboolean
fk_sim_device_check_data_block(FkSimDevice *self,
			       guint8 op,
			       const guint8 *d,
			       gsize len,
			       guint32 csum,
			       gint64 t,
			       guint32 *dlen,
			       guint32 *seq)
{
	if (len < 16) {
		fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x05, 0xC8), t);
		return FALSE;
	}
	*dlen = fk_memread_u32le(d);
	*seq = fk_memread_u32le(d + 4);
	if (*dlen != len - 16) {
		fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x05, 0xC9), t);
		return FALSE;
	}
	if (fk_checksum(d + 16, *dlen) != (csum & 0xFF)) {
		fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x07, 0xC1), t);
		return FALSE;
	}
	return TRUE;
}

static void
fk_sim_device_cmd_mem(FkSimDevice *self, guint8 op, const guint8 *d, gsize len, guint32 csum, gint64 t)
{
	if (op == FK_OP_MEM_BEGIN) {
		FkSimRamSegment *seg;
		if (len != 16) {
			fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x05, 0xC0), t);
			return;
		}
		seg = g_new0(FkSimRamSegment, 1);
		seg->size = fk_memread_u32le(d);
		seg->addr = fk_memread_u32le(d + 12);
		seg->data = g_byte_array_new();
		self->mem_block_size = fk_memread_u32le(d + 8);
		g_ptr_array_add(self->ram, seg);
		self->mem_seg = seg;
		fk_sim_device_reply(self, op, 0, t);
		return;
	}
	if (op == FK_OP_MEM_DATA) {
		guint32 dlen;
		guint32 seq;
		gsize pos;
		if (self->mem_seg == NULL) {
			fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x05, 0xC6), t);
			return;
		}
		if (!fk_sim_device_check_data_block(self, op, d, len, csum, t, &dlen, &seq))
			return;
		pos = (gsize)seq * self->mem_block_size;
		if (pos + dlen > self->mem_seg->size) {
			fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x0E, 0xC9), t);
			return;
		}
		if (self->mem_seg->data->len < pos + dlen)
			g_byte_array_set_size(self->mem_seg->data, (guint)(pos + dlen));
		memcpy(self->mem_seg->data->data + pos, d + 16, dlen);
		fk_sim_device_reply(self, op, 0, t);
		return;
	}
	/* MEM_END */
	if (len != 8) {
		fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x05, 0xC0), t);
		return;
	}
	{
		guint32 flag = fk_memread_u32le(d);
		guint32 entry = fk_memread_u32le(d + 4);
		gboolean entry_ok = FALSE;
		fk_sim_device_reply(self, op, 0, t);
		self->mem_seg = NULL;
		if (flag != 0)
			return;
		for (guint i = 0; i < self->ram->len; i++) {
			FkSimRamSegment *seg = g_ptr_array_index(self->ram, i);
			if (entry >= seg->addr && entry < seg->addr + seg->data->len &&
			    fk_sim_device_in_ram(self, seg->addr, seg->data->len))
				entry_ok = TRUE;
		}
		if (entry_ok) {
			fk_sim_device_start_stub(self, t);
		} else {
			fk_sim_device_trace(self, "* jumped to 0x%08x outside uploaded code: hung", entry);
			self->state = FK_SIM_STATE_HUNG;
		}
	}
}

/* writes (inflated) bytes of the current flash session; returns the time it takes */
static gint64
fk_sim_device_session_write(FkSimDevice *self, guint32 addr, const guint8 *data, gsize len)
{
	gint64 us = 0;
	if (self->state == FK_SIM_STATE_STUB) {
		/* lazy erase of each sector on first touch; blank sectors are skipped */
		guint32 first = addr / FK_FLASH_SECTOR_SIZE;
		guint32 last = (guint32)(((guint64)addr + len - 1) / FK_FLASH_SECTOR_SIZE);
		guint32 base = self->fl_offset / FK_FLASH_SECTOR_SIZE;
		for (guint32 s = first; len > 0 && s <= last; s++) {
			guint32 idx = s - base;
			if (self->fl_erased == NULL || self->fl_erased[idx])
				continue;
			self->fl_erased[idx] = 1;
			if (fk_sim_device_sector_blank(self, s)) {
				us += FK_SIM_READ_NS_BYTE * FK_FLASH_SECTOR_SIZE / 1000;
			} else {
				fk_sim_device_erase_sector(self, s);
				us += FK_SIM_SECTOR_ERASE_US;
			}
		}
	}
	us += fk_sim_device_program(self, addr, data, len);
	return us;
}

static gboolean
fk_sim_device_beyond_limit(FkSimDevice *self, guint64 offset, guint64 size)
{
	return offset + size > self->flash_limit;
}

static void
fk_sim_device_cmd_flash_begin(FkSimDevice *self, guint8 op, const guint8 *d, gsize len, gint64 t)
{
	gboolean stub = self->state == FK_SIM_STATE_STUB;
	guint32 size;
	guint32 offset;
	gint64 us = 0;

	/* the fifth (encryption) word is not understood by the ESP32 and ESP8266 ROMs */
	if (len != 16 && !(len == 20 && (stub || (self->chip->rom == FK_SIM_ROM_32 &&
						  g_strcmp0(self->chip->name, "esp32") != 0)))) {
		fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x05, 0xC0), t);
		return;
	}
	fk_sim_device_end_flash_session(self);
	size = fk_memread_u32le(d);
	offset = fk_memread_u32le(d + 12);
	self->fl_block_size = fk_memread_u32le(d + 8);
	self->fl_offset = offset;
	self->fl_size = size;
	self->fl_written = 0;
	self->fl_next_seq = 0;
	self->fl_compressed = op == FK_OP_FLASH_DEFL_BEGIN;

	if (!stub) {
		guint32 first;
		guint count;
		if (self->chip->rom == FK_SIM_ROM_8266 && op == FK_OP_FLASH_BEGIN) {
			count = fk_sim_rom8266_erase_sectors(offset, size, &first);
		} else {
			first = offset / FK_FLASH_SECTOR_SIZE;
			count = (guint)(((guint64)offset + size + FK_FLASH_SECTOR_SIZE - 1) /
					    FK_FLASH_SECTOR_SIZE -
					first);
		}
		if (fk_sim_device_beyond_limit(self,
					       (guint64)first * FK_FLASH_SECTOR_SIZE,
					       (guint64)count * FK_FLASH_SECTOR_SIZE)) {
			fk_sim_device_reply(self, op, 0x06, t);
			return;
		}
		if (count > 0)
			fk_sim_device_trace(self,
					    "  erase 0x%06x..0x%06x (%u sectors)",
					    first * FK_FLASH_SECTOR_SIZE,
					    (first + count) * FK_FLASH_SECTOR_SIZE,
					    count);
		us = fk_sim_device_erase_sectors(self, first, count);
	} else {
		guint32 first = offset / FK_FLASH_SECTOR_SIZE;
		guint32 end = (guint32)(((guint64)offset + size + FK_FLASH_SECTOR_SIZE - 1) /
					FK_FLASH_SECTOR_SIZE);
		self->fl_erased = g_new0(guint8, (end - first) + 1);
	}
	if (self->fl_compressed) {
		memset(&self->fl_z, 0, sizeof(self->fl_z));
		if (inflateInit(&self->fl_z) != Z_OK) {
			fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x0B, 0xC7), t);
			return;
		}
		self->fl_z_init = TRUE;
	}
	self->fl_active = TRUE;
	if (self->paced)
		self->busy_until = t + us;
	fk_sim_device_reply(self, op, 0, t + (self->paced ? us : 0));
}

/* feeds compressed bytes; returns FALSE on a corrupt stream */
static gboolean
fk_sim_device_inflate(FkSimDevice *self, const guint8 *data, gsize len, gint64 *us)
{
	guint8 out[32768];
	self->fl_z.next_in = (Bytef *)data;
	self->fl_z.avail_in = (uInt)len;
	while (!self->fl_z_done) {
		int rc;
		gsize produced;
		self->fl_z.next_out = out;
		self->fl_z.avail_out = sizeof(out);
		rc = inflate(&self->fl_z, Z_NO_FLUSH);
		if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
			return FALSE;
		produced = sizeof(out) - self->fl_z.avail_out;
		if (produced > 0) {
			gsize keep = produced;
			if (self->state == FK_SIM_STATE_STUB) {
				/* data beyond the announced size is discarded */
				keep = MIN(produced, (gsize)(self->fl_size - MIN(self->fl_written, self->fl_size)));
			}
			if (keep > 0)
				*us += fk_sim_device_session_write(self,
								   self->fl_offset + self->fl_written,
								   out,
								   keep);
			self->fl_written += (guint32)produced;
		}
		if (rc == Z_STREAM_END) {
			self->fl_z_done = TRUE;
			break;
		}
		if (rc == Z_BUF_ERROR || (self->fl_z.avail_in == 0 && produced < sizeof(out)))
			break;
	}
	return TRUE;
}

static void
fk_sim_device_cmd_flash_data(FkSimDevice *self,
			     guint8 op,
			     const guint8 *d,
			     gsize len,
			     guint32 csum,
			     gint64 t)
{
	gboolean stub = self->state == FK_SIM_STATE_STUB;
	guint32 dlen;
	guint32 seq;
	gint64 us = 0;
	gboolean fail;

	if (!self->fl_active || self->fl_compressed != (op == FK_OP_FLASH_DEFL_DATA)) {
		fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x06, 0xC6), t);
		return;
	}
	if (!fk_sim_device_check_data_block(self, op, d, len, csum, t, &dlen, &seq))
		return;
	self->n_data_cmds++;
	fail = fk_sim_device_fault_check(self, FK_SIM_FAULT_WRITE_ERROR, self->n_data_cmds) != NULL;
	if (fail)
		fk_sim_device_trace(self, "! fault: write error on data block %u", seq);

	if (stub) {
		/* acknowledged first, written while the host sends the next block */
		fk_sim_device_reply(self, op, 0, t);
		if (fail) {
			self->deferred = 0xC4;
			return;
		}
		if (op == FK_OP_FLASH_DEFL_DATA) {
			if (!fk_sim_device_inflate(self, d + 16, dlen, &us))
				self->deferred = 0xC7;
		} else {
			gsize keep = MIN((gsize)dlen, (gsize)(self->fl_size - MIN(self->fl_written, self->fl_size)));
			if (keep > 0)
				us += fk_sim_device_session_write(self,
								  self->fl_offset + self->fl_written,
								  d + 16,
								  keep);
			self->fl_written += (guint32)keep;
		}
		if (self->paced)
			self->busy_until = t + us;
		return;
	}

	/* ROM: work first, then the reply */
	if (fail) {
		fk_sim_device_reply(self, op, 0x08, t);
		return;
	}
	if (op == FK_OP_FLASH_DEFL_DATA) {
		if (!fk_sim_device_inflate(self, d + 16, dlen, &us)) {
			fk_sim_device_reply(self, op, 0x0B, t);
			return;
		}
		if (fk_sim_device_beyond_limit(self, self->fl_offset, self->fl_written)) {
			fk_sim_device_reply(self, op, 0x06, t);
			return;
		}
	} else {
		guint64 addr = (guint64)self->fl_offset + (guint64)seq * self->fl_block_size;
		if (fk_sim_device_beyond_limit(self, addr, dlen)) {
			fk_sim_device_reply(self, op, 0x06, t);
			return;
		}
		us += fk_sim_device_session_write(self, (guint32)addr, d + 16, dlen);
		self->fl_written += dlen;
	}
	self->fl_next_seq = seq + 1;
	if (self->paced)
		self->busy_until = t + us;
	fk_sim_device_reply(self, op, 0, t + (self->paced ? us : 0));
}

static void
fk_sim_device_cmd_flash_end(FkSimDevice *self, guint8 op, const guint8 *d, gsize len, gint64 t)
{
	guint32 flag;
	if (len < 4) {
		fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x05, 0xC0), t);
		return;
	}
	flag = fk_memread_u32le(d);
	if (self->state == FK_SIM_STATE_STUB) {
		if (!self->fl_active) {
			fk_sim_device_reply(self, op, 0xC6, t);
			return;
		}
		if (self->fl_written < self->fl_size) {
			fk_sim_device_end_flash_session(self);
			fk_sim_device_reply(self, op, 0xC0, t);
			return;
		}
		fk_sim_device_end_flash_session(self);
		/* the v2 stub does not reboot on flag 0 */
		fk_sim_device_reply(self, op, 0, t);
		return;
	}
	fk_sim_device_end_flash_session(self);
	fk_sim_device_reply(self, op, 0, t);
	if (flag == 0) {
		fk_sim_device_trace(self, "* ROM reboots the chip");
		fk_sim_device_chip_reset(self, self->paced ? self->dev_tx_free : t, 4);
	} else {
		fk_sim_device_trace(self, "* ROM leaves the loader and runs the application");
		fk_sim_device_end_read(self);
		fk_sim_device_app_start(self, self->paced ? self->dev_tx_free : t);
	}
}

static void
fk_sim_device_send_read_frame(FkSimDevice *self, gint64 t)
{
	guint32 n = MIN(self->rd_packet, self->rd_length - self->rd_sent);
	guint32 limit_left;
	g_autofree guint8 *buf = NULL;
	gint64 us;

	if (self->rd_offset + self->rd_sent >= self->flash_limit) {
		/* flash read error: the stream stops, the error comes with the next command */
		fk_sim_device_trace(self, "  read beyond the flash: stream stops");
		self->deferred = 0xC4;
		fk_sim_device_end_read(self);
		return;
	}
	limit_left = (guint32)(self->flash_limit - (self->rd_offset + self->rd_sent));
	n = MIN(n, limit_left);
	buf = g_malloc(MAX(n, 1));
	fk_sim_device_read(self, self->rd_offset + self->rd_sent, buf, n);
	g_checksum_update(self->rd_md5, buf, n);
	self->n_read_frames++;
	if (fk_sim_device_fault_check(self, FK_SIM_FAULT_SHORT_READ, self->n_read_frames) != NULL) {
		fk_sim_device_trace(self, "! fault: short READ_FLASH frame");
		n = n / 2;
	}
	self->rd_sent += n;
	us = self->paced ? (gint64)n * FK_SIM_READ_NS_BYTE / 1000 : 0;
	fk_sim_device_trace(self, "< READ_FLASH data %u bytes (%u/%u)", n, self->rd_sent, self->rd_length);
	fk_sim_device_emit_frame(self, buf, n, t + us);
}

/* the stream ends with the MD5 of what was sent, even when it ends early */
static void
fk_sim_device_read_digest(FkSimDevice *self, gint64 t)
{
	guint8 digest[16];
	gsize dlen = sizeof(digest);
	g_checksum_get_digest(self->rd_md5, digest, &dlen);
	self->n_reads++;
	if (fk_sim_device_fault_check(self, FK_SIM_FAULT_BAD_MD5, self->n_reads) != NULL) {
		fk_sim_device_trace(self, "! fault: corrupt READ_FLASH digest");
		digest[self->seed % 16] ^= 0x5A;
	}
	fk_sim_device_trace(self, "< READ_FLASH digest");
	fk_sim_device_emit_frame(self, digest, sizeof(digest), t);
	fk_sim_device_end_read(self);
}

static void
fk_sim_device_read_ack(FkSimDevice *self, guint32 acked, gint64 t)
{
	if (acked < self->rd_sent)
		return;
	/* as the stub: an acknowledgement beyond what was sent ends the stream */
	if (acked == self->rd_sent && self->rd_sent < self->rd_length) {
		fk_sim_device_send_read_frame(self, t);
		return;
	}
	if (acked > self->rd_sent)
		fk_sim_device_trace(self, "  READ_FLASH acknowledged %u of %u bytes sent: stream ends", acked, self->rd_sent);
	fk_sim_device_read_digest(self, t);
}

static void
fk_sim_device_cmd_read_flash(FkSimDevice *self, guint8 op, const guint8 *d, gsize len, gint64 t)
{
	if (len != 16) {
		fk_sim_device_reply(self, op, 0xC0, t);
		return;
	}
	fk_sim_device_end_read(self);
	self->rd_offset = fk_memread_u32le(d);
	self->rd_length = fk_memread_u32le(d + 4);
	self->rd_packet = fk_memread_u32le(d + 8);
	self->rd_sent = 0;
	fk_sim_device_reply(self, op, 0, t);
	if (self->rd_packet > 4096 || self->rd_packet == 0) {
		/* accepted, then nothing: the error comes with the next command */
		self->deferred = 0xC0;
		return;
	}
	self->rd_md5 = g_checksum_new(G_CHECKSUM_MD5);
	self->rd_active = TRUE;
	if (self->rd_length == 0) {
		fk_sim_device_read_ack(self, 0, t);
		return;
	}
	fk_sim_device_send_read_frame(self, t);
}

static void
fk_sim_device_cmd_change_baud(FkSimDevice *self, guint8 op, const guint8 *d, gsize len, gint64 t)
{
	guint32 new_baud;
	guint chip_baud;
	if (len != 8) {
		fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x05, 0xC0), t);
		return;
	}
	new_baud = fk_memread_u32le(d);
	if (new_baud < 300 || new_baud > 5000000) {
		fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x01, 0xC0), t);
		return;
	}
	chip_baud = new_baud;
	if (self->state == FK_SIM_STATE_ROM && g_strcmp0(self->chip->name, "esp32") == 0) {
		/* the ROM divides its crystal estimate (from the drifting 8 MHz clock) by the
		 * requested rate, the UART really runs from the 40 MHz crystal */
		gdouble f_rom = (gdouble)self->rtc_cali * 15625.0 * self->ck8m / 40.0;
		chip_baud = (guint)((gdouble)new_baud * 40000000.0 / f_rom + 0.5);
	}
	fk_sim_device_reply(self, op, 0, t);
	self->chip_baud_prev = self->chip_baud;
	self->chip_baud = chip_baud;
	self->chip_baud_switch_at = self->paced ? self->dev_tx_free : t;
	fk_sim_device_trace(self, "* chip UART now %u baud", chip_baud);
}

static void
fk_sim_device_cmd_security_info(FkSimDevice *self, guint8 op, gint64 t)
{
	guint8 buf[20] = {0};
	guint n = self->chip->security_info_len;
	if (n == 0) {
		if (self->state == FK_SIM_STATE_STUB)
			fk_sim_device_reply(self, op, 0xFF, t);
		else
			fk_sim_device_reject(self, op, t);
		return;
	}
	fk_memwrite_u32le(buf + 12, self->chip->chip_id);
	fk_memwrite_u32le(buf + 16, 1);
	fk_sim_device_reply_full(self, op, fk_sim_device_stale_value(self), buf, n, 0, t);
}

static gboolean
fk_sim_device_rom_supports(FkSimDevice *self, guint8 op)
{
	gboolean rom32 = self->chip->rom == FK_SIM_ROM_32;
	switch (op) {
	case FK_OP_FLASH_BEGIN:
	case FK_OP_FLASH_DATA:
	case FK_OP_FLASH_END:
	case FK_OP_MEM_BEGIN:
	case FK_OP_MEM_END:
	case FK_OP_MEM_DATA:
	case FK_OP_SYNC:
	case FK_OP_WRITE_REG:
	case FK_OP_READ_REG:
		return TRUE;
	case FK_OP_SPI_SET_PARAMS:
	case FK_OP_SPI_ATTACH:
	case FK_OP_READ_FLASH_SLOW:
	case FK_OP_CHANGE_BAUDRATE:
	case FK_OP_FLASH_DEFL_BEGIN:
	case FK_OP_FLASH_DEFL_DATA:
	case FK_OP_FLASH_DEFL_END:
	case FK_OP_SPI_FLASH_MD5:
		return rom32;
	case FK_OP_GET_SECURITY_INFO:
		return rom32 && self->chip->security_info_len > 0;
	default:
		return FALSE;
	}
}

static gboolean
fk_sim_device_stub_supports(guint8 op)
{
	switch (op) {
	case FK_OP_FLASH_BEGIN:
	case FK_OP_FLASH_DATA:
	case FK_OP_FLASH_END:
	case FK_OP_MEM_BEGIN:
	case FK_OP_MEM_END:
	case FK_OP_MEM_DATA:
	case FK_OP_SYNC:
	case FK_OP_WRITE_REG:
	case FK_OP_READ_REG:
	case FK_OP_SPI_SET_PARAMS:
	case FK_OP_SPI_ATTACH:
	case FK_OP_CHANGE_BAUDRATE:
	case FK_OP_FLASH_DEFL_BEGIN:
	case FK_OP_FLASH_DEFL_DATA:
	case FK_OP_FLASH_DEFL_END:
	case FK_OP_SPI_FLASH_MD5:
	case FK_OP_GET_SECURITY_INFO:
	case FK_OP_ERASE_FLASH:
	case FK_OP_ERASE_REGION:
	case FK_OP_READ_FLASH:
	case FK_OP_RUN_USER_CODE:
		return TRUE;
	default:
		return FALSE;
	}
}

static void
fk_sim_device_handle_command(FkSimDevice *self,
			     guint8 op,
			     const guint8 *d,
			     gsize len,
			     guint32 csum,
			     gint64 t)
{
	gboolean stub = self->state == FK_SIM_STATE_STUB;

	switch (op) {
	case FK_OP_SYNC: {
		static const guint8 sync_hdr[4] = {0x07, 0x07, 0x12, 0x20};
		gboolean ok = len == FK_SYNC_PAYLOAD_LEN && memcmp(d, sync_hdr, 4) == 0;
		for (gsize i = 4; ok && i < len; i++)
			ok = d[i] == 0x55;
		if (!ok) {
			if (stub)
				fk_sim_device_reply(self, op, 0xC0, t);
			return;
		}
		fk_sim_device_trace(self, "< SYNC x8");
		for (guint i = 0; i < 8; i++)
			fk_sim_device_reply_full(self, op, stub ? 0 : 0x20120707, NULL, 0, 0, t);
		break;
	}
	case FK_OP_READ_REG: {
		guint32 v;
		if (len != 4) {
			fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x05, 0xC0), t);
			return;
		}
		v = fk_sim_device_read_reg(self, fk_memread_u32le(d));
		self->last_value = v;
		fk_sim_device_trace(self, "  0x%08x = 0x%08x", fk_memread_u32le(d), v);
		fk_sim_device_reply_full(self, op, v, NULL, 0, 0, t);
		break;
	}
	case FK_OP_WRITE_REG: {
		gint64 us = 0;
		if (len == 0 || len % 16 != 0) {
			fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x05, 0xC0), t);
			return;
		}
		for (gsize i = 0; i < len; i += 16) {
			us += fk_memread_u32le(d + i + 12);
			fk_sim_device_trace(self,
					    "  0x%08x <- 0x%08x (mask 0x%08x)",
					    fk_memread_u32le(d + i),
					    fk_memread_u32le(d + i + 4),
					    fk_memread_u32le(d + i + 8));
			fk_sim_device_write_reg(self,
						fk_memread_u32le(d + i),
						fk_memread_u32le(d + i + 4),
						fk_memread_u32le(d + i + 8));
		}
		fk_sim_device_reply(self, op, 0, t + (self->paced ? us : 0));
		break;
	}
	case FK_OP_MEM_BEGIN:
	case FK_OP_MEM_DATA:
	case FK_OP_MEM_END:
		fk_sim_device_cmd_mem(self, op, d, len, csum, t);
		break;
	case FK_OP_FLASH_BEGIN:
	case FK_OP_FLASH_DEFL_BEGIN:
		fk_sim_device_cmd_flash_begin(self, op, d, len, t);
		break;
	case FK_OP_FLASH_DATA:
	case FK_OP_FLASH_DEFL_DATA:
		fk_sim_device_cmd_flash_data(self, op, d, len, csum, t);
		break;
	case FK_OP_FLASH_END:
	case FK_OP_FLASH_DEFL_END:
		fk_sim_device_cmd_flash_end(self, op, d, len, t);
		break;
	case FK_OP_SPI_SET_PARAMS:
		if (len != 24) {
			fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x05, 0xC0), t);
			return;
		}
		self->flash_limit = MIN(fk_memread_u32le(d + 4), (guint32)FK_SIM_ADDR_SPACE);
		fk_sim_device_reply(self, op, 0, t);
		break;
	case FK_OP_SPI_ATTACH:
		if (len != (stub ? 4u : 8u)) {
			fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x05, 0xC0), t);
			return;
		}
		fk_sim_device_reply(self, op, 0, t);
		break;
	case FK_OP_READ_FLASH_SLOW: {
		guint8 buf[64];
		guint32 offset;
		guint32 n;
		if (len != 8) {
			fk_sim_device_reply(self, op, 0x05, t);
			return;
		}
		offset = fk_memread_u32le(d);
		n = fk_memread_u32le(d + 4);
		if (n > 64) {
			fk_sim_device_reply(self, op, 0x0A, t);
			return;
		}
		if (fk_sim_device_beyond_limit(self, offset, n)) {
			fk_sim_device_reply(self, op, 0x06, t);
			return;
		}
		memset(buf, 0, sizeof(buf));
		fk_sim_device_read(self, offset, buf, sizeof(buf));
		fk_sim_device_reply_full(self,
					 op,
					 fk_sim_device_stale_value(self),
					 buf,
					 sizeof(buf),
					 0,
					 t + (self->paced ? 20 : 0));
		break;
	}
	case FK_OP_CHANGE_BAUDRATE:
		fk_sim_device_cmd_change_baud(self, op, d, len, t);
		break;
	case FK_OP_SPI_FLASH_MD5: {
		guint8 digest[16];
		guint32 addr;
		guint32 size;
		gint64 us;
		if (len != 16) {
			fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x05, 0xC0), t);
			return;
		}
		addr = fk_memread_u32le(d);
		size = fk_memread_u32le(d + 4);
		if (fk_sim_device_beyond_limit(self, addr, size)) {
			fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x06, 0xC4), t);
			return;
		}
		fk_sim_device_md5(self, addr, size, digest);
		us = self->paced ? (gint64)size * FK_SIM_MD5_NS_BYTE / 1000 : 0;
		if (self->paced)
			self->busy_until = t + us;
		if (stub) {
			fk_sim_device_reply_full(self, op, 0, digest, 16, 0, t + us);
		} else {
			gchar hex[33];
			for (guint i = 0; i < 16; i++)
				g_snprintf(hex + i * 2, 3, "%02x", digest[i]);
			fk_sim_device_reply_full(self,
						 op,
						 fk_sim_device_stale_value(self),
						 (const guint8 *)hex,
						 32,
						 0,
						 t + us);
		}
		break;
	}
	case FK_OP_GET_SECURITY_INFO:
		fk_sim_device_cmd_security_info(self, op, t);
		break;
	case FK_OP_ERASE_FLASH: {
		gint64 us = (gint64)(self->flash_size / (1024 * 1024)) * FK_SIM_CHIP_ERASE_US_MB;
		memset(self->flash, 0xFF, self->flash_size);
		fk_sim_device_trace(self, "  chip erase");
		if (self->paced)
			self->busy_until = t + us;
		fk_sim_device_reply(self, op, 0, t + (self->paced ? us : 0));
		break;
	}
	case FK_OP_ERASE_REGION: {
		guint32 offset;
		guint32 size;
		gint64 us;
		if (len != 8) {
			fk_sim_device_reply(self, op, 0xC0, t);
			return;
		}
		offset = fk_memread_u32le(d);
		size = fk_memread_u32le(d + 4);
		if (offset % FK_FLASH_SECTOR_SIZE != 0 || size % FK_FLASH_SECTOR_SIZE != 0) {
			fk_sim_device_reply(self, op, 0xC0, t);
			return;
		}
		if (fk_sim_device_beyond_limit(self, offset, size)) {
			fk_sim_device_reply(self, op, 0xC4, t);
			return;
		}
		us = fk_sim_device_erase_sectors(self,
						 offset / FK_FLASH_SECTOR_SIZE,
						 size / FK_FLASH_SECTOR_SIZE);
		if (self->paced)
			self->busy_until = t + us;
		fk_sim_device_reply(self, op, 0, t + (self->paced ? us : 0));
		break;
	}
	case FK_OP_READ_FLASH:
		fk_sim_device_cmd_read_flash(self, op, d, len, t);
		break;
	case FK_OP_RUN_USER_CODE:
		/* no reply */
		fk_sim_device_trace(self, "* stub starts the application");
		fk_sim_device_cpu_reset(self);
		fk_sim_device_app_start(self, t);
		break;
	default:
		fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x05, 0xC3), t);
		break;
	}
}

static void
fk_sim_device_handle_frame(FkSimDevice *self, const guint8 *frame, gsize len, gint64 t)
{
	gboolean stub = self->state == FK_SIM_STATE_STUB;
	guint8 op;
	gsize size;
	guint32 csum;
	FkSimFault *fault;

	if (self->state != FK_SIM_STATE_ROM && self->state != FK_SIM_STATE_STUB)
		return;

	/* the stub's READ_FLASH stream: the host acknowledges each frame */
	if (stub && self->rd_active) {
		if (len == 4) {
			self->busy_until = MAX(self->busy_until, t);
			fk_sim_device_read_ack(self, fk_memread_u32le(frame), t);
			return;
		}
		/* the stub reads acknowledgements with a 4-byte receive: any other frame ends the
		 * stream (with the digest of what was sent) and is consumed, not executed */
		fk_sim_device_trace(self, "  READ_FLASH ended by a %" G_GSIZE_FORMAT "-byte frame", len);
		self->busy_until = MAX(self->busy_until, t);
		fk_sim_device_read_digest(self, t);
		return;
	}
	if (len < 8) {
		fk_sim_device_trace(self, "> short frame (%" G_GSIZE_FORMAT " bytes) ignored", len);
		return;
	}
	if (self->paced)
		t = MAX(t, self->busy_until) + FK_SIM_CMD_OVERHEAD_US;

	op = frame[1];
	size = fk_memread_u16le(frame + 2);
	csum = fk_memread_u32le(frame + 4);
	self->n_commands++;
	self->stats.commands++;
	fk_sim_device_trace(self,
			    "> %s (0x%02x) len=%" G_GSIZE_FORMAT,
			    fk_opcode_to_string(op),
			    op,
			    size);

	fault = fk_sim_device_fault_check(self, FK_SIM_FAULT_RESET, self->n_commands);
	if (fault != NULL) {
		fk_sim_device_trace(self, "! fault: chip resets (brown-out)");
		fk_sim_device_chip_reset(self, t, 1);
		return;
	}
	fault = fk_sim_device_fault_check(self, FK_SIM_FAULT_DELAY, self->n_commands);
	if (fault != NULL) {
		fk_sim_device_trace(self, "! fault: response delayed by %u ms", fault->param);
		t += (gint64)fault->param * 1000;
		self->busy_until = MAX(self->busy_until, t);
		if (!self->paced)
			self->dev_tx_free = t;
	}

	if (stub) {
		if (self->deferred != 0) {
			guint8 code = self->deferred;
			self->deferred = 0;
			fk_sim_device_trace(self, "  reporting the previous command's failure");
			fk_sim_device_reply(self, op, code, t);
			return;
		}
		if (frame[0] != 0x00 || !fk_sim_device_stub_supports(op)) {
			fk_sim_device_reply(self, op, 0xC3, t);
			return;
		}
		if (size != len - 8) {
			fk_sim_device_reply(self, op, 0xC0, t);
			return;
		}
	} else {
		if (frame[0] != 0x00)
			return;
		if (!fk_sim_device_rom_supports(self, op)) {
			fk_sim_device_reject(self, op, t);
			return;
		}
		if (size != len - 8) {
			fk_sim_device_reply(self, op, 0x05, t);
			return;
		}
	}
	fk_sim_device_handle_command(self, op, frame + 8, size, csum, t);
}

/* ---- public API ---- */

static void
fk_sim_device_setup(FkSimDevice *self)
{
	guint64 st = self->seed ^ 0xC8A1;
	gdouble drift = (fk_sim_rand_range(&st, 35, 60) / 1000.0) *
			((fk_sim_rand_next(&st) & 1) ? 1.0 : -1.0);
	/* the ESP32 ROM's crystal estimate: cali × 15625 × ck8m / 40 */
	self->ck8m = 52;
	self->rtc_cali = (guint32)(40000000.0 * (1.0 + drift) / (15625.0 * self->ck8m / 40.0) + 0.5);
	self->rng = self->seed;
	fk_sim_device_cpu_reset(self);
}

FkSimDevice *
fk_sim_device_new(const gchar *chip, gsize flash_size, guint64 seed, GError **error)
{
	const FkSimChip *info = fk_sim_chip_find(chip);
	FkSimDevice *self;

	if (info == NULL) {
		g_autofree gchar *names = g_strjoinv(", ", (gchar **)fk_sim_device_list_chips());
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_UNSUPPORTED_CHIP,
			    "unknown simulated chip '%s' (known: %s)",
			    chip,
			    names);
		return NULL;
	}
	if (flash_size == 0)
		flash_size = info->default_size;
	if (flash_size < 256 * 1024 || flash_size > FK_SIM_ADDR_SPACE ||
	    (flash_size & (flash_size - 1)) != 0 ||
	    (info->rom == FK_SIM_ROM_32 && flash_size < 1024 * 1024)) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_INVALID_ARGUMENT,
			    "unsupported flash size %" G_GSIZE_FORMAT " for %s",
			    flash_size,
			    info->title);
		return NULL;
	}
	self = g_object_new(FK_TYPE_SIM_DEVICE, NULL);
	self->chip = info;
	self->seed = seed;
	self->flash_size = flash_size;
	self->flash = g_malloc(flash_size);
	fk_sim_flash_generate(info, self->flash, flash_size, seed);
	fk_sim_device_setup(self);
	return self;
}

FkSimDevice *
fk_sim_device_new_from_spec(const gchar *spec, GError **error)
{
	g_auto(GStrv) parts = NULL;
	gsize size = 0;

	if (g_str_has_prefix(spec, "sim:"))
		spec += 4;
	parts = g_strsplit(spec, "@", 2);
	if (parts[0] == NULL || parts[0][0] == '\0') {
		g_set_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT, "no chip in '%s'", spec);
		return NULL;
	}
	if (parts[1] != NULL && !fk_sim_parse_size(parts[1], &size, error))
		return NULL;
	return fk_sim_device_new(parts[0], size, 0, error);
}

const gchar *const *
fk_sim_device_list_chips(void)
{
	static gsize once = 0;
	static const gchar **names = NULL;
	if (g_once_init_enter(&once)) {
		guint n = 0;
		const FkSimChip *chips = fk_sim_chip_get_all(&n);
		const gchar **tmp = g_new0(const gchar *, n + 1);
		for (guint i = 0; i < n; i++)
			tmp[i] = chips[i].name;
		names = tmp;
		g_once_init_leave(&once, 1);
	}
	return names;
}

const gchar *
fk_sim_device_get_chip_name(FkSimDevice *self)
{
	g_return_val_if_fail(FK_IS_SIM_DEVICE(self), NULL);
	return self->chip->name;
}

const gchar *
fk_sim_device_get_description(FkSimDevice *self)
{
	static GHashTable *cache = NULL;
	static GMutex cache_mutex;
	g_autofree gchar *size = NULL;
	g_autofree gchar *key = NULL;
	const gchar *desc;

	g_return_val_if_fail(FK_IS_SIM_DEVICE(self), NULL);
	size = fk_sim_format_size(self->flash_size);
	key = g_strdup_printf("%s — %s", self->chip->title, size);
	/* interned so the string lives as long as the program */
	g_mutex_lock(&cache_mutex);
	if (cache == NULL)
		cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	desc = g_hash_table_lookup(cache, key);
	if (desc == NULL) {
		desc = g_strdup(key);
		g_hash_table_insert(cache, (gpointer)desc, (gpointer)desc);
	}
	g_mutex_unlock(&cache_mutex);
	return desc;
}

gsize
fk_sim_device_get_flash_size(FkSimDevice *self)
{
	g_return_val_if_fail(FK_IS_SIM_DEVICE(self), 0);
	return self->flash_size;
}

GBytes *
fk_sim_device_get_flash(FkSimDevice *self)
{
	GBytes *bytes;
	g_return_val_if_fail(FK_IS_SIM_DEVICE(self), NULL);
	g_mutex_lock(&self->mutex);
	bytes = g_bytes_new(self->flash, self->flash_size);
	g_mutex_unlock(&self->mutex);
	return bytes;
}

gboolean
fk_sim_device_set_flash(FkSimDevice *self, GBytes *data, GError **error)
{
	gsize len = 0;
	const guint8 *buf;
	g_return_val_if_fail(FK_IS_SIM_DEVICE(self), FALSE);
	buf = g_bytes_get_data(data, &len);
	if (len != self->flash_size) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_SIZE_MISMATCH,
			    "flash image has %" G_GSIZE_FORMAT " bytes, the simulated flash %" G_GSIZE_FORMAT,
			    len,
			    self->flash_size);
		return FALSE;
	}
	g_mutex_lock(&self->mutex);
	memcpy(self->flash, buf, len);
	g_mutex_unlock(&self->mutex);
	return TRUE;
}

gboolean
fk_sim_device_load_flash(FkSimDevice *self, const gchar *path, GError **error)
{
	g_autofree gchar *contents = NULL;
	gsize len = 0;
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(GError) error_local = NULL;

	if (!g_file_get_contents(path, &contents, &len, &error_local)) {
		g_set_error(error, FK_ERROR, FK_ERROR_FILE, "%s", error_local->message);
		return FALSE;
	}
	bytes = g_bytes_new_take(g_steal_pointer(&contents), len);
	if (!fk_sim_device_set_flash(self, bytes, error)) {
		g_prefix_error(error, "%s: ", path);
		return FALSE;
	}
	return TRUE;
}

gboolean
fk_sim_device_dump_flash(FkSimDevice *self, const gchar *path, GError **error)
{
	g_autoptr(GBytes) bytes = fk_sim_device_get_flash(self);
	g_autoptr(GError) error_local = NULL;
	if (!g_file_set_contents(path,
				 g_bytes_get_data(bytes, NULL),
				 (gssize)g_bytes_get_size(bytes),
				 &error_local)) {
		g_set_error(error, FK_ERROR, FK_ERROR_FILE, "%s", error_local->message);
		return FALSE;
	}
	return TRUE;
}

void
fk_sim_device_set_boot_mode(FkSimDevice *self, FkSimBootMode mode)
{
	g_return_if_fail(FK_IS_SIM_DEVICE(self));
	g_mutex_lock(&self->mutex);
	self->boot_mode = mode;
	g_mutex_unlock(&self->mutex);
}

void
fk_sim_device_set_timing(FkSimDevice *self, gboolean paced, guint latency_us)
{
	g_return_if_fail(FK_IS_SIM_DEVICE(self));
	g_mutex_lock(&self->mutex);
	self->paced = paced;
	self->latency_us = latency_us;
	g_mutex_unlock(&self->mutex);
}

void
fk_sim_device_set_baud_transparent(FkSimDevice *self, gboolean transparent)
{
	g_return_if_fail(FK_IS_SIM_DEVICE(self));
	g_mutex_lock(&self->mutex);
	self->baud_transparent = transparent;
	g_mutex_unlock(&self->mutex);
}

void
fk_sim_device_add_fault(FkSimDevice *self, FkSimFaultKind kind, guint n, guint param)
{
	FkSimFault f = {0};
	g_return_if_fail(FK_IS_SIM_DEVICE(self));
	g_mutex_lock(&self->mutex);
	f.kind = kind;
	f.n = n;
	f.param = param;
	f.base = fk_sim_device_fault_counter(self, kind);
	g_array_append_val(self->faults, f);
	g_mutex_unlock(&self->mutex);
}

static const struct {
	const gchar *name;
	FkSimFaultKind kind;
} fk_sim_fault_names[] = {
    {"drop", FK_SIM_FAULT_DROP_BYTE},
    {"flip", FK_SIM_FAULT_FLIP_BIT},
    {"delay", FK_SIM_FAULT_DELAY},
    {"close", FK_SIM_FAULT_CLOSE_AFTER},
    {"write-error", FK_SIM_FAULT_WRITE_ERROR},
    {"short-read", FK_SIM_FAULT_SHORT_READ},
    {"bad-md5", FK_SIM_FAULT_BAD_MD5},
    {"reset", FK_SIM_FAULT_RESET},
};

gboolean
fk_sim_device_add_faults_from_string(FkSimDevice *self, const gchar *spec, GError **error)
{
	g_auto(GStrv) items = NULL;
	g_return_val_if_fail(FK_IS_SIM_DEVICE(self), FALSE);

	items = g_strsplit(spec, ",", -1);
	for (guint i = 0; items[i] != NULL; i++) {
		g_auto(GStrv) parts = NULL;
		FkSimFaultKind kind = FK_SIM_FAULT_NONE;
		guint64 n = 0;
		guint64 param = 0;
		gchar *item = g_strstrip(items[i]);
		if (item[0] == '\0')
			continue;
		parts = g_strsplit(item, ":", 3);
		for (guint j = 0; j < G_N_ELEMENTS(fk_sim_fault_names); j++) {
			if (g_strcmp0(parts[0], fk_sim_fault_names[j].name) == 0)
				kind = fk_sim_fault_names[j].kind;
		}
		if (kind == FK_SIM_FAULT_NONE || parts[1] == NULL ||
		    !g_ascii_string_to_unsigned(parts[1], 10, 1, G_MAXUINT, &n, NULL) ||
		    (kind == FK_SIM_FAULT_DELAY &&
		     (parts[2] == NULL ||
		      !g_ascii_string_to_unsigned(parts[2], 10, 0, 3600000, &param, NULL))) ||
		    (kind != FK_SIM_FAULT_DELAY && parts[2] != NULL)) {
			g_set_error(error,
				    FK_ERROR,
				    FK_ERROR_INVALID_ARGUMENT,
				    "invalid fault '%s' (drop:N, flip:N, delay:N:MS, close:N, "
				    "write-error:N, short-read:N, bad-md5:N, reset:N)",
				    item);
			return FALSE;
		}
		fk_sim_device_add_fault(self, kind, (guint)n, (guint)param);
	}
	return TRUE;
}

void
fk_sim_device_clear_faults(FkSimDevice *self)
{
	g_return_if_fail(FK_IS_SIM_DEVICE(self));
	g_mutex_lock(&self->mutex);
	g_array_set_size(self->faults, 0);
	g_mutex_unlock(&self->mutex);
}

void
fk_sim_device_host_open(FkSimDevice *self, gint64 now_us)
{
	g_return_if_fail(FK_IS_SIM_DEVICE(self));
	g_mutex_lock(&self->mutex);
	fk_sim_device_advance(self, now_us);
	self->host_open = TRUE;
	self->link_dead = FALSE;
	self->host_tx_free = now_us;
	g_array_set_size(self->out, 0);
	self->out_pos = 0;
	if (!self->powered) {
		self->powered = TRUE;
		self->reset_cause = 1;
		self->dev_tx_free = now_us;
		fk_sim_device_boot(self, self->boot_mode == FK_SIM_BOOT_DOWNLOAD, now_us);
	}
	g_mutex_unlock(&self->mutex);
	fk_sim_device_flush_trace(self);
}

void
fk_sim_device_host_close(FkSimDevice *self)
{
	g_return_if_fail(FK_IS_SIM_DEVICE(self));
	g_mutex_lock(&self->mutex);
	/* the lines fall back to deasserted (no reset pulse: both go together) */
	self->dtr = FALSE;
	self->rts = FALSE;
	if (self->en_low) {
		self->en_low = FALSE;
		self->boot_pending = TRUE;
		self->boot_at = self->now + FK_SIM_STRAP_DELAY_US;
		self->reset_cause = 2;
	}
	self->host_open = FALSE;
	g_array_set_size(self->out, 0);
	self->out_pos = 0;
	g_mutex_unlock(&self->mutex);
}

void
fk_sim_device_set_host_baud(FkSimDevice *self, guint baud, gint64 now_us)
{
	g_return_if_fail(FK_IS_SIM_DEVICE(self));
	g_mutex_lock(&self->mutex);
	fk_sim_device_advance(self, now_us);
	self->host_baud = baud;
	/* bytes still on the wire are received at the new rate */
	for (guint i = self->out_pos; i < self->out->len; i++) {
		FkSimOutByte *ob = &g_array_index(self->out, FkSimOutByte, i);
		if (ob->t > now_us)
			ob->val = fk_sim_device_garble(self, ob->raw, ob->tx_baud, baud, ob->index);
	}
	g_mutex_unlock(&self->mutex);
	fk_sim_device_flush_trace(self);
}

void
fk_sim_device_set_lines(FkSimDevice *self, gboolean dtr, gboolean rts, gint64 now_us)
{
	gboolean en_low;
	g_return_if_fail(FK_IS_SIM_DEVICE(self));
	g_mutex_lock(&self->mutex);
	fk_sim_device_advance(self, now_us);
	self->dtr = dtr;
	self->rts = rts;
	/* EN is pulled low only by RTS without DTR, GPIO0 only by DTR without RTS */
	en_low = rts && !dtr;
	if (en_low && !self->en_low) {
		self->en_low = TRUE;
		self->en_low_since = now_us;
		self->boot_pending = FALSE;
	} else if (!en_low && self->en_low) {
		self->en_low = FALSE;
		if (now_us - self->en_low_since >= FK_SIM_EN_MIN_LOW_US) {
			fk_sim_device_power_off(self, self->en_low_since + FK_SIM_EN_MIN_LOW_US);
			self->powered = TRUE;
			self->stats.resets++;
			self->reset_cause = 2;
			self->boot_pending = TRUE;
			self->boot_at = now_us + FK_SIM_STRAP_DELAY_US;
			fk_sim_device_trace(self, "* EN released: chip resets");
		}
	}
	g_mutex_unlock(&self->mutex);
	fk_sim_device_flush_trace(self);
}

void
fk_sim_device_host_write(FkSimDevice *self, const guint8 *data, gsize len, gint64 now_us)
{
	g_autofree guint8 *rx = NULL;
	gint64 bt;
	gint64 start;
	gsize pos = 0;

	g_return_if_fail(FK_IS_SIM_DEVICE(self));
	if (len == 0)
		return;
	g_mutex_lock(&self->mutex);
	fk_sim_device_advance(self, now_us);
	if (self->link_dead) {
		g_mutex_unlock(&self->mutex);
		return;
	}
	bt = fk_sim_device_byte_us(self, self->host_baud);
	start = self->paced ? MAX(now_us, self->host_tx_free) : now_us;
	if (self->paced)
		self->host_tx_free = start + (gint64)len * bt;

	/* the ROM measures the rate of the first bytes it sees after a reset */
	if (self->state == FK_SIM_STATE_ROM && !self->autobauded) {
		self->autobauded = TRUE;
		self->chip_baud = self->host_baud;
		self->chip_baud_prev = self->host_baud;
		fk_sim_device_trace(self, "* ROM auto-baud: %u", self->host_baud);
	}
	rx = g_malloc(len);
	for (gsize i = 0; i < len; i++) {
		gint64 t = start + (gint64)(i + 1) * bt;
		guint cb = t < self->chip_baud_switch_at ? self->chip_baud_prev : self->chip_baud;
		rx[i] = fk_sim_device_garble(self, data[i], self->host_baud, cb, i + self->n_commands);
	}

	while (pos < len) {
		gsize consumed = 0;
		FkSlipResult res;
		g_autoptr(GError) error_local = NULL;
		gint64 t;

		if (self->state != FK_SIM_STATE_ROM && self->state != FK_SIM_STATE_STUB)
			break;
		res = fk_slip_decoder_feed(self->decoder, rx + pos, len - pos, &consumed, &error_local);
		pos += consumed;
		t = start + (gint64)pos * bt + (self->paced ? self->latency_us : 0);
		if (res == FK_SLIP_RESULT_FRAME) {
			g_autoptr(GByteArray) frame = fk_slip_decoder_take_frame(self->decoder);
			fk_sim_device_handle_frame(self, frame->data, frame->len, t);
		} else if (res == FK_SLIP_RESULT_ERROR) {
			fk_sim_device_trace(self, "> %s", error_local->message);
		}
		if (consumed == 0)
			break;
	}
	fk_slip_decoder_clear_garbage(self->decoder);
	g_mutex_unlock(&self->mutex);
	fk_sim_device_flush_trace(self);
}

gsize
fk_sim_device_host_read(FkSimDevice *self, guint8 *buf, gsize len, gint64 now_us, gint64 *next_us)
{
	gsize n = 0;
	g_return_val_if_fail(FK_IS_SIM_DEVICE(self), 0);
	g_mutex_lock(&self->mutex);
	fk_sim_device_advance(self, now_us);
	while (n < len && self->out_pos < self->out->len) {
		FkSimOutByte *ob = &g_array_index(self->out, FkSimOutByte, self->out_pos);
		if (ob->t > now_us)
			break;
		buf[n++] = ob->val;
		self->out_pos++;
	}
	if (self->out_pos == self->out->len) {
		g_array_set_size(self->out, 0);
		self->out_pos = 0;
	} else if (self->out_pos > 65536) {
		g_array_remove_range(self->out, 0, self->out_pos);
		self->out_pos = 0;
	}
	if (next_us != NULL) {
		gint64 next = -1;
		if (self->out_pos < self->out->len)
			next = g_array_index(self->out, FkSimOutByte, self->out_pos).t;
		if (self->boot_pending && !self->en_low && (next < 0 || self->boot_at < next))
			next = self->boot_at;
		if (self->state == FK_SIM_STATE_APP && self->host_open &&
		    (next < 0 || self->app_next_at < next))
			next = self->app_next_at;
		*next_us = next;
	}
	g_mutex_unlock(&self->mutex);
	fk_sim_device_flush_trace(self);
	return n;
}

gboolean
fk_sim_device_is_link_dead(FkSimDevice *self)
{
	gboolean dead;
	g_return_val_if_fail(FK_IS_SIM_DEVICE(self), TRUE);
	g_mutex_lock(&self->mutex);
	dead = self->link_dead;
	g_mutex_unlock(&self->mutex);
	return dead;
}

void
fk_sim_device_flush_host_input(FkSimDevice *self)
{
	g_return_if_fail(FK_IS_SIM_DEVICE(self));
	g_mutex_lock(&self->mutex);
	g_array_set_size(self->out, 0);
	self->out_pos = 0;
	g_mutex_unlock(&self->mutex);
}

void
fk_sim_device_set_trace_func(FkSimDevice *self, FkSimTraceFunc func, gpointer user_data)
{
	g_return_if_fail(FK_IS_SIM_DEVICE(self));
	g_mutex_lock(&self->mutex);
	self->trace_func = func;
	self->trace_data = user_data;
	g_mutex_unlock(&self->mutex);
}

void
fk_sim_device_get_stats(FkSimDevice *self, FkSimStats *stats)
{
	g_return_if_fail(FK_IS_SIM_DEVICE(self));
	g_mutex_lock(&self->mutex);
	*stats = self->stats;
	stats->baud = self->chip_baud;
	stats->stub_running = self->state == FK_SIM_STATE_STUB;
	g_mutex_unlock(&self->mutex);
}

static void
fk_sim_device_finalize(GObject *object)
{
	FkSimDevice *self = FK_SIM_DEVICE(object);
	fk_sim_device_end_flash_session(self);
	fk_sim_device_end_read(self);
	g_free(self->flash);
	g_array_unref(self->faults);
	g_array_unref(self->out);
	g_ptr_array_unref(self->trace_lines);
	g_ptr_array_unref(self->ram);
	g_hash_table_unref(self->regs);
	fk_slip_decoder_free(self->decoder);
	g_mutex_clear(&self->mutex);
	G_OBJECT_CLASS(fk_sim_device_parent_class)->finalize(object);
}

static void
fk_sim_device_init(FkSimDevice *self)
{
	g_mutex_init(&self->mutex);
	self->faults = g_array_new(FALSE, TRUE, sizeof(FkSimFault));
	self->out = g_array_new(FALSE, TRUE, sizeof(FkSimOutByte));
	self->trace_lines = g_ptr_array_new_with_free_func(g_free);
	self->ram = g_ptr_array_new_with_free_func((GDestroyNotify)fk_sim_ram_segment_free);
	self->regs = g_hash_table_new(g_direct_hash, g_direct_equal);
	self->decoder = fk_slip_decoder_new(FK_SIM_MAX_FRAME);
	self->host_baud = FK_ROM_BAUD;
	self->chip_baud = FK_ROM_BAUD;
	self->chip_baud_prev = FK_ROM_BAUD;
	self->boot_mode = FK_SIM_BOOT_APP;
	self->state = FK_SIM_STATE_OFF;
}

static void
fk_sim_device_class_init(FkSimDeviceClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->finalize = fk_sim_device_finalize;
}
