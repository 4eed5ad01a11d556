/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "fk-chip.h"
#include "fk-error.h"
#include "fk-mem.h"
#include "fk-packet.h"
#include "fk-protocol.h"
#include "fk-slip.h"

static void
assert_bytes(const guint8 *got, gsize got_len, const guint8 *want, gsize want_len)
{
	g_assert_cmpmem(got, got_len, want, want_len);
}

/* SYNC request on the wire, byte for byte (46 bytes) */
static void
test_sync_frame(void)
{
	guint8 payload[36] = {0x07, 0x07, 0x12, 0x20};
	g_autoptr(GByteArray) pkt = NULL;
	g_autoptr(GByteArray) wire = g_byte_array_new();
	guint8 want[46] = {
	    0xC0,			  /* END */
	    0x00,			  /* direction: request */
	    0x08,			  /* SYNC */
	    0x24, 0x00,			  /* size 36 */
	    0x00, 0x00, 0x00, 0x00,	  /* checksum: unused */
	    0x07, 0x07, 0x12, 0x20,	  /* sync word */
	};
	memset(payload + 4, 0x55, 32);
	memset(want + 13, 0x55, 32);
	want[45] = 0xC0;
	pkt = fk_packet_build_command(FK_OP_SYNC, payload, sizeof(payload), 0);
	fk_slip_encode(wire, pkt->data, pkt->len);
	assert_bytes(wire->data, wire->len, want, sizeof(want));
}

/* READ_REG 0x40001000 request */
static void
test_read_reg_frame(void)
{
	guint8 addr[4];
	g_autoptr(GByteArray) pkt = NULL;
	g_autoptr(GByteArray) wire = g_byte_array_new();
	const guint8 want[] = {0xC0, 0x00, 0x0A, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
			       0x00, 0x10, 0x00, 0x40, 0xC0};
	fk_memwrite_u32le(addr, FK_CHIP_DETECT_MAGIC_REG);
	pkt = fk_packet_build_command(FK_OP_READ_REG, addr, sizeof(addr), 0);
	fk_slip_encode(wire, pkt->data, pkt->len);
	assert_bytes(wire->data, wire->len, want, sizeof(want));
}

/* FLASH_DATA: 16-byte sub-header, checksum over the data only, escaping of C0 and DB */
static void
test_flash_data_frame(void)
{
	const guint8 data[4] = {0xC0, 0xDB, 0x01, 0xFF};
	g_autoptr(GByteArray) body = g_byte_array_new();
	g_autoptr(GByteArray) pkt = NULL;
	g_autoptr(GByteArray) wire = g_byte_array_new();
	guint8 sum = fk_checksum(data, sizeof(data));
	const guint8 want[] = {
	    0xC0, 0x00, 0x03, 0x14, 0x00,   /* FLASH_DATA, 20 bytes */
	    0x0A, 0x00, 0x00, 0x00,	    /* checksum 0xEF^C0^DB^01^FF = 0x0A */
	    0x04, 0x00, 0x00, 0x00,	    /* data length */
	    0x02, 0x00, 0x00, 0x00,	    /* seq 2 */
	    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	    0xDB, 0xDC, 0xDB, 0xDD, 0x01, 0xFF, /* escaped data */
	    0xC0};
	g_assert_cmpuint(sum, ==, 0x0A);
	fk_byte_array_append_u32le(body, 4);
	fk_byte_array_append_u32le(body, 2);
	fk_byte_array_append_u32le(body, 0);
	fk_byte_array_append_u32le(body, 0);
	g_byte_array_append(body, data, sizeof(data));
	pkt = fk_packet_build_command(FK_OP_FLASH_DATA, body->data, body->len, sum);
	fk_slip_encode(wire, pkt->data, pkt->len);
	assert_bytes(wire->data, wire->len, want, sizeof(want));
}

