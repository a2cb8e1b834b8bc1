// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom selftest: real DMA through a VFIO container served by
 * vfio-mdom, end to end.
 *
 * QEMU's edu device sits behind the emulated Intel IOMMU; its DMA engine
 * copies between RAM (at an IOVA, translated by the domain its group is
 * attached to) and a 4 KiB buffer of its own. The test drives it as a VMM
 * does: group in the container, VFIO_SET_IOMMU, the device fd from
 * VFIO_GROUP_GET_DEVICE_FD, BAR0 mmap()ed from it and bus mastering turned
 * on through its config region. The device copies buffer A (mapped
 * readable) into its buffer and out to buffer B (mapped writable), and B
 * must then hold A byte for byte. Unmapping must stop the device: a read
 * of an unmapped IOVA moves none of its data and a write to one does not
 * land, each with a DMAR fault in the kernel log for that IOVA (the IOTLB
 * was flushed); a read-only mapping is not writable by the device.
 *
 * One container with edu devices (one Intel IOMMU: one shared domain) and
 * mock IOMMU devices of different instances (a domain each) holds several
 * domains: every mapping, made before or after a group joined, reaches
 * every device, checked by edu DMA and mock DMA.
 *
 * Every test ends with nothing pinned or charged and the mock IOMMU's
 * error counters and gauges unchanged. VFIO_MDOM_TEST_BACKEND=type1 runs
 * the same on type1 (lib/mdom.c).
 */
#include "mdom_test.h"

#define BUF_PAGES	32
/* Every buffer is two pages so that transfers can cross a page boundary. */
#define BUF_A		0
#define BUF_B		2
#define BUF_C		4
#define BUF_D		6
#define BUF_R		8
#define BUF_B2		10
#define BUF_E		12
#define BUF_SIZE	(2 * PG)

/* IOVAs: below the edu's 28-bit DMA limit, clear of reserved regions. */
#define IOVA_A		0x100000ULL
#define IOVA_B		0x200000ULL
#define IOVA_C		0x300000ULL
#define IOVA_D		0x400000ULL
#define IOVA_R		0x500000ULL
#define IOVA_B2		0x600000ULL
#define IOVA_E		0x700000ULL

/* A transfer crossing a page boundary, shorter than the device's buffer. */
#define XFER_OFF	0x800
#define XFER_LEN	3000

#define MAX_MOCK	2

struct edu_ctx {
	int fd;				/* the container */
	bool mdom;			/* served by vfio-mdom, not type1 */
	unsigned int nedu;
	struct edu_dev edu[2];
	int gfd[2];			/* their VFIO groups */
	struct mock_dev mock[MAX_MOCK];	/* mock 0.0 and 1.0, when used */
	int mock_gfd[MAX_MOCK];
	unsigned int nattached;
	int kmsg;
	uint8_t *buf;
	struct leak_mark mark;
};

FIXTURE(edu)
{
	struct edu_ctx ctx;
};

static uint8_t *buf_at(struct edu_ctx *ctx, unsigned int page)
{
	return ctx->buf + page * PG;
}

/* Fill buffer @page with the pattern of @seed (pattern_fill()). */
static void fill(struct edu_ctx *ctx, unsigned int page, uint8_t seed)
{
	pattern_fill(buf_at(ctx, page), BUF_SIZE, seed);
}

FIXTURE_SETUP(edu)
{
	struct edu_ctx *ctx = &self->ctx;
	unsigned int i;

	ctx->fd = -1;
	ctx->kmsg = -1;
	ctx->buf = MAP_FAILED;
	for (i = 0; i < 2; i++) {
		ctx->gfd[i] = -1;
		ctx->edu[i].device_fd = -1;
	}
	for (i = 0; i < MAX_MOCK; i++)
		ctx->mock_gfd[i] = -1;

	for (i = 0; i < 2; i++)
		if (edu_find(i, &ctx->edu[i]))
			break;
	ctx->nedu = i;
	if (!ctx->nedu)
		SKIP(return, "no edu device bound to vfio-pci");
	ctx->mdom = !mdom_test_on_type1();
	if (ctx->mdom && !mdom_loaded()) {
		ctx->nedu = 0;
		SKIP(return, "vfio_mdom.ko is not loaded");
	}

	leak_mark(&ctx->mark);
	for (i = 0; i < ctx->nedu; i++) {
		ctx->gfd[i] = vfio_open_group(ctx->edu[i].group);
		ASSERT_LE(0, ctx->gfd[i]) {
			TH_LOG("open /dev/vfio/%d: %s", ctx->edu[i].group,
			       strerror(-ctx->gfd[i]));
		}
	}
	ctx->fd = vfio_open_container();
	ASSERT_LE(0, ctx->fd);

	ctx->buf = mmap(NULL, BUF_PAGES * PG, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ctx->buf);
	memset(ctx->buf, 0, BUF_PAGES * PG);

	ctx->kmsg = kmsg_open();
	ASSERT_LE(0, ctx->kmsg);
}

