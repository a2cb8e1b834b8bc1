/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvfio_mdom: a container's event file (VFIO_MDOM_EVENTS), whose read()
 * gives struct vfio_mdom_event records. Functions return a value >= 0 or
 * a negative errno and never assert.
 */
#ifndef _LIBVFIO_MDOM_EVENTS_H
#define _LIBVFIO_MDOM_EVENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/vfio_mdom.h>

#define EV_MAX		64

/* VFIO_MDOM_EVENTS: the event fd. */
int events_open(int container, uint32_t queue_len, uint32_t fault_burst);

/*
 * Every record waiting on @fd (without blocking) into @out (room for
 * @max): how many. *@eof (if not NULL) is set if read() said end of file.
 */
int events_drain(int fd, struct vfio_mdom_event *out, int max, bool *eof);

/* poll() of @fd with no wait: its revents. */
int events_poll(int fd);

/* Index in @ev of the first record of @type from @from on, or -ENOENT. */
int events_find(const struct vfio_mdom_event *ev, int n, int from,
		uint16_t type);

#endif /* _LIBVFIO_MDOM_EVENTS_H */
