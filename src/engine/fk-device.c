/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the FkDevice facade the window and the CLI use: settings, what connect found, the checks
 * the operations share and the after-action; calls the loader and the reset layer */
#include "config.h"

#include "fk-connect.h"
#include "fk-device-private.h"
#include "fk-error.h"
#include "fk-mem.h"
#include "fk-packet.h"
#include "fk-protocol.h"
#include "fk-reset.h"

G_DEFINE_TYPE(FkDevice, fk_device, G_TYPE_OBJECT)

FkDevice *
fk_device_new(FkTransport *transport)
{
	FkDevice *self = g_object_new(FK_TYPE_DEVICE, NULL);
	self->loader = fk_loader_new(transport);
	return self;
}

FkTransport *
fk_device_get_transport(FkDevice *self)
{
	return fk_loader_get_transport(self->loader);
}

void
fk_device_set_reset_mode(FkDevice *self, FkResetMode mode)
{
	self->reset_mode = mode;
}

void
fk_device_set_baud(FkDevice *self, guint baud)
{
	self->auto_baud = baud == FK_BAUD_AUTO;
	self->baud_chosen = FALSE;
	self->target_baud = self->auto_baud ? FK_ROM_BAUD : baud;
}

void
fk_device_set_baud_memory_file(FkDevice *self, const gchar *path)
{
	g_free(self->baud_memory_path);
	self->baud_memory_path = g_strdup(path);
}

const FkBaudChoice *
fk_device_get_baud_choice(FkDevice *self)
{
	return self->auto_baud && self->baud_chosen ? &self->baud_choice : NULL;
}

void
fk_device_set_use_stub(FkDevice *self, gboolean use_stub)
{
	self->use_stub = use_stub;
}

void
fk_device_set_expected_chip(FkDevice *self, FkChipFamily family)
{
	self->expected_family = family;
}

void
fk_device_set_spi_connection(FkDevice *self, guint32 value)
{
	self->spi_connection = value;
	self->spi_connection_set = TRUE;
}

void
fk_device_set_log_func(FkDevice *self, FkDeviceLogFunc func, gpointer user_data)
{
	fk_loader_set_log_func(self->loader, func, user_data);
}

void
fk_device_set_wait_for_chip(FkDevice *self, guint limit_s, FkDeviceWaitFunc func, gpointer user_data)
{
	self->wait_func = func;
	self->wait_data = user_data;
	self->wait_limit_s = limit_s;
}

/* ---- registers ---- */

gboolean
fk_device_read_reg(FkDevice *self, guint32 addr, guint32 *value, GCancellable *cancellable, GError **error)
{
	return fk_loader_read_reg(self->loader, addr, value, cancellable, error);
}

gboolean
fk_device_write_reg(FkDevice *self,
		    guint32 addr,
		    guint32 value,
		    guint32 mask,
		    guint32 delay_us,
		    GCancellable *cancellable,
		    GError **error)
{
	return fk_loader_write_reg(self->loader, addr, value, mask, delay_us, cancellable, error);
}

guint
fk_device_get_recoveries(FkDevice *self)
{
	return self->recoveries;
}

gboolean
fk_device_is_connected(FkDevice *self)
{
	return fk_loader_is_connected(self->loader);
}

gboolean
_fk_device_check_connected(FkDevice *self, GError **error)
{
	if (!fk_loader_is_connected(self->loader)) {
		g_set_error_literal(error, FK_ERROR, FK_ERROR_WRONG_STATE, "not connected to a chip");
		return FALSE;
	}
	return TRUE;
}

const FkChipInfo *
fk_device_get_chip(FkDevice *self)
{
	return self->chip;
}

const gchar *
fk_device_get_chip_description(FkDevice *self)
{
	return self->description;
}

const guint8 *
fk_device_get_mac(FkDevice *self)
{
	return self->mac;
}

gchar *
fk_device_get_mac_string(FkDevice *self)
{
	return g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x",
			       self->mac[0], self->mac[1], self->mac[2],
			       self->mac[3], self->mac[4], self->mac[5]);
}

const gchar *
fk_device_get_chip_revision(FkDevice *self)
{
	return self->revision;
}

guint
fk_device_get_crystal_mhz(FkDevice *self)
{
	return self->crystal_mhz;
}

guint32
fk_device_get_flash_id(FkDevice *self)
{
	return self->flash_id;
}

gsize
fk_device_get_flash_size(FkDevice *self)
{
	return self->flash_size;
}

gsize
fk_device_get_bytes_written(FkDevice *self)
{
	return self->bytes_written;
}

gboolean
fk_device_is_stub_running(FkDevice *self)
{
	return fk_loader_get_kind(self->loader) == FK_LOADER_STUB;
}

gboolean
fk_device_is_esp8285(FkDevice *self)
{
	return self->is_esp8285;
}

void
fk_device_get_connect_times(FkDevice *self, FkConnectTimes *times)
{
	*times = self->times;
}

