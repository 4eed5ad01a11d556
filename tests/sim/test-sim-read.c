/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The simulated stubs' READ_FLASH flow control against hosts that get it wrong, on a virtual
 * clock: the v2 stub drops a frame that arrives before it polled the one before, waits for ever
 * when acknowledged before its first packet; the legacy stub keeps max_in_flight bytes on the
 * wire and takes a repeated acknowledgement in its stride; both end a stream on a short frame; an
 * adapter's low-latency mode. */
#include "config.h"

#include "fk-sim-test-host.h"

#define FLASH_OFFSET 0x10000

static FkTestHost *
fk_test_stub_host(FkSimStubKind kind, const gchar *adapter, guint latency_us)
{
	g_autoptr(GError) error = NULL;
	FkTestHost *h = fk_test_host_new("esp32", 0, FK_SIM_BOOT_DOWNLOAD);

	fk_test_host_drain(h);
	fk_test_host_upload_stub(h, 0x400A8000);
	fk_test_host_drain(h);
	fk_sim_device_set_stub_kind(h->dev, kind);
	g_assert_true(fk_sim_device_set_adapter(h->dev, adapter, &error));
	g_assert_no_error(error);
	fk_sim_device_set_timing(h->dev, TRUE, latency_us);
	h->now += G_USEC_PER_SEC;
	return h;
}

static void
fk_test_read_cmd(FkTestHost *h, guint32 size, guint32 max_in_flight)
{
	const guint32 rd[4] = {FLASH_OFFSET, size, 4096, max_in_flight};
	fk_test_host_cmd_words(h, FK_OP_READ_FLASH, 4, rd);
	{
		g_autoptr(GByteArray) r = fk_test_host_expect(h, FK_OP_READ_FLASH);
		g_assert_cmphex(fk_test_status(r, 0), ==, 0);
	}
}

static void
fk_test_send_acks(FkTestHost *h, guint32 value, guint copies)
{
	g_autoptr(GByteArray) wire = g_byte_array_new();
	guint8 ack[4];
	fk_memwrite_u32le(ack, value);
	for (guint i = 0; i < copies; i++)
		fk_slip_encode(wire, ack, sizeof(ack));
	/* in one write: back to back on the wire */
	fk_sim_device_host_write(h->dev, wire->data, wire->len, h->now);
}

/* reads the stream to its digest, acknowledging each packet when it has arrived (after the
 * first, acknowledged @first_copies times); checks the data and the digest */
static void
fk_test_read_stream(FkTestHost *h, guint32 size, guint first_copies)
{
	g_autoptr(GBytes) flash = fk_sim_device_get_flash(h->dev);
	const guint8 *f = (const guint8 *)g_bytes_get_data(flash, NULL) + FLASH_OFFSET;
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_MD5);
	guint8 digest[16];
	gsize dlen = sizeof(digest);
	guint32 got = 0;

	while (got < size) {
		g_autoptr(GByteArray) d = fk_test_host_wait(h);
		g_assert_nonnull(d);
		g_assert_cmpuint(d->len, ==, MIN(4096, size - got));
		g_assert_cmpmem(d->data, d->len, f + got, d->len);
		got += d->len;
		fk_test_send_acks(h, got, got == d->len ? first_copies : 1);
	}
	{
		g_autoptr(GByteArray) m = fk_test_host_wait(h);
		g_assert_nonnull(m);
		g_checksum_update(sum, f, size);
		g_checksum_get_digest(sum, digest, &dlen);
		g_assert_cmpmem(m->data, m->len, digest, 16);
	}
}

/* a host that acknowledges the first packet twice to get a second one on the wire: the v2
 * stub polls one frame, and the copy right behind it arrives before the next poll: lost, and
 * the stream goes on one packet at a time; the legacy stub takes both */
