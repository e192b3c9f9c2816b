/*
 * The floor for `npm run bench -- storage`: the least a container rootfs can
 * cost with plain syscalls, laid out as overlay2 lays it out, so the berth
 * figures have something to be measured against.
 *
 *   floor <dir> <depth> <runs> <warmup>
 *
 * <dir> must not exist; it is created, holds a <depth>-layer image chain and
 * is removed again. Per run three phases are timed (CLOCK_MONOTONIC):
 *   create   init layer dirs + link files, the init entries written through a
 *            detached overlay of the image chain, then the RW layer dirs
 *   mount    the RW layer's overlay attached on <id>/merged
 *   unmount  umount2(MNT_DETACH), then rmdir of the mount point
 * and printed as one JSON line of nanosecond arrays. Errors go to stderr with
 * exit status 1; SIGINT/SIGTERM stop between runs and still clean up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SHORT_LEN 26
#define MAX_DEPTH 500 /* overlayfs' own stack limit */

static char root[PATH_MAX];
static int depth;
static char image_short[MAX_DEPTH][SHORT_LEN + 1];
/* "l/A:l/B:..." of the image chain, topmost first, as overlay2's lower file. */
static char *image_lower;
static unsigned long short_counter;
static volatile sig_atomic_t stop_requested;
/* index=off where the module has the switch, as overlay2 drivers mount. */
static int index_off;
/* The one attached mount this program can be holding when it must bail out. */
static char mounted_at[PATH_MAX];

static void on_signal(int sig) {
	(void)sig;
	stop_requested = 1;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
	(void)st;
	(void)flag;
	(void)ftw;
	if (remove(path) != 0 && errno != ENOENT) fprintf(stderr, "floor: remove %s: %s\n", path, strerror(errno));
	return 0;
}

/* FTW_MOUNT: a mount that failed to go away is left alone, not emptied. */
static void remove_tree(const char *path) {
	nftw(path, remove_entry, 64, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static void cleanup(void) {
	if (mounted_at[0]) umount2(mounted_at, MNT_DETACH);
	mounted_at[0] = 0;
	if (root[0]) remove_tree(root);
}

static _Noreturn void die(const char *syscall, const char *path) {
	int err = errno;
	fprintf(stderr, "floor: %s %s: %s\n", syscall, path ? path : "", strerror(err));
	cleanup();
	exit(1);
}

static void path_of(char *out, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out, PATH_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= PATH_MAX) {
		errno = ENAMETOOLONG;
		die("path", fmt);
	}
}

static int64_t now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Unique 26-character names like overlay2's short links, without randomness to pay for. */
static void next_short(char out[SHORT_LEN + 1]) {
	unsigned long n = ++short_counter;
	for (int i = SHORT_LEN - 1; i >= 0; i--) {
		out[i] = (char)('A' + n % 26);
		n /= 26;
	}
	out[SHORT_LEN] = 0;
}

static void write_file(const char *path, const char *data) {
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) die("open", path);
	size_t len = strlen(data);
	if (write(fd, data, len) != (ssize_t)len) die("write", path);
	if (close(fd) != 0) die("close", path);
}

/* <id>/{diff,work,link,lower} and l/<short> -> ../<id>/diff: one overlay2 layer's skeleton. */
static void make_layer_dirs(const char *id, const char *short_id, const char *lower) {
	char p[PATH_MAX], target[PATH_MAX];
	path_of(p, "%s/%s", root, id);
	if (mkdir(p, 0700) != 0) die("mkdir", p);
	path_of(p, "%s/%s/diff", root, id);
	if (mkdir(p, 0755) != 0) die("mkdir", p);
	path_of(p, "%s/%s/work", root, id);
	if (mkdir(p, 0700) != 0) die("mkdir", p);
	path_of(p, "%s/%s/link", root, id);
	write_file(p, short_id);
	if (lower) {
		path_of(p, "%s/%s/lower", root, id);
		write_file(p, lower);
	}
	path_of(p, "%s/l/%s", root, short_id);
	path_of(target, "../%s/diff", id);
	if (symlink(target, p) != 0) die("symlink", p);
}

