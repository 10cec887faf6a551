#include "liveness/proc_parse.hpp"

#include <charconv>

namespace warren::liveness {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' &&
            s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
            out +=
                static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::vector<std::string_view> fields(std::string_view line) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && line[i] == ' ') ++i;
        size_t j = i;
        while (j < line.size() && line[j] != ' ') ++j;
        if (j > i) out.push_back(line.substr(i, j - i));
        i = j;
    }
    return out;
}

}  // namespace

std::optional<uint64_t> parse_net_link(std::string_view target) {
    constexpr std::string_view prefix = "net:[";
    if (!target.starts_with(prefix) || !target.ends_with(']')) return std::nullopt;
    const std::string_view digits = target.substr(prefix.size(), target.size() - prefix.size() - 1);
    uint64_t inode = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), inode);
    if (ec != std::errc{} || end != digits.data() + digits.size() || digits.empty() || inode == 0)
        return std::nullopt;
    return inode;
}

std::optional<pid_t> parse_proc_net_path(std::string_view path, pid_t self) {
    constexpr std::string_view prefix = "/proc/", suffix = "/ns/net";
    if (!path.starts_with(prefix) || !path.ends_with(suffix) ||
        path.size() <= prefix.size() + suffix.size())
        return std::nullopt;
    const std::string_view name =
        path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
    if (name == "self") return self > 0 ? std::optional<pid_t>(self) : std::nullopt;
    if (name.front() == '0') return std::nullopt;  // procfs knows no "0123"
    pid_t pid = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (ec != std::errc{} || end != name.data() + name.size() || pid <= 0) return std::nullopt;
    return pid;
}

std::vector<NsfsMount> parse_nsfs_mounts(std::string_view mountinfo) {
    std::vector<NsfsMount> out;
    while (!mountinfo.empty()) {
        const size_t nl = mountinfo.find('\n');
        const std::string_view line = mountinfo.substr(0, nl);
        mountinfo = nl == std::string_view::npos ? std::string_view{} : mountinfo.substr(nl + 1);
        // id parent maj:min root mount-point options [optional...] - fstype source super-options
        const auto f = fields(line);
        if (f.size() < 10) continue;
        size_t sep = 6;
        while (sep < f.size() && f[sep] != "-") ++sep;
        if (sep + 1 >= f.size() || f[sep + 1] != "nsfs") continue;
        const auto inode = parse_net_link(f[3]);
        if (!inode) continue;
        out.push_back({*inode, unescape(f[4])});
    }
    return out;
}

MountTable::MountTable(std::string_view mountinfo) {
    bool bad = false;
    while (!mountinfo.empty()) {
        const size_t nl = mountinfo.find('\n');
        const std::string_view line = mountinfo.substr(0, nl);
        mountinfo = nl == std::string_view::npos ? std::string_view{} : mountinfo.substr(nl + 1);
        if (line.empty()) continue;
        const auto f = fields(line);
        int id = 0, parent = 0;
        size_t sep = 6;
        while (sep < f.size() && f[sep] != "-") ++sep;
        if (f.size() < 10 || sep + 1 >= f.size() ||
            std::from_chars(f[0].data(), f[0].data() + f[0].size(), id).ec != std::errc{} ||
            std::from_chars(f[1].data(), f[1].data() + f[1].size(), parent).ec != std::errc{} ||
            by_id_.contains(id)) {
            bad = true;  // a mount we cannot place may cover any path
            continue;
        }
        Mount m{parent, unescape(f[4]), 0};
        if (f[sep + 1] == "nsfs") m.net = parse_net_link(f[3]).value_or(0);
        by_id_.emplace(id, mounts_.size());
        ids_.push_back(id);
        mounts_.push_back(std::move(m));
    }
    if (bad) {
        mounts_.clear();
        ids_.clear();
        by_id_.clear();
        return;
    }
    children_.reserve(mounts_.size());
    for (size_t i = 0; i < mounts_.size(); ++i) {
        const Mount& m = mounts_[i];
        if (!by_id_.contains(m.parent)) {
            root_ = root_ == kNone ? i : kAmbiguous;
            continue;
        }
        auto [it, added] = children_.try_emplace(ChildKey{m.parent, m.mount_point}, i);
        if (!added) it->second = kAmbiguous;
    }
}

std::optional<uint64_t> MountTable::net_at(std::string_view path) const {
    if (root_ >= kAmbiguous || path.empty() || path.front() != '/' || path.size() < 2)
        return std::nullopt;
    size_t at = root_;
    if (mounts_[at].mount_point != "/") return std::nullopt;
    size_t done = 0;  // the path up to here lies in mount `at`
    for (size_t steps = 0;; ++steps) {
        if (steps > mounts_.size()) return std::nullopt;  // a cycle: not a tree the kernel made
        const int id = ids_[at];
        size_t next = kNone;
        // A mount on top of this one (at its very mount point) covers it.
        if (auto over = children_.find(ChildKey{id, mounts_[at].mount_point});
            over != children_.end()) {
            if (over->second == kAmbiguous) return std::nullopt;
            at = over->second;
            continue;
        }
        // The shortest prefix of `path`, beyond `done`, at which a child of `at` is mounted.
        for (size_t end = path.find('/', done + 1);; end = path.find('/', end + 1)) {
            const std::string_view prefix = path.substr(0, end);
            auto it = children_.find(ChildKey{id, prefix});
            if (it != children_.end()) {
                next = it->second;
                done = prefix.size();
                break;
            }
            if (end == std::string_view::npos) break;
        }
        if (next == kAmbiguous) return std::nullopt;
        if (next == kNone) break;
        at = next;
    }
    const Mount& m = mounts_[at];
    if (m.mount_point != path || m.net == 0) return std::nullopt;
    return m.net;
}

}  // namespace warren::liveness
