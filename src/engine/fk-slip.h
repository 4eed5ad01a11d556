/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FK_SLIP_END	0xC0
#define FK_SLIP_ESC	0xDB
#define FK_SLIP_ESC_END 0xDC
#define FK_SLIP_ESC_ESC 0xDD

/* appends one complete frame (leading and trailing END) to @out */
void
fk_slip_encode(GByteArray *out, const guint8 *data, gsize len);

typedef struct _FkSlipDecoder FkSlipDecoder;

typedef enum {
	FK_SLIP_RESULT_NEED_MORE, /* consumed everything, no frame complete yet */
	FK_SLIP_RESULT_FRAME,	  /* a frame is complete, see fk_slip_decoder_take_frame() */
	FK_SLIP_RESULT_ERROR,	  /* invalid escape or frame too long; error set */
} FkSlipResult;

FkSlipDecoder *
fk_slip_decoder_new(gsize max_frame);
void
fk_slip_decoder_free(FkSlipDecoder *self);
void
fk_slip_decoder_reset(FkSlipDecoder *self);
/* feeds bytes until a frame completes; *consumed says how many of @len were used.
 * Bytes outside a frame (before the first END) are counted in garbage. */
FkSlipResult
fk_slip_decoder_feed(FkSlipDecoder *self,
		     const guint8 *data,
		     gsize len,
		     gsize *consumed,
		     GError **error);
GByteArray *
fk_slip_decoder_take_frame(FkSlipDecoder *self);
/* bytes seen outside any frame since the last reset (e.g. boot log text), NUL terminated */
const gchar *
fk_slip_decoder_get_garbage(FkSlipDecoder *self, gsize *len);
void
fk_slip_decoder_clear_garbage(FkSlipDecoder *self);
gboolean
fk_slip_decoder_in_frame(FkSlipDecoder *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(FkSlipDecoder, fk_slip_decoder_free)

G_END_DECLS
