/* SPDX-License-Identifier: GPL-3.0-or-later */
/* the port doctor: every diagnosis from injected facts (the decision table), then each case
 * reproduced where this machine allows: a process holding a pty or a file, a node of a group the
 * user lacks or got only in the group database, a node that vanished, brltty's rule, and
 * simulated chips that run their firmware instead of entering download mode */
#include "config.h"

#include <glib/gstdio.h>
#include <grp.h>
#include <pty.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fk-device.h"
#include "fk-error.h"
#include "fk-port-doctor.h"
#include "fk-sim-transport.h"

/* ---- the decision table, facts injected ---- */

static void
facts_node(FkPortFacts *f, guint gid, guint mode, gboolean in_process, gboolean in_database)
{
	guint other = 4;
	f->is_node = TRUE;
	f->node_exists = TRUE;
	f->node_uid = 0;
	f->node_gid = gid;
	f->node_mode = mode;
	f->node_group = g_strdup("dialout");
	f->uid = 1000;
	f->user = g_strdup("ada");
	g_array_append_val(f->process_gids, other);
	g_array_append_val(f->user_gids, other);
	if (in_process)
		g_array_append_val(f->process_gids, gid);
	if (in_database)
		g_array_append_val(f->user_gids, gid);
}

static void
setup_gone(FkPortFacts *f)
{
	f->is_node = TRUE;
	f->node_exists = FALSE;
}

static void
setup_brltty(FkPortFacts *f)
{
	setup_gone(f);
	f->brltty_installed = TRUE;
	f->brltty_rule = g_strdup("/usr/lib/udev/rules.d/85-brltty.rules");
	f->brltty_ids = g_strdup("1a86:7523");
}

static void
setup_brltty_no_rule(FkPortFacts *f)
{
	/* brltty without a rule for the adapter is not to blame: the port just vanished */
	setup_gone(f);
	f->brltty_installed = TRUE;
}

static void
setup_held(FkPortFacts *f)
{
	facts_node(f, 20, 0660, TRUE, TRUE);
	fk_port_facts_add_holder(f, 812, 0, "ModemManager");
}

static void
setup_held_own(FkPortFacts *f)
{
	facts_node(f, 20, 0660, TRUE, TRUE);
	fk_port_facts_add_holder(f, 4242, 1000, "minicom");
}

static void
setup_hidden(FkPortFacts *f)
{
	facts_node(f, 20, 0660, TRUE, TRUE);
	f->procs_unreadable = 37;
}

static void
setup_relogin(FkPortFacts *f)
{
	facts_node(f, 20, 0660, FALSE, TRUE);
}

static void
setup_not_in_group(FkPortFacts *f)
{
	facts_node(f, 20, 0660, FALSE, FALSE);
}

static void
setup_in_group(FkPortFacts *f)
{
	/* in the group: the permission error is not the group's doing */
	facts_node(f, 20, 0660, TRUE, TRUE);
}

static void
setup_no_access(FkPortFacts *f)
{
	facts_node(f, 20, 0600, FALSE, FALSE);
}

/* what the doctor heard after a reset (@reset) or without one */
static void
facts_heard(FkPortFacts *f, gboolean reset, FkBootText boot, const gchar *line, const gchar *text, gsize bytes)
{
	f->listened = TRUE;
	f->reset_done = reset;
	f->boot = boot;
	f->boot_line = g_strdup(line);
	f->boot_baud = 115200;
	f->text_line = g_strdup(text);
	f->text_baud = 115200;
	f->bytes_heard = bytes;
}

static void
setup_firmware(FkPortFacts *f)
{
	facts_heard(f, TRUE, FK_BOOT_TEXT_FLASH, "rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)", NULL, 300);
}

static void
setup_download(FkPortFacts *f)
{
	facts_heard(f, TRUE, FK_BOOT_TEXT_DOWNLOAD,
		    "rst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))", NULL, 120);
}

static void
setup_output(FkPortFacts *f)
{
	facts_heard(f, FALSE, FK_BOOT_TEXT_NONE, NULL, "I (4000) app_main: heartbeat 13, free heap 230792", 60);
}

