// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom mock IOMMU: emulated (mdev-style) VFIO test devices.
 *
 * An emulated device has no IOMMU behind it: it is registered with
 * vfio_register_emulated_iommu_dev(), for which VFIO makes it an IOMMU
 * group of its own (VFIO_EMULATED_IOMMU, /dev/vfio/N), and it reaches the
 * memory a container maps with vfio_pin_pages(), vfio_unpin_pages() and
 * vfio_dma_rw(), as kvmgt, vfio-ccw or vfio-ap do. That is what a VFIO
 * IOMMU backend's pin_pages, unpin_pages and dma_rw serve. Tests command
 * the device through debugfs (emulated/emuN/, see main.c); pins.c keeps
 * what it holds pinned.
 *
 * Where the device sits: the IOMMU core probes the devices of the buses an
 * IOMMU serves (PCI and platform for Intel VT-d, the mock bus for the mock
 * instances) and would give such a device an IOMMU group before VFIO could
 * make its own. The emulated devices therefore sit on a bus of their own,
 * vfio_mdom_mock_emu, for which no IOMMU is registered, like mdev devices
 * on the mdev bus. They are bound to a driver of that bus because VFIO
 * takes a reference on dev->driver->owner while the VFIO device is open:
 * the module cannot go while a user holds one.
 */
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "mock_private.h"

static struct mock_emu *mock_emus[MOCK_IOMMU_MAX_EMULATED];
static unsigned int mock_nr_emus;

static const struct bus_type mock_emu_bus = {
	.name = MOCK_EMU_BUS_NAME,
};

/**
 * struct mock_emu_vdev - the VFIO face of an emulated device
 * @vdev: VFIO device; must be first (vfio_alloc_device())
 * @emu: the emulated device
 */
struct mock_emu_vdev {
	struct vfio_device vdev;
	struct mock_emu *emu;
};

static struct mock_emu *vdev_to_emu(struct vfio_device *vdev)
{
	return container_of(vdev, struct mock_emu_vdev, vdev)->emu;
}

static struct mock_emu *pins_to_emu(struct mock_pins *p)
{
	return container_of(p, struct mock_emu, pins);
}

/* The pins' way to VFIO; called only while the VFIO device is open */

static int mock_emu_pin_pages(struct mock_pins *p, u64 iova, int npages,
			      int prot, struct page **pages)
{
	return vfio_pin_pages(pins_to_emu(p)->vdev, iova, npages, prot, pages);
}

static void mock_emu_unpin_pages(struct mock_pins *p, u64 iova, int npages)
{
	vfio_unpin_pages(pins_to_emu(p)->vdev, iova, npages);
}

static int mock_emu_dma_rw(struct mock_pins *p, u64 iova, void *buf,
			   size_t len, bool write)
{
	return vfio_dma_rw(pins_to_emu(p)->vdev, iova, buf, len, write);
}

static const struct mock_pins_backend mock_emu_backend = {
	.pin = mock_emu_pin_pages,
	.unpin = mock_emu_unpin_pages,
	.rw = mock_emu_dma_rw,
};

static int mock_emu_open_device(struct vfio_device *vdev)
{
	mock_pins_open(&vdev_to_emu(vdev)->pins);
	return 0;
}

/* Before VFIO forgets the device: unpin what it holds */
static void mock_emu_close_device(struct vfio_device *vdev)
{
	mock_pins_close(&vdev_to_emu(vdev)->pins);
}

static void mock_emu_dma_unmap(struct vfio_device *vdev, u64 iova,
			       u64 length)
{
	mock_pins_dma_unmap(&vdev_to_emu(vdev)->pins, iova, length);
}

static const struct vfio_device_ops mock_emu_vfio_ops = {
	.name = "vfio-mdom-mock-emulated",
	.open_device = mock_emu_open_device,
	.close_device = mock_emu_close_device,
	.ioctl = mock_vfio_ioctl,
	.dma_unmap = mock_emu_dma_unmap,
	.bind_iommufd = vfio_iommufd_emulated_bind,
	.unbind_iommufd = vfio_iommufd_emulated_unbind,
	.attach_ioas = vfio_iommufd_emulated_attach_ioas,
	.detach_ioas = vfio_iommufd_emulated_detach_ioas,
};

