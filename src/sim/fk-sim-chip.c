/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the simulated chips' table (magic values, eFuses, RAM, boot text, revisions) and their
 * firmware-like initial flash; calls nothing else in the simulator */
#include "config.h"

#include <string.h>

#include "fk-error.h"
#include "fk-mem.h"
#include "fk-sim-private.h"

#define MB (1024 * 1024)

static const FkSimChip fk_sim_chips[] = {
    {
	.name = "esp8266",
	.title = "ESP8266",
	.rom = FK_SIM_ROM_8266,
	.default_size = 4 * MB,
	.magic = 0xFFF0C101,
	.chip_id = G_MAXUINT32,
	.security_info_len = 0,
	.bootloader_offset = 0x0,
	.mac_reg = 0x3FF00050,
	.spi_base = 0x60000200,
	.spi_new_layout = FALSE,
	.uart_clkdiv_reg = 0x60000014,
	.uart_clk_hz = 52000000, /* 26 MHz crystal, divider counts at twice that */
	.rom_log_baud = 74880,
	.ram = {{0x3FFE8000, 0x40000000}, {0x40100000, 0x40110000}},
	.oui = {0x5CCF7F, 0x600194, 0xA4CF12, 0x84F3EB},
	.boot_dram = 0x3FFE8000,
	.boot_iram = 0x40100000,
	.rom_banner = "\r\n ets Jan  8 2013,",
    },
    {
	.name = "esp8285",
	.title = "ESP8285",
	.rom = FK_SIM_ROM_8266,
	.default_size = 1 * MB,
	.magic = 0xFFF0C101,
	.chip_id = G_MAXUINT32,
	.security_info_len = 0,
	.bootloader_offset = 0x0,
	.mac_reg = 0x3FF00050,
	.spi_base = 0x60000200,
	.spi_new_layout = FALSE,
	.uart_clkdiv_reg = 0x60000014,
	.uart_clk_hz = 52000000,
	.rom_log_baud = 74880,
	.ram = {{0x3FFE8000, 0x40000000}, {0x40100000, 0x40110000}},
	.oui = {0x2CF432, 0xBCDDC2, 0x500291, 0xECFABC},
	.boot_dram = 0x3FFE8000,
	.boot_iram = 0x40100000,
	.rom_banner = "\r\n ets Jan  8 2013,",
    },
    {
	.name = "esp32",
	.title = "ESP32",
	.rom = FK_SIM_ROM_32,
	.default_size = 4 * MB,
	.magic = 0x00F01D83,
	.chip_id = 0,
	.security_info_len = 0,
	.bootloader_offset = 0x1000,
	.mac_reg = 0x3FF5A004,
	.spi_base = 0x3FF42000,
	.spi_new_layout = FALSE,
	.uart_clkdiv_reg = 0x3FF40014,
	.uart_clk_hz = 40000000,
	.rom_log_baud = 115200,
	.ram = {{0x3FFAE000, 0x40000000}, {0x40070000, 0x400C0000}},
	.oui = {0x246F28, 0x30AEA4, 0x240AC4, 0x84CCA8},
	.boot_dram = 0x3FFF0030,
	.boot_iram = 0x40078000,
	.app_drom = 0x3F400020,
	.app_irom = 0x400D0020,
	.app_dram = 0x3FFB0000,
	.app_iram = 0x40080000,
	.rom_banner = "ets Jun  8 2016 00:22:57\r\n\r\n",
	.boot_value_download = 0x3,
	.boot_value_flash = 0x13,
	.boot_name_download = "DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2)",
	.boot_name_flash = "SPI_FAST_FLASH_BOOT",
	.reset_name = "POWERON_RESET",
	.revision = 300,
    },
    {
	.name = "esp32s2",
	.title = "ESP32-S2",
	.rom = FK_SIM_ROM_32,
	.default_size = 4 * MB,
	.magic = 0x000007C6,
	.chip_id = 2,
	.security_info_len = 12,
	.bootloader_offset = 0x1000,
	.mac_reg = 0x3F41A044,
	.spi_base = 0x3F402000,
	.spi_new_layout = TRUE,
	.rom_log_baud = 115200,
	.ram = {{0x3FFB0000, 0x40000000}, {0x40020000, 0x40070000}},
	.oui = {0x7CDFA1, 0x84F703, 0x68B6B3, 0x7CDFA1},
	.boot_dram = 0x3FFE6100,
	.boot_iram = 0x4004C000,
	.app_drom = 0x3F000020,
	.app_irom = 0x40080020,
	.app_dram = 0x3FFBE000,
	.app_iram = 0x40022000,
	.rom_banner = "ESP-ROM:esp32s2-rc4-20191025\r\nBuild:Oct 25 2019\r\n",
	.boot_value_download = 0x0,
	.boot_value_flash = 0x8,
	.boot_name_download = "DOWNLOAD(USB/UART0/1)",
	.boot_name_flash = "SPI_FAST_FLASH_BOOT",
	.reset_name = "POWERON",
	.revision = 100,
	.rom_attaches_flash = TRUE,
	.rtc_wdt_config0 = 0x3F408094,
	.rtc_wdt_config1 = 0x3F408098,
	.rtc_wdt_wprotect = 0x3F4080AC,
	.rtc_wdt_reset_name = "RTCWDT_RTC_RST",
    },
    {
	.name = "esp32s3",
	.title = "ESP32-S3",
	.rom = FK_SIM_ROM_32,
	.default_size = 4 * MB,
	.magic = 0x00000009,
	.chip_id = 9,
	.security_info_len = 20,
	.bootloader_offset = 0x0,
	.mac_reg = 0x60007044,
	.spi_base = 0x60002000,
	.spi_new_layout = TRUE,
	.rom_log_baud = 115200,
	.ram = {{0x3FC88000, 0x3FD00000}, {0x40370000, 0x403E0000}},
	.oui = {0x348518, 0xF412FA, 0xDCDA0C, 0x7CDFA1},
	.boot_dram = 0x3FCE3808,
	.boot_iram = 0x403C9700,
	.app_drom = 0x3C000020,
	.app_irom = 0x42000020,
	.app_dram = 0x3FC90000,
	.app_iram = 0x40374000,
	.rom_banner = "ESP-ROM:esp32s3-20210327\r\nBuild:Mar 27 2021\r\n",
	.boot_value_download = 0x0,
	.boot_value_flash = 0x8,
	.boot_name_download = "DOWNLOAD(USB/UART0)",
	.boot_name_flash = "SPI_FAST_FLASH_BOOT",
	.reset_name = "POWERON",
	.revision = 2,
	.rtc_wdt_config0 = 0x60008098,
	.rtc_wdt_config1 = 0x6000809C,
	.rtc_wdt_wprotect = 0x600080B0,
	.rtc_wdt_reset_name = "RTCWDT_RTC_RST",
    },
    {
	.name = "esp32c3",
	.title = "ESP32-C3",
	.rom = FK_SIM_ROM_32,
	.default_size = 4 * MB,
	.magic = 0x6921506F,
	.chip_id = 5,
	.security_info_len = 20,
	.bootloader_offset = 0x0,
	.mac_reg = 0x60008844,
	.spi_base = 0x60002000,
	.spi_new_layout = TRUE,
	.rom_log_baud = 115200,
	.ram = {{0x3FC80000, 0x3FCE0000}, {0x4037C000, 0x403E0000}},
	.oui = {0x58CF79, 0x348518, 0x34B472, 0x6055F9},
	.boot_dram = 0x3FCD5820,
	.boot_iram = 0x403CC710,
	.app_drom = 0x3C000020,
	.app_irom = 0x42000020,
	.app_dram = 0x3FC8A000,
	.app_iram = 0x40380000,
	.rom_banner = "ESP-ROM:esp32c3-api1-20210207\r\nBuild:Feb  7 2021\r\n",
	.boot_value_download = 0x4,
	.boot_value_flash = 0xc,
	.boot_name_download = "DOWNLOAD(USB/UART1)",
	.boot_name_flash = "SPI_FAST_FLASH_BOOT",
	.reset_name = "POWERON",
	.revision = 4,
	.rtc_wdt_config0 = 0x60008090,
	.rtc_wdt_config1 = 0x60008094,
	.rtc_wdt_wprotect = 0x600080A8,
	.rtc_wdt_reset_name = "RTCWDT_RTC_RST",
    },
    {
	.name = "esp32c2",
	.title = "ESP32-C2",
	.rom = FK_SIM_ROM_32,
	.default_size = 4 * MB,
	.magic = 0x6F51306F,
	.chip_id = 12,
	.security_info_len = 20,
	.bootloader_offset = 0x0,
	.mac_reg = 0x60008840,
	.spi_base = 0x60002000,
	.spi_new_layout = TRUE,
	.uart_clkdiv_reg = 0x60000014,
	.uart_clk_hz = 40000000,
	.rom_log_baud = 115200,
	.ram = {{0x3FCA0000, 0x3FCE0000}, {0x4037C000, 0x403C0000}},
	.oui = {0x083A8D, 0x08F9E0, 0x10061C, 0x083A8D},
	.boot_dram = 0x3FCD5910,
	.boot_iram = 0x403AE000,
	.app_drom = 0x3C000020,
	.app_irom = 0x42000020,
	.app_dram = 0x3FCA2000,
	.app_iram = 0x40380000,
	.rom_banner = "ESP-ROM:esp8684-api2-20220127\r\nBuild:Jan 27 2022\r\n",
	.boot_value_download = 0x4,
	.boot_value_flash = 0xc,
	.boot_name_download = "DOWNLOAD(USB/UART0)",
	.boot_name_flash = "SPI_FAST_FLASH_BOOT",
	.reset_name = "POWERON",
	.revision = 100,
	.rtc_wdt_config0 = 0x60008084,
	.rtc_wdt_config1 = 0x60008088,
	.rtc_wdt_wprotect = 0x6000809C,
	.rtc_wdt_reset_name = "RTCWDT_RTC_RST",
    },
    {
	.name = "esp32c6",
	.title = "ESP32-C6",
	.rom = FK_SIM_ROM_32,
	.default_size = 4 * MB,
	.magic = 0x2CE0806F,
	.chip_id = 13,
	.security_info_len = 20,
	.bootloader_offset = 0x0,
	.mac_reg = 0x600B0844,
	.spi_base = 0x60003000,
	.spi_new_layout = TRUE,
	.rom_log_baud = 115200,
	.ram = {{0x40800000, 0x40880000}, {0x40800000, 0x40880000}},
	.oui = {0x404CCA, 0x543204, 0x40D4BD, 0x404CCA},
	.boot_dram = 0x4086C410,
	.boot_iram = 0x4086E610,
	.app_drom = 0x42800020,
	.app_irom = 0x42000020,
	.app_dram = 0x40810000,
	.app_iram = 0x40800000,
	.rom_banner = "ESP-ROM:esp32c6-20220919\r\nBuild:Sep 19 2022\r\n",
	.boot_value_download = 0x4,
	.boot_value_flash = 0xc,
	.boot_name_download = "DOWNLOAD(USB/UART/SDIO_REI_FEO)",
	.boot_name_flash = "SPI_FAST_FLASH_BOOT",
	.reset_name = "POWERON",
	.revision = 1,
	.rtc_wdt_config0 = 0x600B1C00,
	.rtc_wdt_config1 = 0x600B1C04,
	.rtc_wdt_wprotect = 0x600B1C18,
	.rtc_wdt_reset_name = "LP_WDT_SYS",
    },
};

