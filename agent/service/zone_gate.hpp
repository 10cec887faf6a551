#pragma once
// The IpamService's zone gate (issue 11): the pool an ADD names (the pod's args.cni.pool or
// runtimeConfig.pool, else the config's ipam.pool, else the network's ranges, else none) checked
// against the zone rules in force (core::choose). Refusals are logged at info, throttled so a
// crash-looping pod does not flood the log.
//
// Thread-safety: the gate is called on the I/O thread only. `rules` is read on each call (the
// daemon swaps the rules on reload); it may return nullptr for zones off.
#include <functional>
#include <memory>

#include "core/zones.hpp"
#include "service/ipam_service.hpp"

namespace warren::service {

// The pool a request names and who named it, as core::PoolAsk; nullopt when none.
std::optional<core::PoolAsk> pool_ask_of(const proto::Request& req);

IpamService::ZoneGate make_zone_gate(std::function<std::shared_ptr<const core::ZoneRules>()> rules,
                                     core::LabelLookup labels);

}  // namespace warren::service
