#include "liveness/abi.hpp"

namespace warren::liveness {

warren_addr to_key(const IpAddress& a) {
    warren_addr k{};
    u128 v = a.value();
    if (a.is_v4()) {
        k.bytes[10] = 0xff;
        k.bytes[11] = 0xff;
        for (int i = 0; i < 4; ++i) k.bytes[15 - i] = static_cast<uint8_t>(v >> (8 * i));
    } else {
        for (int i = 0; i < 16; ++i) k.bytes[15 - i] = static_cast<uint8_t>(v >> (8 * i));
    }
    return k;
}

IpAddress from_key(const warren_addr& k) {
    bool mapped = k.bytes[10] == 0xff && k.bytes[11] == 0xff;
    for (int i = 0; i < 10 && mapped; ++i) mapped = k.bytes[i] == 0;
    u128 v = 0;
    for (int i = mapped ? 12 : 0; i < 16; ++i) v = (v << 8) | k.bytes[i];
    return mapped ? IpAddress::v4(static_cast<uint32_t>(v)) : IpAddress(Family::v6, v);
}

Observation from_value(const warren_observation& v) {
    return {v.last_seen_ns, v.packets,       v.bytes,
            v.ifindex,      v.first_ifindex, (v.flags & WARREN_OBS_MULTI_LINK) != 0};
}

}  // namespace warren::liveness
