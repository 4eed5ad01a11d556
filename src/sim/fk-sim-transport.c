/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the in-process "sim:" link: FkSimTransport over an FkSimDevice, port names and options,
 * the state file (locked while in use, read again when another program saved it); calls the device API */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fk-error.h"
#include "fk-protocol.h"
#include "fk-sim-private.h"
#include "fk-sim-transport.h"

#define FK_SIM_TRANSPORT_SLICE_US 50000

struct _FkSimTransport {
	FkTransport parent_instance;
	FkSimDevice *device;
	gchar *persist_path; /* flash saved here when the link closes, or NULL */
	gint lock_fd;	     /* holds persist_path's lock while the link is open, or -1 */
};

static void
fk_sim_stamp_record(FkSimDevice *device, const gchar *path);

G_DEFINE_FINAL_TYPE(FkSimTransport, fk_sim_transport, FK_TYPE_TRANSPORT)

static gboolean
fk_sim_transport_check_alive(FkSimTransport *self, GError **error)
{
	if (fk_sim_device_is_link_dead(self->device)) {
		g_set_error(error,
			    FK_ERROR,
			    FK_ERROR_PORT_GONE,
			    "%s went away",
			    fk_transport_get_name(FK_TRANSPORT(self)));
		return FALSE;
	}
	return TRUE;
}

static gboolean
fk_sim_transport_write(FkTransport *transport,
		       const guint8 *data,
		       gsize len,
		       GCancellable *cancellable,
		       GError **error)
{
	FkSimTransport *self = FK_SIM_TRANSPORT(transport);
	if (!fk_sim_transport_check_alive(self, error))
		return FALSE;
	fk_sim_device_host_write(self->device, data, len, g_get_monotonic_time());
	return TRUE;
}

static gssize
fk_sim_transport_read(FkTransport *transport,
		      guint8 *buf,
		      gsize len,
		      guint timeout_ms,
		      GCancellable *cancellable,
		      GError **error)
{
	FkSimTransport *self = FK_SIM_TRANSPORT(transport);
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	for (;;) {
		gint64 now = g_get_monotonic_time();
		gint64 next_us = -1;
		gint64 wait;
		gsize n = fk_sim_device_host_read(self->device, buf, len, now, &next_us);
		if (n > 0)
			return (gssize)n;
		if (!fk_sim_transport_check_alive(self, error))
			return -1;
		if (g_cancellable_set_error_if_cancelled(cancellable, error))
			return -1;
		if (now >= deadline)
			return 0;
		wait = deadline - now;
		if (next_us >= 0)
			wait = MIN(wait, MAX(next_us - now, 0));
		wait = MIN(wait, FK_SIM_TRANSPORT_SLICE_US);
		if (wait > 0)
			g_usleep((gulong)wait);
	}
}

static gboolean
fk_sim_transport_set_lines(FkTransport *transport, gboolean dtr, gboolean rts, GError **error)
{
	FkSimTransport *self = FK_SIM_TRANSPORT(transport);
	if (!fk_sim_transport_check_alive(self, error))
		return FALSE;
	fk_sim_device_set_lines(self->device, dtr, rts, g_get_monotonic_time());
	return TRUE;
}

static gboolean
fk_sim_transport_set_baud(FkTransport *transport, guint baud, GError **error)
{
	FkSimTransport *self = FK_SIM_TRANSPORT(transport);
	fk_sim_device_set_host_baud(self->device, baud, g_get_monotonic_time());
	return TRUE;
}

static gboolean
fk_sim_transport_flush_input(FkTransport *transport, GError **error)
{
	FkSimTransport *self = FK_SIM_TRANSPORT(transport);
	fk_sim_device_flush_host_input(self->device);
	return TRUE;
}

static void
fk_sim_transport_save(FkSimTransport *self)
{
	g_autofree gchar *dir = NULL;
	g_autoptr(GError) error_local = NULL;

	if (self->persist_path == NULL)
		return;
	dir = g_path_get_dirname(self->persist_path);
	if (g_mkdir_with_parents(dir, 0700) != 0) {
		g_warning("cannot create %s: %s", dir, g_strerror(errno));
		return;
	}
	if (!fk_sim_device_dump_flash(self->device, self->persist_path, &error_local))
		g_warning("cannot save simulated flash: %s", error_local->message);
	else
		fk_sim_stamp_record(self->device, self->persist_path);
}

static void
fk_sim_transport_unlock(FkSimTransport *self)
{
	if (self->lock_fd >= 0) {
		close(self->lock_fd);
		self->lock_fd = -1;
	}
}

