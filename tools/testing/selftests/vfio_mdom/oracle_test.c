// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom selftest: the kernel's vfio_iommu_type1 as a test oracle.
 *
 * Every operation is played on a type1 container and on a vfio-mdom
 * container, both from /dev/vfio/vfio, over the same kinds of devices
 * (oracle.h explains the two sides and how vfio_backend picks each
 * one's driver) and the answers, the mock domains' translations and a
 * model of the mappings are compared. The hand-written scenarios walk the rules
 * of the type1 ABI one by one; "random" plays thousands of operations from
 * a seeded generator:
 *
 *   ORACLE_SEED=<n>   replay the run with this seed (printed by every run)
 *   ORACLE_OPS=<n>    number of random operations (default 10000)
 *   ORACLE_BUDGET=<s> stop early (passing, and saying so) once this many
 *                     seconds are spent, so that a guest slowed down by a
 *                     loaded host stays within the harness's time limit
 *                     (default 300)
 *
 * The sides may differ only as listed in oracle_divergences[]
 * (Documentation/type1_divergences.rst says why); anything else fails.
 *
 * Needs both edu devices bound to vfio-pci, vfio_mdom.ko and
 * vfio_mdom_mock_iommu.ko loaded with its default parameters (make check
 * does all that); it sets vfio_backend, allow_unsafe_interrupts and
 * dma_entry_limit for a while and restores them.
 */
#include "mdom_test.h"
#include <libvfio_mdom/oracle.h>

#define DIV_ANY_KNOWN	(-2)	/* DIV_NONE or an intended divergence */

#define G_EDU		ORACLE_EDU
#define G_M0		ORACLE_MOCK(0)	/* 4K, 39 bits, cc, MSI window */
#define G_M1		ORACLE_MOCK(1)	/* 4K|2M|1G, 48 bits, no cc */
#define G_M2		ORACLE_MOCK(2)	/* 4K|2M, 32 bits, cc, MSIs not isolated */
#define G_M3		ORACLE_MOCK(3)	/* instance 0's twin */

#define RW		(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define RD		VFIO_DMA_MAP_FLAG_READ
#define WR		VFIO_DMA_MAP_FLAG_WRITE
#define ALL		VFIO_DMA_UNMAP_FLAG_ALL
#define MSI_BASE	0xfee00000ULL
#define TOP		0xfffffffffffff000ULL

FIXTURE(oracle)
{
	struct oracle *o;
};

FIXTURE_SETUP(oracle)
{
	char why[256] = "";
	int ret;

	self->o = malloc(sizeof(*self->o));
	ASSERT_NE(NULL, self->o);
	ret = oracle_init(self->o, why, sizeof(why));
	if (ret == -ENOENT)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
}

FIXTURE_TEARDOWN(oracle)
{
	struct oracle *o = self->o;
	unsigned int i;

	if (!o)
		return;
	if (o->side[ORACLE_TYPE1].container >= 0 ||
	    o->side[ORACLE_MDOM].container >= 0) {
		oracle_end(o);
		EXPECT_FALSE(o->failed) TH_LOG("%s", o->why);
	}
	for (i = 0; i < DIV_NR; i++)
		if (o->div_hits[i])
			TH_LOG("intended divergence %s: %lu",
			       oracle_divergences[i].name, o->div_hits[i]);
	oracle_fini(o);
	free(o);
}

/*
 * One step, expecting the comparison @want_div (DIV_NONE, an intended
 * divergence, or DIV_ANY_KNOWN) and, if @want_err >= 0, vfio-mdom's errno
 * (positive: the answer is -@want_err).
 * Returns vfio-mdom's answer.
 */
static struct oracle_res ostep(struct __test_metadata *_metadata,
			       struct oracle *o, struct oracle_op op,
			       int want_div, int want_err)
{
	struct oracle_res t, m;
	char s[256];
	int div;

	ASSERT_FALSE(o->failed) TH_LOG("%s", o->why);
	/* type1 against itself: no divergence, type1's errnos */
	if (o->type1_only && want_div >= 0) {
		want_div = DIV_NONE;
		want_err = -1;
	}
	div = oracle_step(o, &op, &t, &m);
	oracle_op_str(o, &op, s, sizeof(s));
	ASSERT_NE(DIV_UNEXPECTED, div) TH_LOG("%s", o->why);
	if (want_div != DIV_ANY_KNOWN) {
		EXPECT_EQ(want_div, div) {
			TH_LOG("%s: found %s", s, div == DIV_NONE ? "no divergence" :
			       oracle_divergences[div].name);
		}
	}
	if (want_err >= 0) {
		EXPECT_EQ(-want_err, m.err) {
			TH_LOG("%s: vfio-mdom %s, type1 %s", s, strerror(-m.err),
			       strerror(-t.err));
		}
	}
	return m;
}

static void *pool(struct oracle *o, uint64_t off)
{
	return o->pool + off;
}

#define OP(...)	((struct oracle_op){ __VA_ARGS__ })

#define MAP(iova_, size_, va_, flags_, err_) \
	ostep(_metadata, o, OP(.kind = OP_MAP, .iova = (iova_), \
			       .size = (size_), .vaddr = (uintptr_t)(va_), \
			       .flags = (flags_)), DIV_NONE, (err_))
#define UNMAP(iova_, size_, flags_, err_) \
	ostep(_metadata, o, OP(.kind = OP_UNMAP, .iova = (iova_), \
			       .size = (size_), .flags = (flags_)), \
	      DIV_NONE, (err_))
#define ATTACH(g_, err_) \
	ostep(_metadata, o, OP(.kind = OP_ATTACH, .group = (g_)), DIV_NONE, \
	      (err_))
#define DETACH(g_, err_) \
	ostep(_metadata, o, OP(.kind = OP_DETACH, .group = (g_)), DIV_NONE, \
	      (err_))
#define INFO(argsz_) \
	ostep(_metadata, o, OP(.kind = OP_GET_INFO, .argsz = (argsz_)), \
	      DIV_ANY_KNOWN, -1)
#define CHECK() \
	do { \
		oracle_check_domains(o); \
		ASSERT_FALSE(o->failed) TH_LOG("%s", o->why); \
	} while (0)

/* Unmapped size of an UNMAP step that must succeed */
#define UNMAPPED(iova_, size_, flags_) (UNMAP(iova_, size_, flags_, 0).size)

/* ---- MAP_DMA ------------------------------------------------------------- */

/* Overlaps, alignment, wrap-around, apertures, reserved regions, memory */
TEST_F_TIMEOUT(oracle, map_rules, 300)
{
	struct oracle *o = self->o;

	ASSERT_EQ(0, oracle_begin(o, VFIO_TYPE1v2_IOMMU));
	/* Nothing but CHECK_EXTENSION answers before an IOMMU is set */
	MAP(SZ_1M, 4 * SZ_4K, pool(o, 0), RW, EINVAL);
	ATTACH(G_M0, 0);
	ATTACH(G_EDU, 0);

	MAP(SZ_1M, 4 * SZ_4K, pool(o, 0), RW, 0);
	/* Any overlap: exact, start, end, inside, around */
	MAP(SZ_1M, 4 * SZ_4K, pool(o, 0), RW, EEXIST);
	MAP(SZ_1M - SZ_4K, 2 * SZ_4K, pool(o, 0), RW, EEXIST);
	MAP(SZ_1M + 3 * SZ_4K, 2 * SZ_4K, pool(o, 0), RW, EEXIST);
	MAP(SZ_1M + SZ_4K, SZ_4K, pool(o, 0), RW, EEXIST);
	MAP(SZ_1M - SZ_4K, 8 * SZ_4K, pool(o, 0), RW, EEXIST);
	/* Adjacent on both sides; the same memory twice */
	MAP(SZ_1M + 4 * SZ_4K, SZ_4K, pool(o, 0), RD, 0);
	MAP(SZ_1M - SZ_4K, SZ_4K, pool(o, 0), WR, 0);

	/* Flags */
	MAP(2 * SZ_1M, SZ_4K, pool(o, 0), 0, EINVAL);
	MAP(2 * SZ_1M, SZ_4K, pool(o, 0), RW | (1 << 3), EINVAL);
	MAP(2 * SZ_1M, SZ_4K, pool(o, 0), RW | (1U << 31), EINVAL);
	MAP(2 * SZ_1M, SZ_4K, pool(o, 0), RW | VFIO_DMA_MAP_FLAG_VADDR, EINVAL);
	/* A new address for a mapping that is not there */
	MAP(2 * SZ_1M, SZ_4K, pool(o, 0), VFIO_DMA_MAP_FLAG_VADDR, ENOENT);

	/* Alignment, size */
	MAP(2 * SZ_1M + 1, SZ_4K, pool(o, 0), RW, EINVAL);
	MAP(2 * SZ_1M + 0x800, SZ_4K, pool(o, 0), RW, EINVAL);
	MAP(2 * SZ_1M, SZ_4K + 1, pool(o, 0), RW, EINVAL);
	MAP(2 * SZ_1M, SZ_4K - 1, pool(o, 0), RW, EINVAL);
	MAP(2 * SZ_1M, SZ_4K, pool(o, 1), RW, EINVAL);
	MAP(2 * SZ_1M, 0, pool(o, 0), RW, EINVAL);

	/* Wrap-around of IOVA or vaddr */
	MAP(TOP, 2 * SZ_4K, pool(o, 0), RW, EINVAL);
	MAP(TOP, SZ_4K, pool(o, 0), RW, EINVAL);
	MAP(0, 0, pool(o, 0), RW, EINVAL);
	MAP(2 * SZ_1M, 2 * SZ_4K, TOP, RW, EINVAL);
	MAP(2 * SZ_1M, ~0xfffULL, pool(o, 0), RW, EINVAL);

	/* Outside the 39-bit apertures, or across their end */
	MAP(1ULL << 39, SZ_4K, pool(o, 0), RW, EINVAL);
	MAP((1ULL << 39) - SZ_4K, 2 * SZ_4K, pool(o, 0), RW, EINVAL);
	MAP((1ULL << 39) - SZ_4K, SZ_4K, pool(o, 0), RW, 0);
	MAP(1ULL << 48, SZ_4K, pool(o, 0), RW, EINVAL);

	/* The MSI window, inside or across either edge */
	MAP(MSI_BASE, SZ_4K, pool(o, 0), RW, EINVAL);
	MAP(MSI_BASE - SZ_4K, 2 * SZ_4K, pool(o, 0), RW, EINVAL);
	MAP(MSI_BASE + SZ_1M - SZ_4K, 2 * SZ_4K, pool(o, 0), RW, EINVAL);
	MAP(MSI_BASE - SZ_4K, SZ_4K, pool(o, 0), RW, 0);
	MAP(MSI_BASE + SZ_1M, SZ_4K, pool(o, 0), RW, 0);

	/* Memory: nothing there, read-only, partly there */
	MAP(3 * SZ_1M, SZ_4K, o->hole, RW, EFAULT);
	MAP(3 * SZ_1M, SZ_4K, o->ro, RW, EFAULT);
	MAP(3 * SZ_1M, SZ_4K, o->ro, WR, EFAULT);
	MAP(3 * SZ_1M, ORACLE_RO_SIZE + SZ_4K, o->ro, RD, EFAULT);
	MAP(3 * SZ_1M, ORACLE_RO_SIZE, o->ro, RD, 0);

	/* argsz: one byte short of the fields read; longer is ignored */
	ostep(_metadata, o, OP(.kind = OP_MAP, .iova = 4 * SZ_1M, .size = SZ_4K,
			       .vaddr = (uintptr_t)pool(o, 0), .flags = RW,
			       .argsz = VFIO_MAP_MINSZ - 1),
	      DIV_NONE, EINVAL);
	ostep(_metadata, o, OP(.kind = OP_MAP, .iova = 4 * SZ_1M, .size = SZ_4K,
			       .vaddr = (uintptr_t)pool(o, 0), .flags = RW,
			       .argsz = 64, .trailing = true),
	      DIV_NONE, 0);

	/* Large, THP-backed, 2M aligned: large IOMMU pages where possible */
	ATTACH(G_M1, 0);
	MAP(8 * SZ_2M, 4 * SZ_2M, pool(o, 2 * SZ_2M), RW, 0);
	MAP(16 * SZ_2M + SZ_4K, SZ_2M, pool(o, SZ_2M), RW, 0);
	CHECK();
}

/* User addresses that are not user memory: EFAULT, up to the very top */
TEST_F_TIMEOUT(oracle, map_not_user_memory, 300)
{
	struct oracle *o = self->o;

	ASSERT_EQ(0, oracle_begin(o, VFIO_TYPE1v2_IOMMU));
	ATTACH(G_M1, 0);
	MAP(SZ_2M, SZ_4K, 1ULL << 47, RW, EFAULT);
	MAP(SZ_2M, SZ_4K, 1ULL << 63, RW, EFAULT);
	MAP(SZ_2M, SZ_4K, TOP - SZ_4K, RW, EFAULT);
	MAP(SZ_2M, SZ_4K, TOP, RD, EFAULT);
	MAP(SZ_2M, 2 * SZ_4K, TOP - SZ_4K, RW, EFAULT);
	MAP(SZ_2M, 2 * SZ_2M, 0 - 2 * SZ_2M, RW, EFAULT);
	CHECK();
}

/*
 * Ordinary RAM behind a VM_PFNMAP mmap (lib/dmabuf.c: udmabuf, vgem):
 * not device memory, EFAULT, its pages there yet or not, alone or next to
 * anonymous memory, read or written.
 */
TEST_F_TIMEOUT(oracle, map_ram_behind_pfnmap, 300)
{
	const size_t size = 4 * SZ_4K, span_size = size + 2 * SZ_4K;
	struct oracle *o = self->o;
	struct ram_pfnmap b[2];
	uint8_t *span, *buf;
	unsigned int k;
	int ret;

	ASSERT_EQ(0, oracle_begin(o, VFIO_TYPE1v2_IOMMU));
	ATTACH(G_M0, 0);
	ATTACH(G_EDU, 0);
	/* Anonymous memory, the udmabuf, anonymous memory */
	span = mmap(NULL, span_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, span);
	memset(span, 0x33, span_size);
	for (k = 0; k < 2; k++) {
		ret = ram_pfnmap_alloc(&b[k], k, size,
				       k == RAM_PFNMAP_UDMABUF ? span + SZ_4K :
								 NULL);
		ASSERT_EQ(0, ret) TH_LOG("%s: %s", ram_pfnmap_name(k),
					 strerror(-ret));
	}

	for (k = 0; k < 2; k++) {
		buf = b[k].va;
		/* Not there yet, then there */
		MAP(SZ_1M, size, buf, RW, EFAULT);
		memset(buf, 0x44, size);
		MAP(SZ_1M, size, buf, RW, EFAULT);
		MAP(SZ_1M, size, buf, RD, EFAULT);
		MAP(SZ_1M, SZ_4K, buf + size - SZ_4K, WR, EFAULT);
	}
	buf = b[RAM_PFNMAP_UDMABUF].va;
	MAP(SZ_1M, span_size, span, RW, EFAULT);
	MAP(SZ_1M, 2 * SZ_4K, span, RW, EFAULT);
	MAP(SZ_1M, 2 * SZ_4K, buf + size - SZ_4K, RD, EFAULT);
	CHECK();

	for (k = 0; k < 2; k++)
		ram_pfnmap_free(&b[k]);
	munmap(span, span_size);
}

/* ---- UNMAP_DMA ----------------------------------------------------------- */

/* v2: a range that cuts a mapping fails; everything inside goes. */
TEST_F_TIMEOUT(oracle, unmap_v2_rules, 300)
{
	struct oracle *o = self->o;

	ASSERT_EQ(0, oracle_begin(o, VFIO_TYPE1v2_IOMMU));
	ATTACH(G_M1, 0);
	ATTACH(G_M0, 0);
	MAP(SZ_1M, 4 * SZ_4K, pool(o, 0), RW, 0);		/* M1 */
	MAP(SZ_1M + 4 * SZ_4K, 2 * SZ_4K, pool(o, 0), RD, 0);	/* M2 */
	MAP(SZ_2M, SZ_2M, pool(o, SZ_2M), RW, 0);		/* M3 */
	MAP(8 * SZ_1M, SZ_4K, pool(o, 0), RW, 0);		/* M4 */
	CHECK();

	EXPECT_EQ(SZ_4K, UNMAPPED(8 * SZ_1M, SZ_4K, 0));
	EXPECT_EQ(0, UNMAPPED(8 * SZ_1M, SZ_4K, 0));
	/* Inside M1, cutting its end, cutting M2's start, around M2's end */
	UNMAP(SZ_1M + SZ_4K, SZ_4K, 0, EINVAL);
	UNMAP(SZ_1M, 2 * SZ_4K, 0, EINVAL);
	UNMAP(SZ_1M + SZ_4K, 3 * SZ_4K, 0, EINVAL);
	UNMAP(0, SZ_1M + 5 * SZ_4K, 0, EINVAL);
	UNMAP(SZ_1M + 5 * SZ_4K, SZ_1M, 0, EINVAL);
	/* Over M3's start or end */
	UNMAP(SZ_2M + SZ_4K, SZ_2M, 0, EINVAL);
	UNMAP(SZ_1M + 6 * SZ_4K, SZ_1M, 0, EINVAL);
	CHECK();
	/* Nothing there */
	EXPECT_EQ(0, UNMAPPED(3 * SZ_2M, SZ_2M, 0));
	EXPECT_EQ(0, UNMAPPED(0, SZ_1M, 0));
	/* M1 and M2 at once, and the hole after them */
	EXPECT_EQ(6 * SZ_4K, UNMAPPED(SZ_1M, SZ_1M, 0));
	CHECK();

	/* Bad arguments */
	UNMAP(SZ_2M + 1, SZ_2M, 0, EINVAL);
	UNMAP(SZ_2M, SZ_2M + 0x800, 0, EINVAL);
	UNMAP(SZ_2M, 0, 0, EINVAL);
	UNMAP(TOP, 2 * SZ_4K, 0, EINVAL);
	UNMAP(SZ_2M, SZ_2M, 1 << 3, EINVAL);
	UNMAP(SZ_2M, SZ_2M, 1U << 31, EINVAL);
	UNMAP(SZ_2M, SZ_2M, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, EINVAL);
	UNMAP(SZ_2M, SZ_2M,
	      VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP | ALL, EINVAL);
	UNMAP(SZ_4K, 0, ALL, EINVAL);
	UNMAP(0, SZ_4K, ALL, EINVAL);
	ostep(_metadata, o, OP(.kind = OP_UNMAP, .iova = SZ_2M, .size = SZ_2M,
			       .argsz = VFIO_UNMAP_MINSZ - 1),
	      DIV_NONE, EINVAL);
	CHECK();
	/* Longer argsz is ignored */
	ostep(_metadata, o, OP(.kind = OP_UNMAP, .iova = SZ_2M, .size = SZ_2M,
			       .argsz = 100, .trailing = true),
	      DIV_NONE, 0);
	CHECK();
}

/*
 * v1: mappings go whole; a range starting inside a mapping removes nothing
 * at all, not even mappings that lie wholly inside it further up.
 */
TEST_F_TIMEOUT(oracle, unmap_v1_rules, 300)
{
	struct oracle *o = self->o;

	ASSERT_EQ(0, oracle_begin(o, VFIO_TYPE1_IOMMU));
	ATTACH(G_M0, 0);
	ATTACH(G_M1, 0);
	MAP(SZ_1M, 4 * SZ_4K, pool(o, 0), RW, 0);			/* M1 */
	MAP(SZ_1M + 4 * SZ_4K, 2 * SZ_4K, pool(o, 8 * SZ_4K), RW, 0);	/* M2 */
	MAP(SZ_1M + 16 * SZ_4K, SZ_4K, pool(o, 0), RD, 0);		/* M3 */

	EXPECT_EQ(0, UNMAPPED(SZ_1M + SZ_4K, SZ_1M, 0));
	CHECK();
	/* Covering M1's first page removes all of M1 */
	EXPECT_EQ(4 * SZ_4K, UNMAPPED(SZ_1M, SZ_4K, 0));
	/* Starting inside M2: nothing */
	EXPECT_EQ(0, UNMAPPED(SZ_1M + 5 * SZ_4K, SZ_1M, 0));
	/* Starting before M2, ending inside it: M2 whole */
	EXPECT_EQ(2 * SZ_4K, UNMAPPED(SZ_1M + 3 * SZ_4K, 2 * SZ_4K, 0));
	CHECK();
	EXPECT_EQ(SZ_4K, UNMAPPED(0, 1ULL << 40, 0));
	EXPECT_EQ(0, UNMAPPED(0, 0, ALL));

	/* The same argument checks as v2 */
	UNMAP(SZ_1M + 1, SZ_4K, 0, EINVAL);
	UNMAP(SZ_1M, 0, 0, EINVAL);
	UNMAP(TOP, 2 * SZ_4K, 0, EINVAL);
	CHECK();
}

/* UNMAP_ALL under v1 and v2, with mappings in several domains */
TEST_F_TIMEOUT(oracle, unmap_all, 300)
{
	struct oracle *o = self->o;
	unsigned int i, v;

	for (v = 0; v < 2; v++) {
		ASSERT_EQ(0, oracle_begin(o, v ? VFIO_TYPE1v2_IOMMU :
					  VFIO_TYPE1_IOMMU));
		ATTACH(G_EDU, 0);
		ATTACH(G_M1, 0);
		for (i = 0; i < 16; i++)
			MAP(SZ_1M * (i + 1), SZ_4K * (i + 1),
			    pool(o, i * SZ_4K), i % 3 ? RW : RD, 0);
		ATTACH(G_M0, 0);
		CHECK();
		EXPECT_EQ(136 * SZ_4K, UNMAPPED(0, 0, ALL));
		EXPECT_EQ(0, UNMAPPED(0, 0, ALL));
		CHECK();
		MAP(SZ_1M, SZ_4K, pool(o, 0), RW, 0);
		oracle_end(o);
		ASSERT_FALSE(o->failed) TH_LOG("%s", o->why);
	}
}

/* Ranges ending at 2^64: type1's iova + size overflows */
TEST_F_TIMEOUT(oracle, unmap_top_of_space, 300)
{
	struct oracle *o = self->o;
	unsigned int v;

	if (o->type1_only)
		SKIP(return, "type1 against itself: the overflow on both sides");

	for (v = 0; v < 2; v++) {
		ASSERT_EQ(0, oracle_begin(o, v ? VFIO_TYPE1v2_IOMMU :
					  VFIO_TYPE1_IOMMU));
		ATTACH(G_M1, 0);
		MAP(SZ_1M, SZ_4K, pool(o, 0), RW, 0);
		MAP(SZ_2M, 2 * SZ_4K, pool(o, 0), RW, 0);
		MAP(1ULL << 47, SZ_4K, pool(o, 0), RW, 0);
		/* Nothing mapped up there: the same answer */
		EXPECT_EQ(0, UNMAPPED(TOP, SZ_4K, 0));
		EXPECT_EQ(0, UNMAPPED(1ULL << 63, 1ULL << 63, 0));
		/* type1 unmaps nothing, vfio-mdom the three mappings */
		ostep(_metadata, o, OP(.kind = OP_UNMAP, .iova = SZ_1M,
				       .size = 0 - SZ_1M),
		      DIV_UNMAP_TOP_OF_SPACE, 0);
		CHECK();
		EXPECT_EQ(0, o->nmaps);
		oracle_end(o);
		ASSERT_FALSE(o->failed) TH_LOG("%s", o->why);
	}
}

/* The answer of a raw ioctl: 0 or -errno. */
static int raw_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/*
 * MAP_DMA's and UNMAP_DMA's own struct where user memory ends: none at
 * all, running into a page with no access, unaligned and ending right
 * before that page, read-only for UNMAP's answer. Both sides answer
 * alike and keep the same mappings (none, at the end of each round).
 */
TEST_F_TIMEOUT(oracle, argument_memory, 300)
{
	struct vfio_iommu_type1_dma_unmap unmap, answer;
	struct vfio_iommu_type1_dma_map map;
	struct oracle *o = self->o;
	const size_t pg = getpagesize();
	uint8_t *mem, *guard, *ro, *p;
	unsigned int k;
	int fd;

	/* [mem, guard) read-write, [guard, ro) no access, [ro, +pg) read */
	mem = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	guard = mem + pg;
	ro = mem + 2 * pg;
	ASSERT_EQ(0, mprotect(guard, pg, PROT_NONE));

	ASSERT_EQ(0, oracle_begin(o, VFIO_TYPE1v2_IOMMU));
	ATTACH(G_M1, 0);
	for (k = 0; k < ORACLE_SIDES; k++) {
		fd = o->side[k].container;
		map = (struct vfio_iommu_type1_dma_map){
			.argsz = sizeof(map), .flags = RW,
			.vaddr = (uintptr_t)pool(o, 0), .iova = SZ_1M,
			.size = SZ_4K,
		};
		unmap = (struct vfio_iommu_type1_dma_unmap){
			.argsz = sizeof(unmap), .iova = SZ_1M, .size = SZ_4K,
		};
		TH_LOG("side %s", k == ORACLE_TYPE1 ? "type1" : "vfio-mdom");

		EXPECT_EQ(-EFAULT, raw_ioctl(fd, VFIO_IOMMU_MAP_DMA, NULL));
		EXPECT_EQ(-EFAULT, raw_ioctl(fd, VFIO_IOMMU_UNMAP_DMA, NULL));

		/* Its last byte in the page with no access: nothing mapped */
		p = guard - sizeof(map) + 1;
		memcpy(p, &map, sizeof(map) - 1);
		EXPECT_EQ(-EFAULT, raw_ioctl(fd, VFIO_IOMMU_MAP_DMA, p));
		p = guard - sizeof(unmap) + 1;
		memcpy(p, &unmap, sizeof(unmap) - 1);
		EXPECT_EQ(-EFAULT, raw_ioctl(fd, VFIO_IOMMU_UNMAP_DMA, p));

		/* Ending right before it, at an odd address: both work */
		p = guard - sizeof(map) - 3;
		memcpy(p, &map, sizeof(map));
		EXPECT_EQ(0, raw_ioctl(fd, VFIO_IOMMU_MAP_DMA, p));
		p = guard - sizeof(unmap) - 5;
		unmap.size = 64 * SZ_4K;	/* more than is mapped: v2 says 4K */
		memcpy(p, &unmap, sizeof(unmap));
		EXPECT_EQ(0, raw_ioctl(fd, VFIO_IOMMU_UNMAP_DMA, p));
		memcpy(&answer, p, sizeof(answer));
		EXPECT_EQ(SZ_4K, answer.size);
		EXPECT_EQ(sizeof(unmap), answer.argsz);
		EXPECT_EQ(0, answer.flags);
		EXPECT_EQ(SZ_1M, answer.iova);

		/* No room for the answer: unmapped all the same, -EFAULT */
		EXPECT_EQ(0, raw_ioctl(fd, VFIO_IOMMU_MAP_DMA, &map));
		ASSERT_EQ(0, mprotect(ro, pg, PROT_READ | PROT_WRITE));
		memcpy(ro, &unmap, sizeof(unmap));
		ASSERT_EQ(0, mprotect(ro, pg, PROT_READ));
		EXPECT_EQ(-EFAULT, raw_ioctl(fd, VFIO_IOMMU_UNMAP_DMA, ro));
		answer = unmap;
		EXPECT_EQ(0, raw_ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &answer));
		EXPECT_EQ(0, answer.size);
	}
	CHECK();
	oracle_end(o);
	ASSERT_FALSE(o->failed) TH_LOG("%s", o->why);
	munmap(mem, 3 * pg);
}

