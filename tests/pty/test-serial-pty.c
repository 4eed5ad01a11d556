/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/serial.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "fk-error.h"
#include "fk-port.h"
#include "fk-transport-serial.h"
#include "fk-pty-interposer.h"
#include "fk-transport.h"

/*
 * The libserialport backend on a pseudo-terminal: the test holds the master side, the
 * transport opens the slave (/dev/pts/N) exactly as it would open /dev/ttyUSB0.
 *
 * No check here bounds how long anything took: a loaded machine makes everything slower. What
 * the backend guarantees is checked instead (what a read returned, which error, what happened
 * first); waits that must end on their own get a deadline far past the test's own time limit,
 * so a wait that does not end shows as a hung test, never as a slow pass.
 */

#define FK_TEST_NO_DEADLINE_MS (10 * 60 * 1000)

typedef struct {
	gboolean dtr;
	gboolean rts;
	gint64 when_us;
} FkLineEvent;

typedef struct {
	gint master;
	gchar *slave_path;
	GMutex lock;
	GArray *events; /* FkLineEvent */
} FkPtyFixture;

/* struct termios2 as the kernel has it; <asm/termbits.h> cannot be mixed with <termios.h> */
struct fk_termios2 {
	tcflag_t c_iflag;
	tcflag_t c_oflag;
	tcflag_t c_cflag;
	tcflag_t c_lflag;
	cc_t c_line;
	cc_t c_cc[19];
	speed_t c_ispeed;
	speed_t c_ospeed;
};
#define FK_TCGETS2 _IOR('T', 0x2A, struct fk_termios2)

static void
fk_pty_fixture_lines_cb(gint fd, gboolean dtr, gboolean rts, gint64 when_us, gpointer user_data)
{
	FkPtyFixture *fx = user_data;
	FkLineEvent ev = {.dtr = dtr, .rts = rts, .when_us = when_us};
	g_mutex_lock(&fx->lock);
	g_array_append_val(fx->events, ev);
	g_mutex_unlock(&fx->lock);
}

static guint
fk_pty_fixture_count_events(FkPtyFixture *fx)
{
	guint n;
	g_mutex_lock(&fx->lock);
	n = fx->events->len;
	g_mutex_unlock(&fx->lock);
	return n;
}

static FkLineEvent
fk_pty_fixture_get_event(FkPtyFixture *fx, guint idx)
{
	FkLineEvent ev;
	g_mutex_lock(&fx->lock);
	g_assert_cmpuint(idx, <, fx->events->len);
	ev = g_array_index(fx->events, FkLineEvent, idx);
	g_mutex_unlock(&fx->lock);
	return ev;
}

static void
fk_pty_fixture_setup(FkPtyFixture *fx, gconstpointer user_data)
{
	char name[128];

	fx->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	g_assert_cmpint(fx->master, >=, 0);
	g_assert_cmpint(grantpt(fx->master), ==, 0);
	g_assert_cmpint(unlockpt(fx->master), ==, 0);
	g_assert_cmpint(ptsname_r(fx->master, name, sizeof(name)), ==, 0);
	fx->slave_path = g_strdup(name);
	g_mutex_init(&fx->lock);
	fx->events = g_array_new(FALSE, TRUE, sizeof(FkLineEvent));
	fk_pty_interposer_reset();
	fk_pty_interposer_set_lines_func(fk_pty_fixture_lines_cb, fx);
}

static void
fk_pty_fixture_teardown(FkPtyFixture *fx, gconstpointer user_data)
{
	fk_pty_interposer_set_lines_func(NULL, NULL);
	if (fx->master >= 0)
		close(fx->master);
	g_free(fx->slave_path);
	g_array_unref(fx->events);
	g_mutex_clear(&fx->lock);
}

