// SPDX-License-Identifier: GPL-2.0
#include <limits.h>
#include <sys/mman.h>

#include <libvfio_mdom/mock.h>
#include <libvfio_mdom/vfio.h>

bool mock_loaded(void)
{
	return !access(MOCK_DEBUGFS "/devices", R_OK);
}

int mock_module_path(char *path, size_t size)
{
	const char *dir = getenv("MDOM_MODULES");
	char exe[PATH_MAX];
	ssize_t len;
	char *slash;

	if (dir && dir[0] == '/') {
		snprintf(path, size, "%s/%s", dir, MOCK_KO);
		return access(path, R_OK) ? -errno : 0;
	}
	/* tools/testing/selftests/vfio_mdom/NAME: four levels below */
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len < 0)
		return -errno;
	exe[len] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	snprintf(path, size, "%s/../../../../%s", exe, MOCK_KO);
	return access(path, R_OK) ? -errno : 0;
}

int mock_reload(const char *params)
{
	char path[PATH_MAX];
	int fd, ret, tries;

	ret = mock_module_path(path, sizeof(path));
	if (ret)
		return ret;
	/* A closing fd may hold the module a moment longer */
	for (tries = 0; mock_loaded() || !access(MOCK_SYSMOD, F_OK); tries++) {
		if (!syscall(SYS_delete_module, MOCK_MOD, O_NONBLOCK))
			break;
		if (errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EBUSY)
			return -errno;
		if (tries == 100)
			return -EBUSY;
		usleep(20000);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0);
	ret = ret ? -errno : 0;
	close(fd);
	if (!ret && !mock_loaded())
		ret = -ENOENT;
	return ret;
}

int mock_instances(struct mock_inst *out, int max)
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
			.inst = v[0], .pgsizes = v[1],
			.aperture_start = start, .aperture_end = v[2],
			.enforce_cc = v[3], .isolated_msi = v[4],
			.devices = v[5],
		};
		n++;
	}
	return n;
}

int mock_devices(struct mock_dev *out, int max)
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

int mock_find_dev(int inst, int index, struct mock_dev *out)
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

unsigned int mock_dev_domain(int inst, int index)
{
	struct mock_dev d;

	return mock_find_dev(inst, index, &d) ? 0 : d.domain;
}

bool mock_parse_domain(const char *line, struct mock_domain *d)
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

int mock_dump_add_xlate(struct mock_dump *dump, const struct mock_xlate *x)
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

int mock_dump_read(struct mock_dump *dump)
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

void mock_dump_free(struct mock_dump *dump)
{
	free(dump->x);
	free(dump->text);
	memset(dump, 0, sizeof(*dump));
}

struct mock_domain *mock_dump_domain(struct mock_dump *dump, unsigned int id)
{
	unsigned int i;

	for (i = 0; i < dump->ndomains; i++)
		if (dump->d[i].id == id)
			return &dump->d[i];
	return NULL;
}

int mock_nr_domains(void)
{
	struct mock_dump dump = {};
	int ret = mock_dump_read(&dump);

	if (!ret)
		ret = dump.ndomains;
	mock_dump_free(&dump);
	return ret;
}

int mock_domain_covers(unsigned int id, uint64_t iova,
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
	if (!phys)
		return -ENOMEM;
	ret = pagemap_phys(vaddr, npages, phys) ?: mock_dump_read(&dump);
	if (ret)
		goto out_free;
	d = mock_dump_domain(&dump, id);
	if (!d)
		ret = -ENOENT;
	/* Translations are listed by IOVA */
	for (k = 0; !ret && k < npages; k++) {
		a = iova + k * pg;
		while (i < d->nx && d->x[i].iova + d->x[i].size <= a)
			i++;
		x = &d->x[i];
		if (i == d->nx || x->iova > a)
			ret = -ENXIO;
		else if ((x->prot & (MOCK_PROT_RW | MOCK_PROT_CACHE)) != prot)
			ret = -EACCES;
		else if (phys[k] == UINT64_MAX ||
			 x->phys + (a - x->iova) != phys[k])
			ret = -EXDEV;
	}
out_free:
	mock_dump_free(&dump);
	free(phys);
	return ret;
}

