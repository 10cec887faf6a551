#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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
