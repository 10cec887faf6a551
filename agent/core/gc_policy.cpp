#include "core/gc_policy.hpp"

#include <algorithm>
#include <limits>

namespace warren::core {

std::string_view conflict_kind_name(ConflictKind k) {
    switch (k) {
        case ConflictKind::two_links:
            return "two-links";
        case ConflictKind::candidate_traffic:
            return "candidate-traffic";
        case ConflictKind::quarantine_traffic:
            return "quarantine-traffic";
    }
    return "unknown";
}

void PassResult::clear() {
    decisions.clear();
    new_conflicts.clear();
    stats = {};
}

namespace {

constexpr int64_t kSec = 1'000'000'000;

std::string seconds(int64_t ns) {
    return std::to_string(ns / kSec) + "s";
}

const char* tri(Tri t, const char* yes, const char* no) {
    return t == Tri::yes ? yes : t == Tri::no ? no : "off";
}

std::string signals(const Observation& o, bool watching, bool traffic, bool kube_on) {
    const char* kube =
        kube_on && o.kube == Tri::unknown ? "unknown" : tri(o.kube, "running", "not running");
    return std::string("netns path ") + tri(o.netns, "present", "gone") + ", holders " +
           tri(o.held, "present", "none") + ", host link " + tri(o.link, "present", "gone") +
           ", kubernetes " + kube + ", wire " +
           (!watching ? "off"
            : traffic ? "traffic"
                      : "silent");
}

std::string named(const Allocation& a) {
    std::string s = a.key.str() + " (";
    for (size_t i = 0; i < a.addresses.size(); ++i) s += (i ? "," : "") + a.addresses[i].str();
    if (!a.pod.name.empty()) s += "; pod " + a.pod.namespace_ + "/" + a.pod.name;
    return s + ")";
}

const char* veto_text(GcReason r) {
    switch (r) {
        case GcReason::netns_present:
            return "its netns is present although the runtime's GC left it out";
        case GcReason::held_by_process:
            return "its netns path is gone but a process still holds the namespace";
        case GcReason::link_present:
            return "its host link still exists";
        case GcReason::k8s_running:
            return "Kubernetes says the pod runs on this node";
        case GcReason::traffic:
            return "the wire saw its address since it became a candidate (conflict)";
        case GcReason::unconfirmed:
            return "only one signal says it is dead and the others are off; release it by hand if "
                   "it is";
        default:
            return "";
    }
}

}  // namespace

template <class Holder>
void GcPolicy::conflict(const IpAddress& a, ConflictKind kind, Holder&& holder, PassResult& out) {
    switch (kind) {
        case ConflictKind::two_links:
            ++out.stats.two_links;
            break;
        case ConflictKind::candidate_traffic:
            ++out.stats.candidate_traffic;
            break;
        case ConflictKind::quarantine_traffic:
            ++out.stats.quarantine_traffic;
            break;
    }
    auto [it, added] = conflicts_.try_emplace({a, kind}, generation_);
    it->second = generation_;
    if (added) out.new_conflicts.push_back({a, kind, holder()});
}

void GcPolicy::pass(const IpamState& state, const Probes& probes, int64_t now_ns, PassResult& out) {
    ++generation_;
    const Wire& wire = probes.wire();
    out.stats.allocations = state.allocations().size();
    out.stats.strangers = wire.available() ? wire.strangers() : 0;
    for (auto& [key, a] : state.allocations()) {
        if (a.candidate) ++out.stats.candidates;
        if (a.candidate && a.candidate->zombie) ++out.stats.zombies;
        decide(a, probes.observe(a), wire, now_ns, out);
    }
    out.stats.quarantine = state.quarantine_decisions(
        now_ns, wire, out.decisions,
        [this, &out](const IpAddress& a, ConflictKind kind, const std::string& pool) {
            conflict(
                a, kind, [&] { return "pool '" + pool + "' (quarantined)"; }, out);
        });
    std::erase_if(conflicts_, [this](auto& kv) { return kv.second != generation_; });
}

void GcPolicy::decide(const Allocation& a, const Observation& o, const Wire& wire, int64_t now,
                      PassResult& out) {
    const int64_t grace = settings_.grace_ns;
    const bool watching = wire.available();
    const Candidate* c = a.candidate ? &*a.candidate : nullptr;
    Candidate fresh;
    if (!c && o.netns == Tri::no) {
        fresh = Candidate{now, GcReason::netns_gone, std::nullopt};
        c = &fresh;
        out.decisions.push_back({CandidateMarked{a.key, now, GcReason::netns_gone},
                                 named(a) + " is a stale candidate: its netns path " + a.netns +
                                     " is gone; released after " + seconds(grace) +
                                     " if still dead (" +
                                     signals(o, watching, false, settings_.kube) + ")"});
    }

    // The wire: conflicts for every allocation, traffic since the candidacy for candidates.
    bool traffic = false;
    if (watching) {
        // A candidate: any traffic since it became one. A zombie: traffic within the last
        // grace (it stopped sending once it was silent for a full grace).
        const int64_t window = !c          ? std::numeric_limits<int64_t>::max()
                               : c->zombie ? std::max(c->since_ns, now - grace + 1)
                                           : c->since_ns;
        for (auto& addr : a.addresses) {
            auto s = wire.seen(addr);
            if (!s) continue;
            if (s->two_links)
                conflict(
                    addr, ConflictKind::two_links, [&] { return a.key.str(); }, out);
            if (s->last_seen_ns >= window) {
                traffic = true;
                conflict(
                    addr, ConflictKind::candidate_traffic, [&] { return a.key.str(); }, out);
            }
        }
    }
    if (!c) return;

    std::optional<GcReason> veto;
    if (o.netns == Tri::yes)
        veto = GcReason::netns_present;
    else if (o.held == Tri::yes)
        veto = GcReason::held_by_process;
    else if (o.link == Tri::yes)
        veto = GcReason::link_present;
    else if (o.kube == Tri::yes)
        veto = GcReason::k8s_running;
    else if (traffic)
        veto = GcReason::traffic;
    const bool due = now > c->since_ns && now - c->since_ns >= grace;
    const int dead = (o.netns == Tri::no) + (o.held == Tri::no) + (o.link == Tri::no) +
                     (o.kube == Tri::no) + (c->reason == GcReason::cni_gc);
    if (!veto && dead < 2 && (c->zombie || due)) veto = GcReason::unconfirmed;

    if (veto == GcReason::netns_present && c->reason == GcReason::netns_gone) {
        out.decisions.push_back(
            {CandidateCleared{a.key, GcReason::netns_present},
             named(a) + " is no longer a stale candidate: its netns path " + a.netns + " is back"});
        return;
    }
    if (veto) {
        if (c->zombie && c->zombie->reason == *veto) return;
        out.decisions.push_back({ZombieMarked{a.key, now, *veto},
                                 named(a) + " is kept (" + std::string(gc_reason_name(*veto)) +
                                     "): " + veto_text(*veto) + "; rechecked every pass (" +
                                     signals(o, watching, traffic, settings_.kube) + ")"});
        return;
    }
    if (c->zombie) {
        out.decisions.push_back(
            {CandidateMarked{a.key, now, c->reason},
             named(a) + " is no longer kept (" + std::string(gc_reason_name(c->zombie->reason)) +
                 " gone): a stale candidate again from now, released after " + seconds(grace) +
                 " if still dead (" + signals(o, watching, false, settings_.kube) + ")"});
        return;
    }
    if (!due) return;
    const bool by_runtime = c->reason == GcReason::cni_gc;
    out.decisions.push_back(
        {Released{a.key, now, by_runtime ? ReleaseReason::gc : ReleaseReason::stale},
         named(a) + " released (" + (by_runtime ? "gc" : "stale") + "): a stale candidate (" +
             std::string(gc_reason_name(c->reason)) + ") for " + seconds(now - c->since_ns) +
             " and dead on " + std::to_string(dead) + " signals, no live one (" +
             signals(o, watching, false, settings_.kube) + ")"});
}

}  // namespace warren::core
