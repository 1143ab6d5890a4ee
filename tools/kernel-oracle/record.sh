#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# record.sh [--snapshot] CASE_DIR [KERNEL_ID ...]
#
# Boot real Debian kernels under QEMU with the device tree of one case and keep
# what the kernel printed about memory, as CASE_DIR/KERNEL_ID.log.
#
# --snapshot: boot with a tiny initramfs instead (Debian's busybox-static for the
# case's architecture, with tools/dtmem-collect as part of /init) and keep what the
# running kernel shows in /proc, as CASE_DIR/KERNEL_ID.snapshot/ (the folder
# dtmem-collect writes, for `dtmem check --snapshot`). The initrd is a reservation
# of its own, so the tree gets /chosen/linux,initrd-start/end: at initrd_addr of
# case.yaml (default: 2 MiB above the DTB) on ARM, where QEMU's -initrd puts it
# on riscv64; the snapshot's fdt is the tree the kernel really got.
#
# KERNEL_ID = <flavour>-<series>:
#   arm64-6.1  arm64-6.12            (Debian flavour "arm64", qemu-system-aarch64)
#   arm64-16k-6.12                   (Debian flavour "arm64-16k", 16 KiB pages; always
#                                     -cpu max: cortex-a57 has no 16K granule)
#   armmp-6.1  armmp-lpae-6.1        (Debian armhf flavours, qemu-system-arm)
#   armmp-6.12 armmp-lpae-6.12       (same, trixie)
#   riscv64-6.12                     (Debian riscv64, qemu-system-riscv64 + OpenSBI)
#   arm64-5.10 armmp-5.10 armmp-lpae-5.10 (bullseye: a version dtmem has no profile of,
#                                     predicted from its .config, tests/kernel-configs/)
# series -> Debian suite: 5.10 = bullseye, 6.1 = bookworm, 6.12 = trixie.
# Without KERNEL_IDs, the "kernels:" list of CASE_DIR/case.yaml is used.
#
# ARM: the kernel, the DTB and a tiny boot stub are loaded with QEMU's generic
# loader (-device loader); -kernel is never used, because QEMU's ARM boot code
# would delete the DTB's /memory nodes and write its own.
# riscv64: -bios OpenSBI fw_dynamic, -kernel Image, -dtb board.dtb. QEMU's riscv
# code keeps the DTB's /memory, /memreserve/ and /reserved-memory (it only adds
# /chosen/rng-seed) and places the DTB itself; OpenSBI then edits the tree (adds
# its own reserved region). The addresses OpenSBI really used ("Domain0 Next
# Address/Arg1") are checked against image_addr/dtb_addr of case.yaml.
#
# Environment:
#   DTMEM_KERNEL_DIR_<ID with - and . as _>  unpacked package to use instead of
#                                            tools/debian-kernels.sh (testing)
#   RECORD_TIMEOUT   seconds per boot (default 60, 180 with --snapshot)
#   RECORD_KEEP_RAW  if set to a directory, raw console logs are copied there
#                    (never into the case directory: raw logs are not committed)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cases_root="$repo/tests/kernel-cases"

die() { echo "record.sh: $*" >&2; exit 1; }

