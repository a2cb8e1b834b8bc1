// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the mock's emulated (mdev-style) VFIO devices: how they
 * are registered, what they refuse while nobody has them open, the
 * dma_unmap() log, and, with a fake VFIO behind struct mock_pins, what
 * they pin and unpin: exact ranges, dma_unmap() and close unpinning
 * everything inside, pins in flight, errors, the debugfs command syntax.
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <kunit/visibility.h>

#include "mock_kunit.h"
#include "../mock_private.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define FAKE_PAGES	16
#define FAKE_BASE	0x100000ULL

/**
 * struct mock_fake - a fake VFIO container behind a struct mock_pins
 * @pins: the pins under test
 * @test: the running test
 * @pages: the memory "mapped" at FAKE_BASE, one page per 4 KiB of IOVA
 * @count: pins held by the device on each page
 * @pin_rc: when non-zero, what a pin returns (nothing pinned)
 * @pin_short: a pin pins this many pages fewer than asked
 * @pin_calls: pin calls
 * @unpin_calls: unpin calls
 * @rw_rc: what an rw returns
 * @rw_calls: rw calls
 * @block_pin: a pin signals @pin_entered, then waits for @pin_go
 * @pin_entered: a blocking pin started
 * @pin_go: let the blocking pin finish
 */
struct mock_fake {
	struct mock_pins pins;
	struct kunit *test;
	struct page *pages;
	int count[FAKE_PAGES];
	int pin_rc;
	int pin_short;
	unsigned int pin_calls;
	unsigned int unpin_calls;
	int rw_rc;
	unsigned int rw_calls;
	bool block_pin;
	struct completion pin_entered;
	struct completion pin_go;
};

static struct mock_fake *to_fake(struct mock_pins *p)
{
	return container_of(p, struct mock_fake, pins);
}

static int fake_index(struct mock_fake *f, u64 iova)
{
	u64 index = (iova - FAKE_BASE) / PAGE_SIZE;

	return iova < FAKE_BASE || index >= FAKE_PAGES ? -1 : index;
}

static int fake_pin(struct mock_pins *p, u64 iova, int npages, int prot,
		    struct page **pages)
{
	struct mock_fake *f = to_fake(p);
	int i, n = npages - f->pin_short;

	f->pin_calls++;
	if (f->block_pin) {
		complete(&f->pin_entered);
		wait_for_completion(&f->pin_go);
	}
	if (f->pin_rc)
		return f->pin_rc;
	for (i = 0; i < npages; i++)
		if (fake_index(f, iova + (u64)i * PAGE_SIZE) < 0)
			return -EINVAL;
	for (i = 0; i < n; i++) {
		int index = fake_index(f, iova + (u64)i * PAGE_SIZE);

		pages[i] = f->pages + index;
		f->count[index]++;
	}
	return n;
}

static void fake_unpin(struct mock_pins *p, u64 iova, int npages)
{
	struct mock_fake *f = to_fake(p);
	int i;

	f->unpin_calls++;
	for (i = 0; i < npages; i++) {
		int index = fake_index(f, iova + (u64)i * PAGE_SIZE);

		KUNIT_EXPECT_GE(f->test, index, 0);
		if (index < 0)
			continue;
		KUNIT_EXPECT_GT_MSG(f->test, f->count[index], 0,
				    "unpin of page %d not pinned", index);
		f->count[index]--;
	}
}

static int fake_rw(struct mock_pins *p, u64 iova, void *buf, size_t len,
		   bool write)
{
	struct mock_fake *f = to_fake(p);

	f->rw_calls++;
	return f->rw_rc;
}

static const struct mock_pins_backend fake_backend = {
	.pin = fake_pin,
	.unpin = fake_unpin,
	.rw = fake_rw,
};

