/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvfio_mdom: Debian's DPDK 22.11 (package dpdk-dev) in the test guest,
 * whose root is the host's, read-only over 9p.
 */
#ifndef _LIBVFIO_MDOM_DPDK_H
#define _LIBVFIO_MDOM_DPDK_H

#define DPDK_LIB	"/usr/lib/x86_64-linux-gnu/dpdk"
#define DPDK_PMDS	DPDK_LIB "/pmds-23.0"
/* A hugetlbfs of 2 MiB pages for EAL's memory (--huge-dir) */
#define DPDK_HUGE	DPDK_LIB "/hugepages"

/*
 * EAL loads every driver of its plugin directory, 64 of them with their
 * libraries: minutes from the 9p root under TCG. In a mount namespace of
 * the calling process (its children inherit it), leave in that
 * directory only the drivers a client of the guest's e1000 NICs needs
 * (the PCI bus, e1000, the ring mempool) and mount a hugetlbfs on
 * DPDK_HUGE. Once per process. 0 or -errno.
 */
int dpdk_plugins_only_needed(void);

#endif /* _LIBVFIO_MDOM_DPDK_H */
