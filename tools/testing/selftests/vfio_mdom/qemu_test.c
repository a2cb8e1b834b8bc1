// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom selftest: an unmodified VMM on vfio-mdom. Debian's QEMU
 * (qemu-system-x86_64 7.2 from the host root) starts a paused TCG machine
 * with both edu devices assigned (-device vfio-pci,host=BDF) and a QMP
 * socket. QEMU opens /dev/vfio/vfio as for type1, VFIO gives the
 * container to vfio-mdom, and QEMU maps all guest RAM into it before the
 * machine runs. Two machines:
 *
 *   plain   no vIOMMU: one container for both devices;
 *   nested  a vIOMMU in the guest machine (-device intel-iommu,
 *           caching-mode=on, which VFIO needs): each device has an address
 *           space of its own, so QEMU opens a container per device and
 *           maps all guest RAM into each. type1 charges it twice;
 *           vfio-mdom charges each page once per process. (Under TCG
 *           kernel-irqchip=split is not needed: there is no KVM irqchip.)
 *
 * Checked:
 *
 *   - QEMU starts and QMP query-pci shows both devices;
 *   - vfio-mdom's debugfs shows QEMU's containers (QEMU's pid), holding
 *     all guest RAM, the edu groups in their Intel domains: vfio-mdom
 *     served QEMU, not type1;
 *   - QEMU's VmLck is guest RAM once, equal to the container's charge
 *     (plain), and no more than what one container pins, all of it
 *     shared between the two (nested); each container pins its own;
 *   - "cont" runs the machine, "quit" ends QEMU with status 0;
 *   - afterwards nothing is pinned or charged, and the groups are free.
 *
 * VFIO_MDOM_TEST_BACKEND=type1 runs QEMU on type1 instead (no debugfs;
 * nested, VmLck is guest RAM twice).
 */
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "mdom_test.h"

#define QEMU_BIN	"/usr/bin/qemu-system-x86_64"
#define GUEST_RAM	(256ULL << 20)
/* Firmware and option ROMs QEMU maps read-only next to guest RAM */
#define GUEST_ROMS_MAX	(16ULL << 20)
#define START_TIMEOUT_MS	(240 * 1000)
#define QMP_TIMEOUT_MS	(120 * 1000)
#define QUIT_TIMEOUT_MS	(60 * 1000)

struct qemu_ctx {
	bool mdom;
	struct edu_dev edu[2];
	pid_t pid;
	int qmp;
	char sock[96];
	char log[96];
	char rx[1 << 16];
	size_t rx_len;
	bool ready;
	struct leak_mark mark;
};

FIXTURE(qemu)
{
	struct qemu_ctx ctx;
};

FIXTURE_VARIANT(qemu)
{
	bool viommu;		/* -device intel-iommu,caching-mode=on */
};

FIXTURE_VARIANT_ADD(qemu, plain)
{
	.viommu = false,
};

FIXTURE_VARIANT_ADD(qemu, nested)
{
	.viommu = true,
};

FIXTURE_SETUP(qemu)
{
	struct qemu_ctx *ctx = &self->ctx;
	unsigned int i;

	ctx->pid = -1;
	ctx->qmp = -1;
	ctx->ready = false;
	ctx->mdom = !mdom_test_on_type1();
	if (ctx->mdom && !mdom_loaded())
		SKIP(return, "vfio_mdom.ko is not loaded");
	for (i = 0; i < 2; i++)
		if (edu_find(i, &ctx->edu[i]))
			SKIP(return, "needs two edu devices bound to vfio-pci");
	if (access(QEMU_BIN, X_OK))
		SKIP(return, "no %s", QEMU_BIN);
	if (ctx->mdom)
		ASSERT_EQ(1, mdom_backend_enabled());
	snprintf(ctx->sock, sizeof(ctx->sock), "/tmp/vfio-mdom-qmp-%d.sock",
		 getpid());
	snprintf(ctx->log, sizeof(ctx->log), "/tmp/vfio-mdom-qemu-%d.log",
		 getpid());
	unlink(ctx->sock);
	leak_mark(&ctx->mark);
	ctx->ready = true;
}

FIXTURE_TEARDOWN(qemu)
{
	struct qemu_ctx *ctx = &self->ctx;
	int status;

	if (ctx->qmp >= 0)
		close(ctx->qmp);
	if (ctx->pid > 0) {
		/* Only reached when the test failed before "quit" worked */
		kill(ctx->pid, SIGKILL);
		waitpid(ctx->pid, &status, 0);
	}
	unlink(ctx->sock);
	if (ctx->ready)
		expect_no_leak(&ctx->mark, false);
}

/* QEMU's output, in the test's log, when something went wrong */
static void dump_qemu_log(struct __test_metadata *_metadata,
			  struct qemu_ctx *ctx)
{
	char text[4096], *line, *next;
	ssize_t n = read_file(ctx->log, text, sizeof(text));

	if (n < 0 && n != -E2BIG)
		return;
	for (line = text; *line; line = next) {
		next = next_line(line);
		TH_LOG("qemu: %s", line);
	}
}

static pid_t start_qemu(struct qemu_ctx *ctx, bool viommu)
{
	char qmp[160], dev[2][80];
	const char *argv[32];
	unsigned int n = 0;
	pid_t pid;
	int fd;

	snprintf(qmp, sizeof(qmp), "unix:%s,server=on,wait=off", ctx->sock);
	snprintf(dev[0], sizeof(dev[0]), "vfio-pci,host=%s", ctx->edu[0].bdf);
	snprintf(dev[1], sizeof(dev[1]), "vfio-pci,host=%s", ctx->edu[1].bdf);
	pid = fork();
	if (pid)
		return pid;
	/* Whatever happens to the test, QEMU does not outlive it */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	fd = open(ctx->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
	}
	argv[n++] = QEMU_BIN;
	argv[n++] = "-accel";
	argv[n++] = "tcg";
	argv[n++] = "-M";
	argv[n++] = "q35";
	argv[n++] = "-m";
	argv[n++] = "256M";
	argv[n++] = "-nodefaults";
	argv[n++] = "-display";
	argv[n++] = "none";
	argv[n++] = "-S";
	argv[n++] = "-qmp";
	argv[n++] = qmp;
	if (viommu) {
		/* Before the devices it translates for */
		argv[n++] = "-device";
		argv[n++] = "intel-iommu,caching-mode=on";
	}
	argv[n++] = "-device";
	argv[n++] = dev[0];
	argv[n++] = "-device";
	argv[n++] = dev[1];
	argv[n] = NULL;
	execv(QEMU_BIN, (char * const *)argv);
	_exit(127);
}

/* Is QEMU still running? */
static bool qemu_alive(struct qemu_ctx *ctx, int *status)
{
	pid_t ret = waitpid(ctx->pid, status, WNOHANG);

	if (ret == ctx->pid) {
		ctx->pid = -1;
		return false;
	}
	return true;
}

/* Connect to QEMU's QMP socket, waiting for QEMU to create it. */
static int qmp_connect(struct qemu_ctx *ctx, int *status)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	uint64_t deadline = now_ms() + START_TIMEOUT_MS;
	int fd;

	str_copy(addr.sun_path, ctx->sock, sizeof(addr.sun_path));
	while (now_ms() < deadline) {
		if (!qemu_alive(ctx, status))
			return -ECHILD;
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (!connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
			return fd;
		close(fd);
		usleep(200 * 1000);
	}
	return -ETIMEDOUT;
}

/*
 * The next QMP message that is not an event (the greeting, an answer or
 * an error), without its spaces, into @out. 0, or -ETIMEDOUT, -EPIPE (QEMU closed), -E2BIG.
 */
static int qmp_read(struct qemu_ctx *ctx, char *out, size_t size,
		    unsigned int timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;
	struct pollfd pfd = { .fd = ctx->qmp, .events = POLLIN };
	char *nl;
	ssize_t n;
	size_t i, k;

	for (;;) {
		nl = memchr(ctx->rx, '\n', ctx->rx_len);
		if (nl) {
			size_t len = nl - ctx->rx + 1;

			for (i = 0, k = 0; i < len - 1 && k < size - 1; i++)
				if (ctx->rx[i] != ' ' && ctx->rx[i] != '\r')
					out[k++] = ctx->rx[i];
			out[k] = '\0';
			memmove(ctx->rx, ctx->rx + len, ctx->rx_len - len);
			ctx->rx_len -= len;
			/* Events ({"timestamp": .., "event": ..}) are not answers */
			if (!strncmp(out, "{\"return\"", 9) ||
			    !strncmp(out, "{\"error\"", 8) ||
			    !strncmp(out, "{\"QMP\"", 6))
				return 0;
			continue;
		}
		if (ctx->rx_len == sizeof(ctx->rx))
			return -E2BIG;
		if (now_ms() > deadline)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, 500) <= 0)
			continue;
		n = read(ctx->qmp, ctx->rx + ctx->rx_len,
			 sizeof(ctx->rx) - ctx->rx_len);
		if (n <= 0)
			return -EPIPE;
		ctx->rx_len += n;
	}
}

