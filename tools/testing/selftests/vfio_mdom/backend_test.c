// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom selftest: vfio-mdom as VFIO's IOMMU driver, and the input it
 * must refuse.
 *
 * vfio_mdom.ko registers with VFIO after vfio_iommu_type1, so VFIO asks it
 * first: a container whose VFIO_SET_IOMMU asks for VFIO_TYPE1_IOMMU or
 * VFIO_TYPE1v2_IOMMU is vfio-mdom's while the module parameter vfio_backend
 * is on, type1's while it is off or when vfio-mdom declines (a type it
 * does not implement, a group it cannot attach). These tests check which
 * driver serves each container (VFIO_MDOM_QUERY: ENOTTY on type1's), that
 * switching vfio_backend leaves open containers as they are, that groups
 * of a type1 container stay there, that the module cannot go while a
 * container uses it, that an emulated (mdev-style) group is served, and
 * that no-IOMMU mode and vfio-mdom's own parameters behave. Each refusal
 * is a clear errno and leaves nothing behind: every test ends with
 * nothing pinned or charged, no vfio-mdom container of this process and
 * the mock IOMMU's counters where they were.
 *
 * The mock IOMMU provides the groups: device J of instance I is "mI.J"
 * below. Needs vfio_mdom.ko and vfio_mdom_mock_iommu.ko loaded.
 */
#include <glob.h>
#include <sys/syscall.h>

#include "mdom_test.h"

#define NR_GROUPS	8

struct backend_ctx {
	struct params params;
	struct leak_mark mark;
	int gfd[NR_GROUPS];		/* mock I.J at [2 * I + J], or -1 */
	int emu_gfd;			/* the mock's emulated device 0 */
	struct mock_dev dev[NR_GROUPS];
	int fds[4];			/* containers, -1 when closed */
	uint8_t *buf;
};

FIXTURE(backend)
{
	struct backend_ctx ctx;
};

FIXTURE_SETUP(backend)
{
	struct backend_ctx *ctx = &self->ctx;
	unsigned int i;

	for (i = 0; i < NR_GROUPS; i++)
		ctx->gfd[i] = -1;
	ctx->emu_gfd = -1;
	for (i = 0; i < ARRAY_SIZE(ctx->fds); i++)
		ctx->fds[i] = -1;
	ctx->buf = MAP_FAILED;
	if (!mdom_loaded())
		SKIP(return, "vfio_mdom.ko is not loaded");
	if (!mock_loaded())
		SKIP(return, "the mock IOMMU (vfio_mdom_mock_iommu) is not loaded");
	ASSERT_EQ(1, mdom_backend_enabled());
	leak_mark(&ctx->mark);
	ctx->buf = mmap(NULL, 64 * SZ_4K, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, ctx->buf);
}

FIXTURE_TEARDOWN(backend)
{
	struct backend_ctx *ctx = &self->ctx;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ctx->fds); i++)
		if (ctx->fds[i] >= 0)
			close(ctx->fds[i]);
	for (i = 0; i < NR_GROUPS; i++)
		if (ctx->gfd[i] >= 0)
			close(ctx->gfd[i]);
	if (ctx->emu_gfd >= 0)
		close(ctx->emu_gfd);
	if (ctx->buf != MAP_FAILED)
		munmap(ctx->buf, 64 * SZ_4K);
	EXPECT_EQ(0, params_restore(&ctx->params));
	if (mdom_loaded() && mock_loaded()) {
		EXPECT_EQ(1, mdom_backend_enabled());
		expect_no_leak(&ctx->mark, false);
	}
}

/* The group fd of mock device @inst.@idx, opened on first use. */
static int group(struct __test_metadata *_metadata,
		 struct backend_ctx *ctx, int inst, int idx)
{
	int i = 2 * inst + idx;

	if (ctx->gfd[i] < 0) {
		EXPECT_EQ(0, mock_find_dev(inst, idx, &ctx->dev[i]));
		ctx->gfd[i] = vfio_open_group(ctx->dev[i].group);
		EXPECT_LE(0, ctx->gfd[i]);
	}
	return ctx->gfd[i];
}

