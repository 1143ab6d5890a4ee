#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Run dtmem over the real DTBs that Debian bookworm ships (arm64 "arm64", armhf "armmp" and
# "armmp-lpae" kernel packages, fetched with tools/debian-kernels.sh).
#
#   tests/corpus/run-corpus.sh [--corrupt] DTMEM_BINARY [CACHE_DIR]
#
# Contract checked: `DTMEM_BINARY map FILE` exits 0 (success) or 2 (input error, one line on
# stderr naming the file). Anything else is a failure: a signal, a timeout (DTMEM_TIMEOUT s,
# default 10), exit 1 (internal error) or any other code.
# --corrupt runs instead on corrupted copies (truncations, header fields overwritten, flipped
# bytes) of a deterministic sample of the DTBs; exit 0 and 2 both pass there too.
#
# CACHE_DIR defaults to ${DTMEM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dtmem}; the kernels go
# to CACHE_DIR/kernels, the report to CACHE_DIR/corpus-report.txt (corpus-corrupt-report.txt),
# and failing corrupted inputs are kept in CACHE_DIR/corpus-corrupt-failures/.
# Exit status: 0 if every run passed, 1 otherwise. Last line: "corpus: N passed, M failed".
set -euo pipefail

usage() { echo "usage: $0 [--corrupt] DTMEM_BINARY [CACHE_DIR]" >&2; exit 2; }
corrupt=0
[[ ${1:-} == --corrupt ]] && { corrupt=1; shift; }
[[ $# -eq 1 || $# -eq 2 ]] || usage
bin=$(command -v "$1" || true)
[[ -n $bin && -x $bin ]] || { echo "run-corpus: not an executable: $1" >&2; exit 2; }
bin=$(realpath "$bin")
cache=${2:-${DTMEM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dtmem}}
mkdir -p "$cache"
cache=$(realpath "$cache")
here=$(cd "$(dirname "$0")" && pwd)
jobs=${DTMEM_JOBS:-2}
export DTMEM_TIMEOUT=${DTMEM_TIMEOUT:-10}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- the corpus: every *.dtb of the three packages; armmp-lpae files identical to armmp's
# (same path, same bytes) are counted but not run twice.
kernels=()
: >"$work/all"
for spec in arm64:arm64 armhf:armmp armhf:armmp-lpae; do
  arch=${spec%%:*} flavour=${spec#*:}
  dir=$("$here/../../tools/debian-kernels.sh" bookworm "$arch" "$flavour" "$cache/kernels")
  kernels+=("$(awk '{ v[$1] = $2 } END { print v["package:"], v["version:"], "(" v["suite:"] ")" }' "$dir/SOURCE")")
  (cd "$dir"/usr/lib/linux-image-*/ && find . -name '*.dtb' -type f -print0 | sort -z |
     xargs -0 sha256sum) | awk -v a="$arch" -v fl="$flavour" -v base="$(echo "$dir"/usr/lib/linux-image-*)" \
     '{ rel = substr($2, 3); print a, fl, $1, rel, base "/" rel }' >>"$work/all"
done
awk '!seen[$1 " " $3 " " $4]++' "$work/all" >"$work/unique"
count() { awk -v fl="$1" '$2 == fl' "$work/all" | wc -l; }
n_arm64=$(count arm64) n_armmp=$(count armmp) n_lpae=$(count armmp-lpae)
n_unique=$(wc -l <"$work/unique")
n_contents=$(awk '{ print $3 }' "$work/unique" | sort -u | wc -l)
corpus_line="DTBs: arm64 $n_arm64, armhf armmp $n_armmp, armhf armmp-lpae $n_lpae"
corpus_line+=" ($((n_armmp + n_lpae + n_arm64 - n_unique)) identical to armmp),"
corpus_line+=" unique files $n_unique ($n_contents distinct contents)"
echo "$corpus_line" >&2
awk '{ print $5 }' "$work/unique" >"$work/inputs"

# --- corrupt mode: replace the inputs by corrupted copies of every STEP-th DTB.
be32() { od --endian=big -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
put32() {  # put32 FILE OFFSET VALUE: write VALUE big-endian at OFFSET
  printf '%b' "$(printf '\\0%03o' $(($3 >> 24 & 255)) $(($3 >> 16 & 255)) $(($3 >> 8 & 255)) \
    $(($3 & 255)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
flip() {  # flip FILE OFFSET MASK: xor the byte at OFFSET with MASK
  local b
  b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
  printf '%b' "$(printf '\\0%03o' $((b ^ $3)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
variant() {  # variant TAG DESCRIPTION: copy $src to a new input $out and record it
  out=$work/c/$(printf '%04d' "$idx")-$name-$1.dtb
  cp "$src" "$out"
  printf '%s\t%s\t%s\n' "$out" "$src" "$2" >>"$work/manifest"
}
if ((corrupt)); then
  variants=13 seed=20250520
  step=$(((n_unique * variants + 1999) / 2000)); ((step >= 10)) || step=10
  mkdir "$work/c"
  : >"$work/manifest"
  idx=0
  while read -r src; do
    idx=$((idx + 1)); ((idx % step == 1)) || continue
    size=$(stat -c %s "$src")
    ((size > 64)) || continue
    soff=$(be32 "$src" 8) ssize=$(be32 "$src" 36)
    ((soff + ssize <= size && ssize > 0)) || { soff=40; ssize=$((size - 40)); }
    name=$(basename "$src" .dtb)
    for len in 0 39 $((size / 2)) $((size - 1)); do
      variant "trunc$len" "truncated to $len bytes"; truncate -s "$len" "$out"
    done
    fields=(4 8 12 16 20 32 36)  # totalsize, off_dt_struct/strings/mem_rsvmap, version, sizes
    f=${fields[idx % 7]};       variant "h${f}max" "header word at $f set to 0xffffffff"; put32 "$out" "$f" 4294967295
    f=${fields[(idx + 3) % 7]}; variant "h${f}size" "header word at $f set to $size"; put32 "$out" "$f" "$size"
    f=${fields[(idx + 5) % 7]}; variant "h${f}zero" "header word at $f set to 0"; put32 "$out" "$f" 0
    for k in 0 1 2 3 4 5; do
      r=$(((seed + idx * 7919 + k * 104729) * (k + 3) % 1000003))
      if ((k < 3)); then off=$((r % size)); else off=$((soff + r % ssize)); fi
      mask=$((1 << ((idx + k) % 8)))
      variant "x$k-$off" "byte at $off xor $mask"; flip "$out" "$off" "$mask"
    done
  done <"$work/inputs"
  cut -f1 "$work/manifest" >"$work/inputs"
  echo "corrupt mode: $(wc -l <"$work/inputs") corrupted copies of every ${step}th DTB" >&2
fi

# --- run: one result file per input, "rc<TAB>file", stderr kept beside it.
mkdir "$work/r"
run_one() {  # run_one INDEX FILE
  local rc=0
  timeout -k 2 "$DTMEM_TIMEOUT" "$DTMEM_BIN" map "$2" >/dev/null 2>"$DTMEM_RES/$1.err" || rc=$?
  printf '%s\t%s\n' "$rc" "$2" >"$DTMEM_RES/$1"
}
export -f run_one
export DTMEM_BIN=$bin DTMEM_RES=$work/r
start=$SECONDS
i=0
while read -r f; do i=$((i + 1)); printf '%d\0%s\0' "$i" "$f"; done <"$work/inputs" |
  xargs -0 -n 2 -P "$jobs" bash -c 'run_one "$@"' _
elapsed=$((SECONDS - start))

# --- report
report=$cache/corpus-report.txt
if ((corrupt)); then
  report=$cache/corpus-corrupt-report.txt keep=$cache/corpus-corrupt-failures
  rm -rf "$keep"
fi
n=$(wc -l <"$work/inputs")
declare -A what=()  # corrupt mode: corrupted input -> "SOURCE [how]"
((corrupt)) && while IFS=$'\t' read -r c src how; do what[$c]="$src [$how]"; done <"$work/manifest"
ok=0 inerr=0 bad=0 odd=0
: >"$work/fails"; : >"$work/exit2"
for ((i = 1; i <= n; i++)); do
  IFS=$'\t' read -r rc file <"$work/r/$i"
  err=$work/r/$i.err
  case $rc in
    0) ok=$((ok + 1)) ;;
    2) inerr=$((inerr + 1))
       line=$(head -n 1 "$err")
       note=''
       [[ $(wc -l <"$err") -eq 1 && $line == *"$(basename "$file")"* ]] || { note=' [not one line naming the file]'; odd=$((odd + 1)); }
       printf 'exit 2: %s: %s%s\n' "${what[$file]:-$file}" "${line:-(no stderr)}" "$note" >>"$work/exit2" ;;
    *) bad=$((bad + 1))
       if ((rc == 124)); then why="TIMEOUT (${DTMEM_TIMEOUT}s)"
       elif ((rc > 128)); then why="signal SIG$(kill -l $((rc - 128)) 2>/dev/null || echo $((rc - 128)))"
       else why="exit $rc"; fi
       if ((corrupt)); then
         mkdir -p "$keep"; cp "$file" "$keep/"
         printf 'FAIL %s: %s\n  corrupted copy of %s\n' "$why" "$keep/${file##*/}" "${what[$file]}"
       else
         printf 'FAIL %s: %s\n' "$why" "$file"
       fi >>"$work/fails"
       tail -n 3 "$err" | sed 's/^/  | /' >>"$work/fails" ;;
  esac
done
{
  echo "dtmem corpus run, $(date -u +%Y-%m-%dT%H:%M:%SZ), mode: $( ((corrupt)) && echo corrupt || echo plain)"
  echo "binary: $bin"
  printf 'kernel: %s\n' "${kernels[@]}"
  echo "$corpus_line"
  echo "runs: $n in ${elapsed}s; exit 0: $ok; exit 2: $inerr ($odd without one stderr line naming the file); failed: $bad"
  echo
  cat "$work/fails"; echo; cat "$work/exit2"
} >"$report"
sed '/^$/q' "$report"
((bad == 0)) || { head -n 40 "$work/fails"; echo; }
((inerr == 0)) || { head -n 5 "$work/exit2"; ((inerr <= 5)) || echo "... ($inerr in all)"; echo; }
((corrupt && bad)) && echo "failing inputs kept in $keep"
echo "report: $report"
# --- lint: the whole corpus in one process (plain mode). No input may fail to be read or
# crash it; the findings per rule and the error-level findings go into the report.
lint_failed=0
if ((!corrupt)); then
  mapfile -t lint_inputs <"$work/inputs"
  lint_start=$(date +%s%N)
  lint_rc=0
  "$bin" lint --format gcc --exit-zero "${lint_inputs[@]}" >"$work/lint" 2>"$work/lint.err" || lint_rc=$?
  lint_ms=$((($(date +%s%N) - lint_start) / 1000000))
  lint_wall=$((lint_ms / 1000)).$(printf '%03d' $((lint_ms % 1000)))
  {
    echo; echo "lint: one process over $n DTBs in ${lint_wall}s, exit $lint_rc: $(tail -n 1 "$work/lint.err")"
    echo "findings per rule:"
    grep -oE '\[[a-z0-9-]+\]$' "$work/lint" | sort | uniq -c | sort -rn | sed 's/^/  /'
    echo "error-level findings:"
    grep ': error: ' "$work/lint" | sed 's/^/  /'
  } >>"$report"
  sed -n '/^lint: /,/^error-level/p' "$report" | head -n 40
  ((lint_rc == 0)) || lint_failed=1
fi

# Pinned: every shipped board maps (exit 0); a corrupted copy may be refused (exit 2), with
# exactly one error line naming the file. Lint reads every shipped board.
if ((corrupt)); then failed=$((bad + odd)); else failed=$((bad + inerr + lint_failed)); fi
echo "corpus: $((n - failed)) passed, $failed failed"
((failed == 0))
