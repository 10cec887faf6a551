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
    return req;
}

}  // namespace warren::cni
