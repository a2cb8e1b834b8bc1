// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the pinned-page store: pinning a user range of the
 * test's own mm (kunit_vm_mmap() gives the test thread one), folding it
 * into contiguous runs, the locked_vm charge and RLIMIT_MEMLOCK, errors
 * that must leave nothing pinned or charged, and mapping the runs into an
 * IOMMU domain.
 *
 * The domain is a fake paging domain local to this file: iommu_map() and
 * iommu_unmap() need only a domain's type, page sizes and ops, no device.
 * It records every translation in an xarray (refusing to map twice), counts
 * the iommu_map() calls through ->iotlb_sync_map, and can fail on demand.
 */
#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/cred.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "../pages.h"

KUNIT_DEFINE_ACTION_WRAPPER(mdom_pages_unpin_action, mdom_pages_unpin,
			    struct mdom_pages *);

/* Stand-ins for two containers of the same mm. */
static const char container_a, container_b;

/* Pin as a mapping of container A. */
static struct mdom_pages *pin_for(unsigned long vaddr, u64 size, bool writable)
{
	return mdom_pages_pin(vaddr, size, writable, &container_a);
}

static unsigned long user_alloc(struct kunit *test, unsigned long size,
				unsigned long prot)
{
	unsigned long addr;

	addr = kunit_vm_mmap(test, NULL, 0, size, prot,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, addr, 0, "kunit_vm_mmap() failed");
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(addr));
	KUNIT_ASSERT_NOT_NULL(test, current->mm);
	return addr;
}

/* Write a value naming each page (its index and a tag) at its start. */
static void user_fill(struct kunit *test, unsigned long addr,
		      unsigned long npages, u64 tag)
{
	unsigned long i;

	for (i = 0; i < npages; i++) {
		u64 val = tag ^ i;

		KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)
						   (addr + i * PAGE_SIZE),
						   &val, sizeof(val)), 0);
	}
}

/* Whether the page mapped at @addr has a DMA pin. */
static bool user_page_pinned(struct kunit *test, unsigned long addr)
{
	struct page *page;
	bool pinned;

	KUNIT_ASSERT_EQ(test, get_user_pages_fast(addr, 1, 0, &page), 1);
	pinned = folio_maybe_dma_pinned(page_folio(page));
	put_page(page);
	return pinned;
}

static unsigned long locked_vm(void)
{
	return READ_ONCE(current->mm->locked_vm);
}

/* What memlock_limit() changed, for memlock_restore() */
struct memlock_saved {
	struct task_struct *task;
	const struct cred *cred;
	unsigned long limit;
};

/* CAP_IPC_LOCK back, the limit still in place. */
static void memlock_cap_restore(struct memlock_saved *saved)
{
	revert_creds(saved->cred);
	saved->cred = NULL;
}

/*
 * Undo memlock_limit(), a KUnit action. In the test thread (the test calls
 * memlock_unlimit()): the creds and the limit come back. KUnit runs the
 * actions of a test that stopped at a failed assertion in another thread,
 * once the test thread has exited: its creds and its signal_struct's limit
 * went with it, all but the reference to its own creds that
 * override_creds() left with us, dropped here.
 */
static void memlock_restore(void *data)
{
	struct memlock_saved *saved = data;
	struct rlimit *rlim = &current->signal->rlim[RLIMIT_MEMLOCK];

	if (current != saved->task) {
		if (saved->cred)
			put_cred(saved->cred);
		saved->cred = NULL;
		put_task_struct(saved->task);
		return;
	}
	if (saved->cred)
		memlock_cap_restore(saved);
	task_lock(current->group_leader);
	rlim->rlim_cur = saved->limit;
	task_unlock(current->group_leader);
	put_task_struct(saved->task);
}

/*
 * This test thread without CAP_IPC_LOCK (creds of its own) and with
 * RLIMIT_MEMLOCK at @pages pages (the test thread's own signal_struct),
 * until memlock_unlimit() or the end of the test.
 */
static struct memlock_saved *memlock_limit(struct kunit *test,
					   unsigned long pages)
{
	struct rlimit *rlim = &current->signal->rlim[RLIMIT_MEMLOCK];
	struct memlock_saved *saved;
	struct cred *cred;

	saved = kunit_kzalloc(test, sizeof(*saved), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, saved);
	cred = prepare_creds();
	KUNIT_ASSERT_NOT_NULL(test, cred);
	cap_lower(cred->cap_effective, CAP_IPC_LOCK);
	/* Held so that no cleanup thread can have its address */
	saved->task = get_task_struct(current);
	saved->cred = override_creds(cred);
	put_cred(cred);
	task_lock(current->group_leader);
	saved->limit = rlim->rlim_cur;
	rlim->rlim_cur = pages * PAGE_SIZE;
	task_unlock(current->group_leader);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, memlock_restore,
							saved), 0);
	return saved;
}

/* Undo memlock_limit() now. */
static void memlock_unlimit(struct kunit *test, struct memlock_saved *saved)
{
	kunit_release_action(test, memlock_restore, saved);
}

static struct mdom_pages *pin_ok(struct kunit *test, unsigned long vaddr,
				 u64 size, bool writable)
{
	struct mdom_pages *pages = pin_for(vaddr, size, writable);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pages);
	/* If the test stops early, unpin when it is cleaned up. */
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							mdom_pages_unpin_action,
							pages), 0);
	return pages;
}

static void unpin(struct kunit *test, struct mdom_pages *pages)
{
	kunit_release_action(test, mdom_pages_unpin_action, pages);
}

/*
 * The runs cover exactly @pages->npages, are each as long as they can be
 * (two adjacent runs are never physically contiguous), and each page holds
 * the value user_fill() wrote to it.
 */
static void expect_runs(struct kunit *test, struct mdom_pages *pages,
			u64 tag, bool check_data)
{
	unsigned long total = 0, next_pfn = 0, index = 0;
	unsigned int i;

	KUNIT_ASSERT_GE(test, mdom_pages_nruns(pages), 1);
	if (mdom_pages_nruns(pages) > 1)
		KUNIT_EXPECT_LE(test, mdom_pages_nruns(pages), pages->runs->max);
	for (i = 0; i < mdom_pages_nruns(pages); i++) {
		struct mdom_run r = mdom_pages_run(pages, i), *run = &r;
		unsigned long j, pfn = run->pfn;

		KUNIT_EXPECT_GE(test, (unsigned long)run->npages, 1);
		if (i)
			KUNIT_EXPECT_NE_MSG(test, pfn, next_pfn,
					    "runs %u and %u are contiguous",
					    i - 1, i);
		next_pfn = pfn + run->npages;
		total += run->npages;
		for (j = 0; check_data && j < run->npages; j++, index++) {
			u64 *va = kmap_local_page(pfn_to_page(pfn + j));

			KUNIT_EXPECT_EQ_MSG(test, *va, tag ^ index,
					    "page %lu", index);
			kunmap_local(va);
		}
	}
	KUNIT_EXPECT_EQ(test, total, (unsigned long)pages->npages);
}

