// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for domains, groups and replay, on the mock IOMMU
 * (vfio_mdom_mock_iommu.ko, which must be loaded first): which domain a
 * group gets, that a new domain holds every existing mapping (read back
 * through the mock's page table and by mock DMA), always with IOMMU_CACHE,
 * that pages are pinned and charged once whatever the number of domains
 * and only once there is a domain, detach, which attach errors mean "try
 * another domain", and that a failure anywhere in attach or map (mock
 * fault injection) leaves the container exactly as it was, with nothing
 * leaked.
 *
 * Groups are attached as VFIO attaches them: the test claims the group's
 * DMA ownership first, and releases it after detaching.
 *
 * The mock's default configuration (drivers/mock_iommu/main.c) is assumed:
 *   inst 0: 4K, 39-bit aperture, enforces coherency, MSI window reserved
 *   inst 1: 4K|2M|1G, 48-bit, no coherency enforcement, no reserved region
 *   inst 2: 4K|2M, 32-bit, MSIs not isolated
 *   inst 3: a twin of inst 0 (its devices can share inst 0's domains)
 * each with two devices. A test whose instance is missing is skipped.
 *
 * Every test ends by checking the mock's error counters (unmap mismatch,
 * map overlap, leaked translations, unsynced unmaps, domains freed while
 * attached, maps over reserved regions) did not move, and that no mock
 * domain or translation outlives the container.
 */
#include <kunit/test.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <linux/vfio_mdom.h>

#include "../../mock_iommu/tests/mock_kunit.h"
#include "../pages.h"
#include "../vfio_mdom.h"

#define INST_CC		0	/* 4K, 39 bits, enforce_cc */
#define INST_BIG	1	/* 4K|2M|1G, 48 bits, no enforce_cc */
#define INST_UNSAFE	2	/* MSIs not isolated */
#define INST_TWIN	3	/* shares domains with INST_CC */

#define RW		(IOMMU_READ | IOMMU_WRITE)

#define MAX_CLAIMS	16

/* A group whose DMA ownership the test holds, as VFIO would. */
struct mdom_claim {
	struct mdom_container *c;
	struct iommu_group *grp;
};

struct mdom_test {
	struct mock_iommu_counters before;
	unsigned long locked_before;
	unsigned int nr_claims;
	struct mdom_claim claims[MAX_CLAIMS];
};

KUNIT_DEFINE_ACTION_WRAPPER(domain_test_destroy, mdom_container_destroy,
			    struct mdom_container *);

static void counters_check(void *data)
{
	struct kunit *test = data;
	struct mdom_test *t = test->priv;
	struct mock_iommu_counters now;

	KUNIT_ASSERT_EQ(test, mock_iommu_get_counters(-1, &now), 0);
	KUNIT_EXPECT_EQ(test, now.unmap_mismatch, t->before.unmap_mismatch);
	KUNIT_EXPECT_EQ(test, now.map_overlap, t->before.map_overlap);
	KUNIT_EXPECT_EQ(test, now.leaked_translations,
			t->before.leaked_translations);
	KUNIT_EXPECT_EQ(test, now.unsynced_unmaps, t->before.unsynced_unmaps);
	KUNIT_EXPECT_EQ(test, now.freed_attached, t->before.freed_attached);
	KUNIT_EXPECT_EQ(test, now.resv_maps, t->before.resv_maps);
	KUNIT_EXPECT_EQ(test, now.domains_live, t->before.domains_live);
	KUNIT_EXPECT_EQ(test, now.translations_live,
			t->before.translations_live);
}

/* Arm a mock injection (a knob); cancelled when the test ends */
static void inject(struct kunit *test, unsigned int knob, unsigned int inst,
		   s64 value, s64 arg)
{
	KUNIT_ASSERT_EQ(test, mock_kunit_set_knob(test, knob, inst, value, arg),
			0);
}

/* A bool module parameter of vfio_mdom, as it was before the test */
struct param_saved {
	bool *param;
	bool value;
};

static void param_restore(void *data)
{
	struct param_saved *saved = data;

	WRITE_ONCE(*saved->param, saved->value);
}

/* Set *@param to @value until param_put() or the end of the test */
static struct param_saved *param_set(struct kunit *test, bool *param,
				     bool value)
{
	struct param_saved *saved;

	saved = kunit_kzalloc(test, sizeof(*saved), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, saved);
	saved->param = param;
	saved->value = READ_ONCE(*param);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, param_restore,
							saved), 0);
	WRITE_ONCE(*param, value);
	return saved;
}

static void param_put(struct kunit *test, struct param_saved *saved)
{
	kunit_release_action(test, param_restore, saved);
}

static struct mdom_container *container_new(struct kunit *test)
{
	struct mdom_container *c = mdom_container_alloc(VFIO_TYPE1v2_IOMMU);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, c);
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test, domain_test_destroy, c),
			0);
	return c;
}

/* User memory of the test's mm, each page starting with a distinct tag. */
static unsigned long user_buf(struct kunit *test, unsigned long npages)
{
	unsigned long addr, i;

	addr = kunit_vm_mmap(test, NULL, 0, npages * PAGE_SIZE,
			     PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, addr, 0, "kunit_vm_mmap() failed");
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(addr));
	for (i = 0; i < npages; i++) {
		u64 tag = 0x6d646f6d00000000ULL | (addr >> PAGE_SHIFT) | i;

		KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)
			(addr + i * PAGE_SIZE), &tag, sizeof(tag)), 0);
	}
	((struct mdom_test *)test->priv)->locked_before =
		READ_ONCE(current->mm->locked_vm);
	return addr;
}

