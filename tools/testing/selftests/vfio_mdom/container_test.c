// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom selftest: containers with one, two and three heterogeneous
 * IOMMU domains.
 *
 *   one_domain     a mock device of instance 0 (4K pages, 39-bit aperture,
 *                  enforces coherency, MSI window reserved)
 *   two_domains    plus a mock device of instance 1 (4K|2M|1G, 48 bits,
 *                  no coherency enforcement): they cannot share a domain
 *   three_domains  an edu device behind the Intel vIOMMU (vfio-pci) first,
 *                  then the two mock devices
 *
 * The translations of mock domains are read from the mock's debugfs and
 * the mock devices "DMA" through them; the Intel domain is checked through
 * VFIO_MDOM_QUERY. Every test ends (teardown) by checking that the mock's
 * error counters did not move, that no mock domain or translation outlives
 * the container, and that VmLck is back where it started.
 */
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>

#include "vfio_mdom_utils.h"

#define MAX_DEVS	3
#define BUF_PAGES	64

struct test_dev {
	bool edu;
	int inst;		/* mock instance, or -1 */
	int idx;		/* device within the instance */
	int group;		/* IOMMU group: /dev/vfio/<group> */
	char name[64];		/* mock device name in debugfs */
};

/* The fixture, in a struct of its own so that helpers can take it. */
struct ctx {
	int fd;
	unsigned int ndevs;
	struct test_dev devs[MAX_DEVS];
	int gfd[MAX_DEVS];
	uint32_t dom[MAX_DEVS];	/* container domain id of each, once attached */
	long vmlck_start;
	struct mock_snapshot mock_start;
	uint8_t *buf;
	size_t pg;
};

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

/* The byte at offset @off of the fixture's buffer. */
static uint8_t pattern(size_t off)
{
	return (uint8_t)(off * 7 + (off >> 12) * 13 + 1);
}

FIXTURE_SETUP(container)
{
	struct ctx *t = &self->t;
	unsigned int i, n = 0;
	size_t off;

	t->pg = mdom_page_size();
	for (i = 0; i < MAX_DEVS; i++)
		t->gfd[i] = -1;
	t->fd = -1;
	if (!mock_present())
		SKIP(return, "the mock IOMMU (vfio_mdom_mock_iommu) is not loaded");

	if (variant->edu) {
		t->devs[n].edu = true;
		t->devs[n].inst = -1;
		t->devs[n].group = mdom_edu_group(0);
		if (t->devs[n].group < 0)
			SKIP(return, "no edu device bound to vfio-pci");
		snprintf(t->devs[n].name, sizeof(t->devs[n].name), "edu");
		n++;
	}
	for (i = 0; n < variant->ndevs; i++, n++) {
		t->devs[n].inst = i;		/* mock instances 0, then 1 */
		t->devs[n].idx = 0;
		ASSERT_EQ(0, mock_device(i, 0, t->devs[n].name,
					 &t->devs[n].group, NULL));
	}
	t->ndevs = n;

	t->fd = open(MDOM_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, t->fd);
	ASSERT_EQ(0, _mdom_set_iommu(t->fd, VFIO_TYPE1v2_IOMMU));
	for (i = 0; i < t->ndevs; i++) {
		t->gfd[i] = mdom_open_group(t->devs[i].group);
		ASSERT_LE(0, t->gfd[i]) {
			TH_LOG("open /dev/vfio/%d: %s", t->devs[i].group,
			       strerror(errno));
		}
	}

	t->buf = mmap(NULL, BUF_PAGES * t->pg, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, t->buf);
	for (off = 0; off < BUF_PAGES * t->pg; off++)
		t->buf[off] = pattern(off);

	t->vmlck_start = vmlck_kb();
	ASSERT_LE(0, t->vmlck_start);
	mock_snapshot(&t->mock_start);
}

FIXTURE_TEARDOWN(container)
{
	struct ctx *t = &self->t;
	struct mock_snapshot now;
	unsigned int i;

	if (t->fd >= 0)
		close(t->fd);
	for (i = 0; i < MAX_DEVS; i++)
		if (t->gfd[i] >= 0)
			close(t->gfd[i]);

	/* Closing the container returned every page and charge. */
	EXPECT_EQ(t->vmlck_start, vmlck_kb());
	mock_snapshot(&now);
	for (i = 0; i < MOCK_NR_ERRORS; i++) {
		const char *name = mock_error_counters[i];

		EXPECT_EQ(t->mock_start.errors[i], now.errors[i]) {
			TH_LOG("mock counter %s moved", name ? name : "?");
		}
	}
	EXPECT_EQ(t->mock_start.domains_live, now.domains_live);
	EXPECT_EQ(t->mock_start.translations_live, now.translations_live);
}

