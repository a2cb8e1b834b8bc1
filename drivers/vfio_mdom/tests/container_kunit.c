// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the container without any IOMMU: extensions, valid IOVA
 * ranges, the MAP_DMA/UNMAP_DMA argument rules and errnos, maps recorded
 * but neither pinned nor charged while no domain exists, the
 * dma_entry_limit, the top of the 64-bit IOVA space, and close. Pinning
 * and charging with domains are tested on the mock IOMMU (domain_kunit.c).
 *
 * User memory comes from kunit_vm_mmap(), which gives the test thread an
 * mm of its own; the thread has CAP_IPC_LOCK, so RLIMIT_MEMLOCK does not
 * apply (the selftests cover it).
 */
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/delay.h>
#include <linux/iommu.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <linux/workqueue.h>

#include "../pages.h"
#include "../vfio_mdom.h"

KUNIT_DEFINE_ACTION_WRAPPER(mdom_container_destroy_action,
			    mdom_container_destroy, struct mdom_container *);

static struct mdom_container *container_new(struct kunit *test, u32 type)
{
	struct mdom_container *c = mdom_container_alloc(type);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, c);
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test,
						  mdom_container_destroy_action, c),
			0);
	return c;
}

static unsigned long user_buf(struct kunit *test, unsigned long size)
{
	unsigned long addr;

	addr = kunit_vm_mmap(test, NULL, 0, size, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, addr, 0, "kunit_vm_mmap() failed");
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(addr));
	return addr;
}

static unsigned long locked_vm(void)
{
	return READ_ONCE(current->mm->locked_vm);
}

static void mdom_container_extensions_empty(struct kunit *test)
{
	struct mdom_container *c = container_new(test, VFIO_TYPE1v2_IOMMU);

	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(c, VFIO_TYPE1_IOMMU), 1);
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(c, VFIO_TYPE1v2_IOMMU), 1);
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(c, VFIO_UNMAP_ALL), 1);
	/* No domain: nothing to enforce, 1 as type1 (KVM asks again later). */
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(c, VFIO_DMA_CC_IOMMU), 1);
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(c, VFIO_TYPE1_NESTING_IOMMU), 0);
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(c, VFIO_UPDATE_VADDR), 1);
}

struct subtract_case {
	const char *name;
	struct mdom_iova_range resv;
	unsigned int nr_out;
	struct mdom_iova_range out[3];
};

/* Each case subtracts one region from { [0x1000, 0x1fff], [0x4000, 0x7fff] }. */
static const struct subtract_case subtract_cases[] = {
	{ "disjoint below", { 0, 0xfff }, 2, { { 0x1000, 0x1fff }, { 0x4000, 0x7fff } } },
	{ "disjoint between", { 0x2000, 0x3fff }, 2, { { 0x1000, 0x1fff }, { 0x4000, 0x7fff } } },
	{ "disjoint above", { 0x8000, U64_MAX }, 2, { { 0x1000, 0x1fff }, { 0x4000, 0x7fff } } },
	{ "inside splits", { 0x5000, 0x5fff }, 3,
	  { { 0x1000, 0x1fff }, { 0x4000, 0x4fff }, { 0x6000, 0x7fff } } },
	{ "cuts the start", { 0x3000, 0x4fff }, 2, { { 0x1000, 0x1fff }, { 0x5000, 0x7fff } } },
	{ "cuts the end", { 0x1800, 0x2fff }, 2, { { 0x1000, 0x17ff }, { 0x4000, 0x7fff } } },
	{ "covers one", { 0x1000, 0x1fff }, 1, { { 0x4000, 0x7fff } } },
	{ "covers the second", { 0x3000, 0x9000 }, 1, { { 0x1000, 0x1fff } } },
	{ "cuts both", { 0x1800, 0x4fff }, 2, { { 0x1000, 0x17ff }, { 0x5000, 0x7fff } } },
	{ "covers all", { 0, U64_MAX }, 0, {} },
	{ "single byte at the start", { 0x1000, 0x1000 }, 2,
	  { { 0x1001, 0x1fff }, { 0x4000, 0x7fff } } },
};

