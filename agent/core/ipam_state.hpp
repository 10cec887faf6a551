#pragma once
// The node's pools and allocations, in memory. Pure: no I/O, no clock, no threads; the caller
// passes the time and journals the events an operation returns.
//
// Thread-safety: none; one thread (the agent's I/O thread) owns an IpamState.
// Every mutation goes through apply(), for live operations and for replay alike, and returns an
// undo action so the caller can roll back changes whose journal write failed.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/events.hpp"
#include "core/gc_signals.hpp"
#include "core/range.hpp"
#include "warren/error.hpp"

namespace warren::core {

// A candidate kept alive by a veto (or unconfirmed), rechecked on every pass.
struct Zombie {
    GcReason reason = GcReason::held_by_process;
    int64_t since_ns = 0;
};
// A stale candidate (DESIGN §7): since when, why, and whether a veto keeps it.
struct Candidate {
    int64_t since_ns = 0;
    GcReason reason = GcReason::netns_gone;  // netns_gone or cni_gc
    std::optional<Zombie> zombie;
};

struct Allocation {
    AttachmentKey key;
    std::string pool;
    std::vector<IpAddress> addresses;
    std::string netns;
    uint64_t netns_inode = 0;
    PodInfo pod;
    int64_t time_ns = 0;
    std::optional<Candidate> candidate;
};

// A released address waiting out its cooldown, and who released it: that attachment alone may
// take it back early (a container restarted with --ip, a network reload).
struct Cooling {
    int64_t since_ns = 0;
    AttachmentKey owner;
    std::optional<int64_t> held_seen_ns;  // the wire saw it then, after the release
};

struct QuarantineCounts {
    size_t quarantined = 0, held = 0, ended = 0;
};

struct Pool {
    std::string name;
    std::vector<RangeSet> sets;
    std::string ranges_json;
    PoolSource source = PoolSource::config;
    std::vector<std::optional<IpAddress>> cursors;  // last reserved address per set
    std::unordered_map<IpAddress, AttachmentKey> used;
    std::unordered_map<IpAddress, Cooling> quarantine;
    std::unordered_map<AttachmentKey, std::vector<IpAddress>> cooling_by_owner;  // of quarantine
    std::vector<u128> used_count, quarantined_count;  // per set, addresses inside its ranges

    // Index of the range set whose ranges hold `a`, or -1.
    int set_of(const IpAddress& a) const;
    // Start / end a cooldown, keeping the owner index and the per-set count in step.
    void cool(const IpAddress& a, Cooling c);
    void uncool(std::unordered_map<IpAddress, Cooling>::iterator it);
};

struct SetUsage {
    std::string ranges;
    u128 usable = 0, used = 0, quarantined = 0;
};
struct PoolUsage {
    std::string name;
    std::vector<SetUsage> sets;
};

struct AddRequest {
    AttachmentKey key;
    std::optional<std::string> pool;
    std::optional<std::vector<RangeSet>> ranges;  // parsed and checked (parse_range_sets)
    std::vector<IpAddress> requested;
    std::string netns;
    uint64_t netns_inode = 0;
    PodInfo pod;
};

using Undo = std::function<void()>;

// What a live operation changed: the events to journal, in order, and how to take them back
// (undo in reverse order).
struct Change {
    std::vector<Event> events;
    std::vector<Undo> undo;
    std::vector<std::string> warnings;  // for the operator's log; not journaled
    bool empty() const { return events.empty(); }
};

class IpamState {
public:
    explicit IpamState(int64_t cooldown_ns) : cooldown_ns_(cooldown_ns) {}

    // Applies an event from the journal or a snapshot. Code::io when it contradicts the state
    // (an address held twice), which means the journal is damaged.
    Status replay(const Event& e);

    // Defines or redefines a pool from the agent's configuration. No change when identical.
    // Pools from CNI configs that overlap `sets` but hold nothing are removed first.
    Result<Change> define_pool(const std::string& name, const std::vector<RangeSet>& sets,
                               PoolSource source);

