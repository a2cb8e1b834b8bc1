// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom mapping engine: the pinned-page store.
 *
 * A user range is pinned once with pin_user_pages_fast(FOLL_LONGTERM), one
 * page of struct page pointers per call, and folded into physically
 * contiguous runs as it goes, so THP or hugetlb backed memory becomes a few
 * long runs. The pages are charged to the mm's locked_vm once per mm
 * (account.c); a map that cannot fit RLIMIT_MEMLOCK fails before it pins
 * anything. Each run is mapped into a domain with one iommu_map().
 */
#include <linux/capability.h>
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include "pages.h"
#include "trace.h"

/* Pages pinned per pin_user_pages_fast() call: one page of pointers. */
#define MDOM_PIN_BATCH		(PAGE_SIZE / sizeof(struct page *))
/* Mappings of up to this many pages pin through an array on the stack. */
#define MDOM_PIN_STACK		16
/* First allocation of the run array, unless the range has fewer pages. */
#define MDOM_RUNS_MIN		16
/* Unpin or map this many runs between two cond_resched(). */
#define MDOM_RUNS_RESCHED	512
/*
 * Most runs one mapping may hold: kvmalloc() refuses (and warns about)
 * anything over INT_MAX bytes, and the size here comes from user input.
 * That is about 2^27 runs: 512 GiB of 4 KiB pages with no two physically
 * contiguous; a mapping that needs more fails with -ENOMEM.
 */
#define MDOM_RUNS_MAX		(((unsigned long)INT_MAX - \
				  sizeof(struct mdom_runs)) / \
				 sizeof(struct mdom_run))

/* Is there room for one more run: the inline one, or the array's? */
static bool mdom_pages_have_room(const struct mdom_pages *pages)
{
	return pages->many_runs ? pages->runs->nr < pages->runs->max :
				  !pages->one_run;
}

/*
 * Grow the runs of @pages (all of them full: at least the inline one) for
 * at least one more run. @filled pages are in the runs so far, and
 * @remaining are still to be added (counting the one that needs the new
 * run), which bounds how many runs can ever be needed.
 */
static int mdom_pages_grow(struct mdom_pages *pages, unsigned long filled,
			   unsigned long remaining)
{
	unsigned int nr = mdom_pages_nruns(pages);
	unsigned int max = pages->many_runs ? pages->runs->max : 1;
	unsigned long want, limit;
	struct mdom_runs *runs;

	limit = min_t(unsigned long, MDOM_RUNS_MAX, nr + remaining);
	if (nr >= limit)
		return -ENOMEM;
	want = max_t(unsigned long, 2UL * max, MDOM_RUNS_MIN);
	want = min(want, limit);

	if (!pages->many_runs) {
		runs = kvmalloc(struct_size(runs, run, want), MDOM_GFP_USER);
		if (!runs)
			return -ENOMEM;
		runs->max = want;
		runs->nr = 1;
		runs->run[0].pfn = pages->pfn;
		runs->run[0].npages = filled;
		pages->runs = runs;
		pages->one_run = false;
		pages->many_runs = true;
		return 0;
	}
	runs = mdom_kvrealloc(pages->runs, struct_size(runs, run, max),
			      struct_size(runs, run, want), MDOM_GFP_USER);
	if (!runs)
		return -ENOMEM;
	runs->max = want;
	pages->runs = runs;
	return 0;
}

/*
 * Start a run at the page frame @pfn after the @filled pages in the runs
 * so far, growing the runs if need be; @remaining frames are still to come,
 * counting this one. -ENOMEM leaves the runs as they were.
 */
static int mdom_pages_new_run(struct mdom_pages *pages, unsigned long pfn,
			      unsigned long filled, unsigned long remaining)
{
	struct mdom_run *run;
	int ret;

	if (!mdom_pages_have_room(pages)) {
		ret = mdom_pages_grow(pages, filled, remaining);
		if (ret)
			return ret;
	}
	if (!pages->many_runs) {
		pages->pfn = pfn;
		pages->one_run = true;
		return 0;
	}
	run = &pages->runs->run[pages->runs->nr++];
	run->pfn = pfn;
	run->npages = 1;
	return 0;
}

/*
 * The page frame after the last run, where the next page extends it: the
 * runs hold @filled pages, at least one.
 */
