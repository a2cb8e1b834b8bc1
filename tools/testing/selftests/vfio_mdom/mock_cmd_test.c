// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom selftest: the mock IOMMU's typed test interface
 * (drivers/mock_iommu/mock_iommu_test.h, tools/lib/mock_cmd.c). Every
 * command, its argument checks, and its counters and knobs against the
 * debugfs text files that show the same state, after map/unmap traffic
 * through a container on a mock group and DMA by the mock device.
 *
 * The counters and knobs are iterated from the shared header, so one added
 * there is compared here with no edit (a knob without a line in
 * knob_cases fails).
 *
 * Needs vfio_mdom_mock_iommu.ko loaded (make check loads it); skips
 * otherwise.
 */
#include <libvfio_mdom/mock_cmd.h>

#include "mdom_test.h"

#define MAP_IOVA	SZ_1M
#define MAP_SIZE	SZ_64K
/* Inside the aperture of every instance, never mapped here */
#define HOLE_IOVA	(64 * SZ_1M)
/* Above every instance and emulated device number the mock takes */
#define MAX_INDEX	8

/*
 * The debugfs text counters of @inst (or all for a negative @inst), into
 * @v by the header's index: every line must name a counter of the header,
 * and each counter must have its line. 0 or -errno.
 */
static int text_counters(int inst, uint64_t v[MOCK_IOMMU_NR_COUNTERS])
{
	bool seen[MOCK_IOMMU_NR_COUNTERS] = {};
	char path[128], text[4096], name[64], *line, *next;
	long long val;
	unsigned int i;
	ssize_t len;
	int id;

	if (inst < 0)
		snprintf(path, sizeof(path), MOCK_DEBUGFS "/counters");
	else
		snprintf(path, sizeof(path), MOCK_DEBUGFS "/inst%d/counters",
			 inst);
	len = read_file(path, text, sizeof(text));
	if (len < 0)
		return len;
	for (line = text; *line; line = next) {
		next = next_line(line);
		if (sscanf(line, "%63s %lld", name, &val) != 2)
			return -EPROTO;
		id = mock_cmd_counter_id(name);
		if (id < 0 || seen[id])
			return -EPROTO;
		seen[id] = true;
		v[id] = val;
	}
	for (i = 0; i < MOCK_IOMMU_NR_COUNTERS; i++)
		if (!seen[i])
			return -EPROTO;
	return 0;
}

/* Typed and text counters of @inst agree, counter by counter */
static void check_counters_agree(struct __test_metadata *_metadata, int fd,
				 int inst)
{
	uint64_t text[MOCK_IOMMU_NR_COUNTERS];
	struct mock_iommu_counters c;
	unsigned int id;

	ASSERT_EQ(0, mock_cmd_get_counters(fd, inst, &c));
	ASSERT_EQ(0, text_counters(inst, text));
	for (id = 0; id < MOCK_IOMMU_NR_COUNTERS; id++) {
		EXPECT_EQ(text[id], mock_cmd_counter(&c, id))
			TH_LOG("instance %d: %s", inst,
			       mock_cmd_counter_name(id));
	}
}

/* What counters_walk() saw of every counter */
struct walk {
	unsigned int seen;
	int first_error;
};

/* Each counter once, in order, by its own name; the first error set */
static int counters_walk(unsigned int id, const char *name,
			 enum mock_iommu_counter_kind kind, uint64_t value,
			 void *arg)
{
	struct walk *w = arg;

	if (id != w->seen || mock_cmd_counter_id(name) != (int)id ||
	    mock_cmd_counter_kind(id) != (int)kind)
		return -EPROTO;
	w->seen++;
	if (kind == MOCK_IOMMU_COUNTER_ERROR && value && w->first_error < 0)
		w->first_error = id;
	return 0;
}

/* The instances the mock has: probe the knobs' index */
static int nr_instances(int fd)
{
	int n = 0;

	while (!mock_cmd_get_knob(fd, MOCK_IOMMU_KNOB_FAIL_MAP, n, NULL, NULL))
		n++;
	return n;
}

/* A container on a mock device's group, and the memory it maps */
struct traffic {
	int container;
	int group_fd;
	void *mem;
};

