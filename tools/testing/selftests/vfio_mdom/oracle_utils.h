/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's vfio_iommu_type1 as a test oracle for vfio-mdom.
 *
 * Two "sides" play the same operations in lock step: side 0 is a VFIO
 * container (/dev/vfio/vfio, VFIO_GROUP_SET_CONTAINER, VFIO_SET_IOMMU)
 * driven by vfio_iommu_type1, side 1 a /dev/vfio-mdom container. Each side
 * has its own devices of the same kinds: edu device N behind the Intel
 * vIOMMU and device N of each mock IOMMU instance, N being the side. Both
 * map the same process memory, so the mock domains of the two sides must
 * hold the very same translations (same IOVA, physical address, page size
 * and permissions), which is checked through the mock's debugfs, along with
 * every answer: errno, unmapped size, CHECK_EXTENSION, GET_INFO (flags,
 * iova_pgsizes, IOVA ranges, DMA_AVAIL, how much argsz it needs).
 *
 * A model of the mappings (what the user mapped and, by type1's rules,
 * unmapped) says what the mock domains must hold, page by page, with the
 * physical address of each page read from /proc/self/pagemap.
 *
 * Differences are classified: none, one of the intended divergences listed
 * in oracle_divergences[] (each documented with its reason in
 * Documentation/type1_divergences.rst), or unexpected, which fails the
 * test. The intended list is the only place where the sides may differ.
 */
#ifndef _ORACLE_UTILS_H
#define _ORACLE_UTILS_H

#include <inttypes.h>
#include <stdarg.h>
#include <linux/vfio.h>

#include "vfio_mdom_utils.h"

#ifndef offsetofend
#define offsetofend(TYPE, MEMBER) \
	(offsetof(TYPE, MEMBER) + sizeof(((TYPE *)0)->MEMBER))
#endif

#define ORACLE_PG		4096ULL
#define ORACLE_TYPE1		0
#define ORACLE_MDOM		1
#define ORACLE_SIDES		2

/* The groups of one side: an edu device and one device per mock instance */
#define ORACLE_EDU		0
#define ORACLE_MOCK(inst)	(1 + (inst))
#define ORACLE_NR_MOCK		4
#define ORACLE_NR_GROUPS	(1 + ORACLE_NR_MOCK)

#define ORACLE_MAX_MAPS		4096
#define ORACLE_MAX_RANGES	32

/* Process memory the mappings come from */
#define ORACLE_POOL_SIZE	(8 * SZ_2M)
#define ORACLE_RO_SIZE		(16 * ORACLE_PG)

#define T1_UNSAFE	"/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts"
#define T1_LIMIT	"/sys/module/vfio_iommu_type1/parameters/dma_entry_limit"
#define MDOM_UNSAFE	"/sys/module/vfio_mdom/parameters/allow_unsafe_interrupts"
#define MDOM_LIMIT	"/sys/module/vfio_mdom/parameters/dma_entry_limit"

/* ---- the intended divergences -------------------------------------------- */

enum oracle_div {
	DIV_NONE = -1,
	DIV_SET_IOMMU_WITHOUT_GROUP,
	DIV_LAST_DETACH_KEEPS_MAPPINGS,
	DIV_NO_IOMMU_YET,
	DIV_EXTENSIONS,
	DIV_SET_IOMMU_NESTING,
	DIV_VADDR,
	DIV_NO_MIGRATION_CAP,
	DIV_UNMAP_TOP_OF_SPACE,
	DIV_GROUP_ERRNO,
	DIV_DIRTY_PAGES,
	DIV_UNKNOWN_IOCTL,
	DIV_UNMAP_ON_DOMAIN_FREE,
	DIV_IOMMU_CACHE,
	DIV_NR,
	DIV_UNEXPECTED = 1000,
};

struct oracle_divergence {
	const char *name;	/* as in Documentation/type1_divergences.rst */
	const char *what;
};

static const struct oracle_divergence oracle_divergences[DIV_NR] = {
	[DIV_SET_IOMMU_WITHOUT_GROUP] = {
		"set-iommu-without-group",
		"VFIO_SET_IOMMU before any group: type1 EINVAL, vfio-mdom answers as with one",
	},
	[DIV_LAST_DETACH_KEEPS_MAPPINGS] = {
		"last-detach-keeps-mappings",
		"detaching the last group: type1 drops every mapping and its IOMMU, vfio-mdom keeps them",
	},
	[DIV_NO_IOMMU_YET] = {
		"no-group-still-a-container",
		"with no group left, type1 answers EINVAL to every IOMMU ioctl, vfio-mdom still serves them",
	},
	[DIV_EXTENSIONS] = {
		"extensions",
		"CHECK_EXTENSION(TYPE1_NESTING, UPDATE_VADDR): type1 1, vfio-mdom 0",
	},
	[DIV_SET_IOMMU_NESTING] = {
		"set-iommu-nesting",
		"VFIO_SET_IOMMU(TYPE1_NESTING): vfio-mdom ENODEV",
	},
	[DIV_VADDR] = {
		"vaddr-flags",
		"VFIO_DMA_MAP/UNMAP_FLAG_VADDR: vfio-mdom EINVAL",
	},
	[DIV_NO_MIGRATION_CAP] = {
		"no-migration-capability",
		"GET_INFO: no VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION in vfio-mdom's chain",
	},
	[DIV_UNMAP_TOP_OF_SPACE] = {
		"unmap-top-of-space",
		"UNMAP_DMA of a range ending at 2^64: type1 unmaps nothing, vfio-mdom unmaps it",
	},
	[DIV_GROUP_ERRNO] = {
		"group-errnos",
		"attach of an attached group: EEXIST (type1 SET_CONTAINER: EINVAL); detach of a group not attached: ENOENT (type1 UNSET_CONTAINER: EINVAL)",
	},
	[DIV_DIRTY_PAGES] = {
		"dirty-pages",
		"VFIO_IOMMU_DIRTY_PAGES: vfio-mdom ENOTTY",
	},
	[DIV_UNKNOWN_IOCTL] = {
		"unknown-ioctl",
		"an ioctl neither implements, before VFIO_SET_IOMMU: type1 EINVAL, vfio-mdom ENOTTY",
	},
	[DIV_UNMAP_ON_DOMAIN_FREE] = {
		"unmap-before-domain-free",
		"a domain losing its last group: type1 frees it still mapped (mock leaked_translations), vfio-mdom unmaps it first",
	},
	[DIV_IOMMU_CACHE] = {
		"iommu-cache",
		"type1 maps IOMMU_CACHE into every domain, vfio-mdom only into domains that enforce cache coherency",
	},
};

/* ---- operations and results ---------------------------------------------- */

enum oracle_op_kind {
	OP_MAP,
	OP_UNMAP,
	OP_GET_INFO,
	OP_CHECK_EXT,
	OP_SET_IOMMU,
	OP_ATTACH,
	OP_DETACH,
	OP_IOCTL,	/* a raw container ioctl: @arg is the command */
};

struct oracle_op {
	enum oracle_op_kind kind;
	uint64_t iova;
	uint64_t size;
	uint64_t vaddr;
	uint32_t flags;
	uint32_t argsz;		/* 0: the struct's size */
	bool trailing;		/* non-zero bytes after the struct */
	unsigned long arg;	/* extension, IOMMU type, ioctl command */
	int group;		/* ATTACH, DETACH: ORACLE_EDU, ORACLE_MOCK(i) */
};