static void fs_set(int fsfd, const char *key, const char *value) {
	if (fsconfig(fsfd, FSCONFIG_SET_STRING, key, value, 0) != 0) {
		int err = errno;
		/* The kernel explains a refused option in the context's log. */
		char msg[512];
		ssize_t n = read(fsfd, msg, sizeof msg - 1);
		if (n > 0) {
			msg[n] = 0;
			fprintf(stderr, "floor: fsconfig log: %s\n", msg);
		}
		errno = err;
		die("fsconfig", key);
	}
}

/*
 * An overlay built with the new mount API: lowerdir+ once per layer (the
 * first is the topmost), so no option string and no page-size limit.
 * Returns the detached mount's fd.
 */
static int overlay_mount(const char *first_lower, const char *upper, const char *work) {
	char p[PATH_MAX];
	int fsfd = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fsfd < 0) die("fsopen", "overlay");
	if (index_off) fs_set(fsfd, "index", "off");
	if (first_lower) fs_set(fsfd, "lowerdir+", first_lower);
	for (int i = depth - 1; i >= 0; i--) {
		path_of(p, "%s/img%d/diff", root, i);
		fs_set(fsfd, "lowerdir+", p);
	}
	fs_set(fsfd, "upperdir", upper);
	fs_set(fsfd, "workdir", work);
	if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) != 0) die("fsconfig", "create");
	int mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, 0);
	if (mfd < 0) die("fsmount", upper);
	close(fsfd);
	return mfd;
}

static void mkdir_at(int dirfd, const char *name) {
	if (mkdirat(dirfd, name, 0755) != 0 && errno != EEXIST) die("mkdirat", name);
}

static void file_at(int dirfd, const char *name) {
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0755);
	if (fd < 0) {
		if (errno == EEXIST) return;
		die("openat", name);
	}
	close(fd);
}

static void phase_create(const char *id, const char *init_id, char init_short[SHORT_LEN + 1],
		char rw_short[SHORT_LEN + 1], char **rw_lower) {
	char upper[PATH_MAX], work[PATH_MAX];
	next_short(init_short);
	make_layer_dirs(init_id, init_short, image_lower);

	path_of(upper, "%s/%s/diff", root, init_id);
	path_of(work, "%s/%s/work", root, init_id);
	int mfd = overlay_mount(NULL, upper, work);
	static const char *const dirs[] = {"dev", "dev/pts", "dev/shm", "proc", "sys", "etc"};
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) mkdir_at(mfd, dirs[i]);
	static const char *const files[] = {".dockerinit", ".dockerenv", "etc/resolv.conf",
		"etc/hosts", "etc/hostname", "dev/console"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) file_at(mfd, files[i]);
	if (symlinkat("/proc/mounts", mfd, "etc/mtab") != 0 && errno != EEXIST) die("symlinkat", "etc/mtab");
	/* Closing the last reference to a detached mount unmounts it. */
	close(mfd);

	next_short(rw_short);
	size_t len = strlen("l/") + SHORT_LEN + 1 + strlen(image_lower) + 1;
	*rw_lower = malloc(len);
	if (!*rw_lower) die("malloc", NULL);
	snprintf(*rw_lower, len, "l/%s%s%s", init_short, image_lower[0] ? ":" : "", image_lower);
	make_layer_dirs(id, rw_short, *rw_lower);
}

static void phase_mount(const char *id, const char *init_id) {
	char merged[PATH_MAX], init_diff[PATH_MAX], upper[PATH_MAX], work[PATH_MAX];
	path_of(merged, "%s/%s/merged", root, id);
	if (mkdir(merged, 0700) != 0) die("mkdir", merged);
	path_of(init_diff, "%s/%s/diff", root, init_id);
	path_of(upper, "%s/%s/diff", root, id);
	path_of(work, "%s/%s/work", root, id);
	int mfd = overlay_mount(init_diff, upper, work);
	if (move_mount(mfd, "", AT_FDCWD, merged, MOVE_MOUNT_F_EMPTY_PATH) != 0) die("move_mount", merged);
	memcpy(mounted_at, merged, sizeof merged);
	close(mfd);
}

static void phase_unmount(const char *id) {
	char merged[PATH_MAX];
	path_of(merged, "%s/%s/merged", root, id);
	if (umount2(merged, MNT_DETACH) != 0) die("umount2", merged);
	mounted_at[0] = 0;
	/* overlay2's put() leaves no empty mount point behind either. */
	if (rmdir(merged) != 0) die("rmdir", merged);
}

