// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom selftest: a page is charged once across every container of a
 * process (Documentation/vfio_mdom.rst, "Accounting").
 *
 * Two or three VFIO containers of this process, each with a mock IOMMU
 * group of its own, map one buffer whole, overlapping or partly, in
 * sequences of maps and unmaps. After every step a model says what must
 * be, and the test checks it:
 *
 *   - the process's locked_vm (VmLck): every mapping's pages while only
 *     one container pins pages (type1's rule), the distinct pages from the
 *     moment a second container pins pages until the process pins nothing;
 *   - each container's VFIO_MDOM_QUERY pinned_pages (its mappings' pages),
 *     shared_pages (those another mapping of this mm holds too, once the
 *     charge is per page) and locked_pages (the rest), and the same three
 *     figures on its line of vfio-mdom's debugfs;
 *   - the system's pinned pages: each mapping holds its own pins, one
 *     per page, however the account charges them.
 *
 * And: without CAP_IPC_LOCK, RLIMIT_MEMLOCK refuses only pages that are
 * new to the process; closing one container gives back only what no other
 * holds; two processes mapping the same shared memory are each charged for
 * what they map. (Exit, fork, exec and container fds passed to another
 * process are the lifecycle tests'.)
 *
 * Needs vfio_mdom.ko and the mock IOMMU; vfio-mdom's own rule, so not run
 * against type1 (VFIO_MDOM_TEST_BACKEND=type1).
 */
#include <sys/resource.h>
#include <sys/wait.h>

#include "mdom_test.h"

#define NR_CONT		3
#define BUF_PAGES	64
#define MAX_MAPS	16

/* The mock devices of the containers (instance, index), and the child's */
static const int cont_dev[NR_CONT][2] = { { 0, 0 }, { 3, 0 }, { 1, 0 } };
static const int child_dev[2] = { 0, 1 };

/* One mapping: @npages pages of the buffer from page @first, at @iova */
struct amap {
	int c;
	unsigned int first;
	unsigned int npages;
	uint64_t iova;
};

struct actx {
	bool ready;
	int fd[NR_CONT];	/* containers */
	int gfd[NR_CONT];	/* their groups */
	int group[NR_CONT];
	bool set[NR_CONT];	/* VFIO_SET_IOMMU done */
	uint8_t *buf;
	size_t pg;
	struct leak_mark mark;
	/* the model */
	unsigned int nmaps;
	struct amap maps[MAX_MAPS];
	bool indexed;		/* charged per page (two containers pinned) */
};

static void actx_setup(struct __test_metadata *_metadata, struct actx *t)
{
	struct mock_dev md;
	unsigned int i;

	t->pg = page_size();
	t->buf = MAP_FAILED;
	for (i = 0; i < NR_CONT; i++) {
		t->fd[i] = -1;
		t->gfd[i] = -1;
	}
	if (mdom_test_on_type1())
		SKIP(return, "vfio-mdom's charge-once rule: not type1's");
	if (!mdom_loaded())
		SKIP(return, "vfio_mdom.ko is not loaded");
	if (!mock_loaded())
		SKIP(return, "the mock IOMMU (vfio_mdom_mock_iommu) is not loaded");

	leak_mark(&t->mark);
	for (i = 0; i < NR_CONT; i++) {
		ASSERT_EQ(0, mock_find_dev(cont_dev[i][0], cont_dev[i][1], &md));
		t->group[i] = md.group;
		t->gfd[i] = vfio_open_group(md.group);
		ASSERT_LE(0, t->gfd[i]);
		t->fd[i] = vfio_open_container();
		ASSERT_LE(0, t->fd[i]);
		ASSERT_EQ(0, vfio_attach(t->fd[i], t->gfd[i], true,
					 VFIO_TYPE1v2_IOMMU));
		expect_backend_mdom(t->fd[i]);
		t->set[i] = true;
	}
	t->buf = mmap(NULL, BUF_PAGES * t->pg, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, t->buf);
	/* Every page present and its own: the pfns stay as they are */
	madvise(t->buf, BUF_PAGES * t->pg, MADV_NOHUGEPAGE);
	for (i = 0; i < BUF_PAGES; i++)
		memset(t->buf + i * t->pg, i + 1, t->pg);
	t->ready = true;
}

static void close_container(struct actx *t, unsigned int c)
{
	if (t->gfd[c] >= 0)
		close(t->gfd[c]);
	if (t->fd[c] >= 0)
		close(t->fd[c]);
	t->gfd[c] = -1;
	t->fd[c] = -1;
	t->set[c] = false;
}

static void actx_teardown(struct __test_metadata *_metadata, struct actx *t)
{
	unsigned int i;

	for (i = 0; i < NR_CONT; i++)
		close_container(t, i);
	if (t->buf != MAP_FAILED)
		munmap(t->buf, BUF_PAGES * t->pg);
	if (t->ready)
		expect_no_leak(&t->mark, false);
}

/* ---- the model --------------------------------------------------------- */

static void model_map(struct actx *t, const struct amap *m)
{
	unsigned int i;

	/* A second container pinning pages: the charge is per page now */
	for (i = 0; i < t->nmaps; i++)
		if (t->maps[i].c != m->c)
			t->indexed = true;
	t->maps[t->nmaps++] = *m;
}

static void model_del(struct actx *t, unsigned int i)
{
	t->maps[i] = t->maps[--t->nmaps];
	if (!t->nmaps)
		t->indexed = false;
}

static int model_find(struct actx *t, int c, uint64_t iova)
{
	unsigned int i;

	for (i = 0; i < t->nmaps; i++)
		if (t->maps[i].c == c && t->maps[i].iova == iova)
			return i;
	return -1;
}

struct expect {
	uint64_t charged;		/* pages charged to this mm */
	uint64_t pinned_total;		/* pages of all mappings */
	uint64_t pins;			/* the system's pins they hold */
	uint64_t mappings[NR_CONT];
	uint64_t pinned[NR_CONT];
	uint64_t shared[NR_CONT];
};

static void model_expect(struct actx *t, struct expect *e)
{
	unsigned int count[BUF_PAGES] = { 0 }, i, p;

	memset(e, 0, sizeof(*e));
	for (i = 0; i < t->nmaps; i++)
		for (p = 0; p < t->maps[i].npages; p++)
			count[t->maps[i].first + p]++;
	for (i = 0; i < t->nmaps; i++) {
		const struct amap *m = &t->maps[i];

		e->mappings[m->c]++;
		e->pinned[m->c] += m->npages;
		e->pinned_total += m->npages;
		for (p = 0; t->indexed && p < m->npages; p++)
			e->shared[m->c] += count[m->first + p] > 1;
	}
	/* Every mapping holds its own pins, indexed or not */
	e->pins = e->pinned_total;
	if (!t->indexed) {
		e->charged = e->pinned_total;
		return;
	}
	for (p = 0; p < BUF_PAGES; p++)
		e->charged += count[p] > 0;
}

/* The debugfs block of container @c: the one whose domain has its group */
static struct mdom_dbg_container *
dbg_of(struct actx *t, struct mdom_dbg_container *dbg, int n, unsigned int c)
{
	int i;

	for (i = 0; i < n; i++)
		if (dbg[i].ndomains == 1 &&
		    mdom_dbg_domain_has(&dbg[i].domains[0], t->group[c]))
			return &dbg[i];
	return NULL;
}

/*
 * Everything the model says, after step @what: VmLck, the system's pins,
 * each open container's query and debugfs figures.
 */
static void check_model(struct __test_metadata *_metadata, struct actx *t,
			const char *what)
{
	struct mdom_dbg_container dbg[NR_CONT + 1], *d;
	struct mdom_state st;
	struct expect e;
	unsigned int c;
	int n;

	model_expect(t, &e);
	EXPECT_EQ(t->mark.vmlck + (long)(e.charged * t->pg / 1024),
		  vmlck_kb()) {
		TH_LOG("%s: VmLck, model %llu pages charged (%s)", what,
		       (unsigned long long)e.charged,
		       t->indexed ? "per page" : "per mapping");
	}
	expect_pins(t->mark.pins + e.pins);
	n = mdom_dbg_containers(getpid(), dbg, ARRAY_SIZE(dbg));
	ASSERT_LE(0, n);
	for (c = 0; c < NR_CONT; c++) {
		if (!t->set[c])
			continue;
		mdom_query(t->fd[c], &st);
		EXPECT_EQ(e.mappings[c], st.q.num_mappings)
			TH_LOG("%s: container %u mappings", what, c);
		EXPECT_EQ(e.pinned[c], st.q.pinned_pages)
			TH_LOG("%s: container %u pinned_pages", what, c);
		EXPECT_EQ(e.shared[c], st.q.shared_pages)
			TH_LOG("%s: container %u shared_pages", what, c);
		EXPECT_EQ(e.pinned[c] - e.shared[c], st.q.locked_pages)
			TH_LOG("%s: container %u locked_pages", what, c);
		d = dbg_of(t, dbg, n, c);
		ASSERT_NE(NULL, d) TH_LOG("%s: container %u not in debugfs", what, c);
		EXPECT_EQ(st.q.num_mappings, d->mappings);
		EXPECT_EQ(st.q.pinned_pages, d->pinned_pages)
			TH_LOG("%s: container %u: debugfs pinned_pages", what, c);
		EXPECT_EQ(st.q.locked_pages, d->locked_pages)
			TH_LOG("%s: container %u: debugfs locked_pages", what, c);
		EXPECT_EQ(st.q.shared_pages, d->shared_pages)
			TH_LOG("%s: container %u: debugfs shared_pages", what, c);
	}
}

static int do_map(struct actx *t, const struct amap *m)
{
	int ret = _vfio_map(t->fd[m->c], m->iova, m->npages * t->pg,
			    t->buf + m->first * t->pg, VFIO_RW);

	if (!ret)
		model_map(t, m);
	return ret;
}

static void map_ok(struct __test_metadata *_metadata, struct actx *t,
		   int c, unsigned int first, unsigned int npages,
		   uint64_t iova)
{
	struct amap m = { c, first, npages, iova };
	char what[96];

	ASSERT_EQ(0, do_map(t, &m))
		TH_LOG("container %d: map pages %u-%u", c, first,
		       first + npages - 1);
	snprintf(what, sizeof(what), "container %d maps pages %u-%u", c,
		 first, first + npages - 1);
	check_model(_metadata, t, what);
}

static void unmap_ok(struct __test_metadata *_metadata, struct actx *t,
		     int c, uint64_t iova)
{
	int i = model_find(t, c, iova);
	char what[96];

	ASSERT_LE(0, i) TH_LOG("no mapping at 0x%llx", (unsigned long long)iova);
	vfio_unmap(t->fd[c], iova, t->maps[i].npages * t->pg);
	snprintf(what, sizeof(what), "container %d unmaps pages %u-%u", c,
		 t->maps[i].first, t->maps[i].first + t->maps[i].npages - 1);
	model_del(t, i);
	check_model(_metadata, t, what);
}

/* ---- sequences ------------------------------------------------------------ */

struct step {
	int c;			/* container; -1 ends the list */
	bool unmap;
	unsigned int first;
	unsigned int npages;
	uint64_t iova;
};

#define MAP(c_, first_, n_, iova_)	{ c_, false, first_, n_, iova_ }
#define UNMAP(c_, iova_)		{ c_, true, 0, 0, iova_ }
#define END				{ .c = -1 }

/* Sequences of maps and unmaps, checked step by step */
FIXTURE(acct)
{
	struct actx t;
};

FIXTURE_VARIANT(acct)
{
	const struct step *steps;
};

FIXTURE_SETUP(acct)
{
	actx_setup(_metadata, &self->t);
}

FIXTURE_TEARDOWN(acct)
{
	actx_teardown(_metadata, &self->t);
}

/* Two containers, the same 32 pages: each unmap leaves the other's */
static const struct step whole2[] = {
	MAP(0, 0, 32, SZ_1M), MAP(1, 0, 32, SZ_1M),
	UNMAP(0, SZ_1M), MAP(0, 0, 32, SZ_2M),
	UNMAP(1, SZ_1M), MAP(1, 0, 32, SZ_1M), UNMAP(0, SZ_2M),
	UNMAP(1, SZ_1M), END,
};

/* Two containers overlapping by half */
static const struct step overlap2[] = {
	MAP(0, 0, 32, SZ_1M), MAP(1, 16, 32, SZ_1M), MAP(1, 48, 16, SZ_2M),
	UNMAP(0, SZ_1M), MAP(0, 40, 16, SZ_1M), UNMAP(1, SZ_1M),
	UNMAP(1, SZ_2M), UNMAP(0, SZ_1M), END,
};

/* Parts: inside, straddling and outside the other container's range */
static const struct step partly2[] = {
	MAP(0, 8, 32, SZ_1M), MAP(1, 12, 4, SZ_1M), MAP(1, 36, 8, SZ_2M),
	MAP(1, 0, 4, 3 * SZ_1M), MAP(0, 0, 2, SZ_2M), UNMAP(0, SZ_1M),
	UNMAP(1, SZ_2M), MAP(0, 36, 8, 4 * SZ_1M), UNMAP(1, SZ_1M),
	UNMAP(1, 3 * SZ_1M), UNMAP(0, SZ_2M), UNMAP(0, 4 * SZ_1M), END,
};

/* Three containers, each overlapping the two others */
static const struct step three[] = {
	MAP(0, 0, 32, SZ_1M), MAP(1, 16, 32, SZ_1M), MAP(2, 8, 48, SZ_1M),
	MAP(2, 0, 8, SZ_2M), UNMAP(1, SZ_1M), UNMAP(0, SZ_1M),
	MAP(0, 0, 64, 8 * SZ_1M), MAP(1, 60, 4, SZ_2M), UNMAP(2, SZ_1M),
	UNMAP(0, 8 * SZ_1M), UNMAP(2, SZ_2M), UNMAP(1, SZ_2M), END,
};

/*
 * One container mapping pages twice is charged twice (type1's rule) until
 * a second container pins pages; from then on, even after that one has
 * gone, once, until the process pins nothing.
 */
static const struct step twice_then_once[] = {
	MAP(0, 0, 16, SZ_1M), MAP(0, 0, 16, SZ_2M), MAP(1, 32, 8, SZ_1M),
	UNMAP(1, SZ_1M), MAP(0, 8, 16, 3 * SZ_1M), UNMAP(0, SZ_1M),
	UNMAP(0, SZ_2M), UNMAP(0, 3 * SZ_1M), MAP(0, 0, 16, SZ_1M),
	MAP(0, 0, 16, SZ_2M), UNMAP(0, SZ_1M), UNMAP(0, SZ_2M), END,
};

FIXTURE_VARIANT_ADD(acct, whole)
{
	.steps = whole2,
};

FIXTURE_VARIANT_ADD(acct, overlapping)
{
	.steps = overlap2,
};

FIXTURE_VARIANT_ADD(acct, partly)
{
	.steps = partly2,
};

FIXTURE_VARIANT_ADD(acct, three_containers)
{
	.steps = three,
};

FIXTURE_VARIANT_ADD(acct, twice_then_once)
{
	.steps = twice_then_once,
};

/* The variant's steps, checked one by one against the model. */
TEST_F(acct, steps)
{
	struct actx *t = &self->t;
	const struct step *s;

	check_model(_metadata, t, "start");
	for (s = variant->steps; s->c >= 0; s++) {
		if (s->unmap)
			unmap_ok(_metadata, t, s->c, s->iova);
		else
			map_ok(_metadata, t, s->c, s->first, s->npages,
			       s->iova);
	}
	EXPECT_EQ(0, t->nmaps);
	EXPECT_EQ(t->mark.vmlck, vmlck_kb());
}

/* The rest: the same containers, one run each */
FIXTURE(charge)
{
	struct actx t;
};

FIXTURE_SETUP(charge)
{
	actx_setup(_metadata, &self->t);
}

FIXTURE_TEARDOWN(charge)
{
	actx_teardown(_metadata, &self->t);
}

/*
 * Without CAP_IPC_LOCK, RLIMIT_MEMLOCK counts what the process pins for
 * the first time only: a second container mapping pages the first holds
 * costs nothing, one new page past the limit is refused, and a refusal
 * leaves nothing pinned, charged or mapped.
 */
TEST_F(charge, memlock_counts_new_pages_only)
{
	struct actx *t = &self->t;
	struct amap m;
	struct rlimit rl;

	ASSERT_EQ(0, cap_drop_effective(CAP_IPC_LOCK));
	rl.rlim_cur = t->mark.vmlck * 1024 + 32 * t->pg;
	rl.rlim_max = RLIM_INFINITY;
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &rl));

	map_ok(_metadata, t, 0, 0, 32, SZ_1M);
	/* The same container twice: charged twice, as type1 does */
	m = (struct amap){ 0, 0, 1, SZ_2M };
	EXPECT_EQ(-ENOMEM, do_map(t, &m));
	check_model(_metadata, t, "refused: container 0 maps page 0 again");
	/* Another container: nothing new */
	map_ok(_metadata, t, 1, 0, 32, SZ_1M);
	map_ok(_metadata, t, 2, 8, 16, SZ_1M);
	/* Now per page: container 0's second mapping of page 0 is free */
	map_ok(_metadata, t, 0, 0, 1, SZ_2M);
	/* 16 new pages, one new page: refused, whole */
	m = (struct amap){ 1, 16, 32, SZ_2M };
	EXPECT_EQ(-ENOMEM, do_map(t, &m));
	check_model(_metadata, t, "refused: 16 new pages");
	m = (struct amap){ 2, 31, 2, SZ_2M };
	EXPECT_EQ(-ENOMEM, do_map(t, &m));
	check_model(_metadata, t, "refused: 1 new page");
	EXPECT_EQ(0, mock_domain_xlates_in(mock_dev_domain(cont_dev[2][0],
							   cont_dev[2][1]),
					   SZ_2M, 2 * t->pg));
	/* Room for 16 more */
	rl.rlim_cur += 16 * t->pg;
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &rl));
	map_ok(_metadata, t, 1, 16, 32, SZ_2M);
	m = (struct amap){ 2, 47, 2, SZ_2M };
	EXPECT_EQ(-ENOMEM, do_map(t, &m));
	/* An unmap that frees pages makes room again */
	unmap_ok(_metadata, t, 1, SZ_2M);
	map_ok(_metadata, t, 2, 47, 2, SZ_2M);

	unmap_ok(_metadata, t, 0, SZ_1M);
	unmap_ok(_metadata, t, 1, SZ_1M);
	unmap_ok(_metadata, t, 0, SZ_2M);
	unmap_ok(_metadata, t, 2, SZ_1M);
	unmap_ok(_metadata, t, 2, SZ_2M);
	EXPECT_EQ(t->mark.vmlck, vmlck_kb());
}

