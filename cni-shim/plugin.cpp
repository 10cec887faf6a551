#include "plugin.hpp"

#include <cstring>
#include <exception>

#include "netconf.hpp"
#include "request.hpp"
#include "resolv_conf.hpp"
#include "result.hpp"
#include "version.hpp"

namespace warren::cni {

namespace {

// Why the agent could not be reached, without repeating the socket path.
std::string reason(const Error& e) {
    if (e.sys_errno != 0) return std::strerror(e.sys_errno);
    return e.message;
}

Error unreachable(Code code, const std::string& socket, const Error& e) {
    return Error{
        code, "warrend is not reachable at " + socket + ": " + reason(e) + "; is warrend running?",
        e.describe(), 0};
}

Error agent_error(const proto::Response& r) {
    Code code = static_cast<int>(r.code) > 0 ? r.code : Code::internal;
    return Error{code, r.msg.empty() ? "warrend refused the request" : r.msg, r.details, 0};
}

class Invocation {
  public:
    Invocation(const EnvLookup& getenv, std::string_view stdin_data, Host& host)
        : getenv_(getenv), stdin_(stdin_data), host_(host) {}

    Outcome run() {
        auto conf_json = parse_json_object(stdin_);
        if (conf_json) version_ = config_version(*conf_json);
        auto env = parse_env(getenv_);
        if (!env) return error(env.error());
        if (env->command == Command::version)
            return {0, format_version_result(version_.empty() ? std::string(kLatestVersion)
                                                              : version_)};
        if (!conf_json) return error(conf_json.error());
        auto conf = parse_netconf(*conf_json);
        if (!conf) return error(conf.error());
        if (auto s = check_version(env->command, conf->cni_version); !s) return error(s.error());
        auto req = build_request(*env, *conf);
        if (!req) return error(req.error());
        if (env->command == Command::add) req->netns_inode = host_.netns_inode(req->netns);
        switch (env->command) {
            case Command::add:
                return add(*conf, *req);
            case Command::del:
                return del(*conf, *req);
            case Command::check:
            case Command::gc:
                return simple(*conf, *req);
            case Command::status:
                return status(*conf, *req);
            case Command::version:
                break;
        }
        return error(Error{Code::internal, "unhandled command", {}, 0});
    }

    Outcome error(const Error& e) const { return {1, format_error(error_version(version_), e)}; }

  private:
    Result<proto::Response> call(const NetConf& conf, const proto::Request& req) {
        return host_.call(conf.ipam.socket, req, conf.ipam.timeout_ms);
    }

    Outcome add(const NetConf& conf, const proto::Request& req) {
        // Read resolvConf before allocating, so a bad path cannot leak an address.
        Dns dns;
        if (!conf.ipam.resolv_conf.empty()) {
            auto text = host_.read_file(conf.ipam.resolv_conf);
            if (!text)
                return error(Error{Code::io, "cannot read ipam.resolvConf " + conf.ipam.resolv_conf,
                                   text.error().describe(), 0});
            dns = parse_resolv_conf(*text);
        }
        auto resp = call(conf, req);
        if (!resp) {
            if (resp.error().code == Code::try_again)
                return error(unreachable(Code::try_again, conf.ipam.socket, resp.error()));
            return error(resp.error());
        }
        if (!resp->ok) return error(agent_error(*resp));
        if (resp->ips.empty())
            return error(Error{Code::internal, "warrend answered ADD without an address", {}, 0});
        auto out = format_add_result(conf.cni_version, resp->ips, conf.ipam.routes, dns);
        if (!out) return error(out.error());
        return {0, std::move(*out)};
    }

    Outcome del(const NetConf& conf, const proto::Request& req) {
        auto resp = call(conf, req);
        if (resp) return resp->ok ? Outcome{0, {}} : error(agent_error(*resp));
        if (resp.error().code != Code::try_again) return error(resp.error());
        Error down = unreachable(Code::try_again, conf.ipam.socket, resp.error());
        const std::string& dir = conf.ipam.delete_queue_dir;
        if (auto q = host_.enqueue_delete(dir, req); !q) {
            return error(Error{Code::try_again,
                               down.message + " The DEL could not be queued in " + dir +
                                   " either: " + q.error().describe(),
                               down.details, 0});
        }
        host_.log("warren: " + down.message + " DEL of container " + req.container_id +
                  " interface " + req.ifname + " on network " + req.network + " queued in " + dir +
                  "; warrend applies it when it starts");
        return {0, {}};
    }

    Outcome simple(const NetConf& conf, const proto::Request& req) {
        auto resp = call(conf, req);
        if (!resp) {
            if (resp.error().code == Code::try_again)
                return error(unreachable(Code::try_again, conf.ipam.socket, resp.error()));
            return error(resp.error());
        }
        return resp->ok ? Outcome{0, {}} : error(agent_error(*resp));
    }

    Outcome status(const NetConf& conf, const proto::Request& req) {
        auto resp = call(conf, req);
        // Whatever breaks the exchange, an ADD could not be served now.
        if (!resp) return error(unreachable(Code::unavailable, conf.ipam.socket, resp.error()));
        return resp->ok ? Outcome{0, {}} : error(agent_error(*resp));
    }

    const EnvLookup& getenv_;
    std::string_view stdin_;
    Host& host_;
    std::string version_;  // the config's cniVersion, for error output
};

}  // namespace

Outcome run(const EnvLookup& getenv, std::string_view stdin_data, Host& host) {
    Invocation inv(getenv, stdin_data, host);
    try {
        return inv.run();
    } catch (const std::exception& e) {
        return inv.error(Error{Code::internal, std::string("internal error: ") + e.what(), {}, 0});
    }
}

}  // namespace warren::cni
