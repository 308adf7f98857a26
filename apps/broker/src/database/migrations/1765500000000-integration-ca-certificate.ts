import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 20 item 6: the CA certificate (PEM) that signed the server's certificate, so the
 * credentials Doorman hands out can connect with sslmode=verify-ca / verify-full as given.
 */
export class IntegrationCaCertificate1765500000000 implements MigrationInterface {
  name = 'IntegrationCaCertificate1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "integrations" ADD "ca_certificate" text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "integrations" DROP COLUMN "ca_certificate"`);
  }
}