static void subtract_case_desc(const struct subtract_case *t, char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(subtract, subtract_cases, subtract_case_desc);

static void mdom_container_ranges_subtract(struct kunit *test)
{
	const struct subtract_case *t = test->param_value;
	struct mdom_iova_range r[3] = {
		{ 0x1000, 0x1fff }, { 0x4000, 0x7fff },
	};
	unsigned int nr, i;

	nr = mdom_iova_ranges_subtract(r, 2, &t->resv);
	KUNIT_ASSERT_EQ(test, nr, t->nr_out);
	for (i = 0; i < nr; i++) {
		KUNIT_EXPECT_EQ_MSG(test, r[i].first, t->out[i].first, "range %u", i);
		KUNIT_EXPECT_EQ_MSG(test, r[i].last, t->out[i].last, "range %u", i);
	}
}

static void mdom_container_ranges_top(struct kunit *test)
{
	struct mdom_iova_range r[2] = { { 0, U64_MAX } };
	struct mdom_iova_range top = { U64_MAX - 0xfff, U64_MAX };
	struct mdom_iova_range bottom = { 0, 0xfff };
	unsigned int nr;

	nr = mdom_iova_ranges_subtract(r, 1, &top);
	KUNIT_ASSERT_EQ(test, nr, 1);
	KUNIT_EXPECT_EQ(test, r[0].last, U64_MAX - 0x1000);
	nr = mdom_iova_ranges_subtract(r, nr, &bottom);
	KUNIT_ASSERT_EQ(test, nr, 1);
	KUNIT_EXPECT_EQ(test, r[0].first, 0x1000);
}

static void mdom_container_empty_geometry(struct kunit *test)
{
	struct mdom_container *c = container_new(test, VFIO_TYPE1v2_IOMMU);
	struct mdom_iova_range *ranges;
	struct mdom_info *info;
	int nr;

	down_read(&c->domains_rwsem);
	KUNIT_EXPECT_EQ(test, mdom_pgsize_bitmap(c, NULL), PAGE_MASK);
	nr = mdom_iova_ranges(c, GFP_KERNEL, &ranges);
	up_read(&c->domains_rwsem);
	mutex_lock(&c->iova_lock);
	KUNIT_EXPECT_EQ(test, mdom_container_dma_avail(c), mdom_dma_entry_limit);
	mutex_unlock(&c->iova_lock);
	/* The published snapshot says the same. */
	info = mdom_info_get(c);
	KUNIT_EXPECT_EQ(test, info->pgsize_bitmap, PAGE_MASK);
	KUNIT_EXPECT_EQ(test, info->nr_ranges, 1);
	KUNIT_EXPECT_EQ(test, info->nr_domains, 0);
	KUNIT_EXPECT_TRUE(test, info->enforce_cc);
	mdom_info_put(info);
	KUNIT_ASSERT_EQ(test, nr, 1);
	KUNIT_EXPECT_EQ(test, ranges[0].first, 0);
	KUNIT_EXPECT_EQ(test, ranges[0].last, U64_MAX);
	kfree(ranges);
}

static void mdom_container_map_bad_args(struct kunit *test)
{
	struct mdom_container *c = container_new(test, VFIO_TYPE1v2_IOMMU);
	unsigned long buf = user_buf(test, 4 * PAGE_SIZE);
	unsigned long before = locked_vm();
	int rw = IOMMU_READ | IOMMU_WRITE;

	KUNIT_EXPECT_EQ(test, mdom_container_map(c, 0, 0, buf, rw), -EINVAL);
	KUNIT_EXPECT_EQ(test, mdom_container_map(c, 0x100, PAGE_SIZE, buf, rw), -EINVAL);
	KUNIT_EXPECT_EQ(test, mdom_container_map(c, 0, PAGE_SIZE + 1, buf, rw), -EINVAL);
	KUNIT_EXPECT_EQ(test, mdom_container_map(c, 0, PAGE_SIZE, buf + 8, rw), -EINVAL);
	/* IOVA wrap-around: the last page plus one more. */
	KUNIT_EXPECT_EQ(test, mdom_container_map(c, U64_MAX - PAGE_SIZE + 1,
						 2 * PAGE_SIZE, buf, rw), -EINVAL);
	/* vaddr wrap-around */
	KUNIT_EXPECT_EQ(test, mdom_container_map(c, 0, 2 * PAGE_SIZE,
						 ULONG_MAX - PAGE_SIZE + 1, rw), -EINVAL);
	KUNIT_EXPECT_EQ(test, mdom_container_map(c, 0, PAGE_SIZE, buf, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, mdom_container_map(c, 0, PAGE_SIZE, buf,
						 IOMMU_READ | IOMMU_CACHE), -EINVAL);
	/* Past the user address space: refused before anything else. */
	KUNIT_EXPECT_EQ(test, mdom_container_map(c, 0, PAGE_SIZE,
						 TASK_SIZE & PAGE_MASK, rw), -EFAULT);

	KUNIT_EXPECT_EQ(test, c->dmas.count, 0);
	KUNIT_EXPECT_EQ(test, c->pinned_pages, 0);
	KUNIT_EXPECT_EQ(test, locked_vm(), before);
}

static void mdom_container_map_unmap_accounting(struct kunit *test)
{
	struct mdom_container *c = container_new(test, VFIO_TYPE1v2_IOMMU);
	unsigned long buf = user_buf(test, 8 * PAGE_SIZE);
	unsigned long before = locked_vm();
	int rw = IOMMU_READ | IOMMU_WRITE;
	u64 unmapped;

	/* No domain yet: recorded, neither pinned nor charged. */
	KUNIT_ASSERT_EQ(test, mdom_container_map(c, 0x100000, 4 * PAGE_SIZE,
						 buf, rw), 0);
	KUNIT_ASSERT_EQ(test, mdom_container_map(c, 0x200000, 4 * PAGE_SIZE,
						 buf + 4 * PAGE_SIZE, IOMMU_READ), 0);
	KUNIT_EXPECT_EQ(test, c->dmas.count, 2);
	KUNIT_EXPECT_EQ(test, c->nr_mappings, 2);
	KUNIT_EXPECT_EQ(test, c->pinned_pages, 0);
	KUNIT_EXPECT_EQ(test, c->mapped_bytes, 8 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, locked_vm(), before);

	/* Any overlap is EEXIST, and pins nothing more. */
	KUNIT_EXPECT_EQ(test, mdom_container_map(c, 0x100000, PAGE_SIZE, buf, rw), -EEXIST);
	KUNIT_EXPECT_EQ(test, mdom_container_map(c, 0x100000 + 3 * PAGE_SIZE,
						 2 * PAGE_SIZE, buf, rw), -EEXIST);
	KUNIT_EXPECT_EQ(test, mdom_container_map(c, 0x100000 - PAGE_SIZE,
						 2 * PAGE_SIZE, buf, rw), -EEXIST);
	KUNIT_EXPECT_EQ(test, c->dmas.count, 2);

	/* v2: a range cutting a mapping fails and removes nothing. */
	KUNIT_EXPECT_EQ(test, mdom_container_unmap(c, 0x100000 + PAGE_SIZE,
						   PAGE_SIZE, false, &unmapped), -EINVAL);
	KUNIT_EXPECT_EQ(test, mdom_container_unmap(c, 0x100000,
						   PAGE_SIZE, false, &unmapped), -EINVAL);
	KUNIT_EXPECT_EQ(test, c->dmas.count, 2);
	/* Misaligned or zero or wrapping unmap arguments */
	KUNIT_EXPECT_EQ(test, mdom_container_unmap(c, 0x100001, PAGE_SIZE,
						   false, &unmapped), -EINVAL);
	KUNIT_EXPECT_EQ(test, mdom_container_unmap(c, 0x100000, 0,
						   false, &unmapped), -EINVAL);
	KUNIT_EXPECT_EQ(test, mdom_container_unmap(c, 2 * PAGE_SIZE,
						   U64_MAX - PAGE_SIZE + 1,
						   false, &unmapped), -EINVAL);
	KUNIT_EXPECT_EQ(test, mdom_container_unmap(c, PAGE_SIZE, 0,
						   true, &unmapped), -EINVAL);

	/* Exact unmap of the first: size written back. */
	KUNIT_EXPECT_EQ(test, mdom_container_unmap(c, 0x100000, 4 * PAGE_SIZE,
						   false, &unmapped), 0);
	KUNIT_EXPECT_EQ(test, unmapped, 4 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, c->dmas.count, 1);
	KUNIT_EXPECT_EQ(test, c->mapped_bytes, 4 * PAGE_SIZE);

	/* Nothing there: success, 0 bytes. */
	KUNIT_EXPECT_EQ(test, mdom_container_unmap(c, 0x100000, 4 * PAGE_SIZE,
						   false, &unmapped), 0);
	KUNIT_EXPECT_EQ(test, unmapped, 0);

	KUNIT_EXPECT_EQ(test, mdom_container_unmap(c, 0, 0, true, &unmapped), 0);
	KUNIT_EXPECT_EQ(test, unmapped, 4 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, c->dmas.count, 0);
	KUNIT_EXPECT_EQ(test, c->pinned_pages, 0);
	KUNIT_EXPECT_EQ(test, c->mapped_bytes, 0);
	KUNIT_EXPECT_EQ(test, locked_vm(), before);
}

static void mdom_container_unmap_v1(struct kunit *test)
{
	struct mdom_container *c = container_new(test, VFIO_TYPE1_IOMMU);
	unsigned long buf = user_buf(test, 4 * PAGE_SIZE);
	unsigned long before = locked_vm();
	u64 unmapped;

	KUNIT_ASSERT_EQ(test, mdom_container_map(c, 0, 2 * PAGE_SIZE, buf,
						 IOMMU_READ), 0);
	KUNIT_ASSERT_EQ(test, mdom_container_map(c, 2 * PAGE_SIZE, 2 * PAGE_SIZE,
						 buf + 2 * PAGE_SIZE, IOMMU_READ), 0);
	/* v1: starting inside a mapping succeeds and removes nothing. */
	KUNIT_EXPECT_EQ(test, mdom_container_unmap(c, PAGE_SIZE, PAGE_SIZE,
						   false, &unmapped), 0);
	KUNIT_EXPECT_EQ(test, unmapped, 0);
	KUNIT_EXPECT_EQ(test, c->dmas.count, 2);
	/* v1: covering the first IOVA removes the whole mapping. */
	KUNIT_EXPECT_EQ(test, mdom_container_unmap(c, 2 * PAGE_SIZE, PAGE_SIZE,
						   false, &unmapped), 0);
	KUNIT_EXPECT_EQ(test, unmapped, 2 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, c->dmas.count, 1);
	KUNIT_EXPECT_EQ(test, locked_vm(), before);
}

/* type1 overflows computing iova + size at the top; this must not. */
static void mdom_container_top_of_space(struct kunit *test)
{
	struct mdom_container *c = container_new(test, VFIO_TYPE1v2_IOMMU);
	unsigned long buf = user_buf(test, 2 * PAGE_SIZE);
	u64 top = U64_MAX - 2 * PAGE_SIZE + 1;
	u64 unmapped;

	KUNIT_ASSERT_EQ(test, mdom_container_map(c, top, 2 * PAGE_SIZE, buf,
						 IOMMU_READ | IOMMU_WRITE), 0);
	KUNIT_EXPECT_EQ(test, mdom_container_map(c, top + PAGE_SIZE, PAGE_SIZE,
						 buf, IOMMU_READ), -EEXIST);
	KUNIT_EXPECT_EQ(test, mdom_container_unmap(c, top + PAGE_SIZE, PAGE_SIZE,
						   false, &unmapped), -EINVAL);
	KUNIT_EXPECT_EQ(test, mdom_container_unmap(c, top, 2 * PAGE_SIZE,
						   false, &unmapped), 0);
	KUNIT_EXPECT_EQ(test, unmapped, 2 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, c->dmas.count, 0);
}

static void mdom_container_entry_limit(struct kunit *test)
{
	struct mdom_container *c = container_new(test, VFIO_TYPE1v2_IOMMU);
	unsigned long buf = user_buf(test, 3 * PAGE_SIZE);
	unsigned long before = locked_vm();
	u64 unmapped;

	c->dma_limit = 2;	/* as if dma_entry_limit was 2 at open */
	KUNIT_ASSERT_EQ(test, mdom_container_map(c, 0, PAGE_SIZE, buf, IOMMU_READ), 0);
	KUNIT_ASSERT_EQ(test, mdom_container_map(c, PAGE_SIZE, PAGE_SIZE,
						 buf + PAGE_SIZE, IOMMU_READ), 0);
	mutex_lock(&c->iova_lock);
	KUNIT_EXPECT_EQ(test, mdom_container_dma_avail(c), 0);
	mutex_unlock(&c->iova_lock);
	KUNIT_EXPECT_EQ(test, mdom_container_map(c, 2 * PAGE_SIZE, PAGE_SIZE,
						 buf + 2 * PAGE_SIZE, IOMMU_READ), -ENOSPC);
	/* EEXIST comes before ENOSPC, as in type1. */
	KUNIT_EXPECT_EQ(test, mdom_container_map(c, 0, PAGE_SIZE, buf, IOMMU_READ),
			-EEXIST);
	KUNIT_EXPECT_EQ(test, locked_vm(), before);
	KUNIT_EXPECT_EQ(test, mdom_container_unmap(c, 0, PAGE_SIZE, false, &unmapped), 0);
	KUNIT_EXPECT_EQ(test, mdom_container_map(c, 2 * PAGE_SIZE, PAGE_SIZE,
						 buf + 2 * PAGE_SIZE, IOMMU_READ), 0);
}

/* Close with mappings and no domain: nothing was pinned, nothing stays. */
static void mdom_container_destroy_returns_all(struct kunit *test)
{
	struct mdom_container *c = mdom_container_alloc(VFIO_TYPE1v2_IOMMU);
	unsigned long buf = user_buf(test, 16 * PAGE_SIZE);
	unsigned long before = locked_vm();
	unsigned int i;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, c);
	for (i = 0; i < 8; i++)
		KUNIT_EXPECT_EQ(test, mdom_container_map(c, (u64)i << 30, 2 * PAGE_SIZE,
							 buf + 2 * i * PAGE_SIZE,
							 IOMMU_READ | IOMMU_WRITE), 0);
	KUNIT_EXPECT_EQ(test, c->nr_mappings, 8);
	KUNIT_EXPECT_EQ(test, c->pinned_pages, 0);
	KUNIT_EXPECT_EQ(test, locked_vm(), before);
	mdom_container_destroy(c);
	KUNIT_EXPECT_EQ(test, locked_vm(), before);
}

/*
 * A map in progress: the mapping at @iova is put back to MAPPING, as a
 * map leaves it while it maps it into the domains, and a work item
 * finishes that map (LIVE, map_seq, a wake-up) after a while.
 */
struct finish_map {
	struct delayed_work work;
	struct mdom_container *c;
	struct mdom_dma *dma;
	bool done;
};

static void finish_map_fn(struct work_struct *work)
{
	struct finish_map *f = container_of(to_delayed_work(work),
					    struct finish_map, work);

	scoped_guard(mutex, &f->c->iova_lock) {
		f->dma->state = MDOM_DMA_LIVE;
		f->c->map_seq++;
		WRITE_ONCE(f->done, true);
	}
	wake_up_all(&f->c->dma_wq);
}

static void finish_map_wait(struct finish_map *f)
{
	flush_delayed_work(&f->work);
}

static void finish_map_action(void *data)
{
	finish_map_wait(data);
}

/*
 * A map finisher for @c; a map it started and the test did not wait for
 * (the test stopped early) is finished when the test ends, before @c goes.
 */
static struct finish_map *finish_map_new(struct kunit *test,
					 struct mdom_container *c)
{
	struct finish_map *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->c = c;
	INIT_DELAYED_WORK(&f->work, finish_map_fn);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, finish_map_action,
							f), 0);
	return f;
}