static unsigned long locked_vm(void)
{
	return READ_ONCE(current->mm->locked_vm);
}

static struct iommu_group *grp(unsigned int inst, unsigned int idx)
{
	return mock_iommu_group(inst, idx);
}

static struct device *dev(unsigned int inst, unsigned int idx)
{
	return mock_iommu_device(inst, idx);
}

/*
 * Detach the group if it is still attached and release its ownership, as
 * VFIO would. Registered when the group is first claimed, so after the
 * container it may be attached to: it runs before that is destroyed.
 */
static void claim_release(void *data)
{
	struct mdom_claim *cl = data;

	if (cl->c)
		mdom_container_detach(cl->c, cl->grp);
	cl->c = NULL;
	iommu_group_release_dma_owner(cl->grp);
}

static struct mdom_claim *claim_find(struct mdom_test *t,
				     struct iommu_group *g)
{
	unsigned int i;

	for (i = 0; i < t->nr_claims; i++)
		if (t->claims[i].grp == g)
			return &t->claims[i];
	return NULL;
}

/* VFIO_GROUP_SET_CONTAINER: claim, then attach; the attach's errno. */
static int try_attach(struct kunit *test, struct mdom_container *c,
		      unsigned int inst, unsigned int idx)
{
	struct mdom_test *t = test->priv;
	struct iommu_group *g = grp(inst, idx);
	struct mdom_claim *cl;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, g);
	cl = claim_find(t, g);
	if (!cl) {
		KUNIT_ASSERT_LT(test, t->nr_claims, MAX_CLAIMS);
		KUNIT_ASSERT_EQ(test, iommu_group_claim_dma_owner(g, t), 0);
		cl = &t->claims[t->nr_claims++];
		cl->grp = g;
		cl->c = NULL;
		KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
								claim_release,
								cl), 0);
	}
	ret = mdom_container_attach(c, g);
	if (!ret)
		cl->c = c;
	return ret;
}

/* VFIO_GROUP_UNSET_CONTAINER */
static int detach(struct kunit *test, struct mdom_container *c,
		  unsigned int inst, unsigned int idx)
{
	struct mdom_claim *cl = claim_find(test->priv, grp(inst, idx));
	int ret;

	ret = mdom_container_detach(c, grp(inst, idx));
	if (!ret && cl && cl->c == c)
		cl->c = NULL;
	return ret;
}

static u32 group_domain_id(struct mdom_container *c, struct iommu_group *g)
{
	struct mdom_domain *d;
	struct mdom_group *mg;

	list_for_each_entry(d, &c->domains, next)
		list_for_each_entry(mg, &d->groups, next)
			if (mg->iommu_group == g)
				return d->id;
	return 0;
}

static unsigned int nr_domains(struct mdom_container *c);

static u32 attach(struct kunit *test, struct mdom_container *c,
		  unsigned int inst, unsigned int idx, bool expect_new)
{
	unsigned int before = nr_domains(c);

	KUNIT_ASSERT_EQ_MSG(test, try_attach(test, c, inst, idx), 0,
			    "mock %u.%u: attaching", inst, idx);
	KUNIT_EXPECT_EQ_MSG(test, nr_domains(c) == before + 1, expect_new,
			    "mock %u.%u: new domain?", inst, idx);
	return group_domain_id(c, grp(inst, idx));
}

static int mdom_domain_test_init(struct kunit *test)
{
	struct mdom_test *t;

	if (mock_iommu_nr_instances() <= INST_TWIN)
		kunit_skip(test, "needs the mock's default four instances");
	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	test->priv = t;
	if (mock_iommu_get_counters(-1, &t->before))
		return -EINVAL;
	/* Runs last: after every container of the test is destroyed. */
	return kunit_add_action_or_reset(test, counters_check, test);
}

static struct mdom_domain *find_domain(struct mdom_container *c, u32 id)
{
	struct mdom_domain *d;

	list_for_each_entry(d, &c->domains, next)
		if (d->id == id)
			return d;
	return NULL;
}

static unsigned int nr_domains(struct mdom_container *c)
{
	struct mdom_domain *d;
	unsigned int n = 0;

	list_for_each_entry(d, &c->domains, next)
		n++;
	return n;
}

/*
 * @d translates every page of every mapping to the page pinned for it,
 * with the mapping's permissions and always IOMMU_CACHE, as type1 and
 * iommufd map (whether the domain enforces coherency or not).
 */
static void expect_domain_holds_all(struct kunit *test,
				    struct mdom_container *c,
				    struct mdom_domain *d)
{
	struct mock_iommu_translation t;
	struct mdom_dma *dma;
	u64 off, mapped = 0;

	for (dma = mdom_dma_first(&c->dmas, 0, U64_MAX); dma;
	     dma = mdom_dma_next(dma, 0, U64_MAX)) {
		for (off = 0; off < mdom_dma_size(dma); off += PAGE_SIZE) {
			u64 iova = dma->iova + off;

			KUNIT_ASSERT_EQ_MSG(test,
					    mock_iommu_lookup(d->domain, iova, &t),
					    0, "iova %llx", iova);
			KUNIT_EXPECT_EQ_MSG(test, t.phys + (iova - t.iova),
					    mdom_pages_phys(&dma->pages, off),
					    "iova %llx", iova);
			KUNIT_EXPECT_EQ(test, t.prot & RW, (int)dma->prot);
			KUNIT_EXPECT_TRUE_MSG(test, t.prot & IOMMU_CACHE,
					      "iova %llx", iova);
		}
		mapped += mdom_dma_size(dma);
	}
	KUNIT_EXPECT_EQ(test, atomic64_read(&d->mapped_bytes), mapped);
}

