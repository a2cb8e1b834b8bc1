// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom selftest: dirty page tracking where the IOMMU tracks it.
 *
 * A container whose only groups are devices of mock IOMMU instance 1,
 * which has dirty bits (Documentation/mock_iommu.rst), gets domains that
 * can track dirty pages: VFIO_IOMMU_DIRTY_PAGES_FLAG_START turns tracking
 * on in them and VFIO_MDOM_QUERY says VFIO_MDOM_DIRTY_IOMMU. The mock
 * devices then write (DMA) to chosen pages, and a bitmap must report
 * exactly those pages, nothing the devices only read, then nothing once
 * read (the bits are cleared). An unmap with
 * VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP reports what goes. Pages an
 * emulated device pinned or wrote are reported too; a domain that cannot
 * track joining turns the container to type1's rule (every mapped page
 * dirty). Stopping turns the IOMMUs' tracking off, and starting again
 * starts from clean.
 *
 * A bitmap is read only where mappings are live: the mock holds an unmap
 * of one mapping in the middle of its unmap_pages() (debugfs hold_unmap)
 * while a GET_BITMAP, or another unmap's bitmap, covers it, and counts
 * (dirty_unmap_races) and warns if its dirty bits are read meanwhile:
 * on a real IOMMU that read walks page table pages being freed.
 *
 * type1 has no such mode (it reports every pinned page): not run against
 * it. Needs vfio_mdom.ko and the mock IOMMU with its default parameters.
 */
#include <pthread.h>

#include "mdom_test.h"

#define BUF_PAGES	128
/* Mapping A: 96 pages (two bitmap words), B: 16 pages, 1 MiB further on */
#define IOVA_A		SZ_1M
#define PAGES_A		96
#define IOVA_B		SZ_2M
#define PAGES_B		16
#define PAGE_B		PAGES_A		/* B's first page in the buffer */
/* A bitmap of A and B and the hole between them, from IOVA_A */
#define SPAN_PAGES	((IOVA_B - IOVA_A) / PG + PAGES_B)
#define BITMAP_MAX	64		/* u64 words, with room to spare */
#define GUARD		0x5a

struct dctx {
	bool ready;
	int fd;
	int gfd[2];		/* mock 1.0, 1.1 */
	struct mock_dev dev[2];
	int other_gfd;		/* mock 0.0: a domain without dirty bits */
	int emu_gfd, emu_dfd;	/* the mock's emulated device 0 */
	uint8_t *buf;
	struct leak_mark mark;
	uint64_t bitmap[BITMAP_MAX + 1];	/* the last word: guard */
};

FIXTURE(dirty)
{
	struct dctx t;
};

FIXTURE_SETUP(dirty)
{
	struct dctx *t = &self->t;
	unsigned int i;

	t->fd = -1;
	t->other_gfd = -1;
	t->emu_gfd = -1;
	t->emu_dfd = -1;
	t->buf = MAP_FAILED;
	for (i = 0; i < 2; i++)
		t->gfd[i] = -1;
	if (mdom_test_on_type1())
		SKIP(return, "type1 has no IOMMU dirty tracking");
	if (!mdom_loaded())
		SKIP(return, "vfio_mdom.ko is not loaded");
	if (!mock_loaded())
		SKIP(return, "the mock IOMMU (vfio_mdom_mock_iommu) is not loaded");

	leak_mark(&t->mark);
	t->buf = mmap(NULL, BUF_PAGES * PG, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, t->buf);
	memset(t->buf, 0, BUF_PAGES * PG);
	t->fd = vfio_open_container();
	ASSERT_LE(0, t->fd);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, mock_find_dev(1, i, &t->dev[i]));
		t->gfd[i] = vfio_open_group(t->dev[i].group);
		ASSERT_LE(0, t->gfd[i]);
		ASSERT_EQ(0, vfio_attach(t->fd, t->gfd[i], !i,
					 VFIO_TYPE1v2_IOMMU));
	}
	expect_backend_mdom(t->fd);
	ASSERT_EQ(0, _vfio_map(t->fd, IOVA_A, PAGES_A * PG, t->buf, VFIO_RW));
	ASSERT_EQ(0, _vfio_map(t->fd, IOVA_B, PAGES_B * PG,
			       t->buf + PAGE_B * PG, VFIO_RW));
	t->ready = true;
}

