// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom selftest: dirty page tracking of a container with a real
 * device (an edu device behind the Intel IOMMU), as type1 reports it.
 *
 * Where no domain can track dirty pages (an IOMMU without dirty bits, as
 * QEMU's; a kernel without IOMMU dirty tracking, as Linux 6.1 or a kernel
 * without CONFIG_IOMMUFD_DRIVER), vfio-mdom reports type1's way: every
 * page of every mapping pinned for a device behind an IOMMU is dirty at
 * every read, while tracking runs, and GET_BITMAP is refused when it does
 * not. VFIO_MDOM_QUERY then says VFIO_MDOM_DIRTY_PINNED (where the domain
 * can track, the tests skip: dirty_test covers that). A bitmap starting
 * before a mapping has the mapping's bits at their place and nothing
 * else; an unmap with VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP reports the
 * pages that go.
 *
 * VFIO_MDOM_TEST_BACKEND=type1 runs it on type1 (the query checks left
 * out): make check-stock does, on the same kernel, as the reference.
 * Needs an edu device bound to vfio-pci.
 */
#include "mdom_test.h"

#define MAP_PAGES	80	/* two bitmap words, the second partly */
#define MAP_IOVA	(SZ_1M + 16 * PG)	/* bit 16 of a bitmap from 1 MiB */
#define SPAN_IOVA	SZ_1M
#define SPAN_PAGES	(16 + MAP_PAGES + 32)
#define WORDS		4

struct ectx {
	bool mdom;
	int fd;
	int gfd;
	struct edu_dev edu;
	uint8_t *buf;
	uint64_t bitmap[WORDS];
};

FIXTURE(edu_dirty)
{
	struct ectx t;
};

FIXTURE_SETUP(edu_dirty)
{
	struct ectx *t = &self->t;

	t->fd = -1;
	t->gfd = -1;
	t->buf = MAP_FAILED;
	if (edu_find(0, &t->edu))
		SKIP(return, "no edu device bound to vfio-pci");
	t->mdom = !mdom_test_on_type1();
	if (t->mdom && !mdom_loaded())
		SKIP(return, "vfio_mdom.ko is not loaded");

	t->buf = mmap(NULL, MAP_PAGES * PG, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, t->buf);
	memset(t->buf, 0, MAP_PAGES * PG);
	t->gfd = vfio_open_group(t->edu.group);
	ASSERT_LE(0, t->gfd);
	t->fd = vfio_open_container();
	ASSERT_LE(0, t->fd);
	ASSERT_EQ(0, vfio_attach(t->fd, t->gfd, true, VFIO_TYPE1v2_IOMMU));
	if (t->mdom)
		expect_backend_mdom(t->fd);
	else
		expect_backend_type1(t->fd);
	ASSERT_EQ(0, _vfio_map(t->fd, MAP_IOVA, MAP_PAGES * PG, t->buf,
			       VFIO_RW));
}

FIXTURE_TEARDOWN(edu_dirty)
{
	struct ectx *t = &self->t;

	if (t->fd >= 0)
		close(t->fd);
	if (t->gfd >= 0)
		close(t->gfd);
	if (t->buf != MAP_FAILED)
		munmap(t->buf, MAP_PAGES * PG);
}

/* Bit @bit of @t's bitmap. */
static bool bit_set(struct ectx *t, unsigned int bit)
{
	return t->bitmap[bit / 64] & (1ULL << (bit % 64));
}

/*
 * The bitmap of the span has the mapping's pages set and none before it;
 * with @exact, none after it either. type1 leaves the bits it shifted
 * past the mapping's end set in its own bitmap (it clears only the
 * mapping's bits after a report): from the second read on, it reports
 * up to a word's shift of pages after the mapping too.
 */
static void expect_mapping_dirty(struct __test_metadata *_metadata,
				 struct ectx *t, bool exact)
{
	unsigned int bit, first = (MAP_IOVA - SPAN_IOVA) / PG;
	unsigned int end = exact ? SPAN_PAGES : first + MAP_PAGES;

	for (bit = 0; bit < end; bit++) {
		EXPECT_EQ(bit >= first && bit < first + MAP_PAGES,
			  bit_set(t, bit)) {
			TH_LOG("page %u of the span", bit);
		}
	}
}

static int get_span(struct ectx *t)
{
	memset(t->bitmap, 0, sizeof(t->bitmap));
	return _vfio_dirty_get(t->fd, SPAN_IOVA, SPAN_PAGES * PG, PG,
			       t->bitmap,
			       vfio_dirty_bitmap_bytes(SPAN_PAGES));
}

/* Can the IOMMU domain of the container track dirty pages (vfio-mdom)? */
static bool domain_tracks(struct __test_metadata *_metadata, struct ectx *t)
{
	struct mdom_state st;

	if (!t->mdom)
		return false;
	EXPECT_EQ(0, _mdom_query(t->fd, &st));
	EXPECT_EQ(1, st.q.num_domains);
	return st.domains[0].flags & VFIO_MDOM_DOMAIN_DIRTY_TRACKING;
}

/* The mode VFIO_MDOM_QUERY reports (vfio-mdom only). */
static void expect_mode(struct __test_metadata *_metadata, struct ectx *t,
			uint32_t mode)
{
	struct mdom_state st;

	if (!t->mdom)
		return;
	mdom_query(t->fd, &st);
	EXPECT_EQ(mode, st.q.dirty_mode);
}

TEST_F(edu_dirty, every_pinned_page_dirty)
{
	struct ectx *t = &self->t;

	if (domain_tracks(_metadata, t))
		SKIP(return, "the IOMMU tracks dirty pages: dirty_test's case");
	/* Not tracking: no bitmap. */
	EXPECT_EQ(-EINVAL, get_span(t));
	expect_mode(_metadata, t, VFIO_MDOM_DIRTY_OFF);

	ASSERT_EQ(0, _vfio_dirty_ctl(t->fd, VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
	expect_mode(_metadata, t, VFIO_MDOM_DIRTY_PINNED);
	ASSERT_EQ(0, get_span(t));
	expect_mapping_dirty(_metadata, t, true);
	/* Reading does not clean: the device may have written them again. */
	ASSERT_EQ(0, get_span(t));
	expect_mapping_dirty(_metadata, t, false);

	ASSERT_EQ(0, _vfio_dirty_ctl(t->fd, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
	expect_mode(_metadata, t, VFIO_MDOM_DIRTY_OFF);
	EXPECT_EQ(-EINVAL, get_span(t));
}

TEST_F(edu_dirty, unmap_reports_what_goes)
{
	struct ectx *t = &self->t;
	uint64_t unmapped;
	unsigned int bit;

	if (domain_tracks(_metadata, t))
		SKIP(return, "the IOMMU tracks dirty pages: dirty_test's case");
	ASSERT_EQ(0, _vfio_dirty_ctl(t->fd, VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
	memset(t->bitmap, 0, sizeof(t->bitmap));
	ASSERT_EQ(0, _vfio_unmap_dirty(t->fd, MAP_IOVA, MAP_PAGES * PG, PG,
				       t->bitmap,
				       vfio_dirty_bitmap_bytes(MAP_PAGES),
				       &unmapped));
	EXPECT_EQ(MAP_PAGES * PG, unmapped);
	for (bit = 0; bit < WORDS * 64; bit++) {
		EXPECT_EQ(bit < MAP_PAGES, bit_set(t, bit)) {
			TH_LOG("page %u of the mapping", bit);
		}
	}
	ASSERT_EQ(0, _vfio_dirty_ctl(t->fd, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
}

TEST_HARNESS_MAIN
