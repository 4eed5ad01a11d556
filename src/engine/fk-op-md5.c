/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the MD5 operation: the loader's digest of a flash region, and the host-side MD5 helpers
 * the read and the write compare it with; calls only the loader */
#include "config.h"

#include <string.h>

#include "fk-device-private.h"
#include "fk-error.h"
#include "fk-mem.h"
#include "fk-op-md5.h"
#include "fk-packet.h"
#include "fk-protocol.h"

gboolean
fk_device_flash_md5(FkDevice *self, guint32 offset, gsize size, guint8 *md5_out, GCancellable *cancellable, GError **error)
{
	guint8 buf[16];
	FkCommand cmd = {.op = FK_OP_SPI_FLASH_MD5, .data = buf, .len = sizeof(buf)};
	g_autoptr(GByteArray) frame = NULL;
	FkResponse resp;

	if (!fk_device_can_md5(self)) {
		g_set_error_literal(error,
				    FK_ERROR,
				    FK_ERROR_UNSUPPORTED,
				    "the ESP8266 ROM cannot compute an MD5 of the flash (the flasher stub can)");
		return FALSE;
	}
	fk_memwrite_u32le(buf, offset);
	fk_memwrite_u32le(buf + 4, size);
	fk_memwrite_u32le(buf + 8, 0);
	fk_memwrite_u32le(buf + 12, 0);
	cmd.timeout_ms = fk_timeout_per_mb(FK_TIMEOUT_MD5_PER_MB, size);
	cmd.payload_len = fk_loader_get_kind(self->loader) == FK_LOADER_STUB ? 16 : 32;
	frame = fk_loader_command_full(self->loader, &cmd, NULL, cancellable, error);
	if (frame == NULL) {
		g_prefix_error(error, "failed to compute the MD5 of the flash: ");
		return FALSE;
	}
	fk_packet_parse_response(frame->data, frame->len, &resp);
	if (fk_loader_get_kind(self->loader) == FK_LOADER_STUB) {
		memcpy(md5_out, resp.data, 16);
		return TRUE;
	}
	for (guint i = 0; i < 16; i++) {
		gint hi = g_ascii_xdigit_value(resp.data[i * 2]);
		gint lo = g_ascii_xdigit_value(resp.data[i * 2 + 1]);
		if (hi < 0 || lo < 0) {
			g_set_error_literal(error,
					    FK_PROTOCOL_ERROR,
					    FK_PROTOCOL_ERROR_UNEXPECTED_RESPONSE,
					    "the MD5 reply is not hexadecimal");
			return FALSE;
		}
		md5_out[i] = (guint8)((hi << 4) | lo);
	}
	return TRUE;
}

void
_fk_md5_finish(GChecksum *checksum, guint8 *out)
{
	gsize len = 16;
	g_checksum_get_digest(checksum, out, &len);
}

void
_fk_md5_of(const guint8 *data, gsize len, guint8 *out)
{
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_MD5);
	g_checksum_update(checksum, data, len);
	_fk_md5_finish(checksum, out);
}

gchar *
_fk_md5_to_string(const guint8 *md5)
{
	GString *str = g_string_new(NULL);
	for (guint i = 0; i < 16; i++)
		g_string_append_printf(str, "%02x", md5[i]);
	return g_string_free(str, FALSE);
}

/* the chip's MD5 of @len bytes at @offset, and whether @data has the same */
gboolean
_fk_device_flash_matches(FkDevice *self,
			 guint32 offset,
			 const guint8 *data,
			 gsize len,
			 guint8 *md5_chip,
			 gboolean *matches,
			 GCancellable *cancellable,
			 GError **error)
{
	guint8 md5_host[16];
	if (!fk_device_flash_md5(self, offset, len, md5_chip, cancellable, error))
		return FALSE;
	_fk_md5_of(data, len, md5_host);
	*matches = memcmp(md5_chip, md5_host, 16) == 0;
	return TRUE;
}
