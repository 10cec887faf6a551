#include "config/config.hpp"

#include <getopt.h>

#include <charconv>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace warren::config {

using nlohmann::json;

std::string AgentConfig::effective_delete_queue_dir() const {
    if (!delete_queue_dir.empty()) return delete_queue_dir;
    auto slash = socket.rfind('/');
    std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : socket.substr(0, slash));
    return dir + "/delete-queue";
}

namespace {

Status bad(const std::string& where, const std::string& what) {
    return fail(Code::invalid_config, where + ": " + what);
}

template <class T>
Status read_key(const json& j, const char* key, T& out, const std::string& where) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return {};
    try {
        out = it->get<T>();
    } catch (const json::exception&) {
        return bad(where, std::string("'") + key + "' has the wrong type");
    }
    return {};
}

Result<PoolSpec> pool_from_json(const std::string& name, const json& j, const std::string& where) {
    PoolSpec p{name, {}};
    const json* ranges = nullptr;
    if (j.is_object() && j.contains("ranges")) ranges = &j["ranges"];
    if (j.is_object() && j.contains("cidrs")) {
        std::vector<std::string> cidrs;
        try {
            cidrs = j["cidrs"].get<std::vector<std::string>>();
        } catch (const json::exception&) {
            return fail(Code::invalid_config, where + ": pool '" + name + "': 'cidrs' must be strings");
        }
        auto sets = core::range_sets_from_cidrs(cidrs);
        if (!sets) return fail(Code::invalid_config, where + ": pool '" + name + "': " + sets.error().message);
        p.sets = std::move(*sets);
        return p;
    }
    if (!ranges) return fail(Code::invalid_config, where + ": pool '" + name + "' needs 'ranges' or 'cidrs'");
    auto sets = core::parse_range_sets(*ranges);
    if (!sets) return fail(Code::invalid_config, where + ": pool '" + name + "': " + sets.error().message);
    p.sets = std::move(*sets);
    return p;
}

bool valid_level(const std::string& l) {
    for (auto n : {"trace", "debug", "info", "warn", "warning", "error", "critical", "off"})
        if (l == n) return true;
    return false;
}

}  // namespace

Result<AgentConfig> load_file(const std::string& path, AgentConfig c) {
    std::ifstream in(path);
    if (!in) return fail_errno("cannot read config file " + path, errno, Code::invalid_config);
    std::stringstream ss;
    ss << in.rdbuf();
    json j = json::parse(ss.str(), nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return fail(Code::invalid_config, "config file " + path + " is not a JSON object");
    const std::string where = "config file " + path;
    for (auto s : {read_key(j, "stateDir", c.state_dir, where), read_key(j, "socket", c.socket, where),
                   read_key(j, "socketGroup", c.socket_group, where),
                   read_key(j, "deleteQueueDir", c.delete_queue_dir, where),
                   read_key(j, "logLevel", c.log_level, where),
                   read_key(j, "maxFrameBytes", c.max_frame_bytes, where),
                   read_key(j, "requestTimeoutMs", c.request_timeout_ms, where),
                   read_key(j, "snapshotAfterBytes", c.snapshot_after_bytes, where)})
        if (!s) return std::unexpected(s.error());
    if (auto gc = j.find("gc"); gc != j.end()) {
        if (!gc->is_object()) return fail(Code::invalid_config, where + ": 'gc' must be an object");
        for (auto s : {read_key(*gc, "cooldownSeconds", c.cooldown_seconds, where),
                       read_key(*gc, "intervalSeconds", c.gc_interval_seconds, where),
                       read_key(*gc, "graceSeconds", c.gc_grace_seconds, where)})
            if (!s) return std::unexpected(s.error());
    }
    if (auto pools = j.find("pools"); pools != j.end()) {
        c.pools.clear();
        if (pools->is_object()) {
            for (auto& [name, pj] : pools->items()) {
                auto p = pool_from_json(name, pj, where);
                if (!p) return std::unexpected(p.error());
                c.pools.push_back(std::move(*p));
            }
        } else if (pools->is_array()) {
            for (auto& pj : *pools) {
                if (!pj.is_object() || !pj.contains("name") || !pj["name"].is_string())
                    return fail(Code::invalid_config, where + ": each entry of 'pools' needs a 'name'");
                auto p = pool_from_json(pj["name"].get<std::string>(), pj, where);
                if (!p) return std::unexpected(p.error());
                c.pools.push_back(std::move(*p));
            }
        } else {
            return fail(Code::invalid_config, where + ": 'pools' must be an object or an array");
        }
    }
    return c;
}

std::string usage() {
    return R"(usage: warrend [options]

warren's node-local IPAM agent: serves pod addresses to the `warren` CNI plugin.

  --config FILE          JSON config file (flags override it)
  --state-dir DIR        journal and snapshot directory       [/var/lib/warren]
  --socket PATH          CNI socket                            [/run/warren/warren.sock]
  --socket-group GROUP   group allowed on the CNI socket       [root only]
  --pod-cidr CIDR        pool "default": give once per family (IPv4 and/or IPv6)
  --cooldown N           seconds a released address rests before reuse [30]
  --gc-interval N        seconds between GC passes (1-3600)    [30]
  --gc-grace N           seconds a stale candidate must stay dead before release
                         (1-86400)                              [60]
  --delete-queue-dir DIR DELs queued by the plugin while warrend was down
                                                               [<socket dir>/delete-queue]
  --log-level LEVEL      trace|debug|info|warn|error           [info]
  --version              print the version
  -h, --help             this text
)";
}

