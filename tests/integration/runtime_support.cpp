#include "runtime_support.hpp"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace warren::it {

namespace fs = std::filesystem;

namespace {
std::string symlink_into(const std::string& target, const std::string& link) {
    std::error_code ec;
    fs::create_symlink(target, link, ec);
    return ec ? "symlink " + link + " -> " + target + ": " + ec.message() : "";
}
}  // namespace

std::string make_busybox_rootfs(const std::string& dir) {
    constexpr const char* kBusybox = "/bin/busybox";
    if (!fs::exists(kBusybox))
        return std::string(kBusybox) + " is missing: apt-get install busybox-static";
    std::error_code ec;
    for (auto sub : {"bin", "proc", "sys", "dev", "etc", "tmp", "run"})
        fs::create_directories(dir + "/" + sub, ec);
    fs::copy_file(kBusybox, dir + "/bin/busybox", fs::copy_options::overwrite_existing, ec);
    if (ec) return "copy " + std::string(kBusybox) + " into " + dir + ": " + ec.message();
    for (auto applet : {"sh", "sleep", "ip", "ping", "cat", "true"})
        if (auto e = symlink_into("busybox", dir + "/bin/" + applet); !e.empty()) return e;
    return {};
}

std::string make_cni_bin_dir(const std::string& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return "mkdir " + dir + ": " + ec.message();
    if (auto e = symlink_into(plugin_path(), dir + "/warren"); !e.empty()) return e;
    for (auto p : {"bridge", "loopback"})
        if (auto e = symlink_into(std::string("/usr/lib/cni/") + p, dir + "/" + p); !e.empty())
            return e;
    return {};
}

json warren_conflist(const std::string& network, const std::string& bridge,
                     const std::string& socket, const json& ranges) {
    json ipam{{"type", "warren"}, {"socket", socket}, {"ranges", ranges}};
    json plugin{{"type", "bridge"},
                {"bridge", bridge},
                {"isGateway", true},
                {"ipMasq", false},
                {"ipam", ipam}};
    return json{{"cniVersion", "1.0.0"}, {"name", network}, {"plugins", json::array({plugin})}};
}

json subnet_ranges(const std::vector<std::string>& subnets) {
    json out = json::array();
    for (auto& s : subnets) out.push_back(json::array({json{{"subnet", s}}}));
    return out;
}

std::vector<Netns::Addr> addresses_in(const std::string& netns_path, const std::string& ifname,
                                      const std::string& family) {
    std::vector<Netns::Addr> out;
    auto r = run_cmd({"nsenter", "--net=" + netns_path, "ip", "-j", "addr", "show", "dev", ifname});
    if (!r.ok()) return out;
    auto j = json::parse(r.out, nullptr, false);
    if (!j.is_array()) return out;
    for (auto& link : j) {
        if (!link.contains("addr_info")) continue;
        for (auto& a : link["addr_info"]) {
            if (a.value("family", "") != family || a.value("scope", "") == "link") continue;
            out.push_back(
                {a.value("local", ""), a.value("prefixlen", 0), a.value("tentative", false)});
        }
    }
    return out;
}

bool settle_dad(const std::string& netns_path, const std::string& ifname) {
    for (int i = 0; i < 100; ++i) {
        bool tentative = false;
        for (auto& a : addresses_in(netns_path, ifname, "inet6"))
            tentative = tentative || a.tentative;
        if (!tentative) return true;
        std::this_thread::sleep_for(50ms);
    }
    return false;
}

RunResult ping_from(const std::string& netns_path, const std::string& to, bool v6) {
    std::vector<std::string> argv{"nsenter", "--net=" + netns_path, "ping"};
    if (v6) argv.push_back("-6");
    argv.insert(argv.end(), {"-c1", "-W2", to});
    return run_cmd(argv, 10s);
}

std::vector<SetUsage> pool_usage_after_restart(Agent& agent, const std::string& pool) {
    const size_t from = agent.log().size();
    if (auto s = agent.stop(); !s) ADD_FAILURE() << "stopping warrend: " << s.message();
    if (auto s = agent.restart(); !s) ADD_FAILURE() << "restarting warrend: " << s.message();
    const std::regex line("pool '" + pool +
                          "' .*: (\\d+) usable, (\\d+) in use, (\\d+) cooling down");
    std::vector<SetUsage> out;
    std::istringstream in(agent.log().substr(from));
    for (std::string l; std::getline(in, l);) {
        std::smatch m;
        if (std::regex_search(l, m, line)) out.push_back({m[1], std::stol(m[2]), std::stol(m[3])});
    }
    return out;
}

SetUsage total(const std::vector<SetUsage>& sets) {
    SetUsage t;
    for (auto& s : sets) {
        t.in_use += s.in_use;
        t.cooling += s.cooling;
    }
    return t;
}

size_t count_lines(const std::string& log, const std::string& needle) {
    size_t n = 0;
    std::istringstream in(log);
    for (std::string l; std::getline(in, l);) n += l.find(needle) != std::string::npos;
    return n;
}

void unmount_under(const std::string& dir) {
    if (dir.empty()) return;
    std::vector<std::string> points;
    std::ifstream in("/proc/self/mountinfo");
    for (std::string l; std::getline(in, l);) {
        std::istringstream f(l);
        std::string id, parent, dev, root, point;
        f >> id >> parent >> dev >> root >> point;
        if (point == dir || point.starts_with(dir + "/")) points.push_back(point);
    }
    std::sort(points.begin(), points.end(), [](auto& a, auto& b) { return a.size() > b.size(); });
    for (auto& p : points) ::umount2(p.c_str(), MNT_DETACH);
}

void remove_cgroup(const std::string& name) {
    std::error_code ec;
    std::vector<fs::path> roots{fs::path("/sys/fs/cgroup") / name};
    for (auto& e : fs::directory_iterator("/sys/fs/cgroup", ec))
        if (e.is_directory(ec)) roots.push_back(e.path() / name);
    for (auto& root : roots) {
        if (!fs::is_directory(root, ec)) continue;
        std::vector<fs::path> dirs{root};
        for (auto& e : fs::recursive_directory_iterator(root, ec))
            if (e.is_directory(ec)) dirs.push_back(e.path());
        std::sort(dirs.begin(), dirs.end(),
                  [](auto& a, auto& b) { return a.string().size() > b.string().size(); });
        for (auto& d : dirs) ::rmdir(d.c_str());
    }
}

void remove_cni_cache(const std::string& network) {
    std::error_code ec;
    constexpr const char* kCache = "/var/lib/cni/results";
    if (!fs::is_directory(kCache, ec)) return;
    for (auto& e : fs::directory_iterator(kCache, ec))
        if (e.path().filename().string().starts_with(network + "-")) fs::remove(e.path(), ec);
}

ForwardingGuard::ForwardingGuard()
    : v4_(read_file("/proc/sys/net/ipv4/ip_forward")),
      v6_(read_file("/proc/sys/net/ipv6/conf/all/forwarding")) {}

ForwardingGuard::~ForwardingGuard() {
    if (!v4_.empty()) write_file("/proc/sys/net/ipv4/ip_forward", v4_);
    if (!v6_.empty()) write_file("/proc/sys/net/ipv6/conf/all/forwarding", v6_);
}

}  // namespace warren::it