/* Device @inst.@idx reads the tag of page @i of @buf at @iova. */
static void expect_dma_reads(struct kunit *test, unsigned int inst,
			     unsigned int idx, u64 iova, unsigned long buf,
			     unsigned long i)
{
	u64 tag = 0, want = 0x6d646f6d00000000ULL | (buf >> PAGE_SHIFT) | i;

	KUNIT_EXPECT_EQ_MSG(test, mock_iommu_dma(dev(inst, idx), iova, &tag,
						 sizeof(tag), MOCK_IOMMU_DMA_READ),
			    0, "mock %u.%u DMA read at %llx", inst, idx, iova);
	KUNIT_EXPECT_EQ(test, tag, want);
}

static void expect_dma_faults(struct kunit *test, unsigned int inst,
			      unsigned int idx, u64 iova)
{
	u64 tag;

	KUNIT_EXPECT_EQ(test, mock_iommu_dma(dev(inst, idx), iova, &tag,
					     sizeof(tag), MOCK_IOMMU_DMA_READ),
			-EIO);
}

/* Three mappings of 4 pages each at 1M, 2M (read-only) and 4M. */
static unsigned long map_three(struct kunit *test, struct mdom_container *c)
{
	unsigned long buf = user_buf(test, 12);

	KUNIT_ASSERT_EQ(test, mdom_container_map(c, SZ_1M, 4 * PAGE_SIZE, buf,
						 RW), 0);
	KUNIT_ASSERT_EQ(test, mdom_container_map(c, SZ_2M, 4 * PAGE_SIZE,
						 buf + 4 * PAGE_SIZE,
						 IOMMU_READ), 0);
	KUNIT_ASSERT_EQ(test, mdom_container_map(c, SZ_4M, 4 * PAGE_SIZE,
						 buf + 8 * PAGE_SIZE, RW), 0);
	return buf;
}

static void mdom_domain_attach_then_map(struct kunit *test)
{
	struct mdom_container *c = container_new(test);
	struct mdom_domain *d;
	unsigned long buf;
	u64 data = 0x1122334455667788ULL, back = 0;
	u32 id;

	id = attach(test, c, INST_CC, 0, true);
	d = find_domain(c, id);
	KUNIT_ASSERT_NOT_NULL(test, d);
	KUNIT_EXPECT_TRUE(test, d->enforce_cc);
	/* Named after the IOMMU device and the driver's module. */
	KUNIT_EXPECT_STREQ(test, d->driver, "vfio_mdom_mock_iommu");
	KUNIT_EXPECT_STREQ(test, d->iommu, "vfio_mdom_mock_iommu0");
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(c, VFIO_DMA_CC_IOMMU), 1);
	KUNIT_EXPECT_EQ(test, mock_iommu_dev_domain_id(dev(INST_CC, 0)),
			mock_iommu_domain_id(d->domain));

	buf = map_three(test, c);
	expect_domain_holds_all(test, c, d);
	expect_dma_reads(test, INST_CC, 0, SZ_2M + PAGE_SIZE, buf, 5);

	/* The device writes; the user sees it. A read-only one refuses. */
	KUNIT_EXPECT_EQ(test, mock_iommu_dma(dev(INST_CC, 0), SZ_4M, &data,
					     sizeof(data), MOCK_IOMMU_DMA_WRITE), 0);
	KUNIT_EXPECT_EQ(test, copy_from_user(&back, (void __user *)
					     (buf + 8 * PAGE_SIZE), sizeof(back)), 0);
	KUNIT_EXPECT_EQ(test, back, data);
	KUNIT_EXPECT_EQ(test, mock_iommu_dma(dev(INST_CC, 0), SZ_2M, &data,
					     sizeof(data), MOCK_IOMMU_DMA_WRITE),
			-EACCES);
	/* Outside every mapping */
	expect_dma_faults(test, INST_CC, 0, SZ_8M);
}

/*
 * Maps made before any domain are only recorded; the first domain pins
 * them (once) and every new domain gets them replayed.
 */
static void mdom_domain_replay_on_attach(struct kunit *test)
{
	struct mdom_container *c = container_new(test);
	struct mdom_domain *d0, *d1;
	unsigned long buf, locked;
	u32 id0, id1;

	buf = map_three(test, c);
	locked = locked_vm();
	KUNIT_EXPECT_EQ(test, locked, ((struct mdom_test *)test->priv)->locked_before);
	KUNIT_EXPECT_EQ(test, c->pinned_pages, 0);

	id0 = attach(test, c, INST_CC, 0, true);
	KUNIT_EXPECT_EQ(test, c->pinned_pages, 12);
	locked += 12;
	KUNIT_EXPECT_EQ(test, locked_vm(), locked);
	d0 = find_domain(c, id0);
	KUNIT_ASSERT_NOT_NULL(test, d0);
	expect_domain_holds_all(test, c, d0);
	expect_dma_reads(test, INST_CC, 0, SZ_1M, buf, 0);

	/* Different page sizes, aperture and coherency: a second domain. */
	id1 = attach(test, c, INST_BIG, 0, true);
	KUNIT_EXPECT_NE(test, id0, id1);
	d1 = find_domain(c, id1);
	KUNIT_ASSERT_NOT_NULL(test, d1);
	KUNIT_EXPECT_FALSE(test, d1->enforce_cc);
	expect_domain_holds_all(test, c, d1);
	expect_dma_reads(test, INST_BIG, 0, SZ_4M + 3 * PAGE_SIZE, buf, 11);
	KUNIT_EXPECT_EQ(test, nr_domains(c), 2);
	/* One non-coherent domain: DMA_CC_IOMMU is off. */
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(c, VFIO_DMA_CC_IOMMU), 0);

	/* Pinned and charged once, however many domains map the pages. */
	KUNIT_EXPECT_EQ(test, locked_vm(), locked);
	KUNIT_EXPECT_EQ(test, c->pinned_pages, 12);

	/* A map after both domains exist goes to both. */
	KUNIT_ASSERT_EQ(test, mdom_container_map(c, SZ_8M, PAGE_SIZE, buf, RW), 0);
	expect_domain_holds_all(test, c, d0);
	expect_domain_holds_all(test, c, d1);
	expect_dma_reads(test, INST_CC, 0, SZ_8M, buf, 0);
	expect_dma_reads(test, INST_BIG, 0, SZ_8M, buf, 0);
	KUNIT_EXPECT_EQ(test, locked_vm(), locked + 1);
}

