/* SPDX-License-Identifier: GPL-2.0 */
/*
 * In-kernel API of the vfio-mdom mock IOMMU (vfio_mdom_mock_iommu.ko).
 *
 * Test modules (KUnit suites of vfio_mdom and of the mock itself) use
 * these functions to find the mock's devices and groups, to act as a
 * device doing DMA through whatever domain a device is attached to, to
 * inject failures and to read the counters that must stay zero.
 *
 * Instances and devices are created at module load and never change
 * while the module is loaded. Pointers returned by mock_iommu_device()
 * and mock_iommu_group() are borrowed: they stay valid until the mock
 * module is unloaded, which cannot happen while a module that links
 * against these symbols is loaded. No reference needs to be dropped.
 *
 * The devices are ordinary IOMMU API clients: allocate a domain with
 * iommu_paging_domain_alloc(mock_iommu_device(i, j)) and attach it with
 * iommu_attach_group(domain, mock_iommu_group(i, j)) after claiming DMA
 * ownership of the group (iommu_group_claim_dma_owner()), as VFIO does.
 * That fails with -EBUSY while a VFIO user owns the group.
 *
 * Unless stated otherwise every function may sleep, and so does map/unmap
 * on a mock domain.
 */
#ifndef VFIO_MDOM_MOCK_IOMMU_H
#define VFIO_MDOM_MOCK_IOMMU_H

#include <linux/types.h>

#include "mock_iommu_test.h"

struct device;
struct iommu_domain;
struct iommu_group;
struct vfio_device;

/* Upper bound on instances and on devices per instance (module params) */
#define MOCK_IOMMU_MAX_INSTANCES	8
#define MOCK_IOMMU_MAX_DEVICES		8
/* Upper bound on reserved regions per instance */
#define MOCK_IOMMU_MAX_RESV		4
/* Upper bound on emulated devices (module parameter nr_emulated) */
#define MOCK_IOMMU_MAX_EMULATED		4
/* dma_unmap() calls an emulated device remembers */
#define MOCK_IOMMU_UNMAP_LOG		16

/**
 * struct mock_iommu_instance_info - capabilities of one mock IOMMU
 * @pgsize_bitmap: page sizes the instance's paging domains support
 * @aperture_start: first IOVA of the aperture
 * @aperture_end: last IOVA of the aperture
 * @enforce_cc: domains can enforce cache coherency (block no-snoop)
 * @isolated_msi: devices sit behind an MSI controller that isolates MSIs
 *	(iommu_group_has_isolated_msi() is true for their groups)
 * @nr_devices: number of devices behind the instance
 * @nr_resv: number of reserved regions reported for each device
 * @resv_start: first IOVA of each reserved region
 * @resv_end: last IOVA of each reserved region
 * @resv_type: enum iommu_resv_type of each reserved region
 * @dirty_tracking: the IOMMU has dirty bits (IOMMU_CAP_DIRTY_TRACKING;
 *	domain_alloc_user() takes IOMMU_HWPT_ALLOC_DIRTY_TRACKING)
 */
struct mock_iommu_instance_info {
	unsigned long pgsize_bitmap;
	u64 aperture_start;
	u64 aperture_end;
	bool enforce_cc;
	bool isolated_msi;
	unsigned int nr_devices;
	unsigned int nr_resv;
	u64 resv_start[MOCK_IOMMU_MAX_RESV];
	u64 resv_end[MOCK_IOMMU_MAX_RESV];
	int resv_type[MOCK_IOMMU_MAX_RESV];
	bool dirty_tracking;
};

/*
 * struct mock_iommu_counters, the counters by name, and the list of them
 * with what each counts come from mock_iommu_test.h, which the user-space
 * tests share. Tests assert that the MOCK_IOMMU_COUNTER_ERROR ones
 * (unmap_mismatch, map_overlap, leaked_translations, unsynced_unmaps,
 * freed_attached, resv_maps, dirty_unmap_races) stay zero, and that the
 * gauge domains_live returns to its previous value once a container is
 * gone.
 */

/**
 * struct mock_iommu_translation - one translation (page table entry)
 * @iova: first IOVA of the translation
 * @phys: first physical address it maps to
 * @size: its size, one of the domain's page sizes
 * @prot: IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE | ... as passed to map
 */
struct mock_iommu_translation {
	u64 iova;
	u64 phys;
	u64 size;
	int prot;
};

/**
 * enum mock_iommu_dma_dir - direction of a device DMA
 * @MOCK_IOMMU_DMA_READ: the device reads memory (needs IOMMU_READ)
 * @MOCK_IOMMU_DMA_WRITE: the device writes memory (needs IOMMU_WRITE)
 */
enum mock_iommu_dma_dir {
	MOCK_IOMMU_DMA_READ,
	MOCK_IOMMU_DMA_WRITE,
};