static void *buf_at(struct ctx *t, unsigned int page)
{
	return t->buf + page * t->pg;
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

static int do_maps(struct ctx *t, const struct tmap *m,
		   unsigned int n)
{
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = _mdom_map(t->fd, m[i].iova, m[i].pages * t->pg,
				buf_at(t, m[i].page),
				VFIO_DMA_MAP_FLAG_READ |
				(m[i].rw ? VFIO_DMA_MAP_FLAG_WRITE : 0));
		if (ret)
			return ret;
	}
	return 0;
}

/* Mock device @d's domain holds every mapping of @m; its DMA reads them. */
static void check_mock_dev(struct __test_metadata *_metadata,
			   struct ctx *t,
			   const struct test_dev *d, const struct tmap *m,
			   unsigned int n)
{
	unsigned int dom = mock_dev_domain(d->inst, d->idx), i;
	uint8_t got[64];
	size_t off;

	ASSERT_NE(0, dom) {
		TH_LOG("%s is not attached to a domain", d->name);
	}
	for (i = 0; i < n; i++) {
		EXPECT_EQ(0, mock_domain_covers(dom, m[i].iova,
						m[i].pages * t->pg,
						m[i].rw ? 3 : 1)) {
			TH_LOG("%s: mock domain %u, mapping at 0x%llx",
			       d->name, dom, (unsigned long long)m[i].iova);
		}
		/* Read 64 bytes in the last page of the mapping. */
		off = (m[i].pages - 1) * t->pg + 100;
		ASSERT_EQ(0, mock_dma(d->name, m[i].iova + off, got,
				      sizeof(got), false));
		EXPECT_EQ(0, memcmp(got, (uint8_t *)buf_at(t, m[i].page) + off,
				    sizeof(got)));
	}
}

static void check_all_mock_devs(struct __test_metadata *_metadata,
				struct ctx *t,
				unsigned int ndevs, const struct tmap *m,
				unsigned int n)
{
	unsigned int i;

	for (i = 0; i < ndevs; i++)
		if (!t->devs[i].edu)
			check_mock_dev(_metadata, t, &t->devs[i], m, n);
}

/* Attach device @i; a new kind of IOMMU each time, so a new domain. */
static void attach_new(struct __test_metadata *_metadata, struct ctx *t,
		       unsigned int i)
{
	uint32_t flags = 0;

	mdom_attach(t->fd, t->gfd[i], &t->dom[i], &flags);
	EXPECT_EQ(VFIO_MDOM_ATTACH_NEW_DOMAIN, flags);
}

static void attach_all(struct __test_metadata *_metadata,
		       struct ctx *t)
{
	unsigned int i;

	for (i = 0; i < t->ndevs; i++)
		attach_new(_metadata, t, i);
}

/*
 * Map first, then attach a new kind of device after another: each new
 * domain holds every existing translation, and locked memory does not grow.
 */
TEST_F(container, map_then_attach)
{
	struct ctx *t = &self->t;
	static const struct tmap late = { 0x80000000, 40, 8, true };
	struct mdom_state st;
	uint64_t total = MAPS3_PAGES * t->pg;
	unsigned int i, j;
	long locked;

	ASSERT_EQ(0, do_maps(t, maps3, 3));
	locked = vmlck_kb();
	EXPECT_EQ(t->vmlck_start + (long)(total / 1024), locked);
	mdom_query(t->fd, &st);
	EXPECT_EQ(0, st.q.num_domains);
	EXPECT_EQ(3, st.q.num_mappings);
	EXPECT_EQ(MAPS3_PAGES, st.q.pinned_pages);
	EXPECT_EQ(MAPS3_PAGES, st.q.locked_pages);

	for (i = 0; i < t->ndevs; i++) {
		attach_new(_metadata, t, i);
		EXPECT_EQ(locked, vmlck_kb());

		mdom_query(t->fd, &st);
		ASSERT_EQ(i + 1, st.q.num_domains);
		EXPECT_EQ(i + 1, st.q.num_groups);
		EXPECT_EQ(MAPS3_PAGES, st.q.pinned_pages);
		for (j = 0; j < st.q.num_domains; j++)
			EXPECT_EQ(total, st.domains[j].mapped_bytes);
		EXPECT_EQ(t->devs[i].group, (int)st.groups[i].group_id);
		EXPECT_EQ(t->dom[i], st.groups[i].domain_id);
		EXPECT_STREQ(t->devs[i].edu ? "intel_iommu" : "mock_iommu",
			     st.domains[i].driver);
		/* Every device attached so far still translates everything. */
		check_all_mock_devs(_metadata, t, i + 1, maps3, 3);
	}

	/* A mapping made now goes to every domain. */
	ASSERT_EQ(0, do_maps(t, &late, 1));
	check_all_mock_devs(_metadata, t, t->ndevs, &late, 1);
	mdom_query(t->fd, &st);
	for (j = 0; j < st.q.num_domains; j++)
		EXPECT_EQ(total + 8 * t->pg, st.domains[j].mapped_bytes);
	EXPECT_EQ(locked + (long)(8 * t->pg / 1024), vmlck_kb());
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
	for (i = 0; i < t->ndevs; i++) {
		struct test_dev *d = &t->devs[i];

		if (d->edu)
			continue;
		/* Across a page boundary */
		off = 3 * t->pg - 128;
		ASSERT_EQ(0, mock_dma(d->name, m.iova + off, got, sizeof(got), false));
		EXPECT_EQ(0, memcmp(got, t->buf + off, sizeof(got)));
		ASSERT_EQ(0, mock_dma(d->name, m.iova + 5 * t->pg, got, 16, false));
		EXPECT_EQ(0xa5, got[0]);
		EXPECT_EQ(0xa5, got[15]);

		/* The device writes; the user reads it. */
		memset(data, 0x30 + i, sizeof(data));
		ASSERT_EQ(0, mock_dma(d->name, m.iova + 7 * t->pg + 8, data,
				      sizeof(data), true));
		EXPECT_EQ(0, memcmp(buf_at(t, 7) + 8, data, sizeof(data)));

		/* Read-only mapping; outside every mapping. */
		EXPECT_EQ(-EACCES, mock_dma(d->name, ro.iova, data, 8, true));
		EXPECT_EQ(0, mock_dma(d->name, ro.iova, data, 8, false));
		EXPECT_EQ(-EIO, mock_dma(d->name, m.iova + 32 * t->pg, data,
					 8, false));
	}
}