static void mdom_domain_shared_and_detach(struct kunit *test)
{
	struct mock_iommu_counters mid;
	struct mdom_container *c = container_new(test);
	unsigned long buf, locked;
	u64 unmapped;
	u32 id;

	buf = map_three(test, c);
	id = attach(test, c, INST_CC, 0, true);
	locked = locked_vm();
	/* Same instance, then its twin: both join the domain. */
	KUNIT_EXPECT_EQ(test, attach(test, c, INST_CC, 1, false), id);
	KUNIT_EXPECT_EQ(test, attach(test, c, INST_TWIN, 0, false), id);
	KUNIT_EXPECT_EQ(test, nr_domains(c), 1);
	expect_dma_reads(test, INST_TWIN, 0, SZ_1M + PAGE_SIZE, buf, 1);
	attach(test, c, INST_BIG, 0, true);
	KUNIT_EXPECT_EQ(test, nr_domains(c), 2);

	/* Detach one group of the shared domain: the others still work. */
	KUNIT_EXPECT_EQ(test, detach(test, c, INST_CC, 0), 0);
	expect_dma_faults(test, INST_CC, 0, SZ_1M);
	expect_dma_reads(test, INST_CC, 1, SZ_1M, buf, 0);
	expect_dma_reads(test, INST_TWIN, 0, SZ_1M, buf, 0);
	KUNIT_EXPECT_EQ(test, nr_domains(c), 2);
	KUNIT_EXPECT_EQ(test, detach(test, c, INST_CC, 0), -ENOENT);

	/* The big domain loses its only group: it is unmapped and freed. */
	KUNIT_EXPECT_EQ(test, detach(test, c, INST_BIG, 0), 0);
	KUNIT_EXPECT_EQ(test, nr_domains(c), 1);
	expect_dma_reads(test, INST_TWIN, 0, SZ_4M, buf, 8);
	KUNIT_EXPECT_EQ(test, locked_vm(), locked);

	/*
	 * The last ones: no domain left, the mappings stay pinned (under VFIO
	 * the container would be released now; the engine keeps them).
	 */
	KUNIT_EXPECT_EQ(test, detach(test, c, INST_CC, 1), 0);
	KUNIT_EXPECT_EQ(test, detach(test, c, INST_TWIN, 0), 0);
	KUNIT_EXPECT_EQ(test, nr_domains(c), 0);
	KUNIT_ASSERT_EQ(test, mock_iommu_get_counters(-1, &mid), 0);
	KUNIT_EXPECT_EQ(test, mid.domains_live,
			((struct mdom_test *)test->priv)->before.domains_live);
	KUNIT_EXPECT_EQ(test, c->dmas.count, 3);
	KUNIT_EXPECT_EQ(test, locked_vm(), locked);

	/* ... and can be replayed into a new domain again. */
	id = attach(test, c, INST_BIG, 1, true);
	expect_domain_holds_all(test, c, find_domain(c, id));
	KUNIT_EXPECT_EQ(test, mdom_container_unmap(c, 0, 0, true, &unmapped), 0);
	KUNIT_EXPECT_EQ(test, unmapped, 12 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, locked_vm(), locked - 12);
	KUNIT_EXPECT_EQ(test, atomic64_read(&find_domain(c, id)->mapped_bytes), 0);
}

static void mdom_domain_attach_errors(struct kunit *test)
{
	struct mdom_container *c = container_new(test);
	struct param_saved *unsafe;

	attach(test, c, INST_CC, 0, true);
	/* Already attached: type1's errno. */
	KUNIT_EXPECT_EQ(test, mdom_container_attach(c, grp(INST_CC, 0)), -EINVAL);
	KUNIT_EXPECT_EQ(test, mdom_container_detach(c, grp(INST_CC, 1)), -ENOENT);

	/* MSIs not isolated */
	KUNIT_EXPECT_EQ(test, try_attach(test, c, INST_UNSAFE, 0), -EPERM);
	KUNIT_EXPECT_EQ(test, nr_domains(c), 1);
	unsafe = param_set(test, &mdom_allow_unsafe_interrupts, true);
	KUNIT_EXPECT_EQ(test, try_attach(test, c, INST_UNSAFE, 0), 0);
	param_put(test, unsafe);
	KUNIT_EXPECT_EQ(test, nr_domains(c), 2);
	/* The 32-bit aperture narrows the valid range for everybody. */
	KUNIT_EXPECT_EQ(test, mdom_container_map(c, SZ_4G, PAGE_SIZE, 0, RW),
			-EINVAL);
}

/*
 * Only -EINVAL from iommu_attach_group() means "incompatible, try another
 * domain": any other error fails the attach, with no new domain made.
 */