FIXTURE(cmd)
{
	int fd;
	int ninst;
	struct mock_dev dev;
	struct traffic t;
	struct mock_iommu_counters before;
};

FIXTURE_SETUP(cmd)
{
	self->fd = -1;
	self->t.container = -1;
	self->t.group_fd = -1;
	self->t.mem = MAP_FAILED;
	if (!mock_loaded())
		SKIP(return, "mock IOMMU not loaded");
	self->fd = mock_cmd_open();
	ASSERT_LE(0, self->fd) TH_LOG("%s: %s", MOCK_IOMMU_CMD_PATH,
				      strerror(-self->fd));
	self->ninst = nr_instances(self->fd);
	ASSERT_LE(1, self->ninst);
	ASSERT_EQ(0, mock_find_dev(0, 0, &self->dev));
	ASSERT_EQ(0, mock_cmd_reset_counters(self->fd,
					     MOCK_IOMMU_ALL_INSTANCES));
	ASSERT_EQ(0, mock_cmd_get_counters(self->fd, MOCK_IOMMU_ALL_INSTANCES,
					   &self->before));
}

/* Every knob back to its default on every instance and emulated device */
static void knobs_clear(int fd)
{
	unsigned int knob, index;

	for (knob = 0; knob < MOCK_IOMMU_NR_KNOBS; knob++)
		for (index = 0; index < MAX_INDEX; index++)
			mock_cmd_set_knob(fd, knob, index, 0, 0);
}

FIXTURE_TEARDOWN(cmd)
{
	if (self->t.group_fd >= 0)
		close(self->t.group_fd);
	if (self->t.container >= 0)
		close(self->t.container);
	if (self->t.mem != MAP_FAILED)
		munmap(self->t.mem, MAP_SIZE);
	if (self->fd >= 0) {
		knobs_clear(self->fd);
		close(self->fd);
	}
}

/* A container on group @group, mapping MAP_SIZE at MAP_IOVA */
static void map_traffic(struct __test_metadata *_metadata, struct traffic *t,
			int group)
{
	t->container = vfio_open_container();
	ASSERT_LE(0, t->container);
	t->group_fd = vfio_open_group(group);
	ASSERT_LE(0, t->group_fd);
	ASSERT_EQ(0, vfio_attach(t->container, t->group_fd, true,
				 VFIO_TYPE1v2_IOMMU));
	if (t->mem == MAP_FAILED)
		t->mem = mmap(NULL, MAP_SIZE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1,
			      0);
	ASSERT_NE(MAP_FAILED, t->mem);
	vfio_map(t->container, MAP_IOVA, MAP_SIZE, t->mem);
}

/* Unmapped, and the container and group closed */
static void unmap_traffic(struct __test_metadata *_metadata,
			  struct traffic *t)
{
	uint64_t unmapped;

	ASSERT_EQ(0, _vfio_unmap(t->container, MAP_IOVA, MAP_SIZE, 0,
				 &unmapped));
	EXPECT_EQ(MAP_SIZE, unmapped);
	close(t->group_fd);
	t->group_fd = -1;
	close(t->container);
	t->container = -1;
}

