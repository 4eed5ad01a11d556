/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "fk-packet.h"
#include "fk-transport.h"

G_BEGIN_DECLS

/* bytes outside frames beyond which a connected chip is taken to have restarted, and a sync
 * that only saw noise is blamed on mismatched baud rates */
#define FK_GARBAGE_LIMIT 48

/* the command/response exchange with a chip's serial loader (ROM or stub) over a transport:
 * frames, deadlines, status decoding, SYNC; it knows nothing of the device above it */
typedef struct _FkLoader FkLoader;

typedef void (*FkLoaderLogFunc)(const gchar *message, gpointer user_data);

typedef struct {
	guint8 op;
	const guint8 *data;
	gsize len;
	guint32 checksum;
	guint timeout_ms;
	gsize payload_len; /* expected response payload before the status bytes */
	gboolean no_status_check;
} FkCommand;

FkLoader *
fk_loader_new(FkTransport *transport);
void
fk_loader_free(FkLoader *self);
FkTransport *
fk_loader_get_transport(FkLoader *self);

void
fk_loader_set_log_func(FkLoader *self, FkLoaderLogFunc func, gpointer user_data);
void
fk_loader_log(FkLoader *self, const gchar *fmt, ...) G_GNUC_PRINTF(2, 3);

/* which loader answers: it decides how status bytes are read and what a rejection means */
FkLoaderKind
fk_loader_get_kind(FkLoader *self);
void
fk_loader_set_kind(FkLoader *self, FkLoaderKind kind);
/* once connected, the loader sends nothing but frames: text between them is a failure */
gboolean
fk_loader_is_connected(FkLoader *self);
void
fk_loader_set_connected(FkLoader *self, gboolean connected);

/* what the chip printed after a reset, and the bytes outside frames while syncing */
GString *
fk_loader_get_boot_log(FkLoader *self);
gsize
fk_loader_get_stray_bytes(FkLoader *self);
void
fk_loader_clear_boot_log(FkLoader *self);
/* adds what arrived outside frames since the input was last flushed to the boot log (what the
 * chip printed while a SYNC went unanswered) */
void
fk_loader_keep_stray_text(FkLoader *self);

gboolean
fk_loader_send_frame(FkLoader *self,
		     const guint8 *data,
		     gsize len,
		     GCancellable *cancellable,
		     GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* the next SLIP frame, waiting at most @timeout_ms */
GByteArray *
fk_loader_read_frame(FkLoader *self, guint timeout_ms, GCancellable *cancellable, GError **error);
/* waits at most @timeout_ms until the first byte after the last frame read has arrived (the next
 * frame has begun); the byte stays for fk_loader_read_frame() */
gboolean
fk_loader_wait_next_frame(FkLoader *self, guint timeout_ms, GCancellable *cancellable, GError **error);
gboolean
fk_loader_flush_input(FkLoader *self, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* a panic message or a boot banner among stray bytes explains a failure */
void
fk_loader_explain_garbage(FkLoader *self, GError **error);

/* sends a command and returns its response frame (status checked) */
GByteArray *
fk_loader_command_full(FkLoader *self,
		       const FkCommand *cmd,
		       guint32 *value,
		       GCancellable *cancellable,
		       GError **error);
gboolean
fk_loader_command(FkLoader *self,
		  guint8 op,
		  const guint8 *data,
		  gsize len,
		  guint timeout_ms,
		  GCancellable *cancellable,
		  GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* whether @error says the loader does not know the command */
gboolean
fk_loader_is_unsupported(const GError *error);

gboolean
fk_loader_read_reg(FkLoader *self, guint32 addr, guint32 *value, GCancellable *cancellable, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;
/* how long the slowest READ_REG since the last clear took from sending to its reply (0: none):
 * this link's round trip, the adapter's latency included */
gint64
fk_loader_get_read_reg_round_trip_us(FkLoader *self);
void
fk_loader_clear_read_reg_round_trip(FkLoader *self);
gboolean
fk_loader_write_reg(FkLoader *self,
		    guint32 addr,
		    guint32 value,
		    guint32 mask,
		    guint32 delay_us,
		    GCancellable *cancellable,
		    GError **error) G_GNUC_WARN_UNUSED_RESULT;

typedef struct {
	guint32 addr;
	guint32 value;
	guint32 mask; /* 0xFFFFFFFF: the whole register */
} FkRegWrite;
/* writes @n registers in this order: in one WRITE_REG when a flasher stub runs (both of
 * Espressif's stubs take any number of 16-byte entries), else one command each, as the ROM is
 * only known to take one; the error names the register that failed, or the first of a batch */
gboolean
fk_loader_write_regs(FkLoader *self, const FkRegWrite *writes, guint n, GCancellable *cancellable, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;

/* one SYNC; @stub_detected says whether a flasher stub (rather than the ROM) answered */
gboolean
fk_loader_sync(FkLoader *self, gboolean *stub_detected, GCancellable *cancellable, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;
/* a few SYNCs in a row, with the input flushed before each, counting the stray bytes */
gboolean
fk_loader_sync_tries(FkLoader *self, gboolean *stub_detected, GCancellable *cancellable, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;

/* errors no retry can help: a cancel, a port that went away, a port another program holds */
gboolean
fk_loader_error_is_final(const GError *error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(FkLoader, fk_loader_free)

G_END_DECLS
