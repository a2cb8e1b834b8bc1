/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvfio_mdom: ordinary RAM behind a VM_PFNMAP mmap, the
 * kind of "device memory" that type1 refuses (EFAULT): its page frames
 * have struct pages and belong to their exporter, which frees them when
 * the mmap and the fds are gone, whatever an IOMMU still maps.
 *
 *   udmabuf   /dev/udmabuf's UDMABUF_CREATE over a sealed memfd; its mmap
 *             inserts the memfd's folios with vmf_insert_pfn()
 *   vgem      a DRM dumb buffer of vgem, a drm_gem_shmem object: its mmap
 *             (DRM_IOCTL_MODE_MAP_DUMB's offset on the card node) is
 *             VM_PFNMAP over shmem pages
 *
 * Both are built into the test kernel (CONFIG_UDMABUF, CONFIG_DRM_VGEM);
 * Debian's kernel has udmabuf built in and vgem as a module. Functions
 * return 0 or a negative errno and never assert: -ENODEV when the kernel
 * lacks the exporter.
 */
#ifndef _LIBVFIO_MDOM_DMABUF_H
#define _LIBVFIO_MDOM_DMABUF_H

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/memfd.h>
#include <linux/udmabuf.h>
#include <drm/drm.h>
#include <drm/drm_mode.h>

#include <libvfio_mdom/sys.h>

#define UDMABUF_PATH	"/dev/udmabuf"
#define DRI_DIR		"/dev/dri"
#define DRI_MAX_CARDS	64

/* An mmap of RAM that is VM_PFNMAP: what ram_pfnmap_alloc() made. */
struct ram_pfnmap {
	int fd;			/* the dma-buf (udmabuf) or the card (vgem) */
	int memfd;		/* udmabuf: the memfd behind it */
	uint32_t handle;	/* vgem: the dumb buffer's GEM handle */
	void *va;
	size_t size;
};

enum ram_pfnmap_kind {
	RAM_PFNMAP_UDMABUF,
	RAM_PFNMAP_VGEM,
};

const char *ram_pfnmap_name(enum ram_pfnmap_kind kind);

/* Map @size bytes of @fd at @offset, at @at (MAP_FIXED) unless NULL. */
int ram_pfnmap_mmap(struct ram_pfnmap *b, void *at, int fd, off_t offset);

int udmabuf_alloc(struct ram_pfnmap *b, void *at);

/* The card node of vgem, opened, or -ENODEV. */
int vgem_open(void);

int vgem_alloc(struct ram_pfnmap *b, void *at);

void ram_pfnmap_free(struct ram_pfnmap *b);

/*
 * @size bytes (a multiple of 4 KiB pages) of RAM behind a VM_PFNMAP mmap
 * of @kind, not touched yet, at @at if not NULL (MAP_FIXED). On failure
 * nothing is left.
 */
int ram_pfnmap_alloc(struct ram_pfnmap *b,
		     enum ram_pfnmap_kind kind, size_t size,
		     void *at);

#endif /* _LIBVFIO_MDOM_DMABUF_H */