static unsigned long mdom_pages_next_pfn(const struct mdom_pages *pages,
					 unsigned long filled)
{
	const struct mdom_run *run;

	if (!pages->many_runs)
		return pages->pfn + filled;
	run = &pages->runs->run[pages->runs->nr - 1];
	return run->pfn + run->npages;
}

/* Extend the last run by @n pages (the inline one is as long as filled). */
static void mdom_pages_extend(struct mdom_pages *pages, unsigned long n)
{
	if (pages->many_runs)
		pages->runs->run[pages->runs->nr - 1].npages += n;
}

/* Back to no run at all. */
static void mdom_pages_free_runs(struct mdom_pages *pages)
{
	if (pages->many_runs)
		kvfree(pages->runs);
	pages->many_runs = false;
	pages->one_run = false;
}

/*
 * Append the page frame @pfn to the runs, after the *@filled pages they
 * hold (counted in *@filled). -ENOMEM leaves the runs as they were.
 */
static int mdom_pages_add_pfn(struct mdom_pages *pages, unsigned long *filled,
			      unsigned long pfn)
{
	int ret = 0;

	if (*filled && pfn == mdom_pages_next_pfn(pages, *filled))
		mdom_pages_extend(pages, 1);
	else
		ret = mdom_pages_new_run(pages, pfn, *filled,
					 pages->npages - *filled);
	if (!ret)
		(*filled)++;
	return ret;
}

/**
 * mdom_pages_add_batch() - append pinned pages to the runs
 * @pages: the store being filled
 * @filled: the pages the runs hold so far, counting those added here
 * @batch: @n pinned pages, following the pages already added
 * @n: number of pages in @batch, at most @pages->npages - *@filled
 *
 * Extends the last run while the page frame numbers follow on, across
 * batches, otherwise starts a new run. @pages->npages, the size of the
 * whole range, bounds how many runs can ever be needed. The one run of a
 * store of one is as long as *@filled until the store is full.
 *
 * Return: 0, or -ENOMEM: then only the first pages of @batch were added,
 * as many as *@filled grew by; the caller still owns the others.
 */
int mdom_pages_add_batch(struct mdom_pages *pages, unsigned long *filled,
			 struct page **batch, unsigned long n)
{
	unsigned long done = *filled, next_pfn = 0, more = 0, i;
	int ret;

	/* A store of one page, the common per-call map: its one run. */
	if (n == 1 && pages->npages == 1) {
		pages->pfn = page_to_pfn(batch[0]);
		pages->one_run = true;
		*filled = 1;
		return 0;
	}
	if (done)
		next_pfn = mdom_pages_next_pfn(pages, done);
	for (i = 0; i < n; i++) {
		unsigned long pfn = page_to_pfn(batch[i]);

		/* The last run grows by @more pages, written at its end. */
		if (done + i && pfn == next_pfn) {
			more++;
			next_pfn++;
			continue;
		}
		mdom_pages_extend(pages, more);
		more = 0;
		ret = mdom_pages_new_run(pages, pfn, done + i,
					 pages->npages - (done + i));
		if (ret) {
			*filled += i;
			return ret;
		}
		next_pfn = pfn + 1;
	}
	mdom_pages_extend(pages, more);
	*filled += n;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_pages_add_batch);

/* Give back a run array that is mostly empty, if that can be done cheaply. */
static void mdom_pages_trim(struct mdom_pages *pages)
{
	struct mdom_runs *runs;
	unsigned int nr;

	if (!pages->many_runs)
		return;
	nr = pages->runs->nr;
	if (pages->runs->max - nr <= nr ||
	    struct_size(runs, run, pages->runs->max) <= PAGE_SIZE)
		return;
	runs = kvmalloc(struct_size(runs, run, nr), MDOM_GFP_USER);
	if (!runs)
		return;		/* keep the larger array */
	runs->max = nr;
	runs->nr = nr;
	memcpy(runs->run, pages->runs->run, array_size(nr, sizeof(*runs->run)));
	kvfree(pages->runs);
	pages->runs = runs;
}

/*
 * Unpin the runs, which hold @filled pages: all of them (@pages->npages)
 * unless the range is being pinned.
 */
static void mdom_pages_unpin_runs(struct mdom_pages *pages,
				  unsigned long filled, bool dirty)
{
	unsigned int i, nr = mdom_pages_nruns(pages);

	for (i = 0; i < nr; i++) {
		struct mdom_run run = mdom_pages_run(pages, i);

		if (!pages->many_runs)
			run.npages = filled;
		unpin_user_page_range_dirty_lock(pfn_to_page(run.pfn),
						 run.npages, dirty);
		if (!((i + 1) % MDOM_RUNS_RESCHED))
			cond_resched();
	}
}

