// "import-host-local": adopt the reservations of a host-local data dir (warrenctl reads the
// directory and sends its entries), one submit for the whole import.
#include <spdlog/spdlog.h>

#include <map>

#include "admin/admin_service.hpp"
#include "admin/args.hpp"
#include "warren/log_text.hpp"

namespace warren::admin {

using nlohmann::json;

namespace {

struct Entry {
    IpAddress ip;
    std::string container_id, ifname, file;
    const core::Pool* pool = nullptr;
};

std::string str_field(const json& j, const char* k) {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

// The pool that may hold `ip`: `named` when given, else the one whose ranges hold it.
const core::Pool* pool_for(const core::IpamState& st, const core::Pool* named,
                           const IpAddress& ip) {
    if (named) return named->set_of(ip) >= 0 ? named : nullptr;
    for (auto& [n, p] : st.pools())
        if (p.set_of(ip) >= 0) return &p;
    return nullptr;
}

}  // namespace

void AdminService::import_host_local(const json& args, Done done) {
    Args a("import-host-local", args);
    auto network = a.required_string("network");
    if (!network) return done(std::unexpected(network.error()));
    auto pool_name = a.string("pool");
    if (!pool_name) return done(std::unexpected(pool_name.error()));
    auto dry = a.boolean("dryRun", false);
    if (!dry) return done(std::unexpected(dry.error()));
    const json* entries = args.contains("entries") ? &args["entries"] : nullptr;
    if (!entries || !entries->is_array())
        return done(a.bad("entries", "must be a list of {ip, containerId, ifname, file}"));
    const json* last = args.contains("lastReserved") && !args["lastReserved"].is_null()
                           ? &args["lastReserved"]
                           : nullptr;
    if (last && !last->is_array())
        return done(a.bad("lastReserved", "must be a list of {set, ip}"));
    const core::Pool* named = nullptr;
    if (*pool_name) {
        named = ctx_.state.pool(**pool_name);
        if (!named) return done(a.bad("pool", "names no pool: '" + log_text(**pool_name) + "'"));
    }

    json imported = json::array(), refused = json::array();
    auto refuse = [&](const std::string& ip, const std::string& file, const std::string& why) {
        refused.push_back({{"ip", ip}, {"file", file}, {"reason", why}});
    };
    std::map<IpAddress, std::string> seen;  // ip -> file, for duplicates
    std::map<std::string, std::pair<core::AttachmentKey, std::vector<Entry>>>
        groups;  // by key.str()
    for (auto& e : *entries) {
        const std::string ip_text = e.is_object() ? str_field(e, "ip") : std::string{};
        const std::string file = e.is_object() ? str_field(e, "file") : std::string{};
        auto ip = IpAddress::parse(ip_text);
        if (!e.is_object() || !ip) {
            refuse(ip_text, file, "malformed: '" + log_text(ip_text) + "' is not an IP address");
            continue;
        }
        Entry en{*ip, str_field(e, "containerId"), str_field(e, "ifname"), file};
        if (en.container_id.empty()) {
            refuse(ip_text, file, "malformed: no container ID");
            continue;
        }
        if (en.ifname.empty())
            en.ifname = "eth0";  // host-local before CNI 0.4 kept only the container ID
        if (auto [it, added] = seen.emplace(*ip, file); !added) {
            refuse(ip_text, file, "duplicate: " + ip_text + " is also in " + it->second);
            continue;
        }
        en.pool = pool_for(ctx_.state, named, *ip);
        if (!en.pool) {
            refuse(ip_text, file,
                   named ? "out of range of pool '" + named->name + "'"
                         : std::string("out of range of every pool"));
            continue;
        }
        const core::AttachmentKey key{*network, en.container_id, en.ifname};
        if (auto u = en.pool->used.find(*ip); u != en.pool->used.end()) {
            refuse(ip_text, file,
                   u->second == key ? "already held by " + key.str() + " (imported before)"
                                    : "held by " + log_text(u->second.str()));
            continue;
        }
        if (auto q = en.pool->quarantine.find(*ip); q != en.pool->quarantine.end()) {
            refuse(ip_text, file,
                   "cooling down in pool '" + en.pool->name + "' (released by " +
                       log_text(q->second.owner.str()) + ")");
            continue;
        }
        auto& g = groups[key.str()];
        g.first = key;
        g.second.push_back(std::move(en));
    }

    const int64_t now = ctx_.clock.now_ns();
    core::Change change;
    std::vector<core::AttachmentKey> adopted;
    std::vector<IpAddress> watch;
    for (auto& [name, group] : groups) {
        auto& [key, list] = group;
        std::vector<IpAddress> addrs;
        for (auto& en : list) {
            if (en.pool != list.front().pool) {
                refuse(en.ip.str(), en.file,
                       "in pool '" + en.pool->name + "' while " + list.front().ip.str() +
                           " of the same attachment is in '" + list.front().pool->name + "'");
                continue;
            }
            addrs.push_back(en.ip);
        }
        auto r = ctx_.state.adopt(list.front().pool->name, key, addrs, now, change);
        if (!r) {
            for (auto& en : list) refuse(en.ip.str(), en.file, r.error().message);
            continue;
        }
        adopted.push_back(key);
        for (auto& x : (*r)->addresses) {
            watch.push_back(x);
            imported.push_back({{"ip", x.str()},
                                {"containerId", key.container_id},
                                {"ifname", key.ifname},
                                {"pool", (*r)->pool}});
        }
    }
    for (auto& l : last ? *last : json::array()) {
        const std::string ip_text = l.is_object() ? str_field(l, "ip") : std::string{};
        const std::string file =
            "last_reserved_ip." +
            (l.is_object() && l.contains("set") ? l["set"].dump() : std::string("?"));
        auto ip = IpAddress::parse(ip_text);
        if (!ip) {
            refuse(ip_text, file, "malformed: '" + log_text(ip_text) + "' is not an IP address");
            continue;
        }
        const core::Pool* p = pool_for(ctx_.state, named, *ip);
        if (!p) {
            refuse(ip_text, file, "out of range: no pool holds it, the cursor stays");
            continue;
        }
        if (auto s = ctx_.state.move_cursor(p->name, *ip, change); !s)
            refuse(ip_text, file, s.error().message);
    }

    json result{{"imported", std::move(imported)}, {"refused", std::move(refused)}};
    if (*dry) {
        for (auto u = change.undo.rbegin(); u != change.undo.rend(); ++u) (*u)();
        return done(std::move(result));
    }
    spdlog::info("admin: importing {} host-local address(es) of network {} ({} refused)",
                 result["imported"].size(), log_text(*network), result["refused"].size());
    for (auto& k : adopted) importing_.insert(k);
    ctx_.service.submit(
        std::move(change), [this, done = std::move(done), result = std::move(result), adopted,
                            watch = std::move(watch)](Status st) mutable {
            if (!st) {
                for (auto& k : adopted) importing_.erase(k);
                return done(std::unexpected(st.error()));
            }
            if (auto w = ctx_.liveness.watch(watch); !w)
                spdlog::warn("admin: could not watch the imported addresses on the wire: {}",
                             w.error().describe());
            done(std::move(result));
        });
}

}  // namespace warren::admin
