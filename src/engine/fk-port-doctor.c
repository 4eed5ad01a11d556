/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the port doctor's facts: the device node and the groups that may use it, the processes
 * holding it (/proc), brltty's udev rules, and what the chip prints after a reset at 115200 and
 * 74880 baud; calls the port registry, the loader and the reset pulses, then fk-port-doctor-rules */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fk-error.h"
#include "fk-port-doctor.h"
#include "fk-port.h"
#include "fk-reset.h"

#define FK_DOCTOR_LISTEN_MS  600
#define FK_DOCTOR_TEXT_MIN   16 /* printable characters in a row that make a line of text */
#define FK_DOCTOR_LINE_MAX   100

static void
fk_port_holder_free(FkPortHolder *holder)
{
	g_free(holder->name);
	g_free(holder);
}

FkPortFacts *
fk_port_facts_new(const gchar *port, gint error_code)
{
	FkPortFacts *facts = g_new0(FkPortFacts, 1);
	facts->port = g_strdup(port);
	facts->error_code = error_code;
	facts->process_gids = g_array_new(FALSE, FALSE, sizeof(guint));
	facts->user_gids = g_array_new(FALSE, FALSE, sizeof(guint));
	facts->holders = g_ptr_array_new_with_free_func((GDestroyNotify)fk_port_holder_free);
	return facts;
}

void
fk_port_facts_free(FkPortFacts *facts)
{
	if (facts == NULL)
		return;
	g_free(facts->port);
	g_free(facts->node_group);
	g_free(facts->user);
	g_array_unref(facts->process_gids);
	g_array_unref(facts->user_gids);
	g_ptr_array_unref(facts->holders);
	g_free(facts->brltty_rule);
	g_free(facts->brltty_ids);
	g_free(facts->boot_line);
	g_free(facts->text_line);
	g_free(facts);
}

void
fk_port_facts_add_holder(FkPortFacts *facts, guint pid, guint uid, const gchar *name)
{
	FkPortHolder *holder = g_new0(FkPortHolder, 1);
	holder->pid = pid;
	holder->uid = uid;
	holder->name = g_strdup(name);
	g_ptr_array_add(facts->holders, holder);
}

void
fk_diagnosis_free(FkDiagnosis *diagnosis)
{
	if (diagnosis == NULL)
		return;
	g_free(diagnosis->message);
	g_free(diagnosis->command);
	g_free(diagnosis);
}

/* ---- the node and the groups ---- */

static GArray *
fk_port_doctor_process_groups(void)
{
	GArray *gids = g_array_new(FALSE, FALSE, sizeof(guint));
	gint n = getgroups(0, NULL);
	g_autofree gid_t *list = NULL;
	guint egid = (guint)getegid();
	if (n > 0) {
		list = g_new0(gid_t, n);
		n = getgroups(n, list);
		for (gint i = 0; i < n; i++) {
			guint gid = (guint)list[i];
			g_array_append_val(gids, gid);
		}
	}
	g_array_append_val(gids, egid);
	return gids;
}

static GArray *
fk_port_doctor_user_groups(const gchar *user, guint primary_gid)
{
	GArray *gids = g_array_new(FALSE, FALSE, sizeof(guint));
	gint n = 64;
	g_autofree gid_t *list = NULL;
	if (user == NULL)
		return gids;
	for (guint tries = 0; tries < 4; tries++) {
		gint want = n;
		g_free(list);
		list = g_new0(gid_t, want);
		if (getgrouplist(user, (gid_t)primary_gid, list, &n) >= 0)
			break;
		n = MAX(n, want * 2);
	}
	for (gint i = 0; i < n; i++) {
		guint gid = (guint)list[i];
		g_array_append_val(gids, gid);
	}
	return gids;
}

static gchar *
fk_port_doctor_group_name(guint gid)
{
	struct group *gr = getgrgid((gid_t)gid);
	if (gr != NULL && gr->gr_name != NULL)
		return g_strdup(gr->gr_name);
	return g_strdup_printf("%u", gid);
}

