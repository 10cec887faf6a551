#include "admin/entries.hpp"

namespace warren::admin {

EntryState entry_state(const core::Allocation& a) {
    if (!a.candidate) return {"active", "", a.time_ns};
    if (a.candidate->zombie)
        return {"zombie", core::gc_reason_name(a.candidate->zombie->reason), a.candidate->zombie->since_ns};
    return {"stale-candidate", core::gc_reason_name(a.candidate->reason), a.candidate->since_ns};
}

int64_t last_seen(const service::PassWire& wire, const std::vector<IpAddress>& addrs) {
    if (!wire.available()) return 0;
    int64_t t = 0;
    for (auto& a : addrs)
        if (auto s = wire.seen(a)) t = std::max(t, s->last_seen_ns);
    return t;
}

nlohmann::json allocation_entry(const core::Allocation& a, const service::PassWire& wire) {
    const auto st = entry_state(a);
    return {{"ip", a.addresses.empty() ? std::string{} : a.addresses.front().str()},
            {"pool", a.pool},
            {"state", st.state},
            {"containerId", a.key.container_id},
            {"ifname", a.key.ifname},
            {"network", a.key.network},
            {"podNamespace", a.pod.namespace_},
            {"podName", a.pod.name},
            {"podUid", a.pod.uid},
            {"netns", a.netns},
            {"allocatedNs", a.time_ns},
            {"lastSeenNs", last_seen(wire, a.addresses)},
            {"reason", st.reason},
            {"sinceNs", st.since_ns}};
}

nlohmann::json quarantine_entry(const std::string& pool, const IpAddress& addr, const core::Cooling& c,
                                const service::PassWire& wire, std::string_view release_reason) {
    return {{"ip", addr.str()},
            {"pool", pool},
            {"state", "quarantined"},
            {"containerId", c.owner.container_id},
            {"ifname", c.owner.ifname},
            {"network", c.owner.network},
            {"podNamespace", ""},
            {"podName", ""},
            {"podUid", ""},
            {"netns", ""},
            {"allocatedNs", 0},
            {"lastSeenNs", last_seen(wire, {addr})},
            {"reason", c.held_seen_ns ? std::string_view("traffic") : release_reason},
            {"sinceNs", c.since_ns}};
}

std::unordered_map<std::string, std::string> release_reasons(const EventLog& log) {
    std::unordered_map<std::string, std::string> out;
    for (auto& e : log.events())
        if (e.kind == "released")
            out[core::AttachmentKey{e.network, e.container_id, e.ifname}.str()] = e.reason;
    return out;
}

}  // namespace warren::admin
