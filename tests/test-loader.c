/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The loader layer on its own, without an FkDevice: reset and SYNC, a register read, a command
 * the ROM does not know, a deadline. */
#include "config.h"

#include <string.h>

#include "fk-chip.h"
#include "fk-packet.h"
#include "fk-slip.h"
#include "fk-error.h"
#include "fk-loader.h"
#include "fk-protocol.h"
#include "fk-reset.h"
#include "fk-sim-device.h"
#include "fk-sim-transport.h"

typedef struct {
	FkSimDevice *sim;
	FkTransport *transport;
	FkLoader *loader;
} Fixture;

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	gboolean stub_detected = TRUE;

	fx->sim = fk_sim_device_new("esp32", 0, 42, &error);
	g_assert_no_error(error);
	fk_sim_device_set_boot_mode(fx->sim, FK_SIM_BOOT_APP);
	fk_sim_device_set_timing(fx->sim, FALSE, 0);
	fx->transport = fk_sim_transport_new(fx->sim);
	fx->loader = fk_loader_new(fx->transport);
	g_assert_true(fk_transport_set_baud(fx->transport, FK_ROM_BAUD, &error));
	g_assert_no_error(error);
	g_assert_true(fk_reset_and_sync(fx->loader, FK_RESET_AUTO, NULL, &stub_detected, NULL, &error));
	g_assert_no_error(error);
	g_assert_false(stub_detected);
	fk_loader_set_kind(fx->loader, FK_LOADER_ROM32);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	g_clear_pointer(&fx->loader, fk_loader_free);
	fk_transport_close(fx->transport);
	g_clear_object(&fx->transport);
	g_clear_object(&fx->sim);
}

static void
test_read_reg(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	const FkChipInfo *chip;
	guint32 magic = 0;

	g_assert_true(fk_loader_read_reg(fx->loader, FK_CHIP_DETECT_MAGIC_REG, &magic, NULL, &error));
	g_assert_no_error(error);
	chip = fk_chip_by_magic(magic);
	g_assert_nonnull(chip);
	g_assert_cmpint(chip->family, ==, FK_CHIP_ESP32);
}

static void
test_unsupported(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	/* a stub command: the ROM rejects it, and the loader can go on afterwards */
	g_assert_false(fk_loader_command(fx->loader, FK_OP_ERASE_FLASH, NULL, 0, FK_TIMEOUT_DEFAULT_MS, NULL, &error));
	g_assert_nonnull(error);
	g_assert_true(fk_loader_is_unsupported(error));
	g_clear_error(&error);
	test_read_reg(fx, data);
}

static void
test_deadline(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GByteArray) frame = NULL;

	/* nothing was asked, so nothing comes */
	frame = fk_loader_read_frame(fx->loader, 50, NULL, &error);
	g_assert_null(frame);
	g_assert_error(error, FK_ERROR, FK_ERROR_TIMEOUT);
}

/* ---- a link that answers every command with frames that answer nothing ---- */

#define FK_TYPE_CHATTY (fk_chatty_get_type())
G_DECLARE_FINAL_TYPE(FkChatty, fk_chatty, FK, CHATTY, FkTransport)

struct _FkChatty {
	FkTransport parent_instance;
	guint frames_sent; /* stray replies handed to the host */
	gboolean reject;   /* answer each command once with the ROM's rejection instead */
	gboolean reject_all; /* answer with the rejection eight times, then a READ_REG reply */
	gboolean written;
	GByteArray *pending;
};

G_DEFINE_FINAL_TYPE(FkChatty, fk_chatty, FK_TYPE_TRANSPORT)

static gboolean
fk_chatty_write(FkTransport *transport, const guint8 *data, gsize len, GCancellable *cancellable, GError **error)
{
	FK_CHATTY(transport)->written = TRUE;
	return TRUE;
}

/* every 50 ms, a READ_REG reply: never the answer to the command that is waiting */
static gssize
fk_chatty_read(FkTransport *transport, guint8 *buf, gsize len, guint timeout_ms, GCancellable *cancellable,
	       GError **error)
{
	FkChatty *self = FK_CHATTY(transport);
	if (self->reject_all && self->written) {
		/* all in one burst, as a USB adapter hands them over */
		guint8 rejection[8 + 4] = {0x01, 0x00, 4, 0, 0, 0, 0, 0, 0x01, 0x05};
		guint8 reply[8 + 4] = {0x01, FK_OP_READ_REG, 4, 0, 0x78, 0x56, 0x34, 0x12};
		self->written = FALSE;
		for (guint i = 0; i < 8; i++)
			fk_slip_encode(self->pending, rejection, sizeof(rejection));
		fk_slip_encode(self->pending, reply, sizeof(reply));
		self->frames_sent += 9;
	} else if (self->reject_all && self->pending->len == 0) {
		g_usleep(MIN(timeout_ms, 50) * 1000);
		return 0;
	} else if (self->reject && self->written) {
		/* what the ROM sends for a command it does not know: opcode 0, status 01 05 */
		guint8 rejection[8 + 4] = {0x01, 0x00, 4, 0, 0, 0, 0, 0, 0x01, 0x05};
		self->written = FALSE;
		fk_slip_encode(self->pending, rejection, sizeof(rejection));
		self->frames_sent++;
	} else if (self->reject && self->pending->len == 0) {
		g_usleep(MIN(timeout_ms, 50) * 1000);
		return 0;
	}
	if (self->pending->len == 0) {
		guint8 reply[8 + 4] = {0x01, FK_OP_READ_REG, 4, 0};
		g_usleep(MIN(timeout_ms, 50) * 1000);
		if (timeout_ms < 50)
			return 0;
		fk_slip_encode(self->pending, reply, sizeof(reply));
		self->frames_sent++;
	}
	len = MIN(len, self->pending->len);
	memcpy(buf, self->pending->data, len);
	g_byte_array_remove_range(self->pending, 0, len);
	return (gssize)len;
}

