/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "fk-backup-file.h"
#include "fk-device.h"

G_BEGIN_DECLS

/* A backup's description, kept beside it as NAME.bin.json: which board it came from (chip, MAC,
 * flash, port), what it covers and its checksums, so that a folder of backups can be told
 * apart months later and each one checked. A backup without one still works everywhere. */
#define FK_BACKUP_INFO_FORMAT "flashkeep-backup"
#define FK_BACKUP_INFO_VERSION 1
#define FK_BACKUP_INFO_SUFFIX ".json"

#define FK_BACKUP_INFO_ERROR fk_backup_info_error_quark()
typedef enum {
	FK_BACKUP_INFO_ERROR_NO_SIDECAR, /* the backup has no description: not a fault */
	FK_BACKUP_INFO_ERROR_INVALID,	 /* not JSON, not ours, or a field missing or wrong */
	FK_BACKUP_INFO_ERROR_NEWER,	 /* written by a newer Flashkeep in a format we do not know */
	FK_BACKUP_INFO_ERROR_FILE,	 /* the description or the backup cannot be read */
} FkBackupInfoError;

GQuark
fk_backup_info_error_quark(void);

typedef struct {
	guint format_version;
	gchar *created;		  /* UTC, ISO 8601: "2026-12-03T16:45:12Z" */
	gchar *flashkeep_version; /* the Flashkeep that wrote it */
	/* the chip */
	gchar *chip_family; /* "ESP32", "ESP8266" */
	gchar *chip_model;  /* as esptool prints it: "ESP32-D0WD (revision v1.0)", "ESP8266EX" */
	gchar *chip_revision; /* "v1.0"; NULL where the chip does not tell */
	gchar *mac;	      /* "24:0a:c4:12:34:56" */
	/* its flash */
	guint32 flash_id;	  /* JEDEC RDID as read: manufacturer in the low byte */
	gchar *flash_maker;	  /* "Winbond"; NULL when unknown */
	guint64 flash_size;	  /* 0 when unknown */
	/* the backup */
	guint64 offset;
	guint64 length;
	gboolean whole_flash;
	gchar *md5;    /* of the file, lower-case hex */
	gchar *sha256; /* of the file, lower-case hex */
	/* the link */
	gchar *port;		 /* "/dev/ttyUSB0", "sim:esp32" */
	gchar *port_description; /* NULL when the port does not say */
	guint16 usb_vid;	 /* 0 when not USB */
	guint16 usb_pid;
	gchar *usb_serial; /* NULL when not USB or none */
	guint baud;
	guint link_errors; /* transmission errors and chip resets survived on this connection,
			    * connecting included (fk_device_get_recoveries()) */
} FkBackupInfo;

void
fk_backup_info_free(FkBackupInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FkBackupInfo, fk_backup_info_free)

/* what @device tells of a backup of @length bytes at @offset whose file has the digests given
 * (lower-case hex), dated now */
FkBackupInfo *
fk_backup_info_new(FkDevice *device, guint64 offset, guint64 length, const gchar *md5, const gchar *sha256);

/* the description's path beside the backup at @path: "@path.json" */
gchar *
fk_backup_info_path(const gchar *path);

/* the description as JSON text */
gchar *
fk_backup_info_to_json(const FkBackupInfo *info);

/* writes @info into a synced, hidden temporary file beside @target's description, ready for
 * fk_backup_file_commit() to put in place once the backup itself is; NULL with an error that
 * says why the description could not be saved */
FkBackupFile *
fk_backup_info_stage(const FkBackupInfo *info, const gchar *target, GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* @path's description: NULL with FK_BACKUP_INFO_ERROR_NO_SIDECAR when it has none (not a
 * fault), _INVALID or _NEWER when it cannot be understood, _FILE when it cannot be read */
FkBackupInfo *
fk_backup_info_load(const gchar *path, GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* reads the backup at @path again (slow: call it from a worker) and sets @intact to whether its
 * SHA-256 and size are those described. FALSE with @error when the file cannot be read */
gboolean
fk_backup_info_check(const FkBackupInfo *info,
		     const gchar *path,
		     gboolean *intact,
		     GCancellable *cancellable,
		     GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
