/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns flashkeep-cli: esptool's commands on the engine, progress on the terminal, Ctrl+C; calls
 * the FkDevice facade, fk-flash and the checks in fk-cli-options */
#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fk-backup-file.h"
#include "fk-cli-private.h"
#include "fk-device.h"
#include "fk-error.h"
#include "fk-backup-library.h"
#include "fk-flash.h"
#include "fk-image.h"
#include "fk-port.h"


static void
fk_cli_free(FkCli *self)
{
	g_free(self->port);
	g_free(self->chip);
	g_free(self->before);
	g_free(self->after);
	g_free(self->spi_connection);
	g_free(self->flash_size);
	g_free(self->flash_mode);
	g_strfreev(self->diff_with);
	g_free(self->flash_freq);
	g_clear_object(&self->cancellable);
	g_clear_pointer(&self->diagnosis, fk_diagnosis_free);
	g_free(self);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FkCli, fk_cli_free)

/* ---- commands ---- */

static gboolean
fk_cli_cmd_chip_id(FkCli *self, gchar **argv, GError **error)
{
	g_autoptr(FkDevice) device = fk_cli_connect(self, error);
	if (device == NULL)
		return FALSE;
	if (fk_device_get_chip(device)->family == FK_CHIP_ESP8266) {
		const guint8 *mac = fk_device_get_mac(device);
		g_print("Chip ID: 0x%02x%02x%02x\n", mac[3], mac[4], mac[5]);
	} else {
		g_print("Chip ID: %d\n", fk_device_get_chip(device)->image_chip_id);
	}
	return fk_cli_finish(self, device, error);
}

static gboolean
fk_cli_cmd_read_mac(FkCli *self, gchar **argv, GError **error)
{
	g_autoptr(FkDevice) device = fk_cli_connect(self, error);
	if (device == NULL)
		return FALSE;
	return fk_cli_finish(self, device, error);
}

static gboolean
fk_cli_cmd_flash_id(FkCli *self, gchar **argv, GError **error)
{
	g_autoptr(FkDevice) device = fk_cli_connect(self, error);
	guint32 id;
	if (device == NULL)
		return FALSE;
	id = fk_device_get_flash_id(device);
	g_print("Manufacturer: %02x%s%s%s\n", id & 0xFF,
		fk_flash_manufacturer_name(id & 0xFF) ? " (" : "",
		fk_flash_manufacturer_name(id & 0xFF) ? fk_flash_manufacturer_name(id & 0xFF) : "",
		fk_flash_manufacturer_name(id & 0xFF) ? ")" : "");
	g_print("Device: %02x%02x\n", (id >> 8) & 0xFF, (id >> 16) & 0xFF);
	if (fk_device_get_flash_size(device) > 0) {
		g_autofree gchar *size = fk_format_size(fk_device_get_flash_size(device));
		g_print("Detected flash size: %s\n", size);
	} else {
		g_print("Detected flash size: unknown\n");
	}
	return fk_cli_finish(self, device, error);
}

