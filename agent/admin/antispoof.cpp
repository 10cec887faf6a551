#include "admin/antispoof.hpp"

namespace warren::admin {

using nlohmann::json;

json antispoof_status(const liveness::LivenessManager& liveness) {
    const auto& guard = liveness.guard();
    const auto c = guard.counts();
    json out{{"on", guard.on()},
             {"links", {{"off", c.by_mode[0]}, {"log", c.by_mode[1]}, {"drop", c.by_mode[2]}}},
             {"offenders", c.offenders},
             {"packets", c.packets},
             {"dropped", c.dropped}};
    if (auto why = liveness.anti_spoofing().why; !why.empty()) out["why"] = std::move(why);
    return out;
}

json antispoof_show(const liveness::LivenessManager& liveness, const std::string& key) {
    const auto& guard = liveness.guard();
    json out{{"on", guard.on()}};
    if (!guard.on()) {
        out["why"] = liveness.anti_spoofing().why;
        return out;
    }
    const auto held = guard.protection_of(key);
    json addresses = json::array();
    json offenders = json::array();
    std::string link;
    if (held) {
        for (const IpAddress& a : held->addresses) addresses.push_back(a.str());
        link = liveness.host_link_name(held->ifindex);
        for (const liveness::Offender& o : guard.offenders()) {
            if (o.spoof.ifindex != held->ifindex) continue;
            offenders.push_back({{"source", o.spoof.source.str()},
                                 {"packets", o.spoof.packets},
                                 {"dropped", o.spoof.dropped},
                                 {"bytes", o.spoof.bytes},
                                 {"firstSeenNs", liveness.wire_to_wall_ns(o.spoof.first_seen_ns)},
                                 {"lastSeenNs", liveness.wire_to_wall_ns(o.spoof.last_seen_ns)}});
        }
    }
    out["link"] = link;
    out["ifindex"] = held ? held->ifindex : 0;
    out["mode"] = held ? std::string(liveness::to_string(held->mode)) : std::string();
    out["addresses"] = std::move(addresses);
    out["offenders"] = std::move(offenders);
    return out;
}

}  // namespace warren::admin
