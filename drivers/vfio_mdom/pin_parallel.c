// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom mapping engine: one large map's pinning split across CPUs.
 *
 * Pinning the guest RAM of a starting VM, one MAP_DMA of many GiB, is one
 * thread's work in type1 and iommufd. With the module parameter
 * parallel_pin set, a map of at least parallel_pin_min pages is pinned in
 * windows of MDOM_PIN_WINDOW pages, each window cut into one part per CPU
 * the caller may run on (its cpus_ptr, online): the caller pins the first
 * part itself, a kernel thread per other part pins the rest, each
 * allowed on the caller's CPUs only and working on the caller's mm
 * (kthread_use_mm(), pin_user_pages_fast() with the caller's flags), while
 * the caller waits. The pages are folded into runs by the caller, in user
 * address order, as the one-thread loop does, and charged by it after
 * (mdom_acct_charge(), as today): nothing here charges.
 *
 * The kernel's own helper for this, padata_do_multithreaded(), is __init
 * (deferred struct page init only): a module cannot call it.
 *
 * mdom_pages_pin_parallel() pins a prefix of the range, all of it when
 * everything goes well, and leaves @pages as the one-thread loop of
 * __mdom_pages_fill() would have after pinning that prefix: the loop goes
 * on from there. So any failure (an unmapped page, device memory, a fatal
 * signal, no memory for a kernel thread or the runs) takes the one-thread
 * path, which answers it as it always has.
 */
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/kthread.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "pages.h"

/* Pages pinned per pin_user_pages_fast() call of a part. */
#define MDOM_PIN_PART_BATCH	(PAGE_SIZE / sizeof(struct page *))
/* Pages pinned per window: a window's page pointers take 4 MiB. */
#define MDOM_PIN_WINDOW		(SZ_2G >> PAGE_SHIFT)
/* Most parts one window is cut into (threads started per window). */
#define MDOM_PIN_PARTS_MAX	16U

bool mdom_parallel_pin;
module_param_named(parallel_pin, mdom_parallel_pin, bool, 0644);
MODULE_PARM_DESC(parallel_pin,
		 "Pin one large map's pages on all the CPUs the caller may use (default N).");

/* 64 MiB of 4 KiB pages */
static unsigned int mdom_parallel_pin_min = 16384;
module_param_named(parallel_pin_min, mdom_parallel_pin_min, uint, 0644);
MODULE_PARM_DESC(parallel_pin_min,
		 "Smallest map, in pages, that parallel_pin splits (default 16384; the tests set it low).");

/**
 * struct mdom_pin_part - a part of a window, pinned by one thread
 * @mm: the caller's mm, which the thread uses
 * @caller: the mapping task, whose fatal signal stops the part
 * @start: user address of the part's first page
 * @npages: pages in the part
 * @pinned: pages pinned so far, into @pages[0 .. @pinned - 1]
 * @pages: the part's slots in the window's page pointers
 * @gup_flags: FOLL_LONGTERM, and FOLL_WRITE for a writable map
 * @ret: 0, or why the part stopped short
 * @done: completed by the thread when it is done
 */
struct mdom_pin_part {
	struct mm_struct *mm;
	struct task_struct *caller;
	unsigned long start;
	unsigned long npages;
	unsigned long pinned;
	struct page **pages;
	unsigned int gup_flags;
	int ret;
	struct completion done;
};

/* Pin @part, in the caller or in a thread using the caller's mm. */
static void mdom_pin_part(struct mdom_pin_part *part)
{
	while (part->pinned < part->npages) {
		unsigned long n = min_t(unsigned long, MDOM_PIN_PART_BATCH,
					part->npages - part->pinned);
		long pinned;

		if (fatal_signal_pending(part->caller)) {
			part->ret = -EINTR;
			return;
		}
		pinned = pin_user_pages_fast(part->start +
					     (part->pinned << PAGE_SHIFT), n,
					     part->gup_flags,
					     part->pages + part->pinned);
		if (pinned <= 0) {
			part->ret = pinned ? pinned : -EFAULT;
			return;
		}
		part->pinned += pinned;
		cond_resched();
	}
}

static int mdom_pin_part_thread(void *data)
{
	struct mdom_pin_part *part = data;

	kthread_use_mm(part->mm);
	mdom_pin_part(part);
	kthread_unuse_mm(part->mm);
	kthread_complete_and_exit(&part->done, 0);
}

/* CPUs the caller may run on, online now */
static unsigned int mdom_pin_cpus(void)
{
	unsigned int cpu, n = 0;

	for_each_cpu_and(cpu, current->cpus_ptr, cpu_online_mask)
		n++;
	return n;
}

/*
 * Pin the @n pages at @start into @batch, cut into @nparts parts: the
 * caller pins the first (and any whose thread did not start), threads the
 * others. Returns the pages pinned, from the first on, before the first
 * part that stopped short: the pages after it are unpinned again.
 */
static unsigned long mdom_pin_window(struct mdom_pages *pages,
				     struct mdom_pin_part *parts,
				     unsigned int nparts, unsigned long start,
				     unsigned long n, struct page **batch)
{
	unsigned int gup_flags = FOLL_LONGTERM |
				 (pages->writable ? FOLL_WRITE : 0);
	struct task_struct *threads[MDOM_PIN_PARTS_MAX];
	unsigned long off = 0, good = 0;
	bool short_part = false;
	unsigned int i;

	for (i = 0; i < nparts; i++) {
		struct mdom_pin_part *part = &parts[i];
		unsigned long len = n / nparts + (i < n % nparts);

		*part = (struct mdom_pin_part) {
			.mm = current->mm,
			.caller = current,
			.start = start + (off << PAGE_SHIFT),
			.npages = len,
			.pages = batch + off,
			.gup_flags = gup_flags,
		};
		init_completion(&part->done);
		off += len;
		threads[i] = NULL;
		if (!i)
			continue;
		threads[i] = kthread_create(mdom_pin_part_thread, part,
					    "vfio_mdom_pin");
		if (IS_ERR(threads[i])) {
			threads[i] = NULL;
			continue;
		}
		set_cpus_allowed_ptr(threads[i], current->cpus_ptr);
		wake_up_process(threads[i]);
	}
	for (i = 0; i < nparts; i++)
		if (!threads[i])
			mdom_pin_part(&parts[i]);
	for (i = 0; i < nparts; i++)
		if (threads[i])
			wait_for_completion(&parts[i].done);

	for (i = 0; i < nparts; i++) {
		/* A short part keeps its first pages; those after it go */
		if (short_part)
			unpin_user_pages(parts[i].pages, parts[i].pinned);
		else
			good += parts[i].pinned;
		if (parts[i].ret)
			short_part = true;
	}
	return good;
}

/*
 * Add the @n pages of @batch to the runs of @pages, after the *@filled
 * pages they hold (counted in *@filled). On -ENOMEM the pages the runs
 * did not take are unpinned again.
 */
static int mdom_pin_fold(struct mdom_pages *pages, unsigned long *filled,
			 struct page **batch, unsigned long n)
{
	unsigned long done, k, before;
	int ret;

	for (done = 0; done < n; done += k) {
		k = min_t(unsigned long, MDOM_PIN_PART_BATCH, n - done);
		before = *filled;
		ret = mdom_pages_add_batch(pages, filled, batch + done, k);
		if (ret) {
			done += *filled - before;
			unpin_user_pages(batch + done, n - done);
			return ret;
		}
	}
	return 0;
}

unsigned long __mdom_pages_pin_parallel(struct mdom_pages *pages)
{
	unsigned long npages = pages->npages, filled = 0, left, win, good;
	struct mdom_pin_part *parts;
	struct page **batch;
	unsigned int nparts;

	if (npages < max(READ_ONCE(mdom_parallel_pin_min), 2U) ||
	    current->mm != mdom_pages_mm(pages))
		return 0;
	nparts = min(mdom_pin_cpus(), MDOM_PIN_PARTS_MAX);
	if (nparts < 2)
		return 0;

	parts = kcalloc(nparts, sizeof(*parts), GFP_KERNEL);
	if (!parts)
		return 0;
	batch = kvmalloc_array(min_t(unsigned long, npages, MDOM_PIN_WINDOW),
			       sizeof(*batch), GFP_KERNEL_ACCOUNT);
	if (!batch)
		goto out_free_parts;

	while (filled < npages) {
		left = npages - filled;
		win = min_t(unsigned long, left, MDOM_PIN_WINDOW);
		good = mdom_pin_window(pages, parts,
				       min_t(unsigned long, nparts, win),
				       pages->vaddr + (filled << PAGE_SHIFT),
				       win, batch);
		if (mdom_pin_fold(pages, &filled, batch, good) || good < win)
			break;
		cond_resched();
	}

	kvfree(batch);
out_free_parts:
	kfree(parts);
	return filled;
}
