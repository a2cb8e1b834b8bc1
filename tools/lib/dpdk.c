// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <libvfio_mdom/sys.h>
#include <libvfio_mdom/dpdk.h>

#define DPDK_PMDS_TMP	"/tmp/vfio-mdom-dpdk-pmds"

static bool str_ends(const char *s, const char *end)
{
	size_t n = strlen(s), k = strlen(end);

	return n >= k && !strcmp(s + n - k, end);
}

/*
 * The plugins are the names that end in .so or .so.23.0. The directory
 * is replaced by one that has every file the dynamic loader needs (the
 * .so.23 names, which EAL does not load) but only the plugins kept. The
 * real directory moves to DPDK_LIB/all: EAL refuses a plugin whose path
 * crosses a world-writable directory (/tmp).
 */
int dpdk_plugins_only_needed(void)
{
	static const char *const keep[] = {
		"librte_bus_pci.", "librte_net_e1000.", "librte_mempool_ring.",
	};
	char from[300], to[300];
	struct dirent *e;
	unsigned int i;
	bool plugin;
	DIR *d;

	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	mkdir(DPDK_PMDS_TMP, 0755);
	if (mount(DPDK_PMDS, DPDK_PMDS_TMP, NULL, MS_BIND, NULL) ||
	    mount("tmpfs", DPDK_LIB, "tmpfs", 0, "mode=0755") ||
	    mkdir(DPDK_LIB "/all", 0755) || mkdir(DPDK_PMDS, 0755) ||
	    mount(DPDK_PMDS_TMP, DPDK_LIB "/all", NULL, MS_MOVE, NULL))
		return -errno;
	d = opendir(DPDK_LIB "/all");
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		plugin = str_ends(e->d_name, ".so") ||
			 str_ends(e->d_name, ".so.23.0");
		for (i = 0; plugin && i < ARRAY_SIZE(keep); i++)
			if (!strncmp(e->d_name, keep[i], strlen(keep[i])))
				plugin = false;
		if (plugin)
			continue;
		snprintf(from, sizeof(from), DPDK_LIB "/all/%s", e->d_name);
		snprintf(to, sizeof(to), DPDK_PMDS "/%s", e->d_name);
		if (symlink(from, to)) {
			closedir(d);
			return -errno;
		}
	}
	closedir(d);
	/* EAL's hugepages: the guest may have no hugetlbfs mounted */
	if (mkdir(DPDK_HUGE, 0755) ||
	    mount("hugetlbfs", DPDK_HUGE, "hugetlbfs", 0, "pagesize=2M"))
		return -errno;
	return 0;
}
