/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns "Automatic" baud: the USB adapters' and the chips' rate table, the decision (starting
 * rate and step-down ladder) and the rates remembered per adapter; calls the transport's getters */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "fk-adapter.h"
#include "fk-error.h"
#include "fk-protocol.h"
#include "fk-state-file.h"

/* the standard rates Flashkeep steps through, fastest first; the top is the fastest rate a
 * bridge is started at even where its datasheet allows more */
static const guint fk_adapter_rates[] = {3000000, 2000000, 1500000, 921600, 460800, 230400, FK_ROM_BAUD};

#define FK_VID_SILABS	0x10C4
#define FK_VID_WCH	0x1A86
#define FK_VID_FTDI	0x0403
#define FK_VID_ESPRESSIF 0x303A

static const FkAdapterInfo fk_adapter_cp2102 = {
    "CP2102", FK_ADAPTER_BRIDGE, 921600,
    "Silicon Labs CP2102/9 datasheet, table \"Data Formats and Baud Rates\": fixed rates up to 921600"};
static const FkAdapterInfo fk_adapter_cp2102n = {
    "CP2102N", FK_ADAPTER_BRIDGE, 3000000, "Silicon Labs CP2102N datasheet: baud rates up to 3 Mbaud"};
static const FkAdapterInfo fk_adapter_cp2104 = {
    "CP2104", FK_ADAPTER_BRIDGE, 2000000, "Silicon Labs CP2104 datasheet, 6.1 Baud Rate Generation: 300 bps to 2 Mbps"};
static const FkAdapterInfo fk_adapter_ch340 = {
    "CH340", FK_ADAPTER_BRIDGE, 2000000, "WCH CH340 datasheet (CH340DS1): 50 bps to 2 Mbps"};
static const FkAdapterInfo fk_adapter_ch343 = {
    "CH343/CH9102", FK_ADAPTER_BRIDGE, 3000000,
    "WCH CH343/CH9102 datasheets: above 3 Mbaud; started at the ladder's top"};
static const FkAdapterInfo fk_adapter_ft232r = {
    "FT232R", FK_ADAPTER_BRIDGE, 3000000, "FTDI FT232R datasheet: 300 baud to 3 Mbaud"};
static const FkAdapterInfo fk_adapter_ft2232 = {
    "FT2232/FT232H", FK_ADAPTER_BRIDGE, 3000000,
    "FTDI FT2232H/FT232H datasheets: up to 12 Mbaud; started at the ladder's top"};
static const FkAdapterInfo fk_adapter_usb_jtag = {
    "USB-Serial/JTAG", FK_ADAPTER_NATIVE, 0,
    "Espressif technical reference manuals: the chip's own full-speed USB port, the baud setting is not used"};
static const FkAdapterInfo fk_adapter_usb_otg = {
    "USB-OTG CDC", FK_ADAPTER_NATIVE, 0, "esptool (uses_usb_otg): the chip's own USB CDC port, no UART"};
static const FkAdapterInfo fk_adapter_unknown_usb = {
    "USB adapter", FK_ADAPTER_BRIDGE, 921600,
    "esptool's documentation: 921600 is the usual fast rate; Flashkeep steps down from it on errors"};
static const FkAdapterInfo fk_adapter_uart = {
    "serial port", FK_ADAPTER_UART, FK_ROM_BAUD, "a PC's 16550-type UART tops out at 115200"};
static const FkAdapterInfo fk_adapter_network = {
    "network bridge", FK_ADAPTER_NETWORK, 0, "a TCP bridge sets its serial rate itself"};

