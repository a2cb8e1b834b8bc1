// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom selftest: many threads on several containers at once, for a
 * fixed time (VFIO_MDOM_STRESS_SECONDS, default 30), then everything
 * checked against a model.
 *
 *   C1   mock 0.0 for good; mock 0.1 (its domain), mock 1.0 (a domain of
 *        its own, replayed) and edu 0 (the Intel vIOMMU, replayed) come
 *        and go (a flapper thread)
 *        two mappers with a window each: map and unmap (type1 v2 rules)
 *        at random, each with an exact model of its window
 *        two mappers sharing a window: their maps and unmaps overlap and
 *        race (EEXIST, EINVAL for a cut mapping); a ledger of the bytes
 *        mapped and unmapped
 *        a reader: GET_INFO (whole capability chain), VFIO_MDOM_QUERY,
 *        CHECK_EXTENSION, and mock 0.0 DMA at random IOVAs of the windows,
 *        which must read the user's bytes whenever it does not fault
 *   C2   mock 3.0 for good; mock 1.1 comes and goes; a mapper on the
 *        shared window's IOVAs and memory (the same pages as C1's: the
 *        per-process account shares their charge) and a thread doing
 *        UNMAP_ALL now and then; a ledger
 *   C3   mock 2.1 for good (instance 2: MSIs not isolated, so
 *        allow_unsafe_interrupts is on for the test); a mapper
 *   C4   the emulated device for good, no IOMMU domain; a mapper, and a
 *        thread pinning, unpinning and reading pages through the
 *        emulated device (vfio_pin_pages(), vfio_dma_rw())
 *   C3, C4: two threads race to attach mock 2.0 to their container, over
 *        and over: exactly one wins each round. In C4 it brings the first
 *        domain, whose replay pins every mapping.
 *   C5   a thread opens a container, attaches mock 3.1, maps, attaches
 *        edu 1 (an Intel domain, replayed), checks, and closes it all
 *        again, in varying order, over and over.
 *
 * No group leaves a container while it is the container's last: VFIO
 * calls the IOMMU driver's ioctl without a lock against its release.
 *
 * At the end, every thread stopped and the flapping groups out: every
 * mock domain holds exactly what the models say (each page at the
 * physical address of the user's page), VFIO_MDOM_QUERY's mapped, pinned
 * and shared figures agree, locked_vm is the number of distinct pages
 * pinned, and mock 1.0 and edu 0, attached once more, get exactly the
 * same translations by replay (the Intel ones read from its page
 * table). Then everything goes and nothing is left pinned or charged.
 * The kernel log must stay clean (KASAN, lockdep): run.sh checks it.
 *
 * dirty_stress.bitmaps_against_unmaps (VFIO_MDOM_DIRTY_STRESS_SECONDS,
 * default 8): one container on mock 1.0 and 1.1, whose shared domain
 * tracks dirty pages, tracking started. On one window, two mappers map
 * and unmap at random, a third unmaps with
 * VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, two readers loop GET_BITMAP over
 * random ranges and the whole window, and mock 1.0 writes at random
 * pages. The mock keeps every unmap_pages() in flight a while
 * (unmap_delay_us) and counts a dirty bit read under one
 * (dirty_unmap_races): that must stay 0, as every other error counter.
 */
#include <pthread.h>
#include <stdarg.h>

#include "mdom_test.h"

#define WIN_PAGES		256
#define WIN_SIZE		(WIN_PAGES * PG)
#define MAX_MAP_PAGES		8
#define MAX_UNMAP_PAGES		16
#define STRESS_SECONDS		30

/* IOVAs of the windows, in every container below 4 GiB (instance 2) */
#define IOVA_D0			0x1000000ULL
#define IOVA_D1			0x2000000ULL
#define IOVA_OV			0x3000000ULL
#define IOVA_C3			0x1000000ULL
#define IOVA_C4			0x1000000ULL
#define IOVA_C5			0x100000ULL
#define C5_MAPS			4
#define C5_PAGES		4

enum { C1, C2, C3, C4, NR_CONT };

enum grp {
	M00, M01, M10, EDU0,	/* C1 */
	M30, M11,		/* C2 */
	M21,			/* C3 */
	EMU,			/* C4 */
	M20,			/* C3 and C4 race for it */
	M31, EDU1,		/* C5 */
	NR_GRP,
};

struct gdev {
	int group;
	bool edu, emu;
	int inst, idx;
	char name[64];
};

/* The memory behind a window: the IOVA -> user page function is fixed */
struct window {
	uint64_t iova;
	uint8_t *mem;
	uint64_t phys[WIN_PAGES];
};

enum win_id { W_D0, W_D1, W_OV, W_C3, W_C4, NR_WIN };

struct stress;
struct dstress;

struct thr {
	const char *name;
	struct stress *s;
	struct dstress *d;		/* a dirty stress thread's */
	pthread_t tid;
	void *(*fn)(void *arg);
	unsigned int seed;
	int cont;			/* container index */
	enum win_id win;
	/* an exact model of a window owned by one thread */
	int16_t start[WIN_PAGES];	/* first page of the mapping, or -1 */
	uint8_t len[WIN_PAGES];		/* at a first page: its pages */
	/* what it did */
	unsigned long ops[8];
	uint64_t last_ms, max_ms;	/* the longest round of its loop */
	unsigned long errors;
	char err[256];
};

/* Counters of struct thr::ops, by kind of thread */
enum {
	OP_MAP, OP_MAP_EEXIST, OP_UNMAP, OP_UNMAP_EINVAL, OP_UNMAP_ALL,
	OP_OTHER, OP_OTHER2, OP_OTHER3,
};

enum thr_id {
	T_D0, T_D1, T_OV1, T_OV2, T_READ, T_FLAP1,
	T_OVC2, T_ALLC2, T_FLAP2,
	T_C3, T_C4, T_EMU, T_RACE3, T_RACE4, T_CYCLE,
	NR_THR,
};

struct stress {
	size_t pg;
	int c[NR_CONT];
	int g[NR_GRP];
	bool in[NR_GRP];		/* attached to its container */
	struct gdev dev[NR_GRP];
	struct window w[NR_WIN];
	uint8_t *c5mem;
	int emu_fd;
	int stop;
	/* pages mapped and unmapped in the shared window, per container */
	unsigned long ledger_map[NR_CONT], ledger_unmap[NR_CONT];
	pthread_barrier_t race;
	int race_res[2];
	bool race_quit;
	struct thr t[NR_THR];
	struct params params;
	struct leak_mark mark;
	bool ready;
};

static bool stopping(struct stress *s)
{
	return __atomic_load_n(&s->stop, __ATOMIC_RELAXED);
}

/* Another round of a thread's loop, unless it is time to stop */
static bool next_op(struct thr *t)
{
	uint64_t now = now_ms();

	if (t->last_ms && now - t->last_ms > t->max_ms)
		t->max_ms = now - t->last_ms;
	t->last_ms = now;
	return !stopping(t->s);
}

static void __printf(2, 3) fail(struct thr *t, const char *fmt, ...)
{
	va_list ap;

	if (!t->errors++) {
		va_start(ap, fmt);
		vsnprintf(t->err, sizeof(t->err), fmt, ap);
		va_end(ap);
	}
}

static unsigned int rnd(struct thr *t, unsigned int n)
{
	return rand_r(&t->seed) % n;
}

/* The byte at @off of window @w's memory: tells window, page and offset */
static uint8_t win_byte(unsigned int w, size_t off)
{
	return (uint8_t)(w * 37 + (off >> 12) * 7 + (off & 0xfff) * 3 + 1);
}

static uint64_t win_iova(struct stress *s, enum win_id w, unsigned int page)
{
	return s->w[w].iova + page * PG;
}

static void *win_va(struct stress *s, enum win_id w, unsigned int page)
{
	return s->w[w].mem + page * PG;
}

/* ---- mappers with an exact model ------------------------------------------- */

static void model_init(struct thr *t)
{
	unsigned int i;

	for (i = 0; i < WIN_PAGES; i++)
		t->start[i] = -1;
}

/*
 * type1 v2's answer to an unmap of pages [@a, @b) of the model: -EINVAL if
 * a mapping is cut at either end, else the pages of the mappings inside.
 */
static long model_unmap(struct thr *t, unsigned int a, unsigned int b,
			bool apply)
{
	unsigned int i, n = 0;

	if (t->start[a] >= 0 && t->start[a] != (int)a)
		return -EINVAL;
	if (t->start[b - 1] >= 0 &&
	    t->start[b - 1] + t->len[t->start[b - 1]] > (int)b)
		return -EINVAL;
	for (i = a; i < b; i++) {
		if (t->start[i] < 0)
			continue;
		n++;
		if (apply)
			t->start[i] = -1;
	}
	return n;
}

static void model_map(struct thr *t, unsigned int a, unsigned int n)
{
	unsigned int i;

	for (i = a; i < a + n; i++)
		t->start[i] = a;
	t->len[a] = n;
}

static bool model_free(struct thr *t, unsigned int a, unsigned int n)
{
	unsigned int i;

	for (i = a; i < a + n; i++)
		if (t->start[i] >= 0)
			return false;
	return true;
}

static void *mapper_exact(void *arg)
{
	struct thr *t = arg;
	struct stress *s = t->s;
	int fd = s->c[t->cont];
	uint64_t unmapped;
	unsigned int a, n;
	long want;
	int ret;

	model_init(t);
	while (next_op(t)) {
		if (rnd(t, 2)) {
			n = 1 + rnd(t, MAX_MAP_PAGES);
			a = rnd(t, WIN_PAGES - n + 1);
			ret = _vfio_map(fd, win_iova(s, t->win, a), n * PG,
					win_va(s, t->win, a), VFIO_RW);
			want = model_free(t, a, n) ? 0 : -EEXIST;
			if (ret != want)
				fail(t, "map %u+%u: %s, not %s", a, n,
				     strerror(-ret), strerror(-want));
			if (!ret)
				model_map(t, a, n);
			t->ops[ret ? OP_MAP_EEXIST : OP_MAP]++;
			continue;
		}
		/* An existing mapping, or any range */
		a = rnd(t, WIN_PAGES);
		if (t->start[a] >= 0 && rnd(t, 4)) {
			a = t->start[a];
			n = t->len[a];
		} else {
			n = 1 + rnd(t, MAX_UNMAP_PAGES);
			if (a + n > WIN_PAGES)
				n = WIN_PAGES - a;
		}
		want = model_unmap(t, a, a + n, false);
		ret = _vfio_unmap(fd, win_iova(s, t->win, a), n * PG, 0,
				  &unmapped);
		if (want < 0 ? ret != -EINVAL :
			       ret || unmapped != (uint64_t)want * PG)
			fail(t, "unmap %u+%u: %s, %llu pages, not %ld", a, n,
			     strerror(-ret), ULL(unmapped / PG), want);
		if (!ret)
			model_unmap(t, a, a + n, true);
		t->ops[ret ? OP_UNMAP_EINVAL : OP_UNMAP]++;
	}
	return NULL;
}

/* ---- mappers racing on one window: a ledger --------------------------------- */

static void *mapper_shared(void *arg)
{
	struct thr *t = arg;
	struct stress *s = t->s;
	int fd = s->c[t->cont];
	uint64_t unmapped;
	unsigned int a, n;
	int ret;

	while (next_op(t)) {
		if (rnd(t, 2)) {
			n = 1 + rnd(t, MAX_MAP_PAGES);
			a = rnd(t, WIN_PAGES - n + 1);
			ret = _vfio_map(fd, win_iova(s, W_OV, a), n * PG,
					win_va(s, W_OV, a), VFIO_RW);
			if (!ret)
				__atomic_add_fetch(&s->ledger_map[t->cont], n,
						   __ATOMIC_RELAXED);
			else if (ret != -EEXIST)
				fail(t, "map %u+%u: %s", a, n, strerror(-ret));
			t->ops[ret ? OP_MAP_EEXIST : OP_MAP]++;
			continue;
		}
		n = 1 + rnd(t, MAX_UNMAP_PAGES);
		a = rnd(t, WIN_PAGES - n + 1);
		ret = _vfio_unmap(fd, win_iova(s, W_OV, a), n * PG, 0,
				  &unmapped);
		if (!ret && unmapped <= n * PG)
			__atomic_add_fetch(&s->ledger_unmap[t->cont],
					   unmapped / PG, __ATOMIC_RELAXED);
		else if (ret != -EINVAL)
			fail(t, "unmap %u+%u: %s, %llu bytes", a, n,
			     strerror(-ret), ULL(unmapped));
		t->ops[ret ? OP_UNMAP_EINVAL : OP_UNMAP]++;
	}
	return NULL;
}

/* C2: UNMAP_ALL every few milliseconds, and the query */
static void *unmap_all_thread(void *arg)
{
	struct thr *t = arg;
	struct stress *s = t->s;
	int fd = s->c[t->cont];
	struct mdom_state st;
	uint64_t unmapped;
	int ret;

	while (next_op(t)) {
		usleep(1000 * rnd(t, 20));
		ret = _vfio_unmap(fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &unmapped);
		if (ret)
			fail(t, "UNMAP_ALL: %s", strerror(-ret));
		else
			__atomic_add_fetch(&s->ledger_unmap[t->cont],
					   unmapped / PG, __ATOMIC_RELAXED);
		t->ops[OP_UNMAP_ALL]++;
		ret = _mdom_query(fd, &st);
		if (ret || st.q.mapped_bytes > WIN_SIZE ||
		    st.q.pinned_pages > WIN_PAGES)
			fail(t, "query: %s, 0x%llx bytes, %llu pinned",
			     strerror(-ret), ULL(st.q.mapped_bytes),
			     ULL(st.q.pinned_pages));
		t->ops[OP_OTHER]++;
	}
	return NULL;
}

/* ---- C1's reader ------------------------------------------------------------ */

/* Does GET_INFO's IOVA ranges include every window of C1? */
static bool info_has_windows(struct vfio_iommu_type1_info *info,
			     uint32_t len)
{
	struct vfio_iommu_type1_info_cap_iova_range *cap;
	struct vfio_info_cap_header *h;
	uint32_t i;

	h = vfio_info_cap(info, len, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	if (!h)
		return false;
	cap = (void *)h;
	for (i = 0; i < cap->nr_iovas; i++)
		if (cap->iova_ranges[i].start <= IOVA_D0 &&
		    cap->iova_ranges[i].end >= IOVA_OV + WIN_SIZE - 1)
			return true;
	return false;
}

static void *reader_thread(void *arg)
{
	static const enum win_id wins[] = { W_D0, W_D1, W_OV };
	struct thr *t = arg;
	struct stress *s = t->s;
	int fd = s->c[C1], ret;
	struct vfio_iommu_type1_info *info;
	struct mdom_state st;
	uint8_t got[64];
	unsigned int w, page, off, i;
	uint32_t len;

	while (next_op(t)) {
		ret = vfio_get_info_all(fd, &info, &len);
		if (ret) {
			fail(t, "GET_INFO: %s", strerror(-ret));
		} else {
			if (!(info->flags & VFIO_IOMMU_INFO_CAPS) ||
			    !(info->iova_pgsizes & PG) ||
			    !info_has_windows(info, len))
				fail(t, "GET_INFO: flags 0x%x pgsizes 0x%llx, or windows not valid",
				     info->flags, ULL(info->iova_pgsizes));
			free(info);
		}
		t->ops[OP_OTHER]++;
		ret = _mdom_query(fd, &st);
		if (ret || st.q.num_domains < 1 || st.q.num_domains > 3 ||
		    st.q.num_groups < 1 || st.q.num_groups > 4 ||
		    st.q.pinned_pages * PG != st.q.mapped_bytes)
			fail(t, "query: %s: %u domains %u groups, 0x%llx bytes %llu pinned",
			     strerror(-ret), st.q.num_domains, st.q.num_groups,
			     ULL(st.q.mapped_bytes), ULL(st.q.pinned_pages));
		if (vfio_check_extension(fd, VFIO_TYPE1v2_IOMMU) != 1)
			fail(t, "CHECK_EXTENSION(VFIO_TYPE1v2_IOMMU)");
		t->ops[OP_OTHER2]++;
		/* The device reads the user's bytes, or faults */
		for (i = 0; i < 4; i++) {
			w = wins[rnd(t, ARRAY_SIZE(wins))];
			page = rnd(t, WIN_PAGES);
			off = rnd(t, PG - sizeof(got));
			ret = mock_dma_read(s->dev[M00].name,
					    win_iova(s, w, page) + off, got,
					    sizeof(got));
			if (ret == -EIO)
				continue;
			if (ret)
				fail(t, "mock DMA read: %s", strerror(-ret));
			else if (memcmp(got, (uint8_t *)win_va(s, w, page) + off,
					sizeof(got)))
				fail(t, "mock DMA at 0x%llx read other bytes",
				     ULL(win_iova(s, w, page) + off));
			t->ops[OP_OTHER3]++;
		}
	}
	return NULL;
}

/* ---- groups coming and going -------------------------------------------------- */

struct flap {
	int cont;
	enum grp g[3];
	unsigned int n;
};

static const struct flap flaps[] = {
	[T_FLAP1] = { C1, { M01, M10, EDU0 }, 3 },
	[T_FLAP2] = { C2, { M11 }, 1 },
};

/* OP_OTHER counts attaches, OP_OTHER2 detaches */
static void *flapper_thread(void *arg)
{
	struct thr *t = arg;
	struct stress *s = t->s;
	const struct flap *f = &flaps[t - s->t];
	enum grp g;
	unsigned int i;
	int ret;

	while (next_op(t)) {
		g = f->g[rnd(t, f->n)];
		if (s->in[g]) {
			ret = _vfio_unset_container(s->g[g]);
			if (ret)
				fail(t, "UNSET_CONTAINER %s: %s",
				     s->dev[g].name, strerror(-ret));
			else
				s->in[g] = false;
			t->ops[OP_OTHER2]++;
		} else {
			ret = _vfio_set_container(s->g[g], s->c[f->cont]);
			if (ret)
				fail(t, "SET_CONTAINER %s: %s",
				     s->dev[g].name, strerror(-ret));
			else
				s->in[g] = true;
			t->ops[OP_OTHER]++;
		}
		usleep(1000 * rnd(t, 4));
	}
	for (i = 0; i < f->n; i++) {
		g = f->g[i];
		if (s->in[g] && !_vfio_unset_container(s->g[g]))
			s->in[g] = false;
	}
	return NULL;
}

/*
 * C3 against C4 for mock 2.0, in rounds: both try at once, one wins,
 * keeps it a moment and lets it go. OP_OTHER counts the wins, OP_OTHER2
 * the rounds.
 */
static void *racer_thread(void *arg)
{
	struct thr *t = arg;
	struct stress *s = t->s;
	int me = t->cont == C3 ? 0 : 1, ret;

	for (;;) {
		if (pthread_barrier_wait(&s->race) ==
		    PTHREAD_BARRIER_SERIAL_THREAD)
			s->race_quit = stopping(s);
		pthread_barrier_wait(&s->race);
		if (s->race_quit)
			break;
		ret = _vfio_set_container(s->g[M20], s->c[t->cont]);
		s->race_res[me] = ret;
		pthread_barrier_wait(&s->race);
		t->ops[OP_OTHER2]++;
		if (!ret) {
			t->ops[OP_OTHER]++;
			if (!s->race_res[!me])
				fail(t, "both containers got mock 2.0");
			usleep(1000 * rnd(t, 3));
			ret = _vfio_unset_container(s->g[M20]);
			if (ret)
				fail(t, "UNSET_CONTAINER mock 2.0: %s",
				     strerror(-ret));
		} else if (s->race_res[!me]) {
			if (me)
				fail(t, "neither container got mock 2.0: %s, %s",
				     strerror(-s->race_res[0]), strerror(-ret));
		} else if (ret != -EINVAL && ret != -EBUSY) {
			fail(t, "the loser got %s", strerror(-ret));
		}
	}
	return NULL;
}

/* ---- the emulated device of C4 ------------------------------------------------ */

/* OP_OTHER: pins, OP_OTHER2: unpins, OP_OTHER3: reads */
static void *emu_thread(void *arg)
{
	struct thr *t = arg;
	struct stress *s = t->s;
	struct { uint64_t iova; unsigned int n; } pins[16];
	unsigned int npins = 0, page, n, k, off;
	uint8_t got[64];
	int ret;

	while (next_op(t)) {
		switch (rnd(t, 3)) {
		case 0:
			if (npins == ARRAY_SIZE(pins))
				break;
			n = 1 + rnd(t, 4);
			page = rnd(t, WIN_PAGES - n + 1);
			ret = mock_emu_pin(0, win_iova(s, W_C4, page), n, "rw");
			if (!ret) {
				pins[npins].iova = win_iova(s, W_C4, page);
				pins[npins++].n = n;
			} else if (ret != -EINVAL) {
				fail(t, "pin %u+%u: %s", page, n,
				     strerror(-ret));
			}
			t->ops[OP_OTHER]++;
			break;
		case 1:
			if (!npins)
				break;
			k = rnd(t, npins);
			/* The mapper's unmap may have had it unpinned */
			mock_emu_unpin(0, pins[k].iova, pins[k].n);
			pins[k] = pins[--npins];
			t->ops[OP_OTHER2]++;
			break;
		default:
			page = rnd(t, WIN_PAGES);
			off = rnd(t, PG - sizeof(got));
			ret = mock_emu_dma(0, win_iova(s, W_C4, page) + off, got,
					   sizeof(got), false);
			if (!ret && memcmp(got, (uint8_t *)win_va(s, W_C4, page) +
					   off, sizeof(got)))
				fail(t, "emulated DMA at page %u read other bytes",
				     page);
			else if (ret && ret != -EINVAL)
				fail(t, "emulated DMA: %s", strerror(-ret));
			t->ops[OP_OTHER3]++;
			break;
		}
	}
	return NULL;
}

/* ---- C5: a container's whole life, over and over ------------------------------ */

static int cycle_once(struct thr *t, unsigned int k)
{
	struct stress *s = t->s;
	struct mdom_state st;
	unsigned int i;
	int fd, ret;

	for (i = 0; i < 2; i++) {
		enum grp g = i ? EDU1 : M31;

		if (s->g[g] < 0)
			s->g[g] = vfio_open_group(s->dev[g].group);
		if (s->g[g] < 0)
			return s->g[g];
	}
	fd = vfio_open_container();
	if (fd < 0)
		return fd;
	ret = vfio_attach(fd, s->g[M31], true, VFIO_TYPE1v2_IOMMU);
	for (i = 0; !ret && i < C5_MAPS; i++)
		ret = _vfio_map(fd, IOVA_C5 + i * SZ_1M, C5_PAGES * PG,
				s->c5mem + i * C5_PAGES * PG, VFIO_RW);
	if (!ret)
		ret = _vfio_set_container(s->g[EDU1], fd);
	if (!ret)
		ret = _mdom_query(fd, &st);
	if (!ret && (st.q.num_domains != 2 || st.q.num_mappings != C5_MAPS ||
		     st.q.pinned_pages != C5_MAPS * C5_PAGES))
		fail(t, "cycle %u: %u domains %u mappings %llu pinned", k,
		     st.q.num_domains, st.q.num_mappings,
		     ULL(st.q.pinned_pages));
	if (!ret && mock_domain_covers(mock_dev_domain(s->dev[M31].inst,
						       s->dev[M31].idx),
				       IOVA_C5, C5_PAGES * PG,
				       MOCK_PROT_RW | MOCK_PROT_CACHE,
				       s->c5mem))
		fail(t, "cycle %u: mock 3.1 does not translate", k);

	/* Three ways to let go of it all, with the mappings live */
	switch (k % 3) {
	case 0:
		close(fd);
		for (i = 0; i < 2; i++) {
			enum grp g = i ? EDU1 : M31;

			close(s->g[g]);
			s->g[g] = -1;
		}
		break;
	case 1:
		_vfio_unset_container(s->g[EDU1]);
		_vfio_unset_container(s->g[M31]);
		close(fd);
		break;
	default:
		for (i = 0; i < 2; i++) {
			enum grp g = i ? M31 : EDU1;

			close(s->g[g]);
			s->g[g] = -1;
		}
		close(fd);
		break;
	}
	return ret;
}

/* OP_OTHER: containers gone through */
static void *cycler_thread(void *arg)
{
	struct thr *t = arg;
	unsigned int k;
	int ret;

	for (k = 0; next_op(t); k++) {
		ret = cycle_once(t, k);
		if (ret)
			fail(t, "cycle %u: %s", k, strerror(-ret));
		t->ops[OP_OTHER]++;
	}
	return NULL;
}

/* ---- set-up --------------------------------------------------------------------- */

FIXTURE(stress)
{
	struct stress *s;
};

static int find_dev(struct stress *s, enum grp g, int inst, int idx)
{
	struct mock_dev md;
	int ret = mock_find_dev(inst, idx, &md);

	if (ret)
		return ret;
	s->dev[g].group = md.group;
	s->dev[g].inst = inst;
	s->dev[g].idx = idx;
	str_copy(s->dev[g].name, md.name, sizeof(s->dev[g].name));
	return 0;
}

static int find_devs(struct stress *s)
{
	static const int mock[][3] = {
		{ M00, 0, 0 }, { M01, 0, 1 }, { M10, 1, 0 }, { M11, 1, 1 },
		{ M20, 2, 0 }, { M21, 2, 1 }, { M30, 3, 0 }, { M31, 3, 1 },
	};
	struct edu_dev edu;
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(mock); i++) {
		ret = find_dev(s, mock[i][0], mock[i][1], mock[i][2]);
		if (ret)
			return ret;
	}
	for (i = 0; i < 2; i++) {
		enum grp g = i ? EDU1 : EDU0;

		ret = edu_find(i, &edu);
		if (ret)
			return ret;
		s->dev[g].edu = true;
		s->dev[g].group = edu.group;
		str_copy(s->dev[g].name, edu.bdf, sizeof(s->dev[g].name));
	}
	ret = mock_emu_group(0);
	if (ret < 0)
		return ret;
	s->dev[EMU].emu = true;
	s->dev[EMU].group = ret;
	str_copy(s->dev[EMU].name, MOCK_EMU_NAME "0", sizeof(s->dev[EMU].name));
	return 0;
}

/* Window memory: its own mmap, no huge page, filled, addresses read */
static int window_init(struct stress *s, enum win_id w, uint64_t iova)
{
	size_t off;

	s->w[w].iova = iova;
	s->w[w].mem = mmap(NULL, WIN_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->w[w].mem == MAP_FAILED) {
		s->w[w].mem = NULL;
		return -errno;
	}
	if (madvise(s->w[w].mem, WIN_SIZE, MADV_NOHUGEPAGE))
		return -errno;
	for (off = 0; off < WIN_SIZE; off++)
		s->w[w].mem[off] = win_byte(w, off);
	return 0;
}

FIXTURE_SETUP(stress)
{
	static const uint64_t iovas[NR_WIN] = {
		IOVA_D0, IOVA_D1, IOVA_OV, IOVA_C3, IOVA_C4,
	};
	static const enum grp first[NR_CONT] = { M00, M30, M21, EMU };
	struct stress *s;
	unsigned int i;

	s = calloc(1, sizeof(*s));
	ASSERT_NE(NULL, s);
	self->s = s;
	s->pg = page_size();
	s->emu_fd = -1;
	for (i = 0; i < NR_CONT; i++)
		s->c[i] = -1;
	for (i = 0; i < NR_GRP; i++)
		s->g[i] = -1;
	if (!mdom_loaded())
		SKIP(return, "vfio_mdom.ko is not loaded");
	if (!mock_loaded())
		SKIP(return, "the mock IOMMU (vfio_mdom_mock_iommu) is not loaded");
	if (edu_count() < 2)
		SKIP(return, "needs two edu devices bound to vfio-pci");
	ASSERT_EQ(0, find_devs(s));
	ASSERT_EQ(0, param_change(&s->params, MDOM_MOD,
				  "allow_unsafe_interrupts", "Y"));
	for (i = 0; i < NR_WIN; i++)
		ASSERT_EQ(0, window_init(s, i, iovas[i]));
	s->c5mem = mmap(NULL, C5_MAPS * C5_PAGES * PG, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, s->c5mem);

	leak_mark(&s->mark);
	s->ready = true;
	for (i = 0; i < NR_GRP; i++) {
		if (i == M31 || i == EDU1)
			continue;	/* the cycler's */
		s->g[i] = vfio_open_group(s->dev[i].group);
		ASSERT_LE(0, s->g[i]) TH_LOG("group of %s", s->dev[i].name);
	}
	for (i = 0; i < NR_CONT; i++) {
		s->c[i] = vfio_open_container();
		ASSERT_LE(0, s->c[i]);
		ASSERT_EQ(0, vfio_attach(s->c[i], s->g[first[i]], true,
					 VFIO_TYPE1v2_IOMMU));
		s->in[first[i]] = true;
		expect_backend_mdom(s->c[i]);
	}
	s->emu_fd = vfio_device_fd(s->g[EMU], s->dev[EMU].name);
	ASSERT_LE(0, s->emu_fd);
	ASSERT_EQ(0, pthread_barrier_init(&s->race, NULL, 2));
}

FIXTURE_TEARDOWN(stress)
{
	struct stress *s = self->s;
	unsigned int i;

	if (!s)
		return;
	if (s->emu_fd >= 0)
		close(s->emu_fd);
	for (i = 0; i < NR_GRP; i++)
		if (s->g[i] >= 0)
			close(s->g[i]);
	for (i = 0; i < NR_CONT; i++)
		if (s->c[i] >= 0)
			close(s->c[i]);
	for (i = 0; i < NR_WIN; i++)
		if (s->w[i].mem)
			munmap(s->w[i].mem, WIN_SIZE);
	if (s->c5mem && s->c5mem != MAP_FAILED)
		munmap(s->c5mem, C5_MAPS * C5_PAGES * PG);
	params_restore(&s->params);
	if (s->ready)
		expect_no_leak(&s->mark, false);
	free(s);
}

/* ---- the final checks ---------------------------------------------------------- */

/* Per page of a window: its physical address in a domain, or 0 */
struct win_view {
	uint64_t phys[WIN_PAGES];
	unsigned int mapped;
	unsigned int bad_prot;
	unsigned int outside;	/* translations outside every window */
};

/* Spread @n translations over the windows of a container's @wins */
static void view_add(struct stress *s, struct win_view *v,
		     const enum win_id *wins, unsigned int nwins,
		     uint64_t iova, uint64_t phys, uint64_t size, bool prot_ok)
{
	uint64_t off;
	unsigned int k;

	for (off = 0; off < size; off += PG) {
		for (k = 0; k < nwins; k++) {
			uint64_t base = s->w[wins[k]].iova;

			if (iova + off < base || iova + off >= base + WIN_SIZE)
				continue;
			v[k].phys[(iova + off - base) / PG] = phys + off;
			v[k].mapped++;
			if (!prot_ok)
				v[k].bad_prot++;
			break;
		}
		if (k == nwins)
			v[0].outside++;
	}
}

/* The view of mock domain @dom over @wins */
static int view_mock(struct stress *s, unsigned int dom, struct win_view *v,
		     const enum win_id *wins, unsigned int nwins)
{
	struct mock_dump dump = {};
	struct mock_domain *d;
	unsigned long i;
	int ret;

	memset(v, 0, nwins * sizeof(*v));
	ret = mock_dump_read(&dump);
	d = ret ? NULL : mock_dump_domain(&dump, dom);
	if (!d) {
		mock_dump_free(&dump);
		return ret ?: -ENOENT;
	}
	for (i = 0; i < d->nx; i++)
		view_add(s, v, wins, nwins, d->x[i].iova, d->x[i].phys,
			 d->x[i].size, (d->x[i].prot & (MOCK_PROT_RW |
							 MOCK_PROT_CACHE)) ==
				       (MOCK_PROT_RW | MOCK_PROT_CACHE));
	mock_dump_free(&dump);
	return 0;
}

/* The view of edu @g's Intel domain over @wins */
static int view_intel(struct stress *s, enum grp g, struct win_view *v,
		      const enum win_id *wins, unsigned int nwins)
{
	struct intel_pte *pt;
	long n, i;

	memset(v, 0, nwins * sizeof(*v));
	n = intel_pt_read(s->dev[g].name, &pt);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++)
		view_add(s, v, wins, nwins, pt[i].iova, pt[i].phys, pt[i].size,
			 (pt[i].val & (INTEL_PTE_READ | INTEL_PTE_WRITE)) ==
			 (INTEL_PTE_READ | INTEL_PTE_WRITE));
	free(pt);
	return 0;
}

