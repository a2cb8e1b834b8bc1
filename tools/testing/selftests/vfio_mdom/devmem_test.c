// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom selftest: device memory in a container, peer to peer.
 *
 * Both edu devices join one container (one Intel domain) and are opened
 * through their VFIO device fds. The mmap() of edu A's BAR0, a
 * VM_PFNMAP area vfio-pci fills with the BAR's frames, is mapped into the
 * container like guest RAM: nothing is pinned or charged for it, and the
 * Intel IOMMU's page table (debugfs domain_translation_struct) translates
 * its IOVAs to the BAR's bus addresses, readable and writable. Then edu B
 * DMAs through that IOVA: it reads edu A's ID register into its buffer
 * and writes a word into edu A's liveness register (which reads back
 * inverted), peer to peer through the vIOMMU, as QEMU's emulation allows.
 * RAM mapped next to it translates to the process's pages. Unmapped, the
 * BAR's IOVAs translate to nothing.
 *
 * Needs two edu devices bound to vfio-pci and vfio_mdom.ko;
 * VFIO_MDOM_TEST_BACKEND=type1 runs it on type1 (query checks left out).
 *
 * The ram_pfnmap fixture maps what is VM_PFNMAP but ordinary RAM
 * (lib/dmabuf.c: a udmabuf over a memfd, a vgem dumb buffer) into a
 * container of one edu device: EFAULT, as type1 answers, with nothing
 * mapped, pinned or charged, whether its pages are there yet or not and
 * whether the range starts, ends or passes through that memory (its
 * exporter frees it once unmapped and closed, whatever an IOMMU still
 * maps). Real device memory, the edu's BAR, still maps. It needs one edu
 * device and fails, not skips, without udmabuf or vgem;
 * tools/vm/stock/selftests runs it on Debian's kernel too (-f ram_pfnmap).
 */
#include "mdom_test.h"

#define IOVA_RAM	SZ_1M		/* 4 pages of RAM */
#define RAM_PAGES	4
#define IOVA_BAR	0x8000000ULL	/* edu A's BAR0, below edu's 28 bits */

struct pctx {
	bool ready;
	bool mdom;
	int fd;
	int gfd[2];
	struct edu_dev edu[2];	/* A: the memory, B: the DMA */
	uint8_t *ram;
	struct leak_mark mark;
};

FIXTURE(devmem)
{
	struct pctx t;
};

FIXTURE_SETUP(devmem)
{
	struct pctx *t = &self->t;
	unsigned int i;

	t->fd = -1;
	t->ram = MAP_FAILED;
	for (i = 0; i < 2; i++) {
		t->gfd[i] = -1;
		t->edu[i].device_fd = -1;
	}
	t->mdom = !mdom_test_on_type1();
	if (t->mdom && !mdom_loaded())
		SKIP(return, "vfio_mdom.ko is not loaded");
	for (i = 0; i < 2; i++)
		if (edu_find(i, &t->edu[i]))
			SKIP(return, "needs two edu devices bound to vfio-pci");

	leak_mark(&t->mark);
	t->fd = vfio_open_container();
	ASSERT_LE(0, t->fd);
	for (i = 0; i < 2; i++) {
		t->gfd[i] = vfio_open_group(t->edu[i].group);
		ASSERT_LE(0, t->gfd[i]);
		ASSERT_EQ(0, vfio_attach(t->fd, t->gfd[i], !i,
					 VFIO_TYPE1v2_IOMMU));
		ASSERT_EQ(0, edu_open(&t->edu[i], t->gfd[i]));
	}
	if (t->mdom)
		expect_backend_mdom(t->fd);
	ASSERT_EQ(0, edu_bus_master(&t->edu[1], true));
	t->ram = mmap(NULL, RAM_PAGES * PG, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, t->ram);
	memset(t->ram, 0, RAM_PAGES * PG);
	t->ready = true;
}

FIXTURE_TEARDOWN(devmem)
{
	struct pctx *t = &self->t;
	unsigned int i;

	for (i = 0; i < 2; i++)
		edu_close(&t->edu[i]);
	if (t->fd >= 0)
		close(t->fd);
	for (i = 0; i < 2; i++)
		if (t->gfd[i] >= 0)
			close(t->gfd[i]);
	if (t->ram != MAP_FAILED)
		munmap(t->ram, RAM_PAGES * PG);
	if (t->ready)
		expect_no_leak(&t->mark, !t->mdom);
}

