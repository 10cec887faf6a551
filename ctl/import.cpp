// import-host-local: adopt a host-local data dir's reservations.
#include "commands.hpp"
#include "host_local.hpp"
#include "render.hpp"

namespace warren::ctl {

Prepare prepare_import(const Invocation& inv) {
    auto dir = read_host_local_dir(inv.operands.at(0));
    if (!dir)
        return std::unexpected(Failure{Exit::failed, dir.error().describe() +
                                                         "; give the directory of one network, "
                                                         "e.g. /var/lib/cni/networks/NET"});
    json entries = json::array(), last = json::array(), refused = json::array();
    for (auto& e : dir->entries)
        entries.push_back({{"ip", e.ip},
                           {"containerId", e.container_id},
                           {"ifname", e.ifname},
                           {"file", e.file}});
    for (auto& l : dir->last_reserved) last.push_back({{"set", l.set}, {"ip", l.ip}});
    for (auto& r : dir->refused)
        refused.push_back({{"ip", r.ip}, {"file", r.file}, {"reason", r.reason}});
    json args = {{"network", dir->network},
                 {"dryRun", inv.has("--dry-run")},
                 {"entries", std::move(entries)},
                 {"lastReserved", std::move(last)}};
    if (auto pool = inv.value("--pool")) args["pool"] = *pool;
    return Prepared{request("import-host-local", std::move(args)), std::move(refused)};
}

std::string render_import(const json& r, int64_t) {
    const json& imported = list(r, "imported");
    const json& refused = list(r, "refused");
    const std::string verb = r.value("dryRun", false) ? "would import " : "imported ";
    std::string out;
    if (imported.empty()) {
        out += verb + "nothing\n";
    } else {
        out += verb + std::to_string(imported.size()) +
               (imported.size() == 1 ? " address\n" : " addresses\n");
        Table t({"IP", "CONTAINER", "IFNAME", "POOL"});
        for (auto& e : imported)
            t.add({cell(e, "ip"), short_id(e, "containerId"), cell(e, "ifname"), cell(e, "pool")});
        out += t.str();
    }
    if (!refused.empty()) {
        out += "\nrefused " + std::to_string(refused.size()) + "\n";
        Table t({"IP", "FILE", "REASON"});
        for (auto& e : refused) t.add({cell(e, "ip"), cell(e, "file"), cell(e, "reason")});
        out += t.str();
    }
    return out;
}

}  // namespace warren::ctl