/*
 * Every page of the view maps the window's own page with the permissions
 * expected; with a model owner @t, exactly the pages it says are mapped
 * are; @want (>= 0) pages are mapped.
 */
static void expect_view(struct __test_metadata *_metadata, struct stress *s,
			const char *what, const struct win_view *v,
			enum win_id w, const struct thr *t, long want)
{
	unsigned int i, wrong = 0, missing = 0, extra = 0;

	for (i = 0; i < WIN_PAGES; i++) {
		if (v->phys[i] && v->phys[i] != s->w[w].phys[i])
			wrong++;
		if (!t)
			continue;
		if (t->start[i] >= 0 && !v->phys[i])
			missing++;
		if (t->start[i] < 0 && v->phys[i])
			extra++;
	}
	EXPECT_EQ(0, wrong + missing + extra + v->bad_prot) {
		TH_LOG("%s, window %d: %u pages elsewhere, %u missing",
		       what, w, wrong, missing);
		TH_LOG("%u too many, %u with other permissions", extra,
		       v->bad_prot);
	}
	if (want >= 0)
		EXPECT_EQ(want, (long)v->mapped) TH_LOG("%s, window %d", what, w);
}

/* Pages of the model of @t */
static unsigned int model_pages(const struct thr *t)
{
	unsigned int i, n = 0;

	for (i = 0; i < WIN_PAGES; i++)
		n += t->start[i] >= 0;
	return n;
}

