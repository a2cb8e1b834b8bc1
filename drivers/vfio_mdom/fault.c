// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom DMA faults: every domain of a container gets a fault handler
 * (iommu_set_fault_handler()), which IOMMU drivers call through
 * report_iommu_fault() when a device's DMA faults in that domain. The
 * handler queues a VFIO_MDOM_EVENT_DMA_FAULT record in the container's
 * event file (events.c): the IOVA, read or write, the domain and the
 * device's IOMMU group; a burst per second at most, the rest counted.
 *
 * The handler runs in whatever context the driver reports from, often its
 * interrupt handler: it takes no sleeping lock and allocates nothing. It
 * answers 0 ("handled", the driver need not log it) when the fault went
 * to the event file, and -ENOSYS when the container has none, so the
 * driver logs it as it would without vfio-mdom.
 *
 * Which drivers call report_iommu_fault() (Linux 6.12): AMD (IO_PAGE_FAULT
 * events of a device attached to a domain), ARM SMMU (v1/v2 context
 * faults), Renesas IPMMU, MediaTek, Allwinner sun50i, and the mock IOMMU
 * of the tests. Intel VT-d does not: its fault interrupt
 * (dmar_fault(), drivers/iommu/intel/dmar.c) only logs the primary fault
 * records, and its page requests (prq.c) go to the iopf queue of a
 * PASID-capable device, not to a paging domain's handler. SMMUv3 reports
 * stalls through iommu_report_device_fault() only.
 */
#include <linux/device.h>
#include <linux/iommu.h>

#include "events.h"
#include "vfio_mdom.h"

static int mdom_fault_handler(struct iommu_domain *domain, struct device *dev,
			      unsigned long iova, int flags, void *token)
{
	struct mdom_domain *d = token;
	s32 group_id = -1;

	if (dev && dev->iommu_group)
		group_id = iommu_group_id(dev->iommu_group);
	return mdom_events_fault(d->container, READ_ONCE(d->id), group_id,
				 iova, flags & IOMMU_FAULT_WRITE);
}

/*
 * Called when @d's IOMMU domain is allocated, before any device can use
 * it. The domain is freed before @d and before the container.
 */
void mdom_fault_install(struct mdom_container *c, struct mdom_domain *d)
{
	d->container = c;
	iommu_set_fault_handler(d->domain, mdom_fault_handler, d);
}
