// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom mock IOMMU: several heterogeneous IOMMUs in one machine.
 *
 * A TEST-ONLY driver: vfio_mdom.ko never needs it. It registers several
 * IOMMU instances with the kernel's IOMMU core, each with its own
 * capabilities, and devices behind them, each in its own IOMMU group and
 * registered as a VFIO device so that it has a /dev/vfio/N group node like
 * a vfio-pci device. Ordinary IOMMU API calls reach it
 * (iommu_paging_domain_alloc(), iommu_attach_group(), iommu_map(),
 * iommu_unmap_fast(), iommu_iova_to_phys(), ...), so vfio_iommu_type1 and
 * vfio-mdom containers can be driven on mock groups exactly as on real ones.
 *
 *   instance (struct iommu_device, /sys/class/iommu/vfio_mdom_mock_iommuI)
 *     +-- device vfio_mdom_mockI.J  (bus vfio_mdom_mock, own iommu_group,
 *     |                              VFIO device -> /dev/vfio/<group>)
 *     +-- paging domains allocated for its devices (domain.c)
 *   emulated device vfio_mdom_emuN  (bus vfio_mdom_mock_emu, no IOMMU;
 *                                    vfio_register_emulated_iommu_dev() ->
 *                                    /dev/vfio/<group>; pins pages through
 *                                    the container, see emulated.c)
 *
 * Files: main.c module parameters, instances and init; device.c devices and
 * their VFIO registration; domain.c paging domains and the page table;
 * dirty.c dirty tracking; dma.c the device side (DMA through the attached
 * domain); emulated.c the emulated VFIO devices and pins.c what they hold
 * pinned; debugfs.c the control and inspection interface, cmd.c its typed
 * commands. mock_iommu.h is the in-kernel API, mock_iommu_test.h the
 * counters, knobs and commands shared with the user-space tests.
 *
 * DEFAULT CONFIGURATION (what `make check` loads), two devices each:
 *
 *   inst  page sizes  aperture  enforce_cc  isolated MSI  dirty  reserved
 *   0     4K          39 bits   yes         yes           no     MSI 0xfee00000-0xfeefffff
 *   1     4K|2M|1G    48 bits   no          yes           yes    none
 *   2     4K|2M       32 bits   yes         no            no     MSI 0xfee00000-0xfeefffff
 *   3     4K          39 bits   yes         yes           no     MSI 0xfee00000-0xfeefffff
 *
 * Instances 0, 1 and 2 cannot share a domain with each other: attaching a
 * device to a domain allocated for an instance with different page sizes,
 * aperture or coherency enforcement fails with -EINVAL (which is how type1
 * and vfio-mdom containers find out that a new domain is needed).
 * Instance 3 is a twin of instance 0: they can share domains. Instance 2
 * needs vfio_iommu_type1.allow_unsafe_interrupts=1 under type1.
 *
 * Dirty tracking ("dirty" above, see dirty.c): such an instance reports
 * IOMMU_CAP_DIRTY_TRACKING, and ops->domain_alloc_user(dev,
 * IOMMU_HWPT_ALLOC_DIRTY_TRACKING, NULL, NULL) gives a paging domain with
 * dirty_ops; any other flag, a parent or user data fail with -EOPNOTSUPP,
 * and so does the flag on an instance without dirty bits. Such a domain
 * attaches only to devices with dirty bits (-EINVAL otherwise, as Intel).
 * While tracking is enabled, device writes (dev/NAME/dma, mock_iommu_dma())
 * set one dirty bit per 4 KiB page written, even inside a 2M or 1G
 * translation; read_and_clear_dirty() reports and, unless
 * IOMMU_DIRTY_NO_CLEAR, clears them; disabling tracking or unmapping a
 * translation drops its bits.
 *
 * MODULE PARAMETERS (read-only after load; array element I is instance I):
 *   nr_instances=N      instances, 1-8 (default 4)
 *   nr_emulated=N       emulated VFIO devices, 0-4 (default 1)
 *   nr_devices=A,B,..   devices per instance, 1-8 (default 2)
 *   pgsizes=A,B,..      page size bitmap (default 0x1000,0x40201000,
 *                       0x201000,0x1000; instances 4-7: 0x1000)
 *   aperture_bits=A,..  aperture ends at 2^bits - 1, 32-64 (default
 *                       39,48,32,39; instances 4-7: 39)
 *   aperture_start=S,.. aperture starts at S, 4 KiB aligned, below its end
 *                       (default 0): aperture_start=0x100000000 with
 *                       aperture_bits=39 is an IOMMU that translates only
 *                       above 4 GiB
 *   enforce_cc=Y,N,..   can enforce cache coherency (default Y,N,Y,Y,Y..)
 *   isolated_msi=Y,..   MSIs are isolated (default Y,Y,N,Y,Y..)
 *   dirty_tracking=N,.. IOMMU dirty tracking (default N,Y,N,N,N..)
 *   resv=SPEC,SPEC,..   reserved regions; SPEC is "none" or
 *                       START-END[:TYPE][+START-END[:TYPE]]..., TYPE one of
 *                       msi, sw_msi, reserved (default); at most 4
 *
 * DEBUGFS, /sys/kernel/debug/vfio_mdom_mock_iommu/ (numbers in hex have a
 * 0x prefix, all others are decimal):
 *
 *   instances   one line per instance:
 *               "inst I iommu NAME pgsizes 0xB aperture 0xS-0xE
 *                enforce_cc 0|1 isolated_msi 0|1 devices N resv LIST
 *                dirty_tracking 0|1"
 *               LIST is "none" or comma separated "0xS-0xE:TYPE"
 *   devices     one line per device:
 *               "dev NAME inst I index J group G domain D"
 *               G is the iommu group number (/dev/vfio/G), D the mock
 *               domain id the device is attached to, 0 when blocked
 *   domains     for every live paging domain a line
 *               "domain D inst I pgsizes 0xB aperture 0xS-0xE enforce_cc
 *                0|1 attached N translations T flush_pending P
 *                dirty_tracking 0|1 dirty_capable 0|1"
 *               followed by one line per translation, in IOVA order:
 *               " iova 0xI phys 0xP size 0xS prot 0xR dirty 0xBITMAP"
 *               P counts translations unmapped but not yet flushed by an
 *               IOTLB sync (they are not listed)
 *               (prot: IOMMU_READ 0x1, IOMMU_WRITE 0x2, IOMMU_CACHE 0x4,
 *               IOMMU_NOEXEC 0x8, IOMMU_MMIO 0x10, IOMMU_PRIV 0x20)
 *               dirty_tracking: tracking is enabled now; dirty_capable:
 *               the domain has dirty_ops (allocated with
 *               IOMMU_HWPT_ALLOC_DIRTY_TRACKING). BITMAP: bit i set when
 *               4 KiB page i of the translation (IOVA 0xI + i * 4096) is
 *               dirty, in hex without leading zeroes, "0x0" when clean
 *               (a 1G translation dirty near its end makes a long line)
 *   counters    "NAME VALUE" lines summed over all instances, names and
 *               order as in MOCK_IOMMU_COUNTERS() (mock_iommu_test.h);
 *               writing anything resets all error and event counters
 *               (the gauges domains_live and translations_live are never
 *               reset)
 *   cmd         the typed interface of mock_iommu_test.h: ioctls that
 *               read and reset the counters (binary, by index) and set
 *               and read the knobs below (MOCK_IOMMU_KNOBS()), the same
 *               state as these text files
 *   instI/counters           the same for instance I alone
 *   instI/fail_map           write "N ERRNO": the Nth map_pages() call
 *                            from now on a domain of instance I fails with
 *                            ERRNO (e.g. "1 -12" or "1 12"); "0" cancels.
 *                            Reads "N ERRNO" still pending ("0 0": none)
 *   instI/fail_domain_alloc  write "ERRNO": the next paging domain
 *                            allocation for a device of instance I fails;
 *                            "0" cancels; reads the pending errno
 *   instI/fail_attach        the same for the next paging domain attach
 *   instI/fail_enforce_cc    write 1: the next enforce_cache_coherency()
 *                            that would succeed on a domain of instance I
 *                            returns false, although the devices keep
 *                            reporting IOMMU_CAP_ENFORCE_CACHE_COHERENCY;
 *                            0 cancels. Reads 1 while pending, else 0
 *   instI/hold_unmap         write 1: the next unmap_pages() on a domain
 *                            of instance I waits, its range in flight for
 *                            the race detector (dirty.c), until 0 is
 *                            written (at most 10 s); reads 0 (idle), 1
 *                            (armed) or 2 (an unmap_pages() waits)
 *   instI/unmap_delay_us     every unmap_pages() on a domain of instance I
 *                            sleeps this long (0-100000) in flight
 *   dev/NAME/dma             the device's view of IOVA space: pwrite(fd,
 *                            buf, len, IOVA) makes the device write memory
 *                            at IOVA, pread(fd, buf, len, IOVA) makes it
 *                            read. EIO: translation fault, EACCES:
 *                            permission fault; no byte moves on a fault.
 *                            At most 1 MiB per call.
 *   dev/NAME/last_fault      "iova 0xI reason R dir read|write domain D
 *                            count N", R one of none, blocked, aperture,
 *                            no_translation, perm, not_ram
 *
 *   emulated/emuN/           emulated device N, VFIO device name
 *                            vfio_mdom_emuN (VFIO_GROUP_GET_DEVICE_FD).
 *                            pin and dma need the VFIO device open (its
 *                            group in a container with an IOMMU set, the
 *                            device fd open): else ENOTCONN. IOVA and
 *                            NPAGES: decimal or 0x hex. dma_unmap(IOVA,
 *                            LENGTH) from VFIO is logged and unpins every
 *                            held page that meets the range, waiting for
 *                            pins in flight there; closing the device
 *                            unpins everything
 *     pin                    write "IOVA NPAGES r|w|rw": vfio_pin_pages()
 *                            of NPAGES (1-512) pages from IOVA, kept until
 *                            unpinned; the write fails with its errno
 *                            (EINVAL/E2BIG: bad command)
 *     unpin                  write "IOVA NPAGES": vfio_unpin_pages() of
 *                            every held page that meets [IOVA, IOVA +
 *                            NPAGES * 4096); ENOENT: none was held
 *     dma                    pread/pwrite at offset IOVA: vfio_dma_rw(),
 *                            at most 1 MiB per call; its errno on failure
 *     pinned                 one line per run of held pages:
 *                            "iova 0xI npages N prot r|w|rw phys 0xP",
 *                            P the physical address of its first page; a
 *                            pin command is one run until parts of it are
 *                            unpinned
 *     unmap_calls            "calls N" then, oldest first, the last 16
 *                            dma_unmap() calls VFIO made:
 *                            "iova 0xI length 0xL"; writing anything
 *                            resets it
 *     group                  its IOMMU group number: /dev/vfio/G
 *     state                  "open 0|1 pinned_pages N"
 *     keep_on_unmap          Y: dma_unmap() is logged but unpins nothing,
 *                            as a broken driver (the backend must neither
 *                            free the pages nor hang); N by default
 *
 * Every mock device's iommu_group link is also in sysfs:
 * /sys/bus/vfio_mdom_mock/devices/NAME/iommu_group, and every emulated
 * device's in /sys/bus/vfio_mdom_mock_emu/devices/vfio_mdom_emuN/.
 */
