// SPDX-License-Identifier: GPL-2.0
/*
 * dpdk_extmem: a DPDK 22.11 process that maps memory for DMA while it
 * runs, the way an application that brings its own buffers does (a
 * storage target, a packet capture into the application's files). It
 * is op extmem of vfio_mdom_bench (tools/bench/extmem.c), which starts
 * it once per peer with EAL's arguments for one e1000 NIC on vfio-pci:
 *
 *   dpdk_extmem EAL_ARGS...
 *
 * EAL opens /dev/vfio/vfio and maps its own memory; the NIC's port is
 * started (one RX and one TX queue) and it prints "dpdk_extmem ready".
 * Each line then read from stdin, "VAR SIZE ITERS PKTS", runs ITERS
 * times:
 *
 *   mmap SIZE bytes (anonymous, populated)
 *   rte_extmem_register(), rte_dev_dma_map() to the NIC at EXT_IOVA
 *   PKTS frames of PKT_LEN bytes sent from that memory: mbufs attached
 *   to it (rte_pktmbuf_attach_extbuf), one TX burst, and the NIC done
 *   reading them (its counters show them sent) before
 *   rte_dev_dma_unmap(), rte_extmem_unregister(), munmap
 *
 * and prints "result VAR ITERS NS PASS MAP UNMAP SENT BYTES": the loop's
 * time; the median time of a pass, of its rte_dev_dma_map() and of its
 * rte_dev_dma_unmap(); and what the NIC's counters say it sent. "quit"
 * (or EOF) ends the process. The guest's e1000s are on one QEMU hub
 * (tools/vm/run.sh), so the frames leave the NIC for the other port,
 * which is not running and drops them.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include <rte_common.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_memory.h>

#define PORT		0
#define RING		256
#define NB_MBUFS	1023
#define PKT_LEN		1024
#define MAX_PKTS	64
#define MAX_ITERS	100000
/* A frame type of local use (IEEE 802 local experimental) */
#define ETHER_TYPE_BENCH	0x88b5
#define TX_TIMEOUT_NS		(2ULL * 1000 * 1000 * 1000)
/*
 * Where the buffer is mapped for the NIC: not at its VA (IOVA as VA, as
 * EAL maps its own memory from 4 GiB up), since mmap() places it above
 * the 39 bits of IOVA the guest's Intel vIOMMU translates. 256 GiB is
 * within them and clear of EAL's memory.
 */
#define EXT_IOVA		(256ULL << 30)
/*
 * The e1000 driver frees a sent mbuf only when its slot of the TX ring
 * is used again, RING / PKTS passes later: the shared info of a pass's
 * mbufs (their reference count on the buffer) outlives the buffer, in a
 * ring of its own, long enough for passes of MIN_PKTS frames or more.
 */
#define MIN_PKTS		4
#define NR_SHINFO		(RING / MIN_PKTS + 1)

struct ext_info {
	struct rte_mbuf_ext_shared_info shinfo;
	bool busy;
};

static struct ext_info ext_info[NR_SHINFO];
static unsigned int ext_next;
static struct rte_mempool *hdr_pool;
static struct rte_ether_addr mac;
static struct rte_device *nic;
/* Frames the NIC has sent since the port started, by its counters */
static uint64_t tx_done;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The last mbuf attached to a buffer is freed */
static void ext_free(void *addr __rte_unused, void *opaque)
{
	struct ext_info *e = opaque;

	e->busy = false;
}

/* Wait until the NIC's counters show @want frames sent: 0 or -ETIMEDOUT */
static int tx_wait(uint64_t want)
{
	uint64_t deadline = now_ns() + TX_TIMEOUT_NS;
	struct rte_eth_stats st;

	while (tx_done < want) {
		if (rte_eth_stats_get(PORT, &st) || now_ns() > deadline)
			return -ETIMEDOUT;
		tx_done = st.opackets;
	}
	return 0;
}

/*
 * Send @npkts frames from @va (IOVA @iova) and wait until the NIC has
 * sent them, so has read them from the buffer
 */
