#include "liveness/holder_scanner.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdlib>

#include "liveness/proc_parse.hpp"
#include "warren/fd.hpp"

namespace warren::liveness {
namespace {

struct DirClose {
    void operator()(DIR* d) const noexcept { ::closedir(d); }
};

Result<std::vector<pid_t>> numeric_entries(const std::string& dir) {
    std::unique_ptr<DIR, DirClose> d{::opendir(dir.c_str())};
    if (!d) return fail_errno("cannot list " + dir);
    std::vector<pid_t> out;
    errno = 0;
    while (dirent* e = ::readdir(d.get())) {
        pid_t pid = 0;
        const char* end = e->d_name + std::char_traits<char>::length(e->d_name);
        auto [p, ec] = std::from_chars(e->d_name, end, pid);
        if (ec == std::errc{} && p == end && pid > 0) out.push_back(pid);
        errno = 0;
    }
    if (errno != 0) return fail_errno("cannot list " + dir);
    return out;
}

Result<std::string> read_link(const std::string& path) {
    char buf[128];
    const ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    if (n < 0) return fail_errno("cannot read " + path);
    return std::string(buf, static_cast<size_t>(n));
}

bool exited(const Error& e) {
    return e.sys_errno == ENOENT || e.sys_errno == ESRCH;
}

// The ns/net link of `pid`; nullopt when the process is gone. A main thread that exited before
// the others reads ENOENT like a gone process, so then the other threads are asked.
// `direct`: read from <pid>/ns/net itself.
Result<std::optional<std::string>> net_link_of(ProcSource& source, pid_t pid, bool& direct) {
    direct = false;
    auto link = source.net_link(pid);
    if (link) {
        direct = true;
        return std::move(*link);
    }
    if (!exited(link.error())) return std::unexpected(std::move(link.error()));
    auto tids = source.threads(pid);
    if (!tids) {
        if (exited(tids.error())) return std::nullopt;
        return std::unexpected(std::move(tids.error()));
    }
    for (pid_t tid : *tids) {
        if (tid == pid) continue;
        auto t = source.thread_net_link(pid, tid);
        if (t) return std::move(*t);
        if (!exited(t.error())) return std::unexpected(std::move(t.error()));
    }
    return std::nullopt;
}

}  // namespace

Result<std::vector<pid_t>> SystemProcSource::pids() {
    return numeric_entries(root_);
}

Result<std::string> SystemProcSource::net_link(pid_t pid) {
    return read_link(root_ + "/" + std::to_string(pid) + "/ns/net");
}

Result<std::vector<pid_t>> SystemProcSource::threads(pid_t pid) {
    return numeric_entries(root_ + "/" + std::to_string(pid) + "/task");
}

Result<std::string> SystemProcSource::thread_net_link(pid_t pid, pid_t tid) {
    return read_link(root_ + "/" + std::to_string(pid) + "/task/" + std::to_string(tid) +
                     "/ns/net");
}

Result<uint64_t> SystemProcSource::net_dev_inode(pid_t pid) {
    const std::string path = root_ + "/" + std::to_string(pid) + "/net/dev";
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return fail_errno("cannot stat " + path);
    return static_cast<uint64_t>(st.st_ino);
}

std::optional<pid_t> SystemProcSource::proc_self() {
    if (root_ != "/proc") return std::nullopt;
    auto link = read_link(root_ + "/self");
    if (!link) return std::nullopt;
    pid_t pid = 0;
    auto [end, ec] = std::from_chars(link->data(), link->data() + link->size(), pid);
    if (ec != std::errc{} || end != link->data() + link->size() || pid <= 0) return std::nullopt;
    return pid;
}

std::optional<uint64_t> HolderScan::net_at(std::string_view path) const {
    if (!proc_paths) return std::nullopt;
    const auto pid = parse_proc_net_path(path, self_pid);
    if (pid) {
        auto it = net_by_pid.find(*pid);
        if (it != net_by_pid.end()) return it->second;
        return std::nullopt;
    }
    if (!mount_table) return std::nullopt;
    if (auto inode = mount_table->net_at(path)) return inode;
    // mountinfo spells mount points without symlinks ("/run/netns/x" for a CNI_NETNS of
    // "/var/run/netns/x"): resolve the directory, once per directory per scan, and look again.
    // The last component is never a symlink at a mount point (mount(2) follows it).
    const size_t slash = path.rfind('/');
    if (slash == 0 || slash == std::string_view::npos || slash + 1 == path.size())
        return std::nullopt;
    const std::string dir(path.substr(0, slash));
    auto it = canonical_dirs_.find(dir);
    if (it == canonical_dirs_.end()) {
        std::unique_ptr<char, decltype(&::free)> real(::realpath(dir.c_str(), nullptr), &::free);
        it = canonical_dirs_.emplace(dir, real ? std::string(real.get()) : std::string()).first;
    }
    if (it->second.empty() || it->second == dir || it->second == "/") return std::nullopt;
    return mount_table->net_at(it->second + std::string(path.substr(slash)));
}

Result<std::string> SystemProcSource::mountinfo() {
    const std::string path = root_ + "/self/mountinfo";
    Fd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (!fd) return fail_errno("cannot open " + path);
    std::string text;
    char buf[16384];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail_errno("cannot read " + path);
        }
        if (n == 0) return text;
        text.append(buf, static_cast<size_t>(n));
    }
}