/*
 * Detach one: the others still translate and locked memory is unchanged.
 * Detach the last: no domain is left and the mock holds no translation,
 * the mappings stay pinned for the next attach; UNMAP_ALL returns all.
 */
TEST_F(container, detach_one_then_all)
{
	struct ctx *t = &self->t;
	struct mdom_state st;
	unsigned int i;
	long locked;
	uint8_t b;

	ASSERT_EQ(0, do_maps(t, maps3, 3));
	attach_all(_metadata, t);
	locked = vmlck_kb();

	mdom_detach(t->fd, t->gfd[0]);
	mdom_detach_err(ENOENT, t->fd, t->gfd[0]);
	mdom_query(t->fd, &st);
	EXPECT_EQ(t->ndevs - 1, st.q.num_domains);
	EXPECT_EQ(NULL, mdom_state_domain(&st, t->dom[0]));
	EXPECT_EQ(locked, vmlck_kb());
	if (!t->devs[0].edu) {
		EXPECT_EQ(0, mock_dev_domain(t->devs[0].inst, 0));
		EXPECT_EQ(-EIO, mock_dma(t->devs[0].name, SZ_1M, &b, 1, false));
	}
	for (i = 1; i < t->ndevs; i++)
		check_mock_dev(_metadata, t, &t->devs[i], maps3, 3);

	for (i = 1; i < t->ndevs; i++)
		mdom_detach(t->fd, t->gfd[i]);
	mdom_query(t->fd, &st);
	EXPECT_EQ(0, st.q.num_domains);
	EXPECT_EQ(0, st.q.num_groups);
	EXPECT_EQ(3, st.q.num_mappings);
	EXPECT_EQ(locked, vmlck_kb());
	EXPECT_EQ(t->mock_start.domains_live, mock_counter("domains_live", -1));
	EXPECT_EQ(t->mock_start.translations_live,
		  mock_counter("translations_live", -1));

	/* Attach again: replayed from the pinned pages. */
	attach_all(_metadata, t);
	check_all_mock_devs(_metadata, t, t->ndevs, maps3, 3);
	EXPECT_EQ(locked, vmlck_kb());

	mdom_unmap_all(t->fd);
	EXPECT_EQ(t->vmlck_start, vmlck_kb());
	for (i = 0; i < t->ndevs; i++)
		if (!t->devs[i].edu)
			EXPECT_TRUE(mock_domain_empty_in(mock_dev_domain(t->devs[i].inst, 0),
							 0, 1ULL << 39));
}

/*
 * The last device's replay fails on its third IOMMU map (one-page
 * mappings: one map each), after two were replayed: the attach fails with
 * the injected errno and the container is exactly as before.
 */
