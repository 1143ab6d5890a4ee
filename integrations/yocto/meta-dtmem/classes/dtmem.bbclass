# SPDX-License-Identifier: MIT
# dtmem.bbclass: lints every device tree a kernel recipe (or a devicetree.bbclass recipe)
# builds, against that kernel's own .config, in a task between do_compile and do_install,
# and deploys a text and a SARIF report per DTB with the recipe's do_deploy, into
# ${DEPLOY_DIR_IMAGE}/dtmem/${PN}/. Inherit it in a kernel bbappend, or for every kernel
# and devicetree recipe with INHERIT += "dtmem" in local.conf: other recipes are left alone.
# README.md beside classes/ describes the variables.

# The kernel command line the boot loader passes (dtmem --bootargs; empty: /chosen/bootargs).
DTMEM_BOOTARGS ?= ""
# RAM banks, "BASE:SIZE ...", when the boot loader fills in /memory (dtmem --memory each).
DTMEM_MEMORY ?= ""
# Where the boot loader puts things: kernel=ADDR,dtb=ADDR,initrd=ADDR:SIZE (dtmem --load).
DTMEM_LOAD ?= ""
# Any other options of dtmem lint.
DTMEM_ARGS ?= ""
# The level of finding that fails the task: error, warning, note, or none.
DTMEM_FAIL_ON ?= "error"
# The kernel .config to predict for; empty: ${B}/.config when there is one (a kernel build).
DTMEM_KERNEL_CONFIG ?= ""
# The kernel's vmlinux with DWARF (dtmem --vmlinux: that build's struct, image and per-CPU
# sizes); empty: ${B}/vmlinux when the .config has CONFIG_DEBUG_INFO, else none.
DTMEM_VMLINUX ?= ""
# The DTBs, relative to DTMEM_DTB_DIR (shell patterns allowed, overlays skipped): a
# kernel's KERNEL_DEVICETREE, or every DTB a devicetree recipe compiled.
DTMEM_DTB_DIR ??= "${@'${B}' if bb.data.inherits_class('devicetree', d) else '${B}/arch/${ARCH}/boot/dts'}"
DTMEM_DEVICETREE ??= "${@'*.dtb' if bb.data.inherits_class('devicetree', d) else d.getVar('KERNEL_DEVICETREE') or ''}"

DTMEM_REPORTDIR = "${WORKDIR}/dtmem"
do_dtmem_lint[doc] = "Lints the device trees the recipe built with dtmem"
do_dtmem_lint[cleandirs] = "${DTMEM_REPORTDIR}"

python () {
    if not (bb.data.inherits_class('kernel', d) or bb.data.inherits_class('devicetree', d)):
        return
    bb.build.addtask('do_dtmem_lint', 'do_install', 'do_compile', d)
    # A task dependency, not DEPENDS: a new dtmem reruns the lint, not the kernel's compile.
    d.appendVarFlag('do_dtmem_lint', 'depends', ' dtmem-native:do_populate_sysroot')
    d.appendVarFlag('do_deploy', 'postfuncs', ' dtmem_deploy')
}

# The shell functions between the marker lines are plain POSIX sh that reads bitbake
# variables as ${NAME} only: tests/integrations/yocto-class-test.sh runs them as they are.
# dtmem-shell-begin