static void mdom_pages_pin_basic(struct kunit *test)
{
	const unsigned long npages = 64;
	const u64 tag = 0x6d646f6d00000000ULL;
	unsigned long addr, base, last, i;
	struct mdom_pages *pages;

	addr = user_alloc(test, npages * PAGE_SIZE, PROT_READ | PROT_WRITE);
	last = addr + (npages - 1) * PAGE_SIZE;
	user_fill(test, addr, npages, tag);
	base = locked_vm();

	pages = pin_ok(test, addr, npages * PAGE_SIZE, true);
	KUNIT_EXPECT_PTR_EQ(test, mdom_pages_mm(pages), current->mm);
	KUNIT_EXPECT_EQ(test, pages->vaddr, addr);
	KUNIT_EXPECT_EQ(test, (unsigned long)pages->npages, npages);
	KUNIT_EXPECT_TRUE(test, pages->writable);
	KUNIT_EXPECT_TRUE(test, pages->mapper->lock_cap);	/* kthreads have it */
	KUNIT_EXPECT_EQ(test, locked_vm(), base + npages);
	expect_runs(test, pages, tag, true);

	for (i = 0; i < npages; i++) {
		struct page *page;

		KUNIT_ASSERT_EQ(test, get_user_pages_fast(addr + i * PAGE_SIZE,
							  1, 0, &page), 1);
		KUNIT_EXPECT_TRUE(test,
				  folio_maybe_dma_pinned(page_folio(page)));
		KUNIT_EXPECT_EQ(test, mdom_pages_phys(pages, i * PAGE_SIZE),
				page_to_phys(page));
		KUNIT_EXPECT_EQ(test,
				mdom_pages_phys(pages, i * PAGE_SIZE + 123),
				page_to_phys(page) + 123);
		put_page(page);
	}

	unpin(test, pages);
	KUNIT_EXPECT_EQ(test, locked_vm(), base);
	KUNIT_EXPECT_FALSE(test, user_page_pinned(test, addr));
	KUNIT_EXPECT_FALSE(test, user_page_pinned(test, last));
}

/* Two mappings of the same memory are two pins and two charges (type1). */
static void mdom_pages_pin_twice(struct kunit *test)
{
	const unsigned long npages = 16;
	struct mdom_pages *a, *b;
	unsigned long addr, base;

	addr = user_alloc(test, npages * PAGE_SIZE, PROT_READ | PROT_WRITE);
	user_fill(test, addr, npages, 1);
	base = locked_vm();

	a = pin_ok(test, addr, npages * PAGE_SIZE, true);
	b = pin_ok(test, addr, npages * PAGE_SIZE, false);
	KUNIT_EXPECT_FALSE(test, b->writable);
	KUNIT_EXPECT_EQ(test, locked_vm(), base + 2 * npages);
	KUNIT_EXPECT_EQ(test, mdom_pages_phys(a, 5 * PAGE_SIZE),
			mdom_pages_phys(b, 5 * PAGE_SIZE));
	unpin(test, a);
	KUNIT_EXPECT_EQ(test, locked_vm(), base + npages);
	KUNIT_EXPECT_TRUE(test, user_page_pinned(test, addr));
	unpin(test, b);
	KUNIT_EXPECT_EQ(test, locked_vm(), base);
	KUNIT_EXPECT_FALSE(test, user_page_pinned(test, addr));
}

/* More than one batch of pointers: runs continue across batches. */
static void mdom_pages_pin_batches(struct kunit *test)
{
	const unsigned long npages = 3 * (PAGE_SIZE / sizeof(void *)) + 7;
	struct mdom_pages *pages;
	unsigned long addr, base;

	addr = user_alloc(test, npages * PAGE_SIZE, PROT_READ | PROT_WRITE);
	user_fill(test, addr, npages, 0x1234);
	base = locked_vm();

	pages = pin_ok(test, addr, npages * PAGE_SIZE, true);
	KUNIT_EXPECT_EQ(test, (unsigned long)pages->npages, npages);
	KUNIT_EXPECT_EQ(test, locked_vm(), base + npages);
	expect_runs(test, pages, 0x1234, true);
	unpin(test, pages);
	KUNIT_EXPECT_EQ(test, locked_vm(), base);
}

/* Huge pages become runs of whole huge pages. */
static void mdom_pages_pin_thp(struct kunit *test)
{
	struct mdom_pages *pages;
	unsigned long addr, start;
	struct page *page;
	unsigned int i;
	bool huge;

	addr = user_alloc(test, 4 * SZ_2M, PROT_READ | PROT_WRITE);
	start = ALIGN(addr, SZ_2M);
	user_fill(test, start, 2 * SZ_2M / PAGE_SIZE, 0);

	KUNIT_ASSERT_EQ(test, get_user_pages_fast(start, 1, 0, &page), 1);
	huge = folio_order(page_folio(page)) >= PMD_ORDER;
	put_page(page);
	KUNIT_ASSERT_EQ(test, get_user_pages_fast(start + SZ_2M, 1, 0, &page),
			1);
	huge &= folio_order(page_folio(page)) >= PMD_ORDER;
	put_page(page);
	if (!huge)
		kunit_skip(test, "no PMD-sized THP for the range");

	pages = pin_ok(test, start, 2 * SZ_2M, true);
	expect_runs(test, pages, 0, true);
	KUNIT_EXPECT_LE(test, mdom_pages_nruns(pages), 2);
	for (i = 0; i < mdom_pages_nruns(pages); i++) {
		struct mdom_run r = mdom_pages_run(pages, i), *run = &r;

		KUNIT_EXPECT_EQ(test, run->npages % (SZ_2M / PAGE_SIZE), 0);
		KUNIT_EXPECT_TRUE(test, IS_ALIGNED(PFN_PHYS(run->pfn), SZ_2M));
	}
	unpin(test, pages);
}

