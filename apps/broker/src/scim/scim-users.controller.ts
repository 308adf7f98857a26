import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Res,
  UseFilters,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../common/auth.decorators';
import type { ScimCaller } from './scim-caller';
import { Scim, ScimAuthGuard, ScimBase, ScimResponses, ScimExceptionFilter } from './scim-edge';
import { type UserFilter } from './scim-link.repository';
import { pageOf, parseEqFilter, parsePatch } from './scim-protocol';
import { listResponse, userResource } from './scim-resources';
import { ScimUsersService } from './scim-users.service';

/** Filter attributes a provider may look people up by; every email of theirs is the userName. */
const USER_FILTERS = {
  username: 'userName',
  externalid: 'externalId',
  id: 'id',
  emails: 'userName',
  'emails.value': 'userName',
} as const;

type ListQuery = { filter?: string; startIndex?: string; count?: string };

/** SCIM 2.0 Users (RFC 7644 §3), for the identity provider: outside the bearer-token API. */
@ApiExcludeController()
@Public()
@UseGuards(ScimAuthGuard)
@UseFilters(ScimExceptionFilter)
@UseInterceptors(ScimResponses)
@Controller('scim/v2/Users')
export class ScimUsersController {
  constructor(private readonly users: ScimUsersService) {}

  @Get()
  async list(@Scim() c: ScimCaller, @ScimBase() base: string, @Query() q: ListQuery) {
    const page = pageOf(q);
    const filter: UserFilter = parseEqFilter(q.filter, USER_FILTERS);
    const { total, rows } = await this.users.list(c, filter, page);
    return listResponse(
      rows.map((u) => userResource(u, base)),
      total,
      page,
    );
  }

  @Get(':id')
  async get(@Scim() c: ScimCaller, @ScimBase() base: string, @Param('id') id: string) {
    return userResource(await this.users.get(c, id), base);
  }

  @Post()
  async create(
    @Scim() c: ScimCaller,
    @ScimBase() base: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const user = userResource(await this.users.create(c, body), base);
    res.status(201).location(user.meta.location);
    return user;
  }

  @Put(':id')
  async replace(
    @Scim() c: ScimCaller,
    @ScimBase() base: string,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    return userResource(await this.users.replace(c, id, body), base);
  }

  @Patch(':id')
  async patch(
    @Scim() c: ScimCaller,
    @ScimBase() base: string,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    return userResource(await this.users.patch(c, id, parsePatch(body)), base);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Scim() c: ScimCaller, @Param('id') id: string): Promise<void> {
    await this.users.remove(c, id);
  }
}
