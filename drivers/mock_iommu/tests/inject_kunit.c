// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the mock IOMMU's fault injection: the Nth map, the next
 * domain allocation and the next attach fail with a chosen errno, the next
 * enforce_cache_coherency() returns false; each once.
 */
#include "mock_kunit.h"

static void mock_inject_nth_map(struct kunit *test)
{
	struct iommu_domain *domain = mock_kunit_domain(test, 0, 0);

	mock_kunit_save_knob(test, MOCK_IOMMU_KNOB_FAIL_MAP, 0);
	KUNIT_ASSERT_EQ(test, mock_iommu_fail_nth_map(0, 2, -ENOMEM), 0);
	KUNIT_EXPECT_EQ(test, iommu_map(domain, 0x10000, SZ_1G, SZ_4K,
					IOMMU_READ, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, iommu_map(domain, 0x20000, SZ_1G, SZ_4K,
					IOMMU_READ, GFP_KERNEL), -ENOMEM);
	KUNIT_EXPECT_EQ(test, iommu_map(domain, 0x30000, SZ_1G, SZ_4K,
					IOMMU_READ, GFP_KERNEL), 0);
	/* It fired once */
	KUNIT_EXPECT_EQ(test, iommu_map(domain, 0x20000, SZ_1G, SZ_4K,
					IOMMU_READ, GFP_KERNEL), 0);

	KUNIT_EXPECT_EQ(test, mock_iommu_nr_translations(domain), 3);
	KUNIT_EXPECT_EQ(test, mock_kunit_counters(test, 0).injected_failures, 1);
	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, 0x10000, SZ_4K), SZ_4K);
	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, 0x20000, SZ_4K), SZ_4K);
	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, 0x30000, SZ_4K), SZ_4K);
	mock_kunit_expect_clean(test);
}

/* A failure in the middle of one iommu_map(): the core unwinds the head */
static void mock_inject_map_unwind(struct kunit *test)
{
	unsigned int inst = mock_kunit_inst_with_pgsizes(test, SZ_4K | SZ_2M);
	struct iommu_domain *domain = mock_kunit_domain(test, inst, 0);

	/* 4K, then 2M, then 4K: three map_pages() calls, the third fails */
	mock_kunit_save_knob(test, MOCK_IOMMU_KNOB_FAIL_MAP, inst);
	KUNIT_ASSERT_EQ(test, mock_iommu_fail_nth_map(inst, 3, -ENOSPC), 0);
	KUNIT_EXPECT_EQ(test, iommu_map(domain, SZ_2M - SZ_4K, SZ_1G - SZ_4K,
					SZ_2M + SZ_8K, IOMMU_READ, GFP_KERNEL),
			-ENOSPC);
	KUNIT_EXPECT_EQ(test, mock_iommu_nr_translations(domain), 0);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, SZ_2M), 0);
	mock_kunit_expect_clean(test);
}

/* Other instances are not affected, and a cancelled injection never fires */
static void mock_inject_per_instance_and_cancel(struct kunit *test)
{
	struct iommu_domain *domain;
	unsigned int other;

	if (mock_iommu_nr_instances() < 2)
		kunit_skip(test, "needs two instances");
	other = 1;
	domain = mock_kunit_domain(test, other, 0);

	mock_kunit_save_knob(test, MOCK_IOMMU_KNOB_FAIL_MAP, 0);
	KUNIT_ASSERT_EQ(test, mock_iommu_fail_nth_map(0, 1, -EIO), 0);
	KUNIT_EXPECT_EQ(test, iommu_map(domain, 0, SZ_1G, SZ_4K, IOMMU_READ,
					GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, 0, SZ_4K), SZ_4K);
	KUNIT_ASSERT_EQ(test, mock_iommu_fail_nth_map(0, 0, 0), 0);

	domain = mock_kunit_domain(test, 0, 0);
	KUNIT_EXPECT_EQ(test, iommu_map(domain, 0, SZ_1G, SZ_4K, IOMMU_READ,
					GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, mock_kunit_counters(test, -1).injected_failures,
			0);
	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, 0, SZ_4K), SZ_4K);
	mock_kunit_expect_clean(test);
}