static void start_thread(struct __test_metadata *_metadata, struct stress *s,
			 enum thr_id id, const char *name,
			 void *(*fn)(void *), int cont, enum win_id win)
{
	struct thr *t = &s->t[id];

	t->name = name;
	t->s = s;
	t->fn = fn;
	t->cont = cont;
	t->win = win;
	t->seed = 0x5eed + id * 7919;
	ASSERT_EQ(0, pthread_create(&t->tid, NULL, fn, t));
}

TEST_F_TIMEOUT(stress, all_at_once, STRESS_SECONDS + 600)
{
	static const enum win_id c1_wins[] = { W_D0, W_D1, W_OV };
	static const enum win_id ov_win[] = { W_OV };
	static const enum win_id c3_win[] = { W_C3 };
	struct stress *s = self->s;
	struct win_view v1[3], v[3], vx[1];
	struct mdom_state st[NR_CONT];
	const char *env = getenv("VFIO_MDOM_STRESS_SECONDS");
	unsigned int secs = env ? atoi(env) : STRESS_SECONDS, i, k;
	unsigned long ov1, ov2, shared = 0, pages;
	uint64_t start = now_ms();
	long vmlck;

	start_thread(_metadata, s, T_D0, "C1 mapper, own window 0",
		     mapper_exact, C1, W_D0);
	start_thread(_metadata, s, T_D1, "C1 mapper, own window 1",
		     mapper_exact, C1, W_D1);
	start_thread(_metadata, s, T_OV1, "C1 mapper, shared window",
		     mapper_shared, C1, W_OV);
	start_thread(_metadata, s, T_OV2, "C1 mapper, shared window",
		     mapper_shared, C1, W_OV);
	start_thread(_metadata, s, T_READ, "C1 reader", reader_thread, C1,
		     W_OV);
	start_thread(_metadata, s, T_FLAP1, "C1 groups", flapper_thread, C1,
		     W_OV);
	start_thread(_metadata, s, T_OVC2, "C2 mapper, shared pages",
		     mapper_shared, C2, W_OV);
	start_thread(_metadata, s, T_ALLC2, "C2 UNMAP_ALL", unmap_all_thread,
		     C2, W_OV);
	start_thread(_metadata, s, T_FLAP2, "C2 groups", flapper_thread, C2,
		     W_OV);
	start_thread(_metadata, s, T_C3, "C3 mapper", mapper_exact, C3, W_C3);
	start_thread(_metadata, s, T_C4, "C4 mapper", mapper_exact, C4, W_C4);
	start_thread(_metadata, s, T_EMU, "C4 emulated device", emu_thread,
		     C4, W_C4);
	start_thread(_metadata, s, T_RACE3, "C3 racer", racer_thread, C3,
		     W_C3);
	start_thread(_metadata, s, T_RACE4, "C4 racer", racer_thread, C4,
		     W_C4);
	start_thread(_metadata, s, T_CYCLE, "C5 cycler", cycler_thread, C1,
		     W_D0);
	sleep(secs);
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < NR_THR; i++)
		ASSERT_EQ(0, pthread_join(s->t[i].tid, NULL));

	ksft_print_msg("%u threads for %u s (%llu ms with the joins)\n",
		       NR_THR, secs, ULL(now_ms() - start));
	ksft_print_msg("%s\n",
		       "per thread: maps done/EEXIST, unmaps done/EINVAL, UNMAP_ALL, its own counts (see its function), its longest round");
	for (i = 0; i < NR_THR; i++) {
		struct thr *t = &s->t[i];

		ksft_print_msg("%-26s map %lu/%lu unmap %lu/%lu all %lu %lu %lu %lu, %llums\n",
			       t->name, t->ops[OP_MAP], t->ops[OP_MAP_EEXIST],
			       t->ops[OP_UNMAP], t->ops[OP_UNMAP_EINVAL],
			       t->ops[OP_UNMAP_ALL], t->ops[OP_OTHER],
			       t->ops[OP_OTHER2], t->ops[OP_OTHER3],
			       ULL(t->max_ms));
		EXPECT_EQ(0, t->errors) {
			TH_LOG("%s: %lu errors, the first: %s", t->name,
			       t->errors, t->err);
		}
	}
	for (i = 0; i < NR_GRP; i++)
		EXPECT_FALSE(s->in[i] && i != M00 && i != M30 && i != M21 &&
			     i != EMU) TH_LOG("%s still attached", s->dev[i].name);

	/* Quiet now: the device lets go, the addresses are read again */
	close(s->emu_fd);
	s->emu_fd = -1;
	for (i = 0; i < NR_WIN; i++)
		ASSERT_EQ(0, pagemap_phys(s->w[i].mem, WIN_PAGES,
					  s->w[i].phys));
	for (i = 0; i < NR_CONT; i++)
		mdom_query(s->c[i], &st[i]);

	/* C1: the windows as the models say, in mock 0.0's domain */
	ASSERT_EQ(0, view_mock(s, mock_dev_domain(0, 0), v1, c1_wins, 3));
	EXPECT_EQ(0, v1[0].outside);
	ov1 = s->ledger_map[C1] - s->ledger_unmap[C1];
	expect_view(_metadata, s, "C1 mock 0.0", &v1[0], W_D0, &s->t[T_D0],
		    -1);
	expect_view(_metadata, s, "C1 mock 0.0", &v1[1], W_D1, &s->t[T_D1],
		    -1);
	expect_view(_metadata, s, "C1 mock 0.0", &v1[2], W_OV, NULL, ov1);
	pages = model_pages(&s->t[T_D0]) + model_pages(&s->t[T_D1]) + ov1;
	EXPECT_EQ(pages * PG, st[C1].q.mapped_bytes);
	EXPECT_EQ(pages, st[C1].q.pinned_pages);

	/* C2: the shared window's ledger, in mock 3.0's domain */
	ASSERT_EQ(0, view_mock(s, mock_dev_domain(3, 0), vx, ov_win, 1));
	EXPECT_EQ(0, vx[0].outside);
	ov2 = s->ledger_map[C2] - s->ledger_unmap[C2];
	expect_view(_metadata, s, "C2 mock 3.0", &vx[0], W_OV, NULL, ov2);
	EXPECT_EQ(ov2 * PG, st[C2].q.mapped_bytes);
	EXPECT_EQ(ov2, st[C2].q.pinned_pages);

	/* The pages both map: charged once, shared */
	for (i = 0; i < WIN_PAGES; i++)
		shared += v1[2].phys[i] && vx[0].phys[i];
	EXPECT_EQ(shared, st[C1].q.shared_pages);
	EXPECT_EQ(shared, st[C2].q.shared_pages);

	/* C3 in mock 2.1's domain; C4 has none, its figures only */
	ASSERT_EQ(0, view_mock(s, mock_dev_domain(2, 1), v, c3_win, 1));
	EXPECT_EQ(0, v[0].outside);
	expect_view(_metadata, s, "C3 mock 2.1", &v[0], W_C3, &s->t[T_C3], -1);
	EXPECT_EQ(model_pages(&s->t[T_C3]), st[C3].q.pinned_pages);
	EXPECT_EQ(model_pages(&s->t[T_C4]) * PG, st[C4].q.mapped_bytes);
	EXPECT_EQ(0, st[C4].q.num_domains);
	EXPECT_GE(model_pages(&s->t[T_C4]), st[C4].q.pinned_pages);

	/* locked_vm: every distinct page pinned, once */
	vmlck = vmlck_kb() - s->mark.vmlck;
	pages = model_pages(&s->t[T_D0]) + model_pages(&s->t[T_D1]) +
		ov1 + ov2 - shared + st[C3].q.pinned_pages +
		st[C4].q.pinned_pages;
	EXPECT_EQ((long)(pages * PG / 1024), vmlck);
	ksft_print_msg("at the end: C1 %u + %u + %lu pages, C2 %lu (%lu shared with C1)\n",
		       model_pages(&s->t[T_D0]), model_pages(&s->t[T_D1]), ov1,
		       ov2, shared);
	ksft_print_msg("            C3 %u, C4 %u (%llu pinned); %ld KiB locked\n",
		       model_pages(&s->t[T_C3]), model_pages(&s->t[T_C4]),
		       ULL(st[C4].q.pinned_pages), vmlck);

	/* A replay now gives mock 1.0 and edu 0 exactly the same */
	for (k = 0; k < 2; k++) {
		enum grp g = k ? EDU0 : M10;

		ASSERT_EQ(0, _vfio_set_container(s->g[g], s->c[C1]));
		if (k) {
			ASSERT_EQ(0, view_intel(s, EDU0, v, c1_wins, 3));
		} else {
			ASSERT_EQ(0, view_mock(s, mock_dev_domain(1, 0), v,
					       c1_wins, 3));
		}
		EXPECT_EQ(0, v[0].outside);
		for (i = 0; i < 3; i++)
			EXPECT_EQ(0, memcmp(v[i].phys, v1[i].phys,
					    sizeof(v[i].phys))) {
				TH_LOG("%s: window %u differs from mock 0.0's",
				       s->dev[g].name, i);
			}
		ASSERT_EQ(0, _vfio_unset_container(s->g[g]));
	}

	for (i = 0; i < NR_CONT; i++)
		vfio_unmap_all(s->c[i]);
}