Result<HolderScan> ProcHolderScanner::scan() {
    HolderScan out;
    std::vector<Unknown> unknown;
    if (auto self = source_->proc_self()) {
        out.proc_paths = true;
        out.self_pid = *self;
    }
    auto pids = source_->pids();
    if (!pids) return std::unexpected(std::move(pids.error()));
    if (out.proc_paths) out.net_by_pid.reserve(pids->size());
    for (pid_t pid : *pids) {
        ++out.processes;
        bool direct = false;
        auto link = net_link_of(*source_, pid, direct);
        if (!link) {
            unknown.push_back({pid, std::move(link.error())});
            continue;
        }
        if (!*link) {
            ++out.vanished;
            continue;
        }
        const auto inode = parse_net_link(**link);
        if (!inode) {
            unknown.push_back({pid, Error{Code::decode, "unexpected namespace link '" + **link +
                                                            "' of pid " + std::to_string(pid)}});
            continue;
        }
        Holder& h = out.held[*inode];
        if (h.pid == 0) h.pid = pid;
        if (direct && out.proc_paths) out.net_by_pid.emplace(pid, *inode);
    }
    resolve(out, unknown);

    auto mi = source_->mountinfo();
    if (!mi) {
        ++out.unreadable;
        if (!out.first_unreadable) out.first_unreadable = std::move(mi.error());
        return out;
    }
    if (out.proc_paths) out.mount_table = std::make_shared<const MountTable>(*mi);
    for (NsfsMount& m : parse_nsfs_mounts(*mi)) {
        ++out.mounts;
        Holder& h = out.held[m.inode];
        if (h.mount_point.empty()) h.mount_point = std::move(m.mount_point);
    }
    return out;
}

void ProcHolderScanner::resolve(HolderScan& out, std::vector<Unknown>& unknown) {
    if (unknown.empty()) return;
    // /proc/<pid>/net/dev inode -> namespace, from one readable process per namespace (checked
    // to be in it still after the stat, so a pid reused meanwhile cannot lie).
    std::unordered_map<uint64_t, uint64_t> by_dev;
    for (const auto& [inode, holder] : out.held) {
        if (holder.pid == 0) continue;
        auto dev = source_->net_dev_inode(holder.pid);
        auto again = source_->net_link(holder.pid);
        if (dev && again && parse_net_link(*again) == inode) by_dev.emplace(*dev, inode);
    }
    for (Unknown& u : unknown) {
        auto dev = source_->net_dev_inode(u.pid);
        if (!dev && exited(dev.error())) {
            ++out.vanished;
            continue;
        }
        if (dev && by_dev.contains(*dev)) {
            ++out.resolved;
            continue;
        }
        ++out.unreadable;
        out.unreadable_pids.push_back(u.pid);
        if (!out.first_unreadable) out.first_unreadable = std::move(u.why);
    }
}

}  // namespace warren::liveness
