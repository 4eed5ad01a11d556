/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "fk-chip.h"
#include "fk-loader.h"
#include "fk-stub.h"

G_BEGIN_DECLS

/* chips with a USB-Serial/JTAG port reset themselves mid-operation unless the RTC watchdog is
 * disabled and the super watchdog fed automatically; nothing to do on other ports */
gboolean
fk_stub_upload_disable_watchdogs(FkLoader *loader,
				 const FkChipInfo *chip,
				 GCancellable *cancellable,
				 GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* uploads @stub into RAM, runs it and waits for its greeting; the loader is the stub after.
 * @rom_first_baud: the rate the ROM ran at before it was switched to the link's present one (0:
 * it was not); a stub that does not greet at the present rate is looked for there, and
 * *@stub_baud tells the rate it was found at (0: the present one) */
gboolean
fk_stub_upload_run(FkLoader *loader,
		   const FkStub *stub,
		   guint rom_first_baud,
		   guint *stub_baud,
		   GCancellable *cancellable,
		   GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
