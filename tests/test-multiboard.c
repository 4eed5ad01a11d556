/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Several boards at once: two simulated chips backed up at the same time from two threads, each
 * with its own FkDevice, sharing only the state files every board's operation changes (the baud
 * rates remembered per adapter, the list of backups). */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "fk-adapter.h"
#include "fk-backup-info.h"
#include "fk-backup-library.h"
#include "fk-flash.h"
#include "fk-port.h"
#include "fk-sim-transport.h"
#include "fk-state-file.h"
#include "fk-test-util.h"

#define FLASH_1MB (1024 * 1024)

typedef struct _Bench Bench;

typedef struct {
	Bench *bench;
	guint index;
	const gchar *chip;
	const gchar *adapter; /* its USB adapter, which carries less than the table says */
	FkSimDevice *sim;
	gchar *path;	 /* the backup */
	gchar *library;	 /* the list of backups: one file, one FkBackupLibrary per board */
	gchar *mac;
	gboolean started; /* the backup has moved bytes (under bench->mutex) */
	gboolean saw_other_running;
	GError *error;
} Board;

struct _Bench {
	GMutex mutex;
	GCond cond;
	gchar *dir;
	gchar *memory; /* the baud rates remembered, one file for both boards */
	Board boards[2];
};

/* each board, half-way through its backup, waits until the other has started its own: the two
 * backups then certainly overlap, however the threads are scheduled */
static void
board_progress_cb(FkProgress *progress, Board *b)
{
	Board *other = &b->bench->boards[1 - b->index];
	gdouble fraction = fk_progress_get_fraction(progress);

	g_mutex_lock(&b->bench->mutex);
	if (fraction > 0 && !b->started) {
		b->started = TRUE;
		g_cond_broadcast(&b->bench->cond);
	}
	if (fraction >= 0.5 && !b->saw_other_running) {
		while (!other->started)
			g_cond_wait(&b->bench->cond, &b->bench->mutex);
		b->saw_other_running = TRUE;
	}
	g_mutex_unlock(&b->bench->mutex);
}

static gpointer
board_thread(gpointer data)
{
	Board *b = data;
	g_autoptr(FkTransport) transport = fk_sim_transport_new(b->sim);
	g_autoptr(FkDevice) device = fk_device_new(transport);
	g_autoptr(FkProgress) progress = fk_progress_new();
	g_autoptr(FkBackupLibrary) library = fk_backup_library_new(b->library);
	GError **error = &b->error;

	fk_device_set_baud(device, FK_BAUD_AUTO);
	fk_device_set_baud_memory_file(device, b->bench->memory);
	g_signal_connect(progress, "changed", G_CALLBACK(board_progress_cb), b);
	if (!fk_device_connect(device, NULL, error))
		return NULL;
	b->mac = fk_device_get_mac_string(device);
	if (!fk_flash_backup(device, 0, FLASH_1MB, b->path, progress, NULL, error))
		return NULL;
	if (!fk_backup_library_add_backup(library, b->path, error))
		return NULL;
	/* the rate that worked is remembered when the board is left */
	(void)!fk_device_finish(device, FK_AFTER_HARD_RESET, NULL, error);
	fk_transport_close(transport);
	return NULL;
}

