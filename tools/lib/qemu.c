// SPDX-License-Identifier: GPL-2.0
#include <linux/pci_regs.h>

#include <libvfio_mdom/edu.h>
#include <libvfio_mdom/qemu.h>

void qemu_init(struct qemu_vm *vm)
{
	vm->pid = -1;
	vm->qmp = -1;
	vm->rx_len = 0;
	snprintf(vm->sock, sizeof(vm->sock), "/tmp/vfio-mdom-qmp-%d.sock",
		 getpid());
	snprintf(vm->log, sizeof(vm->log), "/tmp/vfio-mdom-qemu-%d.log",
		 getpid());
	unlink(vm->sock);
}

int qemu_spawn(struct qemu_vm *vm, const char *const *argv)
{
	pid_t pid;
	int fd;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid) {
		vm->pid = pid;
		return 0;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	fd = open(vm->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
	}
	execv(QEMU_BIN, (char *const *)argv);
	_exit(127);
}

int qemu_start(struct qemu_vm *vm, const char *const *bdfs,
	       unsigned int n, bool viommu)
{
	char qmp[160], dev[QEMU_MAX_DEVICES][80];
	const char *argv[16 + 2 * QEMU_MAX_DEVICES];
	unsigned int a = 0, i;

	if (n > QEMU_MAX_DEVICES)
		return -EINVAL;
	snprintf(qmp, sizeof(qmp), "unix:%s,server=on,wait=off", vm->sock);
	for (i = 0; i < n; i++)
		snprintf(dev[i], sizeof(dev[i]), "vfio-pci,host=%s", bdfs[i]);
	argv[a++] = QEMU_BIN;
	argv[a++] = "-accel";
	argv[a++] = "tcg";
	argv[a++] = "-M";
	argv[a++] = "q35";
	argv[a++] = "-m";
	argv[a++] = "256M";
	argv[a++] = "-nodefaults";
	argv[a++] = "-display";
	argv[a++] = "none";
	argv[a++] = "-S";
	argv[a++] = "-qmp";
	argv[a++] = qmp;
	if (viommu) {
		/* Before the devices it translates for */
		argv[a++] = "-device";
		argv[a++] = "intel-iommu,caching-mode=on";
	}
	for (i = 0; i < n; i++) {
		argv[a++] = "-device";
		argv[a++] = dev[i];
	}
	argv[a] = NULL;

	return qemu_spawn(vm, argv);
}

bool qemu_alive(struct qemu_vm *vm, int *status)
{
	if (vm->pid <= 0)
		return false;
	if (waitpid(vm->pid, status, WNOHANG) == vm->pid) {
		vm->pid = -1;
		return false;
	}
	return true;
}

int qemu_qmp_read(struct qemu_vm *vm, char *out, size_t size,
		  unsigned int timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;
	struct pollfd pfd = { .fd = vm->qmp, .events = POLLIN };
	size_t i, k, len;
	char *nl;
	ssize_t n;

	for (;;) {
		nl = memchr(vm->rx, '\n', vm->rx_len);
		if (nl) {
			len = nl - vm->rx + 1;
			for (i = 0, k = 0; i < len - 1 && k < size - 1; i++)
				if (vm->rx[i] != ' ' && vm->rx[i] != '\r')
					out[k++] = vm->rx[i];
			out[k] = '\0';
			memmove(vm->rx, vm->rx + len, vm->rx_len - len);
			vm->rx_len -= len;
			/* Events ({"timestamp": .., "event": ..}) are not answers */
			if (!strncmp(out, "{\"return\"", 9) ||
			    !strncmp(out, "{\"error\"", 8) ||
			    !strncmp(out, "{\"QMP\"", 6))
				return 0;
			continue;
		}
		if (vm->rx_len == sizeof(vm->rx))
			return -E2BIG;
		if (now_ms() > deadline)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, 500) <= 0)
			continue;
		n = read(vm->qmp, vm->rx + vm->rx_len,
			 sizeof(vm->rx) - vm->rx_len);
		if (n <= 0)
			return -EPIPE;
		vm->rx_len += n;
	}
}

