CREATE TABLE "console_sessions" (
	"id_hash" text PRIMARY KEY NOT NULL,
	"platform" text NOT NULL,
	"user_id" text NOT NULL,
	"user_name" text DEFAULT '' NOT NULL,
	"method" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"last_seen_at" timestamp (3) with time zone NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "console_sessions_platform_valid" CHECK ("console_sessions"."platform" in ('slack','mattermost','sandbox')),
	CONSTRAINT "console_sessions_hash_format" CHECK ("console_sessions"."id_hash" ~ '^[0-9a-f]{64}$')
);
--> statement-breakpoint
CREATE TABLE "console_sign_in_links" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"platform" text NOT NULL,
	"user_id" text NOT NULL,
	"user_name" text DEFAULT '' NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	"used_at" timestamp (3) with time zone,
	CONSTRAINT "console_links_platform_valid" CHECK ("console_sign_in_links"."platform" in ('slack','mattermost','sandbox')),
	CONSTRAINT "console_links_hash_format" CHECK ("console_sign_in_links"."token_hash" ~ '^[0-9a-f]{64}$')
);
--> statement-breakpoint
CREATE INDEX "console_sessions_user_idx" ON "console_sessions" USING btree ("platform","user_id");--> statement-breakpoint
CREATE INDEX "console_sessions_expires_idx" ON "console_sessions" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "console_links_expires_idx" ON "console_sign_in_links" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "audit_category_idx" ON "audit_log" USING btree ("category","occurred_at","id");--> statement-breakpoint
CREATE INDEX "audit_resource_idx" ON "audit_log" USING btree ("resource_id","occurred_at","id");