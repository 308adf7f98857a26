import { QueryFailedError } from 'typeorm';
import { slackErrorText } from './slack-responder';

const pgError = (driverError: Record<string, unknown>) =>
  new QueryFailedError('INSERT …', [], { message: 'x', ...driverError } as unknown as Error);

describe('Slack error text', () => {
  it('says what was wrong with text PostgreSQL refused (a NUL in a justification)', () => {
    const answer = slackErrorText(pgError({ code: '22021' }));
    expect(answer.text).toMatch(/^That did not work: .*NUL/);
    expect(answer.correlationId).toBeUndefined();
  });

  it('says what already exists when a concurrent create won', () => {
    const answer = slackErrorText(
      pgError({ code: '23505', table: 'groups', detail: 'Key (name)=(dba) already exists.' }),
    );
    expect(answer.text).toBe('a group with name dba already exists');
  });

  it('keeps unknown failures generic, with a reference', () => {
    const answer = slackErrorText(new Error('boom'));
    expect(answer.text).not.toContain('boom');
    expect(answer.correlationId).toEqual(expect.any(String));
  });
});
