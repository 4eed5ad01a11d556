/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the chip table (families, magic values, image ids, RAM ranges, flash size and frequency
 * codes) and the JEDEC size decoding; calls nothing else in the engine */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "fk-chip.h"
#include "fk-error.h"

#define KiB 1024u
#define MiB (1024u * 1024u)

/* facts: per-chip table (magic values, chip ids, bootloader offsets, eFuse and SPI bases).
 * RAM ranges: esptool's MEMORY_MAP (esptool/targets/<chip>.py, "IRAM"/"DIRAM_IRAM" and
 * "DRAM"/"DIRAM_DRAM"; H2 and H21 inherit the C6's). The ESP8266 range is wider than esptool's
 * 32 KiB "IRAM": the ROM loader runs with the cache off, so the 32 KiB above it is IRAM too,
 * and that is where Espressif's stub puts its code (0x4010C500). */
static const FkChipInfo chips[] = {
    {FK_CHIP_ESP8266, "ESP8266", "esp8266", {0xFFF0C101}, -1, 0x0, 0x3FF00050, 0x60000200,
     FK_SPI_LAYOUT_ESP8266, 0x60000014, 2, 0, FALSE, FALSE,
     0x40100000, 0x40110000, 0x3FFE8000, 0x40000000},
    {FK_CHIP_ESP32, "ESP32", "esp32", {0x00F01D83}, 0, 0x1000, 0x3FF5A004, 0x3FF42000,
     FK_SPI_LAYOUT_ESP32, 0x3FF40014, 1, 0, FALSE, FALSE,
     0x40080000, 0x400BFFFC, 0x3FFAE000, 0x40000000},
    {FK_CHIP_ESP32S2, "ESP32-S2", "esp32s2", {0x000007C6}, 2, 0x1000, 0x3F41A044, 0x3F402000,
     FK_SPI_LAYOUT_LATER, 0, 1, 40, FALSE, FALSE,
     0x40020000, 0x40070000, 0x3FFB0000, 0x40000000},
    {FK_CHIP_ESP32S3, "ESP32-S3", "esp32s3", {0x00000009}, 9, 0x0, 0x60007044, 0x60002000,
     FK_SPI_LAYOUT_LATER, 0, 1, 40, TRUE, TRUE,
     0x40370000, 0x403E0000, 0x3FC88000, 0x3FD00000},
    {FK_CHIP_ESP32C3, "ESP32-C3", "esp32c3", {0x6921506F, 0x1B31506F, 0x4881606F, 0x4361606F}, 5,
     0x0, 0x60008844, 0x60002000, FK_SPI_LAYOUT_LATER, 0, 1, 40, TRUE, FALSE,
     0x4037C000, 0x403E0000, 0x3FC80000, 0x3FCE0000},
    {FK_CHIP_ESP32C2, "ESP32-C2", "esp32c2", {0x6F51306F, 0x7C41A06F, 0x0C21E06F}, 12, 0x0,
     0x60008840, 0x60002000, FK_SPI_LAYOUT_LATER, 0x60000014, 1, 0, FALSE, FALSE,
     0x4037C000, 0x403C0000, 0x3FCA0000, 0x3FCE0000},
    {FK_CHIP_ESP32C6, "ESP32-C6", "esp32c6", {0x2CE0806F}, 13, 0x0, 0x600B0844, 0x60003000,
     FK_SPI_LAYOUT_LATER, 0, 1, 40, TRUE, FALSE,
     0x40800000, 0x40880000, 0x40800000, 0x40880000},
    {FK_CHIP_ESP32C61, "ESP32-C61", "esp32c61", {0x33F0206F, 0x2421606F}, 20, 0x0, 0x600B4844,
     0x60003000, FK_SPI_LAYOUT_LATER, 0, 1, 40, TRUE, TRUE,
     0x40800000, 0x40860000, 0x40800000, 0x40860000},
    {FK_CHIP_ESP32C5, "ESP32-C5", "esp32c5", {0x1101406F, 0x63E1406F}, 23, 0x2000, 0x600B4844,
     0x60003000, FK_SPI_LAYOUT_LATER, 0x60000014, 1, 0, TRUE, TRUE,
     0x40800000, 0x40860000, 0x40800000, 0x40860000},
    {FK_CHIP_ESP32H2, "ESP32-H2", "esp32h2", {0xD7B73E80}, 16, 0x0, 0x600B0844, 0x60003000,
     FK_SPI_LAYOUT_LATER, 0, 1, 32, TRUE, FALSE,
     0x40800000, 0x40880000, 0x40800000, 0x40880000},
    {FK_CHIP_ESP32H21, "ESP32-H21", NULL, {0}, 25, 0x0, 0x600B4044, 0x60003000,
     FK_SPI_LAYOUT_LATER, 0, 1, 32, TRUE, FALSE,
     0x40800000, 0x40880000, 0x40800000, 0x40880000},
    {FK_CHIP_ESP32H4, "ESP32-H4", "esp32h4", {0}, 28, 0x2000, 0x600B1844, 0x60099000,
     FK_SPI_LAYOUT_LATER, 0, 1, 32, TRUE, FALSE,
     0x40810000, 0x40860000, 0x40810000, 0x40860000},
    {FK_CHIP_ESP32P4, "ESP32-P4", "esp32p4", {0x00000000, 0x0ADDBAD0}, 18, 0x2000, 0x5012D044,
     0x5008D000, FK_SPI_LAYOUT_LATER, 0, 1, 40, TRUE, TRUE,
     0x4FF00000, 0x4FFA0000, 0x4FF00000, 0x4FFA0000},
    {FK_CHIP_ESP32S31, "ESP32-S31", "esp32s31", {0}, 32, 0x2000, 0x20715050, 0x20501000,
     FK_SPI_LAYOUT_LATER, 0, 1, 40, TRUE, TRUE,
     0x2F000000, 0x2F080000, 0x2F000000, 0x2F080000},
    {FK_CHIP_ESP32E22, "ESP32-E22", NULL, {0}, 31, 0x0, 0xC4008044, 0xC3003000,
     FK_SPI_LAYOUT_LATER, 0xC3102014, 1, 0, FALSE, FALSE,
     0x30FE0000, 0x31200000, 0x31000000, 0x31200000},
};

