CREATE TABLE "environments" (
	"id" text PRIMARY KEY NOT NULL,
	"preset_id" text NOT NULL,
	"name" text,
	"platform" text NOT NULL,
	"owner_id" text NOT NULL,
	"owner_name" text NOT NULL,
	"request_channel_id" text,
	"state" text NOT NULL,
	"ttl_seconds" integer NOT NULL,
	"requested_at" timestamp with time zone NOT NULL,
	"approval_deadline" timestamp with time zone NOT NULL,
	"running_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"max_expires_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"endpoints" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"approval_card" jsonb,
	"destroy_reason" text,
	"failure_reason" text,
	"version" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "environments_state_valid" CHECK ("environments"."state" in ('pending_approval','approved','deploying','running','destroying','destroyed','rejected','approval_expired','deploy_failed','destroy_failed')),
	CONSTRAINT "environments_id_format" CHECK ("environments"."id" ~ '^env-[a-z0-9]{6}$'),
	CONSTRAINT "environments_platform_valid" CHECK ("environments"."platform" in ('slack','mattermost')),
	CONSTRAINT "environments_ttl_positive" CHECK ("environments"."ttl_seconds" > 0),
	CONSTRAINT "environments_running_has_expiry" CHECK ("environments"."state" <> 'running' or ("environments"."expires_at" is not null and "environments"."max_expires_at" is not null)),
	CONSTRAINT "environments_expiry_within_max" CHECK ("environments"."expires_at" is null or "environments"."max_expires_at" is null or "environments"."expires_at" <= "environments"."max_expires_at"),
	CONSTRAINT "environments_destroy_reason_valid" CHECK ("environments"."destroy_reason" is null or "environments"."destroy_reason" in ('owner','admin','expired','deploy_failed'))
);
--> statement-breakpoint
CREATE TABLE "decisions" (
	"env_id" text PRIMARY KEY NOT NULL,
	"outcome" text NOT NULL,
	"decider_id" text,
	"decider_name" text,
	"reason" text,
	"decided_at" timestamp with time zone NOT NULL,
	CONSTRAINT "decisions_outcome_valid" CHECK ("decisions"."outcome" in ('approved','rejected','expired'))
);
--> statement-breakpoint
CREATE TABLE "members" (
	"platform" text NOT NULL,
	"user_id" text NOT NULL,
	"display_name" text DEFAULT '' NOT NULL,
	"role" text NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"updated_by" text NOT NULL,
	CONSTRAINT "members_platform_user_id_pk" PRIMARY KEY("platform","user_id"),
	CONSTRAINT "members_role_valid" CHECK ("members"."role" in ('admin','approver','member')),
	CONSTRAINT "members_platform_valid" CHECK ("members"."platform" in ('slack','mattermost'))
);
--> statement-breakpoint
CREATE TABLE "reminders_sent" (
	"env_id" text NOT NULL,
	"offset_seconds" integer NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"sent_at" timestamp with time zone NOT NULL,
	CONSTRAINT "reminders_sent_env_id_offset_seconds_expires_at_pk" PRIMARY KEY("env_id","offset_seconds","expires_at")
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_log_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"category" text NOT NULL,
	"event_type" text NOT NULL,
	"actor_type" text NOT NULL,
	"actor_id" text NOT NULL,
	"actor_name" text DEFAULT '' NOT NULL,
	"platform" text,
	"channel_id" text,
	"resource_type" text,
	"resource_id" text,
	"outcome" text NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"request_id" text,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL,
	CONSTRAINT "audit_actor_type_valid" CHECK ("audit_log"."actor_type" in ('user','api_key','system')),
	CONSTRAINT "audit_outcome_valid" CHECK ("audit_log"."outcome" in ('ok','denied','invalid','error')),
	CONSTRAINT "audit_hash_format" CHECK ("audit_log"."hash" ~ '^[0-9a-f]{64}$')
);
--> statement-breakpoint
CREATE TABLE "audit_settings" (
	"id" text PRIMARY KEY DEFAULT 'singleton' NOT NULL,
	"retention_days" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "simulated_resources" (
	"env_id" text NOT NULL,
	"tool_id" text NOT NULL,
	"endpoint" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "simulated_resources_env_id_tool_id_pk" PRIMARY KEY("env_id","tool_id")
);
--> statement-breakpoint
ALTER TABLE "decisions" ADD CONSTRAINT "decisions_env_id_environments_id_fk" FOREIGN KEY ("env_id") REFERENCES "public"."environments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reminders_sent" ADD CONSTRAINT "reminders_sent_env_id_environments_id_fk" FOREIGN KEY ("env_id") REFERENCES "public"."environments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "environments_owner_state_idx" ON "environments" USING btree ("platform","owner_id","state");--> statement-breakpoint
CREATE INDEX "environments_state_idx" ON "environments" USING btree ("state");--> statement-breakpoint
CREATE INDEX "audit_occurred_at_idx" ON "audit_log" USING btree ("occurred_at");--> statement-breakpoint
CREATE INDEX "audit_event_type_idx" ON "audit_log" USING btree ("event_type","occurred_at");--> statement-breakpoint
CREATE INDEX "audit_actor_idx" ON "audit_log" USING btree ("actor_id","occurred_at");