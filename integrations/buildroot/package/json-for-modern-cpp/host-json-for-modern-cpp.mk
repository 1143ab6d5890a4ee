################################################################################
#
# host-json-for-modern-cpp
#
################################################################################

# Buildroot's package/json-for-modern-cpp builds json-for-modern-cpp for the
# target only, and host-dtmem needs it on the host: this is the host variant,
# with the version, site, license, hash and patches of
# package/json-for-modern-cpp (HOST_JSON_FOR_MODERN_CPP_PKGDIR below). A
# Buildroot that has host-json-for-modern-cpp itself keeps its own.
ifeq ($(filter host-json-for-modern-cpp,$(PACKAGES_ALL)),)
HOST_JSON_FOR_MODERN_CPP_CONF_OPTS += $(JSON_FOR_MODERN_CPP_CONF_OPTS)
$(eval $(host-cmake-package))
HOST_JSON_FOR_MODERN_CPP_PKGDIR = $(JSON_FOR_MODERN_CPP_PKGDIR)
endif