const FkChipInfo *
fk_chip_list(guint *n_chips)
{
	if (n_chips != NULL)
		*n_chips = G_N_ELEMENTS(chips);
	return chips;
}

const FkChipInfo *
fk_chip_by_family(FkChipFamily family)
{
	for (guint i = 0; i < G_N_ELEMENTS(chips); i++) {
		if (chips[i].family == family)
			return &chips[i];
	}
	return NULL;
}

const FkChipInfo *
fk_chip_by_magic(guint32 magic)
{
	for (guint i = 0; i < G_N_ELEMENTS(chips); i++) {
		/* a zero magic only means something for the P4, which is found by chip id */
		for (guint j = 0; j < G_N_ELEMENTS(chips[i].magic); j++) {
			if (chips[i].magic[j] == 0)
				break;
			if (chips[i].magic[j] == magic)
				return &chips[i];
		}
	}
	return NULL;
}

const FkChipInfo *
fk_chip_by_image_id(guint32 chip_id)
{
	for (guint i = 0; i < G_N_ELEMENTS(chips); i++) {
		if (chips[i].image_chip_id >= 0 && (guint32)chips[i].image_chip_id == chip_id)
			return &chips[i];
	}
	return NULL;
}

gboolean
fk_chip_ram_contains(const FkChipInfo *chip, FkChipRam ram, guint32 addr, gsize len)
{
	guint32 start = ram == FK_CHIP_RAM_INSTRUCTION ? chip->iram_start : chip->dram_start;
	guint32 end = ram == FK_CHIP_RAM_INSTRUCTION ? chip->iram_end : chip->dram_end;
	/* in 64 bits: a segment near the top of the address space must not wrap round */
	return addr >= start && (guint64)addr + len <= end;
}

static gchar *
fk_chip_normalize_name(const gchar *name)
{
	GString *str = g_string_new(NULL);
	for (const gchar *p = name; *p != '\0'; p++) {
		if (*p == '-' || *p == '_')
			continue;
		g_string_append_c(str, g_ascii_tolower(*p));
	}
	return g_string_free(str, FALSE);
}

const FkChipInfo *
fk_chip_by_name(const gchar *name)
{
	g_autofree gchar *want = NULL;
	if (name == NULL)
		return NULL;
	want = fk_chip_normalize_name(name);
	for (guint i = 0; i < G_N_ELEMENTS(chips); i++) {
		g_autofree gchar *have = fk_chip_normalize_name(chips[i].name);
		if (g_strcmp0(want, have) == 0)
			return &chips[i];
	}
	/* the ESP8285 is an ESP8266 with flash in the package */
	if (g_strcmp0(want, "esp8285") == 0)
		return fk_chip_by_family(FK_CHIP_ESP8266);
	return NULL;
}

gboolean
fk_flash_jedec_is_bad(guint32 id)
{
	id &= 0xFFFFFF;
	return id == 0xFFFFFF || id == 0x000000 || id == 0xFFFF3F;
}

