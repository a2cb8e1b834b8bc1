// SPDX-License-Identifier: GPL-2.0
/*
 * Build-time check, compiled only when the kernel's full source tree is
 * there: the declarations of vfio_backend.h must match the VFIO core's
 * private drivers/vfio/vfio.h, or the module must not build. Nothing here
 * produces code.
 *
 * Every member must sit at the same offset with the same type, but
 * attach_group and notify, whose types name enums: their values are
 * compared. notify is there in both or in neither (6.1's layout, or
 * 6.12's), as compat_probes.c found it in the same header.
 */
#include <linux/build_bug.h>
#include <linux/stddef.h>

#include <drivers/vfio/vfio.h>

#define MDOM_VFIO_ABI_CHECK
#include "vfio_backend.h"

static_assert(sizeof(struct vfio_iommu_driver_ops) ==
	      sizeof(struct mdom_vfio_iommu_driver_ops));
static_assert(offsetof(struct vfio_iommu_driver_ops, name) ==
	      offsetof(struct mdom_vfio_iommu_driver_ops, name));
static_assert(offsetof(struct vfio_iommu_driver_ops, owner) ==
	      offsetof(struct mdom_vfio_iommu_driver_ops, owner));
static_assert(offsetof(struct vfio_iommu_driver_ops, open) ==
	      offsetof(struct mdom_vfio_iommu_driver_ops, open));
static_assert(offsetof(struct vfio_iommu_driver_ops, release) ==
	      offsetof(struct mdom_vfio_iommu_driver_ops, release));
static_assert(offsetof(struct vfio_iommu_driver_ops, ioctl) ==
	      offsetof(struct mdom_vfio_iommu_driver_ops, ioctl));
static_assert(offsetof(struct vfio_iommu_driver_ops, detach_group) ==
	      offsetof(struct mdom_vfio_iommu_driver_ops, detach_group));
static_assert(offsetof(struct vfio_iommu_driver_ops, pin_pages) ==
	      offsetof(struct mdom_vfio_iommu_driver_ops, pin_pages));
static_assert(offsetof(struct vfio_iommu_driver_ops, unpin_pages) ==
	      offsetof(struct mdom_vfio_iommu_driver_ops, unpin_pages));
static_assert(offsetof(struct vfio_iommu_driver_ops, register_device) ==
	      offsetof(struct mdom_vfio_iommu_driver_ops, register_device));
static_assert(offsetof(struct vfio_iommu_driver_ops, unregister_device) ==
	      offsetof(struct mdom_vfio_iommu_driver_ops, unregister_device));
static_assert(offsetof(struct vfio_iommu_driver_ops, dma_rw) ==
	      offsetof(struct mdom_vfio_iommu_driver_ops, dma_rw));
static_assert(offsetof(struct vfio_iommu_driver_ops, group_iommu_domain) ==
	      offsetof(struct mdom_vfio_iommu_driver_ops, group_iommu_domain));
static_assert(offsetof(struct vfio_iommu_driver_ops, attach_group) ==
	      offsetof(struct mdom_vfio_iommu_driver_ops, attach_group));
static_assert(__same_type(((struct vfio_iommu_driver_ops *)NULL)->name,
			  ((struct mdom_vfio_iommu_driver_ops *)NULL)->name));
static_assert(__same_type(((struct vfio_iommu_driver_ops *)NULL)->owner,
			  ((struct mdom_vfio_iommu_driver_ops *)NULL)->owner));
static_assert(__same_type(((struct vfio_iommu_driver_ops *)NULL)->open,
			  ((struct mdom_vfio_iommu_driver_ops *)NULL)->open));
static_assert(__same_type(((struct vfio_iommu_driver_ops *)NULL)->release,
			  ((struct mdom_vfio_iommu_driver_ops *)NULL)->release));
static_assert(__same_type(((struct vfio_iommu_driver_ops *)NULL)->ioctl,
			  ((struct mdom_vfio_iommu_driver_ops *)NULL)->ioctl));
static_assert(__same_type(((struct vfio_iommu_driver_ops *)NULL)->detach_group,
			  ((struct mdom_vfio_iommu_driver_ops *)NULL)->detach_group));
static_assert(__same_type(((struct vfio_iommu_driver_ops *)NULL)->pin_pages,
			  ((struct mdom_vfio_iommu_driver_ops *)NULL)->pin_pages));
static_assert(__same_type(((struct vfio_iommu_driver_ops *)NULL)->unpin_pages,
			  ((struct mdom_vfio_iommu_driver_ops *)NULL)->unpin_pages));
static_assert(__same_type(((struct vfio_iommu_driver_ops *)NULL)->register_device,
			  ((struct mdom_vfio_iommu_driver_ops *)NULL)->register_device));
static_assert(__same_type(((struct vfio_iommu_driver_ops *)NULL)->unregister_device,
			  ((struct mdom_vfio_iommu_driver_ops *)NULL)->unregister_device));
static_assert(__same_type(((struct vfio_iommu_driver_ops *)NULL)->dma_rw,
			  ((struct mdom_vfio_iommu_driver_ops *)NULL)->dma_rw));
static_assert(__same_type(((struct vfio_iommu_driver_ops *)NULL)->group_iommu_domain,
			  ((struct mdom_vfio_iommu_driver_ops *)NULL)->group_iommu_domain));
static_assert(__same_type(((struct vfio_iommu_driver_ops *)NULL)->attach_group,
			  int (*)(void *, struct iommu_group *,
				  enum vfio_group_type)));
/* The registration functions take the kernel's struct. */
static_assert(__same_type(&vfio_register_iommu_driver,
			  int (*)(const struct vfio_iommu_driver_ops *)));
static_assert(__same_type(&vfio_unregister_iommu_driver,
			  void (*)(const struct vfio_iommu_driver_ops *)));
static_assert(sizeof(enum vfio_group_type) ==
	      sizeof(enum mdom_vfio_group_type));
static_assert((int)VFIO_IOMMU == (int)MDOM_VFIO_IOMMU);
static_assert((int)VFIO_EMULATED_IOMMU == (int)MDOM_VFIO_EMULATED_IOMMU);
static_assert((int)VFIO_NO_IOMMU == (int)MDOM_VFIO_NO_IOMMU);
#ifdef MDOM_HAVE_VFIO_OPS_NOTIFY
static_assert(offsetof(struct vfio_iommu_driver_ops, notify) ==
	      offsetof(struct mdom_vfio_iommu_driver_ops, notify));
static_assert(__same_type(((struct vfio_iommu_driver_ops *)NULL)->notify,
			  void (*)(void *, enum vfio_iommu_notify_type)));
static_assert(sizeof(enum vfio_iommu_notify_type) ==
	      sizeof(enum mdom_vfio_iommu_notify_type));
static_assert((int)VFIO_IOMMU_CONTAINER_CLOSE ==
	      (int)MDOM_VFIO_IOMMU_CONTAINER_CLOSE);
#endif
