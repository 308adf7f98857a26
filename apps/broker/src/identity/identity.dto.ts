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

export const CreateGroupSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  memberIds: z.array(z.string().uuid()).max(10000).default([]),
});

export const UpdateGroupSchema = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  memberIds: z.array(z.string().uuid()).max(10000),
});
