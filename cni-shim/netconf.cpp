#include "netconf.hpp"

#include <algorithm>
#include <cmath>

#include "warren/ip.hpp"
#include "warren/json_depth.hpp"

namespace warren::cni {

using nlohmann::json;

namespace {

bool valid_name(std::string_view s) {
    auto alnum = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    };
    return !s.empty() && alnum(s.front()) && std::all_of(s.begin(), s.end(), [&](char c) {
        return alnum(c) || c == '_' || c == '.' || c == '-';
    });
}

const json* find(const json& obj, const char* key) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return nullptr;
    return &*it;
}

// Optional string field; error when present with another type.
Result<std::optional<std::string>> opt_string(const json& obj, const char* key,
                                              std::string_view where) {
    const json* v = find(obj, key);
    if (!v) return std::optional<std::string>{};
    if (!v->is_string())
        return fail(Code::invalid_config, std::string(where) + key + " must be a string");
    return std::optional<std::string>{v->get<std::string>()};
}

Result<std::vector<std::string>> string_list(const json& obj, const char* key,
                                             std::string_view where) {
    std::vector<std::string> out;
    const json* v = find(obj, key);
    if (!v) return out;
    if (!v->is_array())
        return fail(Code::invalid_config,
                    std::string(where) + key + " must be an array of strings");
    for (auto& e : *v) {
        if (!e.is_string())
            return fail(Code::invalid_config, std::string(where) + key + " must hold strings only");
        out.push_back(e.get<std::string>());
    }
    return out;
}

Status check_ip(const json& range, const char* key, std::string_view where) {
    const json* v = find(range, key);
    if (!v) return {};
    if (!v->is_string())
        return fail(Code::invalid_config, std::string(where) + key + " must be a string");
    if (auto a = IpAddress::parse(v->get_ref<const std::string&>()); !a)
        return fail(Code::invalid_config, std::string(where) + key + ": " + a.error().message);
    return {};
}

// Shape check of host-local `ranges` (array of non-empty range sets of {subnet, ...});
// the agent validates the semantics (start/end inside the subnet, overlaps...).
Status check_ranges(const json& ranges, std::string_view where) {
    if (!ranges.is_array())
        return fail(Code::invalid_config, std::string(where) + " must be an array of range sets");
    for (size_t i = 0; i < ranges.size(); ++i) {
        auto& set = ranges[i];
        std::string at = std::string(where) + "[" + std::to_string(i) + "]";
        if (!set.is_array() || set.empty())
            return fail(Code::invalid_config, at + " must be a non-empty array of ranges");
        for (size_t k = 0; k < set.size(); ++k) {
            auto& r = set[k];
            std::string rat = at + "[" + std::to_string(k) + "].";
            if (!r.is_object())
                return fail(Code::invalid_config,
                            at + "[" + std::to_string(k) + "] must be an object");
            const json* subnet = find(r, "subnet");
            if (!subnet || !subnet->is_string())
                return fail(Code::invalid_config, rat + "subnet is required (a CIDR string)");
            if (auto p = IpPrefix::parse(subnet->get_ref<const std::string&>()); !p)
                return fail(Code::invalid_config, rat + "subnet: " + p.error().message);
            for (const char* key : {"rangeStart", "rangeEnd", "gateway"})
                if (auto s = check_ip(r, key, rat); !s) return s;
        }
    }
    return {};
}

Result<int64_t> opt_int(const json& obj, const char* key, std::string_view where, bool& present) {
    const json* v = find(obj, key);
    present = v != nullptr;
    if (!v) return 0;
    if (!v->is_number_integer())
        return fail(Code::invalid_config, std::string(where) + key + " must be an integer");
    return v->get<int64_t>();
}

// A uid: 0 to 2^32-2 (2^32-1 is (uid_t)-1, "no uid").
std::optional<uint32_t> parse_uid(std::string_view digits) {
    if (digits.empty() || digits.size() > 10) return std::nullopt;
    uint64_t v = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    if (v >= 0xffffffffu) return std::nullopt;
    return static_cast<uint32_t>(v);
}

bool valid_user_name(std::string_view s) {
    return !s.empty() && s.size() <= 256 && s.front() != '-' &&
           std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '.' || c == '-' || c == '$';
           });
}

