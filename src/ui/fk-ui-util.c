/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns what the widgets share: error summaries and hints a person can act on, sizes and
 * durations in words; calls the engine's error domains */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "fk-error.h"
#include "fk-ui-util.h"

gchar *
fk_ui_format_bytes(guint64 bytes)
{
	if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0)
		return g_strdup_printf(_("%u MB"), (guint)(bytes / (1024 * 1024)));
	if (bytes >= 1024 * 1024)
		return g_strdup_printf(_("%.1f MB"), bytes / (1024.0 * 1024.0));
	if (bytes >= 1024)
		return g_strdup_printf(_("%u KB"), (guint)(bytes / 1024));
	return g_strdup_printf(ngettext("%u byte", "%u bytes", (gulong)bytes), (guint)bytes);
}

gchar *
fk_ui_format_rate(guint64 done, guint64 total, gdouble seconds)
{
	gdouble rate;
	guint left;
	if (seconds < 0.5 || done == 0)
		return g_strdup("");
	rate = done / seconds;
	left = rate > 0 ? (guint)((total - MIN(done, total)) / rate + 0.5) : 0;
	if (left >= 60)
		/* Translators: transfer speed, then the time left */
		return g_strdup_printf(_("%.1f KB/s · about %u min %u s left"), rate / 1024, left / 60, left % 60);
	/* Translators: transfer speed, then the time left */
	return g_strdup_printf(_("%.1f KB/s · about %u s left"), rate / 1024, left);
}

static void
fk_ui_append_size(GString *name, gsize size)
{
	if (size >= 1024 * 1024 && size % (1024 * 1024) == 0)
		g_string_append_printf(name, "%" G_GSIZE_FORMAT "MB", size / (1024 * 1024));
	else
		g_string_append_printf(name, "%" G_GSIZE_FORMAT "KB", size / 1024);
}

gchar *
fk_ui_backup_name(const gchar *chip, const gchar *mac, gsize size, gsize flash_size, GDateTime *when)
{
	g_autofree gchar *date = g_date_time_format(when, "%Y-%m-%d");
	g_autofree gchar *chip_lower = g_ascii_strdown(chip != NULL ? chip : "esp", -1);
	GString *name = g_string_new(NULL);
	for (const gchar *p = chip_lower; *p != '\0' && *p != ' '; p++) {
		if (g_ascii_isalnum(*p))
			g_string_append_c(name, *p);
	}
	if (mac != NULL) {
		g_string_append_c(name, '-');
		for (const gchar *p = mac; *p != '\0'; p++) {
			if (*p != ':')
				g_string_append_c(name, *p);
		}
	}
	if (size > 0 && flash_size > size) {
		/* the name says it is not the whole chip, wherever the file is copied to */
		g_string_append(name, "-first-");
		fk_ui_append_size(name, size);
		g_string_append(name, "-of-");
		fk_ui_append_size(name, flash_size);
	} else if (size > 0) {
		g_string_append_c(name, '-');
		fk_ui_append_size(name, size);
	}
	g_string_append_printf(name, "-%s.bin", date);
	return g_string_free(name, FALSE);
}

gchar *
fk_ui_unused_name(const gchar *folder, const gchar *name)
{
	g_autofree gchar *stem = g_str_has_suffix(name, ".bin") ? g_strndup(name, strlen(name) - 4) : g_strdup(name);
	const gchar *ext = g_str_has_suffix(name, ".bin") ? ".bin" : "";
	gchar *candidate = g_strdup(name);
	for (guint n = 2; folder != NULL && n < 1000; n++) {
		g_autofree gchar *path = g_build_filename(folder, candidate, NULL);
		if (!g_file_test(path, G_FILE_TEST_EXISTS))
			break;
		g_free(candidate);
		candidate = g_strdup_printf("%s-%u%s", stem, n, ext);
	}
	return candidate;
}

