/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the mock IOMMU's own KUnit suites: find instances by
 * capability, take DMA ownership of a mock group, allocate and attach
 * domains, all undone by KUnit actions when the test ends.
 */
#ifndef VFIO_MDOM_MOCK_KUNIT_H
#define VFIO_MDOM_MOCK_KUNIT_H

#include <kunit/test.h>
#include <linux/iommu.h>
#include <linux/sizes.h>

#include "../mock_iommu.h"

KUNIT_DEFINE_ACTION_WRAPPER(mock_kunit_release_owner,
			    iommu_group_release_dma_owner,
			    struct iommu_group *);
KUNIT_DEFINE_ACTION_WRAPPER(mock_kunit_domain_free, iommu_domain_free,
			    struct iommu_domain *);

struct mock_kunit_attach {
	struct iommu_domain *domain;
	struct iommu_group *group;
};

static inline void mock_kunit_detach(void *data)
{
	struct mock_kunit_attach *a = data;

	iommu_detach_group(a->domain, a->group);
}

static inline void mock_kunit_reset_counters(void *unused)
{
	mock_iommu_reset_counters(-1);
}

/* A knob of the mock as it was before the test set it */
struct mock_kunit_knob {
	unsigned int knob;
	unsigned int index;
	s64 value;
	s64 arg;
};

static inline void mock_kunit_knob_restore(void *data)
{
	struct mock_kunit_knob *old = data;

	/* A held unmap (hold_unmap 2) or a value gone stale: cancel */
	if (mock_iommu_set_knob(old->knob, old->index, old->value, old->arg))
		mock_iommu_set_knob(old->knob, old->index, 0, 0);
}

/*
 * Knob @knob (MOCK_IOMMU_KNOBS()) of instance or emulated device @index
 * comes back to what it is now when the test ends, however it ends: call
 * before changing it.
 */
static inline void mock_kunit_save_knob(struct kunit *test, unsigned int knob,
					unsigned int index)
{
	struct mock_kunit_knob *old;

	old = kunit_kzalloc(test, sizeof(*old), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, old);
	old->knob = knob;
	old->index = index;
	KUNIT_ASSERT_EQ(test, mock_iommu_get_knob(knob, index, &old->value,
						  &old->arg), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							mock_kunit_knob_restore,
							old), 0);
}

/* Set a knob until the test ends; what mock_iommu_set_knob() returns */
static inline int mock_kunit_set_knob(struct kunit *test, unsigned int knob,
				      unsigned int index, s64 value, s64 arg)
{
	mock_kunit_save_knob(test, knob, index);
	return mock_iommu_set_knob(knob, index, value, arg);
}

/* Suite init/exit: every test starts and ends with zeroed event counters */
static inline int mock_kunit_init(struct kunit *test)
{
	if (!mock_iommu_nr_instances())
		kunit_skip(test, "mock IOMMU has no instance");
	mock_iommu_reset_counters(-1);
	return 0;
}

static inline void mock_kunit_exit(struct kunit *test)
{
	mock_iommu_reset_counters(-1);
}

static inline struct mock_iommu_counters mock_kunit_counters(struct kunit *test,
							     int inst)
{
	struct mock_iommu_counters c;

	KUNIT_ASSERT_EQ(test, mock_iommu_get_counters(inst, &c), 0);
	return c;
}

/* The counters that must stay zero unless a test provokes them */
static inline void mock_kunit_expect_clean(struct kunit *test)
{
	struct mock_iommu_counters c = mock_kunit_counters(test, -1);

	KUNIT_EXPECT_EQ(test, c.unmap_mismatch, 0);
	KUNIT_EXPECT_EQ(test, c.map_overlap, 0);
	KUNIT_EXPECT_EQ(test, c.leaked_translations, 0);
	KUNIT_EXPECT_EQ(test, c.unsynced_unmaps, 0);
	KUNIT_EXPECT_EQ(test, c.freed_attached, 0);
}

static inline struct mock_iommu_instance_info
mock_kunit_info(struct kunit *test, unsigned int inst)
{
	struct mock_iommu_instance_info info;

	KUNIT_ASSERT_EQ(test, mock_iommu_instance_info(inst, &info), 0);
	return info;
}

/* First instance whose page sizes include all of @need, or skip */
static inline unsigned int mock_kunit_inst_with_pgsizes(struct kunit *test,
							unsigned long need)
{
	unsigned int i;

	for (i = 0; i < mock_iommu_nr_instances(); i++)
		if ((mock_kunit_info(test, i).pgsize_bitmap & need) == need)
			return i;
	kunit_skip(test, "no instance supports page sizes 0x%lx", need);
	return 0;
}

/* First instance whose aperture ends below @limit, or skip */
static inline unsigned int mock_kunit_inst_aperture_below(struct kunit *test,
							  u64 limit)
{
	unsigned int i;

	for (i = 0; i < mock_iommu_nr_instances(); i++)
		if (mock_kunit_info(test, i).aperture_end < limit)
			return i;
	kunit_skip(test, "no instance with an aperture below 0x%llx", limit);
	return 0;
}

/* A paging domain for device @idx of @inst, freed when the test ends */
static inline struct iommu_domain *mock_kunit_domain(struct kunit *test,
						     unsigned int inst,
						     unsigned int idx)
{
	struct device *dev = mock_iommu_device(inst, idx);
	struct iommu_domain *domain;

	KUNIT_ASSERT_NOT_NULL(test, dev);
	domain = iommu_paging_domain_alloc(dev);
	KUNIT_ASSERT_FALSE(test, IS_ERR(domain));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, mock_kunit_domain_free, domain),
			0);
	KUNIT_ASSERT_TRUE(test, mock_iommu_is_mock_domain(domain));
	return domain;
}

/* DMA ownership of the group of device @idx of @inst, for the test */
static inline struct iommu_group *mock_kunit_claim(struct kunit *test,
						   unsigned int inst,
						   unsigned int idx)
{
	struct iommu_group *group = mock_iommu_group(inst, idx);

	KUNIT_ASSERT_NOT_NULL(test, group);
	KUNIT_ASSERT_EQ(test, iommu_group_claim_dma_owner(group, test), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, mock_kunit_release_owner, group),
			0);
	return group;
}

/* Attach @domain to @group; detached when the test ends. Returns errno. */
static inline int mock_kunit_attach(struct kunit *test,
				    struct iommu_domain *domain,
				    struct iommu_group *group)
{
	struct mock_kunit_attach *a;
	int rc;

	rc = iommu_attach_group(domain, group);
	if (rc)
		return rc;
	a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	if (!a) {
		iommu_detach_group(domain, group);
		return -ENOMEM;
	}
	a->domain = domain;
	a->group = group;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, mock_kunit_detach, a),
			0);
	return 0;
}

#endif /* VFIO_MDOM_MOCK_KUNIT_H */
