// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>

#include <libvfio_mdom/mdom.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open		434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd		438
#endif

bool mdom_loaded(void)
{
	return !access("/sys/module/" MDOM_MOD "/parameters/vfio_backend",
		       R_OK);
}

bool mdom_test_on_type1(void)
{
	const char *v = getenv("VFIO_MDOM_TEST_BACKEND");

	return v && !strcmp(v, "type1");
}

int _mdom_backend(int container)
{
	struct vfio_mdom_query q = { .argsz = sizeof(q) };
	int err = vfio_errno(ioctl(container, VFIO_MDOM_QUERY, &q));

	return err == -EMSGSIZE ? 0 : err;
}

/* VFIO_MDOM_QUERY on container @fd, added to @b: 0, or -ENOTTY from type1 */
static int container_query(int fd, struct backends *b)
{
	static struct vfio_mdom_domain_info domains[16];
	static struct vfio_mdom_group_info groups[16];
	struct vfio_mdom_query q = {
		.argsz = sizeof(q),
		.num_domains = ARRAY_SIZE(domains),
		.num_groups = ARRAY_SIZE(groups),
		.domains = (uintptr_t)domains,
		.groups = (uintptr_t)groups,
	};
	int ret = vfio_errno(ioctl(fd, VFIO_MDOM_QUERY, &q));

	if (ret)
		return ret;
	b->v1 += q.iommu_type == VFIO_TYPE1_IOMMU;
	b->empty += !q.num_mappings;
	b->groups += q.num_groups;
	b->mappings += q.num_mappings;
	b->mapped_bytes += q.mapped_bytes;
	b->pinned_pages += q.pinned_pages;
	return 0;
}

int client_backends(pid_t pid, struct backends *b)
{
	char dir[64], path[320], target[64];
	struct dirent *e;
	int pidfd, fd, ret;
	ssize_t n;
	DIR *d;

	memset(b, 0, sizeof(*b));
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -errno;
	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	d = opendir(dir);
	if (!d) {
		close(pidfd);
		return -errno;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, "/dev/vfio/vfio"))
			continue;
		fd = syscall(SYS_pidfd_getfd, pidfd, atoi(e->d_name), 0);
		if (fd < 0) {
			b->other++;
			continue;
		}
		ret = container_query(fd, b);
		if (!ret)
			b->mdom++;
		else if (ret == -ENOTTY)
			b->type1++;
		else
			b->other++;
		close(fd);
	}
	closedir(d);
	close(pidfd);
	return 0;
}

int mdom_backend_enabled(void)
{
	return param_get_bool(MDOM_MOD, "vfio_backend");
}

int mdom_set_backend(struct params *ps, bool on)
{
	return param_change(ps, MDOM_MOD, "vfio_backend", on ? "Y" : "N");
}

int params_set_both(struct params *ps, const char *name, const char *val)
{
	int ret = param_change(ps, TYPE1_MOD, name, val);

	if (!ret && mdom_loaded())
		ret = param_change(ps, MDOM_MOD, name, val);
	return ret;
}

static int mdom_query_flags(int container, struct mdom_state *st,
			    uint32_t flags)
{
	memset(st, 0, sizeof(*st));
	st->q.argsz = sizeof(st->q);
	st->q.num_domains = MDOM_MAX_DOMAINS;
	st->q.num_groups = MDOM_MAX_GROUPS;
	st->q.domains = (uintptr_t)st->domains;
	st->q.groups = (uintptr_t)st->groups;
	st->q.flags = flags;
	if (flags & VFIO_MDOM_QUERY_WINDOWS) {
		st->q.num_windows = MDOM_MAX_WINDOWS;
		st->q.windows = (uintptr_t)st->windows;
	}
	return vfio_errno(ioctl(container, VFIO_MDOM_QUERY, &st->q));
}

int _mdom_query(int container, struct mdom_state *st)
{
	return mdom_query_flags(container, st, 0);
}

int _mdom_query_windows(int container, struct mdom_state *st)
{
	return mdom_query_flags(container, st, VFIO_MDOM_QUERY_WINDOWS);
}

int mdom_state_windows(struct mdom_state *st, uint32_t id,
		       struct vfio_mdom_window *out, int max)
{
	unsigned int i;
	int n = 0;

	for (i = 0; i < st->q.num_windows && i < MDOM_MAX_WINDOWS; i++) {
		if (st->windows[i].domain_id != id)
			continue;
		if (n < max)
			out[n] = st->windows[i];
		n++;
	}
	return n;
}