const FkSimChip *
fk_sim_chip_get_all(guint *n_chips)
{
	*n_chips = G_N_ELEMENTS(fk_sim_chips);
	return fk_sim_chips;
}

const FkSimChip *
fk_sim_chip_find(const gchar *name)
{
	for (guint i = 0; i < G_N_ELEMENTS(fk_sim_chips); i++) {
		if (g_ascii_strcasecmp(fk_sim_chips[i].name, name) == 0)
			return &fk_sim_chips[i];
	}
	return NULL;
}

/* splitmix64: small, fast and the same everywhere */
guint64
fk_sim_rand_next(guint64 *state)
{
	guint64 z = (*state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* inclusive range */
guint32
fk_sim_rand_range(guint64 *state, guint32 lo, guint32 hi)
{
	guint64 span = (guint64)hi - lo + 1;
	return lo + (guint32)(fk_sim_rand_next(state) % span);
}

guint32
fk_sim_flash_jedec_id(gsize size)
{
	guint8 cap = 0x16;
	guint8 mfr = 0xEF; /* Winbond W25Qxx */
	guint8 type = 0x40;
	switch (size) {
	case 256 * 1024:
		cap = 0x12;
		break;
	case 512 * 1024:
		cap = 0x13;
		break;
	case 1 * MB:
		/* GigaDevice GD25Q80 */
		mfr = 0xC8;
		cap = 0x14;
		break;
	case 2 * MB:
		cap = 0x15;
		break;
	case 4 * MB:
		cap = 0x16;
		break;
	case 8 * MB:
		cap = 0x17;
		break;
	case 16 * MB:
		cap = 0x18;
		break;
	default:
		break;
	}
	return (guint32)mfr | ((guint32)type << 8) | ((guint32)cap << 16);
}

gint
fk_sim_flash_size_code(const FkSimChip *chip, gsize size)
{
	if (chip->rom == FK_SIM_ROM_8266) {
		switch (size) {
		case 512 * 1024:
			return 0x0;
		case 256 * 1024:
			return 0x1;
		case 1 * MB:
			return 0x2;
		case 2 * MB:
			return 0x3;
		case 4 * MB:
			return 0x4;
		case 8 * MB:
			return 0x8;
		case 16 * MB:
			return 0x9;
		default:
			return -1;
		}
	}
	switch (size) {
	case 1 * MB:
		return 0x0;
	case 2 * MB:
		return 0x1;
	case 4 * MB:
		return 0x2;
	case 8 * MB:
		return 0x3;
	case 16 * MB:
		return 0x4;
	default:
		return -1;
	}
}

gchar *
fk_sim_format_size(gsize size)
{
	if (size >= MB && size % MB == 0)
		return g_strdup_printf("%" G_GSIZE_FORMAT "MB", size / MB);
	if (size % 1024 == 0)
		return g_strdup_printf("%" G_GSIZE_FORMAT "KB", size / 1024);
	return g_strdup_printf("%" G_GSIZE_FORMAT "B", size);
}

gboolean
fk_sim_parse_size(const gchar *str, gsize *size, GError **error)
{
	gchar *end = NULL;
	guint64 val;
	guint64 mult = 1;

	val = g_ascii_strtoull(str, &end, 10);
	if (end == str) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_INVALID_ARGUMENT,
			    "cannot parse flash size '%s'",
			    str);
		return FALSE;
	}
	if (g_ascii_strcasecmp(end, "MB") == 0 || g_ascii_strcasecmp(end, "M") == 0)
		mult = MB;
	else if (g_ascii_strcasecmp(end, "KB") == 0 || g_ascii_strcasecmp(end, "K") == 0)
		mult = 1024;
	else if (*end != '\0' && g_ascii_strcasecmp(end, "B") != 0) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_INVALID_ARGUMENT,
			    "unknown size unit in '%s'",
			    str);
		return FALSE;
	}
	val *= mult;
	/* real SPI NOR parts: a power of two between 256 KB and 16 MB */
	if (val < 256 * 1024 || val > 16 * MB || (val & (val - 1)) != 0) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_INVALID_ARGUMENT,
			    "unsupported flash size '%s' (256KB to 16MB, a power of two)",
			    str);
		return FALSE;
	}
	*size = (gsize)val;
	return TRUE;
}

