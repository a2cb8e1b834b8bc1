// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>

#include <libvfio_mdom/sys.h>

long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

uint8_t pattern_byte(uint8_t seed, size_t off)
{
	return (uint8_t)(((off % 31) << 3) | (seed & 7));
}

void pattern_fill(void *p, size_t len, uint8_t seed)
{
	uint8_t *b = p;
	size_t off;

	for (off = 0; off < len; off++)
		b[off] = pattern_byte(seed, off);
}

long pattern_mismatch(const void *p, size_t len, uint8_t seed)
{
	const uint8_t *b = p;
	size_t off;

	for (off = 0; off < len; off++)
		if (b[off] != pattern_byte(seed, off))
			return off;
	return -1;
}

void str_copy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (!size)
		return;
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

ssize_t read_file(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd;

	if (!size)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (len == size - 1) {
			char c;

			n = read(fd, &c, 1);
			close(fd);
			buf[len] = '\0';
			return n ? -E2BIG : (ssize_t)len;
		}
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			n = -errno;
			close(fd);
			buf[len] = '\0';
			return n;
		}
		if (!n)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return len;
}

int write_file(const char *path, const char *val)
{
	ssize_t len = strlen(val), n;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n < 0)
		ret = -errno;
	else if (n != len)
		ret = -EIO;
	close(fd);
	return ret;
}

int read_line(const char *path, char *buf, size_t size)
{
	ssize_t n = read_file(path, buf, size);

	if (n < 0)
		return n;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int read_link_name(const char *path, char *buf, size_t size)
{
	char target[512];
	const char *base;
	ssize_t n;

	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	str_copy(buf, base ? base + 1 : target, size);
	return 0;
}

int sysfs_iommu_group(const char *devdir)
{
	char path[512], name[64];
	int ret;

	snprintf(path, sizeof(path), "%.480s/iommu_group", devdir);
	ret = read_link_name(path, name, sizeof(name));
	return ret ? ret : atoi(name);
}

int sysfs_vfio_cdev(const char *devdir)
{
	char path[512];
	struct dirent *e;
	int n = -ENOENT;
	DIR *d;

	snprintf(path, sizeof(path), "%.480s/vfio-dev", devdir);
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? -ENOENT : -errno;
	while ((e = readdir(d))) {
		if (!strncmp(e->d_name, "vfio", 4) && e->d_name[4] >= '0' &&
		    e->d_name[4] <= '9') {
			n = atoi(e->d_name + 4);
			break;
		}
	}
	closedir(d);
	return n;
}

const char *kv_find(const char *line, const char *key)
{
	size_t klen = strlen(key);
	const char *p = line;

	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ') && p[klen] == ' ')
			return p + klen + 1;
		p += klen;
	}
	return NULL;
}

bool kv_u64(const char *line, const char *key, uint64_t *val)
{
	const char *v = kv_find(line, key);

	if (!v)
		return false;
	*val = strtoull(v, NULL, 0);
	return true;
}

bool kv_range(const char *line, const char *key, uint64_t *start, uint64_t *end)
{
	const char *v = kv_find(line, key);
	char *p;

	if (!v)
		return false;
	*start = strtoull(v, &p, 0);
	if (*p != '-')
		return false;
	*end = strtoull(p + 1, NULL, 0);
	return true;
}

bool kv_str(const char *line, const char *key, char *buf, size_t size)
{
	const char *v = kv_find(line, key);
	size_t len;

	if (!v)
		return false;
	len = strcspn(v, "\n ");
	if (len >= size)
		len = size - 1;
	memcpy(buf, v, len);
	buf[len] = '\0';
	return true;
}

int kv_list(const char *line, const char *key, int *out, int max)
{
	const char *v = kv_find(line, key);
	int n = 0;
	char *p;

	if (!v)
		return 0;
	while (n < max && *v >= '0' && *v <= '9') {
		out[n++] = strtol(v, &p, 10);
		if (*p != ',')
			break;
		v = p + 1;
	}
	return n;
}

char *next_line(char *line)
{
	char *nl = strchr(line, '\n');

	if (!nl)
		return line + strlen(line);
	*nl = '\0';
	return nl + 1;
}