#include <linux/cleanup.h>
#include <linux/irqdomain.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <linux/string.h>

#include "mock_private.h"

static unsigned int nr_instances = 4;
module_param(nr_instances, uint, 0444);
MODULE_PARM_DESC(nr_instances, "Number of mock IOMMU instances, 1-8 (default 4)");

static unsigned int nr_devices[MOCK_IOMMU_MAX_INSTANCES] = {
	2, 2, 2, 2, 2, 2, 2, 2,
};
module_param_array(nr_devices, uint, NULL, 0444);
MODULE_PARM_DESC(nr_devices, "Devices per instance, 1-8 (default 2)");

static unsigned long pgsizes[MOCK_IOMMU_MAX_INSTANCES] = {
	SZ_4K, SZ_4K | SZ_2M | SZ_1G, SZ_4K | SZ_2M, SZ_4K,
	SZ_4K, SZ_4K, SZ_4K, SZ_4K,
};
module_param_array(pgsizes, ulong, NULL, 0444);
MODULE_PARM_DESC(pgsizes, "Page size bitmap per instance");

static unsigned int aperture_bits[MOCK_IOMMU_MAX_INSTANCES] = {
	39, 48, 32, 39, 39, 39, 39, 39,
};
module_param_array(aperture_bits, uint, NULL, 0444);
MODULE_PARM_DESC(aperture_bits, "Aperture width in bits per instance, 32-64");