FIXTURE_TEARDOWN(dirty)
{
	struct dctx *t = &self->t;
	unsigned int i;

	if (t->ready)
		mock_hold_unmap(1, false);
	if (t->emu_dfd >= 0)
		close(t->emu_dfd);
	if (t->fd >= 0)
		close(t->fd);
	for (i = 0; i < 2; i++)
		if (t->gfd[i] >= 0)
			close(t->gfd[i]);
	if (t->other_gfd >= 0)
		close(t->other_gfd);
	if (t->emu_gfd >= 0)
		close(t->emu_gfd);
	if (t->buf != MAP_FAILED)
		munmap(t->buf, BUF_PAGES * PG);
	if (t->ready)
		expect_no_leak(&t->mark, false);
}

static uint32_t dirty_mode(struct __test_metadata *_metadata, struct dctx *t)
{
	struct mdom_state st;

	if (_mdom_query(t->fd, &st))
		return ~0U;
	return st.q.dirty_mode;
}

/* Device @dev (0: mock 1.0, 1: mock 1.1) writes @len bytes at @iova. */
static void dev_write(struct __test_metadata *_metadata, struct dctx *t,
		      int dev, uint64_t iova, size_t len, uint8_t val)
{
	uint8_t data[2 * PG];

	ASSERT_LE(len, sizeof(data));
	memset(data, val, len);
	ASSERT_EQ(0, mock_dma_write(t->dev[dev].name, iova, data, len))
		TH_LOG("%s writes 0x%llx", t->dev[dev].name,
		       (unsigned long long)iova);
}

/*
 * The bitmap of @npages pages from @iova, read with GET_BITMAP (or an
 * unmap of that range when @unmap), must have exactly the bits @want
 * (-1 ends the list) set; the word after the bitmap stays untouched.
 */
static void expect_bits(struct __test_metadata *_metadata, struct dctx *t,
			uint64_t iova, uint64_t npages, bool unmap,
			const int *want, const char *what)
{
	uint64_t bytes = vfio_dirty_bitmap_bytes(npages), unmapped, bit;
	unsigned int words = bytes / 8, i;
	uint64_t expect[BITMAP_MAX] = { 0 };

	ASSERT_LE(words, BITMAP_MAX);
	memset(t->bitmap, 0, sizeof(t->bitmap));
	memset(&t->bitmap[words], GUARD, 8);
	for (i = 0; want[i] >= 0; i++)
		expect[want[i] / 64] |= 1ULL << (want[i] % 64);
	if (unmap) {
		ASSERT_EQ(0, _vfio_unmap_dirty(t->fd, iova, npages * PG, PG,
					       t->bitmap, bytes, &unmapped));
	} else {
		ASSERT_EQ(0, _vfio_dirty_get(t->fd, iova, npages * PG, PG,
					     t->bitmap, bytes));
	}
	for (i = 0; i < words; i++) {
		EXPECT_EQ(expect[i], t->bitmap[i]) {
			for (bit = 0; bit < 64; bit++)
				if ((expect[i] ^ t->bitmap[i]) & (1ULL << bit))
					TH_LOG("%s: page %llu %s", what,
					       (unsigned long long)(i * 64 + bit),
					       t->bitmap[i] & (1ULL << bit) ?
					       "dirty, not written" :
					       "written, not dirty");
		}
	}
	for (i = 0; i < 8; i++)
		EXPECT_EQ(GUARD, ((uint8_t *)&t->bitmap[words])[i])
			TH_LOG("%s: written past the bitmap", what);
}

static const int none[] = { -1 };

