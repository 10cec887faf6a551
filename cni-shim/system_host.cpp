#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "plugin.hpp"
#include "warren/client.hpp"
#include "warren/delete_queue.hpp"
#include "warren/fd.hpp"

namespace warren::cni {

Result<proto::Response> SystemHost::call(const std::string& socket, const proto::Request& req,
                                         const proto::CallOptions& opts) {
    return proto::call(socket, req, opts);
}

Status SystemHost::enqueue_delete(const std::string& dir, const proto::Request& req) {
    return proto::enqueue_delete(dir, req);
}

uint64_t SystemHost::netns_inode(const std::string& path) {
    struct stat st {};
    if (path.empty() || ::stat(path.c_str(), &st) != 0) return 0;
    return st.st_ino;
}

// The plugin is single-threaded, so it enters the namespace itself (no thread to spawn) and
// comes straight back; a socket made in between carries that namespace's cookie.
Result<uint64_t> SystemHost::netns_cookie(const std::string& path) {
    if (path.empty()) return 0;
    Fd own{::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)};
    Fd target{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (!own || !target || ::setns(target.get(), CLONE_NEWNET) != 0) return 0;
    uint64_t cookie = 0;
    Fd sock{::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
    socklen_t len = sizeof cookie;
    if (!sock || ::getsockopt(sock.get(), SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) != 0 ||
        len != sizeof cookie)
        cookie = 0;
    if (::setns(own.get(), CLONE_NEWNET) != 0)
        return fail(Code::internal,
                    "cannot return to the plugin's own network namespace after reading the "
                    "cookie of " +
                        path + " (setns: " + std::strerror(errno) +
                        "); nothing was allocated, retry the ADD");
    return cookie;
}

Result<std::string> SystemHost::read_file(const std::string& path) {
    Fd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (!fd) return fail_errno("cannot open " + path);
    std::string data;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail_errno("cannot read " + path);
        }
        if (n == 0) return data;
        data.append(buf, static_cast<size_t>(n));
        if (data.size() > 1024 * 1024) return fail(Code::io, path + " is larger than 1 MiB");
    }
}

void SystemHost::log(std::string_view line) {
    std::string out(line);
    out += '\n';
    const char* p = out.data();
    size_t left = out.size();
    while (left > 0) {
        ssize_t n = ::write(STDERR_FILENO, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // nowhere to report a failing stderr
        p += n;
        left -= static_cast<size_t>(n);
    }
}

}  // namespace warren::cni
