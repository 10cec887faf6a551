#include "install/install_cni.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "support/privileged.hpp"
#include "support/temp_dir.hpp"

namespace warren::install {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::TempDir;

struct Outcome {
    int rc = -1;
    std::string out, err;
};

std::string drain(std::FILE* f) {
    std::rewind(f);
    std::string s;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
    std::fclose(f);
    return s;
}

Outcome run(const std::vector<std::string>& args) {
    std::FILE* out = std::tmpfile();
    std::FILE* err = std::tmpfile();
    Outcome r;
    r.rc = run_install_cni(args, out, err);
    r.out = drain(out);
    r.err = drain(err);
    return r;
}

// Runs the command in a child (so it may give up root or lower its file size limit first);
// the child's stderr text comes back through a pipe.
Outcome run_in_child(const std::vector<std::string>& args, bool drop_root, rlim_t fsize_limit) {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(fds[0]);
        if (drop_root && ::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0))
            ::_exit(90);
        if (fsize_limit != RLIM_INFINITY) {
            ::signal(SIGXFSZ, SIG_IGN);
            rlimit lim{fsize_limit, fsize_limit};
            if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) ::_exit(91);
        }
        std::FILE* out = std::fopen("/dev/null", "w");
        std::FILE* err = ::fdopen(fds[1], "w");
        const int rc = run_install_cni(args, out, err);
        std::fflush(err);
        ::_exit(rc);
    }
    ::close(fds[1]);
    Outcome r;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0) r.err.append(buf, static_cast<size_t>(n));
    ::close(fds[0]);
    int status = 0;
    EXPECT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status));
    r.rc = WEXITSTATUS(status);
    return r;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_text(const std::string& path, const std::string& text, mode_t mode = 0644) {
    std::ofstream(path, std::ios::binary) << text;
    fs::permissions(path, static_cast<fs::perms>(mode));
}

std::set<std::string> entries(const std::string& dir) {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
    return names;
}

mode_t mode_of(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
}

ino_t inode_of(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_ino;
}

// A plugin-sized binary blob with every byte value in it.
std::string plugin_bytes(size_t size, char salt = 0) {
    std::string s(size, '\0');
    for (size_t i = 0; i < size; ++i)
        s[i] = static_cast<char>((i * 31 + static_cast<size_t>(salt)) & 0xff);
    return s;
}

class InstallCni : public ::testing::Test {
  protected:
    void SetUp() override { write_text(source, plugin_bytes(200 * 1024), 0644); }
    std::vector<std::string> args(std::vector<std::string> extra = {}) const {
        std::vector<std::string> a{
            "--cni-bin-dir", bin_dir, "--cni-conf-dir", conf_dir,
            "--plugin",      source,  "--socket",       "/run/test/warren.sock"};
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    }
    TempDir tmp;
    std::string source = tmp / "warren-src";
    std::string bin_dir = tmp / "opt/cni/bin";
    std::string conf_dir = tmp / "etc/cni/net.d";
    std::string plugin = bin_dir + "/warren";
    std::string conflist = conf_dir + "/10-warren.conflist";
};

