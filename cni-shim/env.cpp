#include "env.hpp"

#include <algorithm>
#include <cctype>

namespace warren::cni {

namespace {

bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::string_view trim(std::string_view s) {
    auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (!s.empty() && ws(s.front())) s.remove_prefix(1);
    while (!s.empty() && ws(s.back())) s.remove_suffix(1);
    return s;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

bool valid_utf8(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 1, cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2, cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3, cp = c & 0x07;
        } else {
            return false;
        }
        if (i + n >= s.size()) return false;  // truncated sequence
        for (size_t k = 1; k <= n; ++k) {
            auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3f);
        }
        static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
        if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += n + 1;
    }
    return true;
}

Status validate_container_id(std::string_view id) {
    if (id.empty())
        return fail(Code::invalid_env, "required env variables [CNI_CONTAINERID] missing");
    bool ok = is_alnum(id.front()) && std::all_of(id.begin(), id.end(), [](char c) {
                  return is_alnum(c) || c == '_' || c == '.' || c == '-';
              });
    if (!ok)
        return fail(Code::invalid_env, "invalid characters in CNI_CONTAINERID", std::string(id));
    return {};
}

Status validate_ifname(std::string_view ifname) {
    if (ifname.empty())
        return fail(Code::invalid_env, "required env variables [CNI_IFNAME] missing");
    if (ifname.size() > 15)
        return fail(Code::invalid_env, "CNI_IFNAME is too long",
                    "'" + std::string(ifname) + "': interface names have at most 15 bytes");
    if (ifname == "." || ifname == "..") return fail(Code::invalid_env, "CNI_IFNAME is . or ..");
    for (char c : ifname)
        if (c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c)))
            return fail(Code::invalid_env, "CNI_IFNAME contains / or : or whitespace",
                        std::string(ifname));
    if (!valid_utf8(ifname)) return fail(Code::invalid_env, "CNI_IFNAME is not valid UTF-8");
    return {};
}

Result<CniArgs> parse_cni_args(std::string_view text) {
    struct Pair {
        std::string_view key, value;
    };
    std::vector<Pair> pairs;
    while (!text.empty()) {
        auto semi = text.find(';');
        auto pair = text.substr(0, semi);
        text = semi == std::string_view::npos ? std::string_view{} : text.substr(semi + 1);
        if (trim(pair).empty()) continue;
        auto eq = pair.find('=');
        if (eq == std::string_view::npos || pair.find('=', eq + 1) != std::string_view::npos ||
            eq == 0)
            return fail(Code::invalid_env, "CNI_ARGS: invalid pair '" + std::string(pair) + "'",
                        "CNI_ARGS must be KEY=VALUE pairs separated by ';'");
        pairs.push_back({pair.substr(0, eq), pair.substr(eq + 1)});
    }

    CniArgs args;
    // IgnoreUnknown applies to the whole list wherever it appears (as libcni's LoadArgs).
    for (auto& p : pairs) {
        if (p.key != "IgnoreUnknown") continue;
        auto v = lower(p.value);
        if (v == "1" || v == "true")
            args.ignore_unknown = true;
        else if (v == "0" || v == "false")
            args.ignore_unknown = false;
        else
            return fail(Code::invalid_env,
                        "CNI_ARGS: IgnoreUnknown must be 1, 0, true or false, not '" +
                            std::string(p.value) + "'");
    }
    std::vector<std::string> unknown;
    for (auto& p : pairs) {
        if (!valid_utf8(p.value))
            return fail(Code::invalid_env,
                        "CNI_ARGS: the value of " + std::string(p.key) + " is not valid UTF-8");
        std::string value(p.value);
        if (p.key == "IgnoreUnknown") continue;
        if (p.key == "IP") {
            args.ips.clear();
            std::string_view rest = p.value;
            while (!rest.empty()) {
                auto comma = rest.find(',');
                auto item = trim(rest.substr(0, comma));
                rest =
                    comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
                if (!item.empty()) args.ips.emplace_back(item);
            }
        } else if (p.key == "K8S_POD_NAMESPACE") {
            args.pod.namespace_ = value;
        } else if (p.key == "K8S_POD_NAME") {
            args.pod.name = value;
        } else if (p.key == "K8S_POD_UID") {
            args.pod.uid = value;
        } else if (p.key == "K8S_POD_INFRA_CONTAINER_ID") {
            args.infra_container_id = value;
        } else if (!args.ignore_unknown) {
            unknown.emplace_back(p.key);
        }
    }
    if (!unknown.empty()) {
        std::string keys;
        for (auto& k : unknown) keys += (keys.empty() ? "" : ", ") + k;
        return fail(Code::invalid_env, "CNI_ARGS: unknown key(s) " + keys,
                    "known keys are IP, K8S_POD_NAMESPACE, K8S_POD_NAME, K8S_POD_UID, "
                    "K8S_POD_INFRA_CONTAINER_ID; add IgnoreUnknown=1 to accept others");
    }
    return args;
}

Result<Env> parse_env(const EnvLookup& getenv) {
    auto get = [&](const char* name) -> std::string {
        const char* v = getenv(name);
        return v ? std::string(v) : std::string();
    };
    Env env;
    std::string cmd = get("CNI_COMMAND");
    if (cmd.empty()) return fail(Code::invalid_env, "required env variables [CNI_COMMAND] missing");
    auto command = command_from_name(cmd);
    if (!command)
        return fail(Code::invalid_env, "unknown CNI_COMMAND: " + cmd,
                    "expected ADD, DEL, CHECK, GC, STATUS or VERSION");
    env.command = *command;
    env.container_id = get("CNI_CONTAINERID");
    env.netns = get("CNI_NETNS");
    env.ifname = get("CNI_IFNAME");
    env.path = get("CNI_PATH");

    Command c = env.command;
    bool attach = c == Command::add || c == Command::check || c == Command::del;
    std::vector<std::string> missing;
    if (attach && env.container_id.empty()) missing.emplace_back("CNI_CONTAINERID");
    if ((c == Command::add || c == Command::check) && env.netns.empty())
        missing.emplace_back("CNI_NETNS");
    if (attach && env.ifname.empty()) missing.emplace_back("CNI_IFNAME");
    if (c != Command::version && env.path.empty()) missing.emplace_back("CNI_PATH");
    if (!missing.empty()) {
        std::string joined;
        for (auto& m : missing) joined += (joined.empty() ? "" : ",") + m;
        return fail(Code::invalid_env, "required env variables [" + joined + "] missing",
                    "CNI_COMMAND=" + cmd);
    }
    if (attach) {
        if (auto s = validate_container_id(env.container_id); !s) return std::unexpected(s.error());
        if (auto s = validate_ifname(env.ifname); !s) return std::unexpected(s.error());
        if (!valid_utf8(env.netns)) return fail(Code::invalid_env, "CNI_NETNS is not valid UTF-8");
        auto args = parse_cni_args(get("CNI_ARGS"));
        if (!args) return std::unexpected(args.error());
        env.args = std::move(*args);
    }
    return env;
}

}  // namespace warren::cni
