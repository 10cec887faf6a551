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
// Host ifindexes the manager learns are kept in memory by attachment key and handed back.
// Thread-safety: all members on the io_context's thread, like the service and the manager.
// Lifetime: stop() before destroying it while the io_context still runs.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
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
    double ms = 0;
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

    size_t passes() const { return passes_; }
    // Hears every batch of decisions (passes and sweeps) and the new conflicts, as logged (the
    // metrics' counters). Must not block.
    using OnDecided = std::function<void(const std::vector<core::Decision>&, const std::vector<core::Conflict>&)>;
    void set_on_decided(OnDecided f) { on_decided_ = std::move(f); }

  private:
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
    OnDecided on_decided_;
    std::unordered_map<std::string, int> learned_;  // AttachmentKey::str() -> host ifindex
    boost::asio::steady_timer pass_timer_, sweep_timer_;
};

}  // namespace warren::service
