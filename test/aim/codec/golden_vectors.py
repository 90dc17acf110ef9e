"""Golden vectors for the TypeScript codec, produced by Aim's own encoders.

Run with the Python of the provisioned Aim venv. Reads one JSON request on stdin, writes one JSON
answer on stdout:

  request  {"trees": [{"name", "value": DESC}], "paths": [{"name", "path": [KEYDESC]}],
            "decode": [{"name", "records": [[key_hex, value_hex, is_blob]]}]}
  answer   {"aim_version",
            "trees": [{"name", "hex", "decoded": DESC}],      pack_args(encode_tree(value)), and
                                                               Aim's decode_tree of those bytes
            "paths": [{"name", "hex", "decoded": [KEYDESC]}], encode_path / decode_path
            "decode": [{"name", "result": DESC} | {"name", "error": "<exception class>"}]}

DESC, a typed JSON description of a Python value (ints and floats kept apart):
  {"t": "none"} | {"t": "bool", "v": true} | {"t": "int", "v": "<decimal>"}
  {"t": "float", "v": "<repr: 0.5, nan, inf, -inf, -0.0>"} | {"t": "str", "v": "..."}
  {"t": "bytes", "v": "<hex>"} | {"t": "list" | "tuple", "v": [DESC]}
  {"t": "dict", "v": [[KEYDESC, DESC]]}          KEYDESC: {"t": "str" | "int", "v": ...}
  {"t": "custom", "alias": "...", "v": [[KEYDESC, DESC]]}  (storage fields, in order)
  {"t": "blob", "v": DESC}
  {"t": "text", "v": "..."}       aim.Text (input only; it decodes as a custom aim.text)
  {"t": "resource", "v": "..."}   aim.resource (input only; it decodes as a custom aim.resource)
  {"t": "figure", "v": "<json>", "version": "..."?}
                                  aim.Figure of a plotly figure whose to_json() is v (input only; it
                                  decodes as a custom aim.figure), through ../plotly_stand_in.py:
                                  version 'unknown' (plotly is not installed) unless given
"""

import json
import math
import sys
from pathlib import Path
from importlib.metadata import version

import aim
from aim.ext.transport.message_utils import ResourceObject, pack_args, pack_stream, unpack_args
from aim.storage import encoding
from aim.storage.object import CustomObject
from aim.storage.treeutils import decode_tree, encode_tree
from aim.storage.types import BLOB

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from plotly_stand_in import aim_figure  # noqa: E402 - test/aim, beside this directory


def custom_class(alias):
    """The registered class of `alias`, registering a bare one for aliases Aim does not know."""
    if alias not in CustomObject.registry:
        cls = type('Golden_' + alias.replace('.', '_'), (CustomObject,), {'AIM_NAME': alias})
        CustomObject.alias(alias)(cls)
    return CustomObject.registry[alias]


def build_key(desc):
    return int(desc['v']) if desc['t'] == 'int' else desc['v']


def build(desc):
    t = desc['t']
    if t == 'none':
        return None
    if t == 'bool':
        return desc['v']
    if t == 'int':
        return int(desc['v'])
    if t == 'float':
        return float(desc['v'])
    if t == 'str':
        return desc['v']
    if t == 'bytes':
        return bytes.fromhex(desc['v'])
    if t == 'list':
        return [build(item) for item in desc['v']]
    if t == 'tuple':
        return tuple(build(item) for item in desc['v'])
    if t == 'dict':
        return {build_key(key): build(value) for key, value in desc['v']}
    if t == 'custom':
        cls = custom_class(desc['alias'])
        obj = cls.__new__(cls)
        for key, value in desc['v']:
            obj.storage[build_key(key)] = build(value)
        return obj
    if t == 'blob':
        return BLOB(data=build(desc['v']))
    if t == 'text':
        return aim.Text(desc['v'])
    if t == 'resource':
        return ResourceObject(desc['v'])
    if t == 'figure':
        return aim_figure(desc['v'], desc.get('version'))
    raise ValueError(f'unknown description {t!r}')


def describe_key(key):
    if isinstance(key, bool) or not isinstance(key, (int, str)):
        raise TypeError(f'unexpected key {key!r}')
    return {'t': 'int', 'v': str(key)} if isinstance(key, int) else {'t': 'str', 'v': key}


def describe(value):
    if value is None:
        return {'t': 'none'}
    if isinstance(value, bool):
        return {'t': 'bool', 'v': value}
    if isinstance(value, int):
        return {'t': 'int', 'v': str(value)}
    if isinstance(value, float):
        if math.isnan(value):
            text = 'nan'
        elif math.isinf(value):
            text = 'inf' if value > 0 else '-inf'
        else:
            text = repr(value)
        return {'t': 'float', 'v': text}
    if isinstance(value, str):
        return {'t': 'str', 'v': value}
    if isinstance(value, bytes):
        return {'t': 'bytes', 'v': value.hex()}
    if isinstance(value, (list, tuple)):
        return {'t': 'list', 'v': [describe(item) for item in value]}
    if isinstance(value, dict):
        return {'t': 'dict', 'v': [[describe_key(k), describe(v)] for k, v in value.items()]}
    if isinstance(value, BLOB):
        return {'t': 'blob', 'v': describe(value.load())}
    if isinstance(value, CustomObject):
        storage = value.storage[...]
        return {'t': 'custom', 'alias': value.AIM_NAME, 'v': [[describe_key(k), describe(v)] for k, v in storage.items()]}
    raise TypeError(f'cannot describe {type(value)}')


def main():
    request = json.load(sys.stdin)
    answer = {'aim_version': version('aim'), 'trees': [], 'paths': [], 'decode': []}

    for case in request.get('trees', []):
        value = build(case['value'])
        packed = pack_args(encode_tree(value))
        assert b''.join(pack_stream(encode_tree(value))) == packed, case['name']
        decoded = decode_tree(unpack_args(packed))
        answer['trees'].append({'name': case['name'], 'hex': packed.hex(), 'decoded': describe(decoded)})

    for case in request.get('paths', []):
        path = tuple(build_key(key) for key in case['path'])
        encoded = encoding.encode_path(path)
        decoded = encoding.decode_path(encoded)
        answer['paths'].append({'name': case['name'], 'hex': encoded.hex(), 'decoded': [describe_key(k) for k in decoded]})

    for case in request.get('decode', []):
        records = [
            (bytes.fromhex(key), BLOB(data=bytes.fromhex(val)) if is_blob else bytes.fromhex(val))
            for key, val, is_blob in case['records']
        ]
        try:
            result = {'name': case['name'], 'result': describe(decode_tree(iter(records)))}
        except Exception as error:  # noqa: BLE001 - the class name is the answer
            result = {'name': case['name'], 'error': type(error).__name__}
        answer['decode'].append(result)

    json.dump(answer, sys.stdout)


if __name__ == '__main__':
    main()