/* ---- dirty bitmaps against unmaps ---------------------------------------------- */

#define DIRTY_SECONDS		8
#define DIRTY_INST		1
#define DIRTY_IOVA		0x1000000ULL
#define DIRTY_DELAY_US		200
#define DIRTY_MAX_READ_PAGES	64

enum dthr_id {
	D_MAP1, D_MAP2, D_UNMAP_BITMAP, D_READ1, D_READ2, D_DEV, NR_DTHR,
};

/* Counters of struct thr::ops of a dirty stress thread */
enum {
	DOP_OK, DOP_EINVAL, DOP_MAP, DOP_MAP_EEXIST, DOP_DIRTY_BITS,
};

struct dstress {
	int fd;
	int g[2];
	struct mock_dev dev[2];
	uint8_t *mem;
	int stop;
	bool delay_set;
	struct leak_mark mark;
	bool ready;
	struct thr t[NR_DTHR];
};

static bool dstopping(struct dstress *d)
{
	return __atomic_load_n(&d->stop, __ATOMIC_RELAXED);
}

static bool dnext_op(struct thr *t, struct dstress *d)
{
	uint64_t now = now_ms();

	if (t->last_ms && now - t->last_ms > t->max_ms)
		t->max_ms = now - t->last_ms;
	t->last_ms = now;
	return !dstopping(d);
}

