/**
 * Issue 18, point 3: the receiver's tokens (`src/receiver/credentials.ts`) — from the options and
 * a token file (text or JSON with tenant scopes), several valid at once, the file re-read when it
 * changes (also through a symlink swap, as a Kubernetes secret volume does), a reload that fails
 * keeping the tokens in use, and no token value in any error or log line.
 */
import { mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diag } from '@opentelemetry/api';
import { expect } from 'chai';
import { Credentials, CredentialsError } from '../../src/receiver/credentials.js';
import { type RecordingLogger, recordDiag } from '../logging/recording-logger.js';

const A = 'tok-alpha-7f3c9d1e2b4a';
const B = 'tok-bravo-0a9b8c7d6e5f';
const C = 'tok-charlie-11223344556677';

/** The error `load` throws for `options`, checked to be a CredentialsError. */
function loadError(options: Parameters<typeof Credentials.load>[0]): CredentialsError {
  try {
    Credentials.load(options).close();
  } catch (error) {
    expect(error).to.be.instanceOf(CredentialsError);
    return error as CredentialsError;
  }
  expect.fail('Credentials.load did not throw');
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((wake) => setTimeout(wake, 20));
  }
}

describe('receiver credentials', () => {
  let dir: string;
  let logs: RecordingLogger;
  const opened: Credentials[] = [];
  const load = (options: Parameters<typeof Credentials.load>[0]): Credentials => {
    const credentials = Credentials.load(options);
    opened.push(credentials);
    return credentials;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'credentials-'));
    logs = recordDiag();
  });
  afterEach(() => {
    for (const credentials of opened.splice(0)) credentials.close();
    diag.disable();
    rmSync(dir, { recursive: true, force: true });
    // No line logged in any test names a token.
    for (const line of logs.lines) for (const token of [A, B, C]) expect(line).not.to.contain(token);
  });

  describe('matching', () => {
    it('without any token, every request passes, unscoped', () => {
      const credentials = load({});
      expect(credentials.required).to.equal(false);
      expect(credentials.authenticate(undefined)).to.deep.equal({});
      expect(credentials.authenticate('Bearer whatever')).to.deep.equal({});
    });

    it('accepts any of the configured tokens (token and tokens), and only them', () => {
      const credentials = load({ token: A, tokens: [B, { token: C }] });
      expect(credentials.required).to.equal(true);
      expect(credentials.size).to.equal(3);
      for (const token of [A, B, C]) expect(credentials.authenticate(`Bearer ${token}`), token).to.deep.equal({});
      expect(credentials.authenticate(undefined)).to.equal(undefined);
      expect(credentials.authenticate('')).to.equal(undefined);
      expect(credentials.authenticate('Bearer ')).to.equal(undefined);
      expect(credentials.authenticate(`Bearer ${A}x`)).to.equal(undefined);
      expect(credentials.authenticate(`Bearer ${A.slice(0, -1)}`)).to.equal(undefined);
      expect(credentials.authenticate(A)).to.equal(undefined); // no scheme
      expect(credentials.authenticate(`Basic ${A}`)).to.equal(undefined);
    });

    it('takes the Bearer scheme in any case (RFC 7235) and surrounding blanks', () => {
      const credentials = load({ token: A });
      expect(credentials.authenticate(`bearer ${A}`)).to.deep.equal({});
      expect(credentials.authenticate(`BEARER  ${A} `)).to.deep.equal({});
    });

    it('returns the scope of the token that matched', () => {
      const teamA = { name: 'team-a', experiment: 'chatbot', runKeyNamespace: 'ns-a' };
      const teamB = { name: 'team-b', experimentPrefix: 'b/' };
      const credentials = load({ tokens: [{ token: A, scope: teamA }, { token: B, scope: teamB }, C] });
      expect(credentials.authenticate(`Bearer ${A}`)).to.deep.equal({ scope: teamA });
      expect(credentials.authenticate(`Bearer ${B}`)).to.deep.equal({ scope: teamB });
      expect(credentials.authenticate(`Bearer ${C}`)).to.deep.equal({});
      expect(credentials.tenants).to.have.members(['team-a', 'team-b']);
    });

    it('counts a token given twice with the same scope once, and refuses it with two scopes (naming both, not the token)', () => {
      expect(load({ token: A, tokens: [A] }).size).to.equal(1);
      const error = loadError({
        tokens: [
          { token: A, scope: { name: 'x' } },
          { token: A, scope: { name: 'y' } },
        ],
      });
      expect(error.message).to.contain('tokens[1]').and.to.contain('tokens[0]').and.not.to.contain(A);
    });

    it('refuses tokens an Authorization header cannot carry, and a scope with an experiment and a prefix', () => {
      for (const token of ['', 'with space', 'tab\tinside', 'x'.repeat(4097), 'naïve']) {
        const error = loadError({ token });
        expect(error.message).to.match(/^invalid tokens in the receiver options, token: /);
        if (token.length > 1) expect(error.message).not.to.contain(token);
      }
      const both = loadError({ tokens: [{ token: A, scope: { name: 't', experiment: 'e', experimentPrefix: 'p' } }] });
      expect(both.message).to.contain('tokens[0]').and.to.contain('not both').and.not.to.contain(A);
    });
  });

  describe('the token file', () => {
    it('text: one token a line; blank lines and # comments ignored; CRLF too', () => {
      const file = join(dir, 'tokens');
      writeFileSync(file, `# the bridge's tokens\n\n  ${A}  \r\n# ${C} (retired)\n${B}\n`);
      const credentials = load({ tokenFile: file });
      expect(credentials.size).to.equal(2);
      expect(credentials.authenticate(`Bearer ${A}`)).to.deep.equal({});
      expect(credentials.authenticate(`Bearer ${B}`)).to.deep.equal({});
      expect(credentials.authenticate(`Bearer ${C}`)).to.equal(undefined);
      expect(credentials.authenticate(`Bearer #`)).to.equal(undefined);
    });

    it('JSON: tokens with tenant scopes (the run-key namespace as given), and plain strings', () => {
      const file = join(dir, 'tokens.json');
      writeFileSync(
        file,
        JSON.stringify({
          note: 'rotated monthly',
          tokens: [{ token: A, tenant: 'team-a', experiment: 'chatbot', runKeyNamespace: 'a' }, { token: B, tenant: 'team-b', experimentPrefix: 'b-' }, C],
        }),
      );
      const credentials = load({ tokenFile: file });
      expect(credentials.authenticate(`Bearer ${A}`)).to.deep.equal({ scope: { name: 'team-a', experiment: 'chatbot', runKeyNamespace: 'a' } });
      expect(credentials.authenticate(`Bearer ${B}`)).to.deep.equal({ scope: { name: 'team-b', experimentPrefix: 'b-' } });
      expect(credentials.authenticate(`Bearer ${C}`)).to.deep.equal({});
    });

    it('adds to the tokens of the options', () => {
      const file = join(dir, 'tokens');
      writeFileSync(file, `${B}\n`);
      const credentials = load({ token: A, tokenFile: file });
      expect(credentials.size).to.equal(2);
      expect(credentials.authenticate(`Bearer ${A}`)).to.deep.equal({});
      expect(credentials.authenticate(`Bearer ${B}`)).to.deep.equal({});
    });

    const malformed: [string, string, RegExp][] = [
      ['a text line with two words', `${A}\n${B} team-b\n`, /, line 2: a line holds one token/],
      ['JSON that does not parse', `{"tokens": ["${A}", ${B}]}`, /: not valid JSON/],
      ['JSON without a tokens list', `{"token": "${A}"}`, /a JSON token file is an object with a "tokens" list/],
      [
        'an unknown key of an entry',
        JSON.stringify({ tokens: [A, { token: B, tenant: 't', experiment_prefix: 'x' }] }),
        /, tokens\[1\]: unknown keys "experiment_prefix"/,
      ],
      [
        'experiment and experimentPrefix',
        JSON.stringify({ tokens: [{ token: A, tenant: 't', experiment: 'e', experimentPrefix: 'p' }] }),
        /, tokens\[0\]: .*not both/,
      ],
      ['a scope without a tenant', JSON.stringify({ tokens: [{ token: A, experiment: 'e' }] }), /, tokens\[0\]: .*name it with "tenant"/],
      ['a token that is not a string', JSON.stringify({ tokens: [A, { token: 42 }] }), /, tokens\[1\]: "token" must be a string/],
      ['an entry that is neither', JSON.stringify({ tokens: [[A]] }), /, tokens\[0\]: an entry is a token string or an object/],
      ['no token at all', '# nothing yet\n\n', /: the file names no token/],
      [
        'one token with two tenants',
        JSON.stringify({
          tokens: [
            { token: A, tenant: 'x' },
            { token: A, tenant: 'y' },
          ],
        }),
        /tokens\[1\]: the same token as .*tokens\[0\], with another tenant scope/,
      ],
    ];
    for (const [what, content, message] of malformed) {
      it(`at start, ${what}: a CredentialsError naming the file and the entry, never a token`, () => {
        const file = join(dir, 'tokens.conf');
        writeFileSync(file, content);
        const error = loadError({ tokenFile: file });
        expect(error.message).to.match(message);
        expect(error.message).to.contain(file);
        for (const token of [A, B]) expect(error.message).not.to.contain(token);
        expect(error.message).not.to.contain('tok-');
      });
    }

    it('at start, a missing file: a CredentialsError naming the file', () => {
      const file = join(dir, 'missing');
      expect(loadError({ tokenFile: file }).message).to.equal(`invalid tokens in ${file}: cannot be read (ENOENT)`);
    });

    it('is re-read when it changes: tokens added and removed without a restart (rotation), several valid at once', async () => {
      const file = join(dir, 'tokens');
      writeFileSync(file, `${A}\n`);
      const credentials = load({ tokenFile: file, tokenFileReloadMs: 60_000 });
      // Rotation, step 1: the new token joins the old one.
      writeFileSync(file, `${A}\n${B}\n`);
      await credentials.check();
      expect(credentials.authenticate(`Bearer ${A}`)).to.deep.equal({});
      expect(credentials.authenticate(`Bearer ${B}`)).to.deep.equal({});
      // Step 2: the old one goes.
      writeFileSync(file, `${B}\n`);
      await credentials.check();
      expect(credentials.authenticate(`Bearer ${A}`)).to.equal(undefined);
      expect(credentials.authenticate(`Bearer ${B}`)).to.deep.equal({});
      expect(logs.lines.filter((line) => line.includes('reloaded'))).to.have.length(2);
    });

    it('is polled every tokenFileReloadMs', async () => {
      const file = join(dir, 'tokens');
      writeFileSync(file, `${A}\n`);
      const credentials = load({ tokenFile: file, tokenFileReloadMs: 50 });
      writeFileSync(file, `${C}\n`);
      await until(() => credentials.authenticate(`Bearer ${C}`) !== undefined);
      expect(credentials.authenticate(`Bearer ${A}`)).to.equal(undefined);
    });

    it('follows a symlink swap, as a Kubernetes secret volume updates (..data → a new directory)', async () => {
      // The layout kubelet writes: tokens → ..data/tokens, ..data → ..2026_v1; an update makes ..2026_v2 and renames a new link over ..data.
      mkdirSync(join(dir, '..v1'));
      writeFileSync(join(dir, '..v1', 'tokens'), `${A}\n`);
      symlinkSync('..v1', join(dir, '..data'));
      symlinkSync(join('..data', 'tokens'), join(dir, 'tokens'));
      const credentials = load({ tokenFile: join(dir, 'tokens'), tokenFileReloadMs: 60_000 });
      expect(credentials.authenticate(`Bearer ${A}`)).to.deep.equal({});
      mkdirSync(join(dir, '..v2'));
      writeFileSync(join(dir, '..v2', 'tokens'), `${B}\n`);
      symlinkSync('..v2', join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
      rmSync(join(dir, '..v1'), { recursive: true });
      await credentials.check();
      expect(credentials.authenticate(`Bearer ${A}`)).to.equal(undefined);
      expect(credentials.authenticate(`Bearer ${B}`)).to.deep.equal({});
    });

    it('a reload that fails keeps the tokens in use and warns once per problem, naming no token', async () => {
      const file = join(dir, 'tokens.json');
      writeFileSync(file, JSON.stringify({ tokens: [A] }));
      const credentials = load({ tokenFile: file, tokenFileReloadMs: 60_000 });
      const warnings = (): string[] => logs.calls.filter((call) => call.level === 'warn').map((call) => call.args.map(String).join(' '));

      writeFileSync(file, `{"tokens": ["${B}", ${C}`); // a half-written file
      await credentials.check();
      await credentials.check(); // unchanged: no second warning
      expect(credentials.authenticate(`Bearer ${A}`)).to.deep.equal({});
      expect(credentials.authenticate(`Bearer ${B}`)).to.equal(undefined);
      expect(warnings()).to.have.length(1);
      expect(warnings()[0]).to.contain(file).and.to.contain('not valid JSON').and.to.contain('keeping the 1 tokens in use');

      rmSync(file);
      await credentials.check();
      await credentials.check();
      expect(credentials.authenticate(`Bearer ${A}`)).to.deep.equal({});
      expect(warnings()).to.have.length(2);
      expect(warnings()[1]).to.contain(file).and.to.contain('ENOENT');

      writeFileSync(file, '# all tokens removed by mistake\n');
      await credentials.check();
      expect(credentials.authenticate(`Bearer ${A}`)).to.deep.equal({});
      expect(warnings()[2]).to.contain('names no token');

      writeFileSync(file, JSON.stringify({ tokens: [A, { token: C, tenant: 'team-c' }] }));
      await credentials.check();
      expect(credentials.authenticate(`Bearer ${C}`)).to.deep.equal({ scope: { name: 'team-c' } });
      expect(logs.lines.at(-1)).to.contain('reloaded: 2 tokens (tenants team-c)');
    });

    it('close() stops the polling', async () => {
      const file = join(dir, 'tokens');
      writeFileSync(file, `${A}\n`);
      const credentials = load({ tokenFile: file, tokenFileReloadMs: 20 });
      credentials.close();
      writeFileSync(file, `${B}\n`);
      await new Promise((wake) => setTimeout(wake, 150));
      expect(credentials.authenticate(`Bearer ${B}`)).to.equal(undefined);
    });
  });
});