snapshot=
if [ "${1:-}" = --snapshot ]; then snapshot=1; shift; fi
[ $# -ge 1 ] || die "usage: record.sh [--snapshot] CASE_DIR [KERNEL_ID ...]"
case_dir=$(cd "$1" && pwd) || die "no case directory $1"
shift
case_name=$(basename "$case_dir")
yaml="$case_dir/case.yaml"
dts="$case_dir/board.dts"
[ -f "$yaml" ] || die "$yaml missing"
[ -f "$dts" ] || die "$dts missing"

# --- case.yaml: a flat YAML mapping, one "key: value" per line --------------
yget() {  # yget KEY [DEFAULT]
	local v
	v=$(sed -n "s/^$1:[[:space:]]*//p" "$yaml" | head -n1)
	v=${v%%[[:space:]]#*}           # trailing comment
	v=${v%"${v##*[![:space:]]}"}    # trailing blanks
	case $v in
	\"*\") v=${v#\"}; v=${v%\"} ;;
	\'*\') v=${v#\'}; v=${v%\'} ;;
	esac
	if [ -z "$v" ] && [ $# -ge 2 ]; then v=$2; fi
	printf '%s' "$v"
}

arch=$(yget arch)
case $arch in
arm64) def_cpu=cortex-a57 def_image=0x40200000 def_dtb=0x48000000 def_stub=0x40100000 debarch=arm64 ;;
arm)   def_cpu=cortex-a15 def_image=0x43000000 def_dtb=0x44000000 def_stub=0x40100000 debarch=armhf ;;
riscv64) def_cpu=rv64 def_image=0x80200000 def_dtb= def_stub= debarch=riscv64 ;;
*) die "$yaml: arch must be arm64, arm or riscv64 (got '$arch')" ;;
esac
machine=$(yget machine virt)
cpu=$(yget cpu "$def_cpu")
ram=$(yget ram)
[ -n "$ram" ] || die "$yaml: ram missing"
cmdline=$(yget cmdline)
image_addr=$(yget image_addr "$def_image")
dtb_addr=$(yget dtb_addr "$def_dtb")
stub_addr=$(yget stub_addr "$def_stub")
extra_qemu=$(yget qemu_extra "")
# CPUs QEMU starts (-smp); the tree must list as many /cpus nodes (secondaries with an
# enable-method: "psci" on ARM; riscv harts are started through OpenSBI's HSM).
smp=$(yget cpus 1)
case $smp in ''|*[!0-9]*|0) die "$yaml: cpus must be a positive number (got '$smp')" ;; esac
# riscv64 only: M-mode firmware (default: Debian package opensbi, generic fw_dynamic)
firmware=$(yget firmware /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin)
firmware_addr=$(yget firmware_addr 0x80000000)
if [ "$arch" = riscv64 ]; then
	[ -n "$dtb_addr" ] || die "$yaml: dtb_addr missing (where QEMU puts the DTB, see README)"
	[ -f "$firmware" ] || die "firmware $firmware not found (Debian package opensbi)"
fi

