// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom selftest: real VFIO clients, each on the kernel's type1 and on
 * vfio-mdom in the same guest (the fixture variant switches vfio_mdom's
 * vfio_backend parameter; which driver served each container of the client
 * is checked on the client's own container fds, taken with pidfd_getfd()
 * and asked VFIO_MDOM_QUERY: vfio-mdom answers, type1 says ENOTTY).
 *
 *   guest_*   a guest's own driver: Debian's QEMU boots the edu payload
 *             (payload/, a multiboot ELF) with edu devices passed through;
 *             the payload finds them on its PCI bus, turns on bus
 *             mastering and chains DMA through them, RAM -> edu -> RAM,
 *             checking every copy byte for byte; the test checks the last
 *             copy again in guest RAM (QMP pmemsave) and QEMU's exit
 *             status (isa-debug-exit). one: one edu; two: both in one
 *             container; nested: a vIOMMU in the guest (intel-iommu,
 *             caching-mode=on; the payload leaves it off, so DMA is
 *             untranslated, but QEMU opens a container per device and
 *             maps all guest RAM into each); hotplug: the edu behind a
 *             PCIe root port is unplugged (device_del, the payload powers
 *             the slot off, QEMU closes the container) and plugged back
 *             (device_add, a new container), then DMA again.
 *   dpdk      DPDK's testpmd on the guest's two e1000 NICs (one QEMU hub
 *             joins them, run.sh) through vfio-pci: a burst forwarded back
 *             and forth between the ports; the hardware counters of each
 *             port must match the other's, with no errors.
 *
 * Every test ends with nothing pinned that was not pinned before.
 */
#include <sched.h>
#include <stdarg.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <linux/pci_regs.h>

#include "mdom_test.h"
#include "payload/pattern.h"

#define PAYLOAD_ELF		"payload/edu_payload.elf"
#define GUEST_TIMEOUT_MS	(300 * 1000)
/* QEMU's exit status when the payload writes 0x10 to isa-debug-exit */
#define PAYLOAD_PASS_STATUS	33

/* ---- which VFIO backend serves a process's containers -------------------- */

/* @pid's @n containers are all served by the fixture's backend */
#define expect_client_backend(pid, n) do {				\
	pid_t __pid = (pid);						\
	int __n = (n);							\
	struct backends __b;						\
									\
	ASSERT_EQ(0, client_backends(__pid, &__b));			\
	TH_LOG("pid %d: %d container(s) on vfio-mdom, %d on type1",	\
	       __pid, __b.mdom, __b.type1);				\
	if (__b.mdom)							\
		TH_LOG("pid %d: vfio-mdom: %llu groups, %llu maps of %llu KiB, %llu pinned%s", \
		       __pid, ULL(__b.groups), ULL(__b.mappings),	\
		       ULL(__b.mapped_bytes >> 10),			\
		       ULL(__b.pinned_pages),				\
		       __b.v1 ? ", v1 (VFIO_TYPE1_IOMMU)" : "");	\
	EXPECT_EQ(0, __b.other);					\
	/* vfio-mdom holds the client's mappings */			\
	EXPECT_EQ(0, __b.empty);					\
	if (__n < 0)	/* any number, at least one */			\
		__n = __b.mdom + __b.type1 ?: 1;			\
	EXPECT_EQ(variant->mdom ? __n : 0, __b.mdom);			\
	EXPECT_EQ(variant->mdom ? 0 : __n, __b.type1);			\
} while (0)

/*
 * The system's pinned pages once back at @want, given 60 s: a client
 * killed with its guest RAM pinned takes a while to unpin it all.
 */
static long long pins_back(long long want)
{
	uint64_t deadline = now_ms() + 60 * 1000;
	long long n;

	do {
		n = foll_pins_at(want);
	} while (n != want && now_ms() < deadline);
	return n;
}

#define NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"

static long hugepages_get(void)
{
	char buf[32];

	return read_line(NR_HUGEPAGES, buf, sizeof(buf)) ? -1 :
	       strtol(buf, NULL, 10);
}

static int hugepages_set(long n)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", n);
	return write_file(NR_HUGEPAGES, buf);
}

#define VIRSH		"/usr/bin/virsh"
#define LIBVIRTD	"/usr/sbin/libvirtd"

/* virsh -c qemu:///system ARGS..., its output to a log: its exit status */
static int __printf(1, 2) virsh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int n, ret;

	n = snprintf(cmd, sizeof(cmd), VIRSH " -c qemu:///system ");
	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof(cmd) - n, fmt, ap);
	va_end(ap);
	strncat(cmd, " >>/tmp/vfio-mdom-virsh.log 2>&1",
		sizeof(cmd) - strlen(cmd) - 1);
	ret = system(cmd);
	return WIFEXITED(ret) ? WEXITSTATUS(ret) : -1;
}

/* Create (or truncate) @path with @text: 0 or -errno */
static int file_create(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		ret = -EIO;
	close(fd);
	return ret;
}

/* Bind PCI device @bdf to vfio-pci if it is not (guest-setup.sh's way) */
static void pci_bind_vfio(const char *bdf)
{
	char path[160], drv[64];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver", bdf);
	if (!read_link_name(path, drv, sizeof(drv)) && !strcmp(drv, "vfio-pci"))
		return;
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", bdf);
	write_file(path, "vfio-pci");
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver/unbind", bdf);
	write_file(path, bdf);
	write_file("/sys/bus/pci/drivers_probe", bdf);
}

/* ---- fixture: a backend per variant -------------------------------------- */

FIXTURE(clients)
{
	struct params params;
	struct edu_dev edu[2];
	struct qemu_vm vm;
	int ser;		/* the payload's serial console, -1 */
	char serial[1 << 15];	/* everything it printed */
	size_t serial_len;
	size_t serial_seen;	/* lines up to here are consumed */
	pid_t client;		/* a client other than QEMU, or -1 */
	char domain[32];	/* libvirt's domain, or "" */
	long hugepages;		/* nr_hugepages to put back, or -1 */
	char nvme_bdf[32];	/* reset_method to put back, or "" */
	char nvme_reset[64];
	bool ready;
	long long pins;
	uint64_t t0;
};

FIXTURE_VARIANT(clients)
{
	bool mdom;
};

FIXTURE_VARIANT_ADD(clients, mdom)
{
	.mdom = true,
};