/* edu B's domain translates @iova to @phys, with read and write */
static void expect_xlate(struct __test_metadata *_metadata, struct pctx *t,
			 uint64_t iova, uint64_t phys)
{
	struct intel_pte x;

	ASSERT_EQ(0, intel_translation(t->edu[1].bdf, iova, &x))
		TH_LOG("no Intel translation of 0x%llx", (unsigned long long)iova);
	EXPECT_EQ(phys, x.phys + (iova - x.iova)) TH_LOG("IOVA 0x%llx", (unsigned long long)iova);
	EXPECT_EQ(INTEL_PTE_READ | INTEL_PTE_WRITE,
		  x.val & (INTEL_PTE_READ | INTEL_PTE_WRITE));
}

TEST_F_TIMEOUT(devmem, bar_peer_to_peer, 180)
{
	struct pctx *t = &self->t;
	struct edu_dev *a = &t->edu[0], *b = &t->edu[1];
	uint64_t bar = pci_bar_start(a->bdf, 0), size = a->bar_len, off;
	struct intel_pte x;
	struct mdom_state st;
	uint32_t word, got;

	ASSERT_NE(0, bar);
	ASSERT_LE(SZ_1M, size);
	vfio_map(t->fd, IOVA_RAM, RAM_PAGES * PG, t->ram);
	vfio_map(t->fd, IOVA_BAR, size, a->bar);

	/* Device memory: neither pinned nor charged */
	EXPECT_EQ(t->mark.vmlck + (long)(RAM_PAGES * PG / 1024), vmlck_kb());
	expect_pins(t->mark.pins + RAM_PAGES);
	if (t->mdom) {
		mdom_query(t->fd, &st);
		EXPECT_EQ(2, st.q.num_mappings);
		EXPECT_EQ(RAM_PAGES * PG + size, st.q.mapped_bytes);
		EXPECT_EQ(RAM_PAGES, st.q.pinned_pages);
	}

	/* The Intel page table: the BAR's bus addresses, RAM's pages */
	for (off = 0; off < size; off += size / 4)
		expect_xlate(_metadata, t, IOVA_BAR + off, bar + off);
	expect_xlate(_metadata, t, IOVA_BAR + size - PG, bar + size - PG);
	expect_xlate(_metadata, t, IOVA_RAM + 2 * PG,
		     pagemap_phys_one(t->ram + 2 * PG));

	/* B reads A's ID register into its buffer, and writes it to RAM */
	ASSERT_EQ(0, edu_read_ram(b, IOVA_BAR + EDU_REG_ID, 0, 4));
	ASSERT_EQ(0, edu_write_ram(b, 0, IOVA_RAM + 16, 4));
	memcpy(&word, t->ram + 16, 4);
	EXPECT_EQ(EDU_ID, word) TH_LOG("peer read: 0x%x", word);

	/* B writes a word from RAM into A's liveness register */
	word = 0x13572468;
	memcpy(t->ram + 32, &word, 4);
	ASSERT_EQ(0, edu_read_ram(b, IOVA_RAM + 32, 64, 4));
	ASSERT_EQ(0, edu_write_ram(b, 64, IOVA_BAR + EDU_REG_LIVENESS, 4));
	got = edu_read32(a, EDU_REG_LIVENESS);
	EXPECT_EQ(~word, got) TH_LOG("peer write: A reads 0x%x", got);

	/* Unmapped, the BAR is out of B's reach */
	vfio_unmap(t->fd, IOVA_BAR, size);
	EXPECT_EQ(-ENOENT, intel_translation(b->bdf, IOVA_BAR, &x));
	EXPECT_EQ(-ENOENT, intel_translation(b->bdf, IOVA_BAR + size - PG,
					     &x));
	expect_xlate(_metadata, t, IOVA_RAM, pagemap_phys_one(t->ram));
	vfio_unmap(t->fd, IOVA_RAM, RAM_PAGES * PG);
	EXPECT_EQ(t->mark.vmlck, vmlck_kb());
}

