// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the invariant checker (check.c), on the mock IOMMU: a
 * container as vfio-mdom leaves it passes, and one broken on purpose
 * behind its back fails: a page its domain no longer translates, one
 * translated to the wrong page, one translated that no mapping holds, and
 * each counter off by one. The checker runs quietly here (it counts and
 * does not WARN, which would fail make check); each test repairs what it
 * broke, and the clean check after the repair shows it.
 *
 * The mock's default configuration is assumed (see domain_kunit.c):
 * instance 0 (4K pages, 39 bits) and instance 1 (4K|2M|1G, 48 bits, a
 * domain of its own).
 */
#include <kunit/test.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sizes.h>
#include <linux/vfio.h>

#include "../../mock_iommu/mock_iommu.h"
#include "../pages.h"
#include "../vfio_mdom.h"

#define INST_A		0
#define INST_B		1
#define RW		(IOMMU_READ | IOMMU_WRITE)
#define NPAGES		4

/* A group the test holds DMA ownership of and has attached to @c. */
struct check_claim {
	struct mdom_container *c;
	struct iommu_group *grp;
};

KUNIT_DEFINE_ACTION_WRAPPER(check_destroy, mdom_container_destroy,
			    struct mdom_container *);

static void check_release_claim(void *data)
{
	struct check_claim *cl = data;

	mdom_container_detach(cl->c, cl->grp);
	iommu_group_release_dma_owner(cl->grp);
}

static int check_test_init(struct kunit *test)
{
	if (mock_iommu_nr_instances() <= INST_B)
		kunit_skip(test, "needs the mock's instances 0 and 1");
	return 0;
}

static struct mdom_container *check_container(struct kunit *test)
{
	struct mdom_container *c = mdom_container_alloc(VFIO_TYPE1v2_IOMMU);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, c);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, check_destroy, c),
			0);
	return c;
}

/* Attach device 0 of mock instance @inst, as VFIO would; its domain. */
static struct mdom_domain *check_attach(struct kunit *test,
					struct mdom_container *c,
					unsigned int inst)
{
	struct check_claim *cl = kunit_kzalloc(test, sizeof(*cl), GFP_KERNEL);
	struct mdom_domain *d;
	struct mdom_group *g;

	KUNIT_ASSERT_NOT_NULL(test, cl);
	cl->c = c;
	cl->grp = mock_iommu_group(inst, 0);
	KUNIT_ASSERT_NOT_NULL(test, cl->grp);
	KUNIT_ASSERT_EQ(test, iommu_group_claim_dma_owner(cl->grp, cl), 0);
	if (mdom_container_attach(c, cl->grp)) {
		iommu_group_release_dma_owner(cl->grp);
		KUNIT_FAIL_AND_ABORT(test, "mock %u.0: attach failed", inst);
	}
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							check_release_claim,
							cl), 0);
	list_for_each_entry(d, &c->domains, next)
		list_for_each_entry(g, &d->groups, next)
			if (g->iommu_group == cl->grp)
				return d;
	KUNIT_FAIL_AND_ABORT(test, "mock %u.0: no domain", inst);
	return NULL;
}

/* Two mappings of NPAGES pages at 1M and 2M, the second read-only. */
static void check_map(struct kunit *test, struct mdom_container *c)
{
	unsigned long buf;

	buf = kunit_vm_mmap(test, NULL, 0, 2 * NPAGES * PAGE_SIZE,
			    PROT_READ | PROT_WRITE,
			    MAP_ANONYMOUS | MAP_PRIVATE | MAP_POPULATE, 0);
	KUNIT_ASSERT_NE(test, buf, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(buf));
	KUNIT_ASSERT_EQ(test, mdom_container_map(c, SZ_1M, NPAGES * PAGE_SIZE,
						 buf, RW), 0);
	KUNIT_ASSERT_EQ(test, mdom_container_map(c, SZ_2M, NPAGES * PAGE_SIZE,
						 buf + NPAGES * PAGE_SIZE,
						 IOMMU_READ), 0);
}

/*
 * A page of a domain changed behind the container's back: taken away or
 * added, and put back (@undo) when the test says so or ends.
 */