FIXTURE_VARIANT_ADD(clients, type1)
{
	.mdom = false,
};

FIXTURE_SETUP(clients)
{
	unsigned int i;

	memset(&self->params, 0, sizeof(self->params));
	qemu_init(&self->vm);
	self->ser = -1;
	self->client = -1;
	self->domain[0] = '\0';
	self->hugepages = -1;
	self->nvme_bdf[0] = '\0';
	self->serial_len = 0;
	self->serial_seen = 0;
	self->ready = false;
	self->t0 = now_ms();
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, edu_find(i, &self->edu[i]))
			TH_LOG("needs two edu devices bound to vfio-pci");
	}
	if (variant->mdom) {
		ASSERT_TRUE(mdom_loaded()) TH_LOG("vfio_mdom.ko is not loaded");
		ASSERT_EQ(0, mdom_set_backend(&self->params, true));
	} else {
		ASSERT_EQ(0, access("/sys/module/vfio_iommu_type1", F_OK))
			TH_LOG("no vfio_iommu_type1");
		/* vfio_mdom loaded claims new containers unless told not to */
		if (mdom_loaded())
			ASSERT_EQ(0, mdom_set_backend(&self->params, false));
	}
	self->pins = foll_pins_stable();
	ASSERT_LE(0, self->pins);
	self->ready = true;
}

FIXTURE_TEARDOWN(clients)
{
	unsigned int i;
	long long pins;

	if (self->ser >= 0)
		close(self->ser);
	qemu_stop(&self->vm);
	if (self->client > 0) {
		kill(self->client, SIGKILL);
		waitpid(self->client, NULL, 0);
	}
	/*
	 * After a failed ASSERT the harness's trigger is still set: a
	 * handler (TH_LOG) here would run even for a check that passes.
	 */
	if (self->ready) {
		pins = pins_back(self->pins);
		if (pins != self->pins)
			TH_LOG("%lld pages still pinned after the client ended",
			       pins - self->pins);
		EXPECT_EQ(self->pins, pins);
	}
	params_restore(&self->params);
	/* libvirt gives a managed device back to its host driver: none */
	for (i = 0; i < 2; i++)
		pci_bind_vfio(self->edu[i].bdf);
	if (self->hugepages >= 0)
		hugepages_set(self->hugepages);
	nvme_reset_restore(self->nvme_bdf);
	TH_LOG("wall time %llu ms", ULL(now_ms() - self->t0));
}

/* ---- QEMU with the edu payload ------------------------------------------- */

struct guest_cfg {
	unsigned int nedus;
	bool viommu;		/* -device intel-iommu,caching-mode=on */
	bool hotplug;		/* edu0 behind a PCIe root port */
};

/* The payload next to this binary */
static int payload_path(char *path, size_t size)
{
	char exe[256], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n < 0)
		return -errno;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	snprintf(path, size, "%s/" PAYLOAD_ELF, exe);
	return access(path, R_OK) ? -errno : 0;
}

static int guest_start(struct qemu_vm *vm, const struct edu_dev *edu,
		       const struct guest_cfg *cfg, const char *serial_sock)
{
	char qmp[160], ser[160], kernel[300], dev[2][192];
	const char *argv[48];
	unsigned int a = 0, i;

	if (payload_path(kernel, sizeof(kernel)))
		return -ENOENT;
	snprintf(qmp, sizeof(qmp), "unix:%s,server=on,wait=off", vm->sock);
	snprintf(ser, sizeof(ser), "socket,id=ser,path=%s,server=on,wait=off",
		 serial_sock);
	for (i = 0; i < cfg->nedus; i++)
		snprintf(dev[i], sizeof(dev[i]), "vfio-pci,host=%s,id=edu%u%s",
			 edu[i].bdf, i,
			 cfg->hotplug && !i ? ",bus=rp0" : "");
	argv[a++] = QEMU_BIN;
	argv[a++] = "-accel";
	argv[a++] = "tcg";
	argv[a++] = "-M";
	argv[a++] = "q35";
	argv[a++] = "-m";
	argv[a++] = "16M";	/* the payload needs 6 MiB: less to pin */
	argv[a++] = "-nodefaults";
	argv[a++] = "-display";
	argv[a++] = "none";
	argv[a++] = "-S";
	argv[a++] = "-qmp";
	argv[a++] = qmp;
	argv[a++] = "-chardev";
	argv[a++] = ser;
	argv[a++] = "-serial";
	argv[a++] = "chardev:ser";
	argv[a++] = "-device";
	argv[a++] = "isa-debug-exit,iobase=0xf4,iosize=4";
	argv[a++] = "-kernel";
	argv[a++] = kernel;
	if (cfg->viommu) {
		argv[a++] = "-device";
		argv[a++] = "intel-iommu,caching-mode=on";
	}
	if (cfg->hotplug) {
		/* PCIe native hot-plug, which the payload can acknowledge */
		argv[a++] = "-global";
		argv[a++] = "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off";
		argv[a++] = "-device";
		argv[a++] = "pcie-root-port,id=rp0,chassis=1,slot=1";
	}
	for (i = 0; i < cfg->nedus; i++) {
		argv[a++] = "-device";
		argv[a++] = dev[i];
	}
	argv[a] = NULL;

	unlink(serial_sock);
	return qemu_spawn(vm, argv);
}

