/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The fault matrix ("never lose a byte"): every simulator fault, injected in the middle of a
 * backup, a restore or an erase, on the ESP8266 and the ESP32, through the stub and the ROM.
 * Whatever happens, the outcome must be either success with byte-exact data or a clean failure
 * (a GError in one of our domains, no backup file left behind), and the chip must be usable
 * again by a fresh FkDevice afterwards. A fault that hits once must be recovered from; a pulled
 * cable and a link that corrupts everything must end in a clean failure, not in endless
 * attempts. What recovery keeps and changes, case by case, is in test-device-recovery.c. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <zlib.h>

#include "fk-device.h"
#include "fk-error.h"
#include "fk-fault-rig.h"
#include "fk-flash.h"
#include "fk-protocol.h"
#include "fk-sim-device.h"
#include "fk-sim-transport.h"
#include "fk-test-util.h"

/* a scenario that takes longer than this is a hang */
#define SCENARIO_WATCHDOG_S 120

typedef enum {
	FAULT_DROP,
	FAULT_FLIP,
	FAULT_DELAY,
	FAULT_CLOSE,
	FAULT_WRITE_ERROR,
	FAULT_SHORT_READ,
	FAULT_BAD_MD5,
	FAULT_RESET,
	FAULT_STORM, /* a byte lost every few hundred bytes: nothing can get through */
	N_FAULTS
} FaultId;

static const struct {
	const gchar *name;
	FkSimFaultKind kind;
} fault_info[N_FAULTS] = {
    [FAULT_DROP] = {"drop", FK_SIM_FAULT_DROP_BYTE},
    [FAULT_FLIP] = {"flip", FK_SIM_FAULT_FLIP_BIT},
    [FAULT_DELAY] = {"delay", FK_SIM_FAULT_DELAY},
    [FAULT_CLOSE] = {"close", FK_SIM_FAULT_CLOSE_AFTER},
    [FAULT_WRITE_ERROR] = {"write-error", FK_SIM_FAULT_WRITE_ERROR},
    [FAULT_SHORT_READ] = {"short-read", FK_SIM_FAULT_SHORT_READ},
    [FAULT_BAD_MD5] = {"bad-md5", FK_SIM_FAULT_BAD_MD5},
    [FAULT_RESET] = {"reset", FK_SIM_FAULT_RESET},
    [FAULT_STORM] = {"storm", FK_SIM_FAULT_DROP_BYTE},
};

/* a cable pulled out cannot be survived, nor can a link that corrupts everything; every other
 * fault hits once and must be recovered from */
#define STORM_FAULTS 2000
static gboolean
fault_is_survivable(FaultId fault)
{
	return fault != FAULT_CLOSE && fault != FAULT_STORM;
}

static const gchar *const op_names[N_OPS] = {"backup", "restore", "erase"};

typedef enum {
	OUTCOME_NOT_RUN,
	OUTCOME_RECOVERED,	   /* the operation succeeded, data byte-exact */
	OUTCOME_FAILED_CLEANLY,	   /* a GError in our domains, nothing half-done left around */
	OUTCOME_SILENT_CORRUPTION, /* success with wrong data */
	OUTCOME_BAD_FAILURE,	   /* failed, but not cleanly (foreign error, leftover file) */
	OUTCOME_NO_RECOVERY,	   /* the chip could not be used again afterwards */
	OUTCOME_FAULT_NOT_FIRED,   /* the scenario did not test what it claims to */
	OUTCOME_NOT_RECOVERED,	   /* failed cleanly, but the fault can be survived */
	OUTCOME_NOT_BOUNDED,	   /* succeeded although no attempt could get through */
} Outcome;

static const gchar *const outcome_names[] = {
    "not run", "recovered", "failed cleanly", "SILENT-CORRUPTION", "BAD-FAILURE", "NO-RECOVERY",
    "FAULT-NOT-FIRED", "NOT-RECOVERED", "NOT-BOUNDED",
};

