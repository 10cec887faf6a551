#pragma once
// Signal 2 of DESIGN §7: which network namespaces are still held, so a namespace whose path is
// gone but which a process still uses is a zombie, not a dead pod.
//
// One scan answers for every allocation (the GC pass checks all of them against one scan):
// - every process's /proc/<pid>/ns/net link ("net:[<inode>]");
// - every nsfs bind mount of a network namespace in the agent's mount namespace
//   (/proc/self/mountinfo), e.g. /run/netns/x bind-mounted again elsewhere.
// Threads: a process's namespace is its main thread's, and only that is read. A thread that
// setns()es elsewhere alone is a runtime or plugin doing a short netns operation, not a pod; and
// a namespace held only by a thread, an open descriptor or a socket still has its interfaces,
// so the host-link signal sees it alive. The one case where the main thread tells nothing is a
// process whose main thread exited before the others (its ns link then reads ENOENT): for that
// one the scan reads its threads' links instead.
// Processes exit mid-scan: ENOENT/ESRCH count as `vanished` (they hold nothing any more).
// A process whose ns link cannot be read (EACCES/EPERM: ptrace rules, e.g. a process with
// capabilities we lack, as a sandbox's or container runtime's supervisor can be) is looked at
// once more through /proc/<pid>/net/dev, which needs no ptrace access: that proc file's inode is
// distinct per network namespace, so when it equals the one of a process whose namespace was
// read, the process is in that (already held) namespace and counts as `resolved`. What is still
// unknown counts as `unreadable`: it may hold any namespace, so a scan with unreadable processes
// is not `complete()`, and "not held" from it is not proof.
// Scope: the agent must see the host's processes (host pid namespace; hostPID in a DaemonSet),
// and sees only the mounts of its own mount namespace (a DaemonSet mounts the runtime's netns
// directory with HostToContainer propagation).
//
// The scan also keeps each process's namespace by pid, so a netns path of the form
// /proc/<pid>/ns/net (how cri-dockerd names a pod's namespace) is answered from the link the
// scan read instead of one more stat of a procfs magic link (the costliest kind of path).
//
// HolderScanner is the seam (fake: tests/support/fake_holder_scanner.hpp); ProcHolderScanner
// reads /proc through ProcSource (a seam too, so errors mid-scan are unit-tested).
// Thread-safety: none; one scan at a time per instance.
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "liveness/proc_parse.hpp"
#include "warren/error.hpp"

namespace warren::liveness {

struct Holder {
    pid_t pid = 0;            // a process in the namespace (the first seen); 0 when only mounted
    std::string mount_point;  // an nsfs mount of it (the first seen); empty when none
};

struct HolderScan {
    std::unordered_map<uint64_t, Holder> held;  // netns inode -> one holder of each kind
    size_t processes = 0;                       // /proc entries looked at
    size_t vanished = 0;                        // exited during the scan
    size_t resolved = 0;    // ns link unreadable, namespace known through /proc/<pid>/net
    size_t unreadable = 0;  // namespace unknown (see above)
    std::vector<pid_t> unreadable_pids;     // which processes (mountinfo is not one)
    std::optional<Error> first_unreadable;  // why, for the log
    size_t mounts = 0;                      // nsfs network-namespace mounts seen

    // When the scan read the agent's own /proc (ProcSource::proc_self): the namespace of each
    // process whose /proc/<pid>/ns/net link it read (not through its threads), and the pid
    // "/proc/self" names. A netns path "/proc/<pid>/ns/net" of such a process needs no stat.
    bool proc_paths = false;
    pid_t self_pid = 0;
    std::unordered_map<pid_t, uint64_t> net_by_pid;
    // And the agent's mount tree, from the mountinfo the scan reads for nsfs mounts anyway: a
    // netns path that is a bind mount (/run/netns/<name>) needs no stat either.
    std::shared_ptr<const MountTable> mount_table;
    mutable std::unordered_map<std::string, std::string> canonical_dirs_;  // net_at's realpaths
    // The inode of the namespace at `path` as this scan read it, when `path` is one of those
    // processes' "/proc/<pid>/ns/net" (or "/proc/self/ns/net") or the mount point of a network
    // namespace in the mount table; nullopt otherwise (a stat must answer).
    std::optional<uint64_t> net_at(std::string_view path) const;

    bool is_held(uint64_t inode) const { return held.contains(inode); }
    const Holder* holder(uint64_t inode) const {
        auto it = held.find(inode);
        return it == held.end() ? nullptr : &it->second;
    }
    // Every process was read: "not held" is then proof.
    bool complete() const { return unreadable == 0; }
};

class HolderScanner {
  public:
    virtual ~HolderScanner() = default;
    // Fails only when /proc itself cannot be listed; a mountinfo that cannot be read makes the
    // scan incomplete (unreadable + 1).
    virtual Result<HolderScan> scan() = 0;
};

// What the scan reads from /proc; each read's Error carries the errno in sys_errno.
class ProcSource {
  public:
    virtual ~ProcSource() = default;
    virtual Result<std::vector<pid_t>> pids() = 0;              // numeric /proc entries
    virtual Result<std::string> net_link(pid_t pid) = 0;        // readlink <pid>/ns/net
    virtual Result<std::vector<pid_t>> threads(pid_t pid) = 0;  // <pid>/task entries
    virtual Result<std::string> thread_net_link(pid_t pid, pid_t tid) = 0;
    virtual Result<std::string> mountinfo() = 0;            // self/mountinfo
    virtual Result<uint64_t> net_dev_inode(pid_t pid) = 0;  // stat <pid>/net/dev
    // The pid "/proc/self" names, when this source is the agent's own /proc (so the path
    // "/proc/<pid>/ns/net" names the link net_link(pid) reads); nullopt otherwise.
    virtual std::optional<pid_t> proc_self() { return std::nullopt; }
};

// ProcSource over a proc mount (`root`, normally /proc).
class SystemProcSource final : public ProcSource {
  public:
    explicit SystemProcSource(std::string root = "/proc") : root_(std::move(root)) {}
    Result<std::vector<pid_t>> pids() override;
    Result<std::string> net_link(pid_t pid) override;
    Result<std::vector<pid_t>> threads(pid_t pid) override;
    Result<std::string> thread_net_link(pid_t pid, pid_t tid) override;
    Result<std::string> mountinfo() override;
    Result<uint64_t> net_dev_inode(pid_t pid) override;
    std::optional<pid_t> proc_self() override;

  private:
    std::string root_;
};

class ProcHolderScanner final : public HolderScanner {
  public:
    explicit ProcHolderScanner(
        std::unique_ptr<ProcSource> source = std::make_unique<SystemProcSource>())
        : source_(std::move(source)) {}
    Result<HolderScan> scan() override;

  private:
    struct Unknown {  // a process whose ns link could not be read
        pid_t pid;
        Error why;
    };
    // Settles each unknown process as resolved, vanished or unreadable.
    void resolve(HolderScan& out, std::vector<Unknown>& unknown);

    std::unique_ptr<ProcSource> source_;
};

}  // namespace warren::liveness
