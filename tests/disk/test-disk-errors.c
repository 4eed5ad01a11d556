/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Disk errors during a backup: a full disk, a folder we may not write to, a read-only disk, a
 * folder that disappears, a disk that fails at fsync or close, a target name taken by a folder.
 * Each case runs in a child process (g_test_trap_subprocess) with fk-disk-faults.so preloaded
 * and its fault in the environment, aimed at a fresh folder; the child backs up the simulated
 * chip through the real engine and checks that
 *   (a) fk_flash_backup() fails with FK_ERROR_FILE and a message that says what to do,
 *   (b) nothing is left in the folder: no backup, no .part file,
 *   (c) the chip's flash is unchanged,
 * and that the fault really fired. The parent checks (b) again after the child has exited. */
#include "config.h"

/* RTLD_DEFAULT */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dlfcn.h>
#include <glib/gstdio.h>
#include <string.h>

#include "fk-device.h"
#include "fk-error.h"
#include "fk-flash.h"
#include "fk-progress.h"
#include "fk-sim-device.h"
#include "fk-sim-transport.h"
#include "fk-test-util.h"

#define FLASH_SIZE (4 * 1024 * 1024)
#define FILL_START 0x20000
#define BACKUP_OFFSET 0x40000
/* fk_flash_backup() buffers 256 KiB: a small backup reaches the disk only after the read, a
 * large one during it */
#define SMALL_BACKUP (128 * 1024)
/* more than a read piece (at most 1 MiB): a disk that fails stops the read before its end */
#define LARGE_BACKUP (2 * 1024 * 1024)
#define BACKUP_NAME "backup.bin"
/* the folder disappears once this much has been read */
#define VANISH_AFTER (64 * 1024)
#define CHILD_TIMEOUT_US (120 * G_USEC_PER_SEC)

typedef enum {
	FAIL_BEFORE_READ, /* nothing read from the chip */
	FAIL_DURING_READ, /* some of it read */
	FAIL_AFTER_READ,  /* all of it read, then the file could not be finished */
	FAIL_NEVER,	  /* the control case */
} FailAt;

typedef struct {
	const gchar *path;
	const gchar *fault; /* FK_DISK_FAULT, or NULL */
	gsize size;
	gboolean vanish;	    /* remove the folder from the progress handler */
	gboolean target_is_folder;  /* BACKUP_NAME is an existing folder */
	gboolean fault_elsewhere;   /* the fault is aimed at another folder */
	FailAt fail_at;
	const gchar *expect; /* a g_pattern_match_simple pattern; @DIR@ is the folder */
} DiskCase;

