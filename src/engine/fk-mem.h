/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

static inline guint32
fk_memread_u32le(const guint8 *buf)
{
	return (guint32)buf[0] | ((guint32)buf[1] << 8) | ((guint32)buf[2] << 16) |
	       ((guint32)buf[3] << 24);
}

static inline guint16
fk_memread_u16le(const guint8 *buf)
{
	return (guint16)(buf[0] | (buf[1] << 8));
}

static inline void
fk_memwrite_u32le(guint8 *buf, guint32 val)
{
	buf[0] = val & 0xff;
	buf[1] = (val >> 8) & 0xff;
	buf[2] = (val >> 16) & 0xff;
	buf[3] = (val >> 24) & 0xff;
}

static inline void
fk_memwrite_u16le(guint8 *buf, guint16 val)
{
	buf[0] = val & 0xff;
	buf[1] = (val >> 8) & 0xff;
}

static inline void
fk_byte_array_append_u32le(GByteArray *buf, guint32 val)
{
	guint8 tmp[4];
	fk_memwrite_u32le(tmp, val);
	g_byte_array_append(buf, tmp, sizeof(tmp));
}

G_END_DECLS
