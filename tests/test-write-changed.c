/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Writing only what changed (FK_WRITE_FLAG_ONLY_CHANGED): an image the flash already holds is
 * not written at all, one changed sector costs one sector, changes far apart are written apart
 * and touching ones together, an image that differs almost everywhere is written in whole
 * 256 KB pieces; and a comparison that lies (a digest asked at the wrong address, so a changed piece
 * looks unchanged) is caught by the verification of the whole image, which then writes it all.
 * Each case checks the whole flash afterwards, byte for byte. */
#include "config.h"

#include <string.h>

#include "fk-device.h"
#include "fk-error.h"
#include "fk-sim-device.h"
#include "fk-sim-transport.h"
#include "fk-test-util.h"

#define FLASH_SIZE (1024 * 1024)
#define SECTOR 4096

typedef struct {
	FkSimDevice *sim;
	FkTransport *transport;
	FkDevice *device;
	guint begins; /* FLASH_DEFL_BEGIN commands the chip received */
	guint faults; /* faults that fired */
} Rig;

static void
trace_cb(const gchar *line, gpointer user_data)
{
	Rig *rig = user_data;
	if (g_str_has_prefix(line, "> FLASH_DEFL_BEGIN") || g_str_has_prefix(line, "> FLASH_BEGIN"))
		rig->begins++;
	if (strstr(line, "! fault:") != NULL)
		rig->faults++;
}

static gboolean
rig_init(Rig *rig)
{
	if (fk_test_skip_without_stubs())
		return FALSE;
	memset(rig, 0, sizeof(*rig));
	rig->sim = fk_test_sim_new("esp32", FLASH_SIZE, 0x1000);
	rig->device = fk_test_device_connect(rig->sim, TRUE, &rig->transport);
	fk_sim_device_set_trace_func(rig->sim, trace_cb, rig);
	return TRUE;
}

static void
rig_clear(Rig *rig)
{
	fk_sim_device_set_trace_func(rig->sim, NULL, NULL);
	g_clear_object(&rig->device);
	g_clear_object(&rig->transport);
	g_clear_object(&rig->sim);
}

/* the flash as it is, to be changed into the image to write */
static guint8 *
rig_flash_copy(Rig *rig)
{
	g_autoptr(GBytes) flash = fk_sim_device_get_flash(rig->sim);
	return g_memdup2(g_bytes_get_data(flash, NULL), FLASH_SIZE);
}

/* writes all of @image with FK_WRITE_FLAG_ONLY_CHANGED; the chip must then hold it exactly */
static void
rig_write(Rig *rig, const guint8 *image)
{
	g_autoptr(GBytes) data = g_bytes_new(image, FLASH_SIZE);
	g_autoptr(GBytes) after = NULL;
	g_autoptr(GError) error = NULL;

	rig->begins = 0;
	g_assert_true(fk_device_write_flash(rig->device, 0, data, FK_WRITE_FLAG_ONLY_CHANGED, NULL, NULL, &error));
	g_assert_no_error(error);
	after = fk_sim_device_get_flash(rig->sim);
	g_assert_cmpmem(g_bytes_get_data(after, NULL), g_bytes_get_size(after), image, FLASH_SIZE);
}

static void
test_identical(void)
{
	Rig rig;
	g_autofree guint8 *image = NULL;
	if (!rig_init(&rig))
		return;
	image = rig_flash_copy(&rig);
	rig_write(&rig, image);
	g_assert_cmpuint(fk_device_get_bytes_written(rig.device), ==, 0);
	g_assert_cmpuint(rig.begins, ==, 0);
	rig_clear(&rig);
}

static void
test_one_sector(void)
{
	Rig rig;
	g_autofree guint8 *image = NULL;
	if (!rig_init(&rig))
		return;
	image = rig_flash_copy(&rig);
	image[0x23456] ^= 0x01;
	rig_write(&rig, image);
	g_assert_cmpuint(fk_device_get_bytes_written(rig.device), ==, SECTOR);
	g_assert_cmpuint(rig.begins, ==, 1);
	rig_clear(&rig);
}

static void
test_runs(void)
{
	Rig rig;
	g_autofree guint8 *image = NULL;
	if (!rig_init(&rig))
		return;
	image = rig_flash_copy(&rig);
	/* two touching sectors in one part of a piece, and one far away: two writes, three sectors */
	image[0x41000] ^= 0x80;
	image[0x42fff] ^= 0x80;
	image[0xc8000] ^= 0x10;
	rig_write(&rig, image);
	g_assert_cmpuint(fk_device_get_bytes_written(rig.device), ==, 3 * SECTOR);
	g_assert_cmpuint(rig.begins, ==, 2);
	rig_clear(&rig);
}

static void
test_mostly_different(void)
{
	Rig rig;
	g_autoptr(GBytes) pattern = fk_test_pattern(FLASH_SIZE, 77);
	g_autofree guint8 *image = NULL;
	if (!rig_init(&rig))
		return;
	image = rig_flash_copy(&rig);
	/* everything from 0x40000 on: 3 of the 4 pieces, written whole, as one run */
	memcpy(image + 0x40000, (const guint8 *)g_bytes_get_data(pattern, NULL) + 0x40000, FLASH_SIZE - 0x40000);
	rig_write(&rig, image);
	g_assert_cmpuint(fk_device_get_bytes_written(rig.device), ==, FLASH_SIZE - 0x40000);
	g_assert_cmpuint(rig.begins, ==, 1);
	rig_clear(&rig);
}

/* the digest of the piece that changed is taken at the wrong address (bit 18 of its offset
 * flipped, 0x0 -> 0x40000, a piece that did not change), so the comparison says "same" for a
 * piece that differs; the verification of the whole image must see it, and all is written */
static void
test_comparison_lies(void)
{
	Rig rig;
	g_autoptr(GError) error = NULL;
	g_autofree guint8 *image = NULL;
	if (!rig_init(&rig))
		return;
	image = rig_flash_copy(&rig);
	/* the first 256 KB piece becomes a copy of the second: asked at 0x40000, the chip's digest
	 * matches it. The pieces' digests go in order, so it is the first SPI_FLASH_MD5 */
	memcpy(image, image + 0x40000, 0x40000);
	{
		g_autofree guint8 *before = rig_flash_copy(&rig);
		g_assert_true(memcmp(image, before, 0x40000) != 0);
	}
	g_assert_true(fk_sim_device_add_faults_from_string(rig.sim, "flip-param@SPI_FLASH_MD5#1:OFFSET.18", &error));
	g_assert_no_error(error);
	rig_write(&rig, image);
	g_assert_cmpuint(rig.faults, ==, 1);
	/* the lie hid the change, so nothing was found to write; the whole image then was */
	g_assert_cmpuint(fk_device_get_bytes_written(rig.device), ==, FLASH_SIZE);
	rig_clear(&rig);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/fk/write-changed/identical", test_identical);
	g_test_add_func("/fk/write-changed/one-sector", test_one_sector);
	g_test_add_func("/fk/write-changed/runs", test_runs);
	g_test_add_func("/fk/write-changed/mostly-different", test_mostly_different);
	g_test_add_func("/fk/write-changed/comparison-lies", test_comparison_lies);
	return g_test_run();
}
