// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_mdom_bench: the three peers behind one interface.
 *
 * vfio-mdom and type1 are both reached through /dev/vfio/vfio, exactly as a
 * VMM reaches them: group into container, VFIO_SET_IOMMU(TYPE1v2), then
 * VFIO_IOMMU_MAP_DMA/UNMAP_DMA. Which of the two serves a container is
 * chosen at VFIO_SET_IOMMU by vfio_mdom's vfio_backend parameter (Y: vfio-mdom,
 * N: the kernel's type1; without vfio_mdom loaded, type1). Every container
 * is then checked to be served by the peer it is measured as:
 * VFIO_MDOM_QUERY answers on a vfio-mdom container and fails with ENOTTY on
 * a type1 one. iommufd is reached through /dev/iommu and the devices' VFIO
 * cdevs: an IOAS, VFIO_DEVICE_BIND_IOMMUFD, VFIO_DEVICE_ATTACH_IOMMUFD_PT,
 * IOMMU_IOAS_MAP/UNMAP with fixed IOVAs.
 *
 * A device cannot be bound to iommufd through its cdev while its group is
 * open, nor the other way round: a context opens a device's group or cdev
 * only while the context lives, and ctx_close() closes it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>
#include <linux/vfio_mdom.h>

#include "bench.h"

#define MDOM_PARAMS	"/sys/module/vfio_mdom/parameters/"
#define TYPE1_PARAMS	"/sys/module/vfio_iommu_type1/parameters/"

static const char * const peer_names[NR_PEERS] = {
	[PEER_MDOM] = "mdom",
	[PEER_TYPE1] = "type1",
	[PEER_IOMMUFD] = "iommufd",
};

const char *peer_name(enum peer_kind kind)
{
	return peer_names[kind];
}

int peer_from_name(const char *name)
{
	int i;

	for (i = 0; i < NR_PEERS; i++)
		if (!strcmp(name, peer_names[i]))
			return i;
	return -EINVAL;
}

/* vfio_mdom is loaded and is a VFIO IOMMU backend that can be switched */
bool mdom_loaded(void)
{
	return access(MDOM_PARAMS "vfio_backend", W_OK) == 0;
}

static const char * const limit_params[] = {
	TYPE1_PARAMS "dma_entry_limit",
	MDOM_PARAMS "dma_entry_limit",
};

static unsigned long saved_limit[2];
static bool limit_saved[2];

/*
 * Raise type1's and vfio-mdom's dma_entry_limit (read when a container is
 * set up) for the runs with many mappings; restore_entry_limit() puts the
 * values found back.
 */
int set_entry_limit(unsigned long limit)
{
	int i, ret;

	for (i = 0; i < 2; i++) {
		if (access(limit_params[i], W_OK))
			continue;
		if (!limit_saved[i]) {
			ret = read_ulong(limit_params[i], &saved_limit[i]);
			if (ret)
				return ret;
			limit_saved[i] = true;
		}
		ret = write_ulong(limit_params[i], limit);
		if (ret)
			return ret;
	}
	return 0;
}

int restore_entry_limit(void)
{
	int i, ret = 0;

	for (i = 0; i < 2; i++) {
		if (!limit_saved[i])
			continue;
		if (write_ulong(limit_params[i], saved_limit[i]))
			ret = -EIO;
		limit_saved[i] = false;
	}
	return ret;
}

static int fail(const char *what, const struct ctx *c)
{
	int err = errno;

	pr_err("%s (%s): %s\n", what, peer_name(c->kind), strerror(err));
	return -err;
}

/* Let the next VFIO_SET_IOMMU pick the backend of @kind */
static int vfio_select_backend(enum peer_kind kind)
{
	if (!mdom_loaded()) {
		if (kind == PEER_MDOM) {
			pr_err("vfio_mdom is not loaded as a VFIO backend (no %s)\n",
			       MDOM_PARAMS "vfio_backend");
			return -ENODEV;
		}
		return 0;
	}
	return write_str(MDOM_PARAMS "vfio_backend",
			 kind == PEER_MDOM ? "Y" : "N");
}