static void finish_map_start(struct kunit *test, struct finish_map *f,
			     u64 iova)
{
	struct mdom_dma *dma;

	f->done = false;
	scoped_guard(mutex, &f->c->iova_lock) {
		dma = mdom_dma_first(&f->c->dmas, iova, iova);
		if (dma)
			dma->state = MDOM_DMA_MAPPING;
	}
	/* Not under the lock: a failed assertion ends the thread */
	KUNIT_ASSERT_NOT_NULL(test, dma);
	f->dma = dma;
	schedule_delayed_work(&f->work, msecs_to_jiffies(100));
}

static bool finish_map_done(struct finish_map *f)
{
	return READ_ONCE(f->done);
}

/*
 * An emulated device that listens to unmaps: it holds at most one page
 * pinned (at @pinned, 0 if none), and unpins it when told.
 */
struct fake_device {
	struct vfio_device vdev;
	struct mdom_container *c;
	u64 pinned;
};

static void fake_dma_unmap(struct vfio_device *vdev, u64 iova, u64 length)
{
	struct fake_device *fake = container_of(vdev, struct fake_device, vdev);

	if (fake->pinned && fake->pinned >= iova &&
	    fake->pinned - iova < length) {
		mdom_container_unpin_pages(fake->c, fake->pinned, 1);
		fake->pinned = 0;
	}
}

