#!/usr/bin/python3
"""Validates every document of packaging/kubernetes/*.yaml against the Kubernetes API models
(k8s_schema.py) and warren's policy (policy.py). Exit 0: all valid; 1: errors (each printed with
its file, object and field); 77: python3-kubernetes or python3-yaml missing outside CI.

usage: validate_manifests.py DIR
"""
import glob
import os
import sys

try:
    import kubernetes
    import yaml
    import k8s_schema
    import policy
except ImportError as e:
    print(f"validate_manifests: {e}: install Debian's python3-kubernetes and python3-yaml "
          "(scripts/install-deps.sh) and run this with /usr/bin/python3", file=sys.stderr)
    sys.exit(1 if os.environ.get("CI") == "true" else 77)


def load(directory):
    """[(file name, document)] of every *.yaml in `directory`, in name order (kubectl's order)."""
    files = sorted(glob.glob(os.path.join(directory, "*.yaml")))
    if not files:
        raise FileNotFoundError(f"no *.yaml in {directory}")
    docs = []
    for f in files:
        with open(f, encoding="utf-8") as fh:
            docs += [(os.path.basename(f), d) for d in yaml.safe_load_all(fh) if d is not None]
    return docs


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        docs = load(argv[1])
    except (OSError, yaml.YAMLError) as e:
        print(f"validate_manifests: {e}", file=sys.stderr)
        return 1
    print(f"validate_manifests: the API models of python3-kubernetes {kubernetes.__version__} "
          f"(fields newer than its Kubernetes release count as unknown)")
    failed = 0
    for name, doc in docs:
        errors = k8s_schema.validate_document(doc)
        print(f"{'FAIL' if errors else 'ok  '} schema {name}: {k8s_schema.describe(doc)}")
        for e in errors:
            print(f"     {name}: {k8s_schema.describe(doc)}: {e}")
        failed += bool(errors)
    for check, errors in policy.run_checks([d for _, d in docs]).items():
        print(f"{'FAIL' if errors else 'ok  '} policy {check}")
        for e in errors:
            print(f"     {e}")
        failed += bool(errors)
    print(f"validate_manifests: {len(docs)} documents, {len(policy.CHECKS)} policy checks, "
          f"{failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
