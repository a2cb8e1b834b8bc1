/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's vfio_iommu_type1 as a test oracle for vfio-mdom.
 *
 * Two "sides" play the same operations in lock step, each on a VFIO
 * container of its own, through the same /dev/vfio/vfio path as any VMM:
 * VFIO_GROUP_SET_CONTAINER, VFIO_SET_IOMMU for the first group (or when
 * the scenario says so), then the type1 ioctls. Which IOMMU driver VFIO
 * gives a container is decided at VFIO_SET_IOMMU (and CHECK_EXTENSION
 * before it polls the drivers): the runner switches vfio-mdom's
 * vfio_backend parameter off before such an operation on side 0, whose
 * containers are then type1's, and on before one on side 1, whose
 * containers are vfio-mdom's; VFIO_MDOM_QUERY (ENOTTY on type1's) checks
 * every container got the driver it should.
 *
 * Each side has its own devices of the same kinds: edu device N behind the
 * Intel vIOMMU and device N of each mock IOMMU instance, N being the side.
 * Both map the same process memory, so the mock domains of the two sides
 * must hold the very same translations (same IOVA, physical address, page
 * size and permissions), which is checked through the mock's debugfs,
 * along with every answer: errno, unmapped size, CHECK_EXTENSION, GET_INFO
 * (flags, iova_pgsizes, IOVA ranges, DMA_AVAIL, the migration capability,
 * how much argsz it needs) and the dirty bitmaps, byte for byte: each side
 * has a bitmap buffer, both filled with the same bytes before an operation
 * that reports dirty pages, and both must hold the same bytes after it.
 *
 * A model of the mappings (what the user mapped and, by type1's rules,
 * unmapped; which user addresses are invalid; whether dirty tracking
 * runs) says what the mock domains must hold, page by page, with the
 * physical address of each page read from /proc/self/pagemap.
 *
 * VFIO_MDOM_TEST_BACKEND=type1 (lib/mdom.c) gives both sides to type1:
 * the oracle against itself, where the answers must all be the same.
 *
 * Differences are classified: none, one of the intended divergences listed
 * in oracle_divergences[] (each documented with its reason in
 * Documentation/type1_divergences.rst), or unexpected, which fails the
 * test. The intended list is the only place where the sides may differ.
 */
#ifndef _LIBVFIO_MDOM_ORACLE_H
#define _LIBVFIO_MDOM_ORACLE_H

#include <stdarg.h>

#include <libvfio_mdom/vfio.h>
#include <libvfio_mdom/mdom.h>
#include <libvfio_mdom/mock.h>
#include <libvfio_mdom/edu.h>

#define ORACLE_PG		4096ULL
#define ORACLE_TYPE1		0
#define ORACLE_MDOM		1
#define ORACLE_SIDES		2

/* The groups of one side: an edu device and one device per mock instance */
#define ORACLE_EDU		0
#define ORACLE_MOCK(inst)	(1 + (inst))
#define ORACLE_NR_MOCK		4
#define ORACLE_NR_GROUPS	(1 + ORACLE_NR_MOCK)

#define ORACLE_MAX_MAPS		4096
#define ORACLE_MAX_RANGES	32

/* Process memory the mappings come from */
#define ORACLE_POOL_SIZE	(8 * SZ_2M)
#define ORACLE_RO_SIZE		(16 * ORACLE_PG)

/* ---- the intended divergences -------------------------------------------- */

enum oracle_div {
	DIV_NONE = -1,
	DIV_EXTENSIONS,
	DIV_UNMAP_TOP_OF_SPACE,
	DIV_UNMAP_ON_DOMAIN_FREE,
	DIV_ATTACH_VADDR_INVALID,
	DIV_DIRTY_IOMMU,
	DIV_DIRTY_STALE_BITS,
	DIV_NR,
	DIV_UNEXPECTED = 1000,
};

struct oracle_divergence {
	const char *name;	/* as in Documentation/type1_divergences.rst */
	const char *what;
};

extern const struct oracle_divergence oracle_divergences[DIV_NR];

/* ---- operations and results ---------------------------------------------- */

enum oracle_op_kind {
	OP_MAP,
	OP_UNMAP,
	OP_GET_INFO,
	OP_CHECK_EXT,
	OP_SET_IOMMU,
	OP_ATTACH,
	OP_DETACH,
	OP_IOCTL,	/* a raw container ioctl: @arg is the command */
	OP_DIRTY,	/* VFIO_IOMMU_DIRTY_PAGES: @flags, @iova, @size, @bm */
};