void
fk_port_doctor_gather_node(FkPortFacts *facts, const gchar *path, const FkPortDoctorSources *sources)
{
	GStatBuf st;
	guint primary_gid = (guint)getegid();

	facts->is_node = TRUE;
	if (sources->set_uid) {
		facts->uid = sources->uid;
		facts->user = g_strdup(sources->user);
	} else {
		struct passwd *pw = getpwuid(geteuid());
		facts->uid = (guint)geteuid();
		if (pw != NULL) {
			facts->user = g_strdup(pw->pw_name);
			primary_gid = (guint)pw->pw_gid;
		}
	}
	g_array_unref(facts->process_gids);
	g_array_unref(facts->user_gids);
	facts->process_gids = sources->process_groups != NULL ? sources->process_groups(sources->user_data)
							      : fk_port_doctor_process_groups();
	facts->user_gids = sources->user_groups != NULL
			       ? sources->user_groups(facts->user, primary_gid, sources->user_data)
			       : fk_port_doctor_user_groups(facts->user, primary_gid);

	if (g_stat(path, &st) != 0) {
		facts->node_exists = FALSE;
		return;
	}
	facts->node_exists = TRUE;
	facts->node_uid = (guint)st.st_uid;
	facts->node_gid = (guint)st.st_gid;
	facts->node_mode = (guint)(st.st_mode & 07777);
	facts->node_group = sources->group_name != NULL ? sources->group_name(facts->node_gid, sources->user_data)
							: fk_port_doctor_group_name(facts->node_gid);
}

/* ---- who has it open ---- */

static gboolean
fk_port_doctor_is_pid(const gchar *name)
{
	if (name[0] == '\0')
		return FALSE;
	for (const gchar *p = name; *p != '\0'; p++) {
		if (!g_ascii_isdigit(*p))
			return FALSE;
	}
	return TRUE;
}