typedef struct {
	FaultId fault;
	Op op;
	const gchar *chip;
	gboolean stub;
	/* filled in when run */
	Outcome outcome;
	guint position; /* the fault's N */
	guint param;	/* DELAY: milliseconds */
	guint spacing;	/* STORM: bytes between flipped bits */
	gchar *detail;	/* the error, or what went wrong */
	gdouble seconds;
} Scenario;

static GPtrArray *scenarios; /* Scenario, in registration order */

/* ---- the watchdog: a hang in the engine is a finding, not a stuck test run ---- */

typedef struct {
	GMutex mutex;
	GCond cond;
	gboolean done;
	gchar *name;
	GThread *thread;
} Watchdog;

static gpointer
watchdog_thread(gpointer data)
{
	Watchdog *wd = data;
	gint64 deadline = g_get_monotonic_time() + (gint64)SCENARIO_WATCHDOG_S * G_USEC_PER_SEC;
	g_mutex_lock(&wd->mutex);
	while (!wd->done) {
		if (!g_cond_wait_until(&wd->cond, &wd->mutex, deadline) && !wd->done) {
			g_printerr("HANG: scenario %s did not finish within %u s\n", wd->name, SCENARIO_WATCHDOG_S);
			g_print("# HANG: scenario %s did not finish within %u s\n", wd->name, SCENARIO_WATCHDOG_S);
			abort();
		}
	}
	g_mutex_unlock(&wd->mutex);
	return NULL;
}

static Watchdog *
watchdog_start(const gchar *name)
{
	Watchdog *wd = g_new0(Watchdog, 1);
	g_mutex_init(&wd->mutex);
	g_cond_init(&wd->cond);
	wd->name = g_strdup(name);
	wd->thread = g_thread_new("watchdog", watchdog_thread, wd);
	return wd;
}

static void
watchdog_stop(Watchdog *wd)
{
	g_mutex_lock(&wd->mutex);
	wd->done = TRUE;
	g_cond_signal(&wd->cond);
	g_mutex_unlock(&wd->mutex);
	g_thread_join(wd->thread);
	g_mutex_clear(&wd->mutex);
	g_cond_clear(&wd->cond);
	g_free(wd->name);
	g_free(wd);
}

/* ---- what the simulator says ---- */

typedef struct {
	/* counted since the last reset_trace() */
	guint64 bytes;	  /* estimated bytes sent to the host (SLIP escapes not counted) */
	GArray *commands; /* guint8 opcodes, in order */
	guint data_cmds;  /* FLASH_DATA / FLASH_DEFL_DATA */
	guint read_frames;
	guint reads; /* READ_FLASH digests */
	GPtrArray *fault_lines;
} Trace;

static void
trace_reset(Trace *tr)
{
	tr->bytes = 0;
	tr->data_cmds = tr->read_frames = tr->reads = 0;
	if (tr->commands == NULL)
		tr->commands = g_array_new(FALSE, FALSE, 1);
	g_array_set_size(tr->commands, 0);
	if (tr->fault_lines == NULL)
		tr->fault_lines = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_set_size(tr->fault_lines, 0);
}

static void
trace_clear(Trace *tr)
{
	g_clear_pointer(&tr->commands, g_array_unref);
	g_clear_pointer(&tr->fault_lines, g_ptr_array_unref);
}

static void
trace_cb(const gchar *line, gpointer user_data)
{
	Trace *tr = user_data;
	const gchar *p;
	guint n;

	if (g_str_has_prefix(line, "! fault")) {
		g_ptr_array_add(tr->fault_lines, g_strdup(line));
		return;
	}
	if (g_str_has_prefix(line, "> ")) {
		p = strstr(line, "(0x");
		if (p != NULL) {
			guint8 op = (guint8)g_ascii_strtoull(p + 3, NULL, 16);
			g_array_append_val(tr->commands, op);
			if (op == FK_OP_FLASH_DATA || op == FK_OP_FLASH_DEFL_DATA)
				tr->data_cmds++;
		}
		return;
	}
	if (sscanf(line, "< READ_FLASH data %u bytes", &n) == 1) {
		tr->read_frames++;
		tr->bytes += n + 2;
		return;
	}
	if (g_str_has_prefix(line, "< READ_FLASH digest")) {
		tr->reads++;
		tr->bytes += 16 + 2;
		return;
	}
	if (g_str_has_prefix(line, "< rejected")) {
		tr->bytes += 8 * 14;
		return;
	}
	if (line[0] == '<' && (p = strstr(line, " len=")) != NULL) {
		tr->bytes += 8 + g_ascii_strtoull(p + 5, NULL, 10) + 2;
		return;
	}
}