struct oracle_info {
	uint32_t argsz;
	uint32_t flags;
	uint64_t pgsizes;
	uint32_t cap_offset;
	bool has_ranges;
	unsigned int nr_ranges;
	struct vfio_iova_range ranges[ORACLE_MAX_RANGES];
	bool has_avail;
	uint32_t avail;
	bool has_migration;
	bool bad_chain;
};

struct oracle_res {
	int err;		/* 0 or the errno */
	long ret;		/* the ioctl's return value */
	uint64_t size;		/* UNMAP: the size written back */
	struct oracle_info info;
};

/* ---- the two sides ------------------------------------------------------- */

struct oracle_group {
	int number;		/* /dev/vfio/<number> */
	int fd;
	int inst;		/* mock instance, -1 for edu */
	char name[64];		/* mock device name, or "edu" */
	bool attached;
};

struct oracle_side {
	int kind;			/* ORACLE_TYPE1 or ORACLE_MDOM */
	int container;			/* -1 when closed */
	unsigned long type;		/* the scenario's IOMMU type */
	bool iommu_set;			/* VFIO_SET_IOMMU is in effect */
	bool auto_set_iommu;		/* SET_IOMMU on the first attach */
	unsigned int nattached;
	struct oracle_group g[ORACLE_NR_GROUPS];
};

struct oracle_map {
	uint64_t iova;
	uint64_t size;
	uint64_t vaddr;
	uint32_t flags;
};

/* One mock domain as the debugfs "domains" file shows it */
struct oracle_mdomain {
	unsigned int id;
	int inst;
	int enforce_cc;
	unsigned int attached;
	unsigned long nxlates;
	struct mock_xlate *x;	/* into oracle_mock_dump::x */
};

struct oracle_mock_dump {
	unsigned int ndomains;
	struct oracle_mdomain d[64];
	unsigned long nx, maxx;
	struct mock_xlate *x;
	char *text;
	size_t text_size;
};

struct oracle {
	struct oracle_side side[ORACLE_SIDES];
	/* the mappings both sides hold, sorted by IOVA */
	unsigned int nmaps;
	struct oracle_map maps[ORACLE_MAX_MAPS];
	uint64_t mapped_pages;
	/* memory */
	uint8_t *pool_map, *pool;	/* pool: 2 MiB aligned */
	uint8_t *ro;			/* read-only, populated */
	uint8_t *hole;			/* nothing mapped there */
	uint64_t *pfns;			/* pagemap of the pool and ro */
	/* accounting */
	unsigned long ops;
	unsigned long div_hits[DIV_NR];
	unsigned long checks;
	long long mock_err_start[MOCK_NR_ERRORS];
	long long mock_live_start[2];
	long vmlck_start;
	bool failed;
	char why[1024];
	struct oracle_mock_dump dump;
	/* saved module parameters, restored by oracle_restore_params() */
	char saved_t1_unsafe[16], saved_mdom_unsafe[16];
	char saved_t1_limit[16], saved_mdom_limit[16];
};

/* ---- small helpers ------------------------------------------------------- */

/* xorshift64*: the random generator; the seed is printed and replayable */
static inline uint64_t oracle_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* Uniform in [0, n) (n > 0) */
static inline uint64_t oracle_below(uint64_t *state, uint64_t n)
{
	return n ? oracle_rand(state) % n : 0;
}

static inline int oracle_read_param(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

static inline int oracle_write_param(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -EIO;
}

/* Set a module parameter on both sides. */
static inline int oracle_set_both(const char *t1, const char *mdom,
				  const char *val)
{
	return oracle_write_param(t1, val) ?: oracle_write_param(mdom, val);
}

static inline void oracle_fail(struct oracle *o, const char *fmt, ...)
{
	va_list ap;

	if (o->failed)
		return;
	o->failed = true;
	va_start(ap, fmt);
	vsnprintf(o->why, sizeof(o->why), fmt, ap);
	va_end(ap);
}

static inline const char *oracle_side_name(int kind)
{
	return kind == ORACLE_TYPE1 ? "type1" : "vfio-mdom";
}

static inline const char *oracle_op_name(enum oracle_op_kind k)
{
	static const char * const names[] = {
		[OP_MAP] = "MAP_DMA", [OP_UNMAP] = "UNMAP_DMA",
		[OP_GET_INFO] = "GET_INFO", [OP_CHECK_EXT] = "CHECK_EXTENSION",
		[OP_SET_IOMMU] = "SET_IOMMU", [OP_ATTACH] = "attach",
		[OP_DETACH] = "detach", [OP_IOCTL] = "ioctl",
	};

	return names[k];
}

/* A pool address as "pool+0x..." for the log */
static inline void oracle_vaddr_str(const struct oracle *o, uint64_t vaddr,
				    char *buf, size_t size)
{
	uintptr_t p = (uintptr_t)o->pool, r = (uintptr_t)o->ro;

	if (vaddr >= p && vaddr < p + ORACLE_POOL_SIZE)
		snprintf(buf, size, "pool+0x%" PRIx64, vaddr - p);
	else if (vaddr >= r && vaddr < r + ORACLE_RO_SIZE)
		snprintf(buf, size, "ro+0x%" PRIx64, vaddr - r);
	else if (vaddr >= (uintptr_t)o->hole &&
		 vaddr < (uintptr_t)o->hole + ORACLE_RO_SIZE)
		snprintf(buf, size, "hole+0x%" PRIx64,
			 vaddr - (uintptr_t)o->hole);
	else
		snprintf(buf, size, "0x%" PRIx64, vaddr);
}

static inline void oracle_op_str(const struct oracle *o,
				 const struct oracle_op *op, char *buf,
				 size_t size)
{
	char va[64];

	switch (op->kind) {
	case OP_MAP:
		oracle_vaddr_str(o, op->vaddr, va, sizeof(va));
		snprintf(buf, size,
			 "MAP_DMA iova 0x%" PRIx64 " size 0x%" PRIx64
			 " vaddr %s flags 0x%x argsz %u%s", op->iova, op->size,
			 va, op->flags, op->argsz, op->trailing ? "+junk" : "");
		break;
	case OP_UNMAP:
		snprintf(buf, size,
			 "UNMAP_DMA iova 0x%" PRIx64 " size 0x%" PRIx64
			 " flags 0x%x argsz %u%s", op->iova, op->size,
			 op->flags, op->argsz, op->trailing ? "+junk" : "");
		break;
	case OP_GET_INFO:
		snprintf(buf, size, "GET_INFO argsz %u", op->argsz);
		break;
	case OP_ATTACH:
	case OP_DETACH:
		snprintf(buf, size, "%s group %s", oracle_op_name(op->kind),
			 op->group == ORACLE_EDU ? "edu" : "mock");
		if (op->group != ORACLE_EDU)
			snprintf(buf + strlen(buf), size - strlen(buf),
				 " inst %d", op->group - 1);
		break;
	default:
		snprintf(buf, size, "%s 0x%lx", oracle_op_name(op->kind),
			 op->arg);
	}
}

static inline void oracle_res_str(const struct oracle_op *op,
				  const struct oracle_res *r, char *buf,
				  size_t size)
{
	int n;

	if (r->err) {
		snprintf(buf, size, "%s", strerror(r->err));
		return;
	}
	switch (op->kind) {
	case OP_UNMAP:
		snprintf(buf, size, "ok, unmapped 0x%" PRIx64, r->size);
		break;
	case OP_GET_INFO:
		n = snprintf(buf, size,
			     "ok, argsz %u flags 0x%x pgsizes 0x%" PRIx64
			     " cap_offset %u avail %s%u migration %d ranges",
			     r->info.argsz, r->info.flags, r->info.pgsizes,
			     r->info.cap_offset, r->info.has_avail ? "" : "-",
			     r->info.avail, r->info.has_migration);
		for (unsigned int i = 0; i < r->info.nr_ranges && n < (int)size;
		     i++)
			n += snprintf(buf + n, size - n,
				      " 0x%llx-0x%llx",
				      (unsigned long long)r->info.ranges[i].start,
				      (unsigned long long)r->info.ranges[i].end);
		break;
	default:
		snprintf(buf, size, "ok, %ld", r->ret);
	}
}

/* ---- running one operation on one side ----------------------------------- */

/*
 * Issue ioctl @cmd on @fd with the @len-byte struct @arg, argsz @argsz (0:
 * @len), optionally followed by non-zero bytes. The struct is copied back.
 */
static inline int oracle_ioctl(int fd, unsigned long cmd, void *arg,
			       size_t len, uint32_t argsz, bool trailing)
{
	uint8_t buf[4096];
	int ret;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, arg, len);
	if (!argsz)
		argsz = len;
	*(uint32_t *)buf = argsz;
	if (trailing && argsz > len && argsz <= sizeof(buf))
		memset(buf + len, 0xa5, argsz - len);
	ret = ioctl(fd, cmd, buf);
	ret = ret < 0 ? errno : 0;
	memcpy(arg, buf, len);
	return ret;
}

