#pragma once
// warrend's metrics (DESIGN §8), names prefixed warren_. Two kinds:
// - instruments updated as things happen (AgentMetrics): request and journal sync latency, GC
//   decisions and conflicts, build info, start time. Safe to update from any thread.
// - gauges read from the state at scrape time (render_state): pool counts, utilization, alert
//   level and forecast, eBPF attach state, anti-spoofing links and spoofed packets. Read on the I/O
//   thread, which owns the state.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/gc_signals.hpp"
#include "core/ipam_state.hpp"
#include "liveness/source_guard.hpp"
#include "metrics/registry.hpp"
#include "service/pool_health.hpp"
#include "warren/protocol.hpp"

namespace warren::metrics {

class AgentMetrics {
  public:
    AgentMetrics(std::string_view version, double start_unix_seconds);

    // A CNI request answered `ns` nanoseconds after it was decoded (ADD and DEL are kept).
    void on_answered(proto::Op op, int64_t ns);
    // One append batch's write + fdatasync (the committer thread).
    void on_journal_sync(uint64_t ns) { journal_sync_.observe(double(ns) / 1e9); }
    void on_gc(const std::vector<core::Decision>& decisions,
               const std::vector<core::Conflict>& new_conflicts);

    const Registry& registry() const { return registry_; }

  private:
    Registry registry_;
    Family<Histogram>& requests_;
    Histogram& add_;
    Histogram& del_;
    Histogram& journal_sync_;
    Family<Counter>& gc_decisions_;
    Family<Counter>& conflicts_;
};

// The labels a GC decision is counted under: kind (candidate, cleared, zombie, released,
// quarantine_ended, quarantine_held) and reason (the journal's reason name).
std::pair<std::string_view, std::string_view> decision_labels(const core::Decision& d);

// Kubernetes as the scrape sees it (absent when Kubernetes is off).
struct KubeView {
    bool waiting = true;       // the Node's pool has no CIDRs yet
    bool pods_synced = false;  // the pod view is complete (signal 5 answers no for absent pods)
    size_t pods = 0;
    int64_t last_ok_ns = 0;  // wall clock of the last good API answer; 0: never
};

struct StateView {
    const core::IpamState& state;
    const service::PoolHealthSource& health;
    bool ebpf_enabled = false;
    size_t ebpf_attached_links = 0;
    std::optional<KubeView> kube;
    // Anti-spoofing (issue 11): the guard's counts and its last poll's offenders; absent when
    // anti-spoofing is off (no eBPF, or a classifier without the guard maps).
    std::optional<liveness::GuardCounts> antispoof;
    std::span<const liveness::Offender> offenders;
};
// Appends the scrape-time gauges.
void render_state(const StateView& v, std::string& out);

// Everything GET /metrics serves.
std::string render_all(const AgentMetrics& m, const StateView& v);

}  // namespace warren::metrics