    // Idempotent per key: a key that holds addresses gets the same ones back and no change.
    Result<const Allocation*> add(AddRequest req, int64_t now_ns, Change& change);
    // Adopts `addresses`, which another IPAM handed out (import-host-local), for `key` in pool
    // `pool`: journaled as an Allocated at `now_ns` with no netns (the netns signal is unknown for
    // it, so netns-based GC never marks it). Refused, Code::address_unavailable naming the
    // address and why, when one is not assignable in the pool, is held (by another key: named),
    // is cooling down, or shares a range set with another; Code::unknown_container for an unknown
    // pool; Code::invalid_config when `key` already holds addresses.
    Result<const Allocation*> adopt(const std::string& pool, const AttachmentKey& key,
                                    std::vector<IpAddress> addresses, int64_t now_ns,
                                    Change& change);
    // Moves the cursor of the range set holding `address` there (CursorAt): the next allocation
    // in that set starts after it. Code::address_unavailable when no set of the pool holds it.
    Status move_cursor(const std::string& pool, const IpAddress& address, Change& change);
    // Releases what `key` holds; unknown keys are not an error.
    void release(const AttachmentKey& key, ReleaseReason reason, int64_t now_ns, Change& change);
    // CNI GC: every allocation of `network` whose (container, ifname) is not in `valid` becomes
    // a stale candidate now (reason cni_gc), released later by the GC policy only if it is dead
    // on every signal (containernetworking/cni #1086: the runtime's list may be incomplete).
    // Candidates it made earlier that `valid` lists again are cleared. Returns how many it
    // marked; allocations that already are candidates keep their time.
    size_t gc(const std::string& network, const std::vector<std::pair<std::string, std::string>>& valid,
              int64_t now_ns, Change& change);
    // Journals a decision of the GC policy (or of quarantine_decisions).
    Status record(const Decision& d, Change& change);

    // The quarantine's transitions at `now_ns`: QuarantineHeld (once) for an address the wire
    // saw after its release, and QuarantineEnded for addresses that rested a full cooldown
    // since their release and since the last traffic from them, per pool one event per
    // kSweepChunk addresses (fewer if the pool's name is very long). Silence never shortens a
    // cooldown; without the wire only the release time counts. `on_conflict` hears every
    // address seen on two links or after its release, on every call.
    static constexpr size_t kSweepChunk = 16384;
    using OnConflict = std::function<void(const IpAddress&, ConflictKind, const std::string& pool)>;
    QuarantineCounts quarantine_decisions(int64_t now_ns, const Wire& wire,
                                          std::vector<Decision>& out,
                                          const OnConflict& on_conflict = {}) const;
    // quarantine_decisions() recorded into `change`; returns how many addresses left quarantine.
    size_t sweep_quarantine(int64_t now_ns, Change& change, const Wire& wire = NoWire{});

    // Code::unknown_container when the key holds nothing; Code::check_failed when it does not
    // hold every address in `expected`.
    Status check(const AttachmentKey& key, const std::vector<IpAddress>& expected) const;
    // Whether an ADD for this pool could be served now. Code::unavailable when exhausted.
    Status status(const std::optional<std::string>& pool,
                  const std::optional<std::vector<RangeSet>>& ranges,
                  const std::string& network) const;

    const Allocation* find(const AttachmentKey& key) const;
    const Pool* pool(const std::string& name) const;
    const std::unordered_map<AttachmentKey, Allocation>& allocations() const { return allocations_; }
    const std::map<std::string, Pool>& pools() const { return pools_; }
    std::vector<PoolUsage> usage() const;
    // The current state as events that rebuild it (for a snapshot).
    std::vector<Event> snapshot_events() const;
    int64_t cooldown_ns() const { return cooldown_ns_; }
    std::string gateway_for(const Pool& p, const IpAddress& a, int* prefix_len) const;

private:
    // Makes room for `sets` as pool `name`. Code::invalid_config naming the pool in the way when
    // `sets` hold an address of another pool that counts: a config pool, or a CNI-config pool
    // with addresses in use or cooling down (also ones outside its current ranges). CNI-config
    // pools that overlap but hold nothing are removed (journaled), so they stop blocking.
    Status make_room(const std::string& name, const std::vector<RangeSet>& sets, Change& change);
    // Redefines CNI-config pool `p` with new ranges; allocations outside them are kept.
    Status redefine(Pool& p, const std::vector<RangeSet>& sets, std::string text,
                    const std::string& network, Change& change);
    Result<Undo> apply(const Event& e);
    // The GC's events: CandidateMarked, CandidateCleared, ZombieMarked, QuarantineHeld.
    Result<Undo> apply_gc(const Event& e);
    Result<Pool*> resolve_pool(const AddRequest& req, Change& change);
    Result<IpAddress> pick(Pool& p, size_t set, const std::optional<IpAddress>& requested,
                           const AttachmentKey& key) const;
    std::string exhausted_message(const Pool& p, size_t set) const;
    Status push(Change& change, Event e);

    int64_t cooldown_ns_;
    std::map<std::string, Pool> pools_;
    std::unordered_map<AttachmentKey, Allocation> allocations_;
};

}  // namespace warren::core
