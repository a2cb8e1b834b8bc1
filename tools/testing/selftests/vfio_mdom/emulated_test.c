// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom selftest: an emulated (mdev-style) device's DMA through its
 * container: vfio_pin_pages(), vfio_unpin_pages(), vfio_dma_rw() and the
 * dma_unmap() callback, driven through the mock's emulated device 0
 * (debugfs emulated/emu0: pin, unpin, dma, pinned, unmap_calls, state).
 *
 * Two containers:
 *
 *   alone     the emulated group is the only one: no IOMMU domain, so a
 *             mapping pins nothing; a device pin pins and charges its
 *             page, once however often it is pinned;
 *   with_edu  an edu group first (an Intel domain: every mapping pinned
 *             and charged at map time), then the emulated group: a device
 *             pin pins and charges nothing more.
 *
 * In both: pins need the device open, a mapped IOVA and the mapping's
 * permissions, and give the very pages mapped (the physical address of
 * the process's page); vfio_dma_rw() reads and writes the process's
 * memory with the same rules; an unmap of pinned pages calls the device's
 * dma_unmap() with the mapping's range and the pages are let go before it
 * returns; locked_vm and the system's pins are exact at every step. And a
 * device's pins made before an IOMMU domain exists are charged once with
 * the mapping's own pins when one comes.
 *
 * Needs vfio_mdom.ko, the mock IOMMU (one emulated device, the default)
 * and an edu device on vfio-pci. type1's lockdep report on a device
 * unpinning from dma_unmap() (Documentation/mock_iommu.rst) keeps this
 * from running against type1.
 */
#include <sys/wait.h>

#include "mdom_test.h"

#define BUF_PAGES	16
#define IOVA_A		SZ_1M		/* 8 pages, read-write */
#define PAGES_A		8
#define IOVA_B		SZ_2M		/* 4 pages, read-only */
#define PAGES_B		4
#define PAGE_B		PAGES_A		/* B's first page in the buffer */
#define EMU		0
#define IOVA_BAR	0x8000000ULL	/* device memory */

struct ectx {
	bool ready;
	bool edu;		/* with_edu */
	int fd;
	int emu_gfd, emu_dfd;
	int edu_gfd;
	int egroup;
	uint8_t *buf;
	struct leak_mark mark;
};

FIXTURE(emu)
{
	struct ectx t;
};

FIXTURE_VARIANT(emu)
{
	bool edu;
};

FIXTURE_VARIANT_ADD(emu, alone)
{
	.edu = false,
};

FIXTURE_VARIANT_ADD(emu, with_edu)
{
	.edu = true,
};

/* Everything but the container's groups: shared with the plain TESTs */
static void ectx_setup(struct __test_metadata *_metadata, struct ectx *t)
{
	unsigned int i;

	t->fd = -1;
	t->emu_gfd = -1;
	t->emu_dfd = -1;
	t->edu_gfd = -1;
	t->buf = MAP_FAILED;
	if (mdom_test_on_type1())
		SKIP(return, "type1's lockdep report on dma_unmap() unpins");
	if (!mdom_loaded())
		SKIP(return, "vfio_mdom.ko is not loaded");
	if (!mock_loaded())
		SKIP(return, "the mock IOMMU (vfio_mdom_mock_iommu) is not loaded");
	t->egroup = mock_emu_group(EMU);
	ASSERT_LE(0, t->egroup) TH_LOG("the mock has no emulated device");

	leak_mark(&t->mark);
	t->buf = mmap(NULL, BUF_PAGES * PG, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, t->buf);
	madvise(t->buf, BUF_PAGES * PG, MADV_NOHUGEPAGE);
	for (i = 0; i < BUF_PAGES; i++)
		memset(t->buf + i * PG, 0x20 + i, PG);
	t->emu_gfd = vfio_open_group(t->egroup);
	ASSERT_LE(0, t->emu_gfd);
	t->fd = vfio_open_container();
	ASSERT_LE(0, t->fd);
	t->ready = true;
}

static void ectx_teardown(struct __test_metadata *_metadata, struct ectx *t)
{
	if (t->ready)
		mock_emu_keep_on_unmap(EMU, false);
	if (t->emu_dfd >= 0)
		close(t->emu_dfd);
	if (t->fd >= 0)
		close(t->fd);
	if (t->emu_gfd >= 0)
		close(t->emu_gfd);
	if (t->edu_gfd >= 0)
		close(t->edu_gfd);
	if (t->buf != MAP_FAILED)
		munmap(t->buf, BUF_PAGES * PG);
	if (t->ready)
		expect_no_leak(&t->mark, false);
}

/* The edu group joins (the first group sets the IOMMU) */
static void join_edu(struct __test_metadata *_metadata, struct ectx *t,
		     bool first)
{
	struct edu_dev edu;

	ASSERT_EQ(0, edu_find(0, &edu)) TH_LOG("no edu device on vfio-pci");
	t->edu_gfd = vfio_open_group(edu.group);
	ASSERT_LE(0, t->edu_gfd);
	ASSERT_EQ(0, vfio_attach(t->fd, t->edu_gfd, first, VFIO_TYPE1v2_IOMMU));
}

FIXTURE_SETUP(emu)
{
	struct ectx *t = &self->t;

	ectx_setup(_metadata, t);
	t->edu = variant->edu;
	if (t->edu)
		join_edu(_metadata, t, true);
	ASSERT_EQ(0, vfio_attach(t->fd, t->emu_gfd, !t->edu,
				 VFIO_TYPE1v2_IOMMU));
	expect_backend_mdom(t->fd);
	vfio_map(t->fd, IOVA_A, PAGES_A * PG, t->buf);
	ASSERT_EQ(0, _vfio_map(t->fd, IOVA_B, PAGES_B * PG,
			       t->buf + PAGE_B * PG, VFIO_DMA_MAP_FLAG_READ));
}

FIXTURE_TEARDOWN(emu)
{
	ectx_teardown(_metadata, &self->t);
}

/*
 * Pinned and charged: the mappings' pages once they have a domain, plus
 * the @dev_pages distinct pages devices hold of the others.
 */
static void expect_charge(struct __test_metadata *_metadata, struct ectx *t,
			  uint64_t mapped_pages, uint64_t dev_pages,
			  const char *when)
{
	uint64_t pages = t->edu ? mapped_pages : dev_pages;
	struct mdom_state st;

	EXPECT_EQ(t->mark.vmlck + (long)(pages * PG / 1024), vmlck_kb())
		TH_LOG("%s: VmLck", when);
	expect_pins(t->mark.pins + pages);
	mdom_query(t->fd, &st);
	EXPECT_EQ(pages, st.q.pinned_pages) TH_LOG("%s: pinned_pages", when);
	EXPECT_EQ(pages, st.q.locked_pages) TH_LOG("%s: locked_pages", when);
}

static void expect_state(struct __test_metadata *_metadata, int open_want,
			 long pinned_want)
{
	int open_now;
	long pinned;

	ASSERT_EQ(0, mock_emu_state(EMU, &open_now, &pinned));
	EXPECT_EQ(open_want, open_now);
	EXPECT_EQ(pinned_want, pinned);
}

static void open_device(struct __test_metadata *_metadata, struct ectx *t)
{
	t->emu_dfd = vfio_device_fd(t->emu_gfd, MOCK_EMU_NAME "0");
	ASSERT_LE(0, t->emu_dfd);
	expect_state(_metadata, 1, 0);
}

/*
 * Pins of mapped pages with their permissions, nothing else; the pages
 * are the process's; vfio_dma_rw() both ways; unpins; closing the device
 * lets go of the rest.
 */
TEST_F(emu, pin_rw_unpin)
{
	struct ectx *t = &self->t;
	const uint64_t mapped = PAGES_A + PAGES_B;
	struct mock_emu_run runs[8];
	uint8_t data[64], got[64];
	int n;

	/* A closed device pins nothing */
	EXPECT_EQ(-ENOTCONN, mock_emu_pin(EMU, IOVA_A, 1, "rw"));
	open_device(_metadata, t);
	expect_charge(_metadata, t, mapped, 0, "opened");

	ASSERT_EQ(0, mock_emu_pin(EMU, IOVA_A, 3, "rw"));
	ASSERT_EQ(0, mock_emu_pin(EMU, IOVA_B + PG, 1, "r"));
	EXPECT_EQ(-EPERM, mock_emu_pin(EMU, IOVA_B, 1, "w"));
	EXPECT_EQ(-EINVAL, mock_emu_pin(EMU, 3 * SZ_1M, 1, "r"));
	/* Past A's end: nothing of it stays pinned */
	EXPECT_EQ(-EINVAL, mock_emu_pin(EMU, IOVA_A + 6 * PG, 3, "rw"));
	expect_state(_metadata, 1, 4);
	expect_charge(_metadata, t, mapped, 4, "4 pages pinned");

	/* The very pages this process mapped */
	n = mock_emu_pinned(EMU, runs, ARRAY_SIZE(runs));
	ASSERT_EQ(2, n);
	EXPECT_EQ(IOVA_A, runs[0].iova);
	EXPECT_EQ(3, runs[0].npages);
	EXPECT_STREQ("rw", runs[0].prot);
	EXPECT_EQ(pagemap_phys_one(t->buf), runs[0].phys);
	EXPECT_EQ(IOVA_B + PG, runs[1].iova);
	EXPECT_EQ(1, runs[1].npages);
	EXPECT_STREQ("r", runs[1].prot);
	EXPECT_EQ(pagemap_phys_one(t->buf + (PAGE_B + 1) * PG), runs[1].phys);

	/* A page pinned twice is pinned and charged once */
	ASSERT_EQ(0, mock_emu_pin(EMU, IOVA_A, 1, "r"));
	expect_state(_metadata, 1, 5);
	expect_charge(_metadata, t, mapped, 4, "page 0 pinned twice");

	/* vfio_dma_rw(), pinned or not, across a page boundary */
	memset(data, 0x7e, sizeof(data));
	ASSERT_EQ(0, mock_emu_dma(EMU, IOVA_A + 3 * PG - 32, data,
				  sizeof(data), true));
	EXPECT_EQ(0, memcmp(t->buf + 3 * PG - 32, data, sizeof(data)));
	ASSERT_EQ(0, mock_emu_dma(EMU, IOVA_B + 100, got, sizeof(got), false));
	EXPECT_EQ(0, memcmp(t->buf + PAGE_B * PG + 100, got, sizeof(got)));
	EXPECT_EQ(-EPERM, mock_emu_dma(EMU, IOVA_B, data, sizeof(data), true));
	EXPECT_EQ(-EINVAL, mock_emu_dma(EMU, 3 * SZ_1M, got, sizeof(got),
					false));
	EXPECT_EQ(0x20 + PAGE_B, t->buf[PAGE_B * PG]);

	/* Unpin pages 0 and 1 of A: page 0's two pins as well */
	ASSERT_EQ(0, mock_emu_unpin(EMU, IOVA_A, 2));
	expect_state(_metadata, 1, 2);
	expect_charge(_metadata, t, mapped, 2, "2 pages left pinned");
	EXPECT_EQ(-ENOENT, mock_emu_unpin(EMU, IOVA_A, 2));

	close(t->emu_dfd);
	t->emu_dfd = -1;
	expect_state(_metadata, 0, 0);
	expect_charge(_metadata, t, mapped, 0, "device closed");
}

/*
 * vfio_dma_rw() called in a task of another process (a driver serving a
 * request of another process): type1 answers EFAULT, vfio-mdom copies to
 * and from the mapping's pages, pinned (with the edu) or not (alone), as
 * for a kernel thread (divergence dma-rw-other-mm).
 */
TEST_F(emu, dma_rw_from_another_process)
{
	struct ectx *t = &self->t;
	uint8_t data[64], got[64];
	int status;
	pid_t pid;

	open_device(_metadata, t);
	memset(data, 0x5c, sizeof(data));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Its copy of the buffer holds what this process's held */
		if (mock_emu_dma(EMU, IOVA_B + 8, got, sizeof(got), false))
			_exit(1);
		if (memcmp(got, t->buf + PAGE_B * PG + 8, sizeof(got)))
			_exit(2);
		if (mock_emu_dma(EMU, IOVA_A + PG - 16, data, sizeof(data),
				 true))
			_exit(3);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("1: read failed, 2: wrong data, 3: write failed");
	/* The write went to the mapping's pages: this process's memory */
	EXPECT_EQ(0, memcmp(t->buf + PG - 16, data, sizeof(data)));
	EXPECT_EQ(0x20 + 2, t->buf[2 * PG]);
}

/*
 * Unmapping pinned pages: the device is asked (dma_unmap() with the
 * mapping's range) and has let go of them when the unmap returns; a
 * mapping the device holds nothing of goes without asking.
 */
TEST_F(emu, unmap_while_pinned)
{
	struct ectx *t = &self->t;
	uint64_t iova, length, unmapped;
	uint8_t got[16];

	open_device(_metadata, t);
	ASSERT_EQ(0, mock_emu_reset_unmap_calls(EMU));
	ASSERT_EQ(0, mock_emu_pin(EMU, IOVA_A + PG, 3, "rw"));
	ASSERT_EQ(0, mock_emu_pin(EMU, IOVA_A + 2 * PG, 1, "r"));
	expect_charge(_metadata, t, PAGES_A + PAGES_B, 3, "pinned");

	ASSERT_EQ(0, _vfio_unmap(t->fd, IOVA_A, PAGES_A * PG, 0, &unmapped));
	EXPECT_EQ(PAGES_A * PG, unmapped);
	EXPECT_EQ(1, mock_emu_unmap_calls(EMU, &iova, &length));
	EXPECT_EQ(IOVA_A, iova);
	EXPECT_EQ(PAGES_A * PG, length);
	expect_state(_metadata, 1, 0);
	EXPECT_EQ(0, mock_emu_pinned(EMU, NULL, 0));
	expect_charge(_metadata, t, PAGES_B, 0, "A unmapped");
	EXPECT_EQ(-EINVAL, mock_emu_dma(EMU, IOVA_A, got, sizeof(got), false));

	vfio_unmap(t->fd, IOVA_B, PAGES_B * PG);
	EXPECT_EQ(1, mock_emu_unmap_calls(EMU, &iova, &length));
	expect_charge(_metadata, t, 0, 0, "B unmapped");
}

/*
 * A device that keeps its pins through dma_unmap() (a broken driver): the
 * unmap waits for it about 10 s, then fails with EBUSY and leaves the
 * mapping, the pins and the charge as they were (type1 calls dma_unmap()
 * again and BUG()s after ten tries). Once the device lets go, the unmap
 * goes through.
 */
TEST_F_TIMEOUT(emu, unmap_kept_pinned, 120)
{
	struct ectx *t = &self->t;
	uint64_t unmapped = 1, t0, waited, iova, length;
	struct mdom_state st;

	open_device(_metadata, t);
	ASSERT_EQ(0, mock_emu_pin(EMU, IOVA_A + PG, 2, "rw"));
	ASSERT_EQ(0, mock_emu_keep_on_unmap(EMU, true));
	t0 = now_ms();
	EXPECT_EQ(-EBUSY, _vfio_unmap(t->fd, IOVA_A, PAGES_A * PG, 0,
				      &unmapped));
	waited = now_ms() - t0;
	TH_LOG("EBUSY after %llu ms", ULL(waited));
	EXPECT_LE(9000, waited);
	EXPECT_EQ(0, unmapped);
	EXPECT_LE(1, mock_emu_unmap_calls(EMU, &iova, &length));
	EXPECT_EQ(IOVA_A, iova);
	mdom_query(t->fd, &st);
	EXPECT_EQ(2, st.q.num_mappings);
	EXPECT_EQ(1, mock_emu_pinned(EMU, NULL, 0));
	expect_charge(_metadata, t, PAGES_A + PAGES_B, 2, "kept");

	ASSERT_EQ(0, mock_emu_keep_on_unmap(EMU, false));
	ASSERT_EQ(0, _vfio_unmap(t->fd, IOVA_A, PAGES_A * PG, 0, &unmapped));
	EXPECT_EQ(PAGES_A * PG, unmapped);
	EXPECT_EQ(0, mock_emu_pinned(EMU, NULL, 0));
	expect_charge(_metadata, t, PAGES_B, 0, "A unmapped");
}

/*
 * Pages a device pinned while the container had no IOMMU domain are
 * charged once with the mapping's own when an edu group brings one (each
 * keeps its pins), and shared between the two until the device lets go.
 */
TEST(emulated_then_edu_charged_once)
{
	struct ectx t = { 0 };
	struct mdom_state st;
	long base;

	ectx_setup(_metadata, &t);
	if (!t.ready)
		return;
	base = t.mark.vmlck;
	ASSERT_EQ(0, vfio_attach(t.fd, t.emu_gfd, true, VFIO_TYPE1v2_IOMMU));
	vfio_map(t.fd, IOVA_A, PAGES_A * PG, t.buf);
	t.emu_dfd = vfio_device_fd(t.emu_gfd, MOCK_EMU_NAME "0");
	ASSERT_LE(0, t.emu_dfd);
	ASSERT_EQ(0, mock_emu_pin(EMU, IOVA_A + 2 * PG, 4, "rw"));
	EXPECT_EQ(base + (long)(4 * PG / 1024), vmlck_kb());
	expect_pins(t.mark.pins + 4);

	/*
	 * A domain: A pinned whole, its 4 device pages charged once, pinned
	 * by the mapping and still by the device
	 */
	join_edu(_metadata, &t, false);
	EXPECT_EQ(base + (long)(PAGES_A * PG / 1024), vmlck_kb());
	expect_pins(t.mark.pins + PAGES_A + 4);
	mdom_query(t.fd, &st);
	EXPECT_EQ(1, st.q.num_domains);
	EXPECT_LE(4, st.q.shared_pages);
	/* Pinned for the device now only counts */
	ASSERT_EQ(0, mock_emu_pin(EMU, IOVA_A, 2, "r"));
	expect_pins(t.mark.pins + PAGES_A + 4);
	EXPECT_EQ(base + (long)(PAGES_A * PG / 1024), vmlck_kb());

	close(t.emu_dfd);
	t.emu_dfd = -1;
	expect_state(_metadata, 0, 0);
	expect_pins(t.mark.pins + PAGES_A);
	EXPECT_EQ(base + (long)(PAGES_A * PG / 1024), vmlck_kb());
	mdom_query(t.fd, &st);
	EXPECT_EQ(0, st.q.shared_pages);
	EXPECT_EQ(PAGES_A, st.q.locked_pages);
	vfio_unmap(t.fd, IOVA_A, PAGES_A * PG);
	EXPECT_EQ(base, vmlck_kb());
	ectx_teardown(_metadata, &t);
}

/* Every page the device holds is still the process's page at its IOVA */
static void expect_device_pages(struct __test_metadata *_metadata,
				struct ectx *t)
{
	struct mock_emu_run runs[8];
	const uint8_t *at;
	int i, n;

	n = mock_emu_pinned(EMU, runs, ARRAY_SIZE(runs));
	ASSERT_LT(0, n);
	ASSERT_GE(ARRAY_SIZE(runs), n);
	for (i = 0; i < n; i++) {
		if (runs[i].iova >= IOVA_B)
			at = t->buf + (PAGE_B * PG) + (runs[i].iova - IOVA_B);
		else
			at = t->buf + (runs[i].iova - IOVA_A);
		EXPECT_EQ(pagemap_phys_one(at), runs[i].phys)
			TH_LOG("device page at IOVA 0x%llx", ULL(runs[i].iova));
	}
}

/*
 * The container's last IOMMU group leaves while an emulated group stays:
 * as type1 (vfio_iommu_unmap_unpin_reaccount()), every mapping is
 * unpinned and uncharged but the pages the device holds, which stay
 * pinned, charged and the very same pages; the mappings live on, and the
 * device still reads and writes through them. When an IOMMU group comes
 * back, the mappings are pinned again and replayed into its domain, the
 * device's pages charged once with them.
 */
TEST(iommu_group_leaves_emulated_keeps)
{
	const uint64_t mapped = PAGES_A + PAGES_B;
	uint8_t data[32], got[32];
	struct ectx t = { 0 };
	struct mdom_state st;
	struct mock_dev md;
	long long pins;
	unsigned int dom;
	int mgfd = -1;
	long base;

	ectx_setup(_metadata, &t);
	if (!t.ready)
		return;
	base = t.mark.vmlck;
	ASSERT_EQ(0, mock_find_dev(0, 0, &md));
	ASSERT_EQ(0, vfio_attach(t.fd, t.emu_gfd, true, VFIO_TYPE1v2_IOMMU));
	mgfd = vfio_open_group(md.group);
	ASSERT_LE(0, mgfd);
	ASSERT_EQ(0, vfio_attach(t.fd, mgfd, false, VFIO_TYPE1v2_IOMMU));
	vfio_map(t.fd, IOVA_A, PAGES_A * PG, t.buf);
	ASSERT_EQ(0, _vfio_map(t.fd, IOVA_B, PAGES_B * PG,
			       t.buf + PAGE_B * PG, VFIO_DMA_MAP_FLAG_READ));
	EXPECT_EQ(base + (long)(mapped * PG / 1024), vmlck_kb());
	expect_pins(t.mark.pins + mapped);

	/* The device pins 4 pages (A's page 2 twice): they only count */
	open_device(_metadata, &t);
	ASSERT_EQ(0, mock_emu_pin(EMU, IOVA_A + 2 * PG, 3, "rw"));
	ASSERT_EQ(0, mock_emu_pin(EMU, IOVA_A + 2 * PG, 1, "r"));
	ASSERT_EQ(0, mock_emu_pin(EMU, IOVA_B + PG, 1, "r"));
	expect_pins(t.mark.pins + mapped);
	EXPECT_EQ(base + (long)(mapped * PG / 1024), vmlck_kb());

	/* The IOMMU group leaves: only the device's 4 pages stay */
	vfio_unset_container(mgfd);
	mdom_query(t.fd, &st);
	EXPECT_EQ(0, st.q.num_domains);
	EXPECT_EQ(2, st.q.num_mappings);
	EXPECT_EQ(mapped * PG, st.q.mapped_bytes);
	EXPECT_EQ(4, st.q.pinned_pages);
	EXPECT_EQ(4, st.q.locked_pages);
	EXPECT_EQ(base + (long)(4 * PG / 1024), vmlck_kb());
	expect_pins(t.mark.pins + 4);
	expect_state(_metadata, 1, 5);
	expect_device_pages(_metadata, &t);

	/* The mappings live on for the device */
	memset(data, 0x5a, sizeof(data));
	ASSERT_EQ(0, mock_emu_dma(EMU, IOVA_A + 6 * PG + 8, data, sizeof(data),
				  true));
	EXPECT_EQ(0, memcmp(t.buf + 6 * PG + 8, data, sizeof(data)));
	ASSERT_EQ(0, mock_emu_dma(EMU, IOVA_A + 2 * PG, got, sizeof(got),
				  false));
	EXPECT_EQ(0, memcmp(t.buf + 2 * PG, got, sizeof(got)));
	ASSERT_EQ(0, mock_emu_pin(EMU, IOVA_A + 5 * PG, 1, "rw"));
	EXPECT_EQ(base + (long)(5 * PG / 1024), vmlck_kb());
	ASSERT_EQ(0, mock_emu_unpin(EMU, IOVA_A + 5 * PG, 1));
	EXPECT_EQ(base + (long)(4 * PG / 1024), vmlck_kb());
	expect_pins(t.mark.pins + 4);

	/* An IOMMU group again: pinned, charged once, replayed */
	ASSERT_EQ(0, vfio_attach(t.fd, mgfd, false, VFIO_TYPE1v2_IOMMU));
	mdom_query(t.fd, &st);
	EXPECT_EQ(1, st.q.num_domains);
	EXPECT_EQ(base + (long)(mapped * PG / 1024), vmlck_kb());
	/* The device's pages pinned again, or once for both (account.c) */
	pins = foll_pins_stable() - t.mark.pins;
	EXPECT_LE(mapped, pins);
	EXPECT_GE(mapped + 4, pins);
	dom = mock_dev_domain(0, 0);
	ASSERT_NE(0, dom);
	EXPECT_EQ(0, mock_domain_covers(dom, IOVA_A, PAGES_A * PG,
					MOCK_PROT_RW | MOCK_PROT_CACHE, t.buf));
	EXPECT_EQ(0, mock_domain_covers(dom, IOVA_B, PAGES_B * PG,
					MOCK_PROT_READ | MOCK_PROT_CACHE,
					t.buf + PAGE_B * PG));
	ASSERT_EQ(0, mock_dma_read(md.name, IOVA_A + 6 * PG + 8, got,
				   sizeof(got)));
	EXPECT_EQ(0, memcmp(data, got, sizeof(got)));
	ASSERT_EQ(0, mock_dma_read(md.name, IOVA_B + 3 * PG, got, sizeof(got)));
	EXPECT_EQ(0, memcmp(t.buf + (PAGE_B + 3) * PG, got, sizeof(got)));
	expect_device_pages(_metadata, &t);

	/* The device lets go: the mappings' own pins and charge are left */
	ASSERT_EQ(0, mock_emu_unpin(EMU, IOVA_A + 2 * PG, 3));
	ASSERT_EQ(0, mock_emu_unpin(EMU, IOVA_B + PG, 1));
	expect_state(_metadata, 1, 0);
	expect_pins(t.mark.pins + mapped);
	EXPECT_EQ(base + (long)(mapped * PG / 1024), vmlck_kb());
	mdom_query(t.fd, &st);
	EXPECT_EQ(mapped, st.q.pinned_pages);
	EXPECT_EQ(0, st.q.shared_pages);

	/* Gone with nothing pinned by the device: nothing pinned at all */
	vfio_unset_container(mgfd);
	expect_pins(t.mark.pins);
	EXPECT_EQ(base, vmlck_kb());
	mdom_query(t.fd, &st);
	EXPECT_EQ(0, st.q.pinned_pages);
	EXPECT_EQ(2, st.q.num_mappings);
	close(mgfd);
	ectx_teardown(_metadata, &t);
}

/*
 * Device memory any access width reaches: the framebuffer BAR of the
 * guest's VGA device, mmap()ed from sysfs (a VM_IO/VM_PFNMAP area, as a
 * BAR mmap()ed from a VFIO device fd). edu's registers take 4-byte
 * accesses only, and copy_to_user() may move bytes. MAP_FAILED if there
 * is none.
 */
static void *vga_bar_map(size_t len)
{
	char path[PATH_MAX], class[32];
	struct dirent *de;
	void *bar = MAP_FAILED;
	DIR *dir;
	int fd;

	dir = opendir(PCI_DEVICES);
	if (!dir)
		return MAP_FAILED;
	while (bar == MAP_FAILED && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/class", de->d_name);
		if (read_line(path, class, sizeof(class)) ||
		    strncmp(class, "0x0300", 6))
			continue;
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/resource0",
			 de->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		bar = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
	}
	closedir(dir);
	return bar;
}

#define VGA_LEN		(16 * PG)

/* The emulated device reads and writes @bar through IOVA_BAR */
static void expect_rw_bar(struct __test_metadata *_metadata, uint8_t *bar,
			  uint8_t seed)
{
	uint8_t data[100], got[100];
	unsigned int i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = seed + i;
	/* Across a page boundary, unaligned */
	ASSERT_EQ(0, mock_emu_dma(EMU, IOVA_BAR + 2 * PG - 37, data,
				  sizeof(data), true));
	memcpy(got, bar + 2 * PG - 37, sizeof(got));
	EXPECT_EQ(0, memcmp(data, got, sizeof(data)));
	for (i = 0; i < sizeof(data); i++)
		data[i] = seed * 3 + i;
	memcpy(bar + 9 * PG + 5, data, sizeof(data));
	ASSERT_EQ(0, mock_emu_dma(EMU, IOVA_BAR + 9 * PG + 5, got,
				  sizeof(got), false));
	EXPECT_EQ(0, memcmp(data, got, sizeof(data)));
}

/*
 * vfio_dma_rw() of device memory mapped into the container: as type1,
 * through the mapping's user address, whether the container has an IOMMU
 * domain (the mapping's frames looked up) or not (only recorded). Device
 * memory cannot be pinned; nothing is pinned or charged for it.
 */
TEST(dma_rw_device_memory)
{
	struct ectx t = { 0 };
	struct mdom_state st;
	struct mock_dev md;
	void *bar;
	int mgfd;

	ectx_setup(_metadata, &t);
	if (!t.ready)
		return;
	bar = vga_bar_map(VGA_LEN);
	ASSERT_NE(MAP_FAILED, bar) TH_LOG("no VGA framebuffer BAR to map");
	ASSERT_EQ(0, vfio_attach(t.fd, t.emu_gfd, true, VFIO_TYPE1v2_IOMMU));
	vfio_map(t.fd, IOVA_BAR, VGA_LEN, bar);
	open_device(_metadata, &t);
	expect_rw_bar(_metadata, bar, 0x10);
	EXPECT_EQ(-EINVAL, mock_emu_pin(EMU, IOVA_BAR, 1, "r"));

	/* A domain: the BAR's frames are mapped into it */
	ASSERT_EQ(0, mock_find_dev(0, 0, &md));
	mgfd = vfio_open_group(md.group);
	ASSERT_LE(0, mgfd);
	ASSERT_EQ(0, vfio_attach(t.fd, mgfd, false, VFIO_TYPE1v2_IOMMU));
	expect_rw_bar(_metadata, bar, 0x60);
	EXPECT_EQ(-EINVAL, mock_emu_pin(EMU, IOVA_BAR + PG, 1, "r"));
	expect_state(_metadata, 1, 0);
	mdom_query(t.fd, &st);
	EXPECT_EQ(0, st.q.pinned_pages);
	EXPECT_EQ(t.mark.vmlck, vmlck_kb());

	vfio_unset_container(mgfd);
	close(mgfd);
	expect_rw_bar(_metadata, bar, 0xa0);
	vfio_unmap(t.fd, IOVA_BAR, VGA_LEN);
	munmap(bar, VGA_LEN);
	ectx_teardown(_metadata, &t);
}

TEST_HARNESS_MAIN
