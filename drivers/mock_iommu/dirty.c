// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom mock IOMMU: dirty tracking, as an IOMMU with dirty bits in its
 * page table entries does it (struct iommu_dirty_ops).
 *
 * Only domains allocated with IOMMU_HWPT_ALLOC_DIRTY_TRACKING through
 * domain_alloc_user(), on an instance with the dirty_tracking capability,
 * have dirty_ops. While tracking is enabled on such a domain, a device
 * write through it (mock_iommu_dma()) sets the dirty bit of every 4 KiB of
 * IOVA it writes. Unlike hardware, whose large page entries have a single
 * dirty bit, the mock keeps one bit per 4 KiB page even inside a 2M or 1G
 * translation, so that a test can dirty chosen pages anywhere.
 *
 * The bits are a second xarray of the domain, mock_domain::dirty, holding
 * an entry at IOVA >> MOCK_PT_SHIFT for every dirty page. A dirty bit lives
 * as long as its translation: unmap_pages() drops the bits of what it
 * unmaps (hardware loses them with the entry), read_and_clear_dirty()
 * reports and clears them, and disabling tracking clears them all.
 *
 * Race detector: on Intel and io-pgtable, unmap_pages() frees the page
 * table pages under the range it unmaps, and read_and_clear_dirty() walks
 * (and writes) the page table without a lock: a read of a range that an
 * unmap is unmapping meanwhile is a use-after-free, which the caller must
 * rule out by reading only what it has mapped and nobody unmaps. The mock
 * serialises both on mock_domain::lock, so it would never show; instead
 * each call puts its range on mock_domain::inflight for its duration, and
 * one that meets a range of the other kind counts dirty_unmap_races and
 * warns. The debugfs knobs hold_unmap and unmap_delay_us keep an
 * unmap_pages() in flight longer, so that a test can make the overlap
 * happen.
 */
#include <linux/seq_file.h>

#include "mock_private.h"

/**
 * mock_dirty_mark() - a device writes [@iova, @last] through @md
 * @md: domain, tracking or not
 * @iova: first IOVA written
 * @last: last IOVA written
 *
 * Sets the dirty bit of every 4 KiB page of the range when tracking is
 * enabled. The caller has checked that the range is translated.
 *
 * Return: 0, or -ENOMEM with the bits set so far left set.
 */
int mock_dirty_mark(struct mock_domain *md, u64 iova, u64 last)
{
	unsigned long index;
	int rc;

	lockdep_assert_held(&md->lock);

	if (!md->dirty_tracking)
		return 0;
	for (index = iova >> MOCK_PT_SHIFT; index <= last >> MOCK_PT_SHIFT;
	     index++) {
		rc = xa_insert(&md->dirty, index, xa_mk_value(0), GFP_KERNEL);
		if (rc == -EBUSY)
			continue;
		if (rc)
			return rc;
		md->nr_dirty++;
	}
	return 0;
}

/**
 * mock_dirty_drop() - forget the dirty bits of [@iova, @last]
 * @md: domain
 * @iova: first IOVA
 * @last: last IOVA
 *
 * For translations that go away. Erasing never allocates.
 */
void mock_dirty_drop(struct mock_domain *md, unsigned long iova,
		     unsigned long last)
{
	unsigned long index;
	void *entry;

	lockdep_assert_held(&md->lock);

	if (!md->nr_dirty)
		return;
	xa_for_each_range(&md->dirty, index, entry, iova >> MOCK_PT_SHIFT,
			  last >> MOCK_PT_SHIFT) {
		xa_erase(&md->dirty, index);
		md->nr_dirty--;
	}
}

static unsigned long mock_dirty_count(struct mock_domain *md,
				      unsigned long first, unsigned long last)
{
	unsigned long index, n = 0;
	void *entry;

	lockdep_assert_held(&md->lock);

	xa_for_each_range(&md->dirty, index, entry, first, last)
		n++;
	return n;
}

/**
 * mock_dirty_show() - print " dirty 0xBITMAP" for one translation
 * @s: the seq_file
 * @md: domain
 * @start: first IOVA of the translation
 * @size: its size
 *
 * Bit i of the bitmap is 4 KiB page i of the translation, printed in hex
 * without leading zeroes ("0x0": nothing dirty).
 */
void mock_dirty_show(struct seq_file *s, struct mock_domain *md,
		     unsigned long start, size_t size)
{
	unsigned long first = start >> MOCK_PT_SHIFT;
	unsigned long npages = size >> MOCK_PT_SHIFT;
	unsigned long index, top = 0, nibble;
	bool any = false;
	void *entry;

	lockdep_assert_held(&md->lock);

	xa_for_each_range(&md->dirty, index, entry, first, first + npages - 1) {
		top = index - first;
		any = true;
	}
	seq_puts(s, " dirty 0x");
	if (!any) {
		seq_putc(s, '0');
		return;
	}
	for (nibble = top / 4 + 1; nibble--;) {
		unsigned int bit, val = 0;

		for (bit = 0; bit < 4; bit++) {
			unsigned long page = nibble * 4 + bit;

			if (page < npages && xa_load(&md->dirty, first + page))
				val |= 1U << bit;
		}
		seq_putc(s, hex_asc[val]);
	}
}