int qemu_qmp(struct qemu_vm *vm, const char *cmd, char *out, size_t size)
{
	char req[256];
	int n, ret;

	n = snprintf(req, sizeof(req), "{\"execute\": \"%s\"}\n", cmd);
	if (write(vm->qmp, req, n) != n)
		return -EPIPE;
	ret = qemu_qmp_read(vm, out, size, QEMU_QMP_TIMEOUT_MS);
	if (ret)
		return ret;
	return strncmp(out, "{\"return\"", 9) ? -EPROTO : 0;
}

int qemu_qmp_open(struct qemu_vm *vm, int *status, char *out, size_t size)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	uint64_t deadline = now_ms() + QEMU_START_TIMEOUT_MS;
	int fd, ret;

	str_copy(addr.sun_path, vm->sock, sizeof(addr.sun_path));
	for (;;) {
		if (!qemu_alive(vm, status))
			return -ECHILD;
		if (now_ms() > deadline)
			return -ETIMEDOUT;
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (!connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
			break;
		close(fd);
		usleep(200 * 1000);
	}
	vm->qmp = fd;
	ret = qemu_qmp_read(vm, out, size, QEMU_START_TIMEOUT_MS);
	if (ret)
		return ret;
	if (strncmp(out, "{\"QMP\"", 6))
		return -EPROTO;
	return qemu_qmp(vm, "qmp_capabilities", out, size);
}

int qemu_quit(struct qemu_vm *vm, int *status)
{
	char reply[256];
	int ret, i;

	ret = qemu_qmp(vm, "quit", reply, sizeof(reply));
	if (ret)
		return ret;
	for (i = 0; i < QEMU_QUIT_TIMEOUT_MS / 100; i++) {
		if (!qemu_alive(vm, status))
			return 0;
		usleep(100 * 1000);
	}
	return -ETIMEDOUT;
}

void qemu_stop(struct qemu_vm *vm)
{
	int status;

	if (vm->qmp >= 0)
		close(vm->qmp);
	vm->qmp = -1;
	if (vm->pid > 0) {
		kill(vm->pid, SIGKILL);
		waitpid(vm->pid, &status, 0);
		vm->pid = -1;
	}
	unlink(vm->sock);
}

unsigned int str_count(const char *text, const char *what)
{
	unsigned int n = 0;

	while ((text = strstr(text, what))) {
		n++;
		text += strlen(what);
	}
	return n;
}

int nvme_msix_at_cc_en(const char *bdf, char *saved, size_t size)
{
	char path[160];
	uint16_t ctl;
	uint8_t pos, cap[2];
	int fd, n, ret;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/reset_method", bdf);
	ret = read_line(path, saved, size);
	if (ret)
		return ret;
	/* (an empty line: no reset method) */
	ret = write_file(path, "\n");
	if (ret)
		return ret;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/config", bdf);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = -ENOENT;
	if (pread(fd, &pos, 1, PCI_CAPABILITY_LIST) != 1)
		goto out_close;
	for (n = 0; pos && n < 48; n++) {
		if (pread(fd, cap, 2, pos) != 2)
			goto out_close;
		if (cap[0] == PCI_CAP_ID_MSIX)
			break;
		pos = cap[1];
	}
	if (!pos || n == 48)
		goto out_close;
	ret = -EIO;
	if (pread(fd, &ctl, 2, pos + PCI_MSIX_FLAGS) != 2)
		goto out_close;
	ctl |= PCI_MSIX_FLAGS_ENABLE;
	if (pwrite(fd, &ctl, 2, pos + PCI_MSIX_FLAGS) != 2 ||
	    pread(fd, &ctl, 2, pos + PCI_MSIX_FLAGS) != 2 ||
	    !(ctl & PCI_MSIX_FLAGS_ENABLE))
		goto out_close;
	ret = 0;
out_close:
	close(fd);
	return ret;
}

void nvme_reset_restore(char *bdf)
{
	char path[160];

	if (!bdf[0])
		return;
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/reset_method", bdf);
	write_file(path, "default");
	bdf[0] = '\0';
}