/* Set bits of a bitmap of @npages pages; the word after it is a guard */
static unsigned int bits_checked(struct thr *t, const uint64_t *bm,
				 unsigned int npages, const char *what)
{
	unsigned int i, words = vfio_dirty_bitmap_bytes(npages) / 8, n = 0;

	for (i = 0; i < words; i++)
		n += __builtin_popcountll(bm[i]);
	if (npages % 64 && bm[words - 1] >> (npages % 64))
		fail(t, "%s: bits past page %u", what, npages);
	if (bm[words] != ~0ULL)
		fail(t, "%s: written past the bitmap", what);
	return n;
}

/* Two of these: map and unmap at random, no bitmap */
static void *dirty_mapper(void *arg)
{
	struct thr *t = arg;
	struct dstress *d = t->d;
	uint64_t unmapped;
	unsigned int a, n;
	int ret;

	while (dnext_op(t, d)) {
		if (rnd(t, 2)) {
			n = 1 + rnd(t, MAX_MAP_PAGES);
			a = rnd(t, WIN_PAGES - n + 1);
			ret = _vfio_map(d->fd, DIRTY_IOVA + a * PG, n * PG,
					d->mem + a * PG, VFIO_RW);
			if (ret && ret != -EEXIST)
				fail(t, "map %u+%u: %s", a, n, strerror(-ret));
			t->ops[ret ? DOP_MAP_EEXIST : DOP_MAP]++;
			continue;
		}
		n = 1 + rnd(t, MAX_UNMAP_PAGES);
		a = rnd(t, WIN_PAGES - n + 1);
		ret = _vfio_unmap(d->fd, DIRTY_IOVA + a * PG, n * PG, 0,
				  &unmapped);
		if (ret && ret != -EINVAL)
			fail(t, "unmap %u+%u: %s", a, n, strerror(-ret));
		t->ops[ret ? DOP_EINVAL : DOP_OK]++;
	}
	return NULL;
}

