// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom selftest: every memory allocation of every operation fails in
 * turn, in the spirit of tools/testing/selftests/iommu/iommufd_fail_nth.c
 * (written anew).
 *
 * The kernel's fail-nth fault injection: writing N to
 * /proc/self/task/<tid>/fail-nth makes the Nth allocation this thread
 * makes from then on fail, slab allocations through failslab and page
 * allocations through fail_page_alloc, both set up so that every kind of
 * allocation counts (sleeping ones, order 0) and nothing is printed
 * (verbose 0: the log checker fails a run on any stack trace). Reading the
 * file back says whether the failure was injected (0) or the call made
 * fewer than N allocations.
 *
 * Each scenario builds the state before one call (containers, groups,
 * mappings), then makes the call with N = 1, 2, 3... until it makes fewer
 * than N allocations, from scratch each time. After each run:
 *
 *  - the call succeeded and everything is as a run without injected
 *    failure leaves it (recorded first), or it failed with ENOMEM and
 *    everything is exactly as before the call: VFIO_MDOM_QUERY and
 *    VFIO_IOMMU_GET_INFO of every container, vfio-mdom's debugfs, the
 *    domain and the translations (IOVA, physical address, size,
 *    permissions) of every mock device, the emulated device's pins,
 *    locked_vm and the system's pinned pages;
 *  - once everything is closed, nothing is left: no page pinned
 *    (nr_foll_pin_acquired - nr_foll_pin_released), locked_vm as before,
 *    no mock domain or translation, no mock error counter moved, no
 *    vfio-mdom container of this process.
 *
 * The last test asks kmemleak to scan. Each scenario prints how many
 * allocations its call makes: its injection points. They include the
 * allocations of VFIO, the IOMMU core, the IOMMU drivers and of the
 * kernel's debug facilities (kmemleak's metadata, KASAN's stack depot),
 * which fall back silently when failed.
 *
 * Two things of the kernel, not of vfio-mdom, are allowed for:
 *  - an IOMMU driver that cannot allocate a reserved region leaves it out
 *    without an error (get_resv_regions() returns nothing): a group then
 *    attaches without its MSI window reserved. Such a success is counted
 *    and reported, and must differ from the reference only there;
 *  - giving a group back its default domain when VFIO releases it
 *    allocates in the Intel driver, and the IOMMU core WARNs when that
 *    fails (__iommu_release_dma_ownership()): no edu group is released
 *    with a failure armed (close and detach use mock groups).
 */
#include <stdarg.h>
#include <sys/syscall.h>

#include "mdom_test.h"

/* A sweep needing more runs than this has a problem of its own. */
#define NTH_MAX			3000
#define BUF_PAGES		64
/* Three mappings of the scenarios, 8 pages each, and a larger one */
#define MAP_PAGES		8
#define BIG_PAGES		48
#define IOVA_A			SZ_1M
#define IOVA_B			SZ_2M
#define IOVA_C			(3 * SZ_1M)

/* The devices a scenario may use, each in its own IOMMU group */
enum role {
	MOCK00,		/* mock instance 0: 4K, enforces coherency */
	MOCK01,		/* its twin: shares mock 0.0's domain */
	MOCK10,		/* mock instance 1: 4K|2M|1G, dirty tracking */
	EDU0,		/* behind the Intel vIOMMU */
	EMU0,		/* emulated (mdev-style), no IOMMU */
	NR_ROLES,
};

#define NR_MOCK_ROLES		(MOCK10 + 1)
#define NR_CONTAINERS		2

/* ---- fault injection -------------------------------------------------- */

#define FI_SLAB			"/sys/kernel/debug/failslab/"
#define FI_PAGE			"/sys/kernel/debug/fail_page_alloc/"

struct fi_setting {
	const char *path;
	const char *val;
};

/*
 * fail-nth takes precedence over probability, interval and times (lib/
 * fault-inject.c), but each facility's own filters come first: every
 * allocation must count, sleeping (ignore-gfp-wait) or of order 0
 * (min-order). task-filter keeps the probability from reaching any task
 * (none sets make-it-fail), verbose 0 keeps the log clean.
 */
static const struct fi_setting fi_settings[] = {
	{ FI_SLAB "task-filter", "Y" },
	{ FI_SLAB "probability", "100" },
	{ FI_SLAB "interval", "1" },
	{ FI_SLAB "times", "-1" },
	{ FI_SLAB "space", "0" },
	{ FI_SLAB "verbose", "0" },
	{ FI_SLAB "ignore-gfp-wait", "N" },
	{ FI_PAGE "task-filter", "Y" },
	{ FI_PAGE "probability", "100" },
	{ FI_PAGE "interval", "1" },
	{ FI_PAGE "times", "-1" },
	{ FI_PAGE "space", "0" },
	{ FI_PAGE "verbose", "0" },
	{ FI_PAGE "ignore-gfp-wait", "N" },
	{ FI_PAGE "ignore-gfp-highmem", "N" },
	{ FI_PAGE "min-order", "0" },
};

#define NR_FI			ARRAY_SIZE(fi_settings)

/* Arm: the @n th allocation of this thread from now on fails. */
static int nth_arm(int fd, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(fd, buf, len, 0) == len ? 0 : -errno;
}

/*
 * Disarm, once the call is made: what was left of the count, 0 if the
 * failure was injected, or -errno.
 */
static long nth_disarm(int fd)
{
	char buf[16];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0 || pwrite(fd, "0", 1, 0) != 1)
		return -EIO;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/* ---- the fixture ---------------------------------------------------------- */

struct role_dev {
	bool present;
	int group;		/* /dev/vfio/<group> */
	int inst, idx;		/* mock devices */
	char name[64];		/* mock device name, edu BDF, emulated name */
};

/* What one scenario works with: its containers, groups, devices */
struct run {
	int c[NR_CONTAINERS];
	unsigned long type[NR_CONTAINERS];
	int g[NR_ROLES];
	int in[NR_ROLES];	/* container index, -1 */
	int emu_fd;		/* the emulated device's VFIO device fd */
	uint64_t out;		/* what the call answered besides its errno */
	uint64_t bitmap[4];	/* dirty bitmap the call filled */
};

struct nth;

/*
 * A scenario: @prepare builds the state before the call (no failure
 * injected), @op makes the call and returns 0 or -errno, @check (if
 * any) checks what only the scenario knows after the call, injected or
 * not, before everything is closed.
 */
struct scenario {
	const char *what;
	int (*prepare)(struct nth *t);
	int (*op)(struct nth *t);
	void (*check)(struct __test_metadata *_metadata, struct nth *t,
		      int ret);
	unsigned int roles;	/* BIT(role) of the roles used */
};

#define ROLE(r)			(1U << (r))

#define SNAP_XLATES		256

/* A mock device's domain and translations */
struct dev_snap {
	bool present;
	unsigned int domain;	/* mock domain id, 0: none */
	int share;		/* first role in the same domain, or -1 */
	unsigned long nx;
	struct mock_xlate x[SNAP_XLATES];
};