/* ---- running one operation (the rig itself is in fk-fault-rig.h) ---- */

static FkDevice *
rig_connect(Rig *rig, gboolean stub, GError **error)
{
	g_autoptr(FkDevice) device = fk_device_new(rig->transport);
	fk_device_set_use_stub(device, stub);
	if (!fk_device_connect(device, NULL, error))
		return NULL;
	if (fk_device_is_stub_running(device) != stub) {
		g_set_error(error, FK_ERROR, FK_ERROR_FAILED, "stub running: %d, wanted %d",
			    fk_device_is_stub_running(device), stub);
		return NULL;
	}
	return g_steal_pointer(&device);
}

static FkWriteFlags
restore_flags(const Scenario *sc)
{
	/* the ESP8266 ROM cannot compute an MD5: the write is unverified there */
	if (!sc->stub && g_str_equal(sc->chip, "esp8266"))
		return FK_WRITE_FLAG_NO_VERIFY;
	return FK_WRITE_FLAG_NONE;
}

/* NULL when a failure is clean, else what is wrong with it */
static gchar *
check_failure(Rig *rig, const Scenario *sc, const GError *error)
{
	if (error == NULL)
		return g_strdup("failed without a GError");
	if (error->domain != FK_ERROR && error->domain != FK_PROTOCOL_ERROR && error->domain != FK_DEVICE_ERROR)
		return g_strdup_printf("error in a foreign domain %s: %s", g_quark_to_string(error->domain),
				       error->message);
	if (sc->op == OP_BACKUP) {
		/* neither the backup nor a temporary file may remain */
		g_autoptr(GDir) dir = g_dir_open(rig->tmpdir, 0, NULL);
		const gchar *name = dir != NULL ? g_dir_read_name(dir) : NULL;
		if (name != NULL)
			return g_strdup_printf("a failed backup left %s behind", name);
	}
	if (sc->op == OP_BACKUP) {
		g_autoptr(GBytes) after = fk_sim_device_get_flash(rig->sim);
		if (!g_bytes_equal(after, rig->before))
			return g_strdup("the flash changed during a failed backup");
	}
	return NULL;
}

/* ---- calibration: where the middle of each operation is ---- */

typedef struct {
	gboolean done;
	guint64 bytes;
	GArray *commands;
	guint data_cmds;
	guint read_frames;
	guint reads;
} Calibration;

static Calibration calibrations[N_OPS][2][2]; /* op, chip (0 esp8266, 1 esp32), stub */

static const Calibration *
calibrate(const Scenario *sc)
{
	Calibration *cal = &calibrations[sc->op][g_str_equal(sc->chip, "esp32")][sc->stub];
	g_autoptr(GError) error = NULL;
	g_autoptr(FkDevice) device = NULL;
	g_autofree gchar *path = NULL;
	Trace tr = {0};
	Rig rig = {0};

	if (cal->done)
		return cal;
	rig_open(&rig, sc->chip);
	trace_reset(&tr);
	fk_sim_device_set_trace_func(rig.sim, trace_cb, &tr);
	device = rig_connect(&rig, sc->stub, &error);
	g_assert_no_error(error);
	trace_reset(&tr);
	rig.before = fk_sim_device_get_flash(rig.sim);
	path = g_build_filename(rig.tmpdir, "backup.bin", NULL);
	if (!run_op(&rig, device, sc->op, restore_flags(sc), path, &error))
		g_error("calibration of %s/%s/%s failed: %s", op_names[sc->op], sc->chip, sc->stub ? "stub" : "rom",
			error->message);
	{
		g_autofree gchar *wrong = check_success(&rig, sc->op, path);
		if (wrong != NULL)
			g_error("calibration of %s/%s/%s without faults: %s", op_names[sc->op], sc->chip,
				sc->stub ? "stub" : "rom", wrong);
	}
	fk_sim_device_set_trace_func(rig.sim, NULL, NULL);
	cal->bytes = tr.bytes;
	cal->commands = g_array_ref(tr.commands);
	cal->data_cmds = tr.data_cmds;
	cal->read_frames = tr.read_frames;
	cal->reads = tr.reads;
	cal->done = TRUE;
	g_test_message("calibration %s/%s/%s: ~%" G_GUINT64_FORMAT " bytes to the host, %u commands, %u data "
		       "blocks, %u read frames, %u read digests",
		       op_names[sc->op], sc->chip, sc->stub ? "stub" : "rom", cal->bytes, cal->commands->len,
		       cal->data_cmds, cal->read_frames, cal->reads);
	trace_clear(&tr);
	rig_close(&rig);
	return cal;
}

