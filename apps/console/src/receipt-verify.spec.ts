import {
  generateReceiptKey,
  jwkOf,
  publicX,
  signReceipt,
} from '../../broker/src/receipts/receipt-signature';
import { canonicalJson, verifyReceipt } from './receipt-verify';

/**
 * The console's own check of a receipt (WebCrypto, as the browser runs it; Node's WebCrypto
 * here): RFC 8785 as the signer writes it, a receipt signed by the broker's signer verifies
 * against the published keys, and a changed byte, an unknown key or a renamed key does not.
 */
describe('receipt verification in the console', () => {
  it('canonicalizes as RFC 8785 does: members sorted by UTF-16 code units, no whitespace', () => {
    // RFC 8785 §3.2.3's sorting example, and its number and string examples.
    const sorted = canonicalJson({
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    });
    const order = [...sorted.matchAll(/"((?:[^"\\]|\\.)*)":"[^"]*"/g)].map((m) => m[1]);
    expect(order).toEqual(['\\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33']);
    expect(
      canonicalJson({
        numbers: [333333333.3333333, 1e30, 4.5, 2e-3, 0.000000000000000000000000001],
        string: '\u20ac$\u000F\u000aA\'\u0042\u0022\u005c\\"/',
        literals: [null, true, false],
      }),
    ).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/not a JSON number/);
  });

  const key = generateReceiptKey();
  const receipt = {
    type: 'doorman.access-receipt',
    requestId: '10000000-0000-4000-8000-000000000001',
    outcome: 'ended',
    request: { justification: 'INC-7 «naïve» \u2028', durationSeconds: 3600 },
    approvals: [{ step: 1, by: { email: 'bob@example.com' }, authentication: null }],
  };
  const signed = signReceipt(receipt, key);
  const keys = { keys: [jwkOf(publicX(generateReceiptKey())), jwkOf(publicX(key))] };

  it('verifies the served text of a receipt the broker signed, whatever its whitespace', async () => {
    expect(await verifyReceipt(JSON.stringify(signed), keys)).toEqual({
      ok: true,
      kid: signed.signature.kid,
    });
    expect(await verifyReceipt(JSON.stringify(signed, null, 2), keys)).toEqual({
      ok: true,
      kid: signed.signature.kid,
    });
  });

  it('refuses one changed byte, an unknown key, a renamed key and what is not a receipt', async () => {
    const changed = JSON.stringify(signed).replace('INC-7', 'INC-8');
    expect(await verifyReceipt(changed, keys)).toEqual({
      ok: false,
      reason: 'the signature does not match',
    });
    const other = { keys: [jwkOf(publicX(generateReceiptKey()))] };
    expect(await verifyReceipt(JSON.stringify(signed), other)).toEqual({
      ok: false,
      reason: `no published key ${signed.signature.kid}`,
    });
    const renamed = {
      keys: [{ ...jwkOf(publicX(generateReceiptKey())), kid: signed.signature.kid }],
    };
    expect(await verifyReceipt(JSON.stringify(signed), renamed)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('RFC 7638'),
    });
    const badSig = JSON.stringify({ ...signed, signature: { ...signed.signature, value: 'AA' } });
    expect(await verifyReceipt(badSig, keys)).toMatchObject({ ok: false });
    expect(await verifyReceipt('{', keys)).toEqual({
      ok: false,
      reason: 'the receipt is not JSON',
    });
    expect(await verifyReceipt('{"receipt":{}}', keys)).toMatchObject({ ok: false });
  });
});
