// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_mdom_bench: a real client. Debian's qemu-img bench on the test
 * VM's NVMe disk (QEMU's emulated controller, tools/vm/run.sh) through
 * QEMU's user-space NVMe driver (nvme://BDF/1): qemu-img opens
 * /dev/vfio/vfio as any VFIO client does, maps its queues and its I/O
 * buffer (and the bounce buffers of requests it has not mapped) with
 * VFIO_IOMMU_MAP_DMA and drives the controller from user space. Rows (var):
 *
 *   read4k_qd1     4 KiB reads, one at a time, scattered over the disk
 *   read4k_qd32    the same, 32 in flight
 *   write128k_qd8  128 KiB sequential writes, 8 in flight
 *
 * qemu-img bench has no random mode: the reads step by 4099 blocks of
 * 4 KiB through the 64 MiB disk (wrapping at its end), which visits every
 * block once in a scattered order. The sample is qemu-img's own time for
 * its requests ("Run completed in S seconds", the opening of the device
 * left out), count = requests; the report shows requests per second.
 *
 * Peers mdom and type1 only: QEMU 7.2 opens /dev/vfio/vfio, and with
 * CONFIG_IOMMUFD_VFIO_CONTAINER off that is VFIO's own container, served
 * by vfio-mdom or type1, never by iommufd (QEMU has no iommufd backend
 * before 8.2). While qemu-img runs, its containers are checked to be
 * served by the peer measured (client_backends()).
 *
 * QEMU 7.2's controller loses its interrupts when MSI-X is enabled after
 * CC.EN: each run sets the device's MSI-X enable bit before qemu-img
 * starts (nvme_msix_at_cc_en()) and puts its reset methods back after.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "bench.h"

#define QEMU_IMG		"/usr/bin/qemu-img"
#define STDBUF			"/usr/bin/stdbuf"
#define NVME_LOG		"/tmp/vfio-mdom-bench-qemu-img.log"
/* Opening the device and the requests, under TCG */
#define NVME_TIMEOUT_MS		(300 * 1000)
/* The reads' step: 4099 blocks, odd, so coprime with the disk's 2^14 */
#define NVME_READ_STEP		(4099 * 4096)

struct nvme_row {
	const char *var;
	const char *size;
	const char *depth;
	const char *count;
	bool write;
};

/* A few seconds each on the performance kernel under TCG */
static const struct nvme_row nvme_rows[] = {
	{ "read4k_qd1", "4k", "1", "2000", false },
	{ "read4k_qd32", "4k", "32", "8000", false },
	{ "write128k_qd8", "128k", "8", "800", true },
};

/* "Run completed in S seconds." of @log in ns, or 0 */
static __u64 nvme_run_ns(const char *log)
{
	char text[4096];
	const char *p;
	ssize_t n;

	n = read_file(log, text, sizeof(text));
	if (n < 0 && n != -E2BIG)
		return 0;
	p = strstr(text, "Run completed in ");
	if (!p)
		return 0;
	return strtod(p + strlen("Run completed in "), NULL) * 1e9;
}

static void nvme_dump_log(const char *log)
{
	char text[4096];
	ssize_t n;

	n = read_file(log, text, sizeof(text));
	if (n >= 0 || n == -E2BIG)
		fprintf(stderr, "%s", text);
}

/*
 * Wait for qemu-img @pid: its containers checked to be @kind's once it
 * has one. 0 and its wait status, or -errno.
 */
static int nvme_wait(pid_t pid, enum peer_kind kind, int *status)
{
	uint64_t deadline = now_ms() + NVME_TIMEOUT_MS;
	int want_mdom = kind == PEER_MDOM;
	bool checked = false;
	struct backends b;
	int ret = 0;

	while (waitpid(pid, status, WNOHANG) != pid) {
		if (!checked && !client_backends(pid, &b) && b.mdom + b.type1) {
			checked = true;
			if (b.other || b.mdom != want_mdom ||
			    b.type1 != !want_mdom) {
				pr_err("measuring %s, but qemu-img has %d container(s) on vfio-mdom, %d on type1, %d other\n",
				       peer_name(kind), b.mdom, b.type1,
				       b.other);
				ret = -EPROTO;
				break;
			}
		}
		if (now_ms() > deadline) {
			pr_err("qemu-img bench did not finish in %d s\n",
			       NVME_TIMEOUT_MS / 1000);
			ret = -ETIMEDOUT;
			break;
		}
		usleep(20 * 1000);
	}
	if (ret) {
		kill(pid, SIGKILL);
		waitpid(pid, status, 0);
		return ret;
	}
	if (!checked) {
		pr_err("qemu-img ended before it had a container\n");
		return -EPROTO;
	}
	return 0;
}

