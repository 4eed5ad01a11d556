/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "fk-sim-test-host.h"

/* Behaviour of the real chips that esptool and its own test suite rely on, beyond the wire
 * format: when the flash is reachable, what resets the chip, what its eFuses say. */

#define MB (1024 * 1024)

static GBytes *
fk_test_read_slow(FkTestHost *h, guint32 offset)
{
	guint32 rd[2] = {offset, 64};
	g_autoptr(GByteArray) r = NULL;
	fk_test_host_cmd_words(h, FK_OP_READ_FLASH_SLOW, 2, rd);
	r = fk_test_host_expect(h, FK_OP_READ_FLASH_SLOW);
	g_assert_cmpuint(fk_test_status(r, 64), ==, 0);
	return g_bytes_new(r->data + 8, 64);
}

static void
fk_test_write_block(FkTestHost *h, guint32 offset, const guint8 *data, gsize len)
{
	guint32 begin[4] = {FK_FLASH_SECTOR_SIZE, 1, FK_ROM_WRITE_SIZE, offset};
	fk_test_host_cmd_words(h, FK_OP_FLASH_BEGIN, 4, begin);
	g_assert_cmpuint(fk_test_status(fk_test_host_expect(h, FK_OP_FLASH_BEGIN), 0), ==, 0);
	fk_test_host_data_cmd(h, FK_OP_FLASH_DATA, 0, data, len);
	g_assert_cmpuint(fk_test_status(fk_test_host_expect(h, FK_OP_FLASH_DATA), 0), ==, 0);
}

static void
fk_test_reset_into_rom(FkTestHost *h)
{
	fk_sim_device_set_lines(h->dev, FALSE, TRUE, h->now);
	h->now += 100000;
	fk_sim_device_set_lines(h->dev, TRUE, FALSE, h->now);
	h->now += 50000;
	fk_sim_device_set_lines(h->dev, FALSE, FALSE, h->now);
	h->now += 1000;
	fk_test_host_drain(h);
}

/* ---- the ROM's flash stays detached until the host attaches it ---- */

static void
fk_test_attach_rom32(void)
{
	g_autoptr(FkTestHost) h = fk_test_host_new("esp32c3", 4 * MB, FK_SIM_BOOT_DOWNLOAD);
	g_autoptr(GBytes) before = fk_sim_device_get_flash(h->dev);
	g_autoptr(GBytes) after = NULL;
	g_autoptr(GBytes) rd = NULL;
	const guint8 *f = g_bytes_get_data(before, NULL);
	guint8 blank[64];
	guint8 blk[FK_ROM_WRITE_SIZE];

	memset(blank, 0xFF, sizeof(blank));
	memset(blk, 0x5A, sizeof(blk));
	g_assert_cmpuint(f[0], ==, 0xE9); /* the bootloader sits at 0x0 */
	fk_test_host_drain(h);

	/* RDID and SFDP through the SPI registers, as esptool's flash_id / read_flash_sfdp do */
	g_assert_cmphex(fk_test_spi_command(h, 0x60002000, FALSE, 0x9F, 24), ==, 0xFFFFFF);
	g_assert_cmphex(fk_test_spi_command(h, 0x60002000, FALSE, 0x5A, 32), ==, 0xFFFFFFFF);
	/* the ROM's own reads see a floating bus */
	rd = fk_test_read_slow(h, 0x0);
	g_assert_cmpmem(g_bytes_get_data(rd, NULL), 64, blank, 64);
	/* a write is lost */
	fk_test_write_block(h, 0x100000, blk, sizeof(blk));
	after = fk_sim_device_get_flash(h->dev);
	g_assert_true(g_bytes_equal(before, after));

	/* attached, everything reaches the flash */
	fk_test_host_attach(h);
	g_assert_cmphex(fk_test_spi_command(h, 0x60002000, FALSE, 0x9F, 24), ==, 0x1640EF);
	g_assert_cmphex(fk_test_spi_command(h, 0x60002000, FALSE, 0x5A, 32), ==, 0x50444653);
	g_clear_pointer(&rd, g_bytes_unref);
	rd = fk_test_read_slow(h, 0x0);
	g_assert_cmpmem(g_bytes_get_data(rd, NULL), 64, f, 64);
	fk_test_write_block(h, 0x100000, blk, sizeof(blk));
	g_clear_pointer(&after, g_bytes_unref);
	after = fk_sim_device_get_flash(h->dev);
	g_assert_cmpmem((const guint8 *)g_bytes_get_data(after, NULL) + 0x100000, sizeof(blk), blk, sizeof(blk));

	/* a new boot into the ROM disconnects it again */
	fk_test_reset_into_rom(h);
	g_assert_cmphex(fk_test_spi_command(h, 0x60002000, FALSE, 0x9F, 24), ==, 0xFFFFFF);
}

