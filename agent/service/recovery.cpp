#include "service/recovery.hpp"

#include <spdlog/spdlog.h>

#include <string>

#include "core/events.hpp"

namespace warren::service {

Status recover(core::IpamState& state, const journal::Recovered& rec) {
    for (size_t i = 0; i < rec.snapshot.size(); ++i) {
        auto e = core::decode_event(rec.snapshot[i]);
        if (!e)
            return fail(Code::io, "snapshot entry " + std::to_string(i) +
                                      " is unreadable: " + e.error().message);
        if (auto s = state.replay(*e); !s)
            return fail(Code::io, "snapshot entry " + std::to_string(i) +
                                      " contradicts the state: " + s.error().message);
    }
    for (auto& r : rec.records) {
        auto e = core::decode_event(r.payload);
        if (!e)
            return fail(Code::io, "journal record seq " + std::to_string(r.seq) +
                                      " is unreadable: " + e.error().message);
        if (auto s = state.replay(*e); !s)
            return fail(Code::io, "journal record seq " + std::to_string(r.seq) +
                                      " contradicts the state: " + s.error().message);
    }
    return {};
}

void log_pools(const core::IpamState& state) {
    for (auto& u : state.usage())
        for (auto& s : u.sets)
            spdlog::info("pool '{}' {}: {} usable, {} in use, {} cooling down", u.name, s.ranges,
                         u128_str(s.usable), u128_str(s.used), u128_str(s.quarantined));
    if (state.pools().empty())
        spdlog::info("no pools configured: serving only CNI configs that carry their own 'ranges'");
}

}  // namespace warren::service
