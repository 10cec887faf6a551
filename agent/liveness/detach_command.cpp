#include "liveness/detach_command.hpp"

#include <spdlog/spdlog.h>

namespace warren::liveness {

std::string describe(const DetachReport& report, const std::filesystem::path& bpffs_dir) {
    if (report.links.empty() && report.unpinned.empty() && !report.removed_dir)
        return "detach-all: nothing to remove (no warren filter on any link, nothing pinned "
               "under " +
               bpffs_dir.string() + ")";
    std::string line = "detach-all: removed warren's filter from " +
                       std::to_string(report.links.size()) + " link(s)";
    if (!report.links.empty()) {
        line += " (";
        for (size_t i = 0; i < report.links.size(); ++i) line += (i ? ", " : "") + report.links[i];
        line += ")";
    }
    line += ", unpinned " + std::to_string(report.unpinned.size()) + " map(s)";
    if (report.removed_dir) line += ", removed " + bpffs_dir.string();
    return line;
}

DetachOutcome run_detach_all(const std::filesystem::path& bpffs_dir) {
    auto report = detach_all(bpffs_dir);
    if (!report) {
        const Error& e = report.error();
        std::string line = "detach-all failed: " + e.describe() +
                           (e.details.empty() ? "" : " (" + e.details + ")") +
                           "; what could be removed was; fix this and run `warrend --detach-all` "
                           "again";
        spdlog::error("{}", line);
        return {false, std::move(line)};
    }
    for (const auto& link : report->links) spdlog::info("detach-all: filter removed from {}", link);
    for (const auto& pin : report->unpinned) spdlog::info("detach-all: unpinned {}", pin);
    std::string line = describe(*report, bpffs_dir);
    spdlog::info("{}", line);
    return {true, std::move(line)};
}

}  // namespace warren::liveness
