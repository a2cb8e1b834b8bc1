// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom selftest: VFIO containers (/dev/vfio/vfio) served by vfio-mdom
 * with one, two and three heterogeneous IOMMU domains.
 *
 *   one_domain     a mock device of instance 0 (4K pages, 39-bit aperture,
 *                  enforces coherency, MSI window reserved)
 *   two_domains    plus a mock device of instance 1 (4K|2M|1G, 48 bits,
 *                  no coherency enforcement): they cannot share a domain
 *   three_domains  an edu device behind the Intel vIOMMU (vfio-pci) first,
 *                  then the two mock devices
 *
 * Each variant also has a spare group, the second device of mock instance
 * 0, which joins the domain of the first. Groups join with
 * VFIO_GROUP_SET_CONTAINER; the first is followed by VFIO_SET_IOMMU, as in
 * every VMM, so "mappings made before an attach" are made after the first
 * group joined and before a later one did. When the last group leaves,
 * VFIO releases the IOMMU driver and every mapping with it.
 *
 * The translations of mock domains are read from the mock's debugfs and
 * the mock devices "DMA" through them; the Intel domain is checked through
 * VFIO_MDOM_QUERY (edu_dma_test.c makes it DMA). Every test ends
 * (teardown) checking that nothing stays pinned or charged, that the mock's
 * error counters did not move and that no mock domain or translation
 * outlives the container.
 *
 * VFIO_MDOM_TEST_BACKEND=type1 runs the same tests on the kernel's type1
 * (lib/mdom.c), leaving out the checks of vfio-mdom's own interfaces.
 */
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>

#include "mdom_test.h"

/* Up to three devices of distinct domains, the spare and the other */
#define MAX_DEVS	5
#define BUF_PAGES	64

struct test_dev {
	bool edu;
	int inst;		/* mock instance, or -1 */
	int idx;		/* device within the instance */
	int group;		/* IOMMU group: /dev/vfio/<group> */
	char name[64];		/* mock device name, or the edu's BDF */
};

/*
 * The fixture, in a struct of its own so that helpers can take it.
 * devs[0 .. ndevs - 1] need a domain each; devs[SPARE] is mock device 0.1,
 * which shares mock 0.0's domain; devs[OTHER] is mock device 1.1, the new
 * domain of the one-domain variant's replay test.
 */
struct ctx {
	int fd;			/* the container */
	bool mdom;		/* served by vfio-mdom (not the type1 run) */
	unsigned int ndevs;
	struct test_dev devs[MAX_DEVS];
	int gfd[MAX_DEVS];
	bool attached[MAX_DEVS];
	unsigned int nattached;
	struct leak_mark mark;
	uint8_t *buf;
	size_t pg;
};

#define SPARE(t)	((t)->ndevs)
#define OTHER(t)	((t)->ndevs + 1)

FIXTURE(container)
{
	struct ctx t;
};

FIXTURE_VARIANT(container)
{
	unsigned int ndevs;
	bool edu;
};

FIXTURE_VARIANT_ADD(container, one_domain)
{
	.ndevs = 1,
};

FIXTURE_VARIANT_ADD(container, two_domains)
{
	.ndevs = 2,
};

FIXTURE_VARIANT_ADD(container, three_domains)
{
	.ndevs = 3,
	.edu = true,
};

static int mock_test_dev(struct test_dev *d, int inst, int idx)
{
	struct mock_dev md;
	int ret = mock_find_dev(inst, idx, &md);

	if (ret)
		return ret;
	d->inst = inst;
	d->idx = idx;
	d->group = md.group;
	str_copy(d->name, md.name, sizeof(d->name));
	return 0;
}

FIXTURE_SETUP(container)
{
	struct ctx *t = &self->t;
	unsigned int i, n = 0;
	size_t off;

	t->pg = page_size();
	t->fd = -1;
	t->buf = MAP_FAILED;
	for (i = 0; i < MAX_DEVS; i++)
		t->gfd[i] = -1;
	t->mdom = !mdom_test_on_type1();
	if (t->mdom && !mdom_loaded())
		SKIP(return, "vfio_mdom.ko is not loaded");
	if (!mock_loaded())
		SKIP(return, "the mock IOMMU (vfio_mdom_mock_iommu) is not loaded");

	if (variant->edu) {
		struct edu_dev edu;

		if (edu_find(0, &edu))
			SKIP(return, "no edu device bound to vfio-pci");
		t->devs[n].edu = true;
		t->devs[n].inst = -1;
		t->devs[n].group = edu.group;
		str_copy(t->devs[n].name, edu.bdf, sizeof(t->devs[n].name));
		n++;
	}
	for (i = 0; n < variant->ndevs; i++, n++)
		ASSERT_EQ(0, mock_test_dev(&t->devs[n], i, 0));
	t->ndevs = n;
	ASSERT_EQ(0, mock_test_dev(&t->devs[SPARE(t)], 0, 1));
	ASSERT_EQ(0, mock_test_dev(&t->devs[OTHER(t)], 1, 1));

	leak_mark(&t->mark);
	t->fd = vfio_open_container();
	ASSERT_LE(0, t->fd);
	for (i = 0; i <= OTHER(t); i++) {
		t->gfd[i] = vfio_open_group(t->devs[i].group);
		ASSERT_LE(0, t->gfd[i]) {
			TH_LOG("open /dev/vfio/%d: %s", t->devs[i].group,
			       strerror(-t->gfd[i]));
		}
	}

	t->buf = mmap(NULL, BUF_PAGES * t->pg, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, t->buf);
	for (off = 0; off < BUF_PAGES * t->pg; off++)
		t->buf[off] = pattern_byte(1, off);
}

FIXTURE_TEARDOWN(container)
{
	struct ctx *t = &self->t;
	unsigned int i;

	if (t->fd >= 0)
		close(t->fd);
	for (i = 0; i < MAX_DEVS; i++)
		if (t->gfd[i] >= 0)
			close(t->gfd[i]);
	if (t->buf != MAP_FAILED)
		munmap(t->buf, BUF_PAGES * t->pg);
	/* type1 frees a domain losing its last group with its translations */
	if (t->ndevs)
		expect_no_leak(&t->mark, !t->mdom);
}

static void *buf_at(struct ctx *t, unsigned int page)
{
	return t->buf + page * t->pg;
}

/*
 * Group @i joins the container; the first one sets the IOMMU (type1v2
 * semantics) and must get the expected driver.
 */
static void attach(struct __test_metadata *_metadata, struct ctx *t,
		   unsigned int i)
{
	ASSERT_EQ(0, vfio_attach(t->fd, t->gfd[i], !t->nattached,
				 VFIO_TYPE1v2_IOMMU)) {
		TH_LOG("group %d (%s) joining", t->devs[i].group,
		       t->devs[i].name);
	}
	if (!t->nattached) {
		if (t->mdom)
			expect_backend_mdom(t->fd);
		else
			expect_backend_type1(t->fd);
	}
	t->attached[i] = true;
	t->nattached++;
}

