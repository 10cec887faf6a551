#include "host_local.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "warren/fd.hpp"
#include "warren/ip.hpp"

namespace warren::ctl {

namespace {

// host-local writes a container ID and an interface name: a few hundred bytes at most.
constexpr size_t kMaxFile = 4096;
constexpr std::string_view kLastReserved = "last_reserved_ip.";

std::string_view trim(std::string_view s) {
    const char* ws = " \t\r\n";
    auto b = s.find_first_not_of(ws);
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

bool printable(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

// Reads a regular file of at most kMaxFile bytes, not following a symlink; the error's message
// is the reason for the refusal.
Result<std::string> read_small(int dir_fd, const char* name) {
    Fd fd{::openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)};
    if (!fd) {
        if (errno == ELOOP) return fail(Code::io, "a symbolic link, not a reservation file");
        return fail(Code::io, std::string("unreadable: ") + std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return fail(Code::io, std::string("unreadable: ") + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) return fail(Code::io, "not a regular file");
    std::string out(kMaxFile + 1, '\0');
    size_t have = 0;
    for (;;) {
        ssize_t n = ::read(fd.get(), out.data() + have, out.size() - have);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail(Code::io, std::string("unreadable: ") + std::strerror(errno));
        if (n == 0) break;
        have += static_cast<size_t>(n);
        if (have > kMaxFile)
            return fail(Code::io, "malformed: larger than " + std::to_string(kMaxFile) + " bytes");
    }
    out.resize(have);
    return out;
}

std::string network_of(const std::string& dir) {
    char resolved[PATH_MAX];
    std::string path = ::realpath(dir.c_str(), resolved) ? resolved : dir;
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

Result<Reservation> parse_reservation(std::string_view content) {
    std::string_view id = content, ifname;
    if (auto br = content.find("\r\n"); br != std::string_view::npos) {
        id = content.substr(0, br);
        ifname = trim(content.substr(br + 2));
        if (ifname.empty())
            return fail(Code::decode, "malformed: an empty interface name after the container ID");
        if (!printable(ifname) || ifname.size() > 15)
            return fail(Code::decode,
                        "malformed: the interface name is not a Linux interface name");
    }
    id = trim(id);
    if (id.empty()) return fail(Code::decode, "malformed: empty (no container ID)");
    if (!printable(id))
        return fail(Code::decode,
                    "malformed: the container ID has spaces, line breaks or control characters");
    return Reservation{std::string(id), std::string(ifname)};
}

Result<HostLocalDir> read_host_local_dir(const std::string& dir) {
    Fd dir_fd{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (!dir_fd) return fail_errno("cannot open the host-local data dir " + dir);
    int dup_fd = ::dup(dir_fd.get());
    if (dup_fd < 0) return fail_errno("cannot read the host-local data dir " + dir);
    DIR* d = ::fdopendir(dup_fd);
    if (!d) {
        ::close(dup_fd);
        return fail_errno("cannot read the host-local data dir " + dir);
    }
    HostLocalDir out;
    out.network = network_of(dir);
    std::vector<std::string> names;
    errno = 0;
    while (dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name != "." && name != "..") names.push_back(std::move(name));
    }
    int err = errno;
    ::closedir(d);
    if (err != 0) return fail_errno("cannot list the host-local data dir " + dir, err);
    std::sort(names.begin(), names.end());

    for (const std::string& name : names) {
        if (name == "lock") continue;
        if (name.starts_with(kLastReserved)) {
            std::string_view n = std::string_view(name).substr(kLastReserved.size());
            int set = 0;
            auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), set);
            auto content = read_small(dir_fd.get(), name.c_str());
            if (ec != std::errc{} || end != n.data() + n.size() || set < 0) {
                out.refused.push_back({"", name, "not a range set index after last_reserved_ip."});
            } else if (!content) {
                out.refused.push_back({"", name, content.error().message});
            } else if (auto ip = IpAddress::parse(trim(*content)); !ip) {
                out.refused.push_back({"", name, "malformed: does not hold an IP address"});
            } else {
                out.last_reserved.push_back({set, ip->str()});
            }
            continue;
        }
        auto ip = IpAddress::parse(name);
        if (!ip) {
            out.refused.push_back({"", name, "not named by an IP address"});
            continue;
        }
        auto content = read_small(dir_fd.get(), name.c_str());
        if (!content) {
            out.refused.push_back({ip->str(), name, content.error().message});
            continue;
        }
        auto res = parse_reservation(*content);
        if (!res) {
            out.refused.push_back({ip->str(), name, res.error().message});
            continue;
        }
        out.entries.push_back(
            {ip->str(), std::move(res->container_id), std::move(res->ifname), name});
    }
    std::sort(out.last_reserved.begin(), out.last_reserved.end(),
              [](auto& a, auto& b) { return a.set < b.set; });
    return out;
}

}  // namespace warren::ctl
