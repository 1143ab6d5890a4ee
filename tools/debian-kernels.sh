#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Download and unpack one Debian kernel image package into a cache, reusing it if already there.
#
#   tools/debian-kernels.sh SUITE ARCH FLAVOUR [CACHE_DIR]
#   e.g. tools/debian-kernels.sh bookworm armhf armmp-lpae
#   tools/debian-kernels.sh --package SUITE ARCH PACKAGE [CACHE_DIR]
#   e.g. tools/debian-kernels.sh --package trixie riscv64 busybox-static   (any other package)
#   tools/debian-kernels.sh --dbg SUITE ARCH FLAVOUR [CACHE_DIR]
#   e.g. tools/debian-kernels.sh --dbg trixie arm64 arm64   (the kernel's -dbg package: only
#        its usr/lib/debug/boot/vmlinux-*, the build's ELF with DWARF; about 1 GB to fetch)
#
# Prints one line on stdout: the absolute path of the unpacked package (boot/vmlinuz-* or
# boot/vmlinux-*, boot/config-*, usr/lib/linux-image-*/...). Progress and errors go to stderr.
#
# The archive addresses are read from the system's apt sources at run time. The Packages.xz
# indexes of SUITE and SUITE-security (when it exists) are fetched directly, without apt and
# without checking their signatures (apt rejects some trixie indexes served here); the newest
# linux-image-FLAVOUR across them wins, and the .deb is checked against the index's SHA256.
# The first result for SUITE/ARCH/FLAVOUR is pinned in CACHE_DIR (symlink SUITE_ARCH_FLAVOUR);
# set DTMEM_KERNELS_REFRESH=1 to look for a newer version.
set -euo pipefail

log() { printf 'debian-kernels: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

plain=''  # --package: PACKAGE itself, not the kernel of metapackage linux-image-FLAVOUR
dbg=''    # --dbg: the -dbg package of that kernel, only its vmlinux
[[ ${1:-} == --package ]] && { plain=1; shift; }
[[ ${1:-} == --dbg ]] && { dbg=1; shift; }
[[ $# -eq 3 || $# -eq 4 ]] || { echo "usage: $0 [--package|--dbg] SUITE ARCH FLAVOUR|PACKAGE [CACHE_DIR]" >&2; exit 2; }
suite=$1 arch=$2 flavour=$3
cache=${4:-${DTMEM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dtmem}/kernels}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
pin=$cache/${suite}_${arch}_${plain:+package-}${flavour}${dbg:+-dbg}

if [[ -z ${DTMEM_KERNELS_REFRESH:-} && -f $pin/SOURCE ]]; then
  log "reusing $(readlink "$pin") (DTMEM_KERNELS_REFRESH=1 looks for a newer one)"
  cd "$pin" && pwd -P
  exit 0
fi

# "main URI" / "security URI" lines from the system apt sources (deb822 and one-line style).
apt_uris() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -e $f ]] || continue
    awk -v RS= -F'\n' '{
      types = uris = suites = ""; enabled = 1
      for (i = 1; i <= NF; i++) {
        if ($i ~ /^Types:/) types = substr($i, 7)
        else if ($i ~ /^URIs:/) uris = substr($i, 6)
        else if ($i ~ /^Suites:/) suites = substr($i, 8)
        else if ($i ~ /^Enabled: *no/) enabled = 0
      }
      if (!enabled || types !~ /(^| )deb( |$)/) next
      ns = split(suites, s, " "); nu = split(uris, u, " ")
      for (j = 1; j <= ns; j++) for (k = 1; k <= nu; k++)
        if (s[j] ~ /-security$/) print "security", u[k]; else if (s[j] !~ /-/) print "main", u[k]
    }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -e $f ]] || continue
    sed -E 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" {
      if ($3 ~ /-security$/) print "security", $2; else if ($3 !~ /-/) print "main", $2 }'
  done
}

# fetch URL DEST [SHA256]: apt-helper with 3 tries; returns 4 at once on "404 Not Found".
fetch() {
  local try out
  for try in 1 2 3; do
    if out=$(/usr/lib/apt/apt-helper download-file "$1" "$2" ${3:+"SHA256:$3"} 2>&1); then
      return 0
    fi
    [[ $out == *"404  Not Found"* ]] && return 4
    log "try $try of 3 failed for $1: $(tail -n 1 <<<"$out")"
    [[ $try -lt 3 ]] && sleep 5
  done
  return 1
}

# field INDEX PACKAGE FIELD: the FIELD of PACKAGE's stanza in an uncompressed Packages file.
field() {
  awk -v RS= -F'\n' -v p="Package: $2" -v f="$3: " '$1 == p {
    for (i = 2; i <= NF; i++) if (index($i, f) == 1) { print substr($i, length(f) + 1); exit } }' "$1"
}

main_uri=$(apt_uris | awk '$1 == "main" { print $2; exit }')
sec_uri=$(apt_uris | awk '$1 == "security" { print $2; exit }')
[[ -n $main_uri ]] || die "no Debian archive address found in /etc/apt/sources.list{,.d}"

