"""graphql-core alone, in a fresh process: `execute_sync` of a document over data held in
memory (dicts, default resolvers) against schema.graphql, plus orjson of the result. The
harness (bench/harness.py) runs it with the service's response as the data, in a process of
its own so that the harness's own heap (clients, results) does not lengthen its garbage
collections.

    python -m bench._core_alone <input.json>   # {"query", "data", "variables", "runs"} -> JSON
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import orjson
from graphql import build_schema, execute_sync, parse, validate

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    schema = build_schema((ROOT / "schema.graphql").read_text())
    document = parse(spec["query"])
    assert not validate(schema, document)
    data, variables, runs = spec["data"], spec["variables"], spec["runs"]
    out = None
    for _ in range(max(3, runs // 5)):
        out = execute_sync(schema, document, root_value=data, variable_values=variables)
        assert not out.errors, out.errors
    times: list[float] = []
    for _ in range(runs):
        started = time.process_time()
        out = execute_sync(schema, document, root_value=data, variable_values=variables)
        orjson.dumps({"data": out.data})
        times.append(time.process_time() - started)
    assert out is not None
    print(json.dumps({"times": times, "same": out.data == data}))


if __name__ == "__main__":
    main()
