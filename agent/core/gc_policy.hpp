#pragma once
// The garbage collector's policy (DESIGN §7): observations in, decisions out. Pure: no I/O, no
// clock, no probes. The runner gathers the signals, calls pass() once per interval, logs every
// decision's `why`, journals the decisions (IpamState::record) and logs the new conflicts.
//
// Rules, per allocation:
// - It becomes a stale candidate when its netns path is gone (CandidateMarked netns_gone), or at
//   once when a CNI GC leaves it out of valid-attachments (IpamState::gc, reason cni_gc).
// - A live signal vetoes, with its reason: the netns path present, a process holding the
//   namespace, the host link present, Kubernetes running the pod, or traffic from one of its
//   addresses since it became a candidate (which is also a conflict). A netns_gone candidate
//   whose path is back is cleared; any other veto keeps the candidate as a zombie (ZombieMarked),
//   reported and rechecked on every pass. A cni_gc candidate whose netns is present is such a
//   zombie: the runtime forgot an attachment that is alive; it is reported, never freed.
// - When a zombie's last live signal goes, its candidacy starts over at that pass (a new
//   CandidateMarked): the dead streak must again last `grace`. For traffic, "gone" means no
//   traffic for a full `grace`.
// - It is released (Released stale, or gc for a cni_gc candidate) by a pass at least `grace`
//   after the candidacy began, when no live signal is left and at least two signals say it is
//   dead: its netns path gone, no process holding it, its host link gone, Kubernetes not running
//   it, the runtime's GC leaving it out. Unknown signals (off) count neither way. The wire is
//   only ever a veto: an idle pod sends nothing, so silence never counts as dead.
//   With one dead signal only (e.g. the netns path, with holders, links and Kubernetes all off)
//   it is not released but kept as a zombie `unconfirmed`: trusting one signal alone is how the
//   IPAMs this replaces freed live pods' addresses; `warrenctl release` frees it by hand.
// Quarantine (cooldown, traffic holds) is IpamState::quarantine_decisions, included in pass().
//
// Every decision is a transition: a pass over an unchanged world decides nothing. Conflicts are
// observations, not state: pass() reports one when it first appears, and remembers it in memory
// until it is no longer seen (an agent restart reports current conflicts once more).
//
// Thread-safety: none; the GC runner's thread owns a GcPolicy.
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "core/gc_signals.hpp"
#include "core/ipam_state.hpp"

namespace warren::core {

struct GcSettings {
    int64_t grace_ns = 0;
    // Kubernetes is on: an unknown kube signal (a pod without a UID) is logged as "unknown",
    // not "off".
    bool kube = false;
};

// The runner's probes for one pass. Thread-safety: called on the runner's thread during pass().
class Probes {
  public:
    virtual ~Probes() = default;
    // The signals about `a` gathered for this pass (unknown for a signal that is off).
    virtual Observation observe(const Allocation& a) const = 0;
    virtual const Wire& wire() const = 0;
};

struct PassStats {
    size_t allocations = 0, candidates = 0, zombies = 0;
    QuarantineCounts quarantine;
    // Conflicts seen in this pass (gauges), by kind, and the strangers the wire reported.
    size_t two_links = 0, candidate_traffic = 0, quarantine_traffic = 0;
    uint64_t strangers = 0;
};

struct PassResult {
    std::vector<Decision> decisions;  // in order; journal them all, log each `why`
    std::vector<Conflict> new_conflicts;
    PassStats stats;
    // Empties the result but keeps its capacity, for the next pass.
    void clear();
};

class GcPolicy {
  public:
    explicit GcPolicy(GcSettings s) : settings_(s) {}

    // One pass at `now_ns` over every allocation and quarantined address of `state` (the
    // cooldown is the state's). Appends to `out` (clear() it between passes); allocates only for
    // what it reports. Its decisions are transitions from `state`: record them all
    // (IpamState::record, in order) before the next pass, or that pass decides them again.
    void pass(const IpamState& state, const Probes& probes, int64_t now_ns, PassResult& out);

    const GcSettings& settings() const { return settings_; }

  private:
    struct ConflictKey {
        IpAddress address;
        ConflictKind kind;
        bool operator==(const ConflictKey&) const = default;
    };
    struct ConflictHash {
        size_t operator()(const ConflictKey& k) const {
            return std::hash<IpAddress>{}(k.address) * 31 + static_cast<size_t>(k.kind);
        }
    };
    void decide(const Allocation& a, const Observation& o, const Wire& wire, int64_t now_ns,
                PassResult& out);
    // Counts a conflict seen in this pass; reports it (naming holder()) when it is new.
    template <class Holder>
    void conflict(const IpAddress& a, ConflictKind kind, Holder&& holder, PassResult& out);

    GcSettings settings_;
    uint64_t generation_ = 0;
    std::unordered_map<ConflictKey, uint64_t, ConflictHash> conflicts_;  // -> last pass seen
};

}  // namespace warren::core
