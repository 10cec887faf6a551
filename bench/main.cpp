// warren-bench: host-local and warren side by side on this machine, one markdown table.
//
//   floors       exec of /bin/true; a 64-byte write + fdatasync on the state directory's fs;
//                each plugin's bare exec (VERSION)
//   sequential   ADD then DEL through the plugin binary, exec included (posix_spawn, stdin memfd)
//   burst        64 ADDs spawned at once, wall time until the last one exits (median of repeats)
//   load         pings and durable ADDs on warrend's socket, no exec, 1 and 64 connections
//
// The bench starts its own warrend (temp state dir and socket) and host-local gets a temp
// dataDir; everything is removed at the end, also on Ctrl-C. docs/benchmark.md explains the
// method and reads the numbers.
#include <getopt.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <latch>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "admin_rows.hpp"
#include "harness.hpp"
#include "load.hpp"
#include "spawn.hpp"
#include "stats.hpp"
#include "warren/client.hpp"

namespace fs = std::filesystem;
using namespace warren::bench;

namespace {

struct Options {
    int n = 500;              // sequential ADDs (and DELs) per peer
    int floor_runs = 500;     // /bin/true execs
    int fsync_runs = 200;     // write + fdatasync probes
    int burst = 64;           // concurrent ADDs per burst
    int burst_repeats = 5;
    int load_conns = 64;
    double load_seconds = 3.0;
    std::string dir;          // parent of the temp dir
    std::string warrend, plugin, host_local = "/usr/lib/cni/host-local";
    std::string only;         // "", "cni" or "load"
    bool keep = false;
    bool strict = false;
    bool interleave = false;
    std::string ebpf;         // liveness.ebpf for warrend ("": off)
    int gc_pass = 0;          // > 0: only the GC pass timing over this many allocations
    int ebpf_ab = 0;          // > 0: only the ADD p50 of liveness.ebpf off vs on, this many rounds
    bool admin_list_load = false;  // only ADD p50 idle vs while `warrenctl list` loops
    int list_time = 0;        // > 0: only `warrenctl list` over this many allocations
    std::string warrenctl;
};

void usage() {
    std::fputs(R"(usage: warren-bench [options]

Runs host-local and warren side by side on this machine and prints one markdown table.

  -n N                 sequential ADDs and DELs per peer                 [500]
  --burst N            concurrent ADDs in one burst                      [64]
  --burst-repeats N    bursts per peer; the median is reported           [5]
  --load-seconds S     measured seconds of each socket load run          [3]
  --load-conns N       connections of the parallel load run              [64]
  --dir DIR            where the temp state lives (its filesystem is what fdatasync hits)
                                                                         [$TMPDIR or /var/tmp]
  --warrend PATH       agent binary                     [next to warren-bench]
  --plugin PATH        warren CNI plugin binary         [next to warren-bench]
  --host-local PATH    host-local binary                [/usr/lib/cni/host-local]
  --interleave         alternate the peers call by call in the sequential runs
                       (default: each peer runs its N calls as one block)
  --only cni|load      run only the exec'd-plugin part or only the socket load
  --ebpf auto|on|off   warrend's liveness.ebpf (pins in a private dir under /sys/fs/bpf,
                       removed at the end; with eBPF the agent attaches to every pod-facing
                       veth on the machine)                              [off]
  --gc-pass N          only this: N live allocations, then warrend's GC pass time over them
                       (its debug log), one row                          [off]
  --ebpf-ab R          only this: two warrends, liveness.ebpf off and on, their plugins exec'd
                       alternately call by call, -n ADDs per round, R rounds; one row with the
                       ADD p50 ratio on/off (median and range of the rounds) [off]
  --admin-list-load    only this: the exec'd plugin's ADD p50 idle and while `warrenctl list`
                       runs in a loop (-n ADDs each), one row           [off]
  --list-time N        only this: `warrenctl list` over N allocations, table and --json,
                       median of 10 runs                                 [off]
  --warrenctl PATH     warrenctl binary                 [next to warren-bench]
  --quick              smaller runs (smoke test): -n 100, 3 bursts, 1 s loads
  --strict             exit 3 when a target is missed
  --keep               keep the temp dir (agent log, journal) for inspection
  -h, --help           this text
)",
               stdout);
}

std::string self_dir() {
    std::error_code ec;
    auto p = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string(".") : p.parent_path().string();
}

long rss_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string l; std::getline(in, l);)
        if (l.rfind("VmRSS:", 0) == 0) return std::stol(l.substr(6));
    return -1;
}

// ---------------------------------------------------------------- measurements

Summary exec_floor(int runs) {
    Slot slot("/bin/true", "");
    Env env({"PATH=/usr/sbin:/usr/bin:/sbin:/bin"});
    for (int i = 0; i < 20; ++i) slot.run(env);
    std::vector<uint64_t> t;
    t.reserve(static_cast<size_t>(runs));
    for (int i = 0; i < runs; ++i) {
        check_stop();
        t.push_back(slot.run(env).elapsed_ns);
    }
    return summarize_ns(std::move(t));
}

Summary fsync_floor(const std::string& dir, int runs) {
    std::string path = dir + "/fdatasync-probe";
    warren::Fd fd{::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)};
    if (!fd) throw std::runtime_error("cannot create " + path);
    char buf[64];
    std::memset(buf, 'x', sizeof buf);
    std::vector<uint64_t> t;
    for (int i = 0; i < runs + 10; ++i) {
        check_stop();
        uint64_t t0 = now_ns();
        if (::write(fd.get(), buf, sizeof buf) != static_cast<ssize_t>(sizeof buf) || ::fdatasync(fd.get()) != 0)
            throw std::runtime_error("write+fdatasync on " + path + ": " + std::strerror(errno));
        if (i >= 10) t.push_back(now_ns() - t0);
    }
    ::unlink(path.c_str());
    return summarize_ns(std::move(t));
}

