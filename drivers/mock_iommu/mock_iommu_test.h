/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The typed test interface of the vfio-mdom mock IOMMU, shared by the mock
 * (drivers/mock_iommu/) and the user-space tests (tools/lib/mock_cmd.c).
 *
 * Like iommufd's iommufd_test.h it sits beside the test-only driver and is
 * no part of the product's uapi (include/uapi/linux/vfio_mdom.h): it exists
 * only where the mock is built, and may change with it. It uses uapi types
 * alone so that both sides compile it.
 *
 * The lists below are the one place where a counter or a knob is named:
 * the mock builds its counter array, the names of its debugfs "counters"
 * lines, struct mock_iommu_counters and its knob table from them, and the
 * tests their names and struct from the same lines. Adding a counter is
 * one line here (and the mock_count() calls that move it).
 *
 * The commands are ioctls on the debugfs file
 * /sys/kernel/debug/vfio_mdom_mock_iommu/cmd (MOCK_IOMMU_CMD_PATH).
 *
 * checkpatch cannot read X-macro lists (it takes them for expressions):
 * tools/lint.sh checks this file without COMPLEX_MACRO, MACRO_ARG_REUSE,
 * MACRO_ARG_UNUSED and TRAILING_SEMICOLON.
 */
#ifndef _MOCK_IOMMU_TEST_H
#define _MOCK_IOMMU_TEST_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define MOCK_IOMMU_CMD_PATH	"/sys/kernel/debug/vfio_mdom_mock_iommu/cmd"

/**
 * enum mock_iommu_counter_kind - what a correct user may see of a counter
 * @MOCK_IOMMU_COUNTER_ERROR: an event that a correct IOMMU user never
 *	causes: it stays zero unless a test provokes it
 * @MOCK_IOMMU_COUNTER_EVENT: an event of normal use
 * @MOCK_IOMMU_COUNTER_GAUGE: a level, never reset: back where it was once
 *	a user has gone
 *
 * Errors and events are reset by MOCK_IOMMU_RESET_COUNTERS.
 */
enum mock_iommu_counter_kind {
	MOCK_IOMMU_COUNTER_ERROR,
	MOCK_IOMMU_COUNTER_EVENT,
	MOCK_IOMMU_COUNTER_GAUGE,
};

/*
 * MOCK_IOMMU_COUNTERS(X) calls X(ID, name, kind) for every counter, in the
 * order of their index (enum mock_iommu_counter_id) and of the debugfs
 * lines. ID gives MOCK_IOMMU_CNT_ID, name the field of struct
 * mock_iommu_counters and the debugfs name.
 *
 * unmap_mismatch: unmap_pages() whose range did not cover whole
 *	translations exactly (it cut a translation or hit a hole); nothing
 *	was unmapped and 0 was returned
 * map_overlap: map_pages() over an IOVA that already had a translation;
 *	the call failed with -EEXIST
 * leaked_translations: translations still present when a domain was freed
 * unsynced_unmaps: translations unmapped but never flushed by iotlb_sync()
 *	or flush_iotlb_all() before their IOVA was mapped again or their
 *	domain was freed
 * freed_attached: domains freed while a device was still attached
 * resv_maps: maps that overlap a reserved region of the domain's instance
 *	(allowed, like hardware, but a caller bug)
 * dirty_unmap_races: read_and_clear_dirty() calls that met the range of
 *	an unmap_pages() running on the same domain (a use-after-free of page
 *	table pages on real IOMMUs); each also WARNs, once
 * dma_faults: DMA attempts that faulted (see struct mock_iommu_fault)
 * maps: successful map_pages() calls
 * unmaps: successful unmap_pages() calls
 * iotlb_syncs: iotlb_sync() calls
 * flush_all: flush_iotlb_all() calls
 * domain_allocs: paging domains allocated
 * domain_frees: paging domains freed
 * injected_failures: failures returned because of fault injection
 * domains_live: paging domains currently allocated
 * translations_live: translations currently present in all live domains
 */
