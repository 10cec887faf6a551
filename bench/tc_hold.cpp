// warren-tc-hold: attaches the liveness classifier to the named links' clsact ingress (maps
// pinned in a private bpffs dir), puts the given addresses in `watch`, gives each --protect link
// an anti-spoofing entry (mode --mode, default drop) listing its addresses, prints "attached"
// and holds until SIGINT or SIGTERM; then detaches and removes its pins. scripts/bench.sh runs
// it around iperf3 to measure the classifier's cost on real traffic. Needs root.
//
//   warren-tc-hold --link veth1 --link veth2 --watch 10.250.0.2 --watch 10.250.0.3
//   warren-tc-hold --link veth1 --link veth2 --protect veth1=10.250.0.2 --protect veth2=10.250.0.3
#include <net/if.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "liveness/program.hpp"
#include "liveness/tc_hook.hpp"

namespace {

int fail(const std::string& what) {
    std::fprintf(stderr, "warren-tc-hold: %s\n", what.c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> links;
    std::vector<warren::IpAddress> watch;
    std::vector<std::pair<std::string, std::vector<warren::IpAddress>>> protect;
    auto mode = warren::liveness::SpoofMode::drop;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--link" && i + 1 < argc) {
            links.emplace_back(argv[++i]);
        } else if (a == "--mode" && i + 1 < argc) {
            auto m = warren::liveness::parse_spoof_mode(argv[++i]);
            if (!m) return fail("--mode: " + m.error().message + "; " + m.error().details);
            mode = *m;
        } else if (a == "--protect" && i + 1 < argc) {
            std::string spec = argv[++i];
            auto eq = spec.find('=');
            if (eq == std::string::npos || eq == 0)
                return fail("--protect wants LINK=ADDR[,ADDR...], not '" + spec + "'");
            std::vector<warren::IpAddress> addrs;
            for (size_t at = eq + 1; at <= spec.size();) {
                size_t end = std::min(spec.find(',', at), spec.size());
                auto ip = warren::IpAddress::parse(spec.substr(at, end - at));
                if (!ip)
                    return fail("--protect " + spec + ": '" + spec.substr(at, end - at) +
                                "' is not an IP address");
                addrs.push_back(*ip);
                at = end + 1;
            }
            protect.emplace_back(spec.substr(0, eq), std::move(addrs));
        } else if (a == "--watch" && i + 1 < argc) {
            auto ip = warren::IpAddress::parse(argv[++i]);
            if (!ip) return fail(std::string("--watch wants an IP address, not '") + argv[i] + "'");
            watch.push_back(*ip);
        } else {
            std::fputs(
                "usage: warren-tc-hold --link IF [--link IF ...] [--watch ADDR ...]\n"
                "         [--protect IF=ADDR[,ADDR...] ...] [--mode off|log|drop]\n",
                a == "--help" || a == "-h" ? stdout : stderr);
            return a == "--help" || a == "-h" ? 0 : 2;
        }
    }
    if (links.empty()) return fail("name at least one --link");

    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigprocmask(SIG_BLOCK, &stop, nullptr);

    const std::string dir = "/sys/fs/bpf/warren-tc-hold-" + std::to_string(::getpid());
    struct Unpin {
        std::string dir;
        ~Unpin() {
            for (const char* n : warren::liveness::kPinnedMaps) ::unlink((dir + "/" + n).c_str());
            ::rmdir(dir.c_str());
        }
    } unpin{dir};
    auto program = warren::liveness::Program::load({.bpffs_dir = dir});
    if (!program) return fail(program.error().describe());
    auto maps = program->maps();
    if (!maps) return fail(maps.error().describe());
    for (const auto& a : watch)
        if (!maps->watch(a)) return fail("watch " + a.str() + " failed");

    auto guard = program->guard_maps();
    if (!guard) return fail(guard.error().describe());
    for (const auto& [link, addrs] : protect) {
        const unsigned ifindex = if_nametoindex(link.c_str());
        if (ifindex == 0) return fail("--protect: no link named '" + link + "'");
        if (auto ok = guard->set_link({ifindex, mode, addrs}); !ok)
            return fail(ok.error().describe());
    }

    std::vector<warren::liveness::TcAttachment> held;
    for (const auto& l : links) {
        const unsigned ifindex = if_nametoindex(l.c_str());
        if (ifindex == 0) return fail("no link named '" + l + "'");
        auto at = warren::liveness::attach(program->prog_fd(), int(ifindex));
        if (!at) return fail("attach to " + l + ": " + at.error().describe());
        if (!*at) return fail("link " + l + " vanished while attaching");
        held.push_back(std::move(**at));
    }
    std::printf("attached to %zu link(s), %zu address(es) watched, %zu link(s) protected (%s)\n",
                held.size(), watch.size(), protect.size(),
                std::string(warren::liveness::to_string(mode)).c_str());
    std::fflush(stdout);
    int sig = 0;
    sigwait(&stop, &sig);
    for (auto& h : held)
        if (auto s = h.detach(); !s) std::fprintf(stderr, "warren-tc-hold: %s\n", s.error().describe().c_str());
    return 0;
}
