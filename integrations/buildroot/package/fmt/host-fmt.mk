################################################################################
#
# host-fmt
#
################################################################################

# Buildroot's package/fmt builds fmt for the target only, and host-dtmem needs
# it on the host: this is the host variant, with the version, site, license,
# hash and patches of package/fmt (HOST_FMT_PKGDIR below). A Buildroot that has
# host-fmt itself keeps its own.
ifeq ($(filter host-fmt,$(PACKAGES_ALL)),)
HOST_FMT_CONF_OPTS += $(FMT_CONF_OPTS)

# The release is a zip with a top folder (FMT_EXTRACT_CMDS unzips it into
# BUILD_DIR, where it is FMT_DIR): move its contents to HOST_FMT_DIR.
define HOST_FMT_EXTRACT_CMDS
	$(UNZIP) -d $(@D) $(HOST_FMT_DL_DIR)/$(FMT_SOURCE)
	cp -a $(@D)/fmt-$(FMT_VERSION)/. $(@D)
	rm -rf $(@D)/fmt-$(FMT_VERSION)
endef

$(eval $(host-cmake-package))
HOST_FMT_PKGDIR = $(FMT_PKGDIR)
endif