static inline void oracle_parse_info(const uint8_t *buf, uint32_t argsz,
				     struct oracle_info *info)
{
	const struct vfio_iommu_type1_info *i = (const void *)buf;
	uint32_t off, hops = 0;

	memset(info, 0, sizeof(*info));
	info->argsz = i->argsz;
	info->flags = i->flags;
	info->pgsizes = i->iova_pgsizes;
	if (argsz < sizeof(*i))
		return;
	info->cap_offset = i->cap_offset;
	for (off = i->cap_offset; off; ) {
		const struct vfio_info_cap_header *h = (const void *)(buf + off);

		if (off + sizeof(*h) > argsz || ++hops > 16) {
			info->bad_chain = true;
			return;
		}
		switch (h->id) {
		case VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE: {
			const struct vfio_iommu_type1_info_cap_iova_range *c =
				(const void *)h;

			info->has_ranges = true;
			info->nr_ranges = c->nr_iovas;
			if (info->nr_ranges > ORACLE_MAX_RANGES ||
			    off + sizeof(*c) + c->nr_iovas *
			    sizeof(c->iova_ranges[0]) > argsz) {
				info->bad_chain = true;
				return;
			}
			memcpy(info->ranges, c->iova_ranges,
			       info->nr_ranges * sizeof(info->ranges[0]));
			break;
		}
		case VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL:
			info->has_avail = true;
			info->avail = ((const struct vfio_iommu_type1_info_dma_avail *)h)->avail;
			break;
		case VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION:
			info->has_migration = true;
			break;
		default:
			info->bad_chain = true;
			return;
		}
		off = h->next;
	}
}

static inline int oracle_set_container(struct oracle_side *s, int i)
{
	return ioctl(s->g[i].fd, VFIO_GROUP_SET_CONTAINER, &s->container) ?
	       errno : 0;
}

/*
 * Attach group @i. type1: VFIO_GROUP_SET_CONTAINER, then VFIO_SET_IOMMU if
 * this is the container's first group (its errno is the answer, and the
 * group leaves again on failure). vfio-mdom: VFIO_MDOM_ATTACH_GROUP, then
 * VFIO_SET_IOMMU at the same point.
 */
static inline int oracle_attach(struct oracle_side *s, int i)
{
	int ret;

	if (s->kind == ORACLE_TYPE1)
		ret = oracle_set_container(s, i);
	else
		ret = _mdom_attach(s->container, s->g[i].fd, NULL, NULL);
	if (ret)
		return ret;
	if (!s->iommu_set && s->auto_set_iommu) {
		ret = ioctl(s->container, VFIO_SET_IOMMU, s->type) ? errno : 0;
		if (ret) {
			if (s->kind == ORACLE_TYPE1)
				ioctl(s->g[i].fd, VFIO_GROUP_UNSET_CONTAINER);
			else
				_mdom_detach(s->container, s->g[i].fd);
			return ret;
		}
		s->iommu_set = true;
	}
	s->g[i].attached = true;
	s->nattached++;
	return 0;
}

static inline int oracle_detach(struct oracle_side *s, int i)
{
	int ret;

	if (s->kind == ORACLE_TYPE1)
		ret = ioctl(s->g[i].fd, VFIO_GROUP_UNSET_CONTAINER) ? errno : 0;
	else
		ret = _mdom_detach(s->container, s->g[i].fd);
	if (ret)
		return ret;
	s->g[i].attached = false;
	s->nattached--;
	/* type1's container loses its IOMMU with its last group */
	if (!s->nattached && s->kind == ORACLE_TYPE1)
		s->iommu_set = false;
	return 0;
}

static inline void oracle_exec(struct oracle_side *s, const struct oracle_op *op,
			       struct oracle_res *r)
{
	memset(r, 0, sizeof(*r));
	switch (op->kind) {
	case OP_MAP: {
		struct vfio_iommu_type1_dma_map map = {
			.flags = op->flags,
			.vaddr = op->vaddr,
			.iova = op->iova,
			.size = op->size,
		};

		r->err = oracle_ioctl(s->container, VFIO_IOMMU_MAP_DMA, &map,
				      sizeof(map), op->argsz, op->trailing);
		break;
	}
	case OP_UNMAP: {
		struct vfio_iommu_type1_dma_unmap unmap = {
			.flags = op->flags,
			.iova = op->iova,
			.size = op->size,
		};

		r->err = oracle_ioctl(s->container, VFIO_IOMMU_UNMAP_DMA,
				      &unmap, sizeof(unmap), op->argsz,
				      op->trailing);
		if (!r->err)
			r->size = unmap.size;
		break;
	}
	case OP_GET_INFO: {
		static uint8_t buf[4096];
		uint32_t argsz = op->argsz ? op->argsz :
				 sizeof(struct vfio_iommu_type1_info);

		if (argsz > sizeof(buf))
			argsz = sizeof(buf);
		memset(buf, 0, sizeof(buf));
		*(uint32_t *)buf = argsz;
		r->err = ioctl(s->container, VFIO_IOMMU_GET_INFO, buf) ?
			 errno : 0;
		if (!r->err)
			oracle_parse_info(buf, argsz, &r->info);
		break;
	}
	case OP_CHECK_EXT:
		r->ret = ioctl(s->container, VFIO_CHECK_EXTENSION, op->arg);
		r->err = r->ret < 0 ? errno : 0;
		break;
	case OP_SET_IOMMU:
		r->ret = ioctl(s->container, VFIO_SET_IOMMU, op->arg);
		r->err = r->ret < 0 ? errno : 0;
		if (!r->err)
			s->iommu_set = true;
		break;
	case OP_ATTACH:
		r->err = oracle_attach(s, op->group);
		break;
	case OP_DETACH:
		r->err = oracle_detach(s, op->group);
		break;
	case OP_IOCTL: {
		uint8_t buf[256];

		memset(buf, 0, sizeof(buf));
		*(uint32_t *)buf = op->argsz ? op->argsz : 16;
		*(uint32_t *)(buf + 4) = op->flags;
		r->ret = ioctl(s->container, op->arg, buf);
		r->err = r->ret < 0 ? errno : 0;
		break;
	}
	}
}