static gboolean
fk_cli_cmd_read_flash(FkCli *self, gchar **argv, GError **error)
{
	g_autoptr(FkDevice) device = NULL;
	g_autoptr(FkProgress) progress = NULL;
	g_autoptr(GError) warning = NULL;
	guint32 offset = 0;
	gsize size = 0;
	gint64 start;
	gdouble secs;

	if (g_strv_length(argv) != 3) {
		g_set_error_literal(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
				    "read_flash takes ADDRESS SIZE FILENAME (SIZE may be “all”)");
		return FALSE;
	}
	if (!fk_cli_parse_u32(argv[0], &offset, "Address", error))
		return FALSE;
	if (g_ascii_strcasecmp(argv[1], "all") != 0) {
		if (!fk_cli_parse_size(argv[1], &size, error))
			return FALSE;
		if (!fk_cli_check_address_space(offset, size, "read", error))
			return FALSE;
	}
	/* a name that cannot take the backup, or a folder that is not there, is refused before the
	 * port is opened */
	{
		g_autofree gchar *target = fk_backup_file_check_target(argv[2], error);
		if (target == NULL || !fk_cli_check_backup_folder(target, error))
			return FALSE;
	}
	device = fk_cli_connect(self, error);
	if (device == NULL)
		return FALSE;
	if (size == 0) {
		gsize flash = fk_device_get_flash_size(device);
		if (flash == 0) {
			g_set_error_literal(error, FK_ERROR, FK_ERROR_SIZE_MISMATCH,
					    "The flash size could not be detected: give the size explicitly");
			return FALSE;
		}
		if (offset >= flash) {
			g_autofree gchar *fl = fk_format_size(flash);
			g_set_error(error, FK_ERROR, FK_ERROR_SIZE_MISMATCH,
				    "Address 0x%x is past the end of the %s flash: nothing was read", offset, fl);
			return FALSE;
		}
		size = flash - offset;
	}
	progress = fk_cli_progress_new(self);
	fk_progress_set_status(progress, "Reading");
	start = g_get_monotonic_time();
	if (!fk_flash_backup_full(device, offset, size, argv[2], self->no_sidecar ? FK_BACKUP_FLAG_NO_SIDECAR : 0,
				  &warning, progress, self->cancellable, error)) {
		fk_cli_progress_end(self);
		return FALSE;
	}
	fk_cli_progress_end(self);
	secs = (g_get_monotonic_time() - start) / 1e6;
	g_print("Read %" G_GSIZE_FORMAT " bytes at 0x%08x in %.1f seconds (%.1f kbit/s), MD5 verified.\n",
		size, offset, secs, size * 8 / secs / 1000);
	g_print("Saved to %s\n", argv[2]);
	/* the backup stands without its description: said, but not a failure */
	if (warning != NULL)
		g_printerr(_("Warning: %s\n"), warning->message);
	else if (!self->no_sidecar)
		g_print(_("Description saved beside it: %s.json\n"), argv[2]);
	if (warning == NULL && !self->no_sidecar) {
		/* the window's Backups page lists it, as one the window saved */
		g_autoptr(FkBackupLibrary) library = fk_backup_library_new(NULL);
		g_autoptr(GError) error_library = NULL;
		if (!fk_backup_library_add_backup(library, argv[2], &error_library))
			g_printerr(_("Warning: %s\n"), error_library->message);
	}
	return fk_cli_finish(self, device, error);
}

/* what a write did: with --skip-flashed, how much of the image differed from the flash */
static void
fk_cli_print_written(FkCli *self, FkDevice *device, const gchar *name, guint32 offset, GBytes *image, gdouble secs)
{
	gsize sent = fk_device_get_bytes_written(device);
	gsize size = g_bytes_get_size(image);

	if (self->skip_flashed || self->diff_with != NULL) {
		g_autofree gchar *s_sent = fk_format_size(sent);
		g_autofree gchar *s_size = fk_format_size(size);
		if (sent == 0)
			g_print("The flash already held %s at 0x%08x: nothing written; hash of data verified.\n", name,
				offset);
		else if (sent < size)
			g_print("Wrote %s of %s at 0x%08x in %.1f seconds; the rest was already identical; hash of "
				"data verified.\n",
				s_sent, name, offset, secs);
		else
			g_print("Wrote %s at 0x%08x in %.1f seconds (all of its %s differed); hash of data verified.\n",
				name, offset, secs, s_size);
		return;
	}
	g_print("Wrote %s at 0x%08x in %.1f seconds%s.\n", name, offset, secs,
		self->no_verify ? " (not verified)" : "; hash of data verified");
}

