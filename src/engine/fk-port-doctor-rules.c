/* SPDX-License-Identifier: GPL-3.0-or-later */
/* owns the port doctor's decision: a table of rules, first match wins, from the gathered facts to
 * a diagnosis with its message and the command that fixes it; touches nothing, calls nothing */
#include "config.h"

#include <string.h>

#include "fk-error.h"
#include "fk-port-doctor.h"

typedef struct {
	FkDiagnosisKind kind;
	const gchar *name;
	gboolean (*applies)(const FkPortFacts *facts);
	void (*explain)(const FkPortFacts *facts, GString *message, gchar **command);
} FkDoctorRule;

/* ---- the facts, read ---- */

static gboolean
fk_doctor_open_failed(const FkPortFacts *f)
{
	return f->error_code == FK_ERROR_PORT_NOT_FOUND || f->error_code == FK_ERROR_PORT_PERMISSION ||
	       f->error_code == FK_ERROR_PORT_BUSY || f->error_code == FK_ERROR_PORT_GONE;
}

static gboolean
fk_doctor_has_gid(GArray *gids, guint gid)
{
	for (guint i = 0; i < gids->len; i++) {
		if (g_array_index(gids, guint, i) == gid)
			return TRUE;
	}
	return FALSE;
}

/* whether the node's owner, group and mode let this process read and write it */
static gboolean
fk_doctor_may_use(const FkPortFacts *f)
{
	if (f->uid == 0 || (f->node_mode & 0006) == 0006)
		return TRUE;
	if (f->uid == f->node_uid && (f->node_mode & 0600) == 0600)
		return TRUE;
	return fk_doctor_has_gid(f->process_gids, f->node_gid) && (f->node_mode & 0060) == 0060;
}

static gboolean
fk_doctor_lacks_access(const FkPortFacts *f)
{
	return f->is_node && f->node_exists && !fk_doctor_may_use(f);
}

static gboolean
fk_doctor_group_grants(const FkPortFacts *f)
{
	return (f->node_mode & 0060) == 0060 && f->node_gid != 0;
}

static gboolean
fk_doctor_held_by(const FkPortFacts *f, const gchar *name)
{
	for (guint i = 0; i < f->holders->len; i++) {
		FkPortHolder *holder = g_ptr_array_index(f->holders, i);
		if (g_strcmp0(holder->name, name) == 0)
			return TRUE;
	}
	return FALSE;
}

/* ---- the rules ---- */

static gboolean
fk_doctor_brltty_applies(const FkPortFacts *f)
{
	return f->brltty_installed && f->brltty_rule != NULL &&
	       ((f->is_node && !f->node_exists) || fk_doctor_held_by(f, "brltty"));
}

static void
fk_doctor_brltty_explain(const FkPortFacts *f, GString *msg, gchar **command)
{
	g_string_append_printf(msg,
			       "%s is taken by brltty, a service for Braille displays: its udev rule %s claims "
			       "USB serial adapters with the ID %s (CH340, CP210x), so the port vanishes as soon "
			       "as it appears. Unless you use a Braille display, remove brltty, then plug the "
			       "adapter in again.",
			       f->port, f->brltty_rule, f->brltty_ids);
	*command = g_strdup("sudo apt-get remove brltty");
}

static gboolean
fk_doctor_gone_applies(const FkPortFacts *f)
{
	return f->is_node && !f->node_exists && fk_doctor_open_failed(f);
}

static void
fk_doctor_gone_explain(const FkPortFacts *f, GString *msg, gchar **command)
{
	if (f->error_code == FK_ERROR_PORT_GONE)
		g_string_append_printf(msg,
				       "%s went away during the job: the adapter was disconnected, or the board "
				       "browned out and its USB chip reset (a loose cable, a weak USB port). Plug it "
				       "in again; to see what the system says when it goes, watch the kernel log.",
				       f->port);
	else
		g_string_append_printf(msg,
				       "%s is not there: it vanished after it was listed, or was never plugged in. "
				       "Check the cable (some carry only power); to see the name the adapter gets, "
				       "watch the kernel log while you plug it in.",
				       f->port);
	*command = g_strdup("sudo dmesg --follow");
}

static gboolean
fk_doctor_held_applies(const FkPortFacts *f)
{
	return f->holders->len > 0;
}

