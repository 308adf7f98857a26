import { baseUsername, chooseUsername, hashedUsername } from './username';

describe('database user names', () => {
  it('derives a readable name from the email', () => {
    expect(baseUsername('Alice.Smith@example.com')).toBe('alice_smith_doorman');
  });
  it('never starts with a digit and never is empty', () => {
    expect(baseUsername('42@x.io')).toBe('u_42_doorman');
    expect(baseUsername('+++@x.io')).toBe('user_doorman');
  });
  it('stays within 63 bytes for long or unicode local parts', () => {
    const long = `${'é'.repeat(50)}${'a'.repeat(100)}@x.io`;
    expect(Buffer.byteLength(hashedUsername(long))).toBeLessThanOrEqual(63);
    expect(baseUsername(long)).toMatch(/^[a-z0-9_]+$/);
  });
  it('adds a hash when the plain name is taken by another person', () => {
    const a = chooseUsername('alice@a.com', () => false);
    const b = chooseUsername('alice@b.com', (n) => n === a);
    expect(a).toBe('alice_doorman');
    expect(b).toMatch(/^alice_[0-9a-f]{8}_doorman$/);
    expect(b).not.toBe(chooseUsername('alice@c.com', (n) => n === a));
  });
});
