// status and metrics: the agent's state at a glance.
#include <cmath>
#include <cstdio>

#include "antispoof_render.hpp"
#include "commands.hpp"
#include "render.hpp"

namespace warren::ctl {

namespace {

std::string on_off(const json& j) {
    bool on = j.is_object() && j.value("on", false);
    std::string why = j.is_object() ? j.value("why", std::string()) : std::string();
    std::string out = on ? "on" : "off";
    return why.empty() ? out : out + ": " + why;
}

std::string per_hour(double v) {
    char buf[32];
    if (std::fabs(v) < 10 && std::fabs(v - std::round(v)) > 0.05)
        std::snprintf(buf, sizeof buf, "%+.1f/h", v);
    else
        std::snprintf(buf, sizeof buf, "%+.0f/h", v);
    return buf;
}

std::string forecast(const json& f) {
    double rate = f.is_object() ? f.value("netPerHour", 0.0) : 0.0;
    if (f.is_object() && f.contains("exhaustionSeconds"))
        return "exhausted in " + format_rough_duration(as_int(f, "exhaustionSeconds")) + " at " +
               per_hour(rate);
    if (std::fabs(rate) < 0.05) return "not filling";
    return "not filling (" + per_hour(rate) + ")";
}

std::string join(const json& list, std::string_view sep) {
    std::string out;
    if (!list.is_array()) return out;
    for (auto& v : list) {
        if (!out.empty()) out += sep;
        out += cell(v);
    }
    return out;
}

// {"reason": n, ...} as "reason n, reason n"; "-" when empty.
std::string counts(const json& m) {
    std::string out;
    if (m.is_object())
        for (auto& [k, v] : m.items()) {
            if (!out.empty()) out += ", ";
            out += k + " " + cell(v);
        }
    return out.empty() ? "-" : out;
}

std::string pool_block(const json& p) {
    std::string head =
        "pool " + cell(p, "name") + " (" + cell(p, "source") + ", " + cell(p, "family");
    if (std::string ranges = join(list(p, "ranges"), "; "); !ranges.empty()) head += ": " + ranges;
    head += ")\n";
    // A pool of several range sets (dual-stack) counts each set apart: "253 | 18446744073709551616".
    const json sets = p.contains("sets") && p["sets"].is_array() ? p["sets"] : json::array();
    auto per_set = [&](const char* key) {
        if (sets.size() < 2) return cell(p, key);
        std::string out;
        for (auto& s : sets) out += (out.empty() ? "" : " | ") + cell(s, key);
        return out;
    };
    return head + fields({{"size", per_set("size")},
                          {"in use", per_set("inUse")},
                          {"quarantined", per_set("quarantined")},
                          {"free", per_set("free")},
                          {"utilization", format_percent(p.value("utilization", 0.0))},
                          {"alert", cell(p, "alert")},
                          {"forecast", forecast(object_at(p, "forecast"))}});
}

std::string ebpf_line(const json& e) {
    if (!e.is_object()) return "-";
    std::string mode = e.value("mode", std::string());
    std::string suffix = mode.empty() ? "" : " (mode " + mode + ")";
    if (!e.value("on", false)) {
        std::string why = e.value("why", std::string());
        return "off" + suffix + (why.empty() ? "" : ": " + why);
    }
    const json& attached = list(e, "attached");
    std::string names;
    size_t shown = 0;
    for (auto& a : attached) {
        if (shown == 8) {
            names += ", +" + std::to_string(attached.size() - shown) + " more";
            break;
        }
        names += (shown++ ? ", " : "") + cell(a, "name");
    }
    std::string out = "on" + suffix + ", attached to " + std::to_string(attached.size()) +
                      (attached.size() == 1 ? " link" : " links");
    return names.empty() ? out : out + " (" + names + ")";
}

// The "kubernetes" section: where the pool and the liveness signal 5 stand.
std::string kube_block(const json& k) {
    std::string cidrs =
        k.value("waiting", false)
            ? "waiting for Node " + cell(k, "node") +
                  "'s spec.podCIDRs (kube-controller-manager --allocate-node-cidrs assigns them)"
            : join(list(k, "podCidrs"), ", ");
    std::string pods =
        cell(k, "pods") +
        (k.value("podsSynced", false) ? " (synced)" : " (not synced: every pod counts as running)");
    std::vector<std::pair<std::string, std::string>> rows = {
        {"node", cell(k, "node") + (k.value("nodeSeen", false) ? "" : " (not read yet)")},
        {"pool", cell(k, "pool") + ": " + cidrs},
        {"pods", pods},
        {"last ok", k.contains("lastOkSecondsAgo")
                        ? format_duration(as_int(k, "lastOkSecondsAgo")) + " ago"
                        : "never"}};
    if (k.contains("namespacesSynced"))
        rows.emplace_back("namespaces",
                          cell(k, "namespaces") +
                              (k.value("namespacesSynced", false)
                                   ? " (synced)"
                                   : " (not synced: ADDs that a namespaceSelector could decide "
                                     "answer try-again)"));
    if (std::string e = k.value("poolError", std::string()); !e.empty())
        rows.emplace_back("pool error", e);
    if (std::string e = k.value("error", std::string()); !e.empty())
        rows.emplace_back("API error", e);
    return "\nkubernetes\n" + fields(rows);
}

}  // namespace

Prepare prepare_status(const Invocation&) {
    return Prepared{request("status")};
}

std::string render_status(const json& r, int64_t now_ns) {
    std::string out = "warrend " + cell(r, "version") + ", up " +
                      format_duration(as_int(r, "uptimeSeconds")) + " (since " +
                      format_time(as_int(r, "startedNs")) + ")\n";
    const json& pools = list(r, "pools");
    if (pools.empty()) out += "\nno pools defined\n";
    for (auto& p : pools) out += "\n" + pool_block(p);
    // The agent's pool checks (agents before them send no "poolWarnings"): one line each.
    if (const json& warnings = list(r, "poolWarnings"); !warnings.empty()) {
        out += "\npool warnings\n";
        for (auto& w : warnings) out += "  " + cell(w, "message") + "\n";
    }

    const json& live = object_at(r, "liveness");
    std::vector<std::pair<std::string, std::string>> liveness = {
        {"eBPF", ebpf_line(object_at(live, "ebpf"))}};
    const json& signals = object_at(live, "signals");
    for (auto& [name, s] : signals.items()) liveness.emplace_back(name, on_off(s));
    out += "\nliveness\n" + fields(liveness);
    out += antispoof_status_line(r);

    const json& j = object_at(r, "journal");
    out +=
        "\njournal\n" + fields({{"records", cell(j, "records")},
                                {"bytes", format_bytes(static_cast<uint64_t>(as_int(j, "bytes")))},
                                {"last snapshot", format_age(as_int(j, "lastSnapshotNs"), now_ns)},
                                {"syncs", cell(j, "syncs")},
                                {"last sync", format_ms(j.value("lastSyncMs", 0.0))},
                                {"slowest sync", format_ms(j.value("maxSyncMs", 0.0))}});

    const json& gc = object_at(r, "gc");
    std::string last = format_age(as_int(gc, "lastPassNs"), now_ns);
    if (as_int(gc, "lastPassNs") != 0)
        last += " (took " + format_ms(gc.value("lastPassMs", 0.0)) + ")";
    out += "\ngc\n" + fields({{"passes", cell(gc, "passes")},
                              {"last pass", last},
                              {"interval", format_duration(as_int(gc, "intervalSeconds"))},
                              {"grace", format_duration(as_int(gc, "graceSeconds"))},
                              {"cooldown", format_duration(as_int(gc, "cooldownSeconds"))},
                              {"candidates", cell(gc, "candidates")},
                              {"zombies", cell(gc, "zombies")},
                              {"conflicts", cell(gc, "conflicts")},
                              {"released", counts(object_at(gc, "released"))},
                              {"decisions", counts(object_at(gc, "decisions"))}});
    if (r.contains("kubernetes")) out += kube_block(object_at(r, "kubernetes"));
    return out;
}

Prepare prepare_metrics(const Invocation&) {
    return Prepared{request("metrics")};
}

std::string render_metrics(const json& r, int64_t) {
    std::string text = r.value("text", std::string());
    if (!text.empty() && text.back() != '\n') text += '\n';
    return text;
}

}  // namespace warren::ctl
