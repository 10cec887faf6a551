#pragma once
// Pure parsers for what the holder scan reads from /proc. No I/O.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace warren::liveness {

// The inode in a /proc/<pid>/ns/net link target, "net:[4026531840]"; nullopt for anything else.
std::optional<uint64_t> parse_net_link(std::string_view target);

struct NsfsMount {
    uint64_t inode = 0;       // of the network namespace mounted
    std::string mount_point;  // unescaped ("\040" -> ' ')
    bool operator==(const NsfsMount&) const = default;
};

// The network-namespace bind mounts in a /proc/<pid>/mountinfo text: lines whose filesystem
// type (after the " - " separator) is nsfs and whose root is "net:[<inode>]". Lines it cannot
// read are skipped.
std::vector<NsfsMount> parse_nsfs_mounts(std::string_view mountinfo);

}  // namespace warren::liveness
