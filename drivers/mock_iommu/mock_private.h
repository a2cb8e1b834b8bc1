/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private definitions of the vfio-mdom mock IOMMU. See main.c for the
 * overview and the debugfs interface, mock_iommu.h for the in-kernel API.
 *
 * Locking order: iommu_group::mutex -> mock_domains_lock ->
 * mock_domain::lock (IOMMU side, see struct mock_domain); mock_domain::lock
 * is also taken alone, and inject_lock and mock_domain::inflight_lock
 * (spinlocks) innermost, never together. The
 * emulated devices' mock_pins::lock is taken under VFIO's locks
 * (vfio_device_set::lock for open and close, the IOMMU backend's locks for
 * dma_unmap()), never with another lock of the mock, and is never held
 * across a call into VFIO (pins.c).
 */
#ifndef VFIO_MDOM_MOCK_PRIVATE_H
#define VFIO_MDOM_MOCK_PRIVATE_H

#include <linux/atomic.h>
#include <linux/device.h>
#include <linux/fwnode.h>
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/spinlock.h>
#include <linux/vfio.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include "mock_iommu.h"

struct seq_file;

#define MOCK_DRV_NAME	"vfio_mdom_mock_iommu"
#define MOCK_BUS_NAME	"vfio_mdom_mock"
/* Bus and driver of the emulated devices; no IOMMU serves that bus */
#define MOCK_EMU_BUS_NAME	"vfio_mdom_mock_emu"
#define MOCK_EMU_DEV_NAME	"vfio_mdom_emu"

/*
 * The registration of an IOMMU against a single bus is what the iommufd
 * selftest uses; the core exports it when CONFIG_IOMMUFD_TEST is set but
 * declares it only in its private header.
 */
#if !IS_ENABLED(CONFIG_IOMMUFD_TEST)
#error "the mock IOMMU needs CONFIG_IOMMUFD_TEST (iommu_device_register_bus)"
#endif
int iommu_device_register_bus(struct iommu_device *iommu,
			      const struct iommu_ops *ops,
			      const struct bus_type *bus,
			      struct notifier_block *nb);
void iommu_device_unregister_bus(struct iommu_device *iommu,
				 const struct bus_type *bus,
				 struct notifier_block *nb);

/* Counters: enum mock_iommu_counter_id of mock_iommu_test.h */
#define MOCK_CNT_NR	MOCK_IOMMU_NR_COUNTERS

/**
 * struct mock_counter_desc - a counter of MOCK_IOMMU_COUNTERS()
 * @name: its name in debugfs and in struct mock_iommu_counters
 * @kind: enum mock_iommu_counter_kind
 */
struct mock_counter_desc {
	const char *name;
	enum mock_iommu_counter_kind kind;
};

extern const struct mock_counter_desc mock_counter_descs[MOCK_CNT_NR];

struct mock_resv {
	u64 start;
	u64 end;
	enum iommu_resv_type type;
};

/**
 * struct mock_instance - one mock IOMMU
 * @index: instance number, position in mock_instances[]
 * @pgsize_bitmap: page sizes of its paging domains
 * @aperture_start: first IOVA of the aperture (module parameter
 *		    aperture_start, 0 by default)
 * @aperture_end: last IOVA of the aperture
 * @enforce_cc: its domains can enforce cache coherency
 * @dirty_tracking: it has dirty bits: IOMMU_CAP_DIRTY_TRACKING, and
 *	domain_alloc_user() takes IOMMU_HWPT_ALLOC_DIRTY_TRACKING
 * @isolated_msi: its devices use @msi_domain, which isolates MSIs
 * @nr_resv: entries used in @resv
 * @resv: reserved regions reported for every device of the instance
 * @nr_devices: entries used in @devs
 * @iommu: the IOMMU registered with the core, bound to @fwnode
 * @nb: bus notifier the core registers for @iommu
 * @fwnode: identifies the instance in its devices' iommu_fwspec
 * @msi_fwnode: fwnode of @msi_domain
 * @msi_domain: a marker irq domain flagged IRQ_DOMAIN_FLAG_ISOLATED_MSI;
 *	it never allocates interrupts
 * @devs: the devices behind the instance
 * @counters: see enum mock_counter; atomics, no lock
 * @inject_lock: protects the fault injection fields below
 * @fail_map_nth: the map_pages() call that fails, counted down; 0: none
 * @fail_map_err: errno it fails with
 * @fail_alloc_err: errno the next domain allocation fails with; 0: none
 * @fail_attach_err: errno the next paging attach fails with; 0: none
 * @fail_enforce_cc: the next enforce_cache_coherency() that would succeed
 *	on a domain of the instance returns false
 * @hold_unmap: the next unmap_pages() on a domain of the instance waits,
 *	its range in flight, until released (debugfs hold_unmap)
 * @unmap_held: an unmap_pages() waits now; clearing it releases it
 * @hold_wq: the held unmap_pages() waits there
 * @unmap_delay_us: every unmap_pages() sleeps this long, its range in
 *	flight (debugfs unmap_delay_us; read and written unlocked)
 *
 * Everything but the counters and the injection fields is set at module
 * load and constant until unload.
 */