/* Mapped, DMAed, faulted, unmapped: the typed counters say what the text says */
TEST_F(cmd, counters_agree_with_debugfs)
{
	struct walk walk = { .first_error = -1 };
	struct mock_iommu_counters c, zero = {};
	char buf[256];
	int i;

	map_traffic(_metadata, &self->t, self->dev.group);
	memset(buf, 0x5a, sizeof(buf));
	ASSERT_EQ(0, mock_dma_write(self->dev.name, MAP_IOVA + 100, buf,
				    sizeof(buf)));
	EXPECT_EQ(0, memcmp((char *)self->t.mem + 100, buf, sizeof(buf)));
	ASSERT_EQ(-EIO, mock_dma_read(self->dev.name, HOLE_IOVA, buf,
				      sizeof(buf)));

	ASSERT_EQ(0, mock_cmd_get_counters(self->fd, 0, &c));
	EXPECT_LE(1, c.maps);
	EXPECT_LE(1, c.domain_allocs);
	EXPECT_EQ(1, c.dma_faults);
	EXPECT_LE(MAP_SIZE / SZ_4K, c.translations_live);
	check_counters_agree(_metadata, self->fd, MOCK_IOMMU_ALL_INSTANCES);
	for (i = 0; i < self->ninst; i++)
		check_counters_agree(_metadata, self->fd, i);

	unmap_traffic(_metadata, &self->t);
	ASSERT_EQ(0, mock_cmd_get_counters(self->fd, 0, &c));
	EXPECT_LE(1, c.unmaps);
	check_counters_agree(_metadata, self->fd, MOCK_IOMMU_ALL_INSTANCES);
	for (i = 0; i < self->ninst; i++)
		check_counters_agree(_metadata, self->fd, i);

	/* Nothing went wrong, and the gauges are back */
	ASSERT_EQ(0, mock_cmd_get_counters(self->fd, MOCK_IOMMU_ALL_INSTANCES,
					   &c));
	i = mock_cmd_counters_differ(&zero, &c, MOCK_CMD_ERRORS);
	EXPECT_EQ(-1, i) TH_LOG("%s is %llu", mock_cmd_counter_name(i),
				(unsigned long long)mock_cmd_counter(&c, i));
	i = mock_cmd_counters_differ(&self->before, &c, MOCK_CMD_GAUGES);
	EXPECT_EQ(-1, i) TH_LOG("%s moved", mock_cmd_counter_name(i));
	EXPECT_EQ(0, mock_cmd_counters_each(&c, counters_walk, &walk));
	EXPECT_EQ(MOCK_IOMMU_NR_COUNTERS, walk.seen);
	EXPECT_EQ(-1, walk.first_error);
}

/* Reset zeroes errors and events of one instance or all, never gauges */
TEST_F(cmd, reset_counters)
{
	struct mock_iommu_counters c, zero = {};
	char buf[64];
	int i;

	map_traffic(_metadata, &self->t, self->dev.group);
	ASSERT_EQ(-EIO, mock_dma_read(self->dev.name, HOLE_IOVA, buf,
				      sizeof(buf)));
	ASSERT_EQ(0, mock_cmd_get_counters(self->fd, 0, &c));
	ASSERT_LE(1, c.maps);

	/* Another instance's reset leaves instance 0 alone */
	if (self->ninst > 1) {
		ASSERT_EQ(0, mock_cmd_reset_counters(self->fd, 1));
		ASSERT_EQ(0, mock_cmd_get_counters(self->fd, 0, &c));
		EXPECT_LE(1, c.maps);
	}
	ASSERT_EQ(0, mock_cmd_reset_counters(self->fd, 0));
	ASSERT_EQ(0, mock_cmd_get_counters(self->fd, 0, &c));
	i = mock_cmd_counters_differ(&zero, &c, MOCK_CMD_ERRORS | MOCK_CMD_EVENTS);
	EXPECT_EQ(-1, i) TH_LOG("%s not reset", mock_cmd_counter_name(i));
	EXPECT_LE(MAP_SIZE / SZ_4K, c.translations_live);
	EXPECT_LE(1, c.domains_live);
	/* The device's last fault is forgotten with it */
	ASSERT_EQ(0, mock_last_fault(self->dev.name, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "reason none")) TH_LOG("%s", buf);

	unmap_traffic(_metadata, &self->t);
	ASSERT_EQ(0, mock_cmd_reset_counters(self->fd,
					     MOCK_IOMMU_ALL_INSTANCES));
	ASSERT_EQ(0, mock_cmd_get_counters(self->fd, MOCK_IOMMU_ALL_INSTANCES,
					   &c));
	i = mock_cmd_counters_differ(&zero, &c, MOCK_CMD_ERRORS | MOCK_CMD_EVENTS);
	EXPECT_EQ(-1, i) TH_LOG("%s not reset", mock_cmd_counter_name(i));
	i = mock_cmd_counters_differ(&self->before, &c, MOCK_CMD_GAUGES);
	EXPECT_EQ(-1, i) TH_LOG("%s moved", mock_cmd_counter_name(i));

	/* Writing the text file is the same reset */
	map_traffic(_metadata, &self->t, self->dev.group);
	unmap_traffic(_metadata, &self->t);
	ASSERT_EQ(0, write_file(MOCK_DEBUGFS "/counters", "0"));
	ASSERT_EQ(0, mock_cmd_get_counters(self->fd, MOCK_IOMMU_ALL_INSTANCES,
					   &c));
	EXPECT_EQ(-1, mock_cmd_counters_differ(&zero, &c,
					       MOCK_CMD_ERRORS | MOCK_CMD_EVENTS));

	EXPECT_EQ(-EINVAL, mock_cmd_reset_counters(self->fd, self->ninst));
	EXPECT_EQ(-EINVAL, mock_cmd_reset_counters(self->fd, -2));
	EXPECT_EQ(-EINVAL, mock_cmd_get_counters(self->fd, self->ninst, &c));
}

