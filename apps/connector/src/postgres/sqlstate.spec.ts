import { ConnectorError, ConnectorErrorCode } from '../common/connector.error';
import { classifyError, isAlreadyExists, isAlreadyGone } from './sqlstate';

const pgError = (code: string, message = 'irrelevant, maybe German') =>
  Object.assign(new Error(message), { code });

describe('SQLSTATE classification', () => {
  it.each([
    ['42710', true],
    ['42P04', true],
    ['23505', true],
    ['42704', false],
  ])('treats %s as already exists: %s', (code, expected) => {
    expect(isAlreadyExists(pgError(code))).toBe(expected);
  });

  it('treats undefined_object as already gone, nothing else', () => {
    expect(isAlreadyGone(pgError('42704'))).toBe(true);
    expect(isAlreadyGone(pgError('42710'))).toBe(false);
    expect(isAlreadyGone(new Error('role does not exist'))).toBe(false);
  });

  it.each([
    ['08006', ConnectorErrorCode.ConnectionFailed],
    ['08001', ConnectorErrorCode.ConnectionFailed],
    ['57P01', ConnectorErrorCode.ConnectionFailed],
    ['57P02', ConnectorErrorCode.ConnectionFailed],
    ['57P03', ConnectorErrorCode.ConnectionFailed],
    ['53300', ConnectorErrorCode.ServerBusy],
    ['53200', ConnectorErrorCode.ServerBusy],
    ['40001', ConnectorErrorCode.ConcurrentUpdate],
    ['40P01', ConnectorErrorCode.ConcurrentUpdate],
    ['XX000', ConnectorErrorCode.ConcurrentUpdate],
    ['55P03', ConnectorErrorCode.ConcurrentUpdate],
    ['57014', ConnectorErrorCode.Timeout],
    ['28P01', ConnectorErrorCode.AuthenticationFailed],
    ['28000', ConnectorErrorCode.AuthenticationFailed],
  ])('%s is retryable (%s)', (code, expected) => {
    const e = classifyError(pgError(code));
    expect(e.code).toBe(expected);
    expect(e.retryable).toBe(true);
    expect(e.sqlstate).toBe(code);
  });

  it.each([
    ['42501', ConnectorErrorCode.InsufficientPrivilege],
    ['3D000', ConnectorErrorCode.DatabaseMissing],
    ['3F000', ConnectorErrorCode.SchemaMissing],
    ['42601', ConnectorErrorCode.InvalidRequest],
    ['22023', ConnectorErrorCode.InvalidRequest],
    ['P0001', ConnectorErrorCode.DatabaseError],
  ])('%s is permanent (%s)', (code, expected) => {
    const e = classifyError(pgError(code));
    expect(e.code).toBe(expected);
    expect(e.retryable).toBe(false);
  });

  it('does not look at message text', () => {
    const german = classifyError(pgError('42501', 'Keine Berechtigung für Schema public'));
    const english = classifyError(pgError('42501', 'could not connect: connection refused'));
    expect(german.code).toBe(english.code);
  });

  it('treats socket errors and code-less driver errors as transient', () => {
    expect(classifyError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })).retryable).toBe(
      true,
    );
    expect(classifyError(new Error('Connection terminated unexpectedly')).code).toBe(
      ConnectorErrorCode.ConnectionFailed,
    );
  });

  it('does not retry programming errors', () => {
    expect(classifyError(new TypeError('x is undefined')).retryable).toBe(false);
  });

  it('passes ConnectorErrors through unchanged', () => {
    const original = ConnectorError.permanent(ConnectorErrorCode.NameClash, 'clash');
    expect(classifyError(original)).toBe(original);
  });
});
