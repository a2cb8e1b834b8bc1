// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom selftest: a real IOMMU's page tables, read as the IOMMU reads
 * them.
 *
 * QEMU's emulated Intel IOMMU walks the second-stage page table the
 * kernel's Intel driver builds for the domain of an edu device; the
 * kernel prints that table in debugfs (IOMMU_DEBUGFS,
 * INTEL_IOMMU_DEBUGFS: iommu/intel/<BDF>/domain_translation_struct,
 * intel_pt_read() in lib/edu.c). After vfio-mdom replays a container's
 * mappings into a new Intel domain, every page of every mapping must be
 * there, pointing at the physical page of the user's memory (from
 * /proc/self/pagemap), readable, writable only if mapped so, snooped if
 * the IOMMU has snoop control (its ecap in sysfs, with which vfio-mdom's
 * report of the domain must agree), and nothing else may be mapped. Memory
 * backed by transparent huge pages or hugetlb pages is mapped with 2 MiB
 * leaves: vfio-mdom maps each physically contiguous run with one
 * iommu_map(), and the driver uses the largest page it can.
 *
 * Then the edu device copies through the replayed mappings, across 4 KiB
 * and 2 MiB pages, and what it wrote is in the user's memory.
 */
#include "mdom_test.h"

/* IOVAs: below the edu's 28-bit DMA limit, 2 MiB aligned */
#define IOVA_SMALL	0x200000ULL
#define IOVA_RO		0x400000ULL
#define IOVA_THP	0x800000ULL
#define IOVA_HUGE	0x1000000ULL
#define SMALL_PAGES	16
#define LARGE_SIZE	(2 * SZ_2M)
#define HUGETLB_PAGES	2
#define NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"

enum region_id { SMALL, RO, THP, HUGE, NR_REGIONS };

struct region {
	const char *name;
	uint64_t iova;
	size_t len;
	uint32_t flags;		/* VFIO_DMA_MAP_FLAG_* */
	uint64_t leaf;		/* the IOMMU page size it must get */
	uint8_t *mem;		/* len bytes */
	void *area;		/* what to munmap() */
	size_t area_len;
	uint64_t *phys;		/* per 4 KiB page */
	bool mapped;
};

struct intel_ctx {
	int fd;
	int edu_gfd, mock_gfd;
	bool joined;
	struct edu_dev edu;
	struct mock_dev mock;
	struct region r[NR_REGIONS];
	char nr_hugepages[32];
	bool hugepages_changed;
	struct leak_mark mark;
	bool ready;
};

FIXTURE(intel)
{
	struct intel_ctx t;
};

/* 2 MiB aligned anonymous memory of @len, with @advice (madvise()) */
static uint8_t *aligned_anon(struct region *r, size_t len, int advice)
{
	uint8_t *p;

	r->area_len = len + SZ_2M;
	r->area = mmap(NULL, r->area_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r->area == MAP_FAILED) {
		r->area = NULL;
		return NULL;
	}
	p = (uint8_t *)(((uintptr_t)r->area + SZ_2M - 1) & ~(SZ_2M - 1));
	if (madvise(p, len, advice))
		return NULL;
	return p;
}

static void region_init(struct region *r, const char *name, uint64_t iova,
			size_t len, uint32_t flags, uint64_t leaf)
{
	r->name = name;
	r->iova = iova;
	r->len = len;
	r->flags = flags;
	r->leaf = leaf;
}

/* Touch every page (a distinct byte pattern), then read its addresses. */
static int region_fill(struct region *r, uint8_t seed)
{
	pattern_fill(r->mem, r->len, seed);
	r->phys = calloc(r->len / PG, sizeof(*r->phys));
	if (!r->phys)
		return -ENOMEM;
	return pagemap_phys(r->mem, r->len / PG, r->phys);
}

/* Is every 2 MiB of @r one physically contiguous, aligned page? */
static bool region_huge(const struct region *r)
{
	size_t i, n = r->len / PG, per = SZ_2M / PG;

	for (i = 0; i < n; i++) {
		if (r->phys[i] == UINT64_MAX)
			return false;
		if (i % per == 0 ? r->phys[i] % SZ_2M :
				   r->phys[i] != r->phys[i - 1] + PG)
			return false;
	}
	return true;
}

