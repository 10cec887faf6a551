#include "service/gc_runner.hpp"

#include <spdlog/spdlog.h>
#include <time.h>

#include <chrono>

namespace warren::service {

namespace {

std::vector<IpAddress> ended_addresses(const core::Change& change) {
    std::vector<IpAddress> out;
    for (auto& e : change.events)
        if (auto* q = std::get_if<core::QuarantineEnded>(&e))
            out.insert(out.end(), q->addresses.begin(), q->addresses.end());
    return out;
}

double ms_between(std::chrono::steady_clock::time_point a,
                  std::chrono::steady_clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

double thread_cpu_ms() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

}  // namespace

GcRunner::GcRunner(boost::asio::io_context& io, core::IpamState& state, IpamService& service,
                   liveness::LivenessManager& manager, const core::Clock& clock,
                   GcRunnerSettings settings)
    : io_(io),
      state_(state),
      service_(service),
      manager_(manager),
      clock_(clock),
      settings_(settings),
      policy_(core::GcSettings{settings.grace_ns}),
      pass_timer_(io),
      sweep_timer_(io) {}

void GcRunner::set_kube(KubeProbe f) {
    kube_ = std::move(f);
    policy_ = core::GcPolicy(core::GcSettings{settings_.grace_ns, static_cast<bool>(kube_)});
}

void GcRunner::start() {
    run_pass();
    arm_sweep();
}

void GcRunner::stop() {
    stopped_ = true;
    pass_timer_.cancel();
    sweep_timer_.cancel();
}

void GcRunner::arm_pass() {
    if (stopped_) return;
    pass_timer_.expires_after(std::chrono::nanoseconds(settings_.interval_ns));
    pass_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || stopped_) return;
        run_pass();
    });
}

void GcRunner::arm_sweep() {
    if (stopped_) return;
    sweep_timer_.expires_after(std::chrono::nanoseconds(settings_.sweep_ns));
    sweep_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || stopped_) return;
        sweep();
        arm_sweep();
    });
}

