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
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/overflow.h>
#include <linux/rbtree.h>
#include <linux/slab.h>

#include "dma.h"
#include "pages.h"

/*
 * The mappings never overlap, so sorted by first IOVA they are sorted by
 * last IOVA too: a plain rbtree finds the first one overlapping a range
 * (the leftmost one ending at or after its start) without the interval
 * tree's per-node subtree bound, which costs memory and work on every
 * insert and erase.
 *
 * Mappings often come and go at either end of the IOVA space in use: a
 * VMM maps guest RAM upwards, DPDK and SPDK register their memory
 * segments upwards, virtio-mem plugs blocks upwards and unplugs them from
 * the top, Linux's IOVA allocator in a vIOMMU guest hands out addresses
 * downwards. The tree knows its first and last mappings, so an insert or
 * a lookup at either end takes no descent, however many mappings there
 * are; anywhere else it costs the descent it always did.
 */
static struct mdom_dma *mdom_dma_entry(struct rb_node *node)
{
	return node ? rb_entry(node, struct mdom_dma, node) : NULL;
}

/*
 * The leftmost mapping whose last IOVA is @first or above, or NULL. The
 * descent compares first IOVAs only (a mapping's last is computed from its
 * size, which costs more than the comparison): it stops at the mapping
 * starting at @first, as an unmap of a whole mapping finds it, and
 * otherwise ends with @first's floor (the last mapping starting below it)
 * and ceiling (the first starting above it). The floor is the answer if it
 * holds @first, the ceiling if not: mappings never overlap.
 */
static struct mdom_dma *mdom_dma_lower(struct mdom_dma_tree *tree, u64 first)
{
	struct rb_node *node = tree->root.rb_root.rb_node;
	struct mdom_dma *floor = NULL, *ceil = NULL;

	/* At or below the first mapping's start: the first mapping. */
	if (tree->root.rb_leftmost &&
	    first <= mdom_dma_entry(tree->root.rb_leftmost)->iova)
		return mdom_dma_entry(tree->root.rb_leftmost);
	/* Past the last mapping: none. */
	if (tree->last && first > mdom_dma_last(tree->last))
		return NULL;
	while (node) {
		struct mdom_dma *dma = mdom_dma_entry(node);

		if (first < dma->iova) {
			ceil = dma;
			node = node->rb_left;
		} else if (first > dma->iova) {
			floor = dma;
			node = node->rb_right;
		} else {
			return dma;
		}
	}
	return floor && mdom_dma_last(floor) >= first ? floor : ceil;
}

static struct kmem_cache *mdom_dma_cache;

int mdom_dma_cache_init(void)
{
	BUILD_BUG_ON(IS_ENABLED(CONFIG_64BIT) &&
		     sizeof(struct mdom_dma) > MDOM_DMA_MAX_SIZE);
	mdom_dma_cache = KMEM_CACHE(mdom_dma, SLAB_ACCOUNT);
	return mdom_dma_cache ? 0 : -ENOMEM;
}

void mdom_dma_cache_exit(void)
{
	kmem_cache_destroy(mdom_dma_cache);
}

/*
 * A zeroed mapping. Zeroed here, where the compiler knows the size and
 * inlines the stores, not by the allocator's call to memset().
 */
struct mdom_dma *mdom_dma_alloc(void)
{
	struct mdom_dma *dma = kmem_cache_alloc(mdom_dma_cache, MDOM_GFP_USER);

	if (dma)
		memset(dma, 0, sizeof(*dma));
	return dma;
}

/* Its extra state is gone already (mdom_dma_extra_free()). */
void mdom_dma_free(struct mdom_dma *dma)
{
	kmem_cache_free(mdom_dma_cache, dma);
}

void mdom_dma_tree_init(struct mdom_dma_tree *tree)
{
	tree->root = RB_ROOT_CACHED;
	tree->last = NULL;
	tree->count = 0;
	tree->seq = 0;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_dma_tree_init);

struct mdom_dma *mdom_dma_first(struct mdom_dma_tree *tree, u64 first,
				u64 last)
{
	struct mdom_dma *dma = mdom_dma_lower(tree, first);

	return dma && dma->iova <= last ? dma : NULL;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_dma_first);

struct mdom_dma *mdom_dma_next(struct mdom_dma *dma, u64 first, u64 last)
{
	dma = mdom_dma_entry(rb_next(&dma->node));
	return dma && dma->iova <= last ? dma : NULL;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_dma_next);

int mdom_dma_find_slot(struct mdom_dma_tree *tree, u64 first, u64 last,
		       struct mdom_dma_slot *slot)
{
	struct rb_node **link = &tree->root.rb_root.rb_node, *parent = NULL;
	struct mdom_dma *prev = NULL, *next = NULL;

