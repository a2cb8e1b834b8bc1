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
 *     shared between the two (nested), each container's mappings
 *     holding their own pins;
 *   - "cont" runs the machine, "quit" ends QEMU with status 0;
 *   - afterwards nothing is pinned or charged, and the groups are free.
 *
 * VFIO_MDOM_TEST_BACKEND=type1 runs QEMU on type1 instead (no debugfs;
 * nested, VmLck is guest RAM twice).
 */
#include "mdom_test.h"

struct qemu_ctx {
	bool mdom;
	struct edu_dev edu[2];
	struct qemu_vm vm;
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

/*
 * Does a read-only long-term pin of never-written private memory get the
 * shared zero page, which the kernel neither pins nor counts? Kernels
 * before Linux 6.2 give it (6.2 unshares it): QEMU's read-only ROM
 * mappings then map zero pages, and the kernel's count of pins is not
 * what VFIO maps, pinned or charged (vfio-mdom charges them, type1 skips
 * them as reserved). Found by mapping one such page into a container of
 * edu device 0.
 */
static bool ro_pin_gets_zero_page(struct qemu_ctx *ctx)
{
	bool zero = false;
	long long before;
	int fd, gfd;
	char *page;

	page = mmap(NULL, SZ_4K, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		    0);
	if (page == MAP_FAILED)
		return false;
	zero = page[0] == 0;	/* read: the zero page comes in */
	gfd = vfio_open_group(ctx->edu[0].group);
	fd = vfio_open_container();
	if (gfd >= 0 && fd >= 0 &&
	    !vfio_attach(fd, gfd, true, VFIO_TYPE1v2_IOMMU)) {
		before = foll_pins_stable();
		if (!_vfio_map(fd, SZ_1M, SZ_4K, page,
			       VFIO_DMA_MAP_FLAG_READ)) {
			zero = zero && foll_pins_stable() == before;
			_vfio_unmap(fd, SZ_1M, SZ_4K, 0, NULL);
		} else {
			zero = false;
		}
	} else {
		zero = false;
	}
	if (fd >= 0)
		close(fd);
	if (gfd >= 0)
		close(gfd);
	munmap(page, SZ_4K);
	return zero;
}

FIXTURE_SETUP(qemu)
{
	struct qemu_ctx *ctx = &self->ctx;
	unsigned int i;

	qemu_init(&ctx->vm);
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
	/* A kernel feature: Debian's 6.1 gives it */
	if (ro_pin_gets_zero_page(ctx))
		SKIP(return,
		     "read-only long-term pins get the zero page (before 6.2)");
	leak_mark(&ctx->mark);
	ctx->ready = true;
}

FIXTURE_TEARDOWN(qemu)
{
	struct qemu_ctx *ctx = &self->ctx;

	/* QEMU still runs only when the test failed before "quit" worked */
	qemu_stop(&ctx->vm);
	if (ctx->ready)
		expect_no_leak(&ctx->mark, false);
}

/* QEMU's output, in the test's log, when something went wrong */
static void dump_qemu_log(struct __test_metadata *_metadata,
			  struct qemu_ctx *ctx)
{
	char text[4096], *line, *next;
	ssize_t n = read_file(ctx->vm.log, text, sizeof(text));

