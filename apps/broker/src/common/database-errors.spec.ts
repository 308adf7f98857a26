import { QueryFailedError } from 'typeorm';
import { domainErrorFromDatabase } from './database-errors';
import { ErrorCode } from './errors';

const failed = (driverError: Record<string, unknown>) =>
  new QueryFailedError('INSERT INTO "users" ("email") VALUES ($1)', ['x'], {
    message: 'duplicate key value violates unique constraint "UQ_97672ac88f789774dd47f7c8be3"',
    ...driverError,
  } as unknown as Error);

describe('PostgreSQL errors at the edge', () => {
  it('turns a lost race on a unique index into a conflict naming what exists, without SQL', () => {
    const e = domainErrorFromDatabase(
      failed({
        code: '23505',
        table: 'users',
        constraint: 'UQ_97672ac88f789774dd47f7c8be3',
        detail: 'Key (email)=(twin@example.com) already exists.',
      }),
    );
    expect(e?.code).toBe(ErrorCode.Conflict);
    expect(e?.message).toBe('a user with email twin@example.com already exists');
  });

  it('names columns it does not echo by name only', () => {
    const e = domainErrorFromDatabase(
      failed({
        code: '23505',
        table: 'approvals',
        detail: 'Key (request_id, step, approver_id)=(1, 0, 2) already exists.',
      }),
    );
    expect(e?.message).toBe(
      'an approval with the same request and step and approver already exists',
    );
  });

  it('leaves a unique violation on an internal table a 500', () => {
    expect(
      domainErrorFromDatabase(
        failed({ code: '23505', table: 'audit_events', detail: 'Key (seq)=(1) already exists.' }),
      ),
    ).toBeNull();
  });

  it('turns text and numbers PostgreSQL cannot hold into validation errors', () => {
    expect(domainErrorFromDatabase(failed({ code: '22021' }))?.code).toBe(ErrorCode.Validation);
    expect(domainErrorFromDatabase(failed({ code: '22P05' }))?.code).toBe(ErrorCode.Validation);
    expect(domainErrorFromDatabase(failed({ code: '22003' }))?.code).toBe(ErrorCode.Validation);
    expect(domainErrorFromDatabase(failed({ code: '22008' }))?.code).toBe(ErrorCode.Validation);
  });

  it('leaves anything else alone', () => {
    expect(domainErrorFromDatabase(failed({ code: '40P01' }))).toBeNull();
    expect(domainErrorFromDatabase(new Error('boom'))).toBeNull();
    expect(domainErrorFromDatabase(undefined)).toBeNull();
  });
});