/* Execute QMP command @cmd: 0 and its answer, or a negative errno. */
static int qmp_execute(struct qemu_ctx *ctx, const char *cmd, char *out,
		       size_t size)
{
	char req[256];
	int n, ret;

	n = snprintf(req, sizeof(req), "{\"execute\": \"%s\"}\n", cmd);
	if (write(ctx->qmp, req, n) != n)
		return -EPIPE;
	ret = qmp_read(ctx, out, size, QMP_TIMEOUT_MS);
	if (ret)
		return ret;
	return strncmp(out, "{\"return\"", 9) ? -EPROTO : 0;
}

static unsigned int count_of(const char *text, const char *what)
{
	unsigned int n = 0;

	while ((text = strstr(text, what))) {
		n++;
		text += strlen(what);
	}
	return n;
}

/* A container of QEMU in vfio-mdom's debugfs: as QEMU sets one up */
static void check_dbg_container(struct __test_metadata *_metadata,
				const struct mdom_dbg_container *dbg)
{
	EXPECT_STREQ("qemu-system-x86", dbg->comm);
	EXPECT_EQ(VFIO_TYPE1v2_IOMMU, dbg->type);
	EXPECT_LE(GUEST_RAM, dbg->mapped_bytes);
	EXPECT_GT(GUEST_RAM + GUEST_ROMS_MAX, dbg->mapped_bytes);
	EXPECT_LE(GUEST_RAM / SZ_4K, dbg->pinned_pages);
	EXPECT_EQ(dbg->pinned_pages, dbg->locked_pages + dbg->shared_pages);
	ASSERT_EQ(1, dbg->ndomains);
	EXPECT_STREQ("dmar", dbg->domains[0].driver);
	EXPECT_EQ(dbg->mapped_bytes, dbg->domains[0].mapped_bytes);
}