static void
setup_baud(FkPortFacts *f)
{
	facts_heard(f, TRUE, FK_BOOT_TEXT_NONE, NULL, NULL, 211);
}

static void
setup_silent(FkPortFacts *f)
{
	facts_heard(f, TRUE, FK_BOOT_TEXT_NONE, NULL, NULL, 0);
}

static void
setup_nothing(FkPortFacts *f)
{
	facts_node(f, 20, 0660, TRUE, TRUE);
}

typedef struct {
	const gchar *name;
	gint error_code;
	void (*setup)(FkPortFacts *f);
	FkDiagnosisKind kind;
	const gchar *message_has;
	const gchar *command; /* NULL: none */
} DecideCase;

static const DecideCase decide_cases[] = {
    {"gone-during-job", FK_ERROR_PORT_GONE, setup_gone, FK_DIAGNOSIS_PORT_GONE, "went away during the job",
     "sudo dmesg --follow"},
    {"gone-before-open", FK_ERROR_PORT_NOT_FOUND, setup_gone, FK_DIAGNOSIS_PORT_GONE, "vanished after it was listed",
     "sudo dmesg --follow"},
    {"brltty", FK_ERROR_PORT_NOT_FOUND, setup_brltty, FK_DIAGNOSIS_BRLTTY, "85-brltty.rules claims",
     "sudo apt-get remove brltty"},
    {"brltty-no-rule", FK_ERROR_PORT_NOT_FOUND, setup_brltty_no_rule, FK_DIAGNOSIS_PORT_GONE, "is not there",
     "sudo dmesg --follow"},
    {"held-modemmanager", FK_ERROR_PORT_BUSY, setup_held, FK_DIAGNOSIS_HELD, "in use by ModemManager (PID 812)",
     "sudo systemctl stop ModemManager"},
    {"held-own", FK_ERROR_PORT_BUSY, setup_held_own, FK_DIAGNOSIS_HELD, "in use by minicom (PID 4242)", "kill 4242"},
    {"holder-hidden", FK_ERROR_PORT_BUSY, setup_hidden, FK_DIAGNOSIS_HOLDER_HIDDEN,
     "open files of 37 processes of other users", "sudo fuser -v /dev/ttyUSB0"},
    {"relogin", FK_ERROR_PORT_PERMISSION, setup_relogin, FK_DIAGNOSIS_RELOGIN, "log out and back in", "newgrp dialout"},
    {"not-in-group", FK_ERROR_PORT_PERMISSION, setup_not_in_group, FK_DIAGNOSIS_NOT_IN_GROUP,
     "your user ada is not in it", "sudo usermod -aG dialout ada"},
    {"in-group", FK_ERROR_PORT_PERMISSION, setup_in_group, FK_DIAGNOSIS_NONE, NULL, NULL},
    {"no-access", FK_ERROR_PORT_PERMISSION, setup_no_access, FK_DIAGNOSIS_NO_ACCESS, "mode 0600",
     "sudo setfacl -m u:ada:rw /dev/ttyUSB0"},
    {"firmware-running", FK_ERROR_WRONG_BOOT_MODE, setup_firmware, FK_DIAGNOSIS_FIRMWARE_RUNNING,
     "not in download mode: its ROM printed “rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)”", NULL},
    {"download-no-reply", FK_ERROR_NO_SYNC, setup_download, FK_DIAGNOSIS_DOWNLOAD_NO_REPLY, "(TX to RX) seems broken",
     NULL},
    {"firmware-output", FK_ERROR_NO_SYNC, setup_output, FK_DIAGNOSIS_FIRMWARE_OUTPUT,
     "prints “I (4000) app_main: heartbeat 13, free heap 230792” at 115200", NULL},
    {"other-baud", FK_ERROR_NO_SYNC, setup_baud, FK_DIAGNOSIS_OTHER_BAUD, "runs at another rate", NULL},
    {"silent", FK_ERROR_NO_SYNC, setup_silent, FK_DIAGNOSIS_SILENT, "printed nothing after a reset", NULL},
    {"nothing", FK_ERROR_PORT_BUSY, setup_nothing, FK_DIAGNOSIS_NONE, NULL, NULL},
};

