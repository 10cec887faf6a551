// release, gc and reload: the commands that change state.
#include "commands.hpp"
#include "render.hpp"
#include "warren/ip.hpp"

namespace warren::ctl {

Prepare prepare_release(const Invocation& inv) {
    const std::string& ip = inv.operands.at(0);
    if (!IpAddress::parse(ip))
        return std::unexpected(
            usage_failure("release takes an IP address without prefix length, not '" + ip + "'"));
    json args = {{"ip", ip}};
    if (inv.has("--force")) args["force"] = true;
    return Prepared{request("release", std::move(args))};
}

std::string render_release(const json& r, int64_t now_ns) {
    std::string ips;
    for (auto& ip : list(r, "released")) ips += (ips.empty() ? "" : ", ") + cell(ip);
    std::string out = "released " + (ips.empty() ? std::string("-") : ips) + " (container " +
                      cell(r, "containerId") + ", ifname " + cell(r, "ifname") + ", network " +
                      cell(r, "network") + ")";
    if (r.value("forced", false)) out += ", forced past the liveness checks";
    out += "\n";
    int64_t ends = as_int(r, "quarantineEndsNs");
    if (ends > now_ns)
        out += "quarantined until " + format_time(ends) + " (" +
               format_duration((ends - now_ns) / 1'000'000'000) + " from now)\n";
    else
        out += "free again (no quarantine)\n";
    return out;
}

Prepare prepare_reload(const Invocation&) { return Prepared{request("reload")}; }

std::string render_reload(const json& r, int64_t) { return cell(r, "summary") + "\n"; }

Prepare prepare_gc(const Invocation& inv) {
    return Prepared{request("gc", {{"dryRun", inv.has("--dry-run")}})};
}

std::string render_gc(const json& r, int64_t) {
    const bool dry = r.value("dryRun", false);
    std::string out = std::string(dry ? "GC dry run" : "GC pass") + " over " +
                      cell(r, "allocations") + " allocations and " + cell(r, "quarantined") +
                      " quarantined addresses, " + format_ms(r.value("ms", 0.0)) +
                      (dry ? " (nothing recorded)" : "") + "\n";
    const json& decisions = list(r, "decisions");
    if (decisions.empty()) {
        out += "no decisions\n";
    } else {
        Table t({"DECISION", "IP", "CONTAINER", "REASON", "WHY"});
        for (auto& d : decisions)
            t.add({cell(d, "kind"), cell(d, "ip"), cell(d, "containerId"), cell(d, "reason"),
                   cell(d, "why")});
        out += "\n" + t.str();
    }
    const json& conflicts = list(r, "conflicts");
    if (!conflicts.empty()) {
        Table t({"CONFLICT", "IP", "HOLDER"});
        for (auto& c : conflicts) t.add({cell(c, "kind"), cell(c, "ip"), cell(c, "holder")});
        out += "\n" + t.str();
    }
    return out;
}

}  // namespace warren::ctl