static const struct vfio_device_ops fake_device_ops = {
	.dma_unmap = fake_dma_unmap,
};

static void fake_device_unregister(void *data)
{
	struct fake_device *fake = data;

	mdom_container_unregister_device(fake->c, &fake->vdev);
}

/* An emulated device that listens to unmaps, registered with @c. */
static struct fake_device *fake_device_register(struct kunit *test,
						struct mdom_container *c)
{
	struct fake_device *fake = kunit_kzalloc(test, sizeof(*fake),
						 GFP_KERNEL);
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, fake);
	fake->vdev.ops = &fake_device_ops;
	fake->c = c;
	mdom_container_register_device(c, &fake->vdev);
	ret = kunit_add_action_or_reset(test, fake_device_unregister, fake);
	KUNIT_ASSERT_EQ(test, ret, 0);
	return fake;
}

/*
 * As type1, whose map holds its lock until the mapping is there, an
 * emulated device's vfio_dma_rw() or vfio_pin_pages() of a mapping still
 * being mapped waits for the map, and then reads it; of one being
 * unmapped it fails at once (the unmap may be waiting for this very
 * device to unpin).
 */
static void mdom_container_emulated_waits_for_map(struct kunit *test)
{
	struct mdom_container *c = container_new(test, VFIO_TYPE1v2_IOMMU);
	unsigned long buf = user_buf(test, 4 * PAGE_SIZE);
	struct page *page = NULL;
	struct finish_map *f;
	u64 data = 0;

	fake_device_register(test, c);
	f = finish_map_new(test, c);
	KUNIT_ASSERT_EQ(test, put_user(0x1122334455667788ULL,
				       (u64 __user *)(buf + PAGE_SIZE)), 0);
	KUNIT_ASSERT_EQ(test, mdom_container_map(c, 0x100000, 4 * PAGE_SIZE,
						 buf, IOMMU_READ | IOMMU_WRITE), 0);

	finish_map_start(test, f, 0x100000);
	KUNIT_EXPECT_EQ(test, mdom_container_dma_rw(c, 0x100000 + PAGE_SIZE,
						    &data, sizeof(data), false), 0);
	KUNIT_EXPECT_TRUE(test, finish_map_done(f));
	KUNIT_EXPECT_EQ(test, data, 0x1122334455667788ULL);
	finish_map_wait(f);

	finish_map_start(test, f, 0x100000);
	KUNIT_EXPECT_EQ(test, mdom_container_pin_pages(c, 0x100000 + PAGE_SIZE,
						       1, IOMMU_READ, &page), 1);
	KUNIT_EXPECT_TRUE(test, finish_map_done(f));
	finish_map_wait(f);
	KUNIT_EXPECT_EQ(test, c->pinned_pages, 1);
	if (page)
		mdom_container_unpin_pages(c, 0x100000 + PAGE_SIZE, 1);
	KUNIT_EXPECT_EQ(test, c->pinned_pages, 0);

	/* Being unmapped: gone already. */
	scoped_guard(mutex, &c->iova_lock)
		mdom_dma_first(&c->dmas, 0x100000, 0x100000)->state =
			MDOM_DMA_UNMAPPING;
	KUNIT_EXPECT_EQ(test, mdom_container_dma_rw(c, 0x100000, &data,
						    sizeof(data), false), -EINVAL);
	KUNIT_EXPECT_EQ(test, mdom_container_pin_pages(c, 0x100000, 1,
						       IOMMU_READ, &page), -EINVAL);
	scoped_guard(mutex, &c->iova_lock)
		mdom_dma_first(&c->dmas, 0x100000, 0x100000)->state =
			MDOM_DMA_LIVE;
}