struct mdom_mapper *mdom_mapper_new(struct mm_struct *mm,
				    struct task_struct *task, bool lock_cap,
				    const void *owner, struct mdom_acct *acct)
{
	struct mdom_mapper *mapper;

	mapper = kmalloc(sizeof(*mapper), MDOM_GFP_USER);
	if (!mapper)
		return NULL;
	if (!acct) {
		acct = mdom_acct_get(mm);
		if (!acct) {
			kfree(mapper);
			return NULL;
		}
	}
	refcount_set(&mapper->users, 1);
	mapper->lock_cap = lock_cap;
	mapper->task = get_task_struct(task);
	mapper->acct = acct;
	mapper->owner = owner;
	return mapper;
}

void mdom_mapper_put(struct mdom_mapper *mapper)
{
	if (!mapper || !refcount_dec_and_test(&mapper->users))
		return;
	mdom_acct_put(mapper->acct);
	put_task_struct(mapper->task);
	kfree(mapper);
}

/* Is [@vaddr, @vaddr + @size) a range of user pages one may pin? */
static int mdom_pages_check_range(unsigned long vaddr, u64 size)
{
	if (!size || !PAGE_ALIGNED(vaddr) || !PAGE_ALIGNED(size) ||
	    size - 1 > ULONG_MAX - vaddr)
		return -EINVAL;
	/*
	 * Nothing past the user address space can be pinned: -EFAULT, as
	 * type1 answers, not pin_user_pages_fast()'s -EOVERFLOW.
	 */
	if (vaddr + (size - 1) >= TASK_SIZE)
		return -EFAULT;
	return 0;
}

int mdom_pages_init_mapper(struct mdom_pages *pages,
			   struct mdom_mapper *mapper, unsigned long vaddr,
			   u64 size, bool writable)
{
	int ret = mdom_pages_check_range(vaddr, size);

	if (ret)
		return ret;
	pages->mapper = mapper;
	pages->vaddr = vaddr;
	pages->npages = size >> PAGE_SHIFT;
	pages->writable = writable;
	return 0;
}

int mdom_pages_init_for(struct mdom_pages *pages, struct mm_struct *mm,
			struct task_struct *task, bool lock_cap,
			unsigned long vaddr, u64 size, bool writable,
			const void *owner, struct mdom_acct *acct)
{
	struct mdom_mapper *mapper;
	int ret;

	if (!mm)
		return -ESRCH;
	ret = mdom_pages_check_range(vaddr, size);
	if (ret)
		return ret;
	if (acct && WARN_ON_ONCE(mdom_acct_mm(acct) != mm))
		return -EINVAL;
	mapper = mdom_mapper_new(mm, task, lock_cap, owner, acct);
	if (!mapper)
		return -ENOMEM;
	return mdom_pages_init_mapper(pages, mapper, vaddr, size, writable);
}

int mdom_pages_init(struct mdom_pages *pages, unsigned long vaddr, u64 size,
		    bool writable, const void *owner, struct mdom_acct *acct)
{
	return mdom_pages_init_for(pages, current->mm, current->group_leader,
				   capable(CAP_IPC_LOCK), vaddr, size,
				   writable, owner, acct);
}
EXPORT_SYMBOL_IF_KUNIT(mdom_pages_init);

struct mdom_pages *mdom_pages_alloc(unsigned long vaddr, u64 size,
				    bool writable, const void *owner)
{
	struct mdom_pages *pages;
	int ret;

	pages = kzalloc(sizeof(*pages), MDOM_GFP_USER);
	if (!pages)
		return ERR_PTR(-ENOMEM);
	ret = mdom_pages_init(pages, vaddr, size, writable, owner, NULL);
	if (ret) {
		kfree(pages);
		return ERR_PTR(ret);
	}
	return pages;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_pages_alloc);

/* Pin @n pages at @start of @pages' mm into @batch: the caller's or not. */
static long mdom_pages_pin_batch(struct mdom_pages *pages, bool remote,
				 unsigned long start, unsigned long n,
				 struct page **batch)
{
	unsigned int gup_flags = FOLL_LONGTERM |
				 (pages->writable ? FOLL_WRITE : 0);
	struct mm_struct *mm = mdom_pages_mm(pages);
	int locked = 1;
	long pinned;

