// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_mdom_bench: the measured operations.
 *
 * Each builds its own container (IOAS) of one peer, times only the step it
 * is named after with CLOCK_MONOTONIC around the ioctl(s), tears the
 * container down again untimed and emits one sample per timed step:
 *
 *   map, unmap          one MAP_DMA / UNMAP_DMA of the whole buffer, edu
 *                       (Intel domain) attached
 *   pin, unpin,         the pin floor: gup_test on the same buffer
 *   pinfast, unpinfast  (kernel-side times), slow and fast GUP
 *   replay_mock,        a group (device) that needs a new domain attached
 *   replay_intel        while the whole buffer is mapped: the mock device
 *                       into an edu container, or the edu into a mock one
 *   map4k, unmap4k      COUNT maps of 4 KiB, one call each, then COUNT
 *                       unmaps, repeated to make at least 64K calls of each;
 *                       sample = all calls, count = calls made
 *   mem4k               the kernel memory (unreclaimable slab and IOMMU page
 *                       tables) COUNT 4 KiB mappings cost: sample = bytes,
 *                       count = COUNT
 *   threads_map,        the buffer mapped (then unmapped) in 1 MiB calls by
 *   threads_unmap       T threads on disjoint ranges of one container;
 *                       count = bytes
 *   unmap_all, close    with COUNT 4 KiB mappings: one UNMAP_ALL, or closing
 *                       the devices and the container
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <mm/gup_test.h>

#include "bench.h"

#define GUP_TEST_PATH		"/sys/kernel/debug/gup_test"
/* include/linux/mm_types.h: enum gup_flags */
#define BENCH_FOLL_WRITE	0x01
#define BENCH_FOLL_LONGTERM	0x100
/*
 * Pages per pin call: one page of page pointers, the batch type1
 * (vfio_batch) and iommufd (pfn_reader_user) pin with
 */
#define GUP_BATCH		(PG / sizeof(void *))
#define THREAD_CHUNK		SZ_1M
#define MAX_THREADS		64
/* Limit for the runs with many mappings: above any count they use */
#define MANY_ENTRIES		0x1000000UL

/*
 * Kernel memory that mappings cost, in kB: unreclaimable slab (the
 * mapping structures) plus the IOMMU page tables (SecPageTables), from
 * /proc/meminfo; -1 if it cannot be read.
 */
long kernel_mem_kb(void)
{
	char line[128];
	long kb = 0, v;
	int found = 0;
	FILE *f;

	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "SUnreclaim: %ld kB", &v) == 1 ||
		    sscanf(line, "SecPageTables: %ld kB", &v) == 1) {
			kb += v;
			found++;
		}
	}
	fclose(f);
	return found == 2 ? kb : -1;
}

void emit(const struct bench_cfg *cfg, const char *op, const char *var,
	  const char *peer, __u64 ns, __u64 count)
{
	fprintf(cfg->out, "%d,%s,%s,%s,%llu,%llu\n", cfg->round, op, var,
		peer, (unsigned long long)ns, (unsigned long long)count);
	fflush(cfg->out);
}

int op_large(const struct bench_cfg *cfg, enum peer_kind kind, struct buf *b)
{
	const char *bk = backing_name(b->bk);
	__u64 t0, t1, t2;
	struct ctx c;
	int ret;

	ret = ctx_open(&c, kind, cfg->edu);
	if (ret)
		return ret;
	t0 = now_ns();
	ret = ctx_map(&c, b->va, BENCH_IOVA_BASE, b->size);
	t1 = now_ns();
	if (ret)
		goto out;
	ret = ctx_unmap(&c, BENCH_IOVA_BASE, b->size);
	t2 = now_ns();
	if (ret)
		goto out;
	emit(cfg, "map", bk, peer_name(kind), t1 - t0, b->size);
	emit(cfg, "unmap", bk, peer_name(kind), t2 - t1, b->size);
out:
	return ctx_close(&c) ?: ret;
}

