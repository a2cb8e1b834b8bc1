// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the mock IOMMU's device side: DMA through the domain a
 * device is attached to, and the faults a real IOMMU would raise.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/string.h>

#include "mock_kunit.h"

static void mock_dma_free_page(void *page)
{
	__free_pages(page, 0);
}

static void mock_dma_free_2m(void *page)
{
	__free_pages(page, get_order(SZ_2M));
}

/* A zeroed page freed when the test ends */
static struct page *mock_dma_page(struct kunit *test)
{
	struct page *page = alloc_page(GFP_KERNEL | __GFP_ZERO);

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, mock_dma_free_page, page),
			0);
	return page;
}

static void mock_dma_expect_fault(struct kunit *test, struct device *dev,
				  u64 iova, int reason, int dir)
{
	struct mock_iommu_fault f;

	KUNIT_ASSERT_EQ(test, mock_iommu_last_fault(dev, &f), 0);
	KUNIT_EXPECT_EQ(test, f.iova, iova);
	KUNIT_EXPECT_EQ(test, f.reason, reason);
	KUNIT_EXPECT_EQ(test, f.dir, dir);
}

static void mock_dma_blocked(struct kunit *test)
{
	struct device *dev = mock_iommu_device(0, 0);
	u8 buf[16] = {};

	mock_kunit_claim(test, 0, 0);
	KUNIT_EXPECT_EQ(test, mock_iommu_dev_domain_id(dev), 0);
	KUNIT_EXPECT_EQ(test, mock_iommu_dma(dev, 0x1000, buf, sizeof(buf),
					     MOCK_IOMMU_DMA_WRITE), -EIO);
	mock_dma_expect_fault(test, dev, 0x1000, MOCK_IOMMU_FAULT_BLOCKED,
			      MOCK_IOMMU_DMA_WRITE);
	KUNIT_EXPECT_EQ(test, mock_kunit_counters(test, 0).dma_faults, 1);
}

/* Device writes then reads two discontiguous pages through one IOVA run */
static void mock_dma_write_read(struct kunit *test)
{
	struct page *p0 = mock_dma_page(test), *p1 = mock_dma_page(test);
	struct device *dev = mock_iommu_device(0, 1);
	struct iommu_group *group = mock_kunit_claim(test, 0, 1);
	struct iommu_domain *domain = mock_kunit_domain(test, 0, 1);
	const unsigned long iova = 0x40000;
	u8 *src, *dst;
	size_t i;

	src = kunit_kmalloc(test, PAGE_SIZE, GFP_KERNEL);
	dst = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, src);
	KUNIT_ASSERT_NOT_NULL(test, dst);
	for (i = 0; i < PAGE_SIZE; i++)
		src[i] = i * 7 + 3;

	KUNIT_ASSERT_EQ(test, iommu_map(domain, iova, page_to_phys(p0), SZ_4K,
					IOMMU_READ | IOMMU_WRITE, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, iommu_map(domain, iova + SZ_4K, page_to_phys(p1),
					SZ_4K, IOMMU_READ | IOMMU_WRITE,
					GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, mock_kunit_attach(test, domain, group), 0);
	KUNIT_EXPECT_EQ(test, mock_iommu_dev_domain_id(dev),
			mock_iommu_domain_id(domain));

	/* Straddles the two pages: half a page in each */
	KUNIT_ASSERT_EQ(test, mock_iommu_dma(dev, iova + SZ_2K, src, PAGE_SIZE,
					     MOCK_IOMMU_DMA_WRITE), 0);
	KUNIT_EXPECT_EQ(test, memcmp(page_address(p0) + SZ_2K, src, SZ_2K), 0);
	KUNIT_EXPECT_EQ(test, memcmp(page_address(p1), src + SZ_2K, SZ_2K), 0);
	KUNIT_EXPECT_NULL(test, memchr_inv(page_address(p0), 0, SZ_2K));

	KUNIT_ASSERT_EQ(test, mock_iommu_dma(dev, iova + SZ_2K, dst, PAGE_SIZE,
					     MOCK_IOMMU_DMA_READ), 0);
	KUNIT_EXPECT_EQ(test, memcmp(dst, src, PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, mock_kunit_counters(test, 0).dma_faults, 0);

	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, iova, SZ_8K), SZ_8K);
	mock_kunit_expect_clean(test);
}