/* Where a bitmap's data points: an offset into the side's buffer, or */
#define ORACLE_BM_NULL		(-1)	/* 0 */
#define ORACLE_BM_KERNEL	(-2)	/* a kernel address */
/* Each side's bitmap buffer; bitmaps claim no more than ORACLE_BM_BYTES */
#define ORACLE_BM_BYTES		(64 * 1024)
#define ORACLE_BM_ALLOC		(ORACLE_BM_BYTES + 4096)

/* The vfio_bitmap of an operation that reports dirty pages */
struct oracle_bitmap {
	uint64_t pgsize;
	uint64_t size;		/* bytes claimed */
	int off;		/* into the buffer, or ORACLE_BM_NULL/KERNEL */
	uint8_t fill;		/* what the buffers hold before (a seed) */
};

struct oracle_op {
	enum oracle_op_kind kind;
	uint64_t iova;
	uint64_t size;
	uint64_t vaddr;
	uint32_t flags;
	uint32_t argsz;		/* 0: the struct's size */
	bool trailing;		/* non-zero bytes after the struct */
	unsigned long arg;	/* extension, IOMMU type, ioctl command */
	int group;		/* ATTACH, DETACH: ORACLE_EDU, ORACLE_MOCK(i) */
	struct oracle_bitmap bm;	/* GET_BITMAP, GET_DIRTY_BITMAP */
};

struct oracle_info {
	uint32_t argsz;
	uint32_t flags;
	uint64_t pgsizes;
	uint32_t cap_offset;
	bool has_ranges;
	unsigned int nr_ranges;
	struct vfio_iova_range ranges[ORACLE_MAX_RANGES];
	bool has_avail;
	uint32_t avail;
	bool has_migration;
	uint16_t mig_version;
	uint32_t mig_flags;
	uint64_t mig_pgsizes;
	uint64_t mig_max_bitmap;
	bool bad_chain;
};

struct oracle_res {
	int err;		/* 0 or -errno */
	long ret;		/* the ioctl's return value */
	uint64_t size;		/* UNMAP: the size written back */
	struct oracle_info info;
};

/* ---- the two sides ------------------------------------------------------- */

struct oracle_group {
	int number;		/* /dev/vfio/<number> */
	int fd;
	int inst;		/* mock instance, -1 for edu */
	char name[64];		/* mock device name, or "edu" */
	bool attached;
};

/* Which IOMMU driver serves a side's container */
enum oracle_served {
	SERVED_NONE,		/* no VFIO_SET_IOMMU in effect */
	SERVED_TYPE1,
	SERVED_MDOM,
};

struct oracle_side {
	int kind;			/* ORACLE_TYPE1 or ORACLE_MDOM */
	int container;			/* -1 when closed */
	unsigned long type;		/* the scenario's IOMMU type */
	bool iommu_set;			/* VFIO_SET_IOMMU is in effect */
	enum oracle_served served;
	bool auto_set_iommu;		/* SET_IOMMU on the first attach */
	unsigned int nattached;
	struct oracle_group g[ORACLE_NR_GROUPS];
};

struct oracle_map {
	uint64_t iova;
	uint64_t size;
	uint64_t vaddr;		/* where the pages were pinned from */
	uint32_t flags;
	bool invalid;		/* user address invalidated (VADDR) */
};

struct oracle {
	struct oracle_side side[ORACLE_SIDES];
	/* the mappings both sides hold, sorted by IOVA */
	unsigned int nmaps;
	struct oracle_map maps[ORACLE_MAX_MAPS];
	uint64_t mapped_pages;
	/* memory */
	uint8_t *pool_map, *pool;	/* pool: 2 MiB aligned */
	uint8_t *ro;			/* read-only, populated */
	uint8_t *hole;			/* nothing mapped there */
	uint64_t *pfns;			/* pagemap of the pool and ro */
	uint8_t *bm[ORACLE_SIDES];	/* dirty bitmap buffers */
	uint8_t *bm_fill;		/* what they held before the op */
	/* dirty page tracking runs (both sides) */
	bool dirty_on;
	/* vfio_backend as last written: 1, 0, -1 unknown */
	int backend;
	/* VFIO_MDOM_TEST_BACKEND=type1: both sides are type1's */
	bool type1_only;
	/* accounting */
	unsigned long ops;
	unsigned long div_hits[DIV_NR];
	unsigned long checks;
	struct mock_counters mock_start;
	long vmlck_start;
	long long pins_start;
	bool failed;
	char why[1024];
	struct mock_dump dump;
	/* module parameters changed, put back by oracle_fini() */
	struct params params;
};

/* ---- small helpers ------------------------------------------------------- */

/* xorshift64*: the random generator; the seed is printed and replayable */
uint64_t oracle_rand(uint64_t *state);

/* Uniform in [0, n) (n > 0) */
uint64_t oracle_below(uint64_t *state, uint64_t n);