gchar *
fk_ui_propose_backup_name(const gchar *folder, const gchar *chip, const gchar *mac, gsize size, gsize flash_size)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree gchar *name = fk_ui_backup_name(chip != NULL ? chip : "esp", mac, size, flash_size, now);
	return fk_ui_unused_name(folder, name);
}

const gchar *
fk_ui_error_summary(const GError *error, const gchar *operation_failed)
{
	if (error->domain == FK_ERROR) {
		switch (error->code) {
		case FK_ERROR_PORT_NOT_FOUND:
			return _("The serial port was not found");
		case FK_ERROR_PORT_PERMISSION:
			return _("No permission to use the serial port");
		case FK_ERROR_PORT_BUSY:
			return _("The serial port is in use");
		case FK_ERROR_PORT_GONE:
			return _("The board was disconnected");
		case FK_ERROR_NO_SYNC:
		case FK_ERROR_TIMEOUT:
			return _("The chip did not answer");
		case FK_ERROR_WRONG_BOOT_MODE:
			return _("The chip is not in download mode");
		case FK_ERROR_CHIP_RESET:
			return _("The chip restarted during the operation");
		case FK_ERROR_VERIFY_FAILED:
			return _("Verification failed");
		case FK_ERROR_OUTSIDE_CHANGED:
			return _("Flash outside the target was changed");
		case FK_ERROR_SIZE_MISMATCH:
			return _("The image does not fit");
		case FK_ERROR_STUB_MISSING:
			return _("The flasher stub is not installed");
		case FK_ERROR_STUB_INVALID:
			return _("The flasher stub file is damaged");
		case FK_ERROR_FILE:
			return _("The file could not be saved or read");
		default:
			break;
		}
	}
	if (error->domain == FK_PROTOCOL_ERROR)
		return _("The serial link is unreliable");
	if (error->domain == FK_DEVICE_ERROR)
		return _("The chip reported an error");
	return operation_failed;
}

const gchar *
fk_ui_error_hint(const GError *error)
{
	if (error->domain == FK_ERROR) {
		switch (error->code) {
		case FK_ERROR_PORT_PERMISSION:
			return _("Add your user to the “dialout” group, then log out and back in.");
		case FK_ERROR_PORT_BUSY:
			return _("Close other programs that use the port, such as serial monitors or another flasher.");
		case FK_ERROR_PORT_NOT_FOUND:
			return _("Check the cable. If a CH340 or CP210x adapter appears and vanishes at once, remove the brltty package.");
		case FK_ERROR_PORT_GONE:
			return _("Check the cable and the board’s power supply, then try again.");
		case FK_ERROR_NO_SYNC:
		case FK_ERROR_TIMEOUT:
			return _("Hold BOOT (GPIO0) while pressing RESET, check the cable, or choose a lower baud rate under Advanced.");
		case FK_ERROR_WRONG_BOOT_MODE:
			return _("Hold BOOT (GPIO0) while pressing RESET, or set the reset mode to Manual under Advanced.");
		case FK_ERROR_CHIP_RESET:
			return _("Check the board’s power supply: use another USB port or a shorter cable.");
		case FK_ERROR_OUTSIDE_CHANGED:
			return _("Restore a backup of this board to put the named ranges back, at a lower baud rate.");
		case FK_ERROR_STUB_MISSING:
			return _("Use Install in the chip’s card to copy Espressif’s flasher program from an esptool or esptool-js on this computer, or run the command shown there.");
		case FK_ERROR_STUB_INVALID:
			return _("Remove the damaged file named above, then use Install in the chip’s card to copy Espressif’s flasher program again.");
		case FK_ERROR_VERIFY_FAILED:
			return _("What the chip holds does not match its checksum. Try again, perhaps at a lower baud rate.");
		default:
			break;
		}
	}
	if (error->domain == FK_PROTOCOL_ERROR)
		return _("Choose a lower baud rate under Advanced, or use a shorter cable.");
	return NULL;
}

