/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The simulated flasher stub, byte for byte on a virtual clock: uploading it (and an entry
 * point that starts nothing), its two-byte status, the commands it answers differently from the
 * ROM, MD5, losing it on a reset, its READ_FLASH stream with the host's acknowledgements and the
 * digest at the end, and its writes, plain and compressed. */
#include "config.h"

#include <zlib.h>

#include "fk-sim-test-host.h"

#define MB (1024 * 1024)

static void
fk_test_stub_upload(void)
{
	g_autoptr(FkTestHost) h = fk_test_host_new("esp32s3", 0, FK_SIM_BOOT_DOWNLOAD);
	g_autoptr(FkTestHost) bad = fk_test_host_new("esp32s3", 0, FK_SIM_BOOT_DOWNLOAD);
	FkSimStats st;
	guint32 attach[2] = {0, 0};

	fk_test_host_drain(h);
	fk_test_host_cmd(h, FK_OP_GET_SECURITY_INFO, NULL, 0, 0);
	{
		g_autoptr(GByteArray) r = fk_test_host_expect(h, FK_OP_GET_SECURITY_INFO);
		g_assert_cmpuint(fk_memread_u16le(r->data + 2), ==, 24);
		g_assert_cmpuint(fk_memread_u32le(r->data + 8 + 12), ==, 9);
		g_assert_cmpuint(fk_test_status(r, 20), ==, 0);
	}
	fk_test_host_upload_stub(h, 0x40378000);
	fk_sim_device_get_stats(h->dev, &st);
	g_assert_true(st.stub_running);
	g_assert_cmpuint(st.stub_uploads, ==, 1);

	/* stub: 2 status bytes, SPI_ATTACH takes 4 bytes only, unknown opcodes get 0xC3 */
	fk_test_host_cmd_words(h, FK_OP_SPI_ATTACH, 2, attach);
	{
		g_autoptr(GByteArray) r = fk_test_host_expect(h, FK_OP_SPI_ATTACH);
		g_assert_cmpuint(fk_test_status_len(r, 0), ==, 2);
		g_assert_cmphex(fk_test_status(r, 0), ==, 0xC000);
	}
	fk_test_host_cmd_words(h, FK_OP_SPI_ATTACH, 1, attach);
	{
		g_autoptr(GByteArray) r = fk_test_host_expect(h, FK_OP_SPI_ATTACH);
		g_assert_cmphex(fk_test_status(r, 0), ==, 0);
	}
	fk_test_host_cmd(h, FK_OP_READ_FLASH_SLOW, NULL, 0, 0);
	{
		g_autoptr(GByteArray) r = fk_test_host_expect(h, FK_OP_READ_FLASH_SLOW);
		g_assert_cmphex(fk_test_status(r, 0), ==, 0xC300);
	}
	{
		guint32 er[2] = {0x1800, 0x1000};
		g_autoptr(GByteArray) r = NULL;
		fk_test_host_cmd_words(h, FK_OP_ERASE_REGION, 2, er);
		r = fk_test_host_expect(h, FK_OP_ERASE_REGION);
		g_assert_cmphex(fk_test_status(r, 0), ==, 0xC000);
	}
	{
		guint32 md5[4] = {0, 0x1000, 0, 0};
		g_autoptr(GByteArray) r = NULL;
		g_autoptr(GBytes) flash = fk_sim_device_get_flash(h->dev);
		g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_MD5);
		guint8 digest[16];
		gsize dlen = 16;
		fk_test_host_cmd_words(h, FK_OP_SPI_FLASH_MD5, 4, md5);
		r = fk_test_host_expect(h, FK_OP_SPI_FLASH_MD5);
		g_assert_cmpuint(fk_memread_u16le(r->data + 2), ==, 18);
		g_checksum_update(sum, g_bytes_get_data(flash, NULL), 0x1000);
		g_checksum_get_digest(sum, digest, &dlen);
		g_assert_cmpmem(r->data + 8, 16, digest, 16);
	}

	/* a reset loses the stub */
	fk_sim_device_set_lines(h->dev, FALSE, TRUE, h->now);
	h->now += 100000;
	fk_sim_device_set_lines(h->dev, TRUE, FALSE, h->now);
	h->now += 50000;
	fk_sim_device_set_lines(h->dev, FALSE, FALSE, h->now);
	fk_sim_device_get_stats(h->dev, &st);
	g_assert_false(st.stub_running);

	/* an entry point outside anything uploaded starts nothing */
	fk_test_host_drain(bad);
	{
		guint32 w[4] = {16, 1, FK_RAM_BLOCK_SIZE, 0x40378000};
		guint32 end[2] = {0, 0x40379000};
		guint8 code[16] = {0};
		fk_test_host_cmd_words(bad, FK_OP_MEM_BEGIN, 4, w);
		fk_test_host_data_cmd(bad, FK_OP_MEM_DATA, 0, code, sizeof(code));
		fk_test_host_cmd_words(bad, FK_OP_MEM_END, 2, end);
		fk_test_host_pump(bad);
		g_assert_cmpuint(bad->frames->len, ==, 3);
		fk_sim_device_get_stats(bad->dev, &st);
		g_assert_false(st.stub_running);
	}
}

