# Shared helpers, inlined by components/addons/gatekeeper/templates.ts into every edge-estate ConstraintTemplate
# after its `package` line (Gatekeeper 3.15 runs Rego; CEL is not production-ready there). Plain Rego v0 without
# future keywords so it runs on Gatekeeper's OPA and on older evaluators alike. Names carry an `edge_` prefix.

# The pod spec of every workload kind the constraints match; pods created by controllers are checked at the
# controller object already, so a bad Deployment is refused at apply time instead of failing to create pods.
edge_pod_spec(obj) = spec {
	obj.kind == "Pod"
	spec := obj.spec
}

edge_pod_spec(obj) = spec {
	edge_template_kinds[obj.kind]
	spec := obj.spec.template.spec
}

edge_pod_spec(obj) = spec {
	obj.kind == "CronJob"
	spec := obj.spec.jobTemplate.spec.template.spec
}

edge_template_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"}

# Every container and init container of the reviewed object, with its kind for messages.
edge_containers[c] {
	spec := edge_pod_spec(input.review.object)
	ctr := spec.containers[_]
	c := {"kind": "container", "container": ctr}
}

edge_containers[c] {
	spec := edge_pod_spec(input.review.object)
	ctr := spec.initContainers[_]
	c := {"kind": "init container", "container": ctr}
}

edge_runtime_class(spec) = rc {
	rc := spec.runtimeClassName
}

edge_runtime_class(spec) = "" {
	not spec.runtimeClassName
}

# --- image references -----------------------------------------------------------------------------------------
# The repository of an image reference with the registry spelled out the way containerd resolves it:
# "eclipse-mosquitto:2.0.18@sha256:.." -> "docker.io/library/eclipse-mosquitto", "prom/x" -> "docker.io/prom/x".
edge_repository(image) = repo {
	name := edge_strip_tag(split(image, "@")[0])
	segs := split(name, "/")
	repo := edge_with_domain(segs, name)
}

edge_strip_tag(name) = out {
	segs := split(name, "/")
	last := segs[count(segs) - 1]
	contains(last, ":")
	kept := array.slice(segs, 0, count(segs) - 1)
	out := concat("/", array.concat(kept, [split(last, ":")[0]]))
}

edge_strip_tag(name) = name {
	segs := split(name, "/")
	not contains(segs[count(segs) - 1], ":")
}

edge_with_domain(segs, name) = out {
	count(segs) == 1
	out := concat("/", ["docker.io", "library", name])
}

edge_with_domain(segs, name) = name {
	count(segs) > 1
	edge_is_domain(segs[0])
}

edge_with_domain(segs, name) = out {
	count(segs) > 1
	not edge_is_domain(segs[0])
	out := concat("/", ["docker.io", name])
}

edge_is_domain(s) {
	contains(s, ".")
}

edge_is_domain(s) {
	contains(s, ":")
}

edge_is_domain(s) {
	s == "localhost"
}

# A repository is covered by an entry when it is the entry or lies below it at a path boundary
# ("docker.io/prom" covers "docker.io/prom/prometheus", never "docker.io/prometheus-fake").
edge_repo_covered(repo, entry) {
	repo == entry
}

edge_repo_covered(repo, entry) {
	startswith(repo, concat("", [entry, "/"]))
}

# --- quantities ---------------------------------------------------------------------------------------------
# CPU in millicores. Plain numbers and decimal strings are cores; "m" is milli. Anything else is left
# undefined so the caller reports it instead of letting an unreadable value pass.
edge_cpu_milli(q) = n {
	is_number(q)
	n := q * 1000
}

edge_cpu_milli(q) = n {
	is_string(q)
	m := regex.find_all_string_submatch_n(`^([0-9]+(?:\.[0-9]+)?)(m?)$`, q, 1)
	count(m) == 1
	n := to_number(m[0][1]) * edge_cpu_factor[m[0][2]]
}

edge_cpu_factor := {"": 1000, "m": 1}

# Memory in bytes: binary (Ki..Ei) and decimal (k..E) suffixes, "m" (milli-bytes) and plain numbers.
edge_memory_bytes(q) = n {
	is_number(q)
	n := q
}

edge_memory_bytes(q) = n {
	is_string(q)
	m := regex.find_all_string_submatch_n(`^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$`, q, 1)
	count(m) == 1
	n := to_number(m[0][1]) * edge_memory_factor[m[0][2]]
}

edge_memory_factor := {
	"": 1, "m": 0.001,
	"k": 1000, "M": 1000000, "G": 1000000000, "T": 1000000000000, "P": 1000000000000000, "E": 1000000000000000000,
	"Ki": 1024, "Mi": 1048576, "Gi": 1073741824, "Ti": 1099511627776, "Pi": 1125899906842624, "Ei": 1152921504606846976,
}
