import { Controller, Get, Param, UseFilters, UseInterceptors } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { DomainError } from '../common/errors';
import { Public } from '../common/auth.decorators';
import { ScimBase, ScimResponses, ScimExceptionFilter } from './scim-edge';
import { listResponse, resourceTypes, schemas, serviceProviderConfig } from './scim-resources';

/**
 * What this SCIM service supports (RFC 7644 §4). Open without a token, as the RFC asks: it
 * holds no data, only the shape of what Doorman accepts.
 */
@ApiExcludeController()
@Public()
@UseFilters(ScimExceptionFilter)
@UseInterceptors(ScimResponses)
@Controller('scim/v2')
export class ScimDiscoveryController {
  @Get('ServiceProviderConfig')
  config(@ScimBase() base: string) {
    return serviceProviderConfig(base);
  }

  @Get('ResourceTypes')
  resourceTypes(@ScimBase() base: string) {
    const all = resourceTypes(base);
    return listResponse(all, all.length, { startIndex: 1, count: all.length });
  }

  @Get('ResourceTypes/:id')
  resourceType(@ScimBase() base: string, @Param('id') id: string) {
    const found = resourceTypes(base).find((t) => t.id === id);
    if (!found) throw DomainError.notFound('ResourceType', id);
    return found;
  }

  @Get('Schemas')
  schemas(@ScimBase() base: string) {
    const all = schemas(base);
    return listResponse(all, all.length, { startIndex: 1, count: all.length });
  }

  @Get('Schemas/:id')
  schema(@ScimBase() base: string, @Param('id') id: string) {
    const found = schemas(base).find((s) => s.id === id);
    if (!found) throw DomainError.notFound('Schema', id);
    return found;
  }
}
