#pragma once
// Pure parsers for what the holder scan reads from /proc. No I/O.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
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

// The mount tree of a mountinfo text, to tell which network namespace is mounted at a path
// without a stat of it: what path resolution would reach, walking from the root mount into the
// child mounted at the shortest prefix of the path, down to the last mount on the way. Only an
// exact answer is given; anything the tree cannot settle is left to a stat.
class MountTable {
  public:
    explicit MountTable(std::string_view mountinfo);
    // The inode of the network namespace mounted at `path` (an nsfs bind mount whose mount point
    // is exactly `path`, reached and not covered), or nullopt: not such a mount, or not sure
    // (two mounts at one point of one parent, several roots, an unreadable line). `path` must be
    // spelled as the kernel prints it: absolute, no "." or "..", no symlinks, no "//".
    std::optional<uint64_t> net_at(std::string_view path) const;

  private:
    struct Mount {
        int parent = 0;
        std::string mount_point;  // unescaped
        uint64_t net = 0;         // nsfs of a network namespace: its inode
    };
    std::vector<Mount> mounts_;
    std::vector<int> ids_;                   // of mounts_[i]
    std::unordered_map<int, size_t> by_id_;  // id -> index
    struct ChildKey {
        int parent;
        std::string_view mount_point;  // into mounts_ (never resized after construction)
        bool operator==(const ChildKey&) const = default;
    };
    struct ChildHash {
        size_t operator()(const ChildKey& k) const {
            return std::hash<std::string_view>{}(k.mount_point) * 31 +
                   static_cast<size_t>(k.parent);
        }
    };
    // (parent id, mount point) -> index; kAmbiguous when two mounts share both.
    std::unordered_map<ChildKey, size_t, ChildHash> children_;
    size_t root_ = kNone;
    static constexpr size_t kNone = static_cast<size_t>(-1), kAmbiguous = kNone - 1;

  public:
    MountTable(const MountTable&) = delete;  // children_ views into mounts_
    MountTable& operator=(const MountTable&) = delete;
};

}  // namespace warren::liveness
