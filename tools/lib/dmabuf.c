// SPDX-License-Identifier: GPL-2.0
#include <libvfio_mdom/dmabuf.h>

const char *ram_pfnmap_name(enum ram_pfnmap_kind kind)
{
	return kind == RAM_PFNMAP_UDMABUF ? "udmabuf" : "vgem";
}

int ram_pfnmap_mmap(struct ram_pfnmap *b, void *at, int fd, off_t offset)
{
	b->va = mmap(at, b->size, PROT_READ | PROT_WRITE,
		     MAP_SHARED | (at ? MAP_FIXED : 0), fd, offset);
	if (b->va == MAP_FAILED) {
		b->va = NULL;
		return -errno;
	}
	return 0;
}

int udmabuf_alloc(struct ram_pfnmap *b, void *at)
{
	struct udmabuf_create create = { .flags = UDMABUF_FLAGS_CLOEXEC };
	int dev, ret;

	dev = open(UDMABUF_PATH, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return errno == ENOENT ? -ENODEV : -errno;
	b->memfd = memfd_create("ram_pfnmap", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (b->memfd < 0 || ftruncate(b->memfd, b->size) ||
	    fcntl(b->memfd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		ret = -errno;
		goto out_close;
	}
	create.memfd = b->memfd;
	create.size = b->size;
	b->fd = ioctl(dev, UDMABUF_CREATE, &create);
	if (b->fd < 0) {
		ret = -errno;
		goto out_close;
	}
	ret = ram_pfnmap_mmap(b, at, b->fd, 0);
out_close:
	close(dev);
	return ret;
}

int vgem_open(void)
{
	char path[32], name[16];
	unsigned int i;
	int fd;

	for (i = 0; i < DRI_MAX_CARDS; i++) {
		struct drm_version v = {
			.name = name,
			.name_len = sizeof(name) - 1,
		};

		snprintf(path, sizeof(path), DRI_DIR "/card%u", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(name, 0, sizeof(name));
		if (!ioctl(fd, DRM_IOCTL_VERSION, &v) && !strcmp(name, "vgem"))
			return fd;
		close(fd);
	}
	return -ENODEV;
}

int vgem_alloc(struct ram_pfnmap *b, void *at)
{
	struct drm_mode_create_dumb create = {
		.width = 1024,
		.height = b->size / 4096,
		.bpp = 32,
	};
	struct drm_mode_map_dumb map = {};

	b->fd = vgem_open();
	if (b->fd < 0)
		return b->fd;
	if (ioctl(b->fd, DRM_IOCTL_MODE_CREATE_DUMB, &create))
		return -errno;
	b->handle = create.handle;
	if (create.size != b->size)
		return -EINVAL;
	map.handle = create.handle;
	if (ioctl(b->fd, DRM_IOCTL_MODE_MAP_DUMB, &map))
		return -errno;
	return ram_pfnmap_mmap(b, at, b->fd, map.offset);
}

void ram_pfnmap_free(struct ram_pfnmap *b)
{
	if (b->va)
		munmap(b->va, b->size);
	if (b->fd >= 0)
		close(b->fd);
	if (b->memfd >= 0)
		close(b->memfd);
	b->fd = -1;
	b->memfd = -1;
	b->va = NULL;
}

int ram_pfnmap_alloc(struct ram_pfnmap *b,
		     enum ram_pfnmap_kind kind, size_t size,
		     void *at)
{
	int ret;

	memset(b, 0, sizeof(*b));
	b->fd = -1;
	b->memfd = -1;
	b->size = size;
	ret = kind == RAM_PFNMAP_UDMABUF ? udmabuf_alloc(b, at) :
					   vgem_alloc(b, at);
	if (ret) {
		ram_pfnmap_free(b);
		return ret;
	}
	return 0;
}