/*
 * Per knob: a value set through the command, what the debugfs file then
 * reads, and what it reads once cancelled. Every knob of the header must
 * have a line.
 */
static const struct {
	const char *name;
	int64_t value, arg;
	const char *text, *cleared;
} knob_cases[] = {
	{ "fail_map", 3, -ENOMEM, "3 -12", "0 0" },
	{ "fail_domain_alloc", -ENOSPC, 0, "-28", "0" },
	{ "fail_attach", -EBUSY, 0, "-16", "0" },
	{ "fail_enforce_cc", 1, 0, "1", "0" },
	{ "hold_unmap", 1, 0, "1", "0" },
	{ "unmap_delay_us", 250, 0, "250", "0" },
	{ "keep_on_unmap", 1, 0, "Y", "N" },
};

static void knob_path(char *path, size_t size, unsigned int knob,
		      unsigned int index)
{
	if (mock_cmd_knob_scope(knob) == MOCK_IOMMU_KNOB_EMU)
		snprintf(path, size, MOCK_DEBUGFS "/emulated/emu%u/%s", index,
			 mock_cmd_knob_name(knob));
	else
		snprintf(path, size, MOCK_DEBUGFS "/inst%u/%s", index,
			 mock_cmd_knob_name(knob));
}

/* Every knob, set and cancelled by command, reads the same in debugfs */
TEST_F(cmd, knobs_agree_with_debugfs)
{
	unsigned int knob, k, index, last;
	char path[160], text[64];
	int64_t value, arg;

	for (knob = 0; knob < MOCK_IOMMU_NR_KNOBS; knob++) {
		for (k = 0; k < ARRAY_SIZE(knob_cases); k++)
			if (!strcmp(knob_cases[k].name,
				    mock_cmd_knob_name(knob)))
				break;
		ASSERT_GT(ARRAY_SIZE(knob_cases), k)
			TH_LOG("knob %s has no case", mock_cmd_knob_name(knob));
		ASSERT_EQ(knob, mock_cmd_knob_id(knob_cases[k].name));

		/* The first and the last instance, or emulated device 0 */
		last = mock_cmd_knob_scope(knob) == MOCK_IOMMU_KNOB_EMU ?
		       0 : self->ninst - 1;
		for (index = 0; index <= last; index += last ?: 1) {
			knob_path(path, sizeof(path), knob, index);
			if (access(path, F_OK))
				SKIP(return, "no %s", path);
			ASSERT_EQ(0, mock_cmd_set_knob(self->fd, knob, index,
						       knob_cases[k].value,
						       knob_cases[k].arg));
			ASSERT_EQ(0, mock_cmd_get_knob(self->fd, knob, index,
						       &value, &arg));
			EXPECT_EQ(knob_cases[k].value, value);
			EXPECT_EQ(knob_cases[k].arg, arg);
			ASSERT_EQ(0, read_line(path, text, sizeof(text)));
			EXPECT_STREQ(knob_cases[k].text, text)
				TH_LOG("%s", path);

			ASSERT_EQ(0, mock_cmd_set_knob(self->fd, knob, index,
						       0, 0));
			ASSERT_EQ(0, read_line(path, text, sizeof(text)));
			EXPECT_STREQ(knob_cases[k].cleared, text)
				TH_LOG("%s", path);
			ASSERT_EQ(0, mock_cmd_get_knob(self->fd, knob, index,
						       &value, &arg));
			EXPECT_EQ(0, value);
			EXPECT_EQ(0, arg);

			/* And the other way: the text file, read typed */
			ASSERT_EQ(0, write_file(path, knob_cases[k].text));
			ASSERT_EQ(0, mock_cmd_get_knob(self->fd, knob, index,
						       &value, &arg));
			EXPECT_EQ(knob_cases[k].value, value);
			EXPECT_EQ(knob_cases[k].arg, arg);
			ASSERT_EQ(0, mock_cmd_set_knob(self->fd, knob, index,
						       0, 0));
		}
	}
}