/* Past RLIMIT_MEMLOCK without CAP_IPC_LOCK: -ENOMEM, nothing pinned. */
static void mdom_pages_pin_memlock(struct kunit *test)
{
	struct memlock_saved *saved;
	struct mdom_pages *pages;
	unsigned long addr, base;

	addr = user_alloc(test, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE);
	user_fill(test, addr, 4, 0);
	base = locked_vm();

	saved = memlock_limit(test, base + 3);
	KUNIT_EXPECT_FALSE(test, capable(CAP_IPC_LOCK));

	KUNIT_EXPECT_EQ(test, PTR_ERR(pin_for(addr, 4 * PAGE_SIZE,
					      true)), -ENOMEM);
	KUNIT_EXPECT_EQ(test, locked_vm(), base);
	KUNIT_EXPECT_FALSE(test, user_page_pinned(test, addr));

	/* Up to the limit exactly is fine. */
	pages = pin_ok(test, addr, 3 * PAGE_SIZE, true);
	KUNIT_EXPECT_FALSE(test, pages->mapper->lock_cap);
	KUNIT_EXPECT_EQ(test, locked_vm(), base + 3);
	/* One more page is one too many. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(pin_for(addr + 3 * PAGE_SIZE,
					      PAGE_SIZE, true)),
			-ENOMEM);
	KUNIT_EXPECT_EQ(test, locked_vm(), base + 3);
	KUNIT_EXPECT_FALSE(test, user_page_pinned(test, addr + 3 * PAGE_SIZE));
	unpin(test, pages);
	KUNIT_EXPECT_EQ(test, locked_vm(), base);
	KUNIT_EXPECT_FALSE(test, user_page_pinned(test, addr));

	/* CAP_IPC_LOCK: charged, but not limited. */
	memlock_cap_restore(saved);
	KUNIT_EXPECT_TRUE(test, capable(CAP_IPC_LOCK));
	pages = pin_ok(test, addr, 4 * PAGE_SIZE, true);
	KUNIT_EXPECT_TRUE(test, pages->mapper->lock_cap);
	KUNIT_EXPECT_EQ(test, locked_vm(), base + 4);
	unpin(test, pages);
	KUNIT_EXPECT_EQ(test, locked_vm(), base);

	memlock_unlimit(test, saved);
}

/* A hole in the range: -EFAULT, and the pages before it are let go. */
static void mdom_pages_pin_hole(struct kunit *test)
{
	const unsigned long npages = 2 * (PAGE_SIZE / sizeof(void *)) + 40;
	const unsigned long holes[] = { 2, npages - 20 };
	unsigned long addr, base;
	unsigned int i;

	addr = user_alloc(test, npages * PAGE_SIZE, PROT_READ | PROT_WRITE);
	user_fill(test, addr, npages, 0);
	base = locked_vm();

	for (i = 0; i < ARRAY_SIZE(holes); i++) {
		unsigned long hole = addr + holes[i] * PAGE_SIZE;
		/* Start past the previous hole. */
		unsigned long from = i ? addr + (holes[i - 1] + 1) * PAGE_SIZE :
				     addr;

		KUNIT_ASSERT_EQ(test, vm_munmap(hole, PAGE_SIZE), 0);
		/* In the first batch, then in the third one. */
		KUNIT_EXPECT_EQ(test, PTR_ERR(pin_for(from,
						      addr + npages *
						      PAGE_SIZE - from,
						      true)), -EFAULT);
		KUNIT_EXPECT_EQ(test, locked_vm(), base);
		KUNIT_EXPECT_FALSE(test, user_page_pinned(test, from));
		KUNIT_EXPECT_FALSE(test, user_page_pinned(test,
							  hole - PAGE_SIZE));
		/* Only the hole. */
		KUNIT_EXPECT_EQ(test, PTR_ERR(pin_for(hole, PAGE_SIZE,
						      true)), -EFAULT);
		KUNIT_EXPECT_EQ(test, locked_vm(), base);
	}
}

/* Writable pin of read-only memory: -EFAULT; a read-only pin works. */
static void mdom_pages_pin_readonly(struct kunit *test)
{
	struct mdom_pages *pages;
	unsigned long addr, base;

	addr = user_alloc(test, 8 * PAGE_SIZE, PROT_READ);
	base = locked_vm();

	KUNIT_EXPECT_EQ(test, PTR_ERR(pin_for(addr, 8 * PAGE_SIZE,
					      true)), -EFAULT);
	KUNIT_EXPECT_EQ(test, locked_vm(), base);

	/* Never touched: a long-term pin gets real pages, not the zero page */
	pages = pin_ok(test, addr, 8 * PAGE_SIZE, false);
	KUNIT_EXPECT_EQ(test, (unsigned long)pages->npages, 8);
	KUNIT_EXPECT_FALSE(test, pages->writable);
	KUNIT_EXPECT_FALSE(test, is_zero_pfn(mdom_pages_run(pages, 0).pfn));
	KUNIT_EXPECT_EQ(test, locked_vm(), base + 8);
	expect_runs(test, pages, 0, false);
	unpin(test, pages);
	KUNIT_EXPECT_EQ(test, locked_vm(), base);
}

