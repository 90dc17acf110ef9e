import { expect } from 'chai';
import { AimUsageError } from '../../src/aim/errors.js';
import { parseAimUrl } from '../../src/aim/url.js';

describe('parseAimUrl', () => {
  const cases: [string, string, string][] = [
    ['aim://127.0.0.1:53800', 'http://127.0.0.1:53800', 'ws://127.0.0.1:53800'],
    ['aim://tracking.example', 'http://tracking.example:53800', 'ws://tracking.example:53800'],
    ['aim://h:1234/aim/', 'http://h:1234/aim', 'ws://h:1234/aim'],
    ['https://h:443/base', 'https://h:443/base', 'wss://h:443/base'],
    ['http://[::1]:53800', 'http://[::1]:53800', 'ws://[::1]:53800'],
  ];
  for (const [url, http, ws] of cases) {
    it(`${url} → ${http} and ${ws}`, () => {
      const endpoint = parseAimUrl(url);
      expect([endpoint.httpBase, endpoint.wsBase]).to.deep.equal([http, ws]);
    });
  }

  for (const bad of ['', '127.0.0.1:53800', 'ftp://h:1', 'aim://']) {
    it(`rejects ${JSON.stringify(bad)} with a usage error naming the expected form`, () => {
      expect(() => parseAimUrl(bad)).to.throw(AimUsageError, /aim:\/\/host:53800/);
    });
  }
});
