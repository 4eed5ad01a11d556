/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The flasher stub loader on arbitrary JSON: it either fails with FK_ERROR_STUB_INVALID or
 * returns a stub whose entry point lies inside its text segment, whose segments start on a word,
 * do not overlap and fit the 32-bit address space. A stub that passes the check against a chip
 * lies inside that chip's RAM. Loaded twice: with the exact length and, NUL terminated, with -1. */
#include "config.h"

#include "fk-error.h"
#include "fk-stub.h"
#include "fuzz-common.h"

static void
check_chips(const FkStub *stub)
{
	guint n_chips = 0;
	const FkChipInfo *chips = fk_chip_list(&n_chips);
	for (guint i = 0; i < n_chips; i++) {
		g_autoptr(GError) error = NULL;
		gsize text_len = g_bytes_get_size(stub->text);
		if (!fk_stub_check_chip(stub, &chips[i], &error)) {
			FK_FUZZ_CHECK(g_error_matches(error, FK_ERROR, FK_ERROR_STUB_INVALID));
			continue;
		}
		FK_FUZZ_CHECK(error == NULL);
		FK_FUZZ_CHECK(stub->text_start >= chips[i].iram_start);
		FK_FUZZ_CHECK((guint64)stub->text_start + text_len <= chips[i].iram_end);
		if (stub->data != NULL) {
			FK_FUZZ_CHECK(stub->data_start >= chips[i].dram_start);
			FK_FUZZ_CHECK((guint64)stub->data_start + g_bytes_get_size(stub->data) <= chips[i].dram_end);
		}
	}
}

static void
check_load(const gchar *json, gssize len)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FkStub) stub = fk_stub_load_data(json, len, "fuzz.json", &error);
	gsize text_len;

	if (stub == NULL) {
		FK_FUZZ_CHECK(error != NULL);
		FK_FUZZ_CHECK(g_error_matches(error, FK_ERROR, FK_ERROR_STUB_INVALID));
		return;
	}
	FK_FUZZ_CHECK(error == NULL);
	FK_FUZZ_CHECK(g_strcmp0(stub->path, "fuzz.json") == 0);
	FK_FUZZ_CHECK(stub->text != NULL);
	text_len = g_bytes_get_size(stub->text);
	FK_FUZZ_CHECK(text_len > 0);
	FK_FUZZ_CHECK((guint64)stub->text_start + text_len <= G_MAXUINT32);
	FK_FUZZ_CHECK(stub->entry >= stub->text_start);
	FK_FUZZ_CHECK((guint64)stub->entry < (guint64)stub->text_start + text_len);
	FK_FUZZ_CHECK(stub->text_start % 4 == 0);
	if (stub->data != NULL) {
		gsize data_len = g_bytes_get_size(stub->data);
		FK_FUZZ_CHECK(data_len > 0);
		FK_FUZZ_CHECK((guint64)stub->data_start + data_len <= G_MAXUINT32);
		FK_FUZZ_CHECK(stub->data_start % 4 == 0);
		FK_FUZZ_CHECK((guint64)stub->data_start + data_len <= stub->text_start ||
			      (guint64)stub->text_start + text_len <= stub->data_start);
	}
	check_chips(stub);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree gchar *terminated = NULL;

	if (size > G_MAXSSIZE)
		return 0;
	check_load((const gchar *)data, (gssize)size);
	terminated = g_strndup((const gchar *)data, size);
	check_load(terminated, -1);
	return 0;
}
