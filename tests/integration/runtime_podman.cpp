#include "runtime_podman.hpp"

#include <filesystem>
#include <sstream>

#include "netns.hpp"
#include "runtime_support.hpp"

namespace warren::it {

namespace fs = std::filesystem;

Podman::Podman(std::string dir, std::string cni_bin_dir, std::string net_dir, std::string rootfs)
    : dir_(std::move(dir)),
      bin_dir_(std::move(cni_bin_dir)),
      net_dir_(std::move(net_dir)),
      rootfs_(std::move(rootfs)),
      conf_(dir_ + "/containers.conf"),
      storage_conf_(dir_ + "/storage.conf"),
      cgroup_(unique_name("warren-it-podman-")) {
    std::error_code ec;
    for (auto sub : {"root", "runroot", "tmp"}) fs::create_directories(dir_ + "/" + sub, ec);
    fs::create_directories(net_dir_, ec);
    if (ec) error_ = "mkdir under " + dir_ + ": " + ec.message();
    std::ostringstream conf;
    conf << "[containers]\n"
         << "default_ulimits = [\"nofile=1024:1024\", \"nproc=4096:4096\"]\n"
         << "[network]\n"
         << "network_backend = \"cni\"\n"
         << "cni_plugin_dirs = [\"" << bin_dir_ << "\"]\n"
         << "network_config_dir = \"" << net_dir_ << "\"\n"
         << "[engine]\n"
         << "cgroup_manager = \"cgroupfs\"\n"
         << "events_logger = \"file\"\n"
         << "events_logfile_path = \"" << dir_ << "/events.log\"\n"
         << "tmp_dir = \"" << dir_ << "/tmp\"\n"
         << "lock_type = \"file\"\n"
         << "runtime = \"runc\"\n";
    write_file(conf_, conf.str());
    std::ostringstream storage;
    storage << "[storage]\n"
            << "driver = \"vfs\"\n"
            << "runroot = \"" << dir_ << "/runroot\"\n"
            << "graphroot = \"" << dir_ << "/root\"\n";
    write_file(storage_conf_, storage.str());
}

Podman::~Podman() {
    remove_all();
    remove_cgroup(cgroup_);
}

std::vector<std::string> Podman::global_flags() const {
    return {"--root", dir_ + "/root", "--runroot",   dir_ + "/runroot",  "--storage-driver",
            "vfs",    "--tmpdir",     dir_ + "/tmp", "--cgroup-manager", "cgroupfs"};
}

RunResult Podman::operator()(std::vector<std::string> args,
                             std::chrono::milliseconds timeout) const {
    RunSpec spec;
    spec.argv = {"podman"};
    for (auto& f : global_flags()) spec.argv.push_back(f);
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.extra_env = {{"CONTAINERS_CONF", conf_}, {"CONTAINERS_STORAGE_CONF", storage_conf_}};
    spec.timeout = timeout;
    return ::warren::it::run(spec);
}

RunResult Podman::run(const std::string& name, const std::string& network,
                      std::vector<std::string> extra) {
    std::vector<std::string> args{
        "run",           "-d",   "--name",          name,         "--network", network,
        "--stop-signal", "KILL", "--cgroup-parent", "/" + cgroup_};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {"--rootfs", rootfs_, "sleep", "3600"});
    auto r = (*this)(args);
    if (r.ok()) netns(name);
    return r;
}

std::string Podman::id(const std::string& name) const {
    auto r = (*this)({"inspect", "--format", "{{.Id}}", name});
    return r.ok() ? r.out.substr(0, r.out.find('\n')) : "";
}

std::string Podman::netns(const std::string& name) const {
    auto r = (*this)({"inspect", "--format", "{{.NetworkSettings.SandboxKey}}", name});
    std::string path = r.ok() ? r.out.substr(0, r.out.find('\n')) : "";
    if (!path.empty()) {
        std::lock_guard lock(mu_);
        netns_seen_.insert(path);
    }
    return path;
}

nlohmann::json Podman::network_settings(const std::string& name, const std::string& network) const {
    auto r = (*this)({"inspect", "--format", "{{json .NetworkSettings.Networks}}", name});
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (!j.is_object() || !j.contains(network)) return nullptr;
    return j[network];
}

std::string Podman::state(const std::string& name) const {
    auto r = (*this)({"inspect", "--format", "{{.State.Status}}", name});
    return r.ok() ? r.out.substr(0, r.out.find('\n')) : "";
}

void Podman::remove_all() {
    (*this)({"rm", "-af", "-t", "0"}, 120s);
    std::lock_guard lock(mu_);
    for (auto& path : netns_seen_) {
        std::error_code ec;
        if (!fs::exists(path, ec)) continue;
        run_cmd({"ip", "netns", "del", fs::path(path).filename().string()});
    }
    netns_seen_.clear();
}

}  // namespace warren::it