struct mock_instance {
	unsigned int index;
	unsigned long pgsize_bitmap;
	u64 aperture_start;
	u64 aperture_end;
	bool enforce_cc;
	bool dirty_tracking;
	bool isolated_msi;
	unsigned int nr_resv;
	struct mock_resv resv[MOCK_IOMMU_MAX_RESV];
	unsigned int nr_devices;

	struct iommu_device iommu;
	struct notifier_block nb;
	struct fwnode_handle fwnode;
	struct fwnode_handle *msi_fwnode;
	struct irq_domain *msi_domain;
	struct mock_dev *devs[MOCK_IOMMU_MAX_DEVICES];

	atomic64_t counters[MOCK_CNT_NR];

	spinlock_t inject_lock;	/* protects the fail_* fields */
	unsigned int fail_map_nth;
	int fail_map_err;
	int fail_alloc_err;
	int fail_attach_err;
	bool fail_enforce_cc;
	bool hold_unmap;
	bool unmap_held;
	wait_queue_head_t hold_wq;
	unsigned int unmap_delay_us;
};

/**
 * struct mock_dev - a device behind a mock IOMMU, in its own group
 * @dev: the device, on the mock bus, bound to the mock VFIO driver
 * @inst: the instance it sits behind
 * @index: its number within @inst
 * @domain: paging domain it is attached to; NULL when blocked.
 *	Protected by mock_domains_lock.
 * @last_fault: last DMA fault. Protected by mock_domains_lock.
 */
struct mock_dev {
	struct device dev;
	struct mock_instance *inst;
	unsigned int index;
	struct mock_domain *domain;
	struct mock_iommu_fault last_fault;
};

/**
 * struct mock_domain - a paging domain
 * @domain: the core's domain
 * @inst: instance of the device it was allocated for; its counters and
 *	fault injection apply
 * @id: unique id, shown in debugfs
 * @node: entry in mock_domains. Protected by mock_domains_lock.
 * @attached: devices attached. Protected by mock_domains_lock.
 * @enforce_cc: enforce_cache_coherency() succeeded. Protected by
 *	mock_domains_lock.
 * @lock: serialises changes of the page table: @pt, @nr_translations,
 *	@nr_stale, and the dirty state: @dirty_tracking, @dirty, @nr_dirty
 * @pt: the page table: one value entry per translation, indexed by its
 *	first IOVA >> MOCK_PT_SHIFT (see domain.c for the encoding). Lookups
 *	are lockless (RCU inside the xarray).
 * @nr_translations: translations in @pt
 * @nr_stale: stale entries in @pt: translations unmapped but not yet
 *	flushed from the IOTLB
 * @dirty_tracking: device writes set dirty bits (domain.dirty_ops only)
 * @dirty: the dirty bits: an entry at IOVA >> MOCK_PT_SHIFT for every
 *	dirty 4 KiB page of a translation (see dirty.c)
 * @nr_dirty: entries in @dirty
 * @inflight_lock: protects @inflight (a spinlock, taken alone)
 * @inflight: the unmap_pages() and read_and_clear_dirty() calls running on
 *	the domain, struct mock_inflight (dirty.c)
 *
 * The locking order is iommu_group::mutex -> mock_domains_lock ->
 * mock_domain::lock.
 */
