// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom mock IOMMU: paging domains, their page table, the blocking
 * domain and the iommu_ops the core calls.
 *
 * The page table is an xarray holding one value entry per translation,
 * indexed by the translation's first IOVA >> MOCK_PT_SHIFT. A translation
 * is naturally aligned to its size, which is one of the domain's page
 * sizes, so the translation containing an IOVA starts at that IOVA rounded
 * down to one of those sizes: a lookup is one xa_load() per page size.
 *
 * An entry is the physical address (4 KiB aligned) ORed with, from bit 0,
 * the IOMMU_* prot bits (6 bits), a stale bit and the translation's order
 * above 4 KiB (5 bits).
 *
 * IOTLB model: unmap_pages() does not erase a translation, it marks it
 * stale (the device may still hold it in its IOTLB) and adds it to the
 * caller's gather. iotlb_sync() erases the stale entries its gather covers,
 * flush_iotlb_all() all of them. A stale entry is no translation for
 * lookups, DMA and unmap; it is counted as an unsynced unmap when the IOVA
 * is mapped again or the domain is freed before a flush. Marking and
 * erasing replace or remove existing slots, so unmap never allocates.
 *
 * Dirty bits are kept apart, per 4 KiB page (dirty.c); unmap drops those of
 * the translations it unmaps.
 */
#include <linux/bitfield.h>
#include <linux/cleanup.h>
#include <linux/delay.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <uapi/linux/iommufd.h>

#include "mock_private.h"

#define MOCK_PTE_PROT	GENMASK(5, 0)
#define MOCK_PTE_STALE	BIT(6)
#define MOCK_PTE_ORDER	GENMASK(11, 7)
#define MOCK_PTE_PHYS	(~0UL << MOCK_PT_SHIFT)
/* Highest physical address bit an entry can encode */
#define MOCK_PHYS_BITS	52

/* Protects mock_domains and every mock_dev::domain; see struct mock_domain */
DEFINE_MUTEX(mock_domains_lock);
LIST_HEAD(mock_domains);
static u32 mock_next_domain_id = 1;

static void *mock_pte_make(phys_addr_t phys, size_t size, int prot)
{
	return xa_mk_value((unsigned long)phys |
			   FIELD_PREP(MOCK_PTE_ORDER,
				      ilog2(size) - MOCK_PT_SHIFT) |
			   (prot & MOCK_PTE_PROT));
}

phys_addr_t mock_pte_phys(void *pte)
{
	return xa_to_value(pte) & MOCK_PTE_PHYS;
}

size_t mock_pte_size(void *pte)
{
	return 1UL << (FIELD_GET(MOCK_PTE_ORDER, xa_to_value(pte)) +
		       MOCK_PT_SHIFT);
}

int mock_pte_prot(void *pte)
{
	return xa_to_value(pte) & MOCK_PTE_PROT;
}

bool mock_pte_stale(void *pte)
{
	return xa_to_value(pte) & MOCK_PTE_STALE;
}

/* The translation (@stale false) or stale entry containing @iova */
static void *mock_pt_find_entry(struct mock_domain *md, unsigned long iova,
				unsigned long *start, bool stale)
{
	unsigned long sizes = md->domain.pgsize_bitmap;
	unsigned int bit;

	for_each_set_bit(bit, &sizes, BITS_PER_LONG) {
		unsigned long s = round_down(iova, 1UL << bit);
		void *pte = xa_load(&md->pt, s >> MOCK_PT_SHIFT);

		if (pte && mock_pte_size(pte) == 1UL << bit &&
		    mock_pte_stale(pte) == stale) {
			*start = s;
			return pte;
		}
	}
	return NULL;
}

/**
 * mock_pt_find() - the translation containing @iova
 * @md: domain
 * @iova: any IOVA
 * @start: set to the translation's first IOVA when one is found
 *
 * Lockless; the caller holds @md->lock when it needs a stable answer.
 *
 * Return: the page table entry, or NULL.
 */
