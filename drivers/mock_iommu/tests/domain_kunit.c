// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the mock IOMMU's paging domains, driven through the
 * ordinary IOMMU API: map/unmap at every page size, iova_to_phys, the
 * aperture, and the counters that catch caller bugs (overlapping maps,
 * unmaps that do not match maps, leaks, unsynced unmaps).
 */
#include "mock_kunit.h"

/* Some physical address aligned to @size; never touched by these tests */
static phys_addr_t mock_test_phys(size_t size)
{
	return max_t(phys_addr_t, size, SZ_1G) * 3;
}

static void mock_domain_each_pgsize(struct kunit *test)
{
	unsigned int inst, bit, tested = 0;

	for (inst = 0; inst < mock_iommu_nr_instances(); inst++) {
		struct iommu_domain *domain = mock_kunit_domain(test, inst, 0);
		unsigned long sizes = mock_kunit_info(test, inst).pgsize_bitmap;

		KUNIT_EXPECT_EQ(test, domain->pgsize_bitmap, sizes);
		for_each_set_bit(bit, &sizes, BITS_PER_LONG) {
			size_t size = 1UL << bit;
			unsigned long iova = size, last;
			int rc;
			phys_addr_t phys = mock_test_phys(size);
			struct mock_iommu_translation t;

			KUNIT_ASSERT_EQ(test, iommu_map(domain, iova, phys, size,
							IOMMU_READ | IOMMU_WRITE,
							GFP_KERNEL), 0);
			rc = mock_iommu_lookup(domain, iova + size / 2, &t);
			KUNIT_ASSERT_EQ(test, rc, 0);
			KUNIT_EXPECT_EQ(test, t.iova, iova);
			KUNIT_EXPECT_EQ(test, t.phys, phys);
			KUNIT_EXPECT_EQ(test, t.size, size);
			KUNIT_EXPECT_EQ(test, t.prot, IOMMU_READ | IOMMU_WRITE);
			KUNIT_EXPECT_EQ(test, mock_iommu_nr_translations(domain), 1);
			last = iova + size - 1;
			KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, iova),
					phys);
			KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, last),
					phys + size - 1);
			KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, last + 1),
					0);
			KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, iova - 1),
					0);

			KUNIT_EXPECT_EQ(test, iommu_unmap(domain, iova, size),
					size);
			KUNIT_EXPECT_EQ(test, mock_iommu_nr_translations(domain), 0);
			KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, iova), 0);
			KUNIT_EXPECT_FALSE(test, mock_iommu_flush_pending(domain));
			tested++;
		}
	}
	KUNIT_EXPECT_GT(test, tested, 0);
	mock_kunit_expect_clean(test);
}

/* The core splits a mixed map into the largest pages that fit */
static void mock_domain_mixed_sizes(struct kunit *test)
{
	unsigned int inst = mock_kunit_inst_with_pgsizes(test, SZ_4K | SZ_2M);
	struct iommu_domain *domain = mock_kunit_domain(test, inst, 0);
	unsigned long iova = SZ_2M - SZ_4K;
	phys_addr_t phys = SZ_1G - SZ_4K;
	struct mock_iommu_translation t;

	KUNIT_ASSERT_EQ(test, iommu_map(domain, iova, phys, SZ_2M + SZ_8K,
					IOMMU_READ, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, mock_iommu_nr_translations(domain), 3);
	KUNIT_ASSERT_EQ(test, mock_iommu_lookup(domain, iova, &t), 0);
	KUNIT_EXPECT_EQ(test, t.size, SZ_4K);
	KUNIT_ASSERT_EQ(test, mock_iommu_lookup(domain, SZ_2M + SZ_1M, &t), 0);
	KUNIT_EXPECT_EQ(test, t.iova, SZ_2M);
	KUNIT_EXPECT_EQ(test, t.size, SZ_2M);
	KUNIT_EXPECT_EQ(test, t.phys, SZ_1G);
	KUNIT_ASSERT_EQ(test, mock_iommu_lookup(domain, SZ_4M, &t), 0);
	KUNIT_EXPECT_EQ(test, t.size, SZ_4K);

	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, iova, SZ_2M + SZ_8K),
			SZ_2M + SZ_8K);
	KUNIT_EXPECT_EQ(test, mock_iommu_nr_translations(domain), 0);
	mock_kunit_expect_clean(test);
}

