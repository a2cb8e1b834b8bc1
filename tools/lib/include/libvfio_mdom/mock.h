/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvfio_mdom: the mock IOMMU (drivers/mock_iommu) through
 * its debugfs directory, whose formats are documented at the top of
 * drivers/mock_iommu/main.c: instances, devices, domains with their
 * translations, counters, fault injection and device-side DMA.
 *
 * Functions return 0 (or a count) or a negative errno; none asserts.
 */
#ifndef _LIBVFIO_MDOM_MOCK_H
#define _LIBVFIO_MDOM_MOCK_H

#include <libvfio_mdom/sys.h>
#include <libvfio_mdom/mock_cmd.h>

#define MOCK_DEBUGFS		"/sys/kernel/debug/vfio_mdom_mock_iommu"
#define MOCK_SYSFS_BUS		"/sys/bus/vfio_mdom_mock/devices"
#define MOCK_MAX_DEVS		64
#define MOCK_MAX_INSTS		8

/* Translation permissions in the domains file */
#define MOCK_PROT_READ		0x1
#define MOCK_PROT_WRITE		0x2
#define MOCK_PROT_CACHE		0x4
#define MOCK_PROT_RW		(MOCK_PROT_READ | MOCK_PROT_WRITE)

/* Is the mock IOMMU (vfio_mdom_mock_iommu.ko) loaded, its debugfs there? */
bool mock_loaded(void);

#define MOCK_MOD		"vfio_mdom_mock_iommu"
#define MOCK_SYSMOD		"/sys/module/" MOCK_MOD
#define MOCK_KO			"drivers/mock_iommu/" MOCK_MOD ".ko"

/*
 * The mock's .ko into @path: $MDOM_MODULES/MOCK_KO when that is an
 * absolute path (make coverage's build), else the repository's, four
 * directories above the running selftest. 0 or -errno (-ENOENT: none).
 */
int mock_module_path(char *path, size_t size);

/*
 * Unload the mock IOMMU and load it again with the module parameters
 * @params ("nr_instances=2 aperture_start=0,0x100000000 ...", see
 * drivers/mock_iommu/main.c; "" for the defaults make check loads). Its
 * devices, groups and counters are new. Nothing may hold the mock (no
 * container with one of its groups). 0 or -errno.
 */
int mock_reload(const char *params);

/* ---- instances and devices ------------------------------------------------ */

struct mock_inst {
	int inst;
	uint64_t pgsizes;
	uint64_t aperture_start, aperture_end;
	bool enforce_cc;
	bool isolated_msi;
	int devices;
};

/* Every instance into @out (room for @max); returns how many. */
int mock_instances(struct mock_inst *out, int max);

struct mock_dev {
	char name[64];
	int inst;
	int index;
	int group;		/* /dev/vfio/<group> */
	unsigned int domain;	/* mock domain attached now, 0: blocked */
};

/* Every device into @out (room for @max); returns how many. */
int mock_devices(struct mock_dev *out, int max);

/* Device @index of instance @inst; -ENOENT if there is none. */
int mock_find_dev(int inst, int index, struct mock_dev *out);

/* The mock domain device @index of @inst is attached to (0: none). */
unsigned int mock_dev_domain(int inst, int index);

/* ---- domains and translations --------------------------------------------- */

struct mock_xlate {
	uint64_t iova;
	uint64_t phys;
	uint64_t size;
	unsigned int prot;
};

struct mock_domain {
	unsigned int id;
	int inst;
	uint64_t pgsizes;
	uint64_t aperture_start, aperture_end;
	bool enforce_cc;
	unsigned int attached;
	unsigned long translations;
	unsigned long flush_pending;
	unsigned long nx;		/* translations listed */
	struct mock_xlate *x;		/* into mock_dump::x */
};

#define MOCK_DUMP_DOMAINS	64

/*
 * Every live mock domain and its translations, from one read of the
 * domains file. Zero-initialise, fill with mock_dump_read() (as often as
 * needed), release with mock_dump_free().
 */
struct mock_dump {
	unsigned int ndomains;
	struct mock_domain d[MOCK_DUMP_DOMAINS];
	unsigned long nx, maxx;
	struct mock_xlate *x;
	char *text;
	size_t text_size;
};

/* A "domain ..." line of the domains file into @d: false if malformed. */
bool mock_parse_domain(const char *line, struct mock_domain *d);

