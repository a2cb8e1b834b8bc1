// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the mock IOMMU as the IOMMU core sees it: one group per
 * device, capabilities per instance, which domains instances can share,
 * reserved regions and MSI isolation.
 */
#include <linux/slab.h>

#include "mock_kunit.h"

static bool mock_attach_compatible(struct kunit *test, unsigned int a,
				   unsigned int b)
{
	struct mock_iommu_instance_info ia = mock_kunit_info(test, a);
	struct mock_iommu_instance_info ib = mock_kunit_info(test, b);

	return ia.pgsize_bitmap == ib.pgsize_bitmap &&
	       ia.aperture_end == ib.aperture_end &&
	       ia.enforce_cc == ib.enforce_cc;
}

static void mock_attach_groups(struct kunit *test)
{
	unsigned int i, j, ndev = 0;
	int *ids;

	ids = kunit_kcalloc(test, MOCK_IOMMU_MAX_INSTANCES *
			    MOCK_IOMMU_MAX_DEVICES, sizeof(*ids), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ids);
	for (i = 0; i < mock_iommu_nr_instances(); i++) {
		KUNIT_EXPECT_EQ(test, mock_iommu_nr_devices(i),
				mock_kunit_info(test, i).nr_devices);
		KUNIT_EXPECT_GE(test, mock_iommu_nr_devices(i), 1);
		for (j = 0; j < mock_iommu_nr_devices(i); j++) {
			struct device *dev = mock_iommu_device(i, j);
			struct iommu_group *group = iommu_group_get(dev);
			unsigned int k;

			KUNIT_ASSERT_NOT_NULL(test, group);
			KUNIT_EXPECT_PTR_EQ(test, group, mock_iommu_group(i, j));
			KUNIT_EXPECT_TRUE(test, mock_iommu_is_mock_device(dev));
			KUNIT_EXPECT_TRUE(test, device_iommu_mapped(dev));
			/* Blocked until somebody attaches a paging domain */
			KUNIT_EXPECT_EQ(test, mock_iommu_dev_domain_id(dev), 0);
			ids[ndev] = iommu_group_id(group);
			iommu_group_put(group);
			for (k = 0; k < ndev; k++)
				KUNIT_EXPECT_NE(test, ids[k], ids[ndev]);
			ndev++;
		}
		KUNIT_EXPECT_NULL(test, mock_iommu_device(i, j));
	}
	KUNIT_EXPECT_NULL(test, mock_iommu_device(i, 0));
	KUNIT_EXPECT_NULL(test, mock_iommu_group(i, 0));
	KUNIT_EXPECT_FALSE(test, mock_iommu_is_mock_device(NULL));
}

/* A domain works for its own instance and twins only: else -EINVAL */
static void mock_attach_incompatible(struct kunit *test)
{
	struct iommu_group *groups[MOCK_IOMMU_MAX_INSTANCES];
	unsigned int n = mock_iommu_nr_instances();
	unsigned int i, j, refused = 0;
	u32 id;

	for (j = 0; j < n; j++)
		groups[j] = mock_kunit_claim(test, j, 0);

	for (i = 0; i < n; i++) {
		struct iommu_domain *domain = mock_kunit_domain(test, i, 0);

		for (j = 0; j < n; j++) {
			bool ok = mock_attach_compatible(test, i, j);
			int rc = iommu_attach_group(domain, groups[j]);

			KUNIT_EXPECT_EQ_MSG(test, rc, ok ? 0 : -EINVAL,
					    "domain of inst %u, group of inst %u",
					    i, j);
			id = mock_iommu_dev_domain_id(mock_iommu_device(j, 0));
			if (!rc) {
				KUNIT_EXPECT_EQ(test, id,
						mock_iommu_domain_id(domain));
				iommu_detach_group(domain, groups[j]);
			} else {
				refused++;
				KUNIT_EXPECT_EQ(test, id, 0);
			}
		}
	}
	if (n >= 3)
		KUNIT_EXPECT_GT(test, refused, 0);
}

static void mock_attach_share_within_instance(struct kunit *test)
{
	struct iommu_group *g0, *g1;
	struct iommu_domain *domain;
	u32 id;

	if (mock_iommu_nr_devices(0) < 2)
		kunit_skip(test, "instance 0 has one device");
	g0 = mock_kunit_claim(test, 0, 0);
	g1 = mock_kunit_claim(test, 0, 1);
	domain = mock_kunit_domain(test, 0, 0);
	id = mock_iommu_domain_id(domain);

	KUNIT_ASSERT_EQ(test, mock_kunit_attach(test, domain, g0), 0);
	KUNIT_ASSERT_EQ(test, mock_kunit_attach(test, domain, g1), 0);
	KUNIT_EXPECT_EQ(test, mock_iommu_dev_domain_id(mock_iommu_device(0, 0)),
			id);
	KUNIT_EXPECT_EQ(test, mock_iommu_dev_domain_id(mock_iommu_device(0, 1)),
			id);
	/* Attached to something else already */
	KUNIT_EXPECT_EQ(test, iommu_attach_group(mock_kunit_domain(test, 0, 1),
						 g1), -EBUSY);
}

