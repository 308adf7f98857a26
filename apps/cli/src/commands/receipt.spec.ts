import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateReceiptKey,
  jwkOf,
  publicX,
  signReceipt,
} from '../../../broker/src/receipts/receipt-signature';
import { EXIT } from '../lib/exit-codes';
import { run } from '../program';
import { canonicalJson } from './receipt';

/**
 * `doorman receipt verify`, offline: a receipt signed by the broker's signer checks out with
 * the CLI's own verifier and the keys file alone; any change to the receipt, another key set
 * or a renamed key does not. No broker and no network are involved.
 */
describe('doorman receipt verify (offline)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'doorman-receipt-'));
  const key = generateReceiptKey();
  const receipt = {
    type: 'doorman.access-receipt',
    requestId: '10000000-0000-4000-8000-000000000001',
    outcome: 'ended',
    request: { justification: 'INC-7 «naïve» \u2028', durationSeconds: 3600 },
    approvals: [{ step: 1, by: { email: 'bob@example.com' }, authentication: null }],
  };
  const signed = signReceipt(receipt, key);
  const file = (name: string, value: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
    return path;
  };
  const keys = file('keys.json', {
    keys: [jwkOf(publicX(generateReceiptKey())), jwkOf(publicX(key))],
  });
  let out = '';
  let err = '';
  beforeEach(() => {
    out = '';
    err = '';
    jest.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    jest.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  });
  afterEach(() => jest.restoreAllMocks());

  const verify = (...args: string[]) => run(['node', 'doorman', 'receipt', 'verify', ...args], 't');

  it('says valid, with the key that signed it, and exits 0', async () => {
    expect(await verify(file('ok.json', signed), '--keys', keys)).toBe(EXIT.OK);
    expect(out).toContain(`is valid: signed by key ${signed.signature.kid}`);
    expect(out).toContain(receipt.requestId);
    expect(await verify(file('ok.json', signed), '--keys', keys, '--json')).toBe(EXIT.OK);
    expect(JSON.parse(out.split('\n').filter(Boolean).pop()!)).toEqual({
      valid: true,
      kid: signed.signature.kid,
      requestId: receipt.requestId,
    });
  });

  it('refuses a receipt changed by one character, with exit 3', async () => {
    const text = JSON.stringify(signed).replace('INC-7', 'INC-8');
    expect(await verify(file('changed.json', text), '--keys', keys)).toBe(EXIT.REFUSED);
    expect(err).toContain('is NOT valid: the signature does not match');
  });

  it('refuses an unknown key and a key set that renamed a key', async () => {
    const other = file('other.json', { keys: [jwkOf(publicX(generateReceiptKey()))] });
    expect(await verify(file('ok.json', signed), '--keys', other)).toBe(EXIT.REFUSED);
    expect(err).toContain(`no key ${signed.signature.kid}`);
    const renamed = file('renamed.json', {
      keys: [{ ...jwkOf(publicX(generateReceiptKey())), kid: signed.signature.kid }],
    });
    expect(await verify(file('ok.json', signed), '--keys', renamed)).toBe(EXIT.REFUSED);
    expect(err).toContain('RFC 7638');
  });

  it('names a missing file (6), unreadable JSON and a missing --keys (2)', async () => {
    expect(await verify(join(dir, 'nope.json'), '--keys', keys)).toBe(EXIT.NOT_FOUND);
    expect(await verify(file('bad.json', '{'), '--keys', keys)).toBe(EXIT.USAGE);
    expect(await verify(file('ok.json', signed))).toBe(EXIT.USAGE);
  });

  it('canonicalizes as the signer does (the bytes the signature covers)', () => {
    const saved = JSON.parse(readFileSync(file('ok.json', signed), 'utf8')) as typeof signed;
    expect(canonicalJson(saved.receipt)).toBe(
      '{"approvals":[{"authentication":null,"by":{"email":"bob@example.com"},"step":1}],' +
        '"outcome":"ended","request":{"durationSeconds":3600,"justification":"INC-7 «naïve» \u2028"},' +
        '"requestId":"10000000-0000-4000-8000-000000000001","type":"doorman.access-receipt"}',
    );
  });
});
