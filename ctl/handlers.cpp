#include "commands.hpp"

namespace warren::ctl {

namespace {

std::string render_events_once(const json& result, int64_t now_ns) {
    return render_events(result, now_ns, true);
}

const Command kCommands[] = {
    {"status", prepare_status, render_status},
    {"list", prepare_list, render_list},
    {"show", prepare_show, render_show},
    {"release", prepare_release, render_release},
    {"gc", prepare_gc, render_gc},
    {"events", prepare_events, render_events_once},
    {"metrics", prepare_metrics, render_metrics},
    {"import-host-local", prepare_import, render_import},
    {"reload", prepare_reload, render_reload},
};

}  // namespace

const Command* find_handler(std::string_view name) {
    for (auto& c : kCommands)
        if (c.name == name) return &c;
    return nullptr;
}

json request(std::string_view name, json args) {
    return {{"command", name}, {"args", std::move(args)}};
}

Failure usage_failure(std::string message) {
    return Failure{Exit::usage, std::move(message)};
}

}  // namespace warren::ctl
