/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The stub's READ_FLASH stream against each simulated stub, paced with a USB adapter's latency:
 * packets acknowledged as they begin to arrive, one packet in flight after a stream that did not
 * behave, pieces sized to the line rate and smaller after one failed, a cancel that ends the stream
 * where it is; always byte-exact and checked by the chip. */
#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "fk-device.h"
#include "fk-progress.h"
#include "fk-sim-device.h"
#include "fk-sim-transport.h"
#include "fk-test-util.h"

#define KIB  1024
#define BAUD 921600

typedef struct {
	FkSimStubKind kind;
	guint latency_ms;
} FkReadCase;

static void
fk_test_log_cb(const gchar *message, gpointer user_data)
{
	g_string_append_printf(user_data, "%s\n", message);
}

/* reads @size bytes at @offset of a paced chip with @kind's stub; returns the log */
static gchar *
fk_test_read_at(FkSimDevice *sim, FkSimStubKind kind, guint baud, guint latency_ms, guint32 offset, gsize size,
		FkSimStats *stats, guint *recoveries)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FkTransport) transport = fk_sim_transport_new(sim);
	g_autoptr(FkDevice) device = fk_device_new(transport);
	g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable();
	g_autoptr(GBytes) flash = NULL;
	g_autoptr(GBytes) got = NULL;
	GString *log = g_string_new(NULL);
	FkSimStats before;

	fk_sim_device_set_stub_kind(sim, kind);
	fk_sim_device_set_timing(sim, TRUE, latency_ms * 1000);
	fk_device_set_baud(device, baud);
	fk_device_set_log_func(device, fk_test_log_cb, log);
	g_assert_true(fk_device_connect(device, NULL, &error));
	g_assert_no_error(error);
	fk_sim_device_get_stats(sim, &before);
	g_assert_true(fk_device_read_flash(device, offset, size, out, NULL, NULL, NULL, &error));
	g_assert_no_error(error);
	fk_sim_device_get_stats(sim, stats);
	stats->read_streams -= before.read_streams;
	stats->read_packets -= before.read_packets;
	stats->read_acks -= before.read_acks;
	stats->read_acks_ahead -= before.read_acks_ahead;
	stats->read_acks_lost -= before.read_acks_lost;
	stats->read_stuck -= before.read_stuck;
	*recoveries = fk_device_get_recoveries(device);

	g_assert_true(g_output_stream_close(out, NULL, NULL));
	got = g_memory_output_stream_steal_as_bytes(G_MEMORY_OUTPUT_STREAM(out));
	flash = fk_sim_device_get_flash(sim);
	g_assert_cmpuint(g_bytes_get_size(got), ==, size);
	g_assert_cmpmem(g_bytes_get_data(got, NULL), size, (const guint8 *)g_bytes_get_data(flash, NULL) + offset, size);
	fk_transport_close(transport);
	return g_string_free(log, FALSE);
}

static gchar *
fk_test_read(FkSimDevice *sim, FkSimStubKind kind, guint latency_ms, guint32 offset, gsize size, FkSimStats *stats,
	     guint *recoveries)
{
	return fk_test_read_at(sim, kind, BAUD, latency_ms, offset, size, stats, recoveries);
}

/* a 4 MiB ESP32, or NULL when the test is skipped for want of the stubs */
static FkSimDevice *
fk_test_stub_sim(void)
{
	if (fk_test_skip_without_stubs())
		return NULL;
	return fk_test_sim_new("esp32", 4 * 1024 * KIB, 0);
}

/* each packet but the last acknowledged as it begins, by both of Espressif's stubs; nothing lost,
 * nothing stuck; 256 KiB at 921600 baud in one piece (up to 1 MiB is one at that rate) */
static void
fk_test_read_ahead(gconstpointer data)
{
	const FkReadCase *c = data;
	g_autoptr(FkSimDevice) sim = NULL;
	g_autofree gchar *log = NULL;
	FkSimStats stats;
	guint recoveries = 0;
	gsize size = 256 * KIB;
	guint packets = size / 4096;

	sim = fk_test_stub_sim();
	if (sim == NULL)
		return;
	log = fk_test_read(sim, c->kind, c->latency_ms, 0x10000, size, &stats, &recoveries);
	g_assert_cmpuint(recoveries, ==, 0);
	g_assert_null(strstr(log, "one packet in flight"));
	g_assert_cmpuint(stats.read_streams, ==, 1);
	g_assert_cmpuint(stats.read_packets, ==, packets);
	/* one acknowledgement per packet, all but each stream's last sent ahead */
	g_assert_cmpuint(stats.read_acks, ==, packets);
	g_assert_cmpuint(stats.read_acks_ahead, ==, packets - stats.read_streams);
	g_assert_cmpuint(stats.read_acks_lost, ==, 0);
	g_assert_cmpuint(stats.read_stuck, ==, 0);
}

