// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the mapping tree: insertion and overlap, iteration, and
 * the VFIO_IOMMU_UNMAP_DMA rules (v1, v2, UNMAP_ALL) for every way a range
 * can meet the mappings, up to the top of the 64-bit IOVA space.
 */
#include <kunit/test.h>
#include <linux/limits.h>
#include <linux/prandom.h>
#include <linux/sizes.h>

#include "../dma.h"
#include "../pages.h"

static struct mdom_dma *dma_new(struct kunit *test, u64 iova, u64 last)
{
	struct mdom_dma *dma = kunit_kzalloc(test, sizeof(*dma), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, dma);
	/* A mapping is whole pages, no more than its page count holds. */
	KUNIT_ASSERT_TRUE(test, PAGE_ALIGNED(last - iova + 1));
	KUNIT_ASSERT_LT(test, (last - iova) >> PAGE_SHIFT,
			BIT_ULL(MDOM_NPAGES_BITS));
	dma->iova = iova;
	dma->pages.npages = ((last - iova) >> PAGE_SHIFT) + 1;
	return dma;
}

static int dma_try_insert(struct kunit *test, struct mdom_dma_tree *tree,
			  u64 iova, u64 last)
{
	return mdom_dma_insert(tree, dma_new(test, iova, last));
}

static struct mdom_dma *dma_insert(struct kunit *test,
				   struct mdom_dma_tree *tree, u64 iova,
				   u64 last)
{
	struct mdom_dma *dma = dma_new(test, iova, last);

	KUNIT_ASSERT_EQ(test, mdom_dma_insert(tree, dma), 0);
	return dma;
}

struct dma_range {
	u64 iova;
	u64 last;
};

/*
 * mdom_dma_unmap_collect() as the container uses it: the victims stay in
 * the tree, UNMAPPING, until they are gone from the domains and removed.
 */
static int collect(struct kunit *test, struct mdom_dma_tree *tree, u64 first,
		   u64 last, bool v2, bool all, struct mdom_dma_list *victims,
		   u64 *unmapped)
{
	unsigned int count = tree->count;
	struct mdom_dma *dma;
	int ret;

	ret = mdom_dma_unmap_collect(tree, first, last, v2, all, victims,
				     unmapped);
	KUNIT_EXPECT_EQ(test, tree->count, count);
	mdom_dma_list_for_each(dma, victims) {
		KUNIT_EXPECT_EQ(test, (unsigned int)dma->state,
				MDOM_DMA_UNMAPPING);
		KUNIT_EXPECT_FALSE(test, RB_EMPTY_NODE(&dma->node));
	}
	mdom_dma_remove_list(tree, victims);
	return ret;
}

/* The tree's first and last mappings are the ones it says. */
static void expect_ends(struct kunit *test, struct mdom_dma_tree *tree)
{
	struct rb_node *last = rb_last(&tree->root.rb_root);

	KUNIT_EXPECT_PTR_EQ(test, rb_first_cached(&tree->root),
			    rb_first(&tree->root.rb_root));
	KUNIT_EXPECT_PTR_EQ(test, tree->last,
			    last ? rb_entry(last, struct mdom_dma, node) :
				   NULL);
}

/* The tree holds exactly @n mappings, @expect, in IOVA order. */
static void expect_tree(struct kunit *test, struct mdom_dma_tree *tree,
			const struct dma_range *expect, unsigned int n)
{
	struct mdom_dma *dma;
	unsigned int i = 0;

	KUNIT_EXPECT_EQ(test, tree->count, n);
	expect_ends(test, tree);
	for (dma = mdom_dma_first(tree, 0, U64_MAX); dma;
	     dma = mdom_dma_next(dma, 0, U64_MAX), i++) {
		if (i >= n) {
			KUNIT_FAIL(test, "extra mapping [%#llx, %#llx]",
				   dma->iova, mdom_dma_last(dma));
			return;
		}
		KUNIT_EXPECT_EQ(test, dma->iova, expect[i].iova);
		KUNIT_EXPECT_EQ(test, mdom_dma_last(dma), expect[i].last);
	}
	KUNIT_EXPECT_EQ(test, i, n);
}

/* @list holds exactly @n mappings, @expect, in order. */
static void expect_list(struct kunit *test, struct mdom_dma_list *list,
			const struct dma_range *expect, unsigned int n)
{
	struct mdom_dma *dma;
	unsigned int i = 0;

	mdom_dma_list_for_each(dma, list) {
		if (i >= n) {
			KUNIT_FAIL(test, "extra victim [%#llx, %#llx]",
				   dma->iova, mdom_dma_last(dma));
			return;
		}
		KUNIT_EXPECT_EQ(test, dma->iova, expect[i].iova);
		KUNIT_EXPECT_EQ(test, mdom_dma_last(dma), expect[i].last);
		KUNIT_EXPECT_TRUE(test, RB_EMPTY_NODE(&dma->node));
		i++;
	}
	KUNIT_EXPECT_EQ(test, i, n);
}

static void mdom_dma_insert_empty(struct kunit *test)
{
	static const struct dma_range one[] = { { SZ_64K, SZ_128K - 1 } };
	struct mdom_dma_tree tree;

	mdom_dma_tree_init(&tree);
	KUNIT_EXPECT_EQ(test, tree.count, 0);
	KUNIT_EXPECT_NULL(test, mdom_dma_first(&tree, 0, U64_MAX));

	dma_insert(test, &tree, SZ_64K, SZ_128K - 1);
	expect_tree(test, &tree, one, ARRAY_SIZE(one));
	KUNIT_EXPECT_EQ(test, mdom_dma_size(mdom_dma_first(&tree, 0, U64_MAX)),
			SZ_64K);
}

/* Every way a new mapping can overlap an existing one is -EEXIST. */
static void mdom_dma_insert_overlap(struct kunit *test)
{
	static const struct dma_range overlaps[] = {
		{ 0x10000, 0x1ffff },		/* the same range */
		{ 0x14000, 0x17fff },		/* inside */
		{ 0x08000, 0x27fff },		/* covering */
		{ 0x08000, 0x17fff },		/* cutting its start */
		{ 0x18000, 0x27fff },		/* cutting its end */
		{ 0x10000, 0x10fff },		/* its first page */
		{ 0x1f000, 0x1ffff },		/* its last page */
		{ 0x0f000, 0x10fff },		/* one page each side of start */
		{ 0x1f000, 0x20fff },		/* one page each side of end */
		{ 0x10000, 0x2ffff },		/* same start, longer */
		{ 0x00000, 0x1ffff },		/* same end, longer */
		{ 0, BIT_ULL(59) - 1 },		/* a huge one from 0 */
	};
	static const struct dma_range one[] = { { 0x10000, 0x1ffff } };
	struct mdom_dma_tree tree;
	unsigned int i;

	mdom_dma_tree_init(&tree);
	dma_insert(test, &tree, 0x10000, 0x1ffff);

	for (i = 0; i < ARRAY_SIZE(overlaps); i++) {
		KUNIT_EXPECT_EQ_MSG(test, dma_try_insert(test, &tree,
							 overlaps[i].iova,
							 overlaps[i].last),
				    -EEXIST, "overlap %u [%#llx, %#llx]", i,
				    overlaps[i].iova, overlaps[i].last);
		expect_tree(test, &tree, one, ARRAY_SIZE(one));
	}
}