	if (!remote)
		return pin_user_pages_fast(start, n, gup_flags, batch);
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	pinned = mdom_pin_user_pages_remote(mm, start, n, gup_flags, batch,
					    &locked);
	if (locked)
		mmap_read_unlock(mm);
	return pinned;
}

/* Device memory pages looked up between two mmap_lock drops. */
#define MDOM_PFNMAP_BATCH	512

/*
 * May the page frame @pfn of a VM_PFNMAP area be mapped without a
 * reference? Only if it is not ordinary RAM: a frame without a struct page
 * (a BAR) or a reserved page, the frames type1 takes
 * (is_invalid_reserved_pfn()). RAM behind a VM_PFNMAP area (udmabuf, DRM
 * shmem GEM objects) belongs to its owner, who may free it while the
 * IOMMU would still map it.
 */
static bool mdom_pfn_is_devmem(unsigned long pfn)
{
	return !pfn_valid(pfn) || PageReserved(pfn_to_page(pfn));
}

/*
 * Device memory (another device's BAR mmap, VM_PFNMAP): no struct page to
 * pin, so, as type1 does, the page frames are looked up (faulting them in
 * if needed) and mapped as they are, neither pinned nor charged. The whole
 * range must be such memory, not ordinary RAM (mdom_pfn_is_devmem()), and
 * writable if @pages is: -EFAULT otherwise; -EINTR on a fatal signal. The
 * mmap_lock is dropped every MDOM_PFNMAP_BATCH pages, the areas are looked
 * up again after. The caller owns the mm (mmget()).
 */
static int mdom_pages_fill_pfnmap(struct mdom_pages *pages)
{
	unsigned int fault_flags = pages->writable ? FAULT_FLAG_WRITE : 0;
	unsigned long addr, npages = pages->npages, i, filled = 0;
	struct vm_area_struct *vma = NULL;
	struct mm_struct *mm = mdom_pages_mm(pages);
	bool unlocked;
	int ret;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	for (i = 0; i < npages; i++) {
		struct mdom_pfnmap args = {};
		bool faulted = false;
		unsigned long pfn;

		if (i && !(i % MDOM_PFNMAP_BATCH)) {
			mmap_read_unlock(mm);
			if (fatal_signal_pending(current)) {
				ret = -EINTR;
				goto out_free_runs;
			}
			cond_resched();
			if (mmap_read_lock_killable(mm)) {
				ret = -EINTR;
				goto out_free_runs;
			}
			vma = NULL;
		}
		addr = pages->vaddr + (i << PAGE_SHIFT);
retry:
		if (!vma || addr >= vma->vm_end)
			vma = vma_lookup(mm, addr);
		ret = -EFAULT;
		if (!vma || !(vma->vm_flags & VM_PFNMAP))
			goto out_unlock;
		args.vma = vma;
		args.address = addr;
		if (mdom_follow_pfnmap_start(&args)) {
			/*
			 * Not there yet: fault it in, once (the lock is held
			 * after, maybe dropped and taken again meanwhile).
			 */
			if (faulted)
				goto out_unlock;
			faulted = true;
			ret = fixup_user_fault(mm, addr, fault_flags, &unlocked);
			if (ret)
				goto out_unlock;
			vma = NULL;
			goto retry;
		}
		pfn = args.pfn;
		ret = -EFAULT;
		if ((!pages->writable || args.writable) &&
		    mdom_pfn_is_devmem(pfn))
			ret = 0;
		mdom_follow_pfnmap_end(&args);
		if (!ret)
			ret = mdom_pages_add_pfn(pages, &filled, pfn);
		if (ret)
			goto out_unlock;
	}
	mmap_read_unlock(mm);
	pages->pfnmap = true;
	return 0;

out_unlock:
	mmap_read_unlock(mm);
out_free_runs:
	mdom_pages_free_runs(pages);
	return ret;
}

/*
 * The range could not be pinned (GUP refuses VM_IO and VM_PFNMAP areas) or
 * charged (device memory is not charged): if it starts in a VM_PFNMAP
 * area, try it as device memory; otherwise @err stands.
 */
