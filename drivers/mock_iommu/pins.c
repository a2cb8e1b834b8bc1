// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom mock IOMMU: what an emulated (mdev-style) device holds pinned.
 *
 * An emulated device has no IOMMU: it reaches the memory a container maps
 * with vfio_pin_pages() and vfio_dma_rw(), and VFIO's contract is that its
 * dma_unmap() callback unpins, with vfio_unpin_pages(), every page it holds
 * inside a range before the unmap of that range completes. struct
 * mock_pins is that bookkeeping: each successful pin command is a record
 * (struct mock_pin) with a bitmap of the pages still held, so that an unmap
 * or unpin of part of a record unpins exactly the pages inside the range.
 * The VFIO calls go through struct mock_pins_backend: emulated.c passes
 * them to VFIO, the KUnit suite to a fake.
 *
 * Locking: mock_pins::lock protects everything in struct mock_pins and in
 * its records, but is never held across a backend call. A backend may call
 * dma_unmap() with a lock held that its pin_pages() takes (type1 holds
 * iommu->device_list_lock there, and takes it under iommu->lock), so
 * holding our lock across a pin would close a cycle. Instead a record
 * being pinned or unpinned is marked busy: its owner works on it with the
 * lock dropped, and anybody else who needs it (an unmap of its range, the
 * close) waits on mock_pins::wq until it is not busy. An unmap therefore
 * waits for a pin in flight on its range, then unpins it: type1 gives up
 * and BUG()s when a device does not unpin within a few retries.
 *
 * Only an open device pins or reads memory: VFIO WARNs when
 * vfio_pin_pages() or vfio_dma_rw() is called on a closed device, so they
 * fail with -ENOTCONN here instead. Closing unpins everything, after the
 * calls in flight are done.
 */
#include <linux/cleanup.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/wait.h>
#include <kunit/visibility.h>

#include "mock_private.h"

/**
 * struct mock_pin - the pages one pin command pinned
 * @node: entry in mock_pins::pins, sorted by @iova
 * @iova: IOVA of the first page, as passed to vfio_pin_pages()
 * @npages: pages pinned, at most MOCK_PIN_MAX
 * @prot: IOMMU_READ and/or IOMMU_WRITE
 * @busy: a thread pins or unpins pages of the record with the lock
 *	dropped; nobody else changes @held or frees the record meanwhile
 * @held: the pages still pinned; all clear while the pin is in flight
 * @pages: the pages, from vfio_pin_pages()
 */
struct mock_pin {
	struct list_head node;
	u64 iova;
	unsigned int npages;
	int prot;
	bool busy;
	DECLARE_BITMAP(held, MOCK_PIN_MAX);
	struct page *pages[] __counted_by(npages);
};

void mock_pins_init(struct mock_pins *p, const struct mock_pins_backend *backend)
{
	memset(p, 0, sizeof(*p));
	p->backend = backend;
	mutex_init(&p->lock);
	init_waitqueue_head(&p->wq);
	INIT_LIST_HEAD(&p->pins);
}
EXPORT_SYMBOL_IF_KUNIT(mock_pins_init);

/* Once closed: nothing can be pinned any more */
void mock_pins_destroy(struct mock_pins *p)
{
	WARN_ON(p->open || !list_empty(&p->pins) || p->nr_pinned);
	mutex_destroy(&p->lock);
}
EXPORT_SYMBOL_IF_KUNIT(mock_pins_destroy);

/* Sleep until woken on @p->wq, with @p->lock dropped meanwhile */
static void mock_pins_wait(struct mock_pins *p)
{
	DEFINE_WAIT(wait);

	lockdep_assert_held(&p->lock);

	prepare_to_wait(&p->wq, &wait, TASK_UNINTERRUPTIBLE);
	mutex_unlock(&p->lock);
	schedule();
	finish_wait(&p->wq, &wait);
	mutex_lock(&p->lock);
}

static u64 mock_pin_page_iova(struct mock_pin *pin, unsigned int k)
{
	return pin->iova + (u64)k * PAGE_SIZE;
}

/* Does page @k of @pin meet [@first, @last]? */
static bool mock_pin_page_meets(struct mock_pin *pin, unsigned int k,
				u64 first, u64 last)
{
	u64 start = mock_pin_page_iova(pin, k);

	return start <= last && start + PAGE_SIZE - 1 >= first;
}

