/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pinned user pages of one mapping, kept as physically contiguous runs,
 * and their RLIMIT_MEMLOCK charge.
 *
 * A struct mdom_pages is created by pinning a user range once
 * (pin_user_pages_fast() with FOLL_LONGTERM, in batches) and charging its
 * pages to the pinning mm's locked_vm once. Every IOMMU domain of the
 * container maps the same runs: the pages are never pinned or charged
 * again per domain, and replay/unmap read the runs from here, never from
 * the IOMMU page table.
 *
 * Locking: a struct mdom_pages is immutable after mdom_pages_pin() returns;
 * its owner (the struct mdom_dma holding it, under the container lock)
 * serialises mdom_pages_unpin() against every reader.
 */
#ifndef _VFIO_MDOM_PAGES_H
#define _VFIO_MDOM_PAGES_H

#include <linux/build_bug.h>
#include <linux/gfp_types.h>
#include <linux/list.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/stddef.h>
#include <linux/types.h>

#include "compat.h"

/*
 * What a user's mapping allocates (the mapping and its side state, its
 * run array, the account and its index nodes, the IOMMU page tables): as
 * iommufd, charged to the caller's memory cgroup, which bounds it. Past
 * the cgroup's memory.max the map fails with ENOMEM instead of calling
 * the memcg OOM killer (the caller can give up a map; a kill would take
 * down the VMM or a bystander in its cgroup), and nothing is logged.
 */
#define MDOM_GFP_USER	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

struct iommu_domain;
struct mdom_acct;
struct task_struct;
struct mm_struct;
struct page;

struct mm_struct *mdom_acct_mm(const struct mdom_acct *acct);

/**
 * struct mdom_run - physically contiguous pinned pages
 * @pfn: page frame number of the first page of the run
 * @npages: number of PAGE_SIZE pages; @pfn + i is the i-th
 */
struct mdom_run {
	unsigned long pfn;
	unsigned long npages;
};

/**
 * struct mdom_mapper - who made mappings: shared by those of one caller
 * @users: the struct mdom_pages (and container caches) holding it
 * @lock_cap: the mapper had CAP_IPC_LOCK: charged but not limited
 * @task: the mapping process (its group leader, referenced), whose
 *	  RLIMIT_MEMLOCK applies when the pages are pinned later, by another
 *	  task (see mdom_pages_fill())
 * @acct: the account (account.c) of the mm the pages come from and are
 *	  charged to, referenced; it keeps the mm (mmgrab()ed), which may
 *	  outlive its users: see mdom_pages_mm()
 * @owner: the container the mappings belong to, for the account
 *
 * Immutable once made: a mapping that changes hands (mdom_pages_move())
 * gets another one. A container keeps the one of its last map, so a
 * process's many small maps share one and each costs a pointer.
 */
struct mdom_mapper {
	refcount_t users;
	bool lock_cap;
	struct task_struct *task;
	struct mdom_acct *acct;
	const void *owner;
};

/*
 * A new mapper (@users 1) of @mm for @owner, mapping as @task with
 * @lock_cap; it takes over @acct (a reference on @mm's account), or
 * looks it up if NULL. NULL on -ENOMEM; @acct is then still the caller's.
 */
struct mdom_mapper *mdom_mapper_new(struct mm_struct *mm,
				    struct task_struct *task, bool lock_cap,
				    const void *owner, struct mdom_acct *acct);
void mdom_mapper_put(struct mdom_mapper *mapper);

static inline struct mdom_mapper *mdom_mapper_get(struct mdom_mapper *mapper)
{
	refcount_inc(&mapper->users);
	return mapper;
}

/* Is @mapper what current, mapping for @owner with @lock_cap, would be? */
static inline bool mdom_mapper_is_current(const struct mdom_mapper *mapper,
					  const void *owner, bool lock_cap)
{
	return mapper->task == current->group_leader &&
	       mdom_acct_mm(mapper->acct) == current->mm &&
	       mapper->owner == owner && mapper->lock_cap == lock_cap;
}

