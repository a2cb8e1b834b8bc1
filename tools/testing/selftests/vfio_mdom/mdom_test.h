/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio-mdom selftests: what every selftest includes, the harness and
 * libvfio_mdom (tools/lib, see libvfio_mdom.mk), plus what only tests
 * need: the asserting wrappers of the library's functions and the check
 * every test ends with, nothing leaked.
 *
 * The library's _vfio_xxx() returns 0 or -errno; vfio_xxx() asserts it
 * succeeds and vfio_xxx_err(ERRNO, ...) expects it to fail with ERRNO
 * (positive, as the errno a VMM sees), in the manner of iommufd's
 * test_cmd_xxx() and test_err_xxx(). They need the harness's _metadata: a
 * TEST/TEST_F body or a helper given it.
 */
#ifndef _VFIO_MDOM_MDOM_TEST_H
#define _VFIO_MDOM_MDOM_TEST_H

#include "kselftest_harness.h"

#include <libvfio_mdom.h>

#define vfio_set_container(group_fd, container) \
	ASSERT_EQ(0, _vfio_set_container(group_fd, container))
#define vfio_set_container_err(err, group_fd, container) \
	EXPECT_EQ(-(err), _vfio_set_container(group_fd, container))
#define vfio_unset_container(group_fd) \
	ASSERT_EQ(0, _vfio_unset_container(group_fd))
#define vfio_unset_container_err(err, group_fd) \
	EXPECT_EQ(-(err), _vfio_unset_container(group_fd))
#define vfio_set_iommu(container, type) \
	ASSERT_EQ(0, _vfio_set_iommu(container, type))
#define vfio_set_iommu_err(err, container, type) \
	EXPECT_EQ(-(err), _vfio_set_iommu(container, type))
#define vfio_map(container, iova, size, vaddr) \
	ASSERT_EQ(0, _vfio_map(container, iova, size, vaddr, VFIO_RW))
#define vfio_map_err(err, container, iova, size, vaddr, flags) \
	EXPECT_EQ(-(err), _vfio_map(container, iova, size, vaddr, flags))
/* Unmap [@iova, +@size): it must succeed and remove exactly @size bytes. */
#define vfio_unmap(container, iova, size) do {				\
	uint64_t __unmapped = 0, __size = (size);			\
									\
	ASSERT_EQ(0, _vfio_unmap(container, iova, __size, 0,		\
				 &__unmapped));				\
	ASSERT_EQ(__size, __unmapped);					\
} while (0)
#define vfio_unmap_all(container) \
	ASSERT_EQ(0, _vfio_unmap(container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, \
				 NULL))
#define vfio_unmap_err(err, container, iova, size, flags) \
	EXPECT_EQ(-(err), _vfio_unmap(container, iova, size, flags, NULL))
#define vfio_dirty_start(container) \
	ASSERT_EQ(0, _vfio_dirty_ctl(container, \
				     VFIO_IOMMU_DIRTY_PAGES_FLAG_START))
#define vfio_dirty_stop(container) \
	ASSERT_EQ(0, _vfio_dirty_ctl(container, \
				     VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP))
#define mdom_query(container, st) ASSERT_EQ(0, _mdom_query(container, st))
#define mdom_query_windows(container, st) \
	ASSERT_EQ(0, _mdom_query_windows(container, st))
#define mdom_set_mode(container, mode, win, n) \
	ASSERT_EQ(0, _mdom_set_mode(container, mode, win, n))
#define mdom_set_mode_err(err, container, mode, win, n) \
	EXPECT_EQ(-(err), _mdom_set_mode(container, mode, win, n))

/*
 * The driver serving @container must be @want: 0 for vfio-mdom, -ENOTTY
 * for type1 (_mdom_backend()).
 */
static inline void expect_backend(struct __test_metadata *_metadata,
				  int container, int want)
{
	int got = _mdom_backend(container);

	ASSERT_EQ(want, got) {
		TH_LOG("the container is served by %s, not by %s",
		       !got ? "vfio-mdom" : got == -ENOTTY ? "type1" : "nobody",
		       !want ? "vfio-mdom" : "type1");
	}
}

#define expect_backend_mdom(container) \
	expect_backend(_metadata, container, 0)
#define expect_backend_type1(container) \
	expect_backend(_metadata, container, -ENOTTY)

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
 * @driver, the IOMMU driver VFIO_MDOM_QUERY or debugfs names for the domain
 * of edu device @edu, is what sysfs says of the device's IOMMU: "dmar" on
 * the Intel vIOMMU, "ivhd" on the AMD one (tools/vm/run.sh --iommu amd).
 */
static inline void check_edu_driver(struct __test_metadata *_metadata,
				    const struct edu_dev *edu,
				    const char *driver)
{
	char want[64];

	ASSERT_EQ(0, pci_iommu_driver(edu->bdf, want, sizeof(want)));
	EXPECT_STREQ(want, driver);
}

#define expect_edu_driver(edu, driver) \
	check_edu_driver(_metadata, edu, driver)

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
		       mock_counter_name(moved), m->counters.v[moved],
		       now.v[moved]);
	}
}

#define expect_no_leak(m, allow_leaks) \
	check_no_leak(_metadata, m, allow_leaks)

#endif /* _VFIO_MDOM_MDOM_TEST_H */