static gboolean
fk_cli_cmd_write_flash(FkCli *self, gchar **argv, GError **error)
{
	g_autoptr(FkDevice) device = NULL;
	g_autofree guint32 *offsets = NULL;
	g_autoptr(GPtrArray) images = NULL;
	FkRestoreOptions options = {self->flash_mode, self->flash_freq, self->flash_size, FK_WRITE_FLAG_NONE};
	guint n = g_strv_length(argv);

	if (!fk_cli_parse_pairs(argv, &offsets, &images, "written", error))
		return FALSE;
	/* the ROM loader writes whole sectors from a sector boundary; the stub has no such limit,
	 * but an address that is not 4-byte aligned is always a mistake */
	for (guint i = 0; i < n / 2; i++) {
		if (offsets[i] % 4 != 0) {
			g_set_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
				    "Address 0x%x is not aligned to 4 bytes: nothing was written", offsets[i]);
			return FALSE;
		}
	}
	if (self->no_compress)
		options.flags |= FK_WRITE_FLAG_NO_COMPRESS;
	if (self->compress)
		options.flags |= FK_WRITE_FLAG_COMPRESS;
	if (self->no_verify)
		options.flags |= FK_WRITE_FLAG_NO_VERIFY;
	if (self->skip_flashed || self->diff_with != NULL) {
		if (self->no_verify) {
			g_set_error_literal(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
					    "--skip-flashed and --diff-with compare the chip with the image by MD5 "
					    "and verify the result: they cannot be used with --no-verify");
			return FALSE;
		}
		options.flags |= FK_WRITE_FLAG_ONLY_CHANGED;
	}
	if (!fk_restore_options_check(&options, self->expected_chip, error))
		return FALSE;
	/* what can be checked without the chip is checked before connecting to it: regions that
	 * wrap round the address space (the files were checked as they were loaded) */
	for (guint i = 0; i < images->len; i++) {
		if (!fk_cli_check_address_space(offsets[i], g_bytes_get_size(g_ptr_array_index(images, i)), "written",
						error))
			return FALSE;
	}
	if (!fk_cli_check_overlaps(argv, offsets, images, error))
		return FALSE;
	device = fk_cli_connect(self, error);
	if (device == NULL)
		return FALSE;
	/* then every file against the chip, before writing any */
	for (guint i = 0; i < n; i += 2) {
		GBytes *bytes = g_ptr_array_index(images, i / 2);
		const FkChipInfo *chip = fk_device_get_chip(device);
		gsize flash = fk_device_get_flash_size(device);
		gsize len = 0;
		const guint8 *data = g_bytes_get_data(bytes, &len);
		gboolean is_image = FALSE;
		g_autoptr(GError) error_chip = NULL;
		if (flash > 0 && (guint64)offsets[i / 2] + len > flash) {
			g_autofree gchar *fl = fk_format_size(flash);
			g_set_error(error, FK_ERROR, FK_ERROR_SIZE_MISMATCH,
				    "%s (%" G_GSIZE_FORMAT " bytes at 0x%x) does not fit in the %s flash: nothing was written",
				    argv[i + 1], len, offsets[i / 2], fl);
			return FALSE;
		}
		/* like esptool: an image made for another chip is refused unless forced */
		if (!fk_image_check_chip(data, len, argv[i + 1], chip, &is_image, &error_chip)) {
			if (!self->force) {
				g_set_error(error, FK_ERROR, FK_ERROR_UNSUPPORTED_CHIP,
					    "%s. Nothing was written; use write_flash --force to write it anyway",
					    error_chip->message);
				return FALSE;
			}
			g_print("Warning: %s; writing it anyway (--force).\n", error_chip->message);
		} else if (!is_image && (offsets[i / 2] == 0 || offsets[i / 2] == chip->bootloader_offset)) {
			/* elsewhere plain data (partition tables, file systems) is normal */
			g_print("Warning: %s has no boot image header the %s recognises, so the chip may not "
				"start from it; writing it anyway.\n",
				argv[i + 1], chip->name);
		}
	}
	if (fk_device_is_esp8285(device) && self->flash_mode != NULL &&
	    g_ascii_strcasecmp(self->flash_mode, "dout") != 0 && g_ascii_strcasecmp(self->flash_mode, "keep") != 0)
		g_print("Warning: the ESP8285 must use flash mode dout; %s may not boot.\n", self->flash_mode);
	for (guint i = 0; i < n; i += 2) {
		g_autoptr(FkProgress) progress = fk_cli_progress_new(self);
		gint64 start = g_get_monotonic_time();
		gdouble secs;
		g_print("Writing %s at 0x%08x...\n", argv[i + 1], offsets[i / 2]);
		if (!fk_flash_restore(device, offsets[i / 2], argv[i + 1], &options, progress, self->cancellable, error)) {
			fk_cli_progress_end(self);
			return FALSE;
		}
		fk_cli_progress_end(self);
		secs = (g_get_monotonic_time() - start) / 1e6;
		fk_cli_print_written(self, device, argv[i + 1], offsets[i / 2], g_ptr_array_index(images, i / 2), secs);
	}
	return fk_cli_finish(self, device, error);
}