static int unix_connect(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	str_copy(addr.sun_path, path, sizeof(addr.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		close(fd);
		return -errno;
	}
	return fd;
}

/*
 * The next line of the payload starting with @prefix, into @line; lines
 * before it are skipped (they stay in self->serial). 0, -ETIMEDOUT,
 * -EPIPE when QEMU closed the console.
 */
static int serial_wait(struct _test_data_clients *self, const char *prefix,
		       char *line, size_t size, unsigned int timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;
	struct pollfd pfd = { .fd = self->ser, .events = POLLIN };
	char *start, *nl;
	size_t len;
	ssize_t n;

	for (;;) {
		start = self->serial + self->serial_seen;
		nl = memchr(start, '\n', self->serial_len - self->serial_seen);
		if (nl) {
			len = nl - start;
			self->serial_seen += len + 1;
			if (!strncmp(start, prefix, strlen(prefix))) {
				if (len >= size)
					len = size - 1;
				memcpy(line, start, len);
				line[len] = '\0';
				return 0;
			}
			continue;
		}
		if (now_ms() > deadline)
			return -ETIMEDOUT;
		if (self->serial_len >= sizeof(self->serial) - 1)
			return -E2BIG;
		if (poll(&pfd, 1, 500) <= 0)
			continue;
		n = read(self->ser, self->serial + self->serial_len,
			 sizeof(self->serial) - 1 - self->serial_len);
		if (n <= 0)
			return -EPIPE;
		self->serial_len += n;
		self->serial[self->serial_len] = '\0';
	}
}

/* Send the payload command @c and wait for its next "ready" */
static int payload_cmd(struct _test_data_clients *self, char c)
{
	char line[64];

	if (write(self->ser, &c, 1) != 1)
		return -EPIPE;
	return serial_wait(self, "ready", line, sizeof(line),
			   GUEST_TIMEOUT_MS);
}

/* A QMP command with arguments, as JSON: 0 and the answer, or -errno */
static int qmp_json(struct qemu_vm *vm, const char *json, char *out,
		    size_t size)
{
	size_t len = strlen(json);
	int ret;

	if (write(vm->qmp, json, len) != (ssize_t)len)
		return -EPIPE;
	ret = qemu_qmp_read(vm, out, size, QEMU_QMP_TIMEOUT_MS);
	if (ret)
		return ret;
	return strncmp(out, "{\"return\"", 9) ? -EPROTO : 0;
}

/* The payload's and QEMU's output, in the test's log */
static void dump_guest(struct __test_metadata *_metadata,
		       struct _test_data_clients *self)
{
	char text[4096], *line, *next;
	ssize_t n;

	for (line = self->serial; *line; line = next) {
		next = next_line(line);
		TH_LOG("payload: %s", line);
	}
	n = read_file(self->vm.log, text, sizeof(text));
	if (n < 0 && n != -E2BIG)
		return;
	for (line = text; *line; line = next) {
		next = next_line(line);
		TH_LOG("qemu: %s", line);
	}
}

struct payload_run {
	uint64_t nrun, edus, rounds, dmas, bytes, errors, final, seed, len;
};

/*
 * The next "run" line: every round done, through every edu, no error;
 * then the last copy read back out of guest RAM, checked byte for byte.
 */
static void check_run(struct __test_metadata *_metadata,
		      struct _test_data_clients *self, unsigned int nedus,
		      struct payload_run *r)
{
	static char reply[1 << 16];
	char line[256], json[256], dump[64];
	/* pmemsave's file, NUL-terminated by read_file() */
	static unsigned char buf[4096 + 1];
	unsigned int i, bad = 0;
	ssize_t got;
	int ret;

	ret = serial_wait(self, "run ", line, sizeof(line), GUEST_TIMEOUT_MS);
	if (ret)
		dump_guest(_metadata, self);
	ASSERT_EQ(0, ret) TH_LOG("no result from the payload: %s",
				 strerror(-ret));
	TH_LOG("payload: %s", line);
	ASSERT_TRUE(kv_u64(line, "run", &r->nrun) &&
		    kv_u64(line, "edus", &r->edus) &&
		    kv_u64(line, "rounds", &r->rounds) &&
		    kv_u64(line, "dmas", &r->dmas) &&
		    kv_u64(line, "bytes", &r->bytes) &&
		    kv_u64(line, "errors", &r->errors) &&
		    kv_u64(line, "final", &r->final) &&
		    kv_u64(line, "seed", &r->seed) &&
		    kv_u64(line, "len", &r->len));
	if (r->errors)
		dump_guest(_metadata, self);
	EXPECT_EQ(0, r->errors);
	EXPECT_EQ(nedus, r->edus);
	EXPECT_EQ(PAYLOAD_ROUNDS, r->rounds);
	EXPECT_EQ(2 * nedus * PAYLOAD_ROUNDS, r->dmas);
	ASSERT_EQ(PAYLOAD_DST(nedus - 1), r->final);
	ASSERT_GE(4096, r->len);

	/* The last copy, as the test sees it in guest RAM */
	snprintf(dump, sizeof(dump), "/tmp/vfio-mdom-guest-%d.ram", getpid());
	snprintf(json, sizeof(json),
		 "{\"execute\":\"pmemsave\",\"arguments\":{\"val\":%llu,\"size\":%zu,\"filename\":\"%s\"}}\n",
		 ULL(r->final), (size_t)4096, dump);
	if (self->domain[0]) {
		/* libvirt's QEMU: through libvirt's monitor */
		ASSERT_EQ(0, virsh("qemu-monitor-command %s '%.*s'",
				   self->domain, (int)strlen(json) - 1, json));
	} else {
		ASSERT_EQ(0, qmp_json(&self->vm, json, reply, sizeof(reply)))
			TH_LOG("pmemsave: %.300s", reply);
	}
	got = read_file(dump, (char *)buf, sizeof(buf));
	unlink(dump);
	ASSERT_EQ(4096, got) TH_LOG("cannot read %s", dump);
	for (i = 0; i < 4096; i++) {
		unsigned char want = i < r->len ?
			payload_byte(r->seed, i) : PAYLOAD_FILL;

		if (buf[i] != want && !bad++)
			TH_LOG("guest RAM 0x%llx: 0x%02x, not 0x%02x",
			       ULL(r->final + i), buf[i], want);
	}
	EXPECT_EQ(0, bad) TH_LOG("%u bytes differ", bad);
}

/* The vfio-pci devices of the machine, as QEMU's object tree shows them */
static int guest_edus(struct qemu_vm *vm)
{
	static const char cmd[] =
		"{\"execute\":\"qom-list\",\"arguments\":{\"path\":\"/machine/peripheral\"}}\n";
	static char reply[1 << 16];
	int ret;

	ret = qmp_json(vm, cmd, reply, sizeof(reply));
	if (ret)
		return ret;
	return str_count(reply, "\"type\":\"child<vfio-pci>\"");
}

/* How many containers QEMU has, all on the fixture's backend */
#define expect_qemu_containers(n) expect_client_backend(self->vm.pid, n)

/*
 * Unplug edu0 (device_del; the payload powers its slot off, QEMU then
 * takes it out of the container), run the payload on what is left, plug
 * edu0 back (device_add: its group joins the container again), power the
 * slot on. The payload's next run follows.
 */
static void replug(struct __test_metadata *_metadata,
		   const struct _fixture_variant_clients *variant,
		   struct _test_data_clients *self, unsigned int nedus,
		   struct payload_run *total)
{
	static char reply[1 << 16];
	struct payload_run r;
	char json[256], line[64];
	int i, n = -1;

	ASSERT_EQ(0, qmp_json(&self->vm,
			      "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"edu0\"}}\n",
			      reply, sizeof(reply))) TH_LOG("%.300s", reply);
	ASSERT_EQ(0, payload_cmd(self, 'u'));
	for (i = 0; i < 600; i++) {
		n = guest_edus(&self->vm);
		if (n < (int)nedus)
			break;
		usleep(100 * 1000);
	}
	ASSERT_EQ(nedus - 1, n) TH_LOG("edu0 is still in the guest");
	TH_LOG("edu0 unplugged after %llu ms", ULL(now_ms() - self->t0));
	if (nedus > 1) {
		/* The other device keeps the container, and DMAs alone */
		expect_qemu_containers(1);
		ASSERT_EQ(1, write(self->ser, "r", 1));
		check_run(_metadata, self, nedus - 1, &r);
		total->dmas += r.dmas;
		total->bytes += r.bytes;
		ASSERT_EQ(0, serial_wait(self, "ready", line, sizeof(line),
					 GUEST_TIMEOUT_MS));
	} else {
		expect_qemu_containers(0);
	}

	snprintf(json, sizeof(json),
		 "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"vfio-pci\",\"host\":\"%s\",\"id\":\"edu0\",\"bus\":\"rp0\"}}\n",
		 self->edu[0].bdf);
	ASSERT_EQ(0, qmp_json(&self->vm, json, reply, sizeof(reply)))
		TH_LOG("%.300s", reply);
	ASSERT_EQ(nedus, guest_edus(&self->vm));
	expect_qemu_containers(1);
	ASSERT_EQ(0, payload_cmd(self, 'p'));
	ASSERT_EQ(1, write(self->ser, "r", 1));
}

static void guest_run(struct __test_metadata *_metadata,
		      const struct _fixture_variant_clients *variant,
		      struct _test_data_clients *self,
		      const struct guest_cfg *cfg)
{
	unsigned int ncontainers = cfg->viommu ? cfg->nedus : 1;
	static char reply[1 << 16];
	struct payload_run r, total = { 0 };
	char sock[96], line[64];
	int status, ret, i;

	snprintf(sock, sizeof(sock), "/tmp/vfio-mdom-ser-%d.sock", getpid());
	ASSERT_EQ(0, guest_start(&self->vm, self->edu, cfg, sock))
		TH_LOG("cannot start QEMU with %s", PAYLOAD_ELF);
	ret = qemu_qmp_open(&self->vm, &status, reply, sizeof(reply));
	if (ret)
		dump_guest(_metadata, self);
	ASSERT_EQ(0, ret) TH_LOG("QMP: %s", strerror(-ret));
	self->ser = unix_connect(sock);
	unlink(sock);
	ASSERT_LE(0, self->ser) TH_LOG("the serial console: %s",
				       strerror(-self->ser));
	TH_LOG("QEMU set up after %llu ms", ULL(now_ms() - self->t0));

	/* Paused with its RAM mapped: one container, or one per device */
	ASSERT_EQ(cfg->nedus, guest_edus(&self->vm));
	expect_qemu_containers(ncontainers);

	ASSERT_EQ(0, qemu_qmp(&self->vm, "cont", reply, sizeof(reply)));
	check_run(_metadata, self, cfg->nedus, &r);
	total = r;
	ASSERT_EQ(0, serial_wait(self, "ready", line, sizeof(line),
				 GUEST_TIMEOUT_MS));
	if (cfg->hotplug) {
		replug(_metadata, variant, self, cfg->nedus, &total);
		check_run(_metadata, self, cfg->nedus, &r);
		total.dmas += r.dmas;
		total.bytes += r.bytes;
		ASSERT_EQ(0, serial_wait(self, "ready", line, sizeof(line),
					 GUEST_TIMEOUT_MS));
	}

	/* Still on the same backend, then the payload's verdict */
	expect_qemu_containers(ncontainers);
	ASSERT_EQ(1, write(self->ser, "q", 1));
	for (i = 0; i < QEMU_QUIT_TIMEOUT_MS / 100; i++) {
		if (!qemu_alive(&self->vm, &status))
			break;
		usleep(100 * 1000);
	}
	ASSERT_FALSE(qemu_alive(&self->vm, &status));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != PAYLOAD_PASS_STATUS)
		dump_guest(_metadata, self);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(PAYLOAD_PASS_STATUS, WEXITSTATUS(status));
	TH_LOG("moved: %llu DMA transfers, %llu bytes, in %llu ms",
	       ULL(total.dmas), ULL(total.bytes), ULL(now_ms() - self->t0));
}

