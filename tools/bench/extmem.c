// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_mdom_bench: a real client that maps and unmaps while it runs.
 * Debian's DPDK 22.11 (tools/bench/extmem/dpdk_extmem.c) on one of the
 * guest's e1000 NICs (tools/vm/run.sh) on vfio-pci, in a loop: mmap a
 * buffer, rte_extmem_register() it, rte_dev_dma_map() it to the NIC
 * (VFIO_IOMMU_MAP_DMA), send a burst of frames from it (mbufs attached
 * to the buffer) and wait until the NIC is done with them, then
 * rte_dev_dma_unmap() (VFIO_IOMMU_UNMAP_DMA), rte_extmem_unregister()
 * and munmap. Rows (var):
 *
 *   2m      2 MiB buffers, mapped and unmapped, nothing sent
 *   2m_tx   2 MiB buffers, 32 frames of 1 KiB sent from each
 *   64k_tx  64 KiB buffers, 32 frames of 1 KiB sent from each
 *
 * Each row runs as EXTMEM_CHUNKS (4) loops of a quarter of its passes, the
 * rows taking turns, so that a busy patch of the host does not fall on
 * one row only; each loop is a sample of count = passes and time = its
 * median pass's time (the process's own clock, EAL's start left out)
 * times passes: on a shared host a vCPU preempted for tens of ms in a
 * few passes of a few ms would otherwise decide the row. The report
 * shows passes per second. Ops extmem_map and extmem_unmap are the
 * same for the pass's rte_dev_dma_map() and rte_dev_dma_unmap() calls
 * (the MAP_DMA and UNMAP_DMA ioctls and DPDK's own book-keeping around
 * them), shown per call. The NIC's counters must show every frame sent.
 *
 * Peers mdom and type1 only: DPDK 22.11 has no iommufd backend, and
 * /dev/vfio/vfio is VFIO's own container here
 * (CONFIG_IOMMUFD_VFIO_CONTAINER is off). One DPDK process per peer and round runs all rows; its
 * container is checked to be served by the peer measured, with the
 * process's mappings in it (client_backends()), before and after them.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "bench.h"

#define E1000_VENDOR		"0x8086"
#define E1000_DEVICE		"0x100e"	/* 82540EM */
#define EXTMEM_PROG		"extmem/dpdk_extmem"
#define EXTMEM_LOG		"/tmp/vfio-mdom-bench-dpdk.log"
/* EAL's own memory (-m), in 2 MiB pages, and a few to spare */
#define EXTMEM_EAL_MIB		"32"
#define EXTMEM_HUGEPAGES	24
#define HUGEPAGES_2M		"/sys/kernel/mm/hugepages/hugepages-2048kB/"
#define EXTMEM_CHUNKS		4
/* EAL's start and a row, under TCG */
#define EXTMEM_TIMEOUT_MS	(300 * 1000)

struct extmem_row {
	const char *var;
	unsigned long size;
	unsigned int iters;
	unsigned int pkts;
};

/* Passes of all chunks: a few seconds each row under TCG */
static const struct extmem_row extmem_rows[] = {
	{ "2m", 2UL << 20, 200, 0 },
	{ "2m_tx", 2UL << 20, 200, 32 },
	{ "64k_tx", 64UL << 10, 1000, 32 },
};

/* The log of the DPDK process */
static char extmem_text[1 << 16];

static void extmem_dump_log(void)
{
	ssize_t n = read_file(EXTMEM_LOG, extmem_text, sizeof(extmem_text));

	if (n >= 0 || n == -E2BIG)
		fprintf(stderr, "%s", extmem_text);
}

/* Wait until the log holds @what: its place in extmem_text, or NULL */
static const char *extmem_wait(pid_t pid, const char *what)
{
	uint64_t deadline = now_ms() + EXTMEM_TIMEOUT_MS;
	const char *p;
	ssize_t n;

	for (;;) {
		n = read_file(EXTMEM_LOG, extmem_text, sizeof(extmem_text));
		if (n >= 0 || n == -E2BIG) {
			p = strstr(extmem_text, what);
			if (p)
				return p;
		}
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			pr_err("dpdk_extmem ended before \"%s\"\n", what);
			return NULL;
		}
		if (now_ms() > deadline) {
			pr_err("no \"%s\" from dpdk_extmem in %d s\n", what,
			       EXTMEM_TIMEOUT_MS / 1000);
			return NULL;
		}
		usleep(20 * 1000);
	}
}

