/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <string.h>

#include "fk-mem.h"
#include "fk-packet.h"
#include "fk-protocol.h"
#include "fk-sim-device.h"
#include "fk-slip.h"

/* a minimal host that talks raw bytes to a simulated chip on a virtual clock */
typedef struct {
	FkSimDevice *dev;
	gint64 now;
	GByteArray *rx;	    /* every byte received since the last drain */
	FkSlipDecoder *dec; /* frames out of rx */
	GPtrArray *frames;  /* GByteArray */
} FkTestHost;

static inline void
fk_test_host_pump(FkTestHost *h)
{
	guint8 buf[4096];
	gsize n;
	while ((n = fk_sim_device_host_read(h->dev, buf, sizeof(buf), h->now, NULL)) > 0) {
		gsize pos = 0;
		g_byte_array_append(h->rx, buf, (guint)n);
		while (pos < n) {
			gsize consumed = 0;
			FkSlipResult res =
			    fk_slip_decoder_feed(h->dec, buf + pos, n - pos, &consumed, NULL);
			pos += consumed;
			if (res == FK_SLIP_RESULT_FRAME)
				g_ptr_array_add(h->frames, fk_slip_decoder_take_frame(h->dec));
			if (consumed == 0)
				break;
		}
	}
}

static inline void
fk_test_host_drain(FkTestHost *h)
{
	fk_test_host_pump(h);
	g_byte_array_set_size(h->rx, 0);
	g_ptr_array_set_size(h->frames, 0);
	fk_slip_decoder_reset(h->dec);
	fk_slip_decoder_clear_garbage(h->dec);
}

static inline FkTestHost *
fk_test_host_new(const gchar *chip, gsize size, FkSimBootMode mode)
{
	g_autoptr(GError) error = NULL;
	FkTestHost *h = g_new0(FkTestHost, 1);
	h->dev = fk_sim_device_new(chip, size, 1, &error);
	g_assert_no_error(error);
	g_assert_nonnull(h->dev);
	h->now = 1000000000;
	h->rx = g_byte_array_new();
	h->dec = fk_slip_decoder_new(0x10000);
	h->frames = g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref);
	fk_sim_device_set_boot_mode(h->dev, mode);
	fk_sim_device_host_open(h->dev, h->now);
	return h;
}