static void
test_slip_decode(void)
{
	g_autoptr(FkSlipDecoder) dec = fk_slip_decoder_new(64);
	g_autoptr(GError) error = NULL;
	/* boot text, two back-to-back frames with escapes, an empty C0 C0 pair */
	const guint8 wire[] = {'h', 'i', 0xC0, 0x01, 0xDB, 0xDC, 0x02, 0xC0, 0xC0,
			       0xDB, 0xDD, 0xC0, 0xC0, 0xC0, 0x4F, 0xC0};
	gsize pos = 0, consumed = 0;
	FkSlipResult res;
	g_autoptr(GByteArray) f1 = NULL;
	g_autoptr(GByteArray) f2 = NULL;
	g_autoptr(GByteArray) f3 = NULL;

	res = fk_slip_decoder_feed(dec, wire, sizeof(wire), &consumed, &error);
	g_assert_no_error(error);
	g_assert_cmpint(res, ==, FK_SLIP_RESULT_FRAME);
	f1 = fk_slip_decoder_take_frame(dec);
	assert_bytes(f1->data, f1->len, (const guint8 *)"\x01\xC0\x02", 3);
	g_assert_cmpstr(fk_slip_decoder_get_garbage(dec, NULL), ==, "hi");
	pos += consumed;
	res = fk_slip_decoder_feed(dec, wire + pos, sizeof(wire) - pos, &consumed, &error);
	g_assert_cmpint(res, ==, FK_SLIP_RESULT_FRAME);
	f2 = fk_slip_decoder_take_frame(dec);
	assert_bytes(f2->data, f2->len, (const guint8 *)"\xDB", 1);
	pos += consumed;
	res = fk_slip_decoder_feed(dec, wire + pos, sizeof(wire) - pos, &consumed, &error);
	g_assert_cmpint(res, ==, FK_SLIP_RESULT_FRAME);
	f3 = fk_slip_decoder_take_frame(dec);
	assert_bytes(f3->data, f3->len, (const guint8 *)"\x4F", 1);
}

static void
test_slip_errors(void)
{
	g_autoptr(FkSlipDecoder) dec = fk_slip_decoder_new(4);
	g_autoptr(GError) error = NULL;
	const guint8 bad_escape[] = {0xC0, 0x01, 0xDB, 0x05, 0xC0};
	const guint8 too_long[] = {0xC0, 1, 2, 3, 4, 5, 0xC0};
	gsize consumed = 0;
	g_assert_cmpint(fk_slip_decoder_feed(dec, bad_escape, sizeof(bad_escape), &consumed, &error), ==,
			FK_SLIP_RESULT_ERROR);
	g_assert_error(error, FK_PROTOCOL_ERROR, FK_PROTOCOL_ERROR_BAD_ESCAPE);
	g_clear_error(&error);
	fk_slip_decoder_reset(dec);
	g_assert_cmpint(fk_slip_decoder_feed(dec, too_long, sizeof(too_long), &consumed, &error), ==,
			FK_SLIP_RESULT_ERROR);
	g_assert_error(error, FK_PROTOCOL_ERROR, FK_PROTOCOL_ERROR_FRAME_TOO_LONG);
}