FIXTURE_TEARDOWN(edu)
{
	struct edu_ctx *ctx = &self->ctx;
	unsigned int i;

	/* No DMA once the container lets go of the groups. */
	for (i = 0; i < 2; i++)
		edu_close(&ctx->edu[i]);
	if (ctx->fd >= 0)
		close(ctx->fd);
	for (i = 0; i < 2; i++)
		if (ctx->gfd[i] >= 0)
			close(ctx->gfd[i]);
	for (i = 0; i < MAX_MOCK; i++)
		if (ctx->mock_gfd[i] >= 0)
			close(ctx->mock_gfd[i]);
	if (ctx->kmsg >= 0)
		close(ctx->kmsg);
	if (ctx->buf != MAP_FAILED)
		munmap(ctx->buf, BUF_PAGES * PG);
	if (ctx->nedu)
		expect_no_leak(&ctx->mark, !ctx->mdom);
}

static int map_buf(struct edu_ctx *ctx, uint64_t iova, unsigned int page,
		   uint32_t flags)
{
	return _vfio_map(ctx->fd, iova, BUF_SIZE, buf_at(ctx, page), flags);
}

/* Group @group_fd joins; the first sets the IOMMU and gets the driver. */
static void join(struct __test_metadata *_metadata, struct edu_ctx *ctx,
		 int group_fd)
{
	ASSERT_EQ(0, vfio_attach(ctx->fd, group_fd, !ctx->nattached,
				 VFIO_TYPE1v2_IOMMU));
	if (!ctx->nattached++) {
		if (ctx->mdom)
			expect_backend_mdom(ctx->fd);
		else
			expect_backend_type1(ctx->fd);
	}
}

/*
 * Edu device @i's group joins the container; the device is opened through
 * its VFIO device fd and its bus mastering turned on.
 */
static void attach_edu(struct __test_metadata *_metadata,
		       struct edu_ctx *ctx, unsigned int i)
{
	join(_metadata, ctx, ctx->gfd[i]);
	ASSERT_EQ(0, edu_open(&ctx->edu[i], ctx->gfd[i])) {
		TH_LOG("edu %s: cannot reach it through its device fd",
		       ctx->edu[i].bdf);
	}
	ASSERT_EQ(0, edu_bus_master(&ctx->edu[i], true));
}

/* Mock device @inst.0's group joins the container. */
static void attach_mock(struct __test_metadata *_metadata,
			struct edu_ctx *ctx, unsigned int inst)
{
	ASSERT_EQ(0, mock_find_dev(inst, 0, &ctx->mock[inst]));
	ctx->mock_gfd[inst] = vfio_open_group(ctx->mock[inst].group);
	ASSERT_LE(0, ctx->mock_gfd[inst]);
	join(_metadata, ctx, ctx->mock_gfd[inst]);
}

/* The container's domain of group @group (vfio-mdom) */
static struct vfio_mdom_domain_info *
domain_of(struct mdom_state *st, int group)
{
	return mdom_state_domain(st, mdom_state_group_domain(st, group));
}

/*
 * Edu device @i copies XFER_LEN bytes from @src_iova + XFER_OFF into its
 * buffer, then out to @dst_iova + XFER_OFF.
 */
static void edu_copy(struct __test_metadata *_metadata, struct edu_ctx *ctx,
		     unsigned int i, uint64_t src_iova, uint64_t dst_iova)
{
	ASSERT_EQ(0, edu_read_ram(&ctx->edu[i], src_iova + XFER_OFF, 0,
				  XFER_LEN));
	ASSERT_EQ(0, edu_write_ram(&ctx->edu[i], 0, dst_iova + XFER_OFF,
				   XFER_LEN));
}