static void
test_parallel_backups(void)
{
	Bench bench = {0};
	const struct {
		const gchar *chip;
		const gchar *adapter;
		const gchar *key; /* what the baud memory remembers it by */
	} setup[] = {
	    /* a CH340 has no serial number: it is remembered with its port's name */
	    {"esp32", "ch340@921600", "1a86:7523 at sim:esp32@1MB"},
	    {"esp32c3", "cp2102n@1500000", "10c4:ea60 fk"},
	};
	GThread *threads[2];
	g_autoptr(FkBaudMemory) memory = NULL;
	g_autoptr(FkBackupLibrary) library = NULL;
	g_autoptr(GPtrArray) entries = NULL;
	g_autoptr(GError) error = NULL;

	if (fk_test_skip_without_stubs())
		return;
	g_mutex_init(&bench.mutex);
	g_cond_init(&bench.cond);
	bench.dir = g_dir_make_tmp("fk-test-multiboard-XXXXXX", &error);
	g_assert_no_error(error);
	bench.memory = g_build_filename(bench.dir, "state", "baud-rates.ini", NULL);
	for (guint i = 0; i < 2; i++) {
		Board *b = &bench.boards[i];
		g_autofree gchar *folder = g_strdup_printf("%s/board-%u", bench.dir, i);
		g_assert_cmpint(g_mkdir(folder, 0700), ==, 0);
		b->bench = &bench;
		b->index = i;
		b->chip = setup[i].chip;
		b->adapter = setup[i].adapter;
		b->sim = fk_test_sim_new(b->chip, FLASH_1MB, FLASH_1MB / 2);
		g_assert_true(fk_sim_device_set_adapter(b->sim, b->adapter, &error));
		g_assert_no_error(error);
		b->path = g_build_filename(folder, "backup.bin", NULL);
		b->library = g_build_filename(bench.dir, "state", "library.ini", NULL);
	}
	for (guint i = 0; i < 2; i++)
		threads[i] = g_thread_new("board", board_thread, &bench.boards[i]);
	for (guint i = 0; i < 2; i++)
		g_thread_join(threads[i]);

	for (guint i = 0; i < 2; i++) {
		Board *b = &bench.boards[i];
		g_autoptr(GBytes) flash = fk_sim_device_get_flash(b->sim);
		g_autofree gchar *contents = NULL;
		g_autoptr(FkBackupInfo) info = NULL;
		gsize len = 0;
		gboolean intact = FALSE;

		g_test_message("%s on %s", b->chip, b->adapter);
		g_assert_no_error(b->error);
		g_assert_true(b->saw_other_running);
		/* byte for byte what this board's chip holds */
		g_assert_true(g_file_get_contents(b->path, &contents, &len, NULL));
		g_assert_cmpuint(len, ==, g_bytes_get_size(flash));
		g_assert_true(memcmp(contents, g_bytes_get_data(flash, NULL), len) == 0);
		/* its description (beside it) names this board, and the file is the one described */
		info = fk_backup_info_load(b->path, &error);
		g_assert_no_error(error);
		g_assert_cmpstr(info->mac, ==, b->mac);
		g_assert_true(fk_backup_info_check(info, b->path, &intact, NULL, &error));
		g_assert_no_error(error);
		g_assert_true(intact);
		/* each adapter stepped down, and what worked is remembered for each */
		g_assert_cmpuint(fk_sim_device_get_adapter_errors(b->sim), >, 0);
	}
	g_assert_cmpstr(bench.boards[0].mac, !=, bench.boards[1].mac);

	/* the shared files hold both boards' changes */
	memory = fk_baud_memory_new(bench.memory);
	g_assert_cmpuint(fk_baud_memory_lookup(memory, setup[0].key, NULL), ==, 921600);
	g_assert_cmpuint(fk_baud_memory_lookup(memory, setup[1].key, NULL), ==, 1500000);
	library = fk_backup_library_new(bench.boards[0].library);
	entries = fk_backup_library_list(library, NULL);
	g_assert_cmpuint(entries->len, ==, 2);

	for (guint i = 0; i < 2; i++) {
		Board *b = &bench.boards[i];
		g_clear_object(&b->sim);
		g_free(b->path);
		g_free(b->library);
		g_free(b->mac);
	}
	g_assert_true(fk_test_rm_rf(bench.dir));
	g_free(bench.dir);
	g_free(bench.memory);
	g_mutex_clear(&bench.mutex);
	g_cond_clear(&bench.cond);
}

/* two lists of backups on one file (two windows, a window and the command line): neither loses
 * what the other saved */
