#include "admin/event_log.hpp"

#include <algorithm>
#include <optional>

#include "service/gc_runner.hpp"

namespace warren::admin {

nlohmann::json to_json(const LoggedEvent& e) {
    nlohmann::json j{{"seq", e.seq}, {"timeNs", e.time_ns}, {"kind", e.kind}};
    auto put = [&](const char* k, const std::string& v) {
        if (!v.empty()) j[k] = v;
    };
    put("ip", e.ip);
    put("pool", e.pool);
    put("network", e.network);
    put("containerId", e.container_id);
    put("ifname", e.ifname);
    put("reason", e.reason);
    put("detail", e.detail);
    return j;
}

void EventLog::add(LoggedEvent e) {
    e.seq = next_seq_++;
    events_.push_back(std::move(e));
    while (events_.size() > capacity_) events_.pop_front();
}

std::vector<const LoggedEvent*> EventLog::after(uint64_t since, size_t limit) const {
    std::vector<const LoggedEvent*> out;
    if (events_.empty()) return out;
    // Seqs are consecutive: the first one after `since` is at a known index.
    const uint64_t first = events_.front().seq;
    size_t i = since + 1 <= first ? 0 : static_cast<size_t>(since + 1 - first);
    for (; i < events_.size() && out.size() < limit; ++i) out.push_back(&events_[i]);
    return out;
}

std::vector<const LoggedEvent*> EventLog::last(size_t limit) const {
    std::vector<const LoggedEvent*> out;
    const size_t n = std::min(limit, events_.size());
    for (size_t i = events_.size() - n; i < events_.size(); ++i) out.push_back(&events_[i]);
    return out;
}

Holding holding_in(const core::IpamState& state, const core::AttachmentKey& key) {
    if (auto* a = state.find(key)) return {a->pool, a->addresses};
    for (auto& [name, p] : state.pools())
        if (auto it = p.cooling_by_owner.find(key); it != p.cooling_by_owner.end())
            return {name, it->second};
    return {};
}

namespace {

std::string joined(const std::vector<IpAddress>& addrs, size_t from) {
    std::string out;
    for (size_t i = from; i < addrs.size(); ++i) {
        if (!out.empty()) out += ' ';
        out += addrs[i].str();
    }
    return out;
}

LoggedEvent keyed(std::string kind, int64_t t, const core::AttachmentKey& k, const Holding& h) {
    LoggedEvent e;
    e.kind = std::move(kind);
    e.time_ns = t;
    e.network = k.network;
    e.container_id = k.container_id;
    e.ifname = k.ifname;
    e.pool = h.pool;
    if (!h.addresses.empty()) e.ip = h.addresses.front().str();
    if (h.addresses.size() > 1) e.detail = "also " + joined(h.addresses, 1);
    return e;
}

}  // namespace

void EventTranslator::add(core::Event&& ev, int64_t now_ns, const HoldingOf& holding,
                          bool imported) {
    using namespace core;
    if (auto* e = std::get_if<Allocated>(&ev)) {  // every ADD: no more copies than needed
        LoggedEvent le;
        le.kind = imported ? "imported" : "allocated";
        le.time_ns = e->time_ns;
        le.network = std::move(e->key.network);
        le.container_id = std::move(e->key.container_id);
        le.ifname = std::move(e->key.ifname);
        le.pool = std::move(e->pool);
        if (!e->addresses.empty()) le.ip = e->addresses.front().str();
        if (!e->pod.name.empty()) le.detail = "pod " + e->pod.namespace_ + "/" + e->pod.name;
        if (e->addresses.size() > 1)
            le.detail += (le.detail.empty() ? "also " : "; also ") + joined(e->addresses, 1);
        return log_.add(std::move(le));
    }
    if (auto* e = std::get_if<Released>(&ev)) {
        auto le = keyed("released", e->time_ns, e->key, holding(e->key));
        le.reason = reason_name(e->reason);
        return log_.add(std::move(le));
    }
    if (auto* e = std::get_if<CandidateMarked>(&ev)) {
        auto le = keyed("candidate", e->since_ns, e->key, holding(e->key));
        le.reason = service::decision_reason(ev);
        return log_.add(std::move(le));
    }
    if (auto* e = std::get_if<CandidateCleared>(&ev)) {
        auto le = keyed("cleared", now_ns, e->key, holding(e->key));
        le.reason = service::decision_reason(ev);
        return log_.add(std::move(le));
    }
    if (auto* e = std::get_if<ZombieMarked>(&ev)) {
        auto le = keyed("zombie", e->since_ns, e->key, holding(e->key));
        le.reason = service::decision_reason(ev);
        return log_.add(std::move(le));
    }
    if (auto* e = std::get_if<QuarantineHeld>(&ev)) {
        LoggedEvent le;
        le.kind = "quarantine-held";
        le.time_ns = e->seen_ns;
        le.ip = e->address.str();
        le.pool = e->pool;
        le.reason = "traffic";
        return log_.add(std::move(le));
    }
    if (auto* e = std::get_if<QuarantineEnded>(&ev)) {
        // One entry per address, so an address's history shows when it became free.
        for (auto& a : e->addresses) {
            LoggedEvent le;
            le.kind = "quarantine-ended";
            le.time_ns = now_ns;
            le.ip = a.str();
            le.pool = e->pool;
            le.reason = "cooldown";
            log_.add(std::move(le));
        }
        return;
    }
    if (auto* e = std::get_if<PoolDefined>(&ev)) {
        LoggedEvent le;
        le.kind = "pool-defined";
        le.time_ns = now_ns;
        le.pool = e->pool;
        le.detail = e->ranges_json;
        return log_.add(std::move(le));
    }
    if (auto* e = std::get_if<PoolRemoved>(&ev)) {
        LoggedEvent le;
        le.kind = "pool-removed";
        le.time_ns = now_ns;
        le.pool = e->pool;
        return log_.add(std::move(le));
    }
    // CursorAt and Quarantined describe state (snapshots, imports); no history of their own.
}

void EventTranslator::conflict(const core::Conflict& c, int64_t now_ns) {
    LoggedEvent le;
    le.kind = "conflict";
    le.time_ns = now_ns;
    le.ip = c.address.str();
    le.reason = core::conflict_kind_name(c.kind);
    le.detail = "held by " + c.holder;
    log_.add(std::move(le));
}

void seed_from_records(EventLog& log, const std::vector<journal::Record>& records,
                       const core::IpamState& state) {
    std::unordered_map<core::AttachmentKey, Holding> seen;
    const HoldingOf holding = [&](const core::AttachmentKey& k) {
        if (auto it = seen.find(k); it != seen.end()) return it->second;
        return holding_in(state, k);
    };
    EventTranslator tr(log);
    int64_t last_time = 0;
    for (auto& r : records) {
        auto ev = core::decode_event(r.payload);
        if (!ev) continue;
        if (auto* a = std::get_if<core::Allocated>(&*ev)) {
            seen[a->key] = {a->pool, a->addresses};
            last_time = std::max(last_time, a->time_ns);
        } else if (auto* r = std::get_if<core::Released>(&*ev)) {
            last_time = std::max(last_time, r->time_ns);
        }
        std::optional<core::AttachmentKey> released;
        if (auto* r = std::get_if<core::Released>(&*ev)) released = r->key;
        tr.add(std::move(*ev), last_time, holding);
        if (released) seen.erase(*released);
    }
}

}  // namespace warren::admin
