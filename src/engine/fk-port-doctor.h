/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Why a port could not be opened or stays silent, said with the fix. The facts are gathered
 * from the system (the device node, /proc, the group database, brltty's udev rules, what the
 * chip prints after a reset) by fk-port-doctor.c; fk-port-doctor-rules.c maps them to a
 * diagnosis without touching anything, so tests can hand it any facts they like. */

typedef enum {
	FK_DIAGNOSIS_NONE,		/* nothing found that explains the error */
	FK_DIAGNOSIS_PORT_GONE,		/* the device node is not there (any more) */
	FK_DIAGNOSIS_BRLTTY,		/* brltty's udev rule claims the adapter */
	FK_DIAGNOSIS_HELD,		/* another program has the port open */
	FK_DIAGNOSIS_HOLDER_HIDDEN,	/* busy, and other users' processes could not be looked at */
	FK_DIAGNOSIS_RELOGIN,		/* the user is in the port's group, this session not yet */
	FK_DIAGNOSIS_NOT_IN_GROUP,	/* the user is not in the port's group */
	FK_DIAGNOSIS_NO_ACCESS,		/* no group gives access to the port */
	FK_DIAGNOSIS_FIRMWARE_RUNNING,	/* the boot text says the chip booted from flash */
	FK_DIAGNOSIS_DOWNLOAD_NO_REPLY, /* the boot text says download mode, yet no reply */
	FK_DIAGNOSIS_FIRMWARE_OUTPUT,	/* the chip prints text but no boot text: its firmware runs */
	FK_DIAGNOSIS_OTHER_BAUD,	/* bytes, but no text at 115200 or 74880 baud */
	FK_DIAGNOSIS_SILENT,		/* nothing at all at either rate */
	FK_DIAGNOSIS_LAST,
} FkDiagnosisKind;

typedef struct {
	FkDiagnosisKind kind;
	gchar *message; /* what is wrong and what to do, for a person */
	gchar *command; /* the command that fixes it, or NULL */
} FkDiagnosis;

void
fk_diagnosis_free(FkDiagnosis *diagnosis);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FkDiagnosis, fk_diagnosis_free)
/* "port-gone", "held", …: for logs and tests */
const gchar *
fk_diagnosis_kind_to_string(FkDiagnosisKind kind);

/* what the chip's ROM printed about its boot mode */
typedef enum {
	FK_BOOT_TEXT_NONE,
	FK_BOOT_TEXT_FLASH,    /* it booted its firmware (GPIO0 high) */
	FK_BOOT_TEXT_DOWNLOAD, /* it waits in download mode (GPIO0 low) */
} FkBootText;

typedef struct {
	guint pid;
	guint uid;
	gchar *name; /* from /proc/PID/comm */
} FkPortHolder;

typedef struct {
	gchar *port;
	gint error_code; /* the FK_ERROR code that sent us here, -1 for another domain */
	/* the device node: only for ports that are paths */
	gboolean is_node;
	gboolean node_exists;
	guint node_uid;
	guint node_gid;
	guint node_mode;
	gchar *node_group; /* its group's name, or the number */
	/* who asks */
	guint uid;
	gchar *user;
	GArray *process_gids; /* guint: this process's groups (getgroups and the effective one) */
	GArray *user_gids;    /* guint: the user's groups in the group database */
	/* who else has it open */
	GPtrArray *holders;	/* FkPortHolder */
	guint procs_unreadable; /* processes whose open files could not be looked at */
	/* brltty */
	gboolean brltty_installed;
	gchar *brltty_rule; /* the udev rule file that claims the adapter, or NULL */
	gchar *brltty_ids;  /* the VID:PID it claims */
	/* what the chip printed after a reset, at 115200 and at 74880 baud */
	gboolean listened;
	gboolean reset_done; /* the doctor pulled the reset lines (else it only listened) */
	FkBootText boot;
	gchar *boot_line; /* the line of boot text, e.g. "rst:0x1 (POWERON_RESET),boot:0x13 (…)" */
	guint boot_baud;
	gchar *text_line; /* a line of other text the chip printed, or NULL */
	guint text_baud;
	gsize bytes_heard;
} FkPortFacts;

FkPortFacts *
fk_port_facts_new(const gchar *port, gint error_code);
void
fk_port_facts_free(FkPortFacts *facts);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FkPortFacts, fk_port_facts_free)
void
fk_port_facts_add_holder(FkPortFacts *facts, guint pid, guint uid, const gchar *name);

/* where the facts come from: zero-filled means this system (/proc, getgroups(), getgrouplist(),
 * getgrgid(), the usual brltty and udev paths, geteuid()) */
typedef struct {
	const gchar *proc_root;
	const gchar *const *brltty_programs; /* NULL-terminated */
	const gchar *const *udev_rule_dirs;  /* NULL-terminated */
	GArray *(*process_groups)(gpointer user_data);
	GArray *(*user_groups)(const gchar *user, guint primary_gid, gpointer user_data);
	gchar *(*group_name)(guint gid, gpointer user_data);
	gpointer user_data;
	gboolean set_uid; /* use @uid and @user instead of this process's */
	guint uid;
	const gchar *user;
	guint listen_ms; /* per baud rate; 0: long enough for a boot log */
} FkPortDoctorSources;

/* the node's owner, group and mode, and the groups of the process and of the user */
void
fk_port_doctor_gather_node(FkPortFacts *facts, const gchar *path, const FkPortDoctorSources *sources);
/* the processes (not this one) with @path open, from /proc/PID/fd */
void
fk_port_doctor_find_holders(FkPortFacts *facts, const gchar *path, const FkPortDoctorSources *sources);
/* brltty installed with a udev rule that names the adapter (@vid 0: CH340/CH341/CP210x) */
void
fk_port_doctor_check_brltty(FkPortFacts *facts, guint16 vid, guint16 pid, const FkPortDoctorSources *sources);
/* adds what a chip printed at @baud to the facts: boot text first, else a line of text */
void
fk_port_doctor_add_heard(FkPortFacts *facts, const guint8 *data, gsize len, guint baud);
/* opens @port, resets the chip (when @may_reset and the port has the lines) and listens at
 * 115200 and 74880 baud; leaves the chip running its firmware */
gboolean
fk_port_doctor_listen(FkPortFacts *facts,
		      const gchar *port,
		      gboolean may_reset,
		      const FkPortDoctorSources *sources,
		      GCancellable *cancellable,
		      GError **error);

/* the diagnosis the facts point to (kind NONE when none does); touches nothing */
FkDiagnosis *
fk_port_doctor_decide(const FkPortFacts *facts);

/* gathers what fits @error (a failed open, or a chip that does not answer) and decides; NULL when
 * the error is of another kind or nothing explains it. @vid/@pid the adapter's, 0 unknown. */
FkDiagnosis *
fk_port_doctor_examine(const gchar *port,
		       const GError *error,
		       guint16 vid,
		       guint16 pid,
		       gboolean may_reset,
		       const FkPortDoctorSources *sources,
		       GCancellable *cancellable);

G_END_DECLS
