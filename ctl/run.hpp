#pragma once
// warrenctl as a function of its arguments, with the exchange injectable: main() passes
// admin::call, tests a fake. Writes to `out` and `err`, returns the exit code.
#include <atomic>
#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include "warren/error.hpp"

namespace warren::ctl {

using Caller = std::function<Result<nlohmann::json>(const std::string& socket,
                                                    const nlohmann::json& request, int timeout_ms)>;

// admin::call_text's shape: the answer's payload, unparsed.
using TextCaller = std::function<Result<std::string>(
    const std::string& socket, const nlohmann::json& request, int timeout_ms)>;

struct Io {
    std::ostream& out;
    std::ostream& err;
    Caller call;
    // Wall-clock nanoseconds (ages in tables).
    std::function<int64_t()> now_ns;
    // events --follow stops when this turns true (main: SIGINT/SIGTERM), checked between polls.
    const std::atomic<bool>* stop = nullptr;
    int follow_interval_ms = 500;
    // Called once before events --follow starts polling (main: catch SIGINT/SIGTERM there,
    // so they end the follow with exit 0; every other command keeps their default action).
    std::function<void()> on_follow;
    // Takes the result once it is printed (main: keeps it until the process exits, since
    // freeing a large answer, 10,000 list entries, costs more than rendering it). Null: freed.
    std::function<void(nlohmann::json&&)> retire;
    // When set, `list` takes its answer as text and reads it without a DOM (list_answer.hpp);
    // answers it does not read that way go through the same checks as `call`'s.
    TextCaller call_text;
};

// `args` without argv[0].
int run(std::span<const std::string_view> args, const Io& io);

// What to tell the operator when the agent cannot be reached (call()'s Code::try_again errors):
// which socket, the errno text, and what to do.
std::string unreachable_message(const Error& e, const std::string& socket, int timeout_ms);

}  // namespace warren::ctl