/* ---- initial flash content ---- */

/* code-like bytes: mostly recurring "instructions" from a small dictionary, some literals,
 * so that zlib compresses them about as well as real firmware */
static void
fk_sim_fill_code(guint8 *buf, gsize len, guint64 *rng)
{
	guint32 dict[64];
	gsize i = 0;
	for (guint j = 0; j < G_N_ELEMENTS(dict); j++)
		dict[j] = (guint32)fk_sim_rand_next(rng);
	while (i < len) {
		guint32 r = (guint32)fk_sim_rand_next(rng);
		guint8 tmp[4];
		gsize n;
		if ((r & 0x7) < 5)
			fk_memwrite_u32le(tmp, dict[(r >> 8) & 0x3F]);
		else if ((r & 0x7) == 5)
			fk_memwrite_u32le(tmp, 0);
		else
			fk_memwrite_u32le(tmp, (guint32)fk_sim_rand_next(rng));
		n = MIN(4, len - i);
		memcpy(buf + i, tmp, n);
		i += n;
	}
}

typedef struct {
	guint32 addr;
	gsize len;
	const guint8 *prefix; /* descriptor at the start of the segment, or NULL */
	gsize prefix_len;
} FkSimSegment;

/* builds an ESP firmware image; returns its length */
static gsize
fk_sim_build_image(const FkSimChip *chip,
		   guint8 *out,
		   gsize out_max,
		   gsize flash_size,
		   guint32 entry,
		   const FkSimSegment *segs,
		   guint n_segs,
		   guint64 *rng)
{
	gboolean ext = chip->rom == FK_SIM_ROM_32;
	gint size_code = fk_sim_flash_size_code(chip, flash_size);
	guint8 csum = 0xEF;
	gsize pos = 0;

	out[0] = 0xE9;
	out[1] = (guint8)n_segs;
	out[2] = ext ? 0x02 : 0x00; /* DIO for ESP32 family, QIO for ESP8266 */
	out[3] = (guint8)(((size_code < 0 ? 0 : size_code) << 4) | 0x0); /* 40 MHz */
	fk_memwrite_u32le(out + 4, entry);
	pos = 8;
	if (ext) {
		memset(out + 8, 0, 16);
		out[8] = 0xEE;
		fk_memwrite_u16le(out + 12, (guint16)chip->chip_id);
		out[14] = 0;
		fk_memwrite_u16le(out + 15, 0);
		fk_memwrite_u16le(out + 17, 0xFFFF);
		out[23] = 1; /* SHA-256 appended */
		pos = 24;
	}
	for (guint i = 0; i < n_segs; i++) {
		guint8 *data;
		if (pos + 8 + segs[i].len + 64 > out_max)
			break;
		fk_memwrite_u32le(out + pos, segs[i].addr);
		fk_memwrite_u32le(out + pos + 4, (guint32)segs[i].len);
		pos += 8;
		data = out + pos;
		fk_sim_fill_code(data, segs[i].len, rng);
		if (segs[i].prefix != NULL)
			memcpy(data, segs[i].prefix, MIN(segs[i].prefix_len, segs[i].len));
		for (gsize j = 0; j < segs[i].len; j++)
			csum ^= data[j];
		pos += segs[i].len;
	}
	while (pos % 16 != 15)
		out[pos++] = 0;
	out[pos++] = csum;
	if (ext) {
		g_autoptr(GChecksum) sha = g_checksum_new(G_CHECKSUM_SHA256);
		gsize dlen = 32;
		g_checksum_update(sha, out, pos);
		g_checksum_get_digest(sha, out + pos, &dlen);
		pos += 32;
	}
	return pos;
}