/* VFIO_IOMMU_DIRTY_PAGES with @flags (START or STOP), through user memory. */
static int extra_dirty_pages(struct mdom_container *c, unsigned long ubuf,
			     u32 flags)
{
	struct vfio_iommu_type1_dirty_bitmap hdr = {
		.argsz = sizeof(hdr),
		.flags = flags,
	};

	if (copy_to_user((void __user *)ubuf, &hdr, sizeof(hdr)))
		return -EFAULT;
	return mdom_dirty_pages(c, (void __user *)ubuf);
}

/* The extra state of the mapping at @iova: NULL if none, or no mapping. */
static struct mdom_dma_extra *extra_at(struct mdom_container *c, u64 iova)
{
	struct mdom_dma *dma;

	guard(mutex)(&c->iova_lock);
	dma = mdom_dma_first(&c->dmas, iova, iova);
	return dma ? mdom_dma_extra(c, dma) : NULL;
}

static bool extras_empty(struct mdom_container *c)
{
	guard(mutex)(&c->iova_lock);
	return xa_empty(&c->dma_extras);
}

/*
 * The extra state of a mapping (emulated device pins, dirty bitmap) lives
 * in the container, keyed by the mapping's first IOVA: it goes with the
 * mapping, and a new mapping at the same IOVA never finds it. Also when
 * dirty tracking stops, if no device pins anything of the mapping.
 */