/*
 * No vIOMMU: one container for both devices, all guest RAM mapped, pinned
 * and charged once, the charge the container's alone.
 */
static void check_plain(struct __test_metadata *_metadata,
			struct qemu_ctx *ctx)
{
	struct mdom_dbg_container dbg;
	long vmlck, pinned;
	int i;

	vmlck = vmlck_kb_of(ctx->pid);
	pinned = foll_pins_stable() - ctx->mark.pins;
	TH_LOG("QEMU without vIOMMU: VmLck %ld kB, %ld pages pinned", vmlck,
	       pinned);
	EXPECT_LE((long)(GUEST_RAM / 1024), vmlck);
	EXPECT_GT((long)((GUEST_RAM + GUEST_ROMS_MAX) / 1024), vmlck);
	EXPECT_LE((long)(GUEST_RAM / SZ_4K), pinned);
	EXPECT_GT((long)((GUEST_RAM + GUEST_ROMS_MAX) / SZ_4K), pinned);
	if (!ctx->mdom)
		return;
	/* QEMU's container is vfio-mdom's */
	ASSERT_EQ(1, mdom_dbg_containers(ctx->pid, &dbg, 1))
		TH_LOG("vfio-mdom does not serve QEMU's container");
	check_dbg_container(_metadata, &dbg);
	EXPECT_EQ(pinned, (long)dbg.pinned_pages);
	EXPECT_EQ(0, dbg.shared_pages);
	EXPECT_EQ(vmlck, (long)(dbg.locked_pages * SZ_4K / 1024));
	for (i = 0; i < 2; i++)
		EXPECT_TRUE(mdom_dbg_domain_has(&dbg.domains[0],
						ctx->edu[i].group));
}

/*
 * A vIOMMU in the machine: a container per device, each with all guest
 * RAM pinned. Charged once: QEMU's VmLck is guest RAM once, no more than
 * one container pins (less where one container maps a page twice: the
 * BIOS and its ISA alias), and every page of each container is shared
 * with the other. type1 charges every container: guest RAM twice.
 */
static void check_nested(struct __test_metadata *_metadata,
			 struct qemu_ctx *ctx)
{
	struct mdom_dbg_container dbg[3];
	long vmlck, pinned;
	int i, n;

	vmlck = vmlck_kb_of(ctx->pid);
	pinned = foll_pins_stable() - ctx->mark.pins;
	TH_LOG("QEMU with vIOMMU: VmLck %ld kB, %ld pages pinned", vmlck,
	       pinned);
	EXPECT_LE((long)(2 * GUEST_RAM / SZ_4K), pinned);
	EXPECT_GT((long)(2 * (GUEST_RAM + GUEST_ROMS_MAX) / SZ_4K), pinned);
	if (!ctx->mdom) {
		EXPECT_LE((long)(2 * GUEST_RAM / 1024), vmlck);
		EXPECT_GT((long)(2 * (GUEST_RAM + GUEST_ROMS_MAX) / 1024),
			  vmlck);
		return;
	}
	EXPECT_LE((long)(GUEST_RAM / 1024), vmlck);
	EXPECT_GT((long)((GUEST_RAM + GUEST_ROMS_MAX) / 1024), vmlck);

