CREATE TABLE "passkey_challenges" (
	"challenge_hash" text PRIMARY KEY NOT NULL,
	"purpose" text NOT NULL,
	"session_hash" text,
	"user_handle" text,
	"created_at" timestamp (3) with time zone NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	"used_at" timestamp (3) with time zone,
	CONSTRAINT "passkey_challenges_hash_format" CHECK ("passkey_challenges"."challenge_hash" ~ '^[0-9a-f]{64}$'),
	CONSTRAINT "passkey_challenges_purpose_valid" CHECK ("passkey_challenges"."purpose" in ('register','sign_in','mfa'))
);
--> statement-breakpoint
CREATE TABLE "passkeys" (
	"id" text PRIMARY KEY NOT NULL,
	"platform" text NOT NULL,
	"user_id" text NOT NULL,
	"user_name" text DEFAULT '' NOT NULL,
	"user_handle" text NOT NULL,
	"name" text NOT NULL,
	"public_key" text NOT NULL,
	"counter" bigint NOT NULL,
	"transports" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"last_used_at" timestamp (3) with time zone,
	CONSTRAINT "passkeys_platform_valid" CHECK ("passkeys"."platform" in ('slack','mattermost','sandbox')),
	CONSTRAINT "passkeys_id_format" CHECK ("passkeys"."id" ~ '^[A-Za-z0-9_-]+$' and length("passkeys"."id") between 16 and 1400),
	CONSTRAINT "passkeys_counter_range" CHECK ("passkeys"."counter" >= 0)
);
--> statement-breakpoint
ALTER TABLE "console_sessions" ADD COLUMN "client_address" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "console_sessions" ADD COLUMN "mfa_completed_at" timestamp (3) with time zone;--> statement-breakpoint
CREATE INDEX "passkey_challenges_expires_idx" ON "passkey_challenges" USING btree ("expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "passkeys_user_name_idx" ON "passkeys" USING btree ("platform","user_id","name");--> statement-breakpoint
CREATE INDEX "passkeys_user_handle_idx" ON "passkeys" USING btree ("user_handle");