// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the container's version and extension answers.
 */
#include <kunit/test.h>
#include <linux/vfio.h>

#include "../vfio_mdom.h"

KUNIT_DEFINE_ACTION_WRAPPER(mdom_main_destroy_action, mdom_container_destroy,
			    struct mdom_container *);

static struct mdom_container *mdom_main_container(struct kunit *test)
{
	struct mdom_container *c = mdom_container_alloc();

	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test, mdom_main_destroy_action, c),
			0);
	return c;
}

static void mdom_check_extension_unknown(struct kunit *test)
{
	struct mdom_container *c = mdom_main_container(test);

	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(c, 0), 0);
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(c, 12345), 0);
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(c, ~0UL), 0);
}

static void mdom_check_extension_unimplemented(struct kunit *test)
{
	struct mdom_container *c = mdom_main_container(test);

	/* Never claim what is not implemented. */
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(c, VFIO_SPAPR_TCE_IOMMU), 0);
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(c, VFIO_SPAPR_TCE_v2_IOMMU), 0);
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(c, VFIO_NOIOMMU_IOMMU), 0);
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(c, VFIO_UPDATE_VADDR), 0);
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(c, VFIO_TYPE1_NESTING_IOMMU), 0);
}

static void mdom_check_extension_implemented(struct kunit *test)
{
	struct mdom_container *c = mdom_main_container(test);

	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(c, VFIO_TYPE1_IOMMU), 1);
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(c, VFIO_TYPE1v2_IOMMU), 1);
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(c, VFIO_UNMAP_ALL), 1);
	/* Answered per container: 0 while it has no domain. */
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(c, VFIO_DMA_CC_IOMMU), 0);
	/* The answers do not depend on SET_IOMMU. */
	KUNIT_ASSERT_EQ(test, mdom_container_set_iommu(c, VFIO_TYPE1_IOMMU), 0);
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(c, VFIO_TYPE1v2_IOMMU), 1);
}

static struct kunit_case mdom_main_cases[] = {
	KUNIT_CASE(mdom_check_extension_unknown),
	KUNIT_CASE(mdom_check_extension_unimplemented),
	KUNIT_CASE(mdom_check_extension_implemented),
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
