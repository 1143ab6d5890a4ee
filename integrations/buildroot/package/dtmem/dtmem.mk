################################################################################
#
# dtmem
#
################################################################################

# This external tree is integrations/buildroot of a dtmem checkout: build that
# checkout, so that the package and the post-image script always match.
DTMEM_SITE = $(realpath $(BR2_EXTERNAL_DTMEM_PATH)/../..)
DTMEM_SITE_METHOD = local
DTMEM_LICENSE = MIT
DTMEM_LICENSE_FILES = LICENSE

# doctest is not needed: the cmake infrastructure passes -DBUILD_TESTING=OFF.
HOST_DTMEM_DEPENDENCIES = \
	host-cli11 \
	host-dtc \
	host-elfutils \
	host-fmt \
	host-json-for-modern-cpp \
	host-yaml-cpp

# host-dtc installs libfdt.h in include/libfdt. The shared host libraries are
# linked as by Buildroot's other host tools (DTMEM_STATIC_DEPS is for
# standalone installs).
HOST_DTMEM_CONF_OPTS = \
	-DLIBFDT_INCLUDE_DIR=$(HOST_DIR)/include/libfdt \
	-DDTMEM_STATIC_DEPS=OFF

# In-tree build folders (cmake -B build) are large and not sources.
HOST_DTMEM_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS = --exclude /build*

$(eval $(host-cmake-package))
