/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvfio_mdom: files, sysfs links, module parameters,
 * the memory a process has pinned and locked, capabilities and passing
 * fds between processes.
 *
 * Shared by the selftests and tools/demo: nothing here needs the harness.
 * Functions return 0 (or a count) on success and a negative errno on
 * failure; none asserts.
 */
#ifndef _LIBVFIO_MDOM_SYS_H
#define _LIBVFIO_MDOM_SYS_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <linux/capability.h>

#define SZ_4K			0x1000ULL
#define SZ_64K			0x10000ULL
#define SZ_1M			0x100000ULL
#define SZ_2M			0x200000ULL
#define SZ_1G			0x40000000ULL

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif

/* For printing a u64 with %llx */
#define ULL(x)			((unsigned long long)(x))

/* The page size the tests map with (x86: the only one) */
#define PG			SZ_4K

long page_size(void);

/* CLOCK_MONOTONIC in milliseconds */
uint64_t now_ms(void);

/* CLOCK_MONOTONIC in nanoseconds */
uint64_t now_ns(void);

/*
 * The test pattern: byte @off of the pattern of @seed (1 to 7). Never 0,
 * never equal to another seed's byte at the same offset (a byte tells
 * which buffer it came from), and not the same from one page to the next.
 */
uint8_t pattern_byte(uint8_t seed, size_t off);

/* Fill @len bytes at @p with the pattern of @seed. */
void pattern_fill(void *p, size_t len, uint8_t seed);

/* The first offset of @p that does not hold @seed's pattern, or -1 */
long pattern_mismatch(const void *p, size_t len, uint8_t seed);

/* Copy @src into @dst of @size bytes, truncated, always terminated. */
void str_copy(char *dst, const char *src, size_t size);

/*
 * The whole file @path into @buf (@size bytes), NUL-terminated. Returns
 * its length, -E2BIG if it does not fit, or another negative errno.
 */
ssize_t read_file(const char *path, char *buf, size_t size);

/* Write the string @val to @path in one write(). */
int write_file(const char *path, const char *val);

/* The first line of @path, without its newline. */
int read_line(const char *path, char *buf, size_t size);

/* The last component of the target of symlink @path, into @buf. */
int read_link_name(const char *path, char *buf, size_t size);

/* The IOMMU group number N (/dev/vfio/N) of the sysfs device @devdir. */
int sysfs_iommu_group(const char *devdir);

/*
 * The VFIO device cdev number N (/dev/vfio/devices/vfioN) of the sysfs
 * device @devdir: -ENOENT if it has none (no CONFIG_VFIO_DEVICE_CDEV).
 */
int sysfs_vfio_cdev(const char *devdir);

/* ---- "KEY VALUE KEY VALUE" lines (debugfs) -------------------------------- */

/*
 * The debugfs files of vfio-mdom and of the mock IOMMU are lines of
 * space-separated KEY VALUE pairs, numbers decimal unless 0x-prefixed.
 * These find KEY as a whole word in @line (the first word of the line
 * counts too) and parse the word after it.
 */
const char *kv_find(const char *line, const char *key);

bool kv_u64(const char *line, const char *key, uint64_t *val);

/* A range "0xS-0xE". */
bool kv_range(const char *line, const char *key,
	      uint64_t *start, uint64_t *end);

/* The word after KEY, into @buf. */
bool kv_str(const char *line, const char *key, char *buf, size_t size);

/* A comma-separated list of numbers "A,B,C" after KEY, into @out. */
int kv_list(const char *line, const char *key, int *out, int max);

/*
 * Cut @text into lines in place: next_line(line) NUL-terminates @line and
 * returns the line after it (the final "" at the end):
 *	for (line = text; *line; line = next) { next = next_line(line); ... }
 */
char *next_line(char *line);

/* ---- module parameters --------------------------------------------------- */

#define PARAM_DIR(mod)		"/sys/module/" mod "/parameters/"

int param_path(char *path, size_t size, const char *mod, const char *name);

/* Module parameter @mod.@name as a string ("Y", "65535"). */
int param_get(const char *mod, const char *name, char *buf, size_t size);

int param_set(const char *mod, const char *name, const char *val);

