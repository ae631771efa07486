# EdgeContainerResources: every container and init container sets CPU and memory requests and limits, and its
# limits stay within the ceiling of its workload class: pods on the Wasm runtime class get the `wasm` ceiling,
# everything else the `default` ceiling (parameters come from edge-estate:budget.classes).

violation[{"msg": msg}] {
	c := edge_containers[_]
	field := edge_required_fields[_]
	not edge_has_field(c.container, field)
	msg := sprintf("%v %q of %v %q must set resources.%v (edge-estate site budget)", [c.kind, c.container.name, input.review.object.kind, input.review.object.metadata.name, concat(".", field)])
}

violation[{"msg": msg}] {
	c := edge_containers[_]
	q := c.container.resources.limits.cpu
	not edge_cpu_milli(q)
	msg := sprintf("%v %q: cpu limit %v is not a CPU quantity this policy can read (use e.g. 500m or 1)", [c.kind, c.container.name, q])
}

violation[{"msg": msg}] {
	c := edge_containers[_]
	q := c.container.resources.limits.memory
	not edge_memory_bytes(q)
	msg := sprintf("%v %q: memory limit %v is not a memory quantity this policy can read (use e.g. 256Mi or 1Gi)", [c.kind, c.container.name, q])
}

violation[{"msg": msg}] {
	c := edge_containers[_]
	class := edge_class
	ceiling := input.parameters.ceilings[class]
	q := c.container.resources.limits.cpu
	edge_cpu_milli(q) > ceiling.cpuMilli
	msg := sprintf("%v %q: cpu limit %v exceeds the %v class ceiling %v", [c.kind, c.container.name, q, class, ceiling.cpu])
}

violation[{"msg": msg}] {
	c := edge_containers[_]
	class := edge_class
	ceiling := input.parameters.ceilings[class]
	q := c.container.resources.limits.memory
	edge_memory_bytes(q) > ceiling.memoryBytes
	msg := sprintf("%v %q: memory limit %v exceeds the %v class ceiling %v", [c.kind, c.container.name, q, class, ceiling.memory])
}

edge_required_fields := [["requests", "cpu"], ["requests", "memory"], ["limits", "cpu"], ["limits", "memory"]]

edge_has_field(container, field) {
	v := container.resources[field[0]][field[1]]
	v != null
	v != ""
}

edge_class = "wasm" {
	edge_runtime_class(edge_pod_spec(input.review.object)) == input.parameters.wasmRuntimeClassName
}

edge_class = "default" {
	edge_runtime_class(edge_pod_spec(input.review.object)) != input.parameters.wasmRuntimeClassName
}
