#pragma once
// The state changes warren journals. Replaying them in order rebuilds the state exactly; a
// snapshot is the same events describing the state at one point.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "warren/error.hpp"
#include "warren/ip.hpp"

namespace warren::core {

struct AttachmentKey {
    std::string network, container_id, ifname;
    bool operator==(const AttachmentKey&) const = default;
    std::string str() const { return network + "/" + container_id + "/" + ifname; }
};

struct PodInfo {
    std::string namespace_, name, uid;
    bool operator==(const PodInfo&) const = default;
};

enum class PoolSource : uint8_t { config = 1, cni = 2 };
enum class ReleaseReason : uint8_t {
    del = 1,
    gc = 2,
    queued_del = 3,
    admin = 4,
    stale = 5,
    admin_forced = 6
};
std::string_view reason_name(ReleaseReason r);

struct PoolDefined {
    std::string pool;
    std::string ranges_json;  // canonical host-local JSON of the range sets
    PoolSource source = PoolSource::config;
    bool operator==(const PoolDefined&) const = default;
};

// A pool from a CNI config that holds nothing any more, removed so that another pool may take
// its addresses.
struct PoolRemoved {
    std::string pool;
    bool operator==(const PoolRemoved&) const = default;
};

struct Allocated {
    AttachmentKey key;
    std::string pool;
    std::vector<IpAddress> addresses;  // one per range set, in range-set order
    std::string netns;
    uint64_t netns_inode = 0;
    PodInfo pod;
    int64_t time_ns = 0;  // wall clock
    // SO_NETNS_COOKIE of the netns at ADD; 0 = unknown (an old plugin, or a journal written
    // before cookies: those records decode with 0).
    uint64_t netns_cookie = 0;
    bool operator==(const Allocated&) const = default;
};

// The GC learned where an allocation's pod lives: the host side of its link (0 = not learned)
// and its netns cookie (0 = not learned). Journaled so a restarted agent still knows them; a
// zero field leaves what the allocation has.
struct HostLinkLearned {
    AttachmentKey key;
    int host_ifindex = 0;
    uint64_t netns_cookie = 0;
    bool operator==(const HostLinkLearned&) const = default;
};

struct Released {
    AttachmentKey key;
    int64_t time_ns = 0;
    ReleaseReason reason = ReleaseReason::del;
    bool operator==(const Released&) const = default;
};

struct QuarantineEnded {
    std::string pool;
    std::vector<IpAddress> addresses;
    bool operator==(const QuarantineEnded&) const = default;
};

// Snapshot-only: where a range set's round-robin cursor stands, and one cooling-down address.
struct CursorAt {
    std::string pool;
    uint64_t set_index = 0;
    IpAddress address;
    bool operator==(const CursorAt&) const = default;
};
// `owner` released the address and may take it back during the cooldown; snapshots written
// before owners were kept decode with an empty owner (nobody may take it back early).
struct Quarantined {
    std::string pool;
    IpAddress address;
    int64_t since_ns = 0;
    AttachmentKey owner;
    bool operator==(const Quarantined&) const = default;
};

// Why the garbage collector marked, kept or cleared something (DESIGN §7). The names are the
// log's and the metrics' labels.
enum class GcReason : uint8_t {
    netns_gone = 1,       // candidate: the netns path is gone or holds another namespace
    cni_gc = 2,           // candidate: a CNI GC left it out of cni.dev/valid-attachments
    netns_present = 3,    // veto: the netns path is there with the inode recorded at ADD
    held_by_process = 4,  // veto: a process still holds the namespace (path gone: a zombie)
    link_present = 5,     // veto: the pod's host-side link exists
    traffic = 6,          // veto: the wire saw one of its addresses since it became a candidate
    k8s_running = 7,      // veto: Kubernetes says the pod runs on this node
    unconfirmed = 8,      // kept: no signal besides the reason it became a candidate says dead
    listed = 9,           // cleared: a later CNI GC listed it as valid
    readded = 10,         // cleared: the runtime ADDed the attachment again (a cni_gc candidate)
};
std::string_view gc_reason_name(GcReason r);

// The allocation became a stale candidate at `since_ns` (reason netns_gone or cni_gc). Also
// written when a zombie's last live signal goes: its candidacy starts over at `since_ns`.
struct CandidateMarked {
    AttachmentKey key;
    int64_t since_ns = 0;
    GcReason reason = GcReason::netns_gone;
    bool operator==(const CandidateMarked&) const = default;
};
// The allocation is no longer a candidate (netns_present, listed).
struct CandidateCleared {
    AttachmentKey key;
    GcReason reason = GcReason::netns_present;
    bool operator==(const CandidateCleared&) const = default;
};
// A candidate is kept alive by `reason` (a veto, or unconfirmed) from `since_ns`; rechecked on
// every pass. Written again only when the reason changes.
struct ZombieMarked {
    AttachmentKey key;
    int64_t since_ns = 0;
    GcReason reason = GcReason::held_by_process;
    bool operator==(const ZombieMarked&) const = default;
};
// A quarantined address the wire saw at `seen_ns`, after its release: it stays quarantined
// until a full cooldown passes with no traffic from it.
struct QuarantineHeld {
    std::string pool;
    IpAddress address;
    int64_t seen_ns = 0;
    bool operator==(const QuarantineHeld&) const = default;
};

using Event = std::variant<PoolDefined, Allocated, Released, QuarantineEnded, CursorAt, Quarantined,
                           PoolRemoved, CandidateMarked, CandidateCleared, ZombieMarked,
                           QuarantineHeld, HostLinkLearned>;

// The largest encoded event: a journal record's payload limit (journal::kMaxRecordPayload, which
// is asserted equal). Every event the state produces fits: names are capped by kMaxNameBytes,
// pool definitions are refused beyond it, and a quarantine sweep is split into events.
inline constexpr size_t kMaxEventBytes = 1u << 20;
// The longest network name, container ID, ifname, pool name, netns path or pod field accepted.
inline constexpr size_t kMaxNameBytes = 4096;

size_t encoded_size(const Event& e);
// Wall-clock times in events (ns since the epoch) lie in [0, kMaxEventTimeNs], so arithmetic on
// them with a cooldown or grace cannot overflow; a payload with any other time is damage.
inline constexpr int64_t kMaxEventTimeNs = INT64_MAX / 2;  // year 2116

void encode_event(std::string& out, const Event& e);
std::string encode_event(const Event& e);
// Code::io with a description when the payload is not a well-formed event.
Result<Event> decode_event(std::string_view payload);

}  // namespace warren::core

// Not noexcept on purpose: hashing a key hashes three strings, and libstdc++'s hash tables store
// each node's hash (instead of recomputing it while they walk a bucket or rehash) only for a
// hasher that may throw. With 100k allocations that recomputation was 3 % of the I/O thread.
template <>
struct std::hash<warren::core::AttachmentKey> {
    size_t operator()(const warren::core::AttachmentKey& k) const {
        std::hash<std::string> h;
        return h(k.network) ^ (h(k.container_id) * 31) ^ (h(k.ifname) * 1000003);
    }
};