/* account.c's MDOM_ACCT_MAX_HOLDERS: most pins of a frame, indexed */
#define MAX_HOLDERS	4096

/*
 * One page mapped at 4096 IOVAs, alternately by two containers, at an
 * 8 MiB limit: the process is charged for one page; each mapping holds
 * its own pin, and the account bounds them: past MAX_HOLDERS pins of the
 * page a map is refused (2M pins would overflow a small folio's
 * refcount) and gives its pin back.
 */
TEST_F_TIMEOUT(charge, one_page_many_iovas, 300)
{
	const unsigned int nmaps = MAX_HOLDERS;
	struct actx *t = &self->t;
	struct rlimit rl;
	unsigned int i;
	uint64_t iova;

	ASSERT_EQ(0, cap_drop_effective(CAP_IPC_LOCK));
	rl.rlim_cur = t->mark.vmlck * 1024 + 8 * SZ_1M;
	rl.rlim_max = RLIM_INFINITY;
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &rl));

	for (i = 0; i < nmaps; i++) {
		iova = SZ_1G + (uint64_t)(i / 2) * t->pg;
		ASSERT_EQ(0, _vfio_map(t->fd[i % 2], iova, t->pg, t->buf,
				       VFIO_RW))
			TH_LOG("map %u of the page", i);
		if (i == 1 || i == nmaps - 1) {
			EXPECT_EQ(t->mark.vmlck + (long)(t->pg / 1024),
				  vmlck_kb()) TH_LOG("after map %u", i);
			expect_pins(t->mark.pins + i + 1);
		}
	}
	iova = SZ_1G + (uint64_t)nmaps / 2 * t->pg;
	EXPECT_EQ(-ENOMEM, _vfio_map(t->fd[0], iova, t->pg, t->buf, VFIO_RW));
	EXPECT_EQ(t->mark.vmlck + (long)(t->pg / 1024), vmlck_kb());
	expect_pins(t->mark.pins + nmaps);
	for (i = 0; i < 2; i++)
		vfio_unmap(t->fd[i], SZ_1G, (uint64_t)nmaps / 2 * t->pg);
	EXPECT_EQ(t->mark.vmlck, vmlck_kb());
	expect_pins(t->mark.pins);
}

