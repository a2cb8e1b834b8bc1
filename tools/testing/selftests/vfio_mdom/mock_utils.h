/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio-mdom selftest helpers: the mock IOMMU (drivers/mock_iommu) through
 * its debugfs directory, whose formats are documented at the top of
 * drivers/mock_iommu/main.c: instances, devices, domains with their
 * translations, counters, fault injection and device-side DMA.
 *
 * Functions return 0 (or a count) or a negative errno; none asserts.
 */
#ifndef _VFIO_MDOM_MOCK_UTILS_H
#define _VFIO_MDOM_MOCK_UTILS_H

#include "sys_utils.h"

#define MOCK_DEBUGFS		"/sys/kernel/debug/vfio_mdom_mock_iommu"
#define MOCK_SYSFS_BUS		"/sys/bus/vfio_mdom_mock/devices"
#define MOCK_MAX_DEVS		64
#define MOCK_MAX_INSTS		8

/* Translation permissions in the domains file */
#define MOCK_PROT_READ		0x1
#define MOCK_PROT_WRITE		0x2
#define MOCK_PROT_CACHE		0x4
#define MOCK_PROT_RW		(MOCK_PROT_READ | MOCK_PROT_WRITE)

static inline bool mock_loaded(void)
{
	return !access(MOCK_DEBUGFS "/devices", R_OK);
}

/* ---- instances and devices ------------------------------------------------ */

struct mock_inst {
	int inst;
	uint64_t pgsizes;
	uint64_t aperture_end;
	bool enforce_cc;
	bool isolated_msi;
	int devices;
};

/* Every instance into @out (room for @max); returns how many. */
static inline int mock_instances(struct mock_inst *out, int max)
{
	char text[4096], *line, *next;
	uint64_t v[6], start;
	ssize_t len;
	int n = 0;

	len = read_file(MOCK_DEBUGFS "/instances", text, sizeof(text));
	if (len < 0)
		return len;
	for (line = text; *line && n < max; line = next) {
		next = next_line(line);
		if (!kv_u64(line, "inst", &v[0]) ||
		    !kv_u64(line, "pgsizes", &v[1]) ||
		    !kv_range(line, "aperture", &start, &v[2]) ||
		    !kv_u64(line, "enforce_cc", &v[3]) ||
		    !kv_u64(line, "isolated_msi", &v[4]) ||
		    !kv_u64(line, "devices", &v[5]))
			return -EPROTO;
		out[n] = (struct mock_inst){
			.inst = v[0], .pgsizes = v[1], .aperture_end = v[2],
			.enforce_cc = v[3], .isolated_msi = v[4],
			.devices = v[5],
		};
		n++;
	}
	return n;
}

struct mock_dev {
	char name[64];
	int inst;
	int index;
	int group;		/* /dev/vfio/<group> */
	unsigned int domain;	/* mock domain attached now, 0: blocked */
};

/* Every device into @out (room for @max); returns how many. */
static inline int mock_devices(struct mock_dev *out, int max)
{
	char text[8192], *line, *next;
	uint64_t inst, idx, group, dom;
	ssize_t len;
	int n = 0;

	len = read_file(MOCK_DEBUGFS "/devices", text, sizeof(text));
	if (len < 0)
		return len;
	for (line = text; *line && n < max; line = next) {
		next = next_line(line);
		if (!kv_str(line, "dev", out[n].name, sizeof(out[n].name)) ||
		    !kv_u64(line, "inst", &inst) ||
		    !kv_u64(line, "index", &idx) ||
		    !kv_u64(line, "group", &group) ||
		    !kv_u64(line, "domain", &dom))
			return -EPROTO;
		out[n].inst = inst;
		out[n].index = idx;
		out[n].group = group;
		out[n].domain = dom;
		n++;
	}
	return n;
}

/* Device @index of instance @inst; -ENOENT if there is none. */
static inline int mock_find_dev(int inst, int index, struct mock_dev *out)
{
	struct mock_dev devs[MOCK_MAX_DEVS];
	int i, n = mock_devices(devs, MOCK_MAX_DEVS);

	for (i = 0; i < n; i++) {
		if (devs[i].inst == inst && devs[i].index == index) {
			*out = devs[i];
			return 0;
		}
	}
	return n < 0 ? n : -ENOENT;
}

/* The mock domain device @index of @inst is attached to (0: none). */
static inline unsigned int mock_dev_domain(int inst, int index)
{
	struct mock_dev d;

	return mock_find_dev(inst, index, &d) ? 0 : d.domain;
}

