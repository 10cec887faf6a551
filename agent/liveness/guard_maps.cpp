#include "liveness/guard_maps.hpp"

#include <string>

namespace warren::liveness {

Result<SpoofMode> parse_spoof_mode(std::string_view text) {
    if (text == "off") return SpoofMode::off;
    if (text == "log") return SpoofMode::log;
    if (text == "drop") return SpoofMode::drop;
    return fail(Code::invalid_config, "antiSpoofing must be \"off\", \"log\" or \"drop\", not \"" +
                                          std::string(text) + "\"");
}

std::string_view to_string(SpoofMode mode) {
    switch (mode) {
        case SpoofMode::off:
            return "off";
        case SpoofMode::log:
            return "log";
        case SpoofMode::drop:
            return "drop";
    }
    return "?";
}

}  // namespace warren::liveness