/*
 * Closing a container (its group and fd, mappings and all) gives back
 * the charge of the pages no other container holds; the others' figures
 * follow (what they shared with it is theirs alone now).
 */
TEST_F(charge, close_one_container)
{
	struct actx *t = &self->t;
	unsigned int i;

	map_ok(_metadata, t, 0, 0, 32, SZ_1M);
	map_ok(_metadata, t, 0, 40, 8, SZ_2M);
	map_ok(_metadata, t, 1, 16, 32, SZ_1M);
	map_ok(_metadata, t, 2, 0, 4, SZ_1M);

	close_container(t, 0);
	for (i = 0; i < t->nmaps; )
		if (t->maps[i].c == 0)
			model_del(t, i);
		else
			i++;
	check_model(_metadata, t, "container 0 closed");
	close_container(t, 2);
	for (i = 0; i < t->nmaps; )
		if (t->maps[i].c == 2)
			model_del(t, i);
		else
			i++;
	check_model(_metadata, t, "container 2 closed");
	unmap_ok(_metadata, t, 1, SZ_1M);
}

/* What the child of two_processes reports */
struct child_report {
	int step;		/* 0: done, else the step that failed */
	int err;
	long vmlck_before, vmlck_after;
	struct mdom_state st;
};

/*
 * The child of two_processes: a container of its own maps @npages pages
 * of the shared memory @mem, reports, waits for the word on @go, exits.
 */
