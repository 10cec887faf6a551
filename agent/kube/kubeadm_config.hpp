#pragma once
// kube-system/kubeadm-config, the ConfigMap kubeadm writes: its ClusterConfiguration (a YAML
// document in data.ClusterConfiguration) names the cluster's pod and service ranges, which the
// pool checks use when --cluster-cidr/--service-cidr are not given. Pure: no I/O.
#include <nlohmann/json.hpp>

#include "kube/source.hpp"
#include "warren/error.hpp"

namespace warren::kube {

// The ConfigMap's JSON as the API sends it. networking.podSubnet and networking.serviceSubnet are
// comma-separated lists (dual-stack: "10.244.0.0/16,fd00:10:244::/56"); a missing key gives an
// empty list. Code::decode, naming the field, when the object is no ConfigMap, has no
// data.ClusterConfiguration, the YAML does not parse or a CIDR is not one.
Result<ClusterNetworks> parse_kubeadm_config(const nlohmann::json& configmap);

}  // namespace warren::kube
