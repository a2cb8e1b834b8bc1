// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom mock IOMMU: the typed test interface of mock_iommu_test.h,
 * ioctls on the debugfs file cmd: read and reset the counters, set and
 * read the knobs.
 *
 * The knob table is built from MOCK_IOMMU_KNOBS(): a knob named there
 * without its mock_knob_set_<name>() and mock_knob_get_<name>() here does
 * not build. The debugfs text files (debugfs.c) reach the same state
 * through the same functions.
 */
#include <kunit/visibility.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/limits.h>
#include <linux/uaccess.h>

#include "mock_private.h"

/* The longest unmap_pages() delay a test may ask for */
#define MOCK_UNMAP_DELAY_MAX_US	100000

/* Knobs without a second value refuse one */
static int mock_knob_bool(s64 value, s64 arg)
{
	return (value != 0 && value != 1) || arg ? -EINVAL : 0;
}

static int mock_knob_set_fail_map(void *target, s64 value, s64 arg)
{
	struct mock_instance *inst = target;

	/* nth and a negative errno, or 0 and 0 */
	if (value < 0 || value > UINT_MAX || arg > 0 || arg < -MAX_ERRNO ||
	    !value != !arg)
		return -EINVAL;
	return mock_iommu_fail_nth_map(inst->index, value, arg);
}

static void mock_knob_get_fail_map(void *target, s64 *value, s64 *arg)
{
	struct mock_instance *inst = target;

	spin_lock(&inst->inject_lock);
	*value = inst->fail_map_nth;
	*arg = inst->fail_map_err;
	spin_unlock(&inst->inject_lock);
}

static int mock_knob_set_fail_domain_alloc(void *target, s64 value, s64 arg)
{
	struct mock_instance *inst = target;

	if (value > 0 || value < -MAX_ERRNO || arg)
		return -EINVAL;
	return mock_iommu_fail_next_domain_alloc(inst->index, value);
}

static void mock_knob_get_fail_domain_alloc(void *target, s64 *value,
					    s64 *arg)
{
	struct mock_instance *inst = target;

	spin_lock(&inst->inject_lock);
	*value = inst->fail_alloc_err;
	spin_unlock(&inst->inject_lock);
}

static int mock_knob_set_fail_attach(void *target, s64 value, s64 arg)
{
	struct mock_instance *inst = target;

	if (value > 0 || value < -MAX_ERRNO || arg)
		return -EINVAL;
	return mock_iommu_fail_next_attach(inst->index, value);
}

static void mock_knob_get_fail_attach(void *target, s64 *value, s64 *arg)
{
	struct mock_instance *inst = target;

	spin_lock(&inst->inject_lock);
	*value = inst->fail_attach_err;
	spin_unlock(&inst->inject_lock);
}

static int mock_knob_set_fail_enforce_cc(void *target, s64 value, s64 arg)
{
	struct mock_instance *inst = target;

	return mock_knob_bool(value, arg) ?:
	       mock_iommu_fail_next_enforce_cc(inst->index, value);
}

static void mock_knob_get_fail_enforce_cc(void *target, s64 *value,
					  s64 *arg)
{
	struct mock_instance *inst = target;

	spin_lock(&inst->inject_lock);
	*value = inst->fail_enforce_cc;
	spin_unlock(&inst->inject_lock);
}

/* 1 arms, 0 disarms and releases the unmap_pages() waiting */
static int mock_knob_set_hold_unmap(void *target, s64 value, s64 arg)
{
	struct mock_instance *inst = target;

	if (mock_knob_bool(value, arg))
		return -EINVAL;
	spin_lock(&inst->inject_lock);
	inst->hold_unmap = value;
	if (!value)
		inst->unmap_held = false;
	spin_unlock(&inst->inject_lock);
	if (!value)
		wake_up_all(&inst->hold_wq);
	return 0;
}

/* 0: idle, 1: the next unmap_pages() will wait, 2: one waits */
static void mock_knob_get_hold_unmap(void *target, s64 *value, s64 *arg)
{
	struct mock_instance *inst = target;

	spin_lock(&inst->inject_lock);
	*value = inst->unmap_held ? 2 : inst->hold_unmap;
	spin_unlock(&inst->inject_lock);
}

