// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom selftest: IOVA windows (VFIO_MDOM_SET_MODE,
 * VFIO_MDOM_MODE_WINDOWS). In windows mode the valid IOVA space is the
 * union of the domains' windows: a mapping goes into exactly the domains
 * whose aperture holds it, a device reaches only those, a map no domain
 * holds (one straddling two windows) is refused, a replay into a new
 * domain replays what fits it, declared windows limit the maps and refuse
 * the attach that would cut them, and GET_INFO, the query and the event
 * file report it all. type1 semantics stay the default.
 *
 * The mock IOMMU is loaded again for these tests (by the first that needs
 * it; the harness's process loads it back with its defaults when it
 * exits) with two instances that no type1 container can hold together:
 *
 *   inst  aperture                 reserved
 *   0     [0, 4G - 1] (32 bits)    MSI 0xfee00000-0xfeefffff    "low"
 *   1     [4G, 2^39 - 1]           none                         "high"
 *
 * and the Intel domain of an edu device joins them, with its real DMA.
 */
#include <sys/ioctl.h>

#include "mdom_test.h"

#define MOCK_WIN_PARAMS							\
	"nr_instances=2 nr_devices=1,1 pgsizes=0x1000,0x1000 "		\
	"aperture_bits=32,39 aperture_start=0,0x100000000 "		\
	"resv=0xfee00000-0xfeefffff:msi,none enforce_cc=Y,Y "		\
	"isolated_msi=Y,Y dirty_tracking=N,N nr_emulated=1"

#define LOW		0
#define HIGH		1
#define SZ_4G		0x100000000ULL
#define SZ_8G		0x200000000ULL
#define APERTURE_39	((1ULL << 39) - 1)
#define MSI_FIRST	0xfee00000ULL
#define MSI_LAST	0xfeefffffULL

#define BUF_SIZE	(4 * SZ_1M)
#define MAP_SIZE	(256 * SZ_4K)
#define IOVA_LOW	SZ_1M
#define IOVA_HIGH	SZ_8G

/* A test's time: each mock reload takes seconds under TCG */
#define WIN_TIMEOUT	300

/* ---- the mock's configuration --------------------------------------------- */

/* Is the mock loaded with MOCK_WIN_PARAMS? */
static bool mock_is_windows(void)
{
	struct mock_inst inst[MOCK_MAX_INSTS];

	return mock_instances(inst, MOCK_MAX_INSTS) == 2 &&
	       inst[LOW].aperture_start == 0 &&
	       inst[LOW].aperture_end == SZ_4G - 1 &&
	       inst[HIGH].aperture_start == SZ_4G &&
	       inst[HIGH].aperture_end == APERTURE_39;
}

/* The mock as these tests need it: 0 or -errno */
static int mock_windows(void)
{
	return mock_is_windows() ? 0 : mock_reload(MOCK_WIN_PARAMS);
}

/*
 * The harness runs each test in a child that _exit()s: this runs once, in
 * its own process, when every test is done, and gives the tests that come
 * next the mock make check loads.
 */
static void __attribute__((destructor)) mock_restore(void)
{
	int ret;

	if (!mock_loaded() || !mock_is_windows())
		return;
	ret = mock_reload("");
	if (ret)
		ksft_print_msg("cannot load the mock IOMMU back: %s\n",
			       strerror(-ret));
}

/* ---- helpers ---------------------------------------------------------------- */

/* The valid IOVA ranges of GET_INFO's IOVA_RANGE capability; -1: none */
static int info_ranges(struct __test_metadata *_metadata, int container,
		       struct vfio_iova_range *out, int max)
{
	struct vfio_iommu_type1_info_cap_iova_range *cap;
	struct vfio_iommu_type1_info *info;
	uint32_t len, i;
	int n;

