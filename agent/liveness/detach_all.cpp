#include "liveness/detach_all.hpp"

#include <net/if.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "liveness/bpf_log.hpp"
#include "liveness/program.hpp"
#include "liveness/tc_hook.hpp"

namespace warren::liveness {

Result<DetachReport> detach_all(const std::filesystem::path& bpffs_dir) {
    route_libbpf_log();
    DetachReport report;
    std::optional<Error> first;
    auto note = [&](Error e) {
        if (!first) first = std::move(e);
    };

    std::unique_ptr<struct if_nameindex, decltype(&if_freenameindex)> links(::if_nameindex(),
                                                                            if_freenameindex);
    if (!links) note(Error::from_errno("listing network interfaces (if_nameindex)"));
    for (struct if_nameindex* l = links.get(); l && l->if_index != 0; ++l) {
        auto removed = detach_filter(static_cast<int>(l->if_index));
        if (!removed)
            note(removed.error());
        else if (*removed)
            report.links.emplace_back(l->if_name);
    }

    for (const char* name : kPinnedMaps) {
        auto path = bpffs_dir / name;
        if (::unlink(path.c_str()) == 0)
            report.unpinned.push_back(path.string());
        else if (errno != ENOENT)
            note(Error::from_errno("unpinning " + path.string()));
    }
    if (::rmdir(bpffs_dir.c_str()) == 0)
        report.removed_dir = true;
    else if (errno != ENOENT)
        note(Error::from_errno(
            "removing " + bpffs_dir.string() +
            (errno == ENOTEMPTY ? " (it holds objects warren did not pin: left alone)" : "")));

    if (first) return std::unexpected(std::move(*first));
    return report;
}

}  // namespace warren::liveness
