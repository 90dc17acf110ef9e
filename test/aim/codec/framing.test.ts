import { expect } from 'chai';
import { AimCodecError } from '../../../src/aim/errors.js';
import { type AimRecord, RecordStreamParser, packRecords, parseRecords, recordSize } from '../../../src/aim/codec/framing.js';
import { packTree } from '../../../src/aim/codec/tree.js';
import { aimText } from '../../../src/aim/codec/values.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/[\s|]/g, ''), 'hex');
const plain = (records: readonly AimRecord[]): { key: string; value: string; isBlob: boolean }[] =>
  records.map((r) => ({ key: Buffer.from(r.key).toString('hex'), value: Buffer.from(r.value).toString('hex'), isBlob: r.isBlob }));

/** A deterministic PRNG (mulberry32) for random chunkings. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A payload with several records: a root ARRAY, int keys, a BLOB, an empty key value, a long value. */
const PAYLOAD = packTree(['x', [aimText('hi'), 'a'.repeat(300)], new Map([[5n, '']]), new Uint8Array(0)]);

function streamParse(chunks: readonly Uint8Array[]): AimRecord[] {
  const parser = new RecordStreamParser();
  const records = chunks.flatMap((chunk) => parser.push(chunk));
  parser.end();
  return records;
}

describe('codec framing (spec §6)', () => {
  describe('packRecords', () => {
    it("packs [(b'', 07)] as 00000000 00 01000000 07 (§17.1)", () => {
      const packed = packRecords([{ key: new Uint8Array(0), value: Uint8Array.of(0x07), isBlob: false }]);
      expect(packed.toString('hex')).to.equal('00000000' + '00' + '01000000' + '07');
    });

    it('writes u32 LE lengths, the key, the blob byte and the value, back to back', () => {
      const records: AimRecord[] = [
        { key: hex('64617461fe'), value: hex('046869'), isBlob: true },
        { key: new Uint8Array(0), value: hex('00'), isBlob: false },
      ];
      expect(packRecords(records).toString('hex')).to.equal('05000000' + '64617461fe' + '01' + '03000000' + '046869' + '00000000' + '00' + '01000000' + '00');
      expect(recordSize(records[0] as AimRecord)).to.equal(17);
    });

    it('packs no records as no bytes', () => {
      expect(packRecords([]).length).to.equal(0);
    });
  });

  describe('parseRecords', () => {
    it('is the inverse of packRecords', () => {
      const records = parseRecords(PAYLOAD);
      expect(packRecords(records).equals(PAYLOAD)).to.equal(true);
      expect(records.filter((r) => r.isBlob)).to.have.length(1);
    });

    it('returns views of the input (no copy)', () => {
      const records = parseRecords(PAYLOAD);
      expect((records[0] as AimRecord).value.buffer).to.equal(PAYLOAD.buffer);
    });

    it('accepts a plain Uint8Array that is a window of a larger buffer', () => {
      const big = new Uint8Array(PAYLOAD.length + 7);
      big.set(PAYLOAD, 3);
      expect(plain(parseRecords(big.subarray(3, 3 + PAYLOAD.length)))).to.deep.equal(plain(parseRecords(PAYLOAD)));
    });

    it('treats any non-zero blob byte as true', () => {
      const [record] = parseRecords(hex('00000000 02 01000000 00'));
      expect(record?.isBlob).to.equal(true);
    });

    it('parses the empty payload as no records', () => {
      expect(parseRecords(new Uint8Array(0))).to.deep.equal([]);
    });

    it('rejects every truncation that is not a record boundary', () => {
      const boundaries = new Set<number>([0]);
      let offset = 0;
      for (const record of parseRecords(PAYLOAD)) boundaries.add((offset += recordSize(record)));
      for (let cut = 1; cut < PAYLOAD.length; cut++) {
        const prefix = PAYLOAD.subarray(0, cut);
        if (boundaries.has(cut)) expect(() => parseRecords(prefix)).not.to.throw();
        else expect(() => parseRecords(prefix), `cut at ${String(cut)}`).to.throw(AimCodecError, /truncated/);
      }
    });

    it('enforces maxRecordSize', () => {
      expect(() => parseRecords(PAYLOAD, { maxRecordSize: 100 })).to.throw(AimCodecError, /limit/);
      expect(parseRecords(PAYLOAD, { maxRecordSize: 400 })).to.have.length(parseRecords(PAYLOAD).length);
    });
  });

  describe('RecordStreamParser', () => {
    const expected = plain(parseRecords(PAYLOAD));

    it('parses a stream split in two at every offset', () => {
      for (let cut = 0; cut <= PAYLOAD.length; cut++) {
        expect(plain(streamParse([PAYLOAD.subarray(0, cut), PAYLOAD.subarray(cut)])), `cut at ${String(cut)}`).to.deep.equal(expected);
      }
    });

    it('parses a stream of 1-byte chunks', () => {
      const chunks = Array.from({ length: PAYLOAD.length }, (_, i) => PAYLOAD.subarray(i, i + 1));
      expect(plain(streamParse(chunks))).to.deep.equal(expected);
    });

    it('parses random chunkings, with empty chunks and copies of the bytes', () => {
      const random = prng(42);
      for (let round = 0; round < 200; round++) {
        const chunks: Uint8Array[] = [];
        let pos = 0;
        while (pos < PAYLOAD.length) {
          const size = Math.floor(random() * 40);
          chunks.push(Uint8Array.from(PAYLOAD.subarray(pos, pos + size)));
          pos += size;
        }
        expect(plain(streamParse(chunks)), `round ${String(round)}`).to.deep.equal(expected);
      }
    });

    it('returns records as soon as they are complete', () => {
      const parser = new RecordStreamParser();
      const [first] = parseRecords(PAYLOAD);
      const size = recordSize(first as AimRecord);
      expect(parser.push(PAYLOAD.subarray(0, size - 1))).to.deep.equal([]);
      expect(parser.bytesPending).to.equal(size - 1);
      expect(plain(parser.push(PAYLOAD.subarray(size - 1, size)))).to.deep.equal(expected.slice(0, 1));
      expect(parser.bytesParsed).to.equal(size);
      expect(parser.bytesPending).to.equal(0);
    });

    it('end() rejects a stream that stops inside a record, wherever it stops', () => {
      for (const cut of [1, 3, 4, 5, 9, 11, 14, 19, PAYLOAD.length - 1]) {
        const parser = new RecordStreamParser();
        parser.push(PAYLOAD.subarray(0, cut));
        expect(
          () => {
            parser.end();
          },
          `cut at ${String(cut)}`,
        ).to.throw(AimCodecError, /truncated/);
      }
    });

    it('end() accepts an empty stream and a stream that ends on a record boundary', () => {
      expect(() => {
        new RecordStreamParser().end();
      }).not.to.throw();
      expect(streamParse([PAYLOAD])).to.have.length(expected.length);
    });

    it('refuses a record larger than maxRecordSize as soon as its lengths arrive', () => {
      const parser = new RecordStreamParser({ maxRecordSize: 100 });
      const huge = hex('00000000 00 ffffff00');
      expect(() => parser.push(huge.subarray(0, 3))).not.to.throw();
      expect(() => parser.push(huge.subarray(3))).to.throw(AimCodecError, /limit/);
    });

    it('handles a large record in many chunks in linear time', () => {
      const big = packTree('z'.repeat(4 << 20));
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < big.length; i += 997) chunks.push(big.subarray(i, i + 997));
      const started = performance.now();
      const records = streamParse(chunks);
      expect(performance.now() - started).to.be.below(2000);
      expect(records).to.have.length(1);
      expect((records[0] as AimRecord).value.length).to.equal((4 << 20) + 1);
    });
  });
});