static unsigned long long aperture_start[MOCK_IOMMU_MAX_INSTANCES];
module_param_array(aperture_start, ullong, NULL, 0444);
MODULE_PARM_DESC(aperture_start, "First IOVA of the aperture per instance, 4 KiB aligned, below its end (default 0)");

static bool enforce_cc[MOCK_IOMMU_MAX_INSTANCES] = {
	true, false, true, true, true, true, true, true,
};
module_param_array(enforce_cc, bool, NULL, 0444);
MODULE_PARM_DESC(enforce_cc, "Instance can enforce cache coherency");

static bool dirty_tracking[MOCK_IOMMU_MAX_INSTANCES] = {
	false, true, false, false, false, false, false, false,
};
module_param_array(dirty_tracking, bool, NULL, 0444);
MODULE_PARM_DESC(dirty_tracking, "Instance has IOMMU dirty tracking (default N,Y,N,N..)");

static bool isolated_msi[MOCK_IOMMU_MAX_INSTANCES] = {
	true, true, false, true, true, true, true, true,
};
module_param_array(isolated_msi, bool, NULL, 0444);
MODULE_PARM_DESC(isolated_msi, "Instance's devices have isolated MSIs");

static unsigned int nr_emulated = 1;
module_param(nr_emulated, uint, 0444);
MODULE_PARM_DESC(nr_emulated, "Emulated (mdev-style) VFIO devices, 0-4 (default 1)");

