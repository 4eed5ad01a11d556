/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the simulated chip can do to the link on purpose, on a virtual clock: each injected
 * fault (a dropped byte, a flipped bit, a late answer, a closed link, a failed write, a short
 * READ_FLASH frame, a wrong digest, a brown-out) does exactly what it says and no more, bad
 * fault specs are refused, and a paced line takes the time real bytes and flash writes take. */
#include "config.h"

#include "fk-error.h"
#include "fk-sim-test-host.h"

/* ---- faults ---- */

static void
fk_test_faults(void)
{
	/* drop: the 3rd byte of the next SYNC reply is missing */
	{
		g_autoptr(FkTestHost) h = fk_test_host_new("esp32", 0, FK_SIM_BOOT_DOWNLOAD);
		fk_test_host_drain(h);
		fk_sim_device_add_fault(h->dev, FK_SIM_FAULT_DROP_BYTE, 3, 0);
		fk_test_host_sync(h);
		fk_test_host_pump(h);
		g_assert_cmpuint(h->rx->len, ==, 8 * 14 - 1);
		g_assert_cmpuint(h->rx->data[2], ==, 0x04);
	}
	/* flip: one bit of the 2nd byte */
	{
		g_autoptr(FkTestHost) h = fk_test_host_new("esp32", 0, FK_SIM_BOOT_DOWNLOAD);
		fk_test_host_drain(h);
		g_assert_true(fk_sim_device_add_faults_from_string(h->dev, "flip:2", NULL));
		fk_test_host_sync(h);
		fk_test_host_pump(h);
		g_assert_cmpuint(h->rx->len, ==, 8 * 14);
		g_assert_cmpuint(__builtin_popcount(h->rx->data[1] ^ 0x01), ==, 1);
	}
	/* delay: the answer to the 2nd command comes 500 ms late */
	{
		g_autoptr(FkTestHost) h = fk_test_host_new("esp32", 0, FK_SIM_BOOT_DOWNLOAD);
		guint32 reg = 0x40001000;
		g_autoptr(GByteArray) r = NULL;
		fk_test_host_drain(h);
		g_assert_true(fk_sim_device_add_faults_from_string(h->dev, "delay:2:500", NULL));
		fk_test_host_cmd_words(h, FK_OP_READ_REG, 1, &reg);
		g_clear_pointer(&r, g_byte_array_unref);
		r = fk_test_host_expect(h, FK_OP_READ_REG);
		fk_test_host_cmd_words(h, FK_OP_READ_REG, 1, &reg);
		h->now += 400000;
		g_assert_null(fk_test_host_take(h));
		h->now += 200000;
		g_clear_pointer(&r, g_byte_array_unref);
		r = fk_test_host_expect(h, FK_OP_READ_REG);
	}
	/* close: the link dies after 20 bytes */
	{
		g_autoptr(FkTestHost) h = fk_test_host_new("esp32", 0, FK_SIM_BOOT_DOWNLOAD);
		fk_test_host_drain(h);
		g_assert_true(fk_sim_device_add_faults_from_string(h->dev, "close:20", NULL));
		g_assert_false(fk_sim_device_is_link_dead(h->dev));
		fk_test_host_sync(h);
		fk_test_host_pump(h);
		g_assert_cmpuint(h->rx->len, ==, 20);
		g_assert_true(fk_sim_device_is_link_dead(h->dev));
	}
	/* write-error on the ROM: immediate 0x0108 */
	{
		g_autoptr(FkTestHost) h = fk_test_host_new("esp32", 0, FK_SIM_BOOT_DOWNLOAD);
		guint32 begin[4] = {0x1000, 1, 0x400, 0x10000};
		guint8 blk[0x400];
		memset(blk, 0, sizeof(blk));
		fk_test_host_drain(h);
		g_assert_true(fk_sim_device_add_faults_from_string(h->dev, "write-error:1", NULL));
		fk_test_host_cmd_words(h, FK_OP_FLASH_BEGIN, 4, begin);
		g_assert_cmphex(fk_test_status(fk_test_host_expect(h, FK_OP_FLASH_BEGIN), 0), ==, 0);
		fk_test_host_data_cmd(h, FK_OP_FLASH_DATA, 0, blk, sizeof(blk));
		g_assert_cmphex(fk_test_status(fk_test_host_expect(h, FK_OP_FLASH_DATA), 0), ==, 0x0108);
		fk_test_host_data_cmd(h, FK_OP_FLASH_DATA, 0, blk, sizeof(blk));
		g_assert_cmphex(fk_test_status(fk_test_host_expect(h, FK_OP_FLASH_DATA), 0), ==, 0);
	}
	/* short-read and bad-md5 on the stub's READ_FLASH */
	{
		g_autoptr(FkTestHost) h = fk_test_host_new("esp32c3", 0, FK_SIM_BOOT_DOWNLOAD);
		guint32 rd[4] = {0, 8192, 4096, 1};
		g_autoptr(GByteArray) d1 = NULL;
		g_autoptr(GByteArray) d2 = NULL;
		g_autoptr(GByteArray) m = NULL;
		g_autoptr(GByteArray) r = NULL;
		g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_MD5);
		guint8 digest[16];
		gsize dlen = 16;
		fk_test_host_drain(h);
		fk_test_host_upload_stub(h, 0x40380000);
		g_assert_true(fk_sim_device_add_faults_from_string(h->dev, "short-read:1,bad-md5:1", NULL));
		fk_test_host_cmd_words(h, FK_OP_READ_FLASH, 4, rd);
		r = fk_test_host_expect(h, FK_OP_READ_FLASH);
		d1 = fk_test_host_take(h);
		g_assert_nonnull(d1);
		g_assert_cmpuint(d1->len, ==, 2048);
		fk_test_ack(h, d1->len);
		d2 = fk_test_host_take(h);
		g_assert_nonnull(d2);
		g_assert_cmpuint(d2->len, ==, 4096);
		fk_test_ack(h, d1->len + d2->len);
		while (m == NULL || m->len != 16) {
			g_clear_pointer(&m, g_byte_array_unref);
			m = fk_test_host_take(h);
			g_assert_nonnull(m);
			if (m->len != 16)
				fk_test_ack(h, 8192);
		}
		g_checksum_update(sum, d1->data, d1->len);
		g_checksum_get_digest(sum, digest, &dlen);
		/* the digest is over what was read, and corrupted */
		g_assert_true(memcmp(m->data, digest, 16) != 0);
	}
	/* reset: the chip browns out when the 2nd command arrives and boots the app */
	{
		g_autoptr(FkTestHost) h = fk_test_host_new("esp32", 0, FK_SIM_BOOT_DOWNLOAD);
		guint32 reg = 0x40001000;
		FkSimStats st;
		g_autoptr(GByteArray) r = NULL;
		fk_test_host_drain(h);
		g_assert_true(fk_sim_device_add_faults_from_string(h->dev, "reset:2", NULL));
		fk_test_host_cmd_words(h, FK_OP_READ_REG, 1, &reg);
		r = fk_test_host_expect(h, FK_OP_READ_REG);
		fk_test_host_cmd_words(h, FK_OP_READ_REG, 1, &reg);
		h->now += 300000;
		g_assert_true(fk_test_rx_contains(h, "SPI_FAST_FLASH_BOOT"));
		fk_sim_device_get_stats(h->dev, &st);
		g_assert_cmpuint(st.download_boots, ==, 1);
	}
	/* bad specs are refused */
	{
		g_autoptr(FkSimDevice) dev = fk_sim_device_new("esp32", 0, 0, NULL);
		g_autoptr(GError) error = NULL;
		g_assert_false(fk_sim_device_add_faults_from_string(dev, "delay:3", &error));
		g_assert_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT);
	}
}