/*
 * Only the pages the devices wrote come back dirty, then none: writes of
 * one page, across a page boundary, in the second bitmap word, by either
 * device (they share a domain), in either mapping; reads dirty nothing.
 */
TEST_F(dirty, iommu_reports_what_devices_write)
{
	struct dctx *t = &self->t;
	static const int a_bits[] = { 3, 17, 18, 70, -1 };
	static const int span_bits[] = { 256 + 8, -1 };
	uint8_t got[64];
	bool tracking, capable;
	unsigned int dom = mock_dev_domain(1, 0);

	ASSERT_EQ(VFIO_MDOM_DIRTY_OFF, dirty_mode(_metadata, t));
	vfio_dirty_start(t->fd);
	ASSERT_EQ(VFIO_MDOM_DIRTY_IOMMU, dirty_mode(_metadata, t));
	ASSERT_EQ(dom, mock_dev_domain(1, 1));
	ASSERT_EQ(0, mock_domain_dirty(dom, &tracking, &capable));
	EXPECT_TRUE(capable);
	EXPECT_TRUE(tracking);
	expect_bits(_metadata, t, IOVA_A, PAGES_A, false, none, "fresh");

	dev_write(_metadata, t, 0, IOVA_A + 3 * PG + 100, 8, 0x31);
	dev_write(_metadata, t, 0, IOVA_A + 17 * PG + 4000, 200, 0x32);
	dev_write(_metadata, t, 1, IOVA_A + 70 * PG, PG, 0x33);
	dev_write(_metadata, t, 1, IOVA_B + 8 * PG + 8, 16, 0x34);
	ASSERT_EQ(0, mock_dma_read(t->dev[0].name, IOVA_A + 5 * PG, got,
				   sizeof(got)));
	ASSERT_EQ(0, mock_dma_read(t->dev[1].name, IOVA_B, got, sizeof(got)));
	/* The data is there */
	EXPECT_EQ(0x31, t->buf[3 * PG + 100]);
	EXPECT_EQ(0x32, t->buf[18 * PG + 100]);
	EXPECT_EQ(0x33, t->buf[70 * PG]);
	EXPECT_EQ(0x34, t->buf[(PAGE_B + 8) * PG + 8]);

	expect_bits(_metadata, t, IOVA_A, PAGES_A, false, a_bits, "A");
	expect_bits(_metadata, t, IOVA_A, PAGES_A, false, none, "A, read");
	/* A, the hole and B: only B's page is left */
	expect_bits(_metadata, t, IOVA_A, SPAN_PAGES, false, span_bits,
		    "A to B");
	expect_bits(_metadata, t, IOVA_A, SPAN_PAGES, false, none,
		    "A to B, read");
	vfio_dirty_stop(t->fd);
	EXPECT_EQ(VFIO_MDOM_DIRTY_OFF, dirty_mode(_metadata, t));
	ASSERT_EQ(0, mock_domain_dirty(dom, &tracking, &capable));
	EXPECT_FALSE(tracking);
}

/* An unmap reports the dirty pages of what it unmaps, one or several. */
TEST_F(dirty, unmap_returns_the_dirty_bits)
{
	struct dctx *t = &self->t;
	static const int b_bits[] = { 2, 15, -1 };
	static const int a_bits[] = { 40, -1 };
	static const int span_bits[] = { 1, 95, 256 + 0, -1 };
	uint64_t unmapped;

	vfio_dirty_start(t->fd);
	dev_write(_metadata, t, 0, IOVA_B + 2 * PG, 4, 1);
	dev_write(_metadata, t, 1, IOVA_B + 15 * PG + PG - 4, 4, 2);
	dev_write(_metadata, t, 0, IOVA_A + 40 * PG, 4, 3);
	expect_bits(_metadata, t, IOVA_B, PAGES_B, true, b_bits, "unmap B");
	EXPECT_EQ(0, mock_domain_xlates_in(mock_dev_domain(1, 0), IOVA_B,
					   PAGES_B * PG));
	expect_bits(_metadata, t, IOVA_A, PAGES_A, false, a_bits, "A");

	/* Both at once, from A's start to B's end */
	ASSERT_EQ(0, _vfio_map(t->fd, IOVA_B, PAGES_B * PG,
			       t->buf + PAGE_B * PG, VFIO_RW));
	dev_write(_metadata, t, 1, IOVA_A + PG, 4, 4);
	dev_write(_metadata, t, 0, IOVA_A + 95 * PG, 4, 5);
	dev_write(_metadata, t, 1, IOVA_B, 4, 6);
	expect_bits(_metadata, t, IOVA_A, SPAN_PAGES, true, span_bits,
		    "unmap A and B");
	ASSERT_EQ(0, _vfio_unmap(t->fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL,
				 &unmapped));
	EXPECT_EQ(0, unmapped);
}