/* ---- GET_INFO and CHECK_EXTENSION ---------------------------------------- */

/* Every argsz, as the set of domains changes */
static void info_sweep(struct __test_metadata *_metadata, struct oracle *o)
{
	static const uint32_t sizes[] = { 0, 15, 16, 20, 23, 24, 25, 32, 40,
					  48, 64, 72, 80, 96, 128, 4096 };
	struct oracle_res r;
	unsigned int i;
	uint32_t need;

	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		INFO(sizes[i]);
	r = INFO(24);
	need = r.info.argsz;
	for (i = 0; i < 40; i += 8) {
		INFO(need - 1 + i);
		INFO(need + i);
	}
}

TEST_F_TIMEOUT(oracle, get_info, 300)
{
	struct oracle *o = self->o;

	ASSERT_EQ(0, oracle_begin(o, VFIO_TYPE1v2_IOMMU));
	INFO(0);
	ATTACH(G_EDU, 0);
	info_sweep(_metadata, o);
	ATTACH(G_M1, 0);
	info_sweep(_metadata, o);
	MAP(SZ_1M, SZ_4K, pool(o, 0), RW, 0);
	info_sweep(_metadata, o);
	/* 32-bit aperture: the ranges shrink */
	ATTACH(G_M2, 0);
	ATTACH(G_M0, 0);
	info_sweep(_metadata, o);
	/* And grow back */
	DETACH(G_M2, 0);
	info_sweep(_metadata, o);
	DETACH(G_EDU, 0);
	DETACH(G_M0, 0);
	info_sweep(_metadata, o);
	CHECK();
}

