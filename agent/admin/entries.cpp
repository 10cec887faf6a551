#include "admin/entries.hpp"

#include "admin/json_text.hpp"

namespace warren::admin {

EntryState entry_state(const core::Allocation& a) {
    if (!a.candidate) return {"active", "", a.time_ns};
    if (a.candidate->zombie)
        return {"zombie", core::gc_reason_name(a.candidate->zombie->reason),
                a.candidate->zombie->since_ns};
    return {"stale-candidate", core::gc_reason_name(a.candidate->reason), a.candidate->since_ns};
}

int64_t last_seen(const service::PassWire& wire, std::span<const IpAddress> addrs) {
    if (!wire.available()) return 0;
    int64_t t = 0;
    for (auto& a : addrs)
        if (auto s = wire.seen(a)) t = std::max(t, s->last_seen_ns);
    return t;
}

void append_allocation_entry(std::string& out, const core::Allocation& a,
                             const service::PassWire& wire, const core::ZoneReport* zone) {
    const auto st = entry_state(a);
    ObjectWriter w(out);
    w.str("ip", a.addresses.empty() ? std::string{} : a.addresses.front().str())
        .str("pool", a.pool)
        .str("state", st.state)
        .str("containerId", a.key.container_id)
        .str("ifname", a.key.ifname)
        .str("network", a.key.network)
        .str("podNamespace", a.pod.namespace_)
        .str("podName", a.pod.name)
        .str("podUid", a.pod.uid)
        .str("netns", a.netns)
        .num("allocatedNs", a.time_ns)
        .num("lastSeenNs", last_seen(wire, a.addresses))
        .str("reason", st.reason)
        .num("sinceNs", st.since_ns);
    if (zone) {
        w.str("zone", zone->zone);
        if (zone->mismatch) w.str("zoneMismatch", zone->why);
    }
    w.close();
}

void append_quarantine_entry(std::string& out, const std::string& pool, const IpAddress& addr,
                             const core::Cooling& c, const service::PassWire& wire,
                             std::string_view release_reason) {
    ObjectWriter(out)
        .str("ip", addr.str())
        .str("pool", pool)
        .str("state", "quarantined")
        .str("containerId", c.owner.container_id)
        .str("ifname", c.owner.ifname)
        .str("network", c.owner.network)
        .str("podNamespace", "")
        .str("podName", "")
        .str("podUid", "")
        .str("netns", "")
        .num("allocatedNs", int64_t{0})
        .num("lastSeenNs", last_seen(wire, std::span(&addr, 1)))
        .str("reason", c.held_seen_ns ? std::string_view("traffic") : release_reason)
        .num("sinceNs", c.since_ns)
        .close();
}

nlohmann::json allocation_entry(const core::Allocation& a, const service::PassWire& wire,
                                const core::ZoneReport* zone) {
    std::string text;
    append_allocation_entry(text, a, wire, zone);
    return nlohmann::json::parse(text);
}

nlohmann::json quarantine_entry(const std::string& pool, const IpAddress& addr,
                                const core::Cooling& c, const service::PassWire& wire,
                                std::string_view release_reason) {
    std::string text;
    append_quarantine_entry(text, pool, addr, c, wire, release_reason);
    return nlohmann::json::parse(text);
}

std::unordered_map<std::string, std::string> release_reasons(const EventLog& log) {
    std::unordered_map<std::string, std::string> out;
    for (auto& e : log.events())
        if (e.kind == "released")
            out[core::AttachmentKey{e.network, e.container_id, e.ifname}.str()] = e.reason;
    return out;
}

}  // namespace warren::admin
