/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns SLIP: encoding and the incremental decoder with its stray-byte count; calls nothing else */
#include "config.h"

#include "fk-error.h"
#include "fk-slip.h"

struct _FkSlipDecoder {
	GByteArray *frame;
	GString *garbage;
	gsize max_frame;
	gboolean in_frame;
	gboolean escape;
};

void
fk_slip_encode(GByteArray *out, const guint8 *data, gsize len)
{
	const guint8 end = FK_SLIP_END;
	g_byte_array_append(out, &end, 1);
	for (gsize i = 0; i < len; i++) {
		guint8 esc[2] = {FK_SLIP_ESC, 0};
		if (data[i] == FK_SLIP_END) {
			esc[1] = FK_SLIP_ESC_END;
			g_byte_array_append(out, esc, 2);
		} else if (data[i] == FK_SLIP_ESC) {
			esc[1] = FK_SLIP_ESC_ESC;
			g_byte_array_append(out, esc, 2);
		} else {
			g_byte_array_append(out, &data[i], 1);
		}
	}
	g_byte_array_append(out, &end, 1);
}

FkSlipDecoder *
fk_slip_decoder_new(gsize max_frame)
{
	FkSlipDecoder *self = g_new0(FkSlipDecoder, 1);
	self->frame = g_byte_array_new();
	self->garbage = g_string_new(NULL);
	self->max_frame = max_frame;
	return self;
}

void
fk_slip_decoder_free(FkSlipDecoder *self)
{
	if (self == NULL)
		return;
	g_byte_array_unref(self->frame);
	g_string_free(self->garbage, TRUE);
	g_free(self);
}

void
fk_slip_decoder_reset(FkSlipDecoder *self)
{
	g_byte_array_set_size(self->frame, 0);
	self->in_frame = FALSE;
	self->escape = FALSE;
}

gboolean
fk_slip_decoder_in_frame(FkSlipDecoder *self)
{
	return self->in_frame;
}

FkSlipResult
fk_slip_decoder_feed(FkSlipDecoder *self,
		     const guint8 *data,
		     gsize len,
		     gsize *consumed,
		     GError **error)
{
	gsize i;
	for (i = 0; i < len; i++) {
		guint8 b = data[i];
		if (!self->in_frame) {
			if (b == FK_SLIP_END) {
				self->in_frame = TRUE;
				g_byte_array_set_size(self->frame, 0);
			} else if (self->garbage->len < 65536) {
				g_string_append_c(self->garbage, (gchar)b);
			}
			continue;
		}
		if (self->escape) {
			self->escape = FALSE;
			if (b == FK_SLIP_ESC_END) {
				b = FK_SLIP_END;
			} else if (b == FK_SLIP_ESC_ESC) {
				b = FK_SLIP_ESC;
			} else {
				*consumed = i + 1;
				fk_slip_decoder_reset(self);
				g_set_error(error,
					    FK_PROTOCOL_ERROR,
					    FK_PROTOCOL_ERROR_BAD_ESCAPE,
					    "invalid SLIP escape 0xdb 0x%02x",
					    b);
				return FK_SLIP_RESULT_ERROR;
			}
		} else if (b == FK_SLIP_ESC) {
			self->escape = TRUE;
			continue;
		} else if (b == FK_SLIP_END) {
			/* an empty frame is the start of the next one (back-to-back C0 C0) */
			if (self->frame->len == 0)
				continue;
			self->in_frame = FALSE;
			*consumed = i + 1;
			return FK_SLIP_RESULT_FRAME;
		}
		if (self->frame->len >= self->max_frame) {
			*consumed = i + 1;
			fk_slip_decoder_reset(self);
			g_set_error(error,
				    FK_PROTOCOL_ERROR,
				    FK_PROTOCOL_ERROR_FRAME_TOO_LONG,
				    "SLIP frame longer than %" G_GSIZE_FORMAT " bytes",
				    self->max_frame);
			return FK_SLIP_RESULT_ERROR;
		}
		g_byte_array_append(self->frame, &b, 1);
	}
	*consumed = i;
	return FK_SLIP_RESULT_NEED_MORE;
}

GByteArray *
fk_slip_decoder_take_frame(FkSlipDecoder *self)
{
	GByteArray *frame = g_byte_array_sized_new(self->frame->len);
	g_byte_array_append(frame, self->frame->data, self->frame->len);
	g_byte_array_set_size(self->frame, 0);
	return frame;
}

const gchar *
fk_slip_decoder_get_garbage(FkSlipDecoder *self, gsize *len)
{
	if (len != NULL)
		*len = self->garbage->len;
	return self->garbage->str;
}

void
fk_slip_decoder_clear_garbage(FkSlipDecoder *self)
{
	g_string_truncate(self->garbage, 0);
}
