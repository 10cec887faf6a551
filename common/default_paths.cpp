#include "warren/default_paths.hpp"

namespace warren {

std::string default_delete_queue_dir(std::string_view socket) {
    auto end = socket.find_last_not_of('/');
    std::string_view dir = ".";
    if (end != std::string_view::npos) {
        auto slash = socket.rfind('/', end);
        if (slash == 0)
            dir = "/";
        else if (slash != std::string_view::npos)
            dir = socket.substr(0, slash);
    }
    std::string out(dir);
    if (out.back() != '/') out += '/';
    return out + "delete-queue";
}

}  // namespace warren
