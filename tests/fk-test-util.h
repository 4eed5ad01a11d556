/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the test programs share: temporary folders, deterministic data, a simulated chip. */
#pragma once

#include <glib.h>

#include "fk-device.h"
#include "fk-sim-device.h"

/* FK_TEST_ASAN: built with AddressSanitizer, whose runtime aborts when another library is
 * preloaded ahead of it (testing-notes.md), unless told not to check */
#if defined(__SANITIZE_ADDRESS__)
#define FK_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FK_TEST_ASAN 1
#endif
#endif

G_BEGIN_DECLS

/* @len bytes from @seed: 4 KiB of noise (with SLIP's special bytes), then 4 KiB of runs, so that
 * compression has something to do */
GBytes *
fk_test_pattern(gsize len, guint seed);

/* a simulated @chip with @size bytes of flash that boots its firmware and answers as fast as it
 * is read; above @fill_start its flash holds fk_test_pattern(…, 3) */
FkSimDevice *
fk_test_sim_new(const gchar *chip, gsize size, gsize fill_start);

/* a device on @sim through the in-process transport, connected, with the stub when @use_stub;
 * *@transport gets the transport, for the caller to close and release */
FkDevice *
fk_test_device_connect(FkSimDevice *sim, gboolean use_stub, FkTransport **transport);

/* removes what is in @dir, folders too; FALSE if anything stayed */
gboolean
fk_test_empty_dir(const gchar *dir);

/* removes @dir and everything in it; FALSE if anything stayed */
gboolean
fk_test_rm_rf(const gchar *dir);

/* the names in @dir, sorted, joined with spaces ("" when empty); NULL when it does not exist */
gchar *
fk_test_dir_listing(const gchar *dir);

/* whether Espressif's stubs for the ESP8266 and the ESP32 are in $FLASHKEEP_STUB_PATH (the
 * tests that need them skip otherwise) */
gboolean
fk_test_stubs_available(void);
/* skips the test, saying why, when the stubs are not there: TRUE then */
gboolean
fk_test_skip_without_stubs(void);

G_END_DECLS