static gboolean
fk_cli_cmd_erase_flash(FkCli *self, gchar **argv, GError **error)
{
	g_autoptr(FkDevice) device = fk_cli_connect(self, error);
	g_autoptr(FkProgress) progress = NULL;
	gint64 start;
	if (device == NULL)
		return FALSE;
	progress = fk_cli_progress_new(self);
	g_print("Erasing flash (this may take a while)...\n");
	start = g_get_monotonic_time();
	if (!fk_device_erase_flash(device, progress, self->cancellable, error)) {
		fk_cli_progress_end(self);
		return FALSE;
	}
	fk_cli_progress_end(self);
	g_print("Chip erase completed successfully in %.1f seconds%s.\n", (g_get_monotonic_time() - start) / 1e6,
		fk_device_can_md5(device) ? "; the chip reads back blank"
					  : " (not verified: the ESP8266 ROM cannot compute a checksum)");
	return fk_cli_finish(self, device, error);
}

static gboolean
fk_cli_cmd_erase_region(FkCli *self, gchar **argv, GError **error)
{
	g_autoptr(FkDevice) device = NULL;
	g_autoptr(FkProgress) progress = NULL;
	guint32 offset = 0;
	gsize size;
	if (g_strv_length(argv) != 2) {
		g_set_error_literal(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT, "erase_region takes ADDRESS SIZE");
		return FALSE;
	}
	if (!fk_cli_parse_u32(argv[0], &offset, "Address", error))
		return FALSE;
	if (!fk_cli_parse_size(argv[1], &size, error))
		return FALSE;
	if (!fk_cli_check_address_space(offset, size, "erased", error))
		return FALSE;
	if (offset % 0x1000 != 0 || size % 0x1000 != 0) {
		g_set_error_literal(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
				    "Address and size must be multiples of 4 KB (0x1000): nothing was erased");
		return FALSE;
	}
	device = fk_cli_connect(self, error);
	if (device == NULL)
		return FALSE;
	progress = fk_cli_progress_new(self);
	fk_progress_set_status(progress, "Erasing");
	if (!fk_device_erase_region(device, offset, size, progress, self->cancellable, error)) {
		fk_cli_progress_end(self);
		return FALSE;
	}
	fk_cli_progress_end(self);
	g_print("Erase completed successfully%s.\n",
		fk_device_can_md5(device) ? "; the region reads back blank"
					  : " (not verified: the ESP8266 ROM cannot compute a checksum)");
	return fk_cli_finish(self, device, error);
}

static gboolean
fk_cli_cmd_list_ports(FkCli *self, gchar **argv, GError **error)
{
	g_autoptr(GPtrArray) ports = fk_port_list(error);
	if (ports == NULL)
		return FALSE;
	for (guint i = 0; i < ports->len; i++) {
		FkPortInfo *info = g_ptr_array_index(ports, i);
		if (info->kind == FK_PORT_KIND_USB)
			g_print("%s\t%04x:%04x\t%s\n", info->name, info->usb_vid, info->usb_pid,
				info->description != NULL ? info->description : "");
		else
			g_print("%s\t\t%s\n", info->name, info->description != NULL ? info->description : "");
	}
	return TRUE;
}

typedef gboolean (*FkCliCmdFunc)(FkCli *self, gchar **argv, GError **error);

typedef struct {
	const gchar *name;
	const gchar *args;
	const gchar *summary;
	FkCliCmdFunc func;
	gboolean connects;
} FkCliCommand;