void *mock_pt_find(struct mock_domain *md, unsigned long iova,
		   unsigned long *start)
{
	return mock_pt_find_entry(md, iova, start, false);
}

/* Does [@iova, @iova + @size) meet any translation? */
static bool mock_pt_overlaps(struct mock_domain *md, unsigned long iova,
			     size_t size)
{
	unsigned long index, start;
	void *pte;

	lockdep_assert_held(&md->lock);

	xa_for_each_range(&md->pt, index, pte, iova >> MOCK_PT_SHIFT,
			  (iova + size - 1) >> MOCK_PT_SHIFT)
		if (!mock_pte_stale(pte))
			return true;
	return mock_pt_find(md, iova, &start);
}

/*
 * Erase the stale entries meeting [@iova, @iova + @size), which is about to
 * be mapped again: each was unmapped and never flushed. The caller checked
 * that no translation meets the range, so every entry in it is stale.
 * Returns how many were erased.
 */
static unsigned long mock_pt_drop_stale(struct mock_domain *md,
					unsigned long iova, size_t size)
{
	unsigned long index, start, n = 0;
	void *pte;

	lockdep_assert_held(&md->lock);

	if (!md->nr_stale)
		return 0;
	if (mock_pt_find_entry(md, iova, &start, true) && start != iova) {
		xa_erase(&md->pt, start >> MOCK_PT_SHIFT);
		n++;
	}
	xa_for_each_range(&md->pt, index, pte, iova >> MOCK_PT_SHIFT,
			  (iova + size - 1) >> MOCK_PT_SHIFT) {
		xa_erase(&md->pt, index);
		n++;
	}
	md->nr_stale -= n;
	return n;
}

/* Erase the stale entries inside [@first, @last]. Returns how many. */
static unsigned long mock_pt_flush(struct mock_domain *md,
				   unsigned long first, unsigned long last)
{
	unsigned long index, n = 0;
	void *pte;

	lockdep_assert_held(&md->lock);

	xa_for_each_range(&md->pt, index, pte, first >> MOCK_PT_SHIFT,
			  last >> MOCK_PT_SHIFT) {
		if (!mock_pte_stale(pte) ||
		    mock_pte_size(pte) - 1 > last - (index << MOCK_PT_SHIFT))
			continue;
		xa_erase(&md->pt, index);
		n++;
	}
	md->nr_stale -= n;
	return n;
}

int mock_domain_resv_overlap(struct mock_instance *inst, u64 start, u64 last)
{
	unsigned int i;

	for (i = 0; i < inst->nr_resv; i++)
		if (start <= inst->resv[i].end && last >= inst->resv[i].start)
			return 1;
	return 0;
}

/*
 * Fault injection: returns the errno an operation must fail with, or 0.
 * The caller has consumed the injection when this returns non-zero.
 */
static int mock_inject_map(struct mock_instance *inst)
{
	int err = 0;

	spin_lock(&inst->inject_lock);
	if (inst->fail_map_nth && !--inst->fail_map_nth) {
		err = inst->fail_map_err;
		inst->fail_map_err = 0;
	}
	spin_unlock(&inst->inject_lock);
	if (err)
		mock_count(inst, MOCK_IOMMU_CNT_INJECTED_FAILURES);
	return err;
}

static int mock_inject_once(struct mock_instance *inst, int *slot)
{
	int err;

	spin_lock(&inst->inject_lock);
	err = *slot;
	*slot = 0;
	spin_unlock(&inst->inject_lock);
	if (err)
		mock_count(inst, MOCK_IOMMU_CNT_INJECTED_FAILURES);
	return err;
}