/* how many bytes each FK_STUB_WRITE_SIZE slice of the compressed image inflates to, as the engine
 * computes it for its block timeouts */
static gsize
stub_block_inflated(guint seq)
{
	g_autoptr(GBytes) image = restore_image();
	g_autoptr(GByteArray) padded = g_byte_array_new();
	uLongf zlen;
	g_autofree guint8 *z = NULL;
	z_stream s = {0};
	gsize result = 0;

	g_byte_array_append(padded, g_bytes_get_data(image, NULL), g_bytes_get_size(image));
	while (padded->len % 4 != 0)
		g_byte_array_append(padded, (const guint8 *)"\xff", 1);
	zlen = compressBound(padded->len);
	z = g_malloc(zlen);
	g_assert_cmpint(compress2(z, &zlen, padded->data, padded->len, 9), ==, Z_OK);
	g_assert_cmpint(inflateInit(&s), ==, Z_OK);
	for (gsize pos = 0, i = 0; pos < zlen; pos += FK_STUB_WRITE_SIZE, i++) {
		guint8 out[65536];
		gsize produced = 0;
		gint rc;
		s.next_in = z + pos;
		s.avail_in = (uInt)MIN((gsize)FK_STUB_WRITE_SIZE, zlen - pos);
		do {
			s.next_out = out;
			s.avail_out = sizeof(out);
			rc = inflate(&s, Z_NO_FLUSH);
			produced += sizeof(out) - s.avail_out;
		} while (s.avail_out == 0 && rc == Z_OK);
		if (i == seq) {
			result = produced;
			break;
		}
	}
	inflateEnd(&s);
	return result;
}

/* the engine's timeout for the @n-th command (1-based) of the calibrated operation */
static guint
command_timeout_ms(const Scenario *sc, const Calibration *cal, guint n)
{
	guint8 op = g_array_index(cal->commands, guint8, n - 1);
	switch (op) {
	case FK_OP_ERASE_REGION:
	case FK_OP_FLASH_BEGIN:
		if (sc->op == OP_ERASE) {
			/* erased in 256 KiB pieces */
			gsize piece = MIN((gsize)ERASE_SIZE - (gsize)(n - 1) * 256 * 1024, (gsize)256 * 1024);
			return fk_timeout_per_mb(FK_TIMEOUT_ERASE_PER_MB, piece);
		}
		return fk_timeout_per_mb(FK_TIMEOUT_ERASE_PER_MB, RESTORE_SIZE + 2);
	case FK_OP_FLASH_DEFL_DATA: {
		/* the stub: a block waits as long as the previous block takes to inflate and write */
		guint seq = 0;
		gsize u;
		for (guint i = 0; i < n - 1; i++) {
			if (g_array_index(cal->commands, guint8, i) == FK_OP_FLASH_DEFL_DATA)
				seq++;
		}
		if (seq == 0)
			return FK_TIMEOUT_DEFAULT_MS;
		u = stub_block_inflated(seq - 1);
		return fk_timeout_per_mb(FK_TIMEOUT_ERASE_PER_MB, u + ((u + 32767) / 32768 + 1) * 65536);
	}
	default:
		return FK_TIMEOUT_DEFAULT_MS;
	}
}

