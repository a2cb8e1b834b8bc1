/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvfio_mdom: an unmodified VMM. Debian's QEMU
 * (qemu-system-x86_64 from the host root, present in the guest) started
 * as a paused TCG machine with PCI devices assigned through VFIO
 * (-device vfio-pci,host=BDF) and driven over its QMP socket.
 *
 * With -S QEMU sets the machine up (and VFIO maps all guest RAM into its
 * container) before it sends the QMP greeting; "cont" runs it, "quit"
 * ends it. QEMU is started with PR_SET_PDEATHSIG: it never outlives the
 * process that started it. Its output goes to a log file.
 *
 * Functions return 0 or a negative errno; nothing here asserts.
 */
#ifndef _LIBVFIO_MDOM_QEMU_H
#define _LIBVFIO_MDOM_QEMU_H

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <libvfio_mdom/sys.h>

#define QEMU_BIN		"/usr/bin/qemu-system-x86_64"
/* The machine's RAM (-m) */
#define QEMU_RAM		(256ULL << 20)
/* Firmware and option ROMs QEMU maps read-only next to guest RAM */
#define QEMU_ROMS_MAX		(16ULL << 20)
#define QEMU_START_TIMEOUT_MS	(240 * 1000)
#define QEMU_QMP_TIMEOUT_MS	(120 * 1000)
#define QEMU_QUIT_TIMEOUT_MS	(60 * 1000)
#define QEMU_MAX_DEVICES	4

struct qemu_vm {
	pid_t pid;		/* -1 once QEMU has been reaped */
	int qmp;		/* the QMP socket, -1 before qemu_qmp_open() */
	char sock[96];
	char log[96];
	char rx[1 << 16];	/* QMP bytes received, not yet consumed */
	size_t rx_len;
};

/* Set @vm up for qemu_start(): paths unique to this process. */
void qemu_init(struct qemu_vm *vm);

/*
 * Start QEMU_BIN with @argv (NULL-terminated, argv[0] included), its output
 * to vm->log, killed if this process dies: 0 with vm->pid set.
 */
int qemu_spawn(struct qemu_vm *vm, const char *const *argv);

/*
 * Start QEMU, paused, with the @n PCI devices @bdfs assigned through VFIO,
 * behind a vIOMMU of the machine's own (-device intel-iommu,caching-mode=on:
 * QEMU then opens a container per device) if @viommu. 0 or -errno.
 */
int qemu_start(struct qemu_vm *vm, const char *const *bdfs,
	       unsigned int n, bool viommu);

/* Is QEMU still running? If not, *@status is its wait status. */
bool qemu_alive(struct qemu_vm *vm, int *status);

/*
 * The next QMP message that is not an event (the greeting, an answer or
 * an error), without its spaces, into @out. 0, or -ETIMEDOUT, -EPIPE
 * (QEMU closed the socket), -E2BIG.
 */
int qemu_qmp_read(struct qemu_vm *vm, char *out, size_t size,
		  unsigned int timeout_ms);

/* Execute QMP command @cmd: 0 and its answer in @out, or -errno. */
int qemu_qmp(struct qemu_vm *vm, const char *cmd, char *out, size_t size);

/*
 * Connect to QEMU's QMP socket (waiting for QEMU to create it), read the
 * greeting (sent once the machine, with its DMA mappings, is set up) and
 * enter command mode. 0; -ECHILD if QEMU ended (*@status), or -errno.
 */
int qemu_qmp_open(struct qemu_vm *vm, int *status, char *out, size_t size);

/* QMP "quit", then wait for QEMU to end: 0 and its wait status, or -errno */
int qemu_quit(struct qemu_vm *vm, int *status);

/* Kill QEMU if it still runs, close the socket: for every exit path. */
void qemu_stop(struct qemu_vm *vm);

/* QEMU's emulated NVMe controller (-device nvme): QEMU's nvme:// driver */
#define NVME_VENDOR		"0x1b36"
#define NVME_DEVICE		"0x0010"

/*
 * QEMU 7.2's NVMe controller marks the admin completion queue's MSI-X
 * vector used only if MSI-X is enabled when the driver sets CC.EN
 * (nvme_init_cq()), and QEMU's nvme:// driver enables MSI-X
 * (VFIO_DEVICE_SET_IRQS) only after CC.EN: msix_notify() drops every
 * interrupt of a vector never used, and the client waits forever for its
 * first admin command, on type1 and on vfio-mdom alike (Documentation/
 * testing.rst has the trace).
 *
 * nvme_msix_at_cc_en() sets the MSI-X enable bit of the NVMe controller
 * @bdf (bound to vfio-pci) in its config space, through sysfs and not
 * VFIO, with its vector table masked as reset left it; nothing else
 * writes the bit before the client's own VFIO_DEVICE_SET_IRQS, once
 * vfio-pci does not reset the function when the client opens it (an FLR
 * clears the bit). So the device's reset methods are emptied first; the
 * old ones are saved in @saved (@size bytes). Call it just before the
 * nvme:// client starts. 0, -ENOENT without an MSI-X capability, or
 * -errno.
 *
 * nvme_reset_restore() puts the reset methods back ("default") on @bdf,
 * if @bdf is not "", and empties @bdf: for every exit path.
 */
int nvme_msix_at_cc_en(const char *bdf, char *saved, size_t size);
void nvme_reset_restore(char *bdf);

/* How many times @what occurs in @text (QMP answers) */
unsigned int str_count(const char *text, const char *what);

#endif /* _LIBVFIO_MDOM_QEMU_H */