if [ $# -eq 0 ]; then
	# kernels: [a, b]  or  kernels: a b
	kl=$(yget kernels)
	kl=${kl#[}; kl=${kl%]}; kl=${kl//,/ }
	# shellcheck disable=SC2206
	set -- $kl
fi
[ $# -ge 1 ] || die "no kernel ids given and none in $yaml"

work=$(mktemp -d "${TMPDIR:-/tmp}/kernel-oracle.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- DTB ------------------------------------------------------------------
src="$dts"
if grep -q '^[[:space:]]*#[[:space:]]*include' "$dts"; then
	cpp -nostdinc -undef -D__DTS__ -x assembler-with-cpp -P \
		-I "$case_dir" -I "$cases_root/include" "$dts" > "$work/board.pp.dts"
	src="$work/board.pp.dts"
fi
dtc -q -I dts -O dtb -i "$case_dir" -i "$cases_root/include" -o "$work/board.dtb" "$src" \
	|| die "$case_name: dtc failed"

# The command line the kernel gets is /chosen/bootargs; case.yaml repeats it.
dt_cmdline=$(fdtget -t s "$work/board.dtb" /chosen bootargs 2>/dev/null || true)
if [ "$dt_cmdline" != "$cmdline" ]; then
	die "$case_name: case.yaml cmdline '$cmdline' differs from /chosen/bootargs '$dt_cmdline'"
fi

# Every CPU QEMU starts must be a CPU node of the tree the kernel gets.
dt_cpus=0
for n in $(fdtget -l "$work/board.dtb" /cpus 2>/dev/null); do
	[ "$(fdtget -t s "$work/board.dtb" "/cpus/$n" device_type 2>/dev/null)" = cpu ] && dt_cpus=$((dt_cpus + 1))
done
if [ "$dt_cpus" -ne "$smp" ]; then
	die "$case_name: case.yaml cpus $smp but the tree has $dt_cpus /cpus nodes of device_type \"cpu\""
fi

# --- initramfs (--snapshot) -------------------------------------------------
# /init mounts what dtmem-collect reads, runs it, prints the snapshot folder as a
# base64 tar.gz between two marker lines on the console and powers off.
if [ -n "$snapshot" ]; then
	command -v cpio >/dev/null || die "--snapshot needs cpio (Debian package cpio)"
	busybox_dir=$("$repo/tools/debian-kernels.sh" --package trixie "$debarch" busybox-static | tail -n1)
	busybox_version=$(sed -n 's/^version: *//p' "$busybox_dir/SOURCE")
	root="$work/initramfs"
	mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/tmp"
	cp "$busybox_dir/usr/bin/busybox" "$root/bin/busybox"
	cp "$repo/tools/dtmem-collect" "$root/bin/dtmem-collect"
	cat > "$root/init" <<-'INIT'
	#!/bin/busybox sh
	/bin/busybox --install -s /bin
	export PATH=/bin
	mount -t devtmpfs dev /dev
	exec </dev/console >/dev/console 2>&1
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	dmesg -n 1
	sh /bin/dtmem-collect /tmp/snapshot >/dev/null
	echo '--- dtmem-snapshot begin ---'
	tar cf - -C /tmp/snapshot . | gzip -9 | base64
	echo '--- dtmem-snapshot end ---'
	poweroff -f
	INIT
	chmod +x "$root/init" "$root/bin/busybox"
	find "$root" -exec touch -h -d @0 {} +  # the same bytes, so the same initrd size, every time
	(cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc --owner 0:0 | gzip -9 -n) > "$work/initrd.cpio.gz"
	initrd_size=$(stat -c %s "$work/initrd.cpio.gz")
	if [ "$arch" != riscv64 ]; then
		initrd_addr=$(yget initrd_addr "$(printf 0x%x $((dtb_addr + 0x200000)))")
		fdtput -t x "$work/board.dtb" /chosen linux,initrd-start "$initrd_addr"
		fdtput -t x "$work/board.dtb" /chosen linux,initrd-end "$(printf %x $((initrd_addr + initrd_size)))"
	fi
fi

# --- boot stub ------------------------------------------------------------
# Written as raw little-endian instruction words (no cross assembler here).
le32() { printf "\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x $((($1 >> 8) & 255)))\\x$(printf %02x $((($1 >> 16) & 255)))\\x$(printf %02x $((($1 >> 24) & 255)))"; }
le64() { le32 $(($1 & 0xffffffff)); le32 $((($1 >> 32) & 0xffffffff)); }

make_stub() {
	local out=$1
	case $arch in
	arm64)
		# arm64 boot protocol: x0 = DTB, x1 = x2 = x3 = 0, jump to Image.
		# 0x00 580000c0  ldr  x0, 0x18   LDR (literal, 64-bit): 0x58000000 | imm19<<5 | Rt,
		#                                imm19 = (0x18-0x00)/4 = 6, Rt = 0
		# 0x04 aa1f03e1  mov  x1, xzr    ORR Xd, XZR, XZR: 0xaa1f03e0 | Rd
		# 0x08 aa1f03e2  mov  x2, xzr
		# 0x0c aa1f03e3  mov  x3, xzr
		# 0x10 58000084  ldr  x4, 0x20   imm19 = (0x20-0x10)/4 = 4, Rt = 4
		# 0x14 d61f0080  br   x4         BR: 0xd61f0000 | Rn<<5, Rn = 4
		# 0x18 .quad DTB address
		# 0x20 .quad Image address
		{
			le32 0x580000c0; le32 0xaa1f03e1; le32 0xaa1f03e2; le32 0xaa1f03e3
			le32 0x58000084; le32 0xd61f0080
			le64 "$dtb_addr"; le64 "$image_addr"
		} > "$out"
		;;
	arm)
		# 32-bit ARM boot protocol: r0 = 0, r1 = ~0 (machine type: use DT), r2 = DTB.
		# 0x00 e3a00000  mov  r0, #0
		# 0x04 e3e01000  mvn  r1, #0            (r1 = 0xffffffff)
		# 0x08 e59f2004  ldr  r2, [pc, #4]      pc reads as 0x08+8 -> loads word at 0x14
		# 0x0c e59f3004  ldr  r3, [pc, #4]      -> loads word at 0x18
		# 0x10 e12fff13  bx   r3
		# 0x14 .word DTB address
		# 0x18 .word zImage address
		{
			le32 0xe3a00000; le32 0xe3e01000; le32 0xe59f2004; le32 0xe59f3004
			le32 0xe12fff13; le32 "$dtb_addr"; le32 "$image_addr"
		} > "$out"
		;;
	esac
}
[ "$arch" = riscv64 ] || make_stub "$work/stub.bin"

# --- kernels ----------------------------------------------------------------
kernel_dir() {  # kernel_dir KERNEL_ID -> unpacked package directory
	local id=$1 flavour series suite var
	series=${id##*-}; flavour=${id%-*}
	case $series in
	5.10) suite=bullseye ;; 6.1) suite=bookworm ;; 6.12) suite=trixie ;; *) die "unknown series in $id" ;;
	esac
	var="DTMEM_KERNEL_DIR_${id//[-.]/_}"
	case $flavour in
	arm64|arm64-16k|armmp|armmp-lpae|riscv64) ;;
	*)
		# A kernel built here from Debian's linux-source (configs/FLAVOUR.config).
		[ -f "$repo/tools/kernel-oracle/configs/$flavour.config" ] || die "unknown flavour in $id"
		if [ -z "${!var:-}" ]; then "$repo/tools/kernel-oracle/build-kernel.sh" "$id" | tail -n1; return; fi
		;;
	esac
	if [ -n "${!var:-}" ]; then
		printf '%s' "${!var}"
	elif [ -x "$repo/tools/debian-kernels.sh" ]; then
		"$repo/tools/debian-kernels.sh" "$suite" "$debarch" "$flavour" | tail -n1
	else
		die "tools/debian-kernels.sh not found (or set $var)"
	fi
}

