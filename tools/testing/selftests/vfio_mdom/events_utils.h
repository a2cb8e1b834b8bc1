/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio-mdom selftests: the container event file (VFIO_MDOM_EVENTS).
 */
#ifndef _VFIO_MDOM_EVENTS_UTILS_H
#define _VFIO_MDOM_EVENTS_UTILS_H

#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vfio_mdom.h>

#define EV_MAX		64

/* VFIO_MDOM_EVENTS: the event fd, or -errno. */
static inline int events_open(int container, uint32_t queue_len,
			      uint32_t fault_burst)
{
	struct vfio_mdom_events ev = {
		.argsz = sizeof(ev),
		.queue_len = queue_len,
		.fault_burst = fault_burst,
		.fd = -1,
	};

	if (ioctl(container, VFIO_MDOM_EVENTS, &ev))
		return -errno;
	return ev.fd;
}

/*
 * Every record waiting on @fd (non-blocking) into @out (room for @max):
 * how many, or -errno. *@eof (if not NULL) is set if read() said end of
 * file.
 */
static inline int events_drain(int fd, struct vfio_mdom_event *out, int max,
			       bool *eof)
{
	int flags = fcntl(fd, F_GETFL);
	int n = 0;
	ssize_t r;

	if (eof)
		*eof = false;
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK))
		return -errno;
	while (n < max) {
		r = read(fd, out + n, (max - n) * sizeof(*out));
		if (r < 0) {
			if (errno != EAGAIN)
				n = -errno;
			break;
		}
		if (!r) {
			if (eof)
				*eof = true;
			break;
		}
		if (r % sizeof(*out)) {
			n = -EPROTO;
			break;
		}
		n += r / sizeof(*out);
	}
	fcntl(fd, F_SETFL, flags);
	return n;
}

/* poll() of @fd with no wait: its revents. */
static inline short events_poll(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, 0) < 0)
		return -1;
	return p.revents;
}

/* Index in @ev of the first record of @type from @from on, or -1. */
static inline int events_find(const struct vfio_mdom_event *ev, int n,
			      int from, uint16_t type)
{
	int i;

	for (i = from; i < n; i++)
		if (ev[i].type == type)
			return i;
	return -1;
}

#endif /* _VFIO_MDOM_EVENTS_UTILS_H */
