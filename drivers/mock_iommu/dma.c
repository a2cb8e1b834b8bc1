// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom mock IOMMU: the device side. A test acts as a device and
 * "DMAs" through whatever domain the device is attached to right now,
 * faulting like a real IOMMU where there is no translation or the
 * permission is missing.
 *
 * The whole range is translated and checked first, under the domain's
 * lock, and only then copied, so a fault moves no data. A write through a
 * domain that tracks dirty pages marks them dirty (dirty.c). Memory is reached
 * through its struct page, so a DMA into a page that was freed while still
 * mapped is seen by KASAN. A fault in a domain is reported to the IOMMU
 * core (report_iommu_fault()), which calls the domain's fault handler.
 */
#include <linux/highmem.h>
#include <linux/minmax.h>
#include <linux/mm.h>

#include "mock_private.h"

/* Check that one chunk is translated, permitted and RAM */
static enum mock_iommu_fault_reason
mock_dma_check(struct mock_domain *md, u64 iova, u64 last, int need,
	       u64 *bad_iova)
{
	u64 cur = iova;

	lockdep_assert_held(&md->lock);

	while (true) {
		unsigned long start, pfn, last_pfn;
		phys_addr_t phys;
		u64 end;
		void *pte;

		*bad_iova = cur;
		if (cur < md->domain.geometry.aperture_start ||
		    cur > md->domain.geometry.aperture_end)
			return MOCK_IOMMU_FAULT_APERTURE;
		pte = mock_pt_find(md, cur, &start);
		if (!pte)
			return MOCK_IOMMU_FAULT_NO_TRANSLATION;
		if ((mock_pte_prot(pte) & need) != need)
			return MOCK_IOMMU_FAULT_PERM;
		end = start + mock_pte_size(pte) - 1;
		phys = mock_pte_phys(pte);
		last_pfn = PHYS_PFN(phys + (min(end, last) - start));
		for (pfn = PHYS_PFN(phys + (cur - start)); pfn <= last_pfn; pfn++)
			if (!pfn_valid(pfn) || !page_is_ram(pfn))
				return MOCK_IOMMU_FAULT_NOT_RAM;
		if (end >= last)
			return MOCK_IOMMU_FAULT_NONE;
		cur = end + 1;
	}
}

static void mock_dma_copy(struct mock_domain *md, u64 iova, void *buf,
			  size_t len, enum mock_iommu_dma_dir dir)
{
	lockdep_assert_held(&md->lock);

	while (len) {
		unsigned long start;
		phys_addr_t phys;
		size_t chunk;
		void *pte, *va;

		pte = mock_pt_find(md, iova, &start);
		phys = mock_pte_phys(pte) + (iova - start);
		chunk = min_t(size_t, len, PAGE_SIZE - offset_in_page(phys));
		va = kmap_local_pfn(PHYS_PFN(phys)) + offset_in_page(phys);
		if (dir == MOCK_IOMMU_DMA_WRITE)
			memcpy(va, buf, chunk);
		else
			memcpy(buf, va, chunk);
		kunmap_local(va);
		iova += chunk;
		buf += chunk;
		len -= chunk;
	}
}

int mock_iommu_dma(struct device *dev, u64 iova, void *buf, size_t len,
		   enum mock_iommu_dma_dir dir)
{
	enum mock_iommu_fault_reason reason;
	struct mock_domain *md;
	struct mock_dev *mdev;
	u64 last, bad_iova;
	int need, rc;

	if (!mock_iommu_is_mock_device(dev) || !buf || !len ||
	    check_add_overflow(iova, (u64)len - 1, &last))
		return -EINVAL;
	if (dir == MOCK_IOMMU_DMA_READ)
		need = IOMMU_READ;
	else if (dir == MOCK_IOMMU_DMA_WRITE)
		need = IOMMU_WRITE;
	else
		return -EINVAL;
	mdev = to_mock_dev(dev);

	mutex_lock(&mock_domains_lock);
	md = mdev->domain;
	if (!md) {
		reason = MOCK_IOMMU_FAULT_BLOCKED;
		bad_iova = iova;
		goto fault;
	}
	mutex_lock(&md->lock);
	reason = mock_dma_check(md, iova, last, need, &bad_iova);
	if (reason != MOCK_IOMMU_FAULT_NONE) {
		mutex_unlock(&md->lock);
		goto fault;
	}
	rc = dir == MOCK_IOMMU_DMA_WRITE ? mock_dirty_mark(md, iova, last) : 0;
	if (!rc)
		mock_dma_copy(md, iova, buf, len, dir);
	mutex_unlock(&md->lock);
	mutex_unlock(&mock_domains_lock);
	return rc;

fault:
	mdev->last_fault.iova = bad_iova;
	mdev->last_fault.reason = reason;
	mdev->last_fault.dir = dir;
	mdev->last_fault.domain_id = md ? md->id : 0;
	mdev->last_fault.count++;
	/*
	 * As a hardware IOMMU's fault interrupt would: to the domain's owner
	 * (iommu_set_fault_handler()), while the domain cannot be freed.
	 */
	if (md)
		report_iommu_fault(&md->domain, dev, bad_iova,
				   dir == MOCK_IOMMU_DMA_WRITE ?
				   IOMMU_FAULT_WRITE : IOMMU_FAULT_READ);
	mutex_unlock(&mock_domains_lock);
	mock_count(mdev->inst, MOCK_IOMMU_CNT_DMA_FAULTS);
	return reason == MOCK_IOMMU_FAULT_PERM ? -EACCES : -EIO;
}
EXPORT_SYMBOL_GPL(mock_iommu_dma);

int mock_iommu_last_fault(struct device *dev, struct mock_iommu_fault *out)
{
	if (!mock_iommu_is_mock_device(dev))
		return -EINVAL;
	guard(mutex)(&mock_domains_lock);
	*out = to_mock_dev(dev)->last_fault;
	return 0;
}
EXPORT_SYMBOL_GPL(mock_iommu_last_fault);