/* ---- the model of the mappings ------------------------------------------- */

/* Index of the first mapping ending at or after @iova */
static inline unsigned int oracle_map_lookup(const struct oracle *o,
					     uint64_t iova)
{
	unsigned int lo = 0, hi = o->nmaps;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;
		const struct oracle_map *m = &o->maps[mid];

		if (m->iova + (m->size - 1) < iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static inline bool oracle_overlaps(const struct oracle_map *m, uint64_t first,
				   uint64_t last)
{
	return m->iova <= last && m->iova + (m->size - 1) >= first;
}

static inline void oracle_model_add(struct oracle *o, const struct oracle_op *op)
{
	unsigned int i = oracle_map_lookup(o, op->iova);

	if (o->nmaps == ORACLE_MAX_MAPS) {
		oracle_fail(o, "model full");
		return;
	}
	memmove(&o->maps[i + 1], &o->maps[i],
		(o->nmaps - i) * sizeof(o->maps[0]));
	o->maps[i] = (struct oracle_map){ op->iova, op->size, op->vaddr,
					  op->flags };
	o->nmaps++;
	o->mapped_pages += op->size / ORACLE_PG;
}

static inline void oracle_model_del(struct oracle *o, unsigned int i)
{
	o->mapped_pages -= o->maps[i].size / ORACLE_PG;
	memmove(&o->maps[i], &o->maps[i + 1],
		(o->nmaps - i - 1) * sizeof(o->maps[0]));
	o->nmaps--;
}

/*
 * Apply a successful UNMAP_DMA to the model, by type1's rules (without its
 * overflow at the top of the space): v2 removes every mapping in the range
 * (the range cuts none, or the ioctl failed); v1 removes, whole, each
 * overlapping mapping that starts in the range, unless the first
 * overlapping one starts before it, in which case nothing goes. Returns
 * the bytes removed.
 */
static inline uint64_t oracle_model_unmap(struct oracle *o, uint64_t iova,
					  uint64_t size, bool all, bool v2)
{
	uint64_t last = all ? UINT64_MAX : iova + (size - 1), total = 0;
	unsigned int i;

	if (all)
		iova = 0;
	i = oracle_map_lookup(o, iova);
	if (i < o->nmaps && oracle_overlaps(&o->maps[i], iova, last) &&
	    o->maps[i].iova < iova && !v2 && !all)
		return 0;
	while (i < o->nmaps && oracle_overlaps(&o->maps[i], iova, last)) {
		total += o->maps[i].size;
		oracle_model_del(o, i);
	}
	return total;
}

/* ---- the mock domains ---------------------------------------------------- */

/* The error counters of every mock instance, read at once */
static inline int oracle_mock_errors(long long v[MOCK_NR_ERRORS],
				     long long live[2])
{
	char line[128], name[64];
	long long val;
	unsigned int i;
	FILE *f;

	f = fopen(MOCK_DEBUGFS "/counters", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %lld", name, &val) != 2)
			continue;
		for (i = 0; i < MOCK_NR_ERRORS; i++)
			if (!strcmp(name, mock_error_counters[i]))
				v[i] = val;
		if (live && !strcmp(name, "domains_live"))
			live[0] = val;
		if (live && !strcmp(name, "translations_live"))
			live[1] = val;
	}
	fclose(f);
	return 0;
}

static inline int oracle_read_all(const char *path, char **text, size_t *size)
{
	size_t len = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (len + 65536 + 1 > *size) {
			char *t = realloc(*text, *size * 2 + 65536 * 2);

			if (!t) {
				close(fd);
				return -ENOMEM;
			}
			*text = t;
			*size = *size * 2 + 65536 * 2;
		}
		n = read(fd, *text + len, 65536);
		if (n < 0) {
			close(fd);
			return -errno;
		}
		if (!n)
			break;
		len += n;
	}
	close(fd);
	(*text)[len] = '\0';
	return 0;
}

/* The number after "KEY " in a debugfs line (decimal or 0x hex), or 0 */
static inline unsigned long long oracle_field(const char *line, const char *key)
{
	size_t klen = strlen(key);
	const char *p = line;

	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ') && p[klen] == ' ')
			return strtoull(p + klen + 1, NULL, 0);
		p += klen;
	}
	return 0;
}

/* Every live mock domain and its translations, from one read. */
static inline int oracle_mock_dump(struct oracle_mock_dump *d)
{
	char *line, *next;
	int ret;

	ret = oracle_read_all(MOCK_DEBUGFS "/domains", &d->text, &d->text_size);
	if (ret)
		return ret;
	d->ndomains = 0;
	d->nx = 0;
	for (line = d->text; line && *line; line = next) {
		struct oracle_mdomain *md;
		unsigned long long a, b, c;
		unsigned int prot;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!strncmp(line, "domain ", 7)) {
			if (d->ndomains == 64)
				return -E2BIG;
			md = &d->d[d->ndomains++];
			memset(md, 0, sizeof(*md));
			md->id = oracle_field(line, "domain");
			md->inst = oracle_field(line, "inst");
			md->enforce_cc = oracle_field(line, "enforce_cc");
			md->attached = oracle_field(line, "attached");
			continue;
		}
		if (!d->ndomains ||
		    sscanf(line, " iova %llx phys %llx size %llx prot %x",
			   &a, &b, &c, &prot) != 4)
			continue;
		if (d->nx == d->maxx) {
			struct mock_xlate *x;

			x = realloc(d->x, (d->maxx * 2 + 1024) * sizeof(*x));
			if (!x)
				return -ENOMEM;
			d->x = x;
			d->maxx = d->maxx * 2 + 1024;
		}
		d->x[d->nx++] = (struct mock_xlate){ a, b, c, prot };
		d->d[d->ndomains - 1].nxlates++;
	}
	/* Point each domain at its translations, now that x is final */
	{
		unsigned long k = 0;
		unsigned int i;

		for (i = 0; i < d->ndomains; i++) {
			d->d[i].x = d->x + k;
			k += d->d[i].nxlates;
		}
	}
	return 0;
}

static inline struct oracle_mdomain *
oracle_mock_domain(struct oracle_mock_dump *d, unsigned int id)
{
	unsigned int i;

	for (i = 0; i < d->ndomains; i++)
		if (d->d[i].id == id)
			return &d->d[i];
	return NULL;
}

