#!/usr/bin/env python3
"""Turns aspirate's kustomize output into deploy/k8s/base: aspirate's files, plus the deliberate edits
listed in docs/deployment.md ("Deliberate edits to aspirate's output"). Run by regenerate.sh; it expects
aspirate to have been given every secret parameter as the placeholder @@NAME@@ (NAME = the parameter
name in upper snake case), so that every env value built from a secret can be found by that placeholder.

Usage: apply-edits.py <aspire-manifest.json> <aspirate output dir> <base dir>
"""
import json
import os
import re
import sys

PLACEHOLDER = re.compile(r"@@([A-Z][A-Z0-9_]*)@@")
HEADER = """\
# Generated: aspirate generate from ../../../aspire-manifest.json, then deploy/aspirate/apply-edits.py.
# Do not edit by hand: run `bash deploy/aspirate/regenerate.sh` at the repository root (docs/deployment.md,
# which lists the deliberate edits to aspirate's output). The .<name>.secrets files read by the
# secretGenerators are not committed: make them with ../generate-secrets.sh from <name>.secrets.example.
"""


def env_name(parameter):
    return parameter.upper().replace("-", "_")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def write(path, text):
    # aspirate leaves some files without a final newline and others with trailing blank lines.
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.rstrip("\n") + "\n")


def uri_aliases(resources):
    """annotated.string resources with filter "uri" over a secret parameter (aspirate skips that type and
    leaves "{x.value}" unresolved): generated secrets are letters and digits, so the URI form is the value."""
    aliases = {}
    for name, r in resources.items():
        if r.get("type") == "annotated.string" and r.get("filter") == "uri":
            m = re.fullmatch(r"\{([a-z0-9-]+)\.value\}", r.get("value", ""))
            if m and is_secret_parameter(resources.get(m.group(1), {})):
                aliases["{%s.value}" % name] = "@@%s@@" % env_name(m.group(1))
    return aliases


def is_secret_parameter(resource):
    return resource.get("type") == "parameter.v0" and any(
        i.get("secret") for i in resource.get("inputs", {}).values())


def split_literals(kustomization, aliases):
    """Returns (head, literals) of aspirate's kustomization.yaml: head = resources + generatorOptions."""
    head, _, rest = kustomization.partition("configMapGenerator:")
    literals = [m.group(1) for m in re.finditer(r"^    - (.*)$", rest, re.M)]
    for alias, placeholder in aliases.items():
        literals = [line.replace(alias, placeholder) for line in literals]
    if "secretGenerator:" in head or "secretGenerator:" in rest:
        sys.exit("aspirate already wrote a secretGenerator: run it with --disable-secrets (regenerate.sh)")
    return head.rstrip("\n") + "\n", literals


def kustomization_text(name, head, config, secret):
    # The same blocks aspirate's kustomization.hbs writes for env (ConfigMap) and secrets (Secret).
    text = head + "\n"
    if config:
        text += "configMapGenerator:\n- name: %s-env\n  literals:\n" % name
        text += "".join("    - %s\n" % line for line in config) + "\n"
    if secret:
        text += "secretGenerator:\n- name: %s-secrets\n  envs:\n  - .%s.secrets\n" % (name, name)
    return text


def workload_text(text, name, has_config, has_secret):
    """envFrom as aspirate's deployment/statefulset templates write it when secrets are enabled, but with
    `envFrom:` kept when there is no ConfigMap (aspirate's template drops it then, which would put the
    secretRef in the ports list)."""
    m = re.search(r"^( +)- configMapRef:\n +name: %s-env\n" % re.escape(name), text, re.M)
    if not m:
        return text
    indent = m.group(1)
    entries = ""
    if has_config:
        entries += "%s- configMapRef:\n%s    name: %s-env\n" % (indent, indent, name)
    if has_secret:
        entries += "%s- secretRef:\n%s    name: %s-secrets\n" % (indent, indent, name)
    return text[:m.start()] + entries + text[m.end():]


def restore_image_case(text, image):
    """aspirate lowercases container images; tags are case-sensitive (MinIO's RELEASE.<date>T...Z)."""
    def fix(m):
        if m.group(2).lower() != image.lower():
            sys.exit("unexpected image %s (manifest: %s)" % (m.group(2), image))
        return m.group(1) + image
    return re.sub(r"^( +image: )(\S+)$", fix, text, flags=re.M)


def main(manifest_path, raw, base):
    resources = json.loads(read(manifest_path))["resources"]
    aliases = uri_aliases(resources)

    for root, _, files in os.walk(base, topdown=False):
        for f in files:
            if not (f.startswith(".") and f.endswith(".secrets")):  # keep a user's generated secrets
                os.remove(os.path.join(root, f))
        if root != base and not os.listdir(root):
            os.rmdir(root)

    for name in sorted(os.listdir(raw)):
        src = os.path.join(raw, name)
        if not os.path.isdir(src):
            continue
        dst = os.path.join(base, name)
        os.makedirs(dst, exist_ok=True)
        head, literals = split_literals(read(os.path.join(src, "kustomization.yaml")), aliases)
        config = [line for line in literals if not PLACEHOLDER.search(line)]
        secret = [PLACEHOLDER.sub(r"${\1}", line) for line in literals if PLACEHOLDER.search(line)]
        write(os.path.join(dst, "kustomization.yaml"), kustomization_text(name, head, config, secret))
        if secret:
            write(os.path.join(dst, "%s.secrets.example" % name), "\n".join(secret))
        for f in sorted(os.listdir(src)):
            if f == "kustomization.yaml":
                continue
            text = read(os.path.join(src, f))
            if f in ("deployment.yaml", "statefulset.yaml"):
                text = workload_text(text, name, bool(config), bool(secret))
                if resources.get(name, {}).get("type", "").startswith("container."):
                    text = restore_image_case(text, resources[name]["image"])
            write(os.path.join(dst, f), text)

    write(os.path.join(base, "kustomization.yaml"), HEADER + read(os.path.join(raw, "kustomization.yaml")))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
