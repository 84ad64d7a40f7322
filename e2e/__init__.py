"""Local Kubernetes control plane tooling (build, run, pytest fixtures) for end-to-end tests."""