/* Adjacent mappings do not overlap, on either side, nor in a gap. */
static void mdom_dma_insert_adjacent(struct kunit *test)
{
	static const struct dma_range all[] = {
		{ 0x00000, 0x0ffff },
		{ 0x10000, 0x1ffff },
		{ 0x20000, 0x20fff },
		{ 0x21000, 0x2ffff },
		{ 0x30000, 0x30fff },
	};
	struct mdom_dma_tree tree;

	mdom_dma_tree_init(&tree);
	dma_insert(test, &tree, 0x10000, 0x1ffff);
	dma_insert(test, &tree, 0x20000, 0x20fff);
	dma_insert(test, &tree, 0x00000, 0x0ffff);
	dma_insert(test, &tree, 0x30000, 0x30fff);
	/* Exactly fills the gap between two mappings. */
	dma_insert(test, &tree, 0x21000, 0x2ffff);
	expect_tree(test, &tree, all, ARRAY_SIZE(all));

	/* A range overlapping two of them is refused too. */
	KUNIT_EXPECT_EQ(test, dma_try_insert(test, &tree, 0x1f000, 0x20fff),
			-EEXIST);
	expect_tree(test, &tree, all, ARRAY_SIZE(all));
}

static struct mdom_dma *dma_new_at_slot(struct kunit *test,
					struct mdom_dma_tree *tree, u64 iova,
					u64 last, struct mdom_dma_slot *slot)
{
	KUNIT_ASSERT_EQ(test, mdom_dma_find_slot(tree, iova, last, slot), 0);
	return dma_new(test, iova, last);
}

/*
 * A slot found before the tree changed is looked for again: the mapping
 * goes where it belongs, or is refused if one came in its way, and the
 * first mapping the tree caches is right.
 */
static void mdom_dma_insert_stale_slot(struct kunit *test)
{
	static const struct dma_range all[] = {
		{ 0x00000, 0x00fff },
		{ 0x01000, 0x01fff },
		{ 0x10000, 0x1ffff },
		{ 0x20000, 0x2ffff },
		{ 0x30000, 0x3ffff },
		{ 0x48000, 0x48fff },
		{ 0x60000, 0x60fff },
	};
	struct mdom_dma_tree tree;
	struct mdom_dma_slot slot;
	struct mdom_dma *dma, *parent;

	mdom_dma_tree_init(&tree);
	dma_insert(test, &tree, 0x10000, 0x1ffff);
	dma_insert(test, &tree, 0x30000, 0x3ffff);
	KUNIT_EXPECT_EQ(test, mdom_dma_find_slot(&tree, 0x3f000, 0x40fff,
						 &slot), -EEXIST);

	/* Unchanged: the slot is used as it is. */
	dma = dma_new_at_slot(test, &tree, 0x20000, 0x2ffff, &slot);
	KUNIT_EXPECT_EQ(test, mdom_dma_insert_slot(&tree, dma, &slot), 0);

	/* A mapping came in the way meanwhile. */
	dma = dma_new_at_slot(test, &tree, 0x40000, 0x4ffff, &slot);
	dma_insert(test, &tree, 0x48000, 0x48fff);
	KUNIT_EXPECT_EQ(test, mdom_dma_insert_slot(&tree, dma, &slot),
			-EEXIST);

	/* Its parent left meanwhile. */
	dma = dma_new_at_slot(test, &tree, 0x60000, 0x60fff, &slot);
	KUNIT_ASSERT_NOT_NULL(test, slot.parent);
	parent = rb_entry(slot.parent, struct mdom_dma, node);
	mdom_dma_remove(&tree, parent);
	KUNIT_EXPECT_EQ(test, mdom_dma_insert_slot(&tree, dma, &slot), 0);
	dma_insert(test, &tree, parent->iova, mdom_dma_last(parent));

	/* Found as the first mapping, no longer the first when inserted. */
	dma = dma_new_at_slot(test, &tree, 0x00000, 0x00fff, &slot);
	KUNIT_EXPECT_TRUE(test, slot.leftmost);
	dma_insert(test, &tree, 0x01000, 0x01fff);
	KUNIT_EXPECT_EQ(test, mdom_dma_insert_slot(&tree, dma, &slot), 0);
	KUNIT_EXPECT_PTR_EQ(test, rb_first_cached(&tree.root), &dma->node);

	expect_tree(test, &tree, all, ARRAY_SIZE(all));
}

