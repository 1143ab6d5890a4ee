# SPDX-License-Identifier: MIT
SUMMARY = "Device-tree memory-map analyzer and linter for embedded Linux"
DESCRIPTION = "dtmem shows the physical memory map a device tree describes, predicts what \
a given Linux kernel does with it at boot, and lints it (overlapping carveouts, pools a \
device cannot reach, CMA above a device's DMA limit, boot failures)."
SECTION = "devel"
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://LICENSE;md5=a8482e4ba88979c3339d01bb72e532c7"

# This layer sits in dtmem's own repository: the recipe builds that checkout as it is, so
# the dtmem a build lints with is the one beside the layer. To build another copy set
# EXTERNALSRC:pn-dtmem-native (and :pn-dtmem) in local.conf.
inherit cmake externalsrc
EXTERNALSRC ?= "${DTMEM_SOURCE_DIR}"

# CMakeLists.txt finds fmt, nlohmann_json, yaml-cpp and CLI11 by their CMake packages,
# libfdt (from dtc) by header and library name, and libdw (elfutils, for --vmlinux) with
# pkg-config.
inherit pkgconfig
DEPENDS = "dtc yaml-cpp cli11 fmt nlohmann-json elfutils"
# Shared libraries, as a distribution links them; the tests are not built (they need doctest).
EXTRA_OECMAKE = "-DDTMEM_STATIC_DEPS=OFF -DBUILD_TESTING=OFF"

# DTS input goes through cpp and dtc; cpp-symlinks gives the plain `cpp` dtmem runs. The
# dtmem bbclass lints compiled DTBs, so the native tool needs neither.
RDEPENDS:${PN}:class-target = "dtc cpp cpp-symlinks"

BBCLASSEXTEND = "native nativesdk"

# The version is the one CMakeLists.txt declares; without the sources the recipe is skipped
# with the reason, instead of breaking the parse of every build that has this layer.
python () {
    import re
    source = d.getVar('EXTERNALSRC')
    try:
        with open(os.path.join(source, 'CMakeLists.txt')) as cmakelists:
            d.setVar('PV', re.search(r'project\(dtmem VERSION ([0-9.]+)', cmakelists.read()).group(1))
    except (OSError, AttributeError):
        raise bb.parse.SkipRecipe('no dtmem sources in %s: set EXTERNALSRC:pn-%s' % (source, d.getVar('PN')))
}
