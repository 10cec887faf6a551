// "show": everything known about the allocations (and quarantined addresses) one target names.
#include <algorithm>
#include <set>

#include "admin/admin_service.hpp"
#include "admin/antispoof.hpp"
#include "admin/args.hpp"
#include "admin/entries.hpp"
#include "warren/log_text.hpp"

namespace warren::admin {

using nlohmann::json;

namespace {

std::string_view tri(core::Tri t) {
    switch (t) {
        case core::Tri::yes:
            return "yes";
        case core::Tri::no:
            return "no";
        case core::Tri::unknown:
            break;
    }
    return "unknown";
}

struct Quarantine {
    const std::string* pool;
    IpAddress addr;
    const core::Cooling* cooling;
};

// What `target` names: an IP, a container ID (or a unique prefix), "namespace/name", a pod name.
Result<std::pair<std::vector<const core::Allocation*>, std::vector<Quarantine>>> resolve(
    const core::IpamState& st, const std::string& target) {
    std::vector<const core::Allocation*> allocs;
    std::vector<Quarantine> cooling;
    if (auto ip = IpAddress::parse(target)) {
        for (auto& [name, p] : st.pools()) {
            if (auto u = p.used.find(*ip); u != p.used.end())
                if (auto* a = st.find(u->second)) allocs.push_back(a);
            if (auto q = p.quarantine.find(*ip); q != p.quarantine.end())
                cooling.push_back({&name, *ip, &q->second});
        }
        return std::pair{std::move(allocs), std::move(cooling)};
    }
    auto by_container = [&](auto&& match) {
        for (auto& [k, a] : st.allocations())
            if (match(k.container_id)) allocs.push_back(&a);
        for (auto& [name, p] : st.pools())
            for (auto& [addr, c] : p.quarantine)
                if (match(c.owner.container_id)) cooling.push_back({&name, addr, &c});
    };
    by_container([&](const std::string& id) { return id == target; });
    if (allocs.empty() && cooling.empty()) {
        by_container([&](const std::string& id) { return id.starts_with(target); });
        std::set<std::string> ids;
        for (auto* a : allocs) ids.insert(a->key.container_id);
        for (auto& q : cooling) ids.insert(q.cooling->owner.container_id);
        if (ids.size() > 1) {
            std::string list;
            for (auto& id : ids) {
                if (list.size() > 200) {
                    list += ", ...";
                    break;
                }
                list += (list.empty() ? "" : ", ") + id;
            }
            return fail(Code::invalid_config,
                        "show: '" + log_text(target) + "' is the prefix of " +
                            std::to_string(ids.size()) + " container IDs: " + list,
                        "give more of the container ID");
        }
    }
    if (allocs.empty() && cooling.empty()) {
        const auto slash = target.find('/');
        for (auto& [k, a] : st.allocations()) {
            const bool hit = slash == std::string::npos
                                 ? a.pod.name == target
                                 : a.pod.namespace_ == target.substr(0, slash) &&
                                       a.pod.name == target.substr(slash + 1);
            if (hit) allocs.push_back(&a);
        }
    }
    return std::pair{std::move(allocs), std::move(cooling)};
}

}  // namespace

Result<json> AdminService::show(const json& args) const {
    Args a("show", args);
    auto target = a.required_string("target");
    if (!target) return std::unexpected(target.error());
    auto found = resolve(ctx_.state, *target);
    if (!found) return std::unexpected(found.error());
    auto& [allocs, cooling] = *found;
    if (allocs.empty() && cooling.empty())
        return fail(
            Code::unknown_container,
            "nothing matches '" + log_text(*target) +
                "': no allocation or quarantined address has that IP, container ID (or prefix), "
                "pod namespace/name or pod name",
            "warrenctl list shows what warrend holds");
    const auto& wire = ctx_.gc.last_wire();
    auto history = [this](const core::AttachmentKey* key, const std::vector<IpAddress>& addrs) {
        std::set<std::string> ips;
        for (auto& x : addrs) ips.insert(x.str());
        json h = json::array();
        for (auto& e : ctx_.events.events()) {
            const bool mine = key && e.container_id == key->container_id &&
                              e.ifname == key->ifname && e.network == key->network;
            if (mine || (!e.ip.empty() && ips.contains(e.ip))) h.push_back(to_json(e));
        }
        return h;
    };
    json matches = json::array();
    for (auto* al : allocs) {
        std::optional<core::ZoneReport> zone;
        if (ctx_.zone) zone = ctx_.zone(*al);
        json m = allocation_entry(*al, wire, zone ? &*zone : nullptr);
        json addrs = json::array();
        for (auto& x : al->addresses) addrs.push_back(x.str());
        m["addresses"] = std::move(addrs);
        m["hostIfindex"] = al->host_ifindex;
        m["netnsInode"] = al->netns_inode;
        m["netnsCookie"] = al->netns_cookie;
        if (auto o = ctx_.gc.last_observation(*al))
            m["signals"] = {{"netns", tri(o->netns)},
                            {"holders", tri(o->held)},
                            {"hostLink", tri(o->link)},
                            {"kubernetes", tri(o->kube)}};
        m["history"] = history(&al->key, al->addresses);
        m["antiSpoofing"] = antispoof_show(ctx_.liveness, al->key.str());
        if (zone) m["antiSpoofing"]["zoneMode"] = core::to_string(zone->anti_spoofing);
        matches.push_back(std::move(m));
    }
    std::unordered_map<std::string, std::string> reasons;
    if (!cooling.empty()) reasons = release_reasons(ctx_.events);
    for (auto& q : cooling) {
        auto it = reasons.find(q.cooling->owner.str());
        json m = quarantine_entry(*q.pool, q.addr, *q.cooling, wire,
                                  it == reasons.end() ? std::string_view("released") : it->second);
        m["addresses"] = json::array({q.addr.str()});
        m["hostIfindex"] = 0;
        m["netnsInode"] = 0;
        m["quarantineEndsNs"] = std::max(q.cooling->since_ns, q.cooling->held_seen_ns.value_or(0)) +
                                ctx_.state.cooldown_ns();
        m["history"] = history(&q.cooling->owner, {q.addr});
        matches.push_back(std::move(m));
    }
    return json{{"matches", std::move(matches)}};
}

}  // namespace warren::admin
