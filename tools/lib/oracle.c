// SPDX-License-Identifier: GPL-2.0
#include <libvfio_mdom/oracle.h>

const struct oracle_divergence oracle_divergences[DIV_NR] = {
	[DIV_EXTENSIONS] = {
		"extensions",
		"CHECK_EXTENSION(TYPE1_NESTING) once vfio-mdom serves: type1 1, vfio-mdom 0",
	},
	[DIV_UNMAP_TOP_OF_SPACE] = {
		"unmap-top-of-space",
		"UNMAP_DMA of a range ending at 2^64: type1 unmaps nothing, vfio-mdom unmaps it",
	},
	[DIV_UNMAP_ON_DOMAIN_FREE] = {
		"unmap-before-domain-free",
		"a domain losing its last group: type1 frees it still mapped (mock leaked_translations), vfio-mdom unmaps it first",
	},
	[DIV_ATTACH_VADDR_INVALID] = {
		"attach-while-vaddr-invalid",
		"a group joining while user addresses are invalid (VFIO_DMA_UNMAP_FLAG_VADDR): type1 EBUSY, vfio-mdom attaches it",
	},
	[DIV_DIRTY_IOMMU] = {
		"dirty-iommu",
		"a dirty bitmap where every vfio-mdom domain tracks dirty pages: type1 reports every mapped page, vfio-mdom the pages devices wrote (none here), setting bits only",
	},
	[DIV_DIRTY_STALE_BITS] = {
		"dirty-type1-stale-bits",
		"a dirty bitmap: type1 also reports pages no mapping of the range holds, bits an earlier report shifted past a mapping's end; vfio-mdom does not",
	},
};

uint64_t oracle_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

uint64_t oracle_below(uint64_t *state, uint64_t n)
{
	return n ? oracle_rand(state) % n : 0;
}

void oracle_fail(struct oracle *o, const char *fmt, ...)
{
	va_list ap;

	if (o->failed)
		return;
	o->failed = true;
	va_start(ap, fmt);
	vsnprintf(o->why, sizeof(o->why), fmt, ap);
	va_end(ap);
}

const char *oracle_side_name(int kind)
{
	return kind == ORACLE_TYPE1 ? "type1" : "vfio-mdom";
}

const char *oracle_op_name(enum oracle_op_kind k)
{
	static const char * const names[] = {
		[OP_MAP] = "MAP_DMA", [OP_UNMAP] = "UNMAP_DMA",
		[OP_GET_INFO] = "GET_INFO", [OP_CHECK_EXT] = "CHECK_EXTENSION",
		[OP_SET_IOMMU] = "SET_IOMMU", [OP_ATTACH] = "attach",
		[OP_DETACH] = "detach", [OP_IOCTL] = "ioctl",
		[OP_DIRTY] = "DIRTY_PAGES",
	};

	return names[k];
}

void oracle_vaddr_str(const struct oracle *o, uint64_t vaddr,
		      char *buf, size_t size)
{
	uintptr_t p = (uintptr_t)o->pool, r = (uintptr_t)o->ro;
	uintptr_t h = (uintptr_t)o->hole;

	if (vaddr >= p && vaddr < p + ORACLE_POOL_SIZE)
		snprintf(buf, size, "pool+0x%llx", ULL(vaddr - p));
	else if (vaddr >= r && vaddr < r + ORACLE_RO_SIZE)
		snprintf(buf, size, "ro+0x%llx", ULL(vaddr - r));
	else if (vaddr >= h && vaddr < h + ORACLE_RO_SIZE)
		snprintf(buf, size, "hole+0x%llx", ULL(vaddr - h));
	else
		snprintf(buf, size, "0x%llx", ULL(vaddr));
}

bool oracle_op_bitmap(const struct oracle_op *op)
{
	if (op->kind == OP_DIRTY)
		return op->flags & VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	return op->kind == OP_UNMAP &&
	       (op->flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP);
}

void oracle_bm_str(const struct oracle_bitmap *bm, char *buf, size_t size)
{
	if (bm->off == ORACLE_BM_NULL)
		snprintf(buf, size, "data NULL");
	else if (bm->off == ORACLE_BM_KERNEL)
		snprintf(buf, size, "data kernel");
	else
		snprintf(buf, size, "data +%d", bm->off);
	snprintf(buf + strlen(buf), size - strlen(buf),
		 " pgsize 0x%llx size %llu fill %u", ULL(bm->pgsize),
		 ULL(bm->size), bm->fill);
}

void oracle_op_str(const struct oracle *o,
		   const struct oracle_op *op, char *buf,
		   size_t size)
{
	char va[64], bm[96] = "";

	if (oracle_op_bitmap(op))
		oracle_bm_str(&op->bm, bm, sizeof(bm));
	switch (op->kind) {
	case OP_MAP:
		oracle_vaddr_str(o, op->vaddr, va, sizeof(va));
		snprintf(buf, size,
			 "MAP_DMA iova 0x%llx size 0x%llx vaddr %s flags 0x%x argsz %u%s",
			 ULL(op->iova), ULL(op->size), va, op->flags,
			 op->argsz, op->trailing ? "+junk" : "");
		break;
	case OP_UNMAP:
		snprintf(buf, size,
			 "UNMAP_DMA iova 0x%llx size 0x%llx flags 0x%x argsz %u%s %s",
			 ULL(op->iova), ULL(op->size), op->flags, op->argsz,
			 op->trailing ? "+junk" : "", bm);
		break;
	case OP_DIRTY:
		snprintf(buf, size,
			 "DIRTY_PAGES flags 0x%x argsz %u iova 0x%llx size 0x%llx %s",
			 op->flags, op->argsz, ULL(op->iova), ULL(op->size), bm);
		break;
	case OP_GET_INFO:
		snprintf(buf, size, "GET_INFO argsz %u", op->argsz);
		break;
	case OP_ATTACH:
	case OP_DETACH:
		if (op->group == ORACLE_EDU)
			snprintf(buf, size, "%s group edu",
				 oracle_op_name(op->kind));
		else
			snprintf(buf, size, "%s group mock inst %d",
				 oracle_op_name(op->kind), op->group - 1);
		break;
	default:
		snprintf(buf, size, "%s 0x%lx", oracle_op_name(op->kind),
			 op->arg);
	}
}