/* ---- domains and translations --------------------------------------------- */

struct mock_xlate {
	uint64_t iova;
	uint64_t phys;
	uint64_t size;
	unsigned int prot;
};

struct mock_domain {
	unsigned int id;
	int inst;
	uint64_t pgsizes;
	uint64_t aperture_start, aperture_end;
	bool enforce_cc;
	unsigned int attached;
	unsigned long translations;
	unsigned long flush_pending;
	unsigned long nx;		/* translations listed */
	struct mock_xlate *x;		/* into mock_dump::x */
};

#define MOCK_DUMP_DOMAINS	64

/*
 * Every live mock domain and its translations, from one read of the
 * domains file. Zero-initialise, fill with mock_dump_read() (as often as
 * needed), release with mock_dump_free().
 */
struct mock_dump {
	unsigned int ndomains;
	struct mock_domain d[MOCK_DUMP_DOMAINS];
	unsigned long nx, maxx;
	struct mock_xlate *x;
	char *text;
	size_t text_size;
};

static inline bool mock_parse_domain(const char *line, struct mock_domain *d)
{
	uint64_t id, inst, cc, att, tr, fp;

	memset(d, 0, sizeof(*d));
	if (strncmp(line, "domain ", 7) || !kv_u64(line, "domain", &id) ||
	    !kv_u64(line, "inst", &inst) ||
	    !kv_u64(line, "pgsizes", &d->pgsizes) ||
	    !kv_range(line, "aperture", &d->aperture_start,
		      &d->aperture_end) ||
	    !kv_u64(line, "enforce_cc", &cc) ||
	    !kv_u64(line, "attached", &att) ||
	    !kv_u64(line, "translations", &tr) ||
	    !kv_u64(line, "flush_pending", &fp))
		return false;
	d->id = id;
	d->inst = inst;
	d->enforce_cc = cc;
	d->attached = att;
	d->translations = tr;
	d->flush_pending = fp;
	return true;
}

static inline int mock_dump_add_xlate(struct mock_dump *dump,
				      const struct mock_xlate *x)
{
	if (dump->nx == dump->maxx) {
		unsigned long max = dump->maxx * 2 + 1024;
		struct mock_xlate *nx = realloc(dump->x, max * sizeof(*nx));

		if (!nx)
			return -ENOMEM;
		dump->x = nx;
		dump->maxx = max;
	}
	dump->x[dump->nx++] = *x;
	return 0;
}

static inline int mock_dump_read(struct mock_dump *dump)
{
	unsigned long k = 0;
	char *line, *next;
	unsigned int i;
	ssize_t len;

	for (;;) {
		if (!dump->text) {
			dump->text_size = dump->text_size ?: 1 << 20;
			dump->text = malloc(dump->text_size);
			if (!dump->text)
				return -ENOMEM;
		}
		len = read_file(MOCK_DEBUGFS "/domains", dump->text,
				dump->text_size);
		if (len != -E2BIG)
			break;
		free(dump->text);
		dump->text = NULL;
		dump->text_size *= 4;
	}
	if (len < 0)
		return len;
	dump->ndomains = 0;
	dump->nx = 0;
	for (line = dump->text; *line; line = next) {
		unsigned long long iova, phys, size;
		struct mock_xlate x;

		next = next_line(line);
		if (!strncmp(line, "domain ", 7)) {
			if (dump->ndomains == MOCK_DUMP_DOMAINS)
				return -E2BIG;
			if (!mock_parse_domain(line, &dump->d[dump->ndomains++]))
				return -EPROTO;
			continue;
		}
		if (!dump->ndomains ||
		    sscanf(line, " iova %llx phys %llx size %llx prot %x",
			   &iova, &phys, &size, &x.prot) != 4)
			return -EPROTO;
		x.iova = iova;
		x.phys = phys;
		x.size = size;
		if (mock_dump_add_xlate(dump, &x))
			return -ENOMEM;
		dump->d[dump->ndomains - 1].nx++;
	}
	/* Point each domain at its translations, now that x is final */
	for (i = 0; i < dump->ndomains; i++) {
		dump->d[i].x = dump->x + k;
		k += dump->d[i].nx;
	}
	return 0;
}

static inline void mock_dump_free(struct mock_dump *dump)
{
	free(dump->x);
	free(dump->text);
	memset(dump, 0, sizeof(*dump));
}

static inline struct mock_domain *mock_dump_domain(struct mock_dump *dump,
						   unsigned int id)
{
	unsigned int i;

	for (i = 0; i < dump->ndomains; i++)
		if (dump->d[i].id == id)
			return &dump->d[i];
	return NULL;
}

