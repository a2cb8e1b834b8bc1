// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom selftest: the container event file (VFIO_MDOM_EVENTS). A VMM
 * hears of domains added and removed, with the count before and after
 * (the first and the last one too), of the valid IOVA ranges and page
 * sizes changing, and of replays; it never has to poll GET_INFO. The file
 * and the container close in either order. On the mock IOMMU: instance 0
 * (4K, 39 bits, an MSI window) and instance 1 (4K|2M|1G, 48 bits, no
 * reserved region) never share a domain, and the emulated device gives a
 * container with no domain at all.
 */
#include <pthread.h>

#include "mdom_test.h"

#define MAP_IOVA	SZ_1M
#define MAP_SIZE	SZ_1M

FIXTURE(events)
{
	/* mock instances 0 and 1, device 0, and the emulated device's group */
	struct mock_pair m;
	int efd;
	struct leak_mark mark;
};

FIXTURE_SETUP(events)
{
	mock_pair_init(&self->m);
	self->efd = -1;
	if (!mdom_loaded())
		SKIP(return, "vfio_mdom.ko is not loaded");
	if (!mock_loaded())
		SKIP(return, "the mock IOMMU is not loaded");
	leak_mark(&self->mark);
	ASSERT_EQ(0, mock_pair_open(&self->m, true, MAP_SIZE));
}

FIXTURE_TEARDOWN(events)
{
	bool opened = self->m.container >= 0;

	if (self->efd >= 0)
		close(self->efd);
	mock_pair_close(&self->m);
	if (opened)
		expect_no_leak(&self->mark, false);
}

/* The domain id group @group is attached to, from VFIO_MDOM_QUERY */
static long group_domain(struct __test_metadata *_metadata, int container,
			 int group)
{
	struct mdom_state st;

	mdom_query(container, &st);
	return mdom_state_group_domain(&st, group);
}

/*
 * A second domain: replayed, then added (1 -> 2); the ranges and page
 * sizes the two share are those of the first, so nothing else. The first
 * leaves: removed (2 -> 1), and the ranges and page sizes grow to the
 * second's. The last leaves, which releases the container: removed
 * (1 -> 0), then end of file.
 */