int _mdom_set_mode(int container, uint32_t mode,
		   const struct vfio_iova_range *win, uint32_t n)
{
	struct vfio_mdom_set_mode cmd = {
		.argsz = sizeof(cmd),
		.mode = mode,
		.num_windows = n,
		.windows = (uintptr_t)win,
	};

	return vfio_errno(ioctl(container, VFIO_MDOM_SET_MODE, &cmd));
}

struct vfio_mdom_domain_info *
mdom_state_domain(struct mdom_state *st, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < st->q.num_domains && i < MDOM_MAX_DOMAINS; i++)
		if (st->domains[i].id == id)
			return &st->domains[i];
	return NULL;
}

long mdom_state_group_domain(struct mdom_state *st, int group)
{
	unsigned int i;

	for (i = 0; i < st->q.num_groups && i < MDOM_MAX_GROUPS; i++)
		if ((int)st->groups[i].group_id == group)
			return st->groups[i].domain_id;
	return -1;
}

bool mdom_dbg_parse_container(const char *line, struct mdom_dbg_container *c)
{
	uint64_t id, pid, type;

	memset(c, 0, sizeof(*c));
	if (strncmp(line, "container ", 10) ||
	    !kv_u64(line, "container", &id) || !kv_u64(line, "pid", &pid) ||
	    !kv_str(line, "comm", c->comm, sizeof(c->comm)) ||
	    !kv_u64(line, "type", &type) ||
	    !kv_u64(line, "mappings", &c->mappings) ||
	    !kv_u64(line, "mapped_bytes", &c->mapped_bytes) ||
	    !kv_u64(line, "pinned_pages", &c->pinned_pages) ||
	    !kv_u64(line, "locked_pages", &c->locked_pages) ||
	    !kv_u64(line, "shared_pages", &c->shared_pages) ||
	    !kv_u64(line, "dma_avail", &c->dma_avail) ||
	    !kv_str(line, "dirty", c->dirty, sizeof(c->dirty)) ||
	    !kv_u64(line, "vaddr_invalid", &c->vaddr_invalid))
		return false;
	c->id = id;
	c->pid = pid;
	c->type = type;
	return true;
}

bool mdom_dbg_parse_domain(const char *line, struct mdom_dbg_domain *d)
{
	uint64_t id, cc, dt;

	memset(d, 0, sizeof(*d));
	if (strncmp(line, " domain ", 8) ||
	    !kv_u64(line, "domain", &id) ||
	    !kv_str(line, "driver", d->driver, sizeof(d->driver)) ||
	    !kv_str(line, "iommu", d->iommu, sizeof(d->iommu)) ||
	    !kv_u64(line, "pgsizes", &d->pgsizes) ||
	    !kv_range(line, "aperture", &d->aperture_start, &d->aperture_end) ||
	    !kv_u64(line, "enforce_cc", &cc) ||
	    !kv_u64(line, "dirty_tracking", &dt) ||
	    !kv_u64(line, "mapped_bytes", &d->mapped_bytes))
		return false;
	d->id = id;
	d->enforce_cc = cc;
	d->dirty_tracking = dt;
	d->ngroups = kv_list(line, "groups", d->groups, MDOM_DBG_GROUPS);
	return true;
}

int mdom_dbg_containers(int pid, struct mdom_dbg_container *out, int max)
{
	static char text[1 << 20];
	struct mdom_dbg_container c, *cur = NULL;
	char *line, *next;
	ssize_t len;
	int n = 0;

	len = read_file(MDOM_DEBUGFS "/containers", text, sizeof(text));
	if (len < 0)
		return len;
	for (line = text; *line; line = next) {
		next = next_line(line);
		if (!strncmp(line, "container ", 10)) {
			if (!mdom_dbg_parse_container(line, &c))
				return -EPROTO;
			cur = NULL;
			if (pid >= 0 && c.pid != pid)
				continue;
			if (n < max) {
				cur = &out[n];
				*cur = c;
			}
			n++;
		} else if (!strncmp(line, " domain ", 8)) {
			struct mdom_dbg_domain d;

			if (!mdom_dbg_parse_domain(line, &d))
				return -EPROTO;
			if (cur && cur->ndomains < MDOM_MAX_DOMAINS)
				cur->domains[cur->ndomains++] = d;
		} else if (!strncmp(line, " emulated_groups ", 17)) {
			if (cur)
				cur->nemulated = kv_list(line, "emulated_groups",
							 cur->emulated,
							 MDOM_DBG_GROUPS);
		} else if (*line) {
			return -EPROTO;
		}
	}
	return n;
}

bool mdom_dbg_domain_has(const struct mdom_dbg_domain *d, int group)
{
	int i;

	for (i = 0; i < d->ngroups; i++)
		if (d->groups[i] == group)
			return true;
	return false;
}
