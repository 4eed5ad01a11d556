/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the command and response frames: building, parsing, the data checksum; calls nothing else */
#include "config.h"

#include "fk-error.h"
#include "fk-mem.h"
#include "fk-packet.h"
#include "fk-protocol.h"

guint8
fk_checksum(const guint8 *data, gsize len)
{
	guint8 sum = FK_CHECKSUM_SEED;
	for (gsize i = 0; i < len; i++)
		sum ^= data[i];
	return sum;
}

GByteArray *
fk_packet_build_command(guint8 op, const guint8 *data, gsize len, guint32 checksum)
{
	GByteArray *pkt = g_byte_array_sized_new(FK_PACKET_HEADER_LEN + len);
	guint8 hdr[FK_PACKET_HEADER_LEN] = {0x00, op};
	g_return_val_if_fail(len <= G_MAXUINT16, NULL);
	fk_memwrite_u16le(hdr + 2, (guint16)len);
	fk_memwrite_u32le(hdr + 4, checksum);
	g_byte_array_append(pkt, hdr, sizeof(hdr));
	if (len > 0)
		g_byte_array_append(pkt, data, len);
	return pkt;
}

gboolean
fk_packet_parse_response(const guint8 *frame, gsize len, FkResponse *resp)
{
	gsize size;
	if (len < FK_PACKET_HEADER_LEN || frame[0] != 0x01)
		return FALSE;
	size = fk_memread_u16le(frame + 2);
	resp->op = frame[1];
	resp->value = fk_memread_u32le(frame + 4);
	resp->data = frame + FK_PACKET_HEADER_LEN;
	/* trust what arrived rather than the size field when they disagree */
	resp->data_len = MIN(size, len - FK_PACKET_HEADER_LEN);
	return TRUE;
}

gboolean
fk_response_is_rejection(const FkResponse *resp)
{
	return resp->data_len >= 2 && resp->data[0] != 0x00 &&
	       resp->data[1] == FK_DEVICE_ERROR_INVALID_MESSAGE;
}

gboolean
fk_response_check_status(const FkResponse *resp,
			 guint8 op,
			 gsize payload_len,
			 FkLoaderKind kind,
			 GError **error)
{
	const guint8 *st;
	guint code;

	if (resp->data_len < payload_len + 2) {
		/* a loader that fails sends the status alone (2 or 4 bytes); anything longer that
		 * is short of the payload lost bytes on the way, and its "status" is payload */
		if (resp->data_len >= 2 && resp->data_len <= 4 && resp->data[0] != 0x00) {
			st = resp->data;
		} else {
			g_set_error(error,
				    FK_PROTOCOL_ERROR,
				    FK_PROTOCOL_ERROR_SHORT_RESPONSE,
				    "%s reply has %" G_GSIZE_FORMAT " bytes, expected %" G_GSIZE_FORMAT,
				    fk_opcode_to_string(op),
				    resp->data_len,
				    payload_len + 2);
			return FALSE;
		}
	} else {
		st = resp->data + payload_len;
	}
	if (st[0] == 0x00)
		return TRUE;

	/* stubs put their code in the first byte, ROMs a 1 then the code */
	if (kind == FK_LOADER_STUB || st[0] >= 0xC0)
		code = st[0];
	else
		code = st[1];
	g_set_error(error,
		    FK_DEVICE_ERROR,
		    (gint)code,
		    "%s failed with status %02x%02x: %s",
		    fk_opcode_to_string(op),
		    st[0],
		    st[1],
		    fk_device_error_to_string(code));
	return FALSE;
}
