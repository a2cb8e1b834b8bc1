// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom selftest: a memory cgroup bounds the kernel memory a user's
 * mappings take, and nothing else is harmed when one reaches its limit.
 *
 * type1 stops a container at 65535 mappings (dma_entry_limit, a CVE fix):
 * its mappings are charged to no one. vfio-mdom charges everything a
 * mapping allocates to the mapper's memory cgroup (MDOM_GFP_USER in
 * drivers/vfio_mdom/pages.h) and lets a container hold 1048576 mappings
 * by default; this test is what that rests on.
 *
 * memcg.enomem_at_the_limit: a process in a cgroup v2 child with a small
 * memory.max (RLIMIT_MEMLOCK is no limit here: root has CAP_IPC_LOCK, and
 * its buffer is charged to the parent cgroup, faulted in before it joins)
 * maps 4 KiB mappings of a mock IOMMU group until a map fails. It must
 * fail with ENOMEM, not by the memcg OOM killer: the cgroup records no
 * OOM and the process lives. Nothing is lost: every earlier mapping is
 * there (the mock domain translates each; its DMA reads the user's bytes
 * at the first, middle and last), the counters agree (mappings, bytes,
 * pinned pages, VmLck, DMA_AVAIL), the failed IOVA is not translated,
 * room made by an unmap is usable again, and UNMAP_ALL gives back the
 * pins, the charge to locked_vm and the cgroup's kernel memory. The host
 * is unharmed: while the process sits at its limit, a process outside
 * the cgroup maps a few thousand mappings of another mock group, and no
 * OOM kill happens anywhere (/proc/vmstat oom_kill).
 *
 * memcg.far_more_without_the_limit: the same process in a cgroup without
 * memory.max maps MEMCG_FAR_MORE times as many mappings as the limited
 * one managed (at least), and they are charged to its cgroup as they
 * grow.
 *
 * Needs cgroup2 mounted at /sys/fs/cgroup with the memory controller
 * (CONFIG_MEMCG; tools/vm/guest-init.sh mounts it), vfio_mdom.ko and the
 * mock IOMMU; skips otherwise.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "mdom_test.h"

#define CG_ROOT			"/sys/fs/cgroup"
#define IOVA_BASE		SZ_1G
#define BUF_PAGES		256
/* memory.max of the limited cgroup: some 20000 mappings */
#define MEMCG_LIMIT		(4 * SZ_1M)
/* The limited run must stop long before this; the other never does. */
#define MEMCG_MAX_MAPS		1048576L
#define MEMCG_FAR_MORE		4
/* Mappings the process outside the cgroup makes meanwhile */
#define OUTSIDE_MAPS		4096
/* Unmapped and mapped again at the limit */
#define REMAP_FREE		256
#define REMAP_MAPS		128
/* Seconds per test: some 100000 maps and unmaps under TCG and KASAN */
#define MEMCG_TIMEOUT		600
/* Kernel memory a cgroup may keep charged once every mapping is gone */
#define KMEM_SLACK		(64 * 1024)

/* Mapper stages, in struct shared::stage */
enum { ST_START, ST_FULL, ST_EMPTY, ST_FAILED };

/*
 * What the mapping process reports, in memory shared with the test: the
 * process may sit at its cgroup's limit, where a pipe's buffer page
 * could not be charged.
 */
struct report {
	int map_err;		/* the map that failed: -errno, 0 if none */
	long maps;		/* maps that succeeded */
	long long kmem_base, kmem_full, kmem_empty;	/* memory.stat kernel */
	struct mdom_state st_full, st_empty;
	long vmlck_base, vmlck_full, vmlck_empty;
	long long avail_start, avail_full;	/* DMA_AVAIL */
	long xlates_full;	/* mock translations of the mapped range */
	long xlates_failed;	/* at the IOVA of the failed map */
	int dma[3];		/* mock DMA reads of the first, middle, last */
	int remap;		/* unmap REMAP_FREE at the end, map REMAP_MAPS */
	int unmap_all;
	char err[160];		/* a set-up step that failed */
};

struct shared {
	int stage;		/* __atomic: set by the mapper */
	int go;			/* __atomic: the test lets the mapper go on */
	struct report r;
};

static int get_flag(int *flag)
{
	return __atomic_load_n(flag, __ATOMIC_ACQUIRE);
}

static void set_flag(int *flag, int val)
{
	__atomic_store_n(flag, val, __ATOMIC_RELEASE);
}

static long long cg_read_ll(const char *cg, const char *file)
{
	char path[256], buf[64];

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	if (read_line(path, buf, sizeof(buf)) < 0)
		return -1;
	return strtoll(buf, NULL, 10);
}