struct mock_domain {
	struct iommu_domain domain;
	struct mock_instance *inst;
	u32 id;
	struct list_head node;
	unsigned int attached;
	bool enforce_cc;

	struct mutex lock;	/* the page table, see above */
	struct xarray pt;
	unsigned long nr_translations;
	unsigned long nr_stale;
	bool dirty_tracking;
	struct xarray dirty;
	unsigned long nr_dirty;

	spinlock_t inflight_lock;	/* @inflight */
	struct list_head inflight;
};

/**
 * struct mock_inflight - an unmap_pages() or read_and_clear_dirty() running
 * @node: in mock_domain::inflight
 * @first: first IOVA of its range
 * @last: last IOVA of its range
 * @unmap: an unmap_pages(), else a read_and_clear_dirty()
 *
 * On the caller's stack for the duration of the call (dirty.c).
 */
struct mock_inflight {
	struct list_head node;
	unsigned long first;
	unsigned long last;
	bool unmap;
};

#define MOCK_PT_SHIFT	12

/* Pages one pin command may pin: VFIO's own limit */
#define MOCK_PIN_MAX	VFIO_PIN_PAGES_MAX_ENTRIES
#define MOCK_UNMAP_LOG	MOCK_IOMMU_UNMAP_LOG

struct mock_pins;

/**
 * struct mock_pins_backend - how an emulated device reaches VFIO
 * @pin: vfio_pin_pages(): returns the number of pages pinned or an errno
 * @unpin: vfio_unpin_pages()
 * @rw: vfio_dma_rw()
 */
struct mock_pins_backend {
	int (*pin)(struct mock_pins *p, u64 iova, int npages, int prot,
		   struct page **pages);
	void (*unpin)(struct mock_pins *p, u64 iova, int npages);
	int (*rw)(struct mock_pins *p, u64 iova, void *buf, size_t len,
		  bool write);
};

/**
 * struct mock_pins - what an emulated device holds pinned (pins.c)
 * @backend: its way to VFIO
 * @lock: protects the fields below and the records in @pins; never held
 *	across a backend call
 * @wq: woken when a record stops being busy and when an rw call ends
 * @open: the VFIO device is open: pin and rw are allowed
 * @rw_busy: rw calls in flight
 * @pins: struct mock_pin records (pins.c), by IOVA
 * @nr_pinned: pages held
 * @unmap_calls: dma_unmap() calls since load or the last reset
 * @unmap_log: the last MOCK_UNMAP_LOG calls, call i at i % MOCK_UNMAP_LOG
 * @keep_on_unmap: dma_unmap() unpins nothing (debugfs, read unlocked)
 */
struct mock_pins {
	const struct mock_pins_backend *backend;
	struct mutex lock;	/* see above */
	wait_queue_head_t wq;
	bool open;
	unsigned int rw_busy;
	struct list_head pins;
	unsigned long nr_pinned;
	u64 unmap_calls;
	struct mock_iommu_unmap_call unmap_log[MOCK_UNMAP_LOG];
	bool keep_on_unmap;
};

/**
 * struct mock_emu - an emulated (mdev-style) VFIO device (emulated.c)
 * @dev: the device, on the emulated bus, which no IOMMU serves, bound to
 *	the emulated driver
 * @index: its number N (debugfs emulated/emuN)
 * @vdev: its VFIO device while bound
 * @pins: what it holds pinned
 */
struct mock_emu {
	struct device dev;
	unsigned int index;
	struct vfio_device *vdev;
	struct mock_pins pins;
};

extern struct mock_instance *mock_instances[MOCK_IOMMU_MAX_INSTANCES];
extern unsigned int mock_nr_instances;
extern const struct bus_type mock_bus;
extern const struct iommu_ops mock_iommu_ops;
extern const struct iommu_dirty_ops mock_dirty_ops;

/* Protects the list of domains and every device's domain pointer */
extern struct mutex mock_domains_lock;
extern struct list_head mock_domains;

static inline struct mock_dev *to_mock_dev(struct device *dev)
{
	return container_of(dev, struct mock_dev, dev);
}

