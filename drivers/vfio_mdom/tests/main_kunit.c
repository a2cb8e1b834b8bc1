// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the container's version and extension answers.
 */
#include <kunit/test.h>
#include <linux/vfio.h>

#include "../vfio_mdom.h"

static void mdom_check_extension_unknown(struct kunit *test)
{
	struct mdom_container c = {};

	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(&c, 0), 0);
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(&c, 12345), 0);
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(&c, ~0UL), 0);
}

static void mdom_check_extension_unimplemented(struct kunit *test)
{
	struct mdom_container c = {};

	/* Never claim what is not implemented. */
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(&c, VFIO_SPAPR_TCE_IOMMU), 0);
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(&c, VFIO_NOIOMMU_IOMMU), 0);
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(&c, VFIO_UPDATE_VADDR), 0);
}

static struct kunit_case mdom_main_cases[] = {
	KUNIT_CASE(mdom_check_extension_unknown),
	KUNIT_CASE(mdom_check_extension_unimplemented),
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