TEST_F(container, replay_fails_halfway)
{
	struct ctx *t = &self->t;
	static const struct tmap ones[] = {
		{ SZ_1M, 0, 1, true }, { SZ_2M, 1, 1, true },
		{ 3 * SZ_1M, 2, 1, false }, { 4 * SZ_1M, 3, 1, true },
	};
	unsigned int last = t->ndevs - 1, i;
	struct test_dev *d = &t->devs[last];
	struct mdom_state before, after;
	long long live;
	long locked;

	for (i = 0; i < last; i++)
		attach_new(_metadata, t, i);
	ASSERT_EQ(0, do_maps(t, ones, 4));
	mdom_query(t->fd, &before);
	locked = vmlck_kb();
	live = mock_counter("domains_live", -1);

	ASSERT_EQ(0, mock_fail_nth_map(d->inst, 3, -EIO));
	EXPECT_EQ(EIO, _mdom_attach(t->fd, t->gfd[last], NULL, NULL));
	ASSERT_EQ(0, mock_fail_nth_map(d->inst, 0, 0));

	mdom_query(t->fd, &after);
	EXPECT_EQ(before.q.num_domains, after.q.num_domains);
	EXPECT_EQ(before.q.num_groups, after.q.num_groups);
	EXPECT_EQ(before.q.num_mappings, after.q.num_mappings);
	EXPECT_EQ(before.q.pinned_pages, after.q.pinned_pages);
	EXPECT_EQ(before.q.locked_pages, after.q.locked_pages);
	EXPECT_EQ(0, memcmp(before.domains, after.domains,
			    sizeof(before.domains)));
	EXPECT_EQ(locked, vmlck_kb());
	EXPECT_EQ(live, mock_counter("domains_live", -1));
	EXPECT_EQ(0, mock_counter("translations_live", d->inst));
	EXPECT_EQ(0, mock_dev_domain(d->inst, d->idx));
	EXPECT_EQ(1, mock_counter("injected_failures", d->inst) > 0);

	/* Nothing was left claimed: the same attach now works. */
	attach_new(_metadata, t, last);
	check_all_mock_devs(_metadata, t, t->ndevs, ones, 4);
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
	struct mdom_state st;
	unsigned int i;

	attach_all(_metadata, t);
	ASSERT_EQ(0, drop_cap_ipc_lock());
	rl.rlim_cur = t->vmlck_start * 1024 + 8 * t->pg;
	rl.rlim_max = rl.rlim_cur;
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &rl));

	mdom_map_err(ENOMEM, t->fd, SZ_1M, 16 * t->pg, t->buf, MDOM_RW);
	EXPECT_EQ(t->vmlck_start, vmlck_kb());
	mdom_query(t->fd, &st);
	EXPECT_EQ(0, st.q.num_mappings);
	EXPECT_EQ(0, st.q.pinned_pages);
	for (i = 0; i < t->ndevs; i++)
		if (!t->devs[i].edu)
			EXPECT_TRUE(mock_domain_empty_in(mock_dev_domain(t->devs[i].inst, 0),
							 SZ_1M, 16 * t->pg));

	/* Up to the limit is fine; one page more is not. */
	mdom_map(t->fd, SZ_1M, 8 * t->pg, t->buf);
	mdom_map_err(ENOMEM, t->fd, SZ_2M, t->pg, buf_at(t, 8), MDOM_RW);
	EXPECT_EQ(t->vmlck_start + (long)(8 * t->pg / 1024), vmlck_kb());
	mdom_unmap(t->fd, SZ_1M, 8 * t->pg);
	EXPECT_EQ(t->vmlck_start, vmlck_kb());
}