static const FkCliCommand commands[] = {
    {"chip_id", "", "Print the chip type and id", fk_cli_cmd_chip_id, TRUE},
    {"read_mac", "", "Print the MAC address", fk_cli_cmd_read_mac, TRUE},
    {"flash_id", "", "Print the flash manufacturer, device and size", fk_cli_cmd_flash_id, TRUE},
    {"read_flash", "ADDRESS SIZE FILENAME", "Back up flash to a file (verified, atomic)", fk_cli_cmd_read_flash, TRUE},
    {"write_flash", "ADDRESS FILENAME [ADDRESS FILENAME…]", "Write images to flash and verify them", fk_cli_cmd_write_flash, TRUE},
    {"restore_partition", "NAME FILENAME", "Restore one partition (e.g. nvs) from a backup of the whole flash", fk_cli_cmd_restore_partition, TRUE},
    {"verify_flash", "ADDRESS FILENAME [ADDRESS FILENAME…]", "Compare flash with images", fk_cli_cmd_verify_flash, TRUE},
    {"erase_flash", "", "Erase the whole flash", fk_cli_cmd_erase_flash, TRUE},
    {"erase_region", "ADDRESS SIZE", "Erase a 4 KB-aligned region", fk_cli_cmd_erase_region, TRUE},
    {"list_ports", "", "List serial ports and simulated chips", fk_cli_cmd_list_ports, FALSE},
    {"image_info", "FILENAME", "Describe a flash backup or image: partitions, apps, firmware", fk_cli_cmd_image_info, FALSE},
};

static const FkCliCommand *
fk_cli_find_command(const gchar *name)
{
	g_autofree gchar *want = g_strdelimit(g_strdup(name), "-", '_');
	for (guint i = 0; i < G_N_ELEMENTS(commands); i++) {
		if (g_strcmp0(commands[i].name, want) == 0)
			return &commands[i];
	}
	return NULL;
}

static gchar *
fk_cli_commands_summary(void)
{
	GString *str = g_string_new("Commands:\n");
	for (guint i = 0; i < G_N_ELEMENTS(commands); i++)
		g_string_append_printf(str, "  %-18s %s\n", commands[i].name, commands[i].summary);
	g_string_append(str,
			"\nPorts: a serial device (/dev/ttyUSB0), socket://HOST:PORT, or a simulated "
			"chip sim:CHIP[@SIZE] (e.g. sim:esp8266@1MB).");
	return g_string_free(str, FALSE);
}