static void
fk_pty_master_write_all(FkPtyFixture *fx, const guint8 *data, gsize len)
{
	gsize done = 0;
	while (done < len) {
		ssize_t n = write(fx->master, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		g_assert_cmpint(n, >, 0);
		done += (gsize)n;
	}
}

/* reads exactly @len bytes from the master (bytes that never come hang the test) */
static void
fk_pty_master_read_exact(FkPtyFixture *fx, guint8 *buf, gsize len)
{
	gsize done = 0;
	while (done < len) {
		struct pollfd pfd = {.fd = fx->master, .events = POLLIN};
		ssize_t n;
		if (poll(&pfd, 1, -1) <= 0)
			continue;
		n = read(fx->master, buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		g_assert_cmpint(n, >, 0);
		done += (gsize)n;
	}
}

/* reads exactly @len bytes through the transport, in reads that each end at the first bytes */
static void
fk_pty_transport_read_exact(FkTransport *transport, guint8 *buf, gsize len)
{
	gsize done = 0;
	while (done < len) {
		g_autoptr(GError) error = NULL;
		gssize n = fk_transport_read(transport,
					     buf + done,
					     len - done,
					     FK_TEST_NO_DEADLINE_MS,
					     NULL,
					     &error);
		g_assert_no_error(error);
		g_assert_cmpint(n, >, 0);
		done += (gsize)n;
	}
}

static FkTransport *
fk_pty_fixture_open(FkPtyFixture *fx)
{
	g_autoptr(GError) error = NULL;
	FkTransport *transport = fk_transport_serial_open(fx->slave_path, &error);
	g_assert_no_error(error);
	g_assert_nonnull(transport);
	return transport;
}

/* a second descriptor on the slave, to look at the settings the backend made */
static gint
fk_pty_fixture_open_slave_peek(FkPtyFixture *fx)
{
	gint fd = open(fx->slave_path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	g_assert_cmpint(fd, >=, 0);
	return fd;
}

/* waits until @len bytes written to the master can be read on the slave: the kernel hands them
 * over in a worker of its own, later on a loaded machine */
static void
fk_pty_wait_input(FkPtyFixture *fx, gint len)
{
	gint fd = fk_pty_fixture_open_slave_peek(fx);
	gint waiting = 0;
	for (;;) {
		g_assert_cmpint(ioctl(fd, FIONREAD, &waiting), ==, 0);
		if (waiting >= len)
			break;
		g_usleep(1000);
	}
	close(fd);
}

static void
test_serial_open(FkPtyFixture *fx, gconstpointer user_data)
{
	g_autoptr(FkTransport) transport = fk_pty_fixture_open(fx);
	struct termios tio;
	gint fd;

	g_assert_cmpint(fk_transport_get_kind(transport), ==, FK_TRANSPORT_KIND_SERIAL);
	g_assert_cmpstr(fk_transport_get_name(transport), ==, fx->slave_path);
	g_assert_true(fk_transport_has_modem_lines(transport));
	g_assert_cmpuint(fk_transport_get_baud(transport), ==, 115200);
	g_assert_cmpuint(fk_transport_get_usb_vid(transport), ==, 0);
	g_assert_cmpuint(fk_transport_get_usb_pid(transport), ==, 0);

	/* raw 8N1 without flow control, and no hang-up on close (it would reset the board) */
	fd = fk_pty_fixture_open_slave_peek(fx);
	g_assert_cmpint(tcgetattr(fd, &tio), ==, 0);
	close(fd);
	g_assert_cmpuint(tio.c_cflag & CSIZE, ==, CS8);
	g_assert_cmpuint(tio.c_cflag & (PARENB | CSTOPB | CRTSCTS | HUPCL), ==, 0);
	g_assert_cmpuint(tio.c_iflag & (IXON | IXOFF | ICRNL | ISTRIP), ==, 0);
	g_assert_cmpuint(tio.c_lflag & (ICANON | ECHO | ISIG), ==, 0);
	g_assert_cmpuint(tio.c_oflag & OPOST, ==, 0);

	/* opening touched the modem lines only to read them */
	g_assert_cmpuint(fk_pty_fixture_count_events(fx), ==, 0);
	g_assert_cmpuint(fk_pty_interposer_get_emulated_count(), >, 0);

	fk_transport_close(transport);
	g_assert_cmpuint(fk_pty_fixture_count_events(fx), ==, 0);
}

/* the adapter's low-latency mode is on while Flashkeep has the port, and as it was after; its
 * other settings stay */
static void
test_serial_low_latency(FkPtyFixture *fx, gconstpointer user_data)
{
	struct serial_struct ss;
	struct stat st;
	gint fd = fk_pty_fixture_open_slave_peek(fx);

	g_assert_cmpint(fstat(fd, &st), ==, 0);
	for (guint already = 0; already <= 1; already++) {
		guint before = ASYNC_SKIP_TEST | (already ? ASYNC_LOW_LATENCY : 0);
		g_autoptr(FkTransport) transport = NULL;

		memset(&ss, 0, sizeof(ss));
		ss.flags = (int)before;
		g_assert_cmpint(ioctl(fd, TIOCSSERIAL, &ss), ==, 0);
		transport = fk_pty_fixture_open(fx);
		g_assert_cmphex(fk_pty_interposer_get_serial_flags(st.st_rdev), ==, before | ASYNC_LOW_LATENCY);
		fk_transport_close(transport);
		g_assert_cmphex(fk_pty_interposer_get_serial_flags(st.st_rdev), ==, before);
	}
	close(fd);
}

static void
test_serial_bytes(FkPtyFixture *fx, gconstpointer user_data)
{
	guint baud = GPOINTER_TO_UINT(user_data);
	g_autoptr(FkTransport) transport = fk_pty_fixture_open(fx);
	g_autoptr(GError) error = NULL;
	struct fk_termios2 tio2 = {0};
	guint8 all[256];
	guint8 got[256];
	gint fd;

	g_assert_true(fk_transport_set_baud(transport, baud, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(fk_transport_get_baud(transport), ==, baud);

	/* the line really runs at that rate, non-standard ones included */
	fd = fk_pty_fixture_open_slave_peek(fx);
	g_assert_cmpint(ioctl(fd, FK_TCGETS2, &tio2), ==, 0);
	close(fd);
	g_assert_cmpuint(tio2.c_ospeed, ==, baud);
	g_assert_cmpuint(tio2.c_ispeed, ==, baud);

	for (guint i = 0; i < sizeof(all); i++)
		all[i] = (guint8)i;

	/* host to device: SLIP's 0xC0/0xDB, XON/XOFF, CR/LF and ^C must all pass untouched */
	g_assert_true(fk_transport_write(transport, all, sizeof(all), NULL, &error));
	g_assert_no_error(error);
	memset(got, 0, sizeof(got));
	fk_pty_master_read_exact(fx, got, sizeof(got));
	g_assert_cmpmem(got, sizeof(got), all, sizeof(all));

	/* device to host */
	fk_pty_master_write_all(fx, all, sizeof(all));
	memset(got, 0, sizeof(got));
	fk_pty_transport_read_exact(transport, got, sizeof(got));
	g_assert_cmpmem(got, sizeof(got), all, sizeof(all));

	/* nothing extra arrived either way */
	g_assert_cmpint(fk_transport_read(transport, got, sizeof(got), 20, NULL, &error), ==, 0);
	g_assert_no_error(error);
}

typedef struct {
	FkPtyFixture *fx;
	gsize len;
	GBytes *received;
} FkBulkReader;

static gpointer
fk_bulk_reader_thread(gpointer user_data)
{
	FkBulkReader *reader = user_data;
	guint8 *buf = g_malloc(reader->len);
	fk_pty_master_read_exact(reader->fx, buf, reader->len);
	reader->received = g_bytes_new_take(buf, reader->len);
	return NULL;
}

/* more than the pty buffers hold: the write must wait for the device to take the bytes */
static void
test_serial_bulk(FkPtyFixture *fx, gconstpointer user_data)
{
	g_autoptr(FkTransport) transport = fk_pty_fixture_open(fx);
	g_autoptr(GError) error = NULL;
	g_autoptr(GRand) rand = g_rand_new_with_seed(0x5eed);
	g_autofree guint8 *data = g_malloc(256 * 1024);
	FkBulkReader reader = {.fx = fx, .len = 256 * 1024};
	GThread *thread;

	for (gsize i = 0; i < reader.len; i++)
		data[i] = (guint8)g_rand_int_range(rand, 0, 256);
	g_assert_true(fk_transport_set_baud(transport, 921600, &error));
	g_assert_no_error(error);

	thread = g_thread_new("bulk-reader", fk_bulk_reader_thread, &reader);
	g_assert_true(fk_transport_write(transport, data, reader.len, NULL, &error));
	g_assert_no_error(error);
	g_thread_join(thread);
	g_assert_cmpmem(g_bytes_get_data(reader.received, NULL),
			g_bytes_get_size(reader.received),
			data,
			reader.len);
	g_bytes_unref(reader.received);
}

static void
fk_pty_assert_set_lines(FkPtyFixture *fx, FkTransport *transport, gboolean dtr, gboolean rts)
{
	g_autoptr(GError) error = NULL;
	guint before_count = fk_pty_fixture_count_events(fx);
	gint64 before = g_get_monotonic_time();
	gint64 after;
	FkLineEvent ev;

	g_assert_true(fk_transport_set_lines(transport, dtr, rts, &error));
	g_assert_no_error(error);
	after = g_get_monotonic_time();

	/* one change, both lines at once: the board never sees a half-way state */
	g_assert_cmpuint(fk_pty_fixture_count_events(fx), ==, before_count + 1);
	ev = fk_pty_fixture_get_event(fx, before_count);
	g_assert_cmpint(ev.dtr, ==, dtr);
	g_assert_cmpint(ev.rts, ==, rts);
	g_assert_cmpint(ev.when_us, >=, before);
	g_assert_cmpint(ev.when_us, <=, after);
}

static void
test_serial_lines(FkPtyFixture *fx, gconstpointer user_data)
{
	g_autoptr(FkTransport) transport = fk_pty_fixture_open(fx);
	g_autoptr(GError) error = NULL;
	FkLineEvent ev_low;
	FkLineEvent ev_boot;

	/* Linux asserted both when the port opened; opening itself changed nothing */
	g_assert_cmpuint(fk_pty_fixture_count_events(fx), ==, 0);

	/* esptool's "tight" reset into the loader: (D,D) (A,A) (D,A) 100 ms (A,D) 50 ms (D,D) */
	fk_pty_assert_set_lines(fx, transport, FALSE, FALSE);
	fk_pty_assert_set_lines(fx, transport, TRUE, TRUE);
	fk_pty_assert_set_lines(fx, transport, FALSE, TRUE);
	g_usleep(100 * 1000);
	fk_pty_assert_set_lines(fx, transport, TRUE, FALSE);
	g_usleep(50 * 1000);
	fk_pty_assert_set_lines(fx, transport, FALSE, FALSE);

	/* EN was held low for at least the 100 ms */
	ev_low = fk_pty_fixture_get_event(fx, 2);
	ev_boot = fk_pty_fixture_get_event(fx, 3);
	g_assert_cmpint(ev_boot.when_us - ev_low.when_us, >=, 100 * 1000);

	/* the same state again is no change on the wire */
	g_assert_true(fk_transport_set_lines(transport, FALSE, FALSE, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(fk_pty_fixture_count_events(fx), ==, 5);

	/* a single line each way */
	fk_pty_assert_set_lines(fx, transport, TRUE, FALSE);
	fk_pty_assert_set_lines(fx, transport, TRUE, TRUE);
	fk_pty_assert_set_lines(fx, transport, FALSE, TRUE);

	/* closing leaves the lines where they are */
	fk_transport_close(transport);
	g_assert_cmpuint(fk_pty_fixture_count_events(fx), ==, 8);
}

static void
test_serial_timeout(FkPtyFixture *fx, gconstpointer user_data)
{
	g_autoptr(FkTransport) transport = fk_pty_fixture_open(fx);
	g_autoptr(GError) error = NULL;
	guint8 buf[16];
	gint64 start;
	gint64 elapsed;
	gssize n;

	/* nothing comes: a short read of no bytes and no error, and not before the deadline (load
	 * only makes the wait longer) */
	start = g_get_monotonic_time();
	n = fk_transport_read(transport, buf, sizeof(buf), 250, NULL, &error);
	elapsed = g_get_monotonic_time() - start;
	g_assert_no_error(error);
	g_assert_cmpint(n, ==, 0);
	g_assert_cmpint(elapsed, >=, 249 * 1000);

	/* timeout 0 is a poll, never "forever": it returns, with nothing */
	n = fk_transport_read(transport, buf, sizeof(buf), 0, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(n, ==, 0);

	/* a byte waiting on the port is returned by a poll: once the kernel has passed it to the
	 * slave side, the very next poll has it */
	fk_pty_master_write_all(fx, (const guint8 *)"\xc0", 1);
	fk_pty_wait_input(fx, 1);
	n = fk_transport_read(transport, buf, sizeof(buf), 0, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(n, ==, 1);
	g_assert_cmpuint(buf[0], ==, 0xc0);

	/* data ends the wait: the read returns the bytes that came, short of the buffer, and does
	 * not wait for a deadline that the test would not outlive */
	fk_pty_master_write_all(fx, (const guint8 *)"ok", 2);
	n = fk_transport_read(transport, buf, sizeof(buf), FK_TEST_NO_DEADLINE_MS, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(n, >=, 1);
	g_assert_cmpint(n, <=, 2);
	g_assert_cmpmem(buf, n, "ok", n);
}

static void
test_serial_flush(FkPtyFixture *fx, gconstpointer user_data)
{
	g_autoptr(FkTransport) transport = fk_pty_fixture_open(fx);
	g_autoptr(GError) error = NULL;
	guint8 buf[64];

	fk_pty_master_write_all(fx, (const guint8 *)"boot log garbage", 16);
	fk_pty_wait_input(fx, 16);
	g_assert_true(fk_transport_flush_input(transport, &error));
	g_assert_no_error(error);
	g_assert_cmpint(fk_transport_read(transport, buf, sizeof(buf), 50, NULL, &error), ==, 0);
	g_assert_no_error(error);
}

static gpointer
fk_cancel_later_thread(gpointer user_data)
{
	GCancellable *cancellable = user_data;
	g_usleep(100 * 1000);
	g_cancellable_cancel(cancellable);
	return NULL;
}

static void
test_serial_cancel(FkPtyFixture *fx, gconstpointer user_data)
{
	g_autoptr(FkTransport) transport = fk_pty_fixture_open(fx);
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(GCancellable) cancelled = g_cancellable_new();
	g_autoptr(GError) error = NULL;
	guint8 buf[16];
	GThread *thread;
	gint64 start;
	gint64 elapsed;
	gssize n;

	/* cancelled while waiting: the cancel ends a wait whose deadline the test would not
	 * outlive, and the read did not return before the cancel came */
	thread = g_thread_new("cancel", fk_cancel_later_thread, cancellable);
	start = g_get_monotonic_time();
	n = fk_transport_read(transport, buf, sizeof(buf), FK_TEST_NO_DEADLINE_MS, cancellable, &error);
	elapsed = g_get_monotonic_time() - start;
	g_thread_join(thread);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	g_assert_cmpint(n, ==, -1);
	g_assert_cmpint(elapsed, >=, 90 * 1000);
	g_clear_error(&error);

	/* already cancelled: nothing is read or written */
	g_cancellable_cancel(cancelled);
	fk_pty_master_write_all(fx, (const guint8 *)"x", 1);
	n = fk_transport_read(transport, buf, sizeof(buf), 1000, cancelled, &error);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	g_assert_cmpint(n, ==, -1);
	g_clear_error(&error);
	g_assert_false(fk_transport_write(transport, buf, 1, cancelled, &error));
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	g_clear_error(&error);

	/* the port is still usable, and the byte is still there */
	n = fk_transport_read(transport, buf, sizeof(buf), FK_TEST_NO_DEADLINE_MS, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(n, ==, 1);
	g_assert_cmpuint(buf[0], ==, 'x');
}

static gpointer
fk_close_master_later_thread(gpointer user_data)
{
	FkPtyFixture *fx = user_data;
	g_usleep(100 * 1000);
	close(fx->master);
	fx->master = -1;
	return NULL;
}

static void
test_serial_gone(FkPtyFixture *fx, gconstpointer user_data)
{
	g_autoptr(FkTransport) transport = fk_pty_fixture_open(fx);
	g_autoptr(GError) error = NULL;
	guint8 buf[16] = {0};
	GThread *thread;
	gint64 start;
	gint64 elapsed;
	gssize n;

	/* the other side goes away while a read waits: the read ends with that, not at a deadline
	 * the test would not outlive, and not before the other side went */
	thread = g_thread_new("close-master", fk_close_master_later_thread, fx);
	start = g_get_monotonic_time();
	n = fk_transport_read(transport, buf, sizeof(buf), FK_TEST_NO_DEADLINE_MS, NULL, &error);
	elapsed = g_get_monotonic_time() - start;
	g_thread_join(thread);
	g_assert_error(error, FK_ERROR, FK_ERROR_PORT_GONE);
	g_assert_nonnull(strstr(error->message, fx->slave_path));
	g_assert_cmpint(n, ==, -1);
	g_assert_cmpint(elapsed, >=, 90 * 1000);
	g_clear_error(&error);

	/* and every later use says so, without waiting out its deadline */
	n = fk_transport_read(transport, buf, sizeof(buf), FK_TEST_NO_DEADLINE_MS, NULL, &error);
	g_assert_error(error, FK_ERROR, FK_ERROR_PORT_GONE);
	g_assert_cmpint(n, ==, -1);
	g_clear_error(&error);
	g_assert_false(fk_transport_write(transport, buf, sizeof(buf), NULL, &error));
	g_assert_error(error, FK_ERROR, FK_ERROR_PORT_GONE);
	g_clear_error(&error);
	g_assert_false(fk_transport_set_lines(transport, TRUE, FALSE, &error));
	g_assert_error(error, FK_ERROR, FK_ERROR_PORT_GONE);
	g_clear_error(&error);
	g_assert_false(fk_transport_flush_input(transport, &error));
	g_assert_error(error, FK_ERROR, FK_ERROR_PORT_GONE);
}

static void
test_serial_gone_before_read(FkPtyFixture *fx, gconstpointer user_data)
{
	g_autoptr(FkTransport) transport = fk_pty_fixture_open(fx);
	g_autoptr(GError) error = NULL;
	guint8 buf[16];

	close(fx->master);
	fx->master = -1;
	/* a poll, and a wait whose deadline the test would not outlive, both say so */
	g_assert_cmpint(fk_transport_read(transport, buf, sizeof(buf), 0, NULL, &error), ==, -1);
	g_assert_error(error, FK_ERROR, FK_ERROR_PORT_GONE);
	g_clear_error(&error);
	g_assert_cmpint(fk_transport_read(transport, buf, sizeof(buf), FK_TEST_NO_DEADLINE_MS, NULL, &error),
			==,
			-1);
	g_assert_error(error, FK_ERROR, FK_ERROR_PORT_GONE);
}

static void
test_serial_not_found(void)
{
	const gchar *names[] = {"/dev/ttyFLASHKEEP-missing0",
				"/dev/serial/by-id/usb-flashkeep-missing-if00-port0",
				"/dev/pts/999999",
				"ttyFLASHKEEP-missing1"};
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(FkTransport) transport = fk_transport_serial_open(names[i], &error);
		g_assert_null(transport);
		g_assert_error(error, FK_ERROR, FK_ERROR_PORT_NOT_FOUND);
		g_test_message("%s: %s", names[i], error->message);
		g_assert_nonnull(strstr(error->message, names[i]));
		g_assert_nonnull(strstr(error->message, "cable"));
		g_assert_nonnull(strstr(error->message, "brltty"));
	}
}

static void
test_serial_not_a_port(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) error_file = NULL;
	g_autoptr(FkTransport) transport = NULL;
	g_autofree gchar *path = NULL;
	gint fd;

	/* a character device that is not a tty */
	transport = fk_transport_serial_open("/dev/null", &error);
	g_assert_null(transport);
	g_assert_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "not a serial port"));

	/* an ordinary file */
	fd = g_file_open_tmp("flashkeep-XXXXXX", &path, NULL);
	g_assert_cmpint(fd, >=, 0);
	close(fd);
	transport = fk_transport_serial_open(path, &error_file);
	g_assert_null(transport);
	g_assert_error(error_file, FK_ERROR, FK_ERROR_INVALID_ARGUMENT);
	g_unlink(path);
}

static void
test_serial_busy(FkPtyFixture *fx, gconstpointer user_data)
{
	g_autoptr(FkTransport) transport = fk_pty_fixture_open(fx);
	g_autoptr(FkTransport) second = NULL;
	g_autoptr(GError) error = NULL;

	second = fk_transport_serial_open(fx->slave_path, &error);
	g_assert_null(second);
	g_assert_error(error, FK_ERROR, FK_ERROR_PORT_BUSY);
	g_assert_nonnull(strstr(error->message, "another program"));
	g_clear_error(&error);

	/* free again once the first user is done */
	fk_transport_close(transport);
	second = fk_transport_serial_open(fx->slave_path, &error);
	g_assert_no_error(error);
	g_assert_nonnull(second);
}

static void
test_serial_permission(FkPtyFixture *fx, gconstpointer user_data)
{
	g_autoptr(FkTransport) transport = NULL;
	g_autoptr(GError) error = NULL;

	if (geteuid() == 0) {
		g_test_skip("root may open any device");
		return;
	}
	g_assert_cmpint(chmod(fx->slave_path, 0), ==, 0);
	transport = fk_transport_serial_open(fx->slave_path, &error);
	g_assert_null(transport);
	g_assert_error(error, FK_ERROR, FK_ERROR_PORT_PERMISSION);
	g_assert_nonnull(strstr(error->message, "dialout"));
}

/* /dev/serial/by-id/… links and bare "pts/N" names reach the same device */
static void
test_serial_names(FkPtyFixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp("flashkeep-XXXXXX", &error);
	g_autofree gchar *link = NULL;
	g_autoptr(FkTransport) transport = NULL;
	guint8 buf[4];

	g_assert_no_error(error);
	link = g_build_filename(dir, "usb-Silicon_Labs_CP2102-if00-port0", NULL);
	g_assert_cmpint(symlink(fx->slave_path, link), ==, 0);
	transport = fk_transport_serial_open(link, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(fk_transport_get_name(transport), ==, link);
	fk_pty_master_write_all(fx, (const guint8 *)"a", 1);
	g_assert_cmpint(fk_transport_read(transport, buf, sizeof(buf), FK_TEST_NO_DEADLINE_MS, NULL, &error),
			==,
			1);
	g_assert_no_error(error);
	g_clear_object(&transport);
	g_unlink(link);
	g_rmdir(dir);

	transport = fk_transport_serial_open(fx->slave_path + strlen("/dev/"), &error);
	g_assert_no_error(error);
	g_assert_nonnull(transport);

	/* the generic entry point sends device paths to this backend */
	g_clear_object(&transport);
	transport = fk_transport_open(fx->slave_path, &error);
	g_assert_no_error(error);
	g_assert_cmpint(fk_transport_get_kind(transport), ==, FK_TRANSPORT_KIND_SERIAL);
}

static void
test_serial_list(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) ports = fk_port_list_serial(&error);
	gboolean seen_native = FALSE;

	g_assert_no_error(error);
	g_assert_nonnull(ports);
	/* only looked at, never opened: on test machines ttyS0 may be the console */
	for (guint i = 0; i < ports->len; i++) {
		FkPortInfo *info = g_ptr_array_index(ports, i);
		g_test_message("%s: %s (usb %d %04x:%04x)",
			       info->name,
			       info->description,
			       info->kind == FK_PORT_KIND_USB,
			       info->usb_vid,
			       info->usb_pid);
		g_assert_true(g_str_has_prefix(info->name, "/dev/"));
		g_assert_false(g_str_has_prefix(info->name, "/dev/pts/"));
		g_assert_nonnull(info->description);
		g_assert_cmpstr(info->description, !=, "");
		if (info->kind != FK_PORT_KIND_USB) {
			g_assert_cmpuint(info->usb_vid, ==, 0);
			seen_native = TRUE;
		} else {
			/* USB ports come first */
			g_assert_false(seen_native);
		}
		if (i > 0) {
			FkPortInfo *prev = g_ptr_array_index(ports, i - 1);
			if (prev->kind == info->kind) {
				g_autofree gchar *key_prev =
				    g_utf8_collate_key_for_filename(prev->name, -1);
				g_autofree gchar *key = g_utf8_collate_key_for_filename(info->name, -1);
				g_assert_cmpint(strcmp(key_prev, key), <, 0);
			}
		}
	}
}

static void
fk_pty_add(const gchar *path, void (*func)(FkPtyFixture *, gconstpointer), gconstpointer data)
{
	g_test_add(path,
		   FkPtyFixture,
		   data,
		   fk_pty_fixture_setup,
		   func,
		   fk_pty_fixture_teardown);
}

int
main(int argc, char **argv)
{
	const guint bauds[] = {115200, 74880, 921600};

	g_test_init(&argc, &argv, NULL);

	fk_pty_add("/fk/pty/serial/open", test_serial_open, NULL);
	for (guint i = 0; i < G_N_ELEMENTS(bauds); i++) {
		g_autofree gchar *path = g_strdup_printf("/fk/pty/serial/bytes-%u", bauds[i]);
		fk_pty_add(path, test_serial_bytes, GUINT_TO_POINTER(bauds[i]));
	}
	fk_pty_add("/fk/pty/serial/bulk", test_serial_bulk, NULL);
	fk_pty_add("/fk/pty/serial/low-latency", test_serial_low_latency, NULL);
	fk_pty_add("/fk/pty/serial/lines", test_serial_lines, NULL);
	fk_pty_add("/fk/pty/serial/timeout", test_serial_timeout, NULL);
	fk_pty_add("/fk/pty/serial/flush", test_serial_flush, NULL);
	fk_pty_add("/fk/pty/serial/cancel", test_serial_cancel, NULL);
	fk_pty_add("/fk/pty/serial/gone", test_serial_gone, NULL);
	fk_pty_add("/fk/pty/serial/gone-before-read", test_serial_gone_before_read, NULL);
	fk_pty_add("/fk/pty/serial/busy", test_serial_busy, NULL);
	fk_pty_add("/fk/pty/serial/permission", test_serial_permission, NULL);
	fk_pty_add("/fk/pty/serial/names", test_serial_names, NULL);
	g_test_add_func("/fk/pty/serial/not-found", test_serial_not_found);
	g_test_add_func("/fk/pty/serial/not-a-port", test_serial_not_a_port);
	g_test_add_func("/fk/pty/serial/list", test_serial_list);
	return g_test_run();
}