static void detach(struct __test_metadata *_metadata, struct ctx *t,
		   unsigned int i)
{
	vfio_unset_container(t->gfd[i]);
	t->attached[i] = false;
	t->nattached--;
}

/* Every device of a domain, then the spare, which shares mock 0's. */
static void attach_all(struct __test_metadata *_metadata, struct ctx *t)
{
	unsigned int i;

	for (i = 0; i <= SPARE(t); i++)
		attach(_metadata, t, i);
}

/* The container domain of group @i (vfio-mdom only). */
static long group_domain(struct __test_metadata *_metadata, struct ctx *t,
			 unsigned int i)
{
	struct mdom_state st;

	if (_mdom_query(t->fd, &st))
		return -1;
	return mdom_state_group_domain(&st, t->devs[i].group);
}

/*
 * A mapping of the tests: @pages pages of the buffer from page @page, at
 * @iova, read-only unless @rw.
 */
struct tmap {
	uint64_t iova;
	unsigned int page;
	unsigned int pages;
	bool rw;
};

static const struct tmap maps3[] = {
	{ SZ_1M, 0, 16, true },
	{ SZ_2M, 16, 8, false },
	{ 0x40000000, 24, 4, true },
};

#define MAPS3_PAGES	28

static int do_maps(struct ctx *t, const struct tmap *m, unsigned int n)
{
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = _vfio_map(t->fd, m[i].iova, m[i].pages * t->pg,
				buf_at(t, m[i].page),
				VFIO_DMA_MAP_FLAG_READ |
				(m[i].rw ? VFIO_DMA_MAP_FLAG_WRITE : 0));
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Mock device @d's domain holds every mapping of @m, readable and, if
 * asked, writable, with IOMMU_CACHE as type1 maps it; its DMA reads them.
 */
static void check_mock_dev(struct __test_metadata *_metadata, struct ctx *t,
			   const struct test_dev *d, const struct tmap *m,
			   unsigned int n)
{
	unsigned int dom = mock_dev_domain(d->inst, d->idx), i, prot;
	uint8_t got[64];
	size_t off;

	ASSERT_NE(0, dom) TH_LOG("%s is not attached to a domain", d->name);
	for (i = 0; i < n; i++) {
		prot = MOCK_PROT_READ | MOCK_PROT_CACHE |
		       (m[i].rw ? MOCK_PROT_WRITE : 0);
		EXPECT_EQ(0, mock_domain_covers(dom, m[i].iova,
						m[i].pages * t->pg, prot,
						buf_at(t, m[i].page))) {
			TH_LOG("%s: mock domain %u, mapping at 0x%llx",
			       d->name, dom, (unsigned long long)m[i].iova);
		}
		/* Read 64 bytes in the last page of the mapping. */
		off = (m[i].pages - 1) * t->pg + 100;
		ASSERT_EQ(0, mock_dma_read(d->name, m[i].iova + off, got,
					   sizeof(got)));
		EXPECT_EQ(0, memcmp(got, (uint8_t *)buf_at(t, m[i].page) + off,
				    sizeof(got)));
	}
}

/* Every attached mock device translates @m. */
static void check_mock_devs(struct __test_metadata *_metadata, struct ctx *t,
			    const struct tmap *m, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < MAX_DEVS; i++)
		if (t->attached[i] && !t->devs[i].edu)
			check_mock_dev(_metadata, t, &t->devs[i], m, n);
}

/* Translations in [@iova, +@size) of the domain of mock device @i */
static long dev_xlates(struct ctx *t, unsigned int i, uint64_t iova,
		       uint64_t size)
{
	const struct test_dev *d = &t->devs[i];

	return mock_domain_xlates_in(mock_dev_domain(d->inst, d->idx), iova,
				     size);
}

/* Name of the IOMMU driver of device @d, as VFIO_MDOM_QUERY gives it */
static const char *driver_of(const struct test_dev *d)
{
	return d->edu ? "dmar" : "vfio_mdom_mock_iommu";
}

/*
 * Map with one group in, then attach a new kind of device after another:
 * each new domain holds every existing translation, locked memory does not
 * grow; the spare joins an existing domain.
 */
TEST_F(container, map_then_attach)
{
	struct ctx *t = &self->t;
	static const struct tmap late = { 0x80000000, 40, 8, true };
	uint64_t total = MAPS3_PAGES * t->pg;
	struct vfio_mdom_domain_info *d;
	struct mdom_state st;
	unsigned int i, j;
	long locked;

	attach(_metadata, t, 0);
	ASSERT_EQ(0, do_maps(t, maps3, 3));
	locked = vmlck_kb();
	EXPECT_EQ(t->mark.vmlck + (long)(total / 1024), locked);
	expect_pins(t->mark.pins + MAPS3_PAGES);
	if (t->mdom) {
		mdom_query(t->fd, &st);
		EXPECT_EQ(1, st.q.num_domains);
		EXPECT_EQ(VFIO_TYPE1v2_IOMMU, st.q.iommu_type);
		EXPECT_EQ(3, st.q.num_mappings);
		EXPECT_EQ(total, st.q.mapped_bytes);
		EXPECT_EQ(MAPS3_PAGES, st.q.pinned_pages);
		EXPECT_EQ(MAPS3_PAGES, st.q.locked_pages);
		EXPECT_EQ(0, st.q.shared_pages);
	}
	check_mock_devs(_metadata, t, maps3, 3);

	for (i = 1; i <= SPARE(t); i++) {
		attach(_metadata, t, i);
		EXPECT_EQ(locked, vmlck_kb());
		expect_pins(t->mark.pins + MAPS3_PAGES);
		/* Every device attached so far translates everything. */
		check_mock_devs(_metadata, t, maps3, 3);
		if (!t->mdom)
			continue;
		mdom_query(t->fd, &st);
		ASSERT_EQ(i < t->ndevs ? i + 1 : t->ndevs, st.q.num_domains);
		EXPECT_EQ(i + 1, st.q.num_groups);
		EXPECT_EQ(MAPS3_PAGES, st.q.pinned_pages);
		EXPECT_EQ(MAPS3_PAGES, st.q.locked_pages);
		for (j = 0; j < st.q.num_domains; j++)
			EXPECT_EQ(total, st.domains[j].mapped_bytes);
		d = mdom_state_domain(&st, group_domain(_metadata, t, i));
		ASSERT_NE(NULL, d);
		EXPECT_STREQ(driver_of(&t->devs[i]), d->driver);
	}
	/* The spare shares the domain of mock device 0.0 */
	for (i = 0; t->mdom && i < t->ndevs; i++)
		if (t->devs[i].inst == 0)
			EXPECT_EQ(group_domain(_metadata, t, i),
				  group_domain(_metadata, t, SPARE(t)));

	/* A mapping made now goes to every domain. */
	ASSERT_EQ(0, do_maps(t, &late, 1));
	check_mock_devs(_metadata, t, &late, 1);
	EXPECT_EQ(locked + (long)(8 * t->pg / 1024), vmlck_kb());
	if (t->mdom) {
		mdom_query(t->fd, &st);
		for (j = 0; j < st.q.num_domains; j++)
			EXPECT_EQ(total + 8 * t->pg, st.domains[j].mapped_bytes);
	}
}

