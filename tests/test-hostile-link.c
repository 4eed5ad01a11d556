/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A chip that talks nonsense: a line full of noise, and a stub left running at 921600 baud
 * that a host comes back to at 115200. The connect must give up after a fixed number of tries,
 * in bounded time, with an error that tells the person to check the port and the baud rate. */
#include "config.h"

#include "fk-error.h"
#include "fk-hostile-fixture.h"

/* a connect that gets no reply gives up after a fixed number of tries, however long each took on
 * a loaded machine: seven resets (fk-reset.c), each followed by up to five SYNC frames
 * (fk-loader.c); the tries are counted, not timed */
#define CONNECT_RESETS 7
#define CONNECT_SYNCS  (CONNECT_RESETS * 5)

/* a line full of noise: what a host sees from a chip running firmware at another baud rate, or
 * a port that is not connected to an ESP at all; it answers nothing it is sent */
#define FK_TYPE_NOISE_TRANSPORT (fk_noise_transport_get_type())
G_DECLARE_FINAL_TYPE(FkNoiseTransport, fk_noise_transport, FK, NOISE_TRANSPORT, FkTransport)

struct _FkNoiseTransport {
	FkTransport parent_instance;
	GRand *rand;
	guint64 bytes_sent;
	guint syncs; /* SYNC command frames the host wrote */
};

G_DEFINE_FINAL_TYPE(FkNoiseTransport, fk_noise_transport, FK_TYPE_TRANSPORT)

static gboolean
fk_noise_transport_write(FkTransport *transport, const guint8 *data, gsize len, GCancellable *cancellable, GError **error)
{
	FkNoiseTransport *self = FK_NOISE_TRANSPORT(transport);
	/* one SLIP frame per write: C0, direction 00, the opcode */
	if (len >= 3 && data[0] == 0xC0 && data[1] == 0x00 && data[2] == FK_OP_SYNC)
		self->syncs++;
	return TRUE;
}

static gssize
fk_noise_transport_read(FkTransport *transport, guint8 *buf, gsize len, guint timeout_ms, GCancellable *cancellable, GError **error)
{
	FkNoiseTransport *self = FK_NOISE_TRANSPORT(transport);
	/* about 115200 baud: 64 bytes every 5 ms */
	gsize n = MIN(len, 64);
	g_usleep(MIN(timeout_ms, 5) * 1000);
	for (gsize i = 0; i < n; i++)
		buf[i] = (guint8)g_rand_int_range(self->rand, 0, 256);
	self->bytes_sent += n;
	return (gssize)n;
}

static void
fk_noise_transport_finalize(GObject *object)
{
	FkNoiseTransport *self = FK_NOISE_TRANSPORT(object);
	g_rand_free(self->rand);
	G_OBJECT_CLASS(fk_noise_transport_parent_class)->finalize(object);
}

static void
fk_noise_transport_class_init(FkNoiseTransportClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	FkTransportClass *transport_class = FK_TRANSPORT_CLASS(klass);
	object_class->finalize = fk_noise_transport_finalize;
	transport_class->write = fk_noise_transport_write;
	transport_class->read = fk_noise_transport_read;
}

static void
fk_noise_transport_init(FkNoiseTransport *self)
{
	self->rand = g_rand_new_with_seed(20240611);
	fk_transport_set_name(FK_TRANSPORT(self), "noise");
	fk_transport_set_has_modem_lines(FK_TRANSPORT(self), TRUE);
}

/* counts the engine's "no reply to SYNC (attempt N of M)" lines */
static void
count_sync_attempts_cb(const gchar *message, gpointer user_data)
{
	guint *attempts = user_data;
	if (g_str_has_prefix(message, "no reply to SYNC"))
		(*attempts)++;
}

/* the connect gave up, with an error a person can act on, after the fixed number of resets and
 * no more SYNC frames than those allow */
static void
assert_no_sync(const GError *error, guint attempts, guint syncs)
{
	g_test_message("gave up after %u attempts, %u SYNC frames: %s",
		       attempts,
		       syncs,
		       error != NULL ? error->message : "(no error)");
	g_assert_error(error, FK_ERROR, FK_ERROR_NO_SYNC);
	assert_message_has(error, "No reply from the chip");
	assert_message_has(error, "baud rate");
	g_assert_nonnull(fk_error_hint(error));
	g_assert_cmpuint(attempts, ==, CONNECT_RESETS);
	g_assert_cmpuint(syncs, >=, CONNECT_RESETS);
	g_assert_cmpuint(syncs, <=, CONNECT_SYNCS);
}

static void
test_link_noise(void)
{
	g_autoptr(FkTransport) transport = g_object_new(FK_TYPE_NOISE_TRANSPORT, NULL);
	g_autoptr(FkDevice) device = fk_device_new(transport);
	g_autoptr(GError) error = NULL;
	guint attempts = 0;

	fk_device_set_log_func(device, count_sync_attempts_cb, &attempts);
	g_assert_false(fk_device_connect(device, NULL, &error));
	assert_no_sync(error, attempts, FK_NOISE_TRANSPORT(transport)->syncs);
	g_assert_cmpuint(FK_NOISE_TRANSPORT(transport)->bytes_sent, >, 10000);
	g_assert_false(fk_device_is_connected(device));
}

/* a stub left running at 921600 baud (--after no_reset_stub) and a host that comes back at
 * 115200 without resetting the chip: every byte is garbled both ways */
static void
test_link_wrong_baud(void)
{
	Fixture fx = {0};
	g_autoptr(GError) error = NULL;
	g_autoptr(FkDevice) again = NULL;
	FkSimStats st;
	guint attempts = 0;
	guint syncs = 0;

	fixture_open(&fx, "esp32", 0);
	fk_device_set_baud(fx.device, 921600);
	fixture_connect(&fx);
	g_assert_cmpuint(fk_device_get_current_baud(fx.device), ==, 921600);
	g_assert_true(fk_device_finish(fx.device, FK_AFTER_NO_RESET_STUB, NULL, &error));
	g_assert_no_error(error);
	fk_sim_device_get_stats(fx.sim, &st);
	g_assert_true(st.stub_running);
	g_assert_cmpuint(st.baud, ==, 921600);

	again = fk_device_new(fx.transport);
	fk_device_set_reset_mode(again, FK_RESET_NONE);
	fk_device_set_baud(again, 115200);
	fk_device_set_log_func(again, count_sync_attempts_cb, &attempts);
	g_array_set_size(fx.ops, 0);
	g_assert_false(fk_device_connect(again, NULL, &error));
	for (guint i = 0; i < fx.ops->len; i++)
		syncs += g_array_index(fx.ops, guint8, i) == FK_OP_SYNC;
	assert_no_sync(error, attempts, syncs);
	fixture_close(&fx);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/fk/hostile/link/noise", test_link_noise);
	g_test_add_func("/fk/hostile/link/wrong-baud", test_link_wrong_baud);
	return g_test_run();
}