/**
 * struct mdom_runs - the runs of a mapping of two or more
 * @nr: number of runs
 * @max: number of entries @run has room for
 * @run: the runs, in user address order
 */
struct mdom_runs {
	unsigned int nr;
	unsigned int max;
	struct mdom_run run[] __counted_by(max);
};

/*
 * Bits of mdom_pages::npages: 2^48 pages is more than any user address
 * space holds. The module is 64-bit only: the field shares a word with
 * the flags, and mdom_dma_extra_key() holds any IOVA in pages.
 */
#define MDOM_NPAGES_BITS	48
static_assert(IS_ENABLED(CONFIG_64BIT), "vfio-mdom needs a 64-bit kernel");

/**
 * struct mdom_pages - the pinned pages of one user mapping
 * @mapper: who mapped them (referenced): the task whose RLIMIT_MEMLOCK
 *	    applies, the account of the mm they come from and are charged
 *	    to, the container they belong to
 * @vaddr: user address of the range in @mm
 * @npages: number of PAGE_SIZE pages in the range, set once: a mapping's
 *	    size is read from it
 * @writable: pinned with FOLL_WRITE; pages are dirtied on unpin
 * @pinned: the runs hold all @npages pages, pinned and charged; false for
 *	    a mapping recorded while its container had no IOMMU domain
 * @pfnmap: device memory (VM_PFNMAP, not RAM): the runs hold its page
 *	    frames, neither pinned nor charged (no struct page, or reserved)
 * @one_run: the pages are one run, of @npages frames from @pfn
 * @many_runs: the pages are the runs of @runs
 * @owner_data: a byte for the holder of @pages, never touched here: it
 *		would be padding otherwise (struct mdom_dma keeps its prot,
 *		state and vaddr_invalid in it)
 * @link: on the account's list while @pinned
 * @pfn: the first page frame of the one run (@one_run): a mapping of one
 *	 run, such as every 4 KiB one, allocates nothing for it
 * @runs: kvmalloc()ed runs (@many_runs), covering @npages
 *
 * Read the runs through mdom_pages_nruns() and mdom_pages_run().
 *
 * The fields are packed so that a mapping (struct mdom_dma) costs as few
 * bytes as it can: a container may hold a million of them. @npages and
 * the flags share one word; each is written only by the owner of @pages
 * (under its container's rules), never concurrently with another.
 *
 * While @pinned, the pages are charged to @mm's locked_vm, once, whatever
 * the number of domains mapping the runs, and once across the containers
 * of the mm (account.c). The pins are @pages' own, one per page frame
 * its runs cover, however many other mappings pin the same frames.
 * Adjacent runs are never physically contiguous with each other: each run
 * is as long as it can be.
 */
struct mdom_pages {
	struct mdom_mapper *mapper;
	unsigned long vaddr;
	unsigned long npages:MDOM_NPAGES_BITS;
	unsigned long writable:1;
	unsigned long pinned:1;
	unsigned long pfnmap:1;
	unsigned long one_run:1;
	unsigned long many_runs:1;
	u8 owner_data;
	struct list_head link;
	union {
		unsigned long pfn;
		struct mdom_runs *runs;
	};
};

/* @owner_data is the last byte of the word of @npages: no padding. */
static_assert(offsetof(struct mdom_pages, owner_data) + 1 ==
	      offsetof(struct mdom_pages, link));

/* The number of runs of @pages. */
static inline unsigned int mdom_pages_nruns(const struct mdom_pages *pages)
{
	return pages->many_runs ? pages->runs->nr : pages->one_run;
}

/* Run @i (< mdom_pages_nruns()) of @pages. */
static inline struct mdom_run mdom_pages_run(const struct mdom_pages *pages,
					     unsigned int i)
{
	if (pages->many_runs)
		return pages->runs->run[i];
	return (struct mdom_run){ .pfn = pages->pfn, .npages = pages->npages };
}