static const DiskCase disk_cases[] = {
    {
	.path = "/disk/enospc/during-read",
	.fault = "enospc:100000",
	.size = LARGE_BACKUP,
	.fail_at = FAIL_DURING_READ,
	.expect = "The disk is full: free some space or choose another folder "
		  "(saving @DIR@/" BACKUP_NAME ": No space left on device)",
    },
    {
	.path = "/disk/enospc/at-flush",
	.fault = "enospc:65536",
	.size = SMALL_BACKUP,
	.fail_at = FAIL_AFTER_READ,
	.expect = "The disk is full: free some space or choose another folder "
		  "(saving @DIR@/" BACKUP_NAME ": No space left on device)",
    },
    {
	.path = "/disk/eacces/create",
	.fault = "eacces",
	.size = SMALL_BACKUP,
	.fail_at = FAIL_BEFORE_READ,
	.expect = "You cannot write to @DIR@: choose another folder "
		  "(saving @DIR@/" BACKUP_NAME ": Permission denied)",
    },
    {
	.path = "/disk/erofs/create",
	.fault = "erofs",
	.size = SMALL_BACKUP,
	.fail_at = FAIL_BEFORE_READ,
	.expect = "The folder @DIR@ is on a read-only disk: choose another folder "
		  "(saving @DIR@/" BACKUP_NAME ": Read-only file system)",
    },
    {
	.path = "/disk/vanish/during-read",
	.size = LARGE_BACKUP,
	.vanish = TRUE,
	.fail_at = FAIL_AFTER_READ,
	.expect = "The folder @DIR@ no longer exists: it was removed during the backup; choose "
		  "another folder (saving @DIR@/" BACKUP_NAME ": No such file or directory)",
    },
    {
	.path = "/disk/eio/write",
	.fault = "eio:4096",
	.size = LARGE_BACKUP,
	.fail_at = FAIL_DURING_READ,
	.expect = "The disk failed while saving @DIR@/" BACKUP_NAME
		  ": check the disk or choose another folder (Input/output error)",
    },
    {
	.path = "/disk/eio/fsync",
	.fault = "eio-fsync",
	.size = SMALL_BACKUP,
	.fail_at = FAIL_AFTER_READ,
	.expect = "The disk failed while saving @DIR@/" BACKUP_NAME
		  ": check the disk or choose another folder (Input/output error)",
    },
    {
	.path = "/disk/enospc/fsync",
	.fault = "enospc-fsync",
	.size = SMALL_BACKUP,
	.fail_at = FAIL_AFTER_READ,
	.expect = "The disk is full: free some space or choose another folder "
		  "(saving @DIR@/" BACKUP_NAME ": No space left on device)",
    },
    {
	.path = "/disk/eio/close",
	.fault = "eio-close",
	.size = SMALL_BACKUP,
	.fail_at = FAIL_AFTER_READ,
	.expect = "The disk failed while saving @DIR@/" BACKUP_NAME
		  ": check the disk or choose another folder (Input/output error)",
    },
    {
	.path = "/disk/target-is-folder",
	.size = SMALL_BACKUP,
	.target_is_folder = TRUE,
	.fail_at = FAIL_BEFORE_READ,
	.expect = "@DIR@/" BACKUP_NAME " is a folder: choose a file name for the backup (Is a directory)",
    },
    /* a file system without unnamed files: a hidden, locked temporary file instead */
    {
	.path = "/disk/control/no-tmpfile",
	.fault = "no-tmpfile",
	.size = LARGE_BACKUP,
	.fail_at = FAIL_NEVER,
    },
    /* the interposer is loaded and a fault is armed, but for another folder: the backup works */
    {
	.path = "/disk/control/fault-elsewhere",
	.fault = "enospc:0",
	.size = LARGE_BACKUP,
	.fault_elsewhere = TRUE,
	.fail_at = FAIL_NEVER,
    },
};

/* ---- the child: one backup ---- */

typedef struct {
	const gchar *dir;
	gboolean vanish;
	gboolean vanished;
	gchar *peek; /* the folder's listing while the backup ran */
} VanishData;

static void
on_progress_changed_cb(FkProgress *progress, gpointer user_data)
{
	VanishData *vd = user_data;
	if (vd->peek == NULL && fk_progress_get_bytes_done(progress) > 0)
		vd->peek = fk_test_dir_listing(vd->dir);
	if (!vd->vanish || vd->vanished || fk_progress_get_bytes_done(progress) < VANISH_AFTER)
		return;
	/* the .part file is in there: the folder goes, file and all */
	g_assert_true(fk_test_rm_rf(vd->dir));
	g_assert_false(g_file_test(vd->dir, G_FILE_TEST_EXISTS));
	vd->vanished = TRUE;
}

static gulong
faults_injected(void)
{
	gulong *count = dlsym(RTLD_DEFAULT, "fk_disk_faults_injected");
	g_assert_nonnull(count); /* the interposer is loaded */
	return __atomic_load_n(count, __ATOMIC_SEQ_CST);
}

static gchar *
expected_message(const DiskCase *c, const gchar *dir)
{
	g_autoptr(GString) s = g_string_new(c->expect);
	g_string_replace(s, "@DIR@", dir, 0);
	return g_string_free(g_steal_pointer(&s), FALSE);
}