/*
 * Two edu devices in one container (edu0 behind a PCIe root port), then
 * edu0 unplugged (one device left, DMA again) and plugged back (DMA
 * through both again).
 */
TEST_F_TIMEOUT(clients, guest_plain, 900)
{
	struct guest_cfg cfg = { .nedus = 2, .hotplug = true };

	guest_run(_metadata, variant, self, &cfg);
}

/* A vIOMMU in the guest: a container per device */
TEST_F_TIMEOUT(clients, guest_nested, 900)
{
	struct guest_cfg cfg = { .nedus = 2, .viommu = true };

	guest_run(_metadata, variant, self, &cfg);
}

/* ---- DPDK: testpmd on two e1000 NICs ------------------------------------- */

#define TESTPMD			"/usr/bin/dpdk-testpmd"
#define E1000_VENDOR		"0x8086"
#define E1000_DEVICE		"0x100e"	/* 82540EM */
/* 2 MiB pages for DPDK's memory */
#define DPDK_HUGEPAGES		64
#define DPDK_FORWARD_S		5
#define DPDK_START_TIMEOUT_MS	(300 * 1000)
/* testpmd's "start tx_first": a burst of 32 on each port */
#define DPDK_BURST		32

/* Wait until the file @log holds @what: 0, -ETIMEDOUT, -ECHILD */
static int log_wait(const char *log, pid_t pid, const char *what,
		    unsigned int timeout_ms)
{
	static char text[1 << 18];
	uint64_t deadline = now_ms() + timeout_ms;
	ssize_t n;

	for (;;) {
		n = read_file(log, text, sizeof(text));
		if ((n >= 0 || n == -E2BIG) && strstr(text, what))
			return 0;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -ECHILD;
		if (now_ms() > deadline)
			return -ETIMEDOUT;
		usleep(200 * 1000);
	}
}