/*
 * Record [@vaddr, @vaddr + @size) of current->mm for the container @owner
 * in @pages (zeroed by the caller), without pinning it. @acct is a
 * reference on current->mm's account that @pages takes over, or NULL to
 * look it up. Returns -EINVAL if @vaddr/@size are misaligned, zero or wrap
 * (callers are expected to have refused those already), -EFAULT for a
 * range past the user address space, -ESRCH without a current->mm,
 * -ENOMEM; on error @acct is still the caller's and nothing is to undo.
 * mdom_pages_release() undoes a success.
 */
int mdom_pages_init(struct mdom_pages *pages, unsigned long vaddr, u64 size,
		    bool writable, const void *owner, struct mdom_acct *acct);
/* The same for @mm, mapped by @task (RLIMIT_MEMLOCK, unless @lock_cap). */
int mdom_pages_init_for(struct mdom_pages *pages, struct mm_struct *mm,
			struct task_struct *task, bool lock_cap,
			unsigned long vaddr, u64 size, bool writable,
			const void *owner, struct mdom_acct *acct);
/* The same for @mapper's mm, taking over the reference @mapper is. */
int mdom_pages_init_mapper(struct mdom_pages *pages,
			   struct mdom_mapper *mapper, unsigned long vaddr,
			   u64 size, bool writable);
void mdom_pages_release(struct mdom_pages *pages);

/*
 * Record [@vaddr, @vaddr + @size) of current->mm for the container @owner,
 * without pinning it, in a new struct mdom_pages (mdom_pages_unpin() frees
 * it).
 * @vaddr and @size are PAGE_SIZE aligned, @size is not zero. Returns
 * ERR_PTR(-EINVAL) if @vaddr/@size are misaligned, zero or wrap (callers
 * are expected to have refused those already), -EFAULT for a range past
 * the user address space, -ESRCH without a current->mm, -ENOMEM.
 */
struct mdom_pages *mdom_pages_alloc(unsigned long vaddr, u64 size,
				    bool writable, const void *owner);

/*
 * Pin the recorded range and charge the mm's locked_vm for the pages no
 * other container of the mm holds pinned (account.c), against the mapping
 * process's RLIMIT_MEMLOCK unless it had CAP_IPC_LOCK. Called by
 * the mapping process, or by another task (a replay into a container's
 * first domain) while the mm is alive. Returns 0; -ENOMEM past
 * RLIMIT_MEMLOCK or if the run array cannot be allocated; -EFAULT for an
 * unmapped range, or RAM behind VM_PFNMAP; -ESRCH if the mm has exited;
 * -EINTR on a fatal signal between batches; or what pinning returned. On
 * error nothing stays pinned or charged. Unless pages already charged
 * for another container may make it fit, the limit is checked before the
 * first page is pinned. Every page pinned is charged (once per mm), as
 * type1 does for the pages pin_user_pages() can return (a
 * read-only long-term pin of private memory never returns the zero page:
 * GUP unshares it). Sleeps; takes the mm's mmap_lock, so call it with no
 * mmap_lock held.
 */
int mdom_pages_fill(struct mdom_pages *pages);

/*
 * Live update: @pages (with all it holds) now belong to current at
 * @vaddr, and are charged to current's mm. -ENOMEM past its limit.
 */
int mdom_pages_move(struct mdom_pages *pages, unsigned long vaddr);

/* The mm the pages come from: their account's. */
static inline struct mm_struct *mdom_pages_mm(const struct mdom_pages *pages)
{
	return mdom_acct_mm(pages->mapper->acct);
}

/* Pages pinned (and charged) for @pages: none for device memory. */
static inline unsigned long mdom_pages_npinned(const struct mdom_pages *pages)
{
	return pages->pinned && !pages->pfnmap ? pages->npages : 0;
}

/* Unpin and uncharge, keeping the record (@pinned becomes false). */
void mdom_pages_empty(struct mdom_pages *pages);

/* mdom_pages_alloc() then mdom_pages_fill(): the pages, or an ERR_PTR. */
struct mdom_pages *mdom_pages_pin(unsigned long vaddr, u64 size,
				  bool writable, const void *owner);

/* account.c: one charge per page and mm */
/*
 * Most pins the mm's mappings may hold on one page frame once two of its
 * containers pin pages: a 1 GiB folio held that many times whole has 2^30
 * references from them, a small one 2^22, both far from the 2^31 at which
 * GUP refuses (and warns).
 */