/* Physical address of the page at @vaddr, from the pagemap snapshot */
static inline uint64_t oracle_phys(const struct oracle *o, uint64_t vaddr)
{
	uintptr_t p = (uintptr_t)o->pool, r = (uintptr_t)o->ro;
	uint64_t e;

	if (vaddr >= p && vaddr < p + ORACLE_POOL_SIZE)
		e = o->pfns[(vaddr - p) / ORACLE_PG];
	else if (vaddr >= r && vaddr < r + ORACLE_RO_SIZE)
		e = o->pfns[ORACLE_POOL_SIZE / ORACLE_PG + (vaddr - r) / ORACLE_PG];
	else
		return UINT64_MAX;
	if (!(e >> 63))
		return UINT64_MAX;	/* not present */
	return (e & ((1ULL << 55) - 1)) * ORACLE_PG;
}

static inline int oracle_read_pagemap(struct oracle *o)
{
	size_t n = ORACLE_POOL_SIZE / ORACLE_PG, m = ORACLE_RO_SIZE / ORACLE_PG;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (pread(fd, o->pfns, n * 8, (uintptr_t)o->pool / ORACLE_PG * 8) !=
	    (ssize_t)(n * 8) ||
	    pread(fd, o->pfns + n, m * 8, (uintptr_t)o->ro / ORACLE_PG * 8) !=
	    (ssize_t)(m * 8))
		ret = -EIO;
	close(fd);
	return ret;
}

/* ---- one step: both sides, compared ---------------------------------------- */

#define ORACLE_MIGRATION_CAP_SIZE \
	sizeof(struct vfio_iommu_type1_info_cap_migration)

/* The GET_INFO answers: equal, or different only by the MIGRATION cap. */
static inline int oracle_classify_info(const struct oracle_op *op,
				       const struct oracle_res *t,
				       const struct oracle_res *m)
{
	const struct oracle_info *ti = &t->info, *mi = &m->info;
	uint32_t req = op->argsz ? op->argsz :
		       sizeof(struct vfio_iommu_type1_info);
	bool tc = ti->cap_offset, mc = mi->cap_offset;

	if (ti->flags != mi->flags || ti->pgsizes != mi->pgsizes ||
	    ti->bad_chain || mi->bad_chain || mi->has_migration)
		return DIV_UNEXPECTED;
	if (tc && mc) {
		if (ti->argsz != mi->argsz || ti->has_ranges != mi->has_ranges ||
		    ti->nr_ranges != mi->nr_ranges ||
		    memcmp(ti->ranges, mi->ranges,
			   ti->nr_ranges * sizeof(ti->ranges[0])) ||
		    ti->has_avail != mi->has_avail || ti->avail != mi->avail)
			return DIV_UNEXPECTED;
		return ti->has_migration ? DIV_NO_MIGRATION_CAP : DIV_NONE;
	}
	if (!tc && !mc) {
		if (ti->argsz == mi->argsz)
			return DIV_NONE;
		if (ti->argsz > req &&
		    ti->argsz == mi->argsz + ORACLE_MIGRATION_CAP_SIZE)
			return DIV_NO_MIGRATION_CAP;
		return DIV_UNEXPECTED;
	}
	/* Room for vfio-mdom's chain, not for type1's longer one */
	if (mc && !tc && ti->argsz > req &&
	    ti->argsz - ORACLE_MIGRATION_CAP_SIZE <= req)
		return DIV_NO_MIGRATION_CAP;
	return DIV_UNEXPECTED;
}

/*
 * How the answers of type1 (@t) and vfio-mdom (@m) to @op compare: DIV_NONE
 * when they are the same, an intended divergence, or DIV_UNEXPECTED.
 * @t1_iommu says whether type1 had an IOMMU driver before the op.
 */
static inline int oracle_classify(const struct oracle_op *op,
				  const struct oracle_res *t,
				  const struct oracle_res *m, bool t1_iommu,
				  bool t1_groups, bool mdom_iommu)
{
	bool no_iommu_yet = !t1_iommu && mdom_iommu && t->err == EINVAL &&
			    !t1_groups;

	switch (op->kind) {
	case OP_MAP:
		if (t->err == m->err)
			return DIV_NONE;
		if ((op->flags & VFIO_DMA_MAP_FLAG_VADDR) && m->err == EINVAL)
			return DIV_VADDR;
		return no_iommu_yet ? DIV_NO_IOMMU_YET : DIV_UNEXPECTED;
	case OP_UNMAP:
		if ((op->flags & VFIO_DMA_UNMAP_FLAG_VADDR) && m->err == EINVAL &&
		    t->err != EINVAL)
			return DIV_VADDR;
		if (t->err != m->err)
			return no_iommu_yet ? DIV_NO_IOMMU_YET : DIV_UNEXPECTED;
		if (t->err || t->size == m->size)
			return DIV_NONE;
		if (!(op->flags & VFIO_DMA_UNMAP_FLAG_ALL) &&
		    op->iova + op->size == 0 && !t->size)
			return DIV_UNMAP_TOP_OF_SPACE;
		return DIV_UNEXPECTED;
	case OP_GET_INFO:
		if (t->err != m->err)
			return no_iommu_yet ? DIV_NO_IOMMU_YET : DIV_UNEXPECTED;
		return t->err ? DIV_NONE : oracle_classify_info(op, t, m);
	case OP_CHECK_EXT:
		if (t->ret == m->ret && t->err == m->err)
			return DIV_NONE;
		if ((op->arg == VFIO_TYPE1_NESTING_IOMMU ||
		     op->arg == VFIO_UPDATE_VADDR) && t->ret == 1 && !m->ret)
			return DIV_EXTENSIONS;
		return DIV_UNEXPECTED;
	case OP_SET_IOMMU:
		if (t->err == m->err)
			return DIV_NONE;
		if (op->arg == VFIO_TYPE1_NESTING_IOMMU && m->err == ENODEV)
			return DIV_SET_IOMMU_NESTING;
		if (!t1_groups && t->err == EINVAL)
			return DIV_SET_IOMMU_WITHOUT_GROUP;
		return DIV_UNEXPECTED;
	case OP_ATTACH:
		if (t->err == m->err)
			return DIV_NONE;
		return t->err == EINVAL && m->err == EEXIST ?
		       DIV_GROUP_ERRNO : DIV_UNEXPECTED;
	case OP_DETACH:
		if (t->err == m->err)
			return DIV_NONE;
		return t->err == EINVAL && m->err == ENOENT ?
		       DIV_GROUP_ERRNO : DIV_UNEXPECTED;
	case OP_IOCTL:
		if (t->err == m->err && t->ret == m->ret)
			return DIV_NONE;
		if (op->arg == VFIO_IOMMU_DIRTY_PAGES && m->err == ENOTTY)
			return DIV_DIRTY_PAGES;
		if (!t1_iommu && t->err == EINVAL && m->err == ENOTTY)
			return DIV_UNKNOWN_IOCTL;
		return DIV_UNEXPECTED;
	}
	return DIV_UNEXPECTED;
}

static inline bool oracle_touches_domains(enum oracle_op_kind k)
{
	return k == OP_MAP || k == OP_UNMAP || k == OP_ATTACH ||
	       k == OP_DETACH || k == OP_SET_IOMMU;
}

