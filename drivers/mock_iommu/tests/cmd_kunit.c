// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the mock's typed test interface (cmd.c,
 * mock_iommu_test.h): the ioctl handler's argument checks on structs in the
 * test's own user memory (kunit_vm_mmap()), and its counters and knobs
 * against the in-kernel API.
 */
#include <linux/mman.h>
#include <linux/uaccess.h>
#include <kunit/visibility.h>

#include "mock_kunit.h"
#include "../mock_private.h"

/* A page of user memory in the test's own mm */
static void __user *cmd_user_page(struct kunit *test)
{
	unsigned long addr;

	addr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, addr, 0, "kunit_vm_mmap() failed");
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(addr));
	return (void __user *)addr;
}

/* @len bytes of @cmd to user memory @uptr, then the ioctl @nr on them */
static long cmd_run(struct kunit *test, void __user *uptr, unsigned int nr,
		    const void *cmd, size_t len)
{
	KUNIT_ASSERT_EQ(test, copy_to_user(uptr, cmd, len), 0);
	return mock_cmd_ioctl(nr, uptr);
}

/* Short is EINVAL; long is E2BIG unless the bytes past the struct are 0 */
static void mock_cmd_bad_size(struct kunit *test)
{
	void __user *uptr = cmd_user_page(test);
	struct {
		struct mock_iommu_knob knob;
		u64 tail;
	} big = {
		.knob = {
			.size = sizeof(big),
			.knob = MOCK_IOMMU_KNOB_UNMAP_DELAY_US,
		},
	};
	struct mock_iommu_reset_counters reset = {
		.size = sizeof(reset),
		.inst = MOCK_IOMMU_ALL_INSTANCES,
	};
	struct mock_iommu_get_counters get = {
		.size = sizeof(get),
		.inst = MOCK_IOMMU_ALL_INSTANCES,
	};
	struct mock_iommu_knob knob = big.knob;

	knob.size = sizeof(knob);
	KUNIT_EXPECT_EQ(test, cmd_run(test, uptr, MOCK_IOMMU_GET_KNOB, &knob,
				      sizeof(knob)), 0);
	knob.size = sizeof(knob) - 1;
	KUNIT_EXPECT_EQ(test, cmd_run(test, uptr, MOCK_IOMMU_GET_KNOB, &knob,
				      sizeof(knob)), -EINVAL);
	knob.size = 0;
	KUNIT_EXPECT_EQ(test, cmd_run(test, uptr, MOCK_IOMMU_SET_KNOB, &knob,
				      sizeof(knob)), -EINVAL);
	big.tail = 1;
	KUNIT_EXPECT_EQ(test, cmd_run(test, uptr, MOCK_IOMMU_GET_KNOB, &big,
				      sizeof(big)), -E2BIG);
	big.tail = 0;
	KUNIT_EXPECT_EQ(test, cmd_run(test, uptr, MOCK_IOMMU_GET_KNOB, &big,
				      sizeof(big)), 0);

	KUNIT_EXPECT_EQ(test, cmd_run(test, uptr, MOCK_IOMMU_RESET_COUNTERS,
				      &reset, sizeof(reset)), 0);
	reset.size = offsetof(struct mock_iommu_reset_counters, __reserved);
	KUNIT_EXPECT_EQ(test, cmd_run(test, uptr, MOCK_IOMMU_RESET_COUNTERS,
				      &reset, sizeof(reset)), -EINVAL);

	/* No room for counters is no counter, and their number */
	KUNIT_EXPECT_EQ(test, cmd_run(test, uptr, MOCK_IOMMU_GET_COUNTERS,
				      &get, sizeof(get)), 0);
	KUNIT_ASSERT_EQ(test, copy_from_user(&get, uptr, sizeof(get)), 0);
	KUNIT_EXPECT_EQ(test, get.nr_counters, MOCK_IOMMU_NR_COUNTERS);
	get.size = sizeof(u32);
	KUNIT_EXPECT_EQ(test, cmd_run(test, uptr, MOCK_IOMMU_GET_COUNTERS,
				      &get, sizeof(get)), -EINVAL);
}

