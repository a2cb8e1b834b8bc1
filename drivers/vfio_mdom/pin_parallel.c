// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom mapping engine: one large map's pinning split across CPUs.
 *
 * Pinning the guest RAM of a starting VM, one MAP_DMA of many GiB, is one
 * thread's work in type1 and iommufd. With the module parameter
 * parallel_pin set, a map of at least parallel_pin_min pages is pinned in
 * windows of MDOM_PIN_WINDOW pages. Each window is pinned by the caller
 * and a kernel thread per other CPU the caller may run on (its cpus_ptr,
 * online), each allowed on the caller's CPUs only and working on the
 * caller's mm (kthread_use_mm(), pin_user_pages_fast() with the caller's
 * flags). They claim the window's chunks in turn from one cursor, so a
 * CPU that is slower (busy with other work, or a thread that starts late)
 * pins less instead of holding everyone up; the caller, done, waits for
 * the threads. The pages are folded into runs by the caller, in user
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

/* Most pages of a chunk (one pin_user_pages_fast() call), and of a fold. */
#define MDOM_PIN_BATCH		(PAGE_SIZE / sizeof(struct page *))
/* Pages pinned per window: a window's page pointers take 4 MiB. */
#define MDOM_PIN_WINDOW		(SZ_2G >> PAGE_SHIFT)
/* Most pinners of a window: the caller and the threads it starts. */
#define MDOM_PINNERS_MAX	16U
/*
 * Chunks a window is cut into, at least, per pinner: chunks are of at
 * most MDOM_PIN_BATCH pages, and a small map (the tests') is shared out
 * too.
 */
#define MDOM_PIN_CHUNKS_MIN	8U

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
 * struct mdom_pin_window - a window being pinned, shared by its pinners
 * @mm: the caller's mm, which the threads use
 * @caller: the mapping task, whose fatal signal stops the pinning
 * @start: user address of the window's first page
 * @npages: pages in the window
 * @chunk: pages in a chunk (the last one may have fewer)
 * @next: first page of the next chunk to claim
 * @stop: a chunk stopped short: claim no more
 * @pages: the window's page pointers, by page
 * @pinned: pages pinned of each chunk, into its slots of @pages
 * @gup_flags: FOLL_LONGTERM, and FOLL_WRITE for a writable map
 */
struct mdom_pin_window {
	struct mm_struct *mm;
	struct task_struct *caller;
	unsigned long start;
	unsigned long npages;
	unsigned long chunk;
	atomic_long_t next;
	bool stop;
	struct page **pages;
	unsigned int *pinned;
	unsigned int gup_flags;
};

/**
 * struct mdom_pin_thread - one kernel thread pinning chunks of a window
 * @win: the window
 * @done: completed by the thread when it claims no more
 */
struct mdom_pin_thread {
	struct mdom_pin_window *win;
	struct completion done;
};

/* Pages in chunk @i of @win: the last one may have fewer. */
static unsigned long mdom_pin_chunk_npages(const struct mdom_pin_window *win,
					   unsigned long i)
{
	return min(win->chunk, win->npages - i * win->chunk);
}

/* Pin chunk @i of @win; false if it stopped short. */
static bool mdom_pin_chunk(struct mdom_pin_window *win, unsigned long i)
{
	unsigned long first = i * win->chunk;
	unsigned long n = mdom_pin_chunk_npages(win, i), done = 0;
	long pinned;

	while (done < n) {
		if (fatal_signal_pending(win->caller))
			break;
		pinned = pin_user_pages_fast(win->start +
					     ((first + done) << PAGE_SHIFT),
					     n - done, win->gup_flags,
					     win->pages + first + done);
		if (pinned <= 0)
			break;
		done += pinned;
		cond_resched();
	}
	win->pinned[i] = done;
	return done == n;
}

/*
 * Claim and pin chunks of @win until none is left or one stopped short,
 * in the caller or in a thread using the caller's mm.
 */
static void mdom_pin_chunks(struct mdom_pin_window *win)
{
	unsigned long first;

	while (!READ_ONCE(win->stop)) {
		first = atomic_long_fetch_add(win->chunk, &win->next);
		if (first >= win->npages)
			return;
		if (!mdom_pin_chunk(win, first / win->chunk))
			WRITE_ONCE(win->stop, true);
	}
}