/* Every bad MAP/UNMAP argument gets type1's errno and changes nothing. */
TEST_F(container, bad_map_unmap_args)
{
	struct ctx *t = &self->t;
	struct vfio_iommu_type1_dma_map map;
	struct vfio_iommu_type1_dma_unmap unmap;
	size_t pg = t->pg;
	struct mdom_state st;
	uint64_t unmapped;

	attach_all(_metadata, t);
	mdom_map(t->fd, SZ_1M, 4 * pg, t->buf);

	mdom_map_err(EINVAL, t->fd, SZ_2M + 0x800, pg, t->buf, MDOM_RW);
	mdom_map_err(EINVAL, t->fd, SZ_2M, pg + 1, t->buf, MDOM_RW);
	mdom_map_err(EINVAL, t->fd, SZ_2M, pg, t->buf + 8, MDOM_RW);
	mdom_map_err(EINVAL, t->fd, SZ_2M, 0, t->buf, MDOM_RW);
	/* IOVA and vaddr wrap-around */
	mdom_map_err(EINVAL, t->fd, UINT64_MAX - pg + 1, 2 * pg, t->buf, MDOM_RW);
	mdom_map_err(EINVAL, t->fd, SZ_2M, 2 * pg,
		     (void *)(uintptr_t)(UINT64_MAX - pg + 1), MDOM_RW);
	/* Outside the valid ranges: the mock's 39-bit aperture, MSI window */
	mdom_map_err(EINVAL, t->fd, 1ULL << 40, pg, t->buf, MDOM_RW);
	mdom_map_err(EINVAL, t->fd, 0xfee00000, pg, t->buf, MDOM_RW);
	/* Overlaps */
	mdom_map_err(EEXIST, t->fd, SZ_1M, 4 * pg, t->buf, MDOM_RW);
	mdom_map_err(EEXIST, t->fd, SZ_1M + 3 * pg, 2 * pg, t->buf, MDOM_RW);
	mdom_map_err(EEXIST, t->fd, SZ_1M - pg, 2 * pg, t->buf, MDOM_RW);
	/* Flags: none, unknown, VADDR (not implemented) */
	mdom_map_err(EINVAL, t->fd, SZ_2M, pg, t->buf, 0);
	mdom_map_err(EINVAL, t->fd, SZ_2M, pg, t->buf, MDOM_RW | (1 << 7));
	mdom_map_err(EINVAL, t->fd, SZ_2M, pg, t->buf, VFIO_DMA_MAP_FLAG_VADDR);
	/* Short argsz; a longer one is fine (type1 ignores the rest). */
	map = (struct vfio_iommu_type1_dma_map){
		.argsz = offsetof(struct vfio_iommu_type1_dma_map, size) + 7,
		.flags = MDOM_RW, .vaddr = (uintptr_t)t->buf,
		.iova = SZ_2M, .size = pg,
	};
	EXPECT_EQ(-1, ioctl(t->fd, VFIO_IOMMU_MAP_DMA, &map));
	EXPECT_EQ(EINVAL, errno);

	/* Unmap: flags, alignment, size, wrap, ALL with a range, a split. */
	mdom_unmap_err(EINVAL, t->fd, SZ_1M, 4 * pg, 1 << 7);
	mdom_unmap_err(EINVAL, t->fd, SZ_1M, 4 * pg,
		       VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP);
	mdom_unmap_err(EINVAL, t->fd, SZ_1M, 4 * pg, VFIO_DMA_UNMAP_FLAG_VADDR);
	mdom_unmap_err(EINVAL, t->fd, SZ_1M + 0x800, 4 * pg, 0);
	mdom_unmap_err(EINVAL, t->fd, SZ_1M, 4 * pg + 1, 0);
	mdom_unmap_err(EINVAL, t->fd, SZ_1M, 0, 0);
	mdom_unmap_err(EINVAL, t->fd, 2 * pg, UINT64_MAX - pg + 1, 0);
	mdom_unmap_err(EINVAL, t->fd, SZ_1M, 0, VFIO_DMA_UNMAP_FLAG_ALL);
	mdom_unmap_err(EINVAL, t->fd, 0, pg, VFIO_DMA_UNMAP_FLAG_ALL);
	mdom_unmap_err(EINVAL, t->fd, SZ_1M + pg, pg, 0);
	mdom_unmap_err(EINVAL, t->fd, SZ_1M, 2 * pg, 0);
	mdom_unmap_err(EINVAL, t->fd, SZ_1M - pg, 2 * pg, 0);
	unmap = (struct vfio_iommu_type1_dma_unmap){
		.argsz = offsetof(struct vfio_iommu_type1_dma_unmap, size) + 7,
		.iova = SZ_1M, .size = 4 * pg,
	};
	EXPECT_EQ(-1, ioctl(t->fd, VFIO_IOMMU_UNMAP_DMA, &unmap));
	EXPECT_EQ(EINVAL, errno);

	mdom_query(t->fd, &st);
	EXPECT_EQ(1, st.q.num_mappings);
	EXPECT_EQ(4, st.q.pinned_pages);
	EXPECT_EQ(t->vmlck_start + (long)(4 * pg / 1024), vmlck_kb());
	check_all_mock_devs(_metadata, t, t->ndevs,
			    &(struct tmap){ SZ_1M, 0, 4, true }, 1);

	/* A range around it is fine in v2, and nothing there is success. */
	ASSERT_EQ(0, _mdom_unmap(t->fd, 0, SZ_2M, 0, &unmapped));
	EXPECT_EQ(4 * pg, unmapped);
	ASSERT_EQ(0, _mdom_unmap(t->fd, 0, SZ_2M, 0, &unmapped));
	EXPECT_EQ(0, unmapped);
}

/* Bad group fds, double attach, a group owned elsewhere. */
TEST_F(container, bad_attach)
{
	struct ctx *t = &self->t;
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	int other, closed, vfio, ret;

	ASSERT_LE(0, devnull);
	mdom_attach_err(EBADF, t->fd, -1);
	closed = dup(devnull);
	close(closed);
	mdom_attach_err(EBADF, t->fd, closed);
	mdom_attach_err(EINVAL, t->fd, devnull);
	mdom_attach_err(EINVAL, t->fd, t->fd);
	mdom_detach_err(EBADF, t->fd, -1);
	mdom_detach_err(EINVAL, t->fd, devnull);
	mdom_detach_err(ENOENT, t->fd, t->gfd[0]);
	close(devnull);

	mdom_attach(t->fd, t->gfd[0], NULL, NULL);
	mdom_attach_err(EEXIST, t->fd, t->gfd[0]);

	/* Another container, a VFIO container: the group is taken. */
	other = open(MDOM_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, other);
	mdom_attach_err(EBUSY, other, t->gfd[0]);
	mdom_detach_err(ENOENT, other, t->gfd[0]);
	vfio = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (vfio >= 0) {
		ret = ioctl(t->gfd[0], VFIO_GROUP_SET_CONTAINER, &vfio);
		EXPECT_EQ(-1, ret);
		if (!ret)
			ioctl(t->gfd[0], VFIO_GROUP_UNSET_CONTAINER);
	}

	/* Released on detach: the others may have it now. */
	mdom_detach(t->fd, t->gfd[0]);
	mdom_attach(other, t->gfd[0], NULL, NULL);
	mdom_attach_err(EBUSY, t->fd, t->gfd[0]);
	close(other);
	/* ... and on close. */
	if (vfio >= 0) {
		EXPECT_EQ(0, ioctl(t->gfd[0], VFIO_GROUP_SET_CONTAINER, &vfio));
		/* In a VFIO container now: ours cannot take it. */
		mdom_attach_err(EBUSY, t->fd, t->gfd[0]);
		EXPECT_EQ(0, ioctl(t->gfd[0], VFIO_GROUP_UNSET_CONTAINER));
		close(vfio);
	}
	mdom_attach(t->fd, t->gfd[0], NULL, NULL);
}

