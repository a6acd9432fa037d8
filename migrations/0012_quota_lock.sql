-- The labs of a user that count against the quota, counted under the user's quota lock (held to the end of the
-- transaction). The count is a statement of its own in a VOLATILE function, so its snapshot is taken once the lock is
-- granted and sees every request of the user that committed before: a request can take the lock, count, choose its
-- cloud key and write its plan in one statement, its own transaction, and two requests of one user still cannot both
-- slip under the quota.
CREATE OR REPLACE FUNCTION "quota_locked_active_count"("lock_key" text, "for_platform" text, "for_owner" text, "counted_states" text[])
RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext("lock_key"));
  RETURN (
    SELECT count(*)::integer FROM "environments"
    WHERE "platform" = "for_platform" AND "owner_id" = "for_owner" AND "state" = ANY ("counted_states")
  );
END;
$$;