static int gup_bench(int fd, unsigned int cmd, unsigned int flags,
		     const char *name, const char *unname,
		     const struct bench_cfg *cfg, struct buf *b)
{
	struct gup_test g = {
		.addr = (uintptr_t)b->va,
		.size = b->size,
		.nr_pages_per_call = GUP_BATCH,
		.gup_flags = flags,
	};

	if (ioctl(fd, cmd, &g)) {
		pr_err("gup_test %s: %s\n", name, strerror(errno));
		return -errno;
	}
	if (g.size != b->size) {
		pr_err("gup_test %s pinned %llu bytes of %zu\n", name,
		       (unsigned long long)g.size, b->size);
		return -EIO;
	}
	emit(cfg, name, backing_name(b->bk), "gup", g.get_delta_usec * 1000,
	     b->size);
	emit(cfg, unname, backing_name(b->bk), "gup", g.put_delta_usec * 1000,
	     b->size);
	return 0;
}

/*
 * The pin floor: what pinning and unpinning the same pages costs alone,
 * timed by gup_test in the kernel, GUP_BATCH pages per call. "pin" is PIN_LONGTERM_BENCHMARK
 * (pin_user_pages(FOLL_LONGTERM) under the mmap lock, as type1 pins);
 * "pinfast" is PIN_FAST_BENCHMARK with FOLL_LONGTERM
 * (pin_user_pages_fast(), as iommufd pins the caller's own memory).
 */
int op_pin_floor(const struct bench_cfg *cfg, struct buf *b)
{
	int fd, ret;

	fd = open(GUP_TEST_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		pr_err("%s: %s (CONFIG_GUP_TEST, debugfs)\n", GUP_TEST_PATH,
		       strerror(errno));
		return -errno;
	}
	ret = gup_bench(fd, PIN_LONGTERM_BENCHMARK, BENCH_FOLL_WRITE, "pin",
			"unpin", cfg, b);
	if (!ret)
		ret = gup_bench(fd, PIN_FAST_BENCHMARK,
				BENCH_FOLL_WRITE | BENCH_FOLL_LONGTERM,
				"pinfast", "unpinfast", cfg, b);
	close(fd);
	return ret;
}

int op_replay(const struct bench_cfg *cfg, enum peer_kind kind, struct buf *b,
	      bool into_mock)
{
	const struct bench_dev *first = into_mock ? cfg->edu : cfg->mock;
	const struct bench_dev *next = into_mock ? cfg->mock : cfg->edu;
	__u64 t0, t1;
	struct ctx c;
	int ret, n;

	ret = ctx_open(&c, kind, first);
	if (ret)
		return ret;
	ret = ctx_map(&c, b->va, BENCH_IOVA_BASE, b->size);
	if (!ret)
		ret = ctx_add_dev(&c, next);
	if (ret)
		goto out;
	t0 = now_ns();
	ret = ctx_attach_dev(&c, 1);
	t1 = now_ns();
	if (ret)
		goto out;
	/* vfio-mdom says how many domains it holds: it must be two now */
	n = ctx_num_domains(&c);
	if (n != -ENOTTY && n != 2) {
		pr_err("replay: %s container holds %d domains, want 2\n",
		       peer_name(kind), n);
		ret = -EPROTO;
		goto out;
	}
	emit(cfg, into_mock ? "replay_mock" : "replay_intel",
	     backing_name(b->bk), peer_name(kind), t1 - t0, b->size);
out:
	return ctx_close(&c) ?: ret;
}

/*
 * The @i-th of @count IOVA slots in the order @step gives: IOVA order for
 * ORDER_IOVA, a scattered one for a large prime (multiplying by a prime
 * none of the counts is a multiple of permutes the slots).
 */
#define ORDER_IOVA	1UL
#define SCATTER_MAP	2654435761UL
#define SCATTER_UNMAP	998244353UL

static unsigned long slot_at(unsigned long i, unsigned long count,
			     unsigned long step)
{
	return (unsigned long)(((__u64)i * step) % count);
}

/*
 * @count 4 KiB mappings at the IOVA slots in @step's order, cycling
 * through @b's pages
 */
static int map_many_in(struct ctx *c, struct buf *b, unsigned long count,
		       unsigned long step)
{
	unsigned long i, j, npages = b->size / PG;
	int ret;

	for (i = 0; i < count; i++) {
		j = slot_at(i, count, step);
		ret = ctx_map(c, b->va + (j % npages) * PG,
			      BENCH_IOVA_BASE + j * PG, PG);
		if (ret)
			return ret;
	}
	return 0;
}