static void child_maps(struct actx *t, uint8_t *mem, unsigned int npages,
		       int report, int go)
{
	struct child_report r = { 0 };
	struct mock_dev md;
	int fd, gfd;
	char c;

	r.vmlck_before = vmlck_kb();
	r.step = 1;
	r.err = mock_find_dev(child_dev[0], child_dev[1], &md);
	gfd = r.err ? -1 : vfio_open_group(md.group);
	fd = vfio_open_container();
	if (!r.err && (gfd < 0 || fd < 0))
		r.err = gfd < 0 ? gfd : fd;
	if (!r.err) {
		r.step = 2;
		r.err = vfio_attach(fd, gfd, true, VFIO_TYPE1v2_IOMMU);
	}
	if (!r.err) {
		r.step = 3;
		r.err = _vfio_map(fd, SZ_1M, npages * t->pg, mem, VFIO_RW);
	}
	if (!r.err) {
		r.step = 4;
		r.err = _mdom_query(fd, &r.st);
	}
	if (!r.err)
		r.step = 0;
	r.vmlck_after = vmlck_kb();
	if (write(report, &r, sizeof(r)) != sizeof(r) ||
	    read(go, &c, 1) != 1)
		_exit(2);
	_exit(r.step ? 1 : 0);
}

/*
 * Two processes map the same shared memory, each from a container of its
 * own: each mm is charged for the pages it maps (nothing is shared across
 * mms), each container pins its own.
 */