/* Consumes a pending enforce_cache_coherency() failure; true if there was one */
static bool mock_inject_enforce_cc(struct mock_instance *inst)
{
	bool fail;

	spin_lock(&inst->inject_lock);
	fail = inst->fail_enforce_cc;
	inst->fail_enforce_cc = false;
	spin_unlock(&inst->inject_lock);
	if (fail)
		mock_count(inst, MOCK_IOMMU_CNT_INJECTED_FAILURES);
	return fail;
}

/*
 * Keep an unmap_pages() in flight longer: held while hold_unmap was armed
 * (until released, the caller killed, or MOCK_HOLD_MAX), then delayed by
 * unmap_delay_us (debugfs).
 */
#define MOCK_HOLD_MAX	(10 * HZ)

static void mock_unmap_stall(struct mock_instance *inst)
{
	unsigned int us = READ_ONCE(inst->unmap_delay_us);
	bool hold;

	spin_lock(&inst->inject_lock);
	hold = inst->hold_unmap;
	inst->hold_unmap = false;
	if (hold)
		inst->unmap_held = true;
	spin_unlock(&inst->inject_lock);
	if (hold) {
		wait_event_killable_timeout(inst->hold_wq,
					    !READ_ONCE(inst->unmap_held),
					    MOCK_HOLD_MAX);
		spin_lock(&inst->inject_lock);
		inst->unmap_held = false;
		spin_unlock(&inst->inject_lock);
	}
	if (us)
		fsleep(us);
}

static int mock_domain_map_pages(struct iommu_domain *domain,
				 unsigned long iova, phys_addr_t paddr,
				 size_t pgsize, size_t pgcount, int prot,
				 gfp_t gfp, size_t *mapped)
{
	struct mock_domain *md = to_mock_domain(domain);
	struct mock_instance *inst = md->inst;
	size_t size, i;
	int rc;

	rc = mock_inject_map(inst);
	if (rc)
		return rc;

	if (!is_power_of_2(pgsize) || !(pgsize & domain->pgsize_bitmap) ||
	    !IS_ALIGNED(iova | paddr, pgsize) || !pgcount ||
	    check_mul_overflow(pgsize, pgcount, &size))
		return -EINVAL;
	if (iova < domain->geometry.aperture_start ||
	    iova > domain->geometry.aperture_end ||
	    size - 1 > domain->geometry.aperture_end - iova)
		return -EINVAL;
	if ((paddr + size - 1) >> MOCK_PHYS_BITS)
		return -EINVAL;

	if (mock_domain_resv_overlap(inst, iova, iova + size - 1))
		mock_count(inst, MOCK_IOMMU_CNT_RESV_MAPS);

	mutex_lock(&md->lock);
	for (i = 0; i < pgcount; i++) {
		unsigned long cur = iova + i * pgsize;

		if (mock_pt_overlaps(md, cur, pgsize)) {
			mock_count(inst, MOCK_IOMMU_CNT_MAP_OVERLAP);
			rc = -EEXIST;
			break;
		}
		/* Reusing an IOVA before its IOTLB flush */
		mock_count_add(inst, MOCK_IOMMU_CNT_UNSYNCED_UNMAPS,
			       mock_pt_drop_stale(md, cur, pgsize));
		rc = xa_insert(&md->pt, cur >> MOCK_PT_SHIFT,
			       mock_pte_make(paddr + i * pgsize, pgsize, prot),
			       gfp);
		if (rc)
			break;
		md->nr_translations++;
		mock_count(inst, MOCK_IOMMU_CNT_TRANSLATIONS_LIVE);
	}
	mutex_unlock(&md->lock);

	/* The core unmaps what was mapped when an error is returned */
	*mapped = i * pgsize;
	if (!rc)
		mock_count(inst, MOCK_IOMMU_CNT_MAPS);
	return rc;
}

/*
 * Unmap only when [@iova, @iova + size) is exactly a run of whole
 * translations: no translation cut at either end and no hole (a stale
 * entry is a hole). Anything else is a caller bug: it is counted and
 * nothing is unmapped. The unmapped translations become stale until an
 * IOTLB sync covers them. The range is in flight for the race detector
 * (dirty.c) from the start to the end of the call.
 */
