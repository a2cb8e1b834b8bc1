#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Print, from a kernel's BTF, the VFIO core declarations vfio-mdom mirrors:
#
#   vfio-btf-header.sh KERNELRELEASE [OBJTREE] >vfio.h
#
# A kernel headers package (linux-headers-*) does not ship the VFIO core's
# private drivers/vfio/vfio.h, but a kernel built with
# CONFIG_DEBUG_INFO_BTF describes its own types: struct
# vfio_iommu_driver_ops and enum vfio_group_type live in the BTF of vfio.ko
# (or of vmlinux when VFIO is built in). bpftool renders them as C, and the
# output is a stand-in for drivers/vfio/vfio.h holding exactly those two
# types (and enum vfio_iommu_notify_type where the ops have notify, up to
# Linux 6.2), the prototypes of vfio_register_iommu_driver() and
# vfio_unregister_iommu_driver(), and static_asserts that the rendering has
# the layout the BTF records. drivers/vfio_mdom/vfio_abi_check.c then
# compares vfio_backend.h with it, as it does with the real header in a
# full source tree: a kernel whose VFIO core differs fails the build.
#
# Where the BTF comes from, for KERNELRELEASE:
#   vmlinux  the first of: OBJTREE/vmlinux (the build tree's; Debian's
#            headers packages ship one that holds just its BTF),
#            /sys/kernel/btf/vmlinux if KERNELRELEASE is the running kernel,
#            the vmlinux inside /boot/vmlinuz-KERNELRELEASE,
#            /usr/lib/debug/boot/vmlinux-KERNELRELEASE
#   vfio.ko  /sys/kernel/btf/vfio if it is the running kernel and vfio is
#            loaded, else /lib/modules/KERNELRELEASE/kernel/drivers/vfio/
#            vfio.ko[.xz|.zst|.gz]; without one, VFIO must be built in
# VFIO_MDOM_BTF_VMLINUX and VFIO_MDOM_BTF_VFIO name other files (an ELF
# with a .BTF section, or raw BTF). Nothing found is an error: this script
# never guesses. Needs bpftool, and the decompressor of the files it reads.
set -euo pipefail

kver=${1:?usage: vfio-btf-header.sh KERNELRELEASE [OBJTREE]}
objtree=${2:-}
me=${0##*/}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

die() {
	echo "$me: $*" >&2
	exit 1
}

# No BTF to check against: say so, and how to build anyway.
die_nobtf() {
	die "$* (only if this kernel's VFIO core is Linux 6.12's: VFIO_MDOM_NO_ABI_CHECK=1 builds without the check; see README.md, Install)"
}

command -v bpftool >/dev/null ||
	die "bpftool not found: install it (Debian: apt install bpftool)"

# Copy FILE to DEST, decompressing it according to its suffix.
unpack() {
	case "$1" in
	*.xz) xz -dc "$1" >"$2" ;;
	*.zst) zstd -qdc "$1" >"$2" ;;
	*.gz) gzip -dc "$1" >"$2" ;;
	*) cat "$1" >"$2" ;;
	esac || die "cannot read $1"
}

# The vmlinux ELF inside a bzImage: the boot protocol's payload_offset
# and payload_length (at 0x248 and 0x24c of the setup header) locate the
# compressed kernel after the real-mode setup code.
bzimage_vmlinux() {
	local img=$1 out=$2 setup_sects offset length magic
	[ "$(dd if="$img" bs=1 skip=514 count=4 2>/dev/null)" = HdrS ] ||
		die "$img is not a bzImage"
	read -r setup_sects < <(od -An -tu1 -j497 -N1 "$img")
	[ "$setup_sects" -ne 0 ] || setup_sects=4
	read -r offset length < <(od -An -tu4 -j584 -N8 "$img")
	offset=$(( (setup_sects + 1) * 512 + offset ))
	magic=$(od -An -tx1 -j"$offset" -N4 "$img" | tr -d ' \n')
	# Every format but gzip: the kernel's build appended the size.
	[ "${magic:0:4}" = 1f8b ] || length=$((length - 4))
	dd if="$img" of="$tmp/payload" bs=1M iflag=skip_bytes,count_bytes \
	   skip="$offset" count="$length" status=none
	case "$magic" in
	1f8b*) gzip -dc <"$tmp/payload" >"$out" ;;
	28b52ffd) zstd -qdc <"$tmp/payload" >"$out" ;;
	fd377a58) xz -dc <"$tmp/payload" >"$out" ;;
	5d0000*) xz -dc --format=lzma <"$tmp/payload" >"$out" ;;
	425a68*) bzip2 -dc <"$tmp/payload" >"$out" ;;
	02214c18) lz4 -dc <"$tmp/payload" >"$out" ;;
	*) die "$img: unknown compression (magic $magic)" ;;
	esac || die "cannot decompress the kernel in $img"
	[ "$(head -c 4 "$out" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] ||
		die "$img: its payload is not an ELF vmlinux"
}