/* Everything a call may change */
struct snap {
	bool open[NR_CONTAINERS];
	int query_err[NR_CONTAINERS];
	struct mdom_state st[NR_CONTAINERS];
	int info_err[NR_CONTAINERS];
	uint32_t info_len[NR_CONTAINERS];
	uint8_t info[NR_CONTAINERS][512];
	int ndbg;
	struct mdom_dbg_container dbg[NR_CONTAINERS];
	long vmlck;
	long long pins;
	struct mock_counters ctr;
	struct dev_snap dev[NR_MOCK_ROLES];
	int emu_open;
	long emu_pinned;
};

struct nth {
	const struct scenario *sc;
	size_t pg;
	uint8_t *buf;
	struct role_dev dev[NR_ROLES];
	int nth_fd;
	char fi_saved[NR_FI][32];
	bool fi_changed[NR_FI];
	struct leak_mark mark;
	struct params params;
	struct run r;
	struct snap before, after, ref;
	uint64_t ref_out;
	uint64_t ref_bitmap[4];
	unsigned int runs, failed, succeeded, resv_lost;
	unsigned int errnos[8];
};

static void run_init(struct run *r)
{
	unsigned int i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < NR_CONTAINERS; i++)
		r->c[i] = -1;
	for (i = 0; i < NR_ROLES; i++) {
		r->g[i] = -1;
		r->in[i] = -1;
	}
	r->emu_fd = -1;
}

/* Close everything of the run: device, groups, then containers. */
static void run_close(struct run *r)
{
	unsigned int i;

	if (r->emu_fd >= 0)
		close(r->emu_fd);
	for (i = 0; i < NR_ROLES; i++)
		if (r->g[i] >= 0)
			close(r->g[i]);
	for (i = 0; i < NR_CONTAINERS; i++)
		if (r->c[i] >= 0)
			close(r->c[i]);
	run_init(r);
}

/* Container @k, VFIO_SET_IOMMU(@type) at its first group. */
static int run_container(struct nth *t, unsigned int k, unsigned long type)
{
	t->r.c[k] = vfio_open_container();
	t->r.type[k] = type;
	return t->r.c[k] < 0 ? t->r.c[k] : 0;
}

static int run_group(struct nth *t, enum role role)
{
	if (t->r.g[role] < 0)
		t->r.g[role] = vfio_open_group(t->dev[role].group);
	return t->r.g[role] < 0 ? t->r.g[role] : 0;
}

/* Group @which joins container @k (the first one sets the IOMMU). */
static int run_attach(struct nth *t, enum role which, unsigned int k)
{
	bool first = true;
	unsigned int i;
	int ret;

	for (i = 0; i < NR_ROLES; i++)
		if (t->r.in[i] == (int)k)
			first = false;
	ret = run_group(t, which) ?:
	      vfio_attach(t->r.c[k], t->r.g[which], first, t->r.type[k]);
	if (!ret)
		t->r.in[which] = k;
	return ret;
}

static void *buf_at(struct nth *t, unsigned int page)
{
	return t->buf + page * t->pg;
}

/* Mappings A, B and C (8 pages each, C read-only) in container @k */
static int run_maps(struct nth *t, unsigned int k)
{
	return _vfio_map(t->r.c[k], IOVA_A, MAP_PAGES * t->pg, buf_at(t, 0),
			 VFIO_RW) ?:
	       _vfio_map(t->r.c[k], IOVA_B, MAP_PAGES * t->pg,
			 buf_at(t, MAP_PAGES), VFIO_RW) ?:
	       _vfio_map(t->r.c[k], IOVA_C, MAP_PAGES * t->pg,
			 buf_at(t, 2 * MAP_PAGES), VFIO_DMA_MAP_FLAG_READ);
}

static int run_emu_open(struct nth *t)
{
	t->r.emu_fd = vfio_device_fd(t->r.g[EMU0], t->dev[EMU0].name);
	return t->r.emu_fd < 0 ? t->r.emu_fd : 0;
}

/* ---- the scenarios --------------------------------------------------------- */

/* MAP_DMA of 48 pages into one domain */
static int prep_one_domain(struct nth *t)
{
	return run_container(t, 0, VFIO_TYPE1v2_IOMMU) ?:
	       run_attach(t, MOCK00, 0);
}

static int op_map_big(struct nth *t)
{
	return _vfio_map(t->r.c[0], IOVA_A, BIG_PAGES * t->pg, buf_at(t, 0),
			 VFIO_RW);
}

static const struct scenario sc_map = {
	.what = "MAP_DMA, one domain",
	.prepare = prep_one_domain,
	.op = op_map_big,
	.roles = ROLE(MOCK00),
};

/* The same into three: the Intel vIOMMU's and two mock IOMMUs' */
static int prep_three_domains(struct nth *t)
{
	return run_container(t, 0, VFIO_TYPE1v2_IOMMU) ?:
	       run_attach(t, EDU0, 0) ?: run_attach(t, MOCK00, 0) ?:
	       run_attach(t, MOCK10, 0);
}

static const struct scenario sc_map3 = {
	.what = "MAP_DMA, three domains (Intel, mock 0, mock 1)",
	.prepare = prep_three_domains,
	.op = op_map_big,
	.roles = ROLE(EDU0) | ROLE(MOCK00) | ROLE(MOCK10),
};

/* Two domains and mappings A, B, C, with type1 v1 or v2 unmap rules */
static int prep_two_domains(struct nth *t, unsigned long type)
{
	return run_container(t, 0, type) ?: run_attach(t, MOCK00, 0) ?:
	       run_attach(t, MOCK10, 0) ?: run_maps(t, 0);
}

static int prep_two_v1(struct nth *t)
{
	return prep_two_domains(t, VFIO_TYPE1_IOMMU);
}

static int prep_two_v2(struct nth *t)
{
	return prep_two_domains(t, VFIO_TYPE1v2_IOMMU);
}

static int do_unmap(struct nth *t, uint64_t iova, uint64_t size,
		    uint32_t flags)
{
	return _vfio_unmap(t->r.c[0], iova, size, flags, &t->r.out);
}

/* v1: one page at B's start takes B whole */
static int op_unmap_v1(struct nth *t)
{
	return do_unmap(t, IOVA_B, t->pg, 0);
}

static const struct scenario sc_unmap_v1 = {
	.what = "UNMAP_DMA v1 (type1 rules: the mapping at the start goes)",
	.prepare = prep_two_v1,
	.op = op_unmap_v1,
	.roles = ROLE(MOCK00) | ROLE(MOCK10),
};

/* v2: A and B, whole */
static int op_unmap_v2(struct nth *t)
{
	return do_unmap(t, IOVA_A, IOVA_C - IOVA_A, 0);
}

static const struct scenario sc_unmap_v2 = {
	.what = "UNMAP_DMA v2 of two mappings, two domains",
	.prepare = prep_two_v2,
	.op = op_unmap_v2,
	.roles = ROLE(MOCK00) | ROLE(MOCK10),
};

