#pragma once
// host-local compatible ranges: a range set is a list of ranges of one family; a pool hands out
// one address per range set per attachment.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "warren/error.hpp"
#include "warren/ip.hpp"

namespace warren::core {

// A canonical range: host-local's defaults applied (rangeStart = network+1, rangeEnd = last
// address, v4 broadcast excluded, gateway = network+1).
struct Range {
    IpPrefix subnet;
    IpAddress start;
    IpAddress end;
    IpAddress gateway;

    bool contains(const IpAddress& a) const { return subnet.contains(a) && a >= start && a <= end; }
    // Addresses never handed out: the network address, the v4 broadcast and the gateway.
    bool reserved(const IpAddress& a) const;
    // Assignable addresses in [start, end] minus reserved ones.
    u128 usable() const;
    bool operator==(const Range&) const = default;
};

using RangeSet = std::vector<Range>;

// Parses one host-local range object {subnet, rangeStart, rangeEnd, gateway}. Errors are
// Code::invalid_config with the offending value named.
Result<Range> parse_range(const nlohmann::json& j);
// Parses host-local's `ranges` ([[range, ...], ...]) and checks: each set non-empty and of one
// family, no two ranges anywhere overlap.
Result<std::vector<RangeSet>> parse_range_sets(const nlohmann::json& j);
// parse_range_sets of a request's optional `ranges`: nullopt when it names none.
Result<std::optional<std::vector<RangeSet>>> parse_optional_range_sets(
    const std::optional<nlohmann::json>& j);
// One range set per CIDR, as --pod-cidr gives them.
Result<std::vector<RangeSet>> range_sets_from_cidrs(const std::vector<std::string>& cidrs);

nlohmann::json to_json(const Range& r);
nlohmann::json to_json(const std::vector<RangeSet>& sets);
std::string describe(const RangeSet& set);  // "10.1.0.0/24" or "10.1.0.10-10.1.0.20 in 10.1.0.0/24"
u128 usable(const RangeSet& set);

bool ranges_overlap(const Range& a, const Range& b);

}  // namespace warren::core