TEST_F_TIMEOUT(oracle, check_extension, 300)
{
	struct oracle *o = self->o;
	unsigned long e;

	ASSERT_EQ(0, oracle_begin(o, VFIO_TYPE1v2_IOMMU));
	for (e = 0; e <= 12; e++)
		ostep(_metadata, o, OP(.kind = OP_CHECK_EXT, .arg = e),
		      DIV_ANY_KNOWN, -1);
	/* One domain each: coherency enforced (mock 0) or not (mock 1) */
	ATTACH(G_M0, 0);
	for (e = 0; e <= 12; e++)
		ostep(_metadata, o, OP(.kind = OP_CHECK_EXT, .arg = e),
		      DIV_ANY_KNOWN, -1);
	ATTACH(G_M1, 0);
	ostep(_metadata, o, OP(.kind = OP_CHECK_EXT, .arg = VFIO_DMA_CC_IOMMU),
	      DIV_NONE, 0);
	DETACH(G_M1, 0);
	ATTACH(G_EDU, 0);
	for (e = 0; e <= 12; e++)
		ostep(_metadata, o, OP(.kind = OP_CHECK_EXT, .arg = e),
		      DIV_ANY_KNOWN, -1);
	ostep(_metadata, o, OP(.kind = OP_CHECK_EXT, .arg = 1000),
	      DIV_NONE, 0);
	ostep(_metadata, o, OP(.kind = OP_CHECK_EXT, .arg = ~0UL),
	      DIV_NONE, 0);
	/* Once set, SET_IOMMU is refused whatever the type */
	ostep(_metadata, o, OP(.kind = OP_SET_IOMMU, .arg = VFIO_TYPE1v2_IOMMU),
	      DIV_NONE, EINVAL);
	ostep(_metadata, o, OP(.kind = OP_SET_IOMMU, .arg = 42),
	      DIV_NONE, EINVAL);
}

/* ---- groups ------------------------------------------------------------- */

/*
 * Domains come and go with groups; mappings are replayed into every new
 * domain; twins share a domain; conflicting groups are refused.
 */
TEST_F_TIMEOUT(oracle, attach_detach, 300)
{
	struct oracle *o = self->o;

	ASSERT_EQ(0, oracle_begin(o, VFIO_TYPE1v2_IOMMU));
	ATTACH(G_EDU, 0);
	MAP(SZ_1M, 8 * SZ_4K, pool(o, 0), RW, 0);
	MAP(SZ_2M, SZ_2M, pool(o, SZ_2M), RD, 0);
	ATTACH(G_M0, 0);
	CHECK();
	MAP(4 * SZ_2M, SZ_4K, pool(o, 0), WR, 0);
	ATTACH(G_M3, 0);		/* shares mock 0's domain */
	CHECK();
	ATTACH(G_M1, 0);
	ATTACH(G_M2, 0);
	CHECK();
	/* VFIO: a group already in the container */
	ATTACH(G_M0, EINVAL);
	ATTACH(G_EDU, EINVAL);

	/* A domain losing its last group goes; the others keep working */
	DETACH(G_M1, 0);
	CHECK();
	DETACH(G_M1, EINVAL);		/* not in the container */
	DETACH(G_M0, 0);		/* its domain stays, with mock 3 */
	CHECK();
	MAP(6 * SZ_2M, SZ_2M, pool(o, 0), RW, 0);
	DETACH(G_M2, 0);
	DETACH(G_EDU, 0);
	CHECK();
	/* Back: replayed again */
	ATTACH(G_M1, 0);
	ATTACH(G_M0, 0);
	CHECK();
	UNMAP(0, 0, ALL, 0);
	DETACH(G_M0, 0);
	DETACH(G_M3, 0);

	/*
	 * Only mock 1 (48 bits, nothing reserved): map where the others
	 * cannot translate, and watch them be refused.
	 */
	MAP(5ULL << 30, SZ_4K, pool(o, 0), RW, 0);
	MAP(MSI_BASE, SZ_4K, pool(o, 0), RW, 0);
	MAP(1ULL << 40, SZ_4K, pool(o, 0), RW, 0);
	ATTACH(G_M2, EINVAL);		/* 32-bit aperture */
	ATTACH(G_M0, EINVAL);		/* 39 bits */
	ATTACH(G_EDU, EINVAL);
	UNMAP(1ULL << 40, SZ_4K, 0, 0);
	ATTACH(G_M0, EINVAL);		/* the MSI window */
	UNMAP(MSI_BASE, SZ_4K, 0, 0);
	ATTACH(G_M0, 0);
	ATTACH(G_M2, EINVAL);		/* 5 GiB is still mapped */
	CHECK();
	UNMAP(5ULL << 30, SZ_4K, 0, 0);
	ATTACH(G_M2, 0);
	ATTACH(G_EDU, 0);
	/* And the valid ranges now refuse what was mapped before */
	MAP(5ULL << 30, SZ_4K, pool(o, 0), RW, EINVAL);
	MAP(MSI_BASE, SZ_4K, pool(o, 0), RW, EINVAL);
	MAP(SZ_1M, SZ_4K, pool(o, 0), RW, 0);
	CHECK();
}

