// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the mock IOMMU's dirty tracking: the capability, domains
 * allocated through domain_alloc_user() as iommufd and vfio-mdom do, which
 * devices can use them, and dirty bits set by device writes, per 4 KiB
 * page, read and cleared through iommu_dirty_ops.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <uapi/linux/iommufd.h>

#include "mock_kunit.h"

/* First instance with (or without) dirty tracking, or skip */
static unsigned int mock_dirty_inst(struct kunit *test, bool dirty,
				    unsigned long need_pgsizes)
{
	unsigned int i;

	for (i = 0; i < mock_iommu_nr_instances(); i++) {
		struct mock_iommu_instance_info info = mock_kunit_info(test, i);

		if (info.dirty_tracking == dirty &&
		    (info.pgsize_bitmap & need_pgsizes) == need_pgsizes)
			return i;
	}
	kunit_skip(test, "no instance with dirty_tracking %d and pgsizes 0x%lx",
		   dirty, need_pgsizes);
	return 0;
}

/*
 * The iommu_ops of a probed device. dev_iommu_ops() is private to the IOMMU
 * core in 6.12 (drivers/iommu/iommu-priv.h); this is what it reads.
 */
static const struct iommu_ops *mock_dirty_ops_of(struct device *dev)
{
	return dev->iommu->iommu_dev->ops;
}

/* ops->domain_alloc_user() on device 0 of @inst, as iommufd calls it */
static struct iommu_domain *
mock_dirty_alloc_user(struct kunit *test, unsigned int inst, u32 flags,
		      struct iommu_domain *parent,
		      const struct iommu_user_data *user_data)
{
	struct device *dev = mock_iommu_device(inst, 0);
	const struct iommu_ops *ops;
	struct iommu_domain *domain;

	KUNIT_ASSERT_NOT_NULL(test, dev);
	ops = mock_dirty_ops_of(dev);
	KUNIT_ASSERT_NOT_NULL(test, ops->domain_alloc_user);
	domain = ops->domain_alloc_user(dev, flags, parent, user_data);
	if (IS_ERR(domain))
		return domain;
	domain->owner = ops;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, mock_kunit_domain_free, domain),
			0);
	return domain;
}

/* A dirty tracking domain for @inst */
static struct iommu_domain *mock_dirty_domain(struct kunit *test,
					      unsigned int inst)
{
	struct iommu_domain *domain;

	domain = mock_dirty_alloc_user(test, inst,
				       IOMMU_HWPT_ALLOC_DIRTY_TRACKING, NULL,
				       NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(domain));
	KUNIT_ASSERT_NOT_NULL(test, domain->dirty_ops);
	return domain;
}

static int mock_dirty_set(struct iommu_domain *domain, bool enable)
{
	return domain->dirty_ops->set_dirty_tracking(domain, enable);
}

/*
 * read_and_clear_dirty() of [@iova, @iova + @size) without a bitmap: the
 * reported range shows in the gather. Returns its errno; *@first and
 * *@last span what was reported, *@first > *@last when nothing was.
 */
static int mock_dirty_read(struct iommu_domain *domain, unsigned long iova,
			   size_t size, unsigned long flags,
			   unsigned long *first, unsigned long *last)
{
	struct iommu_iotlb_gather gather;
	struct iommu_dirty_bitmap dirty;
	int rc;

	iommu_dirty_bitmap_init(&dirty, NULL, &gather);
	rc = domain->dirty_ops->read_and_clear_dirty(domain, iova, size, flags,
						     &dirty);
	*first = gather.start;
	*last = gather.end;
	return rc;
}

/* Is the 4 KiB page at @iova dirty? Reads without clearing. */
static bool mock_dirty_page(struct kunit *test, struct iommu_domain *domain,
			    unsigned long iova)
{
	unsigned long first, last;

	KUNIT_EXPECT_EQ(test, mock_dirty_read(domain, iova, SZ_4K,
					      IOMMU_DIRTY_NO_CLEAR, &first,
					      &last), 0);
	if (first > last)
		return false;
	KUNIT_EXPECT_EQ(test, first, iova);
	KUNIT_EXPECT_EQ(test, last, iova + SZ_4K - 1);
	return true;
}

