/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Response parsing and status checking on arbitrary (unescaped) frames, for each loader kind.
 *
 * Input: 1 byte picking the expected payload length (0..64), then the frame. The parsed payload
 * is copied into a buffer of exactly data_len bytes, so reading past what the size field and
 * the frame allow is caught by ASan even where the frame itself goes on. */
#include "config.h"

#include <string.h>

#include "fk-error.h"
#include "fk-packet.h"
#include "fk-protocol.h"
#include "fuzz-common.h"

static void
check_status(const FkResponse *resp, guint8 op, gsize payload_len, FkLoaderKind kind)
{
	g_autoptr(GError) error = NULL;
	gboolean ok = fk_response_check_status(resp, op, payload_len, kind, &error);
	if (ok) {
		FK_FUZZ_CHECK(error == NULL);
		/* success needs the payload and a zero status byte after it */
		FK_FUZZ_CHECK(resp->data_len >= payload_len + 2);
		FK_FUZZ_CHECK(resp->data[payload_len] == 0x00);
		return;
	}
	FK_FUZZ_CHECK(error != NULL);
	FK_FUZZ_CHECK(error->domain == FK_DEVICE_ERROR || error->domain == FK_PROTOCOL_ERROR);
	FK_FUZZ_CHECK(error->message != NULL && g_utf8_validate(error->message, -1, NULL));
	if (error->domain == FK_PROTOCOL_ERROR)
		FK_FUZZ_CHECK(error->code == FK_PROTOCOL_ERROR_SHORT_RESPONSE);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const FkLoaderKind kinds[] = {FK_LOADER_ROM8266, FK_LOADER_ROM32, FK_LOADER_STUB};
	const guint8 *frame;
	gsize frame_len;
	gsize payload_len;
	FkResponse resp;
	guint8 *payload;

	if (size < 1)
		return 0;
	payload_len = data[0] % 65;
	frame = data + 1;
	frame_len = size - 1;

	memset(&resp, 0xA5, sizeof(resp));
	if (!fk_packet_parse_response(frame, frame_len, &resp)) {
		FK_FUZZ_CHECK(frame_len < FK_PACKET_HEADER_LEN || frame[0] != 0x01);
		return 0;
	}
	FK_FUZZ_CHECK(frame_len >= FK_PACKET_HEADER_LEN && frame[0] == 0x01);
	FK_FUZZ_CHECK(resp.op == frame[1]);
	FK_FUZZ_CHECK(resp.data == frame + FK_PACKET_HEADER_LEN);
	FK_FUZZ_CHECK(resp.data_len <= frame_len - FK_PACKET_HEADER_LEN);
	FK_FUZZ_CHECK(resp.data_len <= (gsize)(frame[2] | frame[3] << 8));

	/* exactly data_len bytes: anything read beyond is an ASan report */
	payload = g_malloc(MAX(resp.data_len, 1));
	if (resp.data_len > 0)
		memcpy(payload, resp.data, resp.data_len);
	resp.data = payload;

	(void)fk_response_is_rejection(&resp);
	for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
		check_status(&resp, resp.op, payload_len, kinds[i]);
		check_status(&resp, FK_OP_READ_REG, payload_len, kinds[i]);
		/* the lengths the engine really asks for: none, READ_REG's value, SPI_FLASH_MD5 */
		check_status(&resp, FK_OP_SYNC, 0, kinds[i]);
		check_status(&resp, FK_OP_SPI_FLASH_MD5, 32, kinds[i]);
	}
	g_free(payload);
	return 0;
}