struct SeqResult {
    Summary add, del;
};

// ADD 0..n-1 then DEL 0..n-1. Each peer runs its block alone (the default), or the peers
// alternate call by call (`interleave`), which spreads drifting machine noise over both but
// lets each peer's calls run with the other's caches and an agent idle for ~10 ms in between.
// `add_ns`, when given, gets each peer's ADD times in call order.
std::vector<SeqResult> sequential(std::vector<Peer>& peers, int n, bool interleave,
                                  std::vector<std::vector<uint64_t>>* add_ns = nullptr) {
    std::vector<std::unique_ptr<Slot>> slots;
    for (auto& p : peers) slots.push_back(std::make_unique<Slot>(p.program, p.conf));
    for (size_t k = 0; k < peers.size(); ++k)  // warm the page cache and the agent
        for (int i = 0; i < 20; ++i)
            for (const char* cmd : {"ADD", "DEL"}) {
                std::string cid = "warm" + std::to_string(i);
                auto r = slots[k]->run(cni_env(peers[k], cmd, cid, i));
                expect_ok(peers[k], *slots[k], r, cmd, cid);
            }

    std::vector<SeqResult> out(peers.size());
    for (const char* cmd : {"ADD", "DEL"}) {
        std::vector<std::vector<Env>> envs(peers.size());
        for (size_t k = 0; k < peers.size(); ++k)
            for (int i = 0; i < n; ++i) envs[k].push_back(cni_env(peers[k], cmd, "seq" + std::to_string(i), i));
        std::vector<std::vector<uint64_t>> t(peers.size());
        auto one = [&](size_t k, int i) {
            auto r = slots[k]->run(envs[k][static_cast<size_t>(i)]);
            expect_ok(peers[k], *slots[k], r, cmd, "seq" + std::to_string(i));
            t[k].push_back(r.elapsed_ns);
        };
        if (interleave) {
            for (int i = 0; i < n; ++i) {
                check_stop();
                for (size_t j = 0; j < peers.size(); ++j) one((static_cast<size_t>(i) + j) % peers.size(), i);
            }
        } else {
            for (size_t k = 0; k < peers.size(); ++k)
                for (int i = 0; i < n; ++i) {
                    check_stop();
                    one(k, i);
                }
        }
        if (add_ns && std::strcmp(cmd, "ADD") == 0) *add_ns = t;
        for (size_t k = 0; k < peers.size(); ++k)
            (std::strcmp(cmd, "ADD") == 0 ? out[k].add : out[k].del) = summarize_ns(std::move(t[k]));
    }
    return out;
}

// `width` children spawned at once, one thread each (a spawning thread blocks until its child
// has exec'd, so threads make the spawns truly concurrent). Returns the wall time in ns from the
// release of the threads until the last child has been reaped.
uint64_t burst_once(const Peer& p, std::vector<std::unique_ptr<Slot>>& slots, const char* cmd, int rep) {
    const size_t width = slots.size();
    std::vector<Env> envs;
    for (size_t i = 0; i < width; ++i) {
        int pod = 10000 + rep * 1000 + static_cast<int>(i);
        envs.push_back(cni_env(p, cmd, "burst" + std::to_string(pod), pod));
    }
    std::vector<uint64_t> end(width, 0);
    std::vector<RunResult> res(width);
    std::vector<std::string> errors(width);
    std::latch ready(static_cast<std::ptrdiff_t>(width)), go(1);
    uint64_t t0 = 0;
    {
        std::vector<std::jthread> threads;
        for (size_t i = 0; i < width; ++i)
            threads.emplace_back([&, i] {
                ready.count_down();
                go.wait();
                try {
                    pid_t pid = slots[i]->start(envs[i]);
                    res[i].exit_code = Slot::reap(pid);
                } catch (const std::exception& e) {
                    errors[i] = e.what();
                }
                end[i] = now_ns();
            });
        ready.wait();
        t0 = now_ns();
        go.count_down();
    }
    for (size_t i = 0; i < width; ++i) {
        if (!errors[i].empty()) throw std::runtime_error(p.name + " burst: " + errors[i]);
        expect_ok(p, *slots[i], res[i], cmd, "burst" + std::to_string(10000 + rep * 1000 + static_cast<int>(i)));
    }
    return *std::max_element(end.begin(), end.end()) - t0;
}

struct BurstResult {
    double add_ms = 0, del_ms = 0;
};

std::vector<BurstResult> bursts(std::vector<Peer>& peers, int width, int repeats) {
    std::vector<std::vector<std::unique_ptr<Slot>>> slots(peers.size());
    for (size_t k = 0; k < peers.size(); ++k)
        for (int i = 0; i < width; ++i) slots[k].push_back(std::make_unique<Slot>(peers[k].program, peers[k].conf));
    std::vector<std::vector<uint64_t>> add(peers.size()), del(peers.size());
    for (int rep = 0; rep < repeats; ++rep)
        for (size_t k = 0; k < peers.size(); ++k) {
            check_stop();
            add[k].push_back(burst_once(peers[k], slots[k], "ADD", rep));
            del[k].push_back(burst_once(peers[k], slots[k], "DEL", rep));
        }
    std::vector<BurstResult> out(peers.size());
    for (size_t k = 0; k < peers.size(); ++k) {
        out[k].add_ms = percentile(add[k], 50) / 1e6;
        out[k].del_ms = percentile(del[k], 50) / 1e6;
    }
    return out;
}

