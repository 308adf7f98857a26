import { z } from 'zod';
import { DOORMAN_ROLES } from './doorman-roles';

export const CreateUserSchema = z.strictObject({
  email: z.string().trim().email().max(254),
  name: z.string().trim().min(1).max(200),
  roles: z.array(z.enum(DOORMAN_ROLES)).max(5).default(['requester']),
  slackUserId: z
    .string()
    .regex(/^[UW][A-Z0-9]{2,20}$/, 'must be a Slack user id such as U012AB3CD')
    .optional(),
});

export const CreateTokenSchema = z.strictObject({
  name: z.string().trim().min(1).max(100).default('api'),
});

const slackUsergroupId = z
  .string()
  .regex(/^S[A-Z0-9]{2,30}$/, 'must be a Slack user group id such as S0123ABCD')
  .nullable();

export const CreateGroupSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  memberIds: z.array(z.string().uuid()).max(10000).default([]),
  /** The members then follow this Slack user group instead of memberIds. */
  slackUsergroupId: slackUsergroupId.optional(),
});

export const UpdateGroupSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100).optional(),
    memberIds: z.array(z.string().uuid()).max(10000).optional(),
    /** null unlinks: the members stay as they are and are managed here again. */
    slackUsergroupId: slackUsergroupId.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'give name, memberIds or slackUsergroupId');

export const UpdateUserSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    roles: z.array(z.enum(DOORMAN_ROLES)).max(5).optional(),
  })
  .refine((b) => b.name !== undefined || b.roles !== undefined, 'give name or roles');