static gboolean
fk_port_doctor_fd_dir_holds(const gchar *fd_dir, const gchar *path, const gchar *real, gboolean *unreadable)
{
	g_autoptr(GError) error_local = NULL;
	g_autoptr(GDir) dir = g_dir_open(fd_dir, 0, &error_local);
	const gchar *fd;

	if (dir == NULL) {
		/* a process that ended meanwhile is no news; one we may not look into is */
		*unreadable = !g_error_matches(error_local, G_FILE_ERROR, G_FILE_ERROR_NOENT);
		return FALSE;
	}
	while ((fd = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *link = g_build_filename(fd_dir, fd, NULL);
		g_autofree gchar *target = g_file_read_link(link, NULL);
		if (target == NULL)
			continue;
		if (g_strcmp0(target, path) == 0 || (real != NULL && g_strcmp0(target, real) == 0))
			return TRUE;
	}
	return FALSE;
}

void
fk_port_doctor_find_holders(FkPortFacts *facts, const gchar *path, const FkPortDoctorSources *sources)
{
	const gchar *proc_root = sources->proc_root != NULL ? sources->proc_root : "/proc";
	g_autoptr(GDir) dir = g_dir_open(proc_root, 0, NULL);
	g_autofree gchar *real = realpath(path, NULL);
	g_autofree gchar *self = g_strdup_printf("%d", (gint)getpid());
	const gchar *entry;

	if (dir == NULL)
		return;
	while ((entry = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *fd_dir = NULL;
		gboolean unreadable = FALSE;
		if (!fk_port_doctor_is_pid(entry) || g_strcmp0(entry, self) == 0)
			continue;
		fd_dir = g_build_filename(proc_root, entry, "fd", NULL);
		if (fk_port_doctor_fd_dir_holds(fd_dir, path, real, &unreadable)) {
			g_autofree gchar *comm_path = g_build_filename(proc_root, entry, "comm", NULL);
			g_autofree gchar *proc_dir = g_build_filename(proc_root, entry, NULL);
			g_autofree gchar *comm = NULL;
			GStatBuf st = {0};
			if (!g_file_get_contents(comm_path, &comm, NULL, NULL))
				comm = g_strdup("?");
			g_strstrip(comm);
			(void)g_stat(proc_dir, &st);
			fk_port_facts_add_holder(facts, (guint)g_ascii_strtoull(entry, NULL, 10), (guint)st.st_uid, comm);
		} else if (unreadable) {
			facts->procs_unreadable++;
		}
	}
}

/* ---- brltty ---- */

static const gchar *const fk_doctor_brltty_programs[] = {"/usr/bin/brltty", "/bin/brltty", "/usr/sbin/brltty", NULL};
static const gchar *const fk_doctor_udev_rule_dirs[] = {"/etc/udev/rules.d", "/usr/lib/udev/rules.d",
							 "/lib/udev/rules.d", NULL};
/* the adapters brltty's rules are known to claim: CH340, CH341, CP210x */
static const guint16 fk_doctor_brltty_adapters[][2] = {{0x1a86, 0x7523}, {0x1a86, 0x5523}, {0x10c4, 0xea60}};

/* whether a rule (not a comment) names the adapter: ENV{PRODUCT}=="1a86/7523/…", or idVendor
 * and idProduct on one line */
static gboolean
fk_port_doctor_rules_name(const gchar *contents, guint16 vid, guint16 pid)
{
	g_auto(GStrv) lines = g_strsplit(contents, "\n", -1);
	g_autofree gchar *product = g_strdup_printf("%x/%x/", vid, pid);
	g_autofree gchar *ids = g_strdup_printf("%04x:%04x", vid, pid);
	g_autofree gchar *vendor_attr = g_strdup_printf("{idvendor}==\"%04x\"", vid);
	g_autofree gchar *product_attr = g_strdup_printf("{idproduct}==\"%04x\"", pid);

	for (guint i = 0; lines[i] != NULL; i++) {
		g_autofree gchar *line = g_ascii_strdown(g_strstrip(lines[i]), -1);
		if (line[0] == '#')
			continue;
		if (strstr(line, product) != NULL || strstr(line, ids) != NULL ||
		    (strstr(line, vendor_attr) != NULL && strstr(line, product_attr) != NULL))
			return TRUE;
	}
	return FALSE;
}

void
fk_port_doctor_check_brltty(FkPortFacts *facts, guint16 vid, guint16 pid, const FkPortDoctorSources *sources)
{
	const gchar *const *programs = sources->brltty_programs != NULL ? sources->brltty_programs
									 : fk_doctor_brltty_programs;
	const gchar *const *dirs = sources->udev_rule_dirs != NULL ? sources->udev_rule_dirs : fk_doctor_udev_rule_dirs;

	for (guint i = 0; programs[i] != NULL && !facts->brltty_installed; i++)
		facts->brltty_installed = g_file_test(programs[i], G_FILE_TEST_IS_EXECUTABLE);
	if (!facts->brltty_installed)
		return;
	for (guint i = 0; dirs[i] != NULL && facts->brltty_rule == NULL; i++) {
		g_autoptr(GDir) dir = g_dir_open(dirs[i], 0, NULL);
		const gchar *name;
		if (dir == NULL)
			continue;
		while (facts->brltty_rule == NULL && (name = g_dir_read_name(dir)) != NULL) {
			g_autofree gchar *path = NULL;
			g_autofree gchar *contents = NULL;
			if (strstr(name, "brltty") == NULL || !g_str_has_suffix(name, ".rules"))
				continue;
			path = g_build_filename(dirs[i], name, NULL);
			if (!g_file_get_contents(path, &contents, NULL, NULL))
				continue;
			for (guint a = 0; a < G_N_ELEMENTS(fk_doctor_brltty_adapters); a++) {
				guint16 v = vid != 0 ? vid : fk_doctor_brltty_adapters[a][0];
				guint16 p = vid != 0 ? pid : fk_doctor_brltty_adapters[a][1];
				if (fk_port_doctor_rules_name(contents, v, p)) {
					facts->brltty_rule = g_steal_pointer(&path);
					facts->brltty_ids = g_strdup_printf("%04x:%04x", v, p);
					break;
				}
				if (vid != 0)
					break;
			}
		}
	}
}

/* ---- what the chip prints ---- */

/* the line of @text around @pos, without control characters */
static gchar *
fk_port_doctor_line_at(const gchar *text, gsize pos)
{
	gsize start = pos;
	gsize end = pos;
	gchar *line;
	while (start > 0 && text[start - 1] != '\n' && text[start - 1] != '\r')
		start--;
	while (text[end] != '\0' && text[end] != '\n' && text[end] != '\r')
		end++;
	line = g_strndup(text + start, MIN(end - start, FK_DOCTOR_LINE_MAX));
	return g_strstrip(line);
}

/* ESP32 family: "rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)", download mode adds
 * "waiting for download" (as esptool reads it); ESP8266: "boot mode:(3,6)", whose first number's
 * low bits are MTDO, GPIO0, GPIO2: GPIO0 low with MTDO low is the UART download mode */
static FkBootText
fk_port_doctor_parse_boot(const gchar *text, gsize *pos)
{
	g_autoptr(GRegex) esp32 = g_regex_new("boot:(0x[0-9a-fA-F]+) ?\\(?([A-Z_]*)", 0, 0, NULL);
	g_autoptr(GRegex) esp8266 = g_regex_new("boot mode:\\(([0-9]+),[0-9]+\\)", 0, 0, NULL);
	g_autoptr(GMatchInfo) match = NULL;
	gint start = 0;

	if (g_regex_match(esp32, text, 0, &match)) {
		g_autofree gchar *name = g_match_info_fetch(match, 2);
		g_match_info_fetch_pos(match, 0, &start, NULL);
		*pos = (gsize)start;
		if (strstr(text, "waiting for download") != NULL || strstr(name, "DOWNLOAD") != NULL)
			return FK_BOOT_TEXT_DOWNLOAD;
		return FK_BOOT_TEXT_FLASH;
	}
	g_clear_pointer(&match, g_match_info_free);
	if (g_regex_match(esp8266, text, 0, &match)) {
		g_autofree gchar *mode = g_match_info_fetch(match, 1);
		guint64 bits = g_ascii_strtoull(mode, NULL, 10);
		g_match_info_fetch_pos(match, 0, &start, NULL);
		*pos = (gsize)start;
		return (bits & 0x6) == 0 ? FK_BOOT_TEXT_DOWNLOAD : FK_BOOT_TEXT_FLASH;
	}
	return FK_BOOT_TEXT_NONE;
}

/* a run of printable characters with letters and a space: what firmware prints, not line noise */
static gchar *
fk_port_doctor_find_text(const gchar *text)
{
	gsize run = 0;
	gboolean letter = FALSE;
	gboolean space = FALSE;
	for (gsize i = 0;; i++) {
		gchar c = text[i];
		if (c != '\0' && g_ascii_isprint(c)) {
			run++;
			letter |= g_ascii_isalpha(c);
			space |= c == ' ';
			continue;
		}
		if (run >= FK_DOCTOR_TEXT_MIN && letter && space)
			return fk_port_doctor_line_at(text, i - run);
		if (c == '\0')
			return NULL;
		run = 0;
		letter = FALSE;
		space = FALSE;
	}
}

void
fk_port_doctor_add_heard(FkPortFacts *facts, const guint8 *data, gsize len, guint baud)
{
	g_autofree gchar *text = g_new0(gchar, len + 1);
	gsize pos = 0;
	FkBootText boot;

	/* NUL and other bytes outside ASCII cannot be text: keep line ends, mark the rest */
	for (gsize i = 0; i < len; i++)
		text[i] = data[i] == '\r' || data[i] == '\n' || (data[i] >= 0x20 && data[i] < 0x7f) ? (gchar)data[i] : '\x01';
	facts->listened = TRUE;
	facts->bytes_heard += len;
	boot = fk_port_doctor_parse_boot(text, &pos);
	if (boot != FK_BOOT_TEXT_NONE && facts->boot == FK_BOOT_TEXT_NONE) {
		facts->boot = boot;
		facts->boot_line = fk_port_doctor_line_at(text, pos);
		facts->boot_baud = baud;
	}
	if (facts->text_line == NULL) {
		facts->text_line = fk_port_doctor_find_text(text);
		if (facts->text_line != NULL)
			facts->text_baud = baud;
	}
}

static gboolean
fk_port_doctor_listen_at(FkPortFacts *facts, FkLoader *loader, guint baud, gboolean reset, guint ms,
			 GCancellable *cancellable, GError **error)
{
	FkTransport *transport = fk_loader_get_transport(loader);
	g_autoptr(GByteArray) heard = g_byte_array_new();
	gint64 deadline;

	if (!fk_transport_set_baud(transport, baud, error))
		return FALSE;
	if (!fk_transport_flush_input(transport, error))
		return FALSE;
	if (reset && !fk_reset_to_download(loader, error))
		return FALSE;
	deadline = g_get_monotonic_time() + (gint64)ms * 1000;
	for (;;) {
		guint8 buf[512];
		gssize rc;
		gint64 now = g_get_monotonic_time();
		if (now >= deadline || heard->len > 16384)
			break;
		rc = fk_transport_read(transport, buf, sizeof(buf), (guint)((deadline - now) / 1000) + 1, cancellable,
				       error);
		if (rc < 0)
			return FALSE;
		g_byte_array_append(heard, buf, (guint)rc);
	}
	fk_port_doctor_add_heard(facts, heard->data, heard->len, baud);
	return TRUE;
}

gboolean
fk_port_doctor_listen(FkPortFacts *facts,
		      const gchar *port,
		      gboolean may_reset,
		      const FkPortDoctorSources *sources,
		      GCancellable *cancellable,
		      GError **error)
{
	/* the ESP32 family's ROM prints at 115200, the ESP8266's at 74880 (26 MHz crystal) */
	static const guint rates[] = {115200, 74880};
	g_autoptr(FkTransport) transport = fk_transport_open(port, error);
	FkLoader *loader;
	gboolean reset;
	gboolean ok = TRUE;
	guint ms = sources->listen_ms != 0 ? sources->listen_ms : FK_DOCTOR_LISTEN_MS;

	if (transport == NULL)
		return FALSE;
	reset = may_reset && fk_transport_has_modem_lines(transport);
	facts->reset_done = reset;
	loader = fk_loader_new(transport);
	for (guint i = 0; ok && i < G_N_ELEMENTS(rates); i++) {
		/* a network bridge keeps its own rate: listening again would only repeat it */
		if (i > 0 && fk_transport_get_kind(transport) == FK_TRANSPORT_KIND_TCP)
			break;
		ok = fk_port_doctor_listen_at(facts, loader, rates[i], reset, ms, cancellable, error);
	}
	/* leave the board running its firmware, as a failed connect does */
	if (ok && reset)
		ok = fk_reset_hard(loader, error);
	fk_loader_free(loader);
	fk_transport_close(transport);
	return ok;
}

/* ---- all of it ---- */

FkDiagnosis *
fk_port_doctor_examine(const gchar *port,
		       const GError *error,
		       guint16 vid,
		       guint16 pid,
		       gboolean may_reset,
		       const FkPortDoctorSources *sources,
		       GCancellable *cancellable)
{
	static const FkPortDoctorSources system = {0};
	g_autoptr(FkPortFacts) facts = NULL;
	FkDiagnosis *diagnosis;
	gboolean open_failed;
	gboolean silent;

	g_return_val_if_fail(port != NULL, NULL);
	if (error == NULL || error->domain != FK_ERROR)
		return NULL;
	if (sources == NULL)
		sources = &system;
	open_failed = error->code == FK_ERROR_PORT_NOT_FOUND || error->code == FK_ERROR_PORT_PERMISSION ||
		      error->code == FK_ERROR_PORT_BUSY || error->code == FK_ERROR_PORT_GONE;
	silent = error->code == FK_ERROR_NO_SYNC || error->code == FK_ERROR_WRONG_BOOT_MODE ||
		 error->code == FK_ERROR_TIMEOUT;
	if (!open_failed && !silent)
		return NULL;

	facts = fk_port_facts_new(port, error->code);
	if (g_path_is_absolute(port)) {
		fk_port_doctor_gather_node(facts, port, sources);
		fk_port_doctor_find_holders(facts, port, sources);
		if (open_failed)
			fk_port_doctor_check_brltty(facts, vid, pid, sources);
	}
	/* another program on the port would eat the chip's answers: that is the diagnosis then */
	if (silent && facts->holders->len == 0) {
		g_autoptr(GError) error_listen = NULL;
		if (!fk_port_doctor_listen(facts, port, may_reset, sources, cancellable, &error_listen))
			g_debug("could not listen to %s: %s", port, error_listen->message);
	}
	diagnosis = fk_port_doctor_decide(facts);
	if (diagnosis->kind == FK_DIAGNOSIS_NONE) {
		fk_diagnosis_free(diagnosis);
		return NULL;
	}
	return diagnosis;
}
