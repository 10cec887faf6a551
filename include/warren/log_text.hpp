#pragma once
// Client-supplied text (container IDs, interface and network names, netns paths, messages that
// echo a request) made safe for a log line.
#include <cstddef>
#include <string>
#include <string_view>

namespace warren {

inline constexpr size_t kLogTextMax = 1024;

// Printable ASCII passes unchanged; a backslash becomes "\\", newline, CR and tab "\n", "\r",
// "\t", every other byte (controls, DEL, anything >= 0x80) "\xNN". A client can then neither
// start a forged line nor send escape sequences to a terminal. Text longer than `max_bytes`
// is cut there and ends with "...(N more bytes)".
std::string log_text(std::string_view s, size_t max_bytes = kLogTextMax);

}  // namespace warren
