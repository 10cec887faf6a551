#pragma once
// Each subcommand as two pure steps around the one exchange with the agent: prepare (the
// request, from the command line and, for import-host-local, the data dir) and render (the
// agent's result as text for people). run.cpp does the exchange, --json and the exit codes.
#include <cstdint>
#include <expected>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "args.hpp"

namespace warren::ctl {

using nlohmann::json;

enum class Exit : int { ok = 0, failed = 1, usage = 2, unreachable = 3 };

struct Failure {
    Exit exit = Exit::failed;
    std::string message;  // for usage failures, run() prints the command's usage after it
};

struct Prepared {
    json request;                        // {"command": ..., "args": {...}}
    json local_refused = json::array();  // merged into the result's "refused" (import)
};

using Prepare = std::expected<Prepared, Failure>;

struct Command {
    std::string_view name;
    Prepare (*prepare)(const Invocation&);
    // `result` is the agent's "result" object; `now_ns` wall-clock nanoseconds for ages.
    std::string (*render)(const json& result, int64_t now_ns);
};

const Command* find_handler(std::string_view name);

// {"command": name, "args": args}
json request(std::string_view name, json args = json::object());
Failure usage_failure(std::string message);

// One per file, by group.
Prepare prepare_status(const Invocation&);
std::string render_status(const json& result, int64_t now_ns);
Prepare prepare_metrics(const Invocation&);
std::string render_metrics(const json& result, int64_t now_ns);
Prepare prepare_list(const Invocation&);
std::string render_list(const json& result, int64_t now_ns);
Prepare prepare_show(const Invocation&);
std::string render_show(const json& result, int64_t now_ns);
Prepare prepare_release(const Invocation&);
std::string render_release(const json& result, int64_t now_ns);
Prepare prepare_gc(const Invocation&);
std::string render_gc(const json& result, int64_t now_ns);
Prepare prepare_reload(const Invocation&);
std::string render_reload(const json& result, int64_t now_ns);
Prepare prepare_events(const Invocation&);
// `header`: false for the batches after the first of --follow.
std::string render_events(const json& result, int64_t now_ns, bool header);
std::string render_events_table(const json& result, int64_t now_ns);
Prepare prepare_import(const Invocation&);
std::string render_import(const json& result, int64_t now_ns);

}  // namespace warren::ctl