static size_t mock_domain_unmap_pages(struct iommu_domain *domain,
				      unsigned long iova, size_t pgsize,
				      size_t pgcount,
				      struct iommu_iotlb_gather *gather)
{
	struct mock_domain *md = to_mock_domain(domain);
	XA_STATE(xas, &md->pt, iova >> MOCK_PT_SHIFT);
	struct mock_instance *inst = md->inst;
	unsigned long last, cursor, start;
	struct mock_inflight op;
	unsigned long n = 0;
	size_t size;
	void *pte;

	if (!pgcount || check_mul_overflow(pgsize, pgcount, &size) ||
	    check_add_overflow(iova, size - 1, &last))
		goto err_mismatch;

	mock_inflight_begin(md, &op, iova, last, true);
	mock_unmap_stall(inst);
	mutex_lock(&md->lock);
	pte = mock_pt_find(md, iova, &start);
	if (pte && start != iova)
		goto err_unlock;

	cursor = iova;
	rcu_read_lock();
	xas_for_each(&xas, pte, last >> MOCK_PT_SHIFT) {
		if (mock_pte_stale(pte) ||
		    xas.xa_index << MOCK_PT_SHIFT != cursor ||
		    mock_pte_size(pte) - 1 > last - cursor)
			break;
		cursor += mock_pte_size(pte);
		n++;
	}
	rcu_read_unlock();
	/* cursor wraps to 0 == last + 1 at the top of the address space */
	if (cursor != last + 1)
		goto err_unlock;

	/* Replacing present entries never allocates */
	xas_set(&xas, iova >> MOCK_PT_SHIFT);
	xas_lock(&xas);
	xas_for_each(&xas, pte, last >> MOCK_PT_SHIFT)
		xas_store(&xas, xa_mk_value(xa_to_value(pte) | MOCK_PTE_STALE));
	xas_unlock(&xas);
	md->nr_translations -= n;
	md->nr_stale += n;
	/* The dirty bits go with the page table entries */
	mock_dirty_drop(md, iova, last);
	mutex_unlock(&md->lock);
	mock_inflight_end(md, &op);

	iommu_iotlb_gather_add_range(gather, iova, size);
	mock_count_add(inst, MOCK_IOMMU_CNT_TRANSLATIONS_LIVE, -(s64)n);
	mock_count(inst, MOCK_IOMMU_CNT_UNMAPS);
	return size;

err_unlock:
	mutex_unlock(&md->lock);
	mock_inflight_end(md, &op);
err_mismatch:
	mock_count(inst, MOCK_IOMMU_CNT_UNMAP_MISMATCH);
	pr_debug("domain %u: unmap 0x%lx + 0x%zx * %zu does not match the maps\n",
		 md->id, iova, pgsize, pgcount);
	return 0;
}

static phys_addr_t mock_domain_iova_to_phys(struct iommu_domain *domain,
					    dma_addr_t iova)
{
	struct mock_domain *md = to_mock_domain(domain);
	unsigned long start;
	void *pte;

	pte = mock_pt_find(md, iova, &start);
	if (!pte)
		return 0;
	return mock_pte_phys(pte) + (iova - start);
}

static void mock_domain_iotlb_sync(struct iommu_domain *domain,
				   struct iommu_iotlb_gather *gather)
{
	struct mock_domain *md = to_mock_domain(domain);

	mock_count(md->inst, MOCK_IOMMU_CNT_IOTLB_SYNCS);
	if (gather->start > gather->end)
		return;

	mutex_lock(&md->lock);
	mock_pt_flush(md, gather->start, gather->end);
	mutex_unlock(&md->lock);
}