TEST_F(events, domains_one_two_one_zero)
{
	struct vfio_mdom_event ev[EV_MAX];
	long d0, d1;
	bool eof;
	int n, i;

	ASSERT_EQ(0, vfio_attach(self->m.container, self->m.gfd[0], true,
				 VFIO_TYPE1v2_IOMMU));
	self->efd = events_open(self->m.container, 0, 0);
	ASSERT_LE(0, self->efd) TH_LOG("VFIO_MDOM_EVENTS: %s",
				       strerror(-self->efd));
	/* One file per container */
	EXPECT_EQ(-EBUSY, events_open(self->m.container, 0, 0));
	EXPECT_EQ(0, events_poll(self->efd));
	EXPECT_EQ(0, events_drain(self->efd, ev, EV_MAX, &eof));
	EXPECT_FALSE(eof);
	vfio_map(self->m.container, MAP_IOVA, MAP_SIZE, self->m.buf);
	d0 = group_domain(_metadata, self->m.container, self->m.dev[0].group);

	ASSERT_EQ(0, vfio_attach(self->m.container, self->m.gfd[1], false, 0));
	d1 = group_domain(_metadata, self->m.container, self->m.dev[1].group);
	ASSERT_NE(d0, d1);
	EXPECT_EQ(POLLIN, events_poll(self->efd));
	n = events_drain(self->efd, ev, EV_MAX, &eof);
	ASSERT_EQ(2, n);
	EXPECT_EQ(VFIO_MDOM_EVENT_REPLAY, ev[0].type);
	EXPECT_EQ(d1, ev[0].domain_id);
	EXPECT_EQ(0, ev[0].replay.error);
	EXPECT_EQ(1, ev[0].replay.nr_mappings);
	EXPECT_EQ(MAP_SIZE, ev[0].replay.bytes);
	EXPECT_EQ(VFIO_MDOM_EVENT_DOMAIN_ADDED, ev[1].type);
	EXPECT_EQ(d1, ev[1].domain_id);
	EXPECT_EQ(1, ev[1].domain.nr_before);
	EXPECT_EQ(2, ev[1].domain.nr_after);
	EXPECT_EQ(0, ev[0].seq);
	EXPECT_EQ(1, ev[1].seq);
	EXPECT_LE(ev[0].time_ns, ev[1].time_ns);

	/* The 4K-only, 39-bit domain with the MSI hole leaves */
	ASSERT_EQ(0, _vfio_unset_container(self->m.gfd[0]));
	n = events_drain(self->efd, ev, EV_MAX, &eof);
	ASSERT_EQ(3, n);
	EXPECT_EQ(VFIO_MDOM_EVENT_DOMAIN_REMOVED, ev[0].type);
	EXPECT_EQ(d0, ev[0].domain_id);
	EXPECT_EQ(2, ev[0].domain.nr_before);
	EXPECT_EQ(1, ev[0].domain.nr_after);
	EXPECT_EQ(VFIO_MDOM_EVENT_IOVA_RANGES, ev[1].type);
	EXPECT_EQ(2, ev[1].ranges.nr_before);
	EXPECT_EQ(1, ev[1].ranges.nr_after);
	EXPECT_EQ(0, ev[1].ranges.first);
	EXPECT_EQ((1ULL << 48) - 1, ev[1].ranges.last);
	EXPECT_EQ(VFIO_MDOM_EVENT_PGSIZES, ev[2].type);
	EXPECT_EQ(SZ_4K, ev[2].pgsizes.before);
	EXPECT_EQ(SZ_4K | SZ_2M | SZ_1G, ev[2].pgsizes.after);
	for (i = 0; i < n; i++)
		EXPECT_EQ(2 + i, ev[i].seq);

	/* The last group leaves: the container is released, then EOF */
	vfio_unmap_all(self->m.container);
	ASSERT_EQ(0, _vfio_unset_container(self->m.gfd[1]));
	n = events_drain(self->efd, ev, EV_MAX, &eof);
	ASSERT_LE(1, n);
	EXPECT_EQ(VFIO_MDOM_EVENT_DOMAIN_REMOVED, ev[0].type);
	EXPECT_EQ(d1, ev[0].domain_id);
	EXPECT_EQ(1, ev[0].domain.nr_before);
	EXPECT_EQ(0, ev[0].domain.nr_after);
	EXPECT_EQ(-ENOENT, events_find(ev, n, 1, VFIO_MDOM_EVENT_DOMAIN_ADDED));
	EXPECT_TRUE(eof);
	EXPECT_EQ(POLLHUP, events_poll(self->efd));
	/* A blocking read does not block once the container is gone */
	EXPECT_EQ(0, read(self->efd, ev, sizeof(ev)));
}

/*
 * A container with only an emulated group has no domain: the first IOMMU
 * group gives it one (0 -> 1), replayed from the mappings made before, and
 * the ranges and page sizes go from "anything" to that IOMMU's; its
 * leaving goes back to 0.
 */
TEST_F(events, domains_zero_one_zero)
{
	struct vfio_mdom_event ev[EV_MAX];
	int n, added, replay, ranges, pgsizes;
	bool eof;
	long d;

	ASSERT_EQ(0, vfio_attach(self->m.container, self->m.egfd, true,
				 VFIO_TYPE1v2_IOMMU));
	self->efd = events_open(self->m.container, 0, 0);
	ASSERT_LE(0, self->efd);
	vfio_map(self->m.container, MAP_IOVA, MAP_SIZE, self->m.buf);
	EXPECT_EQ(0, events_drain(self->efd, ev, EV_MAX, NULL));

	ASSERT_EQ(0, vfio_attach(self->m.container, self->m.gfd[1], false, 0));
	d = group_domain(_metadata, self->m.container, self->m.dev[1].group);
	ASSERT_LT(0, d);
	n = events_drain(self->efd, ev, EV_MAX, NULL);
	replay = events_find(ev, n, 0, VFIO_MDOM_EVENT_REPLAY);
	added = events_find(ev, n, 0, VFIO_MDOM_EVENT_DOMAIN_ADDED);
	ranges = events_find(ev, n, 0, VFIO_MDOM_EVENT_IOVA_RANGES);
	pgsizes = events_find(ev, n, 0, VFIO_MDOM_EVENT_PGSIZES);
	ASSERT_EQ(0, replay);
	ASSERT_EQ(1, added);
	EXPECT_EQ(d, ev[replay].domain_id);
	EXPECT_EQ(0, ev[replay].replay.error);
	EXPECT_EQ(1, ev[replay].replay.nr_mappings);
	EXPECT_EQ(d, ev[added].domain_id);
	EXPECT_EQ(0, ev[added].domain.nr_before);
	EXPECT_EQ(1, ev[added].domain.nr_after);
	ASSERT_LT(added, ranges);
	EXPECT_EQ(0, ev[ranges].ranges.first);
	EXPECT_EQ((1ULL << 48) - 1, ev[ranges].ranges.last);
	ASSERT_LT(added, pgsizes);
	EXPECT_EQ(SZ_4K | SZ_2M | SZ_1G, ev[pgsizes].pgsizes.after);

	ASSERT_EQ(0, _vfio_unset_container(self->m.gfd[1]));
	n = events_drain(self->efd, ev, EV_MAX, &eof);
	ASSERT_LE(1, n);
	EXPECT_EQ(VFIO_MDOM_EVENT_DOMAIN_REMOVED, ev[0].type);
	EXPECT_EQ(d, ev[0].domain_id);
	EXPECT_EQ(1, ev[0].domain.nr_before);
	EXPECT_EQ(0, ev[0].domain.nr_after);
	EXPECT_FALSE(eof);

	vfio_unmap_all(self->m.container);
	ASSERT_EQ(0, _vfio_unset_container(self->m.egfd));
	n = events_drain(self->efd, ev, EV_MAX, &eof);
	EXPECT_EQ(0, n);
	EXPECT_TRUE(eof);
}