/* @count 4 KiB mappings at consecutive IOVAs, cycling through @b's pages */
static int map_many(struct ctx *c, struct buf *b, unsigned long count)
{
	return map_many_in(c, b, count, ORDER_IOVA);
}

/* Unmap the @count mappings of map_many_in(), in @step's order */
static int unmap_many_in(struct ctx *c, unsigned long count,
			 unsigned long step)
{
	unsigned long i;
	int ret;

	for (i = 0; i < count; i++) {
		ret = ctx_unmap(c, BENCH_IOVA_BASE +
				   slot_at(i, count, step) * PG, PG);
		if (ret)
			return ret;
	}
	return 0;
}

static int open_many(struct ctx *c, const struct bench_cfg *cfg,
		     enum peer_kind kind)
{
	int ret;

	ret = set_entry_limit(MANY_ENTRIES);
	if (!ret)
		ret = ctx_open(c, kind, cfg->edu);
	return restore_entry_limit() ?: ret;
}

/* A container of @kind holding @count 4 KiB mappings of @b */
static int open_mapped(struct ctx *c, const struct bench_cfg *cfg,
		       enum peer_kind kind, struct buf *b, unsigned long count)
{
	int ret;

	ret = open_many(c, cfg, kind);
	if (ret)
		return ret;
	ret = map_many(c, b, count);
	if (ret)
		return ctx_close(c) ?: ret;
	return 0;
}

/*
 * Per-call cost of 4 KiB maps and unmaps while the container holds up to
 * @count mappings: map @count, unmap them, as many passes as it takes to
 * make at least SMALL_MIN_CALLS calls of each, so that a small @count is
 * not one short, noisy pass dominated by a fresh container's first calls.
 * In IOVA order (map4k, unmap4k), then again in a scattered order
 * (map4k_scat, unmap4k_scat): each call lands anywhere in the container's
 * tree instead of at one end of it.
 */
#define SMALL_MIN_CALLS	65536

int op_small(const struct bench_cfg *cfg, enum peer_kind kind, struct buf *b,
	     unsigned long count)
{
	unsigned long pass, passes;
	__u64 t0, map_ns = 0, unmap_ns = 0, smap_ns = 0, sunmap_ns = 0;
	char var[32];
	struct ctx c;
	int ret;

	passes = count < SMALL_MIN_CALLS ? SMALL_MIN_CALLS / count : 1;
	snprintf(var, sizeof(var), "%lu", count);
	ret = open_many(&c, cfg, kind);
	if (ret)
		return ret;
	for (pass = 0; pass < passes; pass++) {
		long kb0 = pass ? 0 : kernel_mem_kb(), kb1;

		t0 = now_ns();
		ret = map_many(&c, b, count);
		map_ns += now_ns() - t0;
		if (ret)
			goto out;
		/* The first pass: what @count mappings cost in memory. */
		kb1 = pass ? -1 : kernel_mem_kb();
		if (kb0 >= 0 && kb1 >= kb0)
			emit(cfg, "mem4k", var, peer_name(kind),
			     (kb1 - kb0) * 1024, count);
		t0 = now_ns();
		ret = unmap_many_in(&c, count, ORDER_IOVA);
		unmap_ns += now_ns() - t0;
		if (ret)
			goto out;
	}
	emit(cfg, "map4k", var, peer_name(kind), map_ns, count * passes);
	emit(cfg, "unmap4k", var, peer_name(kind), unmap_ns, count * passes);
	for (pass = 0; pass < passes; pass++) {
		t0 = now_ns();
		ret = map_many_in(&c, b, count, SCATTER_MAP);
		smap_ns += now_ns() - t0;
		if (ret)
			goto out;
		t0 = now_ns();
		ret = unmap_many_in(&c, count, SCATTER_UNMAP);
		sunmap_ns += now_ns() - t0;
		if (ret)
			goto out;
	}
	emit(cfg, "map4k_scat", var, peer_name(kind), smap_ns,
	     count * passes);
	emit(cfg, "unmap4k_scat", var, peer_name(kind), sunmap_ns,
	     count * passes);
out:
	return ctx_close(&c) ?: ret;
}

struct thread_arg {
	pthread_t tid;
	struct ctx *c;
	pthread_barrier_t *start;
	char *va;
	__u64 iova;
	size_t len;
	bool unmap;
	int ret;
	__u64 t0, t1;
};

