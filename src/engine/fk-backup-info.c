/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns a backup's description beside it (NAME.bin.json): what it records of the board, writing
 * it synced into a hidden temporary file, reading it back and checking the backup against it;
 * calls the FkDevice facade, its transport, the chip table, fk-backup-file and json-glib */
#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "fk-backup-info.h"
#include "fk-chip.h"

G_DEFINE_QUARK(fk-backup-info-error-quark, fk_backup_info_error)

void
fk_backup_info_free(FkBackupInfo *info)
{
	if (info == NULL)
		return;
	g_free(info->created);
	g_free(info->flashkeep_version);
	g_free(info->chip_family);
	g_free(info->chip_model);
	g_free(info->chip_revision);
	g_free(info->mac);
	g_free(info->flash_maker);
	g_free(info->md5);
	g_free(info->sha256);
	g_free(info->port);
	g_free(info->port_description);
	g_free(info->usb_serial);
	g_free(info);
}

gchar *
fk_backup_info_path(const gchar *path)
{
	return g_strconcat(path, FK_BACKUP_INFO_SUFFIX, NULL);
}

FkBackupInfo *
fk_backup_info_new(FkDevice *device, guint64 offset, guint64 length, const gchar *md5, const gchar *sha256)
{
	FkBackupInfo *info = g_new0(FkBackupInfo, 1);
	FkTransport *transport = fk_device_get_transport(device);
	const FkChipInfo *chip = fk_device_get_chip(device);
	const gchar *maker;
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();

	info->format_version = FK_BACKUP_INFO_VERSION;
	info->created = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
	info->flashkeep_version = g_strdup(PACKAGE_VERSION);
	info->chip_family = g_strdup(chip != NULL ? chip->name : NULL);
	info->chip_model = g_strdup(fk_device_get_chip_description(device));
	info->chip_revision = g_strdup(fk_device_get_chip_revision(device));
	info->mac = fk_device_get_mac_string(device);
	info->flash_id = fk_device_get_flash_id(device);
	maker = fk_flash_manufacturer_name(info->flash_id & 0xFF);
	info->flash_maker = g_strdup(maker);
	info->flash_size = fk_device_get_flash_size(device);
	info->offset = offset;
	info->length = length;
	info->whole_flash = offset == 0 && info->flash_size > 0 && length == info->flash_size;
	info->md5 = g_strdup(md5);
	info->sha256 = g_strdup(sha256);
	info->port = g_strdup(fk_transport_get_name(transport));
	info->port_description = g_strdup(fk_transport_get_description(transport));
	info->usb_vid = fk_transport_get_usb_vid(transport);
	info->usb_pid = fk_transport_get_usb_pid(transport);
	info->usb_serial = g_strdup(fk_transport_get_usb_serial(transport));
	info->baud = fk_device_get_current_baud(device);
	info->link_errors = fk_device_get_recoveries(device);
	return info;
}

/* ---- writing ---- */

static void
fk_backup_info_add_string(JsonBuilder *b, const gchar *name, const gchar *value)
{
	json_builder_set_member_name(b, name);
	if (value != NULL)
		json_builder_add_string_value(b, value);
	else
		json_builder_add_null_value(b);
}

static void
fk_backup_info_add_int(JsonBuilder *b, const gchar *name, guint64 value)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, (gint64)value);
}

