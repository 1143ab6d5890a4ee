/* SPDX-License-Identifier: MIT */
/* The unit read_vmlinux() is asked for struct device_node and struct property. */
#include "../../structs.h"
struct device_node fdt_node;
struct property fdt_property;
