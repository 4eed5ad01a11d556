/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "fk-device.h"

G_BEGIN_DECLS

/* the 16-byte digest of @checksum into @out */
void
_fk_md5_finish(GChecksum *checksum, guint8 *out);
void
_fk_md5_of(const guint8 *data, gsize len, guint8 *out);
/* lower-case hex, for messages */
gchar *
_fk_md5_to_string(const guint8 *md5);
/* the chip's MD5 of @len bytes at @offset, and whether @data has the same */
gboolean
_fk_device_flash_matches(FkDevice *self,
			 guint32 offset,
			 const guint8 *data,
			 gsize len,
			 guint8 *md5_chip,
			 gboolean *matches,
			 GCancellable *cancellable,
			 GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
