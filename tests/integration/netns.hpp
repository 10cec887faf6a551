#pragma once
// RAII guards for what the privileged tests create on the machine: network namespaces, links,
// tmpfs mounts and temporary directories. Names are unique per process (they carry our pid),
// so concurrent test processes never touch each other's objects.
#include <atomic>
#include <string>
#include <vector>

#include "process.hpp"

namespace warren::it {

// "<prefix><pid>-<n>", n counting up per process.
std::string unique_name(const std::string& prefix);

// `ip netns add <name>`; deleted (with every interface in it) by the destructor.
class Netns {
public:
    Netns();  // name wrn-<pid>-<n>; check ok()
    ~Netns();
    Netns(const Netns&) = delete;
    Netns& operator=(const Netns&) = delete;

    bool ok() const { return ok_; }
    const std::string& error() const { return error_; }
    const std::string& name() const { return name_; }
    std::string path() const { return "/var/run/netns/" + name_; }

    // `ip netns exec <name> argv...`
    RunResult exec(std::vector<std::string> argv, std::chrono::milliseconds timeout = 10s) const;
    // Turns IPv6 duplicate address detection off, so addresses are usable at once.
    RunResult disable_dad() const;
    // Addresses (without prefix length) configured on `ifname` for `family` ("inet"/"inet6"),
    // from `ip -n <name> -j addr`, and whether any of them is still tentative.
    struct Addr {
        std::string local;
        int prefixlen = 0;
        bool tentative = false;
    };
    std::vector<Addr> addresses(const std::string& ifname, const std::string& family) const;

private:
    std::string name_;
    bool ok_ = false;
    std::string error_;
};

// Deletes the link `name` (if it exists) on destruction.
class LinkGuard {
public:
    explicit LinkGuard(std::string name) : name_(std::move(name)) {}
    ~LinkGuard();
    LinkGuard(const LinkGuard&) = delete;
    LinkGuard& operator=(const LinkGuard&) = delete;
    const std::string& name() const { return name_; }

private:
    std::string name_;
};

// mkdtemp under /tmp; removed recursively on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

private:
    std::string path_;
};

// A tmpfs of `size` mounted on `dir` (created if needed); unmounted on destruction.
class TmpfsMount {
public:
    TmpfsMount(std::string dir, const std::string& size);
    ~TmpfsMount();
    TmpfsMount(const TmpfsMount&) = delete;
    TmpfsMount& operator=(const TmpfsMount&) = delete;
    bool ok() const { return ok_; }
    const std::string& error() const { return error_; }

private:
    std::string dir_;
    bool ok_ = false;
    std::string error_;
};

}  // namespace warren::it