/* A boolean parameter: 1, 0, or a negative errno. */
int param_get_bool(const char *mod, const char *name);

int param_set_bool(const char *mod, const char *name, bool on);

/*
 * Saved values of module parameters, to put back what a test changed:
 * param_save() before the first change, params_restore() at the end.
 */
#define PARAM_SAVE_MAX		8

struct param_saved {
	char mod[32];
	char name[40];
	char val[32];
};

struct params {
	unsigned int n;
	struct param_saved p[PARAM_SAVE_MAX];
};

/* Remember @mod.@name (once) so that params_restore() resets it. */
int param_save(struct params *ps, const char *mod, const char *name);

/* param_save(), then param_set(). */
int param_change(struct params *ps, const char *mod,
		 const char *name, const char *val);

/* Put every saved parameter back, last saved first. */
int params_restore(struct params *ps);

/* ---- pinned and locked memory -------------------------------------------- */

/*
 * The "VmLck:" line of /proc/@pid/status (0: this process), in KiB: the
 * process's locked_vm, which pinning for DMA is charged to.
 */
long vmlck_kb_of(pid_t pid);

long vmlck_kb(void);

/* A counter of /proc/vmstat, or -1. */
long long vmstat_counter(const char *name);

/*
 * Pages pinned with FOLL_PIN (pin_user_pages*()) in the whole system and
 * not released yet: nr_foll_pin_acquired - nr_foll_pin_released. A
 * container that goes away must bring it back where it was. The counters
 * are folded from their per-CPU parts first (vm.stat_refresh, root only):
 * without it /proc/vmstat lags by up to a few pages per CPU.
 */
long long foll_pins(void);

/*
 * foll_pins() once it has come to @want, given a second: the count is
 * system-wide, and the guest's other work (9p I/O) pins pages for an
 * instant now and then.
 */
long long foll_pins_at(long long want);

/* foll_pins() once two readings 50 ms apart agree: a reference point */
long long foll_pins_stable(void);

/* ---- physical addresses (/proc/self/pagemap) ----------------------------- */

/*
 * The physical address of each of the @npages pages from @addr (page
 * aligned) of this process into @phys, UINT64_MAX for a page not present.
 * Needs root (pagemap hides page frame numbers from others).
 */
int pagemap_phys(const void *addr, size_t npages, uint64_t *phys);

/* The physical address of the page at @addr: 0 if it is not present. */
uint64_t pagemap_phys_one(const void *addr);

/* ---- kmemleak ------------------------------------------------------------- */

#define KMEMLEAK_PATH		"/sys/kernel/debug/kmemleak"
/* kmemleak reports an object only once it is this old (jiffies_min_age) */
#define KMEMLEAK_MIN_AGE_S	5

bool kmemleak_available(void);

/*
 * Scan for leaks now (kmemleak scans synchronously on "scan") and read
 * the report into @buf: its length, 0 when there is no leak, or a
 * negative errno (-ENOENT without kmemleak; -E2BIG: a report longer than
 * @buf, so leaks). Objects younger than
 * KMEMLEAK_MIN_AGE_S are not reported yet: sleep first to see them.
 */
ssize_t kmemleak_scan(char *buf, size_t size);

/* ---- capabilities and fd passing ------------------------------------------ */

/*
 * Drop capability @cap from this thread's effective set (a test that
 * must meet RLIMIT_MEMLOCK drops CAP_IPC_LOCK; it stays uid 0, so
 * /dev/vfio/N still opens). The permitted set keeps it.
 */
int cap_drop_effective(unsigned int cap);

/*
 * Start the program @argv (argv[0] its path, NULL-terminated) with its
 * stdin a pipe (*@in, close it for EOF) and its stdout and stderr to the
 * file @log, killed if this process dies: its pid, or -errno.
 */
pid_t spawn(const char *const *argv, const char *log, int *in);

/* Send @fd over the AF_UNIX socket @sock (SCM_RIGHTS). */
int send_fd(int sock, int fd);

/* Receive an fd sent with send_fd(): the new fd, or -errno. */
int recv_fd(int sock);

#endif /* _LIBVFIO_MDOM_SYS_H */
