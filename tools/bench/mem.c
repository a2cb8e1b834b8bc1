// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_mdom_bench: the memory the peers map, prefaulted and checked.
 *
 *   anon     private anonymous memory in 4 KiB pages (MADV_NOHUGEPAGE)
 *   thp      private anonymous memory in transparent huge pages
 *            (MADV_HUGEPAGE); /proc/self/smaps must show every byte in
 *            AnonHugePages
 *   hugetlb  MAP_HUGETLB | MAP_HUGE_2MB (2 MiB pages reserved beforehand
 *            in /proc/sys/vm/nr_hugepages)
 *   memfd    memfd_create() + ftruncate() + MAP_SHARED (shmem pages)
 *
 * Every page is written before any timing, as the anchors measure
 * prefaulted memory: the peers pin resident pages, nobody faults.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <linux/mman.h>

#include "bench.h"

static const char * const backing_names[NR_BACKINGS] = {
	[BK_ANON] = "anon",
	[BK_THP] = "thp",
	[BK_HUGETLB] = "hugetlb",
	[BK_MEMFD] = "memfd",
};

const char *backing_name(enum backing bk)
{
	return backing_names[bk];
}

int backing_from_name(const char *name)
{
	int i;

	for (i = 0; i < NR_BACKINGS; i++)
		if (!strcmp(name, backing_names[i]))
			return i;
	return -EINVAL;
}

/* kB of @field in the /proc/self/smaps entry of the mapping holding @va */
static long smaps_kb(void *va, const char *field)
{
	unsigned long start, end, addr = (uintptr_t)va;
	size_t flen = strlen(field);
	bool inside = false;
	char line[512];
	long kb = -ENOENT;
	FILE *f;

	f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			if (inside)
				break;
			inside = addr >= start && addr < end;
			continue;
		}
		if (inside && !strncmp(line, field, flen) && line[flen] == ':') {
			kb = strtol(line + flen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

static int map_aligned(struct buf *b, int flags, int fd)
{
	uintptr_t start;

	/* Over-map by a huge page and keep the 2 MiB aligned middle */
	b->map_len = b->size + SZ_2M;
	b->map_base = mmap(NULL, b->map_len, PROT_READ | PROT_WRITE, flags,
			   fd, 0);
	if (b->map_base == MAP_FAILED) {
		b->map_base = NULL;
		return -errno;
	}
	start = ((uintptr_t)b->map_base + SZ_2M - 1) & ~(SZ_2M - 1);
	b->va = (char *)start;
	return 0;
}

static int alloc_backing(struct buf *b)
{
	int ret;

	switch (b->bk) {
	case BK_ANON:
	case BK_THP:
		ret = map_aligned(b, MAP_PRIVATE | MAP_ANONYMOUS, -1);
		if (ret)
			return ret;
		/* Trim to exactly the buffer: the THP check reads its VMA */
		if (b->va != (char *)b->map_base)
			munmap(b->map_base, b->va - (char *)b->map_base);
		munmap(b->va + b->size, (char *)b->map_base + b->map_len -
		       (b->va + b->size));
		b->map_base = b->va;
		b->map_len = b->size;
		if (madvise(b->va, b->size, b->bk == BK_THP ? MADV_HUGEPAGE :
			    MADV_NOHUGEPAGE))
			return -errno;
		return 0;
	case BK_HUGETLB:
		b->map_len = b->size;
		b->map_base = mmap(NULL, b->size, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
				   MAP_HUGE_2MB, -1, 0);
		if (b->map_base == MAP_FAILED) {
			b->map_base = NULL;
			pr_err("hugetlb: %s (reserve %zu 2 MiB pages in /proc/sys/vm/nr_hugepages)\n",
			       strerror(errno), (size_t)(b->size / SZ_2M));
			return -ENOMEM;
		}
		b->va = b->map_base;
		return 0;
	case BK_MEMFD:
		b->memfd = memfd_create("vfio_mdom_bench", MFD_CLOEXEC);
		if (b->memfd < 0)
			return -errno;
		if (ftruncate(b->memfd, b->size + SZ_2M))
			return -errno;
		return map_aligned(b, MAP_SHARED, b->memfd);
	default:
		return -EINVAL;
	}
}

/* The backing really is what it is called */
int buf_check(struct buf *b)
{
	long kb = smaps_kb(b->va, "AnonHugePages");
	long want = b->bk == BK_THP ? (long)(b->size >> 10) : 0;

	if (b->bk != BK_ANON && b->bk != BK_THP)
		return 0;
	if (kb < 0) {
		pr_err("%s: cannot read AnonHugePages: %s\n",
		       backing_name(b->bk), strerror(-kb));
		return kb;
	}
	if (kb != want) {
		pr_err("%s: AnonHugePages is %ld kB, want %ld kB%s\n",
		       backing_name(b->bk), kb, want, b->bk == BK_THP ?
		       " (transparent_hugepage/enabled must allow madvise)" : "");
		return -EINVAL;
	}
	return 0;
}

/* A prefaulted buffer of @size bytes (a multiple of 2 MiB) backed by @bk */
int buf_alloc(struct buf *b, enum backing bk, size_t size)
{
	size_t off;
	int ret;

	memset(b, 0, sizeof(*b));
	b->bk = bk;
	b->size = size;
	b->memfd = -1;
	ret = alloc_backing(b);
	if (ret) {
		pr_err("%s: cannot allocate %zu MiB: %s\n", backing_name(bk),
		       size >> 20, strerror(-ret));
		buf_free(b);
		return ret;
	}
	for (off = 0; off < size; off += PG)
		b->va[off] = 1;
	ret = buf_check(b);
	if (ret)
		buf_free(b);
	return ret;
}

void buf_free(struct buf *b)
{
	if (b->map_base)
		munmap(b->map_base, b->map_len);
	if (b->memfd >= 0)
		close(b->memfd);
	b->map_base = NULL;
	b->memfd = -1;
}