static void
fk_chatty_finalize(GObject *object)
{
	g_byte_array_unref(FK_CHATTY(object)->pending);
	G_OBJECT_CLASS(fk_chatty_parent_class)->finalize(object);
}

static void
fk_chatty_class_init(FkChattyClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = fk_chatty_finalize;
	FK_TRANSPORT_CLASS(klass)->write = fk_chatty_write;
	FK_TRANSPORT_CLASS(klass)->read = fk_chatty_read;
}

static void
fk_chatty_init(FkChatty *self)
{
	self->pending = g_byte_array_new();
}

/* frames that do not answer a command do not extend its deadline: a 300 ms command gives up
 * after about six 50 ms frames (fewer on a busy machine, whose sleeps only get longer), not
 * after a hundred full timeouts (a command was once held 297 s this way) */
static void
test_stray_frames(void)
{
	g_autoptr(FkChatty) chatty = g_object_new(FK_TYPE_CHATTY, NULL);
	g_autoptr(FkLoader) loader = fk_loader_new(FK_TRANSPORT(chatty));
	g_autoptr(GError) error = NULL;
	guint8 buf[16] = {0};

	fk_loader_set_kind(loader, FK_LOADER_ROM32);
	g_assert_false(fk_loader_command(loader, FK_OP_SPI_FLASH_MD5, buf, sizeof(buf), 300, NULL, &error));
	g_assert_error(error, FK_ERROR, FK_ERROR_TIMEOUT);
	g_test_message("%u stray frames before giving up", chatty->frames_sent);
	g_assert_cmpuint(chatty->frames_sent, <=, 7);
	g_assert_cmpuint(chatty->frames_sent, >=, 1);
}

/* a rejection of a command every ROM knows (FLASH_DATA) means the frame was damaged on the way,
 * a transient link error; of one some ROMs lack (GET_SECURITY_INFO), that it is not supported */
static void
test_rejection(void)
{
	g_autoptr(FkChatty) chatty = g_object_new(FK_TYPE_CHATTY, NULL);
	g_autoptr(FkLoader) loader = fk_loader_new(FK_TRANSPORT(chatty));
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) error_unsupported = NULL;
	guint8 buf[16] = {0};

	chatty->reject = TRUE;
	fk_loader_set_kind(loader, FK_LOADER_ROM32);
	g_assert_false(fk_loader_command(loader, FK_OP_FLASH_DATA, buf, sizeof(buf), 300, NULL, &error));
	g_assert_error(error, FK_PROTOCOL_ERROR, FK_PROTOCOL_ERROR_UNEXPECTED_RESPONSE);
	g_assert_nonnull(strstr(error->message, "damaged on the way"));
	g_assert_false(fk_loader_command(loader, FK_OP_GET_SECURITY_INFO, NULL, 0, 300, NULL, &error_unsupported));
	g_assert_error(error_unsupported, FK_PROTOCOL_ERROR, FK_PROTOCOL_ERROR_UNSUPPORTED_COMMAND);
}

/* the ROM's eight rejections are read and dropped, and only they: a frame right behind them is
 * still there for the next read (a fixed sleep and a flush used to drop it with them) */
static void
test_rejection_repeats(void)
{
	g_autoptr(FkChatty) chatty = g_object_new(FK_TYPE_CHATTY, NULL);
	g_autoptr(FkLoader) loader = fk_loader_new(FK_TRANSPORT(chatty));
	g_autoptr(GError) error = NULL;
	g_autoptr(GByteArray) frame = NULL;
	FkResponse resp;

	chatty->reject_all = TRUE;
	fk_loader_set_kind(loader, FK_LOADER_ROM32);
	g_assert_false(fk_loader_command(loader, FK_OP_GET_SECURITY_INFO, NULL, 0, 300, NULL, &error));
	g_assert_error(error, FK_PROTOCOL_ERROR, FK_PROTOCOL_ERROR_UNSUPPORTED_COMMAND);
	g_clear_error(&error);
	frame = fk_loader_read_frame(loader, 100, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(frame);
	g_assert_true(fk_packet_parse_response(frame->data, frame->len, &resp));
	g_assert_cmpuint(resp.op, ==, FK_OP_READ_REG);
	g_assert_cmphex(resp.value, ==, 0x12345678);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/fk/loader/read-reg", Fixture, NULL, fixture_setup, test_read_reg, fixture_teardown);
	g_test_add("/fk/loader/unsupported", Fixture, NULL, fixture_setup, test_unsupported, fixture_teardown);
	g_test_add("/fk/loader/deadline", Fixture, NULL, fixture_setup, test_deadline, fixture_teardown);
	g_test_add_func("/fk/loader/stray-frames", test_stray_frames);
	g_test_add_func("/fk/loader/rejection", test_rejection);
	g_test_add_func("/fk/loader/rejection-repeats", test_rejection_repeats);
	return g_test_run();
}