void oracle_fail(struct oracle *o, const char *fmt, ...);

const char *oracle_side_name(int kind);

const char *oracle_op_name(enum oracle_op_kind k);

/* A pool address as "pool+0x..." for the log */
void oracle_vaddr_str(const struct oracle *o, uint64_t vaddr,
		      char *buf, size_t size);

/* Does @op report dirty pages into a bitmap? */
bool oracle_op_bitmap(const struct oracle_op *op);

void oracle_bm_str(const struct oracle_bitmap *bm, char *buf, size_t size);

void oracle_op_str(const struct oracle *o,
		   const struct oracle_op *op, char *buf,
		   size_t size);

void oracle_res_str(const struct oracle_op *op,
		    const struct oracle_res *r, char *buf,
		    size_t size);

/* ---- running one operation on one side ----------------------------------- */

/*
 * Before an operation that makes VFIO choose an IOMMU driver (SET_IOMMU,
 * an attach that sets it) or poll them (CHECK_EXTENSION) on side @s:
 * vfio_backend on for vfio-mdom's side, off for type1's.
 */
void oracle_select_backend(struct oracle *o, const struct oracle_side *s);

/*
 * After a successful VFIO_SET_IOMMU(@type) on side @s: type1's side must
 * be type1's; vfio-mdom's must be vfio-mdom's for the types it implements,
 * type1's for the others (VFIO goes on to the next driver).
 */
void oracle_check_served(struct oracle *o, struct oracle_side *s,
			 unsigned long type);

/*
 * Issue ioctl @cmd on @fd with the @len-byte struct @arg, argsz @argsz (0:
 * @len), optionally followed by non-zero bytes. The struct is copied back.
 */
int oracle_ioctl(int fd, unsigned long cmd, void *arg,
		 size_t len, uint32_t argsz, bool trailing);

void oracle_parse_info(const uint8_t *buf, uint32_t argsz,
		       struct oracle_info *info);

/*
 * Attach group @i: VFIO_GROUP_SET_CONTAINER, then VFIO_SET_IOMMU if this
 * is the container's first group and the scenario sets the IOMMU there,
 * as every VMM does (its -errno is the answer, and the group leaves again
 * on failure).
 */
int oracle_attach(struct oracle *o, struct oracle_side *s, int i);

/* Detach group @i; the last one takes VFIO's IOMMU driver with it. */
int oracle_detach(struct oracle_side *s, int i);

/* The data pointer of @op's bitmap on side @s */
uint64_t oracle_bm_data(struct oracle *o,
			const struct oracle_side *s,
			const struct oracle_op *op);

/* The bytes both bitmap buffers hold before an operation: @seed's */
void oracle_bm_prefill(struct oracle *o, uint8_t seed);

void oracle_exec(struct oracle *o, struct oracle_side *s,
		 const struct oracle_op *op,
		 struct oracle_res *r);

/* ---- the model of the mappings ------------------------------------------- */

/* Index of the first mapping ending at or after @iova */
unsigned int oracle_map_lookup(const struct oracle *o, uint64_t iova);

bool oracle_overlaps(const struct oracle_map *m, uint64_t first, uint64_t last);

void oracle_model_add(struct oracle *o, const struct oracle_op *op);

void oracle_model_del(struct oracle *o, unsigned int i);

/*
 * Apply a successful UNMAP_DMA to the model, by type1's rules (without its
 * overflow at the top of the space): v2 removes every mapping in the range
 * (the range cuts none, or the ioctl failed); v1 removes, whole, each
 * overlapping mapping that starts in the range, unless the first
 * overlapping one starts before it, in which case nothing goes. With
 * @invalidate (VFIO_DMA_UNMAP_FLAG_VADDR) the same mappings stay, their
 * user addresses invalid (none was: the ioctl succeeded). Returns the
 * bytes removed or invalidated.
 */
uint64_t oracle_model_unmap(struct oracle *o, uint64_t iova,
			    uint64_t size, bool all, bool v2,
			    bool invalidate);

/* A successful MAP_DMA(VADDR): exactly that mapping, invalid, is valid. */
void oracle_model_revalidate(struct oracle *o, const struct oracle_op *op);

/* Mappings whose user address is invalid */
unsigned int oracle_model_invalid(const struct oracle *o);

/* ---- physical addresses ---------------------------------------------------- */

/* Physical address of the page at @vaddr, from the pagemap snapshot */
uint64_t oracle_phys(const struct oracle *o, uint64_t vaddr);

int oracle_read_pagemap(struct oracle *o);

/* ---- one step: both sides, compared ---------------------------------------- */

