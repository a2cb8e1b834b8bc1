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

#include "bench.h"

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

/* The parameters set_entry_limit() changed, for restore_entry_limit() */
static struct params saved_params;

/*
 * Raise type1's and vfio-mdom's dma_entry_limit (read when a container is
 * set up) for the runs with many mappings; restore_entry_limit() puts the
 * values found back.
 */
int set_entry_limit(unsigned long limit)
{
	char val[32];
	int ret;

	snprintf(val, sizeof(val), "%lu", limit);
	ret = params_set_both(&saved_params, "dma_entry_limit", val);
	if (ret)
		pr_err("dma_entry_limit %s: %s\n", val, strerror(-ret));
	return ret;
}

int restore_entry_limit(void)
{
	return params_restore(&saved_params);
}

/* @what failed with -errno @err */
static int fail_err(const char *what, const struct ctx *c, int err)
{
	pr_err("%s (%s): %s\n", what, peer_name(c->kind), strerror(-err));
	return err;
}

/* @what failed, errno tells why */
static int fail(const char *what, const struct ctx *c)
{
	return fail_err(what, c, -errno);
}

/* Let the next VFIO_SET_IOMMU pick the backend of @kind */
int vfio_select_backend(enum peer_kind kind)
{
	if (!mdom_loaded()) {
		if (kind == PEER_MDOM) {
			pr_err("vfio_mdom is not loaded as a VFIO backend\n");
			return -ENODEV;
		}
		return 0;
	}
	return param_set_bool(MDOM_MOD, "vfio_backend", kind == PEER_MDOM);
}

/* The container is served by the backend it is measured as, or -EPROTO */
static int vfio_check_backend(struct ctx *c)
{
	bool want_mdom = c->kind == PEER_MDOM;
	int ret = _mdom_backend(c->fd);
	bool is_mdom = !ret;

	if (ret && ret != -ENOTTY)
		return fail_err("VFIO_MDOM_QUERY", c, ret);
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
		uint32_t flags;

		fd = vfio_open_group(dev->group);
		if (fd < 0)
			return fail_err("/dev/vfio/<group>", c, fd);
		if (_vfio_group_status(fd, &flags) ||
		    !(flags & VFIO_GROUP_FLAGS_VIABLE)) {
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
	int ret;

	if (c->kind == PEER_IOMMUFD) {
		struct vfio_device_attach_iommufd_pt at = {
			.argsz = sizeof(at),
			.pt_id = c->ioas,
		};

		if (ioctl(c->dev_fd[idx], VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at))
			return fail("VFIO_DEVICE_ATTACH_IOMMUFD_PT", c);
		return 0;
	}
	ret = _vfio_set_container(c->dev_fd[idx], c->fd);
	return ret ? fail_err("VFIO_GROUP_SET_CONTAINER", c, ret) : 0;
}

static int vfio_open(struct ctx *c, const struct bench_dev *dev)
{
	int ret;

	c->fd = vfio_open_container();
	if (c->fd < 0)
		return fail_err(VFIO_CONTAINER_PATH, c, c->fd);
	ret = ctx_add_dev(c, dev);
	if (!ret)
		ret = ctx_attach_dev(c, 0);
	if (!ret)
		ret = vfio_select_backend(c->kind);
	if (ret)
		return ret;
	ret = _vfio_set_iommu(c->fd, VFIO_TYPE1v2_IOMMU);
	if (ret)
		return fail_err("VFIO_SET_IOMMU", c, ret);
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
		int ret = _vfio_map(c->fd, iova, size, va, VFIO_RW);

		if (ret)
			return fail_err("VFIO_IOMMU_MAP_DMA", c, ret);
	}
	return 0;
}

/* Unmap [@iova, @iova + @size): all of it must have been mapped */
int ctx_unmap(struct ctx *c, __u64 iova, __u64 size)
{
	uint64_t done;

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
		int ret = _vfio_unmap(c->fd, iova, size, 0, &done);

		if (ret)
			return fail_err("VFIO_IOMMU_UNMAP_DMA", c, ret);
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
		int ret = _vfio_unmap(c->fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL,
				      NULL);

		if (ret)
			return fail_err("VFIO_IOMMU_UNMAP_DMA (all)", c, ret);
	}
	return 0;
}

/* Domains of a vfio-mdom container; -ENOTTY for the other peers */
int ctx_num_domains(struct ctx *c)
{
	struct mdom_state st;
	int ret;

	if (c->kind != PEER_MDOM)
		return -ENOTTY;
	ret = _mdom_query(c->fd, &st);
	if (ret)
		return fail_err("VFIO_MDOM_QUERY", c, ret);
	return st.q.num_domains;
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
