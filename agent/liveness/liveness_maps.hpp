#pragma once
// The seam between the agent and the liveness maps (DESIGN §7): BpfMaps is the kernel's,
// tests/support/fake_liveness_maps.hpp a fake. The classifier fills the maps; through this
// interface the agent only says which addresses to watch and reads what was seen.
//
// Thread-safety: implementations are safe to call from any thread (the kernel serialises map
// operations; the fake locks). Errors are OS errors with errno and what to do.
#include <optional>
#include <vector>

#include "liveness/abi.hpp"
#include "warren/error.hpp"

namespace warren::liveness {

class LivenessMaps {
  public:
    virtual ~LivenessMaps() = default;

    // Starts recording traffic from `a` in `watch`. Idempotent: an address already watched keeps
    // its observation (a restarted agent re-watching its journal's addresses loses nothing).
    virtual Status watch(const IpAddress& a) = 0;
    // Stops watching `a` and forgets its observation; an address not watched is not an error.
    virtual Status unwatch(const IpAddress& a) = 0;
    // What was seen of a watched address; nullopt when `a` is not watched.
    virtual Result<std::optional<Observation>> observation(const IpAddress& a) const = 0;
    // Every watched address with its observation, in no particular order (one pass over the
    // map: use it for a GC pass and to reconcile `watch` with the journal at start).
    virtual Result<std::vector<Entry>> watched() const = 0;
    // Sources seen on the wire that are not watched (bounded by WARREN_STRANGERS_MAX_ENTRIES,
    // least recently seen evicted first), in no particular order.
    virtual Result<std::vector<Entry>> strangers() const = 0;
};

}  // namespace warren::liveness
