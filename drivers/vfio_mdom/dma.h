/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User DMA mappings of a container, one node per VFIO_IOMMU_MAP_DMA, kept
 * at their original granularity in an rbtree keyed by IOVA (they never
 * overlap, so no interval tree is needed to find a range's mappings).
 *
 * Ranges are [iova, last] with an inclusive last. A mapping keeps no last
 * of its own (its size is its pages'): mdom_dma_last() computes it in u64,
 * which gives U64_MAX for one that ends at the top of the IOVA space.
 *
 * Locking: every function here requires the lock that owns the tree
 * (mdom_container::iova_lock, asserted by the callers in the container
 * layer); the tree itself has no lock of its own.
 *
 * A mapping is in the tree from the moment its IOVA is taken to the moment
 * it is gone from every IOMMU domain: while it is being mapped into the
 * domains (MDOM_DMA_MAPPING) and while it is being unmapped from them
 * (MDOM_DMA_UNMAPPING), so that no other mapping can take its IOVA and
 * reach the IOMMU first. The unmap rules treat an UNMAPPING mapping as
 * gone already and refuse to decide (-EAGAIN) while a MAPPING one is in
 * the way.
 *
 * Validation: these functions trust their ranges. Checking user input
 * (page size alignment, zero size, "iova + size - 1" wrap-around, flags,
 * UNMAP_ALL with a non-zero iova or size) is the container layer's job.
 */
#ifndef _VFIO_MDOM_DMA_H
#define _VFIO_MDOM_DMA_H

#include <linux/rbtree.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include "pages.h"

/**
 * enum mdom_dma_state - where a mapping is in its life
 * @MDOM_DMA_LIVE: mapped into every domain of the container
 * @MDOM_DMA_MAPPING: inserted, being mapped into the domains
 * @MDOM_DMA_UNMAPPING: chosen by an unmap, being unmapped from the domains
 */
enum mdom_dma_state {
	MDOM_DMA_LIVE,
	MDOM_DMA_MAPPING,
	MDOM_DMA_UNMAPPING,
};

/**
 * struct mdom_dma_extra - what few mappings need, allocated on first use
 * @epins: pages emulated devices hold pinned (emulated.c), by page index
 *	   in the mapping
 * @dirty: pages to report dirty in type1's way while dirty tracking is
 *	   on (dirty.c): pinned by an emulated device or written by
 *	   vfio_dma_rw(); one bit per page of the container's smallest
 *	   IOMMU page size, NULL while tracking is off
 *
 * Not in the mapping but in its container (mdom_container::dma_extras,
 * keyed by mdom_dma_extra_key()): a mapping gets one when an emulated
 * device first pins one of its pages or dirty tracking starts, and keeps
 * it until it leaves the tree, or until tracking stops if no device pins
 * anything of it then. A VMM's mappings of guest RAM for assigned devices
 * never need it, and do not pay for it.
 */
struct mdom_dma_extra {
	struct xarray epins;
	unsigned long *dirty;
};

/**
 * struct mdom_dma - one user mapping
 * @node: in the tree (rb_root_cached), keyed by @iova
 * @iova: first IOVA
 * @next: the next on the owner's struct mdom_dma_list, e.g. the victims of
 *	  mdom_dma_unmap_collect()
 * @prot: IOMMU_READ and/or IOMMU_WRITE as asked by the user
 * @state: enum mdom_dma_state
 * @vaddr_invalid: VFIO_DMA_UNMAP_FLAG_VADDR invalidated @vaddr; the pins
 *		   and translations stay until a new one is given
 * @pages: the pages backing the whole mapping, and its user address
 *	   (@pages.vaddr)
 * @pages_own: what of @pages comes before its owner_data, the byte whose
 *	       bits @prot, @state and @vaddr_invalid are
 *
 * Size: a container may hold a million mappings, and a VMM with a vIOMMU
 * makes and drops small ones all the time, so a mapping costs what the
 * common one needs and no more. It comes from a kmem_cache of its own
 * (charged to the mapper's memory cgroup), a 4 KiB mapping allocates
 * nothing else (its one run is its first page frame in @pages, its length
 * the mapping's), who mapped is shared with the caller's other mappings
 * (@pages.mapper), its last IOVA is computed from its size
 * (mdom_dma_last()), the lists it goes on are singly linked, and what only
 * emulated devices and dirty tracking use is kept by the container
 * (struct mdom_dma_extra), not by the mapping. On x86_64 the layout is::
 *
 *	node 24 | iova 8 | next 8 | pages 48 = 88 bytes
 *
 * where struct mdom_pages is mapper 8, vaddr 8, one word of npages (48
 * bits), five flag bits and the byte of prot, state and vaddr_invalid,
 * the account's link 16, and the one run's page frame or the run array 8.
 * MDOM_DMA_MAX_SIZE, checked at build time, catches growth.
 */
struct mdom_dma {
	struct rb_node node;
	u64 iova;
	struct mdom_dma *next;
	union {
		struct mdom_pages pages;
		struct {	/* bits of mdom_pages::owner_data */
			u8 pages_own[offsetof(struct mdom_pages, owner_data)];
			u8 prot:2;		/* IOMMU_READ | IOMMU_WRITE */
			u8 state:2;		/* enum mdom_dma_state */
			u8 vaddr_invalid:1;
		};
	};
};

/* See struct mdom_dma: what a mapping may cost on 64-bit, at most. */
#define MDOM_DMA_MAX_SIZE	88

/*
 * The key of @dma's extra state in its container: its first IOVA in pages
 * (an unsigned long holds any: the module is 64-bit only, see
 * MDOM_NPAGES_BITS). Every mapping is aligned to the container's smallest
 * IOMMU page size, PAGE_SIZE or more (mdom_pgsize_bitmap() folds smaller
 * ones into it), and at least that long, and mappings never overlap: no
 * two in a tree share a key.
 */
static inline unsigned long mdom_dma_extra_key(const struct mdom_dma *dma)
{
	return dma->iova >> PAGE_SHIFT;
}

/* The size of @dma: its pages', set when it is made. */
static inline u64 mdom_dma_size(const struct mdom_dma *dma)
{
	return (u64)dma->pages.npages << PAGE_SHIFT;
}

/*
 * The last IOVA of @dma (inclusive): @iova + size - 1, which is U64_MAX,
 * not an overflow, for a mapping that ends at the top of the IOVA space.
 */
static inline u64 mdom_dma_last(const struct mdom_dma *dma)
{
	return dma->iova + mdom_dma_size(dma) - 1;
}

/**
 * struct mdom_dma_list - mappings set aside by their owner, in order
 * @first: the first mapping, NULL if none
 * @last: the last mapping, NULL if none
 *
 * A singly linked list through mdom_dma::next (8 bytes a mapping, not the
 * 16 of a list_head), appended to at the end: the victims of an unmap in
 * IOVA order, or the mappings a replay pinned. A zeroed one is empty. A
 * mapping is on one list at most, and none is ever taken off the middle
 * of one: a list is walked from the start, cut back to an earlier mark
 * (mdom_dma_list_cut()), or dropped whole (mdom_dma_list_init()). Whoever
 * owns the list serializes its changes.
 */
struct mdom_dma_list {
	struct mdom_dma *first;
	struct mdom_dma *last;
};

static inline void mdom_dma_list_init(struct mdom_dma_list *list)
{
	list->first = NULL;
	list->last = NULL;
}

static inline bool mdom_dma_list_empty(const struct mdom_dma_list *list)
{
	return !list->first;
}

/* Put @dma (on no list) at the end of @list. */
static inline void mdom_dma_list_append(struct mdom_dma_list *list,
					struct mdom_dma *dma)
{
	dma->next = NULL;
	if (list->last)
		list->last->next = dma;
	else
		list->first = dma;
	list->last = dma;
}

/* Where @list ends now (NULL: at its start), for mdom_dma_list_cut(). */
static inline struct mdom_dma *mdom_dma_list_mark(struct mdom_dma_list *list)
{
	return list->last;
}

/*
 * Cut @list back to @mark (mdom_dma_list_mark() of this list, and no cut
 * since): the mappings appended after it are off the list, and the first
 * of them is returned (NULL if none), still linked to the others by ->next.
 */
static inline struct mdom_dma *mdom_dma_list_cut(struct mdom_dma_list *list,
						 struct mdom_dma *mark)
{
	struct mdom_dma *cut;

	if (mark) {
		cut = mark->next;
		mark->next = NULL;
	} else {
		cut = list->first;
		list->first = NULL;
	}
	list->last = mark;
	return cut;
}

/*
 * Each mapping of @list in turn as @dma, which the body may free or put
 * on another list: the next one is fetched before the body runs.
 */
#define mdom_dma_list_for_each(dma, list)				\
	for (struct mdom_dma *__mdom_next = (list)->first;		\
	     ((dma) = __mdom_next) && (__mdom_next = __mdom_next->next, true);)

static inline unsigned int mdom_dma_list_count(const struct mdom_dma_list *list)
{
	const struct mdom_dma *dma;
	unsigned int n = 0;

	for (dma = list->first; dma; dma = dma->next)
		n++;
	return n;
}

/**
 * struct mdom_dma_tree - the mappings of one container
 * @root: rbtree of struct mdom_dma by IOVA (they never overlap)
 * @count: number of mappings (against the dma_entry_limit)
 * @last: the last mapping (the rbtree caches the first), NULL if none
 * @seq: changes with every insert and remove: a struct mdom_dma_slot
 *	 found at the same @seq is still right
 */
struct mdom_dma_tree {
	struct rb_root_cached root;
	struct mdom_dma *last;
	unsigned int count;
	unsigned long seq;
};

/**
 * struct mdom_dma_slot - where a new mapping goes into a tree
 * @parent: its parent node, NULL at the root
 * @link: the parent's child pointer (or the root's) that will point to it
 * @leftmost: it will be the first mapping
 * @rightmost: it will be the last mapping
 * @seq: the tree's @seq when the slot was found
 *
 * Found by mdom_dma_find_slot() for a range no mapping overlaps, with the
 * tree's lock held; valid, with that lock dropped and taken again, as long
 * as the tree's @seq is the same: mdom_dma_insert_slot() then saves the
 * descent, and looks again otherwise.
 */
struct mdom_dma_slot {
	struct rb_node *parent;
	struct rb_node **link;
	bool leftmost;
	bool rightmost;
	unsigned long seq;
};

void mdom_dma_tree_init(struct mdom_dma_tree *tree);

/*
 * Mappings come from a cache of their own: a container may hold a million
 * of them, and a general kmalloc size would round each up a lot.
 */
int mdom_dma_cache_init(void);
void mdom_dma_cache_exit(void);
struct mdom_dma *mdom_dma_alloc(void);
void mdom_dma_free(struct mdom_dma *dma);

/* First mapping overlapping [first, last], in IOVA order, or NULL. */
struct mdom_dma *mdom_dma_first(struct mdom_dma_tree *tree, u64 first,
				u64 last);
/*
 * Next mapping after @dma overlapping [first, last], or NULL. @dma must be
 * in the tree: to remove while iterating, fetch the next one first.
 */
struct mdom_dma *mdom_dma_next(struct mdom_dma *dma, u64 first, u64 last);

/*
 * Insert @dma (->iova and ->last set, ->iova <= ->last, ->state as the
 * caller wants it); -EEXIST (tree unchanged) if it overlaps an existing
 * one, whatever that one's state. Increments @tree->count; the
 * dma_entry_limit check is the caller's.
 */
int mdom_dma_insert(struct mdom_dma_tree *tree, struct mdom_dma *dma);
/*
 * Where a mapping of [@first, @last] would go, in *@slot; -EEXIST if an
 * existing one (whatever its state) overlaps the range.
 */
int mdom_dma_find_slot(struct mdom_dma_tree *tree, u64 first, u64 last,
		       struct mdom_dma_slot *slot);
/* mdom_dma_insert() at @slot, found for @dma's range, if still valid. */
int mdom_dma_insert_slot(struct mdom_dma_tree *tree, struct mdom_dma *dma,
			 struct mdom_dma_slot *slot);
/* Remove @dma (which must be in @tree) and decrement @tree->count. */
void mdom_dma_remove(struct mdom_dma_tree *tree, struct mdom_dma *dma);

/*
 * Apply VFIO_IOMMU_UNMAP_DMA semantics to [first, last] and move the
 * mappings to remove onto the end of @victims, in IOVA order, marking
 * them MDOM_DMA_UNMAPPING; they stay in the tree until the caller has
 * unmapped them from its domains and calls mdom_dma_remove_list(). @v2
 * selects TYPE1v2 rules (a range cutting a mapping at either end is
 * -EINVAL and nothing is removed), otherwise type1 v1 rules, exactly as
 * drivers/vfio/vfio_iommu_type1.c. @all removes every mapping. Returns the
 * number of bytes the victims cover in *@unmapped.
 *
 * In detail (what vfio_dma_do_unmap() does with its tree), where mappings
 * already UNMAPPING count as gone:
 * - -EAGAIN, nothing chosen, if a MAPPING mapping overlaps the range (any
 *   mapping at all with @all): the caller waits for it and tries again.
 * - v2: -EINVAL, nothing chosen, *@unmapped 0, if a mapping holds @first
 *   but starts before it, or holds @last but ends after it. Otherwise every
 *   mapping inside [first, last] is chosen (none: success, 0 bytes).
 * - v1: if the first mapping overlapping the range starts before @first
 *   (the range begins inside it), nothing is chosen and the call succeeds
 *   with 0 bytes, even if other mappings lie wholly inside the range.
 *   Otherwise every mapping that starts inside [first, last] is chosen
 *   whole, including one that extends beyond @last, and its whole size is
 *   counted.
 * - @all: every mapping is chosen under either rule; @first and @last are
 *   ignored (the caller has checked that the user passed iova 0, size 0).
 * *@unmapped saturates at U64_MAX (only mappings covering all 2^64 bytes of
 * IOVA space could reach it).
 */
int mdom_dma_unmap_collect(struct mdom_dma_tree *tree, u64 first, u64 last,
			   bool v2, bool all, struct mdom_dma_list *victims,
			   u64 *unmapped);

/* Remove every mapping on @victims from the tree; they stay on the list. */
void mdom_dma_remove_list(struct mdom_dma_tree *tree,
			  struct mdom_dma_list *victims);

/*
 * Number of PAGE_SIZE pages pinned by the mappings of @tree (recorded
 * mappings not yet pinned and device memory count 0).
 */
u64 mdom_dma_pinned_pages(struct mdom_dma_tree *tree);

#endif /* _VFIO_MDOM_DMA_H */