/* the command a DELAY or RESET fault hits: in the middle, on one with a short timeout where the
 * operation has one (each such fault costs at least a timeout in real time) */
static guint
middle_command(const Scenario *sc, const Calibration *cal)
{
	guint n = cal->commands->len;
	if (sc->op == OP_ERASE)
		return n; /* the second (64 KiB) piece, after the first was erased */
	return (n + 1) / 2;
}

static void
choose_position(Scenario *sc, const Calibration *cal)
{
	sc->param = 0;
	switch (sc->fault) {
	case FAULT_DROP:
	case FAULT_FLIP:
	case FAULT_CLOSE:
	case FAULT_STORM:
		/* an erase has two replies: hit the second one, which has the short timeout (the
		 * first piece is erased by then) */
		if (sc->op == OP_ERASE)
			sc->position = (guint)MAX(cal->bytes * 3 / 4, 1);
		else
			sc->position = (guint)MAX(cal->bytes / 2, 1);
		/* from early on, several hits in every attempt and in every reply to a SYNC */
		if (sc->fault == FAULT_STORM) {
			sc->position = (guint)MAX(cal->bytes / 4, 1);
			/* dense enough that every reply is hit even where replies are short (a ROM
			 * restore): a storm that lets most replies through is one the bounded
			 * recovery may legitimately survive */
			sc->spacing = (guint)CLAMP(cal->bytes / 64, 5, 499);
		}
		break;
	case FAULT_DELAY: {
		sc->position = middle_command(sc, cal);
		/* just past the timeout the engine uses for that command */
		sc->param = command_timeout_ms(sc, cal, sc->position) + 400;
		break;
	}
	case FAULT_RESET:
		sc->position = middle_command(sc, cal);
		break;
	case FAULT_WRITE_ERROR:
		sc->position = MAX((cal->data_cmds + 1) / 2, 1);
		break;
	case FAULT_SHORT_READ:
		sc->position = MAX((cal->read_frames + 1) / 2, 1);
		break;
	case FAULT_BAD_MD5:
		sc->position = MAX((cal->reads + 1) / 2, 1);
		break;
	default:
		g_assert_not_reached();
	}
}

/* ---- one scenario ---- */

