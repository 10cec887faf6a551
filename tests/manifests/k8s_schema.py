"""Checks Kubernetes objects against the API models of Debian's python3-kubernetes.

Each document is walked against its model's openapi_types and attribute_map: a field the model
does not have, a value of the wrong JSON type, or a required field left out (the fields whose
setter refuses None under client_side_validation) is an error naming its path, e.g.
"50-daemonset.yaml: DaemonSet/warren: spec.template.spec.containers[0].imagePullPolcy: unknown
field". The API server enforces more than its schema; the rules the manifests rely on are checked in
policy.py (api_rules).
"""
import datetime
import re

from kubernetes import client

# apiVersion, kind -> model class name. Add a row to validate another kind.
KINDS = {
    ("v1", "ConfigMap"): "V1ConfigMap",
    ("v1", "Namespace"): "V1Namespace",
    ("v1", "Secret"): "V1Secret",
    ("v1", "Service"): "V1Service",
    ("v1", "ServiceAccount"): "V1ServiceAccount",
    ("apps/v1", "DaemonSet"): "V1DaemonSet",
    ("apps/v1", "Deployment"): "V1Deployment",
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): "V1ClusterRole",
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): "V1ClusterRoleBinding",
    ("rbac.authorization.k8s.io/v1", "Role"): "V1Role",
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): "V1RoleBinding",
    ("scheduling.k8s.io/v1", "PriorityClass"): "V1PriorityClass",
}

# Fields the client types as 'object' that are IntOrString in the API (int or string only);
# other 'object' fields are free-form JSON.
INT_OR_STRING = {
    ("V1HTTPGetAction", "port"),
    ("V1TCPSocketAction", "port"),
    ("V1NetworkPolicyPort", "port"),
    ("V1ServicePort", "target_port"),
    ("V1PodDisruptionBudgetSpec", "max_unavailable"),
    ("V1PodDisruptionBudgetSpec", "min_available"),
    ("V1RollingUpdateDaemonSet", "max_surge"),
    ("V1RollingUpdateDaemonSet", "max_unavailable"),
    ("V1RollingUpdateDeployment", "max_surge"),
    ("V1RollingUpdateDeployment", "max_unavailable"),
}

# Quantities (typed 'str' by the client) that the API also accepts as JSON numbers.
QUANTITY_MAPS = {("V1ResourceRequirements", "limits"), ("V1ResourceRequirements", "requests")}

_CONFIG = client.Configuration()
_CONFIG.client_side_validation = True
_required_cache = {}


def model_class(doc):
    """The model class for a document, or an error text."""
    if not isinstance(doc, dict):
        return None, "a document must be a mapping, not " + type(doc).__name__
    api_version, kind = doc.get("apiVersion"), doc.get("kind")
    if not api_version or not kind:
        return None, "apiVersion and kind are required"
    name = KINDS.get((api_version, kind))
    if name is None:
        return None, (f"no model for apiVersion {api_version!r} kind {kind!r}; "
                      f"known: {sorted(k for k in KINDS)} (add it to KINDS in k8s_schema.py)")
    return getattr(client, name), None


def required_fields(cls):
    """The attributes whose setter refuses None: the client's required fields."""
    if cls not in _required_cache:
        probe = cls.__new__(cls)
        probe.local_vars_configuration = _CONFIG
        required = set()
        for attr in cls.openapi_types:
            try:
                setattr(probe, attr, None)
            except ValueError:
                required.add(attr)
        _required_cache[cls] = required
    return _required_cache[cls]


def _type_name(value):
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, dict):
        return "dict"
    if isinstance(value, list):
        return "list"
    if value is None:
        return "null"
    return type(value).__name__


def _join(path, key):
    return f"{path}.{key}" if path else key


def _check(value, typ, path, errors, quantity=False):
    if value is None:
        return  # null is "not set" in the API; required fields are checked by the parent
    m = re.fullmatch(r"list\[(.+)\]", typ)
    if m:
        if not isinstance(value, list):
            errors.append(f"{path}: expected a list ({typ}), got {_type_name(value)}")
            return
        for i, item in enumerate(value):
            _check(item, m.group(1), f"{path}[{i}]", errors, quantity)
        return
    m = re.fullmatch(r"dict\((\w+), (.+)\)", typ)
    if m:
        if not isinstance(value, dict):
            errors.append(f"{path}: expected a mapping ({typ}), got {_type_name(value)}")
            return
        for k, v in value.items():
            if not isinstance(k, str):
                errors.append(f"{path}: key {k!r} must be a string")
            _check(v, m.group(2), f"{path}.{k}", errors, quantity)
        return
    if typ == "str":
        ok = isinstance(value, str) or (quantity and _type_name(value) in ("int", "float"))
    elif typ == "int":
        ok = _type_name(value) == "int"
    elif typ == "float":
        ok = _type_name(value) in ("int", "float")
    elif typ == "bool":
        ok = isinstance(value, bool)
    elif typ in ("datetime", "date"):
        ok = isinstance(value, (str, datetime.date))
    elif typ == "object":
        ok = True
    elif hasattr(client, typ):
        if not isinstance(value, dict):
            errors.append(f"{path}: expected a mapping ({typ}), got {_type_name(value)}")
            return
        _check_model(value, getattr(client, typ), path, errors)
        return
    else:
        errors.append(f"{path}: the client has no type {typ!r} (validator bug)")
        return
    if not ok:
        errors.append(f"{path}: expected {typ}, got {_type_name(value)} {value!r}")


def _check_model(obj, cls, path, errors):
    by_json = {json_key: attr for attr, json_key in cls.attribute_map.items()}
    for key, value in obj.items():
        attr = by_json.get(key)
        where = _join(path, key)
        if attr is None:
            errors.append(f"{where}: unknown field (not in {cls.__name__}; "
                          f"known: {', '.join(sorted(by_json))})")
            continue
        typ = cls.openapi_types[attr]
        if (cls.__name__, attr) in INT_OR_STRING:
            if value is not None and _type_name(value) not in ("int", "str"):
                errors.append(f"{where}: expected an int or a string (IntOrString), "
                              f"got {_type_name(value)} {value!r}")
            continue
        _check(value, typ, where, errors, (cls.__name__, attr) in QUANTITY_MAPS)
    for attr in sorted(required_fields(cls)):
        if obj.get(cls.attribute_map[attr]) is None:
            errors.append(f"{_join(path, cls.attribute_map[attr])}: required field missing "
                          f"({cls.__name__})")
    # The setters also check formats (e.g. base64 bytes); the missing ones are reported above.
    try:
        cls(**{by_json[k]: v for k, v in obj.items() if k in by_json}, local_vars_configuration=_CONFIG)
    except ValueError as e:
        if "must not be `None`" not in str(e):
            errors.append(f"{path or '(document)'}: {cls.__name__} refuses it: {e}")


def validate_document(doc):
    """Every schema error in one document, as "path: what is wrong" texts (empty: valid)."""
    cls, err = model_class(doc)
    if err:
        return [err]
    errors = []
    _check_model(doc, cls, "", errors)
    return errors


def describe(doc):
    """Kind/name of a document, for messages."""
    if isinstance(doc, dict):
        meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
        return f"{doc.get('kind', '?')}/{meta.get('name', '?')}"
    return "?"
