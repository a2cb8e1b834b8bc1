/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User DMA mappings of a container, one node per VFIO_IOMMU_MAP_DMA, kept
 * at their original granularity in an rbtree keyed by IOVA (they never
 * overlap, so no interval tree is needed to find a range's mappings).
 *
 * Ranges are [iova, last] with an inclusive last, so a mapping that ends at
 * the top of the 64-bit IOVA space needs no overflowing "iova + size".
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

#include <linux/list.h>
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
 * @last: last IOVA (inclusive): @iova + size - 1
 * @list: free for the owner's use, e.g. by mdom_dma_unmap_collect()
 * @prot: IOMMU_READ and/or IOMMU_WRITE as asked by the user
 * @state: enum mdom_dma_state
 * @vaddr_invalid: VFIO_DMA_UNMAP_FLAG_VADDR invalidated @vaddr; the pins
 *		   and translations stay until a new one is given
 * @pages: the pages backing the whole mapping, and its user address
 *	   (@pages.vaddr)
 * @pages_own: what of @pages comes before its owner_data, where the three
 *	       byte fields live
 *
 * Size: a container may hold a million mappings, and a VMM with a vIOMMU
 * makes and drops small ones all the time, so a mapping costs what the
 * common one needs and no more. It comes from a kmem_cache of its own
 * (charged to the mapper's memory cgroup), a 4 KiB mapping allocates
 * nothing else (its one run is inline in @pages), who mapped is shared
 * with the caller's other mappings (@pages.mapper), and what only emulated
 * devices and dirty tracking use is kept by the container (struct
 * mdom_dma_extra), not by the mapping. The three byte fields
 * fill what would be the padding of @pages. On x86_64 the layout is
 * (pahole)::
 *
 *	node 24 | iova 8 | last 8 | list 16 | pages 64 = 120 bytes
 *
 * where struct mdom_pages is mapper, vaddr, npages 8 each, link 16, the
 * inline run or the run array and its room 16, nruns 4, three flag bits
 * and then prot, state and vaddr_invalid. MDOM_DMA_MAX_SIZE, checked at
 * build time, catches growth.
 */
struct mdom_dma {
	struct rb_node node;
	u64 iova;
	u64 last;
	struct list_head list;
	union {
		struct mdom_pages pages;
		struct {	/* in mdom_pages::owner_data */
			u8 pages_own[offsetof(struct mdom_pages, owner_data)];
			u8 prot;
			u8 state;		/* enum mdom_dma_state */
			bool vaddr_invalid;
		};
	};
};

static_assert(offsetofend(struct mdom_dma, vaddr_invalid) <=
	      offsetof(struct mdom_dma, pages) +
	      offsetofend(struct mdom_pages, owner_data));

/* See struct mdom_dma: what a mapping may cost on 64-bit, at most. */
#define MDOM_DMA_MAX_SIZE	120

/*
 * The key of @dma's extra state in its container: its first IOVA in pages.
 * Every mapping is aligned to the container's smallest IOMMU page size,
 * PAGE_SIZE or more (mdom_pgsize_bitmap() folds smaller ones into it), and
 * at least that long, and mappings never overlap: no two in a tree share
 * a key. An IOVA from 2^(BITS_PER_LONG + PAGE_SHIFT) up has none (false),
 * which only happens on 32-bit.
 */
static inline bool mdom_dma_extra_key(const struct mdom_dma *dma,
				      unsigned long *key)
{
	*key = dma->iova >> PAGE_SHIFT;
	return *key == dma->iova >> PAGE_SHIFT;
}

static inline u64 mdom_dma_size(const struct mdom_dma *dma)
{
	return dma->last - dma->iova + 1;	/* never 0: size <= 2^64 - 1 */
}

/**
 * struct mdom_dma_tree - the mappings of one container
 * @root: rbtree of struct mdom_dma by IOVA (they never overlap)
 * @count: number of mappings (against the dma_entry_limit)
 */
struct mdom_dma_tree {
	struct rb_root_cached root;
	unsigned int count;
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
/* Remove @dma (which must be in @tree) and decrement @tree->count. */
void mdom_dma_remove(struct mdom_dma_tree *tree, struct mdom_dma *dma);

/*
 * Apply VFIO_IOMMU_UNMAP_DMA semantics to [first, last] and move the
 * mappings to remove onto @victims (via ->list), in IOVA order, marking
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
			   bool v2, bool all, struct list_head *victims,
			   u64 *unmapped);

/* Remove every mapping on @victims (linked by ->list) from the tree. */
void mdom_dma_remove_list(struct mdom_dma_tree *tree,
			  struct list_head *victims);

/*
 * Number of PAGE_SIZE pages pinned by the mappings of @tree (recorded
 * mappings not yet pinned and device memory count 0).
 */
u64 mdom_dma_pinned_pages(struct mdom_dma_tree *tree);

#endif /* _VFIO_MDOM_DMA_H */