/* Groups whose MSIs are not isolated, with allow_unsafe_interrupts off */
TEST_F_TIMEOUT(oracle, unsafe_interrupts, 300)
{
	struct oracle *o = self->o;

	ASSERT_EQ(0, params_set_both(&o->params, "allow_unsafe_interrupts",
				     "N"));
	ASSERT_EQ(0, oracle_begin(o, VFIO_TYPE1v2_IOMMU));
	ATTACH(G_M2, EPERM);		/* as the first group */
	ATTACH(G_M0, 0);
	MAP(SZ_1M, SZ_4K, pool(o, 0), RW, 0);
	ATTACH(G_M2, EPERM);		/* as a later one */
	CHECK();
	ASSERT_EQ(0, params_set_both(&o->params, "allow_unsafe_interrupts",
				     "Y"));
	ATTACH(G_M2, 0);
	CHECK();
}

/* dma_entry_limit: DMA_AVAIL counts down, ENOSPC at zero */
TEST_F_TIMEOUT(oracle, dma_entry_limit, 300)
{
	struct oracle *o = self->o;
	struct oracle_res r;
	unsigned int i;

	ASSERT_EQ(0, params_set_both(&o->params, "dma_entry_limit", "4"));
	ASSERT_EQ(0, oracle_begin(o, VFIO_TYPE1v2_IOMMU));
	ATTACH(G_M0, 0);
	for (i = 0; i < 4; i++) {
		MAP(SZ_1M * (i + 1), SZ_4K, pool(o, 0), RW, 0);
		r = INFO(4096);
		EXPECT_EQ(3 - i, r.info.avail);
	}
	MAP(8 * SZ_1M, SZ_4K, pool(o, 0), RW, ENOSPC);
	/* EEXIST is checked first */
	MAP(SZ_1M, SZ_4K, pool(o, 0), RW, EEXIST);
	UNMAP(SZ_1M, SZ_4K, 0, 0);
	r = INFO(4096);
	EXPECT_EQ(1, r.info.avail);
	MAP(8 * SZ_1M, SZ_4K, pool(o, 0), RW, 0);
	MAP(9 * SZ_1M, SZ_4K, pool(o, 0), RW, ENOSPC);
	CHECK();
	/* A container opened now gets the new limit; this one keeps its own */
	ASSERT_EQ(0, params_set_both(&o->params, "dma_entry_limit", "65535"));
	MAP(9 * SZ_1M, SZ_4K, pool(o, 0), RW, ENOSPC);
}

/* ---- the intended divergences, one by one -------------------------------- */

/*
 * The last group leaving: VFIO releases the IOMMU driver with every
 * mapping, on both sides alike; the next group sets it up afresh.
 */
TEST_F_TIMEOUT(oracle, last_detach_releases, 300)
{
	struct oracle *o = self->o;

	ASSERT_EQ(0, oracle_begin(o, VFIO_TYPE1v2_IOMMU));
	ATTACH(G_M1, 0);
	ATTACH(G_EDU, 0);
	MAP(SZ_1M, 8 * SZ_4K, pool(o, 0), RW, 0);
	CHECK();
	DETACH(G_EDU, 0);
	DETACH(G_M1, 0);
	EXPECT_EQ(0, o->nmaps);
	/* No IOMMU driver any more: VFIO's EINVAL */
	ostep(_metadata, o, OP(.kind = OP_GET_INFO), DIV_NONE, EINVAL);
	UNMAP(0, SZ_1M, 0, EINVAL);
	MAP(SZ_1M, 8 * SZ_4K, pool(o, 0), RW, EINVAL);
	CHECK();
	/* Back with a group: an empty container, set up again */
	ATTACH(G_M0, 0);
	EXPECT_EQ(0, UNMAPPED(0, 0, ALL));
	MAP(SZ_1M, 8 * SZ_4K, pool(o, 0), RW, 0);
	CHECK();
}

/* VFIO_SET_IOMMU: not before a group, not twice, only known types */
TEST_F_TIMEOUT(oracle, set_iommu_rules, 300)
{
	struct oracle *o = self->o;

	ASSERT_EQ(0, oracle_begin(o, VFIO_TYPE1_IOMMU));
	o->side[ORACLE_TYPE1].auto_set_iommu = false;
	o->side[ORACLE_MDOM].auto_set_iommu = false;
	ostep(_metadata, o, OP(.kind = OP_IOCTL, .arg = _IO(VFIO_TYPE, 150)),
	      DIV_NONE, EINVAL);
	ostep(_metadata, o, OP(.kind = OP_SET_IOMMU, .arg = 42),
	      DIV_NONE, EINVAL);
	ostep(_metadata, o, OP(.kind = OP_SET_IOMMU, .arg = VFIO_TYPE1_IOMMU),
	      DIV_NONE, EINVAL);
	ATTACH(G_M0, 0);
	MAP(SZ_1M, 2 * SZ_4K, pool(o, 0), RW, EINVAL);
	ostep(_metadata, o, OP(.kind = OP_SET_IOMMU, .arg = 42),
	      DIV_NONE, ENODEV);
	ostep(_metadata, o, OP(.kind = OP_SET_IOMMU,
			       .arg = VFIO_SPAPR_TCE_IOMMU),
	      DIV_NONE, ENODEV);
	ostep(_metadata, o, OP(.kind = OP_SET_IOMMU, .arg = VFIO_TYPE1_IOMMU),
	      DIV_NONE, 0);
	ostep(_metadata, o, OP(.kind = OP_SET_IOMMU, .arg = VFIO_TYPE1_IOMMU),
	      DIV_NONE, EINVAL);
	ATTACH(G_M1, 0);
	MAP(SZ_1M, 2 * SZ_4K, pool(o, 0), RW, 0);
	/* v1 semantics in effect on both */
	EXPECT_EQ(2 * SZ_4K, UNMAPPED(SZ_1M, SZ_4K, 0));
	ostep(_metadata, o, OP(.kind = OP_IOCTL, .arg = _IO(VFIO_TYPE, 150)),
	      DIV_NONE, ENOTTY);
	CHECK();
}

#define VADDR		VFIO_DMA_MAP_FLAG_VADDR
#define DIRTY_ARGSZ	sizeof(struct vfio_iommu_type1_dirty_bitmap)
#define UNMAP_VADDR	VFIO_DMA_UNMAP_FLAG_VADDR

/*
 * Nesting is not vfio-mdom's: CHECK_EXTENSION says so once vfio-mdom
 * serves; SET_IOMMU(TYPE1_NESTING) goes to type1 on both sides, which
 * fails to turn nesting on for the mock IOMMU.
 */
TEST_F_TIMEOUT(oracle, nesting, 300)
{
	struct oracle *o = self->o;

	ASSERT_EQ(0, oracle_begin(o, VFIO_TYPE1v2_IOMMU));
	/* Before SET_IOMMU VFIO polls both drivers on both sides */
	ostep(_metadata, o, OP(.kind = OP_CHECK_EXT,
			       .arg = VFIO_TYPE1_NESTING_IOMMU),
	      DIV_NONE, 0);
	ATTACH(G_M0, 0);
	ostep(_metadata, o, OP(.kind = OP_CHECK_EXT,
			       .arg = VFIO_TYPE1_NESTING_IOMMU),
	      DIV_EXTENSIONS, 0);
	oracle_end(o);
	ASSERT_FALSE(o->failed) TH_LOG("%s", o->why);

	/* SET_IOMMU(TYPE1_NESTING) with a group in each */
	ASSERT_EQ(0, oracle_begin(o, VFIO_TYPE1v2_IOMMU));
	o->side[ORACLE_TYPE1].auto_set_iommu = false;
	o->side[ORACLE_MDOM].auto_set_iommu = false;
	ATTACH(G_M0, 0);
	ostep(_metadata, o, OP(.kind = OP_SET_IOMMU,
			       .arg = VFIO_TYPE1_NESTING_IOMMU),
	      DIV_NONE, EINVAL);
	ostep(_metadata, o, OP(.kind = OP_SET_IOMMU,
			       .arg = VFIO_TYPE1v2_IOMMU),
	      DIV_NONE, 0);
	MAP(SZ_1M, 2 * SZ_4K, pool(o, 0), RW, 0);
	CHECK();
}

/*
 * Live update (VFIO_UPDATE_VADDR): user addresses invalidated and given
 * again, the translations untouched; each misuse gets type1's errno.
 */
TEST_F_TIMEOUT(oracle, vaddr_update, 300)
{
	struct oracle *o = self->o;

	ASSERT_EQ(0, oracle_begin(o, VFIO_TYPE1v2_IOMMU));
	ATTACH(G_M0, 0);
	ostep(_metadata, o, OP(.kind = OP_CHECK_EXT, .arg = VFIO_UPDATE_VADDR),
	      DIV_NONE, 0);
	MAP(SZ_1M, 2 * SZ_4K, pool(o, 0), RW, 0);
	MAP(SZ_2M, 4 * SZ_4K, pool(o, 4 * SZ_4K), RD, 0);
	MAP(SZ_1M, 2 * SZ_4K, pool(o, 0), VADDR, EINVAL);	/* still valid */
	UNMAP(SZ_1M, 2 * SZ_4K, UNMAP_VADDR, 0);
	UNMAP(SZ_1M, 2 * SZ_4K, UNMAP_VADDR, EINVAL);		/* already */
	UNMAP(SZ_1M, SZ_4K, UNMAP_VADDR | ALL, EINVAL);
	CHECK();
	/* Invalid, the mapping is still there */
	MAP(SZ_1M, 2 * SZ_4K, pool(o, 0), RW, EEXIST);
	MAP(SZ_1M, SZ_4K, pool(o, SZ_4K), VADDR, EINVAL);	/* size */
	MAP(SZ_1M, 2 * SZ_4K, pool(o, SZ_4K), VADDR | RW, EINVAL);
	/* type1 refuses a new group now, vfio-mdom replays its pins */
	ostep(_metadata, o, OP(.kind = OP_ATTACH, .group = G_M1),
	      DIV_ATTACH_VADDR_INVALID, 0);
	CHECK();
	MAP(SZ_1M, 2 * SZ_4K, pool(o, 8 * SZ_4K), VADDR, 0);
	ATTACH(G_M1, 0);
	/* Unknown ranges: nothing to invalidate, nothing to give back */
	EXPECT_EQ(0, UNMAPPED(8 * SZ_1M, 4 * SZ_4K, UNMAP_VADDR));
	MAP(8 * SZ_1M, 4 * SZ_4K, pool(o, 0), VADDR, ENOENT);
	/* A range that cuts a mapping (v2) */
	UNMAP(SZ_2M + SZ_4K, SZ_4K, UNMAP_VADDR, EINVAL);
	/* Half invalid: the whole request fails, the first one stays valid */
	UNMAP(SZ_2M, 4 * SZ_4K, UNMAP_VADDR, 0);
	UNMAP(SZ_1M, SZ_2M, UNMAP_VADDR, EINVAL);
	MAP(SZ_1M, 2 * SZ_4K, pool(o, 8 * SZ_4K), VADDR, EINVAL);
	MAP(SZ_2M, 4 * SZ_4K, pool(o, 4 * SZ_4K), VADDR, 0);
	CHECK();
	/* Every mapping at once, and back */
	UNMAP(0, 0, UNMAP_VADDR | ALL, 0);
	MAP(SZ_2M, 4 * SZ_4K, pool(o, 4 * SZ_4K), VADDR, 0);
	MAP(SZ_1M, 2 * SZ_4K, pool(o, 8 * SZ_4K), VADDR, 0);
	CHECK();
	EXPECT_EQ(6 * SZ_4K, UNMAPPED(0, 0, ALL));
	CHECK();
}