/* 4K translations unmapped by one 2M-aligned unmap: a whole run, fine */
static void mock_domain_unmap_run_of_small(struct kunit *test)
{
	unsigned int inst = mock_kunit_inst_with_pgsizes(test, SZ_4K | SZ_2M);
	struct iommu_domain *domain = mock_kunit_domain(test, inst, 0);
	unsigned long off;

	for (off = 0; off < SZ_2M; off += SZ_4K)
		KUNIT_ASSERT_EQ(test, iommu_map(domain, SZ_2M + off,
						SZ_1G + SZ_8K * off / SZ_4K,
						SZ_4K, IOMMU_READ, GFP_KERNEL),
				0);
	KUNIT_EXPECT_EQ(test, mock_iommu_nr_translations(domain), 512);
	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, SZ_2M, SZ_2M), SZ_2M);
	KUNIT_EXPECT_EQ(test, mock_iommu_nr_translations(domain), 0);
	mock_kunit_expect_clean(test);
}

static void mock_domain_map_overlap(struct kunit *test)
{
	unsigned int inst = mock_kunit_inst_with_pgsizes(test, SZ_4K | SZ_2M);
	struct iommu_domain *domain = mock_kunit_domain(test, inst, 0);
	struct mock_iommu_counters c;

	KUNIT_ASSERT_EQ(test, iommu_map(domain, SZ_2M + SZ_4K, SZ_1G, SZ_4K,
					IOMMU_READ, GFP_KERNEL), 0);
	/* The same IOVA again */
	KUNIT_EXPECT_EQ(test, iommu_map(domain, SZ_2M + SZ_4K, SZ_1G, SZ_4K,
					IOMMU_READ, GFP_KERNEL), -EEXIST);
	/* A large page over the small one */
	KUNIT_EXPECT_EQ(test, iommu_map(domain, SZ_2M, SZ_1G, SZ_2M,
					IOMMU_READ, GFP_KERNEL), -EEXIST);
	/* A small page inside a large one */
	KUNIT_ASSERT_EQ(test, iommu_map(domain, SZ_4M, SZ_1G, SZ_2M,
					IOMMU_READ, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, iommu_map(domain, SZ_4M + SZ_8K, SZ_1G, SZ_4K,
					IOMMU_READ, GFP_KERNEL), -EEXIST);
	/* A run whose tail overlaps: the core unwinds the head */
	KUNIT_EXPECT_EQ(test, iommu_map(domain, SZ_4M - SZ_8K, SZ_1G, SZ_16K,
					IOMMU_READ, GFP_KERNEL), -EEXIST);

	c = mock_kunit_counters(test, inst);
	KUNIT_EXPECT_EQ(test, c.map_overlap, 4);
	KUNIT_EXPECT_EQ(test, c.unmap_mismatch, 0);
	KUNIT_EXPECT_EQ(test, mock_iommu_nr_translations(domain), 2);
	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, SZ_2M + SZ_4K, SZ_4K), SZ_4K);
	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, SZ_4M, SZ_2M), SZ_2M);
	KUNIT_EXPECT_EQ(test, mock_kunit_counters(test, inst).unmap_mismatch, 0);
}

static void mock_domain_unmap_mismatch(struct kunit *test)
{
	unsigned int inst = mock_kunit_inst_with_pgsizes(test, SZ_4K | SZ_2M);
	struct iommu_domain *domain = mock_kunit_domain(test, inst, 0);
	struct mock_iommu_counters c;

	KUNIT_ASSERT_EQ(test, iommu_map(domain, SZ_2M, SZ_1G, SZ_2M,
					IOMMU_READ, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, iommu_map(domain, SZ_8M, SZ_1G, SZ_4K,
					IOMMU_READ, GFP_KERNEL), 0);

	/* Cuts the large page at its start, in its middle, at its end */
	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, SZ_2M, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, SZ_2M + SZ_1M, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, SZ_4M - SZ_4K, SZ_8K), 0);
	/* A hole, and a translation followed by a hole */
	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, SZ_16M, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, SZ_8M, SZ_8K), 0);

	c = mock_kunit_counters(test, inst);
	KUNIT_EXPECT_EQ(test, c.unmap_mismatch, 5);
	/* Nothing was unmapped by the bad calls */
	KUNIT_EXPECT_EQ(test, mock_iommu_nr_translations(domain), 2);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, SZ_2M + SZ_1M),
			SZ_1G + SZ_1M);

	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, SZ_2M, SZ_2M), SZ_2M);
	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, SZ_8M, SZ_4K), SZ_4K);
	KUNIT_EXPECT_EQ(test, mock_kunit_counters(test, inst).unmap_mismatch, 5);
}