/*
 * How the answers of type1 (@t) and vfio-mdom (@m) to @op compare: DIV_NONE
 * when they are the same, an intended divergence, or DIV_UNEXPECTED. Only
 * while vfio-mdom serves its side's container (@mdom_serves, before the
 * op) can they differ at all.
 */
int oracle_classify(const struct oracle_op *op,
		    const struct oracle_res *t,
		    const struct oracle_res *m, bool mdom_serves);

/* vfio-mdom's side tracks dirty pages with its IOMMUs now */
bool oracle_mdom_dirty_iommu(struct oracle *o);

/* Does a model mapping inside [@first, @last] hold the page at @iova? */
bool oracle_mapped_in(const struct oracle *o, uint64_t iova,
		      uint64_t first, uint64_t last);

/*
 * Are the bitmaps' differences type1's stale bits? type1 shifts a
 * mapping's bits in place in its own bitmap and afterwards clears only
 * the mapping's own number of bits, so bits shifted past its end stay and
 * come out again, shifted further, at the next report: extra dirty pages
 * after a mapping's end. Every bit that differs must be set by type1
 * alone, for a page no mapping of the range holds.
 */
bool oracle_stale_bits(const struct oracle *o, const struct oracle_op *op);

/*
 * After an operation with a dirty bitmap, whatever its answer: the two
 * buffers must hold the same bytes, all of them (type1 keeps the bits of
 * the first word below a mapping's and writes whole words). Where every
 * vfio-mdom domain tracks dirty pages (@mdom_iommu), nothing was written
 * by a device, so vfio-mdom, which only sets the bits of dirty pages,
 * must have left its buffer as it was: the intended divergence
 * DIV_DIRTY_IOMMU. Otherwise the only difference allowed is type1's stale
 * bits (DIV_DIRTY_STALE_BITS, oracle_stale_bits()).
 */
int oracle_compare_bitmaps(struct oracle *o,
			   const struct oracle_op *op,
			   bool mdom_iommu);

/* Is @op a successful START (1) or STOP (0) of dirty tracking? -1: no */
int oracle_dirty_switch(const struct oracle_op *op);

bool oracle_touches_domains(enum oracle_op_kind k);

/*
 * Mock error counters around one side's operation: vfio-mdom must never
 * move them; type1 only moves leaked_translations, when it frees a domain
 * that still holds translations (counted as DIV_UNMAP_ON_DOMAIN_FREE).
 * @kind is the driver that served the side, ORACLE_TYPE1 or ORACLE_MDOM.
 */
void oracle_check_counters(struct oracle *o, int kind,
			   const struct mock_counters *before,
			   const struct mock_counters *after,
			   const char *what);

/*
 * Play @op on both sides and compare. Returns what the comparison found
 * (DIV_NONE, an intended divergence, or DIV_UNEXPECTED with o->why set);
 * *@tres and *@mres (if not NULL) get each side's answer. Keeps the model
 * and the two sides in step across the intended divergences that change
 * state.
 */
int oracle_step(struct oracle *o, const struct oracle_op *op,
		struct oracle_res *tres, struct oracle_res *mres);

/* ---- deep check: the mock domains of both sides and the model ------------ */

/* The mock domain of device S of every instance K (0: none), at once */
int oracle_mock_devices(unsigned int dom[ORACLE_SIDES][ORACLE_NR_MOCK]);

/* Both type1 and vfio-mdom map every translation with IOMMU_CACHE */
unsigned int oracle_xlate_prot(const struct oracle_map *m);

/* The translations of @d, page by page, are exactly the model's mappings */
void oracle_check_model(struct oracle *o,
			const struct mock_domain *d,
			const char *who);

/* vfio-mdom's own accounting, from VFIO_MDOM_QUERY, against the model */
void oracle_check_query(struct oracle *o);

/*
 * Compare the mock domains of the two sides (same devices attached, same
 * sharing, the very same translations) and against the model; check
 * vfio-mdom's own accounting.
 */
void oracle_check_domains(struct oracle *o);

/* ---- set-up ----------------------------------------------------------------- */

/*
 * Find the groups of both sides and open them; memory; parameters. A
 * missing module or device is -ENOENT, with @why saying which.
 */
int oracle_init(struct oracle *o, char *why, size_t size);

/* Open both containers for a scenario with IOMMU type @type. */
int oracle_begin(struct oracle *o, unsigned long type);

/*
 * Close both containers (their groups leave first: a VFIO container
 * lives on while a group holds it), then check that every mock domain and
 * translation is gone, nothing stays pinned or charged, and vfio-mdom
 * moved no error counter.
 */
void oracle_end(struct oracle *o);

void oracle_fini(struct oracle *o);

#endif /* _LIBVFIO_MDOM_ORACLE_H */