static void mock_dirty_free_4k(void *page)
{
	__free_pages(page, 0);
}

static void mock_dirty_free_16k(void *page)
{
	__free_pages(page, get_order(SZ_16K));
}

static void mock_dirty_free_2m(void *page)
{
	__free_pages(page, get_order(SZ_2M));
}

/* @size (4K, 16K or 2M) of zeroed memory aligned to it, freed at the end */
static phys_addr_t mock_dirty_mem(struct kunit *test, size_t size)
{
	void (*free)(void *) = size == SZ_2M ? mock_dirty_free_2m :
			       size == SZ_16K ? mock_dirty_free_16k :
			       mock_dirty_free_4k;
	struct page *pages;

	pages = alloc_pages(GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN,
			    get_order(size));
	if (!pages)
		kunit_skip(test, "no 0x%zx of contiguous memory", size);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, free, pages), 0);
	/* The buddy allocator aligns blocks to their size */
	KUNIT_ASSERT_TRUE(test, IS_ALIGNED(page_to_phys(pages), size));
	return page_to_phys(pages);
}

/* The device writes @len (at most 16) bytes at @iova */
static int mock_dirty_write(struct device *dev, u64 iova, size_t len)
{
	u8 buf[16];

	memset(buf, 0x5a, sizeof(buf));
	return mock_iommu_dma(dev, iova, buf, min(len, sizeof(buf)),
			      MOCK_IOMMU_DMA_WRITE);
}

static void mock_dirty_capability(struct kunit *test)
{
	unsigned int i, capable = 0;

	for (i = 0; i < mock_iommu_nr_instances(); i++) {
		bool want = mock_kunit_info(test, i).dirty_tracking;
		struct device *dev = mock_iommu_device(i, 0);

		KUNIT_EXPECT_EQ_MSG(test,
				    device_iommu_capable(dev,
							 IOMMU_CAP_DIRTY_TRACKING),
				    want, "instance %u", i);
		capable += want;
	}
	/* The default configuration has one such instance */
	KUNIT_EXPECT_GT(test, capable, 0);
}

/* Which allocations domain_alloc_user() takes, on every instance */
static void mock_dirty_alloc_user_flags(struct kunit *test)
{
	struct mock_iommu_counters before = mock_kunit_counters(test, -1);
	struct iommu_user_data data = {};
	unsigned int i, allocated = 0;

	for (i = 0; i < mock_iommu_nr_instances(); i++) {
		struct mock_iommu_instance_info info = mock_kunit_info(test, i);
		struct iommu_domain *plain, *dirty;

		plain = mock_dirty_alloc_user(test, i, 0, NULL, NULL);
		KUNIT_ASSERT_FALSE(test, IS_ERR(plain));
		allocated++;
		KUNIT_EXPECT_TRUE(test, mock_iommu_is_mock_domain(plain));
		KUNIT_EXPECT_EQ(test, plain->type, IOMMU_DOMAIN_UNMANAGED);
		KUNIT_EXPECT_PTR_EQ(test, plain->owner,
				    mock_dirty_ops_of(mock_iommu_device(i, 0)));
		KUNIT_EXPECT_NULL(test, plain->dirty_ops);
		KUNIT_EXPECT_EQ(test, plain->pgsize_bitmap, info.pgsize_bitmap);
		KUNIT_EXPECT_EQ(test, plain->geometry.aperture_end,
				info.aperture_end);

		dirty = mock_dirty_alloc_user(test, i,
					      IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
					      NULL, NULL);
		if (info.dirty_tracking) {
			KUNIT_ASSERT_FALSE(test, IS_ERR(dirty));
			allocated++;
			KUNIT_EXPECT_NOT_NULL(test, dirty->dirty_ops);
			KUNIT_EXPECT_FALSE(test,
					   mock_iommu_dirty_tracking(dirty));
		} else {
			KUNIT_EXPECT_EQ(test, PTR_ERR(dirty), -EOPNOTSUPP);
		}

		/* No nesting, no driver data, no other flag */
		KUNIT_EXPECT_EQ(test,
				PTR_ERR(mock_dirty_alloc_user(test, i,
							      IOMMU_HWPT_ALLOC_NEST_PARENT,
							      NULL, NULL)),
				-EOPNOTSUPP);
		KUNIT_EXPECT_EQ(test,
				PTR_ERR(mock_dirty_alloc_user(test, i, BIT(31),
							      NULL, NULL)),
				-EOPNOTSUPP);
		KUNIT_EXPECT_EQ(test,
				PTR_ERR(mock_dirty_alloc_user(test, i, 0, plain,
							      NULL)),
				-EOPNOTSUPP);
		KUNIT_EXPECT_EQ(test,
				PTR_ERR(mock_dirty_alloc_user(test, i, 0, NULL,
							      &data)),
				-EOPNOTSUPP);
	}
	KUNIT_EXPECT_EQ(test, mock_kunit_counters(test, -1).domains_live,
			before.domains_live + allocated);
	KUNIT_EXPECT_EQ(test, mock_kunit_counters(test, -1).domain_allocs,
			allocated);
}

