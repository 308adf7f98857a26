import {
  generateSealKeyPair,
  loadSealPrivateKey,
  loadSealPublicKey,
  open,
  seal,
  SealKeyring,
} from './seal';

describe('sealed boxes', () => {
  const pair = generateSealKeyPair();
  const pub = loadSealPublicKey(pair.publicKey);
  const priv = loadSealPrivateKey(pair.privateKey);

  it('round-trips a secret and never contains it in clear', () => {
    const box = seal('s3cret-password', pub);
    expect(JSON.stringify(box)).not.toContain('s3cret-password');
    expect(open(box, priv)).toBe('s3cret-password');
  });

  it('uses a fresh ephemeral key and IV each time', () => {
    const a = seal('x', pub);
    const b = seal('x', pub);
    expect(a.epk).not.toBe(b.epk);
    expect(a.ct === b.ct && a.iv === b.iv).toBe(false);
  });

  it('refuses a tampered ciphertext', () => {
    const box = seal('hello world', pub);
    const ct = Buffer.from(box.ct, 'base64');
    ct[0] ^= 1;
    expect(() => open({ ...box, ct: ct.toString('base64') }, priv)).toThrow();
  });

  it('cannot be opened with another private key', () => {
    const other = loadSealPrivateKey(generateSealKeyPair().privateKey);
    expect(() => open(seal('hello', pub), other)).toThrow();
  });
});

describe('SealKeyring (key rotation)', () => {
  const oldPair = generateSealKeyPair();
  const newPair = generateSealKeyPair();
  const ring = SealKeyring.fromConfig(newPair.privateKey, [oldPair.privateKey]);

  it('opens boxes sealed to the current or a previous key', () => {
    expect(ring.open(seal('a', loadSealPublicKey(newPair.publicKey)))).toBe('a');
    expect(ring.open(seal('b', loadSealPublicKey(oldPair.publicKey)))).toBe('b');
  });

  it('re-seals an old box to the current key, which then opens without the old one', () => {
    const old = seal('secret', loadSealPublicKey(oldPair.publicKey));
    expect(ring.isCurrent(old)).toBe(false);
    const resealed = ring.reseal(old);
    expect(ring.isCurrent(resealed)).toBe(true);
    expect(SealKeyring.fromConfig(newPair.privateKey).open(resealed)).toBe('secret');
  });

  it('refuses a box no key opens', () => {
    const stranger = seal('x', loadSealPublicKey(generateSealKeyPair().publicKey));
    expect(() => ring.open(stranger)).toThrow('no key of this broker opens the sealed box');
  });
});
