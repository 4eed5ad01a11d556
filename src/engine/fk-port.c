/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the registry of port backends by name prefix, fk_transport_open() and the combined port
 * list; calls the built-in backends (fk-transport-serial, fk-transport-tcp, fk-transport-rfc2217) */
#include "config.h"

#include "fk-error.h"
#include "fk-port.h"
#include "fk-transport-rfc2217.h"
#include "fk-transport-serial.h"
#include "fk-transport-tcp.h"

static GMutex backends_mutex;
static GArray *backends = NULL; /* of FkPortBackend, prefixes owned */

FkPortInfo *
fk_port_info_new(const gchar *name, const gchar *description, FkPortKind kind)
{
	FkPortInfo *info = g_new0(FkPortInfo, 1);
	info->name = g_strdup(name);
	info->description = g_strdup(description);
	info->kind = kind;
	return info;
}

void
fk_port_info_free(FkPortInfo *info)
{
	if (info == NULL)
		return;
	g_free(info->name);
	g_free(info->description);
	g_free(info->manufacturer);
	g_free(info->product);
	g_free(info->serial);
	g_free(info);
}

/* called with the lock held */
static void
fk_port_add_locked(const FkPortBackend *backend)
{
	FkPortBackend copy = *backend;
	for (guint i = 0; i < backends->len; i++) {
		FkPortBackend *known = &g_array_index(backends, FkPortBackend, i);
		if (g_strcmp0(known->prefix, backend->prefix) == 0) {
			known->open = backend->open;
			known->list = backend->list;
			return;
		}
	}
	copy.prefix = g_strdup(backend->prefix);
	g_array_append_val(backends, copy);
}

/* called with the lock held: the engine's own backends come first */
static void
fk_port_ensure_builtin_locked(void)
{
	const FkPortBackend serial = {NULL, fk_transport_serial_open, fk_port_list_serial};
	const FkPortBackend tcp = {"socket://", fk_transport_tcp_open, NULL};
	const FkPortBackend rfc2217 = {"rfc2217://", fk_transport_rfc2217_open, NULL};
	if (backends != NULL)
		return;
	backends = g_array_new(FALSE, TRUE, sizeof(FkPortBackend));
	fk_port_add_locked(&serial);
	fk_port_add_locked(&tcp);
	fk_port_add_locked(&rfc2217);
}

void
fk_port_register_backend(const FkPortBackend *backend)
{
	g_return_if_fail(backend != NULL && backend->open != NULL);
	g_mutex_lock(&backends_mutex);
	fk_port_ensure_builtin_locked();
	fk_port_add_locked(backend);
	g_mutex_unlock(&backends_mutex);
}

/* a snapshot, so that no backend runs under the lock */
static GArray *
fk_port_get_backends(void)
{
	GArray *copy;
	g_mutex_lock(&backends_mutex);
	fk_port_ensure_builtin_locked();
	copy = g_array_copy(backends);
	g_mutex_unlock(&backends_mutex);
	return copy;
}

FkTransport *
fk_transport_open(const gchar *name, GError **error)
{
	g_autoptr(GArray) list = fk_port_get_backends();
	FkTransportOpenFunc fallback = NULL;

	if (name == NULL || name[0] == '\0') {
		g_set_error_literal(error,
				    FK_ERROR,
				    FK_ERROR_INVALID_ARGUMENT,
				    "No serial port was given");
		return NULL;
	}
	for (guint i = 0; i < list->len; i++) {
		const FkPortBackend *backend = &g_array_index(list, FkPortBackend, i);
		if (backend->prefix == NULL)
			fallback = backend->open;
		else if (g_str_has_prefix(name, backend->prefix))
			return backend->open(name, error);
	}
	if (g_str_has_prefix(name, "sim:")) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_PORT_NOT_FOUND,
			    "Simulated devices are not available in this program (%s)",
			    name);
		return NULL;
	}
	return fallback(name, error);
}

GPtrArray *
fk_port_list(GError **error)
{
	g_autoptr(GArray) list = fk_port_get_backends();
	g_autoptr(GPtrArray) ports = g_ptr_array_new_with_free_func((GDestroyNotify)fk_port_info_free);
	g_autoptr(GError) first_error = NULL;
	gboolean any = FALSE;

	for (guint i = 0; i < list->len; i++) {
		const FkPortBackend *backend = &g_array_index(list, FkPortBackend, i);
		g_autoptr(GError) error_local = NULL;
		g_autoptr(GPtrArray) found = NULL;
		if (backend->list == NULL)
			continue;
		found = backend->list(&error_local);
		if (found == NULL) {
			g_debug("listing %s ports failed: %s",
				backend->prefix != NULL ? backend->prefix : "serial",
				error_local->message);
			if (first_error == NULL)
				first_error = g_steal_pointer(&error_local);
			continue;
		}
		any = TRUE;
		for (guint j = 0; j < found->len; j++)
			g_ptr_array_add(ports, g_steal_pointer(&found->pdata[j]));
	}
	if (!any && first_error != NULL) {
		g_propagate_error(error, g_steal_pointer(&first_error));
		return NULL;
	}
	return g_steal_pointer(&ports);
}
