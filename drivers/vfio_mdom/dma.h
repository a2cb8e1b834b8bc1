/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User DMA mappings of a container, one node per VFIO_IOMMU_MAP_DMA, kept
 * at their original granularity in an interval tree keyed by IOVA.
 *
 * Ranges are [iova, last] with an inclusive last, so a mapping that ends at
 * the top of the 64-bit IOVA space needs no overflowing "iova + size".
 *
 * Locking: every function here requires the container lock that owns the
 * tree (asserted by the callers in the container layer); the tree itself
 * has no lock of its own.
 *
 * Validation: these functions trust their ranges. Checking user input
 * (page size alignment, zero size, "iova + size - 1" wrap-around, flags,
 * UNMAP_ALL with a non-zero iova or size) is the container layer's job.
 */
#ifndef _VFIO_MDOM_DMA_H
#define _VFIO_MDOM_DMA_H

#include <linux/list.h>
#include <linux/rbtree.h>
#include <linux/types.h>

struct mdom_pages;

/**
 * struct mdom_dma - one user mapping
 * @node: in the tree (rb_root_cached), keyed by @iova
 * @subtree_last: interval tree augmentation
 * @iova: first IOVA
 * @last: last IOVA (inclusive): @iova + size - 1
 * @vaddr: user virtual address it was mapped from
 * @prot: IOMMU_READ and/or IOMMU_WRITE as asked by the user
 * @pages: the pinned pages backing the whole mapping
 * @list: free for the owner's use, e.g. by mdom_dma_unmap_collect()
 */
struct mdom_dma {
	struct rb_node node;
	u64 subtree_last;
	u64 iova;
	u64 last;
	unsigned long vaddr;
	int prot;
	struct mdom_pages *pages;
	struct list_head list;
};

static inline u64 mdom_dma_size(const struct mdom_dma *dma)
{
	return dma->last - dma->iova + 1;	/* never 0: size <= 2^64 - 1 */
}

/**
 * struct mdom_dma_tree - the mappings of one container
 * @root: interval tree of struct mdom_dma
 * @count: number of mappings (against the dma_entry_limit)
 */
struct mdom_dma_tree {
	struct rb_root_cached root;
	unsigned int count;
};

void mdom_dma_tree_init(struct mdom_dma_tree *tree);

/* First mapping overlapping [first, last], in IOVA order, or NULL. */
struct mdom_dma *mdom_dma_first(struct mdom_dma_tree *tree, u64 first,
				u64 last);
/*
 * Next mapping after @dma overlapping [first, last], or NULL. @dma must be
 * in the tree: to remove while iterating, fetch the next one first.
 */
struct mdom_dma *mdom_dma_next(struct mdom_dma *dma, u64 first, u64 last);

/*
 * Insert @dma (->iova and ->last set, ->iova <= ->last); -EEXIST (tree
 * unchanged) if it overlaps an existing one. Increments @tree->count; the
 * dma_entry_limit check is the caller's.
 */
int mdom_dma_insert(struct mdom_dma_tree *tree, struct mdom_dma *dma);
/* Remove @dma (which must be in @tree) and decrement @tree->count. */
void mdom_dma_remove(struct mdom_dma_tree *tree, struct mdom_dma *dma);

/*
 * Apply VFIO_IOMMU_UNMAP_DMA semantics to [first, last] and move the
 * mappings to remove from the tree onto @victims (via ->list), in IOVA
 * order. @v2 selects TYPE1v2 rules (a range cutting a mapping at either end
 * is -EINVAL and nothing is removed), otherwise type1 v1 rules, exactly as
 * drivers/vfio/vfio_iommu_type1.c. @all removes every mapping. Returns the
 * number of bytes the victims cover in *@unmapped.
 *
 * In detail (what vfio_dma_do_unmap() does with its tree):
 * - v2: -EINVAL, nothing removed, *@unmapped 0, if a mapping holds @first
 *   but starts before it, or holds @last but ends after it. Otherwise every
 *   mapping inside [first, last] is removed (none: success, 0 bytes).
 * - v1: if the first mapping overlapping the range starts before @first
 *   (the range begins inside it), nothing is removed and the call succeeds
 *   with 0 bytes, even if other mappings lie wholly inside the range.
 *   Otherwise every mapping that starts inside [first, last] is removed
 *   whole, including one that extends beyond @last, and its whole size is
 *   counted.
 * - @all: every mapping is removed under either rule; @first and @last are
 *   ignored (the caller has checked that the user passed iova 0, size 0).
 * The victims are removed from the tree (and @tree->count) but not freed:
 * the caller unmaps them from its domains, unpins and frees them.
 * *@unmapped saturates at U64_MAX (only mappings covering all 2^64 bytes of
 * IOVA space could reach it).
 */
int mdom_dma_unmap_collect(struct mdom_dma_tree *tree, u64 first, u64 last,
			   bool v2, bool all, struct list_head *victims,
			   u64 *unmapped);

/*
 * Number of PAGE_SIZE pages pinned by every mapping of @tree that has its
 * pages (->pages not NULL). Each mapping charged exactly this many pages
 * to its mm's locked_vm, so this is also the container's locked_vm charge.
 */
u64 mdom_dma_pinned_pages(struct mdom_dma_tree *tree);

#endif /* _VFIO_MDOM_DMA_H */