/* The typed helpers set what they say; an armed injection fires once */
TEST_F(cmd, typed_knobs)
{
	struct traffic *t = &self->t;
	struct mock_iommu_counters c;
	int64_t value, arg;

	ASSERT_EQ(0, mock_cmd_fail_domain_alloc(self->fd, 0, -ENOSPC));
	ASSERT_EQ(0, mock_cmd_get_knob(self->fd,
				       MOCK_IOMMU_KNOB_FAIL_DOMAIN_ALLOC, 0,
				       &value, NULL));
	EXPECT_EQ(-ENOSPC, value);
	ASSERT_EQ(0, mock_cmd_fail_domain_alloc(self->fd, 0, 0));
	ASSERT_EQ(0, mock_cmd_fail_attach(self->fd, 0, -EIO));
	ASSERT_EQ(0, mock_cmd_get_knob(self->fd, MOCK_IOMMU_KNOB_FAIL_ATTACH,
				       0, &value, NULL));
	EXPECT_EQ(-EIO, value);
	ASSERT_EQ(0, mock_cmd_fail_attach(self->fd, 0, 0));
	ASSERT_EQ(0, mock_cmd_fail_enforce_cc(self->fd, 0, true));
	ASSERT_EQ(0, mock_cmd_get_knob(self->fd,
				       MOCK_IOMMU_KNOB_FAIL_ENFORCE_CC, 0,
				       &value, NULL));
	EXPECT_EQ(1, value);
	ASSERT_EQ(0, mock_cmd_fail_enforce_cc(self->fd, 0, false));
	ASSERT_EQ(0, mock_cmd_hold_unmap(self->fd, 0, true));
	EXPECT_EQ(1, mock_cmd_hold_unmap_state(self->fd, 0));
	ASSERT_EQ(0, mock_cmd_hold_unmap(self->fd, 0, false));
	EXPECT_EQ(0, mock_cmd_hold_unmap_state(self->fd, 0));
	ASSERT_EQ(0, mock_cmd_unmap_delay(self->fd, 0, 10));
	ASSERT_EQ(0, mock_cmd_get_knob(self->fd,
				       MOCK_IOMMU_KNOB_UNMAP_DELAY_US, 0,
				       &value, NULL));
	EXPECT_EQ(10, value);
	ASSERT_EQ(0, mock_cmd_unmap_delay(self->fd, 0, 0));
	if (!mock_cmd_keep_on_unmap(self->fd, 0, true)) {
		ASSERT_EQ(0, mock_cmd_get_knob(self->fd,
					       MOCK_IOMMU_KNOB_KEEP_ON_UNMAP, 0,
					       &value, NULL));
		EXPECT_EQ(1, value);
		ASSERT_EQ(0, mock_cmd_keep_on_unmap(self->fd, 0, false));
	}

	/* The first map into the container's domain fails, once */
	t->container = vfio_open_container();
	ASSERT_LE(0, t->container);
	t->group_fd = vfio_open_group(self->dev.group);
	ASSERT_LE(0, t->group_fd);
	ASSERT_EQ(0, vfio_attach(t->container, t->group_fd, true,
				 VFIO_TYPE1v2_IOMMU));
	t->mem = mmap(NULL, MAP_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, t->mem);
	ASSERT_EQ(0, mock_cmd_fail_nth_map(self->fd, self->dev.inst, 1,
					   -ENOMEM));
	EXPECT_NE(0, _vfio_map(t->container, MAP_IOVA, MAP_SIZE, t->mem,
			       VFIO_RW));
	ASSERT_EQ(0, mock_cmd_get_knob(self->fd, MOCK_IOMMU_KNOB_FAIL_MAP,
				       self->dev.inst, &value, &arg));
	EXPECT_EQ(0, value);
	EXPECT_EQ(0, arg);
	ASSERT_EQ(0, mock_cmd_get_counters(self->fd, self->dev.inst, &c));
	EXPECT_EQ(1, c.injected_failures);
	vfio_map(t->container, MAP_IOVA, MAP_SIZE, t->mem);
	unmap_traffic(_metadata, &self->t);
}