/**
 * enum mock_iommu_fault_reason - why a DMA faulted
 * @MOCK_IOMMU_FAULT_NONE: no fault recorded yet
 * @MOCK_IOMMU_FAULT_BLOCKED: no paging domain attached (DMA blocked)
 * @MOCK_IOMMU_FAULT_APERTURE: IOVA outside the domain's aperture
 * @MOCK_IOMMU_FAULT_NO_TRANSLATION: no translation for the IOVA
 * @MOCK_IOMMU_FAULT_PERM: translation lacks IOMMU_READ/IOMMU_WRITE
 * @MOCK_IOMMU_FAULT_NOT_RAM: translation points at memory that is not RAM
 */
enum mock_iommu_fault_reason {
	MOCK_IOMMU_FAULT_NONE,
	MOCK_IOMMU_FAULT_BLOCKED,
	MOCK_IOMMU_FAULT_APERTURE,
	MOCK_IOMMU_FAULT_NO_TRANSLATION,
	MOCK_IOMMU_FAULT_PERM,
	MOCK_IOMMU_FAULT_NOT_RAM,
};

/**
 * struct mock_iommu_fault - the last DMA fault of a device
 * @iova: first faulting IOVA
 * @reason: enum mock_iommu_fault_reason
 * @dir: enum mock_iommu_dma_dir of the faulting access
 * @domain_id: mock domain id the device was attached to (0: none)
 * @count: faults of this device since load or the last counter reset
 */
struct mock_iommu_fault {
	u64 iova;
	int reason;
	int dir;
	u32 domain_id;
	u64 count;
};

/* Instances and devices */
unsigned int mock_iommu_nr_instances(void);
int mock_iommu_instance_info(unsigned int inst,
			     struct mock_iommu_instance_info *info);
unsigned int mock_iommu_nr_devices(unsigned int inst);
struct device *mock_iommu_device(unsigned int inst, unsigned int idx);
struct iommu_group *mock_iommu_group(unsigned int inst, unsigned int idx);
bool mock_iommu_is_mock_device(struct device *dev);

/*
 * Counters: @inst is an instance number, or -1 for the sum over all
 * instances. Return 0 or -EINVAL for a bad instance.
 */
int mock_iommu_get_counters(int inst, struct mock_iommu_counters *out);
int mock_iommu_reset_counters(int inst);

/*
 * Domains: @domain must come from a mock device (iommu_paging_domain_alloc()
 * on a mock device); mock_iommu_is_mock_domain() tells. Domain ids are
 * unique for the module's lifetime, 0 is never used.
 */
bool mock_iommu_is_mock_domain(struct iommu_domain *domain);
u32 mock_iommu_domain_id(struct iommu_domain *domain);
/* Mock domain id a device is attached to now, 0 when blocked */
u32 mock_iommu_dev_domain_id(struct device *dev);
unsigned long mock_iommu_nr_translations(struct iommu_domain *domain);
/* Translation containing @iova: 0, or -ENOENT with *@out untouched */
int mock_iommu_lookup(struct iommu_domain *domain, u64 iova,
		      struct mock_iommu_translation *out);
/* True while an unmapped translation has not been flushed by an IOTLB sync */
bool mock_iommu_flush_pending(struct iommu_domain *domain);
/*
 * Dirty tracking (domains from domain_alloc_user() with
 * IOMMU_HWPT_ALLOC_DIRTY_TRACKING have dirty_ops): whether it is enabled,
 * and how many 4 KiB pages of [@iova, @iova + @length) are dirty now,
 * without clearing them. 0/false for anything that is not a mock domain.
 */
bool mock_iommu_dirty_tracking(struct iommu_domain *domain);
unsigned long mock_iommu_nr_dirty(struct iommu_domain *domain, u64 iova,
				  u64 length);

/*
 * Act as the device @dev: copy @len bytes between @buf and @iova through
 * the domain the device is attached to now. The whole range is checked
 * before any byte moves. Returns 0; -EIO for a fault for lack of a
 * translation (blocked, outside the aperture, no translation, not RAM);
 * -EACCES for a permission fault; -EINVAL for bad arguments. A fault is
 * recorded (mock_iommu_last_fault()) and counted (dma_faults) and moves
 * no data. A write through a domain with dirty tracking enabled sets the
 * dirty bit of every 4 KiB page it writes; -ENOMEM if that fails (no data
 * moved, the pages marked so far stay dirty).
 */
int mock_iommu_dma(struct device *dev, u64 iova, void *buf, size_t len,
		   enum mock_iommu_dma_dir dir);
int mock_iommu_last_fault(struct device *dev, struct mock_iommu_fault *out);

