/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns the simulated chip's core state, frame dispatch, the lock and the public API.
 * May call every fk-sim-* layer below it. */
#include "config.h"

#include <string.h>

#include "fk-error.h"
#include "fk-mem.h"
#include "fk-protocol.h"
#include "fk-sim-device-private.h"
#include "fk-slip.h"

/* The simulated chip is a state machine driven by the host's calls. Everything is evaluated
 * eagerly on a virtual time line: a frame is handled when its last byte has "arrived" (the
 * write time plus wire time when paced), its replies get arrival times of their own and the
 * host only sees bytes whose arrival time has passed. Things that happen on their own (the
 * boot after a reset, application output) are evaluated lazily whenever the host calls in. */

G_DEFINE_FINAL_TYPE(FkSimDevice, fk_sim_device, G_TYPE_OBJECT)

/* ---- small helpers ---- */

static void
fk_sim_ram_segment_free(FkSimRamSegment *seg)
{
	g_byte_array_unref(seg->data);
	g_free(seg);
}

void
fk_sim_device_trace(FkSimDevice *self, const gchar *fmt, ...) G_GNUC_PRINTF(2, 3);

void
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
void
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

static gboolean
fk_sim_device_rom_supports(FkSimDevice *self, guint8 op)
{
	if (self->chip->rom == FK_SIM_ROM_32)
		return fk_sim_rom32_supports(self, op);
	return fk_sim_rom8266_supports(op);
}

static void
fk_sim_device_handle_command(FkSimDevice *self,
			     guint8 op,
			     const guint8 *d,
			     gsize len,
			     guint32 csum,
			     gint64 t)
{
	switch (op) {
	case FK_OP_SYNC:
		fk_sim_device_cmd_sync(self, op, d, len, t);
		break;
	case FK_OP_READ_REG:
		fk_sim_device_cmd_read_reg(self, op, d, len, t);
		break;
	case FK_OP_WRITE_REG:
		fk_sim_device_cmd_write_reg(self, op, d, len, t);
		break;
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
		fk_sim_device_cmd_spi_set_params(self, op, d, len, t);
		break;
	case FK_OP_SPI_ATTACH:
		fk_sim_device_cmd_spi_attach(self, op, d, len, t);
		break;
	case FK_OP_READ_FLASH_SLOW:
		fk_sim_device_cmd_read_flash_slow(self, op, d, len, t);
		break;
	case FK_OP_CHANGE_BAUDRATE:
		fk_sim_device_cmd_change_baud(self, op, d, len, t);
		break;
	case FK_OP_SPI_FLASH_MD5:
		fk_sim_device_cmd_md5(self, op, d, len, t);
		break;
	case FK_OP_GET_SECURITY_INFO:
		fk_sim_device_cmd_security_info(self, op, t);
		break;
	case FK_OP_ERASE_FLASH:
		fk_sim_device_cmd_erase_flash(self, op, t);
		break;
	case FK_OP_ERASE_REGION:
		fk_sim_device_cmd_erase_region(self, op, d, len, t);
		break;
	case FK_OP_READ_FLASH:
		fk_sim_device_cmd_read_flash(self, op, d, len, t);
		break;
	case FK_OP_RUN_USER_CODE:
		fk_sim_device_cmd_run_user_code(self, t);
		break;
	default:
		fk_sim_device_reply(self, op, fk_sim_device_err(self, 0x05, 0xC3), t);
		break;
	}
}