gchar *
fk_backup_info_to_json(const FkBackupInfo *info)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree gchar *text = NULL;
	g_autofree gchar *manufacturer = g_strdup_printf("%02x", info->flash_id & 0xFF);
	/* esptool's "Device: 4016": the two id bytes after the manufacturer's, in the order read */
	g_autofree gchar *device = g_strdup_printf("%02x%02x", (info->flash_id >> 8) & 0xFF, (info->flash_id >> 16) & 0xFF);

	json_builder_begin_object(b);
	fk_backup_info_add_string(b, "format", FK_BACKUP_INFO_FORMAT);
	fk_backup_info_add_int(b, "version", info->format_version);
	fk_backup_info_add_string(b, "created", info->created);
	fk_backup_info_add_string(b, "flashkeep", info->flashkeep_version);

	json_builder_set_member_name(b, "chip");
	json_builder_begin_object(b);
	fk_backup_info_add_string(b, "family", info->chip_family);
	fk_backup_info_add_string(b, "model", info->chip_model);
	fk_backup_info_add_string(b, "revision", info->chip_revision);
	fk_backup_info_add_string(b, "mac", info->mac);
	json_builder_end_object(b);

	json_builder_set_member_name(b, "flash");
	json_builder_begin_object(b);
	fk_backup_info_add_string(b, "manufacturer", manufacturer);
	fk_backup_info_add_string(b, "device", device);
	fk_backup_info_add_string(b, "maker", info->flash_maker);
	fk_backup_info_add_int(b, "size", info->flash_size);
	json_builder_end_object(b);

	json_builder_set_member_name(b, "backup");
	json_builder_begin_object(b);
	fk_backup_info_add_int(b, "offset", info->offset);
	fk_backup_info_add_int(b, "length", info->length);
	json_builder_set_member_name(b, "whole_flash");
	json_builder_add_boolean_value(b, info->whole_flash);
	fk_backup_info_add_string(b, "md5", info->md5);
	fk_backup_info_add_string(b, "sha256", info->sha256);
	json_builder_end_object(b);

	json_builder_set_member_name(b, "port");
	json_builder_begin_object(b);
	fk_backup_info_add_string(b, "name", info->port);
	fk_backup_info_add_string(b, "description", info->port_description);
	json_builder_set_member_name(b, "usb");
	if (info->usb_vid != 0) {
		g_autofree gchar *vid_pid = g_strdup_printf("%04x:%04x", info->usb_vid, info->usb_pid);
		json_builder_begin_object(b);
		fk_backup_info_add_string(b, "vid_pid", vid_pid);
		fk_backup_info_add_string(b, "serial", info->usb_serial);
		json_builder_end_object(b);
	} else {
		json_builder_add_null_value(b);
	}
	fk_backup_info_add_int(b, "baud", info->baud);
	fk_backup_info_add_int(b, "link_errors", info->link_errors);
	json_builder_end_object(b);
	json_builder_end_object(b);

	root = json_builder_get_root(b);
	json_generator_set_root(gen, root);
	json_generator_set_pretty(gen, TRUE);
	json_generator_set_indent(gen, 2);
	text = json_generator_to_data(gen, NULL);
	return g_strconcat(text, "\n", NULL);
}

static void
fk_backup_info_set_save_error(GError **error, const gchar *path, gint errsv)
{
	g_set_error(error, FK_BACKUP_INFO_ERROR, FK_BACKUP_INFO_ERROR_FILE,
		    errsv == ENOSPC || errsv == EDQUOT
			? "The backup is saved and complete, but its description %s could not be saved: "
			  "the disk is full (%s); free some space and back up again to have one"
			: "The backup is saved and complete, but its description %s could not be saved "
			  "(%s); check the disk and back up again to have one",
		    path, g_strerror(errsv));
}

FkBackupFile *
fk_backup_info_stage(const FkBackupInfo *info, const gchar *target, GError **error)
{
	g_autofree gchar *path = fk_backup_info_path(target);
	g_autofree gchar *json = fk_backup_info_to_json(info);
	g_autoptr(FkBackupFile) file = NULL;
	g_autoptr(GError) error_local = NULL;
	gsize len = strlen(json);
	gsize done = 0;
	gint errsv = 0;
	gint fd;

	file = fk_backup_file_new(path, &errsv, &error_local);
	if (file == NULL) {
		if (errsv != 0) {
			fk_backup_info_set_save_error(error, path, errsv);
		} else {
			g_set_error(error, FK_BACKUP_INFO_ERROR, FK_BACKUP_INFO_ERROR_FILE,
				    "The backup is saved and complete, but its description could not be "
				    "saved: %s",
				    error_local->message);
		}
		return NULL;
	}
	while (done < len && errsv == 0) {
		gssize n = write(file->fd, json + done, len - done);
		if (n < 0 && errno != EINTR)
			errsv = errno;
		else if (n > 0)
			done += n;
	}
	if (errsv == 0 && fsync(file->fd) != 0)
		errsv = errno;
	if (errsv == 0)
		errsv = fk_backup_file_prepare(file);
	fd = file->fd;
	file->fd = -1;
	/* Linux closes the descriptor even when close() fails: never retry */
	if (close(fd) != 0 && errsv == 0 && errno != EINTR)
		errsv = errno;
	if (errsv != 0) {
		fk_backup_info_set_save_error(error, path, errsv);
		return NULL;
	}
	return g_steal_pointer(&file);
}