static void
run_case(const DiskCase *c)
{
	const gchar *dir = g_getenv("FK_DISK_TEST_DIR");
	g_autofree gchar *target = NULL;
	g_autofree gchar *left = NULL;
	g_autoptr(FkSimDevice) sim = fk_test_sim_new("esp32", FLASH_SIZE, FILL_START);
	g_autoptr(FkTransport) transport = fk_sim_transport_new(sim);
	g_autoptr(FkDevice) device = fk_device_new(transport);
	g_autoptr(FkProgress) progress = fk_progress_new();
	g_autoptr(GBytes) before = NULL;
	g_autoptr(GBytes) after = NULL;
	g_autoptr(GError) error = NULL;
	VanishData vd = {.dir = dir, .vanish = c->vanish};
	guint64 bytes_read;
	gboolean ok;

	g_assert_nonnull(dir);
	g_assert_true(g_file_test(dir, G_FILE_TEST_IS_DIR));
	target = g_build_filename(dir, BACKUP_NAME, NULL);
	if (c->target_is_folder)
		g_assert_cmpint(g_mkdir(target, 0755), ==, 0);
	g_assert_cmpuint(faults_injected(), ==, 0);

	fk_device_set_use_stub(device, fk_test_stubs_available());
	g_assert_true(fk_device_connect(device, NULL, &error));
	g_assert_no_error(error);
	before = fk_sim_device_get_flash(sim);

	g_signal_connect(progress, "changed", G_CALLBACK(on_progress_changed_cb), &vd);
	ok = fk_flash_backup(device, BACKUP_OFFSET, c->size, target, progress, NULL, &error);
	bytes_read = fk_progress_get_bytes_done(progress);
	if (error != NULL)
		g_printerr("# %s: %s\n", c->path, error->message);

	/* (c) the chip is as it was */
	after = fk_sim_device_get_flash(sim);
	g_assert_true(g_bytes_equal(before, after));

	if (c->fail_at == FAIL_NEVER) {
		g_autofree gchar *data = NULL;
		gsize len = 0;
		g_assert_no_error(error);
		g_assert_true(ok);
		if (c->fault_elsewhere)
			g_assert_cmpuint(faults_injected(), ==, 0);
		else
			g_assert_cmpuint(faults_injected(), >, 0);
		/* while it was written, the file had no name at all, or a hidden one */
		g_assert_nonnull(vd.peek);
		if (c->fault_elsewhere)
			g_assert_cmpstr(vd.peek, ==, "");
		else
			g_assert_true(g_pattern_match_simple(".flashkeep-??????.part", vd.peek));
		g_free(vd.peek);
		g_assert_true(g_file_get_contents(target, &data, &len, &error));
		g_assert_no_error(error);
		g_assert_cmpmem(data, len, (const guint8 *)g_bytes_get_data(before, NULL) + BACKUP_OFFSET, c->size);
		/* the backup and its description */
		left = fk_test_dir_listing(dir);
		g_assert_cmpstr(left, ==, BACKUP_NAME " " BACKUP_NAME ".json");
		return;
	}

	/* nothing was visible while the backup ran (the file had no name yet) */
	if (vd.peek != NULL && !c->target_is_folder)
		g_assert_cmpstr(vd.peek, ==, "");
	g_free(vd.peek);

	/* (a) a file error that says what happened and what to do */
	g_assert_false(ok);
	g_assert_error(error, FK_ERROR, FK_ERROR_FILE);
	{
		g_autofree gchar *want = expected_message(c, dir);
		g_assert_cmpstr(error->message, ==, want);
	}
	/* and it came from the fault, where the case says */
	if (c->fault != NULL)
		g_assert_cmpuint(faults_injected(), >, 0);
	if (c->vanish)
		g_assert_true(vd.vanished);
	switch (c->fail_at) {
	case FAIL_BEFORE_READ:
		g_assert_cmpuint(bytes_read, ==, 0);
		break;
	case FAIL_DURING_READ:
		g_assert_cmpuint(bytes_read, >, 0);
		g_assert_cmpuint(bytes_read, <, c->size);
		break;
	case FAIL_AFTER_READ:
		g_assert_cmpuint(bytes_read, ==, c->size);
		break;
	case FAIL_NEVER:
	default:
		g_assert_not_reached();
	}

	/* (b) nothing left behind: no backup, no .part file */
	left = fk_test_dir_listing(dir);
	if (c->vanish)
		g_assert_null(left);
	else if (c->target_is_folder)
		g_assert_cmpstr(left, ==, BACKUP_NAME);
	else
		g_assert_cmpstr(left, ==, "");
	if (c->target_is_folder) {
		g_autofree gchar *inside = fk_test_dir_listing(target);
		g_assert_cmpstr(inside, ==, "");
	}
}