tmp=$(mktemp -d "$cache/.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The indexes (SUITE, SUITE-security) that have linux-image-FLAVOUR (or PACKAGE), newest first.
meta=linux-image-$flavour
[[ -n $plain ]] && meta=$flavour
candidates=()  # "VERSION INDEX URI SUITE"
for src in "main $suite" "security $suite-security"; do
  read -r kind s <<<"$src"
  uri=$main_uri; [[ $kind == security ]] && uri=$sec_uri
  [[ -n $uri ]] || { log "no security archive in apt sources; skipping $s"; continue; }
  url=${uri%/}/dists/$s/main/binary-$arch/Packages.xz
  log "fetching $s/main/binary-$arch/Packages.xz"
  rc=0; fetch "$url" "$tmp/$s.xz" || rc=$?
  if [[ $rc -ne 0 ]]; then
    [[ $kind == main ]] && die "could not fetch the package index $url"
    if [[ $rc -eq 4 ]]; then log "$s has no index for $arch; skipping"
    else log "warning: could not fetch $url; going on without $s"; fi
    continue
  fi
  xz -dc "$tmp/$s.xz" >"$tmp/$s"
  ver=$(field "$tmp/$s" "$meta" Version)
  [[ -n $ver ]] || { log "$s has no $meta"; continue; }
  log "$s: $meta $ver"
  if [[ ${#candidates[@]} -gt 0 ]] && dpkg --compare-versions "$ver" gt "${candidates[0]%% *}"; then
    candidates=("$ver $tmp/$s $uri $s" "${candidates[@]}")
  else
    candidates+=("$ver $tmp/$s $uri $s")
  fi
done
[[ ${#candidates[@]} -gt 0 ]] || die "no package $meta in $suite (or $suite-security) for $arch"

# The newest whose .deb the archive still has (an index can list one its pool no longer
# holds; bullseye-security does). The metapackage depends on the concrete image package (the
# signed one where there is one; it contains boot/vmlinuz-* just the same, checked below).
for candidate in "${candidates[@]}"; do
  read -r best_ver best_idx best_uri best_suite <<<"$candidate"
  pkg=$meta
  [[ -n $plain ]] || pkg=$(field "$best_idx" "$meta" Depends | tr ',|' '\n' | sed -E 's/^ *([^ (]+).*/\1/' |
                           grep -m1 '^linux-image-' || true)
  [[ -n $pkg ]] || die "$meta $best_ver in $best_suite depends on no linux-image-* package"
  [[ -n $dbg ]] && pkg=$pkg-dbg
  version=$(field "$best_idx" "$pkg" Version)
  filename=$(field "$best_idx" "$pkg" Filename)
  sha256=$(field "$best_idx" "$pkg" SHA256)
  [[ -n $filename && -n $sha256 ]] || die "$pkg (needed by $meta) is not in the $best_suite index"
  dir=$cache/${pkg}_${version}_$arch
  [[ -f $dir/SOURCE ]] && break
  log "downloading $pkg $version from $best_suite ($(field "$best_idx" "$pkg" Size) bytes)"
  rc=0; fetch "${best_uri%/}/$filename" "$tmp/pkg.deb" "$sha256" || rc=$?
  [[ $rc -eq 0 ]] && break
  [[ $rc -eq 4 ]] || die "could not fetch $pkg $version ($filename) with SHA256 $sha256"
  log "$best_suite lists $pkg $version, but the archive does not have it (404); trying an older index"
  filename=''
done
[[ -f $dir/SOURCE || -n $filename ]] || die "no index of $suite offers a $meta package the archive has"

if [[ ! -f $dir/SOURCE ]]; then
  if [[ -n $dbg ]]; then
    mkdir "$tmp/unpacked"
    dpkg-deb --fsys-tarfile "$tmp/pkg.deb" | tar -x -C "$tmp/unpacked" --wildcards './usr/lib/debug/boot/vmlinux-*' ||
      die "$pkg $version contains no usr/lib/debug/boot/vmlinux-*"
  else
    dpkg -x "$tmp/pkg.deb" "$tmp/unpacked"
    [[ -n $plain ]] || compgen -G "$tmp/unpacked/boot/vmlinu[xz]-*" >/dev/null ||
      die "$pkg $version contains no boot/vmlinuz-* or boot/vmlinux-*"
  fi
  cat >"$tmp/unpacked/SOURCE" <<SRC
suite: $best_suite
arch: $arch
flavour: $flavour
package: $pkg
version: $version
filename: $filename
sha256: $sha256
fetched: $(date -u +%Y-%m-%dT%H:%M:%SZ)
note: index not signature-checked (Packages.xz fetched directly); the .deb matched its SHA256
SRC
  rm -rf "$dir"
  mv "$tmp/unpacked" "$dir"
fi
ln -sfn "$(basename "$dir")" "$pin"
log "$pkg $version ready"
echo "$dir"
