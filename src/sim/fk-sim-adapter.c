/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns the simulated USB adapters: what each reports over USB, the fastest rate it carries
 * cleanly, the native USB port whose speed ignores the rate, the driver's low-latency mode. May call nothing else in the
 * simulator. */
#include "config.h"

#include "fk-error.h"
#include "fk-sim-device-private.h"

/* the fastest clean rate is the vendor's figure, except the CP2102's (921600; its datasheet's
 * rate table ends there) */
static const FkSimAdapter fk_sim_adapters[] = {
    {"ch340", 0x1A86, 0x7523, "USB Serial", NULL, 2000000, FALSE},
    {"cp2102n", 0x10C4, 0xEA60, "CP2102N USB to UART Bridge Controller", "fk", 3000000, FALSE},
    {"cp2102", 0x10C4, 0xEA60, "CP2102 USB to UART Bridge Controller", "0001", 921600, FALSE},
    {"ft232r", 0x0403, 0x6001, "FT232R USB UART", "A10K", 3000000, FALSE},
    {"ch9102", 0x1A86, 0x55D4, "USB Single Serial", "5434", 3000000, FALSE},
    {"usbjtag", 0x303A, 0x1001, "USB JTAG/serial debug unit", "F4:12:FA", 0, TRUE},
};

const FkSimAdapter *
fk_sim_adapter_find(const gchar *name, GError **error)
{
	g_autoptr(GString) names = g_string_new(NULL);
	for (guint i = 0; i < G_N_ELEMENTS(fk_sim_adapters); i++) {
		if (g_strcmp0(fk_sim_adapters[i].name, name) == 0)
			return &fk_sim_adapters[i];
		g_string_append_printf(names, "%s%s", i > 0 ? ", " : "", fk_sim_adapters[i].name);
	}
	g_set_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT, "unknown simulated adapter '%s' (%s)", name,
		    names->str);
	return NULL;
}

/* the chance in a million that a byte at @baud arrives damaged: none up to the adapter's clean
 * rate, then growing with the excess (a UART's sampling point drifts out of the bit) */
static guint
fk_sim_adapter_error_ppm(const FkSimAdapter *adapter, guint max_clean, guint baud)
{
	gdouble excess;
	if (adapter == NULL || adapter->native)
		return 0;
	if (max_clean == 0)
		max_clean = adapter->max_clean_baud;
	if (baud <= max_clean)
		return 0;
	excess = (gdouble)baud / max_clean - 1.0;
	return (guint)MIN(200000.0, 10000.0 * excess);
}

guint8
fk_sim_device_adapter_noise(FkSimDevice *self, guint baud, guint64 index, gchar dir)
{
	guint ppm = fk_sim_adapter_error_ppm(self->adapter, self->adapter_max_clean, baud);
	guint64 st;
	if (ppm == 0)
		return 0;
	st = self->seed ^ (index * 0x9E3779B97F4A7C15ull) ^ ((guint64)dir << 48) ^ baud;
	if (fk_sim_rand_next(&st) % 1000000 >= ppm)
		return 0;
	self->adapter_errors++;
	return (guint8)(1u << (fk_sim_rand_next(&st) % 8));
}

/* ---- the device's adapter ---- */

gboolean
fk_sim_device_set_adapter(FkSimDevice *self, const gchar *name, GError **error)
{
	const FkSimAdapter *adapter = NULL;
	g_auto(GStrv) parts = NULL;
	guint64 max = 0;
	g_return_val_if_fail(FK_IS_SIM_DEVICE(self), FALSE);
	if (name != NULL) {
		/* "NAME@RATE": this board's line is clean only up to RATE (a long cable, a level
		 * shifter), below what the adapter itself carries */
		parts = g_strsplit(name, "@", 2);
		adapter = fk_sim_adapter_find(parts[0], error);
		if (adapter == NULL)
			return FALSE;
		if (parts[1] != NULL && !g_ascii_string_to_unsigned(parts[1], 10, 300, 5000000, &max, NULL)) {
			g_set_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT,
				    "invalid clean rate '%s' in adapter=%s (NAME@BAUD)", parts[1], name);
			return FALSE;
		}
	}
	g_mutex_lock(&self->mutex);
	self->adapter = adapter;
	self->adapter_max_clean = (guint)max;
	g_mutex_unlock(&self->mutex);
	return TRUE;
}

gboolean
fk_sim_device_get_adapter_usb(FkSimDevice *self, guint16 *vid, guint16 *pid, const gchar **product,
			      const gchar **serial)
{
	g_return_val_if_fail(FK_IS_SIM_DEVICE(self), FALSE);
	if (self->adapter == NULL)
		return FALSE;
	*vid = self->adapter->vid;
	*pid = self->adapter->pid;
	*product = self->adapter->product;
	*serial = self->adapter->serial;
	return TRUE;
}

guint64
fk_sim_device_get_adapter_errors(FkSimDevice *self)
{
	guint64 n;
	g_return_val_if_fail(FK_IS_SIM_DEVICE(self), 0);
	g_mutex_lock(&self->mutex);
	n = self->adapter_errors;
	g_mutex_unlock(&self->mutex);
	return n;
}

void
fk_sim_device_set_low_latency_mode(FkSimDevice *self, gboolean supported, guint latency_us)
{
	g_return_if_fail(FK_IS_SIM_DEVICE(self));
	g_mutex_lock(&self->mutex);
	self->low_latency_mode = supported;
	self->low_latency_us = latency_us;
	g_mutex_unlock(&self->mutex);
}

void
fk_sim_device_host_set_low_latency(FkSimDevice *self, gboolean on)
{
	g_return_if_fail(FK_IS_SIM_DEVICE(self));
	g_mutex_lock(&self->mutex);
	if (self->low_latency_mode && self->low_latency != on)
		fk_sim_device_trace(self, "* adapter low-latency mode %s", on ? "on" : "off");
	self->low_latency = on;
	g_mutex_unlock(&self->mutex);
	fk_sim_device_flush_trace(self);
}