static void
fk_test_second_ack(void)
{
	for (FkSimStubKind kind = FK_SIM_STUB_V2; kind <= FK_SIM_STUB_LEGACY; kind++) {
		g_autoptr(FkTestHost) h = fk_test_stub_host(kind, NULL, 2000);
		FkSimStats st;

		fk_test_read_cmd(h, 4 * 4096, 64);
		fk_test_read_stream(h, 4 * 4096, 2);
		fk_sim_device_get_stats(h->dev, &st);
		g_assert_cmpuint(st.read_packets, ==, 4);
		g_assert_cmpuint(st.read_acks_lost, ==, kind == FK_SIM_STUB_V2 ? 1 : 0);
		g_assert_cmpuint(st.read_acks, ==, kind == FK_SIM_STUB_V2 ? 4 : 5);
		g_assert_cmpuint(st.read_stuck, ==, 0);
	}
}

/* an acknowledgement taken by the v2 stub's first poll, before its first packet, makes its
 * unsigned count of packets in flight wrap: no packet ever; a frame of another length ends the
 * stream with the digest of nothing, and is not executed. Reachable over the chip's own USB port
 * (over a UART, the receive interrupt waits for a quiet line, after that first poll) */
static void
fk_test_v2_stuck(void)
{
	g_autoptr(FkTestHost) h = fk_test_stub_host(FK_SIM_STUB_V2, "usbjtag", 0);
	const guint32 rd[4] = {FLASH_OFFSET, 4 * 4096, 4096, 64};
	g_autoptr(GByteArray) cmd = NULL;
	g_autoptr(GByteArray) wire = g_byte_array_new();
	const guint8 empty_md5[16] = {0xd4, 0x1d, 0x8c, 0xd9, 0x8f, 0x00, 0xb2, 0x04,
				      0xe9, 0x80, 0x09, 0x98, 0xec, 0xf8, 0x42, 0x7e};
	guint8 buf[16];
	FkSimStats st;

	for (guint i = 0; i < 4; i++)
		fk_memwrite_u32le(buf + i * 4, rd[i]);
	cmd = fk_packet_build_command(FK_OP_READ_FLASH, buf, sizeof(buf), 0);
	fk_slip_encode(wire, cmd->data, cmd->len);
	fk_sim_device_host_write(h->dev, wire->data, wire->len, h->now);
	/* the command has arrived (a microsecond a byte) and was taken, its stream not begun */
	h->now += (gint64)wire->len + 41;
	fk_test_send_acks(h, 0, 1);
	{
		g_autoptr(GByteArray) r = fk_test_host_expect(h, FK_OP_READ_FLASH);
		g_assert_cmphex(fk_test_status(r, 0), ==, 0);
	}
	g_assert_null(fk_test_host_wait(h));
	fk_sim_device_get_stats(h->dev, &st);
	g_assert_cmpuint(st.read_stuck, ==, 1);
	g_assert_cmpuint(st.read_packets, ==, 0);
	/* more acknowledgements change nothing */
	h->now += 1000;
	fk_test_send_acks(h, 0, 1);
	g_assert_null(fk_test_host_wait(h));
	fk_test_host_sync(h);
	{
		g_autoptr(GByteArray) m = fk_test_host_wait(h);
		g_assert_nonnull(m);
		g_assert_cmpmem(m->data, m->len, empty_md5, 16);
		g_assert_null(fk_test_host_wait(h));
	}
}

/* the legacy stub compares the bytes not acknowledged with max_in_flight: 64 (esptool's) keeps
 * one packet on the wire, two packets' worth two */
static void
fk_test_legacy_window(void)
{
	for (guint window = 1; window <= 2; window++) {
		g_autoptr(FkTestHost) h = fk_test_stub_host(FK_SIM_STUB_LEGACY, NULL, 0);
		FkSimStats st;

		fk_test_read_cmd(h, 4 * 4096, window == 1 ? 64 : 2 * 4096);
		h->now += G_USEC_PER_SEC;
		fk_test_host_pump(h);
		g_assert_cmpuint(h->frames->len, ==, window);
		fk_sim_device_get_stats(h->dev, &st);
		g_assert_cmpuint(st.read_packets, ==, window);
	}
}