/* The container is served by the backend it is measured as, or -EPROTO */
static int vfio_check_backend(struct ctx *c)
{
	struct vfio_mdom_query q = { .argsz = sizeof(q) };
	bool want_mdom = c->kind == PEER_MDOM;
	bool is_mdom;

	if (!ioctl(c->fd, VFIO_MDOM_QUERY, &q) || errno == EMSGSIZE)
		is_mdom = true;
	else if (errno == ENOTTY)
		is_mdom = false;
	else
		return fail("VFIO_MDOM_QUERY", c);
	if (is_mdom != want_mdom) {
		pr_err("measuring %s, but the container is served by %s\n",
		       peer_name(c->kind), is_mdom ? "vfio-mdom" : "type1");
		return -EPROTO;
	}
	return 0;
}

/* Open @dev's group (VFIO) or cdev bound to the iommufd: not yet attached */
int ctx_add_dev(struct ctx *c, const struct bench_dev *dev)
{
	char path[64];
	int fd;

	if (c->ndevs == CTX_MAX_DEVS)
		return -ENOSPC;
	if (c->kind == PEER_IOMMUFD) {
		struct vfio_device_bind_iommufd bind = {
			.argsz = sizeof(bind),
			.iommufd = c->fd,
		};

		snprintf(path, sizeof(path), "/dev/vfio/devices/vfio%d",
			 dev->cdev);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return fail(path, c);
		if (ioctl(fd, VFIO_DEVICE_BIND_IOMMUFD, &bind)) {
			int ret = fail("VFIO_DEVICE_BIND_IOMMUFD", c);

			close(fd);
			return ret;
		}
	} else {
		struct vfio_group_status st = { .argsz = sizeof(st) };

		snprintf(path, sizeof(path), "/dev/vfio/%d", dev->group);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return fail(path, c);
		if (ioctl(fd, VFIO_GROUP_GET_STATUS, &st) ||
		    !(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
			pr_err("group %d of %s is not viable\n", dev->group,
			       dev->name);
			close(fd);
			return -EBUSY;
		}
	}
	c->dev_fd[c->ndevs++] = fd;
	return 0;
}

/* Attach device @idx of ctx_add_dev(): the step replay measures */
int ctx_attach_dev(struct ctx *c, int idx)
{
	if (c->kind == PEER_IOMMUFD) {
		struct vfio_device_attach_iommufd_pt at = {
			.argsz = sizeof(at),
			.pt_id = c->ioas,
		};

		if (ioctl(c->dev_fd[idx], VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at))
			return fail("VFIO_DEVICE_ATTACH_IOMMUFD_PT", c);
		return 0;
	}
	if (ioctl(c->dev_fd[idx], VFIO_GROUP_SET_CONTAINER, &c->fd))
		return fail("VFIO_GROUP_SET_CONTAINER", c);
	return 0;
}

static int vfio_open(struct ctx *c, const struct bench_dev *dev)
{
	int ret;

	c->fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (c->fd < 0)
		return fail("/dev/vfio/vfio", c);
	ret = ctx_add_dev(c, dev);
	if (!ret)
		ret = ctx_attach_dev(c, 0);
	if (!ret)
		ret = vfio_select_backend(c->kind);
	if (ret)
		return ret;
	if (ioctl(c->fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return fail("VFIO_SET_IOMMU", c);
	return vfio_check_backend(c);
}

static int iommufd_open(struct ctx *c, const struct bench_dev *dev)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	int ret;

	c->fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (c->fd < 0)
		return fail("/dev/iommu", c);
	if (ioctl(c->fd, IOMMU_IOAS_ALLOC, &alloc))
		return fail("IOMMU_IOAS_ALLOC", c);
	c->ioas = alloc.out_ioas_id;
	ret = ctx_add_dev(c, dev);
	if (!ret)
		ret = ctx_attach_dev(c, 0);
	return ret;
}

/*
 * A container (IOAS) of @kind with @dev attached, ready to map. On failure
 * everything opened is closed again.
 */
int ctx_open(struct ctx *c, enum peer_kind kind, const struct bench_dev *dev)
{
	int ret;

	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->fd = -1;
	ret = kind == PEER_IOMMUFD ? iommufd_open(c, dev) : vfio_open(c, dev);
	if (ret)
		ctx_close(c);
	return ret;
}

int ctx_map(struct ctx *c, void *va, __u64 iova, __u64 size)
{
	if (c->kind == PEER_IOMMUFD) {
		struct iommu_ioas_map m = {
			.size = sizeof(m),
			.flags = IOMMU_IOAS_MAP_FIXED_IOVA |
				 IOMMU_IOAS_MAP_READABLE |
				 IOMMU_IOAS_MAP_WRITEABLE,
			.ioas_id = c->ioas,
			.user_va = (uintptr_t)va,
			.length = size,
			.iova = iova,
		};

		if (ioctl(c->fd, IOMMU_IOAS_MAP, &m))
			return fail("IOMMU_IOAS_MAP", c);
	} else {
		struct vfio_iommu_type1_dma_map m = {
			.argsz = sizeof(m),
			.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
			.vaddr = (uintptr_t)va,
			.iova = iova,
			.size = size,
		};

		if (ioctl(c->fd, VFIO_IOMMU_MAP_DMA, &m))
			return fail("VFIO_IOMMU_MAP_DMA", c);
	}
	return 0;
}

/* Unmap [@iova, @iova + @size): all of it must have been mapped */
int ctx_unmap(struct ctx *c, __u64 iova, __u64 size)
{
	__u64 done;

	if (c->kind == PEER_IOMMUFD) {
		struct iommu_ioas_unmap u = {
			.size = sizeof(u),
			.ioas_id = c->ioas,
			.iova = iova,
			.length = size,
		};

		if (ioctl(c->fd, IOMMU_IOAS_UNMAP, &u))
			return fail("IOMMU_IOAS_UNMAP", c);
		done = u.length;
	} else {
		struct vfio_iommu_type1_dma_unmap u = {
			.argsz = sizeof(u),
			.iova = iova,
			.size = size,
		};

		if (ioctl(c->fd, VFIO_IOMMU_UNMAP_DMA, &u))
			return fail("VFIO_IOMMU_UNMAP_DMA", c);
		done = u.size;
	}
	if (done != size) {
		pr_err("%s: unmapped 0x%llx bytes of 0x%llx at 0x%llx\n",
		       peer_name(c->kind), (unsigned long long)done,
		       (unsigned long long)size, (unsigned long long)iova);
		return -EIO;
	}
	return 0;
}

/* Everything at once: VFIO_DMA_UNMAP_FLAG_ALL, or IOAS_UNMAP of 0..U64_MAX */
int ctx_unmap_all(struct ctx *c)
{
	if (c->kind == PEER_IOMMUFD) {
		struct iommu_ioas_unmap u = {
			.size = sizeof(u),
			.ioas_id = c->ioas,
			.length = UINT64_MAX,
		};

		if (ioctl(c->fd, IOMMU_IOAS_UNMAP, &u))
			return fail("IOMMU_IOAS_UNMAP (all)", c);
	} else {
		struct vfio_iommu_type1_dma_unmap u = {
			.argsz = sizeof(u),
			.flags = VFIO_DMA_UNMAP_FLAG_ALL,
		};

		if (ioctl(c->fd, VFIO_IOMMU_UNMAP_DMA, &u))
			return fail("VFIO_IOMMU_UNMAP_DMA (all)", c);
	}
	return 0;
}

/* Domains of a vfio-mdom container; -ENOTTY for the other peers */
int ctx_num_domains(struct ctx *c)
{
	struct vfio_mdom_query q = { .argsz = sizeof(q) };

	if (c->kind != PEER_MDOM)
		return -ENOTTY;
	if (ioctl(c->fd, VFIO_MDOM_QUERY, &q) && errno != EMSGSIZE)
		return fail("VFIO_MDOM_QUERY", c);
	return q.num_domains;
}

/*
 * Close the devices (a group leaving its container, a cdev unbinding), then
 * the container or iommufd: what tears the mappings down when the last
 * user goes. Returns the first close() error.
 */
int ctx_close(struct ctx *c)
{
	int ret = 0;

	while (c->ndevs > 0) {
		if (close(c->dev_fd[--c->ndevs]) && !ret)
			ret = fail("close device", c);
	}
	if (c->fd >= 0 && close(c->fd) && !ret)
		ret = fail("close container", c);
	c->fd = -1;
	return ret;
}