static void
test_scenario(gconstpointer data)
{
	Scenario *sc = (Scenario *)data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) error_again = NULL;
	g_autoptr(FkDevice) device = NULL;
	g_autoptr(FkDevice) again = NULL;
	g_autofree gchar *path = NULL;
	g_autofree gchar *name = g_strdup_printf("%s/%s/%s/%s", fault_info[sc->fault].name, op_names[sc->op], sc->chip,
						 sc->stub ? "stub" : "rom");
	const Calibration *cal;
	Watchdog *wd;
	Trace tr = {0};
	Rig rig = {0};
	gint64 start = g_get_monotonic_time();
	gboolean ok;

	wd = watchdog_start(name);
	cal = calibrate(sc);
	choose_position(sc, cal);

	rig_open(&rig, sc->chip);
	trace_reset(&tr);
	device = rig_connect(&rig, sc->stub, &error);
	g_assert_no_error(error);
	rig.before = fk_sim_device_get_flash(rig.sim);
	path = g_build_filename(rig.tmpdir, "backup.bin", NULL);

	/* counters start when the fault is added: N counts from here, after the connect */
	fk_sim_device_set_trace_func(rig.sim, trace_cb, &tr);
	fk_sim_device_add_fault(rig.sim, fault_info[sc->fault].kind, sc->position, sc->param);
	for (guint i = 1; sc->fault == FAULT_STORM && i < STORM_FAULTS; i++)
		fk_sim_device_add_fault(rig.sim, fault_info[sc->fault].kind, sc->position + i * sc->spacing, 0);
	ok = run_op(&rig, device, sc->op, restore_flags(sc), path, &error);
	fk_sim_device_set_trace_func(rig.sim, NULL, NULL);

	if (ok) {
		gchar *wrong = check_success(&rig, sc->op, path);
		if (wrong != NULL) {
			sc->outcome = OUTCOME_SILENT_CORRUPTION;
			sc->detail = wrong;
		} else {
			sc->outcome = OUTCOME_RECOVERED;
		}
	} else {
		gchar *wrong = check_failure(&rig, sc, error);
		if (wrong != NULL) {
			sc->outcome = OUTCOME_BAD_FAILURE;
			sc->detail = wrong;
		} else {
			sc->outcome = OUTCOME_FAILED_CLEANLY;
			sc->detail = g_strdup_printf("%s %d: %s", g_quark_to_string(error->domain), error->code,
						     error->message);
		}
	}
	/* what is survivable must be survived; what is not must end, with an error */
	if (sc->outcome == OUTCOME_FAILED_CLEANLY && fault_is_survivable(sc->fault))
		sc->outcome = OUTCOME_NOT_RECOVERED;
	if (sc->outcome == OUTCOME_RECOVERED && !fault_is_survivable(sc->fault))
		sc->outcome = OUTCOME_NOT_BOUNDED;
	if (tr.fault_lines->len == 0 && sc->outcome != OUTCOME_SILENT_CORRUPTION) {
		sc->outcome = OUTCOME_FAULT_NOT_FIRED;
		g_free(sc->detail);
		sc->detail = g_strdup_printf("%s:%u never fired", fault_info[sc->fault].name, sc->position);
	}
	{
		g_autofree gchar *param = sc->param != 0 ? g_strdup_printf(":%u", sc->param) : g_strdup("");
		g_test_message("%s: %s:%u%s -> %s%s%s", name, fault_info[sc->fault].name, sc->position, param,
			       outcome_names[sc->outcome], sc->detail != NULL ? " - " : "",
			       sc->detail != NULL ? sc->detail : "");
	}
	for (guint i = 0; i < MIN(tr.fault_lines->len, 4); i++)
		g_test_message("  sim: %s", (const gchar *)g_ptr_array_index(tr.fault_lines, i));
	if (tr.fault_lines->len > 4)
		g_test_message("  sim: (%u faults fired in all)", tr.fault_lines->len);

	/* the chip must be usable again: a fresh FkDevice on the same transport, no faults */
	fk_sim_device_clear_faults(rig.sim);
	if (fk_sim_device_is_link_dead(rig.sim)) {
		/* the cable was pulled: the user plugs it in and opens the port again */
		fk_sim_device_host_open(rig.sim, g_get_monotonic_time());
	}
	g_clear_object(&device);
	fk_test_empty_dir(rig.tmpdir);
	g_clear_pointer(&rig.before, g_bytes_unref);
	rig.before = fk_sim_device_get_flash(rig.sim);
	again = rig_connect(&rig, sc->stub, &error_again);
	if (again == NULL || !run_op(&rig, again, sc->op, restore_flags(sc), path, &error_again)) {
		g_autofree gchar *prev = sc->detail;
		sc->outcome = OUTCOME_NO_RECOVERY;
		sc->detail = g_strdup_printf("%s; afterwards: %s", prev != NULL ? prev : "",
					     error_again != NULL ? error_again->message : "?");
	} else {
		g_autofree gchar *wrong = check_success(&rig, sc->op, path);
		if (wrong != NULL) {
			g_autofree gchar *prev = sc->detail;
			sc->outcome = OUTCOME_NO_RECOVERY;
			sc->detail = g_strdup_printf("%s; the operation afterwards: %s", prev != NULL ? prev : "", wrong);
		}
	}

	sc->seconds = (g_get_monotonic_time() - start) / 1e6;
	trace_clear(&tr);
	rig_close(&rig);
	watchdog_stop(wd);

	if (sc->outcome != OUTCOME_RECOVERED && sc->outcome != OUTCOME_FAILED_CLEANLY)
		g_test_fail_printf("%s: %s: %s", name, outcome_names[sc->outcome], sc->detail);
}

/* ---- the matrix ---- */

