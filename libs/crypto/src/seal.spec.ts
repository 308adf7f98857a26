import { generateSealKeyPair, loadSealPrivateKey, loadSealPublicKey, open, seal } from './seal';

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
