// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom selftest: a container's mappings through the life of the
 * processes that hold it (fork, a container fd passed to another process,
 * exec). Every container is a VFIO container (/dev/vfio/vfio) with the
 * group of mock IOMMU device 0.0, VFIO_SET_IOMMU(VFIO_TYPE1v2_IOMMU); the
 * device's view is what it reads and writes through its mock domain.
 *
 *   fork_after_map       a process maps its buffer and forks: the child
 *                        gets copies of the pinned pages at fork (none of
 *                        them shares a page with the parent), its writes
 *                        never reach the device; the parent's writes do,
 *                        and the device's reach the parent. Nothing more
 *                        is pinned or charged because of the fork.
 *   scm_rights_map_by_other_process
 *                        a process that got the container fd over a unix
 *                        socket (SCM_RIGHTS) maps its own memory: its
 *                        locked_vm grows by the mapping, the owner's does
 *                        not; VFIO_MDOM_QUERY and debugfs count the
 *                        mapping; its unmap gives its charge back.
 *   scm_rights_mapper_exits
 *                        the same process exits with its mapping live: the
 *                        pages stay pinned and readable by the device; the
 *                        owner's unmap releases them without charging or
 *                        uncharging the owner, and without a kernel
 *                        warning.
 *   exec_with_live_maps  a process maps and execs with its container and
 *                        group fds kept open (FD_CLOEXEC cleared): the
 *                        mapping lives on, the new program's mm is charged
 *                        nothing; when that program exits, everything goes
 *                        and the group is free for another container.
 *
 * Exit with live maps is container_test's exit_releases_everything. Every
 * test ends (teardown) checking that nothing stays pinned or charged, that
 * the mock's error counters did not move and that no mock domain or
 * translation outlives the containers.
 *
 * Needs vfio_mdom.ko and the mock IOMMU.
 */
#include <signal.h>
#include <sys/wait.h>

#include "mdom_test.h"

#define BUF_PAGES	32
#define FORK_PAGES	16
#define CHILD_PAGES	24
#define EXEC_PAGES	32
#define IOVA_A		SZ_1M
#define IOVA_B		SZ_2M

/* Seeds of the patterns the processes and the device write */
#define SEED_PARENT	0x11
#define SEED_CHILD	0x5a
#define SEED_AFTER	0xa3
#define SEED_DEVICE	0xe7

struct lctx {
	bool ready;
	int fd;			/* the container */
	int gfd;		/* mock device 0.0's group */
	struct mock_dev dev;
	uint8_t *buf;		/* BUF_PAGES pages, this process's */
	size_t pg;
	pid_t child;		/* killed and reaped at teardown */
	int kmsg;
	struct leak_mark mark;
};

FIXTURE(lifecycle)
{
	struct lctx t;
};

FIXTURE_SETUP(lifecycle)
{
	struct lctx *t = &self->t;

	t->pg = page_size();
	t->fd = -1;
	t->gfd = -1;
	t->child = -1;
	t->kmsg = -1;
	t->buf = MAP_FAILED;
	if (!mdom_loaded())
		SKIP(return, "vfio_mdom.ko is not loaded");
	if (!mock_loaded())
		SKIP(return, "the mock IOMMU (vfio_mdom_mock_iommu) is not loaded");
	ASSERT_EQ(0, mock_find_dev(0, 0, &t->dev));

	t->buf = mmap(NULL, BUF_PAGES * t->pg, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, t->buf);
	/* Small pages of its own: the fork copies them page by page */
	madvise(t->buf, BUF_PAGES * t->pg, MADV_NOHUGEPAGE);
	pattern_fill(t->buf, BUF_PAGES * t->pg, SEED_PARENT);
	t->kmsg = kmsg_open();
	ASSERT_LE(0, t->kmsg);
	leak_mark(&t->mark);
	t->ready = true;
}