static void mock_domain_flush_iotlb_all(struct iommu_domain *domain)
{
	struct mock_domain *md = to_mock_domain(domain);

	mock_count(md->inst, MOCK_IOMMU_CNT_FLUSH_ALL);
	mutex_lock(&md->lock);
	mock_pt_flush(md, 0, ULONG_MAX);
	mutex_unlock(&md->lock);
}

static bool mock_domain_enforce_cache_coherency(struct iommu_domain *domain)
{
	struct mock_domain *md = to_mock_domain(domain);

	if (!md->inst->enforce_cc || mock_inject_enforce_cc(md->inst))
		return false;
	mutex_lock(&mock_domains_lock);
	md->enforce_cc = true;
	mutex_unlock(&mock_domains_lock);
	return true;
}

/* Can a device of @inst use a domain allocated for @md->inst? */
static bool mock_domain_compatible(struct mock_domain *md,
				   struct mock_instance *inst)
{
	struct mock_instance *home = md->inst;

	/* Like Intel: a dirty tracking domain needs dirty bits */
	if (md->domain.dirty_ops && !inst->dirty_tracking)
		return false;
	if (home == inst)
		return true;
	return home->pgsize_bitmap == inst->pgsize_bitmap &&
	       home->aperture_start == inst->aperture_start &&
	       home->aperture_end == inst->aperture_end &&
	       home->enforce_cc == inst->enforce_cc;
}

/* Point @mdev at @md (NULL: blocked), keeping the attach counts right */
static void mock_dev_set_domain(struct mock_dev *mdev, struct mock_domain *md)
{
	lockdep_assert_held(&mock_domains_lock);

	if (mdev->domain)
		mdev->domain->attached--;
	mdev->domain = md;
	if (md)
		md->attached++;
}

static int mock_domain_attach_dev(struct iommu_domain *domain,
				  struct device *dev)
{
	struct mock_domain *md = to_mock_domain(domain);
	struct mock_dev *mdev = to_mock_dev(dev);
	int rc;

	if (dev->bus != &mock_bus)
		return -EINVAL;
	if (!mock_domain_compatible(md, mdev->inst))
		return -EINVAL;
	rc = mock_inject_once(mdev->inst, &mdev->inst->fail_attach_err);
	if (rc)
		return rc;

	guard(mutex)(&mock_domains_lock);
	if (md->enforce_cc && !mdev->inst->enforce_cc)
		return -EINVAL;
	mock_dev_set_domain(mdev, md);
	return 0;
}

static void mock_domain_free(struct iommu_domain *domain)
{
	struct mock_domain *md = to_mock_domain(domain);
	struct mock_instance *inst = md->inst;
	unsigned int i, j;

	mutex_lock(&mock_domains_lock);
	list_del(&md->node);
	if (md->attached) {
		mock_count(inst, MOCK_IOMMU_CNT_FREED_ATTACHED);
		for (i = 0; i < mock_nr_instances; i++)
			for (j = 0; j < mock_instances[i]->nr_devices; j++) {
				struct mock_dev *mdev = mock_instances[i]->devs[j];

				if (mdev && mdev->domain == md)
					mock_dev_set_domain(mdev, NULL);
			}
	}
	mutex_unlock(&mock_domains_lock);

	/* Unlinked: nobody can reach the domain any more */
	if (md->nr_translations) {
		mock_count_add(inst, MOCK_IOMMU_CNT_LEAKED_TRANSLATIONS,
			       md->nr_translations);
		mock_count_add(inst, MOCK_IOMMU_CNT_TRANSLATIONS_LIVE,
			       -(s64)md->nr_translations);
	}
	mock_count_add(inst, MOCK_IOMMU_CNT_UNSYNCED_UNMAPS, md->nr_stale);
	xa_destroy(&md->pt);
	xa_destroy(&md->dirty);
	mutex_destroy(&md->lock);
	kfree(md);

	mock_count_add(inst, MOCK_IOMMU_CNT_DOMAINS_LIVE, -1);
	mock_count(inst, MOCK_IOMMU_CNT_DOMAIN_FREES);
	/* Pairs with the get in mock_domain_alloc() */
	module_put(THIS_MODULE);
}