static int mock_knob_set_unmap_delay_us(void *target, s64 value, s64 arg)
{
	struct mock_instance *inst = target;

	if (value < 0 || value > MOCK_UNMAP_DELAY_MAX_US || arg)
		return -EINVAL;
	WRITE_ONCE(inst->unmap_delay_us, value);
	return 0;
}

static void mock_knob_get_unmap_delay_us(void *target, s64 *value, s64 *arg)
{
	struct mock_instance *inst = target;

	*value = READ_ONCE(inst->unmap_delay_us);
}

static int mock_knob_set_keep_on_unmap(void *target, s64 value, s64 arg)
{
	struct mock_emu *emu = target;

	if (mock_knob_bool(value, arg))
		return -EINVAL;
	WRITE_ONCE(emu->pins.keep_on_unmap, value);
	return 0;
}

static void mock_knob_get_keep_on_unmap(void *target, s64 *value, s64 *arg)
{
	struct mock_emu *emu = target;

	*value = READ_ONCE(emu->pins.keep_on_unmap);
}

/**
 * struct mock_knob - how a knob of MOCK_IOMMU_KNOBS() is set and read
 * @scope: what its index names, enum mock_iommu_knob_scope
 * @set: checks and sets @value and @arg on its instance or device
 * @get: reads them back; *@arg is 0 when the caller calls
 */
struct mock_knob {
	enum mock_iommu_knob_scope scope;
	int (*set)(void *target, s64 value, s64 arg);
	void (*get)(void *target, s64 *value, s64 *arg);
};

#define MOCK_KNOB(ID, name, _scope)					\
	[MOCK_IOMMU_KNOB_##ID] = {					\
		.scope = _scope,					\
		.set = mock_knob_set_##name,				\
		.get = mock_knob_get_##name,				\
	},
static const struct mock_knob mock_knobs[MOCK_IOMMU_NR_KNOBS] = {
	MOCK_IOMMU_KNOBS(MOCK_KNOB)
};

#undef MOCK_KNOB

/* The knob's instance or emulated device @index; ERR_PTR on bad input */
static void *mock_knob_target(unsigned int knob, unsigned int index)
{
	void *target;

	if (knob >= ARRAY_SIZE(mock_knobs))
		return ERR_PTR(-EOPNOTSUPP);
	if (mock_knobs[knob].scope == MOCK_IOMMU_KNOB_EMU)
		target = mock_emu_get(index);
	else
		target = mock_instance_get(index);
	return target ?: ERR_PTR(-EINVAL);
}

int mock_iommu_set_knob(unsigned int knob, unsigned int index, s64 value,
			s64 arg)
{
	void *target = mock_knob_target(knob, index);

	if (IS_ERR(target))
		return PTR_ERR(target);
	return mock_knobs[knob].set(target, value, arg);
}
EXPORT_SYMBOL_GPL(mock_iommu_set_knob);

int mock_iommu_get_knob(unsigned int knob, unsigned int index, s64 *value,
			s64 *arg)
{
	void *target = mock_knob_target(knob, index);

	if (IS_ERR(target))
		return PTR_ERR(target);
	*value = 0;
	*arg = 0;
	mock_knobs[knob].get(target, value, arg);
	return 0;
}
EXPORT_SYMBOL_GPL(mock_iommu_get_knob);

/* The commands */

static int mock_cmd_get_counters(void *data)
{
	struct mock_iommu_get_counters *cmd = data;
	u64 v[MOCK_CNT_NR];
	u32 n;
	int rc;

	if (cmd->flags)
		return -EINVAL;
	rc = mock_counters_read(cmd->inst, v);
	if (rc)
		return rc;
	n = min_t(u32, cmd->nr_counters, MOCK_CNT_NR);
	if (copy_to_user(u64_to_user_ptr(cmd->counters_uptr), v,
			 n * sizeof(v[0])))
		return -EFAULT;
	cmd->nr_counters = MOCK_CNT_NR;
	return 0;
}

static int mock_cmd_reset_counters(void *data)
{
	struct mock_iommu_reset_counters *cmd = data;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	return mock_iommu_reset_counters(cmd->inst);
}

