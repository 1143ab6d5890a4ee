/* SPDX-License-Identifier: MIT */
/* Stand-ins for the kernel structs dtmem measures in a vmlinux: the test compares what
 * read_vmlinux() finds in this program's DWARF with the compiler's own sizeof. */
#ifndef DTMEM_TEST_VMLINUX_STRUCTS_H
#define DTMEM_TEST_VMLINUX_STRUCTS_H
struct device_node {
    const char* name;
    unsigned long phandle;
    struct device_node* parent;
    char flags[13];
};
struct property {
    char* name;
    int length;
    void* value;
};
/* Another struct of the same name in another unit: only the asked-for unit's counts. */
#ifdef DTMEM_TEST_OTHER_PROPERTY
struct resource {
    long double bigger[9];
};
#else
struct resource {
    unsigned long start, end;
    const char* name;
};
#endif
#endif
