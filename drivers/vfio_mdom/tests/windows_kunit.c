// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the IOVA window arithmetic of windows.c: the union of
 * the domains' apertures (sorted, merged where they overlap or abut, up
 * to U64_MAX), its intersection with the declared windows, and the check
 * of the windows a user declares.
 */
#include <kunit/test.h>
#include <linux/sizes.h>

#include "../vfio_mdom.h"

#define R(a, b)	{ .first = (a), .last = (b) }

static void mdom_expect_ranges(struct kunit *test,
			       const struct mdom_iova_range *got,
			       unsigned int ngot,
			       const struct mdom_iova_range *want,
			       unsigned int nwant)
{
	unsigned int i;

	KUNIT_ASSERT_EQ(test, ngot, nwant);
	for (i = 0; i < nwant; i++) {
		KUNIT_EXPECT_EQ_MSG(test, got[i].first, want[i].first,
				    "range %u", i);
		KUNIT_EXPECT_EQ_MSG(test, got[i].last, want[i].last,
				    "range %u", i);
	}
}

/* A 32-bit and a high-only aperture abut: one range */
static void mdom_windows_union_abut(struct kunit *test)
{
	struct mdom_iova_range r[] = {
		R(SZ_4G, BIT_ULL(39) - 1), R(0, SZ_4G - 1),
	};
	const struct mdom_iova_range want[] = { R(0, BIT_ULL(39) - 1) };

	mdom_expect_ranges(test, r, mdom_iova_ranges_union(r, 2), want, 1);
}

/* Disjoint ones stay apart, sorted; contained ones vanish */
static void mdom_windows_union_disjoint(struct kunit *test)
{
	struct mdom_iova_range r[] = {
		R(SZ_8G, SZ_16G - 1), R(0, SZ_1G - 1), R(SZ_8G, SZ_8G),
		R(SZ_1M, SZ_2M),
	};
	const struct mdom_iova_range want[] = {
		R(0, SZ_1G - 1), R(SZ_8G, SZ_16G - 1),
	};

	mdom_expect_ranges(test, r, mdom_iova_ranges_union(r, 4), want, 2);
}

/* Overlaps merge; U64_MAX does not wrap; nothing is nothing */
static void mdom_windows_union_edges(struct kunit *test)
{
	struct mdom_iova_range r[] = {
		R(SZ_4G, U64_MAX), R(0, SZ_4G + SZ_1M), R(U64_MAX, U64_MAX),
	};
	const struct mdom_iova_range want[] = { R(0, U64_MAX) };

	mdom_expect_ranges(test, r, mdom_iova_ranges_union(r, 3), want, 1);
	KUNIT_EXPECT_EQ(test, mdom_iova_ranges_union(r, 0), 0);
}

/* Declared windows cut the union; what lies outside goes */
static void mdom_windows_intersect(struct kunit *test)
{
	const struct mdom_iova_range a[] = {
		R(0, 0xfedfffff), R(0xfef00000, BIT_ULL(39) - 1),
	};
	const struct mdom_iova_range b[] = {
		R(SZ_1M, SZ_16M - 1), R(0xfe000000, SZ_4G + SZ_1M - 1),
		R(BIT_ULL(40), U64_MAX),
	};
	const struct mdom_iova_range want[] = {
		R(SZ_1M, SZ_16M - 1), R(0xfe000000, 0xfedfffff),
		R(0xfef00000, SZ_4G + SZ_1M - 1),
	};
	struct mdom_iova_range out[5];

	mdom_expect_ranges(test, out,
			   mdom_iova_ranges_intersect(a, 2, b, 3, out),
			   want, 3);
	KUNIT_EXPECT_EQ(test, mdom_iova_ranges_intersect(a, 2, b, 0, out), 0);
	KUNIT_EXPECT_EQ(test,
			mdom_iova_ranges_intersect(a, 1, &b[2], 1, out), 0);
}

/* What a user may declare: non-empty, page-aligned, sorted, disjoint */
static void mdom_windows_valid(struct kunit *test)
{
	const u64 pgmask = SZ_4K - 1;
	const struct mdom_iova_range good[] = {
		R(0, SZ_4K - 1), R(SZ_8K, SZ_1M - 1), R(SZ_4G, U64_MAX),
	};
	const struct mdom_iova_range unaligned_first[] = { R(SZ_1K, SZ_8K - 1) };
	const struct mdom_iova_range unaligned_last[] = { R(0, SZ_8K) };
	const struct mdom_iova_range empty[] = { R(SZ_8K, SZ_4K) };
	const struct mdom_iova_range overlap[] = {
		R(0, SZ_8K - 1), R(SZ_4K, SZ_16K - 1),
	};
	const struct mdom_iova_range unsorted[] = {
		R(SZ_1M, SZ_2M - 1), R(0, SZ_4K - 1),
	};

	KUNIT_EXPECT_TRUE(test, mdom_iova_ranges_valid(good, 3, pgmask));
	KUNIT_EXPECT_TRUE(test, mdom_iova_ranges_valid(good, 0, pgmask));
	KUNIT_EXPECT_FALSE(test,
			   mdom_iova_ranges_valid(unaligned_first, 1, pgmask));
	KUNIT_EXPECT_FALSE(test,
			   mdom_iova_ranges_valid(unaligned_last, 1, pgmask));
	KUNIT_EXPECT_FALSE(test, mdom_iova_ranges_valid(empty, 1, pgmask));
	KUNIT_EXPECT_FALSE(test, mdom_iova_ranges_valid(overlap, 2, pgmask));
	KUNIT_EXPECT_FALSE(test, mdom_iova_ranges_valid(unsorted, 2, pgmask));
}

static struct kunit_case mdom_windows_cases[] = {
	KUNIT_CASE(mdom_windows_union_abut),
	KUNIT_CASE(mdom_windows_union_disjoint),
	KUNIT_CASE(mdom_windows_union_edges),
	KUNIT_CASE(mdom_windows_intersect),
	KUNIT_CASE(mdom_windows_valid),
	{}
};

static struct kunit_suite mdom_windows_suite = {
	.name = "vfio_mdom_windows",
	.test_cases = mdom_windows_cases,
};

kunit_test_suite(mdom_windows_suite);
