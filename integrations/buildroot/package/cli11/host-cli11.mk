################################################################################
#
# host-cli11
#
################################################################################

# Buildroot's package/cli11 builds cli11 for the target only, and host-dtmem
# needs it on the host: this is the host variant, with the version, site,
# license, hash and patches of package/cli11 (HOST_CLI11_PKGDIR below). A
# Buildroot that has host-cli11 itself keeps its own.
ifeq ($(filter host-cli11,$(PACKAGES_ALL)),)
HOST_CLI11_CONF_OPTS += $(CLI11_CONF_OPTS)
$(eval $(host-cmake-package))
HOST_CLI11_PKGDIR = $(CLI11_PKGDIR)
endif
