#include "run.hpp"

#include <time.h>

#include <cstring>
#include <optional>

#include "args.hpp"
#include "check_flags/report.hpp"
#include "commands.hpp"
#include "list_answer.hpp"
#include "plan_command.hpp"
#include "render.hpp"
#include "warren/admin_protocol.hpp"

namespace warren::ctl {

namespace {

// The agent's answer, or the exit code after the failure has been reported.
using Answer = std::expected<json, int>;

// Reports a failed call or an ok:false answer.
Answer settle(const Invocation& inv, Result<json> answer, const Io& io) {
    const std::string& socket = inv.global.admin_socket;
    if (!answer) {
        const Error& e = answer.error();
        if (e.code == Code::try_again) {
            io.err << "warrenctl: " << unreachable_message(e, socket, inv.global.timeout_ms)
                   << "\n";
            return std::unexpected(static_cast<int>(Exit::unreachable));
        }
        io.err << "warrenctl: " << e.describe() << "\n";
        if (e.code == Code::invalid_config) return std::unexpected(static_cast<int>(Exit::usage));
        return std::unexpected(static_cast<int>(Exit::failed));
    }
    if (answer->value("ok", false)) return std::move(*answer);

    const std::string error = answer->value("error", std::string());
    const std::string details = answer->value("details", std::string());
    const int code = answer->value("code", 0);
    if (inv.global.json) io.out << answer->dump(2) << "\n";
    if (code == static_cast<int>(Code::io) && error.starts_with("permission denied")) {
        io.err << "warrenctl: warrend at " << socket << " refused this caller: " << error
               << "\nrun warrenctl as root, or as a member of warrend's admin group\n";
        return std::unexpected(static_cast<int>(Exit::unreachable));
    }
    io.err << "warrenctl: " << error << " (code " << code << ")\n";
    if (!details.empty()) io.err << "  " << details << "\n";
    return std::unexpected(static_cast<int>(Exit::failed));
}

Answer exchange(const Invocation& inv, const json& request, const Io& io) {
    return settle(inv, io.call(inv.global.admin_socket, request, inv.global.timeout_ms), io);
}

// `list` read without a DOM: the table, or the result's text indented as dump(2) would
// (--json), in one write.
// nullopt when the answer is for the DOM path (a failure, or a shape parse_list_answer leaves
// to it), with `answer` set to the checked answer.
std::optional<int> list_fast(const Invocation& inv, const json& request, const Io& io,
                             Answer& answer) {
    const std::string& socket = inv.global.admin_socket;
    auto text = io.call_text(socket, request, inv.global.timeout_ms);
    if (text) {
        if (auto a = parse_list_answer(*text); a && (!inv.global.json || a->result_text)) {
            std::string out;
            if (inv.global.json) {
                out = indent_json(*a->result_text);
                out.push_back('\n');
            } else {
                out = render_list_rows(a->rows, io.now_ns());
            }
            io.out.write(out.data(), static_cast<std::streamsize>(out.size()));
            return static_cast<int>(Exit::ok);
        }
    }
    if (text)
        answer = settle(inv, admin::decode_answer(*text, socket), io);
    else
        answer = settle(inv, std::unexpected(text.error()), io);
    return std::nullopt;
}

// The command's result with what warrenctl found itself (import's local refusals) and the
// request's dryRun, which the renderers show.
json complete(json result, const Prepared& p) {
    if (!p.local_refused.empty()) {
        json refused = p.local_refused;
        for (auto& r : list(result, "refused")) refused.push_back(r);
        result["refused"] = std::move(refused);
    }
    const json& args = p.request["args"];
    if (args.contains("dryRun") && !result.contains("dryRun")) result["dryRun"] = args["dryRun"];
    return result;
}

bool sleep_unless_stopped(const Io& io) {
    for (int waited = 0; waited < io.follow_interval_ms; waited += 50) {
        if (io.stop && io.stop->load()) return false;
        timespec ts{0, std::min(50, io.follow_interval_ms - waited) * 1'000'000L};
        ::nanosleep(&ts, nullptr);
    }
    return !(io.stop && io.stop->load());
}

int follow_events(const Invocation& inv, json request, const Io& io) {
    if (io.on_follow) io.on_follow();
    bool header = true;
    for (;;) {
        auto answer = exchange(inv, request, io);
        if (!answer) return answer.error();
        const json& result = (*answer)["result"];
        const json& events = list(result, "events");
        if (inv.global.json) {
            for (auto& e : events) io.out << e.dump() << "\n";
        } else if (!events.empty()) {
            io.out << render_events(result, io.now_ns(), header);
            header = false;
        }
        io.out.flush();
        if (result.contains("next")) request["args"]["since"] = result["next"];
        if (!sleep_unless_stopped(io)) return static_cast<int>(Exit::ok);
    }
}

}  // namespace

std::string unreachable_message(const Error& e, const std::string& socket, int timeout_ms) {
    const std::string text = e.sys_errno ? std::strerror(e.sys_errno) : e.message;
    switch (e.sys_errno) {
        case ENOENT:
            return "cannot reach warrend: there is no admin socket at " + socket + " (" + text +
                   "); is warrend running (systemctl status warrend)? If it listens elsewhere, "
                   "name its socket with --admin-socket PATH";
        case ECONNREFUSED:
            return "cannot reach warrend: nothing listens on " + socket + " (" + text +
                   "): warrend is not running (the socket was left by one that stopped); start "
                   "it (systemctl start warrend)";
        case EACCES:
        case EPERM:
            return "cannot reach warrend: this user (uid " + std::to_string(::geteuid()) +
                   ") may not connect to " + socket + " (" + text +
                   "); run warrenctl as root (sudo), or as a member of warrend's admin group";
        case ETIMEDOUT:
            return "warrend at " + socket + " did not answer within " + std::to_string(timeout_ms) +
                   " ms: it is busy or hung; check its log (journalctl -u warrend), or raise "
                   "--timeout";
        case ECONNRESET:
        case EPIPE:
            return "warrend at " + socket + " closed the connection before answering (" + text +
                   "): it may have restarted, or refused this caller; check its log and try again";
        default:
            return "cannot reach warrend at " + socket + " (" + text +
                   "); is warrend running, and is this its admin socket (--admin-socket)?";
    }
}

int run(std::span<const std::string_view> args, const Io& io) {
    auto inv = parse_args(args);
    if (!inv) {
        io.err << "warrenctl: " << inv.error().message << "\n\n" << usage(inv.error().command);
        return static_cast<int>(Exit::usage);
    }
    if (inv->global.version) {
        io.out << "warrenctl " << WARREN_VERSION << "\n";
        return static_cast<int>(Exit::ok);
    }
    if (inv->global.help) {
        io.out << usage(inv->command);
        return static_cast<int>(Exit::ok);
    }
    if (inv->command == "plan") return run_plan(*inv, io);
    if (inv->command == "check-flags")  // offline: reads files, asks no agent
        return check_flags::run({inv->value("--root").value_or("/"),
                                 inv->value("--kube-proxy-config").value_or(""),
                                 inv->values("--from-args")},
                                inv->global.json, io.out, io.err);
    const Command* command = find_handler(inv->command);
    auto prepared = command->prepare(*inv);
    if (!prepared) {
        io.err << "warrenctl: " << prepared.error().message << "\n";
        if (prepared.error().exit == Exit::usage) io.err << "\n" << usage(inv->command);
        return static_cast<int>(prepared.error().exit);
    }
    if (inv->command == "events" && inv->has("--follow"))
        return follow_events(*inv, prepared->request, io);

    Answer answer;
    if (inv->command == "list" && io.call_text) {
        if (auto done = list_fast(*inv, prepared->request, io, answer)) return *done;
    } else {
        answer = exchange(*inv, prepared->request, io);
    }
    if (!answer) return answer.error();
    try {
        json result = complete(std::move((*answer)["result"]), *prepared);
        if (inv->global.json)
            io.out << result.dump(2) << "\n";
        else
            io.out << command->render(result, io.now_ns());
        if (io.retire) io.retire(std::move(result));
    } catch (const json::exception& e) {
        io.err << "warrenctl: warrend's answer to " << inv->command
               << " is not what this warrenctl understands (are they the same version?): "
               << e.what() << "\n";
        return static_cast<int>(Exit::failed);
    }
    return static_cast<int>(Exit::ok);
}

}  // namespace warren::ctl
