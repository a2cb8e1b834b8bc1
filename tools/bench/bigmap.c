// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_mdom_bench: one map of 2 GiB, the start of a big VM, pinned by one
 * thread or (vfio-mdom's parallel_pin) on every CPU of the caller.
 *
 * The guest cannot hold 2 GiB more next to the other buffers: the 2 GiB
 * of address space are the memfd buffer mapped again and again
 * (MAP_SHARED | MAP_FIXED, one copy after the other, the last one cut
 * short), made once and touched page by page before the first round, so
 * that every page is resident and mapped. A page is then pinned once per
 * copy, as many pins as 2 GiB of distinct pages take. One MAP_DMA of all
 * of it with the edu attached (Intel domain) is timed, the unmap is not.
 *
 *   bigmap "1 thread"   vfio-mdom with parallel_pin=N, type1, iommufd
 *   bigmap "parallel"   vfio-mdom with parallel_pin=Y (its CPUs: all)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"

#define BIGMAP_SIZE		(2048 * SZ_1M)

static char *bigmap_va;

/* The memfd buffer @b mapped again and again over BIGMAP_SIZE bytes */
static int bigmap_alias(const struct buf *b)
{
	off_t off = b->va - (char *)b->map_base;
	size_t done, len;
	char *base;
	void *p;

	base = mmap(NULL, BIGMAP_SIZE + SZ_2M, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	base = (char *)(((uintptr_t)base + SZ_2M - 1) & ~(uintptr_t)(SZ_2M - 1));
	for (done = 0; done < BIGMAP_SIZE; done += len) {
		len = b->size < BIGMAP_SIZE - done ? b->size :
						     BIGMAP_SIZE - done;
		p = mmap(base + done, len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, b->memfd, off);
		if (p == MAP_FAILED) {
			pr_err("bigmap: mmap of the memfd: %s\n",
			       strerror(errno));
			return -errno;
		}
	}
	/*
	 * Every page table entry there before the clock starts: an atomic
	 * load and store, which the compiler may not drop as it did a plain
	 * base[i] = base[i] (the first round then timed the page faults).
	 */
	for (done = 0; done < BIGMAP_SIZE; done += SZ_4K)
		__atomic_store_n(&base[done],
				 __atomic_load_n(&base[done], __ATOMIC_RELAXED),
				 __ATOMIC_RELAXED);
	bigmap_va = base;
	return 0;
}

static int bigmap_once(const struct bench_cfg *cfg, enum peer_kind kind,
		       bool parallel)
{
	__u64 t0, t1;
	struct ctx c;
	int ret;

	if (kind == PEER_MDOM) {
		ret = param_set_bool(MDOM_MOD, "parallel_pin", parallel);
		if (ret) {
			pr_err("vfio_mdom's parallel_pin: %s\n",
			       strerror(-ret));
			return ret;
		}
	}
	ret = ctx_open(&c, kind, cfg->edu);
	if (ret)
		return ret;
	t0 = now_ns();
	ret = ctx_map(&c, bigmap_va, BENCH_IOVA_BASE, BIGMAP_SIZE);
	t1 = now_ns();
	if (!ret)
		ret = ctx_unmap(&c, BENCH_IOVA_BASE, BIGMAP_SIZE);
	if (!ret)
		emit(cfg, "bigmap", parallel ? "parallel" : "1 thread",
		     peer_name(kind), t1 - t0, BIGMAP_SIZE);
	ret = ctx_close(&c) ?: ret;
	if (kind == PEER_MDOM && parallel)
		param_set_bool(MDOM_MOD, "parallel_pin", false);
	return ret;
}

int op_bigmap(const struct bench_cfg *cfg, enum peer_kind kind,
	      const struct buf *memfd)
{
	int ret;

	if (!bigmap_va) {
		ret = bigmap_alias(memfd);
		if (ret)
			return ret;
	}
	if (kind != PEER_MDOM)
		return bigmap_once(cfg, kind, false);
	/* Which goes first alternates from one round to the next */
	ret = bigmap_once(cfg, kind, cfg->round % 2);
	return ret ?: bigmap_once(cfg, kind, !(cfg->round % 2));
}