static void mdom_container_extra_gone_with_mapping(struct kunit *test)
{
	struct mdom_container *c = container_new(test, VFIO_TYPE1v2_IOMMU);
	unsigned long buf = user_buf(test, 8 * PAGE_SIZE);
	unsigned long ubuf = buf + 6 * PAGE_SIZE;	/* ioctl arguments */
	const int rw = IOMMU_READ | IOMMU_WRITE;
	struct mdom_dma_extra *extra;
	struct fake_device *fake;
	struct page *page = NULL;
	u64 data = 1, unmapped;

	fake = fake_device_register(test, c);
	KUNIT_ASSERT_EQ(test, mdom_container_map(c, 0x100000, 4 * PAGE_SIZE,
						 buf, rw), 0);
	KUNIT_EXPECT_NULL(test, extra_at(c, 0x100000));

	/* Pinned by a device and written through dma_rw while tracking. */
	KUNIT_ASSERT_EQ(test, mdom_container_pin_pages(c, 0x100000 + PAGE_SIZE,
						       1, rw, &page), 1);
	fake->pinned = 0x100000 + PAGE_SIZE;
	KUNIT_ASSERT_EQ(test, extra_dirty_pages(c, ubuf,
						VFIO_IOMMU_DIRTY_PAGES_FLAG_START),
			0);
	KUNIT_ASSERT_EQ(test, mdom_container_dma_rw(c, 0x100000 + 2 * PAGE_SIZE,
						    &data, sizeof(data), true),
			0);
	extra = extra_at(c, 0x100000);
	KUNIT_ASSERT_NOT_NULL(test, extra);
	KUNIT_EXPECT_FALSE(test, xa_empty(&extra->epins));
	KUNIT_ASSERT_NOT_NULL(test, extra->dirty);
	KUNIT_EXPECT_EQ(test, bitmap_weight(extra->dirty, 4), 2);

	/* The unmap has the device unpin, and the extra state goes. */
	KUNIT_EXPECT_EQ(test, mdom_container_unmap(c, 0x100000, 4 * PAGE_SIZE,
						   false, &unmapped), 0);
	KUNIT_EXPECT_EQ(test, unmapped, 4 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, fake->pinned, 0);
	KUNIT_EXPECT_TRUE(test, extras_empty(c));
	KUNIT_EXPECT_EQ(test, c->pinned_pages, 0);

	/* Mapped again, tracking on: a bitmap of its own, clean. */
	KUNIT_ASSERT_EQ(test, mdom_container_map(c, 0x100000, 2 * PAGE_SIZE,
						 buf + 4 * PAGE_SIZE, rw), 0);
	extra = extra_at(c, 0x100000);
	KUNIT_ASSERT_NOT_NULL(test, extra);
	KUNIT_EXPECT_TRUE(test, xa_empty(&extra->epins));
	KUNIT_ASSERT_NOT_NULL(test, extra->dirty);
	KUNIT_EXPECT_TRUE(test, bitmap_empty(extra->dirty, 2));

	/* Tracking stops: nothing left in it, it goes. */
	KUNIT_ASSERT_EQ(test, extra_dirty_pages(c, ubuf,
						VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP),
			0);
	KUNIT_EXPECT_NULL(test, extra_at(c, 0x100000));
	KUNIT_EXPECT_TRUE(test, extras_empty(c));

	/* Pinned and unpinned, then unmapped: a new mapping finds nothing. */
	KUNIT_ASSERT_EQ(test, mdom_container_pin_pages(c, 0x100000, 1, rw,
						       &page), 1);
	KUNIT_EXPECT_NOT_NULL(test, extra_at(c, 0x100000));
	mdom_container_unpin_pages(c, 0x100000, 1);
	KUNIT_EXPECT_EQ(test, mdom_container_unmap(c, 0, 0, true, &unmapped),
			0);
	KUNIT_EXPECT_TRUE(test, extras_empty(c));
	KUNIT_ASSERT_EQ(test, mdom_container_map(c, 0x100000, 4 * PAGE_SIZE,
						 buf, rw), 0);
	KUNIT_EXPECT_NULL(test, extra_at(c, 0x100000));
	KUNIT_EXPECT_TRUE(test, extras_empty(c));

	/* Left with extra state for the container's release to free. */
	KUNIT_ASSERT_EQ(test, extra_dirty_pages(c, ubuf,
						VFIO_IOMMU_DIRTY_PAGES_FLAG_START),
			0);
	KUNIT_EXPECT_NOT_NULL(test, extra_at(c, 0x100000));
}

