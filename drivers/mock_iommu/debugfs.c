// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom mock IOMMU: control and inspection interface in debugfs,
 * /sys/kernel/debug/vfio_mdom_mock_iommu/. The files and their formats are
 * documented at the top of main.c.
 */
#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "mock_private.h"

#define MOCK_DMA_MAX	SZ_1M

static struct dentry *mock_debugfs_root;
static struct dentry *mock_debugfs_devices;
static struct dentry *mock_debugfs_emulated;

static const char * const mock_fault_names[] = {
	[MOCK_IOMMU_FAULT_NONE] = "none",
	[MOCK_IOMMU_FAULT_BLOCKED] = "blocked",
	[MOCK_IOMMU_FAULT_APERTURE] = "aperture",
	[MOCK_IOMMU_FAULT_NO_TRANSLATION] = "no_translation",
	[MOCK_IOMMU_FAULT_PERM] = "perm",
	[MOCK_IOMMU_FAULT_NOT_RAM] = "not_ram",
};

static void mock_show_instance(struct seq_file *s, struct mock_instance *inst)
{
	unsigned int i;

	seq_printf(s, "inst %u iommu %s pgsizes 0x%lx aperture 0x%llx-0x%llx enforce_cc %d isolated_msi %d devices %u resv ",
		   inst->index, dev_name(inst->iommu.dev), inst->pgsize_bitmap,
		   inst->aperture_start, inst->aperture_end, inst->enforce_cc, inst->isolated_msi,
		   inst->nr_devices);
	if (!inst->nr_resv)
		seq_puts(s, "none");
	for (i = 0; i < inst->nr_resv; i++)
		seq_printf(s, "%s0x%llx-0x%llx:%s", i ? "," : "",
			   inst->resv[i].start, inst->resv[i].end,
			   mock_resv_type_name(inst->resv[i].type));
	seq_printf(s, " dirty_tracking %d\n", inst->dirty_tracking);
}

