#include "admin_rows.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "load.hpp"
#include "stats.hpp"
#include "warren/admin_protocol.hpp"

namespace warren::bench {

namespace {

struct Setup {
    TempDir tmp;
    std::string sock, admin;
    std::unique_ptr<Agent> agent;

    explicit Setup(const AdminRowOptions& o) : tmp(o.dir, o.keep) {
        for (auto* p : {&o.warrend, &o.plugin, &o.warrenctl})
            if (::access(p->c_str(), X_OK) != 0)
                throw std::runtime_error(*p + " is not an executable file");
        const std::string state = tmp.path() + "/state";
        sock = tmp.path() + "/warren.sock";
        admin = tmp.path() + "/admin.sock";
        std::filesystem::create_directories(state);
        write_file(
            tmp.path() + "/warrend.json",
            R"({"stateDir":")" + state + R"(","socket":")" + sock + R"(","admin":{"socket":")" +
                admin + R"("},"logLevel":"info","liveness":{"ebpf":"off"},)" +
                R"("pools":{"default":{"cidrs":["10.64.0.0/16"]},"bulk":{"cidrs":["10.128.0.0/9"]}}})");
        progress("starting warrend (" + o.warrend + ")");
        agent = std::make_unique<Agent>(o.warrend, tmp.path() + "/warrend.json",
                                        tmp.path() + "/warrend.log", sock);
    }

    // `count` durable allocations in the bulk pool, straight on the socket.
    void populate(int count) {
        progress("populating " + std::to_string(count) + " allocations");
        LoadOptions lo;
        lo.socket = sock;
        lo.conns = 8;
        lo.warmup_s = 0;
        lo.seconds = 120;
        lo.id_prefix = "live";
        lo.max_requests = static_cast<uint64_t>(count);
        const LoadResult r = run_load(lo);
        if (r.total_ok != lo.max_requests)
            throw std::runtime_error("only " + std::to_string(r.total_ok) + " of " +
                                     std::to_string(count) +
                                     " allocations succeeded: " + r.first_error);
    }
};

const Env& ctl_env() {
    static const Env env({"PATH=/usr/sbin:/usr/bin:/sbin:/bin"});
    return env;
}

// `warrenctl <args>` back to back until `stop`, counting runs and failures.
struct CtlLoop {
    std::atomic<bool> stop{false};
    uint64_t runs = 0, failed = 0;
    std::string first_error;
    std::thread thread;

    CtlLoop(const std::string& warrenctl, std::vector<std::string> args) {
        thread = std::thread([this, warrenctl, args] {
            Slot slot(warrenctl, "", args);
            while (!stop.load()) {
                auto r = slot.run(ctl_env());
                ++runs;
                if (r.exit_code != 0 && ++failed == 1) first_error = slot.stderr_text();
            }
        });
    }
    void finish() {
        stop = true;
        thread.join();
    }
};

// One side of the comparison: ADDs while `args` loops (none: idle).
struct Side {
    std::vector<std::string> args;
    std::vector<uint64_t> add_ns;
    uint64_t runs = 0, failed = 0;
    std::string first_error;
    double seconds = 0;
    double per_second() const { return seconds > 0 ? static_cast<double>(runs) / seconds : 0; }
};

std::string ms_text(double v) {
    char b[32];
    std::snprintf(b, sizeof b, v < 1 ? "%.3f ms" : "%.2f ms", v);
    return b;
}

}  // namespace

