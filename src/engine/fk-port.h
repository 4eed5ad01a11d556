/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Owns: the registry of port backends (chosen by name prefix, as libsigrok dispatches serial
 * ports), the list of ports a person can pick, and fk_transport_open(). May call: fk-transport. */
#pragma once

#include "fk-transport.h"

G_BEGIN_DECLS

typedef enum {
	FK_PORT_KIND_SERIAL,	/* a local serial port that is not USB (ttyS…, Bluetooth) */
	FK_PORT_KIND_USB,	/* a USB serial adapter or a chip's own USB port */
	FK_PORT_KIND_NETWORK,	/* a serial server reached over the network */
	FK_PORT_KIND_SIMULATED, /* a simulated board */
} FkPortKind;

typedef struct {
	gchar *name;	     /* what fk_transport_open() takes, e.g. /dev/ttyUSB0 */
	gchar *description;  /* human name: "CP2102 USB to UART Bridge Controller (Silicon Labs)" */
	gchar *manufacturer; /* may be NULL */
	gchar *product;	     /* may be NULL */
	gchar *serial;	     /* may be NULL */
	guint16 usb_vid;     /* 0 when not USB */
	guint16 usb_pid;
	FkPortKind kind;
} FkPortInfo;

FkPortInfo *
fk_port_info_new(const gchar *name, const gchar *description, FkPortKind kind);
void
fk_port_info_free(FkPortInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FkPortInfo, fk_port_info_free)

typedef FkTransport *(*FkTransportOpenFunc)(const gchar *name, GError **error);
/* the ports a backend offers, as a GPtrArray of FkPortInfo */
typedef GPtrArray *(*FkPortListFunc)(GError **error);

typedef struct {
	const gchar *prefix;	  /* "socket://", "sim:"; NULL for the backend that takes any other name */
	FkTransportOpenFunc open;
	FkPortListFunc list; /* NULL when the backend offers no ports of its own */
} FkPortBackend;

/* adds a backend (copied), or replaces the one with the same prefix; backends outside the
 * engine (the simulator) register themselves when their library is linked in */
void
fk_port_register_backend(const FkPortBackend *backend);

/* opens a port by name through the backend whose prefix it starts with; serial ports through
 * libserialport otherwise */
FkTransport *
fk_transport_open(const gchar *name, GError **error);

/* every backend's ports: serial ports first (USB before built-in, by name), then the others in
 * the order they registered; a backend that fails to list is skipped unless none succeeded */
GPtrArray *
fk_port_list(GError **error);

/* whether @name is a network port a person may add: rfc2217://HOST:PORT (a serial server speaking
 * RFC 2217, which carries the baud rate and the reset lines) or socket://HOST:PORT (a raw TCP
 * bridge); the error says how to write it */
gboolean
fk_port_check_network_address(const gchar *name, GError **error);

G_END_DECLS
