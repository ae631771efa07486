# EdgeWasmRuntimeClass: a workload that runs a Wasm image (its repository is in parameters.wasmRepositories, or
# the pod is labelled edge-estate/runtime=wasm) must set runtimeClassName to the Wasm runtime class; on any other
# runtime containerd would try to exec a .wasm file as a Linux binary.

violation[{"msg": msg}] {
	spec := edge_pod_spec(input.review.object)
	c := edge_containers[_]
	repo := edge_repository(c.container.image)
	edge_is_wasm_repo(repo)
	edge_runtime_class(spec) != input.parameters.runtimeClassName
	msg := sprintf("%v %q runs the Wasm image %v: %v %q must set runtimeClassName: %v", [c.kind, c.container.name, c.container.image, input.review.object.kind, input.review.object.metadata.name, input.parameters.runtimeClassName])
}

violation[{"msg": msg}] {
	spec := edge_pod_spec(input.review.object)
	edge_pod_labels(input.review.object)["edge-estate/runtime"] == "wasm"
	edge_runtime_class(spec) != input.parameters.runtimeClassName
	msg := sprintf("%v %q is labelled edge-estate/runtime=wasm and must set runtimeClassName: %v", [input.review.object.kind, input.review.object.metadata.name, input.parameters.runtimeClassName])
}

edge_is_wasm_repo(repo) {
	edge_repo_covered(repo, input.parameters.wasmRepositories[_])
}

edge_pod_labels(obj) = labels {
	obj.kind == "Pod"
	labels := object.get(obj.metadata, "labels", {})
}

edge_pod_labels(obj) = labels {
	obj.kind != "Pod"
	obj.kind != "CronJob"
	labels := object.get(object.get(obj.spec.template, "metadata", {}), "labels", {})
}

edge_pod_labels(obj) = labels {
	obj.kind == "CronJob"
	labels := object.get(object.get(obj.spec.jobTemplate.spec.template, "metadata", {}), "labels", {})
}
