#pragma once
// Start-up: rebuilds the in-memory state from what the journal recovered, before anything is
// served (DESIGN §5).
#include "core/ipam_state.hpp"
#include "journal/journal.hpp"
#include "warren/error.hpp"

namespace warren::service {

// Replays the snapshot, then the records in order. An entry that cannot be decoded or that
// contradicts the state is an error naming it (Code::io): the agent must not serve from a state
// it cannot trust.
Status recover(core::IpamState& state, const journal::Recovered& rec);

// Logs each pool's usage (info), or that none is configured.
void log_pools(const core::IpamState& state);

}  // namespace warren::service