static void
fk_test_stub_read_flash(void)
{
	g_autoptr(FkTestHost) h = fk_test_host_new("esp32", 0, FK_SIM_BOOT_DOWNLOAD);
	g_autoptr(GBytes) flash = fk_sim_device_get_flash(h->dev);
	const guint8 *f = g_bytes_get_data(flash, NULL);
	guint32 rd[4] = {0x1000, 10000, 4096, 64};
	guint32 got = 0;
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_MD5);
	guint8 digest[16];
	gsize dlen = 16;

	fk_test_host_drain(h);
	fk_test_host_upload_stub(h, 0x400A8000);
	fk_test_host_cmd_words(h, FK_OP_READ_FLASH, 4, rd);
	{
		g_autoptr(GByteArray) r = fk_test_host_expect(h, FK_OP_READ_FLASH);
		g_assert_cmphex(fk_test_status(r, 0), ==, 0);
	}
	while (got < 10000) {
		g_autoptr(GByteArray) d = fk_test_host_take(h);
		g_assert_nonnull(d);
		/* one frame in flight: nothing more until the ack */
		g_assert_null(fk_test_host_take(h));
		g_assert_cmpuint(d->len, ==, MIN(4096, 10000 - got));
		g_assert_cmpmem(d->data, d->len, f + 0x1000 + got, d->len);
		got += d->len;
		fk_test_ack(h, got);
	}
	{
		g_autoptr(GByteArray) m = fk_test_host_take(h);
		g_assert_nonnull(m);
		g_checksum_update(sum, f + 0x1000, 10000);
		g_checksum_get_digest(sum, digest, &dlen);
		g_assert_cmpmem(m->data, m->len, digest, 16);
	}

	/* packet size above 4096: accepted, then nothing, and 0xC0 with the next command */
	rd[2] = 8192;
	fk_test_host_cmd_words(h, FK_OP_READ_FLASH, 4, rd);
	{
		g_autoptr(GByteArray) r = fk_test_host_expect(h, FK_OP_READ_FLASH);
		g_assert_cmphex(fk_test_status(r, 0), ==, 0);
		g_assert_null(fk_test_host_take(h));
	}
	fk_test_host_sync(h);
	{
		g_autoptr(GByteArray) r = fk_test_host_expect(h, FK_OP_SYNC);
		g_assert_cmphex(fk_test_status(r, 0), ==, 0xC000);
	}
}