static void mdom_pages_pin_invalid(struct kunit *test)
{
	unsigned long addr, base;

	addr = user_alloc(test, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE);
	base = locked_vm();

	KUNIT_EXPECT_EQ(test, PTR_ERR(pin_for(addr, 0, true)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(pin_for(addr + 1, PAGE_SIZE,
					      true)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(pin_for(addr, PAGE_SIZE + 1,
					      true)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(pin_for(ULONG_MAX & PAGE_MASK,
					      2 * PAGE_SIZE, true)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(pin_for(addr, U64_MAX & PAGE_MASK,
					      true)), -EINVAL);
	/* A range that runs past the user address space. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(pin_for(TASK_SIZE - PAGE_SIZE,
					      2 * PAGE_SIZE, true)),
			-EFAULT);
	/* Kernel addresses are not user memory. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(pin_for(ULONG_MAX & ~(SZ_1M - 1),
					      PAGE_SIZE, true)),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, locked_vm(), base);
	mdom_pages_unpin(NULL);
}

/*
 * The pinning thread exits before the unpin: the test leaves the unpin to
 * its cleanup, which KUnit runs in another thread, one without this mm,
 * while this thread exits and drops its mm. The store must uncharge the
 * mm it grabbed, not current's; a wrong uncharge would WARN in
 * __account_locked_vm(), a use after free would be caught by KASAN.
 */
static void mdom_pages_unpin_after_exit(struct kunit *test)
{
	struct mdom_pages *pages;
	unsigned long addr, base;

	addr = user_alloc(test, 8 * PAGE_SIZE, PROT_READ | PROT_WRITE);
	user_fill(test, addr, 8, 0);
	base = locked_vm();
	pages = pin_ok(test, addr, 8 * PAGE_SIZE, true);
	KUNIT_EXPECT_PTR_EQ(test, mdom_pages_mm(pages), current->mm);
	KUNIT_EXPECT_EQ(test, locked_vm(), base + 8);
	KUNIT_EXPECT_TRUE(test, user_page_pinned(test, addr));
}

/* Test memory of known frames: 32 physically contiguous pages. */
#define BLOCK_ORDER	5

static void block_free(void *block)
{
	__free_pages(block, BLOCK_ORDER);
}

static struct page *block_alloc(struct kunit *test)
{
	struct page *block = alloc_pages(GFP_KERNEL, BLOCK_ORDER);

	KUNIT_ASSERT_NOT_NULL(test, block);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, block_free,
							block), 0);
	return block;
}

static void runs_free(void *data)
{
	struct mdom_pages *pages = data;

	if (pages->many_runs)
		kvfree(pages->runs);
}

/*
 * An empty store of @npages pages to fill with mdom_pages_add_batch();
 * nothing is pinned.
 */
static struct mdom_pages *store_alloc(struct kunit *test,
				      unsigned long npages)
{
	struct mdom_pages *pages = kunit_kzalloc(test, sizeof(*pages),
						 GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, pages);
	pages->npages = npages;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, runs_free,
							pages), 0);
	return pages;
}

static void store_add(struct kunit *test, struct mdom_pages *pages,
		      unsigned long *filled, struct page *block,
		      const unsigned int *index, unsigned int n)
{
	struct page *batch[16];
	unsigned int i;

	KUNIT_ASSERT_LE(test, n, ARRAY_SIZE(batch));
	for (i = 0; i < n; i++)
		batch[i] = nth_page(block, index[i]);
	KUNIT_ASSERT_EQ(test, mdom_pages_add_batch(pages, filled, batch, n), 0);
}

/* A store of the @n pages @index of a new block, full. */
static struct mdom_pages *store_of(struct kunit *test,
				   const unsigned int *index, unsigned int n)
{
	struct mdom_pages *pages = store_alloc(test, n);
	unsigned long filled = 0;

	store_add(test, pages, &filled, block_alloc(test), index, n);
	return pages;
}

/*
 * mdom_pages_phys_at() with a cursor gives what the walk from the first
 * run gives, at growing offsets (each found from the last), and at an
 * offset before the cursor (found from the first run again).
 */
static void expect_cursor(struct kunit *test, struct mdom_pages *pages)
{
	struct mdom_pages_cursor cursor = {};
	unsigned long i;

	for (i = 0; i < pages->npages; i++)
		KUNIT_EXPECT_EQ(test,
				mdom_pages_phys_at(pages, i * PAGE_SIZE + 7,
						   &cursor),
				mdom_pages_phys(pages, i * PAGE_SIZE + 7));
	KUNIT_EXPECT_EQ(test, cursor.run, mdom_pages_nruns(pages) - 1);
	KUNIT_EXPECT_EQ(test, mdom_pages_phys_at(pages, 0, &cursor),
			PFN_PHYS(mdom_pages_run(pages, 0).pfn));
	KUNIT_EXPECT_EQ(test, cursor.run, 0);
}

/*
 * Block pages X0..X15 | X20..X23 | X16, X16 (the same page twice, as a
 * shared page would come), X30, X29 (descending): six runs.
 */
static void mdom_pages_fold(struct kunit *test)
{
	static const unsigned int b1[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	static const unsigned int b2[] = { 10, 11, 12, 13, 14, 15,
					   20, 21, 22, 23 };
	static const unsigned int b3[] = { 16, 16, 30, 29 };
	static const struct { unsigned int first, npages; } expect[] = {
		{ 0, 16 }, { 20, 4 }, { 16, 1 }, { 16, 1 }, { 30, 1 }, { 29, 1 },
	};
	struct mdom_pages *pages = store_alloc(test, 24);
	struct page *block = block_alloc(test);
	unsigned long filled = 0;
	unsigned int i;

	store_add(test, pages, &filled, block, b1, ARRAY_SIZE(b1));
	KUNIT_EXPECT_EQ(test, mdom_pages_nruns(pages), 1);
	KUNIT_EXPECT_EQ(test, filled, 10);
	/* The run goes on across the batch boundary. */
	store_add(test, pages, &filled, block, b2, ARRAY_SIZE(b2));
	KUNIT_EXPECT_EQ(test, mdom_pages_nruns(pages), 2);
	/* The inline run became the array's first, as long as it was. */
	KUNIT_EXPECT_EQ(test, mdom_pages_run(pages, 0).npages, 16);
	store_add(test, pages, &filled, block, b3, ARRAY_SIZE(b3));

	KUNIT_EXPECT_EQ(test, filled, 24);
	KUNIT_ASSERT_EQ(test, mdom_pages_nruns(pages), ARRAY_SIZE(expect));
	KUNIT_EXPECT_LE(test, pages->runs->max, 24);
	for (i = 0; i < ARRAY_SIZE(expect); i++) {
		KUNIT_EXPECT_EQ(test, mdom_pages_run(pages, i).pfn,
				page_to_pfn(nth_page(block, expect[i].first)));
		KUNIT_EXPECT_EQ(test, mdom_pages_run(pages, i).npages,
				expect[i].npages);
	}
	KUNIT_EXPECT_EQ(test, mdom_pages_phys(pages, 17 * PAGE_SIZE + 5),
			page_to_phys(nth_page(block, 21)) + 5);
	KUNIT_EXPECT_EQ(test, mdom_pages_phys(pages, 23 * PAGE_SIZE),
			page_to_phys(nth_page(block, 29)));
	expect_cursor(test, pages);
}

/* No two pages contiguous: one run each; the array grows to exactly fit. */
static void mdom_pages_fold_scattered(struct kunit *test)
{
	const unsigned int total = 100;
	struct mdom_pages *pages = store_alloc(test, total);
	struct page *block = block_alloc(test);
	unsigned int index[16], done, i;
	unsigned long filled = 0;

	for (done = 0; done < total; done += i) {
		for (i = 0; i < ARRAY_SIZE(index) && done + i < total; i++)
			index[i] = (2 * (done + i)) % 32;
		store_add(test, pages, &filled, block, index, i);
	}
	KUNIT_EXPECT_EQ(test, filled, total);
	KUNIT_ASSERT_EQ(test, mdom_pages_nruns(pages), total);
	/* Doubling from 16 would give 128: capped by the pages left. */
	KUNIT_EXPECT_EQ(test, pages->runs->max, total);
	for (i = 0; i < total; i++) {
		KUNIT_EXPECT_EQ(test, mdom_pages_run(pages, i).pfn,
				page_to_pfn(nth_page(block, (2 * i) % 32)));
		KUNIT_EXPECT_EQ(test, mdom_pages_run(pages, i).npages, 1);
	}
	expect_cursor(test, pages);
}

/*
 * A fake paging domain: translations in an xarray of pfns by IOVA page
 * number. ->map_pages refuses to map a page twice and can be told to fail;
 * ->iotlb_sync_map is called once per successful iommu_map().
 */
struct fake_domain {
	struct iommu_domain domain;
	struct xarray pfns;
	unsigned int map_calls;		/* ->map_pages calls */
	unsigned int map_2m;		/* ... of them with 2 MiB pages */
	unsigned int syncs;		/* ->iotlb_sync_map calls */
	unsigned int fail_map;		/* fail this ->map_pages call (1..) */
	unsigned int fail_sync;		/* fail this ->iotlb_sync_map call */
	unsigned long sync_iova[8];	/* the first iommu_map() calls */
	size_t sync_size[8];
};

static struct fake_domain *to_fake(struct iommu_domain *domain)
{
	return container_of(domain, struct fake_domain, domain);
}

static int fake_map_pages(struct iommu_domain *domain, unsigned long iova,
			  phys_addr_t paddr, size_t pgsize, size_t pgcount,
			  int prot, gfp_t gfp, size_t *mapped)
{
	struct fake_domain *fake = to_fake(domain);
	unsigned long i, n = pgsize * pgcount / PAGE_SIZE;

	*mapped = 0;
	if (++fake->map_calls == fake->fail_map)
		return -ENOMEM;
	if (pgsize == SZ_2M)
		fake->map_2m++;
	for (i = 0; i < n; i++) {
		int ret;

		ret = xa_insert(&fake->pfns, (iova >> PAGE_SHIFT) + i,
				xa_mk_value(PHYS_PFN(paddr) + i), gfp);
		if (ret)
			return ret;	/* -EBUSY: mapped twice */
		*mapped += PAGE_SIZE;
	}
	return 0;
}

static size_t fake_unmap_pages(struct iommu_domain *domain,
			       unsigned long iova, size_t pgsize,
			       size_t pgcount,
			       struct iommu_iotlb_gather *gather)
{
	struct fake_domain *fake = to_fake(domain);
	unsigned long i, n = pgsize * pgcount / PAGE_SIZE;

	for (i = 0; i < n; i++)
		if (!xa_erase(&fake->pfns, (iova >> PAGE_SHIFT) + i))
			break;
	return i * PAGE_SIZE;
}

static int fake_iotlb_sync_map(struct iommu_domain *domain,
			       unsigned long iova, size_t size)
{
	struct fake_domain *fake = to_fake(domain);

	if (++fake->syncs == fake->fail_sync)
		return -EIO;
	if (fake->syncs <= ARRAY_SIZE(fake->sync_iova)) {
		fake->sync_iova[fake->syncs - 1] = iova;
		fake->sync_size[fake->syncs - 1] = size;
	}
	return 0;
}

static const struct iommu_domain_ops fake_domain_ops = {
	.map_pages = fake_map_pages,
	.unmap_pages = fake_unmap_pages,
	.iotlb_sync_map = fake_iotlb_sync_map,
};

static void fake_domain_free(void *data)
{
	struct fake_domain *fake = data;

	xa_destroy(&fake->pfns);
	kfree(fake);
}

static struct fake_domain *fake_domain_alloc(struct kunit *test)
{
	struct fake_domain *fake = kzalloc(sizeof(*fake), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, fake);
	xa_init(&fake->pfns);
	fake->domain.type = IOMMU_DOMAIN_UNMANAGED;
	fake->domain.ops = &fake_domain_ops;
	fake->domain.pgsize_bitmap = SZ_4K | SZ_2M | SZ_1G;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, fake_domain_free,
							fake), 0);
	return fake;
}