/* Container @c (0-3): open it. */
static int container(struct __test_metadata *_metadata,
		     struct backend_ctx *ctx, unsigned int c)
{
	ctx->fds[c] = vfio_open_container();
	EXPECT_LE(0, ctx->fds[c]);
	return ctx->fds[c];
}

static void close_container(struct backend_ctx *ctx, unsigned int c)
{
	close(ctx->fds[c]);
	ctx->fds[c] = -1;
}

/* The first mapping of the tests: 4 pages at 1 MiB */
#define MAP1_IOVA	SZ_1M
#define MAP1_PAGES	4

/* This process's comm, as the debugfs shows it */
static void own_comm(char *buf, size_t size)
{
	if (read_line("/proc/self/comm", buf, size))
		buf[0] = '\0';
}

/*
 * TYPE1 and TYPE1v2 containers are vfio-mdom's: VFIO_MDOM_QUERY and the
 * debugfs describe them alike; what vfio-mdom does not implement
 * (nesting) it does not claim.
 */
TEST_F(backend, serves_type1_types)
{
	struct backend_ctx *ctx = &self->ctx;
	static const unsigned long types[] = { VFIO_TYPE1_IOMMU,
					       VFIO_TYPE1v2_IOMMU };
	struct vfio_iommu_type1_dirty_bitmap dirty = {
		.argsz = sizeof(dirty),
		.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START,
	};
	struct mdom_dbg_container dbg;
	struct mdom_state st;
	char comm[32];
	unsigned int i;
	int fd, g;

	own_comm(comm, sizeof(comm));
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		fd = container(_metadata, ctx, 0);
		g = group(_metadata, ctx, 0, 0);
		ASSERT_EQ(0, vfio_attach(fd, g, true, types[i]));
		expect_backend_mdom(fd);
		vfio_map(fd, MAP1_IOVA, MAP1_PAGES * SZ_4K, ctx->buf);

		mdom_query(fd, &st);
		EXPECT_EQ(types[i], st.q.iommu_type);
		EXPECT_EQ(1, st.q.num_domains);
		EXPECT_EQ(1, st.q.num_groups);
		EXPECT_EQ(ctx->dev[0].group, (int)st.groups[0].group_id);
		EXPECT_EQ(VFIO_MDOM_DIRTY_OFF, st.q.dirty_mode);
		EXPECT_EQ(0, st.q.num_vaddr_invalid);

		ASSERT_EQ(1, mdom_dbg_containers(getpid(), &dbg, 1));
		EXPECT_EQ(getpid(), dbg.pid);
		EXPECT_STREQ(comm, dbg.comm);
		EXPECT_EQ((int)types[i], dbg.type);
		EXPECT_EQ(1, dbg.mappings);
		EXPECT_EQ(MAP1_PAGES * SZ_4K, dbg.mapped_bytes);
		EXPECT_EQ(MAP1_PAGES, dbg.pinned_pages);
		EXPECT_EQ(st.q.locked_pages, dbg.locked_pages);
		EXPECT_EQ(st.q.shared_pages, dbg.shared_pages);
		EXPECT_EQ(st.q.dma_avail, dbg.dma_avail);
		EXPECT_STREQ("off", dbg.dirty);
		ASSERT_EQ(1, dbg.ndomains);
		EXPECT_EQ(st.domains[0].id, dbg.domains[0].id);
		EXPECT_STREQ("vfio_mdom_mock_iommu", dbg.domains[0].driver);
		EXPECT_EQ(st.domains[0].pgsize_bitmap, dbg.domains[0].pgsizes);
		EXPECT_EQ(MAP1_PAGES * SZ_4K, dbg.domains[0].mapped_bytes);
		EXPECT_TRUE(mdom_dbg_domain_has(&dbg.domains[0],
						ctx->dev[0].group));
		EXPECT_EQ(0, dbg.nemulated);

		/* Nesting is not vfio-mdom's (type1_divergences.rst) */
		EXPECT_EQ(0, vfio_check_extension(fd, VFIO_TYPE1_NESTING_IOMMU));
		EXPECT_EQ(1, vfio_check_extension(fd, VFIO_UPDATE_VADDR));
		EXPECT_EQ(1, vfio_check_extension(fd, VFIO_UNMAP_ALL));
		EXPECT_EQ(-1, ioctl(fd, _IO(VFIO_TYPE, VFIO_BASE + 99)));
		EXPECT_EQ(ENOTTY, errno);

		/*
		 * Dirty tracking, v2 only as in type1; mock instance 0
		 * cannot track: type1's rule, every pinned page dirty
		 */
		dirty.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START;
		if (types[i] == VFIO_TYPE1_IOMMU) {
			EXPECT_EQ(-1, ioctl(fd, VFIO_IOMMU_DIRTY_PAGES, &dirty));
			EXPECT_EQ(EACCES, errno);
		} else {
			ASSERT_EQ(0, ioctl(fd, VFIO_IOMMU_DIRTY_PAGES, &dirty));
			mdom_query(fd, &st);
			EXPECT_EQ(VFIO_MDOM_DIRTY_PINNED, st.q.dirty_mode);
			ASSERT_EQ(1, mdom_dbg_containers(getpid(), &dbg, 1));
			EXPECT_STREQ("pinned", dbg.dirty);
			dirty.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP;
			ASSERT_EQ(0, ioctl(fd, VFIO_IOMMU_DIRTY_PAGES, &dirty));
		}

		/* The last group leaving takes the container away */
		vfio_unset_container(g);
		EXPECT_EQ(0, mdom_dbg_containers(getpid(), NULL, 0));
		expect_pins(ctx->mark.pins);
		close_container(ctx, 0);
	}
}

