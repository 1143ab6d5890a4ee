#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build a kernel that is not Debian's, for the recorder and for `--vmlinux`:
#   tools/kernel-oracle/build-kernel.sh KERNEL_ID     e.g. arm64-tiny-6.12, armmp-alloc-6.1
# The id is <arch>-<flavour>-<series>. The source is Debian's linux-source-<series>
# (/usr/src/linux-source-<series>.tar.xz); the configuration is `make tinyconfig`
# plus configs/common.config plus configs/<arch>-<flavour>.config; the compiler is
# Debian's cross gcc. Prints the directory, laid out like an unpacked package:
#   boot/vmlinuz-<release>   the image the recorder boots (Image, or zImage on arm)
#   boot/config-<release>    the .config (what --kernel-config reads)
#   vmlinux                  the ELF with DWARF (what --vmlinux reads)
#   SOURCE                   what it was built from (the recorder's log header)
# A build is kept in ${XDG_CACHE_HOME:-~/.cache}/dtmem/kernels/self/<id> and reused while the
# source package and the config files are the same; the source is unpacked once per package. Needs: linux-source-<series>,
# gcc-aarch64-linux-gnu / gcc-arm-linux-gnueabihf / gcc-riscv64-linux-gnu, make, flex,
# bison, bc, libssl-dev, libelf-dev.
set -euo pipefail
die() { echo "build-kernel.sh: $*" >&2; exit 2; }
[ $# -eq 1 ] || die "usage: $0 KERNEL_ID (e.g. arm64-tiny-6.12)"
id=$1
here=$(cd "$(dirname "$0")" && pwd)
series=${id##*-}
flavour=${id%-*}
case $flavour in
arm64-*)   karch=arm64 cross=aarch64-linux-gnu- target=Image image=arch/arm64/boot/Image ;;
armmp-*)   karch=arm cross=arm-linux-gnueabihf- target=zImage image=arch/arm/boot/zImage ;;
riscv64-*) karch=riscv cross=riscv64-linux-gnu- target=Image image=arch/riscv/boot/Image ;;
*) die "$id: no arch in the id (arm64-*, armmp-*, riscv64-*)" ;;
esac
fragment=$here/configs/$flavour.config
[ -f "$fragment" ] || die "$id: no $fragment"
tarball=/usr/src/linux-source-$series.tar.xz
[ -f "$tarball" ] || die "$id: no $tarball (apt-get install linux-source-$series)"
command -v "${cross}gcc" >/dev/null || die "$id: no ${cross}gcc (apt-get install gcc-${cross%-})"
srcver=$(dpkg-query -W -f '${Version}' "linux-source-$series")
stamp="linux-source-$series $srcver; $(cat "$here/configs/common.config" "$fragment" | sha256sum | cut -c1-16)"

out=${XDG_CACHE_HOME:-$HOME/.cache}/dtmem/kernels/self/$id
if [ -f "$out/SOURCE" ] && grep -qxF "stamp: $stamp" "$out/SOURCE"; then
	printf '%s\n' "$out"
	exit 0
fi
# One unpacked source per source package, shared by the flavours (built out of tree).
src=${XDG_CACHE_HOME:-$HOME/.cache}/dtmem/kernel-src/linux-source-$series-$srcver
if [ ! -f "$src/Makefile" ]; then
	echo "build-kernel.sh: $id: unpacking $tarball" >&2
	rm -rf "$src" "$src.part" && mkdir -p "$src.part"
	tar xJf "$tarball" -C "$src.part" --strip-components=1
	mv "$src.part" "$src"
fi
rm -rf "$out"
mkdir -p "$out/build" "$out/boot"
kmake() {
	# Fixed user, host and time: the same source and config give the same image.
	make -s -C "$src" O="$out/build" ARCH=$karch CROSS_COMPILE=$cross \
		KBUILD_BUILD_USER=dtmem KBUILD_BUILD_HOST=dtmem \
		KBUILD_BUILD_TIMESTAMP="$(date -u -d @0)" "$@"
}
kmake tinyconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$out/build" "$out/build/.config" \
	"$here/configs/common.config" "$fragment" >/dev/null
kmake olddefconfig >/dev/null
# Every option asked for must have survived olddefconfig (a missing dependency drops it).
while IFS= read -r line; do
	case $line in CONFIG_*=*) ;; *) continue ;; esac
	grep -qxF "$line" "$out/build/.config" || die "$id: $line did not survive olddefconfig (a dependency is missing)"
done < <(cat "$here/configs/common.config" "$fragment")
echo "build-kernel.sh: $id: building $target and vmlinux" >&2
kmake -j"$(nproc)" "$target" vmlinux
release=$(kmake kernelrelease)
cp "$out/build/$image" "$out/boot/vmlinuz-$release"
cp "$out/build/.config" "$out/boot/config-$release"
cp "$out/build/vmlinux" "$out/vmlinux"
rm -rf "$out/build"
cat > "$out/SOURCE" <<EOF
package: self-built $id
version: $release from linux-source-$series $srcver
suite: tinyconfig + tools/kernel-oracle/configs/common.config + $flavour.config
arch: $karch, $(${cross}gcc --version | head -n1)
stamp: $stamp
EOF
printf '%s\n' "$out"