static void
fk_sim_put_str(guint8 *buf, gsize field_len, const gchar *str)
{
	memset(buf, 0, field_len);
	memcpy(buf, str, MIN(strlen(str), field_len));
}

static void
fk_sim_partition_entry(guint8 *e,
		       guint8 type,
		       guint8 subtype,
		       guint32 offset,
		       guint32 size,
		       const gchar *name)
{
	e[0] = 0xAA;
	e[1] = 0x50;
	e[2] = type;
	e[3] = subtype;
	fk_memwrite_u32le(e + 4, offset);
	fk_memwrite_u32le(e + 8, size);
	fk_sim_put_str(e + 12, 16, name);
	fk_memwrite_u32le(e + 28, 0);
}

static void
fk_sim_config_sector(guint8 *buf, const FkSimChip *chip, guint64 *rng)
{
	g_autofree gchar *text =
	    g_strdup_printf("{\"device\":\"%s\",\"ssid\":\"flashkeep-lab-%04x\","
			    "\"psk\":\"%08x\",\"boot_count\":%u,\"log_level\":3}\n",
			    chip->name,
			    fk_sim_rand_range(rng, 0, 0xFFFF),
			    (guint)fk_sim_rand_next(rng),
			    fk_sim_rand_range(rng, 1, 999));
	memcpy(buf, text, strlen(text));
}

