#pragma once
// The rows of "list" and "show" (admin_protocol.hpp): one per allocation and one per quarantined
// address, built from the state and the last GC pass's wire, without probing anything.
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <unordered_map>

#include "admin/event_log.hpp"
#include "core/ipam_state.hpp"
#include "core/zones.hpp"
#include "service/gc_signals_from_liveness.hpp"

namespace warren::admin {

// "active", "stale-candidate", "zombie", with the reason ("" when active) and since when.
struct EntryState {
    std::string_view state, reason;
    int64_t since_ns = 0;
};
EntryState entry_state(const core::Allocation& a);

// The latest sighting of any of `addrs` on the last pass's wire; 0 when none (or eBPF off).
int64_t last_seen(const service::PassWire& wire, std::span<const IpAddress> addrs);

// A row as JSON text appended to `out` (list writes 10,000 of them), or as a value (show).
// With `zone` (zones on): "zone", and "zoneMismatch" (why) when the rules now disagree.
void append_allocation_entry(std::string& out, const core::Allocation& a,
                             const service::PassWire& wire, const core::ZoneReport* zone = nullptr);
// `release_reason`: why it was released (a ReleaseReason name); "traffic" while traffic holds it.
void append_quarantine_entry(std::string& out, const std::string& pool, const IpAddress& addr,
                             const core::Cooling& c, const service::PassWire& wire,
                             std::string_view release_reason);
nlohmann::json allocation_entry(const core::Allocation& a, const service::PassWire& wire,
                                const core::ZoneReport* zone = nullptr);
nlohmann::json quarantine_entry(const std::string& pool, const IpAddress& addr,
                                const core::Cooling& c, const service::PassWire& wire,
                                std::string_view release_reason);

// The release reason of each attachment's latest release in the log (AttachmentKey::str()).
std::unordered_map<std::string, std::string> release_reasons(const EventLog& log);

}  // namespace warren::admin