Result<CommandLine> parse_command_line(int argc, char** argv) {
    enum {
        kConfig = 1000,
        kStateDir,
        kSocket,
        kSocketGroup,
        kPodCidr,
        kCooldown,
        kQueueDir,
        kLogLevel,
        kVersion,
        kGcInterval,
        kGcGrace
    };
    static const option opts[] = {{"config", required_argument, nullptr, kConfig},
                                  {"state-dir", required_argument, nullptr, kStateDir},
                                  {"socket", required_argument, nullptr, kSocket},
                                  {"socket-group", required_argument, nullptr, kSocketGroup},
                                  {"pod-cidr", required_argument, nullptr, kPodCidr},
                                  {"cooldown", required_argument, nullptr, kCooldown},
                                  {"gc-interval", required_argument, nullptr, kGcInterval},
                                  {"gc-grace", required_argument, nullptr, kGcGrace},
                                  {"delete-queue-dir", required_argument, nullptr, kQueueDir},
                                  {"log-level", required_argument, nullptr, kLogLevel},
                                  {"version", no_argument, nullptr, kVersion},
                                  {"help", no_argument, nullptr, 'h'},
                                  {nullptr, 0, nullptr, 0}};
    CommandLine cl;
    // Pass 1: only --config, so every other flag can override the file.
    struct Flag {
        int id;
        std::string value;
    };
    std::vector<Flag> flags;
    ::optind = 1;
    ::opterr = 0;
    int ch;
    while ((ch = ::getopt_long(argc, argv, "h", opts, nullptr)) != -1) {
        if (ch == '?') {
            std::string arg = ::optind - 1 < argc ? argv[::optind - 1] : "?";
            return fail(Code::invalid_config, "unknown or incomplete option '" + arg + "' (see --help)");
        }
        flags.push_back({ch, ::optarg ? ::optarg : ""});
    }
    if (::optind < argc) return fail(Code::invalid_config, std::string("unexpected argument '") + argv[::optind] + "'");
    for (auto& f : flags)
        if (f.id == kConfig) {
            auto c = load_file(f.value, cl.config);
            if (!c) return std::unexpected(c.error());
            cl.config = std::move(*c);
        }
    std::vector<std::string> cidrs;
    for (auto& f : flags) {
        switch (f.id) {
            case kStateDir: cl.config.state_dir = f.value; break;
            case kSocket: cl.config.socket = f.value; break;
            case kSocketGroup: cl.config.socket_group = f.value; break;
            case kPodCidr: cidrs.push_back(f.value); break;
            case kQueueDir: cl.config.delete_queue_dir = f.value; break;
            case kLogLevel: cl.config.log_level = f.value; break;
            case kVersion: cl.version = true; break;
            case 'h': cl.help = true; break;
            case kCooldown: {
                try {
                    size_t used = 0;
                    long long v = std::stoll(f.value, &used);
                    if (used != f.value.size() || v < 0) throw std::invalid_argument("x");
                    cl.config.cooldown_seconds = v;
                } catch (const std::exception&) {
                    return fail(Code::invalid_config, "--cooldown wants a whole number of seconds, got '" + f.value + "'");
                }
                break;
            }
            case kGcInterval:
            case kGcGrace: {
                const char* flag = f.id == kGcInterval ? "--gc-interval" : "--gc-grace";
                int64_t& out = f.id == kGcInterval ? cl.config.gc_interval_seconds
                                                   : cl.config.gc_grace_seconds;
                const char* end = f.value.data() + f.value.size();
                auto [p, ec] = std::from_chars(f.value.data(), end, out);
                if (f.value.empty() || ec != std::errc{} || p != end)
                    return fail(Code::invalid_config,
                                std::string(flag) + " wants a whole number of seconds, got '" +
                                    f.value + "'");
                break;
            }
            default: break;
        }
    }
    if (!cidrs.empty()) {
        for (auto& c : cidrs)
            if (auto p = IpPrefix::parse(c); !p) return fail(Code::invalid_config, "--pod-cidr: " + p.error().message);
        for (size_t i = 0; i < cidrs.size(); ++i)
            for (size_t k = i + 1; k < cidrs.size(); ++k)
                if (IpPrefix::parse(cidrs[i])->family() == IpPrefix::parse(cidrs[k])->family())
                    return fail(Code::invalid_config, "--pod-cidr given twice for one family (" + cidrs[i] +
                                                          ", " + cidrs[k] + "); give at most one IPv4 and one IPv6");
        auto sets = core::range_sets_from_cidrs(cidrs);
        if (!sets) return fail(Code::invalid_config, "--pod-cidr: " + sets.error().message);
        std::erase_if(cl.config.pools, [](const PoolSpec& p) { return p.name == "default"; });
        cl.config.pools.push_back({"default", std::move(*sets)});
    }
    if (auto s = validate(cl.config); !s) return std::unexpected(s.error());
    return cl;
}

