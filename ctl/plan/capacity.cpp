#include "plan/rules.hpp"

namespace warren::plan {

std::string_view severity_name(Severity s) {
    switch (s) {
        case Severity::error:
            return "error";
        case Severity::warning:
            return "warning";
        case Severity::note:
            return "note";
    }
    return "note";
}

u128 pods_per_node(Family family, int node_mask) {
    const int bits = family == Family::v4 ? 32 : 128;
    if (node_mask < 0 || node_mask > bits) return 0;
    const int host_bits = bits - node_mask;
    if (host_bits >= 127) return u128{1} << 127;  // saturated
    const u128 size = u128{1} << host_bits;
    if (family == Family::v6) return size - 1;
    if (host_bits <= 1) return size;  // /31 (point-to-point, RFC 3021) and /32 have no broadcast
    return size - 2;
}

std::optional<int> mask_for_pods(Family family, uint64_t pods) {
    const int bits = family == Family::v4 ? 32 : 128;
    for (int mask = bits; mask >= 0; --mask)
        if (pods_per_node(family, mask) >= pods) return mask;
    return std::nullopt;
}

}  // namespace warren::plan
