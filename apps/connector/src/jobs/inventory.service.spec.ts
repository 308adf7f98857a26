import { formatRoleComment } from '@doorman/contracts';
import { formatGroupComment } from '../postgres/group-role';
import { toInventoryRole } from './inventory.service';

const person = '00000000-0000-4000-8000-000000000001';

describe('toInventoryRole', () => {
  it('reports person and generation from the comment and groups from their comments', () => {
    expect(
      toInventoryRole({
        name: 'alice_doorman',
        comment: formatRoleComment({ person, email: 'alice@example.com', gen: 7 }),
        can_login: true,
        valid_until_ms: Date.parse('2026-11-21T13:00:00Z'),
        group_comments: [
          formatGroupComment({ database: 'app', schema: 'public', permission: 'read' }),
          'doorman:group:v1 {not json',
          null,
        ],
        now_ms: 0,
      }),
    ).toEqual({
      name: 'alice_doorman',
      person,
      generation: 7,
      canLogin: true,
      validUntil: '2026-11-21T13:00:00.000Z',
      groups: [{ database: 'app', schema: 'public', permission: 'read' }],
    });
  });

  it('a role whose comment was lost is still reported, without person or generation', () => {
    const r = toInventoryRole({
      name: 'x',
      comment: null,
      can_login: false,
      valid_until_ms: null,
      group_comments: [],
      now_ms: 0,
    });
    expect(r).toMatchObject({ person: null, generation: null, validUntil: null, groups: [] });
  });
});
