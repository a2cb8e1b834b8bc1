/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio_mdom_bench: the same DMA mapping work done through vfio-mdom, the
 * kernel's vfio_iommu_type1 and iommufd, on the same device and domain
 * type, interleaved round by round. See Documentation/performance.rst.
 *
 * Every function returns 0 (or a count) on success and a negative errno on
 * failure, after printing what failed on stderr. A failed operation ends
 * the run: a benchmark that skipped a measurement would compare nothing.
 * Devices, files, parameters and the VFIO ioctls come from libvfio_mdom
 * (tools/lib).
 */
#ifndef VFIO_MDOM_BENCH_H
#define VFIO_MDOM_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <linux/types.h>

#include <libvfio_mdom.h>
/* Every IOVA the benchmark maps lies at or above 4 GiB, clear of the MSI window */
#define BENCH_IOVA_BASE		0x100000000ULL

#define pr_err(fmt, ...)	fprintf(stderr, "bench: " fmt, ##__VA_ARGS__)

/* The two devices every peer works on (main.c) */

/**
 * struct bench_dev - a device bound to VFIO
 * @name: PCI address or mock device name
 * @group: N of /dev/vfio/N
 * @cdev: N of /dev/vfio/devices/vfioN
 */
struct bench_dev {
	char name[64];
	int group;
	int cdev;
};

/* peer.c: one container (VFIO) or IOAS (iommufd) */

enum peer_kind {
	PEER_MDOM,
	PEER_TYPE1,
	PEER_IOMMUFD,
	NR_PEERS,
};

#define CTX_MAX_DEVS	2

/**
 * struct ctx - a container of one peer with the devices attached to it
 * @kind: which peer serves it
 * @fd: the /dev/vfio/vfio container, or the /dev/iommu iommufd
 * @ioas: the IOAS (iommufd only)
 * @ndevs: devices opened
 * @dev_fd: their /dev/vfio/N group fds (VFIO) or cdev fds (iommufd)
 */
struct ctx {
	enum peer_kind kind;
	int fd;
	__u32 ioas;
	int ndevs;
	int dev_fd[CTX_MAX_DEVS];
};

const char *peer_name(enum peer_kind kind);
int peer_from_name(const char *name);
int set_entry_limit(unsigned long limit);
int restore_entry_limit(void);
int vfio_select_backend(enum peer_kind kind);
int ctx_open(struct ctx *c, enum peer_kind kind, const struct bench_dev *dev);
int ctx_add_dev(struct ctx *c, const struct bench_dev *dev);
int ctx_attach_dev(struct ctx *c, int idx);
int ctx_map(struct ctx *c, void *va, __u64 iova, __u64 size);
int ctx_unmap(struct ctx *c, __u64 iova, __u64 size);
int ctx_unmap_all(struct ctx *c);
int ctx_num_domains(struct ctx *c);
int ctx_close(struct ctx *c);

/* mem.c: the memory the peers map */

enum backing {
	BK_ANON,
	BK_THP,
	BK_HUGETLB,
	BK_MEMFD,
	NR_BACKINGS,
};

/**
 * struct buf - a prefaulted buffer
 * @bk: its backing
 * @va: first byte; @size bytes, 2 MiB aligned
 * @size: bytes
 * @map_base: what mmap() returned (before alignment)
 * @map_len: its length
 * @memfd: the memfd (BK_MEMFD), else -1
 */
struct buf {
	enum backing bk;
	char *va;
	size_t size;
	void *map_base;
	size_t map_len;
	int memfd;
};

const char *backing_name(enum backing bk);
int backing_from_name(const char *name);
int buf_alloc(struct buf *b, enum backing bk, size_t size);
int buf_check(struct buf *b);
void buf_free(struct buf *b);

/* ops.c: the measured operations; each emits its samples */

/**
 * struct bench_cfg - what every operation needs
 * @out: where samples go, one CSV line each
 * @round: the round being run, from 1
 * @edu: the edu device (Intel domains)
 * @mock: the mock device (mock domains)
 */
struct bench_cfg {
	FILE *out;
	int round;
	const struct bench_dev *edu;
	const struct bench_dev *mock;
};

void emit(const struct bench_cfg *cfg, const char *op, const char *var,
	  const char *peer, __u64 ns, __u64 count);
int op_large(const struct bench_cfg *cfg, enum peer_kind kind, struct buf *b);
int op_pin_floor(const struct bench_cfg *cfg, struct buf *b);
int op_replay(const struct bench_cfg *cfg, enum peer_kind kind, struct buf *b,
	      bool into_mock);
int op_small(const struct bench_cfg *cfg, enum peer_kind kind, struct buf *b,
	     unsigned long count);
int op_threads(const struct bench_cfg *cfg, enum peer_kind kind, struct buf *b,
	       int nthreads);
int op_teardown(const struct bench_cfg *cfg, enum peer_kind kind, struct buf *b,
		unsigned long count);

/* viommu.c: one process, three containers, the same memory */
int op_viommu(const struct bench_cfg *cfg, enum peer_kind kind, struct buf *b);
int find_edu(const char *bdf, const char *skip, struct bench_dev *dev);
long kernel_mem_kb(void);

/* nvme.c: qemu-img bench on the NVMe disk through QEMU's nvme:// driver */
int op_nvme(const struct bench_cfg *cfg, enum peer_kind kind);

/* extmem.c: DPDK maps, sends from and unmaps external memory in a loop */
int op_extmem(const struct bench_cfg *cfg, enum peer_kind kind);

/* bigmap.c: one 2 GiB map, one thread or vfio-mdom's parallel_pin */
int op_bigmap(const struct bench_cfg *cfg, enum peer_kind kind,
	      const struct buf *memfd);

#endif /* VFIO_MDOM_BENCH_H */
