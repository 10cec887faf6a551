#include "liveness/netns_prober.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <cerrno>

namespace warren::liveness {

std::string_view to_string(NetnsState state) {
    switch (state) {
        case NetnsState::present:
            return "present";
        case NetnsState::gone:
            return "gone";
        case NetnsState::replaced:
            return "replaced";
        case NetnsState::not_namespace:
            return "not a namespace";
    }
    return "unknown";
}

Result<std::optional<NsPath>> open_ns_path(const std::string& path) {
    if (path.empty() || path.front() != '/')
        return fail(Code::invalid_config,
                    "netns path '" + path + "' is not absolute; a CNI netns is an absolute path");
    NsPath ns;
    ns.fd.reset(::open(path.c_str(), O_PATH | O_CLOEXEC));
    if (!ns.fd) {
        if (errno == ENOENT || errno == ENOTDIR || errno == ESRCH) return std::nullopt;
        return fail_errno("cannot open netns path " + path);
    }
    struct statfs fs {};
    struct stat st {};
    if (::fstatfs(ns.fd.get(), &fs) != 0) return fail_errno("cannot statfs netns path " + path);
    if (::fstat(ns.fd.get(), &st) != 0) return fail_errno("cannot stat netns path " + path);
    ns.nsfs = static_cast<unsigned long>(fs.f_type) == NSFS_MAGIC;
    ns.inode = st.st_ino;
    return ns;
}

Result<Fd> open_net_namespace(const NsPath& ns, const std::string& path) {
    if (!ns.nsfs) return fail(Code::invalid_config, path + " is not a namespace (not on nsfs)");
    // An O_PATH descriptor allows no ioctl and no setns; reopen the very same file through it.
    const std::string self = "/proc/self/fd/" + std::to_string(ns.fd.get());
    Fd fd{::open(self.c_str(), O_RDONLY | O_CLOEXEC)};
    if (!fd) return fail_errno("cannot open namespace " + path);
    const int type = ::ioctl(fd.get(), NS_GET_NSTYPE);
    if (type < 0) return fail_errno("cannot read the namespace type of " + path);
    if (type != CLONE_NEWNET)
        return fail(Code::invalid_config, path + " is a namespace, but not a network namespace");
    return fd;
}

Result<NetnsProbe> SystemNetnsProber::probe(const std::string& path, uint64_t recorded) const {
    auto ns = open_ns_path(path);
    if (!ns) return std::unexpected(std::move(ns.error()));
    if (!*ns) return NetnsProbe{NetnsState::gone, 0};
    if (!(*ns)->nsfs) return NetnsProbe{NetnsState::not_namespace, 0};
    const uint64_t inode = (*ns)->inode;
    if (recorded != 0 && inode != recorded) return NetnsProbe{NetnsState::replaced, inode};
    return NetnsProbe{NetnsState::present, inode};
}

Result<uint64_t> netns_inode(const std::string& path) {
    auto ns = open_ns_path(path);
    if (!ns) return std::unexpected(std::move(ns.error()));
    if (!*ns) return fail(Code::invalid_config, "netns path " + path + " does not exist");
    auto fd = open_net_namespace(**ns, path);
    if (!fd) return std::unexpected(std::move(fd.error()));
    return (*ns)->inode;
}

}  // namespace warren::liveness
