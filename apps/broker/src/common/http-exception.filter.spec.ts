import { Controller, Get, type INestApplication, Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { correlationMiddleware } from './correlation';
import { HttpExceptionFilter } from './http-exception.filter';

@Controller('boom')
class BoomController {
  @Get()
  boom(): never {
    throw new Error('database password is hunter2');
  }
}

describe('HttpExceptionFilter, unknown errors', () => {
  let app: INestApplication;
  let base: string;
  let logged: unknown[][];

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ controllers: [BoomController] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.use(correlationMiddleware);
    app.useGlobalFilters(new HttpExceptionFilter());
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });

  beforeEach(() => {
    logged = [];
    jest.spyOn(Logger.prototype, 'error').mockImplementation((...args: unknown[]) => {
      logged.push(args);
    });
  });

  afterEach(() => jest.restoreAllMocks());
  afterAll(() => app.close());

  it("answers 500 with the caller's correlation id, the one the log line carries", async () => {
    const res = await fetch(`${base}/boom`, { headers: { 'x-correlation-id': 'caller-id-42' } });

    expect(res.status).toBe(500);
    expect(res.headers.get('x-correlation-id')).toBe('caller-id-42');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({
      error: 'INTERNAL',
      message: 'internal error',
      correlationId: 'caller-id-42',
    });
    expect(logged).toHaveLength(1);
    expect(logged[0][0]).toMatchObject({ correlationId: 'caller-id-42', path: '/boom' });
  });

  it('answers 500 with the id the broker chose when the caller sent none', async () => {
    const res = await fetch(`${base}/boom`);

    const chosen = res.headers.get('x-correlation-id');
    expect(chosen).toMatch(/^[0-9a-f-]{36}$/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.correlationId).toBe(chosen);
    expect(JSON.stringify(body)).not.toContain('hunter2');
    expect(logged[0][0]).toMatchObject({ correlationId: chosen });
  });
});