/*
 * VFIO_TYPE1_NESTING_IOMMU is not vfio-mdom's: VFIO passes SET_IOMMU on
 * to type1, which fails to turn nesting on for an IOMMU that cannot nest
 * (the mock, as the Intel IOMMU of 6.12); nothing is left of the attempt
 * and the container can still be set up.
 */
TEST_F(backend, nesting_is_not_claimed)
{
	struct backend_ctx *ctx = &self->ctx;
	int fd = container(_metadata, ctx, 0), g;

	/* Before SET_IOMMU VFIO polls every driver: type1 says yes */
	EXPECT_EQ(1, vfio_check_extension(fd, VFIO_TYPE1_NESTING_IOMMU));
	g = group(_metadata, ctx, 0, 0);
	vfio_set_container(g, fd);
	vfio_set_iommu_err(EINVAL, fd, VFIO_TYPE1_NESTING_IOMMU);
	EXPECT_EQ(-EINVAL, _mdom_backend(fd));
	EXPECT_EQ(0, mdom_dbg_containers(getpid(), NULL, 0));
	vfio_set_iommu(fd, VFIO_TYPE1v2_IOMMU);
	expect_backend_mdom(fd);
	vfio_unset_container(g);
}

/*
 * vfio-mdom failing to attach the first group at VFIO_SET_IOMMU (here an
 * injected domain allocation failure) is not the end: VFIO asks the next
 * driver, type1, which serves the container. Nothing of vfio-mdom's
 * attempt stays.
 */
TEST_F(backend, failed_open_falls_to_type1)
{
	struct backend_ctx *ctx = &self->ctx;
	struct mock_counters c0, c1;
	int fd = container(_metadata, ctx, 0), g;

	g = group(_metadata, ctx, 0, 0);
	vfio_set_container(g, fd);
	ASSERT_EQ(0, mock_counters(0, &c0));
	ASSERT_EQ(0, mock_fail_domain_alloc(0, -ENOSPC));
	vfio_set_iommu(fd, VFIO_TYPE1v2_IOMMU);
	ASSERT_EQ(0, mock_counters(0, &c1));
	EXPECT_EQ(1, c1.v[MOCK_IOMMU_CNT_INJECTED_FAILURES] -
		     c0.v[MOCK_IOMMU_CNT_INJECTED_FAILURES]);
	expect_backend_type1(fd);
	EXPECT_EQ(0, mdom_dbg_containers(getpid(), NULL, 0));
	vfio_map(fd, MAP1_IOVA, MAP1_PAGES * SZ_4K, ctx->buf);
	EXPECT_EQ(0, mock_domain_covers(mock_dev_domain(0, 0), MAP1_IOVA,
					MAP1_PAGES * SZ_4K,
					MOCK_PROT_RW | MOCK_PROT_CACHE,
					ctx->buf));
	vfio_unmap(fd, MAP1_IOVA, MAP1_PAGES * SZ_4K);
	vfio_unset_container(g);
}

