#pragma once
// The seam between the agent and the anti-spoofing maps (issue 11): `link_sources` (what each
// host link's pod may send from, and what to do otherwise) and `spoofs` (the mismatches the
// classifier saw, per link and source). BpfGuardMaps is the kernel's (pinned beside `watch`, so
// enforcement and counts survive an agent restart); tests/support/fake_guard_maps.hpp a fake
// that also plays the classifier's part (check()).
//
// Thread-safety: implementations are safe to call from any thread. Errors are OS errors with
// errno and what to do.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "warren/error.hpp"
#include "warren/ip.hpp"
#include "warren/liveness_abi.h"

namespace warren::liveness {

enum class SpoofMode : uint32_t {
    off = WARREN_SPOOF_OFF,
    log = WARREN_SPOOF_LOG,
    drop = WARREN_SPOOF_DROP,
};
// "off", "log", "drop"; anything else is Code::invalid_config naming the choices.
Result<SpoofMode> parse_spoof_mode(std::string_view text);
std::string_view to_string(SpoofMode mode);

// One link_sources entry.
struct LinkSources {
    uint32_t ifindex = 0;
    SpoofMode mode = SpoofMode::log;
    std::vector<IpAddress> addresses;  // at most WARREN_LINK_ADDRS
    bool operator==(const LinkSources&) const = default;
};

// One spoofs entry: a source seen on a host link that its entry did not list.
struct Spoof {
    uint32_t ifindex = 0;
    IpAddress source;
    uint64_t first_seen_ns = 0;  // CLOCK_MONOTONIC_COARSE, as Observation::last_seen_ns
    uint64_t last_seen_ns = 0;
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint64_t dropped = 0;  // of `packets`
    bool operator==(const Spoof&) const = default;
};

class GuardMaps {
  public:
    virtual ~GuardMaps() = default;

    // Makes `ifindex`'s entry exactly `s` (insert or replace). More than WARREN_LINK_ADDRS
    // addresses is Code::invalid_config (nothing written).
    virtual Status set_link(const LinkSources& s) = 0;
    // Deletes `ifindex`'s entry (its packets are no longer checked); absent is not an error.
    virtual Status clear_link(uint32_t ifindex) = 0;
    // Every link_sources entry, in no particular order (start-up reconciliation).
    virtual Result<std::vector<LinkSources>> links() const = 0;
    // Every spoofs entry, in no particular order (bounded by WARREN_SPOOFS_MAX_ENTRIES, least
    // recently seen evicted first).
    virtual Result<std::vector<Spoof>> spoofs() const = 0;
    // Forgets the spoofs entries of `ifindex` (its link is gone: the ifindex may be reused).
    virtual Status clear_spoofs(uint32_t ifindex) = 0;
};

}  // namespace warren::liveness