/* a read that does not end on a packet's boundary, and one of a single short packet */
static void
fk_test_read_ragged(void)
{
	g_autoptr(FkSimDevice) sim = NULL;
	FkSimStats stats;
	guint recoveries = 0;

	sim = fk_test_stub_sim();
	if (sim == NULL)
		return;
	for (FkSimStubKind kind = FK_SIM_STUB_V2; kind <= FK_SIM_STUB_LEGACY; kind++) {
		g_autofree gchar *log1 = fk_test_read(sim, kind, 2, 0x1003, 3 * 4096 + 77, &stats, &recoveries);
		g_autofree gchar *log2 = NULL;
		g_assert_cmpuint(recoveries, ==, 0);
		g_assert_null(strstr(log1, "one packet in flight"));
		g_assert_cmpuint(stats.read_acks, ==, 4);
		g_assert_cmpuint(stats.read_acks_ahead, ==, 3);
		log2 = fk_test_read(sim, kind, 2, 0x2001, 100, &stats, &recoveries);
		g_assert_cmpuint(recoveries, ==, 0);
		g_assert_null(strstr(log2, "one packet in flight"));
		g_assert_cmpuint(stats.read_acks, ==, 1);
		g_assert_cmpuint(stats.read_acks_ahead, ==, 0);
	}
}

/* a stub that ignores an acknowledgement of less than it sent: the first stream stalls, is read
 * again and the rest of the session waits for each packet, in pieces of a quarter of the failed
 * one's size, each doubling the next (64 KiB, 128 KiB, the 64 KiB left) */
static void
fk_test_read_fallback(void)
{
	g_autoptr(FkSimDevice) sim = NULL;
	g_autofree gchar *log = NULL;
	FkSimStats stats;
	guint recoveries = 0;
	gsize size = 256 * KIB;

	sim = fk_test_stub_sim();
	if (sim == NULL)
		return;
	log = fk_test_read(sim, FK_SIM_STUB_LOCKSTEP, 2, 0, size, &stats, &recoveries);
	g_assert_nonnull(strstr(log, "one packet in flight"));
	g_assert_cmpuint(recoveries, ==, 1);
	/* the stalled stream, then three pieces */
	g_assert_cmpuint(stats.read_streams, ==, 4);
	g_assert_cmpuint(stats.read_acks_ahead, ==, 1);
}

static void
fk_test_cancel_cb(FkProgress *progress, gpointer user_data)
{
	/* once 64 KiB arrived */
	if (fk_progress_get_bytes_done(progress) >= 64 * KIB)
		g_cancellable_cancel(user_data);
}

/* a cancel in the middle of a 1 MiB piece ends the stub's stream where it is: the chip sends at
 * most the packets already on their way, then its digest, and the next read on the same
 * connection goes through at once */
static void
fk_test_read_cancel(gconstpointer data)
{
	const FkReadCase *c = data;
	g_autoptr(FkSimDevice) sim = NULL;
	g_autoptr(FkTransport) transport = NULL;
	g_autoptr(FkDevice) device = NULL;
	g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable();
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(FkProgress) progress = fk_progress_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *log = NULL;
	FkSimStats stats;
	guint recoveries = 0;

	sim = fk_test_stub_sim();
	if (sim == NULL)
		return;
	fk_sim_device_set_stub_kind(sim, c->kind);
	fk_sim_device_set_timing(sim, TRUE, c->latency_ms * 1000);
	transport = fk_sim_transport_new(sim);
	device = fk_device_new(transport);
	fk_device_set_baud(device, BAUD);
	g_assert_true(fk_device_connect(device, NULL, &error));
	g_assert_no_error(error);
	g_signal_connect(progress, "changed", G_CALLBACK(fk_test_cancel_cb), cancellable);
	g_assert_false(fk_device_read_flash(device, 0, 1024 * KIB, out, NULL, progress, cancellable, &error));
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	fk_sim_device_get_stats(sim, &stats);
	g_assert_cmpuint(stats.read_streams, ==, 1);
	g_assert_cmpuint(stats.read_ended_early, ==, 1);
	/* 64 KiB, the packet that had begun and (legacy, two in its window) one more */
	g_assert_cmpuint(stats.read_packets, >=, 64 * KIB / 4096 + 1);
	g_assert_cmpuint(stats.read_packets, <=, 64 * KIB / 4096 + 2);
	g_assert_cmpuint(fk_device_get_recoveries(device), ==, 0);
	fk_transport_close(transport);

	/* the same chip again, in step: nothing read twice, nothing recovered */
	log = fk_test_read(sim, c->kind, c->latency_ms, 0x20000, 64 * KIB, &stats, &recoveries);
	g_assert_cmpuint(recoveries, ==, 0);
	g_assert_cmpuint(stats.read_streams, ==, 1);
}