static unsigned long fake_count(struct fake_domain *fake)
{
	unsigned long index, n = 0;
	void *entry;

	xa_for_each(&fake->pfns, index, entry)
		n++;
	return n;
}

/* Every page of @pages is mapped at @iova onward, and nothing else. */
static void expect_mapped(struct kunit *test, struct fake_domain *fake,
			  struct mdom_pages *pages, unsigned long iova)
{
	unsigned long i;

	KUNIT_EXPECT_EQ(test, fake_count(fake), (unsigned long)pages->npages);
	for (i = 0; i < pages->npages; i++) {
		void *entry = xa_load(&fake->pfns, (iova >> PAGE_SHIFT) + i);

		KUNIT_EXPECT_TRUE(test, xa_is_value(entry));
		KUNIT_EXPECT_EQ(test, xa_to_value(entry),
				PHYS_PFN(mdom_pages_phys(pages,
							 i * PAGE_SIZE)));
	}
}

/* One iommu_map() per run, the runs one after another in IOVA. */
static void mdom_pages_map_runs(struct kunit *test)
{
	static const unsigned int b[] = { 0, 1, 2, 3, 8, 9, 4, 5, 6, 7 };
	struct mdom_pages *pages = store_of(test, b, ARRAY_SIZE(b));
	struct fake_domain *fake = fake_domain_alloc(test);
	const unsigned long iova = SZ_1G;

	KUNIT_ASSERT_EQ(test, mdom_pages_nruns(pages), 3);

	KUNIT_EXPECT_EQ(test, mdom_pages_map(pages, &fake->domain, iova,
					     IOMMU_READ | IOMMU_WRITE,
					     GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, fake->syncs, 3);
	KUNIT_EXPECT_EQ(test, fake->sync_iova[0], iova);
	KUNIT_EXPECT_EQ(test, fake->sync_size[0], 4 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, fake->sync_iova[1], iova + 4 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, fake->sync_size[1], 2 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, fake->sync_iova[2], iova + 6 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, fake->sync_size[2], 4 * PAGE_SIZE);
	expect_mapped(test, fake, pages, iova);

	/* Mapping the same IOVA again fails and leaves the first intact. */
	KUNIT_EXPECT_NE(test, mdom_pages_map(pages, &fake->domain, iova,
					     IOMMU_READ, GFP_KERNEL), 0);
	expect_mapped(test, fake, pages, iova);

	KUNIT_EXPECT_EQ(test, iommu_unmap(&fake->domain, iova,
					  pages->npages * PAGE_SIZE),
			pages->npages * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, fake_count(fake), 0);
}

/* A failure in any run, in ->map_pages or the sync: nothing stays mapped. */
static void mdom_pages_map_fail(struct kunit *test)
{
	static const unsigned int b[] = { 0, 2, 3, 5, 6, 7, 9, 11 };
	struct mdom_pages *pages = store_of(test, b, ARRAY_SIZE(b));
	struct fake_domain *fake = fake_domain_alloc(test);
	const unsigned long iova = SZ_2M;
	unsigned int n;

	KUNIT_ASSERT_EQ(test, mdom_pages_nruns(pages), 5);

	for (n = 1; n <= mdom_pages_nruns(pages); n++) {
		fake->map_calls = 0;
		fake->syncs = 0;
		fake->fail_map = n;
		fake->fail_sync = 0;
		KUNIT_EXPECT_EQ(test, mdom_pages_map(pages, &fake->domain, iova,
						     IOMMU_READ, GFP_KERNEL),
				-ENOMEM);
		KUNIT_EXPECT_EQ_MSG(test, fake_count(fake), 0, "map fail %u",
				    n);

		fake->map_calls = 0;
		fake->syncs = 0;
		fake->fail_map = 0;
		fake->fail_sync = n;
		KUNIT_EXPECT_EQ(test, mdom_pages_map(pages, &fake->domain, iova,
						     IOMMU_READ, GFP_KERNEL),
				-EIO);
		KUNIT_EXPECT_EQ_MSG(test, fake_count(fake), 0, "sync fail %u",
				    n);
	}

	fake->fail_sync = 0;
	KUNIT_EXPECT_EQ(test, mdom_pages_map(pages, &fake->domain, iova,
					     IOMMU_READ, GFP_KERNEL), 0);
	expect_mapped(test, fake, pages, iova);
}

/* A range ending at the very top of the IOVA space. */
static void mdom_pages_map_top(struct kunit *test)
{
	static const unsigned int b[] = { 4, 5, 6, 7, 0, 1 };
	struct mdom_pages *pages = store_of(test, b, ARRAY_SIZE(b));
	struct fake_domain *fake = fake_domain_alloc(test);
	unsigned long iova = ULONG_MAX - 6 * PAGE_SIZE + 1;

	KUNIT_ASSERT_EQ(test, mdom_pages_nruns(pages), 2);
	KUNIT_EXPECT_EQ(test, mdom_pages_map(pages, &fake->domain, iova,
					     IOMMU_READ, GFP_KERNEL), 0);
	expect_mapped(test, fake, pages, iova);
	KUNIT_EXPECT_EQ(test, fake->sync_iova[1], ULONG_MAX - 2 * PAGE_SIZE + 1);

	/* Failing the last run unwinds the first. */
	iommu_unmap(&fake->domain, iova, 6 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, fake_count(fake), 0);
	fake->map_calls = 0;
	fake->fail_map = 2;
	KUNIT_EXPECT_EQ(test, mdom_pages_map(pages, &fake->domain, iova,
					     IOMMU_READ, GFP_KERNEL), -ENOMEM);
	KUNIT_EXPECT_EQ(test, fake_count(fake), 0);
}

/* Pinned huge pages go to the domain as 2 MiB IOMMU pages. */
static void mdom_pages_map_thp(struct kunit *test)
{
	struct fake_domain *fake = fake_domain_alloc(test);
	struct mdom_pages *pages;
	unsigned long addr, start;
	struct page *page;

	addr = user_alloc(test, 4 * SZ_2M, PROT_READ | PROT_WRITE);
	start = ALIGN(addr, SZ_2M);
	user_fill(test, start, 2 * SZ_2M / PAGE_SIZE, 0);
	KUNIT_ASSERT_EQ(test, get_user_pages_fast(start, 1, 0, &page), 1);
	if (folio_order(page_folio(page)) < PMD_ORDER) {
		put_page(page);
		kunit_skip(test, "no PMD-sized THP for the range");
	}
	put_page(page);

	pages = pin_ok(test, start, SZ_2M, true);
	KUNIT_ASSERT_EQ(test, mdom_pages_nruns(pages), 1);
	KUNIT_EXPECT_EQ(test, mdom_pages_map(pages, &fake->domain, SZ_1G,
					     IOMMU_READ | IOMMU_WRITE,
					     GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, fake->syncs, 1);
	KUNIT_EXPECT_EQ(test, fake->map_calls, 1);
	KUNIT_EXPECT_EQ(test, fake->map_2m, 1);
	expect_mapped(test, fake, pages, SZ_1G);
	KUNIT_EXPECT_EQ(test, iommu_unmap(&fake->domain, SZ_1G, SZ_2M),
			SZ_2M);
	unpin(test, pages);
}

static struct kunit_case mdom_pages_cases[] = {
	KUNIT_CASE(mdom_pages_pin_basic),
	KUNIT_CASE(mdom_pages_pin_twice),
	KUNIT_CASE(mdom_pages_pin_batches),
	KUNIT_CASE(mdom_pages_pin_thp),
	KUNIT_CASE(mdom_pages_pin_memlock),
	KUNIT_CASE(mdom_pages_pin_hole),
	KUNIT_CASE(mdom_pages_pin_readonly),
	KUNIT_CASE(mdom_pages_pin_invalid),
	KUNIT_CASE(mdom_pages_unpin_after_exit),
	KUNIT_CASE(mdom_pages_fold),
	KUNIT_CASE(mdom_pages_fold_scattered),
	KUNIT_CASE(mdom_pages_map_runs),
	KUNIT_CASE(mdom_pages_map_fail),
	KUNIT_CASE(mdom_pages_map_top),
	KUNIT_CASE(mdom_pages_map_thp),
	{}
};

static struct kunit_suite mdom_pages_suite = {
	.name = "vfio_mdom_pages",
	.test_cases = mdom_pages_cases,
};

/*
 * The account of an mm (account.c): a page pinned by mappings of several
 * containers of one mm is charged once, and only what is new counts
 * against RLIMIT_MEMLOCK.
 */

/* Pin as a mapping of container @owner, cleaned up with the test. */
static struct mdom_pages *pin_owned(struct kunit *test, unsigned long vaddr,
				    u64 size, const void *owner)
{
	struct mdom_pages *pages = mdom_pages_pin(vaddr, size, true, owner);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pages);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							mdom_pages_unpin_action,
							pages), 0);
	return pages;
}

