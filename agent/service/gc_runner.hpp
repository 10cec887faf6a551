#pragma once
// The GC runner (DESIGN §7): every interval it reads the liveness signals
// (LivenessManager::observe), lets the core policy decide (GcPolicy::pass), logs each decision's
// `why` once (info) and each new conflict (warn), records the decisions and submits them through
// IpamService::submit. The next pass is armed only once that change is durable (or failed), so a
// pass never decides again what the previous one decided. Every second it also ends cooldowns
// (IpamState::sweep_quarantine) with the last pass's wire, judged as of when the wire was read,
// so traffic holds quarantine and a cooldown never ends on stale evidence. Addresses that left
// quarantine are unwatched once that is durable.
//
// What the manager learns about a pod (its host ifindex, its netns cookie when the plugin sent
// none) is journaled with the pass (HostLinkLearned) and handed back from the allocation.
// Thread-safety: all members on the io_context's thread, like the service and the manager.
// Lifetime: stop() before destroying it while the io_context still runs.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.hpp"
#include "core/gc_policy.hpp"
#include "liveness/manager.hpp"
#include "service/gc_signals_from_liveness.hpp"
#include "service/ipam_service.hpp"

namespace warren::service {

struct GcRunnerSettings {
    int64_t interval_ns = 30'000'000'000;
    int64_t grace_ns = 60'000'000'000;
    int64_t sweep_ns = 1'000'000'000;
};

struct GcPassReport {
    size_t allocations = 0, quarantined = 0, decisions = 0, new_conflicts = 0, ended = 0;
    size_t host_link_lookups = 0;  // HostLinkFinder calls (threads) in the pass
    double ms = 0;                 // wall clock, the whole pass up to its submit
    double observe_ms = 0;         // of which reading the signals (LivenessManager::observe)
    double policy_ms = 0;          // and deciding (GcPolicy::pass)
    double cpu_ms = 0;             // CPU time of the agent's thread in the pass (a busy machine
                                   // stretches `ms`, not this; lookup threads not included)
    bool durable = true;  // false when its decisions could not be journaled
};

// What the admin socket and the metrics read about the passes so far (real passes only).
struct GcCounters {
    uint64_t passes = 0;
    int64_t last_pass_ns = 0;  // wall clock when the last pass read the signals; 0 = none yet
    double last_pass_ms = 0;
    std::map<std::string, uint64_t> released;   // by release reason name ("stale", "gc")
    std::map<std::string, uint64_t> decisions;  // by decision_reason()
    uint64_t conflicts = 0;                     // new conflicts reported
};

// A decision's kind ("candidate", "cleared", "zombie", "release", "quarantine-held",
// "quarantine-ended") and reason (a GcReason or ReleaseReason name; "cooldown" when a quarantine
// ended, "traffic" when one is held).
std::string_view decision_kind(const core::Event& e);
std::string_view decision_reason(const core::Event& e);

// One pass on demand (warrenctl gc): what it decided and saw.
struct AdminPass {
    bool dry_run = false;
    double ms = 0;
    size_t allocations = 0, quarantined = 0;
    std::vector<core::Decision> decisions;
    std::vector<core::Conflict> conflicts;  // new in this pass
};

class GcRunner {
  public:
    GcRunner(boost::asio::io_context& io, core::IpamState& state, IpamService& service,
             liveness::LivenessManager& manager, const core::Clock& clock,
             GcRunnerSettings settings);

    // Runs a first pass now, then one per interval, and the quarantine sweep every second.
    void start();
    // Cancels the timers; a submitted change still completes through the service.
    void stop();

    // One pass now; `done` (may be empty) once its change is durable or failed.
    void run_pass(std::function<void(const GcPassReport&)> done = {});
    // One quarantine sweep now.
    void sweep();

    // Signal 5 (DESIGN §7): asked for each allocation's pod UID in every pass (and by
    // last_observation); without it the kube signal is unknown ("off" in the log). Before start().
    void set_kube(KubeProbe f);

    size_t passes() const { return passes_; }
    // Hears every batch of decisions (passes and sweeps) and the new conflicts, as logged (the
    // metrics' counters). Must not block.
    using OnDecided = std::function<void(const std::vector<core::Decision>&, const std::vector<core::Conflict>&)>;
    void set_on_decided(OnDecided f) { on_decided_ = std::move(f); }

    // One pass now for the admin socket. A dry run reads the signals through
    // LivenessManager::check() (the passes' memory of host links and strangers stays theirs;
    // an address missing from `watch` is still watched again) and decides on a copy of the
    // policy (its conflict memory stays as it was) without recording anything or arming timers.
    // A real pass answers once its decisions are durable. Code::try_again while a pass is in
    // flight.
    void run_admin_pass(bool dry_run, std::function<void(Result<AdminPass>)> done);

    const GcCounters& counters() const { return counters_; }
    const GcRunnerSettings& settings() const { return settings_; }
    // The last real pass's gauges (candidates, zombies, conflicts seen).
    const core::PassStats& last_stats() const { return result_.stats; }
    // The last real pass's wire (not available before the first pass or with eBPF off) and
    // signals of one allocation (nullopt before the first pass).
    const PassWire& last_wire() const { return wire_; }
    std::optional<core::Observation> last_observation(const core::Allocation& a) const;
    // Hears the new conflicts of every real pass, with the pass's time.
    using OnConflicts = std::function<void(const std::vector<core::Conflict>&, int64_t now_ns)>;
    void set_on_conflicts(OnConflicts f) { on_conflicts_ = std::move(f); }

  private:
    // Reads the signals for every allocation and quarantined address.
    liveness::ObservePass observe(std::vector<liveness::AllocationRef>& refs, size_t& quarantined);
    void count(const core::PassResult& r, int64_t now_ns, double ms);
    void arm_pass();
    void arm_sweep();
    // Submits `change`; unwatches the addresses it ends once durable.
    void submit(core::Change change, std::function<void(Status)> done);

    boost::asio::io_context& io_;
    core::IpamState& state_;
    IpamService& service_;
    liveness::LivenessManager& manager_;
    const core::Clock& clock_;
    GcRunnerSettings settings_;
    core::GcPolicy policy_;
    core::PassResult result_;
    PassWire wire_;  // the last pass's
    bool passed_ = false;
    bool busy_ = false;
    bool stopped_ = false;
    size_t passes_ = 0;
    // One pass's buffers, kept for the next (see run_pass); pass_ answers last_observation().
    std::vector<liveness::AllocationRef> refs_;
    std::vector<const core::Allocation*> order_;  // order_[i]: the allocation of refs_[i]
    std::vector<IpAddress> quarantined_;
    liveness::ObservePass pass_;
    GcCounters counters_;
    OnConflicts on_conflicts_;
    OnDecided on_decided_;
    KubeProbe kube_;
    boost::asio::steady_timer pass_timer_, sweep_timer_;
};

}  // namespace warren::service