void oracle_res_str(const struct oracle_op *op,
		    const struct oracle_res *r, char *buf,
		    size_t size)
{
	unsigned int i;
	int n;

	if (r->err) {
		snprintf(buf, size, "%s", strerror(-r->err));
		return;
	}
	switch (op->kind) {
	case OP_UNMAP:
		snprintf(buf, size, "ok, unmapped 0x%llx", ULL(r->size));
		break;
	case OP_GET_INFO:
		n = snprintf(buf, size,
			     "ok, argsz %u flags 0x%x pgsizes 0x%llx cap_offset %u avail %s%u migration %d ranges",
			     r->info.argsz, r->info.flags, ULL(r->info.pgsizes),
			     r->info.cap_offset, r->info.has_avail ? "" : "-",
			     r->info.avail, r->info.has_migration);
		for (i = 0; i < r->info.nr_ranges && n < (int)size; i++)
			n += snprintf(buf + n, size - n, " 0x%llx-0x%llx",
				      ULL(r->info.ranges[i].start),
				      ULL(r->info.ranges[i].end));
		break;
	default:
		snprintf(buf, size, "ok, %ld", r->ret);
	}
}

void oracle_select_backend(struct oracle *o, const struct oracle_side *s)
{
	int want = s->kind == ORACLE_MDOM && !o->type1_only;

	if (s->iommu_set || o->backend == want)
		return;
	if (!want && !mdom_loaded())
		return;
	if (param_set_bool(MDOM_MOD, "vfio_backend", want))
		oracle_fail(o, "cannot switch vfio_backend");
	o->backend = want;
}

void oracle_check_served(struct oracle *o, struct oracle_side *s,
			 unsigned long type)
{
	bool mdom = s->kind == ORACLE_MDOM && !o->type1_only &&
		    (type == VFIO_TYPE1_IOMMU || type == VFIO_TYPE1v2_IOMMU);
	int got = _mdom_backend(s->container);

	s->served = got ? SERVED_TYPE1 : SERVED_MDOM;
	if (got != (mdom ? 0 : -ENOTTY))
		oracle_fail(o, "%s side: SET_IOMMU(%lu) gave the container to %s",
			    oracle_side_name(s->kind), type,
			    got ? got == -ENOTTY ? "type1" : "nobody" :
			    "vfio-mdom");
}

int oracle_ioctl(int fd, unsigned long cmd, void *arg,
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
	ret = ret < 0 ? -errno : 0;
	memcpy(arg, buf, len);
	return ret;
}

void oracle_parse_info(const uint8_t *buf, uint32_t argsz,
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
		const struct vfio_iommu_type1_info_cap_iova_range *c;
		const struct vfio_iommu_type1_info_dma_avail *a;
		const struct vfio_iommu_type1_info_cap_migration *mig;

		if (off + sizeof(*h) > argsz || ++hops > 16) {
			info->bad_chain = true;
			return;
		}
		switch (h->id) {
		case VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE:
			c = (const void *)h;
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
		case VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL:
			a = (const void *)h;
			info->has_avail = true;
			info->avail = a->avail;
			break;
		case VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION:
			mig = (const void *)h;
			if (off + sizeof(*mig) > argsz) {
				info->bad_chain = true;
				return;
			}
			info->has_migration = true;
			info->mig_version = mig->header.version;
			info->mig_flags = mig->flags;
			info->mig_pgsizes = mig->pgsize_bitmap;
			info->mig_max_bitmap = mig->max_dirty_bitmap_size;
			break;
		default:
			info->bad_chain = true;
			return;
		}
		off = h->next;
	}
}

int oracle_attach(struct oracle *o, struct oracle_side *s, int i)
{
	int ret = _vfio_set_container(s->g[i].fd, s->container);

	if (ret)
		return ret;
	if (!s->iommu_set && !s->nattached && s->auto_set_iommu) {
		ret = _vfio_set_iommu(s->container, s->type);
		if (ret) {
			_vfio_unset_container(s->g[i].fd);
			return ret;
		}
		s->iommu_set = true;
		oracle_check_served(o, s, s->type);
	}
	s->g[i].attached = true;
	s->nattached++;
	return 0;
}

int oracle_detach(struct oracle_side *s, int i)
{
	int ret = _vfio_unset_container(s->g[i].fd);

	if (ret)
		return ret;
	s->g[i].attached = false;
	if (!--s->nattached) {
		s->iommu_set = false;
		s->served = SERVED_NONE;
	}
	return 0;
}

uint64_t oracle_bm_data(struct oracle *o,
			const struct oracle_side *s,
			const struct oracle_op *op)
{
	if (op->bm.off == ORACLE_BM_NULL)
		return 0;
	if (op->bm.off == ORACLE_BM_KERNEL)
		return 0xffff888000000000ULL;
	return (uintptr_t)(o->bm[s->kind] + op->bm.off);
}