static int instances_show(struct seq_file *s, void *unused)
{
	unsigned int i;

	for (i = 0; i < mock_nr_instances; i++)
		mock_show_instance(s, mock_instances[i]);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(instances);

static int devices_show(struct seq_file *s, void *unused)
{
	unsigned int i, j;

	guard(mutex)(&mock_domains_lock);
	for (i = 0; i < mock_nr_instances; i++) {
		struct mock_instance *inst = mock_instances[i];

		for (j = 0; j < inst->nr_devices; j++) {
			struct mock_dev *mdev = inst->devs[j];

			if (!mdev)
				continue;
			seq_printf(s, "dev %s inst %u index %u group %d domain %u\n",
				   dev_name(&mdev->dev), i, j,
				   iommu_group_id(mdev->dev.iommu_group),
				   mdev->domain ? mdev->domain->id : 0);
		}
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(devices);

static void mock_show_domain(struct seq_file *s, struct mock_domain *md)
{
	unsigned long index;
	void *pte;

	lockdep_assert_held(&mock_domains_lock);

	guard(mutex)(&md->lock);
	seq_printf(s, "domain %u inst %u pgsizes 0x%lx aperture 0x%llx-0x%llx enforce_cc %d attached %u translations %lu flush_pending %lu dirty_tracking %d dirty_capable %d\n",
		   md->id, md->inst->index, md->domain.pgsize_bitmap,
		   (u64)md->domain.geometry.aperture_start,
		   (u64)md->domain.geometry.aperture_end, md->enforce_cc,
		   md->attached, md->nr_translations, md->nr_stale,
		   md->dirty_tracking, !!md->domain.dirty_ops);
	xa_for_each(&md->pt, index, pte) {
		if (mock_pte_stale(pte))
			continue;
		seq_printf(s, " iova 0x%lx phys 0x%llx size 0x%zx prot 0x%x",
			   index << MOCK_PT_SHIFT, (u64)mock_pte_phys(pte),
			   mock_pte_size(pte), mock_pte_prot(pte));
		mock_dirty_show(s, md, index << MOCK_PT_SHIFT,
				mock_pte_size(pte));
		seq_putc(s, '\n');
	}
}

static int domains_show(struct seq_file *s, void *unused)
{
	struct mock_domain *md;

	guard(mutex)(&mock_domains_lock);
	list_for_each_entry(md, &mock_domains, node)
		mock_show_domain(s, md);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(domains);

/* Counters of one instance, or of all when the file's data is NULL */
static int counters_show(struct seq_file *s, void *unused)
{
	struct mock_instance *only = s->private;
	u64 v[MOCK_CNT_NR];
	unsigned int c;
	int rc;

	rc = mock_counters_read(only ? only->index : -1, v);
	if (rc)
		return rc;
	for (c = 0; c < MOCK_CNT_NR; c++)
		seq_printf(s, "%s %lld\n", mock_counter_descs[c].name,
			   (s64)v[c]);
	return 0;
}

static ssize_t counters_write(struct file *file, const char __user *buf,
			      size_t count, loff_t *ppos)
{
	struct mock_instance *only = file_inode(file)->i_private;

	mock_iommu_reset_counters(only ? only->index : -1);
	return count;
}

DEFINE_SHOW_STORE_ATTRIBUTE(counters);

/* Accept "12" and "-12" alike as -ENOMEM */
static int mock_errno(int v)
{
	return v > 0 ? -v : v;
}

static int fail_map_show(struct seq_file *s, void *unused)
{
	struct mock_instance *inst = s->private;

	spin_lock(&inst->inject_lock);
	seq_printf(s, "%u %d\n", inst->fail_map_nth, inst->fail_map_err);
	spin_unlock(&inst->inject_lock);
	return 0;
}

static ssize_t fail_map_write(struct file *file, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	struct mock_instance *inst = file_inode(file)->i_private;
	unsigned int nth;
	char buf[32];
	int err = 0;
	int rc;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	rc = sscanf(buf, "%u %d", &nth, &err);
	if (rc < 1 || (rc == 1 && nth))
		return -EINVAL;
	rc = mock_iommu_fail_nth_map(inst->index, nth, mock_errno(err));
	return rc ? rc : count;
}

DEFINE_SHOW_STORE_ATTRIBUTE(fail_map);

static int mock_fail_once_get(void *data, u64 *val, bool alloc)
{
	struct mock_instance *inst = data;

	spin_lock(&inst->inject_lock);
	*val = (s64)(alloc ? inst->fail_alloc_err : inst->fail_attach_err);
	spin_unlock(&inst->inject_lock);
	return 0;
}

static int fail_domain_alloc_get(void *data, u64 *val)
{
	return mock_fail_once_get(data, val, true);
}

static int fail_domain_alloc_set(void *data, u64 val)
{
	struct mock_instance *inst = data;

	return mock_iommu_fail_next_domain_alloc(inst->index,
						 mock_errno((s64)val));
}
DEFINE_DEBUGFS_ATTRIBUTE_SIGNED(fail_domain_alloc_fops, fail_domain_alloc_get,
				fail_domain_alloc_set, "%lld\n");

static int fail_attach_get(void *data, u64 *val)
{
	return mock_fail_once_get(data, val, false);
}

static int fail_attach_set(void *data, u64 val)
{
	struct mock_instance *inst = data;

	return mock_iommu_fail_next_attach(inst->index, mock_errno((s64)val));
}
DEFINE_DEBUGFS_ATTRIBUTE_SIGNED(fail_attach_fops, fail_attach_get,
				fail_attach_set, "%lld\n");

static int fail_enforce_cc_get(void *data, u64 *val)
{
	struct mock_instance *inst = data;

	spin_lock(&inst->inject_lock);
	*val = inst->fail_enforce_cc;
	spin_unlock(&inst->inject_lock);
	return 0;
}

static int fail_enforce_cc_set(void *data, u64 val)
{
	struct mock_instance *inst = data;

	if (val > 1)
		return -EINVAL;
	return mock_iommu_fail_next_enforce_cc(inst->index, val);
}
DEFINE_DEBUGFS_ATTRIBUTE(fail_enforce_cc_fops, fail_enforce_cc_get,
			 fail_enforce_cc_set, "%llu\n");

/* The knobs of mock_iommu_test.h, as the typed interface sets them */
static int mock_debugfs_knob_get(unsigned int knob, void *data, u64 *val)
{
	struct mock_instance *inst = data;
	s64 value, arg;
	int rc;

	rc = mock_iommu_get_knob(knob, inst->index, &value, &arg);
	*val = value;
	return rc;
}

static int mock_debugfs_knob_set(unsigned int knob, void *data, u64 val)
{
	struct mock_instance *inst = data;

	if (val > S64_MAX)
		return -EINVAL;
	return mock_iommu_set_knob(knob, inst->index, val, 0);
}

/* 0: idle, 1: the next unmap_pages() will wait, 2: one waits */
static int hold_unmap_get(void *data, u64 *val)
{
	return mock_debugfs_knob_get(MOCK_IOMMU_KNOB_HOLD_UNMAP, data, val);
}

/* 1 arms, 0 disarms and releases the unmap_pages() waiting */
static int hold_unmap_set(void *data, u64 val)
{
	return mock_debugfs_knob_set(MOCK_IOMMU_KNOB_HOLD_UNMAP, data, val);
}
DEFINE_DEBUGFS_ATTRIBUTE(hold_unmap_fops, hold_unmap_get, hold_unmap_set,
			 "%llu\n");

static int unmap_delay_us_get(void *data, u64 *val)
{
	return mock_debugfs_knob_get(MOCK_IOMMU_KNOB_UNMAP_DELAY_US, data, val);
}

static int unmap_delay_us_set(void *data, u64 val)
{
	return mock_debugfs_knob_set(MOCK_IOMMU_KNOB_UNMAP_DELAY_US, data, val);
}
DEFINE_DEBUGFS_ATTRIBUTE(unmap_delay_us_fops, unmap_delay_us_get,
			 unmap_delay_us_set, "%llu\n");

/*
 * A debugfs file through which user space makes a device do DMA: pread
 * and pwrite at offset IOVA, at most MOCK_DMA_MAX bytes a call. @rw moves
 * @len bytes between @buf and @iova for the file's owner @priv: 0 or
 * -errno.
 */
typedef int (*mock_dma_rw_fn)(void *priv, u64 iova, void *buf, size_t len,
			      bool write);

static ssize_t mock_dma_file_read(mock_dma_rw_fn rw, void *priv,
				  char __user *ubuf, size_t count,
				  loff_t *ppos)
{
	void *buf;
	ssize_t rc;

	if (!count)
		return 0;
	count = min_t(size_t, count, MOCK_DMA_MAX);
	buf = kvzalloc(count, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	rc = rw(priv, *ppos, buf, count, false);
	if (!rc)
		rc = copy_to_user(ubuf, buf, count) ? -EFAULT : count;
	kvfree(buf);
	if (rc > 0)
		*ppos += rc;
	return rc;
}

static ssize_t mock_dma_file_write(mock_dma_rw_fn rw, void *priv,
				   const char __user *ubuf, size_t count,
				   loff_t *ppos)
{
	void *buf;
	ssize_t rc;

	if (!count)
		return 0;
	count = min_t(size_t, count, MOCK_DMA_MAX);
	buf = vmemdup_user(ubuf, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	rc = rw(priv, *ppos, buf, count, true);
	kvfree(buf);
	if (rc)
		return rc;
	*ppos += count;
	return count;
}

/* A mock device's DMA through its IOMMU domain */
static int dma_rw(void *priv, u64 iova, void *buf, size_t len, bool write)
{
	struct mock_dev *mdev = priv;

	return mock_iommu_dma(&mdev->dev, iova, buf, len,
			      write ? MOCK_IOMMU_DMA_WRITE :
				      MOCK_IOMMU_DMA_READ);
}

static ssize_t dma_read(struct file *file, char __user *ubuf, size_t count,
			loff_t *ppos)
{
	return mock_dma_file_read(dma_rw, file_inode(file)->i_private, ubuf,
				  count, ppos);
}

static ssize_t dma_write(struct file *file, const char __user *ubuf,
			 size_t count, loff_t *ppos)
{
	return mock_dma_file_write(dma_rw, file_inode(file)->i_private, ubuf,
				   count, ppos);
}

static const struct file_operations dma_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = dma_read,
	.write = dma_write,
	.llseek = default_llseek,
};

static int last_fault_show(struct seq_file *s, void *unused)
{
	struct mock_dev *mdev = s->private;
	struct mock_iommu_fault f;

	mock_iommu_last_fault(&mdev->dev, &f);
	seq_printf(s, "iova 0x%llx reason %s dir %s domain %u count %llu\n",
		   f.iova, mock_fault_names[f.reason],
		   f.dir == MOCK_IOMMU_DMA_WRITE ? "write" : "read",
		   f.domain_id, f.count);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(last_fault);

/* Emulated devices: emulated/emuN/ */

/* Copy a short command from user space, NUL terminated */
static char *mock_debugfs_cmd(const char __user *ubuf, size_t count)
{
	if (!count || count > 128)
		return ERR_PTR(-EINVAL);
	return memdup_user_nul(ubuf, count);
}

static ssize_t emu_pin_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	struct mock_emu *emu = file_inode(file)->i_private;
	u64 iova, npages;
	char *buf;
	int prot, rc;

	buf = mock_debugfs_cmd(ubuf, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	rc = mock_pins_parse(buf, &iova, &npages, &prot);
	kfree(buf);
	if (!rc)
		rc = mock_pins_pin(&emu->pins, iova, npages, prot);
	return rc ? rc : count;
}

static const struct file_operations emu_pin_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = emu_pin_write,
	.llseek = noop_llseek,
};

static ssize_t emu_unpin_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	struct mock_emu *emu = file_inode(file)->i_private;
	u64 iova, npages;
	char *buf;
	int rc;

	buf = mock_debugfs_cmd(ubuf, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	rc = mock_pins_parse(buf, &iova, &npages, NULL);
	kfree(buf);
	if (!rc)
		rc = mock_pins_unpin(&emu->pins, iova, npages);
	return rc ? rc : count;
}

static const struct file_operations emu_unpin_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = emu_unpin_write,
	.llseek = noop_llseek,
};

/* An emulated device's vfio_dma_rw() */
static int emu_dma_rw(void *priv, u64 iova, void *buf, size_t len,
		      bool write)
{
	struct mock_emu *emu = priv;

	return mock_pins_rw(&emu->pins, iova, buf, len, write);
}

static ssize_t emu_dma_read(struct file *file, char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	return mock_dma_file_read(emu_dma_rw, file_inode(file)->i_private,
				  ubuf, count, ppos);
}

static ssize_t emu_dma_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	return mock_dma_file_write(emu_dma_rw, file_inode(file)->i_private,
				   ubuf, count, ppos);
}

static const struct file_operations emu_dma_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = emu_dma_read,
	.write = emu_dma_write,
	.llseek = default_llseek,
};

static int emu_pinned_show(struct seq_file *s, void *unused)
{
	struct mock_emu *emu = s->private;
	struct mock_iommu_pinned *runs = NULL;
	unsigned int i, n, room = 0;

	/* Until the runs fit: pins may come and go meanwhile */
	while ((n = mock_pins_runs(&emu->pins, runs, room)) > room) {
		kvfree(runs);
		room = n + 8;
		runs = kvcalloc(room, sizeof(*runs), GFP_KERNEL);
		if (!runs)
			return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		seq_printf(s, "iova 0x%llx npages %u prot %s phys 0x%llx\n",
			   runs[i].iova, runs[i].npages,
			   mock_pins_prot_name(runs[i].prot), runs[i].phys);
	kvfree(runs);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(emu_pinned);

static int emu_unmap_calls_show(struct seq_file *s, void *unused)
{
	struct mock_emu *emu = s->private;
	struct mock_iommu_unmap_call log[MOCK_UNMAP_LOG];
	unsigned int i, nr;
	u64 calls;

	calls = mock_pins_unmap_log(&emu->pins, log, ARRAY_SIZE(log), &nr);
	seq_printf(s, "calls %llu\n", calls);
	for (i = 0; i < nr; i++)
		seq_printf(s, "iova 0x%llx length 0x%llx\n", log[i].iova,
			   log[i].length);
	return 0;
}

static ssize_t emu_unmap_calls_write(struct file *file,
				     const char __user *ubuf, size_t count,
				     loff_t *ppos)
{
	struct mock_emu *emu = file_inode(file)->i_private;

	mock_pins_reset_unmap_log(&emu->pins);
	return count;
}

DEFINE_SHOW_STORE_ATTRIBUTE(emu_unmap_calls);

static int emu_group_show(struct seq_file *s, void *unused)
{
	struct mock_emu *emu = s->private;

	seq_printf(s, "%d\n", iommu_group_id(emu->dev.iommu_group));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(emu_group);

static int emu_state_show(struct seq_file *s, void *unused)
{
	struct mock_emu *emu = s->private;

	seq_printf(s, "open %d pinned_pages %lu\n",
		   mock_pins_is_open(&emu->pins),
		   mock_pins_nr_pinned(&emu->pins));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(emu_state);

void mock_debugfs_add_emulated(struct mock_emu *emu)
{
	struct dentry *dir;
	char name[16];

	snprintf(name, sizeof(name), "emu%u", emu->index);
	dir = debugfs_create_dir(name, mock_debugfs_emulated);
	debugfs_create_file("pin", 0200, dir, emu, &emu_pin_fops);
	debugfs_create_file("unpin", 0200, dir, emu, &emu_unpin_fops);
	debugfs_create_file("dma", 0600, dir, emu, &emu_dma_fops);
	debugfs_create_file("pinned", 0444, dir, emu, &emu_pinned_fops);
	debugfs_create_file("unmap_calls", 0644, dir, emu,
			    &emu_unmap_calls_fops);
	debugfs_create_file("group", 0444, dir, emu, &emu_group_fops);
	debugfs_create_file("state", 0444, dir, emu, &emu_state_fops);
	debugfs_create_bool("keep_on_unmap", 0644, dir,
			    &emu->pins.keep_on_unmap);
}

void mock_debugfs_remove_emulated(struct mock_emu *emu)
{
	char name[16];

	snprintf(name, sizeof(name), "emu%u", emu->index);
	debugfs_lookup_and_remove(name, mock_debugfs_emulated);
}

void mock_debugfs_init(void)
{
	mock_debugfs_root = debugfs_create_dir(MOCK_DRV_NAME, NULL);
	debugfs_create_file("instances", 0444, mock_debugfs_root, NULL,
			    &instances_fops);
	debugfs_create_file("devices", 0444, mock_debugfs_root, NULL,
			    &devices_fops);
	debugfs_create_file("domains", 0444, mock_debugfs_root, NULL,
			    &domains_fops);
	debugfs_create_file("counters", 0644, mock_debugfs_root, NULL,
			    &counters_fops);
	debugfs_create_file("cmd", 0600, mock_debugfs_root, NULL,
			    &mock_cmd_fops);
	mock_debugfs_devices = debugfs_create_dir("dev", mock_debugfs_root);
	mock_debugfs_emulated = debugfs_create_dir("emulated",
						   mock_debugfs_root);
}

void mock_debugfs_add_instance(struct mock_instance *inst)
{
	struct dentry *dir;
	char name[16];

	snprintf(name, sizeof(name), "inst%u", inst->index);
	dir = debugfs_create_dir(name, mock_debugfs_root);
	debugfs_create_file("counters", 0644, dir, inst, &counters_fops);
	debugfs_create_file("fail_map", 0644, dir, inst, &fail_map_fops);
	debugfs_create_file_unsafe("fail_domain_alloc", 0644, dir, inst,
				   &fail_domain_alloc_fops);
	debugfs_create_file_unsafe("fail_attach", 0644, dir, inst,
				   &fail_attach_fops);
	debugfs_create_file_unsafe("fail_enforce_cc", 0644, dir, inst,
				   &fail_enforce_cc_fops);
	debugfs_create_file_unsafe("hold_unmap", 0644, dir, inst,
				   &hold_unmap_fops);
	debugfs_create_file_unsafe("unmap_delay_us", 0644, dir, inst,
				   &unmap_delay_us_fops);
}

void mock_debugfs_add_device(struct mock_dev *mdev)
{
	struct dentry *dir;

	dir = debugfs_create_dir(dev_name(&mdev->dev), mock_debugfs_devices);
	debugfs_create_file("dma", 0600, dir, mdev, &dma_fops);
	debugfs_create_file("last_fault", 0444, dir, mdev, &last_fault_fops);
}

void mock_debugfs_remove_device(struct mock_dev *mdev)
{
	debugfs_lookup_and_remove(dev_name(&mdev->dev), mock_debugfs_devices);
}

void mock_debugfs_exit(void)
{
	debugfs_remove_recursive(mock_debugfs_root);
	mock_debugfs_root = NULL;
	mock_debugfs_devices = NULL;
	mock_debugfs_emulated = NULL;
}
