/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio-mdom selftest helpers: the VFIO container (/dev/vfio/vfio), its
 * groups (/dev/vfio/N) and devices, whatever IOMMU driver serves it.
 *
 * As in tools/testing/selftests/iommu/iommufd_utils.h, each ioctl comes
 * as a pair or a triple: _vfio_xxx() returns 0 or the errno (positive) and
 * never asserts, so that the demo can use it too; vfio_xxx() asserts
 * success and vfio_xxx_err(ERRNO, ...) expects that errno. Those macros
 * need the harness's _metadata, i.e. a TEST/TEST_F body or a helper given
 * it.
 */
#ifndef _VFIO_MDOM_VFIO_UTILS_H
#define _VFIO_MDOM_VFIO_UTILS_H

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/vfio.h>

#include "sys_utils.h"

#define VFIO_CONTAINER_PATH	"/dev/vfio/vfio"

#define VFIO_RW			(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

/* The argsz type1 needs: up to and with the last field it reads */
#define VFIO_MAP_MINSZ		sizeof(struct vfio_iommu_type1_dma_map)
#define VFIO_UNMAP_MINSZ	offsetof(struct vfio_iommu_type1_dma_unmap, data)
#define VFIO_INFO_MINSZ		offsetof(struct vfio_iommu_type1_info, cap_offset)

static inline int vfio_errno(int ret)
{
	return ret < 0 ? errno : 0;
}

/* A new container: its fd, or -errno. */
static inline int vfio_open_container(void)
{
	int fd = open(VFIO_CONTAINER_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* /dev/vfio/@group: its fd, or -errno (EBUSY: open elsewhere). */
static inline int vfio_open_group(int group)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	fd = open(path, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* VFIO_GROUP_GET_STATUS: *@flags gets VFIO_GROUP_FLAGS_*. */
static inline int _vfio_group_status(int group_fd, uint32_t *flags)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int ret = ioctl(group_fd, VFIO_GROUP_GET_STATUS, &st);

	*flags = ret ? 0 : st.flags;
	return vfio_errno(ret);
}

static inline int _vfio_set_container(int group_fd, int container)
{
	return vfio_errno(ioctl(group_fd, VFIO_GROUP_SET_CONTAINER,
				&container));
}

#define vfio_set_container(group_fd, container) \
	ASSERT_EQ(0, _vfio_set_container(group_fd, container))
#define vfio_set_container_err(err, group_fd, container) \
	EXPECT_EQ(err, _vfio_set_container(group_fd, container))

static inline int _vfio_unset_container(int group_fd)
{
	return vfio_errno(ioctl(group_fd, VFIO_GROUP_UNSET_CONTAINER));
}

#define vfio_unset_container(group_fd) \
	ASSERT_EQ(0, _vfio_unset_container(group_fd))
#define vfio_unset_container_err(err, group_fd) \
	EXPECT_EQ(err, _vfio_unset_container(group_fd))

static inline int _vfio_set_iommu(int container, unsigned long type)
{
	return vfio_errno(ioctl(container, VFIO_SET_IOMMU, type));
}

#define vfio_set_iommu(container, type) \
	ASSERT_EQ(0, _vfio_set_iommu(container, type))
#define vfio_set_iommu_err(err, container, type) \
	EXPECT_EQ(err, _vfio_set_iommu(container, type))

/* VFIO_CHECK_EXTENSION's answer (0, 1), or -errno. */
static inline int vfio_check_extension(int container, unsigned long ext)
{
	int ret = ioctl(container, VFIO_CHECK_EXTENSION, ext);

	return ret < 0 ? -errno : ret;
}

static inline int _vfio_map(int container, uint64_t iova, uint64_t size,
			    const void *vaddr, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = flags,
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = size,
	};

	return vfio_errno(ioctl(container, VFIO_IOMMU_MAP_DMA, &map));
}

#define vfio_map(container, iova, size, vaddr) \
	ASSERT_EQ(0, _vfio_map(container, iova, size, vaddr, VFIO_RW))
#define vfio_map_err(err, container, iova, size, vaddr, flags) \
	EXPECT_EQ(err, _vfio_map(container, iova, size, vaddr, flags))

/* *@unmapped (if not NULL) gets the size the kernel wrote back, or 0. */
static inline int _vfio_unmap(int container, uint64_t iova, uint64_t size,
			      uint32_t flags, uint64_t *unmapped)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.flags = flags,
		.iova = iova,
		.size = size,
	};
	int ret = ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap);

	if (unmapped)
		*unmapped = ret ? 0 : unmap.size;
	return vfio_errno(ret);
}

/* Unmap [@iova, +@size): it must succeed and remove exactly @size bytes. */
#define vfio_unmap(container, iova, size) do {				\
	uint64_t __unmapped = 0, __size = (size);			\
									\
	ASSERT_EQ(0, _vfio_unmap(container, iova, __size, 0,		\
				 &__unmapped));				\
	ASSERT_EQ(__size, __unmapped);					\
} while (0)
#define vfio_unmap_all(container) \
	ASSERT_EQ(0, _vfio_unmap(container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, \
				 NULL))
#define vfio_unmap_err(err, container, iova, size, flags) \
	EXPECT_EQ(err, _vfio_unmap(container, iova, size, flags, NULL))

/* VFIO_IOMMU_GET_INFO into @buf of @len bytes (argsz = @len). */
static inline int _vfio_get_info(int container, void *buf, uint32_t len)
{
	struct vfio_iommu_type1_info *info = buf;

	memset(buf, 0, len);
	info->argsz = len;
	return vfio_errno(ioctl(container, VFIO_IOMMU_GET_INFO, info));
}

