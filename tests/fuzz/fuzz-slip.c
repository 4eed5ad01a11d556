/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The SLIP decoder on arbitrary bytes in arbitrary chunks: the frames, errors and boot-log
 * garbage must not depend on how the bytes were split, and every frame must survive a
 * re-encode and decode unchanged.
 *
 * Input: 4 bytes seeding the chunk sizes (byte 0 also picks the frame limit), then the stream. */
#include "config.h"

#include <string.h>

#include "fk-error.h"
#include "fk-slip.h"
#include "fuzz-common.h"

#define FUZZ_SEED_LEN 4

/* what a decoder produced, as one comparable byte string */
static void
log_frame(GByteArray *log, const GByteArray *frame)
{
	guint8 tag[5] = {'F'};
	tag[1] = (guint8)(frame->len >> 24);
	tag[2] = (guint8)(frame->len >> 16);
	tag[3] = (guint8)(frame->len >> 8);
	tag[4] = (guint8)frame->len;
	g_byte_array_append(log, tag, sizeof(tag));
	g_byte_array_append(log, frame->data, frame->len);
}

static void
log_error(GByteArray *log, const GError *error)
{
	guint8 tag[2] = {'E', (guint8)error->code};
	g_byte_array_append(log, tag, sizeof(tag));
}

/* encodes @frame, decodes it in @chunk sized pieces with a fresh decoder: exactly that frame
 * must come back, with nothing consumed past its closing END and no garbage */
static void
check_roundtrip(const GByteArray *frame, gsize max_frame, gsize chunk)
{
	g_autoptr(GByteArray) wire = g_byte_array_new();
	g_autoptr(FkSlipDecoder) dec = fk_slip_decoder_new(max_frame);
	gsize pos = 0;
	gsize garbage_len = 1;
	gboolean got = FALSE;

	fk_slip_encode(wire, frame->data, frame->len);
	FK_FUZZ_CHECK(wire->len >= frame->len + 2);
	FK_FUZZ_CHECK(wire->data[0] == FK_SLIP_END && wire->data[wire->len - 1] == FK_SLIP_END);
	for (gsize i = 1; i + 1 < wire->len; i++)
		FK_FUZZ_CHECK(wire->data[i] != FK_SLIP_END);

	while (pos < wire->len) {
		g_autoptr(GError) error = NULL;
		gsize n = MIN(chunk, wire->len - pos);
		gsize consumed = 0;
		FkSlipResult res = fk_slip_decoder_feed(dec, wire->data + pos, n, &consumed, &error);
		FK_FUZZ_CHECK(consumed <= n);
		FK_FUZZ_CHECK(res != FK_SLIP_RESULT_ERROR);
		FK_FUZZ_CHECK(error == NULL);
		pos += consumed;
		if (res == FK_SLIP_RESULT_FRAME) {
			g_autoptr(GByteArray) back = fk_slip_decoder_take_frame(dec);
			FK_FUZZ_CHECK(pos == wire->len);
			FK_FUZZ_CHECK(back->len == frame->len);
			FK_FUZZ_CHECK(memcmp(back->data, frame->data, frame->len) == 0);
			got = TRUE;
			break;
		}
		FK_FUZZ_CHECK(consumed == n);
	}
	FK_FUZZ_CHECK(got);
	fk_slip_decoder_get_garbage(dec, &garbage_len);
	FK_FUZZ_CHECK(garbage_len == 0);
}

/* feeds @data in chunks from @rng (or one byte at a time when NULL); returns the event log */
static GByteArray *
decode_all(const guint8 *data, gsize len, gsize max_frame, GRand *rng, gboolean roundtrip)
{
	g_autoptr(FkSlipDecoder) dec = fk_slip_decoder_new(max_frame);
	GByteArray *log = g_byte_array_new();
	const gchar *garbage;
	gsize garbage_len = 0;
	gsize pos = 0;

	while (pos < len) {
		gsize chunk = rng != NULL ? (gsize)g_rand_int_range(rng, 0, 65) : 1;
		gsize n = MIN(chunk, len - pos);
		gsize done = 0;
		/* one chunk may hold several frames: feed its rest until all is consumed */
		do {
			g_autoptr(GError) error = NULL;
			gsize consumed = G_MAXSIZE;
			FkSlipResult res =
			    fk_slip_decoder_feed(dec, data + pos + done, n - done, &consumed, &error);
			FK_FUZZ_CHECK(consumed <= n - done);
			done += consumed;
			switch (res) {
			case FK_SLIP_RESULT_NEED_MORE:
				FK_FUZZ_CHECK(error == NULL);
				FK_FUZZ_CHECK(done == n);
				break;
			case FK_SLIP_RESULT_FRAME: {
				g_autoptr(GByteArray) frame = fk_slip_decoder_take_frame(dec);
				FK_FUZZ_CHECK(error == NULL);
				FK_FUZZ_CHECK(consumed > 0);
				FK_FUZZ_CHECK(frame->len > 0 && frame->len <= max_frame);
				FK_FUZZ_CHECK(!fk_slip_decoder_in_frame(dec));
				log_frame(log, frame);
				if (roundtrip) {
					check_roundtrip(frame, max_frame, 1);
					check_roundtrip(frame, max_frame, G_MAXSIZE);
				}
				break;
			}
			case FK_SLIP_RESULT_ERROR:
				FK_FUZZ_CHECK(error != NULL);
				FK_FUZZ_CHECK(error->domain == FK_PROTOCOL_ERROR);
				FK_FUZZ_CHECK(consumed > 0);
				FK_FUZZ_CHECK(!fk_slip_decoder_in_frame(dec));
				log_error(log, error);
				break;
			default:
				FK_FUZZ_CHECK(FALSE);
			}
		} while (done < n);
		pos += n;
	}
	garbage = fk_slip_decoder_get_garbage(dec, &garbage_len);
	FK_FUZZ_CHECK(garbage != NULL && garbage[garbage_len] == '\0');
	FK_FUZZ_CHECK(garbage_len <= len);
	g_byte_array_append(log, (const guint8 *)"G", 1);
	g_byte_array_append(log, (const guint8 *)garbage, (guint)garbage_len);
	fk_slip_decoder_clear_garbage(dec);
	fk_slip_decoder_get_garbage(dec, &garbage_len);
	FK_FUZZ_CHECK(garbage_len == 0);
	return log;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* frame limits from tiny (exercises FRAME_TOO_LONG) to the engine's real sizes */
	static const gsize limits[] = {1, 2, 8, 16, 64, 300, 4096, 16384};
	g_autoptr(GRand) rng = NULL;
	g_autoptr(GByteArray) split = NULL;
	g_autoptr(GByteArray) bytewise = NULL;
	guint32 seed;
	gsize max_frame;

	if (size < FUZZ_SEED_LEN)
		return 0;
	seed = (guint32)data[0] | (guint32)data[1] << 8 | (guint32)data[2] << 16 |
	       (guint32)data[3] << 24;
	max_frame = limits[data[0] % G_N_ELEMENTS(limits)];
	rng = g_rand_new_with_seed(seed);
	data += FUZZ_SEED_LEN;
	size -= FUZZ_SEED_LEN;

	split = decode_all(data, size, max_frame, rng, TRUE);
	bytewise = decode_all(data, size, max_frame, NULL, FALSE);
	FK_FUZZ_CHECK(split->len == bytewise->len);
	FK_FUZZ_CHECK(memcmp(split->data, bytewise->data, split->len) == 0);
	return 0;
}
