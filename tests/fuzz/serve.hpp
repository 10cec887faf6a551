#pragma once
// What the agent does with a decoded request, without the I/O: the decision of
// IpamService::decide on a state with one configured pool and one allocation, then what it
// would journal is checked to read back (events decode to themselves, replay rebuilds the
// state, undo restores it) and its answer to reach the plugin intact.
#include <algorithm>
#include <string>
#include <vector>

#include "core/events.hpp"
#include "core/ipam_state.hpp"
#include "core/range.hpp"
#include "fuzz.hpp"
#include "warren/protocol.hpp"

namespace warren::fuzz {

inline constexpr int64_t kCooldownNs = 30'000'000'000;
inline constexpr int64_t kNow = 1'700'000'000'000'000'000;

// The state as sorted event encodings: snapshot order follows hash tables.
inline std::vector<std::string> image(const core::IpamState& s) {
    std::vector<std::string> out;
    for (auto& e : s.snapshot_events()) out.push_back(core::encode_event(e));
    std::sort(out.begin(), out.end());
    return out;
}

inline void check_journaled(const std::vector<core::Event>& events) {
    for (auto& e : events) {
        const std::string bytes = core::encode_event(e);
        auto back = core::decode_event(bytes);
        FUZZ_CHECK(back.has_value());
        FUZZ_CHECK(core::encode_event(*back) == bytes);
    }
}

inline Result<std::vector<IpAddress>> parse_ips(const std::vector<std::string>& in) {
    std::vector<IpAddress> out;
    for (auto& s : in) {
        auto a = IpAddress::parse(s.substr(0, s.find('/')));
        if (!a) return fail(Code::invalid_config, "invalid IP address '" + s + "' in request");
        auto again = IpAddress::parse(a->str());
        FUZZ_CHECK(again.has_value() && *again == *a);
        out.push_back(*a);
    }
    return out;
}

inline proto::Response answer(core::IpamState& state, proto::Request& req, core::Change& change) {
    using proto::Op;
    core::AttachmentKey key{req.network, req.container_id, req.ifname};
    switch (req.op) {
        case Op::ping: return proto::Response{true};
        case Op::add: {
            auto requested = parse_ips(req.ips);
            if (!requested) return proto::Response::failure(requested.error());
            auto ranges = core::parse_optional_range_sets(req.ranges);
            if (!ranges && !state.find(key)) return proto::Response::failure(ranges.error());
            core::AddRequest ar{key,
                                req.pool,
                                ranges ? *ranges : std::nullopt,
                                *requested,
                                req.netns,
                                req.netns_inode,
                                {req.pod.namespace_, req.pod.name, req.pod.uid}};
            auto a = state.add(std::move(ar), kNow, change);
            if (!a) return proto::Response::failure(a.error());
            proto::Response r{true};
            const core::Pool* p = state.pool((*a)->pool);
            FUZZ_CHECK(p != nullptr);
            for (auto& addr : (*a)->addresses) {
                FUZZ_CHECK(p->set_of(addr) >= 0);
                int len = addr.bits();
                r.ips.push_back({cidr_string(addr, len), state.gateway_for(*p, addr, &len)});
            }
            FUZZ_CHECK(state.check(key, (*a)->addresses).has_value());
            return r;
        }
        case Op::del:
            state.release(key, core::ReleaseReason::del, kNow, change);
            FUZZ_CHECK(state.find(key) == nullptr);
            state.sweep_quarantine(kNow + kCooldownNs, change);
            return proto::Response{true};
        case Op::check: {
            auto ips = parse_ips(req.ips);
            if (!ips) return proto::Response::failure(ips.error());
            if (auto s = state.check(key, *ips); !s) return proto::Response::failure(s.error());
            return proto::Response{true};
        }
        case Op::gc: {
            std::vector<std::pair<std::string, std::string>> valid;
            for (auto& a : req.valid_attachments) valid.emplace_back(a.container_id, a.ifname);
            state.gc(req.network, valid, kNow, change);
            return proto::Response{true};
        }
        case Op::status: {
            auto ranges = core::parse_optional_range_sets(req.ranges);
            if (!ranges) return proto::Response::failure(ranges.error());
            if (auto s = state.status(req.pool, *ranges, req.network); !s)
                return proto::Response::failure(s.error());
            return proto::Response{true};
        }
    }
    FUZZ_CHECK(false);
    return {};
}

// The agent's ranges handling: parse, and the canonical form parses to the same sets.
inline void check_ranges(const nlohmann::json& ranges) {
    auto sets = core::parse_range_sets(ranges);
    if (!sets) return;
    auto again = core::parse_range_sets(core::to_json(*sets));
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(*again == *sets);
    for (auto& set : *sets) {
        (void)core::describe(set);
        (void)core::usable(set);
    }
}

inline void serve(proto::Request req) {
    if (req.ranges) check_ranges(*req.ranges);

    core::IpamState state(kCooldownNs);
    static const auto sets = core::range_sets_from_cidrs({"10.1.0.0/24", "fd00:1::/120"});
    FUZZ_CHECK(sets.has_value());
    core::Change setup;
    FUZZ_CHECK(state.define_pool("default", *sets, core::PoolSource::config).has_value());
    auto other = core::AddRequest{{req.network, "existing", "eth0"}, {}, {}, {}, "/run/netns/x", 7, {}};
    FUZZ_CHECK(state.add(other, kNow - 1, setup).has_value());
    if (req.op == proto::Op::del || req.op == proto::Op::check) {
        core::AddRequest own{{req.network, req.container_id, req.ifname}, {}, {}, {}, req.netns, 0, {}};
        (void)state.add(own, kNow - 1, setup);
    }
    const auto before = state.snapshot_events();
    const auto before_image = image(state);

    core::Change change;
    proto::Response resp = answer(state, req, change);
    FUZZ_CHECK(change.events.size() == change.undo.size());
    check_journaled(before);
    check_journaled(change.events);

    // Replaying what was journaled rebuilds the same state.
    core::IpamState replayed(kCooldownNs);
    for (auto& e : before) FUZZ_CHECK(replayed.replay(e).has_value());
    for (auto& e : change.events) FUZZ_CHECK(replayed.replay(e).has_value());
    FUZZ_CHECK(image(replayed) == image(state));

    // A failed journal write takes the change back.
    for (auto it = change.undo.rbegin(); it != change.undo.rend(); ++it) (*it)();
    FUZZ_CHECK(image(state) == before_image);

    // The plugin reads the answer as the agent wrote it.
    auto decoded = proto::decode_response(proto::encode(resp));
    FUZZ_CHECK(decoded.has_value());
    if (utf8(resp.msg) && utf8(resp.details)) FUZZ_CHECK(same(*decoded, resp));
}

}  // namespace warren::fuzz
