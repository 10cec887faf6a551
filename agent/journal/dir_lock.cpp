#include "journal/dir_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include "journal/fs_util.hpp"

namespace warren::journal {
namespace {

std::string read_owner_pid(int fd) {
    char buf[32] = {};
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0) return "unknown";
    long pid = 0;
    const auto [end, ec] = std::from_chars(buf, buf + n, pid);
    if (ec != std::errc() || end == buf || pid <= 0) return "unknown";
    return std::to_string(pid);
}

}  // namespace

Result<DirLock> DirLock::acquire(const std::string& dir) {
    auto dir_fd = detail::open_state_dir(dir);
    if (!dir_fd) return std::unexpected(dir_fd.error());
    const std::string path = dir + "/LOCK";
    auto opened = detail::open_in_dir(dir_fd->get(), "LOCK", O_RDWR | O_CREAT, "lock file", path);
    if (!opened) {
        const int err = opened.error().sys_errno;
        if (err == EACCES || err == EROFS || err == EPERM)
            return fail_errno("state directory " + dir + " is not writable", err);
        return std::unexpected(opened.error());
    }
    Fd fd = std::move(*opened);
    while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno == EINTR) continue;
        if (errno == EWOULDBLOCK)
            return fail(Code::unavailable, "state directory " + dir +
                                               " is in use by another warrend (pid " +
                                               read_owner_pid(fd.get()) + ")");
        return fail_errno("cannot lock " + path);
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd.get(), 0) != 0 ||
        ::pwrite(fd.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size()))
        return fail_errno("cannot write our pid to " + path);
    return DirLock(dir, std::move(fd));
}

}  // namespace warren::journal