static void mdom_dma_iterate(struct kunit *test)
{
	static const u64 starts[] = { 7, 3, 9, 1, 5, 0, 8, 2 };
	static const u64 sorted[] = { 0, 1, 2, 3, 5, 7, 8, 9 };
	struct mdom_dma_tree tree;
	struct mdom_dma *dma, *next;
	unsigned int i;

	mdom_dma_tree_init(&tree);
	/* Mappings of 4 KiB every 64 KiB, inserted out of order. */
	for (i = 0; i < ARRAY_SIZE(starts); i++)
		dma_insert(test, &tree, starts[i] * SZ_64K,
			   starts[i] * SZ_64K + SZ_4K - 1);
	KUNIT_EXPECT_EQ(test, tree.count, ARRAY_SIZE(starts));
	/* The insert kept the cached leftmost one right. */
	KUNIT_EXPECT_PTR_EQ(test, rb_first_cached(&tree.root),
			    rb_first(&tree.root.rb_root));

	/* Whole space: every mapping, in IOVA order. */
	i = 0;
	for (dma = mdom_dma_first(&tree, 0, U64_MAX); dma;
	     dma = mdom_dma_next(dma, 0, U64_MAX)) {
		KUNIT_ASSERT_LT(test, i, ARRAY_SIZE(sorted));
		KUNIT_EXPECT_EQ(test, dma->iova, sorted[i] * SZ_64K);
		KUNIT_EXPECT_EQ(test, mdom_dma_last(dma), sorted[i] * SZ_64K + SZ_4K - 1);
		i++;
	}
	KUNIT_EXPECT_EQ(test, i, ARRAY_SIZE(sorted));

	/* A range cutting mappings at both ends still returns them. */
	dma = mdom_dma_first(&tree, 2 * SZ_64K + SZ_2K, 5 * SZ_64K + SZ_2K);
	KUNIT_ASSERT_NOT_NULL(test, dma);
	KUNIT_EXPECT_EQ(test, dma->iova, 2 * SZ_64K);
	dma = mdom_dma_next(dma, 2 * SZ_64K + SZ_2K, 5 * SZ_64K + SZ_2K);
	KUNIT_ASSERT_NOT_NULL(test, dma);
	KUNIT_EXPECT_EQ(test, dma->iova, 3 * SZ_64K);
	dma = mdom_dma_next(dma, 2 * SZ_64K + SZ_2K, 5 * SZ_64K + SZ_2K);
	KUNIT_ASSERT_NOT_NULL(test, dma);
	KUNIT_EXPECT_EQ(test, dma->iova, 5 * SZ_64K);
	KUNIT_EXPECT_NULL(test, mdom_dma_next(dma, 2 * SZ_64K + SZ_2K,
					      5 * SZ_64K + SZ_2K));

	/* Gaps, before and after everything. */
	KUNIT_EXPECT_NULL(test, mdom_dma_first(&tree, 4 * SZ_64K,
					       5 * SZ_64K - 1));
	KUNIT_EXPECT_NULL(test, mdom_dma_first(&tree, SZ_4K, SZ_64K - 1));
	KUNIT_EXPECT_NULL(test, mdom_dma_first(&tree, 9 * SZ_64K + SZ_4K,
					       U64_MAX));
	/* Single addresses: the last byte of a mapping, the one after. */
	dma = mdom_dma_first(&tree, 7 * SZ_64K + SZ_4K - 1,
			     7 * SZ_64K + SZ_4K - 1);
	KUNIT_ASSERT_NOT_NULL(test, dma);
	KUNIT_EXPECT_EQ(test, dma->iova, 7 * SZ_64K);
	KUNIT_EXPECT_NULL(test, mdom_dma_first(&tree, 7 * SZ_64K + SZ_4K,
					       7 * SZ_64K + SZ_4K));

	/* Removing while iterating, fetching the next one first. */
	for (dma = mdom_dma_first(&tree, SZ_64K, 8 * SZ_64K); dma; dma = next) {
		next = mdom_dma_next(dma, SZ_64K, 8 * SZ_64K);
		mdom_dma_remove(&tree, dma);
	}
	KUNIT_EXPECT_EQ(test, tree.count, 2);
	dma = mdom_dma_first(&tree, 0, U64_MAX);
	KUNIT_ASSERT_NOT_NULL(test, dma);
	KUNIT_EXPECT_EQ(test, dma->iova, 0);
	dma = mdom_dma_next(dma, 0, U64_MAX);
	KUNIT_ASSERT_NOT_NULL(test, dma);
	KUNIT_EXPECT_EQ(test, dma->iova, 9 * SZ_64K);
	KUNIT_EXPECT_NULL(test, mdom_dma_next(dma, 0, U64_MAX));
}

static void mdom_dma_remove_reinsert(struct kunit *test)
{
	static const struct dma_range two[] = {
		{ 0x10000, 0x1ffff }, { 0x30000, 0x3ffff },
	};
	struct mdom_dma_tree tree;
	struct mdom_dma *mid;

	mdom_dma_tree_init(&tree);
	dma_insert(test, &tree, 0x10000, 0x1ffff);
	mid = dma_insert(test, &tree, 0x20000, 0x2ffff);
	dma_insert(test, &tree, 0x30000, 0x3ffff);
	mdom_dma_remove(&tree, mid);
	expect_tree(test, &tree, two, ARRAY_SIZE(two));
	/* The freed range can be mapped again, differently. */
	dma_insert(test, &tree, 0x20000, 0x27fff);
	KUNIT_EXPECT_EQ(test, tree.count, 3);
	KUNIT_EXPECT_EQ(test, dma_try_insert(test, &tree, 0x27000, 0x28fff),
			-EEXIST);
	dma_insert(test, &tree, 0x28000, 0x2ffff);
	KUNIT_EXPECT_EQ(test, tree.count, 4);
}

/*
 * Unmap shapes, against three mappings: M0 and M1 adjacent, a gap, M2.
 *
 *   0x10000   0x20000   0x30000   0x40000   0x50000
 *   |---M0----|---M1----|  gap    |---M2----|
 *
 * @keep_v1/@keep_v2 are bitmaps of the mappings left after the unmap.
 */
struct unmap_shape {
	const char *name;
	u64 first;
	u64 last;
	int ret_v1;
	u64 unmapped_v1;
	unsigned int keep_v1;
	int ret_v2;
	u64 unmapped_v2;
	unsigned int keep_v2;
};

static const struct dma_range shape_maps[] = {
	{ 0x10000, 0x1ffff }, { 0x20000, 0x2ffff }, { 0x40000, 0x4ffff },
};

#define ALL3	0x7
#define KEEP(m)	(ALL3 & ~(m))

