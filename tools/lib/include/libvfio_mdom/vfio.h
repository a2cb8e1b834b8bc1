/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvfio_mdom: the VFIO container (/dev/vfio/vfio), its groups
 * (/dev/vfio/N) and devices, whatever IOMMU driver serves it.
 *
 * Each ioctl has a function _vfio_xxx() that returns 0 (or a value) or a
 * negative errno and never asserts; the selftests wrap it in vfio_xxx(),
 * which asserts success, and vfio_xxx_err(ERRNO, ...), which expects that
 * errno (tools/testing/selftests/vfio_mdom/mdom_test.h).
 */
#ifndef _LIBVFIO_MDOM_VFIO_H
#define _LIBVFIO_MDOM_VFIO_H

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/vfio.h>

#include <libvfio_mdom/sys.h>

#define VFIO_CONTAINER_PATH	"/dev/vfio/vfio"

#define VFIO_RW			(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

/* The argsz type1 needs: up to and with the last field it reads */
#define VFIO_MAP_MINSZ		sizeof(struct vfio_iommu_type1_dma_map)
#define VFIO_UNMAP_MINSZ	offsetof(struct vfio_iommu_type1_dma_unmap, data)
#define VFIO_INFO_MINSZ		offsetof(struct vfio_iommu_type1_info, cap_offset)

/* An ioctl()'s @ret as 0 or -errno */
int vfio_errno(int ret);

/* A new container: its fd, or -errno. */
int vfio_open_container(void);

/* /dev/vfio/@group: its fd, or -errno (EBUSY: open elsewhere). */
int vfio_open_group(int group);

/* VFIO_GROUP_GET_STATUS: *@flags gets VFIO_GROUP_FLAGS_* (0 on error). */
int _vfio_group_status(int group_fd, uint32_t *flags);

/* VFIO_GROUP_SET_CONTAINER, VFIO_GROUP_UNSET_CONTAINER, VFIO_SET_IOMMU */
int _vfio_set_container(int group_fd, int container);
int _vfio_unset_container(int group_fd);
int _vfio_set_iommu(int container, unsigned long type);

/* VFIO_CHECK_EXTENSION's answer (0, 1), or -errno. */
int vfio_check_extension(int container, unsigned long ext);

/* VFIO_IOMMU_MAP_DMA of [@iova, +@size) at @vaddr with @flags */
int _vfio_map(int container, uint64_t iova, uint64_t size,
	      const void *vaddr, uint32_t flags);

/* *@unmapped (if not NULL) gets the size the kernel wrote back, or 0. */
int _vfio_unmap(int container, uint64_t iova, uint64_t size,
		uint32_t flags, uint64_t *unmapped);

/* VFIO_IOMMU_GET_INFO into @buf of @len bytes (argsz = @len). */
int _vfio_get_info(int container, void *buf, uint32_t len);

/*
 * The capability @id of a GET_INFO answer whose buffer held @len bytes,
 * or NULL. A chain that leaves the buffer or loops ends the walk.
 */
struct vfio_info_cap_header *
vfio_info_cap(struct vfio_iommu_type1_info *info, uint32_t len, uint16_t id);

/*
 * GET_INFO as a VMM does it: grow argsz until the whole chain fits. The
 * answer is malloc()ed into *@out (free() it); *@len gets its size.
 * Returns 0 or a negative errno.
 */
int vfio_get_info_all(int container, struct vfio_iommu_type1_info **out,
		      uint32_t *len);

/* ---- devices --------------------------------------------------------------- */

/* VFIO_GROUP_GET_DEVICE_FD(@name): the device fd, or -errno. */
int vfio_device_fd(int group_fd, const char *name);

/* VFIO_DEVICE_GET_REGION_INFO of region @index into @info */
int _vfio_region_info(int device_fd, uint32_t index,
		      struct vfio_region_info *info);

/* ---- a container and its groups ------------------------------------------- */

/*
 * Add @group_fd to @container and, if it is the container's first group
 * (@first), choose the IOMMU driver with VFIO_SET_IOMMU(@type), as a VMM
 * does. On a failed SET_IOMMU the group leaves again. Returns 0 or the
 * -errno of the step that failed.
 */
int vfio_attach(int container, int group_fd, bool first, unsigned long type);

/* ---- dirty page tracking (VFIO_IOMMU_DIRTY_PAGES) ------------------------- */

/* VFIO_IOMMU_DIRTY_PAGES with one of START or STOP: 0 or -errno. */
int _vfio_dirty_ctl(int container, uint32_t flag);

/*
 * GET_BITMAP of [@iova, +@size) into @data (@data_size bytes), one bit per
 * @pgsize page: 0 or -errno.
 */
int _vfio_dirty_get(int container, uint64_t iova, uint64_t size,
		    uint64_t pgsize, void *data, uint64_t data_size);

/*
 * UNMAP_DMA with VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP: the dirty bits of
 * what goes into @data, as _vfio_dirty_get(); *@unmapped as _vfio_unmap().
 */
int _vfio_unmap_dirty(int container, uint64_t iova,
		      uint64_t size, uint64_t pgsize, void *data,
		      uint64_t data_size, uint64_t *unmapped);

/* Bytes of a dirty bitmap of @npages pages: whole u64 words, as type1 */
uint64_t vfio_dirty_bitmap_bytes(uint64_t npages);

#endif /* _LIBVFIO_MDOM_VFIO_H */