struct port_stats {
	uint64_t rx, rx_missed, rx_bytes, rx_errors, rx_nombuf;
	uint64_t tx, tx_errors, tx_bytes;
};

static bool stat_u64(const char *text, const char *key, uint64_t *val)
{
	const char *p = strstr(text, key);

	if (!p)
		return false;
	*val = strtoull(p + strlen(key), NULL, 10);
	return true;
}

/* The last "show port stats" block of port @port in @text */
static bool port_stats(const char *text, int port, struct port_stats *st)
{
	char head[64], block[1024];
	const char *p, *last = NULL;

	snprintf(head, sizeof(head), "NIC statistics for port %d ", port);
	for (p = text; (p = strstr(p, head)); p++)
		last = p;
	if (!last)
		return false;
	str_copy(block, last, sizeof(block));
	/* up to the closing line of '#' */
	p = strstr(block + strlen(head) + 40, "######");
	if (p)
		block[p - block] = '\0';
	return stat_u64(block, "RX-packets:", &st->rx) &&
	       stat_u64(block, "RX-missed:", &st->rx_missed) &&
	       stat_u64(block, "RX-bytes:", &st->rx_bytes) &&
	       stat_u64(block, "RX-errors:", &st->rx_errors) &&
	       stat_u64(block, "RX-nombuf:", &st->rx_nombuf) &&
	       stat_u64(block, "TX-packets:", &st->tx) &&
	       stat_u64(block, "TX-errors:", &st->tx_errors) &&
	       stat_u64(block, "TX-bytes:", &st->tx_bytes);
}

static void dump_log(struct __test_metadata *_metadata, const char *log)
{
	static char text[1 << 16];
	char *line, *next;
	ssize_t n = read_file(log, text, sizeof(text));

	if (n < 0 && n != -E2BIG)
		return;
	for (line = text; *line; line = next) {
		next = next_line(line);
		TH_LOG("| %s", line);
	}
}

/*
 * testpmd (io forwarding) on both NICs: "start tx_first" sends a burst of
 * 32 on each port; the hub gives every packet to the other port, whose
 * stream sends it back out, so the bursts go back and forth until "stop".
 * Then, once what was in flight has landed, the hardware counters: each
 * port received exactly what the other sent, bytes too, with no error,
 * miss or mbuf shortage.
 */
TEST_F_TIMEOUT(clients, dpdk, 600)
{
	static char text[1 << 18];
	char nic[2][32], log[96], prefix[64], allow[2][48];
	struct port_stats st[2];
	int in = -1, status, n, i;
	long pages;
	const char *argv[32];
	unsigned int a = 0;
	uint64_t t;

	ASSERT_EQ(0, access(TESTPMD, X_OK)) TH_LOG("no %s (package dpdk-dev)",
						   TESTPMD);
	n = pci_vfio_devices(E1000_VENDOR, E1000_DEVICE, nic, 2);
	ASSERT_EQ(2, n) TH_LOG("needs two e1000 NICs (8086:100e) on vfio-pci");

	self->hugepages = hugepages_get();
	ASSERT_LE(0, self->hugepages);
	if (self->hugepages < DPDK_HUGEPAGES)
		ASSERT_EQ(0, hugepages_set(DPDK_HUGEPAGES));
	pages = hugepages_get();
	ASSERT_LE(DPDK_HUGEPAGES, pages) TH_LOG("cannot reserve hugepages");

	n = dpdk_plugins_only_needed();
	ASSERT_EQ(0, n) TH_LOG("DPDK's plugin directory: %s", strerror(-n));

	snprintf(log, sizeof(log), "/tmp/vfio-mdom-testpmd-%d.log", getpid());
	snprintf(prefix, sizeof(prefix), "--file-prefix=vfio-mdom-%d", getpid());
	for (i = 0; i < 2; i++)
		snprintf(allow[i], sizeof(allow[i]), "--allow=%s", nic[i]);
	argv[a++] = "/usr/bin/stdbuf";	/* the prompt, unbuffered */
	argv[a++] = "-o0";
	argv[a++] = TESTPMD;
	argv[a++] = "-l";
	argv[a++] = "0-1";
	argv[a++] = "-n";
	argv[a++] = "1";
	argv[a++] = "-m";
	argv[a++] = "64";
	argv[a++] = "--huge-dir=" DPDK_HUGE;
	argv[a++] = "--huge-unlink=always";
	argv[a++] = prefix;
	argv[a++] = allow[0];
	argv[a++] = allow[1];
	argv[a++] = "--";
	argv[a++] = "-i";
	argv[a++] = "--nb-cores=1";
	argv[a++] = "--total-num-mbufs=2048";
	argv[a++] = "--rxd=256";
	argv[a++] = "--txd=256";
	argv[a++] = "--forward-mode=io";
	argv[a] = NULL;

	t = now_ms();
	self->client = spawn(argv, log, &in);
	ASSERT_LT(0, self->client);
	n = log_wait(log, self->client, "testpmd> ", DPDK_START_TIMEOUT_MS);
	if (n)
		dump_log(_metadata, log);
	ASSERT_EQ(0, n) TH_LOG("testpmd did not start: %s", strerror(-n));
	TH_LOG("testpmd up after %llu ms", ULL(now_ms() - t));

	/* DPDK's one container, on the backend under test */
	expect_client_backend(self->client, 1);

	ASSERT_EQ(0, dprintf(in, "start tx_first\n") < 0);
	sleep(DPDK_FORWARD_S);
	expect_client_backend(self->client, 1);
	ASSERT_EQ(0, dprintf(in, "stop\n") < 0);
	/* What was in flight lands in the other port's ring */
	sleep(2);
	ASSERT_EQ(0, dprintf(in, "show port stats all\nquit\n") < 0);
	close(in);
	for (i = 0; i < 600 && waitpid(self->client, &status, WNOHANG) !=
			       self->client; i++)
		usleep(100 * 1000);
	ASSERT_GT(600, i) TH_LOG("testpmd did not quit");
	self->client = -1;
	n = read_file(log, text, sizeof(text));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		dump_log(_metadata, log);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	ASSERT_LT(0, n);

	for (i = 0; i < 2; i++) {
		ASSERT_TRUE(port_stats(text, i, &st[i])) {
			dump_log(_metadata, log);
		}
		TH_LOG("port %d (%s): rx %llu (%llu B, missed %llu, errors %llu, nombuf %llu)",
		       i, nic[i], ULL(st[i].rx), ULL(st[i].rx_bytes),
		       ULL(st[i].rx_missed), ULL(st[i].rx_errors),
		       ULL(st[i].rx_nombuf));
		TH_LOG("port %d (%s): tx %llu (%llu B, errors %llu)",
		       i, nic[i], ULL(st[i].tx), ULL(st[i].tx_bytes),
		       ULL(st[i].tx_errors));
		EXPECT_EQ(0, st[i].rx_missed);
		EXPECT_EQ(0, st[i].rx_errors);
		EXPECT_EQ(0, st[i].rx_nombuf);
		EXPECT_EQ(0, st[i].tx_errors);
		/* Forwarded back and forth, not just the first burst */
		EXPECT_LT(10 * DPDK_BURST, st[i].tx);
	}
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(st[i].tx, st[!i].rx);
		EXPECT_EQ(st[i].tx_bytes, st[!i].rx_bytes);
	}
	unlink(log);
	TH_LOG("moved: %llu packets, %llu bytes, in %llu ms",
	       ULL(st[0].tx + st[1].tx), ULL(st[0].tx_bytes + st[1].tx_bytes),
	       ULL(now_ms() - self->t0));
}