static int op_unmap_all(struct nth *t)
{
	return do_unmap(t, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL);
}

static const struct scenario sc_unmap_all = {
	.what = "UNMAP_DMA with VFIO_DMA_UNMAP_FLAG_ALL, two domains",
	.prepare = prep_two_v2,
	.op = op_unmap_all,
	.roles = ROLE(MOCK00) | ROLE(MOCK10),
};

/* One domain with A, B, C: a group joins */
static int prep_one_mapped(struct nth *t)
{
	return prep_one_domain(t) ?: run_maps(t, 0);
}

static int op_attach_mock10(struct nth *t)
{
	return _vfio_set_container(t->r.g[MOCK10], t->r.c[0]);
}

static int op_attach_mock01(struct nth *t)
{
	return _vfio_set_container(t->r.g[MOCK01], t->r.c[0]);
}

static int op_attach_edu(struct nth *t)
{
	return _vfio_set_container(t->r.g[EDU0], t->r.c[0]);
}

static int prep_one_mapped_10(struct nth *t)
{
	return prep_one_mapped(t) ?: run_group(t, MOCK10);
}

static const struct scenario sc_attach_replay = {
	.what = "SET_CONTAINER: a new mock domain, three mappings replayed",
	.prepare = prep_one_mapped_10,
	.op = op_attach_mock10,
	.roles = ROLE(MOCK00) | ROLE(MOCK10),
};

static int prep_one_mapped_01(struct nth *t)
{
	return prep_one_mapped(t) ?: run_group(t, MOCK01);
}

static const struct scenario sc_attach_shared = {
	.what = "SET_CONTAINER: joins the existing domain",
	.prepare = prep_one_mapped_01,
	.op = op_attach_mock01,
	.roles = ROLE(MOCK00) | ROLE(MOCK01),
};

static int prep_one_mapped_edu(struct nth *t)
{
	return prep_one_mapped(t) ?: run_group(t, EDU0);
}

static const struct scenario sc_attach_intel = {
	.what = "SET_CONTAINER: a new Intel domain, three mappings replayed",
	.prepare = prep_one_mapped_edu,
	.op = op_attach_edu,
	.roles = ROLE(MOCK00) | ROLE(EDU0),
};

/* Only an emulated group: the mappings are recorded, not pinned */
static int prep_emulated_mapped(struct nth *t)
{
	return run_container(t, 0, VFIO_TYPE1v2_IOMMU) ?:
	       run_attach(t, EMU0, 0) ?: run_maps(t, 0);
}

static int op_attach_mock00(struct nth *t)
{
	return _vfio_set_container(t->r.g[MOCK00], t->r.c[0]);
}

static int prep_emulated_mapped_00(struct nth *t)
{
	return prep_emulated_mapped(t) ?: run_group(t, MOCK00);
}

static const struct scenario sc_attach_first = {
	.what = "SET_CONTAINER: the first domain, pinning every mapping",
	.prepare = prep_emulated_mapped_00,
	.op = op_attach_mock00,
	.roles = ROLE(EMU0) | ROLE(MOCK00),
};

/* Dirty tracking started (type1's rule: mock 0 cannot track), then mock 1 */
static int prep_dirty_pinned(struct nth *t)
{
	return prep_one_mapped(t) ?: run_group(t, MOCK10) ?:
	       _vfio_dirty_ctl(t->r.c[0], VFIO_IOMMU_DIRTY_PAGES_FLAG_START);
}

static const struct scenario sc_attach_dirty = {
	.what = "SET_CONTAINER while tracking dirty pages: a dirty-tracking domain, replayed",
	.prepare = prep_dirty_pinned,
	.op = op_attach_mock10,
	.roles = ROLE(MOCK00) | ROLE(MOCK10),
};

/*
 * Dirty tracking by the IOMMU (mock 1 alone), then mock 0, which cannot
 * track: from then on type1's rule (every mapped page is dirty)
 */
static int prep_dirty_iommu(struct nth *t)
{
	return run_container(t, 0, VFIO_TYPE1v2_IOMMU) ?:
	       run_attach(t, MOCK10, 0) ?: run_maps(t, 0) ?:
	       run_group(t, MOCK00) ?:
	       _vfio_dirty_ctl(t->r.c[0], VFIO_IOMMU_DIRTY_PAGES_FLAG_START);
}

static const struct scenario sc_attach_untracked = {
	.what = "SET_CONTAINER while the IOMMU tracks dirty pages: a domain that cannot",
	.prepare = prep_dirty_iommu,
	.op = op_attach_mock00,
	.roles = ROLE(MOCK00) | ROLE(MOCK10),
};

static int op_detach(struct nth *t)
{
	return _vfio_unset_container(t->r.g[MOCK10]);
}

static const struct scenario sc_detach = {
	.what = "UNSET_CONTAINER: a domain loses its last group",
	.prepare = prep_two_v2,
	.op = op_detach,
	.roles = ROLE(MOCK00) | ROLE(MOCK10),
};

static int op_close(struct nth *t)
{
	unsigned int i;

	/* The container's fd first: the last group releases the backend */
	close(t->r.c[0]);
	t->r.c[0] = -1;
	for (i = 0; i < NR_ROLES; i++) {
		if (t->r.g[i] >= 0)
			close(t->r.g[i]);
		t->r.g[i] = -1;
		t->r.in[i] = -1;
	}
	return 0;
}

/*
 * Mock domains only: releasing a group's DMA ownership gives it back its
 * default domain, and the Intel driver allocates to attach that one: the
 * IOMMU core WARNs when it fails (__iommu_release_dma_ownership()).
 */
static const struct scenario sc_close = {
	.what = "close() with live mappings in two domains",
	.prepare = prep_two_v2,
	.op = op_close,
	.roles = ROLE(MOCK00) | ROLE(MOCK10),
};

static int op_query(struct nth *t)
{
	struct mdom_state st;
	int ret = _mdom_query(t->r.c[0], &st);

	t->r.out = st.q.num_domains | (uint64_t)st.q.pinned_pages << 32;
	return ret;
}

static const struct scenario sc_query = {
	.what = "VFIO_MDOM_QUERY",
	.prepare = prep_two_v2,
	.op = op_query,
	.roles = ROLE(MOCK00) | ROLE(MOCK10),
};

static int op_get_info(struct nth *t)
{
	uint8_t buf[512];
	int ret = _vfio_get_info(t->r.c[0], buf, sizeof(buf));

	t->r.out = ((struct vfio_iommu_type1_info *)buf)->argsz;
	return ret;
}

static const struct scenario sc_get_info = {
	.what = "VFIO_IOMMU_GET_INFO",
	.prepare = prep_two_v2,
	.op = op_get_info,
	.roles = ROLE(MOCK00) | ROLE(MOCK10),
};