static void mock_inject_domain_alloc(struct kunit *test)
{
	struct device *dev = mock_iommu_device(0, 0);
	struct mock_iommu_counters before = mock_kunit_counters(test, 0);
	struct iommu_domain *domain;

	mock_kunit_save_knob(test, MOCK_IOMMU_KNOB_FAIL_DOMAIN_ALLOC, 0);
	KUNIT_ASSERT_EQ(test, mock_iommu_fail_next_domain_alloc(0, -ENOSPC), 0);
	domain = iommu_paging_domain_alloc(dev);
	KUNIT_EXPECT_TRUE(test, IS_ERR(domain));
	KUNIT_EXPECT_EQ(test, PTR_ERR(domain), -ENOSPC);
	KUNIT_EXPECT_EQ(test, mock_kunit_counters(test, 0).domains_live,
			before.domains_live);

	domain = iommu_paging_domain_alloc(dev);
	KUNIT_ASSERT_FALSE(test, IS_ERR(domain));
	/* Freed here, or when the test stops early */
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							mock_kunit_domain_free,
							domain), 0);
	kunit_release_action(test, mock_kunit_domain_free, domain);
	KUNIT_EXPECT_EQ(test, mock_kunit_counters(test, 0).injected_failures, 1);
}

static void mock_inject_attach(struct kunit *test)
{
	struct device *dev = mock_iommu_device(0, 0);
	struct iommu_group *group = mock_kunit_claim(test, 0, 0);
	struct iommu_domain *domain = mock_kunit_domain(test, 0, 0);

	mock_kunit_save_knob(test, MOCK_IOMMU_KNOB_FAIL_ATTACH, 0);
	KUNIT_ASSERT_EQ(test, mock_iommu_fail_next_attach(0, -EBUSY), 0);
	KUNIT_EXPECT_EQ(test, iommu_attach_group(domain, group), -EBUSY);
	KUNIT_EXPECT_EQ(test, mock_iommu_dev_domain_id(dev), 0);
	KUNIT_EXPECT_EQ(test, mock_kunit_attach(test, domain, group), 0);
	KUNIT_EXPECT_EQ(test, mock_iommu_dev_domain_id(dev),
			mock_iommu_domain_id(domain));
}

/* First instance that can enforce cache coherency, or skip */
static unsigned int mock_inject_inst_cc(struct kunit *test, bool cc)
{
	unsigned int i;

	for (i = 0; i < mock_iommu_nr_instances(); i++)
		if (mock_kunit_info(test, i).enforce_cc == cc)
			return i;
	kunit_skip(test, "no instance with enforce_cc %d", cc);
	return 0;
}

static bool mock_inject_enforce(struct iommu_domain *domain)
{
	return domain->ops->enforce_cache_coherency(domain);
}

static void mock_inject_enforce_cc(struct kunit *test)
{
	unsigned int inst = mock_inject_inst_cc(test, true);
	struct device *dev = mock_iommu_device(inst, 0);
	struct iommu_domain *a = mock_kunit_domain(test, inst, 0);
	struct iommu_domain *b = mock_kunit_domain(test, inst, 0);

	mock_kunit_save_knob(test, MOCK_IOMMU_KNOB_FAIL_ENFORCE_CC, inst);
	KUNIT_ASSERT_EQ(test, mock_iommu_fail_next_enforce_cc(inst, true), 0);
	/* The device still claims it */
	KUNIT_EXPECT_TRUE(test,
			  device_iommu_capable(dev,
					       IOMMU_CAP_ENFORCE_CACHE_COHERENCY));
	KUNIT_EXPECT_FALSE(test, mock_inject_enforce(a));
	KUNIT_EXPECT_EQ(test, mock_kunit_counters(test, inst).injected_failures,
			1);
	/* It fired once: the same domain and another one succeed now */
	KUNIT_EXPECT_TRUE(test, mock_inject_enforce(a));
	KUNIT_EXPECT_TRUE(test, mock_inject_enforce(b));
	KUNIT_EXPECT_EQ(test, mock_kunit_counters(test, -1).injected_failures,
			1);
}

