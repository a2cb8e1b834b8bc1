/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio-mdom private header: the container, its domains and groups, and the
 * functions the VFIO backend face (main.c) dispatches to.
 *
 * Objects:
 *
 *   VFIO container (/dev/vfio/vfio, VFIO_SET_IOMMU chose vfio-mdom)
 *    `- mdom_container --+-- dmas: rbtree of mdom_dma by IOVA (dma.h),
 *                        |         each holding its mdom_pages (pages.h)
 *                        +-- domains: list of mdom_domain
 *                        |              `-- groups: list of mdom_group
 *                        `-- info: RCU-published mdom_info snapshot
 *
 * Every mapping is mapped into every domain (in windows mode, into every
 * domain whose aperture holds it: windows.c); the pages behind it are
 * pinned and charged once, when it is created, however many domains map
 * them.
 */
#ifndef _VFIO_MDOM_H
#define _VFIO_MDOM_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/types.h>
#include <linux/vfio_mdom.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include "compat.h"
#include "dma.h"
#include "vfio_backend.h"

struct iommu_domain;
struct iommu_group;
struct mdom_events;
struct page;
struct pid;
struct vfio_device;
struct vfio_mdom_domain_info;
struct vfio_mdom_group_info;
struct vfio_mdom_query;
struct vfio_mdom_set_mode;
struct vfio_mdom_window;

/* An inclusive IOVA range [first, last]. */
struct mdom_iova_range {
	u64 first;
	u64 last;
};

/**
 * struct mdom_group - an IOMMU group attached to a container
 * @next: in mdom_domain::groups
 * @iommu_group: the group; VFIO holds it and its DMA ownership while it
 *		 is attached
 * @domain: the domain the group is attached to
 * @nresv: number of entries in @resv
 * @resv: the group's reserved IOVA regions (MSI windows, direct-mapped
 *	  regions) that no mapping may overlap, read at attach time
 *
 * Protected by mdom_container::domains_rwsem.
 */
struct mdom_group {
	struct list_head next;
	struct iommu_group *iommu_group;
	struct mdom_domain *domain;
	unsigned int nresv;
	struct mdom_iova_range *resv;
};

/**
 * struct mdom_domain - one IOMMU domain of a container
 * @next: in mdom_container::domains
 * @domain: the paging domain; every mapping of the container is mapped in it
 * @groups: mdom_group list; a domain without groups is freed
 * @id: container-local id reported by VFIO_MDOM_QUERY, never 0
 * @users: the container's reference while the domain is on its list, and
 *	   one per mdom_info snapshot listing it; the last frees the struct
 *	   (the IOMMU domain itself is freed when it leaves the list)
 * @enforce_cc: enforce_cache_coherency() succeeded: no-snoop DMA blocked
 * @dirty_on: dirty tracking is enabled in @domain (dirty.c)
 * @mapped_bytes: bytes of user mappings mapped in @domain
 * @driver: name of the IOMMU driver (see mdom_domain_names())
 * @iommu: name of the IOMMU instance's sysfs device, or ""
 * @container: the container, for the fault handler (fault.c)
 *
 * The list linkage and @groups are protected by domains_rwsem, the rest is
 * constant once the domain is on the list, but @mapped_bytes, which maps
 * and unmaps running in parallel update atomically.
 */
struct mdom_domain {
	struct list_head next;
	struct iommu_domain *domain;
	struct list_head groups;
	u32 id;
	refcount_t users;
	bool enforce_cc;
	bool dirty_on;
	atomic64_t mapped_bytes;
	char driver[32];
	char iommu[32];
	struct mdom_container *container;
};

/**
 * struct mdom_info - what readers need of the domains, published with RCU
 * @rcu: freed after a grace period
 * @users: references taken by readers outside rcu_read_lock()
 * @pgsize_bitmap: page sizes every domain supports (PAGE_MASK with none)
 * @enforce_cc: every domain enforces coherency (true with none, as type1:
 *		an emulated device's DMA is done by the CPU)
 * @nr_ranges: number of entries in @ranges
 * @ranges: the valid IOVA ranges: every domain's aperture minus every
 *	    group's reserved regions, sorted
 * @nr_domains: number of entries in @domains
 * @domains: each domain as VFIO_MDOM_QUERY reports it, but mapped_bytes
 * @doms: the domains themselves, referenced, to read mapped_bytes from
 * @nr_groups: number of entries in @groups
 * @groups: each attached group, the emulated ones last (domain_id 0)
 * @nr_emulated: the emulated groups among them
 * @mode: the container's VFIO_MDOM_MODE_* when the snapshot was built
 * @nr_windows: number of entries in @windows
 * @windows: each domain's windows and the declared ones, as
 *	     VFIO_MDOM_QUERY reports them (windows.c)
 *
 * Built after every change of the domain list and published in
 * mdom_container::info: GET_INFO, CHECK_EXTENSION and the query read it
 * without waiting for an attach, detach or replay in progress.
 */
struct mdom_info {
	struct rcu_head rcu;
	refcount_t users;
	unsigned long pgsize_bitmap;
	bool enforce_cc;
	u32 nr_ranges;
	struct mdom_iova_range *ranges;
	u32 nr_domains;
	struct vfio_mdom_domain_info *domains;
	struct mdom_domain **doms;
	u32 nr_groups;
	struct vfio_mdom_group_info *groups;
	u32 nr_emulated;
	u32 mode;
	u32 nr_windows;
	struct vfio_mdom_window *windows;
};

/**
 * struct mdom_container - the IOMMU data of one VFIO container
 * @id: number shown in debugfs, unique while the module is loaded
 * @iommu_type: VFIO_TYPE1_IOMMU or VFIO_TYPE1v2_IOMMU (v1 or v2 unmap
 *		semantics), as VFIO_SET_IOMMU asked
 * @dma_limit: dma_entry_limit when the container was opened
 * @owner: the process that did VFIO_SET_IOMMU (debugfs)
 * @comm: its name then
 * @node: in the global list of containers (debugfs.c)
 * @release_rwsem: taken for writing before @domains_rwsem is; held for
 *		   reading by an unmap while emulated devices let go of
 *		   its victims' pages (see below)
 * @domains_rwsem: the domain and group lists; see below
 * @domains: struct mdom_domain list, in creation order
 * @emulated_groups: the emulated (mdev-style) groups, struct mdom_group
 *		     with no domain
 * @next_domain_id: id for the next domain
 * @dirty_tracking: VFIO_IOMMU_DIRTY_PAGES_FLAG_START is in force
 * @dirty_mode: VFIO_MDOM_DIRTY_* (dirty.c)
 * @dirty_pgshift: page size of the dirty bitmaps
 * @info: the current mdom_info
 * @domains_seq: changes each time @domains_rwsem is taken for writing: a
 *		 map's checks made under it hold as long as it is the same
 * @iova_lock: the mapping tree, the counters below and @mapper
 * @mapper: who mapped last (struct mdom_mapper: task, account, lock_cap),
 *	    referenced: the next maps of that process share it
 * @dmas: the user mappings, struct mdom_dma
 * @dma_extras: the extra state of the few mappings that have one (struct
 *		mdom_dma_extra, by mdom_dma_extra_key()); it changes as
 *		@dmas does, under domains_rwsem and iova_lock both
 * @dma_wq: woken when a mapping being mapped into the domains is done
 * @map_seq: counts the maps that are done (LIVE, or failed and gone)
 * @nr_mappings: number of live mappings in @dmas
 * @nr_vaddr_invalid: live mappings whose vaddr is invalidated
 * @unpin_seq: counts the pages emulated devices unpinned (dma_wq wakes)
 * @mapped_bytes: bytes covered by the live mappings of @dmas
 * @pinned_pages: pages pinned for @dmas (each once, whatever the domains)
 *		  and for emulated devices of mappings not pinned themselves,
 *		  charged once per mm across containers (account.c)
 * @devices_lock: protects @devices
 * @devices: the opened devices of emulated groups that want to hear of
 *	     unmaps (their vfio_device::iommu_entry)
 * @epin_owner: stands for the container's emulated pins in the accounts
 * @check_next: IOVA where the next invariant check's walk resumes (check.c)
 * @check_walks: checks since the last one that walked the whole tree
 * @events: the VFIO_MDOM_EVENTS file's queue while one is open (events.h);
 *	    set under domains_rwsem written, read under RCU
 * @mode: VFIO_MDOM_MODE_TYPE1 or VFIO_MDOM_MODE_WINDOWS (windows.c)
 * @nr_declared: number of entries in @declared
 * @declared: the windows the user declared, sorted (windows mode only)
 *
 * @mode, @nr_declared and @declared change under domains_rwsem written,
 * while the container holds no mapping; holding it for reading keeps them.
 *
 * Locking order:
 *
 *   VFIO's container group_lock -> release_rwsem -> domains_rwsem
 *	-> iova_lock
 *	-> mdom_acct::lock -> mm::mmap_lock
 *   domains_rwsem -> iommu_group::mutex (in the IOMMU core's attach,
 *	detach and reserved-region calls) -> the IOMMU driver's locks
 *   devices_lock -> (a device's dma_unmap ->) iova_lock
 *   domains_rwsem -> mdom_events::lock (a leaf spinlock, irqs off: the
 *	IOMMU drivers' fault paths take it too, from any context)
 *
 * iova_lock is held around work on the tree and the counters, and around
 * no call into the IOMMU core but dirty.c's reads of dirty bits; the IOMMU
 * driver's map and unmap run under domains_rwsem alone. So a mapping that
 * is LIVE under iova_lock is not mapped or unmapped by anybody until the
 * lock is dropped, and dirty bits are read only there (and by an unmap
 * over its own victims): the drivers free page table pages under an
 * unmap, and their dirty walks take no lock against it.
 *
 * domains_rwsem is held for writing while a group is attached (which may
 * replay every mapping into a new domain) or detached, and while dirty
 * tracking starts or stops; for reading by map and unmap for as long as
 * they work on the domains: maps and unmaps of disjoint ranges run in
 * parallel. The tree changes only under both domains_rwsem (read) and
 * iova_lock, so holding domains_rwsem for writing is enough to walk it. A
 * mapping being mapped into the domains is in the tree as
 * MDOM_DMA_MAPPING, one being unmapped from them as MDOM_DMA_UNMAPPING:
 * no other map can take its IOVA meanwhile, and an unmap that meets a
 * mapping still being mapped waits on @dma_wq.
 *
 * An emulated device's dma_unmap, called by an unmap holding
 * domains_rwsem for reading, may wait for a pin_pages or dma_rw of the
 * same device in flight, which takes domains_rwsem for reading too. Were
 * a writer queued on domains_rwsem meanwhile, that second read would wait
 * behind it and the writer behind the unmap: a deadlock. So whoever
 * writes domains_rwsem first takes release_rwsem for writing
 * (mdom_domains_lock()), and an unmap that calls dma_unmap holds
 * release_rwsem for reading: no writer can then be queued on
 * domains_rwsem.
 *
 * A map pins and charges with no container lock held. The mm locks are
 * taken under container locks only where the pages must not change
 * meanwhile: a replay pinning mappings made before the first domain
 * (domains_rwsem written), an emulated device's pin or vfio_dma_rw of a
 * mapping that is not pinned, the query's walk of the account and a live
 * update's move of a charge (iova_lock). Nothing takes a container lock
 * under an mm lock. Functions that need a lock say so with
 * lockdep_assert_held().
 *
 * VFIO calls the driver's ioctl with no lock of its own, so the
 * container's release may begin while ioctls are in flight. main.c
 * counts them (struct mdom_vfio): release waits for them, holding VFIO's
 * container group_lock, before the container goes; they take no VFIO
 * lock, so they cannot wait for it. See Documentation/vfio_mdom.rst for
 * what VFIO leaves open.
 */
struct mdom_container {
	u32 id;
	u32 iommu_type;
	unsigned int dma_limit;
	struct pid *owner;
	char comm[TASK_COMM_LEN];
	struct list_head node;

	struct rw_semaphore release_rwsem;
	struct rw_semaphore domains_rwsem;
	struct list_head domains;
	struct list_head emulated_groups;
	u32 next_domain_id;
	bool dirty_tracking;
	u32 dirty_mode;
	unsigned int dirty_pgshift;
	struct mdom_info __rcu *info;
	unsigned long domains_seq;

	struct mutex iova_lock;		/* the tree, the counters */
	struct mdom_mapper *mapper;
	struct mdom_dma_tree dmas;
	struct xarray dma_extras;
	wait_queue_head_t dma_wq;
	u64 map_seq;
	u32 nr_mappings;
	u32 nr_vaddr_invalid;
	u64 unpin_seq;
	u64 mapped_bytes;
	u64 pinned_pages;

	struct mutex devices_lock;	/* @devices */
	struct list_head devices;
	char epin_owner;

	/* check.c, under domains_rwsem written */
	u64 check_next;
	u32 check_walks;

	struct mdom_events __rcu *events;

	u32 mode;
	u32 nr_declared;
	struct mdom_iova_range *declared;
};

/* Take domains_rwsem for writing (attach, detach, dirty start and stop). */
static inline void mdom_domains_lock(struct mdom_container *c)
{
	down_write(&c->release_rwsem);
	down_write(&c->domains_rwsem);
	c->domains_seq++;
}

static inline void mdom_domains_unlock(struct mdom_container *c)
{
	up_write(&c->domains_rwsem);
	up_write(&c->release_rwsem);
}

DEFINE_GUARD(mdom_domains, struct mdom_container *, mdom_domains_lock(_T),
	     mdom_domains_unlock(_T))

/*
 * The extra state of @dma (struct mdom_dma_extra), NULL if it has none;
 * iova_lock or domains_rwsem is held, as for walking the tree (an unmap
 * may also look at its own victims with domains_rwsem held for reading:
 * their extra state goes only with them). A container where no mapping
 * has any pays one test of an empty xarray.
 */
static inline struct mdom_dma_extra *
mdom_dma_extra(struct mdom_container *c, const struct mdom_dma *dma)
{
	lockdep_assert(lockdep_is_held(&c->iova_lock) ||
		       lockdep_is_held(&c->domains_rwsem));
	if (xa_empty(&c->dma_extras))
		return NULL;
	return xa_load(&c->dma_extras, mdom_dma_extra_key(dma));
}

/* The emulated device pins of @dma, NULL if none was ever taken. */
static inline struct xarray *mdom_dma_epins(struct mdom_container *c,
					    const struct mdom_dma *dma)
{
	struct mdom_dma_extra *extra = mdom_dma_extra(c, dma);

	return extra ? &extra->epins : NULL;
}

/* Do emulated devices hold pages of @dma pinned? */
static inline bool mdom_dma_has_epins(struct mdom_container *c,
				      const struct mdom_dma *dma)
{
	struct mdom_dma_extra *extra = mdom_dma_extra(c, dma);

	return extra && !xa_empty(&extra->epins);
}

/* The dirty bitmap of @dma, NULL while dirty tracking is off. */
static inline unsigned long *mdom_dma_dirty(struct mdom_container *c,
					    const struct mdom_dma *dma)
{
	struct mdom_dma_extra *extra = mdom_dma_extra(c, dma);

	return extra ? extra->dirty : NULL;
}

/* Module parameters (group.c, container.c, backend.c). */
extern bool mdom_allow_unsafe_interrupts;
extern unsigned int mdom_dma_entry_limit;

/* container.c */
struct mdom_container *mdom_container_alloc(u32 iommu_type);
void mdom_container_destroy(struct mdom_container *c);
long mdom_container_check_extension(struct mdom_container *c,
				    unsigned long ext);
int mdom_container_map(struct mdom_container *c, u64 iova, u64 size,
		       unsigned long vaddr, int prot);
int mdom_container_unmap(struct mdom_container *c, u64 iova, u64 size,
			 bool all, u64 *unmapped);
int mdom_container_unmap_dirty(struct mdom_container *c, u64 iova, u64 size,
			       u64 *unmapped, u64 pgsize, u64 __user *bitmap);
unsigned int mdom_container_dma_avail(struct mdom_container *c);
int mdom_container_query(struct mdom_container *c,
			 struct vfio_mdom_query *q);
void mdom_container_counts(struct mdom_container *c,
			   struct vfio_mdom_query *q);
struct mdom_dma_extra *mdom_dma_extra_get(struct mdom_container *c,
					  struct mdom_dma *dma);
void mdom_dma_extra_trim(struct mdom_container *c, struct mdom_dma *dma);
void mdom_dma_extra_free(struct mdom_container *c, struct mdom_dma *dma);

/* info.c: the published snapshot of the domains */
int mdom_info_update(struct mdom_container *c, gfp_t gfp);
struct mdom_info *mdom_info_build(struct mdom_container *c, gfp_t gfp);
void mdom_info_publish(struct mdom_container *c, struct mdom_info *info);
struct mdom_info *mdom_info_get(struct mdom_container *c);
void mdom_info_put(struct mdom_info *info);
void mdom_info_free(struct mdom_info *info);
bool mdom_info_iova_valid(const struct mdom_info *info, u64 first, u64 last);
int mdom_iova_ranges(struct mdom_container *c, gfp_t gfp,
		     struct mdom_iova_range **out);
unsigned int mdom_iova_ranges_subtract(struct mdom_iova_range *ranges,
				       unsigned int nr,
				       const struct mdom_iova_range *resv);
unsigned long mdom_pgsize_bitmap(struct mdom_container *c,
				 struct iommu_domain *extra);

/* domain.c */
struct mdom_domain *mdom_domain_alloc(struct mdom_container *c,
				      struct iommu_group *iommu_group);
void mdom_domain_free(struct mdom_container *c, struct mdom_domain *d);
void mdom_domain_put(struct mdom_domain *d);
int mdom_domain_replay(struct mdom_container *c, struct mdom_domain *d);
int mdom_domain_map_dma(struct mdom_domain *d, struct mdom_dma *dma);
void mdom_domains_map_unwind(struct mdom_container *c,
			     struct mdom_domain *stop, struct mdom_dma *dma);
void mdom_domain_unmap_list(struct mdom_domain *d, struct mdom_dma_list *dmas);
void mdom_domain_unmap_all(struct mdom_container *c, struct mdom_domain *d);

/* group.c: the groups VFIO attaches and detaches */
int mdom_container_attach(struct mdom_container *c,
			  struct iommu_group *iommu_group);
int mdom_container_detach(struct mdom_container *c,
			  struct iommu_group *iommu_group);
void mdom_container_detach_all(struct mdom_container *c);
struct iommu_domain *mdom_container_group_domain(struct mdom_container *c,
						 struct iommu_group *grp);

/* container.c: live update */
int mdom_container_set_vaddr(struct mdom_container *c, u64 iova, u64 size,
			     unsigned long vaddr);
int mdom_container_invalidate_vaddr(struct mdom_container *c, u64 iova,
				    u64 size, bool all, u64 *invalidated);

/* emulated.c: emulated (mdev-style) groups and their devices */
int mdom_container_attach_emulated(struct mdom_container *c,
				   struct iommu_group *grp);
int mdom_container_detach_emulated(struct mdom_container *c,
				   struct iommu_group *grp);
void mdom_container_register_device(struct mdom_container *c,
				    struct vfio_device *vdev);
void mdom_container_unregister_device(struct mdom_container *c,
				      struct vfio_device *vdev);
int mdom_container_pin_pages(struct mdom_container *c, u64 iova, int npage,
			     int prot, struct page **pages);
void mdom_container_unpin_pages(struct mdom_container *c, u64 iova,
				int npage);
int mdom_container_dma_rw(struct mdom_container *c, u64 iova, void *data,
			  size_t count, bool write);
int mdom_emulated_release(struct mdom_container *c,
			  struct mdom_dma_list *victims, bool *release_held);
void mdom_epins_drop(struct xarray *epins);
void mdom_emulated_unpin_mappings(struct mdom_container *c);
unsigned long mdom_dma_epin_pages(struct mdom_container *c,
				  struct mdom_dma *dma, u64 *shared);

/*
 * dirty.c: dirty page tracking. Bitmaps are of u64 words, as type1's, and
 * at most as large as type1 allows (INT_MAX pages).
 */
#define MDOM_DIRTY_BITMAP_BYTES(n)	(ALIGN(n, BITS_PER_TYPE(u64)) / BITS_PER_BYTE)
#define MDOM_DIRTY_BITMAP_SIZE_MAX	MDOM_DIRTY_BITMAP_BYTES((u64)INT_MAX)
int mdom_dirty_pages(struct mdom_container *c, void __user *uarg);
int mdom_dirty_alloc(struct mdom_container *c, struct mdom_dma *dma);
void mdom_dirty_mark(struct mdom_container *c, struct mdom_dma *dma,
		     u64 offset, u64 len);
void mdom_dirty_domain_added(struct mdom_container *c, struct mdom_domain *d);
int mdom_dirty_check(struct mdom_container *c, u64 pgsize);
int mdom_dirty_report_victims(struct mdom_container *c, u64 iova, u64 size,
			      u64 __user *data, struct mdom_dma_list *victims);
int mdom_dirty_bitmap_size_ok(u64 npages, u64 bitmap_size);

/* windows.c: VFIO_MDOM_MODE_WINDOWS */
bool mdom_domain_holds(const struct mdom_domain *d, u64 first, u64 last);

/* The same for @dma; inline for type1 mode, where every domain holds it. */
static inline bool mdom_domain_holds_dma(const struct mdom_domain *d,
					 const struct mdom_dma *dma)
{
	if (d->container->mode != VFIO_MDOM_MODE_WINDOWS)
		return true;
	return mdom_domain_holds(d, dma->iova, mdom_dma_last(dma));
}

int mdom_windows_map_check(struct mdom_container *c, u64 first, u64 last);
int mdom_windows_ranges(struct mdom_container *c, gfp_t gfp,
			struct mdom_iova_range **out);
int mdom_windows_report(struct mdom_container *c, gfp_t gfp,
			struct vfio_mdom_window **out);
int mdom_windows_attach_check(struct mdom_container *c, struct mdom_group *g);
int mdom_container_set_mode(struct mdom_container *c,
			    const struct vfio_mdom_set_mode *cmd);
void mdom_windows_free(struct mdom_container *c);
#if IS_ENABLED(CONFIG_KUNIT)
unsigned int mdom_iova_ranges_union(struct mdom_iova_range *ranges,
				    unsigned int nr);
unsigned int mdom_iova_ranges_intersect(const struct mdom_iova_range *a,
					unsigned int na,
					const struct mdom_iova_range *b,
					unsigned int nb,
					struct mdom_iova_range *out);
bool mdom_iova_ranges_valid(const struct mdom_iova_range *r, unsigned int nr,
			    u64 pgmask);
#endif

/* check.c: the invariant checker (module parameter check_invariants) */
unsigned int mdom_check_container(struct mdom_container *c, u64 first,
				  u64 last, bool quiet);
extern bool mdom_check_invariants;

/* After an operation on [@first, @last] of @c, if the checker is on. */
static inline void mdom_check(struct mdom_container *c, u64 first, u64 last)
{
	if (READ_ONCE(mdom_check_invariants))
		mdom_check_container(c, first, last, false);
}

void mdom_check_init(void);

/* debugfs.c */
void mdom_debugfs_init(void);
void mdom_debugfs_exit(void);
void mdom_debugfs_add(struct mdom_container *c);
void mdom_debugfs_remove(struct mdom_container *c);

#endif /* _VFIO_MDOM_H */