static const struct {
	guint16 vid;
	guint16 pid; /* 0: any */
	const gchar *product; /* a word the product string must hold, or NULL */
	const FkAdapterInfo *info;
} fk_adapter_ids[] = {
    /* the CP210x family shares one PID: the product string tells them apart */
    {FK_VID_SILABS, 0xEA60, "CP2102N", &fk_adapter_cp2102n},
    {FK_VID_SILABS, 0xEA60, "CP2104", &fk_adapter_cp2104},
    {FK_VID_SILABS, 0xEA60, NULL, &fk_adapter_cp2102},
    {FK_VID_WCH, 0x7523, NULL, &fk_adapter_ch340},
    {FK_VID_WCH, 0x5523, NULL, &fk_adapter_ch340},
    {FK_VID_WCH, 0x55D3, NULL, &fk_adapter_ch343},
    {FK_VID_WCH, 0x55D4, NULL, &fk_adapter_ch343},
    {FK_VID_FTDI, 0x6001, NULL, &fk_adapter_ft232r},
    {FK_VID_FTDI, 0x6010, NULL, &fk_adapter_ft2232},
    {FK_VID_FTDI, 0x6014, NULL, &fk_adapter_ft2232},
    {FK_VID_ESPRESSIF, 0x1001, NULL, &fk_adapter_usb_jtag},
    {FK_VID_ESPRESSIF, 0, NULL, &fk_adapter_usb_otg},
};

const FkAdapterInfo *
fk_adapter_identify(FkTransportKind transport_kind, guint16 vid, guint16 pid, const gchar *product)
{
	if (transport_kind == FK_TRANSPORT_KIND_TCP)
		return &fk_adapter_network;
	for (guint i = 0; i < G_N_ELEMENTS(fk_adapter_ids); i++) {
		if (fk_adapter_ids[i].vid != vid || (fk_adapter_ids[i].pid != 0 && fk_adapter_ids[i].pid != pid))
			continue;
		if (fk_adapter_ids[i].product != NULL &&
		    (product == NULL || strstr(product, fk_adapter_ids[i].product) == NULL))
			continue;
		return fk_adapter_ids[i].info;
	}
	/* a simulated port without a modelled adapter is a clean line, as an unknown USB one */
	if (vid == 0 && transport_kind == FK_TRANSPORT_KIND_SERIAL)
		return &fk_adapter_uart;
	return &fk_adapter_unknown_usb;
}

const FkAdapterInfo *
fk_adapter_identify_transport(FkTransport *transport)
{
	return fk_adapter_identify(fk_transport_get_kind(transport),
				   fk_transport_get_usb_vid(transport),
				   fk_transport_get_usb_pid(transport),
				   fk_transport_get_description(transport));
}

gboolean
fk_adapter_is_known_usb(guint16 vid, guint16 pid)
{
	/* a row of the table, whatever the product says (a row that needs a product has a
	 * fallback row of the same ids) */
	return vid != 0 && fk_adapter_identify(FK_TRANSPORT_KIND_SERIAL, vid, pid, NULL) != &fk_adapter_unknown_usb;
}

guint
fk_adapter_chip_max_baud(FkChipFamily family, gboolean stub, const gchar **source)
{
	const gchar *why;
	guint baud;
	if (family == FK_CHIP_ESP8266 && !stub) {
		why = "the ESP8266 ROM cannot change its rate (esptool: \"ROM doesn't support changing baud rate\")";
		baud = FK_ROM_BAUD;
	} else if (!stub) {
		/* the ESP32 ROM's divider follows a drifting crystal estimate; the other ROMs have
		 * their own corrections: stay at the rate esptool users run ROM-only sessions at */
		why = "ROM loader without the stub: 921600, Flashkeep's cautious limit";
		baud = 921600;
	} else if (family == FK_CHIP_ESP8266) {
		why = "ESP8266EX datasheet: UART up to 115200 x 40 (4.5 Mbps)";
		baud = 4500000;
	} else {
		why = "ESP32-series datasheets: UART up to 5 Mbps";
		baud = 5000000;
	}
	if (source != NULL)
		*source = why;
	return baud;
}

guint
fk_adapter_lower_baud(guint baud)
{
	for (guint i = 0; i < G_N_ELEMENTS(fk_adapter_rates); i++) {
		if (fk_adapter_rates[i] < baud)
			return fk_adapter_rates[i];
	}
	return baud;
}

