#include "liveness/netns_cookie.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <system_error>
#include <thread>

#include "warren/fd.hpp"

namespace warren::liveness {

Result<uint64_t> socket_netns_cookie(int sock_fd) {
    uint64_t cookie = 0;
    socklen_t len = sizeof cookie;
    if (::getsockopt(sock_fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) != 0)
        return fail_errno(
            "cannot read the network namespace cookie (SO_NETNS_COOKIE needs "
            "Linux 5.14 or later)");
    if (len != sizeof cookie)
        return fail(Code::internal, "SO_NETNS_COOKIE answered " + std::to_string(len) + " bytes");
    return cookie;
}

Result<uint64_t> netns_cookie_of_fd(int netns_fd) {
    Result<uint64_t> out = fail(Code::internal, "namespace thread did not run");
    try {
        // The thread ends in the other namespace; nothing else ever runs on it.
        std::thread t([&] {
            if (::setns(netns_fd, CLONE_NEWNET) != 0) {
                out = fail_errno("cannot enter the network namespace (setns)");
                return;
            }
            Fd sock{::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
            if (!sock) {
                out = fail_errno("cannot make a socket in the network namespace");
                return;
            }
            out = socket_netns_cookie(sock.get());
        });
        t.join();
    } catch (const std::system_error& e) {
        return fail_errno("cannot start a thread to enter a network namespace", e.code().value());
    }
    return out;
}

Result<uint64_t> ThreadNetnsCookieReader::cookie_of(const std::string& path, uint64_t inode) {
    Fd ns{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (!ns) return fail_errno("cannot open " + path);
    struct stat st {};
    if (::fstat(ns.get(), &st) != 0) return fail_errno("cannot stat " + path);
    if (inode != 0 && st.st_ino != inode)
        return fail(Code::io, path + " is no longer namespace " + std::to_string(inode) + " (now " +
                                  std::to_string(st.st_ino) + ")");
    auto cookie = netns_cookie_of_fd(ns.get());
    if (!cookie)
        return std::unexpected(Error{cookie.error().code, path + ": " + cookie.error().message,
                                     cookie.error().details, cookie.error().sys_errno});
    return cookie;
}

}  // namespace warren::liveness