/* ---- reading ---- */

static gboolean
fk_backup_info_invalid(GError **error, const gchar *path, const gchar *what)
{
	g_set_error(error, FK_BACKUP_INFO_ERROR, FK_BACKUP_INFO_ERROR_INVALID,
		    "The description %s cannot be used: %s. The backup itself may be fine; back it up "
		    "again to have a new description",
		    path, what);
	return FALSE;
}

/* @name in @obj as a string; NULL (and FALSE) when absent or not a string, unless @optional
 * allows null or absent */
static gboolean
fk_backup_info_get_string(JsonObject *obj, const gchar *name, gboolean optional, gchar **out)
{
	JsonNode *node = obj != NULL ? json_object_get_member(obj, name) : NULL;
	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return optional;
	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
		return FALSE;
	*out = g_strdup(json_node_get_string(node));
	return TRUE;
}

static gboolean
fk_backup_info_get_uint(JsonObject *obj, const gchar *name, guint64 max, guint64 *out)
{
	JsonNode *node = obj != NULL ? json_object_get_member(obj, name) : NULL;
	gint64 v;
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64)
		return FALSE;
	v = json_node_get_int(node);
	if (v < 0 || (guint64)v > max)
		return FALSE;
	*out = (guint64)v;
	return TRUE;
}

static JsonObject *
fk_backup_info_get_object(JsonObject *obj, const gchar *name)
{
	JsonNode *node = json_object_get_member(obj, name);
	return node != NULL && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
}

static gboolean
fk_backup_info_is_hex(const gchar *text, gsize len)
{
	if (text == NULL || strlen(text) != len)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isxdigit(text[i]))
			return FALSE;
	}
	return TRUE;
}

