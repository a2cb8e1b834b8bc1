// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the container event queue (events.c): records come out
 * in order with consecutive numbers, a full queue drops and counts, the
 * counts come back as one LOST record in the right place, and the DMA
 * fault limit lets a burst per second through.
 */
#include <kunit/test.h>
#include <linux/jiffies.h>
#include <linux/vfio_mdom.h>

#include "../events.h"

#define MDOM_KUNIT_RING	4

static void mdom_ring_setup(struct kunit *test, struct mdom_event_ring *ring)
{
	struct vfio_mdom_event *recs;

	recs = kunit_kcalloc(test, MDOM_KUNIT_RING, sizeof(*recs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, recs);
	mdom_event_ring_init(ring, recs, MDOM_KUNIT_RING);
}

static bool mdom_ring_push_fault(struct mdom_event_ring *ring, u64 iova)
{
	struct vfio_mdom_event rec = {
		.type = VFIO_MDOM_EVENT_DMA_FAULT,
		.fault.iova = iova,
	};

	return mdom_event_ring_push(ring, &rec);
}

static void mdom_ring_expect_fault(struct kunit *test,
				   struct mdom_event_ring *ring, u64 iova,
				   u64 seq)
{
	struct vfio_mdom_event rec;

	KUNIT_ASSERT_TRUE(test, mdom_event_ring_pop(ring, &rec));
	KUNIT_EXPECT_EQ(test, rec.type, VFIO_MDOM_EVENT_DMA_FAULT);
	KUNIT_EXPECT_EQ(test, rec.fault.iova, iova);
	KUNIT_EXPECT_EQ(test, rec.seq, seq);
}

static void mdom_ring_expect_lost(struct kunit *test,
				  struct mdom_event_ring *ring, u64 records,
				  u64 faults, u64 seq)
{
	struct vfio_mdom_event rec;

	KUNIT_ASSERT_TRUE(test, mdom_event_ring_pop(ring, &rec));
	KUNIT_EXPECT_EQ(test, rec.type, VFIO_MDOM_EVENT_LOST);
	KUNIT_EXPECT_EQ(test, rec.lost.records, records);
	KUNIT_EXPECT_EQ(test, rec.lost.faults, faults);
	KUNIT_EXPECT_EQ(test, rec.seq, seq);
}

/* Empty: nothing pending, nothing to pop */
static void mdom_ring_empty(struct kunit *test)
{
	struct mdom_event_ring ring;
	struct vfio_mdom_event rec;

	mdom_ring_setup(test, &ring);
	KUNIT_EXPECT_FALSE(test, mdom_event_ring_pending(&ring));
	KUNIT_EXPECT_FALSE(test, mdom_event_ring_pop(&ring, &rec));
}

/* In order, numbered from 0, across the wrap of the indices */
static void mdom_ring_order(struct kunit *test)
{
	struct mdom_event_ring ring;
	u64 i, next = 0;

	mdom_ring_setup(test, &ring);
	for (i = 0; i < 3 * MDOM_KUNIT_RING; i++) {
		KUNIT_EXPECT_TRUE(test, mdom_ring_push_fault(&ring, i));
		if (i % 2) {
			mdom_ring_expect_fault(test, &ring, next, next);
			mdom_ring_expect_fault(test, &ring, next + 1, next + 1);
			next += 2;
		}
	}
	KUNIT_EXPECT_FALSE(test, mdom_event_ring_pending(&ring));
}

/* Full: dropped and counted; the reader gets a LOST record at the end */
static void mdom_ring_overflow_read(struct kunit *test)
{
	struct mdom_event_ring ring;
	u64 i;

	mdom_ring_setup(test, &ring);
	for (i = 0; i < MDOM_KUNIT_RING + 3; i++)
		KUNIT_EXPECT_EQ(test, mdom_ring_push_fault(&ring, i),
				i < MDOM_KUNIT_RING);
	for (i = 0; i < MDOM_KUNIT_RING; i++)
		mdom_ring_expect_fault(test, &ring, i, i);
	KUNIT_EXPECT_TRUE(test, mdom_event_ring_pending(&ring));
	mdom_ring_expect_lost(test, &ring, 3, 0, MDOM_KUNIT_RING);
	KUNIT_EXPECT_FALSE(test, mdom_event_ring_pending(&ring));
}

/*
 * Full, then room for one: still dropped (the LOST record needs a slot
 * too); room for two: LOST first, then the record.
 */
static void mdom_ring_overflow_push(struct kunit *test)
{
	struct mdom_event_ring ring;
	u64 i;

	mdom_ring_setup(test, &ring);
	for (i = 0; i <= MDOM_KUNIT_RING; i++)
		mdom_ring_push_fault(&ring, i);
	mdom_ring_expect_fault(test, &ring, 0, 0);
	KUNIT_EXPECT_FALSE(test, mdom_ring_push_fault(&ring, 100));
	mdom_ring_expect_fault(test, &ring, 1, 1);
	KUNIT_EXPECT_TRUE(test, mdom_ring_push_fault(&ring, 200));
	mdom_ring_expect_fault(test, &ring, 2, 2);
	mdom_ring_expect_fault(test, &ring, 3, 3);
	mdom_ring_expect_lost(test, &ring, 2, 0, 4);
	mdom_ring_expect_fault(test, &ring, 200, 5);
	KUNIT_EXPECT_FALSE(test, mdom_event_ring_pending(&ring));
}

/* Suppressed faults travel in the same LOST record */
static void mdom_ring_suppressed(struct kunit *test)
{
	struct mdom_event_ring ring;

	mdom_ring_setup(test, &ring);
	ring.suppressed = 5;
	KUNIT_EXPECT_TRUE(test, mdom_event_ring_pending(&ring));
	KUNIT_EXPECT_TRUE(test, mdom_ring_push_fault(&ring, 7));
	mdom_ring_expect_lost(test, &ring, 0, 5, 0);
	mdom_ring_expect_fault(test, &ring, 7, 1);
	KUNIT_EXPECT_FALSE(test, mdom_event_ring_pending(&ring));
}

/* A burst per second, then nothing until the second is over */
static void mdom_fault_limit(struct kunit *test)
{
	struct mdom_events ev = {};
	unsigned long now = jiffies;
	unsigned int i;

	spin_lock_init(&ev.lock);
	ev.fault_burst = 3;
	ev.fault_window = now;
	spin_lock_irq(&ev.lock);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_TRUE(test, mdom_events_fault_allow(&ev, now + i));
	KUNIT_EXPECT_FALSE(test, mdom_events_fault_allow(&ev, now + 3));
	KUNIT_EXPECT_FALSE(test, mdom_events_fault_allow(&ev, now + HZ - 1));
	KUNIT_EXPECT_TRUE(test, mdom_events_fault_allow(&ev, now + HZ));
	KUNIT_EXPECT_TRUE(test, mdom_events_fault_allow(&ev, now + HZ + 1));
	spin_unlock_irq(&ev.lock);
}

static struct kunit_case mdom_events_cases[] = {
	KUNIT_CASE(mdom_ring_empty),
	KUNIT_CASE(mdom_ring_order),
	KUNIT_CASE(mdom_ring_overflow_read),
	KUNIT_CASE(mdom_ring_overflow_push),
	KUNIT_CASE(mdom_ring_suppressed),
	KUNIT_CASE(mdom_fault_limit),
	{}
};

static struct kunit_suite mdom_events_suite = {
	.name = "vfio_mdom_events",
	.test_cases = mdom_events_cases,
};

kunit_test_suite(mdom_events_suite);
