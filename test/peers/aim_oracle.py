"""The Aim oracle: reads an Aim repository with Aim's own Python SDK and prints it as JSON.

Usage: python aim_oracle.py --repo DIR [--run HASH ...] [--no-index]
       python aim_oracle.py --repo DIR --query EXPR [--query EXPR ...] [--no-index]

Aim indexes runs lazily (only `aim up` or `aim storage reindex` copy a run's meta tree into
`.aim/meta/index`), so runs written through `aim server` are invisible to the SDK at first. The
oracle first indexes every run whose chunk changed, exactly as Aim's own RepoIndexManager does,
then reads. Output (stdout, one JSON document):

  {"aim_version": "3.29.1",
   "runs": [{"hash", "experiment", "name", "description", "tags", "params", "creation_time",
             "end_time", "active", "archived",
             "sequences": [{"name", "context", "dtype", "steps", "values", "epochs"}]}]}

With --query, it runs each expression through Aim's query language instead (`repo.query_runs`,
as the UI's search box does, e.g. `run.gen_ai.conversation.id == "c-1"`) and prints the hashes
of the runs each matches: {"aim_version": "3.29.1", "queries": {"<expr>": ["<hash>", ...]}}.

Metric values are floats or ints (NaN/inf as the strings "NaN", "inf", "-inf"); texts are their
strings; figures (aim.Figure) are {"source", "format", "version", "data"}: what the SDK's
`Figure.json()` returns and `Figure.data`, the plotly JSON text (plotly itself is not needed);
other objects are their repr. Runs are sorted by creation time, sequences by name and context, so
the output is stable.
"""

import argparse
import base64
import json
import math
import sys
from importlib.metadata import version

from aim import Repo, Run
from aim.sdk.index_manager import RepoIndexManager
from aim.sdk.objects.figure import Figure
from aim.sdk.objects.text import Text
from aim.sdk.sequence import Sequence
from aim.sdk.types import QueryReportMode



def plain(value):
    """Turns what the SDK returns into JSON: trees to dicts, non-finite floats to strings."""
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    if isinstance(value, Text):
        return value.data
    if isinstance(value, Figure):
        return {**value.json(), "data": value.data}
    if hasattr(value, "data") and isinstance(getattr(value, "data"), str):
        return value.data
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, bool)):
        return value
    if isinstance(value, bytes):
        return {"__bytes__": base64.b64encode(value).decode("ascii")}
    return repr(value)


def index_runs(repo):
    """Makes freshly written runs visible: the same call `aim up`'s indexer makes per run."""
    manager = RepoIndexManager.get_index_manager(repo)
    index_db = repo.request_tree("meta", read_only=True)
    for run_hash in repo._all_run_hashes():
        if manager._is_run_index_outdated(run_hash, index_db):
            manager.index(run_hash)
    repo.container_pool.clear()


def sequence_type_for(dtype):
    """The registered Sequence type ("metric", "texts", "logs", ...) that stores this dtype."""
    for seq_type, seq_cls in Sequence.registry.items():
        allowed = seq_cls.allowed_dtypes()
        if dtype == allowed or (not isinstance(allowed, str) and dtype in allowed):
            return seq_type
    return None


def read_sequence(run, name, context, dtype):
    seq_type = sequence_type_for(dtype)
    seq = run._get_sequence(seq_type, name, context) if seq_type else None
    entry = {"name": name, "context": plain(context.to_dict()), "dtype": dtype}
    if seq is None:
        entry.update(steps=[], values=[], epochs=[])
        return entry
    steps, (values, epochs) = seq.data.view(["val", "epoch"]).items_list()
    entry["steps"] = [int(s) for s in steps]
    entry["values"] = [plain(v) for v in values]
    # Aim stores a missing epoch as NaN; report it as null, as it was tracked.
    entry["epochs"] = [None if e is None or (isinstance(e, float) and math.isnan(e)) else plain(e) for e in epochs]
    return entry


def read_run(run):
    sequences = []
    traces = run.meta_run_tree.subtree("traces")
    for ctx_idx in traces.keys():
        context = run.idx_to_ctx(ctx_idx)
        for name, info in traces[ctx_idx].items():
            sequences.append(read_sequence(run, name, context, info.get("dtype", "float")))
    sequences.sort(key=lambda s: (s["name"], json.dumps(s["context"], sort_keys=True)))
    params = run.meta_run_tree.get("attrs", {}) or {}
    return {
        "hash": run.hash,
        "experiment": run.experiment,
        "name": run.name,
        "description": run.description,
        "tags": sorted(run.tags),
        "params": plain(params),
        "creation_time": run.creation_time,
        "end_time": run.end_time,
        "active": run.active,
        "archived": run.archived,
        "sequences": sequences,
    }


def query_runs(repo, expression):
    """The hashes of the runs `expression` matches, sorted."""
    matches = repo.query_runs(expression, report_mode=QueryReportMode.DISABLED).iter_runs()
    return sorted(collection.run.hash for collection in matches)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", required=True, help="the Aim repository directory (holding .aim)")
    parser.add_argument("--run", action="append", default=[], help="only this run hash (repeatable)")
    parser.add_argument("--no-index", action="store_true", help="read the index as it is")
    parser.add_argument("--query", action="append", default=[], help="print the runs this Aim query matches instead (repeatable)")
    args = parser.parse_args()

    repo = Repo(args.repo, read_only=None)
    if not args.no_index:
        index_runs(repo)
    if args.query:
        queries = {expression: query_runs(repo, expression) for expression in args.query}
        json.dump({"aim_version": version("aim"), "queries": queries}, sys.stdout, sort_keys=True)
        sys.stdout.write("\n")
        return
    wanted = set(args.run)
    runs = []
    for run_hash in repo.list_all_runs():
        if wanted and run_hash not in wanted:
            continue
        runs.append(read_run(Run(run_hash, repo=repo, read_only=True)))
    runs.sort(key=lambda r: (r["creation_time"] or 0, r["hash"]))
    json.dump({"aim_version": version("aim"), "runs": runs}, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
