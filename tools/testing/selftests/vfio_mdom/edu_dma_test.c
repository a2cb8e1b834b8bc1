// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom selftest: real DMA through a container, end to end.
 *
 * QEMU's edu device sits behind the emulated Intel IOMMU; its DMA engine
 * copies between RAM (at an IOVA, translated by the domain its group is
 * attached to) and a 4 KiB buffer of its own. With the edu group attached
 * to a /dev/vfio-mdom container, the device copies buffer A (mapped
 * readable) into its buffer and out to buffer B (mapped writable), and B
 * must then hold A byte for byte. Unmapping must stop the device: a read of
 * an unmapped IOVA moves none of its data and a write to one does not land,
 * each with a DMAR fault in the kernel log for that IOVA (the IOTLB was
 * flushed); a read-only mapping is not writable by the device.
 *
 * With both edu devices (one Intel IOMMU: one shared domain) and a mock
 * IOMMU device (a second domain) in one container, every device reaches
 * every mapping, including one made after the mock's domain appeared, and
 * detaching one edu device leaves the other's DMA working.
 *
 * Every test ends with the process's VmLck back where it started and the
 * mock IOMMU's error counters and live gauges unchanged.
 *
 * Needs edu devices bound to vfio-pci and vfio_mdom.ko (and, for the
 * multi-domain test, vfio_mdom_mock_iommu.ko) loaded: make check does it.
 */
#include <inttypes.h>

#include "vfio_mdom_utils.h"
#include "edu_utils.h"

#define PG		4096ULL
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

FIXTURE(edu)
{
	int fd;				/* the container */
	unsigned int nedu;
	struct edu_dev edu[2];
	int gfd[2];			/* their VFIO groups */
	int mock_gfd;
	char mock_name[64];
	int kmsg;
	uint8_t *buf;
	long vmlck_start;
	struct mock_snapshot mock_start;
};

static uint8_t *buf_at(FIXTURE_DATA(edu) *self, unsigned int page)
{
	return self->buf + page * PG;
}

/* The byte at offset @i of the pattern of seed @seed (1 to 7) */
static uint8_t pattern(size_t i, uint8_t seed)
{
	return (uint8_t)(((i % 31) << 3) | (seed & 7));
}

/*
 * Fill buffer @page with the pattern of @seed: never 0, and never equal to
 * another seed's byte at the same offset, so a byte tells which buffer it
 * came from.
 */
static void fill(FIXTURE_DATA(edu) *self, unsigned int page, uint8_t seed)
{
	uint8_t *p = buf_at(self, page);
	size_t i;

	for (i = 0; i < BUF_SIZE; i++)
		p[i] = pattern(i, seed);
}