TEST_F(InstallCni, FreshNodeGetsThePluginAndABridgeConflist) {
    const Outcome r = run(args());
    ASSERT_EQ(r.rc, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(r.out, "installed " + plugin + " from " + source + " (204800 bytes, mode 0755)\n" +
                         "wrote " + conflist +
                         " (network warren: bridge with warren IPAM, then portmap)\n");

    EXPECT_EQ(read_text(plugin), read_text(source));
    EXPECT_EQ(mode_of(plugin), 0755u);
    EXPECT_EQ(mode_of(bin_dir), 0755u);
    EXPECT_EQ(entries(bin_dir), std::set<std::string>{"warren"});
    EXPECT_EQ(entries(conf_dir), std::set<std::string>{"10-warren.conflist"});
    EXPECT_EQ(mode_of(conflist), 0644u);

    const json c = json::parse(read_text(conflist));
    EXPECT_EQ(c.size(), 3u);
    EXPECT_EQ(c.at("cniVersion"), "1.0.0");
    EXPECT_EQ(c.at("name"), "warren");
    ASSERT_EQ(c.at("plugins").size(), 2u);
    const json& main = c["plugins"][0];
    EXPECT_EQ(main.size(), 5u);
    EXPECT_EQ(main.at("type"), "bridge");
    EXPECT_EQ(main.at("bridge"), "cni0");
    EXPECT_EQ(main.at("isGateway"), true);
    EXPECT_EQ(main.at("ipMasq"), true);
    EXPECT_EQ(main.at("ipam"), (json{{"type", "warren"}, {"socket", "/run/test/warren.sock"}}));
    EXPECT_EQ(c["plugins"][1],
              (json{{"type", "portmap"}, {"capabilities", {{"portMappings", true}}}}));
}

TEST_F(InstallCni, PtpAndANetworkNameAndTheDefaultSocket) {
    const Outcome r = run({"--cni-bin-dir", bin_dir, "--cni-conf-dir", conf_dir,
                           "--plugin=" + source, "--main-plugin=ptp", "--network", "pods.v4"});
    ASSERT_EQ(r.rc, 0) << r.err;
    const json c = json::parse(read_text(conflist));
    EXPECT_EQ(c.at("name"), "pods.v4");
    EXPECT_EQ(c["plugins"][0],
              (json{{"type", "ptp"},
                    {"ipMasq", true},
                    {"ipam", {{"type", "warren"}, {"socket", "/run/warren/warren.sock"}}}}));
    EXPECT_EQ(c["plugins"][1].at("type"), "portmap");
}

TEST_F(InstallCni, SecondRunRewritesNothing) {
    ASSERT_EQ(run(args()).rc, 0);
    const ino_t plugin_ino = inode_of(plugin);
    const ino_t conflist_ino = inode_of(conflist);

    const Outcome again = run(args());
    ASSERT_EQ(again.rc, 0) << again.err;
    EXPECT_EQ(again.out, plugin + " is identical to " + source + "; left alone\n" + conflist +
                             " is up to date; left alone\n");
    // A rewrite renames a new inode into place; the same inode means the file was not touched.
    EXPECT_EQ(inode_of(plugin), plugin_ino);
    EXPECT_EQ(inode_of(conflist), conflist_ino);
    EXPECT_EQ(entries(bin_dir), std::set<std::string>{"warren"});
    EXPECT_EQ(entries(conf_dir), std::set<std::string>{"10-warren.conflist"});
}

TEST_F(InstallCni, NewPluginAndNewSocketReplaceTheOldFiles) {
    ASSERT_EQ(run(args()).rc, 0);
    const ino_t plugin_ino = inode_of(plugin);
    write_text(source, plugin_bytes(100 * 1024, 7));

    const Outcome r = run(args({"--socket", "/run/other.sock"}));
    ASSERT_EQ(r.rc, 0) << r.err;
    EXPECT_NE(inode_of(plugin), plugin_ino);
    EXPECT_EQ(read_text(plugin), plugin_bytes(100 * 1024, 7));
    EXPECT_EQ(json::parse(read_text(conflist))["plugins"][0]["ipam"]["socket"], "/run/other.sock");
    EXPECT_EQ(entries(bin_dir), std::set<std::string>{"warren"});
    EXPECT_EQ(entries(conf_dir), std::set<std::string>{"10-warren.conflist"});
}

TEST_F(InstallCni, ANodesOwnConfigIsKept) {
    for (const std::string name : {"05-mine.conflist", "87-podman.conf", "99-other.json"}) {
        SCOPED_TRACE(name);
        TempDir dir;
        const std::string own = dir / name;
        write_text(own, "{\"mine\": true}");
        write_text(dir / "zz-later.conf", "{}");  // not the first: the message names the first

        const Outcome r =
            run({"--cni-bin-dir", dir / "bin", "--cni-conf-dir", dir.path(), "--plugin", source});
        ASSERT_EQ(r.rc, 0) << r.err;
        EXPECT_NE(r.out.find("kept the node's own network config " + own + "; wrote no conflist\n"),
                  std::string::npos)
            << r.out;
        EXPECT_EQ(read_text(own), "{\"mine\": true}");
        EXPECT_EQ(entries(dir.path()), (std::set<std::string>{name, "zz-later.conf", "bin"}));
    }
}

TEST_F(InstallCni, FilesThatAreNotConfigsDoNotCount) {
    fs::create_directories(conf_dir);
    write_text(conf_dir + "/README", "notes");
    write_text(conf_dir + "/.hidden.conflist", "{}");
    write_text(conf_dir + "/backup.conflist.bak", "{}");

    const Outcome r = run(args());
    ASSERT_EQ(r.rc, 0) << r.err;
    EXPECT_EQ(json::parse(read_text(conflist)).at("name"), "warren");
}

TEST_F(InstallCni, UnwritableBinDirFailsClearlyAndLeavesNothing) {
    fs::permissions(tmp.path(), fs::perms(0755));  // the unprivileged child must reach it
    fs::create_directories(bin_dir);
    fs::permissions(bin_dir, fs::perms(0555));

    const Outcome r = run_in_child(args(), /*drop_root=*/true, RLIM_INFINITY);
    EXPECT_EQ(r.rc, 1);
    const std::string temp_prefix =
        "warrend install-cni: cannot create " + bin_dir + "/.warren.tmp.";
    EXPECT_EQ(r.err.substr(0, temp_prefix.size()), temp_prefix);
    EXPECT_NE(r.err.find(": Permission denied (errno 13)\n  run as root, or make " + bin_dir +
                         " writable (a DaemonSet mounts it as a hostPath without readOnly)\n"),
              std::string::npos)
        << r.err;
    EXPECT_TRUE(entries(bin_dir).empty());
    EXPECT_FALSE(fs::exists(conf_dir));  // stops at the first failed step
}

TEST_F(InstallCni, AWriteFailingHalfwayLeavesTheOldPluginAndNoTempFile) {
    fs::create_directories(bin_dir);
    write_text(plugin, "old plugin", 0755);

    const Outcome r =
        run_in_child(args(), /*drop_root=*/false, 64 * 1024);  // the source is 200 KiB
    EXPECT_EQ(r.rc, 1);
    EXPECT_NE(r.err.find("cannot write " + bin_dir + "/.warren.tmp."), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("File too large (errno 27)\n  raise the file size limit"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(entries(bin_dir), std::set<std::string>{"warren"});
    EXPECT_EQ(read_text(plugin), "old plugin");
}

TEST_F(InstallCni, AMissingSourceSaysToPassPlugin) {
    const Outcome r =
        run({"--cni-bin-dir", bin_dir, "--cni-conf-dir", conf_dir, "--plugin", tmp / "nope"});
    EXPECT_EQ(r.rc, 1);
    EXPECT_EQ(r.err, "warrend install-cni: cannot open plugin " + tmp / "nope" +
                         ": No such file or directory (errno 2)\n  pass the warren plugin binary "
                         "with --plugin PATH\n");
    EXPECT_FALSE(fs::exists(bin_dir));
}

TEST(DefaultPlugin, TheWarrenBesideWarrendWins) {
    TempDir tmp;
    std::ofstream(tmp / "warren") << "plugin";
    EXPECT_EQ(default_plugin(tmp.path(), "/packaged/warren"), tmp / "warren");
}

TEST(DefaultPlugin, WithoutOneBesideItIsThePackagedPlugin) {
    TempDir tmp;
    EXPECT_EQ(default_plugin(tmp.path(), "/packaged/warren"), "/packaged/warren");
    EXPECT_EQ(default_plugin(tmp.path()), "/usr/lib/cni/warren");
}

TEST(InstallCniArgs, HelpAndUsageErrors) {
    const Outcome help = run({"--help"});
    EXPECT_EQ(help.rc, 0);
    EXPECT_EQ(help.out, install_usage());
    EXPECT_NE(help.out.find("usage: warrend install-cni"), std::string::npos);

    const Outcome unknown = run({"--cni-dir", "/x"});
    EXPECT_EQ(unknown.rc, 2);
    EXPECT_EQ(
        unknown.err,
        "warrend install-cni: unknown argument '--cni-dir'\n  see warrend install-cni --help\n");

    const Outcome missing = run({"--plugin"});
    EXPECT_EQ(missing.rc, 2);
    EXPECT_EQ(missing.err,
              "warrend install-cni: --plugin needs a value\n  see warrend install-cni --help\n");

    const Outcome empty = run({"--network="});
    EXPECT_EQ(empty.rc, 2);
    EXPECT_EQ(empty.err, "warrend install-cni: --network must not be empty\n");

    const Outcome main = run({"--main-plugin", "macvlan"});
    EXPECT_EQ(main.rc, 2);
    EXPECT_NE(main.err.find("--main-plugin 'macvlan' is not supported\n  use bridge or ptp"),
              std::string::npos)
        << main.err;

    const Outcome net = run({"--network", "-bad name"});
    EXPECT_EQ(net.rc, 2);
    EXPECT_NE(net.err.find("--network '-bad name' is not a valid CNI network name"),
              std::string::npos)
        << net.err;
}

int exit_code_of(const std::string& command) {
    const int status = std::system(command.c_str());
    EXPECT_TRUE(WIFEXITED(status)) << command;
    return WEXITSTATUS(status);
}

// Through the real binary: main() hands argv[1] == "install-cni" to the command, and the
// default plugin is `warren` beside `warrend` (both in the build's bin/).
TEST(InstallCniBinary, DispatchesAndInstallsTheWarrenBesideIt) {
    EXPECT_EQ(exit_code_of(std::string(WARREND_PATH) + " install-cni --help >/dev/null"), 0);
    EXPECT_EQ(exit_code_of(std::string(WARREND_PATH) + " install-cni --bogus 2>/dev/null"), 2);

    TempDir tmp;
    ASSERT_EQ(exit_code_of(std::string(WARREND_PATH) + " install-cni --cni-bin-dir " + tmp / "bin" +
                           " --cni-conf-dir " + tmp / "conf" + " >/dev/null"),
              0);
    EXPECT_EQ(read_text(tmp / "bin/warren"), read_text(WARREN_PLUGIN_PATH));
    EXPECT_EQ(json::parse(read_text(tmp / "conf/10-warren.conflist")).at("name"), "warren");
}

// A warrend with no plugin beside it (as /usr/bin/warrend from the .deb) looks in /usr/lib/cni;
// finding neither, it names both places.
TEST(InstallCniBinary, WithoutAPluginBesideItFallsBackToUsrLibCni) {
    if (fs::exists(kPackagedPlugin)) {
        if (warren::testing::in_ci())
            FAIL() << kPackagedPlugin << " exists on this CI machine: the fallback cannot be tested";
        GTEST_SKIP() << kPackagedPlugin << " exists on this machine";
    }
    TempDir tmp;
    fs::create_directories(tmp / "sbin");
    fs::copy_file(WARREND_PATH, tmp / "sbin/warrend");
    const std::string errfile = tmp / "err";
    EXPECT_EQ(exit_code_of(tmp / "sbin/warrend" + " install-cni --cni-bin-dir " + tmp / "bin" +
                           " --cni-conf-dir " + tmp / "conf" + " >/dev/null 2>" + errfile),
              1);
    const std::string err = read_text(errfile);
    EXPECT_NE(err.find("cannot open plugin /usr/lib/cni/warren: No such file or directory"),
              std::string::npos)
        << err;
    EXPECT_NE(err.find("found no warren beside warrend (" + tmp / "sbin" +
                       ") nor at /usr/lib/cni/warren; pass the warren plugin binary with --plugin"),
              std::string::npos)
        << err;
    EXPECT_FALSE(fs::exists(tmp / "bin"));
}

}  // namespace
}  // namespace warren::install