/* Fault injection covers this allocator too */
static void mock_dirty_alloc_user_inject(struct kunit *test)
{
	unsigned int inst = mock_dirty_inst(test, true, 0);

	mock_kunit_save_knob(test, MOCK_IOMMU_KNOB_FAIL_DOMAIN_ALLOC, inst);
	KUNIT_ASSERT_EQ(test, mock_iommu_fail_next_domain_alloc(inst, -ENOSPC),
			0);
	KUNIT_EXPECT_EQ(test,
			PTR_ERR(mock_dirty_alloc_user(test, inst,
						      IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
						      NULL, NULL)),
			-ENOSPC);
	KUNIT_EXPECT_EQ(test, mock_kunit_counters(test, inst).injected_failures,
			1);
	mock_dirty_domain(test, inst);
}

/* Like Intel: a dirty tracking domain needs devices with dirty bits */
static void mock_dirty_attach(struct kunit *test)
{
	unsigned int inst = mock_dirty_inst(test, true, 0);
	struct mock_iommu_instance_info home = mock_kunit_info(test, inst);
	struct iommu_domain *domain = mock_dirty_domain(test, inst);
	unsigned int j, n = mock_iommu_nr_instances();

	for (j = 0; j < n; j++) {
		struct mock_iommu_instance_info info = mock_kunit_info(test, j);
		struct iommu_group *group = mock_kunit_claim(test, j, 0);
		bool ok = info.dirty_tracking &&
			  (j == inst ||
			   (info.pgsize_bitmap == home.pgsize_bitmap &&
			    info.aperture_end == home.aperture_end &&
			    info.enforce_cc == home.enforce_cc));
		int rc = iommu_attach_group(domain, group);

		KUNIT_EXPECT_EQ_MSG(test, rc, ok ? 0 : -EINVAL,
				    "dirty domain of inst %u, group of inst %u",
				    inst, j);
		if (!rc)
			iommu_detach_group(domain, group);
	}
}