static void
fk_test_stub_write(void)
{
	g_autoptr(FkTestHost) h = fk_test_host_new("esp8266", 1 * MB, FK_SIM_BOOT_DOWNLOAD);
	g_autofree guint8 *data = g_malloc(0x6000);
	g_autoptr(GBytes) flash = NULL;
	guint32 begin[4] = {0x6000, 2, 0x4000, 0x20000};
	guint32 end[1] = {1};
	g_autofree guint8 *z = NULL;
	uLongf zlen;

	for (guint i = 0; i < 0x6000; i++)
		data[i] = (guint8)(i * 13 + (i >> 8));
	fk_test_host_drain(h);
	fk_test_host_upload_stub(h, 0x4010C500);

	/* a write error on the second block is reported with the command after it */
	fk_sim_device_add_fault(h->dev, FK_SIM_FAULT_WRITE_ERROR, 2, 0);
	fk_test_host_cmd_words(h, FK_OP_FLASH_BEGIN, 4, begin);
	g_assert_cmphex(fk_test_status(fk_test_host_expect(h, FK_OP_FLASH_BEGIN), 0), ==, 0);
	fk_test_host_data_cmd(h, FK_OP_FLASH_DATA, 0, data, 0x4000);
	g_assert_cmphex(fk_test_status(fk_test_host_expect(h, FK_OP_FLASH_DATA), 0), ==, 0);
	fk_test_host_data_cmd(h, FK_OP_FLASH_DATA, 1, data + 0x4000, 0x2000);
	g_assert_cmphex(fk_test_status(fk_test_host_expect(h, FK_OP_FLASH_DATA), 0), ==, 0);
	fk_test_host_cmd_words(h, FK_OP_FLASH_END, 1, end);
	g_assert_cmphex(fk_test_status(fk_test_host_expect(h, FK_OP_FLASH_END), 0), ==, 0xC400);

	/* FLASH_END before every announced byte arrived */
	fk_test_host_cmd_words(h, FK_OP_FLASH_BEGIN, 4, begin);
	g_assert_cmphex(fk_test_status(fk_test_host_expect(h, FK_OP_FLASH_BEGIN), 0), ==, 0);
	fk_test_host_data_cmd(h, FK_OP_FLASH_DATA, 0, data, 0x4000);
	g_assert_cmphex(fk_test_status(fk_test_host_expect(h, FK_OP_FLASH_DATA), 0), ==, 0);
	fk_test_host_cmd_words(h, FK_OP_FLASH_END, 1, end);
	g_assert_cmphex(fk_test_status(fk_test_host_expect(h, FK_OP_FLASH_END), 0), ==, 0xC000);
	fk_test_host_cmd_words(h, FK_OP_FLASH_END, 1, end);
	g_assert_cmphex(fk_test_status(fk_test_host_expect(h, FK_OP_FLASH_END), 0), ==, 0xC600);

	/* compressed, exact size, lazily erased over old content */
	zlen = compressBound(0x6000);
	z = g_malloc(zlen);
	g_assert_cmpint(compress2(z, &zlen, data, 0x6000, 9), ==, Z_OK);
	{
		guint32 dbegin[4] = {0x6000, 1, 0x4000, 0x20000};
		fk_test_host_cmd_words(h, FK_OP_FLASH_DEFL_BEGIN, 4, dbegin);
		g_assert_cmphex(fk_test_status(fk_test_host_expect(h, FK_OP_FLASH_DEFL_BEGIN), 0), ==, 0);
		fk_test_host_data_cmd(h, FK_OP_FLASH_DEFL_DATA, 0, z, zlen);
		g_assert_cmphex(fk_test_status(fk_test_host_expect(h, FK_OP_FLASH_DEFL_DATA), 0), ==, 0);
		fk_test_host_cmd_words(h, FK_OP_FLASH_DEFL_END, 1, end);
		g_assert_cmphex(fk_test_status(fk_test_host_expect(h, FK_OP_FLASH_DEFL_END), 0), ==, 0);
	}
	flash = fk_sim_device_get_flash(h->dev);
	g_assert_cmpmem((const guint8 *)g_bytes_get_data(flash, NULL) + 0x20000, 0x6000, data, 0x6000);

	/* a corrupt stream fails after the ack */
	{
		guint32 dbegin[4] = {0x1000, 1, 0x4000, 0x40000};
		guint8 junk[64];
		memset(junk, 0x5A, sizeof(junk));
		fk_test_host_cmd_words(h, FK_OP_FLASH_DEFL_BEGIN, 4, dbegin);
		g_assert_cmphex(fk_test_status(fk_test_host_expect(h, FK_OP_FLASH_DEFL_BEGIN), 0), ==, 0);
		fk_test_host_data_cmd(h, FK_OP_FLASH_DEFL_DATA, 0, junk, sizeof(junk));
		g_assert_cmphex(fk_test_status(fk_test_host_expect(h, FK_OP_FLASH_DEFL_DATA), 0), ==, 0);
		fk_test_host_cmd_words(h, FK_OP_FLASH_DEFL_END, 1, end);
		g_assert_cmphex(fk_test_status(fk_test_host_expect(h, FK_OP_FLASH_DEFL_END), 0), ==, 0xC700);
	}
	/* unknown opcode */
	fk_test_host_cmd(h, 0x77, NULL, 0, 0);
	g_assert_cmphex(fk_test_status(fk_test_host_expect(h, 0x77), 0), ==, 0xC300);
	/* whole-chip erase */
	fk_test_host_cmd(h, FK_OP_ERASE_FLASH, NULL, 0, 0);
	g_assert_cmphex(fk_test_status(fk_test_host_expect(h, FK_OP_ERASE_FLASH), 0), ==, 0);
	g_clear_pointer(&flash, g_bytes_unref);
	flash = fk_sim_device_get_flash(h->dev);
	g_assert_cmpuint(fk_test_count_erased(g_bytes_get_data(flash, NULL), 1 * MB), ==, 256);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sim/stub/upload", fk_test_stub_upload);
	g_test_add_func("/sim/stub/read-flash", fk_test_stub_read_flash);
	g_test_add_func("/sim/stub/write", fk_test_stub_write);
	return g_test_run();
}