static void
test_library_two_writers(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp("fk-test-multiboard-XXXXXX", &error);
	g_autofree gchar *state = g_build_filename(dir, "library.ini", NULL);
	g_autofree gchar *a = g_build_filename(dir, "a", "one.bin", NULL);
	g_autofree gchar *b = g_build_filename(dir, "b", "two.bin", NULL);
	g_autofree gchar *opened = g_build_filename(dir, "c", "three.bin", NULL);
	g_autoptr(FkBackupLibrary) first = fk_backup_library_new(state);
	g_autoptr(FkBackupLibrary) second = fk_backup_library_new(state);
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_auto(GStrv) folders = NULL;
	g_auto(GStrv) files = NULL;

	g_assert_true(fk_backup_library_add_backup(first, a, &error));
	g_assert_no_error(error);
	g_assert_true(fk_backup_library_add_backup(second, b, &error));
	g_assert_no_error(error);
	g_assert_true(fk_backup_library_add_file(first, opened, &error));
	g_assert_no_error(error);

	g_assert_true(g_key_file_load_from_file(kf, state, G_KEY_FILE_NONE, &error));
	g_assert_no_error(error);
	folders = g_key_file_get_string_list(kf, "library", "folders", NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(g_strv_length(folders), ==, 2);
	g_assert_true(g_str_has_suffix(folders[0], "/a"));
	g_assert_true(g_str_has_suffix(folders[1], "/b"));
	files = g_key_file_get_string_list(kf, "library", "files", NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(g_strv_length(files), ==, 1);
	g_assert_cmpstr(files[0], ==, opened);
	g_assert_true(fk_test_rm_rf(dir));
}

typedef struct {
	gchar *path;
	gint done; /* atomic */
} Forget;

static gpointer
forget_thread(gpointer data)
{
	Forget *fg = data;
	g_autoptr(FkBaudMemory) memory = fk_baud_memory_new(fg->path);
	g_autoptr(GError) error = NULL;
	g_assert_true(fk_baud_memory_forget(memory, "1a86:7523 at sim:a", &error));
	g_assert_no_error(error);
	g_atomic_int_set(&fg->done, 1);
	return NULL;
}

/* a board's change to the remembered rates waits while another board's is under way */
static void
test_baud_memory_waits(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp("fk-test-multiboard-XXXXXX", &error);
	g_autofree gchar *path = g_build_filename(dir, "baud-rates.ini", NULL);
	g_autoptr(FkBaudMemory) memory = fk_baud_memory_new(path);
	Forget fg = {path, 0};
	GThread *thread;
	gint lock;

	g_assert_true(g_file_set_contents(path, "[1a86:7523 at sim:a]\nbaud=921600\nclean-runs=0\n"
						"[1a86:7523 at sim:b]\nbaud=460800\nclean-runs=2\n",
					  -1, &error));
	g_assert_no_error(error);
	lock = fk_state_file_lock(path);
	g_assert_cmpint(lock, >=, 0);
	thread = g_thread_new("forget", forget_thread, &fg);
	/* however long it is given, it cannot finish while the lock is held */
	g_usleep(G_USEC_PER_SEC / 10);
	g_assert_cmpint(g_atomic_int_get(&fg.done), ==, 0);
	/* the other board's change lands in the meantime … */
	g_assert_true(g_file_set_contents(path, "[1a86:7523 at sim:a]\nbaud=921600\nclean-runs=0\n"
						"[1a86:7523 at sim:b]\nbaud=460800\nclean-runs=3\n",
					  -1, &error));
	fk_state_file_unlock(lock);
	g_thread_join(thread);
	g_assert_cmpint(g_atomic_int_get(&fg.done), ==, 1);
	/* … and survives the first one's */
	{
		guint clean = 0;
		g_assert_cmpuint(fk_baud_memory_lookup(memory, "1a86:7523 at sim:a", NULL), ==, 0);
		g_assert_cmpuint(fk_baud_memory_lookup(memory, "1a86:7523 at sim:b", &clean), ==, 460800);
		g_assert_cmpuint(clean, ==, 3);
	}
	g_assert_true(fk_test_rm_rf(dir));
}

/* the simulated boards the port list offers are boards of their own: no two share a MAC, so the
 * Backups page never takes two of them for one */
static void
test_sim_boards_distinct(void)
{
	g_autoptr(GPtrArray) ports = NULL;
	g_autoptr(GHashTable) macs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	guint n = 0;

	fk_sim_register();
	ports = fk_port_list(NULL);
	g_assert_nonnull(ports);
	for (guint i = 0; i < ports->len; i++) {
		FkPortInfo *info = g_ptr_array_index(ports, i);
		g_autoptr(GError) error = NULL;
		g_autoptr(FkTransport) transport = NULL;
		g_autoptr(FkDevice) device = NULL;
		FkSimDevice *sim;
		gchar *mac;

		if (info->kind != FK_PORT_KIND_SIMULATED)
			continue;
		transport = fk_transport_open(info->name, &error);
		g_assert_no_error(error);
		/* unpaced, and in its loader already (the board reset by hand has no one to press) */
		sim = fk_sim_transport_get_device(FK_SIM_TRANSPORT(transport));
		fk_sim_device_set_timing(sim, FALSE, 0);
		fk_sim_device_enter_download_by_hand(sim);
		device = fk_device_new(transport);
		fk_device_set_use_stub(device, FALSE);
		fk_device_set_reset_mode(device, FK_RESET_NONE);
		g_assert_true(fk_device_connect(device, NULL, &error));
		g_assert_no_error(error);
		mac = fk_device_get_mac_string(device);
		g_test_message("%s: %s", info->name, mac);
		g_assert_false(g_hash_table_contains(macs, mac));
		g_hash_table_insert(macs, mac, g_strdup(info->name));
		fk_transport_close(transport);
		n++;
	}
	g_assert_cmpuint(n, >=, 3);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/fk/multiboard/parallel-backups", test_parallel_backups);
	g_test_add_func("/fk/multiboard/library-two-writers", test_library_two_writers);
	g_test_add_func("/fk/multiboard/baud-memory-waits", test_baud_memory_waits);
	g_test_add_func("/fk/multiboard/sim-boards-distinct", test_sim_boards_distinct);
	return g_test_run();
}