/* @pid's one container is @kind's and holds its mappings: 0 or -EPROTO */
static int extmem_check(pid_t pid, enum peer_kind kind)
{
	int want_mdom = kind == PEER_MDOM;
	struct backends b;
	int ret;

	ret = client_backends(pid, &b);
	if (ret) {
		pr_err("dpdk_extmem's containers: %s\n", strerror(-ret));
		return ret;
	}
	if (b.other || b.empty || b.mdom != want_mdom ||
	    b.type1 != !want_mdom) {
		pr_err("measuring %s, but dpdk_extmem has %d container(s) on vfio-mdom (%d empty), %d on type1, %d other\n",
		       peer_name(kind), b.mdom, b.empty, b.type1, b.other);
		return -EPROTO;
	}
	return 0;
}

/* Chunk @chunk of @row: "VAR.CHUNK", answered "result VAR.CHUNK ..." */
static int extmem_row(const struct bench_cfg *cfg, enum peer_kind kind,
		      pid_t pid, int in, const struct extmem_row *row,
		      int chunk)
{
	unsigned long long iters, ns, pass, map, unmap, sent, bytes;
	unsigned int n = row->iters / EXTMEM_CHUNKS;
	char what[64];
	const char *p;

	if (dprintf(in, "%s.%d %lu %u %u\n", row->var, chunk, row->size, n,
		    row->pkts) < 0)
		return -EIO;
	snprintf(what, sizeof(what), "result %s.%d ", row->var, chunk);
	p = extmem_wait(pid, what);
	if (!p)
		return -EIO;
	if (sscanf(p + strlen(what), "%llu %llu %llu %llu %llu %llu %llu",
		   &iters, &ns, &pass, &map, &unmap, &sent, &bytes) != 7 ||
	    iters != n || !pass) {
		pr_err("dpdk_extmem %s: bad result\n", row->var);
		return -EPROTO;
	}
	if (sent != (unsigned long long)n * row->pkts) {
		pr_err("dpdk_extmem %s: the NIC sent %llu frames of %llu\n",
		       row->var, sent, (unsigned long long)n * row->pkts);
		return -EIO;
	}
	emit(cfg, "extmem", row->var, peer_name(kind), pass * iters, iters);
	emit(cfg, "extmem_map", row->var, peer_name(kind), map * iters, iters);
	emit(cfg, "extmem_unmap", row->var, peer_name(kind), unmap * iters,
	     iters);
	return 0;
}

/* At least @want free 2 MiB pages: the pool's size to put back, or -errno */
static long extmem_hugepages(long want)
{
	char buf[32];
	long nr, free;
	int ret;

	ret = read_line(HUGEPAGES_2M "nr_hugepages", buf, sizeof(buf));
	if (ret)
		return ret;
	nr = strtol(buf, NULL, 10);
	ret = read_line(HUGEPAGES_2M "free_hugepages", buf, sizeof(buf));
	if (ret)
		return ret;
	free = strtol(buf, NULL, 10);
	if (free >= want)
		return nr;
	snprintf(buf, sizeof(buf), "%ld", nr + want - free);
	ret = write_file(HUGEPAGES_2M "nr_hugepages", buf);
	if (!ret && (read_line(HUGEPAGES_2M "free_hugepages", buf,
			       sizeof(buf)) || strtol(buf, NULL, 10) < want))
		ret = -ENOMEM;
	if (ret) {
		pr_err("cannot reserve %ld 2 MiB pages for DPDK\n", want);
		snprintf(buf, sizeof(buf), "%ld", nr);
		write_file(HUGEPAGES_2M "nr_hugepages", buf);
		return ret;
	}
	return nr;
}