FIXTURE_SETUP(intel)
{
	struct intel_ctx *t = &self->t;
	struct region *r = t->r;
	long want;
	int i;

	t->fd = -1;
	t->edu_gfd = -1;
	t->mock_gfd = -1;
	t->edu.device_fd = -1;
	if (!mdom_loaded())
		SKIP(return, "vfio_mdom.ko is not loaded");
	if (!mock_loaded())
		SKIP(return, "the mock IOMMU (vfio_mdom_mock_iommu) is not loaded");
	if (edu_find(0, &t->edu))
		SKIP(return, "no edu device bound to vfio-pci");
	if (!intel_pt_available(t->edu.bdf))
		SKIP(return, "no Intel IOMMU page tables in debugfs (CONFIG_INTEL_IOMMU_DEBUGFS)");
	ASSERT_EQ(0, mock_find_dev(0, 0, &t->mock));

	region_init(&r[SMALL], "4 KiB pages", IOVA_SMALL, SMALL_PAGES * PG,
		    VFIO_RW, PG);
	region_init(&r[RO], "read-only page", IOVA_RO, PG,
		    VFIO_DMA_MAP_FLAG_READ, PG);
	region_init(&r[THP], "transparent huge pages", IOVA_THP, LARGE_SIZE,
		    VFIO_RW, SZ_2M);
	region_init(&r[HUGE], "hugetlb pages", IOVA_HUGE, LARGE_SIZE,
		    VFIO_RW, SZ_2M);

	r[SMALL].mem = aligned_anon(&r[SMALL], r[SMALL].len, MADV_NOHUGEPAGE);
	r[RO].mem = aligned_anon(&r[RO], r[RO].len, MADV_NOHUGEPAGE);
	r[THP].mem = aligned_anon(&r[THP], r[THP].len, MADV_HUGEPAGE);
	ASSERT_NE(NULL, r[SMALL].mem);
	ASSERT_NE(NULL, r[RO].mem);
	ASSERT_NE(NULL, r[THP].mem) TH_LOG("THP: %s", strerror(errno));

	/* Two more 2 MiB hugetlb pages than the system had */
	ASSERT_EQ(0, read_line(NR_HUGEPAGES, t->nr_hugepages,
			       sizeof(t->nr_hugepages)));
	want = strtol(t->nr_hugepages, NULL, 10) + HUGETLB_PAGES;
	{
		char val[32];

		snprintf(val, sizeof(val), "%ld", want);
		ASSERT_EQ(0, write_file(NR_HUGEPAGES, val));
		t->hugepages_changed = true;
	}
	r[HUGE].area_len = LARGE_SIZE;
	r[HUGE].area = mmap(NULL, LARGE_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
			    (21 << MAP_HUGE_SHIFT), -1, 0);
	ASSERT_NE(MAP_FAILED, r[HUGE].area) {
		r[HUGE].area = NULL;
		TH_LOG("hugetlb: %s (%ld 2 MiB pages asked)", strerror(errno),
		       want);
	}
	r[HUGE].mem = r[HUGE].area;

	for (i = 0; i < NR_REGIONS; i++)
		ASSERT_EQ(0, region_fill(&r[i], i + 1));
	ASSERT_TRUE(region_huge(&r[THP])) {
		TH_LOG("the THP region is not backed by 2 MiB pages (transparent_hugepage off?)");
	}
	ASSERT_TRUE(region_huge(&r[HUGE]));

	leak_mark(&t->mark);
	t->fd = vfio_open_container();
	ASSERT_LE(0, t->fd);
	t->edu_gfd = vfio_open_group(t->edu.group);
	ASSERT_LE(0, t->edu_gfd);
	t->mock_gfd = vfio_open_group(t->mock.group);
	ASSERT_LE(0, t->mock_gfd);
	t->ready = true;
}

FIXTURE_TEARDOWN(intel)
{
	struct intel_ctx *t = &self->t;
	int i;

	edu_close(&t->edu);
	if (t->fd >= 0)
		close(t->fd);
	if (t->edu_gfd >= 0)
		close(t->edu_gfd);
	if (t->mock_gfd >= 0)
		close(t->mock_gfd);
	for (i = 0; i < NR_REGIONS; i++) {
		if (t->r[i].area)
			munmap(t->r[i].area, t->r[i].area_len);
		free(t->r[i].phys);
	}
	if (t->hugepages_changed)
		write_file(NR_HUGEPAGES, t->nr_hugepages);
	if (t->ready)
		expect_no_leak(&t->mark, false);
}

static void join(struct __test_metadata *_metadata,
		 struct intel_ctx *t, int group_fd)
{
	ASSERT_EQ(0, vfio_attach(t->fd, group_fd, !t->joined,
				 VFIO_TYPE1v2_IOMMU));
	if (!t->joined)
		expect_backend_mdom(t->fd);
	t->joined = true;
}

static void map_region(struct __test_metadata *_metadata,
		       struct intel_ctx *t, enum region_id i)
{
	struct region *r = &t->r[i];