struct LoadSummary {
    double per_second = 0;
    Summary lat;
    uint64_t failed = 0, total_ok = 0;
    std::string first_error;
    double agent_cpu_us_per_req = 0;   // warrend user+sys CPU (all threads) per answered request
    double client_cpu_us_per_req = 0;  // this client's CPU per answered request
};

double self_thread_cpu_s() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

LoadSummary load(const std::string& socket, pid_t agent, int conns, double seconds, const std::string& prefix,
                 bool ping = false) {
    LoadOptions o;
    o.socket = socket;
    o.conns = conns;
    o.seconds = seconds;
    o.id_prefix = prefix;
    o.ping = ping;
    const double a0 = process_cpu_s(agent), c0 = self_thread_cpu_s();
    auto r = run_load(o);
    const double a1 = process_cpu_s(agent), c1 = self_thread_cpu_s();
    LoadSummary s;
    s.per_second = r.per_second();
    s.lat = summarize_ns(std::move(r.latency_ns));
    s.failed = r.failed;
    s.total_ok = r.total_ok;
    s.first_error = r.first_error;
    // The CPU deltas span warm-up and tail too, so divide by every answer, not just the window's.
    if (r.total_ok) {
        s.agent_cpu_us_per_req = (a1 - a0) * 1e6 / static_cast<double>(r.total_ok);
        s.client_cpu_us_per_req = (c1 - c0) * 1e6 / static_cast<double>(r.total_ok);
    }
    return s;
}

// Busy CPU seconds of the whole machine, from /proc/stat.
double machine_busy_s() {
    std::ifstream in("/proc/stat");
    std::string cpu;
    unsigned long long v[8] = {};
    in >> cpu >> v[0] >> v[1] >> v[2] >> v[3] >> v[4] >> v[5] >> v[6] >> v[7];
    // user nice system idle iowait irq softirq steal: busy is all but idle and iowait
    return static_cast<double>(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// CPU seconds used by this process and its reaped children (plugins, /bin/true, warrend).
double own_cpu_s() {
    double t = 0;
    for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
        rusage ru{};
        ::getrusage(who, &ru);
        t += static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
             static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    }
    return t;
}

std::string read_loadavg() {
    std::ifstream in("/proc/loadavg");
    std::string a;
    in >> a;
    return a;
}

size_t count_lines_with(const std::string& path, const std::string& needle) {
    std::ifstream in(path);
    size_t n = 0;
    for (std::string l; std::getline(in, l);)
        if (l.find(needle) != std::string::npos) ++n;
    return n;
}

// ---------------------------------------------------------------- the report

std::string ms(double v) {
    char b[32];
    std::snprintf(b, sizeof b, v < 1 ? "%.3f ms" : (v < 100 ? "%.2f ms" : "%.1f ms"), v);
    return b;
}
std::string ratio(double a, double b) {
    if (b <= 0) return "—";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2fx", a / b);
    return buf;
}
std::string grouped(double v) {
    auto n = static_cast<long long>(v + 0.5);
    const std::string digits = std::to_string(n);
    std::string s;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) s += ',';
        s += digits[i];
    }
    return s;
}
std::string verdict(bool pass) { return pass ? "PASS" : "**MISS**"; }

std::string fs_name(const std::string& dir) {
    struct statfs sf {};
    if (::statfs(dir.c_str(), &sf) != 0) return "?";
    switch (static_cast<unsigned long>(sf.f_type)) {
        case EXT4_SUPER_MAGIC: return "ext4";
        case XFS_SUPER_MAGIC: return "xfs";
        case BTRFS_SUPER_MAGIC: return "btrfs";
        case TMPFS_MAGIC: return "tmpfs (no real sync!)";
        case OVERLAYFS_SUPER_MAGIC: return "overlayfs";
        default: {
            char b[32];
            std::snprintf(b, sizeof b, "fs 0x%lx", static_cast<unsigned long>(sf.f_type));
            return b;
        }
    }
}

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    for (std::string l; std::getline(in, l);)
        if (l.rfind("model name", 0) == 0) return l.substr(l.find(':') + 2);
    return "?";
}

void on_signal(int) { g_stop = 1; }

struct CniResults {
    Summary exec, sync, version[2];
    std::vector<SeqResult> seq;
    std::vector<BurstResult> burst;
    long rss_kib = -1;
};

struct LoadResults {
    LoadSummary ping1, pingn, l1, ln;
    long rss_kib = -1;
    uint64_t live = 0;
};