gsize
fk_flash_size_from_jedec(guint32 id)
{
	guint8 manufacturer = id & 0xFF;
	guint8 capacity = (id >> 16) & 0xFF;

	if (fk_flash_jedec_is_bad(id))
		return 0;
	if (manufacturer == 0x1F) {
		/* Adesto encodes the size in the device id */
		switch ((id >> 8) & 0x1F) {
		case 4:
			return 512 * KiB;
		case 5:
			return 1 * MiB;
		case 6:
			return 2 * MiB;
		case 7:
			return 4 * MiB;
		case 8:
			return 8 * MiB;
		case 9:
			return 16 * MiB;
		default:
			return 0;
		}
	}
	switch (capacity) {
	case 0x12:
	case 0x32:
		return 256 * KiB;
	case 0x13:
	case 0x33:
		return 512 * KiB;
	case 0x14:
	case 0x34:
		return 1 * MiB;
	case 0x15:
	case 0x35:
		return 2 * MiB;
	case 0x16:
	case 0x36:
		return 4 * MiB;
	case 0x17:
	case 0x37:
		return 8 * MiB;
	case 0x18:
	case 0x38:
		return 16 * MiB;
	case 0x19:
	case 0x39:
		return 32 * MiB;
	case 0x1A:
	case 0x3A:
	case 0x20:
		return 64 * MiB;
	case 0x1B:
	case 0x21:
		return 128 * MiB;
	case 0x1C:
	case 0x22:
		return 256 * MiB;
	default:
		return 0;
	}
}

const gchar *
fk_flash_manufacturer_name(guint8 manufacturer)
{
	switch (manufacturer) {
	case 0xEF:
		return "Winbond";
	case 0xC8:
		return "GigaDevice";
	case 0x20:
		return "XMC";
	case 0x68:
		return "Boya";
	case 0x85:
		return "Puya";
	case 0x5E:
		return "Zbit";
	case 0x1C:
		return "EON";
	case 0xC2:
		return "Macronix";
	case 0x0B:
		return "XTX";
	case 0x1F:
		return "Adesto";
	case 0x9D:
		return "ISSI";
	case 0xA1:
		return "Fudan";
	default:
		return NULL;
	}
}

static const gsize sizes_esp8266[16] = {512 * KiB, 256 * KiB, 1 * MiB, 2 * MiB, 4 * MiB, 0, 0,
					0,	   8 * MiB,   16 * MiB};
static const gsize sizes_esp32[16] = {1 * MiB,	2 * MiB,  4 * MiB,  8 * MiB,
				      16 * MiB, 32 * MiB, 64 * MiB, 128 * MiB};

gint
fk_chip_flash_size_code(const FkChipInfo *chip, gsize size)
{
	const gsize *table = chip->family == FK_CHIP_ESP8266 ? sizes_esp8266 : sizes_esp32;
	for (guint i = 0; i < 16; i++) {
		if (table[i] == size && size != 0)
			return (gint)i;
	}
	return -1;
}

gsize
fk_chip_flash_size_from_code(const FkChipInfo *chip, guint code)
{
	const gsize *table = chip->family == FK_CHIP_ESP8266 ? sizes_esp8266 : sizes_esp32;
	if (code >= 16)
		return 0;
	/* 2MB-c1 and 4MB-c1 are layout variants of the same sizes */
	if (chip->family == FK_CHIP_ESP8266 && code == 5)
		return 2 * MiB;
	if (chip->family == FK_CHIP_ESP8266 && code == 6)
		return 4 * MiB;
	return table[code];
}

typedef struct {
	const gchar *name;
	guint code;
} FkFreqCode;

static const FkFreqCode *
fk_chip_freq_table(const FkChipInfo *chip)
{
	static const FkFreqCode def[] = {
	    {"40m", 0x0}, {"26m", 0x1}, {"20m", 0x2}, {"80m", 0xF}, {NULL, 0}};
	static const FkFreqCode c2[] = {
	    {"30m", 0x0}, {"20m", 0x1}, {"15m", 0x2}, {"60m", 0xF}, {NULL, 0}};
	static const FkFreqCode h2[] = {
	    {"24m", 0x0}, {"16m", 0x1}, {"12m", 0x2}, {"48m", 0xF}, {NULL, 0}};
	static const FkFreqCode c5[] = {{"40m", 0x0}, {"20m", 0x2}, {"80m", 0xF}, {NULL, 0}};
	static const FkFreqCode c6[] = {{"80m", 0x0}, {"40m", 0x0}, {"20m", 0x2}, {NULL, 0}};
	switch (chip->family) {
	case FK_CHIP_ESP32C2:
		return c2;
	case FK_CHIP_ESP32H2:
	case FK_CHIP_ESP32H21:
	case FK_CHIP_ESP32H4:
		return h2;
	case FK_CHIP_ESP32C5:
	case FK_CHIP_ESP32C61:
	case FK_CHIP_ESP32S31:
		return c5;
	case FK_CHIP_ESP32C6:
		return c6;
	case FK_CHIP_UNKNOWN:
	case FK_CHIP_ESP8266:
	case FK_CHIP_ESP32:
	case FK_CHIP_ESP32S2:
	case FK_CHIP_ESP32S3:
	case FK_CHIP_ESP32C3:
	case FK_CHIP_ESP32P4:
	case FK_CHIP_ESP32E22:
	default:
		return def;
	}
}