static int send_from(char *va, uint64_t iova, unsigned int npkts)
{
	struct ext_info *e = &ext_info[ext_next++ % NR_SHINFO];
	uint64_t deadline, want = tx_done + npkts;
	struct rte_mbuf *m[MAX_PKTS];
	struct rte_ether_hdr *eh;
	unsigned int i, sent = 0;

	if (e->busy) {
		fprintf(stderr, "dpdk_extmem: mbufs of a pass %u ago not freed\n",
			NR_SHINFO);
		return -EBUSY;
	}
	if (rte_pktmbuf_alloc_bulk(hdr_pool, m, npkts)) {
		fprintf(stderr, "dpdk_extmem: no mbufs\n");
		return -ENOMEM;
	}
	e->busy = true;
	e->shinfo.free_cb = ext_free;
	e->shinfo.fcb_opaque = e;
	rte_mbuf_ext_refcnt_set(&e->shinfo, npkts);
	for (i = 0; i < npkts; i++) {
		char *p = va + (size_t)i * PKT_LEN;

		eh = (struct rte_ether_hdr *)p;
		memset(&eh->dst_addr, 0xff, sizeof(eh->dst_addr));
		rte_ether_addr_copy(&mac, &eh->src_addr);
		eh->ether_type = rte_cpu_to_be_16(ETHER_TYPE_BENCH);
		memset(p + sizeof(*eh), i, PKT_LEN - sizeof(*eh));
		rte_pktmbuf_attach_extbuf(m[i], p, iova + (size_t)i * PKT_LEN,
					  PKT_LEN, &e->shinfo);
		m[i]->data_len = PKT_LEN;
		m[i]->pkt_len = PKT_LEN;
	}
	deadline = now_ns() + TX_TIMEOUT_NS;
	while (sent < npkts && now_ns() < deadline)
		sent += rte_eth_tx_burst(PORT, 0, m + sent, npkts - sent);
	if (sent < npkts) {
		fprintf(stderr, "dpdk_extmem: sent %u of %u\n", sent, npkts);
		rte_pktmbuf_free_bulk(m + sent, npkts - sent);
		want -= npkts - sent;
	}
	if (tx_wait(want)) {
		/* The NIC may still read the buffer: do not unmap it */
		fprintf(stderr, "dpdk_extmem: the NIC sent %llu of %u\n",
			(unsigned long long)(tx_done + npkts - want), npkts);
		exit(1);
	}
	return sent == npkts ? 0 : -EIO;
}

/* The times of one pass, and of its two calls into VFIO */
struct pass_ns {
	uint64_t pass[MAX_ITERS];
	uint64_t map[MAX_ITERS];
	uint64_t unmap[MAX_ITERS];
};