FIXTURE_TEARDOWN(lifecycle)
{
	struct lctx *t = &self->t;

	if (t->child > 0) {
		kill(t->child, SIGKILL);
		waitpid(t->child, NULL, 0);
	}
	if (t->gfd >= 0)
		close(t->gfd);
	if (t->fd >= 0)
		close(t->fd);
	if (t->buf != MAP_FAILED)
		munmap(t->buf, BUF_PAGES * t->pg);
	if (t->kmsg >= 0)
		close(t->kmsg);
	if (t->ready)
		expect_no_leak(&t->mark, false);
}

/* This process's container with mock device 0.0's group, on vfio-mdom */
static void open_container(struct __test_metadata *_metadata, struct lctx *t)
{
	t->fd = vfio_open_container();
	ASSERT_LE(0, t->fd);
	t->gfd = vfio_open_group(t->dev.group);
	ASSERT_LE(0, t->gfd) {
		TH_LOG("open /dev/vfio/%d: %s", t->dev.group,
		       strerror(-t->gfd));
	}
	ASSERT_EQ(0, vfio_attach(t->fd, t->gfd, true, VFIO_TYPE1v2_IOMMU));
	expect_backend_mdom(t->fd);
}

/* The device reads @len bytes at @iova: they hold @seed's pattern. */
static void expect_device_sees(struct __test_metadata *_metadata,
			       const struct lctx *t, uint64_t iova,
			       size_t len, uint8_t seed)
{
	uint8_t *view = malloc(len);

	ASSERT_NE(NULL, view);
	EXPECT_EQ(0, mock_dma_read(t->dev.name, iova, view, len));
	EXPECT_EQ(-1, pattern_mismatch(view, len, seed)) {
		TH_LOG("the device reads another pattern at 0x%llx",
		       ULL(iova));
	}
	free(view);
}

/* No kernel warning since the test started */
static void expect_no_warning(struct __test_metadata *_metadata,
			      const struct lctx *t)
{
	static const char * const warn[] = { "WARNING:" };
	char line[512];

	EXPECT_EQ(-ETIMEDOUT, kmsg_wait(t->kmsg, warn, 1, 200, line,
					sizeof(line)))
		TH_LOG("kernel: %s", line);
}

/* ---- fork ------------------------------------------------------------- */

/* What the child of fork_after_map saw */
struct fork_report {
	long vmlck;			/* its VmLck, in KiB */
	int err;			/* pagemap_phys() */
	uint64_t phys[FORK_PAGES];	/* its pages before it wrote */
	long mismatch;			/* its copy, then its own pattern */
};

/*
 * A process maps a buffer and forks; the child writes its copy. The pages
 * the device uses are the parent's: the kernel copies pinned anonymous
 * pages for the child at fork, so neither the child's write nor a COW of
 * the parent's own write takes the device's page away.
 */
