-- Audit entries are chained at commit. An append writes its entry to audit_pending; a deferred constraint trigger
-- seals it when the transaction commits: it takes the chain lock, reserves the id, reads the head, inserts the entry
-- into audit_log with its hashes and removes the pending row. The chain lock is thus held only from the commit's
-- triggers to the end of the commit, inside the server, never while the app runs more statements of the transaction,
-- so audited transactions queue on it for microseconds rather than for their round trips to the app. Ids, commit order
-- and the chain stay in step as before: an entry gets its id and its place in the chain under the lock.
CREATE OR REPLACE FUNCTION "audit_chain_lock"(OUT "isolation" text) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  -- The one chain lock ("AITZ"): every writer of audit_log takes it until the end of its transaction.
  PERFORM pg_advisory_xact_lock(1095324762);
  "isolation" := current_setting('transaction_isolation');
END;
$$;
--> statement-breakpoint
DROP FUNCTION IF EXISTS "audit_chain_next"(bigint);
--> statement-breakpoint
-- Never holds a row at a commit boundary (each row is removed by the commit that seals it), so it needs no WAL.
CREATE UNLOGGED TABLE IF NOT EXISTS "audit_pending" (
  "seq" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
  "occurred_at" timestamp (3) with time zone NOT NULL,
  "category" text NOT NULL,
  "event_type" text NOT NULL,
  "actor_type" text NOT NULL,
  "actor_id" text NOT NULL,
  "actor_name" text NOT NULL,
  "platform" text,
  "channel_id" text,
  "resource_type" text,
  "resource_id" text,
  "outcome" text NOT NULL,
  "details" jsonb NOT NULL,
  "request_id" text,
  -- The entry's canonical text after "[<id>," (src/audit/chain.ts, canonicalAfterId): the id is known only at sealing.
  "canonical_after_id" text NOT NULL
);
--> statement-breakpoint
-- Refused at the append, not at the commit: under REPEATABLE READ or SERIALIZABLE the sealing could read a head from a
-- snapshot older than the chain lock and fork the chain.
CREATE OR REPLACE FUNCTION "audit_pending_check_isolation"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'audit entries must be appended in a READ COMMITTED transaction, not %', current_setting('transaction_isolation')
      USING ERRCODE = 'invalid_transaction_state';
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
DROP TRIGGER IF EXISTS "audit_pending_check_isolation" ON "audit_pending";
--> statement-breakpoint
CREATE TRIGGER "audit_pending_check_isolation" AFTER INSERT ON "audit_pending"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_pending_check_isolation"();
--> statement-breakpoint
-- A VOLATILE plpgsql function takes a fresh snapshot for each statement under READ COMMITTED, so the head read after
-- the lock includes the commit of the previous lock holder. Entries of one transaction are sealed in append order.
CREATE OR REPLACE FUNCTION "audit_seal"() RETURNS trigger LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  entry_id bigint;
  head text;
BEGIN
  PERFORM audit_chain_lock();
  entry_id := nextval(pg_get_serial_sequence('audit_log', 'id'));
  SELECT a."hash" INTO head FROM "audit_log" a ORDER BY a."id" DESC LIMIT 1;
  head := coalesce(head, repeat('0', 64));
  INSERT INTO "audit_log" ("id", "occurred_at", "category", "event_type", "actor_type", "actor_id", "actor_name", "platform",
      "channel_id", "resource_type", "resource_id", "outcome", "details", "request_id", "prev_hash", "hash")
    OVERRIDING SYSTEM VALUE
    VALUES (entry_id, NEW."occurred_at", NEW."category", NEW."event_type", NEW."actor_type", NEW."actor_id", NEW."actor_name",
      NEW."platform", NEW."channel_id", NEW."resource_type", NEW."resource_id", NEW."outcome", NEW."details", NEW."request_id",
      head, encode(sha256(convert_to(head || E'\n[' || entry_id::text || ',' || NEW."canonical_after_id", 'UTF8')), 'hex'));
  DELETE FROM "audit_pending" WHERE "seq" = NEW."seq";
  RETURN NULL;
END;
$$;
--> statement-breakpoint
DROP TRIGGER IF EXISTS "audit_pending_seal" ON "audit_pending";
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "audit_pending_seal" AFTER INSERT ON "audit_pending"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "audit_seal"();
