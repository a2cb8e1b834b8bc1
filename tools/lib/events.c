// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <libvfio_mdom/events.h>

int events_open(int container, uint32_t queue_len, uint32_t fault_burst)
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

int events_drain(int fd, struct vfio_mdom_event *out, int max, bool *eof)
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

int events_poll(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, 0) < 0)
		return -errno;
	return p.revents;
}

int events_find(const struct vfio_mdom_event *ev, int n, int from,
		uint16_t type)
{
	int i;

	for (i = from; i < n; i++)
		if (ev[i].type == type)
			return i;
	return -ENOENT;
}