/* A second container of this process maps the pages the first maps */
static int prep_second_container(struct nth *t)
{
	return prep_one_mapped(t) ?:
	       run_container(t, 1, VFIO_TYPE1v2_IOMMU) ?:
	       run_attach(t, MOCK10, 1);
}

static int op_map_same_pages(struct nth *t)
{
	return _vfio_map(t->r.c[1], IOVA_A, 2 * MAP_PAGES * t->pg,
			 buf_at(t, 0), VFIO_RW);
}

static const struct scenario sc_map_shared_mm = {
	.what = "MAP_DMA of pages another container of the process maps (the account's index)",
	.prepare = prep_second_container,
	.op = op_map_same_pages,
	.roles = ROLE(MOCK00) | ROLE(MOCK10),
};

/* Live update: B's address invalidated, then given again */
static int prep_vaddr(struct nth *t)
{
	uint64_t size;

	return prep_two_v2(t) ?:
	       _vfio_unmap(t->r.c[0], IOVA_B, MAP_PAGES * t->pg,
			   VFIO_DMA_UNMAP_FLAG_VADDR, &size);
}

static int op_map_vaddr(struct nth *t)
{
	return _vfio_map(t->r.c[0], IOVA_B, MAP_PAGES * t->pg,
			 buf_at(t, MAP_PAGES), VFIO_DMA_MAP_FLAG_VADDR);
}

static const struct scenario sc_vaddr = {
	.what = "MAP_DMA with VFIO_DMA_MAP_FLAG_VADDR (live update, same process)",
	.prepare = prep_vaddr,
	.op = op_map_vaddr,
	.roles = ROLE(MOCK00) | ROLE(MOCK10),
};

/* Mock 1 alone: its IOMMU tracks dirty pages */
static int prep_dirty_capable(struct nth *t)
{
	return run_container(t, 0, VFIO_TYPE1v2_IOMMU) ?:
	       run_attach(t, MOCK10, 0) ?: run_maps(t, 0);
}

static int op_dirty_start(struct nth *t)
{
	return _vfio_dirty_ctl(t->r.c[0], VFIO_IOMMU_DIRTY_PAGES_FLAG_START);
}

static const struct scenario sc_dirty_start = {
	.what = "DIRTY_PAGES START, IOMMU dirty tracking",
	.prepare = prep_dirty_capable,
	.op = op_dirty_start,
	.roles = ROLE(MOCK10),
};

/* Pages 1 and 5 of A dirtied by the device while tracking */
#define DIRTY_BITS		((1ULL << 1) | (1ULL << 5))

static int prep_dirtied(struct nth *t)
{
	uint8_t b = 0x5a;

	return prep_dirty_capable(t) ?: op_dirty_start(t) ?:
	       mock_dma_write(t->dev[MOCK10].name, IOVA_A + t->pg, &b, 1) ?:
	       mock_dma_write(t->dev[MOCK10].name, IOVA_A + 5 * t->pg, &b, 1);
}

static int dirty_read(struct nth *t, uint64_t *bitmap)
{
	memset(bitmap, 0, sizeof(t->r.bitmap));
	return _vfio_dirty_get(t->r.c[0], IOVA_A, MAP_PAGES * t->pg, t->pg,
				  bitmap, sizeof(t->r.bitmap));
}

static int op_dirty_bitmap(struct nth *t)
{
	return dirty_read(t, t->r.bitmap);
}

/*
 * A read reports the dirtied pages and clears them; a failed one loses
 * none: the next read has them.
 */
static void check_dirty_bitmap(struct __test_metadata *_metadata,
			       struct nth *t, int ret)
{
	uint64_t again[4];

	if (!ret)
		EXPECT_EQ(DIRTY_BITS, t->r.bitmap[0]);
	ASSERT_EQ(0, dirty_read(t, again));
	EXPECT_EQ(ret ? DIRTY_BITS : 0, again[0]) {
		TH_LOG("dirty pages after a read that %s",
		       ret ? "failed" : "succeeded");
	}
}

static const struct scenario sc_dirty_bitmap = {
	.what = "DIRTY_PAGES GET_BITMAP, IOMMU dirty tracking",
	.prepare = prep_dirtied,
	.op = op_dirty_bitmap,
	.check = check_dirty_bitmap,
	.roles = ROLE(MOCK10),
};

/* UNMAP_DMA of A, its dirty pages reported */
static int op_unmap_dirty(struct nth *t)
{
	memset(t->r.bitmap, 0, sizeof(t->r.bitmap));
	return _vfio_unmap_dirty(t->r.c[0], IOVA_A, MAP_PAGES * t->pg, t->pg,
				 t->r.bitmap, sizeof(t->r.bitmap), &t->r.out);
}

/* Reported by the unmap, or, if it failed, still there to read */
static void check_unmap_dirty(struct __test_metadata *_metadata,
			      struct nth *t, int ret)
{
	uint64_t again[4];

	if (!ret) {
		EXPECT_EQ(DIRTY_BITS, t->r.bitmap[0]);
		return;
	}
	ASSERT_EQ(0, dirty_read(t, again));
	EXPECT_EQ(DIRTY_BITS, again[0]) TH_LOG("dirty pages after a failed unmap");
}

static const struct scenario sc_unmap_dirty = {
	.what = "UNMAP_DMA with VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, IOMMU dirty tracking",
	.prepare = prep_dirtied,
	.op = op_unmap_dirty,
	.check = check_unmap_dirty,
	.roles = ROLE(MOCK10),
};

/* The emulated device open, A mapped: it pins 4 pages of A */
static int prep_emu_pin(struct nth *t)
{
	return prep_emulated_mapped(t) ?: run_emu_open(t);
}

static int op_emu_pin(struct nth *t)
{
	return mock_emu_pin(0, IOVA_A, 4, "rw");
}

static const struct scenario sc_emu_pin = {
	.what = "vfio_pin_pages() of an emulated device, no domain (pinned on demand)",
	.prepare = prep_emu_pin,
	.op = op_emu_pin,
	.roles = ROLE(EMU0),
};

static int prep_emu_pin_domain(struct nth *t)
{
	return prep_one_mapped(t) ?: run_attach(t, EMU0, 0) ?:
	       run_emu_open(t);
}

static const struct scenario sc_emu_pin_domain = {
	.what = "vfio_pin_pages() of an emulated device, pages pinned for a domain",
	.prepare = prep_emu_pin_domain,
	.op = op_emu_pin,
	.roles = ROLE(EMU0) | ROLE(MOCK00),
};

static int prep_emu_closed(struct nth *t)
{
	return prep_one_mapped(t) ?: run_attach(t, EMU0, 0);
}

static int op_emu_open(struct nth *t)
{
	return run_emu_open(t);
}

static const struct scenario sc_emu_open = {
	.what = "GET_DEVICE_FD of an emulated device",
	.prepare = prep_emu_closed,
	.op = op_emu_open,
	.roles = ROLE(EMU0) | ROLE(MOCK00),
};

/* ---- snapshots ------------------------------------------------------------ */

