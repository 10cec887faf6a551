#include "liveness/stat_netns_prober.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

namespace warren::liveness {

Result<std::unique_ptr<StatNetnsProber>> StatNetnsProber::open() {
    struct stat st {};
    if (::stat("/proc/self/ns/net", &st) != 0)
        return fail_errno("cannot stat /proc/self/ns/net to find the namespace filesystem");
    return std::unique_ptr<StatNetnsProber>(new StatNetnsProber(st.st_dev));
}

Result<NetnsProbe> StatNetnsProber::probe(const std::string& path, uint64_t recorded) const {
    if (path.empty() || path.front() != '/')
        return fail(Code::invalid_config,
                    "netns path '" + path + "' is not absolute; a CNI netns is an absolute path");
    struct stat st {};
    if (::fstatat(AT_FDCWD, path.c_str(), &st, AT_NO_AUTOMOUNT) != 0) {
        if (errno == ENOENT || errno == ENOTDIR || errno == ESRCH)
            return NetnsProbe{NetnsState::gone, 0};
        return fail_errno("cannot stat netns path " + path);
    }
    if (st.st_dev != nsfs_dev_) return NetnsProbe{NetnsState::not_namespace, 0};
    const uint64_t inode = st.st_ino;
    if (recorded != 0 && inode != recorded) return NetnsProbe{NetnsState::replaced, inode};
    return NetnsProbe{NetnsState::present, inode};
}

}  // namespace warren::liveness
