// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom selftest: a container's release racing its ioctls, and the
 * invariant checker.
 *
 *   map_while_last_group_leaves
 *                  one thread maps a large buffer (VFIO_IOMMU_MAP_DMA,
 *                  pinning it all) while another takes the container's
 *                  only group away (VFIO_GROUP_UNSET_CONTAINER, or the
 *                  group fd closed, in turn), looped RACE_ROUNDS times
 *                  at varying delays. The buffer is new each round and
 *                  not populated, in transparent huge pages, and the
 *                  group is mock device 1.0's (2 MiB IOMMU pages): the
 *                  map spends its time pinning (faulting the memory in),
 *                  with no container lock held, not in the IOMMU.
 *                  VFIO calls the driver's ioctl with no lock against
 *                  its release: vfio-mdom's release waits for the map,
 *                  and a map entering after release began fails with
 *                  EINVAL, as on a container without an IOMMU.
 *                  The map succeeds or fails with EINVAL, never anything
 *                  else; nothing stays pinned or charged, and the kernel
 *                  log stays clean (KASAN: no use after free). Without
 *                  the fix, release freed the container under the map.
 *   checker_runs   with check_invariants on (make check loads vfio_mdom
 *                  with it; the test turns it on otherwise), a map, an
 *                  unmap and a group leaving are each checked: the
 *                  checks counter of debugfs vfio_mdom/invariants moves
 *                  and its violations counter does not.
 *
 * Needs vfio_mdom.ko and the mock IOMMU (devices 0.0 and 1.0).
 */
#include <pthread.h>

#include "mdom_test.h"

#define RACE_ROUNDS	8
#define RACE_BYTES	(64ULL << 20)
#define RACE_IOVA	0x40000000ULL
#define SMALL_BYTES	(64 * 4096ULL)
#define HUGE_BYTES	(2ULL << 20)
#define INVARIANTS	MDOM_DEBUGFS "/invariants"

struct rctx {
	bool ready;
	int fd;			/* the container */
	int gfd;		/* the mock device's group */
	struct mock_dev dev;	/* 0.0 */
	struct mock_dev big;	/* 1.0: 2 MiB IOMMU pages */
	uint8_t *buf;		/* a small buffer, populated */
	struct leak_mark mark;
	struct params params;
};

FIXTURE(release)
{
	struct rctx t;
};

FIXTURE_SETUP(release)
{
	struct rctx *t = &self->t;

	t->fd = -1;
	t->gfd = -1;
	t->buf = MAP_FAILED;
	if (!mdom_loaded())
		SKIP(return, "vfio_mdom.ko is not loaded");
	if (!mock_loaded())
		SKIP(return, "the mock IOMMU (vfio_mdom_mock_iommu) is not loaded");
	ASSERT_EQ(0, mock_find_dev(0, 0, &t->dev));
	ASSERT_EQ(0, mock_find_dev(1, 0, &t->big));
	t->buf = mmap(NULL, SMALL_BYTES, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, t->buf);
	leak_mark(&t->mark);
	t->ready = true;
}

FIXTURE_TEARDOWN(release)
{
	struct rctx *t = &self->t;

	if (t->gfd >= 0)
		close(t->gfd);
	if (t->fd >= 0)
		close(t->fd);
	if (t->buf != MAP_FAILED)
		munmap(t->buf, SMALL_BYTES);
	params_restore(&t->params);
	if (t->ready)
		expect_no_leak(&t->mark, false);
}

/* A container of this process with @dev's group, on vfio-mdom */
static void open_container(struct __test_metadata *_metadata, struct rctx *t,
			   const struct mock_dev *dev)
{
	t->fd = vfio_open_container();
	ASSERT_LE(0, t->fd);
	t->gfd = vfio_open_group(dev->group);
	ASSERT_LE(0, t->gfd) {
		TH_LOG("open /dev/vfio/%d: %s", dev->group, strerror(-t->gfd));
	}
	ASSERT_EQ(0, vfio_attach(t->fd, t->gfd, true, VFIO_TYPE1v2_IOMMU));
	expect_backend_mdom(t->fd);
}

struct mapper {
	int fd;
	void *buf;
	bool started;		/* __atomic */
	int err;
	uint64_t start_ms, end_ms;
};

static void *mapper_run(void *arg)
{
	struct mapper *m = arg;

	m->start_ms = now_ms();
	__atomic_store_n(&m->started, true, __ATOMIC_RELEASE);
	m->err = _vfio_map(m->fd, RACE_IOVA, RACE_BYTES, m->buf, VFIO_RW);
	m->end_ms = now_ms();
	return NULL;
}

