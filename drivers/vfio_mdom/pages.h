/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pinned user pages of one mapping, kept as physically contiguous runs,
 * and their RLIMIT_MEMLOCK charge.
 *
 * A struct mdom_pages is created by pinning a user range once
 * (pin_user_pages_fast() with FOLL_LONGTERM, in batches) and charging its
 * pages to the pinning mm's locked_vm once. Every IOMMU domain of the
 * container maps the same runs: the pages are never pinned or charged
 * again per domain, and replay/unmap read the runs from here, never from
 * the IOMMU page table.
 *
 * Locking: a struct mdom_pages is immutable after mdom_pages_pin() returns;
 * its owner (the struct mdom_dma holding it, under the container lock)
 * serialises mdom_pages_unpin() against every reader.
 */
#ifndef _VFIO_MDOM_PAGES_H
#define _VFIO_MDOM_PAGES_H

#include <linux/types.h>

struct iommu_domain;
struct mm_struct;
struct page;

/**
 * struct mdom_run - physically contiguous pinned pages
 * @page: first page of the run
 * @npages: number of PAGE_SIZE pages; page_to_pfn(@page) + i is the i-th
 */
struct mdom_run {
	struct page *page;
	unsigned long npages;
};

/**
 * struct mdom_pages - the pinned pages of one user mapping
 * @mm: mm charged for the pages (mmgrab()ed); may outlive its users
 * @vaddr: user address the pages were pinned from
 * @npages: number of pinned PAGE_SIZE pages
 * @writable: pinned with FOLL_WRITE; pages are dirtied on unpin
 * @lock_cap: the pinner had CAP_IPC_LOCK: charged but not limited
 * @nruns: number of entries in @runs
 * @runs: contiguous runs, in user address order, covering @npages
 */
struct mdom_pages {
	struct mm_struct *mm;
	unsigned long vaddr;
	unsigned long npages;
	bool writable;
	bool lock_cap;
	unsigned int nruns;
	struct mdom_run *runs;
};

/*
 * Pin [@vaddr, @vaddr + @size) of current->mm and charge it to locked_vm.
 * @vaddr and @size are PAGE_SIZE aligned, @size is not zero. Returns
 * ERR_PTR(-ENOMEM) past RLIMIT_MEMLOCK (without CAP_IPC_LOCK), -EFAULT for
 * an unmapped range, or the pinning error; on error nothing stays pinned
 * or charged.
 */
struct mdom_pages *mdom_pages_pin(unsigned long vaddr, u64 size,
				  bool writable);

/* Unpin every page (dirtying them if writable), uncharge, free. */
void mdom_pages_unpin(struct mdom_pages *pages);

/*
 * Map every run into @domain starting at @iova, one iommu_map() per run,
 * with @prot (IOMMU_READ/WRITE/CACHE...). On failure whatever was mapped
 * is unmapped again and the errno returned: the domain is as before.
 */
int mdom_pages_map(struct mdom_pages *pages, struct iommu_domain *domain,
		   unsigned long iova, int prot, gfp_t gfp);

/* Physical address of the page @offset bytes into the pinned range. */
phys_addr_t mdom_pages_phys(struct mdom_pages *pages, u64 offset);

#endif /* _VFIO_MDOM_PAGES_H */
