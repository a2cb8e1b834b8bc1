/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vfio-mdom: a VFIO type1-compatible IOMMU container holding many domains.
 *
 * Each open of /dev/vfio-mdom is a container. It answers the VFIO type1
 * ioctls of <linux/vfio.h> with the same structs and numbers; the commands
 * below are vfio-mdom's own.
 */
#ifndef _UAPI_LINUX_VFIO_MDOM_H
#define _UAPI_LINUX_VFIO_MDOM_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/vfio.h>

/* Name of the character device node, under /dev. */
#define VFIO_MDOM_DEVICE_NAME "vfio-mdom"

#endif /* _UAPI_LINUX_VFIO_MDOM_H */