/* the lowest standard rate above @baud, or @baud at the top */
static guint
fk_adapter_higher_baud(guint baud)
{
	for (guint i = G_N_ELEMENTS(fk_adapter_rates); i > 0; i--) {
		if (fk_adapter_rates[i - 1] > baud)
			return fk_adapter_rates[i - 1];
	}
	return baud;
}

/* the fastest standard rate at or below @baud */
static guint
fk_adapter_standard_at_most(guint baud)
{
	for (guint i = 0; i < G_N_ELEMENTS(fk_adapter_rates); i++) {
		if (fk_adapter_rates[i] <= baud)
			return fk_adapter_rates[i];
	}
	return FK_ROM_BAUD;
}

void
fk_adapter_choose_baud(const FkAdapterInfo *adapter,
		       FkChipFamily family,
		       gboolean stub,
		       guint remembered,
		       guint clean_runs,
		       FkBaudChoice *choice)
{
	guint baud;

	memset(choice, 0, sizeof(*choice));
	choice->adapter = adapter;
	/* native USB runs at the speed of USB whatever the rate; a TCP bridge keeps its own */
	if (adapter->max_baud == 0) {
		choice->table_baud = choice->start = FK_ROM_BAUD;
		choice->ladder[choice->n_ladder++] = FK_ROM_BAUD;
		return;
	}
	choice->table_baud = fk_adapter_standard_at_most(MIN(adapter->max_baud, fk_adapter_chip_max_baud(family, stub, NULL)));
	choice->start = choice->table_baud;
	if (remembered > 0 && remembered < choice->table_baud) {
		choice->start = fk_adapter_standard_at_most(remembered);
		choice->from_memory = TRUE;
		/* a rate that failed once may have failed for a reason that has gone (a cable, a
		 * hub): now and then, try one step faster so that it is never slower than needed */
		if (clean_runs >= FK_ADAPTER_PROBE_AFTER) {
			choice->start = MIN(fk_adapter_higher_baud(choice->start), choice->table_baud);
			choice->probing = TRUE;
		}
	}
	baud = choice->start;
	for (;;) {
		choice->ladder[choice->n_ladder++] = baud;
		if (baud <= FK_ROM_BAUD || choice->n_ladder == FK_ADAPTER_LADDER_MAX)
			break;
		baud = fk_adapter_lower_baud(baud);
	}
}

/* ---- remembered rates ---- */

struct _FkBaudMemory {
	gchar *path;
};

FkBaudMemory *
fk_baud_memory_new(const gchar *path)
{
	FkBaudMemory *self = g_new0(FkBaudMemory, 1);
	self->path = path != NULL ? g_strdup(path)
				  : g_build_filename(g_get_user_state_dir(), "flashkeep", "baud-rates.ini", NULL);
	return self;
}

void
fk_baud_memory_free(FkBaudMemory *self)
{
	if (self == NULL)
		return;
	g_free(self->path);
	g_free(self);
}

gchar *
fk_baud_memory_key(FkTransport *transport)
{
	const FkAdapterInfo *adapter = fk_adapter_identify_transport(transport);
	const gchar *serial = fk_transport_get_usb_serial(transport);
	g_autofree gchar *key = NULL;

	if (adapter->kind != FK_ADAPTER_BRIDGE || fk_transport_get_usb_vid(transport) == 0)
		return NULL;
	if (serial != NULL && serial[0] != '\0')
		key = g_strdup_printf("%04x:%04x %s", fk_transport_get_usb_vid(transport),
				      fk_transport_get_usb_pid(transport), serial);
	else
		key = g_strdup_printf("%04x:%04x at %s", fk_transport_get_usb_vid(transport),
				      fk_transport_get_usb_pid(transport), fk_transport_get_name(transport));
	/* a key file's group names cannot hold brackets or line breaks */
	return g_strcanon(g_steal_pointer(&key), G_CSET_a_2_z G_CSET_A_2_Z G_CSET_DIGITS " :-_./@", '_');
}