/*
 * vfio_backend switched while containers are open: they keep their
 * driver and keep working, groups still join them; new containers follow
 * the switch.
 */
TEST_F(backend, switch_while_open)
{
	struct backend_ctx *ctx = &self->ctx;
	struct mdom_state st;
	int a, b, c, n;

	/* A: vfio-mdom */
	a = container(_metadata, ctx, 0);
	ASSERT_EQ(0, vfio_attach(a, group(_metadata, ctx, 0, 0), true,
				 VFIO_TYPE1v2_IOMMU));
	expect_backend_mdom(a);
	vfio_map(a, MAP1_IOVA, MAP1_PAGES * SZ_4K, ctx->buf);

	ASSERT_EQ(0, mdom_set_backend(&ctx->params, false));
	ASSERT_EQ(0, mdom_backend_enabled());
	/* A works on, and a group still joins it */
	vfio_map(a, SZ_2M, SZ_4K, ctx->buf + 8 * SZ_4K);
	vfio_set_container(group(_metadata, ctx, 0, 1), a);
	mdom_query(a, &st);
	EXPECT_EQ(2, st.q.num_groups);
	EXPECT_EQ(2, st.q.num_mappings);
	EXPECT_EQ(1, mdom_dbg_containers(getpid(), NULL, 0));
	EXPECT_EQ(0, mock_domain_covers(mock_dev_domain(0, 1), SZ_2M, SZ_4K,
					MOCK_PROT_RW | MOCK_PROT_CACHE,
					ctx->buf + 8 * SZ_4K));
	vfio_unmap(a, SZ_2M, SZ_4K);

	/* B, opened now: type1 */
	b = container(_metadata, ctx, 1);
	EXPECT_EQ(1, vfio_check_extension(b, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(0, vfio_attach(b, group(_metadata, ctx, 1, 0), true,
				 VFIO_TYPE1v2_IOMMU));
	expect_backend_type1(b);
	vfio_map(b, MAP1_IOVA, MAP1_PAGES * SZ_4K, ctx->buf + 16 * SZ_4K);

	ASSERT_EQ(0, mdom_set_backend(&ctx->params, true));
	/* B stays type1's, with a new group too; A stays vfio-mdom's */
	expect_backend_type1(b);
	vfio_set_container(group(_metadata, ctx, 1, 1), b);
	expect_backend_type1(b);
	EXPECT_EQ(0, mock_domain_covers(mock_dev_domain(1, 1), MAP1_IOVA,
					MAP1_PAGES * SZ_4K,
					MOCK_PROT_RW | MOCK_PROT_CACHE,
					ctx->buf + 16 * SZ_4K));
	expect_backend_mdom(a);

	/* C, opened now: vfio-mdom */
	c = container(_metadata, ctx, 2);
	ASSERT_EQ(0, vfio_attach(c, group(_metadata, ctx, 3, 0), true,
				 VFIO_TYPE1v2_IOMMU));
	expect_backend_mdom(c);
	n = mdom_dbg_containers(getpid(), NULL, 0);
	EXPECT_EQ(2, n);

	vfio_unmap_all(b);
	vfio_unmap_all(a);
}

/*
 * Groups of a type1 container stay in it: they cannot join a vfio-mdom
 * container, nor can a vfio-mdom container's groups join it; a new group
 * joining a type1 container is type1's whatever vfio_backend says.
 */
TEST_F(backend, type1_container_groups)
{
	struct backend_ctx *ctx = &self->ctx;
	unsigned int dt, dm;
	int t, m;

	ASSERT_EQ(0, mdom_set_backend(&ctx->params, false));
	t = container(_metadata, ctx, 0);
	ASSERT_EQ(0, vfio_attach(t, group(_metadata, ctx, 0, 0), true,
				 VFIO_TYPE1v2_IOMMU));
	expect_backend_type1(t);
	ASSERT_EQ(0, mdom_set_backend(&ctx->params, true));
	m = container(_metadata, ctx, 1);
	ASSERT_EQ(0, vfio_attach(m, group(_metadata, ctx, 1, 0), true,
				 VFIO_TYPE1v2_IOMMU));
	expect_backend_mdom(m);

	vfio_set_container_err(EINVAL, group(_metadata, ctx, 0, 0), m);
	vfio_set_container_err(EINVAL, group(_metadata, ctx, 1, 0), t);
	vfio_map(t, MAP1_IOVA, MAP1_PAGES * SZ_4K, ctx->buf);
	vfio_map(m, MAP1_IOVA, MAP1_PAGES * SZ_4K, ctx->buf);

	/* m0.1 joins type1's container, m3.0 (twin of m0) vfio-mdom's */
	vfio_set_container(group(_metadata, ctx, 0, 1), t);
	expect_backend_type1(t);
	vfio_set_container(group(_metadata, ctx, 3, 0), m);
	dt = mock_dev_domain(0, 1);
	dm = mock_dev_domain(3, 0);
	ASSERT_NE(0, dt);
	ASSERT_NE(0, dm);
	EXPECT_NE(dt, dm);
	EXPECT_EQ(dt, mock_dev_domain(0, 0));
	EXPECT_EQ(0, mock_domain_covers(dt, MAP1_IOVA, MAP1_PAGES * SZ_4K,
					MOCK_PROT_RW | MOCK_PROT_CACHE,
					ctx->buf));
	EXPECT_EQ(0, mock_domain_covers(dm, MAP1_IOVA, MAP1_PAGES * SZ_4K,
					MOCK_PROT_RW | MOCK_PROT_CACHE,
					ctx->buf));
	/* Each page pinned by both containers, charged by both */
	expect_pins(ctx->mark.pins + 2 * MAP1_PAGES);
	vfio_unmap_all(t);
	vfio_unmap_all(m);
}

static long module_refcnt(const char *mod)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", mod);
	return read_line(path, buf, sizeof(buf)) ? -1 : atol(buf);
}

/* delete_module(2) as rmmod calls it: -errno, or 0 if it unloaded */
static int try_unload(const char *mod)
{
	return syscall(SYS_delete_module, mod, O_NONBLOCK) ? -errno : 0;
}

/*
 * vfio_mdom cannot be unloaded while one of its containers is open,
 * vfio_backend on or off: the kernel refuses with EWOULDBLOCK, the
 * errno behind rmmod's "Module vfio_mdom is in use", and the container
 * works on.
 */
TEST_F(backend, unload_refused_while_open)
{
	struct backend_ctx *ctx = &self->ctx;
	long refs = module_refcnt(MDOM_MOD);
	struct mdom_state st;
	int fd, err;

	ASSERT_LE(0, refs);
	fd = container(_metadata, ctx, 0);
	ASSERT_EQ(0, vfio_attach(fd, group(_metadata, ctx, 0, 0), true,
				 VFIO_TYPE1v2_IOMMU));
	expect_backend_mdom(fd);
	EXPECT_LT(refs, module_refcnt(MDOM_MOD));

	err = try_unload(MDOM_MOD);
	ASSERT_NE(0, err) TH_LOG("vfio_mdom was unloaded under a container");
	EXPECT_EQ(-EWOULDBLOCK, err);
	ASSERT_EQ(0, mdom_set_backend(&ctx->params, false));
	err = try_unload(MDOM_MOD);
	ASSERT_NE(0, err) TH_LOG("vfio_mdom was unloaded under a container");
	EXPECT_EQ(-EWOULDBLOCK, err);

	vfio_map(fd, MAP1_IOVA, MAP1_PAGES * SZ_4K, ctx->buf);
	mdom_query(fd, &st);
	EXPECT_EQ(1, st.q.num_mappings);
	vfio_unmap_all(fd);
	close_container(ctx, 0);
	close(ctx->gfd[0]);
	ctx->gfd[0] = -1;
	EXPECT_EQ(refs, module_refcnt(MDOM_MOD));
}

#define NOIOMMU_PARAM		"enable_unsafe_noiommu_mode"

/*
 * No-IOMMU mode (CONFIG_VFIO_NOIOMMU, vfio.enable_unsafe_noiommu_mode):
 * VFIO gives no-IOMMU groups only to its vfio-noiommu driver and keeps
 * them out of containers with real groups, so vfio-mdom never sees one;
 * asking a container with a real group for VFIO_NOIOMMU_IOMMU fails and
 * changes nothing.
 *
 * A no-IOMMU group needs a device without an IOMMU, bound to a VFIO
 * driver while the mode is on. This guest has none (every PCI device sits
 * behind the Intel vIOMMU, every mock device behind a mock IOMMU): the
 * part for such a group runs only where /dev/vfio/noiommu-N exists.
 */
TEST_F(backend, noiommu_mode)
{
	struct backend_ctx *ctx = &self->ctx;
	glob_t gl;
	int fd, g, ng, ret;

	if (param_get_bool("vfio", NOIOMMU_PARAM) < 0)
		SKIP(return, "kernel without CONFIG_VFIO_NOIOMMU");
	ASSERT_EQ(0, param_change(&ctx->params, "vfio", NOIOMMU_PARAM, "Y"));

	fd = container(_metadata, ctx, 0);
	/* vfio-noiommu answers the poll now */
	EXPECT_EQ(1, vfio_check_extension(fd, VFIO_NOIOMMU_IOMMU));
	g = group(_metadata, ctx, 0, 0);
	vfio_set_container(g, fd);
	vfio_set_iommu_err(ENODEV, fd, VFIO_NOIOMMU_IOMMU);
	EXPECT_EQ(-EINVAL, _mdom_backend(fd));
	EXPECT_EQ(0, mdom_dbg_containers(getpid(), NULL, 0));
	vfio_set_iommu(fd, VFIO_TYPE1v2_IOMMU);
	expect_backend_mdom(fd);

	ret = glob("/dev/vfio/noiommu-*", 0, NULL, &gl);
	if (ret) {
		TH_LOG("no no-IOMMU group in this machine");
		vfio_unset_container(g);
		return;
	}
	ng = open(gl.gl_pathv[0], O_RDWR | O_CLOEXEC);
	globfree(&gl);
	ASSERT_LE(0, ng);
	/* Real and no-IOMMU groups do not mix */
	vfio_set_container_err(EPERM, ng, fd);
	vfio_unset_container(g);
	/* A no-IOMMU container is never vfio-mdom's */
	vfio_set_container(ng, fd);
	vfio_set_iommu_err(ENODEV, fd, VFIO_TYPE1v2_IOMMU);
	vfio_set_iommu(fd, VFIO_NOIOMMU_IOMMU);
	EXPECT_EQ(-ENOTTY, _mdom_backend(fd));
	vfio_unset_container(ng);
	close(ng);
}

/*
 * vfio-mdom's own allow_unsafe_interrupts, apart from type1's: m2.x's
 * MSIs are not isolated. Refused by both: EPERM. Allowed by vfio-mdom
 * only: vfio-mdom serves. Allowed by type1 only: vfio-mdom refuses, VFIO
 * asks type1 next, which serves.
 */
TEST_F(backend, unsafe_interrupts)
{
	struct backend_ctx *ctx = &self->ctx;
	int fd, g;

	ASSERT_EQ(0, params_set_both(&ctx->params, "allow_unsafe_interrupts",
				     "N"));
	g = group(_metadata, ctx, 2, 0);
	fd = container(_metadata, ctx, 0);
	vfio_set_container(g, fd);
	vfio_set_iommu_err(EPERM, fd, VFIO_TYPE1v2_IOMMU);
	EXPECT_EQ(0, mdom_dbg_containers(getpid(), NULL, 0));

	/* As a later group */
	ASSERT_EQ(0, vfio_attach(fd, group(_metadata, ctx, 0, 0), false, 0));
	vfio_unset_container(g);
	vfio_set_iommu(fd, VFIO_TYPE1v2_IOMMU);
	expect_backend_mdom(fd);
	vfio_set_container_err(EPERM, g, fd);
	ASSERT_EQ(0, param_set(MDOM_MOD, "allow_unsafe_interrupts", "Y"));
	vfio_set_container(g, fd);
	vfio_unset_container(g);
	vfio_unset_container(group(_metadata, ctx, 0, 0));

	/* First group, vfio-mdom allows: vfio-mdom's */
	vfio_set_container(g, fd);
	vfio_set_iommu(fd, VFIO_TYPE1v2_IOMMU);
	expect_backend_mdom(fd);
	vfio_unset_container(g);

	/* First group, only type1 allows: type1's */
	ASSERT_EQ(0, param_set(MDOM_MOD, "allow_unsafe_interrupts", "N"));
	ASSERT_EQ(0, param_set(TYPE1_MOD, "allow_unsafe_interrupts", "Y"));
	vfio_set_container(g, fd);
	vfio_set_iommu(fd, VFIO_TYPE1v2_IOMMU);
	expect_backend_type1(fd);
	vfio_unset_container(g);
}

/* vfio-mdom's own dma_entry_limit, taken by each container as it opens */
TEST_F(backend, dma_entry_limit)
{
	struct backend_ctx *ctx = &self->ctx;
	struct vfio_iommu_type1_info_dma_avail *avail;
	struct vfio_iommu_type1_info *info;
	int a, b, i;
	uint32_t len;

	a = container(_metadata, ctx, 0);
	ASSERT_EQ(0, vfio_attach(a, group(_metadata, ctx, 0, 0), true,
				 VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(0, param_change(&ctx->params, MDOM_MOD, "dma_entry_limit",
				  "2"));
	b = container(_metadata, ctx, 1);
	ASSERT_EQ(0, vfio_attach(b, group(_metadata, ctx, 1, 0), true,
				 VFIO_TYPE1v2_IOMMU));
	expect_backend_mdom(b);
	for (i = 0; i < 2; i++)
		vfio_map(b, SZ_1M * (i + 1), SZ_4K, ctx->buf);
	vfio_map_err(ENOSPC, b, 8 * SZ_1M, SZ_4K, ctx->buf, VFIO_RW);
	ASSERT_EQ(0, vfio_get_info_all(b, &info, &len));
	avail = (void *)vfio_info_cap(info, len,
				      VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	ASSERT_NE(NULL, avail);
	EXPECT_EQ(0, avail->avail);
	free(info);
	/* A, opened before: the old limit */
	for (i = 0; i < 3; i++)
		vfio_map(a, SZ_1M * (i + 1), SZ_4K, ctx->buf);
	vfio_unmap_all(a);
	vfio_unmap_all(b);
}

/*
 * An emulated (mdev-style) group, the mock's emulated device 0: no IOMMU,
 * so no domain. It joins a vfio-mdom container as the first group and the
 * container serves it alone (VFIO_MDOM_QUERY lists it with domain 0, the
 * debugfs on its emulated_groups line); a real group joins it later. The
 * device pins pages through vfio_pin_pages() and moves data with
 * vfio_dma_rw(): only mapped IOVAs, only with the mapping's permissions,
 * each refusal an errno; an unmap of pages it holds makes VFIO ask it to
 * let go (dma_unmap) first; closing the device unpins the rest.
 */
TEST_F(backend, emulated_group)
{
	struct backend_ctx *ctx = &self->ctx;
	struct mdom_dbg_container dbg;
	uint64_t iova, length;
	struct mdom_state st;
	int fd, eg, egroup, dfd, open_now;
	char data[64], got[64];
	long pinned;

	egroup = mock_emu_group(0);
	if (egroup == -ENOENT)
		SKIP(return, "the mock IOMMU has no emulated device");
	ASSERT_LE(0, egroup);
	eg = vfio_open_group(egroup);
	ASSERT_LE(0, eg);
	ctx->emu_gfd = eg;

	fd = container(_metadata, ctx, 0);
	ASSERT_EQ(0, vfio_attach(fd, eg, true, VFIO_TYPE1v2_IOMMU));
	expect_backend_mdom(fd);
	mdom_query(fd, &st);
	EXPECT_EQ(0, st.q.num_domains);
	ASSERT_EQ(1, st.q.num_groups);
	EXPECT_EQ(egroup, (int)st.groups[0].group_id);
	EXPECT_EQ(0, st.groups[0].domain_id);
	ASSERT_EQ(1, mdom_dbg_containers(getpid(), &dbg, 1));
	EXPECT_EQ(0, dbg.ndomains);
	ASSERT_EQ(1, dbg.nemulated);
	EXPECT_EQ(egroup, dbg.emulated[0]);

	vfio_map(fd, SZ_1M, 4 * SZ_4K, ctx->buf);
	ASSERT_EQ(0, _vfio_map(fd, SZ_2M, SZ_4K, ctx->buf + 8 * SZ_4K,
			       VFIO_DMA_MAP_FLAG_READ));
	/* A real group joins: a domain with everything replayed */
	vfio_set_container(group(_metadata, ctx, 0, 0), fd);
	mdom_query(fd, &st);
	EXPECT_EQ(1, st.q.num_domains);
	EXPECT_EQ(2, st.q.num_groups);
	EXPECT_EQ(0, mdom_state_group_domain(&st, egroup));
	EXPECT_EQ(0, mock_domain_covers(mock_dev_domain(0, 0), SZ_1M,
					4 * SZ_4K,
					MOCK_PROT_RW | MOCK_PROT_CACHE,
					ctx->buf));

	/* Closed device: nothing to pin with (the mock refuses) */
	EXPECT_EQ(-ENOTCONN, mock_emu_pin(0, SZ_1M, 1, "rw"));
	dfd = vfio_device_fd(eg, MOCK_EMU_NAME "0");
	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, mock_emu_reset_unmap_calls(0));

	/* Pins: mapped pages only, with the mapping's permissions */
	ASSERT_EQ(0, mock_emu_pin(0, SZ_1M, 2, "rw"));
	ASSERT_EQ(0, mock_emu_pin(0, SZ_2M, 1, "r"));
	EXPECT_EQ(-EPERM, mock_emu_pin(0, SZ_2M, 1, "w"));
	EXPECT_EQ(-EINVAL, mock_emu_pin(0, 3 * SZ_1M, 1, "r"));
	EXPECT_EQ(-EINVAL, mock_emu_pin(0, SZ_1M + 3 * SZ_4K, 2, "r"));
	ASSERT_EQ(0, mock_emu_state(0, &open_now, &pinned));
	EXPECT_EQ(1, open_now);
	EXPECT_EQ(3, pinned);
	/* Already pinned for the domain: pinned and charged once */
	EXPECT_EQ(ctx->mark.vmlck + 5 * (long)SZ_4K / 1024, vmlck_kb());

	/* vfio_dma_rw(): both ways through mapped IOVAs only */
	memset(data, 0x3c, sizeof(data));
	ASSERT_EQ(0, mock_emu_dma(0, SZ_1M + 100, data, sizeof(data), true));
	EXPECT_EQ(0, memcmp(ctx->buf + 100, data, sizeof(data)));
	memset(ctx->buf + 8 * SZ_4K, 0x77, 64);
	ASSERT_EQ(0, mock_emu_dma(0, SZ_2M, got, sizeof(got), false));
	EXPECT_EQ(0x77, got[0]);
	EXPECT_EQ(-EPERM, mock_emu_dma(0, SZ_2M, data, sizeof(data), true));
	EXPECT_EQ(-EINVAL,
		  mock_emu_dma(0, 3 * SZ_1M, got, sizeof(got), false));

	/* Unmapping pinned pages: VFIO asks the device to let go first */
	vfio_unmap(fd, SZ_1M, 4 * SZ_4K);
	EXPECT_EQ(1, mock_emu_unmap_calls(0, &iova, &length));
	EXPECT_EQ(SZ_1M, iova);
	EXPECT_EQ(4 * SZ_4K, length);
	ASSERT_EQ(0, mock_emu_state(0, &open_now, &pinned));
	EXPECT_EQ(1, pinned);
	EXPECT_EQ(-EINVAL, mock_emu_dma(0, SZ_1M, got, sizeof(got), false));
	EXPECT_EQ(0, mock_domain_xlates_in(mock_dev_domain(0, 0), SZ_1M,
					   4 * SZ_4K));

	/* Closing the device unpins the rest */
	close(dfd);
	ASSERT_EQ(0, mock_emu_state(0, &open_now, &pinned));
	EXPECT_EQ(0, open_now);
	EXPECT_EQ(0, pinned);
	vfio_unmap_all(fd);
	EXPECT_EQ(ctx->mark.vmlck, vmlck_kb());
}

TEST_HARNESS_MAIN