	/* After the last mapping: its right child, which it has not. */
	if (tree->last && first > mdom_dma_last(tree->last)) {
		parent = &tree->last->node;
		link = &parent->rb_right;
		prev = tree->last;
		goto found;
	}
	/* Before the first one: its left child, likewise. */
	if (tree->root.rb_leftmost &&
	    last < mdom_dma_entry(tree->root.rb_leftmost)->iova) {
		parent = tree->root.rb_leftmost;
		link = &parent->rb_left;
		next = mdom_dma_entry(parent);
		goto found;
	}
	/*
	 * One descent by first IOVA finds the place and the mappings either
	 * side of it: one of those two is in the way if any is.
	 */
	while (*link) {
		struct mdom_dma *cur = mdom_dma_entry(*link);

		parent = *link;
		if (first < cur->iova) {
			next = cur;
			link = &parent->rb_left;
		} else if (first > cur->iova) {
			prev = cur;
			link = &parent->rb_right;
		} else {
			return -EEXIST;
		}
	}
	if ((prev && mdom_dma_last(prev) >= first) ||
	    (next && next->iova <= last))
		return -EEXIST;
found:
	slot->parent = parent;
	slot->link = link;
	/* Nothing before it (after it): it never went right (left). */
	slot->leftmost = !prev;
	slot->rightmost = !next;
	slot->seq = tree->seq;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_dma_find_slot);

int mdom_dma_insert_slot(struct mdom_dma_tree *tree, struct mdom_dma *dma,
			 struct mdom_dma_slot *slot)
{
	u64 last = mdom_dma_last(dma);
	int ret;

	if (WARN_ON_ONCE(!dma->pages.npages || last < dma->iova))
		return -EINVAL;
	/* The tree changed since: @slot's nodes may be elsewhere, or gone. */
	if (slot->seq != tree->seq) {
		ret = mdom_dma_find_slot(tree, dma->iova, last, slot);
		if (ret)
			return ret;
	}
	rb_link_node(&dma->node, slot->parent, slot->link);
	rb_insert_color_cached(&dma->node, &tree->root, slot->leftmost);
	if (slot->rightmost)
		tree->last = dma;
	tree->count++;
	tree->seq++;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_dma_insert_slot);

int mdom_dma_insert(struct mdom_dma_tree *tree, struct mdom_dma *dma)
{
	/* Never the tree's: mdom_dma_insert_slot() looks for the place. */
	struct mdom_dma_slot slot = { .seq = tree->seq - 1 };

	return mdom_dma_insert_slot(tree, dma, &slot);
}
EXPORT_SYMBOL_IF_KUNIT(mdom_dma_insert);

void mdom_dma_remove(struct mdom_dma_tree *tree, struct mdom_dma *dma)
{
	if (tree->last == dma)
		tree->last = mdom_dma_entry(rb_prev(&dma->node));
	rb_erase_cached(&dma->node, &tree->root);
	RB_CLEAR_NODE(&dma->node);
	tree->count--;
	tree->seq++;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_dma_remove);

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
/* Give the victims chosen since @mark back to the tree, as they were. */
static void mdom_dma_unchoose(struct mdom_dma_list *victims,
			      struct mdom_dma *mark)
{
	struct mdom_dma *dma;

	for (dma = mdom_dma_list_cut(victims, mark); dma; dma = dma->next)
		dma->state = MDOM_DMA_LIVE;
}

int mdom_dma_unmap_collect(struct mdom_dma_tree *tree, u64 first, u64 last,
			   bool v2, bool all, struct mdom_dma_list *victims,
			   u64 *unmapped)
{
	struct mdom_dma *mark = mdom_dma_list_mark(victims);
	struct mdom_dma *dma, *tail = NULL;
	bool started = false;
	u64 total = 0;

	*unmapped = 0;
	if (all) {
		first = 0;
		last = U64_MAX;
	}

	/* One walk: decide, and choose on the way; undo if the rules say no. */
	for (dma = mdom_dma_first(tree, first, last); dma;
	     dma = mdom_dma_next(dma, first, last)) {
		if (dma->state == MDOM_DMA_UNMAPPING)
			continue;
		if (dma->state == MDOM_DMA_MAPPING)
			goto out_undo_again;
		if (!started && dma->iova < first) {
			/* The range starts inside @dma. */
			if (v2 && !all)
				return -EINVAL;
			return 0;
		}
		started = true;
		tail = dma;
		dma->state = MDOM_DMA_UNMAPPING;
		mdom_dma_list_append(victims, dma);
		if (check_add_overflow(total, mdom_dma_size(dma), &total))
			total = U64_MAX;
		/* The next one starts past @last: no need to look it up. */
		if (mdom_dma_last(dma) >= last)
			break;
	}
	/* v2: the last one must not go on past the range. */
	if (v2 && !all && tail && mdom_dma_last(tail) > last) {
		mdom_dma_unchoose(victims, mark);
		return -EINVAL;
	}
	*unmapped = total;
	return 0;

out_undo_again:
	mdom_dma_unchoose(victims, mark);
	return -EAGAIN;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_dma_unmap_collect);

void mdom_dma_remove_list(struct mdom_dma_tree *tree,
			  struct mdom_dma_list *victims)
{
	struct mdom_dma *dma;

	mdom_dma_list_for_each(dma, victims)
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
