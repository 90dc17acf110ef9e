"""Aim's own side of figures.int.test.ts: figures written by Aim's SDK, and a run's stored records.

Run with the Python of the provisioned Aim venv.

  write   --url aim://HOST:PORT --name NAME --context JSON --experiment NAME FIGURE_JSON...
          Aim's SDK (`aim.Run(repo=url)`, remote tracking through the same aim server our client
          uses) tracks `aim.Figure(fig)` for each FIGURE_JSON at steps 0, 1, ... under NAME and
          the context, closes the run and prints {"hash"}. The figures are plotly stand-ins
          (plotly_stand_in.py: Aim writes version 'unknown', as it does without plotly).
  records --repo DIR HASH...
          Prints {"<hash>": [[tree, key_hex, value_hex], ...]}: every record RocksDB holds for the
          run in its meta and seqs chunks (`.aim/<tree>/chunks/<hash>`), exactly as stored
          (BLOB values under the `BLOBS\\xfe` domain, an empty sentinel at their key), in key order.
"""

import argparse
import json
import sys
from pathlib import Path

import aim
import aimrocks

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plotly_stand_in import aim_figure  # noqa: E402 - beside this script


def write(args):
    run = aim.Run(repo=args.url, experiment=args.experiment, system_tracking_interval=None,
                  log_system_params=False, capture_terminal_logs=False)
    context = json.loads(args.context)
    for step, text in enumerate(args.figures):
        run.track(aim_figure(text), name=args.name, step=step, context=context)
    run.close()
    json.dump({'hash': run.hash}, sys.stdout)


def records(args):
    answer = {}
    for run_hash in args.hashes:
        rows = []
        for tree in ('meta', 'seqs'):
            db = aimrocks.DB(str(Path(args.repo) / '.aim' / tree / 'chunks' / run_hash),
                             aimrocks.Options(create_if_missing=False), read_only=True)
            items = db.iteritems()
            items.seek_to_first()
            rows.extend([tree, key.hex(), value.hex()] for key, value in items)
            del items, db
        answer[run_hash] = rows
    json.dump(answer, sys.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest='command', required=True)
    w = commands.add_parser('write')
    w.add_argument('--url', required=True)
    w.add_argument('--name', required=True)
    w.add_argument('--context', default='{}')
    w.add_argument('--experiment', default=None)
    w.add_argument('figures', nargs='+')
    r = commands.add_parser('records')
    r.add_argument('--repo', required=True)
    r.add_argument('hashes', nargs='+')
    args = parser.parse_args()
    write(args) if args.command == 'write' else records(args)


if __name__ == '__main__':
    main()