static const struct iommu_domain_ops mock_domain_ops = {
	.attach_dev = mock_domain_attach_dev,
	.map_pages = mock_domain_map_pages,
	.unmap_pages = mock_domain_unmap_pages,
	.iova_to_phys = mock_domain_iova_to_phys,
	.iotlb_sync = mock_domain_iotlb_sync,
	.flush_iotlb_all = mock_domain_flush_iotlb_all,
	.enforce_cache_coherency = mock_domain_enforce_cache_coherency,
	.free = mock_domain_free,
};

/* A paging domain for @dev, with dirty_ops if @dirty */
static struct iommu_domain *mock_domain_alloc(struct device *dev, bool dirty)
{
	struct mock_instance *inst = to_mock_dev(dev)->inst;
	struct mock_domain *md;
	int rc;

	rc = mock_inject_once(inst, &inst->fail_alloc_err);
	if (rc)
		return ERR_PTR(rc);

	/*
	 * The ops have no owner (see main.c); a live paging domain pins the
	 * module instead so it cannot go while somebody holds a domain.
	 */
	if (!try_module_get(THIS_MODULE))
		return ERR_PTR(-ENODEV);

	md = kzalloc(sizeof(*md), GFP_KERNEL);
	if (!md) {
		module_put(THIS_MODULE);
		return ERR_PTR(-ENOMEM);
	}
	md->inst = inst;
	md->domain.ops = &mock_domain_ops;
	if (dirty)
		md->domain.dirty_ops = &mock_dirty_ops;
	md->domain.pgsize_bitmap = inst->pgsize_bitmap;
	md->domain.geometry.aperture_start = inst->aperture_start;
	md->domain.geometry.aperture_end = inst->aperture_end;
	md->domain.geometry.force_aperture = true;
	mutex_init(&md->lock);
	/*
	 * The page table is charged to the memory cgroup of whoever maps: a
	 * real IOMMU driver charges its table pages when iommu_map() is
	 * given __GFP_ACCOUNT (vfio-mdom and iommufd give it). The xarray
	 * makes its first try under its lock with a gfp of its own, so the
	 * mock charges every mapper, type1's too.
	 */
	xa_init_flags(&md->pt, XA_FLAGS_ACCOUNT);
	xa_init(&md->dirty);
	spin_lock_init(&md->inflight_lock);
	INIT_LIST_HEAD(&md->inflight);

	mutex_lock(&mock_domains_lock);
	md->id = mock_next_domain_id++;
	list_add_tail(&md->node, &mock_domains);
	mutex_unlock(&mock_domains_lock);

	mock_count(inst, MOCK_IOMMU_CNT_DOMAINS_LIVE);
	mock_count(inst, MOCK_IOMMU_CNT_DOMAIN_ALLOCS);
	return &md->domain;
}

static struct iommu_domain *mock_domain_alloc_paging(struct device *dev)
{
	return mock_domain_alloc(dev, false);
}

/*
 * What iommufd, and vfio-mdom for dirty tracking, allocate with: a paging
 * domain, with dirty_ops for IOMMU_HWPT_ALLOC_DIRTY_TRACKING on an instance
 * that has dirty bits. No nesting: no parent, no user data, no other flag.
 * The caller (iommufd) sets domain->owner too; the mock sets it, as Intel.
 */
static struct iommu_domain *
mock_domain_alloc_user(struct device *dev, u32 flags,
		       struct iommu_domain *parent,
		       const struct iommu_user_data *user_data)
{
	bool dirty = flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	struct iommu_domain *domain;

	if (parent || user_data || (flags & ~IOMMU_HWPT_ALLOC_DIRTY_TRACKING))
		return ERR_PTR(-EOPNOTSUPP);
	if (dirty && !to_mock_dev(dev)->inst->dirty_tracking)
		return ERR_PTR(-EOPNOTSUPP);
	domain = mock_domain_alloc(dev, dirty);
	if (!IS_ERR(domain)) {
		domain->type = IOMMU_DOMAIN_UNMANAGED;
		domain->owner = &mock_iommu_ops;
	}
	return domain;
}

