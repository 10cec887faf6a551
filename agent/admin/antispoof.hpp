#pragma once
// The anti-spoofing parts of the admin answers (issue 11): the "antiSpoofing" object of
// `status` (links per mode, offenders, packets, and why when off) and of `show` for one
// allocation (its host link, mode, addresses and offenders).
#include <nlohmann/json.hpp>
#include <string>

#include "liveness/manager.hpp"

namespace warren::admin {

// {"on", "links": {"off","log","drop"}, "offenders", "packets", "dropped"[, "why"]}
nlohmann::json antispoof_status(const liveness::LivenessManager& liveness);

// {"on"[, "why"], "link", "ifindex", "mode", "addresses", "offenders": [{"source", "packets",
// "dropped", "bytes", "firstSeenNs", "lastSeenNs"}]} for attachment `key` (AttachmentKey::str());
// an attachment with no protected host link has link "", ifindex 0, mode "" and no offenders.
nlohmann::json antispoof_show(const liveness::LivenessManager& liveness, const std::string& key);

}  // namespace warren::admin