/* Commands the table does not have, and no struct at all */
static void mock_cmd_unknown_command(struct kunit *test)
{
	void __user *uptr = cmd_user_page(test);
	struct mock_iommu_reset_counters reset = {
		.size = sizeof(reset),
		.inst = MOCK_IOMMU_ALL_INSTANCES,
	};
	static const unsigned int bad[] = {
		_IO(MOCK_IOMMU_TYPE, MOCK_IOMMU_BASE + 4),
		_IO(MOCK_IOMMU_TYPE, MOCK_IOMMU_BASE - 1),
		_IO(MOCK_IOMMU_TYPE + 1, MOCK_IOMMU_BASE + 1),
		_IOWR(MOCK_IOMMU_TYPE, MOCK_IOMMU_BASE + 1,
		      struct mock_iommu_reset_counters),
		0,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_EQ_MSG(test, cmd_run(test, uptr, bad[i], &reset,
						  sizeof(reset)), -ENOTTY,
				    "ioctl 0x%x", bad[i]);
	KUNIT_EXPECT_EQ(test, mock_cmd_ioctl(MOCK_IOMMU_RESET_COUNTERS, NULL),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, cmd_run(test, uptr, MOCK_IOMMU_RESET_COUNTERS,
				      &reset, sizeof(reset)), 0);
}

/* Flags, reserved fields, instances and addresses */
static void mock_cmd_bad_fields(struct kunit *test)
{
	void __user *uptr = cmd_user_page(test);
	struct mock_iommu_get_counters get = {
		.size = sizeof(get),
		.flags = 1,
		.inst = MOCK_IOMMU_ALL_INSTANCES,
	};
	struct mock_iommu_reset_counters reset = {
		.size = sizeof(reset),
		.inst = MOCK_IOMMU_ALL_INSTANCES,
		.__reserved = 1,
	};

	KUNIT_EXPECT_EQ(test, cmd_run(test, uptr, MOCK_IOMMU_GET_COUNTERS,
				      &get, sizeof(get)), -EINVAL);
	get.flags = 0;
	get.inst = mock_iommu_nr_instances();
	KUNIT_EXPECT_EQ(test, cmd_run(test, uptr, MOCK_IOMMU_GET_COUNTERS,
				      &get, sizeof(get)), -EINVAL);
	get.inst = -2;
	KUNIT_EXPECT_EQ(test, cmd_run(test, uptr, MOCK_IOMMU_GET_COUNTERS,
				      &get, sizeof(get)), -EINVAL);
	/* A kernel address is no user address */
	get.inst = 0;
	get.nr_counters = 1;
	get.counters_uptr = (u64)(uintptr_t)&get;
	KUNIT_EXPECT_EQ(test, cmd_run(test, uptr, MOCK_IOMMU_GET_COUNTERS,
				      &get, sizeof(get)), -EFAULT);

	KUNIT_EXPECT_EQ(test, cmd_run(test, uptr, MOCK_IOMMU_RESET_COUNTERS,
				      &reset, sizeof(reset)), -EINVAL);
	reset.__reserved = 0;
	reset.flags = 1;
	KUNIT_EXPECT_EQ(test, cmd_run(test, uptr, MOCK_IOMMU_RESET_COUNTERS,
				      &reset, sizeof(reset)), -EINVAL);
	reset.flags = 0;
	reset.inst = mock_iommu_nr_instances();
	KUNIT_EXPECT_EQ(test, cmd_run(test, uptr, MOCK_IOMMU_RESET_COUNTERS,
				      &reset, sizeof(reset)), -EINVAL);
}

/* Unknown knobs are EOPNOTSUPP; bad indexes and values EINVAL */
static void mock_cmd_bad_knob(struct kunit *test)
{
	void __user *uptr = cmd_user_page(test);
	static const struct {
		unsigned int knob;
		s64 value, arg;
	} bad[] = {
		{ MOCK_IOMMU_KNOB_FAIL_MAP, 1, 0 },
		{ MOCK_IOMMU_KNOB_FAIL_MAP, 0, -EIO },
		{ MOCK_IOMMU_KNOB_FAIL_MAP, 1, EIO },
		{ MOCK_IOMMU_KNOB_FAIL_MAP, -1, -EIO },
		{ MOCK_IOMMU_KNOB_FAIL_MAP, 1LL << 32, -EIO },
		{ MOCK_IOMMU_KNOB_FAIL_MAP, 1, -MAX_ERRNO - 1 },
		{ MOCK_IOMMU_KNOB_FAIL_DOMAIN_ALLOC, EIO, 0 },
		{ MOCK_IOMMU_KNOB_FAIL_DOMAIN_ALLOC, -EIO, 1 },
		{ MOCK_IOMMU_KNOB_FAIL_ATTACH, -MAX_ERRNO - 1, 0 },
		{ MOCK_IOMMU_KNOB_FAIL_ENFORCE_CC, 2, 0 },
		{ MOCK_IOMMU_KNOB_HOLD_UNMAP, -1, 0 },
		{ MOCK_IOMMU_KNOB_HOLD_UNMAP, 1, 1 },
		{ MOCK_IOMMU_KNOB_UNMAP_DELAY_US, 100001, 0 },
		{ MOCK_IOMMU_KNOB_KEEP_ON_UNMAP, 2, 0 },
	};
	struct mock_iommu_knob knob = { .size = sizeof(knob) };
	s64 value, arg;
	unsigned int i;

	knob.knob = MOCK_IOMMU_NR_KNOBS;
	KUNIT_EXPECT_EQ(test, cmd_run(test, uptr, MOCK_IOMMU_SET_KNOB, &knob,
				      sizeof(knob)), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, cmd_run(test, uptr, MOCK_IOMMU_GET_KNOB, &knob,
				      sizeof(knob)), -EOPNOTSUPP);
	knob.knob = U32_MAX;
	KUNIT_EXPECT_EQ(test, cmd_run(test, uptr, MOCK_IOMMU_SET_KNOB, &knob,
				      sizeof(knob)), -EOPNOTSUPP);

	knob.knob = MOCK_IOMMU_KNOB_FAIL_ATTACH;
	knob.index = mock_iommu_nr_instances();
	KUNIT_EXPECT_EQ(test, cmd_run(test, uptr, MOCK_IOMMU_SET_KNOB, &knob,
				      sizeof(knob)), -EINVAL);
	KUNIT_EXPECT_EQ(test, cmd_run(test, uptr, MOCK_IOMMU_GET_KNOB, &knob,
				      sizeof(knob)), -EINVAL);
	knob.knob = MOCK_IOMMU_KNOB_KEEP_ON_UNMAP;
	knob.index = mock_iommu_nr_emulated();
	KUNIT_EXPECT_EQ(test, cmd_run(test, uptr, MOCK_IOMMU_SET_KNOB, &knob,
				      sizeof(knob)), -EINVAL);
	knob.index = 0;
	knob.knob = MOCK_IOMMU_KNOB_FAIL_ATTACH;
	knob.flags = 1;
	KUNIT_EXPECT_EQ(test, cmd_run(test, uptr, MOCK_IOMMU_SET_KNOB, &knob,
				      sizeof(knob)), -EINVAL);
	knob.flags = 0;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		/* The knob as it was, so that a refusal can be seen */
		KUNIT_ASSERT_EQ(test, mock_iommu_get_knob(bad[i].knob, 0,
							  &value, &arg), 0);
		knob.knob = bad[i].knob;
		knob.value = bad[i].value;
		knob.arg = bad[i].arg;
		KUNIT_EXPECT_EQ_MSG(test, cmd_run(test, uptr,
						  MOCK_IOMMU_SET_KNOB, &knob,
						  sizeof(knob)), -EINVAL,
				    "knob %u value %lld arg %lld", bad[i].knob,
				    bad[i].value, bad[i].arg);
		knob.value = 1;
		knob.arg = 1;
		KUNIT_ASSERT_EQ(test, cmd_run(test, uptr, MOCK_IOMMU_GET_KNOB,
					      &knob, sizeof(knob)), 0);
		KUNIT_ASSERT_EQ(test, copy_from_user(&knob, uptr,
						     sizeof(knob)), 0);
		KUNIT_EXPECT_EQ(test, knob.value, value);
		KUNIT_EXPECT_EQ(test, knob.arg, arg);
	}
}