/* status bytes: ROM32 has 4, the ESP8266 ROM and the stub 2 */
static void
test_status_decoding(void)
{
	FkResponse resp;
	g_autoptr(GError) error = NULL;
	/* ROM32 READ_REG reply: value 0x00F01D83, status 00 00 00 00 */
	const guint8 rom32_ok[] = {0x01, 0x0A, 0x04, 0x00, 0x83, 0x1D, 0xF0, 0x00, 0x00, 0x00, 0x00, 0x00};
	/* ROM32 FLASH_DATA failure: checksum error 01 07 */
	const guint8 rom32_fail[] = {0x01, 0x03, 0x04, 0x00, 0, 0, 0, 0, 0x01, 0x07, 0x00, 0x00};
	/* stub failure: C1 00 */
	const guint8 stub_fail[] = {0x01, 0x03, 0x02, 0x00, 0, 0, 0, 0, 0xC1, 0x00};
	/* ROM32 MD5 reply: 32 hex chars then 4 status bytes */
	guint8 md5[8 + 36] = {0x01, 0x13, 36, 0x00};
	/* ROM rejection of an unsupported command, answered under another opcode */
	const guint8 reject[] = {0x01, 0x00, 0x04, 0x00, 0, 0, 0, 0, 0x01, 0x05, 0x00, 0x00};
	/* a reply that stops before its status */
	const guint8 shortr[] = {0x01, 0x13, 0x02, 0x00, 0, 0, 0, 0, 0x00, 0x00};

	g_assert_true(fk_packet_parse_response(rom32_ok, sizeof(rom32_ok), &resp));
	g_assert_cmphex(resp.value, ==, 0x00F01D83);
	g_assert_true(fk_response_check_status(&resp, FK_OP_READ_REG, 0, FK_LOADER_ROM32, &error));
	g_assert_no_error(error);

	g_assert_true(fk_packet_parse_response(rom32_fail, sizeof(rom32_fail), &resp));
	g_assert_false(fk_response_check_status(&resp, FK_OP_FLASH_DATA, 0, FK_LOADER_ROM32, &error));
	g_assert_error(error, FK_DEVICE_ERROR, FK_DEVICE_ERROR_BAD_CRC);
	g_clear_error(&error);

	g_assert_true(fk_packet_parse_response(stub_fail, sizeof(stub_fail), &resp));
	g_assert_false(fk_response_check_status(&resp, FK_OP_FLASH_DATA, 0, FK_LOADER_STUB, &error));
	g_assert_error(error, FK_DEVICE_ERROR, FK_DEVICE_ERROR_STUB_BAD_DATA_CHECKSUM);
	g_clear_error(&error);

	memset(md5 + 8, 'a', 32);
	g_assert_true(fk_packet_parse_response(md5, sizeof(md5), &resp));
	g_assert_true(fk_response_check_status(&resp, FK_OP_SPI_FLASH_MD5, 32, FK_LOADER_ROM32, &error));
	g_assert_no_error(error);

	g_assert_true(fk_packet_parse_response(reject, sizeof(reject), &resp));
	g_assert_true(fk_response_is_rejection(&resp));

	g_assert_true(fk_packet_parse_response(shortr, sizeof(shortr), &resp));
	g_assert_false(fk_response_check_status(&resp, FK_OP_SPI_FLASH_MD5, 16, FK_LOADER_STUB, &error));
	g_assert_error(error, FK_PROTOCOL_ERROR, FK_PROTOCOL_ERROR_SHORT_RESPONSE);

	/* not responses at all */
	g_assert_false(fk_packet_parse_response((const guint8 *)"OHAI", 4, &resp));
	g_assert_false(fk_packet_parse_response(stub_fail + 1, sizeof(stub_fail) - 1, &resp));
}

/* the facts sheet's worked examples of the ESP8266 ROM erase-size correction */
static void
test_esp8266_erase_size(void)
{
	g_assert_cmphex(fk_esp8266_rom_erase_size(0, 0x1000), ==, 0x1000);
	g_assert_cmphex(fk_esp8266_rom_erase_size(0, 0x10000), ==, 0x8000);
	g_assert_cmphex(fk_esp8266_rom_erase_size(0x10000, 0x100000), ==, 0xF0000);
	g_assert_cmphex(fk_esp8266_rom_erase_size(0, 0), ==, 0);
	/* 19 sectors from sector 33 cannot be erased exactly; 20 can; long spans always can */
	g_assert_false(fk_esp8266_rom_erase_is_exact(0x21000, 0x13000));
	g_assert_true(fk_esp8266_rom_erase_is_exact(0x21000, 0x14000));
	g_assert_true(fk_esp8266_rom_erase_is_exact(0x0, 0x100000));
	g_assert_true(fk_esp8266_rom_erase_is_exact(0x2F000, 0x3000));
}

static void
test_jedec_sizes(void)
{
	g_assert_cmpuint(fk_flash_size_from_jedec(0x1640EF), ==, 4 * 1024 * 1024);
	g_assert_cmpuint(fk_flash_size_from_jedec(0x1440C8), ==, 1024 * 1024);
	g_assert_cmpuint(fk_flash_size_from_jedec(0x3825C2), ==, 16 * 1024 * 1024);
	g_assert_cmpuint(fk_flash_size_from_jedec(0x00851F), ==, 1024 * 1024); /* Adesto id 5 */
	g_assert_cmpuint(fk_flash_size_from_jedec(0x5540EF), ==, 0);
	g_assert_true(fk_flash_jedec_is_bad(0xFFFFFF));
	g_assert_true(fk_flash_jedec_is_bad(0xFFFF3F));
	g_assert_false(fk_flash_jedec_is_bad(0x1640EF));
}

