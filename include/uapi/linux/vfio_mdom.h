/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vfio-mdom: a VFIO type1-compatible IOMMU backend holding many domains.
 *
 * vfio_mdom.ko registers with VFIO as an IOMMU driver: a container opened
 * from /dev/vfio/vfio whose VFIO_SET_IOMMU asks for VFIO_TYPE1_IOMMU or
 * VFIO_TYPE1v2_IOMMU is served by vfio-mdom (while the module parameter
 * vfio_backend is on) and answers the type1 ioctls of <linux/vfio.h> with
 * the same structs, numbers and errnos. The command below is vfio-mdom's
 * own; VFIO passes it through on the container fd once VFIO_SET_IOMMU has
 * chosen vfio-mdom. On a container served by another IOMMU driver (the
 * kernel's vfio_iommu_type1) it fails with ENOTTY, which tells a program
 * which backend it got.
 *
 * vfio-mdom's own commands share VFIO's ioctl type (';') with numbers from
 * VFIO_MDOM_BASE on, clear of VFIO's (VFIO_BASE + 0..) and iommufd's
 * (0x80..). Each takes a struct that starts with @argsz and @flags:
 *
 * - @argsz is the size of the struct as the caller knows it. Smaller than
 *   the struct's first version: -EINVAL. Larger than the kernel's struct:
 *   the extra bytes must be zero (-E2BIG otherwise), so a newer binary runs
 *   on an older kernel as long as it does not use the new fields.
 * - Unknown @flags bits and non-zero reserved fields: -EINVAL.
 * - Output fields are written back for min(@argsz, kernel size) bytes.
 */
#ifndef _UAPI_LINUX_VFIO_MDOM_H
#define _UAPI_LINUX_VFIO_MDOM_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/vfio.h>

/* Name of the IOMMU driver as VFIO knows it, and of the module. */
#define VFIO_MDOM_DRIVER_NAME "vfio-mdom"

#define VFIO_MDOM_BASE		(VFIO_BASE + 100)

/**
 * struct vfio_mdom_domain_info - one IOMMU domain of a container
 * @id: container-local id, stable for the life of the domain, never 0;
 *	ids are not reused within a container
 * @flags: VFIO_MDOM_DOMAIN_ENFORCE_CC if the domain enforces cache
 *	   coherency (it blocks no-snoop DMA); VFIO_MDOM_DOMAIN_DIRTY_TRACKING
 *	   if its IOMMU can track the pages devices write (dirty bits)
 * @driver: name of the IOMMU driver: its module, or for a driver built
 *	    into the kernel the name of its IOMMU instance without the
 *	    instance number ("dmar" for dmar0), NUL-terminated
 * @iommu: name of the IOMMU instance in sysfs (/sys/class/iommu/), or ""
 * @pgsize_bitmap: page sizes the domain supports
 * @aperture_start: first IOVA the domain can translate
 * @aperture_end: last IOVA the domain can translate (inclusive)
 * @mapped_bytes: bytes of user mappings currently mapped in the domain;
 *		  equal to the container's @mapped_bytes
 * @num_groups: number of IOMMU groups attached to the domain
 * @__reserved: 0
 */
struct vfio_mdom_domain_info {
	__u32 id;
	__u32 flags;
#define VFIO_MDOM_DOMAIN_ENFORCE_CC	(1 << 0)
#define VFIO_MDOM_DOMAIN_DIRTY_TRACKING	(1 << 1)
	char driver[32];
	char iommu[32];
	__aligned_u64 pgsize_bitmap;
	__aligned_u64 aperture_start;
	__aligned_u64 aperture_end;
	__aligned_u64 mapped_bytes;
	__u32 num_groups;
	__u32 __reserved;
};

/**
 * struct vfio_mdom_group_info - one IOMMU group attached to a container
 * @group_id: the IOMMU group number (the N of /dev/vfio/N)
 * @domain_id: the &struct vfio_mdom_domain_info id it is attached to, or
 *	       0 for an emulated (mdev-style) group, which has no domain
 */
struct vfio_mdom_group_info {
	__u32 group_id;
	__u32 domain_id;
};

/**
 * struct vfio_mdom_query - ioctl(VFIO_MDOM_QUERY)
 * @argsz: sizeof(struct vfio_mdom_query)
 * @flags: must be 0
 * @num_domains: in: entries available at @domains; out: number of domains
 * @num_groups: in: entries available at @groups; out: attached groups
 * @domains: user pointer to an array of &struct vfio_mdom_domain_info,
 *	     in container order; may be 0 when @num_domains is 0
 * @groups: user pointer to an array of &struct vfio_mdom_group_info
 * @iommu_type: VFIO_TYPE1_IOMMU or VFIO_TYPE1v2_IOMMU, as VFIO_SET_IOMMU
 *		chose
 * @num_mappings: number of VFIO_IOMMU_MAP_DMA mappings in the container
 * @mapped_bytes: bytes those mappings cover
 * @pinned_pages: PAGE_SIZE pages the container holds pinned; each is
 *		  pinned once however many domains map it. With no IOMMU
 *		  domain (emulated groups only) mappings are not pinned: the
 *		  pages emulated devices pin are
 * @locked_pages: of @pinned_pages, those whose RLIMIT_MEMLOCK charge
 *		  (the mapping process's locked_vm) this container holds
 *		  alone
 * @dma_avail: VFIO_IOMMU_MAP_DMA calls left before -ENOSPC
 * @dirty_mode: VFIO_MDOM_DIRTY_OFF while dirty page tracking is stopped;
 *		while started, VFIO_MDOM_DIRTY_PINNED (type1's rule: every
 *		pinned page is reported dirty) or VFIO_MDOM_DIRTY_IOMMU (every
 *		domain tracks what devices really write)
 * @shared_pages: of @pinned_pages, those whose charge is shared with
 *		  other vfio-mdom containers mapping the same pages for the
 *		  same mm: the page is charged once for all of them
 * @num_vaddr_invalid: mappings whose user address was invalidated by
 *		       VFIO_DMA_UNMAP_FLAG_VADDR and not yet given a new one
 * @__reserved: must be 0
 * @mode: out: VFIO_MDOM_MODE_TYPE1 or VFIO_MDOM_MODE_WINDOWS, as
 *	  VFIO_MDOM_SET_MODE set it
 * @num_windows: in: entries available at @windows (read only with
 *		 VFIO_MDOM_QUERY_WINDOWS in @flags); out: number of windows
 * @windows: user pointer to an array of &struct vfio_mdom_window: every
 *	     domain's valid IOVA ranges, then the declared windows
 *
 * Describe the container. Both arrays are filled in up to the entries
 * given; if either is too small the ioctl fails with EMSGSIZE after
 * writing back the struct with the counts needed, so the caller can size
 * the arrays and retry. @pinned_pages is @locked_pages + @shared_pages.
 * With VFIO_MDOM_QUERY_WINDOWS in @flags, the windows are filled in the
 * same way (a third array that can give EMSGSIZE); without it they are
 * only counted, so a caller that does not know them never gets EMSGSIZE
 * for them.
 */
struct vfio_mdom_query {
	__u32 argsz;
	__u32 flags;
	__u32 num_domains;
	__u32 num_groups;
	__aligned_u64 domains;
	__aligned_u64 groups;
	__u32 iommu_type;
	__u32 num_mappings;
	__aligned_u64 mapped_bytes;
	__aligned_u64 pinned_pages;
	__aligned_u64 locked_pages;
	__u32 dma_avail;
	__u32 dirty_mode;
#define VFIO_MDOM_DIRTY_OFF	0
#define VFIO_MDOM_DIRTY_PINNED	1
#define VFIO_MDOM_DIRTY_IOMMU	2
	__aligned_u64 shared_pages;
	__u32 num_vaddr_invalid;
	__u32 __reserved;
	__u32 mode;
	__u32 num_windows;
	__aligned_u64 windows;
};

#define VFIO_MDOM_QUERY_WINDOWS	(1 << 0)

#define VFIO_MDOM_QUERY		_IO(VFIO_TYPE, VFIO_MDOM_BASE + 2)

/**
 * struct vfio_mdom_window - one IOVA window of a container (VFIO_MDOM_QUERY)
 * @first: first IOVA of the window
 * @last: last IOVA of the window (inclusive)
 * @domain_id: the &struct vfio_mdom_domain_info id of the domain whose
 *	       valid range this is (its aperture minus the reserved regions
 *	       of its groups), or 0 for a window the user declared with
 *	       VFIO_MDOM_SET_MODE
 * @__reserved: 0
 *
 * The domains' windows come first, in container order and by IOVA within
 * a domain; the declared windows last, by IOVA. In VFIO_MDOM_MODE_WINDOWS
 * a mapping is mapped in exactly the domains of which one window holds it
 * whole.
 */
struct vfio_mdom_window {
	__aligned_u64 first;
	__aligned_u64 last;
	__u32 domain_id;
	__u32 __reserved;
};

/**
 * struct vfio_mdom_events - ioctl(VFIO_MDOM_EVENTS)
 * @argsz: sizeof(struct vfio_mdom_events)
 * @flags: must be 0
 * @queue_len: records the queue holds before it drops new ones: 0 for
 *	       the default (256), else 4 to 4096, rounded up to a power of two
 * @fault_burst: &struct vfio_mdom_event of type VFIO_MDOM_EVENT_DMA_FAULT
 *		 queued per second at most; the faults past it are counted,
 *		 not queued. 0 for the default (64)
 * @fd: out: the event file descriptor (O_RDONLY | O_CLOEXEC)
 * @__reserved: must be 0
 *
 * Open the container's event file: read() gives &struct vfio_mdom_event
 * records, oldest first, in whole records (a buffer shorter than one
 * record: -EINVAL); it blocks while the queue is empty unless the file is
 * O_NONBLOCK (-EAGAIN), and returns 0 (end of file) once the container is
 * gone and every record has been read. poll() reports EPOLLIN while a
 * record is waiting and EPOLLHUP once the container is gone and the queue
 * empty.
 *
 * A container has at most one event file open: EBUSY while it is (a new
 * one can be opened once it is closed). Changes made before the file was
 * opened are not reported: open it first, then read the state
 * (VFIO_IOMMU_GET_INFO, VFIO_MDOM_QUERY). The file and the container can
 * be closed in either order.
 *
 * The kernel never waits for the reader: a record that does not fit is
 * dropped and counted, and the next record the reader gets after the
 * drops is a VFIO_MDOM_EVENT_LOST record with the counts.
 */
struct vfio_mdom_events {
	__u32 argsz;
	__u32 flags;
	__u32 queue_len;
	__u32 fault_burst;
	__s32 fd;
	__u32 __reserved;
};

#define VFIO_MDOM_EVENTS	_IO(VFIO_TYPE, VFIO_MDOM_BASE + 3)

/**
 * enum vfio_mdom_event_type - what a &struct vfio_mdom_event reports
 * @VFIO_MDOM_EVENT_LOST: records were dropped (queue full) or DMA faults
 *	not queued (over @fault_burst); &vfio_mdom_event.lost has the counts
 *	since the last such record
 * @VFIO_MDOM_EVENT_DOMAIN_ADDED: a domain joined the container (after its
 *	replay); &vfio_mdom_event.domain has the number of domains before and
 *	after, so the first domain is nr_before == 0
 * @VFIO_MDOM_EVENT_DOMAIN_REMOVED: a domain left (its last group
 *	detached); nr_after == 0 after the last one
 * @VFIO_MDOM_EVENT_IOVA_RANGES: the valid IOVA ranges (GET_INFO's
 *	IOVA_RANGE capability) changed; &vfio_mdom_event.ranges
 * @VFIO_MDOM_EVENT_PGSIZES: the page sizes (GET_INFO's iova_pgsizes)
 *	changed; &vfio_mdom_event.pgsizes
 * @VFIO_MDOM_EVENT_REPLAY: the existing mappings were replayed into a new
 *	domain; &vfio_mdom_event.replay.error is 0 if done, else the -errno
 *	that failed the attach (the domain is then gone again: no
 *	DOMAIN_ADDED follows)
 * @VFIO_MDOM_EVENT_DMA_FAULT: a device DMA faulted in a domain of the
 *	container, as its IOMMU driver reported it (report_iommu_fault());
 *	&vfio_mdom_event.fault
 */
enum vfio_mdom_event_type {
	VFIO_MDOM_EVENT_LOST = 1,
	VFIO_MDOM_EVENT_DOMAIN_ADDED = 2,
	VFIO_MDOM_EVENT_DOMAIN_REMOVED = 3,
	VFIO_MDOM_EVENT_IOVA_RANGES = 4,
	VFIO_MDOM_EVENT_PGSIZES = 5,
	VFIO_MDOM_EVENT_REPLAY = 6,
	VFIO_MDOM_EVENT_DMA_FAULT = 7,
};

/**
 * struct vfio_mdom_event_lost - VFIO_MDOM_EVENT_LOST
 * @records: records dropped because the queue was full
 * @faults: DMA faults not queued because of the fault rate limit
 */
struct vfio_mdom_event_lost {
	__aligned_u64 records;
	__aligned_u64 faults;
};

/**
 * struct vfio_mdom_event_domain - VFIO_MDOM_EVENT_DOMAIN_ADDED, _REMOVED
 * @nr_before: domains of the container before the change
 * @nr_after: domains after it
 */
struct vfio_mdom_event_domain {
	__u32 nr_before;
	__u32 nr_after;
};

/**
 * struct vfio_mdom_event_ranges - VFIO_MDOM_EVENT_IOVA_RANGES
 * @nr_before: number of valid IOVA ranges before the change
 * @nr_after: number after it (0: no IOVA is valid)
 * @first: first valid IOVA after the change
 * @last: last valid IOVA after the change (below @first if @nr_after is 0)
 */
struct vfio_mdom_event_ranges {
	__u32 nr_before;
	__u32 nr_after;
	__aligned_u64 first;
	__aligned_u64 last;
};

/**
 * struct vfio_mdom_event_pgsizes - VFIO_MDOM_EVENT_PGSIZES
 * @before: iova_pgsizes before the change
 * @after: iova_pgsizes after it
 */
struct vfio_mdom_event_pgsizes {
	__aligned_u64 before;
	__aligned_u64 after;
};

/**
 * struct vfio_mdom_event_replay - VFIO_MDOM_EVENT_REPLAY
 * @error: 0, or the negative errno the replay failed with
 * @nr_mappings: mappings replayed (before the failure)
 * @bytes: bytes they cover
 */
struct vfio_mdom_event_replay {
	__s32 error;
	__u32 nr_mappings;
	__aligned_u64 bytes;
};

/**
 * struct vfio_mdom_event_fault - VFIO_MDOM_EVENT_DMA_FAULT
 * @iova: the faulting IOVA
 * @group_id: IOMMU group of the device that faulted, -1 if unknown
 * @flags: VFIO_MDOM_FAULT_WRITE for a write (else a read)
 */
struct vfio_mdom_event_fault {
	__aligned_u64 iova;
	__s32 group_id;
	__u32 flags;
#define VFIO_MDOM_FAULT_WRITE	(1 << 0)
};

/**
 * struct vfio_mdom_event - one record read from a VFIO_MDOM_EVENTS file
 * @type: enum vfio_mdom_event_type
 * @__reserved: 0
 * @domain_id: the &struct vfio_mdom_domain_info id the record is about, 0
 *	       for records about the container
 * @seq: the record's number in this file, from 0, without gaps (dropped
 *	 records get none)
 * @time_ns: CLOCK_MONOTONIC time the event happened, in ns
 * @lost: VFIO_MDOM_EVENT_LOST
 * @domain: VFIO_MDOM_EVENT_DOMAIN_ADDED and _REMOVED
 * @ranges: VFIO_MDOM_EVENT_IOVA_RANGES
 * @pgsizes: VFIO_MDOM_EVENT_PGSIZES
 * @replay: VFIO_MDOM_EVENT_REPLAY
 * @fault: VFIO_MDOM_EVENT_DMA_FAULT
 * @__pad: the union's size
 *
 * Records are 64 bytes; types unknown to the reader are to be skipped.
 */
struct vfio_mdom_event {
	__u16 type;
	__u16 __reserved;
	__u32 domain_id;
	__aligned_u64 seq;
	__aligned_u64 time_ns;
	union {
		struct vfio_mdom_event_lost lost;
		struct vfio_mdom_event_domain domain;
		struct vfio_mdom_event_ranges ranges;
		struct vfio_mdom_event_pgsizes pgsizes;
		struct vfio_mdom_event_replay replay;
		struct vfio_mdom_event_fault fault;
		__u8 __pad[40];
	};
};

/**
 * struct vfio_mdom_set_mode - ioctl(VFIO_MDOM_SET_MODE)
 * @argsz: sizeof(struct vfio_mdom_set_mode)
 * @flags: must be 0
 * @mode: VFIO_MDOM_MODE_TYPE1 (the default) or VFIO_MDOM_MODE_WINDOWS
 * @num_windows: number of windows at @windows, at most
 *		 VFIO_MDOM_MAX_WINDOWS; must be 0 for VFIO_MDOM_MODE_TYPE1
 * @windows: user pointer to @num_windows &struct vfio_iova_range of
 *	     <linux/vfio.h>: the windows the user declares, sorted, not
 *	     overlapping, each starting and ending on a page boundary
 *	     (@start and @end + 1 multiples of the CPU page size)
 *
 * Choose how the container's IOVA space is made of its domains'.
 *
 * VFIO_MDOM_MODE_TYPE1, the default: every mapping is mapped in every
 * domain, so the valid IOVA space is the intersection of the domains'
 * apertures minus every group's reserved regions, and an attach that
 * would leave it empty fails; as type1.
 *
 * VFIO_MDOM_MODE_WINDOWS: each domain has its own valid ranges (its
 * windows: its aperture minus the reserved regions of its groups) and the
 * valid IOVA space is their union. A mapping is mapped in exactly the
 * domains of which one window holds it whole, so a device sees only the
 * mappings its IOMMU can hold. VFIO_IOMMU_MAP_DMA fails with EINVAL,
 * changing nothing, for a mapping that no window of any domain holds
 * whole: one that straddles two domains' windows cannot be half mapped
 * and is refused unless a third domain holds it whole. With no IOMMU
 * domain (no group yet, or emulated groups only) a mapping is recorded as
 * type1 records it, and a domain attached later gets the mappings that
 * fit it; a mapping that fits no domain (then, or after the domains that
 * held it were detached) stays in the container, reachable by emulated
 * devices, until it is unmapped or a domain that fits it is attached.
 * Attaching a group never fails because of the windows, but for a
 * reserved region that meets an existing mapping or a declared window.
 *
 * Declared windows (VFIO_MDOM_MODE_WINDOWS only, as iommufd's
 * IOMMU_IOAS_ALLOW_IOVAS): a mapping must also lie whole in one of them
 * (EINVAL otherwise), the valid IOVA space is the domains' union cut to
 * them, and attaching a group with a reserved region that meets one of
 * them fails with EINVAL. No declared window (@num_windows 0): no such
 * limit.
 *
 * VFIO_IOMMU_GET_INFO's VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE reports the
 * valid IOVA space of the mode, and VFIO_MDOM_QUERY every window and the
 * domain it belongs to; a change of them is a VFIO_MDOM_EVENT_IOVA_RANGES
 * record. Unmap, dirty page tracking, VFIO_DMA_MAP_FLAG_VADDR and
 * emulated devices work the same in both modes.
 *
 * Errors, all of which change nothing: EINVAL for unknown @flags or
 * @mode, windows in VFIO_MDOM_MODE_TYPE1, more than
 * VFIO_MDOM_MAX_WINDOWS, a window that is empty, unaligned, unsorted or
 * overlapping, a window that meets a reserved region of a group attached
 * to the container, or VFIO_MDOM_MODE_TYPE1 while the domains' windows
 * have no IOVA in common; EFAULT if @windows cannot be read; EBUSY while
 * the container holds a mapping (or a map is in progress): the mode is
 * chosen before the first map, and may be set again after the last unmap.
 */
struct vfio_mdom_set_mode {
	__u32 argsz;
	__u32 flags;
	__u32 mode;
#define VFIO_MDOM_MODE_TYPE1	0
#define VFIO_MDOM_MODE_WINDOWS	1
	__u32 num_windows;
	__aligned_u64 windows;
};

#define VFIO_MDOM_MAX_WINDOWS	16

#define VFIO_MDOM_SET_MODE	_IO(VFIO_TYPE, VFIO_MDOM_BASE + 4)

#endif /* _UAPI_LINUX_VFIO_MDOM_H */
