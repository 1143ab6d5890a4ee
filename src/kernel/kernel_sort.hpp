// SPDX-License-Identifier: MIT
// lib/sort.c sort(), reproduced exactly. Internal to the library.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace dtmem::detail {

// lib/sort.c sort(): the kernel's bottom-up heapsort, not stable. Reproduced exactly
// because 6.1 allocates dynamic regions in the order it leaves equal records in.
template <typename T, typename Compare>
void kernel_heapsort(std::vector<T>& v, Compare cmp) {
    std::size_t n = v.size(), a = n / 2;
    if (a == 0) return;
    for (;;) {
        std::size_t b, c, d;
        if (a) {
            --a;
        } else if (--n) {
            std::swap(v[0], v[n]);
        } else {
            break;
        }
        for (b = a; c = 2 * b + 1, (d = c + 1) < n;) b = cmp(v[c], v[d]) >= 0 ? c : d;
        if (d == n) b = c;
        while (b != a && cmp(v[a], v[b]) >= 0) b = (b - 1) / 2;
        c = b;
        while (b != a) {
            b = (b - 1) / 2;
            std::swap(v[b], v[c]);
        }
    }
}

}  // namespace dtmem::detail