/* The value of "@key N" in @cg's @file (memory.stat, memory.events) */
static long long cg_key(const char *cg, const char *file, const char *key)
{
	char path[256], buf[8192], *line;
	size_t klen = strlen(key);

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	for (line = buf; line && *line; line = next_line(line))
		if (!strncmp(line, key, klen) && line[klen] == ' ')
			return strtoll(line + klen + 1, NULL, 10);
	return -1;
}

static int cg_write(const char *cg, const char *file, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	return write_file(path, val);
}

/* rmdir @cg, its last process reaped: 0 or -errno */
static int remove_cgroup(const char *cg)
{
	int i;

	for (i = 0; i < 50; i++) {
		if (!rmdir(cg))
			return 0;
		if (errno != EBUSY)
			return -errno;
		usleep(100000);
	}
	return -EBUSY;
}

/* DMA_AVAIL of @fd's GET_INFO, or -errno */
static long long dma_avail(int fd)
{
	struct vfio_iommu_type1_info_dma_avail *cap;
	struct vfio_iommu_type1_info *info;
	long long avail = -ENOENT;
	uint32_t len;
	int ret;

	ret = vfio_get_info_all(fd, &info, &len);
	if (ret)
		return ret;
	cap = (void *)vfio_info_cap(info, len, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	if (cap)
		avail = cap->avail;
	free(info);
	return avail;
}

static uint8_t page_byte(long i)
{
	return 0x5a ^ (i % BUF_PAGES);
}

/* Mock DMA reads the page mapping @i holds: 0, -EILSEQ, or -errno */
static int dma_check(const char *dev, long i)
{
	uint8_t buf[64];
	size_t k;
	int ret;

	ret = mock_dma_read(dev, IOVA_BASE + i * PG, buf, sizeof(buf));
	if (ret)
		return ret;
	for (k = 0; k < sizeof(buf); k++)
		if (buf[k] != page_byte(i))
			return -EILSEQ;
	return 0;
}

static void wait_stage(struct shared *sh, int *what, int want)
{
	while (get_flag(what) < want && get_flag(&sh->stage) != ST_FAILED)
		usleep(10000);
}

/* Kernel memory of @cg once it has settled at or below @want (RCU frees) */
static long long kmem_settled(const char *cg, long long want)
{
	long long kmem = -1;
	int i;

	for (i = 0; i < 50; i++) {
		kmem = cg_key(cg, "memory.stat", "kernel");
		if (kmem >= 0 && kmem <= want)
			break;
		usleep(100000);
	}
	return kmem;
}

static void __printf(2, 3) mapper_fail(struct shared *sh,
				       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sh->r.err, sizeof(sh->r.err), fmt, ap);
	va_end(ap);
	set_flag(&sh->stage, ST_FAILED);
	_exit(1);
}

/*
 * The mapping process: joins @cg, maps up to @max 4 KiB mappings of mock
 * device @md, reports (ST_FULL) and waits for go, then unmaps everything
 * and reports again (ST_EMPTY).
 */
