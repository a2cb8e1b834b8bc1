// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom accounting: a pinned page is charged to its mm's locked_vm,
 * and counted against RLIMIT_MEMLOCK, once, however many vfio-mdom
 * containers of that mm pin it.
 *
 * type1 charges every page a container pins, so a process with two
 * containers mapping the same memory pays twice: a VMM with a vIOMMU gives
 * each device its own container and each charges all guest RAM again.
 * iommufd charges per IOAS. vfio-mdom keeps one account per mm instead.
 *
 * Every pinned mdom_pages is on its mm's account, and holds its own pins:
 * one per page frame its runs cover, given back when it goes, whatever
 * the account does. While all of an mm's pinned mdom_pages belong to one
 * container (a VMM without vIOMMU: the common case) nothing is kept but
 * the list: each mapping charges its pages, as type1 does, so the pins an
 * mm holds are bounded by its charge.
 *
 * When a second container pins pages of the same mm, the account starts
 * an index: an interval tree of disjoint page frame ranges (struct
 * mdom_acct_pin), each with the number of runs of pinned mdom_pages that
 * hold it, which is the number of pins they hold on each of its frames.
 * A frame is charged when its range is created and uncharged when its
 * last holder goes. So however many mappings and containers map a page,
 * the mm pays for it once, and the bookkeeping costs one node per
 * physically contiguous range, not per page: a 1 GiB page is one node. A
 * mapping of pages the account knows already pins them (it has to look
 * them up anyway) and keeps those pins: nothing is pinned twice to be
 * given back at once, so a second container's map costs what the first
 * one's does.
 *
 * Pins are references on the folio (a small folio's refcount grows by
 * GUP_PIN_COUNTING_BIAS per pin, a large folio's by one per page): what
 * the charge no longer bounds, the index does. No frame may have more
 * than MDOM_ACCT_MAX_HOLDERS holders (-ENOMEM past it), which keeps the
 * pins of the mm's mappings far below a refcount overflow even on a
 * 1 GiB folio.
 *
 * Nodes are split as runs start and end inside them and merged again
 * with an equal neighbour, so their number stays bounded by the holders'
 * runs. A failure while counting a mapping in (no memory for a node, too
 * many holders, RLIMIT_MEMLOCK) counts it out again: the index is as it
 * was, and the pins are the caller's to give back.
 *
 * The index goes when the account has no pinned pages left. A map in
 * flight pins its pages before they are counted in; it cannot be larger
 * than what the limit and the account's charge allow
 * (mdom_acct_precheck()), so its transient pins are bounded too.
 *
 * Locking: mdom_accts_lock protects the hash of accounts and their
 * refcounts' last drop; mdom_acct::lock everything in an account. It is
 * taken before the mm's mmap_lock (to charge), with no mmap_lock held, and
 * may be taken with a container's iova_lock or domains_rwsem held; it is
 * never held while taking either. Only a live update holds two account
 * locks, under mdom_acct_move_lock.
 */
#include <linux/hashtable.h>
#include <linux/interval_tree_generic.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/refcount.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "pages.h"

#define MDOM_ACCT_HASH_BITS	6
/* Runs counted in or out between two cond_resched(). */
#define MDOM_ACCT_RESCHED	256

/**
 * struct mdom_acct - the charges of one mm
 * @node: in mdom_accts
 * @mm: the mm, mmgrab()ed
 * @users: one per mdom_pages of this mm, pinned or not, and one per
 *	   container keeping it at hand (mdom_container::acct)
 * @lock: protects everything below
 * @pages: the pinned mdom_pages of this mm, through their @link
 * @owner: while not @indexed, the container every pinned mdom_pages
 *	   belongs to; NULL when there is none
 * @indexed: @pins is kept, and counts the pins of every pinned mdom_pages
 *	     on @pages: they belong to two or more containers, or did
 * @pins: struct mdom_acct_pin by page frame range, disjoint
 * @nr_pins: number of nodes in @pins
 * @charged: pages charged to @mm's locked_vm through this account
 */
struct mdom_acct {
	struct hlist_node node;
	struct mm_struct *mm;
	refcount_t users;
	struct mutex lock;	/* see above */
	struct list_head pages;
	const void *owner;
	bool indexed;
	struct rb_root_cached pins;
	unsigned long nr_pins;
	unsigned long charged;
};

/**
 * struct mdom_acct_pin - page frames pinned by the mm's mappings, charged
 *			  once
 * @rb: in mdom_acct::pins
 * @start: first page frame number
 * @last: last page frame number (inclusive)
 * @subtree_last: interval tree bookkeeping
 * @users: runs of pinned mdom_pages covering these frames (an mdom_pages
 *	   whose runs meet a frame twice counts twice): the pins they hold
 *	   on each frame, at most MDOM_ACCT_MAX_HOLDERS
 */
struct mdom_acct_pin {
	struct rb_node rb;
	unsigned long start;
	unsigned long last;
	unsigned long subtree_last;
	unsigned long users;
};

#define MDOM_PIN_START(pin)	((pin)->start)
#define MDOM_PIN_LAST(pin)	((pin)->last)

INTERVAL_TREE_DEFINE(struct mdom_acct_pin, rb, unsigned long, subtree_last,
		     MDOM_PIN_START, MDOM_PIN_LAST, static, mdom_pin_it)

static DEFINE_HASHTABLE(mdom_accts, MDOM_ACCT_HASH_BITS);
static DEFINE_MUTEX(mdom_accts_lock);
/* Serialises live updates, the only holders of two account locks. */
static DEFINE_MUTEX(mdom_acct_move_lock);

/* The account of @mm, referenced: created if needed. NULL on -ENOMEM. */
struct mdom_acct *mdom_acct_get(struct mm_struct *mm)
{
	struct mdom_acct *acct;

	guard(mutex)(&mdom_accts_lock);
	hash_for_each_possible(mdom_accts, acct, node, (unsigned long)mm) {
		if (acct->mm == mm) {
			refcount_inc(&acct->users);
			return acct;
		}
	}
	acct = kzalloc(sizeof(*acct), MDOM_GFP_USER);
	if (!acct)
		return NULL;
	mmgrab(mm);
	acct->mm = mm;
	refcount_set(&acct->users, 1);
	mutex_init(&acct->lock);
	INIT_LIST_HEAD(&acct->pages);
	acct->pins = RB_ROOT_CACHED;
	hash_add(mdom_accts, &acct->node, (unsigned long)mm);
	return acct;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_acct_get);

/* Another reference on an account someone holds one on. */
struct mdom_acct *mdom_acct_ref(struct mdom_acct *acct)
{
	refcount_inc(&acct->users);
	return acct;
}

struct mm_struct *mdom_acct_mm(const struct mdom_acct *acct)
{
	return acct->mm;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_acct_mm);

void mdom_acct_put(struct mdom_acct *acct)
{
	if (!refcount_dec_and_mutex_lock(&acct->users, &mdom_accts_lock))
		return;
	hash_del(&acct->node);
	mutex_unlock(&mdom_accts_lock);
	WARN_ON(!list_empty(&acct->pages) || acct->charged || acct->indexed ||
		acct->nr_pins);
	mutex_destroy(&acct->lock);
	mmdrop(acct->mm);
	kfree(acct);
}
EXPORT_SYMBOL_IF_KUNIT(mdom_acct_put);

/* Charge @npages to the mm, against @task's limit unless @lock_cap. */
static int mdom_acct_lock_vm(struct mdom_acct *acct, unsigned long npages,
			     struct task_struct *task, bool lock_cap)
{
	int ret;

	if (!npages)
		return 0;
	ret = mmap_write_lock_killable(acct->mm);
	if (ret)
		return ret;
	ret = __account_locked_vm(acct->mm, npages, true, task, lock_cap);
	mmap_write_unlock(acct->mm);
	return ret;
}

/*
 * Give a charge back. Lowering locked_vm checks no limit, so unlike
 * account_locked_vm() this does not ask capable(CAP_IPC_LOCK) (an LSM
 * check, audited) on every unmap. The mm may have exited: mmgrab() keeps
 * its locked_vm to uncharge.
 */
static void mdom_acct_unlock_vm(struct mdom_acct *acct, unsigned long npages)
{
	if (!npages)
		return;
	mmap_write_lock(acct->mm);
	__account_locked_vm(acct->mm, npages, false, current, false);
	mmap_write_unlock(acct->mm);
}

static unsigned long mdom_pin_npages(const struct mdom_acct_pin *pin)
{
	return pin->last - pin->start + 1;
}

static struct mdom_acct_pin *mdom_pin_next(struct mdom_acct_pin *pin)
{
	struct rb_node *rb = rb_next(&pin->rb);

	return rb ? rb_entry(rb, struct mdom_acct_pin, rb) : NULL;
}

static struct mdom_acct_pin *mdom_pin_prev(struct mdom_acct_pin *pin)
{
	struct rb_node *rb = rb_prev(&pin->rb);

	return rb ? rb_entry(rb, struct mdom_acct_pin, rb) : NULL;
}

static struct mdom_acct_pin *mdom_pin_alloc(gfp_t gfp)
{
	return kmalloc(sizeof(struct mdom_acct_pin), gfp);
}

static void mdom_pin_insert(struct mdom_acct *acct, struct mdom_acct_pin *pin)
{
	mdom_pin_it_insert(pin, &acct->pins);
	acct->nr_pins++;
}

static void mdom_pin_remove(struct mdom_acct *acct, struct mdom_acct_pin *pin)
{
	mdom_pin_it_remove(pin, &acct->pins);
	acct->nr_pins--;
}

/*
 * Make @pfn the first frame of a node, if a node holds it and @pfn - 1.
 * Only runs' ends are split at, so the nodes stay bounded by the runs.
 */
static int mdom_pin_split(struct mdom_acct *acct, unsigned long pfn, gfp_t gfp)
{
	struct mdom_acct_pin *pin, *tail;

	pin = mdom_pin_it_iter_first(&acct->pins, pfn, pfn);
	if (!pin || pin->start == pfn)
		return 0;
	tail = mdom_pin_alloc(gfp);
	if (!tail)
		return -ENOMEM;
	*tail = *pin;
	tail->start = pfn;
	mdom_pin_remove(acct, pin);
	pin->last = pfn - 1;
	mdom_pin_insert(acct, pin);
	mdom_pin_insert(acct, tail);
	return 0;
}

/* Merge @pin with the following node if they hold alike. */
static void mdom_pin_merge_next(struct mdom_acct *acct,
				struct mdom_acct_pin *pin)
{
	struct mdom_acct_pin *next = mdom_pin_next(pin);

	if (!next || pin->last + 1 != next->start ||
	    pin->users != next->users)
		return;
	mdom_pin_remove(acct, next);
	mdom_pin_remove(acct, pin);
	pin->last = next->last;
	mdom_pin_insert(acct, pin);
	kfree(next);
}

/* Merge the nodes on either side of the boundaries of [@first, @last]. */
static void mdom_pin_merge_around(struct mdom_acct *acct, unsigned long first,
				  unsigned long last)
{
	struct mdom_acct_pin *pin, *prev;

	pin = mdom_pin_it_iter_first(&acct->pins, last, last);
	if (pin)
		mdom_pin_merge_next(acct, pin);
	pin = mdom_pin_it_iter_first(&acct->pins, first, first);
	if (pin) {
		prev = mdom_pin_prev(pin);
		if (prev)
			mdom_pin_merge_next(acct, prev);
	}
}

/* Split so that [@first, @last] starts and ends on node boundaries. */
static int mdom_pin_split_range(struct mdom_acct *acct, unsigned long first,
				unsigned long last, gfp_t gfp)
{
	int ret;

	ret = mdom_pin_split(acct, first, gfp);
	if (!ret && last != ULONG_MAX)
		ret = mdom_pin_split(acct, last + 1, gfp);
	return ret;
}

/* A node for the frames [@first, @last] no one held, held once now. */
static int mdom_pin_add_new(struct mdom_acct *acct, unsigned long first,
			    unsigned long last)
{
	struct mdom_acct_pin *pin = mdom_pin_alloc(MDOM_GFP_USER);

	if (!pin)
		return -ENOMEM;
	pin->start = first;
	pin->last = last;
	pin->users = 1;
	mdom_pin_insert(acct, pin);
	return 0;
}

/*
 * Count one holder of [@first, @last] in: *@new grows by the frames no
 * one held (to be charged). On error (-ENOMEM: no memory for a node, or a
 * frame with MDOM_ACCT_MAX_HOLDERS holders already) *@done is the first
 * frame not counted in.
 */
static int mdom_pin_add_range(struct mdom_acct *acct, unsigned long first,
			      unsigned long last, unsigned long *new,
			      unsigned long *done)
{
	struct mdom_acct_pin *pin;
	int ret;

	*done = first;
	ret = mdom_pin_split_range(acct, first, last, MDOM_GFP_USER);
	if (ret)
		return ret;
	for (pin = mdom_pin_it_iter_first(&acct->pins, first, last); pin;
	     pin = mdom_pin_it_iter_next(pin, first, last)) {
		if (pin->start > *done) {
			ret = mdom_pin_add_new(acct, *done, pin->start - 1);
			if (ret)
				goto out_merge;
			*new += pin->start - *done;
			*done = pin->start;
		}
		ret = -ENOMEM;
		if (pin->users >= MDOM_ACCT_MAX_HOLDERS)
			goto out_merge;
		pin->users++;
		ret = 0;
		/* The nodes end at @last at the latest: split there. */
		if (pin->last == last)
			goto out_merge;
		*done = pin->last + 1;
	}
	ret = mdom_pin_add_new(acct, *done, last);
	if (!ret)
		*new += last - *done + 1;
out_merge:
	/* Undone or not, the splits at either end go where they can. */
	mdom_pin_merge_around(acct, first, last);
	return ret;
}

/*
 * Count one holder of [@first, @last] out; *@gone grows by the frames no
 * one holds any more (to be uncharged). Never fails: a split needs a
 * node, which is then waited for.
 */
static void mdom_pin_del_range(struct mdom_acct *acct, unsigned long first,
			       unsigned long last, unsigned long *gone)
{
	struct mdom_acct_pin *pin, *next;

	mdom_pin_split_range(acct, first, last,
			     GFP_KERNEL_ACCOUNT | __GFP_NOFAIL);
	for (pin = mdom_pin_it_iter_first(&acct->pins, first, last); pin;
	     pin = next) {
		next = mdom_pin_it_iter_next(pin, first, last);
		if (WARN_ON_ONCE(!pin->users))
			continue;
		if (--pin->users)
			continue;
		mdom_pin_remove(acct, pin);
		*gone += mdom_pin_npages(pin);
		kfree(pin);
	}
	mdom_pin_merge_around(acct, first, last);
}

static unsigned long mdom_run_last(const struct mdom_run *run)
{
	return run->pfn + run->npages - 1;
}

/*
 * Count the runs of @pages before @nruns (and of run @nruns the frames
 * before @done) out of the index again; the frames no one holds any more
 * (never charged, when undoing a count-in) in the return value.
 */
static unsigned long mdom_acct_index_undo(struct mdom_acct *acct,
					  struct mdom_pages *pages,
					  unsigned int nruns, unsigned long done)
{
	unsigned long gone = 0;
	struct mdom_run run;
	unsigned int i;

	if (nruns < mdom_pages_nruns(pages)) {
		run = mdom_pages_run(pages, nruns);
		if (done > run.pfn)
			mdom_pin_del_range(acct, run.pfn, done - 1, &gone);
	}
	for (i = 0; i < nruns; i++) {
		run = mdom_pages_run(pages, i);
		mdom_pin_del_range(acct, run.pfn, mdom_run_last(&run), &gone);
		if (!((i + 1) % MDOM_ACCT_RESCHED))
			cond_resched();
	}
	return gone;
}

/*
 * Count the runs of @pages, pinned by the caller, into the index; *@new
 * the frames no one held. On error the index is as it was.
 */
static int mdom_acct_index_add(struct mdom_acct *acct,
			       struct mdom_pages *pages, unsigned long *new)
{
	unsigned int i, nr = mdom_pages_nruns(pages);
	unsigned long done;
	struct mdom_run run;
	int ret;

	lockdep_assert_held(&acct->lock);
	*new = 0;
	for (i = 0; i < nr; i++) {
		run = mdom_pages_run(pages, i);
		ret = mdom_pin_add_range(acct, run.pfn, mdom_run_last(&run),
					 new, &done);
		if (ret) {
			mdom_acct_index_undo(acct, pages, i, done);
			return ret;
		}
		if (!((i + 1) % MDOM_ACCT_RESCHED))
			cond_resched();
	}
	return 0;
}

/* @pages goes: the frames no one else holds. */
static unsigned long mdom_acct_index_del(struct mdom_acct *acct,
					 struct mdom_pages *pages)
{
	return mdom_acct_index_undo(acct, pages, mdom_pages_nruns(pages), 0);
}

/*
 * A second container pins pages of this mm: count every pinned page into
 * the index and give back the charge of those the first container held
 * twice. On error the account is as it was.
 */
static int mdom_acct_index_all(struct mdom_acct *acct)
{
	struct mdom_pages *pages, *failed = NULL;
	unsigned long distinct = 0, new;
	int ret = 0;

	lockdep_assert_held(&acct->lock);
	list_for_each_entry(pages, &acct->pages, link) {
		ret = mdom_acct_index_add(acct, pages, &new);
		if (ret) {
			failed = pages;
			break;
		}
		distinct += new;
	}
	if (failed) {
		list_for_each_entry(pages, &acct->pages, link) {
			if (pages == failed)
				break;
			mdom_acct_index_del(acct, pages);
		}
		return ret;
	}
	acct->indexed = true;
	acct->owner = NULL;
	mdom_acct_unlock_vm(acct, acct->charged - distinct);
	acct->charged = distinct;
	return 0;
}

/*
 * Early refusal, before pinning: can @pages still be charged? With one
 * owner, only if all of it fits; with an index (or one to come), pages
 * already charged may make it fit, but no more than those: a map can
 * never pin more pages than the limit and the account's charge allow, so
 * the pins a map holds in flight stay bounded. The real check is
 * mdom_acct_charge()'s.
 */
int mdom_acct_precheck(struct mdom_pages *pages)
{
	struct mdom_mapper *mapper = pages->mapper;
	struct mdom_acct *acct = mapper->acct;
	unsigned long limit, charged;
	bool all_new;

	if (mapper->lock_cap)
		return 0;
	scoped_guard(mutex, &acct->lock) {
		all_new = !acct->indexed &&
			  (!acct->owner || acct->owner == mapper->owner);
		charged = all_new ? 0 : acct->charged;
	}
	limit = task_rlimit(mapper->task, RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	if (READ_ONCE(acct->mm->locked_vm) + pages->npages > limit + charged)
		return -ENOMEM;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_acct_precheck);

/*
 * Count @pages (pinned by the caller) in @acct, charging @acct's mm for
 * its pages no other pinned mdom_pages of that mm holds, against @task's
 * RLIMIT_MEMLOCK unless @lock_cap. On error nothing changed. The caller
 * puts @pages on @acct's list.
 */
static int mdom_acct_count_in(struct mdom_acct *acct,
			      struct mdom_pages *pages,
			      struct task_struct *task, bool lock_cap)
{
	unsigned long new;
	int ret;

	lockdep_assert_held(&acct->lock);
	if (!acct->indexed && acct->owner &&
	    acct->owner != pages->mapper->owner) {
		ret = mdom_acct_index_all(acct);
		if (ret)
			return ret;
	}
	if (acct->indexed) {
		ret = mdom_acct_index_add(acct, pages, &new);
		if (ret)
			return ret;
	} else {
		new = pages->npages;
	}
	ret = mdom_acct_lock_vm(acct, new, task, lock_cap);
	if (ret) {
		if (acct->indexed)
			mdom_acct_index_del(acct, pages);
		return ret;
	}
	if (!acct->indexed)
		acct->owner = pages->mapper->owner;
	acct->charged += new;
	return 0;
}

/* Take @pages off @acct and give back the charge of what only it held. */
static void mdom_acct_del(struct mdom_acct *acct, struct mdom_pages *pages)
{
	unsigned long gone;

	lockdep_assert_held(&acct->lock);
	list_del(&pages->link);
	gone = acct->indexed ? mdom_acct_index_del(acct, pages) :
			       pages->npages;
	if (!WARN_ON(gone > acct->charged)) {
		mdom_acct_unlock_vm(acct, gone);
		acct->charged -= gone;
	}
	if (list_empty(&acct->pages)) {
		WARN_ON(acct->charged || acct->nr_pins);
		acct->indexed = false;
		acct->owner = NULL;
	}
}

/*
 * @pages has just been pinned: charge its mm for the pages no other pinned
 * mdom_pages of the mm holds, against RLIMIT_MEMLOCK (-ENOMEM past it, or
 * if the index cannot grow; -EINTR if killed). On error nothing changed.
 * The pins stay @pages' own either way.
 */
int mdom_acct_charge(struct mdom_pages *pages)
{
	struct mdom_acct *acct = pages->mapper->acct;
	int ret;

	guard(mutex)(&acct->lock);
	ret = mdom_acct_count_in(acct, pages, pages->mapper->task,
				 pages->mapper->lock_cap);
	if (!ret)
		list_add_tail(&pages->link, &acct->pages);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_acct_charge);

/*
 * @pages is to be unpinned: give back the charge of what only it held.
 * The caller gives its pins back.
 */
void mdom_acct_uncharge(struct mdom_pages *pages)
{
	struct mdom_acct *acct = pages->mapper->acct;

	guard(mutex)(&acct->lock);
	mdom_acct_del(acct, pages);
}
EXPORT_SYMBOL_IF_KUNIT(mdom_acct_uncharge);

/*
 * Live update (VFIO_DMA_MAP_FLAG_VADDR from another process): the pinned
 * @pages are to be charged to the account of @mapper, another mm, against
 * its task's limit instead of to their current mm, as type1 moves a
 * mapping's charge to its new owner; the pins, @pages' own, go along. The
 * new charge is taken before the old one is given back. On success the
 * caller makes @mapper the one of @pages; on error (-ENOMEM past the new
 * owner's limit, -EINTR) nothing changed.
 */
int mdom_acct_move(struct mdom_pages *pages, struct mdom_mapper *mapper)
{
	struct mdom_acct *from = pages->mapper->acct, *to = mapper->acct;
	struct task_struct *task = mapper->task;
	bool lock_cap = mapper->lock_cap;
	int ret;

	guard(mutex)(&mdom_acct_move_lock);
	mutex_lock(&from->lock);
	mutex_lock_nested(&to->lock, SINGLE_DEPTH_NESTING);
	/* @pages stays on the old account's list until that lets it go. */
	ret = mdom_acct_count_in(to, pages, task, lock_cap);
	if (!ret) {
		mdom_acct_del(from, pages);
		list_add_tail(&pages->link, &to->pages);
	}
	mutex_unlock(&to->lock);
	mutex_unlock(&from->lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_acct_move);

/*
 * How many pages of the pinned @pages another pinned mdom_pages of the
 * same mm holds too (so their charge is shared): 0 unless the account is
 * indexed. One tree walk per run.
 */
unsigned long mdom_acct_shared(struct mdom_pages *pages)
{
	struct mdom_acct *acct = pages->mapper->acct;
	unsigned int i, nr = mdom_pages_nruns(pages);
	unsigned long shared = 0, first, last;
	struct mdom_acct_pin *pin;
	struct mdom_run run;

	guard(mutex)(&acct->lock);
	if (!acct->indexed)
		return 0;
	for (i = 0; i < nr; i++) {
		run = mdom_pages_run(pages, i);
		first = run.pfn;
		last = mdom_run_last(&run);
		for (pin = mdom_pin_it_iter_first(&acct->pins, first, last);
		     pin; pin = mdom_pin_it_iter_next(pin, first, last)) {
			if (pin->users > 1)
				shared += min(last, pin->last) -
					  max(first, pin->start) + 1;
		}
		if (!((i + 1) % MDOM_ACCT_RESCHED))
			cond_resched();
	}
	return shared;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_acct_shared);

/* Pages charged through the account of @pages' mm (for tests). */
unsigned long mdom_acct_charged(struct mdom_pages *pages)
{
	guard(mutex)(&pages->mapper->acct->lock);
	return pages->mapper->acct->charged;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_acct_charged);

/* Nodes of the index of @pages' mm (for tests). */
unsigned long mdom_acct_nr_pins(struct mdom_pages *pages)
{
	guard(mutex)(&pages->mapper->acct->lock);
	return pages->mapper->acct->nr_pins;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_acct_nr_pins);

/* 0 if @ok, else 1, given to @report (if any) with what was found. */
static unsigned int mdom_acct_expect(bool ok, mdom_acct_report_fn report,
				     void *ctx, const char *what,
				     unsigned long want, unsigned long got)
{
	if (ok)
		return 0;
	if (report)
		report(ctx, what, want, got);
	return 1;
}

/*
 * The invariant checker's view of an account (check.c): the charge is
 * what the pinned mdom_pages need (every page, or each frame once when
 * indexed), the nodes are disjoint, held, within the holders' bound, and
 * hold exactly the holders' pages. Returns the number of violations found,
 * each also given to @report with @ctx if @report is not NULL.
 */
unsigned int mdom_acct_verify(struct mdom_acct *acct,
			      mdom_acct_report_fn report, void *ctx)
{
	unsigned long npages = 0, held = 0, frames = 0, nodes = 0, end = 0;
	struct mdom_acct_pin *pin;
	struct mdom_pages *pages;
	unsigned int bad = 0;
	struct rb_node *rb;

	guard(mutex)(&acct->lock);
	list_for_each_entry(pages, &acct->pages, link)
		npages += pages->npages;
	for (rb = rb_first_cached(&acct->pins); rb; rb = rb_next(rb)) {
		pin = rb_entry(rb, struct mdom_acct_pin, rb);
		bad += mdom_acct_expect(!nodes || pin->start >= end, report,
					ctx, "index node start", end,
					pin->start);
		bad += mdom_acct_expect(pin->users &&
					pin->users <= MDOM_ACCT_MAX_HOLDERS,
					report, ctx, "index node holders",
					MDOM_ACCT_MAX_HOLDERS, pin->users);
		frames += mdom_pin_npages(pin);
		held += pin->users * mdom_pin_npages(pin);
		end = pin->last + 1;
		nodes++;
	}
	bad += mdom_acct_expect(nodes == acct->nr_pins, report, ctx,
				"index nodes", acct->nr_pins, nodes);
	if (acct->indexed) {
		bad += mdom_acct_expect(held == npages, report, ctx,
					"indexed pages held", npages, held);
		bad += mdom_acct_expect(frames == acct->charged, report, ctx,
					"indexed charge", frames,
					acct->charged);
	} else {
		bad += mdom_acct_expect(!nodes, report, ctx,
					"index nodes without index", 0, nodes);
		bad += mdom_acct_expect(npages == acct->charged, report, ctx,
					"charge", npages, acct->charged);
	}
	return bad;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_acct_verify);