static void
fk_sim_device_handle_frame(FkSimDevice *self, const guint8 *frame, gsize len, gint64 t_first, gint64 t)
{
	gboolean stub = self->state == FK_SIM_STATE_STUB;
	guint8 op;
	gsize size;
	guint32 csum;
	FkSimFault *fault;

	if (self->state != FK_SIM_STATE_ROM && self->state != FK_SIM_STATE_STUB)
		return;

	/* the stub's READ_FLASH stream: the host acknowledges its packets; the stub reads
	 * acknowledgements with a 4-byte receive: any other frame ends the stream (with the digest
	 * of what was sent) and is consumed, not executed */
	if (stub && self->rd_active) {
		self->busy_until = MAX(self->busy_until, t);
		fk_sim_device_read_frame(self, frame, len, t_first, t);
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
	{
		g_autofree guint8 *damaged = fk_sim_device_fault_flip_param(self, op, frame + 8, size);
		fk_sim_device_handle_command(self, op, damaged != NULL ? damaged : frame + 8, size, csum, t);
	}
}

/* ---- public API ---- */

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
	self->uart_clk_hz = info->uart_clk_hz;
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

guint64
fk_sim_device_get_seed(FkSimDevice *self)
{
	g_return_val_if_fail(FK_IS_SIM_DEVICE(self), 0);
	return self->seed;
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
fk_sim_device_set_gpio0_wired(FkSimDevice *self, gboolean wired)
{
	g_return_if_fail(FK_IS_SIM_DEVICE(self));
	g_mutex_lock(&self->mutex);
	self->gpio0_unwired = !wired;
	g_mutex_unlock(&self->mutex);
}

void
fk_sim_device_set_crystal_mhz(FkSimDevice *self, guint mhz)
{
	g_return_if_fail(FK_IS_SIM_DEVICE(self));
	g_mutex_lock(&self->mutex);
	self->uart_clk_hz = mhz * 1000000;
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
	if (self->en_low && !self->en_pressed) {
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
	g_return_if_fail(FK_IS_SIM_DEVICE(self));
	g_mutex_lock(&self->mutex);
	fk_sim_device_advance(self, now_us);
	fk_sim_device_drive_lines(self, dtr, rts, now_us);
	g_mutex_unlock(&self->mutex);
	fk_sim_device_flush_trace(self);
}

void
fk_sim_device_host_write(FkSimDevice *self, const guint8 *data, gsize len, gint64 now_us)
{
	g_autofree guint8 *rx = NULL;
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
	start = self->paced ? MAX(now_us, self->host_tx_free) : now_us;
	if (self->paced)
		self->host_tx_free = start + fk_sim_device_bytes_us(self, self->host_baud, len);

	/* the ROM measures the rate of the first bytes it sees after a reset */
	if (self->state == FK_SIM_STATE_ROM && !self->autobauded) {
		self->autobauded = TRUE;
		self->chip_baud = self->host_baud;
		self->chip_baud_prev = self->host_baud;
		self->rom_autobaud = self->host_baud;
		fk_sim_device_trace(self, "* ROM auto-baud: %u", self->host_baud);
	}
	rx = g_malloc(len);
	for (gsize i = 0; i < len; i++) {
		gint64 t = start + fk_sim_device_bytes_us(self, self->host_baud, i + 1);
		guint cb = t < self->chip_baud_switch_at ? self->chip_baud_prev : self->chip_baud;
		rx[i] = fk_sim_device_garble(self, data[i], self->host_baud, cb, i + self->n_commands);
		rx[i] ^= fk_sim_device_adapter_noise(self, self->host_baud, ++self->bytes_from_host, '>');
	}

	if (self->state != FK_SIM_STATE_ROM && self->state != FK_SIM_STATE_STUB)
		fk_sim_device_hand_notice(self, now_us);
	while (pos < len) {
		gsize consumed = 0;
		FkSlipResult res;
		g_autoptr(GError) error_local = NULL;
		gint64 t;

		if (self->state != FK_SIM_STATE_ROM && self->state != FK_SIM_STATE_STUB)
			break;
		res = fk_slip_decoder_feed(self->decoder, rx + pos, len - pos, &consumed, &error_local);
		pos += consumed;
		t = start + fk_sim_device_bytes_us(self, self->host_baud, pos) + (self->paced ? self->latency_us : 0);
		if (res == FK_SLIP_RESULT_FRAME) {
			g_autoptr(GByteArray) frame = fk_slip_decoder_take_frame(self->decoder);
			/* its first byte, about: the frame and its two ends */
			gint64 t_first = t - fk_sim_device_bytes_us(self, self->host_baud, frame->len + 1);
			fk_sim_device_handle_frame(self, frame->data, frame->len, t_first, t);
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
		self->host_read_index = ob->index;
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
		if (self->wdt_armed && (next < 0 || self->wdt_at < next))
			next = self->wdt_at;
		if (self->state == FK_SIM_STATE_APP && self->host_open &&
		    (next < 0 || self->app_next_at < next))
			next = self->app_next_at;
		if (fk_sim_device_read_next_event(self) >= 0 &&
		    (next < 0 || fk_sim_device_read_next_event(self) < next))
			next = fk_sim_device_read_next_event(self);
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
	self->auto_reset_circuit = TRUE;
	self->state = FK_SIM_STATE_OFF;
}

static void
fk_sim_device_class_init(FkSimDeviceClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->finalize = fk_sim_device_finalize;
}