static void
test_decide_table(void)
{
	gboolean seen[FK_DIAGNOSIS_LAST] = {FALSE};
	for (guint i = 0; i < G_N_ELEMENTS(decide_cases); i++) {
		const DecideCase *c = &decide_cases[i];
		g_autoptr(FkPortFacts) facts = fk_port_facts_new("/dev/ttyUSB0", c->error_code);
		g_autoptr(FkDiagnosis) diagnosis = NULL;
		c->setup(facts);
		diagnosis = fk_port_doctor_decide(facts);
		g_test_message("%s: %s: %s | %s", c->name, fk_diagnosis_kind_to_string(diagnosis->kind),
			       diagnosis->message, diagnosis->command);
		g_assert_cmpstr(fk_diagnosis_kind_to_string(diagnosis->kind), ==, fk_diagnosis_kind_to_string(c->kind));
		seen[diagnosis->kind] = TRUE;
		if (c->message_has != NULL)
			g_assert_nonnull(strstr(diagnosis->message, c->message_has));
		g_assert_cmpstr(diagnosis->command, ==, c->command);
	}
	/* every kind is reachable */
	for (guint k = 0; k < FK_DIAGNOSIS_LAST; k++) {
		if (!seen[k])
			g_error("no case reaches %s", fk_diagnosis_kind_to_string(k));
	}
}

/* ---- boot text, as the chips print it ---- */

static void
test_boot_text(void)
{
	static const struct {
		const gchar *text;
		FkBootText boot;
		const gchar *line;
	} cases[] = {
	    {"ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\nconfigsip: 0",
	     FK_BOOT_TEXT_FLASH, "rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)"},
	    {"rst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))\r\nwaiting for download\r\n",
	     FK_BOOT_TEXT_DOWNLOAD, "rst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))"},
	    {"ESP-ROM:esp32c3-api1-20210207\r\nrst:0x1 (POWERON),boot:0xc (SPI_FAST_FLASH_BOOT)\r\n", FK_BOOT_TEXT_FLASH,
	     "rst:0x1 (POWERON),boot:0xc (SPI_FAST_FLASH_BOOT)"},
	    {"\r\n ets Jan  8 2013,rst cause:2, boot mode:(3,6)\r\n\r\nload 0x40100000", FK_BOOT_TEXT_FLASH,
	     "ets Jan  8 2013,rst cause:2, boot mode:(3,6)"},
	    {"\r\n ets Jan  8 2013,rst cause:2, boot mode:(1,7)\r\n\r\n", FK_BOOT_TEXT_DOWNLOAD,
	     "ets Jan  8 2013,rst cause:2, boot mode:(1,7)"},
	    {"I (31) boot: ESP-IDF v5.1.2 2nd stage bootloader\r\n", FK_BOOT_TEXT_NONE, NULL},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(FkPortFacts) facts = fk_port_facts_new("sim:x", FK_ERROR_NO_SYNC);
		fk_port_doctor_add_heard(facts, (const guint8 *)cases[i].text, strlen(cases[i].text), 74880);
		g_assert_cmpint(facts->boot, ==, cases[i].boot);
		g_assert_cmpstr(facts->boot_line, ==, cases[i].line);
	}
	{
		/* noise is not text */
		guint8 noise[256];
		g_autoptr(FkPortFacts) facts = fk_port_facts_new("sim:x", FK_ERROR_NO_SYNC);
		for (guint i = 0; i < sizeof(noise); i++)
			noise[i] = (guint8)(i * 151 + 7);
		fk_port_doctor_add_heard(facts, noise, sizeof(noise), 115200);
		g_assert_null(facts->text_line);
		g_assert_cmpint(facts->boot, ==, FK_BOOT_TEXT_NONE);
		g_assert_cmpuint(facts->bytes_heard, ==, sizeof(noise));
	}
}

/* ---- a process holding the port, for real ---- */

