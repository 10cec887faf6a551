// warrenctl: the operator's view of warrend, over its admin socket (DESIGN §8).
#include <signal.h>
#include <time.h>

#include <atomic>
#include <iostream>
#include <string_view>
#include <vector>

#include "run.hpp"
#include "warren/admin_protocol.hpp"

namespace {

std::atomic<bool> g_stop{false};
// The printed result, never freed: the process exits right after printing it.
nlohmann::json* g_retired = nullptr;

void on_signal(int) {
    g_stop.store(true);
}

int64_t wall_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string_view> args(argv + 1, argv + argc);
    warren::ctl::Io io{std::cout, std::cerr, warren::admin::call, wall_ns, &g_stop};
    io.call_text = warren::admin::call_text;
    io.retire = [](nlohmann::json&& result) { g_retired = new nlohmann::json(std::move(result)); };
    io.on_follow = [] {
        struct sigaction sa {};
        sa.sa_handler = on_signal;
        ::sigaction(SIGINT, &sa, nullptr);
        ::sigaction(SIGTERM, &sa, nullptr);
    };
    int code = warren::ctl::run(args, io);
    std::cout.flush();
    return code;
}