	if (n < 0 && n != -E2BIG)
		return;
	for (line = text; *line; line = next) {
		next = next_line(line);
		TH_LOG("qemu: %s", line);
	}
}

/* A container of QEMU in vfio-mdom's debugfs: as QEMU sets one up */
static void check_dbg_container(struct __test_metadata *_metadata,
				const struct mdom_dbg_container *dbg)
{
	struct edu_dev edu;

	EXPECT_STREQ("qemu-system-x86", dbg->comm);
	EXPECT_EQ(VFIO_TYPE1v2_IOMMU, dbg->type);
	EXPECT_LE(QEMU_RAM, dbg->mapped_bytes);
	EXPECT_GT(QEMU_RAM + QEMU_ROMS_MAX, dbg->mapped_bytes);
	EXPECT_LE(QEMU_RAM / SZ_4K, dbg->pinned_pages);
	EXPECT_EQ(dbg->pinned_pages, dbg->locked_pages + dbg->shared_pages);
	ASSERT_EQ(1, dbg->ndomains);
	ASSERT_EQ(0, edu_find(0, &edu));
	expect_edu_driver(&edu, dbg->domains[0].driver);
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

	vmlck = vmlck_kb_of(ctx->vm.pid);
	pinned = foll_pins_stable() - ctx->mark.pins;
	TH_LOG("QEMU without vIOMMU: VmLck %ld kB, %ld pages pinned", vmlck,
	       pinned);
	EXPECT_LE((long)(QEMU_RAM / 1024), vmlck);
	EXPECT_GT((long)((QEMU_RAM + QEMU_ROMS_MAX) / 1024), vmlck);
	EXPECT_LE((long)(QEMU_RAM / SZ_4K), pinned);
	EXPECT_GT((long)((QEMU_RAM + QEMU_ROMS_MAX) / SZ_4K), pinned);
	if (!ctx->mdom)
		return;
	/* QEMU's container is vfio-mdom's */
	ASSERT_EQ(1, mdom_dbg_containers(ctx->vm.pid, &dbg, 1))
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

	vmlck = vmlck_kb_of(ctx->vm.pid);
	pinned = foll_pins_stable() - ctx->mark.pins;
	TH_LOG("QEMU with vIOMMU: VmLck %ld kB, %ld pages pinned", vmlck,
	       pinned);
	if (!ctx->mdom) {
		EXPECT_LE((long)(2 * QEMU_RAM / SZ_4K), pinned);
		EXPECT_GT((long)(2 * (QEMU_RAM + QEMU_ROMS_MAX) / SZ_4K),
			  pinned);
		EXPECT_LE((long)(2 * QEMU_RAM / 1024), vmlck);
		EXPECT_GT((long)(2 * (QEMU_RAM + QEMU_ROMS_MAX) / 1024),
			  vmlck);
		return;
	}
	EXPECT_LE((long)(QEMU_RAM / 1024), vmlck);
	EXPECT_GT((long)((QEMU_RAM + QEMU_ROMS_MAX) / 1024), vmlck);

	n = mdom_dbg_containers(ctx->vm.pid, dbg, ARRAY_SIZE(dbg));
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
	/* Each container's mappings hold their own pins: charged once only */
	EXPECT_EQ((long)(dbg[0].pinned_pages + dbg[1].pinned_pages), pinned);
}

TEST_F_TIMEOUT(qemu, vmm_on_vfio_mdom, 900)
{
	struct qemu_ctx *ctx = &self->ctx;
	const char *bdfs[2] = { ctx->edu[0].bdf, ctx->edu[1].bdf };
	static char reply[1 << 16];
	uint64_t t0 = now_ms();
	uint32_t flags;
	int status, i, g, ret;

	ASSERT_EQ(0, qemu_start(&ctx->vm, bdfs, 2, variant->viommu));
	/* The greeting comes once the machine (and its RAM maps) is set up */
	ret = qemu_qmp_open(&ctx->vm, &status, reply, sizeof(reply));
	if (ret)
		dump_qemu_log(_metadata, ctx);
	ASSERT_EQ(0, ret) TH_LOG("QMP: %s", strerror(-ret));
	TH_LOG("QEMU ready after %llu ms", ULL(now_ms() - t0));

	/* Both edu devices (1234:11e8) in the guest's PCI tree */
	ASSERT_EQ(0, qemu_qmp(&ctx->vm, "query-pci", reply, sizeof(reply)));
	EXPECT_EQ(2, str_count(reply, "\"device\":4584,\"subsystem-vendor\""))
		TH_LOG("%.400s", reply);
	EXPECT_EQ(2, str_count(reply, "\"vendor\":4660"));

	if (variant->viommu)
		check_nested(_metadata, ctx);
	else
		check_plain(_metadata, ctx);

	/* The machine runs */
	ASSERT_EQ(0, qemu_qmp(&ctx->vm, "cont", reply, sizeof(reply)))
		TH_LOG("%.300s", reply);
	sleep(2);
	ASSERT_EQ(0, qemu_qmp(&ctx->vm, "query-status", reply, sizeof(reply)))
		TH_LOG("%.300s", reply);
	EXPECT_NE(NULL, strstr(reply, "\"running\":true")) TH_LOG("%s", reply);
	EXPECT_TRUE(qemu_alive(&ctx->vm, &status));

	/* And ends */
	ret = qemu_quit(&ctx->vm, &status);
	if (ret)
		dump_qemu_log(_metadata, ctx);
	ASSERT_EQ(0, ret) TH_LOG("QEMU did not quit: %s", strerror(-ret));
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
