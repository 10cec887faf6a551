#pragma once
// warrend's configuration: built-in defaults, then the JSON file (--config), then flags.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/range.hpp"
#include "warren/error.hpp"

namespace warren::config {

struct PoolSpec {
    std::string name;
    std::vector<core::RangeSet> sets;
};

struct AgentConfig {
    std::string state_dir = "/var/lib/warren";
    std::string socket = "/run/warren/warren.sock";
    std::string socket_group;      // empty: root (and warrend's own uid) only
    std::string delete_queue_dir;  // empty: <socket dir>/delete-queue
    std::string log_level = "info";
    std::vector<PoolSpec> pools;
    int64_t cooldown_seconds = 30;
    int64_t gc_interval_seconds = 30;  // one GC pass (all probes, all allocations) per interval
    int64_t gc_grace_seconds = 60;     // a stale candidate is released no sooner than this
    uint32_t max_frame_bytes = 64 * 1024;
    int request_timeout_ms = 5000;      // a client must send its whole request within this
    uint64_t snapshot_after_bytes = 16ull << 20;  // compact the journal past this size
    int queue_scan_interval_ms = 2000;

    std::string effective_delete_queue_dir() const;
};

// Parses the JSON config file. Errors are Code::invalid_config naming the file and the key.
Result<AgentConfig> load_file(const std::string& path, AgentConfig base = {});

struct CommandLine {
    AgentConfig config;
    bool help = false;
    bool version = false;
};

// Applies `--config` first, then every other flag over it. Errors name the flag.
Result<CommandLine> parse_command_line(int argc, char** argv);
std::string usage();

// Cross-checks: pools do not overlap each other, values in range.
Status validate(const AgentConfig& c);

}  // namespace warren::config