/* Knobs set by command are the in-kernel API's, and read back */
static void mock_cmd_knobs(struct kunit *test)
{
	void __user *uptr = cmd_user_page(test);
	struct mock_iommu_knob knob = {
		.size = sizeof(knob),
		.knob = MOCK_IOMMU_KNOB_FAIL_MAP,
		.value = 2,
		.arg = -ENOSPC,
	};
	struct iommu_domain *domain = mock_kunit_domain(test, 0, 0);
	s64 value, arg;

	/* Cancelled when the test ends, whatever happens */
	KUNIT_ASSERT_EQ(test, mock_kunit_set_knob(test,
						  MOCK_IOMMU_KNOB_FAIL_MAP, 0,
						  0, 0), 0);
	KUNIT_ASSERT_EQ(test, cmd_run(test, uptr, MOCK_IOMMU_SET_KNOB, &knob,
				      sizeof(knob)), 0);
	KUNIT_ASSERT_EQ(test, mock_iommu_get_knob(MOCK_IOMMU_KNOB_FAIL_MAP, 0,
						  &value, &arg), 0);
	KUNIT_EXPECT_EQ(test, value, 2);
	KUNIT_EXPECT_EQ(test, arg, -ENOSPC);

	knob.value = 0;
	knob.arg = 0;
	KUNIT_ASSERT_EQ(test, cmd_run(test, uptr, MOCK_IOMMU_GET_KNOB, &knob,
				      sizeof(knob)), 0);
	KUNIT_ASSERT_EQ(test, copy_from_user(&knob, uptr, sizeof(knob)), 0);
	KUNIT_EXPECT_EQ(test, knob.value, 2);
	KUNIT_EXPECT_EQ(test, knob.arg, -ENOSPC);
	KUNIT_EXPECT_EQ(test, knob.size, sizeof(knob));

	/* And it fires: the second map fails */
	KUNIT_EXPECT_EQ(test, iommu_map(domain, 0x10000, SZ_1G, SZ_4K,
					IOMMU_READ, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, iommu_map(domain, 0x20000, SZ_1G, SZ_4K,
					IOMMU_READ, GFP_KERNEL), -ENOSPC);
	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, 0x10000, SZ_4K), SZ_4K);
	KUNIT_ASSERT_EQ(test, mock_iommu_get_knob(MOCK_IOMMU_KNOB_FAIL_MAP, 0,
						  &value, &arg), 0);
	KUNIT_EXPECT_EQ(test, value, 0);
}