static void mock_domain_leak(struct kunit *test)
{
	struct device *dev = mock_iommu_device(0, 0);
	struct mock_iommu_counters before, after;
	struct iommu_domain *domain;

	before = mock_kunit_counters(test, 0);
	domain = iommu_paging_domain_alloc(dev);
	KUNIT_ASSERT_FALSE(test, IS_ERR(domain));
	/* Freed here, or when the test stops early */
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							mock_kunit_domain_free,
							domain), 0);
	KUNIT_EXPECT_EQ(test, mock_kunit_counters(test, 0).domains_live,
			before.domains_live + 1);
	KUNIT_EXPECT_EQ(test, iommu_map(domain, 0, SZ_1G, SZ_16K, IOMMU_READ,
					GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, mock_kunit_counters(test, 0).translations_live,
			before.translations_live + 4);
	kunit_release_action(test, mock_kunit_domain_free, domain);

	after = mock_kunit_counters(test, 0);
	KUNIT_EXPECT_EQ(test, after.leaked_translations, 4);
	KUNIT_EXPECT_EQ(test, after.domains_live, before.domains_live);
	KUNIT_EXPECT_EQ(test, after.translations_live,
			before.translations_live);
	KUNIT_EXPECT_EQ(test, after.domain_frees, before.domain_frees + 1);
}

static void mock_domain_iotlb_sync(struct kunit *test)
{
	struct device *dev = mock_iommu_device(0, 0);
	struct iommu_iotlb_gather gather;
	struct iommu_domain *domain;

	domain = iommu_paging_domain_alloc(dev);
	KUNIT_ASSERT_FALSE(test, IS_ERR(domain));
	/* Freed here, or when the test stops early */
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							mock_kunit_domain_free,
							domain), 0);
	KUNIT_ASSERT_EQ(test, iommu_map(domain, 0, SZ_1G, SZ_16K, IOMMU_READ,
					GFP_KERNEL), 0);

	/* Two unmaps gathered, then one sync covering both */
	iommu_iotlb_gather_init(&gather);
	KUNIT_EXPECT_EQ(test, iommu_unmap_fast(domain, 0, SZ_4K, &gather),
			SZ_4K);
	KUNIT_EXPECT_EQ(test, iommu_unmap_fast(domain, SZ_8K, SZ_4K, &gather),
			SZ_4K);
	KUNIT_EXPECT_TRUE(test, mock_iommu_flush_pending(domain));
	iommu_iotlb_sync(domain, &gather);
	KUNIT_EXPECT_FALSE(test, mock_iommu_flush_pending(domain));

	/* flush_iotlb_all flushes everything */
	iommu_iotlb_gather_init(&gather);
	KUNIT_EXPECT_EQ(test, iommu_unmap_fast(domain, SZ_4K, SZ_4K, &gather),
			SZ_4K);
	KUNIT_EXPECT_TRUE(test, mock_iommu_flush_pending(domain));
	iommu_flush_iotlb_all(domain);
	KUNIT_EXPECT_FALSE(test, mock_iommu_flush_pending(domain));

	/* Freed with an unmap never synced */
	iommu_iotlb_gather_init(&gather);
	KUNIT_EXPECT_EQ(test, iommu_unmap_fast(domain, SZ_8K + SZ_4K, SZ_4K,
					       &gather), SZ_4K);
	kunit_release_action(test, mock_kunit_domain_free, domain);
	KUNIT_EXPECT_EQ(test, mock_kunit_counters(test, 0).unsynced_unmaps, 1);
	KUNIT_EXPECT_EQ(test, mock_kunit_counters(test, 0).leaked_translations,
			0);
	KUNIT_EXPECT_GE(test, mock_kunit_counters(test, 0).iotlb_syncs, 1);
	KUNIT_EXPECT_EQ(test, mock_kunit_counters(test, 0).flush_all, 1);
}

