/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "fk-chip-card.h"
#include "fk-device.h"
#include "fk-job-panel.h"
#include "fk-job.h"
#include "fk-library-view.h"
#include "fk-port-doctor.h"
#include "fk-port-picker.h"
#include "fk-window.h"

G_BEGIN_DECLS

typedef enum {
	FK_OP_NONE,
	FK_OP_IDENTIFY,
	FK_OP_BACKUP,
	FK_OP_RESTORE,
	FK_OP_ERASE,
} FkOp;

typedef struct _FkJobData FkJobData;

/* called in the job's worker once the chip is connected and its description, MAC and flash are
 * in @data (read-only from then on) */
typedef void (*FkJobConnectedFunc)(FkJobData *data, gpointer user_data);

/* what a job needs, copied on the main thread, and what it found */
struct _FkJobData {
	FkOp op;
	gchar *port;
	guint baud;
	FkResetMode reset;
	FkAfterMode after;
	gboolean verify;
	gchar *spi_connection;
	gchar *path;
	gsize size; /* 0 = detected */
	gboolean not_firmware; /* a restore of a file with no boot image, chosen deliberately */
	gchar *partition;      /* a restore of this partition of the file only */
	gchar *folder;	       /* a backup with no path yet: named in this folder once the chip is known */
	FkJobConnectedFunc connected;
	gpointer connected_data;
	GDestroyNotify connected_data_free;
	/* results */
	gchar *chip_description;
	const FkChipInfo *chip;
	gchar *mac;
	guint32 flash_id;
	gsize flash_size;
	guint crystal;
	gboolean stub_running;
	gchar *stub_path;
	gsize bytes;
	gsize image_size; /* restore: the file's size */
	gsize written;	  /* restore: what had to be written of it */
	guint recoveries;
	gchar *sidecar_warning; /* a backup saved without its description: why */
	FkDiagnosis *diagnosis; /* the port failed or the chip did not answer: why, if found */
};

struct _FkWindow {
	AdwApplicationWindow parent_instance;

	/* template widgets */
	AdwToastOverlay *toast_overlay;
	GtkWidget *backup_button;
	FkPortPicker *port_picker;
	FkChipCard *chip_card;
	FkJobPanel *job_panel;
	AdwComboRow *baud_row;
	AdwComboRow *reset_row;
	AdwComboRow *after_row;
	GtkSwitch *verify_switch;
	AdwEntryRow *spi_row;
	GtkTextView *log_view;
	AdwViewStack *view_stack;
	FkLibraryView *library_view;
	GtkBox *workbench_list;
	GtkWidget *workbench_empty;

	/* owned */
	GSettings *settings;
	FkJob *job;
	FkOp job_op;
	gboolean close_after_job;
	GtkNativeDialog *chooser;
	gboolean installing_stubs;
	GCancellable *closing; /* cancelled when the window goes: late results are dropped */
	/* what identification found for the selected port */
	FkJobData *identified;
	/* the open "stop the operation?" question, or NULL */
	GtkWidget *stop_dialog;
	/* a file to restore is being read and checked */
	gboolean checking_restore;
	/* the ports a job runs on, and the page that runs it ("board", "workbench"): a port is
	 * used by one page at a time */
	GHashTable *busy_ports;
	/* the Workbench: port → FkBoardCard (the list owns the widgets), how many of their jobs
	 * run, and whether the window closes when they have ended */
	GHashTable *workbench_cards;
	guint workbench_jobs;
	gboolean close_after_workbench;
	GtkWidget *workbench_stop_dialog;
};

/* fk-window.c: the log, toasts and the settings of the Advanced group */
void
_fk_window_log(FkWindow *self, const gchar *fmt, ...) G_GNUC_PRINTF(2, 3);
void
_fk_window_toast(FkWindow *self, const gchar *title);
FkJobData *
_fk_window_job_data_new(FkWindow *self, FkOp op);
/* opens @folder in the file manager; a toast tells why it could not, with the path to copy */
void
_fk_window_open_folder(FkWindow *self, const gchar *folder);

/* a backup saved at @path (@is_backup), or a file opened, joins the Backups page */
void
_fk_window_library_add(FkWindow *self, const gchar *path, gboolean is_backup);

/* fk-window-actions.c: the win.* actions, and starting and finishing jobs */
void
_fk_job_data_free(FkJobData *data);
/* the worker of every job the window runs (an FkJobFunc with the FkJobData as user data) */
gboolean
_fk_window_job_func(FkJob *job, FkDevice *unused, FkProgress *progress, GCancellable *cancellable,
		    gpointer user_data, GError **error);
/* where backups go unless the person chooses: the folder last saved to, else Documents */
gchar *
_fk_window_backup_folder(FkWindow *self);
void
_fk_window_start_job(FkWindow *self, FkJobData *data);
/* @summary and @hint NULL: the ones that fit the error */
void
_fk_window_show_error(FkWindow *self, const GError *error, const gchar *operation_failed, const gchar *summary,
		      const gchar *hint);
/* the flash size chosen under Flash Size, else the detected one, else 0 */
gsize
_fk_window_selected_size(FkWindow *self);
void
_fk_window_class_actions_init(GtkWidgetClass *widget_class);
void
_fk_window_actions_init(FkWindow *self);
void
_fk_window_update_actions(FkWindow *self);
void
_fk_window_show_device(FkWindow *self);
void
_fk_window_start_identify(FkWindow *self);

/* fk-window-restore.c: win.restore, win.restore-file and dropped files: the checks, the
 * question and the result */
void
_fk_window_restore_init(FkWindow *self);
void
_fk_window_class_restore_init(GtkWidgetClass *widget_class);
void
_fk_window_show_restore_result(FkWindow *self, FkJobData *data);

/* fk-window-stop.c: stopping a running operation (Cancel, Escape, closing the window); asks
 * first when stopping changes what the chip is left with, or when the window would close */
void
_fk_window_request_stop(FkWindow *self, gboolean closing);
/* the operation ended: a question about stopping it no longer applies */
void
_fk_window_forget_stop_request(FkWindow *self);
/* fk-window-chip.c: what is offered for the identified chip: Backup's dependence on the flasher
 * stub, win.install-stubs, the SPI connection option */
const gchar *
_fk_window_backup_blocked_reason(FkWindow *self);
void
_fk_window_update_backup_action(FkWindow *self, gboolean possible);
void
_fk_window_chip_refresh(FkWindow *self);
void
_fk_window_class_chip_init(GtkWidgetClass *widget_class);

/* fk-window-workbench.c: the Workbench page: one card per connected port, each with its own
 * backup job; the ports busy on either page */
void
_fk_window_workbench_init(FkWindow *self);
void
_fk_window_class_workbench_init(GtkWidgetClass *widget_class);
/* the page that runs a job on @port ("board", "workbench"), or NULL */
const gchar *
_fk_window_port_owner(FkWindow *self, const gchar *port);
void
_fk_window_port_claim(FkWindow *self, const gchar *port, const gchar *page);
void
_fk_window_port_release(FkWindow *self, const gchar *port);
/* which cards can start, and Back Up All; after any job starts or ends */
void
_fk_window_workbench_update(FkWindow *self);
/* closing while Workbench backups run: TRUE when handled (asked, or closing once they end) */
gboolean
_fk_window_workbench_close_request(FkWindow *self);
/* the window goes: its Workbench jobs are cancelled and their ends ignored */
void
_fk_window_workbench_dispose(FkWindow *self);

G_END_DECLS
