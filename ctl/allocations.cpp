// list and show: who holds which address.
#include <algorithm>
#include <array>

#include "antispoof_render.hpp"
#include "commands.hpp"
#include "list_answer.hpp"
#include "render.hpp"

namespace warren::ctl {

namespace {

constexpr std::array<std::string_view, 4> kStates = {"active", "stale-candidate", "zombie",
                                                     "quarantined"};

std::string pod(const json& e) {
    std::string ns = e.value("podNamespace", std::string());
    std::string name = e.value("podName", std::string());
    if (name.empty()) return "-";
    return ns.empty() ? name : ns + "/" + name;
}

std::string state(const json& e) {
    std::string s = cell(e, "state");
    std::string reason = e.value("reason", std::string());
    return reason.empty() ? s : s + " (" + reason + ")";
}

std::string join(const json& list) {
    std::string out;
    if (list.is_array())
        for (auto& v : list) out += (out.empty() ? "" : ", ") + cell(v);
    return out.empty() ? "-" : out;
}

std::string since(int64_t ns, int64_t now_ns) {
    if (ns == 0) return "-";
    return format_time(ns) + " (" + format_age(ns, now_ns) + ")";
}

// The last GC pass's observation: whatever keys it has, one "key value" each.
std::string signals(const json& s) {
    if (!s.is_object() || s.empty()) return "-";
    std::string out;
    for (auto& [k, v] : s.items()) out += (out.empty() ? "" : ", ") + k + " " + cell(v);
    return out;
}

std::string match_block(const json& m, int64_t now_ns) {
    std::string out = cell(m, "ip") + "  (pool " + cell(m, "pool") + ", " + state(m) + ")\n";
    std::string pod_line = pod(m);
    if (std::string uid = m.value("podUid", std::string()); !uid.empty())
        pod_line += " (uid " + uid + ")";
    std::string netns = cell(m, "netns");
    if (as_int(m, "netnsInode") != 0) netns += " (inode " + cell(m, "netnsInode") + ")";
    std::vector<std::pair<std::string, std::string>> rows = {
        {"addresses", join(list(m, "addresses"))},
        {"container", cell(m, "containerId")},
        {"ifname", cell(m, "ifname")},
        {"network", cell(m, "network")},
        {"pod", pod_line},
        {"netns", netns},
        {"host link",
         as_int(m, "hostIfindex") != 0 ? "ifindex " + cell(m, "hostIfindex") : std::string("-")},
        {"allocated", since(as_int(m, "allocatedNs"), now_ns)},
        {"last seen", format_age(as_int(m, "lastSeenNs"), now_ns)},
        {"state since", since(as_int(m, "sinceNs"), now_ns)},
        {"signals", signals(object_at(m, "signals"))}};
    if (m.contains("zone")) rows.push_back({"zone", cell(m, "zone")});
    if (m.contains("zoneMismatch")) rows.push_back({"zone mismatch", cell(m, "zoneMismatch")});
    out += fields(rows);
    const json& history = list(m, "history");
    if (history.empty()) return out + "  history: none\n";
    json events = {{"events", history}};
    std::string table = render_events_table(events, now_ns);
    out += "  history:\n";
    for (size_t pos = 0; pos < table.size();) {
        size_t nl = table.find('\n', pos);
        out += "    " + table.substr(pos, nl - pos + 1);
        pos = nl + 1;
    }
    return out;
}

}  // namespace

Prepare prepare_list(const Invocation& inv) {
    json args = json::object();
    if (auto p = inv.value("--pool")) args["pool"] = *p;
    if (auto s = inv.value("--state")) {
        if (std::find(kStates.begin(), kStates.end(), *s) == kStates.end())
            return std::unexpected(usage_failure(
                "--state takes active, stale-candidate, zombie or quarantined, not '" + *s + "'"));
        args["state"] = *s;
    }
    return Prepared{request("list", std::move(args))};
}

std::string render_list(const json& r, int64_t now_ns) {
    return render_list_rows(list_rows(r), now_ns);
}

Prepare prepare_show(const Invocation& inv) {
    return Prepared{request("show", {{"target", inv.operands.at(0)}})};
}

std::string render_show(const json& r, int64_t now_ns) {
    const json& matches = list(r, "matches");
    std::string out;
    for (auto& m : matches)
        out += (out.empty() ? "" : "\n") + match_block(m, now_ns) + antispoof_show_block(m, now_ns);
    return out.empty() ? "no match\n" : out;
}

}  // namespace warren::ctl
