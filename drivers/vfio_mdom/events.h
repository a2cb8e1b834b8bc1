/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio-mdom container events (events.c) and DMA faults (fault.c): the
 * VFIO_MDOM_EVENTS file and what feeds it.
 *
 *   mdom_container --events (RCU)--> mdom_events <--private_data-- file
 *        ^                              |
 *        `----------- container --------'  (under mdom_events::lock)
 *
 * The container and the file each hold a reference; the link between
 * them is cut, under mdom_events::lock, by whichever goes first.
 */
#ifndef _VFIO_MDOM_EVENTS_H
#define _VFIO_MDOM_EVENTS_H

#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/vfio_mdom.h>

struct file;
struct mdom_container;
struct mdom_domain;
struct mdom_info;

#define MDOM_EVENTS_QUEUE_DEFAULT	256
#define MDOM_EVENTS_QUEUE_MIN		4
#define MDOM_EVENTS_QUEUE_MAX		4096
#define MDOM_EVENTS_FAULT_BURST		64

/**
 * struct mdom_event_ring - a bounded queue of records, allocated up front
 * @recs: @mask + 1 records
 * @mask: the number of records minus one (a power of two minus one)
 * @head: where the next record goes (free running)
 * @tail: the next record to read (free running)
 * @seq: number of the next record handed out
 * @dropped: records dropped since the last LOST record
 * @suppressed: faults not queued since the last LOST record
 *
 * No allocation and no sleeping: a full queue drops the record and counts
 * it. The caller serializes (mdom_events::lock).
 */
struct mdom_event_ring {
	struct vfio_mdom_event *recs;
	u32 mask;
	u32 head;
	u32 tail;
	u64 seq;
	u64 dropped;
	u64 suppressed;
};

/**
 * struct mdom_events - the event queue of a container's VFIO_MDOM_EVENTS
 * @lock: everything below but @users and @rcu; a leaf, taken with
 *	  interrupts off (IOMMU drivers report faults from their interrupt
 *	  handlers)
 * @container: the container while it and the file are both open
 * @gone: the container is gone: read() ends with end of file
 * @ring: the records
 * @fault_burst: fault records per second at most
 * @fault_window: jiffies when the current second began
 * @fault_nr: fault records queued in it
 * @wq: readers and pollers
 * @users: the file's reference and the container's (while linked)
 * @rcu: freed after a grace period: producers find it under RCU
 */
struct mdom_events {
	spinlock_t lock;	/* see above */
	struct mdom_container *container;
	bool gone;
	struct mdom_event_ring ring;
	u32 fault_burst;
	unsigned long fault_window;
	u32 fault_nr;
	wait_queue_head_t wq;
	refcount_t users;
	struct rcu_head rcu;
};

/* The ring, exposed for KUnit */
void mdom_event_ring_init(struct mdom_event_ring *ring,
			  struct vfio_mdom_event *recs, u32 nr);
bool mdom_event_ring_push(struct mdom_event_ring *ring,
			  const struct vfio_mdom_event *rec);
bool mdom_event_ring_pop(struct mdom_event_ring *ring,
			 struct vfio_mdom_event *out);
bool mdom_event_ring_pending(const struct mdom_event_ring *ring);
bool mdom_events_fault_allow(struct mdom_events *ev, unsigned long now);

/* The VFIO_MDOM_EVENTS file */
struct file *mdom_events_open(struct mdom_container *c,
			      struct vfio_mdom_events *cmd);
void mdom_events_container_gone(struct mdom_container *c);

/* Producers */
void mdom_events_info_changed(struct mdom_container *c,
			      const struct mdom_info *old,
			      const struct mdom_info *new);
void mdom_events_replay(struct mdom_container *c, u32 domain_id, int error,
			u32 nr_mappings, u64 bytes);
int mdom_events_fault(struct mdom_container *c, u32 domain_id, s32 group_id,
		      u64 iova, bool write);

/* fault.c */
void mdom_fault_install(struct mdom_container *c, struct mdom_domain *d);

#endif /* _VFIO_MDOM_EVENTS_H */
