/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What vfio-mdom needs from the VFIO core to be one of its IOMMU drivers.
 *
 * The VFIO core exports vfio_register_iommu_driver() and
 * vfio_unregister_iommu_driver() (drivers/vfio/container.c), but declares
 * them, struct vfio_iommu_driver_ops and enum vfio_group_type only in its
 * private header drivers/vfio/vfio.h, which a kernel headers package does
 * not ship. They are declared here under the project's own names, with the
 * layout of Linux 6.12, or of 6.1 where the target kernel's ops have a
 * notify member (MDOM_HAVE_VFIO_OPS_NOTIFY, probed in the kernel's own
 * header or BTF: compat_probes.c).
 *
 * The layout is checked at build time against the kernel being built for:
 * vfio_abi_check.c compares it with the kernel's own header when the full
 * source tree is there; otherwise the target kernel's BTF is compared (see
 * Kbuild). A difference fails the build rather than the running kernel.
 */
#ifndef _VFIO_MDOM_VFIO_BACKEND_H
#define _VFIO_MDOM_VFIO_BACKEND_H

#include <linux/types.h>

#include "compat/probes.h"

struct iommu_domain;
struct iommu_group;
struct module;
struct page;
struct vfio_device;

/* enum vfio_group_type */
enum mdom_vfio_group_type {
	MDOM_VFIO_IOMMU,		/* a device behind an IOMMU */
	MDOM_VFIO_EMULATED_IOMMU,	/* mdev-style: DMA through pin_pages */
	MDOM_VFIO_NO_IOMMU,		/* no isolation at all */
};

#ifdef MDOM_HAVE_VFIO_OPS_NOTIFY
/* enum vfio_iommu_notify_type */
enum mdom_vfio_iommu_notify_type {
	MDOM_VFIO_IOMMU_CONTAINER_CLOSE = 0,
};
#endif

/*
 * struct vfio_iommu_driver_ops. Called by the VFIO core:
 * @open: VFIO_SET_IOMMU chose this driver; @arg is the type asked for
 * @release: the container lost its last group (or SET_IOMMU unwound)
 * @ioctl: every container ioctl but GET_API_VERSION and SET_IOMMU;
 *	   CHECK_EXTENSION also with a NULL @iommu_data before SET_IOMMU
 * @attach_group, @detach_group: a group joins or leaves; for VFIO_IOMMU
 *	groups the core has claimed DMA ownership already
 * @pin_pages, @unpin_pages, @dma_rw: emulated devices' access to memory
 * @register_device, @unregister_device: a device of the container is
 *	opened or closed (both or neither must be set)
 * @group_iommu_domain: the domain a group is attached to
 * @notify: (kernels whose ops have it) the container's file is closing;
 *	    optional, vfio-mdom leaves it NULL: nothing of it waits for
 *	    user space (type1 of those kernels woke its VADDR waiters)
 * All but @ioctl are called with the VFIO container's group_lock held
 * (written for open, release, attach and detach); @ioctl, @pin_pages,
 * @unpin_pages and @dma_rw without any VFIO lock.
 */
struct mdom_vfio_iommu_driver_ops {
	char *name;
	struct module *owner;
	void *(*open)(unsigned long arg);
	void (*release)(void *iommu_data);
	long (*ioctl)(void *iommu_data, unsigned int cmd, unsigned long arg);
	int (*attach_group)(void *iommu_data, struct iommu_group *group,
			    enum mdom_vfio_group_type type);
	void (*detach_group)(void *iommu_data, struct iommu_group *group);
	int (*pin_pages)(void *iommu_data, struct iommu_group *group,
			 dma_addr_t user_iova, int npage, int prot,
			 struct page **pages);
	void (*unpin_pages)(void *iommu_data, dma_addr_t user_iova, int npage);
	void (*register_device)(void *iommu_data, struct vfio_device *vdev);
	void (*unregister_device)(void *iommu_data, struct vfio_device *vdev);
	int (*dma_rw)(void *iommu_data, dma_addr_t user_iova, void *data,
		      size_t count, bool write);
	struct iommu_domain *(*group_iommu_domain)(void *iommu_data,
						   struct iommu_group *group);
#ifdef MDOM_HAVE_VFIO_OPS_NOTIFY
	void (*notify)(void *iommu_data,
		       enum mdom_vfio_iommu_notify_type event);
#endif
};

#ifndef MDOM_VFIO_ABI_CHECK
/* EXPORT_SYMBOL_GPL in drivers/vfio/container.c */
int vfio_register_iommu_driver(const struct mdom_vfio_iommu_driver_ops *ops);
void vfio_unregister_iommu_driver(const struct mdom_vfio_iommu_driver_ops *ops);
#endif

#endif /* _VFIO_MDOM_VFIO_BACKEND_H */