static int mock_emu_probe(struct device *dev)
{
	struct mock_emu *emu = container_of(dev, struct mock_emu, dev);
	struct mock_emu_vdev *mvdev;
	int rc;

	mvdev = vfio_alloc_device(mock_emu_vdev, vdev, dev, &mock_emu_vfio_ops);
	if (IS_ERR(mvdev))
		return PTR_ERR(mvdev);
	mvdev->emu = emu;
	emu->vdev = &mvdev->vdev;

	rc = vfio_register_emulated_iommu_dev(&mvdev->vdev);
	if (rc)
		goto err_put_vdev;
	dev_set_drvdata(dev, mvdev);
	return 0;

err_put_vdev:
	emu->vdev = NULL;
	vfio_put_device(&mvdev->vdev);
	return rc;
}

static int mock_emu_remove(struct device *dev)
{
	struct mock_emu_vdev *mvdev = dev_get_drvdata(dev);

	/* Waits for users to close the device, which unpins everything */
	vfio_unregister_group_dev(&mvdev->vdev);
	mvdev->emu->vdev = NULL;
	vfio_put_device(&mvdev->vdev);
	return 0;
}

static struct device_driver mock_emu_driver = {
	.name = MOCK_EMU_BUS_NAME,
	.bus = &mock_emu_bus,
	.owner = THIS_MODULE,
	.probe = mock_emu_probe,
	.remove = mock_emu_remove,
	.suppress_bind_attrs = true,
};

static void mock_emu_release(struct device *dev)
{
	struct mock_emu *emu = container_of(dev, struct mock_emu, dev);

	mock_pins_destroy(&emu->pins);
	kfree(emu);
}

static struct mock_emu *mock_emu_create(unsigned int index)
{
	struct mock_emu *emu;
	int rc;

	emu = kzalloc(sizeof(*emu), GFP_KERNEL);
	if (!emu)
		return ERR_PTR(-ENOMEM);
	emu->index = index;
	mock_pins_init(&emu->pins, &mock_emu_backend);
	device_initialize(&emu->dev);
	emu->dev.bus = &mock_emu_bus;
	emu->dev.release = mock_emu_release;
	rc = dev_set_name(&emu->dev, MOCK_EMU_DEV_NAME "%u", index);
	if (rc)
		goto err_put;
	rc = device_add(&emu->dev);
	if (rc)
		goto err_put;

	/* The driver bound and VFIO gave the device its emulated group */
	if (!emu->dev.driver || !emu->dev.iommu_group) {
		dev_err(&emu->dev, "not registered with VFIO\n");
		rc = -ENODEV;
		goto err_unregister;
	}
	mock_debugfs_add_emulated(emu);
	return emu;

err_unregister:
	device_unregister(&emu->dev);
	return ERR_PTR(rc);
err_put:
	put_device(&emu->dev);
	return ERR_PTR(rc);
}

static void mock_emu_destroy(struct mock_emu *emu)
{
	mock_debugfs_remove_emulated(emu);
	device_unregister(&emu->dev);
}

static void mock_emu_destroy_all(void)
{
	while (mock_nr_emus) {
		mock_nr_emus--;
		mock_emu_destroy(mock_emus[mock_nr_emus]);
		mock_emus[mock_nr_emus] = NULL;
	}
}

/* Register the bus and the driver, and @nr emulated devices */
int mock_emulated_init(unsigned int nr)
{
	struct mock_emu *emu;
	int rc;

	if (nr > MOCK_IOMMU_MAX_EMULATED) {
		pr_err("nr_emulated must be 0-%u\n", MOCK_IOMMU_MAX_EMULATED);
		return -EINVAL;
	}
	rc = bus_register(&mock_emu_bus);
	if (rc)
		return rc;
	rc = driver_register(&mock_emu_driver);
	if (rc)
		goto err_bus_unregister;
	while (mock_nr_emus < nr) {
		emu = mock_emu_create(mock_nr_emus);
		if (IS_ERR(emu)) {
			rc = PTR_ERR(emu);
			goto err_destroy;
		}
		mock_emus[mock_nr_emus++] = emu;
	}
	return 0;

err_destroy:
	mock_emu_destroy_all();
	driver_unregister(&mock_emu_driver);
err_bus_unregister:
	bus_unregister(&mock_emu_bus);
	return rc;
}