void oracle_bm_prefill(struct oracle *o, uint8_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
	unsigned int i, s;

	if (seed == 0 || seed == 1) {
		memset(o->bm_fill, seed ? 0xff : 0, ORACLE_BM_ALLOC);
	} else {
		for (i = 0; i < ORACLE_BM_ALLOC; i++)
			o->bm_fill[i] = oracle_rand(&x) >> 56;
	}
	for (s = 0; s < ORACLE_SIDES; s++)
		memcpy(o->bm[s], o->bm_fill, ORACLE_BM_ALLOC);
}

void oracle_exec(struct oracle *o, struct oracle_side *s,
		 const struct oracle_op *op,
		 struct oracle_res *r)
{
	memset(r, 0, sizeof(*r));
	if (op->kind == OP_CHECK_EXT || op->kind == OP_SET_IOMMU ||
	    op->kind == OP_ATTACH)
		oracle_select_backend(o, s);
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
		struct {
			struct vfio_iommu_type1_dma_unmap unmap;
			struct vfio_bitmap bitmap;
		} req = {
			.unmap = {
				.flags = op->flags,
				.iova = op->iova,
				.size = op->size,
			},
			.bitmap = {
				.pgsize = op->bm.pgsize,
				.size = op->bm.size,
				.data = (void *)(uintptr_t)oracle_bm_data(o, s, op),
			},
		};

		/* The bitmap follows only when the op reports dirty pages */
		r->err = oracle_ioctl(s->container, VFIO_IOMMU_UNMAP_DMA,
				      &req, oracle_op_bitmap(op) ? sizeof(req) :
				      sizeof(req.unmap), op->argsz,
				      op->trailing);
		if (!r->err)
			r->size = req.unmap.size;
		break;
	}
	case OP_DIRTY: {
		struct {
			struct vfio_iommu_type1_dirty_bitmap hdr;
			struct vfio_iommu_type1_dirty_bitmap_get get;
		} req = {
			.hdr = { .flags = op->flags },
			.get = {
				.iova = op->iova,
				.size = op->size,
				.bitmap = {
					.pgsize = op->bm.pgsize,
					.size = op->bm.size,
					.data = (void *)(uintptr_t)
						oracle_bm_data(o, s, op),
				},
			},
		};

		r->err = oracle_ioctl(s->container, VFIO_IOMMU_DIRTY_PAGES,
				      &req, oracle_op_bitmap(op) ? sizeof(req) :
				      sizeof(req.hdr), op->argsz, op->trailing);
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
		r->err = vfio_errno(ioctl(s->container, VFIO_IOMMU_GET_INFO,
					  buf));
		if (!r->err)
			oracle_parse_info(buf, argsz, &r->info);
		break;
	}
	case OP_CHECK_EXT:
		r->ret = ioctl(s->container, VFIO_CHECK_EXTENSION, op->arg);
		r->err = vfio_errno(r->ret);
		break;
	case OP_SET_IOMMU:
		r->ret = ioctl(s->container, VFIO_SET_IOMMU, op->arg);
		r->err = vfio_errno(r->ret);
		if (!r->err) {
			/* Its unmap rules from now on: v1 or v2 */
			s->type = op->arg;
			s->iommu_set = true;
			oracle_check_served(o, s, op->arg);
		}
		break;
	case OP_ATTACH:
		r->err = oracle_attach(o, s, op->group);
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
		r->err = vfio_errno(r->ret);
		break;
	}
	}
}

unsigned int oracle_map_lookup(const struct oracle *o, uint64_t iova)
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

bool oracle_overlaps(const struct oracle_map *m, uint64_t first, uint64_t last)
{
	return m->iova <= last && m->iova + (m->size - 1) >= first;
}

void oracle_model_add(struct oracle *o, const struct oracle_op *op)
{
	unsigned int i = oracle_map_lookup(o, op->iova);

	if (o->nmaps == ORACLE_MAX_MAPS) {
		oracle_fail(o, "model full");
		return;
	}
	memmove(&o->maps[i + 1], &o->maps[i],
		(o->nmaps - i) * sizeof(o->maps[0]));
	o->maps[i] = (struct oracle_map){ op->iova, op->size, op->vaddr,
					  op->flags, false };
	o->nmaps++;
	o->mapped_pages += op->size / ORACLE_PG;
}

void oracle_model_del(struct oracle *o, unsigned int i)
{
	o->mapped_pages -= o->maps[i].size / ORACLE_PG;
	memmove(&o->maps[i], &o->maps[i + 1],
		(o->nmaps - i - 1) * sizeof(o->maps[0]));
	o->nmaps--;
}

uint64_t oracle_model_unmap(struct oracle *o, uint64_t iova,
			    uint64_t size, bool all, bool v2,
			    bool invalidate)
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
		if (!invalidate) {
			oracle_model_del(o, i);
			continue;
		}
		if (o->maps[i].invalid)
			oracle_fail(o, "model: mapping at 0x%llx invalidated twice",
				    ULL(o->maps[i].iova));
		o->maps[i++].invalid = true;
	}
	return total;
}

void oracle_model_revalidate(struct oracle *o, const struct oracle_op *op)
{
	unsigned int i = oracle_map_lookup(o, op->iova);
	struct oracle_map *m = &o->maps[i];

	if (i == o->nmaps || m->iova != op->iova || m->size != op->size ||
	    !m->invalid) {
		oracle_fail(o, "model: no invalid mapping at 0x%llx size 0x%llx for MAP_DMA(VADDR)",
			    ULL(op->iova), ULL(op->size));
		return;
	}
	m->invalid = false;
}

unsigned int oracle_model_invalid(const struct oracle *o)
{
	unsigned int i, n = 0;

	for (i = 0; i < o->nmaps; i++)
		n += o->maps[i].invalid;
	return n;
}

