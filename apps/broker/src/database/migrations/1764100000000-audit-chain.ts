import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A tamper-evident audit trail: each event records where it came from and, once
 * sealed, its place in a hash chain. A trigger keeps the table append-only: nothing may be
 * deleted, and an event's content never changes — only the sealer fills in its chain link once.
 */
export class AuditChain1764100000000 implements MigrationInterface {
  name = 'AuditChain1764100000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "audit_events" ADD "source_address" text');
    await q.query('ALTER TABLE "audit_events" ADD "seq" bigint');
    await q.query(
      'ALTER TABLE "audit_events" ADD CONSTRAINT "UQ_6e299f5706e715265416fefe53e" UNIQUE ("seq")',
    );
    await q.query('ALTER TABLE "audit_events" ADD "prev_hash" text');
    await q.query('ALTER TABLE "audit_events" ADD "hash" text');
    await q.query(`CREATE FUNCTION doorman_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'audit events are append-only' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF OLD.hash IS NOT NULL
     OR (NEW.at, NEW.action, NEW.actor_id, NEW.actor_type, NEW.channel, NEW.request_id,
         NEW.integration_id, NEW.details, NEW.source_address)
        IS DISTINCT FROM
        (OLD.at, OLD.action, OLD.actor_id, OLD.actor_type, OLD.channel, OLD.request_id,
         OLD.integration_id, OLD.details, OLD.source_address) THEN
    RAISE EXCEPTION 'audit events are append-only' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$`);
    await q.query(
      'CREATE TRIGGER "audit_append_only" BEFORE UPDATE OR DELETE ON "audit_events" FOR EACH ROW EXECUTE FUNCTION doorman_audit_append_only()',
    );
    await q.query(
      'CREATE INDEX "audit_events_unsealed" ON "audit_events" ("id") WHERE "seq" IS NULL',
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX "audit_events_unsealed"');
    await q.query('DROP TRIGGER "audit_append_only" ON "audit_events"');
    await q.query('DROP FUNCTION doorman_audit_append_only()');
    await q.query('ALTER TABLE "audit_events" DROP COLUMN "hash"');
    await q.query('ALTER TABLE "audit_events" DROP COLUMN "prev_hash"');
    await q.query('ALTER TABLE "audit_events" DROP CONSTRAINT "UQ_6e299f5706e715265416fefe53e"');
    await q.query('ALTER TABLE "audit_events" DROP COLUMN "seq"');
    await q.query('ALTER TABLE "audit_events" DROP COLUMN "source_address"');
  }
}