/* Append translation @x to @dump: 0 or -ENOMEM. */
int mock_dump_add_xlate(struct mock_dump *dump, const struct mock_xlate *x);

/* Read the domains file into @dump (again): 0, -EPROTO or -errno. */
int mock_dump_read(struct mock_dump *dump);

/* Release what mock_dump_read() allocated; @dump is zeroed again. */
void mock_dump_free(struct mock_dump *dump);

/* Domain @id of @dump, or NULL. */
struct mock_domain *mock_dump_domain(struct mock_dump *dump, unsigned int id);

/* Number of live mock domains, or a negative errno. */
int mock_nr_domains(void);

/*
 * Does mock domain @id translate every page of [@iova, +@size) to the
 * physical page of this process's memory at @vaddr + the same offset
 * (/proc/self/pagemap: needs root), with exactly the permissions @prot
 * (MOCK_PROT_*, IOMMU_CACHE included)? 0 if it does, else the first
 * thing wrong:
 *   -ENOENT  there is no mock domain @id
 *   -ENXIO   a page of the range has no translation
 *   -EACCES  a page is translated with other permissions
 *   -EXDEV   a page is translated to another physical page (or the
 *            process's page is not present)
 * or another -errno if the domain or pagemap could not be read.
 */
int mock_domain_covers(unsigned int id, uint64_t iova,
		       uint64_t size, unsigned int prot,
		       const void *vaddr);

/* Translations of mock domain @id in [@iova, +@size): a count, or -errno */
long mock_domain_xlates_in(unsigned int id, uint64_t iova, uint64_t size);

/* ---- counters ---------------------------------------------------------------- */

/*
 * The mock's counters are those of drivers/mock_iommu/mock_iommu_test.h
 * (MOCK_IOMMU_CNT_*), each of a kind (mock_cmd_counter_kind()): no error
 * counter may move while a correct IOMMU user drives the mock; the gauges
 * come back to where they were when a user goes.
 */
#define mock_counter_name(id) mock_cmd_counter_name(id)

struct mock_counters {
	long long v[MOCK_IOMMU_NR_COUNTERS];
};

/* Every counter of instance @inst, or summed over all for @inst < 0. */
int mock_counters(int inst, struct mock_counters *c);

/* Counter @id of instance @inst (summed over all for @inst < 0), or -errno */
long long mock_counter(enum mock_iommu_counter_id id, int inst);

/*
 * The first error counter that moved from @before to @after, or -1, and
 * the same for the gauges when @gauges. @allow_leaks lets
 * leaked_translations move (type1 frees domains still mapped).
 */
int mock_counters_moved(const struct mock_counters *before,
			const struct mock_counters *after,
			bool gauges, bool allow_leaks);

/* ---- fault injection --------------------------------------------------------- */

/* Write @val to the knob @file of instance @inst (inst<N>/@file). */
int mock_inst_write(int inst, const char *file, const char *val);

/* The first line of the knob @file of instance @inst into @buf. */
int mock_inst_read(int inst, const char *file, char *buf, size_t size);

/*
 * The @nth map_pages() on a domain of @inst fails with @err (an errno,
 * positive or negative; 0 or @nth 0: cancel).
 */
int mock_fail_nth_map(int inst, unsigned int nth, int err);

/* The next domain allocation (or attach) of @inst fails with @err (±errno). */
int mock_fail_domain_alloc(int inst, int err);

/* The next attach of a device of @inst fails with @err (±errno, 0: cancel). */
int mock_fail_attach(int inst, int err);

/*
 * Hold the next unmap_pages() on a domain of @inst in flight (@on), or
 * release the one held and disarm (!@on).
 */
int mock_hold_unmap(int inst, bool on);

/* 0: nothing armed, 1: armed, 2: an unmap_pages() is held; or -errno */
int mock_hold_unmap_state(int inst);

/* Every unmap_pages() on a domain of @inst sleeps @us in flight. */
int mock_unmap_delay(int inst, unsigned int us);

/* ---- device-side DMA ---------------------------------------------------------- */

/*
 * Device @name DMAs: writes @len bytes of @buf to memory at @iova
 * (@write_mem) or reads them. 0, -EIO for a translation fault, -EACCES
 * for a permission fault.
 */