/* ---- the parent: a folder and an environment per case ---- */

static void
test_disk_case(gconstpointer user_data)
{
	const DiskCase *c = user_data;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = NULL;
	g_autofree gchar *fault_dir = NULL;
	g_autofree gchar *left = NULL;
	g_autofree gchar *preload = NULL;
	g_autofree gchar *preload_before = g_strdup(g_getenv("LD_PRELOAD"));
	const gchar *module = g_getenv("FK_DISK_FAULTS_MODULE");
#ifdef FK_TEST_ASAN
	g_autofree gchar *asan_options = NULL;
#endif

	if (g_test_subprocess()) {
		run_case(c);
		return;
	}
	if (module == NULL)
		module = FK_DISK_FAULTS_MODULE;
	g_assert_true(g_file_test(module, G_FILE_TEST_IS_REGULAR));

	dir = g_dir_make_tmp("flashkeep-disk-XXXXXX", &error);
	g_assert_no_error(error);
	/* a sibling whose name starts with this folder's: must not be matched */
	fault_dir = c->fault_elsewhere ? g_strconcat(dir, "-elsewhere", NULL) : g_strdup(dir);

	preload = preload_before != NULL ? g_strconcat(module, ":", preload_before, NULL) : g_strdup(module);
	g_setenv("LD_PRELOAD", preload, TRUE);
#ifdef FK_TEST_ASAN
	/* ASan wants its runtime first in the library list and aborts otherwise; the fault library
	 * only wraps libc calls (ASan's own wrappers come next), so let it go first */
	asan_options = g_strdup(g_getenv("ASAN_OPTIONS"));
	{
		g_autofree gchar *opts = asan_options != NULL && asan_options[0] != '\0'
					     ? g_strconcat(asan_options, ":verify_asan_link_order=0", NULL)
					     : g_strdup("verify_asan_link_order=0");
		g_setenv("ASAN_OPTIONS", opts, TRUE);
	}
#endif
	g_setenv("FK_DISK_TEST_DIR", dir, TRUE);
	g_setenv("FK_DISK_FAULT_DIR", fault_dir, TRUE);
	if (c->fault != NULL)
		g_setenv("FK_DISK_FAULT", c->fault, TRUE);
	else
		g_unsetenv("FK_DISK_FAULT");
	g_test_trap_subprocess(NULL, CHILD_TIMEOUT_US, G_TEST_SUBPROCESS_INHERIT_STDERR);
	if (preload_before != NULL)
		g_setenv("LD_PRELOAD", preload_before, TRUE);
	else
		g_unsetenv("LD_PRELOAD");
	g_unsetenv("FK_DISK_TEST_DIR");
	g_unsetenv("FK_DISK_FAULT_DIR");
	g_unsetenv("FK_DISK_FAULT");
#ifdef FK_TEST_ASAN
	if (asan_options != NULL)
		g_setenv("ASAN_OPTIONS", asan_options, TRUE);
	else
		g_unsetenv("ASAN_OPTIONS");
#endif
	g_test_trap_assert_passed();

	/* (b) again, from outside the process that failed */
	left = fk_test_dir_listing(dir);
	if (c->fail_at == FAIL_NEVER)
		g_assert_cmpstr(left, ==, BACKUP_NAME " " BACKUP_NAME ".json");
	else if (c->target_is_folder)
		g_assert_cmpstr(left, ==, BACKUP_NAME);
	else if (c->vanish)
		g_assert_null(left);
	else
		g_assert_cmpstr(left, ==, "");
	if (left != NULL)
		g_assert_true(fk_test_rm_rf(dir));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (guint i = 0; i < G_N_ELEMENTS(disk_cases); i++)
		g_test_add_data_func(disk_cases[i].path, &disk_cases[i], test_disk_case);
	return g_test_run();
}