TEST_F(charge, two_processes_shared_memory)
{
	struct actx *t = &self->t;
	const unsigned int npages = 32, child_pages = 24;
	struct mdom_dbg_container dbg[NR_CONT + 1];
	struct child_report r;
	int report[2], go[2], memfd, status, n;
	long parent_base = vmlck_kb();
	struct mdom_state st;
	uint8_t *mem;
	pid_t pid;

	memfd = memfd_create("vfio-mdom-shared", MFD_CLOEXEC);
	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, npages * t->pg));
	mem = mmap(NULL, npages * t->pg, PROT_READ | PROT_WRITE, MAP_SHARED,
		   memfd, 0);
	close(memfd);
	ASSERT_NE(MAP_FAILED, mem);
	memset(mem, 0x6b, npages * t->pg);
	ASSERT_EQ(0, pipe(report));
	ASSERT_EQ(0, pipe(go));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(report[0]);
		close(go[1]);
		child_maps(t, mem, child_pages, report[1], go[0]);
	}
	close(report[1]);
	close(go[0]);
	ASSERT_EQ(sizeof(r), read(report[0], &r, sizeof(r)));
	ASSERT_EQ(0, r.step) TH_LOG("child step %d: %s", r.step,
				    strerror(-r.err));

	/* This process maps pages 8..31: 16 of them the child maps too */
	ASSERT_EQ(0, _vfio_map(t->fd[0], SZ_1M, 24 * t->pg, mem + 8 * t->pg,
			       VFIO_RW));
	EXPECT_EQ(parent_base + (long)(24 * t->pg / 1024), vmlck_kb());
	EXPECT_EQ(r.vmlck_before + (long)(child_pages * t->pg / 1024),
		  r.vmlck_after);
	EXPECT_EQ(r.vmlck_after, vmlck_kb_of(pid));
	expect_pins(t->mark.pins + 24 + child_pages);
	EXPECT_EQ(child_pages, r.st.q.pinned_pages);
	EXPECT_EQ(child_pages, r.st.q.locked_pages);
	EXPECT_EQ(0, r.st.q.shared_pages);
	mdom_query(t->fd[0], &st);
	EXPECT_EQ(24, st.q.pinned_pages);
	EXPECT_EQ(24, st.q.locked_pages);
	EXPECT_EQ(0, st.q.shared_pages);
	n = mdom_dbg_containers(pid, dbg, ARRAY_SIZE(dbg));
	ASSERT_EQ(1, n);
	EXPECT_EQ(child_pages, dbg[0].locked_pages);
	EXPECT_EQ(0, dbg[0].shared_pages);

	/* The child goes: its charge and pins with it, ours stay */
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	close(report[0]);
	close(go[1]);
	EXPECT_EQ(0, mdom_dbg_containers(pid, NULL, 0));
	expect_pins(t->mark.pins + 24);
	EXPECT_EQ(parent_base + (long)(24 * t->pg / 1024), vmlck_kb());
	vfio_unmap(t->fd[0], SZ_1M, 24 * t->pg);
	EXPECT_EQ(parent_base, vmlck_kb());
	munmap(mem, npages * t->pg);
}

TEST_HARNESS_MAIN