void GcRunner::run_pass(std::function<void(const GcPassReport&)> done) {
    if (busy_) {
        if (done) done({});
        return;
    }
    const auto t0 = std::chrono::steady_clock::now();
    const double cpu0 = thread_cpu_ms();
    // refs_, order_, quarantined_ and pass_ keep their buffers from the last pass: over an
    // unchanged set of allocations, building them allocates nothing.
    const auto& allocations = state_.allocations();
    refs_.resize(allocations.size());
    order_.clear();
    order_.reserve(allocations.size());
    size_t i = 0;
    for (auto& [key, a] : allocations) {
        liveness::AllocationRef& ref = refs_[i++];
        ref.key.clear();
        ref.key.append(key.network)
            .append("/")
            .append(key.container_id)
            .append("/")
            .append(key.ifname);  // AttachmentKey::str(), without a temporary
        ref.netns_path = a.netns;
        ref.netns_inode = a.netns_inode;
        ref.ifname = key.ifname;
        ref.addresses = a.addresses;
        ref.host_ifindex = a.host_ifindex;
        ref.netns_cookie = a.netns_cookie;
        order_.push_back(&a);
    }
    quarantined_.clear();
    for (auto& [name, p] : state_.pools())
        for (auto& [addr, c] : p.quarantine) quarantined_.push_back(addr);

    const auto t_observe = std::chrono::steady_clock::now();
    manager_.observe(refs_, quarantined_, pass_);
    const auto t_policy = std::chrono::steady_clock::now();
    // Journaled (not kept in memory only) so that a restarted agent still knows them.
    core::Change change;
    for (size_t k = 0; k < pass_.allocations.size() && k < order_.size(); ++k) {
        const auto& o = pass_.allocations[k];
        const int ifindex = o.host_ifindex_learned ? o.host_ifindex : 0;
        if (ifindex == 0 && o.netns_cookie_learned == 0) continue;
        if (auto s = state_.learn_host_link(order_[k]->key, ifindex, o.netns_cookie_learned, change); !s)
            spdlog::error("gc: cannot record what was learned about {}: {}", o.key,
                          s.error().describe());
    }
    PassProbes probes(pass_, order_, kube_);
    result_.clear();
    policy_.pass(state_, probes, pass_.now_ns, result_);
    const auto t_decided = std::chrono::steady_clock::now();
    wire_ = std::move(probes).take_wire();
    passed_ = true;
    for (auto& d : result_.decisions) {
        spdlog::info("gc: {}", d.why);
        if (auto s = state_.record(d, change); !s)
            spdlog::error("gc: cannot record the decision above: {}", s.error().describe());
    }
    for (auto& c : result_.new_conflicts)
        spdlog::warn("gc conflict: {} {} (held by {})", c.address.str(),
                     core::conflict_kind_name(c.kind), c.holder);
    if (on_decided_) on_decided_(result_.decisions, result_.new_conflicts);

    GcPassReport report;
    report.allocations = refs_.size();
    report.quarantined = quarantined_.size();
    report.decisions = result_.decisions.size();
    report.new_conflicts = result_.new_conflicts.size();
    report.ended = ended_addresses(change).size();
    report.host_link_lookups = pass_.host_link_lookups;
    report.ms = ms_between(t0, std::chrono::steady_clock::now());
    report.observe_ms = ms_between(t_observe, t_policy);
    report.policy_ms = ms_between(t_policy, t_decided);
    report.cpu_ms = thread_cpu_ms() - cpu0;
    ++passes_;
    count(result_, pass_.now_ns, report.ms);
    if (on_conflicts_ && !result_.new_conflicts.empty())
        on_conflicts_(result_.new_conflicts, pass_.now_ns);
    spdlog::debug(
        "gc pass: {} allocations, {} quarantined, {} decisions in {:.1f} ms (signals {:.1f} ms, "
        "policy {:.1f} ms; {:.1f} ms CPU; {} host-link lookups)",
        report.allocations, report.quarantined, report.decisions, report.ms, report.observe_ms,
        report.policy_ms, report.cpu_ms, report.host_link_lookups);
    if (report.decisions || report.new_conflicts)
        spdlog::info(
            "gc pass: {} decision(s), {} new conflict(s) over {} allocation(s) and {} quarantined "
            "address(es); {} address(es) left quarantine",
            report.decisions, report.new_conflicts, report.allocations, report.quarantined,
            report.ended);
    busy_ = true;
    submit(std::move(change), [this, report, done = std::move(done)](Status st) mutable {
        busy_ = false;
        report.durable = st.has_value();
        if (!st)
            spdlog::error("gc: the pass's decisions were not made durable (retried next pass): {}",
                          st.error().describe());
        if (done) done(report);
        arm_pass();
    });
}

void GcRunner::sweep() {
    // With eBPF on, only as of the last read of the wire: traffic since then is not known yet.
    if (manager_.ebpf_on() && !passed_) return;
    int64_t now = clock_.now_ns();
    core::NoWire none;
    const core::Wire& wire = wire_.available() ? static_cast<const core::Wire&>(wire_) : none;
    if (wire_.available()) now = std::min(now, wire_.read_ns());
    std::vector<core::Decision> decided;
    state_.quarantine_decisions(now, wire, decided);
    if (decided.empty()) return;
    core::Change change;
    for (auto& d : decided) {
        spdlog::info("gc: {}", d.why);
        if (auto s = state_.record(d, change); !s)
            spdlog::error("gc: cannot record the decision above: {}", s.error().describe());
    }
    if (on_decided_) on_decided_(decided, {});
    submit(std::move(change), {});
}

void GcRunner::submit(core::Change change, std::function<void(Status)> done) {
    auto ended = ended_addresses(change);
    service_.submit(std::move(change), [this, ended = std::move(ended),
                                        done = std::move(done)](Status st) {
        if (st && !ended.empty()) {
            if (auto u = manager_.unwatch(ended); !u)
                spdlog::warn("gc: could not stop watching {} address(es) back in the free set: {}",
                             ended.size(), u.error().describe());
            spdlog::info("gc: {} address(es) left quarantine and are free again", ended.size());
        }
        if (done) done(st);
    });
}