int mock_dma(const char *name, uint64_t iova, void *buf,
	     size_t len, bool write_mem);

/* mock_dma() writing memory at @iova, and reading it. */
int mock_dma_write(const char *name, uint64_t iova,
		   const void *buf, size_t len);
int mock_dma_read(const char *name, uint64_t iova, void *buf, size_t len);

/* The device's last fault, "iova 0x.. reason R dir D domain N count C". */
int mock_last_fault(const char *name, char *buf, size_t size);

/* ---- emulated (mdev-style) devices ---------------------------------------- */

/*
 * Emulated device N: VFIO device "vfio_mdom_emuN" in an emulated IOMMU
 * group, driven through emulated/emuN/ (drivers/mock_iommu/main.c). Its
 * pins and DMA need the device open (its group in a container with an
 * IOMMU set, the device fd open): ENOTCONN otherwise.
 */
#define MOCK_EMU_NAME		"vfio_mdom_emu"

/* The path of @file in emulated/emu<@emu>/ into @path */
void mock_emu_path(char *path, size_t size, int emu, const char *file);

/* The IOMMU group number of emulated device @emu, or a negative errno */
int mock_emu_group(int emu);

/* vfio_pin_pages() of @npages from @iova, @prot "r", "w" or "rw" */
int mock_emu_pin(int emu, uint64_t iova, unsigned int npages, const char *prot);

/* vfio_unpin_pages() of @npages from @iova */
int mock_emu_unpin(int emu, uint64_t iova, unsigned int npages);

/* vfio_dma_rw(): the device writes @buf to (@write_mem) or reads @iova */
int mock_emu_dma(int emu, uint64_t iova, void *buf, size_t len, bool write_mem);

/* "open 0|1 pinned_pages N": *@open and *@pinned */
int mock_emu_state(int emu, int *open_now, long *pinned);

/*
 * The dma_unmap() calls VFIO made to emulated device @emu: how many since
 * the last reset, and the range of the last one (0, 0 for none).
 */
long mock_emu_unmap_calls(int emu, uint64_t *iova, uint64_t *length);

/*
 * Make emulated device @emu keep its pins through dma_unmap() (@keep), as
 * a broken driver, or let them go again.
 */
int mock_emu_keep_on_unmap(int emu, bool keep);

/* Reset what mock_emu_unmap_calls() counts. */
int mock_emu_reset_unmap_calls(int emu);

/* ---- emulated devices: what they hold ------------------------------------- */

struct mock_emu_run {
	uint64_t iova;
	uint64_t npages;
	char prot[4];		/* "r", "w" or "rw" */
	uint64_t phys;		/* of the first page */
};

/*
 * The runs of pages emulated device @emu holds pinned (emulated/emuN/
 * pinned), up to @max into @out: how many there are, or a negative errno.
 */
int mock_emu_pinned(int emu, struct mock_emu_run *out, int max);

/* ---- dirty tracking ---------------------------------------------------------- */

/*
 * Dirty tracking of mock domain @id: *@tracking (enabled now) and
 * *@capable (the domain has dirty_ops). -ENOENT if there is no such domain.
 */
int mock_domain_dirty(unsigned int id, bool *tracking, bool *capable);

/* ---- two devices that never share a domain ------------------------------- */

/*
 * The set-up that the events, fault and windows selftests share: device 0
 * of mock instances 0 and 1 (which never share a domain) with their
 * groups open, optionally the group of emulated device 0 open too, an
 * empty container (no IOMMU set) and @len bytes of anonymous memory,
 * populated and zeroed. mock_pair_init() makes it closed (fds -1, no
 * memory), so that mock_pair_close() may follow any mock_pair_open(),
 * whole, failed or never made.
 */
struct mock_pair {
	struct mock_dev dev[2];
	int gfd[2];
	int egroup;		/* the emulated device's group, or -1 */
	int egfd;
	int container;
	uint8_t *buf;		/* MAP_FAILED: none */
	size_t len;
};

void mock_pair_init(struct mock_pair *p);

/* Open @p (after mock_pair_init()), with the emulated group if @emulated */
int mock_pair_open(struct mock_pair *p, bool emulated, size_t len);

/* Close what @p holds: the container first, then the groups */
void mock_pair_close(struct mock_pair *p);

#endif /* _LIBVFIO_MDOM_MOCK_H */