Status parse_agent_user(const json& ipam, IpamConf& ic) {
    const json* v = find(ipam, "agentUser");
    if (!v) return {};
    const char* expected =
        "ipam.agentUser must be the user warrend runs as: a name, or a uid (0 to 4294967294)";
    if (v->is_number_integer()) {
        if (v->is_number_unsigned() ? v->get<uint64_t>() >= 0xffffffffu
                                    : v->get<int64_t>() < 0 || v->get<int64_t>() >= 0xffffffffLL)
            return fail(Code::invalid_config, expected);
        ic.agent_uid = static_cast<uint32_t>(v->get<int64_t>());
        return {};
    }
    if (!v->is_string()) return fail(Code::invalid_config, expected);
    const auto& text = v->get_ref<const std::string&>();
    if (!text.empty() &&
        std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        ic.agent_uid = parse_uid(text);
        if (!ic.agent_uid) return fail(Code::invalid_config, expected);
        return {};
    }
    if (!valid_user_name(text)) return fail(Code::invalid_config, expected);
    ic.agent_user = text;
    return {};
}

Result<std::vector<Route>> parse_routes(const json& ipam) {
    std::vector<Route> out;
    const json* routes = find(ipam, "routes");
    if (!routes) return out;
    if (!routes->is_array()) return fail(Code::invalid_config, "ipam.routes must be an array");
    for (size_t i = 0; i < routes->size(); ++i) {
        auto& r = (*routes)[i];
        std::string where = "ipam.routes[" + std::to_string(i) + "].";
        if (!r.is_object())
            return fail(Code::invalid_config,
                        "ipam.routes[" + std::to_string(i) + "] must be an object");
        Route route;
        const json* dst = find(r, "dst");
        if (!dst || !dst->is_string())
            return fail(Code::invalid_config, where + "dst is required (a CIDR string)");
        auto prefix = IpPrefix::parse(dst->get_ref<const std::string&>());
        if (!prefix) return fail(Code::invalid_config, where + "dst: " + prefix.error().message);
        route.dst = dst->get<std::string>();
        if (auto gw = opt_string(r, "gw", where); !gw) {
            return std::unexpected(gw.error());
        } else if (*gw) {
            if (auto a = IpAddress::parse(**gw); !a)
                return fail(Code::invalid_config, where + "gw: " + a.error().message);
            route.gw = **gw;
        }
        std::pair<const char*, std::optional<int64_t>*> ints[] = {{"mtu", &route.mtu},
                                                                  {"advmss", &route.advmss},
                                                                  {"priority", &route.priority},
                                                                  {"table", &route.table},
                                                                  {"scope", &route.scope}};
        for (auto& [key, slot] : ints) {
            bool present = false;
            auto v = opt_int(r, key, where, present);
            if (!v) return std::unexpected(v.error());
            if (present) *slot = *v;
        }
        out.push_back(std::move(route));
    }
    return out;
}

// Reads one attachment list key into `out`; returns whether the key was present.
Result<bool> read_attachments(const json& conf, const char* key,
                              std::vector<proto::Attachment>& out) {
    auto it = conf.find(key);
    if (it == conf.end()) return false;
    if (it->is_null()) return true;  // libcni sends null for "no valid attachments"
    if (!it->is_array()) return fail(Code::invalid_config, std::string(key) + " must be an array");
    for (size_t i = 0; i < it->size(); ++i) {
        auto& a = (*it)[i];
        std::string where = std::string(key) + "[" + std::to_string(i) + "]";
        // A dropped entry would have its reservation released: refuse rather than skip.
        if (!a.is_object()) return fail(Code::invalid_config, where + " must be an object");
        auto id = a.find("containerID");
        auto ifname = a.find("ifname");
        if (id == a.end() || !id->is_string() || ifname == a.end() || !ifname->is_string())
            return fail(Code::invalid_config, where + " must have string containerID and ifname");
        proto::Attachment att{id->get<std::string>(), ifname->get<std::string>()};
        if (std::find(out.begin(), out.end(), att) == out.end()) out.push_back(std::move(att));
    }
    return true;
}