static void mock_dma_no_translation(struct kunit *test)
{
	struct page *page = mock_dma_page(test);
	struct device *dev = mock_iommu_device(0, 0);
	struct iommu_group *group = mock_kunit_claim(test, 0, 0);
	struct iommu_domain *domain = mock_kunit_domain(test, 0, 0);
	u8 buf[64];

	memset(buf, 0xa5, sizeof(buf));
	KUNIT_ASSERT_EQ(test, iommu_map(domain, 0x10000, page_to_phys(page),
					SZ_4K, IOMMU_READ | IOMMU_WRITE,
					GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, mock_kunit_attach(test, domain, group), 0);

	KUNIT_EXPECT_EQ(test, mock_iommu_dma(dev, 0x20000, buf, sizeof(buf),
					     MOCK_IOMMU_DMA_READ), -EIO);
	mock_dma_expect_fault(test, dev, 0x20000,
			      MOCK_IOMMU_FAULT_NO_TRANSLATION,
			      MOCK_IOMMU_DMA_READ);

	/* Runs off the end of the mapped page: no byte of it moves */
	KUNIT_EXPECT_EQ(test, mock_iommu_dma(dev, 0x11000 - 32, buf,
					     sizeof(buf),
					     MOCK_IOMMU_DMA_WRITE), -EIO);
	mock_dma_expect_fault(test, dev, 0x11000,
			      MOCK_IOMMU_FAULT_NO_TRANSLATION,
			      MOCK_IOMMU_DMA_WRITE);
	KUNIT_EXPECT_NULL(test, memchr_inv(page_address(page), 0, PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, mock_kunit_counters(test, 0).dma_faults, 2);

	/* Bad arguments are not faults */
	KUNIT_EXPECT_EQ(test, mock_iommu_dma(dev, 0x10000, buf, 0,
					     MOCK_IOMMU_DMA_READ), -EINVAL);
	KUNIT_EXPECT_EQ(test, mock_iommu_dma(dev, U64_MAX, buf, 2,
					     MOCK_IOMMU_DMA_READ), -EINVAL);
	KUNIT_EXPECT_EQ(test, mock_iommu_dma(NULL, 0x10000, buf, 2,
					     MOCK_IOMMU_DMA_READ), -EINVAL);
	KUNIT_EXPECT_EQ(test, mock_kunit_counters(test, 0).dma_faults, 2);

	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, 0x10000, SZ_4K), SZ_4K);
}