/* Module unload: no emulated device is open (each open pins the module) */
void mock_emulated_exit(void)
{
	mock_emu_destroy_all();
	driver_unregister(&mock_emu_driver);
	bus_unregister(&mock_emu_bus);
}

struct mock_emu *mock_emu_get(unsigned int index)
{
	return index < mock_nr_emus ? mock_emus[index] : NULL;
}

/* In-kernel API */

unsigned int mock_iommu_nr_emulated(void)
{
	return mock_nr_emus;
}
EXPORT_SYMBOL_GPL(mock_iommu_nr_emulated);

struct device *mock_iommu_emulated_device(unsigned int idx)
{
	struct mock_emu *emu = mock_emu_get(idx);

	return emu ? &emu->dev : NULL;
}
EXPORT_SYMBOL_GPL(mock_iommu_emulated_device);

struct iommu_group *mock_iommu_emulated_group(unsigned int idx)
{
	struct mock_emu *emu = mock_emu_get(idx);

	return emu ? emu->dev.iommu_group : NULL;
}
EXPORT_SYMBOL_GPL(mock_iommu_emulated_group);

struct vfio_device *mock_iommu_emulated_vfio_device(unsigned int idx)
{
	struct mock_emu *emu = mock_emu_get(idx);

	return emu ? emu->vdev : NULL;
}
EXPORT_SYMBOL_GPL(mock_iommu_emulated_vfio_device);

bool mock_iommu_emulated_is_open(unsigned int idx)
{
	struct mock_emu *emu = mock_emu_get(idx);

	return emu && mock_pins_is_open(&emu->pins);
}
EXPORT_SYMBOL_GPL(mock_iommu_emulated_is_open);

int mock_iommu_emulated_pin(unsigned int idx, u64 iova, unsigned int npages,
			    int prot)
{
	struct mock_emu *emu = mock_emu_get(idx);

	return emu ? mock_pins_pin(&emu->pins, iova, npages, prot) : -EINVAL;
}
EXPORT_SYMBOL_GPL(mock_iommu_emulated_pin);

int mock_iommu_emulated_unpin(unsigned int idx, u64 iova, u64 npages)
{
	struct mock_emu *emu = mock_emu_get(idx);

	return emu ? mock_pins_unpin(&emu->pins, iova, npages) : -EINVAL;
}
EXPORT_SYMBOL_GPL(mock_iommu_emulated_unpin);

int mock_iommu_emulated_rw(unsigned int idx, u64 iova, void *buf, size_t len,
			   bool write)
{
	struct mock_emu *emu = mock_emu_get(idx);

	return emu ? mock_pins_rw(&emu->pins, iova, buf, len, write) : -EINVAL;
}
EXPORT_SYMBOL_GPL(mock_iommu_emulated_rw);

int mock_iommu_emulated_pinned(unsigned int idx, struct mock_iommu_pinned *out,
			       unsigned int max)
{
	struct mock_emu *emu = mock_emu_get(idx);

	return emu ? mock_pins_runs(&emu->pins, out, max) : -EINVAL;
}
EXPORT_SYMBOL_GPL(mock_iommu_emulated_pinned);

unsigned long mock_iommu_emulated_nr_pinned(unsigned int idx)
{
	struct mock_emu *emu = mock_emu_get(idx);

	return emu ? mock_pins_nr_pinned(&emu->pins) : 0;
}
EXPORT_SYMBOL_GPL(mock_iommu_emulated_nr_pinned);

int mock_iommu_emulated_unmap_calls(unsigned int idx, u64 *calls,
				    struct mock_iommu_unmap_call *out,
				    unsigned int max, unsigned int *nr)
{
	struct mock_emu *emu = mock_emu_get(idx);

	if (!emu)
		return -EINVAL;
	*calls = mock_pins_unmap_log(&emu->pins, out, max, nr);
	return 0;
}
EXPORT_SYMBOL_GPL(mock_iommu_emulated_unmap_calls);

int mock_iommu_emulated_reset_unmap_calls(unsigned int idx)
{
	struct mock_emu *emu = mock_emu_get(idx);

	if (!emu)
		return -EINVAL;
	mock_pins_reset_unmap_log(&emu->pins);
	return 0;
}
EXPORT_SYMBOL_GPL(mock_iommu_emulated_reset_unmap_calls);