/*
 * Tracking stops: the IOMMU stops, a bitmap is refused; writes meanwhile
 * are forgotten when tracking starts again.
 */
TEST_F(dirty, stop_then_start_from_clean)
{
	struct dctx *t = &self->t;
	static const int bits[] = { 6, -1 };

	vfio_dirty_start(t->fd);
	dev_write(_metadata, t, 0, IOVA_A + 5 * PG, 4, 1);
	vfio_dirty_stop(t->fd);
	EXPECT_EQ(-EINVAL, _vfio_dirty_get(t->fd, IOVA_A, PAGES_A * PG, PG,
					   t->bitmap, sizeof(t->bitmap)));
	dev_write(_metadata, t, 0, IOVA_A + 7 * PG, 4, 2);
	vfio_dirty_start(t->fd);
	ASSERT_EQ(VFIO_MDOM_DIRTY_IOMMU, dirty_mode(_metadata, t));
	expect_bits(_metadata, t, IOVA_A, PAGES_A, false, none, "restarted");
	dev_write(_metadata, t, 0, IOVA_A + 6 * PG, 4, 3);
	expect_bits(_metadata, t, IOVA_A, PAGES_A, false, bits, "A");
	vfio_dirty_stop(t->fd);
}

/*
 * Emulated devices have no IOMMU: the pages one pins, and those it
 * writes through vfio_dma_rw(), are reported in this mode too. Pinned
 * pages are reported at every read while pinned, and at the first read
 * after they are unpinned (the device may have written them since the
 * last), as type1 does.
 */
TEST_F(dirty, emulated_pins_and_writes_reported)
{
	struct dctx *t = &self->t;
	static const int first[] = { 9, 10, 11, 30, -1 };
	static const int again[] = { 9, 10, -1 };
	uint8_t data[16];
	int egroup;

	egroup = mock_emu_group(0);
	ASSERT_LE(0, egroup) TH_LOG("the mock has no emulated device");
	t->emu_gfd = vfio_open_group(egroup);
	ASSERT_LE(0, t->emu_gfd);
	vfio_set_container(t->emu_gfd, t->fd);
	t->emu_dfd = vfio_device_fd(t->emu_gfd, MOCK_EMU_NAME "0");
	ASSERT_LE(0, t->emu_dfd);

	vfio_dirty_start(t->fd);
	ASSERT_EQ(VFIO_MDOM_DIRTY_IOMMU, dirty_mode(_metadata, t));
	ASSERT_EQ(0, mock_emu_pin(0, IOVA_A + 9 * PG, 2, "rw"));
	memset(data, 0x44, sizeof(data));
	ASSERT_EQ(0, mock_emu_dma(0, IOVA_A + 11 * PG, data, sizeof(data),
				  true));
	EXPECT_EQ(0x44, t->buf[11 * PG]);
	dev_write(_metadata, t, 0, IOVA_A + 30 * PG, 4, 1);
	expect_bits(_metadata, t, IOVA_A, PAGES_A, false, first, "A");
	/* Still pinned: still dirty */
	expect_bits(_metadata, t, IOVA_A, PAGES_A, false, again, "A, read");
	ASSERT_EQ(0, mock_emu_unpin(0, IOVA_A + 9 * PG, 2));
	expect_bits(_metadata, t, IOVA_A, PAGES_A, false, again,
		    "A, unpinned");
	expect_bits(_metadata, t, IOVA_A, PAGES_A, false, none,
		    "A, unpinned and read");
	vfio_dirty_stop(t->fd);
	close(t->emu_dfd);
	t->emu_dfd = -1;
	vfio_unset_container(t->emu_gfd);
}