/* ---- RAM behind VM_PFNMAP: refused ---------------------------------------- */

#define IOVA_RP		SZ_1M
#define RP_PAGES	4	/* the exporter's RAM */
#define RP_AROUND	2	/* ordinary anonymous pages on either side */
#define RP_SPAN		((2 * RP_AROUND + RP_PAGES) * PG)
#define IOVA_EDU_BAR	0x4000000ULL

struct rctx {
	bool ready;
	bool mdom;
	int fd;
	int gfd;
	struct edu_dev edu;
	/* RP_AROUND anonymous pages, the buffer, RP_AROUND anonymous pages */
	uint8_t *span;
	struct ram_pfnmap buf;
	struct leak_mark mark;
	long long pins;		/* with the buffer (udmabuf pins the memfd) */
};

FIXTURE(ram_pfnmap)
{
	struct rctx t;
};

FIXTURE_VARIANT(ram_pfnmap)
{
	enum ram_pfnmap_kind kind;
};

FIXTURE_VARIANT_ADD(ram_pfnmap, udmabuf)
{
	.kind = RAM_PFNMAP_UDMABUF,
};

FIXTURE_VARIANT_ADD(ram_pfnmap, vgem)
{
	.kind = RAM_PFNMAP_VGEM,
};

FIXTURE_SETUP(ram_pfnmap)
{
	struct rctx *t = &self->t;
	int ret;

	t->fd = -1;
	t->gfd = -1;
	t->edu.device_fd = -1;
	t->buf.fd = -1;
	t->buf.memfd = -1;
	t->span = MAP_FAILED;
	t->mdom = !mdom_test_on_type1();
	if (t->mdom && !mdom_loaded())
		SKIP(return, "vfio_mdom.ko is not loaded");
	if (edu_find(0, &t->edu))
		SKIP(return, "needs an edu device bound to vfio-pci");

	leak_mark(&t->mark);
	t->fd = vfio_open_container();
	ASSERT_LE(0, t->fd);
	t->gfd = vfio_open_group(t->edu.group);
	ASSERT_LE(0, t->gfd);
	ASSERT_EQ(0, vfio_attach(t->fd, t->gfd, true, VFIO_TYPE1v2_IOMMU));
	if (t->mdom)
		expect_backend_mdom(t->fd);
	t->ready = true;

	t->span = mmap(NULL, RP_SPAN, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, t->span);
	memset(t->span, 0x11, RP_SPAN);
	/* Not touched: its pages come in when first looked up */
	ret = ram_pfnmap_alloc(&t->buf, variant->kind, RP_PAGES * PG,
			       t->span + RP_AROUND * PG);
	ASSERT_EQ(0, ret) {
		TH_LOG("%s: %s (built into the test kernel; Debian's: modprobe vgem)",
		       ram_pfnmap_name(variant->kind), strerror(-ret));
	}
	t->pins = foll_pins_stable();
}

FIXTURE_TEARDOWN(ram_pfnmap)
{
	struct rctx *t = &self->t;

	edu_close(&t->edu);
	if (t->fd >= 0)
		close(t->fd);
	if (t->gfd >= 0)
		close(t->gfd);
	ram_pfnmap_free(&t->buf);
	if (t->span != MAP_FAILED)
		munmap(t->span, RP_SPAN);
	if (t->ready)
		expect_no_leak(&t->mark, !t->mdom);
}

/*
 * Nothing of [IOVA_RP, +RP_SPAN) is mapped, nothing more pinned or
 * charged than before the first map.
 */
static void expect_nothing_mapped(struct __test_metadata *_metadata,
				  struct rctx *t)
{
	uint64_t unmapped = 1, off;
	struct mdom_state st;
	struct intel_pte x;