/*
 * Fault injection, per instance. @err is a negative errno; 0 cancels.
 * mock_iommu_fail_nth_map(): the @nth map_pages() call from now on a
 * domain of @inst fails (1 = the next one). @nth == 0 cancels.
 * mock_iommu_fail_next_domain_alloc(): the next paging domain allocation
 * for a device of @inst fails.
 * mock_iommu_fail_next_attach(): the next attach of a paging domain to a
 * device of @inst fails.
 * mock_iommu_fail_next_enforce_cc(): with @fail true, the next
 * enforce_cache_coherency() on a domain of @inst that would succeed returns
 * false instead (the domain stays as it was), although the devices keep
 * reporting IOMMU_CAP_ENFORCE_CACHE_COHERENCY; false cancels. It waits for
 * a call that would succeed: on an instance that cannot enforce coherency
 * it never fires.
 * Each injection fires once and counts in injected_failures. Return 0 or
 * -EINVAL.
 */
int mock_iommu_fail_nth_map(unsigned int inst, unsigned int nth, int err);
int mock_iommu_fail_next_domain_alloc(unsigned int inst, int err);
int mock_iommu_fail_next_attach(unsigned int inst, int err);
int mock_iommu_fail_next_enforce_cc(unsigned int inst, bool fail);

/*
 * Every knob of MOCK_IOMMU_KNOBS() (mock_iommu_test.h), the injections
 * above among them: set @value and @arg of knob @knob on instance or
 * emulated device @index, or read them back (what is still pending).
 * 0; -EOPNOTSUPP for an unknown knob; -EINVAL for a bad @index or value.
 */
int mock_iommu_set_knob(unsigned int knob, unsigned int index, s64 value,
			s64 arg);
int mock_iommu_get_knob(unsigned int knob, unsigned int index, s64 *value,
			s64 *arg);

/**
 * struct mock_iommu_pinned - a run of pages an emulated device holds pinned
 * @iova: IOVA of the first page (as the pin command gave it, plus 4 KiB
 *	per page)
 * @phys: physical address of the first page
 * @npages: consecutive pages of one pin command still held
 * @prot: IOMMU_READ and/or IOMMU_WRITE, as pinned
 */
struct mock_iommu_pinned {
	u64 iova;
	u64 phys;
	unsigned int npages;
	int prot;
};

/**
 * struct mock_iommu_unmap_call - one dma_unmap() call VFIO made
 * @iova: its IOVA
 * @length: its length in bytes
 */
struct mock_iommu_unmap_call {
	u64 iova;
	u64 length;
};

/*
 * Emulated (mdev-style) VFIO devices, @idx 0 to mock_iommu_nr_emulated()
 * - 1: registered with vfio_register_emulated_iommu_dev(), no IOMMU behind
 * them. They reach memory through the container with vfio_pin_pages() and
 * vfio_dma_rw(), which work only while a user holds the VFIO device open;
 * before that they fail with -ENOTCONN. Their dma_unmap() callback records
 * the call and unpins every page held inside the range.
 *
 * mock_iommu_emulated_pin(): vfio_pin_pages() of @npages (1 to
 * VFIO_PIN_PAGES_MAX_ENTRIES) pages from @iova with @prot (IOMMU_READ
 * and/or IOMMU_WRITE); the device keeps them. 0, -EINVAL/-E2BIG for bad
 * arguments, -ENOTCONN when not open, -ENOMEM, VFIO's errno, or -EIO when
 * VFIO pinned fewer pages than asked (they are given back).
 * mock_iommu_emulated_unpin(): unpin every held page that meets
 * [@iova, @iova + @npages * 4 KiB); -ENOENT when there was none.
 * mock_iommu_emulated_rw(): vfio_dma_rw().
 * mock_iommu_emulated_pinned(): the runs of held pages, up to @max in
 * @out; returns how many there are.
 * mock_iommu_emulated_unmap_calls(): the number of dma_unmap() calls since
 * load or reset; the last ones (at most @max and MOCK_IOMMU_UNMAP_LOG),
 * oldest first, go to @out and their count to *@nr.
 * Functions returning int give -EINVAL for a bad @idx.
 */
unsigned int mock_iommu_nr_emulated(void);
struct device *mock_iommu_emulated_device(unsigned int idx);
struct iommu_group *mock_iommu_emulated_group(unsigned int idx);
struct vfio_device *mock_iommu_emulated_vfio_device(unsigned int idx);
bool mock_iommu_emulated_is_open(unsigned int idx);
int mock_iommu_emulated_pin(unsigned int idx, u64 iova, unsigned int npages,
			    int prot);
int mock_iommu_emulated_unpin(unsigned int idx, u64 iova, u64 npages);
int mock_iommu_emulated_rw(unsigned int idx, u64 iova, void *buf, size_t len,
			   bool write);
int mock_iommu_emulated_pinned(unsigned int idx, struct mock_iommu_pinned *out,
			       unsigned int max);
unsigned long mock_iommu_emulated_nr_pinned(unsigned int idx);
int mock_iommu_emulated_unmap_calls(unsigned int idx, u64 *calls,
				    struct mock_iommu_unmap_call *out,
				    unsigned int max, unsigned int *nr);
int mock_iommu_emulated_reset_unmap_calls(unsigned int idx);

#endif /* VFIO_MDOM_MOCK_IOMMU_H */