static void
fk_sim_generate_esp32(const FkSimChip *chip, guint8 *buf, gsize size, guint64 *rng)
{
	guint8 boot_desc[80] = {0};
	guint8 app_desc[256] = {0};
	FkSimSegment boot_segs[3];
	FkSimSegment app_segs[4];
	guint8 *pt = buf + 0x8000;
	guint8 *e;
	guint32 app_size = size >= 2 * MB ? 0x100000 : 0xC0000;
	guint32 storage_off = 0x10000 + app_size;
	guint n = 0;
	g_autoptr(GChecksum) md5 = g_checksum_new(G_CHECKSUM_MD5);
	gsize dlen = 16;

	/* second-stage bootloader */
	boot_desc[0] = 0x50;
	fk_memwrite_u32le(boot_desc + 4, 1);
	fk_sim_put_str(boot_desc + 8, 32, "v5.1.2");
	fk_sim_put_str(boot_desc + 40, 24, "Jan 12 2024 10:31:07");
	boot_segs[0] = (FkSimSegment){chip->boot_dram, 0x0A00 + fk_sim_rand_range(rng, 0, 0x3F) * 4,
				      boot_desc, sizeof(boot_desc)};
	boot_segs[1] = (FkSimSegment){chip->boot_iram, 0x3400 + fk_sim_rand_range(rng, 0, 0xFF) * 4,
				      NULL, 0};
	boot_segs[2] = (FkSimSegment){chip->boot_iram + 0x3A00,
				      0x1200 + fk_sim_rand_range(rng, 0, 0xFF) * 4,
				      NULL,
				      0};
	fk_sim_build_image(chip,
			   buf + chip->bootloader_offset,
			   0x8000 - chip->bootloader_offset,
			   size,
			   chip->boot_iram + 0x5C4,
			   boot_segs,
			   G_N_ELEMENTS(boot_segs),
			   rng);

	/* partition table */
	e = pt;
	fk_sim_partition_entry(e, 0x01, 0x02, 0x9000, 0x6000, "nvs");
	e += 32;
	fk_sim_partition_entry(e, 0x01, 0x01, 0xF000, 0x1000, "phy_init");
	e += 32;
	fk_sim_partition_entry(e, 0x00, 0x00, 0x10000, app_size, "factory");
	e += 32;
	fk_sim_partition_entry(e, 0x01, 0x82, storage_off, (guint32)size - storage_off, "storage");
	e += 32;
	g_checksum_update(md5, pt, (gssize)(e - pt));
	e[0] = 0xEB;
	e[1] = 0xEB;
	memset(e + 2, 0xFF, 14);
	g_checksum_get_digest(md5, e + 16, &dlen);

	/* NVS: one active page with a few entries */
	fk_memwrite_u32le(buf + 0x9000, 0xFFFFFFFE);
	fk_memwrite_u32le(buf + 0x9004, 0);
	buf[0x9008] = 0xFE;
	fk_sim_fill_code(buf + 0x9020, 0x200, rng);

	/* application */
	fk_memwrite_u32le(app_desc, 0xABCD5432);
	fk_sim_put_str(app_desc + 16, 32, "1.4.2");
	fk_sim_put_str(app_desc + 48, 32, "flashkeep-demo");
	fk_sim_put_str(app_desc + 80, 16, "10:31:07");
	fk_sim_put_str(app_desc + 96, 16, "Jan 12 2024");
	fk_sim_put_str(app_desc + 112, 32, "v5.1.2");
	for (guint i = 0; i < 32; i++)
		app_desc[144 + i] = (guint8)fk_sim_rand_next(rng);
	app_desc[180] = 16;
	app_segs[n++] = (FkSimSegment){chip->app_drom,
				       0x8000 + fk_sim_rand_range(rng, 0, 0x3FF) * 16,
				       app_desc,
				       sizeof(app_desc)};
	app_segs[n++] = (FkSimSegment){chip->app_dram, 0x2000 + fk_sim_rand_range(rng, 0, 0xFF) * 4,
				       NULL, 0};
	app_segs[n++] = (FkSimSegment){chip->app_irom,
				       0x14000 + fk_sim_rand_range(rng, 0, 0xFFF) * 16,
				       NULL,
				       0};
	app_segs[n++] = (FkSimSegment){chip->app_iram, 0x6000 + fk_sim_rand_range(rng, 0, 0xFF) * 4,
				       NULL, 0};
	fk_sim_build_image(chip,
			   buf + 0x10000,
			   app_size,
			   size,
			   chip->app_irom + 0x1000,
			   app_segs,
			   n,
			   rng);

	/* configuration kept by the application at the end of the storage partition */
	fk_sim_config_sector(buf + size - 0x2000, chip, rng);
	fk_sim_fill_code(buf + size - 0x1000, 0x180, rng);
}