TEST_F(lifecycle, fork_after_map)
{
	struct lctx *t = &self->t;
	const size_t len = FORK_PAGES * t->pg;
	uint64_t phys[FORK_PAGES], after[FORK_PAGES];
	long vmlck = vmlck_kb();
	struct fork_report r;
	uint8_t *dev_data;
	int report[2], go[2], status;
	unsigned int i;

	open_container(_metadata, t);
	vfio_map(t->fd, IOVA_A, len, t->buf);
	EXPECT_EQ(vmlck + (long)(len / 1024), vmlck_kb());
	expect_pins(t->mark.pins + FORK_PAGES);
	expect_device_sees(_metadata, t, IOVA_A, len, SEED_PARENT);
	ASSERT_EQ(0, pagemap_phys(t->buf, FORK_PAGES, phys));

	ASSERT_EQ(0, pipe2(report, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	t->child = fork();
	ASSERT_LE(0, t->child);
	if (!t->child) {
		char c;

		close(report[0]);
		close(go[1]);
		memset(&r, 0, sizeof(r));
		r.vmlck = vmlck_kb();
		r.err = pagemap_phys(t->buf, FORK_PAGES, r.phys);
		r.mismatch = pattern_mismatch(t->buf, len, SEED_PARENT);
		if (r.mismatch < 0) {
			pattern_fill(t->buf, len, SEED_CHILD);
			r.mismatch = pattern_mismatch(t->buf, len, SEED_CHILD);
		}
		if (write(report[1], &r, sizeof(r)) != sizeof(r))
			_exit(2);
		/* Alive, with its copy written, until told to go */
		_exit(read(go[0], &c, 1) == 1 ? 0 : 3);
	}
	close(report[1]);
	close(go[0]);
	ASSERT_EQ(sizeof(r), read(report[0], &r, sizeof(r)));
	close(report[0]);

	/* The child's copies: its own pages, with the parent's data */
	ASSERT_EQ(0, r.err);
	EXPECT_EQ(-1, r.mismatch) TH_LOG("the child's copy differs");
	for (i = 0; i < FORK_PAGES; i++) {
		EXPECT_NE(0, r.phys[i]);
		EXPECT_NE(UINT64_MAX, r.phys[i]);
		EXPECT_NE(phys[i], r.phys[i]) {
			TH_LOG("page %u: the child shares pinned page 0x%llx",
			       i, ULL(phys[i]));
		}
	}
	/* Locked memory is not inherited; the fork pinned nothing more */
	EXPECT_EQ(0, r.vmlck);
	EXPECT_EQ(0, vmlck_kb_of(t->child));
	EXPECT_EQ(vmlck + (long)(len / 1024), vmlck_kb());
	expect_pins(t->mark.pins + FORK_PAGES);
	/* The child wrote its copy: neither the device nor we see it */
	expect_device_sees(_metadata, t, IOVA_A, len, SEED_PARENT);
	EXPECT_EQ(-1, pattern_mismatch(t->buf, len, SEED_PARENT));

	ASSERT_EQ(1, write(go[1], "g", 1));
	close(go[1]);
	ASSERT_EQ(t->child, waitpid(t->child, &status, 0));
	t->child = -1;
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	expect_pins(t->mark.pins + FORK_PAGES);
	expect_device_sees(_metadata, t, IOVA_A, len, SEED_PARENT);

	/* The pinned pages are ours: our writes reach the device, ... */
	pattern_fill(t->buf, len, SEED_AFTER);
	ASSERT_EQ(0, pagemap_phys(t->buf, FORK_PAGES, after));
	for (i = 0; i < FORK_PAGES; i++) {
		EXPECT_EQ(phys[i], after[i]) {
			TH_LOG("page %u moved", i);
		}
	}
	expect_device_sees(_metadata, t, IOVA_A, len, SEED_AFTER);
	/* ... and the device's writes reach us */
	dev_data = malloc(len);
	ASSERT_NE(NULL, dev_data);
	pattern_fill(dev_data, len, SEED_DEVICE);
	EXPECT_EQ(0, mock_dma_write(t->dev.name, IOVA_A, dev_data, len));
	free(dev_data);
	EXPECT_EQ(-1, pattern_mismatch(t->buf, len, SEED_DEVICE));
	EXPECT_EQ(vmlck + (long)(len / 1024), vmlck_kb());
	expect_pins(t->mark.pins + FORK_PAGES);

	vfio_unmap(t->fd, IOVA_A, len);
	EXPECT_EQ(vmlck, vmlck_kb());
	expect_pins(t->mark.pins);
}

/* ---- a container fd passed to another process (SCM_RIGHTS) ------------ */

/* What the process given the container fd reports, after each step */
struct scm_report {
	int step;		/* 0, or the step that failed */
	int err;
	long vmlck_before;	/* before its map, in KiB */
	long vmlck;		/* after the step */
	long mismatch;		/* its page 0 against the device's write */
};

/* Commands to that process */
#define SCM_CHECK_UNMAP	'u'	/* check the device's write, unmap */
#define SCM_EXIT	'x'	/* exit, mapped or not */

static void scm_send(int sock, struct scm_report *r)
{
	if (write(sock, r, sizeof(*r)) != sizeof(*r))
		_exit(2);
}

/*
 * The other process: forked before the container exists, so that it has
 * the container only through the socket. It maps CHILD_PAGES pages of its
 * own at IOVA_B, reports, then obeys commands until SCM_EXIT.
 */
static void scm_child(int sock, size_t pg)
{
	const size_t len = CHILD_PAGES * pg;
	struct scm_report r = { 0 };
	uint8_t *mem;
	int fd;
	char c;

	r.step = 1;
	fd = recv_fd(sock);
	if (fd < 0) {
		r.err = fd;
		goto out;
	}
	r.step = 2;
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		r.err = -errno;
		goto out;
	}
	pattern_fill(mem, len, SEED_CHILD);
	r.vmlck_before = vmlck_kb();
	r.step = 3;
	r.err = _vfio_map(fd, IOVA_B, len, mem, VFIO_RW);
	if (r.err)
		goto out;
	r.step = 0;
	r.vmlck = vmlck_kb();
	for (;;) {
		scm_send(sock, &r);
		if (read(sock, &c, 1) != 1)
			_exit(3);
		if (c != SCM_CHECK_UNMAP)
			_exit(0);	/* what is still mapped stays */
		r.mismatch = pattern_mismatch(mem, pg, SEED_DEVICE);
		r.step = 4;
		r.err = _vfio_unmap(fd, IOVA_B, len, 0, NULL);
		if (!r.err)
			r.step = 0;
		r.vmlck = vmlck_kb();
	}
out:
	scm_send(sock, &r);
	_exit(1);
}

/* The reply of the other process: it must have done its step */
static void scm_recv(struct __test_metadata *_metadata, int sock,
		     struct scm_report *r)
{
	ASSERT_EQ(sizeof(*r), read(sock, r, sizeof(*r)));
	ASSERT_EQ(0, r->step) {
		TH_LOG("the other process failed at step %d: %s", r->step,
		       strerror(-r->err));
	}
}

/* Tell the other process to exit (over @sock, closed then) and reap it */
static void scm_child_exit(struct __test_metadata *_metadata, struct lctx *t,
			   int sock)
{
	char c = SCM_EXIT;
	int status;

	ASSERT_EQ(1, write(sock, &c, 1));
	close(sock);
	ASSERT_EQ(t->child, waitpid(t->child, &status, 0));
	t->child = -1;
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
}

/*
 * This process opens the container and maps one page of its own; the
 * other process is given the container fd and maps CHILD_PAGES pages of
 * its own: each mm is charged for what it mapped, the container and the
 * device see both mappings.
 */
static void scm_setup(struct __test_metadata *_metadata, struct lctx *t,
		      int *sock, struct scm_report *r)
{
	const size_t len = CHILD_PAGES * t->pg;
	long vmlck = vmlck_kb();
	struct mdom_dbg_container dbg;
	struct mdom_state st;
	int sv[2];

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	t->child = fork();
	ASSERT_LE(0, t->child);
	if (!t->child) {
		close(sv[0]);
		scm_child(sv[1], t->pg);
	}
	close(sv[1]);
	*sock = sv[0];

	open_container(_metadata, t);
	vfio_map(t->fd, IOVA_A, t->pg, t->buf);
	EXPECT_EQ(vmlck + (long)(t->pg / 1024), vmlck_kb());
	ASSERT_EQ(0, send_fd(*sock, t->fd));
	scm_recv(_metadata, *sock, r);

	/* The mapper's mm is charged, ours is not */
	EXPECT_EQ(r->vmlck_before + (long)(len / 1024), r->vmlck);
	EXPECT_EQ(r->vmlck, vmlck_kb_of(t->child));
	EXPECT_EQ(vmlck + (long)(t->pg / 1024), vmlck_kb());
	expect_pins(t->mark.pins + 1 + CHILD_PAGES);

	/* One container, ours, with both mappings, none of them shared */
	mdom_query(t->fd, &st);
	EXPECT_EQ(2, st.q.num_mappings);
	EXPECT_EQ((1 + CHILD_PAGES) * t->pg, st.q.mapped_bytes);
	EXPECT_EQ(1 + CHILD_PAGES, st.q.pinned_pages);
	EXPECT_EQ(1 + CHILD_PAGES, st.q.locked_pages);
	EXPECT_EQ(0, st.q.shared_pages);
	ASSERT_EQ(1, mdom_dbg_containers(getpid(), &dbg, 1));
	EXPECT_EQ(2, dbg.mappings);
	EXPECT_EQ((1 + CHILD_PAGES) * t->pg, dbg.mapped_bytes);
	EXPECT_EQ(1 + CHILD_PAGES, dbg.pinned_pages);
	EXPECT_EQ(1 + CHILD_PAGES, dbg.locked_pages);
	EXPECT_EQ(0, mdom_dbg_containers(t->child, NULL, 0));

	/* The device reaches both processes' memory */
	expect_device_sees(_metadata, t, IOVA_A, t->pg, SEED_PARENT);
	expect_device_sees(_metadata, t, IOVA_B, len, SEED_CHILD);
}

TEST_F(lifecycle, scm_rights_map_by_other_process)
{
	struct lctx *t = &self->t;
	long vmlck = vmlck_kb();
	struct scm_report r;
	struct mdom_state st;
	uint8_t *dev_data;
	int sock;
	char c;

	scm_setup(_metadata, t, &sock, &r);

	/* The device writes the other process's page; it unmaps */
	dev_data = malloc(t->pg);
	ASSERT_NE(NULL, dev_data);
	pattern_fill(dev_data, t->pg, SEED_DEVICE);
	EXPECT_EQ(0, mock_dma_write(t->dev.name, IOVA_B, dev_data, t->pg));
	free(dev_data);
	c = SCM_CHECK_UNMAP;
	ASSERT_EQ(1, write(sock, &c, 1));
	scm_recv(_metadata, sock, &r);
	EXPECT_EQ(-1, r.mismatch) TH_LOG("the device's write went elsewhere");

	/* Its charge is back, ours untouched, its pages unpinned */
	EXPECT_EQ(r.vmlck_before, r.vmlck);
	EXPECT_EQ(r.vmlck_before, vmlck_kb_of(t->child));
	EXPECT_EQ(vmlck + (long)(t->pg / 1024), vmlck_kb());
	expect_pins(t->mark.pins + 1);
	mdom_query(t->fd, &st);
	EXPECT_EQ(1, st.q.num_mappings);
	EXPECT_EQ(1, st.q.pinned_pages);

	scm_child_exit(_metadata, t, sock);

	vfio_unmap(t->fd, IOVA_A, t->pg);
	EXPECT_EQ(vmlck, vmlck_kb());
	expect_pins(t->mark.pins);
	expect_no_warning(_metadata, t);
}

/*
 * The mapper exits with its mapping live. Its pages stay pinned (the
 * container still maps them) though its mm is gone; this process unmaps
 * them: the system's pins come back, our locked_vm never moves (the charge
 * was the dead mm's).
 */
TEST_F(lifecycle, scm_rights_mapper_exits)
{
	struct lctx *t = &self->t;
	const size_t len = CHILD_PAGES * t->pg;
	long vmlck = vmlck_kb();
	struct mdom_dbg_container dbg;
	struct scm_report r;
	struct mdom_state st;
	int sock;

	scm_setup(_metadata, t, &sock, &r);
	scm_child_exit(_metadata, t, sock);

	/* The mapping outlives its process */
	expect_pins(t->mark.pins + 1 + CHILD_PAGES);
	EXPECT_EQ(vmlck + (long)(t->pg / 1024), vmlck_kb());
	mdom_query(t->fd, &st);
	EXPECT_EQ(2, st.q.num_mappings);
	EXPECT_EQ(1 + CHILD_PAGES, st.q.pinned_pages);
	ASSERT_EQ(1, mdom_dbg_containers(getpid(), &dbg, 1));
	EXPECT_EQ(2, dbg.mappings);
	expect_device_sees(_metadata, t, IOVA_B, len, SEED_CHILD);

	/* We unmap it: its pins go, our charge stays as it was */
	vfio_unmap(t->fd, IOVA_B, len);
	expect_pins(t->mark.pins + 1);
	EXPECT_EQ(vmlck + (long)(t->pg / 1024), vmlck_kb());
	mdom_query(t->fd, &st);
	EXPECT_EQ(1, st.q.num_mappings);
	EXPECT_EQ(1, st.q.pinned_pages);
	EXPECT_EQ(1, st.q.locked_pages);

	vfio_unmap(t->fd, IOVA_A, t->pg);
	EXPECT_EQ(vmlck, vmlck_kb());
	expect_pins(t->mark.pins);
	expect_no_warning(_metadata, t);
}

/* ---- exec --------------------------------------------------------------- */

/* What the child of exec_with_live_maps did before its exec */
struct exec_report {
	int step;		/* 0, or the step that failed */
	int err;
	int fd, gfd;		/* its container and group fds */
};

static void exec_fail(int pipe_fd, struct exec_report *r, int step, int err)
{
	r->step = step;
	r->err = err;
	if (write(pipe_fd, r, sizeof(*r)) != sizeof(*r))
		_exit(2);
	_exit(1);
}

/*
 * The child opens its own container and group, maps EXEC_PAGES pages,
 * keeps both fds across exec and becomes cat(1), which waits on stdin
 * for this process to close the pipe. The report pipe is close-on-exec:
 * its EOF says the exec happened.
 */
static void exec_child(struct lctx *t, int report, int stdin_fd)
{
	struct exec_report r = { 0 };
	int err;

	r.fd = vfio_open_container();
	if (r.fd < 0)
		exec_fail(report, &r, 1, r.fd);
	r.gfd = vfio_open_group(t->dev.group);
	if (r.gfd < 0)
		exec_fail(report, &r, 2, r.gfd);
	err = vfio_attach(r.fd, r.gfd, true, VFIO_TYPE1v2_IOMMU);
	if (err)
		exec_fail(report, &r, 3, err);
	pattern_fill(t->buf, EXEC_PAGES * t->pg, SEED_CHILD);
	err = _vfio_map(r.fd, IOVA_A, EXEC_PAGES * t->pg, t->buf, VFIO_RW);
	if (err)
		exec_fail(report, &r, 4, err);
	if (fcntl(r.fd, F_SETFD, 0) || fcntl(r.gfd, F_SETFD, 0))
		exec_fail(report, &r, 5, -errno);
	if (dup2(stdin_fd, STDIN_FILENO) < 0)
		exec_fail(report, &r, 6, -errno);
	if (write(report, &r, sizeof(r)) != sizeof(r))
		_exit(2);
	execl("/bin/cat", "cat", (char *)NULL);
	exec_fail(report, &r, 7, -errno);
}

TEST_F(lifecycle, exec_with_live_maps)
{
	struct lctx *t = &self->t;
	const size_t len = EXEC_PAGES * t->pg;
	char path[64], name[64], comm[32];
	struct mdom_dbg_container dbg;
	int report[2], in[2], status, gfd;
	struct exec_report r;
	struct mdom_state st;
	uint32_t flags;

	ASSERT_EQ(0, pipe2(report, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(in, O_CLOEXEC));
	t->child = fork();
	ASSERT_LE(0, t->child);
	if (!t->child) {
		close(report[0]);
		close(in[1]);
		exec_child(t, report[1], in[0]);
	}
	close(report[1]);
	close(in[0]);
	ASSERT_EQ(sizeof(r), read(report[0], &r, sizeof(r)));
	ASSERT_EQ(0, r.step) {
		TH_LOG("the child failed at step %d: %s", r.step,
		       strerror(-r.err));
	}
	/* EOF: the child's end went with the exec; a report: exec failed */
	EXPECT_EQ(0, read(report[0], &r, sizeof(r))) {
		TH_LOG("exec failed at step %d: %s", r.step, strerror(-r.err));
	}
	close(report[0]);
	snprintf(path, sizeof(path), "/proc/%d/comm", t->child);
	ASSERT_EQ(0, read_line(path, comm, sizeof(comm)));
	ASSERT_STREQ("cat", comm);

	/* cat holds the container and the group, the mapping lives */
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", t->child, r.fd);
	ASSERT_EQ(0, read_link_name(path, name, sizeof(name)));
	EXPECT_STREQ("vfio", name);
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", t->child, r.gfd);
	ASSERT_EQ(0, read_link_name(path, name, sizeof(name)));
	EXPECT_EQ(t->dev.group, atoi(name));
	EXPECT_EQ(-EBUSY, vfio_open_group(t->dev.group));
	expect_pins(t->mark.pins + EXEC_PAGES);
	ASSERT_EQ(1, mdom_dbg_containers(t->child, &dbg, 1));
	EXPECT_EQ(1, dbg.mappings);
	EXPECT_EQ(len, dbg.mapped_bytes);
	EXPECT_EQ(EXEC_PAGES, dbg.pinned_pages);
	EXPECT_EQ(EXEC_PAGES, dbg.locked_pages);
	ASSERT_EQ(1, dbg.ndomains);
	EXPECT_TRUE(mdom_dbg_domain_has(&dbg.domains[0], t->dev.group));
	/* The pages the old mm pinned: the device still reads them */
	expect_device_sees(_metadata, t, IOVA_A, len, SEED_CHILD);
	/* The charge stayed with the old mm: cat's new mm has none */
	EXPECT_EQ(0, vmlck_kb_of(t->child));
	EXPECT_EQ(t->mark.vmlck, vmlck_kb());

	/* cat exits: its container goes with everything in it */
	close(in[1]);
	ASSERT_EQ(t->child, waitpid(t->child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, mdom_dbg_containers(t->child, NULL, 0));
	t->child = -1;
	expect_pins(t->mark.pins);
	EXPECT_EQ(t->mark.counters.v[MOCK_IOMMU_CNT_DOMAINS_LIVE],
		  mock_counter(MOCK_IOMMU_CNT_DOMAINS_LIVE, -1));
	EXPECT_EQ(t->mark.counters.v[MOCK_IOMMU_CNT_TRANSLATIONS_LIVE],
		  mock_counter(MOCK_IOMMU_CNT_TRANSLATIONS_LIVE, -1));
	EXPECT_EQ(0, mock_dev_domain(0, 0));

	/* The group is free, viable and in no container: ours can have it */
	gfd = vfio_open_group(t->dev.group);
	ASSERT_LE(0, gfd);
	ASSERT_EQ(0, _vfio_group_status(gfd, &flags));
	close(gfd);
	EXPECT_EQ(VFIO_GROUP_FLAGS_VIABLE, flags);
	open_container(_metadata, t);
	mdom_query(t->fd, &st);
	EXPECT_EQ(1, st.q.num_domains);
	EXPECT_EQ(0, st.q.num_mappings);
	EXPECT_NE(0, mock_dev_domain(0, 0));
	expect_no_warning(_metadata, t);
}

TEST_HARNESS_MAIN
