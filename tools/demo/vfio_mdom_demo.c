// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom demo: one VFIO container, three IOMMU domains.
 *
 * Opens /dev/vfio/vfio as any VMM does. A device of mock IOMMU 0 joins
 * first and VFIO_SET_IOMMU(VFIO_TYPE1v2_IOMMU) gives the container to
 * vfio-mdom; memory is mapped; then an edu device behind the Intel vIOMMU
 * (bound to vfio-pci) and a device of mock IOMMU 1 join: neither can share
 * a domain with what is there, each gets a domain of its own, into which
 * every existing mapping is replayed. Prints the domains, the valid IOVA
 * ranges and the accounting (the pages are pinned and charged to
 * locked_vm once, whatever the number of domains), then has the edu
 * device, opened through its VFIO device fd, copy memory through its
 * domain.
 *
 * Then the real VMM: Debian's unmodified QEMU starts a paused machine
 * with both edu devices passed through (-device vfio-pci,host=BDF). QEMU
 * opens /dev/vfio/vfio as for type1 and gets vfio-mdom; the demo shows
 * its container in vfio-mdom's debugfs (all guest RAM mapped, charged
 * once), QMP's view of the devices, runs the machine and ends QEMU.
 *
 * Run as root with vfio_mdom.ko and vfio_mdom_mock_iommu.ko loaded and an
 * edu device bound to vfio-pci (tools/vm/run-demo.sh does all that). A
 * missing device is reported and skipped.
 */
#include <libvfio_mdom.h>

#define MAP_MB		16
#define EDU_SLOT	1	/* devs[] index of the edu device */

struct demo_dev {
	const char *what;
	int group;
	int gfd;
};

static const char *pgsizes_str(uint64_t bitmap, char *buf, size_t len)
{
	static const struct { uint64_t size; const char *name; } sizes[] = {
		{ SZ_4K, "4K" }, { SZ_2M, "2M" }, { SZ_1G, "1G" },
	};
	uint64_t rest = bitmap & ~(SZ_4K | SZ_2M | SZ_1G);
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		if (bitmap & sizes[i].size)
			off += snprintf(buf + off, len - off, "%s%s",
					off ? "|" : "", sizes[i].name);
	if (rest)
		snprintf(buf + off, len - off, "%s0x%llx", off ? "|+" : "",
			 (unsigned long long)rest);
	return buf;
}

static int show_container(int fd, const char *when)
{
	struct mdom_state st;
	unsigned int i, j;
	char pg[64];
	int err;

	err = _mdom_query(fd, &st);
	if (err) {
		printf("VFIO_MDOM_QUERY: %s%s\n", strerror(-err),
		       err == -ENOTTY ? " (type1, not vfio-mdom, serves it)" : "");
		return err;
	}
	printf("\n--- %s ---\n", when);
	printf("container: %u domain(s), %u group(s), %u mapping(s), %llu MiB mapped\n",
	       st.q.num_domains, st.q.num_groups, st.q.num_mappings,
	       (unsigned long long)(st.q.mapped_bytes >> 20));
	printf("accounting: %llu pages pinned, %llu charged to locked_vm; ",
	       (unsigned long long)st.q.pinned_pages,
	       (unsigned long long)st.q.locked_pages);
	printf("VmLck %ld kB; DMA_AVAIL %u\n", vmlck_kb(), st.q.dma_avail);
	for (i = 0; i < st.q.num_domains; i++) {
		struct vfio_mdom_domain_info *d = &st.domains[i];

		printf("  domain %u: %-20s %-22s pgsizes %-9s ", d->id,
		       d->driver, d->iommu[0] ? d->iommu : "-",
		       pgsizes_str(d->pgsize_bitmap, pg, sizeof(pg)));
		printf("aperture 0x%llx-0x%llx %s, %llu MiB mapped, groups",
		       (unsigned long long)d->aperture_start,
		       (unsigned long long)d->aperture_end,
		       d->flags & VFIO_MDOM_DOMAIN_ENFORCE_CC ? "coherent" :
		       "non-coherent",
		       (unsigned long long)(d->mapped_bytes >> 20));
		for (j = 0; j < st.q.num_groups; j++)
			if (st.groups[j].domain_id == d->id)
				printf(" %u", st.groups[j].group_id);
		printf("\n");
	}
	return 0;
}

