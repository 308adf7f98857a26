import {
  AuditCheckpointSchema,
  checkpointSignatureValid,
  compareWithCheckpoint,
  generateSigningKey,
  parseSigningKey,
  signCheckpoint,
} from './audit-checkpoint';

describe('audit checkpoints', () => {
  const key = parseSigningKey(generateSigningKey());
  const head = { seq: '42', id: '57', hash: 'ab'.repeat(32), count: 42 };
  const c = signCheckpoint(head, key, new Date('2026-12-03T12:00:00Z'));

  it('signs the head with a key id that names the public key', () => {
    expect(AuditCheckpointSchema.parse(c)).toEqual(c);
    expect(c).toMatchObject({ version: 1, ...head, at: '2026-12-03T12:00:00.000Z' });
    expect(c.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(checkpointSignatureValid(c, key.publicKey)).toBe(true);
  });

  it('refuses a checkpoint with any field changed, or signed by another key', () => {
    for (const forged of [
      { ...c, seq: '41' },
      { ...c, hash: 'cd'.repeat(32) },
      { ...c, count: 41 },
      { ...c, at: '2026-12-03T13:00:00.000Z' },
    ])
      expect(checkpointSignatureValid(forged, key.publicKey)).toBe(false);
    const other = parseSigningKey(generateSigningKey());
    expect(checkpointSignatureValid(c, other.publicKey)).toBe(false);
  });

  it('refuses a key that is not Ed25519', () => {
    expect(() => parseSigningKey('bm90IGEga2V5')).toThrow();
  });

  it('matches a chain that still holds the signed head, and counts what came after', () => {
    expect(
      compareWithCheckpoint(c, { atSeq: { id: '57', hash: c.hash }, countUpTo: 42, headSeq: '50' }),
    ).toEqual({ matches: true, sealedSince: 8 });
  });

  it('reports the newest events missing when the chain ends before the signed head', () => {
    expect(compareWithCheckpoint(c, { atSeq: null, countUpTo: 39, headSeq: '39' })).toMatchObject({
      matches: false,
      missing: 3,
      reason: expect.stringContaining('3 sealed event(s) missing after seq 39'),
    });
  });

  it('reports a rewritten history when the event at the signed seq is another one', () => {
    expect(
      compareWithCheckpoint(c, {
        atSeq: { id: '57', hash: 'ef'.repeat(32) },
        countUpTo: 42,
        headSeq: '42',
      }),
    ).toMatchObject({ matches: false, reason: expect.stringContaining('history rewritten') });
  });
});