/* Live update under v1's unmap rules: whole mappings from their start */
TEST_F_TIMEOUT(oracle, vaddr_update_v1, 300)
{
	struct oracle *o = self->o;

	ASSERT_EQ(0, oracle_begin(o, VFIO_TYPE1_IOMMU));
	ATTACH(G_M0, 0);
	MAP(SZ_1M, 2 * SZ_4K, pool(o, 0), RW, 0);
	MAP(SZ_1M + 2 * SZ_4K, 2 * SZ_4K, pool(o, 2 * SZ_4K), RW, 0);
	/* Starting inside the first: nothing */
	EXPECT_EQ(0, UNMAPPED(SZ_1M + SZ_4K, SZ_1M, UNMAP_VADDR));
	/* Covering the first page of each: both, whole */
	EXPECT_EQ(4 * SZ_4K, UNMAPPED(SZ_1M, 3 * SZ_4K, UNMAP_VADDR));
	CHECK();
	MAP(SZ_1M, 2 * SZ_4K, pool(o, 0), VADDR, 0);
	MAP(SZ_1M + 2 * SZ_4K, 2 * SZ_4K, pool(o, 2 * SZ_4K), VADDR, 0);
	EXPECT_EQ(2 * SZ_4K, UNMAPPED(SZ_1M, SZ_4K, 0));
	EXPECT_EQ(2 * SZ_4K, UNMAPPED(SZ_1M, SZ_1M, 0));
	CHECK();
}

#define START		VFIO_IOMMU_DIRTY_PAGES_FLAG_START
#define STOP		VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP
#define GET		VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP
#define GET_DIRTY	VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP
#define PAGES(n)	((uint64_t)(n) * SZ_4K)
/* Bytes of the bitmap of @npages: whole u64 words */
#define BYTES(npages)	(((npages) + 63) / 64 * 8)
#define BM(pgsize_, size_, off_, fill_) \
	((struct oracle_bitmap){ (pgsize_), (size_), (off_), (fill_) })
/* A bitmap of @npages pages, exactly sized, at the buffer's start */
#define BM_OK(npages, fill_)	BM(SZ_4K, BYTES(npages), 0, fill_)

#define DIRTY(flags_, iova_, size_, bm_, err_) \
	ostep(_metadata, o, OP(.kind = OP_DIRTY, .flags = (flags_), \
			       .iova = (iova_), .size = (size_), .bm = (bm_)), \
	      DIV_NONE, (err_))
#define DIRTY_CTL(flags_, err_) DIRTY(flags_, 0, 0, BM(0, 0, 0, 0), err_)
/* A report after others: type1's stale bits may show (DIV_DIRTY_STALE_BITS) */
#define DIRTY_AGAIN(flags_, iova_, size_, bm_, err_) \
	ostep(_metadata, o, OP(.kind = OP_DIRTY, .flags = (flags_), \
			       .iova = (iova_), .size = (size_), .bm = (bm_)), \
	      DIV_ANY_KNOWN, (err_))
#define UNMAP_BM(iova_, size_, bm_, err_) \
	ostep(_metadata, o, OP(.kind = OP_UNMAP, .iova = (iova_), \
			       .size = (size_), .flags = GET_DIRTY, \
			       .bm = (bm_)), DIV_NONE, (err_))

/*
 * Dirty bitmaps in type1's every-page mode (an edu and a mock instance 0
 * domain: neither tracks dirty pages), byte for byte, over buffers that
 * held zeroes, ones or noise before: ranges starting at a mapping or in a
 * hole before it, so that mappings start at every bit of a word (type1
 * shifts their bits there and keeps the word's lower bits), bitmaps
 * larger than needed or at odd addresses, unmaps that report.
 */
TEST_F_TIMEOUT(oracle, dirty_bitmaps, 300)
{
	static const uint8_t fills[] = { 0, 1, 77 };
	struct oracle *o = self->o;
	const uint64_t base = SZ_1M;
	unsigned int f, j;

	ASSERT_EQ(0, oracle_begin(o, VFIO_TYPE1v2_IOMMU));
	ATTACH(G_EDU, 0);
	ATTACH(G_M0, 0);
	MAP(base, PAGES(5), pool(o, 0), RW, 0);			/* M1: 0-4 */
	MAP(base + PAGES(70), PAGES(3), pool(o, 0), RD, 0);	/* M2: 70-72 */
	MAP(base + PAGES(130), PAGES(64), pool(o, 0), RW, 0);	/* M3: 130-193 */
	MAP(base + PAGES(200), PAGES(100), pool(o, 0), WR, 0);	/* M4: 200-299 */
	MAP(3 * SZ_1M, PAGES(1), pool(o, 0), RW, 0);		/* M5 */
	DIRTY(GET, base, PAGES(5), BM_OK(5, 0), EINVAL);	/* not yet */
	DIRTY_CTL(START, 0);

	/*
	 * The first report of each mapping, shifted or not: bit for bit.
	 * From holes before M2, M3 and M4 they start at bits 3, 63 and 5
	 * of a word, over noise: type1 keeps the word's lower bits.
	 */
	DIRTY(GET, base, PAGES(5), BM_OK(5, 77), 0);
	DIRTY(GET, base + PAGES(67), PAGES(233), BM_OK(233, 77), 0);
	for (f = 0; f < ARRAY_SIZE(fills); f++) {
		DIRTY_AGAIN(GET, base, PAGES(5), BM_OK(5, fills[f]), 0);
		DIRTY_AGAIN(GET, base, PAGES(300), BM_OK(300, fills[f]), 0);
		DIRTY_AGAIN(GET, base + PAGES(67), PAGES(233),
			    BM_OK(233, fills[f]), 0);
		DIRTY_AGAIN(GET, base + PAGES(5), PAGES(295),
			    BM_OK(295, fills[f]), 0);
		DIRTY_AGAIN(GET, base + PAGES(195), PAGES(105),
			    BM_OK(105, fills[f]), 0);
		DIRTY_AGAIN(GET, base + PAGES(70), PAGES(124),
			    BM_OK(124, fills[f]), 0);
		/* Larger than needed, at word and odd offsets */
		DIRTY_AGAIN(GET, base + PAGES(67), PAGES(233),
			    BM(SZ_4K, BYTES(233) + 24, 8, fills[f]), 0);
		for (j = 1; j < 8; j += 2)
			DIRTY_AGAIN(GET, base + PAGES(67), PAGES(233),
				    BM(SZ_4K, BYTES(233), j, fills[f]), 0);
		/* Nothing there: untouched */
		DIRTY(GET, 6 * SZ_1M, PAGES(64), BM_OK(64, fills[f]), 0);
	}
	/* Up to 2M, with M5 alone after a gap */
	DIRTY_AGAIN(GET, base, 3 * SZ_1M - base + PAGES(1),
		    BM_OK((3 * SZ_1M - base) / SZ_4K + 1, 77), 0);
	/* type1 reported pages of the holes after M2 and M4 */
	if (!o->type1_only)
		EXPECT_LT(0, o->div_hits[DIV_DIRTY_STALE_BITS]);
	CHECK();

	/* Unmaps that report, from holes: M2 (shift 3), M4 (shift 5) */
	ostep(_metadata, o, OP(.kind = OP_UNMAP, .iova = base + PAGES(67),
			       .size = PAGES(6), .flags = GET_DIRTY,
			       .bm = BM_OK(6, 77)), DIV_ANY_KNOWN, 0);
	ostep(_metadata, o, OP(.kind = OP_UNMAP, .iova = base + PAGES(195),
			       .size = PAGES(105), .flags = GET_DIRTY,
			       .bm = BM_OK(105, 1)), DIV_ANY_KNOWN, 0);
	UNMAP_BM(base, PAGES(194), BM_OK(194, 0), 0);
	CHECK();

	/* Mappings made while tracking, a domain joining and leaving */
	MAP(base + PAGES(10), PAGES(20), pool(o, 0), RW, 0);
	DIRTY(GET, base + PAGES(7), PAGES(23), BM_OK(23, 77), 0);
	ATTACH(G_M1, 0);
	DIRTY_AGAIN(GET, base, PAGES(64), BM_OK(64, 77), 0);
	DETACH(G_EDU, 0);
	DETACH(G_M0, 0);
	DIRTY_AGAIN(GET, base, PAGES(64), BM_OK(64, 77), 0);
	DIRTY_CTL(STOP, 0);
	DIRTY(GET, base, PAGES(64), BM_OK(64, 77), EINVAL);
	CHECK();
}

