// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom demo: one container, three IOMMU domains.
 *
 * Opens /dev/vfio-mdom, maps memory before any device is attached, then
 * attaches an edu device behind the Intel vIOMMU (bound to vfio-pci) and
 * two devices of the mock IOMMU with different capabilities: each needs a
 * domain of its own, and each new domain receives every existing mapping.
 * Prints the domains, the valid IOVA ranges and the accounting: the pages
 * are pinned and charged to locked_vm once, whatever the number of domains.
 *
 * Run as root with vfio_mdom.ko and vfio_mdom_mock_iommu.ko loaded and an
 * edu device bound to vfio-pci (tools/vm/run-demo.sh does all that). A
 * missing device is reported and skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vfio_mdom.h>

#include "../testing/selftests/vfio_mdom/edu_utils.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MAP_MB		16
#define MAX_DOMAINS	8
#define MAX_GROUPS	8

struct demo_dev {
	const char *what;
	int group;
	int gfd;
};

static int sysfs_group(const char *devdir)
{
	char path[600], link[512];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/iommu_group", devdir);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -1;
	link[n] = '\0';
	return atoi(strrchr(link, '/') + 1);
}

/* The IOMMU group of the first edu device (1234:11e8) on vfio-pci. */
static int edu_group(void)
{
	struct edu_dev dev;

	return edu_find(0, &dev) ? -1 : dev.group;
}

/* The IOMMU group of mock device @idx of mock IOMMU instance @inst. */
static int mock_group(int inst, int idx)
{
	char dir[128];

	snprintf(dir, sizeof(dir),
		 "/sys/bus/vfio_mdom_mock/devices/vfio_mdom_mock%d.%d", inst, idx);
	return sysfs_group(dir);
}

static long vmlck_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static const char *pgsizes_str(uint64_t bitmap, char *buf, size_t len)
{
	static const struct { uint64_t size; const char *name; } sizes[] = {
		{ 1ULL << 12, "4K" }, { 1ULL << 21, "2M" }, { 1ULL << 30, "1G" },
	};
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		if (bitmap & sizes[i].size)
			off += snprintf(buf + off, len - off, "%s%s",
					off ? "|" : "", sizes[i].name);
	if (bitmap & ~((1ULL << 12) | (1ULL << 21) | (1ULL << 30)))
		snprintf(buf + off, len - off, "%s0x%llx", off ? "|+" : "",
			 (unsigned long long)(bitmap & ~((1ULL << 12) |
							 (1ULL << 21) |
							 (1ULL << 30))));
	return buf;
}

static int show_container(int fd, const char *when)
{
	struct vfio_mdom_domain_info domains[MAX_DOMAINS];
	struct vfio_mdom_group_info groups[MAX_GROUPS];
	struct vfio_mdom_query q = {
		.argsz = sizeof(q),
		.num_domains = MAX_DOMAINS,
		.num_groups = MAX_GROUPS,
		.domains = (uintptr_t)domains,
		.groups = (uintptr_t)groups,
	};
	unsigned int i, j;
	char pg[64];

	if (ioctl(fd, VFIO_MDOM_QUERY, &q)) {
		perror("VFIO_MDOM_QUERY");
		return -1;
	}
	printf("\n--- %s ---\n", when);
	printf("container: %u domain(s), %u group(s), %u mapping(s), %llu MiB mapped\n",
	       q.num_domains, q.num_groups, q.num_mappings,
	       (unsigned long long)(q.mapped_bytes >> 20));
	printf("accounting: %llu pages pinned, %llu charged to locked_vm; ",
	       (unsigned long long)q.pinned_pages,
	       (unsigned long long)q.locked_pages);
	printf("VmLck %ld kB; DMA_AVAIL %u\n", vmlck_kb(), q.dma_avail);
	for (i = 0; i < q.num_domains; i++) {
		struct vfio_mdom_domain_info *d = &domains[i];

		printf("  domain %u: %-12s %-22s pgsizes %-9s ", d->id,
		       d->driver, d->iommu[0] ? d->iommu : "-",
		       pgsizes_str(d->pgsize_bitmap, pg, sizeof(pg)));
		printf("aperture 0x%llx-0x%llx %s, %llu MiB mapped, groups",
		       (unsigned long long)d->aperture_start,
		       (unsigned long long)d->aperture_end,
		       d->flags & VFIO_MDOM_DOMAIN_ENFORCE_CC ? "coherent" :
		       "non-coherent",
		       (unsigned long long)(d->mapped_bytes >> 20));
		for (j = 0; j < q.num_groups; j++)
			if (groups[j].domain_id == d->id)
				printf(" %u", groups[j].group_id);
		printf("\n");
	}
	return 0;
}

