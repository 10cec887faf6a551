#include "cni.hpp"

namespace warren::it {

int CniResult::code() const {
    if (!j.is_object()) return 0;
    auto it = j.find("code");
    if (it == j.end() || !it->is_number_integer()) return 0;
    return it->get<int>();
}

std::string CniResult::msg() const {
    if (!j.is_object()) return {};
    std::string m = j.value("msg", "");
    if (j.contains("details") && j["details"].is_string()) m += " (" + j["details"].get<std::string>() + ")";
    return m;
}

std::vector<std::string> CniResult::addresses() const {
    std::vector<std::string> out;
    if (!j.is_object() || !j.contains("ips") || !j["ips"].is_array()) return out;
    for (auto& ip : j["ips"])
        if (ip.is_object() && ip.contains("address") && ip["address"].is_string())
            out.push_back(ip["address"].get<std::string>());
    return out;
}

json warren_ipam(const std::string& socket, const json& extra) {
    json ipam{{"type", "warren"}, {"socket", socket}};
    for (auto& [k, v] : extra.items()) ipam[k] = v;
    return ipam;
}

json bridge_conf(const std::string& network, const std::string& bridge, const json& ipam,
                 const std::string& version) {
    return json{{"cniVersion", version}, {"name", network}, {"type", "bridge"}, {"bridge", bridge},
                {"isGateway", false},    {"ipMasq", false}, {"ipam", ipam}};
}

json plugin_conf(const std::string& network, const json& ipam, const std::string& version) {
    return json{{"cniVersion", version}, {"name", network}, {"type", "warren"}, {"ipam", ipam}};
}

CniResult cni_exec_raw(const std::string& plugin, const std::string& input, const CniCall& call) {
    RunSpec spec;
    spec.argv = {plugin};
    Env env{{"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"}, {"CNI_COMMAND", call.command}, {"CNI_PATH", cni_path()}};
    if (!call.container_id.empty()) env["CNI_CONTAINERID"] = call.container_id;
    if (!call.netns.empty()) env["CNI_NETNS"] = call.netns;
    if (!call.ifname.empty()) env["CNI_IFNAME"] = call.ifname;
    if (!call.args.empty()) env["CNI_ARGS"] = call.args;
    for (auto& [k, v] : call.extra_env) env[k] = v;
    for (auto& k : call.unset) env.erase(k);
    spec.env = std::move(env);
    spec.input = input;
    spec.timeout = call.timeout;
    CniResult r;
    static_cast<RunResult&>(r) = run(spec);
    if (!r.out.empty()) {
        r.j = json::parse(r.out, nullptr, false);
        if (r.j.is_discarded()) r.j = nullptr;
    }
    return r;
}

CniResult cni_exec(const std::string& plugin, const json& conf, const CniCall& call) {
    return cni_exec_raw(plugin, conf.dump(), call);
}

std::string strip_prefix(const std::string& cidr) { return cidr.substr(0, cidr.find('/')); }

}  // namespace warren::it
