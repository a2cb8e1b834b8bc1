// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_mdom_bench: run every selected operation for every selected peer,
 * N rounds, the peers interleaved within each round and their order
 * rotated from one round to the next, so that a slow patch of the host
 * (TCG, other guests) falls on all of them alike. Samples go out as CSV
 * (round,op,var,peer,ns,count) after a few "# key: value" lines;
 * tools/bench/report.py makes the table and the plot. Runs as root in the
 * guest that tools/vm/bench.sh boots (edu on vfio-pci, the mock IOMMU and
 * vfio_mdom loaded, 2 MiB pages reserved).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>

#include "bench.h"

#define MAX_LIST	16

enum bench_op {
	OP_LARGE,
	OP_PIN,
	OP_REPLAY,
	OP_SMALL,
	OP_THREADS,
	OP_TEARDOWN,
	OP_VIOMMU,
	OP_NVME,
	OP_BIGMAP,
	OP_EXTMEM,
	NR_OPS,
};

static const char * const op_names[NR_OPS] = {
	[OP_LARGE] = "large",
	[OP_PIN] = "pin",
	[OP_REPLAY] = "replay",
	[OP_SMALL] = "small",
	[OP_THREADS] = "threads",
	[OP_TEARDOWN] = "teardown",
	[OP_VIOMMU] = "viommu",
	[OP_NVME] = "nvme",
	[OP_BIGMAP] = "bigmap",
	[OP_EXTMEM] = "extmem",
};

struct options {
	unsigned long size_mib;
	int rounds;
	int peers[NR_PEERS], npeers;
	int backings[NR_BACKINGS], nbackings;
	bool ops[NR_OPS];
	unsigned long counts[MAX_LIST];
	int ncounts;
	unsigned long threads[MAX_LIST];
	int nthreads;
	unsigned long teardown;
	int mock_inst;
	const char *edu;
	const char *out;
	const char *perf_ctl;
};

static void print_usage(void)
{
	fprintf(stderr,
		"usage: vfio_mdom_bench [-s MIB] [-n ROUNDS] [-p PEERS] [-b BACKINGS]\n"
		"         [-o OPS] [-c COUNTS] [-t THREADS] [-u COUNT] [-m INST]\n"
		"         [-e BDF] [-O FILE] [-C CTL,ACK]\n"
		"  -s  buffer size in MiB, a multiple of 2 (512)\n"
		"  -n  rounds (5)\n"
		"  -p  peers: mdom,type1,iommufd\n"
		"  -b  backings: anon,thp,hugetlb,memfd\n"
		"  -o  operations: large,pin,replay,small,threads,teardown,viommu,nvme,\n"
		"      bigmap,extmem\n"
		"  -c  4 KiB mapping counts of 'small' (1024,65536,1048576)\n"
		"  -t  thread counts of 'threads' (1,2,4)\n"
		"  -u  mappings of 'teardown' (65536)\n"
		"  -m  mock IOMMU instance for mock domains (1)\n"
		"  -e  edu device (first edu on vfio-pci)\n"
		"  -O  samples to FILE (stdout)\n"
		"  -C  perf record --control fifos: enabled for the rounds only\n");
	exit(2);
}