static int mdom_pages_try_pfnmap(struct mdom_pages *pages, int err)
{
	struct mm_struct *mm = mdom_pages_mm(pages);
	struct vm_area_struct *vma;
	bool pfnmap;

	mmap_read_lock(mm);
	vma = vma_lookup(mm, pages->vaddr);
	pfnmap = vma && (vma->vm_flags & VM_PFNMAP);
	mmap_read_unlock(mm);
	return pfnmap ? mdom_pages_fill_pfnmap(pages) : err;
}

/*
 * Pin the range and, if @charge, charge it (device memory is taken as
 * such then). Without @charge the pins are taken and nothing else.
 */
static int __mdom_pages_fill(struct mdom_pages *pages, bool remote,
			     bool charge)
{
	/* Only read where pinning wrote it: no CONFIG_INIT_STACK_ALL_ZERO. */
	struct page *stack_batch[MDOM_PIN_STACK] __uninitialized;
	struct page **batch = stack_batch;
	unsigned long npages = pages->npages, filled, done;
	int ret;

	if (WARN_ON_ONCE(pages->pinned))
		return -EINVAL;
	if (remote && !mmget_not_zero(mdom_pages_mm(pages)))
		return -ESRCH;

	/* Small mappings, the common per-call case, allocate nothing. */
	if (npages > MDOM_PIN_STACK) {
		batch = kmalloc_array(min_t(unsigned long, npages,
					    MDOM_PIN_BATCH),
				      sizeof(*batch), GFP_KERNEL);
		if (!batch) {
			ret = -ENOMEM;
			goto out_mmput;
		}
	}

	/*
	 * A range past the limit pins nothing: checked first, unless it is
	 * small enough that pinning it costs less than the check does
	 * (mdom_acct_charge() refuses it all the same, and it is unpinned).
	 */
	ret = charge && npages > MDOM_PIN_STACK ? mdom_acct_precheck(pages) : 0;
	if (ret) {
		ret = mdom_pages_try_pfnmap(pages, ret);
		if (ret)
			goto out_free_batch;
		goto out_filled;
	}

	/* Maybe all of it, on several CPUs; the loop pins the rest */
	filled = mdom_pages_pin_parallel(pages);
	while (filled < npages) {
		unsigned long left = npages - filled;
		unsigned long n = min_t(unsigned long, left,
					batch == stack_batch ? MDOM_PIN_STACK :
							       MDOM_PIN_BATCH);
		long pinned;

		pinned = mdom_pages_pin_batch(pages, remote,
					      pages->vaddr + (filled << PAGE_SHIFT),
					      n, batch);
		if (pinned <= 0) {
			ret = pinned ? pinned : -EFAULT;
			if (ret == -EFAULT && !filled && charge) {
				ret = mdom_pages_try_pfnmap(pages, ret);
				if (ret)
					goto out_free_batch;
				goto out_filled;
			}
			goto out_unpin;
		}
		done = filled;
		ret = mdom_pages_add_batch(pages, &filled, batch, pinned);
		if (ret) {
			done = filled - done;
			unpin_user_pages(batch + done, pinned - done);
			goto out_unpin;
		}
		if (filled < npages) {
			if (fatal_signal_pending(current)) {
				ret = -EINTR;
				goto out_unpin;
			}
			cond_resched();
		}
	}
	ret = charge ? mdom_acct_charge(pages) : 0;
	if (ret)
		goto out_unpin;
out_filled:
	pages->pinned = true;
	if (batch != stack_batch)
		kfree(batch);
	mdom_pages_trim(pages);
	if (remote)
		mmput(mdom_pages_mm(pages));
	return 0;

out_unpin:
	/* Nothing was written through these pages: do not dirty them. */
	mdom_pages_unpin_runs(pages, filled, false);
	mdom_pages_free_runs(pages);
out_free_batch:
	if (batch != stack_batch)
		kfree(batch);
out_mmput:
	if (remote)
		mmput(mdom_pages_mm(pages));
	return ret;
}

int mdom_pages_fill(struct mdom_pages *pages)
{
	u64 start = mdom_trace_clock(trace_mdom_pin_enabled());
	bool remote = current->mm != mdom_pages_mm(pages);
	int ret;

	ret = __mdom_pages_fill(pages, remote, true);
	trace_mdom_pin(pages->vaddr, pages->npages, mdom_pages_nruns(pages),
		       remote, ret,
		       mdom_trace_ns(start));
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_pages_fill);