running=
[ "$kver" = "$(uname -r)" ] && running=1

# Base BTF: vmlinux.
vmlinux_src=
if [ -n "${VFIO_MDOM_BTF_VMLINUX:-}" ]; then
	vmlinux_src=$VFIO_MDOM_BTF_VMLINUX
	unpack "$vmlinux_src" "$tmp/vmlinux"
elif [ -n "$objtree" ] && [ -r "$objtree/vmlinux" ]; then
	vmlinux_src=$objtree/vmlinux
	unpack "$vmlinux_src" "$tmp/vmlinux"
elif [ -n "$running" ] && [ -r /sys/kernel/btf/vmlinux ]; then
	vmlinux_src=/sys/kernel/btf/vmlinux
	unpack "$vmlinux_src" "$tmp/vmlinux"
elif [ -r "/boot/vmlinuz-$kver" ]; then
	vmlinux_src=/boot/vmlinuz-$kver
	bzimage_vmlinux "$vmlinux_src" "$tmp/vmlinux"
elif [ -r "/usr/lib/debug/boot/vmlinux-$kver" ]; then
	vmlinux_src=/usr/lib/debug/boot/vmlinux-$kver
	unpack "$vmlinux_src" "$tmp/vmlinux"
else
	die_nobtf "no BTF for kernel $kver: none of ${objtree:-OBJTREE}/vmlinux, /sys/kernel/btf/vmlinux (if running), /boot/vmlinuz-$kver, /usr/lib/debug/boot/vmlinux-$kver; set VFIO_MDOM_BTF_VMLINUX"
fi
bpftool btf dump file "$tmp/vmlinux" format raw >"$tmp/vmlinux.raw" 2>"$tmp/err" ||
	die_nobtf "no BTF in $vmlinux_src ($(cat "$tmp/err")): was kernel $kver built with CONFIG_DEBUG_INFO_BTF?"

# Split BTF of the vfio module, if VFIO is a module.
vfio=${VFIO_MDOM_BTF_VFIO:-}
vfio_src=
if [ -n "$vfio" ]; then
	vfio_src=$vfio
elif [ -n "$running" ] && [ -r /sys/kernel/btf/vfio ]; then
	vfio_src=/sys/kernel/btf/vfio
else
	for f in "/lib/modules/$kver/kernel/drivers/vfio/vfio.ko"{,.xz,.zst,.gz}; do
		[ -r "$f" ] && { vfio_src=$f; break; }
	done
fi
if [ -z "$vfio_src" ]; then
	for f in ${objtree:+"$objtree/.config"} "/boot/config-$kver"; do
		[ -r "$f" ] || continue
		! grep -qx 'CONFIG_VFIO=m' "$f" ||
			die_nobtf "kernel $kver has VFIO as a module, but its vfio.ko is not in /lib/modules/$kver: install that kernel's image package, or set VFIO_MDOM_BTF_VFIO"
		break
	done
fi
if [ -n "$vfio_src" ]; then
	unpack "$vfio_src" "$tmp/vfio.ko"
	btf=(-B "$tmp/vmlinux" btf dump file "$tmp/vfio.ko")
	bpftool "${btf[@]}" format raw >"$tmp/vfio.raw" 2>"$tmp/err" ||
		die_nobtf "no BTF in $vfio_src ($(cat "$tmp/err")): was kernel $kver built with CONFIG_DEBUG_INFO_BTF_MODULES?"
	cat "$tmp/vmlinux.raw" "$tmp/vfio.raw" >"$tmp/all.raw"
	src="$vmlinux_src + $vfio_src"
else
	btf=(btf dump file "$tmp/vmlinux")
	cp "$tmp/vmlinux.raw" "$tmp/all.raw"
	src=$vmlinux_src
fi
bpftool "${btf[@]}" format c >"$tmp/all.c" 2>"$tmp/err" ||
	die "bpftool cannot render the BTF of $src: $(cat "$tmp/err")"

# One top-level definition ("struct x {" ... "};") of the C rendering.
definition() {
	awk -v head="$1 {" '
		$0 == head { on = 1 }
		on { print }
		on && /^};$/ { exit }' "$tmp/all.c"
}

ops=$(definition "struct vfio_iommu_driver_ops")
group_type=$(definition "enum vfio_group_type")
# Linux up to 6.2: the ops' notify member takes this enum.
notify_type=$(definition "enum vfio_iommu_notify_type")
[ -n "$ops" ] && [ -n "$group_type" ] ||
	die "kernel $kver ($src) has no struct vfio_iommu_driver_ops or enum vfio_group_type: a VFIO core without the container's IOMMU driver interface (CONFIG_VFIO_CONTAINER=n?), which vfio-mdom cannot serve"

