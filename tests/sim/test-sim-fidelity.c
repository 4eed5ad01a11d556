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

/* ---- the RTC watchdog that esptool's --after watchdog-reset arms ---- */

static void
fk_test_write_reg(FkTestHost *h, guint32 addr, guint32 value)
{
	guint32 w[4] = {addr, value, 0xFFFFFFFF, 0};
	g_autoptr(GByteArray) r = NULL;
	fk_test_host_cmd_words(h, FK_OP_WRITE_REG, 4, w);
	r = fk_test_host_expect(h, FK_OP_WRITE_REG);
	g_assert_cmpuint(fk_test_status(r, 0), ==, 0);
}

/* what esptool's watchdog_reset() in targets/esp32s3.py (and the others) writes */
static void
fk_test_arm_watchdog(FkTestHost *h, guint32 config0, guint32 config1, guint32 wprotect)
{
	fk_test_write_reg(h, wprotect, 0x50D83AA1);
	fk_test_write_reg(h, config1, 2000);
	fk_test_write_reg(h, config0, (1u << 31) | (5u << 28) | (1u << 8) | 2);
	fk_test_write_reg(h, wprotect, 0);
}

static void
fk_test_rtc_watchdog(void)
{
	/* registers from esptool's targets (RTC_CNTL_WDTCONFIG0/1_REG, RTC_CNTL_WDTWPROTECT_REG) */
	const struct {
		const gchar *chip;
		guint32 config0;
		guint32 config1;
		guint32 wprotect;
		guint32 stub_at;
		const gchar *reason;
	} chips[] = {
	    {"esp32s2", 0x3F408094, 0x3F408098, 0x3F4080AC, 0x40028000, "rst:0x10 (RTCWDT_RTC_RST)"},
	    {"esp32s3", 0x60008098, 0x6000809C, 0x600080B0, 0x40378000, "rst:0x10 (RTCWDT_RTC_RST)"},
	    {"esp32c3", 0x60008090, 0x60008094, 0x600080A8, 0x40380000, "rst:0x10 (RTCWDT_RTC_RST)"},
	    {"esp32c2", 0x60008084, 0x60008088, 0x6000809C, 0x40380000, "rst:0x10 (RTCWDT_RTC_RST)"},
	    {"esp32c6", 0x600B1C00, 0x600B1C04, 0x600B1C18, 0x40810000, "rst:0x10 (LP_WDT_SYS)"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(chips); i++) {
		g_autoptr(FkTestHost) h = fk_test_host_new(chips[i].chip, 0, FK_SIM_BOOT_DOWNLOAD);
		FkSimStats st;

		g_test_message("%s", chips[i].chip);
		/* GPIO0 released (DTR and RTS deasserted): the watchdog reset boots from flash */
		fk_test_host_drain(h);
		fk_test_host_upload_stub(h, chips[i].stub_at);
		fk_test_arm_watchdog(h, chips[i].config0, chips[i].config1, chips[i].wprotect);
		h->now += 500000; /* esptool sleeps 0.5 s */
		g_assert_true(fk_test_rx_contains(h, chips[i].reason));
		fk_sim_device_get_stats(h->dev, &st);
		g_assert_false(st.stub_running);
		g_assert_true(fk_test_rx_contains(h, "(SPI_FAST_FLASH_BOOT)"));
		g_assert_false(fk_test_rx_contains(h, "waiting for download"));
		fk_test_host_drain(h);
		fk_test_host_sync(h);
		h->now += 1000;
		g_assert_null(fk_test_host_take(h)); /* the application does not answer */
		g_assert_cmpuint(st.download_boots, ==, 1);

		/* BOOT held (DTR without RTS pulls GPIO0 low): it boots into the ROM loader */
		fk_test_reset_into_rom(h);
		fk_sim_device_set_lines(h->dev, TRUE, FALSE, h->now);
		fk_test_host_upload_stub(h, chips[i].stub_at);
		fk_test_arm_watchdog(h, chips[i].config0, chips[i].config1, chips[i].wprotect);
		h->now += 500000;
		g_assert_true(fk_test_rx_contains(h, chips[i].reason));
		fk_sim_device_get_stats(h->dev, &st);
		g_assert_false(st.stub_running);
		g_assert_cmpuint(st.download_boots, ==, 3);
		g_assert_true(fk_test_rx_contains(h, "waiting for download"));
		fk_test_host_drain(h);
		fk_test_host_sync(h);
		{
			g_autoptr(GByteArray) r = fk_test_host_expect(h, FK_OP_SYNC);
			g_assert_cmphex(fk_memread_u32le(r->data + 4), !=, 0); /* the ROM, not the stub */
		}
	}
}

/* write-protected, or enabled without a reset stage, it does nothing */
static void
fk_test_rtc_watchdog_locked(void)
{
	g_autoptr(FkTestHost) h = fk_test_host_new("esp32s3", 0, FK_SIM_BOOT_DOWNLOAD);
	FkSimStats st;
	fk_test_host_drain(h);
	fk_test_host_upload_stub(h, 0x40378000);
	fk_test_write_reg(h, 0x6000809C, 2000);
	fk_test_write_reg(h, 0x60008098, 0xD0000102);
	fk_test_write_reg(h, 0x600080B0, 0x50D83AA1);
	fk_test_write_reg(h, 0x60008098, (1u << 31) | (1u << 28)); /* interrupt only */
	h->now += 500000;
	g_assert_false(fk_test_rx_contains(h, "rst:"));
	fk_sim_device_get_stats(h->dev, &st);
	g_assert_true(st.stub_running);
}

/* ---- eFuses ---- */

static guint32
fk_test_read_reg(FkTestHost *h, guint32 addr)
{
	g_autoptr(GByteArray) r = NULL;
	fk_test_host_cmd_words(h, FK_OP_READ_REG, 1, &addr);
	r = fk_test_host_expect(h, FK_OP_READ_REG);
	return fk_memread_u32le(r->data + 4);
}

/* espefuse's EfuseMacField.calc_crc (esp_crc8 in the ESP32 ROM) */
static guint8
fk_test_crc8(const guint8 *data, gsize len)
{
	guint8 crc = 0;
	for (gsize i = 0; i < len; i++) {
		crc ^= data[i];
		for (guint b = 0; b < 8; b++) {
			gboolean lsb = crc & 1;
			crc >>= 1;
			if (lsb)
				crc ^= 0x8C;
		}
	}
	return crc;
}

static void
fk_test_efuse_esp32(void)
{
	/* a real chip (esptool issue #570): words 0x287AD884 / 0x003E246F, MAC 24:6F:28:7A:D8:84 */
	const guint8 real_mac[6] = {0x24, 0x6F, 0x28, 0x7A, 0xD8, 0x84};
	g_assert_cmphex(fk_test_crc8(real_mac, 6), ==, 0x3E);

	{
		g_autoptr(FkTestHost) h = fk_test_host_new("esp32", 0, FK_SIM_BOOT_DOWNLOAD);
		guint32 w1, w2, w3, w4;
		guint8 mac[6];
		fk_test_host_drain(h);
		w1 = fk_test_read_reg(h, 0x3FF5A004);
		w2 = fk_test_read_reg(h, 0x3FF5A008);
		w3 = fk_test_read_reg(h, 0x3FF5A00C);
		w4 = fk_test_read_reg(h, 0x3FF5A010);
		/* esptool's ESP32ROM.read_mac */
		mac[0] = (w2 >> 8) & 0xFF;
		mac[1] = w2 & 0xFF;
		mac[2] = w1 >> 24;
		mac[3] = (w1 >> 16) & 0xFF;
		mac[4] = (w1 >> 8) & 0xFF;
		mac[5] = w1 & 0xFF;
		/* MAC_CRC: EFUSE_BLK0_RDATA2_REG[23:16] */
		g_assert_cmphex((w2 >> 16) & 0xFF, ==, fk_test_crc8(mac, 6));
		/* get_chip_features: CHIP_CPU_FREQ_RATED set, CHIP_CPU_FREQ_LOW clear → "240MHz" */
		g_assert_cmphex(w3 & (1u << 13), !=, 0);
		g_assert_cmphex(w3 & (1u << 12), ==, 0);
		/* ADC_VREF (word4 bits 8..12) → "Vref calibration in eFuse" */
		g_assert_cmphex((w4 >> 8) & 0x1F, !=, 0);
		/* package D0WD, not single core, BT present */
		g_assert_cmpuint((w3 >> 9) & 0x7, ==, 1);
		g_assert_cmphex(w3 & 0x3, ==, 0);
	}
}

static void
fk_test_efuse_esp32c3(void)
{
	g_autoptr(FkTestHost) h = fk_test_host_new("esp32c3", 0, FK_SIM_BOOT_DOWNLOAD);
	g_autoptr(FkTestHost) app = fk_test_host_new("esp32c3", 0, FK_SIM_BOOT_APP);
	guint32 w3;
	guint32 w5;
	guint minor;
	guint major;
	g_autofree gchar *text = NULL;

	fk_test_host_drain(h);
	/* esptool's ESP32C3ROM.get_minor_chip_version / get_major_chip_version (BLOCK1 at +0x44) */
	w3 = fk_test_read_reg(h, 0x60008844 + 4 * 3);
	w5 = fk_test_read_reg(h, 0x60008844 + 4 * 5);
	minor = (((w5 >> 23) & 0x1) << 3) + ((w3 >> 18) & 0x7);
	major = (w5 >> 24) & 0x3;
	g_assert_cmpuint((w3 >> 21) & 0x7, ==, 0); /* ESP32-C3 (QFN32) */

	/* the boot text of the application says the same */
	app->now += 500000;
	text = g_strdup_printf("chip revision: v%u.%u\r\n", major, minor);
	g_assert_true(fk_test_rx_contains(app, text));
	g_assert_cmpuint(major * 100 + minor, ==, 4);
}

/* every ESP32-family chip: the revision esptool reads from the eFuses (get_major_chip_version,
 * get_minor_chip_version in targets/<chip>.py) is the one its bootloader prints */
static void
fk_test_efuse_revision(void)
{
	const gchar *chips[] = {"esp32s2", "esp32s3", "esp32c3", "esp32c2", "esp32c6"};
	for (guint i = 0; i < G_N_ELEMENTS(chips); i++) {
		g_autoptr(FkTestHost) h = fk_test_host_new(chips[i], 0, FK_SIM_BOOT_DOWNLOAD);
		g_autoptr(FkTestHost) app = fk_test_host_new(chips[i], 0, FK_SIM_BOOT_APP);
		g_autofree gchar *text = NULL;
		guint major;
		guint minor;

		fk_test_host_drain(h);
		if (g_strcmp0(chips[i], "esp32s2") == 0) {
			guint32 w3 = fk_test_read_reg(h, 0x3F41A044 + 4 * 3);
			guint32 w4 = fk_test_read_reg(h, 0x3F41A044 + 4 * 4);
			minor = (((w3 >> 20) & 0x1) << 3) + ((w4 >> 4) & 0x7);
			major = (w3 >> 18) & 0x3;
		} else if (g_strcmp0(chips[i], "esp32c2") == 0) {
			guint32 w1 = fk_test_read_reg(h, 0x60008840 + 4 * 1);
			minor = (w1 >> 16) & 0xF;
			major = (w1 >> 20) & 0x3;
		} else if (g_strcmp0(chips[i], "esp32c6") == 0) {
			guint32 w3 = fk_test_read_reg(h, 0x600B0844 + 4 * 3);
			minor = (w3 >> 18) & 0xF;
			major = (w3 >> 22) & 0x3;
		} else {
			guint32 blk1 = g_strcmp0(chips[i], "esp32s3") == 0 ? 0x60007044 : 0x60008844;
			guint32 w3 = fk_test_read_reg(h, blk1 + 4 * 3);
			guint32 w5 = fk_test_read_reg(h, blk1 + 4 * 5);
			minor = (((w5 >> 23) & 0x1) << 3) + ((w3 >> 18) & 0x7);
			major = (w5 >> 24) & 0x3;
		}
		app->now += 500000;
		text = g_strdup_printf("chip revision: v%u.%u\r\n", major, minor);
		g_test_message("%s: %s", chips[i], text);
		g_assert_true(fk_test_rx_contains(app, text));
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sim/attach/rom32", fk_test_attach_rom32);
	g_test_add_func("/sim/attach/rom8266-flash-begin", fk_test_attach_rom8266);
	g_test_add_func("/sim/attach/md5", fk_test_attach_md5);
	g_test_add_func("/sim/attach/stub-and-esp32s2", fk_test_attach_stub_and_s2);
	g_test_add_func("/sim/reset/rtc-watchdog", fk_test_rtc_watchdog);
	g_test_add_func("/sim/reset/rtc-watchdog-locked", fk_test_rtc_watchdog_locked);
	g_test_add_func("/sim/efuse/esp32", fk_test_efuse_esp32);
	g_test_add_func("/sim/efuse/esp32c3", fk_test_efuse_esp32c3);
	g_test_add_func("/sim/efuse/revision", fk_test_efuse_revision);
	return g_test_run();
}