void mdom_pages_empty(struct mdom_pages *pages)
{
	if (!pages->pinned)
		return;
	if (!pages->pfnmap) {
		mdom_acct_uncharge(pages);
		mdom_pages_unpin_runs(pages, pages->npages, pages->writable);
	}
	mdom_pages_free_runs(pages);
	pages->pinned = false;
	pages->pfnmap = false;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_pages_empty);

int mdom_pages_move(struct mdom_pages *pages, unsigned long vaddr)
{
	struct mm_struct *mm = current->mm;
	struct mdom_acct *acct = NULL;
	struct mdom_mapper *to;
	int ret;

	if (!mm)
		return -ESRCH;
	if (mm == mdom_pages_mm(pages))
		acct = mdom_acct_ref(pages->mapper->acct);
	to = mdom_mapper_new(mm, current->group_leader,
			     capable(CAP_IPC_LOCK), pages->mapper->owner, acct);
	if (!to) {
		if (acct)
			mdom_acct_put(acct);
		return -ENOMEM;
	}
	if (mm != mdom_pages_mm(pages) && mdom_pages_npinned(pages)) {
		/* The pins, @pages' own, go along. */
		ret = mdom_acct_move(pages, to);
		if (ret) {
			mdom_mapper_put(to);
			return ret;
		}
	}
	swap(pages->mapper, to);
	mdom_mapper_put(to);
	pages->vaddr = vaddr;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_pages_move);

void mdom_pages_release(struct mdom_pages *pages)
{
	mdom_pages_empty(pages);
	mdom_mapper_put(pages->mapper);
}
EXPORT_SYMBOL_IF_KUNIT(mdom_pages_release);

void mdom_pages_unpin(struct mdom_pages *pages)
{
	if (!pages)
		return;
	mdom_pages_release(pages);
	kfree(pages);
}
EXPORT_SYMBOL_IF_KUNIT(mdom_pages_unpin);

struct mdom_pages *mdom_pages_pin(unsigned long vaddr, u64 size,
				  bool writable, const void *owner)
{
	struct mdom_pages *pages;
	int ret;

	pages = mdom_pages_alloc(vaddr, size, writable, owner);
	if (IS_ERR(pages))
		return pages;
	ret = mdom_pages_fill(pages);
	if (ret) {
		mdom_pages_unpin(pages);
		return ERR_PTR(ret);
	}
	return pages;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_pages_pin);

int mdom_pages_map(struct mdom_pages *pages, struct iommu_domain *domain,
		   unsigned long iova, int prot, gfp_t gfp)
{
	unsigned int i, nr = mdom_pages_nruns(pages);
	size_t mapped = 0;
	int ret;

	for (i = 0; i < nr; i++) {
		struct mdom_run run = mdom_pages_run(pages, i);
		size_t len = run.npages << PAGE_SHIFT;

		/* mapped < size: no wrap even for a range ending at the top */
		ret = mdom_iommu_map(domain, iova + mapped,
				     PFN_PHYS(run.pfn), len, prot, gfp);
		if (ret)
			goto out_unmap;
		mapped += len;
		if (!((i + 1) % MDOM_RUNS_RESCHED) &&
		    gfpflags_allow_blocking(gfp))
			cond_resched();
	}
	return 0;

out_unmap:
	if (mapped)
		WARN_ON_ONCE(iommu_unmap(domain, iova, mapped) != mapped);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_pages_map);

phys_addr_t mdom_pages_phys_at(const struct mdom_pages *pages, u64 offset,
			       struct mdom_pages_cursor *cursor)
{
	struct mdom_pages_cursor start = {};
	unsigned long index = offset >> PAGE_SHIFT;
	unsigned int i, nr = mdom_pages_nruns(pages);

	if (WARN_ON_ONCE(index >= pages->npages))
		return 0;
	if (cursor && cursor->run < nr && index >= cursor->index)
		start = *cursor;
	for (i = start.run; i < nr; i++) {
		struct mdom_run run = mdom_pages_run(pages, i);

		if (index - start.index < run.npages) {
			if (cursor) {
				cursor->run = i;
				cursor->index = start.index;
			}
			return PFN_PHYS(run.pfn + index - start.index) +
			       offset_in_page(offset);
		}
		start.index += run.npages;
	}
	return 0;	/* not reached: the runs cover npages */
}
EXPORT_SYMBOL_IF_KUNIT(mdom_pages_phys_at);
