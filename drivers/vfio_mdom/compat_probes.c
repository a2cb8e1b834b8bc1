// SPDX-License-Identifier: GPL-2.0
/*
 * Compile probes of what the target kernel has, for compat.h. Never built
 * as an object: scripts/compat-probes.sh compiles this file once per probe,
 * with -DMDOM_PROBE_<NAME> and the flags of this module's own objects, and
 * writes compat/probes.h with "#define MDOM_HAVE_<NAME> 1" for each probe
 * that compiles (warnings are errors). A probe says what a kernel HAS,
 * never which version it is: each one is the smallest use of one API in
 * the form the code after it needs.
 *
 * Adding one: a new "#ifdef MDOM_PROBE_<NAME>" section here (the script
 * finds it), then the wrapper in compat.h or compat.c that tests
 * MDOM_HAVE_<NAME>. See Documentation/compat.rst.
 */
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vfio.h>

/* Scope-based cleanup (guard(), scoped_guard(), DEFINE_GUARD()): 6.5 */
#ifdef MDOM_PROBE_CLEANUP_GUARDS
#include <linux/cleanup.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
DEFINE_GUARD(mdom_probe, struct mutex *, mutex_lock(_T), mutex_unlock(_T))
static __used int mdom_probe(struct mutex *m, struct rw_semaphore *sem)
{
	guard(rwsem_read)(sem);
	scoped_guard(mutex, m)
		return 1;
	return 0;
}
#endif

/* VISIBLE_IF_KUNIT, EXPORT_SYMBOL_IF_KUNIT: 6.2 */
#ifdef MDOM_PROBE_KUNIT_VISIBILITY
#include <kunit/visibility.h>
VISIBLE_IF_KUNIT int mdom_probe_visible(void);
VISIBLE_IF_KUNIT int mdom_probe_visible(void)
{
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_probe_visible);
static __used int mdom_probe(void)
{
	return mdom_probe_visible();
}
#endif

/* iommu_map() with a gfp_t: 6.3 */
#ifdef MDOM_PROBE_IOMMU_MAP_GFP
static __used int mdom_probe(struct iommu_domain *domain)
{
	return iommu_map(domain, 0, 0, PAGE_SIZE, IOMMU_READ, GFP_KERNEL);
}
#endif

/* iommu_paging_domain_alloc(dev): 6.11 (before: iommu_domain_alloc(bus)) */
#ifdef MDOM_PROBE_IOMMU_PAGING_DOMAIN_ALLOC
static __used struct iommu_domain *mdom_probe(struct device *dev)
{
	return iommu_paging_domain_alloc(dev);
}
#endif

/* iommu_domain::owner, the driver's iommu_ops: 6.6 */
#ifdef MDOM_PROBE_IOMMU_DOMAIN_OWNER
static __used const struct iommu_ops *
mdom_probe(struct iommu_domain *domain)
{
	return domain->owner;
}
#endif

/* IOMMU dirty tracking (iommu_dirty_ops, IOMMU_CAP_DIRTY_TRACKING): 6.7 */
#ifdef MDOM_PROBE_IOMMU_DIRTY_OPS
#include <linux/iova_bitmap.h>
static __used int mdom_probe(struct device *dev, struct iommu_domain *domain)
{
	const struct iommu_dirty_ops *ops = domain->dirty_ops;
	struct iommu_dirty_bitmap dirty;

	iommu_dirty_bitmap_init(&dirty, NULL, NULL);
	if (!device_iommu_capable(dev, IOMMU_CAP_DIRTY_TRACKING))
		return 0;
	return ops->read_and_clear_dirty(domain, 0, PAGE_SIZE, 0, &dirty) +
	       ops->set_dirty_tracking(domain, true);
}
#endif

/*
 * A dirty-tracking paging domain from the driver, as iommufd asks for one:
 * iommu_ops::domain_alloc_user(dev, flags, parent, user_data), 6.7 to 6.12
 */
