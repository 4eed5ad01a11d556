/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the hostile-input tests share: a simulated chip with every command the host sends
 * recorded, so a test can show that nothing which writes or erases flash went out before the
 * input was refused, and a check that an error message names what was wrong. */
#pragma once

#include <string.h>

#include "fk-device.h"
#include "fk-mem.h"
#include "fk-protocol.h"
#include "fk-sim-device.h"
#include "fk-sim-transport.h"
#include "fk-test-util.h"

/* ---- a simulated chip, with every command the host sends recorded ---- */

typedef struct {
	FkSimDevice *sim;
	FkTransport *transport;
	FkDevice *device;
	GArray *ops; /* guint8: the opcode of every command frame sent */
	gchar *tmpdir;
} Fixture;

/* the wire trace has one SLIP frame per write: unescape it and keep its opcode if it is a
 * command (direction 0, and the length field matches); stub READ_FLASH acks are not */
static inline void
fixture_trace_cb(gchar dir, const guint8 *data, gsize len, gpointer user_data)
{
	Fixture *fx = user_data;
	g_autoptr(GByteArray) frame = g_byte_array_new();

	if (dir != '>' || len < 2 || data[0] != 0xC0 || data[len - 1] != 0xC0)
		return;
	for (gsize i = 1; i + 1 < len; i++) {
		guint8 b = data[i];
		if (b == 0xDB && i + 2 < len) {
			b = data[++i] == 0xDC ? 0xC0 : 0xDB;
		}
		g_byte_array_append(frame, &b, 1);
	}
	if (frame->len >= 8 && frame->data[0] == 0x00 &&
	    frame->len == 8u + fk_memread_u16le(frame->data + 2))
		g_array_append_val(fx->ops, frame->data[1]);
}

static inline void
fixture_open(Fixture *fx, const gchar *chip, gsize size)
{
	g_autoptr(GError) error = NULL;
	fx->sim = fk_sim_device_new(chip, size, 7, &error);
	g_assert_no_error(error);
	fx->transport = fk_sim_transport_new(fx->sim);
	fx->ops = g_array_new(FALSE, FALSE, 1);
	fk_transport_set_trace_func(fx->transport, fixture_trace_cb, fx);
	fx->device = fk_device_new(fx->transport);
	fx->tmpdir = g_dir_make_tmp("flashkeep-hostile-XXXXXX", &error);
	g_assert_no_error(error);
}

static inline void
fixture_connect(Fixture *fx)
{
	g_autoptr(GError) error = NULL;
	g_assert_true(fk_device_connect(fx->device, NULL, &error));
	g_assert_no_error(error);
	g_assert_true(fk_device_is_stub_running(fx->device));
	g_array_set_size(fx->ops, 0);
}

static inline void
fixture_close(Fixture *fx)
{
	fk_test_rm_rf(fx->tmpdir);
	g_free(fx->tmpdir);
	g_clear_object(&fx->device);
	fk_transport_close(fx->transport);
	g_clear_object(&fx->transport);
	g_clear_object(&fx->sim);
	g_array_unref(fx->ops);
}

static inline gchar *
fixture_write_file(Fixture *fx, const gchar *name, const guint8 *data, gsize len)
{
	g_autoptr(GError) error = NULL;
	gchar *path = g_build_filename(fx->tmpdir, name, NULL);
	g_assert_true(g_file_set_contents(path, (const gchar *)data, (gssize)len, &error));
	g_assert_no_error(error);
	return path;
}

static inline gboolean
is_flash_changing_op(guint8 op)
{
	switch (op) {
	case FK_OP_FLASH_BEGIN:
	case FK_OP_FLASH_DATA:
	case FK_OP_FLASH_END:
	case FK_OP_FLASH_DEFL_BEGIN:
	case FK_OP_FLASH_DEFL_DATA:
	case FK_OP_FLASH_DEFL_END:
	case FK_OP_ERASE_FLASH:
	case FK_OP_ERASE_REGION:
		return TRUE;
	default:
		return FALSE;
	}
}

/* nothing that writes or erases flash went out, and the flash is as it was */
static inline void
assert_untouched(Fixture *fx, GBytes *before)
{
	g_autoptr(GBytes) after = fk_sim_device_get_flash(fx->sim);
	for (guint i = 0; i < fx->ops->len; i++) {
		guint8 op = g_array_index(fx->ops, guint8, i);
		if (is_flash_changing_op(op))
			g_error("%s (0x%02x) was sent before the input was refused", fk_opcode_to_string(op), op);
	}
	g_assert_true(g_bytes_equal(before, after));
}

/* error messages must name what was wrong, so a person can fix it */
static inline void
assert_message_has(const GError *error, const gchar *want)
{
	g_assert_nonnull(error);
	g_test_message("%s", error->message);
	if (strstr(error->message, want) == NULL)
		g_error("“%s” does not mention “%s”", error->message, want);
}