int param_path(char *path, size_t size, const char *mod, const char *name)
{
	int n = snprintf(path, size, "/sys/module/%s/parameters/%s", mod,
			 name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int param_get(const char *mod, const char *name, char *buf, size_t size)
{
	char path[256];

	return param_path(path, sizeof(path), mod, name) ?:
	       read_line(path, buf, size);
}

int param_set(const char *mod, const char *name, const char *val)
{
	char path[256];

	return param_path(path, sizeof(path), mod, name) ?:
	       write_file(path, val);
}

int param_get_bool(const char *mod, const char *name)
{
	char buf[16];
	int ret = param_get(mod, name, buf, sizeof(buf));

	if (ret)
		return ret;
	return buf[0] == 'Y' || buf[0] == 'y' || buf[0] == '1';
}

int param_set_bool(const char *mod, const char *name, bool on)
{
	return param_set(mod, name, on ? "Y" : "N");
}

int param_save(struct params *ps, const char *mod, const char *name)
{
	struct param_saved *p;
	unsigned int i;

	for (i = 0; i < ps->n; i++)
		if (!strcmp(ps->p[i].mod, mod) && !strcmp(ps->p[i].name, name))
			return 0;
	if (ps->n == PARAM_SAVE_MAX)
		return -ENOSPC;
	p = &ps->p[ps->n];
	str_copy(p->mod, mod, sizeof(p->mod));
	str_copy(p->name, name, sizeof(p->name));
	if (param_get(mod, name, p->val, sizeof(p->val)))
		return -ENOENT;
	ps->n++;
	return 0;
}

int param_change(struct params *ps, const char *mod,
		 const char *name, const char *val)
{
	return param_save(ps, mod, name) ?: param_set(mod, name, val);
}

int params_restore(struct params *ps)
{
	int ret = 0;

	while (ps->n) {
		struct param_saved *p = &ps->p[--ps->n];

		if (param_set(p->mod, p->name, p->val))
			ret = -EIO;
	}
	return ret;
}

long vmlck_kb_of(pid_t pid)
{
	char path[64], buf[4096], *p;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	if (read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, "\nVmLck:");
	return p ? strtol(p + 7, NULL, 10) : -1;
}

long vmlck_kb(void)
{
	return vmlck_kb_of(0);
}

long long vmstat_counter(const char *name)
{
	static char buf[16384];
	size_t len = strlen(name);
	char *p = buf;

	if (read_file("/proc/vmstat", buf, sizeof(buf)) < 0)
		return -1;
	while (p && *p) {
		if (!strncmp(p, name, len) && p[len] == ' ')
			return strtoll(p + len + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

long long foll_pins(void)
{
	long long acq, rel;

	if (write_file("/proc/sys/vm/stat_refresh", "1"))
		return -1;
	acq = vmstat_counter("nr_foll_pin_acquired");
	rel = vmstat_counter("nr_foll_pin_released");
	return acq < 0 || rel < 0 ? -1 : acq - rel;
}

long long foll_pins_at(long long want)
{
	long long n = foll_pins();
	int i;

	for (i = 0; i < 20 && n != want; i++) {
		usleep(50 * 1000);
		n = foll_pins();
	}
	return n;
}

long long foll_pins_stable(void)
{
	long long prev = foll_pins(), n;
	int i;

	for (i = 0; i < 20; i++) {
		usleep(50 * 1000);
		n = foll_pins();
		if (n == prev)
			break;
		prev = n;
	}
	return prev;
}

int pagemap_phys(const void *addr, size_t npages, uint64_t *phys)
{
	size_t pg = page_size(), len = npages * sizeof(*phys), i;
	ssize_t n;
	int fd, err;

	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, phys, len, (uintptr_t)addr / pg * sizeof(*phys));
	err = n < 0 ? -errno : -EIO;
	close(fd);
	if (n != (ssize_t)len)
		return err;
	/* bit 63: present; bits 0-54: the page frame number */
	for (i = 0; i < npages; i++)
		phys[i] = phys[i] >> 63 ?
			  (phys[i] & ((1ULL << 55) - 1)) * pg : UINT64_MAX;
	return 0;
}

uint64_t pagemap_phys_one(const void *addr)
{
	uint64_t phys;

	if (pagemap_phys(addr, 1, &phys) || phys == UINT64_MAX)
		return 0;
	return phys;
}

bool kmemleak_available(void)
{
	return !access(KMEMLEAK_PATH, W_OK);
}

ssize_t kmemleak_scan(char *buf, size_t size)
{
	int ret = write_file(KMEMLEAK_PATH, "scan");

	if (ret)
		return ret;
	return read_file(KMEMLEAK_PATH, buf, size);
}

int cap_drop_effective(unsigned int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (cap >= 64)
		return -EINVAL;
	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[cap / 32].effective &= ~(1U << (cap % 32));
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, byte = 'f';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))], byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -EIO;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_level != SOL_SOCKET ||
	    cmsg->cmsg_type != SCM_RIGHTS ||
	    cmsg->cmsg_len != CMSG_LEN(sizeof(int)))
		return -EPROTO;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

pid_t spawn(const char *const *argv, const char *log, int *in)
{
	int p[2], fd;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(p[0], STDIN_FILENO);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[0]);
	*in = p[1];
	return pid;
}
