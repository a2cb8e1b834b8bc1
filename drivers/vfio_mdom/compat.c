// SPDX-License-Identifier: GPL-2.0
/*
 * The out-of-line half of compat.h: kernel APIs that differ among the
 * kernels vfio-mdom builds for, each behind one function. Every #ifdef
 * here tests an MDOM_HAVE_<NAME> of compat/probes.h, what the target
 * kernel's headers were found to offer, never a kernel version.
 */
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/irqdomain.h>
#include <linux/mm.h>
#include <linux/pgtable.h>

#include "compat.h"

#if defined(MDOM_HAVE_IOMMU_DIRTY_OPS) && defined(MDOM_HAVE_DOMAIN_ALLOC_USER)
#include <uapi/linux/iommufd.h>
#endif

struct iommu_domain *mdom_iommu_paging_domain_alloc(struct device *dev)
{
#ifdef MDOM_HAVE_IOMMU_PAGING_DOMAIN_ALLOC
	return iommu_paging_domain_alloc(dev);
#else
	struct iommu_domain *domain = iommu_domain_alloc(dev->bus);

	return domain ?: ERR_PTR(-ENODEV);
#endif
}

struct iommu_domain *mdom_iommu_dirty_domain_alloc(struct device *dev)
{
#if defined(MDOM_HAVE_IOMMU_DIRTY_OPS) && defined(MDOM_HAVE_DOMAIN_ALLOC_USER)
	const struct iommu_ops *ops;
	struct iommu_domain *domain;

	if (!dev->iommu || !dev->iommu->iommu_dev)
		return ERR_PTR(-EOPNOTSUPP);
	ops = dev->iommu->iommu_dev->ops;
	if (!ops->domain_alloc_user)
		return ERR_PTR(-EOPNOTSUPP);
	domain = ops->domain_alloc_user(dev, IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
					NULL, NULL);
	if (!IS_ERR(domain))
		domain->owner = ops;
	return domain;
#else
	return ERR_PTR(-EOPNOTSUPP);
#endif
}

int mdom_iommu_set_dirty_tracking(struct iommu_domain *domain, bool on)
{
#ifdef MDOM_HAVE_IOMMU_DIRTY_OPS
	return domain->dirty_ops->set_dirty_tracking(domain, on);
#else
	return -EOPNOTSUPP;
#endif
}

int mdom_iommu_read_and_clear_dirty(struct iommu_domain *domain,
				    unsigned long iova, size_t size,
				    struct iova_bitmap *bitmap,
				    struct iommu_iotlb_gather *gather)
{
#ifdef MDOM_HAVE_IOMMU_DIRTY_OPS
	struct iommu_dirty_bitmap dirty;

	iommu_dirty_bitmap_init(&dirty, bitmap, gather);
	return domain->dirty_ops->read_and_clear_dirty(domain, iova, size, 0,
						       &dirty);
#else
	return -EOPNOTSUPP;
#endif
}

#ifndef MDOM_HAVE_GROUP_HAS_ISOLATED_MSI
/* Stop at the first device whose IOMMU does not remap interrupts. */
static int mdom_dev_no_intr_remap(struct device *dev, void *data)
{
	return !device_iommu_capable(dev, IOMMU_CAP_INTR_REMAP);
}
#endif

bool mdom_iommu_group_has_isolated_msi(struct iommu_group *group)
{
#ifdef MDOM_HAVE_GROUP_HAS_ISOLATED_MSI
	return iommu_group_has_isolated_msi(group);
#else
	/*
	 * Before the IRQ domains said it per group: isolated if the
	 * platform's MSI controller remaps (irq_domain_check_msi_remap())
	 * or every device's IOMMU does (IOMMU_CAP_INTR_REMAP).
	 */
	return irq_domain_check_msi_remap() ||
	       !iommu_group_for_each_dev(group, NULL, mdom_dev_no_intr_remap);
#endif
}

int mdom_follow_pfnmap_start(struct mdom_pfnmap *pf)
{
#ifdef MDOM_HAVE_FOLLOW_PFNMAP
	int ret;

	pf->args.vma = pf->vma;
	pf->args.address = pf->address;
	ret = follow_pfnmap_start(&pf->args);
	if (ret)
		return ret;
	pf->pfn = pf->args.pfn;
	pf->writable = pf->args.writable;
	return 0;
#else
	pte_t pte;
	int ret;

#ifdef MDOM_HAVE_FOLLOW_PTE_MM
	ret = follow_pte(pf->vma->vm_mm, pf->address, &pf->ptep, &pf->ptl);
#else
	ret = follow_pte(pf->vma, pf->address, &pf->ptep, &pf->ptl);
#endif
	if (ret)
		return ret;
	pte = ptep_get(pf->ptep);
	pf->pfn = pte_pfn(pte);
	pf->writable = pte_write(pte);
	return 0;
#endif
}

void mdom_follow_pfnmap_end(struct mdom_pfnmap *pf)
{
#ifdef MDOM_HAVE_FOLLOW_PFNMAP
	follow_pfnmap_end(&pf->args);
#else
	pte_unmap_unlock(pf->ptep, pf->ptl);
#endif
}

long mdom_pin_user_pages_remote(struct mm_struct *mm, unsigned long start,
				unsigned long nr_pages, unsigned int gup_flags,
				struct page **pages, int *locked)
{
#ifdef MDOM_HAVE_GUP_REMOTE_VMAS
	/* There FOLL_LONGTERM refuses a 'locked' (-EINVAL and a WARN). */
	if (gup_flags & FOLL_LONGTERM)
		locked = NULL;
	return pin_user_pages_remote(mm, start, nr_pages, gup_flags, pages,
				     NULL, locked);
#else
	return pin_user_pages_remote(mm, start, nr_pages, gup_flags, pages,
				     locked);
#endif
}

long mdom_get_user_pages_remote(struct mm_struct *mm, unsigned long start,
				unsigned long nr_pages, unsigned int gup_flags,
				struct page **pages, int *locked)
{
#ifdef MDOM_HAVE_GUP_REMOTE_VMAS
	return get_user_pages_remote(mm, start, nr_pages, gup_flags, pages,
				     NULL, locked);
#else
	return get_user_pages_remote(mm, start, nr_pages, gup_flags, pages,
				     locked);
#endif
}