/* the host ends a stream early with a frame shorter than an acknowledgement: both stubs send the
 * digest of what they sent and nothing more. A longer frame ends the v2 stub's stream too (any
 * length but 4); the legacy stub's SLIP_recv() keeps its first 4 bytes as the acknowledgement */
static void
fk_test_end_frame(void)
{
	g_autoptr(GBytes) flash = NULL;
	const guint8 *f;

	for (FkSimStubKind kind = FK_SIM_STUB_V2; kind <= FK_SIM_STUB_LEGACY; kind++) {
		g_autoptr(FkTestHost) h = fk_test_stub_host(kind, NULL, 2000);
		g_autoptr(GByteArray) wire = g_byte_array_new();
		g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_MD5);
		const guint8 longer[5] = {0x00, 0x10, 0x00, 0x00, 0xff}; /* 4096, and one byte more */
		const guint8 end = 0;
		guint8 digest[16];
		gsize dlen = sizeof(digest);
		guint sent = 1;
		FkSimStats st;

		flash = fk_sim_device_get_flash(h->dev);
		f = (const guint8 *)g_bytes_get_data(flash, NULL) + FLASH_OFFSET;
		fk_test_read_cmd(h, 8 * 4096, 64);
		{
			g_autoptr(GByteArray) d = fk_test_host_wait(h);
			g_assert_nonnull(d);
			g_assert_cmpuint(d->len, ==, 4096);
		}
		fk_slip_encode(wire, longer, sizeof(longer));
		fk_sim_device_host_write(h->dev, wire->data, wire->len, h->now);
		if (kind == FK_SIM_STUB_LEGACY) {
			/* taken as the acknowledgement of 4096 bytes: the next packet */
			g_autoptr(GByteArray) d = fk_test_host_wait(h);
			g_assert_nonnull(d);
			g_assert_cmpuint(d->len, ==, 4096);
			sent++;
			g_byte_array_set_size(wire, 0);
			fk_slip_encode(wire, &end, 1);
			fk_sim_device_host_write(h->dev, wire->data, wire->len, h->now);
		}
		{
			g_autoptr(GByteArray) m = fk_test_host_wait(h);
			g_assert_nonnull(m);
			g_checksum_update(sum, f, sent * 4096);
			g_checksum_get_digest(sum, digest, &dlen);
			g_assert_cmpmem(m->data, m->len, digest, 16);
		}
		g_assert_null(fk_test_host_wait(h));
		fk_sim_device_get_stats(h->dev, &st);
		g_assert_cmpuint(st.read_packets, ==, sent);
		g_assert_cmpuint(st.read_ended_early, ==, 1);
		g_clear_pointer(&flash, g_bytes_unref);
	}
}

/* an adapter with a low-latency mode passes bytes on to the host sooner once the host asked for
 * it; the way to the chip keeps its latency */
static gint64
fk_test_reply_after(gboolean mode, gboolean asked)
{
	g_autoptr(FkTestHost) h = fk_test_stub_host(FK_SIM_STUB_V2, NULL, 16000);
	gint64 sent;

	fk_sim_device_set_low_latency_mode(h->dev, mode, 1000);
	fk_sim_device_host_set_low_latency(h->dev, asked);
	sent = h->now;
	fk_test_host_sync(h);
	{
		g_autoptr(GByteArray) r = fk_test_host_wait(h);
		g_assert_nonnull(r);
	}
	return h->now - sent;
}

static void
fk_test_low_latency(void)
{
	gint64 plain = fk_test_reply_after(FALSE, TRUE);
	g_assert_cmpint(fk_test_reply_after(TRUE, FALSE), ==, plain);
	g_assert_cmpint(fk_test_reply_after(TRUE, TRUE), ==, plain - 15000);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sim/read/second-ack", fk_test_second_ack);
	g_test_add_func("/sim/read/v2-stuck", fk_test_v2_stuck);
	g_test_add_func("/sim/read/legacy-window", fk_test_legacy_window);
	g_test_add_func("/sim/read/end-frame", fk_test_end_frame);
	g_test_add_func("/sim/read/low-latency", fk_test_low_latency);
	return g_test_run();
}