uint64_t oracle_phys(const struct oracle *o, uint64_t vaddr)
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

int oracle_read_pagemap(struct oracle *o)
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

int oracle_classify(const struct oracle_op *op,
		    const struct oracle_res *t,
		    const struct oracle_res *m, bool mdom_serves)
{
	bool same = t->err == m->err && t->ret == m->ret;

	switch (op->kind) {
	case OP_MAP:
		return t->err == m->err ? DIV_NONE : DIV_UNEXPECTED;
	case OP_UNMAP:
		/*
		 * type1 meets nothing in a range ending at 2^64; vfio-mdom
		 * unmaps, or invalidates (VADDR) what is there, or refuses
		 * to invalidate an address invalid already: oracle_step()
		 * plays the range short of 2^64 on type1 and compares again.
		 */
		if (mdom_serves && !(op->flags & VFIO_DMA_UNMAP_FLAG_ALL) &&
		    op->iova + op->size == 0 && !t->err && !t->size &&
		    (m->err || m->size))
			return DIV_UNMAP_TOP_OF_SPACE;
		if (t->err != m->err)
			return DIV_UNEXPECTED;
		if (t->err || t->size == m->size)
			return DIV_NONE;
		return DIV_UNEXPECTED;
	case OP_GET_INFO:
		/*
		 * The same flags, page sizes, argsz needed, and capabilities
		 * with the same contents (parsed by id: the order in the
		 * chain is free)
		 */
		if (t->err != m->err || t->info.bad_chain || m->info.bad_chain)
			return DIV_UNEXPECTED;
		return memcmp(&t->info, &m->info, sizeof(t->info)) ?
		       DIV_UNEXPECTED : DIV_NONE;
	case OP_CHECK_EXT:
		if (same)
			return DIV_NONE;
		if (mdom_serves && op->arg == VFIO_TYPE1_NESTING_IOMMU &&
		    t->ret == 1 && !m->ret)
			return DIV_EXTENSIONS;
		return DIV_UNEXPECTED;
	case OP_ATTACH:
		if (t->err == m->err)
			return DIV_NONE;
		/* vfio-mdom's replay needs the pins, not the user addresses */
		if (mdom_serves && t->err == -EBUSY && !m->err)
			return DIV_ATTACH_VADDR_INVALID;
		return DIV_UNEXPECTED;
	case OP_SET_IOMMU:
	case OP_DETACH:
		return t->err == m->err ? DIV_NONE : DIV_UNEXPECTED;
	case OP_IOCTL:
	case OP_DIRTY:
		/* The bitmaps are compared by oracle_compare_bitmaps() */
		return same ? DIV_NONE : DIV_UNEXPECTED;
	}
	return DIV_UNEXPECTED;
}

bool oracle_mdom_dirty_iommu(struct oracle *o)
{
	struct oracle_side *md = &o->side[ORACLE_MDOM];
	struct mdom_state st;

	return md->served == SERVED_MDOM && !_mdom_query(md->container, &st) &&
	       st.q.dirty_mode == VFIO_MDOM_DIRTY_IOMMU;
}

bool oracle_mapped_in(const struct oracle *o, uint64_t iova,
		      uint64_t first, uint64_t last)
{
	unsigned int i = oracle_map_lookup(o, iova);
	const struct oracle_map *m = &o->maps[i];

	return i < o->nmaps && m->iova <= iova && m->iova >= first &&
	       m->iova + (m->size - 1) <= last;
}

bool oracle_stale_bits(const struct oracle *o, const struct oracle_op *op)
{
	const uint8_t *t = o->bm[ORACLE_TYPE1], *m = o->bm[ORACLE_MDOM];
	uint64_t first = op->iova, last = op->iova + (op->size - 1), page;
	size_t i;
	int b;

	if (op->bm.off < 0 || op->bm.pgsize != ORACLE_PG)
		return false;
	for (i = 0; i < ORACLE_BM_ALLOC; i++) {
		if (t[i] == m[i])
			continue;
		if ((int)i < op->bm.off || (m[i] & ~t[i]))
			return false;
		for (b = 0; b < 8; b++) {
			if (!((t[i] ^ m[i]) & (1 << b)))
				continue;
			page = op->iova + ((i - op->bm.off) * 8 + b) * ORACLE_PG;
			if (oracle_mapped_in(o, page, first, last))
				return false;
		}
	}
	return true;
}

int oracle_compare_bitmaps(struct oracle *o,
			   const struct oracle_op *op,
			   bool mdom_iommu)
{
	const uint8_t *t = o->bm[ORACLE_TYPE1], *m = o->bm[ORACLE_MDOM];
	char ops[256];
	size_t i;

	if (!memcmp(t, m, ORACLE_BM_ALLOC))
		return DIV_NONE;
	if (mdom_iommu && !memcmp(m, o->bm_fill, ORACLE_BM_ALLOC))
		return DIV_DIRTY_IOMMU;
	if (!mdom_iommu && oracle_stale_bits(o, op))
		return DIV_DIRTY_STALE_BITS;
	for (i = 0; t[i] == m[i]; i++)
		;
	oracle_op_str(o, op, ops, sizeof(ops));
	oracle_fail(o,
		    "%s: bitmaps differ from byte %zu: type1 %02x %02x %02x %02x, vfio-mdom %02x %02x %02x %02x, before %02x %02x %02x %02x%s",
		    ops, i, t[i], t[i + 1], t[i + 2], t[i + 3], m[i], m[i + 1],
		    m[i + 2], m[i + 3], o->bm_fill[i], o->bm_fill[i + 1],
		    o->bm_fill[i + 2], o->bm_fill[i + 3],
		    mdom_iommu ? " (vfio-mdom in IOMMU dirty mode)" : "");
	return DIV_UNEXPECTED;
}

