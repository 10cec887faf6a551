#include "admin/admin_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "admin/antispoof.hpp"
#include "admin/args.hpp"
#include "admin/entries.hpp"
#include "server/admin_frames.hpp"
#include "warren/log_text.hpp"

namespace warren::admin {

using nlohmann::json;

namespace {

// Counts as JSON integers, or as strings past 2^53 (an IPv6 pool's size).
json count_json(u128 v) {
    if (v <= (u128{1} << 53)) return static_cast<uint64_t>(v);
    return u128_str(v);
}

std::string_view family_of(const core::Pool& p) {
    bool v4 = false, v6 = false;
    for (auto& set : p.sets)
        for (auto& r : set) (r.start.is_v4() ? v4 : v6) = true;
    return v4 && v6 ? "dual" : v6 ? "ipv6" : "ipv4";
}

json signal_json(const liveness::SignalState& s) {
    return {{"on", s.on}, {"why", s.why}};
}

constexpr std::string_view kStates[] = {"active", "stale-candidate", "zombie", "quarantined"};

}  // namespace

AdminService::AdminService(AdminContext ctx) : ctx_(std::move(ctx)), translator_(ctx_.events) {
    ctx_.service.set_on_durable([this](std::vector<core::Event>& evs) { on_durable(evs); });
    ctx_.gc.set_on_conflicts([this](const std::vector<core::Conflict>& cs, int64_t now) {
        for (auto& c : cs) translator_.conflict(c, now);
    });
}

void AdminService::on_durable(std::vector<core::Event>& evs) {
    const int64_t now = ctx_.clock.now_ns();
    const HoldingOf holding = [this](const core::AttachmentKey& k) {
        return holding_in(ctx_.state, k);
    };
    for (auto& e : evs) {
        bool imported = false;
        if (auto* a = std::get_if<core::Allocated>(&e)) imported = importing_.erase(a->key) > 0;
        translator_.add(std::move(e), now, holding, imported);
    }
}

void AdminService::handle(const json& request, Reply reply) {
    auto answer_text = [reply](Result<std::string> r) {
        if (!r)
            return reply(server::admin_error(r.error()).dump(-1, ' ', false,
                                                             json::error_handler_t::replace));
        reply("{\"ok\":true,\"result\":" + *r + "}");
    };
    auto answer = [answer_text](Result<json> r) {
        if (!r) return answer_text(std::unexpected(r.error()));
        answer_text(r->dump(-1, ' ', false, json::error_handler_t::replace));
    };
    auto cmd = request.find("command");
    if (cmd == request.end() || !cmd->is_string())
        return answer(fail(Code::invalid_config, "the request has no \"command\"",
                           "send {\"command\": \"status\", \"args\": {}}"));
    const std::string command = cmd->get<std::string>();
    static const json kNoArgs = json::object();
    const json* args = &kNoArgs;
    if (auto a = request.find("args"); a != request.end() && !a->is_null()) {
        if (!a->is_object())
            return answer(fail(Code::invalid_config, command + ": \"args\" must be an object"));
        args = &*a;
    }
    if (command == "status") return answer(status());
    if (command == "list") return answer_text(list(*args));
    if (command == "show") return answer(show(*args));
    if (command == "events") return answer(events(*args));
    if (command == "metrics") return answer(metrics());
    if (command == "release") return release(*args, std::move(answer));
    if (command == "gc") return gc(*args, std::move(answer));
    if (command == "import-host-local") return import_host_local(*args, std::move(answer));
    if (command == "reload") return answer(reload());
    answer(fail(Code::invalid_config, "unknown command '" + log_text(command) + "'",
                "commands: status, list, show, release, gc, events, metrics, import-host-local, "
                "reload"));
}

namespace {

json kubernetes_json(const KubeInfo& k, int64_t now_ns) {
    json j{{"node", k.pool.node},
           {"pool", k.pool.pool},
           {"podCidrs", k.pool.cidrs},
           {"waiting", k.pool.waiting},
           {"poolError", k.pool.error},
           {"nodeSeen", k.source.node_seen},
           {"podsSynced", k.source.pods_synced},
           {"pods", k.source.pods},
           {"error", k.source.error},
           {"lastOkNs", k.source.last_ok_ns}};
    if (k.source.namespaces_watched) {
        j["namespacesSynced"] = k.source.namespaces_synced;
        j["namespaces"] = k.source.namespaces;
    }
    if (k.source.last_ok_ns > 0)
        j["lastOkSecondsAgo"] =
            std::max<int64_t>(0, (now_ns - k.source.last_ok_ns) / 1'000'000'000);
    return j;
}

}  // namespace

Result<json> AdminService::status() const {
    const int64_t now = ctx_.clock.now_ns();
    json pools = json::array();
    for (auto& u : ctx_.state.usage()) {
        const core::Pool* p = ctx_.state.pool(u.name);
        u128 size = 0, used = 0, quarantined = 0;
        double util = 0;
        bool exhausted = false;
        json ranges = json::array(), sets = json::array();
        for (auto& s : u.sets) {
            size += s.usable;
            used += s.used;
            quarantined += s.quarantined;
            const u128 taken = s.used + s.quarantined;
            const double set_util =
                s.usable > 0 ? static_cast<double>(taken) / static_cast<double>(s.usable) : 1.0;
            util = std::max(util, set_util);
            if (taken >= s.usable) exhausted = true;
            ranges.push_back(s.ranges);
            sets.push_back({{"ranges", s.ranges},
                            {"size", count_json(s.usable)},
                            {"inUse", count_json(s.used)},
                            {"quarantined", count_json(s.quarantined)},
                            {"free", count_json(s.usable - std::min(s.usable, taken))},
                            {"utilization", set_util}});
        }
        json pj{{"name", u.name},
                {"source", p && p->source == core::PoolSource::cni ? "cni" : "config"},
                {"ranges", std::move(ranges)},
                {"family", p ? family_of(*p) : "ipv4"},
                {"size", count_json(size)},
                {"inUse", count_json(used)},
                {"quarantined", count_json(quarantined)},
                {"free", count_json(size - std::min(size, used + quarantined))},
                {"utilization", util},
                {"sets", std::move(sets)}};
        if (ctx_.health) {
            const auto h = ctx_.health->health(u.name);
            pj["alert"] = service::to_string(h.level);
            json f{{"netPerHour", h.net_per_hour}};
            if (h.exhaustion_seconds) f["exhaustionSeconds"] = *h.exhaustion_seconds;
            pj["forecast"] = std::move(f);
        } else {
            pj["alert"] = exhausted ? "exhausted" : "ok";
        }
        pools.push_back(std::move(pj));
    }

    const auto ls = ctx_.liveness.status();
    json attached = json::array();
    for (auto& [ifindex, name] : ls.attached)
        attached.push_back({{"ifindex", ifindex}, {"name", name}});
    json liveness{{"ebpf",
                   {{"mode", liveness::to_string(ls.mode)},
                    {"on", ls.ebpf.on},
                    {"why", ls.ebpf.why},
                    {"attached", std::move(attached)}}},
                  {"signals",
                   {{"netns", signal_json(ls.netns)},
                    {"holders", signal_json(ls.holders)},
                    {"hostLink", signal_json(ls.host_link)},
                    {"wire", signal_json(ls.ebpf)}}}};

    const JournalInfo ji = ctx_.journal ? ctx_.journal() : JournalInfo{};
    json journal{{"records", ji.records},
                 {"bytes", ji.bytes},
                 {"lastSnapshotNs", ji.last_snapshot_ns},
                 {"syncs", ji.syncs},
                 {"lastSyncMs", ji.last_sync_ms},
                 {"maxSyncMs", ji.max_sync_ms}};

    size_t candidates = 0, zombies = 0;
    for (auto& [k, a] : ctx_.state.allocations()) {
        if (!a.candidate) continue;
        (a.candidate->zombie ? zombies : candidates)++;
    }
    const auto& gc = ctx_.gc.counters();
    const auto& gs = ctx_.gc.settings();
    json gcj{{"passes", gc.passes},
             {"lastPassNs", gc.last_pass_ns},
             {"lastPassMs", gc.last_pass_ms},
             {"intervalSeconds", gs.interval_ns / 1'000'000'000},
             {"graceSeconds", gs.grace_ns / 1'000'000'000},
             {"cooldownSeconds", ctx_.state.cooldown_ns() / 1'000'000'000},
             {"candidates", candidates},
             {"zombies", zombies},
             {"released", gc.released},
             {"decisions", gc.decisions},
             {"conflicts", gc.conflicts}};

    json out{{"version", ctx_.version},
             {"startedNs", ctx_.started_ns},
             {"uptimeSeconds", ctx_.started_ns ? (now - ctx_.started_ns) / 1'000'000'000 : 0},
             {"pools", std::move(pools)},
             {"liveness", std::move(liveness)},
             {"journal", std::move(journal)},
             {"gc", std::move(gcj)}};
    json warnings = json::array();
    if (ctx_.pool_warnings)
        for (auto& w : ctx_.pool_warnings())
            warnings.push_back({{"pool", w.pool},
                                {"range", w.range},
                                {"kind", core::to_string(w.kind)},
                                {"message", w.message}});
    out["poolWarnings"] = std::move(warnings);
    out["antiSpoofing"] = antispoof_status(ctx_.liveness);
    if (ctx_.kubernetes) out["kubernetes"] = kubernetes_json(ctx_.kubernetes(), now);
    return out;
}

Result<std::string> AdminService::list(const json& args) const {
    Args a("list", args);
    auto pool = a.string("pool");
    if (!pool) return std::unexpected(pool.error());
    auto state = a.string("state");
    if (!state) return std::unexpected(state.error());
    if (*state && std::find(std::begin(kStates), std::end(kStates), **state) == std::end(kStates))
        return a.bad("state", "must be active, stale-candidate, zombie or quarantined, not '" +
                                  log_text(**state) + "'");
    if (*pool && !ctx_.state.pool(**pool)) {
        std::string names;
        for (auto& [n, p] : ctx_.state.pools()) names += (names.empty() ? "" : ", ") + n;
        return a.bad("pool", "names no pool: '" + log_text(**pool) +
                                 "' (pools: " + (names.empty() ? "none" : names) + ")");
    }
    const auto& wire = ctx_.gc.last_wire();
    // Sorted by pool, then address, so that tables and diffs are stable.
    struct Row {
        const std::string* pool;
        IpAddress addr;
        const core::Allocation* alloc;
        const core::Cooling* cooling;
    };
    std::vector<Row> rows;
    const bool want_quarantine = !*state || **state == "quarantined";
    const bool want_alloc = !*state || **state != "quarantined";
    if (want_alloc) {
        rows.reserve(ctx_.state.allocations().size());
        for (auto& [k, al] : ctx_.state.allocations()) {
            if (*pool && al.pool != **pool) continue;
            if (*state && entry_state(al).state != **state) continue;
            if (al.addresses.empty()) continue;
            rows.push_back({&al.pool, al.addresses.front(), &al, nullptr});
        }
    }
    if (want_quarantine)
        for (auto& [name, p] : ctx_.state.pools()) {
            if (*pool && name != **pool) continue;
            for (auto& [addr, c] : p.quarantine) rows.push_back({&name, addr, nullptr, &c});
        }
    std::sort(rows.begin(), rows.end(), [](const Row& x, const Row& y) {
        if (*x.pool != *y.pool) return *x.pool < *y.pool;
        return x.addr < y.addr;
    });
    std::unordered_map<std::string, std::string> reasons;
    if (want_quarantine) reasons = release_reasons(ctx_.events);
    std::string out = "{\"entries\":[";
    out.reserve(out.size() + rows.size() * 320);
    for (auto& r : rows) {
        if (&r != rows.data()) out += ',';
        if (r.alloc) {
            if (const auto zone = ctx_.zone ? ctx_.zone(*r.alloc) : std::nullopt) {
                append_allocation_entry(out, *r.alloc, wire, &*zone);
            } else {
                append_allocation_entry(out, *r.alloc, wire);
            }
            continue;
        }
        auto it = reasons.find(r.cooling->owner.str());
        append_quarantine_entry(out, *r.pool, r.addr, *r.cooling, wire,
                                it == reasons.end() ? std::string_view("released") : it->second);
    }
    out += "]}";
    return out;
}

Result<json> AdminService::events(const json& args) const {
    Args a("events", args);
    auto since = a.count("since", 0, UINT64_MAX);
    if (!since) return std::unexpected(since.error());
    auto limit = a.count("limit", 1, EventLog::kDefaultCapacity);
    if (!limit) return std::unexpected(limit.error());
    const size_t n = limit->value_or(100);
    auto picked = *since ? ctx_.events.after(**since, n) : ctx_.events.last(n);
    json out = json::array();
    for (auto* e : picked) out.push_back(to_json(*e));
    uint64_t next = *since ? **since : ctx_.events.next_seq() - 1;
    if (!picked.empty()) next = picked.back()->seq;
    return json{{"events", std::move(out)}, {"next", next}};
}

Result<json> AdminService::metrics() const {
    if (!ctx_.metrics)
        return fail(Code::unavailable, "metrics are not enabled",
                    "this warrend was built or started without the metrics renderer");
    return json{{"text", ctx_.metrics()}};
}

}  // namespace warren::admin