static inline struct mock_domain *to_mock_domain(struct iommu_domain *domain)
{
	return container_of(domain, struct mock_domain, domain);
}

static inline void mock_count(struct mock_instance *inst, enum mock_iommu_counter_id c)
{
	atomic64_inc(&inst->counters[c]);
}

static inline void mock_count_add(struct mock_instance *inst,
				  enum mock_iommu_counter_id c, s64 n)
{
	atomic64_add(n, &inst->counters[c]);
}

/* main.c */
struct mock_instance *mock_instance_get(unsigned int index);
int mock_counters_read(int index, u64 v[MOCK_CNT_NR]);
const char *mock_resv_type_name(enum iommu_resv_type type);

/* device.c */
long mock_vfio_ioctl(struct vfio_device *vdev, unsigned int cmd,
		     unsigned long arg);
int mock_driver_register(void);
void mock_driver_unregister(void);
struct mock_dev *mock_dev_create(struct mock_instance *inst,
				 unsigned int index);
void mock_dev_destroy(struct mock_dev *mdev);

/* domain.c */
int mock_domain_resv_overlap(struct mock_instance *inst, u64 start, u64 last);
void *mock_pt_find(struct mock_domain *md, unsigned long iova,
		   unsigned long *start);
phys_addr_t mock_pte_phys(void *pte);
size_t mock_pte_size(void *pte);
int mock_pte_prot(void *pte);
bool mock_pte_stale(void *pte);

/* dirty.c */
int mock_dirty_mark(struct mock_domain *md, u64 iova, u64 last);
void mock_dirty_drop(struct mock_domain *md, unsigned long iova,
		     unsigned long last);
void mock_dirty_show(struct seq_file *s, struct mock_domain *md,
		     unsigned long start, size_t size);
void mock_inflight_begin(struct mock_domain *md, struct mock_inflight *op,
			 unsigned long first, unsigned long last, bool unmap);
void mock_inflight_end(struct mock_domain *md, struct mock_inflight *op);

/* pins.c */
void mock_pins_init(struct mock_pins *p,
		    const struct mock_pins_backend *backend);
void mock_pins_destroy(struct mock_pins *p);
void mock_pins_open(struct mock_pins *p);
void mock_pins_close(struct mock_pins *p);
bool mock_pins_is_open(struct mock_pins *p);
unsigned long mock_pins_nr_pinned(struct mock_pins *p);
int mock_pins_pin(struct mock_pins *p, u64 iova, u64 npages, int prot);
int mock_pins_unpin(struct mock_pins *p, u64 iova, u64 npages);
void mock_pins_dma_unmap(struct mock_pins *p, u64 iova, u64 length);
int mock_pins_rw(struct mock_pins *p, u64 iova, void *buf, size_t len,
		 bool write);
unsigned int mock_pins_runs(struct mock_pins *p, struct mock_iommu_pinned *out,
			    unsigned int max);
u64 mock_pins_unmap_log(struct mock_pins *p, struct mock_iommu_unmap_call *out,
			unsigned int max, unsigned int *nr);
void mock_pins_reset_unmap_log(struct mock_pins *p);
const char *mock_pins_prot_name(int prot);
int mock_pins_parse(const char *buf, u64 *iova, u64 *npages, int *prot);

/* emulated.c */
int mock_emulated_init(unsigned int nr);
void mock_emulated_exit(void);
struct mock_emu *mock_emu_get(unsigned int index);

/* cmd.c: the ioctls of mock_iommu_test.h on debugfs cmd */
extern const struct file_operations mock_cmd_fops;
#if IS_ENABLED(CONFIG_KUNIT)
long mock_cmd_ioctl(unsigned int cmd, void __user *uarg);
#endif

/* debugfs.c */
void mock_debugfs_init(void);
void mock_debugfs_add_instance(struct mock_instance *inst);
void mock_debugfs_add_device(struct mock_dev *mdev);
void mock_debugfs_remove_device(struct mock_dev *mdev);
void mock_debugfs_add_emulated(struct mock_emu *emu);
void mock_debugfs_remove_emulated(struct mock_emu *emu);
void mock_debugfs_exit(void);

#endif /* VFIO_MDOM_MOCK_PRIVATE_H */