/* Mock DMA through each domain reads what the user wrote, and writes. */
TEST_F(container, dma_through_each_domain)
{
	struct ctx *t = &self->t;
	static const struct tmap m = { 0x10000000, 0, 32, true };
	static const struct tmap ro = { 0x20000000, 32, 1, false };
	uint8_t data[256], got[256];
	unsigned int i;
	size_t off;

	attach_all(_metadata, t);
	ASSERT_EQ(0, do_maps(t, &m, 1));
	ASSERT_EQ(0, do_maps(t, &ro, 1));
	/* Written after the map: the device sees the user's memory itself. */
	memset(buf_at(t, 5), 0xa5, t->pg);
	for (i = 0; i <= SPARE(t); i++) {
		struct test_dev *d = &t->devs[i];

		if (d->edu)
			continue;
		/* Across a page boundary */
		off = 3 * t->pg - 128;
		ASSERT_EQ(0, mock_dma_read(d->name, m.iova + off, got,
					   sizeof(got)));
		EXPECT_EQ(0, memcmp(got, t->buf + off, sizeof(got)));
		ASSERT_EQ(0, mock_dma_read(d->name, m.iova + 5 * t->pg, got, 16));
		EXPECT_EQ(0xa5, got[0]);
		EXPECT_EQ(0xa5, got[15]);

		/* The device writes; the user reads it. */
		memset(data, 0x30 + i, sizeof(data));
		ASSERT_EQ(0, mock_dma_write(d->name, m.iova + 7 * t->pg + 8,
					    data, sizeof(data)));
		EXPECT_EQ(0, memcmp(buf_at(t, 7) + 8, data, sizeof(data)));

		/* Read-only mapping; outside every mapping. */
		EXPECT_EQ(-EACCES, mock_dma_write(d->name, ro.iova, data, 8));
		EXPECT_EQ(0, mock_dma_read(d->name, ro.iova, data, 8));
		EXPECT_EQ(-EIO, mock_dma_read(d->name, m.iova + 32 * t->pg,
					      data, 8));
	}
}

/*
 * Detach one group: the others still translate and locked memory is
 * unchanged. Detach the last: VFIO releases the IOMMU driver, and with it
 * every mapping, pin and charge; the container must be set up again.
 */
TEST_F(container, detach_one_then_all)
{
	struct ctx *t = &self->t;
	unsigned int gone = t->ndevs - 1, i;
	struct mdom_state st;
	long locked;
	uint8_t b;

	attach_all(_metadata, t);
	ASSERT_EQ(0, do_maps(t, maps3, 3));
	locked = vmlck_kb();

	/* The last device with a domain of its own (or, alone, mock 0.0) */
	detach(_metadata, t, gone);
	vfio_unset_container_err(EINVAL, t->gfd[gone]);
	EXPECT_EQ(locked, vmlck_kb());
	if (!t->devs[gone].edu) {
		EXPECT_EQ(0, mock_dev_domain(t->devs[gone].inst, t->devs[gone].idx));
		EXPECT_EQ(-EIO, mock_dma_read(t->devs[gone].name, SZ_1M, &b, 1));
	}
	check_mock_devs(_metadata, t, maps3, 3);
	if (t->mdom) {
		mdom_query(t->fd, &st);
		EXPECT_EQ(t->ndevs > 1 ? t->ndevs - 1 : 1, st.q.num_domains);
		EXPECT_EQ(t->ndevs, st.q.num_groups);
		EXPECT_EQ(-1, mdom_state_group_domain(&st, t->devs[gone].group));
		EXPECT_EQ(3, st.q.num_mappings);
	}

	for (i = 0; i <= SPARE(t); i++)
		if (t->attached[i])
			detach(_metadata, t, i);
	/* No IOMMU driver any more: nothing mapped, pinned or charged */
	EXPECT_EQ(t->mark.vmlck, vmlck_kb());
	expect_pins(t->mark.pins);
	EXPECT_EQ(t->mark.counters.v[MOCK_IOMMU_CNT_DOMAINS_LIVE],
		  mock_counter(MOCK_IOMMU_CNT_DOMAINS_LIVE, -1));
	EXPECT_EQ(t->mark.counters.v[MOCK_IOMMU_CNT_TRANSLATIONS_LIVE],
		  mock_counter(MOCK_IOMMU_CNT_TRANSLATIONS_LIVE, -1));
	if (t->mdom)
		EXPECT_EQ(0, mdom_dbg_containers(getpid(), NULL, 0));
	EXPECT_EQ(-EINVAL, _mdom_backend(t->fd));
	vfio_map_err(EINVAL, t->fd, 3 * SZ_1M, t->pg, t->buf, VFIO_RW);
	vfio_unmap_err(EINVAL, t->fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL);

	/* Set up again: an empty container. */
	attach_all(_metadata, t);
	if (t->mdom) {
		mdom_query(t->fd, &st);
		EXPECT_EQ(0, st.q.num_mappings);
		EXPECT_EQ(0, st.q.pinned_pages);
		EXPECT_EQ(t->ndevs, st.q.num_domains);
	}
	for (i = 0; i <= SPARE(t); i++)
		if (!t->devs[i].edu)
			EXPECT_EQ(0, dev_xlates(t, i, 0, 1ULL << 39));
	ASSERT_EQ(0, do_maps(t, maps3, 3));
	check_mock_devs(_metadata, t, maps3, 3);
	vfio_unmap_all(t->fd);
	EXPECT_EQ(t->mark.vmlck, vmlck_kb());
}

/*
 * A new domain's replay fails on its third IOMMU map (one-page mappings:
 * one map each), after two were replayed: VFIO_GROUP_SET_CONTAINER fails
 * with the injected errno and the container is exactly as before.
 */