#define MDOM_ACCT_MAX_HOLDERS	4096
struct mdom_acct *mdom_acct_get(struct mm_struct *mm);
struct mdom_acct *mdom_acct_ref(struct mdom_acct *acct);
void mdom_acct_put(struct mdom_acct *acct);
int mdom_acct_precheck(struct mdom_pages *pages);
int mdom_acct_charge(struct mdom_pages *pages);
void mdom_acct_uncharge(struct mdom_pages *pages);
int mdom_acct_move(struct mdom_pages *pages, struct mdom_mapper *to);
unsigned long mdom_acct_shared(struct mdom_pages *pages);
unsigned long mdom_acct_charged(struct mdom_pages *pages);
unsigned long mdom_acct_nr_pins(struct mdom_pages *pages);
/* How mdom_acct_verify() tells what it found wrong. */
typedef void (*mdom_acct_report_fn)(void *ctx, const char *what,
				    unsigned long want, unsigned long got);
unsigned int mdom_acct_verify(struct mdom_acct *acct,
			      mdom_acct_report_fn report, void *ctx);

/*
 * Unpin every page (dirtying them if writable), uncharge, free. Works after
 * the mapping process has exited (the mm is only mmgrab()ed); @pages may be
 * NULL. Sleeps; takes the mm's mmap_lock.
 */
void mdom_pages_unpin(struct mdom_pages *pages);

/*
 * Map every run into @domain starting at @iova, one iommu_map() per run,
 * with @prot (IOMMU_READ/WRITE/CACHE...). On failure whatever was mapped
 * is unmapped again and the errno returned: the domain is as before.
 *
 * The caller has checked that [@iova, @iova + npages * PAGE_SIZE - 1] fits
 * (it may end at ULONG_MAX) and is free in @domain. The runs are read from
 * the store: nothing is looked up in the IOMMU page table.
 */
int mdom_pages_map(struct mdom_pages *pages, struct iommu_domain *domain,
		   unsigned long iova, int prot, gfp_t gfp);

/**
 * struct mdom_pages_cursor - where the last mdom_pages_phys() look-up was
 * @run: index of a run in mdom_pages::runs
 * @index: page index (in the range) of the first page of @run
 *
 * Zeroed, it starts at the first run. Look-ups at growing offsets (a
 * device pinning or copying a range page by page) cost O(1) each instead
 * of a walk from the first run.
 */
struct mdom_pages_cursor {
	unsigned int run;
	unsigned long index;
};

/*
 * Physical address of the page @offset bytes into the pinned range, plus
 * offset_in_page(@offset): the physical address of that very byte. Walks
 * the runs from @cursor (or from the first if @offset is before it, or
 * @cursor is NULL) and leaves @cursor at the run found. @offset past the
 * end is a caller bug: warns and returns 0.
 */
phys_addr_t mdom_pages_phys_at(const struct mdom_pages *pages, u64 offset,
			       struct mdom_pages_cursor *cursor);

static inline phys_addr_t mdom_pages_phys(const struct mdom_pages *pages,
					  u64 offset)
{
	return mdom_pages_phys_at(pages, offset, NULL);
}

int mdom_pages_add_batch(struct mdom_pages *pages, unsigned long *filled,
			 struct page **batch, unsigned long n);

/*
 * pin_parallel.c: with the parallel_pin parameter set, pin the first
 * pages of a large range of current->mm on several CPUs and add them to
 * the runs of @pages (none yet), up to all @pages->npages of them.
 * Returns how many were added (0: none, the caller pins them all).
 */
extern bool mdom_parallel_pin;
unsigned long __mdom_pages_pin_parallel(struct mdom_pages *pages);

/* Off by default: then one test, inline, on every map. */
static inline unsigned long mdom_pages_pin_parallel(struct mdom_pages *pages)
{
	return READ_ONCE(mdom_parallel_pin) ?
	       __mdom_pages_pin_parallel(pages) : 0;
}

#endif /* _VFIO_MDOM_PAGES_H */