int oracle_dirty_switch(const struct oracle_op *op)
{
	if (op->kind != OP_DIRTY && (op->kind != OP_IOCTL ||
				     op->arg != VFIO_IOMMU_DIRTY_PAGES))
		return -1;
	if (op->flags == VFIO_IOMMU_DIRTY_PAGES_FLAG_START)
		return 1;
	if (op->flags == VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP)
		return 0;
	return -1;
}

bool oracle_touches_domains(enum oracle_op_kind k)
{
	return k == OP_MAP || k == OP_UNMAP || k == OP_ATTACH ||
	       k == OP_DETACH || k == OP_SET_IOMMU;
}

void oracle_check_counters(struct oracle *o, int kind,
			   const struct mock_counters *before,
			   const struct mock_counters *after,
			   const char *what)
{
	int i;

	for (i = 0; i < MOCK_IOMMU_NR_COUNTERS; i++) {
		if (mock_cmd_counter_kind(i) != MOCK_IOMMU_COUNTER_ERROR ||
		    after->v[i] == before->v[i])
			continue;
		if (kind == ORACLE_TYPE1 && i == MOCK_IOMMU_CNT_LEAKED_TRANSLATIONS) {
			o->div_hits[DIV_UNMAP_ON_DOMAIN_FREE]++;
			continue;
		}
		oracle_fail(o, "%s: %s moved mock counter %s by %lld", what,
			    oracle_side_name(kind), mock_counter_name(i),
			    after->v[i] - before->v[i]);
	}
}

int oracle_step(struct oracle *o, const struct oracle_op *op,
		struct oracle_res *tres, struct oracle_res *mres)
{
	struct oracle_side *t1 = &o->side[ORACLE_TYPE1];
	struct oracle_side *md = &o->side[ORACLE_MDOM];
	bool mdom_serves = md->served == SERVED_MDOM;
	struct mock_counters c0, c1, c2;
	int md_kind;
	bool counters = oracle_touches_domains(op->kind);
	char ops[256], ts[512], ms[512];
	bool bitmap = oracle_op_bitmap(op), mdom_iommu = false;
	struct oracle_res t, m;
	uint64_t model;
	int div, bdiv = DIV_NONE;

	if (o->failed)
		return DIV_UNEXPECTED;
	o->ops++;
	if (bitmap) {
		mdom_iommu = oracle_mdom_dirty_iommu(o);
		oracle_bm_prefill(o, op->bm.fill);
	}
	if (counters && mock_counters(-1, &c0))
		counters = false;
	oracle_exec(o, t1, op, &t);
	if (counters)
		mock_counters(-1, &c1);
	oracle_exec(o, md, op, &m);
	if (counters) {
		/* Whoever served vfio-mdom's side before or after the op */
		md_kind = mdom_serves || md->served == SERVED_MDOM ?
			  ORACLE_MDOM : ORACLE_TYPE1;
		mock_counters(-1, &c2);
		oracle_op_str(o, op, ops, sizeof(ops));
		oracle_check_counters(o, ORACLE_TYPE1, &c0, &c1, ops);
		oracle_check_counters(o, md_kind, &c1, &c2, ops);
	}
	if (tres)
		*tres = t;
	if (mres)
		*mres = m;
	if (o->failed)
		return DIV_UNEXPECTED;

	div = oracle_classify(op, &t, &m, mdom_serves);
	if (div == DIV_UNEXPECTED) {
		oracle_op_str(o, op, ops, sizeof(ops));
		oracle_res_str(op, &t, ts, sizeof(ts));
		oracle_res_str(op, &m, ms, sizeof(ms));
		oracle_fail(o, "%s: type1: %s; vfio-mdom: %s", ops, ts, ms);
		return div;
	}
	if (bitmap) {
		bdiv = oracle_compare_bitmaps(o, op, mdom_iommu);
		if (bdiv == DIV_UNEXPECTED)
			return bdiv;
		if (bdiv != DIV_NONE) {
			o->div_hits[bdiv]++;
			if (div == DIV_NONE)
				div = bdiv;
		}
	}
	if (div != DIV_NONE && div != bdiv)
		o->div_hits[div]++;

