// events: the durable change log, once or followed.
#include "commands.hpp"
#include "render.hpp"

namespace warren::ctl {

Prepare prepare_events(const Invocation& inv) {
    json args = json::object();
    if (auto since = inv.number("--since")) args["since"] = *since;
    if (auto limit = inv.number("--limit")) {
        if (*limit == 0 || *limit > 10000)
            return std::unexpected(
                usage_failure("--limit takes 1 to 10000, not " + std::to_string(*limit)));
        args["limit"] = *limit;
    }
    return Prepared{request("events", std::move(args))};
}

std::string render_events(const json& r, int64_t, bool header) {
    Table t({"SEQ", "TIME", "KIND", "IP", "POOL", "CONTAINER", "IFNAME", "REASON", "DETAIL"});
    for (auto& e : list(r, "events"))
        t.add({cell(e, "seq"), format_time(as_int(e, "timeNs")), cell(e, "kind"), cell(e, "ip"),
               cell(e, "pool"), short_id(e, "containerId"), cell(e, "ifname"), cell(e, "reason"),
               cell(e, "detail")});
    if (t.empty()) return header ? "no events\n" : "";
    std::string out = t.str();
    return header ? out : out.substr(out.find('\n') + 1);
}

std::string render_events_table(const json& r, int64_t now_ns) {
    return render_events(r, now_ns, true);
}

}  // namespace warren::ctl