static void fake_cleanup(void *data)
{
	struct mock_fake *f = data;
	unsigned int i;

	/* Closing unpins whatever a failed test left */
	mock_pins_close(&f->pins);
	mock_pins_destroy(&f->pins);
	for (i = 0; i < FAKE_PAGES; i++)
		KUNIT_EXPECT_EQ_MSG(f->test, f->count[i], 0,
				    "page %u still pinned", i);
	__free_pages(f->pages, get_order(FAKE_PAGES * PAGE_SIZE));
}

/* An open device in front of the fake */
static struct mock_fake *fake_create(struct kunit *test)
{
	struct mock_fake *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->test = test;
	f->pages = alloc_pages(GFP_KERNEL, get_order(FAKE_PAGES * PAGE_SIZE));
	KUNIT_ASSERT_NOT_NULL(test, f->pages);
	init_completion(&f->pin_entered);
	init_completion(&f->pin_go);
	mock_pins_init(&f->pins, &fake_backend);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, fake_cleanup, f),
			0);
	mock_pins_open(&f->pins);
	return f;
}

static u64 fake_iova(unsigned int page)
{
	return FAKE_BASE + (u64)page * PAGE_SIZE;
}

static unsigned int fake_runs(struct mock_fake *f,
			      struct mock_iommu_pinned *runs)
{
	return mock_pins_runs(&f->pins, runs, FAKE_PAGES);
}

static void fake_expect_run(struct kunit *test, struct mock_fake *f,
			    struct mock_iommu_pinned *run, unsigned int page,
			    unsigned int npages, int prot)
{
	KUNIT_EXPECT_EQ(test, run->iova, fake_iova(page));
	KUNIT_EXPECT_EQ(test, run->npages, npages);
	KUNIT_EXPECT_EQ(test, run->prot, prot);
	KUNIT_EXPECT_EQ(test, run->phys, page_to_phys(f->pages + page));
}

/* Real devices */

static unsigned int emu_count(struct kunit *test)
{
	if (!mock_iommu_nr_emulated())
		kunit_skip(test, "loaded with nr_emulated=0");
	return mock_iommu_nr_emulated();
}

static void emu_registered(struct kunit *test)
{
	unsigned int i, n = emu_count(test);

	for (i = 0; i < n; i++) {
		struct device *dev = mock_iommu_emulated_device(i);
		struct iommu_group *group = mock_iommu_emulated_group(i);
		struct vfio_device *vdev = mock_iommu_emulated_vfio_device(i);
		struct iommu_group *got;
		unsigned int j;

		KUNIT_ASSERT_NOT_NULL(test, dev);
		KUNIT_ASSERT_NOT_NULL(test, group);
		KUNIT_ASSERT_NOT_NULL(test, vdev);
		KUNIT_EXPECT_STREQ(test, dev->bus->name, MOCK_EMU_BUS_NAME);
		KUNIT_EXPECT_PTR_EQ(test, vdev->dev, dev);
		got = iommu_group_get(dev);
		KUNIT_EXPECT_PTR_EQ(test, got, group);
		iommu_group_put(got);
		/* No IOMMU probed it: VFIO made its group */
		KUNIT_EXPECT_NULL(test, dev->iommu);
		KUNIT_EXPECT_NULL(test, iommu_get_domain_for_dev(dev));
		KUNIT_EXPECT_FALSE(test, mock_iommu_is_mock_device(dev));
		KUNIT_EXPECT_GE(test, iommu_group_id(group), 0);
		for (j = 0; j < mock_iommu_nr_instances(); j++)
			KUNIT_EXPECT_PTR_NE(test, group, mock_iommu_group(j, 0));
		KUNIT_EXPECT_FALSE(test, mock_iommu_emulated_is_open(i));
		KUNIT_EXPECT_EQ(test, mock_iommu_emulated_nr_pinned(i), 0);
	}
	KUNIT_EXPECT_NULL(test, mock_iommu_emulated_device(n));
	KUNIT_EXPECT_NULL(test, mock_iommu_emulated_group(n));
	KUNIT_EXPECT_NULL(test, mock_iommu_emulated_vfio_device(n));
}