/* Argsz, flags and reserved fields of vfio-mdom's own ioctls. */
TEST_F(container, new_ioctls_argsz)
{
	struct ctx *t = &self->t;
	struct {
		struct vfio_mdom_attach_group a;
		uint64_t extra;
	} attach = {};
	struct {
		struct vfio_mdom_detach_group d;
		uint64_t extra;
	} detach = {};
	struct {
		struct mdom_state st;
		uint64_t extra;
	} big = {};
	struct {
		struct vfio_mdom_query q;
		uint64_t extra;
	} qx;
	struct mdom_state st;

	attach.a.group_fd = t->gfd[0];
	attach.a.argsz = sizeof(struct vfio_mdom_attach_group) - 1;
	EXPECT_EQ(-1, ioctl(t->fd, VFIO_MDOM_ATTACH_GROUP, &attach));
	EXPECT_EQ(EINVAL, errno);
	attach.a.argsz = sizeof(attach);
	attach.extra = 1;
	EXPECT_EQ(-1, ioctl(t->fd, VFIO_MDOM_ATTACH_GROUP, &attach));
	EXPECT_EQ(E2BIG, errno);
	attach.extra = 0;
	attach.a.flags = 1;
	EXPECT_EQ(-1, ioctl(t->fd, VFIO_MDOM_ATTACH_GROUP, &attach));
	EXPECT_EQ(EINVAL, errno);
	attach.a.flags = 0;
	attach.a.__reserved = 1;
	EXPECT_EQ(-1, ioctl(t->fd, VFIO_MDOM_ATTACH_GROUP, &attach));
	EXPECT_EQ(EINVAL, errno);
	mdom_query(t->fd, &st);
	EXPECT_EQ(0, st.q.num_groups);
	/* Longer with zero trailing bytes: accepted. */
	attach.a.__reserved = 0;
	ASSERT_EQ(0, ioctl(t->fd, VFIO_MDOM_ATTACH_GROUP, &attach));
	EXPECT_EQ(VFIO_MDOM_ATTACH_NEW_DOMAIN, attach.a.out_flags);

	detach.d.group_fd = t->gfd[0];
	detach.d.argsz = sizeof(struct vfio_mdom_detach_group) - 1;
	EXPECT_EQ(-1, ioctl(t->fd, VFIO_MDOM_DETACH_GROUP, &detach));
	EXPECT_EQ(EINVAL, errno);
	detach.d.argsz = sizeof(detach);
	detach.extra = 1ULL << 63;
	EXPECT_EQ(-1, ioctl(t->fd, VFIO_MDOM_DETACH_GROUP, &detach));
	EXPECT_EQ(E2BIG, errno);
	detach.extra = 0;
	detach.d.flags = 2;
	EXPECT_EQ(-1, ioctl(t->fd, VFIO_MDOM_DETACH_GROUP, &detach));
	EXPECT_EQ(EINVAL, errno);

	ASSERT_EQ(0, _mdom_query(t->fd, &big.st));
	big.st.q.argsz = sizeof(struct vfio_mdom_query) - 1;
	EXPECT_EQ(-1, ioctl(t->fd, VFIO_MDOM_QUERY, &big.st.q));
	EXPECT_EQ(EINVAL, errno);
	/* A query struct followed by a non-zero field the kernel lacks */
	qx.q = big.st.q;
	qx.extra = 5;
	qx.q.argsz = sizeof(qx);
	EXPECT_EQ(-1, ioctl(t->fd, VFIO_MDOM_QUERY, &qx));
	EXPECT_EQ(E2BIG, errno);
	qx.extra = 0;
	qx.q.flags = 1;
	EXPECT_EQ(-1, ioctl(t->fd, VFIO_MDOM_QUERY, &qx));
	EXPECT_EQ(EINVAL, errno);
	qx.q.flags = 0;
	qx.q.num_domains = 0;
	EXPECT_EQ(-1, ioctl(t->fd, VFIO_MDOM_QUERY, &qx));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(1, qx.q.num_domains);
	EXPECT_EQ(1, qx.q.num_groups);
	EXPECT_EQ(0, ioctl(t->fd, VFIO_MDOM_QUERY, &qx));
	EXPECT_EQ(1, big.st.domains[0].num_groups);
	EXPECT_EQ(t->devs[0].group, (int)big.st.groups[0].group_id);
	detach.d.flags = 0;
	EXPECT_EQ(0, ioctl(t->fd, VFIO_MDOM_DETACH_GROUP, &detach));
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
	unsigned int i;
	uint32_t need;
	char buf[4096];

	info = (void *)buf;
	need = offsetof(struct vfio_iommu_type1_info, iova_pgsizes) + 7;
	EXPECT_EQ(EINVAL, _mdom_get_info(t->fd, buf, need));

	attach_all(_metadata, t);
	mdom_map(t->fd, SZ_1M, 2 * t->pg, t->buf);
	mdom_query(t->fd, &st);
	for (i = 0; i < st.q.num_domains; i++) {
		pgsizes &= st.domains[i].pgsize_bitmap;
		if (st.domains[i].aperture_start > ap_start)
			ap_start = st.domains[i].aperture_start;
		if (st.domains[i].aperture_end < ap_end)
			ap_end = st.domains[i].aperture_end;
	}

	/* Too short for the caps: argsz grows, no chain, CAPS still set. */
	ASSERT_EQ(0, _mdom_get_info(t->fd, buf, sizeof(*info)));
	EXPECT_EQ(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS, info->flags);
	EXPECT_EQ(pgsizes, info->iova_pgsizes);
	EXPECT_EQ(0, info->cap_offset);
	need = info->argsz;
	ASSERT_LT(sizeof(*info), need);
	ASSERT_GE(sizeof(buf), need);

	ASSERT_EQ(0, _mdom_get_info(t->fd, buf, need));
	EXPECT_EQ(need, info->argsz);
	EXPECT_EQ(sizeof(*info), info->cap_offset);
	cap = (void *)mdom_info_cap(info, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	ASSERT_NE(NULL, cap);
	ASSERT_LT(0, cap->nr_iovas);
	EXPECT_EQ(ap_start, cap->iova_ranges[0].start);
	EXPECT_EQ(ap_end, cap->iova_ranges[cap->nr_iovas - 1].end);
	for (i = 0; i < cap->nr_iovas; i++) {
		/* The MSI window (mock inst 0 and the Intel IOMMU) is out. */
		EXPECT_TRUE(cap->iova_ranges[i].end < 0xfee00000 ||
			    cap->iova_ranges[i].start > 0xfeefffff);
		if (i)
			EXPECT_LT(cap->iova_ranges[i - 1].end + 1,
				  cap->iova_ranges[i].start);
	}
	/* The edges of the first range are mappable, past them not. */
	mdom_map(t->fd, cap->iova_ranges[0].end - t->pg + 1, t->pg,
		 t->buf);
	mdom_map_err(EINVAL, t->fd, cap->iova_ranges[0].end + 1, t->pg,
		     t->buf, MDOM_RW);
	avail = (void *)mdom_info_cap(info, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	ASSERT_NE(NULL, avail);
	ASSERT_EQ(0, _mdom_get_info(t->fd, buf, need));
	EXPECT_EQ(st.q.dma_avail - 1, avail->avail);
}

/* DMA_CC_IOMMU: only while every domain enforces coherency. */
TEST_F(container, dma_cc_extension)
{
	struct ctx *t = &self->t;
	struct mdom_state st;
	bool all = true;
	unsigned int i;

	EXPECT_EQ(0, ioctl(t->fd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU));
	attach_all(_metadata, t);
	mdom_query(t->fd, &st);
	for (i = 0; i < st.q.num_domains; i++)
		all &= !!(st.domains[i].flags & VFIO_MDOM_DOMAIN_ENFORCE_CC);
	EXPECT_EQ(all, ioctl(t->fd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU));
	/* Mock instance 0 enforces, instance 1 cannot. */
	for (i = 0; i < t->ndevs; i++) {
		struct vfio_mdom_domain_info *d = mdom_state_domain(&st, t->dom[i]);

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
			if (_mdom_map(t->fd, t->iova + j * 4 * t->pg, 4 * t->pg,
				      t->buf + j * 4 * t->pg, MDOM_RW))
				t->errors++;
		if (_mdom_unmap(t->fd, t->iova, 16 * t->pg, 0, &unmapped) ||
		    unmapped != 16 * t->pg)
			t->errors++;
	}
	return NULL;
}

/* Several threads map and unmap while groups come and go. */
TEST_F(container, threads)
{
	struct ctx *t = &self->t;
	struct thread_arg args[4];
	pthread_t th[4];
	struct mdom_state st;
	unsigned int i, k;

	for (i = 0; i < 4; i++) {
		args[i] = (struct thread_arg){
			.fd = t->fd, .buf = buf_at(t, 16 * i),
			.iova = (i + 1) * 0x10000000ULL, .pg = t->pg,
		};
		ASSERT_EQ(0, pthread_create(&th[i], NULL, map_unmap_thread,
					    &args[i]));
	}
	for (k = 0; k < 5; k++) {
		for (i = 0; i < t->ndevs; i++)
			EXPECT_EQ(0, _mdom_attach(t->fd, t->gfd[i], NULL, NULL));
		for (i = 0; i < t->ndevs; i++)
			EXPECT_EQ(0, _mdom_detach(t->fd, t->gfd[i]));
	}
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, pthread_join(th[i], NULL));
		EXPECT_EQ(0, args[i].errors);
	}
	mdom_query(t->fd, &st);
	EXPECT_EQ(0, st.q.num_mappings);
	EXPECT_EQ(0, st.q.pinned_pages);
	EXPECT_EQ(0, st.q.num_domains);
	EXPECT_EQ(t->vmlck_start, vmlck_kb());
}