# Lines of the console log that matter for memory, in kernel order, without the
# printk timestamp.  Keep this list in step with README.md.
trim() {
	local memblock=$1
	tr -d '\r' | sed -e 's/^\[ *[0-9]*\.[0-9]*\] //' | awk -v memblock="$memblock" '
	# memblock=debug: a page-table allocation is two lines (the allocation and its
	# memblock_reserve); hundreds of them are folded into one "# ..." line.
	memblock && /early_pgtable_alloc/         { pt++; ptres = 1; next }
	memblock && ptres && /^memblock_reserve: .*memblock_alloc_range_nid/ { ptres = 0; next }
	{ ptres = 0 }
	pt && !/^memblock_(reserve|phys_alloc_range)/ { printf "# (%d early_pgtable_alloc page-table allocations of memblock=debug omitted)\n", pt; pt = 0 }
	/^Linux version /                         { print; next }
	/^OpenSBI v[0-9]/                         { print; next }
	/^Firmware (Base|Size) /                  { print; next }
	/^Domain0 (Region[0-9]+|Next Address|Next Arg1) / { print; next }
	/^Machine model:/                         { print; next }
	/^OF: (fdt|reserved mem):/                { print; next }
	/^OF: translation of DMA address/         { print; next }
	/^Reserved memory:/                       { print; next }
	/^cma:/                                   { print; next }
	/^hugetlb_cma:/                           { print; next }
	/^Zone ranges:/                           { print; next }
	/^  (DMA|DMA32|Normal|HighMem|Movable|Device) +(empty|\[mem)/ { print; next }
	/^Movable zone start/                     { print; next }
	/^  Node +[0-9]+: 0x/                     { print; next }
	/^Early memory node ranges/               { print; next }
	/^  node +[0-9]+: \[mem/                  { print; next }
	/^Initmem setup node/                     { print; next }
	/^On node [0-9]+, zone /                  { print; next }
	/^NUMA: / || /^NODE_DATA/                 { print; next }
	/^Memory: /                               { print; next }
	/^Memory limited to/                      { print; next }
	/^Built [0-9]+ zonelists/                 { print; next }
	/^software IO TLB:/                       { print; next }
	/^DMA: (preallocated|failed)/             { print; next }
	/^crashkernel/                            { print; next }
	/^Reserving .* for crashkernel/           { print; next }   # 32-bit ARM
	/^cannot allocate crashkernel/            { print; next }
	/HighMem|[Hh]ighmem|[Ll]owmem/            { print; next }
	/^vmalloc area/                           { print; next }
	/^Ignoring (RAM|memory)/                  { print; next }
	/Consider using a HIGHMEM/                { print; next }
	/OVERLAP/                                 { print; next }
	/ overlaps with /                         { print; next }
	/^OMAP[0-9]*: Map /                       { print; next }
	/^Kernel command line:/                   { print; next }
	/^Unknown kernel command line parameters/ { print; next }
	/[Ff]ail/ && /[Mm]em|[Rr]eserv|[Aa]lloc|cma|CMA|DMA|dma|swiotlb|TLB|pool|region/ { print; next }
	/^WARNING:/ || /^Kernel panic/ || /^Unable to handle/ || /^Internal error/ || /^BUG:/ { print; next }
	/^Oops/                                   { print; next }
	/^(epc| ra) : [A-Za-z_][A-Za-z0-9_.]*\+0x/ { print; next }   # riscv: where an Oops happened
	memblock && (/^memblock/ || /^MEMBLOCK configuration/ || /^ (memory|reserved) (size|\.cnt)/ || /^ (memory|reserved)\[0x/) { print; next }
	'
}

case $arch in
arm64) qemu=qemu-system-aarch64 ;;
arm)   qemu=qemu-system-arm ;;
riscv64) qemu=qemu-system-riscv64 ;;
esac
qemu_version=$("$qemu" --version | head -n1 | sed 's/^QEMU emulator version //')
timeout_s=${RECORD_TIMEOUT:-${snapshot:+180}}
timeout_s=${timeout_s:-60}
memblock=0
case " $cmdline " in *" memblock=debug "*) memblock=1 ;; esac

