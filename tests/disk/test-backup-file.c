/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The backup's file: nothing outlives a backup killed half-way (SIGKILL, a power cut), what an
 * older killed backup left is removed by the next one when no live process holds it, and the
 * target must be a file (or a link to one, written through as cp does): a folder, a FIFO, a
 * dangling link or no name at all is refused before anything is read from the chip. */
#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include "fk-device.h"
#include "fk-error.h"
#include "fk-flash.h"
#include "fk-progress.h"
#include "fk-sim-device.h"
#include "fk-sim-transport.h"
#include "fk-test-util.h"

#define FLASH_SIZE (1024 * 1024)
#define FILL_START 0x20000
#define BACKUP_OFFSET 0x20000
#define BACKUP_SIZE (256 * 1024)

typedef struct {
	FkSimDevice *sim;
	FkTransport *transport;
	FkDevice *device;
	gchar *dir;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	f->sim = fk_test_sim_new("esp32", FLASH_SIZE, FILL_START);
	/* the ROM's read: no stub needed */
	f->device = fk_test_device_connect(f->sim, FALSE, &f->transport);
	f->dir = g_dir_make_tmp("flashkeep-file-XXXXXX", &error);
	g_assert_no_error(error);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	g_assert_true(fk_test_rm_rf(f->dir));
	g_free(f->dir);
	g_object_unref(f->device);
	g_object_unref(f->transport);
	g_object_unref(f->sim);
}

static void
assert_backup_matches(Fixture *f, const gchar *path)
{
	g_autoptr(GBytes) flash = fk_sim_device_get_flash(f->sim);
	g_autofree gchar *data = NULL;
	gsize len = 0;
	g_assert_true(g_file_get_contents(path, &data, &len, NULL));
	g_assert_cmpmem(data, len, (const guint8 *)g_bytes_get_data(flash, NULL) + BACKUP_OFFSET, BACKUP_SIZE);
}

static gboolean
backup(Fixture *f, const gchar *path, FkProgress *progress, GError **error)
{
	g_autoptr(FkProgress) own = progress == NULL ? fk_progress_new() : NULL;
	return fk_flash_backup(f->device, BACKUP_OFFSET, BACKUP_SIZE, path, progress != NULL ? progress : own,
			       NULL, error);
}

static void
kill_self_cb(FkProgress *progress, gpointer user_data)
{
	if (fk_progress_get_bytes_done(progress) >= BACKUP_SIZE / 2)
		kill(getpid(), SIGKILL);
}

