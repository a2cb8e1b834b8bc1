// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the answers vfio-mdom gives VFIO before and at
 * VFIO_SET_IOMMU: the extensions it claims (with and without a container)
 * and the IOMMU types it opens a container for.
 */
#include <kunit/test.h>
#include <linux/err.h>
#include <linux/vfio.h>

#include "../vfio_mdom.h"

KUNIT_DEFINE_ACTION_WRAPPER(mdom_main_destroy_action, mdom_container_destroy,
			    struct mdom_container *);

static struct mdom_container *mdom_main_container(struct kunit *test,
						  u32 type)
{
	struct mdom_container *c = mdom_container_alloc(type);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, c);
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test, mdom_main_destroy_action, c),
			0);
	return c;
}

static void mdom_check_extension_unknown(struct kunit *test)
{
	struct mdom_container *c = mdom_main_container(test, VFIO_TYPE1v2_IOMMU);

	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(c, 0), 0);
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(c, 12345), 0);
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(c, ~0UL), 0);
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(NULL, 12345), 0);
}

static void mdom_check_extension_unimplemented(struct kunit *test)
{
	struct mdom_container *c = mdom_main_container(test, VFIO_TYPE1v2_IOMMU);
	static const unsigned long exts[] = {
		VFIO_SPAPR_TCE_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU,
		VFIO_NOIOMMU_IOMMU, VFIO_TYPE1_NESTING_IOMMU,
	};
	unsigned int i;

	/* Never claim what is not implemented, with or without a container. */
	for (i = 0; i < ARRAY_SIZE(exts); i++) {
		KUNIT_EXPECT_EQ_MSG(test, mdom_container_check_extension(c, exts[i]),
				    0, "extension %lu", exts[i]);
		KUNIT_EXPECT_EQ_MSG(test, mdom_container_check_extension(NULL, exts[i]),
				    0, "extension %lu", exts[i]);
	}
}

static void mdom_check_extension_implemented(struct kunit *test)
{
	struct mdom_container *c = mdom_main_container(test, VFIO_TYPE1_IOMMU);
	static const unsigned long exts[] = {
		VFIO_TYPE1_IOMMU, VFIO_TYPE1v2_IOMMU, VFIO_UNMAP_ALL,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(exts); i++) {
		KUNIT_EXPECT_EQ(test, mdom_container_check_extension(c, exts[i]), 1);
		/* What VFIO_SET_IOMMU polls drivers with. */
		KUNIT_EXPECT_EQ(test, mdom_container_check_extension(NULL, exts[i]), 1);
	}
	/* Per container: 1 while it has no domain, as type1; 0 with none. */
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(c, VFIO_DMA_CC_IOMMU), 1);
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(NULL, VFIO_DMA_CC_IOMMU), 0);
	/* Per container too, as type1: 1 while it has no emulated group. */
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(c, VFIO_UPDATE_VADDR), 1);
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(NULL, VFIO_UPDATE_VADDR), 0);
}

/* VFIO_SET_IOMMU opens a container only for the two type1 flavours. */
static void mdom_container_types(struct kunit *test)
{
	static const unsigned long bad[] = {
		0, VFIO_SPAPR_TCE_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU,
		VFIO_NOIOMMU_IOMMU, VFIO_TYPE1_NESTING_IOMMU, 12345,
	};
	struct mdom_container *c;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_EQ_MSG(test, PTR_ERR(mdom_container_alloc(bad[i])),
				    -EINVAL, "type %lu", bad[i]);
	c = mdom_main_container(test, VFIO_TYPE1_IOMMU);
	KUNIT_EXPECT_EQ(test, c->iommu_type, VFIO_TYPE1_IOMMU);
	c = mdom_main_container(test, VFIO_TYPE1v2_IOMMU);
	KUNIT_EXPECT_EQ(test, c->iommu_type, VFIO_TYPE1v2_IOMMU);
}

static struct kunit_case mdom_main_cases[] = {
	KUNIT_CASE(mdom_check_extension_unknown),
	KUNIT_CASE(mdom_check_extension_unimplemented),
	KUNIT_CASE(mdom_check_extension_implemented),
	KUNIT_CASE(mdom_container_types),
	{}
};

static struct kunit_suite mdom_main_suite = {
	.name = "vfio_mdom_main",
	.test_cases = mdom_main_cases,
};

kunit_test_suite(mdom_main_suite);

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_DESCRIPTION("KUnit tests for vfio_mdom");
MODULE_LICENSE("GPL");