# From the raw dump: the struct's size and member offsets, and the two
# functions' prototypes, written as C.
layout=$(awk '
	function decl(id, s,	k, p, i, args) {
		if (id == 0)
			return "void" (s == "" ? "" : " " s)
		k = kind[id]
		if (k == "PTR") {
			p = kind[ref[id]]
			if (p == "FUNC_PROTO" || p == "ARRAY")
				return decl(ref[id], "(*" s ")")
			return decl(ref[id], "*" s)
		}
		if (k == "CONST" || k == "VOLATILE") {
			if (kind[ref[id]] == "PTR")
				return decl(ref[id], tolower(k) " " s)
			return tolower(k) " " decl(ref[id], s)
		}
		if (k == "FUNC_PROTO") {
			args = ""
			for (i = 1; i <= nparam[id]; i++)
				args = args (i > 1 ? ", " : "") decl(param[id, i], "")
			return decl(ref[id], s "(" (args == "" ? "void" : args) ")")
		}
		if (k == "ARRAY")
			return decl(ref[id], s "[" nelem[id] "]")
		if (k == "STRUCT" || k == "UNION" || k == "ENUM")
			return tolower(k) " " name[id] (s == "" ? "" : " " s)
		if (k == "FWD")
			return fwd[id] " " name[id] (s == "" ? "" : " " s)
		if (k == "INT" || k == "TYPEDEF" || k == "FLOAT")
			return name[id] (s == "" ? "" : " " s)
		print "unsupported BTF kind " k > "/dev/stderr"
		exit 1
	}
	/^\[[0-9]+\] / {
		id = substr($1, 2, length($1) - 2)
		kind[id] = $2
		name[id] = $3
		gsub("\047", "", name[id])
		for (i = 4; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == "type_id" || kv[1] == "ret_type_id")
				ref[id] = kv[2]
			else if (kv[1] == "size")
				size[id] = kv[2]
			else if (kv[1] == "nr_elems")
				nelem[id] = kv[2]
			else if (kv[1] == "fwd_kind")
				fwd[id] = kv[2]
		}
		cur = id
		nparam[id] = 0
		next
	}
	/^\t\047/ {
		split($2, kv, "=")
		if (kind[cur] == "FUNC_PROTO") {
			param[cur, ++nparam[cur]] = kv[2]
		} else if (kind[cur] == "STRUCT" && name[cur] == "vfio_iommu_driver_ops") {
			member = $1
			gsub("\047", "", member)
			split($3, off, "=")
			members = members member " " off[2] "\n"
		}
		next
	}
	END {
		for (id in kind) {
			if (kind[id] == "STRUCT" && name[id] == "vfio_iommu_driver_ops")
				ops = id
			if (kind[id] == "FUNC" && (name[id] == "vfio_register_iommu_driver" ||
						   name[id] == "vfio_unregister_iommu_driver"))
				func[name[id]] = ref[id]
		}
		if (ops == "" || !("vfio_register_iommu_driver" in func) ||
		    !("vfio_unregister_iommu_driver" in func)) {
			print "no vfio_(un)register_iommu_driver in the BTF" > "/dev/stderr"
			exit 1
		}
		print decl(func["vfio_register_iommu_driver"], "vfio_register_iommu_driver") ";"
		print decl(func["vfio_unregister_iommu_driver"], "vfio_unregister_iommu_driver") ";"
		print ""
		print "/* The rendering above has the layout the BTF records. */"
		print "static_assert(sizeof(struct vfio_iommu_driver_ops) == " size[ops] ");"
		n = split(members, line, "\n")
		for (i = 1; i < n; i++) {
			split(line[i], f, " ")
			if (f[2] % 8) {
				print "bit-field member " f[1] > "/dev/stderr"
				exit 1
			}
			print "static_assert(offsetof(struct vfio_iommu_driver_ops, " f[1] ") == " f[2] / 8 ");"
		}
	}' "$tmp/all.raw") || die "cannot read the layout of struct vfio_iommu_driver_ops from the BTF of $src"

# Every struct/union the definitions mention, declared first so that a
# parameter list does not declare it in its own scope.
fwd_decls=$(printf '%s\n%s\n' "$ops" "$layout" |
	grep -oE '\b(struct|union) [A-Za-z_][A-Za-z0-9_]*' |
	grep -vx 'struct vfio_iommu_driver_ops' | sort -u | sed 's/$/;/')

cat <<EOF
/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generated by scripts/vfio-btf-header.sh: do not edit.
 * The VFIO core's declarations of drivers/vfio/vfio.h that vfio-mdom
 * mirrors, as kernel $kver describes them in its BTF
 * ($src).
 */
#ifndef _VFIO_MDOM_BTF_VFIO_H
#define _VFIO_MDOM_BTF_VFIO_H

#include <linux/build_bug.h>
#include <linux/stddef.h>
#include <linux/types.h>

$fwd_decls

$group_type

$notify_type

$ops

$layout

#endif /* _VFIO_MDOM_BTF_VFIO_H */
EOF
