import { AUDIT_ACTIONS, isAuditAction, notificationOf } from './audit-action';

describe('audit actions and the Slack notices they are', () => {
  it('tells Slack about what moves a request, a grant or an operator alert', () => {
    expect(notificationOf('request.created')).toBe('submitted');
    expect(notificationOf('extension.requested')).toBe('submitted');
    expect(notificationOf('request.approved')).toBe('decided');
    expect(notificationOf('request.denied')).toBe('decided');
    expect(notificationOf('request.auto_approved')).toBe('auto-approved');
    expect(notificationOf('request.escalated')).toBe('step-advanced');
    expect(notificationOf('grant.expired')).toBe('access-ending');
    expect(notificationOf('grant.revoked')).toBe('access-ended');
    expect(notificationOf('sync.failed')).toBe('grants-failed');
    expect(notificationOf('admin_rotation.failed')).toBe('security-alert');
  });

  it('says nothing about reads, tokens and administration', () => {
    for (const action of ['credentials.revealed', 'token.used', 'user.updated', 'policy.applied'])
      expect(notificationOf(action as (typeof AUDIT_ACTIONS)[number])).toBeNull();
  });

  it('knows each action once, and nothing else', () => {
    expect(new Set(AUDIT_ACTIONS).size).toBe(AUDIT_ACTIONS.length);
    expect(isAuditAction('request.created')).toBe(true);
    expect(isAuditAction('request.teleported')).toBe(false);
  });
});
