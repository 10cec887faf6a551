#include "request.hpp"

#include <algorithm>

#include "warren/ip.hpp"

namespace warren::cni {

namespace {

Status add_ips(const std::vector<std::string>& in, const char* source,
               std::vector<std::string>& out) {
    for (auto& text : in) {
        std::string_view addr = text;
        if (auto slash = addr.find('/'); slash != std::string_view::npos) {
            if (!IpPrefix::parse(text))
                return fail(Code::invalid_config,
                            std::string("invalid requested address '") + text + "' in " + source);
            addr = addr.substr(0, slash);
        }
        auto ip = IpAddress::parse(addr);
        if (!ip)
            return fail(Code::invalid_config,
                        std::string("invalid requested address '") + text + "' in " + source);
        auto s = ip->str();
        if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
    }
    return {};
}

// The compact request form carries at most 65535 bytes per string and entries per list. Longer
// ones are refused here, naming where they came from, rather than sent to fail at the agent.
Status check_wire_limits(const Env& env, const proto::Request& req) {
    constexpr size_t kMax = proto::kMaxCompactField;
    struct Field {
        const std::string* value;
        const char* source;
        Code code;
    };
    const std::string no_pool;
    const Field fields[] = {
        {&req.network, "the network config's name", Code::invalid_config},
        {&req.container_id, "CNI_CONTAINERID", Code::invalid_env},
        {&req.ifname, "CNI_IFNAME", Code::invalid_env},
        {&req.netns, "CNI_NETNS", Code::invalid_env},
        {&req.pod.namespace_, "CNI_ARGS K8S_POD_NAMESPACE", Code::invalid_env},
        {&req.pod.name, "CNI_ARGS K8S_POD_NAME", Code::invalid_env},
        {&req.pod.uid, "CNI_ARGS K8S_POD_UID", Code::invalid_env},
        {req.pool ? &*req.pool : &no_pool, "ipam.pool", Code::invalid_config},
        {req.requested_pool ? &*req.requested_pool : &no_pool, req.requested_pool_from.c_str(),
         Code::invalid_config},
    };
    for (const auto& f : fields)
        if (f.value->size() > kMax)
            return fail(f.code, std::string(f.source) + " is " + std::to_string(f.value->size()) +
                                    " bytes long; warren passes at most " + std::to_string(kMax) +
                                    " bytes to warrend");
    if (req.ips.size() > kMax)
        return fail(env.args.ips.size() > kMax ? Code::invalid_env : Code::invalid_config,
                    std::to_string(req.ips.size()) + " requested addresses; warren passes at most " +
                        std::to_string(kMax));
    if (req.valid_attachments.size() > kMax)
        return fail(Code::invalid_config,
                    "cni.dev/valid-attachments has " + std::to_string(req.valid_attachments.size()) +
                        " entries; warren passes at most " + std::to_string(kMax));
    for (const auto& a : req.valid_attachments)
        if (a.container_id.size() > kMax || a.ifname.size() > kMax)
            return fail(Code::invalid_config,
                        "an entry of cni.dev/valid-attachments is longer than " +
                            std::to_string(kMax) + " bytes");
    if (auto s = proto::check_compact_limits(req); !s)
        return fail(Code::invalid_config, s.error().message);
    return {};
}

}  // namespace

Result<std::vector<std::string>> requested_ips(const CniArgs& args, const NetConf& conf) {
    std::vector<std::string> out;
    if (auto s = add_ips(args.ips, "CNI_ARGS IP", out); !s) return std::unexpected(s.error());
    if (auto s = add_ips(conf.args_ips, "args.cni.ips", out); !s) return std::unexpected(s.error());
    if (auto s = add_ips(conf.runtime_ips, "runtimeConfig.ips", out); !s)
        return std::unexpected(s.error());
    return out;
}

Result<std::vector<std::string>> prev_result_ips(const NetConf& conf) {
    if (!conf.prev_result)
        return fail(Code::invalid_config, "CHECK needs a prevResult in the network config");
    std::vector<std::string> out;
    auto it = conf.prev_result->find("ips");
    if (it == conf.prev_result->end() || it->is_null()) return out;
    if (!it->is_array()) return fail(Code::invalid_config, "prevResult.ips must be an array");
    for (auto& e : *it) {
        auto addr = e.is_object() ? e.find("address") : e.end();
        if (!e.is_object() || addr == e.end() || !addr->is_string())
            return fail(Code::invalid_config, "prevResult.ips entries must have an address");
        const auto& text = addr->get_ref<const std::string&>();
        auto prefix = IpPrefix::parse(text);
        auto ip = IpAddress::parse(std::string_view(text).substr(0, text.find('/')));
        if (!prefix || !ip)
            return fail(Code::invalid_config, "invalid prevResult address '" + text + "'");
        auto s = ip->str();
        if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
    }
    return out;
}

Result<proto::Request> build_request(const Env& env, const NetConf& conf) {
    proto::Request req;
    req.network = conf.name;
    req.pool = conf.ipam.pool;
    req.ranges = conf.ipam.ranges;
    switch (env.command) {
        case Command::add: {
            req.op = proto::Op::add;
            auto ips = requested_ips(env.args, conf);
            if (!ips) return std::unexpected(ips.error());
            req.ips = std::move(*ips);
            req.requested_pool = conf.requested_pool;
            req.requested_pool_from = conf.requested_pool_from;
            break;
        }
        case Command::del:
            req.op = proto::Op::del;
            break;
        case Command::check: {
            req.op = proto::Op::check;
            auto ips = prev_result_ips(conf);
            if (!ips) return std::unexpected(ips.error());
            req.ips = std::move(*ips);
            break;
        }
        case Command::gc:
            req.op = proto::Op::gc;
            if (!conf.valid_attachments)
                return fail(Code::invalid_config,
                            "GC without cni.dev/valid-attachments: refusing to release every "
                            "reservation of network " +
                                conf.name);
            req.valid_attachments = *conf.valid_attachments;
            break;
        case Command::status:
            req.op = proto::Op::status;
            break;
        case Command::version:
            return fail(Code::internal, "VERSION sends no request");
    }
    if (env.command == Command::add || env.command == Command::del ||
        env.command == Command::check) {
        req.container_id = env.container_id;
        req.ifname = env.ifname;
        req.netns = env.netns;
        req.pod = env.args.pod;
    }
    if (auto s = check_wire_limits(env, req); !s) return std::unexpected(s.error());
    return req;
}

}  // namespace warren::cni
