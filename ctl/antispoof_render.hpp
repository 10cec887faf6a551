#pragma once
// The anti-spoofing parts of `status` and `show` as text (issue 11). Empty strings when the
// agent sent no "antiSpoofing" (an agent from before issue 11).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace warren::ctl {

// One line after the liveness block: "\nanti-spoofing  on: ...\n".
std::string antispoof_status_line(const nlohmann::json& status);
// An allocation's block after its history: "  anti-spoofing: ...\n" and its offenders' table.
std::string antispoof_show_block(const nlohmann::json& match, int64_t now_ns);

}  // namespace warren::ctl
