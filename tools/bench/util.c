// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_mdom_bench: the clock and small sysfs/debugfs file helpers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

__u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int write_str(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY);
	if (fd < 0) {
		pr_err("open %s: %s\n", path, strerror(errno));
		return -errno;
	}
	n = write(fd, val, len);
	if (n != (ssize_t)len) {
		int err = n < 0 ? errno : EIO;

		pr_err("write \"%s\" to %s: %s\n", val, path, strerror(err));
		close(fd);
		return -err;
	}
	close(fd);
	return 0;
}

int read_str(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

int read_ulong(const char *path, unsigned long *val)
{
	char buf[64], *end;
	int ret;

	ret = read_str(path, buf, sizeof(buf));
	if (ret)
		return ret;
	errno = 0;
	*val = strtoul(buf, &end, 0);
	if (errno || end == buf || *end)
		return -EINVAL;
	return 0;
}

int write_ulong(const char *path, unsigned long val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lu", val);
	return write_str(path, buf);
}

/*
 * Send @cmd ("enable", "disable") to a perf record started with
 * --control fifo:CTL,ACK and wait for its ack, so that what follows is
 * recorded (or not) from the first instruction on. @spec is "CTL,ACK".
 */
int perf_control(const char *spec, const char *cmd)
{
	char ctl[256], ack[8] = "";
	const char *comma = strchr(spec, ',');
	size_t len = strlen(cmd);
	int fd, ret = 0;
	ssize_t n;

	if (!comma || comma - spec >= (ptrdiff_t)sizeof(ctl))
		return -EINVAL;
	snprintf(ctl, sizeof(ctl), "%.*s", (int)(comma - spec), spec);
	fd = open(ctl, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, cmd, len) != (ssize_t)len || write(fd, "\n", 1) != 1)
		ret = -EIO;
	close(fd);
	if (ret)
		return ret;
	fd = open(comma + 1, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, ack, sizeof(ack) - 1);
	close(fd);
	return n > 0 && !strncmp(ack, "ack", 3) ? 0 : -EIO;
}

/*
 * Kernel memory that mappings cost, in kB: unreclaimable slab (the
 * mapping structures) plus the IOMMU page tables (SecPageTables), from
 * /proc/meminfo; -1 if it cannot be read.
 */
long kernel_mem_kb(void)
{
	char line[128];
	long kb = 0, v;
	int found = 0;
	FILE *f;

	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "SUnreclaim: %ld kB", &v) == 1 ||
		    sscanf(line, "SecPageTables: %ld kB", &v) == 1) {
			kb += v;
			found++;
		}
	}
	fclose(f);
	return found == 2 ? kb : -1;
}