long mock_domain_xlates_in(unsigned int id, uint64_t iova, uint64_t size)
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

/* An errno given either way, as the knobs' debugfs files take it */
static int mock_errno(int err)
{
	return err > 0 ? -err : err;
}

/* One typed command on a file of its own: the caller keeps no state. */
#define MOCK_CMD(call) ({						\
	int __fd = mock_cmd_open(), __ret;				\
									\
	__ret = __fd < 0 ? __fd : (call);				\
	if (__fd >= 0)							\
		close(__fd);						\
	__ret;								\
})

int mock_counters(int inst, struct mock_counters *c)
{
	struct mock_iommu_counters raw;
	unsigned int i;
	int ret;

	ret = MOCK_CMD(mock_cmd_get_counters(__fd, inst < 0 ?
					     MOCK_IOMMU_ALL_INSTANCES : inst,
					     &raw));
	for (i = 0; i < MOCK_IOMMU_NR_COUNTERS; i++)
		c->v[i] = ret ? -1 : (long long)mock_cmd_counter(&raw, i);
	return ret;
}

long long mock_counter(enum mock_iommu_counter_id id, int inst)
{
	struct mock_counters c;
	int ret = mock_counters(inst, &c);

	return ret ? ret : c.v[id];
}

int mock_counters_moved(const struct mock_counters *before,
			const struct mock_counters *after,
			bool gauges, bool allow_leaks)
{
	int i;

	for (i = 0; i < MOCK_IOMMU_NR_COUNTERS; i++) {
		switch (mock_cmd_counter_kind(i)) {
		case MOCK_IOMMU_COUNTER_ERROR:
			if (allow_leaks &&
			    i == MOCK_IOMMU_CNT_LEAKED_TRANSLATIONS)
				continue;
			break;
		case MOCK_IOMMU_COUNTER_GAUGE:
			if (!gauges)
				continue;
			break;
		default:
			continue;
		}
		if (before->v[i] != after->v[i])
			return i;
	}
	return -1;
}

int mock_inst_write(int inst, const char *file, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), MOCK_DEBUGFS "/inst%d/%s", inst, file);
	return write_file(path, val);
}

int mock_inst_read(int inst, const char *file, char *buf, size_t size)
{
	char path[128];

	snprintf(path, sizeof(path), MOCK_DEBUGFS "/inst%d/%s", inst, file);
	return read_line(path, buf, size);
}

int mock_fail_nth_map(int inst, unsigned int nth, int err)
{
	if (!nth || !err)
		return MOCK_CMD(mock_cmd_fail_nth_map(__fd, inst, 0, 0));
	return MOCK_CMD(mock_cmd_fail_nth_map(__fd, inst, nth,
					      mock_errno(err)));
}

int mock_fail_domain_alloc(int inst, int err)
{
	return MOCK_CMD(mock_cmd_fail_domain_alloc(__fd, inst,
						   mock_errno(err)));
}

int mock_fail_attach(int inst, int err)
{
	return MOCK_CMD(mock_cmd_fail_attach(__fd, inst, mock_errno(err)));
}

int mock_hold_unmap(int inst, bool on)
{
	return MOCK_CMD(mock_cmd_hold_unmap(__fd, inst, on));
}

int mock_hold_unmap_state(int inst)
{
	return MOCK_CMD(mock_cmd_hold_unmap_state(__fd, inst));
}

int mock_unmap_delay(int inst, unsigned int us)
{
	return MOCK_CMD(mock_cmd_unmap_delay(__fd, inst, us));
}

