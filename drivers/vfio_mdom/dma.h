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
/* Next mapping after @dma overlapping [first, last], or NULL. */
struct mdom_dma *mdom_dma_next(struct mdom_dma *dma, u64 first, u64 last);

/* Insert @dma; -EEXIST (tree unchanged) if it overlaps an existing one. */
int mdom_dma_insert(struct mdom_dma_tree *tree, struct mdom_dma *dma);
void mdom_dma_remove(struct mdom_dma_tree *tree, struct mdom_dma *dma);

/*
 * Apply VFIO_IOMMU_UNMAP_DMA semantics to [first, last] and move the
 * mappings to remove from the tree onto @victims (via ->list), in IOVA
 * order. @v2 selects TYPE1v2 rules (a range cutting a mapping at either end
 * is -EINVAL and nothing is removed), otherwise type1 v1 rules, exactly as
 * drivers/vfio/vfio_iommu_type1.c. @all removes every mapping. Returns the
 * number of bytes the victims cover in *@unmapped.
 */
int mdom_dma_unmap_collect(struct mdom_dma_tree *tree, u64 first, u64 last,
			   bool v2, bool all, struct list_head *victims,
			   u64 *unmapped);

#endif /* _VFIO_MDOM_DMA_H */