/*
 * The capability @id of a GET_INFO answer whose buffer held @len bytes,
 * or NULL. A chain that leaves the buffer or loops ends the walk.
 */
static inline struct vfio_info_cap_header *
vfio_info_cap(struct vfio_iommu_type1_info *info, uint32_t len, uint16_t id)
{
	struct vfio_info_cap_header *hdr;
	uint32_t off = info->cap_offset;
	unsigned int hops = 0;

	while (off && hops++ < 32) {
		if (off < sizeof(*info) || off + sizeof(*hdr) > len)
			return NULL;
		hdr = (void *)((char *)info + off);
		if (hdr->id == id)
			return hdr;
		off = hdr->next;
	}
	return NULL;
}

/*
 * GET_INFO as a VMM does it: grow argsz until the whole chain fits. The
 * answer is malloc()ed into *@out (free() it); *@len gets its size.
 * Returns 0 or a negative errno.
 */
static inline int vfio_get_info_all(int container,
				    struct vfio_iommu_type1_info **out,
				    uint32_t *len)
{
	uint32_t argsz = sizeof(**out);
	void *buf;
	int ret;

	for (;;) {
		buf = malloc(argsz);
		if (!buf)
			return -ENOMEM;
		ret = _vfio_get_info(container, buf, argsz);
		if (ret || ((struct vfio_iommu_type1_info *)buf)->argsz <= argsz)
			break;
		argsz = ((struct vfio_iommu_type1_info *)buf)->argsz;
		free(buf);
	}
	if (ret) {
		free(buf);
		return -ret;
	}
	*out = buf;
	*len = argsz;
	return 0;
}

/* ---- devices --------------------------------------------------------------- */

/* VFIO_GROUP_GET_DEVICE_FD(@name): the device fd, or -errno. */
static inline int vfio_device_fd(int group_fd, const char *name)
{
	int fd = ioctl(group_fd, VFIO_GROUP_GET_DEVICE_FD, name);

	return fd < 0 ? -errno : fd;
}

static inline int _vfio_region_info(int device_fd, uint32_t index,
				    struct vfio_region_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	return vfio_errno(ioctl(device_fd, VFIO_DEVICE_GET_REGION_INFO, info));
}

/* ---- a container and its groups ------------------------------------------- */

/*
 * Add @group_fd to @container and, if it is the container's first group
 * (@first), choose the IOMMU driver with VFIO_SET_IOMMU(@type), as a VMM
 * does. On a failed SET_IOMMU the group leaves again. Returns 0 or the
 * errno of the step that failed.
 */
static inline int vfio_attach(int container, int group_fd, bool first,
			      unsigned long type)
{
	int ret = _vfio_set_container(group_fd, container);

	if (ret || !first)
		return ret;
	ret = _vfio_set_iommu(container, type);
	if (ret)
		_vfio_unset_container(group_fd);
	return ret;
}

/* ---- dirty page tracking (VFIO_IOMMU_DIRTY_PAGES) ------------------------- */

/* VFIO_IOMMU_DIRTY_PAGES with one of START or STOP: 0 or the errno. */
static inline int _vfio_dirty_ctl(int container, uint32_t flag)
{
	struct vfio_iommu_type1_dirty_bitmap d = {
		.argsz = sizeof(d),
		.flags = flag,
	};

	return vfio_errno(ioctl(container, VFIO_IOMMU_DIRTY_PAGES, &d));
}

#define vfio_dirty_start(container) \
	ASSERT_EQ(0, _vfio_dirty_ctl(container, \
				     VFIO_IOMMU_DIRTY_PAGES_FLAG_START))
#define vfio_dirty_stop(container) \
	ASSERT_EQ(0, _vfio_dirty_ctl(container, \
				     VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP))

/*
 * GET_BITMAP of [@iova, +@size) into @data (@data_size bytes), one bit per
 * @pgsize page: 0 or the errno.
 */
static inline int _vfio_dirty_get(int container, uint64_t iova, uint64_t size,
				  uint64_t pgsize, void *data,
				  uint64_t data_size)
{
	struct {
		struct vfio_iommu_type1_dirty_bitmap d;
		struct vfio_iommu_type1_dirty_bitmap_get get;
	} req = {
		.d = {
			.argsz = sizeof(req),
			.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP,
		},
		.get = {
			.iova = iova,
			.size = size,
			.bitmap = {
				.pgsize = pgsize,
				.size = data_size,
				.data = data,
			},
		},
	};

	return vfio_errno(ioctl(container, VFIO_IOMMU_DIRTY_PAGES, &req));
}

/*
 * UNMAP_DMA with VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP: the dirty bits of
 * what goes into @data, as _vfio_dirty_get(); *@unmapped as _vfio_unmap().
 */
static inline int _vfio_unmap_dirty(int container, uint64_t iova,
				    uint64_t size, uint64_t pgsize, void *data,
				    uint64_t data_size, uint64_t *unmapped)
{
	struct {
		struct vfio_iommu_type1_dma_unmap unmap;
		struct vfio_bitmap bitmap;
	} req = {
		.unmap = {
			.argsz = sizeof(req),
			.flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
			.iova = iova,
			.size = size,
		},
		.bitmap = {
			.pgsize = pgsize,
			.size = data_size,
			.data = data,
		},
	};
	int ret = ioctl(container, VFIO_IOMMU_UNMAP_DMA, &req);

	if (unmapped)
		*unmapped = ret ? 0 : req.unmap.size;
	return vfio_errno(ret);
}

/* Bytes of a dirty bitmap of @npages pages: whole u64 words, as type1 */
static inline uint64_t vfio_dirty_bitmap_bytes(uint64_t npages)
{
	return (npages + 63) / 64 * 8;
}

#endif /* _VFIO_MDOM_VFIO_UTILS_H */