/* A process that exits without cleaning up gives everything back. */
TEST_F(container, exit_releases_everything)
{
	struct ctx *t = &self->t;
	struct mdom_state st;
	unsigned int i;
	int status, fd;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		fd = open(MDOM_DEV, O_RDWR);
		if (fd < 0 || _mdom_set_iommu(fd, VFIO_TYPE1v2_IOMMU) ||
		    _mdom_map(fd, SZ_1M, 32 * t->pg, t->buf, MDOM_RW))
			_exit(1);
		for (i = 0; i < t->ndevs; i++)
			if (_mdom_attach(fd, t->gfd[i], NULL, NULL))
				_exit(2);
		if (_mdom_map(fd, SZ_2M, 16 * t->pg, buf_at(t, 32), MDOM_RW))
			_exit(3);
		_exit(0);	/* no unmap, no detach, no close */
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));

	EXPECT_EQ(t->mock_start.domains_live, mock_counter("domains_live", -1));
	EXPECT_EQ(t->mock_start.translations_live,
		  mock_counter("translations_live", -1));
	/* The groups were released: this container can have them. */
	attach_all(_metadata, t);
	mdom_query(t->fd, &st);
	EXPECT_EQ(t->ndevs, st.q.num_domains);
	EXPECT_EQ(t->vmlck_start, vmlck_kb());
}