/* ---- QEMU's user-space NVMe driver: qemu-io nvme:// ---------------------- */

#define QEMU_IO			"/usr/bin/qemu-io"
#define NVME_SMALL		32		/* concurrent 4 KiB writes */
#define NVME_SMALL_AT		(2 << 20)
#define NVME_SMALL_STRIDE	(8 << 10)
#define NVME_BIG		(256 << 10)

/* The pattern byte of small write @i, different per backend */
static unsigned int nvme_small_pattern(bool mdom, unsigned int i)
{
	return (mdom ? 0x40 : 0x80) + i;
}

/*
 * qemu-io on the test VM's NVMe disk through vfio-pci (QEMU's nvme://
 * block driver: a VFIO_TYPE1_IOMMU container whose I/O buffers it maps
 * and unmaps as the requests go): one large write, NVME_SMALL concurrent
 * 4 KiB writes (aio_write), a flush, then everything read back and
 * compared by qemu-io (read -P), and by the test in the disk's image
 * file on the host (OUT/nvme.img, which the guest sees over 9p).
 */
TEST_F_TIMEOUT(clients, nvme, 600)
{
	static char cmds[8192], text[1 << 16];
	unsigned char *img;
	char nvme[1][32], target[96], log[96], path[300];
	const char *out = getenv("VM_OUT");
	unsigned int big = variant->mdom ? 0xa5 : 0x5a, i, bad = 0;
	struct backends b = { 0 };
	const char *argv[8];
	int in, n, status = 0, fd;
	size_t len = 0;
	uint64_t t;

	ASSERT_EQ(0, access(QEMU_IO, X_OK)) TH_LOG("no %s (package qemu-utils)",
						   QEMU_IO);
	ASSERT_EQ(1, pci_vfio_devices(NVME_VENDOR, NVME_DEVICE, nvme, 1))
		TH_LOG("needs QEMU's NVMe controller on vfio-pci");
	ASSERT_NE(NULL, out) TH_LOG("no VM_OUT: not in the test VM");
	snprintf(path, sizeof(path), "%s/nvme.img", out);
	ASSERT_EQ(0, access(path, R_OK)) TH_LOG("no %s", path);

	/* One large write, small ones in flight together, all read back */
	len += snprintf(cmds + len, sizeof(cmds) - len,
			"write -P 0x%x 0 %u\n", big, NVME_BIG);
	for (i = 0; i < NVME_SMALL; i++)
		len += snprintf(cmds + len, sizeof(cmds) - len,
				"aio_write -P 0x%x %u 4k\n",
				nvme_small_pattern(variant->mdom, i),
				NVME_SMALL_AT + i * NVME_SMALL_STRIDE);
	len += snprintf(cmds + len, sizeof(cmds) - len,
			"aio_flush\nflush\nsleep 2000\nread -P 0x%x 0 %u\n",
			big, NVME_BIG);
	for (i = 0; i < NVME_SMALL; i++)
		len += snprintf(cmds + len, sizeof(cmds) - len,
				"aio_read -P 0x%x %u 4k\n",
				nvme_small_pattern(variant->mdom, i),
				NVME_SMALL_AT + i * NVME_SMALL_STRIDE);
	snprintf(cmds + len, sizeof(cmds) - len, "aio_flush\nquit\n");

	snprintf(target, sizeof(target), "nvme://%s/1", nvme[0]);
	snprintf(log, sizeof(log), "/tmp/vfio-mdom-qemu-io-%d.log", getpid());
	argv[0] = "/usr/bin/stdbuf";	/* its output as it goes */
	argv[1] = "-oL";
	argv[2] = QEMU_IO;
	argv[3] = "-f";
	argv[4] = "raw";
	argv[5] = target;
	argv[6] = NULL;
	t = now_ms();
	str_copy(self->nvme_bdf, nvme[0], sizeof(self->nvme_bdf));
	n = nvme_msix_at_cc_en(nvme[0], self->nvme_reset,
			       sizeof(self->nvme_reset));
	ASSERT_EQ(0, n) TH_LOG("%s: reset_method, MSI-X enable: %s", nvme[0],
			       strerror(-n));
	TH_LOG("%s: reset methods were \"%s\", now none; MSI-X enabled",
	       nvme[0], self->nvme_reset);
	self->client = spawn(argv, log, &in);
	ASSERT_LT(0, self->client);
	ASSERT_EQ((ssize_t)strlen(cmds), write(in, cmds, strlen(cmds)));
	close(in);
	/* Its container, while it runs (the "sleep" gives the time) */
	while (waitpid(self->client, &status, WNOHANG) != self->client) {
		if (!client_backends(self->client, &b) && b.mdom + b.type1)
			break;
		ASSERT_GT(300 * 1000, now_ms() - t);
		usleep(50 * 1000);
	}
	TH_LOG("qemu-io: %d container(s) on vfio-mdom (%d v1), %d on type1",
	       b.mdom, b.v1, b.type1);
	EXPECT_EQ(variant->mdom ? 1 : 0, b.mdom);
	EXPECT_EQ(variant->mdom ? 0 : 1, b.type1);
	/* QEMU's nvme:// opens a VFIO_TYPE1_IOMMU (v1) container */
	EXPECT_EQ(variant->mdom ? 1 : 0, b.v1);
	for (i = 0; i < 3000 && self->client > 0; i++) {
		if (waitpid(self->client, &status, WNOHANG) == self->client)
			break;
		usleep(100 * 1000);
	}
	ASSERT_GT(3000, i) TH_LOG("qemu-io did not finish (hung on a command?)");
	self->client = -1;
	nvme_reset_restore(self->nvme_bdf);
	n = read_file(log, text, sizeof(text));
	ASSERT_LT(0, n);
	if (!WIFEXITED(status) || WEXITSTATUS(status) ||
	    strstr(text, "failed") || strstr(text, "rror"))
		dump_log(_metadata, log);
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	EXPECT_EQ(NULL, strstr(text, "Pattern verification failed"));
	/* What qemu-io says it did: 1 + 32 writes, 1 + 32 reads */
	EXPECT_EQ(1 + NVME_SMALL, str_count(text, "wrote "));
	EXPECT_EQ(1 + NVME_SMALL, str_count(text, "read "));
	unlink(log);

	/* The bytes on the disk, as the host has them */
	img = malloc(NVME_SMALL_AT + NVME_SMALL * NVME_SMALL_STRIDE);
	ASSERT_NE(NULL, img);
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	len = NVME_SMALL_AT + NVME_SMALL * NVME_SMALL_STRIDE;
	EXPECT_EQ((ssize_t)len, pread(fd, img, len, 0));
	close(fd);
	for (i = 0; i < len; i++) {
		unsigned int want = 0, k;

		if (i < NVME_BIG) {
			want = big;
		} else if (i >= NVME_SMALL_AT) {
			k = (i - NVME_SMALL_AT) / NVME_SMALL_STRIDE;
			if ((i - NVME_SMALL_AT) % NVME_SMALL_STRIDE < 4096)
				want = nvme_small_pattern(variant->mdom, k);
		}
		if (img[i] != want && !bad++)
			TH_LOG("nvme.img byte 0x%x: 0x%02x, not 0x%02x", i,
			       img[i], want);
	}
	free(img);
	EXPECT_EQ(0, bad) TH_LOG("%u bytes of the image differ", bad);
	TH_LOG("moved: %u requests, %u bytes written and read back, in %llu ms",
	       2 * (1 + NVME_SMALL), 2 * (NVME_BIG + NVME_SMALL * 4096),
	       ULL(now_ms() - self->t0));
}

