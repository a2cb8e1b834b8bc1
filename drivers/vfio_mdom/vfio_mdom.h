/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio-mdom private header: the container, its domains and groups, and the
 * functions the ioctl layer (main.c) dispatches to.
 *
 * Objects:
 *
 *   mdom_container --+-- dmas: interval tree of mdom_dma (dma.h), each
 *                    |         holding its mdom_pages (pages.h)
 *                    +-- domains: list of mdom_domain
 *                                   +-- groups: list of mdom_group
 *
 * Every mapping is mapped into every domain; the pages behind it are pinned
 * and charged once, when it is created, whether or not a domain exists.
 */
#ifndef _VFIO_MDOM_H
#define _VFIO_MDOM_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <kunit/visibility.h>

#include "dma.h"

struct iommu_domain;
struct iommu_group;
struct vfio_iommu_type1_info;
struct vfio_iommu_type1_dma_map;
struct vfio_iommu_type1_dma_unmap;
struct vfio_mdom_query;

/* An inclusive IOVA range [first, last]. */
struct mdom_iova_range {
	u64 first;
	u64 last;
};

/**
 * struct mdom_group - an IOMMU group attached to a container
 * @next: in mdom_domain::groups
 * @iommu_group: referenced; its DMA ownership is claimed by the container
 * @domain: the domain the group is attached to
 * @nresv: number of entries in @resv
 * @resv: the group's reserved IOVA regions (MSI windows, direct-mapped
 *	  regions) that no mapping may overlap, read at attach time
 *
 * Immutable while attached, except @next; owned by the container lock.
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
 * @id: container-local id reported by VFIO_MDOM_QUERY
 * @enforce_cc: enforce_cache_coherency() succeeded: mappings get IOMMU_CACHE
 * @mapped_bytes: bytes of user mappings mapped in @domain
 * @driver: name of the IOMMU driver (its iommu_ops symbol)
 * @iommu: name of the IOMMU instance's sysfs device, or ""
 *
 * Every field is protected by the container lock.
 */
struct mdom_domain {
	struct list_head next;
	struct iommu_domain *domain;
	struct list_head groups;
	u32 id;
	bool enforce_cc;
	u64 mapped_bytes;
	char driver[32];
	char iommu[32];
};

/**
 * struct mdom_container - one open of /dev/vfio-mdom
 * @lock: serialises every change to the container: the mapping tree, the
 *	  domain and group lists and the counters below. Pinning and
 *	  unpinning user pages happen outside it.
 * @iommu_type: 0 until VFIO_SET_IOMMU, then VFIO_TYPE1_IOMMU or
 *		VFIO_TYPE1v2_IOMMU (v1 or v2 unmap semantics)
 * @dma_limit: dma_entry_limit when the container was opened
 * @dmas: the user mappings, struct mdom_dma
 * @domains: struct mdom_domain list, in creation order
 * @next_domain_id: id for the next domain
 * @mapped_bytes: bytes covered by @dmas
 * @pinned_pages: pages pinned for @dmas (each once, whatever the domains)
 * @locked_pages: pages charged to the mappers' locked_vm for @dmas
 *
 * Locking order: mdom_container::lock -> iommu_group::mutex (taken inside
 * the IOMMU core's attach/detach/ownership/reserved-region calls) -> the
 * IOMMU driver's own locks. Pinning, charging, unpinning and uncharging
 * (mm::mmap_lock) and every copy to or from user memory happen with the
 * container lock dropped, so the mm locks are never nested inside it.
 * Functions that need the lock assert it with lockdep_assert_held().
 */
struct mdom_container {
	struct mutex lock;	/* see above: the container lock */
	u32 iommu_type;
	unsigned int dma_limit;
	struct mdom_dma_tree dmas;
	struct list_head domains;
	u32 next_domain_id;
	u64 mapped_bytes;
	u64 pinned_pages;
	u64 locked_pages;
};

/* Module parameters (group.c, container.c). */
extern bool mdom_allow_unsafe_interrupts;
extern unsigned int mdom_dma_entry_limit;

/* container.c */
struct mdom_container *mdom_container_alloc(void);
void mdom_container_destroy(struct mdom_container *c);
long mdom_container_check_extension(struct mdom_container *c,
				    unsigned long ext);
int mdom_container_set_iommu(struct mdom_container *c, unsigned long type);
unsigned long mdom_container_pgsize_bitmap(struct mdom_container *c);
unsigned long mdom_container_pgsize_bitmap_with(struct mdom_container *c,
						struct iommu_domain *extra);
int mdom_container_iova_ranges(struct mdom_container *c,
			       struct mdom_iova_range **ranges);
unsigned int mdom_container_dma_avail(struct mdom_container *c);
int mdom_container_map(struct mdom_container *c, u64 iova, u64 size,
		       unsigned long vaddr, int prot);
int mdom_container_unmap(struct mdom_container *c, u64 iova, u64 size,
			 bool all, u64 *unmapped);
int mdom_container_query(struct mdom_container *c,
			 struct vfio_mdom_query *q);

/* Helpers of container.c used by group.c and domain.c. */
bool mdom_container_iova_valid(struct mdom_container *c, u64 first,
			       u64 last);
unsigned int mdom_iova_ranges_subtract(struct mdom_iova_range *ranges,
				       unsigned int nr,
				       const struct mdom_iova_range *resv);

/* domain.c */
struct mdom_domain *mdom_domain_alloc(struct mdom_container *c,
				      struct iommu_group *iommu_group);
void mdom_domain_free(struct mdom_container *c, struct mdom_domain *d);
int mdom_domain_replay(struct mdom_container *c, struct mdom_domain *d);
int mdom_domain_map_dma(struct mdom_container *c, struct mdom_domain *d,
			struct mdom_dma *dma);
void mdom_domains_map_unwind(struct mdom_container *c,
			     struct mdom_domain *stop, struct mdom_dma *dma);
void mdom_domain_unmap_list(struct mdom_container *c, struct mdom_domain *d,
			    struct list_head *dmas);
void mdom_domain_unmap_all(struct mdom_container *c, struct mdom_domain *d);

/* group.c */
int mdom_container_attach(struct mdom_container *c,
			  struct iommu_group *iommu_group, u32 *domain_id,
			  bool *new_domain);
int mdom_container_detach(struct mdom_container *c,
			  struct iommu_group *iommu_group);
void mdom_container_detach_all(struct mdom_container *c);
struct iommu_group *mdom_group_from_fd(int fd);

#endif /* _VFIO_MDOM_H */