/* A failed replay is reported, and no domain is added */
TEST_F(events, replay_failed)
{
	struct vfio_mdom_event ev[EV_MAX];
	int n;

	ASSERT_EQ(0, vfio_attach(self->m.container, self->m.gfd[0], true,
				 VFIO_TYPE1v2_IOMMU));
	self->efd = events_open(self->m.container, 0, 0);
	ASSERT_LE(0, self->efd);
	vfio_map(self->m.container, MAP_IOVA, MAP_SIZE, self->m.buf);
	/* Instance 1's first map fails: the replay into its new domain */
	ASSERT_EQ(0, mock_fail_nth_map(1, 1, -ENOMEM));
	EXPECT_NE(0, _vfio_set_container(self->m.gfd[1], self->m.container));
	mock_fail_nth_map(1, 0, 0);
	n = events_drain(self->efd, ev, EV_MAX, NULL);
	ASSERT_EQ(1, n);
	EXPECT_EQ(VFIO_MDOM_EVENT_REPLAY, ev[0].type);
	EXPECT_EQ(-ENOMEM, ev[0].replay.error);
	EXPECT_NE(0, ev[0].domain_id);
	EXPECT_EQ(-ENOENT, events_find(ev, n, 0, VFIO_MDOM_EVENT_DOMAIN_ADDED));
	vfio_unmap_all(self->m.container);
}

/*
 * The file closed first: the container goes on, and a new file can be
 * opened, which hears only of what happens after it was opened.
 */
TEST_F(events, file_closed_first)
{
	struct vfio_mdom_event ev[EV_MAX];
	int fd, n;

	ASSERT_EQ(0, vfio_attach(self->m.container, self->m.gfd[0], true,
				 VFIO_TYPE1v2_IOMMU));
	fd = events_open(self->m.container, 0, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vfio_attach(self->m.container, self->m.gfd[1], false, 0));
	ASSERT_EQ(0, close(fd));
	/* The release of the file is done when close() returns */
	self->efd = events_open(self->m.container, 0, 0);
	ASSERT_LE(0, self->efd);
	EXPECT_EQ(0, events_drain(self->efd, ev, EV_MAX, NULL));
	ASSERT_EQ(0, _vfio_unset_container(self->m.gfd[1]));
	n = events_drain(self->efd, ev, EV_MAX, NULL);
	ASSERT_LE(1, n);
	EXPECT_EQ(VFIO_MDOM_EVENT_DOMAIN_REMOVED, ev[0].type);
	EXPECT_EQ(0, ev[0].seq);
	EXPECT_EQ(2, ev[0].domain.nr_before);
	ASSERT_EQ(0, close(self->efd));
	self->efd = -1;
}

/*
 * The container closed first, with records unread: they are still read,
 * then end of file; a reader blocked in read() wakes up.
 */
