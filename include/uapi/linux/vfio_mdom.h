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
 *
 * Describe the container. Both arrays are filled in up to the entries
 * given; if either is too small the ioctl fails with EMSGSIZE after
 * writing back the struct with the counts needed, so the caller can size
 * the arrays and retry. @pinned_pages is @locked_pages + @shared_pages.
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
};

#define VFIO_MDOM_QUERY		_IO(VFIO_TYPE, VFIO_MDOM_BASE + 2)

#endif /* _UAPI_LINUX_VFIO_MDOM_H */
