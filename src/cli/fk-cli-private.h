/* SPDX-License-Identifier: GPL-3.0-or-later */
/* what the CLI's files share: the parsed command line and the checks made before the port opens */
#pragma once

#include "fk-device.h"
#include "fk-port-doctor.h"

G_BEGIN_DECLS

#define EXIT_USAGE 2

typedef struct {
	gchar *port;
	guint baud; /* FK_BAUD_AUTO: --baud auto */
	gchar *chip;
	gchar *before;
	gchar *after;
	gboolean no_stub;
	gint wait_s; /* how long to wait for a person to press the board's buttons; 0: not at all */
	gboolean trace;
	/* per command */
	gchar *spi_connection;
	gboolean no_progress;
	gchar *flash_size;
	gchar *flash_mode;
	gchar *flash_freq;
	gboolean no_compress;
	gboolean compress;
	gboolean no_verify;
	gboolean skip_flashed;
	gchar **diff_with; /* accepted for esptool's sake; the chip's MD5s decide */
	gboolean force;
	gboolean no_sidecar; /* read_flash: no description beside the backup, as esptool */
	gint64 progress_start;
	gint64 progress_last;
	GCancellable *cancellable;
	/* parsed from the options above before the port is opened */
	FkResetMode before_mode;
	FkAfterMode after_mode;
	const FkChipInfo *expected_chip; /* NULL = detect */
	guint32 spi_value;		 /* spi_connection parsed */
	FkDiagnosis *diagnosis;		 /* why the port failed, when the doctor found out */
} FkCli;

gboolean
fk_cli_parse_u32(const gchar *text, guint32 *value, const gchar *what, GError **error);
gboolean
fk_cli_parse_size(const gchar *text, gsize *size, GError **error);
gboolean
fk_cli_check_address_space(guint32 offset, guint64 size, const gchar *nothing, GError **error);
gboolean
fk_cli_parse_before(const gchar *text, FkResetMode *mode, GError **error);
gboolean
fk_cli_parse_after(const gchar *text, FkAfterMode *mode, GError **error);
gchar *
fk_cli_default_port(GError **error);
gboolean
fk_cli_check_global_options(FkCli *self, GError **error);
gboolean
fk_cli_parse_pairs(gchar **argv, guint32 **offsets, GPtrArray **images, const gchar *nothing, GError **error);
gboolean
fk_cli_check_backup_folder(const gchar *target, GError **error);
gboolean
fk_cli_check_overlaps(gchar **argv, const guint32 *offsets, GPtrArray *images, GError **error);

/* fk-cli-verify.c */
gboolean
fk_cli_cmd_verify_flash(FkCli *self, gchar **argv, GError **error);

/* fk-cli-image-info.c */
gboolean
fk_cli_cmd_image_info(FkCli *self, gchar **argv, GError **error);

/* fk-cli-partition.c */
gboolean
fk_cli_cmd_restore_partition(FkCli *self, gchar **argv, GError **error);

/* fk-cli-session.c */
FkProgress *
fk_cli_progress_new(FkCli *self);
void
fk_cli_progress_end(FkCli *self);
FkDevice *
fk_cli_connect(FkCli *self, GError **error);
gboolean
fk_cli_finish(FkCli *self, FkDevice *device, GError **error);
void
fk_cli_report_error(FkCli *self, const GError *error);

G_END_DECLS
