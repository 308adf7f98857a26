import { DurationSchema, textProblem, TimestampSchema, unsafeTextIn } from './input-schemas';

describe('text PostgreSQL can store', () => {
  it.each(['plain', 'Ä🧨 \u202e', '', '\ud83e\udde8', 'tab\tnew\nline'])('takes %j', (s) => {
    expect(textProblem(s)).toBeNull();
  });

  it.each([
    ['a NUL', 'a\u0000b', /NUL/],
    ['a lone high surrogate', 'a\ud800', /surrogate/],
    ['a lone low surrogate', '\udc00b', /surrogate/],
    ['two high surrogates', '\ud800\ud800\udc00', /surrogate/],
  ])('refuses %s', (_what, s, why) => {
    expect(textProblem(s)).toMatch(why);
  });

  it('finds unsafe text at any depth, in values and keys, with its path', () => {
    expect(
      unsafeTextIn({
        name: 'ok',
        resources: [{ role: 'x' }, { role: 'bad\u0000' }],
        ['k\ud800']: 1,
        n: 5,
        nothing: null,
      }),
    ).toEqual([
      { path: ['resources', 1, 'role'], message: expect.stringMatching(/NUL/) },
      { path: ['k\ud800'], message: expect.stringMatching(/^key .*surrogate/) },
    ]);
    expect(unsafeTextIn({ a: [1, 'b', { c: true }] })).toEqual([]);
  });

  it('looks at a shared or circular node once', () => {
    const loop: Record<string, unknown> = { name: 'x\u0000' };
    loop.self = loop;
    expect(unsafeTextIn({ a: loop, b: loop })).toEqual([
      { path: ['a', 'name'], message: expect.stringMatching(/NUL/) },
    ]);
  });
});

describe('durations and dates in schemas', () => {
  it('refuses a duration past the maximum with the maximum in the message', () => {
    const r = DurationSchema.safeParse('9999999d');
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].message).toMatch(/at most 3650d/);
    expect(DurationSchema.safeParse('3650d').success).toBe(true);
  });

  it.each(['2026-01-31', '2026-01-31T12:00:00Z', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59Z'])(
    'takes the date %s',
    (d) => {
      expect(TimestampSchema.safeParse(d).success).toBe(true);
    },
  );

  it.each(['-200000-01-01T00:00:00Z', '+275000-01-01T00:00:00Z', '10000-01-01', 'nope', ''])(
    'refuses the date %j',
    (d) => {
      const r = TimestampSchema.safeParse(d);
      expect(r.success).toBe(false);
      expect(r.error?.issues[0].message).toMatch(/date/);
    },
  );
});