/* Every way to get a dirty page request wrong, with type1's errno */
TEST_F_TIMEOUT(oracle, dirty_bad_args, 300)
{
	static const uint32_t bad_flags[] = {
		0, START | STOP, START | GET, STOP | GET, 1 << 3, 1U << 31,
	};
	static const uint64_t bad_pgsizes[] = {
		0, 1, 0x800, 2 * SZ_4K, SZ_2M, 1ULL << 63,
	};
	struct oracle *o = self->o;
	unsigned int i;

	/* v1: no dirty tracking at all */
	ASSERT_EQ(0, oracle_begin(o, VFIO_TYPE1_IOMMU));
	ATTACH(G_M0, 0);
	MAP(SZ_1M, PAGES(4), pool(o, 0), RW, 0);
	DIRTY_CTL(START, EACCES);
	DIRTY(GET, SZ_1M, PAGES(4), BM_OK(4, 0), EACCES);
	UNMAP_BM(SZ_1M, PAGES(4), BM_OK(4, 0), EINVAL);
	oracle_end(o);
	ASSERT_FALSE(o->failed) TH_LOG("%s", o->why);

	ASSERT_EQ(0, oracle_begin(o, VFIO_TYPE1v2_IOMMU));
	ATTACH(G_M0, 0);
	MAP(SZ_1M, PAGES(4), pool(o, 0), RW, 0);
	MAP(SZ_2M, PAGES(4), pool(o, 0), RW, 0);
	UNMAP_BM(SZ_1M, PAGES(4), BM_OK(4, 0), EINVAL);	/* not started */
	DIRTY_CTL(STOP, 0);
	for (i = 0; i < ARRAY_SIZE(bad_flags); i++)
		DIRTY(bad_flags[i], SZ_1M, PAGES(4), BM_OK(4, 0), EINVAL);
	ostep(_metadata, o, OP(.kind = OP_DIRTY, .flags = START, .argsz = 7),
	      DIV_NONE, EINVAL);
	DIRTY_CTL(START, 0);
	DIRTY_CTL(START, 0);
	/* GET_BITMAP without its range, or a byte short of it */
	ostep(_metadata, o, OP(.kind = OP_DIRTY, .flags = GET, .argsz = 8,
			       .iova = SZ_1M, .size = PAGES(4),
			       .bm = BM_OK(4, 0)), DIV_NONE, EINVAL);
	ostep(_metadata, o, OP(.kind = OP_DIRTY, .flags = GET, .argsz = 39,
			       .iova = SZ_1M, .size = PAGES(4),
			       .bm = BM_OK(4, 0)), DIV_NONE, EINVAL);
	ostep(_metadata, o, OP(.kind = OP_DIRTY, .flags = GET, .argsz = 64,
			       .trailing = true, .iova = SZ_1M,
			       .size = PAGES(4), .bm = BM_OK(4, 77)),
	      DIV_NONE, 0);
	/* Page sizes but the smallest the container has */
	for (i = 0; i < ARRAY_SIZE(bad_pgsizes); i++) {
		DIRTY(GET, SZ_1M, PAGES(4), BM(bad_pgsizes[i], 4096, 0, 77),
		      EINVAL);
		UNMAP_BM(SZ_1M, PAGES(4), BM(bad_pgsizes[i], 4096, 0, 77),
			 EINVAL);
	}
	/* Bitmaps too small, empty, too large */
	DIRTY(GET, SZ_1M, PAGES(65), BM(SZ_4K, BYTES(65) - 1, 0, 1), EINVAL);
	DIRTY(GET, SZ_1M, PAGES(4), BM(SZ_4K, 0, 0, 1), EINVAL);
	DIRTY(GET, SZ_1M, PAGES(4), BM(SZ_4K, (1ULL << 28) + 8, 0, 1), EINVAL);
	UNMAP_BM(SZ_1M, PAGES(65), BM(SZ_4K, BYTES(65) - 1, 0, 1), EINVAL);
	UNMAP_BM(SZ_1M, PAGES(4), BM(SZ_4K, 0, 0, 1), EINVAL);
	/* Ranges: unaligned, empty, wrapping, cutting a mapping */
	DIRTY(GET, SZ_1M + 1, PAGES(4), BM_OK(4, 1), EINVAL);
	DIRTY(GET, SZ_1M, PAGES(4) + 1, BM_OK(5, 1), EINVAL);
	DIRTY(GET, SZ_1M, 0, BM_OK(4, 1), EINVAL);
	DIRTY(GET, TOP, PAGES(2), BM_OK(2, 1), EINVAL);
	DIRTY(GET, SZ_1M + SZ_4K, PAGES(3), BM_OK(3, 1), EINVAL);
	DIRTY(GET, SZ_1M, PAGES(2), BM_OK(2, 1), EINVAL);
	DIRTY(GET, SZ_1M - SZ_4K, PAGES(2), BM_OK(2, 1), EINVAL);
	UNMAP_BM(SZ_1M + SZ_4K, PAGES(3), BM_OK(3, 1), EINVAL);
	UNMAP_BM(SZ_1M + 1, PAGES(4), BM_OK(4, 1), EINVAL);
	/* Where the bitmap is: nowhere, in the kernel, at odd addresses */
	DIRTY(GET, SZ_1M, PAGES(4), BM(SZ_4K, 8, ORACLE_BM_NULL, 0), EFAULT);
	DIRTY(GET, 4 * SZ_1M, PAGES(4), BM(SZ_4K, 8, ORACLE_BM_NULL, 0), 0);
	DIRTY(GET, SZ_1M, PAGES(4), BM(SZ_4K, 8, ORACLE_BM_KERNEL, 0), EINVAL);
	DIRTY(GET, SZ_1M, PAGES(4), BM(SZ_4K, 8, 3, 77), 0);
	UNMAP_BM(SZ_1M, PAGES(4), BM(SZ_4K, 8, ORACLE_BM_KERNEL, 0), EINVAL);
	CHECK();
	/* GET_DIRTY_BITMAP with ALL or VADDR, or without its bitmap */
	ostep(_metadata, o, OP(.kind = OP_UNMAP, .flags = GET_DIRTY | ALL,
			       .bm = BM_OK(4, 0)), DIV_NONE, EINVAL);
	UNMAP(SZ_1M, PAGES(4), GET_DIRTY | UNMAP_VADDR, EINVAL);
	ostep(_metadata, o, OP(.kind = OP_UNMAP, .iova = SZ_1M,
			       .size = PAGES(4), .flags = GET_DIRTY,
			       .argsz = VFIO_UNMAP_MINSZ +
					sizeof(struct vfio_bitmap) - 1,
			       .bm = BM_OK(4, 0)), DIV_NONE, EINVAL);
	UNMAP_BM(SZ_1M, PAGES(4), BM(SZ_4K, 8, 5, 77), 0);
	/* A bitmap at 0: type1 cannot write it and keeps the mapping */
	UNMAP_BM(SZ_2M, PAGES(4), BM(SZ_4K, 8, ORACLE_BM_NULL, 0), EFAULT);
	UNMAP_BM(SZ_2M, PAGES(4), BM(2 * SZ_4K, 8, ORACLE_BM_NULL, 0), EINVAL);
	DIRTY_CTL(STOP, 0);
	UNMAP_BM(SZ_2M, PAGES(4), BM(SZ_4K, 8, ORACLE_BM_NULL, 0), EINVAL);
	CHECK();
}

/*
 * Where every vfio-mdom domain tracks dirty pages (mock instance 1 only),
 * its bitmaps hold what devices wrote: nothing here, so vfio-mdom leaves
 * the buffer as it was, where type1 reports every page mapped. A domain
 * that cannot track joining brings type1's answers back.
 */
TEST_F_TIMEOUT(oracle, dirty_iommu_mode, 300)
{
	struct oracle *o = self->o;

	ASSERT_EQ(0, oracle_begin(o, VFIO_TYPE1v2_IOMMU));
	ATTACH(G_M1, 0);
	MAP(SZ_1M, PAGES(8), pool(o, 0), RW, 0);
	MAP(SZ_1M + PAGES(70), PAGES(8), pool(o, 0), RW, 0);
	DIRTY_CTL(START, 0);
	ostep(_metadata, o, OP(.kind = OP_DIRTY, .flags = GET, .iova = SZ_1M,
			       .size = PAGES(78), .bm = BM_OK(78, 77)),
	      DIV_DIRTY_IOMMU, 0);
	ostep(_metadata, o, OP(.kind = OP_DIRTY, .flags = GET, .iova = SZ_1M,
			       .size = PAGES(8), .bm = BM_OK(8, 0)),
	      DIV_DIRTY_IOMMU, 0);
	/* Nothing there: neither writes */
	DIRTY(GET, SZ_2M, PAGES(8), BM_OK(8, 77), 0);
	/*
	 * A bitmap the kernel cannot write, though no page is dirty: EFAULT,
	 * as from type1, and the unmap that would report into it unmaps
	 * nothing. (A kernel address is type1's EINVAL, before any copy.)
	 */
	DIRTY(GET, SZ_1M, PAGES(78), BM(SZ_4K, BYTES(78), ORACLE_BM_NULL, 0),
	      EFAULT);
	DIRTY(GET, SZ_1M, PAGES(8), BM(SZ_4K, BYTES(8), ORACLE_BM_KERNEL, 0),
	      EINVAL);
	ostep(_metadata, o, OP(.kind = OP_UNMAP, .iova = SZ_1M + PAGES(70),
			       .size = PAGES(8), .flags = GET_DIRTY,
			       .bm = BM(SZ_4K, BYTES(8), ORACLE_BM_NULL, 0)),
	      DIV_NONE, EFAULT);
	CHECK();
	ostep(_metadata, o, OP(.kind = OP_UNMAP, .iova = SZ_1M + PAGES(70),
			       .size = PAGES(8), .flags = GET_DIRTY,
			       .bm = BM_OK(8, 1)),
	      DIV_DIRTY_IOMMU, 0);
	CHECK();
	ATTACH(G_M0, 0);
	DIRTY(GET, SZ_1M, PAGES(8), BM_OK(8, 77), 0);
	CHECK();
}

/* The migration capability of GET_INFO, as type1 builds it */
TEST_F_TIMEOUT(oracle, migration_capability, 300)
{
	static const int groups[] = { G_M1, G_M2, G_EDU, G_M0 };
	struct oracle *o = self->o;
	struct oracle_res r;
	unsigned int i, v;

	for (v = 0; v < 2; v++) {
		ASSERT_EQ(0, oracle_begin(o, v ? VFIO_TYPE1v2_IOMMU :
					  VFIO_TYPE1_IOMMU));
		for (i = 0; i < ARRAY_SIZE(groups); i++) {
			ATTACH(groups[i], 0);
			r = INFO(4096);
			ASSERT_EQ(0, r.err);
			EXPECT_TRUE(r.info.has_migration);
			EXPECT_EQ(1, r.info.mig_version);
			EXPECT_EQ(0, r.info.mig_flags);
			EXPECT_EQ(SZ_4K, r.info.mig_pgsizes);
			EXPECT_EQ(1ULL << 28, r.info.mig_max_bitmap);
			INFO(r.info.argsz - 1);
		}
		oracle_end(o);
		ASSERT_FALSE(o->failed) TH_LOG("%s", o->why);
	}
}

/* Dirty page tracking: the same answers to the same requests */
TEST_F_TIMEOUT(oracle, dirty_pages, 300)
{
	static const uint32_t flags[] = {
		VFIO_IOMMU_DIRTY_PAGES_FLAG_START,
		VFIO_IOMMU_DIRTY_PAGES_FLAG_START,
		VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP,
		VFIO_IOMMU_DIRTY_PAGES_FLAG_START |
		VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP,
		1 << 3,
		VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP,
		VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP,
	};
	struct oracle *o = self->o;
	unsigned int i, v;

	for (v = 0; v < 2; v++) {
		ASSERT_EQ(0, oracle_begin(o, v ? VFIO_TYPE1v2_IOMMU :
					  VFIO_TYPE1_IOMMU));
		ATTACH(G_M0, 0);
		ATTACH(G_M1, 0);	/* dirty-capable: not all are */
		MAP(SZ_1M, 4 * SZ_4K, pool(o, 0), RW, 0);
		for (i = 0; i < ARRAY_SIZE(flags); i++) {
			ostep(_metadata, o, OP(.kind = OP_IOCTL,
					       .arg = VFIO_IOMMU_DIRTY_PAGES,
					       .argsz = DIRTY_ARGSZ,
					       .flags = flags[i]),
			      DIV_NONE, -1);
			if (i == 1)
				UNMAP(SZ_1M, 4 * SZ_4K,
				      VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
				      -1);
		}
		ostep(_metadata, o, OP(.kind = OP_IOCTL,
				       .arg = VFIO_IOMMU_DIRTY_PAGES,
				       .argsz = 4,
				       .flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START),
		      DIV_NONE, -1);
		CHECK();
		oracle_end(o);
		ASSERT_FALSE(o->failed) TH_LOG("%s", o->why);
	}
}

/* ---- emulated groups: one device, so one side after the other ------------ */

/* What a container answers to CHECK_EXTENSION and GET_INFO */
struct answers {
	int err;		/* of setting the container up: 0, -errno */
	int ext[13];		/* CHECK_EXTENSION 0..12 */
	int info_err;
	struct oracle_info info;
	int map_err;
	struct oracle_info info_mapped;
};

static void answers_info(int fd, int *err, struct oracle_info *info)
{
	struct vfio_iommu_type1_info *raw;
	uint32_t len;

	memset(info, 0, sizeof(*info));
	*err = vfio_get_info_all(fd, &raw, &len);
	if (*err)
		return;
	oracle_parse_info((const uint8_t *)raw, len, info);
	free(raw);
}

/*
 * A container whose groups are @g[0..n-1] (the first sets the IOMMU),
 * served by vfio-mdom (@mdom) or type1: its answers, then a mapping and
 * GET_INFO again (DMA_AVAIL). A container with only emulated groups maps
 * without pinning, under both drivers.
 */
static void answers_of(bool mdom, const int *g, unsigned int n, void *buf,
		       struct answers *a)
{
	struct params ps = { 0 };
	int fd, gfd[2] = { -1, -1 };
	unsigned int i;