static void mock_attach_coherency(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < mock_iommu_nr_instances(); i++) {
		struct mock_iommu_instance_info info = mock_kunit_info(test, i);
		struct iommu_domain *domain = mock_kunit_domain(test, i, 0);
		struct device *dev = mock_iommu_device(i, 0);

		bool cc = device_iommu_capable(dev, IOMMU_CAP_CACHE_COHERENCY);
		bool ecc = device_iommu_capable(dev,
						IOMMU_CAP_ENFORCE_CACHE_COHERENCY);

		KUNIT_EXPECT_TRUE(test, cc);
		KUNIT_EXPECT_EQ(test, ecc, info.enforce_cc);
		KUNIT_ASSERT_NOT_NULL(test,
				      domain->ops->enforce_cache_coherency);
		KUNIT_EXPECT_EQ(test,
				domain->ops->enforce_cache_coherency(domain),
				info.enforce_cc);
	}
}

static void mock_attach_isolated_msi(struct kunit *test)
{
	unsigned int i, isolated = 0;

	for (i = 0; i < mock_iommu_nr_instances(); i++) {
		bool want = mock_kunit_info(test, i).isolated_msi;
		bool got = iommu_group_has_isolated_msi(mock_iommu_group(i, 0));

		KUNIT_EXPECT_EQ_MSG(test, got, want, "instance %u", i);
		isolated += want;
	}
	KUNIT_EXPECT_GT(test, isolated, 0);
}

static void mock_attach_resv_regions(struct kunit *test)
{
	unsigned int i, n;

	for (i = 0; i < mock_iommu_nr_instances(); i++) {
		struct mock_iommu_instance_info info = mock_kunit_info(test, i);
		struct iommu_resv_region *r, *next;
		LIST_HEAD(regions);
		int rc;

		rc = iommu_get_group_resv_regions(mock_iommu_group(i, 0),
						  &regions);
		KUNIT_ASSERT_EQ(test, rc, 0);
		n = 0;
		list_for_each_entry(r, &regions, list) {
			if (n < info.nr_resv) {
				KUNIT_EXPECT_EQ(test, r->start,
						info.resv_start[n]);
				KUNIT_EXPECT_EQ(test, r->start + r->length - 1,
						info.resv_end[n]);
				KUNIT_EXPECT_EQ(test, r->type,
						info.resv_type[n]);
			}
			n++;
		}
		KUNIT_EXPECT_EQ_MSG(test, n, info.nr_resv, "instance %u", i);
		list_for_each_entry_safe(r, next, &regions, list)
			kfree(r);
	}
}

static void mock_attach_geometry(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < mock_iommu_nr_instances(); i++) {
		struct mock_iommu_instance_info info = mock_kunit_info(test, i);
		struct iommu_domain *domain = mock_kunit_domain(test, i, 0);

		KUNIT_EXPECT_EQ(test, domain->type, IOMMU_DOMAIN_UNMANAGED);
		KUNIT_EXPECT_EQ(test, domain->pgsize_bitmap,
				info.pgsize_bitmap);
		KUNIT_EXPECT_EQ(test, domain->geometry.aperture_end,
				info.aperture_end);
		KUNIT_EXPECT_EQ(test, mock_iommu_nr_translations(domain), 0);
	}
}

static struct kunit_case mock_attach_cases[] = {
	KUNIT_CASE(mock_attach_groups),
	KUNIT_CASE(mock_attach_incompatible),
	KUNIT_CASE(mock_attach_share_within_instance),
	KUNIT_CASE(mock_attach_coherency),
	KUNIT_CASE(mock_attach_isolated_msi),
	KUNIT_CASE(mock_attach_resv_regions),
	KUNIT_CASE(mock_attach_geometry),
	{}
};

static struct kunit_suite mock_attach_suite = {
	.name = "vfio_mdom_mock_attach",
	.init = mock_kunit_init,
	.exit = mock_kunit_exit,
	.test_cases = mock_attach_cases,
};

kunit_test_suite(mock_attach_suite);