/*
 * Mock error counters around one side's operation: vfio-mdom must never
 * move them; type1 only moves leaked_translations, when it frees a domain
 * that still holds translations (counted as DIV_UNMAP_ON_DOMAIN_FREE).
 */
static inline void oracle_check_counters(struct oracle *o, int kind,
					 const long long before[MOCK_NR_ERRORS],
					 const long long after[MOCK_NR_ERRORS],
					 const char *what)
{
	unsigned int i;

	for (i = 0; i < MOCK_NR_ERRORS; i++) {
		if (after[i] == before[i])
			continue;
		if (kind == ORACLE_TYPE1 &&
		    !strcmp(mock_error_counters[i], "leaked_translations")) {
			o->div_hits[DIV_UNMAP_ON_DOMAIN_FREE]++;
			continue;
		}
		oracle_fail(o, "%s: %s moved mock counter %s by %lld", what,
			    oracle_side_name(kind), mock_error_counters[i],
			    after[i] - before[i]);
	}
}

/*
 * Play @op on both sides and compare. Returns what the comparison found
 * (DIV_NONE, an intended divergence, or DIV_UNEXPECTED with o->why set);
 * *@tres and *@mres (if not NULL) get each side's answer. Keeps the model
 * and the two sides in step across the intended divergences that change
 * state.
 */
static inline int oracle_step(struct oracle *o, const struct oracle_op *op,
			      struct oracle_res *tres, struct oracle_res *mres)
{
	struct oracle_side *t1 = &o->side[ORACLE_TYPE1];
	struct oracle_side *md = &o->side[ORACLE_MDOM];
	bool t1_iommu = t1->iommu_set, t1_groups = t1->nattached;
	long long c0[MOCK_NR_ERRORS], c1[MOCK_NR_ERRORS], c2[MOCK_NR_ERRORS];
	bool counters = oracle_touches_domains(op->kind);
	char ops[256], ts[512], ms[512];
	struct oracle_res t, m;
	uint64_t model;
	int div;

	if (o->failed)
		return DIV_UNEXPECTED;
	o->ops++;
	if (counters && oracle_mock_errors(c0, NULL))
		counters = false;
	oracle_exec(t1, op, &t);
	if (counters)
		oracle_mock_errors(c1, NULL);
	oracle_exec(md, op, &m);
	if (counters) {
		oracle_mock_errors(c2, NULL);
		oracle_op_str(o, op, ops, sizeof(ops));
		oracle_check_counters(o, ORACLE_TYPE1, c0, c1, ops);
		oracle_check_counters(o, ORACLE_MDOM, c1, c2, ops);
	}
	if (tres)
		*tres = t;
	if (mres)
		*mres = m;

	div = oracle_classify(op, &t, &m, t1_iommu, t1_groups, md->iommu_set);
	if (div == DIV_UNEXPECTED) {
		oracle_op_str(o, op, ops, sizeof(ops));
		oracle_res_str(op, &t, ts, sizeof(ts));
		oracle_res_str(op, &m, ms, sizeof(ms));
		oracle_fail(o, "%s: type1: %s; vfio-mdom: %s", ops, ts, ms);
		return div;
	}
	if (div != DIV_NONE)
		o->div_hits[div]++;

	switch (op->kind) {
	case OP_MAP:
		if (!t.err && !m.err)
			oracle_model_add(o, op);
		break;
	case OP_UNMAP:
		if (t.err || m.err || div == DIV_VADDR)
			break;
		model = oracle_model_unmap(o, op->iova, op->size,
					   op->flags & VFIO_DMA_UNMAP_FLAG_ALL,
					   t1->type != VFIO_TYPE1_IOMMU);
		if (div == DIV_UNMAP_TOP_OF_SPACE) {
			/* Bring type1 along: the same range, short of 2^64 */
			struct oracle_op op2 = *op;

			op2.size -= ORACLE_PG;
			oracle_exec(t1, &op2, &t);
			if (t.err || t.size != model)
				oracle_fail(o, "type1 catch-up unmap: %s, 0x%" PRIx64
					    " (model 0x%" PRIx64 ")",
					    strerror(t.err), t.size, model);
		}
		if (m.size != model || t.size != model) {
			oracle_op_str(o, op, ops, sizeof(ops));
			oracle_fail(o, "%s: unmapped type1 0x%" PRIx64
				    " vfio-mdom 0x%" PRIx64 ", model 0x%" PRIx64,
				    ops, t.size, m.size, model);
		}
		break;
	case OP_DETACH:
		if (t.err || m.err || md->nattached)
			break;
		/*
		 * The last group left: type1 dropped every mapping with its
		 * IOMMU; vfio-mdom kept them. Check, then drop them too.
		 */
		if (o->nmaps) {
			struct mdom_state st;
			uint64_t size = 0, want = o->mapped_pages * ORACLE_PG;
			int err;

			o->div_hits[DIV_LAST_DETACH_KEEPS_MAPPINGS]++;
			if (_mdom_query(md->container, &st) ||
			    st.q.num_mappings != o->nmaps ||
			    st.q.mapped_bytes != want)
				oracle_fail(o, "vfio-mdom lost mappings with its last group");
			err = _mdom_unmap(md->container, 0, 0,
					  VFIO_DMA_UNMAP_FLAG_ALL, &size);
			if (err || size != want)
				oracle_fail(o, "vfio-mdom UNMAP_ALL after the last detach: %s, 0x%" PRIx64,
					    strerror(err), size);
			oracle_model_unmap(o, 0, 0, true, true);
		}
		break;
	default:
		break;
	}
	return o->failed ? DIV_UNEXPECTED : div;
}

/* ---- deep check: the mock domains of both sides and the model ------------ */

/* The mock domain of device S of every instance K (0: none), at once */
static inline int oracle_mock_devices(unsigned int dom[ORACLE_SIDES][ORACLE_NR_MOCK])
{
	unsigned int inst, idx, d;
	char line[256], name[64];
	int group;
	FILE *f;

	memset(dom, 0, sizeof(unsigned int) * ORACLE_SIDES * ORACLE_NR_MOCK);
	f = fopen(MOCK_DEBUGFS "/devices", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "dev %63s inst %u index %u group %d domain %u",
			   name, &inst, &idx, &group, &d) == 5 &&
		    inst < ORACLE_NR_MOCK && idx < ORACLE_SIDES)
			dom[idx][inst] = d;
	fclose(f);
	return 0;
}

static inline int oracle_xlate_prot(const struct oracle_map *m, bool cc)
{
	return ((m->flags & VFIO_DMA_MAP_FLAG_READ) ? 1 : 0) |
	       ((m->flags & VFIO_DMA_MAP_FLAG_WRITE) ? 2 : 0) | (cc ? 4 : 0);
}

