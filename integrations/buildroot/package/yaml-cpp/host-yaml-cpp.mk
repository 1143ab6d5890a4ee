################################################################################
#
# host-yaml-cpp
#
################################################################################

# Buildroot's package/yaml-cpp builds yaml-cpp for the target only, and
# host-dtmem needs it on the host: this is the host variant, with the version,
# site, license, hash and patches of package/yaml-cpp (HOST_YAML_CPP_PKGDIR
# below). A Buildroot that has host-yaml-cpp itself keeps its own.
ifeq ($(filter host-yaml-cpp,$(PACKAGES_ALL)),)
HOST_YAML_CPP_CONF_OPTS += $(YAML_CPP_CONF_OPTS)
$(eval $(host-cmake-package))
HOST_YAML_CPP_PKGDIR = $(YAML_CPP_PKGDIR)
endif