	memset(a, 0, sizeof(*a));
	fd = vfio_open_container();
	a->err = fd < 0 ? fd : mdom_set_backend(&ps, mdom) ? -EPERM : 0;
	for (i = 0; i < n && !a->err; i++) {
		gfd[i] = vfio_open_group(g[i]);
		a->err = gfd[i] < 0 ? gfd[i] :
			 vfio_attach(fd, gfd[i], !i, VFIO_TYPE1v2_IOMMU);
	}
	params_restore(&ps);
	if (!a->err && _mdom_backend(fd) != (mdom ? 0 : -ENOTTY))
		a->err = -EPROTO;
	for (i = 0; i < ARRAY_SIZE(a->ext) && !a->err; i++)
		a->ext[i] = vfio_check_extension(fd, i);
	if (!a->err) {
		answers_info(fd, &a->info_err, &a->info);
		a->map_err = _vfio_map(fd, SZ_1M, 4 * SZ_4K, buf, VFIO_RW);
		answers_info(fd, &a->info_err, &a->info_mapped);
	}
	for (i = 0; i < 2; i++)
		if (gfd[i] >= 0)
			close(gfd[i]);
	if (fd >= 0)
		close(fd);
}

/*
 * Containers with the mock's emulated (mdev-style) group: alone, then
 * with a mock IOMMU group joining it, then joining one. There is one
 * emulated device, so the two drivers are asked one after the other; the
 * answers to CHECK_EXTENSION and GET_INFO must be the same.
 */