static void mdom_domain_join_error_propagates(struct kunit *test)
{
	struct mdom_container *c = container_new(test);
	unsigned long buf = user_buf(test, 4);
	u32 id;

	id = attach(test, c, INST_CC, 0, true);
	KUNIT_ASSERT_EQ(test, mdom_container_map(c, SZ_1M, 4 * PAGE_SIZE, buf,
						 RW), 0);
	inject(test, MOCK_IOMMU_KNOB_FAIL_ATTACH, INST_CC, -EIO, 0);
	KUNIT_EXPECT_EQ(test, try_attach(test, c, INST_CC, 1), -EIO);
	KUNIT_EXPECT_EQ(test, nr_domains(c), 1);
	KUNIT_EXPECT_EQ(test, mock_iommu_dev_domain_id(dev(INST_CC, 1)), 0);
	/* Once the IOMMU stops failing, it joins the same domain. */
	KUNIT_EXPECT_EQ(test, attach(test, c, INST_CC, 1, false), id);
	expect_dma_reads(test, INST_CC, 1, SZ_1M + PAGE_SIZE, buf, 1);
}

/*
 * A group whose IOMMU reports IOMMU_CAP_ENFORCE_CACHE_COHERENCY gets a
 * domain that enforces it or none: VFIO tells KVM such a group is
 * coherent. A new domain failing to enforce it is a driver bug, and the
 * attach fails (as iommufd does), leaving nothing.
 */
static void mdom_domain_cc_enforcement_fails(struct kunit *test)
{
	struct mdom_container *c = container_new(test);
	struct mock_iommu_counters now;
	unsigned long buf, locked;
	u32 id;

	buf = map_three(test, c);
	locked = locked_vm();
	inject(test, MOCK_IOMMU_KNOB_FAIL_ENFORCE_CC, INST_CC, 1, 0);
	KUNIT_EXPECT_EQ(test, try_attach(test, c, INST_CC, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, nr_domains(c), 0);
	KUNIT_EXPECT_EQ(test, c->pinned_pages, 0);
	KUNIT_EXPECT_EQ(test, locked_vm(), locked);
	/* Still no domain: nothing to enforce, as type1 */
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(c, VFIO_DMA_CC_IOMMU), 1);
	KUNIT_ASSERT_EQ(test, mock_iommu_get_counters(-1, &now), 0);
	KUNIT_EXPECT_EQ(test, now.domains_live,
			((struct mdom_test *)test->priv)->before.domains_live);

	id = attach(test, c, INST_CC, 0, true);
	KUNIT_EXPECT_TRUE(test, find_domain(c, id)->enforce_cc);
	KUNIT_EXPECT_EQ(test, mdom_container_check_extension(c, VFIO_DMA_CC_IOMMU), 1);
	expect_dma_reads(test, INST_CC, 0, SZ_1M, buf, 0);
}

