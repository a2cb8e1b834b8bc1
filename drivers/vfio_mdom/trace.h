/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio-mdom tracepoints (trace system "vfio_mdom"): where a VM start spends
 * its time. Each event fires when the operation ends, successful or not,
 * with its result and, since the event was enabled, its duration in ns
 * (0 if it was enabled while the operation ran):
 *
 * Events: mdom_map, mdom_unmap, mdom_pin, mdom_attach, mdom_replay.
 *
 *   perf trace -e 'vfio_mdom:*' qemu-system-x86_64 ...
 *   trace-cmd record -e vfio_mdom ...
 */
#ifndef _VFIO_MDOM_TRACE_CLOCK_H
#define _VFIO_MDOM_TRACE_CLOCK_H
#include <linux/ktime.h>

/* Start timing an operation only while its event is enabled. */
static inline u64 mdom_trace_clock(bool enabled)
{
	return enabled ? ktime_get_ns() : 0;
}

static inline u64 mdom_trace_ns(u64 start)
{
	return start ? ktime_get_ns() - start : 0;
}
#endif

#undef TRACE_SYSTEM
#define TRACE_SYSTEM vfio_mdom

#if !defined(_VFIO_MDOM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _VFIO_MDOM_TRACE_H

#include <linux/tracepoint.h>

/* VFIO_IOMMU_MAP_DMA of a container, pinning and IOMMU work included. */
TRACE_EVENT(mdom_map,
	    TP_PROTO(u32 container, u64 iova, u64 size, unsigned long vaddr,
		     int prot, u32 ndomains, int ret, u64 ns),
	    TP_ARGS(container, iova, size, vaddr, prot, ndomains, ret, ns),
	    TP_STRUCT__entry(__field(u32, container)
			     __field(u64, iova)
			     __field(u64, size)
			     __field(unsigned long, vaddr)
			     __field(int, prot)
			     __field(u32, ndomains)
			     __field(int, ret)
			     __field(u64, ns)),
	    TP_fast_assign(__entry->container = container;
			   __entry->iova = iova;
			   __entry->size = size;
			   __entry->vaddr = vaddr;
			   __entry->prot = prot;
			   __entry->ndomains = ndomains;
			   __entry->ret = ret;
			   __entry->ns = ns;),
	    TP_printk("container=%u iova=%#llx size=%#llx vaddr=%#lx prot=%#x domains=%u ret=%d ns=%llu",
		      __entry->container, __entry->iova, __entry->size,
		      __entry->vaddr, __entry->prot, __entry->ndomains,
		      __entry->ret, __entry->ns)
);

/* VFIO_IOMMU_UNMAP_DMA: the range asked, what went, and how many. */
TRACE_EVENT(mdom_unmap,
	    TP_PROTO(u32 container, u64 iova, u64 size, bool all, u64 unmapped,
		     u32 nmappings, int ret, u64 ns),
	    TP_ARGS(container, iova, size, all, unmapped, nmappings, ret, ns),
	    TP_STRUCT__entry(__field(u32, container)
			     __field(u64, iova)
			     __field(u64, size)
			     __field(bool, all)
			     __field(u64, unmapped)
			     __field(u32, nmappings)
			     __field(int, ret)
			     __field(u64, ns)),
	    TP_fast_assign(__entry->container = container;
			   __entry->iova = iova;
			   __entry->size = size;
			   __entry->all = all;
			   __entry->unmapped = unmapped;
			   __entry->nmappings = nmappings;
			   __entry->ret = ret;
			   __entry->ns = ns;),
	    TP_printk("container=%u iova=%#llx size=%#llx all=%d unmapped=%#llx mappings=%u ret=%d ns=%llu",
		      __entry->container, __entry->iova, __entry->size,
		      __entry->all, __entry->unmapped, __entry->nmappings,
		      __entry->ret, __entry->ns)
);

/* Pinning (and charging) one mapping's user pages. */
TRACE_EVENT(mdom_pin,
	    TP_PROTO(unsigned long vaddr, unsigned long npages,
		     unsigned int nruns, bool remote, int ret, u64 ns),
	    TP_ARGS(vaddr, npages, nruns, remote, ret, ns),
	    TP_STRUCT__entry(__field(unsigned long, vaddr)
			     __field(unsigned long, npages)
			     __field(unsigned int, nruns)
			     __field(bool, remote)
			     __field(int, ret)
			     __field(u64, ns)),
	    TP_fast_assign(__entry->vaddr = vaddr;
			   __entry->npages = npages;
			   __entry->nruns = nruns;
			   __entry->remote = remote;
			   __entry->ret = ret;
			   __entry->ns = ns;),
	    TP_printk("vaddr=%#lx npages=%lu runs=%u remote=%d ret=%d ns=%llu",
		      __entry->vaddr, __entry->npages, __entry->nruns,
		      __entry->remote, __entry->ret, __entry->ns)
);

/* A group attached: the domain it joined or got, replay included. */
TRACE_EVENT(mdom_attach,
	    TP_PROTO(u32 container, int group, u32 domain, bool new_domain,
		     int ret, u64 ns),
	    TP_ARGS(container, group, domain, new_domain, ret, ns),
	    TP_STRUCT__entry(__field(u32, container)
			     __field(int, group)
			     __field(u32, domain)
			     __field(bool, new_domain)
			     __field(int, ret)
			     __field(u64, ns)),
	    TP_fast_assign(__entry->container = container;
			   __entry->group = group;
			   __entry->domain = domain;
			   __entry->new_domain = new_domain;
			   __entry->ret = ret;
			   __entry->ns = ns;),
	    TP_printk("container=%u group=%d domain=%u new=%d ret=%d ns=%llu",
		      __entry->container, __entry->group, __entry->domain,
		      __entry->new_domain, __entry->ret, __entry->ns)
);

/* Every mapping replayed into a new domain. */
TRACE_EVENT(mdom_replay,
	    TP_PROTO(u32 container, u32 nmappings, u64 bytes, u64 pinned,
		     int ret, u64 ns),
	    TP_ARGS(container, nmappings, bytes, pinned, ret, ns),
	    TP_STRUCT__entry(__field(u32, container)
			     __field(u32, nmappings)
			     __field(u64, bytes)
			     __field(u64, pinned)
			     __field(int, ret)
			     __field(u64, ns)),
	    TP_fast_assign(__entry->container = container;
			   __entry->nmappings = nmappings;
			   __entry->bytes = bytes;
			   __entry->pinned = pinned;
			   __entry->ret = ret;
			   __entry->ns = ns;),
	    TP_printk("container=%u mappings=%u bytes=%#llx pinned_now=%llu ret=%d ns=%llu",
		      __entry->container, __entry->nmappings, __entry->bytes,
		      __entry->pinned, __entry->ret, __entry->ns)
);
#endif /* _VFIO_MDOM_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