for id in "$@"; do
	case $id in
	arm64-*) [ "$arch" = arm64 ] || die "$case_name: $id is not an $arch kernel" ;;
	armmp-*) [ "$arch" = arm ] || die "$case_name: $id is not an $arch kernel" ;;
	riscv64-*) [ "$arch" = riscv64 ] || die "$case_name: $id is not an $arch kernel" ;;
	*) die "$case_name: kernel id $id not supported by this recorder" ;;
	esac
	kdir=$(kernel_dir "$id")
	# The case's cpu is for the 4 KiB kernels; the 16K flavour needs a CPU with the
	# 16 KiB translation granule (ID_AA64MMFR0_EL1.TGran16), which cortex-a57 lacks.
	kcpu=$cpu
	case $id in arm64-16k-*) kcpu=max ;; esac
	# riscv64 ships boot/vmlinux-* (an uncompressed Image), the others vmlinuz-*
	img=$(ls "$kdir"/boot/vmlinuz-* "$kdir"/boot/vmlinux-* 2>/dev/null | head -n1 || true)
	[ -n "$img" ] && [ -f "$img" ] || die "no boot/vmlinuz-* or vmlinux-* in $kdir"
	kver=${img##*/vmlinu[xz]-}
	pkg="linux-image-$kver"
	# Package version: from the SOURCE file of tools/debian-kernels.sh, from
	# DEBIAN/control if the package was unpacked with it,
	# else from a directory named like the .deb (NAME_VERSION_ARCH), else from
	# the "Debian x.y.z-n" part of the kernel's own banner (after the boot).
	pkgver=
	if [ -f "$kdir/SOURCE" ]; then
		# written by tools/debian-kernels.sh
		pkg=$(sed -n 's/^package: *//p' "$kdir/SOURCE")
		pkgver="$(sed -n 's/^version: *//p' "$kdir/SOURCE") ($(sed -n 's/^suite: *//p' "$kdir/SOURCE"), $(sed -n 's/^arch: *//p' "$kdir/SOURCE"))"
	elif [ -f "$kdir/DEBIAN/control" ]; then
		pkgver=$(sed -n 's/^Version: *//p' "$kdir/DEBIAN/control")
	else
		b=$(basename "$kdir")
		case $b in "${pkg}_"*_*) b=${b#"${pkg}_"}; pkgver=${b%_*} ;; esac
	fi

	raw="$work/$id.raw.log"
	: > "$raw"
	# QEMU runs in the background; a watcher stops it once the kernel has
	# printed the end of a panic. Normally panic=-1 resets the guest and
	# -no-reboot makes QEMU exit by itself, but a panic inside setup_arch()
	# comes before "panic=" is parsed and would just hang until the timeout.
	if [ "$arch" = riscv64 ]; then
		# no -append: the command line is /chosen/bootargs of the DTB
		boot_args=(-bios "$firmware" -kernel "$img" -dtb "$work/board.dtb")
		[ -z "$snapshot" ] || boot_args+=(-initrd "$work/initrd.cpio.gz")
	else
		boot_args=(-device "loader,file=$img,addr=$image_addr,force-raw=on"
			-device "loader,file=$work/board.dtb,addr=$dtb_addr,force-raw=on"
			-device "loader,file=$work/stub.bin,addr=$stub_addr,force-raw=on"
			-device "loader,addr=$stub_addr,cpu-num=0")
		[ -z "$snapshot" ] || boot_args+=(-device "loader,file=$work/initrd.cpio.gz,addr=$initrd_addr,force-raw=on")
	fi
	"$qemu" -M "$machine" -cpu "$kcpu" -m "$ram" -smp "$smp" \
		-display none -monitor none -serial "file:$raw" -no-reboot \
		"${boot_args[@]}" \
		$extra_qemu </dev/null >"$work/$id.qemu.out" 2>&1 &
	qpid=$!
	how=
	for ((i = 0; i < timeout_s * 4; i++)); do
		if ! kill -0 "$qpid" 2>/dev/null; then how=exited; break; fi
		if grep -q -e '---\[ end Kernel panic' "$raw"; then
			# give panic=-1 two seconds to reset the guest
			for ((j = 0; j < 8; j++)); do
				kill -0 "$qpid" 2>/dev/null || break
				sleep 0.25
			done
			if kill -0 "$qpid" 2>/dev/null; then how=panic-stopped; else how=exited; fi
			break
		fi
		sleep 0.25
	done
	if [ "$how" != exited ]; then
		[ -n "$how" ] || how=timeout
		kill "$qpid" 2>/dev/null || true
	fi
	set +e
	wait "$qpid"
	rc=$?
	set -e
	if [ "$how" = exited ] && [ $rc -ne 0 ]; then
		end="qemu exit status $rc: $(head -c 300 "$work/$id.qemu.out" | tr '\n' ' ')"
	elif [ "$how" = exited ] && grep -q 'Kernel panic' "$raw"; then
		end="kernel panic, guest reset, qemu exited (-no-reboot)"
	elif [ "$how" = exited ]; then
		end="qemu exited without a kernel panic"
	elif [ "$how" = panic-stopped ]; then
		end="kernel panic without reset (before panic= was parsed); qemu stopped by the recorder"
	else
		end="timeout after ${timeout_s}s, qemu stopped"
	fi
	if [ -z "$pkgver" ]; then
		pkgver=$(tr -d '\r' < "$raw" | sed -n 's/^.*Linux version .* Debian \([^ ]*\) .*$/\1 (from the banner)/p' | head -n1)
		[ -n "$pkgver" ] || pkgver="(version unknown)"
	fi
	if [ "$arch" = riscv64 ]; then
		fwpkg=$(dpkg -S "$(readlink -f "$firmware")" 2>/dev/null | head -n1 | cut -d: -f1 || true)
		if [ -n "$fwpkg" ]; then
			fw_desc="$(basename "$firmware") from Debian package $fwpkg $(dpkg-query -W -f '${Version}' "$fwpkg")"
		else
			fw_desc="$firmware"
		fi
		# What OpenSBI really handed to the kernel (its boot banner).
		sbi_next=$(tr -d '\r' < "$raw" | sed -n 's/^Domain0 Next Address *: *0x0*\([0-9a-f]*\)$/0x\1/p' | head -n1)
		sbi_arg1=$(tr -d '\r' < "$raw" | sed -n 's/^Domain0 Next Arg1 *: *0x0*\([0-9a-f]*\)$/0x\1/p' | head -n1)
		sbi_next=${sbi_next:-unknown} sbi_arg1=${sbi_arg1:-unknown}
		if [ $((image_addr)) -ne $((${sbi_next/unknown/-1})) ] || [ $((dtb_addr)) -ne $((${sbi_arg1/unknown/-1})) ]; then
			echo "record.sh: $case_name $id: case.yaml says image $image_addr, dtb $dtb_addr but OpenSBI passed image $sbi_next, dtb $sbi_arg1; fix case.yaml" >&2
			mismatch=1
		fi
	fi
	if [ -n "${RECORD_KEEP_RAW:-}" ]; then
		mkdir -p "$RECORD_KEEP_RAW"
		cp "$raw" "$RECORD_KEEP_RAW/$case_name.$id.raw.log"
	fi
	header() {
		echo "# case: $case_name"
		echo "# kernel-id: $id"
		echo "# package: $pkg $pkgver"
		if [ -f "$kdir/SOURCE" ] && grep -q '^note:' "$kdir/SOURCE"; then
			echo "# package-note: $(sed -n 's/^note: *//p' "$kdir/SOURCE")"
		fi
		echo "# qemu: $qemu $qemu_version -M $machine -cpu $kcpu -m $ram -smp $smp${extra_qemu:+ $extra_qemu}"
		if [ "$arch" = riscv64 ]; then
			echo "# firmware: $fw_desc at $firmware_addr (-bios)"
			echo "# load: image $image_addr (-kernel), dtb $dtb_addr (-dtb, placed by QEMU); OpenSBI passed image $sbi_next, dtb $sbi_arg1"
		else
			echo "# load: image $image_addr, dtb $dtb_addr, stub $stub_addr (generic loader, no -kernel)"
		fi
		echo "# end: $end"
	}
	if [ -n "$snapshot" ]; then
		out="$case_dir/$id.snapshot"
		rm -rf "$out" && mkdir -p "$out"
		tr -d '\r' < "$raw" | sed -n '/^--- dtmem-snapshot begin ---$/,/^--- dtmem-snapshot end ---$/p' |
			sed '1d;$d' | base64 -d 2>/dev/null | tar xzf - -C "$out" 2>/dev/null || true
		if [ ! -f "$out/zoneinfo" ]; then
			rm -rf "$out"
			echo "record.sh: $case_name $id: no snapshot came back ($end)" >&2
			failed=1
			continue
		fi
		{
			header
			echo "# initramfs: busybox-static $busybox_version ($debarch) and tools/dtmem-collect, $initrd_size bytes"
		} > "$out/recording"
		echo "$case_name $id: snapshot $(ls "$out" | tr '\n' ' ')"
		continue
	fi
	out="$case_dir/$id.log"
	{
		header
		echo "# console: $(wc -l < "$raw") lines raw, trimmed to memory-related lines below"
		trim "$memblock" < "$raw"
		if [ ! -s "$raw" ]; then
			echo "# (no console output at all)"
		fi
	} > "$out"
	echo "$case_name $id: $(grep -vc '^#' "$out") lines, $end"
done
[ -z "${mismatch:-}" ] || exit 3
[ -z "${failed:-}" ] || exit 1