static void mapper(struct shared *sh, const char *cg,
		   const struct mock_dev *md, long max)
{
	struct report *r = &sh->r;
	unsigned int dom;
	long i, first;
	int gfd, fd, ret;
	uint8_t *buf;

	/* The buffer is faulted in here, charged to the test's cgroup */
	buf = mmap(NULL, BUF_PAGES * PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED)
		mapper_fail(sh, "mmap: %s", strerror(errno));
	madvise(buf, BUF_PAGES * PG, MADV_NOHUGEPAGE);
	for (i = 0; i < BUF_PAGES; i++)
		memset(buf + i * PG, page_byte(i), PG);
	r->vmlck_base = vmlck_kb();

	if (cg_write(cg, "cgroup.procs", "0"))
		mapper_fail(sh, "cannot join %s", cg);
	gfd = vfio_open_group(md->group);
	if (gfd < 0)
		mapper_fail(sh, "open group %d: %s", md->group, strerror(-gfd));
	fd = vfio_open_container();
	if (fd < 0)
		mapper_fail(sh, "open container: %s", strerror(-fd));
	ret = vfio_attach(fd, gfd, true, VFIO_TYPE1v2_IOMMU);
	if (ret)
		mapper_fail(sh, "attach: %s", strerror(-ret));
	r->avail_start = dma_avail(fd);
	r->kmem_base = cg_key(cg, "memory.stat", "kernel");

	/* r->maps counts as it goes: a killed mapper leaves it behind */
	for (r->maps = 0; r->maps < max; r->maps++) {
		i = r->maps;
		ret = _vfio_map(fd, IOVA_BASE + i * PG, PG,
				buf + (i % BUF_PAGES) * PG, VFIO_RW);
		if (ret)
			break;
	}
	r->map_err = r->maps < max ? ret : 0;

	/*
	 * At the limit, room an unmap makes can be used again. From here to
	 * ST_FULL nothing but the maps may allocate: a file opened or a page
	 * faulted in over memory.max would call the OOM killer.
	 */
	if (r->map_err && r->maps > REMAP_FREE) {
		first = r->maps - REMAP_FREE;
		r->remap = _vfio_unmap(fd, IOVA_BASE + first * PG,
				       REMAP_FREE * PG, 0, NULL);
		for (i = first; !r->remap && i < first + REMAP_MAPS; i++)
			r->remap = _vfio_map(fd, IOVA_BASE + i * PG, PG,
					     buf + (i % BUF_PAGES) * PG,
					     VFIO_RW);
		r->maps = r->remap ? first : first + REMAP_MAPS;
		if (r->remap)	/* keep the counts simple: drop those too */
			_vfio_unmap(fd, IOVA_BASE + first * PG,
				    REMAP_MAPS * PG, 0, NULL);
	}
	set_flag(&sh->stage, ST_FULL);
	wait_stage(sh, &sh->go, 1);

	/* The test has lifted the limit: read everything */
	r->kmem_full = cg_key(cg, "memory.stat", "kernel");
	r->vmlck_full = vmlck_kb();
	r->avail_full = dma_avail(fd);
	_mdom_query(fd, &r->st_full);
	dom = mock_dev_domain(md->inst, md->index);
	r->xlates_full = mock_domain_xlates_in(dom, IOVA_BASE, r->maps * PG);
	r->xlates_failed = mock_domain_xlates_in(dom, IOVA_BASE +
						 r->maps * PG, PG);
	r->dma[0] = r->maps ? dma_check(md->name, 0) : -ENOENT;
	r->dma[1] = r->maps ? dma_check(md->name, r->maps / 2) : -ENOENT;
	r->dma[2] = r->maps ? dma_check(md->name, r->maps - 1) : -ENOENT;

	r->unmap_all = _vfio_unmap(fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL);
	_mdom_query(fd, &r->st_empty);
	r->vmlck_empty = vmlck_kb();
	r->kmem_empty = kmem_settled(cg, r->kmem_base + KMEM_SLACK);
	close(fd);
	close(gfd);
	munmap(buf, BUF_PAGES * PG);
	set_flag(&sh->stage, ST_EMPTY);
	_exit(0);
}

struct memcg_ctx {
	struct mock_dev md, outside;
	struct shared *sh;
	char cg[128];
	bool made;
	struct leak_mark mark;
	long long oom_kills;
	long long limit;
	pid_t pid;		/* the mapper, until reaped */
	bool ready;
};

FIXTURE(memcg)
{
	struct memcg_ctx t;
};

