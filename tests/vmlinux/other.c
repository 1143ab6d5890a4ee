/* SPDX-License-Identifier: MIT */
/* A unit with a different struct resource, which read_vmlinux() must not take. */
#define DTMEM_TEST_OTHER_PROPERTY
#include "structs.h"
struct resource other_resource;
