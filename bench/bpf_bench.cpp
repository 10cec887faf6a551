// warren-bpf-bench: the liveness classifier's cost per packet, measured by the kernel with
// BPF_PROG_TEST_RUN (repeat N, average ns per run) on one frame of each kind, less the cost of
// an empty classifier (the test-run harness alone), on a link without an anti-spoofing entry
// and on one with an entry in mode drop that lists the source (the check on, as for every pod
// of a zone in "log" or "drop"), and a spoofed source dropped; two strangers alternating packet
// by packet (each run a single packet, so the per-CPU stranger batch never holds the source),
// less the empty classifier run the same way; and the agent's watch insert (what an ADD adds),
// timed from user space. Prints markdown rows in warren-bench's columns. Needs root (or CAP_BPF +
// CAP_NET_ADMIN) and bpffs at /sys/fs/bpf.
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "liveness/program.hpp"
#include "warren/fd.hpp"

namespace {

using Frame = std::vector<uint8_t>;

Frame header(uint16_t ethertype) {
    return {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, uint8_t(ethertype >> 8), uint8_t(ethertype)};
}

// 64-byte ICMP-sized IPv4 frame from 10.244.<c>.<d>.
Frame ipv4(uint8_t c, uint8_t d) {
    Frame f = header(0x0800);
    Frame ip = {0x45, 0, 0, 50, 0, 0, 0x40, 0, 64, 1, 0, 0, 10, 244, c, d, 10, 244, 0, 1};
    f.insert(f.end(), ip.begin(), ip.end());
    f.resize(64);
    return f;
}

Frame ipv6() {  // from fd00:10:244::5
    Frame f = header(0x86dd);
    Frame ip = {0x60, 0,    0, 0, 0, 24, 59, 64, 0xfd, 0, 0,    0x10, 0x02, 0x44,
                0,    0,    0, 0, 0, 0,  0,  0,  0,    5, 0xfd, 0,    0,    0x10,
                0x02, 0x44, 0, 0, 0, 0,  0,  0,  0,    0, 0,    1};
    f.insert(f.end(), ip.begin(), ip.end());
    f.resize(78);
    return f;
}

Frame arp() {  // request from 10.244.0.5
    Frame f = header(0x0806);
    Frame a = {0,  1,   8, 0, 6, 4, 0, 1, 0x02, 0, 0,  0,   0, 2,
               10, 244, 0, 5, 0, 0, 0, 0, 0,    0, 10, 244, 0, 1};
    f.insert(f.end(), a.begin(), a.end());
    f.resize(60);
    return f;
}

// Average ns per run over `repeat` runs, or -1 on error.
double cost(int prog_fd, const Frame& frame, uint32_t repeat, uint32_t ifindex) {
    __sk_buff ctx{};
    ctx.ingress_ifindex = ifindex;
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(),
                .data_size_in = uint32_t(frame.size()), .ctx_in = &ctx, .ctx_size_in = sizeof ctx,
                .repeat = static_cast<int>(repeat));
    if (bpf_prog_test_run_opts(prog_fd, &opts) != 0) return -1;
    return opts.duration;
}

// Mean ns of one run over the middle 80 % of `n` single runs (repeat 1) cycling through
// `frames`, or -1 on error. A single run's duration is coarse (the kernel's clock step), the
// mean over many is not.
double single_runs(int prog_fd, const std::vector<Frame>& frames, int n) {
    std::vector<uint32_t> d;
    d.reserve(size_t(n));
    for (int i = 0; i < n; ++i) {
        const Frame& f = frames[size_t(i) % frames.size()];
        __sk_buff ctx{};
        ctx.ingress_ifindex = 3;
        LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f.data(),
                    .data_size_in = uint32_t(f.size()), .ctx_in = &ctx, .ctx_size_in = sizeof ctx,
                    .repeat = 1);
        if (bpf_prog_test_run_opts(prog_fd, &opts) != 0) return -1;
        d.push_back(opts.duration);
    }
    std::sort(d.begin(), d.end());
    double sum = 0;
    for (size_t i = d.size() / 10; i < d.size() - d.size() / 10; ++i) sum += d[i];
    return sum / double(d.size() - 2 * (d.size() / 10));
}

warren::Fd empty_classifier() {
    bpf_insn insns[2] = {};
    insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K;
    insns[0].imm = -1;
    insns[1].code = BPF_JMP | BPF_EXIT;
    return warren::Fd(bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "empty", "GPL", insns, 2, nullptr));
}

