/* SPDX-License-Identifier: MIT */
/* The unit read_vmlinux() is asked for struct resource; main() prints the symbols and sizes
 * the test expects, as this program itself sees them. */
#include <stdio.h>
#include "../structs.h"
struct resource kernel_resource;
char _text[64] = {1};
char _end[8] = {2};
extern struct device_node fdt_node;
extern struct property fdt_property;
int main(void) {
    printf("_text %#lx\n_end %#lx\n", (unsigned long)_text, (unsigned long)_end);
    printf("device_node %zu\nproperty %zu\nresource %zu\n", sizeof fdt_node, sizeof fdt_property, sizeof kernel_resource);
    return 0;
}