FIXTURE_SETUP(memcg)
{
	struct memcg_ctx *t = &self->t;
	char ctl[256], val[32];

	t->sh = MAP_FAILED;
	if (mdom_test_on_type1())
		SKIP(return, "type1 charges mappings to no memory cgroup");
	if (!mdom_loaded())
		SKIP(return, "vfio_mdom.ko is not loaded");
	if (!mock_loaded())
		SKIP(return, "the mock IOMMU (vfio_mdom_mock_iommu) is not loaded");
	if (read_line(CG_ROOT "/cgroup.controllers", ctl, sizeof(ctl)) < 0 ||
	    !strstr(ctl, "memory"))
		SKIP(return, "no cgroup2 memory controller at " CG_ROOT);
	ASSERT_EQ(0, write_file(CG_ROOT "/cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, mock_find_dev(0, 0, &t->md));
	ASSERT_EQ(0, mock_find_dev(3, 0, &t->outside));
	ASSERT_EQ(0, param_get("vfio_mdom", "dma_entry_limit", val,
			       sizeof(val)));
	t->limit = strtoll(val, NULL, 10);
	t->sh = mmap(NULL, sizeof(*t->sh), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, t->sh);
	t->oom_kills = vmstat_counter("oom_kill");
	ASSERT_LE(0, t->oom_kills);
	leak_mark(&t->mark);
	t->ready = true;
}

FIXTURE_TEARDOWN(memcg)
{
	struct memcg_ctx *t = &self->t;

	if (t->pid > 0) {	/* a failed assertion left it waiting */
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
	}
	if (t->made)
		EXPECT_EQ(0, remove_cgroup(t->cg));
	if (t->sh != MAP_FAILED)
		munmap(t->sh, sizeof(*t->sh));
	if (!t->ready)
		return;
	EXPECT_EQ(t->oom_kills, vmstat_counter("oom_kill"))
		TH_LOG("an OOM kill happened");
	expect_no_leak(&t->mark, false);
}

/* A fresh cgroup, memory.max @max ("max": none) */
static void make_cgroup(struct __test_metadata *_metadata,
			struct memcg_ctx *t, const char *max)
{
	snprintf(t->cg, sizeof(t->cg), CG_ROOT "/vfio_mdom_memcg.%d",
		 getpid());
	rmdir(t->cg);
	ASSERT_EQ(0, mkdir(t->cg, 0755)) TH_LOG("mkdir %s", t->cg);
	t->made = true;
	ASSERT_EQ(0, cg_write(t->cg, "memory.max", max));
	/* No swap to push anything to: ignore if the kernel has none */
	cg_write(t->cg, "memory.swap.max", "0");
	memset(t->sh, 0, sizeof(*t->sh));
}

/* Start the mapper in the cgroup; wait until it sits at ST_FULL */
static pid_t start_mapper(struct __test_metadata *_metadata,
			  struct memcg_ctx *t, long max)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		mapper(t->sh, t->cg, &t->md, max);
	t->pid = pid;
	while (get_flag(&t->sh->stage) == ST_START) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			t->pid = 0;
			ASSERT_FALSE(WIFSIGNALED(status)) {
				TH_LOG("the mapper was killed by signal %d after %ld maps%s",
				       WTERMSIG(status), t->sh->r.maps,
				       WTERMSIG(status) == SIGKILL ?
				       " (the memcg OOM killer?)" : "");
			}
			break;
		}
		usleep(10000);
	}
	ASSERT_EQ(ST_FULL, get_flag(&t->sh->stage)) {
		TH_LOG("mapper: %s", t->sh->r.err);
	}
	return pid;
}

/* Let the mapper finish; it must exit by itself, and cleanly */
static void finish_mapper(struct __test_metadata *_metadata,
			  struct memcg_ctx *t, pid_t pid)
{
	int status;

	set_flag(&t->sh->go, 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	t->pid = 0;
	ASSERT_TRUE(WIFEXITED(status)) {
		TH_LOG("the mapping process was killed by signal %d%s",
		       WTERMSIG(status), WTERMSIG(status) == SIGKILL ?
		       " (the memcg OOM killer?)" : "");
	}
	ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("mapper: %s", t->sh->r.err);
	ASSERT_EQ(ST_EMPTY, get_flag(&t->sh->stage));
}

/* What must hold of a finished mapper's report */
static void check_report(struct __test_metadata *_metadata,
			 struct memcg_ctx *t)
{
	const struct report *r = &t->sh->r;
	const struct vfio_mdom_query *q = &r->st_full.q;

	/* Every mapping there, counted, translated, reaching its page */
	EXPECT_EQ(r->maps, q->num_mappings);
	EXPECT_EQ(r->maps * PG, q->mapped_bytes);
	EXPECT_EQ(r->maps, q->pinned_pages);
	EXPECT_EQ(r->vmlck_base + r->maps * (long)(PG >> 10), r->vmlck_full);
	EXPECT_EQ(r->maps, r->xlates_full);
	EXPECT_EQ(0, r->xlates_failed);
	EXPECT_EQ(0, r->dma[0]);
	EXPECT_EQ(0, r->dma[1]);
	EXPECT_EQ(0, r->dma[2]);
	/* DMA_AVAIL: the module's limit (1048576 by default), less these */
	EXPECT_EQ(t->limit, r->avail_start);
	EXPECT_EQ(t->limit - r->maps, r->avail_full);
	/* And all of it gone again */
	EXPECT_EQ(0, r->unmap_all);
	EXPECT_EQ(0, r->st_empty.q.num_mappings);
	EXPECT_EQ(0, r->st_empty.q.pinned_pages);
	EXPECT_EQ(r->vmlck_base, r->vmlck_empty);
	EXPECT_LE(0, r->kmem_base);
	EXPECT_GE(r->kmem_base + KMEM_SLACK, r->kmem_empty) {
		TH_LOG("kernel memory %lld -> %lld -> %lld bytes: not given back",
		       r->kmem_base, r->kmem_full, r->kmem_empty);
	}
	/* Charged as the mappings came: at least their struct each */
	EXPECT_LE(r->kmem_base + r->maps * 64, r->kmem_full);
	TH_LOG("%ld mappings: %lld bytes of kernel memory charged, %lld each",
	       r->maps, r->kmem_full - r->kmem_base,
	       r->maps ? (r->kmem_full - r->kmem_base) / r->maps : 0);
}

/* A process outside the cgroup maps @n mappings of mock 3.0 and unmaps */
static void map_outside(struct __test_metadata *_metadata,
			struct memcg_ctx *t, long n)
{
	int gfd, fd, ret = 0;
	uint8_t *buf;
	long i;

