# EdgeAllowedRegistries: every container and init container image comes from an allowed registry or repository
# prefix (parameters.allowed, e.g. "docker.io/prom" or a whole registry "registry.example.com"). Images are compared
# after spelling out the registry the way containerd resolves them, at path boundaries.

violation[{"msg": msg}] {
	c := edge_containers[_]
	repo := edge_repository(c.container.image)
	not edge_allowed(repo)
	msg := sprintf("%v %q uses image %v (%v), which is not from an allowed registry: %v", [c.kind, c.container.name, c.container.image, repo, concat(", ", input.parameters.allowed)])
}

violation[{"msg": msg}] {
	spec := edge_pod_spec(input.review.object)
	c := spec.ephemeralContainers[_]
	repo := edge_repository(c.image)
	not edge_allowed(repo)
	msg := sprintf("ephemeral container %q uses image %v (%v), which is not from an allowed registry", [c.name, c.image, repo])
}

edge_allowed(repo) {
	edge_repo_covered(repo, input.parameters.allowed[_])
}
