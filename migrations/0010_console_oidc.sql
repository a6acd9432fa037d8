CREATE TABLE "console_oidc_requests" (
	"state_hash" text PRIMARY KEY NOT NULL,
	"nonce" text NOT NULL,
	"code_verifier" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	"used_at" timestamp (3) with time zone,
	"email" text,
	"choices" jsonb,
	"chosen_at" timestamp (3) with time zone,
	CONSTRAINT "console_oidc_hash_format" CHECK ("console_oidc_requests"."state_hash" ~ '^[0-9a-f]{64}$')
);
--> statement-breakpoint
CREATE INDEX "console_oidc_expires_idx" ON "console_oidc_requests" USING btree ("expires_at");