#pragma once
// Shared by the libFuzzer targets in this folder: input views, an abort-on-violation check (a
// crash to libFuzzer, a failure to the corpus replay), and comparisons the targets assert with.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "warren/protocol.hpp"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                                 \
        }                                                                                 \
    } while (0)

namespace warren::fuzz {

inline std::string_view view(const uint8_t* data, size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// Well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF). Written here rather than
// reused from the plugin so the oracle does not share the code under test.
inline bool utf8(std::string_view s) {
    for (size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (n == 0 || i + n > s.size()) return false;
        uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
        for (size_t k = 1; k < n; ++k) {
            const auto d = static_cast<unsigned char>(s[i + k]);
            if ((d >> 6) != 2) return false;
            cp = (cp << 6) | (d & 0x3f);
        }
        static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += n;
    }
    return true;
}

// JSON numbers too large for a double parse to infinity, which dumps as null.
inline bool finite(const nlohmann::json& j) {
    if (j.is_number_float()) {
        const double d = j.get<double>();
        return d - d == 0;
    }
    if (j.is_structured())
        for (auto& e : j)
            if (!finite(e)) return false;
    return true;
}

inline bool all_utf8(const proto::Request& r) {
    for (const std::string* s : {&r.network, &r.container_id, &r.ifname, &r.netns, &r.pod.namespace_,
                                 &r.pod.name, &r.pod.uid})
        if (!utf8(*s)) return false;
    if (r.pool && !utf8(*r.pool)) return false;
    for (auto& ip : r.ips)
        if (!utf8(ip)) return false;
    for (auto& a : r.valid_attachments)
        if (!utf8(a.container_id) || !utf8(a.ifname)) return false;
    return true;
}

// The compact form holds strings and counts of up to 16 bits (longer ones are the encoder's
// caller's to refuse).
inline bool fits_compact(const proto::Request& r) {
    constexpr size_t kMax = 0xffff;
    for (const std::string* s : {&r.network, &r.container_id, &r.ifname, &r.netns, &r.pod.namespace_,
                                 &r.pod.name, &r.pod.uid})
        if (s->size() > kMax) return false;
    if (r.pool && r.pool->size() > kMax) return false;
    if (r.ips.size() > kMax || r.valid_attachments.size() > kMax) return false;
    for (auto& ip : r.ips)
        if (ip.size() > kMax) return false;
    for (auto& a : r.valid_attachments)
        if (a.container_id.size() > kMax || a.ifname.size() > kMax) return false;
    return true;
}

inline bool same(const proto::Request& a, const proto::Request& b) {
    return a.op == b.op && a.network == b.network && a.container_id == b.container_id &&
           a.ifname == b.ifname && a.netns == b.netns && a.netns_inode == b.netns_inode &&
           a.pod == b.pod && a.pool == b.pool && a.ranges == b.ranges && a.ips == b.ips &&
           a.valid_attachments == b.valid_attachments;
}

inline bool same(const proto::Response& a, const proto::Response& b) {
    return a.ok == b.ok && (!a.ok ? a.code == b.code && a.msg == b.msg && a.details == b.details : true) &&
           a.ips == b.ips;
}

}  // namespace warren::fuzz