/* Pass @i of the loop: map, send, unmap */
static int one_pass(size_t size, unsigned int npkts, struct pass_ns *t,
		    unsigned int i)
{
	uint64_t t0;
	char *va;
	int ret;

	va = mmap(NULL, size, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (va == MAP_FAILED)
		return -errno;
	if (rte_extmem_register(va, size, NULL, 0, getpagesize())) {
		ret = -rte_errno;
		fprintf(stderr, "dpdk_extmem: rte_extmem_register: %s\n",
			rte_strerror(rte_errno));
		goto out_munmap;
	}
	t0 = now_ns();
	ret = rte_dev_dma_map(nic, va, EXT_IOVA, size);
	t->map[i] = now_ns() - t0;
	if (ret) {
		ret = -rte_errno;
		fprintf(stderr, "dpdk_extmem: rte_dev_dma_map: %s\n",
			rte_strerror(rte_errno));
		goto out_unregister;
	}
	ret = npkts ? send_from(va, EXT_IOVA, npkts) : 0;
	t0 = now_ns();
	if (rte_dev_dma_unmap(nic, va, EXT_IOVA, size) && !ret) {
		ret = -rte_errno;
		fprintf(stderr, "dpdk_extmem: rte_dev_dma_unmap: %s\n",
			rte_strerror(rte_errno));
	}
	t->unmap[i] = now_ns() - t0;
out_unregister:
	if (rte_extmem_unregister(va, size) && !ret) {
		ret = -rte_errno;
		fprintf(stderr, "dpdk_extmem: rte_extmem_unregister: %s\n",
			rte_strerror(rte_errno));
	}
out_munmap:
	munmap(va, size);
	return ret;
}

static int port_start(void)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_stats st = { 0 };
	struct rte_eth_dev_info info;
	struct rte_mempool *rx_pool;
	int ret;

	if (rte_eth_dev_count_avail() != 1) {
		fprintf(stderr, "dpdk_extmem: %u ports, want 1 (-a BDF)\n",
			rte_eth_dev_count_avail());
		return -ENODEV;
	}
	ret = rte_eth_dev_info_get(PORT, &info);
	if (ret)
		return ret;
	nic = info.device;
	rx_pool = rte_pktmbuf_pool_create("rx", NB_MBUFS, 0, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE,
					  rte_socket_id());
	/* mbufs without data room: their data is the external memory */
	hdr_pool = rte_pktmbuf_pool_create("hdr", NB_MBUFS, 0, 0, 0,
					   rte_socket_id());
	if (!rx_pool || !hdr_pool)
		return -rte_errno;
	ret = rte_eth_dev_configure(PORT, 1, 1, &conf);
	if (!ret)
		ret = rte_eth_rx_queue_setup(PORT, 0, RING, rte_socket_id(),
					     NULL, rx_pool);
	if (!ret)
		ret = rte_eth_tx_queue_setup(PORT, 0, RING, rte_socket_id(),
					     NULL);
	if (!ret)
		ret = rte_eth_dev_start(PORT);
	if (!ret)
		ret = rte_eth_macaddr_get(PORT, &mac);
	if (!ret)
		ret = rte_eth_stats_get(PORT, &st);
	tx_done = st.opackets;
	return ret;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static unsigned long long median(uint64_t *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

static int run(const char *var, size_t size, unsigned int iters,
	       unsigned int npkts)
{
	struct rte_eth_stats before, after;
	static struct pass_ns t;
	unsigned int i;
	uint64_t t0, t1;
	int ret;

	if (!size || size % getpagesize() || npkts > MAX_PKTS ||
	    (npkts && npkts < MIN_PKTS) || !iters || iters > MAX_ITERS ||
	    (size_t)npkts * PKT_LEN > size) {
		fprintf(stderr, "dpdk_extmem: bad row %s\n", var);
		return -EINVAL;
	}
	ret = rte_eth_stats_get(PORT, &before);
	if (ret)
		return ret;
	t0 = now_ns();
	for (i = 0; i < iters; i++) {
		t.pass[i] = now_ns();
		ret = one_pass(size, npkts, &t, i);
		if (ret)
			return ret;
		t.pass[i] = now_ns() - t.pass[i];
	}
	t1 = now_ns();
	ret = rte_eth_stats_get(PORT, &after);
	if (ret)
		return ret;
	printf("result %s %u %llu %llu %llu %llu %llu %llu\n", var, iters,
	       (unsigned long long)(t1 - t0), median(t.pass, iters),
	       median(t.map, iters), median(t.unmap, iters),
	       (unsigned long long)(after.opackets - before.opackets),
	       (unsigned long long)(after.obytes - before.obytes));
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int iters, npkts;
	char line[256], var[64];
	unsigned long size;
	int ret;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "dpdk_extmem: rte_eal_init: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	ret = port_start();
	if (ret) {
		fprintf(stderr, "dpdk_extmem: port: %s\n", strerror(-ret));
		goto out;
	}
	printf("dpdk_extmem ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		if (!strncmp(line, "quit", 4))
			break;
		if (sscanf(line, "%63s %lu %u %u", var, &size, &iters,
			   &npkts) != 4) {
			fprintf(stderr, "dpdk_extmem: bad line: %s", line);
			ret = -EINVAL;
			break;
		}
		ret = run(var, size, iters, npkts);
		if (ret) {
			fprintf(stderr, "dpdk_extmem: %s: %s\n", var,
				strerror(-ret));
			break;
		}
	}
	rte_eth_dev_stop(PORT);
	rte_eth_dev_close(PORT);
out:
	rte_eal_cleanup();
	return ret ? 1 : 0;
}