static void show_info(int fd)
{
	struct vfio_iommu_type1_info_cap_iova_range *ranges = NULL;
	struct vfio_iommu_type1_info *info;
	struct vfio_info_cap_header *hdr;
	uint32_t off, i, argsz = sizeof(*info);
	char pg[64];

	/* Grow argsz until the capability chain fits, as QEMU does. */
	for (;;) {
		info = calloc(1, argsz);
		if (!info)
			return;
		info->argsz = argsz;
		if (ioctl(fd, VFIO_IOMMU_GET_INFO, info)) {
			perror("VFIO_IOMMU_GET_INFO");
			free(info);
			return;
		}
		if (info->argsz <= argsz)
			break;
		argsz = info->argsz;
		free(info);
	}
	printf("GET_INFO: iova_pgsizes %s (every domain's)",
	       pgsizes_str(info->iova_pgsizes, pg, sizeof(pg)));
	for (off = info->cap_offset; off; off = hdr->next) {
		hdr = (void *)((char *)info + off);
		if (hdr->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE)
			ranges = (void *)hdr;
	}
	printf(", valid IOVA ranges:");
	for (i = 0; ranges && i < ranges->nr_iovas; i++)
		printf(" [0x%llx-0x%llx]",
		       (unsigned long long)ranges->iova_ranges[i].start,
		       (unsigned long long)ranges->iova_ranges[i].end);
	printf("\n");
	free(info);
}

/*
 * Real DMA through the container: the edu device reads a pattern from the
 * first mapping (IOVA 0x100000) into its own buffer and writes it back to
 * RAM 64 KiB further on. Both transfers go through the Intel vIOMMU's
 * domain, which holds the translations vfio-mdom replayed into it.
 */
static int edu_round_trip(char *buf)
{
	const unsigned int len = 2048, off = 0x10000;
	const uint64_t iova = 1 << 20;
	struct edu_dev dev;
	unsigned int i;
	int ret;

	ret = edu_find(0, &dev);
	if (!ret)
		ret = edu_open(&dev);
	if (ret) {
		printf("edu round trip: no edu device: %s\n", strerror(-ret));
		return ret;
	}
	ret = edu_bus_master(&dev, true);
	if (ret) {
		printf("edu round trip: bus mastering: %s\n", strerror(-ret));
		edu_close(&dev);
		return ret;
	}
	for (i = 0; i < len; i++)
		buf[i] = (char)(i * 7 + 3);
	memset(buf + off, 0, len);
	ret = edu_read_ram(&dev, iova, 0, len);
	if (!ret)
		ret = edu_write_ram(&dev, 0, iova + off, len);
	edu_close(&dev);
	if (ret) {
		printf("edu round trip: DMA failed: %s\n", strerror(-ret));
		return ret;
	}
	ret = memcmp(buf, buf + off, len) ? -EIO : 0;
	printf("edu round trip: %s read %u bytes at IOVA 0x%llx, wrote them at 0x%llx: %s\n",
	       dev.bdf, len, (unsigned long long)iova,
	       (unsigned long long)(iova + off),
	       ret ? "MISMATCH" : "identical");
	return ret;
}