static int mock_cmd_set_knob(void *data)
{
	struct mock_iommu_knob *cmd = data;

	if (cmd->flags)
		return -EINVAL;
	return mock_iommu_set_knob(cmd->knob, cmd->index, cmd->value,
				   cmd->arg);
}

static int mock_cmd_get_knob(void *data)
{
	struct mock_iommu_knob *cmd = data;
	s64 value, arg;
	int rc;

	if (cmd->flags)
		return -EINVAL;
	rc = mock_iommu_get_knob(cmd->knob, cmd->index, &value, &arg);
	if (rc)
		return rc;
	cmd->value = value;
	cmd->arg = arg;
	return 0;
}

union mock_cmd_buffer {
	struct mock_iommu_get_counters get_counters;
	struct mock_iommu_reset_counters reset_counters;
	struct mock_iommu_knob knob;
};

/**
 * struct mock_cmd_op - one command of the ioctl table
 * @ioctl: its number, direction and size bits included
 * @size: its struct as the mock knows it
 * @min_size: its struct's first version: up to its last original field
 * @copy_out: the struct goes back to user space after success
 * @execute: the command, on the struct copied in
 */
struct mock_cmd_op {
	unsigned int ioctl;
	size_t size;
	size_t min_size;
	bool copy_out;
	int (*execute)(void *cmd);
};

#define MOCK_CMD_OP(_ioctl, _fn, _struct, _last, _out)			\
	{								\
		.ioctl = _ioctl,					\
		.size = sizeof(_struct) +				\
			BUILD_BUG_ON_ZERO(sizeof(union mock_cmd_buffer) < \
					  sizeof(_struct)),		\
		.min_size = offsetofend(_struct, _last),		\
		.copy_out = _out,					\
		.execute = _fn,						\
	}
static const struct mock_cmd_op mock_cmd_ops[] = {
	MOCK_CMD_OP(MOCK_IOMMU_GET_COUNTERS, mock_cmd_get_counters,
		    struct mock_iommu_get_counters, counters_uptr, true),
	MOCK_CMD_OP(MOCK_IOMMU_RESET_COUNTERS, mock_cmd_reset_counters,
		    struct mock_iommu_reset_counters, __reserved, false),
	MOCK_CMD_OP(MOCK_IOMMU_SET_KNOB, mock_cmd_set_knob,
		    struct mock_iommu_knob, arg, false),
	MOCK_CMD_OP(MOCK_IOMMU_GET_KNOB, mock_cmd_get_knob,
		    struct mock_iommu_knob, arg, true),
};

#undef MOCK_CMD_OP

/*
 * One command from user space at @uarg: ENOTTY for an unknown @cmd,
 * EINVAL for a size below the command's first version, E2BIG for non-zero
 * bytes past what the mock knows, EFAULT, or what the command returns.
 */
VISIBLE_IF_KUNIT long mock_cmd_ioctl(unsigned int cmd, void __user *uarg)
{
	const struct mock_cmd_op *op;
	union mock_cmd_buffer buf;
	u32 user_size;
	int rc;

	/* A few commands: look them up by their full number */
	for (op = mock_cmd_ops; op < mock_cmd_ops + ARRAY_SIZE(mock_cmd_ops);
	     op++)
		if (op->ioctl == cmd)
			break;
	if (op == mock_cmd_ops + ARRAY_SIZE(mock_cmd_ops))
		return -ENOTTY;
	if (get_user(user_size, (u32 __user *)uarg))
		return -EFAULT;
	if (user_size < op->min_size)
		return -EINVAL;
	rc = copy_struct_from_user(&buf, op->size, uarg, user_size);
	if (rc)
		return rc;
	rc = op->execute(&buf);
	if (rc || !op->copy_out)
		return rc;
	if (copy_to_user(uarg, &buf, min_t(size_t, user_size, op->size)))
		return -EFAULT;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mock_cmd_ioctl);

static long mock_cmd_unlocked_ioctl(struct file *file, unsigned int cmd,
				    unsigned long arg)
{
	return mock_cmd_ioctl(cmd, (void __user *)arg);
}

const struct file_operations mock_cmd_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.unlocked_ioctl = mock_cmd_unlocked_ioctl,
	.llseek = noop_llseek,
};