#define MOCK_MSI_WINDOW "0xfee00000-0xfeefffff:msi"
static char *resv[MOCK_IOMMU_MAX_INSTANCES] = {
	MOCK_MSI_WINDOW, "none", MOCK_MSI_WINDOW, MOCK_MSI_WINDOW,
	"none", "none", "none", "none",
};
module_param_array(resv, charp, NULL, 0444);
MODULE_PARM_DESC(resv, "Reserved regions: none or START-END[:msi|sw_msi|reserved][+...]");

struct mock_instance *mock_instances[MOCK_IOMMU_MAX_INSTANCES];
unsigned int mock_nr_instances;

const struct bus_type mock_bus = {
	.name = MOCK_BUS_NAME,
};

#define MOCK_CNT_DESC(ID, _name, _kind)					\
	[MOCK_IOMMU_CNT_##ID] = { .name = #_name, .kind = _kind },
const struct mock_counter_desc mock_counter_descs[MOCK_CNT_NR] = {
	MOCK_IOMMU_COUNTERS(MOCK_CNT_DESC)
};

#undef MOCK_CNT_DESC

struct mock_instance *mock_instance_get(unsigned int index)
{
	if (index >= mock_nr_instances)
		return NULL;
	return mock_instances[index];
}

static const struct {
	const char *name;
	enum iommu_resv_type type;
} mock_resv_types[] = {
	{ "msi", IOMMU_RESV_MSI },
	{ "sw_msi", IOMMU_RESV_SW_MSI },
	{ "reserved", IOMMU_RESV_RESERVED },
};

const char *mock_resv_type_name(enum iommu_resv_type type)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(mock_resv_types); i++)
		if (mock_resv_types[i].type == type)
			return mock_resv_types[i].name;
	return "unknown";
}

/* One "START-END[:TYPE]" element of the resv parameter */
static int mock_parse_one_resv(struct mock_instance *inst, char *tok)
{
	char *type = strchr(tok, ':');
	char *end = strchr(tok, '-');
	struct mock_resv *r;
	unsigned int i;

	if (inst->nr_resv == MOCK_IOMMU_MAX_RESV || !end)
		return -EINVAL;
	r = &inst->resv[inst->nr_resv];
	*end++ = '\0';
	r->type = IOMMU_RESV_RESERVED;
	if (type) {
		*type++ = '\0';
		for (i = 0; i < ARRAY_SIZE(mock_resv_types); i++)
			if (!strcmp(type, mock_resv_types[i].name))
				break;
		if (i == ARRAY_SIZE(mock_resv_types))
			return -EINVAL;
		r->type = mock_resv_types[i].type;
	}
	if (kstrtou64(tok, 0, &r->start) || kstrtou64(end, 0, &r->end) ||
	    r->start > r->end)
		return -EINVAL;
	inst->nr_resv++;
	return 0;
}

