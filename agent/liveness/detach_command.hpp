#pragma once
// `warrend --detach-all` for the agent's main: detach_all() with a log line per object removed
// and one summary line for the terminal.
#include <filesystem>
#include <string>

#include "liveness/detach_all.hpp"

namespace warren::liveness {

struct DetachOutcome {
    bool ok = false;
    // One line for stdout (ok) or stderr (not ok), e.g. "detach-all: removed warren's filter from
    // 2 link(s) (veth1, veth2), unpinned 2 map(s), removed /sys/fs/bpf/warren".
    std::string summary;
    int exit_code() const { return ok ? 0 : 1; }
};

// Must run in the namespace whose links carry the filters (the host's). Logs each link and pin
// removed at info and a failure at error; a failure's summary says what failed and to run it
// again after fixing that.
DetachOutcome run_detach_all(const std::filesystem::path& bpffs_dir);

// The summary line for a report (exposed for tests).
std::string describe(const DetachReport& report, const std::filesystem::path& bpffs_dir);

}  // namespace warren::liveness