static void mock_dma_permission(struct kunit *test)
{
	struct page *ro = mock_dma_page(test), *wo = mock_dma_page(test);
	struct device *dev = mock_iommu_device(0, 0);
	struct iommu_group *group = mock_kunit_claim(test, 0, 0);
	struct iommu_domain *domain = mock_kunit_domain(test, 0, 0);
	u8 buf[32];

	memset(buf, 0x5a, sizeof(buf));
	memset(page_address(wo), 0x11, PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, iommu_map(domain, 0x10000, page_to_phys(ro),
					SZ_4K, IOMMU_READ, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, iommu_map(domain, 0x11000, page_to_phys(wo),
					SZ_4K, IOMMU_WRITE, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, mock_kunit_attach(test, domain, group), 0);

	/* Write to read-only memory */
	KUNIT_EXPECT_EQ(test, mock_iommu_dma(dev, 0x10010, buf, sizeof(buf),
					     MOCK_IOMMU_DMA_WRITE), -EACCES);
	mock_dma_expect_fault(test, dev, 0x10010, MOCK_IOMMU_FAULT_PERM,
			      MOCK_IOMMU_DMA_WRITE);
	KUNIT_EXPECT_NULL(test, memchr_inv(page_address(ro), 0, PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, mock_iommu_dma(dev, 0x10010, buf, sizeof(buf),
					     MOCK_IOMMU_DMA_READ), 0);

	/* Read from write-only memory, and a read spanning both */
	KUNIT_EXPECT_EQ(test, mock_iommu_dma(dev, 0x11000, buf, sizeof(buf),
					     MOCK_IOMMU_DMA_READ), -EACCES);
	KUNIT_EXPECT_EQ(test, mock_iommu_dma(dev, 0x11000 - 16, buf,
					     sizeof(buf),
					     MOCK_IOMMU_DMA_READ), -EACCES);
	mock_dma_expect_fault(test, dev, 0x11000, MOCK_IOMMU_FAULT_PERM,
			      MOCK_IOMMU_DMA_READ);
	KUNIT_EXPECT_EQ(test, mock_iommu_dma(dev, 0x11000, buf, sizeof(buf),
					     MOCK_IOMMU_DMA_WRITE), 0);
	KUNIT_EXPECT_EQ(test, memcmp(page_address(wo), buf, sizeof(buf)), 0);
	KUNIT_EXPECT_EQ(test, mock_kunit_counters(test, 0).dma_faults, 3);

	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, 0x10000, SZ_8K), SZ_8K);
}

static void mock_dma_aperture(struct kunit *test)
{
	unsigned int inst = mock_kunit_inst_aperture_below(test, U64_MAX);
	u64 end = mock_kunit_info(test, inst).aperture_end;
	struct page *page = mock_dma_page(test);
	struct device *dev = mock_iommu_device(inst, 0);
	struct iommu_group *group = mock_kunit_claim(test, inst, 0);
	struct iommu_domain *domain = mock_kunit_domain(test, inst, 0);
	u8 buf[8] = {};

	KUNIT_ASSERT_EQ(test, iommu_map(domain, end + 1 - SZ_4K,
					page_to_phys(page), SZ_4K,
					IOMMU_READ | IOMMU_WRITE, GFP_KERNEL),
			0);
	KUNIT_ASSERT_EQ(test, mock_kunit_attach(test, domain, group), 0);
	KUNIT_EXPECT_EQ(test, mock_iommu_dma(dev, end + 1 - sizeof(buf), buf,
					     sizeof(buf),
					     MOCK_IOMMU_DMA_READ), 0);
	KUNIT_EXPECT_EQ(test, mock_iommu_dma(dev, end + 1 - sizeof(buf) / 2,
					     buf, sizeof(buf),
					     MOCK_IOMMU_DMA_READ), -EIO);
	mock_dma_expect_fault(test, dev, end + 1, MOCK_IOMMU_FAULT_APERTURE,
			      MOCK_IOMMU_DMA_READ);
	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, end + 1 - SZ_4K, SZ_4K),
			SZ_4K);
}

/* A translation to MMIO, not RAM: the mock cannot move data there */
static void mock_dma_not_ram(struct kunit *test)
{
	struct device *dev = mock_iommu_device(0, 0);
	struct iommu_group *group = mock_kunit_claim(test, 0, 0);
	struct iommu_domain *domain = mock_kunit_domain(test, 0, 0);
	/* The local APIC page is never RAM on x86 */
	const phys_addr_t mmio = 0xfee00000;
	u8 buf[8] = {};

	if (page_is_ram(PHYS_PFN(mmio)))
		kunit_skip(test, "0x%llx is RAM here", (u64)mmio);
	KUNIT_ASSERT_EQ(test, iommu_map(domain, 0x10000, mmio, SZ_4K,
					IOMMU_READ | IOMMU_WRITE | IOMMU_MMIO,
					GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, mock_kunit_attach(test, domain, group), 0);
	KUNIT_EXPECT_EQ(test, mock_iommu_dma(dev, 0x10000, buf, sizeof(buf),
					     MOCK_IOMMU_DMA_READ), -EIO);
	mock_dma_expect_fault(test, dev, 0x10000, MOCK_IOMMU_FAULT_NOT_RAM,
			      MOCK_IOMMU_DMA_READ);
	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, 0x10000, SZ_4K), SZ_4K);
}

