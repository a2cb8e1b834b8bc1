// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom accounting: a pinned page is charged to its mm's locked_vm,
 * and counted against RLIMIT_MEMLOCK, once, however many vfio-mdom
 * containers of that mm pin it; and it is pinned once for all of them.
 *
 * type1 charges every page a container pins, so a process with two
 * containers mapping the same memory pays twice: a VMM with a vIOMMU gives
 * each device its own container and each charges all guest RAM again.
 * iommufd charges per IOAS. vfio-mdom keeps one account per mm instead.
 *
 * Every pinned mdom_pages is on its mm's account. While all of them belong
 * to one container (a VMM without vIOMMU: the common case) nothing is kept
 * but the list: each mapping holds its own pins and charges its pages, as
 * type1 does, so the pins an mm holds are bounded by its charge.
 *
 * When a second container pins pages of the same mm, the account starts
 * an index: an interval tree of disjoint page frame ranges (struct
 * mdom_acct_pin), each with the number of runs of pinned mdom_pages that
 * hold it. The account then holds the pins itself, ONE per page frame:
 * the mappings' own pins are taken over where a range is new and given
 * back at once where the account already holds it. A page is charged when
 * its range is created and uncharged (and unpinned) when its last holder
 * goes. So however many mappings and containers map a page, the mm holds
 * one pin on it and pays for it once, and the bookkeeping costs one node
 * per physically contiguous range, not per page: a 1 GiB page is one node.
 *
 * Adding pages to the index is done in two steps so that a failure (no
 * memory for a node, RLIMIT_MEMLOCK) gives the caller back exactly the
 * pins it came with: first every run is counted in, the caller's pins
 * kept as the node's @extra pins; then, once the charge is taken, the
 * extra pins are dropped (mdom_acct_commit()). Nodes are split as runs
 * start and end inside them and merged again with an equal neighbour, so
 * their number stays bounded by the holders' runs.
 *
 * The index goes when the account has no pinned pages left.
 *
 * A pin is at most as many per page frame as mappings hold it while the
 * account has one owner (each charged, as type1), and one once indexed,
 * plus those of maps in flight; a map in flight cannot be larger than
 * what the limit and the account's charge allow (mdom_acct_precheck()),
 * so the pin count of a page stays bounded by what the mm is charged.
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
 * struct mdom_acct - the charges (and, indexed, the pins) of one mm
 * @node: in mdom_accts
 * @mm: the mm, mmgrab()ed
 * @users: one per mdom_pages of this mm, pinned or not, and one per
 *	   container keeping it at hand (mdom_container::acct)
 * @lock: protects everything below
 * @pages: the pinned mdom_pages of this mm, through their @link
 * @owner: while not @indexed, the container every pinned mdom_pages
 *	   belongs to; NULL when there is none
 * @indexed: @pins is kept, and holds the pins of every pinned mdom_pages
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
 * struct mdom_acct_pin - page frames the account holds pinned, once
 * @rb: in mdom_acct::pins
 * @start: first page frame number
 * @last: last page frame number (inclusive)
 * @subtree_last: interval tree bookkeeping
 * @users: runs of pinned mdom_pages covering these frames (an mdom_pages
 *	   whose runs meet a frame twice counts twice)
 * @extra: pins of holders being added, not yet given back (0 outside
 *	   mdom_acct_count_in())
 * @dirty: a holder may write: dirty the pages when unpinning them
 */
