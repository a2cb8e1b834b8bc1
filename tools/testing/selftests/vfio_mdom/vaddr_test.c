// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom selftest: live update (VFIO_UPDATE_VADDR), as a VMM upgrades
 * itself without stopping its devices.
 *
 * This process maps shared memory (a memfd) for an edu device and drives
 * the device through its VFIO device fd. It invalidates the mapping's
 * user address (VFIO_DMA_UNMAP_FLAG_VADDR) and drops that address; the
 * pins and translations stay, so the device's DMA goes on. A second
 * process, given the container fd and the memfd over a unix socket
 * (SCM_RIGHTS), maps the memfd where it likes and supplies the new
 * address (VFIO_DMA_MAP_FLAG_VADDR); past its RLIMIT_MEMLOCK that is
 * refused and nothing changes. The charge (locked_vm) moves to the second
 * process's mm, the first gets its own back; the device keeps copying
 * memory throughout, data the second process wrote included; the second
 * process may go while the mapping lives on; at the end nothing is
 * pinned or charged. And the same while a second container of this
 * process (a mock IOMMU group) maps the same memory, so that vfio-mdom's
 * account charges it once for both: the mapping's pins go to the second
 * process with it, and this process keeps the pins and the charge of the
 * second container.
 *
 * VFIO_MDOM_TEST_BACKEND=type1 runs it on type1, which moves the charge
 * the same way (vfio-mdom's query and debugfs checks left out). Needs an
 * edu device bound to vfio-pci.
 */
#include <sys/resource.h>
#include <sys/wait.h>

#include "mdom_test.h"

#define MEM_PAGES	16
#define IOVA_M		SZ_1M
#define XFER_OFF	0x800
#define XFER_LEN	3000

struct vctx {
	bool ready;
	bool mdom;
	int fd;			/* the container */
	int gfd;
	int fd2;		/* a second one, mapping the same memory */
	int gfd2;
	struct edu_dev edu;
	int memfd;
	uint8_t *view;		/* given to VFIO, dropped after invalidation */
	uint8_t *watch;		/* the same memory, to look at it */
	pid_t child;
	int sock;		/* to the child */
	struct leak_mark mark;
};

FIXTURE(vaddr)
{
	struct vctx t;
};

/* What the second process answers */
struct update_report {
	int err_tight;		/* MAP_DMA(VADDR) past its RLIMIT_MEMLOCK */
	int err;		/* MAP_DMA(VADDR) within it */
	int step;		/* 0, or what failed before the update */
	long vmlck_before, vmlck_after;
	int invalid_after;	/* num_vaddr_invalid after, or -1 */
};

/*
 * The second process: waits for the container fd and the memfd, maps the
 * memfd, supplies its address for IOVA_M (first under a limit too tight,
 * then with room), writes a pattern into page 4, reports, waits for the
 * word to exit.
 */
static void second_process(int sock, bool mdom)
{
	struct update_report r = { .invalid_after = -1 };
	struct mdom_state st;
	struct rlimit rl;
	uint8_t *mem;
	int fd, memfd;
	char c;

	fd = recv_fd(sock);
	memfd = recv_fd(sock);
	r.step = 1;
	if (fd < 0 || memfd < 0)
		goto out;
	mem = mmap(NULL, MEM_PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED,
		   memfd, 0);
	r.step = 2;
	if (mem == MAP_FAILED)
		goto out;
	r.vmlck_before = vmlck_kb();
	r.step = 3;
	if (cap_drop_effective(CAP_IPC_LOCK))
		goto out;
	rl.rlim_cur = r.vmlck_before * 1024 + (MEM_PAGES - 1) * PG;
	rl.rlim_max = RLIM_INFINITY;
	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		goto out;
	r.err_tight = _vfio_map(fd, IOVA_M, MEM_PAGES * PG, mem,
				VFIO_DMA_MAP_FLAG_VADDR);
	rl.rlim_cur += PG;
	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		goto out;
	r.step = 0;
	r.err = _vfio_map(fd, IOVA_M, MEM_PAGES * PG, mem,
			  VFIO_DMA_MAP_FLAG_VADDR);
	r.vmlck_after = vmlck_kb();
	if (mdom && !_mdom_query(fd, &st))
		r.invalid_after = st.q.num_vaddr_invalid;
	memset(mem + 4 * PG, 0xc4, 2 * PG);
out:
	if (write(sock, &r, sizeof(r)) != sizeof(r))
		_exit(2);
	/* Keep the mapping and the container fd until told to go */
	if (read(sock, &c, 1) != 1)
		_exit(3);
	_exit(0);
}

FIXTURE_SETUP(vaddr)
{
	struct vctx *t = &self->t;
	int sv[2];

	t->fd = -1;
	t->gfd = -1;
	t->fd2 = -1;
	t->gfd2 = -1;
	t->memfd = -1;
	t->sock = -1;
	t->child = -1;
	t->view = MAP_FAILED;
	t->watch = MAP_FAILED;
	t->edu.device_fd = -1;
	t->mdom = !mdom_test_on_type1();
	if (t->mdom && !mdom_loaded())
		SKIP(return, "vfio_mdom.ko is not loaded");
	if (edu_find(0, &t->edu))
		SKIP(return, "no edu device bound to vfio-pci");

	/* The second process starts with nothing of ours but the socket */
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	t->child = fork();
	ASSERT_LE(0, t->child);
	if (!t->child) {
		close(sv[0]);
		second_process(sv[1], t->mdom);
	}
	close(sv[1]);
	t->sock = sv[0];

	leak_mark(&t->mark);
	t->memfd = memfd_create("vfio-mdom-guest-ram", MFD_CLOEXEC);
	ASSERT_LE(0, t->memfd);
	ASSERT_EQ(0, ftruncate(t->memfd, MEM_PAGES * PG));
	t->view = mmap(NULL, MEM_PAGES * PG, PROT_READ | PROT_WRITE,
		       MAP_SHARED, t->memfd, 0);
	ASSERT_NE(MAP_FAILED, t->view);
	t->watch = mmap(NULL, MEM_PAGES * PG, PROT_READ | PROT_WRITE,
			MAP_SHARED, t->memfd, 0);
	ASSERT_NE(MAP_FAILED, t->watch);

	t->gfd = vfio_open_group(t->edu.group);
	ASSERT_LE(0, t->gfd);
	t->fd = vfio_open_container();
	ASSERT_LE(0, t->fd);
	ASSERT_EQ(0, vfio_attach(t->fd, t->gfd, true, VFIO_TYPE1v2_IOMMU));
	if (t->mdom)
		expect_backend_mdom(t->fd);
	else
		expect_backend_type1(t->fd);
	ASSERT_EQ(0, edu_open(&t->edu, t->gfd));
	ASSERT_EQ(0, edu_bus_master(&t->edu, true));
	t->ready = true;
}

FIXTURE_TEARDOWN(vaddr)
{
	struct vctx *t = &self->t;
	int status;

	if (t->child > 0) {
		kill(t->child, SIGKILL);
		waitpid(t->child, &status, 0);
	}
	if (t->sock >= 0)
		close(t->sock);
	edu_close(&t->edu);
	if (t->fd2 >= 0)
		close(t->fd2);
	if (t->gfd2 >= 0)
		close(t->gfd2);
	if (t->fd >= 0)
		close(t->fd);
	if (t->gfd >= 0)
		close(t->gfd);
	if (t->memfd >= 0)
		close(t->memfd);
	if (t->view != MAP_FAILED)
		munmap(t->view, MEM_PAGES * PG);
	if (t->watch != MAP_FAILED)
		munmap(t->watch, MEM_PAGES * PG);
	if (t->ready)
		expect_no_leak(&t->mark, !t->mdom);
}

/*
 * The device copies XFER_LEN bytes from page @src to page @dst of the
 * memory (through IOVA_M); the copy must be there, seen through @watch.
 */
static void edu_copy(struct __test_metadata *_metadata, struct vctx *t,
		     unsigned int src, unsigned int dst, const char *when)
{
	uint8_t *s = t->watch + src * PG + XFER_OFF;
	uint8_t *d = t->watch + dst * PG + XFER_OFF;

	memset(d, 0, XFER_LEN);
	ASSERT_EQ(0, edu_read_ram(&t->edu, IOVA_M + src * PG + XFER_OFF, 0,
				  XFER_LEN)) TH_LOG("%s: DMA read", when);
	ASSERT_EQ(0, edu_write_ram(&t->edu, 0, IOVA_M + dst * PG + XFER_OFF,
				   XFER_LEN)) TH_LOG("%s: DMA write", when);
	EXPECT_EQ(0, memcmp(s, d, XFER_LEN)) TH_LOG("%s: copy differs", when);
}

static void expect_invalid(struct __test_metadata *_metadata, struct vctx *t,
			   unsigned int n)
{
	struct mdom_dbg_container dbg[2];
	struct mdom_state st;
	int i, ndbg;

	if (!t->mdom)
		return;
	mdom_query(t->fd, &st);
	EXPECT_EQ(n, st.q.num_vaddr_invalid);
	EXPECT_EQ(1, st.q.num_mappings);
	EXPECT_EQ(MEM_PAGES, st.q.pinned_pages);
	/* With the second container's, which never invalidates */
	ndbg = mdom_dbg_containers(getpid(), dbg, ARRAY_SIZE(dbg));
	ASSERT_EQ(t->fd2 >= 0 ? 2 : 1, ndbg);
	for (i = 0; i < ndbg; i++)
		n -= dbg[i].vaddr_invalid;
	EXPECT_EQ(0, n);
}

/*
 * A second container of this process (the mock's device 0.0) maps the
 * same memory: vfio-mdom's account of this mm pins it once for both.
 */
static void map_in_second_container(struct __test_metadata *_metadata,
				    struct vctx *t)
{
	struct mock_dev md;

	ASSERT_EQ(0, mock_find_dev(0, 0, &md));
	t->gfd2 = vfio_open_group(md.group);
	ASSERT_LE(0, t->gfd2);
	t->fd2 = vfio_open_container();
	ASSERT_LE(0, t->fd2);
	ASSERT_EQ(0, vfio_attach(t->fd2, t->gfd2, true, VFIO_TYPE1v2_IOMMU));
	expect_backend_mdom(t->fd2);
	vfio_map(t->fd2, IOVA_M, MEM_PAGES * PG, t->watch);
}

/*
 * The whole update: invalidate, drop the old address, hand over, refused
 * past the new owner's limit, supplied within it; DMA at every step; the
 * charge moves; the new owner goes; nothing left. With @shared, a second
 * container maps the memory too, and keeps its pins and charge here.
 */
static void update_from_another_process(struct __test_metadata *_metadata,
					struct vctx *t, bool shared)
{
	long base = vmlck_kb(), mem_kb = MEM_PAGES * PG / 1024;
	/* What this process keeps: the second container's */
	long kept_kb = shared ? mem_kb : 0, kept_pins = shared ? MEM_PAGES : 0;
	struct update_report r;
	uint64_t unmapped;
	unsigned int i;
	int status;

	EXPECT_EQ(1, vfio_check_extension(t->fd, VFIO_UPDATE_VADDR));
	for (i = 0; i < MEM_PAGES; i++)
		memset(t->watch + i * PG, 0x10 + i, PG);
	vfio_map(t->fd, IOVA_M, MEM_PAGES * PG, t->view);
	if (shared)
		map_in_second_container(_metadata, t);
	/* Charged once, pinned by each container's mapping */
	EXPECT_EQ(base + mem_kb, vmlck_kb());
	expect_pins(t->mark.pins + MEM_PAGES + kept_pins);
	edu_copy(_metadata, t, 0, 8, "mapped");
	expect_invalid(_metadata, t, 0);

	/* Invalidated: translations and pins stay */
	ASSERT_EQ(0, _vfio_unmap(t->fd, IOVA_M, MEM_PAGES * PG,
				 VFIO_DMA_UNMAP_FLAG_VADDR, &unmapped));
	EXPECT_EQ(MEM_PAGES * PG, unmapped);
	expect_invalid(_metadata, t, 1);
	edu_copy(_metadata, t, 1, 9, "invalidated");
	munmap(t->view, MEM_PAGES * PG);
	t->view = MAP_FAILED;
	edu_copy(_metadata, t, 2, 10, "old address gone");
	EXPECT_EQ(base + mem_kb, vmlck_kb());
	expect_pins(t->mark.pins + MEM_PAGES + kept_pins);

	/* Handed over; the second process supplies its address */
	ASSERT_EQ(0, send_fd(t->sock, t->fd));
	ASSERT_EQ(0, send_fd(t->sock, t->memfd));
	ASSERT_EQ(sizeof(r), read(t->sock, &r, sizeof(r)));
	ASSERT_EQ(0, r.step) TH_LOG("second process, step %d", r.step);
	EXPECT_EQ(-ENOMEM, r.err_tight);
	ASSERT_EQ(0, r.err) TH_LOG("MAP_DMA(VADDR): %s", strerror(-r.err));
	EXPECT_EQ(r.vmlck_before + mem_kb, r.vmlck_after);
	EXPECT_EQ(r.vmlck_after, vmlck_kb_of(t->child));
	EXPECT_EQ(base + kept_kb, vmlck_kb());
	if (t->mdom)
		EXPECT_EQ(0, r.invalid_after);
	expect_invalid(_metadata, t, 0);
	expect_pins(t->mark.pins + MEM_PAGES + kept_pins);

	/* What the second process wrote, the device copies */
	EXPECT_EQ(0xc4, t->watch[4 * PG + XFER_OFF]);
	edu_copy(_metadata, t, 4, 12, "updated");

	/* It goes: the mapping stays (the container is ours too) */
	ASSERT_EQ(1, write(t->sock, "x", 1));
	ASSERT_EQ(t->child, waitpid(t->child, &status, 0));
	t->child = -1;
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	edu_copy(_metadata, t, 3, 11, "its process gone");
	expect_pins(t->mark.pins + MEM_PAGES + kept_pins);
	vfio_unmap(t->fd, IOVA_M, MEM_PAGES * PG);
	expect_pins(t->mark.pins + kept_pins);
	EXPECT_EQ(base + kept_kb, vmlck_kb());
	if (shared)
		vfio_unmap(t->fd2, IOVA_M, MEM_PAGES * PG);
	expect_pins(t->mark.pins);
	EXPECT_EQ(base, vmlck_kb());
}

TEST_F_TIMEOUT(vaddr, update_from_another_process, 180)
{
	update_from_another_process(_metadata, &self->t, false);
}

/* vfio-mdom's account holds the pins for two containers (not type1's) */
TEST_F_TIMEOUT(vaddr, update_shared_with_another_container, 180)
{
	if (!self->t.mdom)
		SKIP(return, "vfio-mdom's account: not type1's");
	if (!mock_loaded())
		SKIP(return, "the mock IOMMU (vfio_mdom_mock_iommu) is not loaded");
	update_from_another_process(_metadata, &self->t, true);
}

/*
 * The same process gives a new address of the same memory: the charge
 * stays where it is; DMA goes on; misuse is refused as by type1.
 */
TEST_F_TIMEOUT(vaddr, update_in_place, 180)
{
	struct vctx *t = &self->t;
	long base = vmlck_kb(), mem_kb = MEM_PAGES * PG / 1024;
	uint64_t unmapped;

	vfio_map(t->fd, IOVA_M, MEM_PAGES * PG, t->view);
	memset(t->watch, 0x5c, PG);
	ASSERT_EQ(0, _vfio_unmap(t->fd, IOVA_M, MEM_PAGES * PG,
				 VFIO_DMA_UNMAP_FLAG_VADDR, &unmapped));
	/* Already invalid; a part of it; the wrong size back */
	vfio_unmap_err(EINVAL, t->fd, IOVA_M, MEM_PAGES * PG,
		       VFIO_DMA_UNMAP_FLAG_VADDR);
	vfio_map_err(EINVAL, t->fd, IOVA_M, PG, t->watch,
		     VFIO_DMA_MAP_FLAG_VADDR);
	vfio_map_err(ENOENT, t->fd, 2 * IOVA_M, MEM_PAGES * PG, t->watch,
		     VFIO_DMA_MAP_FLAG_VADDR);
	vfio_map_err(EINVAL, t->fd, IOVA_M, MEM_PAGES * PG, t->watch,
		     VFIO_DMA_MAP_FLAG_VADDR | VFIO_DMA_MAP_FLAG_READ);
	expect_invalid(_metadata, t, 1);
	edu_copy(_metadata, t, 0, 6, "invalidated");

	ASSERT_EQ(0, _vfio_map(t->fd, IOVA_M, MEM_PAGES * PG, t->watch,
			       VFIO_DMA_MAP_FLAG_VADDR));
	expect_invalid(_metadata, t, 0);
	vfio_map_err(EINVAL, t->fd, IOVA_M, MEM_PAGES * PG, t->watch,
		     VFIO_DMA_MAP_FLAG_VADDR);
	EXPECT_EQ(base + mem_kb, vmlck_kb());
	edu_copy(_metadata, t, 0, 7, "updated");
	vfio_unmap(t->fd, IOVA_M, MEM_PAGES * PG);
	EXPECT_EQ(base, vmlck_kb());
}

TEST_HARNESS_MAIN