static void
fk_doctor_held_explain(const FkPortFacts *f, GString *msg, gchar **command)
{
	g_autoptr(GString) pids = g_string_new(NULL);
	gboolean others = FALSE;

	g_string_append_printf(msg, "%s is in use by ", f->port);
	for (guint i = 0; i < f->holders->len; i++) {
		FkPortHolder *holder = g_ptr_array_index(f->holders, i);
		g_string_append_printf(msg, "%s%s (PID %u)", i == 0 ? "" : ", ", holder->name, holder->pid);
		g_string_append_printf(pids, " %u", holder->pid);
		others |= holder->uid != f->uid;
	}
	if (fk_doctor_held_by(f, "ModemManager")) {
		g_string_append(msg, ": ModemManager probes new serial ports for modems and keeps them busy "
				     "for a while. Stop it while you work with the chip:");
		*command = g_strdup("sudo systemctl stop ModemManager");
		return;
	}
	g_string_append(msg, ": close that program (a serial monitor, another flasher), or end it:");
	*command = g_strdup_printf("%skill%s", others ? "sudo " : "", pids->str);
}

static gboolean
fk_doctor_hidden_applies(const FkPortFacts *f)
{
	return f->error_code == FK_ERROR_PORT_BUSY && f->holders->len == 0 && f->procs_unreadable > 0;
}

static void
fk_doctor_hidden_explain(const FkPortFacts *f, GString *msg, gchar **command)
{
	g_string_append_printf(msg,
			       "%s is busy, but none of your programs has it open, and the open files of %u "
			       "processes of other users could not be looked at: one of them probably holds it "
			       "(ModemManager often does). To see which, run:",
			       f->port, f->procs_unreadable);
	*command = g_strdup_printf("sudo fuser -v %s", f->port);
}

static gboolean
fk_doctor_relogin_applies(const FkPortFacts *f)
{
	return fk_doctor_lacks_access(f) && fk_doctor_group_grants(f) && fk_doctor_has_gid(f->user_gids, f->node_gid);
}

static void
fk_doctor_relogin_explain(const FkPortFacts *f, GString *msg, gchar **command)
{
	g_string_append_printf(msg,
			       "You were added to the group “%s” that may use %s, but this session started before "
			       "that: log out and back in (or restart the computer). Until then, a terminal gets "
			       "the group with:",
			       f->node_group, f->port);
	*command = g_strdup_printf("newgrp %s", f->node_group);
}

static gboolean
fk_doctor_group_applies(const FkPortFacts *f)
{
	return fk_doctor_lacks_access(f) && fk_doctor_group_grants(f);
}

static void
fk_doctor_group_explain(const FkPortFacts *f, GString *msg, gchar **command)
{
	g_string_append_printf(msg,
			       "%s may be used by the group “%s” (mode %04o), and your user %s is not in it. Add "
			       "yourself to it, then log out and back in:",
			       f->port, f->node_group, f->node_mode, f->user != NULL ? f->user : "");
	*command = g_strdup_printf("sudo usermod -aG %s %s", f->node_group, f->user != NULL ? f->user : "$USER");
}

static void
fk_doctor_no_access_explain(const FkPortFacts *f, GString *msg, gchar **command)
{
	g_string_append_printf(msg,
			       "%s (mode %04o, group “%s”) gives no group access to it, so only its owner may "
			       "use it. Allow yourself until it is unplugged with:",
			       f->port, f->node_mode, f->node_group);
	*command = g_strdup_printf("sudo setfacl -m u:%s:rw %s", f->user != NULL ? f->user : "$USER", f->port);
}

static gboolean
fk_doctor_firmware_applies(const FkPortFacts *f)
{
	return f->boot == FK_BOOT_TEXT_FLASH;
}

static void
fk_doctor_hold_boot(const FkPortFacts *f, GString *msg)
{
	g_string_append(msg, "Hold BOOT/GPIO0 while resetting (press and release RESET, or plug the board in, with "
			     "BOOT held), then try again; on a board without a BOOT button, connect GPIO0 to GND "
			     "while it resets.");
	if (!f->reset_done)
		g_string_append(msg, " This port cannot reset the chip itself, so press the buttons by hand and "
				     "choose the reset mode “none”.");
	else
		g_string_append(msg, " The board’s automatic reset did not reach GPIO0: check its auto-reset "
				     "circuit (DTR/RTS).");
}

static void
fk_doctor_firmware_explain(const FkPortFacts *f, GString *msg, gchar **command)
{
	g_string_append_printf(msg,
			       "The chip is running its firmware, not in download mode: its ROM printed “%s” at "
			       "%u baud, the boot from flash (GPIO0 high). ",
			       f->boot_line, f->boot_baud);
	fk_doctor_hold_boot(f, msg);
}

static gboolean
fk_doctor_download_applies(const FkPortFacts *f)
{
	return f->boot == FK_BOOT_TEXT_DOWNLOAD;
}

static void
fk_doctor_download_explain(const FkPortFacts *f, GString *msg, gchar **command)
{
	g_string_append_printf(msg,
			       "The chip is in download mode (its ROM printed “%s” at %u baud) but does not "
			       "answer: the line from this computer to the chip (TX to RX) seems broken. Check "
			       "that wire and its solder joint, then try again at a lower baud rate.",
			       f->boot_line, f->boot_baud);
}