// The ipam object's own keys (ranges aside).
Status parse_ipam_keys(const json& ipam, IpamConf& ic) {
    auto str = [&](const char* key) { return opt_string(ipam, key, "ipam."); };
    if (auto v = str("type"); !v)
        return std::unexpected(v.error());
    else
        ic.type = v->value_or("");
    if (auto v = str("socket"); !v) {
        return std::unexpected(v.error());
    } else if (*v) {
        if ((*v)->empty()) return fail(Code::invalid_config, "ipam.socket must not be empty");
        ic.socket = **v;
    }
    if (auto v = str("pool"); !v) {
        return std::unexpected(v.error());
    } else if (*v) {
        if ((*v)->empty()) return fail(Code::invalid_config, "ipam.pool must not be empty");
        ic.pool = **v;
    }
    if (auto v = str("resolvConf"); !v)
        return std::unexpected(v.error());
    else
        ic.resolv_conf = v->value_or("");
    if (auto v = str("deleteQueueDir"); !v) {
        return std::unexpected(v.error());
    } else if (*v && !(*v)->empty()) {
        ic.delete_queue_dir = **v;
    } else {
        ic.delete_queue_dir = default_delete_queue_dir(ic.socket);
    }
    if (const json* t = find(ipam, "timeoutSeconds")) {
        if (!t->is_number())
            return fail(Code::invalid_config, "ipam.timeoutSeconds must be a number");
        double secs = t->get<double>();
        if (!(secs > 0) || secs > 3600)
            return fail(Code::invalid_config,
                        "ipam.timeoutSeconds must be more than 0 and at most 3600");
        ic.timeout_ms = std::max(1, static_cast<int>(std::lround(secs * 1000)));
    }
    if (auto s = parse_agent_user(ipam, ic); !s) return s;
    // host-local's dataDir (and any other key) is accepted and ignored.

    auto routes = parse_routes(ipam);
    if (!routes) return std::unexpected(routes.error());
    ic.routes = std::move(*routes);
    return {};
}

// Ranges: runtimeConfig.ipRanges, then the legacy single range, then ipam.ranges; refused
// together with a pool.
Status parse_ranges(const json& ipam, const json* runtime, IpamConf& ic) {
    json ranges = json::array();
    if (runtime) {
        if (const json* rr = find(*runtime, "ipRanges")) {
            if (auto s = check_ranges(*rr, "runtimeConfig.ipRanges"); !s) return s;
            for (auto& set : *rr) ranges.push_back(set);
        }
    }
    if (find(ipam, "subnet")) {
        json legacy = json::object();
        for (const char* key : {"subnet", "rangeStart", "rangeEnd", "gateway"})
            if (const json* v = find(ipam, key)) legacy[key] = *v;
        json set = json::array({json::array({legacy})});
        if (auto s = check_ranges(set, "ipam (subnet/rangeStart/rangeEnd/gateway)"); !s) return s;
        ranges.push_back(set[0]);
    } else {
        for (const char* key : {"rangeStart", "rangeEnd", "gateway"})
            if (find(ipam, key))
                return fail(Code::invalid_config,
                            std::string("ipam.") + key + " needs ipam.subnet");
    }
    if (const json* r = find(ipam, "ranges")) {
        if (auto s = check_ranges(*r, "ipam.ranges"); !s) return s;
        for (auto& set : *r) ranges.push_back(set);
    }
    if (!ranges.empty()) ic.ranges = std::move(ranges);
    if (ic.pool && ic.ranges)
        return fail(Code::invalid_config,
                    "ipam: set either 'pool' (a pool of warrend's config) or ranges, not both",
                    "ranges come from ipam.ranges, ipam.subnet or runtimeConfig.ipRanges");
    return {};
}

// A pod's pool ask, `where` + "pool": a non-empty string when present.
Result<std::optional<std::string>> pool_ask(const json& obj, const std::string& where) {
    const json* v = find(obj, "pool");
    if (!v) return std::nullopt;
    if (!v->is_string() || v->get_ref<const std::string&>().empty())
        return fail(Code::invalid_config,
                    where + "pool must be a non-empty string (a pool of warrend's config)",
                    "got " + v->dump(-1, ' ', false, json::error_handler_t::replace));
    return v->get<std::string>();
}

