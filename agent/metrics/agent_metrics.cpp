#include "metrics/agent_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "core/pool_alerts.hpp"
#include "core/range.hpp"

namespace warren::metrics {

namespace {

// Durable answers take an fdatasync: from tens of microseconds (page cache, fast NVMe) to
// seconds (a stalled disk).
const std::vector<double> kLatencyBuckets{
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};

void render_antispoof(const liveness::GuardCounts& c, std::span<const liveness::Offender> offenders,
                      Registry& r) {
    auto& links = r.gauge("warren_antispoof_links",
                          "Pod host links under anti-spoofing, by their zone's mode (off: not "
                          "checked)",
                          {"mode"});
    // GuardCounts::by_mode is indexed by SpoofMode (liveness_abi.h's order).
    constexpr const char* kModes[] = {"off", "log", "drop"};
    static_assert(std::size(kModes) == std::size(liveness::GuardCounts{}.by_mode));
    for (size_t m = 0; m < std::size(kModes); ++m)
        links.with({kModes[m]}).set(double(c.by_mode[m]));
    auto& spoofed = r.counter(
        "warren_spoofed_packets_total",
        "Packets a pod sent from a source that is not its address, by host link, source and what "
        "the classifier did (one series per offender the spoofs map holds, at most " +
            std::to_string(WARREN_SPOOFS_MAX_ENTRIES) + ")",
        {"link", "source", "action"});
    for (const liveness::Offender& o : offenders) {
        const std::string source = o.spoof.source.str();
        const uint64_t dropped = std::min(o.spoof.dropped, o.spoof.packets);
        const uint64_t passed = o.spoof.packets - dropped;
        // The series the link's mode makes, and any other that counted something.
        if (passed > 0 || o.mode != liveness::SpoofMode::drop)
            spoofed.with({o.link, source, "passed"}).inc(double(passed));
        if (dropped > 0 || o.mode == liveness::SpoofMode::drop)
            spoofed.with({o.link, source, "dropped"}).inc(double(dropped));
    }
}

}  // namespace

AgentMetrics::AgentMetrics(std::string_view version, double start_unix_seconds)
    : requests_(registry_.histogram(
          "warren_cni_request_duration_seconds",
          "CNI requests from decoded to answered, durable changes included, by op", {"op"},
          kLatencyBuckets)),
      add_(requests_.with({"add"})),
      del_(requests_.with({"del"})),
      journal_sync_(registry_
                        .histogram("warren_journal_sync_duration_seconds",
                                   "One journal write + fdatasync (a group-commit batch)", {},
                                   kLatencyBuckets)
                        .with({})),
      gc_decisions_(registry_.counter("warren_gc_decisions_total",
                                      "GC and quarantine decisions made (logged and submitted to "
                                      "the journal), by kind and reason",
                                      {"kind", "reason"})),
      conflicts_(registry_.counter("warren_gc_conflicts_total",
                                   "Address conflicts the GC saw appear, by kind", {"kind"})) {
    for (auto k : {core::ConflictKind::two_links, core::ConflictKind::candidate_traffic,
                   core::ConflictKind::quarantine_traffic})
        conflicts_.with({std::string(core::conflict_kind_name(k))});
    registry_
        .gauge("warren_build_info", "Always 1; the version of the running warrend", {"version"})
        .with({std::string(version)})
        .set(1);
    registry_
        .gauge("warren_process_start_time_seconds",
               "When warrend started, in seconds since the Unix epoch")
        .with({})
        .set(start_unix_seconds);
}

void AgentMetrics::on_answered(proto::Op op, int64_t ns) {
    if (op == proto::Op::add)
        add_.observe(double(ns) / 1e9);
    else if (op == proto::Op::del)
        del_.observe(double(ns) / 1e9);
}

std::pair<std::string_view, std::string_view> decision_labels(const core::Decision& d) {
    return std::visit(
        [](auto& e) -> std::pair<std::string_view, std::string_view> {
            using T = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, core::CandidateMarked>)
                return {"candidate", core::gc_reason_name(e.reason)};
            else if constexpr (std::is_same_v<T, core::CandidateCleared>)
                return {"cleared", core::gc_reason_name(e.reason)};
            else if constexpr (std::is_same_v<T, core::ZombieMarked>)
                return {"zombie", core::gc_reason_name(e.reason)};
            else if constexpr (std::is_same_v<T, core::Released>)
                return {"released", core::reason_name(e.reason)};
            else if constexpr (std::is_same_v<T, core::QuarantineEnded>)
                return {"quarantine_ended", "cooldown"};
            else if constexpr (std::is_same_v<T, core::QuarantineHeld>)
                return {"quarantine_held", "traffic"};
            else
                return {"other", "other"};
        },
        d.event);
}

void AgentMetrics::on_gc(const std::vector<core::Decision>& decisions,
                         const std::vector<core::Conflict>& new_conflicts) {
    for (auto& d : decisions) {
        auto [kind, reason] = decision_labels(d);
        gc_decisions_.with({std::string(kind), std::string(reason)}).inc();
    }
    for (auto& c : new_conflicts)
        conflicts_.with({std::string(core::conflict_kind_name(c.kind))}).inc();
}

