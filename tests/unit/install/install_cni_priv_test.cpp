// The conflist `warrend install-cni` writes, run as a runtime would: Debian's bridge plugin with
// the installed `warren` as its IPAM, against a real agent, in a real netns. Root needed.
#include <fstream>
#include <sstream>

#include "fixture.hpp"
#include "install/install_cni.hpp"

namespace warren::it {
namespace {

constexpr const char* kV4 = "10.198.0.0/24";

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// bridge with isGateway turns on forwarding for the whole host; put back what was there.
class ForwardingRestore {
  public:
    ~ForwardingRestore() {
        for (auto& [path, value] : saved_) std::ofstream(path) << value;
    }

  private:
    std::vector<std::pair<std::string, std::string>> saved_{
        {"/proc/sys/net/ipv4/ip_forward", slurp("/proc/sys/net/ipv4/ip_forward")},
        {"/proc/sys/net/ipv6/conf/all/forwarding",
         slurp("/proc/sys/net/ipv6/conf/all/forwarding")}};
};

class InstallCniPriv : public IntegrationTest {};

TEST_F(InstallCniPriv, TheWrittenConflistsBridgeServesAnAddThroughTheInstalledPlugin) {
    WARREN_REQUIRE_ROOT();
    ForwardingRestore forwarding;
    ASSERT_TRUE(agent().start({.pod_cidrs = {kV4}}));
    const std::string bin = tmp("cni-bin"), conf_dir = tmp("net.d");
    std::FILE* out = std::tmpfile();
    ASSERT_EQ(install::run_install_cni(
                  {"--cni-bin-dir", bin, "--cni-conf-dir", conf_dir, "--plugin", plugin_path(),
                   "--socket", agent().socket(), "--network", "wrn-install"},
                  out, stderr),
              0);
    std::fclose(out);

    // The main plugin's config as libcni hands it to the plugin: the list's cniVersion and name
    // added. Only two fields differ from what was written: this test's own bridge instead of the
    // host-wide cni0, and no ipMasq (its iptables rules are host-wide and would outlive a failed
    // test).
    const json list = json::parse(slurp(conf_dir + "/10-warren.conflist"));
    json conf = list.at("plugins").at(0);
    conf["cniVersion"] = list.at("cniVersion");
    conf["name"] = list.at("name");
    ASSERT_EQ(conf.at("bridge"), "cni0");
    conf["bridge"] = bridge_name();
    conf["ipMasq"] = false;

    Netns& ns = new_netns();
    ASSERT_TRUE(ns.ok());
    CniCall add = call("ADD", "install-pod", ns.path());
    add.extra_env["CNI_PATH"] = bin + ":/usr/lib/cni";  // the installed warren, not the build's
    const CniResult r = bridge(conf, add);
    ASSERT_TRUE(r.ok()) << r.describe() << "\nagent log:\n" << agent().log();
    ASSERT_EQ(r.addresses().size(), 1u) << r.out;
    EXPECT_TRUE(in_prefix(r.addresses()[0], kV4)) << r.addresses()[0];
    EXPECT_EQ(r.j["ips"][0].value("gateway", ""), "10.198.0.1") << r.out;
    const auto on_eth0 = ns.addresses("eth0", "inet");
    ASSERT_EQ(on_eth0.size(), 1u);
    EXPECT_EQ(on_eth0[0].local, strip_prefix(r.addresses()[0]));

    CniCall del = call("DEL", "install-pod", ns.path());
    del.extra_env["CNI_PATH"] = bin + ":/usr/lib/cni";
    const CniResult d = bridge(conf, del);
    EXPECT_TRUE(d.ok()) << d.describe();
}

}  // namespace
}  // namespace warren::it