static void
fk_sim_generate_esp8266(const FkSimChip *chip, guint8 *buf, gsize size, guint64 *rng)
{
	FkSimSegment segs[3];
	gsize irom_len = MIN(0x38000 + fk_sim_rand_range(rng, 0, 0x3FFF) * 4, size / 3);
	static const guint8 init_data[] = {
	    0x05, 0x00, 0x04, 0x02, 0x05, 0x05, 0x05, 0x02, 0x05, 0x00, 0x04, 0x05, 0x05, 0x04,
	    0x05, 0x05, 0x04, 0xFE, 0xFD, 0xFF, 0xF0, 0xF0, 0xF0, 0xE0, 0xE0, 0xE0, 0xE1, 0x0A,
	    0xFF, 0xFF, 0xF8, 0x00, 0xF8, 0xF8, 0x4E, 0x52, 0x4A, 0x44, 0x40, 0x38, 0x00, 0x00,
	    0x01, 0x01, 0x02, 0x03, 0x04, 0x05, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};

	/* NONOS-style layout: image with the RAM segments at 0x0, IROM code at 0x10000 */
	segs[0] = (FkSimSegment){chip->boot_iram, 0x6000 + fk_sim_rand_range(rng, 0, 0x3FF) * 4,
				 NULL, 0};
	segs[1] = (FkSimSegment){chip->boot_dram, 0x400 + fk_sim_rand_range(rng, 0, 0xFF) * 4, NULL,
				 0};
	segs[2] = (FkSimSegment){chip->boot_dram + 0x1000, 0x600 + fk_sim_rand_range(rng, 0, 0xFF) * 4,
				 NULL, 0};
	fk_sim_build_image(chip,
			   buf,
			   0x10000,
			   size,
			   chip->boot_iram + 0x4,
			   segs,
			   G_N_ELEMENTS(segs),
			   rng);
	fk_sim_fill_code(buf + 0x10000, irom_len, rng);

	/* RF calibration, PHY init data and SDK system parameters near the end */
	fk_sim_fill_code(buf + size - 0x5000, 0x80, rng);
	memcpy(buf + size - 0x4000, init_data, sizeof(init_data));
	buf[size - 0x4000 + 107] = 0x00;
	fk_memwrite_u32le(buf + size - 0x3000, 0x00000001);
	fk_sim_config_sector(buf + size - 0x3000 + 0x10, chip, rng);
	fk_memwrite_u32le(buf + size - 0x1000, 0x00000001);
}

void
fk_sim_flash_generate(const FkSimChip *chip, guint8 *buf, gsize size, guint64 seed)
{
	guint64 rng = seed ^ g_str_hash(chip->name) ^ ((guint64)size << 20);
	memset(buf, 0xFF, size);
	if (size < 256 * 1024)
		return;
	if (chip->rom == FK_SIM_ROM_8266)
		fk_sim_generate_esp8266(chip, buf, size, &rng);
	else
		fk_sim_generate_esp32(chip, buf, size, &rng);
}
