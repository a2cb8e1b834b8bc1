// SPDX-License-Identifier: GPL-2.0
#include <libvfio_mdom/vfio.h>

int vfio_errno(int ret)
{
	return ret < 0 ? -errno : 0;
}

int vfio_open_container(void)
{
	int fd = open(VFIO_CONTAINER_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int vfio_open_group(int group)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	fd = open(path, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int _vfio_group_status(int group_fd, uint32_t *flags)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int ret = ioctl(group_fd, VFIO_GROUP_GET_STATUS, &st);

	*flags = ret ? 0 : st.flags;
	return vfio_errno(ret);
}

int _vfio_set_container(int group_fd, int container)
{
	return vfio_errno(ioctl(group_fd, VFIO_GROUP_SET_CONTAINER,
				&container));
}

int _vfio_unset_container(int group_fd)
{
	return vfio_errno(ioctl(group_fd, VFIO_GROUP_UNSET_CONTAINER));
}

int _vfio_set_iommu(int container, unsigned long type)
{
	return vfio_errno(ioctl(container, VFIO_SET_IOMMU, type));
}

int vfio_check_extension(int container, unsigned long ext)
{
	int ret = ioctl(container, VFIO_CHECK_EXTENSION, ext);

	return ret < 0 ? -errno : ret;
}

int _vfio_map(int container, uint64_t iova, uint64_t size,
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

int _vfio_unmap(int container, uint64_t iova, uint64_t size,
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

int _vfio_get_info(int container, void *buf, uint32_t len)
{
	struct vfio_iommu_type1_info *info = buf;

	memset(buf, 0, len);
	info->argsz = len;
	return vfio_errno(ioctl(container, VFIO_IOMMU_GET_INFO, info));
}

struct vfio_info_cap_header *
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

int vfio_get_info_all(int container,
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
		return ret;
	}
	*out = buf;
	*len = argsz;
	return 0;
}

int vfio_device_fd(int group_fd, const char *name)
{
	int fd = ioctl(group_fd, VFIO_GROUP_GET_DEVICE_FD, name);

	return fd < 0 ? -errno : fd;
}

int _vfio_region_info(int device_fd, uint32_t index,
		      struct vfio_region_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	return vfio_errno(ioctl(device_fd, VFIO_DEVICE_GET_REGION_INFO, info));
}

int vfio_attach(int container, int group_fd, bool first, unsigned long type)
{
	int ret = _vfio_set_container(group_fd, container);

	if (ret || !first)
		return ret;
	ret = _vfio_set_iommu(container, type);
	if (ret)
		_vfio_unset_container(group_fd);
	return ret;
}

int _vfio_dirty_ctl(int container, uint32_t flag)
{
	struct vfio_iommu_type1_dirty_bitmap d = {
		.argsz = sizeof(d),
		.flags = flag,
	};

	return vfio_errno(ioctl(container, VFIO_IOMMU_DIRTY_PAGES, &d));
}

int _vfio_dirty_get(int container, uint64_t iova, uint64_t size,
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

int _vfio_unmap_dirty(int container, uint64_t iova,
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

uint64_t vfio_dirty_bitmap_bytes(uint64_t npages)
{
	return (npages + 63) / 64 * 8;
}
