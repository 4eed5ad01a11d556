/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The port registry: backends chosen by name prefix, the combined port list, and the engine
 * alone (no simulator linked) refusing "sim:" ports with a clear message. */
#include "config.h"

#include <string.h>

#include "fk-error.h"
#include "fk-port.h"

static guint opened_a = 0;
static guint opened_b = 0;

static FkTransport *
open_a(const gchar *name, GError **error)
{
	opened_a++;
	g_set_error(error, FK_ERROR, FK_ERROR_FAILED, "backend a: %s", name);
	return NULL;
}

static FkTransport *
open_b(const gchar *name, GError **error)
{
	opened_b++;
	g_set_error(error, FK_ERROR, FK_ERROR_FAILED, "backend b: %s", name);
	return NULL;
}

static GPtrArray *
list_test(GError **error)
{
	GPtrArray *ports = g_ptr_array_new_with_free_func((GDestroyNotify)fk_port_info_free);
	g_ptr_array_add(ports, fk_port_info_new("test:one", "Test port one", FK_PORT_KIND_NETWORK));
	g_ptr_array_add(ports, fk_port_info_new("test:two", "Test port two", FK_PORT_KIND_SIMULATED));
	return ports;
}

static void
test_port_no_simulator(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FkTransport) transport = fk_transport_open("sim:esp8266@1MB", &error);
	g_assert_null(transport);
	g_assert_error(error, FK_ERROR, FK_ERROR_PORT_NOT_FOUND);
	g_assert_nonnull(strstr(error->message, "not available in this program"));
}

static void
test_port_empty_name(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FkTransport) transport = fk_transport_open("", &error);
	g_assert_null(transport);
	g_assert_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT);
}

static void
test_port_dispatch(void)
{
	const FkPortBackend a = {"test:", open_a, list_test};
	const FkPortBackend b = {"test:", open_b, list_test};
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) error_b = NULL;
	g_autoptr(FkTransport) transport = NULL;
	g_autoptr(GPtrArray) ports = NULL;
	guint found = 0;

	fk_port_register_backend(&a);
	transport = fk_transport_open("test:one", &error);
	g_assert_null(transport);
	g_assert_error(error, FK_ERROR, FK_ERROR_FAILED);
	g_assert_cmpstr(error->message, ==, "backend a: test:one");
	g_assert_cmpuint(opened_a, ==, 1);

	/* the same prefix again replaces the backend, it does not add a second one */
	fk_port_register_backend(&b);
	transport = fk_transport_open("test:two", &error_b);
	g_assert_null(transport);
	g_assert_cmpstr(error_b->message, ==, "backend b: test:two");
	g_assert_cmpuint(opened_a, ==, 1);
	g_assert_cmpuint(opened_b, ==, 1);

	/* the list has the serial ports first (any, on this machine), then the backend's, in order */
	ports = fk_port_list(NULL);
	g_assert_nonnull(ports);
	for (guint i = 0; i < ports->len; i++) {
		FkPortInfo *info = g_ptr_array_index(ports, i);
		if (!g_str_has_prefix(info->name, "test:")) {
			g_assert_cmpuint(found, ==, 0);
			g_assert_true(info->kind == FK_PORT_KIND_SERIAL || info->kind == FK_PORT_KIND_USB);
			continue;
		}
		g_assert_cmpstr(info->name, ==, found == 0 ? "test:one" : "test:two");
		found++;
	}
	g_assert_cmpuint(found, ==, 2);
}

/* what the window's Network Port row accepts: the two schemes of a serial server, with a host
 * and a port number; anything else is refused with how to write it */
static void
test_port_network_address(void)
{
	const gchar *good[] = {"rfc2217://192.168.1.20:4000", "socket://localhost:3333", "RFC2217://[::1]:4000",
			       "rfc2217://server:4000?logging=debug", NULL};
	const gchar *bad[] = {"", "/dev/ttyUSB0", "sim:esp32", "192.168.1.20:4000", "rfc2217://", "rfc2217://host",
			      "socket://host:0", "socket://host:70000", "rfc2217://:4000", "telnet://host:23", NULL};
	for (guint i = 0; good[i] != NULL; i++) {
		g_autoptr(GError) error = NULL;
		g_assert_true(fk_port_check_network_address(good[i], &error));
		g_assert_no_error(error);
	}
	for (guint i = 0; bad[i] != NULL; i++) {
		g_autoptr(GError) error = NULL;
		g_assert_false(fk_port_check_network_address(bad[i], &error));
		g_assert_error(error, FK_ERROR, FK_ERROR_INVALID_ARGUMENT);
		g_assert_nonnull(strstr(error->message, "HOST:PORT"));
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/port/no-simulator", test_port_no_simulator);
	g_test_add_func("/port/empty-name", test_port_empty_name);
	g_test_add_func("/port/dispatch", test_port_dispatch);
	g_test_add_func("/port/network-address", test_port_network_address);
	return g_test_run();
}