/* The ioctls' argument checks, on raw structs */
TEST_F(cmd, bad_args)
{
	struct {
		struct mock_iommu_get_counters cmd;
		uint64_t trailing;
	} big = {};
	uint64_t v[MOCK_IOMMU_NR_COUNTERS];
	struct mock_iommu_get_counters get = {
		.size = sizeof(get),
		.inst = MOCK_IOMMU_ALL_INSTANCES,
		.nr_counters = MOCK_IOMMU_NR_COUNTERS,
		.counters_uptr = (uintptr_t)v,
	};
	struct mock_iommu_reset_counters reset = {
		.size = sizeof(reset),
		.inst = MOCK_IOMMU_ALL_INSTANCES,
	};
	struct mock_iommu_knob knob = {
		.size = sizeof(knob),
		.knob = MOCK_IOMMU_KNOB_UNMAP_DELAY_US,
	};
	int fd = self->fd;

	ASSERT_EQ(0, ioctl(fd, MOCK_IOMMU_GET_COUNTERS, &get));
	EXPECT_EQ(MOCK_IOMMU_NR_COUNTERS, get.nr_counters);

	/* Size: short is EINVAL, long is E2BIG unless the tail is zero */
	get.size = offsetof(struct mock_iommu_get_counters, counters_uptr);
	EXPECT_EQ(-1, ioctl(fd, MOCK_IOMMU_GET_COUNTERS, &get));
	EXPECT_EQ(EINVAL, errno);
	get.size = 0;
	EXPECT_EQ(-1, ioctl(fd, MOCK_IOMMU_GET_COUNTERS, &get));
	EXPECT_EQ(EINVAL, errno);
	big.cmd = get;
	big.cmd.size = sizeof(big);
	big.trailing = 1;
	EXPECT_EQ(-1, ioctl(fd, MOCK_IOMMU_GET_COUNTERS, &big));
	EXPECT_EQ(E2BIG, errno);
	big.trailing = 0;
	EXPECT_EQ(0, ioctl(fd, MOCK_IOMMU_GET_COUNTERS, &big));
	EXPECT_EQ(sizeof(big), big.cmd.size);
	get.size = sizeof(get);

	/* Fewer counters than the mock has: that many, and the count */
	memset(v, 0xff, sizeof(v));
	get.nr_counters = 2;
	ASSERT_EQ(0, ioctl(fd, MOCK_IOMMU_GET_COUNTERS, &get));
	EXPECT_EQ(MOCK_IOMMU_NR_COUNTERS, get.nr_counters);
	EXPECT_NE(UINT64_MAX, v[1]);
	EXPECT_EQ(UINT64_MAX, v[2]);

	/* Flags, reserved fields, instances, addresses */
	get.flags = 1;
	EXPECT_EQ(-1, ioctl(fd, MOCK_IOMMU_GET_COUNTERS, &get));
	EXPECT_EQ(EINVAL, errno);
	get.flags = 0;
	get.inst = self->ninst;
	EXPECT_EQ(-1, ioctl(fd, MOCK_IOMMU_GET_COUNTERS, &get));
	EXPECT_EQ(EINVAL, errno);
	get.inst = MOCK_IOMMU_ALL_INSTANCES;
	get.counters_uptr = 8;
	EXPECT_EQ(-1, ioctl(fd, MOCK_IOMMU_GET_COUNTERS, &get));
	EXPECT_EQ(EFAULT, errno);
	reset.__reserved = 1;
	EXPECT_EQ(-1, ioctl(fd, MOCK_IOMMU_RESET_COUNTERS, &reset));
	EXPECT_EQ(EINVAL, errno);
	reset.__reserved = 0;
	EXPECT_EQ(0, ioctl(fd, MOCK_IOMMU_RESET_COUNTERS, &reset));
	EXPECT_EQ(-1, ioctl(fd, MOCK_IOMMU_RESET_COUNTERS, NULL));
	EXPECT_EQ(EFAULT, errno);

	/* Unknown commands */
	EXPECT_EQ(-1, ioctl(fd, _IO(MOCK_IOMMU_TYPE, MOCK_IOMMU_BASE + 4),
			    &get));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(fd, _IO(MOCK_IOMMU_TYPE, MOCK_IOMMU_BASE - 1),
			    &get));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(fd, _IOWR(MOCK_IOMMU_TYPE, MOCK_IOMMU_BASE,
				      struct mock_iommu_get_counters), &get));
	EXPECT_EQ(ENOTTY, errno);

	/* Knobs: unknown, out of range, on no instance */
	knob.value = 100001;
	EXPECT_EQ(-1, ioctl(fd, MOCK_IOMMU_SET_KNOB, &knob));
	EXPECT_EQ(EINVAL, errno);
	knob.value = 1;
	knob.arg = 1;
	EXPECT_EQ(-1, ioctl(fd, MOCK_IOMMU_SET_KNOB, &knob));
	EXPECT_EQ(EINVAL, errno);
	knob.arg = 0;
	knob.index = self->ninst;
	EXPECT_EQ(-1, ioctl(fd, MOCK_IOMMU_SET_KNOB, &knob));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(fd, MOCK_IOMMU_GET_KNOB, &knob));
	EXPECT_EQ(EINVAL, errno);
	knob.index = 0;
	knob.flags = 1;
	EXPECT_EQ(-1, ioctl(fd, MOCK_IOMMU_SET_KNOB, &knob));
	EXPECT_EQ(EINVAL, errno);
	knob.flags = 0;
	knob.knob = MOCK_IOMMU_NR_KNOBS;
	EXPECT_EQ(-1, ioctl(fd, MOCK_IOMMU_SET_KNOB, &knob));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, ioctl(fd, MOCK_IOMMU_GET_KNOB, &knob));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-EINVAL, mock_cmd_fail_nth_map(fd, 0, 1, 0));
	EXPECT_EQ(-EINVAL, mock_cmd_fail_nth_map(fd, 0, 0, -EIO));
	EXPECT_EQ(-EINVAL, mock_cmd_fail_nth_map(fd, 0, 1, EIO));
	EXPECT_EQ(-EINVAL, mock_cmd_fail_attach(fd, 0, EIO));
	EXPECT_EQ(-EINVAL, mock_cmd_set_knob(fd, MOCK_IOMMU_KNOB_HOLD_UNMAP, 0,
					     2, 0));
	EXPECT_EQ(-EINVAL, mock_cmd_keep_on_unmap(fd, 99, true));

	/* Nothing of that changed a knob */
	EXPECT_EQ(0, mock_cmd_hold_unmap_state(fd, 0));
}

/* The names of the library are the header's, each once */
TEST(names)
{
	unsigned int id, knob;

	for (id = 0; id < MOCK_IOMMU_NR_COUNTERS; id++) {
		ASSERT_NE(NULL, mock_cmd_counter_name(id));
		EXPECT_EQ((int)id,
			  mock_cmd_counter_id(mock_cmd_counter_name(id)));
		EXPECT_LE(0, mock_cmd_counter_kind(id));
	}
	EXPECT_EQ(NULL, mock_cmd_counter_name(MOCK_IOMMU_NR_COUNTERS));
	EXPECT_EQ(-ENOENT, mock_cmd_counter_id("no_such_counter"));
	EXPECT_EQ(MOCK_IOMMU_CNT_MAPS, mock_cmd_counter_id("maps"));
	for (knob = 0; knob < MOCK_IOMMU_NR_KNOBS; knob++)
		EXPECT_EQ((int)knob,
			  mock_cmd_knob_id(mock_cmd_knob_name(knob)));
	EXPECT_EQ(-ENOENT, mock_cmd_knob_id("no_such_knob"));
}

TEST_HARNESS_MAIN