/* The translations of @d, page by page, are exactly the model's mappings */
static inline void oracle_check_model(struct oracle *o,
				      const struct oracle_mdomain *d,
				      const char *who)
{
	unsigned int j = 0;
	uint64_t moff = 0;
	unsigned long k;

	for (k = 0; k < d->nxlates && !o->failed; k++) {
		const struct mock_xlate *x = &d->x[k];
		uint64_t off;

		for (off = 0; off < x->size; off += ORACLE_PG) {
			const struct oracle_map *m = &o->maps[j];
			uint64_t want;

			if (j == o->nmaps) {
				oracle_fail(o, "%s: translation at 0x%" PRIx64
					    " is not mapped", who,
					    x->iova + off);
				return;
			}
			want = oracle_phys(o, m->vaddr + moff);
			if (x->iova + off != m->iova + moff ||
			    x->phys + off != want ||
			    (int)(x->prot & 7) !=
			    oracle_xlate_prot(m, d->enforce_cc)) {
				oracle_fail(o, "%s: iova 0x%" PRIx64 " phys 0x%"
					    PRIx64 " prot 0x%x, model: iova 0x%"
					    PRIx64 " phys 0x%" PRIx64 " prot 0x%x",
					    who, x->iova + off, x->phys + off,
					    x->prot, m->iova + moff, want,
					    oracle_xlate_prot(m, d->enforce_cc));
				return;
			}
			moff += ORACLE_PG;
			if (moff == m->size) {
				moff = 0;
				j++;
			}
		}
	}
	if (!o->failed && j != o->nmaps)
		oracle_fail(o, "%s: mapping at 0x%" PRIx64 " missing", who,
			    o->maps[j].iova);
}

/*
 * Compare the mock domains of the two sides (same devices attached, same
 * sharing, the very same translations) and against the model; check
 * vfio-mdom's own accounting.
 */
static inline void oracle_check_domains(struct oracle *o)
{
	unsigned int dom[ORACLE_SIDES][ORACLE_NR_MOCK];
	struct oracle_mdomain *d[ORACLE_SIDES][ORACLE_NR_MOCK];
	struct oracle_side *md = &o->side[ORACLE_MDOM];
	unsigned int s, k, l;
	struct mdom_state st;
	bool cache = false;
	char who[64];

	if (o->failed)
		return;
	o->checks++;
	if (oracle_read_pagemap(o) || oracle_mock_dump(&o->dump)) {
		oracle_fail(o, "cannot read pagemap or mock domains");
		return;
	}
	if (oracle_mock_devices(dom)) {
		oracle_fail(o, "cannot read the mock devices");
		return;
	}
	for (s = 0; s < ORACLE_SIDES; s++) {
		for (k = 0; k < ORACLE_NR_MOCK; k++) {
			struct oracle_group *g = &o->side[s].g[ORACLE_MOCK(k)];

			d[s][k] = NULL;
			if (!!dom[s][k] != g->attached) {
				oracle_fail(o, "%s: mock device %s %sattached",
					    oracle_side_name(s), g->name,
					    dom[s][k] ? "" : "not ");
				return;
			}
			if (!dom[s][k])
				continue;
			d[s][k] = oracle_mock_domain(&o->dump, dom[s][k]);
			if (!d[s][k]) {
				oracle_fail(o, "mock domain %u not listed",
					    dom[s][k]);
				return;
			}
		}
	}
	for (k = 0; k < ORACLE_NR_MOCK; k++) {
		struct oracle_mdomain *a = d[0][k], *b = d[1][k];
		unsigned long i;

		if (!a)
			continue;
		for (l = 0; l < k; l++)
			if (d[0][l] &&
			    (dom[0][l] == dom[0][k]) != (dom[1][l] == dom[1][k]))
				oracle_fail(o, "mock instances %u and %u share a domain on one side only",
					    l, k);
		if (a->attached != b->attached || a->enforce_cc != b->enforce_cc ||
		    a->nxlates != b->nxlates) {
			oracle_fail(o, "mock instance %u: type1 domain %u (attached %u cc %d, %lu translations), vfio-mdom domain %u (attached %u cc %d, %lu translations)",
				    k, a->id, a->attached, a->enforce_cc,
				    a->nxlates, b->id, b->attached,
				    b->enforce_cc, b->nxlates);
			return;
		}
		for (i = 0; i < a->nxlates; i++) {
			const struct mock_xlate *x = &a->x[i], *y = &b->x[i];
			bool cache_only = (x->prot ^ y->prot) == 4 &&
					  (x->prot & 4) && !b->enforce_cc;

			if (cache_only)
				cache = true;
			if (x->iova != y->iova || x->phys != y->phys ||
			    x->size != y->size ||
			    (x->prot != y->prot && !cache_only)) {
				oracle_fail(o, "mock instance %u: type1 iova 0x%" PRIx64
					    " phys 0x%" PRIx64 " size 0x%" PRIx64
					    " prot 0x%x, vfio-mdom iova 0x%" PRIx64
					    " phys 0x%" PRIx64 " size 0x%" PRIx64
					    " prot 0x%x", k, x->iova, x->phys,
					    x->size, x->prot, y->iova, y->phys,
					    y->size, y->prot);
				return;
			}
		}
		snprintf(who, sizeof(who), "vfio-mdom mock domain %u (inst %u)",
			 b->id, k);
		oracle_check_model(o, b, who);
	}
	if (cache)
		o->div_hits[DIV_IOMMU_CACHE]++;

	if (!md->iommu_set || o->failed)
		return;
	if (_mdom_query(md->container, &st)) {
		oracle_fail(o, "VFIO_MDOM_QUERY: %s", strerror(errno));
		return;
	}
	if (st.q.num_mappings != o->nmaps ||
	    st.q.mapped_bytes != o->mapped_pages * ORACLE_PG ||
	    st.q.pinned_pages != o->mapped_pages ||
	    st.q.locked_pages != o->mapped_pages) {
		oracle_fail(o, "VFIO_MDOM_QUERY: %u mappings 0x%llx bytes %llu pinned %llu locked, model %u mappings %" PRIu64 " pages",
			    st.q.num_mappings,
			    (unsigned long long)st.q.mapped_bytes,
			    (unsigned long long)st.q.pinned_pages,
			    (unsigned long long)st.q.locked_pages, o->nmaps,
			    o->mapped_pages);
		return;
	}
	for (k = 0; k < st.q.num_domains; k++)
		if (st.domains[k].mapped_bytes != st.q.mapped_bytes)
			oracle_fail(o, "domain %u maps 0x%llx bytes of 0x%llx",
				    st.domains[k].id,
				    (unsigned long long)st.domains[k].mapped_bytes,
				    (unsigned long long)st.q.mapped_bytes);
}

/* ---- set-up ----------------------------------------------------------------- */