	EXPECT_EQ(t->mark.vmlck, vmlck_kb()) TH_LOG("locked_vm charged");
	expect_pins(t->pins);
	if (t->mdom) {
		mdom_query(t->fd, &st);
		EXPECT_EQ(0, st.q.num_mappings);
		EXPECT_EQ(0, st.q.mapped_bytes);
		EXPECT_EQ(0, st.q.pinned_pages);
		EXPECT_EQ(0, st.q.locked_pages);
	}
	if (intel_pt_available(t->edu.bdf)) {
		for (off = 0; off < RP_SPAN; off += PG)
			EXPECT_EQ(-ENOENT, intel_translation(t->edu.bdf,
							     IOVA_RP + off,
							     &x));
	}
	EXPECT_EQ(0, _vfio_unmap(t->fd, IOVA_RP, RP_SPAN, 0, &unmapped));
	EXPECT_EQ(0, unmapped);
}

/* The buffer alone, its pages not there yet, then there: EFAULT */
TEST_F(ram_pfnmap, refused)
{
	struct rctx *t = &self->t;
	uint8_t *buf = t->buf.va;
	uint64_t size = RP_PAGES * PG;

	/* Faulted in by the lookup, then refused */
	vfio_map_err(EFAULT, t->fd, IOVA_RP, size, buf, VFIO_RW);
	expect_nothing_mapped(_metadata, t);

	memset(buf, 0xa5, size);
	vfio_map_err(EFAULT, t->fd, IOVA_RP, size, buf, VFIO_RW);
	vfio_map_err(EFAULT, t->fd, IOVA_RP, size, buf,
		     VFIO_DMA_MAP_FLAG_READ);
	vfio_map_err(EFAULT, t->fd, IOVA_RP, PG, buf + size - PG,
		     VFIO_DMA_MAP_FLAG_WRITE);
	expect_nothing_mapped(_metadata, t);
	/* The buffer is still its exporter's, as it was */
	EXPECT_EQ(0xa5, buf[size - 1]);
}

/* Ranges that start, end or pass through the buffer: EFAULT */
TEST_F(ram_pfnmap, next_to_ram)
{
	struct rctx *t = &self->t;
	uint8_t *span = t->span, *buf = t->buf.va;
	uint64_t size = RP_PAGES * PG;

	ASSERT_EQ(span + RP_AROUND * PG, buf);
	memset(buf, 0xa5, size);
	/* Anonymous memory, then the buffer, then anonymous memory */
	vfio_map_err(EFAULT, t->fd, IOVA_RP, RP_SPAN, span, VFIO_RW);
	/* The last anonymous page before it and its first page */
	vfio_map_err(EFAULT, t->fd, IOVA_RP, 2 * PG, buf - PG, VFIO_RW);
	/* Its last page and the first anonymous page after it */
	vfio_map_err(EFAULT, t->fd, IOVA_RP, 2 * PG, buf + size - PG,
		     VFIO_RW);
	vfio_map_err(EFAULT, t->fd, IOVA_RP, size + RP_AROUND * PG, buf,
		     VFIO_DMA_MAP_FLAG_READ);
	expect_nothing_mapped(_metadata, t);

	/* The anonymous pages alone map */
	vfio_map(t->fd, IOVA_RP, RP_AROUND * PG, span);
	vfio_unmap(t->fd, IOVA_RP, RP_AROUND * PG);
	vfio_map(t->fd, IOVA_RP, RP_AROUND * PG, buf + size);
	vfio_unmap(t->fd, IOVA_RP, RP_AROUND * PG);
	expect_nothing_mapped(_metadata, t);
}

/* Real device memory, the edu's BAR0, maps: neither pinned nor charged */
TEST_F(ram_pfnmap, bar_still_maps)
{
	struct rctx *t = &self->t;
	struct edu_dev *edu = &t->edu;
	struct mdom_state st;

	ASSERT_EQ(0, edu_open(edu, t->gfd));
	vfio_map(t->fd, IOVA_EDU_BAR, edu->bar_len, edu->bar);
	EXPECT_EQ(t->mark.vmlck, vmlck_kb());
	expect_pins(t->pins);
	if (t->mdom) {
		mdom_query(t->fd, &st);
		EXPECT_EQ(1, st.q.num_mappings);
		EXPECT_EQ(edu->bar_len, st.q.mapped_bytes);
		EXPECT_EQ(0, st.q.pinned_pages);
	}
	vfio_unmap(t->fd, IOVA_EDU_BAR, edu->bar_len);
	expect_nothing_mapped(_metadata, t);
}

TEST_HARNESS_MAIN
