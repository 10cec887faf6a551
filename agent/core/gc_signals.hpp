#pragma once
// What the GC runner tells the policy (DESIGN §7), as plain data, and what the policy and the
// quarantine sweep answer. No probe lives here: the runner gathers the signals (netns prober,
// /proc holders, netlink, eBPF maps, Kubernetes) and hands them over through these types.
#include <cstdint>
#include <optional>
#include <string>

#include "core/events.hpp"
#include "warren/ip.hpp"

namespace warren::core {

// One signal about one allocation. `unknown`: the signal is off or could not be read; it is
// evidence neither way.
enum class Tri : uint8_t { unknown = 0, yes = 1, no = 2 };

// The signals about one allocation, as the runner gathered them for this pass.
struct Observation {
    Tri netns = Tri::unknown;  // its netns path exists with the inode recorded at ADD
    Tri held = Tri::unknown;   // some process holds that network namespace
    Tri link = Tri::unknown;   // its host-side link exists
    Tri kube = Tri::unknown;   // Kubernetes says the pod runs on this node (API error: yes)
};

// What the wire saw of one address (the eBPF `watch` map), on the wall clock.
struct Sighting {
    int64_t last_seen_ns = 0;
    bool two_links = false;  // seen on a second ifindex
};

// The eBPF evidence. Thread-safety: called on the GC thread only, during one pass or sweep.
class Wire {
  public:
    virtual ~Wire() = default;
    // False when eBPF is off: then seen() is never called and traffic is evidence neither way.
    virtual bool available() const = 0;
    // The last sighting of `a`, or nullopt when the wire never saw it.
    virtual std::optional<Sighting> seen(const IpAddress& a) const = 0;
    // Source addresses seen on pod-facing links that are not in `watch` (the strangers LRU).
    virtual uint64_t strangers() const { return 0; }
};

// eBPF off.
class NoWire final : public Wire {
  public:
    bool available() const override { return false; }
    std::optional<Sighting> seen(const IpAddress&) const override { return std::nullopt; }
};

// A transition to journal (`event`) and log once (`why`, one line that says what was decided,
// on which signals, and which signals were off).
struct Decision {
    Event event;
    std::string why;
};

enum class ConflictKind : uint8_t {
    two_links = 1,           // one address seen on two links
    candidate_traffic = 2,   // traffic from a stale candidate's address
    quarantine_traffic = 3,  // traffic from an address after its release
};
std::string_view conflict_kind_name(ConflictKind k);

struct Conflict {
    IpAddress address;
    ConflictKind kind = ConflictKind::two_links;
    std::string holder;  // the attachment or "pool <name> (quarantined)"
};

}  // namespace warren::core