/* An attach that conflicts with a mapping changes nothing. */
static void mdom_domain_attach_conflicts(struct kunit *test)
{
	struct mdom_container *c = container_new(test);
	struct mock_iommu_counters now;
	unsigned long buf = user_buf(test, 2);
	unsigned long locked;
	u64 unmapped;

	/* Beyond inst 0's 39-bit aperture */
	KUNIT_ASSERT_EQ(test, mdom_container_map(c, 1ULL << 40, PAGE_SIZE, buf,
						 RW), 0);
	/* In inst 0's MSI window */
	KUNIT_ASSERT_EQ(test, mdom_container_map(c, 0xfee00000, PAGE_SIZE,
						 buf + PAGE_SIZE, RW), 0);
	locked = locked_vm();
	KUNIT_EXPECT_EQ(test, try_attach(test, c, INST_CC, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, nr_domains(c), 0);
	KUNIT_ASSERT_EQ(test, mock_iommu_get_counters(-1, &now), 0);
	KUNIT_EXPECT_EQ(test, now.domains_live,
			((struct mdom_test *)test->priv)->before.domains_live);
	KUNIT_EXPECT_EQ(test, c->pinned_pages, 0);

	/* Without the aperture conflict the MSI window still conflicts. */
	KUNIT_ASSERT_EQ(test, mdom_container_unmap(c, 1ULL << 40, PAGE_SIZE,
						   false, &unmapped), 0);
	KUNIT_EXPECT_EQ(test, try_attach(test, c, INST_CC, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, locked_vm(), locked);
	/* inst 1 has no reserved region and a 48-bit aperture: fine. */
	attach(test, c, INST_BIG, 0, true);
	KUNIT_EXPECT_EQ(test, locked_vm(), locked + 1);
	/* Now a group with an MSI window conflicts even joining nothing. */
	KUNIT_EXPECT_EQ(test, try_attach(test, c, INST_TWIN, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, nr_domains(c), 1);
	KUNIT_EXPECT_EQ(test, locked_vm(), locked + 1);
	/* Nothing of it stayed: after the unmap it attaches. */
	KUNIT_ASSERT_EQ(test, mdom_container_unmap(c, 0xfee00000, PAGE_SIZE,
						   false, &unmapped), 0);
	attach(test, c, INST_TWIN, 0, true);
}

/*
 * Live update: the user addresses of mappings are invalidated (type1's
 * rules for which), their pins and translations stay, and a new address
 * is given to exactly such a mapping. Attaching a group meanwhile works:
 * the replay needs no user address, unlike type1's (which refuses).
 */
static void mdom_vaddr_update(struct kunit *test)
{
	struct mdom_container *c = container_new(test);
	unsigned long buf, buf2, locked;
	struct vfio_mdom_query q = {};
	u64 bytes;

	attach(test, c, INST_CC, 0, true);
	buf = map_three(test, c);
	buf2 = user_buf(test, 4);
	locked = locked_vm();

	KUNIT_EXPECT_EQ(test, mdom_container_invalidate_vaddr(c, SZ_1M,
							      4 * PAGE_SIZE,
							      false, &bytes), 0);
	KUNIT_EXPECT_EQ(test, bytes, 4 * PAGE_SIZE);
	/* Invalid already: refused, and nothing else changes either. */
	KUNIT_EXPECT_EQ(test, mdom_container_invalidate_vaddr(c, 0, SZ_8M,
							      false, &bytes),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, bytes, 0);
	mdom_container_counts(c, &q);
	KUNIT_EXPECT_EQ(test, q.num_vaddr_invalid, 1);
	/* Cutting a mapping: v2's rule. */
	KUNIT_EXPECT_EQ(test, mdom_container_invalidate_vaddr(c, SZ_2M,
							      PAGE_SIZE, false,
							      &bytes), -EINVAL);

	/* The device still reaches the pages; the pins did not move. */
	expect_dma_reads(test, INST_CC, 0, SZ_1M + PAGE_SIZE, buf, 1);
	KUNIT_EXPECT_EQ(test, locked_vm(), locked);
	/* A new group gets every mapping replayed from the pins. */
	attach(test, c, INST_BIG, 0, true);
	expect_dma_reads(test, INST_BIG, 0, SZ_1M + PAGE_SIZE, buf, 1);

	/* A new address: only for exactly an invalidated mapping. */
	KUNIT_EXPECT_EQ(test, mdom_container_set_vaddr(c, SZ_8M, PAGE_SIZE,
						       buf2), -ENOENT);
	KUNIT_EXPECT_EQ(test, mdom_container_set_vaddr(c, SZ_1M, PAGE_SIZE,
						       buf2), -EINVAL);
	KUNIT_EXPECT_EQ(test, mdom_container_set_vaddr(c, SZ_2M, 4 * PAGE_SIZE,
						       buf2), -EINVAL);
	KUNIT_EXPECT_EQ(test, mdom_container_set_vaddr(c, SZ_1M, 4 * PAGE_SIZE,
						       buf2 + 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, mdom_container_set_vaddr(c, SZ_1M, 4 * PAGE_SIZE,
						       buf2), 0);
	mdom_container_counts(c, &q);
	KUNIT_EXPECT_EQ(test, q.num_vaddr_invalid, 0);
	KUNIT_EXPECT_EQ(test, locked_vm(), locked);

	/* Everything, then close with invalid addresses: all goes. */
	KUNIT_EXPECT_EQ(test, mdom_container_invalidate_vaddr(c, 0, 0, true,
							      &bytes), 0);
	KUNIT_EXPECT_EQ(test, bytes, 12 * PAGE_SIZE);
	mdom_container_counts(c, &q);
	KUNIT_EXPECT_EQ(test, q.num_vaddr_invalid, 3);
}

/* VFIO_IOMMU_DIRTY_PAGES as a user would call it, from user memory. */
struct dirty_call {
	struct vfio_iommu_type1_dirty_bitmap hdr;
	struct vfio_iommu_type1_dirty_bitmap_get range;
};

static int dirty_ioctl(struct kunit *test, struct mdom_container *c, u32 flags,
		       u64 iova, u64 size, unsigned long ubitmap)
{
	unsigned long uarg = user_buf(test, 1);
	struct dirty_call call = {
		.hdr = { .argsz = sizeof(call), .flags = flags },
		.range = {
			.iova = iova, .size = size,
			.bitmap = {
				.pgsize = PAGE_SIZE,
				.size = sizeof(u64),
				.data = (u64 __user *)ubitmap,
			},
		},
	};

	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)uarg, &call,
					   sizeof(call)), 0);
	return mdom_dirty_pages(c, (void __user *)uarg);
}

/* The dirty bitmap of 16 pages at @iova, as GET_BITMAP reports it. */
static u64 dirty_get(struct kunit *test, struct mdom_container *c, u64 iova)
{
	unsigned long ubitmap = user_buf(test, 1);
	u64 bits = 0;

	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)ubitmap, &bits,
					   sizeof(bits)), 0);
	KUNIT_ASSERT_EQ(test,
			dirty_ioctl(test, c,
				    VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP,
				    iova, 16 * PAGE_SIZE, ubitmap), 0);
	KUNIT_ASSERT_EQ(test, copy_from_user(&bits, (void __user *)ubitmap,
					     sizeof(bits)), 0);
	return bits;
}

/*
 * Every domain can track (mock instance 1): exactly the pages the device
 * wrote come back dirty, then clean; reads dirty nothing.
 */