static void show_info(int fd)
{
	struct vfio_iommu_type1_info_cap_iova_range *ranges;
	struct vfio_iommu_type1_info *info;
	uint32_t i, len;
	char pg[64];
	int ret;

	/* Grow argsz until the capability chain fits, as QEMU does. */
	ret = vfio_get_info_all(fd, &info, &len);
	if (ret) {
		printf("VFIO_IOMMU_GET_INFO: %s\n", strerror(-ret));
		return;
	}
	printf("GET_INFO: iova_pgsizes %s (every domain's)",
	       pgsizes_str(info->iova_pgsizes, pg, sizeof(pg)));
	ranges = (void *)vfio_info_cap(info, len,
				       VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	printf(", valid IOVA ranges:");
	for (i = 0; ranges && i < ranges->nr_iovas; i++)
		printf(" [0x%llx-0x%llx]",
		       (unsigned long long)ranges->iova_ranges[i].start,
		       (unsigned long long)ranges->iova_ranges[i].end);
	printf("\n");
	free(info);
}

/*
 * Real DMA through the container: the edu device, opened through its VFIO
 * device fd, reads a pattern from the first mapping (IOVA 0x100000) into
 * its own buffer and writes it back to RAM 64 KiB further on. Both
 * transfers go through the Intel vIOMMU's domain, which holds the
 * translations vfio-mdom replayed into it.
 */
static int edu_round_trip(int gfd, char *buf)
{
	const unsigned int len = 2048, off = 0x10000;
	const uint64_t iova = SZ_1M;
	struct edu_dev dev;
	unsigned int i;
	int ret;

	ret = edu_find(0, &dev);
	if (!ret)
		ret = edu_open(&dev, gfd);
	if (!ret)
		ret = edu_bus_master(&dev, true);
	if (ret) {
		printf("edu round trip: cannot drive the edu device: %s\n",
		       strerror(-ret));
		edu_close(&dev);
		return ret;
	}
	for (i = 0; i < len; i++)
		buf[i] = (char)(i * 7 + 3);
	memset(buf + off, 0, len);
	ret = edu_read_ram(&dev, iova, 0, len);
	if (!ret)
		ret = edu_write_ram(&dev, 0, iova + off, len);
	edu_close(&dev);
	if (ret) {
		printf("edu round trip: DMA failed: %s\n", strerror(-ret));
		return ret;
	}
	ret = memcmp(buf, buf + off, len) ? -EIO : 0;
	printf("edu round trip: %s read %u bytes at IOVA 0x%llx, wrote them at 0x%llx: %s\n",
	       dev.bdf, len, (unsigned long long)iova,
	       (unsigned long long)(iova + off),
	       ret ? "MISMATCH" : "identical");
	return ret;
}

static int mock_group(int inst, int idx)
{
	struct mock_dev d;

	return mock_find_dev(inst, idx, &d) ? -1 : d.group;
}

/* vfio-mdom's debugfs view of every container, as an operator reads it */
static void show_debugfs(void)
{
	static char text[1 << 16];
	char *line, *next;

	if (read_file(MDOM_DEBUGFS "/containers", text, sizeof(text)) < 0) {
		printf("%s/containers: cannot read it\n", MDOM_DEBUGFS);
		return;
	}
	printf("%s/containers:%s\n", MDOM_DEBUGFS, *text ? "" : " none");
	for (line = text; *line; line = next) {
		next = next_line(line);
		printf("  %s\n", line);
	}
}

/*
 * Debian's QEMU with both edu devices assigned, on vfio-mdom: its
 * container, its VmLck (guest RAM once), its view of the devices; then
 * the machine runs and QEMU quits, leaving nothing pinned.
 */
static int qemu_demo(void)
{
	static char reply[1 << 16];
	struct edu_dev edu[2];
	const char *bdfs[2];
	struct qemu_vm vm;
	int status, ret, i;
	uint64_t t0;

	for (i = 0; i < 2; i++) {
		if (edu_find(i, &edu[i])) {
			printf("\nQEMU: skipped, needs two edu devices on vfio-pci\n");
			return 0;
		}
		bdfs[i] = edu[i].bdf;
	}
	if (access(QEMU_BIN, X_OK)) {
		printf("\nQEMU: skipped, no %s\n", QEMU_BIN);
		return 0;
	}
	printf("\n=== Unmodified QEMU: %s -accel tcg -M q35 -m 256M -S",
	       QEMU_BIN);
	printf(" -device vfio-pci,host=%s -device vfio-pci,host=%s\n",
	       bdfs[0], bdfs[1]);
	qemu_init(&vm);
	t0 = now_ms();
	ret = qemu_start(&vm, bdfs, 2, false);
	if (!ret)
		ret = qemu_qmp_open(&vm, &status, reply, sizeof(reply));
	if (ret) {
		printf("QEMU did not start: %s (its log: %s)\n", strerror(-ret),
		       vm.log);
		goto out;
	}
	printf("QEMU (pid %d) up, machine paused, after %llu ms\n", vm.pid,
	       ULL(now_ms() - t0));
	ret = qemu_qmp(&vm, "query-pci", reply, sizeof(reply));
	if (ret)
		goto out_qmp;
	printf("QMP query-pci: %u edu devices (1234:11e8) in the machine\n",
	       str_count(reply, "\"device\":4584,\"subsystem-vendor\""));
	show_debugfs();
	printf("QEMU's VmLck: %ld kB for %llu MiB of guest RAM and its ROMs\n",
	       vmlck_kb_of(vm.pid), ULL(QEMU_RAM >> 20));
	ret = qemu_qmp(&vm, "cont", reply, sizeof(reply));
	if (ret)
		goto out_qmp;
	sleep(2);
	ret = qemu_qmp(&vm, "query-status", reply, sizeof(reply));
	if (ret)
		goto out_qmp;
	printf("QMP cont, query-status: %s\n",
	       strstr(reply, "\"running\":true") ? "running" : reply);
	ret = qemu_quit(&vm, &status);
	if (ret)
		goto out_qmp;
	printf("QMP quit: QEMU exited with status %d\n",
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	ret = WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -ECHILD;
	show_debugfs();
	goto out;
out_qmp:
	printf("QMP: %s\n", strerror(-ret));
out:
	qemu_stop(&vm);
	return ret;
}

int main(void)
{
	struct demo_dev devs[] = {
		{ "mock IOMMU 0 (4K, 39-bit, coherent)", mock_group(0, 1), -1 },
		{ "edu behind the Intel vIOMMU", -1, -1 },
		{ "mock IOMMU 1 (4K|2M|1G, 48-bit, non-coherent)",
		  mock_group(1, 1), -1 },
	};
	const size_t ndevs = ARRAY_SIZE(devs);
	size_t len = MAP_MB << 20, i;
	long vmlck_start = vmlck_kb();
	int fd, ret = 1, attached = 0;
	struct edu_dev edu;
	uint64_t unmapped;
	char *buf = NULL;

	if (!edu_find(0, &edu))
		devs[EDU_SLOT].group = edu.group;
	fd = vfio_open_container();
	if (fd < 0) {
		printf("open %s: %s\n", VFIO_CONTAINER_PATH, strerror(-fd));
		return 1;
	}
	printf("container %s: VFIO API %d, TYPE1v2 %d, UNMAP_ALL %d, DMA_CC_IOMMU %d\n",
	       VFIO_CONTAINER_PATH, ioctl(fd, VFIO_GET_API_VERSION),
	       vfio_check_extension(fd, VFIO_TYPE1v2_IOMMU),
	       vfio_check_extension(fd, VFIO_UNMAP_ALL),
	       vfio_check_extension(fd, VFIO_DMA_CC_IOMMU));
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("mmap");
		goto out;
	}
	memset(buf, 0x5a, len);

	for (i = 0; i < ndevs; i++) {
		struct mdom_state st;
		long dom;
		int err;

		if (devs[i].group < 0) {
			printf("\nskipping %s: not present\n", devs[i].what);
			continue;
		}
		devs[i].gfd = vfio_open_group(devs[i].group);
		if (devs[i].gfd < 0) {
			printf("\nskipping %s: /dev/vfio/%d: %s\n", devs[i].what,
			       devs[i].group, strerror(-devs[i].gfd));
			continue;
		}
		err = vfio_attach(fd, devs[i].gfd, !attached,
				  VFIO_TYPE1v2_IOMMU);
		if (err) {
			printf("\n%s (group %d) cannot join: %s\n",
			       devs[i].what, devs[i].group, strerror(-err));
			continue;
		}
		if (!attached++) {
			printf("\n%s (group %d) joined; VFIO_SET_IOMMU(TYPE1v2)\n",
			       devs[i].what, devs[i].group);
			if (show_container(fd, "the first group"))
				goto out;
			/* Two mappings: they go into every domain to come */
			err = _vfio_map(fd, SZ_1M, len / 2, buf, VFIO_RW) ?:
			      _vfio_map(fd, SZ_1G, len / 2, buf + len / 2,
					VFIO_RW);
			if (err) {
				printf("VFIO_IOMMU_MAP_DMA: %s\n", strerror(-err));
				goto out;
			}
			printf("mapped %d MiB at IOVA 0x100000 and 0x40000000\n",
			       MAP_MB);
			show_container(fd, "after the maps");
			continue;
		}
		dom = _mdom_query(fd, &st) ? -1 :
		      mdom_state_group_domain(&st, devs[i].group);
		printf("\n%s (group %d) joined -> domain %ld (every mapping replayed into it)\n",
		       devs[i].what, devs[i].group, dom);
		show_container(fd, "after it joined");
	}
	if (!attached)
		goto out;
	printf("\n");
	show_info(fd);
	printf("DMA_CC_IOMMU now %d (1 only while every domain enforces coherency)\n",
	       vfio_check_extension(fd, VFIO_DMA_CC_IOMMU));
	printf("VmLck grew by %ld kB for %d MiB mapped in %d domain(s): charged once\n",
	       vmlck_kb() - vmlck_start, MAP_MB, attached);
	if (devs[EDU_SLOT].gfd >= 0 && edu_round_trip(devs[EDU_SLOT].gfd, buf))
		goto out;

	if (_vfio_unmap(fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &unmapped)) {
		perror("VFIO_IOMMU_UNMAP_DMA");
		goto out;
	}
	printf("UNMAP_ALL: %llu MiB unmapped\n",
	       (unsigned long long)(unmapped >> 20));
	show_container(fd, "after UNMAP_ALL");
	ret = 0;
out:
	close(fd);
	for (i = 0; i < ndevs; i++)
		if (devs[i].gfd >= 0)
			close(devs[i].gfd);
	if (buf && buf != MAP_FAILED)
		munmap(buf, len);
	printf("closed: VmLck back to %ld kB (was %ld kB)\n", vmlck_kb(),
	       vmlck_start);
	if (!ret && qemu_demo())
		ret = 1;
	return ret;
}
