#!/usr/bin/env python3
"""Turns the rendered manifests of deploy/ (kubectl kustomize) into what podman 4.3's kube play can run on one
machine, changing only what it cannot do as a cluster would (docs/IMAGE.md lists each change and why):

  kube-play.py RENDERED OUT SIDECAR_IMAGE POSTFIX_IMAGE TLS_DIR FILES_DIR

prints the ConfigMaps' names (kube play makes a volume of each). Works on deploy/ and on the chart's output.
- keeps the ConfigMaps and the Deployment (kube play has no Services, PodDisruptionBudgets, NetworkPolicies or
  ServiceAccounts), with one replica (one pod on one machine);
- the two images: the ones just built instead of the registry's;
- no containerPorts and probes: kube play publishes every containerPort, which needs a bridge network (the pod
  runs in a network namespace of its own, lo only), and runs probes as commands inside the containers (curl),
  which the sidecar image does not have; the test polls /readyz itself;
- the TLS Secret (cert-manager's in a cluster) as a hostPath directory TLS_DIR: kube play 4.3 crashes on a secret
  volume (nil pointer in VolumeFromSecret);
- Postfix's main.cf and master.cf (ConfigMap keys mounted with subPath, which kube play 4.3 mounts as the whole
  volume) as hostPath files written to FILES_DIR from the ConfigMap;
- the sidecar's configuration directory mounted without readOnly: the runtime creates the tls mount point inside
  it (a kubelet does that on the host side); the files stay root's and read-only to the sidecar's user.
Standard library and PyYAML only.
"""
import os
import sys

import yaml


def main(rendered, out, sidecar_image, postfix_image, tls_dir, files_dir):
    with open(rendered) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    configmaps = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ConfigMap"}
    deployments = [d for d in docs if d["kind"] == "Deployment"]
    if len(deployments) != 1:
        sys.exit("expected one Deployment, found %d" % len(deployments))
    deployment = deployments[0]
    deployment["spec"]["replicas"] = 1
    pod = deployment["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}

    for c in pod["containers"]:
        c["image"] = sidecar_image if c["name"] == "sidecar" else postfix_image
        c["imagePullPolicy"] = "Never"
        for key in ("ports", "startupProbe", "livenessProbe", "readinessProbe"):
            c.pop(key, None)
        mounts = []
        for m in c.get("volumeMounts", []):
            volume = volumes[m["name"]]
            if "secret" in volume:
                volume.pop("secret")
                volume["hostPath"] = {"path": tls_dir, "type": "Directory"}
            if "configMap" in volume and "subPath" in m:
                data = configmaps[volume["configMap"]["name"]]["data"][m["subPath"]]
                path = os.path.join(files_dir, m["subPath"])
                with open(path, "w") as f:
                    f.write(data)
                name = "%s-%s" % (m["name"], m["subPath"].replace(".", "-"))
                pod["volumes"].append({"name": name, "hostPath": {"path": path, "type": "File"}})
                m = {"name": name, "mountPath": m["mountPath"], "readOnly": True}
            elif "configMap" in volume:
                m.pop("readOnly", None)
            mounts.append(m)
        c["volumeMounts"] = mounts
    used = {m["name"] for c in pod["containers"] for m in c["volumeMounts"]}
    pod["volumes"] = [v for v in pod["volumes"] if v["name"] in used]

    with open(out, "w") as f:
        yaml.safe_dump_all(list(configmaps.values()) + [deployment], f, sort_keys=False)
    print("\n".join(configmaps))


if __name__ == "__main__":
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    main(*sys.argv[1:])