/* Unmap with VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP */
static void *dirty_unmapper(void *arg)
{
	struct thr *t = arg;
	struct dstress *d = t->d;
	uint64_t bm[MAX_UNMAP_PAGES / 64 + 2], unmapped;
	unsigned int a, n;
	int ret;

	while (dnext_op(t, d)) {
		n = 1 + rnd(t, MAX_UNMAP_PAGES);
		a = rnd(t, WIN_PAGES - n + 1);
		memset(bm, 0xff, sizeof(bm));
		memset(bm, 0, vfio_dirty_bitmap_bytes(n));
		ret = _vfio_unmap_dirty(d->fd, DIRTY_IOVA + a * PG, n * PG, PG,
					bm, vfio_dirty_bitmap_bytes(n),
					&unmapped);
		if (ret && ret != -EINVAL)
			fail(t, "unmap %u+%u with a bitmap: %s", a, n,
			     strerror(-ret));
		if (!ret)
			t->ops[DOP_DIRTY_BITS] += bits_checked(t, bm, n,
							       "unmap bitmap");
		t->ops[ret ? DOP_EINVAL : DOP_OK]++;
	}
	return NULL;
}

/* GET_BITMAP of random ranges, and of the whole window now and then */
static void *dirty_reader(void *arg)
{
	struct thr *t = arg;
	struct dstress *d = t->d;
	uint64_t bm[WIN_PAGES / 64 + 1];
	unsigned int a, n;
	int ret;

	while (dnext_op(t, d)) {
		if (!rnd(t, 8)) {
			a = 0;
			n = WIN_PAGES;
		} else {
			n = 1 + rnd(t, DIRTY_MAX_READ_PAGES);
			a = rnd(t, WIN_PAGES - n + 1);
		}
		memset(bm, 0xff, sizeof(bm));
		memset(bm, 0, vfio_dirty_bitmap_bytes(n));
		ret = _vfio_dirty_get(d->fd, DIRTY_IOVA + a * PG, n * PG, PG,
				      bm, vfio_dirty_bitmap_bytes(n));
		if (ret && ret != -EINVAL)
			fail(t, "GET_BITMAP %u+%u: %s", a, n, strerror(-ret));
		if (!ret)
			t->ops[DOP_DIRTY_BITS] += bits_checked(t, bm, n,
							       "GET_BITMAP");
		t->ops[ret ? DOP_EINVAL : DOP_OK]++;
	}
	return NULL;
}