/* The counters by command are the in-kernel API's, by index */
static void mock_cmd_counters(struct kunit *test)
{
	void __user *uptr = cmd_user_page(test);
	struct iommu_domain *domain = mock_kunit_domain(test, 0, 0);
	struct mock_iommu_get_counters get = {
		.size = sizeof(get),
		.inst = 0,
		.nr_counters = MOCK_IOMMU_NR_COUNTERS,
		.counters_uptr = (uintptr_t)uptr + 64,
	};
	struct mock_iommu_reset_counters reset = {
		.size = sizeof(reset),
		.inst = 0,
	};
	struct mock_iommu_counters api, cmd;

	KUNIT_ASSERT_EQ(test, iommu_map(domain, 0x10000, SZ_1G, SZ_4K,
					IOMMU_READ, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, cmd_run(test, uptr, MOCK_IOMMU_GET_COUNTERS,
				      &get, sizeof(get)), 0);
	KUNIT_ASSERT_EQ(test, copy_from_user(&cmd, uptr + 64, sizeof(cmd)), 0);
	KUNIT_ASSERT_EQ(test, mock_iommu_get_counters(0, &api), 0);
	KUNIT_EXPECT_EQ(test, cmd.maps, 1);
	KUNIT_EXPECT_EQ(test, cmd.translations_live, api.translations_live);
	KUNIT_EXPECT_EQ(test, memcmp(&cmd, &api, sizeof(cmd)), 0);
	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, 0x10000, SZ_4K), SZ_4K);

	/* Reset by command: events go, gauges stay */
	KUNIT_ASSERT_EQ(test, cmd_run(test, uptr, MOCK_IOMMU_RESET_COUNTERS,
				      &reset, sizeof(reset)), 0);
	KUNIT_ASSERT_EQ(test, mock_iommu_get_counters(0, &api), 0);
	KUNIT_EXPECT_EQ(test, api.maps, 0);
	KUNIT_EXPECT_EQ(test, api.unmaps, 0);
	KUNIT_EXPECT_EQ(test, api.domain_allocs, 0);
	KUNIT_EXPECT_EQ(test, api.domains_live, cmd.domains_live);
	mock_kunit_expect_clean(test);
}

static struct kunit_case mock_cmd_cases[] = {
	KUNIT_CASE(mock_cmd_bad_size),
	KUNIT_CASE(mock_cmd_unknown_command),
	KUNIT_CASE(mock_cmd_bad_fields),
	KUNIT_CASE(mock_cmd_bad_knob),
	KUNIT_CASE(mock_cmd_knobs),
	KUNIT_CASE(mock_cmd_counters),
	{}
};

static struct kunit_suite mock_cmd_suite = {
	.name = "vfio_mdom_mock_cmd",
	.init = mock_kunit_init,
	.exit = mock_kunit_exit,
	.test_cases = mock_cmd_cases,
};

kunit_test_suite(mock_cmd_suite);
