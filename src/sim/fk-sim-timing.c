/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns the UART wire: bytes for the host paced at the simulated baud, latency, rate garbling.
 * May call the faults and the adapter (bytes lost or damaged on the way) and the SLIP encoder. */
#include "config.h"

#include <string.h>

#include "fk-sim-device-private.h"
#include "fk-slip.h"

/* how long @n bytes take on the wire at @baud, in whole microseconds rounded up: computed for the
 * whole run, as a per-byte time rounded up would slow the line (11 µs a byte at 921600 is 1.4 %
 * slower than the rate, 4 µs at 3000000 20 %) */
gint64
fk_sim_device_bytes_us(FkSimDevice *self, guint baud, gsize n)
{
	if (!self->paced || baud == 0)
		return 0;
	/* the chip's own USB port moves bytes at the speed of USB, whatever the rate */
	if (self->adapter != NULL && self->adapter->native)
		return ((gint64)n * FK_SIM_NATIVE_USB_BYTE_NS + 999) / 1000;
	return ((gint64)n * 10 * G_USEC_PER_SEC + baud - 1) / baud;
}

/* each way, the adapter's latency; towards the host, its driver's low-latency mode shortens it */
gint64
fk_sim_device_latency_to_host_us(FkSimDevice *self)
{
	if (!self->paced)
		return 0;
	if (self->low_latency_mode && self->low_latency)
		return MIN(self->latency_us, self->low_latency_us);
	return self->latency_us;
}

static gboolean
fk_sim_baud_mismatch(FkSimDevice *self, guint a, guint b)
{
	gdouble ratio;
	if (self->baud_transparent || (self->adapter != NULL && self->adapter->native) || a == b || a == 0 || b == 0)
		return FALSE;
	ratio = (gdouble)MAX(a, b) / (gdouble)MIN(a, b);
	return ratio - 1.0 > FK_SIM_BAUD_TOLERANCE;
}

/* what a UART at @rx_baud makes of a byte sent at @tx_baud: deterministic junk */
guint8
fk_sim_device_garble(FkSimDevice *self, guint8 b, guint tx_baud, guint rx_baud, guint64 index)
{
	guint64 st;
	if (!fk_sim_baud_mismatch(self, tx_baud, rx_baud))
		return b;
	st = self->seed ^ ((guint64)b << 56) ^ ((guint64)tx_baud << 28) ^ rx_baud ^ (index << 8);
	return (guint8)fk_sim_rand_next(&st);
}

/* ---- bytes for the host ---- */

static void
fk_sim_device_emit_raw(FkSimDevice *self, const guint8 *data, gsize len, gint64 t, guint baud)
{
	gint64 latency = fk_sim_device_latency_to_host_us(self);
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
		ob.t = start + fk_sim_device_bytes_us(self, baud, i + 1) + latency;
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
		/* an adapter pushed past its clean rate damages what it carries */
		ob.raw ^= fk_sim_device_adapter_noise(self, baud, self->bytes_to_host, '<');
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
		self->dev_tx_free = start + fk_sim_device_bytes_us(self, baud, len);
}

void
fk_sim_device_emit_text(FkSimDevice *self, const gchar *text, gint64 t, guint baud)
{
	fk_sim_device_emit_raw(self, (const guint8 *)text, strlen(text), t, baud);
}

void
fk_sim_device_emit_frame(FkSimDevice *self, const guint8 *data, gsize len, gint64 t)
{
	g_autoptr(GByteArray) buf = g_byte_array_sized_new(len * 2 + 2);
	fk_slip_encode(buf, data, len);
	fk_sim_device_emit_raw(self, buf->data, buf->len, t, self->chip_baud);
}
