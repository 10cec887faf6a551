// Flag parsing for `warrend install-cni` (the daemon's own flags live in config/).
#include <algorithm>
#include <cctype>

#include "install/install_cni.hpp"

namespace warren::install {
namespace {

bool valid_network_name(const std::string& n) {
    // The CNI spec's network name: ^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$
    if (n.empty() || !std::isalnum(static_cast<unsigned char>(n[0]))) return false;
    return std::all_of(n.begin(), n.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
    });
}

}  // namespace

std::string install_usage() {
    return "usage: warrend install-cni [options]\n"
           "What the DaemonSet's init container runs. Installs the warren CNI plugin into the\n"
           "CNI bin dir and, when the node has no network config (*.conf, *.conflist, *.json) of\n"
           "its own, writes " +
           std::string(kConflistName) +
           " there: the main plugin with warren as its IPAM, then\n"
           "portmap. Both writes are atomic; rerunning changes nothing.\n"
           "\n"
           "  --cni-bin-dir DIR     where runtimes look for plugins (default /opt/cni/bin)\n"
           "  --cni-conf-dir DIR    where runtimes look for network configs (default "
           "/etc/cni/net.d)\n"
           "  --plugin PATH         the plugin binary to install (default: warren beside warrend)\n"
           "  --network NAME        the network name in the conflist (default warren)\n"
           "  --main-plugin NAME    bridge or ptp (default bridge)\n"
           "  --socket PATH         the agent's CNI socket the plugin calls (default "
           "/run/warren/warren.sock)\n"
           "  -h, --help            this text\n"
           "\n"
           "Exit status: 0 done, 1 an install step failed, 2 usage error.\n";
}

Result<InstallArgs> parse_install_args(const std::vector<std::string>& args) {
    InstallArgs out;
    auto& o = out.options;
    const std::pair<const char*, std::string*> flags[] = {
        {"--cni-bin-dir", &o.cni_bin_dir}, {"--cni-conf-dir", &o.cni_conf_dir},
        {"--plugin", &o.plugin},           {"--network", &o.network},
        {"--main-plugin", &o.main_plugin}, {"--socket", &o.socket},
    };
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "-h" || a == "--help") {
            out.help = true;
            continue;
        }
        const auto eq = a.find('=');
        const std::string name = a.substr(0, eq);
        const auto flag = std::find_if(std::begin(flags), std::end(flags),
                                       [&](auto& f) { return name == f.first; });
        if (flag == std::end(flags))
            return fail(Code::invalid_config, "unknown argument '" + a + "'",
                        "see warrend install-cni --help");
        std::string value;
        if (eq != std::string::npos) {
            value = a.substr(eq + 1);
        } else {
            if (i + 1 == args.size())
                return fail(Code::invalid_config, name + " needs a value",
                            "see warrend install-cni --help");
            value = args[++i];
        }
        if (value.empty()) return fail(Code::invalid_config, name + " must not be empty");
        *flag->second = value;
    }
    if (o.main_plugin != "bridge" && o.main_plugin != "ptp")
        return fail(
            Code::invalid_config, "--main-plugin '" + o.main_plugin + "' is not supported",
            "use bridge or ptp, or write the conflist yourself (install-cni then keeps it)");
    if (!valid_network_name(o.network))
        return fail(Code::invalid_config,
                    "--network '" + o.network + "' is not a valid CNI network name",
                    "use letters, digits, '_', '.' and '-', starting with a letter or digit");
    return out;
}

}  // namespace warren::install