int main(void)
{
	struct demo_dev devs[] = {
		{ "edu behind the Intel vIOMMU", edu_group(), -1 },
		{ "mock IOMMU 0 (4K, 39-bit, coherent)", mock_group(0, 1), -1 },
		{ "mock IOMMU 1 (4K|2M|1G, 48-bit, non-coherent)",
		  mock_group(1, 1), -1 },
	};
	const size_t ndevs = ARRAY_SIZE(devs);
	size_t len = MAP_MB << 20, i;
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
	};
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.flags = VFIO_DMA_UNMAP_FLAG_ALL,
	};
	long vmlck_start = vmlck_kb();
	int fd, ret = 1, attached = 0;
	char *buf;

	fd = open("/dev/" VFIO_MDOM_DEVICE_NAME, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("open /dev/" VFIO_MDOM_DEVICE_NAME);
		return 1;
	}
	printf("container /dev/%s: VFIO API %d, TYPE1v2 %d, UNMAP_ALL %d, DMA_CC_IOMMU %d\n",
	       VFIO_MDOM_DEVICE_NAME, ioctl(fd, VFIO_GET_API_VERSION),
	       ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU),
	       ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL),
	       ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU));
	if (ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) {
		perror("VFIO_SET_IOMMU");
		goto out;
	}

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("mmap");
		goto out;
	}
	memset(buf, 0x5a, len);
	/* Two mappings before any device: recorded and pinned now. */
	map.vaddr = (uintptr_t)buf;
	map.iova = 1 << 20;
	map.size = len / 2;
	if (ioctl(fd, VFIO_IOMMU_MAP_DMA, &map)) {
		perror("VFIO_IOMMU_MAP_DMA");
		goto out;
	}
	map.vaddr = (uintptr_t)buf + len / 2;
	map.iova = 1 << 30;
	if (ioctl(fd, VFIO_IOMMU_MAP_DMA, &map)) {
		perror("VFIO_IOMMU_MAP_DMA");
		goto out;
	}
	printf("mapped %d MiB at IOVA 0x100000 and 0x40000000 before any device\n",
	       MAP_MB);
	show_container(fd, "before any device");

	for (i = 0; i < ndevs; i++) {
		struct vfio_mdom_attach_group a = { .argsz = sizeof(a) };
		char path[32];

		if (devs[i].group < 0) {
			printf("\nskipping %s: not present\n", devs[i].what);
			continue;
		}
		snprintf(path, sizeof(path), "/dev/vfio/%d", devs[i].group);
		devs[i].gfd = open(path, O_RDWR | O_CLOEXEC);
		if (devs[i].gfd < 0) {
			printf("\nskipping %s: %s: %s\n", devs[i].what, path,
			       strerror(errno));
			continue;
		}
		a.group_fd = devs[i].gfd;
		if (ioctl(fd, VFIO_MDOM_ATTACH_GROUP, &a)) {
			printf("\nattach %s (group %d): %s\n", devs[i].what,
			       devs[i].group, strerror(errno));
			continue;
		}
		attached++;
		printf("\nattached %s, group %d -> domain %u%s\n", devs[i].what,
		       devs[i].group, a.domain_id,
		       a.out_flags & VFIO_MDOM_ATTACH_NEW_DOMAIN ?
		       " (new domain: every mapping replayed into it)" :
		       " (shared with an existing domain)");
		show_container(fd, "after the attach");
	}
	printf("\n");
	show_info(fd);
	printf("DMA_CC_IOMMU now %d (1 only while every domain enforces coherency)\n",
	       ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU));
	printf("VmLck grew by %ld kB for %d MiB mapped in %d domain(s): charged once\n",
	       vmlck_kb() - vmlck_start, MAP_MB, attached);
	if (devs[0].gfd >= 0 && edu_round_trip(buf))
		goto out;

	if (ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &unmap)) {
		perror("VFIO_IOMMU_UNMAP_DMA");
		goto out;
	}
	printf("UNMAP_ALL: %llu MiB unmapped\n",
	       (unsigned long long)(unmap.size >> 20));
	show_container(fd, "after UNMAP_ALL");
	ret = attached ? 0 : 1;
out:
	close(fd);
	for (i = 0; i < ndevs; i++)
		if (devs[i].gfd >= 0)
			close(devs[i].gfd);
	printf("closed: VmLck back to %ld kB (was %ld kB)\n", vmlck_kb(),
	       vmlck_start);
	return ret;
}