void render_state(const StateView& v, std::string& out) {
    Registry r;
    auto& size = r.gauge("warren_pool_size_addresses", "Usable addresses, by pool and family",
                         {"pool", "family"});
    auto& in_use = r.gauge("warren_pool_in_use_addresses", "Addresses held by attachments",
                           {"pool", "family"});
    auto& quarantined =
        r.gauge("warren_pool_quarantined_addresses",
                "Released addresses resting out their cooldown", {"pool", "family"});
    auto& free =
        r.gauge("warren_pool_free_addresses", "Addresses an ADD may take now", {"pool", "family"});
    auto& util =
        r.gauge("warren_pool_utilization_ratio",
                "(in use + quarantined) / usable of the pool's fullest range set", {"pool"});
    auto& level = r.gauge("warren_pool_alert_level",
                          "Alert level: 0 ok, 1 warn, 2 crit, 3 exhausted", {"pool"});
    auto& state =
        r.gauge("warren_pool_alert_state", "1 for the pool's current alert level, 0 for the others",
                {"pool", "level"});
    auto& rate = r.gauge(
        "warren_pool_net_allocation_rate_per_hour",
        "Allocations net of releases per hour over the last 15 minutes (least-squares slope)",
        {"pool"});
    auto& tte = r.gauge(
        "warren_pool_exhaustion_seconds",
        "Forecast time until the pool is exhausted at the net allocation rate; absent while "
        "the pool is not filling, 0 when exhausted",
        {"pool"});
    for (auto& [name, p] : v.state.pools()) {
        struct Counts {
            double usable = 0, in_use = 0, quarantined = 0, free = 0;
        };
        Counts by_family[2];
        bool has[2] = {false, false};
        for (size_t s = 0; s < p.sets.size(); ++s) {
            if (p.sets[s].empty()) continue;
            const int f = p.sets[s].front().subnet.family() == warren::Family::v4 ? 0 : 1;
            const u128 u = core::usable(p.sets[s]);
            const u128 used = s < p.used_count.size() ? p.used_count[s] : 0;
            const u128 q = s < p.quarantined_count.size() ? p.quarantined_count[s] : 0;
            has[f] = true;
            by_family[f].usable += double(u);
            by_family[f].in_use += double(used);
            by_family[f].quarantined += double(q);
            by_family[f].free += used + q >= u ? 0.0 : double(u - used - q);
        }
        for (int f = 0; f < 2; ++f) {
            if (!has[f]) continue;
            const std::vector<std::string> labels{name, f == 0 ? "ipv4" : "ipv6"};
            size.with(labels).set(by_family[f].usable);
            in_use.with(labels).set(by_family[f].in_use);
            quarantined.with(labels).set(by_family[f].quarantined);
            free.with(labels).set(by_family[f].free);
        }
        const auto h = v.health.health(name);
        util.with({name}).set(h.utilization);
        level.with({name}).set(static_cast<int>(h.level));
        for (auto l : {service::AlertLevel::ok, service::AlertLevel::warn,
                       service::AlertLevel::crit, service::AlertLevel::exhausted})
            state.with({name, std::string(service::to_string(l))}).set(l == h.level ? 1 : 0);
        rate.with({name}).set(h.net_per_hour);
        if (h.exhaustion_seconds) tte.with({name}).set(*h.exhaustion_seconds);
    }
    r.gauge("warren_ebpf_enabled", "1 when the eBPF liveness classifier is loaded")
        .with({})
        .set(v.ebpf_enabled ? 1 : 0);
    r.gauge("warren_ebpf_attached_links", "Host links the eBPF classifier is attached to")
        .with({})
        .set(double(v.ebpf_attached_links));
    if (v.antispoof) render_antispoof(*v.antispoof, v.offenders, r);
    if (v.kube) {
        r.gauge("warren_kube_pool_waiting",
                "1 while the Node has no spec.podCIDRs and its pool is not served")
            .with({})
            .set(v.kube->waiting ? 1 : 0);
        r.gauge("warren_kube_pods_synced",
                "1 when the API's pod list is complete and watched; 0: every pod counts as running")
            .with({})
            .set(v.kube->pods_synced ? 1 : 0);
        r.gauge("warren_kube_pods", "Pods on this node in the agent's view of the API")
            .with({})
            .set(double(v.kube->pods));
        if (v.kube->last_ok_ns > 0)
            r.gauge("warren_kube_last_ok_timestamp_seconds",
                    "Unix time of the last successful API list or watch event")
                .with({})
                .set(double(v.kube->last_ok_ns) / 1e9);
    }
    r.render(out);
}

std::string render_all(const AgentMetrics& m, const StateView& v) {
    std::string out;
    out.reserve(8192);
    m.registry().render(out);
    render_state(v, out);
    return out;
}

}  // namespace warren::metrics
