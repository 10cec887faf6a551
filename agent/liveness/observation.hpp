#pragma once
// What LivenessManager::observe() reads about allocations: raw signals, no decisions (the GC
// policy in agent/core decides; the GC runner translates these plain structs to its input).
// All times are wall-clock ns since the epoch (CLOCK_REALTIME); 0 means "never".
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "warren/ip.hpp"

namespace warren::liveness {

// One allocation as the agent recorded it at ADD.
struct AllocationRef {
    std::string key;           // the caller's id for it (echoed back, never interpreted)
    std::string netns_path;    // CNI_NETNS
    uint64_t netns_inode = 0;  // recorded at ADD; 0 when unknown (any namespace counts)
    std::string ifname;        // CNI_IFNAME, the interface inside the pod
    std::vector<IpAddress> addresses;
    int host_ifindex = 0;  // the host side of its link, when learned before; 0 when not
    // SO_NETNS_COOKIE of its namespace (at ADD or learned); 0 when unknown. Never reused, so it
    // tells whether a holder of the recorded inode is this pod or a newer namespace that was
    // given the same inode number.
    uint64_t netns_cookie = 0;
};

// Signal 1: the netns path.
enum class NetnsSignal {
    present,   // the recorded namespace is at the path
    gone,      // nothing there, or a file that is no namespace (what an unmount leaves)
    replaced,  // another namespace is at the path: the recorded one left it
    unknown,   // the probe failed (netns_error says why): never read as gone
};
// Signal 2: a process (or an nsfs mount) holds the recorded namespace.
enum class HeldSignal {
    held,
    not_held,  // from a complete scan: proof
    unknown,   // the scan failed or was incomplete, or the namespace's inode is unknown
};
// Signal 3: the host side of its link.
enum class HostLinkSignal {
    present,
    gone,
    unknown,  // no host ifindex learned yet, or link events are off
};
enum class HostIfindexSource {
    none,   // not learned
    given,  // AllocationRef::host_ifindex
    netns,  // read inside the pod's namespace (HostLinkFinder)
    wire,   // the first link the classifier saw one of its addresses on
};
// Signal 4, per address.
enum class WireSignal {
    seen,      // the classifier saw it (since it was watched)
    not_seen,  // watched, never seen
    unknown,   // eBPF off, the map could not be read, or it was not watched (see rewatched)
};
std::string_view to_string(NetnsSignal s);
std::string_view to_string(HeldSignal s);
std::string_view to_string(HostLinkSignal s);
std::string_view to_string(HostIfindexSource s);
std::string_view to_string(WireSignal s);

struct AddressSighting {
    IpAddress address;
    WireSignal wire = WireSignal::unknown;
    int64_t last_seen_ns = 0;  // wall clock, never earlier than the packet (wire_clock.hpp)
    uint64_t packets = 0;
    uint64_t bytes = 0;
    int last_ifindex = 0;     // link of the latest sighting
    int first_ifindex = 0;    // link of the first sighting
    bool multi_link = false;  // seen on two links: a conflict
    bool rewatched = false;   // was missing from `watch` (eBPF on) and is watched again now
};

struct AllocationObservation {
    std::string key;

    NetnsSignal netns = NetnsSignal::unknown;
    uint64_t netns_inode_now = 0;  // the namespace at the path now (present/replaced)
    std::string netns_error;       // when unknown

    HeldSignal held = HeldSignal::unknown;
    pid_t holder_pid = 0;      // when held: one process in it (0 when only mounted)
    std::string holder_mount;  // when held: one nsfs mount of it
    // held/not_held was settled by comparing the holder's netns cookie with the recorded one
    // (the path no longer holds the recorded namespace and the cookie is known).
    bool holder_cookie_checked = false;
    std::string holder_error;  // when the holder's cookie could not be read (held unknown)

    HostLinkSignal host_link = HostLinkSignal::unknown;
    int host_ifindex = 0;
    HostIfindexSource host_ifindex_source = HostIfindexSource::none;
    // Learned in this pass (not given): the caller should keep it with the allocation.
    bool host_ifindex_learned = false;
    // The namespace's cookie, read while looking up the host link, when AllocationRef had none:
    // the caller should keep it with the allocation.
    uint64_t netns_cookie_learned = 0;

    std::vector<AddressSighting> addresses;  // in AllocationRef::addresses' order
};

// A source the classifier saw that is not watched (a conflict: a spoofing pod, or another IPAM's).
struct StrangerSighting {
    IpAddress address;
    int64_t last_seen_ns = 0;  // wall clock
    uint64_t packets = 0;
    uint64_t bytes = 0;
    int last_ifindex = 0;
    int first_ifindex = 0;
    bool multi_link = false;
};

struct ObservePass {
    int64_t now_ns = 0;                              // wall clock when the pass read the clocks
    std::vector<AllocationObservation> allocations;  // in the input's order
    std::vector<AddressSighting> quarantined;        // in the input's order
    // Strangers whose packet count changed since the previous pass (all of them the first time).
    std::vector<StrangerSighting> strangers;

    bool ebpf = false;                      // the wire signal was read
    std::optional<std::string> wire_error;  // watch/strangers could not be read
    bool holder_scan_complete = false;
    std::optional<std::string> holder_scan_error;  // the scan failed, or why it is incomplete
    size_t host_link_lookups = 0;                  // HostLinkFinder calls this pass
    size_t host_link_lookups_deferred = 0;         // left for the next pass (per-pass budget)
    std::optional<std::string> host_link_error;    // the first failed lookup
    size_t rewatched = 0;
};

}  // namespace warren::liveness