/*
 * The first run of held pages of @pin, from page @from on, that meet
 * [@first, @last]: pages *@k to *@k + *@n - 1. False when there is none.
 */
static bool mock_pin_next_run(struct mock_pin *pin, u64 first, u64 last,
			      unsigned int from, unsigned int *k,
			      unsigned int *n)
{
	unsigned int i = from, j;

	for (;;) {
		i = find_next_bit(pin->held, pin->npages, i);
		if (i >= pin->npages)
			return false;
		if (mock_pin_page_meets(pin, i, first, last))
			break;
		i++;
	}
	for (j = i + 1; j < pin->npages && test_bit(j, pin->held) &&
	     mock_pin_page_meets(pin, j, first, last); j++)
		;
	*k = i;
	*n = j - i;
	return true;
}

static bool mock_pin_meets(struct mock_pin *pin, u64 first, u64 last)
{
	return pin->iova <= last &&
	       mock_pin_page_iova(pin, pin->npages) - 1 >= first;
}

/*
 * Unpin every held page that meets [@first, @last], waiting for the pins
 * and unpins in flight there. Returns how many pages were unpinned.
 */
static unsigned long mock_pins_release(struct mock_pins *p, u64 first,
				       u64 last)
{
	unsigned long done = 0;
	struct mock_pin *pin;
	unsigned int k, n;

	lockdep_assert_held(&p->lock);
again:
	list_for_each_entry(pin, &p->pins, node) {
		if (!mock_pin_meets(pin, first, last))
			continue;
		if (pin->busy) {
			mock_pins_wait(p);
			goto again;
		}
		if (!mock_pin_next_run(pin, first, last, 0, &k, &n))
			continue;

		pin->busy = true;
		do {
			bitmap_clear(pin->held, k, n);
			p->nr_pinned -= n;
			mutex_unlock(&p->lock);
			p->backend->unpin(p, mock_pin_page_iova(pin, k), n);
			mutex_lock(&p->lock);
			done += n;
		} while (mock_pin_next_run(pin, first, last, k + n, &k, &n));
		pin->busy = false;
		if (bitmap_empty(pin->held, pin->npages)) {
			list_del(&pin->node);
			kfree(pin);
		}
		wake_up_all(&p->wq);
		/* The list may have changed while the lock was dropped */
		goto again;
	}
	return done;
}

void mock_pins_open(struct mock_pins *p)
{
	guard(mutex)(&p->lock);
	p->open = true;
}
EXPORT_SYMBOL_IF_KUNIT(mock_pins_open);

/* The device is being closed: finish what is in flight, unpin everything */
void mock_pins_close(struct mock_pins *p)
{
	guard(mutex)(&p->lock);
	p->open = false;
	mock_pins_release(p, 0, U64_MAX);
	while (p->rw_busy)
		mock_pins_wait(p);
}
EXPORT_SYMBOL_IF_KUNIT(mock_pins_close);

bool mock_pins_is_open(struct mock_pins *p)
{
	guard(mutex)(&p->lock);
	return p->open;
}
EXPORT_SYMBOL_IF_KUNIT(mock_pins_is_open);

unsigned long mock_pins_nr_pinned(struct mock_pins *p)
{
	guard(mutex)(&p->lock);
	return p->nr_pinned;
}
EXPORT_SYMBOL_IF_KUNIT(mock_pins_nr_pinned);

static void mock_pins_insert(struct mock_pins *p, struct mock_pin *new)
{
	struct mock_pin *pin;

	lockdep_assert_held(&p->lock);

	list_for_each_entry(pin, &p->pins, node) {
		if (pin->iova > new->iova) {
			list_add_tail(&new->node, &pin->node);
			return;
		}
	}
	list_add_tail(&new->node, &p->pins);
}

/* [@iova, @iova + @npages pages - 1], cut at the top of the IOVA space */
static u64 mock_pins_last(u64 iova, u64 npages)
{
	u64 size, last;

	if (check_mul_overflow(npages, (u64)PAGE_SIZE, &size) ||
	    check_add_overflow(iova, size - 1, &last))
		return U64_MAX;
	return last;
}

