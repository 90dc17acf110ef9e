"""Aim's own hashes for the inputs hash.int.test.ts generates.

Usage: python hash_vectors.py < cases.json > hashes.json  (with the Aim venv's python)

stdin is a JSON list of cases `[kind, value]`. kind is `auto` (Aim's `hash_auto(value)`) or
`context` (Python's `hash(Context(value))`). Values are tagged so that ints, floats, bytes and
tuples survive JSON exactly:

  ["n"] None        ["b", true] bool            ["i", "-12"] int (decimal string)
  ["f", "000000000000f03f"] float (its 8 IEEE-754 bytes, little-endian, as hex)
  ["s", "text"] str ["y", "00ff"] bytes (hex)   ["l", [...]] list   ["t", [...]] tuple
  ["d", [[key, value], ...]] dict, keys and values tagged, in insertion order

stdout is a JSON list with, for each case, the hash as a decimal string, or `{"error": "<type>"}`
when Aim raised.
"""

import json
import struct
import sys

from aim.storage.context import Context
from aim.storage.hashing import hash_auto


def decode(tagged):
    tag = tagged[0]
    if tag == 'n':
        return None
    if tag == 'b':
        return bool(tagged[1])
    if tag == 'i':
        return int(tagged[1])
    if tag == 'f':
        return struct.unpack('<d', bytes.fromhex(tagged[1]))[0]
    if tag == 's':
        return tagged[1]
    if tag == 'y':
        return bytes.fromhex(tagged[1])
    if tag == 'l':
        return [decode(item) for item in tagged[1]]
    if tag == 't':
        return tuple(decode(item) for item in tagged[1])
    if tag == 'd':
        return {decode(key): decode(value) for key, value in tagged[1]}
    raise ValueError(f'unknown tag {tag!r}')


def main():
    results = []
    for kind, tagged in json.load(sys.stdin):
        try:
            value = decode(tagged)
            if kind == 'auto':
                results.append(str(hash_auto(value)))
            elif kind == 'context':
                results.append(str(hash(Context(value))))
            else:
                raise ValueError(f'unknown kind {kind!r}')
        except (OverflowError, NotImplementedError, UnicodeEncodeError) as error:
            results.append({'error': type(error).__name__})
    json.dump(results, sys.stdout)


if __name__ == '__main__':
    main()