/* A sync covers only its own gather, whatever else was synced meanwhile */
static void mock_domain_iotlb_interleaved(struct kunit *test)
{
	struct iommu_domain *domain = mock_kunit_domain(test, 0, 0);
	struct iommu_iotlb_gather gather;

	KUNIT_ASSERT_EQ(test, iommu_map(domain, 0, SZ_1G, SZ_16K, IOMMU_READ,
					GFP_KERNEL), 0);
	iommu_iotlb_gather_init(&gather);
	KUNIT_EXPECT_EQ(test, iommu_unmap_fast(domain, 0, SZ_4K, &gather),
			SZ_4K);
	/* iommu_unmap() syncs its own range only */
	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, SZ_8K, SZ_4K), SZ_4K);
	KUNIT_EXPECT_TRUE(test, mock_iommu_flush_pending(domain));
	iommu_iotlb_sync(domain, &gather);
	KUNIT_EXPECT_FALSE(test, mock_iommu_flush_pending(domain));
	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, SZ_4K, SZ_4K), SZ_4K);
	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, SZ_8K + SZ_4K, SZ_4K),
			SZ_4K);
	mock_kunit_expect_clean(test);
}

/* An unmapped, unflushed translation is a hole; mapping it again counts */
static void mock_domain_iotlb_reuse(struct kunit *test)
{
	struct iommu_domain *domain = mock_kunit_domain(test, 0, 0);
	struct iommu_iotlb_gather gather;
	struct mock_iommu_counters c;

	KUNIT_ASSERT_EQ(test, iommu_map(domain, 0, SZ_1G, SZ_8K, IOMMU_READ,
					GFP_KERNEL), 0);
	iommu_iotlb_gather_init(&gather);
	KUNIT_EXPECT_EQ(test, iommu_unmap_fast(domain, 0, SZ_4K, &gather),
			SZ_4K);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, 0), 0);
	/* Unmapping it again, with its neighbour, is a mismatch */
	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, 0, SZ_8K), 0);
	KUNIT_EXPECT_EQ(test, mock_iommu_nr_translations(domain), 1);

	/* Reused before the flush */
	KUNIT_EXPECT_EQ(test, iommu_map(domain, 0, SZ_2G, SZ_4K, IOMMU_WRITE,
					GFP_KERNEL), 0);
	KUNIT_EXPECT_FALSE(test, mock_iommu_flush_pending(domain));
	/* The late sync leaves the new translation alone */
	iommu_iotlb_sync(domain, &gather);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, 0), SZ_2G);
	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, 0, SZ_8K), SZ_8K);

	c = mock_kunit_counters(test, 0);
	KUNIT_EXPECT_EQ(test, c.unsynced_unmaps, 1);
	KUNIT_EXPECT_EQ(test, c.unmap_mismatch, 1);
	KUNIT_EXPECT_EQ(test, c.map_overlap, 0);
}