/* the fields of a version 1 description; @what names the first one missing or wrong */
static gboolean
fk_backup_info_parse(JsonObject *root, FkBackupInfo *info, const gchar **what)
{
	JsonObject *chip = fk_backup_info_get_object(root, "chip");
	JsonObject *flash = fk_backup_info_get_object(root, "flash");
	JsonObject *backup = fk_backup_info_get_object(root, "backup");
	JsonObject *port = fk_backup_info_get_object(root, "port");
	JsonObject *usb = port != NULL ? fk_backup_info_get_object(port, "usb") : NULL;
	g_autofree gchar *manufacturer = NULL;
	g_autofree gchar *device = NULL;
	guint64 v = 0;

	if (!fk_backup_info_get_string(root, "created", FALSE, &info->created))
		return (*what = "its date is missing", FALSE);
	if (!fk_backup_info_get_string(root, "flashkeep", TRUE, &info->flashkeep_version))
		return (*what = "the Flashkeep version is not text", FALSE);
	if (chip == NULL || !fk_backup_info_get_string(chip, "family", FALSE, &info->chip_family) ||
	    !fk_backup_info_get_string(chip, "model", TRUE, &info->chip_model) ||
	    !fk_backup_info_get_string(chip, "revision", TRUE, &info->chip_revision) ||
	    !fk_backup_info_get_string(chip, "mac", FALSE, &info->mac))
		return (*what = "the chip is not described (family and MAC)", FALSE);
	if (flash == NULL || !fk_backup_info_get_string(flash, "manufacturer", FALSE, &manufacturer) ||
	    !fk_backup_info_get_string(flash, "device", FALSE, &device) || !fk_backup_info_is_hex(manufacturer, 2) ||
	    !fk_backup_info_is_hex(device, 4) || !fk_backup_info_get_string(flash, "maker", TRUE, &info->flash_maker) ||
	    !fk_backup_info_get_uint(flash, "size", G_MAXUINT32 + (guint64)1, &info->flash_size))
		return (*what = "the flash chip is not described (manufacturer, device, size)", FALSE);
	{
		guint32 dev = (guint32)g_ascii_strtoull(device, NULL, 16);
		info->flash_id = (guint32)g_ascii_strtoull(manufacturer, NULL, 16) | (dev >> 8) << 8 | (dev & 0xFF) << 16;
	}
	if (backup == NULL || !fk_backup_info_get_uint(backup, "offset", G_MAXUINT32, &info->offset) ||
	    !fk_backup_info_get_uint(backup, "length", G_MAXUINT32 + (guint64)1, &info->length))
		return (*what = "the region read (offset and length) is missing", FALSE);
	if (!fk_backup_info_get_string(backup, "sha256", FALSE, &info->sha256) || !fk_backup_info_is_hex(info->sha256, 64) ||
	    !fk_backup_info_get_string(backup, "md5", FALSE, &info->md5) || !fk_backup_info_is_hex(info->md5, 32))
		return (*what = "the checksums (SHA-256 and MD5) are missing or not checksums", FALSE);
	{
		JsonNode *whole = json_object_get_member(backup, "whole_flash");
		if (whole == NULL || !JSON_NODE_HOLDS_VALUE(whole) || json_node_get_value_type(whole) != G_TYPE_BOOLEAN)
			return (*what = "whether it covers the whole flash is not said", FALSE);
		info->whole_flash = json_node_get_boolean(whole);
	}
	if (port == NULL || !fk_backup_info_get_string(port, "name", FALSE, &info->port) ||
	    !fk_backup_info_get_string(port, "description", TRUE, &info->port_description) ||
	    !fk_backup_info_get_uint(port, "baud", G_MAXUINT, &v))
		return (*what = "the port is not described (name and baud rate)", FALSE);
	info->baud = (guint)v;
	if (!fk_backup_info_get_uint(port, "link_errors", G_MAXUINT, &v))
		return (*what = "the count of link errors is missing", FALSE);
	info->link_errors = (guint)v;
	if (usb != NULL) {
		g_autofree gchar *vid_pid = NULL;
		g_autofree gchar *vid = NULL;
		/* "1a86:7523": each half checked on its own */
		if (!fk_backup_info_get_string(usb, "vid_pid", FALSE, &vid_pid) || strlen(vid_pid) != 9 ||
		    vid_pid[4] != ':' || !fk_backup_info_is_hex((vid = g_strndup(vid_pid, 4)), 4) ||
		    !fk_backup_info_is_hex(vid_pid + 5, 4) ||
		    !fk_backup_info_get_string(usb, "serial", TRUE, &info->usb_serial))
			return (*what = "the USB adapter is not described (vid_pid)", FALSE);
		info->usb_vid = (guint16)g_ascii_strtoull(vid_pid, NULL, 16);
		info->usb_pid = (guint16)g_ascii_strtoull(vid_pid + 5, NULL, 16);
	}
	return TRUE;
}