/* Nobody has the device open: refused before VFIO could WARN */
static void emu_closed(struct kunit *test)
{
	unsigned int n = emu_count(test);
	struct mock_iommu_pinned run;
	u8 buf[8] = {};

	KUNIT_EXPECT_EQ(test, mock_iommu_emulated_pin(0, 0x1000, 1, IOMMU_READ),
			-ENOTCONN);
	KUNIT_EXPECT_EQ(test, mock_iommu_emulated_rw(0, 0x1000, buf,
						     sizeof(buf), false),
			-ENOTCONN);
	KUNIT_EXPECT_EQ(test, mock_iommu_emulated_unpin(0, 0x1000, 1), -ENOENT);
	KUNIT_EXPECT_EQ(test, mock_iommu_emulated_pinned(0, &run, 1), 0);

	/* Bad arguments come first */
	KUNIT_EXPECT_EQ(test, mock_iommu_emulated_pin(0, 0x1000, 0, IOMMU_READ),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, mock_iommu_emulated_pin(0, 0x1000, MOCK_PIN_MAX + 1,
						      IOMMU_READ), -E2BIG);
	KUNIT_EXPECT_EQ(test, mock_iommu_emulated_pin(0, 0x1000, 1, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, mock_iommu_emulated_pin(0, 0x1000, 1,
						      IOMMU_READ | IOMMU_CACHE),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, mock_iommu_emulated_pin(0, U64_MAX - PAGE_SIZE, 2,
						      IOMMU_READ), -EINVAL);
	KUNIT_EXPECT_EQ(test, mock_iommu_emulated_unpin(0, 0x1000, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, mock_iommu_emulated_rw(0, 0x1000, NULL, 8, false),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, mock_iommu_emulated_pin(n, 0x1000, 1, IOMMU_READ),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, mock_iommu_emulated_unpin(n, 0x1000, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, mock_iommu_emulated_rw(n, 0, buf, 1, true),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, mock_iommu_emulated_pinned(n, &run, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, mock_iommu_emulated_reset_unmap_calls(n),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, mock_iommu_emulated_nr_pinned(0), 0);
}

static void emu_reset_unmap_calls(void *unused)
{
	mock_iommu_emulated_reset_unmap_calls(0);
}

/* The dma_unmap() callback VFIO calls: counted, the last 16 kept */
static void emu_unmap_log(struct kunit *test)
{
	struct mock_iommu_unmap_call log[MOCK_IOMMU_UNMAP_LOG + 1];
	struct vfio_device *vdev;
	unsigned int i, nr;
	u64 calls;

	emu_count(test);
	vdev = mock_iommu_emulated_vfio_device(0);
	KUNIT_ASSERT_NOT_NULL(test, vdev);
	KUNIT_ASSERT_NOT_NULL(test, vdev->ops->dma_unmap);
	/* The calls made here go with the test, however it ends */
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							emu_reset_unmap_calls,
							NULL), 0);
	KUNIT_ASSERT_EQ(test, mock_iommu_emulated_reset_unmap_calls(0), 0);

	for (i = 0; i < 20; i++)
		vdev->ops->dma_unmap(vdev, (u64)i * SZ_1M, SZ_4K * (i + 1));
	KUNIT_ASSERT_EQ(test, mock_iommu_emulated_unmap_calls(0, &calls, log,
							      ARRAY_SIZE(log),
							      &nr), 0);
	KUNIT_EXPECT_EQ(test, calls, 20);
	KUNIT_ASSERT_EQ(test, nr, MOCK_IOMMU_UNMAP_LOG);
	for (i = 0; i < nr; i++) {
		KUNIT_EXPECT_EQ(test, log[i].iova, (u64)(i + 4) * SZ_1M);
		KUNIT_EXPECT_EQ(test, log[i].length, SZ_4K * (i + 5));
	}
	/* The last two only */
	KUNIT_ASSERT_EQ(test, mock_iommu_emulated_unmap_calls(0, &calls, log, 2,
							      &nr), 0);
	KUNIT_EXPECT_EQ(test, nr, 2);
	KUNIT_EXPECT_EQ(test, log[1].iova, 19ULL * SZ_1M);

	KUNIT_ASSERT_EQ(test, mock_iommu_emulated_reset_unmap_calls(0), 0);
	KUNIT_ASSERT_EQ(test, mock_iommu_emulated_unmap_calls(0, &calls, log,
							      ARRAY_SIZE(log),
							      &nr), 0);
	KUNIT_EXPECT_EQ(test, calls, 0);
	KUNIT_EXPECT_EQ(test, nr, 0);
}

/* Against a fake VFIO */

static void pins_pin_unpin(struct kunit *test)
{
	struct mock_fake *f = fake_create(test);
	struct mock_iommu_pinned runs[FAKE_PAGES];

	KUNIT_ASSERT_EQ(test, mock_pins_pin(&f->pins, fake_iova(0), 4,
					    IOMMU_READ | IOMMU_WRITE), 0);
	KUNIT_ASSERT_EQ(test, mock_pins_pin(&f->pins, fake_iova(2), 2,
					    IOMMU_READ), 0);
	KUNIT_EXPECT_EQ(test, mock_pins_nr_pinned(&f->pins), 6);
	KUNIT_EXPECT_EQ(test, f->count[2], 2);
	KUNIT_ASSERT_EQ(test, fake_runs(f, runs), 2);
	fake_expect_run(test, f, &runs[0], 0, 4, IOMMU_READ | IOMMU_WRITE);
	fake_expect_run(test, f, &runs[1], 2, 2, IOMMU_READ);

	/* Pages 1 and 2 of the first, page 2 of the second */
	KUNIT_EXPECT_EQ(test, mock_pins_unpin(&f->pins, fake_iova(1), 2), 0);
	KUNIT_EXPECT_EQ(test, mock_pins_nr_pinned(&f->pins), 3);
	KUNIT_EXPECT_EQ(test, f->count[1], 0);
	KUNIT_EXPECT_EQ(test, f->count[2], 0);
	KUNIT_ASSERT_EQ(test, fake_runs(f, runs), 3);
	fake_expect_run(test, f, &runs[0], 0, 1, IOMMU_READ | IOMMU_WRITE);
	fake_expect_run(test, f, &runs[1], 3, 1, IOMMU_READ | IOMMU_WRITE);
	fake_expect_run(test, f, &runs[2], 3, 1, IOMMU_READ);

	/* Nothing held there */
	KUNIT_EXPECT_EQ(test, mock_pins_unpin(&f->pins, fake_iova(8), 4),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, mock_pins_unpin(&f->pins, fake_iova(1), 0),
			-EINVAL);
	/* A range past the end of the IOVA space ends there */
	KUNIT_EXPECT_EQ(test, mock_pins_unpin(&f->pins, 0, U64_MAX), 0);
	KUNIT_EXPECT_EQ(test, mock_pins_nr_pinned(&f->pins), 0);
	KUNIT_EXPECT_EQ(test, fake_runs(f, runs), 0);
}

/* dma_unmap() unpins exactly the held pages inside its range */
static void pins_dma_unmap(struct kunit *test)
{
	struct mock_fake *f = fake_create(test);
	struct mock_iommu_pinned runs[FAKE_PAGES];
	unsigned int calls = f->unpin_calls;

	KUNIT_ASSERT_EQ(test, mock_pins_pin(&f->pins, fake_iova(0), 8,
					    IOMMU_WRITE), 0);
	mock_pins_dma_unmap(&f->pins, fake_iova(2), 3 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, f->unpin_calls, calls + 1);
	KUNIT_EXPECT_EQ(test, mock_pins_nr_pinned(&f->pins), 5);
	KUNIT_ASSERT_EQ(test, fake_runs(f, runs), 2);
	fake_expect_run(test, f, &runs[0], 0, 2, IOMMU_WRITE);
	fake_expect_run(test, f, &runs[1], 5, 3, IOMMU_WRITE);

	/* Just past the record, and a range already unpinned: nothing */
	mock_pins_dma_unmap(&f->pins, fake_iova(8), PAGE_SIZE);
	mock_pins_dma_unmap(&f->pins, fake_iova(2), 3 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, mock_pins_nr_pinned(&f->pins), 5);
	KUNIT_EXPECT_EQ(test, f->unpin_calls, calls + 1);

	/* One byte of a page is enough */
	mock_pins_dma_unmap(&f->pins, fake_iova(7) + PAGE_SIZE - 1, 1);
	KUNIT_EXPECT_EQ(test, f->count[7], 0);
	KUNIT_EXPECT_EQ(test, mock_pins_nr_pinned(&f->pins), 4);
	/* Length 0 is nothing, wrapping goes to the end of the IOVA space */
	mock_pins_dma_unmap(&f->pins, fake_iova(6), 0);
	KUNIT_EXPECT_EQ(test, mock_pins_nr_pinned(&f->pins), 4);
	mock_pins_dma_unmap(&f->pins, fake_iova(6), U64_MAX);
	KUNIT_EXPECT_EQ(test, mock_pins_nr_pinned(&f->pins), 3);
	mock_pins_dma_unmap(&f->pins, 0, U64_MAX);
	KUNIT_EXPECT_EQ(test, mock_pins_nr_pinned(&f->pins), 0);
	KUNIT_EXPECT_EQ(test, fake_runs(f, runs), 0);
}

/* Closing unpins everything; a closed device pins and reads nothing */
static void pins_close(struct kunit *test)
{
	struct mock_fake *f = fake_create(test);
	u8 buf[4];

	KUNIT_ASSERT_EQ(test, mock_pins_pin(&f->pins, fake_iova(0), 3,
					    IOMMU_READ), 0);
	KUNIT_ASSERT_EQ(test, mock_pins_pin(&f->pins, fake_iova(1), 3,
					    IOMMU_READ), 0);
	KUNIT_EXPECT_TRUE(test, mock_pins_is_open(&f->pins));
	mock_pins_close(&f->pins);
	KUNIT_EXPECT_FALSE(test, mock_pins_is_open(&f->pins));
	KUNIT_EXPECT_EQ(test, mock_pins_nr_pinned(&f->pins), 0);
	KUNIT_EXPECT_EQ(test, f->count[1], 0);

	f->pin_calls = 0;
	KUNIT_EXPECT_EQ(test, mock_pins_pin(&f->pins, fake_iova(0), 1,
					    IOMMU_READ), -ENOTCONN);
	KUNIT_EXPECT_EQ(test, mock_pins_rw(&f->pins, fake_iova(0), buf,
					   sizeof(buf), false), -ENOTCONN);
	KUNIT_EXPECT_EQ(test, f->pin_calls, 0);
	KUNIT_EXPECT_EQ(test, f->rw_calls, 0);

	/* Opened again */
	mock_pins_open(&f->pins);
	KUNIT_EXPECT_EQ(test, mock_pins_pin(&f->pins, fake_iova(0), 1,
					    IOMMU_READ), 0);
}

static void pins_errors(struct kunit *test)
{
	struct mock_fake *f = fake_create(test);
	struct mock_iommu_pinned run;

	/* VFIO's errno comes back, nothing is kept */
	f->pin_rc = -EPERM;
	KUNIT_EXPECT_EQ(test, mock_pins_pin(&f->pins, fake_iova(0), 2,
					    IOMMU_WRITE), -EPERM);
	f->pin_rc = 0;
	KUNIT_EXPECT_EQ(test, mock_pins_pin(&f->pins, fake_iova(FAKE_PAGES - 1),
					    2, IOMMU_WRITE), -EINVAL);
	/* Fewer pages than asked: given back */
	f->pin_short = 1;
	KUNIT_EXPECT_EQ(test, mock_pins_pin(&f->pins, fake_iova(0), 3,
					    IOMMU_WRITE), -EIO);
	KUNIT_EXPECT_EQ(test, f->count[0], 0);
	KUNIT_EXPECT_EQ(test, f->count[1], 0);
	f->pin_short = 0;
	KUNIT_EXPECT_EQ(test, mock_pins_nr_pinned(&f->pins), 0);
	KUNIT_EXPECT_EQ(test, mock_pins_runs(&f->pins, &run, 1), 0);

	/* Refused before VFIO sees them */
	f->pin_calls = 0;
	KUNIT_EXPECT_EQ(test, mock_pins_pin(&f->pins, fake_iova(0), 0,
					    IOMMU_READ), -EINVAL);
	KUNIT_EXPECT_EQ(test, mock_pins_pin(&f->pins, fake_iova(0),
					    MOCK_PIN_MAX + 1, IOMMU_READ),
			-E2BIG);
	KUNIT_EXPECT_EQ(test, mock_pins_pin(&f->pins, fake_iova(0), 1, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, mock_pins_pin(&f->pins, U64_MAX & PAGE_MASK, 2,
					    IOMMU_READ), -EINVAL);
	KUNIT_EXPECT_EQ(test, f->pin_calls, 0);
}

static void pins_rw(struct kunit *test)
{
	struct mock_fake *f = fake_create(test);
	u8 buf[16];

	f->rw_rc = -EFAULT;
	KUNIT_EXPECT_EQ(test, mock_pins_rw(&f->pins, fake_iova(0), buf,
					   sizeof(buf), true), -EFAULT);
	f->rw_rc = 0;
	KUNIT_EXPECT_EQ(test, mock_pins_rw(&f->pins, fake_iova(0), buf,
					   sizeof(buf), false), 0);
	KUNIT_EXPECT_EQ(test, f->rw_calls, 2);
	KUNIT_EXPECT_EQ(test, mock_pins_rw(&f->pins, fake_iova(0), buf, 0,
					   false), -EINVAL);
	KUNIT_EXPECT_EQ(test, f->rw_calls, 2);
}

struct pins_thread {
	struct mock_fake *f;
	bool close;
	int rc;
	struct completion done;
};

static int pins_pin_thread(void *data)
{
	struct pins_thread *t = data;

	t->rc = mock_pins_pin(&t->f->pins, fake_iova(0), 2, IOMMU_READ);
	complete(&t->done);
	return 0;
}

static int pins_unmap_thread(void *data)
{
	struct pins_thread *t = data;

	if (t->close)
		mock_pins_close(&t->f->pins);
	else
		mock_pins_dma_unmap(&t->f->pins, fake_iova(1), PAGE_SIZE);
	complete(&t->done);
	return 0;
}

/*
 * An unmap (or close) meeting a pin in flight waits for it and unpins what
 * it pinned: type1 BUG()s if the device still holds pages after a few
 * dma_unmap() calls.
 */
static void pins_race(struct kunit *test, bool close)
{
	struct mock_fake *f = fake_create(test);
	struct pins_thread pin = { .f = f }, unmap = { .f = f, .close = close };
	struct task_struct *task;

	init_completion(&pin.done);
	init_completion(&unmap.done);
	f->block_pin = true;
	task = kthread_run(pins_pin_thread, &pin, "mock_pin");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	KUNIT_EXPECT_TRUE(test, wait_for_completion_timeout(&f->pin_entered,
							    10 * HZ));

	task = kthread_run(pins_unmap_thread, &unmap, "mock_unmap");
	if (IS_ERR(task)) {
		complete(&f->pin_go);
		wait_for_completion(&pin.done);
		KUNIT_FAIL(test, "no unmap thread");
		return;
	}
	msleep(100);
	KUNIT_EXPECT_FALSE(test, completion_done(&unmap.done));

	complete(&f->pin_go);
	wait_for_completion(&pin.done);
	wait_for_completion(&unmap.done);
	KUNIT_EXPECT_EQ(test, pin.rc, 0);
	KUNIT_EXPECT_EQ(test, f->count[1], 0);
	KUNIT_EXPECT_EQ(test, f->count[0], close ? 0 : 1);
	KUNIT_EXPECT_EQ(test, mock_pins_nr_pinned(&f->pins), close ? 0 : 1);
}

static void pins_unmap_waits_for_pin(struct kunit *test)
{
	pins_race(test, false);
}

static void pins_close_waits_for_pin(struct kunit *test)
{
	pins_race(test, true);
}

static void pins_parse(struct kunit *test)
{
	u64 iova, npages;
	int prot;

	KUNIT_EXPECT_EQ(test, mock_pins_parse("0x1000 2 rw\n", &iova, &npages,
					      &prot), 0);
	KUNIT_EXPECT_EQ(test, iova, 0x1000);
	KUNIT_EXPECT_EQ(test, npages, 2);
	KUNIT_EXPECT_EQ(test, prot, IOMMU_READ | IOMMU_WRITE);
	KUNIT_EXPECT_EQ(test, mock_pins_parse("  4096\t1 r", &iova, &npages,
					      &prot), 0);
	KUNIT_EXPECT_EQ(test, iova, 4096);
	KUNIT_EXPECT_EQ(test, prot, IOMMU_READ);
	KUNIT_EXPECT_EQ(test, mock_pins_parse("0 1 w", &iova, &npages, &prot),
			0);
	KUNIT_EXPECT_EQ(test, prot, IOMMU_WRITE);
	KUNIT_EXPECT_EQ(test, mock_pins_parse("0x2000 0x10", &iova, &npages,
					      NULL), 0);
	KUNIT_EXPECT_EQ(test, npages, 16);

	KUNIT_EXPECT_EQ(test, mock_pins_parse("0x1000 2", &iova, &npages,
					      &prot), -EINVAL);
	KUNIT_EXPECT_EQ(test, mock_pins_parse("0x1000 2 wr", &iova, &npages,
					      &prot), -EINVAL);
	KUNIT_EXPECT_EQ(test, mock_pins_parse("0x1000 2 r x", &iova, &npages,
					      &prot), -EINVAL);
	KUNIT_EXPECT_EQ(test, mock_pins_parse("-1 2 r", &iova, &npages, &prot),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, mock_pins_parse("0x1000 two r", &iova, &npages,
					      &prot), -EINVAL);
	KUNIT_EXPECT_EQ(test, mock_pins_parse("0x1000 2 r", &iova, &npages,
					      NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, mock_pins_parse("", &iova, &npages, NULL),
			-EINVAL);
}

static struct kunit_case mock_emulated_cases[] = {
	KUNIT_CASE(emu_registered),
	KUNIT_CASE(emu_closed),
	KUNIT_CASE(emu_unmap_log),
	KUNIT_CASE(pins_pin_unpin),
	KUNIT_CASE(pins_dma_unmap),
	KUNIT_CASE(pins_close),
	KUNIT_CASE(pins_errors),
	KUNIT_CASE(pins_rw),
	KUNIT_CASE(pins_unmap_waits_for_pin),
	KUNIT_CASE(pins_close_waits_for_pin),
	KUNIT_CASE(pins_parse),
	{}
};

static struct kunit_suite mock_emulated_suite = {
	.name = "vfio_mdom_mock_emulated",
	.init = mock_kunit_init,
	.exit = mock_kunit_exit,
	.test_cases = mock_emulated_cases,
};

kunit_test_suite(mock_emulated_suite);