/* Number of live mock domains, or a negative errno. */
static inline int mock_nr_domains(void)
{
	struct mock_dump dump = {};
	int ret = mock_dump_read(&dump);

	if (!ret)
		ret = dump.ndomains;
	mock_dump_free(&dump);
	return ret;
}

/* What mock_domain_covers() found wrong */
#define MOCK_NO_DOMAIN		(-1)
#define MOCK_HOLE		(-2)
#define MOCK_BAD_PROT		(-3)
#define MOCK_BAD_PHYS		(-4)
#define MOCK_NO_PAGEMAP		(-5)

/*
 * Does mock domain @id translate every page of [@iova, +@size) to the
 * physical page of this process's memory at @vaddr + the same offset
 * (/proc/self/pagemap: needs root), with exactly the permissions @prot
 * (MOCK_PROT_*, IOMMU_CACHE included)? 0 or the MOCK_* code of the first
 * thing wrong.
 */
static inline int mock_domain_covers(unsigned int id, uint64_t iova,
				     uint64_t size, unsigned int prot,
				     const void *vaddr)
{
	size_t pg = page_size(), npages = size / pg, k;
	struct mock_dump dump = {};
	const struct mock_xlate *x;
	struct mock_domain *d;
	unsigned long i = 0;
	uint64_t *phys, a;
	int ret = 0;

	phys = calloc(npages ?: 1, sizeof(*phys));
	if (!phys || pagemap_phys(vaddr, npages, phys)) {
		free(phys);
		return MOCK_NO_PAGEMAP;
	}
	d = mock_dump_read(&dump) ? NULL : mock_dump_domain(&dump, id);
	if (!d)
		ret = MOCK_NO_DOMAIN;
	/* Translations are listed by IOVA */
	for (k = 0; !ret && k < npages; k++) {
		a = iova + k * pg;
		while (i < d->nx && d->x[i].iova + d->x[i].size <= a)
			i++;
		x = &d->x[i];
		if (i == d->nx || x->iova > a)
			ret = MOCK_HOLE;
		else if ((x->prot & (MOCK_PROT_RW | MOCK_PROT_CACHE)) != prot)
			ret = MOCK_BAD_PROT;
		else if (phys[k] == UINT64_MAX ||
			 x->phys + (a - x->iova) != phys[k])
			ret = MOCK_BAD_PHYS;
	}
	mock_dump_free(&dump);
	free(phys);
	return ret;
}

/* Translations of mock domain @id in [@iova, +@size): a count, or -errno */
static inline long mock_domain_xlates_in(unsigned int id, uint64_t iova,
					 uint64_t size)
{
	struct mock_dump dump = {};
	struct mock_domain *d;
	unsigned long i;
	long n = -ENOENT;

	d = mock_dump_read(&dump) ? NULL : mock_dump_domain(&dump, id);
	if (d) {
		n = 0;
		for (i = 0; i < d->nx; i++)
			n += d->x[i].iova < iova + size &&
			     d->x[i].iova + d->x[i].size > iova;
	}
	mock_dump_free(&dump);
	return n;
}

/* ---- counters ---------------------------------------------------------------- */

/*
 * The one list of the mock's counters (struct mock_iommu_counters): the
 * first MOCK_NR_ERRORS must never move while a correct IOMMU user drives
 * the mock, the two gauges come back to where they were when a user goes.
 */
enum mock_counter_id {
	MOCK_UNMAP_MISMATCH,
	MOCK_MAP_OVERLAP,
	MOCK_LEAKED_TRANSLATIONS,
	MOCK_UNSYNCED_UNMAPS,
	MOCK_FREED_ATTACHED,
	MOCK_RESV_MAPS,
	MOCK_DIRTY_UNMAP_RACES,
	MOCK_NR_ERRORS,
	MOCK_DOMAINS_LIVE = MOCK_NR_ERRORS,
	MOCK_TRANSLATIONS_LIVE,
	MOCK_DMA_FAULTS,
	MOCK_MAPS,
	MOCK_UNMAPS,
	MOCK_INJECTED_FAILURES,
	MOCK_NR_COUNTERS,
};