FkBackupInfo *
fk_backup_info_load(const gchar *path, GError **error)
{
	g_autofree gchar *json_path = fk_backup_info_path(path);
	g_autofree gchar *format = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error_local = NULL;
	g_autoptr(FkBackupInfo) info = g_new0(FkBackupInfo, 1);
	g_autofree gchar *data = NULL;
	gsize len = 0;
	JsonNode *root;
	JsonObject *obj;
	guint64 version = 0;
	const gchar *what = NULL;

	if (!g_file_get_contents(json_path, &data, &len, &error_local)) {
		/* a backup whose name leaves no room for ".json" cannot have a description either */
		if (g_error_matches(error_local, G_FILE_ERROR, G_FILE_ERROR_NOENT) ||
		    g_error_matches(error_local, G_FILE_ERROR, G_FILE_ERROR_NAMETOOLONG)) {
			g_set_error(error, FK_BACKUP_INFO_ERROR, FK_BACKUP_INFO_ERROR_NO_SIDECAR,
				    "%s has no description beside it (%s)", path, json_path);
		} else {
			g_set_error(error, FK_BACKUP_INFO_ERROR, FK_BACKUP_INFO_ERROR_FILE,
				    "The description %s cannot be read: %s", json_path, error_local->message);
		}
		return NULL;
	}
	if (g_strstrip(data)[0] == '\0') {
		/* a description cut short when it was saved by something else, or emptied */
		fk_backup_info_invalid(error, json_path, "it is empty");
		return NULL;
	}
	if (!json_parser_load_from_data(parser, data, -1, &error_local)) {
		g_autofree gchar *why = g_strdup_printf("it is not valid JSON (%s)", error_local->message);
		fk_backup_info_invalid(error, json_path, why);
		return NULL;
	}
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		fk_backup_info_invalid(error, json_path, "it is not a JSON object");
		return NULL;
	}
	obj = json_node_get_object(root);
	if (!fk_backup_info_get_string(obj, "format", FALSE, &format) || g_strcmp0(format, FK_BACKUP_INFO_FORMAT) != 0) {
		fk_backup_info_invalid(error, json_path, "it is not a Flashkeep backup description");
		return NULL;
	}
	if (!fk_backup_info_get_uint(obj, "version", G_MAXUINT, &version) || version == 0) {
		fk_backup_info_invalid(error, json_path, "its format version is missing");
		return NULL;
	}
	if (version > FK_BACKUP_INFO_VERSION) {
		g_set_error(error, FK_BACKUP_INFO_ERROR, FK_BACKUP_INFO_ERROR_NEWER,
			    "The description %s was written by a newer Flashkeep (format version %u; this "
			    "one reads version %u): update Flashkeep to read it",
			    json_path, (guint)version, (guint)FK_BACKUP_INFO_VERSION);
		return NULL;
	}
	info->format_version = (guint)version;
	if (!fk_backup_info_parse(obj, info, &what)) {
		fk_backup_info_invalid(error, json_path, what);
		return NULL;
	}
	return g_steal_pointer(&info);
}

gboolean
fk_backup_info_check(const FkBackupInfo *info,
		     const gchar *path,
		     gboolean *intact,
		     GCancellable *cancellable,
		     GError **error)
{
	g_autoptr(GFile) file = g_file_new_for_path(path);
	g_autoptr(GFileInputStream) in = NULL;
	g_autoptr(GChecksum) sha256 = g_checksum_new(G_CHECKSUM_SHA256);
	g_autoptr(GError) error_local = NULL;
	g_autofree guint8 *buf = g_malloc(64 * 1024);
	guint64 total = 0;
	gssize n;

	*intact = FALSE;
	in = g_file_read(file, cancellable, &error_local);
	while (in != NULL && (n = g_input_stream_read(G_INPUT_STREAM(in), buf, 64 * 1024, cancellable, &error_local)) > 0) {
		g_checksum_update(sha256, buf, n);
		total += n;
	}
	if (error_local != NULL) {
		if (g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
			g_propagate_error(error, g_steal_pointer(&error_local));
			return FALSE;
		}
		g_set_error(error, FK_BACKUP_INFO_ERROR, FK_BACKUP_INFO_ERROR_FILE,
			    "The backup %s cannot be read to check it: %s", path, error_local->message);
		return FALSE;
	}
	*intact = total == info->length && g_ascii_strcasecmp(g_checksum_get_string(sha256), info->sha256) == 0;
	return TRUE;
}