static void mock_inject_enforce_cc_cancel(struct kunit *test)
{
	unsigned int inst = mock_inject_inst_cc(test, true);
	struct iommu_domain *domain = mock_kunit_domain(test, inst, 0);

	mock_kunit_save_knob(test, MOCK_IOMMU_KNOB_FAIL_ENFORCE_CC, inst);
	KUNIT_ASSERT_EQ(test, mock_iommu_fail_next_enforce_cc(inst, true), 0);
	KUNIT_ASSERT_EQ(test, mock_iommu_fail_next_enforce_cc(inst, false), 0);
	KUNIT_EXPECT_TRUE(test, mock_inject_enforce(domain));
	KUNIT_EXPECT_EQ(test, mock_kunit_counters(test, -1).injected_failures,
			0);
}

/* Only a call that would succeed consumes the injection */
static void mock_inject_enforce_cc_incapable(struct kunit *test)
{
	unsigned int no_cc = mock_inject_inst_cc(test, false);
	struct iommu_domain *domain = mock_kunit_domain(test, no_cc, 0);

	mock_kunit_save_knob(test, MOCK_IOMMU_KNOB_FAIL_ENFORCE_CC, no_cc);
	KUNIT_ASSERT_EQ(test, mock_iommu_fail_next_enforce_cc(no_cc, true), 0);
	KUNIT_EXPECT_FALSE(test, mock_inject_enforce(domain));
	KUNIT_EXPECT_EQ(test, mock_kunit_counters(test, -1).injected_failures,
			0);
	KUNIT_ASSERT_EQ(test, mock_iommu_fail_next_enforce_cc(no_cc, false), 0);
}

static void mock_inject_bad_args(struct kunit *test)
{
	unsigned int n = mock_iommu_nr_instances();

	/* Should a refusal arm anything, it goes with the test */
	mock_kunit_save_knob(test, MOCK_IOMMU_KNOB_FAIL_MAP, 0);
	mock_kunit_save_knob(test, MOCK_IOMMU_KNOB_FAIL_DOMAIN_ALLOC, 0);
	mock_kunit_save_knob(test, MOCK_IOMMU_KNOB_FAIL_ATTACH, 0);
	KUNIT_EXPECT_EQ(test, mock_iommu_fail_nth_map(n, 1, -EIO), -EINVAL);
	KUNIT_EXPECT_EQ(test, mock_iommu_fail_nth_map(0, 1, EIO), -EINVAL);
	KUNIT_EXPECT_EQ(test, mock_iommu_fail_nth_map(0, 1, -MAX_ERRNO - 1),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, mock_iommu_fail_next_domain_alloc(n, -EIO),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, mock_iommu_fail_next_attach(0, 5), -EINVAL);
	KUNIT_EXPECT_EQ(test, mock_iommu_fail_next_enforce_cc(n, true),
			-EINVAL);
	/* Nothing pending after the refusals */
	KUNIT_EXPECT_EQ(test, mock_iommu_fail_next_attach(0, 0), 0);
	KUNIT_EXPECT_EQ(test, mock_iommu_fail_next_domain_alloc(0, 0), 0);
	mock_kunit_domain(test, 0, 0);
	KUNIT_EXPECT_EQ(test, mock_kunit_counters(test, -1).injected_failures,
			0);
}

static struct kunit_case mock_inject_cases[] = {
	KUNIT_CASE(mock_inject_nth_map),
	KUNIT_CASE(mock_inject_map_unwind),
	KUNIT_CASE(mock_inject_per_instance_and_cancel),
	KUNIT_CASE(mock_inject_domain_alloc),
	KUNIT_CASE(mock_inject_attach),
	KUNIT_CASE(mock_inject_enforce_cc),
	KUNIT_CASE(mock_inject_enforce_cc_cancel),
	KUNIT_CASE(mock_inject_enforce_cc_incapable),
	KUNIT_CASE(mock_inject_bad_args),
	{}
};

static struct kunit_suite mock_inject_suite = {
	.name = "vfio_mdom_mock_inject",
	.init = mock_kunit_init,
	.exit = mock_kunit_exit,
	.test_cases = mock_inject_cases,
};

kunit_test_suite(mock_inject_suite);