	ASSERT_EQ(0, _vfio_map(t->fd, r->iova, r->len, r->mem, r->flags))
		TH_LOG("%s", r->name);
	r->mapped = true;
}

static void unmap_region(struct __test_metadata *_metadata,
			 struct intel_ctx *t, enum region_id i)
{
	vfio_unmap(t->fd, t->r[i].iova, t->r[i].len);
	t->r[i].mapped = false;
}

/* The leaf of @pt (@n leaves) translating @iova, or NULL */
static const struct intel_pte *pt_find(const struct intel_pte *pt, long n,
				       uint64_t iova)
{
	long i;

	for (i = 0; i < n; i++)
		if (iova >= pt[i].iova && iova - pt[i].iova < pt[i].size)
			return &pt[i];
	return NULL;
}

/*
 * The Intel domain of the edu device holds exactly the mapped regions:
 * each page at its physical address, with the leaf size, permissions and
 * snooping expected; no other leaf.
 */
static void expect_intel_pt(struct __test_metadata *_metadata,
			    struct intel_ctx *t, bool snoop)
{
	const struct intel_pte *e;
	struct intel_pte *pt = NULL;
	long n, leaves = 0;
	uint64_t off, want;
	int i;

	n = intel_pt_read(t->edu.bdf, &pt);
	ASSERT_LE(0, n) TH_LOG("%s: %s", t->edu.bdf, strerror(-n));
	for (i = 0; i < NR_REGIONS; i++) {
		const struct region *r = &t->r[i];

		if (!r->mapped)
			continue;
		leaves += r->len / r->leaf;
		for (off = 0; off < r->len; off += PG) {
			e = pt_find(pt, n, r->iova + off);
			ASSERT_NE(NULL, e) {
				TH_LOG("%s: IOVA 0x%llx not in the Intel page table",
				       r->name, ULL(r->iova + off));
			}
			EXPECT_EQ(r->leaf, e->size) {
				TH_LOG("%s: IOVA 0x%llx in a leaf of 0x%llx",
				       r->name, ULL(r->iova + off), ULL(e->size));
			}
			want = r->phys[off / PG];
			EXPECT_EQ(want, e->phys + (r->iova + off - e->iova)) {
				TH_LOG("%s: IOVA 0x%llx", r->name,
				       ULL(r->iova + off));
			}
			EXPECT_EQ(INTEL_PTE_READ, e->val & INTEL_PTE_READ);
			EXPECT_EQ(r->flags & VFIO_DMA_MAP_FLAG_WRITE ?
				  INTEL_PTE_WRITE : 0,
				  e->val & INTEL_PTE_WRITE) {
				TH_LOG("%s: entry 0x%llx", r->name,
				       ULL(e->val));
			}
			EXPECT_EQ(snoop ? INTEL_PTE_SNP : 0,
				  e->val & INTEL_PTE_SNP) {
				TH_LOG("%s: entry 0x%llx", r->name,
				       ULL(e->val));
			}
			if (_metadata->exit_code != KSFT_PASS)
				goto out;
		}
	}
	EXPECT_EQ(leaves, n) TH_LOG("leaves in the Intel page table");
out:
	free(pt);
}

/* Does vfio-mdom report the edu device's domain as enforcing coherency? */
static bool edu_domain_cc(struct __test_metadata *_metadata,
			  struct intel_ctx *t)
{
	struct vfio_mdom_domain_info *d;
	struct mdom_state st;

	mdom_query(t->fd, &st);
	d = mdom_state_domain(&st, mdom_state_group_domain(&st,
							   t->edu.group));
	EXPECT_NE(NULL, d) TH_LOG("no domain for the edu device's group");
	return d && (d->flags & VFIO_MDOM_DOMAIN_ENFORCE_CC);
}

/*
 * Must every leaf of the edu device's domain be snooped? VFIO asks each
 * domain to enforce cache coherency, and the Intel driver does, with SNP
 * in every second-stage leaf, exactly when the IOMMU has Snoop Control
 * (ECAP.SC): the IOMMU's capability decides, not vfio-mdom's report of
 * the domain, which must agree with it.
 */
static bool edu_snoop_expected(struct __test_metadata *_metadata,
			       struct intel_ctx *t)
{
	uint64_t ecap;
	bool sc;
	int ret;

