/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvfio_mdom: the mock IOMMU's typed test interface (mock_cmd.c), the
 * ioctls of drivers/mock_iommu/mock_iommu_test.h on the debugfs file
 * MOCK_IOMMU_CMD_PATH.
 *
 * Every function returns 0 (or a value) or a negative errno; none asserts.
 * The counters and knobs are those of the header the mock was built from:
 * a counter added there is read, named and iterated here with no edit.
 */
#ifndef _LIBVFIO_MDOM_MOCK_CMD_H
#define _LIBVFIO_MDOM_MOCK_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include "../../../../drivers/mock_iommu/mock_iommu_test.h"

/* The command file, O_RDWR: its fd, or -errno (ENOENT: mock not loaded) */
int mock_cmd_open(void);

/*
 * The counters of instance @inst, or their sums for
 * MOCK_IOMMU_ALL_INSTANCES. -EPROTO when the mock has another number of
 * counters than this build (a stale binary or module).
 */
int mock_cmd_get_counters(int fd, int inst, struct mock_iommu_counters *out);
/* Zero the error and event counters of @inst (or all); gauges stay */
int mock_cmd_reset_counters(int fd, int inst);

/* Any knob of MOCK_IOMMU_KNOBS() on instance or emulated device @index */
int mock_cmd_set_knob(int fd, enum mock_iommu_knob_id knob,
		      unsigned int index, int64_t value, int64_t arg);
int mock_cmd_get_knob(int fd, enum mock_iommu_knob_id knob,
		      unsigned int index, int64_t *value, int64_t *arg);

/*
 * The knobs, typed. @err is a negative errno, 0 cancels (fail_nth_map:
 * @nth 0 and @err 0 cancel).
 */
int mock_cmd_fail_nth_map(int fd, unsigned int inst, unsigned int nth,
			  int err);
int mock_cmd_fail_domain_alloc(int fd, unsigned int inst, int err);
int mock_cmd_fail_attach(int fd, unsigned int inst, int err);
int mock_cmd_fail_enforce_cc(int fd, unsigned int inst, bool fail);
/* Hold the next unmap_pages() of @inst (@hold), or release and disarm */
int mock_cmd_hold_unmap(int fd, unsigned int inst, bool hold);
/* 0: idle, 1: armed, 2: an unmap_pages() is held; or -errno */
int mock_cmd_hold_unmap_state(int fd, unsigned int inst);
int mock_cmd_unmap_delay(int fd, unsigned int inst, unsigned int us);
int mock_cmd_keep_on_unmap(int fd, unsigned int emu, bool keep);

/*
 * Every counter by name: its id runs from 0 to MOCK_IOMMU_NR_COUNTERS - 1,
 * with a name, a kind and a value in struct mock_iommu_counters; or
 * mock_cmd_counters_each() calls @fn with each counter of @c in turn, until
 * @fn returns non-zero, and returns that (or 0).
 */
typedef int (*mock_cmd_counter_fn)(unsigned int id, const char *name,
				   enum mock_iommu_counter_kind kind,
				   uint64_t value, void *arg);
int mock_cmd_counters_each(const struct mock_iommu_counters *c,
			   mock_cmd_counter_fn fn, void *arg);

/* NULL for an id out of range */
const char *mock_cmd_counter_name(unsigned int id);
/* enum mock_iommu_counter_kind, or -EINVAL */
int mock_cmd_counter_kind(unsigned int id);
/* The id of counter @name, or -ENOENT */
int mock_cmd_counter_id(const char *name);
/* Counter @id of @c (0 for an id out of range) */
uint64_t mock_cmd_counter(const struct mock_iommu_counters *c,
			  unsigned int id);
/* Masks of counter kinds: 1 << enum mock_iommu_counter_kind */
#define MOCK_CMD_ERRORS		0x1
#define MOCK_CMD_EVENTS		0x2
#define MOCK_CMD_GAUGES		0x4

/*
 * The first counter of a kind in @kinds (MOCK_CMD_ERRORS, ...) that
 * differs between @a and @b, or -1: with @a all zeroes and @kinds
 * MOCK_CMD_ERRORS, the first error counter that is not zero.
 */
int mock_cmd_counters_differ(const struct mock_iommu_counters *a,
			     const struct mock_iommu_counters *b,
			     unsigned int kinds);

/* Every knob by name, as the counters: NULL, or -ENOENT */
const char *mock_cmd_knob_name(unsigned int knob);
/* enum mock_iommu_knob_scope, or -EINVAL */
int mock_cmd_knob_scope(unsigned int knob);
int mock_cmd_knob_id(const char *name);

#endif /* _LIBVFIO_MDOM_MOCK_CMD_H */