static void *thread_fn(void *p)
{
	struct thread_arg *a = p;
	size_t off;

	pthread_barrier_wait(a->start);
	a->t0 = now_ns();
	for (off = 0; off < a->len && !a->ret; off += THREAD_CHUNK) {
		if (a->unmap)
			a->ret = ctx_unmap(a->c, a->iova + off, THREAD_CHUNK);
		else
			a->ret = ctx_map(a->c, a->va + off, a->iova + off,
					 THREAD_CHUNK);
	}
	a->t1 = now_ns();
	return NULL;
}

/*
 * Run one phase on @n threads; returns its wall time in ns, from the first
 * thread starting to the last one done (each reads the clock itself: the
 * main thread may not run again before they finish), or -errno.
 */
static __s64 run_threads(struct thread_arg *args, int n, bool unmap)
{
	pthread_barrier_t start;
	__u64 t0 = UINT64_MAX, t1 = 0;
	int i, ret = 0;

	pthread_barrier_init(&start, NULL, n);
	for (i = 0; i < n; i++) {
		args[i].start = &start;
		args[i].unmap = unmap;
		args[i].ret = 0;
		ret = -pthread_create(&args[i].tid, NULL, thread_fn, &args[i]);
		if (ret) {
			/* Cannot happen with n <= MAX_THREADS; do not hang */
			pr_err("pthread_create: %s\n", strerror(-ret));
			exit(1);
		}
	}
	for (i = 0; i < n; i++)
		pthread_join(args[i].tid, NULL);
	pthread_barrier_destroy(&start);
	for (i = 0; i < n; i++) {
		if (args[i].ret)
			return args[i].ret;
		t0 = args[i].t0 < t0 ? args[i].t0 : t0;
		t1 = args[i].t1 > t1 ? args[i].t1 : t1;
	}
	return t1 - t0;
}

int op_threads(const struct bench_cfg *cfg, enum peer_kind kind, struct buf *b,
	       int nthreads)
{
	struct thread_arg args[MAX_THREADS];
	size_t slice = (b->size / nthreads) & ~(THREAD_CHUNK - 1);
	__s64 tmap, tunmap;
	char var[16];
	struct ctx c;
	int i, ret;

	if (nthreads < 1 || nthreads > MAX_THREADS || !slice)
		return -EINVAL;
	ret = ctx_open(&c, kind, cfg->edu);
	if (ret)
		return ret;
	memset(args, 0, sizeof(args));
	for (i = 0; i < nthreads; i++) {
		args[i].c = &c;
		args[i].va = b->va + i * slice;
		args[i].iova = BENCH_IOVA_BASE + i * slice;
		args[i].len = slice;
	}
	tmap = run_threads(args, nthreads, false);
	if (tmap < 0) {
		ret = tmap;
		goto out;
	}
	tunmap = run_threads(args, nthreads, true);
	if (tunmap < 0) {
		ret = tunmap;
		goto out;
	}
	snprintf(var, sizeof(var), "%d", nthreads);
	emit(cfg, "threads_map", var, peer_name(kind), tmap, slice * nthreads);
	emit(cfg, "threads_unmap", var, peer_name(kind), tunmap,
	     slice * nthreads);
out:
	/* Every thread has been joined: no ioctl runs while the group leaves */
	return ctx_close(&c) ?: ret;
}

int op_teardown(const struct bench_cfg *cfg, enum peer_kind kind, struct buf *b,
		unsigned long count)
{
	__u64 t0, t1;
	char var[32];
	struct ctx c;
	int ret;

	snprintf(var, sizeof(var), "%lu", count);
	ret = open_mapped(&c, cfg, kind, b, count);
	if (ret)
		return ret;
	t0 = now_ns();
	ret = ctx_unmap_all(&c);
	t1 = now_ns();
	if (ret)
		goto out;
	emit(cfg, "unmap_all", var, peer_name(kind), t1 - t0, count);
	ret = ctx_close(&c);
	if (ret)
		return ret;

	ret = open_mapped(&c, cfg, kind, b, count);
	if (ret)
		return ret;
	t0 = now_ns();
	ret = ctx_close(&c);
	t1 = now_ns();
	if (ret)
		return ret;
	emit(cfg, "close", var, peer_name(kind), t1 - t0, count);
	return 0;
out:
	return ctx_close(&c) ?: ret;
}
