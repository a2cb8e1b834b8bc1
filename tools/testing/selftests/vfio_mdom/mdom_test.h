/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio-mdom selftests: what every selftest includes, the harness and the
 * helper headers, plus the check every test ends with: nothing leaked.
 *
 *   sys_utils.h    files, debugfs lines, module parameters, pinned memory
 *   vfio_utils.h   the VFIO container, groups and devices
 *   mdom_utils.h   VFIO_MDOM_QUERY, vfio-mdom's debugfs and parameters
 *   mock_utils.h   the mock IOMMU's debugfs
 *   edu_utils.h    the edu device through its VFIO device fd, kmsg
 */
#ifndef _VFIO_MDOM_MDOM_TEST_H
#define _VFIO_MDOM_MDOM_TEST_H

#include "kselftest_harness.h"

#include "sys_utils.h"
#include "vfio_utils.h"
#include "mdom_utils.h"
#include "mock_utils.h"
#include "edu_utils.h"

/*
 * The driver serving @container must be @want: 0 for vfio-mdom, ENOTTY
 * for type1 (_mdom_backend()).
 */
static inline void expect_backend(struct __test_metadata *_metadata,
				  int container, int want)
{
	int got = _mdom_backend(container);

	ASSERT_EQ(want, got) {
		TH_LOG("the container is served by %s, not by %s",
		       !got ? "vfio-mdom" : got == ENOTTY ? "type1" : "nobody",
		       !want ? "vfio-mdom" : "type1");
	}
}

#define expect_backend_mdom(container) \
	expect_backend(_metadata, container, 0)
#define expect_backend_type1(container) \
	expect_backend(_metadata, container, ENOTTY)

/*
 * What must come back once a test's containers are gone: the pages the
 * system holds pinned (FOLL_PIN), this process's locked_vm, the mock
 * IOMMU's error counters and gauges, vfio-mdom's containers of this
 * process. A measurement that cannot be taken fails the test: a -1 read
 * twice would compare equal and hide a leak.
 */
struct leak_mark {
	long long pins;
	long vmlck;
	bool mock;
	struct mock_counters counters;
};

static inline void check_leak_mark(struct __test_metadata *_metadata,
				   struct leak_mark *m)
{
	int ret;

	m->pins = foll_pins_stable();
	ASSERT_LE(0, m->pins) TH_LOG("cannot read the system's pinned pages");
	m->vmlck = vmlck_kb();
	ASSERT_LE(0, m->vmlck) TH_LOG("cannot read this process's VmLck");
	m->mock = mock_loaded();
	if (m->mock) {
		ret = mock_counters(-1, &m->counters);
		ASSERT_EQ(0, ret) {
			TH_LOG("cannot read the mock's counters: %s",
			       strerror(-ret));
		}
	}
}

#define leak_mark(m) check_leak_mark(_metadata, m)

/* The system's pinned pages come to @want (foll_pins_at()) */
#define expect_pins(want) do {						\
	long long __want = (want);					\
									\
	ASSERT_LE(0, __want) TH_LOG("no pinned pages measured before");	\
	EXPECT_EQ(__want, foll_pins_at(__want))				\
		TH_LOG("pinned pages");					\
} while (0)

/*
 * After every container of the test is closed: nothing pinned, charged,
 * mapped or left in vfio-mdom's debugfs. @allow_leaks lets the mock's
 * leaked_translations move (type1 frees domains that are still mapped).
 */
static inline void check_no_leak(struct __test_metadata *_metadata,
				 const struct leak_mark *m, bool allow_leaks)
{
	struct mock_counters now;
	int moved, ret;

	expect_pins(m->pins);
	ASSERT_LE(0, m->vmlck) TH_LOG("no VmLck measured before");
	EXPECT_EQ(m->vmlck, vmlck_kb()) TH_LOG("locked_vm not given back");
	if (mdom_loaded()) {
		EXPECT_EQ(0, mdom_dbg_containers(getpid(), NULL, 0))
			TH_LOG("vfio-mdom containers left");
	}
	if (!m->mock)
		return;
	ret = mock_counters(-1, &now);
	ASSERT_EQ(0, ret) {
		TH_LOG("cannot read the mock's counters: %s", strerror(-ret));
	}
	moved = mock_counters_moved(&m->counters, &now, true, allow_leaks);
	EXPECT_EQ(-1, moved) {
		TH_LOG("mock counter %s moved: %lld -> %lld",
		       mock_counter_names[moved], m->counters.v[moved],
		       now.v[moved]);
	}
}

#define expect_no_leak(m, allow_leaks) \
	check_no_leak(_metadata, m, allow_leaks)

#endif /* _VFIO_MDOM_MDOM_TEST_H */