/*
 * A domain that cannot track joins while tracking runs: from then on every
 * mapped page is reported at every read, type1's rule, bit for bit.
 */
TEST_F(dirty, untracked_domain_means_all_dirty)
{
	struct dctx *t = &self->t;
	struct mock_dev md;
	unsigned int i, words = PAGES_A / 64 + 1;
	static const int b_all[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
				     13, 14, 15, -1 };
	bool tracking, capable;

	vfio_dirty_start(t->fd);
	ASSERT_EQ(0, mock_find_dev(0, 0, &md));
	t->other_gfd = vfio_open_group(md.group);
	ASSERT_LE(0, t->other_gfd);
	vfio_set_container(t->other_gfd, t->fd);
	EXPECT_EQ(VFIO_MDOM_DIRTY_PINNED, dirty_mode(_metadata, t));
	ASSERT_EQ(0, mock_domain_dirty(mock_dev_domain(0, 0), &tracking,
				       &capable));
	EXPECT_FALSE(capable);

	memset(t->bitmap, 0, sizeof(t->bitmap));
	ASSERT_EQ(0, _vfio_dirty_get(t->fd, IOVA_A, PAGES_A * PG, PG,
				     t->bitmap, words * 8));
	EXPECT_EQ(~0ULL, t->bitmap[0]);
	EXPECT_EQ((1ULL << (PAGES_A - 64)) - 1, t->bitmap[1]);
	for (i = 0; i < 2; i++)
		expect_bits(_metadata, t, IOVA_B, PAGES_B, false, b_all, "B");
	/* The mode stays, even with that domain gone again */
	vfio_unset_container(t->other_gfd);
	EXPECT_EQ(VFIO_MDOM_DIRTY_PINNED, dirty_mode(_metadata, t));
	vfio_dirty_stop(t->fd);
	vfio_dirty_start(t->fd);
	EXPECT_EQ(VFIO_MDOM_DIRTY_IOMMU, dirty_mode(_metadata, t));
	vfio_dirty_stop(t->fd);
}

/* ---- an unmap held in flight by the mock ------------------------------------ */

struct held_unmap {
	int fd;
	uint64_t iova, size, unmapped;
	uint64_t bitmap[BITMAP_MAX];
	int ret;
	pthread_t tid;
};

static void *held_unmap_fn(void *arg)
{
	struct held_unmap *h = arg;

	h->ret = _vfio_unmap_dirty(h->fd, h->iova, h->size, PG, h->bitmap,
				   vfio_dirty_bitmap_bytes(h->size / PG),
				   &h->unmapped);
	return NULL;
}

/*
 * Unmap [@iova, +@size) with a bitmap in a thread, and return once the
 * mock holds its unmap_pages() (after the unmap read its own bitmap).
 */
static void held_unmap_start(struct __test_metadata *_metadata,
			     struct dctx *t, struct held_unmap *h,
			     uint64_t iova, uint64_t size)
{
	uint64_t deadline = now_ms() + 5000;

	h->fd = t->fd;
	h->iova = iova;
	h->size = size;
	ASSERT_EQ(0, mock_hold_unmap(1, true));
	ASSERT_EQ(0, pthread_create(&h->tid, NULL, held_unmap_fn, h));
	while (mock_hold_unmap_state(1) != 2) {
		ASSERT_GT(deadline, now_ms())
			TH_LOG("the unmap of 0x%llx never reached the mock",
			       ULL(iova));
		usleep(1000);
	}
}

