"""`switchyard config-schema`: the JSON Schema of the RouterConfig file."""

from __future__ import annotations

import argparse
import json

from switchyard.catalog import RouterConfig


def configure(parser: argparse.ArgumentParser) -> None:
    del parser  # no options


def run(args: argparse.Namespace) -> int:
    del args
    schema = RouterConfig.model_json_schema(by_alias=True, mode="validation")
    print(json.dumps(schema, indent=2, sort_keys=True))
    return 0