static void
fk_sim_transport_close(FkTransport *transport)
{
	FkSimTransport *self = FK_SIM_TRANSPORT(transport);
	if (self->device == NULL)
		return;
	fk_sim_device_host_set_low_latency(self->device, FALSE);
	fk_sim_device_host_close(self->device);
	fk_sim_transport_save(self);
	fk_sim_transport_unlock(self);
}

static void
fk_sim_transport_finalize(GObject *object)
{
	FkSimTransport *self = FK_SIM_TRANSPORT(object);
	fk_sim_transport_unlock(self);
	g_clear_object(&self->device);
	g_free(self->persist_path);
	G_OBJECT_CLASS(fk_sim_transport_parent_class)->finalize(object);
}

static void
fk_sim_transport_init(FkSimTransport *self)
{
	self->lock_fd = -1;
}

static void
fk_sim_transport_class_init(FkSimTransportClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	FkTransportClass *transport_class = FK_TRANSPORT_CLASS(klass);
	object_class->finalize = fk_sim_transport_finalize;
	transport_class->write = fk_sim_transport_write;
	transport_class->read = fk_sim_transport_read;
	transport_class->set_lines = fk_sim_transport_set_lines;
	transport_class->set_baud = fk_sim_transport_set_baud;
	transport_class->flush_input = fk_sim_transport_flush_input;
	transport_class->close = fk_sim_transport_close;
}

FkTransport *
fk_sim_transport_new(FkSimDevice *device)
{
	FkSimTransport *self;
	g_autofree gchar *name = NULL;
	g_autofree gchar *size = NULL;

	g_return_val_if_fail(FK_IS_SIM_DEVICE(device), NULL);
	self = g_object_new(FK_TYPE_SIM_TRANSPORT, NULL);
	self->device = g_object_ref(device);
	size = fk_sim_format_size(fk_sim_device_get_flash_size(device));
	name = g_strdup_printf("sim:%s@%s", fk_sim_device_get_chip_name(device), size);
	fk_transport_set_name(FK_TRANSPORT(self), name);
	{
		guint16 vid = 0, pid = 0;
		const gchar *product = NULL, *serial = NULL;
		if (fk_sim_device_get_adapter_usb(device, &vid, &pid, &product, &serial)) {
			/* as a real port describes its USB adapter */
			fk_transport_set_usb_ids(FK_TRANSPORT(self), vid, pid);
			fk_transport_set_description(FK_TRANSPORT(self), product, serial);
		} else {
			/* what a backup's description records of the port, as a USB adapter's name would be */
			g_autofree gchar *description = g_strdup_printf("Simulated %s", fk_sim_device_get_description(device));
			fk_transport_set_description(FK_TRANSPORT(self), description, NULL);
		}
	}
	fk_transport_set_kind(FK_TRANSPORT(self), FK_TRANSPORT_KIND_SIM);
	fk_transport_set_has_modem_lines(FK_TRANSPORT(self), TRUE);
	fk_sim_device_set_host_baud(device, FK_ROM_BAUD, g_get_monotonic_time());
	fk_sim_device_host_open(device, g_get_monotonic_time());
	/* as the serial backend asks the adapter's driver when it opens a port */
	fk_sim_device_host_set_low_latency(device, TRUE);
	return FK_TRANSPORT(self);
}

FkSimDevice *
fk_sim_transport_get_device(FkSimTransport *self)
{
	g_return_val_if_fail(FK_IS_SIM_TRANSPORT(self), NULL);
	return self->device;
}

/* ---- "sim:" ports ---- */

static GMutex fk_sim_devices_mutex;
static GHashTable *fk_sim_devices = NULL; /* port name → FkSimDevice */
#define FK_SIM_STAMP_KEY "fk-sim-state-stamp"

/* remembers, on the device, the state file as this device last loaded or saved it */
static void
fk_sim_stamp_record(FkSimDevice *device, const gchar *path)
{
	GStatBuf *st = g_new0(GStatBuf, 1);
	if (g_stat(path, st) != 0) {
		g_free(st);
		return;
	}
	g_object_set_data_full(G_OBJECT(device), FK_SIM_STAMP_KEY, st, g_free);
}

/* has anyone else saved the chip's state since this device last read or wrote it? */
static gboolean
fk_sim_stamp_changed(FkSimDevice *device, const gchar *path)
{
	const GStatBuf *seen = g_object_get_data(G_OBJECT(device), FK_SIM_STAMP_KEY);
	GStatBuf now;
	if (g_stat(path, &now) != 0)
		return FALSE;
	return seen == NULL || seen->st_ino != now.st_ino || seen->st_size != now.st_size ||
	       seen->st_mtim.tv_sec != now.st_mtim.tv_sec || seen->st_mtim.tv_nsec != now.st_mtim.tv_nsec;
}