/**
 * mock_inflight_begin() - an unmap_pages() or read_and_clear_dirty() starts
 * @md: domain
 * @op: its record, on the caller's stack until mock_inflight_end()
 * @first: first IOVA it works on
 * @last: last IOVA
 * @unmap: an unmap_pages(), else a read_and_clear_dirty()
 *
 * Counts a race (and warns, once) when a call of the other kind in flight
 * on @md meets [@first, @last].
 */
void mock_inflight_begin(struct mock_domain *md, struct mock_inflight *op,
			 unsigned long first, unsigned long last, bool unmap)
{
	const struct mock_inflight *rd = op, *un = op;
	struct mock_inflight *other, seen;
	bool race = false;

	op->first = first;
	op->last = last;
	op->unmap = unmap;
	spin_lock(&md->inflight_lock);
	list_for_each_entry(other, &md->inflight, node) {
		if (other->unmap == unmap || other->last < first ||
		    other->first > last)
			continue;
		seen = *other;
		race = true;
		break;
	}
	list_add(&op->node, &md->inflight);
	spin_unlock(&md->inflight_lock);
	if (!race)
		return;
	mock_count(md->inst, MOCK_IOMMU_CNT_DIRTY_UNMAP_RACES);
	if (unmap)
		rd = &seen;
	else
		un = &seen;
	WARN_ONCE(1, "%s: domain %u: read_and_clear_dirty(0x%lx-0x%lx) while unmap_pages(0x%lx-0x%lx) runs\n",
		  MOCK_DRV_NAME, md->id, rd->first, rd->last, un->first,
		  un->last);
}

void mock_inflight_end(struct mock_domain *md, struct mock_inflight *op)
{
	spin_lock(&md->inflight_lock);
	list_del(&op->node);
	spin_unlock(&md->inflight_lock);
}

static int mock_dirty_set_tracking(struct iommu_domain *domain, bool enable)
{
	struct mock_domain *md = to_mock_domain(domain);

	guard(mutex)(&md->lock);
	if (!enable) {
		xa_destroy(&md->dirty);
		md->nr_dirty = 0;
	}
	md->dirty_tracking = enable;
	return 0;
}

/*
 * Report the dirty 4 KiB pages of [@iova, @iova + @size) into @dirty and
 * clear them unless IOMMU_DIRTY_NO_CLEAR. As on Intel, a bitmap needs
 * tracking enabled, while a call without one may clear bits at any time.
 */
static int mock_dirty_read_and_clear(struct iommu_domain *domain,
				     unsigned long iova, size_t size,
				     unsigned long flags,
				     struct iommu_dirty_bitmap *dirty)
{
	struct mock_domain *md = to_mock_domain(domain);
	struct mock_inflight op;
	unsigned long index, last;
	void *entry;
	int rc = 0;

	if (!size || check_add_overflow(iova, size - 1, &last) ||
	    (flags & ~IOMMU_DIRTY_NO_CLEAR))
		return -EINVAL;

	mock_inflight_begin(md, &op, iova, last, false);
	mutex_lock(&md->lock);
	if (!md->dirty_tracking && dirty->bitmap) {
		rc = -EINVAL;
		goto out_unlock;
	}
	xa_for_each_range(&md->dirty, index, entry, iova >> MOCK_PT_SHIFT,
			  last >> MOCK_PT_SHIFT) {
		iommu_dirty_bitmap_record(dirty, index << MOCK_PT_SHIFT,
					  1UL << MOCK_PT_SHIFT);
		if (flags & IOMMU_DIRTY_NO_CLEAR)
			continue;
		xa_erase(&md->dirty, index);
		md->nr_dirty--;
	}
out_unlock:
	mutex_unlock(&md->lock);
	mock_inflight_end(md, &op);
	return rc;
}

const struct iommu_dirty_ops mock_dirty_ops = {
	.set_dirty_tracking = mock_dirty_set_tracking,
	.read_and_clear_dirty = mock_dirty_read_and_clear,
};

/* In-kernel API */

bool mock_iommu_dirty_tracking(struct iommu_domain *domain)
{
	struct mock_domain *md;

	if (!mock_iommu_is_mock_domain(domain))
		return false;
	md = to_mock_domain(domain);
	guard(mutex)(&md->lock);
	return md->dirty_tracking;
}
EXPORT_SYMBOL_GPL(mock_iommu_dirty_tracking);

unsigned long mock_iommu_nr_dirty(struct iommu_domain *domain, u64 iova,
				  u64 length)
{
	struct mock_domain *md;
	u64 last;

	if (!mock_iommu_is_mock_domain(domain) || !length ||
	    check_add_overflow(iova, length - 1, &last))
		return 0;
	md = to_mock_domain(domain);
	guard(mutex)(&md->lock);
	return mock_dirty_count(md, iova >> MOCK_PT_SHIFT,
				last >> MOCK_PT_SHIFT);
}
EXPORT_SYMBOL_GPL(mock_iommu_nr_dirty);