static GOptionContext *
fk_cli_command_context(FkCli *self, const FkCliCommand *cmd)
{
	GOptionEntry read_entries[] = {
	    {"spi-connection", 's', 0, G_OPTION_ARG_STRING, &self->spi_connection,
	     "ESP32 only: SPI, HSPI or CLK,Q,D,HD,CS pin numbers", "SPI_CONNECTION"},
	    {"no-progress", 'p', 0, G_OPTION_ARG_NONE, &self->no_progress, "Suppress the progress output", NULL},
	    {NULL}};
	GOptionEntry read_flash_entries[] = {
	    {"no-sidecar", 0, 0, G_OPTION_ARG_NONE, &self->no_sidecar,
	     "Save no description (FILENAME.json) beside the backup, and leave it off the window's list of "
	     "backups, as esptool", NULL},
	    {NULL}};
	GOptionEntry write_entries[] = {
	    {"flash-size", 0, 0, G_OPTION_ARG_STRING, &self->flash_size,
	     "Flash size in the boot header: keep (default), detect, 1MB, 4MB, …", "SIZE"},
	    {"flash-mode", 0, 0, G_OPTION_ARG_STRING, &self->flash_mode,
	     "Flash mode in the boot header: keep (default), qio, qout, dio, dout", "MODE"},
	    {"flash-freq", 0, 0, G_OPTION_ARG_STRING, &self->flash_freq,
	     "Flash frequency in the boot header: keep (default), 40m, 26m, 20m, 80m", "FREQ"},
	    {"no-compress", 'u', 0, G_OPTION_ARG_NONE, &self->no_compress, "Send the data uncompressed", NULL},
	    {"compress", 'z', 0, G_OPTION_ARG_NONE, &self->compress, "Compress even without the stub", NULL},
	    {"no-verify", 0, 0, G_OPTION_ARG_NONE, &self->no_verify, "Do not check the MD5 after writing", NULL},
	    {"skip-flashed", 0, 0, G_OPTION_ARG_NONE, &self->skip_flashed,
	     "Write only the sectors the chip does not hold yet (found by its MD5s), then verify all", NULL},
	    {"diff-with", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &self->diff_with,
	     "As --skip-flashed: the chip's own MD5s decide what differs, never an old file", "FILE"},
	    {"force", 0, 0, G_OPTION_ARG_NONE, &self->force,
	     "Write even an image whose boot header names another chip", NULL},
	    {"spi-connection", 's', 0, G_OPTION_ARG_STRING, &self->spi_connection,
	     "ESP32 only: SPI, HSPI or CLK,Q,D,HD,CS pin numbers", "SPI_CONNECTION"},
	    {"no-progress", 'p', 0, G_OPTION_ARG_NONE, &self->no_progress, "Suppress the progress output", NULL},
	    {NULL}};
	GOptionEntry verify_entries[] = {
	    {"flash-size", 0, 0, G_OPTION_ARG_STRING, &self->flash_size,
	     "Flash size in the boot header to compare: keep (default), detect, 1MB, 4MB, …", "SIZE"},
	    {"flash-mode", 0, 0, G_OPTION_ARG_STRING, &self->flash_mode,
	     "Flash mode in the boot header to compare: keep (default), qio, qout, dio, dout", "MODE"},
	    {"flash-freq", 0, 0, G_OPTION_ARG_STRING, &self->flash_freq,
	     "Flash frequency in the boot header to compare: keep (default), 40m, 26m, 20m, 80m", "FREQ"},
	    {"spi-connection", 's', 0, G_OPTION_ARG_STRING, &self->spi_connection,
	     "ESP32 only: SPI, HSPI or CLK,Q,D,HD,CS pin numbers", "SPI_CONNECTION"},
	    {NULL}};
	GOptionEntry partition_entries[] = {
	    {"no-compress", 'u', 0, G_OPTION_ARG_NONE, &self->no_compress, "Send the data uncompressed", NULL},
	    {"no-verify", 0, 0, G_OPTION_ARG_NONE, &self->no_verify,
	     "Write all of the partition and do not check it, nor the flash around it", NULL},
	    {"spi-connection", 's', 0, G_OPTION_ARG_STRING, &self->spi_connection,
	     "ESP32 only: SPI, HSPI or CLK,Q,D,HD,CS pin numbers", "SPI_CONNECTION"},
	    {"no-progress", 'p', 0, G_OPTION_ARG_NONE, &self->no_progress, "Suppress the progress output", NULL},
	    {NULL}};
	GOptionEntry plain_entries[] = {
	    {"spi-connection", 's', 0, G_OPTION_ARG_STRING, &self->spi_connection,
	     "ESP32 only: SPI, HSPI or CLK,Q,D,HD,CS pin numbers", "SPI_CONNECTION"},
	    {NULL}};
	g_autofree gchar *usage = g_strdup_printf("%s %s", cmd->name, cmd->args);
	GOptionContext *ctx = g_option_context_new(usage);
	g_option_context_set_summary(ctx, cmd->summary);
	/* only the spellings of options this command takes */
	g_option_context_set_description(ctx,
					 g_strcmp0(cmd->name, "write_flash") == 0 || g_strcmp0(cmd->name, "verify_flash") == 0
					     ? "esptool's spellings work too: -sc (--spi-connection), -fs, -fm, -ff, "
					       "and underscores in option names."
					     : "esptool's spellings work too: -sc (--spi-connection), and underscores "
					       "in option names.");
	if (g_strcmp0(cmd->name, "read_flash") == 0 || g_strcmp0(cmd->name, "erase_flash") == 0 ||
	    g_strcmp0(cmd->name, "erase_region") == 0)
		g_option_context_add_main_entries(ctx, read_entries, NULL);
	else if (g_strcmp0(cmd->name, "write_flash") == 0)
		g_option_context_add_main_entries(ctx, write_entries, NULL);
	else if (g_strcmp0(cmd->name, "verify_flash") == 0)
		g_option_context_add_main_entries(ctx, verify_entries, NULL);
	else if (g_strcmp0(cmd->name, "restore_partition") == 0)
		g_option_context_add_main_entries(ctx, partition_entries, NULL);
	else
		g_option_context_add_main_entries(ctx, plain_entries, NULL);
	if (g_strcmp0(cmd->name, "read_flash") == 0)
		g_option_context_add_main_entries(ctx, read_flash_entries, NULL);
	return ctx;
}