static int mock_parse_resv(struct mock_instance *inst, const char *spec)
{
	char *buf __free(kfree) = NULL;
	char *cur, *tok;
	int rc;

	if (!spec || !*spec || !strcmp(spec, "none"))
		return 0;
	buf = kstrdup(spec, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	cur = buf;
	while ((tok = strsep(&cur, "+"))) {
		rc = mock_parse_one_resv(inst, tok);
		if (rc)
			return rc;
	}
	return 0;
}

static struct mock_instance *mock_instance_alloc(unsigned int index)
{
	struct mock_instance *inst __free(kfree) = NULL;
	unsigned long sizes = pgsizes[index];
	unsigned int bits = aperture_bits[index];
	int rc;

	if (!sizes || (sizes & (SZ_4K - 1)) || bits < 32 || bits > 64 ||
	    __fls(sizes) >= bits || !nr_devices[index] ||
	    nr_devices[index] > MOCK_IOMMU_MAX_DEVICES ||
	    !IS_ALIGNED(aperture_start[index], SZ_4K) ||
	    (bits < 64 && aperture_start[index] >= BIT_ULL(bits))) {
		pr_err("instance %u: bad pgsizes, aperture_bits, aperture_start or nr_devices\n",
		       index);
		return ERR_PTR(-EINVAL);
	}

	inst = kzalloc(sizeof(*inst), GFP_KERNEL);
	if (!inst)
		return ERR_PTR(-ENOMEM);
	inst->index = index;
	inst->pgsize_bitmap = sizes;
	inst->aperture_start = aperture_start[index];
	inst->aperture_end = bits == 64 ? U64_MAX : BIT_ULL(bits) - 1;
	inst->enforce_cc = enforce_cc[index];
	inst->dirty_tracking = dirty_tracking[index];
	inst->isolated_msi = isolated_msi[index];
	inst->nr_devices = nr_devices[index];
	spin_lock_init(&inst->inject_lock);
	init_waitqueue_head(&inst->hold_wq);
	rc = mock_parse_resv(inst, resv[index]);
	if (rc) {
		pr_err("instance %u: bad resv \"%s\"\n", index, resv[index]);
		return ERR_PTR(rc);
	}
	return_ptr(inst);
}

/* The fwnode only identifies the instance: it needs no operations */
static const struct fwnode_operations mock_fwnode_ops;

/* The MSI marker domain never allocates: it needs no operations */
static const struct irq_domain_ops mock_msi_domain_ops;

static int mock_instance_register(struct mock_instance *inst)
{
	int rc;

	if (inst->isolated_msi) {
		struct irq_domain_info info = {
			.domain_flags = IRQ_DOMAIN_FLAG_ISOLATED_MSI,
			.ops = &mock_msi_domain_ops,
			.host_data = inst,
		};

		inst->msi_fwnode =
			irq_domain_alloc_named_id_fwnode("vfio_mdom_mock_msi",
							 inst->index);
		if (!inst->msi_fwnode)
			return -ENOMEM;
		info.fwnode = inst->msi_fwnode;
		inst->msi_domain = irq_domain_instantiate(&info);
		if (IS_ERR(inst->msi_domain)) {
			rc = PTR_ERR(inst->msi_domain);
			inst->msi_domain = NULL;
			goto err_free_fwnode;
		}
	}

	fwnode_init(&inst->fwnode, &mock_fwnode_ops);
	rc = iommu_device_sysfs_add(&inst->iommu, NULL, NULL,
				    "vfio_mdom_mock_iommu%u", inst->index);
	if (rc)
		goto err_remove_msi;

	inst->iommu.fwnode = &inst->fwnode;
	rc = iommu_device_register_bus(&inst->iommu, &mock_iommu_ops,
				       &mock_bus, &inst->nb);
	if (rc)
		goto err_sysfs_remove;
	return 0;

err_sysfs_remove:
	iommu_device_sysfs_remove(&inst->iommu);
err_remove_msi:
	if (inst->msi_domain)
		irq_domain_remove(inst->msi_domain);
	inst->msi_domain = NULL;
err_free_fwnode:
	if (inst->msi_fwnode)
		irq_domain_free_fwnode(inst->msi_fwnode);
	inst->msi_fwnode = NULL;
	return rc;
}

static void mock_instance_unregister(struct mock_instance *inst)
{
	iommu_device_unregister_bus(&inst->iommu, &mock_bus, &inst->nb);
	iommu_device_sysfs_remove(&inst->iommu);
	if (inst->msi_domain)
		irq_domain_remove(inst->msi_domain);
	if (inst->msi_fwnode)
		irq_domain_free_fwnode(inst->msi_fwnode);
}

/* Undo mock_init(), whatever part of it was done */
static void mock_teardown(void)
{
	unsigned int i, j;

	for (i = 0; i < mock_nr_instances; i++) {
		struct mock_instance *inst = mock_instances[i];

		for (j = 0; j < inst->nr_devices; j++) {
			struct mock_dev *mdev;

			/* Unpublish first: domain frees scan devs[] */
			mutex_lock(&mock_domains_lock);
			mdev = inst->devs[j];
			inst->devs[j] = NULL;
			mutex_unlock(&mock_domains_lock);
			if (mdev)
				mock_dev_destroy(mdev);
		}
	}
	for (i = 0; i < mock_nr_instances; i++)
		mock_instance_unregister(mock_instances[i]);
	mock_debugfs_exit();
	for (i = 0; i < mock_nr_instances; i++) {
		kfree(mock_instances[i]);
		mock_instances[i] = NULL;
	}
	mock_nr_instances = 0;
}

static int __init mock_init(void)
{
	struct mock_instance *inst;
	struct mock_dev *mdev;
	unsigned int i, j;
	int rc;

	if (!nr_instances || nr_instances > MOCK_IOMMU_MAX_INSTANCES) {
		pr_err("nr_instances must be 1-%u\n", MOCK_IOMMU_MAX_INSTANCES);
		return -EINVAL;
	}
	if (nr_emulated > MOCK_IOMMU_MAX_EMULATED) {
		pr_err("nr_emulated must be 0-%u\n", MOCK_IOMMU_MAX_EMULATED);
		return -EINVAL;
	}

	rc = bus_register(&mock_bus);
	if (rc)
		return rc;
	rc = mock_driver_register();
	if (rc)
		goto err_bus_unregister;

	mock_debugfs_init();
	for (i = 0; i < nr_instances; i++) {
		inst = mock_instance_alloc(i);
		if (IS_ERR(inst)) {
			rc = PTR_ERR(inst);
			goto err_teardown;
		}
		rc = mock_instance_register(inst);
		if (rc) {
			kfree(inst);
			goto err_teardown;
		}
		mock_instances[mock_nr_instances++] = inst;
		mock_debugfs_add_instance(inst);
	}

	for (i = 0; i < mock_nr_instances; i++) {
		inst = mock_instances[i];
		for (j = 0; j < inst->nr_devices; j++) {
			mdev = mock_dev_create(inst, j);
			if (IS_ERR(mdev)) {
				rc = PTR_ERR(mdev);
				goto err_teardown;
			}
			mutex_lock(&mock_domains_lock);
			inst->devs[j] = mdev;
			mutex_unlock(&mock_domains_lock);
		}
	}
	rc = mock_emulated_init(nr_emulated);
	if (rc)
		goto err_teardown;
	return 0;

err_teardown:
	mock_teardown();
	mock_driver_unregister();
err_bus_unregister:
	bus_unregister(&mock_bus);
	return rc;
}

static void __exit mock_exit(void)
{
	mock_emulated_exit();
	mock_teardown();
	mock_driver_unregister();
	bus_unregister(&mock_bus);
}

module_init(mock_init);
module_exit(mock_exit);

/* In-kernel API */

unsigned int mock_iommu_nr_instances(void)
{
	return mock_nr_instances;
}
EXPORT_SYMBOL_GPL(mock_iommu_nr_instances);

int mock_iommu_instance_info(unsigned int index,
			     struct mock_iommu_instance_info *info)
{
	struct mock_instance *inst = mock_instance_get(index);
	unsigned int i;

	if (!inst)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->pgsize_bitmap = inst->pgsize_bitmap;
	info->aperture_start = inst->aperture_start;
	info->aperture_end = inst->aperture_end;
	info->enforce_cc = inst->enforce_cc;
	info->dirty_tracking = inst->dirty_tracking;
	info->isolated_msi = inst->isolated_msi;
	info->nr_devices = inst->nr_devices;
	info->nr_resv = inst->nr_resv;
	for (i = 0; i < inst->nr_resv; i++) {
		info->resv_start[i] = inst->resv[i].start;
		info->resv_end[i] = inst->resv[i].end;
		info->resv_type[i] = inst->resv[i].type;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(mock_iommu_instance_info);

unsigned int mock_iommu_nr_devices(unsigned int index)
{
	struct mock_instance *inst = mock_instance_get(index);

	return inst ? inst->nr_devices : 0;
}
EXPORT_SYMBOL_GPL(mock_iommu_nr_devices);

struct device *mock_iommu_device(unsigned int index, unsigned int idx)
{
	struct mock_instance *inst = mock_instance_get(index);

	if (!inst || idx >= inst->nr_devices || !inst->devs[idx])
		return NULL;
	return &inst->devs[idx]->dev;
}
EXPORT_SYMBOL_GPL(mock_iommu_device);

struct iommu_group *mock_iommu_group(unsigned int index, unsigned int idx)
{
	struct device *dev = mock_iommu_device(index, idx);

	return dev ? dev->iommu_group : NULL;
}
EXPORT_SYMBOL_GPL(mock_iommu_group);

bool mock_iommu_is_mock_device(struct device *dev)
{
	return dev && dev->bus == &mock_bus;
}
EXPORT_SYMBOL_GPL(mock_iommu_is_mock_device);

/* The counters of instance @index, or their sums for -1, into @v */
int mock_counters_read(int index, u64 v[MOCK_CNT_NR])
{
	unsigned int i, c;

	if (index < -1 || (index >= 0 && !mock_instance_get(index)))
		return -EINVAL;
	memset(v, 0, MOCK_CNT_NR * sizeof(v[0]));
	for (i = 0; i < mock_nr_instances; i++) {
		if (index >= 0 && i != index)
			continue;
		for (c = 0; c < MOCK_CNT_NR; c++)
			v[c] += atomic64_read(&mock_instances[i]->counters[c]);
	}
	return 0;
}

int mock_iommu_get_counters(int index, struct mock_iommu_counters *out)
{
	u64 v[MOCK_CNT_NR];
	int rc;

	rc = mock_counters_read(index, v);
	if (rc)
		return rc;
	/* The same counters in the same order, by name */
	BUILD_BUG_ON(sizeof(*out) != sizeof(v));
	memcpy(out, v, sizeof(v));
	return 0;
}
EXPORT_SYMBOL_GPL(mock_iommu_get_counters);

int mock_iommu_reset_counters(int index)
{
	unsigned int i, c;

	if (index < -1 || (index >= 0 && !mock_instance_get(index)))
		return -EINVAL;
	for (i = 0; i < mock_nr_instances; i++) {
		if (index >= 0 && i != index)
			continue;
		for (c = 0; c < MOCK_CNT_NR; c++)
			if (mock_counter_descs[c].kind != MOCK_IOMMU_COUNTER_GAUGE)
				atomic64_set(&mock_instances[i]->counters[c],
					     0);
		mutex_lock(&mock_domains_lock);
		for (c = 0; c < mock_instances[i]->nr_devices; c++)
			if (mock_instances[i]->devs[c])
				memset(&mock_instances[i]->devs[c]->last_fault,
				       0, sizeof(struct mock_iommu_fault));
		mutex_unlock(&mock_domains_lock);
	}
	return 0;
}
EXPORT_SYMBOL_GPL(mock_iommu_reset_counters);

/* iommu_dirty_bitmap_record() calls iova_bitmap_set() */
MODULE_IMPORT_NS(IOMMUFD);
MODULE_DESCRIPTION("vfio-mdom mock IOMMU (test only)");
MODULE_LICENSE("GPL");