void usage() {
    std::puts(
        "usage: warren-bpf-bench [--repeat N] [--watched N] [--links N] [--no-header]\n"
        "  --repeat N    BPF_PROG_TEST_RUN repeat per frame kind (default 1000000)\n"
        "  --watched N   addresses in watch during the run (default 10000)\n"
        "  --links N     links with an anti-spoofing entry during the run (default 1000)\n"
        "  --no-header   print the rows only");
}

}  // namespace

int main(int argc, char** argv) {
    uint32_t repeat = 1'000'000, watched = 10'000, links = 1'000;
    bool header_row = true;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if ((a == "--repeat" || a == "--watched" || a == "--links") && i + 1 < argc) {
            long v = std::strtol(argv[++i], nullptr, 10);
            if (v < 1 || v > 50'000'000) {
                std::fprintf(stderr, "warren-bpf-bench: %s wants a number from 1 to 50000000\n",
                             a.c_str());
                return 2;
            }
            (a == "--repeat" ? repeat : a == "--watched" ? watched : links) = uint32_t(v);
        } else if (a == "--no-header") {
            header_row = false;
        } else {
            usage();
            return a == "--help" || a == "-h" ? 0 : 2;
        }
    }
    if (watched > WARREN_WATCH_MAX_ENTRIES - 2) watched = WARREN_WATCH_MAX_ENTRIES - 2;
    if (links > WARREN_LINK_SOURCES_MAX_ENTRIES - 1) links = WARREN_LINK_SOURCES_MAX_ENTRIES - 1;

    std::string dir = "/sys/fs/bpf/warren-bench-" + std::to_string(::getpid());
    auto program = warren::liveness::Program::load({.bpffs_dir = dir});
    if (!program) {
        std::fprintf(stderr, "warren-bpf-bench: %s%s%s\n", program.error().describe().c_str(),
                     program.error().details.empty() ? "" : ": ", program.error().details.c_str());
        return 1;
    }
    struct Cleanup {
        std::string dir;
        ~Cleanup() {
            for (const char* n : warren::liveness::kPinnedMaps) ::unlink((dir + "/" + n).c_str());
            ::rmdir(dir.c_str());
        }
    } cleanup{dir};

    auto maps = program->maps();
    if (!maps)
        return std::fprintf(stderr, "warren-bpf-bench: %s\n", maps.error().describe().c_str()), 1;
    bool ok = maps->watch(*warren::IpAddress::parse("10.244.0.5")).has_value() &&
              maps->watch(*warren::IpAddress::parse("fd00:10:244::5")).has_value();
    const auto fill_start = std::chrono::steady_clock::now();
    for (uint32_t i = 0; ok && i < watched; ++i)
        ok = maps->watch(warren::IpAddress::v4(0x0a400000u + i)).has_value();
    const double insert_ns = double(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now() - fill_start)
                                        .count()) /
                             watched;
    if (!ok) return std::fprintf(stderr, "warren-bpf-bench: filling the watch map failed\n"), 1;

    // Frames arrive on kPlain (no anti-spoofing entry) or kChecked (mode drop, the benchmark's
    // sources listed, dual-stack); `links` other links have entries too.
    constexpr uint32_t kPlain = 3, kChecked = 4;
    using warren::liveness::LinkSources;
    using warren::liveness::SpoofMode;
    auto guard = program->guard_maps();
    if (!guard)
        return std::fprintf(stderr, "warren-bpf-bench: %s\n", guard.error().describe().c_str()), 1;
    ok = guard
             ->set_link({kChecked,
                         SpoofMode::drop,
                         {*warren::IpAddress::parse("10.244.0.5"),
                          *warren::IpAddress::parse("fd00:10:244::5")}})
             .has_value();
    for (uint32_t i = 0; ok && i + 1 < links; ++i)
        ok = guard
                 ->set_link(
                     {1000 + i,
                      SpoofMode::drop,
                      {warren::IpAddress::v4(0x0a400000u + i),
                       warren::IpAddress(warren::Family::v6, (warren::u128(0xfd00) << 112) + i)}})
                 .has_value();
    if (!ok) return std::fprintf(stderr, "warren-bpf-bench: filling link_sources failed\n"), 1;

    warren::Fd empty = empty_classifier();
    struct Row {
        const char* what;
        int fd;
        Frame frame;
        uint32_t ifindex = kPlain;
        int target = 50;  // ns
    };
    if (!empty)
        return std::fprintf(stderr, "warren-bpf-bench: loading an empty tc program: %s\n",
                            std::strerror(errno)),
               1;
    std::vector<Row> rows = {
        {"IPv4, watched source", program->prog_fd(), ipv4(0, 5)},
        {"IPv4, stranger (one source back to back: batched per CPU)", program->prog_fd(),
         ipv4(9, 9)},
        {"IPv6, watched source", program->prog_fd(), ipv6()},
        {"ARP request, watched sender", program->prog_fd(), arp()},
        {"IPv4, watched source, anti-spoofing on (link entry in mode drop lists it)",
         program->prog_fd(), ipv4(0, 5), kChecked, 60},
        {"IPv6, watched source, anti-spoofing on (link entry in mode drop lists it)",
         program->prog_fd(), ipv6(), kChecked, 60},
        {"ARP request, watched sender, anti-spoofing on (link entry in mode drop lists it)",
         program->prog_fd(), arp(), kChecked, 60},
        {"IPv4, spoofed source dropped (a stranger not in the link's entry, mode drop)",
         program->prog_fd(), ipv4(9, 9), kChecked, 0},
        {"empty classifier (harness only)", empty.get(), ipv4(0, 5)}};
    if (header_row) {
        std::printf(
            "| measurement | host-local | warren | warren / host-local | target | result |\n");
        std::printf("|---|---:|---:|---:|---|---|\n");
    }
    // The harness (test-run loop and program dispatch) is measured on its own and subtracted:
    // a tc hook pays its own dispatch whatever filter it runs.
    double harness = empty ? cost(empty.get(), rows.back().frame, repeat, kPlain) : 0;
    if (harness < 0) harness = 0;
    for (const auto& r : rows) {
        double ns = cost(r.fd, r.frame, repeat, r.ifindex);
        if (ns < 0) {
            std::fprintf(stderr, "warren-bpf-bench: BPF_PROG_TEST_RUN (%s): %s\n", r.what,
                         std::strerror(errno));
            return 1;
        }
        if (r.fd == empty.get()) {
            std::printf(
                "| BPF_PROG_TEST_RUN harness: an empty tc program, per run (x%u) | — | %.0f ns | — "
                "| — | — |\n",
                repeat, ns);
            continue;
        }
        double own = ns - harness;
        std::string target = r.target > 0 ? "≤ " + std::to_string(r.target) + " ns" : "—";
        std::printf(
            "| liveness classifier per packet: %s (%u watched, %u links checked; x%u, %.0f ns per "
            "run minus the harness) | — | %.0f ns | — | %s | %s |\n",
            r.what, watched + 2, links, repeat, ns, own, target.c_str(),
            r.target == 0     ? "—"
            : own <= r.target ? "PASS"
                              : "**MISS**");
    }
    // Single runs are cold (each follows a syscall), so a watched source is run the same way
    // too: the gap between the two is what the stranger path costs over the watched one.
    const int singles = 20'000;
    const double alt = single_runs(program->prog_fd(), {ipv4(9, 9), ipv4(9, 10)}, singles);
    const double alt_harness = single_runs(empty.get(), {ipv4(9, 9), ipv4(9, 10)}, singles);
    const double watched_single = single_runs(program->prog_fd(), {ipv4(0, 5)}, singles);
    if (alt < 0 || alt_harness < 0 || watched_single < 0) {
        std::fprintf(stderr, "warren-bpf-bench: BPF_PROG_TEST_RUN (single runs): %s\n",
                     std::strerror(errno));
        return 1;
    }
    std::printf(
        "| liveness classifier per packet: IPv4, two strangers alternating (no batching; mean of "
        "the middle 80%% of %d single runs, %.0f ns, minus the harness run the same way, %.0f "
        "ns; a watched source run the same way: %.0f ns) | — | %.0f ns | — | ≤ 50 ns | %s |\n",
        singles, alt, alt_harness, watched_single - alt_harness, alt - alt_harness,
        alt - alt_harness <= 50 ? "PASS" : "**MISS**");
    std::printf(
        "| watch insert per ADD (BPF_MAP_UPDATE_ELEM from user space, mean of %u) | — | %.2f µs | "
        "— "
        "| — | — |\n",
        watched, insert_ns / 1000);
    return 0;
}
