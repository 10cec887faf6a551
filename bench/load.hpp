#pragma once
// Durable-allocation load on the agent's socket, no exec: one thread, one epoll set, `conns`
// connections, each doing ADD request -> response in a loop with a fresh container ID every
// time. Frames are built once per connection; only the ID's digits are rewritten in place, so
// the client costs one send and one recv per allocation.
#include <cstdint>
#include <string>
#include <vector>

namespace warren::bench {

struct LoadOptions {
    std::string socket;
    std::string network = "bench-load";
    std::string pool = "bulk";
    std::string id_prefix = "load";  // container IDs are <prefix>c<conn>n<counter>
    bool ping = false;               // send pings (no state change, no journal) instead of ADDs
    int conns = 64;
    double warmup_s = 0.3;   // answers in this window are not counted
    double seconds = 3.0;    // measured window
    uint64_t max_requests = 0;  // stop sending after this many requests (0: no limit)
};

struct LoadResult {
    double seconds = 0;            // measured window actually run
    uint64_t ok = 0, failed = 0;   // answers completed inside the window
    uint64_t total_ok = 0;         // every successful ADD, warm-up and tail included
    std::vector<uint32_t> latency_ns;  // one per ok answer inside the window
    std::string first_error;       // the first failed answer's payload
    double per_second() const { return seconds > 0 ? static_cast<double>(ok) / seconds : 0; }
};

// Throws std::runtime_error when the agent cannot be reached or drops a connection.
LoadResult run_load(const LoadOptions& opts);

}  // namespace warren::bench
