/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "fk-chip.h"
#include "fk-transport.h"

G_BEGIN_DECLS

/* fk_device_set_baud(): the rate is chosen from the USB adapter and the chip (see the README) */
#define FK_BAUD_AUTO G_MAXUINT

/* clean operations at a remembered rate before the next connection tries one step faster */
#define FK_ADAPTER_PROBE_AFTER 5

typedef enum {
	FK_ADAPTER_BRIDGE, /* a USB-to-UART bridge: the rate is the line's */
	FK_ADAPTER_NATIVE, /* the chip's own USB port: the rate setting is ignored */
	FK_ADAPTER_UART,   /* a serial port without USB ids: a built-in UART */
	FK_ADAPTER_NETWORK, /* a TCP bridge: its own rate, not ours to change */
} FkAdapterKind;

typedef struct {
	const gchar *name;   /* "CP2102N" */
	FkAdapterKind kind;
	guint max_baud;	     /* the fastest rate Automatic starts at; 0 for native USB and TCP */
	const gchar *source; /* where that figure comes from */
} FkAdapterInfo;

/* the adapter behind a port, from its USB ids and product string; never NULL (an unknown
 * adapter has its own row) */
const FkAdapterInfo *
fk_adapter_identify(FkTransportKind transport_kind, guint16 vid, guint16 pid, const gchar *product);
const FkAdapterInfo *
fk_adapter_identify_transport(FkTransport *transport);
/* TRUE when @vid:@pid is in the adapter table: a USB-to-UART bridge that ESP boards carry, or
 * the chips' own USB port (Espressif's vendor id); FALSE for any other USB device */
gboolean
fk_adapter_is_known_usb(guint16 vid, guint16 pid);

/* the rate the chip's loader can be asked for: the ROM's or the stub's UART */
guint
fk_adapter_chip_max_baud(FkChipFamily family, gboolean stub, const gchar **source);

/* the next lower standard rate, or @baud itself at the bottom (115200) */
guint
fk_adapter_lower_baud(guint baud);

#define FK_ADAPTER_LADDER_MAX 8

typedef struct {
	const FkAdapterInfo *adapter;
	guint table_baud; /* what the adapter and the chip sustain */
	guint start;	  /* the rate to switch to after connecting (115200: stay) */
	gboolean from_memory; /* start is a rate remembered for this adapter */
	gboolean probing;     /* start is one step above the remembered rate */
	guint ladder[FK_ADAPTER_LADDER_MAX]; /* start and the rates below it, down to 115200 */
	guint n_ladder;
} FkBaudChoice;

/* the decision: a pure function of the adapter, the chip and what was remembered for this
 * adapter (@remembered 0: nothing) after @clean_runs clean operations at that rate */
void
fk_adapter_choose_baud(const FkAdapterInfo *adapter,
		       FkChipFamily family,
		       gboolean stub,
		       guint remembered,
		       guint clean_runs,
		       FkBaudChoice *choice);

/* ---- the rates that worked, per adapter, in a small key file in the state folder ---- */

typedef struct _FkBaudMemory FkBaudMemory;

/* @path NULL: $XDG_STATE_HOME/flashkeep/baud-rates.ini */
FkBaudMemory *
fk_baud_memory_new(const gchar *path);
void
fk_baud_memory_free(FkBaudMemory *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FkBaudMemory, fk_baud_memory_free)

/* the key an adapter is remembered by: its USB ids and serial number, or, for an adapter
 * without a serial number (most CH340s), its USB ids and the port's name; NULL when there is
 * nothing to remember (native USB, TCP, a port without USB ids) */
gchar *
fk_baud_memory_key(FkTransport *transport);
/* 0 when nothing is remembered for @key */
guint
fk_baud_memory_lookup(FkBaudMemory *self, const gchar *key, guint *clean_runs);
/* an operation finished: it started at @choice->start and ended at @final_baud (lower after a
 * step-down). A rate below the table's is remembered; reaching the table's rate forgets it */
gboolean
fk_baud_memory_record_success(FkBaudMemory *self, const gchar *key, const FkBaudChoice *choice, guint final_baud,
			      GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* an operation failed for good: a remembered rate it started at is forgotten */
gboolean
fk_baud_memory_forget(FkBaudMemory *self, const gchar *key, GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