TEST_F(container, replay_fails_halfway)
{
	struct ctx *t = &self->t;
	static const struct tmap ones[] = {
		{ SZ_1M, 0, 1, true }, { SZ_2M, 1, 1, true },
		{ 3 * SZ_1M, 2, 1, false }, { 4 * SZ_1M, 3, 1, true },
	};
	unsigned int late = t->ndevs > 1 ? t->ndevs - 1 : OTHER(t), i;
	struct test_dev *d = &t->devs[late];
	struct mdom_state before, after;
	struct mock_counters c0, c1;
	uint32_t flags;
	long locked;

	for (i = 0; i < t->ndevs; i++)
		if (i != late)
			attach(_metadata, t, i);
	ASSERT_EQ(0, do_maps(t, ones, 4));
	if (t->mdom)
		mdom_query(t->fd, &before);
	locked = vmlck_kb();
	ASSERT_EQ(0, mock_counters(d->inst, &c0));

	ASSERT_EQ(0, mock_fail_nth_map(d->inst, 3, -EIO));
	EXPECT_EQ(-EIO, _vfio_set_container(t->gfd[late], t->fd));
	ASSERT_EQ(0, mock_fail_nth_map(d->inst, 0, 0));
	ASSERT_EQ(0, mock_counters(d->inst, &c1));
	/*
	 * type1 unwinds by unmapping every mapping's range from the new
	 * domain, the one that failed to map too: the mock counts an
	 * unmap_mismatch. Its reference run takes that as given.
	 */
	if (!t->mdom)
		t->mark.counters.v[MOCK_IOMMU_CNT_UNMAP_MISMATCH] =
			mock_counter(MOCK_IOMMU_CNT_UNMAP_MISMATCH, -1);
	/* Exactly the one injected failure, after two maps */
	EXPECT_EQ(1, c1.v[MOCK_IOMMU_CNT_INJECTED_FAILURES] -
		     c0.v[MOCK_IOMMU_CNT_INJECTED_FAILURES]);
	EXPECT_EQ(2, c1.v[MOCK_IOMMU_CNT_MAPS] - c0.v[MOCK_IOMMU_CNT_MAPS]);

	/* The group is out of every container; nothing stayed claimed */
	ASSERT_EQ(0, _vfio_group_status(t->gfd[late], &flags));
	EXPECT_EQ(VFIO_GROUP_FLAGS_VIABLE, flags);
	EXPECT_EQ(c0.v[MOCK_IOMMU_CNT_DOMAINS_LIVE], c1.v[MOCK_IOMMU_CNT_DOMAINS_LIVE]);
	EXPECT_EQ(0, c1.v[MOCK_IOMMU_CNT_TRANSLATIONS_LIVE]);
	EXPECT_EQ(0, mock_dev_domain(d->inst, d->idx));
	EXPECT_EQ(locked, vmlck_kb());
	if (t->mdom) {
		mdom_query(t->fd, &after);
		EXPECT_EQ(before.q.num_domains, after.q.num_domains);
		EXPECT_EQ(before.q.num_groups, after.q.num_groups);
		EXPECT_EQ(before.q.num_mappings, after.q.num_mappings);
		EXPECT_EQ(before.q.pinned_pages, after.q.pinned_pages);
		EXPECT_EQ(before.q.locked_pages, after.q.locked_pages);
		EXPECT_EQ(0, memcmp(before.domains, after.domains,
				    sizeof(before.domains)));
	}

	/* The same attach now works and replays everything. */
	attach(_metadata, t, late);
	check_mock_devs(_metadata, t, ones, 4);
}

/*
 * @pages pages of new memory whose physical pages are not in virtual
 * order: each of them is a run of its own for the IOMMU (one map call at
 * least), whatever the page allocator gave. munmap() it when done.
 */
static uint8_t *scattered(size_t pg, unsigned int pages)
{
	uint8_t *src, *dst;
	unsigned int i;

	src = mmap(NULL, pages * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	dst = mmap(NULL, pages * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (src == MAP_FAILED || dst == MAP_FAILED)
		return NULL;
	/* Virtual page i gets source page 0, pages / 2, 1, pages / 2 + 1... */
	for (i = 0; i < pages; i++) {
		unsigned int from = i / 2 + (i % 2) * (pages / 2);

		if (mremap(src + from * pg, pg, pg, MREMAP_MAYMOVE | MREMAP_FIXED,
			   dst + i * pg) == MAP_FAILED)
			return NULL;
		memset(dst + i * pg, 0x11 * (from + 1), pg);
	}
	return dst;
}

/*
 * A map whose third IOMMU map fails (the first two worked): MAP_DMA fails
 * with the injected errno and nothing of it is left anywhere.
 */
TEST_F(container, map_fails_halfway)
{
	struct ctx *t = &self->t;
	const struct test_dev *d = &t->devs[t->ndevs - 1];
	struct mock_counters c0, c1;
	unsigned int i;
	uint8_t *mem;

	mem = scattered(t->pg, 8);
	ASSERT_NE(NULL, mem);
	attach_all(_metadata, t);
	ASSERT_EQ(0, mock_counters(d->inst, &c0));
	ASSERT_EQ(0, mock_fail_nth_map(d->inst, 3, -ENOSPC));
	vfio_map_err(ENOSPC, t->fd, SZ_1M, 8 * t->pg, mem, VFIO_RW);
	ASSERT_EQ(0, mock_fail_nth_map(d->inst, 0, 0));
	ASSERT_EQ(0, mock_counters(d->inst, &c1));
	EXPECT_EQ(1, c1.v[MOCK_IOMMU_CNT_INJECTED_FAILURES] -
		     c0.v[MOCK_IOMMU_CNT_INJECTED_FAILURES]);
	EXPECT_LE(2, c1.v[MOCK_IOMMU_CNT_MAPS] - c0.v[MOCK_IOMMU_CNT_MAPS]);
	EXPECT_EQ(t->mark.vmlck, vmlck_kb());
	expect_pins(t->mark.pins);
	for (i = 0; i <= SPARE(t); i++)
		if (!t->devs[i].edu)
			EXPECT_EQ(0, dev_xlates(t, i, 0, 1ULL << 39));
	if (t->mdom) {
		struct mdom_state st;

		mdom_query(t->fd, &st);
		EXPECT_EQ(0, st.q.num_mappings);
		EXPECT_EQ(0, st.q.pinned_pages);
	}
	/* And it works the second time */
	ASSERT_EQ(0, _vfio_map(t->fd, SZ_1M, 8 * t->pg, mem, VFIO_RW));
	for (i = 0; i <= SPARE(t); i++) {
		uint8_t b[16];

		if (t->devs[i].edu)
			continue;
		ASSERT_EQ(0, mock_dma_read(t->devs[i].name, SZ_1M + 5 * t->pg,
					   b, sizeof(b)));
		EXPECT_EQ(mem[5 * t->pg], b[0]);
	}
	vfio_unmap_all(t->fd);
	munmap(mem, 8 * t->pg);
}

static int drop_cap_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[CAP_IPC_LOCK / 32].effective &= ~(1U << (CAP_IPC_LOCK % 32));
	return syscall(SYS_capset, &hdr, data);
}

/* Past RLIMIT_MEMLOCK a map fails with ENOMEM and leaves nothing. */
TEST_F(container, memlock_limit)
{
	struct ctx *t = &self->t;
	struct rlimit rl;
	unsigned int i;

	attach_all(_metadata, t);
	ASSERT_EQ(0, drop_cap_ipc_lock());
	rl.rlim_cur = t->mark.vmlck * 1024 + 8 * t->pg;
	rl.rlim_max = rl.rlim_cur;
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &rl));

	vfio_map_err(ENOMEM, t->fd, SZ_1M, 16 * t->pg, t->buf, VFIO_RW);
	EXPECT_EQ(t->mark.vmlck, vmlck_kb());
	expect_pins(t->mark.pins);
	if (t->mdom) {
		struct mdom_state st;

		mdom_query(t->fd, &st);
		EXPECT_EQ(0, st.q.num_mappings);
		EXPECT_EQ(0, st.q.pinned_pages);
	}
	for (i = 0; i <= SPARE(t); i++)
		if (!t->devs[i].edu)
			EXPECT_EQ(0, dev_xlates(t, i, SZ_1M, 16 * t->pg));

	/* Up to the limit is fine; one page more is not. */
	vfio_map(t->fd, SZ_1M, 8 * t->pg, t->buf);
	vfio_map_err(ENOMEM, t->fd, SZ_2M, t->pg, buf_at(t, 8), VFIO_RW);
	EXPECT_EQ(t->mark.vmlck + (long)(8 * t->pg / 1024), vmlck_kb());
	vfio_unmap(t->fd, SZ_1M, 8 * t->pg);
	EXPECT_EQ(t->mark.vmlck, vmlck_kb());
}

