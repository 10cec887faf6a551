#pragma once
// The admin socket's benchmark rows (warren-bench --admin-list-load, --list-time N): what
// `warrenctl list` costs the CNI path, and what it costs itself over many allocations. Each
// starts its own warrend (temp state, CNI and admin sockets) and prints markdown rows.
#include <string>

namespace warren::bench {

struct AdminRowOptions {
    std::string warrend, plugin, warrenctl;
    std::string dir;  // parent of the temp dir
    bool keep = false;
    int n = 500;              // --admin-list-load: timed ADDs per side (idle, loaded)
    int allocations = 10000;  // --list-time: live allocations `list` walks
};

// The exec'd plugin's ADD p50 with the agent idle and while `warrenctl list` runs back to back
// (over 1,000 live allocations), alternating in rounds; target ≤ 1.1x. Returns 0, or 3 on a miss
// when `strict`.
int run_admin_list_load(const AdminRowOptions& o, bool strict);
// `warrenctl list` (exec'd, table and --json) over o.allocations live allocations, median of 10
// runs; target ≤ 50 ms for the table.
int run_list_time(const AdminRowOptions& o, bool strict);

}  // namespace warren::bench
