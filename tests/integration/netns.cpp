#include "netns.hpp"

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

namespace warren::it {

std::string unique_name(const std::string& prefix) {
    static std::atomic<int> counter{0};
    return prefix + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

Netns::Netns() : name_(unique_name("wrn-")) {
    auto r = run_cmd({"ip", "netns", "add", name_});
    ok_ = r.ok();
    if (!ok_) error_ = "ip netns add " + name_ + ": " + r.describe();
    if (ok_) {
        // Loopback up, as a runtime leaves it; harmless for the tests.
        run_cmd({"ip", "-n", name_, "link", "set", "lo", "up"});
    }
}

Netns::~Netns() {
    if (ok_) run_cmd({"ip", "netns", "del", name_});
}

RunResult Netns::exec(std::vector<std::string> argv, std::chrono::milliseconds timeout) const {
    argv.insert(argv.begin(), {"ip", "netns", "exec", name_});
    return run_cmd(std::move(argv), timeout);
}

RunResult Netns::disable_dad() const {
    return exec({"sysctl", "-q", "-w", "net.ipv6.conf.default.accept_dad=0", "net.ipv6.conf.all.accept_dad=0"});
}

std::vector<Netns::Addr> Netns::addresses(const std::string& ifname, const std::string& family) const {
    std::vector<Addr> out;
    auto r = run_cmd({"ip", "-n", name_, "-j", "addr", "show", "dev", ifname});
    if (!r.ok()) return out;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (!j.is_array()) return out;
    for (auto& link : j) {
        if (!link.contains("addr_info")) continue;
        for (auto& a : link["addr_info"]) {
            if (a.value("family", "") != family) continue;
            if (a.value("scope", "") == "link") continue;
            out.push_back({a.value("local", ""), a.value("prefixlen", 0), a.value("tentative", false)});
        }
    }
    return out;
}

LinkGuard::~LinkGuard() {
    if (run_cmd({"ip", "link", "show", "dev", name_}).ok()) run_cmd({"ip", "link", "del", "dev", name_});
}

TempDir::TempDir() {
    char tmpl[] = "/tmp/warren-it-XXXXXX";
    if (::mkdtemp(tmpl)) path_ = tmpl;
}

TempDir::~TempDir() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

TmpfsMount::TmpfsMount(std::string dir, const std::string& size) : dir_(std::move(dir)) {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    std::string opts = "size=" + size + ",mode=0700";
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, opts.c_str()) == 0) {
        ok_ = true;
    } else {
        error_ = "mount -t tmpfs -o " + opts + " " + dir_ + ": " + std::strerror(errno);
    }
}

TmpfsMount::~TmpfsMount() {
    if (!ok_) return;
    if (::umount2(dir_.c_str(), 0) != 0) ::umount2(dir_.c_str(), MNT_DETACH);
}

}  // namespace warren::it