static inline void
fk_test_host_free(FkTestHost *h)
{
	g_object_unref(h->dev);
	g_byte_array_unref(h->rx);
	fk_slip_decoder_free(h->dec);
	g_ptr_array_unref(h->frames);
	g_free(h);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(FkTestHost, fk_test_host_free)

static inline void
fk_test_host_send_raw(FkTestHost *h, const guint8 *data, gsize len)
{
	g_autoptr(GByteArray) buf = g_byte_array_new();
	fk_slip_encode(buf, data, len);
	fk_sim_device_host_write(h->dev, buf->data, buf->len, h->now);
}

static inline void
fk_test_host_cmd(FkTestHost *h, guint8 op, const guint8 *data, gsize len, guint32 csum)
{
	g_autoptr(GByteArray) pkt = fk_packet_build_command(op, data, len, csum);
	fk_test_host_send_raw(h, pkt->data, pkt->len);
}

/* a *_DATA command: 16-byte sub-header, checksum over the data */
static inline void
fk_test_host_data_cmd(FkTestHost *h, guint8 op, guint32 seq, const guint8 *data, gsize len)
{
	g_autofree guint8 *buf = g_malloc(16 + len);
	fk_memwrite_u32le(buf, (guint32)len);
	fk_memwrite_u32le(buf + 4, seq);
	fk_memwrite_u32le(buf + 8, 0);
	fk_memwrite_u32le(buf + 12, 0);
	memcpy(buf + 16, data, len);
	fk_test_host_cmd(h, op, buf, 16 + len, fk_checksum(data, len));
}

static inline void
fk_test_host_cmd_words(FkTestHost *h, guint8 op, guint n, const guint32 *words)
{
	guint8 buf[64];
	for (guint i = 0; i < n; i++)
		fk_memwrite_u32le(buf + i * 4, words[i]);
	fk_test_host_cmd(h, op, buf, n * 4, 0);
}

/* next frame or NULL */
static inline GByteArray *
fk_test_host_take(FkTestHost *h)
{
	fk_test_host_pump(h);
	if (h->frames->len == 0)
		return NULL;
	return g_ptr_array_steal_index(h->frames, 0);
}

/* next frame, waiting (in virtual time, up to 10 s) for it to arrive */
static inline GByteArray *
fk_test_host_wait(FkTestHost *h)
{
	GByteArray *f = fk_test_host_take(h);
	gint64 limit = h->now + 10 * G_USEC_PER_SEC;
	while (f == NULL && h->now < limit) {
		gint64 next = -1;
		fk_sim_device_host_read(h->dev, NULL, 0, h->now, &next);
		if (next < 0)
			break;
		h->now = MAX(h->now + 1, next);
		f = fk_test_host_take(h);
	}
	return f;
}

/* the response to @op; fails the test if there is none */
static inline GByteArray *
fk_test_host_expect(FkTestHost *h, guint8 op)
{
	GByteArray *f = fk_test_host_wait(h);
	if (f == NULL)
		g_error("no response to 0x%02x", op);
	g_assert_cmpuint(f->len, >=, 8);
	g_assert_cmpuint(f->data[0], ==, 0x01);
	g_assert_cmpuint(f->data[1], ==, op);
	return f;
}

/* status bytes after @payload bytes of response data */
static inline guint16
fk_test_status(GByteArray *f, gsize payload)
{
	g_assert_cmpuint(f->len, >=, 8 + payload + 2);
	return (guint16)((f->data[8 + payload] << 8) | f->data[8 + payload + 1]);
}

static inline guint
fk_test_status_len(GByteArray *f, gsize payload)
{
	return fk_memread_u16le(f->data + 2) - (guint)payload;
}

static inline void
fk_test_host_sync(FkTestHost *h)
{
	guint8 payload[36] = {0x07, 0x07, 0x12, 0x20};
	memset(payload + 4, 0x55, 32);
	fk_test_host_cmd(h, FK_OP_SYNC, payload, sizeof(payload), 0);
}

static inline gchar *
fk_test_hex(const guint8 *data, gsize len)
{
	GString *s = g_string_new(NULL);
	for (gsize i = 0; i < len; i++)
		g_string_append_printf(s, "%s%02X", i ? " " : "", data[i]);
	return g_string_free(s, FALSE);
}

/* uploads a small program into RAM and starts it: the simulator then runs the stub */
static inline void
fk_test_host_upload_stub(FkTestHost *h, guint32 text_start)
{
	guint8 code[64];
	guint32 w[4] = {sizeof(code), 1, FK_RAM_BLOCK_SIZE, text_start};
	guint32 end[2] = {0, text_start + 4};
	g_autoptr(GByteArray) f1 = NULL;
	g_autoptr(GByteArray) f2 = NULL;
	g_autoptr(GByteArray) f3 = NULL;
	g_autoptr(GByteArray) ohai = NULL;
	for (guint i = 0; i < sizeof(code); i++)
		code[i] = (guint8)(i * 7);
	fk_test_host_cmd_words(h, FK_OP_MEM_BEGIN, 4, w);
	f1 = fk_test_host_expect(h, FK_OP_MEM_BEGIN);
	g_assert_cmpuint(fk_test_status(f1, 0), ==, 0);
	fk_test_host_data_cmd(h, FK_OP_MEM_DATA, 0, code, sizeof(code));
	f2 = fk_test_host_expect(h, FK_OP_MEM_DATA);
	g_assert_cmpuint(fk_test_status(f2, 0), ==, 0);
	fk_test_host_cmd_words(h, FK_OP_MEM_END, 2, end);
	f3 = fk_test_host_expect(h, FK_OP_MEM_END);
	g_assert_cmpuint(fk_test_status(f3, 0), ==, 0);
	ohai = fk_test_host_wait(h);
	g_assert_nonnull(ohai);
	g_assert_cmpmem(ohai->data, ohai->len, "OHAI", 4);
}

/* runs a raw SPI flash command through the SPI controller's user registers (ESP8266 and
 * ESP32-S2 and later layouts) and returns the first word read back */
static inline guint32
fk_test_spi_command(FkTestHost *h, guint32 base, gboolean esp8266, guint8 op, guint read_bits)
{
	guint32 usr = base + (esp8266 ? 0x1C : 0x18);
	guint32 usr1 = base + (esp8266 ? 0x20 : 0x1C);
	guint32 usr2 = base + (esp8266 ? 0x24 : 0x20);
	guint32 w0 = base + (esp8266 ? 0x40 : 0x58);
	guint32 v;
	g_autoptr(GByteArray) r = NULL;

	if (esp8266) {
		guint32 w[4] = {usr1, (read_bits - 1) << 8, 0xFFFFFFFF, 0};
		fk_test_host_cmd_words(h, FK_OP_WRITE_REG, 4, w);
	} else {
		guint32 w[4] = {base + 0x28, read_bits - 1, 0xFFFFFFFF, 0};
		fk_test_host_cmd_words(h, FK_OP_WRITE_REG, 4, w);
	}
	{
		guint32 w[12] = {usr, 0x90000000, 0xFFFFFFFF, 0, usr2, 0x70000000u | op, 0xFFFFFFFF, 0,
				 w0, 0, 0xFFFFFFFF, 0};
		guint32 go[4] = {base, 1u << 18, 0xFFFFFFFF, 0};
		guint32 rd[1] = {base};
		fk_test_host_cmd_words(h, FK_OP_WRITE_REG, 12, w);
		fk_test_host_cmd_words(h, FK_OP_WRITE_REG, 4, go);
		fk_test_host_cmd_words(h, FK_OP_READ_REG, 1, rd);
	}
	fk_test_host_drain(h);
	{
		guint32 rd[1] = {w0};
		fk_test_host_cmd_words(h, FK_OP_READ_REG, 1, rd);
		r = fk_test_host_expect(h, FK_OP_READ_REG);
		v = fk_memread_u32le(r->data + 4);
	}
	return v;
}

static inline gboolean
fk_test_rx_contains(FkTestHost *h, const gchar *needle)
{
	fk_test_host_pump(h);
	return memmem(h->rx->data, h->rx->len, needle, strlen(needle)) != NULL;
}

/* connects the flash as hosts do: SPI_ATTACH, or on the ESP8266 ROM an empty FLASH_BEGIN */
static inline void
fk_test_host_attach(FkTestHost *h)
{
	g_autoptr(GByteArray) r = NULL;
	if (g_str_has_prefix(fk_sim_device_get_chip_name(h->dev), "esp82")) {
		guint32 begin[4] = {0, 0, FK_ROM_WRITE_SIZE, 0};
		fk_test_host_cmd_words(h, FK_OP_FLASH_BEGIN, 4, begin);
		r = fk_test_host_expect(h, FK_OP_FLASH_BEGIN);
	} else {
		guint32 attach[2] = {0, 0};
		fk_test_host_cmd_words(h, FK_OP_SPI_ATTACH, 2, attach);
		r = fk_test_host_expect(h, FK_OP_SPI_ATTACH);
	}
	g_assert_cmpuint(fk_test_status(r, 0), ==, 0);
}

/* how many 4 KiB sectors of @f are blank */
static inline guint
fk_test_count_erased(const guint8 *f, gsize size)
{
	guint n = 0;
	for (gsize s = 0; s < size; s += 0x1000) {
		gboolean blank = TRUE;
		for (gsize i = 0; i < 0x1000 && blank; i++)
			blank = f[s + i] == 0xFF;
		n += blank;
	}
	return n;
}

/* a host's acknowledgement of @total bytes of a stub READ_FLASH stream */
static inline void
fk_test_ack(FkTestHost *h, guint32 total)
{
	guint8 ack[4];
	fk_memwrite_u32le(ack, total);
	fk_test_host_send_raw(h, ack, 4);
}
