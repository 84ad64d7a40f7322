"""The deterministic fake upstream (OpenAI Chat, OpenAI Responses, Anthropic Messages).

See `scenario` for the scenario format and `server` for the control endpoints.
"""

from .scenario import (
    Behaviour,
    Failure,
    MidStream,
    Scenario,
    ScenarioError,
    load_scenario,
    parse_scenario,
)
from .server import STATE, MockState, create_app
from .simulate import Ask, Reply, answer, instance_of

__all__ = [
    "STATE",
    "Ask",
    "Behaviour",
    "Failure",
    "MidStream",
    "MockState",
    "Reply",
    "Scenario",
    "ScenarioError",
    "answer",
    "create_app",
    "instance_of",
    "load_scenario",
    "parse_scenario",
]