struct check_page {
	struct iommu_domain *domain;
	u64 iova;
	phys_addr_t phys;
	int prot;
	kunit_action_t *undo;
};

static void check_page_map(void *data)
{
	struct check_page *p = data;

	WARN_ON(iommu_map(p->domain, p->iova, p->phys, PAGE_SIZE, p->prot,
			  GFP_KERNEL));
}

static void check_page_unmap(void *data)
{
	struct check_page *p = data;

	WARN_ON(iommu_unmap(p->domain, p->iova, PAGE_SIZE) != PAGE_SIZE);
}

static struct check_page *check_page_new(struct kunit *test,
					 struct mdom_domain *d, u64 iova,
					 int prot)
{
	struct check_page *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	p->domain = d->domain;
	p->iova = iova;
	p->prot = prot;
	return p;
}

/* Unmap the page at @iova of @d (mapped with @prot); mapped back later */
static struct check_page *check_page_take(struct kunit *test,
					  struct mdom_domain *d, u64 iova,
					  int prot)
{
	struct check_page *p = check_page_new(test, d, iova, prot);

	p->phys = iommu_iova_to_phys(d->domain, iova);
	KUNIT_ASSERT_NE(test, p->phys, 0);
	KUNIT_ASSERT_EQ(test, iommu_unmap(d->domain, iova, PAGE_SIZE),
			PAGE_SIZE);
	p->undo = check_page_map;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, p->undo, p), 0);
	return p;
}

/* Map @iova of @d to @phys with @prot, where nothing was; unmapped later */
static struct check_page *check_page_add(struct kunit *test,
					 struct mdom_domain *d, u64 iova,
					 phys_addr_t phys, int prot)
{
	struct check_page *p = check_page_new(test, d, iova, prot);

	p->phys = phys;
	KUNIT_ASSERT_EQ(test, iommu_map(d->domain, iova, phys, PAGE_SIZE, prot,
					GFP_KERNEL), 0);
	p->undo = check_page_unmap;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, p->undo, p), 0);
	return p;
}

static void check_page_restore(struct kunit *test, struct check_page *p)
{
	kunit_release_action(test, p->undo, p);
}

/* Everything: a mapping may be checked twice (range and cursor). */
static unsigned int check(struct mdom_container *c)
{
	return mdom_check_container(c, 0, U64_MAX, true);
}

/* A container as vfio-mdom leaves it passes, with one domain and two. */
static void mdom_check_clean(struct kunit *test)
{
	struct mdom_container *c = check_container(test);
	u64 unmapped;

	KUNIT_EXPECT_EQ(test, check(c), 0);
	check_map(test, c);
	KUNIT_EXPECT_EQ(test, check(c), 0);	/* no domain: nothing pinned */
	check_attach(test, c, INST_A);
	KUNIT_EXPECT_EQ(test, check(c), 0);
	check_attach(test, c, INST_B);
	KUNIT_EXPECT_EQ(test, check(c), 0);
	KUNIT_ASSERT_EQ(test, mdom_container_unmap(c, SZ_1M, NPAGES * PAGE_SIZE,
						   false, &unmapped), 0);
	KUNIT_EXPECT_EQ(test, mdom_check_container(c, SZ_1M, SZ_1M +
						   NPAGES * PAGE_SIZE - 1,
						   true), 0);
	KUNIT_EXPECT_EQ(test, check(c), 0);
}

/* A page the domain no longer translates (no less). */
static void mdom_check_missing(struct kunit *test)
{
	struct mdom_container *c = check_container(test);
	u64 iova = SZ_1M + PAGE_SIZE;
	struct mdom_domain *d;
	struct check_page *p;

	check_map(test, c);
	check_attach(test, c, INST_A);
	d = check_attach(test, c, INST_B);
	p = check_page_take(test, d, iova, RW | IOMMU_CACHE);
	KUNIT_EXPECT_GT(test, check(c), 0);
	/* Not only when the operation's range holds it. */
	KUNIT_EXPECT_EQ(test, mdom_check_container(c, 1, 0, true), 1);
	check_page_restore(test, p);
	KUNIT_EXPECT_EQ(test, check(c), 0);
}