/* one program at a time uses a simulated chip, as with a serial port; the lock goes with the
 * descriptor, so a program that dies frees it */
static gint
fk_sim_lock_state(const gchar *path, const gchar *name, GError **error)
{
	g_autofree gchar *dir = g_path_get_dirname(path);
	g_autofree gchar *lock_path = g_strconcat(path, ".lock", NULL);
	gint fd;

	if (g_mkdir_with_parents(dir, 0700) != 0) {
		g_set_error(error, FK_ERROR, FK_ERROR_FAILED, "Cannot create %s for the simulated chip: %s", dir,
			    g_strerror(errno));
		return -1;
	}
	fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		g_set_error(error, FK_ERROR, FK_ERROR_FAILED, "Cannot lock the simulated chip %s: %s", name,
			    g_strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		g_set_error(error, FK_ERROR, FK_ERROR_PORT_BUSY,
			    "The simulated chip of %s is in use by another program or window: wait for it to "
			    "finish, or close it there",
			    name);
		return -1;
	}
	return fd;
}

static gchar *
fk_sim_persist_path(FkSimDevice *device)
{
	g_autofree gchar *size = fk_sim_format_size(fk_sim_device_get_flash_size(device));
	guint64 seed = fk_sim_device_get_seed(device);
	/* chips of one kind and size with seeds of their own are boards of their own: each keeps
	 * its flash, and each can be used while the other is */
	g_autofree gchar *base =
	    seed != 0 ? g_strdup_printf("%s-%s-seed%" G_GUINT64_FORMAT ".bin", fk_sim_device_get_chip_name(device), size, seed)
		      : g_strdup_printf("%s-%s.bin", fk_sim_device_get_chip_name(device), size);
	return g_build_filename(g_get_user_state_dir(), "flashkeep", "sim", base, NULL);
}

