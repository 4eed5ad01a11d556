/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "fk-sim-transport.h"
#include "fk-test-util.h"

GBytes *
fk_test_pattern(gsize len, guint seed)
{
	guint8 *buf = g_malloc(len);
	guint32 x = seed * 2654435761u + 1;
	for (gsize i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (i / 4096) % 2 ? (guint8)(x >> 16) : (guint8)(i / 64 + seed);
	}
	return g_bytes_new_take(buf, len);
}

FkSimDevice *
fk_test_sim_new(const gchar *chip, gsize size, gsize fill_start)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FkSimDevice) sim = fk_sim_device_new(chip, size, 42, &error);
	g_autoptr(GBytes) flash = NULL;
	g_autoptr(GBytes) fill = NULL;
	g_autoptr(GBytes) with_fill = NULL;
	g_autofree guint8 *buf = NULL;

	g_assert_no_error(error);
	fk_sim_device_set_boot_mode(sim, FK_SIM_BOOT_APP);
	fk_sim_device_set_timing(sim, FALSE, 0);
	flash = fk_sim_device_get_flash(sim);
	g_assert_cmpuint(g_bytes_get_size(flash), ==, size);
	g_assert_cmpuint(fill_start, <=, size);
	buf = g_memdup2(g_bytes_get_data(flash, NULL), size);
	fill = fk_test_pattern(size - fill_start, 3);
	memcpy(buf + fill_start, g_bytes_get_data(fill, NULL), size - fill_start);
	with_fill = g_bytes_new(buf, size);
	g_assert_true(fk_sim_device_set_flash(sim, with_fill, &error));
	g_assert_no_error(error);
	return g_steal_pointer(&sim);
}

FkDevice *
fk_test_device_connect(FkSimDevice *sim, gboolean use_stub, FkTransport **transport)
{
	g_autoptr(GError) error = NULL;
	FkDevice *device;

	*transport = fk_sim_transport_new(sim);
	device = fk_device_new(*transport);
	fk_device_set_use_stub(device, use_stub);
	g_assert_true(fk_device_connect(device, NULL, &error));
	g_assert_no_error(error);
	return device;
}

gboolean
fk_test_empty_dir(const gchar *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const gchar *name;
	gboolean ok = TRUE;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		g_autofree gchar *path = g_build_filename(dir, name, NULL);
		if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK))
			ok = fk_test_rm_rf(path) && ok;
		else
			ok = g_unlink(path) == 0 && ok;
	}
	return ok;
}

gboolean
fk_test_rm_rf(const gchar *dir)
{
	gboolean ok = fk_test_empty_dir(dir);
	return g_rmdir(dir) == 0 && ok;
}

static gint
fk_test_cmp_names(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const gchar *const *)a, *(const gchar *const *)b);
}

gchar *
fk_test_dir_listing(const gchar *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const gchar *name;

	if (d == NULL)
		return NULL;
	while ((name = g_dir_read_name(d)) != NULL)
		g_ptr_array_add(names, g_strdup(name));
	g_ptr_array_sort(names, fk_test_cmp_names);
	g_ptr_array_add(names, NULL);
	return g_strjoinv(" ", (gchar **)names->pdata);
}

gboolean
fk_test_stubs_available(void)
{
	const gchar *dir = g_getenv("FLASHKEEP_STUB_PATH");
	const gchar *names[] = {"esp8266.json", "esp32.json"};
	if (dir == NULL)
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autofree gchar *json = g_build_filename(dir, names[i], NULL);
		if (!g_file_test(json, G_FILE_TEST_IS_REGULAR))
			return FALSE;
	}
	return TRUE;
}

gboolean
fk_test_skip_without_stubs(void)
{
	if (fk_test_stubs_available())
		return FALSE;
	g_test_skip("Espressif's stubs are not installed (tests/node: npm ci)");
	return TRUE;
}