/**
 * mock_pins_pin() - pin @npages pages from @iova and keep them
 * @p: the device's pins
 * @iova: IOVA of the first page
 * @npages: 1 to MOCK_PIN_MAX
 * @prot: IOMMU_READ, IOMMU_WRITE or both
 *
 * Return: 0; -EINVAL or -E2BIG for bad arguments; -ENOMEM; -ENOTCONN when
 * the device is not open; the backend's (vfio_pin_pages()) errno; -EIO if
 * it pinned fewer pages than asked (they are unpinned).
 */
int mock_pins_pin(struct mock_pins *p, u64 iova, u64 npages, int prot)
{
	struct mock_pin *pin;
	int rc;

	if (!npages || (prot & ~(IOMMU_READ | IOMMU_WRITE)) || !prot)
		return -EINVAL;
	if (npages > MOCK_PIN_MAX)
		return -E2BIG;
	if (mock_pins_last(iova, npages) - iova != npages * PAGE_SIZE - 1)
		return -EINVAL;

	pin = kzalloc(struct_size(pin, pages, npages), GFP_KERNEL);
	if (!pin)
		return -ENOMEM;
	pin->npages = npages;
	pin->iova = iova;
	pin->prot = prot;
	pin->busy = true;

	mutex_lock(&p->lock);
	if (!p->open) {
		mutex_unlock(&p->lock);
		kfree(pin);
		return -ENOTCONN;
	}
	mock_pins_insert(p, pin);
	mutex_unlock(&p->lock);

	rc = p->backend->pin(p, iova, npages, prot, pin->pages);
	if (rc >= 0 && rc != npages) {
		if (rc > 0)
			p->backend->unpin(p, iova, rc);
		rc = -EIO;
	}

	mutex_lock(&p->lock);
	if (rc < 0) {
		list_del(&pin->node);
	} else {
		bitmap_set(pin->held, 0, npages);
		p->nr_pinned += npages;
		pin->busy = false;
	}
	wake_up_all(&p->wq);
	mutex_unlock(&p->lock);

	if (rc < 0) {
		kfree(pin);
		return rc;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mock_pins_pin);

/**
 * mock_pins_unpin() - unpin every held page that meets a range
 * @p: the device's pins
 * @iova: first IOVA of the range
 * @npages: its length in pages; a range past the end of the IOVA space
 *	ends there
 *
 * Return: 0; -EINVAL for @npages 0; -ENOENT when no page was held there.
 */
int mock_pins_unpin(struct mock_pins *p, u64 iova, u64 npages)
{
	if (!npages)
		return -EINVAL;
	guard(mutex)(&p->lock);
	return mock_pins_release(p, iova, mock_pins_last(iova, npages)) ?
	       0 : -ENOENT;
}
EXPORT_SYMBOL_IF_KUNIT(mock_pins_unpin);

/*
 * VFIO's dma_unmap(): record the call, unpin what is held in the range (a
 * range past the end of the IOVA space ends there)
 */
void mock_pins_dma_unmap(struct mock_pins *p, u64 iova, u64 length)
{
	u64 last;

	if (check_add_overflow(iova, length - 1, &last))
		last = U64_MAX;
	guard(mutex)(&p->lock);
	p->unmap_log[p->unmap_calls % MOCK_UNMAP_LOG] =
		(struct mock_iommu_unmap_call){ .iova = iova, .length = length };
	p->unmap_calls++;
	/* A broken driver that keeps its pins (debugfs keep_on_unmap) */
	if (length && !READ_ONCE(p->keep_on_unmap))
		mock_pins_release(p, iova, last);
}
EXPORT_SYMBOL_IF_KUNIT(mock_pins_dma_unmap);

/* vfio_dma_rw() through the backend, while the device is open */
int mock_pins_rw(struct mock_pins *p, u64 iova, void *buf, size_t len,
		 bool write)
{
	int rc;

	if (!buf || !len)
		return -EINVAL;
	mutex_lock(&p->lock);
	if (!p->open) {
		mutex_unlock(&p->lock);
		return -ENOTCONN;
	}
	p->rw_busy++;
	mutex_unlock(&p->lock);

	rc = p->backend->rw(p, iova, buf, len, write);

	mutex_lock(&p->lock);
	p->rw_busy--;
	wake_up_all(&p->wq);
	mutex_unlock(&p->lock);
	return rc;
}
EXPORT_SYMBOL_IF_KUNIT(mock_pins_rw);

/**
 * mock_pins_runs() - the pages held, as runs of consecutive pages
 * @p: the device's pins
 * @out: where to store the runs, in record (IOVA) order
 * @max: room in @out
 *
 * A run is a maximal range of consecutive held pages of one record; its
 * phys is the physical address of its first page.
 *
 * Return: the number of runs, which may exceed @max.
 */
unsigned int mock_pins_runs(struct mock_pins *p, struct mock_iommu_pinned *out,
			    unsigned int max)
{
	unsigned int k, n, nr = 0;
	struct mock_pin *pin;

	guard(mutex)(&p->lock);
	list_for_each_entry(pin, &p->pins, node) {
		for (k = 0; mock_pin_next_run(pin, 0, U64_MAX, k, &k, &n);
		     k += n) {
			if (nr < max)
				out[nr] = (struct mock_iommu_pinned){
					.iova = mock_pin_page_iova(pin, k),
					.npages = n,
					.prot = pin->prot,
					.phys = page_to_phys(pin->pages[k]),
				};
			nr++;
		}
	}
	return nr;
}
EXPORT_SYMBOL_IF_KUNIT(mock_pins_runs);

/*
 * The dma_unmap() calls since load or the last reset: returns their
 * number; the last ones, at most @max and MOCK_UNMAP_LOG, oldest first,
 * go to @out and their count to *@nr.
 */
u64 mock_pins_unmap_log(struct mock_pins *p, struct mock_iommu_unmap_call *out,
			unsigned int max, unsigned int *nr)
{
	u64 i, first;

	guard(mutex)(&p->lock);
	first = p->unmap_calls - min_t(u64, p->unmap_calls,
				       min_t(unsigned int, max, MOCK_UNMAP_LOG));
	for (i = first; i < p->unmap_calls; i++)
		out[i - first] = p->unmap_log[i % MOCK_UNMAP_LOG];
	*nr = p->unmap_calls - first;
	return p->unmap_calls;
}
EXPORT_SYMBOL_IF_KUNIT(mock_pins_unmap_log);

void mock_pins_reset_unmap_log(struct mock_pins *p)
{
	guard(mutex)(&p->lock);
	p->unmap_calls = 0;
	memset(p->unmap_log, 0, sizeof(p->unmap_log));
}
EXPORT_SYMBOL_IF_KUNIT(mock_pins_reset_unmap_log);

/* "r", "w" or "rw" */
const char *mock_pins_prot_name(int prot)
{
	switch (prot) {
	case IOMMU_READ:
		return "r";
	case IOMMU_WRITE:
		return "w";
	case IOMMU_READ | IOMMU_WRITE:
		return "rw";
	default:
		return "?";
	}
}

/**
 * mock_pins_parse() - parse "IOVA NPAGES[ PROT]" of the pin and unpin files
 * @buf: the text, NUL terminated; a trailing newline is allowed
 * @iova: the IOVA (decimal, or hex with 0x)
 * @npages: the number of pages
 * @prot: for "r", "w" or "rw"; NULL when the text has no PROT
 *
 * Return: 0, -EINVAL or -ENOMEM.
 */
int mock_pins_parse(const char *buf, u64 *iova, u64 *npages, int *prot)
{
	char *copy __free(kfree) = kstrdup(buf, GFP_KERNEL);
	char *cur = copy, *tok[4];
	unsigned int n = 0;

	if (!copy)
		return -ENOMEM;
	while (n < ARRAY_SIZE(tok) &&
	       (tok[n] = strsep(&cur, " \t\n")))
		if (*tok[n])
			n++;
	if (n != (prot ? 3 : 2) || kstrtou64(tok[0], 0, iova) ||
	    kstrtou64(tok[1], 0, npages))
		return -EINVAL;
	if (!prot)
		return 0;
	if (!strcmp(tok[2], "r"))
		*prot = IOMMU_READ;
	else if (!strcmp(tok[2], "w"))
		*prot = IOMMU_WRITE;
	else if (!strcmp(tok[2], "rw"))
		*prot = IOMMU_READ | IOMMU_WRITE;
	else
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mock_pins_parse);
