// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_mdom_bench: the vIOMMU case. A VMM whose guest has a vIOMMU gives
 * each device a container (IOAS) of its own, and every one of them maps
 * the same guest RAM. One process here maps the whole buffer into three
 * containers of one peer, one after the other:
 *
 *   container 1   the edu device (Intel domain)
 *   container 2   the second edu device (Intel domain), if there is one,
 *                 else the mock device
 *   container 3   the mock device (mock domain)
 *
 * and emits, for each container N (var "BACKING N"):
 *
 *   vmap          its MAP_DMA of the whole buffer
 *   mem_viommu    the kernel memory that map added (unreclaimable slab
 *                 and IOMMU page tables; count = the buffer's bytes)
 *   vunmap        its UNMAP_DMA, the containers unmapped 1, 2, 3 while the
 *                 later ones still hold the pages
 *   vclose        closing it (devices and container), the buffer mapped
 *                 again in all three first, closed 1, 2, 3
 *
 * vfio-mdom charges the pages once for all three and, once a second
 * container pins them, holds one pin per page in an index of page frame
 * runs; type1 pins and charges each container's pages again; iommufd
 * charges per IOAS (not at all for a caller with CAP_IPC_LOCK).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define VIOMMU_CONTAINERS	3

/* Another edu on vfio-pci than @first, or -ENODEV */

static void emit_n(const struct bench_cfg *cfg, const char *op,
		   const struct buf *b, int n, enum peer_kind kind, __u64 ns,
		   __u64 count)
{
	char var[32];

	snprintf(var, sizeof(var), "%s %d", backing_name(b->bk), n + 1);
	emit(cfg, op, var, peer_name(kind), ns, count);
}

static int open_all(struct ctx *c, enum peer_kind kind,
		    const struct bench_dev **devs)
{
	int i, ret;

	for (i = 0; i < VIOMMU_CONTAINERS; i++) {
		ret = ctx_open(&c[i], kind, devs[i]);
		if (ret) {
			while (i--)
				ctx_close(&c[i]);
			return ret;
		}
	}
	return 0;
}

static int close_all(struct ctx *c)
{
	int i, ret = 0;

	for (i = 0; i < VIOMMU_CONTAINERS; i++)
		if (c[i].fd >= 0)
			ret = ctx_close(&c[i]) ?: ret;
	return ret;
}

int op_viommu(const struct bench_cfg *cfg, enum peer_kind kind, struct buf *b)
{
	static struct bench_dev edu2;
	static int have_edu2;
	const struct bench_dev *devs[VIOMMU_CONTAINERS];
	struct ctx c[VIOMMU_CONTAINERS];
	long kb0, kb1;
	__u64 t0, t1;
	int i, ret;

	if (!have_edu2)
		have_edu2 = find_edu(NULL, cfg->edu->name, &edu2) ? -1 : 1;
	devs[0] = cfg->edu;
	devs[1] = have_edu2 > 0 ? &edu2 : cfg->mock;
	devs[2] = cfg->mock;

	ret = open_all(c, kind, devs);
	if (ret)
		return ret;
	for (i = 0; i < VIOMMU_CONTAINERS; i++) {
		kb0 = kernel_mem_kb();
		t0 = now_ns();
		ret = ctx_map(&c[i], b->va, BENCH_IOVA_BASE, b->size);
		t1 = now_ns();
		if (ret)
			goto out;
		kb1 = kernel_mem_kb();
		emit_n(cfg, "vmap", b, i, kind, t1 - t0, b->size);
		if (kb0 >= 0 && kb1 >= kb0)
			emit_n(cfg, "mem_viommu", b, i, kind,
			       (kb1 - kb0) * 1024, b->size);
	}
	for (i = 0; i < VIOMMU_CONTAINERS; i++) {
		t0 = now_ns();
		ret = ctx_unmap(&c[i], BENCH_IOVA_BASE, b->size);
		t1 = now_ns();
		if (ret)
			goto out;
		emit_n(cfg, "vunmap", b, i, kind, t1 - t0, b->size);
	}
	for (i = 0; i < VIOMMU_CONTAINERS; i++) {
		ret = ctx_map(&c[i], b->va, BENCH_IOVA_BASE, b->size);
		if (ret)
			goto out;
	}
	for (i = 0; i < VIOMMU_CONTAINERS; i++) {
		t0 = now_ns();
		ret = ctx_close(&c[i]);
		t1 = now_ns();
		c[i].fd = -1;
		if (ret)
			goto out;
		emit_n(cfg, "vclose", b, i, kind, t1 - t0, b->size);
	}
	return 0;
out:
	return close_all(c) ?: ret;
}