/* A page translated to another page than the one pinned for it. */
static void mdom_check_wrong_page(struct kunit *test)
{
	struct mdom_container *c = check_container(test);
	struct check_page *taken, *added;
	struct mdom_domain *d;
	phys_addr_t other;

	check_map(test, c);
	d = check_attach(test, c, INST_A);
	other = iommu_iova_to_phys(d->domain, SZ_1M);
	KUNIT_ASSERT_NE(test, other, 0);
	taken = check_page_take(test, d, SZ_2M, IOMMU_READ | IOMMU_CACHE);
	added = check_page_add(test, d, SZ_2M, other,
			       IOMMU_READ | IOMMU_CACHE);
	KUNIT_EXPECT_GT(test, check(c), 0);
	check_page_restore(test, added);
	check_page_restore(test, taken);
	KUNIT_EXPECT_EQ(test, check(c), 0);
}

/*
 * A page translated that no mapping holds (no more): right after a
 * mapping, and in a hole of the operation's range.
 */
static void mdom_check_extra(struct kunit *test)
{
	struct mdom_container *c = check_container(test);
	u64 after = SZ_1M + NPAGES * PAGE_SIZE;
	struct mdom_domain *d;
	struct check_page *p;
	phys_addr_t phys;

	check_map(test, c);
	d = check_attach(test, c, INST_A);
	phys = iommu_iova_to_phys(d->domain, SZ_1M);
	p = check_page_add(test, d, after, phys, RW | IOMMU_CACHE);
	KUNIT_EXPECT_GT(test, check(c), 0);
	KUNIT_EXPECT_EQ(test, mdom_check_container(c, 1, 0, true), 1);
	check_page_restore(test, p);

	p = check_page_add(test, d, SZ_8M, phys, RW | IOMMU_CACHE);
	KUNIT_EXPECT_EQ(test, mdom_check_container(c, SZ_4M, SZ_8M, true), 1);
	KUNIT_EXPECT_EQ(test, mdom_check_container(c, SZ_8M, SZ_16M - 1,
						   true), 1);
	check_page_restore(test, p);
	KUNIT_EXPECT_EQ(test, check(c), 0);
}

/* Each counter off by one, then back. */
static void mdom_check_counters(struct kunit *test)
{
	struct mdom_container *c = check_container(test);
	struct mdom_domain *d;

	check_map(test, c);
	d = check_attach(test, c, INST_A);
	KUNIT_ASSERT_EQ(test, check(c), 0);

	scoped_guard(mutex, &c->iova_lock)
		c->pinned_pages++;
	KUNIT_EXPECT_EQ(test, check(c), 1);
	scoped_guard(mutex, &c->iova_lock)
		c->pinned_pages--;

	atomic64_add(PAGE_SIZE, &d->mapped_bytes);
	KUNIT_EXPECT_EQ(test, check(c), 1);
	atomic64_sub(PAGE_SIZE, &d->mapped_bytes);

	/* The tree's bytes, and every domain's, differ from the counter. */
	scoped_guard(mutex, &c->iova_lock)
		c->mapped_bytes += PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, check(c), 2);
	scoped_guard(mutex, &c->iova_lock)
		c->mapped_bytes -= PAGE_SIZE;

	scoped_guard(mutex, &c->iova_lock)
		c->nr_vaddr_invalid++;
	KUNIT_EXPECT_EQ(test, check(c), 1);
	scoped_guard(mutex, &c->iova_lock)
		c->nr_vaddr_invalid--;

	KUNIT_EXPECT_EQ(test, check(c), 0);
}

static struct kunit_case mdom_check_cases[] = {
	KUNIT_CASE(mdom_check_clean),
	KUNIT_CASE(mdom_check_missing),
	KUNIT_CASE(mdom_check_wrong_page),
	KUNIT_CASE(mdom_check_extra),
	KUNIT_CASE(mdom_check_counters),
	{}
};

static struct kunit_suite mdom_check_suite = {
	.name = "vfio_mdom_check",
	.init = check_test_init,
	.test_cases = mdom_check_cases,
};

kunit_test_suite(mdom_check_suite);