struct mdom_acct_pin {
	struct rb_node rb;
	unsigned long start;
	unsigned long last;
	unsigned long subtree_last;
	unsigned long users;
	unsigned long extra;
	bool dirty;
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

/* Give back one pin on each page frame of @pin. */
static void mdom_pin_unpin(const struct mdom_acct_pin *pin, bool dirty)
{
	unpin_user_page_range_dirty_lock(pfn_to_page(pin->start),
					 mdom_pin_npages(pin), dirty);
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
	    pin->users != next->users || pin->dirty != next->dirty ||
	    pin->extra || next->extra)
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

/* A node for the frames [@first, @last] no one held: the caller's pins. */
static int mdom_pin_add_new(struct mdom_acct *acct, unsigned long first,
			    unsigned long last, bool dirty)
{
	struct mdom_acct_pin *pin = mdom_pin_alloc(MDOM_GFP_USER);

	if (!pin)
		return -ENOMEM;
	pin->start = first;
	pin->last = last;
	pin->users = 1;
	pin->extra = 0;
	pin->dirty = dirty;
	mdom_pin_insert(acct, pin);
	return 0;
}

/*
 * Count one holder of [@first, @last], pinned by the caller, in: its pins
 * become the account's (new frames, charged: *@new grows by them) or the
 * nodes' @extra ones. On -ENOMEM *@done is the first frame not counted in.
 */
static int mdom_pin_add_range(struct mdom_acct *acct, unsigned long first,
			      unsigned long last, bool dirty,
			      unsigned long *new, unsigned long *done)
{
	struct mdom_acct_pin *pin;
	unsigned long pfn = first;
	int ret;

	*done = first;
	ret = mdom_pin_split_range(acct, first, last, MDOM_GFP_USER);
	if (ret)
		return ret;
	for (pin = mdom_pin_it_iter_first(&acct->pins, first, last); pin;
	     pin = mdom_pin_it_iter_next(pin, first, last)) {
		if (pin->start > pfn) {
			ret = mdom_pin_add_new(acct, pfn, pin->start - 1, dirty);
			if (ret)
				return ret;
			*new += pin->start - pfn;
		}
		pin->users++;
		pin->extra++;
		pin->dirty |= dirty;
		/* The nodes end at @last at the latest: split there. */
		if (pin->last == last)
			return 0;
		pfn = pin->last + 1;
		*done = pfn;
	}
	ret = mdom_pin_add_new(acct, pfn, last, dirty);
	if (ret)
		return ret;
	*new += last - pfn + 1;
	return 0;
}

/*
 * Count one holder of [@first, @last] out. @give_back: the holder is
 * being taken back out of mdom_acct_count_in() (its pins return to it:
 * extra pins first, else the node, which it alone held); otherwise the holder
 * goes, and a node no one holds any more is unpinned, *@gone counting its
 * frames. Never fails: a split needs a node, which is then waited for.
 */
static void mdom_pin_del_range(struct mdom_acct *acct, unsigned long first,
			       unsigned long last, bool give_back,
			       unsigned long *gone)
{
	struct mdom_acct_pin *pin, *next;

	mdom_pin_split_range(acct, first, last,
			     GFP_KERNEL_ACCOUNT | __GFP_NOFAIL);
	for (pin = mdom_pin_it_iter_first(&acct->pins, first, last); pin;
	     pin = next) {
		next = mdom_pin_it_iter_next(pin, first, last);
		if (WARN_ON_ONCE(!pin->users))
			continue;
		pin->users--;
		if (give_back && pin->extra) {
			pin->extra--;
			continue;
		}
		if (pin->users)
			continue;
		mdom_pin_remove(acct, pin);
		if (!give_back) {
			mdom_pin_unpin(pin, pin->dirty);
			*gone += mdom_pin_npages(pin);
		}
		kfree(pin);
	}
	mdom_pin_merge_around(acct, first, last);
}

/* Give back the extra pins of the nodes of [@first, @last]. */
static void mdom_pin_commit_range(struct mdom_acct *acct, unsigned long first,
				  unsigned long last)
{
	struct mdom_acct_pin *pin;

	for (pin = mdom_pin_it_iter_first(&acct->pins, first, last); pin;
	     pin = mdom_pin_it_iter_next(pin, first, last)) {
		for (; pin->extra; pin->extra--)
			mdom_pin_unpin(pin, false);
	}
	mdom_pin_merge_around(acct, first, last);
}

static unsigned long mdom_run_last(const struct mdom_run *run)
{
	return run->pfn + run->npages - 1;
}

/*
 * Take the runs of @pages before @nruns (and of run @nruns the frames
 * before @done) back out of the index: their pins return to @pages.
 */
static void mdom_acct_index_undo(struct mdom_acct *acct,
				 struct mdom_pages *pages, unsigned int nruns,
				 unsigned long done)
{
	unsigned int i;

	if (nruns < pages->nruns && done > pages->runs[nruns].pfn)
		mdom_pin_del_range(acct, pages->runs[nruns].pfn, done - 1,
				   true, NULL);
	for (i = 0; i < nruns; i++) {
		mdom_pin_del_range(acct, pages->runs[i].pfn,
				   mdom_run_last(&pages->runs[i]), true, NULL);
		if (!((i + 1) % MDOM_ACCT_RESCHED))
			cond_resched();
	}
}

/*
 * Count the runs of @pages, pinned by the caller, into the index; *@new
 * the frames no one held. On -ENOMEM the index and the caller's pins are
 * as they were. mdom_acct_index_commit() then makes it final.
 */
static int mdom_acct_index_add(struct mdom_acct *acct,
			       struct mdom_pages *pages, unsigned long *new)
{
	unsigned long done;
	unsigned int i;
	int ret;

