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
import { type GroupFilter } from './scim-link.repository';
import { pageOf, parseEqFilter, parsePatch } from './scim-protocol';
import { listResponse, groupResource } from './scim-resources';
import { ScimGroupsService } from './scim-groups.service';

/** Filter attributes a provider may look groups up by. */
const GROUP_FILTERS = { displayname: 'displayName', externalid: 'externalId', id: 'id' } as const;

type ListQuery = {
  filter?: string;
  startIndex?: string;
  count?: string;
  excludedAttributes?: string;
};

/** Entra asks for groups without their members (`excludedAttributes=members`): big groups stay small. */
const excludesMembers = (q: { excludedAttributes?: string }) =>
  (q.excludedAttributes ?? '').split(',').some((a) => a.trim().toLowerCase() === 'members');

/** SCIM 2.0 Groups (RFC 7644 §3), for the identity provider: outside the bearer-token API. */
@ApiExcludeController()
@Public()
@UseGuards(ScimAuthGuard)
@UseFilters(ScimExceptionFilter)
@UseInterceptors(ScimResponses)
@Controller('scim/v2/Groups')
export class ScimGroupsController {
  constructor(private readonly groups: ScimGroupsService) {}

  @Get()
  async list(@Scim() c: ScimCaller, @ScimBase() base: string, @Query() q: ListQuery) {
    const page = pageOf(q);
    const filter: GroupFilter = parseEqFilter(q.filter, GROUP_FILTERS);
    const { total, rows } = await this.groups.list(c, filter, page);
    return listResponse(
      rows.map((g) => groupResource(g, base, !excludesMembers(q))),
      total,
      page,
    );
  }

  @Get(':id')
  async get(
    @Scim() c: ScimCaller,
    @ScimBase() base: string,
    @Param('id') id: string,
    @Query() q: ListQuery,
  ) {
    return groupResource(await this.groups.get(c, id), base, !excludesMembers(q));
  }

  @Post()
  async create(
    @Scim() c: ScimCaller,
    @ScimBase() base: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const group = groupResource(await this.groups.create(c, body), base);
    res.status(201).location(group.meta.location);
    return group;
  }

  @Put(':id')
  async replace(
    @Scim() c: ScimCaller,
    @ScimBase() base: string,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    return groupResource(await this.groups.replace(c, id, body), base);
  }

  @Patch(':id')
  async patch(
    @Scim() c: ScimCaller,
    @ScimBase() base: string,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    return groupResource(await this.groups.patch(c, id, parsePatch(body)), base);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Scim() c: ScimCaller, @Param('id') id: string): Promise<void> {
    await this.groups.remove(c, id);
  }
}