static void mdom_dirty_iommu_mode(struct kunit *test)
{
	struct mdom_container *c = container_new(test);
	unsigned long buf = user_buf(test, 16);
	struct vfio_mdom_query q = {};
	u64 data = 0x1234, dummy;

	attach(test, c, INST_BIG, 0, true);
	KUNIT_ASSERT_EQ(test, mdom_container_map(c, SZ_1M, 16 * PAGE_SIZE, buf,
						 RW), 0);
	/* Not started: GET_BITMAP refuses. */
	KUNIT_EXPECT_EQ(test,
			dirty_ioctl(test, c,
				    VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP,
				    SZ_1M, 16 * PAGE_SIZE, buf), -EINVAL);
	KUNIT_ASSERT_EQ(test, dirty_ioctl(test, c,
					  VFIO_IOMMU_DIRTY_PAGES_FLAG_START,
					  0, 0, 0), 0);
	mdom_container_counts(c, &q);
	KUNIT_EXPECT_EQ(test, q.dirty_mode, VFIO_MDOM_DIRTY_IOMMU);
	KUNIT_EXPECT_EQ(test, dirty_get(test, c, SZ_1M), 0);

	KUNIT_ASSERT_EQ(test, mock_iommu_dma(dev(INST_BIG, 0), SZ_1M + 3 * PAGE_SIZE,
					     &data, sizeof(data),
					     MOCK_IOMMU_DMA_WRITE), 0);
	KUNIT_ASSERT_EQ(test, mock_iommu_dma(dev(INST_BIG, 0),
					     SZ_1M + 7 * PAGE_SIZE + 100,
					     &data, sizeof(data),
					     MOCK_IOMMU_DMA_WRITE), 0);
	KUNIT_ASSERT_EQ(test, mock_iommu_dma(dev(INST_BIG, 0), SZ_1M + 9 * PAGE_SIZE,
					     &dummy, sizeof(dummy),
					     MOCK_IOMMU_DMA_READ), 0);
	KUNIT_EXPECT_EQ(test, dirty_get(test, c, SZ_1M), BIT(3) | BIT(7));
	KUNIT_EXPECT_EQ(test, dirty_get(test, c, SZ_1M), 0);

	KUNIT_ASSERT_EQ(test, dirty_ioctl(test, c,
					  VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP,
					  0, 0, 0), 0);
	mdom_container_counts(c, &q);
	KUNIT_EXPECT_EQ(test, q.dirty_mode, VFIO_MDOM_DIRTY_OFF);
}

/*
 * A domain that cannot track (mock instance 0): type1's rule, every page
 * mapped for a device is dirty at every read. A domain that cannot track
 * joining IOMMU mode turns it to this.
 */
static void mdom_dirty_pinned_mode(struct kunit *test)
{
	struct mdom_container *c = container_new(test);
	unsigned long buf = user_buf(test, 16);
	struct vfio_mdom_query q = {};

	attach(test, c, INST_BIG, 0, true);
	KUNIT_ASSERT_EQ(test, mdom_container_map(c, SZ_1M, 8 * PAGE_SIZE, buf,
						 RW), 0);
	KUNIT_ASSERT_EQ(test, dirty_ioctl(test, c,
					  VFIO_IOMMU_DIRTY_PAGES_FLAG_START,
					  0, 0, 0), 0);
	mdom_container_counts(c, &q);
	KUNIT_EXPECT_EQ(test, q.dirty_mode, VFIO_MDOM_DIRTY_IOMMU);
	attach(test, c, INST_CC, 0, true);
	mdom_container_counts(c, &q);
	KUNIT_EXPECT_EQ(test, q.dirty_mode, VFIO_MDOM_DIRTY_PINNED);
	KUNIT_EXPECT_EQ(test, dirty_get(test, c, SZ_1M), 0xffULL);
	KUNIT_EXPECT_EQ(test, dirty_get(test, c, SZ_1M), 0xffULL);
	/* A bitmap of another page size, or a range cutting a mapping. */
	KUNIT_EXPECT_EQ(test,
			dirty_ioctl(test, c,
				    VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP,
				    SZ_1M + PAGE_SIZE, 16 * PAGE_SIZE, buf),
			-EINVAL);
}

static struct kunit_case mdom_domain_cases[] = {
	KUNIT_CASE(mdom_domain_attach_then_map),
	KUNIT_CASE(mdom_domain_replay_on_attach),
	KUNIT_CASE(mdom_domain_shared_and_detach),
	KUNIT_CASE(mdom_domain_attach_errors),
	KUNIT_CASE(mdom_domain_join_error_propagates),
	KUNIT_CASE(mdom_domain_cc_enforcement_fails),
	KUNIT_CASE(mdom_vaddr_update),
	KUNIT_CASE(mdom_dirty_iommu_mode),
	KUNIT_CASE(mdom_dirty_pinned_mode),
	KUNIT_CASE(mdom_domain_attach_conflicts),
	{}
};

static struct kunit_suite mdom_domain_suite = {
	.name = "vfio_mdom_domain",
	.init = mdom_domain_test_init,
	.test_cases = mdom_domain_cases,
};

/*
 * Replay failing on the first iommu map of the third mapping (one map per
 * contiguous run): the two mappings replayed already are unmapped, the new
 * domain is freed, the container and its first domain are as before, and
 * the group can attach cleanly afterwards.
 */
static void mdom_replay_fails_halfway(struct kunit *test)
{
	struct mdom_container *c = container_new(test);
	struct mock_iommu_counters now;
	unsigned long buf, locked;
	unsigned int nth = 1;
	struct mdom_dma *dma;
	u32 id, id2;

	buf = map_three(test, c);
	id = attach(test, c, INST_CC, 0, true);
	locked = locked_vm();
	dma = mdom_dma_first(&c->dmas, 0, U64_MAX);
	nth += mdom_pages_nruns(&dma->pages);
	dma = mdom_dma_next(dma, 0, U64_MAX);
	nth += mdom_pages_nruns(&dma->pages);
	inject(test, MOCK_IOMMU_KNOB_FAIL_MAP, INST_BIG, nth, -ENOMEM);
	KUNIT_EXPECT_EQ(test, try_attach(test, c, INST_BIG, 0), -ENOMEM);
	KUNIT_EXPECT_EQ(test, nr_domains(c), 1);
	KUNIT_EXPECT_EQ(test, locked_vm(), locked);
	KUNIT_EXPECT_EQ(test, c->pinned_pages, 12);
	KUNIT_ASSERT_EQ(test, mock_iommu_get_counters(INST_BIG, &now), 0);
	KUNIT_EXPECT_EQ(test, now.translations_live, 0);
	expect_dma_faults(test, INST_BIG, 0, SZ_1M);
	expect_domain_holds_all(test, c, find_domain(c, id));

	id2 = attach(test, c, INST_BIG, 0, true);
	expect_domain_holds_all(test, c, find_domain(c, id2));
	expect_dma_reads(test, INST_BIG, 0, SZ_2M, buf, 4);
}