/* Find the groups of both sides and open them; memory; parameters. */
static inline int oracle_init(struct oracle *o, char *why, size_t size)
{
	unsigned int s, k;
	size_t i;

	memset(o, 0, sizeof(*o));
	for (s = 0; s < ORACLE_SIDES; s++) {
		struct oracle_side *sd = &o->side[s];

		sd->kind = s;
		sd->container = -1;
		for (k = 0; k < ORACLE_NR_GROUPS; k++)
			sd->g[k].fd = -1;
	}
	if (!mock_present()) {
		snprintf(why, size, "the mock IOMMU is not loaded");
		return -ENOENT;
	}
	if (access(MDOM_DEV, F_OK)) {
		snprintf(why, size, "vfio_mdom.ko is not loaded");
		return -ENOENT;
	}
	for (s = 0; s < ORACLE_SIDES; s++) {
		struct oracle_side *sd = &o->side[s];

		sd->g[ORACLE_EDU].number = mdom_edu_group(s);
		sd->g[ORACLE_EDU].inst = -1;
		snprintf(sd->g[ORACLE_EDU].name, sizeof(sd->g[0].name), "edu");
		if (sd->g[ORACLE_EDU].number < 0) {
			snprintf(why, size, "needs two edu devices bound to vfio-pci");
			return -ENOENT;
		}
		for (k = 0; k < ORACLE_NR_MOCK; k++) {
			struct oracle_group *g = &sd->g[ORACLE_MOCK(k)];

			g->inst = k;
			if (mock_device(k, s, g->name, &g->number, NULL)) {
				snprintf(why, size, "no mock device %u.%u", k, s);
				return -ENOENT;
			}
		}
		for (k = 0; k < ORACLE_NR_GROUPS; k++) {
			sd->g[k].fd = mdom_open_group(sd->g[k].number);
			if (sd->g[k].fd < 0) {
				snprintf(why, size, "open /dev/vfio/%d: %s",
					 sd->g[k].number, strerror(errno));
				return -errno;
			}
		}
	}

	o->pool_map = mmap(NULL, ORACLE_POOL_SIZE + SZ_2M,
			   PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	o->ro = mmap(NULL, 2 * ORACLE_RO_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	o->pfns = calloc((ORACLE_POOL_SIZE + ORACLE_RO_SIZE) / ORACLE_PG, 8);
	if (o->pool_map == MAP_FAILED || o->ro == MAP_FAILED || !o->pfns) {
		snprintf(why, size, "out of memory");
		return -ENOMEM;
	}
	o->pool = (uint8_t *)(((uintptr_t)o->pool_map + SZ_2M - 1) &
			      ~(uintptr_t)(SZ_2M - 1));
	madvise(o->pool, ORACLE_POOL_SIZE, MADV_HUGEPAGE);
	for (i = 0; i < ORACLE_POOL_SIZE; i += ORACLE_PG)
		memset(o->pool + i, i / ORACLE_PG, ORACLE_PG);
	memset(o->ro, 0x77, ORACLE_RO_SIZE);
	mprotect(o->ro, ORACLE_RO_SIZE, PROT_READ);
	/* The second half of the ro mapping is a hole */
	o->hole = o->ro + ORACLE_RO_SIZE;
	munmap(o->hole, ORACLE_RO_SIZE);

	if (oracle_read_param(T1_UNSAFE, o->saved_t1_unsafe, 16) ||
	    oracle_read_param(MDOM_UNSAFE, o->saved_mdom_unsafe, 16) ||
	    oracle_read_param(T1_LIMIT, o->saved_t1_limit, 16) ||
	    oracle_read_param(MDOM_LIMIT, o->saved_mdom_limit, 16)) {
		snprintf(why, size, "cannot read the module parameters");
		return -ENOENT;
	}
	/* Mock instance 2's MSIs are not isolated: allowed on both sides */
	if (oracle_set_both(T1_UNSAFE, MDOM_UNSAFE, "1")) {
		snprintf(why, size, "cannot set allow_unsafe_interrupts");
		return -EPERM;
	}
	o->vmlck_start = vmlck_kb();
	oracle_mock_errors(o->mock_err_start, o->mock_live_start);
	return 0;
}

static inline void oracle_restore_params(struct oracle *o)
{
	if (o->saved_t1_unsafe[0])
		oracle_write_param(T1_UNSAFE, o->saved_t1_unsafe);
	if (o->saved_mdom_unsafe[0])
		oracle_write_param(MDOM_UNSAFE, o->saved_mdom_unsafe);
	if (o->saved_t1_limit[0])
		oracle_write_param(T1_LIMIT, o->saved_t1_limit);
	if (o->saved_mdom_limit[0])
		oracle_write_param(MDOM_LIMIT, o->saved_mdom_limit);
}

/* Open both containers for a scenario with IOMMU type @type. */
static inline int oracle_begin(struct oracle *o, unsigned long type)
{
	unsigned int s;

	for (s = 0; s < ORACLE_SIDES; s++) {
		struct oracle_side *sd = &o->side[s];

		sd->container = open(s == ORACLE_TYPE1 ? "/dev/vfio/vfio" :
				     MDOM_DEV, O_RDWR | O_CLOEXEC);
		if (sd->container < 0)
			return -errno;
		sd->type = type;
		sd->iommu_set = false;
		sd->auto_set_iommu = true;
		sd->nattached = 0;
	}
	o->nmaps = 0;
	o->mapped_pages = 0;
	return 0;
}

/*
 * Close both containers (type1's groups are unset first, as a VFIO
 * container lives on while a group holds it), then check that every mock
 * domain and translation is gone and vfio-mdom moved no error counter.
 */
static inline void oracle_end(struct oracle *o)
{
	struct oracle_side *t1 = &o->side[ORACLE_TYPE1];
	struct oracle_side *md = &o->side[ORACLE_MDOM];
	long long c0[MOCK_NR_ERRORS] = {}, c1[MOCK_NR_ERRORS] = {};
	long long live[2] = { o->mock_live_start[0], o->mock_live_start[1] };
	unsigned int k;

	oracle_mock_errors(c0, NULL);
	for (k = 0; k < ORACLE_NR_GROUPS; k++) {
		if (t1->g[k].attached)
			ioctl(t1->g[k].fd, VFIO_GROUP_UNSET_CONTAINER);
		t1->g[k].attached = false;
	}
	if (t1->container >= 0)
		close(t1->container);
	t1->container = -1;
	oracle_mock_errors(c1, NULL);
	oracle_check_counters(o, ORACLE_TYPE1, c0, c1, "type1 close");
	if (md->container >= 0)
		close(md->container);
	md->container = -1;
	for (k = 0; k < ORACLE_NR_GROUPS; k++)
		md->g[k].attached = false;
	oracle_mock_errors(c0, live);
	oracle_check_counters(o, ORACLE_MDOM, c1, c0, "vfio-mdom close");
	t1->nattached = 0;
	md->nattached = 0;
	o->nmaps = 0;
	o->mapped_pages = 0;
	if (live[0] != o->mock_live_start[0])
		oracle_fail(o, "%lld mock domains live after close, %lld before",
			    live[0], o->mock_live_start[0]);
	if (vmlck_kb() != o->vmlck_start)
		oracle_fail(o, "VmLck %ld kB after close, %ld before",
			    vmlck_kb(), o->vmlck_start);
}

static inline void oracle_fini(struct oracle *o)
{
	unsigned int s, k;

	for (s = 0; s < ORACLE_SIDES; s++) {
		if (o->side[s].container >= 0)
			close(o->side[s].container);
		for (k = 0; k < ORACLE_NR_GROUPS; k++)
			if (o->side[s].g[k].fd >= 0)
				close(o->side[s].g[k].fd);
	}
	oracle_restore_params(o);
	if (o->pool_map && o->pool_map != MAP_FAILED)
		munmap(o->pool_map, ORACLE_POOL_SIZE + SZ_2M);
	if (o->ro && o->ro != MAP_FAILED)
		munmap(o->ro, ORACLE_RO_SIZE);
	free(o->pfns);
	free(o->dump.x);
	free(o->dump.text);
}

#endif /* _ORACLE_UTILS_H */