	ret = intel_iommu_ecap(t->edu.bdf, &ecap);
	ASSERT_EQ(0, ret) {
		TH_LOG("%s: the IOMMU's ecap: %s", t->edu.bdf, strerror(-ret));
	}
	/* With first-stage tables only, snooping is not in the leaves */
	ASSERT_FALSE((ecap & INTEL_ECAP_SMTS) && (ecap & INTEL_ECAP_FLTS) &&
		     !(ecap & INTEL_ECAP_SLTS)) {
		TH_LOG("ecap 0x%llx: first-stage tables only", ULL(ecap));
	}
	sc = ecap & INTEL_ECAP_SC;
	EXPECT_EQ(sc, edu_domain_cc(_metadata, t)) {
		TH_LOG("ecap 0x%llx: snoop control %d, vfio-mdom says %d",
		       ULL(ecap), sc, !sc);
	}
	return sc;
}

/*
 * The edu device copies @len bytes at @src_off of region @src into
 * region @dst at @dst_off, through the IOMMU; the user's memory has them.
 */
static void edu_copy(struct __test_metadata *_metadata,
		     struct intel_ctx *t, enum region_id src,
		     uint64_t src_off, enum region_id dst, uint64_t dst_off,
		     unsigned int len)
{
	const struct region *s = &t->r[src], *d = &t->r[dst];

	memset(d->mem + dst_off, 0, len);
	ASSERT_EQ(0, edu_read_ram(&t->edu, s->iova + src_off, 0, len));
	ASSERT_EQ(0, edu_write_ram(&t->edu, 0, d->iova + dst_off, len));
	EXPECT_EQ(0, memcmp(d->mem + dst_off, s->mem + src_off, len)) {
		TH_LOG("edu copy %s+0x%llx -> %s+0x%llx", s->name,
		       ULL(src_off), d->name, ULL(dst_off));
	}
}

/* Copies across a 4 KiB page, a 2 MiB page, and from read-only memory */
static void edu_copies(struct __test_metadata *_metadata,
		       struct intel_ctx *t)
{
	ASSERT_EQ(0, edu_open(&t->edu, t->edu_gfd));
	ASSERT_EQ(0, edu_bus_master(&t->edu, true));
	edu_copy(_metadata, t, SMALL, 3 * PG - 1000, THP, SZ_2M - 1500,
		 3000);
	edu_copy(_metadata, t, THP, SZ_2M + 5 * PG + 8, HUGE,
		 SZ_2M - 700, 2500);
	edu_copy(_metadata, t, HUGE, 17, SMALL, 9 * PG - 512, 1024);
	edu_copy(_metadata, t, RO, 100, HUGE, 3 * SZ_2M / 2, 3500);
	edu_close(&t->edu);
}

/*
 * A mock group first (the container's IOMMU), every region mapped, then
 * the edu's group: a new Intel domain, filled by the replay.
 */
TEST_F_TIMEOUT(intel, replay, 240)
{
	struct intel_ctx *t = &self->t;
	struct mdom_state st;
	bool snoop;
	int i;

	join(_metadata, t, t->mock_gfd);
	for (i = 0; i < NR_REGIONS; i++)
		map_region(_metadata, t, i);
	join(_metadata, t, t->edu_gfd);
	mdom_query(t->fd, &st);
	ASSERT_EQ(2, st.q.num_domains);
	snoop = edu_snoop_expected(_metadata, t);
	expect_intel_pt(_metadata, t, snoop);
	edu_copies(_metadata, t);

	/* Unmapped: gone from the table; mapped again: straight into it */
	unmap_region(_metadata, t, THP);
	expect_intel_pt(_metadata, t, snoop);
	map_region(_metadata, t, THP);
	expect_intel_pt(_metadata, t, snoop);
	edu_copies(_metadata, t);

	vfio_unmap_all(t->fd);
	for (i = 0; i < NR_REGIONS; i++)
		t->r[i].mapped = false;
	expect_intel_pt(_metadata, t, snoop);
}

/*
 * The edu's group first: the Intel domain is the container's first and
 * the mappings go straight into it; the mock's domain comes later.
 */
TEST_F_TIMEOUT(intel, intel_first, 240)
{
	struct intel_ctx *t = &self->t;
	bool snoop;
	int i;

	join(_metadata, t, t->edu_gfd);
	snoop = edu_snoop_expected(_metadata, t);
	for (i = 0; i < NR_REGIONS; i++)
		map_region(_metadata, t, i);
	expect_intel_pt(_metadata, t, snoop);
	join(_metadata, t, t->mock_gfd);
	expect_intel_pt(_metadata, t, snoop);
	edu_copies(_metadata, t);
	EXPECT_EQ(0, mock_domain_covers(mock_dev_domain(0, 0), IOVA_THP,
					LARGE_SIZE,
					MOCK_PROT_RW | MOCK_PROT_CACHE,
					t->r[THP].mem));
}

TEST_HARNESS_MAIN