	ASSERT_EQ(0, vfio_get_info_all(container, &info, &len));
	cap = (void *)vfio_info_cap(info, len,
				    VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	if (!cap) {
		free(info);
		return -1;
	}
	n = cap->nr_iovas;
	for (i = 0; i < cap->nr_iovas && i < max; i++)
		out[i] = cap->iova_ranges[i];
	free(info);
	return n;
}

static void expect_range(struct __test_metadata *_metadata,
			 const struct vfio_iova_range *r, uint64_t start,
			 uint64_t end)
{
	EXPECT_EQ(start, r->start);
	EXPECT_EQ(end, r->end);
}

static void expect_window(struct __test_metadata *_metadata,
			  const struct vfio_mdom_window *w, uint64_t first,
			  uint64_t last)
{
	EXPECT_EQ(first, w->first);
	EXPECT_EQ(last, w->last);
}

/* The domain id group @group is attached to, from VFIO_MDOM_QUERY */
static long group_domain(struct __test_metadata *_metadata, int container,
			 int group)
{
	struct mdom_state st;

	mdom_query_windows(container, &st);
	return mdom_state_group_domain(&st, group);
}

/* Bytes the container's domain of group @group maps */
static uint64_t domain_bytes(struct __test_metadata *_metadata, int container,
			     int group)
{
	struct vfio_mdom_domain_info *d;
	struct mdom_state st;

	mdom_query_windows(container, &st);
	d = mdom_state_domain(&st, mdom_state_group_domain(&st, group));
	if (!d)
		return ~0ULL;
	return d->mapped_bytes;
}

static uint32_t query_mode(struct __test_metadata *_metadata, int container)
{
	struct mdom_state st;

	mdom_query_windows(container, &st);
	return st.q.mode;
}

static uint32_t query_mappings(struct __test_metadata *_metadata,
			       int container)
{
	struct mdom_state st;

	mdom_query_windows(container, &st);
	return st.q.num_mappings;
}

/* ---- the mock fixture ----------------------------------------------------- */

FIXTURE(windows)
{
	/* low and high, device 0, and the emulated device's group */
	struct mock_pair m;
	int edfd;		/* the emulated device's fd */
	int efd;
	struct leak_mark mark;
};

FIXTURE_SETUP(windows)
{
	int ret;

	mock_pair_init(&self->m);
	self->edfd = -1;
	self->efd = -1;
	if (!mdom_loaded())
		SKIP(return, "vfio_mdom.ko is not loaded");
	if (!mock_loaded())
		SKIP(return, "the mock IOMMU is not loaded");
	ret = mock_windows();
	ASSERT_EQ(0, ret) TH_LOG("reloading the mock: %s", strerror(-ret));
	leak_mark(&self->mark);
	ASSERT_EQ(0, mock_pair_open(&self->m, true, BUF_SIZE));
}

FIXTURE_TEARDOWN(windows)
{
	bool opened = self->m.container >= 0;

	if (self->efd >= 0)
		close(self->efd);
	if (self->edfd >= 0)
		close(self->edfd);
	mock_pair_close(&self->m);
	if (opened)
		expect_no_leak(&self->mark, false);
}

/* Group @i (LOW, HIGH) joins; @first sets the IOMMU, type1 v2 */
static int join(struct _test_data_windows *self, int i, bool first)
{
	return vfio_attach(self->m.container, self->m.gfd[i], first,
			   VFIO_TYPE1v2_IOMMU);
}

/*
 * Device @i writes 64 bytes at @iova: 0 and the bytes land in the buffer
 * at @off, or the mock's -EIO (no translation).
 */
static int dev_write(struct _test_data_windows *self, int i, uint64_t iova,
		     size_t off, uint8_t seed)
{
	uint8_t data[64];
	int ret;

	pattern_fill(data, sizeof(data), seed);
	ret = mock_dma_write(self->m.dev[i].name, iova, data, sizeof(data));
	if (!ret && memcmp(self->m.buf + off, data, sizeof(data)))
		return -EILSEQ;
	return ret;
}

/* Without VFIO_MDOM_SET_MODE: type1's intersection, as before */
TEST_F_TIMEOUT(windows, type1_by_default, WIN_TIMEOUT)
{
	struct vfio_iova_range r[4];

	ASSERT_EQ(0, join(self, LOW, true));
	EXPECT_EQ(VFIO_MDOM_MODE_TYPE1, query_mode(_metadata,
						   self->m.container));
	/* The intersection of [0, 4G) and [4G, 2^39) is empty */
	EXPECT_EQ(-EINVAL, join(self, HIGH, false));
	ASSERT_EQ(2, info_ranges(_metadata, self->m.container, r, 4));
	expect_range(_metadata, &r[0], 0, MSI_FIRST - 1);
	expect_range(_metadata, &r[1], MSI_LAST + 1, SZ_4G - 1);
}

/* Every bad argument: a clear errno, and nothing changes */
TEST_F_TIMEOUT(windows, set_mode_args, WIN_TIMEOUT)
{
	struct vfio_iova_range win[VFIO_MDOM_MAX_WINDOWS + 1];
	struct vfio_iova_range cut = {
		.start = MSI_FIRST - SZ_1M, .end = MSI_FIRST + SZ_64K - 1,
	};
	struct vfio_iova_range rev[2];
	struct vfio_mdom_set_mode cmd;
	struct {
		struct vfio_mdom_set_mode cmd;
		uint64_t extra;
	} big;
	int i;

	ASSERT_EQ(0, join(self, LOW, true));
	for (i = 0; i <= VFIO_MDOM_MAX_WINDOWS; i++) {
		win[i].start = (i + 1) * SZ_1M;
		win[i].end = win[i].start + SZ_64K - 1;
	}

	memset(&cmd, 0, sizeof(cmd));
	cmd.argsz = sizeof(cmd);
	cmd.flags = 1;
	EXPECT_EQ(-1, ioctl(self->m.container, VFIO_MDOM_SET_MODE, &cmd));
	EXPECT_EQ(EINVAL, errno);
	cmd.flags = 0;
	cmd.argsz = offsetof(struct vfio_mdom_set_mode, windows);
	EXPECT_EQ(-1, ioctl(self->m.container, VFIO_MDOM_SET_MODE, &cmd));
	EXPECT_EQ(EINVAL, errno);
	memset(&big, 0, sizeof(big));
	big.cmd.argsz = sizeof(big);
	big.cmd.mode = VFIO_MDOM_MODE_WINDOWS;
	big.extra = 1;
	EXPECT_EQ(-1, ioctl(self->m.container, VFIO_MDOM_SET_MODE, &big));
	EXPECT_EQ(E2BIG, errno);

	mdom_set_mode_err(EINVAL, self->m.container, 2, NULL, 0);
	mdom_set_mode_err(EINVAL, self->m.container, VFIO_MDOM_MODE_TYPE1,
			  win, 1);
	mdom_set_mode_err(EINVAL, self->m.container, VFIO_MDOM_MODE_WINDOWS,
			  win, VFIO_MDOM_MAX_WINDOWS + 1);
	mdom_set_mode_err(EFAULT, self->m.container, VFIO_MDOM_MODE_WINDOWS,
			  (void *)8, 1);
	/* Unaligned, empty, overlapping, unsorted */
	win[0].start = SZ_1M + 1;
	mdom_set_mode_err(EINVAL, self->m.container, VFIO_MDOM_MODE_WINDOWS,
			  win, 1);
	win[0].start = SZ_1M;
	win[0].end = SZ_1M + SZ_64K;
	mdom_set_mode_err(EINVAL, self->m.container, VFIO_MDOM_MODE_WINDOWS,
			  win, 1);
	win[0].end = SZ_1M - 1;
	mdom_set_mode_err(EINVAL, self->m.container, VFIO_MDOM_MODE_WINDOWS,
			  win, 1);
	win[0].end = 3 * SZ_1M;
	mdom_set_mode_err(EINVAL, self->m.container, VFIO_MDOM_MODE_WINDOWS,
			  win, 2);
	win[0].end = SZ_1M + SZ_64K - 1;
	rev[0] = win[1];
	rev[1] = win[0];
	mdom_set_mode_err(EINVAL, self->m.container, VFIO_MDOM_MODE_WINDOWS,
			  rev, 2);
	/* A window the low group's MSI region would cut */
	mdom_set_mode_err(EINVAL, self->m.container, VFIO_MDOM_MODE_WINDOWS,
			  &cut, 1);
	EXPECT_EQ(VFIO_MDOM_MODE_TYPE1, query_mode(_metadata,
						   self->m.container));

	/* Good ones; then a mapping makes the mode stick */
	mdom_set_mode(self->m.container, VFIO_MDOM_MODE_WINDOWS, win,
		      VFIO_MDOM_MAX_WINDOWS);
	EXPECT_EQ(VFIO_MDOM_MODE_WINDOWS, query_mode(_metadata,
						     self->m.container));
	mdom_set_mode(self->m.container, VFIO_MDOM_MODE_WINDOWS, NULL, 0);
	vfio_map(self->m.container, IOVA_LOW, MAP_SIZE, self->m.buf);
	mdom_set_mode_err(EBUSY, self->m.container, VFIO_MDOM_MODE_TYPE1,
			  NULL, 0);
	mdom_set_mode_err(EBUSY, self->m.container, VFIO_MDOM_MODE_WINDOWS,
			  win, 1);
	EXPECT_EQ(VFIO_MDOM_MODE_WINDOWS, query_mode(_metadata,
						     self->m.container));
	vfio_unmap(self->m.container, IOVA_LOW, MAP_SIZE);
	mdom_set_mode(self->m.container, VFIO_MDOM_MODE_TYPE1, NULL, 0);
	EXPECT_EQ(VFIO_MDOM_MODE_TYPE1, query_mode(_metadata,
						   self->m.container));

	/* Back to type1 with disjoint domains: no IOVA in common */
	mdom_set_mode(self->m.container, VFIO_MDOM_MODE_WINDOWS, NULL, 0);
	ASSERT_EQ(0, join(self, HIGH, false));
	mdom_set_mode_err(EINVAL, self->m.container, VFIO_MDOM_MODE_TYPE1,
			  NULL, 0);
	EXPECT_EQ(VFIO_MDOM_MODE_WINDOWS, query_mode(_metadata,
						     self->m.container));
}

/*
 * The union: both mocks in one container, each mapping in the domain that
 * holds it and reached by that domain's device only; what no domain holds
 * whole is refused and changes nothing.
 */
TEST_F_TIMEOUT(windows, union_of_two, WIN_TIMEOUT)
{
	struct vfio_mdom_window w[8];
	struct vfio_iova_range r[4];
	struct mdom_state st;
	long dlow, dhigh;
	unsigned int mlow, mhigh;
	uint8_t *high_buf = self->m.buf + MAP_SIZE;

	ASSERT_EQ(0, join(self, LOW, true));
	mdom_set_mode(self->m.container, VFIO_MDOM_MODE_WINDOWS, NULL, 0);
	ASSERT_EQ(0, join(self, HIGH, false));
	dlow = group_domain(_metadata, self->m.container, self->m.dev[LOW].group);
	dhigh = group_domain(_metadata, self->m.container,
			     self->m.dev[HIGH].group);
	ASSERT_LT(0, dlow);
	ASSERT_LT(0, dhigh);
	ASSERT_NE(dlow, dhigh);

	/* GET_INFO: the union; the query: who covers what */
	ASSERT_EQ(2, info_ranges(_metadata, self->m.container, r, 4));
	expect_range(_metadata, &r[0], 0, MSI_FIRST - 1);
	expect_range(_metadata, &r[1], MSI_LAST + 1, APERTURE_39);
	mdom_query_windows(self->m.container, &st);
	EXPECT_EQ(VFIO_MDOM_MODE_WINDOWS, st.q.mode);
	EXPECT_EQ(3, st.q.num_windows);
	ASSERT_EQ(2, mdom_state_windows(&st, dlow, w, 8));
	expect_window(_metadata, &w[0], 0, MSI_FIRST - 1);
	expect_window(_metadata, &w[1], MSI_LAST + 1, SZ_4G - 1);
	ASSERT_EQ(1, mdom_state_windows(&st, dhigh, w, 8));
	expect_window(_metadata, &w[0], SZ_4G, APERTURE_39);
	EXPECT_EQ(0, mdom_state_windows(&st, 0, w, 8));

	vfio_map(self->m.container, IOVA_LOW, MAP_SIZE, self->m.buf);
	vfio_map(self->m.container, IOVA_HIGH, MAP_SIZE, high_buf);
	/* Straddling the two windows, in the MSI hole, past the apertures */
	vfio_map_err(EINVAL, self->m.container, SZ_4G - SZ_64K, 2 * SZ_64K,
		     self->m.buf + 2 * MAP_SIZE, VFIO_RW);
	vfio_map_err(EINVAL, self->m.container, MSI_FIRST, SZ_64K,
		     self->m.buf + 2 * MAP_SIZE, VFIO_RW);
	vfio_map_err(EINVAL, self->m.container, APERTURE_39 + 1, SZ_64K,
		     self->m.buf + 2 * MAP_SIZE, VFIO_RW);
	EXPECT_EQ(2, query_mappings(_metadata, self->m.container));

	/* Each domain holds its own and nothing of the other */
	mlow = mock_dev_domain(LOW, 0);
	mhigh = mock_dev_domain(HIGH, 0);
	EXPECT_EQ(0, mock_domain_covers(mlow, IOVA_LOW, MAP_SIZE,
					MOCK_PROT_RW | MOCK_PROT_CACHE,
					self->m.buf));
	EXPECT_EQ(0, mock_domain_covers(mhigh, IOVA_HIGH, MAP_SIZE,
					MOCK_PROT_RW | MOCK_PROT_CACHE,
					high_buf));
	EXPECT_EQ(MAP_SIZE / SZ_4K, mock_domain_xlates_in(mlow, 0, SZ_4G));
	EXPECT_EQ(0, mock_domain_xlates_in(mhigh, 0, SZ_4G));
	EXPECT_EQ(MAP_SIZE, domain_bytes(_metadata, self->m.container,
					 self->m.dev[LOW].group));
	EXPECT_EQ(MAP_SIZE, domain_bytes(_metadata, self->m.container,
					 self->m.dev[HIGH].group));

	/* DMA: each device reaches its own mapping, faults on the other */
	EXPECT_EQ(0, dev_write(self, LOW, IOVA_LOW + 128, 128, 1));
	EXPECT_EQ(-EIO, dev_write(self, HIGH, IOVA_LOW + 256, 256, 2));
	EXPECT_EQ(0, dev_write(self, HIGH, IOVA_HIGH + 128, MAP_SIZE + 128,
			       3));
	EXPECT_EQ(-EIO, dev_write(self, LOW, IOVA_HIGH + 256,
				  MAP_SIZE + 256, 4));

	/* Live update of the high one: its translations stay */
	vfio_unmap_err(0, self->m.container, IOVA_HIGH, MAP_SIZE,
		       VFIO_DMA_UNMAP_FLAG_VADDR);
	EXPECT_EQ(0, _vfio_map(self->m.container, IOVA_HIGH, MAP_SIZE,
			       high_buf, VFIO_DMA_MAP_FLAG_VADDR));
	EXPECT_EQ(0, dev_write(self, HIGH, IOVA_HIGH + 512, MAP_SIZE + 512,
			       5));

	/* Unmap: gone from the domain that had it */
	vfio_unmap(self->m.container, IOVA_HIGH, MAP_SIZE);
	EXPECT_EQ(0, mock_domain_xlates_in(mhigh, SZ_4G, SZ_8G + MAP_SIZE));
	EXPECT_EQ(0, domain_bytes(_metadata, self->m.container,
				  self->m.dev[HIGH].group));
	EXPECT_EQ(-EIO, dev_write(self, HIGH, IOVA_HIGH, MAP_SIZE, 6));
	vfio_unmap_all(self->m.container);
	EXPECT_EQ(0, mock_domain_xlates_in(mlow, 0, SZ_4G));
}

/*
 * Mappings made before any domain: each domain attached later gets what
 * fits it; a detach leaves a mapping no domain holds, which an emulated
 * device still reaches, and the next attach replays it.
 */
TEST_F_TIMEOUT(windows, replay_what_fits, WIN_TIMEOUT)
{
	struct vfio_mdom_event ev[EV_MAX];
	uint8_t *high_buf = self->m.buf + MAP_SIZE;
	uint8_t data[64], got[64];
	bool eof;
	int n, i;

	/* Emulated group only: no IOMMU domain yet */
	ASSERT_EQ(0, vfio_attach(self->m.container, self->m.egfd, true,
				 VFIO_TYPE1v2_IOMMU));
	self->edfd = vfio_device_fd(self->m.egfd, MOCK_EMU_NAME "0");
	ASSERT_LE(0, self->edfd);
	mdom_set_mode(self->m.container, VFIO_MDOM_MODE_WINDOWS, NULL, 0);
	vfio_map(self->m.container, IOVA_LOW, MAP_SIZE, self->m.buf);
	vfio_map(self->m.container, IOVA_HIGH, MAP_SIZE, high_buf);
	/* With no domain, a straddling mapping is only recorded, as type1 */
	vfio_map(self->m.container, SZ_4G - SZ_64K, 2 * SZ_64K,
		 self->m.buf + 2 * MAP_SIZE);
	self->efd = events_open(self->m.container, 0, 0);
	ASSERT_LE(0, self->efd);

	ASSERT_EQ(0, join(self, LOW, false));
	EXPECT_EQ(MAP_SIZE, domain_bytes(_metadata, self->m.container,
					 self->m.dev[LOW].group));
	EXPECT_EQ(0, mock_domain_covers(mock_dev_domain(LOW, 0), IOVA_LOW,
					MAP_SIZE,
					MOCK_PROT_RW | MOCK_PROT_CACHE,
					self->m.buf));
	n = events_drain(self->efd, ev, EV_MAX, &eof);
	i = events_find(ev, n, 0, VFIO_MDOM_EVENT_REPLAY);
	ASSERT_LE(0, i);
	EXPECT_EQ(0, ev[i].replay.error);
	EXPECT_EQ(1, ev[i].replay.nr_mappings);
	EXPECT_EQ(MAP_SIZE, ev[i].replay.bytes);

	ASSERT_EQ(0, join(self, HIGH, false));
	EXPECT_EQ(MAP_SIZE, domain_bytes(_metadata, self->m.container,
					 self->m.dev[HIGH].group));
	EXPECT_EQ(0, mock_domain_covers(mock_dev_domain(HIGH, 0), IOVA_HIGH,
					MAP_SIZE,
					MOCK_PROT_RW | MOCK_PROT_CACHE,
					high_buf));
	EXPECT_EQ(0, dev_write(self, HIGH, IOVA_HIGH + 64, MAP_SIZE + 64, 7));
	/* The straddling one is in neither */
	EXPECT_EQ(-EIO, dev_write(self, LOW, SZ_4G - SZ_4K, 0, 8));
	EXPECT_EQ(-EIO, dev_write(self, HIGH, SZ_4G, 0, 8));

	/* The high domain leaves: its mapping stays, in no domain */
	ASSERT_EQ(0, _vfio_unset_container(self->m.gfd[HIGH]));
	EXPECT_EQ(3, query_mappings(_metadata, self->m.container));
	pattern_fill(data, sizeof(data), 9);
	ASSERT_EQ(0, mock_emu_dma(0, IOVA_HIGH + 4096, data, sizeof(data),
				  true));
	EXPECT_EQ(0, memcmp(high_buf + 4096, data, sizeof(data)));
	ASSERT_EQ(0, mock_emu_dma(0, IOVA_LOW + 4096, got, sizeof(got),
				  false));
	EXPECT_EQ(0, memcmp(self->m.buf + 4096, got, sizeof(got)));
	ASSERT_EQ(0, mock_emu_pin(0, IOVA_HIGH, 2, "rw"));
	ASSERT_EQ(0, mock_emu_unpin(0, IOVA_HIGH, 2));

	/* ... and comes back with the next domain that holds it */
	ASSERT_EQ(0, join(self, HIGH, false));
	EXPECT_EQ(MAP_SIZE, domain_bytes(_metadata, self->m.container,
					 self->m.dev[HIGH].group));
	EXPECT_EQ(0, dev_write(self, HIGH, IOVA_HIGH + 64, MAP_SIZE + 64,
			       10));
	vfio_unmap_all(self->m.container);
}

/*
 * Declared windows: maps outside them are refused, the valid space is cut
 * to them, and an attach whose reserved region would cut one fails.
 */
TEST_F_TIMEOUT(windows, declared, WIN_TIMEOUT)
{
	struct vfio_iova_range win[2] = {
		{ .start = SZ_1M, .end = 16 * SZ_1M - 1 },
		{ .start = SZ_8G, .end = SZ_8G + 16 * SZ_1M - 1 },
	};
	struct vfio_iova_range cut = {
		.start = MSI_FIRST - SZ_1M, .end = MSI_LAST + SZ_1M,
	};
	struct vfio_mdom_window w[4];
	struct vfio_iova_range r[4];
	struct mdom_state st;

	ASSERT_EQ(0, join(self, LOW, true));
	mdom_set_mode(self->m.container, VFIO_MDOM_MODE_WINDOWS, win, 2);
	ASSERT_EQ(1, info_ranges(_metadata, self->m.container, r, 4));
	expect_range(_metadata, &r[0], win[0].start, win[0].end);
	mdom_query_windows(self->m.container, &st);
	ASSERT_EQ(2, mdom_state_windows(&st, 0, w, 4));
	expect_window(_metadata, &w[0], win[0].start, win[0].end);
	expect_window(_metadata, &w[1], win[1].start, win[1].end);

	/* In the low domain but outside the windows; beyond the window */
	vfio_map_err(EINVAL, self->m.container, 32 * SZ_1M, MAP_SIZE,
		     self->m.buf, VFIO_RW);
	vfio_map_err(EINVAL, self->m.container, 16 * SZ_1M - SZ_64K, MAP_SIZE,
		     self->m.buf, VFIO_RW);
	vfio_map(self->m.container, IOVA_LOW, MAP_SIZE, self->m.buf);
	/* In a window, but no domain holds it yet */
	vfio_map_err(EINVAL, self->m.container, SZ_8G, MAP_SIZE,
		     self->m.buf + MAP_SIZE, VFIO_RW);
	ASSERT_EQ(0, join(self, HIGH, false));
	ASSERT_EQ(2, info_ranges(_metadata, self->m.container, r, 4));
	expect_range(_metadata, &r[1], win[1].start, win[1].end);
	vfio_map(self->m.container, SZ_8G, MAP_SIZE, self->m.buf + MAP_SIZE);
	EXPECT_EQ(0, dev_write(self, HIGH, SZ_8G, MAP_SIZE, 11));
	vfio_unmap_all(self->m.container);

	/*
	 * The low group leaves; a window over its MSI region is declared;
	 * the low group cannot come back: it would cut it.
	 */
	ASSERT_EQ(0, _vfio_unset_container(self->m.gfd[LOW]));
	mdom_set_mode(self->m.container, VFIO_MDOM_MODE_WINDOWS, &cut, 1);
	EXPECT_EQ(-EINVAL, join(self, LOW, false));
	mdom_query_windows(self->m.container, &st);
	EXPECT_EQ(1, st.q.num_groups);
	EXPECT_EQ(1, st.q.num_domains);
	/* Without the window it can */
	mdom_set_mode(self->m.container, VFIO_MDOM_MODE_WINDOWS, NULL, 0);
	ASSERT_EQ(0, join(self, LOW, false));
}

/* IOVA_RANGES records as the union grows and shrinks, and on a mode change */
TEST_F_TIMEOUT(windows, events, WIN_TIMEOUT)
{
	struct vfio_iova_range win = { .start = SZ_1M, .end = 2 * SZ_1M - 1 };
	struct vfio_mdom_event ev[EV_MAX];
	bool eof;
	int n, i;

	ASSERT_EQ(0, join(self, LOW, true));
	self->efd = events_open(self->m.container, 0, 0);
	ASSERT_LE(0, self->efd);

	/* The low domain alone: the same ranges either way */
	mdom_set_mode(self->m.container, VFIO_MDOM_MODE_WINDOWS, NULL, 0);
	EXPECT_EQ(0, events_drain(self->efd, ev, EV_MAX, &eof));

	ASSERT_EQ(0, join(self, HIGH, false));
	n = events_drain(self->efd, ev, EV_MAX, &eof);
	i = events_find(ev, n, 0, VFIO_MDOM_EVENT_IOVA_RANGES);
	ASSERT_LE(0, i);
	EXPECT_EQ(2, ev[i].ranges.nr_before);
	EXPECT_EQ(2, ev[i].ranges.nr_after);
	EXPECT_EQ(0, ev[i].ranges.first);
	EXPECT_EQ(APERTURE_39, ev[i].ranges.last);

	ASSERT_EQ(0, _vfio_unset_container(self->m.gfd[HIGH]));
	n = events_drain(self->efd, ev, EV_MAX, &eof);
	i = events_find(ev, n, 0, VFIO_MDOM_EVENT_IOVA_RANGES);
	ASSERT_LE(0, i);
	EXPECT_EQ(SZ_4G - 1, ev[i].ranges.last);

	mdom_set_mode(self->m.container, VFIO_MDOM_MODE_WINDOWS, &win, 1);
	n = events_drain(self->efd, ev, EV_MAX, &eof);
	i = events_find(ev, n, 0, VFIO_MDOM_EVENT_IOVA_RANGES);
	ASSERT_LE(0, i);
	EXPECT_EQ(1, ev[i].ranges.nr_after);
	EXPECT_EQ(win.start, ev[i].ranges.first);
	EXPECT_EQ(win.end, ev[i].ranges.last);
}

/* Dirty tracking over mappings in different domains */
TEST_F_TIMEOUT(windows, dirty, WIN_TIMEOUT)
{
	uint64_t bitmap[MAP_SIZE / SZ_4K / 64];
	unsigned int i;

	ASSERT_EQ(0, join(self, LOW, true));
	mdom_set_mode(self->m.container, VFIO_MDOM_MODE_WINDOWS, NULL, 0);
	ASSERT_EQ(0, join(self, HIGH, false));
	vfio_map(self->m.container, IOVA_LOW, MAP_SIZE, self->m.buf);
	vfio_map(self->m.container, IOVA_HIGH, MAP_SIZE, self->m.buf + MAP_SIZE);
	vfio_dirty_start(self->m.container);
	EXPECT_EQ(0, dev_write(self, HIGH, IOVA_HIGH, MAP_SIZE, 12));
	/* No IOMMU here tracks: every pinned page is dirty, as type1 */
	memset(bitmap, 0, sizeof(bitmap));
	ASSERT_EQ(0, _vfio_dirty_get(self->m.container, IOVA_HIGH, MAP_SIZE,
				     SZ_4K, bitmap, sizeof(bitmap)));
	for (i = 0; i < ARRAY_SIZE(bitmap); i++)
		EXPECT_EQ(~0ULL, bitmap[i]);
	memset(bitmap, 0, sizeof(bitmap));
	ASSERT_EQ(0, _vfio_unmap_dirty(self->m.container, IOVA_LOW, MAP_SIZE,
				       SZ_4K, bitmap, sizeof(bitmap), NULL));
	for (i = 0; i < ARRAY_SIZE(bitmap); i++)
		EXPECT_EQ(~0ULL, bitmap[i]);
	vfio_dirty_stop(self->m.container);
	vfio_unmap_all(self->m.container);
}

/* ---- the Intel domain, with the edu device's DMA ------------------------- */

#define EDU_IOVA	SZ_1M
#define EDU_OFF		0x100
#define EDU_LEN		512

FIXTURE(intel)
{
	struct edu_dev edu;
	int edu_gfd;
	struct mock_pair m;	/* low and high, device 0 */
	struct leak_mark mark;
};

FIXTURE_SETUP(intel)
{
	int ret;

	self->edu.device_fd = -1;
	self->edu_gfd = -1;
	mock_pair_init(&self->m);
	if (edu_find(0, &self->edu))
		SKIP(return, "no edu device bound to vfio-pci");
	if (!mdom_loaded())
		SKIP(return, "vfio_mdom.ko is not loaded");
	if (!mock_loaded())
		SKIP(return, "the mock IOMMU is not loaded");
	ret = mock_windows();
	ASSERT_EQ(0, ret) TH_LOG("reloading the mock: %s", strerror(-ret));
	leak_mark(&self->mark);
	self->edu_gfd = vfio_open_group(self->edu.group);
	ASSERT_LE(0, self->edu_gfd);
	ASSERT_EQ(0, mock_pair_open(&self->m, false, BUF_SIZE));
}

FIXTURE_TEARDOWN(intel)
{
	bool opened = self->m.container >= 0;

	edu_close(&self->edu);
	mock_pair_close(&self->m);
	if (self->edu_gfd >= 0)
		close(self->edu_gfd);
	if (opened)
		expect_no_leak(&self->mark, false);
}

/* The edu copies EDU_LEN bytes from @src to @dst (IOVAs, + EDU_OFF) */
static void edu_copy(struct __test_metadata *_metadata,
		     struct _test_data_intel *self, uint64_t src, uint64_t dst)
{
	ASSERT_EQ(0, edu_read_ram(&self->edu, src + EDU_OFF, 0, EDU_LEN));
	ASSERT_EQ(0, edu_write_ram(&self->edu, 0, dst + EDU_OFF, EDU_LEN));
}

/*
 * type1 semantics: the Intel domain and the high-only mock leave only the
 * high IOVAs, which the edu cannot reach (28-bit DMA): no low mapping.
 */
TEST_F_TIMEOUT(intel, type1_intersection, WIN_TIMEOUT)
{
	ASSERT_EQ(0, vfio_attach(self->m.container, self->edu_gfd, true,
				 VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(0, vfio_attach(self->m.container, self->m.gfd[HIGH], false, 0));
	vfio_map_err(EINVAL, self->m.container, EDU_IOVA, MAP_SIZE, self->m.buf,
		     VFIO_RW);
}

/*
 * Windows: the Intel domain, the 32-bit and the high-only mock in one
 * container. A low mapping is in the Intel and the low domain, a high one
 * in the Intel and the high domain: the edu DMAs through the low one, each
 * mock device reaches its own and faults on the other, the Intel page
 * table has both.
 */
TEST_F_TIMEOUT(intel, union_with_mocks, WIN_TIMEOUT)
{
	uint8_t *src = self->m.buf, *dst = self->m.buf + MAP_SIZE;
	uint8_t *high_buf = self->m.buf + 2 * MAP_SIZE;
	struct vfio_mdom_domain_info *d;
	struct intel_pte pte;
	struct mdom_state st;
	uint8_t data[64];
	long dintel;

	ASSERT_EQ(0, vfio_attach(self->m.container, self->edu_gfd, true,
				 VFIO_TYPE1v2_IOMMU));
	mdom_set_mode(self->m.container, VFIO_MDOM_MODE_WINDOWS, NULL, 0);
	ASSERT_EQ(0, vfio_attach(self->m.container, self->m.gfd[HIGH], false, 0));
	ASSERT_EQ(0, vfio_attach(self->m.container, self->m.gfd[LOW], false, 0));
	ASSERT_EQ(0, edu_open(&self->edu, self->edu_gfd));
	ASSERT_EQ(0, edu_bus_master(&self->edu, true));

	/* Two pages of source and destination, in the edu's reach */
	vfio_map(self->m.container, EDU_IOVA, MAP_SIZE, src);
	vfio_map(self->m.container, EDU_IOVA + MAP_SIZE, MAP_SIZE, dst);
	vfio_map(self->m.container, IOVA_HIGH, MAP_SIZE, high_buf);

	mdom_query_windows(self->m.container, &st);
	EXPECT_EQ(3, st.q.num_domains);
	dintel = mdom_state_group_domain(&st, self->edu.group);
	d = mdom_state_domain(&st, dintel);
	ASSERT_NE(NULL, d);
	EXPECT_EQ(3 * MAP_SIZE, d->mapped_bytes);
	d = mdom_state_domain(&st, mdom_state_group_domain(&st,
							   self->m.dev[LOW].group));
	ASSERT_NE(NULL, d);
	EXPECT_EQ(2 * MAP_SIZE, d->mapped_bytes);
	d = mdom_state_domain(&st, mdom_state_group_domain(&st,
							   self->m.dev[HIGH].group));
	ASSERT_NE(NULL, d);
	EXPECT_EQ(MAP_SIZE, d->mapped_bytes);

	/* The edu's real DMA through the Intel domain */
	pattern_fill(src, MAP_SIZE, 21);
	edu_copy(_metadata, self, EDU_IOVA, EDU_IOVA + MAP_SIZE);
	EXPECT_EQ(0, memcmp(dst + EDU_OFF, src + EDU_OFF, EDU_LEN));

	/* The mock devices, each through its own */
	pattern_fill(data, sizeof(data), 22);
	EXPECT_EQ(0, mock_dma_write(self->m.dev[LOW].name, EDU_IOVA, data,
				    sizeof(data)));
	EXPECT_EQ(0, memcmp(src, data, sizeof(data)));
	EXPECT_EQ(-EIO, mock_dma_write(self->m.dev[HIGH].name, EDU_IOVA, data,
				       sizeof(data)));
	EXPECT_EQ(0, mock_dma_write(self->m.dev[HIGH].name, IOVA_HIGH, data,
				    sizeof(data)));
	EXPECT_EQ(0, memcmp(high_buf, data, sizeof(data)));
	EXPECT_EQ(-EIO, mock_dma_write(self->m.dev[LOW].name, IOVA_HIGH, data,
				       sizeof(data)));

	/* The Intel page table holds the high mapping too */
	if (intel_pt_available(self->edu.bdf)) {
		EXPECT_EQ(0, intel_translation(self->edu.bdf, IOVA_HIGH,
					       &pte));
		EXPECT_EQ(0, intel_translation(self->edu.bdf, EDU_IOVA,
					       &pte));
	}

	/* Unmapped: gone from the Intel and the low domain */
	vfio_unmap(self->m.container, EDU_IOVA, MAP_SIZE);
	EXPECT_EQ(-EIO, mock_dma_write(self->m.dev[LOW].name, EDU_IOVA,
				       src, 64));
	if (intel_pt_available(self->edu.bdf))
		EXPECT_EQ(-ENOENT, intel_translation(self->edu.bdf, EDU_IOVA,
						     &pte));
	vfio_unmap_all(self->m.container);
}

TEST_HARNESS_MAIN