static void
fk_test_attach_rom8266(void)
{
	g_autoptr(FkTestHost) h = fk_test_host_new("esp8266", 1 * MB, FK_SIM_BOOT_DOWNLOAD);
	fk_test_host_drain(h);
	g_assert_cmphex(fk_test_spi_command(h, 0x60000200, TRUE, 0x9F, 24), ==, 0xFFFFFF);
	/* esptool's ESP8266ROM.flash_spi_attach: flash_begin(0, 0) */
	fk_test_host_attach(h);
	g_assert_cmphex(fk_test_spi_command(h, 0x60000200, TRUE, 0x9F, 24), ==, 0x1440C8);
}

static void
fk_test_attach_md5(void)
{
	g_autoptr(FkTestHost) h = fk_test_host_new("esp32", 4 * MB, FK_SIM_BOOT_DOWNLOAD);
	g_autoptr(GBytes) flash = fk_sim_device_get_flash(h->dev);
	g_autofree guint8 *blank = g_malloc(0x2000);
	guint32 md5[4] = {0x1000, 0x2000, 0, 0};

	memset(blank, 0xFF, 0x2000);
	fk_test_host_drain(h);
	for (guint i = 0; i < 2; i++) {
		const guint8 *want = i == 0 ? blank : (const guint8 *)g_bytes_get_data(flash, NULL) + 0x1000;
		g_autoptr(GByteArray) m = NULL;
		g_autofree gchar *hex = g_compute_checksum_for_data(G_CHECKSUM_MD5, want, 0x2000);
		if (i == 1)
			fk_test_host_attach(h);
		fk_test_host_cmd_words(h, FK_OP_SPI_FLASH_MD5, 4, md5);
		m = fk_test_host_expect(h, FK_OP_SPI_FLASH_MD5);
		g_assert_cmpmem(m->data + 8, 32, hex, 32);
	}
}

/* the stub connects the flash when it starts; the ESP32-S2 ROM does so by itself */
static void
fk_test_attach_stub_and_s2(void)
{
	g_autoptr(FkTestHost) h = fk_test_host_new("esp32c3", 4 * MB, FK_SIM_BOOT_DOWNLOAD);
	g_autoptr(FkTestHost) s2 = fk_test_host_new("esp32s2", 4 * MB, FK_SIM_BOOT_DOWNLOAD);
	g_autoptr(GBytes) flash = fk_sim_device_get_flash(s2->dev);
	g_autoptr(GBytes) rd = NULL;

	fk_test_host_drain(h);
	fk_test_host_upload_stub(h, 0x40380000);
	g_assert_cmphex(fk_test_spi_command(h, 0x60002000, FALSE, 0x9F, 24), ==, 0x1640EF);

	fk_test_host_drain(s2);
	rd = fk_test_read_slow(s2, 0x1000);
	g_assert_cmpmem(g_bytes_get_data(rd, NULL), 64, (const guint8 *)g_bytes_get_data(flash, NULL) + 0x1000, 64);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sim/attach/rom32", fk_test_attach_rom32);
	g_test_add_func("/sim/attach/rom8266-flash-begin", fk_test_attach_rom8266);
	g_test_add_func("/sim/attach/md5", fk_test_attach_md5);
	g_test_add_func("/sim/attach/stub-and-esp32s2", fk_test_attach_stub_and_s2);
	return g_test_run();
}
