/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "fk-chip.h"
#include "fk-image.h"

G_BEGIN_DECLS

/* what a flash dump (or a single boot/app image) holds, for someone who finds it months later.
 * Every field is read with bounds checks: a damaged dump gives a description with warnings.
 * The type is not called FkImageInfo: that name is fk_image_inspect()'s (fk-image.h). */

#define FK_IMAGE_INFO_MAX_SEGMENTS 16

typedef struct {
	guint32 load_address;
	guint32 file_offset; /* of the data, in the dump */
	guint32 length;
} FkImageInfoSegment;

/* one ESP boot image (bootloader or app) found in the dump */
typedef struct {
	gboolean found; /* a header with the 0xE9 (or ESP8266 v2 0xEA) magic */
	guint32 offset;
	FkImageHeader header;
	const FkChipInfo *chip; /* named by the extended header, NULL when it names none */
	guint n_segments;	/* segments whose headers lie inside the data */
	FkImageInfoSegment segments[FK_IMAGE_INFO_MAX_SEGMENTS];
	gboolean complete; /* every segment and the checksum byte are inside the data */
	gsize length;	   /* header to checksum byte, plus the digest when appended; 0 if incomplete */
	gboolean checksum_ok;
	gboolean sha256_present; /* appended and inside the data */
	gboolean sha256_ok;
	gsize flash_size; /* the header's size code, 0 when unknown */
} FkImageInfoImage;

/* esp_app_desc_t at the start of an app's first segment */
typedef struct {
	gboolean found;
	guint32 secure_version;
	gchar version[33];
	gchar project_name[33];
	gchar time[17];
	gchar date[17];
	gchar idf_ver[33];
} FkImageInfoAppDesc;

/* the second-stage bootloader's descriptor at the start of its first segment */
typedef struct {
	gboolean found;
	guint32 version;
	gchar idf_ver[33];
	gchar date_time[25];
} FkImageInfoBootDesc;

typedef enum {
	FK_FIRMWARE_NOT_RECOGNISED,
	FK_FIRMWARE_TASMOTA,
	FK_FIRMWARE_ESPHOME,
	FK_FIRMWARE_ESPURNA,
	FK_FIRMWARE_NODEMCU,
	FK_FIRMWARE_ARDUINO,
} FkFirmwareKind;

/* which known firmware an app is, from its own marker strings */
typedef struct {
	FkFirmwareKind kind;
	guint32 marker_offset; /* where the marker is, in the dump */
	gchar version[33];     /* "" when the image does not print one */
} FkImageInfoFirmware;

typedef struct {
	guint32 offset;
	guint32 length;
} FkImageInfoRegion;

typedef struct {
	gchar label[17];
	guint8 type;
	guint8 subtype;
	guint32 offset;
	guint32 size;
	guint32 flags;
	gboolean inside; /* entirely inside the dump */
	gboolean erased; /* the part inside the dump is all 0xFF */
	/* app partitions */
	FkImageInfoImage image;
	FkImageInfoAppDesc app;
	FkImageInfoFirmware firmware;
	/* data partitions */
	gboolean littlefs; /* a LittleFS superblock, whatever the subtype says */
} FkImageInfoPartition;

#define FK_PARTITION_TYPE_APP 0x00
#define FK_PARTITION_TYPE_DATA 0x01
/* the most an ESP-IDF partition table takes, from its offset (0x8000 unless moved) */
#define FK_PARTITION_TABLE_LEN 0xC00u

/* the ESP-IDF partition table and the OTA selection it leads to */
typedef struct {
	gboolean found;
	guint32 offset;
	GArray *partitions; /* FkImageInfoPartition, in table order */
	gboolean md5_present;
	gboolean md5_ok;
	/* otadata */
	gint otadata;	 /* index in partitions, -1 when there is none */
	guint32 ota_seq[2];
	guint32 ota_state[2];
	gboolean ota_valid[2];
	guint n_ota_apps;
	gint ota_slot; /* from the winning entry, -1 when no entry is valid */
	gint boot_app; /* index of the app partition the bootloader starts, -1 if none */
} FkImageInfoTable;