static void mdom_replay_alloc_and_attach_fail(struct kunit *test)
{
	struct mdom_container *c = container_new(test);
	unsigned long locked;
	u32 id;

	map_three(test, c);
	locked = locked_vm();
	inject(test, MOCK_IOMMU_KNOB_FAIL_DOMAIN_ALLOC, INST_BIG, -ENOMEM, 0);
	KUNIT_EXPECT_EQ(test, try_attach(test, c, INST_BIG, 0), -ENOMEM);
	KUNIT_EXPECT_EQ(test, nr_domains(c), 0);
	/* The only attach tried is the new domain's: it fails. */
	inject(test, MOCK_IOMMU_KNOB_FAIL_ATTACH, INST_BIG, -EIO, 0);
	KUNIT_EXPECT_EQ(test, try_attach(test, c, INST_BIG, 0), -EIO);
	KUNIT_EXPECT_EQ(test, nr_domains(c), 0);
	/* Nothing was pinned for a domain that never came. */
	KUNIT_EXPECT_EQ(test, c->pinned_pages, 0);
	KUNIT_EXPECT_EQ(test, locked_vm(), locked);
	id = attach(test, c, INST_BIG, 0, true);
	expect_domain_holds_all(test, c, find_domain(c, id));
	KUNIT_EXPECT_EQ(test, locked_vm(), locked + 12);
}

/*
 * The replay into a container's first domain pins the mappings recorded
 * until then; when it fails, they are unpinned and uncharged again.
 */
static void mdom_replay_first_domain_fails(struct kunit *test)
{
	struct mdom_container *c = container_new(test);
	unsigned long buf, locked;
	struct mdom_dma *dma;
	u32 id;

	buf = map_three(test, c);
	locked = locked_vm();
	inject(test, MOCK_IOMMU_KNOB_FAIL_MAP, INST_CC, 2, -ENOMEM);
	KUNIT_EXPECT_EQ(test, try_attach(test, c, INST_CC, 0), -ENOMEM);
	KUNIT_EXPECT_EQ(test, nr_domains(c), 0);
	KUNIT_EXPECT_EQ(test, c->pinned_pages, 0);
	KUNIT_EXPECT_EQ(test, locked_vm(), locked);
	for (dma = mdom_dma_first(&c->dmas, 0, U64_MAX); dma;
	     dma = mdom_dma_next(dma, 0, U64_MAX))
		KUNIT_EXPECT_FALSE(test, dma->pages.pinned);

	id = attach(test, c, INST_CC, 0, true);
	KUNIT_EXPECT_EQ(test, c->pinned_pages, 12);
	KUNIT_EXPECT_EQ(test, locked_vm(), locked + 12);
	expect_domain_holds_all(test, c, find_domain(c, id));
	expect_dma_reads(test, INST_CC, 0, SZ_4M, buf, 8);
}

/* A map failing in the second domain leaves nothing in the first. */
static void mdom_replay_map_fails_in_second_domain(struct kunit *test)
{
	struct mdom_container *c = container_new(test);
	struct mock_iommu_translation t;
	unsigned long buf = user_buf(test, 4);
	unsigned long locked = locked_vm();
	struct mdom_domain *d0;
	u32 id0;

	id0 = attach(test, c, INST_CC, 0, true);
	attach(test, c, INST_BIG, 0, true);
	d0 = find_domain(c, id0);
	KUNIT_ASSERT_NOT_NULL(test, d0);
	inject(test, MOCK_IOMMU_KNOB_FAIL_MAP, INST_BIG, 1, -ENOSPC);
	KUNIT_EXPECT_EQ(test, mdom_container_map(c, SZ_1M, 4 * PAGE_SIZE, buf,
						 RW), -ENOSPC);
	KUNIT_EXPECT_EQ(test, mock_iommu_lookup(d0->domain, SZ_1M, &t), -ENOENT);
	KUNIT_EXPECT_EQ(test, atomic64_read(&d0->mapped_bytes), 0);
	KUNIT_EXPECT_EQ(test, c->dmas.count, 0);
	KUNIT_EXPECT_EQ(test, c->pinned_pages, 0);
	KUNIT_EXPECT_EQ(test, locked_vm(), locked);
	/* And the same map then works in both. */
	KUNIT_EXPECT_EQ(test, mdom_container_map(c, SZ_1M, 4 * PAGE_SIZE, buf,
						 RW), 0);
	expect_dma_reads(test, INST_BIG, 0, SZ_1M + 2 * PAGE_SIZE, buf, 2);
	expect_dma_reads(test, INST_CC, 0, SZ_1M + 2 * PAGE_SIZE, buf, 2);
}

static struct kunit_case mdom_replay_cases[] = {
	KUNIT_CASE(mdom_replay_fails_halfway),
	KUNIT_CASE(mdom_replay_alloc_and_attach_fail),
	KUNIT_CASE(mdom_replay_first_domain_fails),
	KUNIT_CASE(mdom_replay_map_fails_in_second_domain),
	{}
};

static struct kunit_suite mdom_replay_suite = {
	.name = "vfio_mdom_replay",
	.init = mdom_domain_test_init,
	.test_cases = mdom_replay_cases,
};

kunit_test_suites(&mdom_domain_suite, &mdom_replay_suite);

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_DESCRIPTION("KUnit tests for vfio_mdom domains and replay (needs the mock IOMMU)");
MODULE_LICENSE("GPL");