static const struct unmap_shape unmap_shapes[] = {
	{ "before everything", 0x0, 0xffff,
	  0, 0, ALL3, 0, 0, ALL3 },
	{ "after everything", 0x50000, 0x5ffff,
	  0, 0, ALL3, 0, 0, ALL3 },
	{ "after everything to the top", 0x50000, U64_MAX,
	  0, 0, ALL3, 0, 0, ALL3 },
	{ "in the gap", 0x30000, 0x3ffff,
	  0, 0, ALL3, 0, 0, ALL3 },
	{ "exactly one", 0x40000, 0x4ffff,
	  0, 0x10000, KEEP(4), 0, 0x10000, KEEP(4) },
	{ "covering one with gaps both sides", 0x30000, 0x5ffff,
	  0, 0x10000, KEEP(4), 0, 0x10000, KEEP(4) },
	{ "from before it to its last byte", 0x8000, 0x1ffff,
	  0, 0x10000, KEEP(1), 0, 0x10000, KEEP(1) },
	{ "inside one (cutting both ends)", 0x41000, 0x41fff,
	  0, 0, ALL3, -EINVAL, 0, ALL3 },
	{ "cutting its start", 0x38000, 0x47fff,
	  0, 0x10000, KEEP(4), -EINVAL, 0, ALL3 },
	{ "cutting its end", 0x48000, 0x57fff,
	  0, 0, ALL3, -EINVAL, 0, ALL3 },
	{ "its start to its middle", 0x40000, 0x40fff,
	  0, 0x10000, KEEP(4), -EINVAL, 0, ALL3 },
	{ "its middle to its end", 0x41000, 0x4ffff,
	  0, 0, ALL3, -EINVAL, 0, ALL3 },
	{ "its last page", 0x1f000, 0x1ffff,
	  0, 0, ALL3, -EINVAL, 0, ALL3 },
	{ "two adjacent exactly", 0x10000, 0x2ffff,
	  0, 0x20000, KEEP(3), 0, 0x20000, KEEP(3) },
	{ "across the adjacent boundary", 0x18000, 0x27fff,
	  0, 0, ALL3, -EINVAL, 0, ALL3 },
	{ "one, then into the gap", 0x20000, 0x37fff,
	  0, 0x10000, KEEP(2), 0, 0x10000, KEEP(2) },
	{ "spanning all exactly", 0x10000, 0x4ffff,
	  0, 0x30000, 0, 0, 0x30000, 0 },
	{ "spanning all, cutting the first", 0x18000, 0x4ffff,
	  0, 0, ALL3, -EINVAL, 0, ALL3 },
	{ "spanning all, cutting the last", 0x10000, 0x47fff,
	  0, 0x30000, 0, -EINVAL, 0, ALL3 },
	{ "spanning all, cutting both", 0x18000, 0x47fff,
	  0, 0, ALL3, -EINVAL, 0, ALL3 },
	{ "the second and third, cutting the third", 0x20000, 0x41fff,
	  0, 0x20000, KEEP(6), -EINVAL, 0, ALL3 },
	{ "the whole 64-bit space", 0, U64_MAX,
	  0, 0x30000, 0, 0, 0x30000, 0 },
	{ "from the middle of the first to the top", 0x1f000, U64_MAX,
	  0, 0, ALL3, -EINVAL, 0, ALL3 },
};