static void mock_domain_aperture(struct kunit *test)
{
	unsigned int inst = mock_kunit_inst_aperture_below(test, SZ_4G);
	struct iommu_domain *domain = mock_kunit_domain(test, inst, 0);
	u64 end = mock_kunit_info(test, inst).aperture_end;

	KUNIT_EXPECT_EQ(test, domain->geometry.aperture_start, 0);
	KUNIT_EXPECT_EQ(test, domain->geometry.aperture_end, end);
	KUNIT_EXPECT_TRUE(test, domain->geometry.force_aperture);

	/* Last page of the aperture maps; one page further does not */
	KUNIT_EXPECT_EQ(test, iommu_map(domain, end + 1 - SZ_4K, SZ_1G, SZ_4K,
					IOMMU_READ, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, iommu_map(domain, end + 1, SZ_1G, SZ_4K,
					IOMMU_READ, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iommu_map(domain, end + 1 - SZ_4K, SZ_1G, SZ_8K,
					IOMMU_READ, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, mock_iommu_nr_translations(domain), 1);
	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, end + 1 - SZ_4K, SZ_4K),
			SZ_4K);
	mock_kunit_expect_clean(test);
}

static void mock_domain_resv_map(struct kunit *test)
{
	unsigned int inst;

	for (inst = 0; inst < mock_iommu_nr_instances(); inst++) {
		struct mock_iommu_instance_info info = mock_kunit_info(test, inst);
		struct iommu_domain *domain;
		u64 start;

		if (!info.nr_resv || info.resv_start[0] > info.aperture_end)
			continue;
		domain = mock_kunit_domain(test, inst, 0);
		start = ALIGN_DOWN(info.resv_start[0], SZ_4K);
		/* Allowed like hardware does, but counted */
		KUNIT_EXPECT_EQ(test, iommu_map(domain, start, SZ_1G, SZ_4K,
						IOMMU_READ, GFP_KERNEL), 0);
		KUNIT_EXPECT_EQ(test, mock_kunit_counters(test, inst).resv_maps,
				1);
		KUNIT_EXPECT_EQ(test, iommu_unmap(domain, start, SZ_4K), SZ_4K);
		/* Just below the region is fine */
		if (start >= SZ_4K) {
			KUNIT_EXPECT_EQ(test, iommu_map(domain, start - SZ_4K,
							SZ_1G, SZ_4K,
							IOMMU_READ,
							GFP_KERNEL), 0);
			KUNIT_EXPECT_EQ(test, iommu_unmap(domain,
							  start - SZ_4K,
							  SZ_4K), SZ_4K);
		}
		KUNIT_EXPECT_EQ(test, mock_kunit_counters(test, inst).resv_maps,
				1);
		return;
	}
	kunit_skip(test, "no instance with a reserved region in its aperture");
}

static void mock_domain_bad_args(struct kunit *test)
{
	struct iommu_domain *domain = mock_kunit_domain(test, 0, 0);
	struct mock_iommu_translation t;

	/* Misaligned maps are refused by the core before reaching the mock */
	KUNIT_EXPECT_EQ(test, iommu_map(domain, SZ_4K + 1, SZ_1G, SZ_4K,
					IOMMU_READ, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, mock_iommu_lookup(domain, SZ_4K, &t), -ENOENT);
	KUNIT_EXPECT_EQ(test, mock_iommu_lookup(NULL, 0, &t), -ENOENT);
	KUNIT_EXPECT_FALSE(test, mock_iommu_is_mock_domain(NULL));
	KUNIT_EXPECT_EQ(test, mock_iommu_domain_id(NULL), 0);
	KUNIT_EXPECT_NE(test, mock_iommu_domain_id(domain), 0);
	KUNIT_EXPECT_EQ(test, mock_iommu_nr_translations(domain), 0);
	KUNIT_EXPECT_EQ(test, mock_iommu_get_counters(-2, &(struct mock_iommu_counters){}),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, mock_iommu_reset_counters(mock_iommu_nr_instances()),
			-EINVAL);
	mock_kunit_expect_clean(test);
}

static struct kunit_case mock_domain_cases[] = {
	KUNIT_CASE(mock_domain_each_pgsize),
	KUNIT_CASE(mock_domain_mixed_sizes),
	KUNIT_CASE(mock_domain_unmap_run_of_small),
	KUNIT_CASE(mock_domain_map_overlap),
	KUNIT_CASE(mock_domain_unmap_mismatch),
	KUNIT_CASE(mock_domain_leak),
	KUNIT_CASE(mock_domain_iotlb_sync),
	KUNIT_CASE(mock_domain_iotlb_interleaved),
	KUNIT_CASE(mock_domain_iotlb_reuse),
	KUNIT_CASE(mock_domain_aperture),
	KUNIT_CASE(mock_domain_resv_map),
	KUNIT_CASE(mock_domain_bad_args),
	{}
};

static struct kunit_suite mock_domain_suite = {
	.name = "vfio_mdom_mock_domain",
	.init = mock_kunit_init,
	.exit = mock_kunit_exit,
	.test_cases = mock_domain_cases,
};

kunit_test_suite(mock_domain_suite);

MODULE_DESCRIPTION("KUnit tests of the vfio-mdom mock IOMMU");
MODULE_LICENSE("GPL");