/* ---- libvirt: the edu devices as <hostdev> ------------------------------- */

#define LIBVIRT_START_TIMEOUT_MS	(240 * 1000)

/* qemu.conf for a guest with no cgroups, no systemd, no dbus, as root */
static const char libvirt_qemu_conf[] =
	"user = \"root\"\n"
	"group = \"root\"\n"
	"dynamic_ownership = 0\n"
	"remember_owner = 0\n"
	"security_driver = \"none\"\n"
	"cgroup_controllers = [ ]\n"
	"namespaces = [ ]\n"
	"stdio_handler = \"file\"\n";

static const char libvirtd_conf[] = "log_outputs = \"3:stderr\"\n";

/* The soft RLIMIT_MEMLOCK of @pid in bytes, -1 for unlimited, -2 unread */
static long long memlock_limit(pid_t pid)
{
	char path[64], text[4096];
	const char *p;

	snprintf(path, sizeof(path), "/proc/%d/limits", pid);
	if (read_file(path, text, sizeof(text)) < 0)
		return -2;
	p = strstr(text, "Max locked memory");
	if (!p)
		return -2;
	p += strlen("Max locked memory");
	while (*p == ' ')
		p++;
	if (!strncmp(p, "unlimited", 9))
		return -1;
	return strtoll(p, NULL, 10);
}

/*
 * One transient domain: the payload as its kernel, @nedus edu devices as
 * managed <hostdev>, a vIOMMU if @viommu. Created paused, checked (its
 * QEMU's memory lock limit, VmLck, containers), run, the payload's DMA
 * checked, then the payload ends QEMU and libvirt the domain.
 */