	switch (op->kind) {
	case OP_MAP:
		if (t.err || m.err)
			break;
		/* VADDR only gives an existing mapping a new user address */
		if (op->flags & VFIO_DMA_MAP_FLAG_VADDR)
			oracle_model_revalidate(o, op);
		else
			oracle_model_add(o, op);
		break;
	case OP_UNMAP:
		if (div == DIV_UNMAP_TOP_OF_SPACE) {
			/* Bring type1 along: the same range, short of 2^64 */
			struct oracle_op op2 = *op;

			op2.size -= ORACLE_PG;
			oracle_exec(o, t1, &op2, &t);
			if (t.err != m.err) {
				oracle_fail(o, "type1 catch-up unmap: %s, vfio-mdom %s",
					    strerror(-t.err), strerror(-m.err));
				break;
			}
		}
		if (t.err || m.err)
			break;
		/* VADDR only invalidates user addresses (type1) */
		if (!mdom_serves && !(op->flags & VFIO_DMA_UNMAP_FLAG_ALL) &&
		    op->iova + op->size == 0)
			model = 0;	/* type1 on both sides: its overflow */
		else
			model = oracle_model_unmap(o, op->iova, op->size,
						   op->flags & VFIO_DMA_UNMAP_FLAG_ALL,
						   t1->type != VFIO_TYPE1_IOMMU,
						   op->flags & VFIO_DMA_UNMAP_FLAG_VADDR);
		if (m.size != model || t.size != model) {
			oracle_op_str(o, op, ops, sizeof(ops));
			oracle_fail(o, "%s: unmapped type1 0x%llx vfio-mdom 0x%llx, model 0x%llx",
				    ops, ULL(t.size), ULL(m.size), ULL(model));
		}
		break;
	case OP_DETACH:
		/* The last group took every mapping with the IOMMU driver */
		if (!t.err && !m.err && !md->nattached) {
			oracle_model_unmap(o, 0, 0, true, true, false);
			o->dirty_on = false;
		}
		break;
	case OP_ATTACH:
		/* Back in step: the group leaves vfio-mdom's side again */
		if (div == DIV_ATTACH_VADDR_INVALID &&
		    oracle_detach(md, op->group))
			oracle_fail(o, "vfio-mdom: a group attached early cannot leave");
		break;
	default:
		if (!t.err && !m.err && oracle_dirty_switch(op) >= 0)
			o->dirty_on = oracle_dirty_switch(op);
		break;
	}
	if (t1->nattached != md->nattached || t1->iommu_set != md->iommu_set)
		oracle_fail(o, "the sides are out of step: %u/%u groups, IOMMU %d/%d",
			    t1->nattached, md->nattached, t1->iommu_set,
			    md->iommu_set);
	return o->failed ? DIV_UNEXPECTED : div;
}

int oracle_mock_devices(unsigned int dom[ORACLE_SIDES][ORACLE_NR_MOCK])
{
	struct mock_dev devs[MOCK_MAX_DEVS];
	int i, n = mock_devices(devs, MOCK_MAX_DEVS);

	memset(dom, 0, sizeof(unsigned int) * ORACLE_SIDES * ORACLE_NR_MOCK);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++)
		if (devs[i].inst < ORACLE_NR_MOCK && devs[i].index < ORACLE_SIDES)
			dom[devs[i].index][devs[i].inst] = devs[i].domain;
	return 0;
}

unsigned int oracle_xlate_prot(const struct oracle_map *m)
{
	return ((m->flags & VFIO_DMA_MAP_FLAG_READ) ? MOCK_PROT_READ : 0) |
	       ((m->flags & VFIO_DMA_MAP_FLAG_WRITE) ? MOCK_PROT_WRITE : 0) |
	       MOCK_PROT_CACHE;
}