/* Every bad MAP/UNMAP argument gets type1's errno and changes nothing. */
TEST_F(container, bad_map_unmap_args)
{
	struct ctx *t = &self->t;
	struct vfio_iommu_type1_dma_map map;
	struct vfio_iommu_type1_dma_unmap unmap;
	size_t pg = t->pg;
	uint64_t unmapped;

	attach_all(_metadata, t);
	vfio_map(t->fd, SZ_1M, 4 * pg, t->buf);

	vfio_map_err(EINVAL, t->fd, SZ_2M + 0x800, pg, t->buf, VFIO_RW);
	vfio_map_err(EINVAL, t->fd, SZ_2M, pg + 1, t->buf, VFIO_RW);
	vfio_map_err(EINVAL, t->fd, SZ_2M, pg, t->buf + 8, VFIO_RW);
	vfio_map_err(EINVAL, t->fd, SZ_2M, 0, t->buf, VFIO_RW);
	/* IOVA and vaddr wrap-around */
	vfio_map_err(EINVAL, t->fd, UINT64_MAX - pg + 1, 2 * pg, t->buf,
		     VFIO_RW);
	vfio_map_err(EINVAL, t->fd, SZ_2M, 2 * pg,
		     (void *)(uintptr_t)(UINT64_MAX - pg + 1), VFIO_RW);
	/* Outside the valid ranges: the mock's 39-bit aperture, MSI window */
	vfio_map_err(EINVAL, t->fd, 1ULL << 40, pg, t->buf, VFIO_RW);
	vfio_map_err(EINVAL, t->fd, 0xfee00000, pg, t->buf, VFIO_RW);
	/* Overlaps */
	vfio_map_err(EEXIST, t->fd, SZ_1M, 4 * pg, t->buf, VFIO_RW);
	vfio_map_err(EEXIST, t->fd, SZ_1M + 3 * pg, 2 * pg, t->buf, VFIO_RW);
	vfio_map_err(EEXIST, t->fd, SZ_1M - pg, 2 * pg, t->buf, VFIO_RW);
	/* Flags: none, unknown */
	vfio_map_err(EINVAL, t->fd, SZ_2M, pg, t->buf, 0);
	vfio_map_err(EINVAL, t->fd, SZ_2M, pg, t->buf, VFIO_RW | (1 << 7));
	/* VADDR: a new address for a mapping that is not there */
	vfio_map_err(ENOENT, t->fd, SZ_2M, pg, t->buf, VFIO_DMA_MAP_FLAG_VADDR);
	/* Short argsz; a longer one is fine (type1 ignores the rest). */
	map = (struct vfio_iommu_type1_dma_map){
		.argsz = VFIO_MAP_MINSZ - 1,
		.flags = VFIO_RW, .vaddr = (uintptr_t)t->buf,
		.iova = SZ_2M, .size = pg,
	};
	EXPECT_EQ(-1, ioctl(t->fd, VFIO_IOMMU_MAP_DMA, &map));
	EXPECT_EQ(EINVAL, errno);

	/* Unmap: flags, alignment, size, wrap, ALL with a range, a split. */
	vfio_unmap_err(EINVAL, t->fd, SZ_1M, 4 * pg, 1 << 7);
	vfio_unmap_err(EINVAL, t->fd, SZ_1M, 4 * pg,
		       VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP);
	/* VADDR: a range cutting a mapping */
	vfio_unmap_err(EINVAL, t->fd, SZ_1M, 2 * pg, VFIO_DMA_UNMAP_FLAG_VADDR);
	vfio_unmap_err(EINVAL, t->fd, SZ_1M + 0x800, 4 * pg, 0);
	vfio_unmap_err(EINVAL, t->fd, SZ_1M, 4 * pg + 1, 0);
	vfio_unmap_err(EINVAL, t->fd, SZ_1M, 0, 0);
	vfio_unmap_err(EINVAL, t->fd, 2 * pg, UINT64_MAX - pg + 1, 0);
	vfio_unmap_err(EINVAL, t->fd, SZ_1M, 0, VFIO_DMA_UNMAP_FLAG_ALL);
	vfio_unmap_err(EINVAL, t->fd, 0, pg, VFIO_DMA_UNMAP_FLAG_ALL);
	vfio_unmap_err(EINVAL, t->fd, SZ_1M + pg, pg, 0);
	vfio_unmap_err(EINVAL, t->fd, SZ_1M, 2 * pg, 0);
	vfio_unmap_err(EINVAL, t->fd, SZ_1M - pg, 2 * pg, 0);
	unmap = (struct vfio_iommu_type1_dma_unmap){
		.argsz = VFIO_UNMAP_MINSZ - 1,
		.iova = SZ_1M, .size = 4 * pg,
	};
	EXPECT_EQ(-1, ioctl(t->fd, VFIO_IOMMU_UNMAP_DMA, &unmap));
	EXPECT_EQ(EINVAL, errno);

	if (t->mdom) {
		struct mdom_state st;

		mdom_query(t->fd, &st);
		EXPECT_EQ(1, st.q.num_mappings);
		EXPECT_EQ(4, st.q.pinned_pages);
	}
	EXPECT_EQ(t->mark.vmlck + (long)(4 * pg / 1024), vmlck_kb());
	check_mock_devs(_metadata, t, &(struct tmap){ SZ_1M, 0, 4, true }, 1);

	/* A range around it is fine in v2, and nothing there is success. */
	ASSERT_EQ(0, _vfio_unmap(t->fd, 0, SZ_2M, 0, &unmapped));
	EXPECT_EQ(4 * pg, unmapped);
	ASSERT_EQ(0, _vfio_unmap(t->fd, 0, SZ_2M, 0, &unmapped));
	EXPECT_EQ(0, unmapped);
}

/*
 * What VFIO refuses around a vfio-mdom container: bad container fds, a
 * group joining twice or two containers, leaving while a device is open,
 * a device fd before the IOMMU is set.
 */