static const char * const mock_counter_names[MOCK_NR_COUNTERS] = {
	[MOCK_UNMAP_MISMATCH] = "unmap_mismatch",
	[MOCK_MAP_OVERLAP] = "map_overlap",
	[MOCK_LEAKED_TRANSLATIONS] = "leaked_translations",
	[MOCK_UNSYNCED_UNMAPS] = "unsynced_unmaps",
	[MOCK_FREED_ATTACHED] = "freed_attached",
	[MOCK_RESV_MAPS] = "resv_maps",
	[MOCK_DIRTY_UNMAP_RACES] = "dirty_unmap_races",
	[MOCK_DOMAINS_LIVE] = "domains_live",
	[MOCK_TRANSLATIONS_LIVE] = "translations_live",
	[MOCK_DMA_FAULTS] = "dma_faults",
	[MOCK_MAPS] = "maps",
	[MOCK_UNMAPS] = "unmaps",
	[MOCK_INJECTED_FAILURES] = "injected_failures",
};

struct mock_counters {
	long long v[MOCK_NR_COUNTERS];
};

/* Every counter of instance @inst, or summed over all for @inst < 0. */
static inline int mock_counters(int inst, struct mock_counters *c)
{
	char path[128], text[2048], *line, *next;
	unsigned int i;
	ssize_t len;

	if (inst < 0)
		snprintf(path, sizeof(path), MOCK_DEBUGFS "/counters");
	else
		snprintf(path, sizeof(path), MOCK_DEBUGFS "/inst%d/counters",
			 inst);
	for (i = 0; i < MOCK_NR_COUNTERS; i++)
		c->v[i] = -1;
	len = read_file(path, text, sizeof(text));
	if (len < 0)
		return len;
	for (line = text; *line; line = next) {
		uint64_t val;

		next = next_line(line);
		for (i = 0; i < MOCK_NR_COUNTERS; i++)
			if (kv_u64(line, mock_counter_names[i], &val))
				c->v[i] = val;
	}
	for (i = 0; i < MOCK_NR_COUNTERS; i++)
		if (c->v[i] < 0)
			return -EPROTO;
	return 0;
}

static inline long long mock_counter(enum mock_counter_id id, int inst)
{
	struct mock_counters c;
	int ret = mock_counters(inst, &c);

	return ret ? ret : c.v[id];
}

/*
 * The first error counter that moved from @before to @after, or -1, and
 * the same for the two gauges when @gauges. @allow_leaks lets
 * leaked_translations move (type1 frees domains still mapped).
 */
static inline int mock_counters_moved(const struct mock_counters *before,
				      const struct mock_counters *after,
				      bool gauges, bool allow_leaks)
{
	int i;

	for (i = 0; i < MOCK_NR_ERRORS; i++) {
		if (allow_leaks && i == MOCK_LEAKED_TRANSLATIONS)
			continue;
		if (before->v[i] != after->v[i])
			return i;
	}
	if (gauges) {
		if (before->v[MOCK_DOMAINS_LIVE] != after->v[MOCK_DOMAINS_LIVE])
			return MOCK_DOMAINS_LIVE;
		if (before->v[MOCK_TRANSLATIONS_LIVE] !=
		    after->v[MOCK_TRANSLATIONS_LIVE])
			return MOCK_TRANSLATIONS_LIVE;
	}
	return -1;
}

/* ---- fault injection --------------------------------------------------------- */

static inline int mock_inst_write(int inst, const char *file, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), MOCK_DEBUGFS "/inst%d/%s", inst, file);
	return write_file(path, val);
}

static inline int mock_inst_read(int inst, const char *file, char *buf,
				 size_t size)
{
	char path[128];

	snprintf(path, sizeof(path), MOCK_DEBUGFS "/inst%d/%s", inst, file);
	return read_line(path, buf, size);
}

/* The @nth map_pages() on a domain of @inst fails with @err (0: cancel). */
static inline int mock_fail_nth_map(int inst, unsigned int nth, int err)
{
	char val[64];

	snprintf(val, sizeof(val), "%u %d", nth, err);
	return mock_inst_write(inst, "fail_map", val);
}

/* The next domain allocation (or attach) of @inst fails with @err. */
static inline int mock_fail_domain_alloc(int inst, int err)
{
	char val[32];

	snprintf(val, sizeof(val), "%d", err);
	return mock_inst_write(inst, "fail_domain_alloc", val);
}

static inline int mock_fail_attach(int inst, int err)
{
	char val[32];

	snprintf(val, sizeof(val), "%d", err);
	return mock_inst_write(inst, "fail_attach", val);
}

/*
 * Hold the next unmap_pages() on a domain of @inst in flight (@on), or
 * release the one held and disarm (!@on).
 */
