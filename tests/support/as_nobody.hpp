#pragma once
// A Unix-socket exchange made by a child process running as uid/gid 65534 ("nobody"), for tests
// of peer-credential checks: the socket's own mode is opened by the test, so what refuses is the
// server's SO_PEERCRED check. Needs root (to drop to 65534).
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>

namespace warren::testing {

// What the child reads after sending `frame` to `path` (it only makes system calls after
// fork). Empty optional when it could not drop privileges, connect, or report back.
inline std::optional<std::string> exchange_as_nobody(const std::string& path,
                                                     const std::string& frame) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), std::min(path.size(), sizeof addr.sun_path - 1));
    int p[2];
    if (::pipe(p) != 0) return std::nullopt;
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(p[0]);
        if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0)
            ::_exit(2);
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
            ::_exit(3);
        (void)::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL);
        static char buf[65536];
        for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
            if (::write(p[1], buf, static_cast<size_t>(n)) != n) ::_exit(4);
        ::_exit(0);
    }
    ::close(p[1]);
    std::string got;
    char buf[4096];
    for (ssize_t n; (n = ::read(p[0], buf, sizeof buf)) > 0;)
        got.append(buf, static_cast<size_t>(n));
    ::close(p[0]);
    int status = 0;
    if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        return std::nullopt;
    return got;
}

}  // namespace warren::testing