static gboolean
fk_doctor_output_applies(const FkPortFacts *f)
{
	return f->listened && f->text_line != NULL;
}

static void
fk_doctor_output_explain(const FkPortFacts *f, GString *msg, gchar **command)
{
	g_string_append_printf(msg,
			       "The chip is running its firmware, not in download mode: it prints “%s” at %u "
			       "baud. ",
			       f->text_line, f->text_baud);
	fk_doctor_hold_boot(f, msg);
}

static gboolean
fk_doctor_baud_applies(const FkPortFacts *f)
{
	return f->listened && f->bytes_heard > 0;
}

static void
fk_doctor_baud_explain(const FkPortFacts *f, GString *msg, gchar **command)
{
	g_string_append_printf(msg,
			       "The chip sends data (%" G_GSIZE_FORMAT " bytes) but no text at 115200 or 74880 "
			       "baud: it runs at another rate (a flasher stub left at a higher rate, or firmware "
			       "that uses its own). Unplug the board or press RESET, then try again.",
			       f->bytes_heard);
}

static gboolean
fk_doctor_silent_applies(const FkPortFacts *f)
{
	return f->listened;
}

static void
fk_doctor_silent_explain(const FkPortFacts *f, GString *msg, gchar **command)
{
	if (f->reset_done)
		g_string_append_printf(msg,
				       "The chip printed nothing after a reset, at 115200 or 74880 baud: check that "
				       "the board is powered, that %s is its port, and that the chip's TX goes to "
				       "the adapter's RX.",
				       f->port);
	else
		g_string_append_printf(msg,
				       "The chip printed nothing at 115200 or 74880 baud, and %s cannot reset it: "
				       "hold BOOT/GPIO0 while pressing RESET, check that the board is powered and "
				       "that the chip's TX goes to the adapter's RX.",
				       f->port);
}

/* first match wins: a port that is not there or not ours comes before what the chip says */
static const FkDoctorRule fk_doctor_rules[] = {
    {FK_DIAGNOSIS_BRLTTY, "brltty", fk_doctor_brltty_applies, fk_doctor_brltty_explain},
    {FK_DIAGNOSIS_PORT_GONE, "port-gone", fk_doctor_gone_applies, fk_doctor_gone_explain},
    {FK_DIAGNOSIS_RELOGIN, "relogin", fk_doctor_relogin_applies, fk_doctor_relogin_explain},
    {FK_DIAGNOSIS_NOT_IN_GROUP, "not-in-group", fk_doctor_group_applies, fk_doctor_group_explain},
    {FK_DIAGNOSIS_NO_ACCESS, "no-access", fk_doctor_lacks_access, fk_doctor_no_access_explain},
    {FK_DIAGNOSIS_HELD, "held", fk_doctor_held_applies, fk_doctor_held_explain},
    {FK_DIAGNOSIS_HOLDER_HIDDEN, "holder-hidden", fk_doctor_hidden_applies, fk_doctor_hidden_explain},
    {FK_DIAGNOSIS_FIRMWARE_RUNNING, "firmware-running", fk_doctor_firmware_applies, fk_doctor_firmware_explain},
    {FK_DIAGNOSIS_DOWNLOAD_NO_REPLY, "download-no-reply", fk_doctor_download_applies, fk_doctor_download_explain},
    {FK_DIAGNOSIS_FIRMWARE_OUTPUT, "firmware-output", fk_doctor_output_applies, fk_doctor_output_explain},
    {FK_DIAGNOSIS_OTHER_BAUD, "other-baud", fk_doctor_baud_applies, fk_doctor_baud_explain},
    {FK_DIAGNOSIS_SILENT, "silent", fk_doctor_silent_applies, fk_doctor_silent_explain},
};

const gchar *
fk_diagnosis_kind_to_string(FkDiagnosisKind kind)
{
	for (guint i = 0; i < G_N_ELEMENTS(fk_doctor_rules); i++) {
		if (fk_doctor_rules[i].kind == kind)
			return fk_doctor_rules[i].name;
	}
	return "none";
}

FkDiagnosis *
fk_port_doctor_decide(const FkPortFacts *facts)
{
	FkDiagnosis *diagnosis = g_new0(FkDiagnosis, 1);
	g_return_val_if_fail(facts != NULL, diagnosis);
	for (guint i = 0; i < G_N_ELEMENTS(fk_doctor_rules); i++) {
		g_autoptr(GString) message = NULL;
		if (!fk_doctor_rules[i].applies(facts))
			continue;
		message = g_string_new(NULL);
		diagnosis->kind = fk_doctor_rules[i].kind;
		fk_doctor_rules[i].explain(facts, message, &diagnosis->command);
		diagnosis->message = g_string_free(g_steal_pointer(&message), FALSE);
		return diagnosis;
	}
	diagnosis->kind = FK_DIAGNOSIS_NONE;
	return diagnosis;
}