/* killed half-way: no file is left, not even a hidden one */
static void
test_killed(Fixture *f, gconstpointer data)
{
	g_autofree gchar *left = NULL;
	if (g_test_subprocess()) {
		g_autofree gchar *path = g_build_filename(g_getenv("FK_TEST_DIR"), "backup.bin", NULL);
		g_autoptr(FkProgress) progress = fk_progress_new();
		g_signal_connect(progress, "changed", G_CALLBACK(kill_self_cb), NULL);
		(void)backup(f, path, progress, NULL);
		g_assert_not_reached();
	}
	g_setenv("FK_TEST_DIR", f->dir, TRUE);
	g_test_trap_subprocess(NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
	g_unsetenv("FK_TEST_DIR");
	g_test_trap_assert_failed();
	left = fk_test_dir_listing(f->dir);
	g_assert_cmpstr(left, ==, "");
}

static void
make_file(const gchar *dir, const gchar *name, gboolean old)
{
	g_autofree gchar *path = g_build_filename(dir, name, NULL);
	g_assert_true(g_file_set_contents(path, "partial backup", -1, NULL));
	if (old) {
		struct utimbuf times = {.actime = time(NULL) - 7200, .modtime = time(NULL) - 7200};
		g_assert_cmpint(utime(path, &times), ==, 0);
	}
}

/* what killed backups left (where the file system has no unnamed files) is removed by the next
 * backup into the folder, unless a live process holds it or it is brand new */
static void
test_stale(Fixture *f, gconstpointer data)
{
	g_autofree gchar *path = g_build_filename(f->dir, "backup.bin", NULL);
	g_autofree gchar *held_path = g_build_filename(f->dir, ".flashkeep-bbbbbb.part", NULL);
	g_autofree gchar *left = NULL;
	g_autoptr(GError) error = NULL;
	int held;

	make_file(f->dir, ".flashkeep-aaaaaa.part", TRUE);	/* dead: removed */
	make_file(f->dir, ".flashkeep-bbbbbb.part", TRUE);	/* held by a live backup: kept */
	make_file(f->dir, ".flashkeep-cccccc.part", FALSE); /* just made: kept */
	make_file(f->dir, ".flashkeep-notes.txt", TRUE);	/* not ours: kept */
	make_file(f->dir, "other.bin.a1b2c3.part", TRUE);	/* not ours: kept */
	held = open(held_path, O_RDONLY | O_CLOEXEC);
	g_assert_cmpint(held, >=, 0);
	g_assert_cmpint(flock(held, LOCK_EX), ==, 0);

	g_assert_true(backup(f, path, NULL, &error));
	g_assert_no_error(error);
	assert_backup_matches(f, path);
	left = fk_test_dir_listing(f->dir);
	g_assert_cmpstr(left, ==, ".flashkeep-bbbbbb.part .flashkeep-cccccc.part .flashkeep-notes.txt backup.bin "
				  "backup.bin.json other.bin.a1b2c3.part");
	close(held);
}

/* refused before the chip is read: the progress never moved */
static void
assert_refused(Fixture *f, const gchar *path, const gchar *says)
{
	g_autoptr(FkProgress) progress = fk_progress_new();
	g_autoptr(GError) error = NULL;
	g_assert_false(backup(f, path, progress, &error));
	g_assert_nonnull(error);
	g_test_message("%s: %s", path, error->message);
	g_assert_nonnull(strstr(error->message, says));
	g_assert_cmpuint(fk_progress_get_bytes_done(progress), ==, 0);
}

static void
test_targets(Fixture *f, gconstpointer data)
{
	g_autofree gchar *real = g_build_filename(f->dir, "real.bin", NULL);
	g_autofree gchar *link = g_build_filename(f->dir, "link.bin", NULL);
	g_autofree gchar *dangling = g_build_filename(f->dir, "dangling.bin", NULL);
	g_autofree gchar *fifo = g_build_filename(f->dir, "fifo.bin", NULL);
	g_autofree gchar *folder = g_build_filename(f->dir, "folder.bin", NULL);
	g_autofree gchar *link_fifo = g_build_filename(f->dir, "link-fifo.bin", NULL);
	g_autofree gchar *long_name = NULL;
	g_autofree gchar *left = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *n250 = g_strnfill(250, 'n');
	GStatBuf st;

	/* a link to a file: the file gets the backup, the link stays a link */
	g_assert_true(g_file_set_contents(real, "old", -1, NULL));
	g_assert_cmpint(symlink("real.bin", link), ==, 0);
	g_assert_true(backup(f, link, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpint(g_lstat(link, &st), ==, 0);
	g_assert_true(S_ISLNK(st.st_mode));
	assert_backup_matches(f, real);

	g_assert_cmpint(symlink("nowhere.bin", dangling), ==, 0);
	assert_refused(f, dangling, "does not exist");
	g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
	assert_refused(f, fifo, "is a pipe (FIFO), not a file");
	g_assert_cmpint(symlink("fifo.bin", link_fifo), ==, 0);
	assert_refused(f, link_fifo, "which is a pipe (FIFO)");
	g_assert_cmpint(g_mkdir(folder, 0755), ==, 0);
	assert_refused(f, folder, "is a folder");
	assert_refused(f, "", "No file name was given");
	g_assert_cmpint(g_lstat(fifo, &st), ==, 0);
	g_assert_true(S_ISFIFO(st.st_mode));

	/* a name of 250 bytes is legal (255 is the limit): the temporary file does not borrow it */
	long_name = g_build_filename(f->dir, n250, NULL);
	g_assert_true(backup(f, long_name, NULL, &error));
	g_assert_no_error(error);
	assert_backup_matches(f, long_name);

	left = fk_test_dir_listing(f->dir);
	g_test_message("left: %s", left);
	g_assert_null(strstr(left, ".part"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/backup-file/killed", Fixture, NULL, fixture_setup, test_killed, fixture_teardown);
	g_test_add("/backup-file/stale", Fixture, NULL, fixture_setup, test_stale, fixture_teardown);
	g_test_add("/backup-file/targets", Fixture, NULL, fixture_setup, test_targets, fixture_teardown);
	return g_test_run();
}
