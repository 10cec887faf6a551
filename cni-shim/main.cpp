// warren: the CNI IPAM plugin. Exec'd once per pod, so it does no more than parse, make one
// exchange with warrend, and print: no threads, no iostreams, statically linked.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "plugin.hpp"
#include "result.hpp"
#include "version.hpp"

namespace {

constexpr size_t kMaxStdin = 16 * 1024 * 1024;

bool read_stdin(std::string& out, std::string& why) {
    char buf[16384];
    for (;;) {
        ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EBADF) return true;  // no stdin at all: same as empty
            why = std::string("error reading from stdin: ") + std::strerror(errno);
            return false;
        }
        if (n == 0) return true;
        out.append(buf, static_cast<size_t>(n));
        if (out.size() > kMaxStdin) {
            why = "the network config on stdin is larger than 16 MiB";
            return false;
        }
    }
}

void write_stdout(const std::string& s) {
    const char* p = s.data();
    size_t left = s.size();
    while (left > 0) {
        ssize_t n = ::write(STDOUT_FILENO, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        p += n;
        left -= static_cast<size_t>(n);
    }
}

}  // namespace

int main() {
    using namespace warren;
    std::string input;
    // VERSION only peeks at stdin for the cniVersion; do not block on a terminal.
    const char* command = std::getenv("CNI_COMMAND");
    bool skip = command && std::strcmp(command, "VERSION") == 0 && ::isatty(STDIN_FILENO);
    if (std::string why; !skip && !read_stdin(input, why)) {
        write_stdout(cni::format_error(cni::kLatestVersion, Error{Code::io, why, {}, 0}));
        return 1;
    }
    cni::SystemHost host;
    auto outcome =
        cni::run([](const char* name) -> const char* { return std::getenv(name); }, input, host);
    write_stdout(outcome.out);
    return outcome.exit_code;
}
