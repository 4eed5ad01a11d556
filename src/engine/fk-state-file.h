/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The small files in the state folder that every board's operation may change (the baud rates
 * remembered per adapter, the list of backups) are read, changed and saved under a lock, so that
 * two boards backed up at once, in two threads or two programs, never lose each other's change.
 * The lock is an flock() on PATH.lock: it holds between threads as between programs. */

/* waits for the lock on @path (creating its folder); -1 when it cannot be taken, which only
 * costs the protection, never the operation */
gint
fk_state_file_lock(const gchar *path);
void
fk_state_file_unlock(gint fd);

G_END_DECLS