typedef enum {
	FK_ESP8266_LAYOUT_UNKNOWN,
	FK_ESP8266_LAYOUT_NONOS,	 /* one image at 0x0, IROM code at 0x10000 or 0x40000 */
	FK_ESP8266_LAYOUT_ARDUINO,	 /* a small bootloader (eboot) at 0x0, the app at 0x1000 */
	FK_ESP8266_LAYOUT_ESPRESSIF_OTA, /* boot.bin at 0x0, user1.bin (v2 image) at 0x1000 */
	FK_ESP8266_LAYOUT_RBOOT,	 /* rBoot at 0x0, its config at 0x1000, ROMs after */
} FkEsp8266Layout;

/* the areas the ESP8266 SDK keeps at the end of the flash */
typedef enum {
	FK_SDK_AREA_RF_CAL,
	FK_SDK_AREA_PHY_INIT,
	FK_SDK_AREA_SYSTEM_PARAMS,
	FK_SDK_AREA_PARAM_FLAG,
	FK_SDK_AREA_N,
} FkSdkArea;

typedef struct {
	guint32 offset;
	guint32 length;
	gboolean inside;
	gboolean erased;
} FkImageInfoSdkArea;

typedef struct {
	FkEsp8266Layout layout;
	FkImageInfoImage app; /* the app image (for NONOS the image at 0x0) */
	guint32 irom_offset;  /* NONOS: where the IROM code starts, 0 if none */
	gint rboot_rom;	      /* rBoot's current ROM, -1 when unknown */
	FkImageInfoSdkArea sdk[FK_SDK_AREA_N];
	FkImageInfoFirmware firmware;
} FkImageInfoEsp8266;

typedef enum {
	FK_DUMP_UNKNOWN,    /* nothing recognised */
	FK_DUMP_ERASED,	    /* every byte 0xFF */
	FK_DUMP_PARTITIONED, /* an ESP-IDF flash: bootloader and/or partition table */
	FK_DUMP_ESP8266,    /* an ESP8266 flash: a boot image at 0x0 and no partition table */
	FK_DUMP_APP_IMAGE,  /* one ESP32-family app image (it has an app descriptor) */
	FK_DUMP_BOOT_IMAGE, /* one boot image, not a whole flash */
} FkDumpKind;

typedef struct {
	gsize size;
	FkDumpKind kind;
	const FkChipInfo *chip; /* the chip the dump is for, NULL when unknown */
	FkImageInfoImage boot;	/* the bootloader (ESP32 family) or the image at 0x0 */
	FkImageInfoBootDesc boot_desc;
	FkImageInfoTable table;
	FkImageInfoEsp8266 esp8266;	/* FK_DUMP_ESP8266 */
	FkImageInfoAppDesc app;		/* FK_DUMP_APP_IMAGE */
	FkImageInfoFirmware firmware;	/* FK_DUMP_APP_IMAGE */
	GArray *erased_regions;		/* FkImageInfoRegion: 0xFF runs of 64 KB and more */
	gsize erased_bytes;		/* in 4 KB sectors that are all 0xFF */
	GPtrArray *warnings;		/* gchar*: what is damaged or does not add up */
} FkImageDescription;

/* describes @data (a whole flash dump or one image); never fails */
FkImageDescription *
fk_image_info_describe(const guint8 *data, gsize len);
void
fk_image_description_free(FkImageDescription *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FkImageDescription, fk_image_description_free)

/* a few lines per part, for the terminal */
gchar *
fk_image_info_to_text(const FkImageDescription *self);

const gchar *
fk_firmware_kind_to_string(FkFirmwareKind kind);
const gchar *
fk_esp8266_layout_to_string(FkEsp8266Layout layout);
/* "factory", "ota_1", "nvs", "spiffs", or NULL when unknown */
const gchar *
fk_partition_subtype_to_string(guint8 type, guint8 subtype);

G_END_DECLS