#define MOCK_IOMMU_COUNTERS(X)						\
	X(UNMAP_MISMATCH, unmap_mismatch, MOCK_IOMMU_COUNTER_ERROR)	\
	X(MAP_OVERLAP, map_overlap, MOCK_IOMMU_COUNTER_ERROR)		\
	X(LEAKED_TRANSLATIONS, leaked_translations,			\
	  MOCK_IOMMU_COUNTER_ERROR)					\
	X(UNSYNCED_UNMAPS, unsynced_unmaps, MOCK_IOMMU_COUNTER_ERROR)	\
	X(FREED_ATTACHED, freed_attached, MOCK_IOMMU_COUNTER_ERROR)	\
	X(RESV_MAPS, resv_maps, MOCK_IOMMU_COUNTER_ERROR)		\
	X(DIRTY_UNMAP_RACES, dirty_unmap_races, MOCK_IOMMU_COUNTER_ERROR) \
	X(DMA_FAULTS, dma_faults, MOCK_IOMMU_COUNTER_EVENT)		\
	X(MAPS, maps, MOCK_IOMMU_COUNTER_EVENT)				\
	X(UNMAPS, unmaps, MOCK_IOMMU_COUNTER_EVENT)			\
	X(IOTLB_SYNCS, iotlb_syncs, MOCK_IOMMU_COUNTER_EVENT)		\
	X(FLUSH_ALL, flush_all, MOCK_IOMMU_COUNTER_EVENT)		\
	X(DOMAIN_ALLOCS, domain_allocs, MOCK_IOMMU_COUNTER_EVENT)	\
	X(DOMAIN_FREES, domain_frees, MOCK_IOMMU_COUNTER_EVENT)		\
	X(INJECTED_FAILURES, injected_failures, MOCK_IOMMU_COUNTER_EVENT) \
	X(DOMAINS_LIVE, domains_live, MOCK_IOMMU_COUNTER_GAUGE)		\
	X(TRANSLATIONS_LIVE, translations_live, MOCK_IOMMU_COUNTER_GAUGE)

#define __MOCK_IOMMU_CNT_ENUM(ID, name, kind)	MOCK_IOMMU_CNT_##ID,
/* Index of a counter in MOCK_IOMMU_GET_COUNTERS's array */
enum mock_iommu_counter_id {
	MOCK_IOMMU_COUNTERS(__MOCK_IOMMU_CNT_ENUM)
	MOCK_IOMMU_NR_COUNTERS
};

#undef __MOCK_IOMMU_CNT_ENUM

#define __MOCK_IOMMU_CNT_FIELD(ID, name, kind)	__u64 name;
/**
 * struct mock_iommu_counters - every counter by name, in index order
 *
 * One __u64 per MOCK_IOMMU_COUNTERS() line: the same layout as the array
 * MOCK_IOMMU_GET_COUNTERS fills, MOCK_IOMMU_NR_COUNTERS long.
 */
struct mock_iommu_counters {
	MOCK_IOMMU_COUNTERS(__MOCK_IOMMU_CNT_FIELD)
};

#undef __MOCK_IOMMU_CNT_FIELD

/**
 * enum mock_iommu_knob_scope - what a knob's index names
 * @MOCK_IOMMU_KNOB_INST: a mock IOMMU instance (debugfs instI/)
 * @MOCK_IOMMU_KNOB_EMU: an emulated device (debugfs emulated/emuN/)
 */
enum mock_iommu_knob_scope {
	MOCK_IOMMU_KNOB_INST,
	MOCK_IOMMU_KNOB_EMU,
};

/*
 * MOCK_IOMMU_KNOBS(X) calls X(ID, name, scope) for every knob: ID gives
 * MOCK_IOMMU_KNOB_ID, name is its debugfs file. What value and arg of
 * struct mock_iommu_knob mean, set and read back:
 *
 * fail_map: the @value-th map_pages() call from now on a domain of the
 *	instance fails with @arg, a negative errno; @value 0 (with @arg 0)
 *	cancels. Reads what is still pending
 * fail_domain_alloc: the next paging domain allocation for a device of
 *	the instance fails with @value, a negative errno; 0 cancels
 * fail_attach: the same for the next paging domain attach
 * fail_enforce_cc: @value 1: the next enforce_cache_coherency() that would
 *	succeed on a domain of the instance returns false; 0 cancels
 * hold_unmap: @value 1: the next unmap_pages() on a domain of the
 *	instance waits, its range in flight, until 0 is set (at most 10 s).
 *	Reads 0 (idle), 1 (armed) or 2 (an unmap_pages() waits)
 * unmap_delay_us: every unmap_pages() on a domain of the instance sleeps
 *	@value microseconds (0 to 100000) in flight
 * keep_on_unmap: @value 1: the emulated device's dma_unmap() is logged but
 *	unpins nothing, as a broken driver; 0 as it should
 *
 * @arg is 0 for every knob but fail_map.
 */
