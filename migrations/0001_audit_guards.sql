-- Audit log guards: the database itself keeps audit_log append-only. UPDATE and TRUNCATE are always refused; a DELETE
-- is refused when it touches any row younger than the retention period in audit_settings, so the retention purge of
-- old rows is the only deletion that can pass. The app sets the period at start-up from AUDIT_RETENTION_DAYS.
INSERT INTO "audit_settings" ("id", "retention_days") VALUES ('singleton', 90) ON CONFLICT ("id") DO NOTHING;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "audit_log_refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is refused (entries are never modified or removed)', TG_OP
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'Entries older than the retention period are removed only by the retention purge.';
END;
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "audit_log_guard_delete"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  retention bigint;
  young_id bigint;
BEGIN
  SELECT "retention_days" INTO retention FROM "audit_settings" WHERE "id" = 'singleton';
  IF retention IS NULL OR retention < 1 THEN
    RAISE EXCEPTION 'audit_log is append-only: DELETE is refused because audit_settings holds no valid retention period'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT min(d."id") INTO young_id FROM "deleted_rows" d
    WHERE d."occurred_at" >= now() - make_interval(days => retention::int);
  IF young_id IS NOT NULL THEN
    RAISE EXCEPTION 'audit_log is append-only: DELETE of entry % is refused (it is younger than the retention period of % days)',
      young_id, retention
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'Only the retention purge removes entries, and only those older than the retention period.';
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
-- The chain head for the next append, read after taking the chain lock: a VOLATILE plpgsql function takes a fresh
-- snapshot for each statement under READ COMMITTED, so the head it reads includes the commit of the previous lock holder.
-- Reserving the id in the same call saves a round trip while the lock is held.
CREATE OR REPLACE FUNCTION "audit_chain_next"(lock_key bigint, OUT "id" bigint, OUT "prev_hash" text, OUT "isolation" text)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(lock_key);
  "isolation" := current_setting('transaction_isolation');
  "id" := nextval(pg_get_serial_sequence('audit_log', 'id'));
  SELECT a."hash" INTO "prev_hash" FROM "audit_log" a ORDER BY a."id" DESC LIMIT 1;
END;
$$;
--> statement-breakpoint
DROP TRIGGER IF EXISTS "audit_log_no_update" ON "audit_log";
--> statement-breakpoint
CREATE TRIGGER "audit_log_no_update" BEFORE UPDATE ON "audit_log"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_log_refuse_change"();
--> statement-breakpoint
DROP TRIGGER IF EXISTS "audit_log_no_truncate" ON "audit_log";
--> statement-breakpoint
CREATE TRIGGER "audit_log_no_truncate" BEFORE TRUNCATE ON "audit_log"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_log_refuse_change"();
--> statement-breakpoint
DROP TRIGGER IF EXISTS "audit_log_guard_delete" ON "audit_log";
--> statement-breakpoint
-- Checked once per statement over all the rows it deleted (an error undoes the whole statement), so a purge of a
-- million old rows reads the setting once.
CREATE TRIGGER "audit_log_guard_delete" AFTER DELETE ON "audit_log"
  REFERENCING OLD TABLE AS "deleted_rows" FOR EACH STATEMENT EXECUTE FUNCTION "audit_log_guard_delete"();
--> statement-breakpoint
-- The period the DELETE guard reads must stay a sane number of days: lowering it to zero would open every row.
ALTER TABLE "audit_settings" DROP CONSTRAINT IF EXISTS "audit_settings_retention_valid";
--> statement-breakpoint
ALTER TABLE "audit_settings" ADD CONSTRAINT "audit_settings_retention_valid" CHECK ("retention_days" BETWEEN 1 AND 3650);
--> statement-breakpoint
ALTER TABLE "audit_settings" DROP CONSTRAINT IF EXISTS "audit_settings_singleton";
--> statement-breakpoint
ALTER TABLE "audit_settings" ADD CONSTRAINT "audit_settings_singleton" CHECK ("id" = 'singleton');
