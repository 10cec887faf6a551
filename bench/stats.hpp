#pragma once
// Small helpers shared by the benchmark parts: a monotonic clock and nearest-rank percentiles.
#include <time.h>

#include <algorithm>
#include <csignal>
#include <cmath>
#include <cstdint>
#include <vector>

namespace warren::bench {

// Set by the SIGINT/SIGTERM handler; long loops check it and throw Interrupted so every temp
// file and child is cleaned up by the normal unwinding path.
inline volatile std::sig_atomic_t g_stop = 0;
struct Interrupted {};
inline void check_stop() {
    if (g_stop) throw Interrupted{};
}

inline uint64_t now_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

// Nearest-rank percentile (p in [0, 100]) of `v`, which it sorts; 0 for an empty vector.
template <class T>
double percentile(std::vector<T>& v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
    rank = std::clamp<size_t>(rank, 1, v.size());
    return static_cast<double>(v[rank - 1]);
}

struct Summary {
    double p50_ms = 0, p99_ms = 0;
    size_t n = 0;
};

template <class T>
Summary summarize_ns(std::vector<T> v) {
    Summary s;
    s.n = v.size();
    s.p50_ms = percentile(v, 50) / 1e6;
    s.p99_ms = percentile(v, 99) / 1e6;
    return s;
}

}  // namespace warren::bench
