#include "plugin.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>

#include "netconf.hpp"
#include "request.hpp"
#include "resolv_conf.hpp"
#include "result.hpp"
#include "version.hpp"

namespace warren::cni {

namespace {

// "10 s", "2.5 s", "0.3 s".
std::string seconds(int ms) {
    std::string out = std::to_string(ms / 1000);
    if (int frac = ms % 1000; frac != 0) {
        std::string digits = std::to_string(1000 + frac).substr(1);
        digits.erase(digits.find_last_not_of('0') + 1);
        out += "." + digits;
    }
    return out + " s";
}

// warrend could not be reached (a Code::try_again from the client): what happened, once, and
// what to do about it.
Error unreachable(Code code, const IpamConf& ipam, const Error& e) {
    const std::string& socket = ipam.socket;
    std::string msg;
    switch (e.sys_errno) {
        case ENOENT:
            msg = "cannot reach warrend: there is no socket at " + socket +
                  "; start warrend, or set ipam.socket to the path warrend listens on (its "
                  "--socket)";
            break;
        case ECONNREFUSED:
            msg = "cannot reach warrend: nothing listens on " + socket +
                  " (a socket left by a warrend that stopped); start warrend";
            break;
        case EACCES:
        case EPERM:
            msg = "cannot reach warrend: the plugin (uid " + std::to_string(::geteuid()) +
                  ") may not connect to " + socket + " (" + std::strerror(e.sys_errno) +
                  "); run the plugin as root, or allow its group with warrend's socketGroup "
                  "(--socket-group)";
            break;
        case ETIMEDOUT:
            msg = "warrend at " + socket + " did not answer within " + seconds(ipam.timeout_ms) +
                  " (ipam.timeoutSeconds): it is busy or hung; check its log, or raise "
                  "ipam.timeoutSeconds";
            break;
        case ECONNRESET:
        case EPIPE:
            msg = "warrend at " + socket +
                  " closed the connection before answering (it may have restarted); check its "
                  "log and try again";
            break;
        default:
            msg = "cannot reach warrend at " + socket + ": " +
                  (e.sys_errno != 0 ? std::string(std::strerror(e.sys_errno)) : e.message) +
                  "; check that ipam.socket names warrend's socket";
    }
    return Error{code, std::move(msg), {}, 0};
}

// The socket is served by someone the plugin does not trust (code 5: retrying would meet the
// same server, so this is not "try again later").
Error untrusted(const IpamConf& ipam, const Error& e) {
    return Error{Code::io,
                 e.message +
                     "; the plugin does not trust it. If warrend runs as that user, name it in "
                     "ipam.agentUser; otherwise find out what listens on " +
                     ipam.socket + " and who can write its directory",
                 {},
                 0};
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
        auto opts = call_options(conf->ipam);
        if (!opts) return error(opts.error());
        opts_ = *opts;
        if (env->command == Command::add) {
            req->netns_inode = host_.netns_inode(req->netns);
            // Before connecting: a plugin stuck in the pod's namespace has allocated nothing.
            auto cookie = host_.netns_cookie(req->netns);
            if (!cookie) return error(cookie.error());
            req->netns_cookie = *cookie;
        }
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
    // Who may serve the socket: root and ipam.agentUser, a name looked up only when given.
    Result<proto::CallOptions> call_options(const IpamConf& ipam) {
        proto::CallOptions opts{ipam.timeout_ms, ipam.agent_uid};
        if (ipam.agent_user.empty()) return opts;
        auto passwd = host_.read_file("/etc/passwd");
        if (!passwd)
            return fail(Code::invalid_config, "ipam.agentUser names user '" + ipam.agent_user +
                                                  "', but /etc/passwd cannot be read (" +
                                                  passwd.error().describe() +
                                                  "); give the uid instead");
        opts.agent_uid = uid_in_passwd(*passwd, ipam.agent_user);
        if (!opts.agent_uid)
            return fail(Code::invalid_config, "ipam.agentUser: there is no user '" +
                                                  ipam.agent_user +
                                                  "' in /etc/passwd; name a user listed there, "
                                                  "or give the uid");
        return opts;
    }

    Result<proto::Response> call(const NetConf& conf, const proto::Request& req) {
        auto resp = host_.call(conf.ipam.socket, req, opts_);
        if (!resp && proto::untrusted_peer(resp.error()))
            return std::unexpected(untrusted(conf.ipam, resp.error()));
        return resp;
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
                return error(unreachable(Code::try_again, conf.ipam, resp.error()));
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
        Error down = unreachable(Code::try_again, conf.ipam, resp.error());
        const std::string& dir = conf.ipam.delete_queue_dir;
        if (auto q = host_.enqueue_delete(dir, req); !q) {
            return error(Error{Code::try_again,
                               down.message + ". The DEL could not be queued in " + dir +
                                   " either: " + q.error().describe(),
                               down.details, 0});
        }
        host_.log("warren: " + down.message + ". DEL of container " + req.container_id +
                  " interface " + req.ifname + " on network " + req.network + " queued in " + dir +
                  "; warrend applies it when it starts");
        return {0, {}};
    }

    Outcome simple(const NetConf& conf, const proto::Request& req) {
        auto resp = call(conf, req);
        if (!resp) {
            if (resp.error().code == Code::try_again)
                return error(unreachable(Code::try_again, conf.ipam, resp.error()));
            return error(resp.error());
        }
        return resp->ok ? Outcome{0, {}} : error(agent_error(*resp));
    }

    Outcome status(const NetConf& conf, const proto::Request& req) {
        auto resp = call(conf, req);
        // Whatever breaks the exchange, an ADD could not be served now.
        if (!resp) {
            if (resp.error().code == Code::try_again)
                return error(unreachable(Code::unavailable, conf.ipam, resp.error()));
            return error(Error{Code::unavailable, resp.error().message, resp.error().details, 0});
        }
        return resp->ok ? Outcome{0, {}} : error(agent_error(*resp));
    }

    const EnvLookup& getenv_;
    std::string_view stdin_;
    Host& host_;
    std::string version_;  // the config's cniVersion, for error output
    proto::CallOptions opts_;
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
