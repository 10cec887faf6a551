#pragma once
// `warrend --detach-all`: undo everything the liveness datapath left on the machine.
#include <filesystem>
#include <string>
#include <vector>

#include "warren/error.hpp"

namespace warren::liveness {

struct DetachReport {
    std::vector<std::string> links;     // links warren's filter was removed from
    std::vector<std::string> unpinned;  // pinned objects removed
    bool removed_dir = false;
};

// Removes warren's tc filter (tc_hook.hpp) from every link in the caller's network namespace
// (and each clsact qdisc that leaves empty), unpins every object of kPinnedMaps under
// bpffs_dir and removes the directory. Continues past failures and returns the first one; run
// again after fixing it. Nothing to remove is success.
Result<DetachReport> detach_all(const std::filesystem::path& bpffs_dir);

}  // namespace warren::liveness