int mock_dma(const char *name, uint64_t iova, void *buf,
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

int mock_dma_write(const char *name, uint64_t iova, const void *buf, size_t len)
{
	return mock_dma(name, iova, (void *)buf, len, true);
}

int mock_dma_read(const char *name, uint64_t iova, void *buf, size_t len)
{
	return mock_dma(name, iova, buf, len, false);
}

int mock_last_fault(const char *name, char *buf, size_t size)
{
	char path[160];

	snprintf(path, sizeof(path), MOCK_DEBUGFS "/dev/%s/last_fault", name);
	return read_line(path, buf, size);
}

void mock_emu_path(char *path, size_t size, int emu, const char *file)
{
	snprintf(path, size, MOCK_DEBUGFS "/emulated/emu%d/%s", emu, file);
}

int mock_emu_group(int emu)
{
	char path[128], buf[32];
	int ret;

	mock_emu_path(path, sizeof(path), emu, "group");
	ret = read_line(path, buf, sizeof(buf));
	return ret ? ret : atoi(buf);
}

int mock_emu_pin(int emu, uint64_t iova, unsigned int npages, const char *prot)
{
	char path[128], cmd[96];

	mock_emu_path(path, sizeof(path), emu, "pin");
	snprintf(cmd, sizeof(cmd), "0x%llx %u %s", (unsigned long long)iova,
		 npages, prot);
	return write_file(path, cmd);
}

int mock_emu_unpin(int emu, uint64_t iova, unsigned int npages)
{
	char path[128], cmd[96];

	mock_emu_path(path, sizeof(path), emu, "unpin");
	snprintf(cmd, sizeof(cmd), "0x%llx %u", (unsigned long long)iova,
		 npages);
	return write_file(path, cmd);
}

int mock_emu_dma(int emu, uint64_t iova, void *buf, size_t len, bool write_mem)
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

int mock_emu_state(int emu, int *open_now, long *pinned)
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

long mock_emu_unmap_calls(int emu, uint64_t *iova, uint64_t *length)
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

int mock_emu_keep_on_unmap(int emu, bool keep)
{
	return MOCK_CMD(mock_cmd_keep_on_unmap(__fd, emu, keep));
}

int mock_emu_reset_unmap_calls(int emu)
{
	char path[128];

	mock_emu_path(path, sizeof(path), emu, "unmap_calls");
	return write_file(path, "0");
}

int mock_emu_pinned(int emu, struct mock_emu_run *out, int max)
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

int mock_domain_dirty(unsigned int id, bool *tracking, bool *capable)
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

/* ---- two devices that never share a domain ------------------------------- */

void mock_pair_init(struct mock_pair *p)
{
	memset(p, 0, sizeof(*p));
	p->gfd[0] = -1;
	p->gfd[1] = -1;
	p->egroup = -1;
	p->egfd = -1;
	p->container = -1;
	p->buf = MAP_FAILED;
}

int mock_pair_open(struct mock_pair *p, bool emulated, size_t len)
{
	int i, ret;

	for (i = 0; i < 2; i++) {
		ret = mock_find_dev(i, 0, &p->dev[i]);
		if (ret)
			return ret;
		p->gfd[i] = vfio_open_group(p->dev[i].group);
		if (p->gfd[i] < 0)
			return p->gfd[i];
	}
	if (emulated) {
		p->egroup = mock_emu_group(0);
		if (p->egroup < 0)
			return p->egroup;
		p->egfd = vfio_open_group(p->egroup);
		if (p->egfd < 0)
			return p->egfd;
	}
	p->container = vfio_open_container();
	if (p->container < 0)
		return p->container;
	p->buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p->buf == MAP_FAILED)
		return -errno;
	p->len = len;
	memset(p->buf, 0, len);
	return 0;
}

void mock_pair_close(struct mock_pair *p)
{
	int i;

	if (p->container >= 0)
		close(p->container);
	for (i = 0; i < 2; i++)
		if (p->gfd[i] >= 0)
			close(p->gfd[i]);
	if (p->egfd >= 0)
		close(p->egfd);
	if (p->buf != MAP_FAILED)
		munmap(p->buf, p->len);
	mock_pair_init(p);
}
