/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* libFuzzer's entry point; declared here for -Wmissing-prototypes */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* an invariant that must hold for every input: abort, so libFuzzer saves the input as a crash.
 * Not g_assert, which G_DISABLE_ASSERT would compile away. */
#define FK_FUZZ_CHECK(cond)                                                                      \
	G_STMT_START                                                                             \
	{                                                                                        \
		if (G_UNLIKELY(!(cond))) {                                                       \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                 \
		}                                                                                \
	}                                                                                        \
	G_STMT_END