/* "sim:CHIP[@SIZE][,option…]" */
static FkSimDevice *
fk_sim_device_from_port_name(const gchar *name, gboolean *created, GError **error)
{
	g_auto(GStrv) opts = NULL;
	g_autoptr(FkSimDevice) device = NULL;
	const gchar *spec = name + strlen("sim:");
	gboolean paced = FALSE;
	gboolean download = FALSE;
	gboolean fresh = FALSE;
	gboolean gpio0_wired = TRUE;
	gboolean noreset = FALSE;
	guint hand_ms = 0;
	guint latency_us = 0;
	gint lowlat_us = -1;
	guint64 seed = 0;
	const gchar *adapter = NULL;
	FkSimStubKind stub_kind = FK_SIM_STUB_V2;
	gsize size = 0;
	g_auto(GStrv) chip_size = NULL;
	g_autoptr(GPtrArray) faults = g_ptr_array_new_with_free_func(g_free);

	opts = g_strsplit(spec, ",", -1);
	chip_size = g_strsplit(opts[0], "@", 2);
	if (chip_size[0] == NULL || chip_size[0][0] == '\0') {
		g_set_error(error, FK_ERROR, FK_ERROR_PORT_NOT_FOUND, "no chip named in %s", name);
		return NULL;
	}
	if (chip_size[1] != NULL && !fk_sim_parse_size(chip_size[1], &size, error))
		return NULL;
	for (guint i = 1; opts[i] != NULL; i++) {
		const gchar *o = opts[i];
		guint64 v = 0;
		if (g_strcmp0(o, "paced") == 0) {
			paced = TRUE;
		} else if (g_strcmp0(o, "download") == 0) {
			download = TRUE;
		} else if (g_strcmp0(o, "fresh") == 0) {
			fresh = TRUE;
		} else if (g_strcmp0(o, "no-boot-line") == 0) {
			gpio0_wired = FALSE;
		} else if (g_strcmp0(o, "noreset") == 0) {
			noreset = TRUE;
		} else if (g_str_has_prefix(o, "latency=") &&
			   g_ascii_string_to_unsigned(o + 8, 10, 0, 10000, &v, NULL)) {
			latency_us = (guint)v * 1000;
		} else if (g_str_has_prefix(o, "lowlatency=") &&
			   g_ascii_string_to_unsigned(o + 11, 10, 0, 10000, &v, NULL)) {
			/* the adapter's driver has a low-latency mode: MS to the host once asked */
			lowlat_us = (gint)v * 1000;
		} else if (g_str_has_prefix(o, "hands=") &&
			   g_ascii_string_to_unsigned(o + 6, 10, 0, 3600, &v, NULL)) {
			hand_ms = (guint)v * 1000;
		} else if (g_str_has_prefix(o, "seed=") &&
			   g_ascii_string_to_unsigned(o + 5, 10, 0, G_MAXUINT64, &v, NULL)) {
			seed = v;
		} else if (g_str_has_prefix(o, "adapter=")) {
			adapter = o + 8;
		} else if (g_str_has_prefix(o, "stub=") && fk_sim_stub_kind_from_string(o + 5, &stub_kind)) {
			/* v2, legacy or lockstep: how the stub paces its READ_FLASH stream */
		} else if (g_str_has_prefix(o, "fault=")) {
			g_ptr_array_add(faults, g_strdup(o + 6));
		} else {
			g_set_error(error,
				    FK_ERROR,
				    FK_ERROR_INVALID_ARGUMENT,
				    "unknown simulator option '%s' in %s "
				    "(paced, latency=MS, lowlatency=MS, seed=N, fault=SPEC, adapter=NAME, stub=v2|legacy|lockstep, download, fresh, "
				    "no-boot-line, noreset, hands=S)",
				    o,
				    name);
			return NULL;
		}
	}

	device = fk_sim_device_new(chip_size[0], size, seed, error);
	if (device == NULL)
		return NULL;
	for (guint i = 0; i < faults->len; i++) {
		if (!fk_sim_device_add_faults_from_string(device, g_ptr_array_index(faults, i), error))
			return NULL;
	}
	if (!fk_sim_device_set_adapter(device, adapter, error))
		return NULL;
	fk_sim_device_set_timing(device, paced, latency_us);
	fk_sim_device_set_stub_kind(device, stub_kind);
	fk_sim_device_set_low_latency_mode(device, lowlat_us >= 0, (guint)MAX(lowlat_us, 0));
	fk_sim_device_set_boot_mode(device, download ? FK_SIM_BOOT_DOWNLOAD : FK_SIM_BOOT_APP);
	fk_sim_device_set_gpio0_wired(device, gpio0_wired);
	/* "noreset": a board without the auto-reset circuit, reset by hand (its BOOT and EN buttons) */
	fk_sim_device_set_auto_reset(device, !noreset);
	/* "hands=S": someone puts the chip into its loader S seconds after the host starts trying */
	fk_sim_device_set_helping_hand(device, hand_ms);
	/* "fresh": what an earlier run saved is not wanted */
	if (fresh) {
		g_autofree gchar *path = fk_sim_persist_path(device);
		fk_sim_stamp_record(device, path);
	}
	*created = TRUE;
	return g_steal_pointer(&device);
}

static FkTransport *
fk_sim_transport_open(const gchar *name, GError **error)
{
	FkSimDevice *device;
	FkTransport *transport;
	gboolean created = FALSE;
	g_autofree gchar *path = NULL;
	gint lock_fd;

	g_mutex_lock(&fk_sim_devices_mutex);
	if (fk_sim_devices == NULL)
		fk_sim_devices = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);
	device = g_hash_table_lookup(fk_sim_devices, name);
	if (device == NULL) {
		device = fk_sim_device_from_port_name(name, &created, error);
		if (device == NULL) {
			g_mutex_unlock(&fk_sim_devices_mutex);
			return NULL;
		}
		g_hash_table_insert(fk_sim_devices, g_strdup(name), device);
	}
	path = fk_sim_persist_path(device);
	lock_fd = fk_sim_lock_state(path, name, error);
	if (lock_fd < 0) {
		g_mutex_unlock(&fk_sim_devices_mutex);
		return NULL;
	}
	/* what another program wrote since this one last used the chip (a restore from the command
	 * line while the window is open) is the chip's flash now */
	if (fk_sim_stamp_changed(device, path)) {
		g_autoptr(GError) error_local = NULL;
		if (!fk_sim_device_load_flash(device, path, &error_local))
			g_warning("ignoring saved simulated flash: %s", error_local->message);
		fk_sim_stamp_record(device, path);
	}
	g_mutex_unlock(&fk_sim_devices_mutex);

	transport = fk_sim_transport_new(device);
	fk_transport_set_name(transport, name);
	FK_SIM_TRANSPORT(transport)->persist_path = g_steal_pointer(&path);
	FK_SIM_TRANSPORT(transport)->lock_fd = lock_fd;
	return transport;
}

void
fk_sim_register(void)
{
	const FkPortBackend backend = {"sim:", fk_sim_transport_open, fk_sim_port_list};
	fk_port_register_backend(&backend);
}
