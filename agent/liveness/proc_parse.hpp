#pragma once
// Pure parsers for what the holder scan reads from /proc. No I/O.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace warren::liveness {

// The inode in a /proc/<pid>/ns/net link target, "net:[4026531840]"; nullopt for anything else.
std::optional<uint64_t> parse_net_link(std::string_view target);

// The pid in a "/proc/<pid>/ns/net" path ("/proc/self/ns/net": `self`); nullopt for any other
// spelling (a leading zero, a trailing slash, "//", a thread's task path, "self" when `self` is
// 0), which procfs may resolve differently: those are left to a stat.
std::optional<pid_t> parse_proc_net_path(std::string_view path, pid_t self);

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
