/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio-mdom private header: the container object and the functions the
 * ioctl layer (main.c) dispatches to.
 */
#ifndef _VFIO_MDOM_H
#define _VFIO_MDOM_H

#include <linux/mutex.h>
#include <linux/types.h>
#include <kunit/visibility.h>

/**
 * struct mdom_container - one open of /dev/vfio-mdom
 * @lock: serialises every operation on the container.
 */
struct mdom_container {
	struct mutex lock;
};

#if IS_ENABLED(CONFIG_KUNIT)
long mdom_container_check_extension(struct mdom_container *c,
				    unsigned long ext);
#endif

#endif /* _VFIO_MDOM_H */
