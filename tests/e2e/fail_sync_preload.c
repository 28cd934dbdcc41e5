/* A disk that stops syncing, for a real hotspotd: loaded with LD_PRELOAD, it makes fsync(2) and
 * fdatasync(2) fail with EIO on files whose path contains $HOTSPOT_FAIL_SYNC_PATHS_WITH while the file
 * $HOTSPOT_FAIL_SYNC_WHEN exists, and hang (until that file is gone) while the file
 * $HOTSPOT_HANG_SYNC_WHEN exists. Other files, and every file while the triggers are absent,
 * sync as usual. Without $HOTSPOT_FAIL_SYNC_PATHS_WITH, the trigger file's first line is the part
 * of the path (so one process can have faults of different files in turn: tests/soak writes
 * "/data/events/", "/data/keys/" or "/data/access/" into it). For tests only (observability_test:
 * health while the event store refuses writes; overload_test: the server's maximum deadline while
 * a sync hangs; soak_test: fault windows). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Whether `fd`'s path contains $HOTSPOT_FAIL_SYNC_PATHS_WITH (or, unset, the first line of the
 * trigger file) while the file named by the variable `trigger` exists. */
static int Triggered(int fd, const char* trigger) {
  const char* part = getenv("HOTSPOT_FAIL_SYNC_PATHS_WITH");
  const char* when = getenv(trigger);
  if (when == NULL || access(when, F_OK) != 0) return 0;
  char from_file[PATH_MAX];
  if (part == NULL) {
    FILE* f = fopen(when, "r");
    if (f == NULL) return 0;
    const int got = fgets(from_file, sizeof from_file, f) != NULL;
    fclose(f);
    if (!got) return 0;
    from_file[strcspn(from_file, "\n")] = '\0';
    if (from_file[0] == '\0') return 0;
    part = from_file;
  }
  char link[64];
  char path[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, path, sizeof path - 1);
  if (n < 0) return 0;
  path[n] = '\0';
  return strstr(path, part) != NULL;
}

typedef int (*SyncFunction)(int);

/* Fails as the trigger says, or calls the C library's `name`. */
static int Sync(int fd, const char* name, SyncFunction* real) {
  if (*real == NULL) *real = (SyncFunction)dlsym(RTLD_NEXT, name);
  while (Triggered(fd, "HOTSPOT_HANG_SYNC_WHEN")) usleep(10 * 1000);
  if (Triggered(fd, "HOTSPOT_FAIL_SYNC_WHEN")) {
    errno = EIO;
    return -1;
  }
  return (*real)(fd);
}

int fsync(int fd) {
  static SyncFunction real = NULL;
  return Sync(fd, "fsync", &real);
}

int fdatasync(int fd) {
  static SyncFunction real = NULL;
  return Sync(fd, "fdatasync", &real);
}