static int mock_blocked_attach_dev(struct iommu_domain *domain,
				   struct device *dev)
{
	if (dev->bus != &mock_bus)
		return -EINVAL;
	guard(mutex)(&mock_domains_lock);
	mock_dev_set_domain(to_mock_dev(dev), NULL);
	return 0;
}

static struct iommu_domain mock_blocked_domain = {
	.type = IOMMU_DOMAIN_BLOCKED,
	.ops = &(const struct iommu_domain_ops){
		.attach_dev = mock_blocked_attach_dev,
	},
};

static bool mock_capable(struct device *dev, enum iommu_cap cap)
{
	struct mock_instance *inst = to_mock_dev(dev)->inst;

	switch (cap) {
	case IOMMU_CAP_CACHE_COHERENCY:
		/* IOMMU_CACHE works; VFIO refuses devices without it */
		return true;
	case IOMMU_CAP_ENFORCE_CACHE_COHERENCY:
		return inst->enforce_cc;
	case IOMMU_CAP_DIRTY_TRACKING:
		return inst->dirty_tracking;
	default:
		return false;
	}
}

static struct iommu_device *mock_probe_device(struct device *dev)
{
	if (dev->bus != &mock_bus)
		return ERR_PTR(-ENODEV);
	return &to_mock_dev(dev)->inst->iommu;
}

static void mock_get_resv_regions(struct device *dev, struct list_head *head)
{
	struct mock_instance *inst = to_mock_dev(dev)->inst;
	struct iommu_resv_region *region;
	unsigned int i;

	for (i = 0; i < inst->nr_resv; i++) {
		const struct mock_resv *r = &inst->resv[i];
		int prot = IOMMU_READ | IOMMU_WRITE;

		if (r->type == IOMMU_RESV_MSI || r->type == IOMMU_RESV_SW_MSI)
			prot = IOMMU_WRITE | IOMMU_NOEXEC | IOMMU_MMIO;
		region = iommu_alloc_resv_region(r->start,
						 r->end - r->start + 1, prot,
						 r->type, GFP_KERNEL);
		if (!region)
			return;
		list_add_tail(&region->list, head);
	}
}

/*
 * No .owner: the core takes a module reference for every probed device,
 * which would make the module impossible to unload since it owns its
 * devices. Devices are removed before the module goes, and each paging
 * domain pins the module (mock_domain_alloc()).
 */
const struct iommu_ops mock_iommu_ops = {
	.capable = mock_capable,
	.domain_alloc_paging = mock_domain_alloc_paging,
	.domain_alloc_user = mock_domain_alloc_user,
	.probe_device = mock_probe_device,
	.device_group = generic_device_group,
	.get_resv_regions = mock_get_resv_regions,
	.default_domain_ops = &mock_domain_ops,
	.pgsize_bitmap = SZ_4K,
	/* IOMMU_DOMAIN_BLOCKED is 0, so def_domain_type() cannot ask for it */
	.default_domain = &mock_blocked_domain,
	.blocked_domain = &mock_blocked_domain,
	.release_domain = &mock_blocked_domain,
};

/* In-kernel API */

bool mock_iommu_is_mock_domain(struct iommu_domain *domain)
{
	return domain && domain->ops == &mock_domain_ops;
}
EXPORT_SYMBOL_GPL(mock_iommu_is_mock_domain);

u32 mock_iommu_domain_id(struct iommu_domain *domain)
{
	if (!mock_iommu_is_mock_domain(domain))
		return 0;
	return to_mock_domain(domain)->id;
}
EXPORT_SYMBOL_GPL(mock_iommu_domain_id);