static inline int mock_hold_unmap(int inst, bool on)
{
	return mock_inst_write(inst, "hold_unmap", on ? "1" : "0");
}

/* 0: nothing armed, 1: armed, 2: an unmap_pages() is held; or -errno */
static inline int mock_hold_unmap_state(int inst)
{
	char buf[16];
	int ret = mock_inst_read(inst, "hold_unmap", buf, sizeof(buf));

	return ret < 0 ? ret : atoi(buf);
}

/* Every unmap_pages() on a domain of @inst sleeps @us in flight. */
static inline int mock_unmap_delay(int inst, unsigned int us)
{
	char val[16];

	snprintf(val, sizeof(val), "%u", us);
	return mock_inst_write(inst, "unmap_delay_us", val);
}

/* ---- device-side DMA ---------------------------------------------------------- */

/*
 * Device @name DMAs: writes @len bytes of @buf to memory at @iova
 * (@write_mem) or reads them. 0, -EIO for a translation fault, -EACCES
 * for a permission fault.
 */
static inline int mock_dma(const char *name, uint64_t iova, void *buf,
			   size_t len, bool write_mem)
{
	char path[160];
	ssize_t done;
	int fd, ret = 0;

	snprintf(path, sizeof(path), MOCK_DEBUGFS "/dev/%s/dma", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write_mem)
		done = pwrite(fd, buf, len, iova);
	else
		done = pread(fd, buf, len, iova);
	if (done < 0)
		ret = -errno;
	else if ((size_t)done != len)
		ret = -EIO;
	close(fd);
	return ret;
}

static inline int mock_dma_write(const char *name, uint64_t iova,
				 const void *buf, size_t len)
{
	return mock_dma(name, iova, (void *)buf, len, true);
}

static inline int mock_dma_read(const char *name, uint64_t iova, void *buf,
				size_t len)
{
	return mock_dma(name, iova, buf, len, false);
}

/* The device's last fault, "iova 0x.. reason R dir D domain N count C". */
static inline int mock_last_fault(const char *name, char *buf, size_t size)
{
	char path[160];

	snprintf(path, sizeof(path), MOCK_DEBUGFS "/dev/%s/last_fault", name);
	return read_line(path, buf, size);
}

/* ---- emulated (mdev-style) devices ---------------------------------------- */

/*
 * Emulated device N: VFIO device "vfio_mdom_emuN" in an emulated IOMMU
 * group, driven through emulated/emuN/ (drivers/mock_iommu/main.c). Its
 * pins and DMA need the device open (its group in a container with an
 * IOMMU set, the device fd open): ENOTCONN otherwise.
 */
#define MOCK_EMU_NAME		"vfio_mdom_emu"

static inline void mock_emu_path(char *path, size_t size, int emu,
				 const char *file)
{
	snprintf(path, size, MOCK_DEBUGFS "/emulated/emu%d/%s", emu, file);
}

/* The IOMMU group number of emulated device @emu, or a negative errno */
static inline int mock_emu_group(int emu)
{
	char path[128], buf[32];
	int ret;

	mock_emu_path(path, sizeof(path), emu, "group");
	ret = read_line(path, buf, sizeof(buf));
	return ret ? ret : atoi(buf);
}

/* vfio_pin_pages() of @npages from @iova, @prot "r", "w" or "rw" */
static inline int mock_emu_pin(int emu, uint64_t iova, unsigned int npages,
			       const char *prot)
{
	char path[128], cmd[96];

	mock_emu_path(path, sizeof(path), emu, "pin");
	snprintf(cmd, sizeof(cmd), "0x%llx %u %s", (unsigned long long)iova,
		 npages, prot);
	return write_file(path, cmd);
}

static inline int mock_emu_unpin(int emu, uint64_t iova, unsigned int npages)
{
	char path[128], cmd[96];

	mock_emu_path(path, sizeof(path), emu, "unpin");
	snprintf(cmd, sizeof(cmd), "0x%llx %u", (unsigned long long)iova,
		 npages);
	return write_file(path, cmd);
}

/* vfio_dma_rw(): the device writes @buf to (@write_mem) or reads @iova */
static inline int mock_emu_dma(int emu, uint64_t iova, void *buf, size_t len,
			       bool write_mem)
{
	char path[128];
	ssize_t done;
	int fd, ret = 0;

	mock_emu_path(path, sizeof(path), emu, "dma");
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	done = write_mem ? pwrite(fd, buf, len, iova) :
			   pread(fd, buf, len, iova);
	if (done < 0)
		ret = -errno;
	else if ((size_t)done != len)
		ret = -EIO;
	close(fd);
	return ret;
}

