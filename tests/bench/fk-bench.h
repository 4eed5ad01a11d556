/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "fk-device.h"

G_BEGIN_DECLS

/* the median of @values (sorts them) */
gdouble
fk_bench_median(GArray *values);

/* a device on a simulated @chip behind USB @adapter (NULL: a clean line; see
 * fk_sim_device_set_adapter()) with @size bytes of flash, paced as real wire and flash timing
 * with @latency_us each way, started in its firmware so a connect resets it as a board's
 * auto-reset circuit does; the device's transport owns the simulated chip */
FkDevice *
fk_bench_paced_device(const gchar *chip, const gchar *adapter, gsize size, guint baud, guint latency_us,
		      GError **error);

/* one paced backup of @size bytes run by FkJob in its worker while the main loop ticks every
 * millisecond: the longest and the median gap between ticks, and the progress updates seen */
gboolean
fk_bench_main_loop_gaps(const gchar *chip,
			gsize size,
			guint baud,
			guint latency_us,
			const gchar *path,
			gdouble *longest_ms,
			gdouble *median_ms,
			guint *updates,
			GError **error);

/* Automatic against @fixed_baud on each simulated adapter (fk-bench-adapters.c): backups of @size
 * bytes, the median of @runs runs of each, the ratio and the link errors survived */
gboolean
fk_bench_adapters(const gchar *chip, const gchar *const *adapters, gsize size, guint fixed_baud, guint latency_us,
		  gint runs, GError **error);

/* the time to the first READ_FLASH on each of @chips at each of @bauds, the steps of the
 * connection broken down, medians of @runs (fk-bench-connect.c) */
gboolean
fk_bench_connect(const gchar *const *chips, const gchar *const *bauds, guint latency_us, gint runs, GError **error);

G_END_DECLS
