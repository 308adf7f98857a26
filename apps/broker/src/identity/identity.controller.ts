import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { IdPipe, openApiSchema, ZodPipe } from '../common/zod';
import type { Actor } from './actor';
import { CurrentActor, Roles } from './auth.decorators';
import {
  CreateGroupSchema,
  CreateTokenSchema,
  CreateUserSchema,
  UpdateGroupSchema,
  UpdateUserSchema,
} from './identity.dto';
import { ApiTokensService } from './api-tokens.service';
import { GroupsService } from './groups.service';
import { IdentityService } from './identity.service';
import { UsersService } from './users.service';
import type { GroupEntity } from './group.entity';
import type { UserEntity } from './user.entity';
import type { ApiTokenEntity } from './api-token.entity';

const userView = (u: UserEntity) => ({
  id: u.id,
  email: u.email,
  name: u.name,
  roles: u.roles,
  slackUserId: u.slackUserId,
  createdAt: u.createdAt,
  deactivatedAt: u.deactivatedAt,
});

const tokenView = (t: ApiTokenEntity) => ({
  id: t.id,
  name: t.name,
  createdAt: t.createdAt,
  lastUsedAt: t.lastUsedAt,
  revokedAt: t.revokedAt,
});

export const groupView = (g: GroupEntity) => ({
  id: g.id,
  name: g.name,
  memberIds: g.memberIds,
  slackUsergroupId: g.slackUsergroupId,
});

@ApiTags('identity')
@ApiBearerAuth()
@Controller()
export class IdentityController {
  constructor(
    private readonly identity: IdentityService,
    private readonly users: UsersService,
    private readonly groups: GroupsService,
    private readonly tokens: ApiTokensService,
  ) {}

  @Post('users')
  @Roles('admin')
  @ApiBody({ schema: openApiSchema(CreateUserSchema) })
  async createUser(
    @CurrentActor() actor: Actor,
    @Body(new ZodPipe(CreateUserSchema)) body: z.infer<typeof CreateUserSchema>,
  ) {
    return userView(await this.users.createUser(actor, body));
  }

  @Get('users')
  @Roles('admin', 'security', 'auditor')
  async listUsers() {
    return (await this.identity.listUsers()).map(userView);
  }

  @Get('users/me')
  async me(@CurrentActor() actor: Actor) {
    return userView(await this.identity.getUser(actor.id));
  }

  /** A new name or new roles; roles follow the role rule (docs/security.md). */
  @Patch('users/:id')
  @Roles('admin', 'security')
  @ApiBody({ schema: openApiSchema(UpdateUserSchema) })
  async updateUser(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('user')) id: string,
    @Body(new ZodPipe(UpdateUserSchema)) body: z.infer<typeof UpdateUserSchema>,
  ) {
    return userView(await this.users.updateUser(actor, id, body));
  }

  @Post('users/:id/tokens')
  @HttpCode(201)
  @ApiBody({ schema: openApiSchema(CreateTokenSchema) })
  async createToken(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('user')) id: string,
    @Body(new ZodPipe(CreateTokenSchema)) body: z.infer<typeof CreateTokenSchema>,
  ) {
    return this.tokens.createToken(actor, id, body.name);
  }

  /** A person's tokens without their secrets: your own, or anyone's as an admin. */
  @Get('users/:id/tokens')
  async listTokens(@CurrentActor() actor: Actor, @Param('id', new IdPipe('user')) id: string) {
    return (await this.tokens.listTokens(actor, id)).map(tokenView);
  }

  /** Revokes a token at once: your own, or anyone's as an admin. */
  @Delete('users/:id/tokens/:tokenId')
  async revokeToken(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('user')) id: string,
    @Param('tokenId', new IdPipe('token')) tokenId: string,
  ) {
    return tokenView(await this.tokens.revokeToken(actor, id, tokenId));
  }

  @Post('groups')
  @Roles('admin', 'security')
  @ApiBody({ schema: openApiSchema(CreateGroupSchema) })
  async createGroup(
    @CurrentActor() actor: Actor,
    @Body(new ZodPipe(CreateGroupSchema)) body: z.infer<typeof CreateGroupSchema>,
  ) {
    return groupView(await this.groups.createGroup(actor, body));
  }

  @Get('groups')
  async listGroups() {
    return (await this.identity.listGroups()).map(groupView);
  }

  /** Replaces the members (or links a Slack user group): flows that name the group follow at once. */
  @Put('groups/:id')
  @Roles('admin', 'security')
  @ApiBody({ schema: openApiSchema(UpdateGroupSchema) })
  async updateGroup(
    @CurrentActor() actor: Actor,
    @Param('id', new IdPipe('group')) id: string,
    @Body(new ZodPipe(UpdateGroupSchema)) body: z.infer<typeof UpdateGroupSchema>,
  ) {
    return groupView(await this.groups.updateGroup(actor, id, body));
  }
}