/* "open 0|1 pinned_pages N": *@open and *@pinned */
static inline int mock_emu_state(int emu, int *open_now, long *pinned)
{
	char path[128], buf[64];
	uint64_t o, p;
	int ret;

	mock_emu_path(path, sizeof(path), emu, "state");
	ret = read_line(path, buf, sizeof(buf));
	if (ret)
		return ret;
	if (!kv_u64(buf, "open", &o) || !kv_u64(buf, "pinned_pages", &p))
		return -EPROTO;
	*open_now = o;
	*pinned = p;
	return 0;
}

/*
 * The dma_unmap() calls VFIO made to emulated device @emu: how many since
 * the last reset, and the range of the last one (0, 0 for none).
 */
static inline long mock_emu_unmap_calls(int emu, uint64_t *iova,
					uint64_t *length)
{
	char path[128], text[2048], *line, *next;
	uint64_t calls = 0;
	ssize_t len;

	mock_emu_path(path, sizeof(path), emu, "unmap_calls");
	len = read_file(path, text, sizeof(text));
	if (len < 0)
		return len;
	*iova = 0;
	*length = 0;
	for (line = text; *line; line = next) {
		next = next_line(line);
		if (kv_u64(line, "calls", &calls))
			continue;
		if (!kv_u64(line, "iova", iova) ||
		    !kv_u64(line, "length", length))
			return -EPROTO;
	}
	return calls;
}

/*
 * Make emulated device @emu keep its pins through dma_unmap() (@keep), as
 * a broken driver, or let them go again.
 */
static inline int mock_emu_keep_on_unmap(int emu, bool keep)
{
	char path[128];

	mock_emu_path(path, sizeof(path), emu, "keep_on_unmap");
	return write_file(path, keep ? "Y" : "N");
}

static inline int mock_emu_reset_unmap_calls(int emu)
{
	char path[128];

	mock_emu_path(path, sizeof(path), emu, "unmap_calls");
	return write_file(path, "0");
}

/* ---- emulated devices: what they hold ------------------------------------- */

struct mock_emu_run {
	uint64_t iova;
	uint64_t npages;
	char prot[4];		/* "r", "w" or "rw" */
	uint64_t phys;		/* of the first page */
};

/*
 * The runs of pages emulated device @emu holds pinned (emulated/emuN/
 * pinned), up to @max into @out: how many there are, or a negative errno.
 */
static inline int mock_emu_pinned(int emu, struct mock_emu_run *out, int max)
{
	char path[128], text[8192], *line, *next;
	struct mock_emu_run r;
	ssize_t len;
	int n = 0;

	mock_emu_path(path, sizeof(path), emu, "pinned");
	len = read_file(path, text, sizeof(text));
	if (len < 0)
		return len;
	for (line = text; *line; line = next) {
		next = next_line(line);
		if (!kv_u64(line, "iova", &r.iova) ||
		    !kv_u64(line, "npages", &r.npages) ||
		    !kv_str(line, "prot", r.prot, sizeof(r.prot)) ||
		    !kv_u64(line, "phys", &r.phys))
			return -EPROTO;
		if (n < max)
			out[n] = r;
		n++;
	}
	return n;
}

/* ---- dirty tracking ---------------------------------------------------------- */

/*
 * Dirty tracking of mock domain @id: *@tracking (enabled now) and
 * *@capable (the domain has dirty_ops). -ENOENT if there is no such domain.
 */
static inline int mock_domain_dirty(unsigned int id, bool *tracking,
				    bool *capable)
{
	size_t size = 1 << 20;
	char *text, *line, *next;
	uint64_t v, t, c;
	ssize_t len;
	int ret = -ENOENT;

	text = malloc(size);
	if (!text)
		return -ENOMEM;
	len = read_file(MOCK_DEBUGFS "/domains", text, size);
	if (len < 0)
		ret = len;
	for (line = text; len >= 0 && *line; line = next) {
		next = next_line(line);
		if (strncmp(line, "domain ", 7) || !kv_u64(line, "domain", &v) ||
		    v != id)
			continue;
		ret = -EPROTO;
		if (kv_u64(line, "dirty_tracking", &t) &&
		    kv_u64(line, "dirty_capable", &c)) {
			*tracking = t;
			*capable = c;
			ret = 0;
		}
		break;
	}
	free(text);
	return ret;
}

#endif /* _VFIO_MDOM_MOCK_UTILS_H */