// Requested addresses and pool: args.cni.{ips,pool} and runtimeConfig.{ips,pool}.
Status parse_requested_ips(const json& conf, const json* runtime, NetConf& nc) {
    std::optional<std::string> args_pool, runtime_pool;
    if (const json* args = find(conf, "args")) {
        if (!args->is_object()) return fail(Code::invalid_config, "args must be an object");
        if (const json* cni = find(*args, "cni")) {
            if (!cni->is_object()) return fail(Code::invalid_config, "args.cni must be an object");
            auto ips = string_list(*cni, "ips", "args.cni.");
            if (!ips) return std::unexpected(ips.error());
            nc.args_ips = std::move(*ips);
            auto pool = pool_ask(*cni, "args.cni.");
            if (!pool) return std::unexpected(pool.error());
            args_pool = std::move(*pool);
        }
    }
    if (runtime) {
        auto ips = string_list(*runtime, "ips", "runtimeConfig.");
        if (!ips) return std::unexpected(ips.error());
        nc.runtime_ips = std::move(*ips);
        auto pool = pool_ask(*runtime, "runtimeConfig.");
        if (!pool) return std::unexpected(pool.error());
        runtime_pool = std::move(*pool);
    }
    if (args_pool && runtime_pool && *args_pool != *runtime_pool)
        return fail(Code::invalid_config,
                    "args.cni.pool ('" + *args_pool + "') and runtimeConfig.pool ('" +
                        *runtime_pool + "') name different pools",
                    "ask for one pool: give only one of them, or the same name in both");
    if (args_pool) {
        nc.requested_pool = std::move(args_pool);
        nc.requested_pool_from = "args.cni.pool";
    } else if (runtime_pool) {
        nc.requested_pool = std::move(runtime_pool);
        nc.requested_pool_from = "runtimeConfig.pool";
    }
    return {};
}

}  // namespace

Result<json> parse_json_object(std::string_view text) {
    if (auto s = check_json_depth(text); !s)
        return fail(Code::decode, "error decoding the network config: " + s.error().message);
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded())
        return fail(Code::decode, "error decoding the network config: stdin is not valid JSON");
    if (!j.is_object())
        return fail(Code::decode, "error decoding the network config: stdin is not a JSON object");
    return j;
}

std::string config_version(const json& conf) {
    auto it = conf.find("cniVersion");
    if (it == conf.end() || !it->is_string()) return {};
    return it->get<std::string>();
}

std::optional<uint32_t> uid_in_passwd(std::string_view passwd, std::string_view name) {
    // name:password:uid:gid:gecos:home:shell
    while (!passwd.empty()) {
        const size_t eol = passwd.find('\n');
        std::string_view line = passwd.substr(0, eol);
        passwd = eol == std::string_view::npos ? std::string_view{} : passwd.substr(eol + 1);
        const size_t c1 = line.find(':');
        if (c1 == std::string_view::npos || line.substr(0, c1) != name) continue;
        const size_t c2 = line.find(':', c1 + 1);
        if (c2 == std::string_view::npos) continue;
        const size_t c3 = line.find(':', c2 + 1);
        if (auto uid =
                parse_uid(line.substr(c2 + 1, c3 == std::string_view::npos ? c3 : c3 - c2 - 1)))
            return uid;
    }
    return std::nullopt;
}

Result<NetConf> parse_netconf(const json& conf) {
    NetConf nc;
    auto version = opt_string(conf, "cniVersion", "");
    if (!version) return std::unexpected(version.error());
    nc.cni_version = version->value_or("");

    auto name = opt_string(conf, "name", "");
    if (!name) return std::unexpected(name.error());
    if (!*name || (*name)->empty()) return fail(Code::invalid_config, "missing network name");
    if (!valid_name(**name))
        return fail(Code::invalid_config, "invalid characters found in network name", **name);
    nc.name = **name;
    if (auto type = opt_string(conf, "type", ""); !type)
        return std::unexpected(type.error());
    else
        nc.type = type->value_or("");

    const json* ipam = find(conf, "ipam");
    if (!ipam) return fail(Code::invalid_config, "IPAM config missing 'ipam' key");
    if (!ipam->is_object()) return fail(Code::invalid_config, "ipam must be an object");
    IpamConf& ic = nc.ipam;

    if (auto s = parse_ipam_keys(*ipam, ic); !s) return std::unexpected(s.error());
    const json* runtime = find(conf, "runtimeConfig");
    if (runtime && !runtime->is_object())
        return fail(Code::invalid_config, "runtimeConfig must be an object");
    if (auto s = parse_ranges(*ipam, runtime, ic); !s) return std::unexpected(s.error());
    if (auto s = parse_requested_ips(conf, runtime, nc); !s) return std::unexpected(s.error());

    if (const json* prev = find(conf, "prevResult")) {
        if (!prev->is_object()) return fail(Code::invalid_config, "prevResult must be an object");
        nc.prev_result = *prev;
    }

    std::vector<proto::Attachment> attachments;
    bool any = false;
    for (const char* key : {"cni.dev/valid-attachments", "cni.dev/attachments"}) {
        auto present = read_attachments(conf, key, attachments);
        if (!present) return std::unexpected(present.error());
        any = any || *present;
    }
    if (any) nc.valid_attachments = std::move(attachments);
    return nc;
}

}  // namespace warren::cni