static void libvirt_domain(struct __test_metadata *_metadata,
			   const struct _fixture_variant_clients *variant,
			   struct _test_data_clients *self, bool viommu,
			   unsigned int nedus)
{
	char xml[4096], hostdevs[1024] = "", kernel[300], path[96], sock[96];
	char pidfile[160], buf[32], line[64];
	unsigned int dom, bus, slot, fn, i;
	struct payload_run r;
	long long limit;
	pid_t pid;
	int n;

	ASSERT_EQ(0, payload_path(kernel, sizeof(kernel)));
	snprintf(self->domain, sizeof(self->domain), "vfio-mdom-%s",
		 viommu ? "viommu" : "plain");
	snprintf(sock, sizeof(sock), "/tmp/vfio-mdom-lvser-%d.sock", getpid());
	for (i = 0; i < nedus; i++) {
		n = sscanf(self->edu[i].bdf, "%x:%x:%x.%x", &dom, &bus, &slot,
			   &fn);
		ASSERT_EQ(4, n);
		snprintf(hostdevs + strlen(hostdevs),
			 sizeof(hostdevs) - strlen(hostdevs),
			 "<hostdev mode='subsystem' type='pci' managed='yes'>\n"
			 " <source><address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/></source>\n"
			 "</hostdev>\n",
			 dom, bus, slot, fn);
	}
	snprintf(xml, sizeof(xml),
		 "<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
		 "<name>%s</name>\n"
		 "<memory unit='MiB'>64</memory>\n"
		 "<vcpu>1</vcpu>\n"
		 "<os><type arch='x86_64' machine='q35'>hvm</type>\n"
		 "<kernel>%s</kernel></os>\n"
		 "<features><acpi/></features>\n"
		 "<devices>\n"
		 "<emulator>" QEMU_BIN "</emulator>\n"
		 "%s\n"
		 "<serial type='unix'><source mode='bind' path='%s'/></serial>\n"
		 "<memballoon model='none'/>\n"
		 "%s\n"
		 "</devices>\n"
		 "<qemu:commandline><qemu:arg value='-device'/>\n"
		 "<qemu:arg value='isa-debug-exit,iobase=0xf4,iosize=4'/>\n"
		 "</qemu:commandline>\n"
		 "</domain>\n",
		 self->domain, kernel, hostdevs, sock,
		 viommu ? "<iommu model='intel'><driver caching_mode='on'/></iommu>\n" : "");
	snprintf(path, sizeof(path), "/tmp/vfio-mdom-domain-%d.xml", getpid());
	ASSERT_EQ(0, file_create(path, xml));

	ASSERT_EQ(0, virsh("create --paused %s", path)) {
		dump_log(_metadata, "/tmp/vfio-mdom-virsh.log");
	}
	snprintf(pidfile, sizeof(pidfile), "/run/libvirt/qemu/%s.pid",
		 self->domain);
	ASSERT_EQ(0, read_line(pidfile, buf, sizeof(buf)));
	pid = atoi(buf);
	ASSERT_LT(0, pid);
	/* qemu_stop() kills it if the test fails */
	self->vm.pid = pid;
	snprintf(self->vm.log, sizeof(self->vm.log),
		 "/var/log/libvirt/qemu/%s.log", self->domain);

	limit = memlock_limit(pid);
	TH_LOG("%s: QEMU's RLIMIT_MEMLOCK from libvirt %lld MiB, VmLck %ld kB",
	       self->domain, limit >> 20, vmlck_kb_of(pid));
	EXPECT_NE(-2, limit);
	/*
	 * QEMU maps the guest's 64 MiB for DMA less the PC's legacy hole
	 * (0xa0000-0xfffff, 384 KiB: the VGA window and the ROMs). The ROMs'
	 * read-only pins make up for it from Linux 6.2; before, they get
	 * the shared zero page, which 6.1's type1 does not count.
	 */
	EXPECT_LE((64LL << 20) - 0x60000, vmlck_kb_of(pid) * 1024LL);
	/*
	 * With <iommu model='intel'> libvirt's QEMU was seen with one
	 * container for both devices, not one each as with -device
	 * intel-iommu on its command line (guest_nested); why was not
	 * looked into: any number, all on the backend under test.
	 */
	expect_client_backend(pid, viommu ? -1 : 1);

	self->ser = unix_connect(sock);
	ASSERT_LE(0, self->ser) TH_LOG("the serial console: %s",
				       strerror(-self->ser));
	ASSERT_EQ(0, virsh("resume %s", self->domain));
	check_run(_metadata, self, nedus, &r);
	ASSERT_EQ(0, serial_wait(self, "ready", line, sizeof(line),
				 GUEST_TIMEOUT_MS));
	expect_client_backend(pid, viommu ? -1 : 1);
	ASSERT_EQ(1, write(self->ser, "q", 1));
	ASSERT_EQ(0, serial_wait(self, "result ", line, sizeof(line),
				 GUEST_TIMEOUT_MS));
	EXPECT_STREQ("result pass", line);
	/* isa-debug-exit ends QEMU; libvirt reaps it, the domain goes */
	for (i = 0; i < 600 && !kill(pid, 0); i++)
		usleep(100 * 1000);
	EXPECT_NE(0, kill(pid, 0)) TH_LOG("libvirt's QEMU still runs");
	self->vm.pid = -1;
	for (i = 0; i < 100 && !virsh("domstate %s", self->domain); i++)
		usleep(100 * 1000);
	EXPECT_NE(0, virsh("domstate %s", self->domain));
	close(self->ser);
	self->ser = -1;
	self->serial_len = 0;
	self->serial_seen = 0;
	self->serial[0] = '\0';
	self->domain[0] = '\0';
	unlink(path);
	TH_LOG("moved: %llu DMA transfers, %llu bytes, after %llu ms",
	       ULL(r.dmas), ULL(r.bytes), ULL(now_ms() - self->t0));
}

/*
 * libvirtd in a mount namespace of the test's own (its state, cache, run
 * and log directories and its configuration on tmpfs: the guest's root is
 * read-only), with a qemu.conf for a guest without cgroups, systemd or
 * dbus. Two transient domains: one edu as a managed <hostdev>; both edu
 * devices behind <iommu model='intel'>.
 */
TEST_F_TIMEOUT(clients, libvirt, 900)
{
	static const char *const dirs[] = {
		"/etc/libvirt", "/var/lib/libvirt", "/var/cache/libvirt",
		"/var/log/libvirt", "/run/libvirt",
	};
	static const char * const argv[] = { LIBVIRTD, NULL };
	char log[96];
	unsigned int i;
	uint64_t t;
	int in;

	ASSERT_EQ(0, access(LIBVIRTD, X_OK))
		TH_LOG("no %s (package libvirt-daemon-system)", LIBVIRTD);
	ASSERT_EQ(0, access(VIRSH, X_OK))
		TH_LOG("no %s (package libvirt-clients)", VIRSH);
	ASSERT_EQ(0, unshare(CLONE_NEWNS));
	ASSERT_EQ(0, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		/* /run and /var/log are the guest's tmpfs: no libvirt there */
		mkdir(dirs[i], 0755);
		ASSERT_EQ(0, mount("tmpfs", dirs[i], "tmpfs", 0, "mode=0755"))
			TH_LOG("tmpfs on %s: %s", dirs[i], strerror(errno));
	}
	ASSERT_EQ(0, file_create("/etc/libvirt/qemu.conf", libvirt_qemu_conf));
	ASSERT_EQ(0, file_create("/etc/libvirt/libvirtd.conf", libvirtd_conf));
	unlink("/tmp/vfio-mdom-virsh.log");

	snprintf(log, sizeof(log), "/tmp/vfio-mdom-libvirtd-%d.log", getpid());
	t = now_ms();
	self->client = spawn(argv, log, &in);
	ASSERT_LT(0, self->client);
	close(in);
	while (virsh("version")) {
		ASSERT_EQ(0, waitpid(self->client, NULL, WNOHANG)) {
			dump_log(_metadata, log);
		}
		ASSERT_GT(LIBVIRT_START_TIMEOUT_MS, now_ms() - t) {
			dump_log(_metadata, log);
		}
		usleep(500 * 1000);
	}
	TH_LOG("libvirtd up after %llu ms", ULL(now_ms() - t));

	libvirt_domain(_metadata, variant, self, false, 1);
	libvirt_domain(_metadata, variant, self, true, 2);
}

TEST_HARNESS_MAIN