static void unmap_shape_desc(const struct unmap_shape *shape, char *desc)
{
	strscpy(desc, shape->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(unmap_shape, unmap_shapes, unmap_shape_desc);

static void check_unmap_shape(struct kunit *test, bool v2)
{
	const struct unmap_shape *shape = test->param_value;
	struct dma_range kept[ARRAY_SIZE(shape_maps)];
	struct dma_range gone[ARRAY_SIZE(shape_maps)];
	unsigned int keep = v2 ? shape->keep_v2 : shape->keep_v1;
	unsigned int i, nkept = 0, ngone = 0;
	struct mdom_dma_tree tree;
	struct mdom_dma_list victims = {};
	u64 unmapped = 0xdead;
	int ret;

	mdom_dma_tree_init(&tree);
	for (i = 0; i < ARRAY_SIZE(shape_maps); i++) {
		dma_insert(test, &tree, shape_maps[i].iova,
			   shape_maps[i].last);
		if (keep & BIT(i))
			kept[nkept++] = shape_maps[i];
		else
			gone[ngone++] = shape_maps[i];
	}

	ret = collect(test, &tree, shape->first, shape->last, v2,
		      false, &victims, &unmapped);
	KUNIT_EXPECT_EQ(test, ret, v2 ? shape->ret_v2 : shape->ret_v1);
	KUNIT_EXPECT_EQ(test, unmapped,
			v2 ? shape->unmapped_v2 : shape->unmapped_v1);
	expect_tree(test, &tree, kept, nkept);
	expect_list(test, &victims, gone, ngone);
}

static void mdom_dma_unmap_v1_shapes(struct kunit *test)
{
	check_unmap_shape(test, false);
}

static void mdom_dma_unmap_v2_shapes(struct kunit *test)
{
	check_unmap_shape(test, true);
}

static void mdom_dma_unmap_empty(struct kunit *test)
{
	struct mdom_dma_tree tree;
	struct mdom_dma_list victims = {};
	u64 unmapped = 1;

	mdom_dma_tree_init(&tree);
	KUNIT_EXPECT_EQ(test, collect(test, &tree, 0, U64_MAX, true,
				      false, &victims,
				      &unmapped), 0);
	KUNIT_EXPECT_EQ(test, unmapped, 0);
	unmapped = 1;
	KUNIT_EXPECT_EQ(test, collect(test, &tree, 0, 0, false, true,
				      &victims, &unmapped), 0);
	KUNIT_EXPECT_EQ(test, unmapped, 0);
	KUNIT_EXPECT_TRUE(test, mdom_dma_list_empty(&victims));
}

/* UNMAP_ALL removes everything under either rule; first/last are ignored. */
static void mdom_dma_unmap_all(struct kunit *test)
{
	static const struct dma_range maps[] = {
		{ 0, SZ_4K - 1 },
		{ 0x10000, 0x1ffff },
		{ 0x20000, 0x2ffff },
		{ 0x40000, 0x4ffff },
		{ U64_MAX - SZ_2M + 1, U64_MAX },
	};
	unsigned int i;
	int v2;

	for (v2 = 0; v2 <= 1; v2++) {
		struct mdom_dma_tree tree;
		struct mdom_dma_list victims = {};
		u64 unmapped = 0;

		mdom_dma_tree_init(&tree);
		for (i = 0; i < ARRAY_SIZE(maps); i++)
			dma_insert(test, &tree, maps[i].iova, maps[i].last);
		/* A range that would cut a mapping: ignored for ALL. */
		KUNIT_EXPECT_EQ(test,
				collect(test, &tree, 0x18000, 0x18fff,
					v2, true, &victims,
					&unmapped), 0);
		KUNIT_EXPECT_EQ(test, unmapped,
				SZ_4K + 3 * SZ_64K + SZ_2M);
		expect_tree(test, &tree, NULL, 0);
		expect_list(test, &victims, maps, ARRAY_SIZE(maps));
	}
}

/* Mappings ending at U64_MAX: no "iova + size" overflow anywhere. */
static void mdom_dma_top_of_space(struct kunit *test)
{
	const u64 top = U64_MAX - SZ_64K + 1;	/* [top, U64_MAX] */
	struct dma_range both[] = {
		{ top - SZ_64K, top - 1 }, { top, U64_MAX },
	};
	struct mdom_dma_tree tree;
	struct mdom_dma_list victims = {};
	struct mdom_dma *dma;
	u64 unmapped;

	mdom_dma_tree_init(&tree);
	dma = dma_insert(test, &tree, top, U64_MAX);
	KUNIT_EXPECT_EQ(test, mdom_dma_size(dma), SZ_64K);
	KUNIT_EXPECT_EQ(test, dma_try_insert(test, &tree, U64_MAX - SZ_4K + 1,
					     U64_MAX), -EEXIST);
	KUNIT_EXPECT_EQ(test, dma_try_insert(test, &tree, top - SZ_4K,
					     top + SZ_4K - 1), -EEXIST);
	KUNIT_EXPECT_EQ(test, dma_try_insert(test, &tree, top - SZ_1G,
					     U64_MAX), -EEXIST);
	dma_insert(test, &tree, top - SZ_64K, top - 1);
	expect_tree(test, &tree, both, ARRAY_SIZE(both));

	KUNIT_EXPECT_PTR_EQ(test, mdom_dma_first(&tree, U64_MAX, U64_MAX),
			    dma);
	KUNIT_EXPECT_NULL(test, mdom_dma_next(dma, 0, U64_MAX));

	/* v2: cutting the top mapping's start or end. */
	KUNIT_EXPECT_EQ(test, collect(test, &tree, top + SZ_4K,
				      U64_MAX, true, false,
				      &victims, &unmapped),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, collect(test, &tree, top,
				      U64_MAX - SZ_4K, true,
				      false, &victims,
				      &unmapped), -EINVAL);
	/* v1: starting inside it removes nothing. */
	KUNIT_EXPECT_EQ(test, collect(test, &tree, U64_MAX - SZ_4K + 1,
				      U64_MAX, false, false,
				      &victims, &unmapped), 0);
	KUNIT_EXPECT_EQ(test, unmapped, 0);
	expect_tree(test, &tree, both, ARRAY_SIZE(both));
	KUNIT_EXPECT_TRUE(test, mdom_dma_list_empty(&victims));

	/* v2: exactly the top one. */
	KUNIT_EXPECT_EQ(test, collect(test, &tree, top, U64_MAX, true,
				      false, &victims,
				      &unmapped), 0);
	KUNIT_EXPECT_EQ(test, unmapped, SZ_64K);
	expect_tree(test, &tree, both, 1);
	expect_list(test, &victims, &both[1], 1);

	/* v1: from the start of the other to the top. */
	mdom_dma_list_init(&victims);
	dma_insert(test, &tree, top, U64_MAX);
	KUNIT_EXPECT_EQ(test, collect(test, &tree, top - SZ_64K,
				      U64_MAX, false, false,
				      &victims, &unmapped), 0);
	KUNIT_EXPECT_EQ(test, unmapped, 2 * SZ_64K);
	expect_tree(test, &tree, NULL, 0);
	expect_list(test, &victims, both, ARRAY_SIZE(both));
}

/*
 * The whole 64-bit space in mappings of 2^59 bytes, about the largest a
 * mapping's page count holds (MDOM_NPAGES_BITS): the last ends at
 * U64_MAX.
 */
#define WHOLE_SHIFT	59
#define WHOLE_N		(1U << (64 - WHOLE_SHIFT))

static void mdom_dma_whole_space(struct kunit *test)
{
	struct mdom_dma_tree tree;
	struct mdom_dma *first = NULL, *dma;
	struct mdom_dma_list victims = {};
	u64 unmapped, iova;
	unsigned int i;

	mdom_dma_tree_init(&tree);
	for (i = 0; i < WHOLE_N; i++) {
		iova = (u64)i << WHOLE_SHIFT;
		dma = dma_insert(test, &tree, iova,
				 iova + BIT_ULL(WHOLE_SHIFT) - 1);
		KUNIT_EXPECT_EQ(test, mdom_dma_size(dma), BIT_ULL(WHOLE_SHIFT));
		first = first ?: dma;
	}
	KUNIT_EXPECT_EQ(test, mdom_dma_last(dma), U64_MAX);
	KUNIT_EXPECT_EQ(test, dma_try_insert(test, &tree, U64_MAX - SZ_4K + 1,
					     U64_MAX), -EEXIST);

	/* v2 cutting the first one at its end. */
	KUNIT_EXPECT_EQ(test, collect(test, &tree, 0,
				      BIT_ULL(WHOLE_SHIFT) - SZ_4K - 1,
				      true, false, &victims,
				      &unmapped), -EINVAL);
	KUNIT_EXPECT_EQ(test, tree.count, WHOLE_N);

	/* 2^64 bytes do not fit: the count saturates instead of wrapping. */
	KUNIT_EXPECT_EQ(test, collect(test, &tree, 0, U64_MAX, true,
				      false, &victims,
				      &unmapped), 0);
	KUNIT_EXPECT_EQ(test, unmapped, U64_MAX);
	KUNIT_EXPECT_EQ(test, tree.count, 0);
	KUNIT_EXPECT_PTR_EQ(test, victims.first, first);
}

static void mdom_dma_pinned_count(struct kunit *test)
{
	struct mdom_dma *dma, *bare, *device;
	struct mdom_dma_tree tree;

	mdom_dma_tree_init(&tree);
	KUNIT_EXPECT_EQ(test, mdom_dma_pinned_pages(&tree), 0);
	dma = dma_insert(test, &tree, 0, SZ_64K - 1);
	dma->pages.npages = 16;
	dma->pages.pinned = true;
	dma = dma_insert(test, &tree, SZ_1M, SZ_1M + SZ_2M - 1);
	dma->pages.npages = 512;
	dma->pages.pinned = true;
	/* Recorded, not pinned (no domain yet) */
	bare = dma_insert(test, &tree, SZ_64M, SZ_64M + SZ_4K - 1);
	bare->pages.npages = 1;
	/* Device memory: looked up, never pinned */
	device = dma_insert(test, &tree, SZ_128M, SZ_128M + SZ_64K - 1);
	device->pages.npages = 16;
	device->pages.pinned = true;
	device->pages.pfnmap = true;
	KUNIT_EXPECT_EQ(test, mdom_dma_pinned_pages(&tree), 528);
	mdom_dma_remove(&tree, bare);
	KUNIT_EXPECT_EQ(test, mdom_dma_pinned_pages(&tree), 528);
	mdom_dma_remove(&tree, dma);
	KUNIT_EXPECT_EQ(test, mdom_dma_pinned_pages(&tree), 16);
}

/*
 * Random maps and unmaps over a small space, checked against a plain model
 * of the rules: an array saying which mapping holds each 4 KiB slot, a
 * mapping being named by its first slot.
 */
#define MODEL_SLOTS	64
#define MODEL_ROUNDS	1500

struct unmap_model {
	int start[MODEL_SLOTS];		/* first slot of the holder, or -1 */
	unsigned int end[MODEL_SLOTS];	/* last slot, by first slot */
};

static void model_unmap(struct unmap_model *m, unsigned int first,
			unsigned int last, bool v2, int *ret, u64 *unmapped)
{
	unsigned int s, t;

	*ret = 0;
	*unmapped = 0;
	if (v2 && ((m->start[first] >= 0 && m->start[first] != first) ||
		   (m->start[last] >= 0 && m->end[m->start[last]] != last))) {
		*ret = -EINVAL;
		return;
	}
	/* v1: a range starting inside a mapping removes nothing. */
	if (m->start[first] >= 0 && m->start[first] != first)
		return;
	for (s = first; s <= last; s++) {
		if (m->start[s] != s)
			continue;
		*unmapped += (u64)(m->end[s] - s + 1) * SZ_4K;
		for (t = m->end[s]; t > s; t--)
			m->start[t] = -1;
		m->start[s] = -1;
	}
}

static void mdom_dma_unmap_model(struct kunit *test)
{
	struct unmap_model *m;
	struct rnd_state rnd;
	struct mdom_dma_tree tree;
	unsigned int round, s;
	unsigned int maps = 0, unmaps = 0, removed = 0;
	int v2;

	m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m);

	for (v2 = 0; v2 <= 1; v2++) {
		prandom_seed_state(&rnd, 0x6d646f6d + v2);
		mdom_dma_tree_init(&tree);
		for (s = 0; s < MODEL_SLOTS; s++)
			m->start[s] = -1;

		for (round = 0; round < MODEL_ROUNDS; round++) {
			unsigned int a = prandom_u32_state(&rnd) % MODEL_SLOTS;
			unsigned int b = prandom_u32_state(&rnd) % MODEL_SLOTS;
			unsigned int first = min(a, b), last = max(a, b);
			struct mdom_dma_list victims = {};
			u64 unmapped, model_unmapped;
			int ret, model_ret;
			bool free = true;

			if (prandom_u32_state(&rnd) % 3) {
				/* map [first, last] if free, else EEXIST */
				last = min(last, first + 3);
				for (s = first; s <= last; s++)
					free &= m->start[s] < 0;
				ret = dma_try_insert(test, &tree,
						     (u64)first * SZ_4K,
						     (u64)last * SZ_4K +
						     SZ_4K - 1);
				KUNIT_ASSERT_EQ(test, ret, free ? 0 : -EEXIST);
				if (!free)
					continue;
				for (s = first; s <= last; s++)
					m->start[s] = first;
				m->end[first] = last;
				maps++;
				expect_ends(test, &tree);
				continue;
			}

			model_unmap(m, first, last, v2, &model_ret,
				    &model_unmapped);
			ret = collect(test, &tree, (u64)first * SZ_4K,
				      (u64)last * SZ_4K +
				      SZ_4K - 1, v2, false,
				      &victims, &unmapped);
			KUNIT_ASSERT_EQ_MSG(test, ret, model_ret,
					    "v2 %d round %u [%u, %u]", v2,
					    round, first, last);
			KUNIT_ASSERT_EQ_MSG(test, unmapped, model_unmapped,
					    "v2 %d round %u [%u, %u]", v2,
					    round, first, last);
			unmaps++;
			removed += mdom_dma_list_count(&victims);
			expect_ends(test, &tree);
		}
		/* Same mappings at the end: compare slot by slot. */
		for (s = 0; s < MODEL_SLOTS; s++) {
			struct mdom_dma *dma;

			dma = mdom_dma_first(&tree, (u64)s * SZ_4K,
					     (u64)s * SZ_4K);
			KUNIT_EXPECT_EQ(test, !!dma, m->start[s] >= 0);
			if (dma && m->start[s] >= 0)
				KUNIT_EXPECT_EQ(test, dma->iova,
						(u64)m->start[s] * SZ_4K);
		}
	}
	/* The walk did exercise both paths. */
	KUNIT_EXPECT_GT(test, maps, MODEL_ROUNDS / 4);
	KUNIT_EXPECT_GT(test, unmaps, MODEL_ROUNDS / 4);
	KUNIT_EXPECT_GT(test, removed, MODEL_ROUNDS / 8);
}

/*
 * A mapping still being mapped blocks any unmap decision that involves it
 * (-EAGAIN, nothing chosen); one being unmapped counts as gone already.
 */
static void mdom_dma_unmap_states(struct kunit *test)
{
	static const struct dma_range rest[] = { { 0x30000, 0x3ffff } };
	struct mdom_dma *a, *b, *c, *dma;
	struct mdom_dma_tree tree;
	struct mdom_dma_list victims = {};
	u64 unmapped;
	int v2;

	for (v2 = 0; v2 <= 1; v2++) {
		mdom_dma_tree_init(&tree);
		a = dma_insert(test, &tree, 0x10000, 0x1ffff);
		b = dma_insert(test, &tree, 0x20000, 0x2ffff);
		c = dma_insert(test, &tree, 0x30000, 0x3ffff);

		b->state = MDOM_DMA_MAPPING;
		KUNIT_EXPECT_EQ(test, mdom_dma_unmap_collect(&tree, 0x10000,
							     0x2ffff, v2, false,
							     &victims,
							     &unmapped),
				-EAGAIN);
		KUNIT_EXPECT_EQ(test, mdom_dma_unmap_collect(&tree, 0, 0, v2,
							     true, &victims,
							     &unmapped),
				-EAGAIN);
		KUNIT_EXPECT_TRUE(test, mdom_dma_list_empty(&victims));
		KUNIT_EXPECT_EQ(test, (unsigned int)a->state, MDOM_DMA_LIVE);
		/* A range that does not meet it is decided. */
		KUNIT_EXPECT_EQ(test, mdom_dma_unmap_collect(&tree, 0x10000,
							     0x1ffff, v2, false,
							     &victims,
							     &unmapped), 0);
		KUNIT_EXPECT_EQ(test, unmapped, SZ_64K);
		KUNIT_EXPECT_EQ(test, (unsigned int)a->state, MDOM_DMA_UNMAPPING);

		/*
		 * @a is on its way out: another unmap does not see it, not
		 * even as a mapping its range would cut.
		 */
		b->state = MDOM_DMA_LIVE;
		mdom_dma_list_init(&victims);
		KUNIT_EXPECT_EQ(test, mdom_dma_unmap_collect(&tree, 0x18000,
							     0x2ffff, v2, false,
							     &victims,
							     &unmapped), 0);
		KUNIT_EXPECT_EQ(test, unmapped, SZ_64K);
		KUNIT_ASSERT_EQ(test, mdom_dma_list_count(&victims), 1);
		dma = victims.first;
		KUNIT_EXPECT_PTR_EQ(test, dma, b);
		/* ... and its IOVA is still taken until it is removed. */
		KUNIT_EXPECT_EQ(test, dma_try_insert(test, &tree, 0x10000,
						     0x10fff), -EEXIST);
		mdom_dma_list_append(&victims, a);
		mdom_dma_remove_list(&tree, &victims);
		expect_tree(test, &tree, rest, ARRAY_SIZE(rest));
		KUNIT_EXPECT_EQ(test, (unsigned int)c->state, MDOM_DMA_LIVE);
		mdom_dma_list_init(&victims);
	}
}

/* @list holds exactly the @n mappings of @expect, in order, and says so. */
static void expect_on_list(struct kunit *test, struct mdom_dma_list *list,
			   struct mdom_dma **expect, unsigned int n)
{
	struct mdom_dma *dma;
	unsigned int i = 0;

	KUNIT_EXPECT_EQ(test, mdom_dma_list_empty(list), !n);
	KUNIT_EXPECT_EQ(test, mdom_dma_list_count(list), n);
	mdom_dma_list_for_each(dma, list) {
		if (i >= n) {
			KUNIT_FAIL(test, "extra mapping at %u", i);
			return;
		}
		KUNIT_EXPECT_PTR_EQ(test, dma, expect[i]);
		i++;
	}
	KUNIT_EXPECT_EQ(test, i, n);
	/* The next append goes after the last one. */
	KUNIT_EXPECT_PTR_EQ(test, list->last, n ? expect[n - 1] : NULL);
	if (n)
		KUNIT_EXPECT_NULL(test, list->last->next);
}

/* What a mapping costs, and what the victim list costs it. */
static void mdom_dma_list_size(struct kunit *test)
{
	kunit_info(test, "sizeof(struct mdom_dma) = %zu, its list link %zu\n",
		   sizeof(struct mdom_dma),
		   sizeof_field(struct mdom_dma, next));
	KUNIT_EXPECT_EQ(test, sizeof_field(struct mdom_dma, next),
			sizeof(void *));
	KUNIT_EXPECT_LE(test, sizeof(struct mdom_dma), MDOM_DMA_MAX_SIZE);
}

/* An empty list: nothing to walk, and it stays usable. */
static void mdom_dma_list_empty_list(struct kunit *test)
{
	struct mdom_dma *a = dma_new(test, 0x10000, 0x1ffff);
	struct mdom_dma_list list = {}, other;
	struct mdom_dma *dma, *mark;

	expect_on_list(test, &list, NULL, 0);
	mdom_dma_list_for_each(dma, &list)
		KUNIT_FAIL(test, "walked an empty list");
	KUNIT_EXPECT_NULL(test, dma);
	memset(&other, 0x5a, sizeof(other));
	mdom_dma_list_init(&other);
	expect_on_list(test, &other, NULL, 0);

	/* Cutting an empty list at its mark gives nothing. */
	mark = mdom_dma_list_mark(&list);
	KUNIT_EXPECT_NULL(test, mark);
	KUNIT_EXPECT_NULL(test, mdom_dma_list_cut(&list, mark));
	expect_on_list(test, &list, NULL, 0);

	/* One in, cut off again, in again, dropped. */
	mdom_dma_list_append(&list, a);
	expect_on_list(test, &list, &a, 1);
	KUNIT_EXPECT_PTR_EQ(test, mdom_dma_list_cut(&list, mark), a);
	expect_on_list(test, &list, NULL, 0);
	mdom_dma_list_append(&list, a);
	expect_on_list(test, &list, &a, 1);
	mdom_dma_list_init(&list);
	expect_on_list(test, &list, NULL, 0);
}

/* Appends keep their order; a cut takes off what came after the mark. */
static void mdom_dma_list_order(struct kunit *test)
{
	struct mdom_dma *d[4], *dma, *cut, *mark;
	struct mdom_dma_list list = {}, other = {};
	unsigned int i;

	/* Not in IOVA order: the list keeps the order they came in. */
	for (i = 0; i < ARRAY_SIZE(d); i++)
		d[i] = dma_new(test, (u64)(ARRAY_SIZE(d) - i) * SZ_64K,
			       (u64)(ARRAY_SIZE(d) - i) * SZ_64K + SZ_4K - 1);
	mdom_dma_list_append(&list, d[0]);
	mdom_dma_list_append(&list, d[1]);
	mark = mdom_dma_list_mark(&list);
	KUNIT_EXPECT_PTR_EQ(test, mark, d[1]);
	mdom_dma_list_append(&list, d[2]);
	mdom_dma_list_append(&list, d[3]);
	expect_on_list(test, &list, d, 4);

	/* The cut-off ones stay linked to each other, in order. */
	cut = mdom_dma_list_cut(&list, mark);
	KUNIT_EXPECT_PTR_EQ(test, cut, d[2]);
	KUNIT_EXPECT_PTR_EQ(test, cut->next, d[3]);
	KUNIT_EXPECT_NULL(test, d[3]->next);
	expect_on_list(test, &list, d, 2);

	/* Cutting at the end takes nothing. */
	KUNIT_EXPECT_NULL(test, mdom_dma_list_cut(&list,
						  mdom_dma_list_mark(&list)));
	expect_on_list(test, &list, d, 2);

	/* And appending goes on after the cut. */
	mdom_dma_list_append(&list, d[3]);
	mdom_dma_list_append(&list, d[2]);
	swap(d[2], d[3]);
	expect_on_list(test, &list, d, 4);

	/*
	 * The body may move the one it is on to another list (or free it):
	 * the walk goes on with the next one of the first list.
	 */
	i = 0;
	mdom_dma_list_for_each(dma, &list) {
		KUNIT_EXPECT_PTR_EQ(test, dma, d[i]);
		i++;
		mdom_dma_list_append(&other, dma);
	}
	KUNIT_EXPECT_EQ(test, i, 4);
	expect_on_list(test, &other, d, 4);
}

#define LIST_MANY	4096

/* Many: order, count and cut as with a few. */
static void mdom_dma_list_many(struct kunit *test)
{
	struct mdom_dma *d, **all, *dma, *mark = NULL;
	struct mdom_dma_list list = {};
	unsigned int i;

	d = kunit_kcalloc(test, LIST_MANY, sizeof(*d), GFP_KERNEL);
	all = kunit_kcalloc(test, LIST_MANY, sizeof(*all), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, d);
	KUNIT_ASSERT_NOT_NULL(test, all);
	for (i = 0; i < LIST_MANY; i++) {
		/* From both ends of @d in turn: not in address order. */
		all[i] = &d[i % 2 ? LIST_MANY - 1 - i / 2 : i / 2];
		all[i]->iova = (u64)i * SZ_4K;
		all[i]->pages.npages = SZ_4K >> PAGE_SHIFT;
		if (i == LIST_MANY / 2 + 1)
			mark = mdom_dma_list_mark(&list);
		mdom_dma_list_append(&list, all[i]);
	}
	expect_on_list(test, &list, all, LIST_MANY);
	i = 0;
	mdom_dma_list_for_each(dma, &list)
		KUNIT_EXPECT_EQ(test, dma->iova, (u64)i++ * SZ_4K);

	KUNIT_EXPECT_PTR_EQ(test, mdom_dma_list_cut(&list, mark),
			    all[LIST_MANY / 2 + 1]);
	expect_on_list(test, &list, all, LIST_MANY / 2 + 1);
	mdom_dma_list_init(&list);
	expect_on_list(test, &list, NULL, 0);
}

/*
 * An unmap appends to the victims already there; one that fails gives back
 * its own victims only, and leaves the earlier ones as they are.
 */
static void mdom_dma_unmap_appends(struct kunit *test)
{
	struct mdom_dma *a, *b, *c, *d, *e;
	struct mdom_dma *order[4];
	struct mdom_dma_tree tree;
	struct mdom_dma_list victims = {};
	u64 unmapped;
	int v2;

	for (v2 = 0; v2 <= 1; v2++) {
		mdom_dma_tree_init(&tree);
		a = dma_insert(test, &tree, 0x10000, 0x1ffff);
		b = dma_insert(test, &tree, 0x20000, 0x2ffff);
		c = dma_insert(test, &tree, 0x30000, 0x3ffff);
		d = dma_insert(test, &tree, 0x40000, 0x4ffff);
		e = dma_insert(test, &tree, 0x50000, 0x5ffff);

		/* The later range first: the list is in call order. */
		KUNIT_EXPECT_EQ(test, mdom_dma_unmap_collect(&tree, 0x40000,
							     0x4ffff, v2, false,
							     &victims,
							     &unmapped), 0);
		order[0] = d;
		expect_on_list(test, &victims, order, 1);

		/* Chooses b and c, then meets e being mapped: undone. */
		e->state = MDOM_DMA_MAPPING;
		KUNIT_EXPECT_EQ(test, mdom_dma_unmap_collect(&tree, 0x20000,
							     0x5ffff, v2, false,
							     &victims,
							     &unmapped),
				-EAGAIN);
		expect_on_list(test, &victims, order, 1);
		KUNIT_EXPECT_EQ(test, (unsigned int)b->state, MDOM_DMA_LIVE);
		KUNIT_EXPECT_EQ(test, (unsigned int)c->state, MDOM_DMA_LIVE);
		KUNIT_EXPECT_EQ(test, (unsigned int)d->state, MDOM_DMA_UNMAPPING);
		e->state = MDOM_DMA_LIVE;

		/* v2: chooses a to c, then finds c cut at its end. */
		KUNIT_EXPECT_EQ(test, mdom_dma_unmap_collect(&tree, 0x10000,
							     0x37fff, v2, false,
							     &victims,
							     &unmapped),
				v2 ? -EINVAL : 0);
		if (!v2) {
			/* v1 takes c whole. */
			KUNIT_EXPECT_EQ(test, unmapped, 3 * SZ_64K);
			order[1] = a;
			order[2] = b;
			order[3] = c;
			expect_on_list(test, &victims, order, 4);
		} else {
			expect_on_list(test, &victims, order, 1);
			KUNIT_EXPECT_EQ(test, (unsigned int)a->state, MDOM_DMA_LIVE);
			KUNIT_EXPECT_EQ(test, (unsigned int)b->state, MDOM_DMA_LIVE);
			KUNIT_EXPECT_EQ(test, (unsigned int)c->state, MDOM_DMA_LIVE);
			KUNIT_EXPECT_EQ(test,
					mdom_dma_unmap_collect(&tree, 0x10000,
							       0x3ffff, v2,
							       false, &victims,
							       &unmapped), 0);
			order[1] = a;
			order[2] = b;
			order[3] = c;
			expect_on_list(test, &victims, order, 4);
		}
		mdom_dma_remove_list(&tree, &victims);
		KUNIT_EXPECT_EQ(test, tree.count, 1);
		KUNIT_EXPECT_PTR_EQ(test, mdom_dma_first(&tree, 0, U64_MAX), e);
		mdom_dma_list_init(&victims);
	}
}

static struct kunit_case mdom_dma_cases[] = {
	KUNIT_CASE(mdom_dma_insert_empty),
	KUNIT_CASE(mdom_dma_insert_overlap),
	KUNIT_CASE(mdom_dma_insert_adjacent),
	KUNIT_CASE(mdom_dma_insert_stale_slot),
	KUNIT_CASE(mdom_dma_iterate),
	KUNIT_CASE(mdom_dma_remove_reinsert),
	KUNIT_CASE_PARAM(mdom_dma_unmap_v1_shapes, unmap_shape_gen_params),
	KUNIT_CASE_PARAM(mdom_dma_unmap_v2_shapes, unmap_shape_gen_params),
	KUNIT_CASE(mdom_dma_unmap_empty),
	KUNIT_CASE(mdom_dma_unmap_all),
	KUNIT_CASE(mdom_dma_top_of_space),
	KUNIT_CASE(mdom_dma_whole_space),
	KUNIT_CASE(mdom_dma_pinned_count),
	KUNIT_CASE(mdom_dma_unmap_states),
	KUNIT_CASE(mdom_dma_unmap_appends),
	KUNIT_CASE(mdom_dma_list_size),
	KUNIT_CASE(mdom_dma_list_empty_list),
	KUNIT_CASE(mdom_dma_list_order),
	KUNIT_CASE(mdom_dma_list_many),
	KUNIT_CASE_SLOW(mdom_dma_unmap_model),
	{}
};

static struct kunit_suite mdom_dma_suite = {
	.name = "vfio_mdom_dma",
	.test_cases = mdom_dma_cases,
};

kunit_test_suite(mdom_dma_suite);