static void *blocked_reader(void *arg)
{
	struct vfio_mdom_event ev;
	int fd = *(int *)arg;
	ssize_t r;

	do {
		r = read(fd, &ev, sizeof(ev));
	} while (r == sizeof(ev));
	return (void *)(long)r;
}

TEST_F(events, container_closed_first)
{
	struct vfio_mdom_event ev[EV_MAX];
	pthread_t thread;
	void *ret;
	bool eof;
	int n;

	ASSERT_EQ(0, vfio_attach(self->m.container, self->m.gfd[0], true,
				 VFIO_TYPE1v2_IOMMU));
	self->efd = events_open(self->m.container, 0, 0);
	ASSERT_LE(0, self->efd);
	ASSERT_EQ(0, vfio_attach(self->m.container, self->m.gfd[1], false, 0));
	ASSERT_EQ(0, pthread_create(&thread, NULL, blocked_reader,
				    &self->efd));
	usleep(100 * 1000);
	close(self->m.gfd[0]);
	close(self->m.gfd[1]);
	close(self->m.container);
	self->m.gfd[0] = -1;
	self->m.gfd[1] = -1;
	ASSERT_EQ(0, pthread_join(thread, &ret));
	EXPECT_EQ(0, (long)ret);
	n = events_drain(self->efd, ev, EV_MAX, &eof);
	EXPECT_EQ(0, n);
	EXPECT_TRUE(eof);
	EXPECT_EQ(POLLHUP, events_poll(self->efd));
	self->m.container = -1;
	expect_no_leak(&self->mark, false);
}

/* The ioctl's argument: argsz, flags, reserved, queue_len; read()'s size */
TEST_F(events, bad_arguments)
{
	struct {
		struct vfio_mdom_events ev;
		uint32_t extra;
	} big = {
		.ev.argsz = sizeof(big),
		.extra = 1,
	};
	struct vfio_mdom_events ev = { .argsz = sizeof(ev) };
	char small[sizeof(struct vfio_mdom_event) - 1];
	struct vfio_mdom_event rec;

	ASSERT_EQ(0, vfio_attach(self->m.container, self->m.gfd[0], true,
				 VFIO_TYPE1v2_IOMMU));
	ev.argsz = sizeof(ev) - 1;
	EXPECT_EQ(-1, ioctl(self->m.container, VFIO_MDOM_EVENTS, &ev));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->m.container, VFIO_MDOM_EVENTS, &big));
	EXPECT_EQ(E2BIG, errno);
	ev.argsz = sizeof(ev);
	ev.flags = 1;
	EXPECT_EQ(-1, ioctl(self->m.container, VFIO_MDOM_EVENTS, &ev));
	EXPECT_EQ(EINVAL, errno);
	ev.flags = 0;
	ev.__reserved = 1;
	EXPECT_EQ(-1, ioctl(self->m.container, VFIO_MDOM_EVENTS, &ev));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, events_open(self->m.container, 3, 0));
	EXPECT_EQ(-EINVAL, events_open(self->m.container, 4097, 0));

	/* 5 is rounded up to 8, and extra trailing zeros are fine */
	big.extra = 0;
	big.ev.queue_len = 5;
	big.ev.fd = -1;
	ASSERT_EQ(0, ioctl(self->m.container, VFIO_MDOM_EVENTS, &big));
	self->efd = big.ev.fd;
	ASSERT_LE(0, self->efd);
	EXPECT_NE(0, fcntl(self->efd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(-1, read(self->efd, small, sizeof(small)));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, fcntl(self->efd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, read(self->efd, &rec, sizeof(rec)));
	EXPECT_EQ(EAGAIN, errno);
}

/* On type1 the command does not exist */
TEST(type1_has_no_events)
{
	struct params ps = {};
	struct mock_dev dev;
	int container, gfd;

	if (!mdom_loaded() || !mock_loaded())
		SKIP(return, "vfio_mdom.ko or the mock IOMMU not loaded");
	ASSERT_EQ(0, mdom_set_backend(&ps, false));
	ASSERT_EQ(0, mock_find_dev(0, 0, &dev));
	gfd = vfio_open_group(dev.group);
	ASSERT_LE(0, gfd);
	container = vfio_open_container();
	ASSERT_LE(0, container);
	ASSERT_EQ(0, vfio_attach(container, gfd, true, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(-ENOTTY, events_open(container, 0, 0));
	close(container);
	close(gfd);
	params_restore(&ps);
}

TEST_HARNESS_MAIN