/* Device writes dirty the 4 KiB pages they write; reads and faults do not */
static void mock_dirty_dma_small_pages(struct kunit *test)
{
	unsigned int inst = mock_dirty_inst(test, true, SZ_4K);
	struct device *dev = mock_iommu_device(inst, 0);
	struct iommu_group *group = mock_kunit_claim(test, inst, 0);
	struct iommu_domain *domain = mock_dirty_domain(test, inst);
	phys_addr_t phys = mock_dirty_mem(test, SZ_16K);
	const unsigned long iova = 0x100000;
	unsigned long first, last;
	u8 buf[16];

	KUNIT_ASSERT_EQ(test, iommu_map(domain, iova, phys, SZ_16K, IOMMU_READ | IOMMU_WRITE,
					GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, mock_kunit_attach(test, domain, group), 0);

	/* Not tracking yet */
	KUNIT_EXPECT_EQ(test, mock_dirty_write(dev, iova, 8), 0);
	KUNIT_EXPECT_EQ(test, mock_iommu_nr_dirty(domain, iova, SZ_16K), 0);

	KUNIT_ASSERT_EQ(test, mock_dirty_set(domain, true), 0);
	KUNIT_EXPECT_TRUE(test, mock_iommu_dirty_tracking(domain));
	KUNIT_EXPECT_EQ(test, mock_dirty_write(dev, iova + SZ_4K + 100, 8), 0);
	/* Straddles pages 2 and 3 */
	KUNIT_EXPECT_EQ(test, mock_dirty_write(dev, iova + 3 * SZ_4K - 4, 8),
			0);
	KUNIT_EXPECT_EQ(test, mock_iommu_dma(dev, iova, buf, sizeof(buf),
					     MOCK_IOMMU_DMA_READ), 0);
	/* A fault moves nothing and dirties nothing */
	KUNIT_EXPECT_EQ(test, mock_dirty_write(dev, iova + SZ_16K - 4, 8),
			-EIO);

	KUNIT_EXPECT_EQ(test, mock_iommu_nr_dirty(domain, iova, SZ_16K), 3);
	KUNIT_EXPECT_FALSE(test, mock_dirty_page(test, domain, iova));
	KUNIT_EXPECT_TRUE(test, mock_dirty_page(test, domain, iova + SZ_4K));
	KUNIT_EXPECT_TRUE(test, mock_dirty_page(test, domain, iova + SZ_8K));
	KUNIT_EXPECT_TRUE(test, mock_dirty_page(test,
						domain, iova + 3 * SZ_4K));
	/* Reading with IOMMU_DIRTY_NO_CLEAR left them all */
	KUNIT_EXPECT_EQ(test, mock_iommu_nr_dirty(domain, iova, SZ_16K), 3);

	/* Read and clear all: the reported span is pages 1 to 3 */
	KUNIT_EXPECT_EQ(test, mock_dirty_read(domain, iova, SZ_16K, 0, &first,
					      &last), 0);
	KUNIT_EXPECT_EQ(test, first, iova + SZ_4K);
	KUNIT_EXPECT_EQ(test, last, iova + SZ_16K - 1);
	KUNIT_EXPECT_EQ(test, mock_iommu_nr_dirty(domain, iova, SZ_16K), 0);
	KUNIT_EXPECT_EQ(test, mock_dirty_read(domain, iova, SZ_16K, 0, &first,
					      &last), 0);
	KUNIT_EXPECT_GT(test, first, last);

	KUNIT_EXPECT_EQ(test, mock_dirty_set(domain, false), 0);
	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, iova, SZ_16K), SZ_16K);
	mock_kunit_expect_clean(test);
}

