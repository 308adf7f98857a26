import { Injectable, type PipeTransform } from '@nestjs/common';
import { z } from 'zod';
import { DomainError } from './errors';
import { unsafeTextIn } from './input-schemas';

/**
 * Validates a request part (body, query, param) against a zod schema; a failure names every bad
 * field. Text PostgreSQL cannot store (NUL, lone surrogates) is refused first, in any field.
 */
@Injectable()
export class ZodPipe<T extends z.ZodType> implements PipeTransform<unknown, z.infer<T>> {
  constructor(private readonly schema: T) {}

  transform(value: unknown): z.infer<T> {
    const unsafe = unsafeTextIn(value);
    if (unsafe.length) throw invalid(unsafe);
    const parsed = this.schema.safeParse(value ?? {});
    if (parsed.success) return parsed.data;
    throw invalid(parsed.error.issues);
  }
}

function invalid(issues: ReadonlyArray<{ path: readonly PropertyKey[]; message: string }>) {
  const fields = issues.map((i) => ({
    field: i.path.length ? i.path.map(String).join('.') : '(body)',
    message: i.message,
  }));
  return DomainError.validation(
    `invalid input: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`,
    { fields },
  );
}

/** JSON Schema for OpenAPI, straight from the zod schema that validates the body. */
export function openApiSchema(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  delete json.$schema;
  return json;
}

const UUID = z.string().uuid();

/** Path ids: anything that is not a well-formed id cannot name a thing, so it is simply not found. */
@Injectable()
export class IdPipe implements PipeTransform<string, string> {
  constructor(private readonly what: string) {}

  transform(value: string): string {
    if (!UUID.safeParse(value).success)
      throw DomainError.notFound(this.what, JSON.stringify(value).slice(0, 80));
    return value;
  }
}
