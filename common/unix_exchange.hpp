#pragma once
// The blocking, poll-based pieces of one exchange over a Unix stream socket, shared by the
// plugin's client (client.cpp) and warrenctl's (admin_client.cpp). Private to common/.
// Every error is Code::try_again with an errno (ETIMEDOUT past the deadline, ECONNRESET when the
// peer closed early, else the failing call's) and names the socket, except a frame header that
// does not fit (decode_header's error).
#include <cstdint>
#include <string>
#include <string_view>

#include "warren/error.hpp"
#include "warren/fd.hpp"
#include "warren/protocol.hpp"

namespace warren::proto::detail {

// CLOCK_MONOTONIC in milliseconds: deadlines are now_ms() + timeout.
int64_t now_ms();

// A connected socket. A Unix connect blocks while the listener's accept queue is full (agent
// hung or swamped): it is bounded by timeout_ms too. Code::invalid_config for a path too long.
Result<Fd> connect_unix(const std::string& socket_path, int timeout_ms);

Status send_all(int fd, std::string_view data, const std::string& socket_path, int64_t deadline);

// Reads one frame of `kind` and returns its payload. The buffer grows with the bytes that
// arrive, never straight to the length the header claims.
Result<std::string> read_frame(int fd, Kind kind, uint32_t max_payload,
                               const std::string& socket_path, int64_t deadline);

}  // namespace warren::proto::detail
