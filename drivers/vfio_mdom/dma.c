// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom mapping engine: the tree of user DMA mappings and the
 * VFIO_IOMMU_UNMAP_DMA range rules applied to it.
 *
 * Every range is [iova, last] with an inclusive last, so nothing here ever
 * computes "iova + size" and a mapping may end at U64_MAX.
 *
 * Argument validation (page size alignment, zero size, wrap-around, unknown
 * flags, UNMAP_ALL with a non-zero iova or size) belongs to the container
 * layer; these functions trust their [first, last] ranges.
 */
#include <linux/interval_tree_generic.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/overflow.h>
#include <linux/rbtree.h>
#include <kunit/visibility.h>

#include "dma.h"
#include "pages.h"

#define MDOM_DMA_START(dma)	((dma)->iova)
#define MDOM_DMA_LAST(dma)	((dma)->last)

INTERVAL_TREE_DEFINE(struct mdom_dma, node, u64, subtree_last,
		     MDOM_DMA_START, MDOM_DMA_LAST, static, mdom_dma_it)

void mdom_dma_tree_init(struct mdom_dma_tree *tree)
{
	tree->root = RB_ROOT_CACHED;
	tree->count = 0;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_dma_tree_init);

struct mdom_dma *mdom_dma_first(struct mdom_dma_tree *tree, u64 first,
				u64 last)
{
	return mdom_dma_it_iter_first(&tree->root, first, last);
}
EXPORT_SYMBOL_IF_KUNIT(mdom_dma_first);

struct mdom_dma *mdom_dma_next(struct mdom_dma *dma, u64 first, u64 last)
{
	return mdom_dma_it_iter_next(dma, first, last);
}
EXPORT_SYMBOL_IF_KUNIT(mdom_dma_next);

int mdom_dma_insert(struct mdom_dma_tree *tree, struct mdom_dma *dma)
{
	if (WARN_ON_ONCE(dma->last < dma->iova))
		return -EINVAL;
	if (mdom_dma_it_iter_first(&tree->root, dma->iova, dma->last))
		return -EEXIST;
	mdom_dma_it_insert(dma, &tree->root);
	tree->count++;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_dma_insert);

void mdom_dma_remove(struct mdom_dma_tree *tree, struct mdom_dma *dma)
{
	mdom_dma_it_remove(dma, &tree->root);
	RB_CLEAR_NODE(&dma->node);
	tree->count--;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_dma_remove);

/* First mapping overlapping [first, last] that is not on its way out. */
static struct mdom_dma *mdom_dma_first_present(struct mdom_dma_tree *tree,
					       u64 first, u64 last)
{
	struct mdom_dma *dma;

	for (dma = mdom_dma_it_iter_first(&tree->root, first, last);
	     dma && dma->state == MDOM_DMA_UNMAPPING;
	     dma = mdom_dma_it_iter_next(dma, first, last))
		;
	return dma;
}

/* The present mapping holding @iova, if any. */
static struct mdom_dma *mdom_dma_holding(struct mdom_dma_tree *tree, u64 iova)
{
	return mdom_dma_first_present(tree, iova, iova);
}

/*
 * The rules, as vfio_iommu_type1 applies them to its tree:
 *
 * v2 (TYPE1v2): the range must not cut a mapping. A mapping holding @first
 * must start at @first and a mapping holding @last must end at @last,
 * otherwise -EINVAL and nothing is removed. Then every mapping inside goes.
 *
 * v1 (TYPE1): mappings are removed whole. Walking the mappings that overlap
 * the range in IOVA order, each one that starts inside the range is removed,
 * even if it extends beyond @last; the walk stops at the first one that
 * starts before @first. Only the first overlapping mapping can start before
 * @first, so a range that begins in the middle of a mapping removes nothing
 * at all (not even mappings further up that lie wholly inside the range) and
 * succeeds with 0 bytes unmapped.
 *
 * @all: every mapping goes, under either rule; @first and @last are ignored.
 *
 * Mappings being unmapped by someone else are gone already; a mapping being
 * mapped is not decided on: -EAGAIN.
 *
 * The byte count saturates at U64_MAX: only mappings covering the whole
 * 64-bit space (2^64 bytes) could overflow it, which type1 would report as 0.
 */
int mdom_dma_unmap_collect(struct mdom_dma_tree *tree, u64 first, u64 last,
			   bool v2, bool all, struct list_head *victims,
			   u64 *unmapped)
{
	struct mdom_dma *dma, *tail;
	u64 total = 0;

	*unmapped = 0;
	if (all) {
		first = 0;
		last = U64_MAX;
	}

	for (dma = mdom_dma_it_iter_first(&tree->root, first, last); dma;
	     dma = mdom_dma_it_iter_next(dma, first, last))
		if (dma->state == MDOM_DMA_MAPPING)
			return -EAGAIN;

	dma = mdom_dma_first_present(tree, first, last);
	if (!dma)
		return 0;

	if (dma->iova < first) {
		/* The range starts inside @dma. */
		if (v2 && !all)
			return -EINVAL;
		return 0;
	}

	if (v2 && !all) {
		tail = mdom_dma_holding(tree, last);
		if (tail && tail->last != last)
			return -EINVAL;
	}

	for (; dma; dma = mdom_dma_it_iter_next(dma, first, last)) {
		if (dma->state == MDOM_DMA_UNMAPPING)
			continue;
		dma->state = MDOM_DMA_UNMAPPING;
		list_add_tail(&dma->list, victims);
		if (check_add_overflow(total, mdom_dma_size(dma), &total))
			total = U64_MAX;
	}
	*unmapped = total;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_dma_unmap_collect);

void mdom_dma_remove_list(struct mdom_dma_tree *tree,
			  struct list_head *victims)
{
	struct mdom_dma *dma;

	list_for_each_entry(dma, victims, list)
		mdom_dma_remove(tree, dma);
}
EXPORT_SYMBOL_IF_KUNIT(mdom_dma_remove_list);

u64 mdom_dma_pinned_pages(struct mdom_dma_tree *tree)
{
	struct rb_node *node;
	u64 total = 0;

	for (node = rb_first_cached(&tree->root); node; node = rb_next(node)) {
		struct mdom_dma *dma = rb_entry(node, struct mdom_dma, node);

		total += mdom_pages_npinned(&dma->pages);
	}
	return total;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_dma_pinned_pages);