/* Mock 1.0 writes 8 bytes to random pages: DOP_OK done, DOP_EINVAL faulted */
static void *dirty_device(void *arg)
{
	struct thr *t = arg;
	struct dstress *d = t->d;
	uint8_t data[8];
	unsigned int page;
	int ret;

	while (dnext_op(t, d)) {
		page = rnd(t, WIN_PAGES);
		memcpy(data, d->mem + page * PG, sizeof(data));
		ret = mock_dma_write(d->dev[0].name, DIRTY_IOVA + page * PG,
				     data, sizeof(data));
		if (ret && ret != -EIO)
			fail(t, "mock 1.0 writes page %u: %s", page,
			     strerror(-ret));
		t->ops[ret ? DOP_EINVAL : DOP_OK]++;
	}
	return NULL;
}

FIXTURE(dirty_stress)
{
	struct dstress *d;
};

FIXTURE_SETUP(dirty_stress)
{
	struct dstress *d;
	unsigned int i;

	d = calloc(1, sizeof(*d));
	ASSERT_NE(NULL, d);
	self->d = d;
	d->fd = -1;
	d->g[0] = -1;
	d->g[1] = -1;
	d->mem = MAP_FAILED;
	if (mdom_test_on_type1())
		SKIP(return, "type1 has no IOMMU dirty tracking");
	if (!mdom_loaded())
		SKIP(return, "vfio_mdom.ko is not loaded");
	if (!mock_loaded())
		SKIP(return, "the mock IOMMU (vfio_mdom_mock_iommu) is not loaded");

	d->mem = mmap(NULL, WIN_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, d->mem);
	leak_mark(&d->mark);
	d->ready = true;
	d->fd = vfio_open_container();
	ASSERT_LE(0, d->fd);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, mock_find_dev(DIRTY_INST, i, &d->dev[i]));
		d->g[i] = vfio_open_group(d->dev[i].group);
		ASSERT_LE(0, d->g[i]);
		ASSERT_EQ(0, vfio_attach(d->fd, d->g[i], !i,
					 VFIO_TYPE1v2_IOMMU));
	}
	expect_backend_mdom(d->fd);
	ASSERT_EQ(0, mock_unmap_delay(DIRTY_INST, DIRTY_DELAY_US));
	d->delay_set = true;
}