/* One dirty bit per 4 KiB page, even inside a 2M translation */
static void mock_dirty_dma_large_page(struct kunit *test)
{
	unsigned int inst = mock_dirty_inst(test, true, SZ_2M);
	struct device *dev = mock_iommu_device(inst, 0);
	struct iommu_group *group = mock_kunit_claim(test, inst, 0);
	struct iommu_domain *domain = mock_dirty_domain(test, inst);
	phys_addr_t phys = mock_dirty_mem(test, SZ_2M);
	static const unsigned int dirty[] = { 0, 5, 511 };
	static const unsigned int clean[] = { 1, 4, 6, 510 };
	struct mock_iommu_translation t;
	const unsigned long iova = SZ_4M;
	unsigned long first, last;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, iommu_map(domain, iova, phys, SZ_2M, IOMMU_READ | IOMMU_WRITE,
					GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, mock_iommu_lookup(domain, iova, &t), 0);
	KUNIT_ASSERT_EQ(test, t.size, SZ_2M);
	KUNIT_ASSERT_EQ(test, mock_kunit_attach(test, domain, group), 0);
	KUNIT_ASSERT_EQ(test, mock_dirty_set(domain, true), 0);

	for (i = 0; i < ARRAY_SIZE(dirty); i++)
		KUNIT_EXPECT_EQ(test,
				mock_dirty_write(dev, iova + dirty[i] * SZ_4K + 64,
						 16), 0);
	KUNIT_EXPECT_EQ(test, mock_iommu_nr_dirty(domain, iova, SZ_2M),
			ARRAY_SIZE(dirty));
	for (i = 0; i < ARRAY_SIZE(dirty); i++)
		KUNIT_EXPECT_TRUE_MSG(test, mock_dirty_page(test, domain,
							    iova + dirty[i] * SZ_4K),
				      "page %u", dirty[i]);
	for (i = 0; i < ARRAY_SIZE(clean); i++)
		KUNIT_EXPECT_FALSE_MSG(test, mock_dirty_page(test, domain,
							     iova + clean[i] * SZ_4K),
				       "page %u", clean[i]);

	/* Clearing a part leaves the rest */
	KUNIT_EXPECT_EQ(test, mock_iommu_nr_dirty(domain, iova, SZ_8K), 1);
	KUNIT_EXPECT_TRUE(test, mock_dirty_page(test, domain, iova));
	KUNIT_EXPECT_EQ(test, mock_dirty_read(domain, iova, SZ_8K, 0, &first,
					      &last), 0);
	KUNIT_EXPECT_EQ(test, first, iova);
	KUNIT_EXPECT_EQ(test, last, iova + SZ_4K - 1);
	KUNIT_EXPECT_EQ(test, mock_iommu_nr_dirty(domain, iova, SZ_2M), 2);

	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, iova, SZ_2M), SZ_2M);
	mock_kunit_expect_clean(test);
}