/* A: pages 0-15, B: 0-15, C: 8-23, B and C in one other container. */
static void mdom_account_shared_across_containers(struct kunit *test)
{
	struct mdom_pages *a, *b, *c;
	unsigned long addr, base;

	addr = user_alloc(test, 24 * PAGE_SIZE, PROT_READ | PROT_WRITE);
	user_fill(test, addr, 24, 0);
	base = locked_vm();

	a = pin_owned(test, addr, 16 * PAGE_SIZE, &container_a);
	KUNIT_EXPECT_EQ(test, locked_vm(), base + 16);
	KUNIT_EXPECT_EQ(test, mdom_acct_shared(a), 0);
	b = pin_owned(test, addr, 16 * PAGE_SIZE, &container_b);
	KUNIT_EXPECT_EQ(test, locked_vm(), base + 16);
	KUNIT_EXPECT_EQ(test, mdom_acct_shared(a), 16);
	KUNIT_EXPECT_EQ(test, mdom_acct_shared(b), 16);
	c = pin_owned(test, addr + 8 * PAGE_SIZE, 16 * PAGE_SIZE,
		      &container_b);
	KUNIT_EXPECT_EQ(test, locked_vm(), base + 24);
	KUNIT_EXPECT_EQ(test, mdom_acct_shared(c), 8);
	KUNIT_EXPECT_EQ(test, mdom_acct_charged(c), 24);

	/* The charge goes only with the last holder of each page. */
	unpin(test, a);
	KUNIT_EXPECT_EQ(test, locked_vm(), base + 24);
	KUNIT_EXPECT_TRUE(test, user_page_pinned(test, addr));
	unpin(test, b);
	KUNIT_EXPECT_EQ(test, locked_vm(), base + 16);
	KUNIT_EXPECT_FALSE(test, user_page_pinned(test, addr));
	KUNIT_EXPECT_EQ(test, mdom_acct_shared(c), 0);
	unpin(test, c);
	KUNIT_EXPECT_EQ(test, locked_vm(), base);
}