guint
fk_device_get_current_baud(FkDevice *self)
{
	return self->current_baud;
}

gboolean
fk_device_can_md5(FkDevice *self)
{
	return fk_loader_get_kind(self->loader) != FK_LOADER_ROM8266;
}

gboolean
fk_device_can_read(FkDevice *self)
{
	return fk_loader_get_kind(self->loader) != FK_LOADER_ROM8266;
}

gboolean
_fk_device_check_range(FkDevice *self, guint32 offset, gsize size, const gchar *what, GError **error)
{
	/* written so that nothing wraps round, whatever @size is */
	if (self->flash_size > 0 && (size > self->flash_size || offset > self->flash_size - size)) {
		g_autofree gchar *flash = fk_format_size(self->flash_size);
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_SIZE_MISMATCH,
			    "%s 0x%x–0x%" G_GINT64_MODIFIER "x does not fit in the %s flash",
			    what,
			    offset,
			    (guint64)offset + MIN(size, (gsize)G_MAXUINT32 + 1),
			    flash);
		return FALSE;
	}
	/* no flash has 4 GB */
	if (size > G_MAXUINT32 || (guint64)offset + size > (guint64)G_MAXUINT32 + 1) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_SIZE_MISMATCH,
			    "%s (0x%" G_GSIZE_MODIFIER "x bytes at 0x%x) would end past 4 GB, beyond any flash",
			    what,
			    size,
			    offset);
		return FALSE;
	}
	if ((guint64)offset + size > 16 * 1024 * 1024 &&
	    !(fk_loader_get_kind(self->loader) == FK_LOADER_STUB && self->chip->flash_32bit_addr)) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_SIZE_MISMATCH,
			    "%s goes beyond 16 MB, which this chip's loader cannot address",
			    what);
		return FALSE;
	}
	return TRUE;
}

gboolean
fk_device_finish(FkDevice *self, FkAfterMode after, GCancellable *cancellable, GError **error)
{
	guint8 buf[16] = {0};
	if (!fk_loader_is_connected(self->loader))
		return TRUE;
	switch (after) {
	case FK_AFTER_HARD_RESET:
		if (!fk_transport_has_modem_lines(fk_loader_get_transport(self->loader))) {
			fk_loader_log(self->loader, "cannot reset the chip over this link: reset it by hand");
			break;
		}
		if (self->chip->family == FK_CHIP_ESP32S3) {
			/* clear "force download boot", or the S3 comes back in its loader */
			g_autoptr(GError) error_local = NULL;
			if (!fk_loader_write_reg(self->loader, 0x6000812C, 0, 1, 0, cancellable, &error_local))
				fk_loader_log(self->loader, "%s", error_local->message);
		}
		if (!fk_reset_hard(self->loader, error))
			return FALSE;
		break;
	case FK_AFTER_SOFT_RESET:
		if (fk_loader_get_kind(self->loader) == FK_LOADER_STUB) {
			if (self->chip->family != FK_CHIP_ESP8266) {
				g_set_error_literal(error, FK_ERROR, FK_ERROR_UNSUPPORTED,
						    "a soft reset with the flasher stub only works on the ESP8266");
				return FALSE;
			}
			{
				g_autoptr(GByteArray) pkt = fk_packet_build_command(FK_OP_RUN_USER_CODE, NULL, 0, 0);
				if (!fk_loader_send_frame(self->loader, pkt->data, pkt->len, cancellable, error))
					return FALSE;
			}
			break;
		}
		fk_memwrite_u32le(buf + 8, FK_ROM_WRITE_SIZE);
		if (!fk_loader_command(self->loader, FK_OP_FLASH_BEGIN, buf, 16, FK_TIMEOUT_DEFAULT_MS, cancellable, error))
			return FALSE;
		fk_memwrite_u32le(buf, 1);
		if (!fk_loader_command(self->loader, FK_OP_FLASH_END, buf, 4, FK_TIMEOUT_DEFAULT_MS, cancellable, error))
			return FALSE;
		break;
	case FK_AFTER_NO_RESET:
	case FK_AFTER_NO_RESET_STUB:
	default:
		break;
	}
	fk_loader_set_connected(self->loader, FALSE);
	/* the rate the session ended at worked: Automatic starts there next time */
	_fk_device_baud_settle(self, TRUE);
	return TRUE;
}

static void
fk_device_finalize(GObject *object)
{
	FkDevice *self = FK_DEVICE(object);
	g_clear_pointer(&self->loader, fk_loader_free);
	g_free(self->description);
	g_free(self->revision);
	g_free(self->baud_memory_path);
	G_OBJECT_CLASS(fk_device_parent_class)->finalize(object);
}

static void
fk_device_init(FkDevice *self)
{
	self->use_stub = TRUE;
	self->target_baud = FK_ROM_BAUD;
	self->current_baud = FK_ROM_BAUD;
}

static void
fk_device_class_init(FkDeviceClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->finalize = fk_device_finalize;
}