/* Buffer @dst holds @src's transferred bytes, and nothing else moved. */
static void expect_copied(struct __test_metadata *_metadata,
			  struct edu_ctx *ctx, unsigned int src,
			  unsigned int dst, uint8_t outside)
{
	uint8_t *s = buf_at(ctx, src), *d = buf_at(ctx, dst);
	size_t i;

	EXPECT_EQ(0, memcmp(d + XFER_OFF, s + XFER_OFF, XFER_LEN));
	for (i = 0; i < XFER_OFF; i++)
		ASSERT_EQ(outside, d[i]);
	for (i = XFER_OFF + XFER_LEN; i < BUF_SIZE; i++)
		ASSERT_EQ(outside, d[i]);
}

/* No IOMMU fault was logged since the kmsg mark. */
static void expect_no_fault(struct __test_metadata *_metadata,
			    struct edu_ctx *ctx)
{
	const char *needles[2] = { "DMAR", "fault" };
	char line[512];

	EXPECT_EQ(-ETIMEDOUT, kmsg_wait(ctx->kmsg, needles, 2, 100, line,
					sizeof(line))) {
		TH_LOG("unexpected: %s", line);
	}
}

/* The IOMMU fault for edu device @i at @iova is in the kernel log. */
static void expect_fault(struct __test_metadata *_metadata,
			 struct edu_ctx *ctx, unsigned int i,
			 uint64_t iova, bool dev_reads)
{
	char line[512] = "";

	ASSERT_EQ(0, kmsg_wait_dmar_fault(ctx->kmsg, &ctx->edu[i], iova,
					  line, sizeof(line))) {
		TH_LOG("no DMAR fault logged for %s at 0x%llx",
		       ctx->edu[i].bdf, (unsigned long long)iova);
	}
	EXPECT_NE(NULL, strstr(line, dev_reads ? "DMA Read" : "DMA Write")) {
		TH_LOG("%s", line);
	}
}