/* Disabling clears every bit; a bitmap-less read works while disabled */
static void mock_dirty_disable_clears(struct kunit *test)
{
	unsigned int inst = mock_dirty_inst(test, true, SZ_4K);
	struct device *dev = mock_iommu_device(inst, 0);
	struct iommu_group *group = mock_kunit_claim(test, inst, 0);
	struct iommu_domain *domain = mock_dirty_domain(test, inst);
	phys_addr_t phys = mock_dirty_mem(test, SZ_4K);
	unsigned long first, last;

	KUNIT_ASSERT_EQ(test, iommu_map(domain, 0, phys, SZ_4K,
					IOMMU_WRITE, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, mock_kunit_attach(test, domain, group), 0);
	KUNIT_ASSERT_EQ(test, mock_dirty_set(domain, true), 0);
	/* Enabling twice is no change */
	KUNIT_ASSERT_EQ(test, mock_dirty_set(domain, true), 0);
	KUNIT_EXPECT_EQ(test, mock_dirty_write(dev, 0, 4), 0);
	KUNIT_EXPECT_EQ(test, mock_iommu_nr_dirty(domain, 0, SZ_4K), 1);

	KUNIT_EXPECT_EQ(test, mock_dirty_set(domain, false), 0);
	KUNIT_EXPECT_FALSE(test, mock_iommu_dirty_tracking(domain));
	KUNIT_EXPECT_EQ(test, mock_iommu_nr_dirty(domain, 0, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, mock_dirty_write(dev, 0, 4), 0);
	KUNIT_EXPECT_EQ(test, mock_iommu_nr_dirty(domain, 0, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, mock_dirty_read(domain, 0, SZ_4K, 0, &first,
					      &last), 0);
	KUNIT_EXPECT_GT(test, first, last);

	/* Enabled again: a fresh start */
	KUNIT_ASSERT_EQ(test, mock_dirty_set(domain, true), 0);
	KUNIT_EXPECT_EQ(test, mock_iommu_nr_dirty(domain, 0, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, 0, SZ_4K), SZ_4K);
}

/* The bits of an unmapped translation go with it */
static void mock_dirty_unmap_drops(struct kunit *test)
{
	unsigned int inst = mock_dirty_inst(test, true, SZ_4K);
	struct device *dev = mock_iommu_device(inst, 0);
	struct iommu_group *group = mock_kunit_claim(test, inst, 0);
	struct iommu_domain *domain = mock_dirty_domain(test, inst);
	phys_addr_t phys = mock_dirty_mem(test, SZ_4K);

	KUNIT_ASSERT_EQ(test, mock_kunit_attach(test, domain, group), 0);
	KUNIT_ASSERT_EQ(test, mock_dirty_set(domain, true), 0);
	KUNIT_ASSERT_EQ(test, iommu_map(domain, SZ_8K, phys, SZ_4K,
					IOMMU_WRITE, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, mock_dirty_write(dev, SZ_8K, 4), 0);
	KUNIT_EXPECT_EQ(test, mock_iommu_nr_dirty(domain, SZ_8K, SZ_4K), 1);
	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, SZ_8K, SZ_4K), SZ_4K);
	KUNIT_EXPECT_EQ(test, mock_iommu_nr_dirty(domain, 0, SZ_1G), 0);
	KUNIT_ASSERT_EQ(test, iommu_map(domain, SZ_8K, phys, SZ_4K,
					IOMMU_WRITE, GFP_KERNEL), 0);
	KUNIT_EXPECT_FALSE(test, mock_dirty_page(test, domain, SZ_8K));
	/* Freed with dirty bits set: nothing leaks (kmemleak) */
	KUNIT_EXPECT_EQ(test, mock_dirty_write(dev, SZ_8K, 4), 0);
	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, SZ_8K, SZ_4K), SZ_4K);
	mock_kunit_expect_clean(test);
}

static void mock_dirty_bad_args(struct kunit *test)
{
	unsigned int inst = mock_dirty_inst(test, true, 0);
	struct iommu_domain *domain = mock_dirty_domain(test, inst);
	unsigned long first, last;

	KUNIT_EXPECT_EQ(test, mock_dirty_read(domain, 0, 0, 0, &first, &last),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, mock_dirty_read(domain, ULONG_MAX - SZ_4K + 2,
					      SZ_4K, 0, &first, &last),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, mock_dirty_read(domain, 0, SZ_4K, BIT(5), &first,
					      &last), -EINVAL);
	KUNIT_EXPECT_FALSE(test, mock_iommu_dirty_tracking(NULL));
	KUNIT_EXPECT_EQ(test, mock_iommu_nr_dirty(NULL, 0, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, mock_iommu_nr_dirty(domain, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, mock_iommu_nr_dirty(domain, U64_MAX, 2), 0);
}

static struct kunit_case mock_dirty_cases[] = {
	KUNIT_CASE(mock_dirty_capability),
	KUNIT_CASE(mock_dirty_alloc_user_flags),
	KUNIT_CASE(mock_dirty_alloc_user_inject),
	KUNIT_CASE(mock_dirty_attach),
	KUNIT_CASE(mock_dirty_dma_small_pages),
	KUNIT_CASE(mock_dirty_dma_large_page),
	KUNIT_CASE(mock_dirty_disable_clears),
	KUNIT_CASE(mock_dirty_unmap_drops),
	KUNIT_CASE(mock_dirty_bad_args),
	{}
};

static struct kunit_suite mock_dirty_suite = {
	.name = "vfio_mdom_mock_dirty",
	.init = mock_kunit_init,
	.exit = mock_kunit_exit,
	.test_cases = mock_dirty_cases,
};

kunit_test_suite(mock_dirty_suite);