/* Split comma list @arg into names looked up by @lookup */
static int parse_names(char *arg, int *out, int max, int (*lookup)(const char *))
{
	char *tok, *save;
	int n = 0, v;

	for (tok = strtok_r(arg, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		v = lookup(tok);
		if (v < 0 || n == max) {
			fprintf(stderr, "bad list item '%s'\n", tok);
			print_usage();
		}
		out[n++] = v;
	}
	return n;
}

static int parse_nums(char *arg, unsigned long *out)
{
	char *tok, *save, *end;
	int n = 0;

	for (tok = strtok_r(arg, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		out[n] = strtoul(tok, &end, 0);
		if (*end || !out[n] || n == MAX_LIST - 1)
			print_usage();
		n++;
	}
	return n;
}

static int op_from_name(const char *name)
{
	int i;

	for (i = 0; i < NR_OPS; i++)
		if (!strcmp(name, op_names[i]))
			return i;
	return -EINVAL;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	char dflt_peers[] = "mdom,type1,iommufd";
	char dflt_bk[] = "anon,thp,hugetlb,memfd";
	char dflt_counts[] = "1024,65536,1048576";
	char dflt_threads[] = "1,2,4";
	int ops[NR_OPS], nops, i, c;

	memset(o, 0, sizeof(*o));
	o->size_mib = 512;
	o->rounds = 5;
	o->teardown = 65536;
	o->mock_inst = 1;
	o->npeers = parse_names(dflt_peers, o->peers, NR_PEERS,
				peer_from_name);
	o->nbackings = parse_names(dflt_bk, o->backings, NR_BACKINGS,
				   backing_from_name);
	o->ncounts = parse_nums(dflt_counts, o->counts);
	o->nthreads = parse_nums(dflt_threads, o->threads);
	for (i = 0; i < NR_OPS; i++)
		o->ops[i] = true;

	while ((c = getopt(argc, argv, "s:n:p:b:o:c:t:u:m:e:O:C:h")) != -1) {
		switch (c) {
		case 's':
			o->size_mib = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			o->rounds = atoi(optarg);
			break;
		case 'p':
			o->npeers = parse_names(optarg, o->peers, NR_PEERS,
						peer_from_name);
			break;
		case 'b':
			o->nbackings = parse_names(optarg, o->backings,
						   NR_BACKINGS,
						   backing_from_name);
			break;
		case 'o':
			nops = parse_names(optarg, ops, NR_OPS, op_from_name);
			memset(o->ops, 0, sizeof(o->ops));
			for (i = 0; i < nops; i++)
				o->ops[ops[i]] = true;
			break;
		case 'c':
			o->ncounts = parse_nums(optarg, o->counts);
			break;
		case 't':
			o->nthreads = parse_nums(optarg, o->threads);
			break;
		case 'u':
			o->teardown = strtoul(optarg, NULL, 0);
			break;
		case 'm':
			o->mock_inst = atoi(optarg);
			break;
		case 'e':
			o->edu = optarg;
			break;
		case 'O':
			o->out = optarg;
			break;
		case 'C':
			o->perf_ctl = optarg;
			break;
		default:
			print_usage();
		}
	}
	if (optind != argc || !o->size_mib || o->size_mib % 2 ||
	    o->rounds < 1 || !o->npeers || !o->nbackings || !o->teardown)
		print_usage();
}

static void print_header(FILE *f, const struct options *o,
			 const struct bench_cfg *cfg)
{
	struct utsname u;
	int i;

	uname(&u);
	fprintf(f, "# vfio_mdom_bench: 1\n");
	fprintf(f, "# kernel: %s %s\n", u.release, u.version);
	fprintf(f, "# debug_kernel: %s\n",
		access("/sys/kernel/debug/kmemleak", F_OK) ? "no" : "yes");
	fprintf(f, "# cpus: %ld\n", sysconf(_SC_NPROCESSORS_ONLN));
	fprintf(f, "# size_mib: %lu\n", o->size_mib);
	fprintf(f, "# rounds: %d\n", o->rounds);
	fprintf(f, "# peers:");
	for (i = 0; i < o->npeers; i++)
		fprintf(f, " %s", peer_name(o->peers[i]));
	fprintf(f, "\n# edu: %s group %d cdev %d\n", cfg->edu->name,
		cfg->edu->group, cfg->edu->cdev);
	fprintf(f, "# mock: %s group %d cdev %d\n", cfg->mock->name,
		cfg->mock->group, cfg->mock->cdev);
	fprintf(f, "round,op,var,peer,ns,count\n");
	fflush(f);
}

/* Peer number @i of round @round: the order rotates every round */
static enum peer_kind peer_at(const struct options *o, int round, int i)
{
	return o->peers[(i + round) % o->npeers];
}

static bool needs_backing(const struct options *o, enum backing bk)
{
	int i;

	if (bk == BK_ANON && (o->ops[OP_SMALL] || o->ops[OP_THREADS] ||
			      o->ops[OP_TEARDOWN]))
		return true;
	/* bigmap maps the memfd buffer again and again */
	if (bk == BK_MEMFD && o->ops[OP_BIGMAP])
		return true;
	if (!o->ops[OP_LARGE] && !o->ops[OP_PIN] && !o->ops[OP_REPLAY] &&
	    !o->ops[OP_VIOMMU])
		return false;
	for (i = 0; i < o->nbackings; i++)
		if (o->backings[i] == (int)bk)
			return true;
	return false;
}

/* The large maps of every backing, the pin floor taking its turn */
static int run_large(const struct options *o, struct bench_cfg *cfg,
		     struct buf *bufs)
{
	int r = cfg->round, i, j, p, ret = 0;

	for (j = 0; j < o->nbackings && !ret; j++) {
		struct buf *b = &bufs[o->backings[j]];

		for (i = 0, p = 0; i <= o->npeers && !ret; i++) {
			if (i == (r + j) % (o->npeers + 1))
				ret = o->ops[OP_PIN] ? op_pin_floor(cfg, b) : 0;
			else if (o->ops[OP_LARGE])
				ret = op_large(cfg, peer_at(o, r, p++), b);
		}
	}
	return ret;
}

static int run_round(const struct options *o, struct bench_cfg *cfg,
		     struct buf *bufs)
{
	struct buf *anon = &bufs[BK_ANON];
	int r = cfg->round, i, j, k, ret;

	ret = run_large(o, cfg, bufs);
	for (k = 0; o->ops[OP_REPLAY] && k < 2; k++)
		for (j = 0; j < o->nbackings; j++)
			for (i = 0; i < o->npeers && !ret; i++)
				ret = op_replay(cfg, peer_at(o, r, i),
						&bufs[o->backings[j]], k == 0);
	for (j = 0; o->ops[OP_SMALL] && j < o->ncounts; j++)
		for (i = 0; i < o->npeers && !ret; i++)
			ret = op_small(cfg, peer_at(o, r, i), anon,
				       o->counts[j]);
	for (j = 0; o->ops[OP_THREADS] && j < o->nthreads; j++)
		for (i = 0; i < o->npeers && !ret; i++)
			ret = op_threads(cfg, peer_at(o, r, i), anon,
					 o->threads[j]);
	for (i = 0; o->ops[OP_TEARDOWN] && i < o->npeers && !ret; i++)
		ret = op_teardown(cfg, peer_at(o, r, i), anon, o->teardown);
	for (j = 0; o->ops[OP_VIOMMU] && j < o->nbackings; j++)
		for (i = 0; i < o->npeers && !ret; i++)
			ret = op_viommu(cfg, peer_at(o, r, i),
					&bufs[o->backings[j]]);
	for (i = 0; o->ops[OP_NVME] && i < o->npeers && !ret; i++)
		ret = op_nvme(cfg, peer_at(o, r, i));
	for (i = 0; o->ops[OP_BIGMAP] && i < o->npeers && !ret; i++)
		ret = op_bigmap(cfg, peer_at(o, r, i), &bufs[BK_MEMFD]);
	for (i = 0; o->ops[OP_EXTMEM] && i < o->npeers && !ret; i++)
		ret = op_extmem(cfg, peer_at(o, r, i));
	return ret;
}

/*
 * Send @cmd ("enable", "disable") to a perf record started with
 * --control fifo:CTL,ACK and wait for its ack, so that what follows is
 * recorded (or not) from the first instruction on. @spec is "CTL,ACK".
 */
static int perf_control(const char *spec, const char *cmd)
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

/* @dev from the sysfs directory @dir of device @name */
static int bench_dev_at(const char *dir, const char *name,
			struct bench_dev *dev)
{
	str_copy(dev->name, name, sizeof(dev->name));
	dev->group = sysfs_iommu_group(dir);
	if (dev->group < 0) {
		pr_err("%s: no IOMMU group (%s)\n", name, strerror(-dev->group));
		return dev->group;
	}
	dev->cdev = sysfs_vfio_cdev(dir);
	if (dev->cdev < 0) {
		pr_err("%s: no VFIO device cdev (CONFIG_VFIO_DEVICE_CDEV?): %s\n",
		       name, strerror(-dev->cdev));
		return dev->cdev;
	}
	return 0;
}

/*
 * The edu device @bdf, or the first edu bound to vfio-pci if @bdf is NULL,
 * leaving out the one at @skip (if not NULL)
 */
int find_edu(const char *bdf, const char *skip, struct bench_dev *dev)
{
	char dir[320];
	struct edu_dev e;
	unsigned int n;

	for (n = 0; !edu_find(n, &e); n++) {
		if ((bdf && strcmp(bdf, e.bdf)) || (skip && !strcmp(skip, e.bdf)))
			continue;
		snprintf(dir, sizeof(dir), PCI_DEVICES "/%s", e.bdf);
		return bench_dev_at(dir, e.bdf, dev);
	}
	pr_err("no edu device bound to vfio-pci%s%s\n", bdf ? " at " : "",
	       bdf ? bdf : "");
	return -ENODEV;
}

/* Device 0 of mock IOMMU instance @inst */
static int find_mock(int inst, struct bench_dev *dev)
{
	char dir[320];
	struct mock_dev md;

	if (mock_find_dev(inst, 0, &md)) {
		pr_err("no device 0 of mock IOMMU %d (is vfio_mdom_mock_iommu.ko loaded?)\n",
		       inst);
		return -ENODEV;
	}
	snprintf(dir, sizeof(dir), MOCK_SYSFS_BUS "/%s", md.name);
	return bench_dev_at(dir, md.name, dev);
}

int main(int argc, char **argv)
{
	struct bench_dev edu, mock;
	struct buf bufs[NR_BACKINGS];
	struct bench_cfg cfg = { .edu = &edu, .mock = &mock };
	struct options o;
	int i, ret = 0;
	__u64 t0;

	parse_options(argc, argv, &o);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (find_edu(o.edu, NULL, &edu) || find_mock(o.mock_inst, &mock))
		return 1;
	for (i = 0; i < o.npeers; i++) {
		if (o.peers[i] == PEER_MDOM && !mdom_loaded()) {
			pr_err("peer mdom: vfio_mdom is not loaded as a VFIO backend\n");
			return 1;
		}
	}
	cfg.out = stdout;
	if (o.out) {
		cfg.out = fopen(o.out, "w");
		if (!cfg.out) {
			pr_err("%s: %s\n", o.out, strerror(errno));
			return 1;
		}
	}

	memset(bufs, 0, sizeof(bufs));
	for (i = 0; i < NR_BACKINGS; i++) {
		bufs[i].memfd = -1;
		if (!needs_backing(&o, i))
			continue;
		t0 = now_ns();
		if (buf_alloc(&bufs[i], i, o.size_mib * SZ_1M))
			return 1;
		printf("bench: %s: %lu MiB prefaulted in %.1f s\n",
		       backing_name(i), o.size_mib,
		       (now_ns() - t0) / 1e9);
	}
	print_header(cfg.out, &o, &cfg);
	if (o.perf_ctl && perf_control(o.perf_ctl, "enable")) {
		pr_err("cannot enable perf through %s\n", o.perf_ctl);
		return 1;
	}

	for (cfg.round = 1; cfg.round <= o.rounds; cfg.round++) {
		t0 = now_ns();
		ret = run_round(&o, &cfg, bufs);
		if (ret) {
			pr_err("round %d failed: %s\n", cfg.round,
			       strerror(-ret));
			break;
		}
		printf("bench: round %d of %d done in %.1f s\n", cfg.round,
		       o.rounds, (now_ns() - t0) / 1e9);
	}
	if (o.perf_ctl && perf_control(o.perf_ctl, "disable"))
		ret = -EIO;
	/* Pinning may migrate pages: the backings must still be what they were */
	for (i = 0; i < NR_BACKINGS && !ret; i++)
		if (bufs[i].map_base)
			ret = buf_check(&bufs[i]);
	if (mdom_loaded())
		param_set_bool(MDOM_MOD, "vfio_backend", true);
	for (i = 0; i < NR_BACKINGS; i++)
		buf_free(&bufs[i]);
	if (cfg.out != stdout && fclose(cfg.out))
		ret = -errno;
	return ret ? 1 : 0;
}