TEST_F(container, bad_groups)
{
	struct ctx *t = &self->t;
	int devnull, closed, other, dfd;
	uint32_t flags;

	attach(_metadata, t, 0);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, devnull);
	closed = dup(devnull);
	close(closed);
	vfio_set_container_err(EBADF, t->gfd[SPARE(t)], -1);
	vfio_set_container_err(EBADF, t->gfd[SPARE(t)], closed);
	/* Neither a VFIO container nor an iommufd: iommufd's EBADFD */
	vfio_set_container_err(EBADFD, t->gfd[SPARE(t)], devnull);
	vfio_set_container_err(EBADFD, t->gfd[SPARE(t)], t->gfd[0]);
	close(devnull);
	vfio_unset_container_err(EINVAL, t->gfd[SPARE(t)]);

	/* In already: not again, not into another container */
	vfio_set_container_err(EINVAL, t->gfd[0], t->fd);
	other = vfio_open_container();
	ASSERT_LE(0, other);
	vfio_set_container_err(EINVAL, t->gfd[0], other);

	/* A device fd only once the group's container has its IOMMU */
	vfio_set_container(t->gfd[SPARE(t)], other);
	EXPECT_EQ(-EINVAL, vfio_device_fd(t->gfd[SPARE(t)],
					  t->devs[SPARE(t)].name));
	EXPECT_EQ(-EINVAL, _mdom_backend(other));
	vfio_unset_container(t->gfd[SPARE(t)]);
	close(other);

	/* A group with an open device cannot leave */
	EXPECT_EQ(-ENODEV, vfio_device_fd(t->gfd[0], "no-such-device"));
	dfd = vfio_device_fd(t->gfd[0], t->devs[0].name);
	ASSERT_LE(0, dfd) TH_LOG("device fd of %s", t->devs[0].name);
	vfio_unset_container_err(EBUSY, t->gfd[0]);
	ASSERT_EQ(0, _vfio_group_status(t->gfd[0], &flags));
	EXPECT_EQ(VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET,
		  flags);
	close(dfd);
	detach(_metadata, t, 0);
	ASSERT_EQ(0, _vfio_group_status(t->gfd[0], &flags));
	EXPECT_EQ(VFIO_GROUP_FLAGS_VIABLE, flags);
}

/* VFIO_MDOM_QUERY's first version ended with dirty_mode */
#define QUERY_MINSZ	offsetof(struct vfio_mdom_query, shared_pages)

/*
 * VFIO_MDOM_QUERY's argsz (one byte short of its first version: EINVAL;
 * one byte longer than the kernel's struct, non-zero: E2BIG), flags and
 * reserved field, and EMSGSIZE for arrays too small; on a type1
 * container it is ENOTTY.
 */
TEST_F(container, query_argsz)
{
	struct ctx *t = &self->t;
	struct {
		struct vfio_mdom_query q;
		uint8_t extra[8];
	} qx;
	struct mdom_state st, full;

	attach(_metadata, t, 0);
	if (!t->mdom) {
		EXPECT_EQ(-ENOTTY, _mdom_query(t->fd, &st));
		return;
	}
	attach(_metadata, t, SPARE(t));
	mdom_query(t->fd, &full);
	ASSERT_EQ(2, full.q.num_groups);
	mdom_query(t->fd, &st);

	/* One byte short of the first version */
	memset(&qx, 0, sizeof(qx));
	qx.q = st.q;
	qx.q.argsz = QUERY_MINSZ - 1;
	EXPECT_EQ(-1, ioctl(t->fd, VFIO_MDOM_QUERY, &qx));
	EXPECT_EQ(EINVAL, errno);
	/* The first version: what follows it is not written */
	qx.q.argsz = QUERY_MINSZ;
	qx.q.shared_pages = 0x5a5a;
	EXPECT_EQ(0, ioctl(t->fd, VFIO_MDOM_QUERY, &qx));
	EXPECT_EQ(0x5a5a, qx.q.shared_pages);
	EXPECT_EQ(full.q.num_domains, qx.q.num_domains);
	qx.q.shared_pages = 0;
	/* One byte long, non-zero: a field this kernel does not know */
	qx.q.argsz = sizeof(qx.q) + 1;
	qx.extra[0] = 1;
	EXPECT_EQ(-1, ioctl(t->fd, VFIO_MDOM_QUERY, &qx));
	EXPECT_EQ(E2BIG, errno);
	/* Long with zero bytes: fine, and they stay zero */
	qx.extra[0] = 0;
	qx.q.argsz = sizeof(qx);
	EXPECT_EQ(0, ioctl(t->fd, VFIO_MDOM_QUERY, &qx));
	EXPECT_EQ(0, qx.extra[0]);
	EXPECT_EQ(full.q.num_domains, qx.q.num_domains);
	/* Unknown flags, reserved */
	qx.q.flags = ~(__u32)VFIO_MDOM_QUERY_WINDOWS;
	EXPECT_EQ(-1, ioctl(t->fd, VFIO_MDOM_QUERY, &qx));
	EXPECT_EQ(EINVAL, errno);
	qx.q.flags = 0;
	qx.q.__reserved = 1;
	EXPECT_EQ(-1, ioctl(t->fd, VFIO_MDOM_QUERY, &qx));
	EXPECT_EQ(EINVAL, errno);
	qx.q.__reserved = 0;
	/* Arrays too small: EMSGSIZE with the counts needed */
	qx.q.num_domains = 0;
	qx.q.num_groups = 1;
	EXPECT_EQ(-1, ioctl(t->fd, VFIO_MDOM_QUERY, &qx));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(full.q.num_domains, qx.q.num_domains);
	EXPECT_EQ(2, qx.q.num_groups);
	qx.q.num_domains = MDOM_MAX_DOMAINS;
	qx.q.num_groups = MDOM_MAX_GROUPS;
	EXPECT_EQ(0, ioctl(t->fd, VFIO_MDOM_QUERY, &qx));
	EXPECT_EQ(0, memcmp(st.domains, full.domains, sizeof(st.domains)));
	EXPECT_EQ(0, memcmp(st.groups, full.groups, sizeof(st.groups)));
	EXPECT_EQ(t->devs[0].group, (int)st.groups[0].group_id);
	EXPECT_EQ(t->devs[SPARE(t)].group, (int)st.groups[1].group_id);
}