void oracle_check_model(struct oracle *o,
			const struct mock_domain *d,
			const char *who)
{
	unsigned int j = 0;
	uint64_t moff = 0;
	unsigned long k;

	for (k = 0; k < d->nx && !o->failed; k++) {
		const struct mock_xlate *x = &d->x[k];
		uint64_t off;

		for (off = 0; off < x->size; off += ORACLE_PG) {
			const struct oracle_map *m = &o->maps[j];
			uint64_t want;

			if (j == o->nmaps) {
				oracle_fail(o, "%s: translation at 0x%llx is not mapped",
					    who, ULL(x->iova + off));
				return;
			}
			want = oracle_phys(o, m->vaddr + moff);
			if (x->iova + off != m->iova + moff ||
			    x->phys + off != want ||
			    (x->prot & 0xff) != oracle_xlate_prot(m)) {
				oracle_fail(o,
					    "%s: iova 0x%llx phys 0x%llx prot 0x%x, model: iova 0x%llx phys 0x%llx prot 0x%x",
					    who, ULL(x->iova + off),
					    ULL(x->phys + off), x->prot,
					    ULL(m->iova + moff), ULL(want),
					    oracle_xlate_prot(m));
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
		oracle_fail(o, "%s: mapping at 0x%llx missing", who,
			    ULL(o->maps[j].iova));
}

void oracle_check_query(struct oracle *o)
{
	struct oracle_side *md = &o->side[ORACLE_MDOM];
	struct mdom_state st;
	unsigned int k;
	int err;

	if (md->served != SERVED_MDOM || o->failed)
		return;
	err = _mdom_query(md->container, &st);
	if (err) {
		oracle_fail(o, "VFIO_MDOM_QUERY: %s", strerror(-err));
		return;
	}
	if (st.q.num_mappings != o->nmaps ||
	    st.q.mapped_bytes != o->mapped_pages * ORACLE_PG ||
	    st.q.pinned_pages != o->mapped_pages ||
	    st.q.locked_pages != o->mapped_pages || st.q.shared_pages ||
	    st.q.num_groups != md->nattached ||
	    st.q.iommu_type != md->type ||
	    st.q.num_vaddr_invalid != oracle_model_invalid(o) ||
	    !!st.q.dirty_mode != o->dirty_on) {
		oracle_fail(o,
			    "VFIO_MDOM_QUERY: %u mappings 0x%llx bytes %llu pinned %llu locked %llu shared, %u groups, type %u, %u invalid, dirty mode %u; model %u mappings %llu pages, %u groups, type %lu, %u invalid, dirty %d",
			    st.q.num_mappings, ULL(st.q.mapped_bytes),
			    ULL(st.q.pinned_pages), ULL(st.q.locked_pages),
			    ULL(st.q.shared_pages), st.q.num_groups,
			    st.q.iommu_type, st.q.num_vaddr_invalid,
			    st.q.dirty_mode, o->nmaps, ULL(o->mapped_pages),
			    md->nattached, md->type, oracle_model_invalid(o),
			    o->dirty_on);
		return;
	}
	for (k = 0; k < st.q.num_domains; k++)
		if (st.domains[k].mapped_bytes != st.q.mapped_bytes)
			oracle_fail(o, "domain %u maps 0x%llx bytes of 0x%llx",
				    st.domains[k].id,
				    ULL(st.domains[k].mapped_bytes),
				    ULL(st.q.mapped_bytes));
}

void oracle_check_domains(struct oracle *o)
{
	struct mock_domain *d[ORACLE_SIDES][ORACLE_NR_MOCK];
	unsigned int dom[ORACLE_SIDES][ORACLE_NR_MOCK];
	unsigned int s, k, l;
	char who[64];

	if (o->failed)
		return;
	o->checks++;
	if (oracle_read_pagemap(o) || mock_dump_read(&o->dump)) {
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
			if (!!dom[s][k] != (g->attached && o->side[s].iommu_set)) {
				oracle_fail(o, "%s: mock device %s %sattached",
					    oracle_side_name(s), g->name,
					    dom[s][k] ? "" : "not ");
				return;
			}
			if (!dom[s][k])
				continue;
			d[s][k] = mock_dump_domain(&o->dump, dom[s][k]);
			if (!d[s][k]) {
				oracle_fail(o, "mock domain %u not listed",
					    dom[s][k]);
				return;
			}
		}
	}
	for (k = 0; k < ORACLE_NR_MOCK; k++) {
		struct mock_domain *a = d[0][k], *b = d[1][k];
		unsigned long i;

		if (!a)
			continue;
		for (l = 0; l < k; l++) {
			bool share0 = dom[0][l] == dom[0][k];
			bool share1 = dom[1][l] == dom[1][k];

			if (d[0][l] && share0 != share1)
				oracle_fail(o,
					    "mock instances %u and %u share a domain on one side only",
					    l, k);
		}
		if (a->attached != b->attached || a->enforce_cc != b->enforce_cc ||
		    a->nx != b->nx) {
			oracle_fail(o,
				    "mock instance %u: type1 domain %u (attached %u cc %d, %lu translations), vfio-mdom domain %u (attached %u cc %d, %lu translations)",
				    k, a->id, a->attached, a->enforce_cc,
				    a->nx, b->id, b->attached, b->enforce_cc,
				    b->nx);
			return;
		}
		for (i = 0; i < a->nx; i++) {
			const struct mock_xlate *x = &a->x[i], *y = &b->x[i];

			if (x->iova != y->iova || x->phys != y->phys ||
			    x->size != y->size || x->prot != y->prot) {
				oracle_fail(o,
					    "mock instance %u: type1 iova 0x%llx phys 0x%llx size 0x%llx prot 0x%x, vfio-mdom iova 0x%llx phys 0x%llx size 0x%llx prot 0x%x",
					    k, ULL(x->iova), ULL(x->phys),
					    ULL(x->size), x->prot, ULL(y->iova),
					    ULL(y->phys), ULL(y->size), y->prot);
				return;
			}
		}
		snprintf(who, sizeof(who), "vfio-mdom mock domain %u (inst %u)",
			 b->id, k);
		oracle_check_model(o, b, who);
	}
	oracle_check_query(o);
}

int oracle_init(struct oracle *o, char *why, size_t size)
{
	unsigned int s, k;
	struct edu_dev edu;
	struct mock_dev md;
	size_t i;

	memset(o, 0, sizeof(*o));
	o->backend = -1;
	o->type1_only = mdom_test_on_type1();
	for (s = 0; s < ORACLE_SIDES; s++) {
		struct oracle_side *sd = &o->side[s];

		sd->kind = s;
		sd->container = -1;
		for (k = 0; k < ORACLE_NR_GROUPS; k++)
			sd->g[k].fd = -1;
	}
	if (!mock_loaded()) {
		snprintf(why, size, "the mock IOMMU is not loaded");
		return -ENOENT;
	}
	if (!mdom_loaded() && !o->type1_only) {
		snprintf(why, size, "vfio_mdom.ko is not loaded");
		return -ENOENT;
	}
	for (s = 0; s < ORACLE_SIDES; s++) {
		struct oracle_side *sd = &o->side[s];

		if (edu_find(s, &edu)) {
			snprintf(why, size, "needs two edu devices bound to vfio-pci");
			return -ENOENT;
		}
		sd->g[ORACLE_EDU].number = edu.group;
		sd->g[ORACLE_EDU].inst = -1;
		snprintf(sd->g[ORACLE_EDU].name, sizeof(sd->g[0].name), "edu");
		for (k = 0; k < ORACLE_NR_MOCK; k++) {
			struct oracle_group *g = &sd->g[ORACLE_MOCK(k)];

			if (mock_find_dev(k, s, &md)) {
				snprintf(why, size, "no mock device %u.%u", k, s);
				return -ENOENT;
			}
			g->inst = k;
			g->number = md.group;
			str_copy(g->name, md.name, sizeof(g->name));
		}
		for (k = 0; k < ORACLE_NR_GROUPS; k++) {
			sd->g[k].fd = vfio_open_group(sd->g[k].number);
			if (sd->g[k].fd < 0) {
				snprintf(why, size, "open /dev/vfio/%d: %s",
					 sd->g[k].number,
					 strerror(-sd->g[k].fd));
				return sd->g[k].fd;
			}
		}
	}

	o->pool_map = mmap(NULL, ORACLE_POOL_SIZE + SZ_2M,
			   PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	o->ro = mmap(NULL, 2 * ORACLE_RO_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	o->pfns = calloc((ORACLE_POOL_SIZE + ORACLE_RO_SIZE) / ORACLE_PG, 8);
	for (s = 0; s < ORACLE_SIDES; s++)
		o->bm[s] = malloc(ORACLE_BM_ALLOC);
	o->bm_fill = malloc(ORACLE_BM_ALLOC);
	if (o->pool_map == MAP_FAILED || o->ro == MAP_FAILED || !o->pfns ||
	    !o->bm[0] || !o->bm[1] || !o->bm_fill) {
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

	/* Mock instance 2's MSIs are not isolated: allowed on both sides */
	if ((mdom_loaded() &&
	     (param_save(&o->params, MDOM_MOD, "vfio_backend") ||
	      param_save(&o->params, MDOM_MOD, "dma_entry_limit"))) ||
	    param_save(&o->params, TYPE1_MOD, "dma_entry_limit") ||
	    params_set_both(&o->params, "allow_unsafe_interrupts", "Y") ||
	    /* The defaults differ (type1_divergences.rst): DMA_AVAIL too */
	    params_set_both(&o->params, "dma_entry_limit", "65535")) {
		snprintf(why, size, "cannot change the module parameters");
		return -EPERM;
	}
	o->vmlck_start = vmlck_kb();
	o->pins_start = foll_pins_stable();
	if (o->vmlck_start < 0 || o->pins_start < 0 ||
	    mock_counters(-1, &o->mock_start)) {
		snprintf(why, size,
			 "cannot read VmLck, the pinned pages or the mock's counters");
		return -EIO;
	}
	return 0;
}

int oracle_begin(struct oracle *o, unsigned long type)
{
	unsigned int s;

	for (s = 0; s < ORACLE_SIDES; s++) {
		struct oracle_side *sd = &o->side[s];

		sd->container = vfio_open_container();
		if (sd->container < 0)
			return sd->container;
		sd->type = type;
		sd->iommu_set = false;
		sd->served = SERVED_NONE;
		sd->auto_set_iommu = true;
		sd->nattached = 0;
	}
	o->nmaps = 0;
	o->mapped_pages = 0;
	o->dirty_on = false;
	return 0;
}

void oracle_end(struct oracle *o)
{
	struct mock_counters c0, c1, c2;
	int md_kind = o->side[ORACLE_MDOM].served == SERVED_MDOM ?
		      ORACLE_MDOM : ORACLE_TYPE1;
	unsigned int s, k;
	long long pins;

	if (mock_counters(-1, &c0))
		oracle_fail(o, "cannot read the mock's counters");
	c1 = c0;
	for (s = 0; s < ORACLE_SIDES; s++) {
		struct oracle_side *sd = &o->side[s];

		for (k = 0; k < ORACLE_NR_GROUPS; k++) {
			if (sd->g[k].attached)
				_vfio_unset_container(sd->g[k].fd);
			sd->g[k].attached = false;
		}
		if (sd->container >= 0)
			close(sd->container);
		sd->container = -1;
		sd->nattached = 0;
		sd->iommu_set = false;
		sd->served = SERVED_NONE;
		if (mock_counters(-1, s ? &c2 : &c1))
			oracle_fail(o, "cannot read the mock's counters");
	}
	oracle_check_counters(o, ORACLE_TYPE1, &c0, &c1, "type1 close");
	oracle_check_counters(o, md_kind, &c1, &c2, "vfio-mdom close");
	o->nmaps = 0;
	o->mapped_pages = 0;
	o->dirty_on = false;
	if (c2.v[MOCK_IOMMU_CNT_DOMAINS_LIVE] != o->mock_start.v[MOCK_IOMMU_CNT_DOMAINS_LIVE] ||
	    c2.v[MOCK_IOMMU_CNT_TRANSLATIONS_LIVE] !=
	    o->mock_start.v[MOCK_IOMMU_CNT_TRANSLATIONS_LIVE])
		oracle_fail(o,
			    "%lld mock domains, %lld translations live after close, %lld, %lld before",
			    c2.v[MOCK_IOMMU_CNT_DOMAINS_LIVE],
			    c2.v[MOCK_IOMMU_CNT_TRANSLATIONS_LIVE],
			    o->mock_start.v[MOCK_IOMMU_CNT_DOMAINS_LIVE],
			    o->mock_start.v[MOCK_IOMMU_CNT_TRANSLATIONS_LIVE]);
	if (vmlck_kb() != o->vmlck_start)
		oracle_fail(o, "VmLck %ld kB after close, %ld before",
			    vmlck_kb(), o->vmlck_start);
	pins = foll_pins_at(o->pins_start);
	if (pins != o->pins_start)
		oracle_fail(o, "%lld pages pinned after close, %lld before",
			    pins, o->pins_start);
	if (mdom_loaded() && mdom_dbg_containers(getpid(), NULL, 0))
		oracle_fail(o, "vfio-mdom containers left after close");
}

void oracle_fini(struct oracle *o)
{
	unsigned int s, k;

	for (s = 0; s < ORACLE_SIDES; s++) {
		if (o->side[s].container >= 0)
			close(o->side[s].container);
		for (k = 0; k < ORACLE_NR_GROUPS; k++)
			if (o->side[s].g[k].fd >= 0)
				close(o->side[s].g[k].fd);
	}
	params_restore(&o->params);
	if (o->pool_map && o->pool_map != MAP_FAILED)
		munmap(o->pool_map, ORACLE_POOL_SIZE + SZ_2M);
	if (o->ro && o->ro != MAP_FAILED)
		munmap(o->ro, ORACLE_RO_SIZE);
	free(o->pfns);
	for (s = 0; s < ORACLE_SIDES; s++)
		free(o->bm[s]);
	free(o->bm_fill);
	mock_dump_free(&o->dump);
}