std::string_view decision_kind(const core::Event& e) {
    if (std::holds_alternative<core::CandidateMarked>(e)) return "candidate";
    if (std::holds_alternative<core::CandidateCleared>(e)) return "cleared";
    if (std::holds_alternative<core::ZombieMarked>(e)) return "zombie";
    if (std::holds_alternative<core::Released>(e)) return "release";
    if (std::holds_alternative<core::QuarantineHeld>(e)) return "quarantine-held";
    if (std::holds_alternative<core::QuarantineEnded>(e)) return "quarantine-ended";
    return "other";
}

std::string_view decision_reason(const core::Event& e) {
    if (auto* c = std::get_if<core::CandidateMarked>(&e)) return core::gc_reason_name(c->reason);
    if (auto* c = std::get_if<core::CandidateCleared>(&e)) return core::gc_reason_name(c->reason);
    if (auto* z = std::get_if<core::ZombieMarked>(&e)) return core::gc_reason_name(z->reason);
    if (auto* r = std::get_if<core::Released>(&e)) return core::reason_name(r->reason);
    if (std::holds_alternative<core::QuarantineHeld>(e)) return "traffic";
    if (std::holds_alternative<core::QuarantineEnded>(e)) return "cooldown";
    return "other";
}

void GcRunner::count(const core::PassResult& r, int64_t now_ns, double ms) {
    ++counters_.passes;
    counters_.last_pass_ns = now_ns;
    counters_.last_pass_ms = ms;
    counters_.conflicts += r.new_conflicts.size();
    for (auto& d : r.decisions) {
        ++counters_.decisions[std::string(decision_reason(d.event))];
        if (std::holds_alternative<core::Released>(d.event))
            ++counters_.released[std::string(decision_reason(d.event))];
    }
}

std::optional<core::Observation> GcRunner::last_observation(const core::Allocation& a) const {
    if (!passed_) return std::nullopt;
    const std::string key = a.key.str();
    for (auto& o : pass_.allocations)  // rare (warrenctl show): a scan beats a per-pass index
        if (o.key == key) {
            auto out = to_observation(o);
            if (kube_) out.kube = kube_(a.pod.uid);
            return out;
        }
    return std::nullopt;
}

void GcRunner::run_admin_pass(bool dry_run, std::function<void(Result<AdminPass>)> done) {
    if (busy_) return done(fail(Code::try_again, "a GC pass is in flight; try again in a moment"));
    if (!dry_run) {
        run_pass([this, done = std::move(done)](const GcPassReport& r) {
            if (!r.durable)
                return done(fail(Code::try_again,
                                 "the pass's decisions could not be made durable; try again"));
            AdminPass a;
            a.ms = r.ms;
            a.allocations = r.allocations;
            a.quarantined = r.quarantined;
            a.decisions = result_.decisions;
            a.conflicts = result_.new_conflicts;
            done(std::move(a));
        });
        return;
    }
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<liveness::AllocationRef> refs;
    refs.reserve(state_.allocations().size());
    for (auto& [key, a] : state_.allocations())
        refs.push_back({key.str(), a.netns, a.netns_inode, key.ifname, a.addresses, a.host_ifindex,
                        a.netns_cookie});
    std::vector<IpAddress> quarantined;
    for (auto& [name, p] : state_.pools())
        for (auto& [addr, c] : p.quarantine) quarantined.push_back(addr);
    auto pass = manager_.check(refs, quarantined);  // the passes' memory stays theirs
    PassProbes probes(pass, {}, kube_);
    core::GcPolicy policy = policy_;  // its conflict memory is the real passes'
    core::PassResult result;
    policy.pass(state_, probes, pass.now_ns, result);
    AdminPass a;
    a.dry_run = true;
    a.allocations = refs.size();
    a.quarantined = quarantined.size();
    a.decisions = std::move(result.decisions);
    a.conflicts = std::move(result.new_conflicts);
    a.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    done(std::move(a));
}

}  // namespace warren::service