#define MOCK_IOMMU_KNOBS(X)						\
	X(FAIL_MAP, fail_map, MOCK_IOMMU_KNOB_INST)			\
	X(FAIL_DOMAIN_ALLOC, fail_domain_alloc, MOCK_IOMMU_KNOB_INST)	\
	X(FAIL_ATTACH, fail_attach, MOCK_IOMMU_KNOB_INST)		\
	X(FAIL_ENFORCE_CC, fail_enforce_cc, MOCK_IOMMU_KNOB_INST)	\
	X(HOLD_UNMAP, hold_unmap, MOCK_IOMMU_KNOB_INST)			\
	X(UNMAP_DELAY_US, unmap_delay_us, MOCK_IOMMU_KNOB_INST)		\
	X(KEEP_ON_UNMAP, keep_on_unmap, MOCK_IOMMU_KNOB_EMU)

#define __MOCK_IOMMU_KNOB_ENUM(ID, name, scope)	MOCK_IOMMU_KNOB_##ID,
enum mock_iommu_knob_id {
	MOCK_IOMMU_KNOBS(__MOCK_IOMMU_KNOB_ENUM)
	MOCK_IOMMU_NR_KNOBS
};

#undef __MOCK_IOMMU_KNOB_ENUM

/* Every instance at once, for MOCK_IOMMU_GET_COUNTERS and RESET_COUNTERS */
#define MOCK_IOMMU_ALL_INSTANCES	(-1)

/*
 * Every command's struct starts with @size, the size user space knows:
 * shorter than the command's first version gives EINVAL, longer with
 * non-zero bytes past what the mock knows E2BIG. Non-zero @flags or
 * reserved fields give EINVAL; an unknown command ENOTTY.
 */
#define MOCK_IOMMU_TYPE		'M'
#define MOCK_IOMMU_BASE		0x60

/**
 * struct mock_iommu_get_counters - ioctl(MOCK_IOMMU_GET_COUNTERS)
 * @size: sizeof(struct mock_iommu_get_counters)
 * @flags: 0
 * @inst: an instance number, or MOCK_IOMMU_ALL_INSTANCES for the sum
 * @nr_counters: in: room in @counters_uptr, in __u64s; out: the number of
 *	counters the mock has, MOCK_IOMMU_NR_COUNTERS of its build
 * @counters_uptr: user address of a __u64 array (or of a struct
 *	mock_iommu_counters) that receives the first min(in, out)
 *	@nr_counters values, in enum mock_iommu_counter_id order
 *
 * EINVAL for an instance the mock does not have.
 */
struct mock_iommu_get_counters {
	__u32 size;
	__u32 flags;
	__s32 inst;
	__u32 nr_counters;
	__aligned_u64 counters_uptr;
};

#define MOCK_IOMMU_GET_COUNTERS	_IO(MOCK_IOMMU_TYPE, MOCK_IOMMU_BASE + 0)

/**
 * struct mock_iommu_reset_counters - ioctl(MOCK_IOMMU_RESET_COUNTERS)
 * @size: sizeof(struct mock_iommu_reset_counters)
 * @flags: 0
 * @inst: an instance number, or MOCK_IOMMU_ALL_INSTANCES
 * @__reserved: 0
 *
 * Sets the error and event counters of @inst to zero, and forgets the last
 * fault of its devices; gauges stay. The debugfs counters file does the
 * same when written. EINVAL for an instance the mock does not have.
 */
struct mock_iommu_reset_counters {
	__u32 size;
	__u32 flags;
	__s32 inst;
	__u32 __reserved;
};

#define MOCK_IOMMU_RESET_COUNTERS _IO(MOCK_IOMMU_TYPE, MOCK_IOMMU_BASE + 1)

/**
 * struct mock_iommu_knob - ioctl(MOCK_IOMMU_SET_KNOB) and
 *	ioctl(MOCK_IOMMU_GET_KNOB)
 * @size: sizeof(struct mock_iommu_knob)
 * @flags: 0
 * @knob: enum mock_iommu_knob_id
 * @index: the instance or emulated device (the knob's scope)
 * @value: the knob's value, see MOCK_IOMMU_KNOBS(); out for GET_KNOB
 * @arg: its second value (fail_map's errno), 0 otherwise; out for GET_KNOB
 *
 * EOPNOTSUPP for an unknown @knob, EINVAL for an @index the mock does not
 * have or a value out of the knob's range.
 */
struct mock_iommu_knob {
	__u32 size;
	__u32 flags;
	__u32 knob;
	__u32 index;
	__s64 value;
	__s64 arg;
};

#define MOCK_IOMMU_SET_KNOB	_IO(MOCK_IOMMU_TYPE, MOCK_IOMMU_BASE + 2)
#define MOCK_IOMMU_GET_KNOB	_IO(MOCK_IOMMU_TYPE, MOCK_IOMMU_BASE + 3)

#endif /* _MOCK_IOMMU_TEST_H */