/* GET_INFO: page sizes, IOVA ranges, DMA_AVAIL, argsz growth as type1. */
TEST_F(container, get_info)
{
	struct ctx *t = &self->t;
	struct vfio_iommu_type1_info_cap_iova_range *cap;
	struct vfio_iommu_type1_info_dma_avail *avail;
	struct vfio_iommu_type1_info *info;
	uint64_t ap_start = 0, ap_end = UINT64_MAX, pgsizes = UINT64_MAX;
	struct mdom_state st;
	uint32_t need, left;
	unsigned int i;
	char buf[4096];

	info = (void *)buf;
	/* No IOMMU driver yet: VFIO's EINVAL */
	EXPECT_EQ(-EINVAL, _vfio_get_info(t->fd, buf, sizeof(*info)));

	attach_all(_metadata, t);
	vfio_map(t->fd, SZ_1M, 2 * t->pg, t->buf);
	EXPECT_EQ(-EINVAL, _vfio_get_info(t->fd, buf, VFIO_INFO_MINSZ - 1));
	if (t->mdom) {
		mdom_query(t->fd, &st);
		for (i = 0; i < st.q.num_domains; i++) {
			pgsizes &= st.domains[i].pgsize_bitmap;
			if (st.domains[i].aperture_start > ap_start)
				ap_start = st.domains[i].aperture_start;
			if (st.domains[i].aperture_end < ap_end)
				ap_end = st.domains[i].aperture_end;
		}
	}

	/* Too short for the caps: argsz grows, no chain, CAPS still set. */
	ASSERT_EQ(0, _vfio_get_info(t->fd, buf, sizeof(*info)));
	EXPECT_EQ(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS, info->flags);
	if (t->mdom)
		EXPECT_EQ(pgsizes, info->iova_pgsizes);
	EXPECT_NE(0, info->iova_pgsizes & t->pg);
	EXPECT_EQ(0, info->cap_offset);
	need = info->argsz;
	ASSERT_LT(sizeof(*info), need);
	ASSERT_GE(sizeof(buf), need);

	ASSERT_EQ(0, _vfio_get_info(t->fd, buf, need));
	EXPECT_EQ(need, info->argsz);
	EXPECT_LE(sizeof(*info), info->cap_offset);
	cap = (void *)vfio_info_cap(info, need,
				    VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	ASSERT_NE(NULL, cap);
	ASSERT_LT(0, cap->nr_iovas);
	if (t->mdom) {
		EXPECT_EQ(ap_start, cap->iova_ranges[0].start);
		EXPECT_EQ(ap_end, cap->iova_ranges[cap->nr_iovas - 1].end);
	}
	for (i = 0; i < cap->nr_iovas; i++) {
		/* The MSI window (mock inst 0 and the Intel IOMMU) is out. */
		EXPECT_TRUE(cap->iova_ranges[i].end < 0xfee00000 ||
			    cap->iova_ranges[i].start > 0xfeefffff);
		if (i)
			EXPECT_LT(cap->iova_ranges[i - 1].end + 1,
				  cap->iova_ranges[i].start);
	}
	avail = (void *)vfio_info_cap(info, need,
				      VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	ASSERT_NE(NULL, avail);
	left = avail->avail;
	if (t->mdom) {
		mdom_query(t->fd, &st);
		EXPECT_EQ(st.q.dma_avail, left);
	}

	/* The edges of the first range are mappable, past them not. */
	vfio_map(t->fd, cap->iova_ranges[0].end - t->pg + 1, t->pg, t->buf);
	vfio_map_err(EINVAL, t->fd, cap->iova_ranges[0].end + 1, t->pg,
		     t->buf, VFIO_RW);
	/* One more mapping: one fewer available */
	ASSERT_EQ(0, _vfio_get_info(t->fd, buf, need));
	avail = (void *)vfio_info_cap(info, need,
				      VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	ASSERT_NE(NULL, avail);
	EXPECT_EQ(left - 1, avail->avail);
}

/* DMA_CC_IOMMU: only while every domain enforces coherency. */
TEST_F(container, dma_cc_extension)
{
	struct ctx *t = &self->t;
	struct mdom_state st;
	unsigned int i;

	/* Not before an IOMMU driver is set */
	EXPECT_EQ(0, vfio_check_extension(t->fd, VFIO_DMA_CC_IOMMU));
	attach_all(_metadata, t);
	/* Mock instance 0 enforces it, instance 1 cannot */
	EXPECT_EQ(t->ndevs == 1, vfio_check_extension(t->fd, VFIO_DMA_CC_IOMMU));
	if (!t->mdom)
		return;
	mdom_query(t->fd, &st);
	for (i = 0; i < t->ndevs; i++) {
		struct vfio_mdom_domain_info *d;

		d = mdom_state_domain(&st, group_domain(_metadata, t, i));
		ASSERT_NE(NULL, d);
		if (!t->devs[i].edu)
			EXPECT_EQ(t->devs[i].inst == 0 ? VFIO_MDOM_DOMAIN_ENFORCE_CC : 0,
				  d->flags & VFIO_MDOM_DOMAIN_ENFORCE_CC);
	}
}

struct thread_arg {
	int fd;
	uint8_t *buf;
	uint64_t iova;
	size_t pg;
	int errors;
};

static void *map_unmap_thread(void *data)
{
	struct thread_arg *t = data;
	uint64_t unmapped;
	unsigned int i, j;

	for (i = 0; i < 100; i++) {
		for (j = 0; j < 4; j++)
			if (_vfio_map(t->fd, t->iova + j * 4 * t->pg, 4 * t->pg,
				      t->buf + j * 4 * t->pg, VFIO_RW))
				t->errors++;
		if (_vfio_unmap(t->fd, t->iova, 16 * t->pg, 0, &unmapped) ||
		    unmapped != 16 * t->pg)
			t->errors++;
	}
	return NULL;
}

/*
 * Several threads map and unmap while groups come and go. The first group
 * stays: VFIO's container ioctls are not serialised against the release
 * of the IOMMU driver when the last group leaves (with type1 too). Four
 * threads under TCG on a loaded host can pass the harness's default 30 s.
 */
TEST_F_TIMEOUT(container, threads, 120)
{
	struct ctx *t = &self->t;
	struct thread_arg args[4];
	pthread_t th[4];
	struct mdom_state st;
	unsigned int i, k;

	attach(_metadata, t, 0);
	for (i = 0; i < 4; i++) {
		args[i] = (struct thread_arg){
			.fd = t->fd, .buf = buf_at(t, 16 * i),
			.iova = (i + 1) * 0x10000000ULL, .pg = t->pg,
		};
		ASSERT_EQ(0, pthread_create(&th[i], NULL, map_unmap_thread,
					    &args[i]));
	}
	for (k = 0; k < 5; k++) {
		for (i = 1; i <= SPARE(t); i++)
			EXPECT_EQ(0, _vfio_set_container(t->gfd[i], t->fd));
		for (i = 1; i <= SPARE(t); i++)
			EXPECT_EQ(0, _vfio_unset_container(t->gfd[i]));
	}
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, pthread_join(th[i], NULL));
		EXPECT_EQ(0, args[i].errors);
	}
	EXPECT_EQ(t->mark.vmlck, vmlck_kb());
	expect_pins(t->mark.pins);
	if (t->mdom) {
		mdom_query(t->fd, &st);
		EXPECT_EQ(0, st.q.num_mappings);
		EXPECT_EQ(0, st.q.pinned_pages);
		EXPECT_EQ(1, st.q.num_domains);
		EXPECT_EQ(1, st.q.num_groups);
	}
}

/* What the child of exit_releases_everything saw before exiting */
struct child_report {
	int step;		/* 0: all done */
	int err;
	long vmlck_before, vmlck_after;
	long long pins_before, pins_after;
	int ncontainers;
	struct mdom_dbg_container dbg;
};

static void child_fail(int pipe_fd, struct child_report *r, int step, int err)
{
	r->step = step;
	r->err = err;
	if (write(pipe_fd, r, sizeof(*r)) != sizeof(*r))
		_exit(2);
	_exit(1);
}

/*
 * A process that exits without cleaning up gives everything back. The
 * child opens its own container and groups (a group fd shared with this
 * process would keep the container alive), maps, reports its own figures
 * and exits; then the system's pins and this process's view must be as
 * before, and the groups free.
 */
TEST_F(container, exit_releases_everything)
{
	struct ctx *t = &self->t;
	const size_t pg = t->pg;
	struct child_report r;
	unsigned int i;
	int status, p[2];
	pid_t pid;

	for (i = 0; i < MAX_DEVS; i++) {
		close(t->gfd[i]);
		t->gfd[i] = -1;
	}
	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd, gfd;

		close(p[0]);
		memset(&r, 0, sizeof(r));
		r.vmlck_before = vmlck_kb();
		r.pins_before = foll_pins_stable();
		fd = vfio_open_container();
		if (fd < 0)
			child_fail(p[1], &r, 1, fd);
		for (i = 0; i <= SPARE(t); i++) {
			gfd = vfio_open_group(t->devs[i].group);
			if (gfd < 0)
				child_fail(p[1], &r, 2, gfd);
			r.err = vfio_attach(fd, gfd, !i, VFIO_TYPE1v2_IOMMU);
			if (r.err)
				child_fail(p[1], &r, 3, r.err);
			if (!i) {
				r.err = _vfio_map(fd, SZ_1M, 32 * pg, t->buf,
						  VFIO_RW);
				if (r.err)
					child_fail(p[1], &r, 4, r.err);
			}
		}
		r.err = _vfio_map(fd, SZ_2M, 16 * pg, buf_at(t, 32), VFIO_RW);
		if (r.err)
			child_fail(p[1], &r, 5, r.err);
		r.vmlck_after = vmlck_kb();
		r.pins_after = foll_pins_at(r.pins_before + 48);
		if (mdom_loaded())
			r.ncontainers = mdom_dbg_containers(getpid(), &r.dbg, 1);
		if (write(p[1], &r, sizeof(r)) != sizeof(r))
			_exit(2);
		_exit(0);	/* no unmap, no unset, no close */
	}
	close(p[1]);
	ASSERT_EQ(sizeof(r), read(p[0], &r, sizeof(r)));
	close(p[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status)) {
		TH_LOG("child failed at step %d: %s", r.step, strerror(-r.err));
	}

	/* The child's own figures: 48 pages pinned once, charged once */
	EXPECT_EQ(r.vmlck_before + (long)(48 * pg / 1024), r.vmlck_after);
	EXPECT_EQ(r.pins_before + 48, r.pins_after);
	if (t->mdom) {
		ASSERT_EQ(1, r.ncontainers);
		EXPECT_EQ(pid, r.dbg.pid);
		EXPECT_EQ(2, r.dbg.mappings);
		EXPECT_EQ(48, r.dbg.pinned_pages);
		EXPECT_EQ(48, r.dbg.locked_pages);
		EXPECT_EQ(t->ndevs, r.dbg.ndomains);
	}

	/* Gone with it: pins, mock domains, vfio-mdom's container */
	expect_pins(t->mark.pins);
	EXPECT_EQ(t->mark.counters.v[MOCK_IOMMU_CNT_DOMAINS_LIVE],
		  mock_counter(MOCK_IOMMU_CNT_DOMAINS_LIVE, -1));
	EXPECT_EQ(t->mark.counters.v[MOCK_IOMMU_CNT_TRANSLATIONS_LIVE],
		  mock_counter(MOCK_IOMMU_CNT_TRANSLATIONS_LIVE, -1));
	if (mdom_loaded())
		EXPECT_EQ(0, mdom_dbg_containers(pid, NULL, 0));
	/* The groups are free: this container can have them. */
	for (i = 0; i <= SPARE(t); i++) {
		t->gfd[i] = vfio_open_group(t->devs[i].group);
		ASSERT_LE(0, t->gfd[i]);
	}
	attach_all(_metadata, t);
	if (t->mdom) {
		struct mdom_state st;

		mdom_query(t->fd, &st);
		EXPECT_EQ(t->ndevs, st.q.num_domains);
		EXPECT_EQ(0, st.q.num_mappings);
	}
}