static gboolean
applicable(FaultId fault, Op op, const gchar *chip, gboolean stub)
{
	gboolean esp8266_rom = !stub && g_str_equal(chip, "esp8266");
	/* the ESP8266 ROM cannot read its flash */
	if (esp8266_rom && op == OP_BACKUP)
		return FALSE;
	switch (fault) {
	case FAULT_WRITE_ERROR:
		/* only FLASH_DATA / FLASH_DEFL_DATA can fail this way */
		return op == OP_RESTORE;
	case FAULT_STORM:
		/* each costs a few timeouts: one chip is enough to show that attempts are bounded */
		return g_str_equal(chip, "esp32");
	case FAULT_SHORT_READ:
	case FAULT_BAD_MD5:
		/* only the stub's READ_FLASH stream has frames and a digest */
		return op == OP_BACKUP && stub;
	default:
		return TRUE;
	}
}

static void
print_summary(void)
{
	guint total = 0, recovered = 0, clean = 0, corrupt = 0, other = 0;
	g_print("# fault | op | chip | loader | outcome | position | seconds | detail\n");
	for (guint i = 0; i < scenarios->len; i++) {
		const Scenario *sc = g_ptr_array_index(scenarios, i);
		g_autofree gchar *pos = NULL;
		if (sc->outcome == OUTCOME_NOT_RUN)
			continue;
		total++;
		switch (sc->outcome) {
		case OUTCOME_RECOVERED:
			recovered++;
			break;
		case OUTCOME_FAILED_CLEANLY:
			clean++;
			break;
		case OUTCOME_SILENT_CORRUPTION:
			corrupt++;
			break;
		default:
			other++;
			break;
		}
		pos = sc->param != 0 ? g_strdup_printf("%u:%ums", sc->position, sc->param)
				     : g_strdup_printf("%u", sc->position);
		g_print("# %s | %s | %s | %s | %s | %s | %.1f | %s\n", fault_info[sc->fault].name, op_names[sc->op],
			sc->chip, sc->stub ? "stub" : "rom", outcome_names[sc->outcome], pos, sc->seconds,
			sc->detail != NULL ? sc->detail : "");
	}
	g_print("# scenarios %u, recovered %u, failed cleanly %u, silent corruptions %u", total, recovered, clean,
		corrupt);
	if (other > 0)
		g_print(", other failures %u", other);
	g_print("\n");
}

static void
scenario_free(gpointer data)
{
	Scenario *sc = data;
	g_free(sc->detail);
	g_free(sc);
}

int
main(int argc, char **argv)
{
	static const gchar *const chips[] = {"esp8266", "esp32"};
	gint rc;

	g_test_init(&argc, &argv, NULL);
	scenarios = g_ptr_array_new_with_free_func(scenario_free);
	for (guint f = 0; f < N_FAULTS; f++) {
		for (guint op = 0; op < N_OPS; op++) {
			for (guint c = 0; c < G_N_ELEMENTS(chips); c++) {
				for (guint stub = 2; stub-- > 0;) {
					Scenario *sc;
					g_autofree gchar *name = NULL;
					if (!applicable((FaultId)f, (Op)op, chips[c], stub == 1))
						continue;
					sc = g_new0(Scenario, 1);
					sc->fault = (FaultId)f;
					sc->op = (Op)op;
					sc->chip = chips[c];
					sc->stub = stub == 1;
					g_ptr_array_add(scenarios, sc);
					name = g_strdup_printf("/fk/faults/%s/%s/%s/%s", fault_info[f].name, op_names[op],
							       chips[c], sc->stub ? "stub" : "rom");
					g_test_add_data_func(name, sc, test_scenario);
				}
			}
		}
	}
	rc = g_test_run();
	print_summary();
	for (guint i = 0; i < N_OPS; i++) {
		for (guint c = 0; c < 2; c++) {
			for (guint s = 0; s < 2; s++)
				g_clear_pointer(&calibrations[i][c][s].commands, g_array_unref);
		}
	}
	g_ptr_array_unref(scenarios);
	return rc;
}