Summary version_exec(const Peer& p, int runs) {
    Slot slot(p.program, R"({"cniVersion":"1.0.0"})");
    Env env({"CNI_COMMAND=VERSION", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"});
    std::vector<uint64_t> t;
    for (int i = 0; i < runs + 10; ++i) {
        check_stop();
        auto r = slot.run(env);
        if (r.exit_code != 0) throw std::runtime_error(p.name + " VERSION failed: " + slot.stdout_text());
        if (i >= 10) t.push_back(r.elapsed_ns);
    }
    return summarize_ns(std::move(t));
}

// Ping and durable ADDs over the socket, 1 and o.load_conns connections.
LoadResults measure_load(const Options& o, const std::string& sock, pid_t agent) {
    LoadResults ld;
    char secs[32];
    std::snprintf(secs, sizeof secs, "%g s", o.load_seconds);
    progress("socket load: ping (no journal), 1 and " + std::to_string(o.load_conns) + " connections, 1 s each");
    ld.ping1 = load(sock, agent, 1, 1.0, "p1", true);
    ld.pingn = load(sock, agent, o.load_conns, 1.0, "pn", true);
    progress(std::string("socket load: durable ADDs, 1 connection, ") + secs);
    ld.l1 = load(sock, agent, 1, o.load_seconds, "l1");
    progress("socket load: durable ADDs, " + std::to_string(o.load_conns) + " connections, " + secs);
    ld.ln = load(sock, agent, o.load_conns, o.load_seconds, "ln");
    ld.rss_kib = rss_kib(agent);
    ld.live = ld.l1.total_ok + ld.ln.total_ok;
    return ld;
}

// What a run observed besides the measurements, for the report.
struct RunFacts {
    bool do_cni = false, do_load = false;
    std::string loadavg, state;
    double wall = 0, foreign = 0;  // seconds: the run's, and other processes' CPU time meanwhile
    unsigned ncpu = 1;
    size_t snapshots = 0, agent_warnings = 0;
    int agent_exit = 0;
    std::string agent_tail;
};

// The Markdown table; returns whether every target was met.
bool print_table(const Options& o, const RunFacts& f, const CniResults& cni, const LoadResults& ld) {
    const bool do_cni = f.do_cni, do_load = f.do_load;
    utsname u{};
    ::uname(&u);
    std::printf("\n### warren-bench: host-local vs warren\n\n");
    std::printf("Machine: %s, %u CPUs, Linux %s; state on %s (%s). Load average at start %s; other processes "
                "used %.0f%% of the CPUs during the %.0f s run.\n",
                cpu_model().c_str(), f.ncpu, u.release, fs_name(f.state).c_str(), o.dir.c_str(), f.loadavg.c_str(),
                100.0 * f.foreign / (f.wall * f.ncpu), f.wall);
    std::printf("Plugins exec'd with posix_spawn, config on stdin; N=%d sequential ADDs then DELs per peer (%s); "
                "warrend journals with fdatasync (group commit).\n\n",
                o.n, o.interleave ? "peers interleaved call by call" : "one peer at a time");
    std::printf("| measurement | host-local | warren | warren / host-local | target | result |\n");
    std::printf("|---|---:|---:|---:|---|---|\n");
    auto row = [](const std::string& m, const std::string& a, const std::string& b, const std::string& r,
                  const std::string& t = "", const std::string& v = "") {
        std::printf("| %s | %s | %s | %s | %s | %s |\n", m.c_str(), a.c_str(), b.c_str(), r.c_str(), t.c_str(),
                    v.c_str());
    };
    bool all = true;
    auto judge = [&](bool pass) {
        all = all && pass;
        return verdict(pass);
    };
    if (do_cni) {
        const auto &exec = cni.exec, &sync = cni.sync;
        const auto &hl = cni.seq[0], &w = cni.seq[1];
        row("floor: exec of /bin/true, p50", ms(exec.p50_ms), ms(exec.p50_ms), "—");
        row("floor: exec of /bin/true, p99", ms(exec.p99_ms), ms(exec.p99_ms), "—");
        row("floor: 64 B write + fdatasync, p50", ms(sync.p50_ms), ms(sync.p50_ms), "—");
        row("plugin exec alone (VERSION, no IPAM), p50", ms(cni.version[0].p50_ms), ms(cni.version[1].p50_ms),
            ratio(cni.version[1].p50_ms, cni.version[0].p50_ms));
        row("ADD p50 (exec included)", ms(hl.add.p50_ms), ms(w.add.p50_ms), ratio(w.add.p50_ms, hl.add.p50_ms),
            "≤ 0.25x host-local", judge(w.add.p50_ms <= 0.25 * hl.add.p50_ms));
        row("ADD p50 / exec floor", ratio(hl.add.p50_ms, exec.p50_ms), ratio(w.add.p50_ms, exec.p50_ms), "—",
            "≤ 1.5x /bin/true", judge(w.add.p50_ms <= 1.5 * exec.p50_ms));
        row("ADD p99", ms(hl.add.p99_ms), ms(w.add.p99_ms), ratio(w.add.p99_ms, hl.add.p99_ms));
        row("DEL p50", ms(hl.del.p50_ms), ms(w.del.p50_ms), ratio(w.del.p50_ms, hl.del.p50_ms));
        row("DEL p99", ms(hl.del.p99_ms), ms(w.del.p99_ms), ratio(w.del.p99_ms, hl.del.p99_ms));
        row(std::to_string(o.burst) + "-way ADD burst, wall (median of " + std::to_string(o.burst_repeats) + ")",
            ms(cni.burst[0].add_ms), ms(cni.burst[1].add_ms), ratio(cni.burst[1].add_ms, cni.burst[0].add_ms),
            "≤ 0.35x host-local", judge(cni.burst[1].add_ms <= 0.35 * cni.burst[0].add_ms));
        row(std::to_string(o.burst) + "-way DEL burst, wall (median)", ms(cni.burst[0].del_ms),
            ms(cni.burst[1].del_ms), ratio(cni.burst[1].del_ms, cni.burst[0].del_ms));
    }
    if (do_load) {
        const auto n = std::to_string(o.load_conns);
        row("durable ADDs/s, 1 client (socket, no exec)", "n/a", grouped(ld.l1.per_second) + "/s", "—");
        row("  latency p50 / p99, 1 client", "n/a", ms(ld.l1.lat.p50_ms) + " / " + ms(ld.l1.lat.p99_ms), "—");
        row("durable ADDs/s, " + n + " clients", "n/a", grouped(ld.ln.per_second) + "/s", "—", "≥ 50,000/s",
            judge(ld.ln.per_second >= 50'000 && ld.ln.failed == 0));
        row("  latency p50 / p99, " + n + " clients", "n/a", ms(ld.ln.lat.p50_ms) + " / " + ms(ld.ln.lat.p99_ms), "—");
        char cpu[96];
        std::snprintf(cpu, sizeof cpu, "%.1f µs / %.1f µs", ld.ln.agent_cpu_us_per_req, ld.ln.client_cpu_us_per_req);
        row("  CPU per ADD, " + n + " clients: warrend / bench client", "n/a", cpu, "—");
        row("ping round trip p50, 1 client (no journal)", "n/a", ms(ld.ping1.lat.p50_ms), "—");
        row("pings/s, " + n + " clients (no journal)", "n/a", grouped(ld.pingn.per_second) + "/s", "—");
    }
    if (do_cni) row("warrend RSS after the CNI runs", "n/a", std::to_string(cni.rss_kib / 1024) + " MiB", "—");
    if (do_load)
        row("warrend RSS after the load (" + grouped(static_cast<double>(ld.live)) + " live allocations)", "n/a",
            std::to_string(ld.rss_kib / 1024) + " MiB", "—");
    std::printf("\n");
    return all;
}

// Notes and warnings under the table.
void print_notes(const RunFacts& f, const LoadResults& ld, bool all) {
    if (f.do_load && f.snapshots)
        std::printf("note: warrend wrote %zu snapshot(s) during the load (journal compaction).\n", f.snapshots);
    if (f.agent_warnings) std::printf("note: warrend logged %zu warning/error line(s).\n", f.agent_warnings);
    if (ld.l1.failed + ld.ln.failed > 0)
        std::printf("warning: %llu load request(s) failed; first answer: %s\n",
                    static_cast<unsigned long long>(ld.l1.failed + ld.ln.failed),
                    (ld.l1.first_error.empty() ? ld.ln.first_error : ld.l1.first_error).c_str());
    if (f.agent_exit != 0)
        std::printf("warning: warrend exited with %d on SIGTERM; log tail:\n%s", f.agent_exit, f.agent_tail.c_str());
    if (f.foreign / (f.wall * f.ncpu) > 0.10)
        std::printf("warning: the machine was busy with other work; numbers are noisy, run again when it is idle.\n");
    std::printf("%s\n", all ? "All targets met." : "Some targets were missed (see MISS above).");
}

// --gc-pass N: a warrend (liveness.ebpf per --ebpf, default on; gc every second; debug log) gets
// N durable ADDs on its socket (netns: its own, so every allocation is alive), then the GC
// passes it logs over all N are read back ("gc pass: <n> allocations, ... in <ms> ms (...;
// <cpu> ms CPU; <k> host-link lookups)"). Its first passes also learn host links (up to 256
// lookups in the pods' namespaces per pass, until every allocation was looked at once): those
// are reported apart; the row's number is the median of kGcSteadyPasses steady passes.
constexpr size_t kGcSteadyPasses = 11;

std::string fmt_ms(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.1f", v);
    return b;
}

int run_gc_pass(const Options& o) {
    TempDir tmp(o.dir, o.keep);
    const std::string state = tmp.path() + "/state", sock = tmp.path() + "/warren.sock";
    const std::string log = tmp.path() + "/warrend.log";
    fs::create_directories(state);
    const std::string ebpf = o.ebpf.empty() ? "on" : o.ebpf;
    const std::string bpffs = "/sys/fs/bpf/warren-bench-" + std::to_string(::getpid());
    struct Unpin {
        std::string dir;
        ~Unpin() {
            std::error_code ec;
            fs::remove_all(dir, ec);
        }
    } unpin{bpffs};
    write_file(tmp.path() + "/warrend.json",
               R"({"stateDir":")" + state + R"(","socket":")" + sock + R"(","logLevel":"debug",)" +
                   R"("liveness":{"ebpf":")" + ebpf + R"(","bpffsDir":")" + bpffs + R"("},)" +
                   R"("gc":{"intervalSeconds":1},"pools":{"bulk":{"cidrs":["10.128.0.0/9"]}}})");
    Agent agent(o.warrend, tmp.path() + "/warrend.json", log, sock);
    LoadOptions lo;
    lo.socket = sock;
    lo.conns = 8;
    lo.warmup_s = 0;
    lo.seconds = 120;
    lo.max_requests = static_cast<uint64_t>(o.gc_pass);
    const LoadResult lr = run_load(lo);
    if (lr.total_ok != lo.max_requests)
        throw std::runtime_error("only " + std::to_string(lr.total_ok) + " of " + std::to_string(lo.max_requests) +
                                 " ADDs succeeded: " + lr.first_error);
    struct GcPass {
        double ms = 0, cpu_ms = 0;
        long lookups = -1;  // -1: not logged
    };
    const std::string want = "gc pass: " + std::to_string(o.gc_pass) + " allocations";
    // Every pass learns at most 256 host links; then kGcSteadyPasses more, at one per second.
    const int deadline_s = o.gc_pass / 256 + kGcSteadyPasses + 30;
    std::vector<GcPass> learning, steady;
    for (int waited = 0; steady.size() < kGcSteadyPasses && waited < deadline_s * 10; ++waited) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        learning.clear();
        steady.clear();
        std::ifstream in(log);
        for (std::string line; std::getline(in, line);) {
            const auto at = line.find(want);
            const auto in_ms = line.find(" in ", at == std::string::npos ? 0 : at);
            if (at == std::string::npos || in_ms == std::string::npos) continue;
            GcPass p;
            p.ms = std::stod(line.substr(in_ms + 4));
            if (auto c = line.find(" ms CPU"); c != std::string::npos)
                p.cpu_ms = std::stod(line.substr(line.rfind(' ', c - 1) + 1));
            if (auto k = line.find(" host-link lookups"); k != std::string::npos)
                p.lookups = std::stol(line.substr(line.rfind(' ', k - 1) + 1));
            (p.lookups > 0 ? learning : steady).push_back(p);
        }
    }
    const int exit = agent.stop();
    if (steady.empty() && learning.empty())
        throw std::runtime_error("warrend logged no '" + want + "' line (exit " + std::to_string(exit) + "):\n" +
                                 agent.log_tail());
    auto median = [](std::vector<GcPass> v, double GcPass::*field) {
        std::sort(v.begin(), v.end(), [&](auto& a, auto& b) { return a.*field < b.*field; });
        return v.empty() ? 0.0 : v[v.size() / 2].*field;
    };
    const bool settled = !steady.empty();
    const auto& passes = settled ? steady : learning;
    const double med = median(passes, &GcPass::ms);
    double max = 0;
    for (auto& p : passes) max = std::max(max, p.ms);
    std::string learned;
    if (!learning.empty())
        learned = "; the first " + std::to_string(learning.size()) +
                  ", learning host links: " + fmt_ms(median(learning, &GcPass::ms)) + " ms, " +
                  fmt_ms(median(learning, &GcPass::cpu_ms)) + " ms CPU";
    std::printf(
        "| GC pass over %d live allocations (liveness.ebpf %s; warrend's own timing, median of %zu "
        "%s "
        "passes, max %.1f ms, %s ms CPU%s) | — | %.1f ms | — | ≤ 20 ms | %s |\n",
        o.gc_pass, ebpf.c_str(), passes.size(), settled ? "steady" : "(never steady)", max,
        fmt_ms(median(passes, &GcPass::cpu_ms)).c_str(), learned.c_str(), med,
        med <= 20 ? "PASS" : "**MISS**");
    return 0;
}

// --ebpf-ab R: what the watch insert adds to an ADD. Two warrends on the same machine, one
// with liveness.ebpf off and one on (which inserts each address into `watch` before it
// answers), and their plugins exec'd alternately call by call, so drift on a shared host hits
// both alike; R rounds of -n ADDs (then DELs). One markdown row: the medians of the rounds' ADD
// p50s, and the ratio on/off as the median of the rounds with their range.
int run_ebpf_ab(const Options& o) {
    if (::access(o.warrend.c_str(), X_OK) != 0 || ::access(o.plugin.c_str(), X_OK) != 0)
        throw std::runtime_error(o.warrend + " or " + o.plugin + " is not an executable file");
    TempDir tmp(o.dir, o.keep);
    const std::string bpffs = "/sys/fs/bpf/warren-bench-" + std::to_string(::getpid());
    struct Unpin {
        std::string dir;
        ~Unpin() {
            std::error_code ec;
            fs::remove_all(dir, ec);
        }
    } unpin{bpffs};
    std::vector<Peer> peers;
    std::vector<std::unique_ptr<Agent>> agents;
    for (const std::string mode : {"off", "on"}) {
        const std::string dir = tmp.path() + "/" + mode, sock = dir + "/warren.sock";
        fs::create_directories(dir + "/state");
        write_file(dir + "/warrend.json",
                   R"({"stateDir":")" + dir + R"(/state","socket":")" + sock + R"(","logLevel":"info",)" +
                       R"("liveness":{"ebpf":")" + mode + R"(","bpffsDir":")" + bpffs + R"("},)" +
                       R"("pools":{"default":{"cidrs":["10.64.0.0/16"]}}})");
        progress("starting warrend with liveness.ebpf " + mode);
        agents.push_back(std::make_unique<Agent>(o.warrend, dir + "/warrend.json", dir + "/warrend.log", sock));
        peers.push_back({"ebpf " + mode, o.plugin, fs::path(o.plugin).parent_path().string(),
                         R"({"cniVersion":"1.0.0","name":"bench","type":"bridge","ipam":{"type":"warren","socket":")" +
                             sock + R"("}})"});
    }
    std::vector<double> off, on, ratio, diff_us;  // diff_us: on - off of the ADDs made next to each other
    const double cpu0[2] = {process_cpu_s(agents[0]->pid()), process_cpu_s(agents[1]->pid())};
    for (int r = 0; r < o.ebpf_ab; ++r) {
        std::vector<std::vector<uint64_t>> t;
        auto seq = sequential(peers, o.n, true, &t);
        for (size_t i = 0; i < t[0].size() && i < t[1].size(); ++i)
            diff_us.push_back((double(t[1][i]) - double(t[0][i])) / 1e3);
        off.push_back(seq[0].add.p50_ms);
        on.push_back(seq[1].add.p50_ms);
        ratio.push_back(seq[1].add.p50_ms / seq[0].add.p50_ms);
        progress("round " + std::to_string(r + 1) + "/" + std::to_string(o.ebpf_ab) + ": ADD p50 ebpf off " +
                 std::to_string(off.back()) + " ms, on " + std::to_string(on.back()) + " ms");
    }
    // Every call of the rounds, warm-ups included: 20 ADD+DEL, then n ADDs and n DELs.
    const double calls = double(o.ebpf_ab) * (40.0 + 2.0 * o.n);
    const double cpu_us[2] = {(process_cpu_s(agents[0]->pid()) - cpu0[0]) / calls * 1e6,
                              (process_cpu_s(agents[1]->pid()) - cpu0[1]) / calls * 1e6};
    for (auto& a : agents) a->stop();
    const auto [lo, hi] = std::minmax_element(ratio.begin(), ratio.end());
    const double lo_v = *lo, hi_v = *hi;
    const double r = percentile(ratio, 50), m_off = percentile(off, 50), m_on = percentile(on, 50);
    const double d = percentile(diff_us, 50);
    std::printf("| ADD p50 (exec included), liveness.ebpf off → on (the watch insert before the answer; two agents, "
                "calls alternated, %d round(s) × %d ADDs; ratio = median of the rounds, range %.3f–%.3f; median "
                "difference of the ADDs made next to each other: %+.0f µs; agent CPU per call, all threads: "
                "%.0f → %.0f µs) "
                "| — | %.2f → %.2f ms | %.3fx | ≤ 1.05x | %s |\n",
                o.ebpf_ab, o.n, lo_v, hi_v, d, cpu_us[0], cpu_us[1], m_off, m_on, r, r <= 1.05 ? "PASS" : "**MISS**");
    return 0;
}

int run_admin_rows(const Options& o) {
    AdminRowOptions a{o.warrend, o.plugin, o.warrenctl, o.dir, o.keep, o.n, o.list_time};
    return o.admin_list_load ? run_admin_list_load(a, o.strict) : run_list_time(a, o.strict);
}

int run(const Options& o) {
    if (o.gc_pass > 0) return run_gc_pass(o);
    if (o.ebpf_ab > 0) return run_ebpf_ab(o);
    if (o.admin_list_load || o.list_time > 0) return run_admin_rows(o);
    const bool do_cni = o.only.empty() || o.only == "cni", do_load = o.only.empty() || o.only == "load";
    for (auto* p : {&o.warrend, &o.plugin, &o.host_local})
        if (::access(p->c_str(), X_OK) != 0) throw std::runtime_error(*p + " is not an executable file");

    const std::string loadavg = read_loadavg();
    const double busy0 = machine_busy_s(), own0 = own_cpu_s(), wall0 = static_cast<double>(now_ns()) / 1e9;

    TempDir tmp(o.dir, o.keep);
    const std::string state = tmp.path() + "/state", sock = tmp.path() + "/run/warren.sock";
    const std::string agent_log = tmp.path() + "/warrend.log";
    fs::create_directories(state);
    fs::create_directories(tmp.path() + "/run");

    std::vector<Peer> peers(2);
    peers[0] = {"host-local", o.host_local, fs::path(o.host_local).parent_path().string(),
                R"({"cniVersion":"1.0.0","name":"bench","type":"bridge","ipam":{"type":"host-local","dataDir":")" +
                    tmp.path() + R"(/host-local","ranges":[[{"subnet":"10.64.0.0/16"}]]}})"};
    peers[1] = {"warren", o.plugin, fs::path(o.plugin).parent_path().string(),
                R"({"cniVersion":"1.0.0","name":"bench","type":"bridge","ipam":{"type":"warren","socket":")" + sock +
                    R"("}})"};

    CniResults cni;
    if (do_cni) {
        progress("floors: exec of /bin/true x" + std::to_string(o.floor_runs) + ", write+fdatasync x" +
                 std::to_string(o.fsync_runs) + " in " + tmp.path());
        cni.exec = exec_floor(o.floor_runs);
        cni.sync = fsync_floor(state, o.fsync_runs);
        for (size_t k = 0; k < 2; ++k) cni.version[k] = version_exec(peers[k], o.floor_runs / 2);
    }

    // Two agent pools: "default" for the exec'd plugin, "bulk" (a /9) for the socket load.
    const std::string bpffs = "/sys/fs/bpf/warren-bench-" + std::to_string(::getpid());
    struct Unpin {
        std::string dir;
        ~Unpin() {
            std::error_code ec;
            if (!dir.empty()) fs::remove_all(dir, ec);
        }
    } unpin{bpffs};
    // Off unless asked: an agent with eBPF attaches to every pod-facing veth on the machine.
    const std::string liveness = R"("liveness":{"ebpf":")" + (o.ebpf.empty() ? std::string("off") : o.ebpf) +
                                 R"(","bpffsDir":")" + bpffs + R"("},)";
    write_file(tmp.path() + "/warrend.json",
               R"({"stateDir":")" + state + R"(","socket":")" + sock + R"(","logLevel":"info",)" + liveness +
               R"("pools":{"default":{"cidrs":["10.64.0.0/16"]},"bulk":{"cidrs":["10.128.0.0/9"]}}})");
    progress("starting warrend (" + o.warrend + ")");
    Agent agent(o.warrend, tmp.path() + "/warrend.json", agent_log, sock);

    if (do_cni) {
        progress("sequential: " + std::to_string(o.n) + " ADDs then " + std::to_string(o.n) + " DELs per peer");
        cni.seq = sequential(peers, o.n, o.interleave);
        progress("bursts: " + std::to_string(o.burst) + " concurrent ADDs (then DELs) x" +
                 std::to_string(o.burst_repeats) + " per peer");
        cni.burst = bursts(peers, o.burst, o.burst_repeats);
        cni.rss_kib = rss_kib(agent.pid());
    }

    LoadResults ld;
    if (do_load) ld = measure_load(o, sock, agent.pid());

    RunFacts f{do_cni, do_load, loadavg, state};
    f.agent_exit = agent.stop();
    f.agent_tail = agent.log_tail(6);
    f.snapshots = count_lines_with(agent_log, "writing snapshot");
    f.agent_warnings = count_lines_with(agent_log, " warning ") + count_lines_with(agent_log, " error ") +
                       count_lines_with(agent_log, " critical ");
    f.wall = static_cast<double>(now_ns()) / 1e9 - wall0;
    f.foreign = std::max(0.0, (machine_busy_s() - busy0) - (own_cpu_s() - own0));
    f.ncpu = std::thread::hardware_concurrency();

    const bool all = print_table(o, f, cni, ld);
    print_notes(f, ld, all);
    return (o.strict && !all) ? 3 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    const char* tmpdir = std::getenv("TMPDIR");
    o.dir = tmpdir && *tmpdir ? tmpdir : "/var/tmp";
    std::string here = self_dir();
    o.warrend = here + "/warrend";
    o.plugin = here + "/warren";
    o.warrenctl = here + "/warrenctl";

    enum { kBurst = 1000, kRepeats, kSeconds, kConns, kDir, kWarrend, kPlugin, kHostLocal, kQuick, kStrict, kKeep, kOnly, kInterleave, kEbpf, kGcPass, kEbpfAb, kAdminListLoad, kListTime, kWarrenctl };
    static const option opts[] = {{"burst", required_argument, nullptr, kBurst},
                                  {"burst-repeats", required_argument, nullptr, kRepeats},
                                  {"load-seconds", required_argument, nullptr, kSeconds},
                                  {"load-conns", required_argument, nullptr, kConns},
                                  {"dir", required_argument, nullptr, kDir},
                                  {"warrend", required_argument, nullptr, kWarrend},
                                  {"plugin", required_argument, nullptr, kPlugin},
                                  {"host-local", required_argument, nullptr, kHostLocal},
                                  {"quick", no_argument, nullptr, kQuick},
                                  {"strict", no_argument, nullptr, kStrict},
                                  {"keep", no_argument, nullptr, kKeep},
                                  {"only", required_argument, nullptr, kOnly},
                                  {"interleave", no_argument, nullptr, kInterleave},
                                  {"ebpf", required_argument, nullptr, kEbpf},
                                  {"gc-pass", required_argument, nullptr, kGcPass},
                                  {"ebpf-ab", required_argument, nullptr, kEbpfAb},
                                  {"admin-list-load", no_argument, nullptr, kAdminListLoad},
                                  {"list-time", required_argument, nullptr, kListTime},
                                  {"warrenctl", required_argument, nullptr, kWarrenctl},
                                  {"help", no_argument, nullptr, 'h'},
                                  {nullptr, 0, nullptr, 0}};
    try {
        int ch;
        while ((ch = ::getopt_long(argc, argv, "n:h", opts, nullptr)) != -1) {
            switch (ch) {
                case 'n': o.n = std::stoi(optarg); break;
                case kBurst: o.burst = std::stoi(optarg); break;
                case kRepeats: o.burst_repeats = std::stoi(optarg); break;
                case kSeconds: o.load_seconds = std::stod(optarg); break;
                case kConns: o.load_conns = std::stoi(optarg); break;
                case kDir: o.dir = optarg; break;
                case kWarrend: o.warrend = optarg; break;
                case kPlugin: o.plugin = optarg; break;
                case kHostLocal: o.host_local = optarg; break;
                case kQuick:
                    o.n = 100;
                    o.floor_runs = 200;
                    o.fsync_runs = 100;
                    o.burst_repeats = 3;
                    o.load_seconds = 1;
                    break;
                case kStrict: o.strict = true; break;
                case kKeep: o.keep = true; break;
                case kOnly: o.only = optarg; break;
                case kInterleave: o.interleave = true; break;
                case kEbpf: o.ebpf = optarg; break;
                case kGcPass: o.gc_pass = std::stoi(optarg); break;
                case kEbpfAb: o.ebpf_ab = std::stoi(optarg); break;
                case kAdminListLoad: o.admin_list_load = true; break;
                case kListTime: o.list_time = std::stoi(optarg); break;
                case kWarrenctl: o.warrenctl = optarg; break;
                case 'h': usage(); return 0;
                default: usage(); return 2;
            }
        }
    } catch (const std::exception&) {
        std::fprintf(stderr, "warren-bench: bad number for an option (see --help)\n");
        return 2;
    }
    if (!o.only.empty() && o.only != "cni" && o.only != "load") {
        std::fprintf(stderr, "warren-bench: --only takes 'cni' or 'load'\n");
        return 2;
    }
    if (!o.ebpf.empty() && o.ebpf != "auto" && o.ebpf != "on" && o.ebpf != "off") {
        std::fprintf(stderr, "warren-bench: --ebpf takes 'auto', 'on' or 'off', not '%s'\n", o.ebpf.c_str());
        return 2;
    }
    if (o.gc_pass < 0 || o.gc_pass > 1'000'000) {
        std::fprintf(stderr, "warren-bench: --gc-pass wants a number of allocations from 1 to 1000000\n");
        return 2;
    }
    if (o.ebpf_ab < 0 || o.ebpf_ab > 1000) {
        std::fprintf(stderr, "warren-bench: --ebpf-ab wants a number of rounds from 1 to 1000\n");
        return 2;
    }
    if (o.list_time < 0 || o.list_time > 1'000'000) {
        std::fprintf(stderr, "warren-bench: --list-time wants a number of allocations from 1 to 1000000\n");
        return 2;
    }
    if (o.n < 1 || o.burst < 1 || o.burst_repeats < 1 || o.load_conns < 1 || o.load_seconds <= 0) {
        std::fprintf(stderr, "warren-bench: counts and durations must be positive\n");
        return 2;
    }

    struct sigaction sa {};
    sa.sa_handler = on_signal;  // no SA_RESTART: blocking calls return EINTR and loops notice
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    try {
        return run(o);
    } catch (const Interrupted&) {
        std::fprintf(stderr, "warren-bench: interrupted; cleaned up\n");
        return 130;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "warren-bench: %s\n", e.what());
        return 1;
    }
}