/*
 * Take everything a call may change into @s. @want_pins is the system's
 * pinned page count expected (others may pin for a moment: wait for it),
 * or -1 for a stable reading.
 */
static int snap_take(struct nth *t, struct snap *s, long long want_pins)
{
	struct mock_dump dump = {};
	struct mock_domain *d;
	unsigned int i, j;
	int ret;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < NR_CONTAINERS; i++) {
		int fd = t->r.c[i];
		struct vfio_iommu_type1_info *info = (void *)s->info[i];

		s->open[i] = fd >= 0;
		if (fd < 0)
			continue;
		s->query_err[i] = _mdom_query(fd, &s->st[i]);
		s->info_err[i] = _vfio_get_info(fd, s->info[i],
						sizeof(s->info[i]));
		if (!s->info_err[i])
			s->info_len[i] = info->argsz;
	}
	s->ndbg = mdom_dbg_containers(getpid(), s->dbg, NR_CONTAINERS);
	s->vmlck = vmlck_kb();
	s->pins = want_pins < 0 ? foll_pins_stable() : foll_pins_at(want_pins);
	/* Two failed readings would compare equal */
	if (s->vmlck < 0 || s->pins < 0)
		return -EIO;
	ret = mock_counters(-1, &s->ctr);
	if (ret)
		return ret;
	ret = mock_dump_read(&dump);
	for (i = 0; !ret && i < NR_MOCK_ROLES; i++) {
		struct dev_snap *ds = &s->dev[i];

		ds->share = -1;
		if (!t->dev[i].present)
			continue;
		ds->present = true;
		ds->domain = mock_dev_domain(t->dev[i].inst, t->dev[i].idx);
		for (j = 0; j < i; j++)
			if (ds->domain && s->dev[j].domain == ds->domain &&
			    ds->share < 0)
				ds->share = j;
		d = ds->domain ? mock_dump_domain(&dump, ds->domain) : NULL;
		if (!d)
			continue;
		ds->nx = d->nx;
		if (d->nx > SNAP_XLATES)
			ret = -E2BIG;
		else
			memcpy(ds->x, d->x, d->nx * sizeof(*d->x));
	}
	mock_dump_free(&dump);
	if (!ret && t->dev[EMU0].present)
		ret = mock_emu_state(0, &s->emu_open, &s->emu_pinned);
	return ret;
}

/* Say in @buf what differs; false, for "return diff(...)" */
static bool __printf(3, 4) diff(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return false;
}

static bool query_same(const struct mdom_state *a,
		       const struct mdom_state *b, char *buf, size_t size)
{
	const struct vfio_mdom_query *x = &a->q, *y = &b->q;

	if (x->num_domains != y->num_domains ||
	    x->num_groups != y->num_groups)
		return diff(buf, size,
			    "query: %u domains %u groups, then %u and %u",
			    x->num_domains, x->num_groups, y->num_domains,
			    y->num_groups);
	if (x->iommu_type != y->iommu_type ||
	    x->num_mappings != y->num_mappings ||
	    x->mapped_bytes != y->mapped_bytes ||
	    x->dma_avail != y->dma_avail ||
	    x->num_vaddr_invalid != y->num_vaddr_invalid)
		return diff(buf, size,
			    "query: %u mappings 0x%llx bytes avail %u invalid %u, then %u 0x%llx %u %u",
			    x->num_mappings, ULL(x->mapped_bytes),
			    x->dma_avail, x->num_vaddr_invalid,
			    y->num_mappings, ULL(y->mapped_bytes),
			    y->dma_avail, y->num_vaddr_invalid);
	if (x->pinned_pages != y->pinned_pages ||
	    x->locked_pages != y->locked_pages ||
	    x->shared_pages != y->shared_pages)
		return diff(buf, size,
			    "query: pinned %llu locked %llu shared %llu, then %llu %llu %llu",
			    ULL(x->pinned_pages), ULL(x->locked_pages),
			    ULL(x->shared_pages), ULL(y->pinned_pages),
			    ULL(y->locked_pages), ULL(y->shared_pages));
	if (x->dirty_mode != y->dirty_mode)
		return diff(buf, size, "query: dirty_mode %u, then %u",
			    x->dirty_mode, y->dirty_mode);
	if (memcmp(a->domains, b->domains,
		   x->num_domains * sizeof(a->domains[0])))
		return diff(buf, size, "query: the domains differ");
	if (memcmp(a->groups, b->groups, x->num_groups * sizeof(a->groups[0])))
		return diff(buf, size, "query: the groups differ");
	return true;
}

/* vfio-mdom's debugfs, but for the container's global id */
static bool dbg_same(const struct mdom_dbg_container *a,
		     const struct mdom_dbg_container *b, char *buf,
		     size_t size)
{
	struct mdom_dbg_container x = *a, y = *b;

	x.id = 0;
	y.id = 0;
	if (memcmp(&x, &y, sizeof(x)))
		return diff(buf, size,
			    "debugfs: %llu mappings, %llu pinned, dirty %s, %d domains, then %llu %llu %s %d",
			    ULL(x.mappings), ULL(x.pinned_pages), x.dirty,
			    x.ndomains, ULL(y.mappings), ULL(y.pinned_pages),
			    y.dirty, y.ndomains);
	return true;
}

static bool container_same(const struct snap *a, const struct snap *b,
			   unsigned int i, char *buf, size_t size)
{
	if (a->open[i] != b->open[i])
		return diff(buf, size, "container %u open %d, then %d", i,
			    a->open[i], b->open[i]);
	if (!a->open[i])
		return true;
	if (a->query_err[i] != b->query_err[i])
		return diff(buf, size, "container %u: query errno %d, then %d",
			    i, a->query_err[i], b->query_err[i]);
	if (!a->query_err[i] &&
	    !query_same(&a->st[i], &b->st[i], buf, size))
		return false;
	if (a->info_err[i] != b->info_err[i] ||
	    a->info_len[i] != b->info_len[i] ||
	    memcmp(a->info[i], b->info[i], sizeof(a->info[i])))
		return diff(buf, size,
			    "container %u: GET_INFO errno %d argsz %u, then %d %u, or other capabilities",
			    i, a->info_err[i], a->info_len[i], b->info_err[i],
			    b->info_len[i]);
	return true;
}

static bool xlate_same(const struct mock_xlate *x, const struct mock_xlate *y,
		       unsigned int role, unsigned int k, char *buf,
		       size_t size)
{
	if (!memcmp(x, y, sizeof(*x)))
		return true;
	return diff(buf, size,
		    "mock role %u: translation %u 0x%llx->0x%llx size 0x%llx prot %x, then 0x%llx->0x%llx 0x%llx %x",
		    role, k, ULL(x->iova), ULL(x->phys), ULL(x->size), x->prot,
		    ULL(y->iova), ULL(y->phys), ULL(y->size), y->prot);
}