static GKeyFile *
fk_baud_memory_load(FkBaudMemory *self)
{
	GKeyFile *kf = g_key_file_new();
	/* missing or unreadable: nothing is remembered, which only costs speed */
	g_key_file_load_from_file(kf, self->path, G_KEY_FILE_NONE, NULL);
	return kf;
}

static gboolean
fk_baud_memory_save(FkBaudMemory *self, GKeyFile *kf, GError **error)
{
	g_autofree gchar *dir = g_path_get_dirname(self->path);
	g_autoptr(GError) error_local = NULL;
	if (g_mkdir_with_parents(dir, 0700) != 0 || !g_key_file_save_to_file(kf, self->path, &error_local)) {
		g_set_error(error, FK_ERROR, FK_ERROR_FILE,
			    "The baud rate that worked for this adapter cannot be saved in %s: %s", self->path,
			    error_local != NULL ? error_local->message : g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

guint
fk_baud_memory_lookup(FkBaudMemory *self, const gchar *key, guint *clean_runs)
{
	g_autoptr(GKeyFile) kf = NULL;
	guint64 baud, clean;

	if (clean_runs != NULL)
		*clean_runs = 0;
	if (key == NULL)
		return 0;
	kf = fk_baud_memory_load(self);
	baud = g_key_file_get_uint64(kf, key, "baud", NULL);
	clean = g_key_file_get_uint64(kf, key, "clean-runs", NULL);
	if (baud < FK_ROM_BAUD || baud > G_MAXUINT)
		return 0;
	if (clean_runs != NULL)
		*clean_runs = (guint)MIN(clean, G_MAXUINT);
	return (guint)baud;
}

/* with the state file's lock held: a change made by another board in the meantime is read
 * first, so that neither is lost */
static gboolean
fk_baud_memory_record_success_locked(FkBaudMemory *self, const gchar *key, const FkBaudChoice *choice,
				     guint final_baud, GError **error)
{
	g_autoptr(GKeyFile) kf = fk_baud_memory_load(self);
	guint64 clean;

	if (final_baud >= choice->table_baud) {
		/* the table's rate works: nothing to remember */
		if (!g_key_file_has_group(kf, key))
			return TRUE;
		g_key_file_remove_group(kf, key, NULL);
		return fk_baud_memory_save(self, kf, error);
	}
	clean = g_key_file_get_uint64(kf, key, "clean-runs", NULL);
	if (final_baud < choice->start || choice->probing || !choice->from_memory)
		clean = 0; /* a new rate: count its clean runs from here */
	else
		clean++;
	g_key_file_set_uint64(kf, key, "baud", final_baud);
	g_key_file_set_uint64(kf, key, "clean-runs", clean);
	return fk_baud_memory_save(self, kf, error);
}

gboolean
fk_baud_memory_record_success(FkBaudMemory *self, const gchar *key, const FkBaudChoice *choice, guint final_baud,
			      GError **error)
{
	gint lock;
	gboolean ok;

	if (key == NULL || choice->adapter->max_baud == 0)
		return TRUE;
	lock = fk_state_file_lock(self->path);
	ok = fk_baud_memory_record_success_locked(self, key, choice, final_baud, error);
	fk_state_file_unlock(lock);
	return ok;
}

gboolean
fk_baud_memory_forget(FkBaudMemory *self, const gchar *key, GError **error)
{
	g_autoptr(GKeyFile) kf = NULL;
	gint lock;
	gboolean ok = TRUE;

	if (key == NULL)
		return TRUE;
	lock = fk_state_file_lock(self->path);
	kf = fk_baud_memory_load(self);
	if (g_key_file_remove_group(kf, key, NULL))
		ok = fk_baud_memory_save(self, kf, error);
	fk_state_file_unlock(lock);
	return ok;
}
