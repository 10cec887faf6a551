#include "version.hpp"

#include <algorithm>
#include <charconv>
#include <string>

namespace warren::cni {

std::optional<SemVer> parse_semver(std::string_view text) {
    SemVer v;
    int* parts[] = {&v.major, &v.minor, &v.patch};
    const char* p = text.data();
    const char* end = text.data() + text.size();
    for (int i = 0; i < 3; ++i) {
        if (i > 0) {
            if (p == end || *p != '.') return std::nullopt;
            ++p;
        }
        if (p == end || *p < '0' || *p > '9') return std::nullopt;
        auto [next, ec] = std::from_chars(p, end, *parts[i]);
        if (ec != std::errc{}) return std::nullopt;
        p = next;
    }
    if (p != end) return std::nullopt;
    return v;
}

bool is_supported_version(std::string_view version) {
    return std::find(kSupportedVersions.begin(), kSupportedVersions.end(), version) !=
           kSupportedVersions.end();
}

std::string_view command_name(Command c) {
    switch (c) {
        case Command::add:
            return "ADD";
        case Command::del:
            return "DEL";
        case Command::check:
            return "CHECK";
        case Command::gc:
            return "GC";
        case Command::status:
            return "STATUS";
        case Command::version:
            return "VERSION";
    }
    return "?";
}

std::optional<Command> command_from_name(std::string_view name) {
    for (Command c : {Command::add, Command::del, Command::check, Command::gc, Command::status,
                      Command::version})
        if (command_name(c) == name) return c;
    return std::nullopt;
}

Status check_version(Command command, std::string_view config_version) {
    std::string supported;
    for (auto v : kSupportedVersions) supported += (supported.empty() ? "" : ", ") + std::string(v);
    if (config_version.empty())
        return fail(
            Code::incompatible_version, "incompatible CNI versions",
            "the network config has no cniVersion (taken as 0.1.0); plugin supports " + supported);
    auto v = parse_semver(config_version);
    if (!v)
        return fail(Code::incompatible_version, "incompatible CNI versions",
                    "cniVersion '" + std::string(config_version) +
                        "' is not a version; plugin supports " + supported);
    std::optional<SemVer> gate;
    if (command == Command::check) gate = SemVer{0, 4, 0};
    if (command == Command::gc || command == Command::status) gate = SemVer{1, 1, 0};
    if (gate && *v < *gate)
        return fail(Code::incompatible_version,
                    "config version does not allow " + std::string(command_name(command)),
                    "cniVersion is " + std::string(config_version) + "; " +
                        std::string(command_name(command)) + " needs " +
                        std::to_string(gate->major) + "." + std::to_string(gate->minor) + "." +
                        std::to_string(gate->patch) + " or later");
    if (!is_supported_version(config_version))
        return fail(Code::incompatible_version, "incompatible CNI versions",
                    "config is " + std::string(config_version) + ", plugin supports " + supported);
    return {};
}

}  // namespace warren::cni