u32 mock_iommu_dev_domain_id(struct device *dev)
{
	struct mock_dev *mdev;

	if (!mock_iommu_is_mock_device(dev))
		return 0;
	mdev = to_mock_dev(dev);
	guard(mutex)(&mock_domains_lock);
	return mdev->domain ? mdev->domain->id : 0;
}
EXPORT_SYMBOL_GPL(mock_iommu_dev_domain_id);

unsigned long mock_iommu_nr_translations(struct iommu_domain *domain)
{
	struct mock_domain *md;

	if (!mock_iommu_is_mock_domain(domain))
		return 0;
	md = to_mock_domain(domain);
	guard(mutex)(&md->lock);
	return md->nr_translations;
}
EXPORT_SYMBOL_GPL(mock_iommu_nr_translations);

int mock_iommu_lookup(struct iommu_domain *domain, u64 iova,
		      struct mock_iommu_translation *out)
{
	struct mock_domain *md;
	unsigned long start;
	void *pte;

	if (!mock_iommu_is_mock_domain(domain))
		return -ENOENT;
	md = to_mock_domain(domain);
	guard(mutex)(&md->lock);
	pte = mock_pt_find(md, iova, &start);
	if (!pte)
		return -ENOENT;
	out->iova = start;
	out->phys = mock_pte_phys(pte);
	out->size = mock_pte_size(pte);
	out->prot = mock_pte_prot(pte);
	return 0;
}
EXPORT_SYMBOL_GPL(mock_iommu_lookup);

bool mock_iommu_flush_pending(struct iommu_domain *domain)
{
	struct mock_domain *md;

	if (!mock_iommu_is_mock_domain(domain))
		return false;
	md = to_mock_domain(domain);
	guard(mutex)(&md->lock);
	return md->nr_stale;
}
EXPORT_SYMBOL_GPL(mock_iommu_flush_pending);

int mock_iommu_fail_nth_map(unsigned int inst, unsigned int nth, int err)
{
	struct mock_instance *mi = mock_instance_get(inst);

	if (!mi || err > 0 || err < -MAX_ERRNO)
		return -EINVAL;
	if (!nth || !err) {
		nth = 0;
		err = 0;
	}
	spin_lock(&mi->inject_lock);
	mi->fail_map_nth = nth;
	mi->fail_map_err = err;
	spin_unlock(&mi->inject_lock);
	return 0;
}
EXPORT_SYMBOL_GPL(mock_iommu_fail_nth_map);

static int mock_inject_set(unsigned int inst, int err, bool alloc)
{
	struct mock_instance *mi = mock_instance_get(inst);

	if (!mi || err > 0 || err < -MAX_ERRNO)
		return -EINVAL;
	spin_lock(&mi->inject_lock);
	if (alloc)
		mi->fail_alloc_err = err;
	else
		mi->fail_attach_err = err;
	spin_unlock(&mi->inject_lock);
	return 0;
}

int mock_iommu_fail_next_domain_alloc(unsigned int inst, int err)
{
	return mock_inject_set(inst, err, true);
}
EXPORT_SYMBOL_GPL(mock_iommu_fail_next_domain_alloc);

int mock_iommu_fail_next_attach(unsigned int inst, int err)
{
	return mock_inject_set(inst, err, false);
}
EXPORT_SYMBOL_GPL(mock_iommu_fail_next_attach);

int mock_iommu_fail_next_enforce_cc(unsigned int inst, bool fail)
{
	struct mock_instance *mi = mock_instance_get(inst);

	if (!mi)
		return -EINVAL;
	spin_lock(&mi->inject_lock);
	mi->fail_enforce_cc = fail;
	spin_unlock(&mi->inject_lock);
	return 0;
}
EXPORT_SYMBOL_GPL(mock_iommu_fail_next_enforce_cc);