static GPid
spawn_holder(const gchar *path)
{
	g_autofree gchar *script = g_strdup_printf("exec 3<>'%s'; exec sleep 30", path);
	const gchar *argv[] = {"/bin/sh", "-c", script, NULL};
	g_autoptr(GError) error = NULL;
	GPid pid = 0;
	g_autofree gchar *fd3 = NULL;
	g_assert_true(g_spawn_async(NULL, (gchar **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, &error));
	g_assert_no_error(error);
	/* wait until it has exec'd sleep with the port open */
	fd3 = g_strdup_printf("/proc/%d/fd/3", pid);
	for (guint i = 0; i < 500; i++) {
		g_autofree gchar *comm_path = g_strdup_printf("/proc/%d/comm", pid);
		g_autofree gchar *comm = NULL;
		if (g_file_test(fd3, G_FILE_TEST_EXISTS) && g_file_get_contents(comm_path, &comm, NULL, NULL) &&
		    g_str_has_prefix(comm, "sleep"))
			break;
		g_usleep(10000);
	}
	return pid;
}

static void
stop_holder(GPid pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

static void
test_holder(void)
{
	g_autofree gchar *dir = g_dir_make_tmp("fk-doctor-XXXXXX", NULL);
	g_autofree gchar *file = g_build_filename(dir, "ttyUSB7", NULL);
	gint master = -1;
	gint slave = -1;
	gchar pty_name[256] = {0};
	const gchar *paths[2];

	g_assert_true(g_file_set_contents(file, "", 0, NULL));
	g_assert_cmpint(openpty(&master, &slave, pty_name, NULL, NULL), ==, 0);
	paths[0] = file;
	paths[1] = pty_name;
	for (guint i = 0; i < G_N_ELEMENTS(paths); i++) {
		GPid pid = spawn_holder(paths[i]);
		g_autoptr(GError) busy = g_error_new(FK_ERROR, FK_ERROR_PORT_BUSY, "busy");
		g_autoptr(FkDiagnosis) diagnosis = fk_port_doctor_examine(paths[i], busy, 0, 0, FALSE, NULL, NULL);
		g_autofree gchar *who = g_strdup_printf("sleep (PID %d)", pid);
		g_autofree gchar *kill_cmd = g_strdup_printf("kill %d", pid);
		g_assert_nonnull(diagnosis);
		g_test_message("%s: %s", paths[i], diagnosis->message);
		g_assert_cmpint(diagnosis->kind, ==, FK_DIAGNOSIS_HELD);
		g_assert_nonnull(strstr(diagnosis->message, who));
		g_assert_cmpstr(diagnosis->command, ==, kill_cmd);
		stop_holder(pid);
	}
	{
		/* nobody holds it any more: no diagnosis to make up */
		g_autoptr(GError) busy = g_error_new(FK_ERROR, FK_ERROR_PORT_BUSY, "busy");
		g_autoptr(FkDiagnosis) diagnosis = fk_port_doctor_examine(file, busy, 0, 0, FALSE, NULL, NULL);
		g_assert_null(diagnosis);
	}
	close(master);
	close(slave);
	g_unlink(file);
	g_rmdir(dir);
}

/* ---- a node that vanished, for real ---- */

static void
test_gone(void)
{
	g_autofree gchar *dir = g_dir_make_tmp("fk-doctor-XXXXXX", NULL);
	g_autofree gchar *file = g_build_filename(dir, "ttyUSB3", NULL);
	g_autoptr(GError) gone = g_error_new(FK_ERROR, FK_ERROR_PORT_GONE, "gone");
	g_autoptr(FkDiagnosis) diagnosis = NULL;

	/* it appeared, then went */
	g_assert_true(g_file_set_contents(file, "", 0, NULL));
	g_unlink(file);
	diagnosis = fk_port_doctor_examine(file, gone, 0, 0, FALSE, NULL, NULL);
	g_assert_nonnull(diagnosis);
	g_assert_cmpint(diagnosis->kind, ==, FK_DIAGNOSIS_PORT_GONE);
	g_assert_nonnull(strstr(diagnosis->message, "went away during the job"));
	g_rmdir(dir);
}

/* ---- brltty, with its program and rules in a folder of ours ---- */

static void
test_brltty(void)
{
	g_autofree gchar *dir = g_dir_make_tmp("fk-doctor-XXXXXX", NULL);
	g_autofree gchar *program = g_build_filename(dir, "brltty", NULL);
	g_autofree gchar *rules = g_build_filename(dir, "85-brltty.rules", NULL);
	g_autofree gchar *port = g_build_filename(dir, "ttyUSB0", NULL);
	const gchar *programs[] = {program, NULL};
	const gchar *dirs[] = {dir, NULL};
	FkPortDoctorSources sources = {.brltty_programs = programs, .udev_rule_dirs = dirs};
	g_autoptr(GError) not_found = g_error_new(FK_ERROR, FK_ERROR_PORT_NOT_FOUND, "not found");

	g_assert_true(g_file_set_contents(program, "#!/bin/sh\n", -1, NULL));
	g_assert_cmpint(g_chmod(program, 0755), ==, 0);
	/* a rule that names the CP210x only in a comment does not claim it */
	g_assert_true(g_file_set_contents(rules,
					  "# Device: 10C4:EA60\n"
					  "#ENV{PRODUCT}==\"10c4/ea60/*\", GOTO=\"brltty_usb_run\"\n"
					  "ENV{PRODUCT}==\"1a86/7523/*\", ENV{BRLTTY_BRAILLE_DRIVER}=\"bm\", "
					  "GOTO=\"brltty_usb_run\"\n",
					  -1, NULL));
	{
		g_autoptr(FkDiagnosis) diagnosis = fk_port_doctor_examine(port, not_found, 0x1a86, 0x7523, FALSE, &sources, NULL);
		g_assert_nonnull(diagnosis);
		g_assert_cmpint(diagnosis->kind, ==, FK_DIAGNOSIS_BRLTTY);
		g_assert_nonnull(strstr(diagnosis->message, rules));
		g_assert_nonnull(strstr(diagnosis->message, "1a86:7523"));
		g_assert_cmpstr(diagnosis->command, ==, "sudo apt-get remove brltty");
	}
	{
		/* the CP210x is commented out: the port merely vanished */
		g_autoptr(FkDiagnosis) diagnosis = fk_port_doctor_examine(port, not_found, 0x10c4, 0xea60, FALSE, &sources, NULL);
		g_assert_nonnull(diagnosis);
		g_assert_cmpint(diagnosis->kind, ==, FK_DIAGNOSIS_PORT_GONE);
	}
	{
		/* adapter unknown: the well-known ones are looked for */
		g_autoptr(FkPortFacts) facts = fk_port_facts_new(port, FK_ERROR_PORT_NOT_FOUND);
		fk_port_doctor_check_brltty(facts, 0, 0, &sources);
		g_assert_true(facts->brltty_installed);
		g_assert_cmpstr(facts->brltty_ids, ==, "1a86:7523");
	}
	g_unlink(rules);
	g_unlink(program);
	g_rmdir(dir);
}

/* ---- groups, for real: a user who lacks the node's group, and one who has it in the group
 * database but not in this session (the state after usermod -aG before logging in again) ---- */

static gboolean
user_in_group(const struct group *gr, const gchar *user)
{
	for (gchar **m = gr->gr_mem; m != NULL && *m != NULL; m++) {
		if (g_strcmp0(*m, user) == 0)
			return TRUE;
	}
	return FALSE;
}

/* a group (not root's, not the user's own) that @user lacks, or with @member TRUE one @user is
 * listed in */
static gboolean
find_group(const gchar *user, guint user_gid, gboolean member, guint *gid, gchar **name)
{
	struct group *gr;
	gboolean found = FALSE;
	setgrent();
	while (!found && (gr = getgrent()) != NULL) {
		if (gr->gr_gid == 0 || gr->gr_gid == user_gid)
			continue;
		if (user_in_group(gr, user) == member) {
			*gid = gr->gr_gid;
			*name = g_strdup(gr->gr_name);
			found = TRUE;
		}
	}
	endgrent();
	return found;
}

static void
become(const gchar *user)
{
	struct passwd *pw = getpwnam(user);
	g_assert_nonnull(pw);
	/* no supplementary groups: the session started before any were added */
	g_assert_cmpint(setgroups(0, NULL), ==, 0);
	g_assert_cmpint(setgid(pw->pw_gid), ==, 0);
	g_assert_cmpint(setuid(pw->pw_uid), ==, 0);
}

static void
examine_as(const gchar *user, const gchar *node, FkError code)
{
	g_autoptr(GError) error = g_error_new(FK_ERROR, code, "failed");
	g_autoptr(FkDiagnosis) diagnosis = NULL;
	become(user);
	diagnosis = fk_port_doctor_examine(node, error, 0, 0, FALSE, NULL, NULL);
	if (diagnosis == NULL) {
		g_print("kind=none\n");
		return;
	}
	g_print("kind=%s\ncommand=%s\nmessage=%s\n", fk_diagnosis_kind_to_string(diagnosis->kind), diagnosis->command,
		diagnosis->message);
}

static gchar *
make_node(guint gid, guint mode)
{
	g_autofree gchar *dir = g_dir_make_tmp("fk-doctor-XXXXXX", NULL);
	gchar *node = g_build_filename(dir, "ttyACM0", NULL);
	g_assert_cmpint(g_chmod(dir, 0755), ==, 0);
	g_assert_true(g_file_set_contents(node, "", 0, NULL));
	g_assert_cmpint(g_chmod(node, mode), ==, 0);
	if (chown(node, (uid_t)-1, (gid_t)gid) != 0) {
		g_unlink(node);
		g_rmdir(dir);
		g_free(node);
		return NULL;
	}
	return node;
}

static void
remove_node(gchar *node)
{
	g_autofree gchar *dir = g_path_get_dirname(node);
	g_unlink(node);
	g_rmdir(dir);
	g_free(node);
}

static void
test_group_missing(void)
{
	const gchar *user = geteuid() == 0 ? "nobody" : g_get_user_name();
	struct passwd *pw = getpwnam(user);
	g_autofree gchar *group = NULL;
	guint gid = 0;
	gchar *node;
	g_autofree gchar *expect = NULL;

	if (pw == NULL || !find_group(user, pw->pw_gid, FALSE, &gid, &group)) {
		g_test_skip("no group the test user lacks");
		return;
	}
	/* the child examines the node its parent made, as the user */
	if (g_test_subprocess()) {
		examine_as(user, g_getenv("FK_TEST_NODE"), FK_ERROR_PORT_PERMISSION);
		return;
	}
	node = make_node(gid, 0660);
	if (node == NULL) {
		/* only root may give a file a group its owner is not in: the table covers this case */
		g_test_skip("cannot give a file a group the test user lacks (not root)");
		return;
	}
	g_setenv("FK_TEST_NODE", node, TRUE);
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
	g_test_trap_assert_passed();
	g_test_trap_assert_stdout("*kind=not-in-group*");
	expect = g_strdup_printf("*command=sudo usermod -aG %s %s*", group, user);
	g_test_trap_assert_stdout(expect);
	remove_node(node);
}

static void
test_group_relogin(void)
{
	g_autofree gchar *group = NULL;
	g_autofree gchar *user = NULL;
	guint gid = 0;
	gchar *node;
	struct group *gr;
	g_autofree gchar *expect = NULL;

	if (geteuid() != 0) {
		g_test_skip("needs root to start a session without the user's groups: the table covers this case");
		return;
	}
	/* a user listed as a member of a group, other than root */
	setgrent();
	while ((gr = getgrent()) != NULL && user == NULL) {
		for (gchar **m = gr->gr_mem; m != NULL && *m != NULL; m++) {
			struct passwd *pw = getpwnam(*m);
			if (pw != NULL && pw->pw_uid != 0 && pw->pw_gid != gr->gr_gid) {
				user = g_strdup(*m);
				gid = gr->gr_gid;
				group = g_strdup(gr->gr_name);
				break;
			}
		}
	}
	endgrent();
	if (user == NULL) {
		g_test_skip("no user is a member of a group in the group database");
		return;
	}
	if (g_test_subprocess()) {
		examine_as(user, g_getenv("FK_TEST_NODE"), FK_ERROR_PORT_PERMISSION);
		return;
	}
	node = make_node(gid, 0660);
	g_assert_nonnull(node);
	g_setenv("FK_TEST_NODE", node, TRUE);
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
	g_test_trap_assert_passed();
	g_test_trap_assert_stdout("*kind=relogin*");
	expect = g_strdup_printf("*command=newgrp %s*", group);
	g_test_trap_assert_stdout(expect);
	remove_node(node);
}

static void
test_holder_hidden(void)
{
	gchar *node;
	if (geteuid() != 0) {
		g_test_skip("needs root to become another user: the table covers this case");
		return;
	}
	if (g_test_subprocess()) {
		/* as nobody, the open files of root's processes cannot be looked at */
		examine_as("nobody", g_getenv("FK_TEST_NODE"), FK_ERROR_PORT_BUSY);
		return;
	}
	node = make_node(0, 0666);
	g_assert_nonnull(node);
	g_setenv("FK_TEST_NODE", node, TRUE);
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
	g_test_trap_assert_passed();
	g_test_trap_assert_stdout("*kind=holder-hidden*");
	g_test_trap_assert_stdout("*command=sudo fuser -v *");
	remove_node(node);
}

/* ---- simulated chips that run their firmware: the reset circuit does not reach GPIO0 ---- */

static void
check_sim_firmware(const gchar *port, FkError expected_error, const gchar *boot_text, guint baud)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FkDiagnosis) diagnosis = NULL;
	g_autofree gchar *at = g_strdup_printf("at %u baud", baud);
	{
		g_autoptr(FkTransport) transport = fk_transport_open(port, &error);
		g_autoptr(FkDevice) device = NULL;
		g_assert_no_error(error);
		device = fk_device_new(transport);
		g_assert_false(fk_device_connect(device, NULL, &error));
		g_assert_error(error, FK_ERROR, (gint)expected_error);
		fk_transport_close(transport);
	}
	diagnosis = fk_port_doctor_examine(port, error, 0, 0, TRUE, NULL, NULL);
	g_assert_nonnull(diagnosis);
	g_test_message("%s: %s", port, diagnosis->message);
	g_assert_cmpint(diagnosis->kind, ==, FK_DIAGNOSIS_FIRMWARE_RUNNING);
	g_assert_nonnull(strstr(diagnosis->message, "not in download mode"));
	g_assert_nonnull(strstr(diagnosis->message, boot_text));
	g_assert_nonnull(strstr(diagnosis->message, at));
	g_assert_nonnull(strstr(diagnosis->message, "Hold BOOT/GPIO0 while resetting"));
}