	lockdep_assert_held(&acct->lock);
	*new = 0;
	for (i = 0; i < pages->nruns; i++) {
		ret = mdom_pin_add_range(acct, pages->runs[i].pfn,
					 mdom_run_last(&pages->runs[i]),
					 pages->writable, new, &done);
		if (ret) {
			mdom_acct_index_undo(acct, pages, i, done);
			return ret;
		}
		if (!((i + 1) % MDOM_ACCT_RESCHED))
			cond_resched();
	}
	return 0;
}

/* @pages was counted in for good: the account holds its pins now. */
static void mdom_acct_index_commit(struct mdom_acct *acct,
				   struct mdom_pages *pages)
{
	unsigned int i;

	for (i = 0; i < pages->nruns; i++) {
		mdom_pin_commit_range(acct, pages->runs[i].pfn,
				      mdom_run_last(&pages->runs[i]));
		if (!((i + 1) % MDOM_ACCT_RESCHED))
			cond_resched();
	}
}

/* @pages goes: unpin what only it held; the frames given back. */
static unsigned long mdom_acct_index_del(struct mdom_acct *acct,
					 struct mdom_pages *pages)
{
	unsigned long gone = 0;
	unsigned int i;

	for (i = 0; i < pages->nruns; i++) {
		mdom_pin_del_range(acct, pages->runs[i].pfn,
				   mdom_run_last(&pages->runs[i]), false,
				   &gone);
		if (!((i + 1) % MDOM_ACCT_RESCHED))
			cond_resched();
	}
	return gone;
}

/*
 * A second container pins pages of this mm: take every pinned page into
 * the index, pinned once, and give back the charge (and the pins) of
 * those the first container held twice. On -ENOMEM the account is as it
 * was.
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
	list_for_each_entry(pages, &acct->pages, link) {
		if (pages == failed)
			break;
		if (failed)
			mdom_acct_index_undo(acct, pages, pages->nruns, 0);
		else
			mdom_acct_index_commit(acct, pages);
	}
	if (failed)
		return ret;
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
	struct mdom_acct *acct = pages->acct;
	unsigned long limit, charged;
	bool all_new;

	if (pages->lock_cap)
		return 0;
	scoped_guard(mutex, &acct->lock) {
		all_new = !acct->indexed &&
			  (!acct->owner || acct->owner == pages->owner);
		charged = all_new ? 0 : acct->charged;
	}
	limit = task_rlimit(pages->task, RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	if (READ_ONCE(acct->mm->locked_vm) + pages->npages > limit + charged)
		return -ENOMEM;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_acct_precheck);

/*
 * Count @pages (pinned by the caller) in @acct, charging @acct's mm for
 * its pages no other pinned mdom_pages of that mm holds, against @task's
 * RLIMIT_MEMLOCK unless @lock_cap. Indexed, the account takes the
 * caller's pins over. On error nothing changed, and the pins are still
 * the caller's. The caller puts @pages on @acct's list.
 */
static int mdom_acct_count_in(struct mdom_acct *acct,
			      struct mdom_pages *pages,
			      struct task_struct *task, bool lock_cap)
{
	unsigned long new;
	int ret;