/*
 * One container mapping a page twice pays twice, as with type1, until a
 * second container of the mm pins pages: the index then counts each page
 * once, and stays until the last pinned page of the mm goes.
 */
static void mdom_account_index_dedups(struct kunit *test)
{
	struct mdom_pages *a1, *a2, *b;
	unsigned long addr, base;

	addr = user_alloc(test, 8 * PAGE_SIZE, PROT_READ | PROT_WRITE);
	user_fill(test, addr, 8, 0);
	base = locked_vm();

	a1 = pin_owned(test, addr, 8 * PAGE_SIZE, &container_a);
	a2 = pin_owned(test, addr, 8 * PAGE_SIZE, &container_a);
	KUNIT_EXPECT_EQ(test, locked_vm(), base + 16);
	b = pin_owned(test, addr, 4 * PAGE_SIZE, &container_b);
	KUNIT_EXPECT_EQ(test, locked_vm(), base + 8);
	unpin(test, b);
	KUNIT_EXPECT_EQ(test, locked_vm(), base + 8);
	unpin(test, a1);
	KUNIT_EXPECT_EQ(test, locked_vm(), base + 8);
	unpin(test, a2);
	KUNIT_EXPECT_EQ(test, locked_vm(), base);
	/* A fresh start: one container, type1's rule again. */
	a1 = pin_owned(test, addr, 8 * PAGE_SIZE, &container_a);
	a2 = pin_owned(test, addr, 2 * PAGE_SIZE, &container_a);
	KUNIT_EXPECT_EQ(test, locked_vm(), base + 10);
	unpin(test, a2);
	unpin(test, a1);
	KUNIT_EXPECT_EQ(test, locked_vm(), base);
}