/* esptool spells these with one dash and two letters, which GOption cannot */
static void
fk_cli_rewrite_short_options(gchar **argv)
{
	for (guint i = 0; argv[i] != NULL; i++) {
		const gchar *map[][2] = {{"-fs", "--flash-size"}, {"-fm", "--flash-mode"},
					 {"-ff", "--flash-freq"}, {"-sc", "--spi-connection"},
					 {"--flash_size", "--flash-size"}, {"--flash_mode", "--flash-mode"},
					 {"--flash_freq", "--flash-freq"}, {"--spi_connection", "--spi-connection"},
					 {"--no_progress", "--no-progress"}, {"--no_sidecar", "--no-sidecar"},
					 {"--skip_flashed", "--skip-flashed"}, {"--diff_with", "--diff-with"}};
		for (guint j = 0; j < G_N_ELEMENTS(map); j++) {
			if (g_strcmp0(argv[i], map[j][0]) == 0) {
				g_free(argv[i]);
				argv[i] = g_strdup(map[j][1]);
			}
		}
	}
}

typedef struct {
	FkCli *self;
	const FkCliCommand *cmd;
	gchar **argv;
	GMainLoop *loop;
	gboolean ok;
	GError *error;
} FkCliRun;

static gboolean
fk_cli_quit_cb(gpointer user_data)
{
	g_main_loop_quit(user_data);
	return G_SOURCE_REMOVE;
}

static gpointer
fk_cli_run_thread(gpointer user_data)
{
	FkCliRun *run = user_data;
	run->ok = run->cmd->func(run->self, run->argv, &run->error);
	g_idle_add(fk_cli_quit_cb, run->loop);
	return NULL;
}

static gboolean
fk_cli_sigint_cb(gpointer user_data)
{
	FkCli *self = user_data;
	g_printerr("\nCancelling…\n");
	g_cancellable_cancel(self->cancellable);
	return G_SOURCE_CONTINUE;
}
/* the CLI being parsed, for the option callback */
static FkCli *fk_cli_parsing = NULL;

/* --baud: a rate esptool accepts, or auto */
static gboolean
fk_cli_parse_baud_cb(const gchar *name, const gchar *value, gpointer data, GError **error)
{
	guint64 baud = 0;
	if (g_ascii_strcasecmp(value, "auto") == 0) {
		fk_cli_parsing->baud = FK_BAUD_AUTO;
		return TRUE;
	}
	if (!g_ascii_string_to_unsigned(value, 10, 300, 5000000, &baud, NULL)) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "Invalid baud rate '%s': give a number from 300 to 5000000, or auto", value);
		return FALSE;
	}
	fk_cli_parsing->baud = (guint)baud;
	return TRUE;
}