gchar *
fk_ui_describe_image(const gchar *basename,
		     gsize file_size,
		     const FkImageInfo *info,
		     const FkChipInfo *chip,
		     const gchar *chip_description,
		     gsize flash_size,
		     gboolean *warnings,
		     gboolean *blocking)
{
	GString *warn = g_string_new(NULL);
	GString *str = g_string_new(NULL);
	g_autofree gchar *size_text = fk_ui_format_bytes(file_size);
	g_autofree gchar *name_markup = g_markup_escape_text(basename, -1);

	*warnings = FALSE;
	*blocking = FALSE;
	/* what matters most comes first: reasons not to go ahead */
	if (chip != NULL && flash_size > 0 && file_size > flash_size) {
		g_autofree gchar *fl = fk_ui_format_bytes(flash_size);
		g_string_append_printf(warn, _("<b>⚠ The image is larger than the %s flash: it cannot be written.</b>"), fl);
		*blocking = TRUE;
	} else if (chip != NULL && info->found && info->chip != NULL && info->chip->family != chip->family) {
		g_string_append_printf(warn, _("<b>⚠ This image was made for %s, but the connected chip is %s.</b> "
					       "It will not start on this board."),
				       info->chip->name, chip->name);
	} else if (chip != NULL && info->found && info->flash_size > 0 && flash_size > 0 && info->flash_size > flash_size) {
		g_autofree gchar *hs = fk_ui_format_bytes(info->flash_size);
		g_string_append_printf(warn, _("<b>⚠ The firmware expects %s of flash; this board has less.</b>"), hs);
	} else if (!info->found) {
		g_string_append(warn, _("⚠ No boot image found: this may not be a firmware backup."));
	}
	*warnings = warn->len > 0;
	if (warn->len > 0)
		g_string_append_printf(str, "%s\n\n", warn->str);

	g_string_append_printf(str, _("<b>%s</b>, %s"), name_markup, size_text);
	if (info->found) {
		g_autofree gchar *hdr_size = info->flash_size > 0 ? fk_ui_format_bytes(info->flash_size)
								  : g_strdup(C_("flash size", "unknown size"));
		const gchar *freq = info->chip != NULL ? fk_chip_flash_freq_name(info->chip, info->header.freq_code) : NULL;
		g_autofree gchar *mode = g_ascii_strup(fk_flash_mode_to_string(info->header.flash_mode), -1);
		g_string_append(str, "\n");
		/* Translators: e.g. "Boot image for ESP32: DIO, 40m, 4 MB" */
		g_string_append_printf(str, _("Boot image for %s: %s, %s, %s"),
				       info->chip != NULL ? info->chip->name : C_("image for", "an unknown chip"),
				       mode, freq != NULL ? freq : "?", hdr_size);
	}
	if (chip != NULL) {
		g_string_append(str, "\n");
		if (flash_size > 0) {
			g_autofree gchar *flash_text = fk_ui_format_bytes(flash_size);
			/* Translators: the connected chip and its flash size */
			g_string_append_printf(str, _("Connected: %s with %s of flash"), chip_description, flash_text);
		} else {
			g_string_append_printf(str, _("Connected: %s (flash size unknown)"), chip_description);
		}
	}
	if (!*blocking) {
		g_string_append(str, "\n\n");
		g_string_append(str, _("What the flash holds now will be overwritten. Back it up first if you may need it."));
	}
	g_string_free(warn, TRUE);
	return g_string_free(str, FALSE);
}

/* the steps FkDevice and FkProgress report, so that they reach the translation catalogue */
static const gchar *const engine_statuses[] = {
    N_("Erasing"),
    N_("Writing"),
    N_("Verifying"),
    N_("Reading"),
    N_("Erasing the whole flash"),
};

const gchar *
fk_ui_translate_status(const gchar *status)
{
	if (status == NULL)
		return "";
	for (guint i = 0; i < G_N_ELEMENTS(engine_statuses); i++) {
		if (g_strcmp0(status, engine_statuses[i]) == 0)
			return _(engine_statuses[i]);
	}
	/* the window's own statuses are already translated */
	return status;
}