static void remove_layer(const char *id, const char *short_id) {
	char p[PATH_MAX];
	path_of(p, "%s/l/%s", root, short_id);
	if (unlink(p) != 0) die("unlink", p);
	path_of(p, "%s/%s", root, id);
	remove_tree(p);
}

static void prepare_chain(void) {
	char p[PATH_MAX], id[32];
	size_t cap = (size_t)depth * (SHORT_LEN + 3) + 1, used = 0;
	image_lower = malloc(cap);
	if (!image_lower) die("malloc", NULL);
	image_lower[0] = 0;
	for (int i = 0; i < depth; i++) {
		snprintf(id, sizeof id, "img%d", i);
		next_short(image_short[i]);
		/* Each layer's lower file lists its parents, nearest first. */
		make_layer_dirs(id, image_short[i], i > 0 ? image_lower : NULL);
		path_of(p, "%s/%s/diff/layer-%d", root, id, i);
		write_file(p, "x");
		char *prev = strdup(image_lower);
		if (!prev) die("strdup", NULL);
		used = (size_t)snprintf(image_lower, cap, "l/%s%s%s", image_short[i], prev[0] ? ":" : "", prev);
		free(prev);
		if (used >= cap) die("lower", id);
	}
}

static void print_array(const char *name, const int64_t *values, int n, int last) {
	printf("\"%s\":[", name);
	for (int i = 0; i < n; i++) printf("%s%lld", i ? "," : "", (long long)values[i]);
	printf("]%s", last ? "" : ",");
}

static int parse_int(const char *s, int min, int max, const char *what) {
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max) {
		fprintf(stderr, "floor: bad %s: %s\n", what, s);
		exit(2);
	}
	return (int)v;
}

int main(int argc, char **argv) {
	if (argc != 5) {
		fprintf(stderr, "usage: floor <dir> <depth> <runs> <warmup>\n");
		return 2;
	}
	depth = parse_int(argv[2], 1, MAX_DEPTH - 1, "depth");
	int runs = parse_int(argv[3], 1, 10000000, "runs");
	int warmup = parse_int(argv[4], 0, 10000000, "warmup");

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	index_off = access("/sys/module/overlay/parameters/index", F_OK) == 0;
	if (mkdir(argv[1], 0700) != 0) die("mkdir", argv[1]);
	if (!realpath(argv[1], root)) die("realpath", argv[1]);
	char p[PATH_MAX];
	path_of(p, "%s/l", root);
	if (mkdir(p, 0700) != 0) die("mkdir", p);
	prepare_chain();

	int64_t *create = calloc((size_t)runs, sizeof *create);
	int64_t *mountt = calloc((size_t)runs, sizeof *mountt);
	int64_t *unmount = calloc((size_t)runs, sizeof *unmount);
	if (!create || !mountt || !unmount) die("calloc", NULL);

	for (int r = 0; r < warmup + runs; r++) {
		if (stop_requested) {
			fprintf(stderr, "floor: interrupted\n");
			cleanup();
			return 130;
		}
		char id[32], init_id[40], init_short[SHORT_LEN + 1], rw_short[SHORT_LEN + 1];
		char *rw_lower = NULL;
		snprintf(id, sizeof id, "c%d", r);
		snprintf(init_id, sizeof init_id, "%s-init", id);

		int64_t t0 = now_ns();
		phase_create(id, init_id, init_short, rw_short, &rw_lower);
		int64_t t1 = now_ns();
		phase_mount(id, init_id);
		int64_t t2 = now_ns();
		phase_unmount(id);
		int64_t t3 = now_ns();

		remove_layer(id, rw_short);
		remove_layer(init_id, init_short);
		free(rw_lower);
		if (r >= warmup) {
			create[r - warmup] = t1 - t0;
			mountt[r - warmup] = t2 - t1;
			unmount[r - warmup] = t3 - t2;
		}
	}

	printf("{\"depth\":%d,\"runs\":%d,", depth, runs);
	print_array("create", create, runs, 0);
	print_array("mount", mountt, runs, 0);
	print_array("unmount", unmount, runs, 1);
	printf("}\n");
	fflush(stdout);
	cleanup();
	return 0;
}