/* ---- timing ---- */

static void
fk_test_paced(void)
{
	g_autoptr(FkTestHost) h = fk_test_host_new("esp32", 0, FK_SIM_BOOT_DOWNLOAD);
	guint8 buf[256];
	gint64 next = -1;
	gint64 t0;

	fk_sim_device_set_timing(h->dev, TRUE, 2000);
	fk_test_host_drain(h);
	h->now += 100000;
	fk_test_host_drain(h);
	t0 = h->now;
	fk_test_host_sync(h);
	g_assert_cmpuint(fk_sim_device_host_read(h->dev, buf, sizeof(buf), h->now, &next), ==, 0);
	/* 46 bytes up and the first byte down at 115200, plus 2 ms each way */
	g_assert_cmpint(next - t0, >, (46 + 1) * 86 + 4000);
	g_assert_cmpint(next - t0, <, (46 + 1) * 88 + 4000 + 200);
	h->now = next;
	g_assert_cmpuint(fk_sim_device_host_read(h->dev, buf, sizeof(buf), h->now, &next), ==, 1);

	/* the stub acks a block before it is written; the next command waits for the flash */
	{
		g_autofree guint8 *blk = g_malloc0(0x4000);
		guint32 begin[4] = {0x10000, 4, 0x4000, 0x100000};
		guint32 reg = 0x40001000;
		gint64 t_ack;
		g_autoptr(GByteArray) r1 = NULL;
		g_autoptr(GByteArray) r2 = NULL;
		h->now += 100000;
		fk_test_host_drain(h);
		fk_test_host_upload_stub(h, 0x400A8000);
		h->now += 100000;
		fk_test_host_drain(h);
		fk_test_host_cmd_words(h, FK_OP_FLASH_BEGIN, 4, begin);
		h->now += 50000;
		g_assert_cmphex(fk_test_status(fk_test_host_expect(h, FK_OP_FLASH_BEGIN), 0), ==, 0);
		fk_test_host_data_cmd(h, FK_OP_FLASH_DATA, 0, blk, 0x4000);
		fk_sim_device_host_read(h->dev, buf, 0, h->now, &next);
		t_ack = next;
		fk_test_host_cmd_words(h, FK_OP_READ_REG, 1, &reg);
		h->now = t_ack + 1000;
		r1 = fk_test_host_expect(h, FK_OP_FLASH_DATA);
		/* four sectors erased plus 64 pages: well over 100 ms before READ_REG is handled */
		g_assert_null(fk_test_host_take(h));
		h->now += 300000;
		r2 = fk_test_host_expect(h, FK_OP_READ_REG);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sim/faults", fk_test_faults);
	g_test_add_func("/sim/timing/paced", fk_test_paced);
	return g_test_run();
}
