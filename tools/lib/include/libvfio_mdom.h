/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvfio_mdom: everything a program on vfio-mdom needs but the oracle
 * (libvfio_mdom/oracle.h), which only oracle_test includes.
 * See tools/lib/libvfio_mdom.mk for what each part holds.
 */
#ifndef _LIBVFIO_MDOM_H
#define _LIBVFIO_MDOM_H

#include <libvfio_mdom/sys.h>
#include <libvfio_mdom/vfio.h>
#include <libvfio_mdom/mdom.h>
#include <libvfio_mdom/mock.h>
#include <libvfio_mdom/edu.h>
#include <libvfio_mdom/dmabuf.h>
#include <libvfio_mdom/qemu.h>
#include <libvfio_mdom/events.h>
#include <libvfio_mdom/dpdk.h>

#endif /* _LIBVFIO_MDOM_H */