FIXTURE_SETUP(edu)
{
	unsigned int i;
	int ret;

	self->fd = -1;
	self->kmsg = -1;
	self->mock_gfd = -1;
	self->buf = MAP_FAILED;
	for (i = 0; i < 2; i++) {
		self->gfd[i] = -1;
		self->edu[i].cfg_fd = -1;
		self->edu[i].bar = NULL;
	}

	for (i = 0; i < 2; i++) {
		ret = edu_find(i, &self->edu[i]);
		if (ret)
			break;
	}
	self->nedu = i;
	if (!self->nedu)
		SKIP(return, "no edu device bound to vfio-pci");
	if (access(MDOM_DEV, F_OK))
		SKIP(return, "vfio_mdom.ko is not loaded");

	self->vmlck_start = vmlck_kb();
	ASSERT_LE(0, self->vmlck_start);
	mock_snapshot(&self->mock_start);

	for (i = 0; i < self->nedu; i++) {
		ASSERT_EQ(0, edu_open(&self->edu[i])) {
			TH_LOG("edu %s: cannot reach BAR0 or config space",
			       self->edu[i].bdf);
		}
		self->gfd[i] = mdom_open_group(self->edu[i].group);
		ASSERT_LE(0, self->gfd[i]) {
			TH_LOG("open /dev/vfio/%d: %s", self->edu[i].group,
			       strerror(errno));
		}
	}
	self->fd = open(MDOM_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, _mdom_set_iommu(self->fd, VFIO_TYPE1v2_IOMMU));

	self->buf = mmap(NULL, BUF_PAGES * PG, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	memset(self->buf, 0, BUF_PAGES * PG);

	self->kmsg = kmsg_open();
	ASSERT_LE(0, self->kmsg);
}

FIXTURE_TEARDOWN(edu)
{
	struct mock_snapshot now;
	unsigned int i;

	/* No DMA once the container lets go of the groups. */
	for (i = 0; i < 2; i++)
		edu_close(&self->edu[i]);
	if (self->fd >= 0)
		close(self->fd);
	for (i = 0; i < 2; i++)
		if (self->gfd[i] >= 0)
			close(self->gfd[i]);
	if (self->mock_gfd >= 0)
		close(self->mock_gfd);
	if (self->kmsg >= 0)
		close(self->kmsg);
	if (self->buf != MAP_FAILED)
		munmap(self->buf, BUF_PAGES * PG);
	if (!self->nedu)
		return;

	/* Closing the container returned every page and every charge. */
	EXPECT_EQ(self->vmlck_start, vmlck_kb());
	mock_snapshot(&now);
	for (i = 0; i < MOCK_NR_ERRORS; i++) {
		EXPECT_EQ(self->mock_start.errors[i], now.errors[i]) {
			TH_LOG("mock counter %s moved", mock_error_counters[i]);
		}
	}
	EXPECT_EQ(self->mock_start.domains_live, now.domains_live);
	EXPECT_EQ(self->mock_start.translations_live, now.translations_live);
}

static int map_buf(FIXTURE_DATA(edu) *self, uint64_t iova, unsigned int page,
		   uint32_t flags)
{
	return _mdom_map(self->fd, iova, BUF_SIZE, buf_at(self, page), flags);
}

/* Attach edu device @i and turn its bus mastering on. */
static void attach_edu(struct __test_metadata *_metadata,
		       FIXTURE_DATA(edu) *self, unsigned int i,
		       uint32_t *domain_id, uint32_t *out_flags)
{
	mdom_attach(self->fd, self->gfd[i], domain_id, out_flags);
	ASSERT_EQ(0, edu_bus_master(&self->edu[i], true));
}

/*
 * Edu device @i copies XFER_LEN bytes from @src_iova + XFER_OFF into its
 * buffer, then out to @dst_iova + XFER_OFF.
 */
static void edu_copy(struct __test_metadata *_metadata, FIXTURE_DATA(edu) *self,
		     unsigned int i, uint64_t src_iova, uint64_t dst_iova)
{
	ASSERT_EQ(0, edu_read_ram(&self->edu[i], src_iova + XFER_OFF, 0,
				  XFER_LEN));
	ASSERT_EQ(0, edu_write_ram(&self->edu[i], 0, dst_iova + XFER_OFF,
				   XFER_LEN));
}

/* Buffer @dst holds @src's transferred bytes, and nothing else moved. */
static void expect_copied(struct __test_metadata *_metadata,
			  FIXTURE_DATA(edu) *self, unsigned int src,
			  unsigned int dst, uint8_t outside)
{
	uint8_t *s = buf_at(self, src), *d = buf_at(self, dst);
	size_t i;

	EXPECT_EQ(0, memcmp(d + XFER_OFF, s + XFER_OFF, XFER_LEN));
	for (i = 0; i < XFER_OFF; i++)
		ASSERT_EQ(outside, d[i]);
	for (i = XFER_OFF + XFER_LEN; i < BUF_SIZE; i++)
		ASSERT_EQ(outside, d[i]);
}

/* No IOMMU fault was logged for edu device @i since the kmsg mark. */
static void expect_no_fault(struct __test_metadata *_metadata,
			    FIXTURE_DATA(edu) *self, unsigned int i)
{
	const char *needles[2] = { "DMAR", "fault addr" };
	char line[512];

	EXPECT_EQ(-ETIMEDOUT, kmsg_wait(self->kmsg, needles, 2, 100, line,
					sizeof(line))) {
		TH_LOG("unexpected: %s", line);
	}
}

/* The IOMMU fault for edu device @i at @iova is in the kernel log. */
static void expect_fault(struct __test_metadata *_metadata,
			 FIXTURE_DATA(edu) *self, unsigned int i,
			 uint64_t iova, bool dev_reads)
{
	char line[512] = "";

	ASSERT_EQ(0, kmsg_wait_dmar_fault(self->kmsg, &self->edu[i], iova,
					  line, sizeof(line))) {
		TH_LOG("no DMAR fault logged for %s at 0x%llx",
		       self->edu[i].bdf, (unsigned long long)iova);
	}
	EXPECT_NE(NULL, strstr(line, dev_reads ? "DMA Read" : "DMA Write")) {
		TH_LOG("%s", line);
	}
}

/* The device copies A (readable) to B (writable): B == A byte for byte. */
TEST_F_TIMEOUT(edu, copy_a_to_b, 180)
{
	struct mdom_state st;
	uint32_t dom, flags;

	attach_edu(_metadata, self, 0, &dom, &flags);
	EXPECT_EQ(VFIO_MDOM_ATTACH_NEW_DOMAIN, flags);
	mdom_query(self->fd, &st);
	ASSERT_EQ(1, st.q.num_domains);
	EXPECT_STREQ("intel_iommu", st.domains[0].driver);
	EXPECT_EQ(dom, st.domains[0].id);

	fill(self, BUF_A, 1);
	ASSERT_EQ(0, map_buf(self, IOVA_A, BUF_A, VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, map_buf(self, IOVA_B, BUF_B, VFIO_DMA_MAP_FLAG_WRITE));
	EXPECT_EQ(self->vmlck_start + 4 * (long)PG / 1024, vmlck_kb());

	edu_copy(_metadata, self, 0, IOVA_A, IOVA_B);
	expect_copied(_metadata, self, BUF_A, BUF_B, 0);
	expect_no_fault(_metadata, self, 0);

	/* Written after the map: the device sees the user's memory itself. */
	fill(self, BUF_A, 2);
	edu_copy(_metadata, self, 0, IOVA_A, IOVA_B);
	expect_copied(_metadata, self, BUF_A, BUF_B, 0);

	mdom_unmap(self->fd, IOVA_A, BUF_SIZE);
	mdom_unmap(self->fd, IOVA_B, BUF_SIZE);
	EXPECT_EQ(self->vmlck_start, vmlck_kb());
}

/*
 * After A is unmapped the device's read of A faults: none of A's bytes
 * reach the device's buffer, which held C's before.
 */
TEST_F_TIMEOUT(edu, unmapped_source_faults, 180)
{
	uint8_t *a = buf_at(self, BUF_A), *b, *c = buf_at(self, BUF_C);
	unsigned int from_a = 0;
	size_t i;

	attach_edu(_metadata, self, 0, NULL, NULL);
	fill(self, BUF_A, 1);
	fill(self, BUF_C, 3);
	ASSERT_EQ(0, map_buf(self, IOVA_A, BUF_A, VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, map_buf(self, IOVA_C, BUF_C, VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, map_buf(self, IOVA_B, BUF_B, VFIO_DMA_MAP_FLAG_WRITE));

	/* Mapped, A goes through: the transfer itself works. */
	edu_copy(_metadata, self, 0, IOVA_A, IOVA_B);
	expect_copied(_metadata, self, BUF_A, BUF_B, 0);

	/* The device's buffer now holds C. */
	ASSERT_EQ(0, edu_read_ram(&self->edu[0], IOVA_C + XFER_OFF, 0,
				  XFER_LEN));
	mdom_unmap(self->fd, IOVA_A, BUF_SIZE);
	ASSERT_EQ(0, kmsg_expect_dmar_fault(&self->edu[0], IOVA_A + XFER_OFF));
	ASSERT_EQ(0, edu_read_ram(&self->edu[0], IOVA_A + XFER_OFF, 0,
				  XFER_LEN));
	expect_fault(_metadata, self, 0, IOVA_A + XFER_OFF, true);

	memset(buf_at(self, BUF_B), 0, BUF_SIZE);
	ASSERT_EQ(0, edu_write_ram(&self->edu[0], 0, IOVA_B + XFER_OFF,
				   XFER_LEN));
	/*
	 * Each byte is C's (the read never happened) or 0 (QEMU fills a
	 * faulting read with zeros); A's never differ from both.
	 */
	b = buf_at(self, BUF_B) + XFER_OFF;
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
	uint8_t *b = buf_at(self, BUF_B);
	size_t i;

	attach_edu(_metadata, self, 0, NULL, NULL);
	fill(self, BUF_A, 1);
	ASSERT_EQ(0, map_buf(self, IOVA_A, BUF_A, VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, map_buf(self, IOVA_B, BUF_B, VFIO_DMA_MAP_FLAG_WRITE));
	edu_copy(_metadata, self, 0, IOVA_A, IOVA_B);
	expect_copied(_metadata, self, BUF_A, BUF_B, 0);

	mdom_unmap(self->fd, IOVA_B, BUF_SIZE);
	memset(b, 0x5a, BUF_SIZE);
	ASSERT_EQ(0, kmsg_expect_dmar_fault(&self->edu[0], IOVA_B + XFER_OFF));
	ASSERT_EQ(0, edu_write_ram(&self->edu[0], 0, IOVA_B + XFER_OFF,
				   XFER_LEN));
	expect_fault(_metadata, self, 0, IOVA_B + XFER_OFF, false);
	for (i = 0; i < BUF_SIZE; i++)
		ASSERT_EQ(0x5a, b[i]) TH_LOG("byte %zu of B changed", i);

	/* Mapped again, the same transfer (still in the device) lands */
	memset(b, 0, BUF_SIZE);
	ASSERT_EQ(0, map_buf(self, IOVA_B, BUF_B, VFIO_DMA_MAP_FLAG_WRITE));
	ASSERT_EQ(0, edu_write_ram(&self->edu[0], 0, IOVA_B + XFER_OFF,
				   XFER_LEN));
	expect_copied(_metadata, self, BUF_A, BUF_B, 0);
}

/*
 * A read-only mapping is never writable by the device, and readable. The
 * write comes first: QEMU's VT-d reports a permission fault only when it
 * walks the page table, not when the translation is in its IOTLB already.
 */
TEST_F_TIMEOUT(edu, read_only_mapping, 180)
{
	uint8_t *r = buf_at(self, BUF_R);
	size_t i;

	attach_edu(_metadata, self, 0, NULL, NULL);
	fill(self, BUF_A, 1);
	fill(self, BUF_R, 4);
	ASSERT_EQ(0, map_buf(self, IOVA_A, BUF_A, VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, map_buf(self, IOVA_R, BUF_R, VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, map_buf(self, IOVA_B, BUF_B, VFIO_DMA_MAP_FLAG_WRITE));

	/* Not writable: A -> device -> R lands nowhere */
	ASSERT_EQ(0, edu_read_ram(&self->edu[0], IOVA_A + XFER_OFF, 0,
				  XFER_LEN));
	ASSERT_EQ(0, kmsg_expect_dmar_fault(&self->edu[0], IOVA_R + XFER_OFF));
	ASSERT_EQ(0, edu_write_ram(&self->edu[0], 0, IOVA_R + XFER_OFF,
				   XFER_LEN));
	for (i = 0; i < BUF_SIZE; i++) {
		ASSERT_EQ(pattern(i, 4), r[i]) {
			TH_LOG("byte %zu of the read-only buffer changed", i);
		}
	}
	expect_fault(_metadata, self, 0, IOVA_R + XFER_OFF, false);

	/* Readable: R -> device -> B */
	edu_copy(_metadata, self, 0, IOVA_R, IOVA_B);
	expect_copied(_metadata, self, BUF_R, BUF_B, 0);
	expect_no_fault(_metadata, self, 0);
}

/*
 * Both edu devices (one Intel IOMMU: one shared domain) and a mock device
 * (a second domain) in one container: each reaches every mapping, made
 * before or after the mock's domain; detaching one edu device leaves the
 * other's DMA and the mock's working.
 */
TEST_F_TIMEOUT(edu, two_edus_and_mock, 180)
{
	uint32_t dom0, dom1, dmock, flags;
	uint8_t got[256], want[256];
	struct mdom_state st;
	int mock_group;
	size_t i;

	if (self->nedu < 2)
		SKIP(return, "needs two edu devices bound to vfio-pci");
	if (mock_device(0, 0, self->mock_name, &mock_group, NULL))
		SKIP(return, "the mock IOMMU (vfio_mdom_mock_iommu) is not loaded");
	self->mock_gfd = mdom_open_group(mock_group);
	ASSERT_LE(0, self->mock_gfd);

	attach_edu(_metadata, self, 0, &dom0, &flags);
	EXPECT_EQ(VFIO_MDOM_ATTACH_NEW_DOMAIN, flags);
	attach_edu(_metadata, self, 1, &dom1, &flags);
	EXPECT_EQ(0, flags);
	EXPECT_EQ(dom0, dom1);

	fill(self, BUF_A, 1);
	ASSERT_EQ(0, map_buf(self, IOVA_A, BUF_A, MDOM_RW));
	ASSERT_EQ(0, map_buf(self, IOVA_B, BUF_B, VFIO_DMA_MAP_FLAG_WRITE));
	ASSERT_EQ(0, map_buf(self, IOVA_B2, BUF_B2, VFIO_DMA_MAP_FLAG_WRITE));

	/* The mock's domain is new and gets every mapping replayed */
	mdom_attach(self->fd, self->mock_gfd, &dmock, &flags);
	EXPECT_EQ(VFIO_MDOM_ATTACH_NEW_DOMAIN, flags);
	EXPECT_NE(dom0, dmock);
	mdom_query(self->fd, &st);
	ASSERT_EQ(2, st.q.num_domains);
	EXPECT_EQ(3, st.q.num_groups);
	ASSERT_NE(NULL, mdom_state_domain(&st, dom0));
	EXPECT_EQ(2, mdom_state_domain(&st, dom0)->num_groups);
	EXPECT_STREQ("intel_iommu", mdom_state_domain(&st, dom0)->driver);
	ASSERT_NE(NULL, mdom_state_domain(&st, dmock));
	EXPECT_EQ(1, mdom_state_domain(&st, dmock)->num_groups);
	EXPECT_STREQ("mock_iommu", mdom_state_domain(&st, dmock)->driver);
	EXPECT_EQ(0, mock_domain_covers(mock_dev_domain(0, 0), IOVA_A,
					BUF_SIZE, 3));
	EXPECT_EQ(0, mock_domain_covers(mock_dev_domain(0, 0), IOVA_B2,
					BUF_SIZE, 2));

	/* Mapped after the mock's domain appeared: visible to all three */
	fill(self, BUF_D, 5);
	ASSERT_EQ(0, map_buf(self, IOVA_D, BUF_D, VFIO_DMA_MAP_FLAG_READ));
	EXPECT_EQ(0, mock_domain_covers(mock_dev_domain(0, 0), IOVA_D,
					BUF_SIZE, 1));

	edu_copy(_metadata, self, 0, IOVA_A, IOVA_B);
	expect_copied(_metadata, self, BUF_A, BUF_B, 0);
	edu_copy(_metadata, self, 1, IOVA_D, IOVA_B2);
	expect_copied(_metadata, self, BUF_D, BUF_B2, 0);
	memset(buf_at(self, BUF_B), 0, BUF_SIZE);
	edu_copy(_metadata, self, 0, IOVA_D, IOVA_B);
	expect_copied(_metadata, self, BUF_D, BUF_B, 0);

	ASSERT_EQ(0, mock_dma(self->mock_name, IOVA_D + PG - 100, got,
			      sizeof(got), false));
	EXPECT_EQ(0, memcmp(got, buf_at(self, BUF_D) + PG - 100, sizeof(got)));
	/* The mock writes A, edu 1 carries it to B2 */
	for (i = 0; i < sizeof(want); i++)
		want[i] = 0x80 | i;
	ASSERT_EQ(0, mock_dma(self->mock_name, IOVA_A + XFER_OFF, want,
			      sizeof(want), true));
	EXPECT_EQ(0, memcmp(buf_at(self, BUF_A) + XFER_OFF, want,
			    sizeof(want)));
	memset(buf_at(self, BUF_B2), 0, BUF_SIZE);
	edu_copy(_metadata, self, 1, IOVA_A, IOVA_B2);
	expect_copied(_metadata, self, BUF_A, BUF_B2, 0);
	expect_no_fault(_metadata, self, 0);

	/* Edu 0 goes; its domain stays for edu 1 */
	ASSERT_EQ(0, edu_bus_master(&self->edu[0], false));
	mdom_detach(self->fd, self->gfd[0]);
	mdom_query(self->fd, &st);
	ASSERT_EQ(2, st.q.num_domains);
	EXPECT_EQ(2, st.q.num_groups);
	ASSERT_NE(NULL, mdom_state_domain(&st, dom0));
	EXPECT_EQ(1, mdom_state_domain(&st, dom0)->num_groups);

	fill(self, BUF_D, 6);
	memset(buf_at(self, BUF_B2), 0, BUF_SIZE);
	edu_copy(_metadata, self, 1, IOVA_D, IOVA_B2);
	expect_copied(_metadata, self, BUF_D, BUF_B2, 0);

	/* A mapping made now reaches edu 1 and the mock */
	fill(self, BUF_E, 7);
	ASSERT_EQ(0, map_buf(self, IOVA_E, BUF_E, VFIO_DMA_MAP_FLAG_READ));
	memset(buf_at(self, BUF_B2), 0, BUF_SIZE);
	edu_copy(_metadata, self, 1, IOVA_E, IOVA_B2);
	expect_copied(_metadata, self, BUF_E, BUF_B2, 0);
	ASSERT_EQ(0, mock_dma(self->mock_name, IOVA_E, got, sizeof(got),
			      false));
	EXPECT_EQ(0, memcmp(got, buf_at(self, BUF_E), sizeof(got)));
	expect_no_fault(_metadata, self, 1);

	/* Everything goes; the mock's domain is empty, DMA faults */
	mdom_unmap_all(self->fd);
	EXPECT_TRUE(mock_domain_empty_in(mock_dev_domain(0, 0), 0, 1ULL << 39));
	EXPECT_EQ(-EIO, mock_dma(self->mock_name, IOVA_E, got, sizeof(got),
				false));
	EXPECT_EQ(self->vmlck_start, vmlck_kb());
}

TEST_HARNESS_MAIN
