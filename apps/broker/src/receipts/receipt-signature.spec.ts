import { generateKeyPairSync } from 'node:crypto';
import {
  canonicalize,
  generateReceiptKey,
  jwkOf,
  kidOf,
  parseReceiptKeyPem,
  privateKeyPem,
  publicX,
  receiptDigest,
  signReceipt,
  verifyReceipt,
} from './receipt-signature';

describe('receipt signatures', () => {
  it('canonicalizes as RFC 8785 does: members sorted by UTF-16 code units, no whitespace', () => {
    // RFC 8785 §3.2.3's sorting example, and its number and string examples.
    const sorted = canonicalize({
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    });
    // (Not Object.keys of the parsed text: JavaScript lists integer-like keys first.)
    const order = [...sorted.matchAll(/"((?:[^"\\]|\\.)*)":"[^"]*"/g)].map((m) => m[1]);
    expect(order).toEqual(['\\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33']);
    expect(
      canonicalize({
        numbers: [333333333.3333333, 1e30, 4.5, 2e-3, 0.000000000000000000000000001],
        string: '\u20ac$\u000F\u000aA\'\u0042\u0022\u005c\\"/',
        literals: [null, true, false],
      }),
    ).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
    expect(canonicalize({ b: 1, a: { d: undefined, c: new Date('2026-01-01T00:00:00Z') } })).toBe(
      '{"a":{"c":"2026-01-01T00:00:00.000Z"},"b":1}',
    );
    expect(() => canonicalize({ n: Number.NaN })).toThrow(/not a JSON number/);
  });

  it('round-trips: signed, verified with the published key; a changed byte fails', () => {
    const key = generateReceiptKey();
    const jwks = { keys: [jwkOf(publicX(key))] };
    const signed = signReceipt({ requestId: 'r1', approvals: [{ by: 'bob', step: 1 }] }, key);
    expect(signed.signature).toEqual({
      alg: 'Ed25519',
      kid: kidOf(publicX(key)),
      value: expect.stringMatching(/^[A-Za-z0-9_-]{86}$/),
    });
    expect(verifyReceipt(signed, jwks)).toEqual({ ok: true, kid: signed.signature.kid });
    // Key order does not matter (canonical bytes); content does.
    const reordered = JSON.parse(
      '{"signature":' +
        JSON.stringify(signed.signature) +
        ',"receipt":{"approvals":[{"step":1,"by":"bob"}],"requestId":"r1"}}',
    ) as unknown;
    expect(verifyReceipt(reordered, jwks).ok).toBe(true);
    const text = JSON.stringify(signed);
    const tampered = JSON.parse(text.replace('"bob"', '"bib"')) as unknown;
    expect(verifyReceipt(tampered, jwks)).toEqual({
      ok: false,
      reason: 'the signature does not match the receipt',
    });
    const badSig = structuredClone(signed);
    badSig.signature.value = `${badSig.signature.value.slice(0, -2)}AA`;
    expect(verifyReceipt(badSig, jwks).ok).toBe(false);
  });

  it('refuses an unknown kid, a key set that renamed a key, and what is not a receipt', () => {
    const key = generateReceiptKey();
    const other = generateReceiptKey();
    const signed = signReceipt({ a: 1 }, key);
    expect(verifyReceipt(signed, { keys: [jwkOf(publicX(other))] })).toEqual({
      ok: false,
      reason: `no key with kid ${signed.signature.kid} in the key set`,
    });
    const renamed = { ...jwkOf(publicX(other)), kid: signed.signature.kid };
    expect(verifyReceipt(signed, { keys: [renamed] })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('thumbprint'),
    });
    expect(verifyReceipt({ receipt: {} }, { keys: [] }).ok).toBe(false);
    expect(verifyReceipt(null, { keys: [] }).ok).toBe(false);
  });

  it('names the key by its RFC 7638 thumbprint and reads PEM PKCS#8 Ed25519 keys only', () => {
    // RFC 8037 appendix A.3: the thumbprint of its example key.
    expect(kidOf('11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo')).toBe(
      'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k',
    );
    const key = generateReceiptKey();
    expect(publicX(parseReceiptKeyPem(privateKeyPem(key)))).toBe(publicX(key));
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    expect(() =>
      parseReceiptKeyPem(rsa.export({ format: 'pem', type: 'pkcs8' }).toString()),
    ).toThrow(/Ed25519 key is needed, not rsa/);
  });

  it('digests the canonical bytes: the same receipt in any key order has one digest', () => {
    expect(receiptDigest({ a: 1, b: [2] })).toBe(receiptDigest({ b: [2], a: 1 }));
    expect(receiptDigest({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
    expect(receiptDigest({ a: 1 })).not.toBe(receiptDigest({ a: 2 }));
  });
});
