import { z } from 'zod';
import { DomainError, ErrorCode } from './errors';
import { ZodPipe } from './zod';

const pipe = new ZodPipe(
  z.strictObject({ name: z.string(), tags: z.array(z.string()).optional() }),
);
const refusal = (value: unknown) => {
  try {
    pipe.transform(value);
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
};

describe('ZodPipe', () => {
  it('passes what the schema takes', () => {
    expect(pipe.transform({ name: 'Ä🧨', tags: ['a'] })).toEqual({ name: 'Ä🧨', tags: ['a'] });
  });

  it('refuses text PostgreSQL cannot store in any field, naming it, before the schema runs', () => {
    const e = refusal({ name: 'ok', tags: ['fine', 'x\u0000'] });
    expect(e.code).toBe(ErrorCode.Validation);
    expect(e.details).toEqual({
      fields: [{ field: 'tags.1', message: expect.stringMatching(/NUL/) }],
    });
    expect(refusal({ name: '\ud800' }).message).toMatch(/^invalid input: name: .*surrogate/);
  });

  it('names every field the schema refuses', () => {
    expect(refusal({ tags: [1] }).details).toEqual({
      fields: [
        { field: 'name', message: expect.any(String) },
        { field: 'tags.0', message: expect.any(String) },
      ],
    });
  });
});