/* a read of @size bytes from a paced chip with @faults and @adapter (either NULL) at @baud; NULL when the
 * test is skipped, else the log, with the recoveries checked */
static gchar *
fk_test_read_with(const gchar *faults, const gchar *adapter, guint baud, guint latency_ms, gsize size, FkSimStats *stats,
		  guint recoveries_expected)
{
	g_autoptr(FkSimDevice) sim = fk_test_stub_sim();
	g_autoptr(GError) error = NULL;
	gchar *log;
	guint recoveries = 0;

	if (sim == NULL)
		return NULL;
	if (faults != NULL)
		g_assert_true(fk_sim_device_add_faults_from_string(sim, faults, &error));
	g_assert_true(fk_sim_device_set_adapter(sim, adapter, &error));
	g_assert_no_error(error);
	log = fk_test_read_at(sim, FK_SIM_STUB_V2, baud, latency_ms, 0, size, stats, &recoveries);
	g_assert_cmpuint(recoveries, ==, recoveries_expected);
	return log;
}

/* a piece whose digest does not match is read again in pieces of a quarter of its size, and the
 * pieces grow again as they come through: 1 MiB, then 256 + 512 + 256 KiB, still acknowledged
 * ahead */
static void
fk_test_read_shrink(void)
{
	FkSimStats stats;
	g_autofree gchar *log = fk_test_read_with("bad-md5:1", NULL, BAUD, 0, 1024 * KIB, &stats, 1);

	if (log == NULL)
		return;
	/* a damaged digest is the line's fault, not the flow control's: still read ahead */
	g_assert_null(strstr(log, "one packet in flight"));
	g_assert_cmpuint(stats.read_acks_ahead, ==, 2 * 256 - stats.read_streams);
	g_assert_cmpuint(stats.read_streams, ==, 4);
	g_assert_cmpuint(stats.read_packets, ==, 2 * 256);
}

/* a byte lost on the way breaks a packet's frame: the line's fault, read again, and the stream
 * still read ahead (only a stall says the stub does not take acknowledgements ahead) */
static void
fk_test_read_broken_frame(void)
{
	FkSimStats stats;
	g_autofree gchar *log = fk_test_read_with("drop:60000", NULL, BAUD, 2, 256 * KIB, &stats, 1);

	if (log == NULL)
		return;
	g_assert_null(strstr(log, "one packet in flight"));
	g_assert_cmpuint(stats.read_acks_ahead, >, stats.read_packets / 2);
}

/* the chip's own USB port moves about 1 MB/s whatever the baud rate: after the first piece, sized
 * for 115200, the pieces are sized for the rate measured, 1 MiB in two pieces instead of eight */
static void
fk_test_read_native_usb(void)
{
	FkSimStats stats;
	g_autofree gchar *log = fk_test_read_with(NULL, "usbjtag", 115200, 2, 1024 * KIB, &stats, 0);

	if (log == NULL)
		return;
	g_assert_cmpuint(stats.read_streams, ==, 2);
}

int
main(int argc, char **argv)
{
	static const FkReadCase cases[] = {
	    {FK_SIM_STUB_V2, 0},
	    {FK_SIM_STUB_V2, 2},
	    {FK_SIM_STUB_V2, 16},
	    {FK_SIM_STUB_LEGACY, 2},
	    {FK_SIM_STUB_LEGACY, 16},
	};
	g_test_init(&argc, &argv, NULL);
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *name = g_strdup_printf("/read-stream/ahead/%s/%ums",
							 cases[i].kind == FK_SIM_STUB_V2 ? "v2" : "legacy",
							 cases[i].latency_ms);
		g_test_add_data_func(name, &cases[i], fk_test_read_ahead);
	}
	g_test_add_func("/read-stream/ragged", fk_test_read_ragged);
	g_test_add_func("/read-stream/fallback", fk_test_read_fallback);
	g_test_add_func("/read-stream/shrink", fk_test_read_shrink);
	g_test_add_func("/read-stream/broken-frame", fk_test_read_broken_frame);
	g_test_add_func("/read-stream/native-usb", fk_test_read_native_usb);
	for (guint i = 1; i < G_N_ELEMENTS(cases); i += 2) {
		g_autofree gchar *name = g_strdup_printf("/read-stream/cancel/%s/%ums",
							 cases[i].kind == FK_SIM_STUB_V2 ? "v2" : "legacy",
							 cases[i].latency_ms);
		g_test_add_data_func(name, &cases[i], fk_test_read_cancel);
	}
	return g_test_run();
}