#ifdef MDOM_PROBE_DOMAIN_ALLOC_USER
#include <uapi/linux/iommufd.h>
static __used struct iommu_domain *
mdom_probe(struct device *dev, const struct iommu_ops *ops)
{
	return ops->domain_alloc_user(dev, IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
				      NULL, NULL);
}
#endif

/* IOMMU_CAP_ENFORCE_CACHE_COHERENCY, per device: 6.2 */
#ifdef MDOM_PROBE_IOMMU_CAP_ENFORCE_CC
static __used bool mdom_probe(struct device *dev)
{
	return device_iommu_capable(dev, IOMMU_CAP_ENFORCE_CACHE_COHERENCY);
}
#endif

/* iommu_group_has_isolated_msi(): 6.2 */
#ifdef MDOM_PROBE_GROUP_HAS_ISOLATED_MSI
static __used bool mdom_probe(struct iommu_group *group)
{
	return iommu_group_has_isolated_msi(group);
}
#endif

/* follow_pfnmap_start()/follow_pfnmap_end(): 6.12 (before: follow_pte()) */
#ifdef MDOM_PROBE_FOLLOW_PFNMAP
static __used unsigned long mdom_probe(struct vm_area_struct *vma)
{
	struct follow_pfnmap_args args = { .vma = vma, .address = 0 };

	if (follow_pfnmap_start(&args))
		return 0;
	follow_pfnmap_end(&args);
	return args.pfn + args.writable;
}
#endif

/* follow_pte(mm, address, &ptep, &ptl): up to 6.9 */
#ifdef MDOM_PROBE_FOLLOW_PTE_MM
static __used int mdom_probe(struct mm_struct *mm)
{
	spinlock_t *ptl;	/* the PTE's lock, taken on success */
	pte_t *ptep;

	return follow_pte(mm, 0, &ptep, &ptl);
}
#endif

/* follow_pte(vma, address, &ptep, &ptl): 6.10 and 6.11 */
#ifdef MDOM_PROBE_FOLLOW_PTE_VMA
static __used int mdom_probe(struct vm_area_struct *vma)
{
	spinlock_t *ptl;	/* the PTE's lock, taken on success */
	pte_t *ptep;

	return follow_pte(vma, 0, &ptep, &ptl);
}
#endif

/* GUP's remote calls with a vmas argument: up to 6.4 */
#ifdef MDOM_PROBE_GUP_REMOTE_VMAS
static __used long mdom_probe(struct mm_struct *mm, struct page **pages)
{
	return pin_user_pages_remote(mm, 0, 1, 0, pages, NULL, NULL) +
	       get_user_pages_remote(mm, 0, 1, 0, pages, NULL, NULL);
}
#endif

/* kvrealloc(p, size, gfp): 6.12 (before: kvrealloc(p, oldsize, newsize, gfp)) */
#ifdef MDOM_PROBE_KVREALLOC_NO_OLDSIZE
static __used void *mdom_probe(void *p)
{
	return kvrealloc(p, PAGE_SIZE, GFP_KERNEL);
}
#endif

/* uapi: struct vfio_iommu_type1_info has its explicit pad (not in 6.1) */
#ifdef MDOM_PROBE_TYPE1_INFO_PAD
static __used void mdom_probe(struct vfio_iommu_type1_info *info)
{
	info->pad = 0;
}
#endif

/*
 * The VFIO core's private struct vfio_iommu_driver_ops (drivers/vfio/vfio.h
 * of a full source tree, or its stand-in rendered from the target kernel's
 * BTF: see Kbuild) has a notify member: up to 6.2.
 */
#ifdef MDOM_PROBE_VFIO_OPS_NOTIFY
#include <drivers/vfio/vfio.h>
static __used void mdom_probe(struct vfio_iommu_driver_ops *ops)
{
	ops->notify(NULL, VFIO_IOMMU_CONTAINER_CLOSE);
}
#endif
