/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvfio_mdom: what is vfio-mdom's own on a VFIO container.
 *
 * - VFIO_MDOM_QUERY (include/uapi/linux/vfio_mdom.h), which also tells
 *   which IOMMU driver serves a container: it fails with ENOTTY on one
 *   served by the kernel's vfio_iommu_type1, and with EINVAL (from VFIO)
 *   on one without an IOMMU driver yet;
 * - the debugfs file /sys/kernel/debug/vfio_mdom/containers;
 * - the module parameters of vfio_mdom and of vfio_iommu_type1
 *   (vfio_backend, dma_entry_limit, allow_unsafe_interrupts).
 *
 * Function conventions as in vfio.h.
 */
#ifndef _LIBVFIO_MDOM_MDOM_H
#define _LIBVFIO_MDOM_MDOM_H

#include <linux/vfio_mdom.h>

#include <libvfio_mdom/vfio.h>

#define MDOM_MOD		"vfio_mdom"
#define TYPE1_MOD		"vfio_iommu_type1"
#define MDOM_DEBUGFS		"/sys/kernel/debug/vfio_mdom"

/* ---- which driver serves a container ------------------------------------ */

/* Is vfio_mdom.ko loaded (its vfio_backend parameter there)? */
bool mdom_loaded(void);

/*
 * VFIO_MDOM_TEST_BACKEND=type1 in the environment runs the selftests that
 * allow it against the kernel's vfio_iommu_type1 (vfio_mdom not loaded,
 * or its vfio_backend off): every check of what VFIO shows stays, the
 * checks of vfio-mdom's own interfaces (query, debugfs) are left out. It
 * shows that the tests expect what type1 does.
 */
bool mdom_test_on_type1(void);

/*
 * The driver serving @container: 0 for vfio-mdom, -ENOTTY for another
 * (type1), -EINVAL for none yet (no VFIO_SET_IOMMU). The query has no room
 * for domains or groups: vfio-mdom's EMSGSIZE is an answer too.
 */
int _mdom_backend(int container);

/* The containers of a process, by the driver that serves them */
struct backends {
	int mdom;	/* containers vfio-mdom serves */
	int type1;	/* containers type1 serves */
	int other;	/* containers nobody serves yet, or unreadable */
	/* what VFIO_MDOM_QUERY says of vfio-mdom's, summed */
	int v1;		/* VFIO_TYPE1_IOMMU (v1) containers */
	int empty;	/* containers with no mapping */
	uint64_t groups, mappings, mapped_bytes, pinned_pages;
};

/*
 * Every /dev/vfio/vfio fd of process @pid (a VFIO client: QEMU,
 * qemu-img, DPDK), duplicated into ours with pidfd_getfd() and asked
 * which driver serves it. 0 or -errno.
 */
int client_backends(pid_t pid, struct backends *b);

/* vfio_backend: 1 (new containers get vfio-mdom), 0, or -errno. */
int mdom_backend_enabled(void);

/* Switch vfio_backend; params_restore(@ps) puts it back. */
int mdom_set_backend(struct params *ps, bool on);

/*
 * Set the parameter @name (dma_entry_limit, allow_unsafe_interrupts) of
 * both drivers, type1 and vfio-mdom (when loaded), to @val.
 */
int params_set_both(struct params *ps, const char *name, const char *val);

/* ---- VFIO_MDOM_QUERY ------------------------------------------------------ */

#define MDOM_MAX_DOMAINS	8
#define MDOM_MAX_GROUPS		16
#define MDOM_MAX_WINDOWS	64

/*
 * VFIO_MDOM_QUERY with room for every domain, group and window a test
 * makes (the windows filled in by _mdom_query_windows() only).
 */
struct mdom_state {
	struct vfio_mdom_query q;
	struct vfio_mdom_domain_info domains[MDOM_MAX_DOMAINS];
	struct vfio_mdom_group_info groups[MDOM_MAX_GROUPS];
	struct vfio_mdom_window windows[MDOM_MAX_WINDOWS];
};

/* VFIO_MDOM_QUERY of @container into @st: 0 or -errno */
int _mdom_query(int container, struct mdom_state *st);

/* The same with the windows too (VFIO_MDOM_QUERY_WINDOWS) */
int _mdom_query_windows(int container, struct mdom_state *st);

struct vfio_mdom_domain_info *
mdom_state_domain(struct mdom_state *st, uint32_t id);

/* The domain id group @group is attached to: >0, 0 (emulated), -1. */
long mdom_state_group_domain(struct mdom_state *st, int group);

/*
 * The windows of @st that belong to domain @id (0: the declared ones),
 * up to @max into @out: how many there are.
 */
int mdom_state_windows(struct mdom_state *st, uint32_t id,
		       struct vfio_mdom_window *out, int max);

/*
 * VFIO_MDOM_SET_MODE: @mode VFIO_MDOM_MODE_*, with the @n declared
 * windows @win (NULL for none). 0 or -errno.
 */
int _mdom_set_mode(int container, uint32_t mode,
		   const struct vfio_iova_range *win, uint32_t n);

/* ---- debugfs: containers ------------------------------------------------ */

#define MDOM_DBG_GROUPS		16

struct mdom_dbg_domain {
	uint32_t id;
	char driver[32];
	char iommu[64];
	uint64_t pgsizes;
	uint64_t aperture_start, aperture_end;
	uint64_t mapped_bytes;
	bool enforce_cc, dirty_tracking;
	int ngroups;
	int groups[MDOM_DBG_GROUPS];
};

struct mdom_dbg_container {
	uint32_t id;
	int pid;
	char comm[32];
	int type;
	uint64_t mappings, mapped_bytes;
	uint64_t pinned_pages, locked_pages, shared_pages;
	uint64_t dma_avail, vaddr_invalid;
	char dirty[16];
	int ndomains;
	struct mdom_dbg_domain domains[MDOM_MAX_DOMAINS];
	int nemulated;
	int emulated[MDOM_DBG_GROUPS];
};

bool mdom_dbg_parse_container(const char *line, struct mdom_dbg_container *c);

bool mdom_dbg_parse_domain(const char *line, struct mdom_dbg_domain *d);

/*
 * The containers of process @pid (every container for @pid < 0) as
 * vfio-mdom's debugfs shows them, up to @max into @out. Returns how many
 * there are (possibly more than @max), -EPROTO for a line it cannot
 * parse, or another negative errno.
 */
int mdom_dbg_containers(int pid, struct mdom_dbg_container *out, int max);

/* Does debugfs domain @d list group @group? */
bool mdom_dbg_domain_has(const struct mdom_dbg_domain *d, int group);

#endif /* _LIBVFIO_MDOM_MDOM_H */