static int mdom_pin_thread_fn(void *data)
{
	struct mdom_pin_thread *t = data;

	kthread_use_mm(t->win->mm);
	mdom_pin_chunks(t->win);
	kthread_unuse_mm(t->win->mm);
	kthread_complete_and_exit(&t->done, 0);
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
 * Pin the @win->npages pages at @win->start into @win->pages with
 * @nthreads threads besides the caller. Returns the pages pinned, from
 * the first on, before the first chunk that stopped short: the pages of
 * the chunks after it are unpinned again.
 */
static unsigned long mdom_pin_window(struct mdom_pin_window *win,
				     struct mdom_pin_thread *threads,
				     unsigned int nthreads)
{
	struct task_struct *tasks[MDOM_PINNERS_MAX];
	unsigned long i, nchunks, good = 0;
	bool short_chunk = false;
	unsigned int t;

	nchunks = DIV_ROUND_UP(win->npages, win->chunk);
	memset(win->pinned, 0, nchunks * sizeof(*win->pinned));
	atomic_long_set(&win->next, 0);
	win->stop = false;
	for (t = 0; t < nthreads; t++) {
		threads[t].win = win;
		init_completion(&threads[t].done);
		tasks[t] = kthread_create(mdom_pin_thread_fn, &threads[t],
					  "vfio_mdom_pin");
		if (IS_ERR(tasks[t])) {
			tasks[t] = NULL;
			continue;
		}
		set_cpus_allowed_ptr(tasks[t], current->cpus_ptr);
		wake_up_process(tasks[t]);
	}
	mdom_pin_chunks(win);
	for (t = 0; t < nthreads; t++)
		if (tasks[t])
			wait_for_completion(&threads[t].done);

	for (i = 0; i < nchunks; i++) {
		/* A short chunk keeps its first pages; the chunks after go */
		if (short_chunk)
			unpin_user_pages(win->pages + i * win->chunk,
					 win->pinned[i]);
		else
			good += win->pinned[i];
		if (win->pinned[i] < mdom_pin_chunk_npages(win, i))
			short_chunk = true;
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
		k = min_t(unsigned long, MDOM_PIN_BATCH, n - done);
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
	unsigned long npages = pages->npages, filled = 0, good, win_max;
	struct mdom_pin_window win = {
		.mm = current->mm,
		.caller = current,
		.gup_flags = FOLL_LONGTERM | (pages->writable ? FOLL_WRITE : 0),
	};
	struct mdom_pin_thread *threads;
	unsigned int npinners;

	if (npages < max(READ_ONCE(mdom_parallel_pin_min), 2U) ||
	    current->mm != mdom_pages_mm(pages))
		return 0;
	npinners = min(mdom_pin_cpus(), MDOM_PINNERS_MAX);
	if (npinners < 2)
		return 0;

	win_max = min_t(unsigned long, npages, MDOM_PIN_WINDOW);
	win.chunk = clamp_t(unsigned long,
			    win_max / (npinners * MDOM_PIN_CHUNKS_MIN), 1,
			    MDOM_PIN_BATCH);
	threads = kcalloc(npinners - 1, sizeof(*threads), GFP_KERNEL);
	if (!threads)
		return 0;
	win.pinned = kvmalloc_array(DIV_ROUND_UP(win_max, win.chunk),
				    sizeof(*win.pinned), GFP_KERNEL);
	win.pages = kvmalloc_array(win_max, sizeof(*win.pages),
				   GFP_KERNEL_ACCOUNT);
	if (!win.pinned || !win.pages)
		goto out_free;

	while (filled < npages) {
		win.start = pages->vaddr + (filled << PAGE_SHIFT);
		win.npages = min_t(unsigned long, npages - filled, win_max);
		good = mdom_pin_window(&win, threads, npinners - 1);
		if (mdom_pin_fold(pages, &filled, win.pages, good) ||
		    good < win.npages)
			break;
		cond_resched();
	}

out_free:
	kvfree(win.pages);
	kvfree(win.pinned);
	kfree(threads);
	return filled;
}