/* RACE_BYTES of memory in huge pages, not faulted in yet */
static void *huge_buffer(void)
{
	uint8_t *p = mmap(NULL, RACE_BYTES + HUGE_BYTES, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t head;

	if (p == MAP_FAILED)
		return NULL;
	head = (HUGE_BYTES - ((uintptr_t)p & (HUGE_BYTES - 1))) &
	       (HUGE_BYTES - 1);
	if (head)
		munmap(p, head);
	munmap(p + head + RACE_BYTES, HUGE_BYTES - head);
	madvise(p + head, RACE_BYTES, MADV_HUGEPAGE);
	return p + head;
}

TEST_F_TIMEOUT(release, map_while_last_group_leaves, 600)
{
	struct rctx *t = &self->t;
	unsigned int round, overlapped = 0;
	uint64_t leave_ms;

	for (round = 0; round < RACE_ROUNDS; round++) {
		struct mapper m = { .buf = huge_buffer() };
		pthread_t thread;

		ASSERT_NE(NULL, m.buf);
		open_container(_metadata, t, &t->big);
		m.fd = t->fd;
		ASSERT_EQ(0, pthread_create(&thread, NULL, mapper_run, &m));
		while (!__atomic_load_n(&m.started, __ATOMIC_ACQUIRE))
			sched_yield();
		usleep(round * 20000);
		leave_ms = now_ms();
		/* The group leaves: the container's release runs. */
		if (round % 2) {
			EXPECT_EQ(0, _vfio_unset_container(t->gfd));
		} else {
			close(t->gfd);
			t->gfd = -1;
		}
		ASSERT_EQ(0, pthread_join(thread, NULL));
		EXPECT_TRUE(!m.err || m.err == -EINVAL) {
			TH_LOG("round %u: the map failed with %s", round,
			       strerror(-m.err));
		}
		if (leave_ms < m.end_ms)
			overlapped++;
		TH_LOG("round %u: map %s after %llu ms, the group left at %llu ms",
		       round, m.err ? strerror(-m.err) : "done",
		       ULL(m.end_ms - m.start_ms), ULL(leave_ms - m.start_ms));
		/* No IOMMU any more: VFIO answers itself. */
		EXPECT_EQ(-EINVAL, _vfio_map(t->fd, 0, 4096, t->buf, VFIO_RW));
		close(t->fd);
		t->fd = -1;
		if (t->gfd >= 0) {
			close(t->gfd);
			t->gfd = -1;
		}
		munmap(m.buf, RACE_BYTES);
		expect_no_leak(&t->mark, false);
	}
	/* The map lasts long enough that the group leaves during it. */
	EXPECT_LT(0, overlapped);
	TH_LOG("%u of %u rounds: the group left while the map ran",
	       overlapped, RACE_ROUNDS);
}

/* debugfs vfio_mdom/invariants: "checks N" or "violations N" */
static long long invariants(const char *key)
{
	char text[256], *p;
	size_t len = strlen(key);

	if (read_file(INVARIANTS, text, sizeof(text)) < 0)
		return -1;
	for (p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, len) && p[len] == ' ')
			return strtoll(p + len + 1, NULL, 10);
	return -1;
}

TEST_F(release, checker_runs)
{
	struct rctx *t = &self->t;
	long long checks, violations;
	uint64_t unmapped;

	if (param_get_bool(MDOM_MOD, "check_invariants") != 1)
		ASSERT_EQ(0, param_change(&t->params, MDOM_MOD,
					  "check_invariants", "Y"));
	checks = invariants("checks");
	violations = invariants("violations");
	ASSERT_LE(0, checks);
	ASSERT_LE(0, violations);

	open_container(_metadata, t, &t->dev);
	EXPECT_LT(checks, invariants("checks"));	/* the attach */
	checks = invariants("checks");
	vfio_map(t->fd, RACE_IOVA, 16 * 4096, t->buf);
	EXPECT_LT(checks, invariants("checks"));
	checks = invariants("checks");
	EXPECT_EQ(0, _vfio_unmap(t->fd, RACE_IOVA, 16 * 4096, 0, &unmapped));
	EXPECT_EQ(16 * 4096, unmapped);
	EXPECT_LT(checks, invariants("checks"));
	checks = invariants("checks");
	vfio_unset_container(t->gfd);			/* detach, release */
	EXPECT_LT(checks, invariants("checks"));
	EXPECT_EQ(violations, invariants("violations"));
}

TEST_HARNESS_MAIN