/* The device copies A (readable) to B (writable): B == A byte for byte. */
TEST_F_TIMEOUT(edu, copy_a_to_b, 180)
{
	struct edu_ctx *ctx = &self->ctx;
	struct vfio_mdom_domain_info *d;
	struct mdom_state st;

	attach_edu(_metadata, ctx, 0);
	if (ctx->mdom) {
		mdom_query(ctx->fd, &st);
		ASSERT_EQ(1, st.q.num_domains);
		d = domain_of(&st, ctx->edu[0].group);
		ASSERT_NE(NULL, d);
		expect_edu_driver(&ctx->edu[0], d->driver);
		EXPECT_EQ(1, d->num_groups);
	}

	fill(ctx, BUF_A, 1);
	ASSERT_EQ(0, map_buf(ctx, IOVA_A, BUF_A, VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, map_buf(ctx, IOVA_B, BUF_B, VFIO_DMA_MAP_FLAG_WRITE));
	EXPECT_EQ(ctx->mark.vmlck + 4 * (long)PG / 1024, vmlck_kb());
	expect_pins(ctx->mark.pins + 4);

	edu_copy(_metadata, ctx, 0, IOVA_A, IOVA_B);
	expect_copied(_metadata, ctx, BUF_A, BUF_B, 0);
	expect_no_fault(_metadata, ctx);

	/* Written after the map: the device sees the user's memory itself. */
	fill(ctx, BUF_A, 2);
	edu_copy(_metadata, ctx, 0, IOVA_A, IOVA_B);
	expect_copied(_metadata, ctx, BUF_A, BUF_B, 0);

	vfio_unmap(ctx->fd, IOVA_A, BUF_SIZE);
	vfio_unmap(ctx->fd, IOVA_B, BUF_SIZE);
	EXPECT_EQ(ctx->mark.vmlck, vmlck_kb());
	expect_pins(ctx->mark.pins);
}

/*
 * After A is unmapped the device's read of A faults: none of A's bytes
 * reach the device's buffer, which held C's before.
 */
TEST_F_TIMEOUT(edu, unmapped_source_faults, 180)
{
	struct edu_ctx *ctx = &self->ctx;
	uint8_t *a = buf_at(ctx, BUF_A), *b, *c = buf_at(ctx, BUF_C);
	unsigned int from_a = 0;
	size_t i;

	attach_edu(_metadata, ctx, 0);
	fill(ctx, BUF_A, 1);
	fill(ctx, BUF_C, 3);
	ASSERT_EQ(0, map_buf(ctx, IOVA_A, BUF_A, VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, map_buf(ctx, IOVA_C, BUF_C, VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, map_buf(ctx, IOVA_B, BUF_B, VFIO_DMA_MAP_FLAG_WRITE));

	/* Mapped, A goes through: the transfer itself works. */
	edu_copy(_metadata, ctx, 0, IOVA_A, IOVA_B);
	expect_copied(_metadata, ctx, BUF_A, BUF_B, 0);

	/* The device's buffer now holds C. */
	ASSERT_EQ(0, edu_read_ram(&ctx->edu[0], IOVA_C + XFER_OFF, 0,
				  XFER_LEN));
	vfio_unmap(ctx->fd, IOVA_A, BUF_SIZE);
	ASSERT_EQ(0, kmsg_expect_dmar_fault(&ctx->edu[0], IOVA_A + XFER_OFF));
	ASSERT_EQ(0, edu_read_ram(&ctx->edu[0], IOVA_A + XFER_OFF, 0,
				  XFER_LEN));
	expect_fault(_metadata, ctx, 0, IOVA_A + XFER_OFF, true);

	memset(buf_at(ctx, BUF_B), 0, BUF_SIZE);
	ASSERT_EQ(0, edu_write_ram(&ctx->edu[0], 0, IOVA_B + XFER_OFF,
				   XFER_LEN));
	/*
	 * Each byte is C's (the read never happened) or 0 (QEMU fills a
	 * faulting read with zeros); A's never differ from both.
	 */
	b = buf_at(ctx, BUF_B) + XFER_OFF;
	for (i = 0; i < XFER_LEN; i++) {
		EXPECT_TRUE(b[i] == c[XFER_OFF + i] || b[i] == 0) {
			TH_LOG("byte %zu: 0x%02x", i, b[i]);
			break;
		}
		from_a += b[i] == a[XFER_OFF + i];
	}
	EXPECT_EQ(0, from_a);
}

/*
 * After B is unmapped the device's write to B faults and nothing lands in
 * B; mapped again, the same transfer lands.
 */
TEST_F_TIMEOUT(edu, unmapped_destination_faults, 180)
{
	struct edu_ctx *ctx = &self->ctx;
	uint8_t *b = buf_at(ctx, BUF_B);
	size_t i;

	attach_edu(_metadata, ctx, 0);
	fill(ctx, BUF_A, 1);
	ASSERT_EQ(0, map_buf(ctx, IOVA_A, BUF_A, VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, map_buf(ctx, IOVA_B, BUF_B, VFIO_DMA_MAP_FLAG_WRITE));
	edu_copy(_metadata, ctx, 0, IOVA_A, IOVA_B);
	expect_copied(_metadata, ctx, BUF_A, BUF_B, 0);

	vfio_unmap(ctx->fd, IOVA_B, BUF_SIZE);
	memset(b, 0x5a, BUF_SIZE);
	ASSERT_EQ(0, kmsg_expect_dmar_fault(&ctx->edu[0], IOVA_B + XFER_OFF));
	ASSERT_EQ(0, edu_write_ram(&ctx->edu[0], 0, IOVA_B + XFER_OFF,
				   XFER_LEN));
	expect_fault(_metadata, ctx, 0, IOVA_B + XFER_OFF, false);
	for (i = 0; i < BUF_SIZE; i++)
		if (b[i] != 0x5a)
			break;
	ASSERT_EQ(BUF_SIZE, i) TH_LOG("byte %zu of B changed", i);

	/* Mapped again, the same transfer (still in the device) lands */
	memset(b, 0, BUF_SIZE);
	ASSERT_EQ(0, map_buf(ctx, IOVA_B, BUF_B, VFIO_DMA_MAP_FLAG_WRITE));
	ASSERT_EQ(0, edu_write_ram(&ctx->edu[0], 0, IOVA_B + XFER_OFF,
				   XFER_LEN));
	expect_copied(_metadata, ctx, BUF_A, BUF_B, 0);
}

/*
 * A read-only mapping is never writable by the device, and readable. The
 * write comes first: QEMU's VT-d reports a permission fault only when it
 * walks the page table, not when the translation is in its IOTLB already.
 */
TEST_F_TIMEOUT(edu, read_only_mapping, 180)
{
	struct edu_ctx *ctx = &self->ctx;
	uint8_t *r = buf_at(ctx, BUF_R);
	size_t i;

	attach_edu(_metadata, ctx, 0);
	fill(ctx, BUF_A, 1);
	fill(ctx, BUF_R, 4);
	ASSERT_EQ(0, map_buf(ctx, IOVA_A, BUF_A, VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, map_buf(ctx, IOVA_R, BUF_R, VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, map_buf(ctx, IOVA_B, BUF_B, VFIO_DMA_MAP_FLAG_WRITE));

	/* Not writable: A -> device -> R lands nowhere */
	ASSERT_EQ(0, edu_read_ram(&ctx->edu[0], IOVA_A + XFER_OFF, 0,
				  XFER_LEN));
	ASSERT_EQ(0, kmsg_expect_dmar_fault(&ctx->edu[0], IOVA_R + XFER_OFF));
	ASSERT_EQ(0, edu_write_ram(&ctx->edu[0], 0, IOVA_R + XFER_OFF,
				   XFER_LEN));
	for (i = 0; i < BUF_SIZE; i++) {
		ASSERT_EQ(pattern_byte(4, i), r[i]) {
			TH_LOG("byte %zu of the read-only buffer changed", i);
		}
	}
	expect_fault(_metadata, ctx, 0, IOVA_R + XFER_OFF, false);

	/* Readable: R -> device -> B */
	edu_copy(_metadata, ctx, 0, IOVA_R, IOVA_B);
	expect_copied(_metadata, ctx, BUF_R, BUF_B, 0);
	expect_no_fault(_metadata, ctx);
}

/*
 * The device fd: refused before the container has its IOMMU, regions as
 * vfio-pci describes an edu, the group held in the container while it is
 * open, bus mastering off again once it is closed.
 */
TEST_F_TIMEOUT(edu, device_fd, 180)
{
	struct edu_ctx *ctx = &self->ctx;
	struct edu_dev *e = &ctx->edu[0];
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_region_info ri;
	uint16_t cmd;
	int dfd;

	vfio_set_container(ctx->gfd[0], ctx->fd);
	EXPECT_EQ(-EINVAL, vfio_device_fd(ctx->gfd[0], e->bdf));
	vfio_unset_container(ctx->gfd[0]);

	attach_edu(_metadata, ctx, 0);
	ASSERT_EQ(0, ioctl(e->device_fd, VFIO_DEVICE_GET_INFO, &info));
	EXPECT_TRUE(info.flags & VFIO_DEVICE_FLAGS_PCI);
	EXPECT_EQ(VFIO_PCI_NUM_REGIONS, info.num_regions);
	ASSERT_EQ(0, _vfio_region_info(e->device_fd,
				       VFIO_PCI_BAR0_REGION_INDEX, &ri));
	EXPECT_EQ(SZ_1M, ri.size);
	EXPECT_TRUE(ri.flags & VFIO_REGION_INFO_FLAG_MMAP);
	ASSERT_EQ(0, _vfio_region_info(e->device_fd,
				       VFIO_PCI_CONFIG_REGION_INDEX, &ri));
	EXPECT_LE(256, ri.size);
	ASSERT_EQ(0, edu_get_command(e, &cmd));
	EXPECT_EQ(PCI_CMD_MASTER | PCI_CMD_MEMORY,
		  cmd & (PCI_CMD_MASTER | PCI_CMD_MEMORY));
	/* The liveness register answers through the mmap()ed BAR */
	edu_write32(e, EDU_REG_LIVENESS, 0xa5a5f00f);
	EXPECT_EQ(~0xa5a5f00fU, edu_read32(e, EDU_REG_LIVENESS));

	/* The group cannot leave while its device is open */
	vfio_unset_container_err(EBUSY, ctx->gfd[0]);

	/* Closed, the device stops mastering: opened again, it is off */
	edu_close(e);
	dfd = vfio_device_fd(ctx->gfd[0], e->bdf);
	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, _vfio_region_info(dfd, VFIO_PCI_CONFIG_REGION_INDEX, &ri));
	ASSERT_EQ(2, pread(dfd, &cmd, 2, ri.offset + PCI_CFG_COMMAND));
	EXPECT_EQ(0, cmd & PCI_CMD_MASTER);
	close(dfd);
	vfio_unset_container(ctx->gfd[0]);
	ctx->nattached = 0;
}

/*
 * Both edu devices (one Intel IOMMU: one shared domain) and a mock device
 * (a second domain) in one container: each reaches every mapping, made
 * before or after the mock's domain; edu 0 leaving leaves the other's DMA
 * and the mock's working.
 */
TEST_F_TIMEOUT(edu, two_edus_and_mock, 240)
{
	struct edu_ctx *ctx = &self->ctx;
	struct vfio_mdom_domain_info *d;
	uint8_t got[256], want[256];
	struct mdom_state st;
	unsigned int dom;
	size_t i;

	if (ctx->nedu < 2)
		SKIP(return, "needs two edu devices bound to vfio-pci");
	if (!mock_loaded())
		SKIP(return, "the mock IOMMU (vfio_mdom_mock_iommu) is not loaded");

	attach_edu(_metadata, ctx, 0);
	attach_edu(_metadata, ctx, 1);
	if (ctx->mdom) {
		mdom_query(ctx->fd, &st);
		EXPECT_EQ(1, st.q.num_domains);
		EXPECT_EQ(2, st.q.num_groups);
	}

	fill(ctx, BUF_A, 1);
	ASSERT_EQ(0, map_buf(ctx, IOVA_A, BUF_A, VFIO_RW));
	ASSERT_EQ(0, map_buf(ctx, IOVA_B, BUF_B, VFIO_DMA_MAP_FLAG_WRITE));
	ASSERT_EQ(0, map_buf(ctx, IOVA_B2, BUF_B2, VFIO_DMA_MAP_FLAG_WRITE));

	/* The mock's domain is new and gets every mapping replayed */
	attach_mock(_metadata, ctx, 0);
	dom = mock_dev_domain(0, 0);
	ASSERT_NE(0, dom);
	EXPECT_EQ(0, mock_domain_covers(dom, IOVA_A, BUF_SIZE,
					MOCK_PROT_RW | MOCK_PROT_CACHE,
					buf_at(ctx, BUF_A)));
	EXPECT_EQ(0, mock_domain_covers(dom, IOVA_B2, BUF_SIZE,
					MOCK_PROT_WRITE | MOCK_PROT_CACHE,
					buf_at(ctx, BUF_B2)));
	if (ctx->mdom) {
		mdom_query(ctx->fd, &st);
		ASSERT_EQ(2, st.q.num_domains);
		EXPECT_EQ(3, st.q.num_groups);
		d = domain_of(&st, ctx->edu[0].group);
		ASSERT_NE(NULL, d);
		EXPECT_EQ(2, d->num_groups);
		expect_edu_driver(&ctx->edu[0], d->driver);
		EXPECT_EQ(d, domain_of(&st, ctx->edu[1].group));
		d = domain_of(&st, ctx->mock[0].group);
		ASSERT_NE(NULL, d);
		EXPECT_EQ(1, d->num_groups);
		EXPECT_STREQ("vfio_mdom_mock_iommu", d->driver);
	}

	/* Mapped after the mock's domain appeared: visible to all three */
	fill(ctx, BUF_D, 5);
	ASSERT_EQ(0, map_buf(ctx, IOVA_D, BUF_D, VFIO_DMA_MAP_FLAG_READ));
	EXPECT_EQ(0, mock_domain_covers(dom, IOVA_D, BUF_SIZE,
					MOCK_PROT_READ | MOCK_PROT_CACHE,
					buf_at(ctx, BUF_D)));

	edu_copy(_metadata, ctx, 0, IOVA_A, IOVA_B);
	expect_copied(_metadata, ctx, BUF_A, BUF_B, 0);
	edu_copy(_metadata, ctx, 1, IOVA_D, IOVA_B2);
	expect_copied(_metadata, ctx, BUF_D, BUF_B2, 0);
	memset(buf_at(ctx, BUF_B), 0, BUF_SIZE);
	edu_copy(_metadata, ctx, 0, IOVA_D, IOVA_B);
	expect_copied(_metadata, ctx, BUF_D, BUF_B, 0);

	ASSERT_EQ(0, mock_dma_read(ctx->mock[0].name, IOVA_D + PG - 100, got,
				   sizeof(got)));
	EXPECT_EQ(0, memcmp(got, buf_at(ctx, BUF_D) + PG - 100, sizeof(got)));
	/* The mock writes A, edu 1 carries it to B2 */
	for (i = 0; i < sizeof(want); i++)
		want[i] = 0x80 | i;
	ASSERT_EQ(0, mock_dma_write(ctx->mock[0].name, IOVA_A + XFER_OFF,
				    want, sizeof(want)));
	EXPECT_EQ(0, memcmp(buf_at(ctx, BUF_A) + XFER_OFF, want,
			    sizeof(want)));
	memset(buf_at(ctx, BUF_B2), 0, BUF_SIZE);
	edu_copy(_metadata, ctx, 1, IOVA_A, IOVA_B2);
	expect_copied(_metadata, ctx, BUF_A, BUF_B2, 0);
	expect_no_fault(_metadata, ctx);

	/* Edu 0 goes (device fd first); its domain stays for edu 1 */
	edu_close(&ctx->edu[0]);
	vfio_unset_container(ctx->gfd[0]);
	if (ctx->mdom) {
		mdom_query(ctx->fd, &st);
		ASSERT_EQ(2, st.q.num_domains);
		EXPECT_EQ(2, st.q.num_groups);
		d = domain_of(&st, ctx->edu[1].group);
		ASSERT_NE(NULL, d);
		EXPECT_EQ(1, d->num_groups);
	}

	fill(ctx, BUF_D, 6);
	memset(buf_at(ctx, BUF_B2), 0, BUF_SIZE);
	edu_copy(_metadata, ctx, 1, IOVA_D, IOVA_B2);
	expect_copied(_metadata, ctx, BUF_D, BUF_B2, 0);

	/* A mapping made now reaches edu 1 and the mock */
	fill(ctx, BUF_E, 7);
	ASSERT_EQ(0, map_buf(ctx, IOVA_E, BUF_E, VFIO_DMA_MAP_FLAG_READ));
	memset(buf_at(ctx, BUF_B2), 0, BUF_SIZE);
	edu_copy(_metadata, ctx, 1, IOVA_E, IOVA_B2);
	expect_copied(_metadata, ctx, BUF_E, BUF_B2, 0);
	ASSERT_EQ(0, mock_dma_read(ctx->mock[0].name, IOVA_E, got,
				   sizeof(got)));
	EXPECT_EQ(0, memcmp(got, buf_at(ctx, BUF_E), sizeof(got)));
	expect_no_fault(_metadata, ctx);

	/* Everything goes; the mock's domain is empty, its DMA faults */
	vfio_unmap_all(ctx->fd);
	EXPECT_EQ(0, mock_domain_xlates_in(dom, 0, 1ULL << 39));
	EXPECT_EQ(-EIO, mock_dma_read(ctx->mock[0].name, IOVA_E, got,
				      sizeof(got)));
	EXPECT_EQ(ctx->mark.vmlck, vmlck_kb());
	expect_pins(ctx->mark.pins);
}

/*
 * One VFIO container, several domains, each new one filled by replay: a
 * mock group of instance 0 comes first (VFIO_SET_IOMMU), then edu 0
 * (a new Intel domain), a mock group of instance 1 (a third domain), and
 * edu 1 (joins edu 0's). What was mapped before each group joined is
 * reached by that group's device right after: by edu DMA for the edu
 * devices, by mock DMA for the mock ones.
 */
TEST_F_TIMEOUT(edu, multi_domain_replay, 300)
{
	struct edu_ctx *ctx = &self->ctx;
	unsigned int d0, d1, i;
	uint8_t got[512];
	struct mdom_state st;

	if (ctx->nedu < 2)
		SKIP(return, "needs two edu devices bound to vfio-pci");
	if (!mock_loaded())
		SKIP(return, "the mock IOMMU (vfio_mdom_mock_iommu) is not loaded");

	/* Mock 0.0 first: the container's IOMMU; A and B mapped */
	attach_mock(_metadata, ctx, 0);
	fill(ctx, BUF_A, 1);
	ASSERT_EQ(0, map_buf(ctx, IOVA_A, BUF_A, VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, map_buf(ctx, IOVA_B, BUF_B, VFIO_DMA_MAP_FLAG_WRITE));

	/* Edu 0: a new Intel domain, A and B replayed into it */
	attach_edu(_metadata, ctx, 0);
	edu_copy(_metadata, ctx, 0, IOVA_A, IOVA_B);
	expect_copied(_metadata, ctx, BUF_A, BUF_B, 0);

	/* C and D, then mock 1.0: a third domain with A to D replayed */
	fill(ctx, BUF_C, 3);
	fill(ctx, BUF_D, 5);
	ASSERT_EQ(0, map_buf(ctx, IOVA_C, BUF_C, VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, map_buf(ctx, IOVA_D, BUF_D, VFIO_RW));
	attach_mock(_metadata, ctx, 1);
	d0 = mock_dev_domain(0, 0);
	d1 = mock_dev_domain(1, 0);
	ASSERT_NE(0, d0);
	ASSERT_NE(0, d1);
	EXPECT_NE(d0, d1);
	ASSERT_EQ(0, mock_dma_read(ctx->mock[1].name, IOVA_A + 100, got,
				   sizeof(got)));
	EXPECT_EQ(0, memcmp(got, buf_at(ctx, BUF_A) + 100, sizeof(got)));
	ASSERT_EQ(0, mock_dma_read(ctx->mock[1].name, IOVA_C + PG - 256, got,
				   sizeof(got)));
	EXPECT_EQ(0, memcmp(got, buf_at(ctx, BUF_C) + PG - 256, sizeof(got)));
	/* B is write-only: the mock may write it, not read it */
	EXPECT_EQ(-EACCES, mock_dma_read(ctx->mock[1].name, IOVA_B, got, 8));
	/* Mock 1 writes into D, edu 0 carries D (with it) to B */
	for (i = 0; i < sizeof(got); i++)
		got[i] = 0x40 | (i & 0x3f);
	ASSERT_EQ(0, mock_dma_write(ctx->mock[1].name,
				    IOVA_D + XFER_OFF + 64, got, sizeof(got)));
	EXPECT_EQ(0, memcmp(buf_at(ctx, BUF_D) + XFER_OFF + 64, got,
			    sizeof(got)));
	memset(buf_at(ctx, BUF_B), 0, BUF_SIZE);
	edu_copy(_metadata, ctx, 0, IOVA_D, IOVA_B);
	expect_copied(_metadata, ctx, BUF_D, BUF_B, 0);
	EXPECT_EQ(0, memcmp(buf_at(ctx, BUF_B) + XFER_OFF + 64, got,
			    sizeof(got)));

	/* E and B2, then edu 1: into edu 0's domain, everything reached */
	fill(ctx, BUF_E, 7);
	ASSERT_EQ(0, map_buf(ctx, IOVA_E, BUF_E, VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, map_buf(ctx, IOVA_B2, BUF_B2, VFIO_DMA_MAP_FLAG_WRITE));
	attach_edu(_metadata, ctx, 1);
	edu_copy(_metadata, ctx, 1, IOVA_E, IOVA_B2);
	expect_copied(_metadata, ctx, BUF_E, BUF_B2, 0);
	memset(buf_at(ctx, BUF_B2), 0, BUF_SIZE);
	edu_copy(_metadata, ctx, 1, IOVA_A, IOVA_B2);
	expect_copied(_metadata, ctx, BUF_A, BUF_B2, 0);
	memset(buf_at(ctx, BUF_B), 0, BUF_SIZE);
	edu_copy(_metadata, ctx, 0, IOVA_C, IOVA_B);
	expect_copied(_metadata, ctx, BUF_C, BUF_B, 0);
	/* And the mocks reach E */
	for (i = 0; i < MAX_MOCK; i++) {
		ASSERT_EQ(0, mock_dma_read(ctx->mock[i].name, IOVA_E, got,
					   sizeof(got)));
		EXPECT_EQ(0, memcmp(got, buf_at(ctx, BUF_E), sizeof(got)));
	}
	expect_no_fault(_metadata, ctx);

	/* 6 mappings, each page pinned and charged once for 3 domains */
	EXPECT_EQ(ctx->mark.vmlck + 12 * (long)PG / 1024, vmlck_kb());
	expect_pins(ctx->mark.pins + 12);
	if (ctx->mdom) {
		mdom_query(ctx->fd, &st);
		EXPECT_EQ(3, st.q.num_domains);
		EXPECT_EQ(4, st.q.num_groups);
		EXPECT_EQ(6, st.q.num_mappings);
		EXPECT_EQ(12, st.q.pinned_pages);
		EXPECT_EQ(12, st.q.locked_pages);
		for (i = 0; i < st.q.num_domains; i++)
			EXPECT_EQ(12 * PG, st.domains[i].mapped_bytes);
		EXPECT_EQ(domain_of(&st, ctx->edu[0].group),
			  domain_of(&st, ctx->edu[1].group));
	}
}

TEST_HARNESS_MAIN