	buf = mmap(NULL, PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	gfd = vfio_open_group(t->outside.group);
	ASSERT_LE(0, gfd);
	fd = vfio_open_container();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vfio_attach(fd, gfd, true, VFIO_TYPE1v2_IOMMU));
	expect_backend_mdom(fd);
	for (i = 0; i < n && !ret; i++)
		ret = _vfio_map(fd, IOVA_BASE + i * PG, PG, buf, VFIO_RW);
	EXPECT_EQ(0, ret) TH_LOG("outside the cgroup, map %ld failed", i);
	vfio_unmap_all(fd);
	close(fd);
	close(gfd);
	munmap(buf, PG);
}

TEST_F_TIMEOUT(memcg, enomem_at_the_limit, MEMCG_TIMEOUT)
{
	struct memcg_ctx *t = &self->t;
	char max[32];
	pid_t pid;

	snprintf(max, sizeof(max), "%llu", MEMCG_LIMIT);
	make_cgroup(_metadata, t, max);
	pid = start_mapper(_metadata, t, MEMCG_MAX_MAPS);

	/* At the limit: ENOMEM, the process alive, no OOM in the cgroup */
	EXPECT_EQ(-ENOMEM, t->sh->r.map_err) {
		TH_LOG("map %ld: %s", t->sh->r.maps,
		       strerror(-t->sh->r.map_err));
	}
	EXPECT_LT(1000, t->sh->r.maps);
	EXPECT_GE(MEMCG_LIMIT, cg_read_ll(t->cg, "memory.current"));
	EXPECT_EQ(0, t->sh->r.remap) {
		TH_LOG("mapping again after an unmap: %s",
		       strerror(-t->sh->r.remap));
	}
	EXPECT_EQ(0, cg_key(t->cg, "memory.events", "oom"));
	EXPECT_EQ(0, cg_key(t->cg, "memory.events", "oom_kill"));
	EXPECT_LT(0, cg_key(t->cg, "memory.events", "max"));
	/* Outside the cgroup, the host maps on */
	map_outside(_metadata, t, OUTSIDE_MAPS);

	/* Room for the mapper to read the mock's dump, then finish */
	ASSERT_EQ(0, cg_write(t->cg, "memory.max", "max"));
	finish_mapper(_metadata, t, pid);
	check_report(_metadata, t);
	EXPECT_EQ(0, cg_key(t->cg, "memory.events", "oom_kill"));
}

TEST_F_TIMEOUT(memcg, far_more_without_the_limit, MEMCG_TIMEOUT)
{
	struct memcg_ctx *t = &self->t;
	long limited, want;
	char max[32];
	pid_t pid;

	/* How many fit under the limit */
	snprintf(max, sizeof(max), "%llu", MEMCG_LIMIT);
	make_cgroup(_metadata, t, max);
	pid = start_mapper(_metadata, t, MEMCG_MAX_MAPS);
	limited = t->sh->r.maps;
	EXPECT_EQ(-ENOMEM, t->sh->r.map_err);
	ASSERT_EQ(0, cg_write(t->cg, "memory.max", "max"));
	finish_mapper(_metadata, t, pid);
	ASSERT_EQ(0, remove_cgroup(t->cg));
	t->made = false;

	/* The same without memory.max: MEMCG_FAR_MORE times as many */
	want = limited * MEMCG_FAR_MORE;
	make_cgroup(_metadata, t, "max");
	pid = start_mapper(_metadata, t, want);
	EXPECT_EQ(0, t->sh->r.map_err) {
		TH_LOG("map %ld of %ld: %s", t->sh->r.maps, want,
		       strerror(-t->sh->r.map_err));
	}
	EXPECT_EQ(want, t->sh->r.maps);
	finish_mapper(_metadata, t, pid);
	check_report(_metadata, t);
	/* Charged as they grew: far beyond what the limit allowed */
	EXPECT_LT(MEMCG_LIMIT * (MEMCG_FAR_MORE - 2),
		  t->sh->r.kmem_full - t->sh->r.kmem_base);
	EXPECT_EQ(0, cg_key(t->cg, "memory.events", "oom"));
}

TEST_HARNESS_MAIN