	n = mdom_dbg_containers(ctx->pid, dbg, ARRAY_SIZE(dbg));
	ASSERT_EQ(2, n) TH_LOG("QEMU's containers on vfio-mdom");
	for (i = 0; i < 2; i++) {
		TH_LOG("container %u: %llu pages pinned, %llu shared, %llu its own",
		       dbg[i].id, (unsigned long long)dbg[i].pinned_pages,
		       (unsigned long long)dbg[i].shared_pages,
		       (unsigned long long)dbg[i].locked_pages);
		check_dbg_container(_metadata, &dbg[i]);
		/* One device each */
		EXPECT_EQ(1, dbg[i].domains[0].ngroups);
		EXPECT_TRUE(mdom_dbg_domain_has(&dbg[i].domains[0],
						ctx->edu[i].group) ||
			    mdom_dbg_domain_has(&dbg[i].domains[0],
						ctx->edu[!i].group));
		/* The same memory: every page shared, none its own */
		EXPECT_EQ(dbg[i].pinned_pages, dbg[i].shared_pages);
		EXPECT_GE((long)(dbg[i].pinned_pages * SZ_4K / 1024), vmlck);
	}
	EXPECT_NE(dbg[0].domains[0].groups[0], dbg[1].domains[0].groups[0]);
	EXPECT_EQ(pinned, (long)(dbg[0].pinned_pages + dbg[1].pinned_pages));
}

TEST_F_TIMEOUT(qemu, vmm_on_vfio_mdom, 900)
{
	struct qemu_ctx *ctx = &self->ctx;
	static char reply[1 << 16];
	uint64_t t0 = now_ms(), t_up, t_ready;
	uint32_t flags;
	int status, i, g;

	ctx->pid = start_qemu(ctx, variant->viommu);
	ASSERT_LT(0, ctx->pid);
	ctx->qmp = qmp_connect(ctx, &status);
	if (ctx->qmp < 0)
		dump_qemu_log(_metadata, ctx);
	ASSERT_LE(0, ctx->qmp) TH_LOG("QMP: %s", strerror(-ctx->qmp));
	t_up = now_ms();
	/* The greeting comes once the machine (and its RAM maps) is set up */
	ASSERT_EQ(0, qmp_read(ctx, reply, sizeof(reply), START_TIMEOUT_MS));
	ASSERT_NE(NULL, strstr(reply, "{\"QMP\""));
	ASSERT_EQ(0, qmp_execute(ctx, "qmp_capabilities", reply,
				 sizeof(reply)));
	t_ready = now_ms();
	TH_LOG("QEMU up in %llu ms, QMP ready after %llu ms",
	       (unsigned long long)(t_up - t0),
	       (unsigned long long)(t_ready - t0));

	/* Both edu devices (1234:11e8) in the guest's PCI tree */
	ASSERT_EQ(0, qmp_execute(ctx, "query-pci", reply, sizeof(reply)));
	EXPECT_EQ(2, count_of(reply, "\"device\":4584,\"subsystem-vendor\""))
		TH_LOG("%.400s", reply);
	EXPECT_EQ(2, count_of(reply, "\"vendor\":4660"));

	if (variant->viommu)
		check_nested(_metadata, ctx);
	else
		check_plain(_metadata, ctx);

	/* The machine runs */
	ASSERT_EQ(0, qmp_execute(ctx, "cont", reply, sizeof(reply)))
		TH_LOG("%.300s", reply);
	sleep(2);
	ASSERT_EQ(0, qmp_execute(ctx, "query-status", reply, sizeof(reply)))
		TH_LOG("%.300s", reply);
	EXPECT_NE(NULL, strstr(reply, "\"running\":true")) TH_LOG("%s", reply);
	EXPECT_TRUE(qemu_alive(ctx, &status));

	/* And ends */
	ASSERT_EQ(0, qmp_execute(ctx, "quit", reply, sizeof(reply)))
		TH_LOG("%.300s", reply);
	for (i = 0; i < QUIT_TIMEOUT_MS / 100 && qemu_alive(ctx, &status); i++)
		usleep(100 * 1000);
	if (ctx->pid > 0)
		dump_qemu_log(_metadata, ctx);
	ASSERT_EQ(-1, ctx->pid) TH_LOG("QEMU did not quit");
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		dump_qemu_log(_metadata, ctx);

	/* Nothing left: pins, charges, the container, the groups */
	expect_pins(ctx->mark.pins);
	if (ctx->mdom)
		EXPECT_EQ(0, mdom_dbg_containers(-1, NULL, 0));
	for (i = 0; i < 2; i++) {
		g = vfio_open_group(ctx->edu[i].group);
		ASSERT_LE(0, g);
		EXPECT_EQ(0, _vfio_group_status(g, &flags));
		EXPECT_EQ(VFIO_GROUP_FLAGS_VIABLE, flags);
		close(g);
	}
}

TEST_HARNESS_MAIN