static bool dev_same(const struct dev_snap *x, const struct dev_snap *y,
		     unsigned int role, bool same_run, char *buf, size_t size)
{
	unsigned int k;

	if (!x->present)
		return true;
	if (!x->domain != !y->domain || x->share != y->share ||
	    (same_run && x->domain != y->domain))
		return diff(buf, size,
			    "mock role %u: domain %u (shares %d's), then %u (%d's)",
			    role, x->domain, x->share, y->domain, y->share);
	if (x->nx != y->nx)
		return diff(buf, size, "mock role %u: %lu translations, then %lu",
			    role, x->nx, y->nx);
	for (k = 0; k < x->nx; k++)
		if (!xlate_same(&x->x[k], &y->x[k], role, k, buf, size))
			return false;
	return true;
}

/*
 * Are @a and @b the same state? @same_run: both of one run, so the mock
 * domain ids must be the same too (from two runs they are new ones).
 */
static bool snap_same(const struct snap *a, const struct snap *b,
		      bool same_run, char *buf, size_t size)
{
	unsigned int i, k;

	for (i = 0; i < NR_CONTAINERS; i++)
		if (!container_same(a, b, i, buf, size))
			return false;
	if (a->ndbg != b->ndbg)
		return diff(buf, size, "debugfs: %d containers, then %d",
			    a->ndbg, b->ndbg);
	for (i = 0; i < (unsigned int)a->ndbg && i < NR_CONTAINERS; i++)
		if (!dbg_same(&a->dbg[i], &b->dbg[i], buf, size))
			return false;
	if (a->vmlck != b->vmlck)
		return diff(buf, size, "locked_vm %ld KiB, then %ld", a->vmlck,
			    b->vmlck);
	if (a->pins != b->pins)
		return diff(buf, size, "pinned pages %lld, then %lld", a->pins,
			    b->pins);
	for (k = 0; k < MOCK_IOMMU_NR_COUNTERS; k++) {
		if (mock_cmd_counter_kind(k) == MOCK_IOMMU_COUNTER_EVENT)
			continue;
		if (a->ctr.v[k] != b->ctr.v[k])
			return diff(buf, size, "mock %s %lld, then %lld",
				    mock_counter_name(k), a->ctr.v[k],
				    b->ctr.v[k]);
	}
	for (i = 0; i < NR_MOCK_ROLES; i++)
		if (!dev_same(&a->dev[i], &b->dev[i], i, same_run, buf, size))
			return false;
	if (a->emu_open != b->emu_open || a->emu_pinned != b->emu_pinned)
		return diff(buf, size,
			    "emulated device open %d pinned %ld, then %d %ld",
			    a->emu_open, a->emu_pinned, b->emu_open,
			    b->emu_pinned);
	return true;
}

/* ---- reserved regions a failed allocation dropped -------------------------- */

/*
 * An IOMMU driver's get_resv_regions() returns nothing: when it cannot
 * allocate a region it leaves it out (the mock as the Intel driver), and
 * iommu_get_group_resv_regions() gives fewer reserved regions without an
 * error. A group attached then has IOVA ranges that include its MSI
 * window. That is the IOMMU core's interface, not vfio-mdom's: it is
 * counted and reported, and GET_INFO otherwise still has to match.
 */
#define MAX_RANGES		16

struct range {
	uint64_t first, last;
};

