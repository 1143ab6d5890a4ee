# SPDX-License-Identifier: MIT
# meta-oe builds yaml-cpp for the target only; dtmem-native and nativesdk-dtmem link it.
BBCLASSEXTEND = "native nativesdk"