/* Without VFIO_SET_IOMMU the type1 commands fail as in VFIO. */
TEST(set_iommu_rules)
{
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	size_t pg = mdom_page_size();
	long vmlck = vmlck_kb();
	uint64_t unmapped;
	uint8_t *buf;
	int fd;

	buf = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	fd = open(MDOM_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	mdom_map_err(EINVAL, fd, 0, pg, buf, MDOM_RW);
	mdom_unmap_err(EINVAL, fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL);
	EXPECT_EQ(-1, ioctl(fd, VFIO_IOMMU_GET_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(ENODEV, _mdom_set_iommu(fd, VFIO_SPAPR_TCE_IOMMU));
	EXPECT_EQ(ENODEV, _mdom_set_iommu(fd, VFIO_NOIOMMU_IOMMU));
	EXPECT_EQ(0, _mdom_set_iommu(fd, VFIO_TYPE1_IOMMU));
	EXPECT_EQ(EINVAL, _mdom_set_iommu(fd, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(0, ioctl(fd, VFIO_IOMMU_GET_INFO, &info));
	/* With no domain: PAGE_SIZE and up, the whole 64-bit space. */
	EXPECT_EQ((uint64_t)~(pg - 1), info.iova_pgsizes);

	/* The very top of the IOVA space, where type1 overflows. */
	mdom_map(fd, UINT64_MAX - 2 * pg + 1, 2 * pg, buf);
	mdom_map_err(EEXIST, fd, UINT64_MAX - pg + 1, pg, buf, MDOM_RW);
	/* v1: an unmap starting inside a mapping succeeds, removes nothing */
	ASSERT_EQ(0, _mdom_unmap(fd, UINT64_MAX - pg + 1, pg, 0, &unmapped));
	EXPECT_EQ(0, unmapped);
	/* v1: one covering its first IOVA removes it whole */
	ASSERT_EQ(0, _mdom_unmap(fd, UINT64_MAX - 2 * pg + 1, pg, 0, &unmapped));
	EXPECT_EQ(2 * pg, unmapped);

	mdom_map(fd, 0, 2 * pg, buf + 2 * pg);
	EXPECT_EQ(vmlck + (long)(2 * pg / 1024), vmlck_kb());
	close(fd);
	EXPECT_EQ(vmlck, vmlck_kb());
}

TEST_HARNESS_MAIN