/* Let it go: it unmaps what it chose, @bits (-1 ends) were dirty. */
static void held_unmap_finish(struct __test_metadata *_metadata,
			      struct held_unmap *h, const int *bits)
{
	uint64_t want[BITMAP_MAX] = { 0 };
	unsigned int i;

	ASSERT_EQ(0, mock_hold_unmap(1, false));
	ASSERT_EQ(0, pthread_join(h->tid, NULL));
	EXPECT_EQ(0, h->ret);
	EXPECT_EQ(h->size, h->unmapped);
	for (i = 0; bits[i] >= 0; i++)
		want[bits[i] / 64] |= 1ULL << (bits[i] % 64);
	for (i = 0; i < vfio_dirty_bitmap_bytes(h->size / PG) / 8; i++)
		EXPECT_EQ(want[i], h->bitmap[i])
			TH_LOG("held unmap's bitmap, word %u", i);
}

/*
 * GET_BITMAP of A, the hole and B while B is being unmapped from the
 * domain: B is not read (its unmap reported it), and the mock saw no
 * read of dirty bits under an unmap in flight.
 */
TEST_F(dirty, bitmap_skips_a_mapping_being_unmapped)
{
	struct dctx *t = &self->t;
	static const int a_bits[] = { 3, -1 };
	static const int b_bits[] = { 2, -1 };
	long long races = mock_counter(MOCK_IOMMU_CNT_DIRTY_UNMAP_RACES, 1);
	struct held_unmap h = {};

	ASSERT_LE(0, races);
	vfio_dirty_start(t->fd);
	dev_write(_metadata, t, 0, IOVA_A + 3 * PG, 4, 1);
	dev_write(_metadata, t, 1, IOVA_B + 2 * PG, 4, 2);
	held_unmap_start(_metadata, t, &h, IOVA_B, PAGES_B * PG);
	expect_bits(_metadata, t, IOVA_A, SPAN_PAGES, false, a_bits,
		    "A to B, B going");
	EXPECT_EQ(races, mock_counter(MOCK_IOMMU_CNT_DIRTY_UNMAP_RACES, 1))
		TH_LOG("GET_BITMAP read the dirty bits of an unmap in flight");
	held_unmap_finish(_metadata, &h, b_bits);
	EXPECT_EQ(0, mock_domain_xlates_in(mock_dev_domain(1, 0), IOVA_B,
					   PAGES_B * PG));
	vfio_dirty_stop(t->fd);
}

/*
 * An unmap with a bitmap from A to B's end while B is being unmapped:
 * its victim is A alone (B counts as gone) and only A is read.
 */
TEST_F(dirty, unmap_bitmap_reads_only_its_victims)
{
	struct dctx *t = &self->t;
	static const int a_bits[] = { 3, 95, -1 };
	static const int b_bits[] = { 15, -1 };
	long long races = mock_counter(MOCK_IOMMU_CNT_DIRTY_UNMAP_RACES, 1);
	struct held_unmap h = {};

	ASSERT_LE(0, races);
	vfio_dirty_start(t->fd);
	dev_write(_metadata, t, 1, IOVA_A + 3 * PG, 4, 1);
	dev_write(_metadata, t, 0, IOVA_A + 95 * PG, 4, 2);
	dev_write(_metadata, t, 1, IOVA_B + 15 * PG, 4, 3);
	held_unmap_start(_metadata, t, &h, IOVA_B, PAGES_B * PG);
	expect_bits(_metadata, t, IOVA_A, SPAN_PAGES, true, a_bits,
		    "unmap A to B, B going");
	EXPECT_EQ(races, mock_counter(MOCK_IOMMU_CNT_DIRTY_UNMAP_RACES, 1))
		TH_LOG("an unmap read the dirty bits of another in flight");
	held_unmap_finish(_metadata, &h, b_bits);
	EXPECT_EQ(0, mock_domain_xlates_in(mock_dev_domain(1, 0), IOVA_A,
					   SPAN_PAGES * PG));
	vfio_dirty_stop(t->fd);
}

TEST_HARNESS_MAIN