/* VFIO_SET_IOMMU's rules, and type1 (v1) unmap semantics. */
TEST_F(container, set_iommu_rules)
{
	struct ctx *t = &self->t;
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	size_t pg = t->pg;
	uint64_t unmapped;

	/* Nothing but CHECK_EXTENSION before an IOMMU driver is set */
	vfio_map_err(EINVAL, t->fd, 0, pg, t->buf, VFIO_RW);
	vfio_unmap_err(EINVAL, t->fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL);
	EXPECT_EQ(-1, ioctl(t->fd, VFIO_IOMMU_GET_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, _mdom_backend(t->fd));
	EXPECT_EQ(1, vfio_check_extension(t->fd, VFIO_TYPE1_IOMMU));
	EXPECT_EQ(1, vfio_check_extension(t->fd, VFIO_TYPE1v2_IOMMU));
	/* Not without a group */
	vfio_set_iommu_err(EINVAL, t->fd, VFIO_TYPE1_IOMMU);

	vfio_set_container(t->gfd[0], t->fd);
	vfio_set_iommu_err(ENODEV, t->fd, VFIO_SPAPR_TCE_IOMMU);
	vfio_set_iommu_err(ENODEV, t->fd, VFIO_NOIOMMU_IOMMU);
	vfio_set_iommu_err(ENODEV, t->fd, 42);
	vfio_set_iommu(t->fd, VFIO_TYPE1_IOMMU);
	t->attached[0] = true;
	t->nattached = 1;
	if (t->mdom)
		expect_backend_mdom(t->fd);
	vfio_set_iommu_err(EINVAL, t->fd, VFIO_TYPE1v2_IOMMU);
	vfio_set_iommu_err(EINVAL, t->fd, VFIO_TYPE1_IOMMU);
	EXPECT_EQ(0, ioctl(t->fd, VFIO_IOMMU_GET_INFO, &info));
	if (t->mdom) {
		struct mdom_state st;

		mdom_query(t->fd, &st);
		EXPECT_EQ(VFIO_TYPE1_IOMMU, st.q.iommu_type);
	}

	/* v1: an unmap starting inside a mapping succeeds, removes nothing */
	vfio_map(t->fd, SZ_1M, 2 * pg, t->buf);
	ASSERT_EQ(0, _vfio_unmap(t->fd, SZ_1M + pg, pg, 0, &unmapped));
	EXPECT_EQ(0, unmapped);
	/* v1: one covering its first IOVA removes it whole */
	ASSERT_EQ(0, _vfio_unmap(t->fd, SZ_1M, pg, 0, &unmapped));
	EXPECT_EQ(2 * pg, unmapped);

	vfio_map(t->fd, 0, 2 * pg, t->buf + 2 * pg);
	EXPECT_EQ(t->mark.vmlck + (long)(2 * pg / 1024), vmlck_kb());
}

TEST_HARNESS_MAIN