	lockdep_assert_held(&acct->lock);
	if (!acct->indexed && acct->owner && acct->owner != pages->owner) {
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
			mdom_acct_index_undo(acct, pages, pages->nruns, 0);
		return ret;
	}
	if (acct->indexed)
		mdom_acct_index_commit(acct, pages);
	else
		acct->owner = pages->owner;
	acct->charged += new;
	return 0;
}

/*
 * Take @pages off @acct and give back the charge of what only it held.
 * Indexed, that is also unpinned, and false is returned; otherwise
 * @pages holds its own pins, which the caller gives back (true).
 */
static bool mdom_acct_del(struct mdom_acct *acct, struct mdom_pages *pages)
{
	bool own_pins = !acct->indexed;
	unsigned long gone;

	lockdep_assert_held(&acct->lock);
	list_del(&pages->link);
	gone = own_pins ? pages->npages : mdom_acct_index_del(acct, pages);
	if (!WARN_ON(gone > acct->charged)) {
		mdom_acct_unlock_vm(acct, gone);
		acct->charged -= gone;
	}
	if (list_empty(&acct->pages)) {
		WARN_ON(acct->charged || acct->nr_pins);
		acct->indexed = false;
		acct->owner = NULL;
	}
	return own_pins;
}

/*
 * @pages has just been pinned: charge its mm for the pages no other pinned
 * mdom_pages of the mm holds, against RLIMIT_MEMLOCK (-ENOMEM past it, or
 * if the index cannot grow; -EINTR if killed). On error nothing changed
 * and the pins are still @pages'. On success they may be the account's:
 * mdom_acct_uncharge() says who gives them back.
 */
int mdom_acct_charge(struct mdom_pages *pages)
{
	struct mdom_acct *acct = pages->acct;
	int ret;

	guard(mutex)(&acct->lock);
	ret = mdom_acct_count_in(acct, pages, pages->task, pages->lock_cap);
	if (!ret)
		list_add_tail(&pages->link, &acct->pages);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_acct_charge);

/*
 * @pages is to be unpinned: give back the charge of what only it held.
 * True if @pages holds its own pins, for the caller to give back; false
 * if the account held them (and has unpinned what no one else holds).
 */
bool mdom_acct_uncharge(struct mdom_pages *pages)
{
	struct mdom_acct *acct = pages->acct;

	guard(mutex)(&acct->lock);
	return mdom_acct_del(acct, pages);
}
EXPORT_SYMBOL_IF_KUNIT(mdom_acct_uncharge);

/*
 * Live update (VFIO_DMA_MAP_FLAG_VADDR from another process): the pinned
 * @pages are to be charged to @to (a referenced account, which @pages
 * takes over) against @task's limit instead of to their current mm, as
 * type1 moves a mapping's charge to its new owner. The new charge is
 * taken before the old one is given back.
 *
 * The pins go along when @pages holds its own; when its account holds
 * them (indexed), the caller brings @pages' frames pinned anew (@fresh),
 * and the old account lets go of its holder's pins. Without them, and the
 * account indexed: -EAGAIN. On error (-ENOMEM past the new owner's limit,
 * -EINTR, -EAGAIN) nothing changed, @to is still the caller's and so are
 * any fresh pins.
 */
int mdom_acct_move(struct mdom_pages *pages, struct mdom_acct *to,
		   struct task_struct *task, bool lock_cap, bool fresh)
{
	struct mdom_acct *from = pages->acct;
	int ret;

	guard(mutex)(&mdom_acct_move_lock);
	mutex_lock(&from->lock);
	mutex_lock_nested(&to->lock, SINGLE_DEPTH_NESTING);
	ret = -EAGAIN;
	if (from->indexed != fresh)
		goto out_unlock;
	/*
	 * The pins @to is given: @pages' own, or the fresh ones. @pages
	 * stays on the old account's list until that has let it go.
	 */
	ret = mdom_acct_count_in(to, pages, task, lock_cap);
	if (ret)
		goto out_unlock;
	if (fresh) {
		mdom_acct_del(from, pages);
	} else {
		/* Its own pins went with @pages: only the charge stays. */
		list_del(&pages->link);
		mdom_acct_unlock_vm(from, pages->npages);
		from->charged -= pages->npages;
		if (list_empty(&from->pages))
			from->owner = NULL;
	}
	list_add_tail(&pages->link, &to->pages);
	mutex_unlock(&to->lock);
	mutex_unlock(&from->lock);
	mdom_acct_put(from);
	pages->acct = to;
	return 0;

out_unlock:
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
	struct mdom_acct *acct = pages->acct;
	unsigned long shared = 0, first, last;
	struct mdom_acct_pin *pin;
	unsigned int i;

	guard(mutex)(&acct->lock);
	if (!acct->indexed)
		return 0;
	for (i = 0; i < pages->nruns; i++) {
		first = pages->runs[i].pfn;
		last = mdom_run_last(&pages->runs[i]);
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
	guard(mutex)(&pages->acct->lock);
	return pages->acct->charged;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_acct_charged);

/* Nodes of the index of @pages' mm (for tests). */
unsigned long mdom_acct_nr_pins(struct mdom_pages *pages)
{
	guard(mutex)(&pages->acct->lock);
	return pages->acct->nr_pins;
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
 * indexed), the nodes are disjoint, held, without extra pins, and hold
 * exactly the holders' pages. Returns the number of violations found,
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
		bad += mdom_acct_expect(pin->users && !pin->extra, report, ctx,
					"index node extra pins", 0,
					pin->extra);
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
