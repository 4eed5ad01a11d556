/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "fk-chip.h"
#include "fk-image.h"

G_BEGIN_DECLS

/* "1.2 MB", "512 KB", for people */
gchar *
fk_ui_format_bytes(guint64 bytes);
/* "86 KB/s · about 12 s left" */
gchar *
fk_ui_format_rate(guint64 done, guint64 total, gdouble seconds);
/* a file name for a backup: esp8266-5ccf7f4c35a5-1MB-2026-11-24.bin, or for one of less than the
 * chip's @flash_size (0 when unknown) esp8266-5ccf7f4c35a5-first-512KB-of-1MB-2026-11-24.bin */
gchar *
fk_ui_backup_name(const gchar *chip, const gchar *mac, gsize size, gsize flash_size, GDateTime *when);
/* @name, or when @folder already has a file of that name, name-2.bin, name-3.bin, … */
gchar *
fk_ui_unused_name(const gchar *folder, const gchar *name);
/* the name a backup made now gets in @folder: fk_ui_backup_name() ("esp" when the chip is not
 * known), made unused there, so that a second backup on the same day gets one of its own */
gchar *
fk_ui_propose_backup_name(const gchar *folder, const gchar *chip, const gchar *mac, gsize size, gsize flash_size);
/* a short translated summary for an error of an operation, e.g. "The chip did not answer" */
const gchar *
fk_ui_error_summary(const GError *error, const gchar *operation_failed);
/* the translated hint that fits the error, or NULL */
const gchar *
fk_ui_error_hint(const GError *error);
/* the human description of a file to restore, with warnings for the connected chip;
 * *blocking is set when the image cannot be written at all */
gchar *
fk_ui_describe_image(const gchar *basename,
		     gsize file_size,
		     const FkImageInfo *info,
		     const FkChipInfo *chip,
		     const gchar *chip_description,
		     gsize flash_size,
		     gboolean *warnings,
		     gboolean *blocking);

/* the engine reports its steps in English; this gives them in the user's language */
const gchar *
fk_ui_translate_status(const gchar *status);

G_END_DECLS