static void
test_sim_esp32_firmware(void)
{
	check_sim_firmware("sim:esp32@4MB,no-boot-line,fresh", FK_ERROR_WRONG_BOOT_MODE,
			   "rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)", 115200);
}

static void
test_sim_esp8266_firmware(void)
{
	/* its ROM speaks at 74880: at 115200 the engine hears only noise */
	check_sim_firmware("sim:esp8266@1MB,no-boot-line,fresh", FK_ERROR_NO_SYNC, "boot mode:(3,6)", 74880);
}

static void
test_sim_healthy(void)
{
	/* a board that works is left alone: other errors get no diagnosis */
	g_autoptr(GError) error = g_error_new(FK_ERROR, FK_ERROR_VERIFY_FAILED, "verify");
	g_assert_null(fk_port_doctor_examine("sim:esp32@4MB,fresh", error, 0, 0, TRUE, NULL, NULL));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	fk_sim_register();
	g_test_add_func("/port-doctor/decide/table", test_decide_table);
	g_test_add_func("/port-doctor/boot-text", test_boot_text);
	g_test_add_func("/port-doctor/holder", test_holder);
	g_test_add_func("/port-doctor/gone", test_gone);
	g_test_add_func("/port-doctor/brltty", test_brltty);
	g_test_add_func("/port-doctor/group/missing", test_group_missing);
	g_test_add_func("/port-doctor/group/relogin", test_group_relogin);
	g_test_add_func("/port-doctor/holder-hidden", test_holder_hidden);
	g_test_add_func("/port-doctor/sim/esp32-firmware", test_sim_esp32_firmware);
	g_test_add_func("/port-doctor/sim/esp8266-firmware", test_sim_esp8266_firmware);
	g_test_add_func("/port-doctor/sim/healthy", test_sim_healthy);
	return g_test_run();
}