gint
fk_chip_flash_freq_code(const FkChipInfo *chip, const gchar *freq)
{
	const FkFreqCode *table = fk_chip_freq_table(chip);
	for (guint i = 0; table[i].name != NULL; i++) {
		if (g_ascii_strcasecmp(table[i].name, freq) == 0)
			return (gint)table[i].code;
	}
	return -1;
}

const gchar *
fk_chip_flash_freq_name(const FkChipInfo *chip, guint code)
{
	const FkFreqCode *table = fk_chip_freq_table(chip);
	for (guint i = 0; table[i].name != NULL; i++) {
		if (table[i].code == code)
			return table[i].name;
	}
	return NULL;
}

gsize
fk_parse_size(const gchar *text)
{
	gchar *end = NULL;
	guint64 value;
	if (text == NULL || text[0] == '\0')
		return 0;
	if (g_ascii_strncasecmp(text, "0x", 2) == 0) {
		if (!g_ascii_isxdigit(text[2]))
			return 0;
		errno = 0;
		value = g_ascii_strtoull(text + 2, &end, 16);
		if (errno == ERANGE || *end != '\0' || value > G_MAXSIZE)
			return 0;
		return (gsize)value;
	}
	/* digits only: strtoull would also take "-1" (as 2^64 - 1) and " 12" */
	if (!g_ascii_isdigit(text[0]))
		return 0;
	errno = 0;
	value = g_ascii_strtoull(text, &end, 10);
	if (errno == ERANGE)
		return 0;
	if (*end == '\0')
		return value <= G_MAXSIZE ? (gsize)value : 0;
	/* a multiplied size that overflows would come back small and plausible */
	if (g_ascii_strcasecmp(end, "MB") == 0 || g_ascii_strcasecmp(end, "M") == 0 ||
	    g_ascii_strcasecmp(end, "MiB") == 0)
		return value <= G_MAXSIZE / MiB ? (gsize)(value * MiB) : 0;
	if (g_ascii_strcasecmp(end, "KB") == 0 || g_ascii_strcasecmp(end, "K") == 0 ||
	    g_ascii_strcasecmp(end, "KiB") == 0)
		return value <= G_MAXSIZE / KiB ? (gsize)(value * KiB) : 0;
	return 0;
}

gchar *
fk_format_size(gsize size)
{
	if (size >= MiB && size % MiB == 0)
		return g_strdup_printf("%" G_GSIZE_FORMAT " MB", size / MiB);
	if (size >= KiB && size % KiB == 0)
		return g_strdup_printf("%" G_GSIZE_FORMAT " KB", size / KiB);
	return g_strdup_printf("%" G_GSIZE_FORMAT " bytes", size);
}

gboolean
fk_spi_connection_parse(const gchar *text, guint32 *value, GError **error)
{
	g_auto(GStrv) pins = NULL;
	guint32 p[5];
	if (g_ascii_strcasecmp(text, "SPI") == 0) {
		*value = 0;
		return TRUE;
	}
	if (g_ascii_strcasecmp(text, "HSPI") == 0) {
		*value = 1;
		return TRUE;
	}
	pins = g_strsplit(text, ",", -1);
	if (g_strv_length(pins) != 5) {
		g_set_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
			    "The SPI connection takes SPI, HSPI or five pin numbers CLK,Q,D,HD,CS (got “%s”)", text);
		return FALSE;
	}
	for (guint i = 0; i < 5; i++) {
		guint64 v = 0;
		if (!g_ascii_string_to_unsigned(g_strstrip(pins[i]), 10, 0, 33, &v, NULL)) {
			g_set_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
				    "“%s” is not a GPIO number (0 to 33)", pins[i]);
			return FALSE;
		}
		p[i] = (guint32)v;
	}
	/* CLK,Q,D,HD,CS packed as HD<<24 | CS<<18 | D<<12 | Q<<6 | CLK */
	*value = (p[3] << 24) | (p[4] << 18) | (p[2] << 12) | (p[1] << 6) | p[0];
	return TRUE;
}