int
main(int argc, char **argv)
{
	g_autoptr(FkCli) self = g_new0(FkCli, 1);
	g_autoptr(GOptionContext) ctx = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *summary = NULL;
	g_auto(GStrv) global_args = NULL;
	g_auto(GStrv) cmd_args = NULL;
	const FkCliCommand *cmd = NULL;
	gint split = argc;
	gboolean version = FALSE;
	GOptionEntry entries[] = {
	    {"port", 'p', 0, G_OPTION_ARG_STRING, &self->port, "Serial port, socket://HOST:PORT or sim:CHIP[@SIZE]", "PORT"},
	    {"baud", 'b', 0, G_OPTION_ARG_CALLBACK, (gpointer)fk_cli_parse_baud_cb,
	     "Baud rate for the transfer, or auto: the fastest the USB adapter and the chip sustain (default 115200)",
	     "BAUD|auto"},
	    {"chip", 'c', 0, G_OPTION_ARG_STRING, &self->chip, "Expected chip type (default auto)", "CHIP"},
	    {"before", 0, 0, G_OPTION_ARG_STRING, &self->before,
	     "How to enter the loader: default_reset, usb_reset, no_reset, no_reset_no_sync", "ACTION"},
	    {"after", 'a', 0, G_OPTION_ARG_STRING, &self->after,
	     "What to do when done: hard_reset, soft_reset, no_reset, no_reset_stub", "ACTION"},
	    {"no-stub", 0, 0, G_OPTION_ARG_NONE, &self->no_stub, "Use only the ROM loader", NULL},
	    {"wait", 0, 0, G_OPTION_ARG_INT, &self->wait_s,
	     "Seconds to wait for BOOT and EN to be pressed when the chip cannot be reset (default 120, 0: do not wait)",
	     "SECONDS"},
	    {"trace", 't', 0, G_OPTION_ARG_NONE, &self->trace, "Print every byte on the wire", NULL},
	    {"version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL},
	    {NULL}};

	setlocale(LC_ALL, "");
	self->wait_s = 120; /* a person needs a moment to find the buttons; Ctrl+C stops sooner */
	bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);
	self->baud = 115200;
	fk_cli_parsing = self;
	self->cancellable = g_cancellable_new();

	/* global options come before the command, command options after it */
	for (gint i = 1; i < argc; i++) {
		if (argv[i][0] != '-' && fk_cli_find_command(argv[i]) != NULL) {
			split = i;
			break;
		}
	}
	global_args = g_new0(gchar *, split + 1);
	for (gint i = 0; i < split; i++)
		global_args[i] = g_strdup(argv[i]);
	for (gint i = 1; i < split; i++) {
		if (g_strcmp0(global_args[i], "--no_stub") == 0) {
			g_free(global_args[i]);
			global_args[i] = g_strdup("--no-stub");
		}
	}
	ctx = g_option_context_new("COMMAND [ARGS…]");
	g_option_context_add_main_entries(ctx, entries, NULL);
	summary = fk_cli_commands_summary();
	g_option_context_set_summary(ctx, "Back up, restore and erase the flash of ESP8266 and ESP32 chips.");
	g_option_context_set_description(ctx, summary);
	if (!g_option_context_parse_strv(ctx, &global_args, &error)) {
		g_printerr("%s\n", error->message);
		return EXIT_USAGE;
	}
	if (version) {
		/* as esptool prints its own */
		g_print("flashkeep-cli %s\n", PACKAGE_VERSION);
		return EXIT_SUCCESS;
	}
	if (g_strv_length(global_args) > 1) {
		g_printerr("Unknown command “%s”. Run %s --help for the list.\n", global_args[1], argv[0]);
		return EXIT_USAGE;
	}
	if (split >= argc) {
		g_autofree gchar *help = g_option_context_get_help(ctx, TRUE, NULL);
		g_printerr("%s", help);
		return EXIT_USAGE;
	}
	cmd = fk_cli_find_command(argv[split]);
	cmd_args = g_new0(gchar *, argc - split + 1);
	for (gint i = split; i < argc; i++)
		cmd_args[i - split] = g_strdup(argv[i]);
	fk_cli_rewrite_short_options(cmd_args);
	{
		g_autoptr(GOptionContext) cctx = fk_cli_command_context(self, cmd);
		if (!g_option_context_parse_strv(cctx, &cmd_args, &error)) {
			g_printerr("%s\n", error->message);
			return EXIT_USAGE;
		}
	}
	/* the command runs in a worker so that Ctrl+C can cancel it cleanly; the shared options are
	 * checked first */
	if (!cmd->connects || fk_cli_check_global_options(self, &error)) {
		g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
		g_autoptr(GThread) thread = NULL;
		FkCliRun run = {self, cmd, cmd_args + 1, loop, FALSE, NULL};
		guint sigint_id = g_unix_signal_add(SIGINT, fk_cli_sigint_cb, self);
		guint sigterm_id = g_unix_signal_add(SIGTERM, fk_cli_sigint_cb, self);
		thread = g_thread_new("flashkeep-cli", fk_cli_run_thread, &run);
		g_main_loop_run(loop);
		g_thread_join(g_steal_pointer(&thread));
		g_source_remove(sigint_id);
		g_source_remove(sigterm_id);
		if (run.error != NULL)
			g_propagate_error(&error, run.error);
	}
	if (error != NULL) {
		fk_cli_report_error(self, error);
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}