struct invalidator {
	struct mdom_container *c;
	u64 iova;
	unsigned long calls;
	struct task_struct *task;
};

static void invalidator_stop(void *data)
{
	struct invalidator *inv = data;

	kthread_stop(inv->task);
}

static int invalidator_fn(void *data)
{
	struct invalidator *inv = data;
	u64 n;

	while (!kthread_should_stop()) {
		mdom_container_invalidate_vaddr(inv->c, inv->iova, PAGE_SIZE,
						false, &n);
		inv->calls++;
		cond_resched();
	}
	return 0;
}

#define UNMAP_RACE_ROUNDS	3000

/*
 * An unmap racing a VFIO_DMA_UNMAP_FLAG_VADDR invalidation of the same
 * mapping: as in type1, which serialises both on its lock, the unmap
 * always removes the mapping, before or after the invalidation.
 */
static void mdom_container_unmap_vs_invalidate(struct kunit *test)
{
	struct mdom_container *c = container_new(test, VFIO_TYPE1v2_IOMMU);
	unsigned long buf = user_buf(test, PAGE_SIZE);
	struct invalidator *inv = kunit_kzalloc(test, sizeof(*inv), GFP_KERNEL);
	unsigned int i, missed = 0;
	u64 unmapped;

	KUNIT_ASSERT_NOT_NULL(test, inv);
	inv->c = c;
	inv->iova = 0x100000;
	inv->task = kthread_run(invalidator_fn, inv, "mdom_kunit_inval");
	KUNIT_ASSERT_FALSE(test, IS_ERR(inv->task));
	/* Stopped here, or before the container goes if the test stops */
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, invalidator_stop,
							inv), 0);
	for (i = 0; i < UNMAP_RACE_ROUNDS; i++) {
		if (mdom_container_map(c, inv->iova, PAGE_SIZE, buf,
				       IOMMU_READ | IOMMU_WRITE))
			break;
		KUNIT_EXPECT_EQ(test, mdom_container_unmap(c, inv->iova,
							   PAGE_SIZE, false,
							   &unmapped), 0);
		if (unmapped == PAGE_SIZE)
			continue;
		missed++;
		mdom_container_unmap(c, 0, 0, true, &unmapped);
	}
	kunit_release_action(test, invalidator_stop, inv);
	KUNIT_EXPECT_EQ(test, i, UNMAP_RACE_ROUNDS);
	KUNIT_EXPECT_EQ_MSG(test, missed, 0,
			    "%u of %u unmaps left the mapping (%lu invalidations)",
			    missed, i, inv->calls);
	KUNIT_EXPECT_EQ(test, c->nr_mappings, 0);
	KUNIT_EXPECT_EQ(test, c->nr_vaddr_invalid, 0);
}

static struct kunit_case mdom_container_cases[] = {
	KUNIT_CASE(mdom_container_extensions_empty),
	KUNIT_CASE_PARAM(mdom_container_ranges_subtract, subtract_gen_params),
	KUNIT_CASE(mdom_container_ranges_top),
	KUNIT_CASE(mdom_container_empty_geometry),
	KUNIT_CASE(mdom_container_map_bad_args),
	KUNIT_CASE(mdom_container_map_unmap_accounting),
	KUNIT_CASE(mdom_container_unmap_v1),
	KUNIT_CASE(mdom_container_top_of_space),
	KUNIT_CASE(mdom_container_entry_limit),
	KUNIT_CASE(mdom_container_destroy_returns_all),
	KUNIT_CASE(mdom_container_emulated_waits_for_map),
	KUNIT_CASE(mdom_container_extra_gone_with_mapping),
	KUNIT_CASE_SLOW(mdom_container_unmap_vs_invalidate),
	{}
};

static struct kunit_suite mdom_container_suite = {
	.name = "vfio_mdom_container",
	.test_cases = mdom_container_cases,
};

kunit_test_suite(mdom_container_suite);