FIXTURE_TEARDOWN(dirty_stress)
{
	struct dstress *d = self->d;
	unsigned int i;

	if (!d)
		return;
	if (d->delay_set)
		mock_unmap_delay(DIRTY_INST, 0);
	if (d->fd >= 0)
		close(d->fd);
	for (i = 0; i < 2; i++)
		if (d->g[i] >= 0)
			close(d->g[i]);
	if (d->mem != MAP_FAILED)
		munmap(d->mem, WIN_SIZE);
	if (d->ready)
		expect_no_leak(&d->mark, false);
	free(d);
}

TEST_F_TIMEOUT(dirty_stress, bitmaps_against_unmaps, DIRTY_SECONDS + 300)
{
	static const char * const names[NR_DTHR] = {
		[D_MAP1] = "mapper 1", [D_MAP2] = "mapper 2",
		[D_UNMAP_BITMAP] = "unmapper with bitmap",
		[D_READ1] = "GET_BITMAP 1", [D_READ2] = "GET_BITMAP 2",
		[D_DEV] = "mock 1.0 writes",
	};
	static void *(*const fns[NR_DTHR])(void *) = {
		[D_MAP1] = dirty_mapper, [D_MAP2] = dirty_mapper,
		[D_UNMAP_BITMAP] = dirty_unmapper,
		[D_READ1] = dirty_reader, [D_READ2] = dirty_reader,
		[D_DEV] = dirty_device,
	};
	struct dstress *d = self->d;
	const char *env = getenv("VFIO_MDOM_DIRTY_STRESS_SECONDS");
	unsigned int secs = env ? atoi(env) : DIRTY_SECONDS, i;
	struct mock_counters c0, c1;
	struct mdom_state st;
	uint64_t unmaps;
	int moved;

	vfio_dirty_start(d->fd);
	mdom_query(d->fd, &st);
	ASSERT_EQ(VFIO_MDOM_DIRTY_IOMMU, st.q.dirty_mode);
	ASSERT_EQ(0, mock_counters(DIRTY_INST, &c0));
	for (i = 0; i < NR_DTHR; i++) {
		struct thr *t = &d->t[i];

		t->name = names[i];
		t->d = d;
		t->seed = 0xd1e7 + i * 7919;
		ASSERT_EQ(0, pthread_create(&t->tid, NULL, fns[i], t));
	}
	sleep(secs);
	__atomic_store_n(&d->stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < NR_DTHR; i++)
		ASSERT_EQ(0, pthread_join(d->t[i].tid, NULL));
	ASSERT_EQ(0, mock_counters(DIRTY_INST, &c1));

	ksft_print_msg("%u threads for %u s\n", NR_DTHR, secs);
	ksft_print_msg("%s\n",
		       "per thread: done/EINVAL (maps done/EEXIST), dirty bits read, longest round");
	for (i = 0; i < NR_DTHR; i++) {
		struct thr *t = &d->t[i];

		ksft_print_msg("%-22s %lu/%lu (%lu/%lu) bits %lu, %llums\n",
			       t->name, t->ops[DOP_OK], t->ops[DOP_EINVAL],
			       t->ops[DOP_MAP], t->ops[DOP_MAP_EEXIST],
			       t->ops[DOP_DIRTY_BITS], ULL(t->max_ms));
		EXPECT_EQ(0, t->errors) {
			TH_LOG("%s: %lu errors, the first: %s", t->name,
			       t->errors, t->err);
		}
	}
	unmaps = c1.v[MOCK_IOMMU_CNT_UNMAPS] - c0.v[MOCK_IOMMU_CNT_UNMAPS];
	ksft_print_msg("mock instance %d: %llu unmap_pages(), %lld reads under an unmap\n",
		       DIRTY_INST, ULL(unmaps),
		       c1.v[MOCK_IOMMU_CNT_DIRTY_UNMAP_RACES] -
		       c0.v[MOCK_IOMMU_CNT_DIRTY_UNMAP_RACES]);
	EXPECT_EQ(c0.v[MOCK_IOMMU_CNT_DIRTY_UNMAP_RACES], c1.v[MOCK_IOMMU_CNT_DIRTY_UNMAP_RACES])
		TH_LOG("dirty bits read under an unmap_pages() in flight");
	moved = mock_counters_moved(&c0, &c1, false, false);
	EXPECT_EQ(-1, moved) TH_LOG("mock counter %s moved",
				    moved < 0 ? "" : mock_counter_name(moved));
	EXPECT_LT(0, unmaps);
	EXPECT_LT(0, d->t[D_READ1].ops[DOP_OK] + d->t[D_READ2].ops[DOP_OK]);
	mdom_query(d->fd, &st);
	EXPECT_EQ(VFIO_MDOM_DIRTY_IOMMU, st.q.dirty_mode);
	vfio_dirty_stop(d->fd);
	vfio_unmap_all(d->fd);
}

TEST_HARNESS_MAIN