static void
test_chip_lookup(void)
{
	g_assert_cmpint(fk_chip_by_magic(0xFFF0C101)->family, ==, FK_CHIP_ESP8266);
	g_assert_cmpint(fk_chip_by_magic(0x00F01D83)->family, ==, FK_CHIP_ESP32);
	g_assert_cmpint(fk_chip_by_magic(0x1B31506F)->family, ==, FK_CHIP_ESP32C3);
	g_assert_null(fk_chip_by_magic(0x12345678));
	g_assert_cmpint(fk_chip_by_image_id(9)->family, ==, FK_CHIP_ESP32S3);
	g_assert_cmpint(fk_chip_by_image_id(5)->family, ==, FK_CHIP_ESP32C3);
	g_assert_cmpint(fk_chip_by_name("esp32-s3")->family, ==, FK_CHIP_ESP32S3);
	g_assert_cmpint(fk_chip_by_name("ESP32C3")->family, ==, FK_CHIP_ESP32C3);
	g_assert_cmpuint(fk_chip_by_name("esp32")->bootloader_offset, ==, 0x1000);
	g_assert_cmpuint(fk_chip_by_name("esp32c5")->bootloader_offset, ==, 0x2000);
	g_assert_cmpuint(fk_parse_size("1MB"), ==, 0x100000);
	g_assert_cmpuint(fk_parse_size("0x400000"), ==, 0x400000);
	g_assert_cmpuint(fk_parse_size("512KB"), ==, 0x80000);
	g_assert_cmpuint(fk_parse_size("lots"), ==, 0);
}

static void
test_spi_connection(void)
{
	guint32 v = 99;
	g_autoptr(GError) error = NULL;
	g_assert_true(fk_spi_connection_parse("SPI", &v, NULL));
	g_assert_cmphex(v, ==, 0);
	g_assert_true(fk_spi_connection_parse("hspi", &v, NULL));
	g_assert_cmphex(v, ==, 1);
	/* CLK,Q,D,HD,CS = 6,17,8,11,16 */
	g_assert_true(fk_spi_connection_parse("6,17,8,11,16", &v, NULL));
	g_assert_cmphex(v, ==, (11u << 24) | (16u << 18) | (8u << 12) | (17u << 6) | 6u);
	g_assert_false(fk_spi_connection_parse("6,17,8,11", &v, &error));
	g_assert_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	g_assert_false(fk_spi_connection_parse("6,17,8,11,40", &v, &error));
	g_assert_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT);
}

static void
test_timeouts(void)
{
	g_assert_cmpuint(fk_timeout_per_mb(FK_TIMEOUT_ERASE_PER_MB, 1000), ==, 3000);
	g_assert_cmpuint(fk_timeout_per_mb(FK_TIMEOUT_ERASE_PER_MB, 1000000), ==, 40000);
	g_assert_cmpuint(fk_timeout_per_mb(FK_TIMEOUT_ERASE_PER_MB, 16 * 1024 * 1024), ==, 240000);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/fk/protocol/sync-frame", test_sync_frame);
	g_test_add_func("/fk/protocol/read-reg-frame", test_read_reg_frame);
	g_test_add_func("/fk/protocol/flash-data-frame", test_flash_data_frame);
	g_test_add_func("/fk/protocol/slip-decode", test_slip_decode);
	g_test_add_func("/fk/protocol/slip-errors", test_slip_errors);
	g_test_add_func("/fk/protocol/status", test_status_decoding);
	g_test_add_func("/fk/protocol/esp8266-erase-size", test_esp8266_erase_size);
	g_test_add_func("/fk/protocol/jedec", test_jedec_sizes);
	g_test_add_func("/fk/protocol/chips", test_chip_lookup);
	g_test_add_func("/fk/protocol/timeouts", test_timeouts);
	g_test_add_func("/fk/protocol/spi-connection", test_spi_connection);
	return g_test_run();
}
