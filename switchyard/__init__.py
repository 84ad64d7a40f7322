"""Switchyard: a Kubernetes-native LLM routing catalog (operator, probes and router)."""

__version__ = "0.1.0"
