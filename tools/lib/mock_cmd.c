// SPDX-License-Identifier: GPL-2.0
/*
 * libvfio_mdom: the mock IOMMU's typed test interface, the ioctls of
 * drivers/mock_iommu/mock_iommu_test.h. See
 * include/libvfio_mdom/mock_cmd.h.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <libvfio_mdom/mock_cmd.h>

static_assert(MOCK_CMD_ERRORS == 1U << MOCK_IOMMU_COUNTER_ERROR &&
	      MOCK_CMD_EVENTS == 1U << MOCK_IOMMU_COUNTER_EVENT &&
	      MOCK_CMD_GAUGES == 1U << MOCK_IOMMU_COUNTER_GAUGE,
	      "kind masks");

static const struct {
	const char *name;
	enum mock_iommu_counter_kind kind;
	size_t offset;
} mock_cmd_counters[MOCK_IOMMU_NR_COUNTERS] = {
#define MOCK_CMD_COUNTER(ID, _name, _kind)				\
	[MOCK_IOMMU_CNT_##ID] = {					\
		.name = #_name,						\
		.kind = _kind,						\
		.offset = offsetof(struct mock_iommu_counters, _name),	\
	},
	MOCK_IOMMU_COUNTERS(MOCK_CMD_COUNTER)
#undef MOCK_CMD_COUNTER
};

static const struct {
	const char *name;
	enum mock_iommu_knob_scope scope;
} mock_cmd_knobs[MOCK_IOMMU_NR_KNOBS] = {
#define MOCK_CMD_KNOB(ID, _name, _scope)				\
	[MOCK_IOMMU_KNOB_##ID] = { .name = #_name, .scope = _scope },
	MOCK_IOMMU_KNOBS(MOCK_CMD_KNOB)
#undef MOCK_CMD_KNOB
};

int mock_cmd_open(void)
{
	int fd = open(MOCK_IOMMU_CMD_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int mock_cmd_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

int mock_cmd_get_counters(int fd, int inst, struct mock_iommu_counters *out)
{
	struct mock_iommu_get_counters cmd = {
		.size = sizeof(cmd),
		.inst = inst,
		.nr_counters = MOCK_IOMMU_NR_COUNTERS,
		.counters_uptr = (uintptr_t)out,
	};
	int ret;

	memset(out, 0, sizeof(*out));
	ret = mock_cmd_ioctl(fd, MOCK_IOMMU_GET_COUNTERS, &cmd);
	if (ret)
		return ret;
	return cmd.nr_counters == MOCK_IOMMU_NR_COUNTERS ? 0 : -EPROTO;
}

int mock_cmd_reset_counters(int fd, int inst)
{
	struct mock_iommu_reset_counters cmd = {
		.size = sizeof(cmd),
		.inst = inst,
	};

	return mock_cmd_ioctl(fd, MOCK_IOMMU_RESET_COUNTERS, &cmd);
}

int mock_cmd_set_knob(int fd, enum mock_iommu_knob_id knob,
		      unsigned int index, int64_t value, int64_t arg)
{
	struct mock_iommu_knob cmd = {
		.size = sizeof(cmd),
		.knob = knob,
		.index = index,
		.value = value,
		.arg = arg,
	};

	return mock_cmd_ioctl(fd, MOCK_IOMMU_SET_KNOB, &cmd);
}

int mock_cmd_get_knob(int fd, enum mock_iommu_knob_id knob,
		      unsigned int index, int64_t *value, int64_t *arg)
{
	struct mock_iommu_knob cmd = {
		.size = sizeof(cmd),
		.knob = knob,
		.index = index,
	};
	int ret = mock_cmd_ioctl(fd, MOCK_IOMMU_GET_KNOB, &cmd);

	if (ret)
		return ret;
	if (value)
		*value = cmd.value;
	if (arg)
		*arg = cmd.arg;
	return 0;
}

int mock_cmd_fail_nth_map(int fd, unsigned int inst, unsigned int nth,
			  int err)
{
	return mock_cmd_set_knob(fd, MOCK_IOMMU_KNOB_FAIL_MAP, inst, nth, err);
}

int mock_cmd_fail_domain_alloc(int fd, unsigned int inst, int err)
{
	return mock_cmd_set_knob(fd, MOCK_IOMMU_KNOB_FAIL_DOMAIN_ALLOC, inst,
				 err, 0);
}

int mock_cmd_fail_attach(int fd, unsigned int inst, int err)
{
	return mock_cmd_set_knob(fd, MOCK_IOMMU_KNOB_FAIL_ATTACH, inst, err,
				 0);
}

int mock_cmd_fail_enforce_cc(int fd, unsigned int inst, bool fail)
{
	return mock_cmd_set_knob(fd, MOCK_IOMMU_KNOB_FAIL_ENFORCE_CC, inst,
				 fail, 0);
}

int mock_cmd_hold_unmap(int fd, unsigned int inst, bool hold)
{
	return mock_cmd_set_knob(fd, MOCK_IOMMU_KNOB_HOLD_UNMAP, inst, hold, 0);
}

int mock_cmd_hold_unmap_state(int fd, unsigned int inst)
{
	int64_t state;
	int ret;

	ret = mock_cmd_get_knob(fd, MOCK_IOMMU_KNOB_HOLD_UNMAP, inst, &state,
				NULL);
	return ret ? ret : (int)state;
}

int mock_cmd_unmap_delay(int fd, unsigned int inst, unsigned int us)
{
	return mock_cmd_set_knob(fd, MOCK_IOMMU_KNOB_UNMAP_DELAY_US, inst, us,
				 0);
}

int mock_cmd_keep_on_unmap(int fd, unsigned int emu, bool keep)
{
	return mock_cmd_set_knob(fd, MOCK_IOMMU_KNOB_KEEP_ON_UNMAP, emu, keep,
				 0);
}

const char *mock_cmd_counter_name(unsigned int id)
{
	return id < MOCK_IOMMU_NR_COUNTERS ? mock_cmd_counters[id].name : NULL;
}

int mock_cmd_counter_kind(unsigned int id)
{
	return id < MOCK_IOMMU_NR_COUNTERS ? (int)mock_cmd_counters[id].kind :
					     -EINVAL;
}

int mock_cmd_counter_id(const char *name)
{
	unsigned int id;

	for (id = 0; id < MOCK_IOMMU_NR_COUNTERS; id++)
		if (!strcmp(name, mock_cmd_counters[id].name))
			return id;
	return -ENOENT;
}

uint64_t mock_cmd_counter(const struct mock_iommu_counters *c,
			  unsigned int id)
{
	uint64_t v;

	if (id >= MOCK_IOMMU_NR_COUNTERS)
		return 0;
	memcpy(&v, (const char *)c + mock_cmd_counters[id].offset, sizeof(v));
	return v;
}

int mock_cmd_counters_differ(const struct mock_iommu_counters *a,
			     const struct mock_iommu_counters *b,
			     unsigned int kinds)
{
	unsigned int id;

	for (id = 0; id < MOCK_IOMMU_NR_COUNTERS; id++) {
		if (!(kinds & (1U << mock_cmd_counters[id].kind)))
			continue;
		if (mock_cmd_counter(a, id) != mock_cmd_counter(b, id))
			return id;
	}
	return -1;
}

int mock_cmd_counters_each(const struct mock_iommu_counters *c,
			   mock_cmd_counter_fn fn, void *arg)
{
	unsigned int id;
	int ret;

	for (id = 0; id < MOCK_IOMMU_NR_COUNTERS; id++) {
		ret = fn(id, mock_cmd_counters[id].name,
			 mock_cmd_counters[id].kind, mock_cmd_counter(c, id),
			 arg);
		if (ret)
			return ret;
	}
	return 0;
}

const char *mock_cmd_knob_name(unsigned int knob)
{
	return knob < MOCK_IOMMU_NR_KNOBS ? mock_cmd_knobs[knob].name : NULL;
}

int mock_cmd_knob_scope(unsigned int knob)
{
	return knob < MOCK_IOMMU_NR_KNOBS ? (int)mock_cmd_knobs[knob].scope :
					    -EINVAL;
}

int mock_cmd_knob_id(const char *name)
{
	unsigned int knob;

	for (knob = 0; knob < MOCK_IOMMU_NR_KNOBS; knob++)
		if (!strcmp(name, mock_cmd_knobs[knob].name))
			return knob;
	return -ENOENT;
}