static int nvme_run(const struct bench_cfg *cfg, enum peer_kind kind,
		    const char *bdf, const struct nvme_row *row)
{
	char target[64], step[32];
	const char *argv[24];
	unsigned int a = 0;
	char saved[64], dev[32];
	pid_t pid;
	int in, ret, status;
	__u64 ns;

	snprintf(target, sizeof(target), "nvme://%s/1", bdf);
	snprintf(step, sizeof(step), "%d", row->write ? 0 : NVME_READ_STEP);
	argv[a++] = STDBUF;	/* "Sending" as it comes */
	argv[a++] = "-oL";
	argv[a++] = QEMU_IMG;
	argv[a++] = "bench";
	argv[a++] = "-f";
	argv[a++] = "raw";
	argv[a++] = "-c";
	argv[a++] = row->count;
	argv[a++] = "-d";
	argv[a++] = row->depth;
	argv[a++] = "-s";
	argv[a++] = row->size;
	if (row->write) {
		argv[a++] = "-w";
	} else {
		argv[a++] = "-S";
		argv[a++] = step;
	}
	argv[a++] = target;
	argv[a] = NULL;

	ret = vfio_select_backend(kind);
	if (ret)
		return ret;
	str_copy(dev, bdf, sizeof(dev));
	ret = nvme_msix_at_cc_en(bdf, saved, sizeof(saved));
	if (ret) {
		nvme_reset_restore(dev);
		pr_err("%s: reset_method, MSI-X enable: %s\n", bdf,
		       strerror(-ret));
		return ret;
	}
	/* Not the last run's "Sending" */
	unlink(NVME_LOG);
	pid = spawn(argv, NVME_LOG, &in);
	if (pid < 0) {
		nvme_reset_restore(dev);
		pr_err("%s: %s\n", QEMU_IMG, strerror(-pid));
		return pid;
	}
	close(in);
	ret = nvme_wait(pid, kind, &status);
	nvme_reset_restore(dev);
	if (!ret && (!WIFEXITED(status) || WEXITSTATUS(status)))
		ret = -EIO;
	ns = ret ? 0 : nvme_run_ns(NVME_LOG);
	if (!ret && !ns)
		ret = -EPROTO;
	if (ret) {
		pr_err("qemu-img bench %s on %s (%s) failed:\n", row->var,
		       target, peer_name(kind));
		nvme_dump_log(NVME_LOG);
		return ret;
	}
	emit(cfg, "nvme", row->var, peer_name(kind), ns,
	     strtoul(row->count, NULL, 0));
	return 0;
}

int op_nvme(const struct bench_cfg *cfg, enum peer_kind kind)
{
	char bdf[1][32];
	unsigned int i;
	int ret;

	/* Not an iommufd client: see above */
	if (kind == PEER_IOMMUFD)
		return 0;
	if (access(QEMU_IMG, X_OK)) {
		pr_err("no %s (package qemu-utils)\n", QEMU_IMG);
		return -ENOENT;
	}
	ret = pci_vfio_devices(NVME_VENDOR, NVME_DEVICE, bdf, 1);
	if (ret != 1) {
		pr_err("no NVMe controller (%s:%s) on vfio-pci\n", NVME_VENDOR,
		       NVME_DEVICE);
		return -ENODEV;
	}
	for (i = 0; i < ARRAY_SIZE(nvme_rows); i++) {
		ret = nvme_run(cfg, kind, bdf[0], &nvme_rows[i]);
		if (ret)
			return ret;
	}
	return 0;
}
