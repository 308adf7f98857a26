import { DomainError, ErrorCode } from '../common/errors';
import { slackErrorText } from './slack-responder';

describe('slackErrorText', () => {
  it('says where a request is instead of REST status words', () => {
    const e = new DomainError(
      ErrorCode.IllegalTransition,
      'cannot cancel a request that is ACTIVE (allowed: revoke, expire)',
      { status: 'ACTIVE' },
    );
    const { text, correlationId } = slackErrorText(e);
    expect(text).toBe('That can no longer be done: this request is active. Nothing changed.');
    expect(correlationId).toBeUndefined();
  });

  it('keeps plain reasons, and hides unknown errors behind a reference', () => {
    expect(slackErrorText(DomainError.forbidden('you are not an approver')).text).toBe(
      'Not allowed: you are not an approver',
    );
    const unknown = slackErrorText(new Error('db exploded'));
    expect(unknown.text).not.toContain('db exploded');
    expect(unknown.text).toContain(unknown.correlationId);
  });
});