Status validate(const AgentConfig& c) {
    if (!valid_level(c.log_level)) return fail(Code::invalid_config, "unknown log level '" + c.log_level + "'");
    if (c.cooldown_seconds < 0) return fail(Code::invalid_config, "cooldown must not be negative");
    if (c.gc_interval_seconds < 1 || c.gc_interval_seconds > 3600)
        return fail(Code::invalid_config,
                    "the GC interval (gc.intervalSeconds, --gc-interval) is " +
                        std::to_string(c.gc_interval_seconds) +
                        "; it must be a whole number from 1 to 3600 (seconds)");
    if (c.gc_grace_seconds < 1 || c.gc_grace_seconds > 86'400)
        return fail(Code::invalid_config,
                    "the GC grace (gc.graceSeconds, --gc-grace) is " +
                        std::to_string(c.gc_grace_seconds) +
                        "; it must be a whole number from 1 to 86400 (seconds)");
    if (c.max_frame_bytes < 1024 || c.max_frame_bytes > (16u << 20))
        return fail(Code::invalid_config, "maxFrameBytes must be between 1 KiB and 16 MiB");
    if (c.state_dir.empty()) return fail(Code::invalid_config, "state directory must not be empty");
    if (c.socket.empty()) return fail(Code::invalid_config, "socket path must not be empty");
    for (size_t i = 0; i < c.pools.size(); ++i)
        for (size_t k = i + 1; k < c.pools.size(); ++k) {
            if (c.pools[i].name == c.pools[k].name)
                return fail(Code::invalid_config, "pool '" + c.pools[i].name + "' is defined twice");
            for (auto& si : c.pools[i].sets)
                for (auto& ri : si)
                    for (auto& sk : c.pools[k].sets)
                        for (auto& rk : sk)
                            if (core::ranges_overlap(ri, rk))
                                return fail(Code::invalid_config, "pools '" + c.pools[i].name + "' and '" +
                                                                      c.pools[k].name + "' overlap: " +
                                                                      core::describe({ri}) + " and " + core::describe({rk}));
        }
    return {};
}

}  // namespace warren::config