do_dtmem_lint() {
	mkdir -p "${DTMEM_REPORTDIR}"
	case "${ARCH}" in
	arm|arm64|riscv) ;;
	*) bbnote "dtmem models arm, arm64 and riscv, not ${ARCH}: nothing linted"; return 0 ;;
	esac
	case "${DTMEM_FAIL_ON}" in
	none) judge=--exit-zero ;;
	error|warning|note) judge="--fail-on=${DTMEM_FAIL_ON}" ;;
	*) bbfatal "DTMEM_FAIL_ON is \"${DTMEM_FAIL_ON}\": use error, warning, note or none" ;;
	esac

	config="${DTMEM_KERNEL_CONFIG}"
	if [ -z "$config" ] && [ -f "${B}/.config" ]; then
		config="${B}/.config"
	fi
	vmlinux="${DTMEM_VMLINUX}"
	if [ -z "$vmlinux" ] && [ -f "${B}/vmlinux" ] && [ -n "$config" ] && grep -q '^CONFIG_DEBUG_INFO=y' "$config"; then
		vmlinux="${B}/vmlinux"
	fi
	if [ -n "$config" ]; then
		set -- --kernel-config="$config"
	else
		# No kernel build here: the recipe's architecture, dtmem's default kernel version.
		case "${ARCH}" in
		riscv) set -- --arch=riscv64 ;;
		*) set -- --arch="${ARCH}" ;;
		esac
	fi
	if [ -n "$vmlinux" ]; then
		set -- "$@" --vmlinux="$vmlinux"
	fi
	if [ -n "${DTMEM_BOOTARGS}" ]; then
		set -- "$@" --bootargs="${DTMEM_BOOTARGS}"
	fi
	for bank in ${DTMEM_MEMORY}; do
		set -- "$@" --memory="$bank"
	done
	if [ -n "${DTMEM_LOAD}" ]; then
		set -- "$@" --load="${DTMEM_LOAD}"
	fi
	set -- "$@" ${DTMEM_ARGS}

	# Relative paths: the messages and the SARIF name vendor/board.dtb, not the build tree.
	cd "${DTMEM_DTB_DIR}"
	linted=0
	failures=
	for dtb in ${DTMEM_DEVICETREE}; do
		case $dtb in
		*.dtbo) bbnote "dtmem: $dtb is an overlay, not a board: not linted"; continue ;;
		*'*'*) continue ;;
		*/dts/*) dtb=${dtb##*/dts/} ;;
		esac
		[ -f "$dtb" ] || bbfatal "dtmem: $dtb is not in ${DTMEM_DTB_DIR}"
		status=0
		findings=$(dtmem lint --format=gcc $judge "$@" "$dtb" 2>&1) || status=$?
		case $status in
		0) dtmem_show "$findings" ;;
		1) failures="$failures$findings
" ;;
		*) bbfatal "dtmem could not lint $dtb (exit status $status): $findings" ;;
		esac
		report="${DTMEM_REPORTDIR}/${dtb%.dtb}"
		mkdir -p "$(dirname "$report")"
		# The same input just passed dtmem: set -e is enough here. The text report ends
		# with the summary line dtmem writes to stderr.
		dtmem lint --exit-zero --format=text "$@" "$dtb" >"$report.txt" 2>&1
		dtmem lint --exit-zero --format=sarif "$@" "$dtb" >"$report.sarif"
		linted=$(expr $linted + 1)
	done
	bbnote "dtmem: $linted device trees linted, reports in ${DTMEM_REPORTDIR}"
	if [ -n "$failures" ]; then
		bbfatal "dtmem: findings at or above DTMEM_FAIL_ON = ${DTMEM_FAIL_ON} (reports in ${DTMEM_REPORTDIR}):
$failures"
	fi
}

# dtmem_show FINDINGS: the errors and warnings of a DTB that passed, each a bbwarn (as
# insane.bbclass shows QA issues); notes only in the task log.
dtmem_show() {
	printf '%s\n' "$1" | while IFS= read -r line; do
		case $line in
		'') ;;
		*': error: '*|*': warning: '*) bbwarn "$line" ;;
		*) bbnote "$line" ;;
		esac
	done
}

# A postfunc of do_deploy: the reports go where the recipe deploys, with its sstate.
dtmem_deploy() {
	install -d "${DEPLOYDIR}/dtmem/${PN}"
	cp -R "${DTMEM_REPORTDIR}/." "${DEPLOYDIR}/dtmem/${PN}/"
}

# dtmem-shell-end