/* RLIMIT_MEMLOCK refuses only what is really new. */
static void mdom_account_memlock(struct kunit *test)
{
	struct memlock_saved *saved;
	struct mdom_pages *a, *b;
	unsigned long addr, base;

	addr = user_alloc(test, 17 * PAGE_SIZE, PROT_READ | PROT_WRITE);
	user_fill(test, addr, 17, 0);
	base = locked_vm();

	saved = memlock_limit(test, base + 16);

	a = pin_owned(test, addr, 16 * PAGE_SIZE, &container_a);
	KUNIT_EXPECT_EQ(test, locked_vm(), base + 16);
	/* The same pages for another container: nothing new, it fits. */
	b = pin_owned(test, addr, 16 * PAGE_SIZE, &container_b);
	KUNIT_EXPECT_EQ(test, locked_vm(), base + 16);
	/* One new page is one too many, for either container. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(mdom_pages_pin(addr + PAGE_SIZE,
						     16 * PAGE_SIZE, true,
						     &container_b)), -ENOMEM);
	KUNIT_EXPECT_EQ(test, PTR_ERR(mdom_pages_pin(addr + 16 * PAGE_SIZE,
						     PAGE_SIZE, true,
						     &container_a)), -ENOMEM);
	KUNIT_EXPECT_FALSE(test, user_page_pinned(test, addr + 16 * PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, locked_vm(), base + 16);
	unpin(test, a);
	KUNIT_EXPECT_EQ(test, locked_vm(), base + 16);
	unpin(test, b);
	KUNIT_EXPECT_EQ(test, locked_vm(), base);

	memlock_unlimit(test, saved);
}

/* References on the page mapped at @addr (a pin is GUP_PIN_COUNTING_BIAS). */
static int user_page_refs(struct kunit *test, unsigned long addr)
{
	struct page *page;
	int refs;

	KUNIT_ASSERT_EQ(test, get_user_pages_fast(addr, 1, 0, &page), 1);
	KUNIT_ASSERT_FALSE(test, folio_test_large(page_folio(page)));
	refs = page_ref_count(page) - 1;
	put_page(page);
	return refs;
}

static void acct_report(void *ctx, const char *what, unsigned long want,
			unsigned long got)
{
	pr_err("vfio_mdom_account: %s: want %lu, got %lu\n", what, want, got);
}

/* The account's own invariants hold (what the checker verifies). */
static void expect_acct_ok(struct kunit *test, struct mdom_pages *pages)
{
	KUNIT_EXPECT_EQ(test, mdom_acct_verify(pages->mapper->acct, acct_report, NULL),
			0);
}

/*
 * One page mapped again and again by two containers: charged once, and
 * pinned by each mapping, which keeps its own pin (nothing is pinned to
 * be given back at once). The index bounds those pins: past
 * MDOM_ACCT_MAX_HOLDERS holders of a frame a map is refused, its pin
 * given back, so ~2M pins (each adds GUP_PIN_COUNTING_BIAS to a small
 * folio's refcount) can never overflow it.
 */
static void mdom_account_pins_bounded(struct kunit *test)
{
	const int nheld = MDOM_ACCT_MAX_HOLDERS;
	struct mdom_pages **held;
	unsigned long addr, base;
	int refs, i;

	held = kunit_kcalloc(test, nheld, sizeof(*held), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, held);
	addr = user_alloc(test, PAGE_SIZE, PROT_READ | PROT_WRITE);
	user_fill(test, addr, 1, 0);
	base = locked_vm();
	refs = user_page_refs(test, addr);

	for (i = 0; i < nheld; i++) {
		held[i] = mdom_pages_pin(addr, PAGE_SIZE, true,
					 i % 2 ? &container_b : &container_a);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, held[i]);
		if (i == 1 || i == nheld - 1) {
			KUNIT_EXPECT_EQ(test, locked_vm(), base + 1);
			KUNIT_EXPECT_EQ(test, user_page_refs(test, addr),
					refs + (i + 1) * GUP_PIN_COUNTING_BIAS);
		}
	}
	KUNIT_EXPECT_EQ(test, mdom_acct_nr_pins(held[0]), 1);
	KUNIT_EXPECT_EQ(test, mdom_acct_shared(held[0]), 1);
	expect_acct_ok(test, held[0]);

	/* One holder too many, for either container. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(mdom_pages_pin(addr, PAGE_SIZE, true,
						     &container_a)), -ENOMEM);
	KUNIT_EXPECT_EQ(test, user_page_refs(test, addr),
			refs + nheld * GUP_PIN_COUNTING_BIAS);
	KUNIT_EXPECT_EQ(test, locked_vm(), base + 1);
	expect_acct_ok(test, held[0]);

	for (i = nheld - 1; i > 0; i--) {
		mdom_pages_unpin(held[i]);
		if (i == 1) {
			KUNIT_EXPECT_TRUE(test, user_page_pinned(test, addr));
			KUNIT_EXPECT_EQ(test, locked_vm(), base + 1);
		}
	}
	KUNIT_EXPECT_EQ(test, user_page_refs(test, addr),
			refs + GUP_PIN_COUNTING_BIAS);
	expect_acct_ok(test, held[0]);
	mdom_pages_unpin(held[0]);
	KUNIT_EXPECT_EQ(test, user_page_refs(test, addr), refs);
	KUNIT_EXPECT_EQ(test, locked_vm(), base);
}

/*
 * The index keeps a node per physically contiguous range, not per page:
 * a holder of part of a range splits it, and its going merges it back.
 */
static void mdom_account_nodes_by_runs(struct kunit *test)
{
	struct mdom_pages *a, *b, *c;
	unsigned long addr, nodes;

	addr = user_alloc(test, 16 * PAGE_SIZE, PROT_READ | PROT_WRITE);
	user_fill(test, addr, 16, 0);

	a = pin_owned(test, addr, 16 * PAGE_SIZE, &container_a);
	KUNIT_EXPECT_EQ(test, mdom_acct_nr_pins(a), 0);
	b = pin_owned(test, addr, 16 * PAGE_SIZE, &container_b);
	nodes = mdom_acct_nr_pins(a);
	KUNIT_EXPECT_GE(test, nodes, 1);
	KUNIT_EXPECT_LE(test, nodes, mdom_pages_nruns(a));
	expect_acct_ok(test, a);

	c = pin_owned(test, addr + 4 * PAGE_SIZE, 4 * PAGE_SIZE,
		      &container_b);
	KUNIT_EXPECT_LE(test, mdom_acct_nr_pins(a), nodes + 2 * mdom_pages_nruns(c));
	KUNIT_EXPECT_EQ(test, mdom_acct_shared(c), 4);
	expect_acct_ok(test, a);
	unpin(test, c);
	KUNIT_EXPECT_EQ(test, mdom_acct_nr_pins(a), nodes);
	expect_acct_ok(test, a);
	unpin(test, b);
	KUNIT_EXPECT_EQ(test, mdom_acct_nr_pins(a), nodes);
	KUNIT_EXPECT_EQ(test, mdom_acct_shared(a), 0);
	unpin(test, a);
}

/*
 * A map the index cannot charge (past RLIMIT_MEMLOCK) leaves every pin
 * as it was: those of the pages the account already held too.
 */
static void mdom_account_index_refused(struct kunit *test)
{
	struct memlock_saved *saved;
	struct mdom_pages *a, *b;
	unsigned long addr, base;
	int refs0, refs8;

	addr = user_alloc(test, 9 * PAGE_SIZE, PROT_READ | PROT_WRITE);
	user_fill(test, addr, 9, 0);
	base = locked_vm();
	saved = memlock_limit(test, base + 8);

	a = pin_owned(test, addr, 8 * PAGE_SIZE, &container_a);
	b = pin_owned(test, addr, 4 * PAGE_SIZE, &container_b);
	refs0 = user_page_refs(test, addr);
	refs8 = user_page_refs(test, addr + 8 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, PTR_ERR(mdom_pages_pin(addr, 9 * PAGE_SIZE,
						     true, &container_b)),
			-ENOMEM);
	KUNIT_EXPECT_EQ(test, user_page_refs(test, addr), refs0);
	KUNIT_EXPECT_EQ(test, user_page_refs(test, addr + 8 * PAGE_SIZE),
			refs8);
	KUNIT_EXPECT_EQ(test, locked_vm(), base + 8);
	expect_acct_ok(test, a);
	unpin(test, b);
	unpin(test, a);
	KUNIT_EXPECT_EQ(test, locked_vm(), base);
	memlock_unlimit(test, saved);
}

static struct kunit_case mdom_account_cases[] = {
	KUNIT_CASE(mdom_account_shared_across_containers),
	KUNIT_CASE(mdom_account_index_dedups),
	KUNIT_CASE(mdom_account_memlock),
	KUNIT_CASE(mdom_account_pins_bounded),
	KUNIT_CASE(mdom_account_nodes_by_runs),
	KUNIT_CASE(mdom_account_index_refused),
	{}
};

static struct kunit_suite mdom_account_suite = {
	.name = "vfio_mdom_account",
	.test_cases = mdom_account_cases,
};

kunit_test_suites(&mdom_pages_suite, &mdom_account_suite);
