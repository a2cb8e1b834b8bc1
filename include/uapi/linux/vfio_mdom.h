/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vfio-mdom: a VFIO type1-compatible IOMMU container holding many domains.
 *
 * Each open of /dev/vfio-mdom is a container. It answers the VFIO type1
 * ioctls of <linux/vfio.h> with the same structs, numbers and errnos
 * (VFIO_GET_API_VERSION, VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU,
 * VFIO_IOMMU_GET_INFO, VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_UNMAP_DMA); the
 * commands below are vfio-mdom's own.
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

/* Name of the character device node, under /dev. */
#define VFIO_MDOM_DEVICE_NAME "vfio-mdom"

#define VFIO_MDOM_BASE		(VFIO_BASE + 100)

/**
 * struct vfio_mdom_attach_group - ioctl(VFIO_MDOM_ATTACH_GROUP)
 * @argsz: sizeof(struct vfio_mdom_attach_group)
 * @flags: must be 0
 * @group_fd: an open VFIO group file (/dev/vfio/N) naming the IOMMU group
 * @domain_id: out: id of the container domain the group now uses
 * @out_flags: out: VFIO_MDOM_ATTACH_NEW_DOMAIN if the attach created that
 *	       domain (and replayed every existing mapping into it)
 * @__reserved: must be 0
 *
 * Attach every device of an IOMMU group to the container. The group's DMA
 * ownership is claimed for the container the way a VFIO container or
 * iommufd claims it, so while attached the group cannot be used by either
 * of them, nor by another vfio-mdom container; it is released by
 * VFIO_MDOM_DETACH_GROUP or when the container is closed. The VFIO group
 * file itself is not kept: it may be closed after the attach.
 *
 * The group joins the first existing domain whose IOMMU accepts it
 * (iommu_attach_group() succeeds) and whose cache-coherency enforcement is
 * what the group's devices can have. Otherwise a new paging domain is
 * allocated, cache coherency is enforced in it if the IOMMU can, and every
 * existing mapping is replayed into it. On any failure the container and
 * the group are left exactly as before.
 *
 * Errors: EBADF @group_fd is not an open file; EINVAL it is not a VFIO
 * group with an IOMMU (an emulated or no-IOMMU group), or the group's
 * aperture, reserved regions or page sizes conflict with an existing
 * mapping; EEXIST the group is already attached to this container; EBUSY
 * the group is in use elsewhere (a kernel driver, a VFIO container,
 * iommufd, another vfio-mdom container); EPERM its MSIs are not isolated
 * and the module parameter allow_unsafe_interrupts is off; ENOMEM, or the
 * IOMMU driver's error from allocating, attaching or mapping.
 */
struct vfio_mdom_attach_group {
	__u32 argsz;
	__u32 flags;
	__s32 group_fd;
	__u32 domain_id;
	__u32 out_flags;
#define VFIO_MDOM_ATTACH_NEW_DOMAIN	(1 << 0)
	__u32 __reserved;
};

#define VFIO_MDOM_ATTACH_GROUP	_IO(VFIO_TYPE, VFIO_MDOM_BASE + 0)

/**
 * struct vfio_mdom_detach_group - ioctl(VFIO_MDOM_DETACH_GROUP)
 * @argsz: sizeof(struct vfio_mdom_detach_group)
 * @flags: must be 0
 * @group_fd: an open VFIO group file naming an attached IOMMU group
 * @__reserved: must be 0
 *
 * Detach the group's devices and release its DMA ownership. A domain that
 * loses its last group is unmapped and freed; the mappings themselves stay
 * in the container, pinned and charged, until they are unmapped or the
 * container is closed, and are replayed into the next domain to appear.
 *
 * Errors: EBADF, EINVAL as for VFIO_MDOM_ATTACH_GROUP; ENOENT the group is
 * not attached to this container.
 */
struct vfio_mdom_detach_group {
	__u32 argsz;
	__u32 flags;
	__s32 group_fd;
	__u32 __reserved;
};

#define VFIO_MDOM_DETACH_GROUP	_IO(VFIO_TYPE, VFIO_MDOM_BASE + 1)

/**
 * struct vfio_mdom_domain_info - one IOMMU domain of a container
 * @id: container-local id, stable for the life of the domain, never 0;
 *	ids are not reused within a container
 * @flags: VFIO_MDOM_DOMAIN_ENFORCE_CC if the domain enforces cache
 *	   coherency (it blocks no-snoop DMA and is mapped with IOMMU_CACHE)
 * @driver: name of the IOMMU driver (its iommu_ops), NUL-terminated
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
 * @domain_id: the &struct vfio_mdom_domain_info id it is attached to
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
 * @iommu_type: VFIO_TYPE1_IOMMU or VFIO_TYPE1v2_IOMMU once VFIO_SET_IOMMU
 *		chose one, 0 before
 * @num_mappings: number of VFIO_IOMMU_MAP_DMA mappings in the container
 * @mapped_bytes: bytes those mappings cover
 * @pinned_pages: PAGE_SIZE pages the container holds pinned; each is
 *		  pinned once however many domains map it
 * @locked_pages: pages the container charges to the mappers' locked_vm
 *		  (RLIMIT_MEMLOCK), also once per pinned page
 * @dma_avail: VFIO_IOMMU_MAP_DMA calls left before -ENOSPC
 * @__reserved: must be 0
 *
 * Describe the container. Both arrays are filled in up to the entries
 * given; if either is too small the ioctl fails with EMSGSIZE after
 * writing back the struct with the counts needed, so the caller can size
 * the arrays and retry. The figures are one consistent snapshot.
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
	__u32 __reserved;
};

#define VFIO_MDOM_QUERY		_IO(VFIO_TYPE, VFIO_MDOM_BASE + 2)

#endif /* _UAPI_LINUX_VFIO_MDOM_H */