TEST(emulated_groups_extensions_and_info)
{
	struct params limit = { 0 };
	struct mock_dev md;
	struct answers t, m;
	struct leak_mark mark;
	int emu, configs[3][2], i, e;
	unsigned int n[3] = { 1, 2, 2 };
	uint8_t *buf;

	if (!mdom_loaded() || !mock_loaded() || mdom_test_on_type1())
		SKIP(return, "needs vfio_mdom.ko and the mock IOMMU");
	emu = mock_emu_group(0);
	ASSERT_LE(0, emu) TH_LOG("the mock has no emulated device");
	ASSERT_EQ(0, mock_find_dev(0, 0, &md));
	configs[0][0] = emu;
	configs[1][0] = emu;
	configs[1][1] = md.group;
	configs[2][0] = md.group;
	configs[2][1] = emu;
	buf = mmap(NULL, 4 * SZ_4K, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	memset(buf, 1, 4 * SZ_4K);
	/* The default limits differ (type1_divergences.rst): DMA_AVAIL */
	ASSERT_EQ(0, params_set_both(&limit, "dma_entry_limit", "65535"));
	leak_mark(&mark);

	for (i = 0; i < 3; i++) {
		answers_of(false, configs[i], n[i], buf, &t);
		answers_of(true, configs[i], n[i], buf, &m);
		ASSERT_EQ(0, t.err) TH_LOG("type1 container %d", i);
		ASSERT_EQ(0, m.err) TH_LOG("vfio-mdom container %d", i);
		for (e = 0; e < (int)ARRAY_SIZE(t.ext); e++) {
			if (e == VFIO_TYPE1_NESTING_IOMMU)
				continue;	/* "extensions" */
			EXPECT_EQ(t.ext[e], m.ext[e]) {
				TH_LOG("container %d: CHECK_EXTENSION(%d)",
				       i, e);
			}
		}
		EXPECT_EQ(t.info_err, m.info_err);
		EXPECT_EQ(t.map_err, m.map_err);
		EXPECT_EQ(0, memcmp(&t.info, &m.info, sizeof(t.info))) {
			TH_LOG("container %d: GET_INFO flags 0x%x/0x%x pgsizes 0x%llx/0x%llx",
			       i, t.info.flags, m.info.flags,
			       ULL(t.info.pgsizes), ULL(m.info.pgsizes));
			TH_LOG("ranges %u/%u avail %u/%u migration %d/%d",
			       t.info.nr_ranges, m.info.nr_ranges,
			       t.info.avail, m.info.avail,
			       t.info.has_migration, m.info.has_migration);
		}
		EXPECT_EQ(0, memcmp(&t.info_mapped, &m.info_mapped,
				    sizeof(t.info)))
			TH_LOG("container %d: GET_INFO after a map", i);
	}
	EXPECT_EQ(0, params_restore(&limit));
	munmap(buf, 4 * SZ_4K);
	expect_no_leak(&mark, true);
}

/* ---- random ---------------------------------------------------------------- */

struct gen {
	uint64_t rng;
	struct oracle *o;
};

static uint64_t pick(struct gen *g, uint64_t n)
{
	return oracle_below(&g->rng, n);
}

static const struct oracle_map *random_map(struct gen *g)
{
	return g->o->nmaps ? &g->o->maps[pick(g, g->o->nmaps)] : NULL;
}

static void gen_map(struct gen *g, struct oracle_op *op)
{
	struct oracle *o = g->o;
	uint64_t pages, r = pick(g, 100), pool_pages = ORACLE_POOL_SIZE / SZ_4K;
	bool huge = false;

	op->kind = OP_MAP;
	if (r < 60) {
		pages = 1 + pick(g, 8);
	} else if (r < 90) {
		pages = 9 + pick(g, 56);
	} else if (r < 95) {
		pages = 512;
		huge = true;
	} else {
		pages = 65 + pick(g, 192);
	}
	op->size = pages * SZ_4K;

	r = pick(g, 100);
	if (r < 70)
		op->iova = pick(g, 16384) * SZ_4K;	/* the first 64 MiB */
	else if (r < 78)
		op->iova = (1ULL << 32) - 16 * SZ_1M + pick(g, 8192) * SZ_4K;
	else if (r < 84)
		op->iova = MSI_BASE - 4 * SZ_1M + pick(g, 2048) * SZ_4K;
	else if (r < 90)
		op->iova = (1ULL << 39) - 8 * SZ_1M + pick(g, 4096) * SZ_4K;
	else if (r < 94)
		op->iova = (1ULL << 48) - 8 * SZ_1M + pick(g, 4096) * SZ_4K;
	else if (r < 97)
		op->iova = 0 - (1 + pick(g, 4096)) * SZ_4K;
	else
		op->iova = oracle_rand(&g->rng) & ~0xfffULL;
	if (huge)
		op->iova &= ~(SZ_2M - 1);

	if (huge)
		op->vaddr = (uintptr_t)pool(o, pick(g, pool_pages / 512) * SZ_2M);
	else
		op->vaddr = (uintptr_t)pool(o, pick(g, pool_pages - pages + 1) *
					    SZ_4K);
	r = pick(g, 100);
	op->flags = r < 60 ? RW : r < 85 ? RD : WR;
	if (pick(g, 100) < 5 && pages <= ORACLE_RO_SIZE / SZ_4K) {
		op->vaddr = (uintptr_t)o->ro +
			    pick(g, ORACLE_RO_SIZE / SZ_4K - pages + 1) * SZ_4K;
		op->flags = pick(g, 2) ? RD : RW;
	} else if (pick(g, 100) < 2) {
		op->vaddr = (uintptr_t)o->hole;
	}

	if (pick(g, 100) >= 10)
		return;
	switch (pick(g, 10)) {	/* one bad or unusual argument */
	case 0:
		op->iova += 1 + pick(g, 4095);
		break;
	case 1:
		op->size += 1 + pick(g, 4095);
		break;
	case 2:
		op->vaddr += 1 + pick(g, 4095);
		break;
	case 3:
		op->size = 0;
		break;
	case 4:
		op->flags = pick(g, 2) ? 0 : VFIO_DMA_MAP_FLAG_VADDR;
		break;
	case 5:
		op->flags |= 1U << (3 + pick(g, 29));
		break;
	case 6:
		op->argsz = VFIO_MAP_MINSZ -
			    1 - pick(g, 4);
		break;
	case 7:
		op->argsz = 40 + pick(g, 64);
		op->trailing = true;
		break;
	case 8:
		/* Not user memory, possibly up to the very top */
		op->vaddr = 0 - SZ_4K * (1 + pick(g, 2));
		break;
	default:
		op->size = 0 - op->iova + SZ_4K * pick(g, 3);
		break;
	}
}

/*
 * The bitmap of a report of @size bytes: mostly right, sometimes too
 * small, empty or past type1's maximum, of the wrong page size, at an odd
 * address, NULL or in the kernel. Never claims more than the buffer holds
 * (a too large claim is refused before anything is written).
 */
static void gen_bitmap(struct gen *g, struct oracle_bitmap *bm, uint64_t size,
		       bool unmap)
{
	static const uint64_t pgsizes[] = { 0, 1, 2 * SZ_4K, SZ_2M, 1ULL << 63 };
	uint64_t bytes = (size / SZ_4K + 63) / 64 * 8, r = pick(g, 100);

	bm->pgsize = SZ_4K;
	bm->off = 0;
	bm->fill = pick(g, 256);
	bm->size = bytes;
	if (r < 10)
		bm->size += 8 * pick(g, 4);
	else if (r < 14)
		bm->size = bytes > 8 ? bytes - 1 - pick(g, 7) : 0;
	else if (r < 16)
		bm->size = 0;
	if (bm->size > ORACLE_BM_BYTES)
		bm->size = ORACLE_BM_BYTES;
	if (r >= 16 && r < 18)
		bm->size = (1ULL << 28) + 8 * (1 + pick(g, 4));
	if (pick(g, 100) < 5)
		bm->pgsize = pgsizes[pick(g, ARRAY_SIZE(pgsizes))];
	r = pick(g, 100);
	if (r < 8)
		bm->off = 1 + pick(g, 7);
	else if (r < 12)
		bm->off = 8 * pick(g, 32);
	else if (r < 14 && !unmap)
		bm->off = ORACLE_BM_NULL;	/* dirty_bad_args has unmaps */
	else if (r < 15)
		bm->off = ORACLE_BM_KERNEL;
}

/*
 * A range of whole mappings for a report: from a mapping's start or a
 * page of the hole before it (so the mapping starts anywhere in a bitmap
 * word) to the end of it or of one of the next few, or past it.
 */
static void gen_report_range(struct gen *g, struct oracle_op *op)
{
	struct oracle *o = g->o;
	const struct oracle_map *m = random_map(g), *m2;
	unsigned int i;

	if (!m || pick(g, 10) == 0) {
		op->iova = pick(g, 16384) * SZ_4K;
		op->size = (1 + pick(g, 512)) * SZ_4K;
		return;
	}
	i = m - o->maps;
	m2 = &o->maps[i + pick(g, o->nmaps - i < 4 ? o->nmaps - i : 4)];
	op->iova = m->iova - SZ_4K * pick(g, 130);
	if (op->iova > m->iova)
		op->iova = 0;
	op->size = m2->iova + m2->size - op->iova;
	if (pick(g, 3) == 0)
		op->size += SZ_4K * pick(g, 70);
}

/* VFIO_IOMMU_DIRTY_PAGES: START, STOP, a bitmap, or wrong flags */
static void gen_dirty(struct gen *g, struct oracle_op *op)
{
	static const uint32_t bad[] = {
		0,
		VFIO_IOMMU_DIRTY_PAGES_FLAG_START | VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP,
		VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP | VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP,
		1 << 3,
	};
	uint64_t r = pick(g, 100);

	op->kind = OP_DIRTY;
	if (r < 18) {
		op->flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START;
	} else if (r < 26) {
		op->flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP;
	} else if (r < 30) {
		op->flags = bad[pick(g, ARRAY_SIZE(bad))];
	} else {
		op->flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
		gen_report_range(g, op);
		gen_bitmap(g, &op->bm, op->size, false);
		if (pick(g, 100) < 4)
			op->iova += 1 + pick(g, 4095);
		else if (pick(g, 100) < 4)
			op->size += 1 + pick(g, 4095);
	}
}

/*
 * A new user address for a mapping whose address is invalid: mostly its
 * own range and its first address back, sometimes another address of the
 * pool, the wrong size or a mapping that is valid.
 */
static void gen_revalidate(struct gen *g, struct oracle_op *op)
{
	struct oracle *o = g->o;
	const struct oracle_map *m = NULL;
	unsigned int i, start = pick(g, o->nmaps);
	uint64_t r = pick(g, 100);

	for (i = 0; i < o->nmaps && !m; i++)
		if (o->maps[(start + i) % o->nmaps].invalid || r >= 90)
			m = &o->maps[(start + i) % o->nmaps];
	op->kind = OP_MAP;
	op->flags = VFIO_DMA_MAP_FLAG_VADDR;
	op->iova = m->iova;
	op->size = m->size;
	op->vaddr = m->vaddr;
	if (r < 15)
		op->vaddr = (uintptr_t)pool(o, pick(g, 512) * SZ_4K);
	else if (r < 20)
		op->size += SZ_4K;
	else if (r < 23)
		op->flags |= VFIO_DMA_MAP_FLAG_READ;
}

static void gen_unmap(struct gen *g, struct oracle_op *op)
{
	struct oracle *o = g->o;
	const struct oracle_map *m = random_map(g), *m2;
	uint64_t r = pick(g, 100);
	unsigned int i;

	op->kind = OP_UNMAP;
	if (m && r < 40) {
		op->iova = m->iova;
		op->size = m->size;
	} else if (m && r < 55) {
		i = m - o->maps;
		m2 = &o->maps[i + pick(g, o->nmaps - i < 5 ? o->nmaps - i : 5)];
		op->iova = m->iova - SZ_4K * pick(g, 2);
		op->size = m2->iova + m2->size - op->iova + SZ_4K * pick(g, 2);
	} else if (m && r < 65) {
		/* From its start, ending inside it or past it */
		op->iova = m->iova;
		op->size = SZ_4K * (1 + pick(g, m->size / SZ_4K + 4));
		/* Or from inside it */
		if (pick(g, 2))
			op->iova += SZ_4K * pick(g, m->size / SZ_4K);
	} else if (r < 76) {
		op->iova = pick(g, 16384) * SZ_4K;
		op->size = (1 + pick(g, 512)) * SZ_4K;
	} else if (r < 79) {
		op->flags = ALL;
	} else if (r < 84) {
		op->iova = m ? m->iova : pick(g, 16384) * SZ_4K;
		op->size = 0 - op->iova;
	} else if (r < 90) {
		/* Reporting dirty pages */
		gen_report_range(g, op);
		op->flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
		gen_bitmap(g, &op->bm, op->size, true);
	} else {
		op->iova = pick(g, 16384) * SZ_4K;
		op->size = (1 + pick(g, 64)) * SZ_4K;
		switch (pick(g, 8)) {
		case 0:
			op->iova += 1 + pick(g, 4095);
			break;
		case 1:
			op->size += 1 + pick(g, 4095);
			break;
		case 2:
			op->size = 0;
			break;
		case 3:
			op->iova = TOP - SZ_4K * pick(g, 4);
			op->size = 8 * SZ_4K;
			break;
		case 4:
			op->flags = 1U << (3 + pick(g, 29));
			break;
		case 5:
			op->flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP |
				    (pick(g, 2) ? ALL : 0);
			break;
		case 6:
			op->flags = ALL;
			if (pick(g, 2))
				op->iova = 0;
			break;
		default:
			op->argsz = VFIO_UNMAP_MINSZ - 1 - pick(g, 8);
			break;
		}
	}
	if (op->flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP)
		return;
	/* Invalidating user addresses instead (live update) */
	if (!op->flags && !op->argsz && pick(g, 100) < 12)
		op->flags = VFIO_DMA_UNMAP_FLAG_VADDR |
			    (op->iova || op->size || pick(g, 4) ?
			     0 : VFIO_DMA_UNMAP_FLAG_ALL);
	if (op->flags == VFIO_DMA_UNMAP_FLAG_ALL && pick(g, 100) < 15)
		op->flags |= VFIO_DMA_UNMAP_FLAG_VADDR;
}

static void gen_op(struct gen *g, struct oracle_op *op)
{
	static const uint32_t info_sizes[] = { 0, 15, 16, 20, 24, 32, 48, 64,
					       88, 96, 112, 120, 4096 };
	static const unsigned long ioctls[] = {
		_IO(VFIO_TYPE, VFIO_BASE + 3),	/* a group ioctl */
		_IO(VFIO_TYPE, VFIO_BASE + 50),
		_IO(VFIO_TYPE, 150),
		_IO('x', 1),
	};
	/*
	 * VFIO_TYPE1_IOMMU, VFIO_TYPE1v2_IOMMU, VFIO_TYPE1_NESTING_IOMMU (not
	 * vfio-mdom's: type1's on both sides) and ones nobody implements
	 */
	static const unsigned long set_types[] = { 1, 3, 6, 0, 2, 8, 42 };
	struct oracle *o = g->o;
	struct oracle_side *md = &o->side[ORACLE_MDOM];
	uint64_t r = pick(g, 100);

	memset(op, 0, sizeof(*op));
	if (!md->nattached) {
		/* No group, so no IOMMU driver: mostly attach */
		if (r < 80) {
			op->kind = r < 70 ? OP_ATTACH : OP_CHECK_EXT;
			op->group = pick(g, ORACLE_NR_GROUPS);
			op->arg = pick(g, 13);
		} else if (r < 88) {
			gen_map(g, op);
		} else if (r < 94) {
			gen_unmap(g, op);
		} else {
			op->kind = OP_SET_IOMMU;
			op->arg = set_types[pick(g, ARRAY_SIZE(set_types))];
		}
		return;
	}
	if (!md->iommu_set && r < 40) {
		/* Groups but no IOMMU driver yet (no auto SET_IOMMU) */
		op->kind = OP_SET_IOMMU;
		op->arg = set_types[pick(g, ARRAY_SIZE(set_types))];
		if (pick(g, 2))
			op->arg = o->side[ORACLE_MDOM].type;
		return;
	}
	if (o->mapped_pages > 512 && r < 70)
		r = 40;		/* unmap */
	if (oracle_model_invalid(o) && pick(g, 100) < 25) {
		gen_revalidate(g, op);
		return;
	}
	if (pick(g, 100) < 8) {
		gen_dirty(g, op);
		return;
	}

	if (r < 34) {
		gen_map(g, op);
	} else if (r < 60) {
		gen_unmap(g, op);
	} else if (r < 70) {
		op->kind = OP_GET_INFO;
		op->argsz = info_sizes[pick(g, ARRAY_SIZE(info_sizes))];
	} else if (r < 75) {
		op->kind = OP_CHECK_EXT;
		op->arg = pick(g, 10) ? pick(g, 13) : 1000;
	} else if (r < 86) {
		op->kind = OP_ATTACH;
		op->group = pick(g, ORACLE_NR_GROUPS);
		/*
		 * Not while user addresses are invalid: type1 refuses with
		 * EBUSY whatever vfio-mdom's answer would be (the
		 * vaddr_update scenario has the divergence)
		 */
		if (oracle_model_invalid(o))
			op->kind = OP_GET_INFO;
	} else if (r < 95) {
		op->kind = OP_DETACH;
		op->group = pick(g, ORACLE_NR_GROUPS);
		/* Rarely the last one: every mapping goes with it */
		if (md->nattached == 1 && md->g[op->group].attached &&
		    pick(g, 4))
			op->group = (op->group + 1) % ORACLE_NR_GROUPS;
	} else if (r < 97) {
		op->kind = OP_SET_IOMMU;
		op->arg = set_types[pick(g, ARRAY_SIZE(set_types))];
	} else {
		op->kind = OP_IOCTL;
		op->arg = ioctls[pick(g, ARRAY_SIZE(ioctls))];
	}
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : dflt;
}

#define HISTORY	16

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

TEST_F_TIMEOUT(oracle, random, 600)
{
	struct oracle *o = self->o;
	uint64_t seed, nops, i, segment_end = 0;
	double start = now_s(), budget, t_step = 0, t_check = 0, t0;
	char history[HISTORY][256];
	struct oracle_res mres;
	struct timespec ts;
	struct gen g;
	int div;

	clock_gettime(CLOCK_REALTIME, &ts);
	seed = env_u64("ORACLE_SEED", ts.tv_sec ^ ts.tv_nsec ^ getpid());
	nops = env_u64("ORACLE_OPS", 10000);
	budget = env_u64("ORACLE_BUDGET", 300);
	ksft_print_msg("oracle: seed %llu (ORACLE_SEED=%llu ORACLE_OPS=%llu to replay)\n",
		       ULL(seed), ULL(seed), ULL(nops));
	g.rng = seed * 2 + 1;
	g.o = o;

	for (i = 0; i < nops; i++) {
		struct oracle_op op;

		if (!(i % 500) && i)
			ksft_print_msg("oracle: %llu operations, %.0f s (%.0f s comparing)\n",
				       ULL(i), now_s() - start, t_check);
		if (!(i % 100) && i) {
			/*
			 * A guest slowed down by a loaded host must not hit
			 * the harness's time limit: stop, saying so.
			 */
			if (now_s() - start > budget) {
				ksft_print_msg("oracle: budget of %.0f s spent after %llu ops\n",
					       budget, ULL(i));
				break;
			}
		}

		if (i == segment_end) {
			/* A new pair of containers every few hundred ops */
			if (i) {
				oracle_check_domains(o);
				oracle_end(o);
				if (o->failed)
					break;
			}
			ASSERT_EQ(0, oracle_begin(o, pick(&g, 10) < 3 ?
						  VFIO_TYPE1_IOMMU :
						  VFIO_TYPE1v2_IOMMU));
			/* Now and then VFIO_SET_IOMMU is an operation */
			if (pick(&g, 10) < 2) {
				o->side[ORACLE_TYPE1].auto_set_iommu = false;
				o->side[ORACLE_MDOM].auto_set_iommu = false;
			}
			segment_end = i + 200 + pick(&g, 400);
		}
		gen_op(&g, &op);
		oracle_op_str(o, &op, history[i % HISTORY], 256);
		t0 = now_s();
		div = oracle_step(o, &op, NULL, &mres);
		t_step += now_s() - t0;
		if (div == DIV_UNEXPECTED)
			break;
		/* After every change of domains, and every so often */
		t0 = now_s();
		if (((op.kind == OP_ATTACH || op.kind == OP_DETACH) &&
		     !mres.err) || !(i % 48))
			oracle_check_domains(o);
		t_check += now_s() - t0;
		if (o->failed)
			break;
	}
	if (!o->failed) {
		oracle_check_domains(o);
		oracle_end(o);
	}
	if (o->failed) {
		uint64_t k, first = i >= HISTORY ? i - HISTORY + 1 : 0;

		for (k = first; k <= i && k < nops; k++)
			TH_LOG("op %llu: %s", ULL(k), history[k % HISTORY]);
		TH_LOG("seed %llu, op %llu: %s", ULL(seed), ULL(i), o->why);
	}
	ASSERT_FALSE(o->failed);
	ksft_print_msg("oracle: %llu operations (%.0f s), %lu deep checks (%.0f s), seed %llu\n",
		       ULL(i), t_step, o->checks, t_check, ULL(seed));
}

TEST_HARNESS_MAIN
