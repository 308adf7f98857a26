import { randomUUID } from 'node:crypto';
import { domainErrorFromDatabase } from '../common/database-errors';
import { DomainError, ErrorCode } from '../common/errors';
import { statusWords } from './views/answers.view';

/**
 * The Slack edge of error mapping: a domain error becomes its reason in plain words; anything
 * unknown becomes a generic message with a correlation id (the stack goes to the log only).
 * Where the REST wording names routes or internal statuses, Slack gets its own (see also
 * SlackActingService.extendOffer for "you already have it").
 */
export function slackErrorText(thrown: unknown): { text: string; correlationId?: string } {
  // Text PostgreSQL cannot store, or a name another request just took: said as such.
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
      case ErrorCode.IllegalTransition: {
        // REST says "cannot cancel a request that is ACTIVE (allowed: …)"; Slack says where it is.
        const status = error.details?.status;
        return typeof status === 'string'
          ? {
              text: `That can no longer be done: this request ${statusWords(status)}. Nothing changed.`,
            }
          : { text: error.message };
      }
      case ErrorCode.Conflict:
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