/* dpdk_extmem next to this program */
static int extmem_prog(char *path, size_t size)
{
	char *slash;
	ssize_t n;

	n = readlink("/proc/self/exe", path, size - sizeof(EXTMEM_PROG));
	if (n < 0)
		return -errno;
	path[n] = '\0';
	slash = strrchr(path, '/');
	if (!slash)
		return -ENOENT;
	str_copy(slash + 1, EXTMEM_PROG, sizeof(EXTMEM_PROG));
	if (access(path, X_OK)) {
		pr_err("no %s (package dpdk-dev, then make -C tools/bench)\n",
		       path);
		return -ENOENT;
	}
	return 0;
}

static int extmem_run(const struct bench_cfg *cfg, enum peer_kind kind,
		      const char *prog, const char *bdf)
{
	char allow[48], prefix[64];
	const char *argv[16];
	int in, ret, status, c;
	unsigned int a = 0, i;
	pid_t pid;

	snprintf(allow, sizeof(allow), "--allow=%s", bdf);
	snprintf(prefix, sizeof(prefix), "--file-prefix=vfio-mdom-bench-%d",
		 getpid());
	argv[a++] = prog;
	argv[a++] = "-l";
	argv[a++] = "0";
	argv[a++] = "-n";
	argv[a++] = "1";
	argv[a++] = "-m";
	argv[a++] = EXTMEM_EAL_MIB;
	argv[a++] = "--huge-dir=" DPDK_HUGE;
	argv[a++] = "--huge-unlink=always";
	argv[a++] = "--no-telemetry";
	argv[a++] = prefix;
	argv[a++] = allow;
	argv[a] = NULL;

	ret = vfio_select_backend(kind);
	if (ret)
		return ret;
	unlink(EXTMEM_LOG);
	pid = spawn(argv, EXTMEM_LOG, &in);
	if (pid < 0) {
		pr_err("%s: %s\n", prog, strerror(-pid));
		return pid;
	}
	ret = -EIO;
	if (extmem_wait(pid, "dpdk_extmem ready\n"))
		ret = extmem_check(pid, kind);
	for (c = 0; c < EXTMEM_CHUNKS; c++)
		for (i = 0; !ret && i < ARRAY_SIZE(extmem_rows); i++)
			ret = extmem_row(cfg, kind, pid, in, &extmem_rows[i],
					 c);
	if (!ret)
		ret = extmem_check(pid, kind);
	if (!ret && dprintf(in, "quit\n") < 0)
		ret = -EIO;
	close(in);
	if (ret)
		kill(pid, SIGKILL);
	/* EOF or quit: the port stopped, EAL cleaned up */
	if (waitpid(pid, &status, 0) == pid && !ret &&
	    (!WIFEXITED(status) || WEXITSTATUS(status)))
		ret = -EIO;
	if (ret) {
		pr_err("dpdk_extmem on %s (%s) failed:\n", bdf,
		       peer_name(kind));
		extmem_dump_log();
	}
	return ret;
}

int op_extmem(const struct bench_cfg *cfg, enum peer_kind kind)
{
	static bool plugins_done;
	char prog[512], bdf[2][32];
	long nr;
	int ret;

	/* Not an iommufd client: see above */
	if (kind == PEER_IOMMUFD)
		return 0;
	ret = extmem_prog(prog, sizeof(prog));
	if (ret)
		return ret;
	ret = pci_vfio_devices(E1000_VENDOR, E1000_DEVICE, bdf, 2);
	if (ret < 1) {
		pr_err("no e1000 NIC (%s:%s) on vfio-pci\n", E1000_VENDOR,
		       E1000_DEVICE);
		return -ENODEV;
	}
	/* For this process and its children, which DPDK processes are */
	if (!plugins_done) {
		ret = dpdk_plugins_only_needed();
		if (ret) {
			pr_err("DPDK's plugin directory: %s\n", strerror(-ret));
			return ret;
		}
		plugins_done = true;
	}
	nr = extmem_hugepages(EXTMEM_HUGEPAGES);
	if (nr < 0)
		return nr;
	ret = extmem_run(cfg, kind, prog, bdf[0]);
	snprintf(prog, sizeof(prog), "%ld", nr);
	write_file(HUGEPAGES_2M "nr_hugepages", prog);
	return ret;
}
