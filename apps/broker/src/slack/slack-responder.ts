import { randomUUID } from 'node:crypto';
import { domainErrorFromDatabase } from '../common/database-errors';
import { DomainError, ErrorCode } from '../common/errors';

/**
 * The Slack edge of STYLE §8: a domain error becomes its reason in plain words; anything
 * unknown becomes a generic message with a correlation id (the stack goes to the log only).
 */
export function slackErrorText(thrown: unknown): { text: string; correlationId?: string } {
  // Text PostgreSQL cannot store, or a name another request just took: said as such (issue 18).
  const error = domainErrorFromDatabase(thrown) ?? thrown;
  if (error instanceof DomainError) {
    switch (error.code) {
      case ErrorCode.Validation:
        return { text: `That did not work: ${error.message}` };
      case ErrorCode.Forbidden:
      case ErrorCode.Unauthenticated:
        return { text: `Not allowed: ${error.message}` };
      case ErrorCode.NotFound:
        return { text: `Not found: ${error.message}` };
      case ErrorCode.NotGrantable:
        return { text: `Cannot be granted: ${error.message}` };
      case ErrorCode.Conflict:
      case ErrorCode.IllegalTransition:
        return { text: error.message };
    }
  }
  const correlationId = randomUUID();
  return {
    text: `Something went wrong on Doorman's side (reference ${correlationId}). Please try again or tell your Doorman admins.`,
    correlationId,
  };
}

export const UNKNOWN_PERSON_TEXT =
  "I don't know you yet: your Slack account is not linked to a Doorman user, and no Doorman user has your Slack email address. Ask a Doorman admin to add you.";
