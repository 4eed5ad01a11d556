/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FK_PACKET_HEADER_LEN 8

/* loader flavour, for status parsing */
typedef enum {
	FK_LOADER_ROM8266, /* 2 status bytes */
	FK_LOADER_ROM32,   /* 4 status bytes */
	FK_LOADER_STUB,	   /* 2 status bytes, stub codes in the first byte */
} FkLoaderKind;

guint8
fk_checksum(const guint8 *data, gsize len);

/* unescaped command packet: direction 0, op, size, checksum, data */
GByteArray *
fk_packet_build_command(guint8 op, const guint8 *data, gsize len, guint32 checksum);

typedef struct {
	guint8 op;
	guint32 value;
	const guint8 *data; /* points into the frame, valid while it lives */
	gsize data_len;	    /* size field as it arrived (payload + status) */
} FkResponse;

/* FALSE for frames that are not a response (too short, direction != 1); no error is set for those */
gboolean
fk_packet_parse_response(const guint8 *frame, gsize len, FkResponse *resp);

/* checks the status after @payload_len bytes of expected payload; sets FK_DEVICE_ERROR or
 * FK_PROTOCOL_ERROR_SHORT_RESPONSE */
gboolean
fk_response_check_status(const FkResponse *resp,
			 guint8 op,
			 gsize payload_len,
			 FkLoaderKind kind,
			 GError **error);

/* TRUE when the frame is a ROM "unsupported command" rejection for a different opcode */
gboolean
fk_response_is_rejection(const FkResponse *resp);

G_END_DECLS