int run_admin_list_load(const AdminRowOptions& o, bool strict) {
    Setup s(o);
    s.populate(1000);
    Peer warren{
        "warren", o.plugin, std::filesystem::path(o.plugin).parent_path().string(),
        R"({"cniVersion":"1.0.0","name":"bench","type":"bridge","ipam":{"type":"warren","socket":")" +
            s.sock + R"("}})"};
    Slot plugin(warren.program, warren.conf);
    auto one = [&](const char* cmd, const std::string& cid, int pod) {
        Env env = cni_env(warren, cmd, cid, pod);
        auto r = plugin.run(env);
        expect_ok(warren, plugin, r, cmd, cid);
        return r.elapsed_ns;
    };
    for (int i = 0; i < 20; ++i) {
        one("ADD", "warm" + std::to_string(i), i);
        one("DEL", "warm" + std::to_string(i), i);
    }
    // Rounds alternate the sides, so drift on the machine falls on all of them. `--version`
    // loops warrenctl's exec without the agent: the share of plain CPU contention.
    constexpr int kRounds = 5;
    const int per = std::max(1, o.n / kRounds);
    std::vector<Side> sides(3);
    sides[1].args = {"list", "--admin-socket", s.admin};
    sides[2].args = {"--version"};
    progress("ADD p50 idle, while warrenctl list loops, while warrenctl --version loops: " +
             std::to_string(kRounds) + " rounds of 3 x " + std::to_string(per) + " ADDs");
    for (int round = 0; round < kRounds; ++round) {
        std::vector<std::string> ids;
        for (size_t k = 0; k < sides.size(); ++k) {
            Side& side = sides[k];
            std::unique_ptr<CtlLoop> loop;
            if (!side.args.empty()) {
                loop = std::make_unique<CtlLoop>(o.warrenctl, side.args);
                while (loop->runs == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
            const uint64_t t0 = now_ns();
            for (int i = 0; i < per; ++i) {
                check_stop();
                ids.push_back("s" + std::to_string(k) + "r" + std::to_string(round) + "-" +
                              std::to_string(i));
                side.add_ns.push_back(one("ADD", ids.back(), i));
            }
            side.seconds += static_cast<double>(now_ns() - t0) / 1e9;
            if (loop) {
                loop->finish();
                side.runs += loop->runs;
                side.failed += loop->failed;
                if (side.first_error.empty()) side.first_error = loop->first_error;
            }
        }
        for (size_t i = 0; i < ids.size(); ++i) one("DEL", ids[i], static_cast<int>(i));
    }
    const Summary idle = summarize_ns(sides[0].add_ns), list = summarize_ns(sides[1].add_ns),
                  exec = summarize_ns(sides[2].add_ns);
    const double ratio = idle.p50_ms > 0 ? list.p50_ms / idle.p50_ms : 0;
    const bool pass = ratio <= 1.1 && sides[1].failed == 0;
    std::printf(
        "| ADD p50 (exec included) while `warrenctl list` runs in a loop over 1,000 allocations "
        "(%.0f lists/s, %llu failed) vs idle; %d ADDs each, %d alternating rounds | — | %s → %s | "
        "%.2fx | ≤ 1.1x | %s |\n",
        sides[1].per_second(), static_cast<unsigned long long>(sides[1].failed), per * kRounds,
        kRounds, ms_text(idle.p50_ms).c_str(), ms_text(list.p50_ms).c_str(), ratio,
        pass ? "PASS" : "**MISS**");
    std::printf(
        "|   control: while `warrenctl --version` runs in a loop (%.0f execs/s, no agent work) | — "
        "| %s → %s | %.2fx | — | — |\n",
        sides[2].per_second(), ms_text(idle.p50_ms).c_str(), ms_text(exec.p50_ms).c_str(),
        idle.p50_ms > 0 ? exec.p50_ms / idle.p50_ms : 0);
    if (sides[1].failed)
        std::printf("warning: warrenctl list failed %llu time(s): %s\n",
                    static_cast<unsigned long long>(sides[1].failed), sides[1].first_error.c_str());
    if (s.agent->stop() != 0)
        std::printf("warning: warrend did not exit 0:\n%s", s.agent->log_tail(6).c_str());
    return strict && !pass ? 3 : 0;
}

int run_list_time(const AdminRowOptions& o, bool strict) {
    Setup s(o);
    s.populate(o.allocations);
    bool all = true;
    for (bool json : {false, true}) {
        std::vector<std::string> args{"list", "--admin-socket", s.admin};
        if (json) args.push_back("--json");
        Slot ctl(o.warrenctl, "", args);
        std::vector<uint64_t> t;
        double ctl_cpu = 0, agent_cpu = 0;  // over the 10 measured runs
        for (int i = 0; i < 12; ++i) {
            check_stop();
            const double c0 = children_cpu_s(), a0 = process_cpu_s(s.agent->pid());
            auto r = ctl.run(ctl_env());
            if (i >= 2) {
                ctl_cpu += children_cpu_s() - c0;
                agent_cpu += process_cpu_s(s.agent->pid()) - a0;
            }
            if (r.exit_code != 0)
                throw std::runtime_error("warrenctl list failed: " + ctl.stderr_text());
            if (i >= 2) t.push_back(r.elapsed_ns);
        }
        const std::string out = ctl.stdout_text();
        if (!json) {
            const auto rows = static_cast<int>(std::count(out.begin(), out.end(), '\n')) - 1;
            if (rows != o.allocations)
                throw std::runtime_error("warrenctl list printed " + std::to_string(rows) +
                                         " rows, not " + std::to_string(o.allocations));
        }
        std::vector<uint64_t> sorted = t;
        const Summary sum = summarize_ns(std::move(t));
        const double max_ms =
            static_cast<double>(*std::max_element(sorted.begin(), sorted.end())) / 1e6;
        // CPU per run, which a busy machine does not inflate as it does the wall time.
        char cpu[96];
        std::snprintf(cpu, sizeof cpu, "CPU per run: warrenctl %.0f ms, warrend %.0f ms",
                      ctl_cpu * 100, agent_cpu * 100);
        if (json) {
            std::printf(
                "| `warrenctl list --json` over %d allocations (exec'd; median of 10, max %.1f ms; "
                "%.1f MiB of JSON; %s) | — | %s | — | — | — |\n",
                o.allocations, max_ms, static_cast<double>(out.size()) / (1 << 20), cpu,
                ms_text(sum.p50_ms).c_str());
        } else {
            const bool pass = sum.p50_ms <= 50;
            all = all && pass;
            std::printf(
                "| `warrenctl list` over %d allocations (exec'd, table; median of 10, max %.1f ms; "
                "%s) | — | %s | — | ≤ 50 ms | %s |\n",
                o.allocations, max_ms, cpu, ms_text(sum.p50_ms).c_str(),
                pass ? "PASS" : "**MISS**");
        }
    }
    // The same exchange in-process: the agent's answer, its transfer and the JSON parse, without
    // warrenctl's exec and rendering.
    std::vector<uint64_t> t;
    const nlohmann::json request = {{"command", "list"}, {"args", nlohmann::json::object()}};
    for (int i = 0; i < 12; ++i) {
        check_stop();
        const uint64_t t0 = now_ns();
        auto r = admin::call(s.admin, request, 30000);
        if (!r || !r->value("ok", false))
            throw std::runtime_error("admin list failed: " +
                                     (r ? r->dump() : r.error().describe()));
        if (i >= 2) t.push_back(now_ns() - t0);
    }
    std::printf(
        "|   of which the `list` exchange alone (agent's answer, transfer, JSON parse; in-process, "
        "median of 10) | — | %s | — | — | — |\n",
        ms_text(summarize_ns(std::move(t)).p50_ms).c_str());
    if (s.agent->stop() != 0)
        std::printf("warning: warrend did not exit 0:\n%s", s.agent->log_tail(6).c_str());
    return strict && !all ? 3 : 0;
}

}  // namespace warren::bench