/* DMA goes through whichever domain the device is attached to now */
static void mock_dma_follows_attach(struct kunit *test)
{
	struct page *pa = mock_dma_page(test), *pb = mock_dma_page(test);
	struct device *dev = mock_iommu_device(0, 0);
	struct iommu_group *group = mock_kunit_claim(test, 0, 0);
	struct iommu_domain *a = mock_kunit_domain(test, 0, 0);
	struct iommu_domain *b = mock_kunit_domain(test, 0, 0);
	u32 va = 0xaaaaaaaa, vb = 0xbbbbbbbb;

	KUNIT_ASSERT_EQ(test, iommu_map(a, 0x10000, page_to_phys(pa), SZ_4K,
					IOMMU_WRITE, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, iommu_map(b, 0x10000, page_to_phys(pb), SZ_4K,
					IOMMU_WRITE, GFP_KERNEL), 0);

	KUNIT_ASSERT_EQ(test, iommu_attach_group(a, group), 0);
	KUNIT_EXPECT_EQ(test, mock_iommu_dma(dev, 0x10000, &va, sizeof(va),
					     MOCK_IOMMU_DMA_WRITE), 0);
	iommu_detach_group(a, group);
	KUNIT_EXPECT_EQ(test, mock_iommu_dev_domain_id(dev), 0);

	KUNIT_ASSERT_EQ(test, mock_kunit_attach(test, b, group), 0);
	KUNIT_EXPECT_EQ(test, mock_iommu_dev_domain_id(dev),
			mock_iommu_domain_id(b));
	KUNIT_EXPECT_EQ(test, mock_iommu_dma(dev, 0x10000, &vb, sizeof(vb),
					     MOCK_IOMMU_DMA_WRITE), 0);

	KUNIT_EXPECT_EQ(test, *(u32 *)page_address(pa), va);
	KUNIT_EXPECT_EQ(test, *(u32 *)page_address(pb), vb);
	KUNIT_EXPECT_EQ(test, iommu_unmap(a, 0x10000, SZ_4K), SZ_4K);
	KUNIT_EXPECT_EQ(test, iommu_unmap(b, 0x10000, SZ_4K), SZ_4K);
}

/* A large translation: DMA at an offset deep inside it */
static void mock_dma_large_page(struct kunit *test)
{
	unsigned int inst = mock_kunit_inst_with_pgsizes(test, SZ_2M);
	struct mock_iommu_translation t;
	struct iommu_domain *domain;
	struct iommu_group *group;
	struct device *dev;
	struct page *pages;
	u64 val = 0x0123456789abcdefULL;

	pages = alloc_pages(GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN,
			    get_order(SZ_2M));
	if (!pages)
		kunit_skip(test, "no 2M of contiguous memory");
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, mock_dma_free_2m, pages),
			0);
	/* The buddy allocator aligns blocks to their size */
	KUNIT_ASSERT_TRUE(test, IS_ALIGNED(page_to_phys(pages), SZ_2M));

	dev = mock_iommu_device(inst, 0);
	group = mock_kunit_claim(test, inst, 0);
	domain = mock_kunit_domain(test, inst, 0);
	KUNIT_ASSERT_EQ(test, iommu_map(domain, SZ_2M, page_to_phys(pages),
					SZ_2M, IOMMU_READ | IOMMU_WRITE,
					GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, mock_iommu_lookup(domain, SZ_2M, &t), 0);
	KUNIT_EXPECT_EQ(test, t.size, SZ_2M);
	KUNIT_ASSERT_EQ(test, mock_kunit_attach(test, domain, group), 0);
	KUNIT_EXPECT_EQ(test, mock_iommu_dma(dev, SZ_2M + SZ_1M + 8, &val,
					     sizeof(val),
					     MOCK_IOMMU_DMA_WRITE), 0);
	KUNIT_EXPECT_EQ(test, *(u64 *)(page_address(pages) + SZ_1M + 8), val);
	KUNIT_EXPECT_EQ(test, iommu_unmap(domain, SZ_2M, SZ_2M), SZ_2M);
	mock_kunit_expect_clean(test);
}

static struct kunit_case mock_dma_cases[] = {
	KUNIT_CASE(mock_dma_blocked),
	KUNIT_CASE(mock_dma_write_read),
	KUNIT_CASE(mock_dma_no_translation),
	KUNIT_CASE(mock_dma_permission),
	KUNIT_CASE(mock_dma_aperture),
	KUNIT_CASE(mock_dma_not_ram),
	KUNIT_CASE(mock_dma_follows_attach),
	KUNIT_CASE(mock_dma_large_page),
	{}
};

static struct kunit_suite mock_dma_suite = {
	.name = "vfio_mdom_mock_dma",
	.init = mock_kunit_init,
	.exit = mock_kunit_exit,
	.test_cases = mock_dma_cases,
};

kunit_test_suite(mock_dma_suite);