/* The IOVA ranges of a GET_INFO answer: their number, or -1 */
static int info_ranges(const uint8_t *buf, uint32_t len, struct range *r)
{
	struct vfio_iommu_type1_info_cap_iova_range *cap;
	struct vfio_info_cap_header *h;
	uint32_t i;

	h = vfio_info_cap((void *)buf, len,
			  VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	if (!h)
		return -1;
	cap = (void *)h;
	if (cap->nr_iovas > MAX_RANGES)
		return -1;
	for (i = 0; i < cap->nr_iovas; i++) {
		r[i].first = cap->iova_ranges[i].start;
		r[i].last = cap->iova_ranges[i].end;
	}
	return cap->nr_iovas;
}

/* Take [@first, @last] out of the @n sorted ranges @r: the new count */
static int ranges_minus(struct range *r, int n, uint64_t first, uint64_t last)
{
	struct range out[MAX_RANGES + 1];
	int i, k = 0;

	for (i = 0; i < n && k < MAX_RANGES; i++) {
		if (r[i].last < first || r[i].first > last) {
			out[k++] = r[i];
			continue;
		}
		if (r[i].first < first)
			out[k++] = (struct range){ r[i].first, first - 1 };
		if (r[i].last > last && k < MAX_RANGES)
			out[k++] = (struct range){ last + 1, r[i].last };
	}
	memcpy(r, out, k * sizeof(*r));
	return k;
}

/* Take group @group's reserved regions (sysfs) out of @r */
static int ranges_minus_resv(struct range *r, int n, int group)
{
	char path[96], text[1024], *line, *next;
	unsigned long long first, last;

	snprintf(path, sizeof(path),
		 "/sys/kernel/iommu_groups/%d/reserved_regions", group);
	if (read_file(path, text, sizeof(text)) < 0)
		return n;
	for (line = text; *line; line = next) {
		next = next_line(line);
		if (sscanf(line, "%llx %llx", &first, &last) == 2)
			n = ranges_minus(r, n, first, last);
	}
	return n;
}

static uint64_t info_cap_u64(const uint8_t *buf, uint32_t len, uint16_t id,
			     size_t off)
{
	struct vfio_info_cap_header *h = vfio_info_cap((void *)buf, len, id);
	uint64_t v = 0;

	if (h)
		memcpy(&v, (uint8_t *)h + off, sizeof(v));
	return v;
}

/*
 * Does container @k's GET_INFO in @got differ from @want only by IOVA
 * ranges inside reserved regions of the run's groups, i.e. by regions the
 * IOMMU driver dropped?
 */
static bool info_lost_resv(struct nth *t, const struct snap *want,
			   const struct snap *got, unsigned int k)
{
	const struct vfio_iommu_type1_info *a = (void *)want->info[k];
	const struct vfio_iommu_type1_info *b = (void *)got->info[k];
	struct range ra[MAX_RANGES], rb[MAX_RANGES];
	uint32_t la = want->info_len[k], lb = got->info_len[k];
	int na, nb, i;

	if (want->info_err[k] || got->info_err[k] ||
	    la > sizeof(want->info[k]) || lb > sizeof(got->info[k]) ||
	    a->flags != b->flags || a->iova_pgsizes != b->iova_pgsizes)
		return false;
	if (info_cap_u64(want->info[k], la, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL,
			 offsetof(struct vfio_iommu_type1_info_dma_avail,
				  avail)) !=
	    info_cap_u64(got->info[k], lb, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL,
			 offsetof(struct vfio_iommu_type1_info_dma_avail,
				  avail)))
		return false;
	na = info_ranges(want->info[k], la, ra);
	nb = info_ranges(got->info[k], lb, rb);
	if (na < 0 || nb < 0 || nb == na)
		return false;
	/* The groups of the run (those the call itself attaches too) */
	for (i = 0; i < NR_ROLES; i++) {
		if (t->r.g[i] < 0)
			continue;
		na = ranges_minus_resv(ra, na, t->dev[i].group);
		nb = ranges_minus_resv(rb, nb, t->dev[i].group);
	}
	return na == nb && !memcmp(ra, rb, na * sizeof(*ra));
}

/* ---- the test ------------------------------------------------------------- */

FIXTURE(fail_nth)
{
	struct nth *t;
};

FIXTURE_VARIANT(fail_nth)
{
	const struct scenario *sc;
};

FIXTURE_VARIANT_ADD(fail_nth, map)
{
	.sc = &sc_map,
};

FIXTURE_VARIANT_ADD(fail_nth, map3)
{
	.sc = &sc_map3,
};

FIXTURE_VARIANT_ADD(fail_nth, unmap_v1)
{
	.sc = &sc_unmap_v1,
};

FIXTURE_VARIANT_ADD(fail_nth, unmap_v2)
{
	.sc = &sc_unmap_v2,
};

FIXTURE_VARIANT_ADD(fail_nth, unmap_all)
{
	.sc = &sc_unmap_all,
};

FIXTURE_VARIANT_ADD(fail_nth, attach_replay)
{
	.sc = &sc_attach_replay,
};

FIXTURE_VARIANT_ADD(fail_nth, attach_shared)
{
	.sc = &sc_attach_shared,
};

FIXTURE_VARIANT_ADD(fail_nth, attach_intel)
{
	.sc = &sc_attach_intel,
};

FIXTURE_VARIANT_ADD(fail_nth, attach_first)
{
	.sc = &sc_attach_first,
};

FIXTURE_VARIANT_ADD(fail_nth, attach_dirty)
{
	.sc = &sc_attach_dirty,
};

FIXTURE_VARIANT_ADD(fail_nth, attach_untracked)
{
	.sc = &sc_attach_untracked,
};

FIXTURE_VARIANT_ADD(fail_nth, detach)
{
	.sc = &sc_detach,
};

FIXTURE_VARIANT_ADD(fail_nth, close)
{
	.sc = &sc_close,
};

FIXTURE_VARIANT_ADD(fail_nth, query)
{
	.sc = &sc_query,
};

FIXTURE_VARIANT_ADD(fail_nth, get_info)
{
	.sc = &sc_get_info,
};

FIXTURE_VARIANT_ADD(fail_nth, map_shared_mm)
{
	.sc = &sc_map_shared_mm,
};

FIXTURE_VARIANT_ADD(fail_nth, vaddr)
{
	.sc = &sc_vaddr,
};

FIXTURE_VARIANT_ADD(fail_nth, dirty_start)
{
	.sc = &sc_dirty_start,
};

FIXTURE_VARIANT_ADD(fail_nth, dirty_bitmap)
{
	.sc = &sc_dirty_bitmap,
};

FIXTURE_VARIANT_ADD(fail_nth, unmap_dirty)
{
	.sc = &sc_unmap_dirty,
};

FIXTURE_VARIANT_ADD(fail_nth, emu_pin)
{
	.sc = &sc_emu_pin,
};

FIXTURE_VARIANT_ADD(fail_nth, emu_pin_domain)
{
	.sc = &sc_emu_pin_domain,
};

FIXTURE_VARIANT_ADD(fail_nth, emu_open)
{
	.sc = &sc_emu_open,
};

static int find_roles(struct nth *t, unsigned int roles)
{
	struct edu_dev edu;
	struct mock_dev md;
	int i, ret, g;
	static const int mock[NR_MOCK_ROLES][2] = {
		[MOCK00] = { 0, 0 }, [MOCK01] = { 0, 1 }, [MOCK10] = { 1, 0 },
	};

	for (i = 0; i < NR_MOCK_ROLES; i++) {
		if (!(roles & ROLE(i)))
			continue;
		ret = mock_find_dev(mock[i][0], mock[i][1], &md);
		if (ret)
			return ret;
		t->dev[i] = (struct role_dev){
			.present = true, .group = md.group,
			.inst = md.inst, .idx = md.index,
		};
		str_copy(t->dev[i].name, md.name, sizeof(t->dev[i].name));
	}
	if (roles & ROLE(EDU0)) {
		ret = edu_find(0, &edu);
		if (ret)
			return ret;
		t->dev[EDU0].present = true;
		t->dev[EDU0].group = edu.group;
		str_copy(t->dev[EDU0].name, edu.bdf, sizeof(t->dev[EDU0].name));
	}
	if (roles & ROLE(EMU0)) {
		g = mock_emu_group(0);
		if (g < 0)
			return g;
		t->dev[EMU0].present = true;
		t->dev[EMU0].group = g;
		str_copy(t->dev[EMU0].name, MOCK_EMU_NAME "0",
			 sizeof(t->dev[EMU0].name));
	}
	return 0;
}

FIXTURE_SETUP(fail_nth)
{
	struct nth *t;
	char path[64];
	unsigned int i;

	t = calloc(1, sizeof(*t));
	ASSERT_NE(NULL, t);
	self->t = t;
	t->sc = variant->sc;
	t->pg = page_size();
	t->nth_fd = -1;
	t->buf = MAP_FAILED;
	run_init(&t->r);
	if (!mdom_loaded())
		SKIP(return, "vfio_mdom.ko is not loaded");
	if (!mock_loaded())
		SKIP(return, "the mock IOMMU (vfio_mdom_mock_iommu) is not loaded");
	if (access(FI_SLAB "ignore-gfp-wait", W_OK) ||
	    access(FI_PAGE "min-order", W_OK))
		SKIP(return,
		     "no failslab or fail_page_alloc in debugfs (CONFIG_FAULT_INJECTION_DEBUG_FS)");
	if ((t->sc->roles & ROLE(EDU0)) && edu_count() < 1)
		SKIP(return, "no edu device bound to vfio-pci");
	ASSERT_EQ(0, find_roles(t, t->sc->roles));

	for (i = 0; i < NR_FI; i++) {
		ASSERT_EQ(0, read_line(fi_settings[i].path, t->fi_saved[i],
				       sizeof(t->fi_saved[i])));
		ASSERT_EQ(0, write_file(fi_settings[i].path,
					fi_settings[i].val)) {
			TH_LOG("%s", fi_settings[i].path);
		}
		t->fi_changed[i] = true;
	}
	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	t->nth_fd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, t->nth_fd);

	/* Populated once: the same pages for every run */
	t->buf = mmap(NULL, BUF_PAGES * t->pg, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, t->buf);
	for (i = 0; i < BUF_PAGES; i++)
		memset(buf_at(t, i), i + 1, t->pg);
	leak_mark(&t->mark);
}

