#pragma once
// CNI spec versions the plugin speaks, and libcni skel's per-command version gates.
#include <array>
#include <compare>
#include <optional>
#include <string_view>

#include "warren/error.hpp"

namespace warren::cni {

inline constexpr std::array<std::string_view, 5> kSupportedVersions{"0.3.0", "0.3.1", "0.4.0",
                                                                    "1.0.0", "1.1.0"};
inline constexpr std::string_view kLatestVersion = "1.1.0";

struct SemVer {
    int major = 0, minor = 0, patch = 0;
    auto operator<=>(const SemVer&) const = default;
};

// Strict "X.Y.Z" with decimal components; nullopt otherwise.
std::optional<SemVer> parse_semver(std::string_view text);
bool is_supported_version(std::string_view version);

// The command names used in messages: "ADD", "CHECK", ...
enum class Command { add, del, check, gc, status, version };
std::string_view command_name(Command c);
std::optional<Command> command_from_name(std::string_view name);

// Whether `config_version` may be used with `command`. Errors (all Code::incompatible_version):
// an absent or malformed version, CHECK below 0.4.0 and GC/STATUS below 1.1.0 ("config version
// does not allow CHECK", as libcni's skel says), and any version not in kSupportedVersions.
Status check_version(Command command, std::string_view config_version);

}  // namespace warren::cni