FIXTURE_TEARDOWN(fail_nth)
{
	struct nth *t = self->t;
	unsigned int i;

	if (!t)
		return;
	if (t->nth_fd >= 0) {
		nth_disarm(t->nth_fd);
		close(t->nth_fd);
	}
	run_close(&t->r);
	for (i = NR_FI; i--;)
		if (t->fi_changed[i])
			write_file(fi_settings[i].path, t->fi_saved[i]);
	params_restore(&t->params);
	if (t->buf != MAP_FAILED)
		munmap(t->buf, BUF_PAGES * t->pg);
	free(t);
}

/*
 * Everything closed: nothing pinned, charged, mapped or counted as an
 * error. Cheaper than expect_no_leak(): pins are compared at once,
 * waited for only if they differ.
 */
static bool run_clean(struct nth *t, char *buf, size_t size)
{
	struct mock_counters now;
	long long pins = foll_pins_at(t->mark.pins);
	int moved, open_now = 0, n;
	long pinned = 0;

	if (pins != t->mark.pins)
		return diff(buf, size, "%lld pages left pinned",
			    pins - t->mark.pins);
	if (vmlck_kb() != t->mark.vmlck)
		return diff(buf, size, "locked_vm %ld KiB, was %ld", vmlck_kb(),
			    t->mark.vmlck);
	n = mdom_dbg_containers(getpid(), NULL, 0);
	if (n)
		return diff(buf, size, "%d vfio-mdom containers left", n);
	if (mock_counters(-1, &now))
		return diff(buf, size, "cannot read the mock's counters");
	moved = mock_counters_moved(&t->mark.counters, &now, true, false);
	if (moved >= 0)
		return diff(buf, size, "mock %s %lld, was %lld",
			    mock_counter_name(moved), now.v[moved],
			    t->mark.counters.v[moved]);
	if (t->dev[EMU0].present &&
	    (mock_emu_state(0, &open_now, &pinned) || open_now || pinned))
		return diff(buf, size,
			    "emulated device open %d, %ld pages pinned",
			    open_now, pinned);
	return true;
}

static void count_errno(struct nth *t, int err)
{
	unsigned int i;
	static const int known[] = { ENOMEM, ENOSPC, EFAULT, EINVAL, EIO,
				     ENODEV, EBUSY };

	for (i = 0; i < ARRAY_SIZE(known); i++)
		if (known[i] == err)
			t->errnos[i]++;
	t->failed++;
}

TEST_F_TIMEOUT(fail_nth, sweep, 1200)
{
	struct nth *t = self->t;
	const struct scenario *sc = t->sc;
	char why[512];
	unsigned int n, k;
	long left = 0;
	int ret;

	/* The reference: the call with no failure injected */
	ASSERT_EQ(0, sc->prepare(t)) TH_LOG("preparing %s", sc->what);
	ASSERT_EQ(0, snap_take(t, &t->before, -1));
	ret = sc->op(t);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", sc->what, strerror(-ret));
	ASSERT_EQ(0, snap_take(t, &t->ref, -1));
	t->ref_out = t->r.out;
	memcpy(t->ref_bitmap, t->r.bitmap, sizeof(t->ref_bitmap));
	if (sc->check)
		sc->check(_metadata, t, 0);
	run_close(&t->r);
	ASSERT_TRUE(run_clean(t, why, sizeof(why))) TH_LOG("%s", why);

	for (n = 1; n <= NTH_MAX; n++) {
		ASSERT_EQ(0, sc->prepare(t)) TH_LOG("preparing %s", sc->what);
		ASSERT_EQ(0, snap_take(t, &t->before, t->before.pins));
		t->r.out = 0;

		ASSERT_EQ(0, nth_arm(t->nth_fd, n));
		ret = sc->op(t);
		left = nth_disarm(t->nth_fd);
		ASSERT_LE(0, left);

		if (ret) {
			count_errno(t, -ret);
			EXPECT_EQ(-ENOMEM, ret) {
				TH_LOG("%s: allocation %u failed: %s", sc->what,
				       n, strerror(-ret));
			}
			ASSERT_EQ(0, snap_take(t, &t->after, t->before.pins));
			EXPECT_TRUE(snap_same(&t->before, &t->after, true, why,
					      sizeof(why))) {
				TH_LOG("%s: allocation %u failed (%s), yet the state changed: %s",
				       sc->what, n, strerror(-ret), why);
			}
		} else {
			if (!left)
				t->succeeded++;
			ASSERT_EQ(0, snap_take(t, &t->after, t->ref.pins));
			for (k = 0; k < NR_CONTAINERS; k++) {
				if (!t->after.open[k] ||
				    !info_lost_resv(t, &t->ref, &t->after, k))
					continue;
				t->resv_lost++;
				memcpy(t->after.info[k], t->ref.info[k],
				       sizeof(t->ref.info[k]));
				t->after.info_len[k] = t->ref.info_len[k];
			}
			EXPECT_TRUE(snap_same(&t->ref, &t->after, false, why,
					      sizeof(why))) {
				TH_LOG("%s: allocation %u failed, the call succeeded",
				       sc->what, n);
				TH_LOG("not as without failure: %s", why);
			}
			EXPECT_EQ(t->ref_out, t->r.out);
		}
		if (sc->check)
			sc->check(_metadata, t, ret);
		run_close(&t->r);
		EXPECT_TRUE(run_clean(t, why, sizeof(why))) {
			TH_LOG("%s: allocation %u failed (%s): once closed, %s",
			       sc->what, n, ret ? strerror(-ret) : "succeeded",
			       why);
		}
		t->runs++;
		if (left || _metadata->exit_code != KSFT_PASS)
			break;
	}
	if (_metadata->exit_code != KSFT_PASS)
		return;
	ASSERT_GT(left, 0) TH_LOG("%s: still failing after %u allocations",
				  sc->what, NTH_MAX);
	ASSERT_EQ(0, ret) TH_LOG("%s: fails with nothing injected", sc->what);
	ksft_print_msg("%s: %u injection points\n", sc->what, n - 1);
	ksft_print_msg("  %u failed with ENOMEM, %u with another errno, %u succeeded anyway\n",
		       t->errnos[0], t->failed - t->errnos[0], t->succeeded);
	if (t->resv_lost)
		ksft_print_msg("  %u of them without a reserved region (not allocated)\n",
			       t->resv_lost);
}

/*
 * After every sweep: kmemleak finds no leak (an object is reported once
 * it is KMEMLEAK_MIN_AGE_S old: the last runs' leaks need that long).
 */
FIXTURE(leaks)
{
	char report[16384];
};

FIXTURE_SETUP(leaks)
{
	if (!kmemleak_available())
		SKIP(return, "no kmemleak (CONFIG_DEBUG_KMEMLEAK)");
}

FIXTURE_TEARDOWN(leaks)
{
}

TEST_F_TIMEOUT(leaks, kmemleak, 300)
{
	ssize_t len;

	sleep(KMEMLEAK_MIN_AGE_S + 1);
	len = kmemleak_scan(self->report, sizeof(self->report));
	EXPECT_EQ(0, len) {
		TH_LOG("kmemleak: %s", len > 0 ? self->report : strerror(-len));
	}
}

TEST_HARNESS_MAIN
